"""Start the two sides of a verification and compare them while they run.

Each side runs, through a supervisor (``contain``), in its own copy of its script's
tree inside a work directory outside that tree:

    <work>/<side>/root/...     the copy (the script's cwd is its directory in here)
    <work>/<side>/home, tmp    $HOME and $TMPDIR of the child
    <work>/<side>-trace/       the trace it writes (``portable/tm_trace.py``)
    <work>/<side>-ctl/         the parent's messages to it (consumed steps, stop step)
    <work>/<side>-out/         captured stdout/stderr (capped) and the supervisor status

The old side runs under the legacy runtime, or -- with ``old_python`` -- under a genuine
old interpreter through ``portable/tm_oldchild.py``.  Both sides get the same seed,
single-threaded deterministic settings, arguments and (with ``synthetic``) the same fake
data.  The parent compares each compared step as soon as both sides wrote it and deletes
it, writes a time-budget stop step when ``budget`` expires, and enforces ``timeout``.
"""

from __future__ import annotations

import dataclasses
import os
import resource
import sys
import time
from pathlib import Path

from . import contain
from .compare import Stats, StepDiff, compare_step_files, missing_step
from .tracefile import StepFile, TraceFormatError, count_steps, read_result, read_steps, step_path

# The directory that contains the ``torchmigrate`` package (so children can import it).
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
PORTABLE_DIR = str(Path(__file__).resolve().parent / "portable")
SYNTHETIC_DIR = str(Path(__file__).resolve().parent / "synthetic")


@dataclasses.dataclass
class Side:
    label: str  # "old" | "new"
    script: Path  # the user's script
    root: Path  # the user's tree that is copied
    legacy: bool
    python: str | None = None  # a genuine old interpreter (old side only)
    prepared: Path | None = None  # an existing copy of ``root`` to use instead of copying
    reuse_trace: Path | None = None  # a kept trace of an earlier run of this side: not rerun


@dataclasses.dataclass
class SideResult:
    label: str
    script: Path
    root: Path
    copy_root: Path | None = None
    timed_out: bool = False
    seconds: float = 0.0
    result: dict | None = None  # result.json
    status: dict = dataclasses.field(default_factory=dict)  # the supervisor's
    steps: list = dataclasses.field(default_factory=list)  # steps.jsonl
    stdout: str = ""
    stderr: str = ""
    copy_notes: list = dataclasses.field(default_factory=list)
    changed_in_tree: list = dataclasses.field(default_factory=list)

    @property
    def error(self) -> str | None:
        if self.timed_out:
            return None
        if self.result is None:
            return (
                self.stderr.strip() or f"child exited with status {self.status.get('returncode')}"
            )
        return self.result.get("error")

    def original_path(self, path: str) -> str:
        """A path inside the copy, mapped back to the user's tree."""
        if self.copy_root is not None:
            real = os.path.realpath(path)
            base = os.path.realpath(self.copy_root)
            if real == base or real.startswith(base + os.sep):
                return str(self.root / os.path.relpath(real, base))
        return path


@dataclasses.dataclass
class PairRun:
    old: SideResult
    new: SideResult
    steps: list[StepDiff]
    stats: Stats
    seconds: float
    budget_stop: int | None = None
    parent_peak_rss_kb: int = 0
    error: str | None = None  # the run could not start (copy failed ...)


def child_env(seed: int, home: Path | None = None, tmp: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = str(seed)
    env["OMP_NUM_THREADS"] = "1"
    env["MKL_NUM_THREADS"] = "1"
    env["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONWARNINGS"] = "ignore"
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p)
    env["MPLBACKEND"] = "Agg"
    if home is not None:
        env["HOME"] = str(home)
        env["XDG_CACHE_HOME"] = str(home / ".cache")
        env["TORCH_HOME"] = str(home / ".cache" / "torch")
    if tmp is not None:
        env["TMPDIR"] = env["TMP"] = env["TEMP"] = str(tmp)
    return env


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
    ctl: Path | None = None,
    root: Path | None = None,
    max_steps: int | None = None,
    synthetic: bool = False,
    synthetic_samples: int | None = None,
    allow_write: list[Path] | None = None,
    python: str | None = None,
    portable_rng: bool = False,
) -> list[str]:
    if python:
        cmd = [python, os.path.join(PORTABLE_DIR, "tm_oldchild.py")]
    else:
        cmd = [sys.executable, "-m", "torchmigrate.harness.child"]
    cmd += ["--script", str(script), "--steps", str(steps), "--seed", str(seed)]
    cmd += ["--device", device]
    if trace is not None:
        cmd += ["--trace", str(trace)]
    if ctl is not None:
        cmd += ["--ctl", str(ctl)]
    if root is not None:
        cmd += ["--root", str(root)]
    if max_steps is not None:
        cmd += ["--max-steps", str(max_steps)]
    if legacy and not python:
        cmd.append("--legacy")
    if not record:
        cmd.append("--no-record")
    if synthetic:
        cmd.append("--synthetic-data")
        if synthetic_samples:
            cmd += ["--synthetic-samples", str(synthetic_samples)]
    for d in allow_write or []:
        cmd += ["--allow-write", str(d)]
    if portable_rng:
        cmd.append("--portable-rng")
    return [*cmd, "--", *args]


