# Python 2 training script of the seqmodel package (implicit relative imports inside it).
import torch
import torch.nn.functional as F
import torch.optim as optim
from seqmodel import model as seqmodel

torch.manual_seed(11)
VOCAB, LENGTH = 12, 8
tokens = torch.empty(256, LENGTH, dtype=torch.int64).random_(0, VOCAB)
labels = (tokens.sum(1) > VOCAB * LENGTH // 2).long()

net = seqmodel.Classifier(VOCAB, 16, 2)
seqmodel.describe(net)
opt = optim.Adam(net.parameters(), lr=0.01)
for epoch in range(3):
    total = 0.0
    for i in range(0, 256, 32):
        x, y = tokens[i:i + 32], labels[i:i + 32]
        opt.zero_grad(set_to_none=False)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        total += loss.item()
    print("epoch %d loss %.4f" % (epoch, total / 8))
