"""Configuration (issue 14 §5) and suppression comments (§4), through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.cli.test_cli import LEGACY, MODERN, tm

# TM105 (safe) on line 5 and TM108 (safe) on line 6
TWO = LEGACY + "y = torch.nn.functional.sigmoid(x)\n"


def _cfg(root: Path, body: str) -> None:
    (root / "pyproject.toml").write_text("[tool.torchmigrate]\n" + body)


def _rules_in(stdout: str) -> set:
    return {line.split()[1] for line in stdout.splitlines() if line.strip()}


def test_select_as_a_string_and_rule_names(tmp_path):
    (tmp_path / "m.py").write_text(TWO)
    _cfg(tmp_path, 'select = "TM1"\nignore = "functional-sigmoid-tanh"\n')
    r = tm("check", "-q", ".", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert _rules_in(r.stdout) == {"TM105"}
    # --ignore replaces the configured ignore, as --select replaces select
    r = tm(
        "check",
        "-q",
        "--select",
        "functional-sigmoid-tanh,TM2",
        "--ignore",
        "TM3",
        ".",
        cwd=tmp_path,
    )
    assert _rules_in(r.stdout) == {"TM108"}
    r = tm("explain", "clip-grad-norm")
    assert r.returncode == 0 and r.stdout.startswith("# TM105 clip-grad-norm")
    _cfg(tmp_path, "select = 3\n")
    r = tm("check", ".", cwd=tmp_path)
    assert r.returncode == 2
    assert "pyproject.toml: [tool.torchmigrate] select must be a string or a list" in r.stderr
    _cfg(tmp_path, 'select = ["TM0", "nonsense-rule"]\n')
    r = tm("check", ".", cwd=tmp_path)
    assert r.returncode == 2 and "nonsense-rule" in r.stderr


def test_per_file_ignores_exclude_extend_exclude_and_force_exclude(tmp_path):
    for rel in ("src/a.py", "tests/t.py", "gen/g.py", "third_party/x.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(TWO)
    _cfg(
        tmp_path,
        'exclude = ["third_party"]\nextend-exclude = ["gen/*"]\n'
        '[tool.torchmigrate.per-file-ignores]\n"tests/*" = ["TM105"]\n',
    )
    r = tm("check", "-q", ".", cwd=tmp_path)
    got = {(ln.split(":")[0], ln.split()[1]) for ln in r.stdout.splitlines()}
    assert got == {
        ("src/a.py", "TM105"),
        ("src/a.py", "TM108"),
        ("tests/t.py", "TM108"),
    }, r.stdout
    # --exclude replaces the configured exclude; extend-exclude still applies
    r = tm("check", "-q", "--exclude", "src", ".", cwd=tmp_path)
    files = {ln.split(":")[0] for ln in r.stdout.splitlines()}
    assert files == {"tests/t.py", "third_party/x.py"}
    # a file named on the command line is processed unless --force-exclude
    r = tm("check", "-q", "third_party/x.py", cwd=tmp_path)
    assert r.returncode == 1
    r = tm("check", "-q", "--force-exclude", "third_party/x.py", "gen/g.py", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == ""
    _cfg(tmp_path, 'exclude = ["third_party"]\nforce-exclude = true\n')
    assert tm("check", "-q", "third_party/x.py", cwd=tmp_path).returncode == 0


def test_config_is_read_with_tomli_when_tomllib_is_missing(tmp_path):
    """Python 3.9/3.10 have no tomllib: the `tomli` dependency reads the file."""
    (tmp_path / "m.py").write_text(TWO)
    _cfg(tmp_path, 'ignore = ["TM1"]\n')
    code = (
        "import sys\n"
        "class NoTomllib:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'tomllib':\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, NoTomllib())\n"
        "from torchmigrate.cli import main\n"
        "main(['check', '-q', '.'])\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stdout + r.stderr  # TM1 ignored: nothing left


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_dirty_tree_is_refused_before_any_processing(tmp_path):
    """Proof that no file was processed: a user rule's filter records every
    file it is asked about, and the record stays empty."""
    repo = tmp_path / "g"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    (repo / "a.py").write_text(LEGACY + "f(1)\n")
    (repo / "b.py").write_text(LEGACY)
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "init")
    (repo / "b.py").write_text(LEGACY + "# local edit\n")  # dirty
    marker = tmp_path / "visited.txt"
    rules = tmp_path / "spy.py"
    rules.write_text(
        "from bowler import Query\n"
        "from torchmigrate.user_rules import user_rule\n"
        f"MARK = {str(marker)!r}\n"
        "def spy(node, capture, filename):\n"
        "    open(MARK, 'a').write(filename + '\\n')\n"
        "    return False\n"
        "RULES = [user_rule(id='X900', name='spy', summary='spy', query="
        "Query().select_function('f').filter(spy))]\n"
    )
    r = tm("upgrade", "--rules-from", rules, ".", cwd=repo)
    assert r.returncode == 2
    assert "uncommitted changes" in r.stderr and "b.py" in r.stderr
    assert not marker.exists(), marker.read_text()
    assert (repo / "a.py").read_text() == LEGACY + "f(1)\n"
    r = tm("upgrade", "--allow-dirty", "--rules-from", rules, ".", cwd=repo)
    assert r.returncode == 0, r.stderr
    assert marker.exists()  # now the files were processed
    assert (repo / "a.py").read_text() == MODERN + "f(1)\n"


# --------------------------------------------------------------------------
# suppressions
# --------------------------------------------------------------------------
def test_noqa_names_and_foreign_codes(tmp_path):
    f = tmp_path / "s.py"
    f.write_text(
        "import torch\n"
        "torch.nn.utils.clip_grad_norm(a, 1)  # noqa: TM105\n"
        "torch.nn.utils.clip_grad_norm(b, 1)  # noqa: E501, clip-grad-norm\n"
        "torch.nn.utils.clip_grad_norm(c, 1)  # noqa: E501\n"
        "torch.nn.utils.clip_grad_norm(d, 1)  # noqa\n"
        "torch.nn.utils.clip_grad_norm(e, 1)  # torchmigrate: ignore[clip-grad-norm]\n"
        "s = '# noqa: TM105'; torch.nn.utils.clip_grad_norm(g, 1)\n"
    )
    r = tm("upgrade", f)
    assert r.returncode == 0, r.stderr
    lines = f.read_text().splitlines()
    assert "clip_grad_norm(a" in lines[1] and "clip_grad_norm(b" in lines[2]
    assert "clip_grad_norm_(c" in lines[3]  # another tool's code
    assert "clip_grad_norm_(d" in lines[4]  # a bare noqa is flake8's, not ours
    assert "clip_grad_norm(e" in lines[5]
    assert "clip_grad_norm_(g" in lines[6]  # inside a string: not a comment


def test_skip_file(tmp_path):
    f = tmp_path / "s.py"
    src = "# torchmigrate: skip-file\n" + LEGACY
    f.write_text(src)
    g = tmp_path / "t.py"
    g.write_text(LEGACY + 'doc = """\n# torchmigrate: skip-file\n"""\n')
    r = tm("check", "-q", tmp_path)
    assert r.returncode == 1
    assert "s.py" not in r.stdout and "t.py:5:" in r.stdout
    r = tm("upgrade", tmp_path)
    assert f.read_text() == src
    assert g.read_text().startswith(MODERN)


