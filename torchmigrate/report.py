"""Reports: pure functions of a run's outcomes (text, JSON, SARIF, Markdown).

The JSON document (``--format json``) is described in the README; SARIF
follows the 2.1.0 schema so GitHub code scanning can ingest it.
"""

from __future__ import annotations

import json
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Optional

from torchmigrate import __version__

FORMATS = ("text", "json", "sarif", "markdown")
SAFETY_ORDER = ("safe", "unsafe", "manual")


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


@dataclass
class RunReport:
    command: str
    outcomes: list
    wrote: bool  # files were written (in place or to --out)
    verification: Optional[dict] = None
    skipped_repos: list = field(default_factory=list)

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

    def repos(self) -> list:
        seen: OrderedDict[str, list] = OrderedDict()
        for o in self.outcomes:
            seen.setdefault(o.repo, []).append(o)
        return list(seen.items())


def _loc(path: str, f: dict, use_new_lines: bool) -> str:
    line = f["line"] if use_new_lines else (f.get("source_line") or f["line"])
    if f.get("cell"):
        return f"{path}:cell {f['cell']}:{line}:{f['col']}"
    return f"{path}:{line}:{f['col']}"


def finding_lines(report: RunReport, include_fixes: bool) -> list:
    """``path:line:col: TM003 [safe] message`` lines, in file order."""
    out = []
    new_lines = report.wrote
    for o in report.outcomes:
        items = []
        if include_fixes:
            items += [(f, True) for f in o.fixes]
        items += [(f, False) for f in o.findings]
        items.sort(key=lambda t: (t[0].get("cell") or 0, t[0].get("source_line") or t[0]["line"]))
        for f, fixed in items:
            state = "fixed" if (fixed and report.wrote) else ("fixable" if fixed else f["safety"])
            line = f"{_loc(o.path, f, new_lines)}: {f['rule']} [{state}] {f['message']}"
            if not fixed and f.get("suggestion") and f["safety"] != "manual":
                line += f" (suggested: {f['suggestion']})"
            out.append(line)
    return out


def render_text(report: RunReport) -> str:
    lines = finding_lines(report, include_fixes=True)
    lines += report.errors()
    s = summary_dict(report)
    lines.append(
        f"{s['files']} files: {s['changed']} changed, {s['unchanged']} unchanged, "
        f"{s['failed']} failed; {sum(s['fixes'].values())} fixes; remaining: "
        + ", ".join(f"{k} {s['remaining'].get(k, 0)}" for k in SAFETY_ORDER)
    )
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


def render_json(report: RunReport) -> str:
    doc = {
        "tool": "torchmigrate",
        "version": __version__,
        "command": report.command,
        "written": report.wrote,
        "summary": summary_dict(report),
        "files": [
            {
                "path": o.path,
                "repo": o.repo,
                "status": o.status,
                "python2": o.py2,
                "fixes": o.fixes,
                "findings": o.findings,
                "errors": o.errors,
            }
            for o in report.outcomes
        ],
    }
    if report.verification is not None:
        doc["verification"] = report.verification
    return json.dumps(doc, indent=2) + "\n"


_LEVEL = {"safe": "note", "unsafe": "warning", "manual": "warning"}


def render_sarif(report: RunReport, rules) -> str:
    """SARIF 2.1.0: one result per finding, rule metadata from the registry."""
    rule_index = {r.id: i for i, r in enumerate(rules)}
    driver_rules = [
        {
            "id": r.id,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.why.strip()},
            "help": {"text": r.render_doc(), "markdown": r.render_doc()},
            "defaultConfiguration": {"level": _LEVEL[r.safety]},
            "properties": {"safety": r.safety, "family": r.family},
        }
        for r in rules
    ]
    results = []
    for o in report.outcomes:
        items = [(f, True) for f in o.fixes] + [(f, False) for f in o.findings]
        for f, fixed in items:
            if fixed and report.wrote:
                continue  # already applied: nothing left at this location
            line = (
                f["line"] if (report.wrote and not fixed) else (f.get("source_line") or f["line"])
            )
            res = {
                "ruleId": f["rule"],
                "level": _LEVEL.get(f["safety"], "warning"),
                "message": {"text": f["message"]},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": o.path.replace("\\", "/")},
                            "region": {
                                "startLine": max(1, int(line)),
                                "startColumn": max(1, int(f["col"])),
                            },
                        }
                    }
                ],
                "properties": {"safety": f["safety"], "fixable": bool(fixed)},
            }
            if f.get("cell"):
                res["properties"]["cell"] = f["cell"]
            if f["rule"] in rule_index:
                res["ruleIndex"] = rule_index[f["rule"]]
            results.append(res)
    notifications = [{"level": "error", "message": {"text": e}} for e in report.errors()]
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
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
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


def _family_counts(outcomes) -> str:
    c: Counter = Counter()
    for o in outcomes:
        for f in o.fixes:
            c[f["rule"][:3] + "xx"] += 1
    return ", ".join(f"{k} {v}" for k, v in sorted(c.items())) or "-"


def render_markdown(report: RunReport) -> str:
    """A per-repo table plus totals, readable in a minute."""
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
    manual = [
        (o.path, f)
        for o in report.outcomes
        for f in o.findings
        if f["safety"] in ("manual", "unsafe")
    ]
    if manual:
        out += ["## Left for review", ""]
        for path, f in manual:
            out.append(
                f"- `{_loc(path, f, report.wrote)}` {f['rule']} ({f['safety']}): {f['message']}"
            )
        out.append("")
    errs = report.errors()
    if errs:
        out += ["## Failures", ""] + [f"- {e}" for e in errs] + [""]
    return "\n".join(out)


def render(report: RunReport, fmt: str, rules) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "sarif":
        return render_sarif(report, rules)
    if fmt == "markdown":
        return render_markdown(report)
    return render_text(report)
