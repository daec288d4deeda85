"""`upgrade --verify`: migrate, then prove old and new train identically."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cli.test_cli import tm

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def test_upgrade_then_verify_in_place(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(CORPUS / "legacy" / "lr_scheduler.py", repo / "train.py")
    r = tm("upgrade", "--unsafe-fixes", "--verify", repo / "train.py", "--steps", "2", repo)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "match" in r.stderr
    assert "loss.data[0]" not in (repo / "train.py").read_text()


def test_diff_then_verify_writes_nothing(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(CORPUS / "legacy" / "lr_scheduler.py", repo / "train.py")
    before = (repo / "train.py").read_bytes()
    r = tm(
        "upgrade", "--diff", "--unsafe-fixes", "--verify", repo / "train.py", "--steps", "2", repo
    )
    assert r.returncode == 1, r.stdout + r.stderr  # --diff: changes are pending
    assert (repo / "train.py").read_bytes() == before
    assert "verification" in r.stderr and "match" in r.stderr


def test_verify_of_a_missing_script_is_a_usage_error(tmp_path):
    r = tm("upgrade", "--verify", tmp_path / "nope.py", tmp_path)
    assert r.returncode == 2
    assert "nope.py" in r.stderr
