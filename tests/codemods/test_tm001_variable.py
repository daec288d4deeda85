"""TM001 variable-wrap: resolution, classification, statement/import cleanup."""

from __future__ import annotations

import warnings

import pytest
import torch

from codemods import get_rule
from torchmigrate.engine import migrate

TM001 = [get_rule("TM001")]


def run(text, unsafe=False, rules=TM001):
    res = migrate(text, rules, unsafe_fixes=unsafe)
    assert not res.errors, res.errors
    return res


def left(res, rule="TM001"):
    return sorted(f.safety for f in res.findings if f.rule == rule)


@pytest.mark.parametrize(
    "imp, call",
    [
        ("from torch.autograd import Variable", "Variable"),
        ("import torch", "torch.autograd.Variable"),
        ("from torch import autograd", "autograd.Variable"),
        ("import torch.autograd as ag", "ag.Variable"),
        ("from torch.autograd import Variable as V", "V"),
        ("from torch.autograd.variable import Variable", "Variable"),
    ],
)
def test_resolved_through_imports(imp, call):
    src = f"{imp}\nfor x, y in loader:\n    out = model({call}(x))\n"
    new = run(src).new
    assert "model(x)" in new
    assert "Variable" not in new.replace(imp, "") or imp.startswith("import")


def test_local_variable_is_not_torchs():
    src = "def Variable(x):\n    return x\nfor x in loader:\n    y = Variable(x)\n"
    res = run(src)
    assert res.new == src and not res.findings


def test_shim_rebinding_is_left_alone():
    src = (
        "try:\n    from torch.autograd import Variable\nexcept ImportError:\n"
        "    Variable = lambda x: x\nfor x in loader:\n    y = Variable(x)\n"
    )
    assert run(src).new == src


def test_chained_and_nested_calls():
    src = (
        "from torch.autograd import Variable\nimport torch\n"
        "for x, y in loader:\n"
        "    a = Variable(x).cuda()\n"
        "    b = Variable(x.view(-1, 4) + 1).sum()\n"
        "    c = Variable(torch.randn(3)) * 2\n"
        "    d = -Variable(x + 1)\n"
    )
    new = run(src).new
    assert "a = x.cuda()" in new
    assert "b = (x.view(-1, 4) + 1).sum()" in new
    assert "c = torch.randn(3) * 2" in new
    assert "d = -(x + 1)" in new
    assert "Variable" not in new


def test_comments_are_kept():
    src = (
        "from torch.autograd import Variable  # legacy\n"
        "import torch\n"
        "for x, y in loader:\n"
        "    # wrap the batch\n"
        "    x = Variable(x)  # becomes a no-op\n"
        "    out = model(Variable(  # the input\n"
        "        y))\n"
    )
    new = run(src).new
    assert "# wrap the batch" in new
    assert "# the input" in new
    assert "x = x" not in new and "# becomes a no-op" not in new
    assert new.startswith("import torch\n")


def test_self_assignment_in_block_becomes_pass():
    src = (
        "from torch.autograd import Variable\n"
        "for x, y in loader:\n"
        "    if True:\n"
        "        x = Variable(x)\n"
        "    out = model(x)\n"
    )
    new = run(src).new
    assert "    if True:\n        pass\n" in new


def test_partial_tuple_is_not_deleted():
    src = (
        "from torch.autograd import Variable\n"
        "def f(y, loader):\n"
        "    for x, _ in loader:\n"
        "        x, y = Variable(x), Variable(y)\n"
    )
    res = run(src)
    assert "x, y = x, Variable(y)" in res.new
    assert left(res) == ["unsafe"]
    new = run(src, unsafe=True).new
    assert "x, y" not in new and "Variable" not in new


def test_import_kept_with_other_names():
    src = (
        "from torch.autograd import Variable, grad\n"
        "for x in loader:\n    g = grad(Variable(x).sum(), [x])\n"
    )
    new = run(src).new
    assert new.startswith("from torch.autograd import grad\n")


def test_requires_grad_forms():
    src = (
        "import torch\nfrom torch.autograd import Variable\n"
        "def f(t, flag):\n"
        "    a = Variable(t, requires_grad=True)\n"
        "    b = Variable(t, requires_grad=False)\n"
        "    c = Variable(t, requires_grad=flag)\n"
        "    d = Variable(torch.zeros(3).cuda(), requires_grad=True)\n"
        "    e = Variable(t.float(), requires_grad=True)\n"
    )
    res = run(src, unsafe=True)
    new = res.new
    assert "a = t.detach().requires_grad_()" in new
    assert "b = t\n" in new
    assert "c = t.detach().requires_grad_(flag)" in new
    assert "d = torch.zeros(3).cuda().requires_grad_()" in new
    # .float() may return t itself: never requires_grad_() on it directly
    assert "e = t.float().detach().requires_grad_()" in new
    safe = run(src)
    assert "a = t.detach().requires_grad_()" in safe.new
    assert "c = Variable(t, requires_grad=flag)" in safe.new


