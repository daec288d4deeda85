"""Hand-rolled optimisers (Adam for the body, momentum SGD for the output
layer) written against the raw tensor API, on a residual MLP regressor.
"""
from __future__ import print_function
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument('--iters', type=int, default=30)
parser.add_argument('--lr', type=float, default=5e-3)
parser.add_argument('--sgd-lr', type=float, default=0.02)
parser.add_argument('--momentum', type=float, default=0.9)
parser.add_argument('--seed', type=int, default=5)
args = parser.parse_args()

torch.manual_seed(args.seed)


class ResidualMLP(nn.Module):
    def __init__(self, d_in, d_hid, d_out):
        super(ResidualMLP, self).__init__()
        self.W1 = nn.Parameter(torch.randn(d_in, d_hid) * 0.1)
        self.b1 = nn.Parameter(torch.zeros(1, d_hid))
        self.fc2 = nn.Linear(d_hid, d_hid)
        self.out = nn.Linear(d_hid, d_out)

    def forward(self, x):
        # h = 0.5 * b1 + 2 * x W1
        bias = self.b1.expand(x.size(0), self.W1.size(1))
        h = F.relu(torch.addmm(bias, x, self.W1, beta=0.5, alpha=2.0))
        # residual branch scaled by 0.5
        h = torch.add(h, F.relu(self.fc2(h)), alpha=0.5)
        return self.out(h)


class ManualAdam(object):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.state = [{'step': 0,
                       'exp_avg': torch.zeros(p.size()),
                       'exp_avg_sq': torch.zeros(p.size())} for p in self.params]

    def zero_grad(self):
        for p in self.params:
            if p.grad is not None:
                with torch.no_grad():
                    p.grad.zero_()

    def step(self):
        beta1, beta2 = self.betas
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            grad = p.grad.detach()
            exp_avg, exp_avg_sq = state['exp_avg'], state['exp_avg_sq']
            state['step'] += 1

            exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            denom = exp_avg_sq.sqrt().add_(self.eps)

            bias_correction1 = 1 - beta1 ** state['step']
            bias_correction2 = 1 - beta2 ** state['step']
            step_size = self.lr * math.sqrt(bias_correction2) / bias_correction1
            with torch.no_grad():
                p.addcdiv_(exp_avg, denom, value=-step_size)


def sgd_momentum_step(params, buffers, lr, momentum):
    for p, buf in zip(params, buffers):
        d_p = p.grad.detach()
        buf.mul_(momentum).add_(d_p)
        with torch.no_grad():
            p.add_(buf, alpha=-lr)


model = ResidualMLP(8, 24, 1)
body = [model.W1, model.b1] + list(model.fc2.parameters())
head = list(model.out.parameters())
adam = ManualAdam(body, lr=args.lr)
head_bufs = [torch.zeros(p.size()) for p in head]

X = torch.randn(128, 8)
true_w = torch.randn(8, 1)
Y = torch.sin(X.mm(true_w)) + 0.1 * torch.randn(128, 1)

for it in range(args.iters):
    x, y = X, Y
    adam.zero_grad()
    model.out.zero_grad(set_to_none=False)
    loss = F.mse_loss(model(x), y)
    loss.backward()
    adam.step()
    sgd_momentum_step(head, head_bufs, args.sgd_lr, args.momentum)
    if it % 3 == 0:
        print('iter %2d  loss %.6f  |W1| %.6f  |out.w| %.6f' % (
            it, loss.item(), model.W1.detach().norm(), model.out.weight.detach().norm()))
