"""Focused TM2xx cases: aliasing, comments, Python 2 files, receivers of
unknown type, and all rules running together."""

from __future__ import annotations

import pytest

import codemods
from torchmigrate.engine import migrate


def run(src: str, *ids: str, unsafe: bool = True):
    rules = [codemods.get_rule(i) for i in ids] if ids else codemods.all_rules()
    result = migrate(src, rules, unsafe_fixes=unsafe)
    assert not result.errors, result.errors
    return result


def left(result, rule):
    return sorted(f.safety for f in result.findings if f.rule == rule)


# TM201 ---------------------------------------------------------------------
def test_tm201_keeps_comments_and_moves_after_nested_loop():
    src = (
        "import torch.optim as optim\n"
        "sched = optim.lr_scheduler.MultiStepLR(opt, [10, 20])\n"
        "for epoch in range(30):\n"
        "    # adjust the learning rate\n"
        "    sched.step()  # per epoch\n"
        "    for x, y in loader:\n"
        "        opt.zero_grad()\n"
        "        loss(x, y).backward()\n"
        "        opt.step()\n"
    )
    out = run(src, "TM201").new
    assert out.endswith("        opt.step()\n    sched.step()  # per epoch\n")
    assert "    # adjust the learning rate\n    for x, y in loader:" in out


# The epoch loop's body ends with a nested block, and a statement follows the
# loop one or more levels out: the closing DEDENTs hold that statement's
# indentation (and any lines before it), which must stay with it.
_INNER_BLOCKS = [
    "{b}for x in loader:\n{b}    opt.step()\n",
    "{b}for x in loader:\n{b}    if x:\n{b}        opt.step()\n",
    "{b}with ctx:\n{b}    opt.step()\n",
    "{b}try:\n{b}    opt.step()\n{b}except ValueError:\n{b}    pass\n",
    "{b}while more():\n{b}    opt.step()\n",
]
_AFTER = ["", "{o}# done\n", "\n{o}# done\n\n"]


@pytest.mark.parametrize("inner", _INNER_BLOCKS)
@pytest.mark.parametrize("after", _AFTER)
@pytest.mark.parametrize("depth", [1, 2])
def test_tm201_move_keeps_the_statement_after_the_loop_where_it_was(inner, after, depth):
    o = "    " * (depth - 1)  # the epoch loop's level
    b = o + "    "  # its body's level
    head = "import torch.optim as optim\nsched = optim.lr_scheduler.StepLR(opt, 1)\n"
    wrap = "def train():\n" if depth == 2 else ""
    loop = f"{o}for epoch in range(3):\n"
    block = inner.format(b=b)
    tail = after.format(o=o) + f"{o}print(opt.param_groups[0]['lr'])\n"
    src = head + wrap + loop + f"{b}sched.step()\n" + block + tail
    compile(src, "<src>", "exec")
    res = run(src, "TM201")
    assert [f.rule for f in res.fixes] == ["TM201"], res.findings
    assert res.new == head + wrap + loop + block + f"{b}sched.step()\n" + tail


def test_tm201_not_first_statement_moves_its_comment():
    src = (
        "from torch.optim import lr_scheduler\n"
        "s = lr_scheduler.StepLR(opt, 5)\n"
        "for epoch in range(9):\n"
        "    t0 = time.time()\n"
        "    # decay\n"
        "    s.step()\n"
        "    train(epoch)\n"
    )
    out = run(src, "TM201").new
    assert out.endswith("    t0 = time.time()\n    train(epoch)\n    # decay\n    s.step()\n")


def test_tm201_reads_lr_before_step_is_manual():
    src = (
        "from torch.optim import lr_scheduler\n"
        "s = lr_scheduler.StepLR(opt, 5)\n"
        "for epoch in range(9):\n"
        "    print(opt.param_groups[0]['lr'])\n"
        "    s.step()\n"
        "    train(epoch)\n"
    )
    r = run(src, "TM201")
    assert r.new == src and left(r, "TM201") == ["manual"]
    assert "after line 6" in r.findings[0].message


def test_tm201_unknown_receiver_named_scheduler_is_manual():
    src = "import torch.optim.lr_scheduler\ndef fit(scheduler):\n    for e in range(3):\n        scheduler.step()\n        train()\n"
    r = run(src, "TM201")
    assert r.new == src and left(r, "TM201") == ["manual"]


# TM207 ---------------------------------------------------------------------
def test_tm207_self_in_module_and_attr_optimizer():
    src = (
        "import torch\n"
        "class Trainer(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        self.opt = torch.optim.Adam(self.parameters())\n"
        "    def step(self):\n"
        "        self.zero_grad()\n"
        "        self.opt.zero_grad()\n"
    )
    r = run(src, "TM207", unsafe=False)
    assert r.new.count("zero_grad(set_to_none=False)") == 2


# TM205 ---------------------------------------------------------------------
def test_tm205_from_import_alias_and_method_form():
    src = "from torch import gesv as solve_legacy\nimport torch\nX = solve_legacy(B, A)[0]\nU = K.potrf()\n"
    r = run(src, "TM205")
    assert "X = torch.linalg.solve(A, B)\n" in r.new
    assert "U = torch.linalg.cholesky(K).mH\n" in r.new


