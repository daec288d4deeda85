"""The command line: flags in, rendering out.  Thin on purpose.

Exit codes: 0 = nothing left to do / verification matched; 1 = findings
remain (``check``), a file could not be migrated, or verification diverged;
2 = usage or internal error.
"""

from __future__ import annotations

import difflib
import json
import shutil
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text

from torchmigrate import __version__
from torchmigrate.report import FORMATS, FileOutcome, RunReport, render

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


class UsageError(Exception):
    pass


def _split_csv(values: Optional[List[str]]) -> list:
    items: list = []
    for v in values or []:
        items += [x.strip() for x in v.split(",") if x.strip()]
    return items


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
# shared machinery of upgrade/check
# --------------------------------------------------------------------------
def _resolve_options(paths, select, ignore, exclude, unsafe_fixes, py2):
    from codemods import select_rules, unknown_selectors
    from torchmigrate.processing import load_config

    try:
        cfg, cfg_path = load_config(Path(paths[0]) if paths else Path.cwd())
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    select = _split_csv(select) or list(cfg.get("select", []))
    ignore = _split_csv(ignore) or list(cfg.get("ignore", []))
    exclude = list(exclude or []) + list(cfg.get("exclude", []))
    if unsafe_fixes is None:
        unsafe_fixes = bool(cfg.get("unsafe-fixes", False))
    if py2 is None:
        py2 = bool(cfg.get("py2", True))
    bad = unknown_selectors(select + ignore)
    if bad:
        raise UsageError(f"unknown rule id or prefix: {', '.join(bad)} (see `torchmigrate rules`)")
    rules = select_rules(select, ignore, py2=py2)
    return rules, exclude, unsafe_fixes


def _collect(paths: list, exclude: list, resume_done: set):
    """[(path, repo, display)], errors, skipped repos."""
    from torchmigrate.sources import discover

    items = []
    errors = []
    skipped = []
    for root in paths:
        root = Path(root)
        repo = str(root)
        if repo in resume_done:
            skipped.append(repo)
            continue
        files, errs = discover([root], exclude)
        errors += errs
        for f in files:
            items.append((f, repo, str(f)))
    return items, errors, skipped


def _progress_run(items, rule_ids, unsafe_fixes, jobs, quiet):
    from torchmigrate.processing import run_pool

    if quiet or not err.is_terminal or len(items) < 2:
        return run_pool(items, rule_ids, unsafe_fixes, jobs)
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
        return run_pool(items, rule_ids, unsafe_fixes, jobs, on_done=lambda _o: prog.advance(task))


def _print_diff(o: FileOutcome) -> None:
    if o.old is None or o.new is None:
        return
    a, b = o.old.splitlines(keepends=True), o.new.splitlines(keepends=True)
    old_name, new_name = (
        (o.path, o.path) if Path(o.path).is_absolute() else (f"a/{o.path}", f"b/{o.path}")
    )
    for line in difflib.unified_diff(a, b, old_name, new_name):
        if not line.endswith("\n"):
            line += "\n\\ No newline at end of file\n"
        style = None
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        elif line.startswith("@@"):
            style = "cyan"
        out.print(Text(line.rstrip("\n"), style=style))


def _print_findings(report: RunReport, include_fixes: bool) -> None:
    from torchmigrate.report import finding_lines

    for line in finding_lines(report, include_fixes):
        style = None
        if "[manual]" in line:
            style = "yellow"
        elif "[unsafe]" in line:
            style = "magenta"
        out.print(Text(line, style=style))


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


def _write_report(report: RunReport, path: Optional[Path], fmt: str, rules) -> None:
    if path is None:
        return
    text = render(report, fmt, rules)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write report: {exc.strerror or exc}") from None


def _copy_tree(root: Path, dest: Path, exclude: list) -> None:
    """Copy a tree for --out, skipping VCS metadata and virtualenvs."""

    def ignore(directory, names):
        from torchmigrate.sources import _is_virtualenv

        skipped = {n for n in names if n in (".git", ".hg", ".svn", "__pycache__")}
        skipped |= {n for n in names if _is_virtualenv(Path(directory) / n)}
        return skipped

    shutil.copytree(root, dest, ignore=ignore, dirs_exist_ok=True, symlinks=True)


