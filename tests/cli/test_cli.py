"""The real CLI, run in a subprocess on real files in temporary trees."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

LEGACY = """import torch
import torch.nn as nn

model = nn.Linear(3, 1)
torch.nn.utils.clip_grad_norm(model.parameters(), 5)
"""
MODERN = LEGACY.replace("clip_grad_norm(", "clip_grad_norm_(")
CLEAN = "import torch\n\nx = torch.ones(3)\n"


def tm(*args, cwd=None, input=None, env=None):
    env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "torchmigrate", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        input=input,
        env=env,
        timeout=300,
    )


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "repo"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "train.py").write_text(LEGACY)
    (root / "pkg" / "clean.py").write_text(CLEAN)
    (root / "README.txt").write_text("data file\n")
    return root


def test_diff_is_a_dry_run(tree):
    before = (tree / "pkg" / "train.py").read_bytes()
    r = tm("upgrade", "--diff", tree)
    assert r.returncode == 1, r.stderr  # changes are pending (like `ruff format --diff`)
    assert "-torch.nn.utils.clip_grad_norm(model.parameters(), 5)" in r.stdout
    assert "+torch.nn.utils.clip_grad_norm_(model.parameters(), 5)" in r.stdout
    assert (tree / "pkg" / "train.py").read_bytes() == before
    assert "would change" in r.stderr


def test_upgrade_in_place_is_idempotent_and_leaves_clean_files_alone(tree):
    clean = tree / "pkg" / "clean.py"
    st = clean.stat()
    r = tm("upgrade", tree)
    assert r.returncode == 0, r.stderr
    assert (tree / "pkg" / "train.py").read_text() == MODERN
    assert clean.read_text() == CLEAN
    assert clean.stat().st_mtime_ns == st.st_mtime_ns  # never touched
    r2 = tm("upgrade", tree)
    assert r2.returncode == 0
    assert (tree / "pkg" / "train.py").read_text() == MODERN
    assert "changed     " in r2.stderr or "changed" in r2.stderr
    r3 = tm("upgrade", "--diff", tree)
    assert "+++" not in r3.stdout


def test_out_writes_a_migrated_copy(tree, tmp_path):
    dest = tmp_path / "migrated"
    r = tm("upgrade", "--out", dest, tree)
    assert r.returncode == 0, r.stderr
    assert (tree / "pkg" / "train.py").read_text() == LEGACY  # source untouched
    assert (dest / "pkg" / "train.py").read_text() == MODERN
    assert (dest / "pkg" / "clean.py").read_text() == CLEAN
    assert (dest / "README.txt").read_text() == "data file\n"


def test_check_exit_codes(tree):
    r = tm("check", tree)
    assert r.returncode == 1
    assert "train.py:5:" in r.stdout and "TM105" in r.stdout
    assert (tree / "pkg" / "train.py").read_text() == LEGACY
    r = tm("check", tree / "pkg" / "clean.py")
    assert r.returncode == 0, r.stdout


def test_select_and_ignore_prefixes(tree):
    r = tm("check", "--ignore", "TM1", tree)
    assert r.returncode == 0, r.stdout
    r = tm("check", "--select", "TM105", tree)
    assert r.returncode == 1
    r = tm("check", "--select", "XX9", tree)
    assert r.returncode == 2
    assert "unknown rule id" in r.stderr


def test_rules_and_explain():
    r = tm("rules")
    assert r.returncode == 0
    assert "TM105" in r.stdout and "clip" in r.stdout
    r = tm("explain", "TM105")
    assert r.returncode == 0
    assert "# TM105" in r.stdout and "## Examples" in r.stdout
    r = tm("explain", "TM999")
    assert r.returncode == 2
    assert "unknown rule" in r.stderr


def test_explain_on_a_terminal_renders_the_markdown():
    # rich treats FORCE_COLOR as a terminal: the page is rendered (headings
    # styled, no "#" markers), through the Markdown renderer `explain`
    # imports only then
    r = tm("explain", "TM001", env={"FORCE_COLOR": "1"})
    assert r.returncode == 0, r.stderr
    assert "TM001 variable-wrap" in r.stdout
    assert "# TM001" not in r.stdout and "\x1b[" in r.stdout


def test_missing_path_binary_and_syntax_error_do_not_stop_the_run(tree):
    (tree / "bin.py").write_bytes(b"\x00\x01\x02clip_grad_norm")
    bad = tree / "bad.py"
    bad.write_text("import torch\ntorch.nn.utils.clip_grad_norm(p, 1)\ndef f(:\n    pass\n")
    bad_before = bad.read_bytes()
    r = tm("upgrade", tree, tree / "nope.py")
    assert r.returncode == 1
    assert (tree / "pkg" / "train.py").read_text() == MODERN  # the rest went on
    assert bad.read_bytes() == bad_before
    lines = r.stderr.splitlines()
    assert any("nope.py" in ln and "no such file" in ln for ln in lines)
    assert any("bin.py" in ln and "binary" in ln for ln in lines)
    assert any(ln.startswith(f"{bad}:3:") and "cannot parse" in ln for ln in lines), r.stderr


def test_newlines_encodings_bom_and_mode_are_kept(tmp_path):
    crlf = tmp_path / "crlf.py"
    crlf.write_bytes(LEGACY.replace("\n", "\r\n").encode())
    latin = tmp_path / "latin.py"
    latin.write_bytes(("# -*- coding: latin-1 -*-\n# caf\xe9\n" + LEGACY).encode("latin-1"))
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbf" + LEGACY.encode())
    noeol = tmp_path / "noeol.py"
    noeol.write_text(LEGACY.rstrip("\n"))
    script = tmp_path / "script.py"
    script.write_text("#!/usr/bin/env python\n" + LEGACY)
    script.chmod(0o755)
    r = tm("upgrade", tmp_path)
    assert r.returncode == 0, r.stderr
    assert crlf.read_bytes() == MODERN.replace("\n", "\r\n").encode()
    assert latin.read_bytes() == ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + MODERN).encode(
        "latin-1"
    )
    assert bom.read_bytes() == b"\xef\xbb\xbf" + MODERN.encode()
    assert noeol.read_text() == MODERN.rstrip("\n")
    assert stat.S_IMODE(script.stat().st_mode) == 0o755
    assert script.read_text() == "#!/usr/bin/env python\n" + MODERN


def test_python2_file_parses(tmp_path):
    f = tmp_path / "old.py"
    f.write_text("import torch\nprint 'hello'\ntorch.nn.utils.clip_grad_norm(p, 1)\n")
    r = tm("upgrade", "--select", "TM105", f)
    assert r.returncode == 0, r.stderr
    assert f.read_text() == "import torch\nprint 'hello'\ntorch.nn.utils.clip_grad_norm_(p, 1)\n"


def test_read_only_file_is_not_modified(tree):
    f = tree / "pkg" / "train.py"
    f.chmod(0o444)
    r = tm("upgrade", tree)
    assert r.returncode == 1
    assert f.read_text() == LEGACY
    assert stat.S_IMODE(f.stat().st_mode) == 0o444
    assert any("train.py" in ln and "read-only" in ln for ln in r.stderr.splitlines())


def test_gitignored_and_hidden_and_venv_files_are_skipped(tree):
    (tree / ".gitignore").write_text("generated/\n*_skip.py\n")
    (tree / "generated").mkdir()
    (tree / "generated" / "g.py").write_text(LEGACY)
    (tree / "a_skip.py").write_text(LEGACY)
    (tree / ".hidden").mkdir()
    (tree / ".hidden" / "h.py").write_text(LEGACY)
    venv = tree / "myenv"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("home = /usr\n")
    (venv / "v.py").write_text(LEGACY)
    (tree / "build").mkdir()
    (tree / "build" / "b.py").write_text(LEGACY)
    r = tm("upgrade", "--exclude", "pkg/clean.py", tree)
    assert r.returncode == 0, r.stderr
    for p in ["generated/g.py", "a_skip.py", ".hidden/h.py", "myenv/v.py", "build/b.py"]:
        assert (tree / p).read_text() == LEGACY, p
    assert (tree / "pkg" / "train.py").read_text() == MODERN


def test_suppression_comments(tmp_path):
    f = tmp_path / "s.py"
    src = (
        "import torch\n"
        "torch.nn.utils.clip_grad_norm(a, 1)  # torchmigrate: ignore\n"
        "torch.nn.utils.clip_grad_norm(b, 1)  # torchmigrate: ignore[TM105]\n"
        "torch.nn.utils.clip_grad_norm(c, 1)  # torchmigrate: ignore[TM003]\n"
    )
    f.write_text(src)
    r = tm("upgrade", f)
    assert r.returncode == 0, r.stderr
    lines = f.read_text().splitlines()
    assert "clip_grad_norm(a" in lines[1] and "clip_grad_norm(b" in lines[2]
    assert "clip_grad_norm_(c" in lines[3]


def test_json_report(tree, tmp_path):
    rep = tmp_path / "r.json"
    r = tm("upgrade", "--diff", "--report", rep, "--format", "json", tree)
    assert r.returncode == 1, r.stderr  # changes are pending
    doc = json.loads(rep.read_text())
    assert doc["summary"]["changed"] == 1
    assert doc["summary"]["fixes"] == {"TM105": 1}
    (f,) = [x for x in doc["files"] if x["status"] == "changed"]
    assert f["fixes"][0]["rule"] == "TM105" and f["fixes"][0]["line"] == 5


def test_jobs_give_the_same_result(tmp_path):
    for i in range(6):
        (tmp_path / f"m{i}.py").write_text(LEGACY)
    r = tm("upgrade", "--jobs", "2", tmp_path)
    assert r.returncode == 0, r.stderr
    assert all((tmp_path / f"m{i}.py").read_text() == MODERN for i in range(6))


def test_diffs_are_the_same_with_jobs_and_computed_as_outcomes_arrive(tmp_path, monkeypatch):
    """``--diff`` prints the same bytes with one or two jobs (the diffs are
    computed as each file's outcome arrives); a diff computed before an
    outcome's texts changed is not used."""
    import difflib

    from torchmigrate import cli
    from torchmigrate.report import FileOutcome

    for i in range(6):
        sub = tmp_path / f"pkg{i % 2}"
        sub.mkdir(exist_ok=True)
        (sub / f"m{i}.py").write_text(LEGACY.replace("3", str(i + 3)))
    (tmp_path / "clean.py").write_text(CLEAN)
    one = tm("upgrade", "--diff", "--jobs", "1", tmp_path)
    two = tm("upgrade", "--diff", "--jobs", "2", tmp_path)
    assert one.returncode == two.returncode == 1
    assert one.stdout == two.stdout and one.stdout.count("+++ ") == 6
    for i in range(6):  # nothing was written
        text = (tmp_path / f"pkg{i % 2}" / f"m{i}.py").read_text()
        assert text == LEGACY.replace("3", str(i + 3))

    diffs = cli._Diffs()
    o = FileOutcome(path="/x.py", repo="/", status="changed", old="a\n", new="b\n")
    diffs.add(o)
    assert diffs.text(o) == "".join(difflib.unified_diff(["a\n"], ["b\n"], "/x.py", "/x.py"))
    o.new = "c\n"  # changed after it arrived: computed again
    assert "+c" in diffs.text(o) and "+b" not in diffs.text(o)
    calls = []
    monkeypatch.setattr(cli, "_diff_text", lambda o: calls.append(o) or "cached?")
    p = FileOutcome(path="/y.py", repo="/", status="changed", old="a\n", new="b\n")
    diffs.add(p)
    assert diffs.text(p) == "cached?" and len(calls) == 1  # computed once, on arrival


def test_version_and_usage_errors(tmp_path):
    r = tm("--version")
    assert r.returncode == 0 and "torchmigrate" in r.stdout
    r = tm("upgrade", "--format", "xml", "--report", tmp_path / "x", tmp_path)
    assert r.returncode == 2


def test_core_commands_do_not_import_torch(tree):
    code = (
        "import sys\n"
        "from torchmigrate.cli import main\n"
        "try:\n"
        f"    main(['check', {str(tree)!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_every_rule_is_listed_and_explained():
    from typer.testing import CliRunner

    from codemods import all_rules
    from torchmigrate.cli import app

    r = tm("rules", "--json")
    assert r.returncode == 0
    listed = {item["id"] for item in json.loads(r.stdout)}
    ids = {rule.id for rule in all_rules()}
    assert listed == ids
    r = tm("rules")
    for fam in ("TM0xx", "TM1xx", "TM2xx", "TM3xx"):
        assert fam in r.stdout
    runner = CliRunner()
    for rule in all_rules():
        res = runner.invoke(app, ["explain", rule.id.lower()])
        assert res.exit_code == 0, (rule.id, res.output)
        assert res.output.startswith(f"# {rule.id} ") and "## Examples" in res.output
