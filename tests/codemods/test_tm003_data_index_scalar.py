"""TM003 data-index-scalar: scalar proofs, indexing, and numeric checks."""

from __future__ import annotations

import pytest
import torch

from codemods import get_rule
from torchmigrate.engine import migrate

TM003 = [get_rule("TM003")]


def run(text, unsafe=False):
    res = migrate(text, TM003, unsafe_fixes=unsafe)
    assert not res.errors, res.errors
    return res


def left(res):
    return sorted(f.safety for f in res.findings if f.rule == "TM003")


@pytest.mark.parametrize(
    "setup, expr",
    [
        ("criterion = nn.CrossEntropyLoss()\nloss = criterion(out, y)", "loss"),
        ("criterion = nn.MSELoss(size_average=False).cuda()\nloss = criterion(out, y)", "loss"),
        ("loss = F.nll_loss(out, y, reduction='sum')", "loss"),
        ("loss = F.mse_loss(out, y) + 0.5 * out.pow(2).mean()", "loss"),
        ("acc = (out.max(1)[1] == y).float().mean()", "acc"),
        ("s = torch.sum(out)", "s"),
        ("n = out.norm()", "n"),
    ],
)
def test_provable_scalars_are_safe(setup, expr):
    src = (
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
        f"{setup}\nprint({expr}.data[0])\n"
    )
    res = run(src)
    assert f"print({expr}.item())" in res.new and not res.findings


@pytest.mark.parametrize(
    "setup",
    [
        "criterion = nn.CrossEntropyLoss(reduce=False)\nloss = criterion(out, y)",
        "loss = F.nll_loss(out, y, reduction='none')",
        "loss = out.sum(1)",
    ],
)
def test_evidence_of_a_batch_gives_detach_index_never_item(setup):
    # issue 10 item 2: `.item()` only with positive evidence of one element;
    # a batch (element-wise losses, a reduction over dim >= 1) gets its first row
    src = (
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
        f"{setup}\nprint(loss.data[0])\n"
    )
    res = run(src)
    assert res.new == src and left(res) == ["unsafe"]
    assert "loss.detach()[0]" in res.findings[0].message
    new = run(src, unsafe=True).new
    assert "print(loss.detach()[0])" in new and ".item()" not in new


def test_a_name_heuristic_is_no_evidence_both_readings_are_reported():
    src = "import torch\nloss = criterion(out, y)\nprint(loss.data[0])\n"
    res = run(src, unsafe=True)
    assert res.new == src and left(res) == ["manual"]
    msg = res.findings[0].message
    assert "loss.item()" in msg and "loss.detach()[0]" in msg


def test_local_loss_function_returns_a_scalar():
    src = (
        "import torch\nimport torch.nn.functional as F\n"
        "def loss_function(recon, x, mu, logvar):\n"
        "    bce = F.binary_cross_entropy(recon, x, size_average=False)\n"
        "    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())\n"
        "    return bce + kld\n"
        "def test(batch):\n"
        "    total = loss_function(batch, batch, batch, batch).data[0]\n"
    )
    assert "loss_function(batch, batch, batch, batch).item()" in run(src).new


def test_indexing_forms():
    src = (
        "import torch\n"
        "x = torch.randn(4, 3, requires_grad=True)\n"
        "a = x.data[0][1]\n"
        "b = x.data[0].numpy()\n"
        "for inp, tgt in loader:\n"
        "    c = tgt.data[0]\n"
        "w = torch.zeros(1, requires_grad=True)\n"
        "d = w.data[0]\n"
        "flat = x.view(-1)\n"
        "e = flat.data[0]\n"
    )
    new = run(src).new
    assert "a = x.detach()[0][1]" in new
    assert "b = x.detach()[0].numpy()" in new
    # 0.3 read the element of a 1-D tensor as a Python number (a snapshot):
    # ``flat[0]`` alone would be a 0-dim view of ``flat``
    assert "e = flat[0].item()" in new
    # rank not known: a row of a 2-D batch, or (1-D) a number in 0.3: unsafe
    assert "c = tgt.data[0]" in new and "d = w.data[0]" in new
    new = run(src, unsafe=True).new
    assert "c = tgt[0]" in new
    assert "d = w.detach()[0]" in new


def test_never_touched():
    src = (
        "print(train_set.data[0].shape)\nprint(args.data[0])\n"
        "for batch in loader:\n    print(batch.data[0])\n"
        "class DS(object):\n    def first(self):\n        return self.data[0]\n"
    )
    res = run(src, unsafe=True)
    assert res.new == src and not res.findings


def test_numeric_meaning():
    """``.item()`` on a one-element loss and ``detach()[0]`` on a batch give
    what ``.data[0]`` gave in 0.3 (a number / the first row)."""
    out = torch.randn(5, 3, requires_grad=True)
    y = torch.randint(0, 3, (5,))
    loss = torch.nn.functional.cross_entropy(out, y)
    legacy_number = loss.data.view(1)[0].item()  # the 0.3 1-element Variable
    assert loss.item() == legacy_number
    assert torch.equal(out.detach()[0], out.data[0])
    with pytest.raises(IndexError):
        loss.data[0]  # what the legacy form does on 2.13


def test_python2_print_statement():
    src = (
        "import torch.nn.functional as F\n"
        "for x, y in loader:\n"
        "    loss = F.nll_loss(model(x), y)\n"
        "    print 'loss', loss.data[0], y.data[0]\n"
    )
    res = run(src)
    assert res.py2
    assert "print 'loss', loss.item(), y.data[0]\n" in res.new  # y: rank unknown, unsafe


# --------------------------------------------------------------------------
# issue 10 items 2 and 7, against the legacy runtime's 0.3 semantics
# --------------------------------------------------------------------------
READINGS = """
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Variable


def accuracy(output, target, topk=(1,)):
    maxk = max(topk)
    batch_size = target.size(0)
    _, pred = output.topk(maxk, 1, True, True)
    pred = pred.t()
    correct = pred.eq(target.view(1, -1).expand_as(pred))
    res = []
    for k in topk:
        correct_k = correct[:k].contiguous().view(-1).float().sum(0)
        res.append(correct_k.mul_(100.0 / batch_size))
    return res


torch.manual_seed(0)
netD = nn.Sequential(nn.Linear(3, 1), nn.Sigmoid())
x = Variable(torch.randn(5, 3))
y = Variable(torch.LongTensor([0, 1, 1, 0, 1]))
d_out = netD(x)
d_out.backward(torch.ones(5, 1))
logits = Variable(torch.randn(5, 2), requires_grad=True)
loss = F.cross_entropy(logits, y)
loss.backward()
total_loss = 0
for _ in range(3):
    total_loss += loss.data
prec1, = accuracy(logits.data, y.data)
RESULT = [
    float(d_out.data[0][0]),
    loss.data[0],
    float(total_loss[0]),
    float(prec1[0]),
    float(loss.data.numpy()[0]),
    float(loss.data.cpu().numpy()[0]),
    loss.data.tolist()[0],
]
"""


def test_readings_of_batches_and_0_dim_values_keep_0_3_values():
    pytest.importorskip("torch")
    from tests.codemods.legacy_exec import close, pair

    legacy, modern, new = pair(READINGS)
    assert "float(d_out.detach()[0][0])" in new
    assert "loss.item()," in new and "float(total_loss.item())" in new
    assert "float(prec1.item())" in new
    assert new.count("float(loss.item())") == 2 and "    loss.item(),\n]" in new
    close(legacy, modern)
