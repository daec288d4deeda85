"""TM102 keepdim-default (report only): ``x - x.mean(1)``, ``x / x.sum(1)``,
``x - x.max(1)[0]``: a reduction over a non-leading dim combined with its own
unreduced input — 0.1.12 kept the reduced dim, 0.2+ drops it.
"""

from __future__ import annotations

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Node

from codemods._tm1common import is_call_trailer, is_dot_trailer, literal
from codemods.base import MANUAL, UNSAFE, Example, Rule, RuleFixer, add_kwarg, call_args

REDUCTIONS = {"sum", "mean", "max", "min", "prod", "std", "var", "norm", "logsumexp"}
TUPLE_REDUCTIONS = {"max", "min"}  # return (values, indices)
OPS = {"+", "-", "*", "/"}


def _reduction(node):
    """(receiver text, method, dim) for ``R.red(d)`` / ``R.red(d)[0]`` with a
    literal dim >= 1 and no keepdim, else None."""
    if node.type != syms.power:
        return None
    kids = node.children
    end = len(kids)
    if kids[-1].type == syms.trailer and kids[-1].children[0].type == token.LSQB:
        if str(kids[-1].children[1]).strip() != "0":
            return None
        end -= 1
    if end < 3 or not is_call_trailer(kids[end - 1]) or not is_dot_trailer(kids[end - 2]):
        return None
    meth = kids[end - 2].children[1].value
    if meth not in REDUCTIONS:
        return None
    if end != len(kids) and meth not in TUPLE_REDUCTIONS:
        return None
    if meth in TUPLE_REDUCTIONS and end == len(kids):
        return None  # x.max(1) alone is a (values, indices) tuple
    args = call_args(kids[end - 1])
    if any(a.name == "keepdim" or a.star for a in args):
        return None
    dim = None
    if meth == "norm":
        pos = [a for a in args if a.name is None]
        if len(pos) >= 2:
            dim = literal(pos[1].value)
    else:
        pos = [a for a in args if a.name is None]
        if pos:
            dim = literal(pos[0].value)
    for a in args:
        if a.name == "dim":
            dim = literal(a.value)
    if not isinstance(dim, int) or isinstance(dim, bool) or dim < 1:
        return None
    recv = "".join(str(c) for c in kids[: end - 2]).strip()
    return recv, meth, dim


class KeepdimFixer(RuleFixer):
    PATTERN = "arith_expr | term"
    TRIGGERS = frozenset(REDUCTIONS)

    def visit(self, node, results) -> None:
        kids = node.children
        for i in range(1, len(kids), 2):
            op = kids[i]
            if op.value not in OPS:
                continue
            left, right = kids[i - 1], kids[i + 1]
            for red_node, other in ((right, left), (left, right)):
                red = _reduction(red_node)
                if red is None:
                    continue
                recv, meth, dim = red
                if str(other).strip() != recv:
                    continue
                call = str(red_node).strip()
                self.report(
                    red_node,
                    f"`{call}` drops dim {dim} since 0.2 (0.1.12 kept it), so `{recv} {op.value} "
                    f"{call}` broadcasts against the wrong axis (or fails) for code written for "
                    f"0.1.12: pass `keepdim=True` to `{meth}` if the reduced dim should be kept",
                    MANUAL,
                    suggestion=f"{recv}.{meth}({dim}, keepdim=True)",
                )
                break


