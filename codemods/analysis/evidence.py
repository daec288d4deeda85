"""Evidence questions: is this provably a number, a tensor (by a strong
idiom), a comparison mask, a size, a dict/list/numpy value?

Used by the TM005/TM006/TM008/TM009/TM010/TM013 rules.

Everything here answers "is this *provably* X?" and says False when it cannot
tell: a rule then picks a lower safety class, never a guess.  Names are
looked up in the value-binding view of their scope (``scopes.bindings_of``),
kept by the file's :class:`codemods.analysis.Analysis`.

A *chain* is the list of children of a fissix ``power`` node up to some
trailer: ``[head, trailer, trailer, ...]``; ``p.data.add_`` is
``[Leaf(p), trailer<. data>, trailer<. add_>]``.
"""

from __future__ import annotations

import ast
import functools
from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods.analysis.scopes import analysis, bindings_of, scope_bindings, scope_of
from codemods.analysis.syntax import chain_of, chain_qualname, unparen
from codemods.analysis.values import LINALG_TENSOR_FUNCS
from codemods.base import (
    FileContext,
    NodeOrLeaf,
    attr_name,
    call_args,
    dotted_name,
    is_attr,
    is_call,
    is_subscript,
    walk,
)

# --------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------
_MATH_OK = "math."


def _builtin(ctx: FileContext, leaf: NodeOrLeaf, names: set) -> bool:
    return (
        leaf.type == token.NAME
        and leaf.value in names
        and leaf.value not in ctx.imports
        and bindings_of(ctx, leaf) is None
    )


def _literal_kind(leaf: Leaf) -> Optional[str]:
    return _number_kind(leaf.value)


@functools.lru_cache(maxsize=4096)
def _number_kind(value: str) -> Optional[str]:
    """The kind of a NUMBER token's text: "int", "float" or None (complex,
    or not a number).  A pure function of the text, hence the cache: the
    same few literals are asked about on every pass."""
    text = value.rstrip("lL")
    try:
        val = ast.literal_eval(text)
    except Exception:  # noqa: BLE001 - py2 octal etc.
        return "int" if text.isdigit() else None
    if isinstance(val, bool):
        return None
    if isinstance(val, int):
        return "int"
    if isinstance(val, float):
        return "float"
    return None  # complex


def is_number(ctx: FileContext, node: NodeOrLeaf, _seen: Optional[set] = None) -> bool:
    """Provably a Python int or float (never a tensor, never a bool)."""
    return _num(ctx, node, _seen or set(), ints_only=False)


def is_int(ctx: FileContext, node: NodeOrLeaf) -> bool:
    """Provably a Python int (a size)."""
    return _num(ctx, node, set(), ints_only=True)


def _num(ctx: FileContext, node: NodeOrLeaf, seen: set, ints_only: bool) -> bool:
    node = unparen(node)
    t = node.type
    if t == token.NUMBER:
        kind = _literal_kind(node)  # type: ignore[arg-type]
        return kind == "int" if ints_only else kind is not None
    if t == syms.factor:
        return node.children[0].value in ("-", "+") and _num(ctx, node.children[1], seen, ints_only)
    if t in (syms.arith_expr, syms.term):
        ops = node.children[1::2]
        if ints_only and any(o.value not in ("+", "-", "*", "//", "%") for o in ops):
            return False
        if any(o.value in ("@",) for o in ops):
            return False
        return all(_num(ctx, c, seen, ints_only) for c in node.children[::2])
    if t == token.NAME:
        if node.value in ("True", "False", "None"):
            return False
        key = (id(node),)
        if key in seen or len(seen) > 40:
            return False
        seen.add(key)
        binds = bindings_of(ctx, node)  # type: ignore[arg-type]
        if not binds:
            return False
        for kind, val in binds:
            if kind == "value":
                if not _num(ctx, val, seen, ints_only):
                    return False
            elif kind == "aug":
                op, v = val
                if op in ("@=", "&=", "|=", "^=", "<<=", ">>=") or (ints_only and op == "/="):
                    return False
                if not _num(ctx, v, seen, ints_only):
                    return False
            else:
                return False
        return True
    if t == syms.power:
        kids = node.children
        if any(k.type == token.DOUBLESTAR for k in kids):
            if ints_only:
                return False
            i = [k.type for k in kids].index(token.DOUBLESTAR)
            base = kids[0] if i == 1 else Node(syms.power, [k.clone() for k in kids[:i]])
            if i != 1:
                base.parent = node  # lets name lookups find the scope
            return _num(ctx, base, seen, ints_only) and _num(ctx, kids[i + 1], seen, ints_only)
        chain = chain_of(node)
        if len(chain) == 2 and is_call(chain[1]) and chain[0].type == token.NAME:
            allowed = {"int", "len"} if ints_only else {"int", "len", "float"}
            if _builtin(ctx, chain[0], allowed):
                return True
        if is_call(chain[-1]) and len(chain) >= 3:
            q = chain_qualname(ctx, chain[:-1])
            if q and q.startswith(_MATH_OK) and not ints_only:
                return True
            if q in ("math.floor", "math.ceil", "math.factorial", "math.gcd"):
                return True
            meth = attr_name(chain[-2])
            # x.size(i), x.dim(), x.numel(), x.ndimension(), x.nelement()
            if meth in ("dim", "numel", "ndimension", "nelement") and not call_args(chain[-1]):
                return len(chain) >= 3
            if meth == "size" and len(call_args(chain[-1])) == 1:
                return True
        if is_subscript(chain[-1]) and len(chain) >= 2:
            # x.shape[i], x.size()[i]
            prev = chain[-2]
            if is_attr(prev, "shape") or (
                is_call(prev)
                and len(chain) >= 3
                and is_attr(chain[-3], "size")
                and not call_args(prev)
            ):
                return _num(ctx, subscript_index(chain[-1]), seen, True)
        return False
    return False


