"""TM108 functional-sigmoid-tanh: ``F.sigmoid(x)`` / ``F.tanh(x)`` ->
``torch.sigmoid(x)`` / ``torch.tanh(x)`` (``import torch`` added if missing).
"""

from __future__ import annotations

from codemods._tm1common import CALL_PATTERN, function_call, replace_callee
from codemods.base import SAFE, Example, Rule, RuleFixer, ensure_import

TARGETS = {
    "torch.nn.functional.sigmoid": "torch.sigmoid",
    "torch.nn.functional.tanh": "torch.tanh",
}


class SigmoidTanhFixer(RuleFixer):
    PATTERN = CALL_PATTERN

    def visit(self, node, results) -> None:
        call = function_call(self.ctx, node)
        if call is None:
            return
        new = TARGETS.get(call.qualname)
        if new is None:
            return
        tree = self.ctx.tree

        def fix(call=call, new=new):
            replace_callee(call, new)
            ensure_import(tree, "torch")

        self.report(
            call.name_leaf,
            f"`{call.callee}` is deprecated: use `{new}` (the same kernel)",
            SAFE,
            fix=fix,
            suggestion=new,
        )


RULE = Rule(
    id="TM108",
    name="functional-sigmoid-tanh",
    short="`F.sigmoid`/`F.tanh` are deprecated: `torch.sigmoid`/`torch.tanh`",
    summary="Use `torch.sigmoid`/`torch.tanh` instead of `F.sigmoid`/`F.tanh`",
    why=(
        "`torch.nn.functional.sigmoid` and `torch.nn.functional.tanh` were deprecated in "
        "0.4.1 in favour of `torch.sigmoid`/`torch.tanh`. 2.13 still provides them (the "
        "warning was dropped); they call the same kernel."
    ),
    safety=SAFE,
    doc="""
## What it does
Rewrites calls of `torch.nn.functional.sigmoid`/`tanh` (resolved through the imports:
`F.`, `nn.functional.`, `torch.nn.functional.`) to `torch.sigmoid`/`torch.tanh`, and adds
`import torch` when the file only has `from torch ... import` lines.

## Why is this bad
The functional aliases are documented as deprecated; low priority, since they still
work silently.

## Fix safety
Safe: both names compute the same function with the same kernel. The module classes
`nn.Sigmoid`/`nn.Tanh` are not affected.
""",
    examples=(
        Example(
            before=(
                "import torch\n"
                "import torch.nn.functional as F\n"
                "h = F.tanh(self.fc(x))\n"
                "p = F.sigmoid(h).mean()\n"
            ),
            after=(
                "import torch\n"
                "import torch.nn.functional as F\n"
                "h = torch.tanh(self.fc(x))\n"
                "p = torch.sigmoid(h).mean()\n"
            ),
        ),
        Example(
            before="from torch.nn import functional as F\ny = F.sigmoid(x)\n",
            after="from torch.nn import functional as F\nimport torch\ny = torch.sigmoid(x)\n",
            title="`import torch` is added when missing",
        ),
        Example(
            before=(
                "import numpy as np\n"
                "def sigmoid(x):\n"
                "    return 1 / (1 + np.exp(-x))\n"
                "y = sigmoid(x) + np.tanh(x)\n"
            ),
            title="other sigmoid/tanh functions",
        ),
    ),
    fixers=(SigmoidTanhFixer,),
    tokens=("sigmoid", "tanh"),
)