def test_tm205_local_function_named_like_torch_is_untouched():
    src = "def svd(a):\n    return a\nU = svd(x)\nn = norm(x, 2)\nq = x.qr()\n"
    r = run(src, "TM205")
    assert r.new == src and not r.findings


def test_tm205_adds_import_torch():
    src = "from torch import potrf\nU = potrf(A)\n"
    assert (
        run(src, "TM205").new
        == "from torch import potrf\nimport torch\nU = torch.linalg.cholesky(A).mH\n"
    )


# TM208 ---------------------------------------------------------------------
def test_tm208_python2_file_mentions_latin1():
    for src in (
        "import torch\nprint 'loading'\nmodel = torch.load(path)\nmodel.eval()\n",
        "import torch\nprint 'loading'\nckpt = torch.load(path)\n",  # secure default kept
    ):
        r = run(src, "TM208", unsafe=False)
        assert r.py2 and "encoding='latin1'" in r.findings[0].message


def test_tm208_weights_only_false_only_with_evidence_of_an_object():
    src = (
        "import torch\n"
        "torch.save({'state_dict': model.state_dict(), 'epoch': 3}, 'ckpt.pth')\n"
        "ckpt = torch.load('ckpt.pth')\n"
        "model.load_state_dict(ckpt['state_dict'])\n"
        "start = ckpt['epoch']\n"
        "model.load_state_dict(torch.load('best.pth'))\n"
        "net = torch.load('net.pth')\n"
        "net.eval()\n"
        "other = torch.load(path)\n"
        "print(other['epoch'])\n"
    )
    r = run(src, "TM208")
    assert r.new.count("weights_only=False") == 1
    assert "net = torch.load('net.pth', weights_only=False)" in r.new
    assert [f.safety for f in r.findings] == ["manual"]  # `other`: no evidence either way
    assert "secure default" in r.findings[0].message


# TM209/TM210/TM211 ------------------------------------------------------------
def test_tm211_bare_import_adds_torchvision_and_positional():
    src = "from torchvision.models import resnet18\nnet = resnet18(True)\n"
    out = run(src, "TM211").new
    assert out == (
        "from torchvision.models import resnet18\nimport torchvision\n"
        "net = resnet18(weights=torchvision.models.ResNet18_Weights.IMAGENET1K_V1)\n"
    )


def test_tm211_unknown_arch_with_false_is_safe():
    src = "from torchvision import models\nnet = models.convnext_tiny(pretrained=False)\n"
    assert (
        run(src, "TM211").new
        == "from torchvision import models\nnet = models.convnext_tiny(weights=None)\n"
    )


def test_tm210_weight_norm_manual_when_weight_g_used():
    src = "import torch.nn as nn\nm = nn.utils.weight_norm(nn.Linear(2, 2))\nprint(m.weight_g)\n"
    r = run(src, "TM210")
    assert r.new == src and left(r, "TM210") == ["manual"]


# TM203/TM204 -------------------------------------------------------------------
def test_tm204_python_ints_not_reported_and_tm203_float_divisor_manual():
    src = "import torch\nidx = torch.arange(10)\nh = len(idx) // 2\nq = idx / 2.5\nm = idx // 3\n"
    r = run(src, "TM203", "TM204")
    assert left(r, "TM203") == ["manual"] and left(r, "TM204") == ["manual"]
    assert r.new == src


# all rules together -------------------------------------------------------------
def test_all_rules_together_idempotent():
    src = (
        "import torch\n"
        "import torch.optim as optim\n"
        "from torch.optim import lr_scheduler\n"
        "opt = optim.SGD(params, lr=0.1)\n"
        "sched = lr_scheduler.StepLR(opt, 1)\n"
        "for epoch in range(3):\n"
        "    sched.step()\n"
        "    for x in data:\n"
        "        opt.zero_grad()\n"
        "        X = torch.gesv(x, A)[0]\n"
        "        r = torch.range(0, 4)\n"
        "        opt.step()\n"
        "model = torch.load(path)\n"
        "model.eval()\n"
    )
    once = run(src)
    twice = run(once.new)
    assert twice.new == once.new
    assert "opt.zero_grad(set_to_none=False)" in once.new
    assert "torch.linalg.solve(A, x)" in once.new
    assert "torch.arange(0, 4 + 1, dtype=torch.get_default_dtype())" in once.new
    assert "weights_only=False" in once.new
    assert "model = torch.load(path, weights_only=False)\nmodel.eval()" in once.new


def test_tm210_cuda_default_tensor_type_is_reported_because_no_rewrite_is_equivalent():
    import threading

    torch = pytest.importorskip("torch")
    src = "import torch\ntorch.set_default_tensor_type('torch.cuda.FloatTensor')\n"
    res = migrate(src, [codemods.get_rule("TM210")], unsafe_fixes=True)
    assert res.new == src and [f.safety for f in res.findings] == ["manual"]
    # the message's claims, on 2.13 (the meta device stands in for CUDA)
    torch.set_default_device("meta")
    try:
        assert torch.zeros(2).device.type == "meta"
        assert torch.Tensor(2).device.type == "cpu"  # legacy constructors stay on the CPU
        assert torch.FloatTensor(2).device.type == "cpu"
        seen = []
        t = threading.Thread(target=lambda: seen.append(torch.zeros(1).device.type))
        t.start()
        t.join()
        assert seen == ["cpu"]  # thread-local
    finally:
        torch.set_default_device(None)
