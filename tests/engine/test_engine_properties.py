"""Property tests of the engine's invariants on files assembled from the
rules' own examples: the output always parses (and compiles when the input
did), no name becomes undefined, no target becomes a call, a second run
changes nothing, and a text no rule wants comes back byte-identical."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from codemods import all_rules
from codemods.base import parse_source
from torchmigrate import names
from torchmigrate.engine import MigrationError, _compiles, migrate, parses

SNIPPETS = sorted({ex.before for rule in all_rules() for ex in rule.examples})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=4),
    unsafe=st.booleans(),
    crlf_free_suffix=st.sampled_from(["", "\n", "# trailing comment\n"]),
)
def test_output_parses_and_is_a_fixpoint(parts, unsafe, crlf_free_suffix):
    text = "\n".join(p if p.endswith("\n") else p + "\n" for p in parts) + crlf_free_suffix
    try:
        first = migrate(text, all_rules(), unsafe_fixes=unsafe)
    except MigrationError:
        assume(False)  # the concatenation mixed grammars; not an engine case
        return
    if first.errors:
        assert first.new == first.old  # a failing rule never leaves a half-migrated file
    assert parses(first.new)
    # the output invariants: compiles when the input did, no new undefined name,
    # no assignment/deletion target turned into a call
    if _compiles(text) is None:
        assert _compiles(first.new) is None, first.new
    before, after = parse_source(text)[0], parse_source(first.new)[0]
    new_undefined = set(names.analyse(after).undefined) - set(names.analyse(before).undefined)
    assert not new_undefined, (new_undefined, first.new)
    assert len(names.call_targets(after)) <= len(names.call_targets(before))
    second = migrate(first.new, all_rules(), unsafe_fixes=unsafe)
    assert second.new == first.new
    assert not second.fixes


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=3))
def test_no_rules_means_byte_identical(parts):
    text = "".join(parts)
    assert migrate(text, []).new == text
