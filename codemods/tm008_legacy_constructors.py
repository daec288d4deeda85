"""TM008 legacy-constructors: ``torch.FloatTensor(2, 3)``, ``torch.LongTensor(list)``,
``x.new(...)``, ``torch.cuda.FloatTensor(...)`` -> ``torch.empty``/``torch.tensor``
with an explicit dtype, ``new_empty``/``new_tensor``.

The single-argument forms are ambiguous: an int is a *size*
(``FloatTensor(3)`` is three uninitialised floats) while a sequence is the
*value* (``FloatTensor([3])`` is ``tensor([3.])``).  Each site is classified
by what can be proven about its argument.
"""

from __future__ import annotations

from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods import analysis as A
from codemods.base import (
    DEFAULT_DEVICE_CALL,
    MANUAL,
    SAFE,
    UNSAFE,
    Example,
    Rule,
    RuleFixer,
    add_kwarg,
    call_args,
    ensure_import,
)

DTYPES = {
    "FloatTensor": "float32",
    "DoubleTensor": "float64",
    "HalfTensor": "float16",
    "BFloat16Tensor": "bfloat16",
    "ByteTensor": "uint8",
    "CharTensor": "int8",
    "ShortTensor": "int16",
    "IntTensor": "int32",
    "LongTensor": "int64",
    "BoolTensor": "bool",
    "Tensor": None,  # the default dtype
}

# in-place initialisers: a tensor they fill was created by *size*
_INITIALISERS = frozenset(
    """normal_ uniform_ fill_ zero_ random_ bernoulli_ exponential_ geometric_ cauchy_
    log_normal_""".split()
)


def _constructor(qual: Optional[str]) -> Optional[tuple]:
    """(dtype or None, cuda?) for ``torch.FloatTensor`` / ``torch.cuda.LongTensor``."""
    if not qual:
        return None
    parts = qual.split(".")
    if len(parts) == 2 and parts[0] == "torch" and parts[1] in DTYPES:
        return DTYPES[parts[1]], False
    if (
        len(parts) == 3
        and parts[:2] == ["torch", "cuda"]
        and parts[2] in DTYPES
        and parts[2] != "Tensor"
    ):
        return DTYPES[parts[2]], True
    return None


def default_device_changed(ctx) -> bool:
    """The file, or a module of its project, calls ``set_default_tensor_type``
    or ``set_default_device`` (0.3 code's ``torch.set_default_tensor_type(
    'torch.cuda.FloatTensor')``): ``torch.empty``/``torch.tensor`` follow that
    default device, a typed legacy constructor (``torch.LongTensor``) stayed on
    the CPU."""
    project = getattr(ctx, "project", None)
    if project is not None and getattr(project, "default_device", False):
        return True
    return "set_default_" in ctx.text and DEFAULT_DEVICE_CALL.search(ctx.text) is not None


def torch_alias(ctx) -> Optional[str]:
    """A local name bound to the ``torch`` module (``torch`` / ``th``)."""
    if ctx.imports.get("torch") == "torch":
        return "torch"
    for local, origin in ctx.imports.items():
        if origin == "torch":
            return local
    return None


