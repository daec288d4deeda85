"""TM101 broadcasting (report only): element-wise losses whose input and
target provably have different ranks, e.g. ``F.mse_loss(out.view(-1, 1),
y.view(-1))`` — before 0.2 equal-numel tensors were compared element by
element; since 0.2 they broadcast ((N, 1) vs (N,) -> (N, N)).
"""

from __future__ import annotations

from codemods._tm1common import CALL_PATTERN, function_call, kwarg_value, positional
from codemods.analysis import rank_of
from codemods.base import MANUAL, Example, Rule, RuleFixer

LOSSES = {
    "torch.nn.functional." + n
    for n in (
        "mse_loss",
        "l1_loss",
        "smooth_l1_loss",
        "binary_cross_entropy",
        "binary_cross_entropy_with_logits",
        "soft_margin_loss",
        "huber_loss",
    )
}


class BroadcastLossFixer(RuleFixer):
    PATTERN = CALL_PATTERN

    def visit(self, node, results) -> None:
        call = function_call(self.ctx, node)
        if call is None or call.qualname not in LOSSES or any(a.star for a in call.args):
            return
        pos = positional(call.args)
        a = pos[0].value if len(pos) > 0 else kwarg_value(call.args, "input")
        b = pos[1].value if len(pos) > 1 else kwarg_value(call.args, "target")
        if a is None or b is None:
            return
        ra = rank_of(self.ctx, a, node)
        rb = rank_of(self.ctx, b, node)
        if ra is None or rb is None or ra == rb:
            return
        sa, sb = str(a).strip(), str(b).strip()
        self.report(
            call.name_leaf,
            f"`{call.callee}` gets a {ra}-D input (`{sa}`) and a {rb}-D target (`{sb}`): before 0.2 "
            "equal-numel tensors were compared element-wise, since 0.2 they broadcast (e.g. (N, 1) "
            "vs (N,) -> (N, N), a silently wrong loss; torch warns `Using a target size ... "
            "different to the input size`, binary_cross_entropy raises). Make the shapes equal, "
            f"e.g. `{sa}.view_as({sb})` or `{sb}.view_as({sa})`",
            MANUAL,
        )


RULE = Rule(
    id="TM101",
    name="broadcasting",
    short="element-wise loss on tensors of different ranks broadcasts since 0.2",
    summary="Report element-wise losses on tensors of provably different ranks",
    why=(
        "0.2.0 introduced NumPy-style broadcasting. Before it, point-wise operations on "
        "tensors with the same number of elements but different shapes worked as if both "
        "were 1-D. On 2.13, `(3, 1) * (3,)` silently gives `(3, 3)`, `(4,) + (2, 2)` raises "
        "`The size of tensor a (4) must match ...`, `mse_loss`/`l1_loss` warn `Using a target "
        "size ... that is different to the input size` and `binary_cross_entropy` raises "
        "ValueError."
    ),
    safety=MANUAL,
    doc="""
## What it does
Reports calls of the element-wise losses (`F.mse_loss`, `F.l1_loss`,
`F.smooth_l1_loss`, `F.binary_cross_entropy(_with_logits)`, `F.soft_margin_loss`) whose
input and target have ranks that differ *provably* (the same conservative, function-local
rank inference as TM103: `.view(-1, 1)` vs `.view(-1)`, tensor factories, outputs of
rank-preserving modules assigned in the class, ...).

## Limits
Shapes are not tracked across functions, through loops or branches, nor through loss
modules (`criterion = nn.MSELoss()`); only ranks are compared, so `(N, 1)` vs `(1, N)`
is not detected. Low recall by design: every report is a real shape mismatch.
General point-wise operators are not checked, because rank-changing broadcasting
(adding a bias, scaling by a per-row factor) is usually intended there.

## Fix safety
Manual: which of the two shapes is right depends on the model; the message suggests
`view_as`.
""",
    examples=(
        Example(
            before=(
                "import torch.nn.functional as F\n"
                "def loss_fn(pred, y):\n"
                "    return F.mse_loss(pred.view(-1, 1), y.view(-1))\n"
            ),
            findings=("manual",),
            title="(N, 1) vs (N,)",
        ),
        Example(
            before=(
                "import torch\n"
                "import torch.nn.functional as F\n"
                "def step(model, x, y):\n"
                "    out = model(x)\n"
                "    target = torch.zeros(8, 1)\n"
                "    t = target.view(-1)\n"
                "    return F.l1_loss(out.view(8, 1), t)\n"
            ),
            findings=("manual",),
            title="through local names",
        ),
        Example(
            before=(
                "import torch.nn.functional as F\n"
                "def loss_fn(pred, y):\n"
                "    a = F.mse_loss(pred, y)\n"
                "    b = F.mse_loss(pred.view(-1), y.view(-1))\n"
                "    return a + b\n"
            ),
            title="unknown or equal ranks",
        ),
    ),
    fixers=(BroadcastLossFixer,),
    tokens=("_loss", "binary_cross_entropy"),
)
