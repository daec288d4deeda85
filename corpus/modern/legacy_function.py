# Toy domain-adversarial training (DANN) with hand-written autograd Functions:
# a gradient reversal layer and a clamped ReLU with a custom backward.
from __future__ import print_function
import argparse
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.autograd import Function

parser = argparse.ArgumentParser()
parser.add_argument('--steps', type=int, default=30)
parser.add_argument('--batch_size', type=int, default=32)
parser.add_argument('--lr', type=float, default=0.05)
parser.add_argument('--seed', type=int, default=11)
parser.add_argument('--log_every', type=int, default=5)
args = parser.parse_args()

torch.manual_seed(args.seed)
np.random.seed(args.seed)


class GradientReversal(Function):
    """identity on the forward pass, multiplies the gradient by -lambd on the way back"""
    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = lambd
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * -ctx.lambd, None


class ClampedReLU(Function):
    """min(max(x, lo), hi) with a straight-through gradient inside [lo, hi]"""
    @staticmethod
    def forward(ctx, input, lo=0.0, hi=6.0):
        ctx.lo = lo
        ctx.hi = hi
        ctx.save_for_backward(input)
        return input.clamp(min=ctx.lo, max=ctx.hi)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < ctx.lo] = 0
        grad_input[input > ctx.hi] = 0
        return grad_input, None, None


class DANN(nn.Module):
    def __init__(self, n_in, n_hidden):
        super(DANN, self).__init__()
        self.feature = nn.Linear(n_in, n_hidden)
        self.classifier = nn.Linear(n_hidden, 2)
        self.domain = nn.Linear(n_hidden, 2)

    def forward(self, x, lambd):
        h = ClampedReLU.apply(self.feature(x), 0.0, 6.0)
        class_out = F.log_softmax(self.classifier(h), dim=1)
        domain_out = F.log_softmax(self.domain(GradientReversal.apply(h, lambd)), dim=1)
        return class_out, domain_out


# source domain: labelled; target domain: same rule, shifted and rescaled inputs
n_in = 10
w_true = torch.randn(n_in)
src_x = torch.randn(512, n_in)
src_y = (src_x.mv(w_true) > 0).long()
tgt_x = torch.randn(512, n_in) * 1.5 + 0.5
tgt_y = (tgt_x.mv(w_true) > 0).long()

model = DANN(n_in, 32)
optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)


@torch.no_grad()
def accuracy(x, y):
    model.eval()
    class_out, _ = model(x, 0.0)
    pred = class_out.detach().max(1)[1]
    model.train()
    return pred.eq(y).float().mean()


for step in range(1, args.steps + 1):
    p = float(step) / args.steps
    lambd = 2. / (1. + np.exp(-10 * p)) - 1
    perm_s = torch.randperm(512)[:args.batch_size]
    perm_t = torch.randperm(512)[:args.batch_size]
    xs, ys = src_x[perm_s], src_y[perm_s]
    xt = tgt_x[perm_t]
    dom_labels = torch.cat([torch.zeros(args.batch_size),
                            torch.ones(args.batch_size)]).long()

    optimizer.zero_grad(set_to_none=False)
    class_out, dom_s = model(xs, float(lambd))
    _, dom_t = model(xt, float(lambd))
    loss_cls = F.nll_loss(class_out, ys)
    loss_dom = F.nll_loss(torch.cat([dom_s, dom_t], 0), dom_labels)
    loss = loss_cls + loss_dom
    loss.backward()
    optimizer.step()

    if step % args.log_every == 0:
        print('step %d  lambda %.3f  cls loss %.4f  domain loss %.4f' % (
            step, lambd, loss_cls.item(), loss_dom.item()))

print('source acc %.4f  target acc %.4f' % (accuracy(src_x, src_y), accuracy(tgt_x, tgt_y)))
