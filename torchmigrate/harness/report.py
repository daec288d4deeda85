"""Verdicts of ``torchmigrate verify`` and their rendering (rich table, JSON)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the comparison needs torch; the CLI must load without it
    from .compare import OutputDiff, RunDiff, Stats, StepDiff, TensorDiff, TraceDiff

# verdict -> exit code
EXIT_CODES = {
    "match": 0,
    "diverged": 1,
    "crash": 1,
    "timeout": 1,
    "nothing": 1,
    "short": 1,  # --strict: fewer steps than requested
    "usage": 2,
}


@dataclasses.dataclass
class SideInfo:
    script: str
    seconds: float = 0.0
    status: str = ""  # finished | stopped | error | timeout | no-trace
    steps: int = 0  # every recorded step (whole run)
    window_steps: int = 0  # steps recorded in full
    error_tail: str | None = None
    crash_at: str | None = None  # file:line in the user's tree
    crash_hint: str | None = None  # the legacy idiom a known crash points to
    stop_reason: str | None = None
    peak_rss_mb: float = 0.0
    python: str | None = None
    torch: str | None = None
    blocked_writes: list = dataclasses.field(default_factory=list)
    changed_in_tree: list = dataclasses.field(default_factory=list)
    copy_notes: list = dataclasses.field(default_factory=list)
    output_truncated: int = 0


@dataclasses.dataclass
class VerifyResult:
    old: SideInfo
    new: SideInfo
    verdict: str
    message: str
    diff: TraceDiff | None = None
    steps_requested: int = 0
    seconds: float = 0.0
    warnings: list = dataclasses.field(default_factory=list)
    run: RunDiff | None = None
    output: OutputDiff | None = None
    parent_peak_rss_mb: float = 0.0
    budget_stop: int | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    @property
    def ok(self) -> bool:
        return self.verdict == "match"

    @property
    def stats(self) -> Stats:
        from .compare import Stats

        return self.diff.stats if self.diff is not None else Stats()

    def first_divergence(self) -> StepDiff | None:
        return self.diff.first_divergence() if self.diff is not None else None


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and (math.isinf(x) or math.isnan(x)):
        return str(x)
    return f"{x:.7g}"


def explain_step(step: StepDiff) -> str:
    """One paragraph explaining why ``step`` diverges."""
    n = step.index + 1
    if step.missing_side is not None:
        other = "old" if step.missing_side == "new" else "new"
        return (
            f"step {n}: recorded on the {other} side only (the {step.missing_side} script "
            f"stopped calling backward/optimizer.step earlier)"
        )
    if not step.loss_ok:
        return (
            f"step {n}: loss differs: old {_fmt(step.old_loss)} vs new {_fmt(step.new_loss)} "
            f"(|diff| {_fmt(abs((step.old_loss or 0) - (step.new_loss or 0)))})"
        )
    bad = step.first_bad()
    assert bad is not None
    return f"step {n}: {explain_tensor(bad)}"


def explain_tensor(d: TensorDiff) -> str:
    what = "gradient of" if d.kind == "grad" else "parameter"
    if d.reason.startswith("only on"):
        shape = d.old_shape if d.old_shape is not None else d.new_shape
        return f"{what} {d.name} {list(shape or [])} exists {d.reason}"
    if d.reason:
        return f"{what} {d.name}: {d.reason}: old {list(d.old_shape or [])} vs new {list(d.new_shape or [])}"
    return (
        f"{what} {d.name} {list(d.old_shape or [])} differs at {list(d.index or [])}: "
        f"old {_fmt(d.old_value)} vs new {_fmt(d.new_value)} (max |diff| {_fmt(d.max_abs)}, "
        f"rtol {d.rtol:g}, atol {d.atol:g})"
    )


def compared_line(result: VerifyResult) -> str:
    s = result.stats
    parts = [f"compared {s.steps} step(s) in full: {s.tensors} tensors, {s.elements:,} elements"]
    for kind in ("loss", "grad", "param"):
        if kind in s.max_abs or kind in s.max_rel:
            parts.append(
                f"max {kind} error abs {_fmt(s.max_abs.get(kind))} rel {_fmt(s.max_rel.get(kind))}"
            )
    if result.run is not None and result.run.compared:
        parts.append(
            f"whole run: {result.run.old_steps} step(s) old, {result.run.new_steps} new, "
            f"{result.run.compared} loss(es) compared after the window "
            f"(max rel {_fmt(result.run.max_rel)})"
        )
    if result.output is not None and result.output.numbers_compared:
        parts.append(f"{result.output.numbers_compared} printed number(s) compared")
    if result.parent_peak_rss_mb:
        parts.append(
            f"peak memory: parent {result.parent_peak_rss_mb:.0f} MB, old {result.old.peak_rss_mb:.0f} MB, "
            f"new {result.new.peak_rss_mb:.0f} MB; {result.seconds:.1f}s including the comparison"
        )
    return "; ".join(parts)


def render(result: VerifyResult, console: Any = None) -> None:
    """Print ``result`` with rich: per-step table, what was compared, then the verdict."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    d = result.diff
    if d is not None and d.steps:
        table = Table(title=f"verify {result.old.script} -> {result.new.script}")
        for col in ("step", "loss old", "loss new", "max |Δgrad|", "in", "max |Δparam|", "in", ""):
            table.add_column(col, justify="right" if col.startswith(("loss", "max")) else "left")
        for s in d.steps:
            g, p = s.worst("grad"), s.worst("param")
            verdict = "[green]ok[/]" if s.ok else "[red]DIVERGED[/]"
            table.add_row(
                str(s.index + 1),
                _fmt(s.old_loss),
                _fmt(s.new_loss),
                _fmt(g.max_abs) if g else "-",
                g.name if g else "",
                _fmt(p.max_abs) if p else "-",
                p.name if p else "",
                verdict,
            )
        console.print(table)
    if result.verdict != "usage":
        console.print(compared_line(result), markup=False, highlight=False)
    for side in (result.old, result.new):
        label = "old" if side is result.old else "new"
        if side.error_tail:
            where = f" at {side.crash_at}" if side.crash_at else ""
            console.print(f"[bold red]{label} side crashed{where}[/] ({side.script}):")
            console.print(side.error_tail, markup=False, highlight=False)
            if side.crash_hint:
                console.print(f"  hint: {side.crash_hint}", markup=False, highlight=False)
    for w in result.warnings:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    colour = "green" if result.ok else "red"
    console.print(f"[bold {colour}]{result.message}[/]", highlight=False)


