"""The command line: flags in, rendering out.  Thin on purpose.

Exit codes: 0 = nothing left to do / verification matched; 1 = findings
remain (``check``), changes are pending (``upgrade --diff``), a file could not
be migrated, or verification diverged; 2 = usage or internal error.
``--exit-zero`` turns "findings remain" and "changes pending" into 0 (files
that could not be migrated still give 1).

Output: stdout carries the result in ``--output-format`` (or the diff with
``--diff``); the summary table, progress, errors and next steps go to stderr.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from torchmigrate import __version__
from torchmigrate.report import (
    FORMATS,
    TEXT_FORMATS,
    FileOutcome,
    Locator,
    RunReport,
    fill_short,
    finding_lines,
    format_for_path,
    render,
    statistics,
)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Migrate legacy PyTorch code to modern PyTorch, and prove the maths is unchanged.",
    context_settings={"help_option_names": ["-h", "--help"]},
)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

# Arguments after a bare "--" on `upgrade` (for --verify), split off in main().
_EXTRA_ARGS: list = []

VERIFY_EXTRA = "pip install 'torchmigrate[verify]'"


class UsageError(Exception):
    pass


def _version_callback(value: bool) -> None:
    if value:
        out.print(f"torchmigrate {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Show the version."
    ),
) -> None:
    """torchmigrate: upgrade legacy PyTorch code (0.1-0.3 idioms and APIs deprecated
    or removed through 2.x) and verify that training numbers are unchanged."""


# --------------------------------------------------------------------------
# options of upgrade/check, resolved against the configuration
# --------------------------------------------------------------------------
@dataclass
class Settings:
    cfg: object
    select: list
    ignore: list
    exclude: list
    force_exclude: bool
    unsafe_fixes: bool
    py2: bool
    jobs: int
    output_format: str
    rules: tuple = ()  # the rules selected for files without per-file ignores
    rule_sets: dict = field(default_factory=dict)  # extra ignores tuple -> rule ids


def _resolve(paths, cli: dict) -> Settings:
    """CLI flags over ``[tool.torchmigrate]``; selectors checked; user rules loaded."""
    from codemods import select_rules, unknown_selectors
    from torchmigrate import user_rules
    from torchmigrate.config import ConfigError, load_config, split_selectors
    from torchmigrate.processing import default_jobs

    try:
        cfg = load_config(Path(paths[0]) if paths else Path.cwd())
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    rule_files = [str(Path(p).resolve()) for p in cli["rules_from"] or []] + list(cfg.rules_from)
    try:
        user_rules.configure(rule_files)
        from codemods import all_rules

        all_rules()
    except user_rules.UserRuleError as exc:
        raise UsageError(str(exc)) from None
    except RuntimeError as exc:  # duplicate ids/names between rule sources
        raise UsageError(f"user rules: {exc}") from None

    select = split_selectors(cli["select"]) or list(cfg.select)
    ignore = split_selectors(cli["ignore"]) or list(cfg.ignore)
    exclude = list(cli["exclude"]) if cli["exclude"] else list(cfg.exclude)
    exclude += list(cli["extend_exclude"] or []) + list(cfg.extend_exclude)
    force = cli["force_exclude"]
    if force is None:
        force = bool(cfg.force_exclude)
    unsafe = cli["unsafe_fixes"]
    if unsafe is None:
        unsafe = bool(cfg.unsafe_fixes)
    py2 = cli["py2"]
    if py2 is None:
        py2 = True if cfg.py2 is None else cfg.py2
    jobs = cli["jobs"] or cfg.jobs or default_jobs()
    fmt = cli["output_format"] or cfg.output_format or "concise"
    if fmt not in FORMATS:
        raise UsageError(f"unknown output format {fmt!r}; choose from {', '.join(FORMATS)}")
    pfi = [s for ids in cfg.per_file_ignores.values() for s in ids]
    bad = unknown_selectors(select + ignore + pfi)
    if bad:
        raise UsageError(f"unknown rule id or prefix: {', '.join(bad)} (see `torchmigrate rules`)")
    settings = Settings(cfg, select, ignore, exclude, force, unsafe, py2, jobs, fmt)
    settings.rules = select_rules(select, ignore, py2=py2)
    return settings


def _rule_ids_for(path: Path, s: Settings) -> tuple:
    from codemods import select_rules
    from torchmigrate.config import per_file_ignores

    extra = tuple(per_file_ignores(path, s.cfg))
    if not extra:
        return tuple(r.id for r in s.rules)
    if extra not in s.rule_sets:
        s.rule_sets[extra] = tuple(
            r.id for r in select_rules(s.select, s.ignore + list(extra), py2=s.py2)
        )
    return s.rule_sets[extra]


def _collect(paths: list, s: Settings, resume_done: set, skip: list = ()):
    """[(path, repo, display)], errors, skipped repos."""
    from torchmigrate.config import force_excluded
    from torchmigrate.sources import discover

    items = []
    errors = []
    skipped = []
    notes: list = []
    for root in paths:
        root = Path(root)
        repo = str(root)
        if repo in resume_done:
            skipped.append(repo)
            continue
        if s.force_exclude and root.exists() and force_excluded(root, s.exclude, s.cfg):
            continue
        files, errs = discover([root], s.exclude, skip=skip, notes=notes)
        errors += errs
        for f in files:
            items.append((f, repo, str(f)))
    for note in notes:
        err.print(Text(f"note: {note}", style="yellow"))
    return items, errors, skipped


def _progress_run(items, s: Settings, quiet: bool, executor=None, on_each=None) -> list:
    """Run ``items`` with the project model (one model per repo, whatever
    rule set each file gets through per-file-ignores) on the executor (the
    local pool by default), outcomes in the order of ``items``.
    ``on_each(outcome)`` is called as each outcome arrives (while the
    workers go on with the others)."""
    from torchmigrate.project import run_project

    per_item = [_rule_ids_for(Path(item[0]), s) for item in items]
    results: list = [None] * len(items)

    def run_all(on_done=None) -> None:
        got = run_project(
            items, per_item, s.unsafe_fixes, s.jobs, on_done=on_done, executor=executor
        )
        results[:] = got

    if quiet or not err.is_terminal or len(items) < 2:
        run_all(on_each)
        return results
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]migrating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as prog:
        task = prog.add_task("files", total=len(items))

        def done(o) -> None:
            prog.advance(task)
            if on_each is not None:
                on_each(o)

        run_all(on_done=done)
    return results


# --------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------
def _diff_text(o: FileOutcome) -> str:
    """The unified diff of one outcome's texts."""
    from torchmigrate.sources import splitlines_lf

    a, b = splitlines_lf(o.old), splitlines_lf(o.new)
    old_name, new_name = (
        (o.path, o.path) if Path(o.path).is_absolute() else (f"a/{o.path}", f"b/{o.path}")
    )
    out = []
    for line in difflib.unified_diff(a, b, old_name, new_name):
        if not line.endswith("\n"):
            line += "\n\\ No newline at end of file\n"
        out.append(line)
    return "".join(out)


