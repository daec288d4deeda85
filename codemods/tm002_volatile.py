"""TM002 volatile: ``Variable(x, volatile=True)`` -> ``x`` under
``@torch.no_grad()``.

The flag is dropped (TM001 then unwraps the call) and the enclosing
inference function gets ``@torch.no_grad()``.  Functions that also train,
module-level code and ``volatile=<expression>`` are reported with guidance.
"""

from __future__ import annotations

from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Node

from codemods import analysis as A
from codemods._stmt import add_decorator, has_decorator, wrap_statements
from codemods.base import (
    MANUAL,
    SAFE,
    UNSAFE,
    Example,
    Rule,
    RuleFixer,
    call_args,
    enclosing_function,
    ensure_import,
    kwarg,
    remove_arg,
    statement_of,
    subtree_of_type,
)
from codemods.tm001_variable import variable_call_index

_NO_GRAD = {
    "torch.no_grad",
    "torch.inference_mode",
    "torch.autograd.no_grad",
    "torch.autograd.grad_mode.no_grad",
}


def _is_no_grad(ctx, expr) -> bool:
    """``torch.no_grad()`` / ``no_grad()`` / ``torch.no_grad`` (resolved)."""
    node = expr
    if node.type == syms.power and A.is_call(node.children[-1]):
        node = (
            Node(syms.power, [c.clone() for c in node.children[:-1]])
            if len(node.children) > 2
            else node.children[0]
        )
    return ctx.qualname(node) in _NO_GRAD


def _decorator_is_no_grad(ctx, dec) -> bool:
    text = "".join(str(c) for c in dec.children[1:-1]).strip()
    if text.endswith("()"):
        text = text[:-2]
    head, _, rest = text.partition(".")
    origin = ctx.imports.get(head)
    q = (origin + ("." + rest if rest else "")) if origin else text
    return q in _NO_GRAD


def in_no_grad_with(ctx, node) -> bool:
    cur = node.parent
    while cur is not None and cur.type not in (syms.funcdef, syms.classdef):
        if cur.type == syms.with_stmt:
            for item in cur.children[1:-2]:
                expr = item.children[0] if item.type == syms.with_item else item
                if item.type != token.COMMA and _is_no_grad(ctx, expr):
                    return True
        cur = cur.parent
    return False


def trains(func: Node, ctx=None) -> bool:
    """The function calls ``.backward(``, ``.step(`` or ``autograd.grad``/
    ``autograd.backward``."""
    for leaf in subtree_of_type(ctx, func, token.NAME):
        if leaf.value in ("backward", "step", "grad") and leaf.parent.type == syms.trailer:
            power = leaf.parent.parent
            idx = power.children.index(leaf.parent)
            nxt = power.children[idx + 1] if idx + 1 < len(power.children) else None
            if nxt is not None and A.is_call(nxt):
                recv = (
                    str(power.children[idx - 1] if idx > 0 else "")
                    .strip()
                    .rsplit(".", 1)[-1]
                    .lower()
                )
                if leaf.value == "step" and "env" in recv:
                    continue  # a gym environment's step, not an optimizer's
                if leaf.value != "grad" or recv == "autograd":
                    return True
        elif (
            leaf.value in ("backward", "grad")
            and leaf.parent.type == syms.power
            and leaf.parent.children[0] is leaf
        ):
            nxt = leaf.next_sibling
            if nxt is not None and A.is_call(nxt):
                return True
    return False


