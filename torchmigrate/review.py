"""Per-hunk interactive review (``upgrade --interactive``).

Every change of the run is cut into hunks (one per changed region of a file)
and shown with its rule ids, a ``hunk 3/17`` counter over the whole run and a
correct ``@@ -a,b +c,d @@`` header.  Hunks that must travel together are one
*unit*, shown and decided at once: the hunks one fix produced, and the fixes
the engine put in one dependency ``group`` (``Finding.group``, e.g. removing
``from torch.autograd import Variable`` and unwrapping every ``Variable(...)``
-- accepting only the removal would leave a ``NameError``).

Answers are single keys (no Enter needed on a terminal; one line each when
stdin is not a terminal): ``y`` apply, ``n`` skip, ``a`` apply this and the
rest of the file, ``d`` skip the rest of the file, ``r`` apply and apply every
later unit made only of the same rules, ``q`` quit (what was accepted so far is
written), ``?`` help.  End of input counts as ``q``.  A file whose accepted
hunks alone no longer parse (or no longer compile when the original did, or
for a notebook are not valid JSON) is not written, and the review says so.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Callable, Optional

from torchmigrate.engine import parses

KEYS = "ynadrq?"
PROMPT_TAIL = "[y]es/[n]o/[a]ll in file/[d]one with file/[r]ule: always/[?]help/[q]uit "
HELP = """\
  y  apply this change
  n  do not apply it
  a  apply it and every remaining change of this file
  d  do not apply it nor any remaining change of this file
  r  apply it, and from now on apply every change made only by the same rule(s)
  q  stop the review: files already decided and the changes accepted so far
     in this file are written, nothing else
  ?  this help
