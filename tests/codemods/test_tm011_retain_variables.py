"""TM011: retain_variables -> retain_graph."""

from __future__ import annotations

import pytest

from codemods import all_rules, get_rule
from torchmigrate.engine import migrate

RULE = get_rule("TM011")


def test_multiline_call_and_comment():
    src = "loss.backward(\n    retain_variables=True,  # two heads\n)\n"
    assert migrate(src, [RULE]).new == "loss.backward(\n    retain_graph=True,  # two heads\n)\n"


def test_aliased_autograd_module():
    src = "from torch import autograd as ag\nag.backward([a, b], retain_variables=True)\n"
    assert (
        migrate(src, [RULE]).new
        == "from torch import autograd as ag\nag.backward([a, b], retain_graph=True)\n"
    )


def test_other_keywords_untouched():
    src = "model.backward(retain_variable=True)\nf(retain_variables=True)\n"
    res = migrate(src, [RULE])
    assert res.new == src and not res.findings


def test_migrated_code_runs_twice_through_the_graph():
    torch = pytest.importorskip("torch")
    out = migrate("loss.backward(retain_variables=True)\nloss.backward()\n", [RULE]).new
    w = torch.ones(2, requires_grad=True)
    loss = (w * w).sum()
    exec(out, {"loss": loss})
    assert torch.equal(w.grad, torch.full((2,), 4.0))


def test_all_rules_together():
    src = "print 'x'\nloss.backward(retain_variables=True)\n"
    res = migrate(src, all_rules(), unsafe_fixes=True)
    assert not res.errors and "retain_graph=True" in res.new
