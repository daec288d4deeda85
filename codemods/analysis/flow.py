"""Where a value goes: is a name only *read as a number*, or does it flow
into autograd?

``flow_of(ctx, leaf)`` follows every read of the name ``leaf`` in the scope
that binds it -- through arithmetic, parentheses, conditional expressions,
aliases (``avg = total / n``), accumulation into another name
(``epoch_loss += total``) and lists it is appended to -- and classifies each
read:

* ``GRAD``: the value reaches ``.backward()``, ``torch.autograd.backward``,
  ``torch.autograd.grad``, or is returned from a function (an optimizer
  closure returns its loss; a function returning a loss lets its caller
  backpropagate).
* ``NUMBER``: the read provably uses the value as a number -- printed,
  %-/``format``-formatted or in an f-string, logged (``logger.info``,
  ``writer.add_scalar``, ``tqdm.set_postfix``...), compared, tested for
  truth, converted (``float``/``int``/``round``/``str``), passed to
  ``numpy``/``math``, used as an index, or stored in a list that is itself
  only read that way.
* ``UNKNOWN``: anything else (an attribute or method of the value, a call
  of another function, a store into an attribute/container/dict, a read in
  a nested function, ``yield``).

The verdict of a name is ``GRAD`` if any read is ``GRAD``, else ``UNKNOWN``
if any read is ``UNKNOWN``, else ``NUMBER`` (no reads at all is ``NUMBER``).
The analysis is flow-insensitive and intra-procedural, which errs on the
safe side in both directions: every read of the name in the scope counts,
whatever binding it sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods.analysis.scopes import _SCOPE_TYPES, analysis, scope_node
from codemods.analysis.syntax import chain_qualname
from codemods.base import (
    FileContext,
    NodeOrLeaf,
    attr_name,
    is_attr,
    is_call,
    is_subscript,
    subtree_of_type,
)

GRAD = "grad"
NUMBER = "number"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Flow:
    """The verdict for a name, and the read that decided it."""

    verdict: str
    where: Optional[NodeOrLeaf] = None  # the deciding read (a leaf)
    why: str = ""  # e.g. "reaches .backward()", "returned", "passed to f()"
    returned: bool = False  # GRAD only because the value is returned

    @property
    def line(self) -> int:
        return self.where.get_lineno() if self.where is not None else 0


_NUMBER_BUILTINS = frozenset(
    {"print", "float", "int", "round", "str", "bool", "abs", "repr", "format", "len"}
)
# the result of these is the value itself (or one of several): follow it
_PASS_BUILTINS = frozenset({"max", "min", "sum", "sorted"})
_LOG_METHODS = frozenset(
    {
        "info",
        "debug",
        "warning",
        "warn",
        "error",
        "critical",
        "log",
        "write",
        "set_description",
        "set_postfix",
        "set_postfix_str",
        "add_scalar",
        "add_scalars",
        "log_value",
        "log_scalar",
        "update",  # meters: ``losses.update(loss, n)`` store numbers
    }
)
_TENSOR_SAME = frozenset(
    """sum mean prod norm max min std var view view_as reshape squeeze unsqueeze float double
    half cpu cuda to clone contiguous detach mul add sub div pow sqrt abs neg exp log clamp
    expand expand_as t transpose permute flatten""".split()
)
_LIST_NEUTRAL = frozenset({"append", "extend", "insert", "clear"})
_ARITH = (
    syms.arith_expr,
    syms.term,
    syms.factor,
    syms.shift_expr,
    syms.and_expr,
    syms.xor_expr,
    syms.expr,
)
_TUPLES = (syms.testlist_gexp, syms.testlist_star_expr, syms.exprlist, syms.testlist)


def flow_of(ctx: FileContext, leaf: Leaf) -> Flow:
    """The flow verdict for the name ``leaf`` in the scope that binds it
    (memoised per scope and name until a fix changes the file)."""
    an = analysis(ctx)
    scope = _binding_scope(ctx, leaf)
    key = ("flow", id(scope), leaf.value)
    hit = an.file_memo.get(key)
    if hit is None:
        hit = an.file_memo[key] = _Follow(ctx, scope).run(leaf.value)
    return hit


def _binding_scope(ctx: FileContext, leaf: Leaf) -> Node:
    scope = scope_node(leaf)
    while scope is not None and scope.type == syms.classdef:
        scope = scope_node(scope)
    if scope is None:
        return ctx.tree
    if scope.type != syms.file_input:
        b = analysis(ctx).bindings(scope)
        if leaf.value in b.global_names:
            return ctx.tree
    return scope


def _body(scope: Node) -> Node:
    return scope if scope.type == syms.file_input else scope.children[-1]


def _name_leaves(scope: Node, ctx: Optional[FileContext] = None) -> dict:
    """The NAME leaves of the scope's body (nested scopes included: reads of
    a followed name there are reported by ``_Follow._read`` as free
    variables), by name, in pre-order."""
    out: dict = {}
    for leaf in subtree_of_type(ctx, _body(scope), token.NAME):
        hit = out.get(leaf.value)
        if hit is None:
            out[leaf.value] = [leaf]
        else:
            hit.append(leaf)
    return out


def _fstring_leaves(scope: Node, ctx: Optional[FileContext] = None) -> list:
    """The f-string literals of the scope's body, in pre-order."""
    return [
        leaf
        for leaf in subtree_of_type(ctx, _body(scope), token.STRING)
        if re.match(r"[rRbB]?[fF]", leaf.value)
    ]


