# A 0.3-era script; the lab's user rule X900 (tests/data/harness/heal/bad_rules.py)
# swaps its `summed` helper for `summed_number`, which breaks training:
# upgrade --verify backs that fix out and keeps the built-in rules' fixes.
import torch
import torch.nn as nn
from torch.autograd import Variable


def summed(terms):
    total = 0
    for t in terms:
        total = total + t
    return total


def summed_number(terms):
    return sum(float(t) for t in terms)


torch.manual_seed(0)
model = nn.Linear(4, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
crit = nn.MSELoss()
x = Variable(torch.randn(8, 5, 4))
y = Variable(torch.randn(8, 5, 2))
for it in range(4):
    opt.zero_grad()
    loss = summed([crit(model(x[:, t]), y[:, t]) for t in range(5)])
    loss.backward()
    opt.step()
    total = 0
    total += loss.data[0]
    print('it', it, total)
