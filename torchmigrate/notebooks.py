"""Jupyter notebooks: the code cells of a notebook are one program.

Reading.  The notebook JSON is checked for the structure we rely on (a
``cells`` list -- or nbformat 3 ``worksheets`` -- of objects whose ``source``
is a string or a list of strings), with a one-line error naming the cell
otherwise.  Notebooks whose kernel language is not Python
(``metadata.kernelspec.language`` / ``metadata.language_info.name``) are
skipped with a note.

Migrating.  The code cells are concatenated, in order, into one program with
a boundary statement between cells, so that an import in cell 1 and its uses
in cell 5 are seen together (the import is only removed when no cell reads
the name any more, and the uses are unwrapped because the import is
visible).  The migrated program is split back at the boundaries; findings
keep their cell index and cell-relative lines.  When the concatenation cannot
be migrated as one program (a cell that only parses alone, a boundary moved
by a fix), each cell is migrated alone with the other cells' names as
project facts.

IPython syntax.  Line magics (``%time``), shell escapes (``!ls``,
``files = !ls``) and help lines (``obj?``, ``?obj``) are recognised only at
the start of a logical line (not in a continuation line, a bracket, or a
string) and replaced by placeholders carrying a per-notebook nonce that does
not occur in the notebook, so user text can never be taken for one; they are
restored exactly.  A cell starting with a cell magic is left alone, except
``%%time``/``%%timeit``/``%%capture``/``%%prun`` whose body is Python.

Writing.  Only the ``source`` values of changed cells are replaced, inside
the original JSON text: everything else -- outputs, metadata, key order,
indentation, ``"outputs": [ ]``, CRLF line endings, escaping -- stays byte
for byte.  A changed list-of-lines source keeps the original's layout and
the original spelling of unchanged lines.

We do not use ``nbformat`` to read notebooks: it cannot tell where a value
sits in the original text (which the byte-exact write-back needs), its
reader converts and repairs (cell ids), its strict schema rejects notebooks
Jupyter opens, and it would add ~30 MB of dependencies (jsonschema,
rpds-py, traitlets, jupyter_core) to the core install.  The test-suite checks
with nbformat that what we write validates wherever the input did.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from json.decoder import scanstring
from typing import Optional

from torchmigrate.engine import FileResult as FileResultLike
from torchmigrate.engine import MigrationError, migrate

PYTHON_CELL_MAGICS = ("time", "timeit", "capture", "prun")


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
    notes: list = field(default_factory=list)
    suppressed: int = 0

    @property
    def changed(self) -> bool:
        return self.old != self.new


# ==========================================================================
# Reading: positions of the source values in the original text
# ==========================================================================
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _ws(s: str, i: int) -> int:
    return _WS.match(s, i).end()


def _members(s: str, i: int):
    """Yield (key, value start, value end) of the object at ``s[i] == '{'``."""
    i = _ws(s, i + 1)
    if s[i] == "}":
        return
    while True:
        if s[i] != '"':
            raise ValueError(i)
        key, i = scanstring(s, i + 1)
        i = _ws(s, i)
        if s[i] != ":":
            raise ValueError(i)
        start = _ws(s, i + 1)
        _, end = _DECODER.raw_decode(s, start)
        yield key, start, end
        i = _ws(s, end)
        if s[i] == "}":
            return
        if s[i] != ",":
            raise ValueError(i)
        i = _ws(s, i + 1)


def _elements(s: str, i: int):
    """Yield (start, end) of the elements of the array at ``s[i] == '['``."""
    i = _ws(s, i + 1)
    if s[i] == "]":
        return
    while True:
        _, end = _DECODER.raw_decode(s, i)
        yield i, end
        i = _ws(s, end)
        if s[i] == "]":
            return
        if s[i] != ",":
            raise ValueError(i)
        i = _ws(s, i + 1)


@dataclass
class Cell:
    index: int  # 1-based among all cells (what findings report)
    text: str  # the source, joined
    start: int  # span of the source value in the raw text
    end: int
    as_list: bool


@dataclass
class Notebook:
    raw: str
    doc: dict
    code_cells: list
    language: str
    is_python: bool


def _kernel_language(doc: dict) -> str:
    meta = doc.get("metadata")
    if not isinstance(meta, dict):
        return ""
    for key, sub in (("kernelspec", "language"), ("language_info", "name")):
        d = meta.get(key)
        if isinstance(d, dict) and isinstance(d.get(sub), str) and d[sub].strip():
            return d[sub].strip()
    lang = meta.get("language")  # nbformat 3
    return lang.strip() if isinstance(lang, str) else ""


def read_notebook(raw: str) -> Notebook:
    """Parse and check a notebook; raise :class:`NotebookError` with one line."""
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"line {exc.lineno}: invalid notebook JSON: {exc.msg}") from None
    except RecursionError:
        raise NotebookError("invalid notebook JSON: nested too deeply") from None
    if not isinstance(doc, dict) or ("cells" not in doc and "worksheets" not in doc):
        raise NotebookError("not a Jupyter notebook (no 'cells' or 'worksheets')")
    language = _kernel_language(doc)
    is_python = not language or language.lower().startswith(("python", "ipython"))
    # positions of every cell's source
    spans: list = []  # (cell dict position info)
    try:
        if "worksheets" in doc:
            if not isinstance(doc["worksheets"], list):
                raise NotebookError("'worksheets' is not a list")
            for key, start, _end in _members(raw, _ws(raw, 0)):
                if key != "worksheets":
                    continue
                for wi, (ws_start, _ws_end) in enumerate(_elements(raw, start)):
                    if not isinstance(doc["worksheets"][wi], dict):
                        raise NotebookError(f"worksheet {wi + 1} is not an object")
                    for k2, s2, _e2 in _members(raw, ws_start):
                        if k2 == "cells":
                            spans += _cell_spans(raw, s2, "input")
        else:
            for key, start, _end in _members(raw, _ws(raw, 0)):
                if key == "cells":
                    if raw[start] != "[":
                        kind = type(json.loads(raw[start:_end])).__name__
                        raise NotebookError(f"'cells' is not a list (it is {_jtype(kind)})")
                    spans += _cell_spans(raw, start, "source")
    except (ValueError, IndexError):
        raise NotebookError("invalid notebook JSON") from None
    cells = []
    for index, (cell, key, span) in enumerate(spans, 1):
        if not isinstance(cell, dict):
            raise NotebookError(f"cell {index} is not an object")
        if cell.get("cell_type") != "code":
            continue
        lang = cell.get("language")
        if isinstance(lang, str) and lang and not lang.lower().startswith("python"):
            continue
        if key not in cell:
            raise NotebookError(f"cell {index}: code cell without '{key}'")
        src = cell[key]
        if isinstance(src, list):
            bad = next((x for x in src if not isinstance(x, str)), "")
            if bad != "":
                raise NotebookError(
                    f"cell {index}: '{key}' must be a string or a list of strings "
                    f"(the list holds {_jtype(type(bad).__name__)})"
                )
            text = "".join(src)
        elif isinstance(src, str):
            text = src
        else:
            raise NotebookError(
                f"cell {index}: '{key}' must be a string or a list of strings "
                f"(it is {_jtype(type(src).__name__)})"
            )
        cells.append(Cell(index, text, span[0], span[1], isinstance(src, list)))
    return Notebook(raw, doc, cells, language, is_python)


def _jtype(pyname: str) -> str:
    return {
        "NoneType": "null",
        "int": "a number",
        "float": "a number",
        "bool": "a boolean",
        "dict": "an object",
        "list": "a list",
        "str": "a string",
    }.get(pyname, pyname)


def _cell_spans(raw: str, start: int, key: str) -> list:
    if raw[start] != "[":
        raise NotebookError("'cells' is not a list")
    out = []
    for cs, ce in _elements(raw, start):
        cell = json.loads(raw[cs:ce])
        span = (0, 0)
        if raw[cs] == "{":
            for k, s, e in _members(raw, cs):
                if k == key:
                    span = (s, e)
        out.append((cell, key, span))
    return out


# ==========================================================================
# IPython syntax
# ==========================================================================
_ASSIGN_MAGIC = re.compile(r"^[ \t]*[\w.]+(?:[ \t]*,[ \t]*[\w.]+)*[ \t]*=[ \t]*[!%]")
_HELP = re.compile(r"^[ \t]*(?:[%!]{0,2}[\w.*]+\?{1,2}|\?{1,2}[%]{0,2}[\w.*]+)[ \t]*$")
_STR_START = re.compile(r"""(?i)(?:[rbuf]|rb|br|fr|rf)?('''|\"\"\"|'|")""")


def _is_magic(line: str) -> bool:
    s = line.lstrip()
    if not s:
        return False
    if s[0] in "%!" or (s[0] == "?" and len(s) > 1):
        return s[:2] != "!=" and not s.startswith("%=")
    return bool(_ASSIGN_MAGIC.match(line) or _HELP.match(line))


class _LineState:
    """Tracks whether the next physical line starts a logical line."""

    def __init__(self):
        self.depth = 0
        self.quote: Optional[str] = None  # open triple-quoted string
        self.cont = False  # backslash continuation

    @property
    def at_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.cont

    def feed(self, line: str) -> None:
        i, n = 0, len(line)
        self.cont = False
        while i < n:
            if self.quote is not None:
                j = line.find(self.quote, i)
                k = line.find("\\", i)
                if k != -1 and (j == -1 or k < j):
                    i = k + 2
                    continue
                if j == -1:
                    return
                i = j + len(self.quote)
                self.quote = None
                continue
            c = line[i]
            if c == "#":
                return
            if c == "\\" and i == n - 1:
                self.cont = True
                return
            if c in "([{":
                self.depth += 1
            elif c in ")]}":
                self.depth = max(0, self.depth - 1)
            elif c in "'\"":
                q = line[i : i + 3] if line[i : i + 3] in ("'''", '"""') else c
                if len(q) == 3:
                    self.quote = q
                    i += 3
                    continue
                # a one-line string: skip to its end
                j = i + 1
                while j < n and line[j] != c:
                    j += 2 if line[j] == "\\" else 1
                if j >= n and line.endswith("\\"):
                    self.cont = True
                i = j + 1
                continue
            i += 1


class Protector:
    """Replaces IPython-only lines by placeholders with a nonce absent from
    the notebook, and puts them back."""

    def __init__(self, raw: str):
        # derived from the notebook, not random: the same notebook gets the
        # same placeholders in every run (and so the same project facts,
        # which key the --resume cache)
        k = 0
        while True:
            nonce = hashlib.sha256(f"{k}\0{raw}".encode("utf-8", "surrogatepass")).hexdigest()[:8]
            tag = f"tm_ipython_{nonce}"
            if tag not in raw:
                break
            k += 1
        self.tag = tag
        self.saved: list = []
        self._re = re.compile(r"^.*" + re.escape(tag) + r"_(\d+)\b.*$", re.M)

    def protect(self, text: str) -> Optional[str]:
        """The cell as Python, or None when the whole cell is not Python."""
        lines = text.split("\n")
        first = lines[0].lstrip()
        start = 0
        out = []
        if first.startswith("%%"):
            name = first[2:].split(None, 1)[0] if first[2:].strip() else ""
            if name not in PYTHON_CELL_MAGICS:
                return None
            out.append(self._hold(lines[0], top=True))
            start = 1
        state = _LineState()
        for line in lines[start:]:
            if state.at_start and _is_magic(line):
                out.append(self._hold(line, top=not line[:1].isspace()))
                continue
            state.feed(line)
            out.append(line)
        return "\n".join(out)

    def _hold(self, line: str, top: bool) -> str:
        k = len(self.saved)
        self.saved.append(line)
        if top:
            return f"# {self.tag}_{k}"
        indent = line[: len(line) - len(line.lstrip())]
        return f"{indent}pass  # {self.tag}_{k}"

    def restore(self, text: str) -> str:
        if not self.saved:
            return text
        return self._re.sub(lambda m: self.saved[int(m.group(1))], text)


def protect(text: str) -> tuple:
    """(python text, saved lines) -- for the project scan."""
    p = Protector(text)
    out = p.protect(text)
    return ("" if out is None else out), p.saved


# ==========================================================================
# Migrating
# ==========================================================================
@dataclass
class _Part:
    cell: Cell
    python: str  # protected text (LF)
    crlf: bool


def migrate_notebook(
    raw: str, rules, *, unsafe_fixes: bool = False, project=None
) -> NotebookResult:
    nb = read_notebook(raw)
    result = NotebookResult(old=raw, new=raw)
    if not nb.is_python:
        result.notes.append(
            f"skipped: the notebook's kernel language is {nb.language!r}, not Python"
        )
        return result
    prot = Protector(raw)
    parts: list = []
    for cell in nb.code_cells:
        if not cell.text.strip():
            continue
        crlf = "\r\n" in cell.text
        text = cell.text.replace("\r\n", "\n") if crlf else cell.text
        py = prot.protect(text)
        if py is None or not py.strip():
            continue
        parts.append(_Part(cell, py, crlf))
    if not parts:
        return result
    new_texts = _migrate_joined(parts, rules, unsafe_fixes, project, prot, result)
    if new_texts is None:
        result.fixes, result.findings, result.errors = [], [], []
        result.suppressed = 0
        new_texts = _migrate_cells(parts, rules, unsafe_fixes, project, result)
    if result.errors:
        return result
    edits = []
    for part, new in zip(parts, new_texts):
        if new is None:
            continue
        restored = prot.restore(new)
        if part.crlf:
            restored = restored.replace("\n", "\r\n")
        if restored != part.cell.text:
            edits.append((part.cell, restored))
    if edits:
        result.new = _write_back(raw, edits)
    return result


def _boundary(tag: str, k: int) -> str:
    return f"{tag}_cell = {k}"


def _migrate_joined(parts, rules, unsafe_fixes, project, prot, result) -> Optional[list]:
    """Migrate the cells as one program; None when that is not possible."""
    tag = prot.tag
    chunks = []
    starts = []  # first line (1-based) of each cell in the joined text
    line = 1
    for k, part in enumerate(parts):
        if k:
            chunks.append(_boundary(tag, k) + "\n")
            line += 1
        body = part.python if part.python.endswith("\n") else part.python + "\n"
        starts.append(line)
        chunks.append(body)
        line += body.count("\n")
    joined = "".join(chunks)
    try:
        res = migrate(
            joined, rules, unsafe_fixes=unsafe_fixes, filename="notebook", project=project
        )
    except MigrationError:
        return None
    if res.errors:
        return None
    pieces = re.split(r"^" + re.escape(tag) + r"_cell = (\d+)\n", res.new, flags=re.M)
    texts = pieces[0::2]
    numbers = [int(x) for x in pieces[1::2]]
    if numbers != list(range(1, len(parts))) or len(texts) != len(parts):
        return None
    new_starts = []
    line = 1
    for k, t in enumerate(texts):
        if k:
            line += 1
        new_starts.append(line)
        line += t.count("\n")
    out = []
    for part, t in zip(parts, texts):
        if not part.python.endswith("\n") and t.endswith("\n"):
            t = t[:-1]
        out.append(t)

    def locate(n: int, table: list) -> int:
        k = 0
        for i, s in enumerate(table):
            if s <= n:
                k = i
        return k

    for kind, items in (("fix", res.fixes), ("finding", res.findings)):
        for f in items:
            old_line = f.source_line or f.line
            k = locate(old_line, starts)
            new_k = locate(f.line, new_starts)
            f.source_line = old_line - starts[k] + 1
            if new_k == k:
                span = f.end_line - f.line if f.end_line else 0
                f.line = f.line - new_starts[k] + 1
                f.end_line = f.line + span if f.end_line else 0
            else:
                f.line = f.source_line
            cf = CellFinding(parts[k].cell.index, f)
            (result.fixes if kind == "fix" else result.findings).append(cf)
    result.suppressed += res.suppressed
    return out


def _migrate_cells(parts, rules, unsafe_fixes, project, result) -> list:
    """Each cell alone, with the other cells' names as project facts.

    Like the project driver, a cell whose names the other cells stop reading
    once migrated (an import whose uses were unwrapped) is migrated again
    with the smaller set of needed names."""
    from dataclasses import replace

    from torchmigrate.project import cell_facts

    facts = cell_facts([p.python for p in parts], project)
    results = [_migrate_cell(p, f, rules, unsafe_fixes) for p, f in zip(parts, facts)]
    for _round in range(2):
        current = [
            r.new if isinstance(r, FileResultLike) else p.python for p, r in zip(parts, results)
        ]
        new_facts = cell_facts(current, project)
        redo = [
            i
            for i, (old, new) in enumerate(zip(facts, new_facts))
            if new.needed_by_others < old.needed_by_others
        ]
        if not redo:
            break
        for i in redo:
            facts[i] = replace(facts[i], needed_by_others=new_facts[i].needed_by_others)
            results[i] = _migrate_cell(parts[i], facts[i], rules, unsafe_fixes)
    out = []
    for part, res in zip(parts, results):
        index = part.cell.index
        if isinstance(res, str):
            result.errors.append(res)
            out.append(None)
            continue
        result.errors.extend(f"cell {index}: {e}" for e in res.errors)
        result.fixes.extend(CellFinding(index, f) for f in res.fixes)
        result.findings.extend(CellFinding(index, f) for f in res.findings)
        result.suppressed += res.suppressed
        out.append(res.new if res.changed else None)
    return out


def _migrate_cell(part, facts, rules, unsafe_fixes):
    """The engine's result for one cell, or a one-line error."""
    index = part.cell.index
    try:
        return migrate(
            part.python, rules, unsafe_fixes=unsafe_fixes, filename=f"cell {index}", project=facts
        )
    except MigrationError as exc:
        return f"cell {index}" + (f", line {exc.line}" if exc.line else "") + f": {exc}"


# ==========================================================================
# Writing: splice the changed sources into the original text
# ==========================================================================
def _split_lines(text: str) -> list:
    return text.splitlines(keepends=True)


def _write_back(raw: str, edits: list) -> str:
    ascii_only = not re.search(r"[^\x00-\x7f]", raw)
    escaped_unicode = bool(re.search(r"\\u(?:00[89a-fA-F]|0[1-9a-fA-F]|[1-9a-fA-F])", raw))
    ensure_ascii = ascii_only and escaped_unicode
    newline = "\r\n" if "\r\n" in raw else "\n"
    out = []
    pos = 0
    for cell, new_text in sorted(edits, key=lambda e: e[0].start):
        out.append(raw[pos : cell.start])
        out.append(_encode(raw, cell, new_text, ensure_ascii, newline))
        pos = cell.end
    out.append(raw[pos:])
    return "".join(out)


def _encode(raw: str, cell: Cell, new_text: str, ensure_ascii: bool, newline: str) -> str:
    def enc(s: str) -> str:
        return json.dumps(s, ensure_ascii=ensure_ascii)

    if not cell.as_list:
        return enc(new_text)
    old_elems = list(_elements(raw, cell.start))
    spelled: dict = {}
    for s, e in old_elems:
        spelled.setdefault(json.loads(raw[s:e]), raw[s:e])
    lines = _split_lines(new_text)
    if not lines:
        return "[]"
    if old_elems:
        open_ws = raw[cell.start + 1 : old_elems[0][0]]
        close_ws = raw[old_elems[-1][1] : cell.end - 1]
        if len(old_elems) > 1:
            sep = raw[old_elems[0][1] : old_elems[1][0]]
        else:
            sep = "," + open_ws
    else:
        line_start = raw.rfind("\n", 0, cell.start) + 1
        indent = re.match(r"[ \t]*", raw[line_start:]).group(0)
        unit = _indent_unit(raw)
        open_ws = newline + indent + unit
        close_ws = newline + indent
        sep = "," + open_ws
    body = sep.join(spelled.get(x) or enc(x) for x in lines)
    return "[" + open_ws + body + close_ws + "]"


def _indent_unit(raw: str) -> str:
    m = re.search(r"\n([ \t]+)[\"{\[]", raw)
    return m.group(1) if m else " "
