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
    TRIGGERS = frozenset({"async"})

    def visit(self, node, results) -> None:
        kw = results["kw"]
        if kw.value != "async" or node.children[0] is not kw:
            return
        trailer = node.parent
        if trailer is not None and trailer.type != syms.trailer:
            trailer = trailer.parent  # arglist
        if trailer is None or not A.is_call(trailer):
            # a decorator's or a class statement's keyword (``@register(async=
            # True)``, ``class A(Base, async=True)``): its callee is unknown
            head = None
        else:
            kids = trailer.parent.children
            idx = kids.index(trailer)
            head = kids[idx - 1]
        if head is not None and A.is_attr(head):
            callee = A.attr_name(head)
            known = callee in _TORCH_METHODS
            what = f"`{callee}` is not a known PyTorch method"
        elif head is not None and idx == 1 and head.type == token.NAME:
            callee = head.value
            known = _forwards_to_torch(self.ctx, head)
            what = (
                f"`{callee}` is not a function of this file that only passes its `**kwargs` "
                "on to PyTorch's `.cuda()`/`.type()`/`.copy_()`/`.to()`"
            )
        else:
            callee = "call"  # f()(async=...), fns[0](async=...): callee unknown
            known = False
            what = "the callee is not known"
        if known:
            safety = SAFE
            message = (
                f"`{callee}(async=...)`: `async` is a reserved word since Python 3.7 (the file "
                "does not even parse); PyTorch renamed the keyword `non_blocking=` in 0.4"
            )
            if not A.is_attr(head):
                message += f" (`{callee}` passes it on to PyTorch unchanged)"
        else:
            safety = UNSAFE
            message = (
                f"`{callee}(async=...)`: `async` is a reserved word since Python 3.7 (the file "
                f"does not parse); PyTorch's spelling is `non_blocking=`, but {what}: if it "
                "belongs to another library use that library's new spelling (often `async_=`)"
            )

        def fix() -> None:
            new = Leaf(token.NAME, "non_blocking", prefix=kw.prefix)
            kw.replace(new)

        suggestion = "non_blocking=..." if callee == "call" else f"{callee}(non_blocking=...)"
        self.report(node, message, safety, fix=fix, suggestion=suggestion)


def defs_node(root, name: str):
    """The top-level ``def name`` of the module ``root`` when there is exactly one."""
    defs = [c for c in root.children if c.type == syms.funcdef and c.children[1].value == name]
    return defs[0] if len(defs) == 1 else None


def _forwards_to_torch(ctx, name) -> bool:
    """Is the plain-name callee ``name`` this module's one top-level function
    (undecorated, bound nowhere else), whose ``**kwargs`` is used only as
    ``**kwargs`` of calls of PyTorch methods that took ``async=`` (fastai's
    ``def to_gpu(x, *args, **kwargs): return x.cuda(*args, **kwargs)``)?  Then
    ``f(x, async=True)`` meant ``x.cuda(async=True)``: ``non_blocking=``."""
    root = ctx.tree
    binds = A.bindings_of(ctx, name)
    if binds is None or len(binds) != 1 or binds is not A.scope_bindings(ctx, root).get(name.value):
        return False  # bound in an enclosing function, or more than once
    cur = name.parent
    while cur is not None and cur is not root:
        if cur.type == syms.lambdef and any(
            leaf.type == token.NAME and leaf.value == name.value
            for c in cur.children[1:-2]
            for leaf in c.leaves()
        ):
            return False  # a lambda's parameter
        if cur.type == syms.classdef:
            return False  # in a class body the name may be the class's own
        if cur.type == syms.funcdef:
            break  # (a method's body reads the module's name)
        cur = cur.parent
    the_def = defs_node(root, name.value)
    if the_def is None:
        return False  # decorated, conditional, or a class
    after_def = False
    for node in root.pre_order():
        if node is the_def:
            after_def = True
        if node.type == syms.global_stmt and any(
            k.type == token.NAME and k.value == name.value for k in node.children[1:]
        ):
            return False  # rebound through `global` somewhere
        if after_def and node.type == syms.import_from and node.children[-1].type == token.STAR:
            return False  # a star import after the def may rebind it
    params = the_def.children[2]
    star = None
    for leaf in params.leaves():
        if leaf.type == token.NAME and leaf.value in ("async", "non_blocking"):
            return False  # a parameter of that name takes the keyword: not forwarded
        prev = leaf.prev_sibling
        if leaf.type == token.NAME and prev is not None and prev.type == token.DOUBLESTAR:
            star = leaf.value
    if star is None:
        return False
    body = the_def.children[-1]
    uses = [leaf for leaf in body.leaves() if leaf.type == token.NAME and leaf.value == star]
    for leaf in uses:
        arg = leaf.parent
        if (
            arg is None
            or arg.type != syms.argument
            or arg.children[0].type != token.DOUBLESTAR
            or arg.children[1] is not leaf
        ):
            return False  # read, rebound or passed some other way
        trailer = arg.parent
        if trailer is not None and trailer.type == syms.arglist:
            trailer = trailer.parent
        if trailer is None or not A.is_call(trailer):
            return False
        kids = trailer.parent.children
        idx = kids.index(trailer)
        if not (A.is_attr(kids[idx - 1]) and A.attr_name(kids[idx - 1]) in _TORCH_METHODS):
            return False
    return bool(uses)


