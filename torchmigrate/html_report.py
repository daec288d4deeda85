"""The fleet report as one self-contained HTML page (``--summary report.html``).

Everything is in the file: CSS inline, the chart an inline SVG, no script, no
font, image or style sheet from the network -- it opens from a mail
attachment, an artifact store or a laptop with no connection.  It shows:

* totals (repos, files, changed, fixes applied, findings left, failures);
* a per-repo table: status, files, changed, fixes, findings left by safety,
  failed files, the verification verdict (when ``--verify`` ran) and a link
  to the repo's patch (``--patches``) or to its diff further down the page;
* the rules across the fleet as a bar chart: fixes applied and findings left
  (unsafe, manual) per rule;
* the most common findings left for a person (manual first);
* each repo's diff (collapsed), and the failures.

A pure function of the run's outcomes, like the other report formats.
"""

from __future__ import annotations

import difflib
import html
import os
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from torchmigrate import __version__

MAX_DIFF_CHARS_PER_REPO = 200_000
MAX_DIFF_CHARS = 3_000_000
TOP_FINDINGS = 15
CHART_RULES = 30

CSS = """
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#ffffff; --soft:#f6f8fa;
  --applied:#1a7f37; --unsafe:#8250df; --manual:#bc4c00; --safe:#0969da; --failed:#cf222e; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg);
  background: var(--bg); margin: 0 auto; padding: 24px 32px 48px; max-width: 1200px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 10px;
  padding-bottom: 6px; border-bottom: 1px solid var(--line); }
.meta { color: var(--muted); margin: 0 0 18px; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 120px; background: var(--soft); }
.card .n { font-size: 22px; font-weight: 600; } .card .l { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; font-size: 12.5px; position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:hover td { background: #f9fafb; }
.badge { display: inline-block; white-space: nowrap; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; color: #fff; }
.st-migrated { background: var(--applied); } .st-review { background: var(--unsafe); }
.st-clean { background: var(--muted); } .st-failed { background: var(--failed); }
.st-skipped { background: #8c959f; }
.v-match { color: var(--applied); font-weight: 600; } .v-other { color: var(--failed); font-weight: 600; }
.zero { color: #b0b8c1; }
.legend span { display: inline-flex; align-items: center; margin-right: 16px; color: var(--muted); }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px; }
svg text { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; fill: var(--fg); }
svg .count { fill: var(--muted); }
rect.applied, i.applied { fill: var(--applied); background: var(--applied); }
rect.unsafe, i.unsafe { fill: var(--unsafe); background: var(--unsafe); }
rect.manual, i.manual { fill: var(--manual); background: var(--manual); }
rect.safe, i.safe { fill: var(--safe); background: var(--safe); }
details { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; }
summary { cursor: pointer; padding: 6px 10px; background: var(--soft); font-weight: 600; }
pre.diff { margin: 0; padding: 8px 10px; overflow-x: auto; white-space: pre; }
.d-add { background: #dafbe1; display: block; } .d-del { background: #ffebe9; display: block; }
.d-hunk { color: var(--unsafe); display: block; } .d-file { font-weight: 700; display: block; }
ul.fail li { color: var(--failed); }
.note { color: var(--muted); font-size: 12.5px; }
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _num(n: int) -> str:
    return f'<td class="num{" zero" if not n else ""}">{n}</td>'


def _status(outs: list) -> str:
    if any(o.status == "failed" for o in outs):
        return "failed"
    if any(f["safety"] in ("unsafe", "manual") for o in outs for f in o.findings):
        return "review"
    if any(o.status == "changed" for o in outs):
        return "migrated"
    return "clean"


_STATUS_TEXT = {
    "migrated": "migrated",
    "review": "needs review",
    "clean": "nothing to do",
    "failed": "failed",
    "skipped": "skipped (resume)",
}


def _diff_text(o) -> str:
    a = (o.old or "").splitlines(keepends=True)
    b = (o.new or "").splitlines(keepends=True)
    name = o.path
    lines = []
    for line in difflib.unified_diff(a, b, f"a/{name}", f"b/{name}"):
        lines.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(lines)


def _diff_html(text: str) -> str:
    out = []
    for line in text.splitlines():
        cls = None
        if line.startswith(("+++", "---")):
            cls = "d-file"
        elif line.startswith("+"):
            cls = "d-add"
        elif line.startswith("-"):
            cls = "d-del"
        elif line.startswith("@@"):
            cls = "d-hunk"
        out.append(f'<span class="{cls}">{_e(line)}</span>' if cls else _e(line) + "\n")
    return "".join(out)


def _bar_chart(rows: list) -> str:
    """rows = [(rule, label, {"applied": n, "unsafe": n, "manual": n, "safe": n})]"""
    kinds = ("applied", "safe", "unsafe", "manual")
    label_w, bar_w, row_h, count_w = 300, 560, 24, 70
    width = label_w + bar_w + count_w
    height = row_h * len(rows) + 10
    top = max((sum(c[k] for k in kinds) for _r, _l, c in rows), default=1) or 1
    parts = [
        f'<svg id="rule-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="fixes applied and findings left per rule">'
    ]
    for n, (rule, label, c) in enumerate(rows):
        y = 5 + n * row_h
        text = f"{rule} {label}"
        if len(text) > 40:
            text = text[:39] + "…"
        parts.append(f'<text x="0" y="{y + 16}">{_e(text)}</text>')
        x = float(label_w)
        for k in kinds:
            if not c[k]:
                continue
            w = max(1.5, bar_w * c[k] / top)
            parts.append(
                f'<rect class="{k}" data-rule="{_e(rule)}" data-kind="{k}" x="{x:.1f}" y="{y + 3}" '
                f'width="{w:.1f}" height="{row_h - 8}" rx="2"><title>{_e(rule)}: {c[k]} '
                f"{'fixes applied' if k == 'applied' else k + ' finding(s) left'}</title></rect>"
            )
            x += w
        total = sum(c[k] for k in kinds)
        parts.append(f'<text class="count" x="{x + 6:.1f}" y="{y + 16}">{total}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(
    report,
    rules,
    *,
    labels: Optional[dict] = None,
    published: Optional[list] = None,
    report_path: Optional[Path] = None,
    command: str = "",
    now: Optional[datetime] = None,
) -> str:
    """The fleet report of ``report`` (a :class:`torchmigrate.report.RunReport`).

    ``labels`` names repos (``str(root)`` -> the listing's source); ``published``
    lists :class:`torchmigrate.fleet.Published` (patch files are linked
    relative to ``report_path``)."""
    labels = labels or {}
    names = {r.id: r.name for r in rules}
    pubs = {p.repo: p for p in (published or [])}
    repos = report.repos()
    verification = report.verification or None
    verdicts = (verification or {}).get("repos", {}) if verification else {}
    now = now or datetime.now(timezone.utc)
    base_dir = Path(report_path).resolve().parent if report_path is not None else None

    fixes = report.fixes_by_rule()
    left = report.remaining_by_safety()
    failed_repos = sum(1 for _r, outs in repos if _status(outs) == "failed")
    changed_files = report.count("changed")

    h = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">']
    h.append('<meta name="viewport" content="width=device-width, initial-scale=1">')
    h.append("<title>torchmigrate fleet report</title>")
    h.append(f"<style>{CSS}</style></head><body>")
    verb = "upgrade" if report.command == "upgrade" else report.command
    h.append("<h1>torchmigrate fleet report</h1>")
    meta = f"torchmigrate {_e(__version__)} · {_e(verb)} · {now.strftime('%Y-%m-%d %H:%M UTC')}"
    if command:
        meta += f" · <code>{_e(command)}</code>"
    h.append(f'<p class="meta">{meta}</p>')

    cards = [
        (len(repos) + len(report.skipped_repos), "repos"),
        (len(report.outcomes), "files scanned"),
        (changed_files, "files changed" if report.wrote else "files would change"),
        (sum(fixes.values()), "fixes applied" if report.wrote else "fixes available"),
        (left["unsafe"], "unsafe findings left"),
        (left["manual"], "manual findings left"),
        (failed_repos, "repos with failures"),
    ]
    if verification:
        matched = sum(1 for v in verdicts.values() if v == "match")
        cards.append((f"{matched}/{len(verdicts)}", "repos verified"))
    h.append('<section class="cards" id="totals">')
    for n, label in cards:
        h.append(
            f'<div class="card"><div class="n">{_e(n)}</div><div class="l">{_e(label)}</div></div>'
        )
    h.append("</section>")

    # -- per-repo table -------------------------------------------------
    h.append('<h2 id="repos">Repositories</h2>')
    h.append('<table id="repo-table"><thead><tr><th>repo</th><th>status</th>')
    h.append('<th class="num">files</th><th class="num">changed</th><th class="num">fixes</th>')
    h.append('<th class="num">safe left</th><th class="num">unsafe left</th>')
    h.append('<th class="num">manual left</th><th class="num">failed files</th>')
    if verification:
        h.append("<th>verified</th>")
    h.append("<th>diff / patch</th></tr></thead><tbody>")
    diffs: list = []  # (anchor, label, text, truncated)
    budget = MAX_DIFF_CHARS
    for n, (repo, outs) in enumerate(repos):
        status = _status(outs)
        rem = Counter(f["safety"] for o in outs for f in o.findings)
        changed = [o for o in outs if o.status == "changed"]
        label = labels.get(repo, repo)
        link = '<span class="zero">—</span>'
        pub = pubs.get(repo)
        if pub is not None and pub.patch:
            target = pub.patch
            if base_dir is not None:
                target = os.path.relpath(Path(pub.patch).resolve(), base_dir)
            link = f'<a href="{_e(Path(target).as_posix())}">patch</a>'
            if pub.branch:
                link += (
                    f' · <span class="mono">{_e(pub.branch)} {_e((pub.commit or "")[:10])}</span>'
                )
        elif changed:
            anchor = f"diff-{n}"
            text = "".join(_diff_text(o) for o in changed if o.old is not None)
            truncated = False
            limit = min(MAX_DIFF_CHARS_PER_REPO, max(0, budget))
            if len(text) > limit:
                text, truncated = text[:limit], True
            budget -= len(text)
            diffs.append((anchor, label, text, truncated))
            link = f'<a href="#{anchor}">diff</a>'
            if pub is not None and pub.branch:
                link += (
                    f' · <span class="mono">{_e(pub.branch)} {_e((pub.commit or "")[:10])}</span>'
                )
        h.append(f'<tr data-status="{status}"><td class="mono">{_e(label)}</td>')
        h.append(f'<td><span class="badge st-{status}">{_STATUS_TEXT[status]}</span></td>')
        h.append(_num(len(outs)) + _num(len(changed)))
        h.append(_num(sum(len(o.fixes) for o in outs)))
        h.append(_num(rem["safe"]) + _num(rem["unsafe"]) + _num(rem["manual"]))
        h.append(_num(sum(1 for o in outs if o.status == "failed")))
        if verification:
            v = verdicts.get(repo)
            cls = "v-match" if v == "match" else "v-other"
            h.append(f'<td class="{cls}">{_e(v)}</td>' if v else '<td class="zero">—</td>')
        h.append(f"<td>{link}</td></tr>")
    for repo in report.skipped_repos:
        h.append(f'<tr data-status="skipped"><td class="mono">{_e(labels.get(repo, repo))}</td>')
        h.append('<td><span class="badge st-skipped">skipped (resume)</span></td>')
        cols = 8 if verification else 7
        h.append(f'<td colspan="{cols}" class="note">finished by an earlier run</td></tr>')
    h.append("</tbody></table>")

    # -- rules chart ----------------------------------------------------
    per_rule: dict = {}
    for o in report.outcomes:
        for f in o.fixes:
            per_rule.setdefault(f["rule"], Counter())["applied"] += 1
        for f in o.findings:
            per_rule.setdefault(f["rule"], Counter())[f["safety"]] += 1
    rows = sorted(per_rule.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    h.append('<h2 id="rules">Rules across the fleet</h2>')
    if rows:
        h.append('<p class="legend">')
        h.append('<span><i class="applied"></i>fixes applied</span>')
        h.append('<span><i class="safe"></i>safe, not applied</span>')
        h.append('<span><i class="unsafe"></i>unsafe, left for review</span>')
        h.append('<span><i class="manual"></i>manual, left for a person</span></p>')
        chart_rows = [(r, names.get(r, ""), c) for r, c in rows[:CHART_RULES]]
        h.append(_bar_chart(chart_rows))
        if len(rows) > CHART_RULES:
            h.append(f'<p class="note">{len(rows) - CHART_RULES} more rule(s) not shown.</p>')
    else:
        h.append('<p class="note">No rule found anything.</p>')

    # -- most common findings left ---------------------------------------
    common: dict = {}
    for o in report.outcomes:
        for f in o.findings:
            if f["safety"] not in ("manual", "unsafe"):
                continue
            key = (f["safety"], f["rule"], f.get("short") or f["message"].split("\n")[0])
            entry = common.setdefault(key, {"n": 0, "repos": set(), "at": []})
            entry["n"] += 1
            entry["repos"].add(o.repo)
            if len(entry["at"]) < 3:
                line = f.get("source_line") or f["line"] if not report.wrote else f["line"]
                entry["at"].append(f"{o.path}:{line}")
    h.append('<h2 id="findings">Most common findings left for review</h2>')
    if common:
        order = sorted(
            common.items(),
            key=lambda kv: (kv[0][0] != "manual", -kv[1]["n"], kv[0][1], kv[0][2]),
        )[:TOP_FINDINGS]
        h.append('<table id="findings-table"><thead><tr><th>rule</th><th>safety</th>')
        h.append('<th>finding</th><th class="num">sites</th><th class="num">repos</th>')
        h.append("<th>for example</th></tr></thead><tbody>")
        for (safety, rule, msg), e in order:
            h.append(
                f'<tr><td class="mono">{_e(rule)} {_e(names.get(rule, ""))}</td>'
                f'<td><span class="badge st-{"review" if safety == "unsafe" else "failed"}" '
                f'style="background:var(--{safety})">{_e(safety)}</span></td>'
                f"<td>{_e(msg)}</td>{_num(e['n'])}{_num(len(e['repos']))}"
                f'<td class="mono">{"<br>".join(_e(a) for a in e["at"])}</td></tr>'
            )
        h.append("</tbody></table>")
    else:
        h.append('<p class="note">Nothing is left for review.</p>')

    # -- diffs and failures -----------------------------------------------
    if diffs:
        h.append('<h2 id="diffs">Diffs</h2>')
        for anchor, label, text, truncated in diffs:
            h.append(f'<details id="{anchor}"><summary class="mono">{_e(label)}</summary>')
            h.append(f'<pre class="diff">{_diff_html(text)}</pre>')
            if truncated:
                h.append('<p class="note">&nbsp;diff truncated; --patches DIR writes it whole.</p>')
            h.append("</details>")
    errors = report.errors()
    pub_errors = [p.error for p in (published or []) if p.error]
    if errors or pub_errors:
        h.append('<h2 id="failures">Failures</h2><ul class="fail mono">')
        h += [f"<li>{_e(e)}</li>" for e in errors + pub_errors]
        h.append("</ul>")
    h.append("</body></html>\n")
    return "\n".join(h)
