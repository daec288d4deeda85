"""TM009 type-checks: ``type(x) == torch.FloatTensor`` (silently False since
0.4), ``isinstance(x, Variable)`` (always True for tensors since 0.4) and
``x.type(torch.cuda.FloatTensor)`` conversions."""

from __future__ import annotations

import ast
from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods import analysis as A
from codemods.base import (
    MANUAL,
    UNSAFE,
    Example,
    NodeOrLeaf,
    Rule,
    RuleFixer,
    call_args,
    ensure_import,
    parse_expr,
)
from codemods.tm008_legacy_constructors import _constructor, torch_alias

_TYPE_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "bfloat16": "BFloat16Tensor",
    "uint8": "ByteTensor",
    "int8": "CharTensor",
    "int16": "ShortTensor",
    "int32": "IntTensor",
    "int64": "LongTensor",
    "bool": "BoolTensor",
}
_VARIABLE = ("torch.autograd.Variable", "torch.autograd.variable.Variable")
# parents in which a bare ``not ...`` needs parentheses
_TIGHTER_THAN_NOT = frozenset(
    {
        syms.comparison,
        syms.expr,
        syms.xor_expr,
        syms.and_expr,
        syms.shift_expr,
        syms.arith_expr,
        syms.term,
        syms.factor,
        syms.power,
    }
)


def _type_ref(ctx, node) -> Optional[tuple]:
    """(dtype-or-None, cuda, spelled) for ``torch.cuda.FloatTensor`` or the
    string ``'torch.cuda.FloatTensor'``."""
    node = A.unparen(node)
    if node.type == token.STRING:
        try:
            text = ast.literal_eval(node.value)
        except Exception:  # noqa: BLE001
            return None
        if not isinstance(text, str):
            return None
        ctor = _constructor(text)
    elif node.type in (syms.power, token.NAME):
        chain = A.chain_of(node) if node.type == syms.power else [node]
        ctor = _constructor(A.chain_qualname(ctx, chain))
    else:
        return None
    if ctor is None or ctor[0] is None:
        return None
    return ctor[0], ctor[1], str(node).strip()


def _locally_rebound(ctx, node) -> bool:
    """``Variable`` bound by an enclosing function (a parameter, a local)."""
    if node.type != token.NAME:
        return False
    scope = A.scope_of(node)
    while scope.type != syms.file_input:
        if node.value in A.scope_bindings(ctx, scope):
            return True
        parent = A.scope_of(scope)
        if parent is scope:
            break
        scope = parent
    return False


def _builtin_call(ctx, node, name: str) -> Optional[Node]:
    """The call trailer of ``name(...)`` when ``name`` is the builtin."""
    node = A.unparen(node)
    if (
        node.type == syms.power
        and len(node.children) == 2
        and node.children[0].type == token.NAME
        and node.children[0].value == name
        and A.is_call(node.children[1])
        and name not in ctx.imports
        and A.bindings_of(ctx, node.children[0]) is None
    ):
        return node.children[1]
    return None