class ExpandKeepdimFixer(RuleFixer):
    """``x.norm(2, 1).expand_as(x)``: a reduction expanded back to its input's
    shape only works when the reduced dim was kept (0.1.12)."""

    PATTERN = "power< any trailer+ >"
    TRIGGERS = frozenset({"expand_as", "expand"})

    def visit(self, node, results) -> None:
        kids = node.children
        for j in range(2, len(kids) - 1):
            if not (
                is_dot_trailer(kids[j]) and kids[j].children[1].value in ("expand_as", "expand")
            ):
                continue
            if not is_call_trailer(kids[j + 1]):
                continue
            probe = Node(syms.power, [c.clone() for c in kids[:j]])
            red = _reduction(probe)
            if red is None or kids[j - 1].children[0].type == token.LSQB:
                continue
            recv, meth, dim = red
            call_trailer = kids[j - 1]
            expand = f".{kids[j].children[1].value}{str(kids[j + 1]).strip()}"
            old = "".join(str(c) for c in kids[: j + 2]).strip()
            self.report(
                node,
                f"`{old}`: `{meth}` over dim {dim} kept that dim in 0.1.12, so the result "
                f"expanded back to the input's shape; since 0.2 the dim is dropped and `{expand}` "
                f"raises a size mismatch (or, when sizes happen to agree, expands along the wrong "
                f"axis). `keepdim=True` restores the 0.1.12 result",
                UNSAFE,
                fix=self._fix(call_trailer),
                suggestion=f"{recv}.{meth}(..., keepdim=True){expand}",
            )
            return

    @staticmethod
    def _fix(call_trailer):
        def fix():
            if call_trailer.parent is None or "keepdim" in str(call_trailer):
                return False
            add_kwarg(call_trailer, "keepdim", "True")
            return None

        return fix


RULE = Rule(
    id="TM102",
    name="keepdim-default",
    short="reduction without `keepdim` broadcast back against its input (changed in 0.2)",
    summary="Report reductions broadcast back against their input without keepdim; add "
    "keepdim=True where a reduction is expanded back to its input's shape",
    why=(
        "In 0.1.12, reductions over a dimension (`x.sum(1)`, `x.mean(1)`, `x.max(1)`) kept it "
        "as size 1; 0.2.0 made `keepdim=False` the default, silently. Code written for 0.1.12 "
        "that combines the result with the unreduced input (`x - x.mean(1)`) now broadcasts "
        "against the last axis, or fails with a size mismatch."
    ),
    safety=MANUAL,
    doc="""
## What it does
Reports `+ - * /` between a tensor expression and a reduction of the *same* expression
over a literal dim >= 1 without `keepdim` (`x - x.mean(1)`, `x / x.sum(1)`,
`x - x.max(1)[0]`, `x / x.norm(2, 1)`).

## Limits
Only syntactically identical operands are matched; dim 0 is skipped because dropping
the leading dim broadcasts back the same way (so it is correct either way); negative
dims are skipped because their meaning depends on the rank.

Also `R.norm(2, 1).expand_as(R)` (any reduction above, `.expand_as(...)` or
`.expand(...)` applied directly to it): only a kept dim can be expanded back, so the code
was written for 0.1.12; `keepdim=True` is added.

## Fix safety
Manual for the arithmetic forms: only code written for 0.1.12 relied on the kept dim;
for such code the fix is `keepdim=True`, which the message spells out.  Unsafe for the
`expand_as`/`expand` form: since 0.2 it raises (or, when the sizes happen to agree,
expands along the wrong axis), and `keepdim=True` is exactly 0.1.12's result.
""",
    examples=(
        Example(
            before=("def normalize(x):\n    x = x - x.mean(1)\n    return x / x.norm(2, 1)\n"),
            findings=("manual", "manual"),
        ),
        Example(
            before="def softmax(x):\n    e = (x - x.max(1)[0]).exp()\n    return e / e.sum(1)\n",
            findings=("manual", "manual"),
            title="max(1)[0] and sum(1)",
        ),
        Example(
            before=(
                "import torch\n"
                "def l2_normalize(x):\n"
                "    norm = x.norm(2, 1).expand_as(x)\n"
                "    return x / (norm + 1e-8)\n"
            ),
            after=(
                "import torch\n"
                "def l2_normalize(x):\n"
                "    norm = x.norm(2, 1, keepdim=True).expand_as(x)\n"
                "    return x / (norm + 1e-8)\n"
            ),
            unsafe_fixes=True,
            title="a reduction expanded back to its input: keepdim=True (unsafe)",
        ),
        Example(
            before=(
                "def f(x, y):\n"
                "    a = x - x.mean(0)\n"
                "    b = x / x.sum(1, keepdim=True)\n"
                "    c = y - x.mean(1)\n"
                "    return a, b, c\n"
            ),
            title="dim 0, explicit keepdim, different operands",
        ),
    ),
    fixers=(KeepdimFixer, ExpandKeepdimFixer),
    tokens=("sum(", "mean(", "max(", "min(", "prod(", "std(", "var(", "norm(", "logsumexp("),
)
