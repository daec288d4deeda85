"""TM003 data-index-scalar: ``loss.data[0]`` -> ``loss.item()``;
``out.data[0].numpy()`` -> ``out.detach()[0].numpy()``."""

from __future__ import annotations

import re

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods import _dotdata as D
from codemods import analysis as A
from codemods._stmt import keep_alignment
from codemods.base import MANUAL, SAFE, UNSAFE, Example, Rule, RuleFixer


def _rewrite(site: D.Site, form: str) -> None:
    """form: ``item`` -> ``R.item()``; ``elem`` -> ``R[0].item()``;
    ``detach`` -> ``R.detach()[0]``; ``plain`` -> ``R[0]``."""
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
    elif form == "elem":  # ``R[0].item()``
        data_tr.remove()
        at = power.children.index(index_tr) + 1
        power.insert_child(at, Node(syms.trailer, [Leaf(token.DOT, "."), Leaf(token.NAME, "item")]))
        power.insert_child(
            at + 1, Node(syms.trailer, [Leaf(token.LPAR, "("), Leaf(token.RPAR, ")")])
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
        one = D.one_element(ctx, site.recv) if kind != D.UNKNOWN or val is not None else None
        if one is None and kind == D.UNKNOWN and len(site.recv) == 1:
            one = D.one_element(ctx, site.recv)
        sample = None if one else D.single_sample(ctx, site.recv)
        batch = None if one or sample else D.batch_evidence(ctx, site.recv)
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
        elif one is not None:
            form, new = "item", f"{recv}.item()"
            safety = SAFE if kind in (D.PLAIN, D.TENSOR) or len(site.recv) == 1 else UNSAFE
            msg = (
                f"`{recv}.data[0]` read a one-element tensor as a number in PyTorch <= 0.3 and {removed}: "
                f"use `{new}` (`{recv}` has exactly one element: {one})"
            )
        elif sample is not None:
            form, new, safety = "item", f"{recv}.item()", UNSAFE
            msg = (
                f"`{recv}.data[0]` {removed} on a 0-dim value and read a number from a one-element "
                f"1-D value in 0.3: use `{new}` ({sample}; a model that changes the batch size "
                f"would make `{recv}` hold more than one element, then `{recv}.detach()[0]` is the "
                "first one)"
            )
        elif kind in (D.PLAIN, D.TENSOR) and val is not None and (val.nd or val.kind == "batch"):
            form = "plain" if D.drop_data(kind, site.recv) else "detach"
            rank = val.rank if val.kind == "tensor" else None
            if rank == 1:
                # 0.3 returned the element as a Python number (a snapshot);
                # ``y[0]`` would be a 0-dim view that later in-place updates show
                form, new, safety = "elem", f"{recv}[0].item()", SAFE
                msg = (
                    f"`{recv}.data[0]` read the first element of a 1-D tensor as a Python number in "
                    f"PyTorch <= 0.3: use `{new}` (`{recv}[0]` alone is a 0-dim tensor that views "
                    f"`{recv}`)"
                )
            else:
                new = f"{recv}[0]" if form == "plain" else f"{recv}.detach()[0]"
                safety = SAFE if rank is not None and rank >= 2 else UNSAFE
                msg = (
                    f"`{recv}.data[0]` indexes a tensor that is provably at least 1-D: use `{new}` "
                    + (
                        f"(the first row, a view, as `.data[0]` was: `{recv}` is {rank}-D)"
                        if safety == SAFE
                        else "(the first row; if it is 1-D, 0.3 returned the element as a Python "
                        f"number: then `{recv}[0].item()`, see TM006)"
                    )
                )
        elif batch is not None:
            form = "detach"
            new = f"{recv}.detach()[0]"
            safety = UNSAFE
            msg = (
                f"`{recv}.data[0]` is the first row/element of a batch ({batch}): use `{new}` "
                f"(`.item()` would raise on more than one element; if `{recv}` is a reduced 0-dim value "
                f"after all, `{new}` raises IndexError and `{recv}.item()` is right)"
            )
        else:
            self.report(
                node,
                f"`{recv}.data[0]` {removed} when `{recv}` is a 0-dim value (a reduced loss): then use "
                f"`{recv}.item()`; if `{recv}` is a batch (at least 1-D), `{recv}.detach()[0]` is its "
                f"first row/element. Nothing in this file proves how many elements `{recv}` has",
                MANUAL,
                suggestion=f"{recv}.item()  # or {recv}.detach()[0] for a batch",
            )
            return

        def fix() -> None:
            if node.parent is not site.power:
                return False
            aligned = keep_alignment(node)
            _rewrite(site, form)
            aligned()
            return None

        self.report(node, msg, safety, fix=fix, suggestion=new)


class ZeroDimIndexFixer(RuleFixer):
    """``total_loss[0]``, ``prec1[0]``, ``loss.data.cpu().numpy()[0]``,
    ``loss.tolist()[0]`` on one-element values."""

    PATTERN = "trailer< '[' index=any ']' >"

    def visit(self, node: Node, results: dict) -> None:
        ctx = self.ctx
        power = node.parent
        if power is None or power.type != syms.power:
            return
        if str(results["index"]).strip() not in ("0", "-1"):
            return
        if _is_target(power):
            return
        found = D.zero_dim_read(ctx, power, node)
        if found is None:
            return
        base, reason = found
        chain = A.chain_of(power)
        k = chain.index(node)
        old = D.text_of(chain[: k + 1])
        btxt = D.text_of(base)
        new = f"{btxt}.item()"
        direct = k == len(base)  # ``x[0]`` itself, not through numpy()/tolist()
        v = A.analysis(ctx).chain_value(base)
        plain = A.is_plain(v)
        if direct and not plain:
            self.report(
                node,
                f"`{old}` indexes a one-element value ({reason}): on a 0-dim tensor it raises IndexError "
                f"since PyTorch 0.5. In 0.3 `v[0]` of a Variable was still a Variable: use `{btxt}` to "
                f"keep the tensor (and its graph), `{new}` for a number",
                MANUAL,
                suggestion=new,
            )
            return
        how = (
            "`[0]` of a one-element tensor was a Python number in PyTorch <= 0.3"
            if direct
            else "`.numpy()`/`.tolist()` of a 0-dim tensor is a 0-d array / a plain number, which cannot "
            "be indexed"
        )
        msg = (
            f"`{old}` raises on today's 0-dim tensors ({how}; `{btxt}` has exactly one element: "
            f"{reason}): use `{new}`"
            + ("" if direct else " (a Python float where 0.3 gave a numpy scalar: same value)")
        )

        def fix() -> None:
            if node.parent is not power or any(c.parent is not power for c in base):
                return False
            aligned = keep_alignment(power)
            for c in chain[len(base) : k + 1]:
                c.remove()
            at = len(base)
            power.insert_child(
                at, Node(syms.trailer, [Leaf(token.DOT, "."), Leaf(token.NAME, "item")])
            )
            power.insert_child(
                at + 1, Node(syms.trailer, [Leaf(token.LPAR, "("), Leaf(token.RPAR, ")")])
            )
            aligned()
            return None

        self.report(node, msg, SAFE, fix=fix, suggestion=new)


def _is_target(power: Node) -> bool:
    """``x[0] = v`` / ``x[0] += v`` / ``del x[0]``."""
    cur = power
    while cur.parent is not None and cur.parent.type in (
        syms.testlist_star_expr,
        syms.exprlist,
        syms.atom,
    ):
        cur = cur.parent
    parent = cur.parent
    if parent is None:
        return False
    if parent.type == syms.expr_stmt:
        return parent.children[-1] is not cur
    return parent.type == syms.del_stmt


_PAT = re.compile(r"data[\s\\]*\[[\s\\]*0[\s\\]*\]")
_PAT0 = re.compile(r"\[\s*-?[01]\s*\]")

_WHY = """\
In PyTorch <= 0.3 a reduced loss was a 1-element Variable and `loss.data[0]`
its Python number.  Since 0.4 reductions return 0-dim tensors: the idiom
warned in 0.4 and raises since 0.5 (`IndexError: invalid index of a 0-dim
tensor. Use tensor.item() ...`).  `.item()` is the replacement -- but only for
one-element tensors; on a batch `x.data[0]` is row/element indexing.  The
same 0-dim values break every other spelling of "the first element":
`total_loss[0]` after `total_loss += loss.data`, `prec1[0]` of an accuracy
computed with `.sum(0)`, `loss.data.cpu().numpy()[0]` (a 0-d array cannot be
indexed), `loss.tolist()[0]` (`tolist()` of a 0-dim tensor is a number).
"""

_DOC = """\
## What it does
`x.data[0]` is rewritten by what the file proves about `x`:
- **one element** -> `x.item()`: a loss (`F.nll_loss(...)`, a call of a name
  bound to `nn.XLoss(...)`) whose reduction is not `reduce=False`/`'none'`; a
  full reduction (`.sum()`, `.mean()`, `.norm()`, `torch.sum(x)`...); a
  reduction over the only dim of a 1-D value (`x.view(-1).sum(0)`);
  arithmetic of those; a name `.backward()` is called on *without* a gradient
  argument (that needs exactly one element); an accumulator that only ever
  holds numbers and such values; a function of this file that returns them.
- **provably 1-D** (`x.view(-1)`, a tensor created with one size) ->
  `x[0].item()`: 0.3 read the element as a Python number, a snapshot;
  `x[0]` alone would be a 0-dim tensor viewing `x` (later in-place updates
  show through it, `json` and dict keys see a tensor).
- **provably at least 2-D** -> `x[0]` (plain data) or `x.detach()[0]`: the
  first row, a view, as `.data[0]` was.
- **at least 1-D, rank unknown** (a loader batch) -> the same, **unsafe**: a
  row if it is 2-D or more, but a number in 0.3 if it is 1-D (then
  `x[0].item()`).
- **one sample drawn for a single input** -> `x.item()` (unsafe): `action =
  m.sample()` with `m = Categorical(probs)` (any `torch.distributions`
  class) or `action = probs.multinomial(1)`, where `probs` comes from a model
  applied to `state.unsqueeze(0)` / `state.view(1, -1)` (policy-gradient
  `select_action`).  It is evidence, not proof: models keep the batch
  dimension by convention.
- **probably a batch** -> `x.detach()[0]` (unsafe): a model's output, an
  element-wise loss (`reduce=False`), a name used elsewhere with
  `.backward(gradient)`, `.mean()`, `.sum()`, `.size(...)`, `.view(...)`.
- **no evidence either way** -> reported (manual) with both readings:
  `x.item()` if it is a reduced value, `x.detach()[0]` if it is a batch.
  `.item()` is never produced without positive evidence of one element.
- `out.data[0].numpy()`, `x.data[0][1]`, `probs.data[0].topk(2)` ->
  `out.detach()[0].numpy()`...: the element is used as a tensor, so this is
  indexing.

The other spellings of indexing a one-element value (the value must be
provably one element, as above):
- `total_loss[0]`, `prec1[0]`, `acc[-1]` -> `total_loss.item()` when the
  value is plain data (no grad); a value that may require grad is reported
  (0.3's `v[0]` of a Variable was a Variable: `v` or `v.item()`).
- `loss.data.numpy()[0]`, `loss.data.cpu().numpy()[0]`,
  `loss.cpu().data.numpy()[0]`, `loss.detach().numpy()[0]`,
  `loss.tolist()[0]` -> `loss.item()`.

## Fix safety
- **safe**: `.item()` on a provable one-element value (0.3's `[0]` of a
  one-element tensor was the same Python number; the `.numpy()[0]` forms gave
  a numpy float32 scalar, `.item()` gives a Python float of the same value,
  which only prints with more digits under a bare `print`); `[0]` on a
  provable batch (a loader batch has no graph, so `.data` is dropped rather
  than spelled `.detach()`; indexing gives a 0-dim tensor where 0.3 gave a
  number; TM006 reports the places where that matters).
- **unsafe**: `.detach()[0]` on a probable batch (it raises IndexError if the
  value is 0-dim after all); `.item()` on a sample drawn for a single input.
- **manual**: no evidence of either reading.  Name heuristics (`criterion`,
  `loss`) are not evidence.
- Datasets (`train_set.data[0]`), `self.data[0]`, `args.data[0]`, namedtuple
  batches, numpy arrays and lists are never touched; assignments
  (`total[0] = 0`) are not reads.

## Differences from TorchFix
As far as we know TorchFix does not rewrite `.data[0]`; a blanket
`.item()` rewrite would break row indexing, so we only apply it where the
base is provably one element.
"""

RULE = Rule(
    id="TM003",
    name="data-index-scalar",
    short="`.data[0]` indexes through `.data`; on a 0-dim tensor it raises since 0.5",
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
                "        print(loss.item(), y.data[0])\n"
            ),
            findings=("unsafe",),
            title="a loss (safe) and a loader batch (unsafe: a row, or a number if it is 1-D)",
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
                "    return loss.detach()[0]\n"
            ),
            unsafe_fixes=True,
            title="reduce=False is a batch of losses: the first one (unsafe)",
        ),
        Example(
            before=(
                "def train_d(netD, real, opt):\n"
                "    d_out = netD(real)\n"
                "    d_out.backward(grad_out)\n"
                "    opt.step()\n"
                "    print('D(x) %.4f' % d_out.data[0])\n"
            ),
            after=(
                "def train_d(netD, real, opt):\n"
                "    d_out = netD(real)\n"
                "    d_out.backward(grad_out)\n"
                "    opt.step()\n"
                "    print('D(x) %.4f' % d_out.detach()[0])\n"
            ),
            unsafe_fixes=True,
            title="backward(gradient) means a batch: never .item()",
        ),
        Example(
            before=(
                "def train(model, batches, opt):\n"
                "    for x, y in batches:\n"
                "        loss = model(x, y)\n"
                "        loss.backward()\n"
                "        print(loss.data[0])\n"
            ),
            after=(
                "def train(model, batches, opt):\n"
                "    for x, y in batches:\n"
                "        loss = model(x, y)\n"
                "        loss.backward()\n"
                "        print(loss.item())\n"
            ),
            title="backward() without a gradient proves one element",
        ),
        Example(
            before=("def report(score):\n    print(score.data[0])\n"),
            findings=("manual",),
            unsafe_fixes=True,
            title="no evidence: both readings reported, nothing applied",
        ),
        Example(
            before=("def f(out):\n    return out.data[0].numpy()\n"),
            findings=("unsafe",),
            title="indexing an unknown receiver (unsafe, not applied)",
        ),
        Example(
            before=(
                "def accuracy(output, target):\n"
                "    pred = output.topk(1, 1)[1].t()\n"
                "    correct = pred.eq(target.view(1, -1))\n"
                "    res = []\n"
                "    res.append(correct[:1].view(-1).float().sum(0).mul_(100.0))\n"
                "    return res\n"
                "def train(model, crit, loader):\n"
                "    total_loss = 0\n"
                "    for x, y in loader:\n"
                "        out = model(x)\n"
                "        loss = crit(out, y)\n"
                "        loss.backward()\n"
                "        total_loss += loss.data\n"
                "        prec1, = accuracy(out.data, y)\n"
                "        print(prec1[0], loss.data.cpu().numpy()[0], loss.tolist()[0])\n"
                "    print(total_loss[0] / len(loader))\n"
            ),
            after=(
                "def accuracy(output, target):\n"
                "    pred = output.topk(1, 1)[1].t()\n"
                "    correct = pred.eq(target.view(1, -1))\n"
                "    res = []\n"
                "    res.append(correct[:1].view(-1).float().sum(0).mul_(100.0))\n"
                "    return res\n"
                "def train(model, crit, loader):\n"
                "    total_loss = 0\n"
                "    for x, y in loader:\n"
                "        out = model(x)\n"
                "        loss = crit(out, y)\n"
                "        loss.backward()\n"
                "        total_loss += loss.data\n"
                "        prec1, = accuracy(out.data, y)\n"
                "        print(prec1.item(), loss.item(), loss.item())\n"
                "    print(total_loss.item() / len(loader))\n"
            ),
            title="0-dim values indexed in other spellings",
        ),
        Example(
            before=(
                "import numpy as np\n"
                "def f(loader, xs):\n"
                "    for x, y in loader:\n"
                "        first = x[0]\n"
                "        a = np.zeros(3)[0]\n"
                "        b = xs[0]\n"
                "        x[0] = 1\n"
            ),
            title="must not change: batches, arrays, lists and stores",
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
    fixers=(DataIndexFixer, ZeroDimIndexFixer),
    prefilter=lambda text: _PAT.search(text) is not None or _PAT0.search(text) is not None,
)
