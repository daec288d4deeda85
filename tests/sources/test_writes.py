"""sources.write_atomic / read_source on real files: compare-and-swap, identity
(symlinks, owner, hard links, modes, directories), line endings, errors."""

from __future__ import annotations

import errno
import os
import signal
import stat
import sys

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from torchmigrate import sources
from torchmigrate.sources import SourceError, read_source, remove_stale_temps, write_atomic

OLD = "import torch\nx = torch.ones(1)\n"
NEW = "import torch\nx = torch.ones(2)\n"


def _temps(directory):
    return [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_edit_between_read_and_write_is_kept(tmp_path):
    f = tmp_path / "a.py"
    f.write_text(OLD)
    src = read_source(f)
    f.write_text(OLD + "# the user's edit\n")  # saved while the run works
    with pytest.raises(SourceError, match="changed during the run"):
        write_atomic(f, NEW.encode(), expected=src.fingerprint)
    assert f.read_text() == OLD + "# the user's edit\n"
    assert _temps(tmp_path) == []


def test_same_size_same_mtime_edit_is_caught_by_the_bytes(tmp_path):
    f = tmp_path / "a.py"
    f.write_text(OLD)
    src = read_source(f)
    st0 = f.stat()
    f.write_text(OLD.replace("ones", "onez"))  # same size
    os.utime(f, ns=(st0.st_atime_ns, st0.st_mtime_ns))  # and the old mtime
    with pytest.raises(SourceError, match="changed during the run"):
        write_atomic(f, NEW.encode(), expected=src.fingerprint)
    assert "onez" in f.read_text()


def test_file_replaced_or_deleted_during_the_run(tmp_path):
    f = tmp_path / "a.py"
    f.write_text(OLD)
    src = read_source(f)
    (tmp_path / "b.py").write_text(OLD)
    os.replace(tmp_path / "b.py", f)  # same bytes, another inode (an editor's save)
    with pytest.raises(SourceError, match="changed during the run"):
        write_atomic(f, NEW.encode(), expected=src.fingerprint)
    f.unlink()
    with pytest.raises(SourceError, match="deleted"):
        write_atomic(f, NEW.encode(), expected=src.fingerprint)
    assert not f.exists()


def test_unchanged_file_is_written(tmp_path):
    f = tmp_path / "a.py"
    f.write_text(OLD)
    f.chmod(0o640)
    src = read_source(f)
    write_atomic(f, NEW.encode(), expected=src.fingerprint)
    assert f.read_text() == NEW
    assert stat.S_IMODE(f.stat().st_mode) == 0o640
    assert _temps(tmp_path) == []


def test_symlink_named_explicitly_is_followed_and_kept(tmp_path):
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    target = real_dir / "t.py"
    target.write_text(OLD)
    link = tmp_path / "link.py"
    link.symlink_to(target)
    src = read_source(link)
    write_atomic(link, NEW.encode(), expected=src.fingerprint)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == NEW
    assert _temps(tmp_path) == [] and _temps(real_dir) == []


def test_symlink_retargeted_during_the_run_is_not_written(tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text(OLD)
    b.write_text(OLD)
    link = tmp_path / "link.py"
    link.symlink_to(a)
    src = read_source(link)
    link.unlink()
    link.symlink_to(b)
    with pytest.raises(SourceError, match="changed during the run"):
        write_atomic(link, NEW.encode(), expected=src.fingerprint)
    assert a.read_text() == OLD and b.read_text() == OLD


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_owner_and_group_are_kept_when_root_rewrites(tmp_path):
    f = tmp_path / "a.py"
    f.write_text(OLD)
    os.chown(f, 12345, 23456)
    f.chmod(0o664)
    src = read_source(f)
    write_atomic(f, NEW.encode(), expected=src.fingerprint)
    st_ = f.stat()
    assert (st_.st_uid, st_.st_gid) == (12345, 23456)
    assert stat.S_IMODE(st_.st_mode) == 0o664
    assert f.read_text() == NEW


def test_owner_that_cannot_be_kept_is_refused(tmp_path, monkeypatch):
    f = tmp_path / "a.py"
    f.write_text(OLD)
    src = read_source(f)
    real = os.fstat

    class Other:  # what fstat of the new temp file would say for another user's file
        def __init__(self, st_):
            self.st_uid, self.st_gid = st_.st_uid + 1, st_.st_gid

    calls = []

    def fake_fstat(fd):
        calls.append(fd)
        return Other(real(fd))

    def no_chown(fd, uid, gid):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(sources.os, "fstat", fake_fstat)
    monkeypatch.setattr(sources.os, "fchown", no_chown)
    with pytest.raises(SourceError, match="owned by .*not modified"):
        write_atomic(f, NEW.encode(), expected=src.fingerprint)
    monkeypatch.undo()
    assert f.read_text() == OLD and calls
    assert _temps(tmp_path) == []


def test_hard_linked_file_is_refused_and_links_stay(tmp_path):
    f = tmp_path / "a.py"
    f.write_text(OLD)
    other = tmp_path / "other.py"
    os.link(f, other)
    src = read_source(f)
    with pytest.raises(SourceError, match="2 hard links"):
        write_atomic(f, NEW.encode(), expected=src.fingerprint)
    assert f.read_text() == OLD and other.read_text() == OLD
    assert os.stat(f).st_ino == os.stat(other).st_ino


def test_read_only_directory_is_refused_even_as_root(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    f = d / "a.py"
    f.write_text(OLD)
    src = read_source(f)
    d.chmod(0o555)
    try:
        with pytest.raises(SourceError, match="directory .* is read-only"):
            write_atomic(f, NEW.encode(), expected=src.fingerprint)
        assert f.read_text() == OLD
        assert _temps(d) == []
    finally:
        d.chmod(0o755)


def test_read_only_file_is_refused(tmp_path):
    f = tmp_path / "a.py"
    f.write_text(OLD)
    f.chmod(0o444)
    with pytest.raises(SourceError, match="read-only"):
        write_atomic(f, NEW.encode())
    assert f.read_text() == OLD


def test_disk_full_is_a_per_file_error_and_leaves_nothing(tmp_path, monkeypatch):
    f = tmp_path / "a.py"
    f.write_text(OLD)
    src = read_source(f)

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sources.os, "write", full)
    with pytest.raises(SourceError) as info:
        write_atomic(f, NEW.encode(), expected=src.fingerprint)
    monkeypatch.undo()
    assert str(info.value) == f"{f}: cannot write: No space left on device"
    assert f.read_text() == OLD
    assert _temps(tmp_path) == []


def test_failing_rename_leaves_the_original_and_no_temp(tmp_path, monkeypatch):
    f = tmp_path / "a.py"
    f.write_text(OLD)

    def eio(a, b):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(sources.os, "replace", eio)
    with pytest.raises(SourceError, match="cannot write: Input/output error"):
        write_atomic(f, NEW.encode())
    monkeypatch.undo()
    assert f.read_text() == OLD and _temps(tmp_path) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_a_write_waits_for_the_write(tmp_path, monkeypatch, signum):
    """The signal arrives between creating the temp file and the rename: the
    write completes, then the signal takes effect; no temp file remains."""
    f = tmp_path / "a.py"
    f.write_text(OLD)
    real_fsync = os.fsync

    def fsync_then_signal(fd):
        real_fsync(fd)
        os.kill(os.getpid(), signum)

    class Terminated(Exception):
        pass

    def on_term(_s, _f):
        raise Terminated

    old = signal.signal(signal.SIGTERM, on_term)
    monkeypatch.setattr(sources.os, "fsync", fsync_then_signal)
    try:
        with pytest.raises(KeyboardInterrupt if signum == signal.SIGINT else Terminated):
            write_atomic(f, NEW.encode())
    finally:
        monkeypatch.undo()
        signal.signal(signal.SIGTERM, old)
    assert f.read_text() == NEW
    assert _temps(tmp_path) == []


def test_stale_temps_of_dead_runs_are_removed_and_nothing_else(tmp_path):
    import subprocess

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    dead = proc.pid
    (tmp_path / "a.py").write_text(OLD)
    stale = tmp_path / f".a.py.torchmigrate-{dead}-abcd1234.tmp"
    stale.write_text("partial")
    live = tmp_path / f".a.py.torchmigrate-{os.getppid()}-abcd1234.tmp"  # a live pid
    live.write_text("being written")
    mine = tmp_path / f".a.py.torchmigrate-{os.getpid()}-abcd1234.tmp"
    mine.write_text("ours, in progress")
    legacy_old = tmp_path / ".a.py.k3j4h5g6.tmp"  # 0.1.0's pattern, an hour old
    legacy_old.write_text("x")
    os.utime(legacy_old, (1, 1))
    legacy_new = tmp_path / ".a.py.q1w2e3r4.tmp"  # 0.1.0's pattern, but recent
    legacy_new.write_text("x")
    not_ours = [tmp_path / ".a.py.tmp", tmp_path / ".b.py.zzzzzzzz.tmp", tmp_path / "x.tmp"]
    for p in not_ours:
        p.write_text("user data")
        os.utime(p, (1, 1))
    removed = remove_stale_temps(tmp_path)
    assert sorted(removed) == sorted([stale, legacy_old])
    for p in [live, mine, legacy_new, *not_ours]:
        assert p.exists(), p


# --------------------------------------------------------------------------
# line endings: every untouched line keeps its own ending
# --------------------------------------------------------------------------
def test_mixed_line_endings_keep_each_untouched_line(tmp_path):
    f = tmp_path / "m.py"
    raw = b"import torch\r\nx = 1\ny = torch.ones(1)\r\nz = 2\rw = 3\n"
    f.write_bytes(raw)
    src = read_source(f)
    assert src.text == "import torch\nx = 1\ny = torch.ones(1)\nz = 2\nw = 3\n"
    assert src.render(src.text) == raw
    new = src.text.replace("torch.ones(1)", "torch.ones(2)").replace("w = 3\n", "w = 3\nv = 4\n")
    assert src.render(new) == (b"import torch\r\nx = 1\ny = torch.ones(2)\r\nz = 2\rw = 3\nv = 4\n")


_lines = st.lists(
    st.tuples(
        st.text(alphabet="ab =#\t\x0c", max_size=8),
        st.sampled_from(["\n", "\r\n", "\r"]),
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(lines=_lines, tail=st.text(alphabet="ab ", max_size=3))
def test_any_line_ending_mix_round_trips_byte_for_byte(lines, tail):
    # a CR ending followed by an empty line ending in LF is one CRLF ending
    assume(
        not any(
            e == "\r" and nxt[0] == "" and nxt[1] != "\r" for (_, e), nxt in zip(lines, lines[1:])
        )
    )
    raw = ("".join(t + e for t, e in lines) + tail).encode()
    text, enc, newline, endings = sources.decode("x.py", raw)
    assert "\r" not in text
    src = sources.Source("x.py", text, enc, newline, 0o644, raw, None, endings)
    assert src.render(text) == raw
    # a change to one line leaves every other line's ending alone
    if len(lines) >= 3:
        parts = text.split("\n")
        parts[1] = parts[1] + "CHANGED"
        out = src.render("\n".join(parts))
        expected = (
            "".join((t + "CHANGED" if i == 1 else t) + e for i, (t, e) in enumerate(lines)) + tail
        )
        assert out == expected.encode()


def test_form_feed_is_not_a_line_end_for_diffs():
    assert sources.splitlines_lf("a\x0cb\nc") == ["a\x0cb\n", "c"]
    assert sources.splitlines_lf("a\n") == ["a\n"]
