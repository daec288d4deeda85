"""The engine: text in, result out.  No I/O, no printing.

``migrate(text, rules)`` parses the text with fissix (Python 3 grammar, then
the Python 2 grammar), runs every selected rule in one traversal per pass,
applies the fixes that the safety policy allows, repeats until a pass changes
nothing, re-parses the output and returns a :class:`FileResult`.  It never
returns code that does not parse: a rule whose output breaks the file is
reported as a failure of that rule on that file and its fixes are dropped.
"""

from __future__ import annotations

import ast
import bisect
import collections
import difflib
import functools
import keyword
import os
import re
import warnings
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Optional

from fissix import pytree
from fissix.fixer_base import BaseFix
from fissix.pgen2 import token
from fissix.pgen2.parse import ParseError
from fissix.pgen2.tokenize import TokenError
from fissix.pygram import python_symbols as syms

from codemods.analysis import Analysis
from codemods.base import (
    FLOAT,
    MANUAL,
    SAFE,
    UNSAFE,
    FileContext,
    Finding,
    Rule,
    RuleFixer,
    collect_imports,
    is_attached,
    leaves_of,
    parse_source,
    wanted_rules,
)
from torchmigrate import modern_syntax, names, suppressions
from torchmigrate.gcpolicy import automatic_gc_paused

MAX_PASSES = 8


@dataclass
class FileResult:
    """What the engine did to one text."""

    old: str
    new: str
    fixes: list = field(default_factory=list)  # applied Findings
    findings: list = field(default_factory=list)  # remaining (not applied) Findings
    errors: list = field(default_factory=list)  # one-line messages
    py2: bool = False
    suppressed: int = 0
    parsed: bool = True
    # The suppression comments of the last pass, with the ones that silenced a
    # finding marked (``suppressions.problems``); None when nothing was suppressible.
    suppressions: Optional[suppressions.Suppressions] = None
    # engine statistics (benchmarks): passes of the final run (0 = not
    # parsed: no rule wanted the text) and runs (> 1 when fixes were backed out)
    passes: int = 0
    runs: int = 0

    @property
    def changed(self) -> bool:
        return self.old != self.new

    @property
    def failed(self) -> bool:
        return bool(self.errors)


class MigrationError(Exception):
    """The text could not be processed at all (e.g. it does not parse)."""

    def __init__(self, message: str, line: Optional[int] = None):
        super().__init__(message)
        self.line = line


# --------------------------------------------------------------------------
_FIXERS: dict = {}


def _fixer(cls: type) -> RuleFixer:
    inst = _FIXERS.get(cls)
    if inst is None:
        inst = cls()
        _FIXERS[cls] = inst
    return inst


def _head_types(pattern) -> Optional[set]:
    """Node types a compiled pattern can match at its root (None = any)."""
    if pattern is None:
        return None
    if getattr(pattern, "type", None) is not None:
        return {pattern.type}
    content = getattr(pattern, "content", None)
    if isinstance(pattern, pytree.WildcardPattern) and content:
        types: set = set()
        for alt in content:
            if len(alt) != 1:
                return None
            sub = _head_types(alt[0])
            if sub is None:
                return None
            types |= sub
        return types
    return None


def _preorder_ids(tree) -> dict:
    """id(node) -> position of the node in ``tree.pre_order()``."""
    order: dict = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        order[id(node)] = len(order)
        children = node.children
        if children:
            stack.extend(reversed(children))
    return order


# Literal index ----------------------------------------------------------
# A NAME literal of a pattern that occurs in ordinary code too often to be a
# useful filter; a clause made of such literals is only used as a last resort.
_COMMON_LITERALS = frozenset(keyword.kwlist) | {"self", "cls", "print", "exec"}


def _required(pattern) -> list:
    """Clauses (sets of NAME values) a node's subtree must satisfy to match:
    for every clause, one of its values occurs as a NAME leaf in the subtree.
    Conservative: ``[]`` (no requirement) whenever in doubt."""
    if isinstance(pattern, pytree.LeafPattern):
        if pattern.type == token.NAME and isinstance(pattern.content, str):
            return [frozenset((pattern.content,))]
        return []
    if isinstance(pattern, pytree.NodePattern):
        if pattern.content is None:
            return []
        out: list = []
        for sub in pattern.content:
            out.extend(_required(sub))
        return out
    if isinstance(pattern, pytree.WildcardPattern):
        if pattern.content is None or pattern.min < 1:
            return []
        picks: list = []
        for alt in pattern.content:
            clauses: list = []
            for sub in alt:
                clauses.extend(_required(sub))
            if len(pattern.content) == 1:
                return clauses
            best = _best_clause(clauses)
            if best is None:
                return []
            picks.append(best)
        return [frozenset().union(*picks)]
    return []  # NegatedPattern and anything unknown


def _best_clause(clauses: list) -> Optional[frozenset]:
    best = None
    for clause in clauses:
        score = (sum(v in _COMMON_LITERALS for v in clause), len(clause))
        if best is None or score < best[0]:
            best = (score, clause)
    return None if best is None else best[1]


def _literals(fx) -> Optional[frozenset]:
    """Tokens one of which must occur in any node ``fx`` reports at, or None.

    The fixer's declared ``TRIGGERS`` when it has them; otherwise, for
    fixers that use the base class's ``match`` with their compiled pattern,
    the NAME values the pattern requires (when they are a useful filter)."""
    key = type(fx)
    if key in _LITERALS:
        return _LITERALS[key]
    if fx.TRIGGERS is not None:
        clause = frozenset(fx.TRIGGERS)
    elif type(fx).match is not BaseFix.match and not fx.MATCH_IMPLIES_PATTERN:
        clause = None
    else:
        clause = _best_clause(_required(fx.pattern))
        if clause is not None and any(v in _COMMON_LITERALS for v in clause):
            clause = None
    _LITERALS[key] = clause
    return clause


_LITERALS: dict = {}

# Tokens too frequent to prefer as a child literal (any other one is rarer).
_FREQUENT_TOKENS = frozenset("(),.=:[]")


def _child_literals(fx) -> Optional[frozenset]:
    """Tokens one of which must be a *direct child* of any node ``fx``
    matches, from its pattern (the same conditions as :func:`_literals`),
    or None.  A literal leaf in the head node's content -- or in the one
    alternative of a wildcard there that must occur -- matches exactly one
    of the node's children, so the nodes to visit are parents of such
    leaves: no walk over their ancestors, no visit of a node that only
    contains one deeper down (``trailer< '[' any ']' >`` then visits the
    subscripts, not every trailer).  Only NAME and operator leaves, whose
    text is their index key (see :func:`_leaf_key`)."""
    key = type(fx)
    if key in _CHILD_LITERALS:
        return _CHILD_LITERALS[key]
    found: list = []
    p = fx.pattern
    usable = fx.TRIGGERS is None and (type(fx).match is BaseFix.match or fx.MATCH_IMPLIES_PATTERN)
    if usable and isinstance(p, pytree.NodePattern) and p.type is not None and p.content:
        parts = list(p.content)
        while parts:
            sub = parts.pop()
            if isinstance(sub, pytree.LeafPattern):
                if (
                    isinstance(sub.content, str)
                    and sub.type is not None
                    and sub.type not in (token.STRING, token.NUMBER)
                ):
                    found.append(sub.content)
            elif (
                isinstance(sub, pytree.WildcardPattern)
                and sub.content is not None
                and sub.min >= 1
                and len(sub.content) == 1
            ):
                parts.extend(sub.content[0])
    best = None
    if found:
        rare = [v for v in found if v not in _FREQUENT_TOKENS and v not in _COMMON_LITERALS]
        best = frozenset((sorted(rare) or sorted(found))[:1])
    _CHILD_LITERALS[key] = best
    return best


_CHILD_LITERALS: dict = {}

# Set TORCHMIGRATE_CHECK_DISPATCH=1 to make the engine visit the nodes a
# fixer's triggers exclude and fail loudly when one of them reports (tests).
CHECK_DISPATCH = os.environ.get("TORCHMIGRATE_CHECK_DISPATCH", "") not in ("", "0")


class DispatchError(AssertionError):
    """A fixer reported at a node its declared triggers exclude."""


# The reference engine (tests): no triggers, fissix's own pattern matching,
# every node of a fixer's head types is matched and visited, a fresh
# analysis in every pass, every pass re-runs every rule everywhere.
_REFERENCE = False


@contextmanager
def reference_mode():
    """Run :func:`migrate` as the plain reference engine inside the block."""
    global _REFERENCE
    saved = _REFERENCE
    _REFERENCE = True
    try:
        yield
    finally:
        _REFERENCE = saved


def _trigger_aliases(imports: dict, names: frozenset) -> dict:
    """trigger name -> local names bound by imports whose origin ends with it."""
    out: dict = {}
    for local, origin in imports.items():
        last = origin.rsplit(".", 1)[-1]
        if last != local and last in names:
            out.setdefault(last, set()).add(local)
    return out


_FLOATS: dict = {}


def _leaf_key(leaf) -> Optional[str]:
    """The trigger token of a leaf: its text, FLOAT for a float literal."""
    if leaf.type == token.NUMBER:
        v = leaf.value
        hit = _FLOATS.get(v)
        if hit is None:
            try:
                hit = isinstance(ast.literal_eval(v.rstrip("lL")), float)
            except Exception:  # noqa: BLE001 - Python 2 octals etc.
                hit = False
            _FLOATS[v] = hit
        return FLOAT if hit else None
    if leaf.type == token.STRING:
        return None
    return leaf.value


