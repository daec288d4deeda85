"""Rank inference: the number of dimensions of a tensor expression, when the
code proves it.  Used by TM103 (and TM101) through :func:`rank_of` /
:meth:`codemods.analysis.Analysis.rank`.

``rank_of(ctx, expr, stmt)`` returns the number of dimensions of ``expr``
evaluated in statement ``stmt`` when it can be proved from the code in the
same function (and the module attributes assigned in the same class), else
None.  It understands:

- ``x.view(a, b)`` / ``x.reshape(a, b)`` / ``x.view(-1)`` with literal-free
  positional sizes (n sizes -> n dims), ``torch.randn(a, b)`` and friends;
- rank-preserving functions and methods (``F.relu``, ``F.dropout``,
  ``torch.tanh``, ``x.contiguous()``, ...), and modules assigned in the class
  as ``self.fc = nn.Linear(...)`` / ``nn.Conv2d`` / ``nn.Dropout`` / ...
  (the output has the rank of the input);
- local names assigned only by plain ``name = expr`` statements at the top
  level of the function body (the latest one before the use is taken).

Anything else (parameters, loops, branches, tuple targets, ``+=``) is
unknown.
"""

from __future__ import annotations

from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods._tm1common import function_call, is_call_trailer, is_dot_trailer, positional
from codemods.analysis.scopes import analysis, straight_line_assignments, top_statement
from codemods.base import FileContext, call_args, enclosing, enclosing_function, walk

MAX_DEPTH = 24

PRESERVE_FUNCS = {
    "torch.nn.functional." + n
    for n in (
        "relu",
        "relu6",
        "elu",
        "selu",
        "celu",
        "gelu",
        "leaky_relu",
        "prelu",
        "rrelu",
        "hardtanh",
        "sigmoid",
        "tanh",
        "softplus",
        "dropout",
        "alpha_dropout",
        "dropout2d",
        "dropout3d",
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "max_pool1d",
        "max_pool2d",
        "max_pool3d",
        "avg_pool1d",
        "avg_pool2d",
        "avg_pool3d",
        "batch_norm",
        "layer_norm",
        "softmax",
        "log_softmax",
        "normalize",
    )
} | {
    "torch." + n
    for n in ("relu", "sigmoid", "tanh", "exp", "log", "abs", "sqrt", "clamp", "dropout")
}
PRESERVE_METHODS = {
    "contiguous",
    "float",
    "double",
    "half",
    "cpu",
    "cuda",
    "clone",
    "detach",
    "relu",
    "sigmoid",
    "tanh",
    "exp",
    "log",
    "abs",
    "clamp",
    "to",
    "type_as",
}
PRESERVE_MODULES = {
    "torch.nn." + n
    for n in (
        "Linear",
        "Bilinear",
        "Conv1d",
        "Conv2d",
        "Conv3d",
        "ConvTranspose1d",
        "ConvTranspose2d",
        "ConvTranspose3d",
        "MaxPool1d",
        "MaxPool2d",
        "MaxPool3d",
        "AvgPool1d",
        "AvgPool2d",
        "AvgPool3d",
        "BatchNorm1d",
        "BatchNorm2d",
        "BatchNorm3d",
        "LayerNorm",
        "Dropout",
        "Dropout2d",
        "Dropout3d",
        "ReLU",
        "ReLU6",
        "ELU",
        "SELU",
        "LeakyReLU",
        "PReLU",
        "Tanh",
        "Sigmoid",
        "Softplus",
    )
}
FACTORIES = {
    "torch." + n for n in ("randn", "rand", "zeros", "ones", "empty", "Tensor", "FloatTensor")
}


def _size_count(args) -> Optional[int]:
    """Number of dims given by positional size arguments (None if not plain)."""
    if any(a.star or a.name for a in args):
        return None
    pos = positional(args)
    if not pos:
        return None
    for a in pos:
        v = a.value
        if v.type in (syms.atom, syms.testlist_gexp) and str(v).strip()[:1] in "([":
            return None  # a tuple/list of sizes: count unknown here
        if isinstance(v, Leaf) and v.type == token.STRING:
            return None
    if len(pos) == 1:
        v = pos[0].value
        # `.view(-1)`/`.view(320)` is 1-D; `.view(shape)` / `.view(x.size())` is not known
        text = str(v).strip()
        if text.lstrip("-").isdigit():
            return 1
        return None
    return len(pos)


