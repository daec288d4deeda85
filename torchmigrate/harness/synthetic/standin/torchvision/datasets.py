# -*- coding: utf-8 -*-
"""Fake torchvision datasets (see ``tm_synthetic``): real shapes, dtypes, class counts and
class names; deterministic pixels and labels; ``download`` does nothing."""

from __future__ import absolute_import, division

import os

import numpy as np
import torch
from torch.utils.data import Dataset

try:
    import tm_synthetic
except ImportError:  # pragma: no cover - the synthetic directory is always on the path
    tm_synthetic = None

__all__ = [
    "MNIST",
    "FashionMNIST",
    "KMNIST",
    "EMNIST",
    "CIFAR10",
    "CIFAR100",
    "SVHN",
    "STL10",
    "ImageFolder",
    "FakeData",
]
FAKED = tuple(__all__)


class SyntheticImage(object):
    """A minimal PIL-like image over a uint8 HWC tensor (mode ``L`` or ``RGB``)."""

    FLIP_LEFT_RIGHT, FLIP_TOP_BOTTOM = 0, 1

    def __init__(self, tensor, mode):
        self.tensor = tensor
        self.mode = mode

    @property
    def height(self):
        return int(self.tensor.shape[0])

    @property
    def width(self):
        return int(self.tensor.shape[1])

    @property
    def size(self):
        return (self.width, self.height)

    def getbands(self):
        return tuple(self.mode)

    def copy(self):
        return SyntheticImage(self.tensor.clone(), self.mode)

    def convert(self, mode):
        if mode == self.mode:
            return self.copy()
        t = self.tensor.float()
        if mode == "L":
            g = 0.299 * t[..., 0] + 0.587 * t[..., 1] + 0.114 * t[..., 2]
            return SyntheticImage(g.round().clamp(0, 255).to(torch.uint8).unsqueeze(-1), "L")
        if mode == "RGB":
            return SyntheticImage(self.tensor.repeat(1, 1, 3).contiguous(), "RGB")
        raise ValueError("the stand-in image supports modes L and RGB, not %r" % (mode,))

    def resize(self, size, resample=None):
        from .transforms import resize

        return resize(self, (size[1], size[0]))

    def crop(self, box):
        left, top, right, bottom = [int(b) for b in box]
        return SyntheticImage(self.tensor[top:bottom, left:right].contiguous(), self.mode)

    def transpose(self, method):
        dim = 1 if method == self.FLIP_LEFT_RIGHT else 0
        return SyntheticImage(self.tensor.flip(dim).contiguous(), self.mode)

    def __array__(self, dtype=None):
        arr = self.tensor.numpy()
        if self.mode == "L":
            arr = arr[:, :, 0]
        return arr if dtype is None else arr.astype(dtype)


def _samples():
    return tm_synthetic.samples() if tm_synthetic is not None else 256


def _bytes(key, n):
    return np.frombuffer(bytes(tm_synthetic.stream_bytes(key, n)), dtype=np.uint8).copy()


def _image(arr_hwc, mode):
    """A stand-in image, or a PIL image when a real torchvision uses these fakes."""
    if tm_synthetic is not None and tm_synthetic.real_torchvision():
        from PIL import Image

        a = arr_hwc[:, :, 0] if mode == "L" else arr_hwc
        return Image.fromarray(np.ascontiguousarray(a), mode=mode)
    return SyntheticImage(torch.from_numpy(np.ascontiguousarray(arr_hwc)), mode)