class _Index:
    """One walk of the tree per pass: pre-order ids, the nodes by type (for
    fixers without triggers, imports, ``nodes_of_type``), and the leaves by
    trigger token (NAME and operator text, FLOAT for float literals); on
    first use per token, the nodes whose subtree contains such a leaf.

    The index keeps the nodes alive so that their ids stay unique."""

    def __init__(self, tree, roots=None):
        nodes: list = []
        append = nodes.append
        buckets: collections.defaultdict = collections.defaultdict(list)
        by_value: collections.defaultdict = collections.defaultdict(list)
        stack = [tree] if roots is None else list(reversed(roots))  # roots: some subtrees
        pop = stack.pop
        extend = stack.extend
        number = token.NUMBER
        string = token.STRING
        while stack:
            node = pop()
            append(node)
            t = node.type
            buckets[t].append(node)
            children = node.children
            if children:
                extend(children[::-1])
                continue
            if t == string or t >= 256:  # (a node a fix emptied: no token)
                continue
            key = _leaf_key(node) if t == number else node.value
            if key is None:
                continue
            by_value[key].append(node)
        self.order = dict(zip(map(id, nodes), range(len(nodes))))
        self.nodes = nodes
        # (plain dicts: a lookup must not add an empty entry)
        self.buckets = dict(buckets)
        self.by_value = dict(by_value)
        self._inside: dict = {}
        self._of_types: dict = {}
        self._containing: dict = {}
        self._keys: dict = {}  # type -> the pre-order ids of its bucket
        self._ancestors: dict = {}  # token -> see ancestors()

    def leaves(self, key: str) -> list:
        """The leaves whose trigger token is ``key``."""
        return self.by_value.get(key, [])

    def containing(self, lits, types) -> list:
        """ids of the nodes whose type is in ``types`` (any type when None)
        and whose subtree contains a leaf with one of the tokens ``lits``."""
        key = (lits, types)
        hit = self._containing.get(key)
        if hit is not None:
            return hit
        if len(lits) == 1:
            (lit,) = lits
            if types is None:
                out = [id(n) for n in self.ancestors(lit)]
            else:
                out = [id(n) for n in self.ancestors(lit) if n.type in types]
        else:
            seen: set = set()
            out = []
            for lit in lits:
                for n in self.ancestors(lit):
                    i = id(n)
                    if i not in seen:
                        seen.add(i)
                        if types is None or n.type in types:
                            out.append(i)
        self._containing[key] = out
        return out

    def ancestors(self, lit: str) -> list:
        """The nodes whose subtree contains a leaf with trigger token ``lit``
        (the leaves included), each once; computed once per token and shared
        by every fixer that token triggers."""
        hit = self._ancestors.get(lit)
        if hit is None:
            hit = self._ancestors[lit] = []
            seen: set = set()
            for leaf in self.by_value.get(lit, ()):
                cur = leaf
                while cur is not None:
                    i = id(cur)
                    if i in seen:
                        break
                    seen.add(i)
                    hit.append(cur)
                    cur = cur.parent
        return hit

    def parents(self, lits, types) -> list:
        """ids of the nodes whose type is in ``types`` and that have a child
        leaf with one of the tokens ``lits`` (like :meth:`containing`, which
        also takes every ancestor)."""
        key = (lits, types, "parents")
        hit = self._containing.get(key)
        if hit is None:
            hit = []
            seen: set = set()
            by_value = self.by_value
            for lit in lits:
                for leaf in by_value.get(lit, ()):
                    parent = leaf.parent
                    if parent is not None and parent.type in types and id(parent) not in seen:
                        seen.add(id(parent))
                        hit.append(id(parent))
            self._containing[key] = hit
        return hit

    def of_types(self, types) -> list:
        """The nodes whose type is in ``types``, in pre-order."""
        key = frozenset(types)
        hit = self._of_types.get(key)
        if hit is None:
            buckets = self.buckets
            lists = [buckets[t] for t in key if t in buckets]
            if len(lists) == 1:
                hit = lists[0]
            else:
                order = self.order
                hit = sorted((n for b in lists for n in b), key=lambda n: order[id(n)])
            self._of_types[key] = hit
        return hit

    def within(self, node, t) -> Optional[list]:
        """The nodes (or leaves) of type ``t`` in ``node``'s subtree, ``node``
        included, in pre-order -- a slice of the type's bucket, found by
        bisection on the pre-order ids (a subtree is a contiguous range of
        them).  None when ``node`` is not in this index (a node a fix or a
        rule built), and always for the reference engine: the caller walks
        the subtree instead."""
        if _REFERENCE:
            return None
        span = self.span(node)
        if span is None:
            return None
        bucket = self.buckets.get(t)
        if not bucket:
            return []
        keys = self._keys.get(t)
        if keys is None:
            order = self.order
            keys = self._keys[t] = [order[id(n)] for n in bucket]
        return bucket[bisect.bisect_left(keys, span[0]) : bisect.bisect_right(keys, span[1])]

    def span(self, node) -> Optional[tuple]:
        """(first, last) pre-order ids of ``node``'s subtree, or None when
        ``node`` is not in this index."""
        order = self.order
        start = order.get(id(node))
        if start is None:
            return None
        last = node
        while last.children:
            last = last.children[-1]
        return start, order[id(last)]

    def inside(self, key: str) -> set:
        """ids of the nodes that contain a leaf with trigger token ``key``."""
        marks = self._inside.get(key)
        if marks is None:
            marks = self._inside[key] = {id(n) for n in self.ancestors(key)}
        return marks


class _Dispatch:
    """What the engine needs to know about a selection of fixers, computed
    once per selection: per node type the fixers that can match it (in the
    order the traversal visits them), their match functions and triggers."""

    def __init__(self, rules, disabled) -> None:
        fixers = []
        for rule in rules:
            if rule.id in disabled:
                continue
            for cls in rule.fixers:
                fx = _fixer(cls)
                fx.rule_id = rule.id
                fixers.append(fx)
        self.fixers = fixers
        self.whole_file = [fx for fx in fixers if fx.pattern is None]
        self.cleanup = [fx for fx in self.whole_file if fx.CLEANUP]
        by_type: dict = {}
        anywhere = []
        for fx in fixers:
            if fx.pattern is None:
                continue
            types = _head_types(fx.pattern)
            if types is None:
                anywhere.append(fx)
            else:
                for t in types:
                    by_type.setdefault(t, []).append(fx)
        self.by_type = by_type
        self.anywhere = anywhere
        self.typed = [fx for fx in fixers if fx.pattern is not None and fx not in anywhere]
        self.matchers = {id(fx): _matcher(fx) for fx in fixers}
        self.plain_matchers = {id(fx): fx.match for fx in fixers}
        self.needs = {id(fx): _literals(fx) for fx in fixers if fx.pattern is not None}
        self.children = {id(fx): _child_literals(fx) for fx in fixers if fx.pattern is not None}
        self.types = {}
        for fx in fixers:
            if fx.pattern is not None:
                t = _head_types(fx.pattern)
                self.types[id(fx)] = None if t is None else frozenset(t)

    def worklist(self, index: _Index, pass_needs: dict, children: bool = True) -> list:
        """[(node, [fixers])] in pre-order: every node some fixer may match,
        with those fixers in traversal order (by node type, then any type).
        ``children``: narrow fixers without trigger tokens to the nodes with
        one of their child literals (:func:`_child_literals`)."""
        cand: dict = {}  # id(node) -> the fixers that visit it, in visiting order
        nodes, order = index.nodes, index.order
        # fixers of given node types first, then those of any type, each in
        # rule order: the order ``by_type[node.type] + anywhere`` visits them
        for fx in self.typed + self.anywhere:
            if fx.idle:
                continue
            key = id(fx)
            lits = pass_needs[key]
            types = self.types[key]
            kids = self.children[key] if children else None
            if lits:
                ids = index.containing(lits, types)
            elif kids and types is not None:
                ids = index.parents(kids, types)
            elif types is None:
                ids = order  # every node
            else:
                ids = [id(n) for t in types for n in index.buckets.get(t, ())]
            for i in ids:
                hit = cand.get(i)
                if hit is None:
                    cand[i] = [fx]
                elif hit[-1] is not fx:
                    hit.append(fx)
        return [(nodes[k], cand[id(nodes[k])]) for k in sorted([order[i] for i in cand])]

    def probe(self, index: _Index, pass_needs: dict, broken: set, children: bool = True) -> None:
        """Dispatch check: every node a fixer's triggers excluded must make
        it report nothing (raises :class:`DispatchError` otherwise)."""
        for node in index.nodes:
            for fx in (self.by_type.get(node.type) or []) + self.anywhere:
                if fx.rule_id in broken:
                    continue
                lits = pass_needs[id(fx)]
                if lits:
                    if any(id(node) in index.inside(lit) for lit in lits):
                        continue
                else:
                    kids = self.children.get(id(fx)) if children else None
                    if not kids or any(
                        c.type < 256 and _leaf_key(c) in kids for c in node.children
                    ):
                        continue
                _check_skipped(fx, self.matchers[id(fx)], node)


_DISPATCH: dict = {}

# fixer -> its match function.  Compiled once per fixer, not per selection of
# rules: every file's pre-filters pick a different selection, and each
# dispatch used to carry its own closures (tens of thousands of objects each,
# kept alive by the dispatch cache: every collection of the cycle collector
# re-traversed them).
_MATCHERS: dict = {}


def _matcher(fx):
    hit = _MATCHERS.get(fx)
    if hit is None:
        hit = _MATCHERS[fx] = _fast_match(fx) or fx.match
    return hit


def _dispatch(rules, disabled) -> _Dispatch:
    # Keyed by the rule objects, not their ids: a long-lived process (a Dask
    # worker) reloads a user's rule file under the same ids with new code.
    rules = tuple(rules)
    key = (tuple(id(r) for r in rules), frozenset(disabled))
    hit = _DISPATCH.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], rules)):
        return hit[1]
    if len(_DISPATCH) > 64:
        _DISPATCH.clear()
    d = _Dispatch(rules, disabled)
    _DISPATCH[key] = (rules, d)  # (the rules kept alive: their ids stay theirs)
    return d


# Exact, faster equivalents of common capture-free patterns (same results:
# ``{"node": node}``).  Keyed by the whitespace-normalised PATTERN text.
def _fast_power_call_chain(node) -> bool:
    # power< any trailer< any* >+ any* >
    kids = node.children
    return node.type == syms.power and len(kids) >= 2 and kids[1].type == syms.trailer


def _fast_power_trailers(node) -> bool:
    # power< any trailer+ >
    kids = node.children
    if node.type != syms.power or len(kids) < 2:
        return False
    trailer = syms.trailer
    return all(k.type == trailer for k in kids[1:])


_FAST_PATTERNS = {
    "power< any trailer< any* >+ any* >": _fast_power_call_chain,
    "power< any trailer+ >": _fast_power_trailers,
}


def _fast_match(fx):
    """A faster exact replacement of ``fx.match`` where one is known: a
    hand-written test for the two commonest patterns, else the pattern
    compiled to plain Python (:func:`_compile_pattern`), else fissix's
    matcher behind a cheap necessary test (:func:`_pattern_prefilter`)."""
    own_match = type(fx).match is not BaseFix.match
    if own_match or not isinstance(fx.PATTERN, str):
        if own_match and fx.MATCH_IMPLIES_PATTERN and fx.pattern is not None:
            return _guarded(fx.match, _pattern_prefilter(fx.pattern))
        return None
    test = _FAST_PATTERNS.get(" ".join(fx.PATTERN.split()))
    if test is not None:

        def match(node):
            return {"node": node} if test(node) else False

        return match
    compiled = _compile_pattern(fx.pattern)
    if compiled is None:
        return _guarded(fx.match, _pattern_prefilter(fx.pattern))

    def match_compiled(node):
        results = {"node": node}
        return results if compiled(node, results) else False

    return match_compiled


def _guarded(match, test):
    """``match`` behind ``test`` (a necessary condition), or None."""
    if test is None:
        return None

    def guarded(node):
        return match(node) if test(node) else False

    return guarded


