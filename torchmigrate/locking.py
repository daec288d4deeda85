"""One rewriting run at a time per tree, and a clean end on SIGTERM.

``begin_run(paths)`` is called by ``upgrade`` before it reads anything it may
rewrite in place:

- For each directory argument it takes an exclusive lock (``flock``) on a lock
  file: ``<git dir>/torchmigrate.lock`` inside a git work tree (invisible to
  ``git status``; one lock for the whole work tree), else
  ``<dir>/.torchmigrate.lock``.  A second run on the same tree - or on a tree
  that contains it or is contained in it - stops with a message naming the
  other process.  The kernel drops the lock when its process dies, so a lock
  left by a killed run is never in force (stale-lock recovery is automatic; the
  file is reused or removed).
- File arguments (what pre-commit passes, in parallel batches) take no lock:
  they only check that no tree run holds a lock over them.  Every write is a
  compare-and-swap anyway (``sources.write_atomic``), so even runs that do not
  see each other's locks cannot lose an edit: the later writer reports the
  file as "changed during the run".
- Temporary files left by killed runs in the trees are removed
  (``sources.remove_stale_temps``: our name pattern, and a dead writer).
- SIGTERM (and SIGHUP) raise ``SystemExit`` in the main thread, so every
  ``finally`` runs: temporary files and staging trees are removed, locks
  released.  (SIGINT already raises ``KeyboardInterrupt``.)

``end_run()`` releases the locks and restores the signal handlers.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Optional

from torchmigrate.errors import RunError
from torchmigrate.sources import git_dir_of, remove_stale_temps, walk_dirs

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".torchmigrate.lock"  # in a directory outside git
GIT_LOCK_NAME = "torchmigrate.lock"  # in the git directory

_HELD: list = []  # [(path, fd)]
_OLD_HANDLERS: dict = {}


class LockError(RunError):
    """Another run holds a lock over the tree."""


# --------------------------------------------------------------------------
def _git_top(directory: Path) -> Optional[Path]:
    for cand in [directory, *directory.parents]:
        if (cand / ".git").exists():
            return cand
    return None


def _dir_writable(directory: Path) -> bool:
    try:
        st = os.stat(directory)
    except OSError:
        return False
    return bool(st.st_mode & 0o222) and os.access(directory, os.W_OK | os.X_OK)


def lock_path_for(directory: Path) -> Optional[Path]:
    """Where the lock of the tree ``directory`` lives (None: nowhere writable)."""
    top = _git_top(directory)
    if top is not None:
        gitdir = git_dir_of(top)
        if gitdir is not None and _dir_writable(gitdir):
            return gitdir / GIT_LOCK_NAME
    # A directory nobody may write to gets no lock file either (its files are
    # refused anyway): we never write into a read-only directory, even as root.
    return directory / LOCK_NAME if _dir_writable(directory) else None


def _guards(directory: Path) -> list:
    """Lock files that, when held, guard ``directory`` and everything below it."""
    out = [directory / LOCK_NAME]
    if (directory / ".git").exists():
        gitdir = git_dir_of(directory)
        if gitdir is not None:
            out.append(gitdir / GIT_LOCK_NAME)
    return out


def _describe(data: bytes) -> str:
    try:
        info = json.loads(data.decode("utf-8"))
        return (
            f"pid {info['pid']} on {info.get('host', '?')}, started {info.get('started', '?')}: "
            f"`{info.get('command', '?')}`"
        )
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return "a process that has not written its details yet"


def holder(lock: Path) -> Optional[str]:
    """A description of the live process holding ``lock``, or None when the
    lock is free (absent, or left by a process that is gone)."""
    if fcntl is None:
        return None
    try:
        fd = os.open(lock, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _describe(os.pread(fd, 4096, 0))
        except OSError:
            return None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _info() -> bytes:
    cmd = " ".join(["torchmigrate", *sys.argv[1:]])
    return (
        json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                "command": cmd[:300],
                "cwd": os.getcwd(),
            }
        )
        + "\n"
    ).encode("utf-8")


def _flock_briefly(fd: int, tries: int = 10) -> None:
    """LOCK_EX, retried for a moment: a run that only checks for locks holds a
    shared lock for a few microseconds, which must not look like a run."""
    for i in range(tries):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if i == tries - 1:
                raise
            time.sleep(0.02)


def _take(lock: Path, tree: Path) -> Optional[int]:
    """Lock ``lock`` (exclusive, non-blocking); the fd, or None when locking is
    not supported there.  Raises :class:`LockError` when it is held."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(50):
        try:
            fd = os.open(lock, flags, 0o644)
        except OSError:
            return None
        try:
            _flock_briefly(fd)
        except BlockingIOError:
            who = _describe(os.pread(fd, 4096, 0))
            os.close(fd)
            raise LockError(
                f"{tree}: another torchmigrate run is already rewriting this tree ({who}); "
                f"wait for it to finish (lock: {lock})"
            ) from None
        except OSError:  # e.g. ENOLCK: no locking on this file system
            os.close(fd)
            return None
        # The previous holder may have removed the file between our open and
        # our lock: make sure we hold the file that is at the path now.
        try:
            now = os.stat(lock, follow_symlinks=False)
        except FileNotFoundError:
            os.close(fd)
            continue
        mine = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (mine.st_dev, mine.st_ino):
            os.close(fd)
            continue
        os.ftruncate(fd, 0)
        os.pwrite(fd, _info(), 0)
        return fd
    return None


