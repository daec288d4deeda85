"""The value lattice: what a value is (tensor, batch, number, module, ...).

Used by the pre-0.4 autograd rules TM001-TM004 and TM007 through
:meth:`codemods.analysis.Analysis.value`.

Every question asked here is "is this *provably* X?": the answer is a
:class:`Val` when the file itself shows what a value is, and ``None`` when it
cannot tell.  Rules turn ``None`` into a lower safety class, never a guess.

The analysis is flow-insensitive and intra-file: a name's value is the join
of every binding of that name in its scope (function or module), so
``x = Variable(x)`` next to ``for x in loader`` gives "plain data" only when
*all* the bindings are plain data.  It is computed lazily and memoised per node
by the file's :class:`codemods.analysis.Analysis`.

Values (``Val.kind``):

``tensor``   a torch tensor; ``plain`` = provably does not require grad,
             ``grad`` = provably requires grad (parameters, model outputs),
             ``scalar`` = provably one element, ``nd`` = provably >= 1-D,
             ``rank`` = its number of dimensions on today's torch when
             provable (``scalar`` values are 0-dim; ``x.view(-1)`` is 1-D;
             ``x.sum(0)`` of a 1-D ``x`` is 0-dim), else None.
``batch``    what a data loader yields (plain data; maybe a tuple/namedtuple,
             so it is *not* evidence that ``.data`` is a tensor's).
``num``      a Python number (or another non-tensor value without grad when
             ``num`` is False: numpy arrays, strings).
``module``   an ``nn.Module`` instance; ``sub`` is ``model``, ``rnn``,
             ``criterion`` (scalar output), ``criterion_nd`` or ``any``.
``loader``, ``params``, ``named_params``, ``modules_iter``: iterables.
``qual``     a dotted reference resolved through the imports.
``func`` / ``cls`` / ``method``: functions, classes and bound methods of
             this file (their returns and constructors are analysed).
``self``     ``self`` inside a class of this file.
``seq``      a tuple of values (``items``), or a list built by ``append``
             (``items`` None, ``elem`` the join of the appended values).
``other``    a value that is known NOT to be a tensor whose ``.data`` is the
             tensor's data (datasets, argparse namespaces, PackedSequence,
             namedtuples): such receivers are never rewritten.
"""

from __future__ import annotations

import re
from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods.analysis.scopes import (
    _COMP,
    _COMP_ALL,
    _SCOPE_TYPES,
    Bindings,
    _target_paths,
    analysis,
    collect_bindings,
    scope_node,
)
from codemods.analysis.syntax import chain_of, is_false, is_true, tuple_items
from codemods.base import (
    FileContext,
    NodeOrLeaf,
    call_args,
    dotted_name,
    is_attr,
    is_call,
    kwarg,
    name_leaves,
    subtree_of_type,
    walk,
)
from codemods.base import attr_name as attr_of
from codemods.base import is_subscript as is_index

# --------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------


class Val:
    __slots__ = (
        "kind",
        "plain",
        "grad",
        "scalar",
        "nd",
        "num",
        "sub",
        "ref",
        "items",
        "struct",
        "rank",
        "elem",
    )

    def __init__(self, kind, **kw):
        self.kind = kind
        self.plain = kw.get("plain", False)
        self.grad = kw.get("grad", False)
        self.scalar = kw.get("scalar", False)
        self.nd = kw.get("nd", False)
        self.num = kw.get("num", False)
        self.sub = kw.get("sub")
        self.ref = kw.get("ref")
        self.items = kw.get("items")
        self.struct = kw.get("struct", False)
        self.rank = kw.get("rank")
        self.elem = kw.get("elem")

    def __repr__(self):  # pragma: no cover - debugging aid
        flags = [f for f in ("plain", "grad", "scalar", "nd", "num", "struct") if getattr(self, f)]
        if self.rank is not None:
            flags.append(f"rank={self.rank}")
        return f"Val({self.kind}{', ' + self.sub if self.sub else ''}{' ' + ' '.join(flags) if flags else ''})"


def tensor(plain=False, grad=False, scalar=False, nd=False, rank=None) -> Val:
    if scalar:
        rank = 0  # every one-element value of the lattice is a 0-dim tensor today
    if rank is not None and rank >= 1:
        nd = True
    return Val("tensor", plain=plain, grad=grad and not plain, scalar=scalar, nd=nd, rank=rank)


def _common_rank(vals) -> Optional[int]:
    """The rank shared by every tensor among ``vals`` (numbers broadcast)."""
    ranks = {v.rank for v in vals if v is not None and v.kind == "tensor"}
    if len(ranks) != 1 or any(v is None or v.kind not in ("tensor", "num") for v in vals):
        return None
    return ranks.pop()


NUM = Val("num", num=True)
NOGRAD = Val("num", num=False)
CYCLE = Val("cycle")


def is_tensor_val(v: Optional[Val]) -> bool:
    """Provably a tensor (a loader batch is not: it may be a tuple)."""
    return v is not None and v.kind == "tensor"


def is_plain(v: Optional[Val]) -> bool:
    """Provably data without grad (tensor, batch or non-tensor value)."""
    if v is None:
        return False
    if v.kind == "tensor":
        return v.plain
    return v.kind in ("batch", "num")


def is_nograd(v: Optional[Val]) -> bool:
    return is_plain(v)


def join(vals: list) -> Optional[Val]:
    vals = [v for v in vals if v is not CYCLE]
    if not vals or any(v is None for v in vals):
        return None
    kinds = {v.kind for v in vals}
    if kinds <= {"tensor", "batch", "num"} and kinds & {"tensor", "batch"}:
        if any(v.kind == "num" and not v.num for v in vals):
            return None
        ts = [v for v in vals if v.kind != "num"]
        if all(v.kind == "batch" for v in ts):
            return Val("batch", struct=any(v.struct for v in ts))
        if any(v.kind == "batch" and v.struct for v in ts):
            return None
        return Val(
            "tensor",
            plain=all(is_plain(v) for v in ts),
            grad=all(v.kind == "tensor" and v.grad for v in ts),
            scalar=all(v.kind == "tensor" and v.scalar for v in ts),
            nd=all(v.kind == "batch" or v.nd for v in ts),
            rank=_common_rank(ts) if all(v.kind == "tensor" for v in ts) else None,
        )
    if kinds == {"num"}:
        return NUM if all(v.num for v in vals) else NOGRAD
    if len(kinds) == 1:
        first = vals[0]
        if first.kind == "seq" and first.items is None and any(v.elem is not None for v in vals):
            elems = [v.elem for v in vals]
            if any(v.items is not None for v in vals) or any(e is None for e in elems):
                return None
            return Val("seq", items=None, elem=join(elems))
        if all(v.sub == first.sub and v.ref is first.ref for v in vals):
            return first
        if first.kind == "module":
            return Val("module", sub="any")
        if first.kind == "other":
            return first
    return None


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------
VARIABLE = {"torch.autograd.Variable", "torch.autograd.variable.Variable"}
PARAMETER = {"torch.nn.Parameter", "torch.nn.parameter.Parameter"}

