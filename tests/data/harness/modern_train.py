# The migration of legacy_train.py.
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--batches", type=int, default=4)
args = parser.parse_args()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 16)
        self.fc2 = nn.Linear(16, 3)
        self.aux = nn.Linear(16, 3)

    def forward(self, x, use_aux):
        h = F.relu(self.fc1(x))
        out = self.fc2(h)
        if use_aux:
            out = out + self.aux(h)
        return F.log_softmax(out, dim=1)


model = Net()
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
criterion = nn.NLLLoss(reduction="mean")
data = torch.randn(64, 10)
target = (torch.rand(64) * 3).long()
scale = torch.arange(1, 3, dtype=torch.float32)[-1]
weights = torch.rand(16)

for epoch in range(args.epochs):
    for b in range(args.batches):
        x = data[b * 16 : (b + 1) * 16]
        y = target[b * 16 : (b + 1) * 16]
        optimizer.zero_grad(set_to_none=False)
        out = model(x, b % 2 == 0)
        loss = criterion(out, y) * scale * (1 + weights[0])
        loss.backward()
        optimizer.step()
        print("epoch %d batch %d loss %.4f" % (epoch, b, loss.item()))
    with torch.no_grad():
        out = model(data, False)
    pred = out.argmax(1)
    correct = pred.eq(target).sum().item()
    print("acc", 100.0 * correct / len(data))