class _Infer:
    def __init__(self, ctx: FileContext):
        self.ctx = ctx
        self.depth = 0

    def rank(self, expr, stmt) -> Optional[int]:
        if self.depth > MAX_DEPTH:
            return None
        self.depth += 1
        try:
            return self._rank(expr, stmt)
        finally:
            self.depth -= 1

    def _rank(self, expr, stmt) -> Optional[int]:
        if isinstance(expr, Leaf):
            if expr.type == token.NAME:
                return self._name(expr.value, stmt)
            return None
        if expr.type == syms.atom and len(expr.children) == 3 and expr.children[0].value == "(":
            return self.rank(expr.children[1], stmt)
        if expr.type != syms.power:
            return None
        kids = expr.children
        if kids[0].type == token.NAME and kids[0].value == "await":
            return None
        last = kids[-1]
        if not is_call_trailer(last):
            if len(kids) == 3 and is_dot_trailer(kids[1]) and kids[0].value == "self":
                return None
            return None
        call = function_call(self.ctx, expr)
        if call is not None and call.index == len(kids) - 1:
            if (
                call.qualname in PRESERVE_FUNCS
                or call.qualname in FACTORIES
                or call.qualname == "torch.mm"
            ):
                return self._function(call, stmt)
        # method call on a receiver: `<recv>.name(args)`
        if len(kids) >= 3 and is_dot_trailer(kids[-2]):
            meth = kids[-2].children[1].value
            args = call_args(last)
            head = kids[:-2]
            recv = head[0] if len(head) == 1 else Node(syms.power, [c.clone() for c in head])
            if meth in ("view", "reshape"):
                return _size_count(args)
            if meth in PRESERVE_METHODS:
                return self.rank(recv, stmt)
            if meth == "mm":
                return 2
            # self.attr(...) where attr is a known module
            if len(head) == 1 and head[0].type == token.NAME and head[0].value == "self":
                return self._module_call(meth, args, stmt)
            call = function_call(self.ctx, expr)
            if call is not None and call.index == len(kids) - 1:
                return self._function(call, stmt)
            return None
        call = function_call(self.ctx, expr)
        if call is not None and call.index == len(kids) - 1:
            return self._function(call, stmt)
        return None

    def _function(self, call, stmt) -> Optional[int]:
        q = call.qualname or ""
        args = call.args
        if q in PRESERVE_FUNCS:
            pos = positional(args)
            if pos:
                return self.rank(pos[0].value, stmt)
            return None
        if q in FACTORIES:
            return _size_count(args)
        if q == "torch.mm":
            return 2
        return None

    def _module_call(self, attr: str, args, stmt) -> Optional[int]:
        kind = self._attr_module(attr, stmt)
        if kind is None or kind not in PRESERVE_MODULES:
            return None
        pos = positional(args)
        if len(pos) != 1 or any(a.star or a.name for a in args):
            return None
        return self.rank(pos[0].value, stmt)

    def _attr_module(self, attr: str, stmt) -> Optional[str]:
        """Qualified class of ``self.<attr>`` when every assignment to it in the
        enclosing class is ``self.<attr> = <Module>(...)`` of one class."""
        cls = enclosing(stmt, syms.classdef)
        if cls is None:
            return None
        ctx = self.ctx
        table = analysis(ctx).scope_table(
            "attr_modules", cls, lambda c: _class_attr_modules(ctx, c)
        )
        return table.get(attr)

    def _name(self, name: str, stmt) -> Optional[int]:
        func = enclosing_function(stmt)
        if func is None:
            return None
        if name in analysis(self.ctx).scope_table("reshaped", func, _reshaped_in_place):
            return None  # ``b.squeeze_(1)``, ``b.data = c``: its rank is not its binding's
        table = analysis(self.ctx).scope_table("straight_line", func, straight_line_assignments)
        entry = table.get(name)
        if not entry:
            return None
        body_stmts, assigns = entry
        top = top_statement(stmt, func)
        if top is None:
            return None
        idx = body_stmts.get(id(top))
        if idx is None:
            return None
        best = None
        for pos, value, astmt in assigns:
            if pos < idx:
                best = (value, astmt)
        if best is None:
            return None
        return self.rank(best[0], best[1])


# In-place methods that can change a tensor's rank (or replace what it holds).
_RESHAPE_IN_PLACE = frozenset(
    """squeeze_ unsqueeze_ resize_ resize_as_ set_ as_strided_ t_ transpose_ swapdims_
    swapaxes_""".split()
)


def _reshaped_in_place(func) -> set:
    """The names of ``func`` whose tensor may change rank in place: an in-place
    shape method called on them (``b.squeeze_(1)``, ``b.resize_(8)``) or
    their ``.data`` assigned (``b.data = c``)."""
    out: set = set()
    for node in walk(func):
        if node.type != syms.power or node.children[0].type != token.NAME:
            continue
        kids = node.children
        if len(kids) < 2 or not is_dot_trailer(kids[1]):
            continue
        attr = kids[1].children[1].value
        if attr in _RESHAPE_IN_PLACE and len(kids) > 2 and is_call_trailer(kids[2]):
            out.add(kids[0].value)
        elif (
            attr == "data"
            and len(kids) == 2
            and node.parent is not None
            and node.parent.type == syms.expr_stmt
            and node.parent.children[0] is node
            and len(node.parent.children) >= 3
            and node.parent.children[1].type == token.EQUAL
        ):
            out.add(kids[0].value)
    return out


def _class_attr_modules(ctx: FileContext, cls) -> dict:
    """attr -> qualified module class for ``self.attr = Module(...)`` in a class."""
    out: dict = {}
    bad: set = set()
    for node in walk(cls):
        if (
            node.type != syms.expr_stmt
            or len(node.children) != 3
            or node.children[1].type != token.EQUAL
        ):
            continue
        target, value = node.children[0], node.children[2]
        if not (
            target.type == syms.power
            and len(target.children) == 2
            and target.children[0].type == token.NAME
            and target.children[0].value == "self"
            and is_dot_trailer(target.children[1])
        ):
            continue
        attr = target.children[1].children[1].value
        qual = None
        if value.type == syms.power:
            call = function_call(ctx, value)
            if call is not None and call.index == len(value.children) - 1:
                qual = call.qualname
        if qual is None or (attr in out and out[attr] != qual):
            bad.add(attr)
        else:
            out[attr] = qual
    return {k: v for k, v in out.items() if k not in bad}


def rank_of(ctx: FileContext, expr, stmt) -> Optional[int]:
    """The rank of ``expr`` (a node inside ``stmt``'s function), or None."""
    return _Infer(ctx).rank(expr, stmt)
