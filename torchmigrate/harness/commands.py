"""``torchmigrate verify`` and ``torchmigrate run`` as typer-ready functions.

Register them on the main app (no ``context_settings`` needed; extra script arguments go
after ``--``)::

    from torchmigrate.harness.commands import run_command, verify_command
    app.command("verify")(verify_command)
    app.command("run")(run_command)

This module imports neither torch nor the harness at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional  # noqa: UP035 - typer needs runtime-evaluable types

import typer

from .report import VerifyResult

__all__ = [
    "verify_command",
    "run_command",
    "oldenv_command",
    "verify_pair",
    "render",
    "VerifyResult",
]


def render(result: VerifyResult, console=None) -> None:
    from .report import render as _render

    _render(result, console)


def verify_pair(old: Path, new: Path, args: list[str] | None = None, **kwargs) -> VerifyResult:
    """See ``torchmigrate.harness.verify.verify_pair`` (imported lazily: it needs torch)."""
    from .verify import verify_pair as _verify_pair

    return _verify_pair(old, new, args, **kwargs)


def verify_command(
    old: Path = typer.Argument(..., help="The legacy (unmigrated) script."),
    new: Path = typer.Argument(..., help="The migrated script."),
    args: Optional[List[str]] = typer.Argument(  # noqa: UP006
        None, help="Arguments for both scripts (put them after --)."
    ),
    steps: int = typer.Option(
        3, "--steps", help="Training steps compared in full (losses, gradients, parameters)."
    ),
    max_steps: Optional[int] = typer.Option(
        None,
        "--max-steps",
        help="Stop both scripts after this many steps (default: run to the end).",
    ),
    budget: Optional[float] = typer.Option(
        None, "--budget", help="Seconds after which both scripts stop at the same step."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Fail when fewer steps than --steps happened."
    ),
    device: str = typer.Option("cpu", "--device", help="cpu (CUDA calls remapped) or cuda."),
    rtol: Optional[float] = typer.Option(None, "--rtol", help="Relative tolerance (float dtypes)."),
    atol: Optional[float] = typer.Option(None, "--atol", help="Absolute tolerance (float dtypes)."),
    timeout: float = typer.Option(300.0, "--timeout", help="Seconds allowed per script."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write a JSON report here."),
    seed: int = typer.Option(0, "--seed", help="Seed for random, numpy and torch."),
    synthetic_data: bool = typer.Option(
        False, "--synthetic-data", help="Fake torchvision datasets and text corpora (no downloads)."
    ),
    synthetic_samples: Optional[int] = typer.Option(
        None, "--synthetic-samples", help="Samples per faked training split (default 256)."
    ),
    old_python: Optional[str] = typer.Option(
        None,
        "--old-python",
        help="Run OLD under this interpreter with its genuine old torch (see `torchmigrate oldenv`).",
    ),
    root: Optional[Path] = typer.Option(
        None, "--root", help="The tree to copy for both scripts (default: their project root)."
    ),
    compare_output: str = typer.Option(
        "fail", "--compare-output", help="Printed numbers that differ: fail, warn or off."
    ),
) -> None:
    """Run OLD under a legacy (pre-0.4) runtime -- or a genuine old torch -- and NEW under
    today's torch; show that every compared step's loss, gradients and parameters match,
    and that both runs go on to the end alike."""
    from rich.console import Console

    result = verify_pair(
        old,
        new,
        args or [],
        steps=steps,
        max_steps=max_steps,
        budget=budget,
        device=device,
        rtol=rtol,
        atol=atol,
        timeout=timeout,
        seed=seed,
        synthetic=synthetic_data,
        synthetic_samples=synthetic_samples,
        old_python=old_python,
        strict=strict,
        root=root,
        compare_output_mode=compare_output,
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
    synthetic_data: bool = typer.Option(
        False, "--synthetic-data", help="Fake torchvision datasets and text corpora (no downloads)."
    ),
    synthetic_samples: Optional[int] = typer.Option(
        None, "--synthetic-samples", help="Samples per faked training split (default 256)."
    ),
) -> None:
    """Run SCRIPT as __main__, optionally under the legacy runtime (unmigrated code on
    today's torch); every process it starts is ended with it."""
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
    from .runner import run_plain

    raise typer.Exit(
        run_plain(
            script,
            args or [],
            legacy=legacy,
            device=device,
            synthetic=synthetic_data,
            synthetic_samples=synthetic_samples,
        )
    )


def oldenv_command(
    python: str = typer.Option(
        ..., "--python", help="A Python version (2.7, 3.7) or interpreter path."
    ),
    torch_version: str = typer.Option(..., "--torch", help="The exact torch version, e.g. 1.4.0."),
    cache: Optional[Path] = typer.Option(
        None, "--cache", help="Cache directory (default ~/.cache/torchmigrate)."
    ),
) -> None:
    """Make (or reuse) a genuine old-PyTorch environment for `verify --old-python`; prints
    the interpreter to pass.  Downloads the wheels once into the cache."""
    import sys

    from .oldenv import create

    try:
        path = create(python, torch_version, cache=cache, log=lambda s: print(s, file=sys.stderr))
    except (ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    print(path)


def _standalone_app() -> typer.Typer:
    app = typer.Typer(add_completion=False, no_args_is_help=True)
    app.command("verify")(verify_command)
    app.command("run")(run_command)
    app.command("oldenv")(oldenv_command)
    return app


if __name__ == "__main__":
    _standalone_app()()