# numpy calls whose result is a float array (or float scalar) whatever the arguments
_NUMPY_FLOAT = frozenset(
    """zeros ones empty full_like zeros_like ones_like linspace logspace mean std var
    sqrt exp log log10 log2 sin cos tanh random.rand random.randn random.random
    random.uniform random.normal random.random_sample random.standard_normal
    random.beta random.gamma random.exponential eye identity""".split()
)


def is_float_value(ctx: FileContext, node: NodeOrLeaf, _depth: int = 0) -> bool:
    """Provably a float: a Python float (literal, ``float(...)``, arithmetic
    with one, a name bound only to such), a numpy float array
    (``np.zeros(3)``, ``np.random.randn(..)``, ``a.astype(np.float32)``) or a
    floating-point tensor -- so ``/`` was already true division in Python 2."""
    if _depth > 12:
        return False
    node = unparen(node)
    t = node.type
    if t == token.NUMBER:
        return _literal_kind(node) == "float"  # type: ignore[arg-type]
    if t == syms.factor and node.children[0].value in ("-", "+"):
        return is_float_value(ctx, node.children[1], _depth + 1)
    if t in (syms.arith_expr, syms.term):
        ops = node.children[1::2]
        if all(o.value in ("+", "-", "*") for o in ops):
            return any(is_float_value(ctx, c, _depth + 1) for c in node.children[::2])
        return False
    if t == token.NAME:
        if node.value in ("True", "False", "None") or node.value in ctx.imports:
            return False
        binds = bindings_of(ctx, node)  # type: ignore[arg-type]
        if not binds or any(k not in ("value", "aug") for k, _ in binds):
            return False
        values = [v if k == "value" else v[1] for k, v in binds]
        return all(is_float_value(ctx, v, _depth + 1) for v in values)
    if t == syms.power:
        chain = chain_of(node)
        if len(chain) != len(node.children) or not is_call(chain[-1]):
            return False
        if len(chain) == 2 and chain[0].type == token.NAME and _builtin(ctx, chain[0], {"float"}):
            return True
        q = chain_qualname(ctx, chain[:-1])
        if q and q.startswith("numpy."):
            if q[len("numpy.") :] in _NUMPY_FLOAT:
                args = call_args(chain[-1])
                return not any(a.name == "dtype" for a in args)
            return False
        if q and q.startswith("math.") and q not in ("math.floor", "math.ceil", "math.factorial"):
            return True
        meth = attr_name(chain[-2]) if len(chain) >= 3 else None
        if meth == "astype":
            args = call_args(chain[-1])
            return bool(args) and "float" in str(args[0].value)
        from codemods.analysis.dtypes import tensor_kind

        return tensor_kind(ctx, node) == "float"
    return False


def subscript_index(trailer: Node) -> NodeOrLeaf:
    return trailer.children[1]


def is_size_object(ctx: FileContext, node: NodeOrLeaf) -> bool:
    """``torch.Size(...)``, ``x.size()``, ``x.shape``: a size, never values."""
    node = unparen(node)
    if node.type != syms.power:
        return False
    chain = chain_of(node)
    if len(chain) != len(node.children):
        return False
    if is_attr(chain[-1], "shape"):
        return True
    if is_call(chain[-1]) and len(chain) >= 3:
        if is_attr(chain[-2], "size") and not call_args(chain[-1]):
            return True
        if chain_qualname(ctx, chain[:-1]) == "torch.Size":
            return True
    return False


