"""TM004 dot-data: ``x.data`` -> ``x.detach()`` for reads; in-place
updates through ``.data`` move into ``with torch.no_grad():``."""

from __future__ import annotations

import re
from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods import _dotdata as D
from codemods import analysis as A
from codemods._stmt import drop_self_assignment, keep_alignment, wrap_statements
from codemods.analysis import values as V
from codemods.base import (
    MANUAL,
    SAFE,
    UNSAFE,
    Example,
    Rule,
    RuleFixer,
    enclosing_function,
    ensure_import,
    statement_of,
)
from codemods.tm002_volatile import in_no_grad_with


def replace_data(trailer: Node, plain: bool):
    """``.data`` -> ``.detach()`` (or nothing for plain data); returns the
    expression that now stands where the ``.data`` chain was."""
    power = trailer.parent
    if plain:
        trailer.remove()
        if len(power.children) == 1:
            only = power.children[0]
            prefix = power.prefix
            only.remove()
            only.prefix = prefix
            power.replace(only)
            return only
        return power
    idx = power.children.index(trailer)
    trailer.remove()
    power.insert_child(idx, Node(syms.trailer, [Leaf(token.DOT, "."), Leaf(token.NAME, "detach")]))
    power.insert_child(idx + 1, Node(syms.trailer, [Leaf(token.LPAR, "("), Leaf(token.RPAR, ")")]))
    return power


def _unit_here(ctx, stmt) -> bool:
    """The statement is an in-place update that TM004 wraps (or leaves as
    weight init)."""
    if stmt is None:
        return False
    unit = D.inplace_unit(stmt)
    if unit is None:
        return False
    kind, _ = D.classify(ctx, unit.recv)
    return kind != D.OTHER


