"""Everything about files: discovery, reading and atomic writing.

Discovery is recursive, honours ``.gitignore`` files and ``--exclude`` globs,
and skips hidden directories, virtualenvs and build outputs.  Reading keeps
what must be written back unchanged: the encoding (PEP 263 cookie or BOM), the
newline convention and the file mode.  The engine sees LF-normalised text.
"""

from __future__ import annotations

import codecs
import fnmatch
import io
import os
import re
import stat
import tempfile
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
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


@dataclass
class Source:
    path: Path
    text: str  # LF newlines, BOM stripped
    encoding: str
    newline: str
    mode: int
    raw: bytes

    def render(self, text: str) -> bytes:
        """Encode ``text`` (LF newlines) back in the file's own conventions."""
        if self.newline != "\n":
            text = text.replace("\n", self.newline)
        return text.encode(self.encoding)


# --------------------------------------------------------------------------
# Reading and writing
# --------------------------------------------------------------------------
def decode(path: Path, data: bytes) -> tuple[str, str, str]:
    """Decode Python source bytes: returns (text with LF newlines, encoding, newline)."""
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
    crlf = text.count("\r\n")
    lf = text.count("\n")
    if crlf and crlf * 2 >= lf:
        newline = "\r\n"
    elif "\r" in text and not lf:
        newline = "\r"
    else:
        newline = "\n"
    if crlf:
        text = text.replace("\r\n", "\n")
    if newline == "\r":
        text = text.replace("\r", "\n")
    return text, encoding, newline


def read_source(path: Path) -> Source:
    path = Path(path)
    try:
        data = path.read_bytes()
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        raise SourceError(path, "no such file") from None
    except IsADirectoryError:
        raise SourceError(path, "is a directory") from None
    except OSError as exc:
        raise SourceError(path, f"cannot read: {exc.strerror or exc}") from None
    text, encoding, newline = decode(path, data)
    return Source(path, text, encoding, newline, mode, data)


def write_atomic(path: Path, data: bytes, mode: Optional[int] = None) -> None:
    """Write via a temporary file in the same directory and ``os.replace``.

    The file keeps its mode; a read-only file is refused, not overwritten.
    """
    path = Path(path)
    if path.exists():
        if mode is None:
            mode = stat.S_IMODE(path.stat().st_mode)
        # No write bit for anyone (or no access for us): the owner asked for it
        # to stay as it is, even when we run as root.
        if not (mode & 0o222) or not os.access(path, os.W_OK):
            raise SourceError(path, "file is read-only; not modified")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# --------------------------------------------------------------------------
# .gitignore
# --------------------------------------------------------------------------
@dataclass
class _IgnoreRule:
    regex: re.Pattern
    negate: bool
    dir_only: bool


def _glob_to_regex(pattern: str) -> str:
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            if pattern[i : i + 2] == "**":
                if pattern[i : i + 3] == "**/":
                    out.append("(?:.*/)?")
                    i += 3
                    continue
                out.append(".*")
                i += 2
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def parse_gitignore(text: str) -> list:
    rules = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate:
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        line = line.lstrip("/")
        body = _glob_to_regex(line)
        regex = ("^" if anchored else "^(?:.*/)?") + body + "$"
        rules.append(_IgnoreRule(re.compile(regex), negate, dir_only))
    return rules


class IgnoreStack:
    """The .gitignore rules in force for a directory, with their base dirs."""

    def __init__(self, layers: Optional[list] = None):
        self.layers = layers or []

    def push(self, directory: Path) -> IgnoreStack:
        gi = directory / ".gitignore"
        if gi.is_file():
            try:
                rules = parse_gitignore(gi.read_text(encoding="utf-8", errors="replace"))
            except OSError:
                rules = []
            if rules:
                return IgnoreStack(self.layers + [(directory, rules)])
        return self

    def ignored(self, path: Path, is_dir: bool) -> bool:
        result = False
        for base, rules in self.layers:
            try:
                rel = path.relative_to(base).as_posix()
            except ValueError:
                continue
            for rule in rules:
                if rule.dir_only and not is_dir:
                    continue
                if rule.regex.match(rel):
                    result = not rule.negate
        return result


def _is_virtualenv(directory: Path) -> bool:
    return (directory / "pyvenv.cfg").is_file() or (directory / "conda-meta").is_dir()


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


def discover(
    paths: Iterable[Path],
    exclude: Iterable[str] = (),
    suffixes: tuple = SUFFIXES,
) -> tuple[list, list]:
    """Expand ``paths`` into the files to process.

    Returns ``(files, errors)`` where errors are :class:`SourceError` for
    paths that do not exist.  Files named explicitly are always included.
    """
    exclude = list(exclude)
    files: list = []
    errors: list = []
    seen: set = set()
    for p in paths:
        p = Path(p)
        if not p.exists():
            errors.append(SourceError(p, "no such file or directory"))
            continue
        if p.is_file():
            key = p.resolve()
            if key not in seen:
                seen.add(key)
                files.append(p)
            continue
        stack = IgnoreStack()
        root = _git_root(p)
        if root is not None and root != p.resolve():
            # honour .gitignore files of the enclosing repo above ``p``
            chain = [root, *[d for d in reversed(p.resolve().parents) if root in d.parents]]
            for d in chain:
                stack = stack.push(d)
        for f in _walk(p, p, stack, exclude, suffixes):
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                files.append(f)
    return files, errors


def _walk(
    root: Path, directory: Path, stack: IgnoreStack, exclude: list, suffixes: tuple
) -> Iterator[Path]:
    stack = stack.push(directory)
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        rel = path.relative_to(root).as_posix()
        is_dir = entry.is_dir(follow_symlinks=False)
        if entry.is_symlink():
            continue
        if is_dir:
            if entry.name.startswith(".") or entry.name in SKIP_DIRS:
                continue
            if entry.name.endswith(".egg-info") or _is_virtualenv(path):
                continue
            if _excluded(rel, entry.name, exclude) or stack.ignored(path, True):
                continue
            yield from _walk(root, path, stack, exclude, suffixes)
        elif entry.name.endswith(suffixes):
            if entry.name.startswith("."):
                continue
            if _excluded(rel, entry.name, exclude) or stack.ignored(path, False):
                continue
            yield path
