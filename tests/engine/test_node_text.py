"""``engine.node_text`` prints a tree exactly as fissix's ``str`` does: on
every node of every file the project ships, on trees changed by the rules
(nodes inserted, removed and replaced, prefixes moved), and on hand-built
leaves and empty nodes."""

from __future__ import annotations

from pathlib import Path

from fissix import pytree
from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms

from codemods import all_rules
from codemods.base import parse_source
from torchmigrate import engine
from torchmigrate.engine import node_text

ROOT = Path(__file__).resolve().parents[2]


def _every_node_agrees(tree) -> int:
    n = 0
    for node in tree.pre_order():
        assert node_text(node) == str(node)
        n += 1
    return n


def test_every_node_of_shipped_files():
    files = sorted((ROOT / "corpus" / "legacy").glob("*.py")) + sorted(
        (ROOT / "codemods").glob("tm0*.py")
    )
    total = 0
    for path in files:
        tree, _py2 = parse_source(path.read_text())
        total += _every_node_agrees(tree)
    assert total > 50_000


def test_trees_the_rules_changed():
    """The engine prints units of trees its fixes changed: the same text."""
    seen = []
    real_run = engine._run

    def spy(tree, *args, **kwargs):
        out = real_run(tree, *args, **kwargs)
        if "tree" in out:
            seen.append(_every_node_agrees(out["tree"]))
        return out

    engine._run = spy
    try:
        rules = all_rules()
        for path in sorted((ROOT / "corpus" / "legacy").glob("*.py"))[:8]:
            engine.migrate(path.read_text(), rules, unsafe_fixes=True)
    finally:
        engine._run = real_run
    assert len(seen) >= 8 and all(seen)


def test_hand_built_nodes():
    leaf = pytree.Leaf(token.NAME, "x", prefix="  ")
    empty = pytree.Node(syms.atom, [])
    node = pytree.Node(syms.power, [leaf, pytree.Node(syms.trailer, [empty])])
    for n in (leaf, empty, node):
        assert node_text(n) == str(n)
    assert node_text(node) == "  x"
