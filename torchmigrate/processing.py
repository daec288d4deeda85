"""Running the engine over many files: the per-file worker (safe to run in a
process pool), the pool itself and git-awareness (configuration: ``config.py``).

The worker never raises for one file: every problem (unreadable or special
file, bad encoding, parse error, a rule's internal error, a RecursionError on
deeply nested code, any other exception) becomes a failure of that file with
a one-line message, and the run goes on.  Before a changed file is accepted
the worker also refuses what the engine cannot see (``textchecks``): output
that Python 3 rejects with ``TabError``, and Python 3.12 f-strings that the
grammar mis-reads.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from pathlib import Path
from typing import Callable, Optional

from torchmigrate import suppressions
from torchmigrate.engine import MigrationError, migrate
from torchmigrate.report import FileOutcome
from torchmigrate.sources import SourceError, decode, read_bytes, read_source
from torchmigrate.textchecks import FSTRING_312, TAB_ERROR, fstring_312_line, tab_error_line


@lru_cache(maxsize=8)
def _rules(rule_ids: tuple) -> tuple:
    from codemods import all_rules

    wanted = set(rule_ids)
    return tuple(r for r in all_rules() if r.id in wanted)


def _with_cell(items, cell=None) -> list:
    out = []
    for f in items:
        d = f.as_dict()
        if cell is not None:
            d["cell"] = cell
        out.append(d)
    return out


def process_file(
    path: str, repo: str, display: str, rule_ids: tuple, unsafe_fixes: bool, facts=None
) -> FileOutcome:
    """Read, migrate and render one file.  Never raises for bad input.

    ``facts`` is the file's slice of the project model
    (:class:`torchmigrate.project.ModuleFacts`, picklable) or None."""
    rules = _rules(rule_ids)

    def attempt() -> FileOutcome:
        out = FileOutcome(path=display, repo=repo, status="unchanged")
        if path.endswith(".ipynb"):
            _process_notebook(Path(path), display, rules, unsafe_fixes, out, facts)
        else:
            _process_python(Path(path), display, rules, unsafe_fixes, out, facts)
        return out

    try:
        out = _with_deep_stack(attempt)
    except SourceError as exc:
        out = _failed(display, repo, exc.message, exc.line)
    except RecursionError:
        out = _failed(
            display,
            repo,
            "code nested too deeply to process (RecursionError even with a "
            f"{DEEP_RECURSION_LIMIT}-frame stack); not modified",
        )
    except MemoryError:
        out = _failed(display, repo, "out of memory while processing this file; not modified")
    except Exception as exc:  # noqa: BLE001 - an internal error must not stop the run
        msg = " ".join(f"{type(exc).__name__}: {exc}".split())
        if len(msg) > 300:
            msg = msg[:297] + "..."
        out = _failed(display, repo, f"internal error: {msg}")
    if out.status == "failed":
        out.old = out.new = out.new_bytes = None
    return out


def _failed(display: str, repo: str, message: str, line: Optional[int] = None) -> FileOutcome:
    where = f"{display}:{line}" if line else display
    return FileOutcome(path=display, repo=repo, status="failed", errors=[f"{where}: {message}"])


# Deeply nested code (e.g. 150 nested calls) exceeds Python's default recursion
# limit in fissix's recursive tree code.  Such a file is retried in a thread
# with a large stack and a higher limit; only beyond that is it a failure.
DEEP_RECURSION_LIMIT = 60_000
DEEP_STACK_BYTES = 512 * 1024 * 1024


def _with_deep_stack(fn: Callable):
    try:
        return fn()
    except RecursionError:
        pass
    box: dict = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            box["error"] = exc

    old_limit = sys.getrecursionlimit()
    try:
        old_size = threading.stack_size(DEEP_STACK_BYTES)
    except (ValueError, RuntimeError):  # no settable stack size here
        raise RecursionError("maximum recursion depth exceeded") from None
    try:
        sys.setrecursionlimit(max(old_limit, DEEP_RECURSION_LIMIT))
        t = threading.Thread(target=run, name="torchmigrate-deep")
        t.start()
        t.join()
    finally:
        threading.stack_size(old_size)
        sys.setrecursionlimit(old_limit)
    if "error" in box:
        raise box["error"]
    return box["value"]


def _settle(out: FileOutcome, display: str, res, render) -> None:
    """Record a result's errors and, for a clean changed file, its new bytes.
    A file on which any rule failed is left byte-identical."""
    out.errors = [f"{display}: {e}" for e in res.errors]
    if out.errors:
        out.status = "failed"
        return
    if res.changed:
        out.old, out.new = res.old, res.new
        out.new_bytes = render(res.new)
        out.status = "changed"


def _process_python(
    path: Path, display: str, rules, unsafe_fixes: bool, out: FileOutcome, facts=None
) -> None:
    src = read_source(path)
    out.fingerprint = src.fingerprint
    fstring_line = fstring_312_line(src.text)
    try:
        res = migrate(src.text, rules, unsafe_fixes=unsafe_fixes, filename=display, project=facts)
    except MigrationError as exc:
        if fstring_line is not None:
            raise SourceError(path, FSTRING_312, fstring_line) from None
        where = f"{display}:{exc.line}" if exc.line else display
        out.status = "failed"
        out.errors.append(f"{where}: cannot parse: {exc}")
        return
    if fstring_line is not None and (res.changed or res.fixes or res.findings or res.errors):
        raise SourceError(path, FSTRING_312, fstring_line)
    if any("RecursionError" in e for e in res.errors):
        raise RecursionError(res.errors[0])  # retried with a deeper stack
    out.py2 = res.py2
    out.fixes = _with_cell(res.fixes)
    out.findings = _with_cell(res.findings)
    out.suppressed = res.suppressed
    out.warnings = suppressions.warnings_for(res, rules)
    if res.changed and not res.errors:
        # TM300 reports this while the file is Python 2; once written as
        # Python 3 (print statements converted) nothing would notice any more.
        tab_line = tab_error_line(res.new)
        if tab_line is not None:
            raise SourceError(path, TAB_ERROR, tab_line)
    _settle(out, display, res, src.render)
    if out.new_bytes is not None:
        _check_reads_back(path, src, out.new_bytes, res.new)


def _check_reads_back(path: Path, src, data: bytes, text: str) -> None:
    """The bytes to write must read back as the migrated text in the file's
    own encoding (e.g. a line inserted above a PEP 263 cookie would make
    Python read a Latin-1 file as UTF-8)."""
    try:
        back, encoding = decode(path, data)[:2]
    except SourceError:
        back, encoding = None, None
    if back != text or encoding != src.encoding:
        raise SourceError(
            path,
            f"the migrated file would not read back as {src.encoding} (its encoding "
            "declaration would move below line 2); not modified",
        )


def _process_notebook(
    path: Path, display: str, rules, unsafe_fixes: bool, out: FileOutcome, facts=None
) -> None:
    from torchmigrate.notebooks import NotebookError, migrate_notebook

    data, _st, fingerprint = read_bytes(path)
    out.fingerprint = fingerprint
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(path, "notebook is not UTF-8", line) from None
    try:
        res = migrate_notebook(raw, rules, unsafe_fixes=unsafe_fixes, project=facts)
    except NotebookError as exc:
        out.status = "failed"
        out.errors.append(f"{display}: {exc.message}")
        return
    out.fixes = [d for cf in res.fixes for d in _with_cell([cf.finding], cf.cell)]
    out.findings = [d for cf in res.findings for d in _with_cell([cf.finding], cf.cell)]
    out.suppressed = res.suppressed
    out.notes = [f"{display}: {n}" for n in res.notes]
    _settle(out, display, res, lambda text: text.encode("utf-8"))


def run_pool(
    items: list,
    rule_ids: tuple,
    unsafe_fixes: bool,
    jobs: int,
    on_done: Optional[Callable[[FileOutcome], None]] = None,
    facts: Optional[dict] = None,
) -> list:
    """Process ``items`` = [(path, repo, display)] and return outcomes in order.

    ``facts`` maps ``str(path)`` to the file's project facts.  A worker process that dies (killed, out of memory, a crash in native
    code) does not stop the run: the files it left unfinished are retried one
    per fresh worker, and the file that kills its worker again is a failure."""
    facts = facts or {}
    results: list = [None] * len(items)

    def done(i: int, outcome: FileOutcome) -> None:
        results[i] = outcome
        if on_done:
            on_done(outcome)

    if jobs <= 1 or len(items) <= 1:
        for i, (path, repo, display) in enumerate(items):
            done(
                i,
                process_file(
                    str(path), repo, display, rule_ids, unsafe_fixes, facts.get(str(path))
                ),
            )
        return results
    args = (items, rule_ids, unsafe_fixes, facts, done)
    unfinished = _pool_pass(list(range(len(items))), *args, jobs)
    for i in unfinished:  # isolate the file that broke the pool
        if _pool_pass([i], *args, 1):
            path, repo, display = items[i]
            done(
                i,
                _failed(
                    display,
                    repo,
                    "the worker process died while processing this file "
                    "(killed, out of memory or crashed); not modified",
                ),
            )
    return results


def _pool_pass(indices, items, rule_ids, unsafe_fixes, facts, done, jobs) -> list:
    """Run ``indices`` in one pool; the indices left unfinished by a broken pool."""
    pool = ProcessPoolExecutor(max_workers=jobs)
    unfinished: list = []
    try:
        futures = {}
        for i in indices:
            path, repo, display = items[i]
            fut = pool.submit(
                process_file,
                str(path),
                repo,
                display,
                rule_ids,
                unsafe_fixes,
                facts.get(str(path)),
            )
            futures[fut] = i
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                outcome = fut.result()
            except BrokenProcessPool:
                unfinished.append(i)
                continue
            done(i, outcome)
    except BaseException:
        # Interrupted (SIGINT/SIGTERM): do not process the queued files.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return sorted(unfinished)


# --------------------------------------------------------------------------
# Git
# --------------------------------------------------------------------------
def dirty_files(paths: Iterable[Path]) -> list:
    """The files among ``paths`` with uncommitted changes (or untracked) in
    their git work tree.  Files outside a work tree are never dirty."""
    by_root: dict = {}
    for p in paths:
        p = Path(p).resolve()
        try:
            root = subprocess.run(
                ["git", "-C", str(p.parent), "rev-parse", "--show-toplevel"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except (OSError, subprocess.SubprocessError):
            return []
        if root.returncode != 0:
            continue
        by_root.setdefault(Path(root.stdout.strip()).resolve(), []).append(p)
    dirty = []
    for root, files in by_root.items():
        proc = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain=v1", "-z", "--untracked-files=all"],
            capture_output=True,
            timeout=60,
        )
        if proc.returncode != 0:
            continue
        changed = set()
        entries = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
        i = 0
        while i < len(entries):
            entry = entries[i]
            i += 1
            if len(entry) < 4:
                continue
            status, name = entry[:2], entry[3:]
            if status[0] in "RC":
                i += 1  # the rename source follows
            changed.add((root / name).resolve())
        dirty += [f for f in files if f in changed]
    return dirty


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
