# Conditional GAN on a synthetic 2-D mixture of Gaussians (2018-style training
# script): two optimizers with their own learning-rate schedules, per-batch
# logging of D(x) / D(G(z)), a checkpoint at the end of every epoch.
from __future__ import print_function
import argparse
import io
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.autograd import Variable
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser(description='conditional GAN on a Gaussian mixture')
parser.add_argument('--epochs', type=int, default=3)
parser.add_argument('--batch-size', type=int, default=32)
parser.add_argument('--nz', type=int, default=4)
parser.add_argument('--lrD', type=float, default=2e-3)
parser.add_argument('--lrG', type=float, default=2e-3)
parser.add_argument('--log-interval', type=int, default=2)
parser.add_argument('--seed', type=int, default=7)
args = parser.parse_args()

torch.manual_seed(args.seed)
np.random.seed(args.seed)

n_classes = 3
centers = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]], dtype=np.float32)
labels = np.random.randint(0, n_classes, size=256)
points = centers[labels] + 0.2 * np.random.randn(256, 2).astype(np.float32)
train_set = TensorDataset(data_tensor=torch.from_numpy(points),
                          target_tensor=torch.from_numpy(labels).long())
train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)


class Generator(nn.Module):
    def __init__(self, nz, n_classes):
        super(Generator, self).__init__()
        self.embed = nn.Embedding(n_classes, 4)
        self.net = nn.Sequential(nn.Linear(nz + 4, 32), nn.ReLU(), nn.Linear(32, 2))

    def forward(self, z, y):
        return self.net(torch.cat([z, self.embed(y)], 1))


class Discriminator(nn.Module):
    def __init__(self, n_classes):
        super(Discriminator, self).__init__()
        self.embed = nn.Embedding(n_classes, 4)
        self.net = nn.Sequential(nn.Linear(2 + 4, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))

    def forward(self, x, y):
        return F.sigmoid(self.net(torch.cat([x, self.embed(y)], 1)))


netG = Generator(args.nz, n_classes)
netD = Discriminator(n_classes)
criterion = nn.BCELoss()
optimizerD = optim.Adam(netD.parameters(), lr=args.lrD, betas=(0.5, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=args.lrG, betas=(0.5, 0.999))
schedulerD = lr_scheduler.StepLR(optimizerD, step_size=1, gamma=0.5)
schedulerG = lr_scheduler.ExponentialLR(optimizerG, gamma=0.8)

class_probs = torch.ones(1, n_classes) / n_classes
fixed_noise = Variable(torch.randn(6, args.nz))
fixed_labels = Variable(torch.LongTensor([0, 1, 2, 0, 1, 2]))


def sample_labels(n):
    # one class per sample, drawn from the class prior
    return Variable(class_probs.expand(n, n_classes)).multinomial().view(-1)


def train_step_shared_graph(real, y):
    """The single-forward variant from the first version of this script: the
    generator's loss reused the discriminator's output from before
    optimizerD.step().  Kept for reference; the training loop below recomputes."""
    z = Variable(torch.randn(real.size(0), args.nz))
    fake = netG(z, y)
    d_fake = netD(fake, y)
    errD = criterion(netD(real, y), Variable(torch.ones(real.size(0), 1))) + \
        criterion(d_fake, Variable(torch.zeros(real.size(0), 1)))
    errD.backward(retain_graph=True)
    optimizerD.step()
    errG = criterion(d_fake, Variable(torch.ones(real.size(0), 1)))
    errG.backward()
    optimizerG.step()


for epoch in range(args.epochs):
    schedulerD.step()
    schedulerG.step()
    print('epoch %d  lrD %.5f  lrG %.5f' % (epoch, optimizerD.param_groups[0]['lr'],
                                            optimizerG.param_groups[0]['lr']))
    for i, (data, y) in enumerate(train_loader):
        batch_size = data.size(0)
        real = Variable(data)
        y = Variable(y)
        real_label = Variable(torch.ones(batch_size, 1))
        fake_label = Variable(torch.zeros(batch_size, 1))

        # (1) update D: maximize log(D(x)) + log(1 - D(G(z)))
        netD.zero_grad()
        d_out = netD(real, y)
        errD_real = criterion(d_out, real_label)
        errD_real.backward()
        z = Variable(torch.randn(batch_size, args.nz))
        y_fake = sample_labels(batch_size)
        fake = netG(z, y_fake)
        d_fake = netD(fake.detach(), y_fake)
        errD_fake = criterion(d_fake, fake_label)
        errD_fake.backward()
        optimizerD.step()

        # (2) update G: maximize log(D(G(z)))
        netG.zero_grad()
        d_gen = netD(fake, y_fake)
        errG = criterion(d_gen, real_label)
        errG.backward()
        optimizerG.step()

        if i % args.log_interval == 0:
            print('[%d][%d/%d] Loss_D %.4f Loss_G %.4f D(x) %.4f (first %.4f) D(G(z)) %.4f' % (
                epoch, i, len(train_loader), errD_real.data[0] + errD_fake.data[0],
                errG.data[0], d_out.data.mean(), d_out.data[0], d_gen.data.mean()))

    # checkpoint: weights, optimizer states and the command line
    ckpt = io.BytesIO()
    torch.save({'epoch': epoch, 'netG': netG.state_dict(), 'netD': netD.state_dict(),
                'optD': optimizerD.state_dict(), 'args': args}, ckpt)
    ckpt.seek(0)
    state = torch.load(ckpt)
    netG.load_state_dict(state['netG'])
    print('=> checkpoint of epoch %d (saved with lr %g)' % (state['epoch'], state['args'].lrG))

samples = netG(fixed_noise, fixed_labels)
print('samples per class:', samples.data.numpy().round(2).tolist())
