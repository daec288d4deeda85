"""Small call-site helpers shared by TM012 and the TM1xx rules.

fissix folds a whole chain ``a.b(x).c(y)[0]`` into ONE ``power`` node whose
children are the head atom and its trailers, so a "call" is a pair
(``power`` node, index of a ``(...)`` trailer).  These helpers enumerate such
calls, resolve the callee through the file's imports and edit the callee in
place (inside fix callables only).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods.base import Arg, FileContext, call_args, is_attached, parse_expr

# A power node that contains at least one call trailer.
CALL_PATTERN = "power"


@dataclass
class Call:
    power: Node
    index: int  # index of the call trailer in power.children
    trailer: Node
    args: list  # list[Arg]
    callee: str  # dotted text of the callee (``F.softmax``), '' when not dotted
    qualname: Optional[str]  # resolved through imports, None when not dotted

    @property
    def name_leaf(self) -> Leaf:
        """The last NAME of the callee (``softmax`` in ``F.softmax``)."""
        prev = self.power.children[self.index - 1]
        if isinstance(prev, Leaf):
            return prev
        return prev.children[1]


def is_call_trailer(node) -> bool:
    return node.type == syms.trailer and node.children[0].type == token.LPAR


def is_dot_trailer(node) -> bool:
    return node.type == syms.trailer and node.children[0].type == token.DOT


def function_call(ctx: FileContext, power: Node) -> Optional[Call]:
    """The call ``dotted.name(...)`` at the head of ``power`` (the first call
    trailer, when everything before it is a dotted name)."""
    kids = power.children
    if not kids or kids[0].type != token.NAME:
        return None
    parts = [kids[0].value]
    for i in range(1, len(kids)):
        k = kids[i]
        if is_dot_trailer(k):
            parts.append(k.children[1].value)
            continue
        if is_call_trailer(k):
            dotted = ".".join(parts)
            head, _, rest = dotted.partition(".")
            origin = ctx.imports.get(head)
            qual = dotted if origin is None else origin + ("." + rest if rest else "")
            return Call(power, i, k, call_args(k), dotted, qual)
        return None
    return None


def method_calls(power: Node) -> Iterator[tuple[int, str, Node]]:
    """``(index of the call trailer, method name, call trailer)`` for every
    ``.name(...)`` in the chain whose receiver is a non-empty expression."""
    kids = power.children
    for i in range(2, len(kids)):
        if is_call_trailer(kids[i]) and is_dot_trailer(kids[i - 1]):
            yield i, kids[i - 1].children[1].value, kids[i]


def receiver_text(power: Node, call_index: int) -> str:
    """Source text of the receiver of the method call at ``call_index``."""
    return "".join(str(c) for c in power.children[: call_index - 1]).strip()


def receiver_node(power: Node, call_index: int):
    """A detached clone of the receiver expression of a method call."""
    kids = power.children[: call_index - 1]
    if len(kids) == 1:
        node = kids[0].clone()
    else:
        node = Node(syms.power, [c.clone() for c in kids])
    node.prefix = ""
    return node


def replace_callee(call: Call, dotted: str) -> None:
    """Replace the callee of ``call`` by ``dotted`` (e.g. ``torch.sigmoid``)."""
    power = call.power
    prefix = power.children[0].prefix
    new = parse_expr(dotted)
    new_kids = [new] if isinstance(new, Leaf) else [c.clone() for c in new.children]
    for _ in range(call.index):
        power.children[0].remove()
    for j, kid in enumerate(new_kids):
        power.insert_child(j, kid)
    power.children[0].prefix = prefix


def literal(node) -> Optional[object]:
    """The Python value of a simple literal (True/False/None, number, string)."""
    if node is None:
        return None
    if isinstance(node, Leaf):
        if node.type == token.NAME and node.value in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[node.value]
        if node.type == token.STRING:
            text = node.value
            if text[:1] in "bBrRuUfF" and text[1:2] in "\"'":
                text = text[1:]
            if text[:1] in "\"'" and not text.startswith(('"""', "'''")):
                return text[1:-1]
            return _Unknown
        if node.type == token.NUMBER:
            try:
                return int(node.value)
            except ValueError:
                try:
                    return float(node.value)
                except ValueError:
                    return _Unknown
    if node.type == syms.factor and node.children[0].value == "-":
        val = literal(node.children[1])
        if isinstance(val, (int, float)) and not isinstance(val, bool):
            return -val
    return _Unknown


class _UnknownType:
    def __repr__(self) -> str:  # pragma: no cover
        return "<unknown>"


_Unknown = _UnknownType()
UNKNOWN = _Unknown


def is_literal(node) -> bool:
    return literal(node) is not _Unknown


def positional(args: list) -> list:
    return [a for a in args if a.name is None and not a.star]


def has_star(args: list) -> bool:
    return any(a.star for a in args)


