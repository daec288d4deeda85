"""``verify_pair``: run two scripts, compare them, decide the verdict.

Verdicts (exit codes in ``report.EXIT_CODES``), first that applies:

1. ``diverged`` -- a compared step differs (loss, a gradient, a parameter, a tensor on one
   side only);
2. ``crash`` -- a side failed (before or after the compared window: side, file:line in
   the user's tree, traceback tail, and the legacy idiom when the error is a known one);
3. ``timeout`` -- a side did not finish within ``--timeout``;
4. ``diverged`` -- after the window, a step's loss differs, the two runs recorded a
   different number of steps, or (``compare_output="fail"``) the printed numbers differ;
5. ``nothing`` -- neither script called ``backward()``/``optimizer.step()``;
6. ``short`` -- only with ``strict``: fewer steps happened than ``--steps`` asked for
   (without ``strict`` this is a warning);
7. ``match``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from . import contain
from .compare import RUN_RTOL, TraceDiff, compare_losses, compare_output
from .crashes import explain_crash
from .report import SideInfo, VerifyResult, explain_step, tail
from .runner import PairRun, Side, SideResult, run_pair

# tolerances against a genuine old torch (see verify_pair)
GENUINE_RTOL, GENUINE_ATOL, GENUINE_RUN_RTOL = 1e-4, 1e-5, 5e-3


def _usage(old, new, message: str) -> VerifyResult:
    return VerifyResult(SideInfo(str(old)), SideInfo(str(new)), "usage", message)


def verify_pair(
    old: Path,
    new: Path,
    args: list[str] | None = None,
    *,
    steps: int = 3,
    max_steps: int | None = None,
    budget: float | None = None,
    device: str = "cpu",
    rtol: float | None = None,
    atol: float | None = None,
    timeout: float = 300.0,
    seed: int = 0,
    synthetic: bool = False,
    synthetic_samples: int | None = None,
    old_python: str | None = None,
    strict: bool = False,
    root: Path | None = None,
    old_root: Path | None = None,
    new_root: Path | None = None,
    prepared_old: Path | None = None,
    prepared_new: Path | None = None,
    compare_output_mode: str = "fail",
    run_rtol: float = RUN_RTOL,
    keep_old_trace: Path | None = None,
    reuse_old_trace: Path | None = None,
) -> VerifyResult:
    """Run ``old`` (legacy runtime, or ``old_python``) and ``new`` (plain torch); compare.

    ``root``/``old_root``/``new_root`` set the trees to copy (default: ``find_root``);
    ``prepared_old`` is an existing copy of the old tree (``upgrade --verify``'s snapshot),
    used as the old side's work copy instead of copying again (``prepared_new`` likewise).  ``keep_old_trace`` keeps
    the old side's trace in a directory; ``reuse_old_trace`` compares against such a kept
    trace instead of running the old script again (``upgrade --verify``'s bisection)."""
    old, new = Path(old), Path(new)
    args = list(args or [])
    for p in (old, new):
        if not p.is_file():
            return _usage(old, new, f"error: no such script: {p}")
    if device not in ("cpu", "cuda"):
        return _usage(old, new, f"error: --device must be 'cpu' or 'cuda', not {device!r}")
    if steps < 1:
        return _usage(old, new, "error: --steps must be >= 1")
    if max_steps is not None and max_steps < steps:
        return _usage(old, new, "error: --max-steps must be >= --steps")
    if compare_output_mode not in ("fail", "warn", "off"):
        return _usage(old, new, "error: --compare-output must be fail, warn or off")
    if old_python is not None:
        if not (os.path.isfile(old_python) and os.access(old_python, os.X_OK)):
            return _usage(old, new, f"error: --old-python {old_python}: not an executable")
    roots = []
    for script, explicit in ((old, old_root or root), (new, new_root or root)):
        r = Path(os.path.realpath(explicit)) if explicit else contain.find_root(script)
        if not _within(Path(os.path.realpath(script)), r):
            return _usage(old, new, f"error: {script} is not inside --root {r}")
        roots.append(r)

    if old_python is not None:
        # different torch versions run different kernels (BLAS, convolution algorithms):
        # equivalent maths differs by more ulps than within one torch
        rtol = GENUINE_RTOL if rtol is None else rtol
        atol = GENUINE_ATOL if atol is None else atol
        run_rtol = max(run_rtol, GENUINE_RUN_RTOL)
    start = time.monotonic()
    pair = run_pair(
        Side(
            "old",
            old,
            roots[0],
            legacy=True,
            python=old_python,
            prepared=prepared_old,
            reuse_trace=reuse_old_trace,
        ),
        Side("new", new, roots[1], legacy=False, prepared=prepared_new),
        args,
        steps=steps,
        max_steps=max_steps,
        budget=budget,
        seed=seed,
        device=device,
        timeout=timeout,
        synthetic=synthetic,
        synthetic_samples=synthetic_samples,
        rtol=rtol,
        atol=atol,
        keep_old_trace=keep_old_trace,
    )
    if pair.error is not None:
        return _usage(old, new, f"error: {pair.error}")
    result = decide(pair, steps, strict, compare_output_mode, run_rtol, timeout)
    result.seconds = time.monotonic() - start  # running and comparing, all included
    return result


def _within(p: Path, root: Path) -> bool:
    try:
        p.relative_to(root)
    except ValueError:
        return False
    return True


def _side_info(r: SideResult, window: int) -> SideInfo:
    info = SideInfo(str(r.script), round(r.seconds, 3))
    res = r.result or {}
    info.steps = len(r.steps)
    info.window_steps = sum(1 for s in r.steps if s.get("t"))
    info.stop_reason = res.get("stop_reason")
    info.python, info.torch = res.get("python"), res.get("torch")
    info.peak_rss_mb = round(r.status.get("peak_rss_kb", 0) / 1024, 1)
    info.blocked_writes = [b[1] for b in res.get("blocked_writes", [])]
    info.changed_in_tree = r.changed_in_tree
    info.copy_notes = r.copy_notes
    info.output_truncated = int(r.status.get("stdout_truncated", 0)) + int(
        r.status.get("stderr_truncated", 0)
    )
    if r.timed_out:
        info.status = "timeout"
    elif r.result is None:
        info.status = "no-trace"
        info.error_tail = tail(r.stderr or f"exit status {r.status.get('returncode')}")
    else:
        info.status = res.get("status", "")
        if res.get("error"):
            info.error_tail = tail(res["error"])
            frames = res.get("frames") or []
            if frames:
                f, line, _fn = frames[-1]
                info.crash_at = f"{r.original_path(f)}:{line}"
            hint = explain_crash(res["error"])
            if hint is not None:
                info.crash_hint = f"{', '.join(hint[0])}: {hint[1]}"
    return info


def decide(
    pair: PairRun,
    steps: int,
    strict: bool,
    output_mode: str,
    run_rtol: float,
    timeout: float,
) -> VerifyResult:
    so, sn = _side_info(pair.old, steps), _side_info(pair.new, steps)
    diff = TraceDiff(pair.steps, so.window_steps, sn.window_steps, pair.stats)
    res = VerifyResult(so, sn, "match", "", diff=diff, steps_requested=steps)
    res.parent_peak_rss_mb = round(pair.parent_peak_rss_kb / 1024, 1)
    res.budget_stop = pair.budget_stop
    for label, info in (("old", so), ("new", sn)):
        for p in info.blocked_writes:
            res.warnings.append(f"the {label} script tried to write outside its work copy: {p}")
        for p in info.changed_in_tree:
            res.warnings.append(f"a file in your tree changed while the {label} script ran: {p}")
        for n in info.copy_notes:
            if "rewritten for the Python 3 old interpreter" in n:
                continue  # information, not a problem
            res.warnings.append(f"{label} copy: {n}")
        if info.output_truncated:
            res.warnings.append(
                f"the {label} script printed more than the capture keeps; "
                f"{info.output_truncated} bytes of output were not kept"
            )
    window = min(steps, so.window_steps, sn.window_steps)
    ended = {
        "old": so.status in ("finished", "stopped"),
        "new": sn.status in ("finished", "stopped"),
    }
    run = compare_losses(pair.old.steps, pair.new.steps, window + 1, run_rtol)
    res.run = run
    if ended["old"] and ended["new"] and output_mode != "off":
        res.output = compare_output(pair.old.stdout, pair.new.stdout)

    first = diff.first_divergence()
    crashed = [(lab, i) for lab, i in (("old", so), ("new", sn)) if i.error_tail]
    timed = [lab for lab, i in (("old", so), ("new", sn)) if i.status == "timeout"]

    def fail(verdict: str, message: str) -> VerifyResult:
        res.verdict, res.message = verdict, message
        return res

    if first is not None and first.missing_side is not None:
        if any(lab == first.missing_side for lab, _ in crashed):
            first = None  # the side stopped recording because it crashed: report the crash
    if first is not None:
        msg = "diverged at " + explain_step(first)
        if crashed:
            msg += "; " + _crash_message(crashed, window)
        return fail("diverged", msg)
    if crashed:
        return fail("crash", _crash_message(crashed, window))
    if timed:
        counts = f"old {so.steps} step(s), new {sn.steps}"
        return fail(
            "timeout",
            f"timeout: the {' and '.join(timed)} script{'s' if len(timed) > 1 else ''} did not "
            f"finish within {timeout:g}s ({counts}); --max-steps or --budget verify part of a "
            "long run",
        )
    if run.first_bad is not None:
        return fail(
            "diverged",
            f"diverged after the compared window: step {run.first_bad} loss differs: old "
            f"{run.old_loss:.7g} vs new {run.new_loss:.7g} (run rtol {run_rtol:g})",
        )
    if so.steps != sn.steps:
        return fail(
            "diverged",
            f"diverged: the old script recorded {so.steps} training step(s), the new one "
            f"{sn.steps}",
        )
    out = res.output
    if out is not None and out.first_line is not None:
        msg = (
            f"printed output differs at line {out.first_line}: old {out.old_line.strip()!r} "
            f"vs new {out.new_line.strip()!r}"
        )
        if output_mode == "fail":
            return fail("diverged", "diverged: " + msg + " (--compare-output warn to allow)")
        res.warnings.append(msg)
    if out is not None and not out.comparable:
        res.warnings.append(f"printed output not compared line for line: {out.note}")
    if so.steps == 0 and sn.steps == 0:
        return fail(
            "nothing", "nothing to compare: neither script called backward() or optimizer.step()"
        )
    if window < steps:
        w = (
            f"only {window} of the {steps} requested step(s) happened "
            f"(old {so.steps}, new {sn.steps} in the whole run)"
        )
        if strict:
            return fail("short", f"short: {w} (--strict)")
        res.warnings.append(w)
    whole = (
        "both ran to the end"
        if so.stop_reason is None and sn.stop_reason is None
        else f"both stopped at step {so.steps} ({so.stop_reason or sn.stop_reason})"
    )
    res.message = (
        f"match: {window} step(s) identical within tolerance, {so.steps} step(s) in the whole "
        f"run, {whole}"
    )
    return res


def _crash_message(crashed: list, window: int) -> str:
    parts = []
    for label, info in crashed:
        where = "old, under the " + ("legacy runtime" if not info.torch else f"torch {info.torch}")
        if label == "old" and info.python and not info.python.startswith("3.1"):
            where = f"old, under Python {info.python} and torch {info.torch}"
        if label == "new":
            where = "new, under plain torch"
        when = (
            f"after step {info.steps} (after the {window} compared step(s))"
            if info.steps > window
            else f"after step {info.steps}"
        )
        at = f" at {info.crash_at}" if info.crash_at else ""
        last = info.error_tail.strip().splitlines()[-1] if info.error_tail else ""
        parts.append(f"the {label} script failed ({where}) {when}{at}: {last}")
    return "crash: " + "; ".join(parts)
