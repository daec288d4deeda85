"""Reports: functions of a run's outcomes, one per output format.

=========== ===============================================================
format      what it is
=========== ===============================================================
concise     one line per finding: ``path:line:col: TM208 [unsafe] short``
            (``text`` is the same format, its 0.1 name)
full        the line above, the source line with a caret, the full reasoning
            and the suggested replacement
json        the document described in the README (``short`` and ``message``)
sarif       SARIF 2.1.0 for code scanning (URIs relative to the repository
            root, notebook findings at the JSON line of their source line)
github      GitHub Actions workflow commands (``::error file=...``)
markdown    a per-repo table plus the findings left for review
=========== ===============================================================

The only input besides the outcomes is a :class:`Locator`, which knows the text
of every file (the CLI reads them) and maps a notebook cell line to the line of
the ``.ipynb`` file; rendering never touches the disk itself.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from json import scanner
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import quote

from torchmigrate import __version__

FORMATS = ("concise", "full", "text", "json", "sarif", "github", "markdown")
TEXT_FORMATS = ("concise", "full", "text")
SAFETY_ORDER = ("safe", "unsafe", "manual")
# --report FILE: the format an extension names (other names: --output-format)
EXTENSIONS = {
    ".json": "json",
    ".sarif": "sarif",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "concise",
    ".log": "full",
}


def format_for_path(path: str, default: str) -> str:
    """The report format of ``--report path``: its extension, else ``default``."""
    name = path.lower()
    if name.endswith(".sarif.json"):
        return "sarif"
    return EXTENSIONS.get(os.path.splitext(name)[1], default)


@dataclass
class FileOutcome:
    """What happened to one file (picklable; built in worker processes)."""

    path: str
    repo: str
    status: str  # changed | unchanged | failed
    fixes: list = field(default_factory=list)  # dicts, see Finding.as_dict (+ "cell")
    findings: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # one-line messages, already prefixed by path
    suppressed: int = 0
    py2: bool = False
    old: Optional[str] = None  # texts, kept only for changed files
    new: Optional[str] = None
    new_bytes: Optional[bytes] = None
    written: bool = False
    # sources.Fingerprint of the bytes read (compare-and-swap check before writing)
    fingerprint: Optional[object] = None
    notes: list = field(default_factory=list)  # one-line notes (e.g. a skipped notebook)
    # [{"line", "col", "message"}] about suppression comments (--warn-suppressions)
    warnings: list = field(default_factory=list)


@dataclass
class RunReport:
    command: str
    outcomes: list
    wrote: bool  # files were written (in place or to --out)
    verification: Optional[dict] = None
    skipped_repos: list = field(default_factory=list)
    show_warnings: bool = False  # include suppression warnings (--warn-suppressions)

    # aggregated views --------------------------------------------------
    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def fixes_by_rule(self) -> Counter:
        c: Counter = Counter()
        for o in self.outcomes:
            for f in o.fixes:
                c[f["rule"]] += 1
        return c

    def remaining_by_safety(self) -> Counter:
        c: Counter = Counter()
        for o in self.outcomes:
            for f in o.findings:
                c[f["safety"]] += 1
        return c

    def errors(self) -> list:
        return [e for o in self.outcomes for e in o.errors]

    def warnings(self) -> list:
        """``path:line:col: warning: message`` lines (--warn-suppressions)."""
        out = []
        for o in self.outcomes:
            for w in o.warnings:
                line = w["line"] if self.wrote else w.get("source_line", w["line"])
                out.append(f"{o.path}:{line}:{w['col']}: warning: {w['message']}")
        return out

    def repos(self) -> list:
        seen: OrderedDict[str, list] = OrderedDict()
        for o in self.outcomes:
            seen.setdefault(o.repo, []).append(o)
        return list(seen.items())


# --------------------------------------------------------------------------
# Short messages
# --------------------------------------------------------------------------
SHORT_MAX = 100  # a site message up to this long is its own short message
_BACKED_OUT = re.compile(r" \[((?:backed out: |[A-Z]+\d{3} did not converge).*)\]$")


def short_message(f: dict, rule) -> str:
    """The one-line message of a finding: the one its rule gave the site, the
    site's full message when that is already one short line, else the rule's
    short text."""
    msg = " ".join(f["message"].split())
    # a fix the engine backed out (it broke an invariant or did not converge):
    # the message ends with the reason in brackets; the short text says so too
    backed = _BACKED_OUT.search(msg)
    if backed:
        msg = msg[: backed.start()]
    if f.get("short"):
        text = f["short"]
    elif len(msg) <= SHORT_MAX or rule is None:
        text = msg if len(msg) <= SHORT_MAX else msg[: SHORT_MAX - 1] + "…"
    else:
        text = rule.short_text
    if backed:
        why = backed.group(1)
        text += f" [not applied: {why if len(why) <= 80 else why[:79] + '…'}]"
    return text


def fill_short(report: RunReport, rules) -> None:
    """Give every finding dict its ``short`` one-line message."""
    by_id = {r.id: r for r in rules}
    # a run's findings repeat a few messages: each is shortened once
    memo: dict = {}
    for o in report.outcomes:
        for f in o.fixes + o.findings:
            key = (f["rule"], f["message"], f.get("short"))
            text = memo.get(key)
            if text is None:
                text = memo[key] = short_message(f, by_id.get(f["rule"]))
            f["short"] = text


def _first_line(text: str) -> str:
    return text.strip().split("\n")[0]


# --------------------------------------------------------------------------
# Where a finding is: lines of the displayed text, notebook cells
# --------------------------------------------------------------------------
class _PosStr(str):
    """A JSON string value that remembers where it started in the document."""

    pos: int = 0


def _position_decoder() -> json.JSONDecoder:
    dec = json.JSONDecoder()
    plain = dec.parse_string

    def parse_string(s, end, strict):
        value, new_end = plain(s, end, strict)
        tagged = _PosStr(value)
        tagged.pos = end - 1
        return tagged, new_end

    dec.parse_string = parse_string
    dec.scan_once = scanner.py_make_scanner(dec)
    return dec


def notebook_cell_lines(raw: str) -> dict:
    """``{cell: [file line of the cell's source line 1, 2, ...]}`` for a
    notebook's JSON text; cells are numbered from 1 over all cells, as in
    findings.  ``{}`` when ``raw`` is not a notebook."""
    try:
        doc, _ = _position_decoder().scan_once(raw, raw.index("{"))
    except (ValueError, StopIteration):
        return {}
    if not isinstance(doc, dict):
        return {}
    newlines = [i for i, ch in enumerate(raw) if ch == "\n"]

    def line_of(pos: int) -> int:
        return bisect.bisect_left(newlines, pos) + 1

    cells: list = []
    if isinstance(doc.get("worksheets"), list):
        for ws in doc["worksheets"]:
            if isinstance(ws, dict) and isinstance(ws.get("cells"), list):
                cells += [(c, "input") for c in ws["cells"]]
    elif isinstance(doc.get("cells"), list):
        cells = [(c, "source") for c in doc["cells"]]
    out: dict = {}
    for index, (cell, key) in enumerate(cells, 1):
        src = cell.get(key) if isinstance(cell, dict) else None
        lines: list = []
        if isinstance(src, list):
            for piece in src:
                if not isinstance(piece, _PosStr):
                    continue
                n = max(1, piece.count("\n") + (0 if piece.endswith("\n") else 1))
                lines += [line_of(piece.pos)] * n
        elif isinstance(src, _PosStr):
            lines = [line_of(src.pos)] * (src.count("\n") + 1)
        out[index] = lines
    return out


def _cell_sources(raw: str) -> dict:
    try:
        doc = json.loads(raw)
    except ValueError:
        return {}
    cells: list = []
    if isinstance(doc, dict) and isinstance(doc.get("worksheets"), list):
        for ws in doc["worksheets"]:
            if isinstance(ws, dict):
                cells += [(c, "input") for c in ws.get("cells") or []]
    elif isinstance(doc, dict):
        cells = [(c, "source") for c in doc.get("cells") or []]
    out = {}
    for index, (cell, key) in enumerate(cells, 1):
        src = cell.get(key) if isinstance(cell, dict) else None
        if isinstance(src, list):
            src = "".join(x for x in src if isinstance(x, str))
        if isinstance(src, str):
            out[index] = src
    return out


class Locator:
    """The text a finding's line refers to, and notebook line mapping.

    ``read(path)`` returns the text of a file as it is on disk now (LF
    newlines) or None.  One coordinate system for every entry: when the run
    wrote files, fixes and findings alike are shown at their line in the new
    text (``line``: what is in the file now), otherwise at their line in the
    original text (``source_line``).
    """

    def __init__(self, report: RunReport, read: Callable[[str], Optional[str]]):
        self.report = report
        self.read = read
        self._cache: dict = {}

    def uses_new(self, fixed: bool) -> bool:
        return self.report.wrote

    def line_number(self, f: dict, fixed: bool) -> int:
        if self.uses_new(fixed):
            return int(f["line"])
        return int(f.get("source_line") or f["line"])

    def _text(self, o: FileOutcome, new: bool) -> Optional[str]:
        key = (o.path, new)
        if key not in self._cache:
            text = o.new if new else o.old  # kept for changed files only
            if text is None:  # unchanged or failed: the file on disk is both
                text = self.read(o.path)
            self._cache[key] = text
        return self._cache[key]

    def source_line(self, o: FileOutcome, f: dict, fixed: bool) -> Optional[str]:
        """The text of the finding's line (in its cell for notebooks)."""
        text = self._text(o, self.uses_new(fixed))
        if text is None:
            return None
        line = self.line_number(f, fixed)
        if f.get("cell"):
            key = ("cells", o.path, self.uses_new(fixed))
            if key not in self._cache:
                self._cache[key] = _cell_sources(text)
            text = self._cache[key].get(f["cell"])
            if text is None:
                return None
        lines = text.split("\n")
        return lines[line - 1] if 0 < line <= len(lines) else None

    def file_line(self, o: FileOutcome, f: dict, fixed: bool) -> int:
        """The line in the file itself: for a notebook cell, the JSON line that
        holds the finding's source line."""
        line = self.line_number(f, fixed)
        if not f.get("cell"):
            return line
        text = self._text(o, self.uses_new(fixed))
        if text is None:
            return 1
        key = ("json", o.path, self.uses_new(fixed))
        if key not in self._cache:
            self._cache[key] = notebook_cell_lines(text)
        lines = self._cache[key].get(f["cell"]) or []
        if 0 < line <= len(lines):
            return lines[line - 1]
        return lines[-1] if lines else 1


def _no_read(path: str) -> Optional[str]:
    return None


# --------------------------------------------------------------------------
# Text formats
# --------------------------------------------------------------------------
def _loc(path: str, f: dict, line: int) -> str:
    if f.get("cell"):
        return f"{path}:cell {f['cell']}:{line}:{f['col']}"
    return f"{path}:{line}:{f['col']}"


def _items(report: RunReport, include_fixes: bool) -> list:
    """[(outcome, finding, fixed)] in file order."""
    out = []
    for o in report.outcomes:
        items = []
        if include_fixes:
            items += [(f, True) for f in o.fixes]
        items += [(f, False) for f in o.findings]
        items.sort(key=lambda t: (t[0].get("cell") or 0, t[0].get("source_line") or t[0]["line"]))
        out += [(o, f, fixed) for f, fixed in items]
    return out


def _state(report: RunReport, f: dict, fixed: bool) -> str:
    if fixed:
        return "fixed" if report.wrote else "fixable"
    return f["safety"]


def _short_suggestion(f: dict) -> Optional[str]:
    s = f.get("suggestion")
    if not s or "\n" in s or len(s) > 60 or f["safety"] == "manual":
        return None
    return s


def concise_line(report: RunReport, o: FileOutcome, f: dict, fixed: bool, loc: Locator) -> str:
    line = (
        f"{_loc(o.path, f, loc.line_number(f, fixed))}: {f['rule']} [{_state(report, f, fixed)}] "
    )
    line += f.get("short") or _first_line(f["message"])
    sug = None if (fixed and report.wrote) else _short_suggestion(f)
    if sug:
        line += f" (suggested: `{sug}`)"
    return line


def _snippet(o: FileOutcome, f: dict, fixed: bool, loc: Locator, label: str = "") -> list:
    text = loc.source_line(o, f, fixed)
    if text is None:
        return []
    num = str(loc.line_number(f, fixed))
    pad = " " * len(num)
    col = max(1, int(f["col"]))
    caret = " " * (col - 1) + "^" + (f" {label}" if label else "")
    return [f"{pad} |", f"{num} | {text.rstrip()}", f"{pad} | {caret}"]


def finding_lines(
    report: RunReport,
    include_fixes: bool,
    fmt: str = "concise",
    locator: Optional[Locator] = None,
    show_source: bool = False,
) -> list:
    """The text report, one entry per finding (an entry may hold several lines
    for ``full`` or ``show_source``)."""
    loc = locator or Locator(report, _no_read)
    out = []
    for o, f, fixed in _items(report, include_fixes):
        head = concise_line(report, o, f, fixed, loc)
        if fmt == "full":
            lines = [head] + _snippet(o, f, fixed, loc, f["rule"])
            pad = " " * max(1, len(str(loc.line_number(f, fixed))))
            lines.append(f"{pad} = why: {' '.join(f['message'].split())}")
            sug = f.get("suggestion")
            if sug and f["safety"] != "manual":
                if "\n" in sug.strip():
                    lines.append(f"{pad} = suggested:")
                    lines += [f"{pad}   {x}" for x in sug.strip("\n").split("\n")]
                else:
                    lines.append(f"{pad} = suggested: {sug.strip()}")
            lines.append("")
            out.append("\n".join(lines))
        elif show_source:
            out.append("\n".join([head] + _snippet(o, f, fixed, loc)))
        else:
            out.append(head)
    return out


def statistics(report: RunReport, rules, include_fixes: bool) -> list:
    """``--statistics``: one line per rule, most frequent first."""
    by_id = {r.id: r for r in rules}
    count: Counter = Counter()
    fixable: Counter = Counter()
    for _o, f, fixed in _items(report, include_fixes):
        count[f["rule"]] += 1
        if fixed:
            fixable[f["rule"]] += 1
    width = max((len(str(n)) for n in count.values()), default=1)
    out = []
    for rid, n in sorted(count.items(), key=lambda kv: (-kv[1], kv[0])):
        rule = by_id.get(rid)
        name = rule.name if rule else ""
        short = rule.short_text if rule else ""
        word = "fixed" if report.wrote else "fixable"
        fx = f"{fixable[rid]} {word}" if fixable[rid] else "-"
        out.append(f"{n:>{width}}  {rid:<6} {fx:<12} {name:<28} {short}")
    return out


def summary_line(report: RunReport) -> str:
    s = summary_dict(report)
    return (
        f"{s['files']} files: {s['changed']} changed, {s['unchanged']} unchanged, "
        f"{s['failed']} failed; {sum(s['fixes'].values())} fixes; remaining: "
        + ", ".join(f"{k} {s['remaining'].get(k, 0)}" for k in SAFETY_ORDER)
    )


def render_text(report: RunReport, fmt: str = "concise", locator: Optional[Locator] = None) -> str:
    """A text report file: findings, errors, warnings, one summary line."""
    lines = finding_lines(report, True, "full" if fmt == "full" else "concise", locator)
    lines += report.errors()
    if report.show_warnings:
        lines += report.warnings()
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def summary_dict(report: RunReport) -> dict:
    remaining = report.remaining_by_safety()
    return {
        "files": len(report.outcomes),
        "changed": report.count("changed"),
        "unchanged": report.count("unchanged"),
        "failed": report.count("failed"),
        "fixes": dict(sorted(report.fixes_by_rule().items())),
        "remaining": {k: remaining.get(k, 0) for k in SAFETY_ORDER},
        "suppressed": sum(o.suppressed for o in report.outcomes),
    }


# --------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------
def render_json(report: RunReport) -> str:
    files = []
    for o in report.outcomes:
        entry = {
            "path": o.path,
            "repo": o.repo,
            "status": o.status,
            "python2": o.py2,
            "fixes": o.fixes,
            "findings": o.findings,
            "errors": o.errors,
        }
        if report.show_warnings:
            entry["warnings"] = o.warnings
        files.append(entry)
    doc = {
        "tool": "torchmigrate",
        "version": __version__,
        "command": report.command,
        "written": report.wrote,
        "summary": summary_dict(report),
        "files": files,
    }
    if report.verification is not None:
        doc["verification"] = report.verification
    return json.dumps(doc, indent=2) + "\n"


# --------------------------------------------------------------------------
# SARIF 2.1.0
# --------------------------------------------------------------------------
_LEVEL = {"safe": "note", "unsafe": "warning", "manual": "warning"}
SRCROOT = "%SRCROOT%"


def _artifact(path: str, root: Optional[str]) -> dict:
    """A relative URI under ``root`` (with ``uriBaseId``), else a file:// URI."""
    absolute = os.path.abspath(path)
    if root is not None:
        try:
            rel = Path(absolute).relative_to(os.path.abspath(root)).as_posix()
            return {"uri": quote(rel), "uriBaseId": SRCROOT}
        except ValueError:
            pass
    return {"uri": Path(absolute).as_uri()}


def render_sarif(
    report: RunReport, rules, locator: Optional[Locator] = None, root: Optional[str] = None
) -> str:
    """One result per finding left at its location; rule metadata from the registry.

    ``root`` (the repository root) makes URIs relative, declared in
    ``originalUriBaseIds``; files outside it get absolute ``file://`` URIs.
    Notebook findings point at the line of the ``.ipynb`` file that holds the
    source line, with the cell in ``logicalLocations`` and ``properties``.
    """
    loc = locator or Locator(report, _no_read)
    rule_index = {r.id: i for i, r in enumerate(rules)}
    driver_rules = []
    for r in rules:
        doc = r.render_doc()
        driver_rules.append(
            {
                "id": r.id,
                "name": r.name,
                "shortDescription": {"text": r.short_text},
                "fullDescription": {"text": " ".join(r.why.split()) or r.summary},
                "help": {"text": doc, "markdown": doc},
                "defaultConfiguration": {"level": _LEVEL[r.safety]},
                "properties": {"safety": r.safety, "family": r.family},
            }
        )
    results = []
    for o, f, fixed in _items(report, include_fixes=True):
        if fixed and report.wrote:
            continue  # already applied: nothing left at this location
        region = {"startLine": max(1, loc.file_line(o, f, fixed))}
        if not f.get("cell"):
            region["startColumn"] = max(1, int(f["col"]))
        snippet = loc.source_line(o, f, fixed)
        if snippet is not None:
            region["snippet"] = {"text": snippet}
        location = {
            "physicalLocation": {"artifactLocation": _artifact(o.path, root), "region": region}
        }
        props = {"safety": f["safety"], "fixable": bool(fixed), "short": f.get("short", "")}
        if f.get("cell"):
            location["logicalLocations"] = [
                {
                    "name": f"cell {f['cell']}",
                    "kind": "object",
                    "fullyQualifiedName": f"{o.path}:cell {f['cell']}",
                }
            ]
            props.update(
                cell=f["cell"], cellLine=loc.line_number(f, fixed), cellColumn=int(f["col"])
            )
        res = {
            "ruleId": f["rule"],
            "level": _LEVEL.get(f["safety"], "warning"),
            "message": {"text": f["message"]},
            "locations": [location],
            "properties": props,
        }
        if f["rule"] in rule_index:
            res["ruleIndex"] = rule_index[f["rule"]]
        results.append(res)
    notifications = [{"level": "error", "message": {"text": e}} for e in report.errors()]
    if report.show_warnings:
        notifications += [{"level": "warning", "message": {"text": w}} for w in report.warnings()]
    run = {
        "tool": {
            "driver": {
                "name": "torchmigrate",
                "version": __version__,
                "informationUri": "https://pypi.org/project/torchmigrate/",
                "rules": driver_rules,
            }
        },
        "invocations": [
            {
                "executionSuccessful": not report.errors(),
                "toolExecutionNotifications": notifications,
            }
        ],
        "results": results,
    }
    if root is not None:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": Path(os.path.abspath(root)).as_uri() + "/"}}
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    }
    return json.dumps(doc, indent=2) + "\n"


# --------------------------------------------------------------------------
# GitHub Actions workflow commands
# --------------------------------------------------------------------------
def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: RunReport, locator: Optional[Locator] = None) -> str:
    """``::error file=F,line=L,col=C,title=TM003::message`` per finding left,
    ``::error`` for files that failed; paths as given (relative to the
    workspace when the run was started there)."""
    loc = locator or Locator(report, _no_read)
    out = []
    for o, f, fixed in _items(report, include_fixes=True):
        if fixed and report.wrote:
            continue
        props = [f"file={_gh_prop(o.path)}", f"line={loc.file_line(o, f, fixed)}"]
        if not f.get("cell"):
            props.append(f"col={int(f['col'])}")
        state = "fixable" if fixed else f["safety"]
        title = "torchmigrate {} [{}]".format(f["rule"], state)
        props.append(f"title={_gh_prop(title)}")
        text = f.get("short") or _first_line(f["message"])
        if f.get("cell"):
            text = f"cell {f['cell']}, line {loc.line_number(f, fixed)}: {text}"
        out.append(f"::error {','.join(props)}::{_gh_data(text)}")
    for e in report.errors():
        out.append(f"::error title=torchmigrate::{_gh_data(e)}")
    if report.show_warnings:
        out += [f"::warning title=torchmigrate::{_gh_data(w)}" for w in report.warnings()]
    return "\n".join(out) + ("\n" if out else "")


