"""Grab-bag research utilities around a small MLP classifier: optional
torchvision backbone, optional mixed precision, per-class accuracy, graph
smoothing of features, and converters for old Lua/0.3 checkpoints.
"""
from __future__ import print_function
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
string_classes = (str, bytes)

try:
    import torchvision.models as models
    import torchvision.transforms as transforms
except ImportError:
    models = None

parser = argparse.ArgumentParser()
parser.add_argument('--epochs', type=int, default=3)
parser.add_argument('--batch-size', type=int, default=20)
parser.add_argument('--lr', type=float, default=0.1)
parser.add_argument('--amp', action='store_true', default=False)
parser.add_argument('--seed', type=int, default=9)
args = parser.parse_args()
use_amp = args.amp and torch.cuda.is_available()

torch.manual_seed(args.seed)
N_CLASSES = 4


def load_legacy_lua(path):
    """Import weights from the original Lua Torch release (t7 files)."""
    from torch.utils.serialization import load_lua
    return load_lua(path)


def convert_old_checkpoint(model, old_blocks, input_mean=None):
    """0.1.x checkpoints named their sub-blocks 'block.N' and stored the
    input normalisation statistics as a buffer of the top-level module."""
    for i, block in enumerate(old_blocks):
        model.add_module('block.%d' % i, block)
    if input_mean is not None:
        model.register_buffer('input.mean', input_mean)
    return model


if models is not None:
    backbone = models.resnet18(weights=None)
    train_transform = transforms.Compose([
        transforms.Resize(32),
        transforms.RandomResizedCrop(24),
        transforms.ToTensor(),
    ])
    print('torchvision available: resnet18 has %d parameters' % sum(
        p.numel() for p in backbone.parameters()))

# synthetic data: 4 gaussian clusters in 10-D
centers = 1.5 * torch.randn(N_CLASSES, 10)
labels = torch.arange(0, 160).long() % N_CLASSES
feats = centers.index_select(0, labels) + torch.randn(160, 10)

# graph smoothing: affinity between the first 10 samples, normalised by row sums
A = torch.exp(-torch.cdist(feats[:10], feats[:10]))
A_norm = A / A.sum(1)
gains = torch.linspace(0.5, 1.5, 10)
offsets = torch.arange(0, 3).float().view(3, 1)
shift_grid = offsets * gains                      # (3,1) * (10,) -> (3, 10)
print('smoothing matrix column sums %s, grid %s' % (
    [round(v, 4) for v in A_norm.sum(0)[:3].tolist()], list(shift_grid.size())))



def describe(obj):
    """What the log prints for a setting: strings as they are, tensors by shape."""
    if isinstance(obj, string_classes):
        return obj
    return 'x'.join(str(s) for s in obj.size())


print('features %s, labels %s, optimizer %s' % (describe(feats), describe(labels), describe('sgd')))

model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, N_CLASSES))
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)

for epoch in range(args.epochs):
    perm = torch.randperm(160)
    n_batches = 160 // args.batch_size
    epoch_loss = 0.0
    for b in range(n_batches):
        idx = perm[b * args.batch_size:(b + 1) * args.batch_size]
        data, target = feats[idx], labels[idx]
        optimizer.zero_grad(set_to_none=False)
        if use_amp:
            with torch.amp.autocast('cuda'):
                output = model(data)
        else:
            output = model(data)
        loss = F.cross_entropy(output, target)
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item()

    # evaluation with per-class accuracy (integer percentages, as in the paper tables)
    output = model(feats)
    pred = output.detach().max(1)[1]
    correct = pred.eq(labels).sum().item()
    class_correct = torch.zeros(N_CLASSES).long()
    class_total = torch.zeros(N_CLASSES).long()
    class_correct.index_add_(0, labels, pred.eq(labels).long())
    class_total.index_add_(0, labels, torch.ones(160).long())
    class_pct = torch.div(class_correct * 100, class_total, rounding_mode='trunc')
    mean_class_acc = (100. * class_correct / class_total).mean()
    half_batches = torch.tensor([n_batches], dtype=torch.int64) // 2
    print('epoch %d  loss %.5f  acc %.2f%%  per-class %s  mean %.2f%%  (half epoch = %d batches)' % (
        epoch, epoch_loss / n_batches, 100. * correct / len(labels),
        class_pct.tolist(), mean_class_acc, half_batches[0]))