def arg_text(arg: Arg) -> str:
    return str(arg.value).strip()


def src(node) -> str:
    return str(node).strip()


def set_arg_value(arg: Arg, text: str) -> None:
    new = parse_expr(text)
    new.prefix = arg.value.prefix
    arg.value.replace(new)


# --------------------------------------------------------------------------
# Renaming a deprecated function: call sites and ``from m import f``
# --------------------------------------------------------------------------
def _next_sibling(leaf):
    return leaf.next_sibling


def name_role(leaf: Leaf) -> str:
    """'attr' (``x.name``), 'kwarg' (``f(name=...)``), 'bind' (a binding
    occurrence), 'import' or 'ref' (a plain load)."""
    parent = leaf.parent
    prev = leaf.prev_sibling
    if prev is not None and prev.type == token.DOT:
        return "attr"
    if parent is None:
        return "ref"
    if parent.type in (syms.import_from, syms.import_as_name, syms.import_as_names):
        return "import"
    if parent.type in (syms.dotted_name, syms.dotted_as_name, syms.import_name):
        return "import"
    nxt = leaf.next_sibling
    if parent.type == syms.argument and nxt is not None and nxt.type == token.EQUAL:
        return "kwarg"
    if parent.type in (syms.funcdef, syms.classdef) and parent.children[1] is leaf:
        return "bind"
    if parent.type in (syms.parameters, syms.typedargslist, syms.varargslist, syms.tname):
        return "bind"
    if parent.type == syms.for_stmt and parent.children[1] is leaf:
        return "bind"
    if parent.type == syms.expr_stmt and nxt is not None and nxt.type == syms.annassign:
        return "bind"  # ``name: T = value``
    if (
        parent.type == syms.expr_stmt
        and isinstance(nxt, Leaf)
        and (nxt.type == token.EQUAL or nxt.value.endswith("="))
    ):
        return "bind"
    if parent.type in (syms.global_stmt,):
        return "bind"
    return "ref"


class ImportRename:
    """Mixin for a fixer of ``from <module> import old[, ...]``.

    Subclasses define ``RENAMES`` (old -> new), ``MODULES`` (module names the
    names are imported from) and ``WHAT`` (text for messages)."""

    RENAMES: dict = {}
    MODULES: tuple = ()
    WHAT = ""
    PATTERN = "import_from< 'from' module=any 'import' names=any* >"

    def visit_import(self, node, results, safe_class) -> None:
        module = "".join(str(n).strip() for n in [results["module"]])
        if module not in self.MODULES:
            return
        for leaf in node.leaves():
            if leaf.type != token.NAME or leaf.value not in self.RENAMES:
                continue
            parent = leaf.parent
            if parent.type == syms.import_as_name:
                if parent.children[0] is not leaf:
                    continue  # the alias, not the imported name
                self._report_alias(leaf, safe_class)
            elif parent is node or parent.type == syms.import_as_names:
                self._report_plain(node, leaf, safe_class)

    def _report_alias(self, leaf, safe_class) -> None:
        old = leaf.value
        new = self.RENAMES[old]

        def fix(leaf=leaf, new=new):
            if leaf.value == new:
                return False
            leaf.value = new

        self.report(
            leaf,
            f"`{old}` is deprecated; import `{new}` under the same alias (same function, {self.WHAT})",
            safe_class,
            fix=fix,
            suggestion=new,
        )

    def _report_plain(self, node, leaf, safe_class) -> None:
        old = leaf.value
        new = self.RENAMES[old]
        tree = self.ctx.tree
        uses = []
        for other in tree.leaves():
            if other is leaf or other.type != token.NAME or other.value != old:
                continue
            role = name_role(other)
            if role in ("attr", "kwarg"):
                continue
            if role in ("bind", "import"):
                self.report(
                    leaf,
                    f"`{old}` (imported from {self.MODULES[0]}) is deprecated, but the name is "
                    f"also bound elsewhere in this file (line {other.get_lineno()}); import "
                    f"`{new}` and rename the uses that refer to the torch function by hand",
                    "manual",
                )
                return
            uses.append(other)

        def fix(leaf=leaf, uses=tuple(uses), new=new):
            if leaf.value == new:
                return False
            if not all(is_attached(use, tree) for use in uses):
                # another fix of this pass replaced a use (rebuilt the call
                # around it): rename nothing now, the next pass finds the
                # uses in the new code
                return False
            leaf.value = new
            for use in uses:
                use.value = new

        self.report(
            leaf,
            f"`{old}` is deprecated; import and call `{new}` instead "
            f"({len(uses)} use(s) renamed; same function, {self.WHAT})",
            safe_class,
            fix=fix,
            suggestion=f"from {self.MODULES[0]} import {new}",
        )


def kwarg_value(args: list, name: str):
    for a in args:
        if a.name == name:
            return a.value
    return None
