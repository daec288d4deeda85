"""``--out DIR``: a migrated copy of every tree, written completely or not at all.

- :func:`plan` runs before anything is read: it refuses an output directory
  that is a source tree or contains one (the copy would land on the sources)
  and returns the output directory as a directory to skip when it lies inside
  a source tree (``--out src/migrated src`` does not copy the output into
  itself).
- :func:`write` builds the whole output in a staging directory
  (``.DIR.torchmigrate-PID-XXXXXXXX.tmp``, next to DIR when DIR does not exist
  yet, inside it when it does), then commits it with one ``rename`` (a new
  DIR) or one ``rename`` per file (an existing DIR).  If any output file
  cannot be written (disk full, quota, I/O error), nothing is committed, the
  staging directory is removed and the run fails naming the file: a partly
  written, empty or unmigrated file never appears where migrated output is
  expected.  Sources that cannot be read (a data file removed meanwhile, a
  permission problem) are failures of those files; special files (FIFOs,
  sockets, devices) are skipped with a note; VCS metadata, ``__pycache__``
  and virtualenvs are not copied; symbolic links are copied as links.
- A staging directory left by a killed run is removed by the next ``--out``
  run into the same place (our name pattern, and a writer that is gone).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Callable, Optional

from torchmigrate.errors import RunError
from torchmigrate.report import FileOutcome
from torchmigrate.sources import (
    _TEMP_RE,
    SourceError,
    check_directory_writable,
    default_dir_mode,
    file_kind,
    is_virtualenv,
    stale_temp,
    temp_prefix,
)

NOT_COPIED = {".git", ".hg", ".svn", "__pycache__"}


class OutError(RunError):
    """The --out directory cannot be used."""


def dest_root(out_dir: Path, root: Path, multi: bool) -> Path:
    """Where --out puts a migrated root: DIR itself, or DIR/<name> when
    several roots are migrated in one run (a file root goes to DIR/<name>)."""
    return out_dir / root.resolve().name if multi and root.is_dir() else out_dir


def _inside(child: Path, parent: Path) -> bool:
    try:
        child.relative_to(parent)
    except ValueError:
        return False
    return True


def plan(paths: list, out_dir: Path) -> list:
    """Validate ``--out`` against the sources; the directories discovery must
    skip.  Raises :class:`OutError`."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutError(f"--out {out_dir}: exists and is not a directory")
    out_abs = out.resolve()
    multi = len(paths) > 1
    skip = []
    for root in paths:
        root = Path(root)
        if not root.exists():
            continue
        src = root.resolve()
        if root.is_dir():
            dest = dest_root(out, root, multi).resolve()
            if dest == src:
                raise OutError(
                    f"--out {out_dir}: the migrated copy of {root} would be written over "
                    f"{root} itself; choose a directory outside it"
                )
            if _inside(src, dest):
                raise OutError(
                    f"--out {out_dir}: contains the source tree {root}; the copy would land on "
                    "top of the sources; choose a directory outside it"
                )
            if _inside(out_abs, src):
                skip.append(out_abs)
        else:
            dest = (out / root.name).resolve()
            if dest == src:
                raise OutError(
                    f"--out {out_dir}: the migrated copy of {root} would be written over "
                    f"{root} itself; choose another directory"
                )
    return skip


def _remove_stale_stages(directory: Path) -> None:
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for e in entries:
        if _TEMP_RE.match(e.name) and e.is_dir(follow_symlinks=False):
            if stale_temp(e.name, directory):
                shutil.rmtree(e.path, ignore_errors=True)


class _DestError(Exception):
    """Writing the output failed: nothing will be committed."""

    def __init__(self, dest: Path, exc: OSError):
        super().__init__(f"{dest}: cannot write: {exc.strerror or exc}")


def _write_new(dest: Path, data: bytes, mode: int, final: Path) -> None:
    try:
        fd = os.open(
            dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600
        )
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _DestError(final, exc) from None


