"""TM005: deprecated scalar-first overloads."""

from __future__ import annotations

import warnings

import pytest

from codemods import all_rules, get_rule
from torchmigrate.engine import migrate

RULE = get_rule("TM005")


def run(src, unsafe=False):
    return migrate(src, [RULE], unsafe_fixes=unsafe)


def test_aliased_torch_function():
    src = "import torch as th\ny = th.addcmul(x, 0.5, a, b)\n"
    assert run(src).new == "import torch as th\ny = th.addcmul(x, a, b, value=0.5)\n"


def test_local_function_named_add_is_not_torch():
    src = (
        "def add(a, b, c):\n    return a\ny = add(x, 2, w)\nimport numpy as np\nz = np.add(a, 2)\n"
    )
    res = run(src, unsafe=True)
    assert res.new == src and not res.findings


def test_argparse_and_group_values_are_unsafe():
    src = (
        "import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', type=float)\n"
        "args = p.parse_args()\nfor group in opt.param_groups:\n    for p in group['params']:\n"
        "        p.data.add_(-args.lr, p.grad.data)\n        p.data.add_(-group['lr'], p.grad.data)\n"
    )
    res = run(src)
    assert res.new == src
    assert [f.safety for f in res.findings] == ["unsafe", "unsafe"]
    assert "alpha=-args.lr" in res.findings[0].message


def test_multiline_arguments_keep_their_layout():
    src = "exp_avg.mul_(0.9).add_(\n    0.1,  # momentum\n    grad)\n"
    out = run(src).new
    assert out == "exp_avg.mul_(0.9).add_(\n    grad,  # momentum\n    alpha=0.1)\n"


def test_nested_calls_and_method_addmm():
    src = "out = M.addmm_(0.5, 2, a, b)\ny = p.data.add_(-0.1, q.data.add(2, r))\n"
    out = run(src).new
    assert out == (
        "out = M.addmm_(a, b, beta=0.5, alpha=2)\ny = p.data.add_(q.data.add(r, alpha=2), alpha=-0.1)\n"
    )


def test_python2_file():
    src = "print 'step'\np.data.add_(-0.01, p.grad.data)\n"
    assert run(src).new == "print 'step'\np.data.add_(p.grad.data, alpha=-0.01)\n"


def test_suppression_comment():
    src = "p.data.add_(-0.01, p.grad.data)  # torchmigrate: ignore[TM005]\n"
    assert run(src).new == src


@pytest.mark.parametrize(
    ("legacy", "modern"),
    [
        ("x.data.clone().add_(-0.5, y)", "x.data.clone().add_(y, alpha=-0.5)"),
        ("x.data.sub(2, y)", "x.data.sub(y, alpha=2)"),
        ("x.addcdiv(0.3, y, z)", "x.addcdiv(y, z, value=0.3)"),
        ("torch.addmm(0.5, M, 2, a, b)", "torch.addmm(M, a, b, beta=0.5, alpha=2)"),
        ("torch.addmm(0.5, M, a, b)", "torch.addmm(M, a, b, beta=0.5)"),
        ("torch.addr(0.5, M, 2, v, w)", "torch.addr(M, v, w, beta=0.5, alpha=2)"),
        ("torch.baddbmm(0.5, B, 2, a3, b3)", "torch.baddbmm(B, a3, b3, beta=0.5, alpha=2)"),
        ("v.addmv(0.5, 2, a, u)", "v.addmv(a, u, beta=0.5, alpha=2)"),
    ],
)
def test_numerics_match_legacy_overload(legacy, modern):
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(0)
    env = {
        "torch": torch,
        "x": torch.randn(3, 3, generator=g),
        "y": torch.randn(3, 3, generator=g),
        "z": torch.rand(3, 3, generator=g) + 1,
        "M": torch.randn(3, 3, generator=g),
        "a": torch.randn(3, 4, generator=g),
        "b": torch.randn(4, 3, generator=g),
        "v": torch.randn(3, generator=g),
        "w": torch.randn(3, generator=g),
        "u": torch.randn(4, generator=g),
        "B": torch.randn(2, 3, 3, generator=g),
        "a3": torch.randn(2, 3, 4, generator=g),
        "b3": torch.randn(2, 4, 3, generator=g),
    }
    src = f"import torch\nr = {legacy}\n"
    out = migrate(src, [RULE]).new
    assert out == f"import torch\nr = {modern}\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old = eval(legacy, dict(env))
    new = eval(modern, dict(env))
    torch.testing.assert_close(old, new)


def test_all_rules_together_are_idempotent():
    src = "import torch\nfor p in model.parameters():\n    p.data.add_(-0.01, p.grad.data)\n"
    once = migrate(src, all_rules(), unsafe_fixes=True)
    assert not once.errors
    assert "alpha=-0.01" in once.new
    assert migrate(once.new, all_rules(), unsafe_fixes=True).new == once.new
