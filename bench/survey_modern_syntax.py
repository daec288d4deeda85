"""How many files of a tree use Python 3.8+ syntax that fissix cannot parse?

Usage: python bench/survey_modern_syntax.py DIR [DIR ...]

For every ``.py`` file that this Python compiles: does fissix (the grammar
torchmigrate's rules run on) parse it, and if not, which construct stops it
(``torchmigrate.modern_syntax``).  Prints counts per tree and per construct.
Counts only -- no timings.
"""

from __future__ import annotations

import ast
import os
import sys
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from codemods.base import parse_source  # noqa: E402
from torchmigrate.modern_syntax import constructs  # noqa: E402


def survey(root: str) -> tuple:
    total = compiled = failed = 0
    kinds: Counter = Counter()
    unexplained = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            path = os.path.join(dirpath, name)
            try:
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
            except (OSError, UnicodeDecodeError):
                continue
            total += 1
            try:
                ast.parse(text)
            except (SyntaxError, ValueError):
                continue
            compiled += 1
            try:
                parse_source(text if text.endswith("\n") else text + "\n")
                continue
            except Exception:  # noqa: BLE001
                failed += 1
            found = constructs(text)
            if not found:
                unexplained.append(path)
            for what in sorted({w for _, w in found}):
                kinds[what] += 1
    return total, compiled, failed, kinds, unexplained


def main(argv: list) -> int:
    for root in argv or ["."]:
        total, compiled, failed, kinds, unexplained = survey(root)
        share = 100.0 * failed / compiled if compiled else 0.0
        print(f"{root}: {compiled} files compile, {failed} ({share:.1f}%) rejected by fissix")
        for what, n in kinds.most_common():
            print(f"  {n:5d}  {what}")
        for path in unexplained[:10]:
            print(f"  unexplained: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