def _escapes(call_power: Node, func: Node) -> bool:
    """The volatile Variable itself leaves the function (returned, yielded,
    stored on an attribute): the no_grad region would not cover its uses."""
    cur = call_power
    while cur.parent is not None and cur.parent.type in _PASS_THROUGH:
        cur = cur.parent
    parent = cur.parent
    if parent is None:
        return False
    if parent.type in (syms.return_stmt, syms.yield_expr, syms.yield_arg, syms.lambdef):
        return True
    if parent.type == syms.expr_stmt and parent.children[-1] is cur and len(parent.children) == 3:
        target = parent.children[0]
        names = [leaf.value for leaf in target.leaves() if leaf.type == token.NAME]
        if target.type == syms.power:
            return True  # self.x = Variable(..., volatile=True)
        for stmt in func.pre_order():
            if stmt is not func and stmt.type in (syms.lambdef, syms.funcdef, syms.classdef):
                # a closure that reads it runs later, outside the no_grad
                # region (``return lambda: v``, a nested ``def``)
                if any(leaf.type == token.NAME and leaf.value in names for leaf in stmt.leaves()):
                    return True
            if stmt.type in (syms.return_stmt,) or stmt.type == syms.yield_expr:
                value = stmt.children[1] if len(stmt.children) > 1 else None
                if value is None:
                    continue
                if any(i.value in names for i in _value_names(value)):
                    return True
    return False


# What a value passes through unchanged on its way out of an expression: a
# parenthesis, a tuple or list display, and either branch of ``a if c else b``
# / ``a or b`` / ``a and b`` (fastai's ``return x if isinstance(x, Variable)
# else Variable(x, volatile=True)``).
_PASS_THROUGH = frozenset(
    {
        syms.atom,
        syms.testlist_gexp,
        syms.testlist_star_expr,
        syms.exprlist,
        syms.testlist,
        syms.listmaker,
        syms.dictsetmaker,
        syms.test,
        syms.or_test,
        syms.and_test,
    }
)


def _value_names(value) -> list:
    """The bare names a returned or yielded ``value`` may give back as they
    are: ``v``, ``(v, w)``, ``[v]``, ``v if c else w``, ``v or w``."""
    if value.type == token.NAME:
        return [value]
    if value.type == syms.test:  # a if c else b: the condition is not given back
        kids = value.children
        return _value_names(kids[0]) + (_value_names(kids[4]) if len(kids) > 4 else [])
    if value.type in _PASS_THROUGH:
        out: list = []
        for c in value.children:
            if c.type != token.NAME or c.value not in ("or", "and"):
                out.extend(_value_names(c))
        return out
    return []


# Calls that only prepare data: the value they give is still the input, not a
# forward pass (what ``volatile`` protected was the forward pass).
_PREP_METHODS = frozenset(
    """cuda cpu to float double half long int byte type view view_as reshape unsqueeze
    squeeze contiguous transpose permute expand expand_as index_select narrow clone
    detach t repeat pin_memory""".split()
)
_PREP_FUNCS = frozenset(
    {"torch.cat", "torch.stack", "torch.autograd.Variable", "torch.autograd.variable.Variable"}
)
_STORE_METHODS = frozenset({"append", "extend", "insert", "add", "update", "put"})


def _prep_step(ctx, node):
    """The enclosing node the value of ``node`` flows into when that is data
    preparation (a parenthesis, a list/tuple display, a data-prep method or
    function); None when the value reaches anything else."""
    parent = node.parent
    if parent is None:
        return None
    if parent.type in (syms.atom, syms.testlist_gexp, syms.listmaker):
        return parent
    if parent.type == syms.power and parent.children[0] is node:
        kids = parent.children
        i = 1
        while i + 1 < len(kids) and A.is_attr(kids[i]) and A.is_call(kids[i + 1]):
            if A.attr_name(kids[i]) not in _PREP_METHODS:
                return None
            i += 2
        return parent if i == len(kids) else None
    trailer = parent if parent.type == syms.trailer else None
    if parent.type == syms.arglist:
        trailer = parent.parent
    if trailer is not None and trailer.type == syms.trailer and A.is_call(trailer):
        power = trailer.parent
        idx = power.children.index(trailer)
        callee = power.children[:idx]
        q = A.chain_qualname(ctx, callee) if callee else None
        if q in _PREP_FUNCS or (q or "").startswith("torch.from_numpy"):
            return power if idx == len(power.children) - 1 else None
    return None


