"""Logistic regression written with the pre-0.4 typed tensor API: typed
constructors, ``.new``, byte masks and explicit type checks.
"""
from __future__ import print_function
import argparse

import numpy as np
import torch

parser = argparse.ArgumentParser()
parser.add_argument('--no-cuda', action='store_true', default=False)
parser.add_argument('--iters', type=int, default=25)
parser.add_argument('--lr', type=float, default=0.5)
parser.add_argument('--seed', type=int, default=11)
args = parser.parse_args()

use_cuda = torch.cuda.is_available() and not args.no_cuda
dtype = torch.cuda.FloatTensor if use_cuda else torch.FloatTensor

torch.manual_seed(args.seed)
np.random.seed(args.seed)


def to_numpy(x):
    if isinstance(x, torch.Tensor):
        x = x.detach()
    return x.cpu().numpy()


def describe(t):
    if t.type() == 'torch.FloatTensor':
        kind = 'float'
    elif t.type() == 'torch.LongTensor':
        kind = 'long'
    else:
        kind = 'other'
    return '%s%s' % (kind, list(t.size()))


# features come from numpy (float64) and are cast on the way in
X_np = np.random.randn(200, 3)
X = torch.as_tensor(X_np, dtype=torch.float32)
labels_list = [int(row[0] + 0.5 * row[1] > 0) for row in X_np]
y = torch.tensor(labels_list, dtype=torch.int64)
keep = torch.tensor([int(i % 10 != 0) for i in range(200)], dtype=torch.bool)  # drop every 10th sample
print('X:', describe(X), 'y:', describe(y), 'kept:', int(keep.sum()))

X_train, y_train = X[keep], y[keep]
y_float = y_train.type(torch.FloatTensor)

W = X.new_empty((3, 1)).normal_().mul_(0.01)
b = torch.empty(1).fill_(0)
class_weights = X.new_tensor([1, 2])  # up-weight the positive class
W, b = W.type(dtype).detach().requires_grad_(), b.type(dtype).detach().requires_grad_()
x_var, t_var = X_train.type(dtype), y_float.type(dtype)
sample_w = class_weights.index_select(0, y_train)

history = torch.empty(args.iters, dtype=torch.float64).zero_()
grad_acc = torch.empty(3, 1, dtype=torch.float32).zero_()
for it in range(args.iters):
    logits = x_var.mm(W).squeeze(1) + b.expand(x_var.size(0))
    p = torch.sigmoid(logits)
    nll = -(t_var * torch.log(p + 1e-6) + (1 - t_var) * torch.log(1 - p + 1e-6))
    loss = (sample_w * nll).sum() / sample_w.sum()
    loss.backward()
    grad_acc += W.grad.detach().cpu()
    with torch.no_grad():
        W -= args.lr * W.grad
        b -= args.lr * b.grad
        W.grad.zero_()
        b.grad.zero_()
    history[it] = loss.item()
    if it % 5 == 0:
        print('iter %2d  weighted nll %.6f' % (it, loss.item()))

pred = (to_numpy(x_var.mm(W).squeeze(1) + b.expand(x_var.size(0))) > 0).astype(np.int64)
print('train accuracy %.4f' % (pred == to_numpy(y_train)).mean())
print('loss history (double): first %.6f last %.6f' % (history[0], history[-1]))
print('accumulated grad', to_numpy(grad_acc).ravel().round(5).tolist(), describe(grad_acc))
