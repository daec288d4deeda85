"""End-to-end ``verify``: a correct migration matches; wrong migrations are caught."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "harness"
LEGACY = DATA / "legacy_train.py"
MODERN = DATA / "modern_train.py"


def cli_prefix() -> list[str]:
    main = ROOT / "torchmigrate" / "__main__.py"
    cli = ROOT / "torchmigrate" / "cli.py"
    if main.exists() and cli.exists() and "verify_command" in cli.read_text():
        return [sys.executable, "-m", "torchmigrate"]
    return [sys.executable, "-m", "torchmigrate.harness.commands"]


def verify(*args: str, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*cli_prefix(), "verify", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**__import__("os").environ, "COLUMNS": "200"},
    )


def test_correct_migration_matches_with_args_after_dashdash(tmp_path):
    report = tmp_path / "r.json"
    out = verify(LEGACY, MODERN, "--report", report, "--", "--epochs", "1", "--batches", "3")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "match" in out.stdout
    data = json.loads(report.read_text())
    assert data["verdict"] == "match" and len(data["steps"]) == 3
    assert {g["name"] for g in data["steps"][0]["grads"]} >= {"Net.fc1.weight", "Net.aux.bias"}


def test_manual_sgd_and_legacy_function_match():
    out = verify(DATA / "legacy_manual.py", DATA / "modern_manual.py", "--steps", "4")
    assert out.returncode == 0, out.stdout + out.stderr


MUTATIONS = {
    "reduction": ('reduction="mean"', 'reduction="sum"', "step 1: loss differs"),
    "no_grad": (
        "h = F.relu(self.fc1(x))",
        "with torch.no_grad():\n            h = F.relu(self.fc1(x))",
        "gradient of Net.fc1.",
    ),
    "arange": ("torch.arange(1, 3,", "torch.arange(1, 2,", "step 1: loss differs"),
    "softmax_dim": ("dim=1)", "dim=0)", "step 1: loss differs"),
    "item": ("weights[0]", "weights.item()", "crash: the new script failed"),
    "set_to_none": (
        "zero_grad(set_to_none=False)",
        "zero_grad(set_to_none=True)",
        "step 2: parameter Net.aux.",
    ),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_wrong_migration_is_caught(name, tmp_path):
    old, new, expected = MUTATIONS[name]
    text = MODERN.read_text()
    assert old in text
    mutated = tmp_path / "mutated.py"
    mutated.write_text(text.replace(old, new))
    report = tmp_path / "r.json"
    out = verify(LEGACY, mutated, "--report", report, "--", "--epochs", "1")
    assert out.returncode == 1, out.stdout + out.stderr
    assert expected in out.stdout.replace("\n", " "), out.stdout
    data = json.loads(report.read_text())
    assert data["verdict"] in ("diverged", "crash")


def test_missing_script_is_usage_error(tmp_path):
    out = verify(tmp_path / "nope.py", MODERN)
    assert out.returncode == 2
    assert "no such script" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_never_calls_backward():
    out = verify(DATA / "no_backward.py", DATA / "no_backward.py")
    assert out.returncode == 1
    assert "nothing to compare" in out.stdout


def test_hang_times_out():
    out = verify(DATA / "hang.py", DATA / "hang.py", "--timeout", "4")
    assert out.returncode == 1
    assert "timeout" in out.stdout


def test_crash_on_one_side_names_the_side():
    out = verify(LEGACY, DATA / "crash_modern.py", "--", "--epochs", "1")
    assert out.returncode == 1
    assert "crash: the new script failed" in out.stdout.replace("\n", " ")
    assert "deliberate failure in the new script" in out.stdout


def test_user_tree_is_not_written(tmp_path):
    d = tmp_path / "proj"
    d.mkdir()
    for f in ("legacy_manual.py", "modern_manual.py"):
        shutil.copy(DATA / f, d / f)
    (d / "modern_manual.py").write_text(
        (d / "modern_manual.py").read_text() + "\nopen('written.txt', 'w').write('x')\n"
    )
    out = verify(d / "legacy_manual.py", d / "modern_manual.py", "--steps", "9")
    assert out.returncode == 0, out.stdout
    assert sorted(p.name for p in d.iterdir()) == ["legacy_manual.py", "modern_manual.py"]
