"""TM010: async= keyword."""

from __future__ import annotations

import ast

import pytest

from codemods import all_rules, get_rule
from torchmigrate.engine import migrate

RULE = get_rule("TM010")


def test_file_unparsable_by_python_becomes_parsable():
    src = "import torch\nx = torch.zeros(2)\ny = x.cpu(async=True)\nz = x.to('cpu', async=True)\n"
    with pytest.raises(SyntaxError):
        ast.parse(src)
    out = migrate(src, [RULE]).new
    ast.parse(out)
    assert "y = x.cpu(non_blocking=True)" in out and "z = x.to('cpu', non_blocking=True)" in out


def test_python2_file_with_comments_and_line_breaks():
    src = "print 'go'\nx = x.cuda(device,\n           async=True)  # overlap copies\n"
    out = migrate(src, [RULE]).new
    assert (
        out == "print 'go'\nx = x.cuda(device,\n           non_blocking=True)  # overlap copies\n"
    )


def test_async_variable_is_manual():
    src = "async = True\nx = x.cuda(async=async)\n"
    res = migrate(src, [RULE])
    assert res.new == "async = True\nx = x.cuda(non_blocking=async)\n"
    assert [f.safety for f in res.findings] == ["manual", "manual"]


def test_migrated_call_runs_on_213():
    torch = pytest.importorskip("torch")
    x = torch.zeros(2)
    out = migrate("y = x.type(torch.DoubleTensor, async=True)\n", [RULE]).new
    env = {"torch": torch, "x": x}
    exec(out, env)
    assert env["y"].dtype == torch.float64


def test_all_rules_together():
    src = "print 'a'\nfor x, y in loader:\n    x = x.cuda(async=True)\n"
    res = migrate(src, all_rules(), unsafe_fixes=True)
    assert not res.errors
    assert "async" not in res.new
