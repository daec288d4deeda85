"""Running the engine over many files: the per-file work (:func:`process_bytes`:
bytes and project facts in, a :class:`FileOutcome` out, no file system access,
so it runs in any worker process, local or remote), the driver's side of it
(reading, :func:`run_pool`; the executors are in ``executors.py``) and
git-awareness (configuration: ``config.py``)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Callable, Optional

from torchmigrate import suppressions
from torchmigrate.engine import MigrationError, migrate
from torchmigrate.report import FileOutcome
from torchmigrate.sources import Source, SourceError, decode


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
    module keeps none), or :class:`SourceError` (one line)."""
    try:
        return Path(path).read_bytes(), None
    except FileNotFoundError:
        raise SourceError(path, "no such file") from None
    except IsADirectoryError:
        raise SourceError(path, "is a directory") from None
    except OSError as exc:
        raise SourceError(path, f"cannot read: {exc.strerror or exc}") from None


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
    out = FileOutcome(path=display, repo=repo, status="unchanged")
    rules = _rules(rule_ids)
    try:
        if path.endswith(".ipynb"):
            _process_notebook(Path(path), data, display, rules, unsafe_fixes, out, facts)
        else:
            _process_python(Path(path), data, display, rules, unsafe_fixes, out, facts)
    except SourceError as exc:
        out.status = "failed"
        where = f"{display}:{exc.line}" if exc.line else display
        out.errors.append(f"{where}: {exc.message}")
    except Exception as exc:  # noqa: BLE001 - an internal error must not stop the run
        out.status = "failed"
        out.errors.append(f"{display}: internal error: {type(exc).__name__}: {exc}")
    if out.status == "failed":
        out.old = out.new = out.new_bytes = None
    return out


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
    text, encoding, newline = decode(path, data)
    return Source(path, text, encoding, newline, 0, data)


def _process_python(
    path: Path, data: bytes, display: str, rules, unsafe_fixes: bool, out: FileOutcome, facts
) -> None:
    src = _source(path, data)
    try:
        res = migrate(src.text, rules, unsafe_fixes=unsafe_fixes, filename=display, project=facts)
    except MigrationError as exc:
        where = f"{display}:{exc.line}" if exc.line else display
        out.status = "failed"
        out.errors.append(f"{where}: cannot parse: {exc}")
        return
    out.py2 = res.py2
    out.fixes = _with_cell(res.fixes)
    out.findings = _with_cell(res.findings)
    out.suppressed = res.suppressed
    out.warnings = suppressions.warnings_for(res, rules)
    _settle(out, display, res, src.render)


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