def _copy_file(src: Path, dest: Path, final: Path) -> None:
    """Copy a regular file; a read problem raises SourceError, a write
    problem _DestError."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        sfd = os.open(src, flags)
    except OSError as exc:
        raise SourceError(src, f"cannot read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(sfd)
        kind = file_kind(st.st_mode)
        if kind is not None:
            raise SourceError(src, f"{kind}; skipped")
        try:
            dfd = os.open(
                dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600
            )
        except OSError as exc:
            raise _DestError(final, exc) from None
        try:
            while True:
                try:
                    chunk = os.read(sfd, 1 << 20)
                except OSError as exc:
                    raise SourceError(src, f"cannot read: {exc.strerror or exc}") from None
                if not chunk:
                    break
                view = memoryview(chunk)
                try:
                    while view:
                        view = view[os.write(dfd, view) :]
                except OSError as exc:
                    raise _DestError(final, exc) from None
            try:
                os.fchmod(dfd, stat.S_IMODE(st.st_mode))
                os.utime(dfd, ns=(st.st_atime_ns, st.st_mtime_ns))
            except OSError as exc:
                raise _DestError(final, exc) from None
        finally:
            os.close(dfd)
    finally:
        os.close(sfd)


def copy_tree(
    root: Path,
    dest: Path,
    replacement: Callable[[Path], Optional[bytes]] = lambda _p: None,
    skip: tuple = (),
    final: Optional[Path] = None,
    on_source_error: Optional[Callable[[SourceError], None]] = None,
    notes: Optional[list] = None,
) -> None:
    """Copy the tree ``root`` to ``dest`` (which may exist): regular files (or
    ``replacement(path)`` bytes when not None), directories and symbolic
    links; VCS metadata, ``__pycache__``, virtualenvs, ``skip`` (absolute
    paths) and our temporary files are left out; special files are skipped
    with a note.  ``final`` is the name ``dest`` will have (for messages)."""
    final = final or dest
    root = Path(root)
    skip_set = {Path(s) for s in skip}
    dir_modes = []

    def source_error(exc: SourceError) -> None:
        if on_source_error is None:
            raise exc
        on_source_error(exc)

    stack = [(root, Path(dest), Path(final))]
    while stack:
        src_dir, dst_dir, fin_dir = stack.pop()
        try:
            os.makedirs(dst_dir, exist_ok=True)
        except OSError as exc:
            raise _DestError(fin_dir, exc) from None
        try:
            st = os.stat(src_dir)
            dir_modes.append((dst_dir, stat.S_IMODE(st.st_mode)))
            entries = sorted(os.scandir(src_dir), key=lambda e: e.name)
        except OSError as exc:
            source_error(SourceError(src_dir, f"cannot read: {exc.strerror or exc}"))
            continue
        for e in entries:
            src = Path(e.path)
            dst = dst_dir / e.name
            fin = fin_dir / e.name
            if _TEMP_RE.match(e.name):
                continue
            try:
                if e.is_symlink():
                    try:
                        os.symlink(os.readlink(src), dst)
                    except OSError as exc:
                        raise _DestError(fin, exc) from None
                    continue
                mode = e.stat(follow_symlinks=False).st_mode
            except OSError as exc:
                source_error(SourceError(src, f"cannot read: {exc.strerror or exc}"))
                continue
            if stat.S_ISDIR(mode):
                if e.name in NOT_COPIED or is_virtualenv(src):
                    continue
                if skip_set and src.resolve() in skip_set:
                    continue
                stack.append((src, dst, fin))
                continue
            kind = file_kind(mode)
            if kind is not None:
                if notes is not None:
                    notes.append(f"{src}: {kind}; not copied")
                continue
            new = replacement(src)
            if new is not None:
                _write_new(dst, new, stat.S_IMODE(mode), fin)
                continue
            try:
                _copy_file(src, dst, fin)
            except SourceError as exc:
                with contextlib.suppress(OSError):
                    os.unlink(dst)
                source_error(exc)
    for d, mode in reversed(dir_modes):
        with contextlib.suppress(OSError):
            os.chmod(d, mode)


def _sync(directory: Path) -> None:
    """Flush the file system holding ``directory`` (one ``syncfs`` rather than
    an ``fsync`` per staged file; ``sync`` where syncfs is unavailable)."""
    try:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        syncfs = libc.syncfs
    except (OSError, AttributeError, TypeError):
        os.sync()
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
    finally:
        os.close(fd)


def _commit_merge(stage: Path, out: Path, failures: list) -> None:
    """Move every entry of ``stage`` into the existing ``out`` (one rename per
    file; directories are created as needed)."""
    for cur, dirnames, filenames in os.walk(stage):
        rel = Path(cur).relative_to(stage)
        target_dir = out / rel
        for name in dirnames:
            src = Path(cur) / name
            if src.is_symlink():
                filenames.append(name)
        dirnames[:] = [d for d in dirnames if not (Path(cur) / d).is_symlink()]
        for name in dirnames:
            t = target_dir / name
            try:
                if t.is_symlink() or (t.exists() and not t.is_dir()):
                    os.unlink(t)
                os.makedirs(t, exist_ok=True)
                os.chmod(t, stat.S_IMODE(os.stat(Path(cur) / name).st_mode))
            except OSError as exc:
                failures.append((t, f"{t}: cannot write: {exc.strerror or exc}"))
        for name in filenames:
            t = target_dir / name
            try:
                if t.is_dir() and not t.is_symlink():
                    failures.append((t, f"{t}: cannot write: a directory is in the way"))
                    continue
                os.replace(Path(cur) / name, t)
            except OSError as exc:
                failures.append((t, f"{t}: cannot write: {exc.strerror or exc}"))


def write(paths: list, out_dir: Path, outcomes: list, notes: Optional[list] = None) -> None:
    """Write the migrated copy of ``paths`` to ``out_dir`` (see the module
    docstring).  Records what happened on ``outcomes``: ``written`` on the
    migrated files, a failed outcome per source that could not be copied, and
    one failed outcome for ``out_dir`` when nothing could be committed."""
    out = Path(out_dir)
    try:
        existing = out.is_dir()
        if existing:
            check_directory_writable(out, out)
            stage_parent = out
        else:
            os.makedirs(out.parent if str(out.parent) else ".", exist_ok=True)
            stage_parent = out.parent if str(out.parent) else Path(".")
            check_directory_writable(stage_parent, out)
    except SourceError as exc:
        raise OutError(f"--out {out_dir}: {exc.message}") from None
    except OSError as exc:
        raise OutError(f"--out {out_dir}: cannot create: {exc.strerror or exc}") from None
    _remove_stale_stages(stage_parent)
    by_path = {str(Path(o.path).resolve()): o for o in outcomes}
    multi = len(paths) > 1
    skip = tuple(plan(paths, out_dir))
    stage = Path(tempfile.mkdtemp(prefix=temp_prefix(out.name), suffix=".tmp", dir=stage_parent))
    skip = skip + (stage.resolve(),)
    copy_failures: list = []

    def replacement(p: Path) -> Optional[bytes]:
        o = by_path.get(str(p.resolve()))
        if o is not None and o.status == "changed" and o.new_bytes is not None:
            return o.new_bytes
        return None

    def source_failed(exc: SourceError) -> None:
        copy_failures.append(exc)

    try:
        try:
            for root in paths:
                root = Path(root)
                if not root.exists():
                    continue
                if root.is_file():
                    new = replacement(root)
                    dst, fin = stage / root.name, out / root.name
                    if new is not None:
                        _write_new(dst, new, stat.S_IMODE(root.stat().st_mode), fin)
                    else:
                        try:
                            _copy_file(root, dst, fin)
                        except SourceError as exc:
                            source_failed(exc)
                    continue
                rel = dest_root(out, root, multi).relative_to(out)
                copy_tree(
                    root,
                    stage / rel,
                    replacement,
                    skip,
                    out / rel,
                    on_source_error=source_failed,
                    notes=notes,
                )
        except _DestError as exc:
            outcomes.append(
                FileOutcome(
                    path=str(out_dir),
                    repo=str(out_dir),
                    status="failed",
                    errors=[
                        str(exc),
                        f"--out {out_dir}: nothing was written (the output is all or nothing)",
                    ],
                )
            )
            return
        try:
            _sync(stage)  # the staged bytes are on disk before they become visible
        except OSError as exc:
            outcomes.append(
                FileOutcome(
                    path=str(out_dir),
                    repo=str(out_dir),
                    status="failed",
                    errors=[f"--out {out_dir}: nothing was written: {exc.strerror or exc}"],
                )
            )
            return
        commit_failures: list = []
        if existing:
            _commit_merge(stage, out, commit_failures)
        else:
            os.chmod(stage, default_dir_mode())
            try:
                os.rename(stage, out)
            except OSError:  # created meanwhile: merge into it
                os.makedirs(out, exist_ok=True)
                _commit_merge(stage, out, commit_failures)
        for o in outcomes:
            if o.status == "changed" and replacement(Path(o.path)) is not None:
                o.written = True
        for path, msg in commit_failures:
            outcomes.append(
                FileOutcome(path=str(path), repo=str(out_dir), status="failed", errors=[msg])
            )
        for exc in copy_failures:
            o = by_path.get(str(exc.path.resolve()))
            text = f"{exc}; not copied to {out_dir}"
            if o is not None:
                o.status = "failed"
                o.errors.append(text)
                o.written = False
            else:
                outcomes.append(
                    FileOutcome(
                        path=str(exc.path), repo=str(out_dir), status="failed", errors=[text]
                    )
                )
    finally:
        shutil.rmtree(stage, ignore_errors=True)
