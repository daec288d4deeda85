"""Variable-length sequence classification with a packed LSTM.

The dataset keeps its raw numpy arrays in ``self.data`` / ``self.targets``,
batches are ``Batch(data, label)`` namedtuples, and the packed LSTM output
(``PackedSequence.data``) feeds an auxiliary per-timestep loss.
"""
from __future__ import print_function
import argparse
from collections import namedtuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.data
from torch.nn.utils.rnn import pack_padded_sequence
from torch.utils.data import DataLoader, Dataset

parser = argparse.ArgumentParser(description='packed LSTM classifier')
parser.add_argument('--data', type=str, default='./data/synthetic',
                    help='location of the data corpus (unused: data is generated)')
parser.add_argument('--nhid', type=int, default=16)
parser.add_argument('--epochs', type=int, default=2)
parser.add_argument('--batch-size', type=int, default=8)
parser.add_argument('--lr', type=float, default=0.01)
parser.add_argument('--aux', type=float, default=0.1, help='weight of the per-step loss')
parser.add_argument('--seed', type=int, default=42)
args = parser.parse_args()
print('data directory: %s' % args.data)

torch.manual_seed(args.seed)

N_FEAT = 5
Batch = namedtuple('Batch', ['data', 'label', 'lengths'])


class SyntheticSequences(Dataset):
    """Sequences of random length; label = sign of the sum of feature 0."""

    def __init__(self, n, seed):
        rng = np.random.RandomState(seed)
        lengths = rng.randint(3, 10, size=n)
        self.data = [rng.randn(l, N_FEAT).astype(np.float32) for l in lengths]
        self.targets = np.array([int(seq[:, 0].sum() > 0) for seq in self.data])

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        return self.data[index], self.targets[index]


def pad_collate(samples):
    # pack_padded_sequence wants the batch sorted by decreasing length
    samples = sorted(samples, key=lambda s: len(s[0]), reverse=True)
    lengths = [len(seq) for seq, _ in samples]
    padded = torch.zeros(len(samples), lengths[0], N_FEAT)
    for i, (seq, _) in enumerate(samples):
        padded[i, :len(seq)] = torch.from_numpy(seq)
    labels = torch.tensor([int(t) for _, t in samples], dtype=torch.int64)
    return Batch(data=padded, label=labels, lengths=lengths)


class PackedClassifier(nn.Module):
    def __init__(self, nhid):
        super(PackedClassifier, self).__init__()
        self.rnn = nn.LSTM(N_FEAT, nhid, batch_first=True)
        self.step_head = nn.Linear(nhid, 1)
        self.head = nn.Linear(nhid, 2)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(x, lengths, batch_first=True)
        packed_out, (h_n, c_n) = self.rnn(packed)
        # packed_out.data holds every valid timestep, without padding
        step_scores = self.step_head(packed_out.data)
        return self.head(h_n[-1]), step_scores, packed.data.size(0)


train_set = SyntheticSequences(64, seed=1)
valid_set = torch.utils.data.TensorDataset(
    torch.randn(32, 4, N_FEAT), torch.zeros(32).long())
print('first training sequence: shape %s, label %d' % (
    train_set.data[0].shape, train_set.targets[0]))
train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                          collate_fn=pad_collate)
valid_loader = DataLoader(valid_set, batch_size=16)

model = PackedClassifier(args.nhid)
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

for epoch in range(args.epochs):
    total_loss, correct, seen = 0.0, 0, 0
    for i, batch in enumerate(train_loader):
        inputs, labels = batch.data, batch.label
        logits, step_scores, n_steps = model(inputs, batch.lengths)
        loss = F.cross_entropy(logits, labels) + args.aux * step_scores.pow(2).mean()
        optimizer.zero_grad(set_to_none=False)
        loss.backward()
        optimizer.step()
        total_loss += loss.item()
        pred = logits.detach().max(1)[1]
        correct += pred.eq(batch.label).sum().item()
        seen += batch.label.size(0)
        if i % 4 == 0:
            print('epoch %d batch %d  loss %.5f  (%d valid steps in batch)' % (
                epoch, i, loss.item(), n_steps))
    print('epoch %d  mean loss %.5f  train acc %.4f' % (
        epoch, total_loss / len(train_loader), correct / float(seen)))

# sanity pass over the fixed-length set (all lengths equal to 4)
for x, y in valid_loader:
    logits, _, n_steps = model(x, [4] * x.size(0))
    print('valid batch: %d steps, mean logit %.5f' % (n_steps, logits.detach().mean()))
