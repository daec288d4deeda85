"""TM004 dot-data: receivers, in-place runs, composition with TM005."""

from __future__ import annotations

import warnings

import torch

import codemods
from codemods import get_rule
from torchmigrate.engine import migrate

TM004 = [get_rule("TM004")]


def run(text, unsafe=False, rules=TM004):
    res = migrate(text, rules, unsafe_fixes=unsafe)
    assert not res.errors, res.errors
    return res


def left(res, rule="TM004"):
    return sorted(f.safety for f in res.findings if f.rule == rule)


def test_tensor_receivers():
    src = (
        "import torch\nimport torch.nn as nn\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super(Net, self).__init__()\n"
        "        self.fc = nn.Linear(3, 2)\n"
        "        self.W1 = nn.Parameter(torch.zeros(3))\n"
        "    def forward(self, x):\n"
        "        return self.fc(x)\n"
        "model = Net()\n"
        "out = model(torch.randn(2, 3))\n"
        "a = out.data\n"
        "b = model.W1.data.norm()\n"
        "c = model.fc.weight.grad.data.norm()\n"
        "for p in model.parameters():\n"
        "    g = p.grad.data\n"
    )
    res = run(src)
    new = res.new
    assert "a = out.detach()" in new
    assert "b = model.W1.detach().norm()" in new
    assert "c = model.fc.weight.grad.detach().norm()" in new
    assert "g = p.grad.detach()" in new
    assert not res.findings


def test_never_touched():
    src = (
        "import torch.utils.data\n"
        "from torch.nn.utils.rnn import pack_padded_sequence\n"
        "import torch.nn as nn\n"
        "class DS(torch.utils.data.Dataset):\n"
        "    def __init__(self):\n        self.data = [1, 2]\n"
        "    def __len__(self):\n        return len(self.data)\n"
        "ds = DS()\nn = ds.data.max()\n"
        "print(args.data)\n"
        "rnn = nn.LSTM(3, 4)\n"
        "packed = pack_padded_sequence(x, lengths)\n"
        "out, h = rnn(packed)\n"
        "print(out.data.size(0), packed.data.sum())\n"
        "for batch in loader:\n    print(batch.data.size())\n"
        "def f(thing):\n    return thing.data\n"
    )
    res = run(src, unsafe=True)
    assert res.new.replace("out.detach()", "out.data") == src
    # ``out`` of an LSTM may be a PackedSequence: unknown, reported unsafe only
    assert left(run(src)) in ([], ["unsafe"])


def test_inplace_run_is_one_block_and_comments_kept():
    src = (
        "import torch\n"
        "w = torch.randn(3, requires_grad=True)\n"
        "b = torch.zeros(1, requires_grad=True)\n"
        "for t in range(3):\n"
        "    loss = (w.sum() + b.sum()) ** 2\n"
        "    loss.backward()\n"
        "\n"
        "    # SGD step\n"
        "    w.data -= 0.1 * w.grad.data\n"
        "    b.data.sub_(0.1 * b.grad.data)  # bias\n"
        "\n"
        "    w.grad.data.zero_()\n"
        "    b.grad.data.zero_()\n"
        "    print(t)\n"
    )
    res = run(src)
    assert res.new == src and left(res) == ["unsafe"]
    new = run(src, unsafe=True).new
    assert (
        "    # SGD step\n"
        "    with torch.no_grad():\n"
        "        w -= 0.1 * w.grad\n"
        "        b.sub_(0.1 * b.grad)  # bias\n"
        "\n"
        "        w.grad.zero_()\n"
        "        b.grad.zero_()\n"
        "    print(t)\n"
    ) in new
    ns: dict = {}
    exec(compile(new, "<m>", "exec"), ns)


def test_one_line_if_body_and_import_added():
    src = (
        "from torch import nn\n"
        "def zero(params):\n"
        "    for p in params:\n"
        "        if p.grad is not None: p.grad.data.zero_()\n"
    )
    new = run(src, unsafe=True).new
    assert new.startswith("from torch import nn\nimport torch\n")
    assert (
        "        if p.grad is not None:\n"
        "            with torch.no_grad():\n"
        "                p.grad.zero_()\n"
    ) in new


