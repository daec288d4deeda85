"""User-written rules (issue 14 §9): a real rule file written only against the
documented API (Bowler's Query + torchmigrate.user_rules) migrates a sample
repo's own legacy helpers end to end: rules/explain, check exit codes,
--diff, SARIF, safety classes, suppressions, parallel workers, configuration
and an installed plugin (entry point)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import tm

pytest.importorskip("bowler")

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE = DATA / "user_rules"


@pytest.fixture
def work(tmp_path):
    shutil.copytree(SAMPLE, tmp_path / "w")
    return tmp_path / "w"


def _run_script(repo: Path) -> str:
    r = subprocess.run(
        [sys.executable, "train.py"], cwd=repo, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_rule_file_migrates_the_repos_own_helpers_end_to_end(work):
    legacy_output = _run_script(work / "repo")
    # listed and explained like the built-in rules
    r = tm("rules", "--rules-from", "team_rules.py", cwd=work)
    assert "user rules (2 rules)" in r.stdout and "to-np-helper" in r.stdout
    r = tm("rules", "--json", "--rules-from", "team_rules.py", cwd=work)
    x001 = [x for x in json.loads(r.stdout) if x["id"] == "X001"][0]
    assert x001["family"] == "user" and x001["safety"] == "safe"
    r = tm("explain", "X001", "--rules-from", "team_rules.py", cwd=work)
    assert r.stdout.startswith("# X001 to-np-helper") and "team_rules.py" in r.stdout
    assert "y = loss.detach().cpu().numpy()" in r.stdout
    # check: the helpers' call sites, exit 1
    r = tm("check", "-q", "--rules-from", "team_rules.py", "--select", "X", "repo", cwd=work)
    assert r.returncode == 1
    assert {ln.split()[1] for ln in r.stdout.splitlines()} == {"X001", "X002"}
    assert "repo/train.py:17:25: X001 [fixable] `to_np(x)` is our legacy helper" in r.stdout
    # --diff: only the safe rule's rewrite, on stdout; the unsafe one is reported
    r = tm("upgrade", "--diff", "--rules-from", "team_rules.py", "repo", cwd=work)
    assert r.returncode == 1
    assert "+    losses.append(float(loss.detach().cpu().numpy()))" in r.stdout
    assert "to_device" not in r.stdout
    assert "X002 [unsafe]" in r.stderr
    # SARIF carries the user rules' metadata
    r = tm(
        "check", "-q", "--rules-from", "team_rules.py", "--output-format", "sarif", "repo", cwd=work
    )
    run = json.loads(r.stdout)["runs"][0]
    ids = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    assert {"X001", "X002"} <= ids
    assert any(res["ruleId"] == "X002" and res["level"] == "warning" for res in run["results"])
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((DATA / "sarif" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(json.loads(r.stdout), schema)
    # upgrade with the unsafe rule too, in two worker processes
    r = tm(
        "upgrade",
        "--unsafe-fixes",
        "--jobs",
        "2",
        "--rules-from",
        "team_rules.py",
        "repo",
        cwd=work,
    )
    assert r.returncode == 0, r.stderr
    train = (work / "repo" / "train.py").read_text()
    utils = (work / "repo" / "utils.py").read_text()
    assert "to_var" not in train + utils and "from utils import to_np, to_device" in train
    assert "def to_device(x):" in utils and "Variable" not in utils
    assert 'print("first row", model.weight.detach().cpu().numpy()[0])' in train
    assert _run_script(work / "repo") == legacy_output  # same numbers
    r = tm("check", "-q", "--rules-from", "team_rules.py", "--select", "X", "repo", cwd=work)
    assert r.returncode == 0 and r.stdout == ""


def test_safety_class_and_suppressions_apply_to_user_rules(work):
    train = work / "repo" / "train.py"
    src = train.read_text().replace(
        'print("first row", to_np(model.weight)[0])',
        'print("first row", to_np(model.weight)[0])  # noqa: X001',
    )
    train.write_text(src)
    r = tm("upgrade", "--rules-from", "team_rules.py", "--select", "X", "repo", cwd=work)
    assert r.returncode == 0, r.stderr
    out = train.read_text()
    assert "to_var(" in out  # X002 is unsafe: not applied without --unsafe-fixes
    assert "losses.append(float(loss.detach().cpu().numpy()))" in out
    assert "to_np(model.weight)[0])  # noqa: X001" in out  # suppressed


def test_rule_examples_hold():
    """The sample file's examples, run through the engine like built-in ones."""
    from torchmigrate import user_rules
    from torchmigrate.engine import migrate

    rules = user_rules.load_file(str(SAMPLE / "team_rules.py"))
    assert [r.id for r in rules] == ["X001", "X002"]
    for rule in rules:
        for ex in rule.examples:
            res = migrate(ex.before, [rule], unsafe_fixes=True)
            assert res.new == ex.expected, (rule.id, ex.before)
            assert migrate(res.new, [rule], unsafe_fixes=True).new == res.new  # idempotent


def test_configuration_and_an_installed_plugin(tmp_path, work):
    (work / "pyproject.toml").write_text('[tool.torchmigrate]\nrules-from = ["team_rules.py"]\n')
    r = tm("check", "-q", "--select", "X001", "repo", cwd=work)
    assert r.returncode == 1 and "X001" in r.stdout
    # a package exposing rules through the `torchmigrate.rules` entry point group
    site = tmp_path / "site"
    (site / "labrules-1.0.dist-info").mkdir(parents=True)
    (site / "labrules-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: labrules\nVersion: 1.0\n"
    )
    (site / "labrules-1.0.dist-info" / "entry_points.txt").write_text(
        "[torchmigrate.rules]\nlab = labrules:RULES\n"
    )
    (site / "labrules.py").write_text(
        "from bowler import Query\n"
        "from torchmigrate.user_rules import user_rule\n"
        "RULES = [user_rule(id='LAB001', name='old-logger', summary='our old logger',\n"
        "    query=Query().select_function('log_scalar').rename('log_metric'), safety='safe')]\n"
    )
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "m.py").write_text("from lab import log_scalar\nlog_scalar('loss', 1.0)\n")
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH", "")]))
    env = dict(os.environ, PYTHONPATH=path, COLUMNS="200")
    r = subprocess.run(
        [sys.executable, "-m", "torchmigrate", "upgrade", "m.py"],
        cwd=plain,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert (plain / "m.py").read_text() == "from lab import log_metric\nlog_metric('loss', 1.0)\n"
    r = subprocess.run(
        [sys.executable, "-m", "torchmigrate", "rules", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    (lab,) = [x for x in json.loads(r.stdout) if x["id"] == "LAB001"]
    assert lab["origin"] == "entry point lab = labrules:RULES"


@pytest.mark.parametrize(
    "body,message",
    [
        ("RULES = [\n    1/0,\n]\n", "bad.py:2: ZeroDivisionError"),
        ("def broken(:\n", "bad.py:1:"),
        (
            "from bowler import Query\nfrom torchmigrate.user_rules import user_rule\n"
            "RULES = [user_rule(id='TM999', name='x', summary='s', query=Query().select_function('f'))]\n",
            "the TM prefix is reserved",
        ),
        ("X = 1\n", "bad.py: defines no RULES"),
    ],
)
def test_bad_rule_files_are_usage_errors_naming_the_file(tmp_path, body, message):
    (tmp_path / "bad.py").write_text(body)
    (tmp_path / "m.py").write_text("x = 1\n")
    r = tm("check", "--rules-from", "bad.py", "m.py", cwd=tmp_path)
    assert r.returncode == 2
    assert message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
