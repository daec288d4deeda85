"""``--resume``: which repos a previous run finished.

The state file (``.torchmigrate-state.json`` in the working directory) is
``{"version": 1, "done": ["repo", ...]}``.  It is validated before anything
is read or written (a malformed file, a directory in its place, or a place
where it cannot be written is a clear error, exit 2), and rewritten
atomically each time a repo is finished: after the last changed file of the
repo has been written (repos with nothing to write are finished as soon as
the writing phase starts).  An interrupted run therefore leaves a valid file
naming exactly the repos whose changes are on disk; a repo with a failed file
is never marked done, so a resumed run retries it.
"""

from __future__ import annotations

import json
import os
import stat
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Optional

from torchmigrate.errors import RunError
from torchmigrate.sources import SourceError, file_kind, read_bytes, write_atomic

STATE_FILE = ".torchmigrate-state.json"
VERSION = 1


class StateError(RunError):
    """The --resume state file cannot be used."""


def _err(path: Path, what: str) -> StateError:
    return StateError(
        f"{path}: {what}; fix or delete it, or run without --resume (no file was touched)"
    )


def load(path: Path) -> set:
    """The repos marked done in ``path`` (empty when it does not exist).

    Raises :class:`StateError` for anything that is not a valid state file
    at a writable place."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise _err(path, f"cannot read the --resume state file: {exc.strerror or exc}") from None
    parent = path.parent if str(path.parent) else Path(".")
    try:
        pst = os.stat(parent)
    except OSError as exc:
        raise _err(path, f"cannot use its directory: {exc.strerror or exc}") from None
    if not (pst.st_mode & 0o222) or not os.access(parent, os.W_OK | os.X_OK):
        raise _err(path, f"the --resume state cannot be saved: directory {parent} is read-only")
    if st is None:
        return set()
    kind = file_kind(st.st_mode)
    if kind is not None:
        raise _err(path, f"the --resume state path {kind}")
    if not (st.st_mode & 0o222) or not os.access(path, os.W_OK):
        raise _err(path, "the --resume state file is read-only")
    try:
        data, _st, _fp = read_bytes(path)
    except SourceError as exc:
        raise _err(path, exc.message) from None
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise _err(path, "not a torchmigrate state file (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise _err(
            path,
            f"not a torchmigrate state file (invalid JSON at line {exc.lineno}, "
            f"column {exc.colno})",
        ) from None
    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("done"), list)
        or not all(isinstance(x, str) for x in doc["done"])
    ):
        raise _err(path, 'not a torchmigrate state file (expected {"done": ["repo", ...]})')
    version = doc.get("version", VERSION)
    if version != VERSION:
        raise _err(path, f"state file version {version!r} is not supported (expected {VERSION})")
    return set(doc["done"])


def save(path: Path, done: Iterable[str]) -> None:
    """Write the state atomically (temporary file + rename)."""
    text = json.dumps({"version": VERSION, "done": sorted(set(done))}, indent=2) + "\n"
    mode = None
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        pass
    write_atomic(Path(path), text.encode("utf-8"), mode)


class Progress:
    """Marks repos done, and saves the state, as their files are written.

    ``for o in progress.each(changed): ...write o...`` — when the loop moves
    past the last changed file of a repo (whatever the loop body did with it),
    the repo is finished unless one of its files failed."""

    def __init__(self, path: Optional[Path], done: set, outcomes: list):
        self.path = Path(path) if path is not None else None
        self.done = set(done)
        self.pending = Counter(o.repo for o in outcomes if o.status == "changed")
        self.failed = {o.repo for o in outcomes if o.status == "failed"}
        self.repos = list(dict.fromkeys(o.repo for o in outcomes))
        self._started = False

    def _finish(self, repos: list) -> None:
        new = [r for r in repos if r not in self.failed and r not in self.done]
        if new and self.path is not None:
            self.done.update(new)
            save(self.path, self.done)

    def start(self) -> None:
        """Repos with nothing to write are finished as the writing begins."""
        if not self._started:
            self._started = True
            self._finish([r for r in self.repos if not self.pending[r]])

    def settle(self, o) -> None:
        """``o``'s file is settled (written, refused or left as it was)."""
        self.start()
        if o.status == "failed":
            self.failed.add(o.repo)
        self.pending[o.repo] -= 1
        if self.pending[o.repo] <= 0:
            self._finish([o.repo])

    def each(self, changed: list) -> Iterator:
        self.start()
        for o in changed:
            yield o
            self.settle(o)
