"""User-written rules: a team's own legacy helpers, written as Bowler queries.

A rule file (``--rules-from my_rules.py``, or ``rules-from`` in the
configuration) or an installed package (entry point group
``torchmigrate.rules``) defines ``RULES``, a list of :func:`user_rule`::

    from bowler import Query
    from torchmigrate.user_rules import user_rule

    RULES = [
        user_rule(
            id="X001",
            name="to-var-helper",
            summary="Our `to_var(x)` helper was renamed `to_device(x)`",
            query=Query().select_function("to_var").rename("to_device"),
            safety="safe",
        ),
    ]

The query's selectors (``select_function``, ``select_method``,
``select_pattern``, ...), filters (``is_call``, ``is_def``, ``in_class``,
``filter``) and modifiers (``rename``, ``modify(callback)``, ``add_argument``,
...) are Bowler's; Bowler's driver is not used.  Each selector becomes a fixer
that *reports* the matched site to torchmigrate's engine, which applies it
under the same guarantees as the built-in rules: the safety class
(``unsafe`` fixes only with ``--unsafe-fixes``, ``manual`` never),
suppression comments, the re-parse check, atomic writes, the dirty-tree
refusal, ``--diff``/``check``/every report format, ``rules``/``explain``.

A modifier callback gets ``(node, capture, filename)`` like in Bowler and may
return a replacement node.  A site whose callback leaves the text unchanged is
not counted as fixed.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import sys
import traceback
from dataclasses import dataclass
from hashlib import sha1
from pathlib import Path
from typing import Any, Optional, Union

from codemods.base import MANUAL, SAFE, SAFETIES, UNSAFE, Example, Rule, RuleFixer

__all__ = [
    "user_rule",
    "expr",
    "UserRule",
    "UserRuleError",
    "Example",
    "SAFE",
    "UNSAFE",
    "MANUAL",
]

ENTRY_POINT_GROUP = "torchmigrate.rules"
ENV = "TORCHMIGRATE_RULES_FROM"  # os.pathsep-separated rule files (read by workers too)
ID_RE = re.compile(r"^[A-Z]{1,3}[0-9]{3}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


class UserRuleError(Exception):
    """A rule file or plugin that cannot be used: one line naming it."""


@dataclass(frozen=True)
class UserRule(Rule):
    origin: str = ""  # the file or the entry point it came from

    @property
    def family(self) -> str:
        return "user"

    def render_doc(self) -> str:
        page = super().render_doc()
        head, _, rest = page.partition("\n")
        return f"{head}\n\nUser rule from `{self.origin}`.\n{rest}"


def expr(text: str, prefix: str = ""):
    """A fissix node for the Python expression ``text`` -- handy as the return
    value of a ``modify`` callback (``return expr(f"{arg}.detach()", node.prefix)``)."""
    from codemods.base import parse_expr

    node = parse_expr(text)
    node.prefix = prefix
    return node


def _literal_tokens(fixer_cls) -> Optional[tuple]:
    """NAME literals one of which any match needs (a cheap file pre-filter), or
    None when the pattern has no such literal."""
    try:
        from torchmigrate.engine import _best_clause, _required

        fx = fixer_cls()
        clause = _best_clause(_required(fx.pattern))
    except Exception:  # noqa: BLE001 - only an optimisation
        return None
    return tuple(sorted(clause)) if clause else None


def _make_fixer(
    rule_id: str, transform, pattern: str, message: str, short: Optional[str], safety: str
):
    """A RuleFixer that reports each site of one Bowler selector."""
    filters = list(transform.filters)
    callbacks = list(transform.callbacks)

    class BowlerSelectorFixer(RuleFixer):
        PATTERN = pattern

        def visit(self, node, results) -> None:
            filename = self.ctx.filename if self.ctx is not None else ""
            if not all(f(node, results, filename) for f in filters):
                return
            if not callbacks:  # a query without modifiers only reports
                self.report(node, message, MANUAL, short=short)
                return

            def fix():
                before = str(node)
                returned = None
                for cb in callbacks:
                    if returned is not None and returned is not node:
                        raise UserRuleError(
                            f"{rule_id}: only the last modifier may return a different node"
                        )
                    returned = cb(node, results, filename)
                if returned is not None and returned is not node:
                    node.replace(returned)
                    return str(returned) != before
                return str(node) != before

            self.report(node, message, safety, fix, short=short)

    BowlerSelectorFixer.__name__ = f"{rule_id}Fixer"
    BowlerSelectorFixer.__qualname__ = BowlerSelectorFixer.__name__
    return BowlerSelectorFixer


def user_rule(
    *,
    id: str,
    name: str,
    summary: str,
    query: Any,
    safety: str = UNSAFE,
    message: Optional[str] = None,
    short: Optional[str] = None,
    why: str = "",
    doc: str = "",
    examples: Union[list, tuple] = (),
) -> UserRule:
    """Turn a Bowler ``Query`` into a rule the engine runs.

    ``id``: two or three capital letters and three digits (``X001``; ``TM`` is
    reserved); ``name``: kebab-case, usable in ``--select``/``--ignore`` and
    suppression comments; ``summary``: one line for ``rules``; ``safety``:
    ``safe`` (applied by default), ``unsafe`` (default: applied only with
    ``--unsafe-fixes``) or ``manual`` (reported, never applied); ``message``:
    the full text of each finding (default: ``summary``); ``short``: the
    one-line text of the concise report; ``examples``: ``Example(before,
    after)`` pairs shown by ``explain`` (``after=None``: must not change).
    """
    if not isinstance(id, str) or not ID_RE.match(id):
        raise UserRuleError(f"rule id {id!r}: use 1-3 capital letters and 3 digits, e.g. X001")
    if id.startswith("TM"):
        raise UserRuleError(f"rule id {id!r}: the TM prefix is reserved for built-in rules")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise UserRuleError(f"{id}: name {name!r} must be kebab-case, e.g. 'to-var-helper'")
    if safety not in SAFETIES:
        raise UserRuleError(f"{id}: safety must be one of {', '.join(SAFETIES)}, not {safety!r}")
    if not summary or not isinstance(summary, str):
        raise UserRuleError(f"{id}: a one-line summary is required")
    if not hasattr(query, "transforms") or not hasattr(query, "create_fixer"):
        raise UserRuleError(f"{id}: query must be a bowler.Query, not {type(query).__name__}")
    if not query.transforms:
        raise UserRuleError(
            f"{id}: the query selects nothing (use select_function, select_pattern, ...)"
        )
    if getattr(query, "processors", None):
        raise UserRuleError(f"{id}: Query.process() hunk processors are not supported")
    fixers = []
    tokens: set = set()
    prefilter_ok = True
    for transform in query.transforms:
        if transform.fixer is not None:
            raise UserRuleError(
                f"{id}: Query.fixer() is not supported; use select_pattern + modify"
            )
        try:
            pattern = query.create_fixer(transform).PATTERN
        except (KeyError, IndexError, ValueError) as exc:
            raise UserRuleError(f"{id}: cannot compile the query: {exc}") from None
        cls = _make_fixer(id, transform, pattern, message or summary, short, safety)
        try:
            cls()
        except Exception as exc:  # noqa: BLE001 - fissix's PatternSyntaxError and friends
            raise UserRuleError(f"{id}: invalid pattern: {exc}") from None
        lits = _literal_tokens(cls)
        if lits is None:
            prefilter_ok = False
        else:
            tokens |= set(lits)
        fixers.append(cls)
    words = tuple(sorted(tokens)) if prefilter_ok and tokens else ()

    def prefilter(text: str, _words=words) -> bool:
        return not _words or any(w in text for w in _words)

    exs = []
    for ex in examples:
        if isinstance(ex, Example):
            exs.append(ex)
        elif isinstance(ex, (tuple, list)) and len(ex) == 2:
            exs.append(Example(ex[0], ex[1]))
        else:
            raise UserRuleError(f"{id}: examples must be Example(before, after) or (before, after)")
    return UserRule(
        id=id,
        name=name,
        summary=summary,
        why=why or summary,
        safety=safety,
        doc=doc,
        examples=tuple(exs),
        fixers=tuple(fixers),
        tokens=words,
        prefilter=prefilter,
        short=short or "",
    )


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------
def _rules_of(obj: Any, origin: str) -> list:
    if callable(obj) and not isinstance(obj, Rule):
        obj = obj()
    if isinstance(obj, Rule):
        obj = [obj]
    if not isinstance(obj, (list, tuple)) or not all(isinstance(r, UserRule) for r in obj):
        raise UserRuleError(f"{origin}: RULES must be a list of user_rule(...)")
    return [dataclasses.replace(r, origin=origin) for r in obj]


def _where(exc: BaseException, path: str) -> str:
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if os.path.abspath(frame.filename) == os.path.abspath(path):
            return f"{path}:{frame.lineno}"
    if isinstance(exc, SyntaxError) and exc.lineno:
        return f"{path}:{exc.lineno}"
    return path


def load_file(path: str) -> list:
    """The rules a rule file defines (``RULES`` or ``RULE``)."""
    p = Path(path)
    if not p.is_file():
        raise UserRuleError(f"{path}: no such rule file")
    try:
        content = p.read_bytes()
    except OSError as exc:
        raise UserRuleError(f"{path}: cannot read: {exc.strerror or exc}") from None
    # keyed by path and content: a file edited between two runs in one
    # process (a long-lived Dask worker) is loaded again
    modname = (
        "torchmigrate_user_rules_"
        + sha1(str(p.resolve()).encode() + b"\0" + content).hexdigest()[:12]
    )
    if modname in sys.modules:
        mod = sys.modules[modname]
    else:
        spec = importlib.util.spec_from_file_location(modname, p)
        if spec is None or spec.loader is None:
            raise UserRuleError(f"{path}: cannot load as a Python module")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[modname] = mod
        try:
            spec.loader.exec_module(mod)
        except UserRuleError as exc:
            del sys.modules[modname]
            raise UserRuleError(f"{_where(exc, path)}: {exc}") from None
        except ImportError as exc:
            del sys.modules[modname]
            hint = ""
            if getattr(exc, "name", "") == "bowler":
                hint = " (install Bowler: pip install 'torchmigrate[rules]')"
            raise UserRuleError(f"{_where(exc, path)}: {exc}{hint}") from None
        except BaseException as exc:  # noqa: BLE001 - a user's file may raise anything
            del sys.modules[modname]
            raise UserRuleError(f"{_where(exc, path)}: {type(exc).__name__}: {exc}") from None
    found = getattr(mod, "RULES", None)
    if found is None:
        found = getattr(mod, "RULE", None)
    if found is None:
        raise UserRuleError(f"{path}: defines no RULES")
    return _rules_of(found, str(path))


def load_entry_points() -> list:
    """Rules of installed packages (entry point group ``torchmigrate.rules``)."""
    from importlib.metadata import entry_points

    try:
        eps = entry_points(group=ENTRY_POINT_GROUP)
    except TypeError:  # pragma: no cover - Python 3.9
        eps = entry_points().get(ENTRY_POINT_GROUP, [])
    out = []
    for ep in eps:
        origin = f"entry point {ep.name} = {ep.value}"
        try:
            obj = ep.load()
        except UserRuleError as exc:
            raise UserRuleError(f"{origin}: {exc}") from None
        except Exception as exc:  # noqa: BLE001
            raise UserRuleError(f"{origin}: {type(exc).__name__}: {exc}") from None
        out += _rules_of(obj, origin)
    return out


def configure(paths: list) -> None:
    """Use the rule files ``paths`` in this process and the workers it starts."""
    value = os.pathsep.join(str(Path(p).resolve()) for p in paths)
    if value:
        os.environ[ENV] = value
    else:
        os.environ.pop(ENV, None)
    from codemods import all_rules

    all_rules.cache_clear()


def load_configured() -> list:
    """The rules of the configured rule files and of installed packages."""
    out: list = []
    for path in filter(None, os.environ.get(ENV, "").split(os.pathsep)):
        out += load_file(path)
    out += load_entry_points()
    return out
