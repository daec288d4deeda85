"""Tiny encoder-decoder for semantic segmentation on synthetic 3x16x16 images
with 4-class masks.  Bilinear upsampling in the decoder plus an auxiliary
(deep supervision) head, trained with per-pixel NLL.
"""
from __future__ import print_function
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

parser = argparse.ArgumentParser()
parser.add_argument('--n-images', type=int, default=64)
parser.add_argument('--batch-size', type=int, default=16)
parser.add_argument('--epochs', type=int, default=2)
parser.add_argument('--lr', type=float, default=1e-2)
parser.add_argument('--aux-weight', type=float, default=0.4)
parser.add_argument('--seed', type=int, default=123)
opt = parser.parse_args()
print(opt)

torch.manual_seed(opt.seed)
np.random.seed(opt.seed)
use_cuda = torch.cuda.is_available()

N_CLASSES = 4


def make_dataset(n):
    """Images are smooth random fields; the label of a pixel is which of the
    first two channels are positive (4 combinations)."""
    coarse = torch.randn(n, 3, 4, 4)
    images = F.interpolate(coarse, size=(16, 16), mode='nearest').detach()
    images = images + 0.3 * torch.randn(n, 3, 16, 16)
    masks = (images[:, 0] > 0).long() + 2 * (images[:, 1] > 0).long()
    return images, masks


class TinySegNet(nn.Module):
    def __init__(self, n_classes=N_CLASSES):
        super(TinySegNet, self).__init__()
        self.enc1 = nn.Conv2d(3, 8, 3, padding=1)
        self.enc2 = nn.Conv2d(8, 16, 3, padding=1)
        self.dec2 = nn.Conv2d(16, 8, 3, padding=1)
        self.up = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True)
        self.classifier = nn.Conv2d(8 + 8, n_classes, 1)
        self.aux_classifier = nn.Conv2d(16, n_classes, 1)

    def forward(self, x):
        e1 = F.relu(self.enc1(x))                 # 8 x 16 x 16
        e2 = F.relu(self.enc2(F.max_pool2d(e1, 2)))  # 16 x 8 x 8
        d2 = F.max_pool2d(e2, 2)                  # 16 x 4 x 4
        d2 = F.interpolate(d2, scale_factor=2, mode='bilinear', align_corners=True)
        d2 = F.relu(self.dec2(d2))                # 8 x 8 x 8
        d1 = self.up(d2)                          # 8 x 16 x 16
        out = self.classifier(torch.cat([d1, e1], 1))
        aux = F.interpolate(self.aux_classifier(e2), size=x.size()[2:], mode='bilinear', align_corners=True)
        return F.log_softmax(out, dim=0 if out.dim() in (0, 1, 3) else 1), F.log_softmax(aux, dim=0 if aux.dim() in (0, 1, 3) else 1)


train_images, train_masks = make_dataset(opt.n_images)
val_images, val_masks = make_dataset(16)

net = TinySegNet()
criterion = nn.NLLLoss()
if use_cuda:
    net.cuda()
    criterion.cuda()
optimizer = optim.Adam(net.parameters(), lr=opt.lr)


@torch.no_grad()
def validate(epoch):
    """Pixel accuracy and per-class IoU on the held-out images."""
    net.eval()
    images = val_images
    masks = val_masks
    if use_cuda:
        images, masks = images.cuda(), masks.cuda()
    out, _ = net(images)
    pred = out.detach().max(1)[1]
    correct = pred.eq(masks).sum().item()
    total = masks.numel()
    ious = []
    for c in range(N_CLASSES):
        inter = ((pred == c) & (masks == c)).sum().item()
        union = ((pred == c) | (masks == c)).sum().item()
        ious.append(float(inter) / max(union, 1))
    print('epoch %d  pixel acc %.4f  mIoU %.4f' % (
        epoch, 100. * correct / total, np.mean(ious)))


for epoch in range(opt.epochs):
    net.train()
    for i in range(0, opt.n_images, opt.batch_size):
        images = train_images[i:i + opt.batch_size]
        masks = train_masks[i:i + opt.batch_size]
        if use_cuda:
            images, masks = images.cuda(), masks.cuda()

        optimizer.zero_grad(set_to_none=False)
        out, aux = net(images)
        loss_main = criterion(out, masks)
        loss_aux = criterion(aux, masks)
        loss = loss_main + opt.aux_weight * loss_aux
        loss.backward()
        optimizer.step()
        print('[%d][%d/%d] loss %.5f (main %.5f aux %.5f)' % (
            epoch, i // opt.batch_size, opt.n_images // opt.batch_size,
            loss.item(), loss_main.item(), loss_aux.item()))

    validate(epoch)