def test_weight_init_is_left_alone():
    src = (
        "import torch.nn as nn\n"
        "def weights_init(m):\n"
        "    m.weight.data.normal_(0.0, 0.02)\n"
        "    m.bias.data.fill_(0)\n"
        "class Net(nn.Module):\n"
        "    def reset_parameters(self):\n"
        "        self.h0.data.zero_()\n"
        "net = nn.Linear(2, 2)\n"
        "net.weight.data.uniform_(-0.1, 0.1)\n"
    )
    res = run(src, unsafe=True)
    assert res.new == src and not res.findings


def test_assignment_and_inline_inplace_are_manual():
    src = (
        "import torch\n"
        "w = torch.zeros(3, requires_grad=True)\n"
        "w.data = torch.ones(4)\n"
        "y = w.data.add_(1) * 2\n"
    )
    res = run(src, unsafe=True)
    assert res.new == src and left(res) == ["manual", "manual"]


def test_composes_with_tm005_and_is_idempotent():
    src = (
        "import torch\n"
        "model = torch.nn.Linear(3, 1)\n"
        "lr = 0.1\n"
        "loss = model(torch.randn(4, 3)).sum()\n"
        "loss.backward()\n"
        "for p in model.parameters():\n"
        "    p.data.add_(-lr, p.grad.data)\n"
    )
    rules = [r for r in codemods.all_rules() if r.id in ("TM004", "TM005")]
    new = run(src, unsafe=True, rules=rules).new
    assert "    with torch.no_grad():\n        p.add_(p.grad, alpha=-lr)\n" in new
    assert run(new, unsafe=True, rules=rules).new == new


def test_sgd_step_numerically_equal():
    """The legacy step (deprecated overload through .data, still accepted on
    2.13) and the migrated no_grad step give identical parameters."""
    torch.manual_seed(0)
    a = torch.nn.Linear(4, 2)
    b = torch.nn.Linear(4, 2)
    b.load_state_dict(a.state_dict())
    x = torch.randn(8, 4)
    for model in (a, b):
        model(x).pow(2).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for p in a.parameters():
            p.data.add_(-0.1, p.grad.data)
    for p in b.parameters():
        with torch.no_grad():
            p.add_(p.grad, alpha=-0.1)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)


def test_annotated_updates_of_an_alias():
    """``g[0]: T = v`` updates the alias in place like ``g[0] = v`` (so the
    rewrite to ``.detach()`` is unsafe); ``g[0]: T`` alone and ``g: T = v``
    update nothing.  (An annotated assignment is an ``annassign`` node, not
    an ``=`` leaf: the fuzz campaign found TM004 crashing on one.)"""
    head = "import torch\ndef f(x):\n    p = torch.zeros(3, requires_grad=True)\n    g = p.data\n"
    for body, unsafe in [
        ("    g[0] = 1.0\n", True),
        ("    g[0]: float = 1.0\n", True),
        ("    g[0]: float\n", False),
        ("    g: float = 1.0\n", False),
        ("    y = 1\n", False),
    ]:
        res = run(head + body + "    return g\n")
        if unsafe:
            assert left(res) == ["unsafe"], body
            assert "g = p.data\n" in res.new
        else:
            assert left(res) == [], body
            assert "g = p.detach()\n" in res.new


def test_annotated_assignment_in_a_fuzz_mutant_is_no_internal_error():
    src = (
        "from torch.autograd import Variable\n"
        "def unwrap(x):\n"
        "    with torch.no_grad():\n"
        "        x: int = torch.data[0]\n"
        "    if isinstance(x, Variable):\n"
        "        x = x.data\n"
    )
    for unsafe in (False, True):
        res = migrate(src, codemods.all_rules(), unsafe_fixes=unsafe)
        assert not res.errors, res.errors


