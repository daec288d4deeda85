"""TM103 softmax-implicit-dim: ``F.softmax(x)`` / ``F.log_softmax(x)`` /
``F.softmin(x)`` and ``nn.Softmax()`` / ``nn.LogSoftmax()`` / ``nn.Softmin()``
without ``dim``.

Output style: ``dim=1`` (or ``dim=0``) is appended as the last argument; for
a name whose rank is unknown the legacy rule is inlined:
``F.softmax(x, dim=0 if x.dim() in (0, 1, 3) else 1)``.
"""

from __future__ import annotations

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms

from codemods._tm1common import CALL_PATTERN, function_call, positional
from codemods.analysis import rank_of
from codemods.base import MANUAL, UNSAFE, Example, Rule, RuleFixer, add_kwarg, dotted_name, kwarg

FUNCS = {"torch.nn.functional." + n for n in ("softmax", "log_softmax", "softmin")}
MODULES = {"torch.nn." + n for n in ("Softmax", "LogSoftmax", "Softmin")}
LEGACY = "the legacy rule picks dim=0 for 0-, 1- and 3-D inputs and dim=1 otherwise"


def _legacy_dim(rank: int) -> int:
    return 0 if rank in (0, 1, 3) else 1


def _simple_ref(node) -> bool:
    """A plain name or a dotted attribute reference (`x`, `self.h`)."""
    return dotted_name(node) is not None


class SoftmaxDimFixer(RuleFixer):
    PATTERN = CALL_PATTERN

    def visit(self, node, results) -> None:
        call = function_call(self.ctx, node)
        if call is None or any(a.star for a in call.args):
            return
        if call.qualname in FUNCS:
            self._functional(call)
        elif call.qualname in MODULES:
            self._module(call)

    def _functional(self, call) -> None:
        args = call.args
        if kwarg(args, "dim") is not None or len(positional(args)) >= 2:
            return
        inp = kwarg(args, "input")
        if inp is None:
            pos = positional(args)
            if not pos:
                return
            inp = pos[0]
        x = inp.value
        xs = str(x).strip()
        rank = rank_of(self.ctx, x, call.power)
        self._decide(call, rank, xs, _simple_ref(x), f"`{call.callee}({xs})`")

    def _decide(self, call, rank, xs, simple, what, module_calls="") -> None:
        trailer = call.trailer
        if rank is not None and rank != 3:
            dim = _legacy_dim(rank)

            def fix(trailer=trailer, dim=dim):
                if any(a.name == "dim" for a in _args(trailer)):
                    return False
                add_kwarg(trailer, "dim", str(dim))

            self.report(
                call.name_leaf,
                f"{what} without dim: the input is {rank}-D here{module_calls}, and {LEGACY}, "
                f"so pass `dim={dim}` (same result, no warning)",
                UNSAFE,
                fix=fix,
                suggestion=f"dim={dim}",
            )
        elif rank == 3:
            self.report(
                call.name_leaf,
                f"{what} without dim on a 3-D input{module_calls}: {LEGACY}, so this normalizes "
                "over dim 0 (usually the batch or time axis) — most likely a latent bug; pass "
                "`dim=0` to keep the old result or the intended axis (often `dim=-1`)",
                MANUAL,
            )
        elif simple and xs:
            expr = f"0 if {xs}.dim() in (0, 1, 3) else 1"

            def fix(trailer=trailer, expr=expr):
                if any(a.name == "dim" for a in _args(trailer)):
                    return False
                add_kwarg(trailer, "dim", expr)

            self.report(
                call.name_leaf,
                f"{what} without dim: the input's rank is not known statically, and {LEGACY}; "
                f"`dim={expr}` keeps that exactly — simplify it to the axis you mean (dim=1 "
                "for (N, C) scores); a 3-D input here is likely a latent bug",
                UNSAFE,
                fix=fix,
                suggestion=f"dim={expr}",
            )
        else:
            self.report(
                call.name_leaf,
                f"{what} without dim: the input's rank is not known statically, and {LEGACY}; "
                "pass dim explicitly (dim=1 for (N, C) scores or (N, C, H, W) maps)",
                MANUAL,
            )

    def _module(self, call) -> None:
        args = call.args
        if args:
            return  # dim given (positionally or by keyword)
        what = f"`{call.callee}()`"
        ranks = self._module_input_ranks(call)
        if ranks is None:
            self.report(
                call.name_leaf,
                f"{what} without dim: the rank of its inputs is not known statically, and "
                f"{LEGACY} at call time (2.13 still does, with a warning); pass dim explicitly "
                "(dim=1 for (N, C) scores)",
                MANUAL,
            )
            return
        dims = {_legacy_dim(r) for r in ranks}
        if 3 in ranks or len(dims) != 1:
            self._decide(call, 3, "", False, what, " (where it is called)")
            return
        self._decide(call, ranks[0], "", False, what, " where it is called")

    def _module_input_ranks(self, call):
        """Ranks of the inputs at every call of ``self.attr`` when the module is
        assigned as ``self.attr = nn.Softmax()`` and every use is a call."""
        stmt = call.power.parent
        if stmt is None or stmt.type != syms.expr_stmt or len(stmt.children) != 3:
            return None
        target = stmt.children[0]
        if stmt.children[2] is not call.power or target.type != syms.power:
            return None
        kids = target.children
        if not (len(kids) == 2 and kids[0].type == token.NAME and kids[0].value == "self"):
            return None
        attr = kids[1].children[1].value
        cls = stmt.parent
        while cls is not None and cls.type != syms.classdef:
            cls = cls.parent
        if cls is None:
            return None
        ranks = []
        for node in cls.pre_order():
            if node.type != syms.power or node is target:
                continue
            k = node.children
            if not (len(k) >= 2 and k[0].type == token.NAME and k[0].value == "self"):
                continue
            if not (k[1].type == syms.trailer and k[1].children[0].type == token.DOT):
                continue
            if k[1].children[1].value != attr:
                continue
            if len(k) < 3 or k[2].children[0].type != token.LPAR:
                return None  # used other than by a call
            inner = _args(k[2])
            if len(inner) != 1 or inner[0].name or inner[0].star:
                return None
            r = rank_of(self.ctx, inner[0].value, node)
            if r is None:
                return None
            ranks.append(r)
        return ranks or None


