"""Benchmark: ``verify`` against running both scripts plainly -- wall time and peak memory.

Usage: python bench/bench_verify.py [--steps N] [--big-steps N] [OLD NEW]

Two pairs are measured in one run (ratios only, never absolute times in assertions):

- *small*: the harness test pair (``tests/data/harness/legacy_train.py`` / modern);
- *big*: a generated 0.3-style script training a 21M-parameter MLP (and its migration),
  the scale at which the old harness held every step's parameters and gradients in
  memory (2.8 GB at 6 steps for a 26M-parameter GAN).

"plain" is ``run --legacy OLD`` plus ``python NEW`` one after the other (what a user would
otherwise run); "verify" is ``torchmigrate verify OLD NEW`` with every step compared in
full (``--steps`` = the script's step count), comparison time included.  Peak memory is
the largest resident set of any process of the measurement (the verify parent, which
compares, and each child); the ratio divides verify's largest by plain's largest.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "harness"

BIG_OLD = """\
import torch
import torch.nn as nn
from torch.autograd import Variable
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 1024))  # 21M params
opt = torch.optim.Adam(net.parameters(), lr=1e-4)
x = Variable(torch.randn(8, 4096))
y = Variable(torch.randn(8, 1024))
for step in range({steps}):
    opt.zero_grad()
    loss = ((net(x) - y) ** 2).mean()
    loss.backward()
    opt.step()
    print('step %d loss %.6f' % (step, loss.data[0]))
"""
BIG_NEW = (
    BIG_OLD.replace("from torch.autograd import Variable\n", "")
    .replace("Variable(torch.randn(8, 4096))", "torch.randn(8, 4096)")
    .replace("Variable(torch.randn(8, 1024))", "torch.randn(8, 1024)")
    .replace("opt.zero_grad()", "opt.zero_grad(set_to_none=False)")
    .replace("loss.data[0]", "loss.item()")
)

# Runs a command and prints its wall time and the peak RSS (kB) of its process tree's
# largest waited process (ru_maxrss of RUSAGE_CHILDREN).
_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.monotonic()\n"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "print(time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def measure(cmd: list[str]) -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, *cmd], cwd=ROOT, capture_output=True, text=True
    )
    secs, rss = out.stdout.split()
    return float(secs), int(rss)


def bench(label: str, old: Path, new: Path, steps: int) -> dict:
    cli = [sys.executable, "-m", "torchmigrate"]
    t_old, rss_old = measure([*cli, "run", "--legacy", str(old)])
    t_new, rss_new = measure([sys.executable, str(new)])
    with tempfile.TemporaryDirectory() as tmp:
        rep = Path(tmp) / "r.json"
        start = time.monotonic()
        subprocess.run(
            [*cli, "verify", str(old), str(new), "--steps", str(steps), "--report", str(rep)],
            cwd=ROOT,
            capture_output=True,
            timeout=3600,
        )
        t_verify = time.monotonic() - start
        data = json.loads(rep.read_text())
    peaks = data["peak_rss_mb"]
    plain_peak = max(rss_old, rss_new) / 1024
    verify_peak = max(peaks["parent"], peaks["old"], peaks["new"])
    res = {
        "pair": label,
        "verdict": data["verdict"],
        "steps compared": data["compared"]["steps"],
        "elements compared": data["compared"]["elements"],
        "time ratio verify/plain": round(t_verify / (t_old + t_new), 2),
        "peak RSS ratio verify/plain": round(verify_peak / plain_peak, 2),
        "verify parent peak / plain peak": round(peaks["parent"] / plain_peak, 2),
    }
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--big-steps", type=int, default=6)
    ap.add_argument("pair", nargs="*")
    opts = ap.parse_args()
    rows = []
    if len(opts.pair) == 2:
        rows.append(bench("given", Path(opts.pair[0]), Path(opts.pair[1]), 1000000))
    else:
        rows.append(
            bench("small (test pair)", DATA / "legacy_train.py", DATA / "modern_train.py", 8)
        )
        with tempfile.TemporaryDirectory() as tmp:
            old, new = Path(tmp) / "big_old.py", Path(tmp) / "big_new.py"
            old.write_text(BIG_OLD.format(steps=opts.big_steps))
            new.write_text(BIG_NEW.format(steps=opts.big_steps))
            rows.append(
                bench(f"big (21M params, {opts.big_steps} steps)", old, new, opts.big_steps)
            )
    for r in rows:
        print(" | ".join(f"{k}: {v}" for k, v in r.items()))


if __name__ == "__main__":
    main()
