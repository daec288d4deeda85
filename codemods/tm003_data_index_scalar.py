"""TM003 data-index-scalar: ``loss.data[0]`` -> ``loss.item()``;
``out.data[0].numpy()`` -> ``out.detach()[0].numpy()``."""

from __future__ import annotations

import re

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods import _dotdata as D
from codemods._stmt import keep_alignment
from codemods.base import SAFE, UNSAFE, Example, Rule, RuleFixer


def _rewrite(site: D.Site, form: str) -> None:
    """form: ``item`` -> ``R.item()``; ``detach`` -> ``R.detach()[0]``;
    ``plain`` -> ``R[0]``."""
    power = site.power
    data_tr = site.trailer
    idx = power.children.index(data_tr)
    index_tr = power.children[idx + 1]
    if form == "item":
        data_tr.remove()
        index_tr.remove()
        power.insert_child(
            idx, Node(syms.trailer, [Leaf(token.DOT, "."), Leaf(token.NAME, "item")])
        )
        power.insert_child(
            idx + 1, Node(syms.trailer, [Leaf(token.LPAR, "("), Leaf(token.RPAR, ")")])
        )
    elif form == "detach":
        data_tr.remove()
        power.insert_child(
            idx, Node(syms.trailer, [Leaf(token.DOT, "."), Leaf(token.NAME, "detach")])
        )
        power.insert_child(
            idx + 1, Node(syms.trailer, [Leaf(token.LPAR, "("), Leaf(token.RPAR, ")")])
        )
    else:
        data_tr.remove()


class DataIndexFixer(RuleFixer):
    PATTERN = "trailer< '.' 'data' >"

    def visit(self, node: Node, results: dict) -> None:
        ctx = self.ctx
        site = D.site_of(node)
        if site is None or D.owner(site) != "TM003":
            return
        kind, val = D.classify(ctx, site.recv)
        if kind == D.OTHER:
            return
        recv = D.text_of(site.recv)
        more = len(site.after) > 1
        removed = "raises `IndexError: invalid index of a 0-dim tensor` since PyTorch 0.5"
        if more:
            # the element is used as a tensor: this is real indexing
            form = "plain" if D.drop_data(kind, site.recv) else "detach"
            new = f"{recv}[0]" if form == "plain" else f"{recv}.detach()[0]"
            rest = D.text_of(site.after[1:])
            if kind == D.UNKNOWN:
                safety = UNSAFE
                why = f"`{recv}` is not provably a tensor; keep `.data` if it is an object with a `data` field"
            else:
                safety = SAFE
                why = "the element is used as a tensor, so `[0]` indexes a batch/row: same values"
            msg = f"`{recv}.data[0]{rest}` indexes through the legacy `.data`: use `{new}{rest}` ({why})"
        elif kind in (D.PLAIN, D.TENSOR) and val is not None and val.scalar:
            form, new, safety = "item", f"{recv}.item()", SAFE
            msg = (
                f"`{recv}.data[0]` read a one-element tensor as a number in PyTorch <= 0.3 and {removed}: "
                f"use `{new}` (`{recv}` is provably a single element: a reduced loss or a full reduction)"
            )
        elif kind in (D.PLAIN, D.TENSOR) and val is not None and (val.nd or val.kind == "batch"):
            form = "plain" if D.drop_data(kind, site.recv) else "detach"
            new = f"{recv}[0]" if form == "plain" else f"{recv}.detach()[0]"
            safety = SAFE
            msg = (
                f"`{recv}.data[0]` indexes a tensor that is provably at least 1-D: use `{new}` (the first "
                "element/row; add `.item()` where a Python number is needed, see TM006)"
            )
        else:
            form, new, safety = "item", f"{recv}.item()", UNSAFE
            msg = (
                f"`{recv}.data[0]` {removed} when `{recv}` is a scalar (a loss): use `{new}`; "
                f"if `{recv}` has more than one element use `{recv}.detach()[0]` instead "
                "(its one-element-ness is not provable here)"
            )

        def fix() -> None:
            if node.parent is not site.power:
                return False
            aligned = keep_alignment(node)
            _rewrite(site, form)
            aligned()
            return None

        self.report(node, msg, safety, fix=fix, suggestion=new)


_PAT = re.compile(r"data[\s\\]*\[[\s\\]*0[\s\\]*\]")

