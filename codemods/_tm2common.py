"""Helpers shared by the TM2xx rules (1.x-2.x deprecations and removals).

* call sites: fissix folds ``a.b(x).c(y)[0]`` into ONE ``power`` node, so a
  call is a (power, index of its ``(...)`` trailer) pair; :func:`iter_calls`
  enumerates them with the callee resolved through the file's imports;
* signature binding of call arguments (:func:`bind`);
* rebuilding a chain with its head replaced (:func:`chain_replacer`);
* the value questions (bindings, tensor dtypes) live in
  :mod:`codemods.analysis` (``assignments_of``, ``tensor_kind``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods.base import Arg, FileContext, call_args, parse_expr

CALL_PATTERN = "power< any trailer< any* >+ any* >"


# --------------------------------------------------------------------------
# Call sites
# --------------------------------------------------------------------------
@dataclass
class Site:
    power: Node
    index: int  # index of the call trailer in power.children
    trailer: Node
    args: list  # list[Arg]
    callee: Optional[str]  # dotted text of the callee when it is a dotted name
    qual: Optional[str]  # callee resolved through the imports
    method: Optional[str]  # the last name before the call when it is ``.name(``
    receiver: list  # power children before ``.name`` (method form), else []

    @property
    def receiver_text(self) -> str:
        if not self.receiver:
            return ""
        s = "".join(str(c) for c in self.receiver)
        return s[len(self.receiver[0].prefix) :].strip()

    @property
    def is_last(self) -> bool:
        return self.index == len(self.power.children) - 1

    def after(self) -> list:
        return self.power.children[self.index + 1 :]

    def is_method(self, ctx: FileContext, names) -> bool:
        """``x.name(...)`` with ``name`` in ``names``, on a receiver that is not
        an imported module (``np.fft(x)`` is a function of numpy's)."""
        return bool(
            self.method in names
            and self.receiver
            and not (self.callee and self.callee.split(".")[0] in ctx.imports)
        )

    def receiver_node(self, anchor) -> Node | Leaf:
        """The receiver as one node (a detached view of several children,
        whose scope is ``anchor``'s), for the analysis."""
        recv = self.receiver
        return recv[0] if len(recv) == 1 else detached_view(recv, anchor)


def is_call_trailer(node) -> bool:
    return node.type == syms.trailer and node.children[0].type == token.LPAR


def is_dot_trailer(node) -> bool:
    return node.type == syms.trailer and node.children[0].type == token.DOT


def resolve(ctx: FileContext, dotted: str) -> str:
    head, _, rest = dotted.partition(".")
    origin = ctx.imports.get(head)
    if origin is None:
        return dotted
    return origin + ("." + rest if rest else "")


def iter_calls(ctx: FileContext, power: Node) -> Iterator[Site]:
    kids = power.children
    dotted_ok = bool(kids) and kids[0].type == token.NAME
    parts = [kids[0].value] if dotted_ok else []
    for i in range(1, len(kids)):
        k = kids[i]
        if is_dot_trailer(k):
            if dotted_ok:
                parts.append(k.children[1].value)
            continue
        if is_call_trailer(k):
            callee = ".".join(parts) if dotted_ok else None
            qual = resolve(ctx, callee) if callee else None
            method = None
            receiver: list = []
            if i >= 2 and is_dot_trailer(kids[i - 1]):
                method = kids[i - 1].children[1].value
                receiver = kids[: i - 1]
            elif i == 1 and kids[0].type == token.NAME:
                method = None
            yield Site(power, i, k, call_args(k), callee, qual, method, receiver)
        dotted_ok = False


def text(node) -> str:
    return str(node).strip()


def bind(args: list, params: list) -> Optional[dict]:
    """Map arguments to parameter names; None when the call uses ``*``/``**``,
    an unknown keyword or too many positionals."""
    out: dict = {}
    pos = 0
    for a in args:
        if a.star:
            return None
        if a.name is None:
            if pos >= len(params) or a.node.type == syms.argument:
                return None
            out[params[pos]] = a
            pos += 1
        else:
            if a.name not in params or a.name in out:
                return None
            out[a.name] = a
    return out


def literal(node) -> object:
    """The Python value of a simple literal (numbers, strings, True/False/None,
    unary minus), or the sentinel ``NOTLIT``."""
    if node is None:
        return NOTLIT
    if isinstance(node, Leaf):
        if node.type == token.NUMBER:
            try:
                return ast.literal_eval(node.value.rstrip("lL"))
            except (ValueError, SyntaxError):
                return NOTLIT
        if node.type == token.NAME and node.value in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[node.value]
        if node.type == token.STRING:
            s = node.value
            if s[:1] in "\"'" and s[-1:] in "\"'" and not s.startswith(("'''", '"""')):
                return s[1:-1]
        return NOTLIT
    if node.type == syms.factor and node.children[0].value in ("-", "+"):
        v = literal(node.children[1])
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return -v if node.children[0].value == "-" else v
    return NOTLIT


class _NotLit:
    def __repr__(self) -> str:  # pragma: no cover
        return "NOTLIT"


NOTLIT = _NotLit()


def is_int_literal(node) -> bool:
    v = literal(node)
    return isinstance(v, int) and not isinstance(v, bool)


def is_float_literal(node) -> bool:
    return isinstance(literal(node), float)


# --------------------------------------------------------------------------
# Rebuilding
# --------------------------------------------------------------------------
def chain_with_head(power: Node, index: int, new_text: str) -> Node:
    """A new node: ``new_text`` followed by clones of the trailers after
    ``power.children[index]``."""
    new = parse_expr(new_text)
    rest = [c.clone() for c in power.children[index + 1 :]]
    if not rest:
        return new
    if new.type == syms.power:
        kids = [c.clone() for c in new.children] + rest
    elif new.type in (token.NAME, syms.atom):
        kids = [new] + rest
    else:
        new.prefix = ""
        kids = [Node(syms.atom, [Leaf(token.LPAR, "("), new, Leaf(token.RPAR, ")")])] + rest
    for k in kids:
        k.parent = None
    return Node(syms.power, kids)


def needs_parens(node) -> bool:
    """True when an expression must be parenthesised to be used as an operand
    or receiver."""
    return node.type not in (token.NAME, token.NUMBER, token.STRING, syms.atom, syms.power)


def operand(node) -> str:
    t = text(node)
    return f"({t})" if needs_parens(node) else t


def retarget(ctx: FileContext, callee: str, old_qual: str, new_qual: str) -> tuple[str, bool]:
    """Spell ``new_qual`` the way the file spells ``old_qual`` when the written
    callee's head is an alias of a common prefix; otherwise the full dotted
    name (second item True: ``import torch``-like import needed)."""
    head, _, _ = callee.partition(".")
    origin = ctx.imports.get(head, head)
    if "." in callee and new_qual.startswith(origin + "."):
        return head + new_qual[len(origin) :], False
    return new_qual, True


def detached_view(children: list, anchor) -> Node:
    """A power node of clones of ``children`` whose ``parent`` points at
    ``anchor`` (one-way: for read-only analyses that need the scope)."""
    view = Node(syms.power, [c.clone() for c in children])
    view.parent = anchor
    return view


def first_stmt_node(node) -> Optional[Node]:
    """The statement (simple_stmt or compound) containing ``node``."""
    cur = node
    while cur is not None and cur.parent is not None:
        if cur.parent.type in (syms.suite, syms.file_input):
            return cur
        cur = cur.parent
    return None


__all__ = [
    "Arg",
    "CALL_PATTERN",
    "NOTLIT",
    "Site",
    "bind",
    "chain_with_head",
    "first_stmt_node",
    "is_call_trailer",
    "is_dot_trailer",
    "is_float_literal",
    "is_int_literal",
    "iter_calls",
    "literal",
    "needs_parens",
    "operand",
    "resolve",
    "retarget",
    "text",
]