def _conflict(tree: Path, other: Path, lock: Path, who: str) -> LockError:
    return LockError(
        f"{tree}: another torchmigrate run is already rewriting {other}, which overlaps "
        f"this tree ({who}); wait for it to finish (lock: {lock})"
    )


def _check_above(tree: Path, directory: Path, mine: set) -> None:
    for d in [directory, *directory.parents]:
        for lock in _guards(d):
            if lock in mine:
                continue
            who = holder(lock)
            if who is not None:
                raise _conflict(tree, d, lock, who)


def _sweep_below(tree: Path, directory: Path, mine: set) -> None:
    """Check the directories discovery walks below ``directory`` for other
    runs' locks, and remove our stale temporary files there."""
    for d in walk_dirs(directory):
        if d != directory:
            for lock in _guards(d):
                if lock not in mine and (who := holder(lock)) is not None:
                    raise _conflict(tree, d, lock, who)
        remove_stale_temps(d)


# --------------------------------------------------------------------------
def _on_terminate(signum, _frame):
    raise SystemExit(128 + signum)


def _install_handlers() -> None:
    if threading.current_thread() is not threading.main_thread() or _OLD_HANDLERS:
        return
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        old = signal.getsignal(sig)
        if old in (signal.SIG_IGN,):  # e.g. nohup: keep ignoring
            continue
        _OLD_HANDLERS[sig] = old
        signal.signal(sig, _on_terminate)


def begin_run(paths: list, in_place: bool = True) -> None:
    """Before a writing run: SIGTERM handling; for in-place runs, the tree
    locks, the overlap checks and the removal of stale temporary files."""
    _install_handlers()
    if not in_place or fcntl is None:
        return
    trees = []
    for p in paths:
        p = Path(p)
        try:
            resolved = p.resolve()
            is_dir = resolved.is_dir()
        except OSError:
            continue
        if not resolved.exists():
            continue
        trees.append((p, resolved, is_dir))
    mine: set = set()
    try:
        for p, resolved, is_dir in trees:
            if not is_dir:
                continue
            lock = lock_path_for(resolved)
            if lock is None or lock in mine:
                continue
            fd = _take(lock, p)
            if fd is not None:
                _HELD.append((lock, fd))
                mine.add(lock)
        for p, resolved, is_dir in trees:
            if is_dir:
                _check_above(p, resolved, mine)
                _sweep_below(p, resolved, mine)
            else:
                _check_above(p, resolved.parent, mine)
                remove_stale_temps(resolved.parent, [resolved.name])
    except BaseException:
        end_run()
        raise


def end_run() -> None:
    """Release every lock (removing its file) and restore signal handlers."""
    while _HELD:
        lock, fd = _HELD.pop()
        try:
            os.unlink(lock)
        except OSError:
            pass
        try:
            os.close(fd)
        except OSError:
            pass
    if threading.current_thread() is threading.main_thread():
        for sig, old in list(_OLD_HANDLERS.items()):
            try:
                signal.signal(sig, old)
            except (ValueError, TypeError, OSError):
                pass
    _OLD_HANDLERS.clear()
