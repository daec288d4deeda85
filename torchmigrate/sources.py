"""Everything about files: discovery, reading and safe writing.

Discovery is recursive, honours git's ignore rules (every ``.gitignore``,
``.git/info/exclude`` and git's global excludes file, matched with
``pathspec``'s gitwildmatch) and ``--exclude`` globs, and skips hidden
directories, virtualenvs, build outputs, symbolic links met during the walk
and anything that is not a regular file (a FIFO named ``x.py`` would block a
reader forever).

Reading keeps what must be written back unchanged: the encoding (PEP 263
cookie or BOM), every line's own ending (a mixed CRLF/LF file keeps the ending
of each untouched line), the mode, and a :class:`Fingerprint` of what was
read.  The engine sees LF-normalised text.

Writing (:func:`write_atomic`) is a compare-and-swap: the new bytes go to a
temporary file next to the target, and the target is replaced only if it
still holds exactly the bytes (and inode, size, mtime) that were read; a file
edited during the run is left alone and reported as "changed during the run".
A write keeps the file's identity: a symbolic link named on the command line
is followed (the target is rewritten, the link stays), owner, group and mode
are kept, a file with several hard links or in a read-only directory is
refused rather than silently split or written.  Temporary files carry the
writer's pid in their name (``.NAME.torchmigrate-PID-XXXXXXXX.tmp``), are
removed on any error or signal, and leftovers of a killed run are removed by
the next run (:func:`remove_stale_temps`).
"""

from __future__ import annotations

import codecs
import contextlib
import difflib
import fnmatch
import hashlib
import io
import os
import re
import signal
import stat
import subprocess
import tempfile
import threading
import time
import tokenize
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

SUFFIXES = (".py", ".ipynb")
SKIP_DIRS = {
    "__pycache__",
    "node_modules",
    "site-packages",
    "build",
    "dist",
    "venv",
    "env",
    "virtualenv",
}


class SourceError(Exception):
    """A file that cannot be read or written: one line naming the problem."""

    def __init__(self, path: Path, message: str, line: Optional[int] = None):
        self.path = Path(path)
        self.message = message
        self.line = line
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Fingerprint:
    """What a file was when it was read; checked again just before writing it."""

    dev: int
    ino: int
    size: int
    mtime_ns: int
    digest: str  # sha256 of the bytes read

    @classmethod
    def of(cls, st: os.stat_result, data: bytes) -> Fingerprint:
        return cls(st.st_dev, st.st_ino, len(data), st.st_mtime_ns, _digest(data))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Source:
    path: Path
    text: str  # LF newlines, BOM stripped
    encoding: str
    newline: str  # the most common line ending (used for new lines)
    mode: int
    raw: bytes
    fingerprint: Optional[Fingerprint] = None
    # Each line's own ending, only for files whose endings are mixed.
    endings: Optional[tuple] = None

    def render(self, text: str) -> bytes:
        """Encode ``text`` (LF newlines) back in the file's own conventions.

        Lines that are unchanged from :attr:`text` keep their own ending; new
        or changed lines get the ending of the line they replace (or the file's
        most common one)."""
        if self.endings is None:
            if self.newline != "\n":
                text = text.replace("\n", self.newline)
            return text.encode(self.encoding)
        return _join_mixed(self.text, self.endings, self.newline, text).encode(self.encoding)


