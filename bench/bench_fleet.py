"""Benchmark: the local executor vs. dask.distributed on one machine, and the
cost of the HTML fleet report.

Generates a fleet of synthetic repos (default 200 repos x 2 files; the
real-code-shaped files of ``bench/realtree.py`` when it is there, else
legacy/modern/plain templates) and reports, from ONE run, ratios and sizes
only (absolute times mean nothing across machines):

* CPU time per file (driver + workers) of the local pool and of
  ``--executor dask`` (a LocalCluster of --workers single-threaded processes,
  started before timing; default batches and one file per task) / the same
  files migrated in-process -- CPU time, because on a shared machine the
  wall clock measures the neighbours (every process of a session shares one
  scheduler share there: see the README's *Scaling*);
* the dask path's overhead per task: the CPU (driver, its scheduler and the
  workers) of a run with no rules, one file per task, minus the same run
  in-process, per task, over a file's migration CPU;
* the driver's CPU per file / a file's migration: how many workers one
  driver can keep busy;
* wall-clock throughput ratios (contended here; meaningful on a quiet machine);
* bytes shipped per file (pickled task in, outcome out) / the file's size;
* the LocalCluster's start-up / the local run's wall time;
* HTML report rendering / the whole local run, and / the Markdown summary.

Usage: python bench/bench_fleet.py [--repos 200] [--files 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import pickle
import random
import resource
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


def _self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


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

        # in-process: the cost of the migration itself (CPU time of this process)
        with LocalExecutor(1) as ex:
            serial, serial_wall, serial_cpu = timed(lambda: run_items(ex, items, ids, True))
        with LocalExecutor(1) as ex:
            _, _, noop_cpu = timed(lambda: run_items(ex, items, (), True, files_per_batch=1))
        per_file = serial_cpu / n

        # local pool: its workers' CPU (children, counted once the pool is shut down)
        before = _children_cpu()
        with LocalExecutor(w) as ex:
            local, local_wall, local_drv = timed(lambda: run_items(ex, items, ids, True))
        local_cpu = _children_cpu() - before + local_drv

        t0 = time.perf_counter()
        with DaskExecutor(None, w) as ex:
            startup = time.perf_counter() - t0
            run_items(ex, items[: 4 * w], ids, True)  # warm the workers (imports, rules)

            def dask_run(rule_ids, per_batch=None):
                before = sum(ex.client.run(_self_cpu).values())
                got, wall, drv = timed(
                    lambda: run_items(ex, items, rule_ids, True, None, None, per_batch)
                )
                return got, wall, drv, sum(ex.client.run(_self_cpu).values()) - before

            dask, dask_wall, dask_drv, dask_wrk = dask_run(ids)
            dask1, dask1_wall, dask1_drv, dask1_wrk = dask_run(ids, 1)
            _, _, noop1_drv, noop1_wrk = dask_run((), 1)

        same = all(vars(a) == vars(b) for a, b in zip(local, dask)) and all(
            vars(a) == vars(b) for a, b in zip(serial, dask1)
        )
        print(f"  results identical (in-process, local pool, dask batched and per file): {same}")
        print("  CPU per file (driver + workers) / in-process:")
        print(f"    local pool:                {local_cpu / serial_cpu:.2f}")
        print(f"    dask, default batches:     {(dask_drv + dask_wrk) / serial_cpu:.2f}")
        print(f"    dask, one file per task:   {(dask1_drv + dask1_wrk) / serial_cpu:.2f}")
        overhead = (noop1_drv + noop1_wrk - noop_cpu) / n
        print(f"  dask overhead per task (CPU) / a file's migration: {overhead / per_file:.3f}")
        print(
            f"  driver CPU per file, dask batched / a file's migration: {dask_drv / serial_cpu:.3f}"
        )
        print(f"    (one driver keeps about {serial_cpu / max(dask_drv, 1e-9):.0f} workers busy)")
        print(
            "  wall-clock throughput (contended machine: all of a session's processes share "
            f"one CPU share): dask / local {local_wall / dask_wall:.2f}, "
            f"dask per file / local {local_wall / dask1_wall:.2f}, "
            f"local / in-process {serial_wall / local_wall:.2f}"
        )
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
        print(f"  LocalCluster start-up (wall) / the local run: {startup / local_wall:.2f}")
        local_run = local_wall

        report = RunReport("upgrade", dask, wrote=True)
        fill_short(report, rules)
        html, html_wall, _ = timed(lambda: render_html(report, rules))
        _, md_wall, _ = timed(lambda: render_markdown(report))
        print(
            f"  HTML report / the local run: {html_wall / local_run:.4f}; / Markdown summary: "
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