class TypeCompareFixer(RuleFixer):
    PATTERN = "comparison< any any any >"
    TRIGGERS = frozenset({"type"})

    def visit(self, node: Node, results: dict) -> None:
        ctx = self.ctx
        left, op, right = node.children
        op_text = " ".join(str(op).split())
        if op_text not in ("==", "!=", "is", "is not"):
            return
        for subject, other in ((left, right), (right, left)):
            call = _builtin_call(ctx, subject, "type")
            if call is None:
                continue
            args = call_args(call)
            if len(args) != 1 or args[0].name or args[0].star:
                return
            x = args[0].value
            qual = None
            o = A.unparen(other)
            if o.type in (syms.power, token.NAME):
                qual = A.chain_qualname(ctx, A.chain_of(o) if o.type == syms.power else [o])
            if qual in _VARIABLE and not _locally_rebound(ctx, o):
                self._variable(node, x, positive=op_text in ("==", "is"))
                return
            ref = _type_ref(ctx, other) if other.type != token.STRING else None
            if ref is None:
                return
            dtype, cuda, spelled = ref
            self._rewrite(node, x, dtype, cuda, positive=op_text in ("==", "is"), spelled=spelled)
            return

    def _variable(self, node, x, positive: bool) -> None:
        """``type(x) == Variable`` -> ``isinstance(x, torch.Tensor)``."""
        ctx = self.ctx
        tname = torch_alias(ctx) or "torch"
        test = f"isinstance({str(x).strip()}, {tname}.Tensor)"
        new = test if positive else f"not {test}"
        if not positive and node.parent is not None and node.parent.type in _TIGHTER_THAN_NOT:
            new = f"({new})"
        old = str(node).strip()
        message = (
            f"`{old}` is always {'False' if positive else 'True'} since PyTorch 0.4 (there is no "
            f"separate Variable type: `type()` of any tensor is `torch.Tensor`), so the branch it "
            f"guards silently changed; the test meant today is `{new}`, but in 0.3 this also "
            f"distinguished Variables from plain tensors, a distinction that no longer exists; "
            f"review the branch"
        )

        def fix() -> None:
            repl = parse_expr(new)
            repl.prefix = node.prefix
            node.replace(repl)
            if tname == "torch":
                ensure_import(ctx.tree, "torch")

        self.report(node, message, UNSAFE, fix=fix, suggestion=new)

    def _rewrite(self, node, x, dtype: str, cuda: bool, positive: bool, spelled: str) -> None:
        type_string = ("torch.cuda." if cuda else "torch.") + _TYPE_NAMES[dtype]
        xs = str(x).strip()
        if A.unparen(x).type not in (token.NAME, syms.power):
            xs = f"({xs})"
        new = f"{xs}.type() {'==' if positive else '!='} '{type_string}'"
        where = "a CUDA" if cuda else "a CPU"
        message = (
            f"`{str(node).strip()}` is always {'False' if positive else 'True'} since PyTorch 0.4 "
            f"(`type()` of any tensor is `torch.Tensor`); the 0.3 meaning was '{where} tensor of dtype "
            f"{dtype}', which `{new}` still checks on 2.13 (or `x.dtype == torch.{dtype}` plus "
            f"`x.is_cuda`); this changes what the code does today, review the branch"
        )

        def build():
            return parse_expr(new)

        def fix() -> None:
            repl = build()
            repl.prefix = node.prefix
            node.replace(repl)

        self.report(node, message, UNSAFE, fix=fix, suggestion=new)


class IsinstanceVariableFixer(RuleFixer):
    PATTERN = "power< 'isinstance' trailer< '(' arglist< any ',' cls=any > ')' > >"

    def visit(self, node: Node, results: dict) -> None:
        ctx = self.ctx
        if _builtin_call(ctx, node, "isinstance") is None:
            return
        cls = results["cls"]
        c = A.unparen(cls)
        tname = torch_alias(ctx) or "torch"
        if c.type in (syms.power, token.NAME):
            qual = A.chain_qualname(ctx, A.chain_of(c) if c.type == syms.power else [c])
            if qual not in _VARIABLE:
                return
            message = (
                f"`{str(node).strip()}` is True for every tensor since PyTorch 0.4 (Variable and "
                f"Tensor merged), so it no longer tells Variables from plain tensors: the same test "
                f"today is `isinstance(..., {tname}.Tensor)`; review what the branch did for "
                f"Variables (e.g. `x = x.data` now detaches every tensor)"
            )

            def fix() -> None:
                new = parse_expr(f"{tname}.Tensor")
                new.prefix = cls.prefix
                cls.replace(new)
                if tname == "torch":
                    ensure_import(ctx.tree, "torch")

            self.report(
                node, message, UNSAFE, fix=fix, suggestion=f"isinstance(..., {tname}.Tensor)"
            )
            return
        if c.type == syms.atom and c.children[0].value == "(":
            for leaf in c.pre_order():
                if leaf.type in (syms.power, token.NAME):
                    q = A.chain_qualname(
                        ctx, A.chain_of(leaf) if leaf.type == syms.power else [leaf]
                    )
                    if q in _VARIABLE:
                        self.report(
                            node,
                            f"`{str(node).strip()}`: `Variable` matches every tensor since PyTorch 0.4; "
                            f"replace it by `{tname}.Tensor` in the tuple and review the branch",
                            MANUAL,
                        )
                        return


def _type_of_tensor(ctx, node) -> Optional[NodeOrLeaf]:
    """``type(X)`` where ``X`` is a tensor's ``.data``/``.grad`` or provably
    a tensor: returns ``X``."""
    call = _builtin_call(ctx, node, "type")
    if call is None:
        return None
    args = call_args(call)
    if len(args) != 1 or args[0].name or args[0].star:
        return None
    x = args[0].value
    if A.is_tensor(ctx, x):
        return x
    return None


