"""TM005 deprecated-scalar-overloads: ``add_(Number, Tensor)`` and friends.

``p.data.add_(-lr, p.grad.data)`` -> ``p.data.add_(p.grad.data, alpha=-lr)``;
``addcmul_(v, t1, t2)`` -> ``addcmul_(t1, t2, value=v)``;
``torch.add(x, a, y)`` -> ``torch.add(x, y, alpha=a)``;
``addmm(beta, M, alpha, a, b)`` -> ``addmm(M, a, b, beta=beta, alpha=alpha)``.

Arguments keep their slots (and so their spacing and line breaks): only the
order of the values changes and the moved scalars gain their keyword.
"""

from __future__ import annotations

from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods import analysis as A
from codemods.base import SAFE, UNSAFE, Example, Rule, RuleFixer, call_args

# method name -> {number of positional args: (new order, keywords)}
# new order lists the indices of the positional arguments that stay
# positional; keywords maps keyword -> index of the moved scalar.
_ADD = {2: ((1,), (("alpha", 0),))}
_ADDC = {3: ((1, 2), (("value", 0),))}
_ADDMM = {
    4: ((2, 3), (("beta", 0), ("alpha", 1))),
    3: ((1, 2), (("beta", 0),)),
}
_METHODS = {
    "add": _ADD,
    "add_": _ADD,
    "sub": _ADD,
    "sub_": _ADD,
    "addcmul": _ADDC,
    "addcmul_": _ADDC,
    "addcdiv": _ADDC,
    "addcdiv_": _ADDC,
}
for _n in ("addmm", "addmv", "addr", "addbmm", "baddbmm"):
    _METHODS[_n] = _ADDMM
    _METHODS[_n + "_"] = _ADDMM

_FUNCS = {
    "torch.add": {3: ((0, 2), (("alpha", 1),))},
    "torch.sub": {3: ((0, 2), (("alpha", 1),))},
    "torch.addcmul": {4: ((0, 2, 3), (("value", 1),))},
    "torch.addcdiv": {4: ((0, 2, 3), (("value", 1),))},
}
for _n in ("addmm", "addmv", "addr", "addbmm", "baddbmm"):
    _FUNCS["torch." + _n] = {
        5: ((1, 3, 4), (("beta", 0), ("alpha", 2))),
        4: ((1, 2, 3), (("beta", 0),)),
    }

# names that only tensors have (a receiver of unknown type is still a tensor)
_TENSOR_ONLY = {m for m in _METHODS if m not in ("add", "add_", "sub", "sub_")}


