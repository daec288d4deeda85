# A 0.3-era script whose TM006 rewrite breaks training (upgrade --verify backs it out).
import torch
import torch.nn as nn
from torch.autograd import Variable

torch.manual_seed(0)
model = nn.Linear(4, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
crit = nn.MSELoss()
x = Variable(torch.randn(8, 5, 4))
y = Variable(torch.randn(8, 5, 2))
for it in range(4):
    opt.zero_grad()
    loss = 0
    for t in range(5):
        loss += crit(model(x[:, t]), y[:, t])
    loss.backward()
    opt.step()
    total = 0
    total += loss.data[0]
    print('it', it, total)
