"""TM105 clip-grad-norm: ``clip_grad_norm(`` -> ``clip_grad_norm_(``.

Output style: only the name changes; ``from torch.nn.utils import
clip_grad_norm`` is rewritten together with every use of the name.
"""

from __future__ import annotations

from codemods._tm1common import CALL_PATTERN, ImportRename, function_call
from codemods.base import SAFE, Example, Rule, RuleFixer

QUALNAMES = {
    "torch.nn.utils.clip_grad_norm",
    "torch.nn.utils.clip_grad.clip_grad_norm",
}


class ClipCallFixer(RuleFixer):
    PATTERN = CALL_PATTERN

    def visit(self, node, results) -> None:
        call = function_call(self.ctx, node)
        if call is None or "." not in call.callee or call.qualname not in QUALNAMES:
            return
        leaf = call.name_leaf

        def fix(leaf=leaf):
            if leaf.value == "clip_grad_norm_":
                return False
            leaf.value = "clip_grad_norm_"

        self.report(
            leaf,
            f"`{call.callee}` is deprecated: use `{call.callee}_` (same clipping; it returns "
            "the total norm as a tensor, which 0.3 returned as a float)",
            SAFE,
            fix=fix,
            suggestion=call.callee + "_",
        )


class ClipImportFixer(ImportRename, RuleFixer):
    RENAMES = {"clip_grad_norm": "clip_grad_norm_"}
    MODULES = ("torch.nn.utils", "torch.nn.utils.clip_grad")
    WHAT = "same clipping"

    def visit(self, node, results) -> None:
        self.visit_import(node, results, SAFE)


RULE = Rule(
    id="TM105",
    name="clip-grad-norm",
    short="`clip_grad_norm` is deprecated: `clip_grad_norm_` is the same clipping",
    summary="Use `clip_grad_norm_` instead of the deprecated `clip_grad_norm`",
    why=(
        "PyTorch 0.4.0 renamed `torch.nn.utils.clip_grad_norm` to the in-place spelling "
        "`clip_grad_norm_`. 2.13 keeps the old name as a wrapper that emits a "
        "`FutureWarning` and forwards to `clip_grad_norm_`."
    ),
    safety=SAFE,
    doc="""
## What it does
Renames `clip_grad_norm(` to `clip_grad_norm_(` when the callee resolves through the
imports to `torch.nn.utils.clip_grad_norm` (`torch.nn.utils.`, `nn.utils.`,
`from torch.nn import utils`, `from torch.nn.utils import clip_grad_norm`, whose
import and uses are renamed together).

## Why is this bad
The old name warns on every call and is slated for removal.

## Fix safety
Safe: the wrapper forwards its arguments unchanged. Since 0.4 the returned total norm
is a 0-dim tensor where 0.3 returned a Python float; `'%.3f' % n`, comparisons and
arithmetic still work, `json.dumps(n)` does not (see TM006) — that is not caused by the
rename, the old name returns a tensor too. `clip_grad_value_` never had a name
without the underscore, so there is nothing to rename there.

## Differences from TorchFix
TorchFix does not handle this rename.
""",
    examples=(
        Example(
            before=(
                "import torch\n"
                "norm = torch.nn.utils.clip_grad_norm(model.parameters(), args.clip)\n"
            ),
            after=(
                "import torch\n"
                "norm = torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)\n"
            ),
        ),
        Example(
            before=(
                "import torch.nn as nn\n"
                "from torch.nn.utils import clip_grad_norm\n"
                "nn.utils.clip_grad_norm(params, 5)\n"
                "clip_grad_norm(params, max_norm=1.0)\n"
            ),
            after=(
                "import torch.nn as nn\n"
                "from torch.nn.utils import clip_grad_norm_\n"
                "nn.utils.clip_grad_norm_(params, 5)\n"
                "clip_grad_norm_(params, max_norm=1.0)\n"
            ),
            title="`nn.utils.` and a from-import",
        ),
        Example(
            before=(
                "from mytools import clip_grad_norm\n"
                "clip_grad_norm(params, 5)\n"
                "utils.clip_grad_norm(params, 5)\n"
            ),
            title="a function of the same name that is not torch's",
        ),
    ),
    fixers=(ClipCallFixer, ClipImportFixer),
    tokens=("clip_grad_norm",),
)