def _attachable(x) -> str:
    text = str(x).strip()
    return text if A.unparen(x).type in (token.NAME, syms.power) else f"({text})"


class StrTypeFixer(RuleFixer):
    """``'cuda' in str(type(p.data))``: always False since 0.4."""

    PATTERN = "comparison< any any any >"

    def visit(self, node: Node, results: dict) -> None:
        ctx = self.ctx
        left, op, right = node.children
        op_text = " ".join(str(op).split())
        if op_text not in ("in", "not in"):
            return
        if A.unparen(left).type != token.STRING:
            return
        inner = _builtin_call(ctx, right, "str")
        if inner is None:
            return
        args = call_args(inner)
        if len(args) != 1 or args[0].name or args[0].star:
            return
        x = _type_of_tensor(ctx, args[0].value)
        if x is None:
            return
        try:
            sub = ast.literal_eval(A.unparen(left).value)
        except Exception:  # noqa: BLE001
            return
        if not isinstance(sub, str) or not sub or any(c in sub for c in "<>' "):
            return
        xs = _attachable(x)
        new = f"{xs}.is_cuda" if sub == "cuda" else f"{str(left).strip()} {op_text} {xs}.type()"
        if sub == "cuda" and op_text == "not in":
            new = f"not {xs}.is_cuda"
            if node.parent is not None and node.parent.type in _TIGHTER_THAN_NOT:
                new = f"({new})"
        message = (
            f"`{str(node).strip()}` is always {'False' if op_text == 'in' else 'True'} since PyTorch "
            f"0.4: `str(type(t))` of every tensor is \"<class 'torch.Tensor'>\" (0.3 gave "
            f"\"<class 'torch.cuda.FloatTensor'>\"-style names); `{new}` tests what the 0.3 code "
            "tested (`t.type()` is still the legacy type name). The branch it guards starts running "
            "again: review it"
        )

        def fix() -> None:
            repl = parse_expr(new)
            repl.prefix = node.prefix
            node.replace(repl)

        self.report(node, message, UNSAFE, fix=fix, suggestion=new)


_KEY_METHODS = frozenset({"get", "setdefault", "pop", "index", "count", "append", "add"})


class TypeBucketFixer(RuleFixer):
    """``tp = type(param.data)`` used as a key: every tensor is one key since 0.4."""

    PATTERN = "expr_stmt< target=NAME '=' value=power >"

    def visit(self, node: Node, results: dict) -> None:
        ctx = self.ctx
        target, value = results["target"], results["value"]
        x = _type_of_tensor(ctx, value)
        if x is None:
            return
        binds = A.bindings_of(ctx, target)
        if not binds or any(
            not (
                (k == "value" and _type_of_tensor(ctx, v) is not None)
                or (k == "for" and A.unparen(v).type == token.NAME)  # over the keys
            )
            for k, v in binds
        ):
            return
        bad = self._bad_use(target)
        xs = _attachable(x)
        new = f"{xs}.type()"
        old = str(value).strip()
        what = (
            f"`{target.value} = {old}` is `torch.Tensor` for every tensor since PyTorch 0.4, so "
            f"everything keyed by `{target.value}` falls into one group (0.3 gave one type per "
            "dtype and device)"
        )
        if bad is not None:
            self.report(
                node,
                f"{what}; `{target.value}` is also {bad}, so the key cannot simply become the "
                f"type string `{new}`: group by `{new}` (or by `({xs}.dtype, {xs}.device)`) by hand",
                MANUAL,
            )
            return

        def fix() -> None:
            repl = parse_expr(new)
            repl.prefix = value.prefix
            value.replace(repl)

        self.report(
            node,
            f"{what}; `{target.value}` is only used as a key, so `{new}` (the legacy type name, "
            "one per dtype and device) restores the grouping",
            UNSAFE,
            fix=fix,
            suggestion=f"{target.value} = {new}",
        )

    def _class_operand(self, comparison, leaf) -> Optional[str]:
        """The text of an operand ``leaf`` is compared with by ``==``/``!=``/
        ``is`` that may be a class rather than another type key or a string
        (``tp == torch.FloatTensor`` on another line than ``tp = type(x)``),
        else None.  Membership tests (``tp in buckets``) are key uses."""
        kids = comparison.children
        for k in range(0, len(kids), 2):
            other = kids[k]
            if other is leaf:
                continue
            ops = [kids[j] for j in (k - 1, k + 1) if 0 < j < len(kids)]
            if all(str(op).split() in (["in"], ["not", "in"]) for op in ops):
                # membership: a container of keys, unless it is a display
                # holding something else than strings (a tuple of classes)
                if other.type != syms.atom:
                    continue
                items = A.tuple_items(other)
                if items is not None and all(i.type == token.STRING for i in items):
                    continue
                return str(other).strip()
            if other.type == token.STRING:
                continue
            # a name may hold a class (``FT = torch.FloatTensor``; ``cls``)
            return str(other).strip()
        return None

    def _bad_use(self, target) -> Optional[str]:
        """How ``target`` is used other than as a key/comparison operand."""
        scope = A.scope_of(target)
        for leaf in scope.leaves():
            if leaf.type != token.NAME or leaf.value != target.value or leaf is target:
                continue
            p = leaf.parent
            if p.type == syms.expr_stmt and p.children[0] is leaf:
                continue  # another binding (checked above)
            if p.type == syms.trailer and p.children[0].value == "[":
                continue  # ``buckets[tp]``
            if p.type == syms.comparison:
                other = self._class_operand(p, leaf)
                if other is None:
                    continue
                return f"compared with `{other}` (a class, never equal to the type string)"
            if p.type == syms.trailer and p.children[0].value == "(":
                callee = p.prev_sibling
                if callee is not None and A.is_attr(callee) and A.attr_of(callee) in _KEY_METHODS:
                    continue
                if (
                    callee is not None
                    and callee.type == token.NAME
                    and callee.value
                    in (
                        "print",
                        "str",
                        "repr",
                    )
                ):
                    continue
            if p.type == syms.arglist and p.parent.type == syms.trailer:
                callee = p.parent.prev_sibling
                if (
                    p.children[0] is leaf
                    and callee is not None
                    and A.is_attr(callee)
                    and A.attr_of(callee) in _KEY_METHODS
                ):
                    continue
            if p.type == syms.for_stmt and p.children[1] is leaf:
                continue  # rebound by a loop over the keys
            if p.type == syms.dictsetmaker:
                continue
            return f"used as `{str(p).strip()[:40]}`"
        return None