def test_warn_suppressions_unknown_and_unused(tmp_path):
    f = tmp_path / "s.py"
    f.write_text(
        "import torch\n"
        "torch.nn.utils.clip_grad_norm(a, 1)  # noqa: TM105\n"  # used
        "x = 1  # torchmigrate: ignore[TM105]\n"  # unused
        "y = 2  # noqa: TM999, E501\n"  # unknown TM999, foreign E501
        "z = 3  # torchmigrate: ignore\n"  # unused (all rules)
        "w = torch.load(p)  # noqa: TM208, TM108\n"  # TM208 used, TM108 unused
        "v = 4  # noqa: TM201\n"  # TM201 not selected: not reported as unused
    )
    r = tm("check", "-q", "--ignore", "TM201", f)
    assert "warning" not in r.stderr  # behind the flag
    r = tm("check", "-q", "--ignore", "TM201", "--warn-suppressions", "--output-format", "json", f)
    warnings = r.stderr.splitlines()
    msgs = sorted(
        ln.split(": warning: ")[0].rsplit(":", 2)[1] + " " + ln.split(": warning: ")[1]
        for ln in warnings
        if ": warning: " in ln
    )
    assert msgs == [
        "3 unused suppression of TM105 (`# torchmigrate: ignore`)",
        "4 unknown rule 'TM999' in `# noqa` (see `torchmigrate rules`)",
        "5 unused suppression (`# torchmigrate: ignore` silenced nothing)",
        "6 unused suppression of TM108 (`# noqa`)",
    ], r.stderr
    doc = json.loads(r.stdout)
    assert len(doc["files"][0]["warnings"]) == 4
