# Tiny DCGAN on synthetic 16x16 single-channel images (no dataset download).
from __future__ import print_function
import argparse
import random
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import torch.utils.data

parser = argparse.ArgumentParser()
parser.add_argument('--batchSize', type=int, default=16, help='input batch size')
parser.add_argument('--imageSize', type=int, default=16, help='the height / width of the input image to network')
parser.add_argument('--nz', type=int, default=8, help='size of the latent z vector')
parser.add_argument('--ngf', type=int, default=16)
parser.add_argument('--ndf', type=int, default=16)
parser.add_argument('--niter', type=int, default=2, help='number of epochs to train for')
parser.add_argument('--lr', type=float, default=0.0002, help='learning rate, default=0.0002')
parser.add_argument('--beta1', type=float, default=0.5, help='beta1 for adam. default=0.5')
parser.add_argument('--cuda', action='store_true', help='enables cuda')
parser.add_argument('--manualSeed', type=int, default=999, help='manual seed')

opt = parser.parse_args()
print(opt)

print("Random Seed: ", opt.manualSeed)
random.seed(opt.manualSeed)
np.random.seed(opt.manualSeed)
torch.manual_seed(opt.manualSeed)
if opt.cuda:
    torch.cuda.manual_seed_all(opt.manualSeed)

# fake "dataset": smooth random blobs scaled to [-1, 1] like normalised images
n_images = 64
xs = np.linspace(-1, 1, opt.imageSize)
centers = np.random.uniform(-0.5, 0.5, size=(n_images, 2))
blobs = np.exp(-((xs[None, None, :] - centers[:, 0, None, None]) ** 2 +
                 (xs[None, :, None] - centers[:, 1, None, None]) ** 2) / 0.1)
images = torch.from_numpy(blobs * 2 - 1).float().unsqueeze(1)
dataset = torch.utils.data.TensorDataset(images, torch.zeros(n_images))
dataloader = torch.utils.data.DataLoader(dataset, batch_size=opt.batchSize,
                                         shuffle=True, num_workers=0)

nz = int(opt.nz)
ngf = int(opt.ngf)
ndf = int(opt.ndf)
nc = 1


# custom weights initialization called on netG and netD
def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        m.weight.data.normal_(0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        m.weight.data.normal_(1.0, 0.02)
        m.bias.data.fill_(0)


class _netG(nn.Module):
    def __init__(self):
        super(_netG, self).__init__()
        # nz x 1 x 1 -> (ngf*2) x 4 x 4
        self.project = nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False)
        self.bn1 = nn.BatchNorm2d(ngf * 2)
        self.conv1 = nn.Conv2d(ngf * 2, ngf, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(ngf)
        self.conv2 = nn.Conv2d(ngf, nc, 3, 1, 1, bias=False)

    def forward(self, input):
        x = F.relu(self.bn1(self.project(input)))
        # resize-convolution instead of deconvolution (fewer checkerboard artifacts)
        x = F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=True)
        x = F.relu(self.bn2(self.conv1(x)))
        x = F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=True)
        return torch.tanh(self.conv2(x))


netG = _netG()
netG.apply(weights_init)
print(netG)


class _netD(nn.Module):
    def __init__(self):
        super(_netD, self).__init__()
        self.main = nn.Sequential(
            # nc x 16 x 16
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            # ndf x 8 x 8
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            # (ndf*2) x 4 x 4
            nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
            nn.Sigmoid()
        )

    def forward(self, input):
        output = self.main(input)
        return output.view(-1, 1).squeeze(1)


netD = _netD()
netD.apply(weights_init)
print(netD)

criterion = nn.BCELoss()

input = torch.empty(opt.batchSize, nc, opt.imageSize, opt.imageSize, dtype=torch.float32)
noise = torch.empty(opt.batchSize, nz, 1, 1, dtype=torch.float32)
fixed_noise = torch.empty(opt.batchSize, nz, 1, 1, dtype=torch.float32).normal_(0, 1)
label = torch.empty(opt.batchSize, dtype=torch.float32)
real_label = 1
fake_label = 0

if opt.cuda:
    netD.cuda()
    netG.cuda()
    criterion.cuda()
    input, label = input.cuda(), label.cuda()
    noise, fixed_noise = noise.cuda(), fixed_noise.cuda()

# setup optimizer
optimizerD = optim.Adam(netD.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))

for epoch in range(opt.niter):
    for i, data in enumerate(dataloader, 0):
        ############################
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        ###########################
        # train with real
        netD.zero_grad(set_to_none=False)
        real_cpu, _ = data
        batch_size = real_cpu.size(0)
        if opt.cuda:
            real_cpu = real_cpu.cuda()
        input.resize_as_(real_cpu).copy_(real_cpu)
        label.resize_(batch_size).fill_(real_label)
        inputv = input
        labelv = label

        output = netD(inputv)
        errD_real = criterion(output, labelv)
        errD_real.backward()
        D_x = output.detach().mean()

        # train with fake
        noise.resize_(batch_size, nz, 1, 1).normal_(0, 1)
        noisev = noise
        fake = netG(noisev)
        labelv = label.fill_(fake_label)
        output = netD(fake.detach())
        errD_fake = criterion(output, labelv)
        errD_fake.backward()
        D_G_z1 = output.detach().mean()
        errD = errD_real + errD_fake
        optimizerD.step()

        ############################
        # (2) Update G network: maximize log(D(G(z)))
        ###########################
        netG.zero_grad(set_to_none=False)
        labelv = label.fill_(real_label)  # fake labels are real for generator cost
        output = netD(fake)
        errG = criterion(output, labelv)
        errG.backward()
        D_G_z2 = output.detach().mean()
        optimizerG.step()

        print('[%d/%d][%d/%d] Loss_D: %.4f Loss_G: %.4f D(x): %.4f D(G(z)): %.4f / %.4f'
              % (epoch, opt.niter, i, len(dataloader),
                 errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))

    # look at what the generator makes of the fixed noise at the end of each epoch
    fake = netG(fixed_noise)
    print('epoch %d: fixed-noise samples mean %.4f std %.4f' % (epoch, fake.detach().mean(), fake.detach().std()))
