"""Compare two traces step by step with dtype-aware tolerances.

A value ``new`` matches ``old`` when ``|old - new| <= atol + rtol * |old|`` elementwise
(NaNs match NaNs at the same place).  Default tolerances per dtype are in
``DEFAULT_TOLERANCES``; ``rtol``/``atol`` given by the user override them for every
floating dtype.  Integer and bool tensors must be equal.

Divergences (the first one is explained in the report): a loss that differs, a gradient
or parameter that differs, has another shape or dtype, or exists on one side only (a
gradient that is missing on one side and all zeros on the other is *not* a divergence:
pre-2.0 ``zero_grad`` left zeros where 2.x leaves ``None``; parameters tell whether it
mattered), and a different number of recorded steps.

Names are canonicalised first: weight-norm parametrisations
(``….parametrizations.weight.original0/1``) compare against ``….weight_g/_v``.
"""

from __future__ import annotations

import dataclasses
import math
import re

import torch

# dtype -> (rtol, atol).  float32: identical maths written differently (sum vs mean*n,
# fused vs unfused ops) differs by a few ulps, ~1e-7 relative; 1e-5 leaves room for
# accumulation over a few steps without hiding real changes (a wrong reduction or an
# off-by-one is >= 1e-3 relative).
DEFAULT_TOLERANCES: dict[torch.dtype, tuple[float, float]] = {
    torch.float64: (1e-10, 1e-12),
    torch.float32: (1e-5, 1e-6),
    torch.float16: (1e-3, 1e-5),
    torch.bfloat16: (1.6e-2, 1e-5),
}


@dataclasses.dataclass
class TensorDiff:
    kind: str  # "grad" | "param"
    name: str
    ok: bool
    max_abs: float = 0.0
    reason: str = ""  # for mismatches that are not numeric: missing / shape / dtype
    index: tuple[int, ...] | None = None
    old_value: float | None = None
    new_value: float | None = None
    old_shape: tuple[int, ...] | None = None
    new_shape: tuple[int, ...] | None = None
    rtol: float = 0.0
    atol: float = 0.0


@dataclasses.dataclass
class StepDiff:
    index: int
    old_loss: float | None
    new_loss: float | None
    loss_ok: bool
    grads: list[TensorDiff]
    params: list[TensorDiff]
    missing_side: str | None = None  # step present on one side only

    @property
    def ok(self) -> bool:
        return (
            self.missing_side is None
            and self.loss_ok
            and all(d.ok for d in self.grads)
            and all(d.ok for d in self.params)
        )

    def worst(self, kind: str) -> TensorDiff | None:
        diffs = self.grads if kind == "grad" else self.params
        if not diffs:
            return None
        return max(diffs, key=lambda d: (not d.ok, d.max_abs))

    def first_bad(self) -> TensorDiff | None:
        for d in self.grads + self.params:
            if not d.ok:
                return d
        return None


def tolerances(dtype: torch.dtype, rtol: float | None, atol: float | None) -> tuple[float, float]:
    if not (dtype.is_floating_point or dtype.is_complex):
        return 0.0, 0.0
    base = DEFAULT_TOLERANCES.get(dtype, DEFAULT_TOLERANCES[torch.float32])
    return (base[0] if rtol is None else rtol, base[1] if atol is None else atol)


