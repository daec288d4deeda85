"""Output-equivalence check for engine speed work ("a speed change, not a
behaviour change").

Runs the engine over a fixed, deterministic set of inputs -- the corpus
(legacy and modern), every rule example, seeded concatenations of rule
examples, the synthetic legacy bench tree and a real-code-shaped tree --
with and without ``--unsafe-fixes``, and records everything a user can see:
the new text, every applied fix and remaining finding (rule, line, col,
source line, safety, message, suggestion), errors, suppressions, the
grammar used.  Then the same for whole projects through the CLI's path
(``run_project``: the project model and each file's facts), which one text
at a time does not exercise (``--no-projects`` skips it).

    python bench/equivalence.py --save /tmp/ref.json     # before a change
    python bench/equivalence.py --check /tmp/ref.json    # after it

``--check`` prints the first differences and exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
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


def project_items(tmp: Path, lines: int) -> list:
    """[(path, repo, display)] of whole projects, as the CLI passes them to
    ``run_project``: the legacy and modern corpus (packages, a notebook, star
    imports) and a real-code-shaped tree of several repositories, copied
    under ``tmp`` (the results' keys drop that prefix)."""
    from realtree import make_real_tree

    pairs = []  # (path, repo)
    for sub in ("legacy", "modern"):
        repo = tmp / "corpus" / sub
        shutil.copytree(ROOT / "corpus" / sub, repo)
        pairs += [(p, repo) for p in sorted(repo.rglob("*")) if p.suffix in (".py", ".ipynb")]
    make_real_tree(tmp / "real", lines, seed=5)
    for repo in sorted(d for d in (tmp / "real").iterdir() if d.is_dir()):
        pairs += [(p, repo) for p in sorted(repo.rglob("*.py"))]
    return [(str(p), str(r), str(p)) for p, r in pairs]


def run_projects(lines: int) -> dict:
    """The CLI's whole-program path (``run_project``: the project model,
    every file's facts, the rounds that settle imports across files), which
    ``run`` -- one text at a time, without facts -- does not exercise."""
    from codemods import all_rules
    from torchmigrate.project import run_project

    ids = tuple(r.id for r in all_rules())
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        items = project_items(base, lines)
        prefix = str(base) + "/"

        def rel(x):
            return json.loads(json.dumps(x, default=repr).replace(prefix, ""))

        for unsafe in (False, True):
            for o in run_project(items, ids, unsafe, jobs=1):
                key = f"project/{o.path.replace(prefix, '')}{' [unsafe]' if unsafe else ''}"
                out[key] = rel(
                    {
                        "status": o.status,
                        "new": o.new if o.status == "changed" else None,
                        "fixes": o.fixes,
                        "findings": o.findings,
                        "errors": o.errors,
                        "suppressed": o.suppressed,
                        "py2": o.py2,
                        "notes": o.notes,
                    }
                )
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
    ap.add_argument(
        "--no-projects",
        action="store_true",
        help="skip the whole-program runs (run_project over the corpus and a tree of repos)",
    )
    args = ap.parse_args()
    if args.check_dispatch:
        import torchmigrate.engine as engine

        engine.CHECK_DISPATCH = True
    got = run(inputs(args.lines))
    if not args.no_projects:
        got.update(run_projects(args.lines // 2))
    if args.save:
        args.save.write_text(json.dumps(got, sort_keys=True))
        print(f"saved {len(got)} results to {args.save}")
    if args.check:
        ref = json.loads(args.check.read_text())
        return 1 if compare(ref, got) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
