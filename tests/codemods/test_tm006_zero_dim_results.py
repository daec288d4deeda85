"""TM006: .item() at accumulation / dict-key / json sites."""

from __future__ import annotations

import pytest

from codemods import all_rules, get_rule
from torchmigrate.engine import migrate

RULE = get_rule("TM006")


def run(src, unsafe=True):
    return migrate(src, [RULE], unsafe_fixes=unsafe)


def test_reported_not_applied_without_unsafe_fixes():
    src = "correct = 0\npred = out.data.max(1)[1]\ncorrect += pred.eq(y).sum()\n"
    res = run(src, unsafe=False)
    assert res.new == src
    assert [f.safety for f in res.findings] == ["unsafe"]
    assert "0-dim tensor" in res.findings[0].message


def test_criterion_loss_and_comparison_mean():
    src = (
        "import torch.nn as nn\ncriterion = nn.CrossEntropyLoss()\ntest_loss = 0\nacc = 0.0\n"
        "test_loss += criterion(out, y)\nacc += (out.data.max(1)[1] == y).float().mean()\n"
    )
    out = run(src).new
    assert "test_loss += criterion(out, y).item()\n" in out
    assert "acc += (out.data.max(1)[1] == y).float().mean().item()\n" in out


def test_elementwise_losses_and_unknown_accumulators_are_left_alone():
    src = (
        "import torch.nn as nn\nimport torch.nn.functional as F\ncrit = nn.MSELoss(reduce=False)\n"
        "a = 0\na += crit(out, y)\nb = 0\nb += F.nll_loss(out, y, reduction='none')\n"
        "self.total += out.data.sum()\nstats['n'] += out.data.sum()\n"
    )
    res = run(src)
    assert res.new == src and not res.findings


def test_comments_are_kept():
    src = "correct = 0\ncorrect += out.data.eq(y).sum()  # count hits\n"
    assert run(src).new == "correct = 0\ncorrect += out.data.eq(y).sum().item()  # count hits\n"


def test_python2_file():
    src = "correct = 0\ncorrect += out.data.eq(y).cpu().sum()\nprint 'acc', correct\n"
    assert (
        run(src).new
        == "correct = 0\ncorrect += out.data.eq(y).cpu().sum().item()\nprint 'acc', correct\n"
    )


def test_accuracy_value_matches_legacy_meaning():
    torch = pytest.importorskip("torch")
    pred = torch.tensor([1, 2, 3, 4])
    target = torch.tensor([1, 0, 3, 0])
    # 0.3 meaning: sum() of a tensor returned a Python int
    legacy_correct = int(sum(int(a == b) for a, b in zip(pred.tolist(), target.tolist())))
    correct = 0
    correct += pred.eq(target).sum().item()
    assert isinstance(correct, int) and correct == legacy_correct
    assert "%.2f" % (100.0 * correct / 4) == "%.2f" % (100.0 * legacy_correct / 4)


def test_all_rules_together():
    src = (
        "correct = 0\nfor data, target in loader:\n    output = model(data)\n"
        "    pred = output.data.max(1)[1]\n    correct += pred.eq(target.data).cpu().sum()\n"
    )
    res = migrate(src, all_rules(), unsafe_fixes=True)
    assert not res.errors
    assert ".sum().item()" in res.new
    assert migrate(res.new, all_rules(), unsafe_fixes=True).new == res.new


def test_count_assignment_python2_and_tuple_return():
    src = (
        "def run(out, y):\n    pred = out.data.max(1)[1]\n    correct = pred.eq(y).sum()\n"
        "    print 'acc', correct\n    return correct, len(y)\n"
    )
    out = run(src).new
    assert "    correct = pred.eq(y).sum().item()\n" in out


def test_differentiable_sum_assignment_is_not_touched():
    src = "total = out.data.sum()\nloss = (out * w).sum()\nloss.backward()\n"
    res = run(src)
    assert res.new == src and not res.findings


