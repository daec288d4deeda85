"""Issue 11's "done when" cases that are not whole-run or containment tests."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.harness.helpers import ROOT, flat, report, tiny, tm, verify

torch = pytest.importorskip("torch")

DATA = ROOT / "tests" / "data" / "harness"

SHARED_MISTAKE = """\
import torch
import torch.nn as nn
from torch.autograd import Variable
torch.manual_seed(0)
net = nn.Linear(4, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
weights = {weights}
x = torch.randn(4, 4)
for step in range(3):
    opt.zero_grad()
    loss = (net(Variable(x)).view(-1) * Variable(weights)).sum()
    loss.backward()
    opt.step()
"""


def test_a_truncating_division_rewrite_fails_verify(tmp_path):
    # 0.3: torch.arange returned floats, so arange(0, 4) / 4 was [0, .25, .5, .75];
    # a rewrite to truncating division (all zeros) must not "match"
    old = tmp_path / "old.py"
    new = tmp_path / "new.py"
    old.write_text(SHARED_MISTAKE.format(weights="torch.arange(0, 4) / 4"))
    new.write_text(
        SHARED_MISTAKE.format(weights="torch.div(torch.arange(0, 4), 4, rounding_mode='trunc')")
    )
    out = verify(old, new)
    assert out.returncode == 1
    assert "diverged at step 1" in flat(out) or "crash" in flat(out)
    # ... and the division rule leaves the ambiguous expression for a person
    chk = tm("check", "--unsafe-fixes", "--output-format", "full", old)
    assert "TM203 [manual]" in chk.stdout and "FloatTensor" in chk.stdout


def test_lbfgs_closure_records_nonzero_gradients_at_step_1(tmp_path):
    from torchmigrate.harness.portable.tm_recorder import Recorder
    from torchmigrate.harness.tracefile import StepFile, read_steps

    rec = Recorder(str(tmp_path), window=2)
    rec.install()
    try:
        torch.manual_seed(0)
        w = torch.nn.Linear(3, 1)
        opt = torch.optim.LBFGS(w.parameters(), max_iter=4)
        x, y = torch.randn(8, 3), torch.randn(8, 1)

        def closure():
            opt.zero_grad()
            loss = ((w(x) - y) ** 2).mean()
            loss.backward()
            return loss

        for _ in range(2):
            opt.step(closure)
        rec.finish()
    finally:
        rec.uninstall()
        rec.close()
    step = StepFile(tmp_path / "step-000001.bin")
    grad = step.load(step.tensors[("grad", "Linear.weight")])
    assert float(grad.abs().sum()) > 0
    assert read_steps(tmp_path)[0]["nb"] >= 2  # every closure evaluation counted


def test_two_level_updir_data_layout_verifies(tmp_path):
    # repo/data/train.csv read from repo/src/models/train.py as '../../data/train.csv'
    # (no project marker: the '../' literals tell how far up to copy)
    repo = tmp_path / "repo"
    (repo / "data").mkdir(parents=True)
    (repo / "src" / "models").mkdir(parents=True)
    rows = "\n".join(",".join(str((i * 7 + j) % 5) for j in range(5)) for i in range(16))
    (repo / "data" / "train.csv").write_text(rows + "\n")
    script = (
        tiny(4)
        .replace("x = torch.randn(16, 4)\ny = torch.randn(16, 2)\n", "")
        .replace("nn.Linear(4, 2)", "nn.Linear(4, 1)")
    )
    loader = (
        "import numpy as np\n"
        "arr = np.loadtxt('../../data/train.csv', delimiter=',', dtype=np.float32)\n"
        "x, y = torch.from_numpy(arr[:, :4]), torch.from_numpy(arr[:, 4:])\n"
    )
    script = script.replace("torch.manual_seed(0)\n", "torch.manual_seed(0)\n" + loader)
    (repo / "src" / "models" / "train.py").write_text(script)
    t = repo / "src" / "models" / "train.py"
    out = verify(t, t)
    assert out.returncode == 0, out.stdout + out.stderr


def test_torchvision_mnist_verifies_with_synthetic_data():
    out = verify(
        DATA / "tv" / "legacy_mnist.py", DATA / "tv" / "modern_mnist.py", "--synthetic-data"
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "match" in flat(out)
    # without it, there is no torchvision (and no network): a clear crash, no hang
    out = verify(DATA / "tv" / "legacy_mnist.py", DATA / "tv" / "modern_mnist.py")
    assert out.returncode == 1 and "torchvision" in flat(out)


def test_synthetic_data_is_deterministic_and_shaped_like_the_real_sets(tmp_path):
    code = (
        "import sys, tm_synthetic\n"
        "tm_synthetic.install(samples=32)\n"
        "import torch\n"
        "from torchvision import datasets, transforms\n"
        "m = datasets.MNIST('../data', train=True, download=True, transform=transforms.ToTensor())\n"
        "c = datasets.CIFAR100('x', train=False, download=True)\n"
        "s = datasets.SVHN('x', split='test')\n"
        "img, t = m[3]\n"
        "print(len(m), tuple(img.shape), img.dtype, type(t).__name__, len(m.classes))\n"
        "print(len(c), c.data.shape, len(c.classes), max(c.targets) < 100)\n"
        "print(s.data.shape, int(m.train_labels.sum()))\n"
        "print(len(open('data/ptb.train.txt').read().split()) > 1000)\n"
    )
    from torchmigrate.harness.runner import SYNTHETIC_DIR

    env = {"PYTHONPATH": SYNTHETIC_DIR}
    runs = [
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**__import__("os").environ, **env},
            timeout=120,
        )
        for _ in range(2)
    ]
    assert runs[0].returncode == 0, runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
    lines = runs[0].stdout.splitlines()
    assert lines[0] == "32 (1, 28, 28) torch.float32 int 10"
    assert lines[1] == "16 (16, 32, 32, 3) 100 True"
    assert lines[2].startswith("(16, 3, 32, 32)")
    assert lines[3] == "True"


def test_upgrade_verify_backs_out_a_fix_that_breaks_training(tmp_path):
    # TM006 (unsafe) turns the backpropagated accumulator `loss += crit(...)` into
    # `loss += crit(...).item()`; the migrated script crashes at loss.backward()
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(DATA / "heal" / "train.py", repo / "train.py")
    r = tmp_path / "report.json"
    out = tm(
        "upgrade",
        "--unsafe-fixes",
        "--verify",
        repo / "train.py",
        repo,
        "--report",
        r,
        "--format",
        "json",
    )
    assert out.returncode == 0, out.stdout + out.stderr
    text = (repo / "train.py").read_text()
    assert "loss += crit(model(x[:, t]), y[:, t])\n" in text  # backed out
    assert "total += loss.item()" in text  # the other fixes stay
    assert "zero_grad(set_to_none=False)" in text
    err = flat(out)
    assert "fix backed out by upgrade --verify" in err
    assert "'float' object has no attribute 'backward'" in err
    data = report(r)
    assert data["verification"]["verdict"] == "match"
    (finding,) = [f for f in data["files"][0]["findings"] if f["rule"] == "TM006"]
    assert finding["safety"] == "manual" and "crashed at" in finding["message"]
    assert all(f["rule"] != "TM006" for f in data["files"][0]["fixes"])


def test_upgrade_verify_entry_points_from_pyproject(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "train.py").write_text(
        "import sys\n" + tiny(3).replace("range(3)", "range(int(sys.argv[1]))")
    )
    (repo / "pyproject.toml").write_text(
        '[tool.torchmigrate.verify]\nentry-points = [{script = "train.py", args = ["4"]}]\n'
    )
    out = tm("upgrade", "--diff", "--verify", repo, repo)
    assert out.returncode == 1, out.stdout + out.stderr  # --diff: changes are pending
    assert "match: 3 step(s) identical" in flat(out)
    assert "4 step(s) in the whole run" in flat(out)


def test_run_and_upgrade_verify_take_synthetic_data(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(DATA / "tv" / "legacy_mnist.py", repo / "train.py")
    out = tm("run", "--legacy", "--synthetic-data", repo / "train.py")
    assert out.returncode == 0, out.stderr
    assert "Test set: Average loss" in out.stdout
    out = tm("upgrade", "--unsafe-fixes", "--verify", repo / "train.py", "--synthetic-data", repo)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "match" in flat(out) and "loss.item()" in (repo / "train.py").read_text()


def test_budget_stops_both_sides_at_the_same_step(tmp_path):
    d = tmp_path / "p"
    d.mkdir()
    slow = tiny(3000, "    import time; time.sleep(0.005)")
    (d / "s.py").write_text(slow)
    r = tmp_path / "r.json"
    out = verify(d / "s.py", d / "s.py", "--budget", "4", "--report", r)
    assert out.returncode == 0, out.stdout
    data = report(r)
    assert data["old"]["stop_reason"] == data["new"]["stop_reason"] == "budget"
    assert data["old"]["steps"] == data["new"]["steps"] == data["budget_stop"] < 3000
