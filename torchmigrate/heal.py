"""``upgrade --verify``: verify the migration, and back out the fixes that changed the numbers.

Flow (``verify_upgrade``):

1. Before the upgrade, ``Snapshot`` copies the project root of the script once (outside
   the tree; removed at exit, on errors and on SIGTERM).
2. After it, for each entry point (``--verify SCRIPT [-- ARGS]``, or every entry of
   ``[tool.torchmigrate.verify]`` when ``--verify`` names a directory), the old script
   (in the snapshot) is verified against the migrated one.  The old side's trace is
   kept, so the bisection below re-runs only the new side.
3. When the migrated program diverges or crashes, the applied fixes are bisected: the
   changed files' diff hunks (old -> new text), unsafe ones first, then all, are backed
   out in subsets (delta debugging) to find a smallest set whose removal makes the
   verification match; subsets whose text does not compile are skipped.  Those hunks
   are backed out for real (in place, in ``--out``, or only reported with ``--diff``),
   the program is verified again, and each backed-out fix becomes a ``manual`` finding
   whose message carries the evidence (first diverging step and tensor, or the crash
   with its file:line and the idiom it points to).

The harness itself knows nothing of the codemods; this module joins the upgrade's
results (fixes per file) to it.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import os
import shutil
import signal
import tempfile
from pathlib import Path

MAX_RUNS = 16  # verifications the bisection may spend per entry point


@dataclasses.dataclass
class EntryPoint:
    script: Path
    args: list
    options: dict = dataclasses.field(default_factory=dict)


class UsageProblem(Exception):
    pass


# ---- entry points ---------------------------------------------------------------------


def entry_points(target: Path, args: list) -> list[EntryPoint]:
    """``--verify SCRIPT`` (with the arguments after ``--``), or, for a directory, the
    ``entry-points`` of its ``[tool.torchmigrate.verify]`` table::

        [tool.torchmigrate.verify]
        entry-points = [
          { script = "train.py", args = ["--epochs", "1"] },
          { script = "tools/finetune.py", args = [], steps = 2, synthetic-data = true },
        ]
    """
    if target.is_file():
        return [EntryPoint(target, list(args))]
    if not target.is_dir():
        raise UsageProblem(f"{target}: no such script to verify")
    table = _verify_table(target)
    eps = table.get("entry-points")
    if not eps:
        raise UsageProblem(
            f"{target}: a directory given to --verify needs entry points in its pyproject.toml "
            "([tool.torchmigrate.verify] entry-points = [{script = ..., args = [...]}])"
        )
    out = []
    allowed = {"script", "args", "steps", "max-steps", "timeout", "synthetic-data", "budget"}
    for i, e in enumerate(eps):
        if not isinstance(e, dict) or not isinstance(e.get("script"), str):
            raise UsageProblem(f"[tool.torchmigrate.verify] entry-points[{i}]: needs a script")
        unknown = set(e) - allowed
        if unknown:
            raise UsageProblem(
                f"[tool.torchmigrate.verify] entry-points[{i}]: unknown keys {sorted(unknown)}"
            )
        script = (target / e["script"]).resolve()
        if not script.is_file():
            raise UsageProblem(f"{script}: entry point listed in pyproject.toml does not exist")
        opts = {k.replace("-", "_"): v for k, v in e.items() if k not in ("script", "args")}
        if "synthetic_data" in opts:
            opts["synthetic"] = opts.pop("synthetic_data")
        out.append(EntryPoint(script, [str(a) for a in e.get("args", [])], opts))
    return out


def _verify_table(directory: Path) -> dict:
    p = directory / "pyproject.toml"
    if not p.is_file():
        return {}
    try:
        import tomllib  # type: ignore[import-not-found]
    except ModuleNotFoundError:  # pragma: no cover - Python < 3.11
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except Exception as exc:  # noqa: BLE001
        raise UsageProblem(f"{p}: invalid TOML: {exc}") from None
    return data.get("tool", {}).get("torchmigrate", {}).get("verify", {}) or {}


# ---- the snapshot ---------------------------------------------------------------------


class Snapshot:
    """A copy of the project root taken before the upgrade (the old side)."""

    def __init__(self, target: Path, root: Path | None = None):
        from torchmigrate.harness import contain

        target = target.resolve()
        probe = target if target.is_file() else target / "pyproject.toml"
        self.root = Path(os.path.realpath(root)) if root else contain.find_root(probe)
        base = contain.choose_base([self.root])
        contain.clean_stale(base)
        self.dir = Path(tempfile.mkdtemp(prefix=f"torchmigrate-old-{os.getpid()}-", dir=base))
        atexit.register(self.remove)
        with contextlib.suppress(ValueError):  # not the main thread
            self._old_term = signal.signal(signal.SIGTERM, _interrupt)
        self.tree = self.dir / "tree"
        try:
            contain.copy_tree(self.root, self.tree, exclude=[self.dir])
        except (contain.CopyError, OSError) as exc:
            self.remove()
            raise UsageProblem(f"--verify: cannot copy {self.root}: {exc}") from None

    def old_path(self, path: Path) -> Path:
        return self.tree / Path(os.path.realpath(path)).relative_to(self.root)

    def remove(self) -> None:
        if self.dir.exists():
            shutil.rmtree(self.dir, ignore_errors=True)


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


# ---- hunks ----------------------------------------------------------------------------


@dataclasses.dataclass
class Hunk:
    rel: str  # file, relative to the project root
    i1: int
    i2: int
    j1: int
    j2: int
    rules: tuple
    safety: str  # "unsafe" | "safe"
    fixes: list

    @property
    def key(self) -> tuple:
        return (self.rel, self.i1, self.i2, self.j1, self.j2)

    def label(self) -> str:
        return f"{self.rel}:{self.i1 + 1} ({', '.join(self.rules)}, {self.safety})"


def file_hunks(rel: str, old: str, new: str, fixes: list) -> list[Hunk]:
    from torchmigrate.review import hunks

    out = []
    for h in hunks(old, new, fixes):
        lo, hi = h.i1 + 1, max(h.i2, h.i1 + 1)
        mine = [
            f
            for f in fixes
            if not f.get("cell") and lo - 1 <= (f.get("source_line") or f["line"]) <= hi
        ]
        safety = "unsafe" if any(f.get("safety") == "unsafe" for f in mine) else "safe"
        out.append(Hunk(rel, h.i1, h.i2, h.j1, h.j2, h.rules, safety, mine))
    return out


def compose(old: str, new: str, backed_out: list[Hunk]) -> str:
    """``new`` with the hunks in ``backed_out`` put back to their old text."""
    import difflib

    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    out_keys = {(h.i1, h.i2, h.j1, h.j2) for h in backed_out}
    res = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal" and (i1, i2, j1, j2) in out_keys:
            res.extend(a[i1:i2])
        else:
            res.extend(b[j1:j2])
    return "".join(res)


def _compiles(text: str) -> bool:
    try:
        compile(text, "<candidate>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


# ---- bisection ------------------------------------------------------------------------


@dataclasses.dataclass
class HealResult:
    first: object  # VerifyResult of the migration as written
    final: object | None = None  # VerifyResult after backing out
    backed_out: list = dataclasses.field(default_factory=list)  # Hunk
    runs: int = 1
    note: str = ""
    texts: dict = dataclasses.field(default_factory=dict)  # rel -> healed text


class _Budget(Exception):
    pass


def bisect(hunks: list[Hunk], predicate, max_runs: int = MAX_RUNS) -> tuple[list[Hunk] | None, int]:
    """A smallest subset R of ``hunks`` (1-minimal, delta debugging) with
    ``predicate(R)`` true: unsafe hunks are tried first, then all of them.  Returns
    ``(R or None, runs used)``."""
    runs = [0]
    cache: dict = {}

    def P(subset: list[Hunk]) -> bool:
        key = frozenset(h.key for h in subset)
        if key in cache:
            return cache[key]
        if runs[0] >= max_runs:
            raise _Budget
        runs[0] += 1
        cache[key] = bool(predicate(subset))
        return cache[key]

    unsafe = [h for h in hunks if h.safety == "unsafe"]
    try:
        start = None
        if unsafe and P(unsafe):
            start = unsafe
        elif len(unsafe) < len(hunks) and P(hunks):
            start = hunks
        if start is None:
            return None, runs[0]
        return _ddmin(start, P), runs[0]
    except _Budget:
        return None, runs[0]


def _ddmin(items: list, P) -> list:
    """1-minimal subset of ``items`` for which ``P`` holds (``P(items)`` is true)."""
    n = 2
    while len(items) >= 2:
        size = max(1, len(items) // n)
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        reduced = False
        for c in chunks:
            if P(c):
                items, n, reduced = c, 2, True
                break
        if not reduced:
            for c in chunks:
                rest = [x for x in items if x not in c]
                if rest and P(rest):
                    items, n, reduced = rest, max(n - 1, 2), True
                    break
        if not reduced:
            if n >= len(items):
                break
            n = min(len(items), 2 * n)
    return items


# ---- the upgrade's verification -------------------------------------------------------


def verify_upgrade(
    snapshot: Snapshot,
    entries: list[EntryPoint],
    outcomes: list,
    *,
    write,
    opts: dict,
    render,
) -> dict:
    """Verify every entry point; heal divergent ones.  ``write(path, text)`` writes a
    healed file to the upgrade's destination (None with ``--diff``); ``render(result)``
    prints a verification."""
    from torchmigrate.harness.verify import verify_pair

    root = snapshot.root
    changed = {}
    for o in outcomes:
        if o.status != "changed" or o.path.endswith(".ipynb") or o.old is None:
            continue
        p = Path(os.path.realpath(o.path))
        try:
            rel = str(p.relative_to(root))
        except ValueError:
            continue
        changed[rel] = o
    report: dict = {"entry_points": [], "backed_out": []}
    verdicts = []
    for ep in entries:
        rel_script = Path(os.path.realpath(ep.script)).relative_to(root)
        old_script = snapshot.tree / rel_script
        texts = {rel: _current_text(o) for rel, o in changed.items()}
        vopts = dict(opts)
        vopts.update(ep.options)
        kept = snapshot.dir / f"old-trace-{len(report['entry_points'])}"

        def run(
            candidate: dict,
            *,
            first: bool = False,
            old_script=old_script,
            rel_script=rel_script,
            ep=ep,
            kept=kept,
            vopts=vopts,
            only=len(entries) == 1,
        ):
            # each tree is copied once: the snapshot is the old side's work copy (the old
            # script runs once per entry point; later runs reuse its kept trace; with
            # several entry points the snapshot must stay pristine, so it is copied), and
            # every candidate tree is the new side's work copy
            tree = _build_tree(snapshot, candidate)
            try:
                return verify_pair(
                    old_script,
                    tree / rel_script,
                    ep.args,
                    old_root=snapshot.tree,
                    new_root=tree,
                    prepared_old=snapshot.tree if (first and only) else None,
                    prepared_new=tree,
                    keep_old_trace=kept if first else None,
                    reuse_old_trace=None if first else kept,
                    **vopts,
                )
            finally:
                shutil.rmtree(tree, ignore_errors=True)

        first = run(texts, first=True)
        _map_paths(first, snapshot)
        render(first)
        entry = {"script": str(ep.script), "args": ep.args, "verdict": first.verdict}
        report["entry_points"].append(entry)
        if first.verdict not in ("diverged", "crash") or first.old.error_tail:
            # only a divergence or a crash of the migrated side can be a fix's doing
            verdicts.append(first.verdict)
            continue
        if not kept.exists():
            verdicts.append(first.verdict)
            continue
        heal = _heal(first, texts, changed, run)
        entry["runs"] = heal.runs
        if not heal.backed_out:
            entry["note"] = heal.note
            verdicts.append(first.verdict)
            continue
        final = heal.final
        _map_paths(final, snapshot)
        render(final)
        entry["verdict"] = final.verdict
        entry["backed_out"] = [h.label() for h in heal.backed_out]
        verdicts.append(final.verdict)
        evidence = _evidence(first)
        for rel, text in heal.texts.items():
            o = changed[rel]
            mine = [h for h in heal.backed_out if h.rel == rel]
            _record(o, mine, text, evidence)
            if write is not None:
                write(o, text)
            texts[rel] = text
        report["backed_out"] += [
            {
                "file": str(root / h.rel),
                "line": h.i1 + 1,
                "rules": list(h.rules),
                "evidence": evidence,
            }
            for h in heal.backed_out
        ]
    order = ["usage", "crash", "diverged", "timeout", "short", "nothing", "match"]
    verdict = min(verdicts, key=order.index) if verdicts else "match"
    report["verdict"] = verdict
    return report


def _current_text(o) -> str:
    """The migrated text as it stands (written in place, or what would be written)."""
    if o.written:
        try:
            from torchmigrate.sources import read_source

            return read_source(Path(o.path)).text
        except Exception:  # noqa: BLE001 - fall back to the engine's output
            pass
    return o.new


def _build_tree(snapshot: Snapshot, texts: dict) -> Path:
    """A fresh new-side tree: the snapshot with the migrated texts written in."""
    from torchmigrate.harness import contain

    tree = Path(tempfile.mkdtemp(prefix="new-", dir=snapshot.dir))
    contain.copy_tree(snapshot.tree, tree, exclude=[])
    for rel, text in texts.items():
        (tree / rel).write_text(text, encoding="utf-8")
    return tree


def _heal(first, texts: dict, changed: dict, run) -> HealResult:
    res = HealResult(first)
    hunks: list[Hunk] = []
    for rel, o in changed.items():
        hunks += file_hunks(rel, o.old, texts[rel], o.fixes)
    if not hunks:
        res.note = "no applied fix to back out"
        return res
    results: dict = {}

    def candidate(subset: list[Hunk]) -> dict | None:
        out = dict(texts)
        for rel in {h.rel for h in subset}:
            out[rel] = compose(changed[rel].old, texts[rel], [h for h in subset if h.rel == rel])
            if not _compiles(out[rel]):
                return None
        return out

    def predicate(subset: list[Hunk]) -> bool:
        cand = candidate(subset)
        if cand is None:
            return False
        r = run(cand)
        results[frozenset(h.key for h in subset)] = (r, cand)
        return r.verdict == "match"

    best, runs = bisect(hunks, predicate)
    res.runs = runs + 1
    if best is None:
        res.note = (
            "backing out the applied fixes did not make the verification match "
            f"({runs} verification(s) tried)"
        )
        return res
    final, cand = results[frozenset(h.key for h in best)]
    res.backed_out = best
    res.final = final
    res.texts = {rel: cand[rel] for rel in {h.rel for h in best}}
    return res


def _evidence(result) -> str:
    """The first diverging step and tensor, or the crash (file:line, error, idiom)."""
    from torchmigrate.harness.report import explain_step

    first = result.first_divergence()
    if first is not None and first.missing_side is None:
        return "verify: " + explain_step(first)
    new = result.new
    if new.error_tail:
        last = new.error_tail.strip().splitlines()[-1]
        at = f" at {new.crash_at}" if new.crash_at else ""
        hint = f" ({new.crash_hint})" if new.crash_hint else ""
        return f"verify: the migrated script crashed{at} after step {new.steps}: {last}{hint}"
    if first is not None:
        return "verify: " + explain_step(first)
    return "verify: " + result.message


def _record(o, hunks: list[Hunk], text: str, evidence: str) -> None:
    """Move the fixes of backed-out hunks to manual findings with the evidence."""
    keys = {id(f) for h in hunks for f in h.fixes}
    kept, moved = [], []
    for f in o.fixes:
        (moved if id(f) in keys else kept).append(f)
    o.fixes = kept
    for h in hunks:
        for f in h.fixes or [{"rule": h.rules[0], "line": h.i1 + 1, "source_line": h.i1 + 1}]:
            o.findings.append(
                {
                    "rule": f["rule"],
                    "line": f.get("source_line") or f["line"],
                    "col": f.get("col", 0),
                    "source_line": f.get("source_line") or f["line"],
                    "safety": "manual",
                    "message": (
                        f"backed out by upgrade --verify: {f.get('message', '').strip()} -- "
                        f"{evidence}"
                    ),
                    "suggestion": f.get("suggestion"),
                    "applied": False,
                }
            )
    o.new = text
    o.new_bytes = None


def _map_paths(result, snapshot: Snapshot) -> None:
    """Paths inside the temporary trees (crash locations, scripts, the message) -> the
    user's tree."""
    if result is None:
        return

    def user_path(path: str) -> str:
        base = str(snapshot.dir) + os.sep
        if not path.startswith(base):
            return path
        parts = path[len(base) :].split(os.sep, 1)  # "tree" or "new-XXXX", then the rest
        return str(snapshot.root / parts[1]) if len(parts) == 2 else path

    for side in (result.old, result.new):
        old_script = side.script
        side.script = user_path(side.script)
        if side.crash_at:
            path, _, line = side.crash_at.rpartition(":")
            mapped = f"{user_path(path)}:{line}"
            result.message = result.message.replace(side.crash_at, mapped)
            side.crash_at = mapped
        result.message = result.message.replace(old_script, side.script)