_FACTORIES = {
    "randn", "rand", "zeros", "ones", "empty", "full", "arange", "range", "linspace",
    "logspace", "eye", "randint", "randperm", "normal", "zeros_like", "ones_like",
    "rand_like", "randn_like", "empty_like", "full_like", "randint_like", "bernoulli",
    "multinomial",
}  # fmt: skip
_NOSIZE_FACTORIES = {"tensor", "as_tensor", "from_numpy", "Tensor", "load"}
_LEGACY_TYPES = {
    "FloatTensor", "DoubleTensor", "HalfTensor", "ByteTensor", "CharTensor", "ShortTensor",
    "IntTensor", "LongTensor", "BoolTensor", "Tensor",
}  # fmt: skip
_TORCH_TENSOR_FUNCS = {
    "cat", "stack", "mm", "bmm", "matmul", "mv", "exp", "log", "sigmoid", "tanh", "abs",
    "sqrt", "pow", "clamp", "squeeze", "unsqueeze", "transpose", "t", "mul", "add", "sub",
    "div", "softmax", "log_softmax", "where", "masked_select", "gather", "index_select",
    "relu", "addmm", "baddbmm", "cumsum", "neg", "reciprocal", "rsqrt", "floor",
    "ceil", "round", "sign", "sin", "cos", "lerp", "bernoulli", "einsum", "outer", "ger",
    "cross", "diag", "tril", "triu", "flatten", "reshape", "chunk_cat", "clone", "erf",
}  # fmt: skip
# torch.linalg functions that return one tensor (not a tuple)
LINALG_TENSOR_FUNCS = frozenset(
    """eigvalsh eigvals norm vector_norm matrix_norm det inv pinv solve cholesky svdvals
    matrix_rank matrix_power multi_dot cross solve_triangular cond matrix_exp
    householder_product tensorinv tensorsolve vander vecdot diagonal""".split()
)
_TORCH_FULL_REDUCE = {
    "sum",
    "mean",
    "norm",
    "prod",
    "max",
    "min",
    "std",
    "var",
    "median",
    "logsumexp",
}
_TORCH_PAIR_SCALAR = {"dist", "dot"}

_LOSS_FUNCS = {
    "nll_loss", "cross_entropy", "mse_loss", "l1_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "smooth_l1_loss", "kl_div", "soft_margin_loss",
    "multilabel_soft_margin_loss", "multilabel_margin_loss", "multi_margin_loss",
    "poisson_nll_loss", "huber_loss", "hinge_embedding_loss", "gaussian_nll_loss",
    "margin_ranking_loss", "cosine_embedding_loss", "triplet_margin_loss", "ctc_loss",
    "nll_loss2d",
}  # fmt: skip
# tensor arguments before the options (more positionals may be legacy size_average/reduce)
_LOSS_NTENSORS = {
    "margin_ranking_loss": 3, "cosine_embedding_loss": 3, "triplet_margin_loss": 3,
    "ctc_loss": 4, "gaussian_nll_loss": 3,
}  # fmt: skip
_RNN = {"RNN", "LSTM", "GRU", "LSTMCell", "RNNBase"}
_CONTAINERS = {"ModuleList", "ModuleDict", "ParameterList", "ParameterDict"}

# tensor methods -------------------------------------------------------------
_SAME = {
    "cuda", "cpu", "float", "double", "half", "long", "int", "short", "byte", "bool",
    "char", "bfloat16", "contiguous", "view", "view_as", "reshape", "reshape_as", "expand",
    "expand_as", "squeeze", "unsqueeze", "permute", "transpose", "t", "clone", "type_as",
    "to", "pin_memory", "flatten", "narrow", "select", "index_select", "repeat",
    "masked_select", "unfold", "squeeze_", "unsqueeze_", "transpose_", "t_", "type",
}  # fmt: skip
_NUMEL_SAME = {
    "cuda", "cpu", "float", "double", "half", "long", "int", "short", "byte", "bool",
    "char", "bfloat16", "contiguous", "view", "reshape", "squeeze", "unsqueeze",
    "clone", "to", "pin_memory", "flatten", "t", "permute", "transpose", "type_as",
}  # fmt: skip
_ND_KEEP = {
    "cuda", "cpu", "float", "double", "half", "long", "int", "short", "byte", "bool",
    "char", "contiguous", "clone", "to", "pin_memory", "type_as", "unsqueeze", "repeat",
    "view", "reshape",  # only with arguments, checked below
}  # fmt: skip
_INIT_INPLACE = {
    "normal_", "uniform_", "random_", "zero_", "fill_", "copy_", "bernoulli_",
    "exponential_", "geometric_", "cauchy_", "log_normal_", "resize_", "resize_as_",
}  # fmt: skip
_VALUE_INPLACE = {"fill_", "copy_"}
_REDUCE = {"sum", "mean", "prod", "norm", "max", "min", "std", "var", "median", "all", "any"}
_TUPLE_REDUCE = {"max", "min", "median", "sort", "topk", "kthvalue", "mode"}
_COMPARE = {"eq", "ne", "gt", "lt", "ge", "le", "argmax", "argmin", "nonzero", "eq_", "ne_"}
_ELEMWISE = {
    "add", "sub", "mul", "div", "pow", "exp", "log", "sigmoid", "tanh", "relu", "abs",
    "sqrt", "neg", "clamp", "add_", "sub_", "mul_", "div_", "pow_", "exp_", "log_",
    "sigmoid_", "tanh_", "relu_", "abs_", "sqrt_", "neg_", "clamp_", "log1p", "expm1",
    "reciprocal", "rsqrt", "floor", "ceil", "round", "sign", "sin", "cos", "frac", "trunc",
    "lerp", "addcmul", "addcdiv", "addcmul_", "addcdiv_", "clamp_min", "clamp_max",
    "masked_fill", "masked_fill_", "erf", "square",
}  # fmt: skip
_TENSOR_OUT = {
    "mm", "matmul", "bmm", "mv", "softmax", "log_softmax", "cumsum", "cumprod", "gather",
    "scatter", "scatter_", "index_add", "index_fill", "masked_scatter", "chunk_cat", "diag",
    "tril", "triu", "sum", "mean",
}  # fmt: skip
_NEW = {"new", "new_zeros", "new_ones", "new_empty", "new_full", "new_tensor"}
_NONTENSOR = {
    "item", "tolist", "numpy", "size", "dim", "numel", "nelement", "data_ptr",
    "element_size", "is_contiguous", "ndimension", "get_device", "is_floating_point",
}  # fmt: skip
# methods a plain object other than a tensor (numpy array, namedtuple, list)
# does not have with this signature: their receiver is a tensor
_STRUCT_TENSOR_ONLY = {
    "topk", "eq", "ne", "gt", "lt", "ge", "le", "t", "view", "expand_as", "view_as",
    "masked_select", "float", "long", "byte", "double", "half", "cuda", "detach", "kthvalue",
}  # fmt: skip


def _tensor_only_call(name: str, args: list) -> bool:
    if name not in _STRUCT_TENSOR_ONLY:
        return False
    if name in ("float", "long", "byte", "double", "half", "t", "detach"):
        return not args
    if name == "view":
        return (
            bool(args)
            and all(a.name is None and not a.star for a in args)
            and all(
                str(a.value).strip().lstrip("-").isdigit() or a.value.type == token.NAME
                for a in args
            )
            and not (len(args) == 1 and args[0].value.type == token.NAME)
        )
    return True


_MODULE_SAME = {"cuda", "cpu", "to", "float", "double", "half", "train", "eval", "type", "apply"}

# a receiver spelled like one of these is never a tensor whose .data we rewrite
_OTHER_NAMES = {
    "self", "cls", "args", "opt", "opts", "options", "config", "cfg", "conf", "hparams",
    "flags", "settings", "params", "hp", "ds", "packed", "corpus", "dictionary", "vocab",
    "np", "numpy", "torch", "parser", "module", "sys", "os", "json", "pickle",
}  # fmt: skip


