"""Compare two traces with dtype-aware tolerances, incrementally.

A value ``new`` matches ``old`` when ``|old - new| <= atol + rtol * |old|`` elementwise
(NaNs match NaNs at the same place).  Default tolerances per dtype are in
``DEFAULT_TOLERANCES``; ``rtol``/``atol`` given by the user override them for every
floating dtype.  Integer and bool tensors must be equal.

Three comparisons, all streaming:

- **Compared window** (``compare_step_files``): the first N steps in full -- the summed
  loss, every gradient and every parameter, read from the step files one tensor at a
  time and in chunks of at most ``tracefile.CHUNK_ELEMENTS`` elements, in the tensor's
  own dtype (no float64 copy of the model).  Divergences: a loss that differs, a
  gradient or parameter that differs, has another shape or dtype, or exists on one side
  only (a gradient missing on one side and all zeros on the other is *not* a divergence:
  pre-2.0 ``zero_grad`` left zeros where 2.x leaves ``None``; the parameters tell
  whether it mattered).
- **Whole run** (``compare_losses``): after the window both scripts keep running; every
  step's loss is compared with the looser ``RUN_RTOL`` (rounding differences of
  equivalent code compound over hundreds of steps; a wrong migration moves a loss by
  far more), and the step counts must agree.
- **Printed output** (``compare_output``): the numbers the scripts print, line by line,
  within the precision they were printed with (lines that look like timings or dates
  are skipped).

Names are canonicalised first: weight-norm parametrisations
(``….parametrizations.weight.original0/1``) compare against ``….weight_g/_v``.
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import torch

from .tracefile import StepFile, TensorRecord

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
# losses after the compared window (see the module docstring)
RUN_RTOL = 1e-3
RUN_ATOL = 1e-6


@dataclasses.dataclass
class TensorDiff:
    kind: str  # "grad" | "param"
    name: str
    ok: bool
    max_abs: float = 0.0
    max_rel: float = 0.0
    elements: int = 0
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


@dataclasses.dataclass
class Stats:
    """What was compared (reported with every verdict)."""

    steps: int = 0
    tensors: int = 0
    elements: int = 0
    max_abs: dict = dataclasses.field(default_factory=dict)  # kind -> float
    max_rel: dict = dataclasses.field(default_factory=dict)

    def add(self, kind: str, abs_err: float, rel_err: float, elements: int = 0) -> None:
        if kind != "loss":
            self.tensors += 1
            self.elements += elements
        if math.isfinite(abs_err):
            self.max_abs[kind] = max(self.max_abs.get(kind, 0.0), abs_err)
        if math.isfinite(rel_err):
            self.max_rel[kind] = max(self.max_rel.get(kind, 0.0), rel_err)


@dataclasses.dataclass
class TraceDiff:
    steps: list[StepDiff]
    old_count: int
    new_count: int
    stats: Stats = dataclasses.field(default_factory=Stats)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps) and self.old_count == self.new_count

    def first_divergence(self) -> StepDiff | None:
        for s in self.steps:
            if not s.ok:
                return s
        return None


def tolerances(dtype: torch.dtype, rtol: float | None, atol: float | None) -> tuple[float, float]:
    if not (dtype.is_floating_point or dtype.is_complex):
        return 0.0, 0.0
    base = DEFAULT_TOLERANCES.get(dtype, DEFAULT_TOLERANCES[torch.float32])
    return (base[0] if rtol is None else rtol, base[1] if atol is None else atol)


def _work_dtype(dt: torch.dtype) -> torch.dtype:
    if dt in (torch.float16, torch.bfloat16):
        return torch.float32
    if dt == torch.bool:
        return torch.int8
    return dt


class _Acc:
    """Running comparison of one tensor pair over chunks."""

    def __init__(self, shape, rtol, atol):
        self.shape, self.r, self.a = shape, rtol, atol
        self.offset = 0
        self.bad = False
        self.max_abs = 0.0
        self.max_rel = 0.0
        self.worst_key = -math.inf  # (diff - bound) when bad, diff otherwise
        self.worst_at = 0
        self.worst_old = self.worst_new = 0.0

    def feed(self, o: torch.Tensor, n: torch.Tensor) -> None:
        wd = _work_dtype(o.dtype)
        o, n = o.to(wd), n.to(wd)
        if o.is_complex():
            o, n = torch.view_as_real(o).flatten(), torch.view_as_real(n).flatten()
            step = 2
        else:
            step = 1
        if not (o.is_floating_point()):
            neq = o != n
            if bool(neq.any()):
                i = int(torch.nonzero(neq)[0])
                d = abs(float(o[i]) - float(n[i]))
                if not self.bad or d > self.worst_key:
                    self.bad = True
                    self.worst_key = d
                    self.worst_at = self.offset + i // step
                    self.worst_old, self.worst_new = float(o[i]), float(n[i])
                diffs = (o.to(torch.float64) - n.to(torch.float64)).abs()
                self.max_abs = max(self.max_abs, float(diffs.max()))
            self.offset += o.numel() // step
            return
        diff = (o - n).abs()
        both_nan = torch.isnan(o) & torch.isnan(n)
        diff = torch.where(both_nan, torch.zeros_like(diff), diff)
        diff = torch.where(torch.isnan(diff), torch.full_like(diff, math.inf), diff)
        ao = o.abs()
        bound = self.a + self.r * ao
        over = diff - bound
        bad = over > 0
        if o.numel():
            self.max_abs = max(self.max_abs, float(diff.max()))
            nz = ao > 0
            if bool(nz.any()):
                rel = diff[nz] / ao[nz]
                self.max_rel = max(self.max_rel, float(rel.max()))
            elif float(diff.max()) > 0:
                self.max_rel = math.inf
            if bool(bad.any()):
                i = int(torch.argmax(torch.where(bad, over, torch.full_like(over, -math.inf))))
                key = float(over[i])
                if not self.bad or key > self.worst_key:
                    self.bad = True
                    self._worst(i, key, o, n, step)
            elif not self.bad:
                i = int(torch.argmax(diff))
                key = float(diff[i])
                if key > self.worst_key:
                    self._worst(i, key, o, n, step)
        self.offset += o.numel() // step

    def _worst(self, i, key, o, n, step) -> None:
        self.worst_key = key
        self.worst_at = self.offset + i // step
        self.worst_old, self.worst_new = float(o[i]), float(n[i])

    def index(self) -> tuple[int, ...]:
        if not self.shape:
            return ()
        return tuple(int(i) for i in torch.unravel_index(torch.tensor(self.worst_at), self.shape))


def compare_records(
    kind: str,
    name: str,
    fo: StepFile | None,
    ro: TensorRecord | None,
    fn: StepFile | None,
    rn: TensorRecord | None,
    rtol: float | None,
    atol: float | None,
) -> TensorDiff:
    if ro is None or rn is None:
        f, r = (fo, ro) if ro is not None else (fn, rn)
        if kind == "grad" and r is not None and not _any_nonzero(f, r):
            return TensorDiff(kind, name, True, reason="zeros vs None")
        side = "old" if ro is not None else "new"
        return TensorDiff(
            kind,
            name,
            False,
            math.inf,
            math.inf,
            reason=f"only on the {side} side",
            old_shape=None if ro is None else ro.shape,
            new_shape=None if rn is None else rn.shape,
        )
    d = TensorDiff(kind, name, True, old_shape=ro.shape, new_shape=rn.shape, elements=ro.numel)
    if ro.shape != rn.shape:
        d.ok, d.max_abs, d.max_rel, d.reason = False, math.inf, math.inf, "shape differs"
        return d
    if ro.dtype != rn.dtype:
        d.ok, d.max_abs, d.max_rel = False, math.inf, math.inf
        d.reason = f"dtype differs (torch.{ro.dtype} vs torch.{rn.dtype})"
        return d
    r, a = tolerances(ro.torch_dtype, rtol, atol)
    d.rtol, d.atol = r, a
    if ro.numel == 0:
        return d
    acc = _Acc(ro.shape, r, a)
    for co, cn in zip(fo.chunks(ro), fn.chunks(rn)):
        acc.feed(co, cn)
    d.ok = not acc.bad
    d.max_abs, d.max_rel = acc.max_abs, acc.max_rel
    d.index = acc.index()
    d.old_value, d.new_value = acc.worst_old, acc.worst_new
    return d


def _any_nonzero(f: StepFile, r: TensorRecord) -> bool:
    return any(bool(c.to(_work_dtype(c.dtype)).any()) for c in f.chunks(r))


def compare_step_files(
    index: int,
    old: Path,
    new: Path,
    rtol: float | None = None,
    atol: float | None = None,
    stats: Stats | None = None,
) -> StepDiff:
    """Compare one step (1-based ``index``) of both sides."""
    fo, fn = StepFile(old), StepFile(new)
    out_lists: dict[str, list[TensorDiff]] = {"grad": [], "param": []}
    for kind in ("grad", "param"):
        o_names = {canonical_name(n): n for n in fo.names(kind)}
        n_names = {canonical_name(n): n for n in fn.names(kind)}
        for cname in _union(o_names, n_names):
            ro = fo.tensors.get((kind, o_names[cname])) if cname in o_names else None
            rn = fn.tensors.get((kind, n_names[cname])) if cname in n_names else None
            d = compare_records(kind, cname, fo, ro, fn, rn, rtol, atol)
            out_lists[kind].append(d)
            if stats is not None and d.reason != "zeros vs None":
                stats.add(kind, d.max_abs, d.max_rel, d.elements)
    lo, ln = fo.info.get("loss"), fn.info.get("loss")
    ok = loss_ok(lo, ln, fo.info.get("ld", "float32"), rtol, atol)
    if stats is not None:
        stats.steps += 1
        if lo is not None and ln is not None and not (math.isnan(lo) and math.isnan(ln)):
            err = abs(lo - ln)
            stats.add("loss", err, err / abs(lo) if lo else (0.0 if err == 0 else math.inf))
    return StepDiff(index - 1, lo, ln, ok, out_lists["grad"], out_lists["param"])


def loss_ok(a, b, dtype_name: str, rtol: float | None, atol: float | None) -> bool:
    if a is None or b is None:
        return a is b
    if math.isnan(a) and math.isnan(b):
        return True
    dtype = getattr(torch, dtype_name or "float32", torch.float32)
    if not isinstance(dtype, torch.dtype):
        dtype = torch.float32
    r, at = tolerances(dtype, rtol, atol)
    return abs(a - b) <= at + r * abs(a)


def missing_step(index: int, old_info: dict | None, new_info: dict | None) -> StepDiff:
    return StepDiff(
        index - 1,
        None if old_info is None else old_info.get("loss"),
        None if new_info is None else new_info.get("loss"),
        False,
        [],
        [],
        missing_side="new" if new_info is None else "old",
    )


# ---- whole run ------------------------------------------------------------------------


@dataclasses.dataclass
class RunDiff:
    old_steps: int
    new_steps: int
    compared: int = 0
    max_rel: float = 0.0
    first_bad: int | None = None  # 1-based step
    old_loss: float | None = None
    new_loss: float | None = None


def compare_losses(
    old_steps: list[dict], new_steps: list[dict], start: int, rtol: float = RUN_RTOL
) -> RunDiff:
    """Compare the losses of steps ``start``.. (1-based) of the two runs."""
    d = RunDiff(len(old_steps), len(new_steps))
    for o, n in zip(old_steps[start - 1 :], new_steps[start - 1 :]):
        a, b = o.get("loss"), n.get("loss")
        d.compared += 1
        if a is None or b is None or (math.isnan(a) and math.isnan(b)):
            continue
        err = abs(a - b)
        rel = err / abs(a) if a else (0.0 if err == 0 else math.inf)
        if math.isfinite(rel):
            d.max_rel = max(d.max_rel, rel)
        if d.first_bad is None and not err <= RUN_ATOL + rtol * abs(a):
            d.first_bad, d.old_loss, d.new_loss = o.get("i"), a, b
    return d


# ---- printed output -------------------------------------------------------------------

_NUM = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])")
_TIMING = re.compile(
    r"\b(time|times|sec|secs|second|seconds|ms|elapsed|eta|speed|it/s|s/it|throughput|"
    r"wall|clock|took|duration|samples/s|lr_time|date)\b|\d\d:\d\d:\d\d|\d+(\.\d+)?\s*(ms|s)\b",
    re.I,
)


@dataclasses.dataclass
class OutputDiff:
    lines_compared: int = 0
    numbers_compared: int = 0
    first_line: int | None = None  # 1-based line of the first mismatch
    old_line: str = ""
    new_line: str = ""
    comparable: bool = True
    note: str = ""


def _decimals(tok: str) -> int:
    mant = re.split(r"[eE]", tok)[0]
    return len(mant.split(".")[1]) if "." in mant else 0


def _tol(tok: str) -> float:
    mant_exp = re.split(r"[eE]", tok)
    exp = int(mant_exp[1]) if len(mant_exp) > 1 else 0
    return 1.01 * 10.0 ** (exp - _decimals(tok))


def compare_output(old: str, new: str, rtol: float = RUN_RTOL) -> OutputDiff:
    """Compare the numbers printed on each stdout line (see the module docstring)."""
    d = OutputDiff()
    ol, nl = old.splitlines(), new.splitlines()
    if len(ol) != len(nl):
        d.comparable = False
        d.note = f"the old script printed {len(ol)} line(s), the new one {len(nl)}"
    for i, (a, b) in enumerate(zip(ol, nl), 1):
        if _TIMING.search(a) or _TIMING.search(b):
            continue
        ta, tb = _NUM.findall(a), _NUM.findall(b)
        if len(ta) != len(tb) or not ta:
            continue
        d.lines_compared += 1
        for x, y in zip(ta, tb):
            d.numbers_compared += 1
            fx, fy = float(x), float(y)
            tol = max(_tol(x), _tol(y)) + rtol * abs(fx)
            if abs(fx - fy) > tol:
                if d.first_line is None:
                    d.first_line, d.old_line, d.new_line = i, a, b
                break
        if d.first_line is not None:
            break
    return d


# ---- names ----------------------------------------------------------------------------

_WEIGHT_NORM = re.compile(r"\.parametrizations\.(\w+)\.original([01])$")


def canonical_name(name: str) -> str:
    """``X.parametrizations.weight.original0/1`` (2.x ``parametrizations.weight_norm``)
    is the same tensor as ``X.weight_g``/``X.weight_v`` (old ``nn.utils.weight_norm``)."""
    m = _WEIGHT_NORM.search(name)
    if m is None:
        return name
    return name[: m.start()] + "." + m.group(1) + ("_g" if m.group(2) == "0" else "_v")


def _union(a: dict, b: dict) -> list[str]:
    keys = list(a)
    keys += [k for k in b if k not in a]
    return keys
