"""TM202 type-promotion, TM203 integer-division, TM204 floor-divide.

One module because the three rules share the dtype analysis of
:func:`codemods.analysis.tensor_kind`: an operand counts as an integer
tensor only when the source proves it (``.long()``, ``torch.LongTensor``,
``.eq(...).sum()``, ``.max(1)[1]``, a name bound only to such values...).

Output style (TM203): ``a / b`` -> ``torch.div(a, b, rounding_mode='trunc')``;
``a.div(b)`` -> ``a.div(b, rounding_mode='trunc')``; ``a /= b`` ->
``a.div_(b, rounding_mode='trunc')``.  TM202 and TM204 only report.
"""

from __future__ import annotations

import re
from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Node

from codemods._tm2common import (
    CALL_PATTERN,
    detached_view,
    is_float_literal,
    is_int_literal,
    iter_calls,
    text,
)
from codemods.analysis import assignments_of, tensor_kind
from codemods.base import (
    FLOAT,
    MANUAL,
    UNSAFE,
    Example,
    Rule,
    RuleFixer,
    add_kwarg,
    ensure_import,
    parse_expr,
)

INTS = ("int", "bool")

_ARANGE = re.compile(r"\btorch\s*\.\s*(arange|range)\s*\(")
_INT_CAST = re.compile(r"\.\s*(long|int|short|byte|char)\s*\(\s*\)|\.type\s*\(|\.to\s*\(")


def _untyped_arange(ctx, node, depth: int = 0) -> bool:
    """Whether ``node``'s integer kind rests on a ``torch.arange``/``torch.range`` call
    without ``dtype=`` (and no integer cast after it).  0.1-0.3's ``arange`` returned a
    FloatTensor (``arange(0, 4) / 4`` was ``[0, .25, .5, .75]``); 0.4-1.4's a LongTensor
    (the same expression truncated): which one the author saw depends on the era, so such
    divisions are never rewritten (manual)."""
    if depth > 4 or node is None:
        return False
    src = str(node)
    m = _ARANGE.search(src)
    if m is not None:
        rest = src[m.end() :]
        if "dtype" not in rest.split(")")[0] and not _INT_CAST.search(rest):
            return True
    for leaf in node.leaves() if hasattr(node, "leaves") else ():
        if leaf.type == token.NAME:
            assigns = assignments_of(ctx, leaf.value, leaf) or []
            for op, rhs in assigns:
                if op in ("=", "+=") and rhs is not node and _untyped_arange(ctx, rhs, depth + 1):
                    return True
    return False


_ARANGE_MSG = (
    "the integer operand comes from `torch.arange` without a dtype: in 0.1-0.3 it was a "
    "FloatTensor, so `/` divided exactly (`torch.arange(0, 4) / 4` is `[0, .25, .5, .75]`); "
    "from 0.4 to 1.4 it was a LongTensor and `/` truncated. Keep `/` for 0.3-era code "
    "(pass dtype=torch.float32 to make it explicit), or use "
    "torch.div(..., rounding_mode='trunc') for code written against 0.4-1.4"
)


def _py_int(ctx, node) -> bool:
    """A provably integral Python number: int literal, len(...), a name bound only to int literals."""
    if is_int_literal(node):
        return True
    if node.type == syms.power and len(node.children) == 2 and text(node.children[0]) == "len":
        return True
    if node.type == token.NAME:
        assigns = assignments_of(ctx, node.value, node)
        return bool(assigns) and all(op == "=" and is_int_literal(rhs) for op, rhs in assigns)
    return False


def _kind(ctx, node) -> Optional[str]:
    """'int'/'bool'/'float'/'tensor' for tensors, 'pyint'/'pyfloat' for numbers."""
    k = tensor_kind(ctx, node)
    if k is not None:
        return k
    if _py_int(ctx, node):
        return "pyint"
    if is_float_literal(node):
        return "pyfloat"
    return None


def _combine(lk, op, rk) -> Optional[str]:
    if op in ("*", "+", "-", "%"):
        if lk in INTS and rk in INTS + ("pyint",) or rk in INTS and lk == "pyint":
            return "int"
        if lk in INTS and rk == "pyfloat" or rk in INTS and lk == "pyfloat":
            return "promoted"
        if "float" in (lk, rk) and (lk or rk):
            return (
                "float"
                if lk in ("float", "tensor", "pyint", "pyfloat", "int", "bool")
                and rk in ("float", "tensor", "pyint", "pyfloat", "int", "bool")
                else None
            )
        if lk == "pyint" and rk == "pyint":
            return "pyint"
        return "tensor" if lk in ("tensor",) or rk in ("tensor",) else None
    if op in ("/", "//"):
        if lk in INTS and (rk in INTS or rk == "pyint"):
            return "int"
        return "tensor" if lk in ("tensor", "float") or rk in ("tensor", "float") else None
    return None


