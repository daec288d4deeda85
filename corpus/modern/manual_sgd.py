# Linear and logistic regression "by hand": raw tensors, manual gradient steps.
from __future__ import print_function
import argparse
import torch
import torch.nn.functional as F

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
x_shift = torch.add(x, torch.ones(N, D), alpha=2.0)
labels = (torch.mm(x_shift, true_w) > torch.mm(x_shift, true_w).median()).float()

# ---- linear regression with plain SGD ---------------------------------------
w = torch.randn(D, 1).requires_grad_()
b = torch.zeros(1).requires_grad_()
xv, yv = x, y

for t in range(args.steps):
    y_pred = xv.mm(w) + b
    loss = (y_pred - yv).pow(2).mean()
    loss.backward()

    with torch.no_grad():
        w -= lr * w.grad
        b.sub_(lr * b.grad)

        w.grad.zero_()
        b.grad.zero_()

    if t % 5 == 0:
        print('[linear] step %2d  mse %.6f' % (t, loss.item()))

y_hat = torch.addmm(b.detach().expand(N, 1), x, w.detach(), beta=1, alpha=1)
print('[linear] final mse %.6f  |w - w*| = %.4f  b = %.4f' % (
    (y_hat - y).pow(2).mean(), (w.detach() - true_w).norm(), b.detach()[0]))
print('[linear] learned w:', w.detach().numpy().ravel().round(3))


def held_out_mse(w, b, n=50):
    x_te = torch.randn(n, D)
    y_te = (x_te.mm(true_w) + true_b).view(-1)     # flat targets, as in the 0.1 data loader
    y_pred = x_te.mm(w) + b
    return F.mse_loss(y_pred.view(n, 1), y_te)


# ---- logistic regression with Adagrad written out -----------------------------
w2 = torch.zeros(D, 1).requires_grad_()
b2 = torch.zeros(1).requires_grad_()
cache_w = torch.zeros(D, 1)
cache_b = torch.zeros(1)
xs, ys = x_shift, labels

for t in range(args.steps):
    p = (xs.mm(w2) + b2).sigmoid().clamp(1e-6, 1 - 1e-6)
    loss = -(ys * p.log() + (1 - ys) * (1 - p).log()).mean()
    loss.backward()

    cache_w.addcmul_(w2.grad.detach(), w2.grad.detach(), value=1)
    cache_b.addcmul_(b2.grad.detach(), b2.grad.detach(), value=1)
    with torch.no_grad():
        w2.addcdiv_(w2.grad, cache_w.sqrt().add_(1e-8), value=-lr)
        b2.addcdiv_(b2.grad, cache_b.sqrt().add_(1e-8), value=-lr)
        w2.grad.zero_()
        b2.grad.zero_()

    if t % 5 == 0:
        acc = ((p.detach() > 0.5).float() == labels).float().mean().item()
        print('[logistic] step %2d  nll %.6f  acc %.4f' % (t, loss.item(), acc))

print('[linear] held-out mse %.6f' % held_out_mse(w.detach(), b.detach()).item())
