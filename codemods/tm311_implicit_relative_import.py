"""TM311 implicit-relative-import: ``import network`` inside a package -> ``from . import network``.

Output style: 2to3's ``fix_import`` -- ``import x`` / ``import x as y``
becomes ``from . import x`` / ``from . import x as y``; ``from x import a``
becomes ``from .x import a``.  Nothing else on the line changes.
"""

from __future__ import annotations

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms

from codemods.base import MANUAL, SAFE, UNSAFE, Example, Rule, RuleFixer, parse_stmts


def _facts(ctx) -> dict:
    facts = getattr(ctx, "project", None)
    return getattr(facts, "implicit_relative", None) or {}


def _wanted(text: str, project) -> bool:
    return bool(getattr(project, "implicit_relative", None))


def _module_names(node) -> list:
    """[(dotted module, alias or None)] of an ``import_name`` statement."""
    spec = node.children[1]
    items = (
        [c for c in spec.children if c.type != token.COMMA]
        if spec.type == syms.dotted_as_names
        else [spec]
    )
    out = []
    for it in items:
        if it.type == syms.dotted_as_name:
            out.append((str(it.children[0]).strip(), it.children[2].value))
        else:
            out.append((str(it).strip(), None))
    return out


class ImplicitRelativeFixer(RuleFixer):
    PATTERN = "import_name< any* > | import_from< any* >"
    PY2_CONVERSION = True  # an implicit relative import exists only in Python 2

    def visit(self, node, results) -> None:
        rel = _facts(self.ctx)
        if not rel:
            return
        if node.type == syms.import_name:
            self._import_name(node, rel)
        else:
            self._import_from(node, rel)

    def _import_name(self, node, rel) -> None:
        mods = _module_names(node)
        hits = [rel.get(m) for m, _ in mods]
        hits_real = [h for h in hits if h is not None and h.safety != "skip"]
        if not hits_real:
            return
        if len(hits_real) != len(mods):
            names = ", ".join(f"`{h.name}`" for h in hits_real)
            self.report(
                node,
                f"{names}: Python 2 implicit relative import mixed with absolute imports in one "
                "statement; split it and write `from . import ...` for the sibling modules "
                f"({hits_real[0].reason})",
                MANUAL,
            )
            return
        manual = [h for h in hits_real if h.safety == MANUAL]
        if manual:
            self.report(node, manual[0].reason, MANUAL)
            return
        safety = UNSAFE if any(h.safety == UNSAFE for h in hits_real) else SAFE
        items = ", ".join(m + (f" as {a}" if a else "") for m, a in mods)
        new_text = f"from . import {items}"

        def fix(node=node, new_text=new_text):
            if node.parent is None:
                return False
            repl = parse_stmts(new_text + "\n")[0].children[0]
            repl.prefix = node.prefix
            node.replace(repl)
            return None

        names = ", ".join(f"`{m}`" for m, _ in mods)
        self.report(
            node,
            f"{names} is a Python 2 implicit relative import of a sibling module of this package; "
            f"Python 3 imports a top-level module of that name instead: `{new_text}` "
            f"({'; '.join(sorted({h.reason for h in hits_real}))})",
            safety,
            fix=fix,
            suggestion=new_text,
        )

    def _import_from(self, node, rel) -> None:
        kids = node.children
        if kids[1].type == token.DOT or (kids[1].type == token.NAME and kids[1].value == "import"):
            return  # already relative
        module = str(kids[1]).strip()
        if module == "__future__":
            return
        hit = rel.get(module)
        if hit is None or hit.safety == "skip":
            return
        if hit.safety == MANUAL:
            self.report(node, hit.reason, MANUAL)
            return
        target = kids[1]

        def fix(target=target):
            if target.parent is None:
                return False
            first = next(target.leaves()) if target.type != token.NAME else target
            first.value = "." + first.value
            return None

        self.report(
            node,
            f"`from {module} import ...` is a Python 2 implicit relative import of a sibling "
            f"module of this package; Python 3 needs `from .{module} import ...` ({hit.reason})",
            SAFE if hit.safety == SAFE else UNSAFE,
            fix=fix,
            suggestion=f"from .{module} import ...",
        )