def _flow(ctx, start, scope, depth: int = 0) -> str:
    """Where the value of ``start`` (the volatile Variable) goes inside
    ``scope``: ``"forward"`` (into a call that is not data preparation),
    ``"escapes"`` (returned, yielded or stored before any such call) or
    ``"unused"``."""
    if depth > 6:
        return "forward"  # give up: assume it is used (no report)
    node = start
    while True:
        up = _prep_step(ctx, node)
        if up is None:
            break
        node = up
    parent = node.parent
    if parent is None:
        return "unused"
    if parent.type == syms.expr_stmt and parent.children[-1] is node:
        targets = parent.children[:-1:2]
        names = [t.value for t in targets if t.type == token.NAME]
        if len(names) != len(targets):
            return "escapes"  # stored on an attribute / in a container
        seen = "unused"
        for leaf in scope.leaves():
            if leaf.type != token.NAME or leaf.value not in names:
                continue
            if any(leaf is t for t in targets):
                continue
            if leaf.parent.type == syms.expr_stmt and leaf.parent.children[0] is leaf:
                continue
            where = _flow(ctx, leaf, scope, depth + 1)
            if where == "forward":
                return "forward"
            if where == "escapes":
                seen = "escapes"
        return seen
    if parent.type in (syms.return_stmt, syms.yield_expr, syms.yield_arg):
        return "escapes"
    if parent.type in (syms.trailer, syms.arglist, syms.argument):
        trailer = parent if parent.type == syms.trailer else parent.parent
        if trailer is not None and trailer.type == syms.arglist:
            trailer = trailer.parent
        prev = trailer.prev_sibling if trailer is not None else None
        if prev is not None and A.is_attr(prev) and A.attr_name(prev) in _STORE_METHODS:
            return "escapes"  # ``outputs.append(v)``: stored, not computed with
        return "forward"  # an argument of any other call: a forward pass
    return "forward"


def _vacuous(ctx, start, scope) -> bool:
    """A ``no_grad`` region over ``scope`` would cover only data preparation:
    the volatile value leaves it before any forward pass."""
    return _flow(ctx, start, scope) == "escapes"


def _stores(stmt) -> Optional[str]:
    """How a statement stores its result outside the ``with`` region: an
    attribute or subscript target, or a container method call."""
    small = stmt.children[0]
    if small.type == syms.expr_stmt:
        for target in small.children[:-1:2]:
            if target.type == syms.power:
                last = target.children[-1]
                return (
                    f"stored on `{str(target).strip()}`"
                    if A.is_attr(last)
                    else f"stored in `{str(target).strip()}`"
                )
        return None
    if small.type == syms.power:
        kids = small.children
        if len(kids) >= 3 and A.is_attr(kids[-2]) and A.attr_name(kids[-2]) in _STORE_METHODS:
            return f"stored with `.{A.attr_name(kids[-2])}(...)`"
    return None