class _Diffs:
    """The unified diffs of the changed files, computed as each outcome
    arrives: with ``--jobs N`` the driver does it while the workers migrate
    the other files, instead of for every file after the last one."""

    def __init__(self) -> None:
        self.texts: dict = {}  # id(outcome) -> (old, new, diff text)

    def add(self, o: FileOutcome) -> None:
        if o.status == "changed" and o.old is not None and o.new is not None:
            self.texts[id(o)] = (o.old, o.new, _diff_text(o))

    def text(self, o: FileOutcome) -> str:
        hit = self.texts.get(id(o))
        if hit is not None and hit[0] is o.old and hit[1] is o.new:
            return hit[2]
        return _diff_text(o)  # (not seen arriving, or changed since)


def _print_diff(o: FileOutcome, diffs: Optional[_Diffs] = None) -> None:
    """The unified diff of one file on stdout: coloured by rich's diff lexer on
    a terminal, plain text otherwise (pipes, files, ``git apply``)."""
    if o.old is None or o.new is None:
        return
    text = diffs.text(o) if diffs is not None else _diff_text(o)
    if out.is_terminal and not out.is_dumb_terminal:
        from rich.syntax import Syntax

        out.print(Syntax(text.rstrip("\n"), "diff", theme="ansi_dark", background_color="default"))
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _read_text(path: str) -> Optional[str]:
    """A file's text as the reports show it (LF newlines), or None."""
    from torchmigrate.sources import SourceError, read_source

    try:
        if path.endswith(".ipynb"):
            return Path(path).read_bytes().decode("utf-8").replace("\r\n", "\n")
        return read_source(Path(path)).text
    except (OSError, UnicodeDecodeError, SourceError):
        return None


def _repo_root() -> str:
    """The SARIF %SRCROOT%: the git work tree around the working directory, or it."""
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, timeout=30
        )
        if proc.returncode == 0 and proc.stdout.strip():
            return proc.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return os.getcwd()


def _render(report: RunReport, fmt: str, rules) -> str:
    root = _repo_root() if fmt == "sarif" else None
    return render(report, fmt, rules, Locator(report, _read_text), root)


# What rich's rendering of a Text changes (soft wrap, no colour): the control
# codes Text strips and the tabs it expands.
_RICH_REWRITES = re.compile(r"[\t\x07\x08\x0b\x0c\r]")


def _write_plain(console: Console, entries: list) -> bool:
    """Write ``entries`` (one per line group) as ``console.print`` would on a
    console that renders no colour, without rich's per-segment work (about
    0.04 s for 3,000 findings, all of it serial at the end of a run).  False
    (nothing written) where rich would render something else: colours, or
    text that rich rewrites."""
    if (
        console.color_system is not None
        or not console.soft_wrap
        or console.record
        or console.is_jupyter
        or not entries
    ):
        return False
    text = "\n".join(entries)
    if _RICH_REWRITES.search(text):
        return False
    console.file.write(text + "\n")
    console.file.flush()
    return True


def _emit_findings(console: Console, report: RunReport, rules, fmt: str, opts: dict) -> None:
    """The findings in a text format, styled by safety."""
    include_fixes = report.command == "check"
    loc = Locator(report, _read_text)
    if opts.get("statistics"):
        for line in statistics(report, rules, include_fixes=True):
            console.print(Text(line))
        return
    entries = finding_lines(report, include_fixes, fmt, loc, opts.get("show_source", False))
    if _write_plain(console, entries):
        return
    # one print per batch of entries: rich's per-call cost (about 0.1 ms)
    # was a tenth of a fleet run's wall time with --jobs 2
    batch = Text()
    size = 0
    for entry in entries:
        style = None
        head = entry.split("\n", 1)[0]
        if "[manual]" in head:
            style = "yellow"
        elif "[unsafe]" in head:
            style = "magenta"
        if size:
            batch.append("\n")
        batch.append(entry, style=style)
        size += 1
        if size == 500:
            console.print(batch)
            batch, size = Text(), 0
    if size:
        console.print(batch)


def _emit_statistics_json(report: RunReport, rules) -> str:
    by_id = {r.id: r for r in rules}
    rows: dict = {}
    for o in report.outcomes:
        for f, fixed in [(f, True) for f in o.fixes] + [(f, False) for f in o.findings]:
            row = rows.setdefault(
                f["rule"],
                {
                    "code": f["rule"],
                    "name": by_id[f["rule"]].name if f["rule"] in by_id else "",
                    "count": 0,
                    "fixed" if report.wrote else "fixable": 0,
                },
            )
            row["count"] += 1
            if fixed:
                row["fixed" if report.wrote else "fixable"] += 1
    return json.dumps(sorted(rows.values(), key=lambda r: (-r["count"], r["code"])), indent=2)


