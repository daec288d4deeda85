"""Denoise a toy audio signal with a 1-D conv net trained on a time-domain
loss plus spectral (FFT magnitude and STFT) losses.
"""
from __future__ import print_function
import argparse
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument('--length', type=int, default=256)
parser.add_argument('--n-fft', type=int, default=32)
parser.add_argument('--hop', type=int, default=8)
parser.add_argument('--iters', type=int, default=6)
parser.add_argument('--lr', type=float, default=1e-3)
parser.add_argument('--seed', type=int, default=0)
args = parser.parse_args()

torch.set_default_dtype(torch.float32)
torch.manual_seed(args.seed)
np.random.seed(args.seed)

T = args.length
t = torch.arange(0, T).float() / T
freqs = torch.from_numpy(np.random.uniform(2, 20, size=(8, 3)).astype(np.float32))
clean = sum(torch.sin(2 * math.pi * freqs[:, k:k + 1] * t * (k + 1)) for k in range(3)) / 3
noisy = clean + 0.3 * torch.randn(8, T)

# round trip check of the FFT pair
spec = torch.view_as_real(torch.fft.rfft(clean))
recon = torch.fft.irfft(torch.view_as_complex(spec), n=T)
torch.testing.assert_close(recon, clean, equal_nan=True, check_dtype=False)
print('rfft output shape %s, round trip ok' % (list(spec.size()),))

# sparse band-pooling matrix: 8 bands over the T/2+1 frequency bins
n_bins = T // 2 + 1
rows, cols = [], []
for b in range(8):
    lo, hi = b * n_bins // 8, (b + 1) * n_bins // 8
    rows.extend([b] * (hi - lo))
    cols.extend(range(lo, hi))
idx = torch.tensor([rows, cols], dtype=torch.int64)
vals = torch.ones(len(cols))
band_pool = torch.sparse_coo_tensor(idx, vals, torch.Size([8, n_bins]), dtype=torch.float32)

window = torch.hann_window(args.n_fft)


def band_energies(x):
    X = torch.view_as_real(torch.fft.rfft(x, norm='ortho'))
    mag = (X.pow(2).sum(-1) + 1e-8).sqrt()           # B x n_bins
    return torch.mm(band_pool, mag.t()).t()          # B x 8


def stft_mag(x):
    S = torch.view_as_real(torch.stft(x, args.n_fft, args.hop, window=window, return_complex=True))
    return (S.pow(2).sum(-1) + 1e-8).sqrt()


class Denoiser(nn.Module):
    def __init__(self):
        super(Denoiser, self).__init__()
        self.conv1 = nn.Conv1d(1, 8, 9, padding=4)
        self.conv2 = nn.Conv1d(8, 1, 9, padding=4)

    def forward(self, x):
        return x + self.conv2(torch.tanh(self.conv1(x.unsqueeze(1)))).squeeze(1)


model = Denoiser()
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
target_bands = band_energies(clean)
target_stft = stft_mag(clean)
for it in range(args.iters):
    optimizer.zero_grad(set_to_none=False)
    out = model(noisy)
    loss_time = F.l1_loss(out, clean)
    loss_band = F.l1_loss(band_energies(out), target_bands)
    loss_stft = F.l1_loss(stft_mag(out), target_stft)
    loss = loss_time + 0.1 * loss_band + 0.1 * loss_stft
    loss.backward()
    optimizer.step()
    print('iter %d  loss %.6f  (time %.6f band %.6f stft %.6f)' % (
        it, loss.item(), loss_time.item(), loss_band.item(), loss_stft.item()))

W = model.conv1.weight.detach().view(8, 9)
print('conv1 filter gram trace %.6f' % torch.mm(W, W.T).trace().item())