def prepare_copy(root: Path, dest: Path, avoid: list[Path]) -> contain.CopyReport:
    """Copy ``root`` to ``dest`` (the side's ``root`` directory)."""
    return contain.copy_tree(root, dest, exclude=avoid)


def run_pair(
    old: Side,
    new: Side,
    args: list[str],
    *,
    steps: int = 3,
    max_steps: int | None = None,
    budget: float | None = None,
    seed: int = 0,
    device: str = "cpu",
    timeout: float = 300.0,
    synthetic: bool = False,
    synthetic_samples: int | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    keep_old_trace: Path | None = None,
) -> PairRun:
    """Run both sides in parallel, compare on the fly; see the module docstring.

    ``keep_old_trace``: keep the old side's whole trace (and output) in that directory,
    so later runs against other versions of the new script can reuse it
    (``Side.reuse_trace``) instead of running the old script again."""
    start = time.monotonic()
    sides = tuple(x for x in (old, new) if x.reuse_trace is None)
    reused = tuple(x for x in (old, new) if x.reuse_trace is not None)
    keep = {x.label for x in reused} | ({"old"} if keep_old_trace is not None else set())
    results = {s.label: SideResult(s.label, s.script, s.root) for s in (old, new)}
    diffs: list[StepDiff] = []
    stats = Stats()
    budget_stop = None
    for s in reused:
        _load_kept(results[s.label], s.reuse_trace)
    roots = [s.root for s in sides]
    with contain.WorkDir(avoid=roots) as work:
        sups: dict[str, contain.Supervised] = {}
        before: dict[str, dict] = {}
        traces: dict[str, Path] = {s.label: s.reuse_trace for s in reused}
        ctls: dict[str, Path] = {}
        try:
            for s in sides:
                r = results[s.label]
                side_dir = work.path / s.label
                copy_root = side_dir / "root"
                if s.prepared is not None:
                    copy_root = s.prepared
                else:
                    try:
                        rep = prepare_copy(s.root, copy_root, [work.path])
                    except (contain.CopyError, OSError) as exc:
                        return PairRun(
                            results["old"], results["new"], [], stats, 0.0, error=str(exc)
                        )
                    r.copy_notes = rep.notes
                r.copy_root = copy_root
                if s.python:
                    r.copy_notes += _rewrite_for_python3(s.python, copy_root)
                home, tmp = side_dir / "home", side_dir / "tmp"
                for d in (home, tmp):
                    d.mkdir(parents=True, exist_ok=True)
                traces[s.label] = work.path / f"{s.label}-trace"
                ctls[s.label] = work.path / f"{s.label}-ctl"
                traces[s.label].mkdir()
                ctls[s.label].mkdir()
            for s in sides:
                r = results[s.label]
                rel = Path(os.path.realpath(s.script)).relative_to(os.path.realpath(s.root))
                copied = r.copy_root / rel
                if s.prepared is None:  # (a prepared copy is not the user's tree)
                    before[s.label] = contain.snapshot_stats(s.root)
                env = child_env(seed, work.path / s.label / "home", work.path / s.label / "tmp")
                if s.python:
                    env = _old_env(env, synthetic)
                elif synthetic:
                    env["PYTHONPATH"] = os.pathsep.join((env["PYTHONPATH"], SYNTHETIC_DIR))
                cmd = child_command(
                    copied,
                    traces[s.label],
                    legacy=s.legacy,
                    steps=steps,
                    seed=seed,
                    device=device,
                    args=args,
                    ctl=ctls[s.label],
                    root=r.copy_root,
                    max_steps=max_steps,
                    synthetic=synthetic,
                    synthetic_samples=synthetic_samples,
                    allow_write=[work.path / s.label, r.copy_root],
                    python=s.python,
                    portable_rng=bool(old.python or new.python),
                )
                sups[s.label] = contain.Supervised(
                    cmd, copied.parent, work.path / f"{s.label}-out", s.label, env
                )
            deadline = time.monotonic() + timeout
            budget_at = time.monotonic() + budget if budget else None
            pause_at = None
            i = 1
            window_open = True
            while True:
                done = {k: sup.poll() for k, sup in sups.items()}
                done.update({s.label: True for s in reused})
                # compare the compared-window steps that both sides have written
                while window_open and i <= steps:
                    po, pn = step_path(traces["old"], i), step_path(traces["new"], i)
                    if po.exists() and pn.exists():
                        diffs.append(_compare_one(i, po, pn, rtol, atol, stats))
                        for label, p in (("old", po), ("new", pn)):
                            if label not in keep:
                                p.unlink()
                        _write_ctl(ctls, "consumed", i)
                        i += 1
                        continue
                    if (done["old"] and not po.exists()) or (done["new"] and not pn.exists()):
                        window_open = False
                        _write_ctl(ctls, "consumed", 1 << 30)
                    break
                if done["old"] and done["new"]:
                    break
                now = time.monotonic()
                if budget_at is not None and budget_stop is None and now > budget_at:
                    # Ask both sides to pause after their current step and
                    # say where they are; then both stop after the same step
                    # (the further one's).  A side that takes no step within
                    # the grace period is judged by its trace (and may then
                    # run past the other by the steps in flight).
                    if pause_at is None:
                        pause_at = now
                        _write_ctl(ctls, "pause", 1)
                    paused = {
                        s.label: _read_ctl(ctls[s.label], "paused")
                        for s in sides
                        if s.label in ctls
                    }
                    ready = all(paused.get(s.label) is not None or done[s.label] for s in sides)
                    if ready or now - pause_at > BUDGET_PAUSE_GRACE:
                        seen = [
                            p if p is not None else count_steps(traces[label])
                            for label, p in paused.items()
                        ]
                        budget_stop = max(seen + [1]) if ready else max(seen + [0]) + 1
                        budget_stop = max(budget_stop, steps)
                        _write_ctl(ctls, "stop_at", budget_stop)
                if now > deadline:
                    for k, sup in sups.items():
                        if not done[k]:
                            results[k].timed_out = True
                            sup.stop()
                    break
                time.sleep(0.02)
        except BaseException:
            for sup in sups.values():
                sup.stop()
            raise
        for s in sides:
            r = results[s.label]
            sup = sups[s.label]
            sup.stop()
            r.seconds = sup.seconds
            r.status = sup.status()
            r.stdout, r.stderr = sup.read_stdout(), sup.read_stderr()
            r.result = read_result(traces[s.label])
            r.steps = read_steps(traces[s.label])
            if s.label in before:
                after = contain.snapshot_stats(s.root)
                r.changed_in_tree = contain.changed_files(before[s.label], after)
        for s in reused:
            r = results[s.label]
            r.steps = read_steps(traces[s.label])
        # compared-window steps written by one side only
        if i <= steps:
            n_old = _window_count(results["old"], steps)
            n_new = _window_count(results["new"], steps)
            for j in range(i, max(n_old, n_new) + 1):
                po, pn = step_path(traces["old"], j), step_path(traces["new"], j)
                if po.exists() and pn.exists():
                    diffs.append(_compare_one(j, po, pn, rtol, atol, stats))
                elif po.exists() or pn.exists():
                    diffs.append(
                        missing_step(
                            j,
                            _step_info(po) if po.exists() else None,
                            _step_info(pn) if pn.exists() else None,
                        )
                    )
        if keep_old_trace is not None and "old" in sups:
            _keep(results["old"], traces["old"], keep_old_trace)
    return PairRun(
        results["old"],
        results["new"],
        diffs,
        stats,
        time.monotonic() - start,
        budget_stop,
        own_peak_rss_kb(),
    )


