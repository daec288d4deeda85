"""TM213 torch-six: ``from torch._six import string_classes`` (removed in 2.0).

``torch._six`` was PyTorch's private Python 2/3 compatibility module; code of
2018-2022 (pytorch-ignite, apex, mmcv, detectron-style repos) imported its
names, and PyTorch 2.0 deleted it, so such a file fails at import time with
``ModuleNotFoundError: No module named 'torch._six'``.
"""

from __future__ import annotations

import re

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms

from codemods.base import MANUAL, SAFE, Example, Rule, RuleFixer, dotted_name, parse_stmts

# What each name was on Python 3, the only Python PyTorch 2.x runs on (the
# PY3/PY37 flags were version tests that are true there).
VALUES = {
    "string_classes": "(str, bytes)",
    "int_classes": "int",
    "inf": "float('inf')",
    "nan": "float('nan')",
    "PY3": "True",
    "PY37": "True",
    "PY2": "False",
    "imap": "map",
    "FileNotFoundError": "FileNotFoundError",
}
# ... and the names that were a module.
MODULES = {"container_abcs": "collections.abc"}

_REMOVED = (
    "`torch._six` (PyTorch's private Python 2/3 compatibility module) was removed in 2.0: "
    "importing it raises ModuleNotFoundError"
)


def _module_of(node) -> str:
    kids = node.children
    end = next(i for i, k in enumerate(kids) if k.type == token.NAME and k.value == "import")
    return "".join(str(k).strip() for k in kids[1:end])


def _imported(node) -> list:
    """[(name, bound as)] of ``from M import ...``; None for ``import *``."""
    names = node.children[-1]
    if names.type == token.RPAR:
        names = node.children[-2]
    if names.type == token.STAR:
        return None
    items = names.children if names.type == syms.import_as_names else [names]
    out = []
    for c in items:
        if c.type == token.NAME:
            out.append((c.value, c.value))
        elif c.type == syms.import_as_name:
            out.append((c.children[0].value, c.children[2].value))
    return out


_WORD = re.compile(r"[A-Za-z_]\w*")


def _in_function(node) -> bool:
    cur = node.parent
    while cur is not None:
        if cur.type in (syms.funcdef, syms.lambdef):
            return True
        if cur.type == syms.classdef:
            return False  # a class body reads globals and builtins as a module does
        cur = cur.parent
    return False


class SixImportFixer(RuleFixer):
    PATTERN = "import_from"
    TRIGGERS = frozenset({"_six"})

    def visit(self, node, results) -> None:
        module = _module_of(node)
        if module == "torch" and any(n == "_six" for n, _ in _imported(node) or ()):
            self.report(node, f"{_REMOVED}; import what you use from Python 3 instead", MANUAL)
            return
        if module != "torch._six":
            return
        names = _imported(node)
        if names is None:
            self.report(node, f"{_REMOVED}; replace the star import by what it provided", MANUAL)
            return
        unknown = [n for n, _ in names if n not in VALUES and n not in MODULES]
        if unknown:
            self.report(
                node,
                f"{_REMOVED}; `{'`, `'.join(unknown)}` has no one-line replacement here: "
                "define it in the project (Python 3's builtins or the `six` package)",
                MANUAL,
            )
            return
        if _in_function(node):
            # ``x = int`` in a function makes x local: an alias that the
            # values read (``FileNotFoundError = FileNotFoundError``, ``map =
            # map``) would be read before it is bound (UnboundLocalError)
            read = {w for n, _ in names if n in VALUES for w in _WORD.findall(VALUES[n])}
            clash = sorted(a for _, a in names if a in read)
            if clash:
                self.report(
                    node,
                    f"{_REMOVED}; inside a function `{'`, `'.join(clash)} = ...` would read the "
                    "local name it binds: import the builtin at module level instead",
                    MANUAL,
                )
                return
        parts = [f"import {MODULES[n]} as {alias}" for n, alias in names if n in MODULES]
        values = [(alias, VALUES[n]) for n, alias in names if n in VALUES]
        if values:
            parts.append(", ".join(a for a, _ in values) + " = " + ", ".join(v for _, v in values))
        new = "; ".join(parts)

        def fix(node=node, new=new):
            stmt = node.parent
            if stmt is None or stmt.type != syms.simple_stmt:
                return False
            repl = [c for c in parse_stmts(new + "\n")[0].children if c.type != token.NEWLINE]
            at = stmt.children.index(node)
            repl[0].prefix = node.prefix
            node.remove()
            for k, child in enumerate(repl):
                child.remove()
                stmt.insert_child(at + k, child)
            return None

        self.report(
            node,
            f"{_REMOVED}; on Python 3 its names were {new.replace('; ', ' and ')}: the same "
            "names are bound to the same objects",
            SAFE,
            fix=fix,
            suggestion=new,
        )


