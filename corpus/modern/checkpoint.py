"""Train a tiny convnet on synthetic 12x12 'digits', checkpoint it, reload it
and resume.  Saves both the whole pickled model and a resume dict.
"""
from __future__ import print_function
import argparse
import os
import shutil
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

parser = argparse.ArgumentParser(description='checkpoint / resume example')
parser.add_argument('--lr', default=0.05, type=float, help='learning rate')
parser.add_argument('--epochs', default=2, type=int, help='epochs before checkpointing')
parser.add_argument('--batch-size', default=16, type=int)
parser.add_argument('--seed', default=7, type=int)
parser.add_argument('--cuda', action='store_true', default=False)
args = parser.parse_args()

torch.manual_seed(args.seed)
np.random.seed(args.seed)

n_train, n_test, n_classes = 96, 48, 3
# each class is a fixed random template plus noise
templates = np.random.randn(n_classes, 1, 12, 12).astype(np.float32)
train_labels = np.random.randint(0, n_classes, n_train)
test_labels = np.random.randint(0, n_classes, n_test)
train_images = templates[train_labels] + 1.6 * np.random.randn(n_train, 1, 12, 12).astype(np.float32)
test_images = templates[test_labels] + 1.6 * np.random.randn(n_test, 1, 12, 12).astype(np.float32)


class SmallConvNet(nn.Module):
    def __init__(self, num_classes=3):
        super(SmallConvNet, self).__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=3)
        self.bn1 = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8 * 5 * 5, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = x.view(-1, 8 * 5 * 5)
        return self.fc(x)


model = SmallConvNet(n_classes)
if args.cuda:
    model = model.cuda()
criterion = nn.CrossEntropyLoss(reduction='sum')
optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)


def train(epoch):
    model.train()
    perm = torch.randperm(n_train)
    total_loss = 0.0
    for i in range(0, n_train, args.batch_size):
        idx = perm[i:i + args.batch_size].numpy()
        inputs = torch.from_numpy(train_images[idx])
        targets = torch.from_numpy(train_labels[idx]).long()
        if args.cuda:
            inputs, targets = inputs.cuda(), targets.cuda()

        optimizer.zero_grad(set_to_none=False)
        outputs = model(inputs)
        loss = criterion(outputs, targets) / inputs.size(0)
        loss.backward()
        optimizer.step()
        total_loss += loss.item()
    print('epoch %d  train loss %.5f' % (epoch, total_loss / (n_train // args.batch_size)))


@torch.no_grad()
def evaluate(net):
    net.eval()
    inputs = torch.from_numpy(test_images)
    targets = torch.from_numpy(test_labels).long()
    if args.cuda:
        inputs, targets = inputs.cuda(), targets.cuda()
    outputs = net(inputs)
    # per-sample losses, to report the hardest examples
    losses = F.cross_entropy(outputs, targets, reduction='none')
    hardest = losses.detach().cpu().numpy().argsort()[::-1][:3]
    pred = outputs.detach().max(1)[1].cpu().numpy()
    acc = np.mean(pred == test_labels)
    return acc, hardest


best_acc = 0
for epoch in range(args.epochs):
    train(epoch)
    acc, hardest = evaluate(model)
    print('epoch %d  test acc %.4f  hardest %s' % (epoch, acc, hardest.tolist()))
    if acc > best_acc:
        best_acc = acc

# --- checkpoint -------------------------------------------------------------
save_dir = tempfile.mkdtemp(prefix='ckpt_')
model_path = os.path.join(save_dir, 'model_full.pth')
ckpt_path = os.path.join(save_dir, 'checkpoint.pth.tar')
torch.save(model, model_path)
torch.save({
    'epoch': args.epochs,
    'best_acc': best_acc,
    'args': args,
    'state_dict': model.state_dict(),
    'optimizer': optimizer.state_dict(),
}, ckpt_path)
print('saved checkpoint (best_acc is a %s)' % type(best_acc).__name__)

# --- reload: whole model ----------------------------------------------------
restored = torch.load(model_path, weights_only=False)
acc_restored, _ = evaluate(restored)
print('restored full model: test acc %.4f' % acc_restored)

# --- resume from the dict ---------------------------------------------------
checkpoint = torch.load(ckpt_path, map_location=lambda storage, loc: storage, weights_only=False)
resumed = SmallConvNet(n_classes)
resumed.load_state_dict(checkpoint['state_dict'])
print('resuming from epoch %d (best acc %.4f, lr %g)' % (
    checkpoint['epoch'], checkpoint['best_acc'], checkpoint['args'].lr))
model = resumed
optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
optimizer.load_state_dict(checkpoint['optimizer'])
for epoch in range(checkpoint['epoch'], checkpoint['epoch'] + 1):
    train(epoch)
    acc, hardest = evaluate(model)
    print('epoch %d  test acc %.4f  hardest %s' % (epoch, acc, hardest.tolist()))

shutil.rmtree(save_dir)