def _args(trailer):
    from codemods.base import call_args

    return call_args(trailer)


RULE = Rule(
    id="TM103",
    name="softmax-implicit-dim",
    short="softmax without `dim=`: the implicit dim is deprecated and rank-dependent",
    summary="Pass `dim` to softmax/log_softmax/softmin (the implicit choice is deprecated)",
    why=(
        "0.3.0 deprecated calling `F.softmax`, `F.log_softmax`, `F.softmin` and constructing "
        "`nn.Softmax`, `nn.LogSoftmax`, `nn.Softmin` without `dim`. 2.13 still accepts it, "
        "warns `Implicit dimension choice for softmax has been deprecated. Change the call "
        "to include dim=X as an argument.` and applies the legacy rule "
        "`dim = 0 if x.dim() in (0, 1, 3) else 1` — so a 3-D `(N, T, C)` input is normalized "
        "over dim 0."
    ),
    safety=UNSAFE,
    doc="""
## What it does
Adds the `dim` that the legacy implicit rule chose:
- `dim=1` when the input is provably 2-D or 4-D, `dim=0` when it is provably 1-D.
  The rank is inferred conservatively inside the function: `.view(a, b)`/`.reshape`
  with n positional sizes, `view(-1)`, tensor factories with n sizes, rank-preserving
  functions (`F.relu`, `F.dropout`, `torch.tanh`, ...) and modules assigned in the class
  (`self.fc = nn.Linear(...)`, `nn.Conv2d`, `nn.Dropout`, ...), through local names
  assigned by plain top-level statements of the function body.
- For a plain name or attribute whose rank is unknown, the legacy rule is inlined:
  `dim=0 if x.dim() in (0, 1, 3) else 1`.
- `nn.Softmax()` modules assigned as `self.sm = nn.Softmax()` get `dim=` when every
  call `self.sm(x)` in the class has a known rank with the same legacy choice.

## Why is this bad
The implicit choice warns on every call, and for 3-D inputs it silently normalizes
over the batch/time axis, which is almost never what the author meant.

## Fix safety
- Unsafe (REVIEW): adding the dim the legacy rule chose keeps the result, provided the
  rank inference is right; the inlined conditional keeps it exactly but should be
  simplified by a person to the axis they mean.
- Manual: a provably 3-D input (likely a latent bug: keep `dim=0` or fix the axis), an
  input expression whose rank is unknown and that is not a plain name (it cannot be
  evaluated twice), and `nn.Softmax()` modules whose inputs are unknown (e.g. inside
  `nn.Sequential`). Leaving these untouched keeps the old behaviour on 2.13 (with a
  warning).
- `torch.softmax`/`x.softmax()` always required `dim`, so they are not affected.

## Differences from TorchFix
TorchFix does not add `dim` to softmax calls.
""",
    examples=(
        Example(
            before=(
                "import torch.nn as nn\n"
                "import torch.nn.functional as F\n"
                "class Net(nn.Module):\n"
                "    def __init__(self):\n"
                "        super(Net, self).__init__()\n"
                "        self.fc1 = nn.Linear(320, 50)\n"
                "        self.fc2 = nn.Linear(50, 10)\n"
                "    def forward(self, x):\n"
                "        x = x.view(-1, 320)\n"
                "        x = F.relu(self.fc1(x))\n"
                "        x = F.dropout(x, training=self.training)\n"
                "        x = self.fc2(x)\n"
                "        return F.log_softmax(x)\n"
            ),
            after=(
                "import torch.nn as nn\n"
                "import torch.nn.functional as F\n"
                "class Net(nn.Module):\n"
                "    def __init__(self):\n"
                "        super(Net, self).__init__()\n"
                "        self.fc1 = nn.Linear(320, 50)\n"
                "        self.fc2 = nn.Linear(50, 10)\n"
                "    def forward(self, x):\n"
                "        x = x.view(-1, 320)\n"
                "        x = F.relu(self.fc1(x))\n"
                "        x = F.dropout(x, training=self.training)\n"
                "        x = self.fc2(x)\n"
                "        return F.log_softmax(x, dim=1)\n"
            ),
            unsafe_fixes=True,
            title="a provably 2-D input gets dim=1 (with --unsafe-fixes)",
        ),
        Example(
            before=(
                "import torch.nn.functional as F\n"
                "def attend(scores):\n"
                "    return F.softmax(scores)\n"
            ),
            after=(
                "import torch.nn.functional as F\n"
                "def attend(scores):\n"
                "    return F.softmax(scores, dim=0 if scores.dim() in (0, 1, 3) else 1)\n"
            ),
            unsafe_fixes=True,
            title="unknown rank: the legacy rule is inlined (with --unsafe-fixes)",
        ),
        Example(
            before=(
                "import torch\n"
                "import torch.nn.functional as F\n"
                "def f(h):\n"
                "    h = h.view(4, 5, 6)\n"
                "    p = F.softmax(h)\n"
                "    q = F.log_softmax(model(h))\n"
                "    return p, q\n"
            ),
            findings=("manual", "manual"),
            title="3-D input (latent bug) and an unknown expression: reported",
        ),
        Example(
            before=(
                "import torch.nn as nn\n"
                "import torch.nn.functional as F\n"
                "p = F.softmax(logits, dim=-1)\n"
                "q = F.log_softmax(logits, 1)\n"
                "sm = nn.Softmax(dim=1)\n"
                "def softmax(x):\n"
                "    return x.exp() / x.exp().sum()\n"
                "r = softmax(logits)\n"
            ),
            title="explicit dim and a local softmax",
        ),
        Example(
            before=(
                "import torch.nn as nn\nhead = nn.Sequential(nn.Linear(10, 3), nn.LogSoftmax())\n"
            ),
            findings=("manual",),
            title="a module whose input rank is unknown: reported",
        ),
    ),
    fixers=(SoftmaxDimFixer,),
    tokens=("softmax", "Softmax", "softmin", "Softmin"),
)
