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


# Sequences with several variable-length wildcards (``power< any* trailer<
# '.' 'f' > trailer< '(' any* ')' > any* >``, optional parentheses) and
# alternations of definitions, calls and imports: where fissix's search
# order decides which site binds.
WILDCARD_SNIPPETS = [
    "a.zero_grad().zero_grad()\nb.x.zero_grad(set_to_none=True).y\nc.zero_grad\n",
    "f(x).zero_grad()()\nself.opt.zero_grad(); zero_grad()\nx ** y.zero_grad()\n",
    "a.b[0].zero_grad(1, 2)[3].zero_grad()\nit.next().next()\nd.iteritems().x.itervalues()\n",
    "from m import zero_grad\nfrom m import (a, zero_grad)\nfrom m import (zero_grad,)\n",
    "from functorch import vmap\nfrom functorch import (grad, vmap)\nfrom . import zero_grad\n",
    "class A(object):\n    @property\n    def zero_grad(self, set_to_none=False):\n"
    "        pass\n\n    def zero_grad(cls):\n        pass\n\n    def backward(self, *a):\n"
    "        return self.backward(*a).backward()\n\n    def register_backward_hook(self):\n"
    "        pass\n",
    "def zero_grad():\n    pass\n\n\ndef zero_grad(x, self):\n    pass\n",
]


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
    texts = [p.read_text() for p in CORPUS] + SNIPPETS + WILDCARD_SNIPPETS
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


@pytest.mark.parametrize(
    "pattern",
    [
        "power< any trailer< '.' any >* trailer< '(' any* ')' > any* >",
        "power< any* trailer< '(' any* ')' >+ trailer< '.' name=any > any* >",
        "power< first=any rest=trailer< '.' any >* call=trailer< '(' args=any* ')' > more=any* >",
        "arglist< any* argument< any '=' any > any* argument< any '=' any >* >",
        "import_from< 'from' mod=any 'import' ['('] names=any* [')'] >",
        "trailer< '(' [arglist< any* >] ')' >",
        "atom< '[' any* ']' > | power< any* trailer< '[' any ']' > any* > | NAME",
    ],
)
def test_sequences_of_several_wildcards_compile_like_fissix(pattern):
    """Patterns beyond the rules' own: several variable-length wildcards in
    one node's children, optional parts, named repeats, an alternation --
    the compiled matcher finds the match fissix's search finds first."""
    from fissix.patcomp import PatternCompiler

    from codemods.base import parse_source, walk
    from torchmigrate.engine import _compile_pattern

    p = PatternCompiler().compile_pattern(pattern)
    compiled = _compile_pattern(p)
    assert compiled is not None
    texts = [p.read_text() for p in CORPUS] + WILDCARD_SNIPPETS
    texts.append("a[0](c)\na.b(c).d\na(b)(c)[0].e\nf(x=1, y, z=2, w=3)\nf(x=1)\nf(*a, k=1)\n")
    hits = 0
    for text in texts:
        for node in walk(parse_source(text)[0]):
            want, got = {}, {}
            ok = p.match(node, want)
            assert compiled(node, got) == ok, (pattern, str(node))
            if ok:
                assert _same_results(want, got), (pattern, str(node))
                hits += 1
    assert hits > 0


def test_child_literals_narrow_to_parents_of_the_literal():
    """A fixer without trigger tokens is visited only at nodes that have one
    of its pattern's literal leaves as a direct child: ``trailer< '[' any
    ']' >`` at subscripts, not at every call or attribute trailer."""
    from codemods.base import parse_source
    from codemods.tm003_data_index_scalar import ZeroDimIndexFixer
    from torchmigrate.engine import _child_literals, _dispatch, _fixer, _Index

    fx = _fixer(ZeroDimIndexFixer)
    assert _child_literals(fx) == frozenset({"["})
    tree, _ = parse_source("y = f(a[0], b.c)[1]\nz = g(h)\n")
    d = _dispatch(all_rules(), set())
    index = _Index(tree)
    pass_needs = dict.fromkeys(d.needs)
    visited = [str(node).strip() for node, fxs in d.worklist(index, pass_needs) if fx in fxs]
    assert visited == ["[0]", "[1]"]
    everything = [
        str(node).strip()
        for node, fxs in d.worklist(index, pass_needs, children=False)
        if fx in fxs
    ]
    assert len(everything) == 5  # every trailer of the type


def test_a_wrong_child_literal_is_caught(monkeypatch):
    """The dispatch check visits what the child literals excluded: a literal
    that does not hold (here ``(`` for subscripts) makes it fail."""
    from codemods.tm003_data_index_scalar import ZeroDimIndexFixer

    monkeypatch.setattr(engine, "CHECK_DISPATCH", True)
    monkeypatch.setattr(engine, "_DISPATCH", {})
    monkeypatch.setitem(engine._CHILD_LITERALS, ZeroDimIndexFixer, frozenset({"("}))
    rule = next(r for r in all_rules() if r.id == "TM003")
    with pytest.raises(engine.DispatchError):
        for ex in rule.examples:
            migrate(ex.before, all_rules(), unsafe_fixes=True)
