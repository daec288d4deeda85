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
from codemods.base import call_args, enclosing_function

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

        return func is None or not trains(func)
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