def _other_name(name: str) -> bool:
    low = name.lower()
    return (
        low in _OTHER_NAMES
        or "dataset" in low
        or "loader" in low
        or "packed" in low
        or low.endswith("set")
        or low.endswith("_ds")
        or low.startswith("pack")
    )


# --------------------------------------------------------------------------
# Receivers
# --------------------------------------------------------------------------


def receiver_is_other_by_name(chain: list) -> bool:
    """``args.data``, ``train_set.data``, ``self.data``, ``packed.data``: the
    receiver's spelling says it is not a tensor."""
    if len(chain) == 1 and chain[0].type == token.NAME:
        return _other_name(chain[0].value)
    if chain and is_attr(chain[-1]):
        return _other_name(attr_of(chain[-1]))
    return False


# --------------------------------------------------------------------------
# The analysis
# --------------------------------------------------------------------------
_BUILTIN_NUM = {"len", "int", "float", "round", "bool", "str", "ord", "abs_num"}


# The node types that can have a comprehension clause (``comp_for`` /
# ``comp_if``) as a child, per fissix's grammar: displays, a generator
# argument, and the clauses themselves (``comp_iter``).
_COMP_PARENTS = frozenset(
    {
        syms.listmaker,
        syms.testlist_gexp,
        syms.dictsetmaker,
        syms.argument,
        syms.comp_for,
        syms.comp_if,
    }
)


