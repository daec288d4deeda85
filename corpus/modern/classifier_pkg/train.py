# Train an MLP on synthetic blobs: the repo's own optimizer wrapper, star imports everywhere.
from __future__ import print_function
import argparse
import torch
import torch.optim as optim
from model import *
from schedule import ScheduledOptim

parser = argparse.ArgumentParser(description='blob classifier')
parser.add_argument('--epochs', type=int, default=3)
parser.add_argument('--batch-size', type=int, default=32)
parser.add_argument('--lr', type=float, default=0.1)
parser.add_argument('--seed', type=int, default=3)
args = parser.parse_args()

torch.manual_seed(args.seed)
X, Y = make_blobs(320, 10, 4, args.seed)
X_val, Y_val = make_blobs(96, 10, 4, args.seed + 1)

model = MLP(10, 32, 4)
optimizer = ScheduledOptim(
    optim.SGD(model.parameters(), lr=args.lr, momentum=0.9),
    n_warmup_steps=8, init_lr=args.lr)


@torch.no_grad()
def evaluate(x, y):
    model.eval()
    output = model(x)
    loss = F.nll_loss(output, y)
    return loss.item(), accuracy(output, y)


for epoch in range(1, args.epochs + 1):
    model.train()
    losses = AverageMeter()
    for i in range(0, X.size(0), args.batch_size):
        data, target = X[i:i + args.batch_size], Y[i:i + args.batch_size]
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.update(loss.item(), data.size(0))
    val_loss, val_acc = evaluate(X_val, Y_val)
    print('epoch {} train loss {:.4f} val loss {:.4f} val acc {:.1f}%'.format(
        epoch, losses.avg, val_loss, val_acc))