def _print_summary(report: RunReport, verb: str) -> None:
    from torchmigrate.report import summary_dict

    s = summary_dict(report)
    table = Table(title=f"torchmigrate {verb}", show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("files scanned", str(s["files"]))
    changed_label = "changed" if report.wrote else "would change"
    table.add_row(changed_label, str(s["changed"]))
    table.add_row("unchanged", str(s["unchanged"]))
    table.add_row("failed", str(s["failed"]))
    fixes = s["fixes"]
    fix_text = ", ".join(f"{k} {v}" for k, v in fixes.items()) or "none"
    table.add_row(
        "fixes applied" if report.wrote else "fixes available",
        f"{sum(fixes.values())} ({fix_text})",
    )
    rem = s["remaining"]
    table.add_row(
        "findings left",
        f"safe {rem['safe']}, unsafe {rem['unsafe']}, manual {rem['manual']}"
        + (f"; suppressed {s['suppressed']}" if s["suppressed"] else ""),
    )
    if report.skipped_repos:
        table.add_row("repos skipped (resume)", str(len(report.skipped_repos)))
    if report.verification is not None:
        table.add_row("verification", str(report.verification.get("verdict")))
    err.print(table)
    if rem["unsafe"] and report.command == "upgrade":
        err.print(
            f"{rem['unsafe']} unsafe fix(es) were not applied; review them and rerun with --unsafe-fixes."
        )


def _torch_available() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def _next_steps(report: RunReport, paths: list, out_dir: Optional[Path], diff: bool) -> list:
    """What the user should do after the run: where the files are, how to
    review them, what is left, how to verify."""
    q = shlex.quote
    changed = [o for o in report.outcomes if o.status == "changed"]
    rem = report.remaining_by_safety()
    left = sum(rem.values())
    srcs = " ".join(q(str(p)) for p in paths)
    lines = []
    if report.command == "check":
        if report.fixes_by_rule():
            lines.append(f"preview the fixes: torchmigrate upgrade --diff {srcs}")
        if left:
            lines.append(
                f"why a rule reports what it does: torchmigrate explain {_top_rule(report)}"
            )
        return lines
    if diff:
        if changed:
            lines.append(f"apply them: torchmigrate upgrade {srcs}  (or --out DIR for a copy)")
        return lines
    if not changed:
        return lines
    verify_hint = "" if _torch_available() else f" (needs {VERIFY_EXTRA})"
    first = changed[0].path
    if out_dir is not None:
        multi = len(paths) > 1
        lines.append(
            f"the migrated copy is in {out_dir}/ ({len(changed)} file(s) changed, every other "
            "file copied); the sources are untouched"
        )
        for root in paths[:3]:
            dest = _out_root(out_dir, Path(root), multi) if Path(root).is_dir() else out_dir
            lines.append(f"review: diff -ru {q(str(root))} {q(str(dest))}")
        new_first = _out_path(first, paths, out_dir)
        lines.append(f"what is left ({left} finding(s)): torchmigrate check {q(str(out_dir))}")
        if new_first is not None and first.endswith(".py"):
            lines.append(
                f"prove a training script still trains the same: torchmigrate verify "
                f"{q(first)} {q(str(new_first))}{verify_hint}"
            )
    else:
        lines.append(f"{len(changed)} file(s) rewritten in place")
        lines.append(
            "review: git diff  (torchmigrate upgrade --diff shows a change before writing)"
        )
        lines.append(f"what is left ({left} finding(s)): torchmigrate check {srcs}")
        example = ""
        if first.endswith(".py") and not Path(first).is_absolute():
            example = f" (the old one from git: git show HEAD:./{first} > old.py)"
        lines.append(
            "prove a training script still trains the same: torchmigrate verify OLD.py NEW.py"
            f"{example}{verify_hint}"
        )
    if left:
        lines.append(f"why a rule reports what it does: torchmigrate explain {_top_rule(report)}")
    return lines


def _top_rule(report: RunReport) -> str:
    from collections import Counter

    c = Counter(f["rule"] for o in report.outcomes for f in o.findings)
    return c.most_common(1)[0][0] if c else "TM001"


def _out_path(path: str, paths: list, out_dir: Path) -> Optional[Path]:
    p = Path(path).resolve()
    multi = len(paths) > 1
    for root in paths:
        root = Path(root)
        if root.is_file() and root.resolve() == p:
            return out_dir / root.name
        if root.is_dir():
            try:
                return _out_root(out_dir, root, multi) / p.relative_to(root.resolve())
            except ValueError:
                continue
    return None


def _write_report(report: RunReport, target: str, fmt: str, rules) -> None:
    text = _render(report, fmt, rules)
    if target == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write report: {exc.strerror or exc}") from None


def _copy_tree(root: Path, dest: Path, exclude: list) -> None:
    """Copy a tree, skipping VCS metadata, virtualenvs and special files."""
    from torchmigrate.outtree import copy_tree

    copy_tree(root, dest)


def _state_load(path: Path) -> set:
    from torchmigrate import state

    return state.load(path)


def _state_save(path: Path, done: set) -> None:
    from torchmigrate import state

    state.save(path, done)


def _run_upgrade(command: str, paths: List[Path], cli: dict) -> int:
    from torchmigrate.processing import dirty_files

    diff = cli.get("diff", False)
    out_dir = cli.get("out_dir")
    interactive = cli.get("interactive", False)
    reports = list(cli.get("report") or [])
    legacy_fmt = cli.get("legacy_format")
    if legacy_fmt is not None:
        err.print(
            Text(
                "warning: --format is deprecated: use --output-format FMT (stdout) or a --report "
                "file whose extension names the format (.json, .sarif, .md, .txt)",
                style="yellow",
            )
        )
        if legacy_fmt not in FORMATS:
            raise UsageError(f"unknown --format {legacy_fmt!r}; choose from {', '.join(FORMATS)}")
        if not reports and not cli.get("output_format"):
            cli["output_format"] = legacy_fmt
    paths = list(paths or [])
    fleet_opts = _fleet_options(cli, diff, out_dir, interactive)
    if not paths and cli.get("from_file") is None:
        raise UsageError("no paths given")
    if out_dir is not None and (diff or interactive):
        raise UsageError("--out cannot be combined with --diff or --interactive")
    if diff and interactive:
        raise UsageError("--diff and --interactive are exclusive")
    fleet_in = _fleet_inputs(cli, paths, fleet_opts)
    paths = fleet_in.paths
    if not paths and not fleet_in.errors:
        raise UsageError("no paths given")
    s = _resolve(paths, cli)
    fmt = s.output_format
    if (diff or interactive) and fmt not in TEXT_FORMATS:
        raise UsageError(
            f"--output-format {fmt} cannot share stdout with the "
            f"{'diff' if diff else 'review'}; write it to a file with --report FILE"
        )
    if (diff or interactive) and "-" in reports:
        raise UsageError("--report - cannot share stdout with --diff/--interactive")
    rules = s.rules
    publishing = fleet_opts["branch"] is not None or fleet_opts["patches"] is not None
    # --branch/--patches: the results go to a commit/patch per repo, no
    # working tree is written
    writing = command == "upgrade" and not diff and not publishing
    quiet = cli.get("quiet", False)

    out_skip = []
    if out_dir is not None and writing:
        from torchmigrate.outtree import plan

        out_skip = plan(paths, out_dir)
    if writing:
        from torchmigrate.locking import begin_run

        begin_run(paths, in_place=out_dir is None)

    state_path = Path(".torchmigrate-state.json")
    resume = cli.get("resume", False)
    done = _state_load(state_path) if resume else set()
    items, errors, skipped = _collect(paths, s, done, out_skip)

    # The dirty-tree refusal comes before any work: nothing is processed when
    # a file it could rewrite has uncommitted changes.
    if (writing or publishing) and out_dir is None and not cli.get("allow_dirty") and items:
        dirty = dirty_files([Path(i[0]) for i in items])
        if dirty:
            names = "\n  ".join(str(d) for d in dirty[:20])
            if len(dirty) > 20:
                names += f"\n  ... and {len(dirty) - 20} more"
            raise UsageError(
                "refusing to rewrite files with uncommitted changes (commit or stash them, "
                f"or pass --allow-dirty):\n  {names}"
            )

    verify_script = cli.get("verify")
    verify_snapshot = _verify_snapshot(verify_script) if verify_script is not None else None

    items, unpublishable = _fleet_preflight(items, fleet_opts)
    from torchmigrate.executors import ExecutorError, ResultCache, make_executor

    cache = ResultCache(Path(CACHE_DIR_NAME)) if resume else None
    diffs = _Diffs() if diff else None
    try:
        with make_executor(
            cli.get("executor") or "local", s.jobs, cli.get("scheduler"), cache
        ) as ex:
            outcomes = _progress_run(items, s, quiet, ex, diffs.add if diffs is not None else None)
    except ExecutorError as exc:
        raise UsageError(str(exc)) from None
    for e in errors:
        outcomes.append(
            FileOutcome(path=str(e.path), repo=str(e.path), status="failed", errors=[str(e)])
        )
    for label, message in fleet_in.errors + unpublishable:
        outcomes.append(FileOutcome(path=label, repo=label, status="failed", errors=[message]))

    report = RunReport(
        command=command,
        outcomes=outcomes,
        wrote=False,
        skipped_repos=skipped,
        show_warnings=bool(cli.get("warn_suppressions")),
    )
    fill_short(report, _all_rules())
    changed = [o for o in outcomes if o.status == "changed"]
    emit_opts = {"statistics": cli.get("statistics"), "show_source": cli.get("show_source")}
    stdout_report = "-" in reports
    reports = [r for r in reports if r != "-"]

    review_summary = None
    published = None
    if publishing:
        published = _publish(paths, outcomes, fleet_in.labels, fleet_opts, quiet)
        report.wrote = any(p.commit or p.patch for p in published)
    if diff:
        for o in changed:
            _print_diff(o, diffs)
    elif writing:
        from torchmigrate.state import Progress as ResumeProgress

        progress = ResumeProgress(
            state_path if resume and out_dir is None else None, done, outcomes
        )
        if interactive:
            review_summary = _interactive(changed, out_dir, progress)
        else:
            for o in progress.each(changed):
                _write_one(o, out_dir)
        if out_dir is not None:
            _write_out_tree(paths, out_dir, outcomes)
        report.wrote = True

    # stdout: the diff (above), or the result in the output format
    if diff:
        _emit_findings(err, report, _all_rules(), fmt, emit_opts)
    elif stdout_report:
        _write_report(report, "-", fmt, rules)
    elif fmt in TEXT_FORMATS:
        _emit_findings(out, report, _all_rules(), fmt, emit_opts)
    elif cli.get("statistics") and fmt == "json":
        sys.stdout.write(_emit_statistics_json(report, _all_rules()) + "\n")
    else:
        sys.stdout.write(_render(report, fmt, rules))
        sys.stdout.flush()

    for e in report.errors():
        err.print(Text(e, style="red"))
    if not quiet:
        for o in outcomes:
            for n in getattr(o, "notes", ()):
                err.print(Text(n, style="yellow"))
    if report.show_warnings:
        for w in report.warnings():
            err.print(Text(w, style="yellow"))

    if verify_script is not None:
        try:
            report.verification = _verify_after(
                verify_script,
                verify_snapshot,
                out_dir,
                paths,
                outcomes,
                writing,
                cli.get("verify_opts") or {},
            )
        finally:
            verify_snapshot.remove()

    if resume:
        failed_repos = {o.repo for o in outcomes if o.status == "failed"}
        failed_repos |= {p.repo for p in published or [] if p.error}
        finished = {o.repo for o in outcomes} - failed_repos
        _state_save(state_path, (done | finished) - failed_repos)
        if not failed_repos and cache is not None:
            cache.clear()  # everything is done: nothing left to resume

    if not quiet:
        verb = "check" if command == "check" else ("upgrade --diff" if diff else "upgrade")
        _print_summary(report, verb)
        if review_summary is not None:
            err.print(review_summary)
        steps = _fleet_next_steps(published, fleet_opts) if publishing else None
        for line in steps if steps is not None else _next_steps(report, paths, out_dir, diff):
            err.print(Text("next: " + line))
    for target in reports:
        # the deprecated --format names the report's format, as it did in 0.1
        _write_report(report, target, legacy_fmt or format_for_path(target, fmt), rules)
    summary_path = cli.get("summary")
    if summary_path is not None:
        if summary_path.suffix.lower() in (".html", ".htm"):
            _write_html_summary(report, summary_path, fleet_in.labels, published)
        else:
            _write_report(report, str(summary_path), "markdown", rules)

    failed = report.count("failed") > 0 or any(p.error for p in published or [])
    exit_zero = cli.get("exit_zero", False)
    if command == "check":
        left = any(o.fixes or o.findings for o in outcomes)
        return 1 if (failed or (left and not exit_zero)) else 0
    if report.verification is not None and report.verification.get("verdict") != "match":
        return 1
    if diff and changed and not exit_zero:
        return 1
    return 1 if failed else 0


def _all_rules() -> tuple:
    from codemods import all_rules

    return all_rules()


# --------------------------------------------------------------------------
# fleet mode: executors, git inputs, a branch or a patch per repo, HTML report
# --------------------------------------------------------------------------
CACHE_DIR_NAME = ".torchmigrate-cache"


def _fleet_options(cli: dict, diff: bool, out_dir, interactive: bool) -> dict:
    branch, patches = cli.get("branch"), cli.get("patches")
    executor = cli.get("executor")
    if cli.get("scheduler") and executor in (None, "dask"):
        executor = "dask"
    elif cli.get("scheduler"):
        raise UsageError("--scheduler needs --executor dask")
    if executor not in (None, "local", "dask"):
        raise UsageError(f"unknown executor {executor!r}; choose from local, dask")
    cli["executor"] = executor or "local"
    if branch is not None or patches is not None:
        what = "--branch" if branch is not None else "--patches"
        if diff or interactive or out_dir is not None:
            raise UsageError(f"{what} cannot be combined with --diff, --interactive or --out")
        if cli.get("verify") is not None:
            raise UsageError(f"{what} cannot be combined with --verify (nothing is written)")
    return {
        "branch": branch,
        "patches": patches,
        "work_dir": cli.get("work_dir") or Path(".torchmigrate-work"),
        "command": " ".join(shlex.quote(a) for a in ["torchmigrate", *sys.argv[1:]]),
    }


def _fleet_inputs(cli: dict, paths: list, opts: dict):
    """Command-line paths plus the --from-file listing (git sources cloned)."""
    from torchmigrate import fleet

    sources = []
    from_file = cli.get("from_file")
    if from_file is not None:
        try:
            sources = fleet.read_listing(from_file)
        except fleet.FleetError as exc:
            raise UsageError(str(exc)) from None
    prepared = fleet.prepare(sources, opts["work_dir"], cli.get("jobs") or 4)
    prepared.paths = list(paths) + prepared.paths
    return prepared


def _fleet_preflight(items: list, opts: dict):
    """--branch/--patches: repos that cannot get one are left out (and
    reported), before any work."""
    if opts["branch"] is None and opts["patches"] is None:
        return items, []
    from torchmigrate import fleet

    repos = [Path(r) for r in dict.fromkeys(it[1] for it in items)]  # resumed ones aside
    try:
        problems = fleet.preflight(repos, opts["branch"], opts["patches"] is not None)
    except fleet.FleetError as exc:
        raise UsageError(str(exc)) from None
    items = [it for it in items if it[1] not in problems]
    return items, list(problems.items())


def _publish(paths: list, outcomes: list, labels: dict, opts: dict, quiet: bool) -> list:
    from torchmigrate import fleet

    published = fleet.publish(
        paths,
        outcomes,
        _all_rules(),
        labels,
        opts["branch"],
        opts["patches"],
        command=opts["command"],
    )
    for p in published:
        if p.error:
            err.print(Text(p.error, style="red"))
    return published


def _fleet_next_steps(published: list, opts: dict) -> list:
    lines = []
    made = [p for p in published if p.commit or p.patch]
    if opts["branch"] is not None:
        lines.append(
            f"{sum(1 for p in made if p.branch)} repo(s) have a branch {opts['branch']} "
            "with one migration commit; no working tree was touched"
        )
        for p in [p for p in made if p.branch][:3]:
            lines.append(f"review: git -C {shlex.quote(p.repo)} show --stat {opts['branch']}")
    if opts["patches"] is not None:
        lines.append(f"{sum(1 for p in made if p.patch)} patch(es) in {opts['patches']}/")
        for p in [p for p in made if p.patch][:1]:
            lines.append(f"apply: git -C REPO apply {shlex.quote(str(Path(p.patch).resolve()))}")
    if not made:
        lines.append("nothing to publish: no repo has changes")
    return lines


def _write_html_summary(report: RunReport, path: Path, labels: dict, published) -> None:
    from torchmigrate.html_report import render_html

    fill_short(report, _all_rules())
    text = render_html(
        report,
        _all_rules(),
        labels=labels,
        published=published,
        report_path=path,
        command=" ".join(shlex.quote(a) for a in ["torchmigrate", *sys.argv[1:]]),
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write report: {exc.strerror or exc}") from None


def _write_one(o: FileOutcome, out_dir: Optional[Path], data: Optional[bytes] = None) -> None:
    """Write one changed file in place (``--out`` copies are written later)."""
    from torchmigrate.sources import SourceError, write_atomic

    if out_dir is not None:
        return
    try:
        write_atomic(Path(o.path), o.new_bytes if data is None else data, expected=o.fingerprint)
        o.written = True
    except SourceError as exc:
        o.status = "failed"
        o.errors.append(str(exc))
    except OSError as exc:
        o.status = "failed"
        o.errors.append(f"{o.path}: cannot write: {exc.strerror or exc}")


def _interactive(changed: list, out_dir: Optional[Path], progress=None) -> str:
    """Review every hunk; write what was accepted; make the outcomes say what
    was really applied.  Returns the review's summary line."""
    from rich.syntax import Syntax

    from torchmigrate.review import Review, Terminal

    colour = out.is_terminal and not out.is_dumb_terminal

    def show(text: str) -> None:
        if colour and text.startswith("---"):
            out.print(
                Syntax(text.rstrip("\n"), "diff", theme="ansi_dark", background_color="default")
            )
        else:
            out.print(Text(text.rstrip("\n")))

    files = [(o.path, o.old, o.new, o.fixes) for o in changed]
    term = Terminal(console=out)
    review = Review(files, term, show, colour)
    by_path = {o.path: o for o in changed}
    with term:
        for decision in review.run():
            _settle_review(by_path[decision.path], decision, out_dir)
            if progress is not None:
                progress.settle(by_path[decision.path])
    sm = review.summary
    text = (
        f"review: {sm.accepted} of {sm.units} change(s) applied, {sm.declined} declined"
        + (f", {sm.unreviewed} not reviewed" if sm.unreviewed else "")
        + (f"; {len(sm.refused_files)} file(s) not written (see above)" if sm.refused_files else "")
    )
    if sm.end_of_input:
        text += "; input ended, review stopped"
    elif sm.quit:
        text += "; review stopped (q)"
    return text


def _settle_review(o: FileOutcome, decision, out_dir: Optional[Path]) -> None:
    """Write a reviewed file and make its outcome say what was really applied."""
    from torchmigrate.review import old_to_new_lines
    from torchmigrate.sources import SourceError, read_source

    fixes = o.fixes
    keep = [fixes[k] for k in decision.accepted_fixes]
    left = [fixes[k] for k in sorted(set(decision.declined_fixes) | set(decision.unreviewed_fixes))]
    if decision.text is None:
        o.status = "unchanged"
        o.new = o.old
        o.new_bytes = None
        new_line = None
    else:
        text = decision.text
        o.new = text
        new_line = old_to_new_lines(o.old, text)
        try:
            if o.path.endswith(".ipynb"):
                o.new_bytes = text.encode("utf-8")
            else:
                o.new_bytes = read_source(Path(o.path)).render(text)
        except SourceError as exc:  # e.g. deleted or replaced during the review
            o.status = "failed"
            o.errors.append(f"{exc}; not written")
        else:
            _write_one(o, out_dir)
    o.fixes = keep
    for f in left:  # not applied: still in the file, reported as what it is
        g = dict(f, applied=False, declined=True)
        line = int(f.get("source_line") or f["line"])
        g["line"] = new_line(line) if (new_line and not f.get("cell")) else line
        o.findings.append(g)


def _out_root(out_dir: Path, root: Path, multi: bool) -> Path:
    """Where --out puts a migrated directory root: DIR itself, or DIR/<name> when
    several roots are migrated in one run."""
    return out_dir / root.resolve().name if multi and root.is_dir() else out_dir


def _write_out_tree(paths: list, out_dir: Path, outcomes: list) -> None:
    """--out: a migrated copy of every root (non-Python files copied too),
    written completely or not at all (torchmigrate/outtree.py)."""
    from torchmigrate.outtree import write

    notes: list = []
    write(paths, out_dir, outcomes, notes)
    for note in notes:
        err.print(Text(f"note: {note}", style="yellow"))


def _verify_snapshot(target: Path):
    """upgrade --verify: copy the project root of SCRIPT (or of a directory with
    [tool.torchmigrate.verify] entry points) before anything is rewritten."""
    from torchmigrate.heal import Snapshot, UsageProblem, entry_points

    try:
        entry_points(target, list(_EXTRA_ARGS))  # validate before migrating anything
        return Snapshot(target)
    except UsageProblem as exc:
        raise UsageError(str(exc)) from None


def _verify_after(script, snapshot, out_dir, paths, outcomes, writing, opts) -> dict:
    """upgrade --verify: old = the pre-upgrade snapshot, new = the migrated tree; fixes
    that make the verification fail are backed out (torchmigrate/heal.py)."""
    from torchmigrate.heal import UsageProblem, entry_points, verify_upgrade
    from torchmigrate.sources import read_source, write_atomic

    try:
        entries = entry_points(script, list(_EXTRA_ARGS))
    except UsageProblem as exc:
        raise UsageError(str(exc)) from None
    try:
        from torchmigrate.harness.commands import render
    except ImportError as exc:
        raise UsageError(f"--verify needs the 'verify' extra (torch): {exc}") from None

    def write(o, text: str) -> None:
        src = Path(o.path)
        data = read_source(src).render(text) if src.exists() else text.encode("utf-8")
        if out_dir is None:
            write_atomic(src, data)
            return
        for root in paths:
            root = Path(root).resolve()
            base_dir = root if root.is_dir() else root.parent
            try:
                rel = src.resolve().relative_to(base_dir)
            except ValueError:
                continue
            dest = _out_root(out_dir, root, len(paths) > 1) / rel
            if dest.exists():
                write_atomic(dest, data)
            return

    result = verify_upgrade(
        snapshot,
        entries,
        outcomes,
        write=write if writing else None,
        opts=opts,
        render=lambda r: render(r, err),
    )
    for b in result["backed_out"]:
        err.print(
            Text(
                f"{b['file']}:{b['line']}: {', '.join(b['rules'])} [manual] fix backed out by "
                f"upgrade --verify ({b['evidence']})",
                style="yellow",
            )
        )
    verdict = result["verdict"]
    return {
        "script": str(script),
        "verdict": verdict,
        "repos": {str(p): verdict for p in paths},
        "entry_points": result["entry_points"],
        "backed_out": result["backed_out"],
    }


# --------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------
_SELECT = typer.Option(
    None, "--select", help="Rule ids, prefixes or names to run (e.g. TM0,TM103,variable-wrap)."
)
_IGNORE = typer.Option(None, "--ignore", help="Rule ids, prefixes or names to skip.")
_EXCLUDE = typer.Option(
    None, "--exclude", help="Glob of paths to skip (repeatable; replaces the config's exclude)."
)
_EXTEND_EXCLUDE = typer.Option(
    None, "--extend-exclude", help="Glob of paths to skip, on top of exclude (repeatable)."
)
_FORCE_EXCLUDE = typer.Option(
    None,
    "--force-exclude/--no-force-exclude",
    help="Apply the excludes to files named on the command line too (as pre-commit passes them).",
)
_UNSAFE = typer.Option(None, "--unsafe-fixes/--no-unsafe-fixes", help="Also apply unsafe rewrites.")
_PY2 = typer.Option(None, "--py2/--no-py2", help="Python 2 -> 3 rules (TM3xx) for Python 2 files.")
_OUTPUT_FORMAT = typer.Option(
    None,
    "--output-format",
    help="stdout format: concise (default), full, json, sarif, github, markdown (text = concise).",
)
_REPORT = typer.Option(
    None,
    "--report",
    help="Also write the report to FILE (repeatable; format from the extension .json/.sarif/.md/"
    ".txt, else --output-format; '-' = stdout).",
)
_LEGACY_FORMAT = typer.Option(None, "--format", hidden=True, help="Deprecated: --output-format.")
_STATISTICS = typer.Option(False, "--statistics", help="Counts per rule instead of the findings.")
_SHOW_SOURCE = typer.Option(False, "--show-source", help="Show each finding's line with a caret.")
_EXIT_ZERO = typer.Option(
    False, "--exit-zero", help="Exit 0 even when findings remain or changes are pending."
)
_WARN_SUPPRESSIONS = typer.Option(
    False,
    "--warn-suppressions",
    help="Warn about unknown rule ids in suppression comments and suppressions that silenced nothing.",
)
_RULES_FROM = typer.Option(
    None, "--rules-from", help="A Python file of user rules (Bowler queries; repeatable)."
)
_JOBS = typer.Option(0, "--jobs", "-j", help="Worker processes (default: number of cores).")
_EXECUTOR = typer.Option(
    None,
    "--executor",
    help="Where files are migrated: local (a process pool, the default) or dask "
    "(pip install 'torchmigrate[cluster]').",
)
_SCHEDULER = typer.Option(
    None,
    "--scheduler",
    help="Dask scheduler address (implies --executor dask; default $TORCHMIGRATE_SCHEDULER, "
    "else a LocalCluster of --jobs workers).",
)
_QUIET = typer.Option(False, "--quiet", "-q", help="No summary.")


@app.command()
def upgrade(
    paths: Optional[List[Path]] = typer.Argument(
        None, help="Files or directories (each one a repo)."
    ),
    diff: bool = typer.Option(
        False, "--diff", help="Dry run: the unified diff on stdout, exit 1 if any change."
    ),
    out_dir: Optional[Path] = typer.Option(
        None, "--out", help="Write a migrated copy of the tree to DIR."
    ),
    select: Optional[List[str]] = _SELECT,
    ignore: Optional[List[str]] = _IGNORE,
    exclude: Optional[List[str]] = _EXCLUDE,
    extend_exclude: Optional[List[str]] = _EXTEND_EXCLUDE,
    force_exclude: Optional[bool] = _FORCE_EXCLUDE,
    unsafe_fixes: Optional[bool] = _UNSAFE,
    py2: Optional[bool] = _PY2,
    output_format: Optional[str] = _OUTPUT_FORMAT,
    report: Optional[List[str]] = _REPORT,
    legacy_format: Optional[str] = _LEGACY_FORMAT,
    statistics_: bool = _STATISTICS,
    show_source: bool = _SHOW_SOURCE,
    exit_zero: bool = _EXIT_ZERO,
    warn_suppressions: bool = _WARN_SUPPRESSIONS,
    rules_from: Optional[List[Path]] = _RULES_FROM,
    jobs: int = _JOBS,
    executor: Optional[str] = _EXECUTOR,
    scheduler: Optional[str] = _SCHEDULER,
    quiet: bool = _QUIET,
    from_file: Optional[Path] = typer.Option(
        None,
        "--from-file",
        help="Read repos from FILE: one per line, a path or a git URL/path, optionally "
        "followed by a commit (git sources are cloned into --work-dir).",
    ),
    work_dir: Optional[Path] = typer.Option(
        None, "--work-dir", help="Where --from-file git sources are cloned (.torchmigrate-work)."
    ),
    branch: Optional[str] = typer.Option(
        None,
        "--branch",
        help="Commit each repo's migration on this new branch (one commit per repo; "
        "working trees untouched).",
    ),
    patches: Optional[Path] = typer.Option(
        None, "--patches", help="Write one patch per repo into DIR (git apply / git am)."
    ),
    summary: Optional[Path] = typer.Option(
        None,
        "--summary",
        help="Write a per-repo summary: Markdown, or a self-contained HTML fleet report "
        "when FILE ends in .html.",
    ),
    resume: bool = typer.Option(False, "--resume", help="Skip repos finished by a previous run."),
    interactive: bool = typer.Option(
        False, "--interactive", "-i", help="Review each change (single keys; ? for help)."
    ),
    allow_dirty: bool = typer.Option(
        False, "--allow-dirty", help="Rewrite files with uncommitted changes."
    ),
    verify: Optional[Path] = typer.Option(
        None, "--verify", help="After migrating, verify SCRIPT old vs new."
    ),
    steps: int = typer.Option(3, "--steps", help="Training steps compared by --verify."),
    device: str = typer.Option("cpu", "--device", help="--verify device: cpu or cuda."),
    timeout: float = typer.Option(300.0, "--timeout", help="--verify timeout per side, seconds."),
    synthetic_data: bool = typer.Option(
        False, "--synthetic-data", help="--verify: fake datasets and text corpora (no downloads)."
    ),
) -> None:
    """Rewrite legacy PyTorch idioms in place (or --diff / --out DIR)."""
    cli = dict(locals())
    cli["statistics"] = cli.pop("statistics_")
    cli["verify_opts"] = {
        "steps": steps,
        "device": device,
        "timeout": timeout,
        "synthetic": synthetic_data,
    }
    _exit(lambda: _run_upgrade("upgrade", paths, cli))


@app.command()
def check(
    paths: List[Path] = typer.Argument(..., help="Files or directories."),
    select: Optional[List[str]] = _SELECT,
    ignore: Optional[List[str]] = _IGNORE,
    exclude: Optional[List[str]] = _EXCLUDE,
    extend_exclude: Optional[List[str]] = _EXTEND_EXCLUDE,
    force_exclude: Optional[bool] = _FORCE_EXCLUDE,
    unsafe_fixes: Optional[bool] = _UNSAFE,
    py2: Optional[bool] = _PY2,
    output_format: Optional[str] = _OUTPUT_FORMAT,
    report: Optional[List[str]] = _REPORT,
    legacy_format: Optional[str] = _LEGACY_FORMAT,
    statistics_: bool = _STATISTICS,
    show_source: bool = _SHOW_SOURCE,
    exit_zero: bool = _EXIT_ZERO,
    warn_suppressions: bool = _WARN_SUPPRESSIONS,
    rules_from: Optional[List[Path]] = _RULES_FROM,
    jobs: int = _JOBS,
    executor: Optional[str] = _EXECUTOR,
    scheduler: Optional[str] = _SCHEDULER,
    quiet: bool = _QUIET,
) -> None:
    """List every legacy site without writing; exit 1 if any remain."""
    cli = dict(locals())
    cli["statistics"] = cli.pop("statistics_")
    _exit(lambda: _run_upgrade("check", paths, cli))


def _load_user_rules(rules_from: Optional[List[Path]]) -> None:
    from torchmigrate import user_rules
    from torchmigrate.config import ConfigError, load_config

    try:
        cfg = load_config(Path.cwd())
    except ConfigError as exc:
        err.print(Text(f"error: {exc}", style="red"))
        raise typer.Exit(2) from None
    files = [str(p.resolve()) for p in rules_from or []] + list(cfg.rules_from)
    try:
        user_rules.configure(files)
        from codemods import all_rules

        all_rules()
    except (user_rules.UserRuleError, RuntimeError) as exc:
        err.print(Text(f"error: {exc}", style="red"))
        raise typer.Exit(2) from None


@app.command("rules")
def rules_cmd(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable list."),
    rules_from: Optional[List[Path]] = _RULES_FROM,
) -> None:
    """List the rules: id, name, safety, summary, grouped by family."""
    from codemods import all_rules, family_name

    _load_user_rules(rules_from)
    rules = all_rules()
    if as_json:
        out.print_json(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "name": r.name,
                        "safety": r.safety,
                        "family": r.family,
                        "summary": r.summary,
                        "short": r.short_text,
                        **({"origin": r.origin} if getattr(r, "origin", "") else {}),
                    }
                    for r in rules
                ]
            )
        )
        return
    families: dict = {}
    for r in rules:
        families.setdefault(r.family, []).append(r)
    for fam, members in families.items():
        label = family_name(fam) if fam == "user" else f"{fam}xx {family_name(fam)}"
        table = Table(
            title=f"{label} ({len(members)} rules)",
            title_justify="left",
            show_lines=False,
        )
        table.add_column("id", style="bold", no_wrap=True)
        table.add_column("name", no_wrap=True)
        table.add_column("safety", no_wrap=True)
        table.add_column("summary")
        for r in members:
            table.add_row(r.id, r.name, r.safety, r.summary)
        out.print(table)
    out.print(f"{len(rules)} rules in {len(families)} families")


