"""Fleet mode and reviewable output: notebooks, many repos, resume, reports,
configuration, git-awareness and interactive review — all through the real CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.cli.test_cli import LEGACY, MODERN, tm
from tests.cli.test_review import drive

DATA = Path(__file__).resolve().parents[1] / "data"


def _nb(cells, nbformat=4):
    if nbformat == 4:
        doc = {
            "cells": cells,
            "metadata": {
                "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    else:
        doc = {
            "metadata": {"name": "old"},
            "nbformat": 3,
            "nbformat_minor": 0,
            "worksheets": [{"cells": cells, "metadata": {}}],
        }
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _code(src, key="source", **extra):
    cell = {
        "cell_type": "code",
        "execution_count": 3,
        "id": "c0ffee00",
        "metadata": {"scrolled": True},
        "outputs": [{"name": "stdout", "output_type": "stream", "text": ["loss 0.5\n"]}],
        key: src,
    }
    cell.update(extra)
    return cell


NB_SRC = [
    "%matplotlib inline\n",
    "import torch\n",
    "!pip list | grep torch\n",
    "torch.nn.utils.clip_grad_norm(model.parameters(), 5)  # clip\n",
    "files = !ls\n",
    "x.mean?",
]


def test_notebook_only_source_lines_change(tmp_path):
    nb = tmp_path / "exp.ipynb"
    raw = _nb(
        [
            _code(NB_SRC),
            {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": ["# clip_grad_norm("]},
        ]
    )
    nb.write_text(raw, encoding="utf-8")
    r = tm("upgrade", nb)
    assert r.returncode == 0, r.stderr
    new = nb.read_text(encoding="utf-8")
    diff = [(a, b) for a, b in zip(raw.splitlines(), new.splitlines()) if a != b]
    assert len(raw.splitlines()) == len(new.splitlines())
    assert diff == [
        (
            '    "torch.nn.utils.clip_grad_norm(model.parameters(), 5)  # clip\\n",',
            '    "torch.nn.utils.clip_grad_norm_(model.parameters(), 5)  # clip\\n",',
        )
    ]
    # a second run changes nothing, byte for byte
    r = tm("upgrade", nb)
    assert nb.read_text(encoding="utf-8") == new


def test_notebook_findings_point_at_cells_and_v3_works(tmp_path):
    nb = tmp_path / "old.ipynb"
    nb.write_text(
        _nb([_code(["import torch\n"], key="input"), _code(NB_SRC, key="input")], nbformat=3)
    )
    r = tm("check", nb)
    assert r.returncode == 1
    assert f"{nb}:cell 2:4:" in r.stdout, r.stdout


def test_notebook_with_magics_and_nothing_to_change_is_untouched(tmp_path):
    nb = tmp_path / "clean.ipynb"
    raw = _nb(
        [
            _code(["%%time\n", "clip_grad_norm(x)\n"]),
            _code(["%load_ext autoreload\n", "import torch\n"]),
        ]
    )
    nb.write_text(raw)
    st = nb.stat()
    r = tm("upgrade", nb)
    assert r.returncode == 0, r.stderr
    assert nb.read_text() == raw and nb.stat().st_mtime_ns == st.st_mtime_ns


def _three_repos(base: Path):
    repos = []
    for name in ("alpha", "beta", "gamma"):
        repo = base / name
        (repo / "src").mkdir(parents=True)
        (repo / "src" / "train.py").write_text(LEGACY)
        repos.append(repo)
    (base / "beta" / "src" / "broken.py").write_text(
        "import torch\ntorch.nn.utils.clip_grad_norm(p)\nif :\n"
    )
    (base / "gamma" / "nb.ipynb").write_text(_nb([_code(NB_SRC)]))
    return repos


def test_three_repos_summary_resume_and_a_broken_file(tmp_path):
    repos = _three_repos(tmp_path / "fleet")
    listing = tmp_path / "repos.txt"
    listing.write_text("\n".join(str(r) for r in repos[:2]) + "\n")
    summary = tmp_path / "summary.md"
    # "interrupted" run: only the first two repos were processed
    r = tm("upgrade", "--resume", "--from-file", listing, "--summary", summary, cwd=tmp_path)
    assert r.returncode == 1  # beta has a broken file
    assert (repos[0] / "src" / "train.py").read_text() == MODERN
    assert (repos[1] / "src" / "train.py").read_text() == MODERN  # the repo's other files went on
    state = json.loads((tmp_path / ".torchmigrate-state.json").read_text())
    assert state["done"] == [str(repos[0])]  # beta failed: not marked done
    # resumed run over all three: alpha is skipped, beta retried, gamma done
    (repos[0] / "src" / "train.py").write_text(LEGACY)  # would change if not skipped
    r = tm(
        "upgrade",
        "--resume",
        *repos,
        "--summary",
        summary,
        "--format",
        "json",
        "--report",
        tmp_path / "r.json",
        cwd=tmp_path,
    )
    assert (repos[0] / "src" / "train.py").read_text() == LEGACY
    assert (repos[2] / "src" / "train.py").read_text() == MODERN
    assert "clip_grad_norm_(" in (repos[2] / "nb.ipynb").read_text()
    md = summary.read_text()
    assert "| repo | files | changed |" in md
    assert "skipped (done in a previous run)" in md
    assert str(repos[1]) in md and "## Failures" in md and "broken.py:3" in md
    doc = json.loads((tmp_path / "r.json").read_text())
    assert {f["repo"] for f in doc["files"]} == {str(repos[1]), str(repos[2])}


def test_sarif_validates_against_the_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    repos = _three_repos(tmp_path / "fleet")
    out = tmp_path / "out.sarif"
    r = tm("check", *repos, "--format", "sarif", "--report", out)
    assert r.returncode == 1
    doc = json.loads(out.read_text())
    schema = json.loads((DATA / "sarif" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(doc, schema)
    run = doc["runs"][0]
    ids = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    assert "TM105" in ids
    results = run["results"]
    assert results and all(res["ruleId"] in ids for res in results)
    assert any(
        res["locations"][0]["physicalLocation"]["region"]["startLine"] == 5 for res in results
    )
    assert run["invocations"][0]["executionSuccessful"] is False  # the broken file


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_dirty_files_are_refused_unless_allowed(tmp_path):
    repo = tmp_path / "g"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    (repo / "a.py").write_text(LEGACY)
    (repo / "b.py").write_text(LEGACY)
    _git(repo, "add", "a.py", "b.py")
    _git(repo, "commit", "-qm", "init")
    (repo / "b.py").write_text(LEGACY + "# local edit\n")
    r = tm("upgrade", repo)
    assert r.returncode == 2
    assert "uncommitted changes" in r.stderr and "b.py" in r.stderr and "a.py" not in r.stderr
    assert (repo / "a.py").read_text() == LEGACY  # nothing written at all
    r = tm("upgrade", "--allow-dirty", repo)
    assert r.returncode == 0, r.stderr
    assert (repo / "b.py").read_text() == MODERN + "# local edit\n"
    r = tm("upgrade", "--diff", repo)  # dry runs never refuse
    assert r.returncode == 0


def test_pyproject_configuration_and_flag_precedence(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.torchmigrate]\nignore = ["TM105"]\nexclude = ["skip/*"]\n'
    )
    (tmp_path / "m.py").write_text(LEGACY)
    (tmp_path / "skip").mkdir()
    (tmp_path / "skip" / "s.py").write_text(LEGACY)
    r = tm("check", tmp_path, cwd=tmp_path)
    assert r.returncode == 0, r.stdout
    r = tm(
        "check", "--ignore", "TM104", tmp_path, cwd=tmp_path
    )  # the flag replaces the config value
    assert r.returncode == 1 and "m.py" in r.stdout and "s.py" not in r.stdout
    (tmp_path / "pyproject.toml").write_text("[tool.torchmigrate]\nbogus = 1\n")
    r = tm("check", tmp_path, cwd=tmp_path)
    assert r.returncode == 2 and "bogus" in r.stderr


def test_interactive_review_through_a_pty(tmp_path):
    src = (
        "import torch\n"
        "import torch.nn.functional as F\n"
        "torch.nn.utils.clip_grad_norm(a, 1)\n"
        "\n\n\n\n\n\n"
        "y = F.sigmoid(x)\n"
        "\n\n\n\n\n\n"
        "torch.nn.utils.clip_grad_norm(b, 1)\n"
        "\n\n\n\n\n\n"
        "torch.nn.utils.clip_grad_norm(c, 1)\n"
    )
    f = tmp_path / "i.py"
    f.write_text(src)
    # hunk 1 (TM105): accept; hunk 2 (TM108): reject; hunk 3 (TM105): accept every TM105 hunk from now on
    code, output, left = drive(["upgrade", "--interactive", f], ["y", "n", "r"], tmp_path)
    assert code == 0, output
    assert left == []
    assert output.count("[q]uit") == 3  # the 4th hunk (TM105) was accepted without asking
    got = f.read_text().splitlines()
    assert got[2] == "torch.nn.utils.clip_grad_norm_(a, 1)"
    assert got[9] == "y = F.sigmoid(x)"
    assert got[16] == "torch.nn.utils.clip_grad_norm_(b, 1)"
    assert got[23] == "torch.nn.utils.clip_grad_norm_(c, 1)"


def test_interactive_quit_keeps_what_was_accepted(tmp_path):
    a = tmp_path / "a.py"
    b = tmp_path / "b.py"
    a.write_text(LEGACY)
    b.write_text(LEGACY)
    code, output, _ = drive(
        ["upgrade", "--interactive", "--jobs", "1", tmp_path], ["y", "q"], tmp_path
    )
    assert code == 0, output
    assert a.read_text() == MODERN
    assert b.read_text() == LEGACY