@pytest.mark.parametrize(
    "expr",
    [
        "(pred == c).sum()",
        "(pred != c).sum()",
        "(pred < c).sum()",
        "(pred >= c).float().sum()",
        "((pred == c) & (y == c)).sum()",
        "((pred == c) | (y == c)).sum()",
        "((pred == c) ^ (y == c)).sum()",
        "(~(pred == c)).sum()",
        "pred.ne(y).sum()",
        "pred.le(y).byte().sum()",
        "(1 - pred.eq(y)).sum()",
        "(y == c).byte().sum()",
        "((y == c).byte() & (y != 0).byte()).cpu().sum()",
    ],
)
def test_comparison_counts_assigned_and_accumulated(expr):
    head = "def f(out, y, c):\n    pred = out.data.max(1)[1]\n"
    src = head + f"    n = {expr}\n    acc = 0\n    acc += {expr}\n    return n, acc\n"
    out = run(src).new
    assert f"    n = {expr}.item()\n" in out
    assert f"    acc += {expr}.item()\n" in out


def test_mask_names_in_legacy_and_modern_spelling():
    legacy = (
        "def evaluate(batches):\n    correct, total = 0, 0\n    for preds, tgt in batches:\n"
        "        tmask = (tgt == 0).byte()\n        valid = 1 - tmask\n"
        "        correct += preds.masked_select(valid).eq(tgt.masked_select(valid)).sum()\n"
        "        total += valid.sum()\n    return 100. * correct / total\n"
    )
    modern = legacy.replace(".byte()", ".bool()").replace("1 - tmask", "~tmask")
    for src in (legacy, modern):
        out = run(src).new
        assert ".eq(tgt.masked_select(valid)).sum().item()\n" in out
        assert "        total += valid.sum().item()\n" in out
        assert run(out).new == out


def test_unprovable_masks_are_left_alone():
    src = (
        "import numpy as np\n"
        "def f(a, b, mask, df):\n"
        "    x = np.arange(4)\n    k = (x == 2).sum()\n"  # numpy: already an int-like
        "    hits = (a == b).sum()\n"  # unknown operands (pandas DataFrame?)
        "    n = (~mask).float().sum()\n"  # mask is a parameter
        "    t = 0\n    t += (df == 1).sum()\n"
        "    chained = (a.data < b < 3).sum()\n"  # chained comparison
        "    m = (a.data == b) * 2\n    s = m.sum()\n"  # not a mask any more
        "    w = ((a.data == b) + a.data).sum()\n"
        "    v = (a.data == b).sum(1)\n"  # not a full reduction
        "    e = (a.data == b).sum()\n    e.backward()\n"  # attribute use: keep the tensor
        "    return k, hits, n, t, chained, s, w, v, e\n"
    )
    res = run(src)
    assert res.new == src and not res.findings


def test_mask_bound_to_a_non_mask_elsewhere_is_left_alone():
    src = (
        "def f(tgt, flag):\n    total = 0\n    valid = (tgt == 0).byte()\n"
        "    if flag:\n        valid = tgt.float()\n    total += valid.sum()\n    return total\n"
    )
    res = run(src)
    assert res.new == src and not res.findings


def test_mask_counts_match_the_legacy_meaning():
    torch = pytest.importorskip("torch")
    pred = torch.tensor([[0, 1], [2, 1]])
    masks = torch.tensor([[0, 1], [1, 1]])
    tgt = torch.tensor([[3, 4, 0], [5, 0, 0]])
    preds = torch.tensor([[3, 9, 7], [5, 1, 2]])
    # 0.3: reductions of (byte) tensors returned Python ints
    inter = ((pred == 1) & (masks == 1)).sum().item()
    union = ((pred == 1) | (masks == 1)).sum().item()
    assert (type(inter), inter, union) == (int, 2, 3)
    assert float(inter) / max(union, 1) == pytest.approx(2 / 3)
    valid = ~(tgt == 0)
    correct = 0
    correct += preds.masked_select(valid).eq(tgt.masked_select(valid)).sum().item()
    total = 0
    total += valid.sum().item()
    assert (type(correct), correct, type(total), total) == (int, 2, int, 3)
    assert "%.2f" % (100.0 * correct / total) == "66.67"


