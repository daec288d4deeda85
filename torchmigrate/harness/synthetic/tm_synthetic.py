# -*- coding: utf-8 -*-
"""``--synthetic-data``: deterministic fake datasets, identical on both sides, no network.

Portable code (Python 2.7 and 3.x, torch 1.0+; see ``portable/tm_trace.py``).
``install(samples)`` fakes exactly this, and nothing else:

- **torchvision datasets.**  When ``torchvision`` cannot be imported (it has no build
  for every torch; none beside torch 2.13 on PyPI), the stand-in package in
  ``standin/torchvision`` is put on the path: ``datasets`` (MNIST, FashionMNIST, KMNIST,
  EMNIST, CIFAR10, CIFAR100, SVHN, STL10, ImageFolder, FakeData), ``transforms``
  (Compose, ToTensor, ToPILImage, Normalize, Resize/Scale, CenterCrop, RandomCrop,
  RandomHorizontalFlip, RandomVerticalFlip, RandomResizedCrop/RandomSizedCrop, Pad,
  Grayscale, Lambda), ``utils`` (``save_image`` writes a PNG-free ``.pt`` dump of the
  grid at the given path, ``make_grid``); ``torchvision.models`` is *not* provided
  (importing it raises ImportError saying so).  When a real torchvision is installed,
  only its dataset classes listed above are replaced by the fakes (transforms, models
  and utils stay real; the fakes then return PIL images, as the real datasets do).
- **What a fake dataset is.**  The real image size, channel count, dtype, class count
  and class names; ``download=True`` does nothing; ``len()`` is ``samples`` for training
  splits (default 256) and half of it for test splits; pixels and labels are drawn from a
  SHA-256 stream seeded by the dataset's name and split, so both sides (and every run)
  see the same bytes, whatever the torch version, and the script's own random stream is
  not touched.  Attributes scripts read are there: ``data``/``targets`` (and the 0.3-era
  ``train_data``/``train_labels``/``test_data``/``test_labels``), ``labels`` for SVHN and
  STL10, ``classes``, ``class_to_idx``, ``samples``/``imgs`` for ImageFolder.
- **Text corpora.**  Opening, for reading, a *missing* ``.txt``/``.tokens`` file whose name
  or directory looks like a corpus (``train``, ``valid``, ``test``, ``dev``, ``wiki``,
  ``ptb``, ``text8``, ``corpus``, or a ``data``/``datasets`` directory) gives a generated
  text (a 200-word vocabulary, one sentence per line, the same for the same file name);
  ``os.path.exists``/``isfile`` report such files as present.  Existing files are read
  as they are.

The images are noise, so accuracy numbers mean nothing; the point is that both programs
run the same computation on the same inputs.
"""

from __future__ import absolute_import, division, print_function

import hashlib
import io
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
STANDIN = os.path.join(_HERE, "standin")
DEFAULT_SAMPLES = 256
_config = {"samples": DEFAULT_SAMPLES, "real_torchvision": False}
_exists = os.path.exists  # the real one (``install`` patches os.path.exists)


def samples():
    return _config["samples"]


def real_torchvision():
    return _config["real_torchvision"]


def stream_bytes(key, n):
    """``n`` deterministic bytes for ``key`` (SHA-256 in counter mode), a bytearray."""
    out = bytearray()
    counter = 0
    seed = key.encode("utf-8")
    while len(out) < n:
        out += hashlib.sha256(seed + str(counter).encode("ascii")).digest()
        counter += 1
    return out[:n]


# ---- text corpora ---------------------------------------------------------------------

_CORPUS_WORDS = ("train", "valid", "test", "dev", "wiki", "ptb", "text8", "corpus")
_CORPUS_DIRS = ("data", "dataset", "datasets", "corpus")
_TEXT_EXT = (".txt", ".tokens")


