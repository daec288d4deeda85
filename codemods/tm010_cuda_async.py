"""TM010 cuda-async: ``x.cuda(async=True)`` -> ``x.cuda(non_blocking=True)``.

``async`` became a reserved keyword in Python 3.7, so a single ``async=``
keyword makes the whole file a SyntaxError for Python's own parser (and for
LibCST); fissix's grammars still read it, which is why this rule exists as a
fissix fixer and runs on Python 2 files too.
"""

from __future__ import annotations

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf

from codemods import analysis as A
from codemods.base import MANUAL, SAFE, UNSAFE, Example, Rule, RuleFixer

# PyTorch methods that took ``async=`` before 0.4 (or that legacy code passed
# it to): the keyword means exactly ``non_blocking=`` there.
_TORCH_METHODS = frozenset({"cuda", "type", "copy_", "to", "cpu", "pin_memory"})


class AsyncKeywordFixer(RuleFixer):
    PATTERN = "argument< kw=NAME '=' any >"

    def visit(self, node, results) -> None:
        kw = results["kw"]
        if kw.value != "async" or node.children[0] is not kw:
            return
        trailer = node.parent
        if trailer is not None and trailer.type != syms.trailer:
            trailer = trailer.parent  # arglist
        callee = None
        if trailer is not None and A.is_call(trailer):
            power = trailer.parent
            kids = power.children
            idx = kids.index(trailer)
            if idx >= 1 and A.is_attr(kids[idx - 1]):
                callee = A.attr_name(kids[idx - 1])
        if callee is None:
            return
        if callee in _TORCH_METHODS:
            safety = SAFE
            message = (
                f"`{callee}(async=...)`: `async` is a reserved word since Python 3.7 (the file "
                "does not even parse); PyTorch renamed the keyword `non_blocking=` in 0.4"
            )
        else:
            safety = UNSAFE
            message = (
                f"`{callee}(async=...)`: `async` is a reserved word since Python 3.7 (the file "
                "does not parse); PyTorch's spelling is `non_blocking=`, but `{callee}` is not a "
                "known PyTorch method: if it belongs to another library use that library's new "
                "spelling (often `async_=`)"
            ).replace("{callee}", callee)

        def fix() -> None:
            new = Leaf(token.NAME, "non_blocking", prefix=kw.prefix)
            kw.replace(new)

        self.report(node, message, safety, fix=fix, suggestion=f"{callee}(non_blocking=...)")


class AsyncNameFixer(RuleFixer):
    """``def cuda(self, async=False)`` / ``async = True``: no mechanical fix."""

    PATTERN = "NAME"

    def visit(self, node, results) -> None:
        if node.value != "async":
            return
        parent = node.parent
        if parent is not None and parent.type == syms.argument and parent.children[0] is node:
            return  # a call keyword: AsyncKeywordFixer
        if parent is not None and parent.type in (syms.trailer,):
            return  # obj.async attribute: legal in no Python 3 either, but leave to review
        self.report(
            node,
            "`async` is used as a name (parameter or variable); it is a reserved word since "
            "Python 3.7 and the file does not parse: rename it and its uses (PyTorch-style APIs "
            "call it `non_blocking`)",
            MANUAL,
        )


RULE = Rule(
    id="TM010",
    name="cuda-async",
    short="`async=` is a SyntaxError since Python 3.7: `non_blocking=`",
    summary="Rename the `async=` keyword (a SyntaxError since Python 3.7) to `non_blocking=`.",
    why="""
PyTorch 0.4 renamed the `async=` keyword of `Tensor.cuda`, `Tensor.type`
and `Tensor.copy_` to `non_blocking=` (the old spelling was deprecated);
`Module.cuda(async=)` and `.to(async=)` raise TypeError on 2.13.  Since
Python 3.7 `async` is a reserved word, so one `x.cuda(async=True)` makes the
whole file a SyntaxError for Python's parser and for LibCST: the file cannot
be imported at all.
""",
    safety=SAFE,
    doc="""
## What it does
Renames a call keyword argument named exactly `async` to `non_blocking`:
`x.cuda(async=True)` -> `x.cuda(non_blocking=True)`, likewise for
`.type(t, async=...)`, `.copy_(src, async=...)` and `.to(..., async=...)`.
Works on files that only fissix can parse (the keyword itself, and Python 2
files with print statements).

## Fix safety
**Safe** for the PyTorch methods `cuda`, `type`, `copy_`, `to`, `cpu` and
`pin_memory`: `non_blocking` is the same parameter under its new name.
**Unsafe** for any other callee: the call is certainly pre-3.7 code, but if
it belongs to another library its own renamed keyword (often `async_`)
applies.  `async` used as a parameter or variable name is reported
(**manual**): renaming it means renaming every use.  `**{'async': True}`
is not touched (it parses; PyTorch 2.13 accepts it for `Tensor.cuda` with a
deprecation warning).

## Differences from TorchFix
TorchFix works on LibCST, which cannot parse these files at all.
""",
    examples=(
        Example(
            "for x, y in loader:\n    x = x.cuda(async=True)\n    y = y.cuda(async=True)\n",
            "for x, y in loader:\n    x = x.cuda(non_blocking=True)\n    y = y.cuda(non_blocking=True)\n",
            title="loader batches",
        ),
        Example(
            "print 'copying'\ndst.copy_(src, async=True)\nz = w.type(torch.cuda.FloatTensor, async=True)\n",
            "print 'copying'\ndst.copy_(src, non_blocking=True)\n"
            "z = w.type(torch.cuda.FloatTensor, non_blocking=True)\n",
            title="Python 2 file",
        ),
        Example(
            "job = pool.submit(work, async=True)\n",
            "job = pool.submit(work, non_blocking=True)\n",
            unsafe_fixes=True,
            title="unknown callee (unsafe)",
        ),
        Example(
            "def cuda(self, device=None, async=False):\n    return self\n",
            None,
            findings=("manual",),
            title="async as a parameter name",
        ),
        Example(
            "x = x.cuda(non_blocking=True)\ny = y.cuda(**{'async': True})\n",
            None,
            title="must not change",
        ),
    ),
    fixers=(AsyncKeywordFixer, AsyncNameFixer),
    tokens=("async",),
)
