"""Where `upgrade` spends its time: a sampling profile of the engine.

cProfile distorts fissix's recursive generators (every ``pre_order`` /
``leaves`` step becomes a traced call), so this uses a SIGPROF sampler: every
millisecond of CPU time the handler looks at the Python stack and files the
sample under

* a **phase**: prefilter, parse, begin (per-pass setup of the rules),
  index (the engine's per-pass walk), dispatch (each pass's worklist of
  nodes per fixer), match, visit (rule code that looks at a node),
  transform (fix callables), print (tree -> text), positions (of the
  candidates), validate (compile / re-parse of the output), invariants,
  line_map, hooks (post-pass cleanup), analysis upkeep, engine (other
  bookkeeping);
* the **pass** it belongs to (1, 2, ...);
* the **rule** whose fixer is running (visit/match/transform/begin);
* every **analysis module** on the stack (inclusive).

It also reports the passes-per-file distribution, and the fissix floor
(parse with the Python 3 grammar, fall back to Python 2, print back) of the
same files measured in the same run, so every number is a ratio.

Usage::

    python bench/profile_upgrade.py                    # real-code-shaped tree
    python bench/profile_upgrade.py --tree synthetic   # all-legacy tree
    python bench/profile_upgrade.py --tree DIR         # any directory
    python bench/profile_upgrade.py --only legacy      # one kind of the real tree
"""

from __future__ import annotations

import argparse
import collections
import gc
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

INTERVAL = 0.001

# Callees of an engine frame, by function name -> phase.
PHASES = {
    "wants": "prefilter",
    "parse_source": "parse",
    "_parse": "parse",
    "parse_string": "parse",
    "parses": "validate",
    "_validate": "validate",
    "compile": "validate",
    "line_map": "line_map",
    "_line_map": "line_map",
    "begin": "begin",
    "visit": "visit",
    "match": "match",
    "fix": "transform",
    "_apply": "transform",
    "__str__": "print",
    "_render": "print",
    "finish": "hooks",
    "_compiles": "validate",
    "check": "invariants",
    "after_report": "invariants",
    "_Invariants": "invariants",
    "__init__": "invariants",
    "_assign_groups": "invariants",
    "pre_order": "traverse",
    "leaves": "traverse",
    "after_pass": "hooks",
    "_index": "index",
    "_build_index": "index",
    "_preorder_ids": "index",
    "collect_imports": "index",
    "convert": "parse",
    "_edit_line_map": "line_map",
    "_unit_origins": "line_map",
    "_forward_map": "line_map",
    "_positions": "positions",
    "_leaf_positions": "positions",
    "_span": "positions",
    "_span_leaves": "positions",
    "node_text": "print",
    "_unit_texts": "print",
    "worklist": "dispatch",
    "containing": "dispatch",
    "_pass_triggers": "dispatch",
    "_cleanup": "hooks",
    "invalidate_units": "analysis upkeep",
    "rebind": "analysis upkeep",
    # the engine's compiled pattern matchers
    "match_compiled": "match",
    "match_fixed": "match",
    "match_leaf": "match",
    "match_wild": "match",
    "match_alternatives": "match",
    "match_any_child": "match",
    "match_alt": "match",
    "node_test": "match",
    "guarded": "match",
}
# Analysis and shared rule helpers, by path suffix (inclusive time).
ANALYSIS = (
    "analysis/values.py",
    "analysis/evidence.py",
    "analysis/dtypes.py",
    "analysis/ranks.py",
    "analysis/scopes.py",
    "analysis/syntax.py",
    "codemods/_tm2common.py",
    "codemods/_tm1common.py",
    "codemods/_dotdata.py",
    "codemods/_py2.py",
)
ENGINE_FILE = str(Path(ROOT / "torchmigrate" / "engine.py"))
NAMES_FILE = "torchmigrate/names.py"
INVARIANT_FUNCS = {"check", "after_report", "input_compiles", "_compiles", "notes"}