# --------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------
def _family_counts(outcomes) -> str:
    c: Counter = Counter()
    for o in outcomes:
        for f in o.fixes:
            c[f["rule"][:3] + "xx"] += 1
    return ", ".join(f"{k} {v}" for k, v in sorted(c.items())) or "-"


def render_markdown(report: RunReport, locator: Optional[Locator] = None) -> str:
    """A per-repo table plus totals, readable in a minute."""
    loc = locator or Locator(report, _no_read)
    verdicts = {}
    if report.verification:
        for repo, v in report.verification.get("repos", {}).items():
            verdicts[repo] = v
    out = [f"# torchmigrate {report.command} summary", ""]
    out.append(
        "| repo | files | changed | fixes by family | unsafe suggestions | manual findings "
        "| failures | verification |"
    )
    out.append("|---|---:|---:|---|---:|---:|---:|---|")
    tot = Counter()
    for repo, outs in report.repos():
        rem = Counter(f["safety"] for o in outs for f in o.findings)
        failed = sum(1 for o in outs if o.status == "failed")
        changed = sum(1 for o in outs if o.status == "changed")
        tot.update(
            files=len(outs),
            changed=changed,
            unsafe=rem["unsafe"],
            manual=rem["manual"],
            failed=failed,
        )
        out.append(
            f"| {repo} | {len(outs)} | {changed} | {_family_counts(outs)} | {rem['unsafe']} "
            f"| {rem['manual']} | {failed} | {verdicts.get(repo, '-')} |"
        )
    for repo in report.skipped_repos:
        out.append(f"| {repo} | - | - | skipped (done in a previous run) | - | - | - | - |")
    out.append(
        f"| **total** | {tot['files']} | {tot['changed']} | {_family_counts(report.outcomes)} "
        f"| {tot['unsafe']} | {tot['manual']} | {tot['failed']} | |"
    )
    out.append("")
    left = [
        (o, f) for o in report.outcomes for f in o.findings if f["safety"] in ("manual", "unsafe")
    ]
    if left:
        out += ["## Left for review", ""]
        for o, f in left:
            where = _loc(o.path, f, loc.line_number(f, False))
            out.append(f"- `{where}` {f['rule']} ({f['safety']}): {f['message']}")
        out.append("")
    errs = report.errors()
    if errs:
        out += ["## Failures", ""] + [f"- {e}" for e in errs] + [""]
    if report.show_warnings and report.warnings():
        out += ["## Warnings", ""] + [f"- {w}" for w in report.warnings()] + [""]
    return "\n".join(out)


def render(
    report: RunReport,
    fmt: str,
    rules,
    locator: Optional[Locator] = None,
    root: Optional[str] = None,
) -> str:
    """The whole report in ``fmt`` (one of :data:`FORMATS`)."""
    fill_short(report, rules)
    if fmt == "json":
        return render_json(report)
    if fmt == "sarif":
        return render_sarif(report, rules, locator, root)
    if fmt == "github":
        return render_github(report, locator)
    if fmt == "markdown":
        return render_markdown(report, locator)
    return render_text(report, fmt, locator)
