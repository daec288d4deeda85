"""TM007 numpy-on-grad-tensor: ``x.data.cpu().numpy()`` ->
``x.detach().cpu().numpy()``; ``x.numpy()`` on a tensor that requires grad
-> ``x.detach().numpy()``."""

from __future__ import annotations

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods import _dotdata as D
from codemods import analysis as A
from codemods.base import SAFE, UNSAFE, Example, Rule, RuleFixer


def _detach_trailers() -> list:
    return [
        Node(syms.trailer, [Leaf(token.DOT, "."), Leaf(token.NAME, "detach")]),
        Node(syms.trailer, [Leaf(token.LPAR, "("), Leaf(token.RPAR, ")")]),
    ]


def _zero_dim_index(ctx, power) -> bool:
    """The chain ends in ``.numpy()[0]`` of a one-element value (TM003)."""
    last = power.children[-1]
    return A.is_index(last) and D.zero_dim_read(ctx, power, last) is not None


class DataNumpyFixer(RuleFixer):
    """``.data.numpy()`` / ``.data.cpu().numpy()`` / ``.cpu().data.numpy()``."""

    PATTERN = "trailer< '.' 'data' >"

    def visit(self, node: Node, results: dict) -> None:
        ctx = self.ctx
        site = D.site_of(node)
        if site is None or D.owner(site) != "TM007":
            return
        base, has_cpu, _n = D.numpy_chain(site)
        if _zero_dim_index(ctx, site.power):
            return  # ``loss.data.numpy()[0]`` of a one-element value: TM003's
        cpu_before = has_cpu and len(base) < len(site.recv)
        kind, _ = D.classify(ctx, base)
        if kind == D.OTHER:
            return
        btxt = D.text_of(base)
        cpu = ".cpu()" if has_cpu else ""
        old = f"{D.text_of(site.recv)}.data{'.cpu()' if has_cpu and not cpu_before else ''}.numpy()"
        drop = D.drop_data(kind, base)
        if drop:
            new, safety = f"{btxt}{cpu}.numpy()", SAFE
            why = f"`{btxt}` is plain data (no grad), so `.data` is the tensor itself"
        elif kind in (D.PLAIN, D.TENSOR):
            new, safety = f"{btxt}.detach(){cpu}.numpy()", SAFE
            why = f"`{btxt}` is a tensor"
        else:
            new, safety = f"{btxt}.detach(){cpu}.numpy()", UNSAFE
            why = (
                f"`{btxt}` is not provably a tensor; keep `.data` if it is a PackedSequence or an object "
                "with a `data` field"
            )
        msg = (
            f"`{old}` goes through the legacy `.data`; the modern spelling is `{new}` ({why}); "
            "`numpy()` raises on tensors that require grad"
        )

        def fix() -> None:
            power = site.power
            if node.parent is not power:
                return False
            idx = power.children.index(node)
            node.remove()
            if cpu_before:
                # B.cpu().data.numpy() -> B.detach().cpu().numpy()
                idx -= 2
            if not drop:
                for j, tr in enumerate(_detach_trailers()):
                    power.insert_child(idx + j, tr)
            return None

        self.report(node, msg, safety, fix=fix, suggestion=new)


class NumpyGradFixer(RuleFixer):
    """``x.numpy()`` / ``x.cpu().numpy()`` when ``x`` provably requires grad."""

    PATTERN = "trailer< '.' 'numpy' >"

    def visit(self, node: Node, results: dict) -> None:
        ctx = self.ctx
        power = node.parent
        if power is None or power.type != syms.power:
            return
        chain = A.chain_of(power)
        if node not in chain:
            return
        k = chain.index(node)
        if k + 1 >= len(chain) or not A.is_call(chain[k + 1]) or k == 0:
            return
        recv = chain[:k]
        cpu = len(recv) >= 3 and A.is_attr(recv[-2], "cpu") and A.is_call(recv[-1])
        base = recv[:-2] if cpu else recv
        if not base or A.is_attr(base[-1], "data"):
            return  # DataNumpyFixer's
        if _zero_dim_index(ctx, power):
            return  # ``loss.detach().numpy()[0]`` of a one-element value: TM003's
        if len(base) >= 2 and A.is_attr(base[-2], "detach"):
            return
        if A.is_attr(base[-1], "data"):
            return
        an = A.analysis(ctx)
        v = an.chain_value(base)
        if not (v is not None and v.kind == "tensor" and v.grad):
            return
        btxt = D.text_of(base)
        new = f"{btxt}.detach(){'.cpu()' if cpu else ''}.numpy()"
        msg = (
            f"`{D.text_of(chain[: k + 2])}` raises `RuntimeError: Can't call numpy() on Tensor that requires "
            f"grad` (`{btxt}` is a parameter, a model output or a tensor created with requires_grad): "
            f"use `{new}`"
        )
        n = len(base)

        def fix() -> None:
            if node.parent is not power:
                return False
            for j, tr in enumerate(_detach_trailers()):
                power.insert_child(n + j, tr)
            return None

        self.report(node, msg, SAFE, fix=fix, suggestion=new)


