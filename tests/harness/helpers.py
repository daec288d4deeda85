"""Shared helpers of the harness tests: the real CLI in a subprocess, tiny scripts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A tiny training script: STEPS optimizer steps of a linear model, loss printed each step.
TINY = """\
import torch
import torch.nn as nn
torch.manual_seed(0)
model = nn.Linear(4, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(16, 4)
y = torch.randn(16, 2)
for step in range({steps}):
    opt.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    opt.step()
{extra}
    print("step", step, "loss %.6f" % loss.item())
"""


def tiny(steps: int = 8, extra: str = "") -> str:
    return TINY.format(steps=steps, extra=extra or "    pass")


def tm(*args, env: dict | None = None, timeout: int = 240, cwd: Path | None = None):
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "torchmigrate", *map(str, args)],
        cwd=str(cwd or ROOT),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )


def verify(*args, **kwargs):
    return tm("verify", *args, **kwargs)


def report(path: Path) -> dict:
    return json.loads(path.read_text())


def flat(out: subprocess.CompletedProcess) -> str:
    return " ".join((out.stdout + out.stderr).split())
