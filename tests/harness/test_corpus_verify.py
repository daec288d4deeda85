"""Every legacy corpus program verifies against its modern twin, and runs with
``run --legacy``."""

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[2]
LEGACY_DIR = ROOT / "corpus" / "legacy"
MODERN_DIR = ROOT / "corpus" / "modern"

PAIRS = sorted(
    p.name
    for p in LEGACY_DIR.glob("*.py")
    if p.name != "__init__.py" and (MODERN_DIR / p.name).is_file()
)
LEGACY = sorted(p.name for p in LEGACY_DIR.glob("*.py") if p.name != "__init__.py")
# Package-shaped programs: their entry point.  py2_pkg is not run: the legacy
# loader does not emulate Python 2 implicit relative imports (corpus/README.md).
_DIR_PROGRAMS = sorted(
    f"{d.name}/train.py"
    for d in LEGACY_DIR.iterdir()
    if d.is_dir() and (d / "train.py").is_file() and d.name != "py2_pkg"
)
PAIRS += [p for p in _DIR_PROGRAMS if (MODERN_DIR / p).is_file()]
LEGACY += _DIR_PROGRAMS

CMD = [sys.executable, "-m", "torchmigrate.harness.commands"]


@pytest.mark.skipif(not PAIRS, reason="corpus is empty")
@pytest.mark.parametrize("name", PAIRS or ["-"])
def test_corpus_pair_verifies(name):
    out = subprocess.run(
        [*CMD, "verify", LEGACY_DIR / name, MODERN_DIR / name, "--timeout", "120"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]


@pytest.mark.skipif(not LEGACY, reason="corpus is empty")
@pytest.mark.parametrize("name", LEGACY or ["-"])
def test_corpus_legacy_program_runs(name):
    out = subprocess.run(
        [*CMD, "run", "--legacy", LEGACY_DIR / name],
        cwd=LEGACY_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]


def _env():
    import os

    return {**os.environ, "COLUMNS": "200"}
