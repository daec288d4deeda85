"""A/B benchmark: is this checkout's engine faster than another commit's?

The ratio to the fissix floor that ``bench_upgrade.py`` reports moves by
several percent between runs on one machine (other tenants, caches,
frequency), more than most single changes gain.  This compares two versions
of the engine in the same sitting instead: rounds alternate between them
(``A`` = ``--against REF``, exported with ``git archive``; ``B`` = this
checkout), each round measures every tree in a fresh process with the same
measuring code (``bench_upgrade.measure``: CPU time, each file's fastest of
``--repeat`` interleaved runs, the older heap frozen), and the report gives
each version's median and spread of the engine/floor ratio per tree and the
median of B/A over the rounds.

    python bench/ab_upgrade.py --against HEAD~3 [--rounds 3] [--repeat 2]
                               [--lines 30000] [--tree DIR ...]

Without ``--tree`` it measures the synthetic all-legacy tree and the
real-code-shaped tree of ``bench_upgrade.py``.  Ratios only, no timing is
asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

# Run in a fresh interpreter for one version: argv = [version root, bench
# dir, repeat, tree...]; prints {tree: [floor CPU, engine CPU]} (each file's
# fastest of ``repeat`` interleaved runs: ``bench_upgrade.measure``) and
# where the engine was imported from, as JSON.
_MEASURE = r"""
import json, sys
from pathlib import Path
version, bench, repeat, trees = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
sys.path.insert(0, bench)
from bench_upgrade import measure  # (it puts this checkout's root first on sys.path)
sys.path.insert(0, version)  # the version under test comes first
from codemods import all_rules
from torchmigrate import engine
rules = all_rules()
out = {"engine_file": engine.__file__}
for tree in trees:
    texts = [p.read_text(errors="replace") for p in sorted(Path(tree).rglob("*.py"))]
    for text in texts[:3]:  # warm up imports and compiled patterns
        try:
            engine.migrate(text, rules)
        except engine.MigrationError:
            pass
    floor, cpu, _ = measure(texts, repeat)
    out[tree] = [sum(floor), sum(cpu)]
print(json.dumps(out))
"""


def export(ref: str, dest: Path) -> None:
    """The tree of commit ``ref`` in ``dest`` (``git archive``)."""
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)


def run_round(version: Path, trees: list, repeat: int) -> dict:
    """One round for one version, in a fresh interpreter whose imports of
    ``codemods``/``torchmigrate`` resolve to ``version`` (the measuring code
    is this checkout's for both)."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(version), str(ROOT / "bench"), str(repeat)]
        + [str(t) for t in trees],
        check=True,
        capture_output=True,
        text=True,
        cwd=str(version),
    ).stdout
    got = json.loads(out.strip().splitlines()[-1])
    where = Path(got.pop("engine_file")).resolve()
    if not where.is_relative_to(version.resolve()):
        raise SystemExit(f"measured {where}, not the engine of {version}")
    return got


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--against", default="HEAD", help="the commit to compare with (A)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--repeat", type=int, default=2, help="per round: each file's fastest of N runs"
    )
    ap.add_argument("--lines", type=int, default=30000)
    ap.add_argument("--tree", type=Path, action="append", default=[])
    args = ap.parse_args()

    from bench_upgrade import make_tree
    from realtree import make_real_tree

    tmp = Path(tempfile.mkdtemp(prefix="tm-ab-"))
    try:
        trees = list(args.tree)
        if not trees:
            make_tree(tmp / "legacy", args.lines, 1.0)
            make_real_tree(tmp / "real-shaped", args.lines, seed=0)
            trees = [tmp / "legacy", tmp / "real-shaped"]
        a_root = tmp / "a"
        export(args.against, a_root)
        versions = {"A": a_root, "B": ROOT}
        ratios: dict = {(v, str(t)): [] for v in versions for t in trees}
        for r in range(args.rounds):
            order = ["A", "B"] if r % 2 == 0 else ["B", "A"]
            for v in order:
                got = run_round(versions[v], trees, args.repeat)
                for t in trees:
                    floor, engine = got[str(t)]
                    ratios[(v, str(t))].append(engine / floor)
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
        print(f"A = {args.against}, B = this checkout; engine/floor, {args.rounds} rounds")
        print(f"{'tree':<14} {'A median':>9} {'A range':>13} {'B median':>9} {'B range':>13}  B/A")
        for t in trees:
            a = ratios[("A", str(t))]
            b = ratios[("B", str(t))]
            change = statistics.median(y / x for x, y in zip(a, b))
            print(
                f"{Path(t).name:<14} {statistics.median(a):8.3f}x {min(a):5.2f}-{max(a):.2f}x "
                f"{statistics.median(b):8.3f}x {min(b):5.2f}-{max(b):.2f}x  {change:5.3f}"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