# --------------------------------------------------------------------------
# argparse
# --------------------------------------------------------------------------
def argparse_types(ctx: FileContext) -> dict:
    """{(args_name, dest): type_name} for ``p.add_argument('--x', type=int)``
    when ``args_name = p.parse_args()`` binds the namespace in this file."""
    an = analysis(ctx)
    res = an.file_memo.get("argparse")
    if res is not None:
        return res
    dests: dict = {}
    ns_names: set = set()
    if "add_argument" in ctx.text:
        for node in walk(ctx.tree):
            if node.type != syms.power:
                continue
            chain = chain_of(node)
            for i in range(1, len(chain) - 1):
                if is_attr(chain[i], "add_argument") and is_call(chain[i + 1]):
                    _add_argument(call_args(chain[i + 1]), dests)
                if is_attr(chain[i], "parse_args") and is_call(chain[i + 1]):
                    stmt = node.parent
                    if (
                        stmt is not None
                        and stmt.type == syms.expr_stmt
                        and stmt.children[-1] is node
                        and stmt.children[0].type == token.NAME
                    ):
                        ns_names.add(stmt.children[0].value)
    res = {(n, d): t for n in ns_names for d, t in dests.items()}
    an.file_memo["argparse"] = res
    return res


def _add_argument(args: list, dests: dict) -> None:
    flags = []
    typ = None
    dest = None
    for a in args:
        if a.name is None and a.value.type == token.STRING:
            try:
                flags.append(ast.literal_eval(a.value.value))
            except Exception:  # noqa: BLE001
                return
        elif a.name == "type" and a.value.type == token.NAME:
            typ = a.value.value
        elif a.name == "dest" and a.value.type == token.STRING:
            dest = ast.literal_eval(a.value.value)
        elif a.name in ("action", "nargs"):
            return
    if typ is None:
        return
    if dest is None:
        longs = [f for f in flags if f.startswith("--")]
        pick = longs[0] if longs else (flags[0] if flags else "")
        dest = pick.lstrip("-").replace("-", "_")
    if dest:
        dests[dest] = typ


def argparse_type(ctx: FileContext, node: NodeOrLeaf) -> Optional[str]:
    """'int'/'float' for ``args.x`` when ``x`` is declared with that type."""
    node = unparen(node)
    if node.type != syms.power or len(node.children) != 2:
        return None
    head, tr = node.children
    if head.type != token.NAME or not is_attr(tr):
        return None
    return argparse_types(ctx).get((head.value, tr.children[1].value))


# --------------------------------------------------------------------------
# Tensors
# --------------------------------------------------------------------------
# torch functions (resolved through the imports) that return a tensor
TORCH_TENSOR_FUNCS = frozenset(
    """zeros ones empty full rand randn randint randperm arange range linspace logspace
    eye tensor as_tensor from_numpy zeros_like ones_like empty_like full_like rand_like
    randn_like randint_like cat stack mm bmm matmul mv dot addmm exp log sqrt abs sum mean
    prod cumsum sigmoid tanh clamp pow mul add sub div neg reciprocal normal bernoulli
    multinomial masked_select index_select gather squeeze unsqueeze t transpose
    softmax log_softmax bernoulli where einsum outer ger argmax argmin norm std var
    cross diag tril triu flip roll""".split()
)
# methods that return a tensor when their receiver is a tensor
TENSOR_METHODS = frozenset(
    """view view_as reshape detach cpu cuda float double long int half byte bool char short
    contiguous clone t eq ne gt lt ge le sum mean exp log sqrt abs pow mul add sub div
    mm matmul bmm unsqueeze squeeze expand expand_as repeat permute transpose narrow
    index_select masked_select masked_fill clamp sigmoid tanh relu softmax log_softmax
    norm std var prod cumsum argmax argmin type_as to neg reciprocal floor ceil round
    new new_zeros new_ones new_empty new_tensor new_full resize_as flatten select
    max min sort topk kthvalue median mode""".split()
)
# methods that exist only on tensors (their result is a tensor whatever the
# receiver looks like)
TENSOR_ONLY_METHODS = frozenset(
    """detach contiguous masked_fill view_as expand_as type_as new_zeros new_ones
    new_empty new_tensor new_full unsqueeze""".split()
)
_NOT_TENSOR_INPLACE = frozenset({"requires_grad_", "share_memory_"})
_TUPLE_METHODS = frozenset({"max", "min", "sort", "topk", "kthvalue", "median", "mode"})


