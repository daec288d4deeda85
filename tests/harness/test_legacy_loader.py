"""The source loader rewrites only what cannot be emulated at runtime."""

import builtins
import subprocess
import sys
from pathlib import Path

import pytest

from torchmigrate.harness.loader import is_python2, rewrite_source

ROOT = Path(__file__).resolve().parents[2]


def _run(src: str) -> dict:
    from torchmigrate.harness.legacy_runtime import py2_div, py2_idiv

    saved = {k: builtins.__dict__.get(k) for k in ("_tm_div", "_tm_idiv")}
    builtins._tm_div, builtins._tm_idiv = py2_div, py2_idiv
    try:
        ns: dict = {}
        exec(compile(rewrite_source(src), "<t>", "exec"), ns)
        return ns
    finally:
        for k, v in saved.items():
            if v is None:
                builtins.__dict__.pop(k, None)
            else:
                builtins.__dict__[k] = v


def test_python3_file_untouched():
    src = "x = 7 / 2\nprint(x)\n"
    assert rewrite_source(src) == src
    assert not is_python2(src)


def test_async_keyword_renamed_consistently():
    src = "def f(a, async=False):\n    return async\ny = f(1, async=True)\nz = 7 / 2\n"
    out = rewrite_source(src)
    assert "non_blocking=True" in out and "async" not in out
    ns = _run(src)
    assert ns["y"] is True and ns["z"] == 3.5  # not a py2 file: true division kept


def test_python2_syntax_and_names():
    src = (
        "import cPickle\n"
        "d = {1: 2}\n"
        "r = [k for k, v in d.iteritems()]\n"
        "ok = d.has_key(1)\n"
        "s = `5`\n"
        "ne = 1 <> 2\n"
        "mode = 0777\n"
        "try:\n    raise ValueError, 'x'\nexcept ValueError, e:\n    err = str(e)\n"
        "print 'hello', 1\n"
        "xs = range(3) + [9]\n"
        "n = sum(i for i in xrange(4))\n"
    )
    assert is_python2(src)
    ns = _run(src)
    assert ns["r"] == [1] and ns["ok"] and ns["s"] == "5" and ns["ne"]
    assert ns["mode"] == 0o777 and ns["err"] == "x" and ns["xs"] == [0, 1, 2, 9] and ns["n"] == 6


def test_python2_integer_division():
    src = (
        "a = 7 / 2\nb = 7.0 / 2\nc = -7 / 2\nd = 1 + 8 / 2 * 3 / 2\ne = 9\ne /= 2\n"
        "class K:\n    def m(self):\n        return 5 / 2\nf = K().m()\nprint 'x'\n"
    )
    ns = _run(src)
    assert (ns["a"], ns["b"], ns["c"], ns["d"], ns["e"], ns["f"]) == (3, 3.5, -4, 7, 4, 2)


def test_future_division_respected():
    ns = _run("from __future__ import division\na = 7 / 2\nprint 'x'\n")
    assert ns["a"] == 3.5


def test_unparsable_file_raises_syntax_error():
    with pytest.raises(SyntaxError):
        rewrite_source("def f(:\n")


def test_run_legacy_cli_imports_sibling_py2_module(tmp_path):
    (tmp_path / "helper.py").write_text("def half(n):\n    return n / 2\nprint 'helper'\n")
    (tmp_path / "main.py").write_text(
        "import sys\nimport torch\nfrom helper import half\n"
        "x = torch.ones(2).cuda(async=True)\n"
        "loss = (x * 2).sum()\n"
        "print 'half', half(7), loss.data[0], sys.argv[1:]\n"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "torchmigrate.harness.commands",
            "run",
            "--legacy",
            str(tmp_path / "main.py"),
            "--",
            "--flag",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "half 3 4.0 ['--flag', '1']" in out.stdout
