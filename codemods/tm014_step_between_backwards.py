"""TM014 step-between-backwards: ``backward()`` through a graph built before an
``optimizer.step()`` that updated the graph's parameters.

0.3 optimizers updated ``p.data`` (no version counter), so a second backward
through an old graph silently used the parameters' old values; since 0.4
the in-place update is checked and the second backward raises.  Reported
(manual): the fix depends on what the code meant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms

from codemods import analysis as A
from codemods.base import MANUAL, Example, Rule, RuleFixer, call_args, name_leaves
from codemods.tm002_volatile import in_no_grad_with

_DETACHING = {"detach", "data", "item", "tolist", "numpy"}


def _chain_text(nodes) -> str:
    return "".join(str(c) for c in nodes).strip()


def _optimizer_modules(value) -> Optional[set]:
    """``optim.Adam(netD.parameters(), ...)`` -> {"netD"} (None if unknown)."""
    value = A.unparen(value)
    if value.type != syms.power:
        return None
    chain = A.chain_of(value)
    if len(chain) < 2 or not A.is_call(chain[-1]):
        return None
    head = _chain_text(chain[:-1])
    if "optim" not in head.lower() and head.split(".")[-1] not in (
        "SGD",
        "Adam",
        "RMSprop",
        "Adagrad",
        "Adadelta",
        "Adamax",
        "ASGD",
        "LBFGS",
        "AdamW",
    ):
        return None
    found: set = set()
    for node in chain[-1].pre_order():
        if node.type != syms.power:
            continue
        c = A.chain_of(node)
        for i in range(1, len(c) - 1):
            if A.is_attr(c[i], "parameters") and A.is_call(c[i + 1]):
                found.add(_chain_text(c[:i]))
    return found or None


@dataclass
class _State:
    prov: dict = field(default_factory=dict)  # name -> {(module, line)}
    steps: list = field(default_factory=list)  # (module set, line, optimizer text)


class StepBetweenBackwardsFixer(RuleFixer):
    PATTERN = None

    def visit(self, node, results) -> None:
        ctx = self.ctx
        if ".step(" not in ctx.text or "parameters(" not in ctx.text:
            return
        bodies = self._bodies(ctx)
        if not bodies:
            return
        optimizers = self._optimizers(ctx)
        if not optimizers:
            return
        modules = set().union(*optimizers.values())
        for body in bodies:
            state = _State()
            for stmt in self._statements(body):
                if in_no_grad_with(ctx, stmt):
                    continue
                self._statement(stmt, state, optimizers, modules)

    # -- structure -------------------------------------------------------------
    def _optimizers(self, ctx) -> dict:
        """optimizer text -> modules whose parameters it steps (assignments
        whose value mentions ``.parameters()``)."""
        out: dict = {}
        seen: set = set()
        for leaf in name_leaves(ctx, "parameters"):
            node = leaf.parent
            while node is not None and node.type not in (
                syms.expr_stmt,
                syms.simple_stmt,
                syms.suite,
                syms.file_input,
            ):
                node = node.parent
            if node is None or node.type != syms.expr_stmt or id(node) in seen:
                continue
            seen.add(id(node))
            if len(node.children) != 3 or node.children[1].type != token.EQUAL:
                continue
            mods = _optimizer_modules(node.children[2])
            if mods:
                out[_chain_text([node.children[0]])] = mods
        return out

    def _bodies(self, ctx) -> list:
        """The function bodies (and the module body) in which both a
        ``.backward(`` and a ``.step(`` call occur."""
        has: dict = {}
        for leaf in name_leaves(ctx, "backward", "step"):
            scope = leaf.parent
            while scope is not None and scope.type not in (syms.funcdef, syms.file_input):
                scope = scope.parent
            if scope is not None:
                has.setdefault(id(scope), (scope, set()))[1].add(leaf.value)
        out = []
        for scope, names in has.values():
            if names == {"backward", "step"}:
                out.append(scope if scope.type == syms.file_input else scope.children[-1])
        return out

    def _statements(self, body):
        """Simple statements of ``body`` in textual order, nested blocks
        included, nested functions and classes excluded."""
        out: list = []

        def walk(node) -> None:
            for child in node.children:
                if child.type in (syms.funcdef, syms.classdef, syms.decorated):
                    continue
                if child.type == syms.simple_stmt:
                    out.append(child)
                elif child.children:
                    walk(child)

        walk(body)
        return out

    # -- one statement ----------------------------------------------------------
    def _statement(self, stmt, state: _State, optimizers: dict, modules: set) -> None:
        small = stmt.children[0]
        line = stmt.get_lineno() or 0
        if (
            small.type == syms.expr_stmt
            and len(small.children) == 3
            and small.children[1].type == token.EQUAL
        ):
            target, value = small.children[0], small.children[2]
            prov = self._provenance(value, state, modules, line)
            names = [leaf.value for leaf in target.leaves() if leaf.type == token.NAME]
            if target.type in (token.NAME, syms.testlist_star_expr, syms.exprlist, syms.atom):
                for name in names:
                    state.prov[name] = set(prov)
            self._backwards(value, state, stmt)
            return
        if small.type == syms.power:
            chain = A.chain_of(small)
            if (
                len(chain) >= 3
                and A.is_attr(chain[-2], "step")
                and A.is_call(chain[-1])
                and not call_args(chain[-1])
            ):
                opt = _chain_text(chain[:-2])
                if opt in optimizers:
                    state.steps.append((optimizers[opt], line, opt))
                    return
        self._backwards(small, state, stmt)

    def _provenance(self, expr, state: _State, modules: set, line: int) -> set:
        out: set = set()
        for leaf in expr.leaves():
            if leaf.type != token.NAME:
                continue
            parent = leaf.parent
            if parent.type == syms.trailer and parent.children[0].value == ".":
                continue
            if parent.type == syms.argument and parent.children[0] is leaf:
                if len(parent.children) > 1 and parent.children[1].type == token.EQUAL:
                    continue
            if _detached(leaf):
                continue
            out |= state.prov.get(leaf.value, set())
        for node in expr.pre_order():
            if node.type != syms.power:
                continue
            chain = A.chain_of(node)
            for i in range(1, len(chain)):
                if A.is_call(chain[i]):
                    callee = _chain_text(chain[:i])
                    if callee.endswith(".forward"):
                        callee = callee[: -len(".forward")]
                    if callee in modules and not _detached_chain(chain, i):
                        out.add((callee, line))
                    break
        return out

    def _backwards(self, expr, state: _State, stmt) -> None:
        for node in expr.pre_order():
            if node.type != syms.power:
                continue
            chain = A.chain_of(node)
            for i in range(1, len(chain) - 1):
                if not (A.is_attr(chain[i], "backward") and A.is_call(chain[i + 1])):
                    continue
                receiver = chain[:i]
                line = stmt.get_lineno() or 0
                prov = self._provenance(_Chain(receiver), state, set(), line)
                self._check(node, _chain_text(receiver), prov, state, line)

    def _check(self, node, what: str, prov: set, state: _State, line: int) -> None:
        for mods, step_line, opt in state.steps:
            for module, made in sorted(prov):
                if module in mods and made < step_line <= line:
                    self.report(
                        node,
                        f"`{what}.backward()` backpropagates through a graph built by "
                        f"`{module}(...)` on line {made}, but `{opt}.step()` on line {step_line} "
                        f"updated `{module}`'s parameters in place in between: since PyTorch 0.4 "
                        "this raises `RuntimeError: one of the variables needed for gradient "
                        "computation has been modified by an inplace operation` (0.3 optimizers "
                        "updated `.data` unchecked, and these gradients used the parameters' old "
                        f"values). Recompute the `{module}(...)` output after the step, or call "
                        f"`{opt}.step()` after this backward()",
                        MANUAL,
                    )
                    return


class _Chain:
    """A chain of nodes presented as an expression (for the provenance walk)."""

    def __init__(self, nodes) -> None:
        self.nodes = nodes

    def leaves(self):
        for n in self.nodes:
            yield from n.leaves()

    def pre_order(self):
        for n in self.nodes:
            yield from n.pre_order()


def _detached(leaf) -> bool:
    """``x.detach()``, ``x.data``, ``x.item()``: no graph flows from ``x``."""
    parent = leaf.parent
    if parent is None or parent.type != syms.power or parent.children[0] is not leaf:
        return False
    return _detached_chain(A.chain_of(parent), 0)


def _detached_chain(chain, start: int) -> bool:
    for tr in chain[start + 1 :]:
        if A.is_attr(tr) and A.attr_name(tr) in _DETACHING:
            return True
    return False


RULE = Rule(
    id="TM014",
    name="step-between-backwards",
    short="backward() through a graph whose parameters an optimizer step already changed",
    summary="Report `backward()` through a graph whose parameters an `optimizer.step()` "
    "updated after the graph was built.",
    why="""
In PyTorch <= 0.3 optimizers updated `p.data`, which autograd's version
counters did not see: a GAN that called `errD.backward(retain_graph=True);
optimizerD.step(); errG.backward()` on one forward pass silently computed the
generator's gradients through the discriminator's *old* weights.  Since 0.4
the step is an in-place update autograd checks, and the second backward
raises `RuntimeError: one of the variables needed for gradient computation
has been modified by an inplace operation`.
""",
    safety=MANUAL,
    doc="""
## What it does
In each function (and the module body), statements are followed in order:
values computed by calling a module whose parameters an optimizer of this
file steps (`optimizerD = optim.Adam(netD.parameters())` makes `netD(...)`
such a call), the names bound from them (through arithmetic and further
calls; `.detach()`, `.data` and `.item()` cut the flow), the `step()` calls of
those optimizers and the `backward()` calls.  A `backward()` whose receiver
depends on a module output computed *before* a `step()` of that module's
optimizer is reported.  Statements under `torch.no_grad()` build no graph and
are skipped.

## Fix safety
Manual: recomputing the output after the step changes the numbers (0.3 used
the old weights), moving the step after both backward calls changes them
too, and keeping 0.3's numbers needs a copy of the old weights.  The message
names the module, the graph's line and the step's line.

## Differences from TorchFix
TorchFix does not analyse the order of backward and step calls.
""",
    examples=(
        Example(
            before=(
                "import torch.optim as optim\n"
                "optD = optim.Adam(netD.parameters())\n"
                "optG = optim.Adam(netG.parameters())\n"
                "def step(real, noise):\n"
                "    fake = netG(noise)\n"
                "    out_fake = netD(fake)\n"
                "    errD = crit(netD(real), ones) + crit(out_fake, zeros)\n"
                "    errD.backward(retain_graph=True)\n"
                "    optD.step()\n"
                "    errG = crit(out_fake, ones)\n"
                "    errG.backward()\n"
                "    optG.step()\n"
            ),
            findings=("manual",),
            title="the generator's loss reuses the discriminator's old graph",
        ),
        Example(
            before=(
                "import torch.optim as optim\n"
                "optD = optim.Adam(netD.parameters())\n"
                "optG = optim.Adam(netG.parameters())\n"
                "def step(real, noise):\n"
                "    fake = netG(noise)\n"
                "    errD = crit(netD(real), ones) + crit(netD(fake.detach()), zeros)\n"
                "    errD.backward()\n"
                "    optD.step()\n"
                "    errG = crit(netD(fake), ones)\n"
                "    errG.backward()\n"
                "    optG.step()\n"
            ),
            title="must not change: the DCGAN order recomputes netD(fake) after the step",
        ),
        Example(
            before=(
                "import torch\n"
                "model = Net()\n"
                "opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
                "for x, y in loader:\n"
                "    out = model(x)\n"
                "    loss = crit(out, y)\n"
                "    loss.backward(retain_graph=True)\n"
                "    opt.step()\n"
                "    with torch.no_grad():\n"
                "        val = model(x)\n"
                "    reg = out.detach().pow(2).mean()\n"
                "    (loss * 0.5).backward()\n"
            ),
            findings=("manual",),
            title="a second backward through the same loss after the step",
        ),
    ),
    fixers=(StepBetweenBackwardsFixer,),
    tokens=(".backward(",),
)
