"""Small legacy git repos for the fleet tests (deterministic for a seed)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

TRAIN = """import torch
import torch.nn.functional as F
from torch.autograd import Variable


def train{i}(model, loader, optimizer):
    total = 0
    for data, target in loader:
        data, target = Variable(data), Variable(target)
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target, size_average={avg})
        loss.backward()
        optimizer.step()
        total += loss.data[0]
    return total


def evaluate{i}(model, x):
    x = Variable(x, volatile=True)
    return F.softmax(model(x)).data.max(1)[1]
"""

MODEL = """import torch.nn as nn
import torch.nn.functional as F
from torch.nn import init


class Net{i}(nn.Module):
    def __init__(self):
        super(Net{i}, self).__init__()
        self.fc = nn.Linear({n}, 10)
        init.xavier_uniform(self.fc.weight)

    def forward(self, x):
        return F.sigmoid(self.fc(x))
"""

UTILS = """import os


def ensure_dir{i}(path):
    if not os.path.isdir(path):
        os.makedirs(path)
    return path
"""


def git(cwd, *args) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.name=fleet test", "-c", "user.email=fleet@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return proc.stdout


def make_repo(root: Path, i: int, marker: bool = False, crlf: bool = False) -> Path:
    rng = random.Random(i)
    root.mkdir(parents=True)
    (root / "pkg").mkdir()
    extra = "\n\nslow_marker()\n" if marker else ""
    files = {
        "train.py": TRAIN.format(i=i, avg=rng.choice(["False", "True"])) + extra,
        "pkg/model.py": MODEL.format(i=i, n=rng.randint(2, 64)) + extra,
        "pkg/utils.py": UTILS.format(i=i) + extra,
    }
    for rel, text in files.items():
        data = text.replace("\n", "\r\n") if crlf and rel == "train.py" else text
        (root / rel).write_bytes(data.encode())
    if i % 5 == 0:  # a notebook now and then
        nb = {
            "cells": [
                {
                    "cell_type": "code",
                    "execution_count": 1,
                    "metadata": {},
                    "outputs": [],
                    "source": ["import torch\n", "torch.nn.utils.clip_grad_norm(ps, 5)\n"],
                }
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        (root / "explore.ipynb").write_text(json.dumps(nb, indent=1) + "\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", f"repo {i}")
    return root


def make_fleet(base: Path, n: int = 20, marker: bool = False) -> list:
    return [make_repo(base / f"repo{i:02d}", i, marker, crlf=i % 4 == 1) for i in range(n)]


def snapshot(roots: list) -> dict:
    """{relative path: bytes} of every file of the repos (git metadata aside)."""
    out = {}
    for root in roots:
        for p in sorted(Path(root).rglob("*")):
            if p.is_file() and ".git" not in p.relative_to(root).parts:
                out[f"{Path(root).name}/{p.relative_to(root).as_posix()}"] = p.read_bytes()
    return out


def slow_rule(path: Path, markers: Path, delay: float = 0.25) -> Path:
    """A user rule that changes nothing but takes ``delay`` seconds per file
    (at its `slow_marker()` call, in every pass of the engine) and leaves a
    marker file ``PID-FILEHASH-UNIQUE`` per call: a way to see a run's
    progress from outside and to interrupt it mid-way.  Once a file
    ``MARKERS.fast`` exists, the calls no longer sleep."""
    markers.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""import hashlib
import os
import time
import uuid

from bowler import Query

from torchmigrate.user_rules import user_rule

MARKERS = {str(markers)!r}


def slow(node, capture, filename):
    if not os.path.exists(MARKERS + ".fast"):
        time.sleep({delay})
    name = hashlib.sha1(filename.encode()).hexdigest()[:12]
    open(os.path.join(MARKERS, f"{{os.getpid()}}-{{name}}-{{uuid.uuid4().hex}}"), "w").close()
    return False


RULES = [
    user_rule(
        id="Z001",
        name="slow-marker",
        summary="Slows the run down (a test fixture)",
        query=Query().select_function("slow_marker").filter(slow),
        safety="manual",
    )
]
"""
    )
    return path


def tm(*args, cwd=None, env=None, timeout=300):
    e = dict(os.environ, COLUMNS="200")
    e.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "torchmigrate", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=e,
        timeout=timeout,
    )


def tm_popen(*args, cwd=None, env=None):
    e = dict(os.environ, COLUMNS="200")
    e.update(env or {})
    return subprocess.Popen(
        [sys.executable, "-m", "torchmigrate", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=e,
    )
