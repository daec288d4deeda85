"""The typical 2017 MNIST script, migrated with every rule running together.

The default run must give a correct diff (safe fixes only, the rest
reported); with --unsafe-fixes the result must run on torch 2.13 on synthetic
data without deprecation warnings from the pre-0.4 idioms.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import codemods
from torchmigrate.engine import migrate, parses

LEGACY = textwrap.dedent(
    """\
    from __future__ import print_function
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.autograd import Variable
    from torch.utils.data import TensorDataset, DataLoader

    torch.manual_seed(0)
    images = torch.randn(64, 1, 28, 28)
    labels = (torch.rand(64) * 10).long()
    train_loader = DataLoader(TensorDataset(images, labels), batch_size=16, shuffle=True)
    test_loader = DataLoader(TensorDataset(images, labels), batch_size=32)


    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
            self.fc1 = nn.Linear(1440, 10)

        def forward(self, x):
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = x.view(-1, 1440)
            return F.log_softmax(self.fc1(x), dim=1)


    model = Net()
    lr = 0.01


    def train(epoch):
        model.train()
        total = 0
        for batch_idx, (data, target) in enumerate(train_loader):
            data, target = Variable(data), Variable(target)
            model.zero_grad()
            output = model(data)
            loss = F.nll_loss(output, target)
            loss.backward()
            for p in model.parameters():
                p.data.add_(-lr, p.grad.data)
            total += loss.data[0]
        print('epoch', epoch, 'loss %.4f' % (total / len(train_loader)))


    def test():
        model.eval()
        test_loss = 0
        correct = 0
        for data, target in test_loader:
            data, target = Variable(data, volatile=True), Variable(target)
            output = model(data)
            test_loss += F.nll_loss(output, target, size_average=False).data[0]
            pred = output.data.max(1)[1]
            correct += pred.eq(target.data).cpu().sum()
        print('test loss %.4f, correct %d' % (test_loss / len(test_loader.dataset), correct))


    for epoch in range(2):
        train(epoch)
        test()
    """
)

MINE = ("TM001", "TM002", "TM003", "TM004", "TM007")


def _all_rules():
    # every registered rule; a rule that fails to import should fail its own tests
    return codemods.all_rules()


def test_default_run_gives_the_safe_diff():
    res = migrate(LEGACY, _all_rules())
    assert not res.errors, res.errors
    new = res.new
    assert parses(new)
    # TM001: batches unwrapped, self-assignments deleted, import dropped
    assert "Variable" not in new
    assert "data, target = data, target" not in new
    # TM002: the eval function is decorated
    assert "@torch.no_grad()\ndef test():" in new
    # TM003: scalar losses
    assert "total += loss.item()" in new
    assert ".item()" in new.split("test_loss +=")[1].split("\n")[0]
    # TM004: model output detached, plain batch unwrapped
    assert "pred = output.detach().max(1)[1]" in new
    assert "pred.eq(target)" in new
    # the in-place SGD step is unsafe: reported, not applied
    assert "p.data.add_(" in new or "p.data.add_(p.grad.data" in new
    left = {(f.rule, f.safety) for f in res.findings}
    assert ("TM004", "unsafe") in left


def test_unsafe_run_composes_with_tm005():
    res = migrate(LEGACY, _all_rules(), unsafe_fixes=True)
    assert not res.errors, res.errors
    new = res.new
    assert "with torch.no_grad():\n                p.add_(" in new
    assert ".data." not in new and ".data)" not in new and ".data[" not in new
    # idempotent with everything on
    again = migrate(new, _all_rules(), unsafe_fixes=True)
    assert again.new == new


@pytest.mark.parametrize("unsafe", [False, True], ids=["default", "unsafe"])
def test_migrated_script_runs_without_legacy_warnings(tmp_path, unsafe):
    res = migrate(LEGACY, _all_rules(), unsafe_fixes=unsafe)
    script = tmp_path / "mnist.py"
    script.write_text(res.new)
    env = dict(os.environ, PYTHONWARNINGS="default")
    proc = subprocess.run(
        [sys.executable, "-W", "default", str(script)],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "test loss" in proc.stdout
    legacy = ("volatile", "Variable", "This overload of add_", "invalid index of a 0-dim")
    if unsafe:
        for text in legacy:
            assert text not in proc.stderr, proc.stderr
    else:
        # only the unapplied unsafe site may still warn (TM005's overload)
        assert "volatile" not in proc.stderr
