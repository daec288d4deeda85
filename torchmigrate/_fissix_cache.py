"""A usable grammar cache for fissix, whatever ``$HOME`` is.

fissix stores its generated grammar tables under the user's cache directory
(``~/.cache/fissix/VERSION``, via appdirs), and creates that directory when
``fissix.pygram`` is first imported.  With a read-only, missing or odd
``$HOME`` that import raises, and every file of the run would fail.
:func:`prepare` runs before fissix's grammar is loaded: when the default
cache can neither be read (tables already there) nor created and written, it
points fissix at a private directory under the system temp dir, and as a last
resort makes fissix build its tables in memory without saving them.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

_TABLES = ("Grammar", "PatternGrammar")


def _writable_dir(d: Path) -> bool:
    try:
        d.mkdir(parents=True, exist_ok=True)
        st = os.stat(d)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and bool(st.st_mode & 0o222) and os.access(d, os.W_OK | os.X_OK)


def _has_tables(d: Path, base_version: str) -> bool:
    return all(os.access(d / f"{t}{base_version}.pickle", os.R_OK) for t in _TABLES)


def _private_dir(version: str) -> Path | None:
    uid = os.getuid() if hasattr(os, "getuid") else 0
    cand = Path(tempfile.gettempdir()) / f"torchmigrate-fissix-{uid}-{version}"
    try:
        cand.mkdir(mode=0o700, exist_ok=True)
        st = os.lstat(cand)
        if stat.S_ISDIR(st.st_mode) and st.st_uid == uid and _writable_dir(cand):
            return cand
    except OSError:
        pass
    try:
        return Path(tempfile.mkdtemp(prefix="torchmigrate-fissix-"))
    except OSError:
        return None


def prepare() -> None:
    if "fissix.pygram" in sys.modules:
        return
    try:
        import fissix
        from fissix.pgen2 import driver
    except Exception:  # noqa: BLE001 - fissix missing or changed: nothing to adjust
        return
    cache = getattr(fissix, "CACHE_DIR", None)
    base_version = getattr(fissix, "__base_version__", "")
    if cache is None:
        return
    cache = Path(cache)
    if _has_tables(cache, base_version) or _writable_dir(cache):
        return
    private = _private_dir(getattr(fissix, "__version__", "x"))
    if private is not None:
        fissix.CACHE_DIR = private
        return
    # Nowhere to write: build the tables in memory, never save them.
    original = driver.load_grammar

    def load_grammar(gt="Grammar.txt", gp=None, save=True, force=False, logger=None):
        return original(gt, gp=os.devnull + ".pickle", save=False, force=True, logger=logger)

    driver.load_grammar = load_grammar