def own_peak_rss_kb() -> int:
    """This process's peak RSS in KiB.  ``/proc/self/status`` VmHWM where there is
    one: ``getrusage(RUSAGE_SELF).ru_maxrss`` also counts the peak of the process
    that started this one (Linux carries it over exec), so a verify started from a
    2 GB process would report 2 GB."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _keep(r: SideResult, trace: Path, dest: Path) -> None:
    """Store a side's trace and what the parent learnt about it, for ``_load_kept``."""
    import json
    import shutil

    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(trace, dest)
    (dest / "stdout").write_text(r.stdout, encoding="utf-8")
    (dest / "stderr").write_text(r.stderr, encoding="utf-8")
    meta = {
        "status": r.status,
        "seconds": r.seconds,
        "timed_out": r.timed_out,
        "copy_root": str(r.copy_root),
        "copy_notes": r.copy_notes,
        "changed_in_tree": r.changed_in_tree,
    }
    (dest / "side.json").write_text(json.dumps(meta), encoding="utf-8")


def _load_kept(r: SideResult, trace: Path) -> None:
    import json

    meta = json.loads((trace / "side.json").read_text(encoding="utf-8"))
    r.status, r.seconds, r.timed_out = meta["status"], meta["seconds"], meta["timed_out"]
    r.copy_root = Path(meta["copy_root"])
    r.copy_notes, r.changed_in_tree = meta["copy_notes"], meta["changed_in_tree"]
    r.stdout = (trace / "stdout").read_text(encoding="utf-8")
    r.stderr = (trace / "stderr").read_text(encoding="utf-8")
    r.result = read_result(trace)
    r.steps = read_steps(trace)


