"""Benchmark: `torchmigrate upgrade` vs. the fissix parse+print floor.

Generates two trees of legacy-style code (each >= 50k lines):

* ``legacy``: every file needs migrating (Variable, volatile, .data[0], ...);
* ``realistic``: one file in ten has legacy idioms, the rest is ordinary
  modern Python with no candidate token.

and reports, from ONE run, ratios only (no absolute times are meaningful
across machines):

* engine CPU time / fissix parse+print CPU time of the same files (jobs=1,
  in-process), for both trees;
* the project model's share of upgrade's CPU time (model / (model + engine)):
  scanning every file, resolving imports and computing each file's facts;
* the CLI's wall time with ``--jobs 1`` / ``--jobs 2`` (the parallel speed-up).

Usage: python bench/bench_upgrade.py [--lines 50000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fissix import pygram, pytree
from fissix.pgen2 import driver

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LEGACY_BLOCK = """
class Net{i}(nn.Module):
    def __init__(self):
        super(Net{i}, self).__init__()
        self.fc1 = nn.Linear(20, 50)
        self.fc2 = nn.Linear(50, 10)
        init.xavier_uniform(self.fc1.weight)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)


def train{i}(model, loader, optimizer, epoch):
    model.train()
    total = 0
    for batch_idx, (data, target) in enumerate(loader):
        data, target = Variable(data), Variable(target)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target, size_average=False)
        loss.backward()
        torch.nn.utils.clip_grad_norm(model.parameters(), 5.0)
        optimizer.step()
        total += loss.data[0]
        pred = output.data.max(1)[1]
    return total


def evaluate{i}(model, loader):
    correct = 0
    for data, target in loader:
        data = Variable(data, volatile=True)
        output = model(data)
        pred = output.data.max(1)[1]
        correct += pred.eq(target).sum()
    return correct
"""

MODERN_BLOCK = '''
class Config{i}:
    """Plain configuration object {i}."""

    def __init__(self, path, depth=3):
        self.path = path
        self.depth = depth
        self.items = []

    def add(self, item):
        if item not in self.items:
            self.items.append(item)
        return len(self.items)

    def describe(self):
        parts = [str(x) for x in self.items]
        return "{{}}: {{}}".format(self.path, ", ".join(parts))


def walk{i}(tree, depth=0):
    out = []
    for key, value in sorted(tree.items()):
        if isinstance(value, dict):
            out.extend(walk{i}(value, depth + 1))
        else:
            out.append((depth, key, value))
    return out


def summarize{i}(rows):
    totals = {{}}
    for depth, key, value in rows:
        totals[depth] = totals.get(depth, 0) + len(str(value))
    return sorted(totals.items())
'''

HEADER_LEGACY = (
    "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
    "from torch.nn import init\nfrom torch.autograd import Variable\n"
)
HEADER_MODERN = "import os\nimport sys\nimport json\n"


def make_tree(root: Path, lines: int, legacy_share: float, seed: int = 0) -> int:
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    total = 0
    n = 0
    while total < lines:
        legacy = rng.random() < legacy_share
        blocks = "".join((LEGACY_BLOCK if legacy else MODERN_BLOCK).format(i=k) for k in range(6))
        text = (HEADER_LEGACY if legacy else HEADER_MODERN) + blocks
        (root / f"mod_{n:04d}.py").write_text(text)
        total += text.count("\n")
        n += 1
    return total


def floor_cpu(files) -> float:
    drv = driver.Driver(pygram.python_grammar_no_print_and_exec_statement, convert=pytree.convert)
    t = time.process_time()
    for f in files:
        str(drv.parse_string(f.read_text(), True))
    return time.process_time() - t


def ours_cpu(files) -> float:
    from codemods import all_rules
    from torchmigrate.engine import migrate

    rules = all_rules()
    t = time.process_time()
    for f in files:
        migrate(f.read_text(), rules)
    return time.process_time() - t


def model_cpu(tree: Path, files) -> float:
    """CPU time of the project model (scan every file, resolve, facts for each)."""
    from torchmigrate.project import build_models

    items = [(f, str(tree), str(f)) for f in files]
    t = time.process_time()
    build_models(items)
    return time.process_time() - t


def cli_wall(tree: Path, jobs: int) -> float:
    t = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "torchmigrate",
            "upgrade",
            "--diff",
            "--quiet",
            "--jobs",
            str(jobs),
            str(tree),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=50000)
    ap.add_argument("--keep", type=Path, default=None)
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="tm-bench-"))
    try:
        rows = []
        for name, share in (("legacy", 1.0), ("realistic", 0.1)):
            tree = base / name
            n_lines = make_tree(tree, args.lines, share)
            files = sorted(tree.glob("*.py"))
            ours_cpu(files[:3])  # warm caches (imports, compiled patterns)
            floor = floor_cpu(files)
            ours = ours_cpu(files)
            model = model_cpu(tree, files)
            rows.append((name, len(files), n_lines, ours / floor, model / (ours + model)))
        tree = base / "legacy"
        j1 = cli_wall(tree, 1)
        j2 = cli_wall(tree, 2)
        print("tree        files   lines   ours/floor (CPU, jobs=1)   project model share")
        for name, nf, nl, ratio, share in rows:
            print(f"{name:<10} {nf:>6} {nl:>7}   {ratio:5.2f}x                    {share:6.1%}")
        print(f"--jobs 2 speed-up on the legacy tree (CLI wall time jobs1/jobs2): {j1 / j2:4.2f}x")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