class ValueInference:
    """The value questions of :class:`codemods.analysis.Analysis` (its base)."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.reset_answers()

    def reset_answers(self) -> None:
        """Drop every memoised answer (they may read any scope)."""
        self._taint: dict = {}
        self._names: dict = {}
        # the lookups in progress (see ``_name_value``) and, per memoised
        # answer that rests on one of their guesses, that frame's depth
        self._frames: list = []
        self._provisional: dict = {}
        self._returns: dict = {}
        self._params: dict = {}
        self._calls: Optional[dict] = None
        self._class_attrs: dict = {}
        self._refs: Optional[dict] = None

    # -- scopes ------------------------------------------------------------
    def bindings(self, scope: Node) -> Bindings:
        """The full binding table of ``scope`` (see ``scopes.collect_bindings``)."""
        return self.scope_table("bindings", scope, lambda s: collect_bindings(s, self.ctx))

    def resolve(self, leaf: Leaf) -> Optional[Val]:
        """The value of the name ``leaf`` at its use site."""
        name = leaf.value
        if name in ("True", "False", "None"):
            return NOGRAD
        comp = self._comp_binding(leaf, name)
        if comp is not None:
            return comp
        scope = scope_node(leaf)
        first = True
        while scope is not None:
            if scope.type == syms.classdef and not first:
                scope = scope_node(scope)
                continue
            b = self.bindings(scope)
            if name in b.global_names:
                scope = self.ctx.tree
                b = self.bindings(scope)
            if name in b.names:
                return self._name_value(scope, name)
            if scope.type == syms.file_input:
                break
            first = False
            scope = scope_node(scope)
        origin = self.ctx.imports.get(name)
        if origin is not None:  # bound by a star import (project model / known module)
            return Val("qual", ref=origin)
        if name in _BUILTIN_NUM or name in (
            "range",
            "enumerate",
            "zip",
            "iter",
            "next",
            "list",
            "tuple",
            "sorted",
            "reversed",
            "map",
            "isinstance",
            "type",
            "min",
            "max",
            "sum",
        ):
            return Val("qual", ref=name)
        return None

    def _comp_binding(self, leaf: Leaf, name: str) -> Optional[Val]:
        cur = leaf
        while cur.parent is not None and cur.parent.type not in _SCOPE_TYPES:
            parent = cur.parent
            if parent.type not in _COMP_PARENTS:
                # (the grammar puts a comprehension clause nowhere else)
                cur = parent
                continue
            for child in parent.children:
                comp = child if child is not cur else None
                while comp is not None and comp.type in _COMP_ALL:
                    if comp.type in _COMP:
                        pairs: list = []
                        _target_paths(comp.children[1], (), pairs)
                        for tgt, path in pairs:
                            if tgt.type == token.NAME and tgt.value == name:
                                return self._iter_elem(comp.children[3], path)
                        comp = comp.children[4] if len(comp.children) > 4 else None
                    else:
                        comp = comp.children[2] if len(comp.children) > 2 else None
            cur = parent
        return None

    def _name_value(self, scope: Node, name: str) -> Optional[Val]:
        """The value of ``name`` bound in ``scope``, memoised.  A name that
        depends on itself is found by an optimistic fixpoint (see
        ``_compute_name_value``); an answer found while an outer lookup's
        guess was in place is kept only as long as that guess when it read
        it (directly, or through another such answer), and for good
        otherwise -- a lowlink, as in Tarjan's SCC algorithm."""
        key = (id(scope), name)
        names = self._names
        frames = self._frames
        if key in names:
            if frames:
                d = self._provisional.get(key)
                if d is not None:
                    top = frames[-1]
                    if d < len(frames) - 1:
                        if d > top[0]:
                            top[0] = d  # the reader rests on an outer guess
                    elif d == len(frames) - 1:
                        top[2] = True  # it reads its own guess
            return names[key]
        # Each lookup that computes is a frame: [the innermost outer frame
        # whose provisional answer it read (-1: none), the answers that rest
        # on this frame's own guess, whether it read its own guess (directly
        # or through such an answer) since this was last cleared].
        frames.append([-1, [], False])
        depth = len(frames) - 1
        try:
            val = self._compute_name_value(scope, name, key, depth)
        except BaseException:
            # (a rule's visit failed in the analysis: leave no answer that
            # rests on this frame, nor the frame)
            self._drop_resting_on(depth)
            frames.pop()
            names.pop(key, None)
            self._provisional.pop(key, None)
            raise
        frame = frames.pop()
        names[key] = val
        outer = frame[0]
        if outer >= 0:
            # found from an outer frame's guess: it goes when that guess does
            self._provisional[key] = outer
            frames[outer][1].append(key)
            if outer < depth - 1:
                if outer > frames[-1][0]:
                    frames[-1][0] = outer
            else:  # (outer == depth - 1) it rests on its reader's own guess
                frames[-1][2] = True
        return val

    def _drop_resting_on(self, depth: int) -> None:
        """Forget the answers that rest on the guess of frame ``depth``."""
        names = self._names
        provisional = self._provisional
        rest = self._frames[depth][1]
        for k in rest:
            names.pop(k, None)
            provisional.pop(k, None)
        rest.clear()

    def _compute_name_value(self, scope: Node, name: str, key: tuple, depth: int) -> Optional[Val]:
        names = self._names
        binds = self.bindings(scope).names[name]
        if any(bnd[0] == "import" for bnd in binds):
            origin = self.ctx.imports.get(name)
            ok = origin is not None and all(bnd[0] == "import" for bnd in binds)
            return Val("qual", ref=origin) if ok else None
        appended = self._appended_list(scope, name, binds)
        if appended is not None:
            return appended
        # optimistic fixpoint: guess from the bindings that do not depend on
        # the name itself, then check the guess against every binding.  The
        # answers found meanwhile that read the guess (directly or through
        # other such answers: see ``_name_value``'s frames) rest on it and
        # are dropped with it; answers that never read it stay.
        self._provisional[key] = depth
        names[key] = CYCLE
        vals, reads = self._binding_values(scope, binds, depth)
        guess = join([v for v in vals if v is not None])
        val = None
        if all(v is not CYCLE and v is not None for v in vals):
            val = guess
        elif guess is not None and guess is not CYCLE:
            for _ in range(3):
                self._drop_resting_on(depth)
                names[key] = guess
                # (a binding whose value never read the guess keeps it: the
                # answers it read are all still there, so it would come out
                # the same)
                vals, reads = self._binding_values(scope, binds, depth, vals, reads)
                new = join(vals)
                if new is None:
                    break
                if _same(new, guess):
                    val = new
                    break
                guess = new
        self._drop_resting_on(depth)
        del names[key]
        del self._provisional[key]
        if val is not None and val.kind == "tensor" and val.plain and self._tainted(scope, name):
            # may require grad after all; its shape is what it was
            val = tensor(plain=False, nd=val.nd, rank=val.rank, scalar=val.scalar)
        return val

    def _binding_values(
        self,
        scope: Node,
        binds: list,
        depth: int,
        before: Optional[list] = None,
        read: Optional[list] = None,
    ) -> tuple:
        """([the value of each of ``binds``], [whether it read the guess of
        the lookup of frame ``depth``, directly or through an answer that
        rests on it]).  With ``before``/``read`` (the last round's), only
        the bindings that read the guess are evaluated again."""
        frame = self._frames[depth]
        vals: list = []
        reads: list = []
        for i, bnd in enumerate(binds):
            if read is not None and not read[i]:
                vals.append(before[i])
                reads.append(False)
                continue
            frame[2] = False
            vals.append(self._binding_value(scope, bnd))
            reads.append(frame[2])
        return vals, reads

    def _appended_list(self, scope: Node, name: str, binds: list) -> Optional[Val]:
        """``res = []`` and ``res.append(v)`` in the scope: a list whose
        elements are the join of the appended values (None otherwise)."""
        if not binds or any(b[0] != "assign" or b[2] != () or not _empty_list(b[1]) for b in binds):
            return None
        table = self.scope_table("appends", scope, _collect_appends)
        values = table.get(name)
        if not values:
            return None
        key = (id(scope), name)
        self._names[key] = CYCLE
        elems = [self.value(v) for v in values]
        elem = join(elems)
        return Val("seq", items=None, elem=elem) if elem is not None else None

    def _binding_value(self, scope: Node, bnd: tuple) -> Optional[Val]:
        kind = bnd[0]
        if kind == "assign":
            return self._unpack(bnd[1], bnd[2])
        if kind == "aug":
            v = self.value(bnd[1])
            if v is not None and v.kind == "num" and v.num:
                return CYCLE
            return v if v is not None and v.kind in ("tensor", "batch") else None
        if kind == "for":
            return self._iter_elem(bnd[1], bnd[2])
        if kind == "def":
            return Val("func", ref=bnd[1])
        if kind == "class":
            return Val("cls", ref=bnd[1])
        if kind == "import":
            return Val("qual", ref=None)
        if kind == "param":
            return self._param_value(bnd[1], bnd[2], bnd[3])
        return None

    def _unpack(self, value: NodeOrLeaf, path: tuple) -> Optional[Val]:
        node = value
        for i in path:
            inner = tuple_items(node)
            if inner is None:
                v = self.value(node)
                for j in path[path.index(i) :]:
                    v = index_val(v, j)
                return v
            if i >= len(inner):
                return None
            node = inner[i]
        return self.value(node)

    def _iter_elem(self, iterable: NodeOrLeaf, path: tuple) -> Optional[Val]:
        v = self.iter_value(iterable)
        for i in path:
            v = index_val(v, i)
        return v

    def _tainted(self, scope: Node, name: str) -> bool:
        """``x.requires_grad_()``, ``x.requires_grad = True`` or an in-place
        op with a non-plain tensor argument makes a plain name require grad."""
        key = id(scope)
        table = self._taint.get(key)
        if table is None:
            table = self._taint[key] = self._taint_table(scope)
        entry = table.get(name)
        if entry is None:
            return False
        if entry is True:
            return True
        table[name] = None  # in progress: assume untainted
        from codemods.analysis.evidence import is_number as _is_number

        bad = any(not (is_plain(self.value(arg)) or _is_number(self.ctx, arg)) for arg in entry)
        table[name] = True if bad else None
        return bad

    def _taint_table(self, scope: Node) -> dict:
        out: dict = {}
        body = scope if scope.type == syms.file_input else scope.children[-1]
        for node in subtree_of_type(self.ctx, body, syms.power):
            if node.children[0].type != token.NAME:
                continue
            chain = chain_of(node)
            name = chain[0].value
            for i, tr in enumerate(chain[1:], 1):
                m = attr_of(tr)
                if m in ("requires_grad_", "requires_grad", "retain_grad"):
                    out[name] = True
                    break
                if (
                    m is not None
                    and m.endswith("_")
                    and not m.endswith("__")
                    and i + 1 < len(chain)
                    and is_call(chain[i + 1])
                    and m not in _INIT_INPLACE - _VALUE_INPLACE
                ):
                    if out.get(name) is not True:
                        out.setdefault(name, [])
                        out[name] = list(out[name] or []) + [
                            a.value for a in call_args(chain[i + 1])
                        ]
                elif not (m in _SAME or m in _NONTENSOR or is_call(tr) or m is None):
                    break
        return out

    # -- parameters via call sites ---------------------------------------
    def _param_value(self, funcdef: Node, index: int, name: str) -> Optional[Val]:
        key = (id(funcdef), index)
        if key in self._params:
            return self._params[key]
        self._params[key] = CYCLE
        val = self._param_from_calls(funcdef, index, name)
        self._params[key] = val
        return val

    def _param_from_calls(self, funcdef: Node, index: int, name: str) -> Optional[Val]:
        fname = funcdef.children[1].value
        cls = funcdef.parent
        while cls is not None and cls.type not in (syms.classdef, syms.file_input, syms.funcdef):
            cls = cls.parent
        method = cls is not None and cls.type == syms.classdef
        if method:
            if index == 0:
                return Val("self", ref=cls)
            index -= 1
        elif cls is None or cls.type != syms.file_input:
            return None
        sites = self.call_sites(fname, method)
        if not sites:
            return None
        vals = []
        for trailer, ok in sites:
            if not ok:
                return None
            if method and self._owner(trailer) is not cls:
                return None
            args = call_args(trailer)
            if any(a.star for a in args):
                return None
            pos = [a for a in args if a.name is None]
            kw = kwarg(args, name)
            if kw is not None:
                vals.append(self.value(kw.value))
            elif index < len(pos):
                vals.append(self.value(pos[index].value))
            else:
                return None
        return join(vals)

    def _owner(self, node: NodeOrLeaf) -> Optional[Node]:
        cur = node.parent
        while cur is not None and cur.type != syms.classdef:
            cur = cur.parent
        return cur

    def call_sites(self, fname: str, method: bool) -> list:
        """(call trailer, ok) for every use of a function name: ``ok`` is
        False when the name is used other than by calling it."""
        key = ("attr" if method else "name", fname)
        if self._refs is None:
            self._refs = {}
        hit = self._refs.get(key)
        if hit is None:
            refs: dict = {}
            for leaf in name_leaves(self.ctx, fname):
                _add_ref(leaf, refs)
            hit = self._refs[key] = refs.get(key, [])
        return hit

    # -- expressions ---------------------------------------------------------
    def value(self, node: Optional[NodeOrLeaf]) -> Optional[Val]:
        if node is None:
            return None
        t = node.type
        if t == token.NAME:
            return self.resolve(node)
        if t == token.NUMBER:
            return NUM
        if t == token.STRING:
            return NOGRAD
        if t == syms.power:
            if any(c.type == token.DOUBLESTAR for c in node.children):
                base = self.chain_value(chain_of(node))
                exp = self.value(node.children[-1])
                return _arith([base, exp])
            return self.chain_value(node.children)
        if t == syms.atom:
            first = node.children[0]
            if first.type == token.STRING:
                return NOGRAD
            if first.value == "(" and len(node.children) == 3:
                items = tuple_items(node)
                if items is not None:
                    return Val("seq", items=tuple(self.value(i) for i in items))
                return self.value(node.children[1])
            if first.value in "([" and len(node.children) == 2:
                return NOGRAD
            if first.value == "[":
                items = tuple_items(node)
                if items is not None:
                    return Val("seq", items=tuple(self.value(i) for i in items))
            return None
        if t in (syms.testlist_star_expr, syms.testlist, syms.exprlist, syms.testlist_gexp):
            items = [c for c in node.children if c.type != token.COMMA]
            return Val("seq", items=tuple(self.value(i) for i in items))
        if t in (syms.arith_expr, syms.term):
            return _arith([self.value(c) for c in node.children[::2]])
        if t == syms.factor:
            return _arith([self.value(node.children[1])])
        if t == syms.comparison:
            vals = [self.value(c) for c in node.children[::2]]
            if any(v is None for v in vals):
                return None
            if any(v.kind == "tensor" for v in vals):
                return tensor(plain=True)
            return NOGRAD
        if t == syms.test and len(node.children) == 5:
            return join([self.value(node.children[0]), self.value(node.children[4])])
        return None

    def chain_value(self, chain: list) -> Optional[Val]:
        v = self.value(chain[0])
        for i in range(1, len(chain)):
            tr = chain[i]
            if v is None and is_attr(tr, "data"):
                v = Val("batch", struct=True)  # whatever it is, ``.data`` needs no grad
                continue
            if (
                v is None
                and attr_of(tr) in _REDUCE
                and i + 1 < len(chain)
                and is_call(chain[i + 1])
                and not call_args(chain[i + 1])
            ):
                # ``x.sum()``: a full reduction has one element whatever ``x`` is
                # (only a tensor's reduction has ``.data``/``.item()``)
                v = Val("method", ref=attr_of(tr), items=(tensor(),))
                continue
            if v is None:
                continue
            if v is CYCLE:
                return v
            if is_attr(tr):
                v = self._attr(v, attr_of(tr), chain, i)
            elif is_call(tr):
                v = self._call(v, tr)
            elif is_index(tr):
                v = self._index(v, tr)
            else:
                return None
        return v

    def _attr(self, v: Val, name: str, chain: list, i: int) -> Optional[Val]:
        k = v.kind
        if k == "qual":
            return Val("qual", ref=f"{v.ref}.{name}") if v.ref else None
        if k == "tensor":
            if name == "data":
                return tensor(plain=True, scalar=v.scalar, nd=v.nd, rank=v.rank)
            if name == "grad":
                return tensor(nd=v.nd)
            if name in ("T", "mT", "H"):
                return tensor(plain=v.plain, grad=v.grad, scalar=v.scalar, nd=v.nd, rank=v.rank)
            if name in ("shape", "dtype", "device", "is_cuda", "requires_grad", "ndim"):
                return NOGRAD
            return Val("method", ref=name, items=(v,))
        if k == "batch":
            if (
                name in _NONTENSOR
                or name in _SAME
                or name in _REDUCE
                or name in _ELEMWISE
                or name in _NEW
            ):
                return Val("method", ref=name, items=(v,))
            if name in _INIT_INPLACE or name in _COMPARE or name == "detach":
                return Val("method", ref=name, items=(v,))
            if name in _TUPLE_REDUCE or name in _STRUCT_TENSOR_ONLY:
                return Val("method", ref=name, items=(v,))
            return Val("batch", struct=True)
        if k == "module":
            if name in ("weight", "bias"):
                return tensor(grad=True, nd=True)
            if name in _MODULE_SAME or name in (
                "parameters",
                "named_parameters",
                "modules",
                "children",
                "forward",
            ):
                return Val("method", ref=name, items=(v,))
            if v.ref is not None:
                return self._class_member(v.ref, name)
            return None
        if k == "self":
            member = self._class_member(v.ref, name)
            if member is None and name in _MODULE_SAME | {
                "parameters",
                "named_parameters",
                "modules",
                "children",
            }:
                if self.class_kind(v.ref) == "module":
                    return Val("method", ref=name, items=(Val("module", sub="model", ref=v.ref),))
            return member
        if k == "other":
            if v.sub == "args":
                if name == "parse_args":
                    return Val("other", sub="parse_args")  # the parser's method
                return NUM
            return Val("other")
        if k in ("method", "func", "cls", "seq", "num"):
            return None
        return None

    def _class_member(self, cls: Node, name: str) -> Optional[Val]:
        key = (id(cls), name)
        if key in self._class_attrs:
            return self._class_attrs[key]
        self._class_attrs[key] = CYCLE
        val = None
        body = cls.children[-1]
        for child in body.children if body.type == syms.suite else [body]:
            node = child.children[-1] if child.type == syms.decorated else child
            if node.type == syms.funcdef and node.children[1].value == name:
                val = Val(
                    "method", ref=name, items=(Val("self", ref=cls),), sub="local", struct=node
                )
                break
        if val is None:
            vals = []
            for method in walk(cls):
                if method.type != syms.funcdef:
                    continue
                for tgt, value, path in self.bindings(method).attrs:
                    ch = tgt.children
                    if (
                        len(ch) == 2
                        and ch[0].type == token.NAME
                        and ch[0].value == "self"
                        and is_attr(ch[1], name)
                    ):
                        vals.append(self._unpack(value, path))
            if vals:
                val = join(vals)
            if val is None and not vals:
                for base in self._local_bases(cls):
                    val = self._class_member(base, name)
                    if val is not None:
                        break
        self._class_attrs[key] = val
        return val

    def _local_bases(self, cls: Node) -> list:
        out = []
        if len(cls.children) > 3 and cls.children[2].value == "(":
            arg = cls.children[3]
            items = arg.children if arg.type == syms.arglist else [arg]
            for item in items:
                if item.type == token.NAME:
                    v = self.resolve(item)
                    if v is not None and v.kind == "cls":
                        out.append(v.ref)
        return out

    def class_kind(self, cls: Node, depth: int = 0) -> Optional[str]:
        """``module`` / ``dataset`` / ``function`` for classes of this file."""
        if depth > 5 or len(cls.children) < 5 or cls.children[2].value != "(":
            return None
        arg = cls.children[3]
        items = arg.children if arg.type == syms.arglist else [arg]
        for item in items:
            if item.type == token.COMMA:
                continue
            v = self.value(item)
            if v is None:
                continue
            if v.kind == "qual" and v.ref:
                q = v.ref
                if q in ("torch.nn.Module", "torch.nn.modules.module.Module"):
                    return "module"
                if q.startswith("torch.nn.") and q.rsplit(".", 1)[-1] in _RNN:
                    return "rnn"
                if q.startswith("torch.nn.") and q.rsplit(".", 1)[-1][:1].isupper():
                    return "module"
                if q.startswith("torch.utils.data") and q.endswith("Dataset"):
                    return "dataset"
                if q.startswith("torch.autograd") and q.endswith("Function"):
                    return "function"
            elif v.kind == "cls":
                k = self.class_kind(v.ref, depth + 1)
                if k is not None:
                    return k
        return None

    def _call(self, v: Val, tr: Node) -> Optional[Val]:
        k = v.kind
        args = call_args(tr)
        if k == "other" and v.sub == "parse_args":
            return Val("other", sub="args")  # ``parser.parse_args()``: the namespace
        if k == "qual":
            return self._qual_call(v.ref or "", args)
        if k == "method":
            recv = v.items[0]
            if v.sub == "local":
                return self.returns_of(v.struct)
            if recv.kind in ("tensor", "batch"):
                return self._tensor_method(v.ref, recv, args)
            if recv.kind == "module":
                if v.ref in _MODULE_SAME:
                    return recv
                if v.ref == "parameters":
                    return Val("params")
                if v.ref == "named_parameters":
                    return Val("named_params")
                if v.ref in ("modules", "children"):
                    return Val("modules_iter")
                if v.ref == "forward":
                    return self._call(recv, tr)
            return None
        if k == "module":
            if v.sub == "model":
                return tensor(grad=True)
            if v.sub == "criterion":
                return tensor(grad=True, scalar=True)
            if v.sub == "criterion_nd":
                return tensor(grad=True)
            return None
        if k == "func":
            return self.returns_of(v.ref)
        if k == "cls":
            kind = self.class_kind(v.ref)
            if kind == "module":
                return Val("module", sub="model", ref=v.ref)
            if kind == "rnn":
                return Val("module", sub="rnn", ref=v.ref)
            if kind == "dataset":
                return Val("other")
            if kind is None:
                return Val("self", ref=v.ref)  # an instance of a plain class of this file
            return None
        return None

    def returns_of(self, funcdef: Node) -> Optional[Val]:
        key = id(funcdef)
        if key in self._returns:
            return self._returns[key]
        self._returns[key] = CYCLE
        b = self.bindings(funcdef)
        if b.yields or not b.returns or any(r is None for r in b.returns):
            val = None
        else:
            val = join([self.value(r) for r in b.returns])
        self._returns[key] = val
        return val

    def _qual_call(self, q: str, args: list) -> Optional[Val]:
        tail = q.rsplit(".", 1)[-1]
        pos = [a for a in args if a.name is None and not a.star]
        if q in VARIABLE:
            if any(a.star for a in args) or not pos:
                return None
            data = self.value(pos[0].value)
            rg = kwarg(args, "requires_grad")
            if data is CYCLE and rg is None:
                return CYCLE
            nd = data is not None and (data.kind == "batch" or data.nd)
            scalar = data is not None and data.kind == "tensor" and data.scalar
            if rg is not None and is_true(rg.value):
                return tensor(grad=True, nd=nd, scalar=scalar)
            if rg is not None and not is_false(rg.value):
                return tensor(nd=nd, scalar=scalar)
            return tensor(plain=True, nd=nd, scalar=scalar)
        if q in PARAMETER:
            return tensor(grad=True)
        if q.startswith("torch."):
            rest = q[6:]
            rg = kwarg(args, "requires_grad")
            grad = rg is not None and is_true(rg.value)
            if rg is not None and not grad and not is_false(rg.value):
                return tensor()
            if rest in _FACTORIES or (rest.startswith("cuda.") and rest[5:] in _LEGACY_TYPES):
                nd = (
                    bool(pos)
                    and not rest.endswith("_like")
                    and rest not in ("normal", "bernoulli", "multinomial")
                )
                return tensor(plain=not grad, grad=grad, nd=nd)
            if rest in _LEGACY_TYPES:
                nd = bool(pos) and (
                    all(self._is_num(a.value) for a in pos)
                    or (
                        len(pos) == 1
                        and pos[0].value.type == syms.atom
                        and pos[0].value.children[0].value == "["
                    )
                )
                return tensor(plain=not grad, grad=grad, nd=nd)
            if rest in _NOSIZE_FACTORIES:
                return tensor(plain=not grad, grad=grad)
            if rest in _TORCH_FULL_REDUCE and len(pos) == 1 and len(args) == 1:
                v = self.value(pos[0].value)
                return tensor(plain=is_plain(v), grad=v is not None and v.grad, scalar=True)
            if rest in _TORCH_PAIR_SCALAR and len(pos) == 2 and len(args) == 2:
                vals = [self.value(a.value) for a in pos]
                if all(is_tensor_val(x) for x in vals):
                    return tensor(plain=all(x.plain for x in vals), scalar=True)
                return None
            if (
                rest in _TORCH_TENSOR_FUNCS
                or rest in _TORCH_FULL_REDUCE
                or (rest.startswith("linalg.") and rest[7:] in LINALG_TENSOR_FUNCS)
            ):
                vals = [self.value(a.value) for a in args]
                return tensor(
                    plain=all(is_plain(x) for x in vals),
                    grad=any(x is not None and x.grad for x in vals),
                )
            if rest.startswith("nn.functional."):
                fn = rest[len("nn.functional.") :]
                vals = [self.value(a.value) for a in args if a.name is None]
                grad = any(x is not None and x.grad for x in vals)
                plain = all(is_plain(x) for x in vals)
                if fn in _LOSS_FUNCS:
                    return tensor(
                        plain=plain,
                        grad=grad,
                        scalar=self._reduces(args, _LOSS_NTENSORS.get(fn, 2)),
                    )
                return tensor(plain=plain, grad=grad)
            if rest.startswith("nn.") and rest.count(".") == 1:
                cls = rest[3:]
                if cls.endswith("Loss") or cls.endswith("Loss2d") or cls.endswith("Criterion"):
                    return Val(
                        "module", sub="criterion" if self._reduces(args, 0) else "criterion_nd"
                    )
                if cls in _RNN:
                    return Val("module", sub="rnn")
                if cls in _CONTAINERS:
                    return Val("module", sub="container")
                if cls == "Parameter":
                    return tensor(grad=True)
                if cls[:1].isupper():
                    return Val("module", sub="model")
                return None
            if rest.startswith("nn.utils.rnn.pack"):
                return Val("other")
            if rest.startswith("utils.data.") and tail.endswith("Loader"):
                return Val("loader")
            if rest.startswith("utils.data.") and tail.endswith("Dataset"):
                return Val("other")
            return None
        if q.startswith("torchvision.models."):
            return Val("module", sub="model")
        if q.startswith("numpy.") or q.startswith("math."):
            return NOGRAD if not q.startswith("math.") else NUM
        if q.startswith("argparse.") or q == "collections.namedtuple":
            return Val("other", sub="args" if q.startswith("argparse.") else None)
        if tail.endswith("DataLoader"):
            return Val("loader")
        if q in ("len", "int", "float", "round"):
            return NUM
        if q in ("bool", "str", "ord"):
            return NOGRAD
        if q == "next" and pos:
            return self._iter_elem(pos[0].value, ())
        if q in ("iter", "list", "tuple", "sorted", "reversed"):
            return None
        return None

    def _reduces(self, args: list, ntensors: int) -> bool:
        """A loss call/constructor whose reduction gives one element."""
        pos = [a for a in args if a.name is None]
        if any(a.star for a in args) or len(pos) > ntensors:
            return False
        red = kwarg(args, "reduce")
        if red is not None and not is_true(red.value):
            return False
        reduction = kwarg(args, "reduction")
        if reduction is not None:
            txt = str(reduction.value).strip().strip("'\"")
            if txt not in ("mean", "sum", "elementwise_mean", "batchmean"):
                return False
        return True

    def _tensor_method(self, name: str, recv: Val, args: list) -> Optional[Val]:
        if recv.kind == "batch" and recv.struct and _tensor_only_call(name, args):
            # only a tensor has this method: the receiver is plain tensor data
            recv = tensor(plain=True)
        if recv.kind == "batch":
            if recv.struct:
                # some plain object: its methods give plain values (no grad
                # can appear without a tensor that requires it)
                if name in ("requires_grad_",):
                    return None
                if name in _ELEMWISE or name in _VALUE_INPLACE or name in _TENSOR_OUT:
                    if not all(is_plain(self.value(a.value)) for a in args):
                        return None
                return Val("batch", struct=True)
            recv = tensor(plain=True, nd=True)
        plain, grad, scalar, nd = recv.plain, recv.grad, recv.scalar, recv.nd
        rank = recv.rank
        if name == "detach":
            return tensor(plain=True, scalar=scalar, nd=nd, rank=rank)
        if name == "type" and not args:
            return NOGRAD
        if name in _SAME:
            keep_nd = nd and name in _ND_KEEP and (name not in ("view", "reshape") or args)
            if name in ("view", "reshape", "unsqueeze", "repeat") and args:
                keep_nd = True
            out = tensor(plain=plain, grad=grad, scalar=scalar and name in _NUMEL_SAME, nd=keep_nd)
            out.rank = self._method_rank(name, rank, args, out.rank)
            if out.rank is not None and out.rank >= 1:
                out.nd = True
            return out
        if name in _INIT_INPLACE:
            ok = name not in _VALUE_INPLACE or all(is_plain(self.value(a.value)) for a in args)
            return tensor(
                plain=plain and ok, grad=grad, nd=nd and name not in ("resize_", "resize_as_")
            )
        if name in _NEW:
            rg = kwarg(args, "requires_grad")
            g = rg is not None and is_true(rg.value)
            if rg is not None and not g and not is_false(rg.value):
                return tensor()
            return tensor(plain=not g, grad=g, nd=bool(args) and name != "new_tensor")
        if name in _REDUCE and not args:
            return tensor(plain=plain, grad=grad, scalar=True)
        if name in _REDUCE and name not in _TUPLE_REDUCE and rank is not None:
            dim = self._dim_arg(args)
            if dim is not None:
                return tensor(plain=plain, grad=grad, rank=rank - 1 if rank >= 1 else None)
        if (
            name == "norm"
            and len(args) == 1
            and args[0].name is None
            and self._is_num(args[0].value)
        ):
            return tensor(plain=plain, grad=grad, scalar=True)
        if name in _TUPLE_REDUCE:
            return Val("seq", items=None, plain=plain, grad=grad)
        if name in _COMPARE:
            return tensor(plain=True, scalar=scalar or (name in ("argmax", "argmin") and not args))
        if name in _ELEMWISE:
            from codemods.analysis.evidence import is_number as _is_number

            vals = [NUM if _is_number(self.ctx, a.value) else self.value(a.value) for a in args]
            out = tensor(
                plain=plain and all(is_plain(x) for x in vals),
                grad=grad or any(x is not None and x.grad for x in vals),
                scalar=scalar
                and all(x is not None and (x.kind == "num" and x.num or x.scalar) for x in vals),
                nd=nd,
            )
            if not out.scalar and all(a.name is None for a in args) and rank is not None:
                out.rank = _common_rank([recv] + vals)
            return out
        if name in ("dot", "dist"):
            return tensor(plain=plain, grad=grad, scalar=True)
        if name in _TENSOR_OUT or name in _REDUCE:
            vals = [self.value(a.value) for a in args]
            return tensor(plain=plain and all(is_plain(x) for x in vals), grad=grad)
        if name in ("item", "size", "dim", "numel", "nelement", "ndimension"):
            return NUM
        if name in _NONTENSOR:
            return NOGRAD
        return None

    def _method_rank(
        self, name: str, rank: Optional[int], args: list, default: Optional[int]
    ) -> Optional[int]:
        """The rank after a shape-keeping or reshaping method (``_SAME``)."""
        if name in ("view", "reshape"):
            return _size_count(args, self)
        if name == "flatten" and not args:
            return 1
        if name == "unsqueeze":
            return rank + 1 if rank is not None else None
        if name in ("squeeze", "squeeze_", "expand", "repeat", "narrow", "select", "unfold"):
            return None
        if name in ("masked_select",):
            return 1
        if name in ("t", "t_", "transpose", "transpose_", "permute", "contiguous", "clone"):
            return rank
        if name in _NUMEL_SAME or name in ("type", "type_as", "to", "pin_memory", "view_as"):
            return rank if name != "view_as" else None
        return default

    def _dim_arg(self, args: list) -> Optional[int]:
        """``x.sum(0)`` / ``x.sum(dim=1)``: the reduced dim (keepdim absent)."""
        if len(args) != 1 or args[0].star or args[0].name not in (None, "dim"):
            return None
        v = args[0].value
        if v.type == token.NUMBER:
            return int(v.value) if v.value.isdigit() else None
        if (
            v.type == syms.factor
            and v.children[0].value == "-"
            and v.children[1].type == token.NUMBER
        ):
            return -1
        return None

    def _index(self, v: Val, tr: Node) -> Optional[Val]:
        if v.kind == "tensor":
            inner = tr.children[1]
            rank = None
            if v.rank is not None:
                if inner.type == token.COLON or (
                    inner.type == syms.subscript
                    and any(c.type == token.COLON for c in inner.children)
                ):
                    rank = v.rank  # ``x[:k]`` / ``x[a:b]``
                elif inner.type == token.NUMBER or (
                    inner.type == syms.factor
                    and inner.children[0].value == "-"
                    and inner.children[1].type == token.NUMBER
                ):
                    rank = v.rank - 1 if v.rank >= 1 else None
            return tensor(plain=v.plain, grad=v.grad, rank=rank)
        if v.kind == "batch":
            return Val("batch", struct=True)
        if v.kind == "seq":
            inner = tr.children[1]
            if v.items is None and v.elem is not None:
                return v.elem if inner.type != syms.subscript else v
            if inner.type == token.NUMBER and v.items is not None:
                i = int(inner.value) if inner.value.isdigit() else -1
                return v.items[i] if 0 <= i < len(v.items) else None
            if v.items is None:
                return tensor(plain=v.plain, grad=v.grad)
            return join(list(v.items))
        if v.kind == "num" and not v.num:
            return NOGRAD
        if v.kind == "other" and v.sub is None:
            return Val("batch", struct=True)
        return None

    def iter_value(self, node: NodeOrLeaf) -> Optional[Val]:
        """The value of the elements of an iterable expression."""
        if node.type == syms.power:
            chain = chain_of(node)
            head = self.value(chain[0])
            if (
                (
                    head is not None
                    and head.kind == "qual"
                    and head.ref
                    in ("enumerate", "zip", "tqdm", "iter", "list", "tuple", "reversed", "sorted")
                    or (
                        head is not None
                        and head.kind == "qual"
                        and (head.ref or "").endswith("tqdm")
                    )
                )
                and len(chain) == 2
                and is_call(chain[1])
            ):
                args = [a for a in call_args(chain[1]) if a.name is None and not a.star]
                if not args:
                    return None
                if head.ref == "enumerate":
                    return Val("seq", items=(NUM, self.iter_value(args[0].value)))
                if head.ref == "zip":
                    return Val("seq", items=tuple(self.iter_value(a.value) for a in args))
                return self.iter_value(args[0].value)
            if head is not None and head.kind == "qual" and head.ref == "range":
                return NUM
        v = self.value(node)
        if v is None:
            if _loader_spelling(node):
                return Val("batch", struct=True)
            return None
        if v.kind == "loader":
            return Val("batch", struct=True)
        if v.kind == "params":
            return tensor(grad=True, nd=True)
        if v.kind == "named_params":
            return Val("seq", items=(NOGRAD, tensor(grad=True, nd=True)))
        if v.kind == "modules_iter":
            return Val("module", sub="any")
        if v.kind == "other" and v.sub is None:
            return Val("batch", struct=True)
        if v.kind == "seq" and v.items is not None:
            return join(list(v.items))
        if v.kind == "seq" and v.elem is not None:
            return v.elem
        if v.kind == "batch":
            return Val("batch", struct=True)
        if v.kind == "tensor":
            return tensor(plain=v.plain, grad=v.grad)
        return None

    def _is_num(self, node: NodeOrLeaf) -> bool:
        v = self.value(node)
        return v is not None and v.kind == "num" and v.num


