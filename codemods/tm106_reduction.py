"""TM106 size-average-reduce: loss ``size_average=``/``reduce=`` -> ``reduction=``.

Output style: the first legacy keyword is replaced in place by
``reduction='...'`` (single quotes), the other one is removed; an existing
``reduction=`` keyword gets the computed value instead.
"""

from __future__ import annotations

from codemods._tm1common import (
    CALL_PATTERN,
    UNKNOWN,
    function_call,
    literal,
    positional,
    set_arg_value,
    src,
)
from codemods.base import (
    MANUAL,
    SAFE,
    UNSAFE,
    Example,
    Rule,
    RuleFixer,
    kwarg,
    parse_expr,
    remove_arg,
)

# functional losses -> index of the positional `size_average` parameter
FUNCTIONAL = {
    "binary_cross_entropy": 3,
    "binary_cross_entropy_with_logits": 3,
    "cosine_embedding_loss": 4,
    "cross_entropy": 3,
    "hinge_embedding_loss": 3,
    "kl_div": 2,
    "l1_loss": 2,
    "margin_ranking_loss": 4,
    "mse_loss": 2,
    "multi_margin_loss": 5,
    "multilabel_margin_loss": 2,
    "multilabel_soft_margin_loss": 3,
    "nll_loss": 3,
    "poisson_nll_loss": 4,
    "smooth_l1_loss": 2,
    "soft_margin_loss": 2,
    "triplet_margin_loss": 7,
}
# loss modules -> index of the positional `size_average` parameter
MODULES = {
    "BCELoss": 1,
    "BCEWithLogitsLoss": 1,
    "CosineEmbeddingLoss": 1,
    "CrossEntropyLoss": 1,
    "HingeEmbeddingLoss": 1,
    "KLDivLoss": 0,
    "L1Loss": 0,
    "MSELoss": 0,
    "MarginRankingLoss": 1,
    "MultiLabelMarginLoss": 0,
    "MultiLabelSoftMarginLoss": 1,
    "MultiMarginLoss": 3,
    "NLLLoss": 1,
    "NLLLoss2d": 1,
    "PoissonNLLLoss": 2,
    "SmoothL1Loss": 0,
    "SoftMarginLoss": 0,
    "TripletMarginLoss": 4,
}


def _size_average_index(qualname: str):
    if qualname is None:
        return None
    mod, _, name = qualname.rpartition(".")
    if mod == "torch.nn.functional":
        return FUNCTIONAL.get(name)
    if mod in ("torch.nn", "torch.nn.modules.loss"):
        return MODULES.get(name)
    return None


def legacy_reduction(size_average, reduce) -> str:
    """``torch.nn._reduction.legacy_get_string`` (None means the default True)."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    if reduce:
        return "sum"
    return "none"


class ReductionFixer(RuleFixer):
    PATTERN = CALL_PATTERN
    TRIGGERS = frozenset(FUNCTIONAL) | frozenset(MODULES)

    def visit(self, node, results) -> None:
        call = function_call(self.ctx, node)
        if call is None:
            return
        index = _size_average_index(call.qualname)
        if index is None:
            return
        args = call.args
        sa = kwarg(args, "size_average")
        rd = kwarg(args, "reduce")
        red = kwarg(args, "reduction")
        name = call.callee
        kl = call.qualname.endswith(("kl_div", "KLDivLoss"))
        kl_note = (
            " (kept 'mean', the legacy element-wise average, not 'batchmean': the KL-divergence "
            "warning about 'mean' is expected)"
            if kl
            else ""
        )
        if sa is None and rd is None:
            if len(positional(args)) > index:
                self.report(
                    args[index].node,
                    f"`{name}` gets `size_average` (and maybe `reduce`) positionally; replace them "
                    "by `reduction=`: reduce=False -> 'none', else size_average=False -> 'sum', "
                    "else 'mean'",
                    MANUAL,
                )
                return
            if red is not None and literal(red.value) == "elementwise_mean":
                quote = src(red.value)[0]

                def fix_em(red=red, quote=quote):
                    set_arg_value(red, f"{quote}mean{quote}")

                self.report(
                    red.node,
                    "`reduction='elementwise_mean'` is deprecated: it is the same as 'mean'",
                    SAFE,
                    fix=fix_em,
                    suggestion="reduction='mean'",
                )
            return
        if any(a.star for a in args):
            return  # **kwargs might hold reduction: leave to the reader
        sa_val = UNKNOWN if sa is None else literal(sa.value)
        rd_val = UNKNOWN if rd is None else literal(rd.value)
        if sa is None:
            sa_val = None
        if rd is None:
            rd_val = None
        sa_known = sa_val is None or isinstance(sa_val, bool)
        rd_known = rd_val is None or isinstance(rd_val, bool)
        if rd_known and rd_val is False:
            value, safety = "'none'", SAFE
        elif sa_known and rd_known:
            value, safety = f"'{legacy_reduction(sa_val, rd_val)}'", SAFE
        else:
            safety = UNSAFE
            if sa_known:
                sa_part = f"'{legacy_reduction(sa_val, True)}'"
            else:
                sa_part = f"'mean' if {src(sa.value)} else 'sum'"
            if rd_known:
                value = sa_part
            else:
                if not sa_known:
                    sa_part = f"({sa_part})"
                value = f"{sa_part} if {src(rd.value)} else 'none'"
        first = sa if rd is None or (sa is not None and args.index(sa) < args.index(rd)) else rd
        other = rd if first is sa else sa
        legacy = ", ".join(f"{a.name}={src(a.value)}" for a in (sa, rd) if a is not None)
        if safety == SAFE:
            msg = f"`{legacy}` is deprecated: use `reduction={value}` (the same reduction){kl_note}"
        else:
            msg = (
                f"`{legacy}` is deprecated: use `reduction={value}`; check the variables: the "
                "legacy mapping is reduce=False -> 'none' (wins), size_average=False -> 'sum', "
                "otherwise 'mean', and a value of None meant True (the conditional above treats "
                f"None as False){kl_note}"
            )
        if red is not None:
            msg += "; the explicit `reduction=` was ignored by torch while the legacy keywords were given"

        def fix(first=first, other=other, red=red, value=value):
            if red is not None:
                set_arg_value(red, value)
                for a in (first, other):
                    if a is not None:
                        remove_arg(a)
                return None
            if other is not None:
                remove_arg(other)
            new = parse_expr(f"f(reduction={value})").children[1].children[1]
            new.remove()
            new.prefix = first.node.prefix
            first.node.replace(new)
            return None

        self.report(first.node, msg, safety, fix=fix, suggestion=f"reduction={value}")


RULE = Rule(
    id="TM106",
    name="size-average-reduce",
    short="`size_average=`/`reduce=` are deprecated: `reduction=`",
    summary="Replace the legacy `size_average=`/`reduce=` loss arguments by `reduction=`",
    why=(
        "PyTorch 0.4.1 replaced the `size_average` and `reduce` arguments of every loss "
        "(module and functional) by one string argument `reduction` ('none' | 'mean' | "
        "'sum'). 2.13 still accepts them and warns `size_average and reduce args will be "
        "deprecated, please use reduction='sum' instead.`; `reduction='elementwise_mean'` "
        "(0.4.1's spelling of 'mean') warns too."
    ),
    safety=SAFE,
    doc="""