class AsyncNameFixer(RuleFixer):
    """``def cuda(self, async=False)`` / ``async = True``: no mechanical fix."""

    PATTERN = "NAME"
    TRIGGERS = frozenset({"async"})

    def visit(self, node, results) -> None:
        if node.value != "async":
            return
        parent = node.parent
        if parent is not None and parent.type == syms.argument and parent.children[0] is node:
            return  # a call keyword: AsyncKeywordFixer
        if parent is not None and parent.type == syms.trailer:
            self.report(
                node,
                "`.async` attribute: `async` is a reserved word since Python 3.7 and the file "
                "does not parse; use the new name the object's library gave it",
                MANUAL,
                short="`.async` attribute: a SyntaxError since Python 3.7; rename it",
            )
            return
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
**Safe** too for a plain call of a function of the same file that only
passes its `**kwargs` on to those methods (fastai's
`def to_gpu(x, *args, **kwargs): return x.cuda(*args, **kwargs)`, called as
`to_gpu(x, async=True)`): the keyword reaches `.cuda()` unchanged.  The
function must be defined once, at the top level, undecorated, and its
`**kwargs` used for nothing else.
**Unsafe** for any other callee (an unknown method, a function whose body
does something else with the keyword, `fns[0](async=...)`): the call is
certainly pre-3.7 code, but if it belongs to another library its own
renamed keyword (often `async_`) applies.  Every `async=` keyword is
reported, so a file that cannot compile never passes silently.  `async`
used as a parameter or variable name, or as an attribute (`obj.async`), is
reported (**manual**): renaming it means renaming every use.  `**{'async': True}`
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
            "def to_gpu(x, *args, **kwargs):\n"
            "    return x.cuda(*args, **kwargs) if USE_GPU else x\n"
            "\n"
            "def T(a):\n"
            "    return to_gpu(torch.as_tensor(a), async=True)\n",
            "def to_gpu(x, *args, **kwargs):\n"
            "    return x.cuda(*args, **kwargs) if USE_GPU else x\n"
            "\n"
            "def T(a):\n"
            "    return to_gpu(torch.as_tensor(a), non_blocking=True)\n",
            title="a wrapper of this file that passes **kwargs on to .cuda() (fastai's to_gpu)",
        ),
        Example(
            "def to_gpu(x, **kwargs):\n"
            "    log(kwargs)\n"
            "    return x.cuda(**kwargs)\n"
            "\n"
            "y = to_gpu(x, async=True)\n",
            None,
            findings=("unsafe",),
            title="a wrapper that also reads its **kwargs: unsafe",
        ),
        Example(
            "from utils import to_gpu\ny = to_gpu(x, async=True)\nz = fns[0](x, async=True)\n",
            None,
            findings=("unsafe", "unsafe"),
            title="a function this file does not define, an unknown callee: unsafe",
        ),
        Example(
            "import torch\nok = job.async\n",
            None,
            findings=("manual",),
            title="async as an attribute",
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
