"""Issue 14 §1 (commands always listed, a clear message without torch, the
next steps after a run) and §10 (Python 3.8+ syntax fissix cannot parse)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import LEGACY, tm
from torchmigrate.modern_syntax import constructs, describe

CORPUS = Path(__file__).resolve().parents[2] / "corpus"

# torch (and numpy) made unimportable in this interpreter only
NO_TORCH = (
    "import sys\n"
    "class NoTorch:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name.split('.')[0] in ('torch', 'numpy'):\n"
    "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
    "sys.meta_path.insert(0, NoTorch())\n"
    "from torchmigrate.cli import main\n"
)


def _without_torch(*args, cwd=None):
    code = NO_TORCH + f"main({list(map(str, args))!r})\n"
    env = dict(os.environ, COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=120, env=env
    )


def test_verify_and_run_are_listed_and_explain_the_extra_without_torch(tmp_path):
    r = _without_torch("--help")
    assert r.returncode == 0, r.stderr
    assert "verify" in r.stdout and "run " in r.stdout
    assert "pip install 'torchmigrate[verify]'" in r.stdout
    for args in (["verify", "a.py", "b.py", "--steps", "2"], ["run", "--legacy", "x.py"]):
        r = _without_torch(*args)
        assert r.returncode == 2, r.stderr
        assert "No such command" not in r.stderr
        assert "needs PyTorch" in r.stderr and "pip install 'torchmigrate[verify]'" in r.stderr
    # and the core commands still work
    (tmp_path / "m.py").write_text(LEGACY)
    r = _without_torch("upgrade", "-q", "m.py", cwd=tmp_path)
    assert "clip_grad_norm_(" in (tmp_path / "m.py").read_text(), r.stderr


def test_help_lists_every_command_without_importing_torch():
    code = (
        "import sys\nfrom torchmigrate.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "assert 'torch' not in sys.modules\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    for cmd in ("upgrade", "check", "rules", "explain", "verify", "run"):
        assert cmd in r.stdout


def test_the_main_job_says_where_the_files_went_and_what_next(tmp_path):
    src = tmp_path / "legacy"
    src.mkdir()
    for name in ("mnist_cnn.py", "lr_scheduler.py"):
        (src / name).write_text((CORPUS / "legacy" / name).read_text())
    r = tm("upgrade", "--unsafe-fixes", "--out", "migrated", "legacy", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    nxt = [ln for ln in r.stderr.splitlines() if ln.startswith("next: ")]
    text = "\n".join(nxt)
    assert "the migrated copy is in migrated/" in text
    assert "review: diff -ru legacy migrated" in text
    assert "torchmigrate check migrated" in text
    assert "torchmigrate verify legacy/" in text and " migrated/" in text
    r = tm("upgrade", "legacy", cwd=tmp_path)
    assert "2 file(s) rewritten in place" in r.stderr and "review: git diff" in r.stderr
    for name in ("mnist_cnn.py", "lr_scheduler.py"):
        (src / name).write_text((CORPUS / "legacy" / name).read_text())
    r = tm("upgrade", "-q", "legacy", cwd=tmp_path)
    assert "next:" not in r.stderr  # --quiet


# --------------------------------------------------------------------------
# Python 3.8+ syntax
# --------------------------------------------------------------------------
MODERN_SAMPLES = {
    "posonly.py": ("def f(a, b, /, c):\n    return a\n", 4, "positional-only parameters"),
    "match.py": ("match cmd:\n    case [x]:\n        pass\n", 4, "a `match` statement"),
    "estar.py": ("try:\n    pass\nexcept* ValueError:\n    pass\n", 4, "`except*`"),
    "pwith.py": (
        "with (open('a') as f,\n      open('b') as g):\n    pass\n",
        4,
        "parenthesised context managers",
    ),
    "deco.py": ("@buttons[0].connect\ndef f():\n    pass\n", 4, "a decorator expression"),
}


def test_modern_syntax_is_named_with_its_line(tmp_path):
    for name, (code, _line, _what) in MODERN_SAMPLES.items():
        (tmp_path / name).write_text(LEGACY.replace("model =", code + "model =", 1))
    r = tm("check", "-q", tmp_path)
    assert r.returncode == 1
    for name, (_code, _line, what) in MODERN_SAMPLES.items():
        (err,) = [ln for ln in r.stderr.splitlines() if name in ln]
        assert f"{name}:4: cannot parse: uses {what}" in err, err
        assert "fissix grammar" in err and "the file was left unchanged" in err
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    tm("upgrade", tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize(
    "code,expected",
    [
        ("lambda a, /, b: a\n", "positional-only"),
        ("x[*i]\n", "starred subscript"),
        ("for x in *a, *b:\n    pass\n", "unparenthesised starred"),
        ("x[y:=1]\n", "unparenthesised `:=`"),
    ],
)
def test_constructs(code, expected):
    found = constructs(code)
    assert found and expected in found[0][1] and found[0][0] == 1


def test_plain_syntax_errors_are_not_called_modern():
    assert describe("def f(:\n    pass\n", 1) is None
    assert constructs("with (a, b):\n    pass\n") == []  # fissix parses this one
    assert constructs("for x in (*a, *b):\n    pass\n") == []