def _state_load(path: Path) -> set:
    try:
        return set(json.loads(path.read_text(encoding="utf-8")).get("done", []))
    except (OSError, ValueError):
        return set()


def _state_save(path: Path, done: set) -> None:
    from torchmigrate.sources import write_atomic

    write_atomic(path, (json.dumps({"done": sorted(done)}, indent=2) + "\n").encode())


def _run_upgrade(
    command: str,
    paths: List[Path],
    diff: bool,
    out_dir: Optional[Path],
    select,
    ignore,
    exclude,
    unsafe_fixes,
    py2,
    report_path,
    fmt,
    jobs,
    quiet,
    from_file,
    summary_path,
    resume,
    interactive,
    allow_dirty,
    verify_script,
    verify_opts,
) -> int:
    from torchmigrate.processing import default_jobs, dirty_files
    from torchmigrate.sources import SourceError, read_source, write_atomic

    if fmt not in FORMATS:
        raise UsageError(f"unknown --format {fmt!r}; choose from {', '.join(FORMATS)}")
    paths = list(paths or [])
    if from_file is not None:
        try:
            lines = from_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UsageError(f"{from_file}: cannot read: {exc.strerror or exc}") from None
        paths += [Path(x.strip()) for x in lines if x.strip() and not x.strip().startswith("#")]
    if not paths:
        raise UsageError("no paths given")
    if out_dir is not None and (diff or interactive):
        raise UsageError("--out cannot be combined with --diff or --interactive")
    if diff and interactive:
        raise UsageError("--diff and --interactive are exclusive")
    rules, exclude, unsafe_fixes = _resolve_options(
        paths, select, ignore, exclude, unsafe_fixes, py2
    )
    rule_ids = tuple(r.id for r in rules)
    jobs = jobs or default_jobs()
    writing = command == "upgrade" and not diff

    state_path = Path(".torchmigrate-state.json")
    done = _state_load(state_path) if resume else set()
    items, errors, skipped = _collect(paths, exclude, done)

    verify_snapshot = _verify_snapshot(verify_script) if verify_script is not None else None

    outcomes = _progress_run(items, rule_ids, unsafe_fixes, jobs, quiet)
    for e in errors:
        outcomes.append(
            FileOutcome(path=str(e.path), repo=str(e.path), status="failed", errors=[str(e)])
        )

    report = RunReport(command=command, outcomes=outcomes, wrote=False, skipped_repos=skipped)
    changed = [o for o in outcomes if o.status == "changed"]

    if command == "check":
        _print_findings(report, include_fixes=True)
    elif diff:
        for o in changed:
            _print_diff(o)
        _print_findings(report, include_fixes=False)
    elif writing:
        if out_dir is None and not allow_dirty and changed:
            dirty = dirty_files([Path(o.path) for o in changed])
            if dirty:
                names = "\n  ".join(str(d) for d in dirty)
                raise UsageError(
                    "refusing to rewrite files with uncommitted changes (commit or stash them, "
                    f"or pass --allow-dirty):\n  {names}"
                )
        auto_rules: set = set()
        quit_now = False
        for o in changed:
            data = o.new_bytes
            if interactive:
                if quit_now:
                    o.status = "unchanged"
                    continue
                from torchmigrate.review import review_file

                text, quit_now = review_file(
                    o.path,
                    o.old,
                    o.new,
                    o.fixes,
                    _ask,
                    lambda s: out.print(Text(s.rstrip("\n"))),
                    auto_rules,
                )
                if text is None:
                    o.status = "unchanged"
                    continue
                if o.path.endswith(".ipynb"):
                    data = text.encode("utf-8")
                else:
                    data = read_source(Path(o.path)).render(text)
            try:
                if out_dir is None:
                    write_atomic(Path(o.path), data)
                    o.written = True
            except SourceError as exc:
                o.status = "failed"
                o.errors.append(str(exc))
            except OSError as exc:
                o.status = "failed"
                o.errors.append(f"{o.path}: cannot write: {exc.strerror or exc}")
        if out_dir is not None:
            _write_out_tree(paths, out_dir, outcomes)
        report.wrote = True
        _print_findings(report, include_fixes=False)

    for e in report.errors():
        err.print(Text(e, style="red"))

    if verify_script is not None:
        try:
            report.verification = _verify_after(
                verify_script, verify_snapshot, out_dir, paths, outcomes, writing, verify_opts
            )
        finally:
            verify_snapshot.remove()

    if resume:
        failed_repos = {o.repo for o in outcomes if o.status == "failed"}
        finished = {o.repo for o in outcomes} - failed_repos
        _state_save(state_path, (done | finished) - failed_repos)

    if not quiet:
        _print_summary(
            report, "check" if command == "check" else ("upgrade --diff" if diff else "upgrade")
        )
    _write_report(report, report_path, fmt, rules)
    if summary_path is not None:
        _write_report(report, summary_path, "markdown", rules)

    failed = report.count("failed") > 0
    if command == "check":
        left = any(o.fixes or o.findings for o in outcomes)
        return 1 if (failed or left) else 0
    if report.verification is not None and report.verification.get("verdict") != "match":
        return 1
    return 1 if failed else 0


