"""Every rule's documented examples run as tests (drawn from the registry)."""

from __future__ import annotations

import pytest

from codemods import all_rules
from torchmigrate.engine import migrate, parses
from torchmigrate.project import example_facts

CASES = [
    pytest.param(rule, i, ex, id=f"{rule.id}-{i}")
    for rule in all_rules()
    for i, ex in enumerate(rule.examples, 1)
]


@pytest.mark.parametrize(("rule", "index", "example"), CASES)
def test_example(rule, index, example):
    result = migrate(
        example.before,
        [rule],
        unsafe_fixes=example.unsafe_fixes,
        project=example_facts(example),
    )
    assert not result.errors, result.errors
    assert result.new == example.expected, (
        f"{rule.id} example {index} ({example.title or 'untitled'})\n"
        f"--- got ---\n{result.new}\n--- expected ---\n{example.expected}"
    )
    left = tuple(sorted(f.safety for f in result.findings if f.rule == rule.id))
    assert left == tuple(sorted(example.findings)), (
        f"{rule.id} example {index}: remaining findings {left} != {example.findings}: "
        + "; ".join(f"{f.line}: {f.message}" for f in result.findings)
    )
    assert parses(result.new)


@pytest.mark.parametrize(("rule", "index", "example"), CASES)
def test_example_idempotent(rule, index, example):
    facts = example_facts(example)
    once = migrate(example.before, [rule], unsafe_fixes=example.unsafe_fixes, project=facts).new
    twice = migrate(once, [rule], unsafe_fixes=example.unsafe_fixes, project=facts).new
    assert twice == once


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_rule_is_documented(rule):
    assert rule.id[:2] == "TM" and len(rule.id) == 5
    assert rule.name and rule.summary and rule.why.strip() and rule.doc.strip()
    assert rule.safety in ("safe", "unsafe", "manual")
    assert len(rule.examples) >= 3, f"{rule.id} needs at least three examples"
    assert any(ex.after is None for ex in rule.examples), (
        f"{rule.id} needs a must-not-change example"
    )
    assert rule.fixers or rule.post_check, f"{rule.id} has no fixer and no output check"
    page = rule.render_doc()
    assert rule.id in page and "## Examples" in page
