"""TM110 removed-modules: imports and uses of ``torch.utils.serialization``,
``torch.legacy``, ``torch.utils.ffi`` and ``torch.utils.trainer`` (report only).
"""

from __future__ import annotations

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms

from codemods.base import MANUAL, Example, Rule, RuleFixer, dotted_name

GUIDANCE = {
    "torch.utils.serialization": (
        "`torch.utils.serialization` (load_lua) was removed in 1.0: convert the Lua Torch "
        "file once with an old PyTorch (<= 0.4.1) or a reader such as the `torchfile` "
        "package and save it with `torch.save`/numpy"
    ),
    "torch.legacy": (
        "`torch.legacy` (the Lua-Torch style nn/optim) was removed in 1.0: port the model to "
        "`torch.nn` modules and `torch.optim`"
    ),
    "torch.utils.ffi": (
        "`torch.utils.ffi` (cffi C extensions) was removed in 1.0: rebuild the extension "
        "with `torch.utils.cpp_extension` (CppExtension/load) "
    ),
    "torch.utils.trainer": (
        "`torch.utils.trainer` was removed in 1.0: write the training loop explicitly (or "
        "use a training library)"
    ),
}


def _removed(name):
    if not name:
        return None
    for mod in GUIDANCE:
        if name == mod or name.startswith(mod + "."):
            return mod
    return None


def _import_removed(node):
    """The removed module an import statement refers to, or None."""
    names = []
    if node.type == syms.import_from:
        kids = node.children
        idx = kids.index(next(k for k in kids if k.type == token.NAME and k.value == "import"))
        module = "".join(str(k).strip() for k in kids[1:idx])
        names.append(module)
        for leaf in node.leaves():
            if leaf.type == token.NAME and leaf.value not in ("from", "import", "as"):
                names.append(module + "." + leaf.value)
    else:
        for sub in node.pre_order():
            n = dotted_name(sub)
            if n:
                names.append(n)
    for name in names:
        mod = _removed(name)
        if mod:
            return mod
    return None


class RemovedImportFixer(RuleFixer):
    PATTERN = "import_name< 'import' any > | import_from< 'from' any* >"

    def visit(self, node, results) -> None:
        mod = _import_removed(node)
        if mod:
            self.report(node, GUIDANCE[mod] + " (ImportError on 2.13)", MANUAL)


class RemovedUseFixer(RuleFixer):
    PATTERN = "power< 'torch' trailer< '.' any > any* >"

    def visit(self, node, results) -> None:
        if self.ctx.imports.get("torch") != "torch":
            return
        parts = ["torch"]
        for child in node.children[1:]:
            if child.children[0].type != token.DOT:
                break
            parts.append(child.children[1].value)
            mod = _removed(".".join(parts))
            if mod:
                imported = self.ctx.cache.get("tm110_imported")
                if imported is None:
                    imported = self.ctx.cache["tm110_imported"] = _imported_modules(self.ctx.tree)
                if mod in imported:
                    return  # the import line is reported already
                self.report(node, GUIDANCE[mod] + " (AttributeError on 2.13)", MANUAL)
                return


def _imported_modules(tree) -> set:
    out = set()
    for node in tree.pre_order():
        if node.type in (syms.import_name, syms.import_from):
            mod = _import_removed(node)
            if mod:
                out.add(mod)
    return out


RULE = Rule(
    id="TM110",
    name="removed-modules",
    short="module removed in PyTorch 1.0",
    summary="Report uses of modules removed in PyTorch 1.0",
    why=(
        "PyTorch 1.0 removed `torch.utils.serialization` (`load_lua`), `torch.legacy`, "
        "`torch.utils.ffi` and `torch.utils.trainer`. On 2.13 importing them raises "
        "`ModuleNotFoundError`/`ImportError`, and `torch.utils.serialization.load_lua` is an "
        "AttributeError."
    ),
    safety=MANUAL,
    doc="""
## What it does
Reports imports of the removed modules (`import torch.legacy.nn as lnn`,
`from torch.utils.serialization import load_lua`, `from torch.utils.ffi import
create_extension`, `from torch.utils import trainer`) and dotted uses
(`torch.utils.serialization.load_lua(path)`) when the module is not imported by name.

## Why is this bad
The script fails at import time.

## Fix safety
Manual: there is no drop-in replacement. The message says what to use instead
(converting Lua files once, porting `torch.legacy` to `torch.nn`, rebuilding C
extensions with `torch.utils.cpp_extension`, writing the loop that `trainer` ran).
""",
    examples=(
        Example(
            before=(
                "from torch.utils.serialization import load_lua\nmodel = load_lua('model.t7')\n"
            ),
            findings=("manual",),
            title="load_lua",
        ),
        Example(
            before=(
                "import torch\n"
                "import torch.legacy.nn as lnn\n"
                "from torch.utils.ffi import create_extension\n"
                "w = torch.utils.serialization.load_lua('w.t7')\n"
            ),
            findings=("manual", "manual", "manual"),
            title="torch.legacy, ffi and a dotted use",
        ),
        Example(
            before=(
                "import torch\n"
                "from torch.utils.data import DataLoader\n"
                "from torch.utils import cpp_extension\n"
                "import legacy.serialization\n"
            ),
            title="modules that still exist",
        ),
    ),
    fixers=(RemovedImportFixer, RemovedUseFixer),
    tokens=("serialization", "legacy", "ffi", "trainer"),
)