@app.command()
def explain(
    rule_id: str = typer.Argument(..., help="A rule id or name, e.g. TM003 or variable-wrap."),
    rules_from: Optional[List[Path]] = _RULES_FROM,
) -> None:
    """Print a rule's full documentation with its examples."""
    from codemods import all_rules, get_rule

    _load_user_rules(rules_from)
    try:
        rule = get_rule(rule_id)
    except KeyError:
        keys = [r.id for r in all_rules()] + [r.name for r in all_rules()]
        close = difflib.get_close_matches(rule_id.upper(), keys, n=3) or difflib.get_close_matches(
            rule_id.lower(), keys, n=3
        )
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        err.print(f"error: unknown rule {rule_id!r}{hint}; see `torchmigrate rules`")
        raise typer.Exit(2) from None
    page = rule.render_doc()
    if out.is_terminal:
        # (imported here: markdown-it is about a sixth of the CLI's start-up
        # and only `explain` on a terminal needs it)
        from rich.markdown import Markdown

        out.print(Markdown(page))
    else:
        out.print(page, end="", markup=False)


def _exit(fn) -> None:
    from torchmigrate.errors import RunError
    from torchmigrate.locking import end_run

    try:
        code = fn()
    except (UsageError, RunError) as exc:
        err.print(Text(f"error: {exc}", style="red"))
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(2) from None
    finally:
        end_run()
    raise typer.Exit(code)


