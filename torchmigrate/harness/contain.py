"""Containment of the scripts that ``verify`` and ``run`` execute (untrusted research code).

What this module provides, and what it guarantees:

- **A supervisor per child** (``python -m torchmigrate.harness.contain``; it never runs
  user code).  It starts the child in a new session and process group and, on Linux,
  makes itself a *child subreaper* (``prctl(PR_SET_CHILD_SUBREAPER)``), so processes
  that escape the group with ``setsid``/double forks are re-parented to it instead of to
  init.  When the child exits -- or the supervisor gets SIGTERM/SIGINT from the parent
  (timeout, Ctrl-C) or its parent dies (``PR_SET_PDEATHSIG``) -- it kills every
  remaining descendant (found by walking ``/proc``), reaps them, and only then exits.
  Guarantee on Linux: no process started by the script outlives the run, unless it was
  started by something outside the tree (``systemd-run``, ``at``, ``ssh``, a daemon
  contacted over a socket) or the supervisor itself is SIGKILLed (then the parent kills
  the child's process group, and escaped grandchildren are orphaned to init).  On other
  systems only the child's process group is killed.
- **Output to files with a size cap.**  The child's stdout/stderr go through pipes that
  only the supervisor reads; it keeps the first ``cap`` bytes and the last ``tail``
  bytes of each stream in a file and counts the rest, so neither the supervisor nor
  the parent ever holds more than a few MB whatever the script prints, and a grandchild
  keeping the pipe open cannot block the parent (the parent never reads a pipe).
- **A work directory outside the script's tree** (``WorkDir``), named
  ``torchmigrate-verify-<pid>-*`` in ``$TMPDIR`` -- or, when ``$TMPDIR`` lies inside the
  tree being copied, under ``~/.cache/torchmigrate/work`` -- and removed when the run
  ends, also on errors, Ctrl-C and SIGTERM; directories left by a run that was killed
  with SIGKILL are removed by the next run (only ours: name pattern and a dead pid).
- **Copies, not the user's files** (``copy_tree``): the tree is copied once per side.
  Symbolic links that point inside the tree are re-created (pointing into the copy);
  links that point outside are replaced by a copy of their target while the copy stays
  under the size cap, and skipped (with a note) otherwise, so a write through a copied
  link never reaches the real data.  FIFOs, sockets and devices are skipped (a FIFO
  would hang the copy), as are unreadable files.
- **Writes outside the work copy** are blocked for Python code by an audit hook in the
  child (``guard``) and detected afterwards by comparing the original tree's files
  before and after the run (size and mtime): every change is listed as a warning.

Not promised: network isolation, protection against native code or subprocesses writing
elsewhere on the file system (only detected inside the original tree), resource limits
beyond the timeout, or confidentiality of anything the user account can read.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import errno
import json
import os
import re
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36

DEFAULT_CAP = 8 * 1024 * 1024  # bytes of each stream kept from the start
DEFAULT_TAIL = 256 * 1024  # ... and from the end
DEFAULT_COPY_LIMIT = 2 * 1024**3  # bytes copied per side

IGNORE_NAMES = frozenset(
    (
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".venv",
        "venv",
        "node_modules",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".ipynb_checkpoints",
        ".tox",
        ".nox",
    )
)
_WORK_PREFIX = "torchmigrate-verify-"
_WORK_RE = re.compile(r"^torchmigrate-(?:verify|old)-(\d+)-")


# --------------------------------------------------------------------------------------
# process helpers


def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover
        return None


def set_subreaper() -> bool:
    """Make this process a child subreaper (Linux); True when it worked."""
    if not sys.platform.startswith("linux"):
        return False
    libc = _libc()
    if libc is None:  # pragma: no cover
        return False
    return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def set_parent_death_signal(sig: int = signal.SIGTERM) -> None:
    if sys.platform.startswith("linux"):
        libc = _libc()
        if libc is not None:
            libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)


def _proc_table() -> dict[int, tuple[int, str]]:
    """pid -> (ppid, state) from ``/proc``."""
    out: dict[int, tuple[int, str]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:  # pragma: no cover - no procfs
        return out
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        rest = data[data.rfind(b")") + 2 :].split()
        if len(rest) >= 2:
            out[int(name)] = (int(rest[1]), rest[0].decode("ascii", "replace"))
    return out


def descendants(pid: int, include_zombies: bool = False) -> list[int]:
    """Every process below ``pid`` (from ``/proc``); zombies only when asked."""
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for p, (pp, _) in table.items():
        children.setdefault(pp, []).append(p)
    out: list[int] = []
    stack = list(children.get(pid, []))
    while stack:
        p = stack.pop()
        if include_zombies or table.get(p, (0, ""))[1] != "Z":
            out.append(p)
        stack.extend(children.get(p, []))
    return out


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def kill_tree(root_pid: int, keep: int | None = None, group: int | None = None) -> int:
    """SIGKILL the process group ``group`` and every descendant of ``root_pid`` (repeated
    until none is left, so processes forked meanwhile are caught); reap the ones that
    are our children, except ``keep`` (whose status the caller collects).  Returns how
    many processes were signalled."""
    killed = 0
    if group is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
    for _ in range(200):
        pids = descendants(root_pid)
        if keep is not None and keep in pids and group is not None:
            pids.remove(keep)  # killed through its group; the caller waits for it
        if not pids:
            break
        for p in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(p, signal.SIGKILL)
                killed += 1
        time.sleep(0.005)
        _reap(root_pid, keep)
    _reap(root_pid, keep)
    return killed


def _reap(root_pid: int, keep: int | None) -> None:
    for p in descendants(root_pid, include_zombies=True):
        if p == keep:
            continue
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(p, os.WNOHANG)


# --------------------------------------------------------------------------------------
# capped capture


class CappedFile:
    """Keep the first ``cap`` bytes and the last ``tail`` bytes written; count the rest."""

    def __init__(self, path: Path, cap: int = DEFAULT_CAP, tail: int = DEFAULT_TAIL):
        self.fh = open(path, "wb")  # noqa: SIM115 - closed in close()
        self.cap, self.tail_cap = cap, tail
        self.head = 0
        self.total = 0
        self.tail = bytearray()

    def write(self, data: bytes) -> None:
        self.total += len(data)
        room = self.cap - self.head
        if room > 0:
            self.fh.write(data[:room])
            self.head += min(room, len(data))
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > self.tail_cap:
                del self.tail[: len(self.tail) - self.tail_cap]

    @property
    def truncated(self) -> int:
        return self.total - self.head - len(self.tail)

    def close(self) -> None:
        if self.tail:
            if self.truncated > 0:
                self.fh.write(
                    f"\n[torchmigrate: {self.truncated} bytes of output omitted]\n".encode()
                )
            self.fh.write(bytes(self.tail))
        self.fh.close()


# --------------------------------------------------------------------------------------
# the supervisor (runs as ``python -m torchmigrate.harness.contain``)

_terminate = False


def _on_term(signum, frame):  # pragma: no cover - signal timing
    global _terminate
    _terminate = True


def supervise(
    cmd: list[str],
    cwd: str,
    stdout_path: Path,
    stderr_path: Path,
    status_path: Path,
    cap: int = DEFAULT_CAP,
    tail: int = DEFAULT_TAIL,
) -> int:
    """Run ``cmd`` contained (see the module docstring); write a status JSON."""
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, _on_term)
    set_parent_death_signal(signal.SIGTERM)
    reaper = set_subreaper()
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    outs = {
        proc.stdout.fileno(): CappedFile(stdout_path, cap, tail),
        proc.stderr.fileno(): CappedFile(stderr_path, cap, tail),
    }
    sel = selectors.DefaultSelector()
    for fd in outs:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    returncode: int | None = None
    terminated = False
    killed = 0
    drain_deadline = 0.0
    me = os.getpid()
    while True:
        if _terminate and not terminated:
            terminated = True
            killed += kill_tree(me, keep=proc.pid, group=proc.pid)
        for key, _ in sel.select(timeout=0.05):
            try:
                data = os.read(key.fd, 1 << 16)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                outs[key.fd].write(data)
            else:
                sel.unregister(key.fd)
        if returncode is None:
            rc = proc.poll()
            if rc is not None:
                returncode = rc
                drain_deadline = time.monotonic() + 2.0
        if returncode is not None:
            # the child is gone: nothing it started may stay (escaped ones included);
            # once they are dead, the pipes reach end-of-file
            killed += kill_tree(me, keep=proc.pid)
            if not sel.get_map() or time.monotonic() > drain_deadline:
                break
    killed += kill_tree(me, keep=proc.pid)
    for f in outs.values():
        f.close()
    status = {
        "returncode": returncode,
        "terminated": terminated,
        "seconds": time.monotonic() - start,
        "subreaper": reaper,
        "killed_leftovers": killed,
        "stdout_bytes": outs[proc.stdout.fileno()].total,
        "stderr_bytes": outs[proc.stderr.fileno()].total,
        "stdout_truncated": outs[proc.stdout.fileno()].truncated,
        "stderr_truncated": outs[proc.stderr.fileno()].truncated,
        "peak_rss_kb": _children_peak_rss_kb(),
    }
    tmp = status_path.with_suffix(".part")
    tmp.write_text(json.dumps(status), encoding="utf-8")
    os.replace(tmp, status_path)
    return 0


def supervise_passthrough(cmd: list[str]) -> int:
    """``run``: the child keeps our stdout/stderr; everything it started is killed when it
    ends; returns its exit status."""
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, _on_term)
    set_parent_death_signal(signal.SIGTERM)
    set_subreaper()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, start_new_session=True)
    me = os.getpid()
    while proc.poll() is None:
        if _terminate:
            kill_tree(me, keep=proc.pid, group=proc.pid)
            proc.wait()
            break
        time.sleep(0.05)
    kill_tree(me, keep=proc.pid)
    rc = proc.returncode
    return rc if rc >= 0 else 128 - rc


def _children_peak_rss_kb() -> int:
    try:
        import resource

        return int(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    except (ImportError, OSError):  # pragma: no cover
        return 0


def supervisor_command(
    cmd: list[str], cwd: Path, stdout: Path, stderr: Path, status: Path, cap: int = DEFAULT_CAP
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "torchmigrate.harness.contain",
        "--cwd",
        str(cwd),
        "--stdout",
        str(stdout),
        "--stderr",
        str(stderr),
        "--status",
        str(status),
        "--cap",
        str(cap),
        "--",
        *cmd,
    ]


class Supervised:
    """A running supervisor as seen from the parent."""

    def __init__(self, cmd, cwd, out_dir: Path, label: str, env: dict, cap: int = DEFAULT_CAP):
        out_dir.mkdir(parents=True, exist_ok=True)
        self.stdout = out_dir / f"{label}.stdout"
        self.stderr = out_dir / f"{label}.stderr"
        self.status_path = out_dir / f"{label}.status.json"
        self.start = time.monotonic()
        self.proc = subprocess.Popen(
            supervisor_command(cmd, cwd, self.stdout, self.stderr, self.status_path, cap),
            cwd=str(cwd),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.timed_out = False
        self.end: float | None = None

    def poll(self) -> bool:
        """True once the supervisor (and so the child and all it started) is gone."""
        if self.proc.poll() is not None:
            if self.end is None:
                self.end = time.monotonic()
            return True
        return False

    def stop(self, grace: float = 3.0) -> None:
        """Ask the supervisor to kill everything and exit; force it after ``grace``."""
        if self.poll():
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.kill()
            self.proc.wait()
        self.poll()

    @property
    def seconds(self) -> float:
        return (self.end or time.monotonic()) - self.start

    def status(self) -> dict:
        try:
            return json.loads(self.status_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def read_stdout(self) -> str:
        return _read_text(self.stdout)

    def read_stderr(self) -> str:
        return _read_text(self.stderr)


def _read_text(p: Path) -> str:
    try:
        return p.read_bytes().decode("utf-8", "replace")
    except OSError:
        return ""


# --------------------------------------------------------------------------------------
# work directory


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def clean_stale(base: Path, min_age: float = 60.0) -> int:
    """Remove work directories of runs that died (dead pid, older than ``min_age``)."""
    removed = 0
    try:
        entries = list(os.scandir(base))
    except OSError:
        return 0
    now = time.time()
    for e in entries:
        m = _WORK_RE.match(e.name)
        if not m or not e.is_dir(follow_symlinks=False):
            continue
        pid = int(m.group(1))
        if pid == os.getpid() or pid_alive(pid):
            continue
        try:
            if now - e.stat(follow_symlinks=False).st_mtime < min_age:
                continue
        except OSError:
            continue
        shutil.rmtree(e.path, ignore_errors=True)
        removed += 1
    return removed


def choose_base(avoid: list[Path]) -> Path:
    """A writable directory for work dirs that is not inside any of ``avoid`` (the trees
    that will be copied; a work dir inside one would be copied into itself)."""
    avoid = [Path(os.path.realpath(a)) for a in avoid]
    candidates = []
    env = os.environ.get("TORCHMIGRATE_WORKDIR")
    if env:
        candidates.append(Path(env))
    candidates.append(Path(tempfile.gettempdir()))
    candidates.append(Path.home() / ".cache" / "torchmigrate" / "work")
    candidates.append(Path("/var/tmp"))
    for c in candidates:
        try:
            c.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        real = Path(os.path.realpath(c))
        if any(_is_within(real, a) for a in avoid):
            continue  # inside a tree that will be copied: the copy would contain itself
        if os.access(real, os.W_OK):
            return real
    raise OSError("no writable directory for the verification's work copy outside the tree")


class WorkDir:
    """``with WorkDir(avoid=[root]) as w:`` -- a fresh work dir, always removed."""

    def __init__(self, avoid: list[Path], prefix: str = _WORK_PREFIX):
        base = choose_base(avoid)
        clean_stale(base)
        self.path = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=base))
        self._old_handlers: dict = {}

    def __enter__(self) -> WorkDir:
        # SIGTERM -> KeyboardInterrupt-like unwinding so that cleanup runs
        if _main_thread():
            self._old_handlers[signal.SIGTERM] = signal.signal(signal.SIGTERM, _raise_interrupt)
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
        for sig, h in self._old_handlers.items():
            signal.signal(sig, h)

    def remove(self) -> None:
        if self.path.exists():
            _rmtree_force(self.path)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _rmtree_force(path: Path) -> None:
    def onerror(func, p, exc_info):
        try:
            os.chmod(os.path.dirname(p), 0o700)
            os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass

    shutil.rmtree(path, onerror=onerror)


# --------------------------------------------------------------------------------------
# the copy


class CopyError(Exception):
    pass


class CopyReport:
    def __init__(self):
        self.files = 0
        self.bytes = 0
        self.notes: list[str] = []
        self.stats: dict[str, tuple[int, int]] = {}  # rel path -> (size, mtime_ns) of originals


def copy_tree(
    src: Path,
    dest: Path,
    *,
    exclude: list[Path] = (),  # type: ignore[assignment]
    limit: int = DEFAULT_COPY_LIMIT,
    report: CopyReport | None = None,
) -> CopyReport:
    """Copy ``src`` to ``dest`` for a verification side (see the module docstring)."""
    src = Path(os.path.realpath(src))
    report = report or CopyReport()
    excl = [Path(os.path.realpath(e)) for e in exclude]
    dest.mkdir(parents=True, exist_ok=True)
    _copy_dir(src, src, dest, excl, limit, report, depth=0)
    return report


def _skip_special(p: str, mode: int, report: CopyReport, rel: str) -> bool:
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return False
    kind = (
        "FIFO"
        if stat.S_ISFIFO(mode)
        else "socket"
        if stat.S_ISSOCK(mode)
        else "device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "special file"
    )
    report.notes.append(f"{rel}: {kind} not copied")
    return True


def _copy_dir(root, cur, dest, excl, limit, report, depth) -> None:
    if depth > 64:
        report.notes.append(f"{cur}: too deeply nested, not copied")
        return
    try:
        entries = sorted(os.scandir(cur), key=lambda e: e.name)
    except OSError as exc:
        report.notes.append(f"{cur}: cannot list ({exc.strerror})")
        return
    for e in entries:
        if e.name in IGNORE_NAMES or e.name.endswith(".pyc"):
            continue
        path = Path(e.path)
        if any(path == x or _is_within(path, x) for x in excl):
            continue
        rel = os.path.relpath(e.path, root)
        target = dest / e.name
        try:
            st = os.lstat(e.path)
        except OSError:
            continue
        if stat.S_ISLNK(st.st_mode):
            _copy_link(root, path, target, excl, limit, report, rel, depth)
            continue
        if _skip_special(e.path, st.st_mode, report, rel):
            continue
        if stat.S_ISDIR(st.st_mode):
            target.mkdir(exist_ok=True)
            _copy_dir(root, path, target, excl, limit, report, depth + 1)
            continue
        _copy_file(path, target, st, limit, report, rel)


def _copy_file(path: Path, target: Path, st, limit, report, rel) -> None:
    if report.bytes + st.st_size > limit:
        raise CopyError(
            f"the tree to copy is larger than {limit / 1024**3:.1f} GiB (at {rel}); "
            "pass --root to copy a smaller tree, or --synthetic-data"
        )
    try:
        # O_NONBLOCK: a file that turned into a FIFO since lstat must not hang the copy
        fd = os.open(
            path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
        )
    except OSError as exc:
        report.notes.append(f"{rel}: not copied ({exc.strerror})")
        return
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            report.notes.append(f"{rel}: not a regular file, not copied")
            return
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fin, open(target, "wb") as fout:
            shutil.copyfileobj(fin, fout, 1 << 20)
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):
        os.chmod(target, stat.S_IMODE(st.st_mode) | stat.S_IWUSR)
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    report.files += 1
    report.bytes += st.st_size
    report.stats[rel] = (st.st_size, st.st_mtime_ns)


def _copy_link(root, path: Path, target: Path, excl, limit, report, rel, depth) -> None:
    real = Path(os.path.realpath(path))
    if _is_within(real, root):
        # a link inside the tree: re-create it relative, pointing into the copy
        link_dir = os.path.dirname(os.path.join(root, rel))
        with contextlib.suppress(OSError):
            os.symlink(os.path.relpath(real, link_dir), target)
        return
    try:
        st = os.stat(real)
    except OSError:
        report.notes.append(f"{rel}: dangling link, not copied")
        return
    if _skip_special(str(real), st.st_mode, report, rel):
        return
    # outside the tree: copy what it points to (never write through to the real data)
    try:
        if stat.S_ISDIR(st.st_mode):
            if any(_is_within(real, x) or _is_within(x, real) for x in excl):
                report.notes.append(f"{rel}: link to {real} (contains the work dir), not copied")
                return
            target.mkdir(exist_ok=True)
            _copy_dir(real, real, target, excl, limit, report, depth + 1)
        else:
            _copy_file(real, target, st, limit, report, rel)
        report.notes.append(f"{rel}: link to {real} outside the tree, copied")
    except CopyError:
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        report.notes.append(
            f"{rel}: link to {real} outside the tree is too large to copy; left out "
            "(the script cannot write through it)"
        )


def snapshot_stats(root: Path, limit_files: int = 200_000) -> dict[str, tuple[int, int]]:
    """(size, mtime_ns) of every regular file below ``root`` (ignored names skipped)."""
    out: dict[str, tuple[int, int]] = {}
    root = Path(os.path.realpath(root))
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in IGNORE_NAMES]
        for f in filenames:
            if f.endswith(".pyc") or f in IGNORE_NAMES:
                continue
            p = os.path.join(dirpath, f)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                out[os.path.relpath(p, root)] = (st.st_size, st.st_mtime_ns)
            if len(out) >= limit_files:
                return out
    return out


def changed_files(before: dict, after: dict) -> list[str]:
    changed = [p for p, v in after.items() if before.get(p) != v]
    changed += [p for p in before if p not in after]
    return sorted(set(changed))


# --------------------------------------------------------------------------------------
# root of the tree to copy

_MARKERS = (".git", ".hg", "pyproject.toml", "setup.py", "setup.cfg", "requirements.txt")
_UP_LITERAL = re.compile(r"""['"]((?:\.\./)+|(?:\.\.\\)+)""")


def find_root(script: Path, max_up: int = 4) -> Path:
    """The directory to copy for ``script``: its project root (nearest ancestor with a
    VCS or packaging marker), and at least as many levels up as the scripts in its
    directory reach with ``'../'`` string literals; never the file-system root or the
    home directory itself."""
    script_dir = Path(os.path.realpath(script)).parent
    home = Path(os.path.realpath(Path.home()))
    stop = {Path("/"), home}
    marker_root = None
    cur = script_dir
    for _ in range(8):
        if cur in stop:
            break
        if any((cur / m).exists() for m in _MARKERS):
            marker_root = cur
            break
        if cur.parent == cur:
            break
        cur = cur.parent
    ups = _max_updirs(script_dir)
    lit_root = script_dir
    for _ in range(min(ups, max_up)):
        if lit_root.parent in stop or lit_root.parent == lit_root:
            break
        lit_root = lit_root.parent
    candidates = [r for r in (marker_root, lit_root) if r is not None]
    # the higher one (closer to /) covers both
    root = min(candidates, key=lambda p: len(p.parts))
    return root


def _max_updirs(script_dir: Path) -> int:
    best = 0
    try:
        files = [p for p in script_dir.iterdir() if p.suffix == ".py" and p.is_file()]
    except OSError:
        return 0
    for p in files[:200]:
        try:
            text = p.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for m in _UP_LITERAL.finditer(text):
            best = max(best, m.group(1).count(".."))
    return best


# --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" not in argv:
        print("usage: contain --cwd D --stdout F --stderr F --status F -- CMD...", file=sys.stderr)
        return 2
    i = argv.index("--")
    if argv[:i] == ["--passthrough"]:
        return supervise_passthrough(argv[i + 1 :])
    ap = argparse.ArgumentParser(prog="torchmigrate.harness.contain")
    ap.add_argument("--cwd", required=True)
    ap.add_argument("--stdout", required=True, type=Path)
    ap.add_argument("--stderr", required=True, type=Path)
    ap.add_argument("--status", required=True, type=Path)
    ap.add_argument("--cap", type=int, default=DEFAULT_CAP)
    opts = ap.parse_args(argv[:i])
    try:
        return supervise(argv[i + 1 :], opts.cwd, opts.stdout, opts.stderr, opts.status, opts.cap)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            print(f"cannot start: {exc}", file=sys.stderr)
            return 127
        raise


if __name__ == "__main__":
    sys.exit(main())
