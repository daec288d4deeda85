"""Multi-task regression/classification with a shared trunk.  The two task
losses are back-propagated separately (so their gradients can be inspected),
the middle of the trunk is checkpointed to save memory, and a backward hook
logs the gradient norm reaching the trunk output.
"""
from __future__ import print_function
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint

parser = argparse.ArgumentParser()
parser.add_argument('--iters', type=int, default=8)
parser.add_argument('--lr', type=float, default=0.05)
parser.add_argument('--reg-weight', type=float, default=0.5)
parser.add_argument('--feat-penalty', type=float, default=1e-3)
parser.add_argument('--seed', type=int, default=2)
args = parser.parse_args()

torch.manual_seed(args.seed)

# inputs are points on a 6x6 grid plus noise features
xs = torch.linspace(-1, 1, 6)
ys = torch.linspace(-1, 1, 6)
gx, gy = torch.meshgrid(xs, ys, indexing='ij')
coords = torch.stack([gx.contiguous().view(-1), gy.contiguous().view(-1)], 1)   # 36 x 2
inputs = torch.cat([coords, 0.1 * torch.randn(36, 4)], 1)                      # 36 x 6
cls_target = (coords[:, 0] * coords[:, 1] > 0).long()
reg_target = (coords ** 2).sum(1, keepdim=True)


class MultiTaskNet(nn.Module):
    def __init__(self):
        super(MultiTaskNet, self).__init__()
        self.stem = nn.Linear(6, 32)
        self.middle = nn.Sequential(nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 32))
        self.trunk_act = nn.ReLU()
        self.cls_head = nn.Linear(32, 2)
        self.reg_head = nn.Linear(32, 1)

    def forward(self, x):
        h = torch.tanh(self.stem(x))
        h = torch.utils.checkpoint.checkpoint(self.middle, h, use_reentrant=True)
        feat = self.trunk_act(h)
        return feat, self.cls_head(feat), self.reg_head(feat)


grad_norms = []


def log_grad_norm(module, grad_input, grad_output):
    grad_norms.append(grad_output[0].detach().norm())


def count_graph_nodes(fn, seen=None):
    """Walk the autograd graph from a function node (debugging helper)."""
    if seen is None:
        seen = set()
    if fn is None or fn in seen:
        return 0
    seen.add(fn)
    return 1 + sum(count_graph_nodes(f, seen) for f, _ in fn.next_functions)


model = MultiTaskNet()
model.trunk_act.register_backward_hook(log_grad_norm)
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)

x = inputs
y_cls, y_reg = cls_target, reg_target
for it in range(args.iters):
    optimizer.zero_grad(set_to_none=False)
    feat, logits, pred = model(x)
    loss_cls = F.cross_entropy(logits, y_cls)
    loss_reg = args.reg_weight * F.mse_loss(pred, y_reg)
    if it == 0:
        print('graph root: %s, %d nodes' % (type(loss_cls.grad_fn).__name__,
                                            count_graph_nodes(loss_cls.grad_fn)))
    del grad_norms[:]
    if it % 2 == 0:
        # separate passes through the shared trunk
        loss_cls.backward(retain_graph=True)
        cls_grad = model.stem.weight.grad.detach().norm()
        loss_reg.backward()
        print('iter %d  cls %.5f  reg %.5f  |g_stem| cls %.5f total %.5f  hook %s' % (
            it, loss_cls.item(), loss_reg.item(), cls_grad,
            model.stem.weight.grad.detach().norm(), ['%.5f' % g for g in grad_norms]))
    else:
        # joint pass, then a small penalty on the trunk features
        torch.autograd.backward([loss_cls, loss_reg], retain_graph=True)
        penalty = args.feat_penalty * feat.pow(2).mean()
        penalty.backward()
        print('iter %d  cls %.5f  reg %.5f  penalty %.6f  hook %s' % (
            it, loss_cls.item(), loss_reg.item(), penalty.item(),
            ['%.5f' % g for g in grad_norms]))
    optimizer.step()
