"""``bench/ab_upgrade.py`` runs end to end: both versions measured in fresh
processes, each from its own code (it refuses to report otherwise), and one
row per tree.  No timing is asserted."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout"
)
def test_ab_bench_compares_two_versions_on_a_small_tree(tmp_path):
    tree = tmp_path / "small"
    tree.mkdir()
    for name in ("actor_critic.py", "vae.py"):
        shutil.copy(ROOT / "corpus" / "legacy" / name, tree / name)
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "ab_upgrade.py"),
            "--against",
            "HEAD",
            "--rounds",
            "1",
            "--repeat",
            "1",
            "--tree",
            str(tree),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    rows = [line.split() for line in r.stdout.splitlines() if line.startswith("small")]
    assert len(rows) == 1
    a_median, b_median = float(rows[0][1].rstrip("x")), float(rows[0][3].rstrip("x"))
    assert a_median > 0 and b_median > 0
