# Behaviours that torch 1.0-1.4 still has and the legacy runtime emulates on torch 2.x.
# Prints "key: values"; tests/harness/test_genuine.py runs it under both and compares.
# (Python 2.7 and 3.x; no randomness, so no seed alignment is needed.)
from __future__ import print_function

import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

warnings.simplefilter("ignore")


def show(key, value):
    if isinstance(value, torch.Tensor):
        value = value.detach().double().reshape(-1).tolist()
    elif isinstance(value, (list, tuple)):
        value = [float(v) for v in value]
    else:
        value = [float(value)]
    print("%s: %s" % (key, " ".join("%.6g" % v for v in value)))


a = torch.LongTensor([7, -7, 9])
show("int_div", a / 2)
show("int_div_tensor", a / torch.LongTensor([2, 2, 4]))
show("int_floordiv", a // 2)
b = a.clone()
b /= 2
show("int_idiv", b)

x = torch.Tensor([1, 2, 3, 4])
m = (x > 2)
mu = m.type(torch.ByteTensor) if m.dtype != torch.uint8 else m
show("mask_fill", x.masked_fill(mu, 0))
show("mask_index", x[mu])
show("mask_invert", 1 - mu)
show("mask_select", x.masked_select(mu))

w = nn.Linear(3, 2)
with torch.no_grad():
    w.weight.copy_(torch.Tensor([[1, 2, 3], [4, 5, 6]]))
    w.bias.copy_(torch.Tensor([0.5, -0.5]))
opt = torch.optim.SGD(w.parameters(), lr=0.1, momentum=0.9)
for _ in range(2):
    opt.zero_grad()
    w(torch.ones(1, 3)).sum().backward()
    opt.step()
opt.zero_grad()
show("zero_grad_is_zeros", [0 if w.weight.grad is None else 1, float(w.weight.grad.abs().sum())])
show("sgd_momentum_weight", w.weight)

s = torch.Tensor([[1, 2, 3], [3, 2, 1]])
show("softmax_implicit_2d", F.softmax(s))
show("softmax_implicit_3d", F.softmax(s.view(1, 2, 3)))
target = torch.Tensor([[0, 1, 0], [1, 0, 0]])
show("mse_size_average_false", F.mse_loss(s, target, size_average=False))
show("mse_reduce_false", F.mse_loss(s, target, reduce=False))


class MulConst(torch.autograd.Function):
    def __init__(self, k):
        super(MulConst, self).__init__()
        self.k = k

    def forward(self, inp):
        self.save_for_backward(inp)
        return inp * self.k

    def backward(self, grad):
        return grad * self.k


leaf = torch.ones(3, requires_grad=True)
MulConst(3.0)(leaf).sum().backward()
show("legacy_function_grad", leaf.grad)

A = torch.Tensor([[4, 1, 0], [1, 3, 1], [0, 1, 2]]).double()
B = torch.Tensor([[1], [2], [3]]).double()
if hasattr(torch, "gesv"):
    show("gesv", torch.gesv(B, A)[0])
if hasattr(torch, "potrf"):
    show("potrf_upper", torch.potrf(A))
show("symeig_values", torch.symeig(A)[0])
show("eig_values", torch.eig(A)[0])

sig = torch.Tensor([0, 1, 0, -1, 0, 1, 0, -1]).double()
show("rfft", torch.rfft(sig, 1))
show("fft", torch.fft(torch.stack([sig, sig * 0], -1), 1))
show("irfft", torch.irfft(torch.rfft(sig, 1), 1, signal_sizes=(8,)))
win = torch.ones(4).double()
show("stft", torch.stft(sig, 4, hop_length=2, window=win))

opt2 = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
sched = torch.optim.lr_scheduler.StepLR(opt2, step_size=1, gamma=0.5)
lrs = []
for epoch in range(3):
    sched.step()  # the 0.3 loop: step at the start of each epoch
    lrs.append(opt2.param_groups[0]["lr"])
show("steplr_start_of_epoch", lrs)
