"""A faster driver for fissix's parser that builds the very same tree.

fissix parses with pgen's LL(1) engine (``fissix.pgen2.parse.Parser``): for
every token it scans the arcs of the current DFA state one by one and, for
each arc into a nonterminal, looks the token up in that nonterminal's first
set; the driver around it computes each token's prefix (whitespace and
comments) and calls ``pytree.convert`` for every shift and reduction.  On a
typical research file that loop, not the tokenizer or the tree objects, is
most of the cost of a parse -- and the parse is most of the cost of a file
that needs no change.

:class:`FastDriver` runs the same algorithm with the decision for each
``(nonterminal, DFA state, token label)`` computed once per grammar and then
looked up (shift to state S / push nonterminal N going to state S / pop),
the prefix bookkeeping and ``convert`` folded into one loop, and tree
objects built with the constructors fissix's ``convert`` calls.  The tokens
come from fissix's own tokenizer.

The tree is identical: same node and leaf types, values, prefixes, line and
column of every leaf, and ``used_names`` on the root (``tests/engine/
test_fastparse.py`` compares them on every file the suite ships and on
random mutants).  When the input does not parse, the fissix driver is run
on it, so the exception (type, message, position) is fissix's own.
"""

from __future__ import annotations

import io

from fissix import pytree
from fissix.pgen2 import driver, token, tokenize
from fissix.pgen2 import grammar as pgen_grammar

_SHIFT = 0
_PUSH = 1
_POP = 2


class _Tables:
    """The parse decisions of one grammar, filled in lazily."""

    def __init__(self, gr) -> None:
        self.gr = gr
        self.actions: dict = {}  # (nonterminal, state, ilabel) -> action tuple
        # (nonterminal, state) pairs whose only arc is "accept"
        self.accept_only = {
            (nt, st)
            for nt, (states, _first) in gr.dfas.items()
            for st, arcs in enumerate(states)
            if arcs == [(0, st)]
        }

    def action(self, nt: int, state: int, ilabel: int):
        """The first step ``fissix.pgen2.parse.Parser.addtoken`` takes for a
        token labelled ``ilabel`` in ``state`` of ``nt``'s DFA: (_SHIFT, new
        state), (_PUSH, nonterminal, new state), (_POP,) or None (error)."""
        key = (nt, state, ilabel)
        hit = self.actions.get(key)
        if hit is not None or key in self.actions:
            return hit
        gr = self.gr
        arcs = gr.dfas[nt][0][state]
        act = None
        for i, newstate in arcs:
            t = gr.labels[i][0]
            if ilabel == i:
                act = (_SHIFT, newstate)
                break
            if t >= 256 and ilabel in gr.dfas[t][1]:
                act = (_PUSH, t, newstate)
                break
        else:
            if (0, state) in arcs:
                act = (_POP,)
        self.actions[key] = act
        return act


def _node(type_: int, children: list):
    """``pytree.Node(type_, children)`` as ``pytree.convert`` makes it, without
    the constructor's asserts and list copy (``children`` is the parser's own
    fresh list)."""
    node = object.__new__(pytree.Node)
    node.type = type_
    node.children = children
    for ch in children:
        ch.parent = node
    node.fixers_applied = None
    return node


class _Fail(Exception):
    """Raised inside the fast loop: let the fissix driver report the error."""


class FastDriver:
    """``parse_string(text)`` like ``fissix.pgen2.driver.Driver`` (with
    ``pytree.convert``), faster; see the module docstring."""

    def __init__(self, gr) -> None:
        self.grammar = gr
        self.tables = _Tables(gr)
        self.reference = driver.Driver(gr, convert=pytree.convert)

    def parse_string(self, text: str):
        try:
            return self._parse(text)
        except _Fail:
            pass
        # fissix's own driver raises its own error (or, should the two ever
        # disagree, its tree is the answer)
        return self.reference.parse_string(text)

    def _parse(self, text: str):  # noqa: C901 - one loop on purpose (speed)
        gr = self.grammar
        tables = self.tables
        actions = tables.actions
        action = tables.action
        accept_only = tables.accept_only
        keywords = gr.keywords
        tokens_map = gr.tokens
        opmap = pgen_grammar.opmap
        Leaf = pytree.Leaf
        new_object = object.__new__
        NAME = token.NAME
        OP = token.OP
        COMMENT = tokenize.COMMENT
        NL = tokenize.NL

        used_names: set = set()
        # the stack: [nonterminal, state, children]
        start = gr.start
        stack = [[start, 0, []]]
        top = stack[-1]
        lineno = 1
        column = 0
        prefix = ""
        done = False
        try:
            tokens = tokenize.generate_tokens(io.StringIO(text).readline)
            for type_, value, start_pos, end, line_text in tokens:
                if start_pos != (lineno, column):
                    s_lineno, s_column = start_pos
                    if (lineno, column) > start_pos:
                        raise _Fail
                    if lineno < s_lineno:
                        prefix += "\n" * (s_lineno - lineno)
                        lineno = s_lineno
                        column = 0
                    if column < s_column:
                        prefix += line_text[column:s_column]
                        column = s_column
                if type_ == COMMENT or type_ == NL:
                    prefix += value
                    lineno, column = end
                    if value.endswith("\n"):
                        lineno += 1
                        column = 0
                    continue
                if type_ == OP:
                    type_ = opmap[value]
                # classify
                if type_ == NAME:
                    used_names.add(value)
                    ilabel = keywords.get(value)
                    if ilabel is None:
                        ilabel = tokens_map.get(type_)
                else:
                    ilabel = tokens_map.get(type_)
                if ilabel is None:
                    raise _Fail
                # addtoken
                while True:
                    nt = top[0]
                    key = (nt, top[1], ilabel)
                    act = actions.get(key)
                    if act is None:
                        act = action(nt, top[1], ilabel)
                        if act is None:
                            raise _Fail
                    kind = act[0]
                    if kind == _SHIFT:
                        leaf = new_object(Leaf)  # (Leaf.__init__, inlined)
                        leaf._prefix = prefix
                        leaf.lineno, leaf.column = start_pos
                        leaf.type = type_
                        leaf.value = value
                        leaf.fixers_applied = []
                        top[2].append(leaf)
                        state = act[1]
                        top[1] = state
                        while (nt, state) in accept_only:
                            # pop (convert the finished nonterminal)
                            stack.pop()
                            children = top[2]
                            new = children[0] if len(children) == 1 else _node(nt, children)
                            if not stack:
                                new.used_names = used_names
                                done = True
                                root = new
                                break
                            top = stack[-1]
                            top[2].append(new)
                            nt = top[0]
                            state = top[1]
                        break
                    if kind == _PUSH:
                        top[1] = act[2]
                        top = [act[1], 0, []]
                        stack.append(top)
                        continue
                    # _POP
                    stack.pop()
                    children = top[2]
                    new = children[0] if len(children) == 1 else _node(nt, children)
                    if not stack:
                        raise _Fail  # "too much input"
                    top = stack[-1]
                    top[2].append(new)
                if done:
                    break
                prefix = ""
                lineno, column = end
                if value.endswith("\n"):
                    lineno += 1
                    column = 0
            else:
                raise _Fail  # "incomplete input"
        except _Fail:
            raise
        except Exception:  # noqa: BLE001 - tokenizer errors: fissix reports them
            raise _Fail from None
        return root
