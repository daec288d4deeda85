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
looked up (shift to state S / push the chain of nonterminals the token
leads into / pop), ``convert`` folded into the loop, and tree objects built
with the constructors fissix's ``convert`` calls.  Of the frames a push
opens, only the innermost is built; the others are resumed only when a
token continues them, and popped through without a lookup or a list when
none does (:class:`_Chain`; this took the parse of the legacy bench tree
from 4.75 lookups per token to 1.23).  The tokens, with their
prefixes, come from :func:`_scan`: one regular-expression scan over the
whole text that yields what fissix's tokenizer and driver would feed the
parser (fissix's tokenizer itself, through :func:`_fissix_tokens`, for the
few texts the scan leaves to it).

The tree is identical: same node and leaf types, values, prefixes, line and
column of every leaf, and ``used_names`` on the root (``tests/engine/
test_fastparse.py`` compares them on every file the suite ships and on
random mutants).  When the input does not parse, the fissix driver is run
on it, so the exception (type, message, position) is fissix's own.
"""

from __future__ import annotations

import io
import re

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
        """What ``fissix.pgen2.parse.Parser.addtoken`` does with a token
        labelled ``ilabel`` in ``state`` of ``nt``'s DFA, up to the shift:
        (_SHIFT, new state); (_PUSH, new state, chain): push the nonterminals
        of a :class:`_Chain` -- a push decides the pushes after it, since a
        nonterminal starts in state 0; (_POP,); or None (error)."""
        key = (nt, state, ilabel)
        hit = self.actions.get(key)
        if hit is not None or key in self.actions:
            return hit
        act = self._step(nt, state, ilabel)
        if act is not None and act[0] == _PUSH:
            parent_state = act[2]
            frames = []
            while act[0] == _PUSH:
                child = act[1]
                act = self._step(child, 0, ilabel)
                if act is None or act[0] == _POP:  # (cannot happen: ilabel is in its first set)
                    act = None
                    break
                frames.append((child, act[1] if act[0] == _SHIFT else act[2]))
            if act is not None:
                act = (_PUSH, parent_state, _Chain(tuple(frames), self))
        self.actions[key] = act
        return act

    def _step(self, nt: int, state: int, ilabel: int):
        """One step: (_SHIFT, new state), (_PUSH, nonterminal, new state),
        (_POP,) or None (error)."""
        gr = self.gr
        arcs = gr.dfas[nt][0][state]
        for i, newstate in arcs:
            t = gr.labels[i][0]
            if ilabel == i:
                return (_SHIFT, newstate)
            if t >= 256 and ilabel in gr.dfas[t][1]:
                return (_PUSH, t, newstate)
        if (0, state) in arcs:
            return (_POP,)
        return None


class _Chain:
    """The frames one push opens, outermost first: ``(nonterminal, state)``,
    the state being the one a frame goes to when the next frame is pushed
    (the last one's: when the token is shifted into it).

    The parser materialises only the innermost frame.  The others stay
    *pending* until the parser comes back to them: a pending frame has
    exactly one child (what the frames inside it made), and a node with one
    child is that child (``pytree.convert``), so a pending frame that pops
    as soon as it is reached passes its child on unchanged and never needs a
    list, a stack entry or a lookup of its own.  Expression nonterminals
    come in long chains (``test`` ... ``power`` ``atom``) that mostly pop
    like that, so most frames of a parse never exist.

    - ``settle[level]``: after the frame with ``level`` pending frames
      above it popped in the cascade that follows a shift, the first of
      them the cascade stops at (whose state is not accept-only), or -1
      when all of them pop;
    - :meth:`resolve`: after that frame popped on token ``ilabel``, the
      first of them whose action on ``ilabel`` is not a pop, with that
      action (computed once per level and label)."""

    __slots__ = ("frames", "deep", "top", "settle", "pops", "tables")

    def __init__(self, frames: tuple, tables: _Tables) -> None:
        self.frames = frames
        self.deep = frames[-1]
        self.top = len(frames) - 1  # pending frames above the innermost one
        settle = [-1]
        for j, frame in enumerate(frames[:-1]):
            settle.append(settle[-1] if frame in tables.accept_only else j)
        self.settle = tuple(settle)
        self.pops: dict = {}
        self.tables = tables

    def resolve(self, level: int, ilabel: int):
        """(index of the pending frame that takes ``ilabel``, its action), or
        (-1, None) when every pending frame pops; None on an error."""
        key = (level, ilabel)
        hit = self.pops.get(key)
        if hit is None and key not in self.pops:
            hit = (-1, None)
            for j in range(level - 1, -1, -1):
                act = self.tables.action(*self.frames[j], ilabel)
                if act is None:
                    hit = None
                    break
                if act[0] != _POP:
                    hit = (j, act)
                    break
            self.pops[key] = hit
        return hit


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


class _Unsupported(Exception):
    """Raised by :func:`_scan`: the text has something its fast path does not
    handle (the tokens then come from fissix's own tokenizer)."""


# One significant token (or a piece of prefix) at a time, over the whole text.
# The alternatives of fissix's ``PseudoToken`` in fissix's order, each its own
# group, with three moved up front (alternatives are tried in order, and the
# most frequent tokens then match at the first or second try):
# - a name, unless a string prefix and quote start there (a digit starts a
#   number, never a name; otherwise no earlier alternative matches a letter
#   or "_");
# - an operator, unless "." and a digit start there (a number);
# - the newline (no earlier alternative matches "\n").
# Where the moved ones do not match, the original order decides.
_STRING_START = r"(?:[uUrRbBfF]|[rR][fFbB]|[fFbBuU][rR])?['\"]"
_OPERATOR = rf"(?:{tokenize.Operator}|{tokenize.Bracket}|:=|[:;.,`@])"
_SCAN = re.compile(
    r"[ \t]*(?:"
    rf"(?P<name>(?!{_STRING_START})[^\W\d]\w*)|"
    rf"(?P<op>(?!\.\d){_OPERATOR})|"
    r"(?P<newline>\n)|"
    r"(?P<backslash>\\\n)|"
    rf"(?P<comment>{tokenize.Comment})|"
    rf"(?P<triple>{tokenize.Triple})|"
    rf"(?P<number>{tokenize.Number})|"
    rf"(?P<string>{tokenize.ContStr})|"
    rf"(?P<name2>{tokenize.Name}))"
)
_G_NAME = _SCAN.groupindex["name"]
_G_OP = _SCAN.groupindex["op"]
_G_NEWLINE = _SCAN.groupindex["newline"]
_G_BACKSLASH = _SCAN.groupindex["backslash"]
_G_COMMENT = _SCAN.groupindex["comment"]
_G_NUMBER = _SCAN.groupindex["number"]
_G_STRING = _SCAN.groupindex["string"]
_G_NAME2 = _SCAN.groupindex["name2"]
_INDENT = re.compile(r"[ \t]*")
# the tail of a triple-quoted string across lines: fissix matches each line
# on its own (an escape cannot reach past a line's end); DOTALL lets "\\."
# take a backslash-newline, which is the same thing
_TRIPLE_END = {
    "'": re.compile(tokenize.Single3, re.DOTALL),
    '"': re.compile(tokenize.Double3, re.DOTALL),
}
# the tail of a one-quote string continued with a backslash (the same)
_SINGLE_END = {
    "'": re.compile(tokenize.Single, re.DOTALL),
    '"': re.compile(tokenize.Double, re.DOTALL),
}
_PREFIX_LETTERS = "uUrRbBfF"
# fissix's tokenizer turns ``async`` and ``await`` into ASYNC/AWAIT tokens
# only from an ``async`` followed by ``def`` on the same line on (elsewhere
# they are plain names, in the same order): such texts take its tokenizer
_ASYNC_DEF = re.compile(r"async[ \t]+def")
_DIGITS = frozenset("0123456789.")


def _columns(ws: str) -> int:
    """The indentation column fissix measures for leading ``ws`` (tabs to
    the next multiple of 8)."""
    column = 0
    for ch in ws:
        column = (column // tokenize.tabsize + 1) * tokenize.tabsize if ch == "\t" else column + 1
    return column


def _scan(text: str):
    """The significant tokens of ``text`` as (grammar type, value, prefix,
    line, column): what fissix's driver feeds its parser from fissix's
    tokenizer (comments, blank lines and line continuations end up in the
    next token's prefix), computed in one scan over the whole text instead
    of line by line.  Raises :class:`_Unsupported` where the text leaves
    this fast path (carriage returns, form feeds, ``async def``,
    anything fissix's tokenizer reports as an error, no final newline):
    those texts take fissix's tokenizer."""
    if (
        (text and not text.endswith("\n"))
        or "\r" in text
        or "\f" in text
        or ("async" in text and _ASYNC_DEF.search(text))
    ):
        raise _Unsupported
    plain = text.isascii()
    match = _SCAN.match
    indent_match = _INDENT.match
    opmap = pgen_grammar.opmap
    NAME, NUMBER, STRING = token.NAME, token.NUMBER, token.STRING
    NEWLINE, INDENT, DEDENT = token.NEWLINE, token.INDENT, token.DEDENT
    n = len(text)
    pos = 0
    prev = 0  # where the previous significant token ended: its prefix starts there
    lineno = 1
    line_start = 0
    parenlev = 0
    continued = False
    indents = [0]
    at_line_start = True
    while pos < n:
        if at_line_start:
            at_line_start = False
            if parenlev or continued:
                continued = False
            else:
                p = indent_match(text, pos).end()
                ch = text[p]
                if ch == "\n" or ch == "#":  # a blank or comment line: prefix
                    pos = text.index("\n", p) + 1
                    lineno += 1
                    line_start = pos
                    at_line_start = True
                    continue
                ws = text[pos:p]
                column = len(ws) if "\t" not in ws else _columns(ws)
                if column > indents[-1]:
                    indents.append(column)
                    yield INDENT, ws, text[prev:pos], lineno, 0
                    prev = p
                while column < indents[-1]:
                    if column not in indents:
                        raise _Unsupported  # (fissix raises IndentationError)
                    indents.pop()
                    yield DEDENT, "", text[prev:p], lineno, p - line_start
                    prev = p
                pos = p
        m = match(text, pos)
        if m is None:
            raise _Unsupported  # (fissix: an error token)
        group = m.lastindex
        if group == _G_NAME or group == _G_NAME2:
            start, end = m.span(group)
            value = text[start:end]
            if not plain and not value[0].isidentifier():
                raise _Unsupported  # (fissix: an operator token)
            yield NAME, value, text[prev:start], lineno, start - line_start
            prev = pos = end
            continue
        if group == _G_OP:
            start, end = m.span(group)
            value = text[start:end]
            first = value[0]
            if first in "([{":
                parenlev += 1
            elif first in ")]}":
                parenlev -= 1
            yield opmap[value], value, text[prev:start], lineno, start - line_start
            prev = pos = end
            continue
        end = m.end()
        if group == _G_NEWLINE:
            if parenlev <= 0:  # (fissix: a NEWLINE unless inside brackets)
                start = end - 1
                yield NEWLINE, "\n", text[prev:start], lineno, start - line_start
                prev = end
            pos = end
            lineno += 1
            line_start = end
            at_line_start = True
            continue
        if group == _G_COMMENT:
            pos = end
            continue
        if group == _G_BACKSLASH:
            continued = True
            pos = end
            lineno += 1
            line_start = end
            at_line_start = True
            continue
        start = m.start(group)
        value = text[start:end]
        if group == _G_NUMBER:
            if not plain and value[0] not in _DIGITS:
                raise _Unsupported
            yield NUMBER, value, text[prev:start], lineno, start - line_start
        elif group == _G_STRING:
            if value[-1] == "\n":  # continued with a backslash: ends on a later line
                tail = _SINGLE_END[value.lstrip(_PREFIX_LETTERS)[0]].match(text, end)
                if tail is None:
                    raise _Unsupported  # (fissix: EOF in multi-line string)
                end = tail.end()
                value = text[start:end]
                if value.count("\n") != value.count("\\\n"):
                    raise _Unsupported  # (fissix: a line not continued, an error token)
                yield STRING, value, text[prev:start], lineno, start - line_start
                lineno += value.count("\n")
                line_start = text.rindex("\n", start, end) + 1
            else:
                yield STRING, value, text[prev:start], lineno, start - line_start
        else:  # "triple": the opening quotes; the string ends where they close
            tail = _TRIPLE_END[value[-1]].match(text, end)
            if tail is None:
                raise _Unsupported  # (fissix: EOF in multi-line string)
            end = tail.end()
            value = text[start:end]
            yield STRING, value, text[prev:start], lineno, start - line_start
            lines = value.count("\n")
            if lines:
                lineno += lines
                line_start = text.rindex("\n", start, end) + 1
        prev = pos = end
    if parenlev or continued:
        raise _Unsupported  # (fissix: EOF in multi-line statement)
    prefix = text[prev:]
    for _ in indents[1:]:
        yield DEDENT, "", prefix, lineno, 0
        prefix = ""
    yield token.ENDMARKER, "", prefix, lineno, 0


def _fissix_tokens(text: str):
    """The same stream as :func:`_scan`, from fissix's tokenizer, with the
    prefix computed the way fissix's driver (``parse_tokens``) does."""
    OP = token.OP
    COMMENT = tokenize.COMMENT
    NL = tokenize.NL
    opmap = pgen_grammar.opmap
    lineno = 1
    column = 0
    prefix = ""
    for type_, value, start, end, line_text in tokenize.generate_tokens(io.StringIO(text).readline):
        if start != (lineno, column):
            s_lineno, s_column = start
            if (lineno, column) > start:
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
        yield type_, value, prefix, start[0], start[1]
        prefix = ""
        lineno, column = end
        if value.endswith("\n"):
            lineno += 1
            column = 0


class FastDriver:
    """``parse_string(text)`` like ``fissix.pgen2.driver.Driver`` (with
    ``pytree.convert``), faster; see the module docstring."""

    def __init__(self, gr) -> None:
        self.grammar = gr
        self.tables = _Tables(gr)
        self.reference = driver.Driver(gr, convert=pytree.convert)

    def parse_string(self, text: str):
        tree = self.try_parse(text)
        if tree is not None:
            return tree
        # fissix's own driver raises its own error (or, should the two ever
        # disagree, its tree is the answer)
        return self.reference.parse_string(text)

    def try_parse(self, text: str):
        """The tree, or None where :meth:`parse_string` would raise (without
        running fissix's driver to find its error)."""
        try:
            try:
                return self._parse(_scan(text))
            except _Unsupported:
                return self._parse(_fissix_tokens(text))
        except _Fail:
            return None

    def _parse(self, tokens):  # noqa: C901 - one loop on purpose (speed)
        """The tree of ``tokens`` (see :func:`_scan`)."""
        gr = self.grammar
        tables = self.tables
        actions = tables.actions
        action = tables.action
        accept_only = tables.accept_only
        keywords = gr.keywords
        tokens_map = gr.tokens
        Leaf = pytree.Leaf
        new_object = object.__new__
        NAME = token.NAME

        used_names: set = set()
        # the stack: [nonterminal, state, children, chain, level] -- a frame
        # with ``level`` pending frames of ``chain`` above it (see _Chain)
        start = gr.start
        stack = [[start, 0, [], None, 0]]
        top = stack[-1]
        push = stack.append
        pop = stack.pop
        done = False
        try:
            for type_, value, prefix, lineno, column in tokens:
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
                    act = actions.get((nt, top[1], ilabel))
                    if act is None:
                        act = action(nt, top[1], ilabel)
                        if act is None:
                            raise _Fail
                    kind = act[0]
                    if kind == _POP:
                        pop()
                        children = top[2]
                        new = children[0] if len(children) == 1 else _node(nt, children)
                        level = top[4]
                        if not level:
                            if not stack:
                                raise _Fail  # "too much input"
                            top = stack[-1]
                            top[2].append(new)
                            continue
                        chain = top[3]
                        hit = chain.resolve(level, ilabel)
                        if hit is None:
                            raise _Fail
                        j, act = hit
                        if j < 0:  # every pending frame popped, passing ``new`` on
                            top = stack[-1]
                            top[2].append(new)
                            continue
                        nt, state = chain.frames[j]
                        top = [nt, state, [new], chain, j]
                        push(top)
                        kind = act[0]
                    if kind == _SHIFT:
                        state = act[1]
                        top[1] = state
                    else:  # _PUSH
                        top[1] = act[1]
                        chain = act[2]
                        nt, state = chain.deep
                        top = [nt, state, [], chain, chain.top]
                        push(top)
                    leaf = new_object(Leaf)  # (Leaf.__init__, inlined)
                    leaf._prefix = prefix
                    leaf.lineno = lineno
                    leaf.column = column
                    leaf.type = type_
                    leaf.value = value
                    # fissix gives each leaf its own empty list, which
                    # nothing here appends to (TM3xx's marks replace it:
                    # _py2.mark); one shared empty tuple is one object fewer
                    # per leaf to allocate and for the collector to free.
                    leaf.fixers_applied = ()
                    top[2].append(leaf)
                    while (nt, state) in accept_only:
                        # pop (convert the finished nonterminal)
                        pop()
                        children = top[2]
                        new = children[0] if len(children) == 1 else _node(nt, children)
                        level = top[4]
                        if level:
                            chain = top[3]
                            j = chain.settle[level]
                            if j >= 0:  # (its state is not accept-only)
                                nt, state = chain.frames[j]
                                top = [nt, state, [new], chain, j]
                                push(top)
                                break
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
                if done:
                    break
            else:
                raise _Fail  # "incomplete input"
        except (_Fail, _Unsupported):
            raise
        except Exception:  # noqa: BLE001 - tokenizer errors: fissix reports them
            raise _Fail from None
        return root