def is_tensor(ctx: FileContext, node: NodeOrLeaf, _depth: int = 0) -> bool:
    """Provable (by strong idiom) tensor: ``.data``/``.grad``, torch factory
    results, in-place method results, tensor methods on tensors, names bound
    only to such values (or having ``.backward()`` called on them)."""
    if _depth > 12:
        return False
    node = unparen(node)
    if node.type == token.NAME:
        return _name_is_tensor(ctx, node, _depth)  # type: ignore[arg-type]
    if node.type == syms.power:
        chain = chain_of(node)
        # ``t ** 2`` is a tensor when its base is
        return chain_is_tensor(ctx, chain, _depth)
    if node.type in (syms.comparison, syms.arith_expr, syms.term):
        # ``pred == target``, ``out * 2``: a tensor operand makes a tensor
        return any(is_tensor(ctx, c, _depth + 1) for c in node.children[::2])
    return False


def chain_is_tensor(ctx: FileContext, chain: list, _depth: int = 0) -> bool:
    if _depth > 12 or not chain:
        return False
    if len(chain) == 1:
        return is_tensor(ctx, chain[0], _depth + 1)
    last = chain[-1]
    if is_attr(last):
        name = attr_name(last)
        if name in ("data", "grad"):
            return True
        if name == "T":
            return chain_is_tensor(ctx, chain[:-1], _depth + 1)
        return False
    if is_subscript(last):
        prev = chain[:-1]
        if len(prev) >= 3 and is_call(prev[-1]) and attr_name(prev[-2]) in _TUPLE_METHODS:
            return bool(call_args(prev[-1])) and chain_is_tensor(ctx, prev[:-2], _depth + 1)
        return chain_is_tensor(ctx, prev, _depth + 1)
    if is_call(last):
        if len(chain) == 2:
            q = chain_qualname(ctx, chain[:1])
            return _torch_tensor_func(q)
        q = chain_qualname(ctx, chain[:-1])
        if q is not None:  # a dotted name rooted at an import
            return _torch_tensor_func(q)
        meth = attr_name(chain[-2])
        if meth is None:
            return False
        if meth in TENSOR_ONLY_METHODS:
            return True
        if meth.endswith("_") and not meth.startswith("_") and meth not in _NOT_TENSOR_INPLACE:
            return chain_is_tensor(ctx, chain[:-2], _depth + 1) or _inplace_only(meth)
        if meth in TENSOR_METHODS and meth not in _TUPLE_METHODS:
            return chain_is_tensor(ctx, chain[:-2], _depth + 1)
        if meth in _TUPLE_METHODS and not call_args(last):
            return chain_is_tensor(ctx, chain[:-2], _depth + 1)
    return False


_INPLACE_TENSOR_ONLY = frozenset(
    """add_ sub_ mul_ div_ addcmul_ addcdiv_ addmm_ addmv_ addr_ baddbmm_ addbmm_ normal_
    uniform_ fill_ zero_ random_ bernoulli_ exponential_ geometric_ cauchy_ log_normal_
    clamp_ copy_ masked_fill_ index_fill_ scatter_ sqrt_ exp_ pow_ neg_ abs_ resize_
    unsqueeze_ squeeze_ t_ transpose_ sigmoid_ tanh_ relu_ lerp_""".split()
)


def _inplace_only(meth: str) -> bool:
    return meth in _INPLACE_TENSOR_ONLY


def _torch_tensor_func(q: Optional[str]) -> bool:
    if not q or not q.startswith("torch."):
        return False
    last = q.rsplit(".", 1)[-1]
    if q in ("torch.autograd.Variable", "torch.autograd.variable.Variable"):
        return True
    if last.endswith("Tensor") and last[0].isupper() and q.count(".") <= 2:
        return q.startswith(("torch.", "torch.cuda."))
    if q.startswith("torch.nn.functional."):
        return last[0].islower() and not last.startswith("_")
    if q.count(".") == 1:
        return last in TORCH_TENSOR_FUNCS
    if q.startswith("torch.linalg.") and q.count(".") == 2:
        return last in LINALG_TENSOR_FUNCS
    return False


def _name_is_tensor(ctx: FileContext, name: Leaf, depth: int) -> bool:
    if name.value in ctx.imports:
        return False
    binds = bindings_of(ctx, name)
    if binds and all(_binding_is_tensor(ctx, b, depth) for b in binds):
        return True
    return backward_called_on(ctx, name)


def _binding_is_tensor(ctx: FileContext, binding: tuple, depth: int) -> bool:
    kind, val = binding
    if kind == "value":
        return is_tensor(ctx, val, depth + 1)
    if kind == "aug":
        return True  # ``x += ...`` keeps a tensor a tensor
    if kind == "elem":
        # ``_, pred = out.max(1)`` / ``torch.max(out, 1)``: values and indices
        return _tuple_of_tensors(ctx, val[0], depth)
    if kind == "for":
        it = unparen(val)
        if it.type == syms.power:
            chain = chain_of(it)
            if len(chain) >= 3 and is_call(chain[-1]) and attr_name(chain[-2]) == "parameters":
                return True
            if is_subscript(chain[-1]) and str(chain[-1].children[1]).strip() in (
                "'params'",
                '"params"',
            ):
                return True
        return False
    return False


