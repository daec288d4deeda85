"""TM112 removed-signatures: calls whose 0.3 signature is gone --
``probs.multinomial()`` without ``num_samples``,
``TensorDataset(data_tensor=x, target_tensor=y)``, and the internal
``module._backend`` / ``Variable._execution_engine`` objects."""

from __future__ import annotations

from fissix.pygram import python_symbols as syms

from codemods import analysis as A
from codemods._tm2common import CALL_PATTERN, iter_calls, text
from codemods.base import MANUAL, SAFE, UNSAFE, Example, Rule, RuleFixer, add_kwarg, parse_expr

_TENSOR_DATASETS = {"torch.utils.data.TensorDataset", "torch.utils.data.dataset.TensorDataset"}


class MultinomialFixer(RuleFixer):
    """``p.multinomial()`` / ``torch.multinomial(p)``: 0.3's ``num_samples=1``."""

    PATTERN = CALL_PATTERN
    TRIGGERS = frozenset({"multinomial"})

    def visit(self, node, results) -> None:
        ctx = self.ctx
        for call in iter_calls(ctx, node):
            if call.qual == "torch.multinomial":
                pos = [a for a in call.args if a.name is None and not a.star]
                if len(pos) != 1 or any(a.star for a in call.args):
                    continue
                if any(a.name == "num_samples" for a in call.args):
                    continue
                tensor = True
            elif call.method == "multinomial" and call.receiver:
                if any(a.name is None or a.star for a in call.args):
                    continue  # num_samples given positionally
                if any(a.name == "num_samples" for a in call.args):
                    continue
                tensor = A.chain_is_tensor(ctx, call.receiver) or _tensor_value(ctx, call.receiver)
            else:
                continue
            shown = text(node) if call.index == len(node.children) - 1 else "multinomial()"
            safety = SAFE if tensor else UNSAFE
            msg = (
                f"`{shown}`: `num_samples` had a default of 1 in PyTorch <= 0.3 and is required "
                "since 0.4 (TypeError); `num_samples=1` draws the same single sample"
            )
            if not tensor:
                msg += (
                    " (the receiver is not provably a tensor: check it is one, "
                    "e.g. not a numpy RandomState)"
                )
            trailer = call.trailer

            def fix(trailer=trailer):
                if "num_samples" in str(trailer):
                    return False
                add_kwarg(trailer, "num_samples", "1")
                return None

            self.report(node, msg, safety, fix=fix, suggestion="num_samples=1")


def _tensor_value(ctx, chain: list) -> bool:
    v = A.analysis(ctx).chain_value(chain)
    return v is not None and v.kind == "tensor"


class TensorDatasetFixer(RuleFixer):
    """``TensorDataset(data_tensor=x, target_tensor=y)`` -> ``TensorDataset(x, y)``."""

    PATTERN = CALL_PATTERN
    TRIGGERS = frozenset({"data_tensor", "target_tensor"})  # the keywords it rewrites

    def visit(self, node, results) -> None:
        ctx = self.ctx
        for call in iter_calls(ctx, node):
            if call.qual not in _TENSOR_DATASETS:
                continue
            names = [a.name for a in call.args]
            if not any(n in ("data_tensor", "target_tensor") for n in names):
                continue
            if any(a.star for a in call.args) or any(
                n not in (None, "data_tensor", "target_tensor") for n in names
            ):
                self.report(
                    node,
                    "`TensorDataset(data_tensor=..., target_tensor=...)` was replaced by "
                    "`TensorDataset(*tensors)` in PyTorch 0.4 (TypeError today): pass the data "
                    "tensor, then the target tensor, positionally",
                    MANUAL,
                )
                continue
            pos = [text(a.value) for a in call.args if a.name is None]
            by = {a.name: text(a.value) for a in call.args if a.name is not None}
            if pos and "data_tensor" in by:
                continue  # data given twice: a TypeError either way
            ordered = pos + [by[k] for k in ("data_tensor", "target_tensor") if k in by]
            new_args = ", ".join(ordered)
            trailer = call.trailer
            callee = call.callee or "TensorDataset"

            def fix(trailer=trailer, new_args=new_args):
                repl = parse_expr(f"f({new_args})").children[1]
                repl.remove()
                repl.prefix = trailer.prefix
                trailer.replace(repl)

            self.report(
                node,
                "`TensorDataset(data_tensor=..., target_tensor=...)` was replaced by "
                f"`TensorDataset(*tensors)` in PyTorch 0.4 (TypeError today): "
                f"`{callee}({new_args})` holds the same two tensors, in the same order "
                "(items are `(data, target)` pairs as before)",
                SAFE,
                fix=fix,
                suggestion=f"{callee}({new_args})",
            )


