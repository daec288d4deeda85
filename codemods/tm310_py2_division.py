"""TM310: integer ``/`` in Python 2 files changed meaning silently.

Python 2 floors ``a / b`` when both operands are ints (``7 / 2 == 3``);
Python 3 returns ``3.5``.  No fissix fixer handles it.  Every ``/`` and
``/=`` of a Python 2 file without ``from __future__ import division`` is
reported unless an operand is provably a float.  When both operands are
provably Python ints, ``//`` gives exactly Python 2's result and is offered
as an unsafe fix; otherwise the site is manual.
"""

from __future__ import annotations

from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods import analysis as A
from codemods._py2 import py2_info, py2_prefilter
from codemods.base import MANUAL, UNSAFE, Example, Rule, RuleFixer, enclosing_function

_ARITH = (syms.term, syms.arith_expr)


def _is_int_literal(leaf) -> bool:
    if leaf.type != token.NUMBER:
        return False
    v = leaf.value.lower()
    if v.startswith(("0x", "0o", "0b")):
        return True
    return not any(c in v for c in ".ej")


def _is_float_literal(leaf) -> bool:
    return leaf.type == token.NUMBER and not _is_int_literal(leaf)


def _call_of(node, name: str, bound: set) -> bool:
    return (
        node.type == syms.power
        and len(node.children) == 2
        and node.children[0].type == token.NAME
        and node.children[0].value == name
        and name not in bound
        and node.children[1].type == syms.trailer
        and node.children[1].children[0].type == token.LPAR
    )


class _Types:
    """Tiny per-function type facts: which names are provably Python ints."""

    def __init__(self, scope, bound: set):
        self.scope = scope
        self.bound = bound
        self._assigns: Optional[dict] = None
        self._pending: set = set()

    def _collect(self) -> dict:
        """name -> list of value nodes (None = a binding we cannot type)."""
        out: dict = {}
        for node in self.scope.pre_order():
            if node.type in (syms.funcdef, syms.classdef, syms.lambdef) and node is not self.scope:
                # names bound in nested scopes do not rebind ours, except via
                # global/nonlocal: be conservative and give up on those names
                for sub in node.pre_order():
                    if sub.type in (syms.global_stmt,):
                        for leaf in sub.leaves():
                            out.setdefault(leaf.value, []).append(None)
                continue
            if node.type == token.NAME and node.parent is not None:
                parent = node.parent
                if (
                    parent.type == syms.expr_stmt
                    and parent.children[0] is node
                    and len(parent.children) == 3
                ):
                    op = parent.children[1]
                    if op.type == token.EQUAL:
                        out.setdefault(node.value, []).append(parent.children[2])
                    elif isinstance(op, Leaf) and op.value in ("+=", "-=", "*=", "//=", "%="):
                        out.setdefault(node.value, []).append(parent.children[2])
                    else:
                        out.setdefault(node.value, []).append(None)
                elif parent.type == syms.for_stmt and parent.children[1] is node:
                    it = parent.children[3]
                    if _call_of(it, "range", self.bound) or _call_of(it, "xrange", self.bound):
                        out.setdefault(node.value, []).append("int")
                    else:
                        out.setdefault(node.value, []).append(None)
                elif _binds_otherwise(node):
                    out.setdefault(node.value, []).append(None)
        return out

    def name_is_int(self, name: str) -> bool:
        if self._assigns is None:
            self._assigns = self._collect()
        values = self._assigns.get(name)
        if not values:
            return False
        if name in self._pending:
            return True  # recursive definition (n = n + 1): decided by the others
        self._pending.add(name)
        try:
            return all(
                v == "int" or (v is not None and v != "int" and self.is_int(v)) for v in values
            )
        finally:
            self._pending.discard(name)

    def is_int(self, node) -> bool:
        if isinstance(node, Leaf):
            if node.type == token.NAME:
                return self.name_is_int(node.value)
            return _is_int_literal(node)
        if node.type == syms.atom and len(node.children) == 3 and node.children[0].value == "(":
            return self.is_int(node.children[1])
        if node.type == syms.factor and node.children[0].value in ("-", "+"):
            return self.is_int(node.children[1])
        if node.type in _ARITH:
            ops = node.children[1::2]
            if any(op.value not in ("+", "-", "*", "//", "%", "/") for op in ops):
                return False
            return all(self.is_int(c) for c in node.children[0::2])
        return _call_of(node, "len", self.bound) or _call_of(node, "int", self.bound)


