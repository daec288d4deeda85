"""The corpus is the project's proof: legacy programs, their expected
migrations, and the guarantees between them."""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from codemods import all_rules
from torchmigrate.engine import migrate

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
# A program is a script (``x.py``), a notebook (``x.ipynb``) or a directory
# (``x/``: a package-shaped repo whose entry point is ``train.py``).
PROGRAMS = sorted(
    p.name + "/" if p.is_dir() else p.name
    for p in (CORPUS / "legacy").iterdir()
    if p.suffix in (".py", ".ipynb") or (p.is_dir() and not p.name.startswith(("_", ".")))
)
ENTRY = "train.py"


def program_files(base: Path, name: str) -> list:
    """Relative paths of the files of a program (``x.py`` or ``x/...``)."""
    if name.endswith("/"):
        d = base / name
        return sorted(
            str(p.relative_to(base))
            for p in d.rglob("*")
            if p.is_file() and p.suffix in (".py", ".ipynb")
        )
    return [name]


def program_of(rel: str) -> str:
    """The program a corpus-relative path belongs to."""
    head, sep, _ = rel.partition("/")
    return head + "/" if sep else head

# The legacy-idiom warnings of torch 2.13, turned into errors for the modern programs.
WARNINGS_AS_ERRORS = [
    "error::DeprecationWarning",
    "error::FutureWarning",
    "error:volatile:UserWarning",
    "error:size_average:UserWarning",
    "error:Implicit dimension:UserWarning",
    "error:`nn.functional.upsample:UserWarning",
    "error:torch.range:UserWarning",
    "error:indexing with dtype torch.uint8:UserWarning",
    "error:Detected call of:UserWarning",
    "error:This overload of:UserWarning",
    "error:torch.meshgrid:UserWarning",
    "error:torch.utils.checkpoint:UserWarning",
    "error:torch.set_default_tensor_type:UserWarning",
    "error:To get the last learning rate:UserWarning",
]


def tm(*args, cwd=None):
    env = dict(os.environ, COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "torchmigrate", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
    )


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """One real CLI run over the whole legacy corpus, as the README does it."""
    dest = tmp_path_factory.mktemp("migrated")
    r = tm(
        "upgrade",
        "--unsafe-fixes",
        "--out",
        dest,
        "--report",
        dest / "report.json",
        "--format",
        "json",
        CORPUS / "legacy",
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return dest


def test_at_least_twenty_pairs():
    assert len(PROGRAMS) >= 20
    assert any(n.endswith("/") for n in PROGRAMS) and any(n.endswith(".ipynb") for n in PROGRAMS)
    for name in PROGRAMS:
        assert program_files(CORPUS / "legacy", name) == program_files(CORPUS / "modern", name)


@pytest.mark.parametrize("name", PROGRAMS)
def test_upgrade_gives_the_expected_program(migrated, name):
    assert program_files(migrated, name) == program_files(CORPUS / "modern", name)
    for rel in program_files(CORPUS / "modern", name):
        got = (migrated / rel).read_bytes().decode("utf-8")
        want = (CORPUS / "modern" / rel).read_bytes().decode("utf-8")
        if got != want:
            diff = "".join(
                difflib.unified_diff(
                    want.splitlines(keepends=True),
                    got.splitlines(keepends=True),
                    f"expected/{rel}",
                    f"got/{rel}",
                )
            )
            pytest.fail(f"upgrade of corpus/legacy/{rel} differs from corpus/modern:\n{diff}")


@pytest.mark.parametrize("name", PROGRAMS)
def test_upgrade_is_idempotent_on_modern(name):
    if name.endswith(".py"):
        text = (CORPUS / "modern" / name).read_text()
        res = migrate(text, all_rules(), unsafe_fixes=True)
        assert not res.errors, res.errors
        assert res.new == text, "".join(
            difflib.unified_diff(text.splitlines(True), res.new.splitlines(True), "modern", "again")
        )
        return
    # notebooks and packages: with the project model, as the CLI runs them
    from torchmigrate.project import run_project

    base = CORPUS / "modern" / name
    items = [
        (CORPUS / "modern" / rel, str(base), str(CORPUS / "modern" / rel))
        for rel in program_files(CORPUS / "modern", name)
    ]
    outcomes = run_project(items, tuple(r.id for r in all_rules()), True, 1)
    for o in outcomes:
        assert not o.errors, o.errors
        assert o.status == "unchanged", "".join(
            difflib.unified_diff(o.old.splitlines(True), o.new.splitlines(True), o.path, "again")
        )


def _documented_manual_findings() -> dict:
    """program -> sorted rule ids, from the table in corpus/README.md."""
    out = {}
    text = (CORPUS / "README.md").read_text()
    for line in text.splitlines():
        m = re.match(r"\|\s*`?(\w+(?:\.py|\.ipynb|/))`?\s*\|([^|]*)\|([^|]*)\|", line)
        if m:
            left = re.findall(r"TM\d{3}", m.group(3))
            out[m.group(1)] = sorted(left)
    return out


def test_check_on_modern_reports_only_documented_manual_findings(tmp_path):
    report = tmp_path / "check.json"
    r = tm("check", "--unsafe-fixes", "--format", "json", "--report", report, CORPUS / "modern")
    doc = json.loads(report.read_text())
    found: dict = {}
    for f in doc["files"]:
        name = program_of(str(Path(f["path"]).resolve().relative_to(CORPUS / "modern")))
        assert not f["fixes"], f"{name}: fixable sites left in corpus/modern: {f['fixes']}"
        assert not f["errors"], f["errors"]
        for item in f["findings"]:
            assert item["safety"] == "manual", f"{name}: {item}"
            found.setdefault(name, []).append(item["rule"])
    documented = _documented_manual_findings()
    assert set(documented) == set(PROGRAMS), "corpus/README.md must have one row per program"
    for name in PROGRAMS:
        assert sorted(found.get(name, [])) == documented[name], name
    assert r.returncode == (1 if found else 0)


@pytest.mark.parametrize("name", PROGRAMS)
def test_modern_program_runs_without_legacy_warnings(name, tmp_path):
    cmd = [sys.executable]
    for w in WARNINGS_AS_ERRORS:
        cmd += ["-W", w]
    if name.endswith("/"):
        cmd.append(str(CORPUS / "modern" / name / ENTRY))
    elif name.endswith(".ipynb"):
        # the code cells in order, IPython-only lines inert (as a kernel would skip them)
        from tests.project.names import python_of

        nb = CORPUS / "modern" / name
        script = tmp_path / "notebook_cells.py"
        script.write_text(python_of(nb, nb.read_text(encoding="utf-8")))
        cmd.append(str(script))
    else:
        cmd.append(str(CORPUS / "modern" / name))
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]


