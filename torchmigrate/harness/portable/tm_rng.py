# -*- coding: utf-8 -*-
"""Portable random numbers: the same draws under torch 1.0 and today's torch.

Portable code (see ``tm_trace``).  ``torch.manual_seed(s)`` gives different numbers on
different torch versions (the CPU sampling kernels changed: vectorised normals, new
uniform conversions, ``randperm`` algorithms), so a genuine old torch and today's torch
cannot be compared on their own random streams.  With ``verify --old-python`` both
sides install this module, which routes the Python-level random functions through one
``numpy.random.RandomState`` (MT19937, whose stream numpy keeps stable across versions)
seeded from ``torch.manual_seed``:

- ``Tensor.uniform_``, ``normal_``, ``bernoulli_``, ``random_``, ``exponential_`` (the
  ``nn.init`` functions and module initialisation go through these);
- ``torch.rand``, ``randn``, ``randint``, ``randperm``, ``normal``, ``bernoulli``,
  ``multinomial``, ``rand_like``, ``randn_like``;
- ``F.dropout``/``F.dropout2d`` (so ``nn.Dropout``), computed as ``x * mask / (1 - p)``;
- ``RandomSampler`` (shuffling ``DataLoader``s) draws its permutation from the stream.

Random numbers drawn inside C++ kernels -- the dropout between the layers of
``nn.LSTM``/``nn.GRU``, ``torch.nn.init.orthogonal_``'s QR, RReLU -- cannot be routed and
still differ between torch versions; so do Python's ``random.shuffle``/``randint``
between Python 2 and 3 (their algorithm changed in 3.2).
"""

from __future__ import absolute_import, division, print_function

import numpy as np
import torch
import torch.nn.functional as F

_state = {"rs": np.random.RandomState(0)}


def seed(s):
    _state["rs"] = np.random.RandomState(int(s) % (2**32))


def _rs():
    return _state["rs"]


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list, torch.Size)):
        size = tuple(size[0])
    return tuple(int(x) for x in size)


def _fill(t, values):
    with torch.no_grad():
        src = torch.from_numpy(np.ascontiguousarray(values).reshape(tuple(t.shape)))
        t.copy_(src.to(t.dtype))
    return t


def _n(t):
    return int(t.numel())


def uniform_(self, a=0.0, b=1.0, generator=None):
    return _fill(self, a + (b - a) * _rs().random_sample(_n(self)))


def normal_(self, mean=0.0, std=1.0, generator=None):
    return _fill(self, mean + std * _rs().standard_normal(_n(self)))


def bernoulli_(self, p=0.5, generator=None):
    if isinstance(p, torch.Tensor):
        p = p.detach().cpu().double().numpy().reshape(-1)
        if p.size != _n(self):
            p = np.broadcast_to(p, (_n(self),))
    return _fill(self, (_rs().random_sample(_n(self)) < p).astype(np.float64))


def exponential_(self, lambd=1.0, generator=None):
    return _fill(self, _rs().exponential(1.0 / lambd, _n(self)))


def random_(self, *args, **kwargs):
    kwargs.pop("generator", None)
    if len(args) == 2:
        lo, hi = args
    elif len(args) == 1:
        lo, hi = 0, args[0]
    else:
        lo = kwargs.get("from", 0)
        hi = kwargs.get("to")
        if hi is None:
            hi = 2**24 if self.is_floating_point() else 2**31
    return _fill(self, _rs().randint(int(lo), int(hi), size=_n(self)).astype(np.float64))


def _factory(kwargs):
    kw = {}
    for k in ("dtype", "device", "layout"):
        if kwargs.get(k) is not None:
            kw[k] = kwargs[k]
    return kw


def _finish(t, kwargs):
    if kwargs.get("requires_grad"):
        t.requires_grad_(True)
    out = kwargs.get("out")
    if out is not None:
        out.resize_(t.shape).copy_(t)
        return out
    return t


def rand(*size, **kwargs):
    t = torch.empty(_shape(size), **_factory(kwargs))
    return _finish(uniform_(t), kwargs)


def randn(*size, **kwargs):
    t = torch.empty(_shape(size), **_factory(kwargs))
    return _finish(normal_(t), kwargs)


def rand_like(input, **kwargs):
    kw = {"dtype": input.dtype, "device": input.device}
    kw.update(_factory(kwargs))
    return _finish(uniform_(torch.empty(tuple(input.shape), **kw)), kwargs)


def randn_like(input, **kwargs):
    kw = {"dtype": input.dtype, "device": input.device}
    kw.update(_factory(kwargs))
    return _finish(normal_(torch.empty(tuple(input.shape), **kw)), kwargs)


