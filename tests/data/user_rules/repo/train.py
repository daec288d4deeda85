import torch
import torch.nn as nn

from utils import to_np, to_var

torch.manual_seed(0)
model = nn.Linear(4, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
losses = []
for step in range(3):
    images = to_var(torch.randn(8, 4))
    labels = to_var(torch.randint(0, 2, (8,)))
    loss = nn.functional.cross_entropy(model(images), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(float(to_np(loss)))
print("losses", " ".join(f"{x:.6f}" for x in losses))
print("first row", to_np(model.weight)[0])
