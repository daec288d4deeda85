"""Tensor dtype inference: ``'int'``, ``'bool'``, ``'float'``, ``'tensor'``
(a tensor of unknown dtype) or None (not provably a tensor).

Used by the TM2xx rules (integer division, linalg) through
:func:`tensor_kind` / :meth:`codemods.analysis.Analysis.dtype`.  Names are
looked up with ``scopes.assignments_of``; everything answers None unless the
source proves it.
"""

from __future__ import annotations

from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf

from codemods._tm2common import (
    is_call_trailer,
    is_dot_trailer,
    is_float_literal,
    is_int_literal,
    literal,
    resolve,
)
from codemods.analysis.scopes import assignments_of
from codemods.base import FileContext, call_args, dotted_name

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