class DataReadFixer(RuleFixer):
    PATTERN = "trailer< '.' 'data' >"

    def visit(self, node: Node, results: dict) -> None:
        ctx = self.ctx
        site = D.site_of(node)
        if site is None or D.owner(site) != "TM004":
            return
        stmt = statement_of(node)
        if _unit_here(ctx, stmt):
            return
        power = site.power
        parent = power.parent
        # ``p.data = t``: assignment to .data
        if (
            not site.after
            and len(power.children) == site.index + 1
            and parent is not None
            and parent.type == syms.expr_stmt
            and parent.children[0] is power
            and len(parent.children) == 3
            and parent.children[1].type == token.EQUAL
        ):
            kind, _ = D.classify(ctx, site.recv)
            if kind in (D.OTHER,) or A.receiver_is_other_by_name(site.recv):
                return
            if kind in (D.UNKNOWN, D.PLAIN):
                return  # plain data has no graph to go behind the back of
            recv = D.text_of(site.recv)
            value = str(parent.children[2]).strip()
            self.report(
                node,
                f"assignment to `{recv}.data` can change the tensor's shape/dtype/device behind autograd's back; "
                f"if the shape and dtype match use `with torch.no_grad(): {recv}.copy_({value})`, otherwise "
                "rebuild the parameter",
                MANUAL,
            )
            return
        kind, _val = D.classify(ctx, site.recv)
        if kind == D.OTHER:
            return
        if _init_argument(ctx, site):
            return  # ``nn.init.xavier_uniform(m.weight.data)``: weight init, left alone
        recv = D.text_of(site.recv)
        after = site.after
        inplace_method = (
            after and A.is_attr(after[0]) and A.attr_of(after[0]) in D.INPLACE_OK | V._INIT_INPLACE
        )
        # ``w.data[a:b].view_as(t).copy_(t)``: an in-place method on a view
        deep = None if inplace_method else D.inplace_after(after)
        if inplace_method or deep:
            if kind == D.UNKNOWN:
                return
            method = A.attr_of(after[0]) if inplace_method else deep[1]
            if (
                method in D.INIT_METHODS
                and A.is_attr(site.recv[-1])
                and A.attr_of(site.recv[-1]) in ("weight", "bias")
            ):
                return  # ``m.weight.data.normal_(0, 0.02)`` in an expression: weight init
            if deep and method in D.INIT_METHODS and _in_init_function(node):
                return  # weight init (``reset_parameters``): left alone
            if kind == D.PLAIN:
                if not D.drop_data(kind, site.recv):
                    return
                msg = (
                    f"`{recv}` is plain data (no graph), so the in-place `{method}` through "
                    f"`{recv}.data` is the same as on `{recv}` itself: drop `.data`"
                )

                def fix_plain() -> None:
                    if node.parent is not site.power:
                        return False
                    aligned = keep_alignment(node)
                    replace_data(node, True)
                    aligned()
                    return None

                self.report(node, msg, SAFE, fix=fix_plain, suggestion=f"{recv}.{method}(...)")
                return
            if deep:
                shown = D.text_of(site.recv + [site.trailer] + after[: deep[0] + 1])
                self.report(
                    node,
                    f"in-place `{method}` on a view of `{recv}.data` (`{shown}`) writes `{recv}` "
                    "behind autograd's version counter; `.detach()` would not (a backward through a "
                    f"graph that saved `{recv}` would raise instead of using stale values): rewrite "
                    "the update under `with torch.no_grad():` without `.data`",
                    MANUAL,
                )
                return
            self.report(
                node,
                f"in-place `{method}` through `{recv}.data` inside an expression bypasses autograd's "
                f"version counter; move the update into its own statement under `with torch.no_grad():`",
                MANUAL,
            )
            return
        if kind == D.UNKNOWN and not D.tensor_evidence(site):
            return  # no evidence that this is a tensor's .data: stay silent
        drop = D.drop_data(kind, site.recv)
        if drop:
            new, safety = recv, SAFE
            why = f"`{recv}` is plain data (no grad), so `.data` is the tensor itself"
        elif kind in (D.PLAIN, D.TENSOR):
            new, safety = f"{recv}.detach()", SAFE
            why = f"`{recv}` is a tensor and the value is only read"
            alias, update = _updated_alias(ctx, site)
            callee = _inplace_callee(ctx, site)
            if callee is not None:
                safety = UNSAFE
                why = (
                    f"`{recv}.data` is passed to `{callee}`, which by its trailing underscore "
                    f"updates its argument in place: through `.detach()` the update shares "
                    f"`{recv}`'s version counter, so a backward through a graph that saved "
                    f"`{recv}` raises where `.data` used stale values"
                )
            elif update is not None:
                safety = UNSAFE
                why = (
                    f"`{alias}` holds `{recv}.data` and is updated in place "
                    f"(`{str(update).strip().splitlines()[0]}`): through `.detach()` the update "
                    f"shares `{recv}`'s version counter, so a backward through a graph that saved "
                    f"`{recv}` raises where `.data` used stale values"
                )
        else:
            new, safety = f"{recv}.detach()", UNSAFE
            why = (
                f"`{recv}` is not provably a tensor; if it is a PackedSequence, a dataset or an object with a "
                "`data` field, keep `.data`"
            )
        msg = f"`{recv}.data` is a legacy alias that hides autograd: use `{new}` ({why})"
        plain = drop

        def fix() -> None:
            if node.parent is not site.power:
                return False
            aligned = keep_alignment(node)
            new = replace_data(node, plain)
            aligned()
            drop_self_assignment(new)
            return None

        self.report(node, msg, safety, fix=fix, suggestion=new)


