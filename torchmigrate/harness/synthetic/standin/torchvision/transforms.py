# -*- coding: utf-8 -*-
"""The common transforms, on stand-in images (``SyntheticImage``) and on CHW tensors.

Random transforms draw from torch's global generator the way torchvision >= 0.8 does
(``torch.randint`` for crop offsets, ``torch.rand(1)`` for flips), so both sides of a
verification consume the same random numbers.  Resizing is bilinear
(``F.interpolate``, no antialiasing) -- not PIL's filter, but the same on both sides.
"""

from __future__ import absolute_import, division

import math
import numbers

import torch
import torch.nn.functional as F

try:
    from .datasets import SyntheticImage
except ImportError:  # loaded as a plain module
    from datasets import SyntheticImage  # noqa: F401

NEAREST, BILINEAR, BICUBIC = 0, 2, 3


def _to_chw(img):
    """(float CHW tensor, was_image, mode)."""
    if isinstance(img, SyntheticImage):
        return img.tensor.permute(2, 0, 1).float(), True, img.mode
    return img, False, None


def _back(t, was_image, mode):
    if was_image:
        return SyntheticImage(t.round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).contiguous(), mode)
    return t


def _size_hw(img):
    if isinstance(img, SyntheticImage):
        return img.height, img.width
    return int(img.shape[-2]), int(img.shape[-1])


class Compose(object):
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img


class Lambda(object):
    def __init__(self, lambd):
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)


class ToTensor(object):
    def __call__(self, pic):
        if isinstance(pic, SyntheticImage):
            return pic.tensor.permute(2, 0, 1).float().div(255)
        if isinstance(pic, torch.Tensor):
            return pic
        import numpy as np

        arr = np.asarray(pic)
        if arr.ndim == 2:
            arr = arr[:, :, None]
        t = torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))
        if t.dtype == torch.uint8:
            return t.float().div(255)
        return t


class ToPILImage(object):
    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        if isinstance(pic, SyntheticImage):
            return pic
        t = pic
        if t.dim() == 2:
            t = t.unsqueeze(0)
        if t.is_floating_point():
            t = t.mul(255).to(torch.uint8)
        mode = self.mode or ("L" if t.size(0) == 1 else "RGB")
        return SyntheticImage(t.permute(1, 2, 0).contiguous(), mode)


class Normalize(object):
    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor):
        mean = torch.as_tensor(self.mean, dtype=tensor.dtype).view(-1, 1, 1)
        std = torch.as_tensor(self.std, dtype=tensor.dtype).view(-1, 1, 1)
        if self.inplace:
            return tensor.sub_(mean).div_(std)
        return (tensor - mean) / std


def _target_size(size, h, w):
    if isinstance(size, numbers.Number):
        size = int(size)
        if h <= w:
            return size, int(size * w / h)
        return int(size * h / w), size
    return int(size[0]), int(size[1])


def resize(img, size, interpolation=BILINEAR):
    h, w = _size_hw(img)
    oh, ow = _target_size(size, h, w)
    if (oh, ow) == (h, w):
        return img
    t, was, mode = _to_chw(img)
    mode_name = "nearest" if interpolation == NEAREST else "bilinear"
    kwargs = {} if mode_name == "nearest" else {"align_corners": False}
    out = F.interpolate(t.unsqueeze(0).float(), size=(oh, ow), mode=mode_name, **kwargs)[0]
    return _back(out, was, mode)


class Resize(object):
    def __init__(self, size, interpolation=BILINEAR, **kwargs):
        self.size, self.interpolation = size, interpolation

    def __call__(self, img):
        return resize(img, self.size, self.interpolation)


Scale = Resize


def crop(img, top, left, height, width):
    if isinstance(img, SyntheticImage):
        return SyntheticImage(img.tensor[top:top + height, left:left + width].contiguous(), img.mode)
    return img[..., top:top + height, left:left + width]


def _pair(size):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    return int(size[0]), int(size[1])


class CenterCrop(object):
    def __init__(self, size):
        self.size = _pair(size)

    def __call__(self, img):
        h, w = _size_hw(img)
        th, tw = self.size
        i = int(round((h - th) / 2.0))
        j = int(round((w - tw) / 2.0))
        return crop(img, i, j, th, tw)


def pad(img, padding, fill=0):
    if isinstance(padding, numbers.Number):
        padding = (int(padding),) * 4
    elif len(padding) == 2:
        padding = (padding[0], padding[1], padding[0], padding[1])
    left, top, right, bottom = [int(p) for p in padding]
    t, was, mode = _to_chw(img)
    out = F.pad(t, (left, right, top, bottom), value=float(fill))
    return _back(out, was, mode) if was else out


class Pad(object):
    def __init__(self, padding, fill=0, padding_mode="constant"):
        self.padding, self.fill = padding, fill

    def __call__(self, img):
        return pad(img, self.padding, self.fill)


class RandomCrop(object):
    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = _pair(size)
        self.padding, self.pad_if_needed, self.fill = padding, pad_if_needed, fill

    def __call__(self, img):
        if self.padding:
            img = pad(img, self.padding, self.fill)
        h, w = _size_hw(img)
        th, tw = self.size
        if self.pad_if_needed and (h < th or w < tw):
            img = pad(img, (max(0, tw - w), max(0, th - h)), self.fill)
            h, w = _size_hw(img)
        if h == th and w == tw:
            return img
        i = int(torch.randint(0, h - th + 1, size=(1,)).item())
        j = int(torch.randint(0, w - tw + 1, size=(1,)).item())
        return crop(img, i, j, th, tw)


def hflip(img):
    if isinstance(img, SyntheticImage):
        return SyntheticImage(img.tensor.flip(1).contiguous(), img.mode)
    return img.flip(-1)


def vflip(img):
    if isinstance(img, SyntheticImage):
        return SyntheticImage(img.tensor.flip(0).contiguous(), img.mode)
    return img.flip(-2)


class RandomHorizontalFlip(object):
    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        if float(torch.rand(1)) < self.p:
            return hflip(img)
        return img


class RandomVerticalFlip(object):
    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        if float(torch.rand(1)) < self.p:
            return vflip(img)
        return img


class RandomResizedCrop(object):
    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation=BILINEAR):
        self.size = _pair(size)
        self.scale, self.ratio, self.interpolation = scale, ratio, interpolation

    def get_params(self, img):
        height, width = _size_hw(img)
        area = height * width
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target_area = area * float(torch.empty(1).uniform_(self.scale[0], self.scale[1]))
            aspect = math.exp(float(torch.empty(1).uniform_(log_ratio[0], log_ratio[1])))
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                i = int(torch.randint(0, height - h + 1, size=(1,)).item())
                j = int(torch.randint(0, width - w + 1, size=(1,)).item())
                return i, j, h, w
        h, w = min(height, width), min(height, width)
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        i, j, h, w = self.get_params(img)
        return resize(crop(img, i, j, h, w), self.size, self.interpolation)


RandomSizedCrop = RandomResizedCrop


class Grayscale(object):
    def __init__(self, num_output_channels=1):
        self.n = num_output_channels

    def __call__(self, img):
        t, was, mode = _to_chw(img)
        if t.size(0) == 3:
            g = (0.299 * t[0] + 0.587 * t[1] + 0.114 * t[2]).unsqueeze(0)
        else:
            g = t[:1]
        if self.n == 3:
            g = g.repeat(3, 1, 1)
        return _back(g, was, "L" if self.n == 1 else "RGB") if was else g
