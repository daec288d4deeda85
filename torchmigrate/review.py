"""Per-hunk interactive review (``upgrade --interactive``).

Each hunk is shown with the rule ids that produced it; the answer is one of
``y`` (apply), ``n`` (skip), ``a`` (apply this and the rest of the file),
``d`` (skip the rest of the file), ``r`` (apply, and apply every later hunk
of the same rule(s) without asking), ``q`` (quit: write what was accepted so
far).  Nothing is written for rejected hunks.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Callable, Optional

from torchmigrate.engine import parses
from torchmigrate.sources import splitlines_lf


@dataclass
class Hunk:
    i1: int
    i2: int
    j1: int
    j2: int
    rules: tuple


def hunks(old: str, new: str, fixes: list) -> list:
    a = splitlines_lf(old)
    b = splitlines_lf(new)
    out = []
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        lo, hi = i1 + 1, max(i2, i1 + 1)
        rules = sorted(
            {
                f["rule"]
                for f in fixes
                if not f.get("cell") and lo - 1 <= (f.get("source_line") or f["line"]) <= hi
            }
        )
        out.append(Hunk(i1, i2, j1, j2, tuple(rules) or ("?",)))
    return out


def apply_hunks(old: str, new: str, accepted: list) -> str:
    a = splitlines_lf(old)
    b = splitlines_lf(new)
    keep = {(h.i1, h.i2, h.j1, h.j2) for h in accepted}
    out = []
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal" or (i1, i2, j1, j2) not in keep:
            out.extend(a[i1:i2])
        else:
            out.extend(b[j1:j2])
    return "".join(out)


def render_hunk(path: str, old: str, new: str, h: Hunk, context: int = 3) -> str:
    a = splitlines_lf(old)
    b = splitlines_lf(new)
    lo = max(0, h.i1 - context)
    hi = min(len(a), h.i2 + context)
    lines = [
        f"--- a/{path}\n",
        f"+++ b/{path}\n",
        f"@@ -{h.i1 + 1},{h.i2 - h.i1} +{h.j1 + 1},{h.j2 - h.j1} @@ {', '.join(h.rules)}\n",
    ]
    lines += [" " + x for x in a[lo : h.i1]]
    lines += ["-" + x for x in a[h.i1 : h.i2]]
    lines += ["+" + x for x in b[h.j1 : h.j2]]
    lines += [" " + x for x in a[h.i2 : hi]]
    return "".join(x if x.endswith("\n") else x + "\n" for x in lines)


class Quit(Exception):
    pass


def review_file(
    path: str,
    old: str,
    new: str,
    fixes: list,
    ask: Callable[[str], str],
    show: Callable[[str], None],
    auto_rules: set,
) -> tuple[Optional[str], bool]:
    """Review one file; returns (text to write or None, quit_requested)."""
    accepted = []
    all_rest = False
    skip_rest = False
    quit_now = False
    for h in hunks(old, new, fixes):
        if skip_rest:
            break
        if all_rest or (auto_rules and set(h.rules) <= auto_rules):
            accepted.append(h)
            continue
        show(render_hunk(path, old, new, h))
        while True:
            ans = (
                ask(
                    f"Apply this hunk ({', '.join(h.rules)})? "
                    "[y]es/[n]o/[a]ll in file/[d]one with file/[r]ule: always/[q]uit "
                )
                .strip()
                .lower()
            )
            if ans in ("y", "n", "a", "d", "r", "q"):
                break
            show("please answer y, n, a, d, r or q\n")
        if ans == "y":
            accepted.append(h)
        elif ans == "a":
            accepted.append(h)
            all_rest = True
        elif ans == "d":
            skip_rest = True
        elif ans == "r":
            accepted.append(h)
            auto_rules.update(r for r in h.rules if r != "?")
        elif ans == "q":
            quit_now = True
            break
    if not accepted:
        return None, quit_now
    text = apply_hunks(old, new, accepted)
    if text == old:
        return None, quit_now
    if not parses(text):
        show(f"{path}: the accepted hunks alone do not parse; file not modified\n")
        return None, quit_now
    return text, quit_now