def test_seq2seq_snippet_with_all_rules():
    src = (
        "import torch\nfrom torch.autograd import Variable\n\n\n"
        "def evaluate(batches):\n    correct, total = 0, 0\n    for src, tgt in batches:\n"
        "        tmask = (tgt == 0).byte()\n        src = Variable(src, volatile=True)\n"
        "        preds = []\n        preds.append(src.data)\n        preds = torch.stack(preds, 1)\n"
        "        valid = 1 - tmask\n"
        "        correct += preds.masked_select(valid).eq(tgt.masked_select(valid)).sum()\n"
        "        total += valid.sum()\n    return 100. * correct / total\n"
    )
    res = migrate(src, all_rules(), unsafe_fixes=True)
    assert not res.errors
    assert ".eq(tgt.masked_select(valid)).sum().item()\n" in res.new
    assert "        total += valid.sum().item()\n" in res.new
    assert migrate(res.new, all_rules(), unsafe_fixes=True).new == res.new


# --------------------------------------------------------------------------
# Accumulators that flow into autograd keep their gradient (issue 10, item 1)
# --------------------------------------------------------------------------
STYLE_TRANSFER = """
import torch
import torch.nn.functional as F
from torch.autograd import Variable

torch.manual_seed(0)
img = Variable(torch.randn(4, 6), requires_grad=True)
feats = [Variable(torch.randn(6, 6)) for _ in range(3)]
targets = [Variable(torch.randn(4, 4)) for _ in range(3)]


def gram(f):
    return f.mm(f.t()) / f.numel()


content_loss = F.mse_loss(img, Variable(torch.zeros(4, 6)))
style_loss = 0
for f, t in zip(feats, targets):
    style_loss += F.mse_loss(gram(img.mm(f)), gram(t))
total = content_loss + 100 * style_loss
total.backward()
print('content %.4f style %.4f' % (content_loss.data[0], style_loss.data[0]))

loss = 0
w = Variable(torch.ones(6), requires_grad=True)
for f in feats:
    loss += F.mse_loss(f.mv(w), Variable(torch.zeros(6)))
loss.backward()
RESULT = {"img": img.grad.data.tolist(), "w": w.grad.data.tolist()}
"""


def test_accumulated_losses_keep_their_gradients():
    pytest.importorskip("torch")
    from tests.codemods.legacy_exec import close, pair

    legacy, modern, new = pair(STYLE_TRANSFER)
    assert "style_loss += F.mse_loss(gram(img.mm(f)), gram(t))\n" in new
    assert "loss += F.mse_loss(f.mv(w), torch.zeros(6))\n" in new
    assert "style_loss.item()" in new  # the print still reads a number
    close(legacy["img"], modern["img"])
    close(legacy["w"], modern["w"])
    # what the old rewrite did: `.item()` on the accumulator cuts the style term
    cut = new.replace(
        "style_loss += F.mse_loss(gram(img.mm(f)), gram(t))",
        "style_loss += F.mse_loss(gram(img.mm(f)), gram(t)).item()",
    )
    from tests.codemods.legacy_exec import run as run_snippet

    with pytest.raises(AssertionError):
        close(legacy["img"], run_snippet(cut, legacy=False)["img"])


def test_accumulated_loss_read_as_a_number_gets_item_and_same_value():
    src = (
        "import torch.nn as nn\ncriterion = nn.MSELoss()\n"
        "def evaluate(model, batches):\n    total = 0\n    for x, y in batches:\n"
        "        total += criterion(model(x), y)\n"
        "    print('val %.5f' % (total / len(batches)))\n    return len(batches)\n"
    )
    out = run(src).new
    assert "total += criterion(model(x), y).item()\n" in out


def test_grad_norm_accumulated_for_numpy_gets_item():
    src = (
        "import numpy as np\ndef grad_norm(model):\n    total_norm = 0\n"
        "    for p in model.parameters():\n        total_norm += p.grad.norm() ** 2\n"
        "    return np.sqrt(total_norm)\n"
    )
    assert "total_norm += (p.grad.norm() ** 2).item()\n" in run(src).new
