# BiLSTM sequence tagger on synthetic variable-length sentences, written to
# run under Python 2 and 3 (2017 style): packed sequences sorted by length,
# a padding mask, per-token losses, top-k accuracy, gradient-norm logging,
# two optimizers with their schedules, and a weights checkpoint.
from __future__ import print_function, division
import argparse
import io
import sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, TensorDataset

PY2 = sys.version_info[0] == 2

parser = argparse.ArgumentParser(description='BiLSTM tagger')
parser.add_argument('--epochs', type=int, default=3)
parser.add_argument('--batch-size', type=int, default=8)
parser.add_argument('--steps-per-epoch', type=int, default=4)
parser.add_argument('--hidden', type=int, default=16)
parser.add_argument('--clip', type=float, default=1.0)
parser.add_argument('--seed', type=int, default=3)
args = parser.parse_args()

torch.manual_seed(args.seed)
rng = np.random.RandomState(args.seed)

PAD = 0
vocab = {'<pad>': 0, 'the': 1, 'cat': 2, 'dog': 3, 'sat': 4, 'ran': 5, 'on': 6, 'mat': 7, 'fast': 8}
tags = {'<pad>': 0, 'DET': 1, 'NOUN': 2, 'VERB': 3, 'ADP': 4, 'ADV': 5}
word_tag = {1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 4, 7: 2, 8: 5}
id2word = dict((i, w) for w, i in vocab.items())

n_sent, max_len = 64, 7
lengths = rng.randint(2, max_len + 1, size=n_sent)
words = np.zeros((n_sent, max_len), dtype=np.int64)
labels = np.zeros((n_sent, max_len), dtype=np.int64)
for s in range(n_sent):
    for t in range(lengths[s]):
        w = rng.randint(1, len(vocab))
        words[s, t] = w
        labels[s, t] = word_tag[w]
train_set = TensorDataset(torch.from_numpy(words), torch.from_numpy(labels))
train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)


def sequence_mask(sequence_length, max_len):
    batch_size = sequence_length.size(0)
    seq_range = torch.arange(0, max_len).long()
    seq_range_expand = seq_range.unsqueeze(0).expand(batch_size, max_len)
    seq_length_expand = sequence_length.unsqueeze(1).expand_as(seq_range_expand)
    return seq_range_expand < seq_length_expand


def accuracy(output, target, topk=(1,)):
    """Computes the precision@k for the specified values of k"""
    maxk = max(topk)
    batch_size = target.size(0)
    _, pred = output.topk(maxk, 1, True, True)
    pred = pred.t()
    correct = pred.eq(target.view(1, -1).expand_as(pred))
    res = []
    for k in topk:
        correct_k = correct[:k].contiguous().view(-1).float().sum(0)
        res.append(correct_k.mul_(100.0 / batch_size))
    return res


class Tagger(nn.Module):
    def __init__(self, n_words, n_tags, hidden):
        super(Tagger, self).__init__()
        self.embed = nn.Embedding(n_words, 8, padding_idx=PAD)
        self.rnn = nn.LSTM(8, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, n_tags)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(self.embed(x), lengths, batch_first=True)
        h, _ = self.rnn(packed)
        h, _ = pad_packed_sequence(h, batch_first=True)
        return self.out(h)


def rnn_backend_name(module):
    """What cuDNN/THNN backend a module dispatched to (debug helper, unused)."""
    return type(module._backend).__name__


model = Tagger(len(vocab), len(tags), args.hidden)
opt_embed = optim.SGD(model.embed.parameters(), lr=0.5)
opt_rnn = optim.Adam(list(model.rnn.parameters()) + list(model.out.parameters()), lr=1e-2)
sched_embed = lr_scheduler.MultiStepLR(opt_embed, milestones=[20, 40], gamma=0.1)
sched_rnn = lr_scheduler.MultiStepLR(opt_rnn, milestones=[20, 40], gamma=0.1)

buckets = {}
for name, param in model.named_parameters():
    tp = param.detach().type()
    if tp not in buckets:
        buckets[tp] = []
    buckets[tp].append(name)
print('parameter groups by type: %d' % len(buckets))

for epoch in range(args.epochs):
    model.train()
    data_iter = iter(train_loader)
    epoch_loss, correct, n_tokens = 0.0, 0, 0
    for step in range(args.steps_per_epoch):
        x, y = next(data_iter)
        lens = (x != PAD).long().sum(1).numpy()
        order = np.argsort(-lens, kind='stable')
        sorted_lengths = np.sort(lens)[::-1].copy()
        x = x[torch.from_numpy(order)]
        y = y[torch.from_numpy(order)]
        steps = int(sorted_lengths[0])
        x, y = x[:, :steps], y[:, :steps]
        scores = model(x, sorted_lengths)

        mask = sequence_mask(torch.from_numpy(sorted_lengths.copy()), steps)
        scores = scores.masked_fill((~mask).unsqueeze(2), 0)
        token_loss = F.cross_entropy(scores.view(-1, len(tags)), y.contiguous().view(-1),
                                     reduction='none')
        pad = (~mask).byte()
        loss = token_loss.masked_select(mask.view(-1)).mean()

        opt_embed.zero_grad(set_to_none=False)
        opt_rnn.zero_grad(set_to_none=False)
        loss.backward()
        total_norm = 0
        for p in model.parameters():
            total_norm += (p.grad.detach().norm() ** 2).item()
        total_norm = np.sqrt(total_norm)
        nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt_embed.step()
        opt_rnn.step()

        flat_mask = mask.view(-1)
        out_flat = scores.view(-1, len(tags))[flat_mask]
        tgt_flat = y.contiguous().view(-1)[flat_mask]
        _, pred = torch.max(out_flat.detach(), 1)
        correct += pred.eq(tgt_flat.data).cpu().sum().item()
        n_tokens += int(flat_mask.long().sum())
        prec1, prec2 = accuracy(out_flat.detach(), tgt_flat.data, topk=(1, 2))
        epoch_loss += loss.item()
        print('epoch %d step %d  loss %.4f  prec@1 %.2f  prec@2 %.2f  |grad| %.3f  pads %d' % (
            epoch, step, loss.item(), prec1.item(), prec2.item(), total_norm, pad.sum()))
    sched_embed.step()
    sched_rnn.step()
    stats = {'loss': epoch_loss / args.steps_per_epoch, 'acc': 100. * correct / n_tokens}
    for key, value in stats.items():
        print('epoch %d %s %.3f' % (epoch, key, value))

    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    buf.seek(0)
    model.load_state_dict(torch.load(buf))

first = next(iter(train_loader))
print('first batch of the last pass: %s' % ' '.join(id2word[int(w)] for w in first[0][0] if int(w)))
