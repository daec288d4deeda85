"""Helpers shared by the TM2xx rules (1.x-2.x deprecations and removals).

* call sites: fissix folds ``a.b(x).c(y)[0]`` into ONE ``power`` node, so a
  call is a (power, index of its ``(...)`` trailer) pair; :func:`iter_calls`
  enumerates them with the callee resolved through the file's imports;
* signature binding of call arguments (:func:`bind`);
* rebuilding a chain with its head replaced (:func:`chain_replacer`);
* a small, conservative, per-file binding analysis (:func:`bindings`) and a
  tensor-dtype inference on top of it (:func:`tensor_kind`).  Everything
  answers "unknown" (None) unless the source proves it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods.base import Arg, FileContext, call_args, dotted_name, parse_expr

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


# --------------------------------------------------------------------------
# Binding analysis
# --------------------------------------------------------------------------
@dataclass
class Scope:
    node: Node
    assigns: dict  # name -> list[(op, rhs node)]
    other: set  # names bound some other way (params, for, with, tuple, import)
    globals_: set


def _scope_of(node) -> Node:
    cur = node.parent
    while cur is not None:
        if cur.type in (syms.funcdef, syms.file_input):
            return cur
        cur = cur.parent
    return node  # detached


def _target_names(node, out: set) -> None:
    if isinstance(node, Leaf):
        if node.type == token.NAME:
            out.add(node.value)
        return
    if node.type in (
        syms.exprlist,
        syms.testlist_star_expr,
        syms.testlist_gexp,
        syms.atom,
        syms.testlist,
        syms.star_expr,
        syms.listmaker,
    ):
        for c in node.children:
            _target_names(c, out)


def bindings(ctx: FileContext) -> dict:
    """scope node -> Scope, plus key ``'attrs'`` -> dotted target -> list of rhs."""
    cached = ctx.cache.get("tm2.bindings")
    if cached is not None:
        return cached
    scopes: dict = {}
    attrs: dict = {}

    def scope(node) -> Scope:
        s = _scope_of(node)
        sc = scopes.get(id(s))
        if sc is None:
            sc = scopes[id(s)] = Scope(s, {}, set(), set())
        return sc

    for node in ctx.tree.pre_order():
        t = node.type
        if t == syms.expr_stmt:
            kids = node.children
            if len(kids) >= 3 and kids[1].type == token.EQUAL:
                rhs = kids[-1]
                targets = kids[0:-1:2]
                for tgt in targets:
                    _bind_target(scope(node), attrs, tgt, "=", rhs)
            elif len(kids) == 3 and kids[1].type in _AUG:
                _bind_target(scope(node), attrs, kids[0], kids[1].value, kids[2])
            elif len(kids) >= 3 and kids[1].type == syms.annassign:
                ann = kids[1].children
                if len(ann) >= 4:
                    _bind_target(scope(node), attrs, kids[0], "=", ann[3])
        elif t == syms.funcdef:
            # the function's name is bound in the enclosing scope, params inside
            scope(node).other.add(node.children[1].value)
            fs = scopes.setdefault(id(node), Scope(node, {}, set(), set()))
            for leaf in node.children[2].leaves():
                if leaf.type == token.NAME:
                    fs.other.add(leaf.value)
        elif t in _FOR_TYPES:
            names: set = set()
            _target_names(node.children[1], names)
            scope(node).other.update(names)
        elif t == syms.with_stmt or t == syms.except_clause:
            for i, c in enumerate(node.children):
                if isinstance(c, Leaf) and c.value == "as" and i + 1 < len(node.children):
                    names = set()
                    _target_names(node.children[i + 1], names)
                    scope(node).other.update(names)
        elif t == _ASEXPR:
            names = set()
            _target_names(node.children[-1], names)
            scope(node).other.update(names)
        elif t in (syms.import_name, syms.import_from, syms.classdef):
            if t == syms.classdef:
                scope(node).other.add(node.children[1].value)
            else:
                for leaf in node.leaves():
                    if leaf.type == token.NAME:
                        scope(node).other.add(leaf.value)
        elif t == syms.global_stmt:
            for leaf in node.children[1:]:
                if leaf.type == token.NAME:
                    scope(node).globals_.add(leaf.value)
    out = {"scopes": scopes, "attrs": attrs}
    ctx.cache["tm2.bindings"] = out
    return out


_FOR_TYPES = {syms.for_stmt, syms.comp_for} | (
    {syms.old_comp_for} if hasattr(syms, "old_comp_for") else set()
)
_ASEXPR = getattr(syms, "asexpr_test", -1)

_AUG = {
    token.PLUSEQUAL,
    token.MINEQUAL,
    token.STAREQUAL,
    token.SLASHEQUAL,
    token.DOUBLESLASHEQUAL,
    token.PERCENTEQUAL,
    token.AMPEREQUAL,
    token.VBAREQUAL,
    token.CIRCUMFLEXEQUAL,
    token.LEFTSHIFTEQUAL,
    token.RIGHTSHIFTEQUAL,
    token.DOUBLESTAREQUAL,
}


def _bind_target(sc: Scope, attrs: dict, tgt, op: str, rhs) -> None:
    if isinstance(tgt, Leaf) and tgt.type == token.NAME:
        sc.assigns.setdefault(tgt.value, []).append((op, rhs))
        return
    name = dotted_name(tgt) if tgt.type == syms.power else None
    if name is not None:
        attrs.setdefault(name, []).append((op, rhs))
        return
    if tgt.type == syms.power:
        # subscript / call targets: ``x[i] = ..`` mutates x; mark it unknown
        head = tgt.children[0]
        if isinstance(head, Leaf) and head.type == token.NAME:
            sc.assigns.setdefault(head.value, []).append(("mutate", rhs))
        return
    names: set = set()
    _target_names(tgt, names)
    sc.other.update(names)


def assignments_of(ctx: FileContext, name: str, at) -> Optional[list]:
    """All ``(op, rhs)`` that bind ``name`` as seen from ``at``: the innermost
    function scope that binds it, else the module.  None when the name is bound
    some other way there (parameter, loop target, import, tuple unpacking...)
    or not at all."""
    info = bindings(ctx)
    if "." in name:
        return info["attrs"].get(name)
    scopes = info["scopes"]
    cur = at
    while True:
        s = _scope_of(cur) if cur.type != syms.file_input else cur
        if s is cur and s.type != syms.file_input:
            return None  # a detached node: no scope to look in
        sc = scopes.get(id(s))
        if sc is not None and name not in sc.globals_:
            if name in sc.other:
                return None
            if name in sc.assigns:
                return sc.assigns[name]
        if s.type == syms.file_input:
            return None
        cur = s


# --------------------------------------------------------------------------
# Tensor dtype inference ('int', 'bool', 'float', 'tensor' or None)
# --------------------------------------------------------------------------
_INT_CTORS = {"LongTensor", "IntTensor", "ShortTensor", "CharTensor", "ByteTensor"}
_FLOAT_CTORS = {"FloatTensor", "DoubleTensor", "HalfTensor", "Tensor", "BFloat16Tensor"}
_INT_DTYPES = {"long", "int64", "int", "int32", "int16", "short", "int8", "uint8"}
_FLOAT_DTYPES = {"float", "float32", "double", "float64", "half", "float16", "bfloat16"}
_INT_METHODS = {
    "long": "int",
    "int": "int",
    "short": "int",
    "byte": "int",
    "char": "int",
    "bool": "bool",
}
_FLOAT_METHODS = {"float", "double", "half", "bfloat16"}
_CMP_METHODS = {"eq", "ne", "lt", "le", "gt", "ge"}
_INDEX_METHODS = {"argmax", "argmin", "nonzero", "argsort"}
_KEEP_METHODS = {
    "cpu",
    "cuda",
    "view",
    "view_as",
    "reshape",
    "squeeze",
    "unsqueeze",
    "clone",
    "detach",
    "contiguous",
    "t",
    "flatten",
    "expand",
    "expand_as",
    "permute",
    "transpose",
    "abs",
    "repeat",
    "narrow",
    "index_select",
    "masked_select",
    "gather",
    "clamp",
}
_TUPLE_METHODS = {"max", "min", "topk", "sort", "kthvalue", "median", "mode"}
_FACTORIES = {
    "zeros",
    "ones",
    "empty",
    "randn",
    "rand",
    "full",
    "zeros_like",
    "ones_like",
    "randn_like",
    "rand_like",
}


def _dtype_kind(ctx: FileContext, node) -> Optional[str]:
    name = dotted_name(node)
    if name is None:
        return None
    q = resolve(ctx, name)
    if q.startswith("torch."):
        last = q[6:]
        if last in _INT_DTYPES:
            return "bool" if last == "bool" else "int"
        if last == "bool":
            return "bool"
        if last in _FLOAT_DTYPES:
            return "float"
    return None


def tensor_kind(ctx: FileContext, node, depth: int = 0) -> Optional[str]:
    if depth > 6 or node is None:
        return None
    t = node.type
    if t == syms.atom and len(node.children) == 3 and node.children[0].type == token.LPAR:
        return tensor_kind(ctx, node.children[1], depth + 1)
    if t == token.NAME:
        return _name_kind(ctx, node.value, node, depth)
    if t == syms.comparison:
        if tensor_kind(ctx, node.children[0], depth + 1) or tensor_kind(
            ctx, node.children[-1], depth + 1
        ):
            return "bool"
        return None
    if t == syms.power:
        return _power_kind(ctx, node, depth)
    return None


def _name_kind(ctx: FileContext, name: str, at, depth: int) -> Optional[str]:
    assigns = assignments_of(ctx, name, at)
    if not assigns:
        return None
    kinds = set()
    has_tensor_plain = False
    for op, rhs in assigns:
        if op in ("mutate", "-=", "*=", "/=", "//=", "%="):
            continue  # in-place updates of a tensor keep its dtype
        if rhs is at or _contains(rhs, at):
            return None
        if op == "=":
            if is_int_literal(rhs):
                kinds.add("pyint")
                continue
            k = tensor_kind(ctx, rhs, depth + 1)
            if k is None:
                return None
            has_tensor_plain = True
            kinds.add(k)
        elif op == "+=":
            k = tensor_kind(ctx, rhs, depth + 1)
            if k is None and is_int_literal(rhs):
                kinds.add("pyint")
                continue
            if k not in ("int", "bool"):
                return None
            kinds.add("int")
            has_tensor_plain = True
        else:
            return None
    if not has_tensor_plain:
        return None
    kinds.discard("pyint")
    if kinds <= {"int", "bool"}:
        # a Python int accumulated with integer tensors becomes an int tensor
        return "int" if "int" in kinds or len(kinds) == 0 else "bool"
    if len(kinds) == 1:
        return kinds.pop()
    return None


def _contains(tree, node) -> bool:
    cur = node
    while cur is not None:
        if cur is tree:
            return True
        cur = cur.parent
    return False


def _power_kind(ctx: FileContext, node, depth: int) -> Optional[str]:
    kind = _power_kind_head(ctx, node, depth)
    if kind is not None:
        return kind
    # a dtype conversion method later in the chain proves the dtype by itself
    kids = node.children
    for j in range(len(kids) - 2, 0, -1):
        k = kids[j]
        if is_dot_trailer(k) and is_call_trailer(kids[j + 1]) and not call_args(kids[j + 1]):
            name = k.children[1].value
            if name in _INT_METHODS or name in _FLOAT_METHODS:
                start_kind = _INT_METHODS.get(name, "float")
                return _apply_trailers(ctx, start_kind, kids, j + 2, depth)
    return None


def _power_kind_head(ctx: FileContext, node, depth: int) -> Optional[str]:
    kids = node.children
    if any(isinstance(k, Leaf) and k.type == token.DOUBLESTAR for k in kids):
        return None
    # find the first call of a dotted callee: torch factories / constructors
    kind: Optional[str] = None
    start = 1
    head = kids[0]
    parts = []
    i = 0
    if head.type == token.NAME:
        parts.append(head.value)
        i = 1
        while i < len(kids) and is_dot_trailer(kids[i]):
            parts.append(kids[i].children[1].value)
            i += 1
        if i < len(kids) and is_call_trailer(kids[i]):
            q = resolve(ctx, ".".join(parts))
            kind = _call_kind(ctx, q, kids[i], depth)
            if kind is not None:
                start = i + 1
            elif len(parts) > 1 and _tensorish_chain(kids):
                return _apply_trailers(
                    ctx, _name_kind(ctx, parts[0], node, depth) or "tensor", kids, 1, depth
                )
            elif len(parts) > 1:
                # a method call on a name: evaluate the receiver chain
                kind = _name_kind(ctx, parts[0], node, depth)
                if kind is None:
                    return None
                return _apply_trailers(ctx, kind, kids, 1, depth)
            else:
                return None
        else:
            kind = _name_kind(ctx, parts[0], node, depth)
            if kind is None:
                return None
            start = 1
    else:
        kind = tensor_kind(ctx, head, depth + 1)
        if kind is None:
            return None
    return _apply_trailers(ctx, kind, kids, start, depth)


def _tensorish_chain(kids) -> bool:
    """``x.data...`` / ``x.detach()...``: only tensors have these together."""
    return any(
        is_dot_trailer(k) and k.children[1].value in ("data", "detach") for k in kids[1:3]
    ) and not any(isinstance(k, Leaf) for k in kids[1:])


def _call_kind(ctx: FileContext, q: str, trailer, depth: int) -> Optional[str]:
    if not q.startswith("torch."):
        return None
    name = q[6:]
    args = call_args(trailer)
    dt = next((a for a in args if a.name == "dtype"), None)
    if dt is not None:
        return _dtype_kind(ctx, dt.value)
    if name in _INT_CTORS or name in ("cuda." + c for c in _INT_CTORS):
        return "int"
    if name in _FLOAT_CTORS or name in ("cuda." + c for c in _FLOAT_CTORS):
        return "float"
    if name in ("randint", "randperm", "randint_like"):
        return "int"
    if name in _FACTORIES:
        return "float"
    if name == "arange":
        pos = [a for a in args if a.name is None and not a.star]
        if pos and all(is_int_literal(a.value) for a in pos):
            return "int"
        if any(is_float_literal(a.value) for a in pos):
            return "float"
        return None
    return None


def _apply_trailers(
    ctx: FileContext, kind: Optional[str], kids: list, start: int, depth: int
) -> Optional[str]:
    i = start
    while i < len(kids) and kind is not None:
        k = kids[i]
        if is_dot_trailer(k):
            name = k.children[1].value
            call = kids[i + 1] if i + 1 < len(kids) and is_call_trailer(kids[i + 1]) else None
            if call is None:
                if name == "data":
                    i += 1
                    continue
                if name == "T":
                    i += 1
                    continue
                return None
            args = call_args(call)
            if name in _INT_METHODS:
                kind = _INT_METHODS[name]
            elif name in _FLOAT_METHODS:
                kind = "float"
            elif name in _CMP_METHODS:
                kind = "bool"
            elif name in _INDEX_METHODS:
                kind = "int"
            elif name == "sum":
                if any(a.name == "dtype" for a in args):
                    return None
                kind = "int" if kind in ("int", "bool") else kind
            elif name in _TUPLE_METHODS and args:
                # x.max(1) -> (values, indices): needs a subscript next
                nxt = kids[i + 2] if i + 2 < len(kids) else None
                if nxt is None or nxt.type != syms.trailer or nxt.children[0].type != token.LSQB:
                    return None
                idx = literal(nxt.children[1])
                if idx == 1:
                    kind = "int"
                elif idx != 0:
                    return None
                i += 3
                continue
            elif name in _TUPLE_METHODS:
                pass  # x.max() -> 0-dim tensor of the same dtype
            elif name in _KEEP_METHODS or (
                name == "to" and not any(a.name == "dtype" for a in args) and _to_keeps(ctx, args)
            ):
                if name == "abs" and kind == "bool":
                    return None
            elif name == "type" and args:
                k2 = _dtype_kind(ctx, args[0].value) or _ctor_kind(ctx, args[0].value)
                if k2 is None:
                    return None
                kind = k2
            else:
                return None
            i += 2
            continue
        if k.type == syms.trailer and k.children[0].type == token.LSQB:
            i += 1
            continue
        return None
    return kind


def _to_keeps(ctx: FileContext, args: list) -> bool:
    for a in args:
        if a.name is None and _dtype_kind(ctx, a.value) is not None:
            return False
    return True


def _ctor_kind(ctx: FileContext, node) -> Optional[str]:
    name = dotted_name(node)
    if name is None:
        return None
    q = resolve(ctx, name)
    last = q.rsplit(".", 1)[-1]
    if q.startswith("torch.") and last in _INT_CTORS:
        return "int"
    if q.startswith("torch.") and last in _FLOAT_CTORS:
        return "float"
    return None


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
    "assignments_of",
    "bind",
    "bindings",
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
    "tensor_kind",
    "text",
]
