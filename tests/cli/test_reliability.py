"""Reliability of the real CLI (issue 13): no lost edits, one rewriting run per
tree, special files, signals, kill -9, disk full, --out, --resume, and bad
input that becomes a one-line per-file failure."""

from __future__ import annotations

import json
import os
import pty
import resource
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.test_cli import LEGACY, MODERN, tm

ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False


def _temps(root: Path) -> list:
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if ".torchmigrate-" in p.name or (p.name.startswith(".") and p.name.endswith(".tmp"))
    )


class Interactive:
    """The CLI on a pseudo-terminal, driven like a user would."""

    def __init__(self, *args, cwd=None):
        master, slave = pty.openpty()
        env = dict(os.environ, COLUMNS="200", TERM="dumb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "torchmigrate", *map(str, args)],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env=env,
            close_fds=True,
        )
        os.close(slave)
        self.master = master
        self.buf = b""

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.time() + timeout
        while text.encode() not in self.buf:
            if time.time() > deadline:
                raise AssertionError(f"no {text!r} in {self.buf.decode(errors='replace')}")
            r, _, _ = select.select([self.master], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    chunk = b""
                if not chunk and self.proc.poll() is not None:
                    raise AssertionError(f"exited; no {text!r} in {self.buf.decode()}")
                self.buf += chunk

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def finish(self, timeout: float = 120) -> tuple:
        deadline = time.time() + timeout
        while self.proc.poll() is None or select.select([self.master], [], [], 0)[0]:
            if time.time() > deadline:
                self.proc.kill()
                raise AssertionError("did not finish: " + self.buf.decode(errors="replace"))
            r, _, _ = select.select([self.master], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                self.buf += chunk
        rc = self.proc.wait(timeout=timeout)
        os.close(self.master)
        return rc, self.buf.decode(errors="replace")


PROMPT = "[q]uit"


def _repo(root: Path, n: int = 2) -> Path:
    (root / "pkg").mkdir(parents=True)
    for i in range(n):
        (root / "pkg" / f"m{i}.py").write_text(LEGACY)
    return root


# --------------------------------------------------------------------------
# §1 compare-and-swap and one run per tree
# --------------------------------------------------------------------------
def test_edit_saved_during_the_run_is_kept_and_reported(tmp_path):
    f = tmp_path / "train.py"
    f.write_text(LEGACY)
    run = Interactive("upgrade", "-i", f)
    run.wait_for(PROMPT)  # the file was read and migrated; the run waits
    f.write_text(LEGACY + "# saved by the user meanwhile\n")
    run.send("y\n")
    rc, output = run.finish()
    assert rc == 1, output
    assert f.read_text() == LEGACY + "# saved by the user meanwhile\n"
    assert "changed during the run" in output and "train.py" in output
    assert _temps(tmp_path) == []


def test_second_run_on_the_same_tree_is_refused_naming_the_first(tmp_path):
    tree = _repo(tmp_path / "repo")
    first = Interactive("upgrade", "-i", tree)
    try:
        first.wait_for(PROMPT)
        assert (tree / ".torchmigrate.lock").exists()
        for target in (tree, tree / "pkg", tmp_path):  # same tree, inside it, around it
            r = tm("upgrade", target)
            assert r.returncode == 2, (target, r.stderr)
            assert "another torchmigrate run is already rewriting" in r.stderr
            assert f"pid {first.proc.pid}" in r.stderr
            assert len(r.stderr.strip().splitlines()) == 1
        assert all(p.read_text() == LEGACY for p in (tree / "pkg").glob("*.py"))
        r = tm("upgrade", tree / "pkg" / "m1.py")  # a file run inside the locked tree
        assert r.returncode == 2 and "another torchmigrate run" in r.stderr
        first.send("q\n")
    finally:
        rc, _ = first.finish()
    assert not (tree / ".torchmigrate.lock").exists()
    r = tm("upgrade", tree)
    assert r.returncode == 0, r.stderr
    assert all(p.read_text() == MODERN for p in (tree / "pkg").glob("*.py"))


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_work_tree_lock_lives_in_the_git_dir(tmp_path):
    tree = _repo(tmp_path / "repo")
    _git(tree, "init", "-q")
    first = Interactive("upgrade", "-i", "--allow-dirty", tree / "pkg")
    try:
        first.wait_for(PROMPT)
        assert (tree / ".git" / "torchmigrate.lock").exists()
        assert not (tree / "pkg" / ".torchmigrate.lock").exists()
        r = tm("upgrade", "--allow-dirty", tree)  # another directory of the same work tree
        assert r.returncode == 2 and f"pid {first.proc.pid}" in r.stderr
        first.send("q\n")
    finally:
        first.finish()
    assert not (tree / ".git" / "torchmigrate.lock").exists()


def test_stale_lock_of_a_dead_run_is_taken_over(tmp_path):
    tree = _repo(tmp_path / "repo")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tree / ".torchmigrate.lock").write_text(
        json.dumps({"pid": dead.pid, "host": "x", "started": "then", "command": "torchmigrate"})
    )
    r = tm("upgrade", tree)
    assert r.returncode == 0, r.stderr
    assert all(p.read_text() == MODERN for p in (tree / "pkg").glob("*.py"))
    assert not (tree / ".torchmigrate.lock").exists()


def test_two_concurrent_runs_lose_no_fixes(tmp_path):
    """Two runs with different rules started together on one tree: a run that
    exits 0 has its fix in every file (before: the later writer silently put
    back what the earlier one had fixed, both exiting 0)."""
    tree = tmp_path / "repo"
    tree.mkdir()
    src = "import torch.nn.functional as F\n" + LEGACY + "y = F.sigmoid(x)\n"
    for i in range(80):
        (tree / f"m{i}.py").write_text(src)
    env = dict(os.environ, COLUMNS="200")
    runs = {"TM105": "clip_grad_norm_(", "TM108": "torch.sigmoid("}
    procs = {
        rule: subprocess.Popen(
            [sys.executable, "-m", "torchmigrate", "upgrade", "-q", "--jobs", "1"]
            + ["--select", rule, str(tree)],
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for rule in runs
    }
    results = {rule: (p.wait(timeout=300), p.stderr.read()) for rule, p in procs.items()}
    for rule, (rc, stderr) in results.items():
        assert rc in (0, 1, 2), stderr
        if rc == 2:
            assert "another torchmigrate run is already rewriting" in stderr
        else:
            for f in tree.glob("*.py"):
                assert runs[rule] in f.read_text() or "changed during the run" in stderr, (
                    rule,
                    f,
                )
    assert _temps(tree) == []


def test_parallel_file_runs_like_pre_commit_are_not_blocked(tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text(LEGACY)
    b.write_text(LEGACY)
    env = dict(os.environ, COLUMNS="200")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "torchmigrate", "upgrade", "-q", str(f)],
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for f in (a, b)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    assert a.read_text() == MODERN and b.read_text() == MODERN


# --------------------------------------------------------------------------
# §2 identity
# --------------------------------------------------------------------------
def test_explicit_symlink_is_followed_and_kept(tmp_path):
    real = tmp_path / "src" / "real.py"
    real.parent.mkdir()
    real.write_text(LEGACY)
    link = tmp_path / "link.py"
    link.symlink_to(real)
    r = tm("upgrade", link)
    assert r.returncode == 0, r.stderr
    assert link.is_symlink() and Path(os.readlink(link)) == real
    assert real.read_text() == MODERN


@pytest.mark.skipif(not ROOT, reason="needs root")
def test_owner_is_kept_when_root_upgrades(tmp_path):
    f = tmp_path / "a.py"
    f.write_text(LEGACY)
    os.chown(f, 4321, 4322)
    r = tm("upgrade", tmp_path)
    assert r.returncode == 0, r.stderr
    st = f.stat()
    assert f.read_text() == MODERN and (st.st_uid, st.st_gid) == (4321, 4322)


def test_hard_links_are_kept_by_refusing(tmp_path):
    f = tmp_path / "a.py"
    f.write_text(LEGACY)
    os.link(f, tmp_path / "backup_a.txt")
    r = tm("upgrade", tmp_path)
    assert r.returncode == 1
    assert "a.py: has 2 hard links" in r.stderr
    assert f.read_text() == LEGACY and f.stat().st_nlink == 2


def test_read_only_directory_is_not_written_even_as_root(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    (d / "a.py").write_text(LEGACY)
    (tmp_path / "b.py").write_text(LEGACY)
    d.chmod(0o555)
    try:
        r = tm("upgrade", tmp_path)
        assert r.returncode == 1
        assert f"{d / 'a.py'}: directory {d} is read-only; not modified" in r.stderr
        assert (d / "a.py").read_text() == LEGACY
        assert sorted(os.listdir(d)) == ["a.py"]
        assert (tmp_path / "b.py").read_text() == MODERN
    finally:
        d.chmod(0o755)


def test_mixed_line_endings_keep_every_untouched_line(tmp_path):
    f = tmp_path / "m.py"
    lines = LEGACY.splitlines(keepends=True)
    endings = ["\r\n", "\n", "\r\n", "\n", "\r\n"]
    raw = "".join(line.rstrip("\n") + e for line, e in zip(lines, endings))
    f.write_bytes(raw.encode())
    r = tm("upgrade", f)
    assert r.returncode == 0, r.stderr
    want = "".join(
        line.rstrip("\n") + e for line, e in zip(MODERN.splitlines(keepends=True), endings)
    )
    assert f.read_bytes() == want.encode()


# --------------------------------------------------------------------------
# §3 special files, signals, kill -9, disk full, --out
# --------------------------------------------------------------------------
def test_fifo_in_the_tree_does_not_hang_check_or_upgrade(tmp_path):
    tree = _repo(tmp_path / "repo", 1)
    os.mkfifo(tree / "x.py")
    for cmd in ("check", "upgrade"):
        r = tm(cmd, tree)
        assert "x.py: is a FIFO (named pipe), not a regular file; skipped" in r.stderr
    assert (tree / "pkg" / "m0.py").read_text() == MODERN
    r = tm("check", tree / "x.py")
    assert r.returncode == 1 and "FIFO" in r.stderr
    out = tmp_path / "out"
    r = tm("upgrade", "--out", out, tree)
    assert r.returncode == 0, r.stderr
    assert "not copied" in r.stderr and not (out / "x.py").exists()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_ends_the_run_cleanly(tmp_path, signum):
    tree = _repo(tmp_path / "repo")
    run = Interactive("upgrade", "-i", tree)
    run.wait_for(PROMPT)
    run.proc.send_signal(signum)
    rc, output = run.finish()
    assert rc != 0
    assert "Traceback" not in output
    assert not (tree / ".torchmigrate.lock").exists()
    assert _temps(tmp_path) == []
    assert all(p.read_text() == LEGACY for p in (tree / "pkg").glob("*.py"))


def _big_tree(root: Path, n: int) -> tuple:
    """``n`` files of ~6 KB, each with one fix (cheap to migrate, real to write)."""
    pad = "".join(f"# padding line {i:04d} " + "x" * 40 + "\n" for i in range(100))
    body, new_body = LEGACY + pad, MODERN + pad
    for i in range(n):
        d = root / f"d{i % 10}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"m{i}.py").write_text(body)
    return body, new_body


def test_kill_9_leaves_whole_files_and_the_next_run_cleans_up(tmp_path):
    tree = tmp_path / "big"
    old, new = _big_tree(tree, 300)
    files = sorted(tree.rglob("*.py"))
    env = dict(os.environ, COLUMNS="200")
    proc = subprocess.Popen(
        [sys.executable, "-m", "torchmigrate", "upgrade", "-q", "--jobs", "2", str(tree)],
        stderr=subprocess.DEVNULL,
        env=env,
    )
    deadline = time.time() + 300
    first = files[0]
    while time.time() < deadline and proc.poll() is None:
        if first.read_text() != old:  # the writing phase has begun
            break
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for f in files:
        assert f.read_text() in (old, new), f  # never partial
    # a temporary file of the killed run (or one planted like it) is there now
    (files[-1].parent / f".{files[-1].name}.torchmigrate-{proc.pid}-abcdefgh.tmp").write_text("x")
    assert _temps(tree)
    assert (tree / ".torchmigrate.lock").exists()  # left by the killed run, not held
    r = tm("upgrade", tree)
    assert r.returncode == 0, r.stderr
    assert _temps(tree) == []
    assert not (tree / ".torchmigrate.lock").exists()
    assert all(f.read_text() == new for f in files)


def test_kill_9_during_out_leaves_no_partial_output(tmp_path):
    tree = tmp_path / "big"
    old, new = _big_tree(tree, 200)
    out = tmp_path / "out"
    env = dict(os.environ, COLUMNS="200")
    proc = subprocess.Popen(
        [sys.executable, "-m", "torchmigrate", "upgrade", "-q", "--out", str(out), str(tree)],
        stderr=subprocess.DEVNULL,
        env=env,
    )
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if out.exists() or any(p.name.startswith(".out.torchmigrate-") for p in tmp_path.iterdir()):
            break
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if out.exists():  # committed before the kill: then it is complete
        assert len(list(out.rglob("*.py"))) == 200
    stages = [p for p in tmp_path.iterdir() if p.name.startswith(".out.torchmigrate-")]
    r = tm("upgrade", "--out", out, tree)
    assert r.returncode == 0, r.stderr
    assert not any(p.exists() for p in stages)
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert all(p.read_text() == new for p in out.rglob("*.py"))
    assert len(list(out.rglob("*.py"))) == 200


def _limit_file_size(limit):
    def pre():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return pre


def _tm_limited(limit, *args, cwd=None):
    env = dict(os.environ, COLUMNS="200", PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        [sys.executable, "-m", "torchmigrate", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        preexec_fn=_limit_file_size(limit),
        timeout=300,
    )


def test_write_failure_is_a_per_file_failure_and_the_run_goes_on(tmp_path):
    """A file that cannot be written (here: over the file-size limit, EFBIG;
    disk full behaves the same) fails with its name; the others are written."""
    tree = tmp_path / "repo"
    tree.mkdir()
    (tree / "small.py").write_text(LEGACY)
    big = LEGACY + "# " + "x" * 30000 + "\n"
    (tree / "big.py").write_text(big)
    r = _tm_limited(20000, "upgrade", tree)
    assert r.returncode == 1
    errors = [ln for ln in r.stderr.splitlines() if "big.py" in ln]
    assert errors == [f"{tree / 'big.py'}: cannot write: File too large"], r.stderr
    assert (tree / "big.py").read_text() == big
    assert (tree / "small.py").read_text() == MODERN
    assert _temps(tmp_path) == []


def test_out_is_all_or_nothing_when_a_file_cannot_be_written(tmp_path):
    tree = tmp_path / "repo"
    tree.mkdir()
    (tree / "a.py").write_text(LEGACY)
    (tree / "data.bin").write_bytes(b"\x01" * 30000)
    out = tmp_path / "out"
    r = _tm_limited(20000, "upgrade", "--out", out, tree)
    assert r.returncode == 1
    assert "data.bin: cannot write: File too large" in r.stderr
    assert "nothing was written" in r.stderr
    assert "internal error" not in r.stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["repo"] or sorted(
        p.name for p in tmp_path.iterdir()
    ) == ["repo"]
    assert (tree / "a.py").read_text() == LEGACY


@pytest.fixture
def tmpfs(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if not ROOT or shutil.which("mount") is None:
        pytest.skip("needs root to mount a tmpfs")
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], capture_output=True
    )
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


def test_disk_full_in_place_and_with_out(tmpfs, tmp_path):
    tree = tmpfs / "repo"
    tree.mkdir()
    files = []
    for i in range(3):
        f = tree / f"m{i}.py"
        f.write_text(LEGACY + "# " + "x" * 20000 + "\n")
        files.append(f)
    fd = os.open(tmpfs / "filler", os.O_WRONLY | os.O_CREAT)  # fill it, then free ~8 KB
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    os.truncate(tmpfs / "filler", os.path.getsize(tmpfs / "filler") - 8192)
    before = {f: f.read_bytes() for f in files}
    r = tm("upgrade", tree)
    assert r.returncode == 1
    assert "No space left on device" in r.stderr and "internal error" not in r.stderr
    assert {f: f.read_bytes() for f in files} == before
    assert _temps(tmpfs) == []
    src = tmp_path / "src"
    src.mkdir()
    for i in range(3):
        (src / f"m{i}.py").write_text(LEGACY + "# " + "x" * 20000 + "\n")
    r = tm("upgrade", "--out", tmpfs / "out", src)
    assert r.returncode == 1
    assert "No space left on device" in r.stderr and "nothing was written" in r.stderr
    assert not (tmpfs / "out").exists()
    assert sorted(p.name for p in tmpfs.iterdir()) == ["filler", "repo"]


def test_out_inside_the_source_does_not_nest(tmp_path):
    src = _repo(tmp_path / "src", 1)
    for _ in range(2):
        r = tm("upgrade", "--out", src / "migrated", src)
        assert r.returncode == 0, r.stderr
    assert (src / "migrated" / "pkg" / "m0.py").read_text() == MODERN
    assert not (src / "migrated" / "migrated").exists()
    assert (src / "pkg" / "m0.py").read_text() == LEGACY


def test_out_onto_the_source_is_refused_in_one_line(tmp_path):
    src = _repo(tmp_path / "src", 1)
    r = tm("upgrade", "--out", src, src)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "would be written over" in r.stderr
    r = tm("upgrade", "--out", tmp_path, src)
    assert r.returncode == 2 and "contains the source tree" in r.stderr
    assert (src / "pkg" / "m0.py").read_text() == LEGACY


# --------------------------------------------------------------------------
# §6 --resume
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "content",
    ["[1, 2]", '{"done": "alpha"}', '{"done": [1]}', "{not json", '{"version": 9, "done": []}'],
)
def test_malformed_state_file_is_an_error_before_any_file_is_touched(tmp_path, content):
    tree = _repo(tmp_path / "repo", 1)
    (tmp_path / ".torchmigrate-state.json").write_text(content)
    r = tm("upgrade", "--resume", tree, cwd=tmp_path)
    assert r.returncode == 2
    assert "not" in r.stderr and ".torchmigrate-state.json" in r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    assert (tree / "pkg" / "m0.py").read_text() == LEGACY


def test_state_path_that_is_a_directory_is_an_error_before_any_file_is_touched(tmp_path):
    tree = _repo(tmp_path / "repo", 1)
    (tmp_path / ".torchmigrate-state.json").mkdir()
    r = tm("upgrade", "--resume", tree, cwd=tmp_path)
    assert r.returncode == 2
    assert "is a directory" in r.stderr
    assert (tree / "pkg" / "m0.py").read_text() == LEGACY


def test_interrupted_run_keeps_the_repos_it_finished(tmp_path):
    a = _repo(tmp_path / "alpha", 1)
    b = _repo(tmp_path / "beta", 1)
    run = Interactive("upgrade", "-i", "--resume", a, b, cwd=tmp_path)
    run.wait_for(PROMPT)
    run.send("y\n")  # alpha's only hunk
    run.buf = b""
    run.wait_for(PROMPT)  # beta's hunk: interrupt here
    state = json.loads((tmp_path / ".torchmigrate-state.json").read_text())
    assert state["done"] == [str(a)]
    run.proc.send_signal(signal.SIGINT)
    rc, output = run.finish()
    assert rc != 0 and "Traceback" not in output
    state = json.loads((tmp_path / ".torchmigrate-state.json").read_text())
    assert state["done"] == [str(a)]
    assert (a / "pkg" / "m0.py").read_text() == MODERN
    assert (b / "pkg" / "m0.py").read_text() == LEGACY
    r = tm("upgrade", "--resume", a, b, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (b / "pkg" / "m0.py").read_text() == MODERN
    assert sorted(json.loads((tmp_path / ".torchmigrate-state.json").read_text())["done"]) == [
        str(a),
        str(b),
    ]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# --------------------------------------------------------------------------
# §7 internal errors become one-line per-file failures
# --------------------------------------------------------------------------
def test_interactive_with_stdin_closed_exits_cleanly(tmp_path):
    f = tmp_path / "a.py"
    f.write_text(LEGACY)
    env = dict(os.environ, COLUMNS="200")
    r = subprocess.run(
        [sys.executable, "-m", "torchmigrate", "upgrade", "-i", str(f)],
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=lambda: os.close(0),
        timeout=300,
    )
    assert "internal error" not in r.stdout + r.stderr and "Traceback" not in r.stderr
    assert r.returncode in (0, 1, 2)
    assert f.read_text() == LEGACY


def test_binary_from_file_is_a_one_line_error(tmp_path):
    listing = tmp_path / "repos.txt"
    listing.write_bytes(b"\x00\x01\xff\xfe binary")
    r = tm("upgrade", "--from-file", listing)
    assert r.returncode == 2
    assert "internal error" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "repos.txt" in r.stderr


def test_read_only_home_does_not_break_the_run(tmp_path):
    f = tmp_path / "a.py"
    f.write_text(LEGACY)
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("")
    env = dict(os.environ, COLUMNS="200", HOME=str(blocker / "home"))
    env.pop("XDG_CACHE_HOME", None)
    r = subprocess.run(
        [sys.executable, "-m", "torchmigrate", "upgrade", str(f)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert f.read_text() == MODERN
    # no writable temp dir either: the grammar is built in memory
    f.write_text(LEGACY)
    env["TMPDIR"] = str(blocker / "tmp")
    r = subprocess.run(
        [sys.executable, "-m", "torchmigrate", "upgrade", str(f)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert f.read_text() == MODERN


def _nested(depth: int) -> str:
    return (
        "import torch\nimport torch.nn as nn\n\nmodel = nn.Linear(3, 1)\n"
        "y = " + "f(" * depth + "x" + ")" * depth + "\n"
        "torch.nn.utils.clip_grad_norm(model.parameters(), 5)\n"
    )


def test_deeply_nested_calls_are_migrated_not_an_internal_error(tmp_path):
    f = tmp_path / "deep.py"
    f.write_text(_nested(190))  # CPython's own limit is 200 levels of brackets
    r = tm("upgrade", f)
    assert r.returncode == 0, r.stderr
    assert f.read_text() == _nested(190).replace("clip_grad_norm(", "clip_grad_norm_(")


def test_utf16_file_is_named_as_such(tmp_path):
    f = tmp_path / "w.py"
    f.write_bytes(b"\xff\xfe" + LEGACY.encode("utf-16-le"))
    r = tm("check", f)
    assert r.returncode == 1
    assert "UTF-16 is not supported" in r.stderr and "binary" not in r.stderr


def test_diff_of_a_file_with_a_form_feed_has_no_spurious_eof_marker(tmp_path):
    f = tmp_path / "ff.py"
    f.write_text(
        LEGACY.replace("model = ", "\x0c\nmodel = ").replace(
            "import torch\n", "import torch  # \x0c\n"
        )
    )
    r = tm("upgrade", "--diff", f)
    assert r.returncode in (0, 1), r.stderr
    assert "clip_grad_norm_(" in r.stdout
    assert "No newline at end of file" not in r.stdout


def test_python2_file_mixing_tabs_and_spaces_is_reported_not_broken(tmp_path):
    f = tmp_path / "old.py"
    src = (
        "import torch\n"
        "def f(p):\n"
        "        print 'x'\n"  # 8 spaces
        "\ttorch.nn.utils.clip_grad_norm(p, 1)\n"  # a tab: the same level for Python 2
    )
    f.write_text(src)
    r = tm("upgrade", f)
    assert r.returncode == 1
    assert f"{f}:4: inconsistent use of tabs and spaces in indentation" in r.stderr
    assert "TabError" in r.stderr
    assert f.read_text() == src
    ok = tmp_path / "ok.py"  # tabs used consistently: migrated
    ok.write_text("import torch\ndef f(p):\n\tprint 'x'\n\ttorch.nn.utils.clip_grad_norm(p, 1)\n")
    r = tm("upgrade", ok)
    assert r.returncode == 0, r.stderr
    assert "clip_grad_norm_(" in ok.read_text() and "print('x')" in ok.read_text()


def test_python312_fstring_text_is_never_rewritten(tmp_path):
    f = tmp_path / "new.py"
    src = (
        'import torch\nfrom torch.autograd import Variable\nmsg = f"{name + " + Variable(x) + "}"\n'
    )
    f.write_text(src)
    r = tm("upgrade", "--unsafe-fixes", f)
    assert r.returncode == 1
    assert f"{f}:3: f-string with nested quotes of the same kind (Python 3.12 syntax)" in r.stderr
    assert f.read_text() == src