def _partials(ctx, node):
    """For a term/arith_expr, yield (operator index, left kind, right node, right kind)."""
    kids = node.children
    lk = _kind(ctx, kids[0])
    for i in range(1, len(kids) - 1, 2):
        op = kids[i].value
        rk = _kind(ctx, kids[i + 1])
        yield i, lk, kids[i + 1], rk
        lk = _combine(lk, op, rk)


def _left_text(node, i) -> str:
    s = "".join(str(c) for c in node.children[:i])
    return s[len(node.children[0].prefix) :].strip()


# --------------------------------------------------------------------------
# TM202
# --------------------------------------------------------------------------
class PromotionFixer(RuleFixer):
    PATTERN = (
        "term< any* > | arith_expr< any* > | expr_stmt< any augassign=('*=' | '+=' | '-=') any >"
    )
    TRIGGERS = frozenset({FLOAT})

    def visit(self, node, results) -> None:
        if node.type == syms.expr_stmt:
            lk = tensor_kind(self.ctx, node.children[0])
            if lk in INTS and is_float_literal(node.children[2]):
                self.report(
                    node,
                    f"`{text(node)}`: {text(node.children[0])} is an integer tensor; before 1.3 the float "
                    "scalar was truncated and the result stayed integer, since 1.3 this raises `result "
                    "type Float can't be cast to the desired output type Long`. Decide whether to "
                    "convert the tensor to float first or to round the scalar",
                    MANUAL,
                )
            return
        for i, lk, right, rk in _partials(self.ctx, node):
            op = node.children[i].value
            if op not in ("*", "+", "-"):
                continue
            if (lk in INTS and rk == "pyfloat") or (rk in INTS and lk == "pyfloat"):
                left = _left_text(node, i)
                expr = f"{left} {op} {text(right)}"
                self.report(
                    node,
                    f"`{expr}` mixes an integer tensor with a float scalar: before 1.3 the result stayed "
                    "an integer tensor (the scalar truncated to an int), since 1.3 it is float. Code "
                    "written for 0.4-1.2 (e.g. `100. * correct / total` with a tensor `correct`) "
                    "silently changes from a truncated integer to a float result; with 0.3-era "
                    "Python-number accumulators the new float result is what the code meant. "
                    "Check which one the numbers in this line should be",
                    MANUAL,
                )
                return


