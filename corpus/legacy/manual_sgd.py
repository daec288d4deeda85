# Linear and logistic regression "by hand": raw tensors, manual gradient steps.
from __future__ import print_function
import argparse
import torch
import torch.nn.functional as F
from torch.autograd import Variable

parser = argparse.ArgumentParser()
parser.add_argument('--steps', type=int, default=25)
parser.add_argument('--lr', type=float, default=0.1)
parser.add_argument('--seed', type=int, default=0)
args = parser.parse_args()

torch.manual_seed(args.seed)

N, D = 200, 5
lr = args.lr

# ---- data -------------------------------------------------------------------
x = torch.randn(N, D)
true_w = torch.randn(D, 1)
true_b = 0.5
y = torch.mm(x, true_w) + true_b + 0.1 * torch.randn(N, 1)
# a second, shifted copy of the inputs (x + 2) for the logistic part
x_shift = torch.add(x, 2.0, torch.ones(N, D))
labels = (torch.mm(x_shift, true_w) > torch.mm(x_shift, true_w).median()).float()

# ---- linear regression with plain SGD ---------------------------------------
w = Variable(torch.randn(D, 1), requires_grad=True)
b = Variable(torch.zeros(1), requires_grad=True)
xv, yv = Variable(x), Variable(y)

for t in range(args.steps):
    y_pred = xv.mm(w) + b
    loss = (y_pred - yv).pow(2).mean()
    loss.backward()

    w.data -= lr * w.grad.data
    b.data.sub_(lr * b.grad.data)

    w.grad.data.zero_()
    b.grad.data.zero_()

    if t % 5 == 0:
        print('[linear] step %2d  mse %.6f' % (t, loss.data[0]))

y_hat = torch.addmm(1, b.data.expand(N, 1), 1, x, w.data)
print('[linear] final mse %.6f  |w - w*| = %.4f  b = %.4f' % (
    (y_hat - y).pow(2).mean(), (w.data - true_w).norm(), b.data[0]))
print('[linear] learned w:', w.data.numpy().ravel().round(3))


def held_out_mse(w, b, n=50):
    x_te = torch.randn(n, D)
    y_te = (x_te.mm(true_w) + true_b).view(-1)     # flat targets, as in the 0.1 data loader
    y_pred = x_te.mm(w) + b
    return F.mse_loss(y_pred.view(n, 1), y_te)


# ---- logistic regression with Adagrad written out -----------------------------
w2 = Variable(torch.zeros(D, 1), requires_grad=True)
b2 = Variable(torch.zeros(1), requires_grad=True)
cache_w = torch.zeros(D, 1)
cache_b = torch.zeros(1)
xs, ys = Variable(x_shift), Variable(labels)

for t in range(args.steps):
    p = (xs.mm(w2) + b2).sigmoid().clamp(1e-6, 1 - 1e-6)
    loss = -(ys * p.log() + (1 - ys) * (1 - p).log()).mean()
    loss.backward()

    cache_w.addcmul_(1, w2.grad.data, w2.grad.data)
    cache_b.addcmul_(1, b2.grad.data, b2.grad.data)
    w2.data.addcdiv_(-lr, w2.grad.data, cache_w.sqrt().add_(1e-8))
    b2.data.addcdiv_(-lr, b2.grad.data, cache_b.sqrt().add_(1e-8))
    w2.grad.data.zero_()
    b2.grad.data.zero_()

    if t % 5 == 0:
        acc = ((p.data > 0.5).float() == labels).float().mean()
        print('[logistic] step %2d  nll %.6f  acc %.4f' % (t, loss.data[0], acc))

print('[linear] held-out mse %.6f' % held_out_mse(w.data, b.data).data[0])