def _binds_otherwise(leaf) -> bool:
    parent = leaf.parent
    pt = parent.type
    if pt in (syms.parameters, syms.typedargslist, syms.varargslist, syms.tname):
        return leaf.prev_sibling is None or leaf.prev_sibling.type != token.EQUAL
    if pt in (syms.with_item, syms.except_clause):
        return getattr(leaf.prev_sibling, "value", None) in ("as", ",")
    if pt in (syms.exprlist, syms.testlist_star_expr, syms.testlist_gexp):
        return True  # tuple targets (and some expressions: conservative)
    if pt in (
        syms.import_as_name,
        syms.dotted_as_name,
        syms.import_from,
        syms.import_as_names,
        syms.global_stmt,
    ):
        return True
    if pt == syms.comp_for:
        return True
    return False


def _is_float(node, bound: set) -> bool:
    """Provably a float (so Python 2's ``/`` was already true division)."""
    if isinstance(node, Leaf):
        return _is_float_literal(node)
    if node.type == syms.atom and len(node.children) == 3 and node.children[0].value == "(":
        return _is_float(node.children[1], bound)
    if node.type == syms.factor and node.children[0].value in ("-", "+"):
        return _is_float(node.children[1], bound)
    if node.type in _ARITH:
        ops = node.children[1::2]
        if all(op.value in ("+", "-", "*") for op in ops):
            return any(_is_float(c, bound) for c in node.children[0::2])
        return False
    if (
        node.type == syms.power
        and len(node.children) == 3
        and node.children[1].type == token.DOUBLESTAR
    ):
        return _is_float(node.children[0], bound)
    return _call_of(node, "float", bound)


def _attached(left, term):
    """``left`` with a parent, so that name lookups see its scope."""
    if left.parent is None:
        left.parent = term
    return left


def _left_operand(term: Node, idx: int):
    """The left operand of the operator at ``term.children[idx]``."""
    if idx == 1:
        return term.children[0]
    return Node(syms.term, [c.clone() for c in term.children[:idx]])


class IntDivisionFixer(RuleFixer):
    PATTERN = "term< any+ > | expr_stmt< any '/=' any >"
    TRIGGERS = frozenset({"/", "/="})

    def begin(self, ctx):
        super().begin(ctx)
        info = py2_info(ctx)
        self.info = info
        self._active = info.is_py2 and "division" not in info.future
        self.idle = not self._active

    def match(self, node):
        if not self._active:
            return False
        if node.type == syms.term and not any(c.type == token.SLASH for c in node.children[1::2]):
            return False
        return super().match(node)

    def _types(self, node) -> _Types:
        scope = enclosing_function(node) or self.ctx.tree
        key = ("tm310-types", id(scope))
        cache = self.ctx.cache
        hit = cache.get(key)
        if hit is None or hit.scope is not scope:
            hit = cache[key] = _Types(scope, self.info.bound)
        return hit

    def visit(self, node, results):
        bound = self.info.bound
        if node.type == syms.expr_stmt:
            op = node.children[1]
            pairs = [(op, node.children[0], node.children[2], "//=")]
        else:
            pairs = []
            for i in range(1, len(node.children), 2):
                op = node.children[i]
                if op.type == token.SLASH:
                    pairs.append((op, _left_operand(node, i), node.children[i + 1], "//"))
        for op, left, right, new_op in pairs:
            if _is_float(left, bound) or _is_float(right, bound):
                continue
            if A.is_float_value(self.ctx, _attached(left, node)) or A.is_float_value(
                self.ctx, right
            ):
                continue  # a float, a numpy float array or a float tensor: true division already
            lt = str(left).strip()
            rt = str(right).strip()
            types = self._types(node)
            if types.is_int(left) and types.is_int(right):
                self.report(
                    op,
                    f"`{lt} {op.value} {rt}`: both operands are Python ints, so Python 2 floored "
                    f"the result and Python 3 does not; `{new_op}` keeps Python 2's value",
                    UNSAFE,
                    fix=self._fix(op, new_op),
                    suggestion=f"{lt} {new_op} {rt}",
                )
            else:
                self.report(
                    op,
                    f"`{lt} {op.value} {rt}`: `/` changed meaning -- Python 2 floors it when both operands "
                    f"are ints (7 / 2 == 3), Python 3 returns a float (3.5). If both are ints, write "
                    f"`{lt} {new_op} {rt}`; if one is a float, nothing to do; for integer tensors see TM203",
                    MANUAL,
                    suggestion=f"{lt} {new_op} {rt}  # only if both operands are ints",
                )

    @staticmethod
    def _fix(op: Leaf, new_op: str):
        def fix():
            if op.parent is None or op.value == new_op:
                return False
            tok = token.DOUBLESLASH if new_op == "//" else token.DOUBLESLASHEQUAL
            op.replace(Leaf(tok, new_op, prefix=op.prefix))
            return True

        return fix