class TypeConvertFixer(RuleFixer):
    """``x.type(torch.cuda.FloatTensor)`` -> ``x.to(device='cuda', dtype=torch.float32)``."""

    PATTERN = "power< any trailer+ >"
    TRIGGERS = frozenset({"type"})

    def visit(self, node: Node, results: dict) -> None:
        ctx = self.ctx
        chain = A.chain_of(node)
        for i in range(1, len(chain) - 1):
            if not (A.is_attr(chain[i], "type") and A.is_call(chain[i + 1])):
                continue
            call = chain[i + 1]
            args = call_args(call)
            if not args or args[0].name is not None or args[0].star:
                continue
            ref = _type_ref(ctx, args[0].value)
            if ref is None:
                continue
            others = args[1:]
            if any(a.name not in ("non_blocking", "async") for a in others):
                continue
            dtype, cuda, spelled = ref
            receiver = chain[:i]
            recv = A.chain_text(receiver)
            tname = torch_alias(ctx) or "torch"
            device = "'cuda'"
            new_args = [f"device={device}", f"dtype={tname}.{dtype}"]
            for a in others:
                new_args.append(f"non_blocking={str(a.value).strip()}")
            new_call = f"{recv}.to({', '.join(new_args)})"
            if not cuda:
                continue  # a CPU conversion runs unchanged on 2.13
            if not A.chain_is_tensor(ctx, receiver):
                if cuda:
                    self.report(
                        node,
                        f"`{recv}.type({spelled})` converts to a CUDA type (2.13 CPU build: RuntimeError); "
                        f"for a tensor use `{new_call}`, for a module `.to(device='cuda')` (note that "
                        f"`Module.type` also casts integer buffers, `Module.to(dtype)` does not)",
                        MANUAL,
                    )
                continue
            message = (
                f"`{recv}.type({spelled})` is a legacy type conversion: use `{new_call}` "
                f"(same copy-if-needed semantics; "
                + "fails on a CPU-only build either way; prefer a `device` variable)"
            )
            self.report(
                node,
                message,
                UNSAFE,
                fix=self._fixer(node, i, new_args, tname),
                suggestion=new_call,
            )

    def _fixer(self, power: Node, i: int, new_args: list, tname: str):
        ctx = self.ctx
        name_trailer = power.children[i]
        call = power.children[i + 1]

        def fix() -> None:
            if call.parent is not power:
                return False
            name = name_trailer.children[1]
            name.replace(Leaf(token.NAME, "to", prefix=name.prefix))
            fresh = parse_expr(f"f({', '.join(new_args)})").children[1].clone()
            fresh.prefix = call.prefix
            call.replace(fresh)
            if tname == "torch":
                ensure_import(ctx.tree, "torch")
            return None

        return fix


