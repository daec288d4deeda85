"""Benchmark: ``verify`` wall time divided by the time of running both scripts plainly.

Usage: python bench/bench_verify.py [OLD NEW]  (default: the harness test pair).
The old script cannot run on plain modern torch, so its plain run is ``run --legacy``
(no recording); the new script runs with ``python``.  ``--steps`` is set to the pair's
full number of steps so both measurements do the same training work.  Target: <= 2.5x.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "harness"
CMD = [sys.executable, "-m", "torchmigrate.harness.commands"]


def timed(cmd: list[str]) -> float:
    start = time.monotonic()
    subprocess.run(cmd, cwd=ROOT, check=False, capture_output=True)
    return time.monotonic() - start


def main() -> None:
    if len(sys.argv) == 3:
        old, new, steps = Path(sys.argv[1]), Path(sys.argv[2]), "1000000"
    else:
        old, new, steps = DATA / "legacy_train.py", DATA / "modern_train.py", "8"
    plain = timed([*CMD, "run", "--legacy", str(old)]) + timed([sys.executable, str(new)])
    verify = timed([*CMD, "verify", str(old), str(new), "--steps", steps])
    print(f"plain runs (old under run --legacy + new): {plain:.2f}s")
    print(f"verify:                                    {verify:.2f}s")
    print(f"ratio verify/plain: {verify / plain:.2f}x (target <= 2.5x)")


if __name__ == "__main__":
    main()