class InplaceFixer(RuleFixer):
    """Runs of in-place updates through ``.data`` -> one no_grad block."""

    PATTERN = "simple_stmt"
    TRIGGERS = frozenset({"data"})

    def visit(self, node: Node, results: dict) -> None:
        ctx = self.ctx
        unit = self._unit(node)  # (None unless the statement has a `.data`)
        if unit is None:
            return
        prev = node.prev_sibling
        if prev is not None and self._unit(prev) is not None and not _suppressed(prev):
            return  # not the first of its run
        run = [unit]
        nxt = node.next_sibling
        while nxt is not None and not _suppressed(nxt):
            u = self._unit(nxt)
            if u is None:
                break
            run.append(u)
            nxt = nxt.next_sibling
        inside = in_no_grad_with(ctx, node)
        texts = [D.text_of(u.recv) for u in run]
        if all(D.classify(ctx, u.recv)[0] == D.PLAIN and D.drop_data(D.PLAIN, u.recv) for u in run):
            lines = "; ".join(str(u.stmt).strip().split("\n")[0] for u in run)

            def fix_plain() -> None:
                stmts = [u.stmt for u in run]
                if any(s.parent is None for s in stmts):
                    return False
                for u, t in zip(run, texts):
                    D.strip_data(u.stmt, t)
                return None

            self.report(
                node,
                f"in-place update through `.data` of plain data ({lines}): `{', '.join(texts)}` "
                "has no graph, so the update is the same without `.data` (no `no_grad` needed)",
                SAFE,
                fix=fix_plain,
                suggestion=lines.replace(".data", ""),
            )
            return
        lines = "; ".join(str(u.stmt).strip().split("\n")[0] for u in run)
        where = (
            "drop `.data` (already under no_grad)"
            if inside
            else "wrap in `with torch.no_grad():` without `.data`"
        )
        msg = (
            f"in-place update through `.data` ({lines}) bypasses autograd's version counter (stale gradients if "
            f"the tensor was already used in a graph): {where}; `.grad.data` becomes `.grad` (unsafe: an "
            "error is raised instead if the tensor is still needed by backward)"
        )

        def fix() -> None:
            stmts = [u.stmt for u in run]
            if any(s.parent is None for s in stmts):
                return False
            for u, t in zip(run, texts):
                D.strip_data(u.stmt, t)
            if not in_no_grad_with(ctx, stmts[0]):
                root = wrap_statements(stmts, "with torch.no_grad()")
                while root.parent is not None:
                    root = root.parent
                ensure_import(root, "torch")
            return None

        self.report(
            node,
            msg,
            UNSAFE,
            fix=fix,
            suggestion="with torch.no_grad(): " + lines.replace(".data", ""),
        )

    def _unit(self, stmt):
        if stmt.type != syms.simple_stmt:
            return None
        unit = D.inplace_unit(stmt)
        if unit is None:
            return None
        kind, _ = D.classify(self.ctx, unit.recv)
        if kind == D.OTHER:
            return None
        if D.is_init_context(self.ctx, unit):
            return None
        return unit


def _in_init_function(node) -> bool:
    func = enclosing_function(node)
    return func is not None and bool(D._INIT_FUNC.search(func.children[1].value))


def _updated_alias(ctx, site) -> tuple:
    """``g = p.grad.data`` followed, in the same function, by an in-place
    update of ``g`` (``g.clamp_(..)``, ``g[i] = 0``): (``g``, that
    statement); else (None, None).  ``g = p.data.view(d, -1)`` (or any other
    view, or a method that may return the tensor itself: see
    :data:`_dotdata.VIEW_OR_SELF`) is such an alias too: SRU's
    ``w = self.weight.data.view(...)`` then ``w[:, :, 1].mul_(0.5)``."""
    if not _view_trailers(site.after):
        return None, None
    power = site.power
    value = power
    # through parentheses (``w = (p.data\n     .view(-1))``) and tuple displays
    # (``w, n = p.data.view(-1), 3``: every name the statement binds counts)
    while value.parent is not None and value.parent.type in (
        syms.atom,
        syms.testlist_star_expr,
        syms.testlist,
        syms.testlist_gexp,
    ):
        value = value.parent
    stmt = value.parent
    if stmt is not None and stmt.type == syms.annassign:  # w: T = p.data.view(-1)
        if stmt.children[-1] is not value:
            return None, None
        targets = [stmt.parent.children[0]]
    elif (
        stmt is not None
        and stmt.type == syms.expr_stmt
        and stmt.children[-1] is value
        and len(stmt.children) >= 3
        and all(c.type == token.EQUAL for c in stmt.children[1::2])
    ):
        targets = stmt.children[:-1:2]  # w = v = p.data.view(-1)
    else:
        return None, None
    names = [
        leaf.value
        for t in targets
        for leaf in t.leaves()
        # the target itself, or an item of a tuple/list target (not the base
        # of ``buf[i] = p.data``: that copies into buf, it aliases nothing)
        if leaf.type == token.NAME and (leaf is t or leaf.parent.type in _TARGET_LISTS)
    ]
    scope = enclosing_function(power) or ctx.tree
    for name in dict.fromkeys(names):
        hit = D.inplace_uses(scope, name)
        if hit is not None:
            return name, hit
    return (names[0] if names else None), None


_TARGET_LISTS = frozenset(
    {syms.testlist_star_expr, syms.exprlist, syms.testlist, syms.atom, syms.testlist_gexp}
)