class ScalarOverloadFixer(RuleFixer):
    PATTERN = "power< any trailer+ >"

    def visit(self, node: Node, results: dict) -> None:
        ctx = self.ctx
        chain = A.chain_of(node)
        for i in range(1, len(chain) - 1):
            tr, call = chain[i], chain[i + 1]
            if not (A.is_attr(tr) and A.is_call(call)):
                continue
            meth = A.attr_name(tr)
            if meth not in _METHODS:
                continue
            qual = A.chain_qualname(ctx, chain[: i + 1])
            if qual is not None:
                if qual in _FUNCS:
                    self._site(node, call, qual, _FUNCS[qual], None, function=True)
                continue  # numpy.add, operator.add, ...
            self._site(node, call, meth, _METHODS[meth], chain[:i], function=False)

    def _site(
        self,
        power: Node,
        call: Node,
        name: str,
        spec: dict,
        receiver: Optional[list],
        function: bool,
    ) -> None:
        ctx = self.ctx
        args = call_args(call)
        if any(a.star for a in args):
            return
        positional = [a for a in args if a.name is None]
        extra = [a for a in args if a.name is not None]
        if any(a.name != "out" for a in extra) or (extra and not function):
            return
        if args[: len(positional)] != positional:
            return
        form = spec.get(len(positional))
        if form is None:
            return
        order, kws = form
        scalars = [positional[idx].value for _, idx in kws]
        provable = all(A.is_number(ctx, s) for s in scalars)
        short = name.rsplit(".", 1)[-1]
        if function:
            evidence = True
        elif receiver is not None and A.chain_is_tensor(ctx, receiver):
            evidence = True
        else:
            evidence = short in _TENSOR_ONLY
        if not evidence:
            # ``meter.add(value, n)``: only a tensor-looking operand tells us
            # that this is torch's overload
            others = [positional[idx].value for idx in order]
            if not (provable and any(A.is_tensor(ctx, o) for o in others)):
                return
        new_items = [(None, positional[idx].value) for idx in order] + [
            (kw, positional[idx].value) for kw, idx in kws
        ]
        new_call = short + "(" + ", ".join(_item_text(k, v) for k, v in new_items) + ")"
        old_call = short + "(" + ", ".join(str(a.value).strip() for a in positional) + ")"
        if extra:
            new_call = new_call[:-1] + ", " + ", ".join(str(a.node).strip() for a in extra) + ")"
            old_call = old_call[:-1] + ", " + ", ".join(str(a.node).strip() for a in extra) + ")"
        scalar_txt = ", ".join(f"`{str(s).strip()}`" for s in scalars)
        deprecated = f"deprecated scalar-first overload of `{short}` (warns since PyTorch 1.5)"
        if provable and evidence:
            safety = SAFE
            why = f"{scalar_txt} {'is a number' if len(scalars) == 1 else 'are numbers'}, so the keyword form is identical"
        else:
            safety = UNSAFE
            reasons = []
            if not provable:
                unknown = [f"`{str(s).strip()}`" for s in scalars if not A.is_number(ctx, s)]
                reasons.append(
                    f"{', '.join(unknown)} is not provably a Python number (a function parameter, "
                    "a dict/argparse value or an unpacked tuple can hold anything); if it is a "
                    "tensor this is not the scalar overload"
                )
            if not evidence:
                reasons.append("the receiver is not provably a tensor")
            why = "; ".join(reasons)
        message = f"`{old_call}` uses the {deprecated}: use `{new_call}` ({why})"

        def fix() -> None:
            cur = [a for a in call_args(call) if a.name is None]
            if len(cur) != len(positional):
                return False
            clones = [(k, cur[idx].value.clone()) for k, idx in _items(order, kws)]
            slots = [a.node for a in cur]
            for slot, (kw, value) in zip(slots, clones):
                value.prefix = ""
                if kw is None:
                    new = value
                else:
                    new = Node(syms.argument, [Leaf(token.NAME, kw), Leaf(token.EQUAL, "="), value])
                new.prefix = slot.prefix
                slot.replace(new)
            return None

        self.report(power, message, safety, fix=fix, suggestion=new_call)


def _items(order: tuple, kws: tuple) -> list:
    return [(None, idx) for idx in order] + [(kw, idx) for kw, idx in kws]


def _item_text(kw: Optional[str], value) -> str:
    text = str(value).strip()
    return text if kw is None else f"{kw}={text}"