class _Follow:
    def __init__(self, ctx: FileContext, scope: Node) -> None:
        self.ctx = ctx
        self.scope = scope
        self.queue: list = []
        self.seen: set = set()
        self.verdict = NUMBER
        self.deciding: Optional[tuple] = None

    # -- driver -------------------------------------------------------------
    def run(self, name: str) -> Flow:
        self._add(name, False)
        an = analysis(self.ctx)
        by_name = an.scope_table("flow_names", self.scope, lambda s: _name_leaves(s, self.ctx))
        while self.queue:
            cur, is_list = self.queue.pop()
            for leaf in by_name.get(cur, ()):
                res = self._read(leaf, is_list)
                if res is None:
                    continue
                verdict, why, returned = res
                if verdict == GRAD and (
                    self.verdict != GRAD or (self.deciding[2] and not returned)
                ):
                    self.verdict, self.deciding = GRAD, (leaf, why, returned)
                elif verdict == UNKNOWN and self.verdict == NUMBER:
                    self.verdict, self.deciding = UNKNOWN, (leaf, why, False)
            for s in self._fstring_reads(cur):
                if s is not None and self.verdict == NUMBER:
                    self.verdict, self.deciding = UNKNOWN, (s, "an attribute in an f-string", False)
        if self.deciding is None:
            return Flow(NUMBER)
        leaf, why, returned = self.deciding
        return Flow(self.verdict, leaf, why, returned)

    def _add(self, name: str, is_list: bool) -> None:
        if (name, is_list) not in self.seen:
            self.seen.add((name, is_list))
            self.queue.append((name, is_list))

    def _fstring_reads(self, name: str):
        """f-strings hide their names from the tree: a placeholder that uses
        an attribute/method/index of ``name`` is reported (the leaf), plain
        placeholders are number reads (nothing reported)."""
        fstrings = analysis(self.ctx).scope_table(
            "flow_fstrings", self.scope, lambda s: _fstring_leaves(s, self.ctx)
        )
        if not fstrings:
            return
        pat = re.compile(r"\{[^{}]*\b" + re.escape(name) + r"\b\s*[.\[(]")
        for leaf in fstrings:
            if pat.search(leaf.value):
                yield leaf

    # -- one read -------------------------------------------------------------
    def _read(self, leaf: Leaf, is_list: bool) -> Optional[tuple]:
        """(verdict, why, returned) for one occurrence, None when it is not
        a read (a binding target, an attribute name, a keyword)."""
        parent = leaf.parent
        if parent is None:
            return None
        if parent.type == syms.trailer and parent.children[0].value == ".":
            return None  # ``x.name``
        if parent.type == syms.argument and parent.children[0] is leaf and len(parent.children) > 1:
            if parent.children[1].type == token.EQUAL:
                return None  # keyword name
        if parent.type in (syms.funcdef, syms.classdef, syms.global_stmt, syms.import_as_name):
            return None
        if parent.type in (syms.parameters, syms.typedargslist, syms.varargslist, syms.tname):
            return None
        if _is_target(leaf):
            return None
        own = scope_node(leaf)
        while own is not None and own.type == syms.classdef:
            own = scope_node(own)
        if own is not self.scope and own is not None:
            if leaf.value in analysis(self.ctx).bindings(own).names:
                return None  # another variable of the same name
            return UNKNOWN, f"read in the nested function `{_scope_name(own)}`", False
        return self._use(leaf, is_list)

    def _use(self, node: NodeOrLeaf, is_list: bool) -> Optional[tuple]:
        while True:
            p = node.parent
            if p is None:
                return UNKNOWN, "used in an unknown way", False
            t = p.type
            if t == syms.power:
                kids = p.children
                if kids[0] is node:
                    return self._trailers(p, 1, is_list)
                if any(k.type == token.DOUBLESTAR for k in kids):
                    node = p  # ``total ** 0.5`` / ``2 ** total``
                    continue
                return UNKNOWN, "used in an unknown way", False
            if t == syms.atom:
                first = p.children[0].value
                if first == "(":
                    node = p
                    continue
                return UNKNOWN, "stored in a container", False
            if t in _ARITH:
                if t == syms.term and _is_format(p):
                    return NUMBER, "", False
                node = p
                continue
            if t in (syms.comparison, syms.not_test, syms.and_test, syms.or_test):
                return NUMBER, "", False
            if t == syms.test:
                if len(p.children) == 5 and p.children[2] is node:
                    return NUMBER, "", False
                node = p
                continue
            if t in _TUPLES:
                holder = p.parent
                if holder is not None and holder.type == syms.atom:
                    holder = holder.parent
                if holder is not None and holder.type == syms.term and _is_format(holder):
                    return NUMBER, "", False
                if holder is not None and holder.type == syms.print_stmt:
                    return NUMBER, "", False
                if holder is not None and holder.type == syms.return_stmt:
                    return GRAD, "returned", True
                return UNKNOWN, "stored in a tuple", False
            if t == syms.expr_stmt:
                return self._assigned(p, node)
            if t == syms.return_stmt:
                return GRAD, "returned", True
            if t in (syms.yield_expr, syms.yield_arg):
                return UNKNOWN, "yielded", False
            if t == syms.print_stmt:
                return NUMBER, "", False
            if t in (syms.if_stmt, syms.while_stmt, syms.assert_stmt):
                return NUMBER, "", False
            if t == syms.del_stmt:
                return None
            if t == syms.subscript or t == syms.subscriptlist:
                return NUMBER, "", False
            if t == syms.trailer:
                return self._in_trailer(p, node)
            if t == syms.arglist:
                trailer = p.parent
                if trailer is not None and trailer.type == syms.trailer:
                    return self._in_trailer(trailer, node)
                return UNKNOWN, "used in an unknown way", False
            if t == syms.argument:
                if p.children[0] is node:
                    return UNKNOWN, "used in an unknown way", False
                holder = p.parent
                if holder is not None and holder.type == syms.arglist:
                    holder = holder.parent
                if holder is not None and holder.type == syms.trailer:
                    return self._in_trailer(holder, p)
                return UNKNOWN, "used in an unknown way", False
            if t in (syms.for_stmt, syms.comp_for, getattr(syms, "old_comp_for", -1)):
                # iterating the value (a list of numbers): follow the elements
                tgt = p.children[1]
                if tgt.type == token.NAME and p.type == syms.for_stmt:
                    self._add(tgt.value, False)
                    return None
                return UNKNOWN, "iterated", False
            return UNKNOWN, "used in an unknown way", False

    def _trailers(
        self, power: Node, start: int, is_list: bool, result: bool = False
    ) -> Optional[tuple]:
        """The value is followed by ``power.children[start:]``.  ``result``:
        the value is the tensor result of a torch function of the followed
        name (its methods are not methods of the name itself)."""
        kids = power.children
        rest = [k for k in kids[start:]]
        if any(k.type == token.DOUBLESTAR for k in rest):
            rest = rest[: [k.type for k in rest].index(token.DOUBLESTAR)]
        for i, k in enumerate(rest[:-1]):
            if is_attr(k, "backward") and is_call(rest[i + 1]):
                return GRAD, "reaches `.backward()`", False
        if not rest:
            return self._use(power, is_list)
        first = rest[0]
        if is_list and is_attr(first) and attr_name(first) in _LIST_NEUTRAL:
            return None  # more elements
        if is_list and is_subscript(first):
            return self._trailers(power, start + 1, False)  # an element
        if result and is_attr(first) and attr_name(first) in ("item", "tolist"):
            return NUMBER, "", False
        # methods that keep a tensor a tensor: the value flows on
        flows = all(
            (is_attr(k) and attr_name(k) in _TENSOR_SAME) or is_call(k) for k in rest
        ) and is_attr(first)
        if flows:
            up = self._use(power, False)
            if result or (up is not None and up[0] == GRAD):
                return up
        if is_subscript(first):
            return UNKNOWN, "indexed", False
        return UNKNOWN, (f"`.{attr_name(first)}` is used" if is_attr(first) else "called"), False

    def _in_trailer(self, trailer: Node, arg: NodeOrLeaf) -> Optional[tuple]:
        """``arg`` is (in) the argument list of the call ``trailer``."""
        if trailer.children[0].value == "[":
            return NUMBER, "", False  # an index
        if trailer.children[0].value != "(":
            return UNKNOWN, "used in an unknown way", False
        power = trailer.parent
        if power is None or power.type != syms.power:
            return UNKNOWN, "used in an unknown way", False
        kids = power.children
        idx = kids.index(trailer)
        callee = kids[:idx]
        ctx = self.ctx
        if len(callee) == 1 and callee[0].type == token.NAME:
            name = callee[0].value
            free = name not in ctx.imports and not analysis(ctx).name_bindings(callee[0])
            if free and name in _NUMBER_BUILTINS:
                return NUMBER, "", False
            if free and name in _PASS_BUILTINS:
                return self._trailers(power, idx + 1, False, result=True)
        q = chain_qualname(ctx, callee) if all(is_attr(c) for c in callee[1:]) else None
        if q is not None:
            if q in ("torch.autograd.backward", "torch.autograd.grad") or q.startswith(
                ("torch.autograd.backward", "torch.autograd.grad")
            ):
                return GRAD, f"reaches `{q}`", False
            if q.startswith(("numpy.", "math.", "json.", "logging.", "statistics.")):
                return NUMBER, "", False
            if q.startswith("torch."):
                # a torch function of the value: its result carries the value
                return self._trailers(power, idx + 1, False, result=True)
        last = callee[-1]
        if is_attr(last):
            meth = attr_name(last)
            if meth == "format" and len(callee) == 2 and callee[0].type == token.STRING:
                return NUMBER, "", False
            if meth in _LOG_METHODS:
                return NUMBER, "", False
            if meth == "append" and len(callee) == 2 and callee[0].type == token.NAME:
                self._add(callee[0].value, True)
                return None
        shown = "".join(str(c) for c in callee).strip()
        return UNKNOWN, f"passed to `{shown}()`", False

    def _assigned(self, stmt: Node, node: NodeOrLeaf) -> Optional[tuple]:
        kids = stmt.children
        if kids[-1] is not node:
            return UNKNOWN, "used in an unknown way", False
        op = kids[-2]
        targets = kids[:-1:2]
        for tgt in targets:
            if tgt.type != token.NAME:
                what = "stored in an attribute" if tgt.type == syms.power else "stored"
                if tgt.type == syms.power and is_subscript(tgt.children[-1]):
                    what = "stored in a container"
                return UNKNOWN, what, False
        for tgt in targets:
            self._add(tgt.value, False)
        del op
        return None


