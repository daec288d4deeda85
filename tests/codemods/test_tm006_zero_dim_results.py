"""TM006: .item() at accumulation / dict-key / json sites."""

from __future__ import annotations

import pytest

from codemods import all_rules, get_rule
from torchmigrate.engine import migrate

RULE = get_rule("TM006")


def run(src, unsafe=True):
    return migrate(src, [RULE], unsafe_fixes=unsafe)


def test_reported_not_applied_without_unsafe_fixes():
    src = "correct = 0\npred = out.data.max(1)[1]\ncorrect += pred.eq(y).sum()\n"
    res = run(src, unsafe=False)
    assert res.new == src
    assert [f.safety for f in res.findings] == ["unsafe"]
    assert "0-dim tensor" in res.findings[0].message


def test_criterion_loss_and_comparison_mean():
    src = (
        "import torch.nn as nn\ncriterion = nn.CrossEntropyLoss()\ntest_loss = 0\nacc = 0.0\n"
        "test_loss += criterion(out, y)\nacc += (out.data.max(1)[1] == y).float().mean()\n"
    )
    out = run(src).new
    assert "test_loss += criterion(out, y).item()\n" in out
    assert "acc += (out.data.max(1)[1] == y).float().mean().item()\n" in out


def test_elementwise_losses_and_unknown_accumulators_are_left_alone():
    src = (
        "import torch.nn as nn\nimport torch.nn.functional as F\ncrit = nn.MSELoss(reduce=False)\n"
        "a = 0\na += crit(out, y)\nb = 0\nb += F.nll_loss(out, y, reduction='none')\n"
        "self.total += out.data.sum()\nstats['n'] += out.data.sum()\n"
    )
    res = run(src)
    assert res.new == src and not res.findings


def test_comments_are_kept():
    src = "correct = 0\ncorrect += out.data.eq(y).sum()  # count hits\n"
    assert run(src).new == "correct = 0\ncorrect += out.data.eq(y).sum().item()  # count hits\n"


def test_python2_file():
    src = "correct = 0\ncorrect += out.data.eq(y).cpu().sum()\nprint 'acc', correct\n"
    assert (
        run(src).new
        == "correct = 0\ncorrect += out.data.eq(y).cpu().sum().item()\nprint 'acc', correct\n"
    )


def test_accuracy_value_matches_legacy_meaning():
    torch = pytest.importorskip("torch")
    pred = torch.tensor([1, 2, 3, 4])
    target = torch.tensor([1, 0, 3, 0])
    # 0.3 meaning: sum() of a tensor returned a Python int
    legacy_correct = int(sum(int(a == b) for a, b in zip(pred.tolist(), target.tolist())))
    correct = 0
    correct += pred.eq(target).sum().item()
    assert isinstance(correct, int) and correct == legacy_correct
    assert "%.2f" % (100.0 * correct / 4) == "%.2f" % (100.0 * legacy_correct / 4)


def test_all_rules_together():
    src = (
        "correct = 0\nfor data, target in loader:\n    output = model(data)\n"
        "    pred = output.data.max(1)[1]\n    correct += pred.eq(target.data).cpu().sum()\n"
    )
    res = migrate(src, all_rules(), unsafe_fixes=True)
    assert not res.errors
    assert ".sum().item()" in res.new
    assert migrate(res.new, all_rules(), unsafe_fixes=True).new == res.new


def test_count_assignment_python2_and_tuple_return():
    src = (
        "def run(out, y):\n    pred = out.data.max(1)[1]\n    correct = pred.eq(y).sum()\n"
        "    print 'acc', correct\n    return correct, len(y)\n"
    )
    out = run(src).new
    assert "    correct = pred.eq(y).sum().item()\n" in out


def test_differentiable_sum_assignment_is_not_touched():
    src = "total = out.data.sum()\nloss = (out * w).sum()\nloss.backward()\n"
    res = run(src)
    assert res.new == src and not res.findings
