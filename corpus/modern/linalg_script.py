# Least squares + a small Gaussian-process regression written against the
# torch 0.3 linear-algebra API (gels / gesv / potrf / potrs / trtrs / symeig).
from __future__ import print_function
import argparse
import math
import torch
import torch.optim as optim

parser = argparse.ArgumentParser()
parser.add_argument('--noise', type=float, default=0.1)
parser.add_argument('--steps', type=int, default=8)
parser.add_argument('--lr', type=float, default=0.5)
parser.add_argument('--seed', type=int, default=2)
args = parser.parse_args()

torch.manual_seed(args.seed)

# 10 inputs on a regular grid in [0, 1] (torch.range includes the end point)
x_tr = (torch.arange(0, 9 + 1, dtype=torch.get_default_dtype()) / 9.0).double().unsqueeze(1)
y_tr = torch.sin(2 * math.pi * x_tr) + args.noise * torch.randn(10, 1).double()
x_val = x_tr[:-1] + 0.5 / 9.0
y_val = torch.sin(2 * math.pi * x_val)

# ---- 1. polynomial least squares ----------------------------------------------
A = torch.cat([torch.ones(10, 1).double(), x_tr, x_tr.pow(2), x_tr.pow(3)], 1)
sol = torch.linalg.lstsq(A, y_tr).solution
coef = sol[:4]
print('lstsq coefficients:', ' '.join('%.4f' % c for c in coef.squeeze(1)))

# same thing through the normal equations
w_ne = torch.linalg.solve(A.t().mm(A), A.t().mm(y_tr))
if (w_ne - coef).abs().max() < 1e-4:
    print('normal equations agree')
resid = y_tr - A.mm(coef)
print('residual norm %.4f, design matrix norm %.4f' % (resid.norm(), torch.linalg.vector_norm(A, ord=2)))

# rank-one projector onto the fitted values
fit = A.mm(coef).squeeze(1)
P = torch.outer(fit, fit) / fit.dot(fit)
print('projector trace %.4f' % P.trace())


# ---- 2. Gaussian process with an RBF kernel ------------------------------------
def rbf(a, b, log_ls):
    d2 = (a - b.t()).pow(2)
    return torch.exp(-0.5 * d2 / torch.exp(2 * log_ls))


def gp_fit(log_ls):
    """posterior weights alpha = K^-1 y via the Cholesky factor (no gradient)"""
    K = rbf(x_tr, x_tr, log_ls) + args.noise ** 2 * torch.eye(10).double()
    U = torch.linalg.cholesky(K).mH                       # K = U^T U
    alpha = torch.cholesky_solve(y_tr, U, upper=True)
    v = torch.linalg.solve_triangular(U.t(), y_tr, upper=False)
    nll = 0.5 * v.pow(2).sum() + U.diag().log().sum() + 5 * math.log(2 * math.pi)
    return K, alpha, nll


log_ls = torch.tensor([math.log(0.5)], dtype=torch.float64).requires_grad_()
optimizer = optim.SGD([log_ls], lr=args.lr)

for step in range(args.steps):
    K, alpha, nll = gp_fit(log_ls.detach())
    optimizer.zero_grad(set_to_none=False)
    K_val = rbf(x_val, x_tr, log_ls)
    pred = K_val.mm(alpha)
    loss = (pred - y_val).pow(2).mean()
    loss.backward()
    optimizer.step()
    print('step %d  lengthscale %.4f  val mse %.5f  train nll %.4f' % (
        step, math.exp(log_ls.detach()[0]), loss.item(), nll))

K, alpha, nll = gp_fit(log_ls.detach())
e, V = torch.linalg.eigh(K, UPLO='U')
print('kernel eigenvalues: min %.5f  max %.4f  cond %.1f' % (e.min(), e.max(), e.max() / e.min()))
if (V.mm(torch.diag(e)).mm(V.t()) - K).abs().max() < 1e-8:
    print('eigendecomposition ok')