def _add_ref(leaf: Leaf, refs: dict) -> None:
    """File a NAME leaf's use under ("attr"|"name", value): (call, ok)."""
    parent = leaf.parent
    if parent.type in (syms.funcdef, syms.classdef) and parent.children[1] is leaf:
        return
    if parent.type == syms.trailer and parent.children[0].value == ".":
        power = parent.parent
        idx = power.children.index(parent) if power is not None else -1
        call = (
            power.children[idx + 1] if power is not None and idx + 1 < len(power.children) else None
        )
        is_self = (
            idx == 1 and power.children[0].type == token.NAME and power.children[0].value == "self"
        )
        refs.setdefault(("attr", leaf.value), []).append(
            (call, call is not None and is_call(call) and is_self)
        )
        return
    call = leaf.next_sibling
    ok = (
        parent.type == syms.power
        and parent.children[0] is leaf
        and call is not None
        and is_call(call)
    )
    refs.setdefault(("name", leaf.value), []).append((call, ok))


def _empty_list(node: NodeOrLeaf) -> bool:
    """``str(node).strip() == "[]"`` without printing ``node``: the display
    ``[]`` with nothing but blanks before it and nothing between."""
    kids = node.children
    return (
        len(kids) == 2
        and node.type == syms.atom
        and kids[0].value == "["
        and kids[1].value == "]"
        and not kids[1].prefix
        and not kids[0].prefix.strip()
    )