# --------------------------------------------------------------------------
# TM203
# --------------------------------------------------------------------------
class TrueDivFixer(RuleFixer):
    PATTERN = "term< any* > | expr_stmt< any '/=' any >"
    TRIGGERS = frozenset({"/", "/="})

    def visit(self, node, results) -> None:
        if node.type == syms.expr_stmt:
            self._augassign(node)
            return
        for i, lk, right, rk in _partials(self.ctx, node):
            if node.children[i].value != "/" or lk not in INTS:
                continue
            left = _left_text(node, i)
            if any(_untyped_arange(self.ctx, c) for c in node.children[:i]):
                self.report(
                    node,
                    f"`{left} / {text(right)}`: {_ARANGE_MSG}",
                    MANUAL,
                    suggestion=f"torch.div({left}, {text(right)}, rounding_mode='trunc')",
                )
            elif rk in INTS or rk == "pyint":
                new = f"torch.div({left}, {text(right)}, rounding_mode='trunc')"
                self._replace_prefix(node, i, new)
            else:
                self.report(
                    node,
                    f"`{left} / {text(right)}`: {left} is an integer tensor, which `/` truncated before "
                    "1.5 (true division since 1.7). The divisor is not provably an integer (before 1.3 "
                    "a float scalar was truncated too): use torch.div(a, b, rounding_mode='trunc') "
                    "for the old integer result, or keep `/` if a float result was intended",
                    MANUAL,
                    suggestion=f"torch.div({left}, {text(right)}, rounding_mode='trunc')",
                )
            return

    def _replace_prefix(self, node, i, new) -> None:
        tree = self.ctx.tree

        def build(node=node, i=i, new=new):
            head = parse_expr(new)
            rest = [c.clone() for c in node.children[i + 2 :]]
            if not rest:
                return head
            return Node(syms.term, [head] + rest)

        def fix(node=node, build=build, tree=tree):
            repl = build()
            repl.prefix = node.prefix
            node.replace(repl)
            ensure_import(tree, "torch")

        self.report(
            node,
            "`/` on an integer tensor truncated before PyTorch 1.5 (deprecated 1.5, error 1.6, true "
            "division since 1.7): torch.div(..., rounding_mode='trunc') keeps the old integer result "
            "(not `//`, which floors negative values since 1.13)",
            UNSAFE,
            fix=fix,
            suggestion=str(build()).strip(),
        )

    def _augassign(self, node) -> None:
        target, value = node.children[0], node.children[2]
        lk = tensor_kind(self.ctx, target)
        if lk not in INTS:
            return
        t = text(target)
        if _untyped_arange(self.ctx, target):
            self.report(node, f"`{t} /= ...`: {_ARANGE_MSG}", MANUAL)
            return
        if target.type == token.NAME and (_kind(self.ctx, value) in INTS + ("pyint",)):
            new = f"{t}.div_({text(value)}, rounding_mode='trunc')"

            def fix(node=node, new=new):
                repl = parse_expr(new)
                repl.prefix = node.prefix
                node.replace(repl)

            self.report(
                node,
                f"`{t} /= ...` on an integer tensor truncated before 1.5 and raises since 1.6 "
                "(`result type Float can't be cast to the desired output type Long`): "
                "div_(..., rounding_mode='trunc') keeps the old in-place integer result",
                UNSAFE,
                fix=fix,
                suggestion=new,
            )
            return
        self.report(
            node,
            f"`{t} /= ...` on an integer tensor raises since 1.6: use "
            f"`{t}.div_(..., rounding_mode='trunc')` for the old truncating result (the divisor is not provably an integer)",
            MANUAL,
        )


class DivMethodFixer(RuleFixer):
    PATTERN = CALL_PATTERN
    TRIGGERS = frozenset({"div", "div_"})

    def visit(self, node, results) -> None:
        for site in iter_calls(self.ctx, node):
            if any(a.name == "rounding_mode" or a.star for a in site.args):
                continue
            if site.qual == "torch.div" and site.callee and len(site.args) == 2:
                a_kind = tensor_kind(self.ctx, site.args[0].value)
                b_node = site.args[1].value
            elif site.method in ("div", "div_") and site.receiver and len(site.args) == 1:
                if site.callee and site.callee.split(".")[0] in self.ctx.imports:
                    continue
                recv = site.receiver
                rnode = recv[0] if len(recv) == 1 else detached_view(recv, node)
                a_kind = tensor_kind(self.ctx, rnode)
                b_node = site.args[0].value
            else:
                continue
            b_kind = _kind(self.ctx, b_node)
            trailer = site.trailer
            a_node = site.args[0].value if site.qual == "torch.div" else node
            if a_kind in INTS and _untyped_arange(
                self.ctx,
                a_node
                if site.qual == "torch.div"
                else (site.receiver[0] if site.receiver else None),
            ):
                self.report(node, f"`{text(node)}`: {_ARANGE_MSG}", MANUAL)
                continue
            if a_kind in INTS and b_kind in INTS + ("pyint",):

                def fix(trailer=trailer):
                    if "rounding_mode" in str(trailer):
                        return False
                    add_kwarg(trailer, "rounding_mode", "'trunc'")

                self.report(
                    node,
                    f"`{site.callee or site.method}` on an integer tensor truncated before 1.5 and is true "
                    "division since 1.7"
                    + (" (in place it raises)" if site.method == "div_" else "")
                    + ": rounding_mode='trunc' keeps the old integer result",
                    UNSAFE,
                    fix=fix,
                )
            elif a_kind is None and b_kind == "pyint" and site.method in ("div", "div_"):
                self.report(
                    node,
                    f"`{text(node)}`: if the receiver is an integer tensor (e.g. a ByteTensor image), "
                    "div by an integer truncated before 1.5 and is true division since 1.7; add "
                    "rounding_mode='trunc' to keep the old result, or convert to float first",
                    MANUAL,
                )