def _tuple_of_tensors(ctx: FileContext, node: NodeOrLeaf, depth: int) -> bool:
    """A call that returns a tuple of tensors: ``x.max(1)``, ``x.topk(k)``,
    ``torch.max(x, 1)``, ``torch.sort(x)`` on a provable tensor."""
    node = unparen(node)
    if node.type != syms.power:
        return False
    chain = chain_of(node)
    if len(chain) != len(node.children) or len(chain) < 3 or not is_call(chain[-1]):
        return False
    args = call_args(chain[-1])
    q = chain_qualname(ctx, chain[:-1])
    if q is not None:
        last = q.rsplit(".", 1)[-1]
        if q.count(".") != 1 or not q.startswith("torch.") or last not in _TUPLE_METHODS:
            return False
        pos = [a for a in args if a.name is None and not a.star]
        if not pos or (last in ("max", "min", "median", "mode") and len(args) < 2):
            return False
        return is_tensor(ctx, pos[0].value, depth + 1)
    meth = attr_name(chain[-2])
    if meth not in _TUPLE_METHODS:
        return False
    if meth in ("max", "min", "median", "mode") and not args:
        return False
    return chain_is_tensor(ctx, chain[:-2], depth + 1)


def backward_called_on(ctx: FileContext, name: Leaf) -> bool:
    """``name.backward(...)`` appears in the scope that binds ``name``."""
    scope = scope_of(name)
    names = analysis(ctx).scope_table("backward", scope, _backward_receivers)
    return name.value in names


def backward_without_gradient(ctx: FileContext, name: Leaf) -> bool:
    """``name.backward()`` (no gradient argument) appears in the scope that
    binds ``name``: the value has exactly one element (anything else raises
    ``grad can be implicitly created only for scalar outputs``)."""
    scope = scope_of(name)
    names = analysis(ctx).scope_table("backward0", scope, _plain_backward_receivers)
    return name.value in names


def _plain_backward_receivers(scope: Node) -> set:
    names = set()
    for node in scope.pre_order():
        if node.type == syms.power and len(node.children) >= 3:
            k = node.children
            if k[0].type == token.NAME and is_attr(k[1], "backward") and is_call(k[2]):
                args = call_args(k[2])
                if all(a.name not in (None, "gradient") for a in args) and not any(
                    a.star for a in args
                ):
                    names.add(k[0].value)
    return names


def _backward_receivers(scope: Node) -> set:
    names = set()
    for node in walk(scope):
        if node.type == syms.power and len(node.children) >= 3:
            k = node.children
            if k[0].type == token.NAME and is_attr(k[1], "backward") and is_call(k[2]):
                names.add(k[0].value)
    return names


def is_dict_name(ctx: FileContext, node: NodeOrLeaf) -> bool:
    """A name bound only to dict displays / ``dict(...)``."""
    node = unparen(node)
    if node.type != token.NAME:
        return False
    binds = bindings_of(ctx, node)  # type: ignore[arg-type]
    if not binds:
        return False
    for kind, val in binds:
        if kind != "value":
            return False
        v = unparen(val)
        if v.type == syms.atom and v.children[0].value == "{":
            inner = v.children[1] if len(v.children) == 3 else None
            if (
                inner is None
                or inner.type == syms.dictsetmaker
                and any(c.type == token.COLON for c in inner.children)
            ):
                continue
            return False
        if (
            v.type == syms.power
            and len(v.children) == 2
            and v.children[0].type == token.NAME
            and v.children[0].value in ("dict", "OrderedDict", "defaultdict")
            and is_call(v.children[1])
        ):
            continue
        return False
    return True


def is_listish_name(ctx: FileContext, node: NodeOrLeaf) -> bool:
    """A name bound only to list/tuple displays, comprehensions, ``list(...)``
    or repetitions/concatenations of those (``n * [0]``)."""
    node = unparen(node)
    if node.type != token.NAME:
        return False
    binds = _earlier(node, bindings_of(ctx, node))  # type: ignore[arg-type]
    if not binds:
        return False
    for kind, val in binds:
        if kind == "aug" and val[0] == "+=" and is_list_expr(ctx, val[1]):
            continue
        if kind != "value" or not is_list_expr(ctx, val):
            return False
    return True