# --------------------------------------------------------------------------
# verify / run: listed always; loaded (with torch) only when asked for
# --------------------------------------------------------------------------
_HARNESS_HELP = {
    "verify": "Run OLD under a legacy (pre-0.4) runtime and NEW under today's torch; show that "
    "every training step's loss, gradients and parameters match.",
    "run": "Run SCRIPT as __main__, optionally under the legacy runtime (unmigrated code on "
    "today's torch).",
}


def _harness_stub(name: str, reason: Optional[str]) -> None:
    """A placeholder for ``verify``/``run``: listed in the help; when run, says
    what to install."""
    from rich.markup import escape

    help_text = _HARNESS_HELP[name]
    if reason is not None or not _torch_available():
        help_text += f" Needs torch: {VERIFY_EXTRA}."
    help_text = escape(help_text)  # the help is rendered as rich markup: keep "[verify]"

    def stub(ctx: typer.Context) -> None:
        why = f" ({reason})" if reason else ""
        err.print(
            Text(
                f"error: `torchmigrate {name}` needs PyTorch, which is not installed{why}; "
                f"install it with: {VERIFY_EXTRA}",
                style="red",
            )
        )
        raise typer.Exit(2)

    stub.__doc__ = help_text
    app.command(
        name,
        help=help_text,
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        add_help_option=reason is None,
    )(stub)


