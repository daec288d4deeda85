"""verify/run containment (issue 13 section 4): each case failed before this module."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest

from tests.harness.helpers import ROOT, flat, report, tiny, tm, verify

pytest.importorskip("torch")


def _alive_with(marker: str) -> list[int]:
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as fh:
                cmd = fh.read()
            with open(f"/proc/{name}/stat", "rb") as fh:
                state = fh.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmd and state != b"Z":
            pids.append(int(name))
    return pids


def _sleeper(marker: str, detach: str) -> str:
    """Script lines starting a grandchild that sleeps for 10 minutes with ``marker`` on its
    command line; ``detach``: "setsid" (new session, keeps our stdout) or "daemon"
    (double fork + setsid, the parent exits at once)."""
    code = "import time; time.sleep(600)"
    if detach == "setsid":
        return (
            "import subprocess, sys\n"
            f"subprocess.Popen([sys.executable, '-c', {code!r}, {marker!r}], start_new_session=True)\n"
        )
    inner = (
        "import os, subprocess, sys; "
        f"subprocess.Popen([sys.executable, '-c', {code!r}, {marker!r}], start_new_session=True, "
        "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); os._exit(0)"
    )
    return f"import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', {inner!r}]).wait()\n"


def _cleanup(marker: str) -> None:
    for pid in _alive_with(marker):
        try:
            os.kill(pid, 9)
        except OSError:
            pass


@pytest.mark.parametrize("detach", ["setsid", "daemon"])
def test_escaped_grandchildren_are_killed_and_timeout_holds(tmp_path, detach):
    marker = f"tm-marker-{uuid.uuid4().hex}"
    d = tmp_path / "p"
    d.mkdir()
    hang = "import time\ntime.sleep(600)\n" if detach == "setsid" else ""
    (d / "s.py").write_text(_sleeper(marker, detach) + tiny(4) + hang)
    try:
        start = time.monotonic()
        out = verify(d / "s.py", d / "s.py", "--timeout", "20", timeout=200)
        took = time.monotonic() - start
        if detach == "setsid":  # the script hangs: the timeout must hold despite the
            assert out.returncode == 1 and "timeout" in flat(out)  # grandchild's stdout
        else:
            assert out.returncode == 0, out.stdout + out.stderr
        assert took < 120
        time.sleep(0.5)
        assert _alive_with(marker) == []
    finally:
        _cleanup(marker)


def test_run_kills_what_the_script_left_behind(tmp_path):
    marker = f"tm-marker-{uuid.uuid4().hex}"
    (tmp_path / "s.py").write_text(_sleeper(marker, "daemon") + "print('done')\n")
    try:
        out = tm("run", tmp_path / "s.py", timeout=120)
        assert out.returncode == 0 and "done" in out.stdout
        time.sleep(0.5)
        assert _alive_with(marker) == []
    finally:
        _cleanup(marker)


def test_huge_child_output_keeps_parent_memory_flat(tmp_path):
    d = tmp_path / "p"
    d.mkdir()
    spam = "import sys\nline = 'x' * (1 << 20) + '\\n'\nfor _ in range(300):\n    sys.stdout.write(line)\n"
    (d / "s.py").write_text(spam + tiny(3))
    r = tmp_path / "r.json"
    out = verify(d / "s.py", d / "s.py", "--report", r, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:]
    data = report(r)
    assert data["peak_rss_mb"]["parent"] < 900  # torch itself is ~300 MB; 300 MB not held
    assert "bytes of output were not kept" in flat(out)


def test_script_directly_in_tmpdir(tmp_path):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    (tmpdir / "s.py").write_text(tiny(3))
    out = verify(tmpdir / "s.py", tmpdir / "s.py", env={"TMPDIR": str(tmpdir)})
    assert out.returncode == 0, out.stdout + out.stderr
    assert [p.name for p in tmpdir.iterdir()] == ["s.py"]


def test_writes_outside_the_work_copy_are_blocked_and_reported(tmp_path):
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    real_data = tmp_path / "real_data"
    real_data.mkdir()
    (real_data / "keep.txt").write_text("original")
    (repo / "src" / "data").symlink_to(real_data)  # an absolute link in the tree
    outside = tmp_path / "outside.txt"
    writes = (
        f"for path in ['../../escaped.txt', {str(outside)!r}, 'data/keep.txt']:\n"
        "    try:\n"
        "        open(path, 'w').write('clobbered')\n"
        "    except PermissionError:\n"
        "        print('blocked', path)\n"
    )
    (repo / "src" / "s.py").write_text(writes + tiny(3))
    out = verify(repo / "src" / "s.py", repo / "src" / "s.py", "--root", repo)
    assert out.returncode == 0, out.stdout + out.stderr
    assert not outside.exists()
    assert not (tmp_path / "escaped.txt").exists()
    assert (real_data / "keep.txt").read_text() == "original"
    assert f"tried to write outside its work copy: {outside}" in flat(out)


def test_a_fifo_next_to_the_script_does_not_hang(tmp_path):
    d = tmp_path / "p"
    d.mkdir()
    (d / "s.py").write_text(tiny(3))
    os.mkfifo(d / "x.py")
    out = verify(d / "s.py", d / "s.py", timeout=120)
    assert out.returncode == 0, out.stdout
    assert "x.py: FIFO not copied" in flat(out)


def _leftovers(tmpdir):
    return sorted(p.name for p in tmpdir.iterdir() if p.name.startswith("torchmigrate-"))


def test_work_dirs_are_removed_also_after_a_crash_and_sigterm(tmp_path):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    d = tmp_path / "p"
    d.mkdir()
    (d / "ok.py").write_text(tiny(3))
    (d / "bad.py").write_text(tiny(3) + "raise SystemExit('boom')\n")
    (d / "slow.py").write_text("import time\ntime.sleep(600)\n")
    env = {"TMPDIR": str(tmpdir)}
    verify(d / "ok.py", d / "bad.py", env=env)
    assert _leftovers(tmpdir) == []
    proc = subprocess.Popen(
        [sys.executable, "-m", "torchmigrate", "verify", str(d / "slow.py"), str(d / "slow.py")],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not _leftovers(tmpdir) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # both children started
    proc.terminate()
    proc.wait(timeout=60)
    assert _leftovers(tmpdir) == []


def test_upgrade_verify_leaves_no_temp_dirs_even_when_refused(tmp_path):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "train.py").write_text(tiny(3).replace("print(", "print(loss.data[0], ") + "\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    env = {"TMPDIR": str(tmpdir)}
    # a dirty git tree: the upgrade is refused after the snapshot was taken
    out = tm("upgrade", "--verify", repo / "train.py", repo, env=env)
    assert out.returncode == 2 and "uncommitted" in out.stderr
    assert _leftovers(tmpdir) == []
    out = tm("upgrade", "--allow-dirty", "--verify", repo / "train.py", repo, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert _leftovers(tmpdir) == []


def test_parent_peak_memory_is_its_own_not_its_starters():
    # Linux carries a process's peak RSS over exec into getrusage(RUSAGE_SELF):
    # a verify started from a big process (a test runner after a 2 GB test)
    # reported that process's peak as its own
    code = (
        "import subprocess, sys\n"
        "big = bytearray(600 * 1024 * 1024)\n"
        "for i in range(0, len(big), 4096):\n"
        "    big[i] = 1\n"
        "child = 'from torchmigrate.harness.runner import own_peak_rss_kb; print(own_peak_rss_kb())'\n"
        "print(subprocess.run([sys.executable, '-c', child], capture_output=True, text=True).stdout)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert int(r.stdout.split()[0]) < 400 * 1024  # KiB: the child's own (no torch imported)
