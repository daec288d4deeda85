"""Suppression comments: which findings a person has silenced, and where.

On a line (the finding is suppressed when any line it spans carries one):

- ``# torchmigrate: ignore`` silences every rule;
- ``# torchmigrate: ignore[TM003, TM1, variable-wrap]`` the listed ids,
  prefixes or rule names;
- ``# noqa: TM003`` (flake8/ruff spelling) the listed codes that are
  torchmigrate rules; codes of other tools (``E501``) are left to them.  A
  bare ``# noqa`` is *not* honoured: legacy code is full of bare noqa
  comments written for flake8, and a migration they silently blocked would
  leave code that no longer runs.

Anywhere in the file, on a comment line of its own:

- ``# torchmigrate: skip-file`` — the file is not migrated or reported at all.

Only real comments count (a ``#`` inside a string does not); the text is
tokenized, with a per-line fallback for code the tokenizer rejects.

The engine asks this module (:func:`parse`, :meth:`Suppressions.suppresses`);
nothing else parses suppression comments.  :func:`problems` lists unknown codes
and suppressions that silenced nothing (``--warn-suppressions``, like ruff's
unused-noqa check).
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Callable, Optional

_IGNORE_RE = re.compile(r"#\s*torchmigrate\s*:\s*ignore\b(?:\[([^\]]*)\])?", re.IGNORECASE)
_SKIP_FILE_RE = re.compile(r"^#\s*torchmigrate\s*:\s*skip[-_]file\s*$", re.IGNORECASE)
_NOQA_RE = re.compile(
    r"#\s*noqa\s*:\s*((?:[A-Za-z][\w-]*)(?:(?:\s*,\s*|\s+)[A-Za-z][\w-]*)*)", re.IGNORECASE
)
_MARKERS = ("torchmigrate", "noqa", "NOQA", "Noqa", "TORCHMIGRATE")


@dataclass
class Directive:
    """One suppression comment."""

    line: int
    col: int  # 1-based column of the '#'
    kind: str  # "ignore" (torchmigrate: ignore) or "noqa"
    codes: Optional[tuple]  # None: every rule
    used: set = field(default_factory=set)  # codes that silenced something ("*" for all)


@dataclass
class Suppressions:
    directives: dict = field(default_factory=dict)  # line -> [Directive]
    skip_file: int = 0  # line of a skip-file comment, 0 when none

    def __bool__(self) -> bool:
        return bool(self.directives) or bool(self.skip_file)

    def __contains__(self, line: int) -> bool:  # compatibility with the old dict
        return line in self.directives

    def suppresses(self, rule_id: str, start: int, end: int) -> bool:
        """True when a directive on lines ``start..end`` silences ``rule_id``;
        the directive (and code) is marked used."""
        hit = False
        for line in range(start, end + 1):
            for d in self.directives.get(line, ()):
                if d.codes is None:
                    d.used.add("*")
                    hit = True
                    continue
                for code in d.codes:
                    if _code_matches(code, rule_id):
                        d.used.add(code)
                        hit = True
        return hit


def _code_matches(code: str, rule_id: str) -> bool:
    if rule_id.startswith(code.upper()):
        return True
    name = _rule_name(rule_id)
    return name is not None and name == code.lower()


def _rule_name(rule_id: str) -> Optional[str]:
    try:
        from codemods import get_rule

        return get_rule(rule_id).name
    except Exception:  # noqa: BLE001 - a rule unknown to the registry (tests)
        return None


def _comments(text: str) -> list:
    """[(line, col, comment text, comment is alone on its line)] of real comments."""
    out = []
    try:
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        last_line_with_code = 0
        for tok in tokens:
            if tok.type == tokenize.COMMENT:
                alone = tok.start[0] != last_line_with_code
                out.append((tok.start[0], tok.start[1] + 1, tok.string, alone))
            elif tok.type not in (
                tokenize.NL,
                tokenize.NEWLINE,
                tokenize.INDENT,
                tokenize.DEDENT,
                tokenize.ENCODING,
            ):
                last_line_with_code = tok.end[0]
        return out
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    # Code the tokenizer rejects (some Python 2): the first '#' of each line.
    for i, line in enumerate(text.split("\n"), 1):
        pos = line.find("#")
        if pos >= 0:
            out.append((i, pos + 1, line[pos:], not line[:pos].strip()))
    return out


_ANY_RE = re.compile(r"#\s*torchmigrate\s*:\s*(?:ignore|skip[-_]file)|#\s*noqa\s*:", re.IGNORECASE)


def parse(text: str) -> Suppressions:
    """Every suppression directive of ``text``."""
    sup = Suppressions()
    if not any(m in text for m in _MARKERS) or not _ANY_RE.search(text):
        return sup  # the common case: no tokenizing
    for line, col, comment, alone in _comments(text):
        if alone and _SKIP_FILE_RE.match(comment.strip()):
            sup.skip_file = sup.skip_file or line
            continue
        m = _IGNORE_RE.search(comment)
        if m:
            codes = None
            if m.group(1) is not None:
                codes = tuple(p.strip() for p in m.group(1).split(",") if p.strip())
            sup.directives.setdefault(line, []).append(
                Directive(line, col + m.start(), "ignore", codes)
            )
            continue
        m = _NOQA_RE.search(comment)
        if m:
            codes = tuple(c for c in re.split(r"[\s,]+", m.group(1)) if c)
            sup.directives.setdefault(line, []).append(
                Directive(line, col + m.start(), "noqa", codes)
            )
    return sup


def skips_file(text: str) -> bool:
    """True when ``text`` carries ``# torchmigrate: skip-file``."""
    if "skip" not in text or not _SKIP_ANY_RE.search(text):
        return False
    return bool(parse(text).skip_file)