class Sampler:
    def __init__(self) -> None:
        self.phase = collections.Counter()
        self.passes = collections.Counter()
        self.rules = collections.Counter()
        self.rule_phase = collections.Counter()
        self.pass_rule = collections.Counter()  # (pass, rule) -> samples
        self.analysis = collections.Counter()
        self.self_fn = collections.Counter()
        self.incl_fn = collections.Counter()
        self.pass_phase = collections.Counter()
        self.total = 0
        self.active = False

    def handler(self, signum, frame) -> None:
        if not self.active:
            return
        self.total += 1
        stack = []
        f = frame
        while f is not None:
            stack.append(f)
            f = f.f_back
        # stack[0] is innermost.
        mods = set()
        backout = False
        invariants = False
        for fr in stack:
            fn = fr.f_code.co_filename
            name = fr.f_code.co_name
            if name == "_back_out":
                backout = True
            if fn.endswith(NAMES_FILE) or name in INVARIANT_FUNCS:
                invariants = True
            for suffix in ANALYSIS:
                if fn.endswith(suffix):
                    mods.add(suffix)
                    break
        inner = stack[0].f_code
        self.self_fn["/".join(inner.co_filename.rsplit("/", 2)[-2:]) + ":" + inner.co_name] += 1
        seen = set()
        for fr in stack:
            c = fr.f_code
            key = f"{c.co_filename.rsplit('/', 1)[-1]}:{c.co_name}"
            if key not in seen:
                seen.add(key)
                self.incl_fn[key] += 1
        phase, rule, pass_no = self._classify(stack)
        if invariants and phase in ("engine", "other", "validate"):
            phase = "invariants"
        if backout:
            phase = "backout:" + phase
        self.phase[phase] += 1
        if pass_no is not None:
            self.passes[pass_no + 1] += 1
            self.pass_phase[(pass_no + 1, phase)] += 1
        if rule is not None and phase in ("visit", "match", "transform", "begin", "hooks"):
            self.rules[rule] += 1
            self.rule_phase[(rule, phase)] += 1
            if pass_no is not None:
                self.pass_rule[(pass_no + 1, rule)] += 1
        for m in mods:
            self.analysis[m] += 1

    @staticmethod
    def _classify(stack) -> tuple:
        """(phase, rule, pass) from the innermost engine frame and its callee."""
        for k, fr in enumerate(stack):
            if fr.f_code.co_filename != ENGINE_FILE:
                continue
            callee = stack[k - 1] if k > 0 else None
            here = fr.f_code.co_name
            pass_no = None
            for fr2 in stack[k:]:
                code = fr2.f_code
                # (``_pass`` is a cell variable of ``_run``: its closures read it)
                if code.co_filename == ENGINE_FILE and (
                    "_pass" in code.co_varnames or "_pass" in code.co_cellvars
                ):
                    pass_no = fr2.f_locals.get("_pass")
                    break
            if callee is None:
                if here == "__init__":  # inside the constructor of an engine class
                    owner = type(fr.f_locals.get("self")).__name__
                    return ("index" if owner == "_Index" else "invariants"), None, pass_no
                return PHASES.get(here, "engine"), None, pass_no
            cname = callee.f_code.co_name
            cfile = callee.f_code.co_filename
            phase = PHASES.get(cname)
            if cname == "__init__" and cfile == ENGINE_FILE:
                # the engine's classes: its per-pass index, or the invariants
                owner = type(callee.f_locals.get("self")).__name__
                phase = "index" if owner == "_Index" else "invariants"
            if phase is None:
                if cfile.endswith("fissix/pytree.py") or cfile.endswith("fissix/fixer_base.py"):
                    phase = "match" if "match" in cname else "traverse"
                elif "/codemods/" in cfile:
                    phase = "visit"
                elif cfile.endswith(NAMES_FILE):
                    phase = "invariants"
                elif "pgen2" in cfile:
                    phase = "parse"
                else:
                    phase = PHASES.get(here, "engine")
            loc = fr.f_locals
            rule = None
            cand = loc.get("cand")
            fx = loc.get("fx")
            if phase == "transform" and cand is not None:
                rule = getattr(getattr(cand, "fixer", None), "rule_id", None)
            elif fx is not None:
                rule = getattr(fx, "rule_id", None)
            return phase, rule, pass_no
        return "other", None, None


def floor_cpu(texts) -> float:
    """The fissix floor of ``texts``, timed file by file as the engine is
    (``bench_upgrade.floor_one``: the older heap frozen)."""
    from bench_upgrade import floor_one

    return sum(floor_one(text) for text in texts)