SRU_CELL = """import torch
import torch.nn as nn


class Cell(nn.Module):
    def __init__(self):
        super(Cell, self).__init__()
        self.weight = nn.Parameter(torch.ones(4, 6))
        self.reset_parameters()

    def reset_parameters(self):
        w = self.weight.data.VIEW
        w[:, :, 0].mul_(0.5)

    def forward(self, x):
        return (x.mm(self.weight) ** 2).sum()
"""


def test_inplace_update_through_a_view_alias_is_not_safe():
    # SRU's reset_parameters: ``w = self.weight.data.view(...)`` and then
    # in-place updates of slices of ``w``: through ``.detach()`` they bump the
    # parameter's version counter, so a re-init between forward and backward
    # raises where ``.data`` used stale values
    for view in ("view(4, -1, 3)", "view(4, 2, 3).contiguous()", "reshape(4, 2, 3)"):
        src = SRU_CELL.replace("VIEW", view)
        res = run(src)
        assert res.new == src, view
        assert left(res) == ["unsafe"], view
        assert "updated in place" in res.findings[0].message
    for view in ("t()", "transpose(0, 1)", "narrow(0, 0, 2)", "squeeze()", "T"):
        src = SRU_CELL.replace("VIEW", view).replace("w[:, :, 0]", "w[0]")
        res = run(src)
        assert res.new == src and left(res) == ["unsafe"], view


def test_the_view_alias_case_really_differs_on_213():
    # the reason for the above, on the real torch
    src = SRU_CELL.replace("VIEW", "view(4, -1, 3)")
    new = src.replace("self.weight.data.view", "self.weight.detach().view")
    script = (
        "m = Cell()\nx = torch.ones(2, 4, requires_grad=True)\n"
        "loss = m(x)\nm.reset_parameters()\nloss.backward()\n"
    )
    exec(compile(src + script, "<old>", "exec"), {})
    try:
        exec(compile(new + script, "<new>", "exec"), {})
    except RuntimeError as exc:
        assert "inplace operation" in str(exc)
    else:  # pragma: no cover - the hazard the test is about disappeared
        raise AssertionError("the .detach() form no longer raises")


def test_a_view_alias_that_is_only_read_stays_safe():
    src = (
        "import torch.nn as nn\n"
        "class M(nn.Module):\n"
        "    def __init__(self):\n"
        "        super(M, self).__init__()\n"
        "        self.weight = nn.Parameter(torch.ones(4, 6))\n"
        "    def norm(self):\n"
        "        r = self.weight.data.view(-1)\n"
        "        return r.abs().sum()\n"
    )
    res = run(src)
    assert "r = self.weight.detach().view(-1)" in res.new and left(res) == []


def test_view_alias_in_other_assignment_shapes_is_not_safe():
    for stmt, upd in (
        ("w = (self.weight.data\n             .view(4, -1, 3))", "w"),
        ("w: torch.Tensor = self.weight.data.view(4, -1, 3)", "w"),
        ("w = v = self.weight.data.view(4, -1, 3)", "v"),
        ("w, n = self.weight.data.view(4, -1, 3), 3", "w"),
        ("w = self.weight.data", "w"),
    ):
        src = SRU_CELL.replace("w = self.weight.data.VIEW", stmt).replace(
            "w[:, :, 0].mul_(0.5)", f"{upd}[0].mul_(0.5)"
        )
        res = run(src)
        assert res.new == src, stmt
        assert left(res) == ["unsafe"], stmt


def test_a_copy_into_a_subscript_target_is_no_alias():
    # ``buf[:2] = p.data`` copies into buf: buf's later in-place updates do
    # not touch p (allennlp's CRF transitions), so the read stays safe
    src = (
        "import torch.nn as nn\n"
        "class M(nn.Module):\n"
        "    def __init__(self):\n"
        "        super(M, self).__init__()\n"
        "        self.t = nn.Parameter(torch.ones(2, 2))\n"
        "    def full(self):\n"
        "        buf = torch.zeros(3, 3)\n"
        "        buf[:2, :2] = self.t.data\n"
        "        buf.mul_(2)\n"
        "        return buf\n"
    )
    res = run(src)
    assert "buf[:2, :2] = self.t.detach()" in res.new and left(res) == []
