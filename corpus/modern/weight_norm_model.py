"""Weight-normalised MLP regressor (Salimans & Kingma 2016) on a synthetic
1-D regression task.  Gradient clipping as in our RNN code.
"""
from __future__ import print_function
import argparse
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument('--hidden', type=int, default=32)
parser.add_argument('--lr', type=float, default=3e-3)
parser.add_argument('--iters', type=int, default=40)
parser.add_argument('--clip', type=float, default=0.5, help='gradient clipping')
parser.add_argument('--seed', type=int, default=1111)
args = parser.parse_args()

torch.manual_seed(args.seed)
np.random.seed(args.seed)

# y = sin(3 <w, x>) + noise
D = 10
w_true = np.random.randn(D).astype(np.float32) / math.sqrt(D)
X = np.random.randn(512, D).astype(np.float32)
Y = (np.sin(3 * X.dot(w_true)) + 0.05 * np.random.randn(512)).astype(np.float32)
X_train, Y_train = torch.from_numpy(X[:384]), torch.from_numpy(Y[:384]).view(-1, 1)
X_val, Y_val = torch.from_numpy(X[384:]), torch.from_numpy(Y[384:]).view(-1, 1)


def wn_linear(n_in, n_out, init_bias=0.0):
    layer = nn.Linear(n_in, n_out)
    nn.init.kaiming_normal_(layer.weight)
    nn.init.constant_(layer.bias, init_bias)
    return nn.utils.parametrizations.weight_norm(layer)


class WNMLP(nn.Module):
    def __init__(self, n_in, n_hidden):
        super(WNMLP, self).__init__()
        self.fc1 = wn_linear(n_in, n_hidden, 0.1)
        self.fc2 = wn_linear(n_hidden, n_hidden, 0.1)
        self.out = wn_linear(n_hidden, 1)

    def forward(self, x):
        h = torch.tanh(self.fc1(x))
        h = torch.tanh(self.fc2(h))
        return self.out(h)


model = WNMLP(D, args.hidden)
print('parameters:', sum(p.numel() for p in model.parameters()))
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

batch_size = 64
for it in range(args.iters):
    i = (it * batch_size) % X_train.size(0)
    x = X_train[i:i + batch_size]
    y = Y_train[i:i + batch_size]
    model.zero_grad(set_to_none=False)
    loss = F.mse_loss(model(x), y)
    loss.backward()
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
    optimizer.step()
    if it % 5 == 0:
        with torch.no_grad():
            val_loss = F.mse_loss(model(X_val), Y_val)
        print('iter {:3d} | loss {:.6f} | grad norm {:.4f} | val {:.6f}'.format(
            it, loss.item(), grad_norm, val_loss.item()))