class VolatileFixer(RuleFixer):
    PATTERN = "power"
    TRIGGERS = frozenset({"volatile"})

    def visit(self, node: Node, results: dict) -> None:
        ctx = self.ctx
        chain = A.chain_of(node)
        i = variable_call_index(ctx, chain)
        if i is None:
            return
        trailer = chain[i]
        args = call_args(trailer)
        vol = kwarg(args, "volatile")
        if vol is None:
            return
        shown = str(vol.node).strip()
        value = vol.value
        rg = kwarg(args, "requires_grad")

        def drop_flag() -> None:
            cur = kwarg(call_args(trailer), "volatile")
            if cur is not None:
                remove_arg(cur)

        if A.is_false(value):
            self.report(
                node,
                f"`{shown}` is the default and has no effect since PyTorch 0.4: drop it",
                SAFE,
                fix=drop_flag,
                suggestion="drop `volatile=False`",
            )
            return
        warn = (
            "`volatile` was removed in PyTorch 0.4 and has no effect on 2.13 (UserWarning); "
            "a graph is now built where 0.3 built none"
        )
        if not A.is_true(value):
            expr = str(value).strip()
            self.report(
                node,
                f"{warn}. `{shown}` is not a literal: drop the flag and run the forward pass under "
                f"`with torch.set_grad_enabled(not ({expr})):` (volatility spread to everything computed from it)",
                MANUAL,
            )
            return
        if rg is not None and not A.is_false(rg.value):
            self.report(
                node,
                f"{warn}. `volatile=True` with `requires_grad` raised a ValueError in 0.3; decide which one is meant",
                MANUAL,
            )
            return
        func = enclosing_function(node)
        lam = node.parent
        while lam is not None and lam is not func:
            if lam.type == syms.lambdef:
                break
            lam = lam.parent
        if func is None or (lam is not None and lam.type == syms.lambdef):
            self._region(node, trailer, warn, drop_flag, "module-level code")
            return
        if trains(func, self.ctx):
            self._region(
                node,
                trailer,
                warn,
                drop_flag,
                f"`{func.children[1].value}` also trains (backward/step)",
            )
            return
        if _escapes(node, func) or _vacuous(ctx, node, func.children[-1]):
            self.report(
                node,
                f"{warn}. The volatile Variable leaves `{func.children[1].value}` (returned or stored) "
                "before any forward pass uses it, so a `no_grad` region here would cover only data "
                "preparation: drop the flag and wrap the caller's forward pass in "
                "`with torch.no_grad():`",
                MANUAL,
            )
            return
        covered = in_no_grad_with(ctx, node) or has_decorator(
            func, lambda d: _decorator_is_no_grad(ctx, d)
        )
        name = func.children[1].value

        def fix() -> None:
            drop_flag()
            if in_no_grad_with(ctx, node):
                return
            if has_decorator(func, lambda d: _decorator_is_no_grad(ctx, d)):
                return
            add_decorator(func, "torch.no_grad()")
            root = func
            while root.parent is not None:
                root = root.parent
            ensure_import(root, "torch")

        where = (
            "it already runs under no_grad"
            if covered
            else f"decorate `{name}` with `@torch.no_grad()`"
        )
        self.report(
            node,
            f"{warn}. `{name}` never calls backward/step, so drop `volatile=True` and {where} "
            "(the whole function is the inference region)",
            SAFE,
            fix=fix,
            suggestion=f"drop `volatile=True`; @torch.no_grad() on `{name}`",
        )

    def _region(self, node, trailer, warn, drop_flag, why) -> None:
        """Module-level code or a training function: when the volatile calls
        are nested inside one statement that binds nothing volatile to a
        name, wrapping that statement in ``with torch.no_grad():`` covers the
        whole region (unsafe); otherwise manual."""
        stmt = statement_of(node)
        direct = _direct_value(node)
        ok = (
            stmt is not None
            and not direct
            and len(stmt.children) == 2
            and stmt.children[0].type in (syms.expr_stmt, syms.power)
            and stmt.parent is not None
            and stmt.parent.type in (syms.suite, syms.file_input)
        )
        ctx = self.ctx
        stored = _stores(stmt) if ok else None
        vacuous = ok and not stored and _flow(ctx, node, stmt) != "forward"
        if not ok or stored or vacuous:
            detail = ""
            if stored:
                detail = (
                    f" (its result is {stored}: it outlives a `with` block around this statement, "
                    "and later computations with it build a graph where volatility spread in 0.3)"
                )
            elif vacuous:
                detail = (
                    " (this statement only prepares data; the forward pass that `volatile` "
                    "protected happens later, so wrapping this statement alone would be vacuous)"
                )
            self.report(
                node,
                f"{warn}. {why}: drop the flag and wrap the evaluation code (every forward pass that used the "
                f"volatile input) in `with torch.no_grad():`{detail}",
                MANUAL,
            )
            return

        def fix() -> None:
            drop_flag()
            cur = statement_of(trailer)
            if cur is None or in_no_grad_with(ctx, cur):
                return
            # every volatile flag of this statement is dropped by its own fix
            # first (inner sites go first); wrap once
            for other in cur.pre_order():
                if other.type == syms.argument and str(other.children[0]).strip() == "volatile":
                    return
            wrap_statements([cur], "with torch.no_grad()")
            root = cur
            while root.parent is not None:
                root = root.parent
            ensure_import(root, "torch")

        self.report(
            node,
            f"{warn}. {why}, but the volatile input is used only inside this statement: drop the flag and "
            "wrap the statement in `with torch.no_grad():` (its results no longer require grad, as in 0.3; "
            "check that they are not used for training)",
            UNSAFE,
            fix=fix,
            suggestion="with torch.no_grad(): <statement without volatile=True>",
        )