def load_tree(spec: str, lines: int, only: str | None, tmp: Path) -> list:
    from bench_upgrade import make_tree
    from realtree import make_real_tree

    if spec == "synthetic":
        make_tree(tmp / "legacy", lines, 1.0)
        return [(p, "legacy") for p in sorted((tmp / "legacy").glob("*.py"))]
    if spec == "real":
        tree = make_real_tree(tmp / "real", lines, seed=0)
        out = []
        for kind, paths in tree.items():
            if only is None or only == kind:
                out += [(p, kind) for p in paths]
        return sorted(out)
    return [(p, "dir") for p in sorted(Path(spec).rglob("*.py"))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tree", default="real", help="real | synthetic | DIR")
    ap.add_argument("--lines", type=int, default=30000)
    ap.add_argument("--only", default=None, help="one kind of the real tree")
    ap.add_argument("--unsafe", action="store_true")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--functions", type=int, default=0, help="also list the N hottest functions")
    args = ap.parse_args()

    from codemods import all_rules
    from torchmigrate.engine import MigrationError, migrate

    rules = all_rules()
    with tempfile.TemporaryDirectory() as td:
        files = load_tree(args.tree, args.lines, args.only, Path(td))
        texts = [(p.read_text(), kind) for p, kind in files]
    for text, _ in texts[:3]:  # warm up imports and compiled patterns
        try:
            migrate(text, rules)
        except MigrationError:
            pass
    floor = floor_cpu([t for t, _ in texts])
    sampler = Sampler()
    signal.signal(signal.SIGPROF, sampler.handler)
    signal.setitimer(signal.ITIMER_PROF, INTERVAL, INTERVAL)
    passes = collections.Counter()
    by_kind = collections.Counter()
    outcome = collections.Counter()
    total = 0.0
    try:
        for text, kind in texts:
            # (the older heap frozen, as for the floor: a timed collection
            # scans this file's objects, not the profiler's whole heap)
            gc.collect()
            gc.freeze()
            sampler.active = True
            t = time.process_time()
            try:
                res = migrate(text, rules, unsafe_fixes=args.unsafe)
            except MigrationError:
                res = None
            gc.collect()  # the engine's garbage is part of its cost
            sampler.active = False
            dt = time.process_time() - t
            gc.unfreeze()
            total += dt
            by_kind[kind] += dt
            n = getattr(res, "passes", None) if res is not None else None
            passes[n] += 1
            outcome[
                "failed"
                if res is None or res.errors
                else "changed"
                if res.changed
                else "findings"
                if res.findings
                else "no change"
            ] += 1
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
    n_lines = sum(t.count("\n") for t, _ in texts)
    print(f"{len(texts)} files, {n_lines} lines; outcome: {dict(outcome)}")
    print(f"engine CPU / fissix floor: {total / floor:.2f}x   ({sampler.total} samples)")
    floor_kind = {}
    for kind in sorted(set(k for _, k in texts)):
        floor_kind[kind] = floor_cpu([t for t, k in texts if k == kind])
        print(f"   {kind:<10} {by_kind[kind] / floor_kind[kind]:5.2f}x the floor")

    def pct(c):
        return 100.0 * c / max(1, sampler.total)

    print("\nphase             share   x floor")
    for ph, c in sampler.phase.most_common():
        print(f"  {ph:<14} {pct(c):6.1f}%  {total * c / max(1, sampler.total) / floor:5.2f}x")
    print("\npass              share   (its largest phases)")
    for p, c in sorted(sampler.passes.items()):
        top = sorted(
            ((ph, n) for (q, ph), n in sampler.pass_phase.items() if q == p),
            key=lambda kv: -kv[1],
        )[:4]
        parts = ", ".join(f"{ph} {pct(n):.1f}" for ph, n in top)
        print(f"  pass {p:<9} {pct(c):6.1f}%   ({parts})")
        rules = sorted(
            ((r, n) for (q, r), n in sampler.pass_rule.items() if q == p), key=lambda kv: -kv[1]
        )[:6]
        if rules:
            print("  " + " " * 16 + "rules: " + ", ".join(f"{r} {pct(n):.1f}" for r, n in rules))
    print("\npasses per file:", dict(sorted(passes.items(), key=lambda kv: (kv[0] is None, kv[0]))))
    print(f"\nrule (visit+match+transform+begin+hooks; top {args.top})")
    for r, c in sampler.rules.most_common(args.top):
        parts = ", ".join(
            f"{ph} {pct(sampler.rule_phase[(r, ph)]):.1f}"
            for ph in ("visit", "match", "transform", "begin", "hooks")
            if sampler.rule_phase[(r, ph)]
        )
        print(f"  {r:<7} {pct(c):6.1f}%   ({parts})")
    print("\nanalysis module (inclusive)")
    for m, c in sampler.analysis.most_common():
        print(f"  {m:<18} {pct(c):6.1f}%")
    if args.functions:
        print(f"\nfunctions, self time (top {args.functions})")
        for m, c in sampler.self_fn.most_common(args.functions):
            print(f"  {pct(c):6.1f}%  {m}")
        print(f"\nfunctions, inclusive (top {args.functions})")
        for m, c in sampler.incl_fn.most_common(args.functions):
            print(f"  {pct(c):6.1f}%  {m}")


if __name__ == "__main__":
    main()
