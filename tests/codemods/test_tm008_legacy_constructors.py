"""TM008: legacy typed constructors and Tensor.new."""

from __future__ import annotations

import pytest

from codemods import all_rules, get_rule
from torchmigrate.engine import migrate

RULE = get_rule("TM008")


def run(src, unsafe=False):
    return migrate(src, [RULE], unsafe_fixes=unsafe)


def test_aliased_torch_and_from_import():
    src = "import torch as th\nx = th.LongTensor(3, 4)\n"
    assert run(src).new == "import torch as th\nx = th.empty(3, 4, dtype=th.int64)\n"


def test_local_class_named_floattensor_is_not_torch():
    src = "class FloatTensor:\n    pass\nx = FloatTensor(3)\n"
    res = run(src, unsafe=True)
    assert res.new == src and not res.findings


def test_int_names_sizes_and_lists():
    src = (
        "import torch\ndef f(t, xs):\n    n = len(xs)\n    a = torch.FloatTensor(n)\n"
        "    b = torch.FloatTensor(t.size())\n    vals = []\n    vals.append(1)\n"
        "    c = torch.FloatTensor(vals)\n    d = torch.ByteTensor(t.size(0))\n"
    )
    out = run(src).new
    assert "a = torch.empty(n, dtype=torch.float32)" in out
    assert "b = torch.empty(t.size(), dtype=torch.float32)" in out
    assert "c = torch.tensor(vals, dtype=torch.float32)" in out
    assert "d = torch.empty(t.size(0), dtype=torch.uint8)" in out


def test_ambiguous_name_is_manual_with_both_readings():
    src = "import torch\ndef f(data):\n    return torch.LongTensor(data)\n"
    res = run(src, unsafe=True)
    assert res.new == src
    (f,) = res.findings
    assert f.safety == "manual"
    assert "torch.empty(data, dtype=torch.int64)" in f.message
    assert "torch.tensor(data, dtype=torch.int64)" in f.message


def test_cuda_constructor_is_unsafe_with_device():
    src = "import torch\nx = torch.cuda.FloatTensor(2, 3).zero_()\n"
    res = run(src, unsafe=True)
    assert (
        res.new
        == "import torch\nx = torch.empty(2, 3, dtype=torch.float32, device='cuda').zero_()\n"
    )


def test_new_requires_tensor_evidence():
    src = "import hmac\nh = hmac.new(key)\nm = md5.new()\nobj = self.new(3)\n"
    res = run(src, unsafe=True)
    assert res.new == src and not res.findings


def test_new_multiline_sizes_become_one_tuple():
    src = "w = p.data.new(3,\n               4)\n"
    assert run(src).new == "w = p.data.new_empty((3,\n               4))\n"


def test_python2_file():
    src = "import torch\nprint 'x'\nx = torch.FloatTensor(2, 3)\n"
    assert run(src).new == "import torch\nprint 'x'\nx = torch.empty(2, 3, dtype=torch.float32)\n"


def test_numpy_argument_shares_memory_like_as_tensor():
    torch = pytest.importorskip("torch")
    np = pytest.importorskip("numpy")
    src = "import numpy as np\nimport torch\na = np.zeros(3, dtype=np.float32)\nt = torch.FloatTensor(a)\n"
    out = run(src, unsafe=True).new
    assert "t = torch.as_tensor(a, dtype=torch.float32)" in out
    for np_dtype in (np.float32, np.float64):
        a = np.zeros(3, dtype=np_dtype)
        legacy, modern = torch.FloatTensor(a), torch.as_tensor(a, dtype=torch.float32)
        a[0] = 5
        assert legacy[0].item() == modern[0].item()
        assert legacy.dtype == modern.dtype


@pytest.mark.parametrize(
    "legacy",
    [
        "torch.FloatTensor([1, 2])",
        "torch.LongTensor([1.7, 2])",
        "torch.ByteTensor([1, 0, 1])",
        "torch.Tensor([[1, 2], [3, 4]])",
        "torch.DoubleTensor((2, 3))",
        "torch.FloatTensor()",
        "torch.IntTensor(2, 3).shape",
        "torch.HalfTensor(4).dtype",
    ],
)
def test_values_and_dtypes_match_torch(legacy):
    torch = pytest.importorskip("torch")
    src = f"import torch\nr = {legacy}\n"
    out = run(src).new
    modern = out.split("r = ", 1)[1].strip()
    assert modern != legacy
    old, new = eval(legacy, {"torch": torch}), eval(modern, {"torch": torch})
    if isinstance(old, torch.Tensor):
        assert old.dtype == new.dtype and old.shape == new.shape
        if old.numel():
            assert torch.equal(old, new)
    else:
        assert old == new


def test_default_dtype_is_respected():
    torch = pytest.importorskip("torch")
    out = run("import torch\nr = torch.Tensor([1, 2])\ns = torch.Tensor(2)\n").new
    assert "torch.tensor([1, 2], dtype=torch.get_default_dtype())" in out
    assert "s = torch.empty(2)" in out
    old_default = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)
        assert (
            torch.Tensor([1, 2]).dtype
            == torch.tensor([1, 2], dtype=torch.get_default_dtype()).dtype
        )
        assert torch.Tensor(2).dtype == torch.empty(2).dtype
    finally:
        torch.set_default_dtype(old_default)


def test_all_rules_together():
    src = (
        "import torch\nfrom torch.autograd import Variable\n"
        "eps = Variable(std.data.new(std.size()).normal_())\nx = torch.FloatTensor(4, 5)\n"
    )
    res = migrate(src, all_rules(), unsafe_fixes=True)
    assert not res.errors
    assert (
        "new_empty(std.size())" in res.new and "torch.empty(4, 5, dtype=torch.float32)" in res.new
    )
    assert migrate(res.new, all_rules(), unsafe_fixes=True).new == res.new