def _old_env(env: dict, synthetic: bool) -> dict:
    """The environment of a genuine old interpreter: only the portable directory (and the
    synthetic stand-ins) on its path -- never this package, which needs Python 3.9+."""
    env = dict(env)
    paths = [PORTABLE_DIR] + ([SYNTHETIC_DIR] if synthetic else [])
    keep = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != _PACKAGE_ROOT]
    env["PYTHONPATH"] = os.pathsep.join(paths + keep)
    env.pop("PYTHONWARNINGS", None)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _rewrite_for_python3(python: str, root: Path) -> list[str]:
    """A Python 3 old interpreter cannot run Python 2 sources or ``async=`` keywords: the
    copy gets the source loader's rewrite (the parent has fissix; the old side does not)."""
    from .oldenv import python_version

    try:
        if python_version(Path(python)).startswith("2."):
            return []
    except ValueError as exc:
        return [str(exc)]
    from .loader import decode_source, rewrite_source

    n = 0
    for p in sorted(root.rglob("*.py")):
        try:
            text = decode_source(p.read_bytes())
            new = rewrite_source(text, str(p))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue
        if new != text:
            p.write_text(new, encoding="utf-8")
            n += 1
    if not n:
        return []
    return [f"{n} Python 2 / async= source file(s) rewritten for the Python 3 old interpreter"]


def _compare_one(i, po, pn, rtol, atol, stats) -> StepDiff:
    try:
        return compare_step_files(i, po, pn, rtol, atol, stats)
    except TraceFormatError:
        return missing_step(i, None, None)


def _step_info(p: Path) -> dict:
    try:
        return StepFile(p).info
    except TraceFormatError:
        return {}


def _window_count(r: SideResult, steps: int) -> int:
    return sum(1 for s in r.steps if s.get("t")) if r.steps else 0


BUDGET_PAUSE_GRACE = 10.0  # seconds a side may take to reach its next step


def _read_ctl(d: Path, name: str) -> int | None:
    try:
        return int((d / name).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def _write_ctl(ctls: dict, name: str, value: int) -> None:
    for d in ctls.values():
        tmp = d / f".{name}.part"
        try:
            tmp.write_text(str(value), encoding="ascii")
            os.replace(tmp, d / name)
        except OSError:
            pass


def run_plain(
    script: Path,
    args: list[str],
    *,
    legacy: bool = True,
    device: str = "cpu",
    synthetic: bool = False,
    synthetic_samples: int | None = None,
) -> int:
    """``torchmigrate run [--legacy] SCRIPT -- ARGS``: run in place (cwd unchanged), output
    passed through; contained (own session, every leftover process killed at the end);
    returns the child's exit status."""
    import subprocess

    cmd = child_command(
        script.resolve(),
        None,
        legacy=legacy,
        steps=0,
        seed=0,
        device=device,
        args=args,
        record=False,
        root=script.resolve().parent,
        synthetic=synthetic,
        synthetic_samples=synthetic_samples,
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p)
    if synthetic:
        env["PYTHONPATH"] = os.pathsep.join((env["PYTHONPATH"], SYNTHETIC_DIR))
    sup_cmd = [sys.executable, "-m", "torchmigrate.harness.contain", "--passthrough", "--", *cmd]
    proc = subprocess.Popen(sup_cmd, env=env, start_new_session=True)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait()
        return 130