RULE = Rule(
    id="TM009",
    name="type-checks",
    short="type check whose meaning changed when Variable and Tensor merged (0.4)",
    summary="Fix `type(x) == torch.FloatTensor` (always False), `isinstance(x, Variable)` (always "
    "True) and `x.type(torch.cuda.FloatTensor)`.",
    why="""
Since PyTorch 0.4 every tensor's Python type is `torch.Tensor` and
`Variable` is an alias kept for compatibility: `type(x) == torch.FloatTensor`
is silently always False on 2.13 and `isinstance(x, Variable)` is always
True for tensors.  `x.type(torch.cuda.FloatTensor)` still converts but fails
on CPU builds (`RuntimeError`); modern code uses `x.dtype`, `x.is_cuda` and
`x.to(device=..., dtype=...)`.  `x.type() == 'torch.FloatTensor'` and
`isinstance(x, torch.FloatTensor)` still work on 2.13 (the legacy types
check dtype and device) and are left alone.
""",
    safety=UNSAFE,
    doc="""
## What it does
- `type(x) == torch.FloatTensor` -> `x.type() == 'torch.FloatTensor'`;
  `type(x) != torch.cuda.LongTensor` -> `x.type() != 'torch.cuda.LongTensor'`
  (also `is` / `is not`, either operand order).  The type string checks
  dtype *and* device exactly as the 0.3 comparison did, evaluates `x` once,
  and still works on 2.13; `x.dtype == torch.float32` (plus `x.is_cuda`) is
  the spelled-out alternative given in the message.
- `type(x) == Variable` / `type(x) is Variable` -> `isinstance(x, torch.Tensor)`;
  `type(x) != Variable` / `is not` -> `not isinstance(x, torch.Tensor)`
  (`Variable` resolved through the imports: `torch.autograd.Variable`).
- `isinstance(x, Variable)` -> `isinstance(x, torch.Tensor)`.
- `'cuda' in str(type(p.data))` -> `p.data.is_cuda`; any other substring
  test of `str(type(t))` (`'Half' in str(type(t))`) -> `'Half' in t.type()`
  (`t.type()` is still the legacy type name), for provable tensors (`.data`,
  `.grad`, tensor expressions).
- `tp = type(param.data)` used only as a key (`buckets[tp]`, `tp in
  buckets`, `d.get(tp)`, comparisons, a loop over the keys) ->
  `tp = param.data.type()`: one key per dtype and device, as in 0.3.  When
  `tp` is also called or used as a class (`tp(...)`) it is reported.
- `x.type(torch.cuda.FloatTensor)` (or the string `'torch.cuda.FloatTensor'`)
  -> `x.to(device='cuda', dtype=torch.float32)`; `async=`/`non_blocking=`
  becomes `non_blocking=`.  Conversions to CPU types (`x.type(torch.FloatTensor)`)
  run unchanged on 2.13 and are left alone.

## Fix safety
All rewrites are **unsafe**:
- the `type(x) ==` rewrite changes what the program does *today* (from
  always-False to the check the 0.3 code meant); the branch it guards starts
  running.
- `type(x) == Variable` is always False on 2.13 (the `else` branch of
  `repackage_hidden` runs for tensors and recurses into them); the rewrite
  restores the branch, but in 0.3 this also distinguished Variables from
  plain tensors, a distinction that no longer exists: review what the branch
  did for Variables only.
- `isinstance(x, Variable)` -> `isinstance(x, torch.Tensor)` gives the same
  result on 2.13, but the 0.3 code used it to tell Variables from tensors,
  a distinction that no longer exists; the branch needs review.  A tuple that
  contains `Variable` is **manual**.
- the `str(type(...))` and `type(...)`-as-key rewrites make code that is
  silently dead (always False / one bucket) on 2.13 do what it did in 0.3:
  review the branch or the grouping that comes back to life.
- `isinstance(x.data, torch.cuda.FloatTensor)` and
  `isinstance(x, torch.FloatTensor)` are **not** rewritten: on 2.13 the legacy
  type classes check dtype and device in `isinstance` (verified), so these
  tests still mean what they meant.
- `.type(torch.cuda.T)` -> `.to(...)` is only rewritten when the receiver is
  provably a tensor; `Module.type` also casts integer buffers while
  `Module.to` does not, so any other receiver is **manual**.

## Differences from TorchFix
TorchFix does not check these forms.
""",
    examples=(
        Example(
            "import torch\nif type(x) == torch.cuda.FloatTensor:\n    print('gpu')\n",
            "import torch\nif x.type() == 'torch.cuda.FloatTensor':\n    print('gpu')\n",
            unsafe_fixes=True,
            title="type comparison",
        ),
        Example(
            "import torch\nfrom torch.autograd import Variable\n"
            "def unwrap(x):\n    if isinstance(x, Variable):\n        x = x.data\n    return x\n",
            "import torch\nfrom torch.autograd import Variable\n"
            "def unwrap(x):\n    if isinstance(x, torch.Tensor):\n        x = x.data\n    return x\n",
            unsafe_fixes=True,
            title="isinstance Variable",
        ),
        Example(
            "import torch\ny = x.data.type(torch.cuda.FloatTensor)\nok = not type(x) != torch.LongTensor\n",
            "import torch\ny = x.data.to(device='cuda', dtype=torch.float32)\n"
            "ok = not x.type() != 'torch.LongTensor'\n",
            unsafe_fixes=True,
            title="conversion and negated check",
        ),
        Example(
            "import torch\nfrom torch.autograd import Variable\n"
            "def repackage_hidden(h):\n    if type(h) == Variable:\n        return Variable(h.data)\n"
            "    else:\n        return tuple(repackage_hidden(v) for v in h)\n"
            "ok = type(x) is not torch.autograd.Variable\n",
            "import torch\nfrom torch.autograd import Variable\n"
            "def repackage_hidden(h):\n    if isinstance(h, torch.Tensor):\n        return Variable(h.data)\n"
            "    else:\n        return tuple(repackage_hidden(v) for v in h)\n"
            "ok = not isinstance(x, torch.Tensor)\n",
            unsafe_fixes=True,
            title="type(h) == Variable (always False since 0.4)",
        ),
        Example(
            "import torch\ndef groups(model):\n    buckets = {}\n    for p in model.parameters():\n"
            "        tp = type(p.data)\n        if tp not in buckets:\n            buckets[tp] = []\n"
            "        buckets[tp].append(p)\n        if 'cuda' in str(type(p.data)):\n"
            "            print('on gpu')\n    return buckets\n",
            "import torch\ndef groups(model):\n    buckets = {}\n    for p in model.parameters():\n"
            "        tp = p.data.type()\n        if tp not in buckets:\n            buckets[tp] = []\n"
            "        buckets[tp].append(p)\n        if p.data.is_cuda:\n"
            "            print('on gpu')\n    return buckets\n",
            unsafe_fixes=True,
            title="type names through .data: bucketing and str(type(...))",
        ),
        Example(
            "import torch\nt = type(x.data)\ny = t(3)\nok = isinstance(x.data, torch.cuda.FloatTensor)\n",
            None,
            findings=("manual",),
            title="a type used as a class is reported; isinstance with legacy types still works",
        ),
        Example(
            "import torch\nif type(x) is torch.DoubleTensor:\n    pass\n"
            "model.type(torch.cuda.FloatTensor)\nok = type(x) == Variable\n"
            "from torch.autograd import Variable\n",
            None,
            findings=("manual", "unsafe", "unsafe"),
            title="reported only",
        ),
        Example(
            "import torch\nok = x.type() == 'torch.cuda.FloatTensor'\nok = isinstance(x, torch.FloatTensor)\n"
            "model.type(torch.FloatTensor)\ny = x.data.type(torch.FloatTensor)\ny = x.type(dtype)\n"
            "ok = type(x) == torch.Tensor\nclass Variable:\n    pass\nok = type(x) == Variable\n"
            "ok = type(x) == type(y)\n",
            None,
            title="must not change",
        ),
    ),
    fixers=(
        TypeCompareFixer,
        IsinstanceVariableFixer,
        TypeConvertFixer,
        StrTypeFixer,
        TypeBucketFixer,
    ),
    tokens=("type(", "Variable"),
)