def compare_tensors(
    kind: str,
    name: str,
    old: torch.Tensor | None,
    new: torch.Tensor | None,
    rtol: float | None,
    atol: float | None,
) -> TensorDiff:
    if old is None or new is None:
        present = old if old is not None else new
        if kind == "grad" and present is not None and not bool(present.any()):
            return TensorDiff(kind, name, True, reason="zeros vs None")
        side = "old" if old is not None else "new"
        return TensorDiff(
            kind,
            name,
            False,
            math.inf,
            reason=f"only on the {side} side",
            old_shape=None if old is None else tuple(old.shape),
            new_shape=None if new is None else tuple(new.shape),
        )
    d = TensorDiff(kind, name, True, old_shape=tuple(old.shape), new_shape=tuple(new.shape))
    if old.shape != new.shape:
        d.ok, d.max_abs, d.reason = False, math.inf, "shape differs"
        return d
    if old.dtype != new.dtype:
        d.ok, d.max_abs, d.reason = False, math.inf, f"dtype differs ({old.dtype} vs {new.dtype})"
        return d
    r, a = tolerances(old.dtype, rtol, atol)
    d.rtol, d.atol = r, a
    if old.numel() == 0:
        return d
    if old.dtype == torch.bool:
        o, n = old.to(torch.int8), new.to(torch.int8)
    else:
        o, n = old, new
    if o.is_complex():
        o, n = torch.view_as_real(o), torch.view_as_real(n)
    o64, n64 = o.double(), n.double()
    diff = (o64 - n64).abs()
    both_nan = torch.isnan(o64) & torch.isnan(n64)
    diff = torch.where(both_nan, torch.zeros_like(diff), diff)
    diff = torch.where(torch.isnan(diff), torch.full_like(diff, math.inf), diff)
    bound = a + r * o64.abs()
    bad = diff > bound
    flat = (diff - bound).flatten()
    worst = int(torch.argmax(flat)) if bool(bad.any()) else int(torch.argmax(diff.flatten()))
    d.max_abs = float(diff.max())
    d.ok = not bool(bad.any())
    idx = tuple(int(i) for i in torch.unravel_index(torch.tensor(worst), o.shape))
    d.index = idx
    d.old_value = float(o64.flatten()[worst])
    d.new_value = float(n64.flatten()[worst])
    return d


@dataclasses.dataclass
class TraceDiff:
    steps: list[StepDiff]
    old_count: int
    new_count: int

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps) and self.old_count == self.new_count

    def first_divergence(self) -> StepDiff | None:
        for s in self.steps:
            if not s.ok:
                return s
        return None


def _loss_ok(old: dict, new: dict, rtol: float | None, atol: float | None) -> bool:
    a, b = old["loss"], new["loss"]
    if math.isnan(a) and math.isnan(b):
        return True
    dtype = getattr(torch, old.get("loss_dtype", "float32"), torch.float32)
    if not isinstance(dtype, torch.dtype):
        dtype = torch.float32
    r, at = tolerances(dtype, rtol, atol)
    # a loss summed over several backward calls accumulates a little more rounding
    return abs(a - b) <= at + r * abs(a)


def compare_traces(
    old: dict, new: dict, rtol: float | None = None, atol: float | None = None
) -> TraceDiff:
    osteps, nsteps = old.get("steps", []), new.get("steps", [])
    out: list[StepDiff] = []
    for i in range(max(len(osteps), len(nsteps))):
        o = osteps[i] if i < len(osteps) else None
        n = nsteps[i] if i < len(nsteps) else None
        if o is None or n is None:
            out.append(
                StepDiff(
                    i,
                    None if o is None else o["loss"],
                    None if n is None else n["loss"],
                    False,
                    [],
                    [],
                    missing_side="new" if n is None else "old",
                )
            )
            continue
        o = dict(o, grads=_canon(o["grads"]), params=_canon(o["params"]))
        n = dict(n, grads=_canon(n["grads"]), params=_canon(n["params"]))
        grads = [
            compare_tensors("grad", k, o["grads"].get(k), n["grads"].get(k), rtol, atol)
            for k in _union(o["grads"], n["grads"])
        ]
        params = [
            compare_tensors("param", k, o["params"].get(k), n["params"].get(k), rtol, atol)
            for k in _union(o["params"], n["params"])
        ]
        out.append(StepDiff(i, o["loss"], n["loss"], _loss_ok(o, n, rtol, atol), grads, params))
    return TraceDiff(out, len(osteps), len(nsteps))


_WEIGHT_NORM = re.compile(r"\.parametrizations\.(\w+)\.original([01])$")


def canonical_name(name: str) -> str:
    """``X.parametrizations.weight.original0/1`` (2.x ``parametrizations.weight_norm``)
    is the same tensor as ``X.weight_g``/``X.weight_v`` (old ``nn.utils.weight_norm``)."""
    m = _WEIGHT_NORM.search(name)
    if m is None:
        return name
    return name[: m.start()] + "." + m.group(1) + ("_g" if m.group(2) == "0" else "_v")


def _canon(d: dict) -> dict:
    return {canonical_name(k): v for k, v in d.items()}


def _union(a: dict, b: dict) -> list[str]:
    keys = list(a)
    keys += [k for k in b if k not in a]
    return keys
