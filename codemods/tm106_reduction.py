"""TM106 size-average-reduce: loss ``size_average=``/``reduce=`` -> ``reduction=``.

Output style: the first legacy keyword is replaced in place by
``reduction='...'`` (single quotes), the other one is removed; an existing
``reduction=`` keyword gets the computed value instead.
"""

from __future__ import annotations

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms

from codemods._tm1common import (
    CALL_PATTERN,
    UNKNOWN,
    function_call,
    literal,
    positional,
    set_arg_value,
    src,
)
from codemods.analysis import assignment_table, assignments_of
from codemods.base import (
    MANUAL,
    SAFE,
    UNSAFE,
    Example,
    Rule,
    RuleFixer,
    is_attr,
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


def _is_none(node) -> bool:
    return node.type == token.NAME and node.value == "None"


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
        if all(a is None or _is_none(a.value) for a in (sa, rd)):
            # ``size_average=None, reduce=None`` (0.4.1+ code spelling out the
            # defaults): torch takes the legacy path only when one of them is
            # not None, so ``reduction=`` (default 'mean') is what applies
            self._drop_none_defaults(sa, rd, red, args)
            return
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

    def _drop_none_defaults(self, sa, rd, red, args) -> None:
        given = [a for a in (sa, rd) if a is not None]
        first = min(given, key=args.index)
        legacy = ", ".join(f"{a.name}=None" for a in given)
        value = src(red.value) if red is not None else "'mean'"
        msg = (
            f"`{legacy}` is deprecated and selects nothing: torch applies the legacy keywords "
            f"only when one of them is not None, so `reduction={value}` "
            f"{'stands' if red is not None else '(the default) applies'}: drop `{legacy}`"
        )

        def fix(given=given):
            for a in given:
                remove_arg(a)
            return None

        self.report(
            first.node,
            msg,
            SAFE,
            fix=fix,
            suggestion=f"reduction={value}" if red is not None else "(no keyword)",
        )


# --------------------------------------------------------------------------
# ``crit.size_average = False`` after construction (issue 10, item 8)
# --------------------------------------------------------------------------
_LEGACY_ATTRS = ("size_average", "reduce")


def _loss_ctor(ctx, node):
    """The loss-module constructor call ``node`` is (a Call), or None."""
    if node is None or node.type != syms.power:
        return None
    call = function_call(ctx, node)
    if call is None or call.index != len(node.children) - 1:
        return None
    q = call.qualname or ""
    mod, _, name = q.rpartition(".")
    if mod not in ("torch.nn", "torch.nn.modules.loss") or name not in MODULES:
        return None
    return call


def _bound_loss(ctx, target: str, at):
    """The one constructor call bound to ``target`` (``crit`` or
    ``self.crit``), or None when it is bound zero or several times or to
    anything else."""
    if "." not in target:
        assigns = assignments_of(ctx, target, at)
    else:
        assigns = assignment_table(ctx)["attrs"].get(target)
    if not assigns or len(assigns) != 1 or assigns[0][0] != "=":
        return None
    return _loss_ctor(ctx, assigns[0][1])


def _attr_writes(ctx, target: str) -> dict:
    """attr -> [expr_stmt] of ``target.size_average = ...`` / ``target.reduce = ...``
    anywhere in the file, plus ``'read'`` -> [nodes] of other reads of them."""
    key = ("tm106.attrs", target)
    hit = ctx.cache.get(key)
    if hit is not None:
        return hit
    out: dict = {"size_average": [], "reduce": [], "read": []}
    for node in ctx.tree.pre_order():
        if node.type != syms.trailer or len(node.children) != 2 or node.children[0].value != ".":
            continue
        attr = node.children[1].value
        if attr not in _LEGACY_ATTRS:
            continue
        power = node.parent
        if power is None or power.type != syms.power or power.children[-1] is not node:
            continue
        recv = "".join(str(c).strip() for c in power.children[:-1])
        if recv != target:
            continue
        stmt = power.parent
        if (
            stmt is not None
            and stmt.type == syms.expr_stmt
            and len(stmt.children) == 3
            and stmt.children[0] is power
            and stmt.children[1].type == token.EQUAL
        ):
            out[attr].append(stmt)
        else:
            out["read"].append(power)
    ctx.cache[key] = out
    return out


class ReductionAttrFixer(RuleFixer):
    """``crit.size_average = False`` on a loss module: ignored since 0.4.1."""

    PATTERN = "expr_stmt< target=power< any* trailer< '.' attr=('size_average' | 'reduce') > > '=' value=any >"

    def visit(self, node, results) -> None:
        ctx = self.ctx
        target_node = results["target"]
        attr = results["attr"]
        attr = (attr[0] if isinstance(attr, list) else attr).value
        value = results["value"]
        recv = "".join(str(c).strip() for c in target_node.children[:-1])
        if not all(c.type == token.NAME or is_attr(c) for c in target_node.children[:-1]):
            return
        ctor = _bound_loss(ctx, recv, node)
        shown = f"{recv}.{attr} = {src(value)}"
        if ctor is None:
            if recv.split(".")[-1].lower().startswith(("crit", "loss")):
                self.report(
                    node,
                    f"`{shown}`: since PyTorch 0.4.1 loss modules read only `reduction`; assigning "
                    f"`{attr}` afterwards is silently ignored (the loss stays a mean). If "
                    f"`{recv}` is a loss module, set `{recv}.reduction` instead: reduce=False -> "
                    "'none', else size_average=False -> 'sum', else 'mean'",
                    MANUAL,
                )
            return
        writes = _attr_writes(ctx, recv)
        other = "reduce" if attr == "size_average" else "size_average"
        cls = ctor.qualname.rsplit(".", 1)[-1]
        base = (
            f"`{shown}` is silently ignored since PyTorch 0.4.1 ({cls} reads only `reduction`, so "
            f"the loss keeps the constructor's reduction)"
        )
        if writes[other] or writes["read"] or len(writes[attr]) > 1:
            why = (
                f"`{recv}.{other}` is also assigned"
                if writes[other]
                else (
                    f"`{recv}.{attr}` is assigned more than once"
                    if len(writes[attr]) > 1
                    else f"`{recv}.size_average`/`.reduce` is read elsewhere"
                )
            )
            self.report(
                node,
                f"{base}; set `{recv}.reduction` instead by the legacy mapping (reduce=False -> "
                f"'none', else size_average=False -> 'sum', else 'mean'); not rewritten because {why}",
                MANUAL,
            )
            return
        if any(a.star for a in ctor.args) or kwarg(ctor.args, "reduction") is not None:
            self.report(node, f"{base}; set `{recv}.reduction` instead", MANUAL)
            return
        index = _size_average_index(ctor.qualname)
        if index is not None and len(positional(ctor.args)) > index:
            self.report(node, f"{base}; set `{recv}.reduction` instead", MANUAL)
            return
        given = kwarg(ctor.args, other)
        other_val = None if given is None else literal(given.value)
        if other_val is not None and not isinstance(other_val, bool):
            self.report(node, f"{base}; set `{recv}.reduction` instead", MANUAL)
            return
        val = literal(value)
        if val is None or isinstance(val, bool):
            sa, rd = (val, other_val) if attr == "size_average" else (other_val, val)
            new_value = f"'{legacy_reduction(sa, rd)}'"
            safety = SAFE
        else:
            cond = src(value)
            if attr == "size_average":
                on, off = legacy_reduction(True, other_val), legacy_reduction(False, other_val)
            else:
                on, off = legacy_reduction(other_val, True), legacy_reduction(other_val, False)
            new_value = f"'{on}' if {cond} else '{off}'" if on != off else f"'{on}'"
            safety = UNSAFE
        new = f"{recv}.reduction = {new_value}"
        msg = (
            f"{base}: `{new}` is what 0.3/0.4 did with it (the legacy mapping with "
            f"`{other}` = {other_val if given is not None else 'its default, True'})"
        )
        if safety == UNSAFE:
            msg += "; the value is not a literal: check it is a real bool (None meant True)"

        def fix(node=node, new=new):
            repl = parse_expr(new)
            repl.prefix = node.prefix
            node.replace(repl)

        self.report(node, msg, safety, fix=fix, suggestion=new)


RULE = Rule(
    id="TM106",
    name="size-average-reduce",
    short="`size_average=`/`reduce=` are deprecated (and ignored as attributes): `reduction=`",
    summary="Replace the legacy `size_average=`/`reduce=` loss arguments and attributes by "
    "`reduction=`",
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
`True`). `reduction='elementwise_mean'` becomes `'mean'`. Torch takes that legacy path
only when one of the two is not None: code of 0.4.1+ that spells out
`size_average=None, reduce=None` next to `reduction='sum'` gets the sum, so the two
`None`s are dropped and `reduction=` stands (the default `'mean'` when absent).

Also `crit.size_average = False` / `crit.reduce = False` assigned after the loss module
was built (0.3 loss modules read these attributes on every call; since 0.4.1 only
`reduction` is read and the assignment is silently ignored, so the loss stays a mean):
when `crit` (a name or `self.crit`) is bound once, to a loss module constructor, the
assignment becomes `crit.reduction = '...'` by the same mapping, taking the other
attribute from the constructor's keywords (its default when absent).

## Fix safety
- Attribute assignments: safe for literal values; unsafe for variables (the mapping
  is spelled out as a conditional); manual when the receiver is not provably a loss
  module (only receivers named like `crit*`/`loss*` are reported), when both
  attributes or the same one several times are assigned, when the attributes are read
  elsewhere, or when the constructor takes `size_average`/`reduce` positionally or
  through `**kwargs`.
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
            before=(
                "import torch.nn as nn\n"
                "bce = nn.BCEWithLogitsLoss(weight=None, size_average=None, reduce=None,\n"
                "                           reduction='sum')\n"
                "nll = nn.NLLLoss(size_average=None)\n"
                "mse = nn.MSELoss(size_average=None, reduce=False, reduction='sum')\n"
            ),
            after=(
                "import torch.nn as nn\n"
                "bce = nn.BCEWithLogitsLoss(weight=None,\n"
                "                           reduction='sum')\n"
                "nll = nn.NLLLoss()\n"
                "mse = nn.MSELoss(reduction='none')\n"
            ),
            title="None spelled out (0.4.1+ code): `reduction=` stands unless a legacy keyword is set",
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
            before=(
                "import torch.nn as nn\n"
                "crit = nn.MSELoss()\n"
                "crit.size_average = False\n"
                "class Trainer(object):\n"
                "    def __init__(self, avg):\n"
                "        self.criterion = nn.CrossEntropyLoss()\n"
                "        self.criterion.size_average = avg\n"
            ),
            after=(
                "import torch.nn as nn\n"
                "crit = nn.MSELoss()\n"
                "crit.reduction = 'sum'\n"
                "class Trainer(object):\n"
                "    def __init__(self, avg):\n"
                "        self.criterion = nn.CrossEntropyLoss()\n"
                "        self.criterion.reduction = 'mean' if avg else 'sum'\n"
            ),
            unsafe_fixes=True,
            title="legacy attributes assigned after construction",
        ),
        Example(
            before=(
                "import torch.nn as nn\n"
                "crit = nn.MSELoss()\n"
                "crit.size_average = False\n"
                "crit.reduce = False\n"
                "loss_fn.size_average = False\n"
                "opts.size_average = False\n"
            ),
            findings=("manual", "manual", "manual"),
            unsafe_fixes=True,
            title="both attributes, or an unknown receiver: reported",
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
    fixers=(ReductionFixer, ReductionAttrFixer),
    tokens=("size_average", "reduce", "elementwise_mean", "loss", "Loss", "entropy", "kl_div"),
)
