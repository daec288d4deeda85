"""``torchmigrate verify`` and ``torchmigrate run`` as typer-ready functions.

Register them on the main app (no ``context_settings`` needed; extra script arguments go
after ``--``)::

    from torchmigrate.harness.commands import run_command, verify_command
    app.command("verify")(verify_command)
    app.command("run")(run_command)

This module imports neither torch nor the harness at import time.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import List, Optional  # noqa: UP035 - typer needs runtime-evaluable types

import typer

from .report import SideInfo, VerifyResult, tail

__all__ = ["verify_command", "run_command", "verify_pair", "render", "VerifyResult"]


def render(result: VerifyResult, console=None) -> None:
    from .report import render as _render

    _render(result, console)


def verify_pair(
    old: Path,
    new: Path,
    args: list[str] | None = None,
    *,
    steps: int = 3,
    device: str = "cpu",
    rtol: float | None = None,
    atol: float | None = None,
    timeout: float = 300.0,
    seed: int = 0,
) -> VerifyResult:
    """Run ``old`` under the legacy runtime and ``new`` under plain torch; compare."""
    old, new = Path(old), Path(new)
    args = list(args or [])
    for p in (old, new):
        if not p.is_file():
            return VerifyResult(
                SideInfo(str(old)), SideInfo(str(new)), "usage", f"error: no such script: {p}"
            )
    if device not in ("cpu", "cuda"):
        return VerifyResult(
            SideInfo(str(old)),
            SideInfo(str(new)),
            "usage",
            f"error: --device must be 'cpu' or 'cuda', not {device!r}",
        )
    if steps < 1:
        return VerifyResult(
            SideInfo(str(old)), SideInfo(str(new)), "usage", "error: --steps must be >= 1"
        )
    from .compare import compare_traces
    from .runner import run_pair

    start = time.monotonic()
    ro, rn = run_pair(old, new, args, steps=steps, seed=seed, device=device, timeout=timeout)
    elapsed = time.monotonic() - start

    def side(r) -> SideInfo:
        info = SideInfo(str(r.script), round(r.seconds, 3))
        if r.timed_out:
            info.status = "timeout"
        elif r.trace is None:
            info.status = "no-trace"
            info.error_tail = tail(r.stderr or f"exit status {r.returncode}")
        else:
            info.status = r.trace.get("status", "")
            info.steps = len(r.trace.get("steps", []))
            if r.trace.get("error"):
                info.error_tail = tail(r.trace["error"])
        return info

    so, sn = side(ro), side(rn)
    res = VerifyResult(so, sn, "match", "", steps_requested=steps, seconds=elapsed)
    timed = [s for s, r in (("old", ro), ("new", rn)) if r.timed_out]
    crashed = [s for s, i in (("old", so), ("new", sn)) if i.error_tail]
    if timed:
        res.verdict = "timeout"
        res.message = (
            f"timeout: the {' and '.join(timed)} script(s) did not finish {steps} step(s) "
            f"within {timeout:g}s"
        )
        return res
    if crashed:
        res.verdict = "crash"
        which = " and ".join(crashed)
        res.message = f"crash: the {which} script{'s' if len(crashed) > 1 else ''} failed"
        if len(crashed) == 1:
            res.message += f" ({'old, under the legacy runtime' if crashed == ['old'] else 'new, under plain torch'})"
        res.diff = (
            compare_traces(ro.trace or {}, rn.trace or {}, rtol, atol)
            if (ro.trace and rn.trace)
            else None
        )
        return res
    if so.steps == 0 and sn.steps == 0:
        res.verdict = "nothing"
        res.message = "nothing to compare: neither script called backward() or optimizer.step()"
        return res
    diff = compare_traces(ro.trace, rn.trace, rtol, atol)
    res.diff = diff
    first = diff.first_divergence()
    if first is None and diff.ok:
        res.message = f"match: {so.steps} step(s) identical within tolerance"
        return res
    from .report import explain_step

    res.verdict = "diverged"
    if first is None:  # pragma: no cover - counts differ but every step matched
        res.message = f"diverged: old recorded {so.steps} step(s), new {sn.steps}"
    else:
        res.message = "diverged at " + explain_step(first)
    return res


def verify_command(
    old: Path = typer.Argument(..., help="The legacy (unmigrated) script."),
    new: Path = typer.Argument(..., help="The migrated script."),
    args: Optional[List[str]] = typer.Argument(  # noqa: UP006
        None, help="Arguments for both scripts (put them after --)."
    ),
    steps: int = typer.Option(3, "--steps", help="Training steps to record and compare."),
    device: str = typer.Option("cpu", "--device", help="cpu (CUDA calls remapped) or cuda."),
    rtol: Optional[float] = typer.Option(None, "--rtol", help="Relative tolerance (float dtypes)."),
    atol: Optional[float] = typer.Option(None, "--atol", help="Absolute tolerance (float dtypes)."),
    timeout: float = typer.Option(300.0, "--timeout", help="Seconds allowed per script."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write a JSON report here."),
    seed: int = typer.Option(0, "--seed", help="Seed for random, numpy and torch."),
) -> None:
    """Run OLD under a legacy (pre-0.4) runtime and NEW under today's torch; show that
    every training step's loss, gradients and parameters match."""
    from rich.console import Console

    result = verify_pair(
        old,
        new,
        args or [],
        steps=steps,
        device=device,
        rtol=rtol,
        atol=atol,
        timeout=timeout,
        seed=seed,
    )
    console = Console()
    if result.verdict == "usage":
        Console(stderr=True).print(result.message, markup=False, highlight=False)
        raise typer.Exit(2)
    render(result, console)
    if report is not None:
        from .report import write_json

        write_json(result, report)
    raise typer.Exit(result.exit_code)


def run_command(
    script: Path = typer.Argument(..., help="The script to run."),
    args: Optional[List[str]] = typer.Argument(  # noqa: UP006
        None, help="Arguments for the script (put them after --)."
    ),
    legacy: bool = typer.Option(
        False, "--legacy", help="Run under the legacy (pre-0.4) runtime and source loader."
    ),
    device: str = typer.Option(
        "auto", "--device", help="auto, cpu (CUDA calls remapped to CPU) or cuda."
    ),
) -> None:
    """Run SCRIPT as __main__, optionally under the legacy runtime (unmigrated code on
    today's torch)."""
    import sys

    if not script.is_file():
        print(f"error: no such script: {script}", file=sys.stderr)
        raise typer.Exit(2)
    if device not in ("auto", "cpu", "cuda"):
        print(f"error: --device must be auto, cpu or cuda, not {device!r}", file=sys.stderr)
        raise typer.Exit(2)
    if device == "auto":
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    from .runner import run_legacy

    raise typer.Exit(run_legacy(script, args or [], legacy=legacy, device=device))


def _standalone_app() -> typer.Typer:
    app = typer.Typer(add_completion=False, no_args_is_help=True)
    app.command("verify")(verify_command)
    app.command("run")(run_command)
    return app


if __name__ == "__main__":
    _standalone_app()()
