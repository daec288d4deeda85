"""``--device cpu``: make CUDA-only code run on the CPU, identically for both scripts.

Installed in *both* children (old and new) when verifying with ``--device cpu``:

- ``Tensor.cuda(...)`` / ``Module.cuda(...)`` return ``self`` (tensors and modules stay on
  the CPU); ``Tensor.to``/``Module.to`` map any CUDA device to ``cpu``; tensor factory
  functions called with a CUDA ``device=`` get ``cpu``.
- ``torch.cuda.FloatTensor`` & co. are the CPU tensor types, and ``x.type('torch.cuda.X')``
  means ``x.type('torch.X')``.
- ``torch.cuda.is_available()`` returns **False** (and ``device_count()`` 0), so scripts
  that guard with it take their CPU branch on both sides; unguarded ``.cuda()`` calls are
  no-ops.  ``torch.cuda.synchronize``/``empty_cache`` become no-ops, ``torch.cuda.manual_seed``
  works as before.
"""

from __future__ import annotations

import functools

import torch
from torch import nn

from . import legacy_runtime as _lr

_CUDA_TYPES = (
    "FloatTensor DoubleTensor HalfTensor BFloat16Tensor ByteTensor CharTensor ShortTensor "
    "IntTensor LongTensor BoolTensor"
).split()

_FACTORIES = (
    "tensor zeros ones empty full rand randn randint arange linspace logspace eye "
    "zeros_like ones_like empty_like full_like rand_like randn_like randint_like as_tensor "
    "randperm normal"
).split()

_saved_state: list | None = None


def _is_cuda(dev) -> bool:
    if isinstance(dev, str):
        return dev.startswith("cuda")
    if isinstance(dev, torch.device):
        return dev.type == "cuda"
    return False


def _cpu_device(dev):
    return torch.device("cpu") if _is_cuda(dev) else dev


def _map_args(args, kwargs):
    args = tuple(_cpu_device(a) for a in args)
    if "device" in kwargs:
        kwargs["device"] = _cpu_device(kwargs["device"])
    return args, kwargs


def install_cpu() -> None:
    """Remap CUDA to CPU (see module docstring).  Uses the legacy runtime's save stack
    only for bookkeeping of its own entries."""
    global _saved_state
    if _saved_state is not None:
        return
    before = len(_lr._saved)
    s = _lr._set

    def tensor_cuda(self, device=None, non_blocking=False, **kwargs):
        return self

    def module_cuda(self, device=None, **kwargs):
        return self

    s(torch.Tensor, "cuda", tensor_cuda)
    s(nn.Module, "cuda", module_cuda)

    for owner in (torch.Tensor, nn.Module):
        fn = owner.to

        def make(fn=fn):
            @functools.wraps(fn)
            def to(self, *args, **kwargs):
                args, kwargs = _map_args(args, kwargs)
                return fn(self, *args, **kwargs)

            return to

        s(owner, "to", make())

    orig_type = torch.Tensor.type

    def type_(self, dtype=None, non_blocking=False, **kwargs):
        if isinstance(dtype, str) and dtype.startswith("torch.cuda."):
            dtype = "torch." + dtype[len("torch.cuda.") :]
        if dtype is None:
            return orig_type(self)
        return orig_type(self, dtype, non_blocking, **kwargs)

    s(torch.Tensor, "type", type_)

    for name in _CUDA_TYPES:
        if hasattr(torch, name):
            s(torch.cuda, name, getattr(torch, name))

    for name in _FACTORIES:
        fn = getattr(torch, name, None)
        if fn is None:
            continue

        def make_factory(fn=fn):
            @functools.wraps(fn)
            def factory(*args, **kwargs):
                if "device" in kwargs:
                    kwargs["device"] = _cpu_device(kwargs["device"])
                return fn(*args, **kwargs)

            return factory

        s(torch, name, make_factory())

    s(torch.cuda, "is_available", lambda: False)
    s(torch.cuda, "device_count", lambda: 0)
    s(torch.cuda, "synchronize", lambda *a, **k: None)
    s(torch.cuda, "empty_cache", lambda: None)
    s(torch.cuda, "set_device", lambda *a, **k: None)
    s(torch.cuda, "current_device", lambda: 0)
    _saved_state = _lr._saved[before:]
    del _lr._saved[before:]


def uninstall_cpu() -> None:
    global _saved_state
    if _saved_state is None:
        return
    entries = _saved_state
    _saved_state = None
    while entries:
        owner, name, orig, was = entries.pop()
        if orig is _lr._MISSING or (isinstance(owner, type) and not was):
            try:
                delattr(owner, name)
            except AttributeError:
                pass
        else:
            setattr(owner, name, orig)