def _direct_value(node) -> bool:
    """The volatile call is (an element of) the right-hand side of an
    assignment, so the name carries volatility to later statements."""
    cur = node
    while cur.parent is not None and cur.parent.type in (
        syms.testlist_star_expr,
        syms.exprlist,
        syms.testlist_gexp,
        syms.atom,
    ):
        cur = cur.parent
    parent = cur.parent
    return parent is not None and parent.type == syms.expr_stmt and parent.children[-1] is cur


class VolatileAttrFixer(RuleFixer):
    """Reading or setting ``.volatile``."""

    PATTERN = "trailer< '.' 'volatile' >"

    def visit(self, node: Node, results: dict) -> None:
        power = node.parent
        if power is None or power.type != syms.power:
            return
        stmt = power.parent
        setting = stmt is not None and stmt.type == syms.expr_stmt and stmt.children[0] is power
        what = "Setting" if setting else "Reading"
        self.report(
            node,
            f"{what} `.volatile`: the attribute was removed in PyTorch 0.4 (always False on 2.13, with a "
            "UserWarning); use `torch.no_grad()` regions, or `torch.is_grad_enabled()` to test",
            MANUAL,
        )


_WHY = """\
`volatile=True` marked inference Variables in PyTorch <= 0.3: nothing
computed from them built a graph.  The flag was removed in 0.4.0; on 2.13
`Variable(x, volatile=True)` only warns (`UserWarning: volatile was removed
and now has no effect. Use with torch.no_grad(): instead.`) and the forward
pass builds a graph (memory, and `.numpy()` on outputs fails).  Reading
`.volatile` gives False with a warning.
"""

_DOC = """\
## What it does
- `Variable(x, volatile=True)` inside a function that never calls
  `.backward(`, `.step(`, `autograd.grad` or `autograd.backward`: drops the
  flag (TM001 then unwraps the call to `x`) and decorates the function with
  `@torch.no_grad()` directly above `def`, below existing decorators (not
  when it already has `@torch.no_grad()` or the call is inside a
  `with torch.no_grad():` block).  `import torch` is added when needed.
- `volatile=False`: dropped.
- In module-level code or in a function that also trains, when the volatile
  calls sit inside one statement and are not bound to a name
  (`val = F.mse_loss(model(Variable(x, volatile=True)), y)`), the flag is
  dropped and that statement is wrapped in `with torch.no_grad():`.
- Reading or setting `.volatile` is reported.

## Fix safety
- **safe**: the decorated function has no backward/step, so nothing in it
  needs a graph, and volatility (which spread to everything computed from the
  input) is replaced by a region covering the whole function.
- **unsafe**: the single-statement `with torch.no_grad():` region in training
  code; its results no longer require grad, as with volatile, but check they
  are not used to train.
- **manual**: results stored on an attribute or in a container by the
  statement that would be wrapped (`self.cache = net(Variable(x,
  volatile=True))`, `outs.append(...)`: they outlive the region), a region
  that would cover only data preparation (`batch = torch.cat([Variable(a,
  volatile=True), ...])`, a function that only converts and returns its
  input: the forward pass `volatile` protected happens elsewhere),
  `volatile=<expression>` (use
  `with torch.set_grad_enabled(not flag):` around the forward pass),
  `volatile=True` bound to a name in training/module-level code (the region is
  everything that uses it), a volatile Variable returned from or stored by the
  function (the caller's forward pass needs the region), `volatile` together
  with `requires_grad`, and `.volatile` attribute use.

## Differences from TorchFix
As far as we know TorchFix does not handle `volatile` (it targets post-1.x
APIs); we add the `no_grad` region the flag used to provide.
"""