_SKIP_ANY_RE = re.compile(r"torchmigrate\s*:\s*skip[-_]file", re.IGNORECASE)


def is_suppressed(rule_id: str, start: int, end: int, sup: Suppressions) -> bool:
    """True when a comment on lines ``start..end`` silences ``rule_id``."""
    return sup.suppresses(rule_id, start, end)


# --------------------------------------------------------------------------
# --warn-suppressions
# --------------------------------------------------------------------------
def _ours(code: str, known: Callable[[str], bool]) -> bool:
    return known(code) or code.upper().startswith("TM")


def problems(sup: Suppressions, known: Callable[[str], bool], ran: Callable[[str], bool]) -> list:
    """``[(line, col, message)]``: codes that name no rule, and suppressions
    (or codes) that silenced nothing although their rules ran.

    ``known(code)``: the code selects at least one rule; ``ran(code)``: at
    least one rule it selects was run on this file.  ``noqa`` codes of other
    tools are ignored.
    """
    out = []
    for line in sorted(sup.directives):
        for d in sup.directives[line]:
            spelled = "torchmigrate: ignore" if d.kind == "ignore" else "noqa"
            if d.codes is None:
                if not d.used:
                    out.append(
                        (line, d.col, f"unused suppression (`# {spelled}` silenced nothing)")
                    )
                continue
            for code in d.codes:
                if d.kind == "noqa" and not _ours(code, known):
                    continue  # another tool's code
                if not known(code):
                    out.append(
                        (
                            line,
                            d.col,
                            f"unknown rule {code!r} in `# {spelled}` (see `torchmigrate rules`)",
                        )
                    )
                elif code not in d.used and ran(code):
                    out.append((line, d.col, f"unused suppression of {code} (`# {spelled}`)"))
    return out


def warnings_for(result, rules) -> list:
    """``problems`` of one engine result as dicts ``{"line", "source_line",
    "col", "message"}`` (``line`` in the new text, ``source_line`` in the old).
    ``rules``: the rules that ran on the file."""
    sup = result.suppressions
    if sup is None:
        sup = parse(result.new)
    if not sup.directives:
        return []
    from codemods import all_rules

    every = all_rules()
    ran_rules = tuple(rules)

    def selects(rule, code: str) -> bool:
        return rule.id.startswith(code.upper()) or rule.name == code.lower()

    def known(code: str) -> bool:
        return any(selects(r, code) for r in every)

    def ran(code: str) -> bool:
        return any(selects(r, code) for r in ran_rules)

    found = problems(sup, known, ran)
    if not found:
        return []
    from torchmigrate.engine import line_map

    lm = line_map(result.old, result.new) if result.old != result.new else None
    out = []
    for line, col, message in found:
        old_line = lm[line] if lm is not None and 0 < line < len(lm) else line
        out.append({"line": line, "source_line": old_line, "col": col, "message": message})
    return out