def test_unknown_argument_is_unsafe_with_message():
    src = "from torch.autograd import Variable\ndef f(h):\n    return Variable(h)\n"
    res = run(src)
    assert res.new == src
    (f,) = res.findings
    assert f.safety == "unsafe" and "h.detach()" in f.message


def test_volatile_is_left_to_tm002():
    src = (
        "from torch.autograd import Variable\n"
        "def f():\n    for x in loader:\n        y = Variable(x, volatile=True)\n"
    )
    res = run(src)
    assert res.new == src and not res.findings
    both = run(src, rules=[get_rule("TM001"), get_rule("TM002")])
    assert "Variable" not in both.new and "y = x" in both.new and "@torch.no_grad()" in both.new


def test_manual_uses():
    src = (
        "from torch.autograd import Variable\n"
        "from functools import partial\n"
        "wrap = partial(Variable, requires_grad=True)\n"
        "class MyVar(Variable):\n    pass\n"
        "ok = isinstance(x, Variable)\n"
        "v = Variable()\n"
    )
    res = run(src)
    assert res.new == src
    assert left(res) == ["manual", "manual", "manual"]


def test_python2_file():
    src = (
        "from torch.autograd import Variable\n"
        "for x, y in loader:\n"
        "    x = Variable(x)\n"
        "    print 'loss', model(x)\n"
    )
    res = run(src)
    assert res.py2
    assert res.new == "for x, y in loader:\n    print 'loss', model(x)\n"


def test_parameter_resolved_from_call_sites():
    src = (
        "from torch.autograd import Variable\nimport torch\n"
        "def step(batch):\n    return Variable(batch)\n"
        "step(torch.zeros(3))\nstep(torch.ones(2))\n"
    )
    assert "return batch" in run(src).new


def test_loop_over_parameters_is_not_plain():
    src = "from torch.autograd import Variable\nfor p in model.parameters():\n    q = Variable(p)\n"
    assert left(run(src)) == ["unsafe"]


