"""Read the trace directories written by the children (format: ``portable/tm_trace.py``).

Step files are indexed (headers only) and tensors are read on demand, in chunks, so the
parent's memory does not depend on the number of steps or on the size of the model.
"""

from __future__ import annotations

import dataclasses
import json
import math
import struct
from collections.abc import Iterator
from pathlib import Path

import torch

MAGIC = b"TMS1"
CHUNK_ELEMENTS = 1 << 22


class TraceFormatError(Exception):
    pass


def torch_dtype(name: str) -> torch.dtype:
    dt = getattr(torch, name, None)
    if not isinstance(dt, torch.dtype):
        raise TraceFormatError(f"unknown dtype {name!r} in a trace")
    return dt


@dataclasses.dataclass
class TensorRecord:
    kind: str
    name: str
    dtype: str
    shape: tuple[int, ...]
    offset: int
    nbytes: int

    @property
    def numel(self) -> int:
        return math.prod(self.shape) if self.shape else 1

    @property
    def torch_dtype(self) -> torch.dtype:
        return torch_dtype(self.dtype)


class StepFile:
    """One compared step: its tensor index and its scalar information."""

    def __init__(self, path: Path):
        self.path = path
        self.tensors: dict[tuple[str, str], TensorRecord] = {}
        self.info: dict = {}
        with open(path, "rb") as fh:
            if fh.read(4) != MAGIC:
                raise TraceFormatError(f"{path}: not a step file")
            while True:
                raw = fh.read(4)
                if len(raw) < 4:
                    raise TraceFormatError(f"{path}: truncated")
                (n,) = struct.unpack("<I", raw)
                header = json.loads(fh.read(n).decode("utf-8"))
                if header.get("r") == "end":
                    self.info = header
                    break
                rec = TensorRecord(
                    header["k"],
                    header["n"],
                    header["d"],
                    tuple(header["s"]),
                    fh.tell(),
                    header["nb"],
                )
                self.tensors[(rec.kind, rec.name)] = rec
                fh.seek(rec.nbytes, 1)

    def names(self, kind: str) -> list[str]:
        return [n for k, n in self.tensors if k == kind]

    def chunks(self, rec: TensorRecord, chunk: int = CHUNK_ELEMENTS) -> Iterator[torch.Tensor]:
        """The tensor's elements (flattened) in chunks of at most ``chunk`` elements."""
        dt = rec.torch_dtype
        storage_dt = torch.int16 if dt == torch.bfloat16 else dt
        item = torch.empty((), dtype=storage_dt).element_size()
        total = rec.numel
        with open(self.path, "rb") as fh:
            fh.seek(rec.offset)
            done = 0
            while done < total:
                n = min(chunk, total - done)
                buf = bytearray(n * item)
                if fh.readinto(buf) != len(buf):
                    raise TraceFormatError(f"{self.path}: truncated tensor {rec.name}")
                t = torch.frombuffer(buf, dtype=storage_dt) if buf else torch.empty(0, dtype=dt)
                if dt == torch.bfloat16:
                    t = t.view(torch.bfloat16)
                yield t
                done += n

    def load(self, rec: TensorRecord) -> torch.Tensor:
        """The whole tensor (only for small ones: tests and explanations)."""
        parts = list(self.chunks(rec))
        flat = torch.cat(parts) if parts else torch.empty(0, dtype=rec.torch_dtype)
        return flat.reshape(rec.shape)


def read_steps(trace_dir: Path) -> list[dict]:
    """``steps.jsonl`` (a torn last line, from a killed child, is ignored)."""
    out = []
    p = trace_dir / "steps.jsonl"
    try:
        with open(p, "rb") as fh:
            for line in fh:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    break
    except OSError:
        pass
    return out


def count_steps(trace_dir: Path) -> int:
    try:
        with open(trace_dir / "steps.jsonl", "rb") as fh:
            return sum(1 for line in fh if line.endswith(b"\n"))
    except OSError:
        return 0


def read_result(trace_dir: Path) -> dict | None:
    try:
        return json.loads((trace_dir / "result.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def step_path(trace_dir: Path, index: int) -> Path:
    return trace_dir / f"step-{index:06d}.bin"
