"""TM013: creator / previous_functions / reinforce."""

from __future__ import annotations

import pytest

from codemods import all_rules, get_rule
from torchmigrate.engine import migrate

RULE = get_rule("TM013")


def test_unknown_receiver_reported_not_applied():
    src = "def f(v):\n    return v.creator\n"
    res = migrate(src, [RULE])
    assert res.new == src
    assert [f.safety for f in res.findings] == ["unsafe"]


def test_store_to_creator_is_not_touched():
    src = "import torch\nx = torch.zeros(2)\nrecord.creator = 'me'\n"
    res = migrate(src, [RULE], unsafe_fixes=True)
    assert res.new == src and not res.findings


def test_variable_receiver_and_python2():
    src = (
        "from torch.autograd import Variable\nprint 'walk'\nv = Variable(x)\n"
        "fn = v.creator\nprev = fn.previous_functions\n"
    )
    out = migrate(src, [RULE], unsafe_fixes=True).new
    assert "fn = v.grad_fn\n" in out
    assert "prev = fn.next_functions\n" in out


def test_reinforce_on_own_method_is_silent():
    src = "class Agent:\n    def reinforce(self, r):\n        pass\nagent.reinforce(1.0)\n"
    res = migrate(src, [RULE])
    assert res.new == src and not res.findings


def test_renamed_attributes_exist_on_213():
    torch = pytest.importorskip("torch")
    x = torch.ones(2, requires_grad=True)
    y = (x * 2).sum()
    out = migrate(
        "fn = y.creator\nnxt = y.creator.previous_functions\n", [RULE], unsafe_fixes=True
    ).new
    env = {"y": y}
    exec(out, env)
    assert env["fn"] is y.grad_fn and env["nxt"] == y.grad_fn.next_functions


def test_all_rules_together():
    src = "loss = criterion(out, y)\nloss.backward()\nprint(loss.creator)\n"
    res = migrate(src, all_rules(), unsafe_fixes=True)
    assert not res.errors and "loss.grad_fn" in res.new