RULE = Rule(
    id="TM310",
    name="python2-integer-division",
    short="`/` between ints floors in Python 2 and is true division in Python 3",
    summary="`/` between ints floored in Python 2 and is true division in Python 3; report each `/` and `/=` of a Python 2 file.",
    why=(
        "Python 2 reached end of life in 2020 and torch 2.13 needs Python >= 3.10. In Python 2, `a / b` "
        "floors when both operands are ints; Python 3 (and Python 2 with `from __future__ import division`) "
        "returns a float. Nothing warns: `lr * 0.1 ** (epoch / 30)` changes the LR schedule, "
        "`x[len(x) / 2]` raises TypeError. No 2to3 fixer handles it."
    ),
    safety=MANUAL,
    doc="""
## What it does

In Python 2 files without `from __future__ import division`, reports each
`/` and `/=` unless an operand is provably a float (a float literal, a
`float(...)` call, or a `+`/`-`/`*` expression with one: `100. * correct / total`
is left alone).

## Fix safety

- Both operands provably Python ints (int literals, `len(...)`, `int(...)`,
  arithmetic of those, names that the enclosing function binds only to such
  values or as `for i in range(...)` targets): **unsafe** fix `//` -- exactly
  Python 2's result.  It is not safe because the proof is local (a name
  could still be rebound through `exec`, `globals()` or a nested scope).
- Anything else: **manual**.  The operands may be ints (write `//`), floats
  (nothing to do), or tensors/arrays: integer tensors are TM203's business,
  where `//` is *not* the right replacement (see TM204).

The findings only exist while the file is still Python 2: after migration the
file is Python 3, where `/` means true division, so a second run does not
report them again.  Fix them in the first pass (or keep the report).

## Differences from 2to3

2to3 has no division fixer (python-future's `fix_division_safe` has one).
"""
    + """
## When it runs

Only on Python 2 files (the TM3xx evidence: print statements, `xrange`,
`cPickle`, ...).  `--no-py2` turns it off.
""",
    examples=(
        Example(
            before=(
                "import numpy as np\nimport torch\nprint 'x'\ndef scale(n):\n"
                "    noise = np.random.randn(4, 3) / n\n    grid = np.zeros(3) / 2\n"
                "    w = torch.randn(3) / n\n    lr = 0.1\n    step = lr / n\n"
                "    return noise, grid, w, step\n"
            ),
            title="must not change (and not reported): float arrays, float tensors, floats",
        ),
        Example(
            before="print 'x'\nlr = base_lr * 0.1 ** (epoch / 30)\n",
            findings=("manual",),
            title="the LR-schedule idiom: manual",
        ),
        Example(
            before="print 'x'\ndef mid(xs):\n    n = len(xs)\n    return xs[n / 2]\n",
            after="print 'x'\ndef mid(xs):\n    n = len(xs)\n    return xs[n // 2]\n",
            unsafe_fixes=True,
            title="both operands provably ints (with --unsafe-fixes)",
        ),
        Example(
            before="print 'x'\ndef mid(xs):\n    n = len(xs)\n    return xs[n / 2]\n",
            findings=("unsafe",),
            title="both operands provably ints: unsafe",
        ),
        Example(
            before="print 'x'\nacc = 100. * correct / total\nhalf = float(n) / 2\n",
            title="float operands: must not change",
        ),
        Example(
            before="from __future__ import division\nprint 'x'\nhalf = n / 2\n",
            title="future division: must not change",
        ),
        Example(before="half = n / 2\n", title="Python 3 file: must not change"),
    ),
    fixers=(IntDivisionFixer,),
    prefilter=py2_prefilter,
)
