"""TM300: a Python 2 file that still does not compile as Python 3.

The 2->3 rules (TM301-TM310) convert what they can prove; some sites are
only reported (unsafe or manual), and some Python 2 code has no rule at all
(indentation that mixes tabs and spaces in a way Python 3 refuses, Python 2
syntax no fissix fixer knows).  This rule checks the *finished* output of a
Python 2 file with CPython's compiler and reports the first error that no
other remaining Python 2 finding already points at, so a migrated file that
will not even import under Python 3 never passes silently.
"""

from __future__ import annotations

import ast

from codemods._py2 import py2_prefilter
from codemods.base import MANUAL, Example, Rule


def py3_compile_check(text: str, py2: bool, remaining: list) -> list:
    """``[(line, col, message)]`` when the migrated Python 2 ``text`` does not
    compile as Python 3 (and no remaining TM3xx finding covers that line)."""
    if not py2:
        return []
    try:
        compile(text, "<migrated>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        return []
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 1
        col = getattr(exc, "offset", None) or 1
        msg = getattr(exc, "msg", None) or str(exc)
    for f in remaining:
        if f.rule.startswith("TM3") and f.line <= line <= max(f.end_line, f.line):
            return []  # that finding already says what to do on this line
    return [
        (
            line,
            col,
            f"this Python 2 file still does not compile as Python 3 after migration: {msg} "
            "-- fix this line by hand",
        )
    ]


RULE = Rule(
    id="TM300",
    name="py3-compile",
    short="the migrated Python 2 file still does not compile as Python 3",
    summary="Report a Python 2 file that still does not compile as Python 3 after migration.",
    why="""
Python 3 refuses code that Python 2 accepted: `print` statements, `exec`
statements, backquotes, `except E, e`, octal literals like `0777`, and
indentation that mixes tabs and spaces inconsistently (`TabError`).  The
2->3 rules convert what they can prove; whatever remains makes the whole
module fail at import time, so it must never pass silently.
""",
    safety=MANUAL,
    doc="""
## What it does
After all selected rules ran on a file that needed the Python 2 grammar,
compiles the result with CPython. When that fails, it reports the error's
line and CPython's message as a `manual` finding -- unless another remaining
Python 2 finding (TM301-TM310) already points at that line.

## Fix safety
Report only: the remaining code is something no rule could convert safely
(or that no rule knows), so a person decides.

## Differences from TorchFix
TorchFix does not migrate Python 2 code.
""",
    examples=(
        Example(
            title="indentation Python 3 refuses (tabs and spaces mixed)",
            before="def f(x):\n\tif x:\n\t\tprint 'yes'\n        return 1\n",
            findings=(MANUAL,),
        ),
        Example(
            title="a print statement no selected rule converts",
            before="print 'epoch', 1\n",
            findings=(MANUAL,),
        ),
        Example(
            title="a Python 3 file is never checked",
            before="def f(x):\n    return x / 2\n",
        ),
    ),
    fixers=(),
    prefilter=py2_prefilter,
    post_check=py3_compile_check,
)