_WHY = """\
In PyTorch <= 0.3 a reduced loss was a 1-element Variable and `loss.data[0]`
its Python number.  Since 0.4 reductions return 0-dim tensors: the idiom
warned in 0.4 and raises since 0.5 (`IndexError: invalid index of a 0-dim
tensor. Use tensor.item() ...`).  `.item()` is the replacement -- but only for
one-element tensors; on a batch `x.data[0]` is row/element indexing.
"""

_DOC = """\
## What it does
- `loss.data[0]` -> `loss.item()` when the base is provably one element: a
  loss (`F.nll_loss(...)`, `F.cross_entropy(...)`..., or a call of a name bound
  to `nn.XLoss(...)`) whose reduction is not `reduce=False`/`'none'`; a full
  reduction (`.sum()`, `.mean()`, `.norm()`, `torch.sum(x)`...); arithmetic of
  those; a name bound only to such values; a function of this file that
  returns only such values.
- `out.data[0].numpy()`, `x.data[0][1]`, `probs.data[0].topk(2)` ->
  `out.detach()[0].numpy()`...: the element is used as a tensor, so this is
  indexing.
- `x.data[0]` where `x` is provably at least 1-D (a loader batch, a tensor
  created with a size) -> `x[0]` (plain data) or `x.detach()[0]`.

## Fix safety
- **safe** in the cases above.  A loader batch has no graph, so `.data` is
  dropped rather than spelled `.detach()`.  Indexing gives a 0-dim tensor
  where 0.3 gave a number; TM006 reports the places where that matters.
- **unsafe** otherwise: `.item()` is right for a scalar and raises on a
  multi-element tensor, where `x.detach()[0]` is right (and raises
  IndexError on a 0-dim one).  Name heuristics (`criterion`, `loss`) are not
  proof.
- Datasets (`train_set.data[0]`), `self.data[0]`, `args.data[0]` and
  namedtuple batches are never touched.

## Differences from TorchFix
As far as we know TorchFix does not rewrite `.data[0]`; a blanket
`.item()` rewrite would break row indexing, so we only apply it where the
base is provably one element.
"""

RULE = Rule(
    id="TM003",
    name="data-index-scalar",
    summary="Replace `loss.data[0]` with `loss.item()` (raises IndexError since PyTorch 0.5).",
    why=_WHY,
    safety=SAFE,
    doc=_DOC,
    examples=(
        Example(
            before=(
                "import torch.nn.functional as F\n"
                "def train(model, loader):\n"
                "    total = 0\n"
                "    for x, y in loader:\n"
                "        loss = F.nll_loss(model(x), y)\n"
                "        total += loss.data[0]\n"
                "        print(loss.data[0], y.data[0])\n"
            ),
            after=(
                "import torch.nn.functional as F\n"
                "def train(model, loader):\n"
                "    total = 0\n"
                "    for x, y in loader:\n"
                "        loss = F.nll_loss(model(x), y)\n"
                "        total += loss.item()\n"
                "        print(loss.item(), y[0])\n"
            ),
            title="a loss and a loader batch",
        ),
        Example(
            before=(
                "import torch.nn as nn\n"
                "criterion = nn.CrossEntropyLoss(reduce=False)\n"
                "def f(out, y):\n"
                "    loss = criterion(out, y)\n"
                "    return loss.data[0]\n"
            ),
            after=(
                "import torch.nn as nn\n"
                "criterion = nn.CrossEntropyLoss(reduce=False)\n"
                "def f(out, y):\n"
                "    loss = criterion(out, y)\n"
                "    return loss.item()\n"
            ),
            unsafe_fixes=True,
            title="reduce=False is not a scalar: unsafe",
        ),
        Example(
            before=("def f(out):\n    return out.data[0].numpy()\n"),
            findings=("unsafe",),
            title="indexing an unknown receiver (unsafe, not applied)",
        ),
        Example(
            before=(
                "print(train_set.data[0].shape)\n"
                "print(args.data[0])\n"
                "class D(object):\n"
                "    def first(self):\n"
                "        return self.data[0]\n"
            ),
            title="datasets, args and self are not tensors",
        ),
    ),
    fixers=(DataIndexFixer,),
    prefilter=lambda text: _PAT.search(text) is not None,
)