_WHY = """\
Since PyTorch 0.4 `numpy()` refuses tensors that require grad (2.13:
`RuntimeError: Can't call numpy() on Tensor that requires grad. Use
tensor.detach().numpy() instead.`).  0.3 code spelled the conversion
`x.data.numpy()` / `x.data.cpu().numpy()`, which still works but goes through
the legacy `.data`.
"""

_DOC = """\
## What it does
- `x.data.numpy()` -> `x.detach().numpy()`, `x.data.cpu().numpy()` and
  `x.cpu().data.numpy()` -> `x.detach().cpu().numpy()`; for plain data
  (a loader batch) `.data` is simply dropped.
- `x.numpy()` / `x.cpu().numpy()` where `x` provably requires grad (a
  parameter, a name bound to `Variable(..., requires_grad=True)` or
  `nn.Parameter`, a model output) -> `x.detach().numpy()`.

## Fix safety
- **safe** when the receiver is provably a tensor (or plain data).
- **unsafe** when the receiver is unknown: a PackedSequence or an object with
  a `data` field has no `.detach()`.
- `x.numpy()` on a receiver not known to require grad is not reported (it
  works).  Datasets/`args`/`self` receivers are never touched.

## Differences from TorchFix
As far as we know TorchFix has no rule for `numpy()` on tensors that
require grad.
"""

RULE = Rule(
    id="TM007",
    name="numpy-on-grad-tensor",
    short="`.numpy()` through `.data` (raises on tensors that require grad)",
    summary="Use `x.detach().numpy()` instead of `x.data.numpy()` / `numpy()` on tensors that require grad.",
    why=_WHY,
    safety=SAFE,
    doc=_DOC,
    examples=(
        Example(
            before=(
                "import torch.nn as nn\n"
                "model = nn.Linear(3, 2)\n"
                "out = model(x)\n"
                "a = out.data.cpu().numpy()\n"
                "b = out.cpu().data.numpy()\n"
                "c = out.numpy()\n"
                "for p in model.parameters():\n"
                "    print(p.numpy())\n"
            ),
            after=(
                "import torch.nn as nn\n"
                "model = nn.Linear(3, 2)\n"
                "out = model(x)\n"
                "a = out.detach().cpu().numpy()\n"
                "b = out.detach().cpu().numpy()\n"
                "c = out.detach().numpy()\n"
                "for p in model.parameters():\n"
                "    print(p.detach().numpy())\n"
            ),
            title="model outputs and parameters",
        ),
        Example(
            before=("def to_np(x):\n    return x.data.cpu().numpy()\n"),
            after=("def to_np(x):\n    return x.detach().cpu().numpy()\n"),
            unsafe_fixes=True,
            title="unknown receiver (unsafe) with --unsafe-fixes",
        ),
        Example(
            before=(
                "import numpy as np\n"
                "a = np.zeros(3)\n"
                "b = a.numpy() if hasattr(a, 'numpy') else a\n"
                "c = train_set.data.numpy()\n"
                "d = packed.data.cpu().numpy()\n"
            ),
            title="numpy arrays, datasets and PackedSequence",
        ),
        Example(
            before=("for x, y in loader:\n    arr = x.data.numpy()\n"),
            after=("for x, y in loader:\n    arr = x.numpy()\n"),
            title="plain loader batch",
        ),
    ),
    fixers=(DataNumpyFixer, NumpyGradFixer),
    tokens=("numpy",),
)
