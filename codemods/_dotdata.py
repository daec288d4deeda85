"""``x.data`` sites, shared by TM003 (``.data[0]``), TM004 (``.data``) and
TM007 (``.data.numpy()``): who owns a site, and what the receiver is."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Node

from codemods import analysis as A
from codemods.analysis import values as V
from codemods.base import call_args, enclosing_function, leaves_of, statement_of

PLAIN = "plain"  # provably a tensor without grad: ``x.data`` is ``x``
TENSOR = "tensor"  # provably a tensor: ``x.data`` -> ``x.detach()``
UNKNOWN = "unknown"  # could be anything with a ``.data`` attribute
OTHER = "other"  # provably not a tensor (dataset, args, PackedSequence, ...)

# in-place methods whose update through ``.data`` moves into no_grad
INPLACE_OK = {
    "add_", "sub_", "mul_", "div_", "addcmul_", "addcdiv_", "clamp_", "clamp_min_", "clamp_max_",
    "zero_", "fill_", "copy_", "normal_", "uniform_", "pow_", "sqrt_", "abs_", "neg_", "exp_",
    "log_", "sign_", "lerp_", "masked_fill_", "index_add_", "index_copy_", "index_fill_",
    "scatter_", "scatter_add_", "put_", "renorm_", "sigmoid_", "tanh_", "floor_", "ceil_",
    "round_", "bernoulli_", "random_", "exponential_", "geometric_", "log_normal_", "cauchy_",
    "addmm_", "addmv_", "addr_", "baddbmm_", "addbmm_", "reciprocal_", "relu_",
}  # fmt: skip
INIT_METHODS = {
    "normal_", "uniform_", "fill_", "zero_", "copy_", "random_", "bernoulli_", "exponential_",
    "log_normal_", "cauchy_", "geometric_",
}  # fmt: skip
_AUG = {"+=", "-=", "*=", "/="}

TENSOR_METHODS = (
    V._SAME | V._REDUCE | V._ELEMWISE | V._COMPARE | V._NEW | V._NONTENSOR | V._TENSOR_OUT
    | V._INIT_INPLACE | V._TUPLE_REDUCE | {"detach", "numpy", "cpu", "cuda", "clone", "tolist", "item"}
)  # fmt: skip


@dataclass
class Site:
    power: Node
    trailer: Node  # the ``.data`` trailer
    index: int  # its index in power.children
    recv: list  # children before it
    after: list  # trailers after it (chain only)


def site_of(trailer: Node) -> Optional[Site]:
    power = trailer.parent
    if power is None or power.type != syms.power:
        return None
    chain = A.chain_of(power)
    try:
        k = chain.index(trailer)
    except ValueError:
        return None
    if k == 0:
        return None
    return Site(power, trailer, k, chain[:k], chain[k + 1 :])


def classify(ctx, recv: list) -> tuple:
    """(PLAIN | TENSOR | UNKNOWN | OTHER, value) for a ``.data`` receiver."""
    if A.receiver_is_other_by_name(recv):
        return OTHER, None
    an = A.analysis(ctx)
    v = an.chain_value(recv)
    if v is not None:
        if v.kind == "tensor":
            return (PLAIN if v.plain else TENSOR), v
        if v.kind == "batch":
            # a loader's bare yield may be a namedtuple/dict batch
            return (OTHER if v.struct else PLAIN), v
        if v.kind in ("other", "module", "num", "qual", "func", "cls", "self", "loader"):
            return OTHER, v
    last = recv[-1]
    if A.is_attr(last) and A.attr_of(last) in ("grad", "weight", "bias"):
        return TENSOR, A.tensor(nd=True)
    if len(recv) == 1 and recv[0].type == token.NAME and A.guarded_tensor(ctx, recv[0]):
        return TENSOR, A.tensor()
    return UNKNOWN, v


def text_of(nodes: list) -> str:
    return "".join(str(n) for n in nodes).strip()


def owner(site: Site) -> str:
    """Which rule handles this ``.data``: TM001, TM003, TM007 or TM004."""
    after = site.after
    power = site.power
    if not after and len(power.children) == site.index + 1:
        # the whole argument of a Variable call: TM001's ``Variable(h.data)``
        parent = power.parent
        trailer = parent if parent is not None and parent.type == syms.trailer else None
        if trailer is not None and trailer.children[0].value == "(":
            callee = trailer.parent
            if callee is not None and callee.type == syms.power:
                idx = callee.children.index(trailer)
                prev = callee.children[idx - 1]
                if (prev.type == token.NAME and prev.value == "Variable") or A.is_attr(
                    prev, "Variable"
                ):
                    return "TM001"
    if after and A.is_index(after[0]) and _is_zero(after[0]):
        return "TM003"
    if numpy_chain(site) is not None:
        return "TM007"
    return "TM004"


def _is_zero(tr: Node) -> bool:
    inner = tr.children[1]
    return inner.type == token.NUMBER and inner.value == "0"


def numpy_chain(site: Site) -> Optional[tuple]:
    """``R.data.numpy()`` / ``R.data.cpu().numpy()`` / ``B.cpu().data.numpy()``:
    returns (base chain, has_cpu, number of trailers after .data consumed)."""
    after = site.after
    if (
        len(after) >= 2
        and A.is_attr(after[0], "numpy")
        and A.is_call(after[1])
        and not call_args(after[1])
    ):
        recv = site.recv
        if (
            len(recv) >= 3
            and A.is_attr(recv[-2], "cpu")
            and A.is_call(recv[-1])
            and not call_args(recv[-1])
        ):
            return recv[:-2], True, 2
        return recv, False, 2
    if (
        len(after) >= 4
        and A.is_attr(after[0], "cpu")
        and A.is_call(after[1])
        and not call_args(after[1])
        and A.is_attr(after[2], "numpy")
        and A.is_call(after[3])
        and not call_args(after[3])
    ):
        return site.recv, True, 4
    return None


def tensor_evidence(site: Site) -> bool:
    """The ``.data`` value is used like a tensor (``.max(1)``, ``.cpu()``,
    a multi-dimensional index ``[0, 0]``...)."""
    after = site.after
    if not after:
        return False
    if A.is_index(after[0]):
        inner = after[0].children[1]
        return inner.type == syms.subscriptlist
    return A.is_attr(after[0]) and A.attr_of(after[0]) in TENSOR_METHODS


def drop_data(kind: str, recv: list) -> bool:
    """Plain data spelled as a name (``target.data``) loses ``.data``
    altogether; computed plain values get ``.detach()`` like tensors."""
    return kind == PLAIN and len(recv) == 1 and recv[0].type == token.NAME


# --------------------------------------------------------------------------
# In-place updates through .data
# --------------------------------------------------------------------------
# Methods whose result may be the tensor itself or a view of it (an in-place
# method called on it writes the original): views, and conversions that
# return ``self`` when there is nothing to convert.
VIEW_OR_SELF = {
    "view", "view_as", "narrow", "select", "t", "transpose", "permute", "expand",
    "expand_as", "squeeze", "unsqueeze", "unfold", "diagonal", "as_strided", "reshape",
    "reshape_as", "flatten", "unflatten", "contiguous", "detach", "_values", "_indices",
    "values", "indices", "real", "imag", "T", "mT", "H", "mH", "cuda", "cpu", "to", "type",
    "float", "double", "half", "long", "int", "byte", "bool", "data",
}  # fmt: skip


def _inplace_name(name: str) -> bool:
    return (
        name in INPLACE_OK
        or name in V._INIT_INPLACE
        or (name.endswith("_") and not name.startswith("__"))
    )


def inplace_after(after: list) -> Optional[tuple]:
    """(index in ``after``, method) of an in-place method that the trailers
    ``after`` (what follows ``.data``) call on the tensor itself or on a view
    of it -- ``w.data[a:b].view_as(t).copy_(t)``, ``g.data._values().mul_(c)``
    -- else None.  Stops at anything that may copy (``.new(...)``,
    ``.clone()``, an unknown method): what follows it acts on the copy."""
    j = 0
    while j < len(after):
        tr = after[j]
        if A.is_index(tr):
            j += 1
            continue
        if not A.is_attr(tr):
            return None
        name = A.attr_of(tr)
        called = j + 1 < len(after) and A.is_call(after[j + 1])
        if called and _inplace_name(name):
            return j, name
        if name in VIEW_OR_SELF:
            j += 2 if called else 1
            continue
        return None
    return None


def inplace_uses(scope: Node, name: str) -> Optional[Node]:
    """The first statement of ``scope`` that updates the tensor that ``name``
    holds in place (``name.clamp_(..)``, ``name[i] = v``, ``name += d``,
    through views too), else None.  Name-based: every use of ``name`` in the
    scope counts, whatever it is bound to there (conservative)."""
    for leaf in leaves_of(scope):
        if leaf.type != token.NAME or leaf.value != name:
            continue
        target = leaf
        parent = leaf.parent
        if parent is not None and parent.type == syms.power and parent.children[0] is leaf:
            chain = A.chain_of(parent)
            if inplace_after(chain[1:]) is not None:
                return statement_of(leaf)
            if not all(A.is_index(t) for t in chain[1:]):
                continue  # ``name.attr = v`` and the like update no tensor element
            target = parent
        up = target.parent
        if up is None or up.type != syms.expr_stmt or up.children[0] is not target:
            continue
        second = up.children[1]
        if second.type == syms.annassign:
            # ``name[i]: T = v`` assigns like ``name[i] = v``; ``name[i]: T``
            # alone assigns nothing
            if not any(c.type == token.EQUAL for c in second.children):
                continue
            op = "="
        else:
            op = second.value
        if op in _AUG or (op == "=" and target is not leaf):
            return statement_of(leaf)  # ``name += d``, ``name[i] = v``
    return None


_INIT_FUNC = re.compile(r"init|reset", re.IGNORECASE)


@dataclass
class Unit:
    stmt: Node  # simple_stmt
    recv: list  # receiver chain of the updated ``.data``
    kind: str  # "call" | "aug" | "setitem"
    method: str


def inplace_unit(stmt: Node) -> Optional[Unit]:
    """A whole statement that updates a tensor in place through ``.data``."""
    if stmt.type != syms.simple_stmt or len(stmt.children) != 2:
        return None
    small = stmt.children[0]
    if small.type == syms.power:
        chain = A.chain_of(small)
        if len(chain) != len(small.children):
            return None
        for k in range(1, len(chain)):
            if not A.is_attr(chain[k], "data"):
                continue
            rest = chain[k + 1 :]
            if len(rest) < 2 or len(rest) % 2:
                return None
            methods = []
            for j in range(0, len(rest), 2):
                m = A.attr_of(rest[j])
                if m not in INPLACE_OK or not A.is_call(rest[j + 1]):
                    return None
                methods.append(m)
            return Unit(stmt, chain[:k], "call", methods[0])
        return None
    if small.type == syms.expr_stmt and len(small.children) == 3:
        target, op, _value = small.children
        if target.type != syms.power:
            return None
        chain = A.chain_of(target)
        if len(chain) != len(target.children):
            return None
        if op.value in _AUG and A.is_attr(chain[-1], "data"):
            return Unit(stmt, chain[:-1], "aug", op.value)
        if (
            op.value in _AUG | {"="}
            and len(chain) >= 3
            and A.is_index(chain[-1])
            and A.is_attr(chain[-2], "data")
        ):
            return Unit(stmt, chain[:-2], "setitem", op.value)
    return None


def is_init_context(ctx, unit: Unit) -> bool:
    """Weight initialisation (``m.weight.data.normal_(0, 0.02)``) behaves the
    same through ``.data``: it stays as it is."""
    if unit.kind != "call" or unit.method not in INIT_METHODS:
        return False
    func = enclosing_function(unit.stmt)
    if func is not None and _INIT_FUNC.search(func.children[1].value):
        return True
    last = unit.recv[-1]
    if A.is_attr(last) and A.attr_of(last) in ("weight", "bias"):
        from codemods.tm002_volatile import trains

        return func is None or not trains(func, ctx)
    return False


def strip_data(stmt: Node, unit_recv_text: str) -> None:
    """Inside the no_grad block: drop the ``.data`` of the updated tensor and
    every ``.grad.data``."""
    for node in list(stmt.pre_order()):
        if node.type != syms.trailer or not A.is_attr(node, "data") or node.parent is None:
            continue
        power = node.parent
        idx = power.children.index(node)
        recv = power.children[:idx]
        if not recv:
            continue
        if text_of(recv) == unit_recv_text or (A.is_attr(recv[-1], "grad") and len(recv) > 1):
            node.remove()
            if len(power.children) == 1:
                only = power.children[0]
                prefix = power.prefix
                only.remove()
                only.prefix = prefix
                power.replace(only)


# --------------------------------------------------------------------------
# One element or a batch?  (TM003, TM006, TM007)
# --------------------------------------------------------------------------
# trailers that keep a tensor's elements (``loss.data.cpu()``)
_SAME_ELEMENTS = {"data", "detach", "cpu", "clone", "contiguous"}


def _strip_same(chain: list) -> list:
    """``loss.data.cpu()`` -> ``loss``."""
    while len(chain) >= 2:
        if A.is_attr(chain[-1], "data"):
            chain = chain[:-1]
        elif (
            len(chain) >= 3
            and A.is_call(chain[-1])
            and not call_args(chain[-1])
            and A.attr_of(chain[-2]) in _SAME_ELEMENTS
        ):
            chain = chain[:-2]
        else:
            break
    return chain


def one_element(ctx, chain: list, _seen: Optional[set] = None) -> Optional[str]:
    """Why the value of ``chain`` provably has exactly one element today
    (a reduced loss, a full reduction, ``x.sum(0)`` of a 1-D ``x``, a name
    ``.backward()`` is called on without a gradient, an accumulator of such
    values), or None."""
    seen = _seen if _seen is not None else set()
    chain = _strip_same(list(chain))
    v = A.analysis(ctx).chain_value(chain)
    if v is not None and v.kind == "tensor" and (v.scalar or v.rank == 0):
        return "a reduced loss or a full reduction (0-dim since PyTorch 0.4)"
    if len(chain) != 1 or chain[0].type != token.NAME:
        return None
    name = chain[0]
    if id(name) in seen or len(seen) > 30:
        return None
    seen.add(id(name))
    if A.backward_without_gradient(ctx, name):
        return f"`{name.value}.backward()` is called without a gradient, which needs one element"
    binds = A.bindings_of(ctx, name)
    if not binds:
        return None
    tensors = 0
    for kind, val in binds:
        node = (
            val
            if kind == "value"
            else (val[1] if kind == "aug" and val[0] in ("+=", "-=", "*=", "/=") else None)
        )
        if node is None:
            return None
        if A.is_number(ctx, node):
            continue
        if _expr_one_element(ctx, node, seen) is None:
            return None
        tensors += 1
    if tensors:
        return f"`{name.value}` only ever holds numbers and one-element tensors"
    return None


def _expr_one_element(ctx, node, seen: set) -> Optional[str]:
    node = A.unparen(node)
    if node.type in (syms.arith_expr, syms.term):
        parts = node.children[::2]
        reasons = []
        for p in parts:
            if A.is_number(ctx, p):
                continue
            r = _expr_one_element(ctx, p, seen)
            if r is None:
                return None
            reasons.append(r)
        return reasons[0] if reasons else None
    if node.type == syms.power:
        chain = A.chain_of(node)
        if len(chain) != len(node.children):
            return None
        return one_element(ctx, chain, seen)
    if node.type == token.NAME:
        return one_element(ctx, [node], seen)
    return None


_BATCH_METHODS = {"size", "view", "mean", "sum", "max", "min", "squeeze", "unsqueeze", "topk"}


def batch_evidence(ctx, chain: list) -> Optional[str]:
    """Why the value of ``chain`` is probably a batch (>= 1-D): a model's
    output, a name used with ``.backward(gradient)`` or shape methods
    elsewhere, an element-wise loss.  Weaker than proof (unsafe)."""
    chain = _strip_same(list(chain))
    v = A.analysis(ctx).chain_value(chain)
    if v is not None and v.kind == "tensor" and v.rank is not None and v.rank >= 1:
        return f"`{text_of(chain)}` is {v.rank}-D"
    if len(chain) != 1 or chain[0].type != token.NAME:
        return None
    name = chain[0]
    binds = A.bindings_of(ctx, name)
    if binds and all(kind == "value" for kind, _ in binds):
        if all(_model_call(ctx, val) for _, val in binds):
            return f"`{name.value}` is a model's output (a batch)"
        if all(_elementwise_loss(ctx, val) for _, val in binds):
            return f"`{name.value}` is an element-wise loss (`reduce=False`/`reduction='none'`)"
        if all(_dim_reduction(val) for _, val in binds):
            return f"`{name.value}` is a reduction over a dim >= 1 (so at least 1-D)"
    scope = A.scope_of(name)
    for leaf in scope.leaves():
        if leaf.type != token.NAME or leaf.value != name.value:
            continue
        power = leaf.parent
        if power is None or power.type != syms.power or power.children[0] is not leaf:
            continue
        kids = power.children
        if len(kids) >= 3 and A.is_attr(kids[1]) and A.is_call(kids[2]):
            meth = A.attr_of(kids[1])
            args = call_args(kids[2])
            if meth == "backward" and args and args[0].name in (None, "gradient"):
                return f"`{name.value}.backward(<gradient>)` is called: it is not a scalar"
            if meth in _BATCH_METHODS and (args or meth in ("mean", "sum")):
                return f"`{name.value}.{meth}(...)` is used elsewhere"
    return None


def _dim_reduction(node) -> bool:
    """``x.sum(1)`` / ``x.mean(dim=2)`` without keepdim: x had at least 2
    dims, so the result has at least one."""
    node = A.unparen(node)
    if node.type != syms.power:
        return False
    chain = A.chain_of(node)
    if len(chain) < 3 or not A.is_call(chain[-1]) or A.attr_of(chain[-2]) not in V._REDUCE:
        return False
    args = call_args(chain[-1])
    if len(args) != 1 or args[0].name not in (None, "dim"):
        return False
    v = args[0].value
    return v.type == token.NUMBER and v.value.isdigit() and int(v.value) >= 1


def _model_call(ctx, node) -> bool:
    node = A.unparen(node)
    if node.type != syms.power:
        return False
    chain = A.chain_of(node)
    if len(chain) < 2 or not A.is_call(chain[-1]):
        return False
    head = A.analysis(ctx).chain_value(chain[:-1])
    return head is not None and head.kind == "module" and head.sub in ("model", "rnn", "any")


def _elementwise_loss(ctx, node) -> bool:
    node = A.unparen(node)
    if node.type != syms.power:
        return False
    chain = A.chain_of(node)
    if len(chain) < 2 or not A.is_call(chain[-1]):
        return False
    head = A.analysis(ctx).chain_value(chain[:-1])
    if head is not None and head.kind == "module" and head.sub == "criterion_nd":
        return True
    q = A.chain_qualname(ctx, chain[:-1])
    if q and q.startswith("torch.nn.functional.") and q.endswith("loss"):
        v = A.analysis(ctx).chain_value(chain)
        return v is not None and v.kind == "tensor" and not v.scalar
    return False


def zero_dim_read(ctx, power: Node, index_trailer: Node) -> Optional[tuple]:
    """``BASE[0]``, ``BASE.data.cpu().numpy()[0]``, ``BASE.tolist()[0]``...
    where ``BASE`` provably has one element: (base chain, reason).
    ``index_trailer`` is the ``[0]``/``[-1]`` trailer."""
    chain = A.chain_of(power)
    if index_trailer not in chain:
        return None
    k = chain.index(index_trailer)
    inner = index_trailer.children[1]
    text = str(inner).strip()
    if text not in ("0", "-1") or k == 0:
        return None
    recv = chain[:k]
    if A.is_attr(recv[-1], "data"):
        return None  # ``x.data[0]``: DataIndexFixer's
    if len(recv) >= 3 and A.is_call(recv[-1]) and A.attr_of(recv[-2]) in ("numpy", "tolist"):
        if call_args(recv[-1]):
            return None
        base = _strip_same(recv[:-2])
    else:
        base = recv
    if not base:
        return None
    reason = one_element(ctx, base)
    if reason is None:
        return None
    return base, reason


# --------------------------------------------------------------------------
# A sample drawn for a single input (``select_action`` in policy-gradient code)
# --------------------------------------------------------------------------
_ROW_KEEP = {"float", "double", "cuda", "cpu", "detach", "to", "contiguous", "clone", "type"}
_ROW_FUNCS = {
    "torch.nn.functional." + n
    for n in ("softmax", "log_softmax", "sigmoid", "tanh", "relu", "dropout", "softplus")
} | {"torch." + n for n in ("softmax", "log_softmax", "sigmoid", "tanh", "exp", "relu")}


def single_sample(ctx, chain: list) -> Optional[str]:
    """Why ``chain`` is the one sample drawn for a batch of one: ``a = m.sample()``
    with ``m = Categorical(p)`` (any ``torch.distributions`` class) or
    ``a = p.multinomial(1)``, where ``p`` comes from a model applied to
    ``x.unsqueeze(0)`` / ``x.view(1, -1)`` (models keep the batch
    dimension).  Evidence, not proof: a model that changes the batch size
    breaks it (so the rewrite it supports is unsafe)."""
    chain = _strip_same(list(chain))
    if len(chain) != 1 or chain[0].type != token.NAME:
        return None
    value = _visible_value(ctx, chain[0])
    if value is None or value[1] is not None:
        return None
    node = A.unparen(value[0])
    if node.type != syms.power:
        return None
    c = A.chain_of(node)
    if len(c) < 3 or not A.is_call(c[-1]) or len(c) != len(node.children):
        return None
    meth = A.attr_of(c[-2])
    if meth == "multinomial":
        args = call_args(c[-1])
        if len(args) > 1 or (args and str(args[0].value).strip() != "1"):
            return None
        params = c[0] if len(c) == 3 else _reparent(A.chain_node(c[:-2]), node)
        return _sample_reason(ctx, params, chain[0], c[0])
    if meth != "sample" or call_args(c[-1]) or len(c) != 3 or c[0].type != token.NAME:
        return None
    dist = _visible_value(ctx, c[0])
    if dist is None or dist[1] is not None:
        return None
    d = A.unparen(dist[0])
    if d.type != syms.power:
        return None
    dc = A.chain_of(d)
    if len(dc) < 2 or not A.is_call(dc[-1]):
        return None
    q = A.chain_qualname(ctx, dc[:-1])
    if not q or not q.startswith("torch.distributions."):
        return None
    args = call_args(dc[-1])
    pos = [a for a in args if a.name is None and not a.star]
    param = (
        pos[0].value
        if pos
        else next((a.value for a in args if a.name in ("probs", "logits")), None)
    )
    if param is None:
        return None
    return _sample_reason(ctx, param, chain[0], c[0])


def _reparent(detached, anchor):
    """A detached clone whose name lookups resolve where ``anchor`` is."""
    detached.parent = anchor
    return detached


def _sample_reason(ctx, param, name, at) -> Optional[str]:
    if not _single_row(ctx, param, at, 0):
        return None
    return (
        f"`{name.value}` is the one sample drawn for a batch of one (the model input is "
        "`x.unsqueeze(0)`/`x.view(1, -1)`)"
    )


def _single_row(ctx, node, at, depth: int) -> bool:
    """``node`` (seen from ``at``) has a leading dimension of 1."""
    if depth > 12:
        return False
    node = A.unparen(node)
    if node.type == token.NAME:
        value = _visible_value(ctx, node)
        if value is None:
            return False
        return _single_row(ctx, value[0], value[0], depth + 1)
    if node.type != syms.power:
        return False
    chain = A.chain_of(node)
    if len(chain) != len(node.children) or not A.is_call(chain[-1]):
        return False
    args = call_args(chain[-1])
    if len(chain) >= 3 and A.is_attr(chain[-2]):
        meth = A.attr_of(chain[-2])
        texts = [str(a.value).strip() for a in args]
        if meth == "unsqueeze" and texts == ["0"]:
            return True
        if meth in ("view", "reshape") and len(texts) == 2 and texts[0] == "1":
            return True
        if meth in _ROW_KEEP:
            recv = chain[:-2]
            inner = recv[0] if len(recv) == 1 else _reparent(A.chain_node(recv), node)
            return _single_row(ctx, inner, at, depth + 1)
    pos = [a for a in args if a.name is None and not a.star]
    if not pos:
        return False
    q = A.chain_qualname(ctx, chain[:-1])
    if q in A.VARIABLE or q in _ROW_FUNCS:
        return _single_row(ctx, pos[0].value, at, depth + 1)
    head = A.analysis(ctx).chain_value(chain[:-1])
    if head is not None and head.kind == "module" and head.sub == "model" and len(pos) == 1:
        return _single_row(ctx, pos[0].value, at, depth + 1)
    return False


def _visible_value(ctx, name) -> Optional[tuple]:
    """(value node, tuple index or None) of the assignment of ``name`` that
    a use sees: the last top-level ``name = value`` / ``a, name = value``
    statement before the use in the same function body, when the function
    binds ``name`` nowhere else (a parameter it rebinds first is fine)."""
    func = enclosing_function(name)
    if func is None:
        binds = A.bindings_of(ctx, name)
        if binds and len(binds) == 1 and binds[0][0] == "value":
            return binds[0][1], None
        if binds and len(binds) == 1 and binds[0][0] == "elem":
            return binds[0][1]
        return None
    suite = func.children[-1]
    if suite.type != syms.suite:
        return None
    top = name
    while top.parent is not None and top.parent is not suite:
        top = top.parent
    if top.parent is None:
        return None
    found = None
    count = 0
    for stmt in suite.children:
        if stmt is top:
            break
        bound = _binds(stmt, name.value)
        if bound is not None:
            found = bound
    for stmt in suite.children:
        if _binds(stmt, name.value) is not None:
            count += 1
    total = sum(
        1
        for leaf in func.children[-1].leaves()
        if leaf.type == token.NAME and leaf.value == name.value and _is_store(leaf)
    )
    if found is None or total != count:
        return None
    return found


def _binds(stmt, name: str) -> Optional[tuple]:
    if stmt.type != syms.simple_stmt or len(stmt.children) != 2:
        return None
    es = stmt.children[0]
    if es.type != syms.expr_stmt or len(es.children) != 3 or es.children[1].type != token.EQUAL:
        return None
    tgt, value = es.children[0], es.children[2]
    if tgt.type == token.NAME:
        return (value, None) if tgt.value == name else None
    items = A.tuple_items(tgt)
    if items is None:
        return None
    for i, it in enumerate(items):
        if it.type == token.NAME and it.value == name:
            return value, i
    return None


def _is_store(leaf) -> bool:
    node = leaf
    while node.parent is not None and node.parent.type in (
        syms.testlist_star_expr,
        syms.exprlist,
        syms.testlist_gexp,
        syms.atom,
    ):
        node = node.parent
    p = node.parent
    if p is None:
        return False
    if p.type == syms.expr_stmt:
        return p.children[-1] is not node
    if p.type in (syms.for_stmt, syms.comp_for):
        return p.children[1] is node
    return False