_DOC = """
## What it does
Inside a package (a directory with `__init__.py`), Python 2 resolved
`import network` to the sibling `network.py` first (an *implicit relative
import*).  Python 3 only does absolute imports, so the same line imports a
top-level `network` -- or fails.  This rule rewrites it the way 2to3's
`fix_import` does (`from . import network`, `from .network import Net`),
but only where the **project model** proves it: the sibling module exists
in the project, the file has no `from __future__ import absolute_import`,
and the way the file is used keeps the relative import working.  (2to3
needs the file system for this; a rule looking at one file cannot know.)

## Fix safety
- **safe** when the module is imported as part of its package somewhere in
  the project (`from pkg import model`, `import pkg.model`, or by a sibling
  that is itself a package member), or is the package's `__init__.py`.
- **unsafe** when no module of the project imports it: right if it is used as
  part of the package, wrong if it is a script run from inside the
  directory.
- **manual** when the module is both run as a script (it has a
  `if __name__ == "__main__":` guard) and imported as part of the package, or
  imported both as a top-level module and through the package: a relative
  import fails in one of the two uses.  Also for `import a.b` of a sibling
  package (Python 3 needs `from . import a` and changed uses) and for
  statements mixing sibling and absolute modules.
- Scripts in a package directory that nobody imports are left alone: their
  directory is on `sys.path`, so the absolute import keeps working.

Files migrated alone (no project model) are never changed by this rule.
"""

RULE = Rule(
    id="TM311",
    name="implicit-relative-import",
    summary="Make Python 2 implicit relative imports of sibling modules explicit (`from . import x`)",
    why=(
        "PEP 328 (Python 2.5, default in Python 3): `import x` is always absolute. Python 2 code "
        "inside a package that imports a sibling module by its bare name breaks on Python 3 "
        "(ImportError, or silently a different top-level module of the same name)."
    ),
    safety=SAFE,
    short="Python 2 implicit relative import of a sibling module",
    doc=_DOC,
    examples=(
        Example(
            project=(
                ("pkg/__init__.py", ""),
                ("pkg/network.py", "class Net(object):\n    pass\n"),
                ("pkg/utils.py", "def weights_init(m):\n    pass\n"),
                ("train.py", "from pkg import model\n"),
            ),
            path="pkg/model.py",
            before=(
                "import os\nimport network\nfrom utils import weights_init\n\nnet = network.Net()\n"
            ),
            after=(
                "import os\n"
                "from . import network\n"
                "from .utils import weights_init\n"
                "\n"
                "net = network.Net()\n"
            ),
            title="a package module imported through its package: safe",
        ),
        Example(
            project=(("pkg/__init__.py", ""), ("pkg/network.py", "X = 1\n")),
            path="pkg/model.py",
            before="import network\n",
            after="from . import network\n",
            unsafe_fixes=True,
            title="nobody imports the module: unsafe (applied with --unsafe-fixes)",
        ),
        Example(
            project=(
                ("pkg/__init__.py", ""),
                ("pkg/network.py", "X = 1\n"),
                ("main.py", "import pkg.model\n"),
            ),
            path="pkg/model.py",
            before="import network\n\nif __name__ == '__main__':\n    print(network.X)\n",
            findings=("manual",),
            title="a script that is also imported through the package: manual",
        ),
        Example(
            project=(("pkg/__init__.py", ""), ("pkg/network.py", "X = 1\n")),
            path="pkg/run.py",
            before="import network\n\nif __name__ == '__main__':\n    print(network.X)\n",
            title="a script in the package directory that nobody imports: unchanged",
        ),
        Example(
            before="import network\nfrom utils import weights_init\n",
            title="without the project model (a file alone): unchanged",
        ),
        Example(
            before="from __future__ import absolute_import\nimport os\n",
            title="absolute imports: unchanged",
        ),
        Example(
            before="from . import network\n",
            title="already explicit: unchanged",
        ),
    ),
    fixers=(ImplicitRelativeFixer,),
    project_prefilter=_wanted,
)
