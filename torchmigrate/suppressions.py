"""Suppression comments: which findings a person has silenced, and where.

``# torchmigrate: ignore`` silences every rule on its line;
``# torchmigrate: ignore[TM003, TM1]`` silences the listed ids or prefixes.
A finding is suppressed when any line it spans carries a matching comment.
The engine asks this module; nothing else parses suppression comments.
"""

from __future__ import annotations

import re

_IGNORE_RE = re.compile(r"#\s*torchmigrate:\s*ignore(?:\[([^\]]*)\])?", re.IGNORECASE)


def parse(text: str) -> dict:
    """line -> None (all rules) or a set of rule ids/prefixes."""
    out: dict = {}
    if "torchmigrate" not in text:
        return out
    for i, line in enumerate(text.split("\n"), 1):
        m = _IGNORE_RE.search(line)
        if m:
            ids = m.group(1)
            if ids is None:
                out[i] = None
            else:
                out[i] = {p.strip().upper() for p in ids.split(",") if p.strip()}
    return out


def is_suppressed(rule_id: str, start: int, end: int, sup: dict) -> bool:
    """True when a comment on lines ``start..end`` silences ``rule_id``."""
    for line in range(start, end + 1):
        if line in sup:
            ids = sup[line]
            if ids is None or any(rule_id.startswith(p) for p in ids):
                return True
    return False