def _is_format(term: Node) -> bool:
    """``'...' % value``."""
    kids = term.children
    return len(kids) >= 3 and kids[1].value == "%" and kids[0].type == token.STRING


def _is_target(leaf: Leaf) -> bool:
    node = leaf
    while node.parent is not None and (
        node.parent.type in _TUPLES or node.parent.type in (syms.atom, syms.star_expr)
    ):
        node = node.parent
    p = node.parent
    if p is None:
        return False
    if p.type == syms.expr_stmt:
        return p.children[-1] is not node and not (
            len(p.children) == 3 and p.children[1].type == syms.annassign
        )
    if p.type in (syms.for_stmt, syms.comp_for, getattr(syms, "old_comp_for", -1)):
        return p.children[1] is node
    if p.type == syms.with_item or (p.type == syms.with_stmt):
        kids = p.children
        i = kids.index(node)
        return i > 0 and getattr(kids[i - 1], "value", None) == "as"
    if p.type == syms.except_clause:
        kids = p.children
        i = kids.index(node)
        return i > 0 and getattr(kids[i - 1], "value", None) in ("as", ",")
    if p.type == syms.del_stmt:
        return True
    return False


def _scope_name(scope: Node) -> str:
    if scope.type in (syms.funcdef, syms.classdef):
        return scope.children[1].value
    return "lambda"


__all__ = ["Flow", "GRAD", "NUMBER", "UNKNOWN", "flow_of"]
_ = _SCOPE_TYPES  # the scopes this module knows about (see scopes.py)
