"""TM009: type checks against legacy tensor types."""

from __future__ import annotations

import pytest

from codemods import all_rules, get_rule
from torchmigrate.engine import migrate

RULE = get_rule("TM009")


def run(src, unsafe=True):
    return migrate(src, [RULE], unsafe_fixes=unsafe)


def test_reversed_operands_and_is_not():
    src = "import torch\na = torch.DoubleTensor == type(x)\nb = type(x) is not torch.cuda.LongTensor\n"
    out = run(src).new
    assert "a = x.type() == 'torch.DoubleTensor'" in out
    assert "b = x.type() != 'torch.cuda.LongTensor'" in out


def test_shadowed_type_builtin_is_left_alone():
    src = "import torch\ndef type(v):\n    return v\nok = type(x) == torch.FloatTensor\n"
    res = run(src)
    assert res.new == src and not res.findings


def test_isinstance_variable_with_alias_import():
    src = "import torch as th\nfrom torch.autograd import Variable as V\nok = isinstance(x, V)\n"
    assert (
        run(src).new
        == "import torch as th\nfrom torch.autograd import Variable as V\nok = isinstance(x, th.Tensor)\n"
    )


def test_isinstance_variable_adds_torch_import():
    src = "from torch.autograd import Variable\nok = isinstance(x, Variable)\n"
    assert (
        run(src).new
        == "from torch.autograd import Variable\nimport torch\nok = isinstance(x, torch.Tensor)\n"
    )


def test_local_variable_class_is_not_torch():
    src = "class Variable:\n    pass\nok = isinstance(x, Variable)\n"
    res = run(src)
    assert res.new == src and not res.findings


def test_cuda_type_conversion_keeps_non_blocking():
    src = "import torch\ny = x.data.type(torch.cuda.FloatTensor, non_blocking=True)\n"
    out = run(src).new
    assert (
        out
        == "import torch\ny = x.data.to(device='cuda', dtype=torch.float32, non_blocking=True)\n"
    )


def test_rewritten_checks_match_the_legacy_meaning_on_213():
    torch = pytest.importorskip("torch")
    from torch.autograd import Variable

    for t in (
        torch.zeros(2),
        torch.zeros(2, dtype=torch.float64),
        torch.zeros(2, dtype=torch.int64),
    ):
        assert type(t) is not torch.FloatTensor  # the legacy check: silently False now
        assert (t.type() == "torch.FloatTensor") == (t.dtype == torch.float32 and not t.is_cuda)
        assert isinstance(t, Variable) == isinstance(t, torch.Tensor)
    assert isinstance(3, Variable) == isinstance(3, torch.Tensor)


def test_all_rules_together():
    src = "import torch\nif type(x) == torch.FloatTensor:\n    x = x.cuda(async=True)\n"
    res = migrate(src, all_rules(), unsafe_fixes=True)
    assert not res.errors
    assert "x.type() == 'torch.FloatTensor'" in res.new and "non_blocking=True" in res.new


def test_type_equals_variable_becomes_isinstance():
    src = (
        "from torch.autograd import Variable\n"
        "def repackage_hidden(h):\n    if type(h) == Variable:\n        return Variable(h.data)\n"
        "    return tuple(repackage_hidden(v) for v in h)\n"
    )
    res = run(src, unsafe=False)
    assert res.new == src
    assert [f.safety for f in res.findings] == ["unsafe"]
    assert "distinguished Variables from plain tensors" in res.findings[0].message
    out = run(src).new
    assert "    if isinstance(h, torch.Tensor):\n" in out
    assert "import torch\n" in out


def test_negated_variable_checks_and_alias():
    src = (
        "import torch as th\nimport torch.autograd as ag\n"
        "a = type(x) != ag.Variable\nb = th.autograd.Variable is not type(y)\n"
        "c = (type(z) != ag.Variable) == flag\n"
    )
    out = run(src).new
    assert "a = not isinstance(x, th.Tensor)\n" in out
    assert "b = not isinstance(y, th.Tensor)\n" in out
    assert "c = (not isinstance(z, th.Tensor)) == flag\n" in out
    assert "import torch\n" not in out.replace("import torch as th\n", "")


def test_other_variable_names_are_left_alone():
    src = (
        "from mylib import Variable\nok = type(x) == Variable\n"
        "def f(Variable):\n    return type(x) == Variable\n"
    )
    res = run(src)
    assert res.new == src and not res.findings


