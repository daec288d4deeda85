"""Output-equivalence check for engine speed work ("a speed change, not a
behaviour change").

Runs the engine over a fixed, deterministic set of inputs -- the corpus
(legacy and modern), every rule example, seeded concatenations of rule
examples, the synthetic legacy bench tree and a real-code-shaped tree --
with and without ``--unsafe-fixes``, and records everything a user can see:
the new text, every applied fix and remaining finding (rule, line, col,
source line, safety, message, suggestion), errors, suppressions, the
grammar used.

    python bench/equivalence.py --save /tmp/ref.json     # before a change
    python bench/equivalence.py --check /tmp/ref.json    # after it

``--check`` prints the first differences and exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def inputs(lines: int = 20000) -> list:
    from bench_upgrade import make_tree
    from realtree import make_real_tree

    from codemods import all_rules

    out = []
    for sub in ("legacy", "modern"):
        for p in sorted((ROOT / "corpus" / sub).glob("*.py")):
            out.append((f"corpus/{sub}/{p.name}", p.read_text()))
    snippets = []
    for rule in all_rules():
        for k, ex in enumerate(rule.examples):
            out.append((f"example/{rule.id}/{k}", ex.before))
            snippets.append(ex.before)
            if ex.after is not None:
                out.append((f"example-after/{rule.id}/{k}", ex.after))
    rng = random.Random(12)
    snippets.sort()
    for k in range(300):
        parts = [rng.choice(snippets) for _ in range(rng.randint(2, 5))]
        out.append((f"mix/{k}", "\n".join(p if p.endswith("\n") else p + "\n" for p in parts)))
    with tempfile.TemporaryDirectory() as tmp:
        make_tree(Path(tmp) / "legacy", 3000, 1.0)
        for p in sorted((Path(tmp) / "legacy").glob("*.py")):
            out.append((f"synthetic/{p.name}", p.read_text()))
        tree = make_real_tree(Path(tmp) / "real", lines, seed=3)
        for kind, paths in sorted(tree.items()):
            for p in paths:
                out.append((f"real/{kind}/{p.relative_to(Path(tmp) / 'real')}", p.read_text()))
    return out


def _finding(f) -> list:
    return [
        f.rule,
        f.line,
        f.col,
        f.source_line,
        f.end_line,
        f.safety,
        f.message,
        f.suggestion,
        f.applied,
    ]


def run(items: list) -> dict:
    from codemods import all_rules
    from torchmigrate.engine import MigrationError, migrate

    rules = all_rules()
    out = {}
    for name, text in items:
        for unsafe in (False, True):
            key = f"{name}{' [unsafe]' if unsafe else ''}"
            try:
                res = migrate(text, rules, unsafe_fixes=unsafe)
            except MigrationError as exc:
                out[key] = {"error": str(exc), "line": exc.line}
                continue
            out[key] = {
                "new": res.new if res.changed else None,
                "fixes": [_finding(f) for f in res.fixes],
                "findings": [_finding(f) for f in res.findings],
                "errors": list(res.errors),
                "suppressed": res.suppressed,
                "py2": res.py2,
            }
    return out


def compare(ref: dict, got: dict, limit: int = 12) -> int:
    bad = 0
    for key in sorted(set(ref) | set(got)):
        a, b = ref.get(key), got.get(key)
        if a == b:
            continue
        bad += 1
        if bad > limit:
            continue
        print(f"DIFF {key}")
        if a is None or b is None:
            print("   present only in", "got" if a is None else "reference")
            continue
        for field in sorted(set(a) | set(b)):
            if a.get(field) != b.get(field):
                print(f"   {field}:")
                av, bv = a.get(field), b.get(field)
                if isinstance(av, list) and isinstance(bv, list):
                    for x in av:
                        if x not in bv:
                            print("     - ", x)
                    for x in bv:
                        if x not in av:
                            print("     + ", x)
                    if sorted(map(str, av)) == sorted(map(str, bv)):
                        print("      (same items, different order)")
                else:
                    print("     ref:", repr(av)[:400])
                    print("     got:", repr(bv)[:400])
    print(f"{bad} of {len(set(ref) | set(got))} results differ")
    return bad


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--save", type=Path)
    ap.add_argument("--check", type=Path)
    ap.add_argument("--lines", type=int, default=20000, help="size of the real-code-shaped tree")
    ap.add_argument(
        "--check-dispatch",
        action="store_true",
        help="also visit what the fixers' triggers exclude and fail when that reports",
    )
    args = ap.parse_args()
    if args.check_dispatch:
        import torchmigrate.engine as engine

        engine.CHECK_DISPATCH = True
    got = run(inputs(args.lines))
    if args.save:
        args.save.write_text(json.dumps(got, sort_keys=True))
        print(f"saved {len(got)} results to {args.save}")
    if args.check:
        ref = json.loads(args.check.read_text())
        return 1 if compare(ref, got) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