def _view_trailers(after: list) -> bool:
    """Do the trailers ``after`` (what follows ``.data``) leave a tensor that
    may share ``.data``'s storage: nothing, indexing, or calls or attributes
    of :data:`_dotdata.VIEW_OR_SELF` only?"""
    j = 0
    while j < len(after):
        tr = after[j]
        if A.is_index(tr):
            j += 1
            continue
        if not A.is_attr(tr) or A.attr_of(tr) not in D.VIEW_OR_SELF:
            return False
        j += 2 if j + 1 < len(after) and A.is_call(after[j + 1]) else 1
    return True


# a project's own initialiser (allennlp's ``block_orthogonal(w.data, ...)``)
_INIT_CALLEE = re.compile(r"init|orthogonal|uniform|normal|xavier|kaiming|glorot|constant|fill_")
_LIBRARIES = {"torch", "numpy", "np", "math", "scipy", "random", "builtins", "sklearn"}


def _argument_of(ctx, site) -> Optional[tuple]:
    """(qualified name or None, last name or None, called by a bare name,
    is the first argument) of the call the ``.data`` chain is a whole
    argument of, else None."""
    if site.after or len(site.power.children) != site.index + 1:
        return None
    parent = site.power.parent
    trailer = parent if parent is not None and parent.type == syms.trailer else None
    if parent is not None and parent.type == syms.arglist:
        trailer = parent.parent
    if trailer is None or trailer.type != syms.trailer or trailer.children[0].value != "(":
        return None
    callee = trailer.parent
    idx = callee.children.index(trailer)
    if idx == 0:
        return None
    q = A.chain_qualname(ctx, callee.children[:idx])
    last = callee.children[idx - 1]
    name = last.value if last.type == token.NAME else A.attr_of(last)
    first = trailer.children[1] is site.power or (
        parent.type == syms.arglist and parent.children[0] is site.power
    )
    return q, name, idx == 1, first


def _init_argument(ctx, site) -> bool:
    """``nn.init.xavier_uniform(m.weight.data)``: the ``.data`` chain is an
    argument of a ``torch.nn.init`` function (an in-place initialiser), or
    of a function of the project's that its name says initialises
    (``block_orthogonal(w.data, ...)``, ``init_weights(p.data)``)."""
    hit = _argument_of(ctx, site)
    if hit is None:
        return False
    q, name = hit[:2]
    if q and q.startswith("torch.nn.init."):
        return True
    if q and q.split(".")[0] in _LIBRARIES:
        return False
    return bool(name and _INIT_CALLEE.search(name.lower()))


def _inplace_callee(ctx, site) -> Optional[str]:
    """The name of the function the ``.data`` chain is the first argument of
    when the name says, by PyTorch's trailing-underscore convention, that it
    updates that argument in place (fairseq's ``utils.clip_grad_norm_(
    p.grad.data, ...)``)."""
    hit = _argument_of(ctx, site)
    if hit is None:
        return None
    q, name, bare, first = hit
    # a function (a bare name, or one of an imported module), not a method:
    # ``exp_avg.add_(p.grad.data)`` updates ``exp_avg`` and reads its argument
    if not first or not (bare or q):
        return None
    if name and name.endswith("_") and not name.startswith("__"):
        return name
    return None


def _suppressed(stmt) -> bool:
    return "torchmigrate: ignore" in str(stmt)


_WHY = """\
`.data` predates the 0.4 Tensor/Variable merge: it returns the same storage
with `requires_grad=False` and *without* autograd's version counter.  It was
never formally deprecated and is silent on 2.13, but reads are spelled
`.detach()` today and in-place updates belong under `torch.no_grad()`
(an in-place op through `.data` on a tensor already used in a graph gives
silently stale gradients).
"""

