"""The engine's index answers subtree questions (``_Index.within``) so that
rules and the analysis need not walk: the nodes of a type inside a subtree,
and every scope's binding table.  Property: on every corpus program, rule
example and a file of corner cases, each answer equals the walk it replaces
-- the same nodes, in the same order."""

from __future__ import annotations

from pathlib import Path

import pytest
from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms

from codemods import all_rules
from codemods.analysis import scopes
from codemods.base import FileContext, parse_source, subtree_of_type, walk
from torchmigrate.engine import _Index, reference_mode

ROOT = Path(__file__).resolve().parents[2]

# Bindings the walk of collect_bindings must see, or must not see, in odd places.
CORNERS = """\
import os, sys as system
from torch.autograd import Variable as V, grad
global_total = 0


def gen(a, b=lambda q: (yield q), *rest, c=[w for w in range(3)], **kw):
    global global_total
    x = y = z = 1
    (p, [q, r]), s = (1, [2, 3]), 4
    t: int = 5
    u: int
    x += 1
    for i, (j, k) in enumerate(zip(a, b)):
        yield
        yield i
        yield from j
    with open(a) as fh, open(b) as (g1, g2):
        pass
    try:
        import json
        from os import path as osp
    except (ValueError, TypeError) as err:
        pass
    except (e2 := KeyError) as err2:
        pass
    if (n := len(a)) > 2:
        return n
    lam = lambda m, *ms, **mk: (m2 := m)
    comp = [(v := e) for e in a if (f := e)]
    gen2 = (yy for yy in a)
    dd = {kk: vv for kk, vv in kw.items()}

    def inner(ii=lambda: (nn := 1)):
        nonlocal x
        x = ii
        return lambda: lambda: (yield)

    class Local(object):
        attr = 1

        def method(self):
            return self.attr

    return inner


class Outer(Local if False else object, metaclass=type):
    klass = (lambda: 1)()
    [cc for cc in range(2)]

    @staticmethod
    def deco(d=(yield)):
        pass

    async def coro(self):
        async with self as am:
            pass
        async for ai in self:
            await ai


answer = lambda: (yield)
"""

PY2 = """\
def old(a, (b, c)):
    try:
        pass
    except ValueError, e:
        print e
    exec "x = 1"
    return b
"""


def _texts() -> list:
    texts = [CORNERS, PY2]
    texts += [p.read_text() for p in sorted((ROOT / "corpus" / "legacy").rglob("*.py"))]
    texts += [p.read_text() for p in sorted((ROOT / "corpus" / "modern").rglob("*.py"))]
    texts += [ex.before for r in all_rules() for ex in r.examples]
    texts += [ex.after for r in all_rules() for ex in r.examples if ex.after]
    return texts


def _ctx(text: str):
    tree, py2 = parse_source(text)
    ctx = FileContext(tree=tree, filename="t.py", py2_grammar=py2, text=text)
    return ctx, _Index(tree)


def _table(b) -> tuple:
    """A binding table, comparable: node identities, not node equality."""

    def ident(x):
        if isinstance(x, tuple):
            return tuple(ident(i) for i in x)
        return ("node", id(x)) if hasattr(x, "type") else x

    return (
        {name: [ident(bd) for bd in binds] for name, binds in b.names.items()},
        [ident(a) for a in b.attrs],
        [ident(r) for r in b.returns],
        b.yields,
        sorted(b.global_names),
    )


def test_the_corner_file_parses_with_the_python3_grammar():
    tree, py2 = parse_source(CORNERS)
    assert not py2
    assert parse_source(PY2)[1]


@pytest.mark.parametrize("chunk", range(4))
def test_binding_tables_from_the_index_equal_the_walk(chunk):
    texts = _texts()
    checked = 0
    for text in texts[chunk::4]:
        try:
            ctx, index = _ctx(text)
        except Exception:  # noqa: BLE001 - an example that is no full file
            continue
        scope_nodes = [ctx.tree] + [
            n for n in walk(ctx.tree) if n.type in (syms.funcdef, syms.classdef, syms.lambdef)
        ]
        for scope in scope_nodes:
            walked = _table(scopes.collect_bindings(scope))
            ctx.index = index
            indexed = _table(scopes.collect_bindings(scope, ctx))
            ctx.index = None
            assert indexed == walked, (str(scope)[:200], text[:200])
            checked += 1
    assert checked > 100


def test_the_corner_file_binds_what_python_binds():
    """The corner file itself, spelled out: what each scope's table holds."""
    ctx, index = _ctx(CORNERS)
    ctx.index = index
    funcs = {n.children[1].value: n for n in walk(ctx.tree) if n.type == syms.funcdef}
    gen = scopes.collect_bindings(funcs["gen"], ctx)
    for name in "a b rest c kw x y z p q r s t i j k fh g1 g2 json osp err err2 e2 n lam comp gen2 dd inner Local v".split():
        assert name in gen.names, name
    # not in gen's own scope: comprehension, lambda and nested-def names (a
    # walrus in the element of a comprehension binds in gen, as in Python)
    for name in ("u", "e", "yy", "kk", "m2", "ii", "nn", "attr", "method", "q2"):
        assert name not in gen.names, name
    assert gen.yields and gen.global_names == {"global_total"}
    assert [str(r).strip() for r in gen.returns] == ["n", "inner"]
    outer = scopes.collect_bindings(
        next(
            n for n in walk(ctx.tree) if n.type == syms.classdef and n.children[1].value == "Outer"
        ),
        ctx,
    )
    assert set(outer.names) == {"klass", "deco", "coro"}
    module = scopes.collect_bindings(ctx.tree, ctx)
    assert {"os", "system", "V", "grad", "global_total", "gen", "Outer", "answer"} <= set(
        module.names
    )
    assert not module.yields  # (the yields are in lambdas and functions)


@pytest.mark.parametrize("chunk", range(2))
def test_subtree_queries_equal_the_walk(chunk):
    kinds = (syms.power, syms.funcdef, syms.classdef, syms.expr_stmt, token.NAME, token.STRING)
    checked = 0
    for text in _texts()[chunk::2]:
        try:
            ctx, index = _ctx(text)
        except Exception:  # noqa: BLE001
            continue
        ctx.index = index
        for node in index.nodes[:: max(1, len(index.nodes) // 60)]:
            for t in kinds:
                want = [n for n in walk(node) if n.type == t]
                got = subtree_of_type(ctx, node, t)
                assert len(got) == len(want) and all(a is b for a, b in zip(got, want))
                checked += 1
    assert checked > 1000


def test_nodes_outside_the_index_and_the_reference_engine_walk():
    ctx, index = _ctx("x = f(a)\n")
    ctx.index = index
    tree2, _ = parse_source("y = g(b)\n")  # not in the index
    assert index.within(tree2, syms.power) is None
    assert [str(n).strip() for n in subtree_of_type(ctx, tree2, syms.power)] == ["g(b)"]
    with reference_mode():
        assert index.within(ctx.tree, syms.power) is None
    assert [str(n).strip() for n in index.within(ctx.tree, syms.power)] == ["f(a)"]