# --------------------------------------------------------------------------
# TM204
# --------------------------------------------------------------------------
class FloorDivFixer(RuleFixer):
    PATTERN = "term< any* > | expr_stmt< any '//=' any >"
    TRIGGERS = frozenset({"//", "//="})

    def visit(self, node, results) -> None:
        if node.type == syms.expr_stmt:
            if tensor_kind(self.ctx, node.children[0]) is not None:
                self.report(
                    node,
                    _MSG
                    + f" Use `{text(node.children[0])}.div_(..., rounding_mode='trunc')` for the old result.",
                    MANUAL,
                )
            return
        for i, lk, right, rk in _partials(self.ctx, node):
            if node.children[i].value != "//":
                continue
            if lk in INTS + ("float", "tensor") or rk in INTS + ("float", "tensor"):
                left = _left_text(node, i)
                self.report(
                    node,
                    _MSG
                    + f" Old result: `torch.div({left}, {text(right)}, rounding_mode='trunc')`.",
                    MANUAL,
                    suggestion=f"torch.div({left}, {text(right)}, rounding_mode='trunc')",
                )
                return


class FloorDivideCallFixer(RuleFixer):
    PATTERN = CALL_PATTERN
    TRIGGERS = frozenset({"floor_divide", "floor_divide_"})

    def visit(self, node, results) -> None:
        for site in iter_calls(self.ctx, node):
            if site.qual == "torch.floor_divide" or site.is_method(
                self.ctx, ("floor_divide", "floor_divide_")
            ):
                self.report(
                    node,
                    _MSG + " Use torch.div(a, b, rounding_mode='trunc') for the old result.",
                    MANUAL,
                )


_MSG = (
    "`//` / floor_divide on tensors truncated toward zero before PyTorch 1.13 and floors since "
    "(-7 // 2 was -3, is -4): results differ silently for negative operands."
)


_PROMO_DOC = """
## What it does
Reports arithmetic that mixes a provably integer tensor with a float literal
(`int_t * 0.5`, `100. * correct` where `correct` accumulated
`pred.eq(y).sum()`), and in-place `int_t *= 0.5`.

## Why is this bad
Before 1.3, `int_tensor * 0.5` kept the integer dtype (the scalar was
truncated); since 1.3 the result is float and `int_t *= 0.5` raises.  Accuracy
lines such as `100. * correct / total` silently change from an integer
percentage (0.4-1.2 code, `correct` a 0-dim LongTensor) to a float one.

## Fix safety
`manual`: whether the old truncation was intended cannot be decided
mechanically (for 0.3-era code, where `.sum()` returned a Python number, the
new float result is what the code meant).

## Differences from TorchFix
TorchFix has no type-promotion rule.
"""

_DIV_DOC = """
## What it does
`a / b`, `a.div(b)`, `torch.div(a, b)` and `a /= b` where `a` is provably an
integer tensor and `b` an integer (tensor, literal, `len(...)`) become
`torch.div(a, b, rounding_mode='trunc')` / `a.div(b, rounding_mode='trunc')` /
`a.div_(b, rounding_mode='trunc')`.

## Why is this bad
Integer tensor division truncated until 1.5, was an error in 1.6 and is true
division since 1.7: `tensor([5, 3]) / 2` is now `[2.5, 1.5]`; `a /= 2` raises.

## Fix safety
`unsafe` (REVIEW) when both dtypes are proven: `rounding_mode='trunc'`
reproduces the old values exactly (checked with real torch, negative values
included).  `manual` when the divisor may be a float (before 1.3 a float scalar
was truncated too) or `.div(<int>)` is called on a receiver of unknown dtype.
Never `//`, which floors since 1.13 (TM204).

## Differences from TorchFix
TorchFix has no integer-division rule.
"""

_FLOOR_DOC = """
## What it does
Reports `//`, `//=` and `torch.floor_divide` on operands that are provably
tensors.

## Why is this bad
Before 1.13 they truncated toward zero; since 1.13 they floor, like Python.
Results differ silently for negative operands (`-7 // 2`: -3 then, -4 now).

## Fix safety
`manual`: for non-negative operands (sizes, indices) nothing changed and `//`
is the right spelling; only the author knows.  The message gives
`torch.div(a, b, rounding_mode='trunc')` for the old behaviour.

## Differences from TorchFix
TorchFix has no floor-division rule.
"""

