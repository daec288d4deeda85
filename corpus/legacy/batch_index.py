"""Softmax classifier on synthetic 3-class data, with the usual debugging
prints of individual predictions (first sample of the batch, its top-2
classes, a single input feature) and a numpy confusion matrix at the end.
"""
from __future__ import print_function
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Variable

parser = argparse.ArgumentParser()
parser.add_argument('--steps', type=int, default=12)
parser.add_argument('--batch-size', type=int, default=24)
parser.add_argument('--lr', type=float, default=0.05)
parser.add_argument('--seed', type=int, default=3)
args = parser.parse_args()

torch.manual_seed(args.seed)
np.random.seed(args.seed)

n_classes, n_feat = 3, 6
W_gen = np.random.randn(n_feat, n_classes).astype(np.float32)
X_all = np.random.randn(600, n_feat).astype(np.float32)
y_all = (X_all.dot(W_gen) + 0.5 * np.random.randn(600, n_classes)).argmax(1)

model = nn.Sequential(
    nn.Linear(n_feat, 16),
    nn.ReLU(),
    nn.Linear(16, n_classes),
)
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)

for step in range(args.steps):
    idx = np.random.choice(len(X_all), args.batch_size, replace=False)
    x = Variable(torch.from_numpy(X_all[idx]), requires_grad=True)
    y = Variable(torch.from_numpy(y_all[idx]))

    out = model(x)
    loss = F.cross_entropy(out, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

    pred = out.max(1)[1]
    acc = (pred == y).float().mean()
    # saliency of the first input feature for the first sample
    sal = x.grad.data.abs()
    print('step %2d  loss %.5f  acc %.3f  |dL/dx[0][1]| %.5f' % (
        step, loss.data[0], acc.data[0], sal[0][1]))

    if step % 4 == 0:
        logits0 = out.data[0].numpy()
        probs = F.softmax(out, dim=1)
        top_p, top_c = probs.data[0].topk(2)
        print('  sample 0: x[1]=%.4f logits %s top-2 %s p %s' % (
            x.data[0][1], np.array2string(logits0, precision=4),
            top_c.tolist(), ['%.3f' % p for p in top_p]))

# final evaluation over the whole set
x = Variable(torch.from_numpy(X_all))
output = model(x)
scores = output.data.cpu().numpy()
inputs_np = x.cpu().data.numpy()
conf = np.zeros((n_classes, n_classes), dtype=np.int64)
for t, p in zip(y_all, scores.argmax(1)):
    conf[t, p] += 1
print('confusion matrix:\n%s' % conf)
print('overall accuracy %.4f (inputs %s)' % (np.trace(conf) / float(conf.sum()), inputs_np.shape))