class _Fake(Dataset):
    H, W, C = 28, 28, 1
    NUM_CLASSES = 10
    CLASSES = None
    LABEL_OFFSET = 0

    def __init__(self, root=None, train=True, transform=None, target_transform=None,
                 download=False, split=None, **kwargs):
        self.root = os.path.expanduser(root) if isinstance(root, str) else root
        self.transform, self.target_transform = transform, target_transform
        self.train = train if split is None else split in ("train", "train+unlabeled", "byclass",
                                                            "balanced", "letters", "digits",
                                                            "mnist", "bymerge")
        self.split = split
        n = _samples() if self.train else max(1, _samples() // 2)
        key = "%s:%s" % (type(self).__name__, split if split is not None else ("train" if self.train else "test"))
        pixels = _bytes(key, n * self.H * self.W * self.C).reshape(n, self.H, self.W, self.C)
        labels = _bytes(key + ":labels", n).astype(np.int64) % self.NUM_CLASSES + self.LABEL_OFFSET
        self._pixels = pixels
        self._labels = labels
        self.classes = list(self.CLASSES) if self.CLASSES else [str(i) for i in range(self.NUM_CLASSES)]
        self.class_to_idx = dict((c, i) for i, c in enumerate(self.classes))

    def __len__(self):
        return len(self._labels)

    def _mode(self):
        return "L" if self.C == 1 else "RGB"

    def __getitem__(self, index):
        img = _image(self._pixels[index], self._mode())
        target = int(self._labels[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def download(self):
        return None


class MNIST(_Fake):
    CLASSES = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    @property
    def data(self):
        return torch.from_numpy(self._pixels[:, :, :, 0].copy())

    @property
    def targets(self):
        return torch.from_numpy(self._labels.copy())

    # 0.3-era attribute names
    @property
    def train_data(self):
        return self.data

    @property
    def train_labels(self):
        return self.targets

    @property
    def test_data(self):
        return self.data

    @property
    def test_labels(self):
        return self.targets


class FashionMNIST(MNIST):
    CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    CLASSES = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


_EMNIST_CLASSES = {"byclass": 62, "bymerge": 47, "balanced": 47, "letters": 26, "digits": 10, "mnist": 10}


class EMNIST(MNIST):
    CLASSES = None

    def __init__(self, root=None, split="balanced", **kwargs):
        if split not in _EMNIST_CLASSES:
            raise ValueError("EMNIST split must be one of %s" % sorted(_EMNIST_CLASSES))
        self.NUM_CLASSES = _EMNIST_CLASSES[split]
        self.LABEL_OFFSET = 1 if split == "letters" else 0
        train = kwargs.pop("train", True)
        super(EMNIST, self).__init__(root, train=train, split=split if train else split + "-test", **kwargs)
        self.train = train


class CIFAR10(_Fake):
    H, W, C = 32, 32, 3
    CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
               "ship", "truck"]

    @property
    def data(self):
        return self._pixels

    @property
    def targets(self):
        return self._labels.tolist()

    @property
    def train_data(self):
        return self._pixels

    @property
    def train_labels(self):
        return self._labels.tolist()

    @property
    def test_data(self):
        return self._pixels

    @property
    def test_labels(self):
        return self._labels.tolist()


class CIFAR100(CIFAR10):
    NUM_CLASSES = 100
    CLASSES = ["class%02d" % i for i in range(100)]


class SVHN(_Fake):
    H, W, C = 32, 32, 3

    def __init__(self, root=None, split="train", transform=None, target_transform=None, download=False):
        super(SVHN, self).__init__(root, transform=transform, target_transform=target_transform, split=split)

    @property
    def data(self):
        return np.ascontiguousarray(self._pixels.transpose(0, 3, 1, 2))

    @property
    def labels(self):
        return self._labels


class STL10(_Fake):
    H, W, C = 96, 96, 3
    CLASSES = ["airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"]

    def __init__(self, root=None, split="train", folds=None, transform=None, target_transform=None,
                 download=False):
        super(STL10, self).__init__(root, transform=transform, target_transform=target_transform, split=split)
        if split == "unlabeled":
            self._labels = self._labels * 0 - 1

    @property
    def data(self):
        return np.ascontiguousarray(self._pixels.transpose(0, 3, 1, 2))

    @property
    def labels(self):
        return self._labels


class FakeData(_Fake):
    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        self.C, self.H, self.W = int(image_size[0]), int(image_size[1]), int(image_size[2])
        self.NUM_CLASSES = num_classes
        self.transform, self.target_transform = transform, target_transform
        n = int(size)
        key = "FakeData:%d:%d" % (n, random_offset)
        self._pixels = _bytes(key, n * self.H * self.W * self.C).reshape(n, self.H, self.W, self.C)
        self._labels = _bytes(key + ":labels", n).astype(np.int64) % num_classes
        self.classes = [str(i) for i in range(num_classes)]
        self.class_to_idx = dict((c, i) for i, c in enumerate(self.classes))
        self.train = True


class ImageFolder(_Fake):
    """Class names from ``root``'s sub-directories when it has any (else ``class0``..
    ``class9``); 64x64 RGB images, one label per sample drawn like the others."""

    H, W, C = 64, 64, 3

    def __init__(self, root, transform=None, target_transform=None, loader=None, is_valid_file=None):
        try:
            classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
        except (OSError, TypeError):
            classes = []
        self.CLASSES = classes or ["class%d" % i for i in range(10)]
        self.NUM_CLASSES = len(self.CLASSES)
        super(ImageFolder, self).__init__(root, transform=transform, target_transform=target_transform,
                                          split="folder:" + os.path.basename(str(root).rstrip("/")))
        self.samples = [(os.path.join(str(root), self.classes[t], "%06d.png" % i), int(t))
                        for i, t in enumerate(self._labels)]
        self.imgs = self.samples
        self.targets = [s[1] for s in self.samples]


DatasetFolder = ImageFolder