def _collect_appends(scope: Node) -> dict:
    """name -> the values passed to ``name.append(value)`` in the scope."""
    out: dict = {}
    body = scope if scope.type == syms.file_input else scope.children[-1]
    for node in body.pre_order():
        if node.type != syms.power or len(node.children) != 3:
            continue
        head, attr, call = node.children
        if head.type == token.NAME and is_attr(attr, "append") and is_call(call):
            args = call_args(call)
            if len(args) == 1 and args[0].name is None and not args[0].star:
                out.setdefault(head.value, []).append(args[0].value)
    return out


def _size_count(args: list, inf: ValueInference) -> Optional[int]:
    """Dims given by the size arguments of ``view``/``reshape``: ``view(-1)``
    is 1-D, ``view(a, b)`` 2-D; a tuple/list or a size object is unknown."""
    if not args or any(a.star or a.name for a in args):
        return None
    if len(args) == 1:
        v = args[0].value
        text = str(v).strip()
        if text.lstrip("-").isdigit():
            return 1
        items = tuple_items(v)
        if items is not None and v.type == syms.atom:
            return len(items) if all(inf._is_num(i) for i in items) else None
        return 1 if inf._is_num(v) else None
    if all(inf._is_num(a.value) for a in args):
        return len(args)
    return None


