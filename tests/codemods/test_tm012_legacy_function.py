"""TM012: legacy autograd.Function -> static forward/backward + .apply."""

from __future__ import annotations

import warnings

import torch

import codemods
from torchmigrate.engine import migrate

RULE = codemods.get_rule("TM012")


def run(text, unsafe=True, rules=None):
    return migrate(text, rules or [RULE], unsafe_fixes=unsafe)


LEGACY = '''\
import torch
from torch.autograd import Function


class ClampedReLU(Function):
    """clamp with a straight-through gradient inside [lo, hi]"""
    def __init__(self, lo=0.0, hi=6.0):
        super(ClampedReLU, self).__init__()
        self.lo = lo
        self.hi = hi

    # the forward pass
    def forward(self, input):
        self.save_for_backward(input)
        return input.clamp(min=self.lo, max=self.hi)

    def backward(self, grad_output):
        input, = self.saved_variables
        grad_input = grad_output.clone()
        grad_input[input < self.lo] = 0
        grad_input[input > self.hi] = 0
        return grad_input


def f(x):
    return ClampedReLU(-0.5, hi=0.5)(x) + ClampedReLU()(x)
'''


def test_defaults_keywords_comments_and_numerics():
    res = run(LEGACY)
    assert not res.errors
    new = res.new
    assert (
        "    # the forward pass\n    @staticmethod\n    def forward(ctx, input, lo=0.0, hi=6.0):\n"
        in new
    )
    assert "        ctx.lo = lo\n        ctx.hi = hi\n        ctx.save_for_backward(input)\n" in new
    assert "input, = ctx.saved_tensors" in new
    assert "return grad_input, None, None" in new
    assert "return ClampedReLU.apply(x, -0.5, 0.5) + ClampedReLU.apply(x)" in new
    assert "__init__" not in new and "self" not in new
    # idempotent
    assert run(new).new == new
    ns: dict = {}
    exec(compile(new, "<migrated>", "exec"), ns)
    x = torch.linspace(-1, 1, 11, dtype=torch.float64, requires_grad=True)
    y = ns["f"](x)
    y.backward(torch.arange(11.0, dtype=torch.float64))
    # the legacy semantics written out by hand
    xd = x.detach()
    ref_y = xd.clamp(-0.5, 0.5) + xd.clamp(0.0, 6.0)
    g = torch.arange(11.0, dtype=torch.float64)
    ref_g = g * ((xd >= -0.5) & (xd <= 0.5)) + g * ((xd >= 0.0) & (xd <= 6.0))
    assert torch.allclose(y.detach(), ref_y)
    assert torch.allclose(x.grad, ref_g)


def test_gradcheck_of_a_converted_function():
    text = (
        "import torch\n"
        "from torch import autograd\n"
        "class Scale(autograd.Function):\n"
        "    def __init__(self, k):\n"
        "        self.k = float(k)\n"
        "    def forward(self, a, b):\n"
        "        self.save_for_backward(a, b)\n"
        "        return a * b * self.k\n"
        "    def backward(self, g):\n"
        "        a, b = self.saved_tensors\n"
        "        return g * b * self.k, g * a * self.k\n"
        "def f(a, b):\n"
        "    return Scale(3)(a, b)\n"
    )
    new = run(text).new
    assert "return g * b * ctx.k, g * a * ctx.k, None" in new
    assert "ctx.k = float(k)" in new
    ns: dict = {}
    exec(compile(new, "<migrated>", "exec"), ns)
    a = torch.randn(4, dtype=torch.float64, requires_grad=True)
    b = torch.randn(4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(ns["f"], (a, b))


def test_legacy_form_really_fails_on_modern_torch():
    ns: dict = {}
    exec(compile(LEGACY, "<legacy>", "exec"), ns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ns["f"](torch.zeros(3, requires_grad=True))
        except RuntimeError as exc:
            assert "Legacy autograd function" in str(exc)
        else:  # pragma: no cover
            raise AssertionError("legacy Function unexpectedly worked")


def test_all_or_nothing_when_an_instance_is_reused():
    text = (
        "from torch.autograd import Function\n"
        "class Neg(Function):\n"
        "    def forward(self, x):\n"
        "        return -x\n"
        "    def backward(self, g):\n"
        "        return -g\n"
        "a = Neg()(x)\n"
        "neg = Neg()\n"
        "b = neg(y)\n"
    )
    res = run(text)
    assert res.new == text
    [finding] = [f for f in res.findings if f.rule == "TM012"]
    assert finding.safety == "manual" and "cannot be tracked" in finding.message


def test_no_call_site_in_file_is_manual():
    text = (
        "import torch\n"
        "class Neg(torch.autograd.Function):\n"
        "    def forward(self, x):\n"
        "        return -x\n"
        "    def backward(self, g):\n"
        "        return -g\n"
    )
    res = run(text)
    assert res.new == text
    assert [f.safety for f in res.findings] == ["manual"]


def test_unconvertible_shapes_are_manual():
    cases = [
        # *args
        "    def forward(self, *xs):\n        return xs[0]\n    def backward(self, g):\n        return g\n",
        # bare self passed on
        "    def forward(self, x):\n        helper(self)\n        return x\n    def backward(self, g):\n        return g\n",
        # backward returns a name with two inputs and a moved argument
        "    def __init__(self, k):\n        self.k = k\n"
        "    def forward(self, a, b):\n        return a + b\n"
        "    def backward(self, g):\n        grads = (g, g)\n        return grads\n",
        # __init__ doing work
        "    def __init__(self, k):\n        self.k = k\n        print(k)\n"
        "    def forward(self, x):\n        return x\n    def backward(self, g):\n        return g\n",
    ]
    for body in cases:
        text = "from torch.autograd import Function\nclass G(Function):\n" + body + "y = G(1)(x)\n"
        res = run(text)
        assert res.new == text, body
        assert [f.safety for f in res.findings if f.rule == "TM012"] == ["manual"], body


def test_python2_file_and_local_function_class():
    text = (
        "from torch.autograd import Function\n"
        "class Id(Function):\n"
        "    def forward(self, x):\n"
        "        print 'fwd'\n"
        "        return x\n"
        "    def backward(self, g):\n"
        "        return g\n"
        "y = Id()(x)\n"
    )
    res = run(text)
    assert res.py2
    assert "    @staticmethod\n    def forward(ctx, x):\n        print 'fwd'\n" in res.new
    assert "y = Id.apply(x)" in res.new
    # a class deriving from a user-defined Function is left alone
    other = "class Function(object):\n    pass\nclass H(Function):\n    def forward(self, x):\n        return x\n"
    assert run(other).new == other and not run(other).findings


def test_together_with_all_rules():
    res = migrate(LEGACY, codemods.all_rules(), unsafe_fixes=True)
    assert not res.errors
    assert "ClampedReLU.apply(x, -0.5, 0.5)" in res.new
    assert "@staticmethod" in res.new