def is_fake_text(path):
    try:
        path = os.fspath(path) if hasattr(os, "fspath") else path
    except TypeError:
        return False
    if not isinstance(path, str) or _exists(path):
        return False
    low = path.lower()
    if not low.endswith(_TEXT_EXT):
        return False
    base = os.path.basename(low)
    parts = low.replace("\\", "/").split("/")[:-1]
    return any(w in base for w in _CORPUS_WORDS) or any(p in _CORPUS_DIRS for p in parts)


def fake_text(path):
    base = os.path.basename(path)
    data = stream_bytes("text:" + base, 40000)
    words = ["w%s" % _word(i) for i in range(200)]
    lines = []
    pos = 0
    nlines = 400 if "train" in base.lower() else 100
    for _ in range(nlines):
        n = 5 + data[pos % len(data)] % 12
        pos += 1
        sent = []
        for _ in range(n):
            sent.append(words[data[pos % len(data)] % len(words)])
            pos += 1
        lines.append(" ".join(sent))
    return "\n".join(lines) + "\n"


def _word(i):
    letters = "abcdefghijklmnopqrstuvwxyz"
    return letters[i % 26] + letters[(i // 26) % 26] + letters[(i * 7) % 26]


def _install_text():
    import io as _io

    try:
        import builtins
    except ImportError:  # Python 2
        import __builtin__ as builtins
    orig_open = builtins.open
    orig_io_open = _io.open
    orig_exists = _exists
    orig_isfile = os.path.isfile

    def opener(orig):
        def _open(file, mode="r", *args, **kwargs):
            if isinstance(mode, str) and not any(c in mode for c in "wax+") and is_fake_text(file):
                text = fake_text(file)
                if "b" in mode:
                    return io.BytesIO(text.encode("utf-8"))
                return io.StringIO(text if not isinstance(text, bytes) else text.decode("utf-8"))
            return orig(file, mode, *args, **kwargs)

        return _open

    builtins.open = opener(orig_open)
    _io.open = opener(orig_io_open)
    try:
        import codecs

        codecs.open = opener(codecs.open)
    except ImportError:  # pragma: no cover
        pass

    def exists(p):
        return orig_exists(p) or is_fake_text(p)

    def isfile(p):
        return orig_isfile(p) or is_fake_text(p)

    os.path.exists = exists
    os.path.isfile = isfile


# ---- torchvision ----------------------------------------------------------------------


def _has_real_torchvision():
    if "torchvision" in sys.modules:
        return not getattr(sys.modules["torchvision"], "TORCHMIGRATE_STANDIN", False)
    try:
        import importlib.util

        spec = importlib.util.find_spec("torchvision")
        found = spec is not None
    except ImportError:  # Python 2
        import imp

        try:
            imp.find_module("torchvision")
            found = True
        except ImportError:
            found = False
    if not found:
        return False
    try:
        import torchvision  # noqa: F401
    except Exception:  # a torchvision that does not import with this torch
        for name in list(sys.modules):
            if name == "torchvision" or name.startswith("torchvision."):
                del sys.modules[name]
        return False
    return True


def install(samples=None):
    _config["samples"] = int(samples or DEFAULT_SAMPLES)
    _install_text()
    if _has_real_torchvision():
        _config["real_torchvision"] = True
        import torchvision
        import torchvision.datasets as real

        sys.path.append(STANDIN)
        fakes = _load_fakes()
        for name in fakes.FAKED:
            setattr(real, name, getattr(fakes, name))
        torchvision.datasets = real
    else:
        if STANDIN not in sys.path:
            sys.path.append(STANDIN)  # (sys.path[0] becomes the script directory)


def _load_fakes():
    """The stand-in's ``datasets`` module loaded under another name (a real torchvision
    owns the ``torchvision`` package name)."""
    path = os.path.join(STANDIN, "torchvision", "datasets.py")
    try:
        import importlib.util

        spec = importlib.util.spec_from_file_location("tm_fake_datasets", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    except ImportError:  # Python 2
        import imp as _imp

        return _imp.load_source("tm_fake_datasets", path)
