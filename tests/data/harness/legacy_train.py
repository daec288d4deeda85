# A 0.3-style training script (Python 2 syntax included on purpose).
import argparse
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.autograd import Variable

parser = argparse.ArgumentParser()
parser.add_argument('--epochs', type=int, default=2)
parser.add_argument('--batches', type=int, default=4)
args = parser.parse_args()


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.fc1 = nn.Linear(10, 16)
        self.fc2 = nn.Linear(16, 3)
        self.aux = nn.Linear(16, 3)

    def forward(self, x, use_aux):
        h = F.relu(self.fc1(x))
        out = self.fc2(h)
        if use_aux:
            out = out + self.aux(h)
        return F.log_softmax(out)


model = Net()
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
criterion = nn.NLLLoss(size_average=True)
data = torch.randn(64, 10)
target = (torch.rand(64) * 3).long()
scale = torch.range(1, 2)[-1]
weights = Variable(torch.rand(16))

for epoch in xrange(args.epochs):
    for b in range(args.batches):
        x = Variable(data[b * 16:(b + 1) * 16].cuda(async=True))
        y = Variable(target[b * 16:(b + 1) * 16])
        optimizer.zero_grad()
        out = model(x, b % 2 == 0)
        loss = criterion(out, y) * scale * (1 + weights.data[0])
        loss.backward()
        optimizer.step()
        print "epoch %d batch %d loss %.4f" % (epoch, b, loss.data[0])
    correct = 0
    out = model(Variable(data, volatile=True), False)
    pred = out.data.max(1)[1]
    correct += pred.eq(target).sum()
    print 'acc', 100. * correct / len(data)