def test_variable_check_with_all_rules_drops_the_import():
    torch = pytest.importorskip("torch")
    src = (
        "import torch\nfrom torch.autograd import Variable\n\n\n"
        "def repackage_hidden(h):\n    if type(h) == Variable:\n        return Variable(h.data)\n"
        "    else:\n        return tuple(repackage_hidden(v) for v in h)\n"
    )
    res = migrate(src, all_rules(), unsafe_fixes=True)
    assert not res.errors
    assert "Variable" not in res.new
    assert "if isinstance(h, torch.Tensor):" in res.new
    ns: dict = {}
    exec(compile(res.new, "<migrated>", "exec"), ns)
    h = (torch.ones(2, requires_grad=True) * 2, torch.ones(1, requires_grad=True) * 3)
    out = ns["repackage_hidden"](h)
    assert isinstance(out, tuple) and all(not t.requires_grad for t in out)


def test_variable_shadowed_in_function_is_left_alone():
    src = (
        "from torch.autograd import Variable\ndef f(x, Variable):\n    return type(x) == Variable\n"
    )
    res = run(src)
    assert res.new == src and not res.findings


# --------------------------------------------------------------------------
# issue 10 item 9: type checks through .data, numerically on torch 2.13
# --------------------------------------------------------------------------
BUCKETS = """
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 2).double())
buckets = {}
for param in model.parameters():
    tp = type(param.data)
    if tp not in buckets:
        buckets[tp] = []
    buckets[tp].append(param)
on_gpu = [p for p in model.parameters() if 'cuda' in str(type(p.data))]
doubles = [p for p in model.parameters() if 'Double' in str(type(p.data))]
if type(model[1].weight.data) == torch.DoubleTensor:
    kind = 'double'
else:
    kind = 'other'
"""


def test_type_names_through_data_group_like_0_3():
    torch = pytest.importorskip("torch")
    new = migrate(BUCKETS, all_rules(), unsafe_fixes=True).new
    assert "tp = param.data.type()" in new or "tp = param.detach().type()" in new
    ns_old, ns_new = {}, {}
    exec(compile(BUCKETS, "<legacy>", "exec"), ns_old)
    exec(compile(new, "<migrated>", "exec"), ns_new)
    # 2.13 runs the unmigrated code silently wrong: one bucket, no doubles
    assert len(ns_old["buckets"]) == 1 and ns_old["doubles"] == [] and ns_old["kind"] == "other"
    # the 0.3 meaning: one bucket per (dtype, device), by hand
    want = {}
    for p in ns_new["model"].parameters():
        want.setdefault((p.dtype, p.device), []).append(p)
    got = ns_new["buckets"]
    assert sorted(len(v) for v in got.values()) == sorted(len(v) for v in want.values())
    assert set(got) == {"torch.FloatTensor", "torch.DoubleTensor"}
    assert len(ns_new["doubles"]) == 2 and ns_new["on_gpu"] == [] and ns_new["kind"] == "double"
    assert all(isinstance(p, torch.Tensor) for p in ns_new["doubles"])


def test_type_key_compared_with_a_class_on_another_line_is_manual():
    # skorch 0.1's test: ``type_cpu = type(w.data)`` ... ``type_cpu ==
    # torch.FloatTensor``; the key becoming ``w.data.type()`` (a string) would
    # leave that comparison always False, with no finding left
    from codemods import get_rule
    from torchmigrate.engine import migrate

    rule = [get_rule("TM009")]
    for cmp in (
        "t == torch.FloatTensor",
        "t is torch.cuda.FloatTensor",
        "FloatTensor != t",
        "t in (torch.FloatTensor, torch.DoubleTensor)",
        "t in {FloatTensor}",
        "t == FT",
        "t is cls",
    ):
        src = (
            "import torch\nfrom torch import FloatTensor\n"
            f"def f(w, FT, cls):\n    t = type(w.data)\n    return {cmp}\n"
        )
        res = migrate(src, rule, unsafe_fixes=True)
        assert res.new == src, cmp
        assert [f.safety for f in res.findings] == ["manual"], cmp
        assert "compared with" in res.findings[0].message
    # compared with a type string or another key, or a membership test: a key
    for use in (
        "t == 'torch.FloatTensor'",
        "t in buckets",
        "t in self.buckets",
        "t in ('torch.FloatTensor', 'torch.DoubleTensor')",
    ):
        src = f"import torch\ndef f(w, prev, buckets):\n    t = type(w.data)\n    return {use}\n"
        res = migrate(src, rule, unsafe_fixes=True)
        assert "t = w.data.type()" in res.new, use