def _ask(prompt: str) -> str:
    out.print(prompt, end="", markup=False)
    try:
        return input()
    except EOFError:
        return "q"


def _out_root(out_dir: Path, root: Path, multi: bool) -> Path:
    """Where --out puts a migrated directory root: DIR itself, or DIR/<name> when
    several roots are migrated in one run."""
    return out_dir / root.resolve().name if multi and root.is_dir() else out_dir


def _write_out_tree(paths: list, out_dir: Path, outcomes: list) -> None:
    """--out: a migrated copy of every root (non-Python files copied too)."""
    from torchmigrate.sources import write_atomic

    out_dir.mkdir(parents=True, exist_ok=True)
    by_path = {str(Path(o.path).resolve()): o for o in outcomes}
    multi = len(paths) > 1
    for root in paths:
        root = Path(root)
        if not root.exists():
            continue
        if root.is_file():
            dest_root = out_dir
            dest = dest_root / root.name
            o = by_path.get(str(root.resolve()))
            dest.parent.mkdir(parents=True, exist_ok=True)
            if o is not None and o.status == "changed":
                write_atomic(dest, o.new_bytes, _mode(root))
                o.written = True
            else:
                shutil.copy2(root, dest)
            continue
        dest_root = _out_root(out_dir, root, multi)
        _copy_tree(root, dest_root, [])
        for o in outcomes:
            if o.status != "changed":
                continue
            p = Path(o.path).resolve()
            try:
                rel = p.relative_to(root.resolve())
            except ValueError:
                continue
            write_atomic(dest_root / rel, o.new_bytes, _mode(p))
            o.written = True


def _mode(p: Path) -> int:
    import stat

    return stat.S_IMODE(p.stat().st_mode)


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
_SELECT = typer.Option(None, "--select", help="Rule ids or prefixes to run (e.g. TM0,TM103).")
_IGNORE = typer.Option(None, "--ignore", help="Rule ids or prefixes to skip.")
_EXCLUDE = typer.Option(None, "--exclude", help="Glob of paths to skip (repeatable).")
_UNSAFE = typer.Option(None, "--unsafe-fixes/--no-unsafe-fixes", help="Also apply unsafe rewrites.")
_PY2 = typer.Option(None, "--py2/--no-py2", help="Python 2 -> 3 rules (TM3xx) for Python 2 files.")
_REPORT = typer.Option(None, "--report", help="Write a report to FILE.")
_FORMAT = typer.Option("text", "--format", help="Report format: text, json, sarif or markdown.")
_JOBS = typer.Option(0, "--jobs", "-j", help="Worker processes (default: number of cores).")
_QUIET = typer.Option(False, "--quiet", "-q", help="No summary.")


