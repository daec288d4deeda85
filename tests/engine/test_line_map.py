"""The engine's line maps: a map asked only up to a line (``upto``, what a
pass's fixes need for their own lines) agrees with the full map there."""

from __future__ import annotations

import random
from pathlib import Path

import torchmigrate.engine as E
from codemods import all_rules

ROOT = Path(__file__).resolve().parents[2]


def _migrate_corpus_and_examples() -> None:
    """Migrate (unsafe fixes on) every legacy corpus program and every rule
    example: the inputs the engine's internal checks below watch."""
    rules = all_rules()
    texts = [p.read_text() for p in sorted((ROOT / "corpus" / "legacy").glob("*.py"))]
    texts += [ex.before for r in rules for ex in r.examples]
    for text in texts:
        E.migrate(text, rules, unsafe_fixes=True)


def test_a_map_up_to_a_line_is_the_full_map_there(monkeypatch):
    real = E._edit_line_map
    rng = random.Random(5)
    asked = []
    checked = [0]

    def both(tree, old_lines, new_text, original, texts=None, cache=None, upto=None):
        out = real(tree, old_lines, new_text, original, texts, cache, upto)
        if texts is None:
            return out
        if upto is not None:
            asked.append(upto)
        full = real(tree, old_lines, new_text, original, texts, {}, None)
        # the engine's statement cache (entries of earlier passes, of the
        # statements as printed after a pass) gives what a fresh one gives
        assert len(out) == len(full)
        assert out[: (upto or len(full)) + 1] == full[: (upto or len(full)) + 1]
        n = len(full) - 1
        # every line would be too slow: the lines around the gaps (lines
        # that start with no token of the input) and some others
        gaps = [k for k in range(1, n + 1) if full[k] != full[k - 1] + 1]
        wanted = (
            set(gaps[:30])
            | {k - 1 for k in gaps[:30]}
            | set(rng.sample(range(1, n + 1), min(n, 10)))
        )
        for k in sorted(wanted - {0}):
            part = real(tree, old_lines, new_text, original, texts, {}, k)
            assert len(part) == len(full)
            assert part[: k + 1] == full[: k + 1], k
            checked[0] += 1
        return out

    monkeypatch.setattr(E, "_edit_line_map", both)
    _migrate_corpus_and_examples()
    assert asked  # the cleanup hook and the later passes ask for part of a map
    assert checked[0] > 1000


def test_positions_from_the_shared_statement_cache_are_the_walks(monkeypatch):
    """A pass's candidate positions read each statement's leaf starts from
    the cache the line maps share (``_unit_entry``): they equal a fresh walk
    of the statements and a walk of the whole tree, also when an entry
    comes from an earlier pass or from a line map."""
    real = E._positions
    reused = [0]
    checked = [0]

    def both(tree, wanted=None, texts=None, cache=None):
        if cache is not None:
            reused[0] += sum(
                1
                for unit, text in zip(tree.children, texts)
                if (hit := cache.get(id(unit))) is not None
                and hit[0] is unit
                and hit[1] == text
                and not unit.was_changed
            )
        out = real(tree, wanted, texts, cache)
        if cache is not None:
            assert out == real(tree, wanted, texts)
            whole = real(tree)
            assert out == {k: whole[k] for k in out}
            assert set(out) == set(wanted)
            checked[0] += 1
        return out

    monkeypatch.setattr(E, "_positions", both)
    _migrate_corpus_and_examples()
    assert checked[0] >= 30  # (40: the passes after the first that find candidates)
    assert reused[0] > 100  # entries made by an earlier pass's line map are read