def _join_mixed(old_text: str, endings: tuple, newline: str, text: str) -> str:
    old = old_text.split("\n")
    new = text.split("\n")
    chosen = [newline] * (len(new) - 1)

    def ending_of(i: int) -> str:
        return endings[i] if 0 <= i < len(endings) else newline

    # Align old and new lines: the common prefix and suffix by position (a
    # rewrite is local, and identical lines - blank ones above all - would
    # make a diff's alignment ambiguous), the middle with a diff.
    n_old, n_new = len(old), len(new)
    pre = 0
    while pre < min(n_old, n_new) and old[pre] == new[pre]:
        pre += 1
    suf = 0
    while suf < min(n_old, n_new) - pre and old[n_old - 1 - suf] == new[n_new - 1 - suf]:
        suf += 1
    for k in range(min(pre, len(chosen))):
        chosen[k] = ending_of(k)
    for t in range(suf):
        k, i = n_new - 1 - t, n_old - 1 - t
        if k < len(chosen):
            chosen[k] = ending_of(i)
    sm = difflib.SequenceMatcher(None, old[pre : n_old - suf], new[pre : n_new - suf], False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        i1, i2, j1, j2 = i1 + pre, i2 + pre, j1 + pre, j2 + pre
        for k in range(j1, min(j2, len(chosen))):
            if tag == "equal":
                chosen[k] = ending_of(i1 + (k - j1))
            elif tag == "replace":
                chosen[k] = ending_of(min(i1 + (k - j1), i2 - 1))
            elif tag == "insert":
                chosen[k] = ending_of(i1 - 1) if i1 > 0 else ending_of(0)
    out = []
    for k, line in enumerate(new):
        out.append(line)
        if k < len(chosen):
            out.append(chosen[k])
    return "".join(out)


def splitlines_lf(text: str) -> list:
    """``text.splitlines(keepends=True)`` that splits on LF only: a form feed
    or another Unicode line separator inside a line is not a line end (for
    Python or for ``diff``)."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------
_EOL = re.compile(r"(\r\n|\r|\n)")
_EOL_PRIORITY = {"\r\n": 2, "\n": 1, "\r": 0}


def _utf16_kind(data: bytes) -> Optional[str]:
    """ "UTF-16"/"UTF-32" (with the detail) when ``data`` looks like one."""
    for bom, name in (
        (codecs.BOM_UTF32_LE, "UTF-32 (little-endian BOM)"),
        (codecs.BOM_UTF32_BE, "UTF-32 (big-endian BOM)"),
        (codecs.BOM_UTF16_LE, "UTF-16 (little-endian BOM)"),
        (codecs.BOM_UTF16_BE, "UTF-16 (big-endian BOM)"),
    ):
        if data.startswith(bom):
            return name
    sample = data[:4096]
    if len(sample) >= 8:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
            return "UTF-16 (little-endian, no BOM)"
        if even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
            return "UTF-16 (big-endian, no BOM)"
    return None


def decode(path: Path, data: bytes) -> tuple:
    """Decode Python source bytes.

    Returns ``(text with LF newlines, encoding, newline, endings)`` where
    ``newline`` is the most common line ending and ``endings`` the ending of
    every line when they are mixed (else ``None``).  A lone CR is a line end,
    as it is for CPython's tokenizer.
    """
    wide = _utf16_kind(data)
    if wide is not None:
        raise SourceError(
            path,
            f"{wide.split(' ')[0]} is not supported: the file is encoded as {wide}, which "
            "Python cannot run as source; convert it to UTF-8 "
            f"(e.g. `iconv -f {wide.split(' ')[0]} -t UTF-8`); skipped",
        )
    if b"\x00" in data:
        raise SourceError(path, "binary file (contains NUL bytes); skipped")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise SourceError(path, f"invalid encoding declaration: {exc}") from None
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        line = data[: getattr(exc, "start", 0)].count(b"\n") + 1
        raise SourceError(path, f"cannot decode as {encoding}: {exc.reason}", line) from None
    try:
        if text.encode(encoding) != data:
            raise SourceError(path, f"does not round-trip through {encoding}; skipped")
    except UnicodeEncodeError:
        raise SourceError(path, f"does not round-trip through {encoding}; skipped") from None
    if "\r" not in text:
        return text, encoding, "\n", None
    pieces = _EOL.split(text)
    endings = pieces[1::2]
    counts = Counter(endings)
    newline = max(counts, key=lambda e: (counts[e], _EOL_PRIORITY[e]))
    text = "\n".join(pieces[0::2])
    return text, encoding, newline, (tuple(endings) if len(counts) > 1 else None)


_KINDS = (
    (stat.S_ISDIR, "is a directory"),
    (stat.S_ISFIFO, "is a FIFO (named pipe), not a regular file"),
    (stat.S_ISSOCK, "is a socket, not a regular file"),
    (stat.S_ISCHR, "is a character device, not a regular file"),
    (stat.S_ISBLK, "is a block device, not a regular file"),
)


def file_kind(mode: int) -> Optional[str]:
    """``None`` for a regular file, else what it is (for messages)."""
    if stat.S_ISREG(mode):
        return None
    for test, text in _KINDS:
        if test(mode):
            return text
    return "is not a regular file"


def read_bytes(path: Path) -> tuple:
    """Read a regular file: ``(data, stat, fingerprint)``.

    Never blocks on a FIFO or device: anything that is not a regular file is
    refused before it is opened (and checked again on the opened descriptor)."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise SourceError(path, "no such file") from None
    except OSError as exc:
        raise SourceError(path, f"cannot read: {exc.strerror or exc}") from None
    kind = file_kind(st.st_mode)
    if kind is not None:
        raise SourceError(path, f"{kind}; skipped")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise SourceError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        kind = file_kind(st.st_mode)
        if kind is not None:
            raise SourceError(path, f"{kind}; skipped")
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError as exc:
        raise SourceError(path, f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    return data, st, Fingerprint.of(st, data)


def read_source(path: Path) -> Source:
    path = Path(path)
    data, st, fp = read_bytes(path)
    text, encoding, newline, endings = decode(path, data)
    return Source(path, text, encoding, newline, stat.S_IMODE(st.st_mode), data, fp, endings)


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------
TEMP_TAG = "torchmigrate"
_TEMP_RE = re.compile(
    r"^\.(?P<name>.*)\." + TEMP_TAG + r"-(?P<pid>\d+)-[a-z0-9_]{8}\.tmp$",
)
# 0.1.0 wrote ``.NAME.XXXXXXXX.tmp`` (no pid); recognised only next to NAME and when old.
_LEGACY_TEMP_RE = re.compile(r"^\.(?P<name>.+\.(?:py|ipynb|json))\.[a-z0-9_]{8}\.tmp$")
LEGACY_TEMP_AGE = 3600.0


def temp_prefix(name: str) -> str:
    """Prefix of our temporary files/directories for ``name`` (pid included)."""
    return f".{name[:120]}.{TEMP_TAG}-{os.getpid()}-"


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True
    return True


def stale_temp(name: str, directory: Path, now: Optional[float] = None) -> bool:
    """True when ``name`` (an entry of ``directory``) is a temporary file of a
    torchmigrate run that is no longer running."""
    m = _TEMP_RE.match(name)
    if m:
        pid = int(m.group("pid"))
        return pid != os.getpid() and not _pid_alive(pid)
    m = _LEGACY_TEMP_RE.match(name)
    if m and (directory / m.group("name")).is_file():
        try:
            age = (now or time.time()) - os.lstat(directory / name).st_mtime
        except OSError:
            return False
        return age >= LEGACY_TEMP_AGE
    return False


def remove_stale_temps(directory: Path, names: Optional[Iterable[str]] = None) -> list:
    """Remove the temporary files a killed torchmigrate run left in
    ``directory`` (only ours: our name pattern, and a writer that is gone).
    With ``names``, only the temporaries of those files.  Returns the paths
    removed."""
    directory = Path(directory)
    wanted = set(names) if names is not None else None
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not entry.name.startswith("."):
            continue
        m = _TEMP_RE.match(entry.name) or _LEGACY_TEMP_RE.match(entry.name)
        if not m or (wanted is not None and m.group("name") not in wanted):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
        except OSError:
            continue
        if stale_temp(entry.name, directory, now):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


@contextlib.contextmanager
def signals_deferred():
    """Hold SIGINT/SIGTERM (and SIGHUP) until the block is done, then deliver
    them: a write is never cut between creating its temporary file and
    replacing (or removing) it.  Only possible in the main thread; elsewhere
    Python delivers no signals anyway."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list = []
    sigs = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    old = {}
    try:
        for s in sigs:
            old[s] = signal.signal(s, lambda signum, _frame: received.append(signum))
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        for signum in received[:1]:
            handler = old.get(signum)
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), signum)


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def default_mode() -> int:
    """The mode a new file gets from ``open()`` (0o666 less the umask)."""
    return 0o666 & ~_umask()


def default_dir_mode() -> int:
    """The mode a new directory gets from ``mkdir`` (0o777 less the umask)."""
    return 0o777 & ~_umask()


def _who(uid: int, gid: int) -> str:
    try:
        import grp
        import pwd

        user = pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        user = str(uid)
    try:
        group = grp.getgrgid(gid).gr_name
    except (ImportError, KeyError, NameError):
        group = str(gid)
    return f"{user}:{group} (uid {uid}, gid {gid})"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_directory_writable(directory: Path, path: Path) -> None:
    """Refuse to write into a directory nobody may write to (mode bits), even
    as root, exactly like a read-only file is refused."""
    try:
        st = os.stat(directory)
    except OSError as exc:
        raise SourceError(path, f"cannot write: {exc.strerror or exc}") from None
    if not (st.st_mode & 0o222) or not os.access(directory, os.W_OK | os.X_OK):
        raise SourceError(path, f"directory {directory} is read-only; not modified")


def unchanged_since(target: Path, expected: Fingerprint) -> bool:
    """Does ``target`` still hold what was read (same inode, size, mtime, bytes)?"""
    try:
        st = os.stat(target)
    except OSError:
        return False
    if (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) != (
        expected.dev,
        expected.ino,
        expected.size,
        expected.mtime_ns,
    ):
        return False
    try:
        with open(target, "rb") as fh:
            return _digest(fh.read()) == expected.digest
    except OSError:
        return False


CHANGED_DURING_RUN = (
    "changed during the run (edited or replaced after it was read); not written, "
    "the new version is kept: run torchmigrate on it again"
)


def write_atomic(
    path: Path,
    data: bytes,
    mode: Optional[int] = None,
    expected: Optional[Fingerprint] = None,
) -> None:
    """Replace ``path`` with ``data`` atomically (temporary file + rename).

    - ``expected``: the :class:`Fingerprint` of what was read; the file is
      replaced only if it still matches (compare-and-swap), else
      :class:`SourceError` "changed during the run" and the file is untouched.
    - A symbolic link is followed: its target is rewritten, the link stays.
    - Mode (or ``mode``), owner and group are kept; a file whose owner cannot
      be kept, a file with several hard links, a read-only file and a file in
      a read-only directory are refused (even as root), never replaced.
    - Any OS error (disk full, ...) is a :class:`SourceError` naming the file;
      the temporary file is removed and the target is untouched.
    """
    path = Path(path)
    try:
        target = Path(os.path.realpath(path)) if os.path.islink(path) else path
        try:
            st: Optional[os.stat_result] = os.lstat(target)
        except FileNotFoundError:
            st = None
        if st is None and expected is not None:
            raise SourceError(
                path, "changed during the run (deleted after it was read); not written"
            )
        if st is not None:
            kind = file_kind(st.st_mode)
            if kind is not None:
                raise SourceError(path, f"{kind}; not modified")
            if mode is None:
                mode = stat.S_IMODE(st.st_mode)
            # No write bit for anyone (or no access for us): the owner asked for it
            # to stay as it is, even when we run as root.
            if not (st.st_mode & 0o222) or not os.access(target, os.W_OK):
                raise SourceError(path, "file is read-only; not modified")
            if st.st_nlink > 1:
                raise SourceError(
                    path,
                    f"has {st.st_nlink} hard links; rewriting it would either split them "
                    "(the other names keep the old code) or change every name at once, "
                    "non-atomically: not modified (break the link with `cp --remove-destination` "
                    "or migrate it through one name after removing the others)",
                )
        if mode is None:
            mode = default_mode()
        directory = target.parent
        check_directory_writable(directory, path)
        with signals_deferred():
            fd, tmp = tempfile.mkstemp(
                prefix=temp_prefix(target.name), suffix=".tmp", dir=str(directory)
            )
            try:
                _write_all(fd, data)
                os.fsync(fd)
                if st is not None:
                    mine = os.fstat(fd)
                    if (mine.st_uid, mine.st_gid) != (st.st_uid, st.st_gid):
                        try:
                            os.fchown(fd, st.st_uid, st.st_gid)
                        except (PermissionError, AttributeError):
                            raise SourceError(
                                path,
                                f"owned by {_who(st.st_uid, st.st_gid)}; a rewrite by this user "
                                "would change its owner or group: not modified",
                            ) from None
                os.fchmod(fd, mode)
                os.close(fd)
                fd = -1
                if expected is not None and not unchanged_since(target, expected):
                    raise SourceError(path, CHANGED_DURING_RUN)
                os.replace(tmp, target)
            except BaseException:
                if fd >= 0:
                    os.close(fd)
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        _fsync_dir(directory)
    except OSError as exc:
        raise SourceError(path, f"cannot write: {exc.strerror or exc}") from None


# --------------------------------------------------------------------------
# Git's ignore rules (pathspec gitwildmatch)
# --------------------------------------------------------------------------
def _read_lines(path: Path) -> list:
    try:
        return path.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    except (OSError, ValueError):
        return []


def git_dir_of(top: Path) -> Optional[Path]:
    """The git directory of a work tree whose top is ``top`` (``.git`` itself,
    or where a ``.git`` file of a worktree/submodule points)."""
    dotgit = top / ".git"
    if dotgit.is_dir():
        return dotgit
    if dotgit.is_file():
        for line in _read_lines(dotgit):
            if line.startswith("gitdir:"):
                p = Path(line[len("gitdir:") :].strip())
                return p if p.is_absolute() else (top / p).resolve()
    return None


def _common_dir(gitdir: Path) -> Path:
    lines = _read_lines(gitdir / "commondir")
    if lines and lines[0].strip():
        p = Path(lines[0].strip())
        return p if p.is_absolute() else (gitdir / p).resolve()
    return gitdir


@lru_cache(maxsize=64)
def _global_excludes_file(top: str) -> Optional[Path]:
    """git's ``core.excludesFile`` (default ``$XDG_CONFIG_HOME/git/ignore``)."""
    try:
        proc = subprocess.run(
            ["git", "config", "--path", "--get", "core.excludesFile"],
            cwd=top,
            capture_output=True,
            text=True,
            timeout=30,
        )
        if proc.returncode == 0 and proc.stdout.strip():
            return Path(os.path.expanduser(proc.stdout.strip()))
    except (OSError, subprocess.SubprocessError):
        pass
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(xdg) / "git" / "ignore"


class IgnoreStack:
    """The ignore rules in force for a directory, as git applies them.

    All patterns (global excludes, ``info/exclude``, then every
    ``.gitignore`` from the top down) are rebased onto one base directory
    (a ``.gitignore``'s patterns are anchored at its own directory) and kept
    in precedence order.  Each pattern is translated to a regular expression
    by pathspec (gitwildmatch); a path is then decided like git decides each
    directory level of its walk: the last pattern that matches the path
    *itself* (not one of its parents - those were decided when the walk
    entered them) wins."""

    def __init__(self, base: Optional[Path] = None, lines: tuple = ()):
        self.base = base
        self.lines = lines
        self._rules: Optional[list] = None

    @classmethod
    def for_repo(cls, top: Path) -> IgnoreStack:
        """A repository's own rules: global excludes, then ``info/exclude``."""
        lines: list = []
        gitdir = git_dir_of(top)
        if gitdir is not None:
            for f in (_global_excludes_file(str(top)), _common_dir(gitdir) / "info" / "exclude"):
                if f is not None:
                    lines += _patterns(_read_lines(f))
        return cls(top, tuple(lines))

    def push(self, directory: Path) -> IgnoreStack:
        base = self.base if self.base is not None else directory
        gi = directory / ".gitignore"
        if not gi.is_file():
            return self if self.base is not None else IgnoreStack(base, self.lines)
        try:
            rel = directory.relative_to(base).as_posix()
        except ValueError:
            return self
        rel = "" if rel == "." else rel
        new = [_rebase(p, rel) for p in _patterns(_read_lines(gi))]
        return IgnoreStack(base, self.lines + tuple(new))

    def ignored(self, path: Path, is_dir: bool) -> bool:
        if not self.lines or self.base is None:
            return False
        if self._rules is None:
            self._rules = _compile_patterns(self.lines)
        try:
            rel = path.relative_to(self.base).as_posix()
        except ValueError:
            return False
        probe = rel + "/" if is_dir else rel
        verdict = None
        for regex, include in self._rules:
            if regex.search(probe):
                verdict = include
        return verdict is True


def _pattern_class():
    try:
        from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

        return GitIgnoreSpecPattern
    except ImportError:  # pathspec < 1.0
        from pathspec.patterns.gitwildmatch import GitWildMatchPattern

        return GitWildMatchPattern


def _compile_patterns(lines) -> list:
    """[(regex matching a path itself, include)] for gitignore ``lines``.

    pathspec's expressions match a path or any path below it (its
    ``(?P<ps_d>/)`` group marks a directory match); anchored at the end they
    match the path itself: a file at ``$``, a directory (probed with a
    trailing slash) at its final slash."""
    cls = _pattern_class()
    rules = []
    for line in lines:
        regex, include = cls.pattern_to_regex(_normalise(line))
        if regex is None:
            continue
        rules.append((re.compile(f"(?:{regex})\\Z"), bool(include)))
    return rules


def _patterns(lines: list) -> list:
    return [ln for ln in lines if ln.strip() and not ln.startswith("#")]


def _normalise(pattern: str) -> str:
    """git: "X/**" matches everything inside X but not X itself (so a later
    "!name" can re-include a file of X); pathspec's expression for it also
    matches the directory X.  "X/**/*" is the same set less X."""
    core = pattern.rstrip(" ")
    dir_mark = "/" if core.endswith("/") and not core.endswith("\\/") else ""
    stem = core[: len(core) - len(dir_mark)]
    if stem.endswith("/**") and stem.lstrip("!") not in ("/**", "**"):
        return stem + "/*" + dir_mark
    return pattern


_GLOB_SPECIAL = re.compile(r"([*?\[\]\\!# ])")


def _rebase(pattern: str, rel_dir: str) -> str:
    """A ``.gitignore`` pattern of directory ``rel_dir`` as a pattern of the
    base directory (git: a pattern with a slash before its end is anchored at
    its file's directory, one without matches at any depth below it)."""
    if not rel_dir:
        return pattern
    neg = pattern.startswith("!")
    body = pattern[1:] if neg else pattern
    core = body.rstrip(" ")
    core = core[:-1] if core.endswith("/") else core
    prefix = _GLOB_SPECIAL.sub(r"\\\1", rel_dir)
    new = f"{prefix}/{body.lstrip('/')}" if "/" in core else f"{prefix}/**/{body}"
    return ("!" if neg else "") + new


def is_virtualenv(directory: Path) -> bool:
    return (directory / "pyvenv.cfg").is_file() or (directory / "conda-meta").is_dir()


_is_virtualenv = is_virtualenv  # old name, used by the CLI


def _excluded(rel: str, name: str, excludes: Iterable[str]) -> bool:
    for pat in excludes:
        pat = pat.rstrip("/")
        if fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(name, pat):
            return True
        if fnmatch.fnmatch(rel, pat + "/*"):
            return True
    return False


def _git_root(start: Path) -> Optional[Path]:
    cur = start.resolve()
    for cand in [cur, *cur.parents]:
        if (cand / ".git").exists():
            return cand
    return None


def pruned_dir(entry_name: str, path: Path) -> bool:
    """Directories discovery never enters (hidden, virtualenvs, build outputs)."""
    return (
        entry_name.startswith(".")
        or entry_name in SKIP_DIRS
        or entry_name.endswith(".egg-info")
        or is_virtualenv(path)
    )


def discover(
    paths: Iterable[Path],
    exclude: Iterable[str] = (),
    suffixes: tuple = SUFFIXES,
    *,
    skip: Iterable[Path] = (),
    notes: Optional[list] = None,
    dirs: Optional[list] = None,
) -> tuple[list, list]:
    """Expand ``paths`` into the files to process.

    Returns ``(files, errors)`` where errors are :class:`SourceError` for
    paths that do not exist or are not regular files or directories.  Files
    named explicitly are always included (a symbolic link to a file
    included: writes follow it).  ``skip``: directories never entered (e.g.
    the ``--out`` directory inside a source tree).  ``notes``: when a list,
    receives one line per special file (FIFO, socket, device) skipped in a
    walk.  ``dirs``: when a list, receives every directory walked.
    """
    exclude = list(exclude)
    skip_set = {Path(s).resolve() for s in skip}
    files: list = []
    errors: list = []
    seen: set = set()
    for p in paths:
        p = Path(p)
        try:
            st = os.stat(p)
        except FileNotFoundError:
            errors.append(SourceError(p, "no such file or directory"))
            continue
        except OSError as exc:
            errors.append(SourceError(p, f"cannot read: {exc.strerror or exc}"))
            continue
        except ValueError:  # e.g. a NUL byte in the path
            errors.append(SourceError(p, "not a valid path"))
            continue
        if not stat.S_ISDIR(st.st_mode):
            kind = file_kind(st.st_mode)
            if kind is not None:
                errors.append(SourceError(p, f"{kind}; skipped"))
                continue
            key = p.resolve()
            if key not in seen:
                seen.add(key)
                files.append(p)
            continue
        resolved = p.resolve()
        root = _git_root(p)
        stack = IgnoreStack.for_repo(root) if root is not None else IgnoreStack()
        if root is not None and root != resolved:
            # honour the ignore files of the enclosing repo above ``p``
            chain = [root, *[d for d in reversed(resolved.parents) if root in d.parents]]
            for d in chain:
                stack = stack.push(d)
        for f in _walk(p, p, resolved, stack, exclude, suffixes, skip_set, notes, dirs):
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                files.append(f)
    return files, errors


def _walk(
    root: Path,
    directory: Path,
    adir: Path,
    stack: IgnoreStack,
    exclude: list,
    suffixes: tuple,
    skip: set,
    notes: Optional[list],
    dirs: Optional[list] = None,
) -> Iterator[Path]:
    """Walk ``directory`` (as the user spelled it); ``adir`` is the same
    directory, absolute and resolved, used for ignore rules."""
    if directory != root and (adir / ".git").exists():
        # a nested repository (or submodule): its own rules, not the outer ones
        stack = IgnoreStack.for_repo(adir)
    stack = stack.push(adir)
    if dirs is not None:
        dirs.append(adir)
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        apath = adir / entry.name
        rel = path.relative_to(root).as_posix()
        try:
            if entry.is_symlink():
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            mode = entry.stat(follow_symlinks=False).st_mode
        except OSError:
            continue
        if is_dir:
            if pruned_dir(entry.name, path):
                continue
            if skip and apath in skip:
                continue
            if _excluded(rel, entry.name, exclude) or stack.ignored(apath, True):
                continue
            yield from _walk(root, path, apath, stack, exclude, suffixes, skip, notes, dirs)
        elif entry.name.endswith(suffixes):
            if entry.name.startswith("."):
                continue
            if _excluded(rel, entry.name, exclude) or stack.ignored(apath, False):
                continue
            kind = file_kind(mode)
            if kind is not None:
                if notes is not None:
                    notes.append(f"{path}: {kind}; skipped")
                continue
            yield path


def walk_dirs(root: Path) -> list:
    """The directories (absolute, resolved) that discovery walks under ``root``."""
    dirs: list = []
    discover([root], suffixes=("\0",), dirs=dirs)
    return dirs


__all__ = [
    "SUFFIXES",
    "SourceError",
    "Fingerprint",
    "Source",
    "decode",
    "read_bytes",
    "read_source",
    "write_atomic",
    "remove_stale_temps",
    "discover",
    "splitlines_lf",
]
