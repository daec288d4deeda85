# -*- coding: utf-8 -*-
"""``make_grid`` and ``save_image`` of the stand-in (``save_image`` writes the grid with
``torch.save`` to the path it is given: no image encoder is needed, and both sides
write the same bytes)."""

from __future__ import absolute_import, division

import math

import torch


def make_grid(tensor, nrow=8, padding=2, normalize=False, range=None, scale_each=False,
              pad_value=0, value_range=None, **kwargs):
    if isinstance(tensor, (list, tuple)):
        tensor = torch.stack(list(tensor), 0)
    if tensor.dim() == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:
        if tensor.size(0) == 1:
            tensor = torch.cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.size(1) == 1:
        tensor = torch.cat((tensor, tensor, tensor), 1)
    tensor = tensor.detach().clone()
    if normalize:
        lo_hi = value_range if value_range is not None else range
        if lo_hi is not None:
            lo, hi = lo_hi
        else:
            lo, hi = float(tensor.min()), float(tensor.max())
        tensor = tensor.clamp(min=lo, max=hi).add(-lo).div(max(hi - lo, 1e-5))
    if tensor.size(0) == 1:
        return tensor.squeeze(0)
    nmaps = tensor.size(0)
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(tensor.size(2) + padding), int(tensor.size(3) + padding)
    grid = tensor.new_full((3, height * ymaps + padding, width * xmaps + padding), pad_value)
    k = 0
    for y in range(ymaps):
        for x in range(xmaps):
            if k >= nmaps:
                break
            grid[:, y * height + padding:(y + 1) * height, x * width + padding:(x + 1) * width] = tensor[k]
            k += 1
    return grid


def save_image(tensor, fp, nrow=8, padding=2, normalize=False, range=None, scale_each=False,
               pad_value=0, format=None, value_range=None, **kwargs):
    grid = make_grid(tensor, nrow=nrow, padding=padding, normalize=normalize, range=range,
                     scale_each=scale_each, pad_value=pad_value, value_range=value_range)
    torch.save(grid.cpu(), fp)
