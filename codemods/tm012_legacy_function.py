"""TM012 legacy-autograd-function: old-style ``autograd.Function`` subclasses
(non-static ``forward(self, ...)``) -> new-style static ``forward(ctx, ...)``
/ ``backward(ctx, ...)`` with ``F.apply(...)`` call sites.

Output style: ``@staticmethod`` goes on its own line directly above ``def``;
``self`` becomes ``ctx`` (``self.saved_variables`` -> ``ctx.saved_tensors``);
``__init__`` arguments are appended to ``forward``'s parameters, their
``self.k = expr`` stores become ``ctx.k = expr`` at the top of ``forward``,
``backward`` returns one extra ``None`` per moved argument, and
``F(a, b)(x)`` becomes ``F.apply(x, a, b)``.  The class and every call site
in the file change together, or nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods._stmt import trailing_dedents
from codemods._tm1common import is_call_trailer, is_dot_trailer, literal, name_role
from codemods.base import (
    MANUAL,
    UNSAFE,
    Example,
    Rule,
    RuleFixer,
    call_args,
    dotted_name,
    indentation_of,
    parse_expr,
    parse_stmts,
)

BASES = {"torch.autograd.Function", "torch.autograd.function.Function"}
CTX_API = {
    "save_for_backward",
    "saved_tensors",
    "saved_variables",
    "needs_input_grad",
    "mark_dirty",
    "mark_non_differentiable",
    "set_materialize_grads",
}
SAFE_NAMES = {
    "True",
    "False",
    "None",
    "float",
    "int",
    "bool",
    "abs",
    "min",
    "max",
    "tuple",
    "list",
    "len",
}


class Unconvertible(Exception):
    pass


@dataclass
class Plan:
    cls: Node
    forward: Node
    backward: Node
    init: Optional[Node]
    init_params: list  # [(name, default text or None)]
    stores: list  # [(attr, value node)]
    calls: list = field(default_factory=list)  # [(power node, ctor trailer, input trailer)]


def _methods(suite) -> dict:
    out = {}
    for child in suite.children:
        node = child
        if node.type == syms.decorated:
            node = node.children[-1]
        if node.type == syms.funcdef:
            out[node.children[1].value] = (child, node)
    return out


def _params(funcdef) -> list:
    """[(name, default text or None)] of a def, or raise for *args/**kw/annotations."""
    params = funcdef.children[2]
    if len(params.children) == 2:
        return []
    inner = params.children[1]
    items = inner.children if inner.type == syms.typedargslist else [inner]
    out = []
    i = 0
    while i < len(items):
        item = items[i]
        if item.type == token.COMMA:
            i += 1
            continue
        if item.type in (token.STAR, token.DOUBLESTAR) or item.type == syms.tname:
            raise Unconvertible("it takes *args/**kwargs or annotated parameters")
        if item.type != token.NAME:
            raise Unconvertible("its parameters are not plain names")
        default = None
        if i + 1 < len(items) and items[i + 1].type == token.EQUAL:
            default = str(items[i + 2]).strip()
            i += 2
        out.append((item.value, default))
        i += 1
    return out


def _body_stmts(funcdef) -> list:
    suite = funcdef.children[-1]
    if suite.type != syms.suite:
        return [suite]
    return [c for c in suite.children if c.type not in (token.NEWLINE, token.INDENT, token.DEDENT)]


def _is_docstring(stmt) -> bool:
    return stmt.type == syms.simple_stmt and stmt.children[0].type == token.STRING


def _is_super_init(stmt, cls_name) -> bool:
    text = str(stmt).strip().replace(" ", "")
    return text in (
        "super().__init__()",
        f"super({cls_name},self).__init__()",
        "Function.__init__(self)",
        "torch.autograd.Function.__init__(self)",
        "autograd.Function.__init__(self)",
    )


def _analyze_init(init, cls_name):
    if init is None:
        return [], []
    params = _params(init)
    if not params or params[0][0] != "self":
        raise Unconvertible("`__init__` does not take `self` first")
    params = params[1:]
    names = {p for p, _ in params}
    for _p, default in params:
        if default is not None and not _is_literal_text(default):
            raise Unconvertible("an `__init__` default is not a literal")
    stores = []
    for stmt in _body_stmts(init):
        if _is_docstring(stmt) or _is_super_init(stmt, cls_name):
            continue
        if (
            stmt.type == syms.simple_stmt
            and len(stmt.children) == 2
            and stmt.children[0].type == syms.expr_stmt
        ):
            es = stmt.children[0]
            kids = es.children
            if (
                len(kids) == 3
                and kids[1].type == token.EQUAL
                and kids[0].type == syms.power
                and len(kids[0].children) == 2
                and kids[0].children[0].type == token.NAME
                and kids[0].children[0].value == "self"
                and is_dot_trailer(kids[0].children[1])
            ):
                value = kids[2]
                for leaf in value.leaves():
                    if leaf.type == token.NAME and name_role(leaf) == "ref":
                        if leaf.value not in names and leaf.value not in SAFE_NAMES:
                            raise Unconvertible(
                                f"`__init__` stores an expression using `{leaf.value}`, not only its arguments"
                            )
                stores.append((kids[0].children[1].children[1].value, value))
                continue
        raise Unconvertible(
            f"`__init__` does more than store its arguments (`{str(stmt).strip()}`)"
        )
    return params, stores


def _is_literal_text(text: str) -> bool:
    try:
        node = parse_expr(text)
    except Exception:  # noqa: BLE001
        return False
    from codemods._tm1common import UNKNOWN

    return literal(node) is not UNKNOWN


def _self_uses(funcdef, allowed_attrs, ctx_taken_ok=False):
    """Check every ``self`` in a method is ``self.<attr>`` with a known attr."""
    for leaf in funcdef.leaves():
        if leaf.type != token.NAME:
            continue
        if leaf.value == "ctx" and name_role(leaf) in ("ref", "bind"):
            raise Unconvertible(f"`{funcdef.children[1].value}` already uses the name `ctx`")
        if leaf.value != "self" or name_role(leaf) != "ref":
            continue
        if leaf.parent.type in (syms.parameters, syms.typedargslist):
            continue
        nxt = leaf.next_sibling
        if nxt is None or not is_dot_trailer(nxt):
            raise Unconvertible(
                f"`{funcdef.children[1].value}` uses `self` other than as `self.<attribute>`"
            )
        attr = nxt.children[1].value
        if attr not in allowed_attrs and attr not in CTX_API:
            raise Unconvertible(
                f"`{funcdef.children[1].value}` reads `self.{attr}`, which is neither an `__init__` "
                "argument nor set in forward"
            )


def _forward_attrs(forward) -> set:
    out = set()
    for node in forward.pre_order():
        if node.type == syms.power and len(node.children) == 2:
            kids = node.children
            if kids[0].type == token.NAME and kids[0].value == "self" and is_dot_trailer(kids[1]):
                parent = node.parent
                if parent.type == syms.expr_stmt and parent.children[0] is node:
                    out.add(kids[1].children[1].value)
    return out


def _returns(funcdef) -> list:
    out = []
    for node in funcdef.pre_order():
        if node.type == syms.return_stmt:
            # skip returns of nested functions / lambdas
            cur = node.parent
            nested = False
            while cur is not funcdef:
                if cur.type in (syms.funcdef, syms.lambdef):
                    nested = True
                    break
                cur = cur.parent
            if not nested:
                out.append(node)
    return out


def analyze(ctx, cls) -> Plan:
    name = cls.children[1].value
    suite = cls.children[-1]
    methods = _methods(suite)
    fwd = methods.get("forward")
    bwd = methods.get("backward")
    if fwd is None or bwd is None:
        raise Unconvertible("it does not define both forward and backward")
    others = [m for m in methods if m not in ("forward", "backward", "__init__")]
    if others:
        raise Unconvertible(
            f"it defines other methods ({', '.join(others)}) that would need `self`"
        )
    for m in ("forward", "backward"):
        if methods[m][0].type == syms.decorated:
            raise Unconvertible(f"`{m}` is decorated")
    for child in suite.children:
        if child.type == syms.simple_stmt and not _is_docstring(child):
            raise Unconvertible("the class body has class attributes")
    init = methods.get("__init__", (None, None))[1]
    init_params, stores = _analyze_init(init, name)
    fparams = _params(fwd[1])
    bparams = _params(bwd[1])
    if not fparams or fparams[0][0] != "self" or not bparams or bparams[0][0] != "self":
        raise Unconvertible("forward/backward do not take `self` first")
    fnames = {p for p, _ in fparams[1:]}
    clash = fnames & {p for p, _ in init_params}
    if clash:
        raise Unconvertible(
            f"an `__init__` argument has the same name as a forward input ({', '.join(sorted(clash))})"
        )
    if init_params and any(d is not None for _, d in fparams[1:]):
        raise Unconvertible("forward has default values and `__init__` arguments would follow them")
    allowed = {a for a, _ in stores} | _forward_attrs(fwd[1])
    _self_uses(fwd[1], allowed)
    _self_uses(bwd[1], allowed)
    if init_params:
        for ret in _returns(bwd[1]):
            if len(ret.children) < 2:
                raise Unconvertible("backward has a bare `return`")
            value = ret.children[1]
            n_inputs = len(fparams) - 1
            is_tuple = _is_tuple_atom(value) or any(c.type == token.COMMA for c in value.children)
            if not is_tuple and n_inputs > 1:
                raise Unconvertible(
                    f"backward returns `{str(value).strip()}`, whose length cannot be extended statically"
                )
    plan = Plan(cls, fwd[1], bwd[1], init, init_params, stores)
    plan.calls = _call_sites(ctx, cls, name, init_params, len(fparams) - 1, init)
    return plan


def _is_tuple_atom(node) -> bool:
    return (
        node.type == syms.atom
        and node.children[0].value == "("
        and len(node.children) == 3
        and node.children[1].type == syms.testlist_gexp
        and any(c.type == token.COMMA for c in node.children[1].children)
    )


def _call_sites(ctx, cls, name, init_params, n_inputs, init=None) -> list:
    calls = []
    skip = {id(leaf) for leaf in init.leaves()} if init is not None else set()
    for leaf in ctx.tree.leaves():
        if (
            leaf.type != token.NAME
            or leaf.value != name
            or leaf is cls.children[1]
            or id(leaf) in skip
        ):
            continue
        role = name_role(leaf)
        if role in ("attr", "kwarg"):
            continue
        where = f"line {leaf.get_lineno()}"
        if role != "ref":
            raise Unconvertible(f"the name `{name}` is re-bound or imported ({where})")
        power = leaf.parent
        if (
            power.type != syms.power
            or power.children[0] is not leaf
            or len(power.children) < 3
            or not is_call_trailer(power.children[1])
            or not is_call_trailer(power.children[2])
        ):
            raise Unconvertible(
                f"`{name}` is used other than as `{name}(...)(inputs)` ({where}): e.g. an instance "
                "kept in a variable or attribute, which cannot be tracked"
            )
        ctor, inp = power.children[1], power.children[2]
        cargs = call_args(ctor)
        iargs = call_args(inp)
        if any(a.star for a in cargs) or any(a.star or a.name for a in iargs):
            raise Unconvertible(f"a call of `{name}` unpacks or names its arguments ({where})")
        values = {}
        pos = [a for a in cargs if a.name is None]
        if len(pos) > len(init_params):
            raise Unconvertible(
                f"`{name}(...)` gets more arguments than `__init__` takes ({where})"
            )
        for (pname, _d), a in zip(init_params, pos):
            values[pname] = str(a.value).strip()
        for a in cargs:
            if a.name is not None:
                if a.name not in {p for p, _ in init_params} or a.name in values:
                    raise Unconvertible(
                        f"`{name}(...)` gets an unknown keyword `{a.name}` ({where})"
                    )
                values[a.name] = str(a.value).strip()
        # pass the given arguments positionally; trailing omitted ones keep forward's defaults
        given = [i for i, (p, _d) in enumerate(init_params) if p in values]
        upto = given[-1] + 1 if given else 0
        for pname, default in init_params[:upto]:
            if pname not in values:
                values[pname] = default
        for pname, default in init_params[upto:]:
            if default is None:
                raise Unconvertible(f"`{name}(...)` misses the argument `{pname}` ({where})")
        if len(iargs) != n_inputs:
            raise Unconvertible(
                f"`{name}(...)(...)` passes {len(iargs)} inputs, forward takes {n_inputs} ({where})"
            )
        moved_args = [values[p] for p, _ in init_params[:upto]]
        calls.append((power, [str(a.value).strip() for a in iargs] + moved_args))
    return calls


# --------------------------------------------------------------------------
def apply_plan(plan: Plan) -> None:
    name = plan.cls.children[1].value
    moved = [p for p, _ in plan.init_params]
    # call sites first (they are outside the class, or at least not in forward/backward)
    for power, args in plan.calls:
        new = parse_expr(f"{name}.apply({', '.join(args)})")
        kids = [c.clone() for c in new.children]
        kids[0].prefix = power.children[0].prefix
        for _ in range(3):
            power.children[0].remove()
        for i, kid in enumerate(kids):
            power.insert_child(i, kid)
    # backward: extra Nones
    if moved:
        nones = ", ".join(["None"] * len(moved))
        for ret in _returns(plan.backward):
            value = ret.children[1]
            if _is_tuple_atom(value):
                inner = value.children[1]
                text = str(inner).rstrip().rstrip(",")
                new = parse_expr(f"({text.strip()}, {nones})")
            else:
                text = str(value).strip().rstrip(",")
                new = parse_expr(f"{text}, {nones}")
            new.prefix = value.prefix
            value.replace(new)
    _rename_self(plan.backward, saved_fix=True)
    _rename_self(plan.forward, saved_fix=True)
    # forward: ctx stores at the top, moved parameters at the end
    body = _body_stmts(plan.forward)
    if plan.stores:
        first = body[0]
        idx_stmt = 1 if _is_docstring(first) and len(body) > 1 else 0
        anchor = body[idx_stmt]
        indent = indentation_of(anchor)
        lines = "".join(f"ctx.{attr} = {str(value).strip()}\n" for attr, value in plan.stores)
        new_stmts = parse_stmts(lines)
        suite = anchor.parent
        pos = suite.children.index(anchor)
        anchor_prefix = anchor.prefix
        for j, st in enumerate(new_stmts):
            st.prefix = anchor_prefix if j == 0 else indent
            suite.insert_child(pos + j, st)
        anchor.prefix = indent
    if moved:
        params = plan.forward.children[2]
        inner = str(params)[1:-1].rstrip().rstrip(",")
        signature = ", ".join(p if d is None else f"{p}={d}" for p, d in plan.init_params)
        new_params = parse_stmts(f"def f({inner}, {signature}): pass\n")[0].children[2]
        new_params.remove()
        new_params.prefix = params.prefix
        params.replace(new_params)
    # remove __init__
    if plan.init is not None:
        _remove_stmt(plan.init)
    _decorate(plan.forward)
    _decorate(plan.backward)


def _rename_self(funcdef, saved_fix: bool) -> None:
    for leaf in list(funcdef.leaves()):
        if leaf.type == token.NAME and leaf.value == "self" and name_role(leaf) in ("ref", "bind"):
            leaf.value = "ctx"
            nxt = leaf.next_sibling
            if (
                saved_fix
                and nxt is not None
                and is_dot_trailer(nxt)
                and nxt.children[1].value == "saved_variables"
            ):
                nxt.children[1].value = "saved_tensors"


def _remove_stmt(funcdef) -> None:
    # the text after a block is held by the DEDENTs that close it -- the
    # first of them when blocks nested in the function close with it
    trailing = "".join(d.prefix for d in trailing_dedents(funcdef))
    nxt = funcdef.next_sibling
    own = funcdef.prefix
    funcdef.remove()
    if nxt is not None and nxt.type not in (token.DEDENT,):
        carried = trailing.lstrip("\n").lstrip(" \t")
        nxt.prefix = own + carried + nxt.prefix


def _decorate(funcdef) -> None:
    indent = indentation_of(funcdef)
    prefix = funcdef.prefix
    deco = Node(
        syms.decorator,
        [Leaf(token.AT, "@"), Leaf(token.NAME, "staticmethod"), Leaf(token.NEWLINE, "\n")],
    )
    parent = funcdef.parent
    idx = parent.children.index(funcdef)
    funcdef.remove()
    funcdef.prefix = indent
    deco.prefix = prefix
    parent.insert_child(idx, Node(syms.decorated, [deco, funcdef]))


# --------------------------------------------------------------------------
class LegacyFunctionFixer(RuleFixer):
    PATTERN = "classdef< 'class' NAME '(' base=any ')' ':' any >"
    TRIGGERS = frozenset({"Function"})

    def visit(self, node, results) -> None:
        base = results["base"]
        if dotted_name(base) is None or self.ctx.qualname(base) not in BASES:
            return
        methods = _methods(node.children[-1])
        fwd = methods.get("forward")
        if fwd is None or fwd[0].type == syms.decorated:
            return  # new style (static forward) or not a Function at all
        fparams = fwd[1].children[2]
        if "self" not in str(fparams):
            return
        name = node.children[1].value
        ctx = self.ctx
        try:
            plan = analyze(ctx, node)
        except Unconvertible as exc:
            self.report(
                node.children[1],
                f"legacy autograd.Function `{name}` (non-static forward; an error since 1.5) cannot "
                f"be converted automatically: {exc}. Rewrite it by hand: `@staticmethod def "
                "forward(ctx, inputs..., hyperparams...)`, `@staticmethod def backward(ctx, grads...)` "
                "returning one extra `None` per hyperparameter, `self.` -> `ctx.`, and call it as "
                f"`{name}.apply(inputs..., hyperparams...)`",
                MANUAL,
            )
            return
        if not plan.calls:
            self.report(
                node.children[1],
                f"legacy autograd.Function `{name}` (non-static forward; an error since 1.5) has no "
                "call site in this file, so its callers elsewhere cannot be converted with it: "
                "convert the class to static forward(ctx, ...)/backward(ctx, ...) and every "
                f"`{name}(args)(x)` to `{name}.apply(x, args)` together",
                MANUAL,
            )
            return
        moved = [p for p, _ in plan.init_params]
        extra = (
            f"; `__init__` arguments ({', '.join(moved)}) move to forward's end and backward returns "
            f"{len(moved)} extra None"
            if moved
            else ""
        )

        def fix(node=node, ctx=ctx):
            apply_plan(analyze(ctx, node))

        self.report(
            node.children[1],
            f"legacy autograd.Function `{name}` (non-static forward raises since 1.5): converted to "
            f"static forward(ctx, ...)/backward(ctx, ...) with `self.` -> `ctx.` and "
            f"{len(plan.calls)} call site(s) -> `{name}.apply(...)`{extra}; review that no other "
            "file instantiates it",
            UNSAFE,
            fix=fix,
            suggestion=f"{name}.apply(...)",
        )


RULE = Rule(
    id="TM012",
    name="legacy-autograd-function",
    short="old-style autograd.Function (non-static forward raises since 1.5)",
    summary="Convert old-style autograd.Function classes to static forward/backward with `.apply`",
    why=(
        "New-style autograd Functions (static `forward(ctx, ...)`/`backward(ctx, ...)`, called "
        "through `F.apply(...)`) arrived in 0.2.0. The legacy form (`forward(self, ...)`, "
        "instantiated per call as `F(args)(x)`) warned from 1.2/1.3 and is an error since 1.5: "
        "2.13 raises `RuntimeError: Legacy autograd function with non-static forward method is "
        "deprecated. Please use new-style autograd function with static forward method.`"
    ),
    safety=UNSAFE,
    doc="""
## What it does
For `class F(Function)` (the base resolved through the imports to
`torch.autograd.Function`) whose `forward` is a plain method taking `self`:
- `forward(self, x)` -> `@staticmethod forward(ctx, x, *init_args)`,
  `backward(self, g)` -> `@staticmethod backward(ctx, g)`;
- `self.save_for_backward`, `self.saved_tensors` (and `self.saved_variables` ->
  `ctx.saved_tensors`), `self.needs_input_grad`, `self.mark_dirty`, ... and every
  `self.k` -> `ctx.k`;
- `__init__(self, a, b)` that only stores (expressions of) its arguments
  (`self.a = a`, `self.scale = float(b)`, plus at most a `super().__init__()`) is removed:
  its arguments are appended to `forward`'s parameters, the stores become `ctx.a = a` at
  the top of `forward`, and every `return` of `backward` gets one `None` per moved
  argument (`return g` -> `return g, None`);
- every call site in the file `F(a, b)(x)` -> `F.apply(x, a, b)` (keyword and default
  constructor arguments are placed positionally).

## Fix safety
Unsafe (REVIEW): the conversion is mechanical, but the class may be used from other
files (which must change the same way) and a person should check gradients. The class
and all its call sites in the file change together, or nothing changes. Reported
without a fix (manual), with the reason:
- a use of the class other than `F(args)(inputs)` (an instance kept in a variable or
  attribute and called later, `isinstance`, subclassing, re-binding);
- no call site in the file (the callers live elsewhere);
- `forward`/`backward` with `*args`/`**kwargs`, a bare `self`, `self.attr` that is neither
  an `__init__` argument nor set in `forward`, other methods or class attributes;
- an `__init__` that does more than store its arguments;
- a `backward` return whose arity cannot be extended (`return grads` with several
  inputs), or a bare `return`.

## Differences from TorchFix
TorchFix does not convert legacy autograd Functions.
""",
    examples=(
        Example(
            before=(
                "import torch\n"
                "from torch.autograd import Function\n"
                "\n"
                "class ScaledReLU(Function):\n"
                "    def __init__(self, scale):\n"
                "        super(ScaledReLU, self).__init__()\n"
                "        self.scale = scale\n"
                "\n"
                "    def forward(self, input):\n"
                "        self.save_for_backward(input)\n"
                "        return input.clamp(min=0) * self.scale\n"
                "\n"
                "    def backward(self, grad_output):\n"
                "        input, = self.saved_variables\n"
                "        grad = grad_output.clone() * self.scale\n"
                "        grad[input < 0] = 0\n"
                "        return grad\n"
                "\n"
                "def act(x):\n"
                "    return ScaledReLU(2.0)(x)\n"
            ),
            after=(
                "import torch\n"
                "from torch.autograd import Function\n"
                "\n"
                "class ScaledReLU(Function):\n"
                "    @staticmethod\n"
                "    def forward(ctx, input, scale):\n"
                "        ctx.scale = scale\n"
                "        ctx.save_for_backward(input)\n"
                "        return input.clamp(min=0) * ctx.scale\n"
                "\n"
                "    @staticmethod\n"
                "    def backward(ctx, grad_output):\n"
                "        input, = ctx.saved_tensors\n"
                "        grad = grad_output.clone() * ctx.scale\n"
                "        grad[input < 0] = 0\n"
                "        return grad, None\n"
                "\n"
                "def act(x):\n"
                "    return ScaledReLU.apply(x, 2.0)\n"
            ),
            unsafe_fixes=True,
            title="hyperparameter moved from __init__ to forward (with --unsafe-fixes)",
        ),
        Example(
            before=(
                "import torch.autograd as autograd\n"
                "class Mul(autograd.Function):\n"
                "    def forward(self, a, b):\n"
                "        self.save_for_backward(a, b)\n"
                "        return a * b\n"
                "    def backward(self, g):\n"
                "        a, b = self.saved_tensors\n"
                "        return g * b, g * a\n"
                "y = Mul()(u, v)\n"
            ),
            findings=("unsafe",),
            title="reported without --unsafe-fixes",
        ),
        Example(
            before=(
                "import torch.autograd as autograd\n"
                "class Mul(autograd.Function):\n"
                "    def forward(self, a, b):\n"
                "        self.save_for_backward(a, b)\n"
                "        return a * b\n"
                "    def backward(self, g):\n"
                "        a, b = self.saved_tensors\n"
                "        return g * b, g * a\n"
                "y = Mul()(u, v)\n"
            ),
            after=(
                "import torch.autograd as autograd\n"
                "class Mul(autograd.Function):\n"
                "    @staticmethod\n"
                "    def forward(ctx, a, b):\n"
                "        ctx.save_for_backward(a, b)\n"
                "        return a * b\n"
                "    @staticmethod\n"
                "    def backward(ctx, g):\n"
                "        a, b = ctx.saved_tensors\n"
                "        return g * b, g * a\n"
                "y = Mul.apply(u, v)\n"
            ),
            unsafe_fixes=True,
            title="two inputs, no __init__ (with --unsafe-fixes)",
        ),
        Example(
            before=(
                "from torch.autograd import Function\n"
                "class Clip(Function):\n"
                "    def __init__(self, lo):\n"
                "        self.lo = lo\n"
                "    def forward(self, x):\n"
                "        return x.clamp(min=self.lo)\n"
                "    def backward(self, g):\n"
                "        return g\n"
                "clip = Clip(0.0)\n"
                "y = clip(x)\n"
            ),
            findings=("manual",),
            title="an instance kept in a variable: reported",
        ),
        Example(
            before=(
                "import torch\n"
                "class Exp(torch.autograd.Function):\n"
                "    @staticmethod\n"
                "    def forward(ctx, x):\n"
                "        y = x.exp()\n"
                "        ctx.save_for_backward(y)\n"
                "        return y\n"
                "    @staticmethod\n"
                "    def backward(ctx, g):\n"
                "        y, = ctx.saved_tensors\n"
                "        return g * y\n"
                "class Function(object):\n"
                "    pass\n"
                "class Mine(Function):\n"
                "    def forward(self, x):\n"
                "        return x\n"
            ),
            title="new-style Functions and an unrelated `Function` class",
        ),
    ),
    fixers=(LegacyFunctionFixer,),
    tokens=("Function",),
)