def _classify_single(ctx, arg, following: list) -> tuple:
    """('size'|'value'|'alias', safety, reason) for a one-argument constructor."""
    text = str(arg).strip()
    if A.is_int(ctx, arg):
        return "size", SAFE, f"`{text}` is an int, i.e. a size"
    if A.is_size_object(ctx, arg):
        return "size", SAFE, f"`{text}` is a size"
    if A.is_list_expr(ctx, arg):
        return "value", SAFE, f"`{text}` is a list/tuple, i.e. the values"
    if A.int_parameter(ctx, arg):
        return (
            "size",
            SAFE,
            f"`{text}` is a parameter every call of this file passes an int (or its int "
            "default), i.e. a size",
        )
    if A.is_tensor(ctx, arg):
        return (
            "alias",
            UNSAFE,
            f"`{text}` looks like a tensor: the legacy constructor returns a tensor sharing its "
            "memory (and raises on another dtype); `torch.as_tensor` shares it too (and converts "
            "another dtype instead of raising)",
        )
    if A.is_numpy_call(ctx, arg) or A.is_numpy_name(ctx, arg):
        return (
            "alias",
            UNSAFE,
            f"`{text}` is presumably a numpy array (a numpy *scalar* int would be a size): the "
            "legacy constructor shares the array's memory when its dtype matches and copies "
            "otherwise, exactly like `torch.as_tensor`",
        )
    kind = A.argparse_type(ctx, arg)
    if kind == "int":
        return "size", UNSAFE, f"`{text}` is declared `type=int` on the command line, so a size"
    if following and A.is_attr(following[0]) and A.attr_name(following[0]) in _INITIALISERS:
        init = A.attr_name(following[0])
        return (
            "size",
            UNSAFE,
            f"the result is filled by `.{init}(...)`, so `{text}` is presumably a size",
        )
    return "unknown", MANUAL, f"cannot tell whether `{text}` is a size or the values"