@app.command()
def upgrade(
    paths: Optional[List[Path]] = typer.Argument(
        None, help="Files or directories (each one a repo)."
    ),
    diff: bool = typer.Option(False, "--diff", help="Dry run: show a unified diff, write nothing."),
    out_dir: Optional[Path] = typer.Option(
        None, "--out", help="Write a migrated copy of the tree to DIR."
    ),
    select: Optional[List[str]] = _SELECT,
    ignore: Optional[List[str]] = _IGNORE,
    exclude: Optional[List[str]] = _EXCLUDE,
    unsafe_fixes: Optional[bool] = _UNSAFE,
    py2: Optional[bool] = _PY2,
    report: Optional[Path] = _REPORT,
    fmt: str = _FORMAT,
    jobs: int = _JOBS,
    quiet: bool = _QUIET,
    from_file: Optional[Path] = typer.Option(
        None, "--from-file", help="Read repo paths from FILE."
    ),
    summary: Optional[Path] = typer.Option(
        None, "--summary", help="Write a Markdown per-repo summary."
    ),
    resume: bool = typer.Option(False, "--resume", help="Skip repos finished by a previous run."),
    interactive: bool = typer.Option(False, "--interactive", "-i", help="Review each hunk."),
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
    opts = {"steps": steps, "device": device, "timeout": timeout, "synthetic": synthetic_data}
    _exit(
        lambda: _run_upgrade(
            "upgrade",
            paths,
            diff,
            out_dir,
            select,
            ignore,
            exclude,
            unsafe_fixes,
            py2,
            report,
            fmt,
            jobs,
            quiet,
            from_file,
            summary,
            resume,
            interactive,
            allow_dirty,
            verify,
            opts,
        )
    )


@app.command()
def check(
    paths: List[Path] = typer.Argument(..., help="Files or directories."),
    select: Optional[List[str]] = _SELECT,
    ignore: Optional[List[str]] = _IGNORE,
    exclude: Optional[List[str]] = _EXCLUDE,
    unsafe_fixes: Optional[bool] = _UNSAFE,
    py2: Optional[bool] = _PY2,
    report: Optional[Path] = _REPORT,
    fmt: str = _FORMAT,
    jobs: int = _JOBS,
    quiet: bool = _QUIET,
) -> None:
    """List every legacy site without writing; exit 1 if any remain."""
    _exit(
        lambda: _run_upgrade(
            "check",
            paths,
            False,
            None,
            select,
            ignore,
            exclude,
            unsafe_fixes,
            py2,
            report,
            fmt,
            jobs,
            quiet,
            None,
            None,
            False,
            False,
            True,
            None,
            {},
        )
    )


@app.command("rules")
def rules_cmd(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable list."),
) -> None:
    """List the rules: id, name, safety, summary, grouped by family."""
    from codemods import all_rules, family_name

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
        table = Table(
            title=f"{fam}xx {family_name(fam)} ({len(members)} rules)",
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
def explain(rule_id: str = typer.Argument(..., help="A rule id, e.g. TM003.")) -> None:
    """Print a rule's full documentation with its examples."""
    from codemods import all_rules, get_rule

    try:
        rule = get_rule(rule_id)
    except KeyError:
        ids = [r.id for r in all_rules()]
        close = difflib.get_close_matches(rule_id.upper(), ids, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        err.print(f"error: unknown rule {rule_id!r}{hint}; see `torchmigrate rules`")
        raise typer.Exit(2) from None
    page = rule.render_doc()
    if out.is_terminal:
        out.print(Markdown(page))
    else:
        out.print(page, end="", markup=False)


def _exit(fn) -> None:
    try:
        code = fn()
    except UsageError as exc:
        err.print(Text(f"error: {exc}", style="red"))
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(2) from None
    raise typer.Exit(code)


def _register_harness() -> None:
    """Add `verify` and `run` (the differential harness) to the app."""
    try:
        from torchmigrate.harness.commands import oldenv_command, run_command, verify_command
    except ImportError:  # pragma: no cover - harness package missing
        return
    app.command("verify")(verify_command)
    app.command("run")(run_command)
    app.command("oldenv")(oldenv_command)


def main(argv: Optional[list] = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "upgrade" and "--" in argv:
        i = argv.index("--")
        _EXTRA_ARGS[:] = argv[i + 1 :]
        argv = argv[:i]
    # The harness needs torch; only load it when its commands (or the help) are asked for,
    # so `upgrade` and `check` never import torch.
    if not argv or argv[0] in ("verify", "run", "oldenv", "--help", "-h"):
        _register_harness()
    try:
        app(args=argv, prog_name="torchmigrate")
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - exit 2 with one line, not a traceback
        err.print(f"internal error: {type(exc).__name__}: {exc}")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
