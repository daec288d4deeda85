"""Jupyter notebooks: migrate code cells one by one.

IPython magics (``%line``, ``%%cell``), shell escapes (``!cmd``, ``x = !cmd``)
and help lines (``obj?``) are replaced by placeholder comments before the
engine sees a cell and restored exactly afterwards.  Outputs, metadata, cell
ids and the JSON layout (indent, key order, escaping, trailing newline) are
kept, so a git diff shows only changed source lines.  nbformat 3 and 4.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from torchmigrate.engine import MigrationError, migrate

_MAGIC = re.compile(r"^\s*(%|!|\?)|^\s*[\w.]+\s*=\s*[!%]|^[^#]*\?\s*$")
_PLACEHOLDER = "# __torchmigrate_protected_{}__"
_PLACEHOLDER_RE = re.compile(r"# __torchmigrate_protected_(\d+)__")


class NotebookError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class CellFinding:
    cell: int
    finding: object


@dataclass
class NotebookResult:
    old: str
    new: str
    fixes: list = field(default_factory=list)  # CellFinding
    findings: list = field(default_factory=list)  # CellFinding
    errors: list = field(default_factory=list)
    suppressed: int = 0

    @property
    def changed(self) -> bool:
        return self.old != self.new


def _detect_indent(raw: str):
    m = re.search(r"\n( +|\t+)\S", raw)
    if not m:
        return None
    ws = m.group(1)
    return "\t" if ws.startswith("\t") else len(ws)


def _dump(doc, raw: str) -> str:
    indent = _detect_indent(raw)
    ensure_ascii = not re.search(r"[^\x00-\x7f]", raw)
    out = json.dumps(doc, indent=indent, ensure_ascii=ensure_ascii, separators=(",", ": "))
    if raw.endswith("\n"):
        out += "\n"
    return out


def _protect(source: str) -> tuple[str, list]:
    saved: list = []
    lines = source.split("\n")
    if lines and lines[0].lstrip().startswith("%%"):
        return "", [source]  # a cell magic: the whole cell is not Python
    out = []
    for line in lines:
        if _MAGIC.search(line):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + _PLACEHOLDER.format(len(saved)))
            saved.append(line)
        else:
            out.append(line)
    return "\n".join(out), saved


def _restore(source: str, saved: list) -> str:
    if not saved:
        return source
    out = []
    for line in source.split("\n"):
        m = _PLACEHOLDER_RE.search(line)
        out.append(saved[int(m.group(1))] if m else line)
    return "\n".join(out)


def _cells(doc) -> Iterable:
    if "worksheets" in doc:  # nbformat 3
        for ws in doc.get("worksheets", []):
            for cell in ws.get("cells", []):
                yield cell, "input"
    else:
        for cell in doc.get("cells", []):
            yield cell, "source"


def migrate_notebook(raw: str, rules, *, unsafe_fixes: bool = False) -> NotebookResult:
    try:
        doc = json.loads(raw, object_pairs_hook=OrderedDict)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"line {exc.lineno}: invalid notebook JSON: {exc.msg}") from None
    if not isinstance(doc, dict) or ("cells" not in doc and "worksheets" not in doc):
        raise NotebookError("not a Jupyter notebook (no 'cells' or 'worksheets')")
    result = NotebookResult(old=raw, new=raw)
    layout_ok = _dump(doc, raw) == raw
    changed = False
    for index, (cell, key) in enumerate(_cells(doc), 1):
        if cell.get("cell_type") != "code" or key not in cell:
            continue
        src = cell[key]
        as_list = isinstance(src, list)
        text = "".join(src) if as_list else src
        if not text.strip():
            continue
        protected, saved = _protect(text)
        if not protected.strip():
            continue
        try:
            res = migrate(protected, rules, unsafe_fixes=unsafe_fixes, filename=f"cell {index}")
        except MigrationError as exc:
            where = f"cell {index}" + (f", line {exc.line}" if exc.line else "")
            result.errors.append(f"{where}: {exc}")
            continue
        result.errors.extend(f"cell {index}: {e}" for e in res.errors)
        result.fixes.extend(CellFinding(index, f) for f in res.fixes)
        result.findings.extend(CellFinding(index, f) for f in res.findings)
        result.suppressed += res.suppressed
        if res.changed:
            new_text = _restore(res.new, saved)
            if new_text != text:
                changed = True
                if as_list:
                    cell[key] = new_text.splitlines(keepends=True)
                else:
                    cell[key] = new_text
    if changed:
        if not layout_ok:
            result.errors.append(
                "the notebook's JSON layout cannot be reproduced exactly; not modified"
            )
            return result
        result.new = _dump(doc, raw)
    return result