RULE = Rule(
    id="TM005",
    name="deprecated-scalar-overloads",
    short="deprecated scalar-first overload (warns since PyTorch 1.5)",
    summary="Move the leading scalar of `add_(a, t)`, `addcmul_(v, t1, t2)`, `addmm(beta, M, alpha, a, b)` into `alpha=`/`value=`/`beta=`.",
    why="""
PyTorch before 0.4 spelled scaled updates with the scalar first:
`add_(alpha, other)`, `addcmul_(value, t1, t2)`, `addmm(beta, M, alpha, m1, m2)`.
These overloads were deprecated in 1.5 in favour of keyword arguments
(`add_(other, alpha=...)`); PyTorch 2.13 still runs them but warns
`This overload of add_ is deprecated: add_(Number alpha, Tensor other)`, and
they are slated for removal.
""",
    safety=SAFE,
    doc="""
## What it does
Rewrites the deprecated scalar-first overloads to their keyword forms:

| legacy | modern |
|---|---|
| `t.add_(a, other)` / `sub_` / `add` / `sub` | `t.add_(other, alpha=a)` |
| `t.addcmul_(v, t1, t2)` / `addcdiv_` | `t.addcmul_(t1, t2, value=v)` |
| `torch.add(x, a, y)` / `torch.sub` | `torch.add(x, y, alpha=a)` |
| `torch.addcmul(x, v, t1, t2)` | `torch.addcmul(x, t1, t2, value=v)` |
| `torch.addmm(beta, M, alpha, a, b)` | `torch.addmm(M, a, b, beta=beta, alpha=alpha)` |
| `torch.addmm(beta, M, a, b)` | `torch.addmm(M, a, b, beta=beta)` |
| `M.addmm_(beta, alpha, a, b)` / `M.addmm_(beta, a, b)` | `M.addmm_(a, b, beta=beta, alpha=alpha)` / `M.addmm_(a, b, beta=beta)` |

The same holds for `addmv`, `addr`, `addbmm` and `baddbmm` (function and
method forms). Argument slots keep their spacing and line breaks.

## Fix safety
The rewrite is **safe** when every moved scalar is provably a Python number
(a numeric literal, `-x`, arithmetic of numbers, `float(...)`, `math.*(...)`,
or a name that every assignment in its scope binds to such a value, e.g.
`beta1, beta2 = 0.9, 0.999`) and the receiver is provably a tensor (`.data`,
`.grad`, the result of an in-place op or of a torch factory, a parameter
loop variable) or the method exists only on tensors (`addcmul_`, `addmm`, ...).

It is **unsafe** when the scalar cannot be proven a number: a function
parameter (`lr`), `group['lr']`, an `argparse` value (`args.lr`), a value
unpacked from a non-literal (`beta1, beta2 = group['betas']`).  In 2.13 the
two-positional form only accepts a number there, so the rewrite is right
whenever the code runs, but a reader should confirm the value is a scalar.
`add`/`sub` calls on receivers that are not provably tensors (e.g. a
metric's `meter.add(value, n)`) are left alone unless the other operand is
clearly a tensor, and then they are unsafe.

Calls with the modern shape (`add_(t)`, `add_(t, alpha=a)`) never match.

## Differences from TorchFix
TorchFix does not rewrite these overloads.  We classify each site by what
can be proven about the scalar rather than by its spelling.
""",
    examples=(
        Example(
            "for p in model.parameters():\n    p.data.add_(-0.01, p.grad.data)\n",
            "for p in model.parameters():\n    p.data.add_(p.grad.data, alpha=-0.01)\n",
            title="literal learning rate",
        ),
        Example(
            "beta1, beta2 = 0.9, 0.999\nexp_avg.mul_(beta1).add_(1 - beta1, grad)\n"
            "exp_avg_sq.mul_(beta2).addcmul_(1 - beta2, grad, grad)\n",
            "beta1, beta2 = 0.9, 0.999\nexp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)\n"
            "exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)\n",
            title="Adam update with known betas",
        ),
        Example(
            "import torch\ny = torch.addmm(0.5, M, 2, a, b)\nz = torch.add(x, 3, w)\n",
            "import torch\ny = torch.addmm(M, a, b, beta=0.5, alpha=2)\nz = torch.add(x, w, alpha=3)\n",
            title="function forms",
        ),
        Example(
            "def sgd(params, lr):\n    for p in params:\n        p.data.add_(-lr, p.grad.data)\n",
            "def sgd(params, lr):\n    for p in params:\n        p.data.add_(p.grad.data, alpha=-lr)\n",
            unsafe_fixes=True,
            title="learning rate is a parameter (unsafe)",
        ),
        Example(
            "def step(group, p, exp_avg, denom, step_size):\n"
            "    beta1, beta2 = group['betas']\n"
            "    exp_avg.mul_(beta1).add_(1 - beta1, p.grad.data)\n"
            "    p.data.addcdiv_(-step_size, exp_avg, denom)\n",
            None,
            findings=("unsafe", "unsafe"),
            title="betas from the param group: reported, not applied",
        ),
        Example(
            "p.data.add_(p.grad.data, alpha=-0.01)\nmeter.add(loss_value, n)\nx.add_(1)\n"
            "import numpy as np\nnp.add(a, b)\n",
            None,
            title="must not change",
        ),
    ),
    fixers=(ScalarOverloadFixer,),
    tokens=("add", "sub"),
)
