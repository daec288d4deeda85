"""Checks of a file's text that the engine (fissix) cannot make itself.

- :func:`tab_error_line`: Python 2 read a tab in indentation as "to the next
  multiple of 8 columns" and accepted files mixing tabs and spaces that
  Python 3 rejects with ``TabError``.  fissix parses such files happily, so a
  migrated Python 2 file can come out unrunnable.  We mirror CPython's own
  rule to find the first offending line.
- :func:`fstring_312_line`: Python 3.12 lets an f-string's replacement field
  contain quotes of the same kind as the string (``f"{d["k"]}"``).  fissix
  (a Python <= 3.11 grammar) ends the string at the inner quote and reads the
  rest as code - where a rule could then rewrite text that is really inside
  the string.  Every such f-string leaves a replacement field open at the
  point where fissix ends the string token, which is what we detect.
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import Optional

TAB_ERROR = (
    "inconsistent use of tabs and spaces in indentation: Python 3 would reject the "
    "migrated file with TabError (Python 2 read a tab as up to 8 columns); not modified - "
    "expand the tabs in its indentation first (e.g. `expand -i -t 8`) and rerun"
)
FSTRING_312 = (
    "f-string with nested quotes of the same kind (Python 3.12 syntax): the grammar used "
    "for migration would read part of the string as code, so this file is not migrated; "
    "not modified"
)


def tab_error_line(text: str) -> Optional[int]:
    """The first line at which Python 3 raises TabError for ``text``, or None.

    CPython measures each indentation twice, with tabs to the next multiple
    of 8 and with tabs as 1 column; both measures must order the indentation
    levels the same way."""
    if "\t" not in text:
        return None
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except TabError as exc:  # the C tokenizer of Python >= 3.12 checks it itself
        return exc.lineno or 1
    except (tokenize.TokenError, SyntaxError):
        return _compile_tab_error(text)
    lines = text.split("\n")
    skip = {tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    stack = [(0, 0)]
    at_line_start = True
    for tok in tokens:
        if tok.type == tokenize.NEWLINE:
            at_line_start = True
            continue
        if tok.type in skip or not at_line_start:
            continue
        at_line_start = False
        row = tok.start[0]
        lead = lines[row - 1][: tok.start[1]] if row - 1 < len(lines) else ""
        col, alt = len(lead.expandtabs(8)), len(lead)
        top_col, top_alt = stack[-1]
        if col == top_col:
            if alt != top_alt:
                return row
        elif col > top_col:
            if alt <= top_alt:
                return row
            stack.append((col, alt))
        else:
            while len(stack) > 1 and col < stack[-1][0]:
                stack.pop()
            if alt != stack[-1][1]:
                return row
    return None


def _compile_tab_error(text: str) -> Optional[int]:
    try:
        compile(text, "<migrated>", "exec", dont_inherit=True)
    except TabError as exc:
        return exc.lineno or 1
    except (SyntaxError, ValueError):
        return None
    return None


_FSTRING_HINT = re.compile(r"(?i)(?<!\w)(?:f|rf|fr)['\"]")
_PREFIX = re.compile(r"(?i)[rbuf]*")
_TRIPLE = ('"' * 3, "'" * 3)


def fstring_312_line(text: str) -> Optional[int]:
    """The line of the first f-string that only Python 3.12+ reads correctly,
    or None."""
    if not _FSTRING_HINT.search(text):
        return None
    from fissix.pgen2 import token as ftoken
    from fissix.pgen2 import tokenize as ftokenize

    try:
        for tok in ftokenize.generate_tokens(io.StringIO(text).readline):
            if tok[0] != ftoken.STRING:
                continue
            value = tok[1]
            prefix = _PREFIX.match(value).group(0).lower()
            if "f" not in prefix:
                continue
            rest = value[len(prefix) :]
            q = rest[:3] if rest[:3] in _TRIPLE else rest[:1]
            body = rest[len(q) : len(rest) - len(q)]
            if not fields_closed(body):
                return tok[2][0]
    except Exception:  # noqa: BLE001 - tokenizer errors are the parser's to report
        return None
    return None


def fields_closed(body: str) -> bool:
    """Are all replacement fields of an f-string body closed (pre-3.12 rules)?

    Literal text: ``{{``/``}}`` are escapes, ``{`` opens a field.  In a
    field's expression: brackets nest, quoted strings are skipped, ``}``
    closes the field and ``:`` at bracket depth 0 starts the format spec, in
    which ``{`` opens a nested field and ``}`` closes the field."""
    stack: list = []  # [mode, bracket depth], mode "expr" or "spec"
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if not stack:
            if c in "{}" and body.startswith(c * 2, i):
                i += 2
                continue
            if c == "{":
                stack.append(["expr", 0])
            elif c == "}":
                return False
            i += 1
            continue
        top = stack[-1]
        if top[0] == "expr":
            if c in "'\"":
                q = body[i : i + 3] if body[i : i + 3] in _TRIPLE else c
                j = body.find(q, i + len(q))
                if j < 0:
                    return False
                i = j + len(q)
                continue
            if c in "([{":
                top[1] += 1
            elif c in ")]":
                top[1] -= 1
            elif c == "}":
                if top[1] > 0:
                    top[1] -= 1
                else:
                    stack.pop()
            elif c == ":" and top[1] == 0:
                top[0] = "spec"
        else:
            if c == "{":
                stack.append(["expr", 0])
            elif c == "}":
                stack.pop()
        i += 1
    return not stack
