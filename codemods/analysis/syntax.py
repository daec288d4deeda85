"""Pure syntax helpers of the analysis: chains, parentheses, tuple displays.

No inference here.  A *chain* is the list of children of a fissix ``power``
node up to its ``**`` operator: ``[head, trailer, trailer, ...]``;
``p.data.add_`` is ``[Leaf(p), trailer<. data>, trailer<. add_>]``.
"""

from __future__ import annotations

from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Node

from codemods.base import FileContext, NodeOrLeaf, is_attr

_COMP = (syms.comp_for,)


def chain_of(power: NodeOrLeaf) -> list:
    """The chain of a ``power`` node (everything before a ``**``); any other
    node is a chain of one."""
    if power.type != syms.power:
        return [power]
    out = []
    for child in power.children:
        if child.type == token.DOUBLESTAR:
            break
        out.append(child)
    return out


def chain_node(chain: list) -> NodeOrLeaf:
    """A detached node (clones) for an expression chain."""
    if len(chain) == 1:
        new = chain[0].clone()
    else:
        new = Node(syms.power, [c.clone() for c in chain])
    new.prefix = ""
    return new


def chain_qualname(ctx: FileContext, chain: list) -> Optional[str]:
    """``torch.nn.functional.softmax`` for the chain ``F . softmax`` (dotted
    names only), resolved through the imports; None when the head is not an
    imported name."""
    if not chain or chain[0].type != token.NAME:
        return None
    if any(not is_attr(t) for t in chain[1:]):
        return None
    if chain[0].value not in ctx.imports:
        return None
    if len(chain) == 1:
        return ctx.qualname(chain[0])
    return ctx.qualname(Node(syms.power, [c.clone() for c in chain]))


def unparen(node: NodeOrLeaf) -> NodeOrLeaf:
    """``((x))`` -> ``x`` (not tuples or yield expressions)."""
    while (
        node.type == syms.atom
        and len(node.children) == 3
        and node.children[0].value == "("
        and node.children[1].type not in (syms.testlist_gexp, syms.yield_expr)
    ):
        node = node.children[1]
    return node


def tuple_items(node: NodeOrLeaf) -> Optional[list]:
    """The items of a tuple/list display or bare tuple, None for anything
    else (comprehensions included)."""
    if node.type == syms.atom and len(node.children) == 3 and node.children[0].value in "([":
        inner = node.children[1]
        if inner.type in (syms.testlist_gexp, syms.listmaker):
            if any(c.type in _COMP for c in inner.children):
                return None
            return [c for c in inner.children if c.type != token.COMMA]
        return None
    if node.type in (syms.testlist_star_expr, syms.testlist, syms.exprlist, syms.testlist_gexp):
        return [c for c in node.children if c.type != token.COMMA]
    return None


def is_true(node: NodeOrLeaf) -> bool:
    return node.type == token.NAME and node.value == "True"


def is_false(node: NodeOrLeaf) -> bool:
    return node.type == token.NAME and node.value == "False"
