"""The engine's parser (codemods/fastparse.py) builds exactly fissix's tree.

Compared node by node -- type, value, prefix, line and column of every leaf,
every attribute fissix sets, parent links, the root's ``used_names`` -- with
fissix's own driver, under all three grammars, on every Python file the
project ships (rules, tests, corpus, benches), on generated research-shaped
files, and on random mutants of them (which also exercise the error path:
the same exception type and message as fissix's)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from fissix import pygram, pytree
from fissix.pgen2 import driver

from codemods.fastparse import FastDriver
from tests.fuzz import fuzzlib

ROOT = Path(__file__).resolve().parents[2]
GRAMMARS = {
    "py3": pygram.python_grammar_no_print_and_exec_statement,
    "py2-print-function": pygram.python_grammar_no_print_statement,
    "py2": pygram.python_grammar,
}
DRIVERS = {
    name: (driver.Driver(g, convert=pytree.convert), FastDriver(g)) for name, g in GRAMMARS.items()
}


_LINKS = ("parent", "children", "used_names")


def _attrs(node) -> list:
    """A node's attributes, the links aside.  The one intended difference:
    the fast parser's leaves share one empty ``fixers_applied`` tuple where
    fissix gives each leaf its own empty list (see fastparse)."""
    out = []
    for k, v in vars(node).items():
        if k in _LINKS:
            continue
        if k == "fixers_applied" and v == ():
            v = []
        out.append((k, v))
    return out


def _signature(node, out: list) -> list:
    """Every attribute fissix set on every node, in pre-order."""
    stack = [node]
    while stack:
        node = stack.pop()
        out.append((type(node), _attrs(node)))
        for child in node.children:
            assert child.parent is node
        stack.extend(reversed(node.children))
    return out


def _outcome(drv, text: str):
    try:
        tree = drv.parse_string(text)
    except Exception as exc:  # noqa: BLE001 - the error is part of the outcome
        return ("error", type(exc).__name__, str(exc))
    assert tree.parent is None
    return ("tree", _signature(tree, []), sorted(tree.used_names), str(tree))


def _same(text: str, grammars=tuple(DRIVERS)) -> bool:
    """Assert both drivers agree under ``grammars``; True when one parsed."""
    parsed = False
    for name in grammars:
        ref, fast = DRIVERS[name]
        want = _outcome(ref, text)
        got = _outcome(fast, text)
        assert got == want, f"{name}: fast parser differs on {text[:120]!r}"
        if want[0] == "tree":
            # ... by itself: not through the fallback to fissix's driver
            # (which would hide a fast path that fails on valid code)
            assert fast.try_parse(text) is not None, f"{name}: fast path failed on valid code"
            if text.endswith("\n"):
                assert want[3] == text  # (fissix adds a missing final newline)
            parsed = True
    return parsed


def _shipped() -> list:
    skip = {".venv", ".git", "node_modules"}
    return sorted(
        p
        for p in ROOT.rglob("*.py")
        if not skip & set(p.relative_to(ROOT).parts) and p.stat().st_size < 400_000
    )


def test_every_shipped_file_parses_to_the_same_tree():
    files = _shipped()
    assert len(files) > 150
    parsed = py2 = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        # the grammars parse_source would try (all three: see the other tests)
        if _same(text, ("py3",)):
            parsed += 1
        else:
            py2 += _same(text, ("py2-print-function", "py2"))
    assert parsed > 150 and py2 >= 3


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "x",
        "# only a comment",
        "   \n\t\n",
        "print x\n",
        "print >>f, x,\n",
        "exec 'x = 1' in d\n",
        "from __future__ import print_function\nprint(x, file=f)\n",
        "def f(:\n",
        "if x:\n  y\n z\n",
        "a = (\n",
        "x = 1 \\\n",
        "x = 1 \\\n\n",
        "class A: pass\n\n\n# tail\n",
        "f(async=True)\n",
        "x = `y`\nif a <> b: pass\n",
        "lambda: (yield)\n",
        "x = 0777L + 0xFFl\n",
        "s = ur'x' + b'y'\n",
        "@d\nasync def f():\n    await g()\n    async with a as b:\n        pass\n",
        "def f(a, *, b=1, **k) -> int:\n    return (x := a)\n",
        "x[1:2, ::3, ...]\n",
        "try:\n    pass\nexcept E, e:\n    raise E, 'm', tb\n",
        "\ufeffx = 1\n",
        "x = 1\r\ny = 2\r\n",
        "def f():\n\tif x:\n        return 1\n",
        # a long chain of pending frames resumed part-way, popped through, or
        # failing at a pending frame (see fastparse._Chain)
        "y = not a.b[c](d) ** -e in f or g and h if i else j\n",
        "x = [k for k in -a + b * c if k]\n",
        "f(x))\n",
        "x = )\n",
        "a = = b\n",
    ],
)
def test_edge_cases_match_fissix(text):
    _same(text)


def _mutants(seed: int, count: int):
    """``count`` seeded mutants (1-4 mutations each) of generated
    research-shaped files and the legacy corpus."""
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from realtree import make_file

    rnd = random.Random(seed)
    texts = [make_file(rnd, kind, long=False) for kind in ("legacy", "modern", "py2", "plain")]
    texts += [p.read_text() for p in sorted((ROOT / "corpus" / "legacy").glob("*.py"))]
    for _ in range(count):
        text = rnd.choice(texts)
        for _ in range(rnd.randint(1, 4)):
            text = fuzzlib.mutate(rnd, text)
        yield text


def test_generated_and_mutated_files_match_fissix():
    errors = sum(not _same(text) for text in _mutants(20261201, 400))
    assert errors > 0  # the error path was exercised too


# -- the tokenizer's fast path (codemods.fastparse._scan) ---------------------

from codemods import fastparse  # noqa: E402

_SCAN_CASES = [
    "",
    "x = 1\n",
    "if x:\n    y = (1,\n  2)  # c\n\n  # odd comment\nz\n",
    "def f():\n\tif x:\n\t\treturn 1\n        return 2\n",
    "s = \"a\\\nb\"\nt = u'x\\\n\\\ny'\n",
    "s = \"\"\"a\n\\\n\"\"\" + r'''b''' ; q = 1\n",
    "x = 1 + \\\n    2\n",
    "f(async=True)\nx.cuda(async=True)\nawait_ = 1\n",
    "async def f():\n    await g()\n",
    "x = 1\fy\n",
    "é = 1\nnaïve(x)\n",
    "x = ١\n",
    "x = )\ny = 1\n",
    "x = .5 + 1. + 0xFFL + 1e-3j + a.b\n",
    "print >>f, `x`, a <> b\n",
    "x = 'unterminated\n",
    "x = (\n",
    "class A:\n    pass\n  # tail comment\n\n",
    "x = 1",
    "@dec\ndef f(a, *, b=1, **k) -> int:\n    return (x := a)\n",
]


def _scan_or_none(text: str):
    try:
        return list(fastparse._scan(text))
    except fastparse._Unsupported:
        return None


def _scan_agrees(text: str) -> bool:
    """``_scan`` yields fissix's stream or says it cannot; True when it can."""
    got = _scan_or_none(text)
    if got is None:
        return False
    try:
        want = list(fastparse._fissix_tokens(text))
    except Exception:  # noqa: BLE001 - fissix's tokenizer rejects the text
        raise AssertionError(f"the fast path took a text fissix rejects: {text[:120]!r}") from None
    assert got == want, f"the fast path's tokens differ on {text[:120]!r}"
    return True


