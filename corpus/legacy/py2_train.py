# Python 2 training script: MLP classifier on three Gaussian blobs.
import argparse
import sys
import cPickle as pickle
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.autograd import Variable

parser = argparse.ArgumentParser()
parser.add_argument('--epochs', type=int, default=4)
parser.add_argument('--hidden', type=str, default='32,16',
                    help='comma separated hidden layer sizes')
parser.add_argument('--batch_size', type=int, default=30)
parser.add_argument('--lr', type=float, default=0.05)
parser.add_argument('--seed', type=int, default=5)
parser.add_argument('--name', type=str, default='blobs-mlp')
args = parser.parse_args()
run_name = unicode(args.name)
hidden = map(int, args.hidden.split(','))

use_cuda = torch.cuda.is_available()
torch.manual_seed(args.seed)
rng = np.random.RandomState(args.seed)

# three blobs in 2-D, 80 points each
centers = np.array([[0., 0.], [2., 2.], [-2., 2.]])
xs, ys = [], []
for c in xrange(3):
    xs.append(rng.randn(80, 2) * 0.8 + centers[c])
    ys.append(np.ones(80, dtype=np.int64) * c)
perm = rng.permutation(240)
data_x = torch.from_numpy(np.concatenate(xs)[perm]).float()
data_y = torch.from_numpy(np.concatenate(ys)[perm])
train_x, train_y = data_x[:180], data_y[:180]
val_x, val_y = data_x[180:], data_y[180:]

n_batches = len(train_x) / args.batch_size
print "%d training samples, %d batches per epoch" % (len(train_x), n_batches)


class MLP(nn.Module):
    def __init__(self):
        super(MLP, self).__init__()
        self.fc1 = nn.Linear(2, hidden[0])
        self.fc2 = nn.Linear(hidden[0], hidden[-1])
        self.fc3 = nn.Linear(hidden[-1], 3)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


model = MLP()
if use_cuda:
    model.cuda()
optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
criterion = nn.CrossEntropyLoss()
n_params = sum(reduce(lambda a, b: a * b, p.size()) for p in model.parameters())
print "%s: %d parameters" % (run_name, n_params)


def iterate_minibatches(x, y, batch_size):
    for i in xrange(0, len(x), batch_size):
        yield x[i:i + batch_size], y[i:i + batch_size]


# sanity check of the batch shapes before training
first_x, first_y = iterate_minibatches(train_x, train_y, args.batch_size).next()
print "first batch: x %s, y %s" % (tuple(first_x.size()), tuple(first_y.size()))

history = {'train_loss': []}
best_loss, best_epoch = sys.maxint, 0
n_seen = long(0)


def run_validation():
    model.eval()
    x, y = val_x, val_y
    if use_cuda:
        x, y = x.cuda(async=True), y.cuda(async=True)
    out = model(Variable(x, volatile=True))
    loss = criterion(out, Variable(y, volatile=True)).data[0]
    pred = out.data.max(1)[1]
    correct = pred.eq(y).sum()
    model.train()
    return loss, correct, len(y)


for epoch in xrange(1, args.epochs + 1):
    epoch_loss = 0.
    for x, y in iterate_minibatches(train_x, train_y, args.batch_size):
        n_seen += len(x)
        if use_cuda:
            x, y = x.cuda(async=True), y.cuda(async=True)
        x, y = Variable(x), Variable(y)
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        epoch_loss += loss.data[0]
    history['train_loss'].append(epoch_loss / n_batches)

    val_loss, correct, total = run_validation()
    if not history.has_key('val_correct'):
        history['val_correct'] = []
    history['val_correct'].append(correct)
    if val_loss < best_loss:
        best_loss, best_epoch = val_loss, epoch
    print "epoch %d  train loss %.4f  val loss %.4f  val acc %d%%" % (
        epoch, epoch_loss / n_batches, val_loss, 100 * correct / total)

try:
    blob = pickle.dumps(history, protocol=2)
    print "pickled history: %d entries" % len(pickle.loads(blob))
except pickle.PicklingError, e:
    print "could not pickle history:", e
print "best val loss %.4f at epoch %d (%d samples seen)" % (best_loss, best_epoch, n_seen)

for k, v in sorted(history.iteritems()):
    print "%s: %s" % (k, ' '.join('%.3f' % float(a) for a in v))
