# Toy domain-adversarial training (DANN) with hand-written autograd Functions:
# a gradient reversal layer and a clamped ReLU with a custom backward.
from __future__ import print_function
import argparse
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.autograd import Variable, Function

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
    def __init__(self, lambd):
        super(GradientReversal, self).__init__()
        self.lambd = lambd

    def forward(self, x):
        return x.view_as(x)

    def backward(self, grad_output):
        return grad_output * -self.lambd


class ClampedReLU(Function):
    """min(max(x, lo), hi) with a straight-through gradient inside [lo, hi]"""
    def __init__(self, lo=0.0, hi=6.0):
        super(ClampedReLU, self).__init__()
        self.lo = lo
        self.hi = hi

    def forward(self, input):
        self.save_for_backward(input)
        return input.clamp(min=self.lo, max=self.hi)

    def backward(self, grad_output):
        input, = self.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < self.lo] = 0
        grad_input[input > self.hi] = 0
        return grad_input


class DANN(nn.Module):
    def __init__(self, n_in, n_hidden):
        super(DANN, self).__init__()
        self.feature = nn.Linear(n_in, n_hidden)
        self.classifier = nn.Linear(n_hidden, 2)
        self.domain = nn.Linear(n_hidden, 2)

    def forward(self, x, lambd):
        h = ClampedReLU(0.0, 6.0)(self.feature(x))
        class_out = F.log_softmax(self.classifier(h), dim=1)
        domain_out = F.log_softmax(self.domain(GradientReversal(lambd)(h)), dim=1)
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


def accuracy(x, y):
    model.eval()
    class_out, _ = model(Variable(x, volatile=True), 0.0)
    pred = class_out.data.max(1)[1]
    model.train()
    return pred.eq(y).float().mean()


for step in range(1, args.steps + 1):
    p = float(step) / args.steps
    lambd = 2. / (1. + np.exp(-10 * p)) - 1
    perm_s = torch.randperm(512)[:args.batch_size]
    perm_t = torch.randperm(512)[:args.batch_size]
    xs, ys = Variable(src_x[perm_s]), Variable(src_y[perm_s])
    xt = Variable(tgt_x[perm_t])
    dom_labels = Variable(torch.cat([torch.zeros(args.batch_size),
                                     torch.ones(args.batch_size)]).long())

    optimizer.zero_grad()
    class_out, dom_s = model(xs, float(lambd))
    _, dom_t = model(xt, float(lambd))
    loss_cls = F.nll_loss(class_out, ys)
    loss_dom = F.nll_loss(torch.cat([dom_s, dom_t], 0), dom_labels)
    loss = loss_cls + loss_dom
    loss.backward()
    optimizer.step()

    if step % args.log_every == 0:
        print('step %d  lambda %.3f  cls loss %.4f  domain loss %.4f' % (
            step, lambd, loss_cls.data[0], loss_dom.data[0]))

print('source acc %.4f  target acc %.4f' % (accuracy(src_x, src_y), accuracy(tgt_x, tgt_y)))
