# GRU encoder-decoder with (Luong-style dot) attention, learning to reverse
# random token sequences. Synthetic data, runs on CPU in a few seconds.
from __future__ import print_function
import argparse
import random
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim

parser = argparse.ArgumentParser()
parser.add_argument('--vocab', type=int, default=12)
parser.add_argument('--hidden', type=int, default=32)
parser.add_argument('--max_len', type=int, default=6)
parser.add_argument('--batch_size', type=int, default=16)
parser.add_argument('--iters', type=int, default=40)
parser.add_argument('--lr', type=float, default=0.01)
parser.add_argument('--clip', type=float, default=5.0)
parser.add_argument('--teacher_forcing', type=float, default=0.5)
parser.add_argument('--log_every', type=int, default=5)
parser.add_argument('--seed', type=int, default=3)
parser.add_argument('--cuda', action='store_true')
args = parser.parse_args()

random.seed(args.seed)
np.random.seed(args.seed)
torch.manual_seed(args.seed)

PAD, SOS = 0, 1


def make_batch(batch_size, max_len):
    """random symbol sequences (ids 2..V-1) padded with PAD; target is the reversed source"""
    lengths = np.random.randint(3, max_len + 1, size=batch_size)
    src = torch.empty(batch_size, max_len, dtype=torch.int64).fill_(PAD)
    tgt = torch.empty(batch_size, max_len, dtype=torch.int64).fill_(PAD)
    for b in range(batch_size):
        seq = np.random.randint(2, args.vocab, size=lengths[b])
        src[b, :lengths[b]] = torch.from_numpy(seq)
        tgt[b, :lengths[b]] = torch.from_numpy(seq[::-1].copy())
    if args.cuda:
        src, tgt = src.cuda(), tgt.cuda()
    return src, tgt


class Encoder(nn.Module):
    def __init__(self, vocab, hidden):
        super(Encoder, self).__init__()
        self.embed = nn.Embedding(vocab, hidden, padding_idx=PAD)
        self.rnn = nn.GRU(hidden, hidden, batch_first=True)
        self.pool = nn.Linear(hidden, 1)

    def forward(self, src):
        out, h = self.rnn(self.embed(src))          # out: B x T x H
        # attentive pooling of the encoder states -> initial decoder state
        pool_scores = self.pool(out)                # B x T x 1
        pool_weights = F.softmax(pool_scores, dim=0 if pool_scores.dim() in (0, 1, 3) else 1)
        summary = (pool_weights * out).sum(1)
        return out, torch.tanh(summary) + h.squeeze(0)


class AttnDecoder(nn.Module):
    def __init__(self, vocab, hidden):
        super(AttnDecoder, self).__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.cell = nn.GRUCell(hidden, hidden)
        self.out = nn.Linear(2 * hidden, vocab)

    def forward(self, inp, h, enc_out, mask):
        h = self.cell(self.embed(inp), h)
        scores = torch.bmm(enc_out, h.unsqueeze(2)).squeeze(2)   # B x T
        scores = scores.masked_fill(mask, -1e9)
        attn = F.softmax(scores, dim=0 if scores.dim() in (0, 1, 3) else 1)
        context = torch.bmm(attn.unsqueeze(1), enc_out).squeeze(1)
        logits = self.out(torch.cat([h, context], 1))
        logp = F.log_softmax(logits, dim=0 if logits.dim() in (0, 1, 3) else 1)
        return logp, h, attn


encoder = Encoder(args.vocab, args.hidden)
decoder = AttnDecoder(args.vocab, args.hidden)
if args.cuda:
    encoder.cuda()
    decoder.cuda()
enc_opt = optim.Adam(encoder.parameters(), lr=args.lr)
dec_opt = optim.Adam(decoder.parameters(), lr=args.lr)
params = list(encoder.parameters()) + list(decoder.parameters())


@torch.no_grad()
def evaluate(n_batches):
    encoder.eval()
    decoder.eval()
    correct, total = 0, 0
    for _ in range(n_batches):
        src, tgt = make_batch(args.batch_size, args.max_len)
        mask = (src == PAD).bool()
        tmask = (tgt == PAD).bool()
        enc_out, h = encoder(src)
        dec_input = torch.empty(src.size(0), dtype=torch.int64).fill_(SOS)
        preds = []
        for t in range(args.max_len):
            logp, h, attn = decoder(dec_input, h, enc_out, mask)
            dec_input = logp.max(1)[1]
            preds.append(dec_input.detach())
        preds = torch.stack(preds, 1)
        valid = ~tmask
        correct += preds.masked_select(valid).eq(tgt.masked_select(valid)).sum().item()
        total += valid.sum().item()
    encoder.train()
    decoder.train()
    return 100. * correct / total


for it in range(1, args.iters + 1):
    src, tgt = make_batch(args.batch_size, args.max_len)
    mask = (src == PAD).bool()

    enc_opt.zero_grad(set_to_none=False)
    dec_opt.zero_grad(set_to_none=False)
    enc_out, h = encoder(src)
    dec_input = torch.empty(args.batch_size, dtype=torch.int64).fill_(SOS)
    if args.cuda:
        dec_input = dec_input.cuda()
    loss = 0
    use_tf = random.random() < args.teacher_forcing
    for t in range(args.max_len):
        logp, h, attn = decoder(dec_input, h, enc_out, mask)
        loss += F.nll_loss(logp, tgt[:, t], reduction='sum', ignore_index=PAD)
        if use_tf:
            dec_input = tgt[:, t]               # teacher forcing
        else:
            topv, topi = logp.detach().topk(1)
            dec_input = topi.squeeze(1)
    n_tokens = (~mask).float().sum()
    loss = loss / n_tokens
    loss.backward()
    grad_norm = torch.nn.utils.clip_grad_norm_(params, args.clip)
    enc_opt.step()
    dec_opt.step()

    if it % args.log_every == 0:
        print('iter %3d | loss %.4f | grad norm %.3f | tokens %d | teacher forcing %d' % (
            it, loss.item(), grad_norm, n_tokens.item(), use_tf))
    if it % 20 == 0:
        print('iter %3d | eval token accuracy %.2f%%' % (it, evaluate(4)))