## What it does
On loss constructors (`nn.CrossEntropyLoss(...)`, `nn.MSELoss(...)`, ...) and loss
functions (`F.nll_loss`, `F.cross_entropy`, `F.binary_cross_entropy(_with_logits)`,
`F.kl_div`, `F.mse_loss`, `F.l1_loss`, `F.smooth_l1_loss`, ...), resolved through the
imports, it replaces `size_average=`/`reduce=` by the equivalent `reduction=`, using
torch's own legacy mapping: `reduce=False` -> `'none'` (it wins over `size_average`),
otherwise `size_average=False` -> `'sum'`, otherwise `'mean'` (`None` means the default,
`True`). `reduction='elementwise_mean'` becomes `'mean'`.

## Fix safety
- Safe when the values are the literals `True`/`False`/`None` (or `reduce=False`,
  which decides alone): the same reduction by construction.
- Unsafe when a value is a variable: the rewrite spells out the mapping as a
  conditional (`reduction='mean' if size_average else 'sum'`), which reads `None` as
  false where torch read it as `True`; check the variable is a real bool.
- Manual when `size_average`/`reduce` are passed positionally.
- `F.kl_div`/`nn.KLDivLoss` stay on `'mean'` (the legacy element-wise average) even
  though torch then suggests `'batchmean'`: switching changes the loss value.
- When `reduction=` is given together with a legacy keyword, torch ignored `reduction`;
  the rewrite keeps that behaviour by overwriting it with the computed value.

## Differences from TorchFix
TorchFix has no rule for these arguments.
""",
    examples=(
        Example(
            before=(
                "import torch.nn as nn\n"
                "import torch.nn.functional as F\n"
                "crit = nn.CrossEntropyLoss(size_average=False)\n"
                "loss = F.nll_loss(out, y, size_average=False, reduce=False)\n"
                "kl = F.kl_div(logp, q, reduce=True)\n"
                "mse = F.mse_loss(a, b, reduction='elementwise_mean')\n"
            ),
            after=(
                "import torch.nn as nn\n"
                "import torch.nn.functional as F\n"
                "crit = nn.CrossEntropyLoss(reduction='sum')\n"
                "loss = F.nll_loss(out, y, reduction='none')\n"
                "kl = F.kl_div(logp, q, reduction='mean')\n"
                "mse = F.mse_loss(a, b, reduction='mean')\n"
            ),
            title="literal values (safe)",
        ),
        Example(
            before=("import torch.nn as nn\ncrit = nn.NLLLoss(weight=w, size_average=args.avg)\n"),
            after=("import torch.nn as nn\ncrit = nn.NLLLoss(weight=w, size_average=args.avg)\n"),
            findings=("unsafe",),
            title="a variable value: reported with the mapping",
        ),
        Example(
            before=("import torch.nn as nn\ncrit = nn.NLLLoss(weight=w, size_average=args.avg)\n"),
            after=(
                "import torch.nn as nn\n"
                "crit = nn.NLLLoss(weight=w, reduction='mean' if args.avg else 'sum')\n"
            ),
            unsafe_fixes=True,
            title="a variable value (with --unsafe-fixes)",
        ),
        Example(
            before=("import torch.nn.functional as F\nloss = F.nll_loss(out, y, None, False)\n"),
            findings=("manual",),
            title="positional size_average: reported",
        ),
        Example(
            before=(
                "from functools import reduce\n"
                "def my_loss(a, b, size_average=True):\n"
                "    return ((a - b) ** 2).mean() if size_average else ((a - b) ** 2).sum()\n"
                "l = my_loss(a, b, size_average=False)\n"
                "s = reduce(lambda u, v: u + v, xs)\n"
            ),
            title="a user function with the same keyword",
        ),
    ),
    fixers=(ReductionFixer,),
    tokens=("size_average", "reduce", "elementwise_mean", "loss", "Loss", "entropy", "kl_div"),
)
