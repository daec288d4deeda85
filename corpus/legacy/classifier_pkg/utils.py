# Helpers shared by the model and the training script (pulled in with star imports).
import numpy as np
import torch


def make_blobs(n, dim, classes, seed):
    # Gaussian blobs, one per class, so a small MLP can learn them quickly
    centers = np.random.RandomState(0).randn(classes, dim) * 1.5
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, classes, size=n)
    points = centers[labels] + rng.randn(n, dim) * 1.5
    return torch.from_numpy(points).float(), torch.from_numpy(labels).long()


def accuracy(output, target):
    pred = output.data.max(1)[1]
    correct = pred.eq(target.data).sum()
    return 100.0 * float(correct) / target.size(0)


class AverageMeter(object):
    """Computes and stores the average and current value"""

    def __init__(self):
        self.reset()

    def reset(self):
        self.val = 0
        self.sum = 0
        self.count = 0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n

    @property
    def avg(self):
        return self.sum / max(self.count, 1)