def _pattern_prefilter(p):
    """A cheap necessary condition for ``p.match(node)``: the node's type and
    the children before the pattern's first variable-length wildcard (fissix
    runs its backtracking matcher over the whole sequence even when the
    second child already differs).  None when there is nothing to test."""
    if isinstance(p, pytree.LeafPattern):
        leaf_match = _compile_leaf(p)
        return lambda node: leaf_match(node, None)
    if isinstance(p, pytree.WildcardPattern):
        tests = _single_alternatives(p, _pattern_prefilter)
        if tests is None:
            return None

        def any_alternative(node):
            return any(t(node) for t in tests)

        return any_alternative
    if not isinstance(p, pytree.NodePattern):
        return None
    ptype = p.type
    lead: list = []
    if p.content is not None:
        content = list(p.content)
        if (
            len(content) == 1
            and isinstance(content[0], pytree.WildcardPattern)
            and content[0].min == content[0].max == 1
            and content[0].content is not None
            and len(content[0].content) == 1
            and not content[0].name
        ):
            content = list(content[0].content[0])
        for sub in content:
            one_node = isinstance(sub, (pytree.LeafPattern, pytree.NodePattern)) or (
                isinstance(sub, pytree.WildcardPattern)
                and sub.content is not None
                and sub.min == sub.max == 1
                and all(
                    len(alt) == 1 and isinstance(alt[0], (pytree.LeafPattern, pytree.NodePattern))
                    for alt in sub.content
                )
            )
            if not one_node:  # variable length, or a zero-width ``not`` test
                break
            t = _pattern_prefilter(sub)
            lead.append(t if t is not None else _ANY)
    if ptype is None and not lead:
        return None
    n_lead = len(lead)

    def node_test(node):
        if ptype is not None and node.type != ptype:
            return False
        if n_lead:
            kids = node.children
            if len(kids) < n_lead:
                return False
            for t, kid in zip(lead, kids):
                if not t(kid):
                    return False
        return True

    return node_test


def _ANY(node) -> bool:  # noqa: N802 - a constant-like test
    return True


def _compile_pattern(p):
    """``p.match(node, results)`` of a fissix pattern as a plain function, for
    the shapes the rules use (leaves, nodes with fixed children or one
    ``any*``-style wildcard, single-node alternatives); None for anything
    else.  Same answers and the same results dict as fissix's matcher, whose
    wildcard machinery (recursive generators, stderr swapping) dominates the
    cost of matching a simple pattern."""
    if isinstance(p, pytree.LeafPattern):
        return _compile_leaf(p)
    if isinstance(p, pytree.NodePattern):
        return _compile_node(p)
    if isinstance(p, pytree.WildcardPattern):
        alts = _single_alternatives(p, fissix_for_the_rest=True)
        if alts is None:
            return None
        name = p.name

        def match_alternatives(node, results):
            for alt in alts:
                r = {}
                if alt(node, r):
                    if results is not None:
                        results.update(r)
                        if name:
                            results[name] = [node]
                    return True
            return False

        return match_alternatives
    return None


def _single_alternatives(p, compile_one=None, fissix_for_the_rest=False) -> Optional[list]:
    """The alternatives of a wildcard that matches exactly one node, each
    compiled by ``compile_one`` (default :func:`_compile_pattern`); None when
    the wildcard is not of that form or an alternative does not compile.

    ``fissix_for_the_rest``: an alternative that does not compile keeps
    fissix's own matcher instead (the same answer: fissix tries a one-node
    alternative by calling its ``match``), as long as one of them compiles
    -- Bowler's ``select_method``: a definition, a call or an import."""
    if p.content is None or p.min != 1 or p.max != 1:
        return None
    compile_one = compile_one or _compile_pattern
    out = []
    compiled = 0
    for alt in p.content:
        if len(alt) != 1:
            return None
        sub = compile_one(alt[0])
        if sub is not None:
            compiled += 1
        elif fissix_for_the_rest and isinstance(alt[0], (pytree.LeafPattern, pytree.NodePattern)):
            sub = alt[0].match
        else:
            return None
        out.append(sub)
    return out if compiled else None


def _compile_leaf(p):
    ptype, content, name = p.type, p.content, p.name
    leaf_cls = pytree.Leaf

    def match_leaf(node, results):
        if not isinstance(node, leaf_cls):
            return False
        if ptype is not None and node.type != ptype:
            return False
        if content is not None and content != node.value:
            return False
        if results is not None and name:
            results[name] = node
        return True

    return match_leaf


def _compile_node(p):
    ptype, name = p.type, p.name
    if p.content is None:

        def match_any_child(node, results):
            if ptype is not None and node.type != ptype:
                return False
            if results is not None and name:
                results[name] = node
            return True

        return match_any_child
    # children: fixed one-node patterns around at most one ``any{min,max}``
    content = list(p.content)
    if (
        len(content) == 1
        and isinstance(content[0], pytree.WildcardPattern)
        and content[0].min == content[0].max == 1
        and content[0].content is not None
        and len(content[0].content) == 1
        and not content[0].name
    ):
        content = list(content[0].content[0])  # the compiler's ( a b c ) group
    before: list = []
    after: list = []
    wild = None
    each = None  # the wildcard's test of each node it takes (None: any node)
    elems: list = []  # ("one", test) | ("rep", min, max, test or None, name)
    for sub in content:
        rep = _repeat_test(sub) if isinstance(sub, pytree.WildcardPattern) else False
        if rep is not False:
            elems.append(("rep", sub.min, sub.max, rep, sub.name))
            if wild is not None:
                wild = "several"
                continue
            wild = sub
            each = rep
            continue
        if isinstance(sub, pytree.WildcardPattern):
            alts = _single_alternatives(sub)
            if alts is None:
                return None
            f = _alternatives_in_sequence(alts, sub.name)
        else:
            f = _compile_pattern(sub)
            if f is None:
                return None
        elems.append(("one", f))
        (after if wild is not None else before).append(f)
    if wild == "several":
        return _compile_sequence(ptype, name, elems)
    n_fixed = len(before) + len(after)
    if wild is None:

        def match_fixed(node, results):
            if ptype is not None and node.type != ptype:
                return False
            kids = node.children
            if len(kids) != n_fixed:
                return False
            r = {} if results is not None else None
            for f, kid in zip(before, kids):
                if not f(kid, r):
                    return False
            if r:
                results.update(r)
            if results is not None and name:
                results[name] = node
            return True

        return match_fixed
    wmin, wmax, wname = wild.min, wild.max, wild.name
    nb = len(before)

    def match_wild(node, results):
        if ptype is not None and node.type != ptype:
            return False
        kids = node.children
        count = len(kids) - n_fixed
        if count < wmin or count > wmax:
            return False
        r: dict = {}
        for f, kid in zip(before, kids):
            if not f(kid, r):
                return False
        if each is not None:
            for kid in kids[nb : nb + count]:
                if not each(kid):
                    return False
        if wname:
            r[wname] = kids[nb : nb + count]
        for f, kid in zip(after, kids[nb + count :]):
            if not f(kid, r):
                return False
        if results is not None:
            if r:
                results.update(r)
            if name:
                results[name] = node
        return True

    return match_wild


def _repeat_test(p):
    """For a variable-length wildcard that repeats one node: the test of
    each node it takes (None: any node); False for any other wildcard.
    Repeats of a pattern with names inside are not compiled (fissix keeps
    the last repetition's bindings)."""
    if p.min == p.max == 1 and p.content is not None:
        return False  # (one node: an alternative, not a repeat)
    if _any_repeat(p):
        return None
    typed = _typed_repeat(p)
    if typed is not None:
        return typed
    if p.content is None or len(p.content) != 1 or len(p.content[0]) != 1:
        return False
    sub = p.content[0][0]
    if _has_names(sub):
        return False
    f = _compile_pattern(sub)
    if f is None:
        return False
    return lambda node: f(node, None)


def _has_names(p) -> bool:
    if getattr(p, "name", None):
        return True
    content = getattr(p, "content", None)
    if isinstance(p, pytree.LeafPattern) or content is None:
        return False
    if isinstance(p, pytree.WildcardPattern):
        return any(_has_names(x) for alt in content for x in alt)
    return any(_has_names(x) for x in content)


def _compile_sequence(ptype, name, elems: list):
    """A node whose children are a sequence with several variable-length
    wildcards (``power< any* trailer< '.' 'f' > trailer< '(' any* ')' >
    any* >``): backtracking in fissix's order -- each wildcard tries its
    counts from the smallest up, the leftmost first -- so the first full
    match is the one fissix's generators find, with the same bindings."""
    n_elems = len(elems)

    def search(kids, n, k, j, counts) -> bool:
        if k == n_elems:
            return j == n
        e = elems[k]
        if e[0] == "one":
            if j < n and e[1](kids[j], None):
                counts.append(1)
                if search(kids, n, k + 1, j + 1, counts):
                    return True
                counts.pop()
            return False
        _kind, lo, hi, test, _name = e
        hi = min(hi, n - j)
        if lo > hi:
            return False
        if test is not None:
            for kid in kids[j : j + lo]:
                if not test(kid):
                    return False
        c = lo
        while True:
            counts.append(c)
            if search(kids, n, k + 1, j + c, counts):
                return True
            counts.pop()
            if c >= hi or (test is not None and not test(kids[j + c])):
                return False
            c += 1

    def match_sequence(node, results):
        if ptype is not None and node.type != ptype:
            return False
        kids = node.children
        counts: list = []
        if not search(kids, len(kids), 0, 0, counts):
            return False
        if results is not None:
            r: dict = {}
            j = 0
            for e, c in zip(elems, counts):
                if e[0] == "one":
                    e[1](kids[j], r)
                elif e[4]:
                    r[e[4]] = kids[j : j + c]
                j += c
            results.update(r)
            if name:
                results[name] = node
        return True

    return match_sequence


def _any_repeat(p) -> bool:
    """``any*``/``any+``/``any{m,n}``: repeats of one node of any kind."""
    if p.content is None:
        return True
    if len(p.content) != 1 or len(p.content[0]) != 1:
        return False
    sub = p.content[0][0]
    return (
        type(sub) is pytree.NodePattern
        and sub.type is None
        and sub.content is None
        and not sub.name
    )


def _typed_repeat(p):
    """For ``trailer+``-style wildcards (repeats of one node tested by its type
    alone, no names inside): the test of one node; else None."""
    if p.content is None or len(p.content) != 1 or len(p.content[0]) != 1:
        return None
    sub = p.content[0][0]
    if sub.name or sub.content is not None or sub.type is None:
        return None
    ptype = sub.type
    if type(sub) is pytree.NodePattern:
        return lambda node: node.type == ptype
    if type(sub) is pytree.LeafPattern:
        leaf_cls = pytree.Leaf
        return lambda node: isinstance(node, leaf_cls) and node.type == ptype
    return None


def _alternatives_in_sequence(alts: list, name):
    """A one-node wildcard inside a node's children: binds ``name`` to [node]."""

    def match_alt(node, results):
        for alt in alts:
            r = {}
            if alt(node, r):
                if results is not None:
                    results.update(r)
                    if name:
                        results[name] = [node]
                return True
        return False

    return match_alt


