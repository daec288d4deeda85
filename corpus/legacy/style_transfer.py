# Neural style transfer (Gatys et al.) on a tiny fixed random "VGG" and
# synthetic 24x24 images: the style loss is summed over several layers and
# added to the content loss; the image is optimised with Adam, a
# step-decayed learning rate and a log line every few iterations.
from __future__ import print_function
import argparse
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.autograd import Variable
from torch.optim import lr_scheduler

parser = argparse.ArgumentParser(description='style transfer on synthetic images')
parser.add_argument('--steps', type=int, default=12)
parser.add_argument('--stages', type=int, default=2)
parser.add_argument('--style-weight', type=float, default=1e3)
parser.add_argument('--content-weight', type=float, default=1.0)
parser.add_argument('--lr', type=float, default=0.05)
parser.add_argument('--log-every', type=int, default=4)
parser.add_argument('--cuda', action='store_true')
args = parser.parse_args()

torch.manual_seed(1)
np.random.seed(1)

dtype = torch.cuda.FloatTensor if args.cuda else torch.FloatTensor


class Features(nn.Module):
    """Three conv blocks standing in for VGG's relu1_1 .. relu3_1."""

    def __init__(self):
        super(Features, self).__init__()
        self.block1 = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
        self.block2 = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2))
        self.block3 = nn.Sequential(nn.Conv2d(16, 16, 3, padding=1), nn.ReLU())

    def forward(self, x):
        h1 = self.block1(x)
        h2 = self.block2(h1)
        h3 = self.block3(h2)
        return [h1, h2, h3]


def gram_matrix(y):
    b, ch, h, w = y.size()
    features = y.view(b, ch, w * h)
    return features.bmm(features.transpose(1, 2)) / (ch * h * w)


def normalize_features(f):
    """L2-normalise feature rows (written for PyTorch 0.1.12, before keepdim)."""
    return f / f.norm(2, 1).expand_as(f)


vgg = Features()
for p in vgg.parameters():
    p.requires_grad = False

xs = np.linspace(0, 3 * np.pi, 24, dtype=np.float32)
stripes = np.stack([np.sin(xs[None, :] * (k + 1) + xs[:, None] * 0.0) for k in range(3)])
content_np = np.stack([np.cos(xs[:, None] + xs[None, :] * 0.5) for _ in range(3)])
style_img = Variable(torch.from_numpy(stripes).unsqueeze(0).type(dtype))
content_img = Variable(torch.from_numpy(content_np).unsqueeze(0).type(dtype))

style_targets = [gram_matrix(f).detach() for f in vgg(style_img)]
content_target = vgg(content_img)[2].detach()
mse = nn.MSELoss()
mse.size_average = False

img = Variable(content_img.data.clone(), requires_grad=True)
if 'cuda' in str(type(img.data)):
    print('optimising on the GPU')
if type(img.data) == torch.FloatTensor:
    print('optimising a float32 image of size %s' % (tuple(img.size()),))

optimizer = optim.Adam([img], lr=args.lr)
scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)

for stage in range(args.stages):
    scheduler.step()
    total_loss = 0
    for it in range(args.steps):
        optimizer.zero_grad()
        feats = vgg(img)
        content_loss = args.content_weight * mse(feats[2], content_target) / content_target.numel()
        style_loss = 0
        for f, target in zip(feats, style_targets):
            style_loss += mse(gram_matrix(f), target)
        loss = content_loss + args.style_weight * style_loss
        loss.backward()
        optimizer.step()
        total_loss += loss.data
        if it % args.log_every == 0:
            print('stage %d iter %2d  content %.5f  style %.6f  total %.5f' % (
                stage, it, content_loss.data[0], style_loss.data[0],
                loss.data.cpu().numpy()[0]))
    print('stage %d: mean loss %.5f, lr %.4f' % (
        stage, total_loss[0] / args.steps, optimizer.param_groups[0]['lr']))

out = img.data.clamp(-1, 1)
print('result range [%.3f, %.3f]' % (out.min(), out.max()))