def test_every_rule_is_exercised_by_the_corpus(migrated):
    doc = json.loads((migrated / "report.json").read_text())
    seen = {f["rule"] for file in doc["files"] for f in file["fixes"] + file["findings"]}
    # A rule that only checks the finished output for code that still does not
    # compile (TM300) fires exactly when a migrated program cannot run, which
    # a corpus pair must always do; tests/engine/test_invariants.py covers it.
    missing = sorted(r.id for r in all_rules() if r.id not in seen and r.post_check is None)
    assert not missing, f"rules exercised by no corpus program: {missing}"


def test_summary_shows_every_family(migrated):
    doc = json.loads((migrated / "report.json").read_text())
    families = {rule[:3] for rule in doc["summary"]["fixes"]}
    assert families >= {"TM0", "TM1", "TM2", "TM3"}, families


def _program_texts(base: Path) -> dict:
    from tests.project.names import read_tree

    return read_tree(base)


def test_every_output_compiles_and_defines_every_name_the_input_did():
    """Over the whole corpus (scripts, packages, notebooks), project-wide:
    every migrated program compiles, and no name is undefined in the output
    that was defined in the input (star imports resolved by the project
    model; Python 2 inputs, which pyflakes cannot read, must have none)."""
    from tests.project.names import compiles, python_of, undefined_names

    legacy = _program_texts(CORPUS / "legacy")
    modern = _program_texts(CORPUS / "modern")
    before = undefined_names(legacy)
    after = undefined_names(modern)
    bad = []
    for path, text in modern.items():
        rel = Path(path).relative_to(CORPUS / "modern")
        if not compiles(python_of(Path(path), text)):
            bad.append(f"{rel}: does not compile")
            continue
        was = before.get(str(CORPUS / "legacy" / rel))
        new = after[path] - (was or set())
        if new:
            bad.append(f"{rel}: undefined after the upgrade: {sorted(new)}")
    assert not bad, "\n".join(bad)