class SixUseFixer(RuleFixer):
    """``import torch._six`` and ``torch._six.X``: report."""

    PATTERN = "import_name | power< 'torch' trailer< '.' '_six' > any* >"
    TRIGGERS = frozenset({"_six"})

    def visit(self, node, results) -> None:
        if node.type == syms.import_name:
            if not any(
                dotted_name(n) == "torch._six" or str(n).strip().startswith("torch._six ")
                for n in node.pre_order()
            ):
                return
            self.report(node, f"{_REMOVED}; import what you use from Python 3 instead", MANUAL)
            return
        attr = node.children[2] if len(node.children) > 2 else None
        name = attr.children[1].value if attr is not None and attr.type == syms.trailer else ""
        known = VALUES.get(name) or MODULES.get(name)
        hint = f" (`{name}` was `{known}`)" if known else ""
        self.report(node, f"{_REMOVED}{hint}", MANUAL)


RULE = Rule(
    id="TM213",
    name="torch-six",
    short="`torch._six` was removed in PyTorch 2.0",
    summary="Replace names imported from `torch._six` (removed in 2.0) by their Python 3 values.",
    why=(
        "`torch._six` was PyTorch's private Python 2/3 compatibility module. Code of 2018-2022 "
        "imported `string_classes`, `int_classes`, `container_abcs`, `inf` and the `PY3`/`PY37` "
        "flags from it; PyTorch 2.0 deleted the module, so on 2.13 such a file fails at import "
        "time with `ModuleNotFoundError: No module named 'torch._six'`."
    ),
    safety=SAFE,
    doc="""
## What it does
Replaces `from torch._six import ...` by the values the names had on
Python 3, bound to the same names (aliases kept), on the same line:

| name | becomes |
|---|---|
| `string_classes` | `(str, bytes)` |
| `int_classes` | `int` |
| `inf`, `nan` | `float('inf')`, `float('nan')` |
| `container_abcs` | `import collections.abc as container_abcs` |
| `PY3`, `PY37` / `PY2` | `True` / `False` |
| `imap` | `map` |

`import torch._six`, a dotted use `torch._six.X`, a star import and any other
name (`with_metaclass`, `raise_from`, `istuple`, ...) are reported.

## Fix safety
**Safe**: on Python 3 those names were exactly these objects (the flags were
version tests that are true on every Python PyTorch 2.x supports), and the
module keeps binding every name it bound, so star importers still see them.

## Differences from TorchFix
TorchFix does not handle `torch._six`.
""",
    examples=(
        Example(
            "from torch._six import string_classes, int_classes\n"
            "def is_str(x):\n    return isinstance(x, string_classes)\n",
            "string_classes, int_classes = (str, bytes), int\n"
            "def is_str(x):\n    return isinstance(x, string_classes)\n",
            title="pytorch-ignite 0.1's _utils.py",
        ),
        Example(
            "try:\n    from torch._six import container_abcs, inf as INF\n"
            "except ImportError:\n    import collections.abc as container_abcs\n",
            "try:\n    import collections.abc as container_abcs; INF = float('inf')\n"
            "except ImportError:\n    import collections.abc as container_abcs\n",
            title="a module and an alias, in a fallback block",
        ),
        Example(
            "import torch\nfrom torch._six import with_metaclass\nimport torch._six\n"
            "ok = torch._six.PY3\n",
            None,
            findings=("manual", "manual", "manual"),
            title="names without a one-line replacement, module imports and dotted uses",
        ),
        Example(
            "from six import string_types\nfrom torch.utils.data import _utils\n",
            None,
            title="other compatibility imports",
        ),
    ),
    fixers=(SixImportFixer, SixUseFixer),
    tokens=("_six",),
)