RULE = Rule(
    id="TM002",
    name="volatile",
    short="`volatile=True` has no effect since PyTorch 0.4: a graph is built",
    summary="Replace removed `volatile=True` with a `torch.no_grad()` region.",
    why=_WHY,
    safety=SAFE,
    doc=_DOC,
    examples=(
        Example(
            before=(
                "import torch\n"
                "from torch.autograd import Variable\n"
                "\n"
                "def evaluate(model, loader):\n"
                "    for x, y in loader:\n"
                "        out = model(Variable(x, volatile=True))\n"
            ),
            after=(
                "import torch\n"
                "from torch.autograd import Variable\n"
                "\n"
                "@torch.no_grad()\n"
                "def evaluate(model, loader):\n"
                "    for x, y in loader:\n"
                "        out = model(Variable(x))\n"
            ),
            title="eval function: flag dropped, function decorated",
        ),
        Example(
            before=(
                "from torch.autograd import Variable\n"
                "def get_batch(source, i, evaluation=False):\n"
                "    return Variable(source[i], volatile=evaluation)\n"
            ),
            findings=("manual",),
            title="volatile=<expression>",
        ),
        Example(
            before=(
                "from torch.autograd import Variable\n"
                "for x, y in loader:\n"
                "    loss = model(Variable(x)).sum()\n"
                "    loss.backward()\n"
                "    val = model(Variable(vx, volatile=True)).sum()\n"
            ),
            after=(
                "from torch.autograd import Variable\n"
                "import torch\n"
                "for x, y in loader:\n"
                "    loss = model(Variable(x)).sum()\n"
                "    loss.backward()\n"
                "    with torch.no_grad():\n"
                "        val = model(Variable(vx)).sum()\n"
            ),
            unsafe_fixes=True,
            title="training loop: the one statement is wrapped (unsafe)",
        ),
        Example(
            before=(
                "from torch.autograd import Variable\n"
                "x = Variable(x, volatile=True)\n"
                "out = model(x)\n"
                "if out.volatile:\n"
                "    pass\n"
            ),
            findings=("manual", "manual"),
            title="module-level name and `.volatile`",
        ),
        Example(
            before=(
                "from torch.autograd import Variable\n"
                "class Trainer(object):\n"
                "    def step(self, x, y):\n"
                "        loss = model(Variable(x)).sum()\n"
                "        loss.backward()\n"
                "        self.val_out = model(Variable(y, volatile=True))\n"
                "        self.history.append(model(Variable(y, volatile=True)))\n"
            ),
            findings=("manual", "manual"),
            unsafe_fixes=True,
            title="results stored on self or in a container: reported",
        ),
        Example(
            before=(
                "import torch\n"
                "from torch.autograd import Variable\n"
                "def to_input(batch):\n"
                "    v = Variable(torch.from_numpy(batch), volatile=True)\n"
                "    return v.cuda().unsqueeze(0)\n"
                "for x, y in loader:\n"
                "    loss = model(Variable(x)).sum()\n"
                "    loss.backward()\n"
                "    pair = torch.cat([Variable(x, volatile=True), Variable(y, volatile=True)])\n"
            ),
            findings=("manual", "manual", "manual"),
            unsafe_fixes=True,
            title="a region over data preparation only would be vacuous: reported",
        ),
        Example(
            before=(
                "from torch.autograd import Variable\ndef f(x):\n    return Variable(x, volatile=False)\n"
            ),
            after=("from torch.autograd import Variable\ndef f(x):\n    return Variable(x)\n"),
            title="volatile=False is dropped",
        ),
    ),
    fixers=(VolatileFixer, VolatileAttrFixer),
    tokens=("volatile",),
)
