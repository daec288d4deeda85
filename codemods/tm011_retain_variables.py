"""TM011 retain-variables: ``backward(retain_variables=X)`` -> ``retain_graph=X``."""

from __future__ import annotations

from fissix.pgen2 import token
from fissix.pytree import Leaf

from codemods.base import (
    MANUAL,
    SAFE,
    Example,
    Rule,
    RuleFixer,
    call_args,
    kwarg,
    select_method_pattern,
)


def _rename(leaf: Leaf):
    def fix() -> None:
        leaf.replace(Leaf(token.NAME, "retain_graph", prefix=leaf.prefix))

    return fix


class RetainVariablesFixer(RuleFixer):
    # any ``<expr>.backward(...)``: Tensor.backward, torch.autograd.backward,
    # autograd.backward
    PATTERN = select_method_pattern("backward")

    def visit(self, node, results) -> None:
        if "function_call" not in results:
            return
        call = results["function_parameters"]
        self._check(call)

    def _check(self, call) -> None:
        args = call_args(call)
        old = kwarg(args, "retain_variables")
        if old is None:
            return
        if kwarg(args, "retain_graph") is not None:
            self.report(
                old.node,
                "`retain_variables=` was removed in PyTorch 0.4 (TypeError on 2.13) and this call "
                "also passes `retain_graph=`: delete `retain_variables=`",
                MANUAL,
            )
            return
        value = str(old.value).strip()
        self.report(
            old.node,
            "`backward(retain_variables=...)` was renamed `retain_graph=` in PyTorch 0.2 and removed "
            "in 0.4 (TypeError on 2.13): same meaning, new name",
            SAFE,
            fix=_rename(old.node.children[0]),
            suggestion=f"retain_graph={value}",
        )


class BackwardFunctionFixer(RetainVariablesFixer):
    """``backward(loss, retain_variables=True)`` after
    ``from torch.autograd import backward``."""

    PATTERN = "power< name=NAME call=trailer< '(' any* ')' > >"

    def visit(self, node, results) -> None:
        name = results["name"]
        if (
            name.value != "backward"
            or self.ctx.imports.get("backward") != "torch.autograd.backward"
        ):
            return
        self._check(results["call"])


RULE = Rule(
    id="TM011",
    name="retain-variables",
    short="`retain_variables=` was removed in PyTorch 0.4: `retain_graph=`",
    summary="Rename `backward(retain_variables=...)` to `retain_graph=`.",
    why="""
`retain_variables=` of `Tensor.backward` and `torch.autograd.backward` was
renamed `retain_graph=` in PyTorch 0.2 and the old name was removed in 0.4.
On 2.13 it raises `TypeError: Tensor.backward() got an unexpected keyword
argument 'retain_variables'`.
""",
    safety=SAFE,
    doc="""
## What it does
Renames the keyword in any `.backward(...)` call (`loss.backward(...)`,
`torch.autograd.backward(...)`, `autograd.backward(...)`) and in
`backward(...)` imported from `torch.autograd`:
`loss.backward(retain_variables=True)` -> `loss.backward(retain_graph=True)`.

## Fix safety
**Safe**: the parameter kept its meaning, only its name changed, and the
legacy spelling cannot run on any PyTorch since 0.4.  A call that passes
both keywords is reported (**manual**): delete `retain_variables=`.
A positional second argument (`backward(None, True)`) already means
`retain_graph` and is left alone.

## Differences from TorchFix
TorchFix has no rule for this keyword.
""",
    examples=(
        Example(
            "loss.backward(retain_variables=True)\n",
            "loss.backward(retain_graph=True)\n",
            title="Tensor.backward",
        ),
        Example(
            "import torch\ntorch.autograd.backward([l1, l2], retain_variables=keep)\n",
            "import torch\ntorch.autograd.backward([l1, l2], retain_graph=keep)\n",
            title="autograd.backward",
        ),
        Example(
            "from torch.autograd import backward\nbackward(loss, retain_variables=True)\n",
            "from torch.autograd import backward\nbackward(loss, retain_graph=True)\n",
            title="imported function",
        ),
        Example(
            "loss.backward(retain_graph=True, retain_variables=True)\n",
            None,
            findings=("manual",),
            title="both keywords",
        ),
        Example(
            "loss.backward(retain_graph=True)\nloss.backward(None, True)\n"
            "def backward(x, retain_variables=False):\n    pass\nbackward(x, retain_variables=True)\n",
            None,
            title="must not change",
        ),
    ),
    fixers=(RetainVariablesFixer, BackwardFunctionFixer),
    tokens=("retain_variables",),
)