_DOC = """\
## What it does
- Reads: `out.data.max(1)[1]` -> `out.detach().max(1)[1]`; `sample.data`
  -> `sample.detach()`; `target.data` -> `target` when `target` is plain data
  (a loader batch has no graph, so `.data` is the tensor itself -- we prefer
  the shorter form over `target.detach()`).
- In-place updates through `.data` as whole statements (`p.data.add_(...)`,
  `w.data -= lr * w.grad.data`, `w.grad.data.zero_()`, `p.data[i] = v`) are
  rewritten without `.data` inside `with torch.no_grad():`; `.grad.data`
  there becomes `.grad`.  Consecutive such statements share one block.  In a
  loop the statements are wrapped, not the loop: the loop header keeps its
  meaning and the diff stays minimal.
- Weight initialisation (`m.weight.data.normal_(0, 0.02)`, `.fill_`,
  `.zero_()`, `.copy_` in an init/`weights_init`/`reset_parameters` function,
  or on `.weight.data`/`.bias.data` outside training code) behaves the same
  and is left alone, silently.
- `p.data = t` is reported (it may change shape/dtype).
- An in-place method on a view of `.data` (`w.data[a:b].view_as(t).copy_(t)`,
  `g.data._values().mul_(c)`: indexing, views and conversions that may
  return the tensor itself, then a `*_` method) writes the tensor: it is
  reported (`manual`), or left alone as weight initialisation (an init
  method in an `init`/`reset` function or on `.weight`/`.bias`).  A `.data`
  passed to the project's own initialiser (`block_orthogonal(w.data, ...)`,
  a function whose name says init/orthogonal/uniform/normal/...) is left
  alone like an argument of `torch.nn.init`.
- `x.data[0]` is TM003's, `.data.numpy()` chains are TM007's,
  `Variable(x.data)` is TM001's.

## Fix safety
- **safe** reads when the receiver is provably a tensor: bound from
  `Variable(...)`, a model/criterion call, a `torch.*` factory or function,
  tensor-method chains, `.grad`/`.weight`/`.bias`, a parameter loop
  variable; or provably plain data (then `.data` is dropped).
- **unsafe** when a name bound to `x.data` is updated in place later in the
  function (`g = p.grad.data; g.clamp_(-1, 1)`), or `x.data` is passed to a
  function whose trailing underscore says it updates its argument in place
  (`utils.clip_grad_norm_(p.grad.data, 1.0)`): not a read; through
  `.detach()` the update shares `x`'s version counter, so a backward through
  a graph that saved `x` raises where `.data` used stale values.
- **unsafe** reads when the receiver is unknown but the value is used like a
  tensor (`.max(`, `.cpu()`, `.view(` ...): a PackedSequence or an object
  with a `data` field would break.  Unknown receivers without such evidence
  are not reported; `torch.utils.data`, `dataset.data`, `self.data`,
  `args.data`, namedtuple batches and `PackedSequence.data` are never
  touched.
- **unsafe** for the no_grad rewrite of in-place updates: where `.data`
  silently gave stale gradients, the rewrite raises
  `one of the variables needed for gradient computation has been modified by
  an inplace operation`.
- **safe** for in-place updates of *plain data* (a loader batch, a name
  bound only to plain tensors): there is no graph, so `target.data.copy_(x)`
  is `target.copy_(x)` -- no `no_grad` block; also inside expressions.
- **manual**: assignments to `.data` of a tensor that may require grad,
  in-place ops through `.data` inside larger expressions on such tensors.
  Assignments to `.data` of plain data are not reported (no graph to go
  behind the back of).
- Weight initialisation is left alone and not reported, wherever it is
  spelled: `m.weight.data.normal_(0, 0.02)` statements in init code,
  `w = m.weight.data.uniform_(-r, r)` expressions, and `.data` passed to the
  in-place `torch.nn.init.*` functions (`nn.init.xavier_uniform_(m.weight.data)`:
  an in-place write, not a read, so it is not turned into `.detach()`).

## Differences from TorchFix
As far as we know TorchFix does not rewrite `.data`; we only touch
receivers known to be tensors and never `torch.utils.data`, datasets or
PackedSequence.
"""

