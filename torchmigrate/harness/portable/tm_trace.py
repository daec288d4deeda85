# -*- coding: utf-8 -*-
"""The trace format shared by every side of ``torchmigrate verify`` (portable code).

This file (like everything in ``portable/``) runs inside the child processes: under
today's Python and torch, and under a genuine old interpreter (CPython 2.7/3.6/3.7 with
torch 1.0-1.13) for ``verify --old-python``.  It is therefore written in the subset of
Python common to 2.7 and 3.x (no f-strings, no annotations, no ``nonlocal``) and uses
only torch APIs that exist since 1.0.

A trace is a directory written by one child:

- ``steps.jsonl``: one JSON line per recorded training step, appended and flushed as the
  step ends: ``{"i": 1, "loss": 2.30, "ld": "float32", "nb": 1, "partial": false,
  "t": true}`` (``i`` counts from 1, ``nb`` is the number of backward calls, ``t`` tells
  that the step's tensors were written, i.e. the step is inside the compared window).
- ``step-000001.bin`` ...: the tensors of one compared step, written to a temporary name
  and renamed when complete (so a reader never sees half a step).  Layout: the magic
  ``TMS1``, then records ``<uint32 LE header length><JSON header><raw bytes>``.  Tensor
  records have the header ``{"r": "t", "k": "grad"|"param", "n": name, "d": dtype,
  "s": shape, "nb": byte count}`` followed by the tensor's bytes (C order, native little
  endian); bfloat16 is stored as its raw 16-bit pattern.  The last record is
  ``{"r": "end", ...}`` with the step's scalar information (as in ``steps.jsonl``).
- ``result.json`` (written once, at the end, even when the script crashed): status,
  error text, the script's frames of the failing traceback, step counts, writes that
  were blocked, interpreter and torch versions.

The parent reads step files one tensor at a time (``torchmigrate.harness.tracefile``),
so its memory does not grow with the number of steps or the number of parameters.
"""

from __future__ import absolute_import, division, print_function

import json
import os
import struct
import sys

import torch

MAGIC = b"TMS1"

# Taken at import, before any runtime patch can change them.
_NUMPY = torch.Tensor.numpy
_DETACH = torch.Tensor.detach
_CPU = torch.Tensor.cpu
_CONTIGUOUS = torch.Tensor.contiguous


def dtype_name(t):
    return str(t.dtype).replace("torch.", "")


def tensor_bytes(t):
    """The raw bytes of ``t`` (C order) without changing it."""
    t = _CONTIGUOUS(_CPU(_DETACH(t)))
    if t.dtype == getattr(torch, "bfloat16", None):
        t = t.view(torch.int16)
    return _NUMPY(t).tobytes()


def _dumps(obj):
    return json.dumps(obj, sort_keys=True).encode("utf-8")


class StepWriter(object):
    """Writes one compared step's tensors; ``close`` makes it visible atomically."""

    def __init__(self, directory, index):
        self.final = os.path.join(directory, "step-%06d.bin" % index)
        self.tmp = self.final + ".part"
        self.fh = open(self.tmp, "wb")
        self.fh.write(MAGIC)
        self.count = 0
        self.elements = 0

    def _record(self, header, payload):
        h = _dumps(header)
        self.fh.write(struct.pack("<I", len(h)))
        self.fh.write(h)
        if payload:
            self.fh.write(payload)

    def tensor(self, kind, name, t):
        data = tensor_bytes(t)
        header = {
            "r": "t",
            "k": kind,
            "n": name,
            "d": dtype_name(t),
            "s": [int(x) for x in t.shape],
            "nb": len(data),
        }
        self._record(header, data)
        self.count += 1
        self.elements += int(t.numel())

    def close(self, info):
        header = dict(info)
        header["r"] = "end"
        self._record(header, b"")
        self.fh.close()
        os.rename(self.tmp, self.final)

    def abort(self):
        try:
            self.fh.close()
            os.remove(self.tmp)
        except (OSError, IOError):
            pass


class StepLog(object):
    """``steps.jsonl``: one line per step, flushed at once."""

    def __init__(self, directory):
        self.fh = open(os.path.join(directory, "steps.jsonl"), "ab")

    def write(self, info):
        self.fh.write(_dumps(info) + b"\n")
        self.fh.flush()

    def close(self):
        self.fh.close()


def write_result(directory, result):
    path = os.path.join(directory, "result.json")
    tmp = path + ".part"
    with open(tmp, "wb") as fh:
        fh.write(_dumps(result))
    os.rename(tmp, path)


def script_frames(tb, roots):
    """(file, line, function) of the traceback frames that are inside ``roots``."""
    frames = []
    roots = [os.path.realpath(r) for r in roots]
    while tb is not None:
        code = tb.tb_frame.f_code
        fn = os.path.realpath(code.co_filename)
        if not code.co_filename.startswith("<") and any(fn == r or fn.startswith(r + os.sep) for r in roots):
            frames.append([code.co_filename, tb.tb_lineno, code.co_name])
        tb = tb.tb_next
    return frames


def versions():
    return {
        "python": "%d.%d.%d" % tuple(sys.version_info[:3]),
        "torch": str(torch.__version__),
    }
