"""Benchmark: the local executor vs. dask.distributed on one machine, and the
cost of the HTML fleet report.

Generates a fleet of synthetic repos (default 200 repos x 2 files; the
real-code-shaped files of ``bench/realtree.py`` when it is there, else
legacy/modern/plain templates) and reports, from ONE run, ratios and sizes
only (absolute times mean nothing across machines):

* throughput of ``--executor dask`` (a LocalCluster of --workers
  single-threaded processes, started before timing) / the local process pool
  with as many workers, over the same files, with the default batching and
  with one file per task;
* the dask path's overhead per task, as a fraction of a file's own migration
  time: (wall of a no-op run, one file per task, x workers - its serial CPU
  time) / tasks, over the mean per-file time of the real run in-process;
* the driver's CPU per file / a file's migration time: the number of workers
  one driver can keep busy;
* bytes shipped per file (pickled task in, outcome out) / the file's size;
* the LocalCluster's start-up / the local run's wall time;
* HTML report rendering / the whole local run, and / the Markdown summary.

Usage: python bench/bench_fleet.py [--repos 200] [--files 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import pickle
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

LEGACY = """import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Variable


class Net{i}(nn.Module):
    def __init__(self):
        super(Net{i}, self).__init__()
        self.fc1 = nn.Linear(20, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x):
        return F.log_softmax(self.fc2(F.sigmoid(self.fc1(x))))


def train{i}(model, loader, optimizer):
    total = 0
    for data, target in loader:
        data, target = Variable(data), Variable(target)
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target, size_average=False)
        loss.backward()
        optimizer.step()
        total += loss.data[0]
    return total
"""
MODERN = """import torch
import torch.nn as nn


class Block{i}(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)
        self.bn = nn.BatchNorm2d(ch)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x))) + x
"""
PLAIN = """import json
import os


def load_config{i}(path):
    with open(os.path.join(path, "config.json")) as fh:
        return json.load(fh)
"""


def make_fleet(base: Path, repos: int, files: int, seed: int = 0) -> list:
    rng = random.Random(seed)
    try:
        import realtree  # the real-code-shaped generator (bench/realtree.py)

        def make(i):
            r = rng.random()
            acc = 0.0
            kind = realtree.KINDS[-1]
            for k in realtree.KINDS:
                acc += realtree.SHARES[k]
                if r < acc:
                    kind = k
                    break
            return realtree.make_file(rng, kind, rng.random() < realtree.LONG_SHARE)

        source = "bench/realtree.py"
    except (ImportError, AttributeError):

        def make(i):
            return rng.choice([LEGACY, MODERN, MODERN, PLAIN, PLAIN]).format(i=i)

        source = "built-in templates"
    items = []
    for r in range(repos):
        root = base / f"repo{r:03d}"
        for f in range(files):
            p = root / ("pkg" if f % 2 else "") / f"m{f}.py"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(make(r * files + f))
            items.append((p, str(root), str(p)))
    return items, source


def timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", type=int, default=200)
    ap.add_argument("--files", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()

    from codemods import all_rules
    from torchmigrate.executors import DaskExecutor, FileTask, LocalExecutor, run_items
    from torchmigrate.html_report import render_html
    from torchmigrate.report import RunReport, fill_short, render_markdown

    base = Path(tempfile.mkdtemp(prefix="tm-bench-fleet-"))
    try:
        items, source = make_fleet(base, args.repos, args.files)
        nbytes = [Path(p).stat().st_size for p, _r, _d in items]
        lines = sum(Path(p).read_text().count("\n") for p, _r, _d in items)
        rules = all_rules()
        ids = tuple(r.id for r in rules)
        n, w = len(items), args.workers
        print(
            f"fleet: {args.repos} repos, {n} files, {lines} lines ({source}); {w} workers; "
            "one run, ratios only"
        )

        # in-process: the per-file cost of the migration itself
        with LocalExecutor(1) as ex:
            serial, serial_wall, _ = timed(lambda: run_items(ex, items, ids, True))
        per_file = serial_wall / n
        with LocalExecutor(1) as ex:
            _, noop_serial, _ = timed(lambda: run_items(ex, items, (), True, files_per_batch=1))

        with LocalExecutor(w) as ex:
            local, local_wall, _ = timed(lambda: run_items(ex, items, ids, True))

        t0 = time.perf_counter()
        with DaskExecutor(None, w) as ex:
            startup = time.perf_counter() - t0
            run_items(ex, items[: 4 * w], ids, True)  # warm the workers (imports, rules)
            dask, dask_wall, dask_cpu = timed(lambda: run_items(ex, items, ids, True))
            dask1, dask1_wall, _ = timed(lambda: run_items(ex, items, ids, True, files_per_batch=1))
            _, noop_wall, _ = timed(lambda: run_items(ex, items, (), True, files_per_batch=1))

        same = all(vars(a) == vars(b) for a, b in zip(local, dask)) and all(
            vars(a) == vars(b) for a, b in zip(serial, dask1)
        )
        print(f"  results identical (local, dask, batched and one file per task): {same}")
        print(f"  throughput dask / local, default batches:   {local_wall / dask_wall:.2f}")
        print(f"  throughput dask, one file per task / local:  {local_wall / dask1_wall:.2f}")
        print(f"  throughput local pool / in-process (x{w}):   {serial_wall / local_wall:.2f}")
        overhead = max(0.0, noop_wall * w - noop_serial) / n
        print(f"  dask overhead per task / a file's migration: {overhead / per_file:.3f}")
        print(f"  driver CPU per file / a file's migration:    {dask_cpu / n / per_file:.3f}")
        print(f"    (one driver keeps about {per_file * n / max(dask_cpu, 1e-9):.0f} workers busy)")
        task_in = [
            len(pickle.dumps(FileTask(str(p), r, d, Path(p).read_bytes(), None)))
            for p, r, d in items
        ]
        task_out = [len(pickle.dumps(o)) for o in dask]
        changed = [o for o in dask if o.status == "changed"]
        print(
            f"  bytes shipped per file: in {statistics.mean(task_in) / statistics.mean(nbytes):.2f}"
            f" x the file, out {statistics.mean(task_out) / statistics.mean(nbytes):.2f} x "
            f"(mean file {statistics.mean(nbytes):.0f} B; in {statistics.mean(task_in):.0f} B, "
            f"out {statistics.mean(task_out):.0f} B; {len(changed)} of {n} files changed)"
        )
        print(f"  LocalCluster start-up / the local run:      {startup / local_wall:.2f}")

        report = RunReport("upgrade", dask, wrote=True)
        fill_short(report, rules)
        html, html_wall, _ = timed(lambda: render_html(report, rules))
        _, md_wall, _ = timed(lambda: render_markdown(report))
        print(
            f"  HTML report / the local run: {html_wall / local_wall:.4f}; / Markdown summary: "
            f"{html_wall / max(md_wall, 1e-9):.1f}; size {len(html) / n:.0f} B per file"
        )
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            (args.keep / "report.html").write_text(html)
        assert same, "executors disagree"
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