def _register_harness(load: bool) -> None:
    """Add `verify` and `run`.  With ``load`` the real commands are imported
    (they need torch); otherwise, or when torch is missing, placeholders that
    keep them in the help and say how to install them."""
    if load:
        try:
            import torch  # noqa: F401 - the harness commands need it (imported lazily)

            from torchmigrate.harness.commands import run_command, verify_command
        except ImportError as exc:
            name = getattr(exc, "name", "") or ""
            missing = name.split(".")[0] in ("torch", "numpy")
            reason = f"cannot import {name}" if missing else f"{type(exc).__name__}: {exc}"
            _harness_stub("verify", reason)
            _harness_stub("run", reason)
            return
        app.command("verify")(verify_command)
        app.command("run")(run_command)
        _register_oldenv()
        return
    _harness_stub("verify", None)
    _harness_stub("run", None)
    _register_oldenv()


def _register_oldenv() -> None:
    """`oldenv` (genuine old-torch interpreters for `verify --old-python`) needs no torch."""
    from torchmigrate.harness.commands import oldenv_command

    app.command("oldenv")(oldenv_command)


def main(argv: Optional[list] = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "upgrade" and "--" in argv:
        i = argv.index("--")
        _EXTRA_ARGS[:] = argv[i + 1 :]
        argv = argv[:i]
    # The harness needs torch: it is imported only for `verify`/`run` themselves,
    # so `upgrade`, `check` and the help never import torch.
    _register_harness(load=bool(argv) and argv[0] in ("verify", "run"))
    try:
        app(args=argv, prog_name="torchmigrate")
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - exit 2 with one line, not a traceback
        err.print(f"internal error: {type(exc).__name__}: {exc}")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