def _same(a: Val, b: Val) -> bool:
    return (
        all(
            getattr(a, f) == getattr(b, f)
            for f in ("kind", "plain", "grad", "scalar", "nd", "num", "sub", "struct", "rank")
        )
        and a.ref is b.ref
    )


def _loader_spelling(node: NodeOrLeaf) -> bool:
    name = dotted_name(node)
    if name is None:
        return False
    return "loader" in name.rsplit(".", 1)[-1].lower()


def index_val(v: Optional[Val], i: int) -> Optional[Val]:
    if v is None:
        return None
    if v.kind == "seq":
        if v.items is None and v.elem is not None:
            return v.elem
        if v.items is None:
            return tensor(plain=v.plain, grad=v.grad)
        return v.items[i] if i < len(v.items) else None
    if v.kind == "batch":
        return Val("batch", struct=False) if not v.struct else Val("batch", struct=False)
    if v.kind == "tensor":
        return tensor(plain=v.plain, grad=v.grad)
    if v.kind == "module" and v.sub == "model":
        return tensor(grad=True)
    if v.kind == "num" and not v.num:
        return NOGRAD
    return None


def _arith(vals: list) -> Optional[Val]:
    if any(v is None for v in vals):
        return None
    if any(v is CYCLE for v in vals):
        return CYCLE
    ts = [v for v in vals if v.kind in ("tensor", "batch")]
    if any(v.kind not in ("tensor", "batch", "num") for v in vals):
        return None
    if not ts:
        return NUM if all(v.num for v in vals) else NOGRAD
    if any(v.kind == "batch" and v.struct for v in ts):
        return None
    out = tensor(
        plain=all(is_plain(v) for v in vals),
        grad=any(v.kind == "tensor" and v.grad for v in ts),
        scalar=all((v.kind == "tensor" and v.scalar) or (v.kind == "num" and v.num) for v in vals),
        nd=any(v.kind == "batch" or v.nd for v in ts),
    )
    if out.rank is None and all(v.kind == "tensor" for v in ts):
        out.rank = _common_rank(vals)
        if out.rank is not None and out.rank >= 1:
            out.nd = True
    return out