@pytest.mark.parametrize("text", _SCAN_CASES)
def test_fast_tokens_are_fissix_tokens(text):
    _scan_agrees(text)
    _same(text)


def test_fast_tokens_on_shipped_generated_and_mutated_files():
    """Same tokens, prefixes and positions as fissix's tokenizer and driver;
    and the fast path is the one taken (fissix's only for what it skips)."""
    files = [p.read_text(encoding="utf-8", errors="replace") for p in _shipped()]
    fast = sum(_scan_agrees(text) for text in files)
    assert fast >= 0.95 * len(files), (fast, len(files))
    taken = sum(_scan_agrees(text) for text in _mutants(20261202, 600))
    assert taken > 300


def _source_outcome(parse, text: str):
    try:
        tree, py2 = parse(text)
    except Exception as exc:  # noqa: BLE001 - the error is part of the outcome
        return ("error", type(exc).__name__, str(exc))
    return ("tree", py2, _signature(tree, []), str(tree))


def test_parse_source_matches_fissix_on_every_grammar_path():
    """The engine's parse_source (no fissix driver run for a grammar that
    fails) gives fissix's tree, grammar and error: Python 3 files, Python 2
    files (both Python 2 grammars) and files no grammar accepts."""
    from codemods.base import fissix_parse_source, parse_source

    texts = list(_SCAN_CASES)
    texts += [
        "print 'x'\n",
        "from __future__ import print_function\nexec 'x = 1'\nprint(1)\n",
        "def f(:\n",
        "print 'x'\ndef f(:\n",
    ]
    texts += _mutants(7, 150)
    kinds = set()
    for text in texts:
        want = _source_outcome(fissix_parse_source, text)
        got = _source_outcome(parse_source, text)
        assert got == want, f"parse_source differs on {text[:120]!r}"
        kinds.add(want[0] if want[0] == "error" else ("py2" if want[1] else "py3"))
    assert kinds == {"py3", "py2", "error"}


def test_leaves_share_an_empty_fixers_applied_that_marks_replace():
    """The parser's leaves share one empty ``fixers_applied``; a TM3xx mark
    gives the marked leaf a list of its own (no other leaf is marked), and
    clones keep working."""
    from codemods import _py2

    tree = FastDriver(GRAMMARS["py2"]).try_parse("print x, y\n")
    x, y = [leaf for leaf in tree.leaves() if leaf.value in ("x", "y")]
    assert x.fixers_applied == () and x.fixers_applied is y.fixers_applied
    _py2.mark(x, "t")
    assert _py2.marked(x, "t") and not _py2.marked(y, "t")
    assert y.fixers_applied == () and _py2.marked(x.clone(), "t")
    assert not _py2.marked(y.clone(), "t")
