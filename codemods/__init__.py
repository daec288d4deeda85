"""The rule registry.

Adding a rule = adding one module to this package (defining ``RULE``, or
``RULES`` for a tight family) and one line to ``_MODULES``.  Everything else
(the engine, the CLI, ``explain``, the example tests) reads this registry.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from functools import cache

from codemods.base import FAMILIES, MANUAL, SAFE, UNSAFE, Example, Rule

__all__ = [
    "all_rules",
    "builtin_rules",
    "get_rule",
    "select_rules",
    "unknown_selectors",
    "Rule",
    "Example",
    "SAFE",
    "UNSAFE",
    "MANUAL",
]

_MODULES = [
    # TM0xx pre-0.4 autograd: TM001-TM004, TM007
    "tm001_variable",
    "tm002_volatile",
    "tm003_data_index_scalar",
    "tm004_dot_data",
    "tm007_numpy_on_grad",
    # TM0xx pre-0.4 autograd: TM005, TM006, TM008-TM011, TM013
    "tm005_scalar_overloads",
    "tm006_zero_dim_results",
    "tm008_legacy_constructors",
    "tm009_type_checks",
    "tm010_cuda_async",
    "tm011_retain_variables",
    "tm013_removed_autograd_attrs",
    "tm014_step_between_backwards",
    # TM012 legacy autograd.Function
    "tm012_legacy_function",
    # TM1xx 0.2-1.0 API changes
    "tm101_broadcasting",
    "tm102_keepdim",
    "tm103_softmax_dim",
    "tm104_init_underscore",
    "tm105_clip_grad_norm",
    "tm106_reduction",
    "tm107_upsample",
    "tm110_removed_modules",
    "tm111_dotted_module_names",
    "tm112_removed_signatures",
    "tm108_sigmoid_tanh",
    "tm109_uint8_masks",
    # TM2xx 1.x-2.x deprecations and removals
    "tm201_scheduler_order",
    "tm203_division",
    "tm205_linalg",
    "tm206_torch_range",
    "tm207_zero_grad",
    "tm208_torch_load",
    "tm209_fft",
    "tm210_deprecations",
    "tm211_torchvision",
    "tm212_pack_lengths",
    "tm213_torch_six",
    # TM3xx Python 2 -> 3
    "tm300_py3_compile",
    "tm3xx_py2",
    "tm310_py2_division",
    "tm311_implicit_relative_import",
    "tm312_py3_gaps",
]


@cache
def builtin_rules() -> tuple:
    """The rules shipped with torchmigrate (TM001-TM310)."""
    rules = []
    for name in _MODULES:
        mod = importlib.import_module(f"codemods.{name}")
        found = getattr(mod, "RULES", None) or (mod.RULE,)
        rules.extend(found)
    rules.sort(key=lambda r: r.id)
    _check_unique(rules)
    return tuple(rules)


@cache
def all_rules() -> tuple:
    """Built-in rules followed by user rules (``--rules-from`` files and the
    ``torchmigrate.rules`` entry point group; see ``torchmigrate.user_rules``)."""
    from torchmigrate import user_rules

    rules = list(builtin_rules()) + sorted(user_rules.load_configured(), key=lambda r: r.id)
    _check_unique(rules)
    return tuple(rules)


def _check_unique(rules) -> None:
    ids = [r.id for r in rules]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise RuntimeError(f"duplicate rule ids: {sorted(dupes)}")
    names = [r.name for r in rules]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise RuntimeError(f"duplicate rule names: {sorted(dupes)}")


def get_rule(rule_id: str) -> Rule:
    """A rule by id (any case) or by name (``variable-wrap``)."""
    key = rule_id.strip()
    for rule in all_rules():
        if rule.id == key.upper() or rule.name == key.lower():
            return rule
    raise KeyError(rule_id)


def _selects(rule: Rule, pattern: str) -> bool:
    """One selector: ``ALL``, an id or id prefix (``TM0``, ``TM103``) or a rule
    name (``variable-wrap``)."""
    p = pattern.strip()
    if not p:
        return False
    if p.upper() == "ALL":
        return True
    return rule.id.startswith(p.upper()) or rule.name == p.lower()


def _matches(rule: Rule, patterns: Iterable[str]) -> bool:
    return any(_selects(rule, p) for p in patterns)


def unknown_selectors(patterns: Iterable[str]) -> list:
    """Selectors that match no rule (reported as usage errors)."""
    rules = all_rules()
    return [p for p in patterns if p.strip() and not any(_selects(r, p) for r in rules)]


def select_rules(select: Iterable[str] = (), ignore: Iterable[str] = (), py2: bool = True) -> tuple:
    """Rules matched by one of ``select`` (all when empty) and by none of
    ``ignore`` (ids, id prefixes, names or ``ALL``).  ``py2=False`` drops the
    TM3xx family."""
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
    if prefix == "user":
        return "user rules"
    return FAMILIES.get(prefix, prefix)
