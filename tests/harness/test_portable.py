"""The code that runs inside genuine old interpreters must compile there."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[2] / "torchmigrate" / "harness"
PORTABLE = sorted((HARNESS / "portable").glob("*.py")) + sorted(
    (HARNESS / "synthetic").rglob("*.py")
)
PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"


def _interpreters():
    found = sorted(PYENV.glob("2.7*/bin/python")) + sorted(PYENV.glob("3.[67].*/bin/python"))
    return [pytest.param(p, id=p.parts[-3]) for p in found] or [pytest.param(None, id="none")]


@pytest.mark.parametrize("python", _interpreters())
def test_portable_modules_compile_on_old_pythons(python, tmp_path):
    if python is None:
        pytest.skip("no Python 2.7/3.6/3.7 interpreter (pyenv) on this machine")
    code = (
        "import py_compile, sys\n"
        "for f in sys.argv[1:]:\n"
        f"    py_compile.compile(f, cfile={str(tmp_path / 'x.pyc')!r}, doraise=True)\n"
    )
    out = subprocess.run(
        [str(python), "-c", code, *map(str, PORTABLE)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert len(PORTABLE) >= 10