def is_list_expr(ctx: FileContext, node: NodeOrLeaf, _depth: int = 0) -> bool:
    """A list/tuple value by construction: a display, ``list(...)``,
    ``n * [0]`` / ``[0] * n``, ``a + b`` of such values, or a name bound
    only to them."""
    node = unparen(node)
    if is_sequence_display(node) or _is_list_call(ctx, node):
        return True
    if _depth > 6:
        return False
    if node.type == syms.term and len(node.children) == 3 and node.children[1].value == "*":
        # ``n * [0]``: a list repetition (or, were ``n`` an array, an array of
        # the same values): values either way, never a size
        left, right = node.children[0], node.children[2]
        return is_list_expr(ctx, left, _depth + 1) or is_list_expr(ctx, right, _depth + 1)
    if node.type == syms.arith_expr and all(op.value == "+" for op in node.children[1::2]):
        return all(is_list_expr(ctx, c, _depth + 1) for c in node.children[::2])
    if node.type == token.NAME:
        return is_listish_name(ctx, node)
    return False


def int_parameter(ctx: FileContext, node: NodeOrLeaf) -> bool:
    """A parameter of a function of this file that every call passes a
    provable int (or that keeps an int default), the function being used only
    by calling it."""
    node = unparen(node)
    if node.type != token.NAME:
        return False
    binds = bindings_of(ctx, node)  # type: ignore[arg-type]
    if not binds or any(b != ("unknown", None) for b in binds):
        return False
    func = scope_of(node)
    if func.type != syms.funcdef:
        return False
    params = [p for p in _param_list(func) if p[0] is not None]
    names = [p[0] for p in params]
    if node.value not in names:
        return False
    index = names.index(node.value)
    default = params[index][1]
    if func.parent is not None and func.parent.type == syms.classdef:
        return False  # methods: ``self`` shifts positions; keep it simple
    from codemods.analysis.scopes import analysis as _an

    sites = _an(ctx).call_sites(func.children[1].value, False)
    if not sites and default is None:
        return False
    if default is not None and not is_int(ctx, default):
        return False
    for trailer, ok in sites:
        if not ok or trailer is None:
            return False
        args = call_args(trailer)
        if any(a.star for a in args):
            return False
        pos = [a for a in args if a.name is None]
        kw = next((a for a in args if a.name == node.value), None)
        value = kw.value if kw is not None else (pos[index].value if index < len(pos) else None)
        if value is None:
            if default is None:
                return False
            continue
        if not is_int(ctx, value):
            return False
    return True


def _param_list(func: Node) -> list:
    """[(name, default node or None)] of a function's plain parameters."""
    params = func.children[2]
    inner = params.children[1] if len(params.children) == 3 else None
    if inner is None:
        return []
    items = inner.children if inner.type == syms.typedargslist else [inner]
    out = []
    i = 0
    while i < len(items):
        item = items[i]
        if item.type == token.NAME:
            default = None
            if i + 2 < len(items) and items[i + 1].type == token.EQUAL:
                default = items[i + 2]
                i += 2
            out.append((item.value, default))
        elif item.type in (token.STAR, token.DOUBLESTAR):
            out.append((None, None))
            i += 1
        elif item.type == syms.tname:
            out.append((item.children[0].value, None))
        i += 1
    return out


def _earlier(use: NodeOrLeaf, binds: Optional[list]) -> Optional[list]:
    """Drop the binding made by the statement that contains ``use``
    (``xs = torch.Tensor(xs)`` converts the *previous* value of ``xs``)."""
    if not binds:
        return binds
    ancestors = set()
    in_loop = False
    scope = scope_of(use)
    cur = use.parent
    while cur is not None:
        ancestors.add(id(cur))
        if cur.type in (syms.for_stmt, syms.while_stmt) and id(scope) not in ancestors:
            in_loop = True
        cur = cur.parent
    line = use.get_lineno() or 0
    out = []
    for b in binds:
        if b[0] == "value" and id(b[1]) in ancestors:
            continue
        if not in_loop and b[0] in ("value", "aug") and line:
            node = b[1] if b[0] == "value" else b[1][1]
            if (node.get_lineno() or 0) > line and scope_of(node) is scope:
                continue  # bound only after this use (straight-line code, same scope)
        out.append(b)
    return out


def is_numpy_name(ctx: FileContext, node: NodeOrLeaf) -> bool:
    """A name bound only to results of ``numpy.*(...)`` calls with arguments
    (``np.random.randn(200, 3)``; ``np.float32(x)`` and other scalar-returning
    calls are indistinguishable, so callers treat this as a hint)."""
    node = unparen(node)
    if node.type != token.NAME:
        return False
    binds = _earlier(node, bindings_of(ctx, node))  # type: ignore[arg-type]
    if not binds:
        return False
    return all(kind == "value" and is_numpy_call(ctx, val) for kind, val in binds)


def is_numpy_call(ctx: FileContext, node: NodeOrLeaf) -> bool:
    node = unparen(node)
    if node.type != syms.power:
        return False
    chain = chain_of(node)
    if len(chain) != len(node.children) or len(chain) < 3 or not is_call(chain[-1]):
        return False
    q = chain_qualname(ctx, chain[:-1])
    return bool(q and q.startswith("numpy.") and call_args(chain[-1]))