class ConstructorFixer(RuleFixer):
    PATTERN = "power< any trailer+ >"
    TRIGGERS = frozenset(DTYPES) | {"new"}

    def visit(self, node: Node, results: dict) -> None:
        ctx = self.ctx
        chain = A.chain_of(node)
        # torch.FloatTensor(...) at the head of the chain
        for i in range(1, len(chain)):
            if A.is_call(chain[i]):
                ctor = _constructor(A.chain_qualname(ctx, chain[:i]))
                if ctor is not None:
                    self._ctor(node, i, ctor, chain[i + 1 :])
                break
            if not A.is_attr(chain[i]):
                break
        # x.new(...) anywhere in the chain
        for i in range(1, len(chain) - 1):
            if A.is_attr(chain[i], "new") and A.is_call(chain[i + 1]):
                self._new(node, chain, i)

    # -- torch.XTensor(...) --------------------------------------------------
    def _ctor(self, power: Node, call_idx: int, ctor: tuple, following: list) -> None:
        ctx = self.ctx
        dtype, cuda = ctor
        call = power.children[call_idx]
        callee = A.chain_text(power.children[:call_idx])
        args = call_args(call)
        tname = torch_alias(ctx) or "torch"
        dtype_txt = f"{tname}.{dtype}" if dtype else None
        if any(a.name is not None for a in args) or any(a.star == "**" for a in args):
            self.report(
                power,
                f"`{callee}(...)` with keyword arguments: use `{tname}.empty(...)`/`{tname}.tensor(...)` "
                f"with an explicit `dtype=`",
                MANUAL,
            )
            return
        positional = [a.value for a in args]
        if any(a.star for a in args):
            kind, safety, reason = "size", UNSAFE, "a `*` argument is presumably a size"
        elif not positional:
            kind, safety, reason = "empty0", SAFE, "no argument means an empty tensor"
        elif len(positional) >= 2:
            kind, safety, reason = "size", SAFE, "several arguments are always sizes"
        else:
            kind, safety, reason = _classify_single(ctx, positional[0], following)

        if kind == "alias":
            func = "as_tensor"
        elif kind == "value":
            func = "tensor"
        else:
            func = "empty"
        if dtype_txt is None:
            dtype_kw = None if func == "empty" else f"{tname}.get_default_dtype()"
        else:
            dtype_kw = dtype_txt
        kws = []
        if dtype_kw:
            kws.append(("dtype", dtype_kw))
        if cuda:
            kws.append(("device", "'cuda'"))
        elif dtype_txt is not None and default_device_changed(ctx):
            kws.append(("device", "'cpu'"))
        arg_txt = ", ".join(str(v).strip() for v in positional) if kind != "empty0" else "0"
        if any(a.star for a in args):
            arg_txt = ", ".join(str(a.node).strip() for a in args)
        new_txt = f"{tname}.{func}(" + ", ".join([arg_txt] + [f"{k}={v}" for k, v in kws]) + ")"
        if kind == "unknown":
            one = str(positional[0]).strip()
            d = f", dtype={dtype_kw}" if dtype_kw else ""
            dev = ", device='cuda'" if cuda else ""
            self.report(
                power,
                f"`{callee}({one})`: {reason}: if it is a size use `{tname}.empty({one}{d}{dev})`; if it "
                f"is a list use `{tname}.tensor({one}{d or f', dtype={tname}.get_default_dtype()'}{dev})`; "
                f"if it is a numpy array or tensor use `{tname}.as_tensor(...)` (shares memory)",
                MANUAL,
            )
            return
        notes = [reason]
        if dtype_txt is None and func == "empty":
            notes.append("`torch.empty` uses the default dtype exactly like `torch.Tensor`")
        elif dtype_txt is not None:
            notes.append("the dtype is kept explicit")
        if func == "empty":
            notes.append("values are uninitialised in both forms")
        if dtype_txt is None and default_device_changed(ctx):
            safety = UNSAFE if safety == SAFE else safety
            notes.append(
                "the program changes the default device: `torch.Tensor(...)` follows "
                "`set_default_tensor_type` like the factories do, but not `set_default_device` "
                "(it stays on the CPU where `torch.empty` does not); check the device"
            )
        if ("device", "'cpu'") in kws:
            notes.append(
                "`device='cpu'`: the program changes the default device (`set_default_tensor_type`"
                "/`set_default_device`), which the factories follow and the typed legacy "
                "constructor did not"
            )
        if cuda:
            safety = UNSAFE if safety == SAFE else safety
            notes.append(
                "the tensor is created on the current CUDA device (both forms fail on a CPU-only "
                "build); prefer a `device` variable"
            )
        message = f"legacy constructor `{callee}(...)`: use `{new_txt}` ({'; '.join(notes)})"

        def fix() -> None:
            if call.parent is not power:
                return False
            head = power.children[:call_idx]
            prefix = head[0].prefix
            for h in head:
                h.remove()
            new_head = [
                Leaf(token.NAME, tname, prefix=prefix),
                Node(syms.trailer, [Leaf(token.DOT, "."), Leaf(token.NAME, func)]),
            ]
            for k, h in enumerate(new_head):
                power.insert_child(k, h)
            if kind == "empty0":
                call.insert_child(1, Leaf(token.NUMBER, "0"))
            for k, v in kws:
                add_kwarg(call, k, v)
            if tname == "torch":
                ensure_import(self.ctx.tree, "torch")
            return None

        self.report(power, message, safety, fix=fix, suggestion=new_txt)

    # -- x.new(...) ----------------------------------------------------------
    def _new(self, power: Node, chain: list, i: int) -> None:
        ctx = self.ctx
        receiver = chain[:i]
        if not A.chain_is_tensor(ctx, receiver):
            return  # ``hmac.new``, ``md5.new``, ``object.__new__``...
        call = chain[i + 1]
        recv = A.chain_text(receiver)
        args = call_args(call)
        if any(a.name is not None or a.star for a in args):
            self.report(
                power,
                f"`{recv}.new(...)` with keyword/star arguments: use `{recv}.new_empty(...)` "
                f"(a size) or `{recv}.new_tensor(...)` (values)",
                MANUAL,
            )
            return
        positional = [a.value for a in args]
        if not positional:
            method, safety, reason, extra = (
                "new_empty",
                SAFE,
                "no argument means an empty tensor",
                "0",
            )
        elif len(positional) >= 2:
            method, safety, reason, extra = (
                "new_empty",
                SAFE,
                "several arguments are always sizes",
                None,
            )
        else:
            kind, safety, reason = _classify_single(ctx, positional[0], chain[i + 2 :])
            extra = None
            if kind == "size":
                method = "new_empty"
            elif kind == "value":
                method = "new_tensor"
            else:
                one = str(positional[0]).strip()
                self.report(
                    power,
                    f"`{recv}.new({one})`: "
                    + (
                        reason
                        if kind == "unknown"
                        else f"`{one}` may be a tensor or array, which `.new` shares"
                    )
                    + f": if it is a size use `{recv}.new_empty({one})`; if it is a list use "
                    f"`{recv}.new_tensor({one})`; if it is an array/tensor whose memory must be shared use "
                    f"`torch.as_tensor({one}, dtype={recv}.dtype, device={recv}.device)`",
                    MANUAL,
                )
                return
        args_txt = extra if extra is not None else ", ".join(str(v).strip() for v in positional)
        if len(positional) >= 2:
            args_txt = f"({args_txt})"
        new_txt = f"{recv}.{method}({args_txt})"
        what = (
            "uninitialised, like `.new`"
            if method == "new_empty"
            else "same dtype and device as the receiver"
        )
        message = f"`{recv}.new(...)` is the legacy constructor: use `{new_txt}` ({reason}; {what})"
        trailer = chain[i]

        def fix() -> None:
            name = trailer.children[1]
            name.replace(Leaf(token.NAME, method, prefix=name.prefix))
            if extra is not None:
                call.insert_child(1, Leaf(token.NUMBER, extra))
            elif len(positional) >= 2 and call.children[1].type == syms.arglist:
                # x.new(3, 4) -> x.new_empty((3, 4)): one size argument
                inner = call.children[1]
                items = [c.clone() for c in inner.children]
                if items[-1].type == token.COMMA:
                    items.pop()  # trailing comma
                group = Node(
                    syms.atom,
                    [Leaf(token.LPAR, "("), Node(syms.testlist_gexp, items), Leaf(token.RPAR, ")")],
                )
                group.prefix = items[0].prefix
                items[0].prefix = ""
                inner.replace(group)
            return None

        self.report(power, message, safety, fix=fix, suggestion=new_txt)


