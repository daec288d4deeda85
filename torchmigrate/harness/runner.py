"""Start the two children (old script under the legacy runtime, new script under plain
torch) with identical seeds, settings and arguments, and collect their traces.

Each child runs with its working directory in a temporary *copy* of its script's
directory (``.git``, ``__pycache__`` and virtual environments are skipped), so nothing is
written into the user's tree and data files next to the script are found.  Both children
run in parallel, single-threaded, with ``PYTHONHASHSEED`` fixed.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_IGNORE = shutil.ignore_patterns(
    ".git",
    ".hg",
    "__pycache__",
    "*.pyc",
    ".venv",
    "venv",
    "node_modules",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".ipynb_checkpoints",
)

# The directory that contains the ``torchmigrate`` package (so children can import it).
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


@dataclasses.dataclass
class ChildResult:
    side: str  # "old" | "new"
    script: Path
    returncode: int | None
    timed_out: bool
    seconds: float
    stdout: str
    stderr: str
    trace: dict | None

    @property
    def error(self) -> str | None:
        if self.timed_out:
            return None
        if self.trace is None:
            return self.stderr.strip() or f"child exited with status {self.returncode}"
        return self.trace.get("error")


def child_env(seed: int) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = str(seed)
    env["OMP_NUM_THREADS"] = "1"
    env["MKL_NUM_THREADS"] = "1"
    env["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONWARNINGS"] = "ignore"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p)
    return env


def copy_script_dir(script: Path, dest_root: Path, label: str) -> Path:
    """Copy ``script``'s directory into ``dest_root/label``; return the copied script."""
    src_dir = script.resolve().parent
    dest = dest_root / label
    shutil.copytree(src_dir, dest, ignore=_IGNORE, symlinks=True)
    return dest / script.name


def child_command(
    script: Path,
    trace: Path | None,
    *,
    legacy: bool,
    steps: int,
    seed: int,
    device: str,
    args: list[str],
    record: bool = True,
) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "torchmigrate.harness.child",
        "--script",
        str(script),
        "--steps",
        str(steps),
        "--seed",
        str(seed),
        "--device",
        device,
    ]
    if trace is not None:
        cmd += ["--trace", str(trace)]
    if legacy:
        cmd.append("--legacy")
    if not record:
        cmd.append("--no-record")
    return [*cmd, "--", *args]


def run_pair(
    old: Path,
    new: Path,
    args: list[str],
    *,
    steps: int = 3,
    seed: int = 0,
    device: str = "cpu",
    timeout: float = 300.0,
) -> tuple[ChildResult, ChildResult]:
    """Run both sides in parallel; return their results (old, new)."""
    import torch

    with tempfile.TemporaryDirectory(prefix="torchmigrate-verify-") as tmp:
        tmp_path = Path(tmp)
        procs = []
        for side, script, legacy in (("old", old, True), ("new", new, False)):
            copied = copy_script_dir(script, tmp_path, side)
            trace = tmp_path / f"{side}.trace.pt"
            cmd = child_command(
                copied, trace, legacy=legacy, steps=steps, seed=seed, device=device, args=args
            )
            start = time.monotonic()
            p = subprocess.Popen(
                cmd,
                cwd=copied.parent,
                env=child_env(seed),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                start_new_session=True,
            )
            procs.append((side, script, p, trace, start))
        results = []
        deadline = time.monotonic() + timeout
        for side, script, p, trace, start in procs:
            timed_out = False
            try:
                out, err = p.communicate(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill(p)
                out, err = p.communicate()
            seconds = time.monotonic() - start
            data = None
            if not timed_out and trace.exists():
                data = torch.load(trace, weights_only=True)
            results.append(
                ChildResult(side, script, p.returncode, timed_out, seconds, out, err, data)
            )
    return results[0], results[1]


def _kill(p: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        p.kill()


def run_legacy(script: Path, args: list[str], *, legacy: bool = True, device: str = "cpu") -> int:
    """``torchmigrate run [--legacy] SCRIPT -- ARGS``: run in place (cwd unchanged), output
    passed through; returns the child's exit status."""
    cmd = child_command(
        script.resolve(),
        None,
        legacy=legacy,
        steps=0,
        seed=0,
        device=device,
        args=args,
        record=False,
    )
    # plain run: no seeding requested, but the child seeds anyway (harmless, reproducible)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p)
    return subprocess.call(cmd, env=env)