RULES = (
    Rule(
        id="TM202",
        name="type-promotion",
        short="integer tensor with a float scalar: integer result before 1.3, float since",
        summary="Integer tensor mixed with a float scalar: integer result before 1.3, float since",
        why=(
            "PyTorch 1.3 introduced type promotion: `int_tensor * 0.5` used to stay integer with "
            "the scalar truncated and is float now; `int_tensor *= 0.5` now raises `result type "
            "Float can't be cast to the desired output type Long`."
        ),
        safety=MANUAL,
        doc=_PROMO_DOC,
        examples=(
            Example(
                before=(
                    "correct = 0\nfor x, y in loader:\n    pred = model(x).max(1)[1]\n"
                    "    correct += pred.eq(y).sum().long()\nacc = 100. * correct / total\n"
                ),
                findings=("manual",),
                title="accuracy percentage with a tensor count",
            ),
            Example(
                before="import torch\nidx = torch.LongTensor([1, 2])\nidx *= 0.5\n",
                findings=("manual",),
                title="in-place promotion now raises",
            ),
            Example(
                before="correct = 0\nfor x, y in loader:\n    correct += 1\nacc = 100. * correct / total\n",
                title="Python numbers: nothing to report",
            ),
        ),
        fixers=(PromotionFixer,),
        tokens=("*", "+", "-"),
    ),
    Rule(
        id="TM203",
        name="integer-division",
        short="`/` on integer tensors truncated before 1.5 and divides since 1.7",
        summary="`/` on integer tensors truncated before 1.5: use `torch.div(..., rounding_mode='trunc')`",
        why=(
            "Integer tensor division with `/` and `div` truncated until PyTorch 1.5 (warning), "
            "was an error in 1.6 and is true division since 1.7; `a /= 2` and `a.div_(2)` on "
            "integer tensors raise a cast error."
        ),
        safety=UNSAFE,
        doc=_DIV_DOC,
        examples=(
            Example(
                before=(
                    "import torch\nhits = torch.zeros(10).long()\ntotal = torch.zeros(10).long()\n"
                    "pct = hits * 100 / total\n"
                ),
                after=(
                    "import torch\nhits = torch.zeros(10).long()\ntotal = torch.zeros(10).long()\n"
                    "pct = torch.div(hits * 100, total, rounding_mode='trunc')\n"
                ),
                unsafe_fixes=True,
                title="integer tensors on both sides",
            ),
            Example(
                before="import torch\nidx = torch.LongTensor([5, 3])\nidx /= 2\n",
                after="import torch\nidx = torch.LongTensor([5, 3])\nidx.div_(2, rounding_mode='trunc')\n",
                unsafe_fixes=True,
                title="in-place division",
            ),
            Example(
                before="import torch\nidx = torch.LongTensor([5, 3])\nr = idx / scale\n",
                findings=("manual",),
                title="divisor of unknown type",
            ),
            Example(
                before="import torch\nx = torch.randn(3)\ny = x / 2\nz = n / 2\n",
                title="float tensor / unknown operands: untouched",
            ),
            Example(
                before="import torch\nw = torch.arange(0, 4) / 4\nidx = torch.arange(0, 8)\nhalf = idx / 2\n",
                findings=("manual", "manual"),
                unsafe_fixes=True,
                title="arange without dtype: float in 0.3, long in 0.4-1.4 -- never rewritten",
            ),
        ),
        fixers=(TrueDivFixer, DivMethodFixer),
        tokens=("/", "div"),
    ),
    Rule(
        id="TM204",
        name="floor-divide-semantics",
        short="`//` on tensors truncated before 1.13 and floors since",
        summary="`//` / `floor_divide` on tensors truncated before 1.13 and floors since",
        why=(
            "PyTorch 1.13 changed `torch.floor_divide` and `//` on tensors from truncation to "
            "floor rounding (`-7 // 2` was -3 and is -4), silently for negative values."
        ),
        safety=MANUAL,
        doc=_FLOOR_DOC,
        examples=(
            Example(
                before="import torch\nhalf = torch.LongTensor([n]) // 2\n",
                findings=("manual",),
                title="tensor floor division",
            ),
            Example(
                before="import torch\nq = torch.floor_divide(a, b)\n",
                findings=("manual",),
                title="torch.floor_divide",
            ),
            Example(
                before="import torch\nmid = x.size(0) // 2\n",
                title="Python ints: untouched",
            ),
        ),
        fixers=(FloorDivFixer, FloorDivideCallFixer),
        tokens=("//", "floor_divide"),
    ),
)