def is_sequence_display(node: NodeOrLeaf) -> bool:
    """A list/tuple display or list comprehension (values, never a size)."""
    node_ = node
    if node_.type == syms.atom and node_.children[0].value == "[":
        return True
    if node_.type == syms.atom and node_.children[0].value == "(":
        if len(node_.children) == 2:
            return True  # ()
        inner = node_.children[1]
        if inner.type == syms.testlist_gexp:
            return not any(c.type == syms.comp_for for c in inner.children)
        if inner.type == syms.atom:
            return is_sequence_display(inner)
    return False


def _is_list_call(ctx: FileContext, node: NodeOrLeaf) -> bool:
    node = unparen(node)
    return (
        node.type == syms.power
        and len(node.children) == 2
        and node.children[0].type == token.NAME
        and _builtin(ctx, node.children[0], {"list"})
        and is_call(node.children[1])
    )


def dotted(node: NodeOrLeaf) -> Optional[str]:
    return dotted_name(node)


# --------------------------------------------------------------------------
# Comparison masks
# --------------------------------------------------------------------------
COMPARE_METHODS = frozenset({"eq", "ne", "gt", "lt", "ge", "le"})
_COMPARE_OPS = frozenset({"==", "!=", "<>", "<", ">", "<=", ">="})
# no-argument methods that keep a mask a mask; ``byte``/``bool`` exist only on
# tensors, so a mask they are called on is a tensor
_MASK_KEEP = frozenset({"cpu", "cuda", "detach", "contiguous", "clone"})
_MASK_CASTS = frozenset({"byte", "bool"})
# methods that exist only on torch tensors (numpy, pandas and lists lack them)
_TORCH_ONLY_VALUES = frozenset({"masked_select", "index_select", "masked_fill", "masked_scatter"})
MASK_TENSOR = "tensor"  # provably a torch comparison mask
MASK = "mask"  # 0/1 by construction, but not provably a tensor


def mask_kind(ctx: FileContext, node: NodeOrLeaf, _depth: int = 0) -> Optional[str]:
    """``MASK_TENSOR`` / ``MASK`` when ``node`` is the result of a comparison:
    ``a == b`` (``!=``, ``<``, ``>``, ``<=``, ``>=``), ``a.eq(b)`` (``ne``,
    ``lt``, ``gt``, ``le``, ``ge``), ``&``/``|``/``^``/``~`` of masks,
    ``1 - mask``, ``mask.byte()``/``.bool()``/``.cpu()`` and names bound only
    to masks.  None when it cannot tell."""
    if _depth > 12:
        return None
    node = unparen(node)
    t = node.type
    if t == syms.comparison:
        kids = node.children
        if len(kids) != 3 or " ".join(str(kids[1]).split()) not in _COMPARE_OPS:
            return None
        if any(is_tensor(ctx, c, _depth + 1) for c in kids[::2]):
            return MASK_TENSOR
        return MASK
    if t in (syms.and_expr, syms.xor_expr, syms.expr):  # `&`, `^`, `|`
        kinds = [mask_kind(ctx, c, _depth + 1) for c in node.children[::2]]
        if any(k is None for k in kinds):
            return None
        return MASK_TENSOR if MASK_TENSOR in kinds else MASK
    if t == syms.factor:
        if node.children[0].value != "~":
            return None
        return mask_kind(ctx, node.children[1], _depth + 1)
    if t == syms.arith_expr:
        kids = node.children
        if (
            len(kids) == 3
            and kids[0].type == token.NUMBER
            and kids[0].value == "1"
            and kids[1].value == "-"
        ):
            return mask_kind(ctx, kids[2], _depth + 1)
        return None
    if t == syms.power:
        chain = chain_of(node)
        if len(chain) != len(node.children):
            return None
        return mask_chain_kind(ctx, chain, _depth + 1)
    if t == token.NAME:
        if node.value in ctx.imports:
            return None
        binds = bindings_of(ctx, node)  # type: ignore[arg-type]
        if not binds or any(k != "value" for k, _ in binds):
            return None
        kinds = [mask_kind(ctx, v, _depth + 1) for _, v in binds]
        if any(k is None for k in kinds):
            return None
        return MASK_TENSOR if all(k == MASK_TENSOR for k in kinds) else MASK
    return None