def test_semantics_of_the_rewrites():
    """The rewrites equal what ``Variable`` does on 2.13."""
    from torch.autograd import Variable

    t = torch.randn(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        legacy = Variable(t, requires_grad=True)
    new = t.detach().requires_grad_()
    assert not t.requires_grad and legacy.requires_grad and new.requires_grad
    assert legacy.is_leaf and new.is_leaf
    assert legacy.data_ptr() == new.data_ptr() == t.data_ptr()
    (legacy * 2).sum().backward()
    (new * 2).sum().backward()
    assert torch.equal(legacy.grad, new.grad)
    # Variable(y) detaches a y that requires grad; h.detach() is the same
    h = torch.randn(2, requires_grad=True) * 3
    assert Variable(h).grad_fn is None and h.detach().grad_fn is None
    assert torch.equal(Variable(h.data), h.detach())


def test_dqn_observation_forms_migrate_to_the_same_values():
    """issue 10 item 12: ``torch.autograd.Variable(x).type(dtype)[:n] / 255.``"""
    pytest.importorskip("torch")
    from tests.codemods.legacy_exec import close, pair

    src = """
import numpy as np
import torch
import torch.autograd as autograd
from torch.autograd import Variable

dtype = torch.FloatTensor
obs = np.arange(24, dtype=np.uint8).reshape(4, 6) * 10
a = torch.autograd.Variable(torch.from_numpy(obs)).type(dtype)[:3] / 255.
b = autograd.Variable(torch.from_numpy(obs).type(dtype) / 255.0, volatile=True)
c = Variable(torch.from_numpy(obs)).type(dtype) / 255
RESULT = [a.data.tolist(), b.data.tolist(), c.data.tolist()]
"""
    legacy, modern, new = pair(src)
    assert "a = torch.from_numpy(obs).type(dtype)[:3] / 255." in new
    assert "c = torch.from_numpy(obs).type(dtype) / 255\n" in new
    for a, b in zip(legacy, modern):
        close(a, b)


# --------------------------------------------------------------------------
# issue 10 item 13: the layout around unwrapped and deleted statements
# --------------------------------------------------------------------------
def _all(src: str) -> str:
    from codemods import all_rules

    return migrate(src, all_rules(), unsafe_fixes=True).new


def test_self_assignments_are_deleted_with_comments_and_after_dot_data():
    src = (
        "import torch\nfrom torch.autograd import Variable\n"
        "def f(loader):\n    for x, y in loader:\n        print(x)\n        # wrap it\n"
        "        x = Variable(x)\n\n        print(x)\n    w = torch.randn(3)\n    w = w.data\n"
        "    return w\n"
    )
    out = _all(src)
    assert "x = x" not in out and "w = w" not in out
    assert "        print(x)\n        # wrap it\n\n        print(x)\n" in out


def test_a_deleted_first_statement_keeps_the_blank_line_below_it():
    src = (
        "from torch.autograd import Variable\n"
        "def g(loader):\n    for x, y in loader:\n        x = Variable(x)\n\n        print(x)\n"
    )
    assert _all(src) == "def g(loader):\n    for x, y in loader:\n\n        print(x)\n"


def test_continuation_lines_stay_aligned_with_their_bracket():
    src = (
        "import torch\nfrom torch.autograd import Variable\n"
        "def h(data):\n"
        "    a = Variable(torch.zeros(3,\n"
        "                             4))\n"
        "    b = foo(Variable(torch.zeros(3, 4)), bar(1,\n"
        "                                             2))\n"
        "    c = Variable(torch.zeros(\n"
        "        3, 4))\n"
        "    return a, b, c, data.data.view(3,\n"
        "                                   4)\n"
    )
    out = _all(src)
    assert "    a = torch.zeros(3,\n                    4)\n" in out
    assert "    b = foo(torch.zeros(3, 4), bar(1,\n                                   2))\n" in out
    assert "    c = torch.zeros(\n        3, 4)\n" in out  # a hanging indent stays
    line = "    return a, b, c, data.detach().view(3,"
    assert line + "\n" + " " * len(line.rstrip("3,")) + "4)\n" in out


def test_an_annotated_assignment_binds_the_name_in_its_function():
    """``data: T = model(x)`` makes ``data`` the function's own name: the
    module's plain ``data`` says nothing about it, so unwrapping
    ``Variable(data)`` is not safe (it was applied as safe when the
    annotated form was not read as a binding)."""
    src = (
        "import torch\n"
        "from torch.autograd import Variable\n"
        "\n"
        "data = torch.zeros(3)\n"
        "\n"
        "\n"
        "def f(model, x):\n"
        "    data: torch.Tensor = model(x)\n"
        "    return Variable(data)\n"
    )
    res = run(src)
    assert "return Variable(data)" in res.new
    assert left(res) == ["unsafe"]
    # bound to plain data with the annotation, the unwrap is safe as without it
    plain = src.replace("model(x)\n", "torch.ones(3)\n")
    res = run(plain)
    assert "return data" in res.new and left(res) == []


# ``x, y = Variable(x), Variable(y)`` becomes ``x, y = x, y`` and is deleted;
# when it follows blocks that close together, its indentation lives in the
# first closing DEDENT's prefix: deleting it must not hand that indentation
# to the next statement (zero_grad() moved into ``while False:``, found by the
# fuzz campaign through the statement-nesting invariant).

_CLOSING = [
    "    if use_cuda:\n        while False:\n            x = x.cuda()\n",
    "    if a:\n        if b:\n            if c:\n                x = x.cuda()\n",
    "    if a:\n        for i in r:\n            x = x.cuda()\n\n        # trailing\n",
    "    try:\n        x = x.cuda()\n    except E:\n        with ctx:\n            pass\n",
]


@pytest.mark.parametrize("blocks", _CLOSING)
@pytest.mark.parametrize("between", ["", "\n", "    # unwrap\n"])
def test_deleting_a_statement_after_blocks_that_close_together(blocks, between):
    head = "import torch\nfrom torch.autograd import Variable\nfor x, y in loader:\n    n += 1\n"
    tail = "    optimizer.step()\n    loss = crit(model(x), y)\nprint('done')\n"
    src = head + blocks + between + "    x, y = Variable(x), Variable(y)\n" + tail
    res = migrate(src, [get_rule("TM001")], unsafe_fixes=True)
    assert not res.findings, res.findings
    # the statement is gone, and every other line keeps its indentation
    want = (head + blocks + between + tail).replace("from torch.autograd import Variable\n", "")
    got = [ln for ln in res.new.split("\n") if ln.strip() and not ln.strip().startswith("#")]
    assert got == [ln for ln in want.split("\n") if ln.strip() and not ln.strip().startswith("#")]