def randint(*args, **kwargs):
    args = list(args)
    size = kwargs.pop("size", None)
    if size is None:
        size = args.pop()
    if len(args) == 2:
        lo, hi = args
    elif len(args) == 1:
        lo, hi = kwargs.pop("low", 0), args[0]
    else:
        lo, hi = kwargs.pop("low", 0), kwargs.pop("high")
    kw = _factory(kwargs)
    kw.setdefault("dtype", torch.int64)
    vals = _rs().randint(int(lo), int(hi), size=_shape((size,)) or None)
    t = torch.empty(_shape((size,)), **kw)
    return _finish(_fill(t, np.asarray(vals, dtype=np.float64)), kwargs)


def randperm(n, **kwargs):
    kw = _factory(kwargs)
    kw.setdefault("dtype", torch.int64)
    t = torch.empty((int(n),), **kw)
    return _finish(_fill(t, _rs().permutation(int(n)).astype(np.float64)), kwargs)


def normal(mean=0.0, std=1.0, *args, **kwargs):
    size = kwargs.pop("size", None)
    if args:
        size = args[0]
    if isinstance(mean, torch.Tensor) or isinstance(std, torch.Tensor):
        ref = mean if isinstance(mean, torch.Tensor) else std
        shape = torch.broadcast_tensors(
            mean if isinstance(mean, torch.Tensor) else torch.tensor(float(mean)),
            std if isinstance(std, torch.Tensor) else torch.tensor(float(std)),
        )[0].shape
        z = torch.from_numpy(_rs().standard_normal(int(np.prod(shape) if len(shape) else 1)))
        z = z.reshape(tuple(shape)).to(ref.dtype)
        return _finish(mean + std * z, kwargs)
    t = torch.empty(_shape((size,)), **_factory(kwargs))
    return _finish(normal_(t, mean, std), kwargs)


def bernoulli(input, p=None, **kwargs):
    kwargs.pop("generator", None)
    t = torch.empty(tuple(input.shape), dtype=input.dtype, device=input.device)
    return bernoulli_(t, input if p is None else p)


def multinomial(input, num_samples, replacement=False, **kwargs):
    probs = input.detach().cpu().double()
    rows = probs.reshape(-1, probs.shape[-1]).numpy()
    out = []
    for row in rows:
        pr = row / row.sum()
        out.append(_rs().choice(len(pr), int(num_samples), replace=bool(replacement), p=pr))
    res = torch.from_numpy(np.asarray(out, dtype=np.int64))
    if input.dim() == 1:
        res = res.reshape(-1)
    return res


def dropout(input, p=0.5, training=True, inplace=False):
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0
    mask = torch.from_numpy((_rs().random_sample(_n(input)) >= p).astype(np.float64))
    mask = mask.reshape(tuple(input.shape)).to(input.dtype)
    out = input * mask / (1.0 - p)
    if inplace:
        with torch.no_grad():
            input.copy_(out)
        return input
    return out


def dropout2d(input, p=0.5, training=True, inplace=False):
    if not training or p == 0:
        return input
    shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    n = int(np.prod(shape))
    mask = torch.from_numpy((_rs().random_sample(n) >= p).astype(np.float64))
    mask = mask.reshape(shape).to(input.dtype)
    out = input * mask / (1.0 - p)
    if inplace:
        with torch.no_grad():
            input.copy_(out)
        return input
    return out


def _sampler_iter(self):
    n = len(self.data_source)
    if getattr(self, "replacement", False):
        num = getattr(self, "_num_samples", None) or n
        return iter(_rs().randint(0, n, size=num).tolist())
    return iter(_rs().permutation(n).tolist())


def install(s=0):
    seed(s)
    orig_manual_seed = torch.manual_seed

    def manual_seed(value):
        seed(value)
        return orig_manual_seed(value)

    torch.manual_seed = manual_seed
    T = torch.Tensor
    for name, fn in (
        ("uniform_", uniform_),
        ("normal_", normal_),
        ("bernoulli_", bernoulli_),
        ("exponential_", exponential_),
        ("random_", random_),
    ):
        setattr(T, name, fn)
    for name, fn in (
        ("rand", rand),
        ("randn", randn),
        ("rand_like", rand_like),
        ("randn_like", randn_like),
        ("randint", randint),
        ("randperm", randperm),
        ("normal", normal),
        ("bernoulli", bernoulli),
        ("multinomial", multinomial),
    ):
        setattr(torch, name, fn)
    T.bernoulli = lambda self, p=None, **kw: bernoulli(self, p)
    T.multinomial = lambda self, n, replacement=False, **kw: multinomial(self, n, replacement)
    F.dropout = dropout
    F.dropout2d = dropout2d
    try:
        from torch.utils.data import sampler

        sampler.RandomSampler.__iter__ = _sampler_iter
    except (ImportError, AttributeError):
        pass
