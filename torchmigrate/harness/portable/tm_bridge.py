# -*- coding: utf-8 -*-
"""The pre-0.4 bridge: what ``verify --old-python`` adds to a *genuine* torch 1.x.

Portable code (see ``tm_trace``).  The old side of ``verify --old-python`` runs under a
real torch 1.0-1.13, which has the 1.x behaviour of everything it still contains -- the
point of the oracle -- but no wheel on the package index predates 1.0, so the 0.1-0.3
idioms that a 1.x torch rejects get the same emulation as in the legacy runtime, and
nothing else:

- ``t[0]`` / ``t[-1]`` on a 0-dim tensor (``loss.data[0]``): the Python number (``self``
  when it requires grad), as 0.3's size-(1,) losses gave;
- ``numpy()`` / ``tolist()`` of a 0-dim tensor: those of its size-(1,) view;
- ``torch.arange`` without ``dtype``: the default float type (0.3 had no integer arange);
- ``_tm_div``/``_tm_idiv`` (Python 2 ``/``) for sources the parent rewrote from Python 2
  for a Python 3 interpreter;
- with ``--device cpu``: ``.cuda()`` returns ``self``, ``torch.cuda.is_available()`` is
  False (the 1.x wheels are CUDA builds; this machine may have no GPU).

Not bridged (these are the 0.3 behaviours checked only against the emulation): Python
numbers from plain-tensor reductions and indexing, optimizer updates that do not bump
version counters (1.0-1.4 optimizers still updated through ``.data``; 1.5+ do not),
``TensorDataset(data_tensor=...)`` and ``module._backend`` (1.0 still has both).
"""

from __future__ import absolute_import, division, print_function

import numbers

import torch
from torch import nn

_saved = []


def _set(owner, name, value):
    _saved.append((owner, name, owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name, None)))
    setattr(owner, name, value)


def py2_div(a, b):
    if _py2_int(a) and _py2_int(b):
        return a // b
    return a / b


def py2_idiv(a, b):
    if _py2_int(a) and _py2_int(b):
        a //= b
        return a
    a /= b
    return a


def _py2_int(x):
    if isinstance(x, bool) or isinstance(x, numbers.Integral):
        return True
    kind = getattr(getattr(x, "dtype", None), "kind", None)
    return kind in ("i", "u", "b") and not isinstance(x, torch.Tensor)


def install(device="cpu"):
    T = torch.Tensor
    orig_get = T.__getitem__

    def __getitem__(self, idx):
        if type(idx) is int and (idx == 0 or idx == -1) and self.dim() == 0:
            return self if self.requires_grad else self.item()
        return orig_get(self, idx)

    _set(T, "__getitem__", __getitem__)

    orig_numpy = T.numpy
    orig_tolist = T.tolist

    def numpy(self):
        if self.dim() == 0:
            return orig_numpy(self.reshape(1))
        return orig_numpy(self)

    def tolist(self):
        if self.dim() == 0:
            return orig_tolist(self.reshape(1))
        return orig_tolist(self)

    _set(T, "numpy", numpy)
    _set(T, "tolist", tolist)

    orig_arange = torch.arange

    def arange(*args, **kwargs):
        if kwargs.get("dtype") is None and "out" not in kwargs:
            kwargs["dtype"] = torch.get_default_dtype()
        return orig_arange(*args, **kwargs)

    _set(torch, "arange", arange)

    try:
        import builtins
    except ImportError:  # Python 2
        import __builtin__ as builtins
    builtins._tm_div = py2_div
    builtins._tm_idiv = py2_idiv

    if device == "cpu":

        def tensor_cuda(self, *args, **kwargs):
            return self

        def module_cuda(self, *args, **kwargs):
            return self

        _set(T, "cuda", tensor_cuda)
        _set(nn.Module, "cuda", module_cuda)
        torch.cuda.is_available = lambda: False
        torch.cuda.device_count = lambda: 0
