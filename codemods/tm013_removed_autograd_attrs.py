"""TM013 removed-autograd-attrs: ``.creator`` -> ``.grad_fn``,
``.previous_functions`` -> ``.next_functions``, ``.reinforce()`` (flagged)."""

from __future__ import annotations

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf

from codemods import analysis as A
from codemods.base import MANUAL, SAFE, UNSAFE, Example, Rule, RuleFixer

_RENAMES = {"creator": "grad_fn", "previous_functions": "next_functions"}
_GRAPH_ATTRS = {"creator", "grad_fn", "previous_functions", "next_functions"}


def _is_store(power) -> bool:
    """``obj.creator = ...`` / ``del obj.creator``: the code owns the attribute."""
    parent = power.parent
    if parent is None:
        return False
    if parent.type == syms.expr_stmt:
        kids = parent.children
        return any(k is power for k in kids[:-1]) and len(kids) >= 3
    return parent.type == syms.del_stmt


def _own_attributes(ctx) -> set:
    """Attribute names the file assigns itself (``self.creator = x``) or
    defines as methods (``def reinforce``)."""
    key = "tm013.own"
    res = ctx.cache.get(key)
    if res is None:
        res = set()
        for node in ctx.tree.pre_order():
            if node.type == syms.power and _is_store(node):
                last = node.children[-1]
                if A.is_attr(last):
                    res.add(A.attr_name(last))
            elif node.type == syms.funcdef:
                res.add(node.children[1].value)
        ctx.cache[key] = res
    return res


def _graph_chain(chain: list) -> bool:
    """``x.grad_fn``, ``x.creator.previous_functions[0][0]``: autograd graph."""
    return any(A.attr_name(t) in _GRAPH_ATTRS for t in chain[1:] if A.is_attr(t))


class RemovedAttrFixer(RuleFixer):
    PATTERN = "trailer< '.' name=NAME >"

    def visit(self, node, results) -> None:
        ctx = self.ctx
        name = results["name"]
        if name.value not in ("creator", "previous_functions", "reinforce"):
            return
        power = node.parent
        if power is None or power.type != syms.power:
            return
        kids = power.children
        idx = kids.index(node)
        receiver = kids[:idx]
        if any(k.type == token.DOUBLESTAR for k in receiver):
            return
        attr = name.value
        recv_text = A.chain_text(receiver)
        evidence = A.chain_is_tensor(ctx, receiver)
        own = _own_attributes(ctx)
        if attr == "reinforce":
            called = idx + 1 < len(kids) and A.is_call(kids[idx + 1])
            if not called or (not evidence and "reinforce" in own):
                return
            self.report(
                node,
                f"`{recv_text}.reinforce(reward)` was removed in PyTorch 0.3 (2.13: RuntimeError "
                "'reinforce() was removed'); rewrite with torch.distributions: "
                "`m = Categorical(probs); action = m.sample(); loss = -(m.log_prob(action) * reward).sum(); "
                "loss.backward()`",
                MANUAL,
            )
            return
        if idx == len(kids) - 1 and _is_store(power):
            return
        new_attr = _RENAMES[attr]
        if attr == "previous_functions":
            evidence = evidence or _graph_chain(receiver)
        if not evidence and attr in own:
            return  # the file's own attribute of that name
        if evidence:
            safety = SAFE
            why = (
                f"`{recv_text}` is a tensor"
                if attr == "creator"
                else f"`{recv_text}` is an autograd node"
            )
        else:
            safety = UNSAFE
            why = (
                f"`{recv_text}` is not provably a tensor/autograd node; `{attr}` may be an "
                "attribute of another object"
            )
        message = (
            f"`.{attr}` was renamed `.{new_attr}` in PyTorch 0.2 and is an AttributeError "
            f"now ({why})"
        )

        def fix() -> None:
            name.replace(Leaf(token.NAME, new_attr, prefix=name.prefix))

        self.report(node, message, safety, fix=fix, suggestion=f"{recv_text}.{new_attr}")


RULE = Rule(
    id="TM013",
    name="removed-autograd-attrs",
    short="removed autograd attribute (`.creator`, `.previous_functions`, `.reinforce()`)",
    summary="`.creator` -> `.grad_fn`, `.previous_functions` -> `.next_functions`; flag `.reinforce()`.",
    why="""
PyTorch 0.2 renamed the autograd graph attributes `Variable.creator` to
`grad_fn` and `Function.previous_functions` to `next_functions`; the old
names are AttributeErrors now.  Stochastic functions' `.reinforce(reward)`
was removed in 0.3 (2.13: `RuntimeError: reinforce() was removed`); the
replacement is `torch.distributions` and the score-function estimator.
""",
    safety=SAFE,
    doc="""
## What it does
Renames `x.creator` to `x.grad_fn` and `fn.previous_functions` to
`fn.next_functions` (both keep their structure: a node, and a tuple of
`(node, index)` pairs).  Reports `.reinforce(...)` calls with the
`torch.distributions` rewrite to apply by hand.

## Fix safety
**Safe** when the receiver is provably a tensor (`.data`, a torch factory
result, a name bound from one, a name that `.backward()` is called on) or,
for `.previous_functions`, an autograd node reached through
`.creator`/`.grad_fn`.  `creator` is a common attribute name outside
PyTorch, so other receivers are **unsafe**, and the rule stays silent when
the file itself assigns an attribute of that name (`self.creator = ...`) and
the receiver is not a tensor.  `.reinforce()` is **manual**: the stochastic
node API has no mechanical replacement; use
`m = Categorical(probs); action = m.sample(); loss = -(m.log_prob(action) * reward).sum()`.

## Differences from TorchFix
TorchFix has no rule for these attributes.
""",
    examples=(
        Example(
            "loss = criterion(out, y)\nloss.backward()\nprint(loss.creator)\n",
            "loss = criterion(out, y)\nloss.backward()\nprint(loss.grad_fn)\n",
            title="receiver is a loss",
        ),
        Example(
            "import torch\nx = torch.randn(3)\nfn = x.creator\nnxt = x.creator.previous_functions[0][0]\n",
            "import torch\nx = torch.randn(3)\nfn = x.grad_fn\nnxt = x.grad_fn.next_functions[0][0]\n",
            title="graph walk",
        ),
        Example(
            "def walk(v):\n    return v.creator\n",
            "def walk(v):\n    return v.grad_fn\n",
            unsafe_fixes=True,
            title="unknown receiver (unsafe)",
        ),
        Example(
            "action = probs.multinomial()\naction.reinforce(reward)\n",
            None,
            findings=("manual",),
            title="reinforce",
        ),
        Example(
            "class Doc:\n    def __init__(self, who):\n        self.creator = who\n"
            "print(doc.creator)\nagent.reinforce\n",
            None,
            title="must not change",
        ),
    ),
    fixers=(RemovedAttrFixer,),
    tokens=("creator", "previous_functions", "reinforce"),
)
