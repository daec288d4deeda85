"""The engine's dispatch is an optimisation, never a change of behaviour.

Fixers declare trigger tokens (``RuleFixer.TRIGGERS``) and the engine visits
only the nodes that contain one.  These tests hold the engine to that:

* with the dispatch check on, visiting a node that the triggers excluded
  must report nothing (``DispatchError`` otherwise) -- on the corpus, every
  rule example and generated mixes of them;
* the optimised engine gives exactly the reference engine's result (every
  node of a fixer's type visited, no triggers): same text, fixes, findings.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import torchmigrate.engine as engine
from codemods import all_rules
from torchmigrate.engine import MigrationError, migrate, reference_mode

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = sorted({ex.before for rule in all_rules() for ex in rule.examples})
CORPUS = sorted((ROOT / "corpus" / "legacy").glob("*.py"))


def _outcome(res) -> tuple:
    def rows(fs):
        return [
            (f.rule, f.line, f.col, f.source_line, f.safety, f.message, f.suggestion, f.applied)
            for f in fs
        ]

    return (res.new, rows(res.fixes), rows(res.findings), res.errors, res.suppressed)


@pytest.fixture
def dispatch_check(monkeypatch):
    monkeypatch.setattr(engine, "CHECK_DISPATCH", True)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_corpus_triggers_are_sound(path, dispatch_check):
    migrate(path.read_text(), all_rules(), unsafe_fixes=True)


def test_examples_triggers_are_sound(dispatch_check):
    for rule in all_rules():
        for ex in rule.examples:
            for unsafe in (False, True):
                try:
                    migrate(ex.before, all_rules(), unsafe_fixes=unsafe)
                except MigrationError:
                    pass


def _both(text: str, unsafe: bool) -> tuple:
    fast = migrate(text, all_rules(), unsafe_fixes=unsafe)
    with reference_mode():
        ref = migrate(text, all_rules(), unsafe_fixes=unsafe)
    return _outcome(fast), _outcome(ref)


@pytest.mark.parametrize("path", CORPUS[:6], ids=lambda p: p.name)
def test_corpus_matches_the_reference_engine(path):
    fast, ref = _both(path.read_text(), True)
    assert fast == ref


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=4),
    unsafe=st.booleans(),
)
def test_mixes_match_the_reference_engine(parts, unsafe):
    text = "\n".join(p if p.endswith("\n") else p + "\n" for p in parts)
    try:
        fast, ref = _both(text, unsafe)
    except MigrationError:
        assume(False)
        return
    assert fast == ref


def _same_results(a, b) -> bool:
    if not a or not b:
        return not a and not b
    if set(a) != set(b):
        return False
    for key, x in a.items():
        y = b[key]
        if isinstance(x, list):
            if not isinstance(y, list) or len(x) != len(y):
                return False
            if any(p is not q for p, q in zip(x, y)):
                return False
        elif x is not y:
            return False
    return True


def test_compiled_patterns_match_like_fissix():
    """The engine compiles the rules' fissix patterns to plain functions (or
    guards fissix's matcher with a cheap necessary test); on every node of the
    corpus and the examples they must answer exactly like fissix's matcher
    (same verdict, same bindings)."""
    from fissix.fixer_base import BaseFix

    from codemods.base import parse_source, walk
    from torchmigrate.engine import _fast_match, _fixer

    compiled = []
    for rule in all_rules():
        for cls in rule.fixers:
            fx = _fixer(cls)
            if fx.pattern is not None and type(fx).match is BaseFix.match:
                fast = _fast_match(fx)
                if fast is not None:
                    compiled.append((fx, fast))
    assert len(compiled) > 40
    texts = [p.read_text() for p in CORPUS] + SNIPPETS
    checked = 0
    for text in texts:
        try:
            tree, _ = parse_source(text if text.endswith("\n") else text + "\n")
        except Exception:  # noqa: BLE001 - snippets of either grammar
            continue
        for node in walk(tree):
            for fx, fast in compiled:
                assert _same_results(fx.match(node), fast(node)), (type(fx).__name__, str(node))
                checked += 1
    assert checked > 100_000