A change made of several hunks is applied or skipped as a whole: its fixes
depend on each other (for example an import removal and the uses it needs).
"""


@dataclass
class Hunk:
    i1: int
    i2: int
    j1: int
    j2: int
    rules: tuple
    fixes: list = field(default_factory=list)  # indexes into the file's fixes
    # the unchanged lines around it that context may show: up to the neighbours
    lo_bound: int = 0
    hi_bound: int = -1


@dataclass
class Unit:
    """Hunks decided together."""

    path: str
    hunks: list
    number: int = 0  # 1-based over the run

    @property
    def rules(self) -> tuple:
        return tuple(sorted({r for h in self.hunks for r in h.rules}))


# --------------------------------------------------------------------------
# Hunks and units
# --------------------------------------------------------------------------
def _opcodes(old: str, new: str) -> list:
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [op for op in sm.get_opcodes() if op[0] != "equal"]


def fix_lines(path: str, old: str, fixes: list) -> list:
    """The line of ``old`` each fix belongs to (notebook cells mapped to the
    JSON line that holds the cell's source line)."""
    cell_lines = None
    out = []
    for f in fixes:
        line = int(f.get("source_line") or f["line"])
        if f.get("cell"):
            if cell_lines is None:
                from torchmigrate.report import notebook_cell_lines

                cell_lines = notebook_cell_lines(old)
            lines = cell_lines.get(f["cell"]) or []
            line = lines[line - 1] if 0 < line <= len(lines) else (lines[-1] if lines else 0)
        out.append(line)
    return out


def hunks(old: str, new: str, fixes: list, path: str = "") -> list:
    """The changed regions of ``old`` -> ``new`` with the fixes that made them.

    A fix belongs to the hunk its line falls in; a hunk no fix line falls in
    (e.g. a decorator a fix added above the function it changed) is given the
    nearest fix, so every hunk names a rule."""
    ops = _opcodes(old, new)
    out = [Hunk(i1, i2, j1, j2, ()) for _tag, i1, i2, j1, j2 in ops]
    n_old = len(old.splitlines())
    for k, h in enumerate(out):
        h.lo_bound = out[k - 1].i2 if k else 0
        h.hi_bound = out[k + 1].i1 if k + 1 < len(out) else n_old
    lines = fix_lines(path, old, fixes)
    for k, line in enumerate(lines):
        for h in out:
            lo, hi = h.i1 + 1, max(h.i2, h.i1 + 1)
            if lo - (1 if h.i1 == h.i2 else 0) <= line <= hi:
                h.fixes.append(k)
    for h in out:
        if not h.fixes and lines:
            mid = h.i1 + 1
            best = min(range(len(lines)), key=lambda k: (abs(lines[k] - mid), -lines[k]))
            h.fixes.append(best)
        h.rules = tuple(sorted({fixes[k]["rule"] for k in h.fixes})) or ("?",)
    return out


def units(path: str, old: str, new: str, fixes: list) -> list:
    """Hunks joined into the units that must be decided together: the hunks
    of one fix, and of the fixes of one ``group``."""
    hs = hunks(old, new, fixes, path)
    parent = list(range(len(hs)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(x: int, y: int) -> None:
        parent[find(x)] = find(y)

    by_fix: dict = {}
    by_group: dict = {}
    for i, h in enumerate(hs):
        for k in h.fixes:
            by_fix.setdefault(k, []).append(i)
            group = fixes[k].get("group")
            if group is not None:
                by_group.setdefault(group, []).append(i)
    for members in list(by_fix.values()) + list(by_group.values()):
        for m in members[1:]:
            union(members[0], m)
    comps: dict = {}
    for i in range(len(hs)):
        comps.setdefault(find(i), []).append(hs[i])
    return sorted((Unit(path, c) for c in comps.values()), key=lambda u: u.hunks[0].i1)


def apply_hunks(old: str, new: str, accepted: list) -> str:
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    keep = {(h.i1, h.i2, h.j1, h.j2) for h in accepted}
    out = []
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal" or (i1, i2, j1, j2) not in keep:
            out.extend(a[i1:i2])
        else:
            out.extend(b[j1:j2])
    return "".join(out)


def _range(start: int, count: int) -> str:
    # unified diff convention: an empty range names the line before it
    return f"{start if count else start - 1},{count}"


def render_hunk(path: str, old: str, new: str, h: Hunk, context: int = 3) -> str:
    """A unified diff of one hunk, as it would apply on its own to ``old``.

    Context lines are lines that no other hunk changes, so the header's line
    numbers hold in the original file and in the fully migrated one."""
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    hi_bound = len(a) if h.hi_bound < 0 else h.hi_bound
    lo = max(0, h.lo_bound, h.i1 - context)
    hi = min(len(a), hi_bound, h.i2 + context)
    old_count = hi - lo
    new_count = old_count - (h.i2 - h.i1) + (h.j2 - h.j1)
    new_start = h.j1 - (h.i1 - lo) + 1
    lines = [
        f"--- a/{path}\n",
        f"+++ b/{path}\n",
        f"@@ -{_range(lo + 1, old_count)} +{_range(new_start, new_count)} @@ "
        f"{', '.join(h.rules)}\n",
    ]
    lines += [" " + x for x in a[lo : h.i1]]
    lines += ["-" + x for x in a[h.i1 : h.i2]]
    lines += ["+" + x for x in b[h.j1 : h.j2]]
    lines += [" " + x for x in a[h.i2 : hi]]
    out = []
    for x in lines:
        if x.endswith("\n"):
            out.append(x)
        else:
            out.append(x + "\n\\ No newline at end of file\n")
    return "".join(out)


# --------------------------------------------------------------------------
# Terminal
# --------------------------------------------------------------------------
class Terminal:
    """Single-key answers on a terminal, one line per answer otherwise.

    Used as a context manager: on a terminal it switches to cbreak mode for the
    whole review (no Enter needed, keys typed ahead are neither echoed nor
    lost, Ctrl-C still interrupts) and restores the previous mode on exit.
    ``read_key`` returns "" at end of input."""

    def __init__(self, stdin=None, console=None):
        self.stdin = stdin or sys.stdin
        self.console = console
        self._saved = None
        try:
            self.fd = self.stdin.fileno()
            self.tty = os.isatty(self.fd)
        except (AttributeError, ValueError, OSError):
            self.fd, self.tty = -1, False

    def __enter__(self) -> Terminal:
        if self.tty:
            import termios

            try:
                self._saved = termios.tcgetattr(self.fd)
                mode = termios.tcgetattr(self.fd)
                mode[3] &= ~(termios.ECHO | termios.ICANON)  # lflag
                mode[6][termios.VMIN] = 1
                mode[6][termios.VTIME] = 0
                termios.tcsetattr(self.fd, termios.TCSANOW, mode)
            except termios.error:
                self._saved = None
                self.tty = False
        return self

    def __exit__(self, *exc) -> None:
        if self._saved is not None:
            import termios

            try:
                termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
            except termios.error:
                pass
            self._saved = None

    def write(self, text: str) -> None:
        if self.console is not None:
            self.console.print(text, end="", markup=False, highlight=False)
            self.console.file.flush()
        else:
            sys.stdout.write(text)
            sys.stdout.flush()

    def read_key(self) -> str:
        if self.tty and self._saved is not None:
            while True:
                try:
                    data = os.read(self.fd, 1)
                except OSError:
                    return ""
                if not data or data == b"\x04":  # end of input / Ctrl-D
                    return ""
                ch = data.decode("utf-8", "replace")
                if ch in "\r\n \t":
                    continue  # Enter after a key is not an answer
                return ch.lower()
        try:
            line = self.stdin.readline()
        except (OSError, ValueError):
            return ""
        if not line:
            return ""
        return line.strip()[:1].lower() or "\n"


# --------------------------------------------------------------------------
# The review
# --------------------------------------------------------------------------
@dataclass
class FileDecision:
    path: str
    text: Optional[str]  # what to write, None: leave the file as it is
    accepted_fixes: list  # indexes into the file's fixes
    declined_fixes: list
    unreviewed_fixes: list
    note: str = ""  # why nothing is written although hunks were accepted


@dataclass
class Summary:
    units: int = 0
    accepted: int = 0
    declined: int = 0
    unreviewed: int = 0
    refused_files: list = field(default_factory=list)
    quit: bool = False
    end_of_input: bool = False


def _compiles(text: str) -> bool:
    try:
        compile(text, "<review>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        return True
    except (SyntaxError, ValueError):
        return False


def _valid(path: str, old: str, text: str) -> Optional[str]:
    """None when ``text`` may be written, else why not."""
    if path.endswith(".ipynb"):
        try:
            json.loads(text)
        except ValueError as exc:
            return f"the accepted hunks alone are not valid notebook JSON ({exc.msg})"
        return None
    if _compiles(old) and not _compiles(text):
        return "the accepted hunks alone do not compile"
    if not parses(text):
        return "the accepted hunks alone do not parse"
    return None


class Review:
    """A review of every changed file of a run, in order."""

    def __init__(
        self,
        files: list,
        term: Terminal,
        show: Callable[[str], None],
        colour: bool = False,
    ):
        # files: [(path, old, new, fixes)]
        self.files = files
        self.term = term
        self.show = show
        self.colour = colour
        self.units = {path: units(path, old, new, fixes) for path, old, new, fixes in files}
        n = 0
        for path, *_ in files:
            for u in self.units[path]:
                n += 1
                u.number = n
        self.total = n
        self.auto_rules: set = set()
        self.summary = Summary(units=n)

    def _ask(self, unit: Unit) -> str:
        prompt = f"({unit.number}/{self.total}) Apply this change ({', '.join(unit.rules)})? "
        while True:
            self.term.write(prompt + PROMPT_TAIL)
            key = self.term.read_key()
            if key == "":
                self.term.write("\n")
                self.summary.end_of_input = True
                return "q"
            if self.term.tty:
                self.term.write(key + "\n")
            if key == "?":
                self.term.write(HELP)
                continue
            if key in KEYS:
                return key
            self.term.write("please answer y, n, a, d, r, q or ? for help\n")

    def _show_unit(self, path: str, old: str, new: str, unit: Unit) -> None:
        label = f"hunk {unit.number}/{self.total}"
        if len(unit.hunks) > 1:
            label += f" ({len(unit.hunks)} hunks decided together: they depend on each other)"
        self.show(f"── {label} · {path} · {', '.join(unit.rules)}\n")
        for h in unit.hunks:
            self.show(render_hunk(path, old, new, h))

    def run(self):
        """Yield a :class:`FileDecision` per file, in order; stops early on quit."""
        for path, old, new, fixes in self.files:
            file_units = self.units[path]
            accepted: list = []
            declined: list = []
            unreviewed: list = []
            if self.summary.quit:
                unreviewed = list(file_units)
            else:
                mode = None  # "all" | "skip"
                for i, unit in enumerate(file_units):
                    if mode == "all" or (self.auto_rules and set(unit.rules) <= self.auto_rules):
                        accepted.append(unit)
                        continue
                    if mode == "skip":
                        declined.append(unit)
                        continue
                    self._show_unit(path, old, new, unit)
                    key = self._ask(unit)
                    if key == "y":
                        accepted.append(unit)
                    elif key == "n":
                        declined.append(unit)
                    elif key == "a":
                        accepted.append(unit)
                        mode = "all"
                    elif key == "d":
                        declined.append(unit)
                        mode = "skip"
                    elif key == "r":
                        accepted.append(unit)
                        self.auto_rules.update(r for r in unit.rules if r != "?")
                    elif key == "q":
                        self.summary.quit = True
                        unreviewed = file_units[i:]
                        break
            yield self._decide(path, old, new, fixes, accepted, declined, unreviewed)

    def _decide(self, path, old, new, fixes, accepted, declined, unreviewed) -> FileDecision:
        def fix_ids(us) -> list:
            return sorted({k for u in us for h in u.hunks for k in h.fixes})

        acc, dec, unr = fix_ids(accepted), fix_ids(declined), fix_ids(unreviewed)
        # a fix whose hunks were not all accepted is not applied
        dec = sorted(set(dec) | (set(acc) & set(unr)))
        acc = [k for k in acc if k not in dec and k not in unr]
        self.summary.accepted += len(accepted)
        self.summary.declined += len(declined)
        self.summary.unreviewed += len(unreviewed)
        if not accepted:
            return FileDecision(path, None, [], dec, unr)
        text = apply_hunks(old, new, [h for u in accepted for h in u.hunks])
        if text == old:
            return FileDecision(path, None, [], dec, unr)
        why = _valid(path, old, text)
        if why is not None:
            self.summary.refused_files.append(path)
            self.show(f"{path}: {why}; file not modified\n")
            return FileDecision(path, None, [], sorted(set(dec) | set(acc)), unr, why)
        return FileDecision(path, text, acc, dec, unr)


def old_to_new_lines(old: str, new: str) -> Callable[[int], int]:
    """Map a line of ``old`` to the line it became in ``new`` (1-based)."""
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    table = [0] * (len(a) + 2)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        for k in range(i1, i2):
            table[k + 1] = (
                (j1 + (k - i1) + 1) if tag == "equal" else min(j1 + (k - i1), max(j2 - 1, j1)) + 1
            )
    return lambda line: table[line] if 0 < line < len(table) and table[line] else line