class InternalsFixer(RuleFixer):
    """``module._backend`` / ``x._execution_engine``: removed internals."""

    PATTERN = "trailer< '.' name=('_backend' | '_execution_engine') >"

    def visit(self, node, results) -> None:
        name = results["name"]
        name = (name[0] if isinstance(name, list) else name).value
        power = node.parent
        if power is None or power.type != syms.power:
            return
        idx = power.children.index(node)
        recv = power.children[:idx]
        rtxt = "".join(str(c) for c in recv).strip()
        if name == "_execution_engine":
            if recv and (
                (len(recv) == 1 and A.is_variable_ref(self.ctx, recv[0]))
                or A.chain_qualname(self.ctx, recv) in A.VARIABLE
            ):
                return  # ``Variable._execution_engine`` still exists on 2.13
            msg = (
                f"`{rtxt}._execution_engine`: tensors have no `_execution_engine` since 0.4 "
                "(only the `torch.autograd.Variable` class keeps it, as an internal); use "
                "`torch.autograd.backward(...)` / `torch.autograd.grad(...)`"
            )
        else:
            msg = (
                f"`{rtxt}._backend`: modules lost their `_backend` (THNN function table) in "
                "PyTorch 1.0 (AttributeError); call the layer's functional form "
                "(`torch.nn.functional.*`) or the module itself instead"
            )
        self.report(node, msg, MANUAL)


RULE = Rule(
    id="TM112",
    name="removed-signatures",
    short="0.3 call signature removed in 0.4 (`multinomial()`, `TensorDataset(data_tensor=)`)",
    summary="Calls whose 0.3 signature is gone: `multinomial()` without `num_samples`, "
    "`TensorDataset(data_tensor=, target_tensor=)`, `module._backend`/`._execution_engine`.",
    why="""
PyTorch 0.4 removed 0.3's call forms that real research code still uses:
`Variable.multinomial(num_samples=1)` had a default, now `num_samples` is
required (`TypeError: multinomial() missing 1 required positional arguments`);
`TensorDataset(data_tensor, target_tensor)` became `TensorDataset(*tensors)`
(`TypeError: ... unexpected keyword argument 'data_tensor'`).  The internal
`module._backend` (THNN) went away in 1.0, and tensors have no
`_execution_engine` (AttributeError on 2.13).
""",
    safety=SAFE,
    doc="""
## What it does
- `probs.multinomial()` (no positional argument, no `num_samples=`) and
  `torch.multinomial(probs)` -> `num_samples=1` added.
- `TensorDataset(data_tensor=x, target_tensor=y)` -> `TensorDataset(x, y)`.
- `module._backend` and `x._execution_engine` are reported (manual);
  `Variable._execution_engine` (the class attribute) still exists and is left
  alone.

## Fix safety
- `num_samples=1`: **safe** on provable tensors (0.3's default); **unsafe**
  when the receiver is not provably a tensor (a numpy `RandomState` has a
  `multinomial` with another signature).
- `TensorDataset`: **safe** (the same tensors in the same order; 0.3 indexed
  as `(data_tensor[i], target_tensor[i])`, which is what `TensorDataset(x, y)`
  returns); other keywords or `**kwargs` are reported.
- `_backend` / `_execution_engine`: **manual**, no mechanical replacement.

## Differences from TorchFix
TorchFix does not handle these 0.3 forms.
""",
    examples=(
        Example(
            before=(
                "import torch\n"
                "import torch.nn.functional as F\n"
                "def act(logits):\n"
                "    probs = F.softmax(logits, dim=1)\n"
                "    action = probs.multinomial()\n"
                "    other = torch.multinomial(probs)\n"
                "    return action, other\n"
            ),
            after=(
                "import torch\n"
                "import torch.nn.functional as F\n"
                "def act(logits):\n"
                "    probs = F.softmax(logits, dim=1)\n"
                "    action = probs.multinomial(num_samples=1)\n"
                "    other = torch.multinomial(probs, num_samples=1)\n"
                "    return action, other\n"
            ),
            title="multinomial without num_samples",
        ),
        Example(
            before=(
                "import torch\n"
                "from torch.utils.data import TensorDataset\n"
                "train = TensorDataset(data_tensor=torch.randn(8, 3), target_tensor=torch.zeros(8))\n"
            ),
            after=(
                "import torch\n"
                "from torch.utils.data import TensorDataset\n"
                "train = TensorDataset(torch.randn(8, 3), torch.zeros(8))\n"
            ),
            title="TensorDataset keywords",
        ),
        Example(
            before=(
                "import torch\n"
                "from torch.autograd import Variable\n"
                "func = self._backend.Linear()\n"
                "engine = param._execution_engine\n"
                "ok = Variable._execution_engine\n"
            ),
            findings=("manual", "manual"),
            title="removed internals are reported",
        ),
        Example(
            before=(
                "import numpy as np\n"
                "import torch\n"
                "rng = np.random.RandomState(0)\n"
                "counts = rng.multinomial(10, [0.5, 0.5])\n"
                "x = probs.multinomial(2)\n"
            ),
            title="must not change: numpy and explicit num_samples",
        ),
    ),
    fixers=(MultinomialFixer, TensorDatasetFixer, InternalsFixer),
    tokens=("multinomial", "data_tensor", "target_tensor", "_backend", "_execution_engine"),
)