class TypeAsValueFixer(RuleFixer):
    """``dtype = torch.cuda.FloatTensor if use_cuda else torch.FloatTensor``."""

    PATTERN = "test< any 'if' any 'else' any >"
    TRIGGERS = frozenset(DTYPES)

    def visit(self, node: Node, results: dict) -> None:
        ctx = self.ctx
        branches = [node.children[0], node.children[4]]
        quals = [
            A.chain_qualname(ctx, A.chain_of(b)) if b.type == syms.power else ctx.qualname(b)
            for b in branches
        ]
        ctors = [_constructor(q) for q in quals]
        if not any(c is not None and c[1] for c in ctors):
            return
        dtype = next(c[0] for c in ctors if c is not None)
        tname = torch_alias(ctx) or "torch"
        dt = f"{tname}.{dtype}" if dtype else f"{tname}.get_default_dtype()"
        self.report(
            node,
            "a legacy tensor type chosen by device and used as a value: pick the device instead, "
            f"`device = {tname}.device('cuda' if <cond> else 'cpu')`, and create tensors with "
            f"`{tname}.empty(..., dtype={dt}, device=device)` / convert with `.to(device)`",
            MANUAL,
        )


RULE = Rule(
    id="TM008",
    name="legacy-constructors",
    short="legacy tensor constructor: `torch.empty`/`torch.tensor` with an explicit dtype",
    summary="Replace `torch.FloatTensor(...)`, `torch.cuda.LongTensor(...)` and `x.new(...)` with "
    "`torch.empty`/`torch.tensor`/`new_empty`/`new_tensor` and an explicit dtype.",
    why="""
The typed constructors (`torch.FloatTensor`, `torch.LongTensor`, ...,
`torch.cuda.*Tensor`) and `Tensor.new` are the pre-0.4 way to create
tensors; 0.4 introduced `torch.tensor`, `torch.empty`, the `dtype=`/
`device=` arguments and `new_empty`/`new_tensor`.  On 2.13 the CPU forms
still run silently, while `torch.cuda.FloatTensor(...)` on a CPU build
raises `TypeError: type torch.cuda.FloatTensor not available`.  The legacy
forms overload one argument as either a size or the values, which modern
code spells differently.
""",
    safety=SAFE,
    doc="""
## What it does
- `torch.FloatTensor(2, 3)` -> `torch.empty(2, 3, dtype=torch.float32)`
  (sizes; `DoubleTensor` float64, `HalfTensor` float16, `ByteTensor` uint8,
  `CharTensor` int8, `ShortTensor` int16, `IntTensor` int32, `LongTensor`
  int64, `BoolTensor` bool).
- `torch.FloatTensor([1, 2])` -> `torch.tensor([1, 2], dtype=torch.float32)`
  (values: `torch.tensor` alone would infer int64 from ints).
- `torch.FloatTensor()` -> `torch.empty(0, dtype=torch.float32)`.
- `torch.Tensor(2, 3)` -> `torch.empty(2, 3)` (both use the default
  dtype, even after `set_default_dtype`); `torch.Tensor([1, 2])` ->
  `torch.tensor([1, 2], dtype=torch.get_default_dtype())`.
- `torch.cuda.FloatTensor(n)` -> `torch.empty(n, dtype=torch.float32, device='cuda')`.
- When the file or any module of its project changes the default device
  (`torch.set_default_tensor_type('torch.cuda.FloatTensor')`, the 0.3 way
  to put everything on the GPU, or `set_default_device`), a typed CPU
  constructor also gets `device='cpu'`: `torch.LongTensor([1, 2])` ->
  `torch.tensor([1, 2], dtype=torch.int64, device='cpu')`.  The factories
  follow the default device; the typed legacy constructors never did.
  `torch.Tensor(n)` -> `torch.empty(n)` is then **unsafe**: `torch.Tensor`
  follows `set_default_tensor_type` as the factories do, but not
  `set_default_device`.
- `x.new(3, 4)` -> `x.new_empty((3, 4))`, `x.new(t.size())` ->
  `x.new_empty(t.size())`, `x.new([1, 2])` -> `x.new_tensor([1, 2])`,
  `x.new()` -> `x.new_empty(0)`.
- A legacy type picked by device and used as a value
  (`T = torch.cuda.FloatTensor if cuda else torch.FloatTensor`) is reported.

`torch.empty` and `new_empty` return uninitialised memory exactly like the
legacy size constructors; in practice the values are overwritten right away
(`.zero_()`, `.normal_()`, `.fill_()`, `.copy_()`).

## Fix safety
**Safe**: two or more arguments (always sizes), an argument that is
provably an int (`3`, `len(x)`, `x.size(0)`, a name bound only to such) or a
size (`x.size()`, `x.shape`, `torch.Size(...)`), a parameter that every call
in the file passes an int (or that keeps an int default: a size), a list/tuple
display or comprehension, a list repetition or concatenation (`n * [0]`,
`[0] * n + [1]`), or a name bound only to lists (values).  A one-argument call
whose argument cannot be classified is **unsafe** when there is a strong
hint (the result is immediately filled by `.normal_()`/`.random_()`/..., or
the argument is an argparse option declared `type=int`: a size), or when the
argument is a numpy array or a tensor (-> `torch.as_tensor(a, dtype=...)`,
which shares memory exactly when the legacy constructor did: same dtype on
the CPU).  Otherwise it is **manual** and the message gives each reading.
`torch.cuda.*` constructors are at best **unsafe**: they pin the tensor to
the current CUDA device, which code migrating to `device=` usually wants to
revisit.  `x.new(...)` is only considered when `x` is provably a tensor
(`.new` is also `hmac.new`, `md5.new`, ...); a tensor/array argument to
`.new` is manual (`.new` shares its memory, `new_tensor` copies).

## Differences from TorchFix
TorchFix does not rewrite legacy constructors.  We keep the dtype explicit
(`torch.tensor` infers int64 from ints) and never read an ambiguous
one-argument call as a size or as values without evidence.
""",
    examples=(
        Example(
            before=(
                "import torch\n"
                "torch.set_default_tensor_type('torch.cuda.FloatTensor')\n"
                "idx = torch.LongTensor([0, 2])\n"
                "buf = torch.FloatTensor(4, 3)\n"
                "w = torch.Tensor(4, 3)\n"
            ),
            after=(
                "import torch\n"
                "torch.set_default_tensor_type('torch.cuda.FloatTensor')\n"
                "idx = torch.tensor([0, 2], dtype=torch.int64, device='cpu')\n"
                "buf = torch.empty(4, 3, dtype=torch.float32, device='cpu')\n"
                "w = torch.Tensor(4, 3)\n"
            ),
            findings=("unsafe",),
            title="the program moves the default device: typed constructors stay on the CPU",
        ),
        Example(
            before=(
                "import torch\n"
                "def make(n, k, m=4):\n"
                "    counts = torch.LongTensor(n * [0])\n"
                "    z = torch.FloatTensor(k)\n"
                "    w = torch.FloatTensor(m)\n"
                "    return counts, z, w\n"
                "make(3, 4)\n"
            ),
            after=(
                "import torch\n"
                "def make(n, k, m=4):\n"
                "    counts = torch.tensor(n * [0], dtype=torch.int64)\n"
                "    z = torch.empty(k, dtype=torch.float32)\n"
                "    w = torch.empty(m, dtype=torch.float32)\n"
                "    return counts, z, w\n"
                "make(3, 4)\n"
            ),
            title="list repetitions are values; int parameters are sizes",
        ),
        Example(
            "import torch\nnoise = torch.FloatTensor(64, 100, 1, 1).normal_(0, 1)\n"
            "idx = torch.LongTensor([1, 2, 3])\nw = torch.Tensor(3, 4)\nz = torch.DoubleTensor()\n",
            "import torch\nnoise = torch.empty(64, 100, 1, 1, dtype=torch.float32).normal_(0, 1)\n"
            "idx = torch.tensor([1, 2, 3], dtype=torch.int64)\nw = torch.empty(3, 4)\n"
            "z = torch.empty(0, dtype=torch.float64)\n",
            title="sizes and values",
        ),
        Example(
            "eps = std.data.new(std.size()).normal_()\nbuf = x.data.new(2, 3).zero_()\n"
            "vals = p.grad.new([1, 2])\n",
            "eps = std.data.new_empty(std.size()).normal_()\nbuf = x.data.new_empty((2, 3)).zero_()\n"
            "vals = p.grad.new_tensor([1, 2])\n",
            title="Tensor.new",
        ),
        Example(
            "from torch import LongTensor\ndef sample(n):\n    return LongTensor(n).random_(0, 10)\n",
            "from torch import LongTensor\nimport torch\ndef sample(n):\n"
            "    return torch.empty(n, dtype=torch.int64).random_(0, 10)\n",
            unsafe_fixes=True,
            title="size read from the initialiser (unsafe)",
        ),
        Example(
            "import torch\ny = torch.cuda.LongTensor(8)\n",
            None,
            findings=("unsafe",),
            title="CUDA constructor: reported",
        ),
        Example(
            "import torch\ndef f(data, use_cuda):\n    t = torch.FloatTensor(data)\n"
            "    T = torch.cuda.FloatTensor if use_cuda else torch.FloatTensor\n    return t, T\n",
            None,
            findings=("manual", "manual"),
            title="ambiguous argument and type as a value",
        ),
        Example(
            "import hashlib\nh = hashlib.new('md5')\nobj = cls.new(3, 4)\n"
            "import torch\nx = torch.empty(2, 3, dtype=torch.float32)\nok = isinstance(x, torch.FloatTensor)\n",
            None,
            title="must not change",
        ),
    ),
    fixers=(ConstructorFixer, TypeAsValueFixer),
    tokens=("Tensor", ".new("),
)
