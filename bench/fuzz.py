"""A long fuzz campaign: mutated real-style legacy code against the invariants.

Seeds are the legacy corpus and every rule's documented examples; mutations,
encodings, line endings and the invariants are those of
``tests/fuzz/fuzzlib.py`` (the CI runs a bounded profile of the same thing in
``tests/fuzz/test_fuzz.py``).

Usage: python bench/fuzz.py --minutes 10 [--seed N] [--jobs N] [--save DIR]

Prints "N tried, N survived" (a mutant survives when every invariant held),
how many mutants were changed or failed cleanly (a precise per-file
failure, e.g. a mutant that no longer parses), and for every violation the
seed, the case number to reproduce it (``--replay SEED:CASE``), the
violated invariant and a line-minimised input (also written to ``--save``).
Exit code 1 when any invariant was violated.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fuzz import fuzzlib  # noqa: E402


def _worker(args) -> dict:
    seconds, seed = args
    with tempfile.TemporaryDirectory(prefix="torchmigrate-fuzz-") as tmp:
        res = fuzzlib.campaign(seconds, seed, Path(tmp))
    return {
        "tried": res.tried,
        "survived": res.survived,
        "changed": res.changed,
        "failed": res.failed_cleanly,
        "violations": [
            (n, seed, cs, msgs, raw, unsafe) for n, cs, msgs, raw, unsafe in res.violations
        ],
    }


def _minimised(raw: bytes, unsafe: bool, first: str) -> bytes:
    from codemods import all_rules

    ids = tuple(r.id for r in all_rules())
    with tempfile.TemporaryDirectory(prefix="torchmigrate-fuzz-") as tmp:
        path = Path(tmp) / "mutant.py"

        def still(b: bytes) -> bool:
            v = fuzzlib.check(b, path, ids, unsafe)
            return any(x.split(":")[0] == first.split(":")[0] for x in v.violations)

        return fuzzlib.minimize(raw, still)


def _replay(spec: str) -> int:
    from codemods import all_rules

    seed, case = (int(x) for x in spec.split(":"))
    ids = tuple(r.id for r in all_rules())
    with tempfile.TemporaryDirectory(prefix="torchmigrate-fuzz-") as tmp:
        name, raw, unsafe, verdict = fuzzlib.one_case(
            random.Random(case), fuzzlib.seeds(), Path(tmp), ids
        )
    print(f"seed {name}, unsafe fixes {unsafe}: {verdict.status}")
    for v in verdict.violations:
        print("  violation:", v)
    sys.stdout.write(raw.decode("latin-1"))
    return 1 if verdict.violations else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--jobs", type=int, default=1, help="parallel campaigns (distinct seeds)")
    ap.add_argument("--save", type=Path, default=None, help="write violating inputs here")
    ap.add_argument("--replay", default=None, help="SEED:CASE of a reported violation")
    opts = ap.parse_args()
    if opts.replay:
        return _replay(opts.replay)
    base = opts.seed if opts.seed is not None else random.randrange(2**31)
    seconds = opts.minutes * 60
    seeds = [base + i for i in range(max(1, opts.jobs))]
    print(f"fuzzing for {opts.minutes:g} min, seed {base}, {len(seeds)} job(s)", flush=True)
    start = time.monotonic()
    if len(seeds) == 1:
        results = [_worker((seconds, seeds[0]))]
    else:
        with multiprocessing.get_context("spawn").Pool(len(seeds)) as pool:
            results = pool.map(_worker, [(seconds, s) for s in seeds])
    tried = sum(r["tried"] for r in results)
    survived = sum(r["survived"] for r in results)
    changed = sum(r["changed"] for r in results)
    failed = sum(r["failed"] for r in results)
    violations = [v for r in results for v in r["violations"]]
    elapsed = time.monotonic() - start
    print(f"{tried} tried, {survived} survived")
    print(
        f"  {changed} changed by the rules, {failed} failed cleanly (a precise per-file "
        f"message), {tried - changed - failed} unchanged; {len(violations)} invariant "
        f"violation(s); {elapsed / 60:.1f} min"
    )
    for i, (name, seed, case, msgs, raw, unsafe) in enumerate(violations):
        print(f"\nviolation {i + 1}: from {name}, replay with --replay {seed}:{case}")
        for m in msgs:
            print("  -", m)
        small = _minimised(raw, unsafe, msgs[0])
        print("  minimised input:")
        for line in small.decode("latin-1").splitlines():
            print("    |", line)
        if opts.save:
            opts.save.mkdir(parents=True, exist_ok=True)
            (opts.save / f"violation-{seed}-{case}.py.txt").write_bytes(raw)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