def describe_parse_error(exc: BaseException) -> tuple[str, Optional[int]]:
    """A one-line description and line number of a fissix parse failure."""
    if isinstance(exc, ParseError):
        line = exc.context[1][0] if exc.context else None
        tok = exc.value or "end of file"
        return (
            f"invalid syntax near {tok!r} (neither the Python 3 nor the Python 2 grammar accepts it)",
            line,
        )
    if isinstance(exc, TokenError):
        line = exc.args[1][0] if len(exc.args) > 1 else None
        return f"{exc.args[0]}", line
    if isinstance(exc, (IndentationError, SyntaxError)):
        return f"{exc.msg}", exc.lineno
    return f"{type(exc).__name__}: {exc}", None


def parses(text: str) -> bool:
    """True when Python 3.11 or one of fissix's grammars accepts ``text``."""
    try:
        compile(text, "<migrated>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        return True
    except (SyntaxError, ValueError):
        pass
    try:
        parse_source(text)
        return True
    except Exception:
        return False


def _leaves(tree) -> list:
    """``list(tree.leaves())`` without recursive generators."""
    return list(leaves_of(tree))


def _span_leaves(cands: list) -> dict:
    """The first and last leaves of the candidates' nodes, by id."""
    out = {}
    for cand in cands:
        first = _first_leaf(cand.node)
        if first is not None:
            out[id(first)] = first
            last = _last_leaf(cand.node)
            out[id(last)] = last
    return out


def _positions(
    tree, wanted: Optional[dict] = None, texts: Optional[list] = None, cache: Optional[dict] = None
) -> dict:
    """id(leaf) -> (line, col), computed from the printed text, for every
    leaf or for the leaves in ``wanted`` (id -> leaf).  With ``texts`` (the
    text of each of ``tree``'s top-level statements) only the statements
    that hold a wanted leaf are walked; with ``cache`` too (a pass's
    statement cache), their leaves' starts are shared with the line maps
    (see :func:`_unit_entry`)."""
    if wanted is not None and texts is not None:
        cache = {} if cache is None else cache
        units = set()
        for leaf in wanted.values():
            cur = leaf
            while cur.parent is not None and cur.parent is not tree:
                cur = cur.parent
            if cur.parent is tree:
                units.add(id(cur))
        pos: dict = {}
        line, col = 1, 0
        for unit, text in zip(tree.children, texts):
            if id(unit) in units:
                for leaf, at_line, at_col in _unit_entry(unit, text, cache)[2]:
                    if id(leaf) in wanted:
                        pos[id(leaf)] = (line + at_line, at_col if at_line else col + at_col)
            line, col = _advance(line, col, text)
        return pos
    pos = {}
    _leaf_positions(tree, 1, 0, wanted, pos)
    return pos


def _leaf_positions(node, line: int, col: int, wanted: Optional[dict], pos: dict) -> None:
    """Fill ``pos`` for the leaves of ``node`` (in ``wanted`` when given),
    whose text starts at (``line``, ``col``)."""
    for leaf, at_line, at_col in _leaf_starts(node, line, col):
        if wanted is None or id(leaf) in wanted:
            pos[id(leaf)] = (at_line, at_col)


def _leaf_starts(node, line: int = 0, col: int = 0, text: Optional[list] = None) -> list:
    """[(leaf, line, col)] for the leaves of ``node`` in order: where each
    one's token starts (after its prefix) when ``node``'s text starts at
    (``line``, ``col``).  One inline walk (no generator, no call per leaf):
    positions and line origins run it per statement per pass.  ``text``: a
    list the walk also appends the leaves' prefixes and values to (see
    :func:`_text_and_starts`)."""
    out: list = []
    start = out.append
    append = None if text is None else text.append
    stack = [node]
    pop = stack.pop
    extend = stack.extend
    while stack:
        leaf = pop()
        kids = leaf.children
        if kids:
            extend(kids[::-1])
            continue
        if leaf.type >= 256:  # a node a fix emptied
            continue
        prefix = leaf._prefix
        if prefix:
            if append is not None:
                append(prefix)
            n = prefix.count("\n")
            if n:
                line += n
                col = len(prefix) - prefix.rfind("\n") - 1
            else:
                col += len(prefix)
        start((leaf, line, col))
        value = leaf.value
        if type(value) is not str:
            value = str(value)
        if append is not None:
            append(value)
        n = value.count("\n")
        if n:
            line += n
            col = len(value) - value.rfind("\n") - 1
        else:
            col += len(value)
    return out


def _text_and_starts(node) -> tuple:
    """(:func:`node_text` of ``node``, :func:`_leaf_starts` of it) in one walk:
    the engine prints each top-level statement after a pass's fixes, and the
    next pass's positions and line maps need its leaves' starts."""
    parts: list = []
    starts = _leaf_starts(node, text=parts)
    return "".join(parts), starts


def _advance(line: int, col: int, text: str) -> tuple:
    """(line, col) just after ``text`` when it starts at (``line``, ``col``)."""
    n = text.count("\n")
    if n:
        return line + n, len(text) - text.rfind("\n") - 1
    return line, col + len(text)


def _first_leaf(node):
    stack = [node]
    while stack:
        cur = stack.pop()
        kids = cur.children
        if kids:
            stack.extend(kids[::-1])
        elif isinstance(cur, pytree.Leaf):
            return cur
    return None


def _last_leaf(node):
    stack = [node]
    while stack:
        cur = stack.pop()
        kids = cur.children
        if kids:
            stack.extend(kids)
        elif isinstance(cur, pytree.Leaf):
            return cur
    return None


def _span(node, pos: Optional[dict]) -> tuple[int, int, int]:
    """(start line, 1-based start col, end line) of ``node``.  ``pos`` is a
    :func:`_positions` map, or None for a tree as parsed (leaf positions)."""
    first = _first_leaf(node)
    if first is None:
        return 1, 1, 1
    last = _last_leaf(node)
    if pos is None:
        start = (first.lineno, first.column)
        last_line = last.lineno
    else:
        start = pos.get(id(first), (1, 0))
        last_line = pos.get(id(last), start)[0]
    return start[0], start[1] + 1, last_line + last.value.count("\n")


def line_map(old: str, new: str) -> list:
    """For each line number of ``new`` (1-based index), the matching line of ``old``."""
    a = old.split("\n")
    b = new.split("\n")
    out = [0] * (len(b) + 1)
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        for k in range(j1, j2):
            if tag == "equal":
                out[k + 1] = i1 + (k - j1) + 1
            else:
                out[k + 1] = min(i1 + (k - j1), max(i2 - 1, i1)) + 1
    return out


def _forward_map(back: list, n_in: int) -> list:
    """Invert a line map (``back[k]`` = the input line of output line k): for
    each input line (1-based index) the first output line that comes from it,
    or, for a line the edits removed, the first output line after it."""
    fwd = [0] * (n_in + 2)
    s = 1
    for k in range(1, len(back)):
        while s <= n_in and s <= back[k]:
            fwd[s] = k
            s += 1
    last = max(1, len(back) - 1)
    while s <= n_in + 1:
        fwd[s] = last
        s += 1
    return fwd


# Layout tokens move with the statements around them (an INDENT belongs to
# whichever statement is first in its block): they never say where a line
# came from.
_LAYOUT = frozenset({token.INDENT, token.DEDENT, token.NEWLINE, token.ENDMARKER})


def _edit_line_map(
    tree,
    old_lines: list,
    new_text: str,
    original: dict,
    texts: Optional[list] = None,
    cache: Optional[dict] = None,
    upto: Optional[int] = None,
) -> list:
    """For each line of ``new_text`` (the text of ``tree``, 1-based index),
    its line in the input, from the edit history rather than a text diff: a
    line that starts with a leaf of the input maps to that leaf's line (so
    lines that fixes moved or wrapped keep their true origin); a run of lines
    without one (new lines, blank and comment lines, string continuations)
    is aligned with the input lines between its neighbours' origins, with
    difflib's rule for a changed block (equal lines exactly, others in order).
    Linear in the size of the file: difflib only sees those small gaps.
    ``original`` holds the ids of every node of the tree as parsed (the
    pass-0 index, which keeps those nodes alive): a leaf in it is a token of
    the input and its ``lineno`` is still its input line; clones and new
    leaves made by fixes are not in it.

    ``texts`` (the text of each top-level statement of ``tree``) and
    ``cache`` let the origins of a statement be reused from an earlier call
    while it is the same object with the same text and no change recorded
    (the engine drops the entries of the statements a pass changed).

    ``upto`` (with ``texts`` and ``cache``): only lines up to it are wanted;
    the statements after the first origin past it are not looked at, and the
    later entries of the list are 0.  The wanted entries are the full map's:
    each depends only on the origins up to the first one after its line."""
    b = new_text.split("\n")
    n_old = len(old_lines)
    first: dict = {}
    if texts is None or cache is None:
        line = 1
        for leaf in leaves_of(tree):
            prefix = leaf.prefix
            if prefix:
                line += prefix.count("\n")
            if (
                line not in first
                and id(leaf) in original
                and leaf.value
                and leaf.type not in _LAYOUT
            ):
                first[line] = leaf.lineno
            value = leaf.value
            if value:
                line += value.count("\n")
    else:
        base = 1
        past = upto is None  # an origin after ``upto`` is known (or none wanted)
        for unit, text in zip(tree.children, texts):
            if past and upto is not None:
                break
            hit = _unit_entry(unit, text, cache)
            origins = hit[3]
            if origins is None:
                origins = hit[3] = _unit_origins(unit, original, hit[2])
            for rel, orig in origins:
                if base + rel not in first:
                    first[base + rel] = orig
            if not past and origins and base + origins[-1][0] > upto:
                past = True
            base += text.count("\n")
    n_new = len(b)
    out = [0] * (n_new + 1)
    last = n_new if upto is None or texts is None or cache is None else min(upto, n_new)
    k = 1
    while k <= last:
        orig = first.get(k)
        if orig is not None:
            out[k] = orig
            k += 1
            continue
        j1 = k
        while k <= n_new and k not in first:
            k += 1
        i1 = out[j1 - 1] if j1 > 1 else 0  # 0-based: the input line after the previous origin
        i2 = first[k] - 1 if k <= n_new else n_old
        if i2 > i1:
            sm = difflib.SequenceMatcher(None, old_lines[i1:i2], b[j1 - 1 : k - 1], autojunk=False)
            for tag, x1, x2, y1, y2 in sm.get_opcodes():
                for kk in range(y1, y2):
                    if tag == "equal":
                        out[j1 + kk] = i1 + x1 + (kk - y1) + 1
                    else:
                        out[j1 + kk] = i1 + min(x1 + (kk - y1), max(x2 - 1, x1)) + 1
        else:
            for kk in range(j1, k):
                out[kk] = min(i1 + 1, n_old)
    return out


def _unit_entry(unit, text: str, cache: dict) -> list:
    """The cache entry of a top-level statement: [``unit``, its text, its
    leaves' starts (``_leaf_starts(unit)``: lines and columns relative to
    where its text starts), its lines' origins (:func:`_unit_origins`, filled
    in by the line maps)].  Reused while it is the same object with the same
    text and no change recorded (the engine drops the entries of the
    statements a pass changed): the candidates' positions and the line maps
    of a pass then walk each statement once between them."""
    hit = cache.get(id(unit))
    if hit is None or hit[0] is not unit or hit[1] != text or unit.was_changed:
        hit = cache[id(unit)] = [unit, text, _leaf_starts(unit), None]
    return hit


def _unit_origins(unit, original: dict, starts: Optional[list] = None) -> list:
    """[(line within ``unit``'s text (0 = its first), input line)] for the
    lines of ``unit`` that start with a leaf of the input (see
    :func:`_edit_line_map`).  ``starts``: ``_leaf_starts(unit)`` when known."""
    out = []
    seen = set()
    layout = _LAYOUT
    for leaf, line, _col in _leaf_starts(unit) if starts is None else starts:
        if line not in seen and leaf.value and id(leaf) in original and leaf.type not in layout:
            seen.add(line)
            out.append((line, leaf.lineno))
    return out


# --------------------------------------------------------------------------
# Back-out bookkeeping: a fix site is identified across re-runs by its rule,
# the line of the original text it maps to and the text it replaced.
MAX_BACKOUT_ROUNDS = 6
MAX_MINIMIZE_RUNS = 24


@dataclass
class _Applied:
    """What the engine remembers about one applied fix (internal)."""

    finding: Finding
    key: tuple
    before: str  # the text of the site before the fix
    binds: frozenset  # names the site bound before the fix (statements only)
    scope: str  # "f.g": the definitions the site stands in
    pass_no: int


def _migrate(
    text: str,
    rules: Iterable[Rule],
    *,
    unsafe_fixes: bool = False,
    filename: str = "<string>",
    project=None,
) -> FileResult:
    """Run ``rules`` over ``text`` (LF newlines) and return the result.

    ``project`` holds the project model's facts about this module (see
    ``torchmigrate.project``); rules read it as ``ctx.project``.

    The output keeps four invariants, checked on every output (see
    :class:`_Invariants`): it compiles with CPython when the input did (and
    always parses with one of fissix's grammars), its text nests every
    statement in the block the fixes put it in (:func:`_structure_mismatch`),
    no fix leaves a name
    undefined that was defined (project-wide, through ``project``), and no
    assignment/deletion target becomes a call.  Fixes that break one are
    backed out -- only those: the rest of the file is still migrated, and
    each backed-out site is reported as a ``manual`` finding saying why.
    The same happens to sites that keep changing after ``MAX_PASSES``.

    Raises :class:`MigrationError` when the text does not parse.
    """
    result = FileResult(old=text, new=text)
    if suppressions.skips_file(text):
        return result
    rules = wanted_rules(rules, text, project)
    if not rules:
        return result
    added_newline = not text.endswith("\n")
    work = text + "\n" if added_newline else text
    try:
        tree, py2 = parse_source(work)
    except Exception as exc:  # noqa: BLE001 - fissix raises several types
        msg, line = describe_parse_error(exc)
        msg, line = modern_syntax.describe(work, line) or (msg, line)
        raise MigrationError(msg, line) from None
    result.py2 = py2
    checker = _Invariants(work, py2, project, rules)

    skip: dict = {}  # site key -> reason it is backed out
    defer: set = set()  # site keys that wait a pass (see below)
    late_notes: list = []  # rules switched off for this file
    disabled: set = set()  # rule ids switched off for this file (last resort)

    def run(extra_skip=None, extra_disabled=frozenset(), extra_defer=frozenset()):
        first = run.first
        run.count += 1
        t = tree if first else parse_source(work)[0]
        run.first = False
        sk = skip if extra_skip is None else {**skip, **extra_skip}
        wait = frozenset(defer | extra_defer)
        out = _run(
            t,
            work,
            py2,
            filename,
            rules,
            disabled | extra_disabled,
            unsafe_fixes,
            project,
            sk,
            before_fix=checker.prepare if first else None,
            defer=wait,
        )
        if out.get("restart"):
            # a cleanup hook's fix was followed by other fixes: the plain schedule
            out = _run(
                parse_source(work)[0],
                work,
                py2,
                filename,
                rules,
                disabled | extra_disabled,
                unsafe_fixes,
                project,
                sk,
                hooks=False,
                defer=wait,
            )
        out["text"] = out.pop("final_text")
        return out

    run.first = True
    run.count = 0
    outcome = run()
    if outcome["fix_failed"]:
        # A fix that raised after other fixes of its pass had changed the
        # tree (it found the tree in a state its visit did not see) gets the
        # same treatment as a fix that broke an invariant with them: it is
        # tried a pass later, on the tree those fixes made; kept if that
        # removes the error (one more run of the file, only on this path).
        trial = run(extra_defer=frozenset(outcome["fix_failed"]))
        if len(trial["errors"]) < len(outcome["errors"]):
            defer.update(outcome["fix_failed"])
            outcome = trial
    for _round in range(MAX_BACKOUT_ROUNDS):
        if outcome["unconverged"]:
            # Back out the sites still changing in the last pass; keep the rest.
            for a in outcome["unconverged"]:
                skip[a.key] = (
                    f"{a.finding.rule} did not converge (it kept rewriting this site after "
                    f"{MAX_PASSES} passes)"
                )
            outcome = run()
            continue
        violations = checker.check(outcome)
        if not violations:
            break
        found = _back_out(violations, outcome, run, checker)
        if found:
            # A site that breaks an invariant only together with other fixes
            # of its pass (a fix built from what another fix changed) is
            # applied a pass later instead, on the tree those fixes made --
            # what a second run would do, so a second run changes nothing.
            # Only a site that breaks it even then is backed out.
            trial = run(extra_defer=frozenset(found))
            if not trial["unconverged"] and not checker.check(trial):
                defer.update(found)
                outcome = trial
                continue
            skip.update(found)
            outcome = run()
            continue
        # Last resort: switch off the rules involved for this file, then every rule.
        culprits = {v.rule for v in violations if v.rule} or {
            a.finding.rule for a in outcome["applied"]
        }
        for rid in sorted(culprits - disabled):
            first = min(
                (a.finding for a in outcome["applied"] if a.finding.rule == rid),
                key=lambda f: f.source_line,
            )
            late_notes.append(
                Finding(
                    rule=rid,
                    line=first.line,
                    col=first.col,
                    safety=MANUAL,
                    message=(
                        f"{rid} was not applied to this file: its fixes broke an invariant "
                        f"({violations[0].reason}) and the site could not be isolated"
                    ),
                    source_line=first.source_line,
                )
            )
        disabled |= culprits
        outcome = run()
    else:
        if outcome["unconverged"] or checker.check(outcome):
            disabled |= {r.id for r in rules}
            result.errors.append("the rules' fixes could not be made to keep the invariants")
            outcome = run()

    new_text = outcome["text"]
    result.fixes = [a.finding for a in outcome["applied"]]
    _assign_groups(outcome["applied"], lambda: checker.after_report(outcome))
    result.fixes.sort(key=lambda f: (f.source_line, f.col, f.rule))
    result.findings = outcome["findings"] + checker.notes(outcome) + late_notes
    result.suppressed = outcome["suppressed"]
    result.suppressions = outcome["suppressions"]
    result.passes = outcome["passes"]
    result.runs = run.count
    result.errors.extend(outcome["errors"])
    if added_newline and new_text.endswith("\n"):
        new_text = new_text[:-1]
    result.new = new_text
    # One coordinate system for every finding: ``line`` (and ``end_line``) in
    # the output text, ``source_line`` in the input.  Remaining findings were
    # located in the output: map them back.  Applied fixes were located in the
    # text of their pass (``source_line`` already holds the input line): map
    # them forward.
    out_text = new_text if not added_newline else new_text + "\n"
    if result.findings:
        lm = outcome["line_map"]
        for f in result.findings:
            f.source_line = lm[f.line] if 0 < f.line < len(lm) else f.line
    if result.fixes and out_text != work:
        fwd = _forward_map(outcome["line_map"], work.count("\n") + 1)
        for f in result.fixes:
            new_line = fwd[f.source_line] if 0 < f.source_line < len(fwd) else f.source_line
            f.end_line = new_line + max(0, f.end_line - f.line)
            f.line = new_line
    return result


def migrate(
    text: str,
    rules: Iterable[Rule],
    *,
    unsafe_fixes: bool = False,
    filename: str = "<string>",
    project=None,
) -> FileResult:
    """Run ``rules`` over ``text`` (LF newlines) and return the result.

    See :func:`_migrate` (the engine's steps and invariants).  Raises
    :class:`MigrationError` when the text does not parse.
    """
    with automatic_gc_paused():
        return _migrate(text, rules, unsafe_fixes=unsafe_fixes, filename=filename, project=project)


# --------------------------------------------------------------------------
# Invariants
# --------------------------------------------------------------------------
@dataclass
class _Violation:
    kind: str  # compile | parse | structure | call-target | undefined | removed-binding
    reason: str  # one line, for the report
    line: int = 0  # in the output text (0 = unknown)
    name: Optional[str] = None
    rule: Optional[str] = None  # when the violation names its rule already


@functools.lru_cache(maxsize=8)
def _compiles(text: str) -> Optional[SyntaxError]:
    """None when CPython compiles ``text`` to bytecode, else the error (cached
    per text).  Parsing to an AST is not enough: ``return`` or ``yield``
    outside a function, ``break`` outside a loop and the like are found by
    the compiler after the parse.  The bytecode compile parses first and
    raises every error an AST-only parse would."""
    try:
        with warnings.catch_warnings():
            # SyntaxWarnings of the code itself ("'int' object is not
            # callable") are not ours to print
            warnings.simplefilter("ignore")
            compile(text, "<migrated>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc
    except (ValueError, RecursionError, MemoryError) as exc:
        return SyntaxError(str(exc))
    return None


# --------------------------------------------------------------------------
# Structure: the text says what the tree says
# --------------------------------------------------------------------------
# A fix edits the tree; the output is the tree printed.  In fissix the text
# between statements (newlines, comments, the indentation of the next
# statement) lives in the prefixes of leaves, DEDENTs included, so a fix that
# inserts or moves a statement can print text whose indentation nests the
# statements differently from the tree it built: the names the engine checked
# on the tree are then not the program Python reads (a step moved into the
# inner loop, a call dedented out of its function -- TM201 did both).  The
# check: every statement's nesting depth, in source order, from the tree and
# from CPython's parse of the text, must agree.
_BLOCKS = frozenset(
    {
        syms.funcdef,
        syms.classdef,
        syms.if_stmt,
        syms.while_stmt,
        syms.for_stmt,
        syms.try_stmt,
        syms.with_stmt,
    }
)
_STMT_WRAPPERS = frozenset({syms.decorated, syms.async_stmt, syms.async_funcdef, syms.suite})


def _tree_depths(node, depth: int = 0, out: Optional[list] = None) -> list:
    """The nesting depth of every statement of the fissix tree ``node``, in
    source order (a small statement of ``a; b`` each)."""
    if out is None:
        out = []
    for child in node.children:
        t = child.type
        if t == syms.simple_stmt:
            for small in child.children:
                if small.type not in (token.SEMI, token.NEWLINE):
                    out.append(depth)
        elif t in _BLOCKS:
            out.append(depth)
            _tree_depths(child, depth + 1, out)
        elif t in _STMT_WRAPPERS:
            _tree_depths(child, depth, out)
    return out


_AST_FIELDS = {ast.Try: ("body", "handlers", "orelse", "finalbody")}
if hasattr(ast, "TryStar"):
    _AST_FIELDS[ast.TryStar] = _AST_FIELDS[ast.Try]


def _ast_depths(module: ast.Module, lines: list) -> list:
    """:func:`_tree_depths` of CPython's AST (``elif`` is one statement with
    its ``if``, as in fissix; ``lines``: the text's lines)."""
    out: list = []

    def block(stmts: list, depth: int) -> None:
        for s in stmts:
            out.append(depth)
            inner(s, depth + 1)

    def inner(s, depth: int) -> None:
        for name in _AST_FIELDS.get(type(s), ("body", "orelse", "finalbody")):
            part = getattr(s, name, None)
            if not part or not isinstance(part, list):
                continue
            if name == "handlers":
                for h in part:
                    block(h.body, depth)
            elif name == "orelse" and isinstance(s, ast.If):
                while _is_elif(part, lines):  # one statement with its if, as in fissix
                    block(part[0].body, depth)
                    part = part[0].orelse
                block(part, depth)
            else:
                block(part, depth)

    block(module.body, 0)
    return out


def _is_elif(orelse: list, lines: list) -> bool:
    if len(orelse) != 1:
        return False
    s = orelse[0]
    if not isinstance(s, ast.If) or s.lineno > len(lines):
        return False
    return lines[s.lineno - 1][s.col_offset :].startswith("elif")


def _structure_mismatch(tree, text: str) -> Optional[int]:
    """The output line of the first statement the text nests differently
    from the tree (0 when the counts differ and no line is known), or None
    when they agree or the text does not parse (other checks report that)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    mine = _tree_depths(tree)
    theirs = _ast_depths(module, text.split("\n"))
    if mine == theirs:
        return None
    stmts = [n for n in ast.walk(module) if isinstance(n, ast.stmt)]
    stmts.sort(key=lambda n: (n.lineno, n.col_offset))
    for k, (a, b) in enumerate(zip(mine, theirs)):
        if a != b:
            return stmts[k].lineno if k < len(stmts) else 0
    return 0


class _Invariants:
    """The engine's output invariants for one file (see :func:`migrate`)."""

    def __init__(self, work: str, py2: bool, project, rules) -> None:
        self.work = work
        self.py2 = py2
        self.project = project
        self.post_checks = [r for r in rules if r.post_check is not None]
        self.provided = frozenset(getattr(project, "provided_names", ()) or ())
        self.needed = frozenset(getattr(project, "needed_by_others", ()) or ())
        self.stars = frozenset(getattr(project, "resolved_stars", ()) or ())
        self.before = None
        self.before_calls = 0
        self._input_compiles: Optional[bool] = None

    def prepare(self, tree, index=None) -> None:
        """Record the input's names and call targets.  Called with the input
        tree just before the first fix changes it (a file that gets no fix
        never pays for it), and the pass's index of it when there is one."""
        if self.before is None:
            self.before = names.analyse(tree, self.provided, self.stars)
            self.before_calls = (
                len(names.call_targets(tree))
                if index is None
                else names.count_call_targets(index.of_types(names.TARGET_HOLDERS))
            )

    def input_compiles(self) -> bool:
        if self._input_compiles is None:
            self._input_compiles = _compiles(self.work) is None
        return self._input_compiles

    def after_report(self, outcome):
        rep = outcome.get("names")
        if rep is None:
            rep = outcome["names"] = names.analyse(outcome["tree"], self.provided, self.stars)
        return rep

    def check(self, outcome) -> list:
        text = outcome["text"]
        if text == self.work:
            return []
        out: list = []
        err = _compiles(text)
        if err is not None:
            if self.input_compiles():
                out.append(
                    _Violation(
                        "compile",
                        f"the output would not compile: {err.msg} (line {err.lineno})",
                        err.lineno or 0,
                    )
                )
            elif not _fissix_parses(text):
                out.append(
                    _Violation(
                        "parse",
                        "the output would not parse with any supported grammar",
                        _fissix_error_line(text),
                    )
                )
        tree = outcome["tree"]
        if err is None:
            line = _structure_mismatch(tree, text)
            if line is not None:
                out.append(
                    _Violation(
                        "structure",
                        "the output's indentation would nest a statement in another block "
                        f"than the fix put it in (line {line})",
                        line,
                    )
                )
        index = outcome.get("index")  # of the final tree, when the run has one
        calls = []
        if (
            index is None
            or names.count_call_targets(index.of_types(names.TARGET_HOLDERS)) > self.before_calls
        ):
            calls = names.call_targets(tree)
        if len(calls) > self.before_calls:
            for node in calls:
                out.append(
                    _Violation(
                        "call-target",
                        f"`{str(node).strip()}` would become an assignment or deletion target",
                        node.get_lineno() or 0,
                    )
                )
        after = self.after_report(outcome)
        for key in sorted(after.undefined_keys() - self.before.undefined_keys()):
            scope, name = key
            leaf = after.undefined[key]
            where = f" in `{scope}`" if scope else ""
            out.append(
                _Violation(
                    "undefined",
                    f"`{name}` would be undefined{where}",
                    leaf.get_lineno() or 0,
                    name=name,
                )
            )
        removed = self.before.module_bound - after.module_bound
        for name in sorted(removed):
            if name in self.needed:
                out.append(
                    _Violation(
                        "removed-binding",
                        f"`{name}` is imported from this module elsewhere in the project",
                        0,
                        name=name,
                    )
                )
            elif after.open and name in after.global_reads:
                out.append(
                    _Violation(
                        "removed-binding",
                        f"`{name}` is still read but no longer bound",
                        0,
                        name=name,
                    )
                )
        return out

    def notes(self, outcome) -> list:
        """Findings of the rules that check the finished output (``post_check``)."""
        out = []
        for rule in self.post_checks:
            for line, col, message in rule.post_check(
                outcome["text"], self.py2, outcome["findings"]
            ):
                out.append(
                    Finding(
                        rule=rule.id,
                        line=line,
                        col=col,
                        safety=MANUAL,
                        message=message,
                        end_line=line,
                    )
                )
        return out


def _fissix_parses(text: str) -> bool:
    try:
        parse_source(text)
        return True
    except Exception:  # noqa: BLE001
        return False


def _fissix_error_line(text: str) -> int:
    try:
        parse_source(text)
    except Exception as exc:  # noqa: BLE001
        return describe_parse_error(exc)[1] or 0
    return 0


_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def _suspects(v: _Violation, applied: list, lm: list) -> tuple:
    """(primary, all) suspects of a violation among the applied fixes."""
    if v.name is not None:
        binders, readers = [], []
        for a in applied:
            words = set(_WORD.findall(a.before))
            sugg = a.finding.suggestion or ""
            if v.name in a.binds:
                binders.append(a)
            elif v.name in words or v.name in set(_WORD.findall(sugg)):
                readers.append(a)
        introducers = [a for a in readers if v.name not in set(_WORD.findall(a.before))]
        primary = binders + introducers
        return primary, binders + readers
    if not v.line:
        return [], list(applied)
    orig = lm[v.line] if 0 < v.line < len(lm) else v.line
    near = [
        a
        for a in applied
        if a.finding.source_line
        <= orig
        <= a.finding.source_line + max(0, a.finding.end_line - a.finding.line)
    ]
    if not near:
        near = [a for a in applied if abs(a.finding.source_line - orig) <= 2]
    return near, near or list(applied)


def _back_out(violations: list, outcome, run, checker) -> dict:
    """A small set of applied sites whose backing out removes every
    violation: {key: reason}, or {} when none was found."""
    applied = outcome["applied"]
    if not applied:
        return {}
    reason_of: dict = {}
    primary: dict = {}
    wide: dict = {}
    for v in violations:
        p, w = _suspects(v, applied, outcome["line_map"])
        for a in p:
            primary.setdefault(a.key, a)
            reason_of.setdefault(a.key, v.reason)
        for a in w:
            wide.setdefault(a.key, a)
            reason_of.setdefault(a.key, v.reason)
    budget = [MAX_MINIMIZE_RUNS]

    def clean(keys) -> bool:
        budget[0] -= 1
        out = run({k: reason_of.get(k, "") for k in keys})
        return not out["unconverged"] and not checker.check(out)

    for group in (primary, wide, {a.key: a for a in applied}):
        keys = list(group)
        if not keys or not clean(keys):
            continue
        # Minimise: give back every site that is not needed (one at a time).
        needed = list(keys)
        for k in list(keys):
            if budget[0] <= 0 or len(needed) == 1:
                break
            trial = [x for x in needed if x != k]
            if clean(trial):
                needed = trial
        return {k: "backed out: " + reason_of.get(k, "it broke an invariant") for k in needed}
    return {}


def _assign_groups(applied: list, after_report) -> None:
    """Fixes that must travel together get one ``group`` number: a fix that
    removed a binding (an import) and every fix that removed a read of it.
    ``after_report()`` gives the output's name analysis; it is asked for only
    when a fix could have removed a binding (a file with no such fix never
    pays for it)."""
    if len(applied) < 2 or not any(a.binds for a in applied):
        return
    after = after_report()
    parent = {id(a): id(a) for a in applied}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    linked = False
    for a in applied:
        if not a.binds:
            continue
        still = after.scopes.get(a.scope, set()) if a.scope else after.module_bound
        gone = {n for n in a.binds if n not in still}
        if not gone:
            continue
        for b in applied:
            if b is a:
                continue
            if gone & set(_WORD.findall(b.before)):
                parent[find(id(b))] = find(id(a))
                linked = True
    if not linked:
        return
    ids: dict = {}
    members: dict = {}
    for a in applied:
        members.setdefault(find(id(a)), []).append(a)
    for root, group in members.items():
        if len(group) < 2:
            continue
        gid = ids.setdefault(root, len(ids) + 1)
        for a in group:
            a.finding.group = gid


_IMPORT_TYPES = frozenset({syms.import_name, syms.import_from})
_STATEMENTS = frozenset(
    {
        syms.import_from,
        syms.import_name,
        syms.simple_stmt,
        syms.expr_stmt,
        syms.funcdef,
        syms.classdef,
        syms.decorated,
        syms.for_stmt,
        syms.with_stmt,
        syms.global_stmt,
    }
)


def _scope_path(node) -> str:
    parts = []
    cur = node.parent
    while cur is not None:
        if cur.type in (syms.funcdef, syms.classdef):
            parts.append(cur.children[1].value)
        cur = cur.parent
    return ".".join(reversed(parts))


def _pass_triggers(fixers: list, needs: dict, imports: dict, index) -> dict:
    """Per fixer (by id): its trigger tokens for this pass -- the static ones,
    import aliases of declared trigger names, and its dynamic triggers."""
    declared = frozenset().union(
        *(needs[id(fx)] for fx in fixers if fx.TRIGGERS is not None and needs.get(id(fx)))
    )
    aliases = _trigger_aliases(imports, declared) if declared else {}
    out: dict = {}
    for fx in fixers:
        lits = needs.get(id(fx))
        if lits is None:
            out[id(fx)] = None
            continue
        extra = fx.dynamic_triggers(index) if fx.TRIGGERS is not None else None
        if fx.TRIGGERS is not None and aliases:
            for name in lits:
                more = aliases.get(name)
                if more:
                    extra = set(extra or ()) | more
        out[id(fx)] = lits | frozenset(extra) if extra else lits
    return out


def _check_skipped(fx, match, node) -> None:
    """Dispatch check: visiting a node the triggers excluded must report nothing."""
    results = match(node)
    if not results:
        return
    before = len(fx.candidates)
    try:
        fx.visit(node, results)
    except Exception:  # noqa: BLE001 - a crash here is the normal path's business
        return
    if len(fx.candidates) != before:
        del fx.candidates[before:]
        raise DispatchError(
            f"{fx.rule_id} ({type(fx).__name__}) reported at a node its triggers exclude: "
            f"{str(node).strip()[:120]!r}"
        )


def _run(
    tree,
    work,
    py2,
    filename,
    rules,
    disabled,
    unsafe_fixes,
    project=None,
    skip=None,
    before_fix=None,
    hooks=True,
    defer=frozenset(),
) -> dict:
    """Run the passes on ``tree`` (mutated in place).  ``skip`` maps the keys
    of fix sites to back out to the reason; such sites are reported as
    ``manual`` findings instead of being applied.  ``defer``: keys of fix
    sites that wait one pass the first time they come up (they are applied
    when a later pass finds them again, on the tree the other fixes made).
    ``before_fix(tree)`` is called once, just before the first fix changes
    the tree.

    ``hooks``: run the ``CLEANUP`` fixers after each pass's fixes too (see
    :func:`_cleanup`).  A cleanup applied that way comes one pass earlier
    than in the plain schedule, i.e. before the fixes of the next pass; when
    a later pass still applies fixes, their order relative to the cleanup
    could matter (an ``import torch`` added after the import the cleanup
    removed), so the result is ``{"restart": True}`` and the caller runs the
    file again without hooks: the output is always the plain schedule's."""
    skip = skip or {}
    d = _dispatch(rules, disabled)
    fixers = d.fixers

    applied: list = []  # _Applied
    last_pass: list = []
    errors: list = []
    current = work
    findings: list = []
    suppressed = 0
    sup = None
    converged = False
    work_lines = work.split("\n")
    original = None  # the pass-0 index
    an = None  # the file's analysis, carried from pass to pass
    dirty_units: list = []
    prev_imports: dict = {}
    unit_text: Optional[dict] = None  # id(top-level statement) -> its text
    hooks = hooks and not _REFERENCE and bool(d.cleanup)
    cleaned = False  # a cleanup hook applied a fix (see the docstring)
    waited: set = set()  # keys of ``defer`` that waited their pass
    py2_converted = False  # a Python-2-only fix came up (see _py2_converts)
    fix_failed: list = []  # keys of fixes that raised after other fixes of their pass
    waiting = False  # a site waited in this pass: run another one
    unit_cache: dict = {}  # id(top-level statement) -> see _unit_entry
    printed: dict = {}  # id(top-level statement) -> its _unit_entry, as last printed

    def print_unit(unit) -> str:
        """The text of ``unit``; its leaves' starts are kept for the next
        pass's statement cache (one walk for both)."""
        text, starts = _text_and_starts(unit)
        printed[id(unit)] = [unit, text, starts, None]
        return text

    def settle(pending: list, text: Optional[str], texts: Optional[list] = None) -> tuple:
        """Apply (or keep as findings) the located candidates ``pending``
        [(cand, start, col, end)], in reverse order.  ``text``: the tree's
        text when its lines may differ from the input's (None in pass 0).
        Returns (applied any, remaining findings, applied records)."""
        nonlocal before_fix, unit_text, waiting
        applied_any = False
        remaining: list = []
        this_pass: list = []
        pass_map: Optional[list] = None
        # the map is asked only for the candidates' lines
        upto = max((p[1] for p in pending), default=0)
        for cand, start, col, end in reversed(pending):
            apply = _applies(cand, unsafe_fixes)
            finding = Finding(
                rule=cand.fixer.rule_id,
                line=start,
                col=col,
                safety=cand.safety,
                message=cand.message,
                suggestion=cand.suggestion,
                end_line=end,
                short=cand.short,
            )
            if apply and not is_attached(cand.node, tree):
                continue  # an enclosing fix replaced it; the next pass sees it again
            before = str(cand.node).strip() if apply else ""
            if apply and text is not None and pass_map is None:
                # the text (no fix of this batch applied yet) -> the input
                pass_map = _edit_line_map(
                    tree, work_lines, text, original.order, texts, unit_cache, upto
                )
            if apply and defer:
                key = (finding.rule, _orig_line(start, pass_map), before)
                if key in defer and key not in waited:
                    waited.add(key)
                    waiting = True
                    continue  # the next pass finds it again
            if apply and skip:
                src = _orig_line(start, pass_map)
                reason = skip.get((finding.rule, src, before))
                # a backed-out site stays backed out in the later passes of
                # this run, whatever its text became: the node remembers it,
                # per rule (another rule's fix of the same node is its own
                # site, e.g. TM001's unwrap of a call TM002 drops a flag of)
                marks = getattr(cand.node, "_tm_backed_out", None)
                if reason is None and marks:
                    reason = marks.get(finding.rule)
                if reason is not None:
                    cand.node._tm_backed_out = {**(marks or {}), finding.rule: reason}
                    finding.safety = MANUAL
                    finding.message = f"{cand.message} [{reason}]"
                    remaining.append(finding)
                    continue
            if apply:
                binds = (
                    frozenset(names.bound_in(cand.node))
                    if cand.node.type in _STATEMENTS
                    else frozenset()
                )
                scope = _scope_path(cand.node)
                if unit_text is None:
                    unit_text = _unit_texts(tree, work) if _pass == 0 else None
                    if unit_text is None:
                        unit_text = {id(c): node_text(c) for c in tree.children}
                if before_fix is not None:
                    # (the pass's index: no fix of this pass came before)
                    before_fix(tree, None if _REFERENCE else index)
                    before_fix = None
                try:
                    done = cand.fix()
                except Exception as exc:  # noqa: BLE001
                    errors.append(
                        f"line {start}: internal error in {finding.rule} while fixing: "
                        f"{type(exc).__name__}: {exc}"
                    )
                    if this_pass:  # other fixes of the pass changed the tree first
                        fix_failed.append((finding.rule, _orig_line(start, pass_map), before))
                    continue
                if done is False:
                    continue
                finding.applied = True
                finding.source_line = _orig_line(start, pass_map)
                rec = _Applied(finding, (), before, binds, scope, _pass)
                applied.append(rec)
                this_pass.append(rec)
                applied_any = True
            else:
                remaining.append(finding)
        remaining.reverse()
        return applied_any, remaining, this_pass

    for _pass in range(MAX_PASSES):
        ctx = FileContext(
            tree=tree, filename=filename, py2_grammar=py2, text=current, project=project
        )
        index = _Index(tree)
        ctx.imports = collect_imports(tree, index.of_types(_IMPORT_TYPES))
        if project is not None and getattr(project, "origins", None):
            # names bound through star imports / project re-exports (project model)
            ctx.imports.update(project.origins)
        tree.__dict__.pop("_tm_plain_imports", None)  # ensure_import's memo, per pass
        if an is None or _REFERENCE:
            an = Analysis(ctx)  # (the reference engine starts every pass afresh)
        else:
            an.invalidate_units(tree, dirty_units, ctx.imports != prev_imports)
        an.rebind(ctx)
        prev_imports = ctx.imports
        broken: set = set()
        for fx in fixers:
            try:
                fx.begin(ctx)
            except Exception as exc:  # noqa: BLE001
                broken.add(fx.rule_id)
                errors.append(f"internal error in {fx.rule_id}: {type(exc).__name__}: {exc}")
        if _REFERENCE:
            pass_needs = dict.fromkeys(d.needs)
        else:
            pass_needs = _pass_triggers(fixers, d.needs, ctx.imports, index)
        if _pass == 0:
            original = index  # the tree as parsed (kept alive for the line maps)
        matchers = d.plain_matchers if _REFERENCE else d.matchers
        ctx.index = index
        for fx in d.whole_file:
            try:
                fx.visit(tree, {"node": tree})
            except Exception as exc:  # noqa: BLE001
                broken.add(fx.rule_id)
                errors.append(f"internal error in {fx.rule_id}: {type(exc).__name__}: {exc}")
        for node, fxs in d.worklist(index, pass_needs, not _REFERENCE):
            for fx in fxs:
                if fx.rule_id in broken:
                    continue
                results = matchers[id(fx)](node)
                if not results:
                    continue
                try:
                    fx.visit(node, results)
                except Exception as exc:  # noqa: BLE001
                    broken.add(fx.rule_id)
                    line = node.get_lineno() or 0
                    errors.append(
                        f"line {line}: internal error in {fx.rule_id}: {type(exc).__name__}: {exc}"
                    )
        if CHECK_DISPATCH:
            d.probe(index, pass_needs, broken, not _REFERENCE)
        ctx.index = None  # the fixes below change the tree
        cands_all: list = []
        for fx in fixers:
            if fx.rule_id not in broken:
                cands_all.extend(fx.candidates)
            fx.candidates = []
        if not cands_all:
            findings = []
            sup = None
            converged = True
            break
        # pass 0 sees the tree as parsed: fissix's leaf positions are exact;
        # later passes compute the positions of the candidates' ends only
        pos = (
            None
            if _pass == 0
            else _positions(
                tree,
                _span_leaves(cands_all),
                [unit_text[id(c)] for c in tree.children],
                unit_cache,
            )
        )
        sup = suppressions.parse(current)
        # Pre-order position order; apply in reverse so inner/later sites go first.
        order = index.order
        cands_all.sort(key=lambda c: order.get(id(c.node), -1))
        pending: list = []
        suppressed = 0
        for cand in cands_all:
            start, col, end = _span(cand.node, pos)
            if suppressions.is_suppressed(cand.fixer.rule_id, start, end, sup):
                suppressed += 1
                continue
            pending.append((cand, start, col, end))
        if not py2_converted:
            py2_converted = _py2_converts(pending, unsafe_fixes, skip)
        if not py2_converted:
            for cand, *_ in pending:
                if _py2_ambiguous(cand):
                    cand.safety = MANUAL
                    cand.fix = None
                    cand.message += _PY2_GATE_NOTE
        applied_any, remaining, this_pass = settle(
            pending,
            None if _pass == 0 else current,
            None if _pass == 0 else [unit_text[id(c)] for c in tree.children],
        )
        if cleaned and applied_any:
            return {"restart": True}  # see the docstring
        findings = remaining
        last_pass = this_pass
        if not applied_any and not waiting:
            converged = True
            break
        waiting = False
        if unit_text is None:  # only a deferred site came up in this pass
            unit_text = {id(c): node_text(c) for c in tree.children}
        texts = None
        if hooks and _pass < MAX_PASSES - 1:
            # The statements this pass changed lose their change marks while
            # the hook runs (and get them back after it), so that the marks
            # then show what the hook changed: only those statements are
            # printed again.  (Their line origins are recomputed.)
            marked = [u for u in tree.children if u.was_changed]
            for u in marked:
                unit_cache.pop(id(u), None)
                _clear_changed(u)
            try:
                texts, done = _cleanup(d, tree, filename, py2, project, broken, settle, print_unit)
            finally:
                for u in marked:
                    u.was_changed = True
            if done:
                cleaned = True
                last_pass = this_pass + done
        if texts is None:
            texts = [print_unit(c) for c in tree.children]
        current = "".join(texts)
        dirty_units = []
        for unit, txt in zip(tree.children, texts):
            if unit.was_changed or unit_text.get(id(unit)) != txt:
                dirty_units.append(unit)
                _clear_changed(unit)
                unit_cache.pop(id(unit), None)
            entry = printed.get(id(unit))
            if entry is not None and entry[0] is unit and entry[1] == txt:
                # printed as it now is: the next pass's entry (see _unit_entry)
                unit_cache[id(unit)] = entry
        printed.clear()
        tree.was_changed = False
        unit_text = {id(c): t for c, t in zip(tree.children, texts)}
    unconverged = [] if converged else last_pass
    for fx in fixers:
        # The fixers outlive the file (one instance per class): a context
        # left on them would keep this file's trees and analysis reachable
        # from old objects until a full collection (see gcpolicy.automatic_gc_paused).
        fx.ctx = None
        fx.candidates = []

    for rec in applied:
        f = rec.finding
        rec.key = (f.rule, f.source_line, rec.before)
    n_lines = len(work_lines)
    final_map = (
        list(range(n_lines + 1))
        if current is work
        else _edit_line_map(
            tree,
            work_lines,
            current,
            original.order,
            [unit_text[id(c)] for c in tree.children],
            unit_cache,
        )
    )
    return {
        "tree": tree,
        # the last pass's index still describes the tree when that pass
        # changed nothing (the invariants count call targets from it)
        "index": index if converged and not tree.was_changed and not _REFERENCE else None,
        "applied": applied,
        "unconverged": unconverged,
        "findings": findings,
        "errors": list(dict.fromkeys(errors)),  # (each pass reports its own)
        "suppressed": suppressed,
        "suppressions": sup,
        "line_map": final_map,
        "final_text": current,
        "passes": _pass + 1,
        "fix_failed": fix_failed,
    }


_PY2_GATE_NOTE = (
    " [not applied: nothing that exists only in Python 2 is converted in this file by this "
    "run, so this may already be Python 3 (the output of an earlier run, with a construct "
    "left for review); apply it by hand if the code is Python 2]"
)


def _applies(cand, unsafe_fixes: bool) -> bool:
    """Does the safety policy apply this candidate's fix (safe; unsafe with
    ``--unsafe-fixes``; never manual or a report without a fix)?"""
    return cand.fix is not None and (
        cand.safety == SAFE or (cand.safety == UNSAFE and unsafe_fixes)
    )


def _py2_ambiguous(cand) -> bool:
    fx = cand.fixer
    return fx.PY2_CONVERSION and cand.fix is not None and fx.py2_ambiguous(cand.node)


def _py2_converts(pending: list, unsafe_fixes: bool, skip: dict) -> bool:
    """The Python 2 gate: may the run apply the Python 2 fixes whose sites
    are also valid Python 3 (``range(n)``, ``zip(a, b)``, ``input()``:
    ``RuleFixer.py2_ambiguous``)?  Only once it applies, in this pass or an
    earlier one, a Python 2 fix whose site exists only in Python 2
    (``xrange``, ``print x``, ``d.iteritems()``, ...): is there one among
    ``pending``?

    A run converts every such site it can; what it leaves is reported for
    review, and may keep the file looking like Python 2 (an ``import
    urllib2`` with a member it cannot map).  A second run then sees that
    residue and nothing left to convert: without the gate it would take the
    first run's ``range(n)`` (made of ``xrange(n)``) for Python 2's list and
    wrap it, or make its ``input()`` (made of ``raw_input()``) an
    ``eval(input())``.  The gate keeps the second run's text the first's.
    A file whose only Python 2 constructs are left for review gets the same
    treatment in its first run: its ambiguous sites are reported, not
    applied (precision first)."""
    for cand, start, _col, _end in pending:
        fx = cand.fixer
        if not fx.PY2_CONVERSION or not _applies(cand, unsafe_fixes):
            continue
        if fx.py2_ambiguous(cand.node):
            continue
        if skip and (fx.rule_id, start, str(cand.node).strip()) in skip:
            continue  # backed out: left for review
        return True
    return False


def _cleanup(d, tree, filename, py2, project, broken, settle, printer=None) -> tuple:
    """The post-pass hook: run the ``CLEANUP`` fixers that are waiting (their
    visit this pass kept an import only because its names were read) on the
    tree as the pass's fixes left it, when no top-level statement but an
    import has a name spelled like a waiting name any more, and apply what they report
    through ``settle``.  Returns (the top-level statements' texts after the
    hook, None when it did not run; the applied records).  The statements'
    change marks must be clear when it starts: the statements its fixes
    change are printed again, the others keep their text.

    A fixer that fails here is left to the next pass, which reports it.
    ``printer``: prints a top-level statement (the engine passes one that
    also keeps the statement's leaf starts, see ``_run``)."""
    fxs = [fx for fx in d.cleanup if fx.waiting and fx.rule_id not in broken]
    if not fxs:
        return None, []
    printer = printer or node_text
    texts = [printer(c) for c in tree.children]
    words = frozenset().union(*(fx.waiting for fx in fxs))
    imports = []
    for unit, txt in zip(tree.children, texts):
        if _is_import_stmt(unit):
            imports.append(unit)
        elif (
            any(w in txt for w in words)
            and any(re.search(rf"\b{re.escape(w)}\b", txt) for w in words)
            and any(leaf.type == token.NAME and leaf.value in words for leaf in unit.leaves())
        ):
            # still read, or spelled as a name some other way (an attribute,
            # a keyword): the next pass decides.  A mention in a comment or
            # a string (a docstring, ``__all__``, which the fixers read from
            # the tree themselves) is no name: the hook's restricted index
            # would not miss it.
            return texts, []
    text = "".join(texts)
    ctx = FileContext(tree=tree, filename=filename, py2_grammar=py2, text=text, project=project)
    ctx.imports = collect_imports(tree)
    if project is not None and getattr(project, "origins", None):
        ctx.imports.update(project.origins)
    # every leaf spelled like a waiting name is in these statements
    index = _Index(tree, roots=imports)
    ctx.index = index
    cands: list = []
    for fx in fxs:
        try:
            fx.begin(ctx)
            fx.visit(tree, {"node": tree})
        except Exception:  # noqa: BLE001 - the next pass runs it again and reports
            fx.candidates = []
            continue
        cands.extend(fx.candidates)
        fx.candidates = []
    ctx.index = None
    if not cands:
        return texts, []
    order = index.order
    cands.sort(key=lambda c: order.get(id(c.node), -1))
    pos = _positions(tree, _span_leaves(cands), texts)
    sup = suppressions.parse(text)
    pending = []
    for cand in cands:
        start, col, end = _span(cand.node, pos)
        if not suppressions.is_suppressed(cand.fixer.rule_id, start, end, sup):
            pending.append((cand, start, col, end))
    before = {id(u): t for u, t in zip(tree.children, texts)}
    applied_any, _remaining, done = settle(pending, text, texts)
    if not applied_any:
        return texts, done
    # a statement the hook changed is marked (the engine cleared the marks)
    return [
        printer(u) if u.was_changed or id(u) not in before else before[id(u)] for u in tree.children
    ], done


def _is_import_stmt(unit) -> bool:
    """A top-level ``simple_stmt`` made of imports only."""
    if unit.type != syms.simple_stmt:
        return False
    return all(
        c.type in (syms.import_name, syms.import_from, token.SEMI, token.NEWLINE)
        for c in unit.children
    )


def _unit_texts(tree, work: str) -> Optional[dict]:
    """id(top-level statement) -> its text, for the tree as parsed, cut out of
    the input by the parser's positions instead of printing the tree (each
    statement's text starts with its first token's prefix).  None when the
    cuts do not add up to the input (then the caller prints)."""
    starts = [0]
    for line in work.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    cuts = []
    for unit in tree.children:
        leaf = _first_leaf(unit)
        if leaf is None or leaf.lineno - 1 >= len(starts):
            return None
        cuts.append(starts[leaf.lineno - 1] + leaf.column - len(leaf.prefix))
    if not cuts or cuts[0] != 0:
        return None
    cuts.append(len(work))
    out = {}
    for unit, a, b in zip(tree.children, cuts, cuts[1:]):
        if b < a:
            return None
        out[id(unit)] = work[a:b]
    return out


def _clear_changed(node) -> None:
    """Reset fissix's ``was_changed`` marks under ``node`` (set along the
    path to every edit)."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur.was_changed:
            cur.was_changed = False
            stack.extend(cur.children)


def node_text(node) -> str:
    """``str(node)``, faster: one walk that joins every leaf's prefix and
    value (fissix's ``__str__`` joins the text of each child at every level
    of the tree, in a Python call per node)."""
    out: list = []
    append = out.append
    stack = [node]
    pop = stack.pop
    extend = stack.extend
    while stack:
        n = pop()
        if n.type >= 256:  # a Node (token types are below 256)
            extend(n.children[::-1])
        else:
            append(n._prefix)
            v = n.value
            append(v if type(v) is str else str(v))
    return "".join(out)


def _orig_line(line: int, lm: Optional[list]) -> int:
    """The original line of ``line`` of a pass text (``lm`` from :func:`line_map`;
    None for the first pass, whose text is the original)."""
    if lm is None:
        return line
    return lm[line] if 0 < line < len(lm) else line


__all__ = ["FileResult", "MigrationError", "migrate", "parses", "line_map"]
