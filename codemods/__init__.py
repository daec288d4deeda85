"""The rule registry.

Adding a rule = adding one module to this package (defining ``RULE``, or
``RULES`` for a tight family) and one line to ``_MODULES``.  Everything else
(the engine, the CLI, ``explain``, the example tests) reads this registry.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Iterable

from codemods.base import FAMILIES, MANUAL, SAFE, UNSAFE, Example, Rule

__all__ = ["all_rules", "get_rule", "select_rules", "Rule", "Example", "SAFE", "UNSAFE", "MANUAL"]

_MODULES = [
    # TM0xx pre-0.4 autograd: TM001-TM004, TM007
    # TM0xx pre-0.4 autograd: TM005, TM006, TM008-TM011, TM013
    # TM012 legacy autograd.Function
    # TM1xx 0.2-1.0 API changes
    # TM2xx 1.x-2.x deprecations and removals
    # TM3xx Python 2 -> 3
]


@lru_cache(maxsize=None)
def all_rules() -> tuple:
    rules = []
    for name in _MODULES:
        mod = importlib.import_module(f"codemods.{name}")
        found = getattr(mod, "RULES", None) or (mod.RULE,)
        rules.extend(found)
    rules.sort(key=lambda r: r.id)
    ids = [r.id for r in rules]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise RuntimeError(f"duplicate rule ids: {sorted(dupes)}")
    return tuple(rules)


def get_rule(rule_id: str) -> Rule:
    for rule in all_rules():
        if rule.id == rule_id.upper():
            return rule
    raise KeyError(rule_id)


def _matches(rule: Rule, patterns: Iterable[str]) -> bool:
    return any(rule.id.startswith(p.strip().upper()) for p in patterns if p.strip())


def unknown_selectors(patterns: Iterable[str]) -> list:
    """Selectors that match no rule id (reported as usage errors)."""
    ids = [r.id for r in all_rules()]
    return [p for p in patterns if p.strip() and not any(i.startswith(p.strip().upper()) for i in ids)]


def select_rules(
    select: Iterable[str] = (), ignore: Iterable[str] = (), py2: bool = True
) -> tuple:
    """Rules whose id starts with one of ``select`` (all when empty) and with
    none of ``ignore``.  ``py2=False`` drops the TM3xx family."""
    select = [s for s in select if s.strip()]
    out = []
    for rule in all_rules():
        if select and not _matches(rule, select):
            continue
        if _matches(rule, ignore):
            continue
        if not py2 and rule.family == "TM3":
            continue
        out.append(rule)
    return tuple(out)


def family_name(prefix: str) -> str:
    return FAMILIES.get(prefix, prefix)