def is_bool_mask(ctx: FileContext, node: NodeOrLeaf, _depth: int = 0) -> bool:
    """Provably a *bool* tensor today: a comparison of a tensor (``x > 0``,
    ``x.eq(y)``; uint8 before PyTorch 1.2), ``&``/``|``/``^``/``~`` of such
    masks, ``.bool()`` of a tensor, ``Variable(m)``/``m.cuda()``... of one,
    a name bound only to them, or a call of a function of this file that
    returns only them (``sequence_mask(lengths)``).  ``.byte()`` masks are
    uint8, not bool."""
    if _depth > 12:
        return False
    node = unparen(node)
    t = node.type
    if t == syms.comparison:
        return mask_kind(ctx, node, _depth + 1) == MASK_TENSOR
    if t in (syms.and_expr, syms.xor_expr, syms.expr):
        return all(is_bool_mask(ctx, c, _depth + 1) for c in node.children[::2])
    if t == syms.factor:
        return node.children[0].value == "~" and is_bool_mask(ctx, node.children[1], _depth + 1)
    if t == token.NAME:
        if node.value in ctx.imports:
            return False
        binds = bindings_of(ctx, node)  # type: ignore[arg-type]
        if not binds or any(k != "value" for k, _ in binds):
            return False
        return all(is_bool_mask(ctx, v, _depth + 1) for _, v in binds)
    if t != syms.power:
        return False
    chain = chain_of(node)
    if len(chain) != len(node.children) or len(chain) < 2 or not is_call(chain[-1]):
        return False
    args = call_args(chain[-1])
    if len(chain) == 2 and chain[0].type == token.NAME:
        q = chain_qualname(ctx, chain[:1])
        if q in ("torch.autograd.Variable", "torch.autograd.variable.Variable"):
            return len(args) == 1 and is_bool_mask(ctx, args[0].value, _depth + 1)
        return _local_returns_bool(ctx, chain[0], _depth)
    meth = attr_name(chain[-2])
    recv = chain[:-2]
    if meth == "bool" and not args:
        return chain_is_tensor(ctx, recv, _depth + 1) or mask_chain_kind(ctx, recv) is not None
    if meth in _MASK_KEEP and not args:
        return _chain_bool(ctx, recv, _depth)
    if meth in COMPARE_METHODS:
        return mask_chain_kind(ctx, chain, _depth + 1) == MASK_TENSOR
    return False


def _chain_bool(ctx: FileContext, chain: list, depth: int) -> bool:
    if len(chain) == 1:
        return is_bool_mask(ctx, chain[0], depth + 1)
    node = Node(syms.power, [c.clone() for c in chain])
    node.parent = chain[0].parent  # name lookups resolve where the chain is
    return is_bool_mask(ctx, node, depth + 1)


def _local_returns_bool(ctx: FileContext, name: Leaf, depth: int) -> bool:
    binds = bindings_of(ctx, name)
    if (
        not binds
        or len(binds) != 1
        or scope_of(name).type != syms.file_input
        and (name.value in scope_bindings(ctx, scope_of(name)))
    ):
        return False  # a local variable or parameter, not one module-level function
    func = None
    for node in ctx.tree.children:
        if node.type == syms.funcdef and node.children[1].value == name.value:
            if func is not None:
                return False
            func = node
    if func is None:
        return False
    returns = [
        n
        for n in func.pre_order()
        if n.type == syms.return_stmt and scope_of(n) is func and len(n.children) == 2
    ]
    return bool(returns) and all(is_bool_mask(ctx, r.children[1], depth + 1) for r in returns)


def mask_chain_kind(ctx: FileContext, chain: list, _depth: int = 0) -> Optional[str]:
    """``mask_kind`` of an expression chain (the elements stay attached)."""
    if _depth > 12 or not chain:
        return None
    if len(chain) == 1:
        return mask_kind(ctx, chain[0], _depth + 1)
    if len(chain) < 3 or not is_call(chain[-1]):
        return None
    meth = attr_name(chain[-2])
    args = call_args(chain[-1])
    recv = chain[:-2]
    if meth in COMPARE_METHODS:
        if len(args) != 1 or args[0].name is not None or args[0].star:
            return None
        if chain_is_tensor(ctx, recv, _depth + 1) or _torch_only_chain(recv):
            return MASK_TENSOR
        if mask_chain_kind(ctx, recv, _depth + 1) == MASK_TENSOR:
            return MASK_TENSOR
        return MASK
    if args:
        return None
    if meth in _MASK_CASTS:
        return MASK_TENSOR if mask_chain_kind(ctx, recv, _depth + 1) else None
    if meth in _MASK_KEEP:
        return mask_chain_kind(ctx, recv, _depth + 1)
    return None


def _torch_only_chain(chain: list) -> bool:
    """``x.masked_select(m)``: a method only torch tensors have."""
    return (
        len(chain) >= 3
        and is_call(chain[-1])
        and attr_name(chain[-2]) in _TORCH_ONLY_VALUES
        and bool(call_args(chain[-1]))
    )
