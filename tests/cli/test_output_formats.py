"""Machine and human output (issue 14 §2, §3, §6): --output-format to stdout,
--report files, --diff that prints only the diff, --exit-zero, concise/full
messages, --statistics, --show-source, SARIF and GitHub annotations."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import tm

DATA = Path(__file__).resolve().parents[1] / "data"

# a safe fix (TM105), three unsafe sites of one rule (TM208) and a manual one (TM101-free)
SRC = """import torch
import torch.nn as nn

model = nn.Linear(3, 1)
torch.nn.utils.clip_grad_norm(model.parameters(), 5)
a = torch.load("a.pt")
b = torch.load("b.pt")
c = torch.load("c.pt")
nets = [a.eval(), b.eval(), c.eval()]  # pickled modules: TM208 adds weights_only=False
"""
LONG_TM208 = "UnpicklingError"  # a phrase of TM208's full reasoning, not of its short text


@pytest.fixture
def proj(tmp_path):
    (tmp_path / "train.py").write_text(SRC)
    return tmp_path


def _nb(cells):
    doc = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
                "id": f"c{i}",
                "metadata": {},
                "outputs": [],
                "source": src,
            }
            for i, src in enumerate(cells)
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(doc, indent=1) + "\n"


def test_concise_by_default_full_on_request(proj):
    r = tm("check", "-q", "train.py", cwd=proj)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert len(lines) == 4, r.stdout  # one line per finding
    tm208 = [ln for ln in lines if " TM208 " in ln]
    assert len(tm208) == 3
    assert tm208[0].startswith("train.py:6:5: TM208 [unsafe] `torch.load` defaults to weights_only")
    assert 'suggested: `torch.load("a.pt", weights_only=False)`' in tm208[0]
    assert LONG_TM208 not in r.stdout  # the long reasoning is not repeated per site
    assert all(len(ln) < 160 for ln in lines)
    full = tm("check", "-q", "--output-format", "full", "train.py", cwd=proj)
    assert full.returncode == 1
    assert full.stdout.count(LONG_TM208) == 3
    assert '6 | a = torch.load("a.pt")' in full.stdout
    assert "  |     ^ TM208" in full.stdout  # caret under column 5
    assert '= suggested: torch.load("a.pt", weights_only=False)' in full.stdout
    # explain carries the long reasoning too
    assert LONG_TM208 in tm("explain", "TM208").stdout


def test_statistics_and_show_source(proj):
    r = tm("check", "-q", "--statistics", "train.py", cwd=proj)
    assert r.returncode == 1
    rows = [ln.split() for ln in r.stdout.splitlines()]
    assert rows[0][:2] == ["3", "TM208"] and rows[1][:2] == ["1", "TM105"]
    assert "torch-load-weights-only" in r.stdout and "1 fixable" in r.stdout
    r = tm("check", "-q", "--statistics", "--output-format", "json", "train.py", cwd=proj)
    stats = json.loads(r.stdout)
    assert stats[0] == {
        "code": "TM208",
        "name": "torch-load-weights-only",
        "count": 3,
        "fixable": 0,
    }
    r = tm("check", "-q", "--show-source", "--select", "TM105", "train.py", cwd=proj)
    assert r.stdout.splitlines()[1:] == [
        "  |",
        "5 | torch.nn.utils.clip_grad_norm(model.parameters(), 5)",
        "  |                ^",
    ]


def test_output_format_to_stdout_and_reports_by_extension(proj):
    r = tm("check", "-q", "--output-format", "json", "train.py", cwd=proj)
    doc = json.loads(r.stdout)  # stdout is exactly one JSON document
    (f,) = doc["files"]
    by_rule = {x["rule"]: x for x in f["fixes"] + f["findings"]}
    assert by_rule["TM208"]["short"].startswith("`torch.load` defaults")
    assert LONG_TM208 in by_rule["TM208"]["message"]
    r = tm(
        "check",
        "-q",
        "--report",
        "out/r.sarif",
        "--report",
        "out/r.json",
        "--report",
        "out/r.md",
        "--report",
        "out/r.txt",
        "--report",
        "out/plain",
        "--output-format",
        "github",
        "train.py",
        cwd=proj,
    )
    assert r.returncode == 1
    assert r.stdout.startswith("::error file=train.py,line=5,col=16,")  # stdout: github
    assert json.loads((proj / "out/r.sarif").read_text())["version"] == "2.1.0"
    assert json.loads((proj / "out/r.json").read_text())["tool"] == "torchmigrate"
    assert (proj / "out/r.md").read_text().startswith("# torchmigrate check summary")
    txt = (proj / "out/r.txt").read_text().splitlines()
    assert txt[0].startswith("train.py:5:16: TM105 [fixable]") and txt[-1].startswith("1 files:")
    assert (proj / "out/plain").read_text().startswith("::error")  # no extension: --output-format
    # --report - is stdout, not a file named "-"
    r = tm("check", "-q", "--report", "-", "--output-format", "sarif", "train.py", cwd=proj)
    assert json.loads(r.stdout)["runs"][0]["results"]
    assert not (proj / "-").exists()


def test_diff_prints_only_the_diff_and_exits_1_when_changes_are_pending(proj):
    subprocess.run(["git", "init", "-q"], cwd=proj, check=True)
    before = (proj / "train.py").read_text()
    r = tm("upgrade", "--diff", "train.py", cwd=proj)
    assert r.returncode == 1
    assert r.stdout.startswith("--- a/train.py\n+++ b/train.py\n@@ ")
    for line in r.stdout.splitlines():
        assert line[:1] in ("-", "+", " ", "@"), line
    assert "TM208" not in r.stdout and "TM208 [unsafe]" in r.stderr  # findings on stderr
    (proj / "p.diff").write_text(r.stdout)
    chk = subprocess.run(["git", "apply", "--check", "p.diff"], cwd=proj, capture_output=True)
    assert chk.returncode == 0, chk.stderr
    assert (proj / "train.py").read_text() == before
    assert tm("upgrade", "--diff", "--exit-zero", "train.py", cwd=proj).returncode == 0
    # nothing pending: exit 0 and an empty stdout
    (proj / "clean.py").write_text("import torch\n")
    r = tm("upgrade", "--diff", "clean.py", cwd=proj)
    assert r.returncode == 0 and r.stdout == ""
    # machine formats cannot share stdout with the diff
    r = tm("upgrade", "--diff", "--output-format", "json", "train.py", cwd=proj)
    assert r.returncode == 2 and "--report FILE" in r.stderr


def test_exit_zero_and_failures(proj):
    assert tm("check", "-q", "--exit-zero", "train.py", cwd=proj).returncode == 0
    (proj / "bad.py").write_text("import torch\ntorch.nn.utils.clip_grad_norm(p, 1)\ndef f(:\n")
    r = tm("check", "-q", "--exit-zero", ".", cwd=proj)
    assert r.returncode == 1  # a file that could not be processed is not a finding
    assert "bad.py:3: cannot parse" in r.stderr


def test_deprecated_format_flag_still_works(proj):
    r = tm("check", "-q", "--format", "json", "train.py", cwd=proj)
    assert json.loads(r.stdout)["command"] == "check"
    assert "--format is deprecated" in r.stderr
    r = tm("check", "-q", "--format", "sarif", "--report", "r.out", "train.py", cwd=proj)
    assert json.loads((proj / "r.out").read_text())["version"] == "2.1.0"


def _json_line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(needle)


def test_sarif_locations_notebook_uris_and_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "src" / "train.py").write_text(SRC)
    nb = repo / "src" / "exp.ipynb"
    nb.write_text(
        _nb(
            [
                ["import torch\n"],
                ["x = 1\n", "ckpt = torch.load('m.pt')\n", "y = 2\n"],
            ]
        )
    )
    outside = tmp_path / "elsewhere.py"
    outside.write_text(SRC)
    r = tm(
        "check", "-q", "--output-format", "sarif", ".", str(outside), cwd=repo / "src"
    )  # run from a subdirectory: URIs are still relative to the repo root
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    schema = json.loads((DATA / "sarif" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(doc, schema)
    run = doc["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert rules["TM208"]["help"]["markdown"].startswith("# TM208 torch-load-weights-only")
    results = run["results"]
    locs = [
        (res["ruleId"], res["locations"][0]["physicalLocation"]["artifactLocation"])
        for res in results
    ]
    assert ("TM105", {"uri": "src/train.py", "uriBaseId": "%SRCROOT%"}) in locs
    assert ("TM105", {"uri": outside.resolve().as_uri()}) in locs
    (nb_res,) = [
        res
        for res in results
        if res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/exp.ipynb"
    ]
    region = nb_res["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == _json_line_of(nb, "ckpt = torch.load('m.pt')")
    assert region["snippet"]["text"] == "ckpt = torch.load('m.pt')"
    assert nb_res["locations"][0]["logicalLocations"][0]["name"] == "cell 2"
    assert nb_res["properties"]["cell"] == 2 and nb_res["properties"]["cellLine"] == 2


def test_github_annotations_for_files_and_notebooks(tmp_path):
    (tmp_path / "train.py").write_text(SRC)
    nb = tmp_path / "exp.ipynb"
    nb.write_text(_nb([["import torch\n", "\n", "ckpt = torch.load('m.pt')\n", "ckpt.eval()\n"]]))
    r = tm("check", "-q", "--output-format", "github", ".", cwd=tmp_path)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert all(ln.startswith("::error ") for ln in lines)
    assert any(
        ln.startswith("::error file=train.py,line=6,col=5,title=torchmigrate TM208 [unsafe]::")
        for ln in lines
    ), lines
    jl = _json_line_of(nb, "ckpt = torch.load")
    (nbl,) = [ln for ln in lines if "exp.ipynb" in ln]
    assert f"file=exp.ipynb,line={jl}," in nbl and "::cell 1, line 3: " in nbl
    assert re.search(r"title=torchmigrate TM208 \[unsafe\]::", nbl)


def test_every_rule_has_a_one_line_short_message():
    from codemods import all_rules

    for rule in all_rules():
        assert rule.short, rule.id
        assert "\n" not in rule.short and len(rule.short) <= 90, rule.id


def test_short_message_of_a_backed_out_fix_says_so():
    from codemods import get_rule
    from torchmigrate.report import short_message

    rule = get_rule("TM003")
    f = {
        "rule": "TM003",
        "message": "`x.data[0]` indexes ... " * 10
        + "[backed out: the target of an assignment would become a call]",
    }
    assert short_message(f, rule) == (
        rule.short + " [not applied: backed out: the target of an assignment would become a call]"
    )
    f = {"rule": "TM105", "message": "`clip_grad_norm` is deprecated"}
    assert short_message(f, get_rule("TM105")) == "`clip_grad_norm` is deprecated"


def test_many_findings_print_one_line_each_in_order(tmp_path):
    # the text output is printed in batches of 500 entries: nothing is lost,
    # doubled or glued together at a batch's edge, with or without colour
    n = 1203
    lines = ["import torch"] + [f'm{i} = torch.load("m{i}.pt")' for i in range(n)]
    (tmp_path / "many.py").write_text("\n".join(lines) + "\n")
    for env_color in (False, True):
        args = ["check", "--quiet", tmp_path / "many.py"]
        if env_color:
            r = subprocess.run(
                [sys.executable, "-m", "torchmigrate", *map(str, args)],
                capture_output=True,
                text=True,
                env={**os.environ, "COLUMNS": "200", "FORCE_COLOR": "1"},
                timeout=300,
            )
            assert "\x1b[" in r.stdout
            out = re.sub(r"\x1b\[[0-9;]*m", "", r.stdout)
        else:
            out = tm(*args).stdout
        rows = [row for row in out.splitlines() if "TM208" in row]
        assert [int(row.split(":")[1]) for row in rows] == list(range(2, n + 2))


def _rich_text_output(entries: list, console_kwargs: dict) -> str:
    import io

    from rich.console import Console
    from rich.text import Text

    buf = io.StringIO()
    console = Console(file=buf, highlight=False, soft_wrap=True, **console_kwargs)
    batch = Text()
    for k, entry in enumerate(entries):
        if k:
            batch.append("\n")
        batch.append(entry, style="magenta" if k % 2 else None)
    console.print(batch)
    return buf.getvalue()


@pytest.mark.parametrize("width", [20, 80])
def test_plain_findings_writer_matches_rich_byte_for_byte(width):
    # the findings are written without rich where rich would render the same
    # bytes (no colour); whatever rich would change (control codes, tabs,
    # whitespace at a line's end) goes through rich
    import io

    from hypothesis import given, settings
    from hypothesis import strategies as st
    from rich.console import Console

    from torchmigrate.cli import _write_plain

    alphabet = st.sampled_from(
        list("ab :[]/`=.")
        + ["\n", "\t", "\r", "\x07", "\x0b", "\x1b", "\u00a0", "\u200b"]
        + ["\u3000", "界", "e\u0301", "\U0001f600", "[bold]", ":smile:", "  "]
    )
    entries = st.lists(st.lists(alphabet, max_size=40).map("".join), min_size=1, max_size=6)

    @settings(max_examples=400, deadline=None)
    @given(entries)
    def check(items):
        buf = io.StringIO()
        console = Console(file=buf, highlight=False, soft_wrap=True, width=width)
        wrote = _write_plain(console, items)
        expected = _rich_text_output(items, {"width": width})
        if wrote:
            assert buf.getvalue() == expected
        else:
            assert buf.getvalue() == ""

    check()
    # plain text of the usual shape does take the fast path
    buf = io.StringIO()
    usual = ["a.py:3:1: TM208 [unsafe] `torch.load` ... (suggested: `x`)"] * 3
    assert _write_plain(Console(file=buf, highlight=False, soft_wrap=True, width=width), usual)
    assert buf.getvalue() == _rich_text_output(usual, {"width": width})
    # colour goes through rich
    coloured = Console(
        file=io.StringIO(), soft_wrap=True, force_terminal=True, color_system="standard"
    )
    assert not _write_plain(coloured, usual)


def test_fill_short_gives_each_finding_its_own_short_message():
    # (shortened once per distinct message: the memo must not mix findings)
    import copy

    from codemods import all_rules
    from torchmigrate.report import FileOutcome, RunReport, fill_short, short_message

    long = "`x.data[0]` indexes a 0-dim tensor " * 5
    dicts = [
        {"rule": "TM003", "message": long},
        {"rule": "TM003", "message": long + "[backed out: it broke the file]"},
        {"rule": "TM004", "message": long},
        {"rule": "TM003", "message": "short one"},
        {"rule": "TM003", "message": long, "short": "given by the rule"},
        {"rule": "TM999", "message": long},
    ]
    outcomes = [
        FileOutcome(path=f"f{i}.py", repo=".", status="changed", fixes=copy.deepcopy(dicts))
        for i in range(2)
    ] + [FileOutcome(path="g.py", repo=".", status="unchanged", findings=copy.deepcopy(dicts))]
    rules = all_rules()
    fill_short(RunReport("upgrade", outcomes, wrote=False), rules)
    by_id = {r.id: r for r in rules}
    want = [short_message(f, by_id.get(f["rule"])) for f in dicts]
    assert len(set(want)) == len(want)
    for o in outcomes:
        assert [f["short"] for f in o.fixes + o.findings] == want