RULE = Rule(
    id="TM004",
    name="dot-data",
    short="`.data` hides the value from autograd: `.detach()` or `torch.no_grad()`",
    summary="Replace `.data` with `.detach()` for reads and `torch.no_grad()` for in-place updates.",
    why=_WHY,
    safety=SAFE,
    doc=_DOC,
    examples=(
        Example(
            before=(
                "import torch.nn as nn\n"
                "def weights_init(m):\n"
                "    nn.init.xavier_uniform_(m.weight.data)\n"
                "    w = m.bias.data.zero_()\n"
                "def train(loader):\n"
                "    for data, target in loader:\n"
                "        target.data.copy_(data)\n"
                "        data.data = data.float()\n"
            ),
            after=(
                "import torch.nn as nn\n"
                "def weights_init(m):\n"
                "    nn.init.xavier_uniform_(m.weight.data)\n"
                "    w = m.bias.data.zero_()\n"
                "def train(loader):\n"
                "    for data, target in loader:\n"
                "        target.copy_(data)\n"
                "        data.data = data.float()\n"
            ),
            title="weight init is left alone; plain data needs no no_grad",
        ),
        Example(
            before=(
                "import torch.nn as nn\n"
                "model = nn.Linear(4, 2)\n"
                "def test(loader):\n"
                "    for data, target in loader:\n"
                "        output = model(data)\n"
                "        pred = output.data.max(1)[1]\n"
                "        correct = pred.eq(target.data).sum()\n"
            ),
            after=(
                "import torch.nn as nn\n"
                "model = nn.Linear(4, 2)\n"
                "def test(loader):\n"
                "    for data, target in loader:\n"
                "        output = model(data)\n"
                "        pred = output.detach().max(1)[1]\n"
                "        correct = pred.eq(target).sum()\n"
            ),
            title="reads: model output detached, plain batch unwrapped",
        ),
        Example(
            before=(
                "import torch\n"
                "for t in range(10):\n"
                "    loss.backward()\n"
                "    w.data -= lr * w.grad.data\n"
                "    w.grad.data.zero_()\n"
                "    print(t)\n"
            ),
            after=(
                "import torch\n"
                "for t in range(10):\n"
                "    loss.backward()\n"
                "    with torch.no_grad():\n"
                "        w -= lr * w.grad\n"
                "        w.grad.zero_()\n"
                "    print(t)\n"
            ),
            unsafe_fixes=True,
            title="manual SGD step (unsafe) with --unsafe-fixes",
        ),
        Example(
            before=("for p in model.parameters():\n    p.data.add_(-lr, p.grad.data)\n"),
            findings=("unsafe",),
            title="in-place update reported without --unsafe-fixes",
        ),
        Example(
            before=(
                "def weights_init(m):\n"
                "    m.weight.data.normal_(0.0, 0.02)\n"
                "    m.bias.data.fill_(0)\n"
                "n = len(train_set.data)\n"
                "x = args.data\n"
                "packed = pack_padded_sequence(x, lengths)\n"
                "y = packed.data.max()\n"
                "def f(thing):\n"
                "    return thing.data\n"
            ),
            title="weight init, datasets, args, PackedSequence, unknown receivers",
        ),
        Example(
            before=("def f(out):\n    return out.data.max(1)[1]\n"),
            findings=("unsafe",),
            title="unknown receiver used like a tensor",
        ),
        Example(
            before=(
                "import torch\nw = torch.nn.Parameter(torch.zeros(3))\nw.data = torch.ones(4)\n"
            ),
            findings=("manual",),
            title="assignment to .data",
        ),
        Example(
            before=(
                "import torch\n"
                "from mylib.initializers import block_orthogonal\n"
                "class Highway(torch.nn.Module):\n"
                "    def reset_parameters(self):\n"
                "        self.weight.data[0:4].view_as(self.eye).copy_(self.eye)\n"
                "        block_orthogonal(self.weight.data, [2, 2])\n"
                "def clip_sparse(params, coef):\n"
                "    for p in params:\n"
                "        p.grad.data._values().mul_(coef)\n"
            ),
            findings=("manual",),
            title="in-place writes through views of .data, the project's own initialisers",
        ),
        Example(
            before=(
                "from fairseq import utils\n"
                "def clipped_step(params, lr):\n"
                "    for p in params:\n"
                "        grad = p.grad.data\n"
                "        grad.clamp_(-1, 1)\n"
                "        utils.clip_grad_norm_(p.grad.data, 1.0)\n"
                "        p.data.add_(grad, alpha=-lr)\n"
            ),
            findings=("unsafe", "unsafe", "unsafe"),
            title="an alias of .data updated in place, or .data passed to an in-place function, is not a read (unsafe)",
        ),
    ),
    fixers=(DataReadFixer, InplaceFixer),
    prefilter=lambda text: "data" in text,
)
