"""Name the Python 3.8+ construct that stops fissix's grammar.

fissix (lib2to3's grammar) parses Python 2 and Python 3 up to 3.7 plus a few
later additions (walrus, ``async``), but not positional-only parameters,
parenthesised context managers, ``match``, ``except*``, relaxed decorators,
starred subscripts and the 3.12 syntax (PEP 695 type parameters, PEP 701
f-strings).  When the file is rejected by fissix, :func:`describe` walks
CPython's own AST (when this interpreter compiles the file) to find the
construct and its line, so the error says what and where instead of "invalid
syntax" on code that Python accepts.

Pure functions of the text; no I/O.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
from typing import Optional

from codemods.base import ast_parse_quietly

_PY = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _parenthesised_with_as(text_lines: list, node) -> bool:
    """``with (a as b, c as d):`` -- an ``as`` inside the parentheses that
    directly follow ``with`` (fissix parses ``with (a, b):`` as a tuple)."""
    if not any(item.optional_vars is not None for item in node.items):
        return False
    src = "\n".join(text_lines[node.lineno - 1 : (node.end_lineno or node.lineno)])
    src = src[node.col_offset :]
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(src + "\n").readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return False
    toks = [t for t in toks if t.type not in (tokenize.NL, tokenize.COMMENT)]
    i = 0
    if i < len(toks) and toks[i].string == "async":
        i += 1
    if i >= len(toks) or toks[i].string != "with":
        return False
    i += 1
    if i >= len(toks) or toks[i].string != "(":
        return False
    depth = 0
    for tok in toks[i:]:
        if tok.string in "([{" and tok.type == tokenize.OP:
            depth += 1
        elif tok.string in ")]}" and tok.type == tokenize.OP:
            depth -= 1
            if depth == 0:
                return False
        elif depth == 1 and tok.type == tokenize.NAME and tok.string == "as":
            return True
    return False


def _plain_decorator(expr) -> bool:
    """A decorator fissix accepts: a dotted name, optionally called once."""
    if isinstance(expr, ast.Call):
        expr = expr.func
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name)


def _starts_with_paren(text_lines: list, node) -> bool:
    line = text_lines[node.lineno - 1] if 0 < node.lineno <= len(text_lines) else ""
    return line[node.col_offset : node.col_offset + 1] == "("


def constructs(text: str) -> list:
    """``[(line, description)]`` of the constructs fissix cannot parse, in file
    order, or ``[]`` when this Python does not compile ``text`` either."""
    try:
        tree = ast_parse_quietly(text)
    except (SyntaxError, ValueError):
        return []
    lines = text.split("\n")
    found: list = []

    def add(node, what: str) -> None:
        found.append((node.lineno, what))

    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if node.args.posonlyargs:
                add(node, "positional-only parameters (`/`, Python 3.8)")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if getattr(node, "type_params", None):
                add(node, "type parameters (`def f[T]` / `class C[T]`, Python 3.12)")
            for deco in node.decorator_list:
                if not _plain_decorator(deco):
                    found.append((deco.lineno, "a decorator expression (PEP 614, Python 3.9)"))
        elif type(node).__name__ == "Match":
            add(node, "a `match` statement (Python 3.10)")
        elif type(node).__name__ == "TryStar":
            add(node, "`except*` (Python 3.11)")
        elif type(node).__name__ == "TypeAlias":
            add(node, "a `type` alias statement (Python 3.12)")
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            if _parenthesised_with_as(lines, node):
                add(node, "parenthesised context managers (`with (a as b, ...)`, Python 3.9)")
        elif isinstance(node, ast.Subscript):
            sl = node.slice
            if isinstance(sl, ast.Starred) or (
                isinstance(sl, ast.Tuple) and any(isinstance(e, ast.Starred) for e in sl.elts)
            ):
                add(node, "a starred subscript (`x[*i]`, Python 3.11)")
            elif isinstance(sl, ast.NamedExpr):
                add(node, "an unparenthesised `:=` in a subscript (Python 3.10)")
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            it = node.iter
            if (
                isinstance(it, ast.Tuple)
                and any(isinstance(e, ast.Starred) for e in it.elts)
                and not _starts_with_paren(lines, it)
            ):
                add(it, "unparenthesised starred items after `for ... in` (Python 3.9)")
        elif isinstance(node, ast.JoinedStr) and sys.version_info >= (3, 12):
            seg = ast.get_source_segment(text, node) or ""
            if _pep701(seg):
                add(node, "an f-string using Python 3.12 syntax (PEP 701)")
    found.sort()
    return found


def _pep701(seg: str) -> bool:
    """An f-string that reuses its own quote, spans lines in a single-quoted
    string or has a backslash/comment inside a replacement field."""
    m = re.match(r"[a-zA-Z]*('''|\"\"\"|'|\")", seg)
    if not m:
        return False
    quote = m.group(1)
    body = seg[m.end() : len(seg) - len(quote)]
    depth = 0
    for i, ch in enumerate(body):
        if ch == "{":
            if body[i : i + 2] == "{{" and depth == 0:
                continue
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        elif depth and (body.startswith(quote, i) or ch in "\\#"):
            return True
    return len(quote) == 1 and "\n" in body


_PEP695_LINE = re.compile(
    r"^\s*(?:type\s+\w+\s*(?:\[.*\])?\s*=|(?:async\s+)?def\s+\w+\s*\[|class\s+\w+\s*\[)"
)


def describe(text: str, line: Optional[int]) -> Optional[tuple]:
    """``(message, line)`` for a file fissix rejected at ``line``, or None when
    the file is plain invalid syntax.

    When this Python compiles the file, the message names the first construct
    at or after fissix's error line (fissix stops at the first one it meets).
    Otherwise a PEP 695 line is recognised by its shape (newer than this Python).
    """
    found = constructs(text)
    if found:
        at = [c for c in found if line is None or c[0] >= line]
        lineno, what = (at or found)[0]
        if line is not None:
            same = [c for c in found if c[0] == line]
            if same:
                lineno, what = same[0]
        return (
            f"uses {what}, which the fissix grammar torchmigrate's rules run on cannot "
            f"parse (Python {_PY} accepts it); the file was left unchanged",
            lineno,
        )
    try:
        ast_parse_quietly(text)
        compiles = True
    except (SyntaxError, ValueError):
        compiles = False
    if compiles:
        return (
            f"uses syntax newer than the fissix grammar supports (Python {_PY} accepts it); "
            "the file was left unchanged",
            line,
        )
    lines = text.split("\n")
    if line is not None and 0 < line <= len(lines) and _PEP695_LINE.match(lines[line - 1]):
        return (
            "uses Python 3.12 type-parameter syntax (PEP 695), which neither the fissix "
            f"grammar nor Python {_PY} can parse; the file was left unchanged",
            line,
        )
    return None
