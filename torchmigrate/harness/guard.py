"""Block writes outside the work copy, for Python code in a verify/run child.

``install(allowed)`` adds an audit hook (PEP 578, Python 3.8+) that refuses every
file-system *write* whose real path (symbolic links resolved) is outside the
``allowed`` directories: opening for writing/appending/creating, removing, renaming,
creating directories or links, truncating, changing modes, owners or times, and
``shutil.rmtree``.  The refused operation raises ``PermissionError`` in the script, and
the attempt is remembered (``blocked()``) so the parent can name it.

Limits (stated in the README): audit hooks see Python-level operations only -- native
code writing through its own ``fopen``, and subprocesses, are not covered (the parent
still detects changes inside the original tree).  An audit hook cannot be removed, so a
script cannot switch the guard off from Python.
"""

from __future__ import annotations

import os
import sys

_allowed: list[str] = []
_blocked: list[tuple[str, str]] = []
_installed = False

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_ALWAYS = ("/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty")
_ALWAYS_PREFIX = ("/dev/shm/", "/dev/fd/", "/proc/self/fd/")

# event -> indexes of path arguments that are written
_PATH_EVENTS = {
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.rename": (0, 1),
    "os.mkdir": (0,),
    "os.symlink": (1,),
    "os.link": (1,),
    "os.truncate": (0,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.utime": (0,),
    "os.chflags": (0,),
    "os.lchflags": (0,),
    "os.setxattr": (0,),
    "os.removexattr": (0,),
    "shutil.rmtree": (0,),
}


def _path_of(arg) -> str | None:
    if isinstance(arg, int) or arg is None:
        return None
    try:
        p = os.fsdecode(os.fspath(arg))
    except TypeError:
        return None
    return p


def is_allowed(path: str) -> bool:
    if path in _ALWAYS or path.startswith(_ALWAYS_PREFIX):
        return True
    real = os.path.realpath(path)
    return any(real == a or real.startswith(a + os.sep) for a in _allowed)


def _is_write_open(mode, flags) -> bool:
    if isinstance(mode, str) and mode:
        return any(c in mode for c in "wax+")
    if isinstance(flags, int):
        return bool(flags & _WRITE_FLAGS)
    return False


def _hook(event: str, args: tuple) -> None:
    if event == "open":
        if len(args) < 3 or not _is_write_open(args[1], args[2]):
            return
        paths = (_path_of(args[0]),)
    else:
        idx = _PATH_EVENTS.get(event)
        if idx is None:
            return
        paths = tuple(_path_of(args[i]) for i in idx if i < len(args))
    for p in paths:
        if p is None or is_allowed(p):
            continue
        _blocked.append((event, os.path.abspath(p)))
        raise PermissionError(
            13,
            "torchmigrate: writing outside the verification's work copy is blocked",
            p,
        )


def install(allowed: list[str]) -> None:
    global _installed
    _allowed[:] = [os.path.realpath(a) for a in allowed]
    if not _installed and hasattr(sys, "addaudithook"):
        sys.addaudithook(_hook)
        _installed = True


def blocked() -> list[tuple[str, str]]:
    return list(_blocked)