def _clean(v):
    if isinstance(v, float) and (math.isinf(v) or math.isnan(v)):
        return str(v)
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def to_json(result: VerifyResult) -> dict:
    d = result.diff

    def tensor(t: TensorDiff) -> dict:
        return _clean(dataclasses.asdict(t))

    steps = []
    if d is not None:
        for s in d.steps:
            steps.append(
                {
                    "step": s.index + 1,
                    "ok": s.ok,
                    "loss_old": s.old_loss,
                    "loss_new": s.new_loss,
                    "loss_ok": s.loss_ok,
                    "missing_side": s.missing_side,
                    "grads": [tensor(t) for t in s.grads],
                    "params": [tensor(t) for t in s.params],
                }
            )
    first = result.first_divergence()
    stats = result.stats
    return _clean(
        {
            "verdict": result.verdict,
            "exit_code": result.exit_code,
            "message": result.message,
            "old": dataclasses.asdict(result.old),
            "new": dataclasses.asdict(result.new),
            "steps_requested": result.steps_requested,
            "seconds": round(result.seconds, 3),
            "first_divergence": explain_step(first) if first is not None else None,
            "compared": {
                "steps": stats.steps,
                "tensors": stats.tensors,
                "elements": stats.elements,
                "max_abs": stats.max_abs,
                "max_rel": stats.max_rel,
            },
            "run": dataclasses.asdict(result.run) if result.run is not None else None,
            "output": dataclasses.asdict(result.output) if result.output is not None else None,
            "warnings": list(result.warnings),
            "peak_rss_mb": {
                "parent": result.parent_peak_rss_mb,
                "old": result.old.peak_rss_mb,
                "new": result.new.peak_rss_mb,
            },
            "budget_stop": result.budget_stop,
            "steps": steps,
        }
    )


def write_json(result: VerifyResult, path: Path) -> None:
    import json

    path.write_text(json.dumps(to_json(result), indent=2) + "\n", encoding="utf-8")
