"""Running the engine over many files: the per-file work (:func:`process_bytes`:
bytes and project facts in, a :class:`FileOutcome` out, no file system access,
so it runs in any worker process, local or remote), the driver's side of it
(reading, :func:`run_pool`; the executors are in ``executors.py``) and
git-awareness (configuration: ``config.py``).

The work never raises for one file: every problem (unreadable or special
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
from functools import lru_cache
from pathlib import Path
from typing import Callable, Optional

from torchmigrate import suppressions
from torchmigrate.engine import MigrationError, migrate
from torchmigrate.report import FileOutcome
from torchmigrate.sources import Source, SourceError, decode, read_bytes
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

    Reading is the driver's job (:func:`read_input`); the migration itself is
    :func:`process_bytes`, which is what every executor's workers run."""
    try:
        data, fingerprint = read_input(Path(path))
    except SourceError as exc:
        return failed_outcome(display, repo, exc.message, exc.line)
    out = process_bytes(path, data, repo, display, rule_ids, unsafe_fixes, facts)
    if fingerprint is not None:
        out.fingerprint = fingerprint
    return out


def read_input(path: Path) -> tuple:
    """``(bytes, fingerprint)`` of one input file (the fingerprint is what
    the writer checks before replacing the file; None where the sources
    module keeps none), or :class:`SourceError` (one line).  Never blocks
    on a FIFO or a device: anything but a regular file is refused."""
    data, _st, fingerprint = read_bytes(path)
    return data, fingerprint


def failed_outcome(display: str, repo: str, message: str, line: Optional[int] = None):
    where = f"{display}:{line}" if line else display
    return FileOutcome(path=display, repo=repo, status="failed", errors=[f"{where}: {message}"])


def process_bytes(
    path: str,
    data: bytes,
    repo: str,
    display: str,
    rule_ids: tuple,
    unsafe_fixes: bool,
    facts=None,
) -> FileOutcome:
    """Migrate one file given as bytes (no file system access: this runs in
    worker processes, local or remote).  ``facts`` is the file's slice of the
    project model (picklable) or None.  Never raises for bad input."""
    rules = _rules(rule_ids)

    def attempt() -> FileOutcome:
        out = FileOutcome(path=display, repo=repo, status="unchanged")
        if path.endswith(".ipynb"):
            _process_notebook(Path(path), data, display, rules, unsafe_fixes, out, facts)
        else:
            _process_python(Path(path), data, display, rules, unsafe_fixes, out, facts)
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


_failed = failed_outcome


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


def _source(path: Path, data: bytes) -> Source:
    text, encoding, newline, endings = decode(path, data)
    return Source(path, text, encoding, newline, 0, data, None, endings)


def _process_python(
    path: Path, data: bytes, display: str, rules, unsafe_fixes: bool, out: FileOutcome, facts
) -> None:
    src = _source(path, data)
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
    path: Path, data: bytes, display: str, rules, unsafe_fixes: bool, out: FileOutcome, facts
) -> None:
    from torchmigrate.notebooks import NotebookError, migrate_notebook

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
    executor=None,
) -> list:
    """Process ``items`` = [(path, repo, display)] and return outcomes in order.

    ``facts`` maps ``str(path)`` to the file's project facts.  The work runs on
    ``executor`` (:mod:`torchmigrate.executors`: the local process pool or a
    Dask cluster); without one, on a local pool of ``jobs`` processes.  Every
    executor runs the same unit of work: a small batch of files of one repo,
    shipped as bytes with their facts (:func:`process_bytes`)."""
    from torchmigrate.executors import LocalExecutor, run_items

    if executor is None:
        with LocalExecutor(jobs) as local:
            return run_items(local, items, rule_ids, unsafe_fixes, on_done, facts)
    return run_items(executor, items, rule_ids, unsafe_fixes, on_done, facts)


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
