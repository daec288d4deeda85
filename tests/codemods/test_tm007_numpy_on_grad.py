"""TM007 numpy-on-grad-tensor."""

from __future__ import annotations

import torch

from codemods import get_rule
from torchmigrate.engine import migrate

TM007 = [get_rule("TM007")]


def run(text, unsafe=False):
    res = migrate(text, TM007, unsafe_fixes=unsafe)
    assert not res.errors, res.errors
    return res


def test_forms():
    src = (
        "import torch\n"
        "w = torch.nn.Parameter(torch.zeros(3))\n"
        "v = torch.randn(2, requires_grad=True)\n"
        "a = w.numpy()\n"
        "b = v.cpu().numpy()\n"
        "c = w.data.numpy()\n"
        "d = (w * 2).data.cpu().numpy()\n"
        "e = torch.zeros(3).numpy()\n"
    )
    new = run(src).new
    assert "a = w.detach().numpy()" in new
    assert "b = v.detach().cpu().numpy()" in new
    assert "c = w.detach().numpy()" in new
    assert "d = (w * 2).detach().cpu().numpy()" in new
    assert "e = torch.zeros(3).numpy()" in new  # no grad: untouched
    ns: dict = {}
    exec(compile(new, "<m>", "exec"), ns)


def test_unknown_receiver_is_unsafe():
    src = "def to_np(x):\n    return x.data.cpu().numpy()\n"
    res = run(src)
    assert res.new == src and [f.safety for f in res.findings] == ["unsafe"]


def test_call_site_proves_the_parameter():
    src = (
        "import torch\n"
        "def to_np(x):\n    return x.data.cpu().numpy()\n"
        "to_np(torch.randn(3, requires_grad=True))\n"
    )
    assert "return x.detach().cpu().numpy()" in run(src).new


def test_numeric():
    w = torch.randn(3, requires_grad=True)
    assert (w.detach().cpu().numpy() == w.data.cpu().numpy()).all()