# --------------------------------------------------------------------------
# Guards: ``if isinstance(h, Variable):`` / ``if type(h) == Variable:``
# --------------------------------------------------------------------------
_TENSOR_TYPES = VARIABLE | {"torch.Tensor", "torch.autograd.Variable"}


def guarded_tensor(ctx: FileContext, leaf: Leaf) -> bool:
    """True when ``leaf`` (a name) sits in the body of an ``if`` whose test
    proves that the name is a tensor/Variable."""
    name = leaf.value
    cur = leaf
    while cur.parent is not None:
        parent = cur.parent
        if parent.type == syms.if_stmt:
            kids = parent.children
            for i, kid in enumerate(kids):
                if kid is cur and i >= 3 and kids[i - 1].type == token.COLON:
                    test = kids[i - 2]
                    if getattr(kids[i - 3], "value", None) in ("if", "elif") and _test_proves(
                        ctx, test, name
                    ):
                        return True
        if parent.type in (syms.funcdef, syms.classdef):
            return False
        cur = parent
    return False


def _test_proves(ctx: FileContext, test: NodeOrLeaf, name: str) -> bool:
    text = re.sub(r"\s+", "", str(test))
    m = re.fullmatch(r"isinstance\((\w+),([\w.]+)\)", text)
    if m is None:
        m = re.fullmatch(r"type\((\w+)\)(?:==|is)([\w.]+)", text)
    if m is None or m.group(1) != name:
        return False
    head, _, rest = m.group(2).partition(".")
    origin = ctx.imports.get(head)
    q = (origin + ("." + rest if rest else "")) if origin else m.group(2)
    return q in _TENSOR_TYPES


def is_variable_ref(ctx: FileContext, node: NodeOrLeaf) -> bool:
    """``Variable`` / ``torch.autograd.Variable`` / ``ag.Variable`` resolved
    through the imports (a local definition named Variable is not)."""
    q = ctx.qualname(node)
    if q not in VARIABLE:
        return False
    name = dotted_name(node)
    head = name.split(".")[0]
    return head in ctx.imports and not _rebound(ctx, head)


def _rebound(ctx: FileContext, name: str) -> bool:
    """The module binds ``name`` other than by an import."""
    binds = analysis(ctx).bindings(ctx.tree).names.get(name, [])
    return any(b[0] != "import" for b in binds)
