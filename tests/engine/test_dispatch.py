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
