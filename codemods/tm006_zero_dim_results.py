"""TM006 zero-dim-results: ``correct += pred.eq(y).sum()`` -> ``.sum().item()``.

Since 0.4 full reductions return 0-dim tensors where 0.3 tensors returned
Python numbers; accumulating them (or a loss) into a Python number turns the
accumulator into a tensor, and for a loss keeps every iteration's graph
alive.  Tensors also hash by identity (dict keys miss) and are not JSON
serialisable.
"""

from __future__ import annotations

import ast
from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods import analysis as A
from codemods.base import MANUAL, UNSAFE, Example, Rule, RuleFixer, call_args

# nodes where the walk up from a leaf to its assignment stops
_STATEMENT_BOUNDS = frozenset({syms.expr_stmt, syms.simple_stmt, syms.suite, syms.file_input})
_REDUCTIONS = frozenset({"sum", "mean", "prod", "norm", "max", "min", "std", "var", "all", "any"})
_CASTS = frozenset({"cpu", "cuda", "float", "double", "long", "int", "half", "detach", "squeeze"})
_LOSS_FUNCS = frozenset(
    """nll_loss cross_entropy binary_cross_entropy binary_cross_entropy_with_logits mse_loss
    l1_loss smooth_l1_loss kl_div soft_margin_loss multilabel_margin_loss
    multilabel_soft_margin_loss multi_margin_loss hinge_embedding_loss poisson_nll_loss
    cosine_embedding_loss margin_ranking_loss triplet_margin_loss huber_loss
    gaussian_nll_loss ctc_loss""".split()
)


def _elementwise(args: list) -> bool:
    """``reduce=False`` / ``reduction='none'``: the loss is not a scalar."""
    for a in args:
        if a.name == "reduce" and str(a.value).strip() == "False":
            return True
        if a.name == "reduction" and a.value.type == token.STRING:
            try:
                if ast.literal_eval(a.value.value) == "none":
                    return True
            except Exception:  # noqa: BLE001
                return True
        if a.name == "reduction" and a.value.type != token.STRING:
            return True
    return False


def scalar_kind(ctx, node) -> Optional[str]:
    """'reduction' / 'loss' when ``node`` is provably a 0-dim tensor."""
    node = A.unparen(node)
    if node.type == token.NAME:
        binds = A.bindings_of(ctx, node)
        if not binds or not A.backward_called_on(ctx, node):
            return None
        if all(k == "value" and scalar_kind(ctx, v) for k, v in binds):
            return "loss"
        return None
    if node.type != syms.power:
        return None
    chain = A.chain_of(node)
    if len(chain) != len(node.children):
        # ``p.grad.norm() ** 2``: a power of a one-element value
        if len(chain) + 2 != len(node.children) or not A.is_number(ctx, node.children[-1]):
            return None
    if not A.is_call(chain[-1]):
        return None
    # strip trailing casts: ``.sum().cpu()``, ``.float().mean()``
    end = len(chain)
    while end >= 3 and A.is_call(chain[end - 1]) and A.attr_name(chain[end - 2]) in _CASTS:
        if call_args(chain[end - 1]):
            break
        end -= 2
    if end < 3:
        return None
    call, meth = chain[end - 1], chain[end - 2]
    if not A.is_call(call):
        return None
    q = A.chain_qualname(ctx, chain[: end - 1])
    args = call_args(call)
    if q is not None:
        if q.startswith("torch.nn.functional.") and q.rsplit(".", 1)[1] in _LOSS_FUNCS:
            return None if _elementwise(args) else "loss"
        if q in ("torch.sum", "torch.mean") and len(args) == 1 and args[0].name is None:
            return "reduction"
        return None
    name = A.attr_name(meth)
    if name in _REDUCTIONS and not args:
        if A.chain_is_tensor(ctx, chain[: end - 2]):
            return "reduction"
        return None
    # criterion(out, y) where ``criterion = nn.CrossEntropyLoss()``
    return None


def _criterion_call(ctx, node) -> bool:
    node = A.unparen(node)
    if node.type != syms.power or len(node.children) != 2:
        return False
    head, call = node.children
    if head.type != token.NAME or not A.is_call(call):
        return False
    binds = A.bindings_of(ctx, head)
    if not binds:
        return False
    for kind, val in binds:
        if kind != "value":
            return False
        v = A.unparen(val)
        if v.type != syms.power:
            return False
        chain = A.chain_of(v)
        if len(chain) < 2 or not A.is_call(chain[-1]):
            return False
        q = A.chain_qualname(ctx, chain[:-1])
        if not q or not q.startswith("torch.nn.") or not q.endswith("Loss"):
            return False
        if _elementwise(call_args(chain[-1])):
            return False
    return True


def _kind(ctx, node) -> Optional[str]:
    kind = scalar_kind(ctx, node)
    if kind is None and _criterion_call(ctx, node):
        kind = "loss"
    if kind is None and _mask_count(ctx, node):
        kind = "reduction"
    return kind


def _with_item(node) -> Node:
    """A detached copy of ``node`` followed by ``.item()``."""
    new = node.clone()
    new.prefix = ""
    item = [
        Node(syms.trailer, [Leaf(token.DOT, "."), Leaf(token.NAME, "item")]),
        Node(syms.trailer, [Leaf(token.LPAR, "("), Leaf(token.RPAR, ")")]),
    ]
    if new.type == syms.power and not any(c.type == token.DOUBLESTAR for c in new.children):
        for t in item:
            new.append_child(t)
        return new
    if new.type not in (token.NAME, syms.atom):
        new = Node(syms.atom, [Leaf(token.LPAR, "("), new, Leaf(token.RPAR, ")")])
    return Node(syms.power, [new] + item)


def _number_accumulator(ctx, target) -> bool:
    """A name that starts as a Python number: every plain binding is a number,
    or a numeric re-expression of the name itself (``total_norm =
    np.sqrt(total_norm)``, ``t = t ** 0.5``, ``t = t / n``)."""
    if target.type != token.NAME:
        return False
    binds = A.bindings_of(ctx, target)
    if not binds:
        return False
    values = [v for k, v in binds if k == "value"]
    return (
        bool(values)
        and any(A.is_number(ctx, v) for v in values)
        and all(A.is_number(ctx, v) or _re_expression(ctx, v, target.value) for v in values)
    )


def _re_expression(ctx, node, name: str) -> bool:
    """``np.sqrt(name)`` / ``math.sqrt(name)`` / ``name ** k`` / ``name / n``:
    the accumulator itself, put through a numeric function."""
    node = A.unparen(node)
    names = {leaf.value for leaf in node.leaves() if leaf.type == token.NAME}
    if name not in names:
        return False
    if node.type in (syms.term, syms.arith_expr):
        return all(A.is_number(ctx, c) or _re_expression(ctx, c, name) for c in node.children[::2])
    if node.type == token.NAME:
        return node.value == name
    if node.type != syms.power:
        return False
    if any(c.type == token.DOUBLESTAR for c in node.children):
        base = A.unparen(node.children[0])
        return (
            len(node.children) == 3
            and base.type == token.NAME
            and base.value == name
            and A.is_number(ctx, node.children[-1])
        )
    chain = A.chain_of(node)
    if len(chain) < 2 or not A.is_call(chain[-1]):
        return False
    q = A.chain_qualname(ctx, chain[:-1]) or ""
    args = call_args(chain[-1])
    return (
        q.startswith(("numpy.", "math."))
        and len(args) == 1
        and _re_expression(ctx, args[0].value, name)
    )


def _no_grad_value(ctx, value) -> bool:
    """A count of a comparison mask or a reduction of a provably plain
    tensor: 0.3 returned a Python number, and no gradient can flow."""
    if _is_count(ctx, value):
        return True
    v = A.analysis(ctx).value(value)
    return v is not None and v.kind == "tensor" and v.plain


def _breaks_a_number(flow) -> bool:
    """The deciding read uses the value as a tensor (a method, an index):
    it would fail on the Python number `.item()` gives."""
    return flow.why.startswith("`.") or flow.why in ("indexed", "an attribute in an f-string")


class AccumulateFixer(RuleFixer):
    PATTERN = "expr_stmt< target=any op=any value=any >"
    TRIGGERS = frozenset({"+=", "-="})

    def visit(self, node: Node, results: dict) -> None:
        ctx = self.ctx
        op = results["op"]
        if op.type not in (token.PLUSEQUAL, token.MINEQUAL):
            return
        target, value = results["target"], results["value"]
        if target.type != token.NAME:
            return
        # (the value's kind first: mostly syntax, where the accumulator's
        # bindings need its scope's binding table)
        kind = _kind(ctx, value)
        if kind is None or not _number_accumulator(ctx, target):
            return
        acc = target.value
        val = str(value).strip()
        nograd = _no_grad_value(ctx, value)
        flow = A.analysis(ctx).flow(target)
        where = f"line {flow.line}: {flow.why}" if flow.where is not None else ""
        if flow.verdict == A.GRAD and not (nograd and flow.returned):
            return  # a loss summed for backward (or returned): a tensor is right
        if flow.verdict == A.UNKNOWN and (not nograd or _breaks_a_number(flow)):
            what = "a loss tensor" if kind == "loss" else "a 0-dim tensor"
            self.report(
                node,
                f"`{acc} {op.value} {val}`: `{val}` is {what}, so `{acc}` becomes a tensor"
                + (
                    " that requires grad and keeps every iteration's graph alive"
                    if not nograd
                    else ""
                )
                + f"; `{acc}` is not provably read only as a number ({where}), so `.item()` is not "
                "added: if it is only printed/logged, use `"
                + f"{acc} {op.value} {_with_item(value)}`"
                + ("" if not nograd else "; code that uses it as a tensor must change with it"),
                MANUAL,
            )
            return
        if kind == "loss":
            why = (
                f"`{val}` is a loss tensor: `{acc}` becomes a tensor that requires grad and keeps "
                "every iteration's autograd graph alive (memory grows each step); `"
                f"{acc}` is only read as a number"
            )
        else:
            why = (
                f"`{val}` is a 0-dim tensor since PyTorch 0.4 (0.3 returned a Python number), so "
                f"`{acc}` silently becomes a tensor (formatting, `json`, dict keys and later "
                f"arithmetic see a tensor)"
            )
        self._item(node, value, f"`{acc} {op.value} {val}`: {why}; add `.item()`")

    def _item(self, site, value, message) -> None:
        def build():
            return _with_item(value)

        def fix() -> None:
            repl = build()
            repl.prefix = value.prefix
            value.replace(repl)

        self.report(site, message, UNSAFE, fix=fix, suggestion=str(build()).strip())


_COMPARE_METHODS = A.COMPARE_METHODS
# full reductions that count (or average) the hits of a mask
_COUNTS = frozenset({"sum", "mean"})
# no-argument conversions between a mask and its reduction: ``m.float().sum()``
_MASK_TO_NUMBER = _CASTS | {"byte", "bool", "contiguous"}


def _mask_count(ctx, value) -> bool:
    """``((a == c) & (b == c)).sum()``, ``valid.sum()`` with ``valid = 1 - mask``,
    ``x.masked_select(m).eq(y).sum()``: a full reduction of a comparison mask
    that is provably a tensor (never differentiable)."""
    v = A.unparen(value)
    if v.type != syms.power:
        return False
    chain = A.chain_of(v)
    if len(chain) != len(v.children) or not A.is_call(chain[-1]):
        return False
    end = len(chain)
    # trailing casts of the result: ``.sum().cpu()``
    while end >= 3 and A.attr_name(chain[end - 2]) not in _COUNTS:
        if A.attr_name(chain[end - 2]) not in _CASTS or call_args(chain[end - 1]):
            return False
        end -= 2
    if end < 3 or not A.is_call(chain[end - 1]) or call_args(chain[end - 1]):
        return False
    recv = chain[: end - 2]
    # conversions of the mask: ``.float().sum()``, ``.long().cpu().sum()``
    while (
        len(recv) >= 3
        and A.is_call(recv[-1])
        and A.attr_name(recv[-2]) in _MASK_TO_NUMBER
        and not call_args(recv[-1])
        and A.mask_chain_kind(ctx, recv) is None
    ):
        recv = recv[:-2]
    kind = A.mask_chain_kind(ctx, recv)
    if kind == A.MASK_TENSOR:
        return True
    return kind == A.MASK and A.chain_is_tensor(ctx, recv)


def _is_count(ctx, value) -> bool:
    """``pred.eq(y).sum()`` / ``(a == b).float().sum()``: a reduction of a
    comparison, which can never carry a gradient."""
    if _mask_count(ctx, value):
        return True
    if scalar_kind(ctx, value) != "reduction":
        return False
    v = A.unparen(value)
    if v.type != syms.power:
        return False
    head = A.unparen(v.children[0])
    if head.type == syms.comparison:
        return len(head.children) == 3  # ``a < b < c`` is no elementwise mask
    return any(A.attr_name(t) in _COMPARE_METHODS for t in v.children[1:] if A.is_attr(t))


def _attribute_used(ctx, name) -> bool:
    """``name.<attr>`` anywhere in the scope that binds ``name``."""
    scope = A.scope_of(name)
    for leaf in scope.leaves():
        if leaf.type == token.NAME and leaf.value == name.value:
            nxt = leaf.next_sibling
            if nxt is not None and A.is_attr(nxt):
                return True
    return False


class CountAssignFixer(AccumulateFixer):
    """``correct = pred.eq(y).sum()``: 0.3 gave an int."""

    PATTERN = "expr_stmt< target=NAME '=' value=power >"
    TRIGGERS = _REDUCTIONS

    def visit(self, node: Node, results: dict) -> None:
        ctx = self.ctx
        target, value = results["target"], results["value"]
        if not _is_count(ctx, value) or _attribute_used(ctx, target):
            return
        flow = A.analysis(ctx).flow(target)
        if flow.verdict == A.GRAD and not flow.returned:
            return
        if flow.verdict == A.UNKNOWN and _breaks_a_number(flow):
            return
        val = str(value).strip()
        self._item(
            node,
            value,
            f"`{target.value} = {val}`: counting with a full reduction gave a Python int in 0.3 and "
            f"gives a 0-dim tensor since 0.4 (`{target.value}` is later formatted/divided/stored as a "
            "tensor); add `.item()`",
        )


class KeyAndJsonFixer(AccumulateFixer):
    """``json.dumps(t.sum())`` and ``d[t.sum()]`` / ``d.get(t[0])``."""

    PATTERN = "power< any trailer+ >"
    TRIGGERS = frozenset({"dumps", "dump"})

    def dynamic_triggers(self, index) -> set:
        """Names a dict lookup can start with: every NAME in the targets of
        an assignment whose value contains a dict display or dict call."""
        names: set = set()
        seen: set = set()
        for tok in ("{", "dict", "OrderedDict", "defaultdict"):
            for leaf in index.leaves(tok):
                stmt = leaf.parent
                while stmt is not None and stmt.type not in _STATEMENT_BOUNDS:
                    stmt = stmt.parent
                if stmt is None or stmt.type != syms.expr_stmt or id(stmt) in seen:
                    continue
                seen.add(id(stmt))
                kids = stmt.children
                targets = (
                    kids[:-1:2] if len(kids) >= 3 and kids[1].type == token.EQUAL else kids[:1]
                )
                for tgt in targets:
                    names.update(t.value for t in tgt.leaves() if t.type == token.NAME)
        return names

    def visit(self, node: Node, results: dict) -> None:
        ctx = self.ctx
        chain = A.chain_of(node)
        if len(chain) < 2:
            return
        q = A.chain_qualname(ctx, chain[:-1]) if A.is_call(chain[-1]) else None
        if q in ("json.dumps", "json.dump"):
            args = call_args(chain[-1])
            if args and args[0].name is None and not args[0].star and _kind(ctx, args[0].value):
                v = args[0].value
                self._item(
                    node,
                    v,
                    f"`{str(v).strip()}` is a 0-dim tensor since PyTorch 0.4 and `{q}` raises "
                    "TypeError on tensors; add `.item()`",
                )
            return
        # dict lookups: d[key], d.get(key)
        if chain[0].type != token.NAME or not A.is_dict_name(ctx, chain[0]):
            return
        key = None
        if A.is_subscript(chain[1]):
            key = chain[1].children[1]
        elif len(chain) >= 3 and A.is_attr(chain[1], "get") and A.is_call(chain[2]):
            args = call_args(chain[2])
            if args and args[0].name is None and not args[0].star:
                key = args[0].value
        if key is None:
            return
        if not (_kind(ctx, key) or self._element(key)):
            return
        self._item(
            node,
            key,
            f"`{str(key).strip()}` is a 0-dim tensor since PyTorch 0.4; tensors hash by identity, so "
            f"the lookup in `{chain[0].value}` silently misses (or `[]` raises KeyError); add `.item()`",
        )

    def _element(self, key) -> bool:
        """``t[0]`` of a tensor ``t``."""
        k = A.unparen(key)
        if k.type != syms.power:
            return False
        chain = A.chain_of(k)
        if len(chain) != len(k.children) or not A.is_subscript(chain[-1]):
            return False
        idx = chain[-1].children[1]
        return A.is_int(self.ctx, idx) and A.chain_is_tensor(self.ctx, chain[:-1])


RULE = Rule(
    id="TM006",
    name="zero-dim-results",
    short="a 0-dim tensor is used as a Python number (a number before 0.4): `.item()`",
    summary="Add `.item()` where a 0-dim tensor (a full reduction or a loss) is accumulated into a "
    "Python number, used as a dict key or passed to `json`.",
    why="""
Since PyTorch 0.4 full reductions (`t.sum()`, `t.mean()`) and indexing
(`t[0]`) return 0-dim tensors; on 0.3 tensors (not Variables) they
returned Python numbers.  On 2.13, `correct += pred.eq(y).sum()` makes
`correct` a tensor, `total += loss` makes `total` a tensor that requires
grad and keeps every step's graph alive, `d.get(t[0])` misses because
tensors hash by identity, and `json.dumps(t.sum())` raises `TypeError`.
""",
    safety=UNSAFE,
    doc="""
## What it does
Appends `.item()` to the value at these sites:
- `acc += <full reduction>` / `-=` where `acc` starts as a Python number
  (`correct = 0`) and the value is a full reduction of a tensor
  (`pred.eq(y).sum()`, `pred.eq(y).cpu().sum()`, `(a == b).float().mean()`,
  `torch.sum(t)`), or a loss (`F.nll_loss(...)` without `reduce=False`,
  `criterion(...)` with `criterion = nn.XLoss()`, a name on which
  `.backward()` is called);
- `name = <count>` where the count is a full reduction of a comparison
  (`correct = pred.eq(y).sum()`: never differentiable) and `name` is never
  used with an attribute (`correct.float()` would break on an int);
- counts of comparison masks, both assigned and accumulated:
  `((pred == c) & (masks == c)).sum()` (`==`, `!=`, `<`, `>`, `<=`, `>=`,
  `&`/`|`/`^`/`~` of comparisons, `.eq(...)`/`.ne(...)`/... calls, `1 - mask`,
  `.byte()`/`.bool()`/`.float()` of those, names bound only to such masks),
  when the mask is provably a tensor: an operand is a known tensor, or the
  mask went through a tensor-only method (`.byte()`, `.bool()`,
  `x.masked_select(m).eq(...)`);
- `json.dumps(<reduction>)`, `json.dump(<reduction>, f)`;
- `d[<reduction or t[i]>]` and `d.get(...)` where `d` is bound only to dicts.

## Fix safety
Always **unsafe** (review): the rewrite changes the accumulator's type back
to a Python number, which is what 0.3 code expects.  Integer reductions
become Python ints: `100. * correct / len(loader.dataset)` then computes in
Python floats instead of a float tensor; the printed value is the same, but
code that relied on the tensor (e.g. calling `.cpu()` on the accumulator)
breaks.  `.item()` also synchronises with the GPU on each call.  Only
provable sites are reported: accumulators that are not plain names
initialised with a number, receivers not known to be tensors, losses built
with `reduction='none'`, and `.data` values (a tensor in both eras) are left
alone.

## Differences from TorchFix
TorchFix does not detect 0-dim accumulation.
""",
    examples=(
        Example(
            "correct = 0\nfor data, target in loader:\n    output = model(data)\n"
            "    pred = output.data.max(1)[1]\n    correct += pred.eq(target.data).cpu().sum()\n",
            "correct = 0\nfor data, target in loader:\n    output = model(data)\n"
            "    pred = output.data.max(1)[1]\n    correct += pred.eq(target.data).cpu().sum().item()\n",
            unsafe_fixes=True,
            title="accuracy counter",
        ),
        Example(
            "import torch.nn.functional as F\ndef train(model, loader, opt):\n    total = 0.0\n"
            "    for x, y in loader:\n        loss = F.nll_loss(model(x), y)\n        loss.backward()\n"
            "        total += loss\n    print('mean loss %.4f' % (total / len(loader)))\n",
            "import torch.nn.functional as F\ndef train(model, loader, opt):\n    total = 0.0\n"
            "    for x, y in loader:\n        loss = F.nll_loss(model(x), y)\n        loss.backward()\n"
            "        total += loss.item()\n    print('mean loss %.4f' % (total / len(loader)))\n",
            unsafe_fixes=True,
            title="loss accumulation only printed: keeps graphs alive",
        ),
        Example(
            "import torch.nn.functional as F\ndef closure():\n    style_loss = 0\n"
            "    for f, t in zip(feats, targets):\n        style_loss += F.mse_loss(gram(f), t)\n"
            "    total = content_loss + style_weight * style_loss\n    total.backward()\n"
            "    print('style %.4f' % style_loss)\n    return total\n",
            None,
            unsafe_fixes=True,
            title="must not change: the accumulated loss flows into backward()",
        ),
        Example(
            "import torch.nn.functional as F\ndef epoch_loss(model, loader):\n    total = 0.0\n"
            "    for x, y in loader:\n        total += F.nll_loss(model(x), y)\n    return total\n",
            None,
            unsafe_fixes=True,
            title="must not change: a returned loss may be backpropagated by the caller",
        ),
        Example(
            "import torch.nn.functional as F\ndef train(model, loader):\n    total = 0.0\n"
            "    for x, y in loader:\n        total += F.nll_loss(model(x), y)\n    log_metrics(total)\n",
            None,
            unsafe_fixes=True,
            findings=("manual",),
            title="reported: a loss accumulator passed to an unknown function",
        ),
        Example(
            "def evaluate(out, y):\n    pred = out.data.max(1)[1]\n    correct = pred.eq(y).sum()\n"
            "    return 100. * correct / len(y)\n",
            "def evaluate(out, y):\n    pred = out.data.max(1)[1]\n    correct = pred.eq(y).sum().item()\n"
            "    return 100. * correct / len(y)\n",
            unsafe_fixes=True,
            title="count assigned once",
        ),
        Example(
            "import json\nimport torch\nx = torch.randn(3)\ns = json.dumps(x.sum())\n",
            None,
            findings=("unsafe",),
            title="json of a reduction (reported)",
        ),
        Example(
            "import torch\ncounts = {}\nt = torch.tensor([1, 2])\nn = counts.get(t[0])\n",
            "import torch\ncounts = {}\nt = torch.tensor([1, 2])\nn = counts.get(t[0].item())\n",
            unsafe_fixes=True,
            title="dict key",
        ),
        Example(
            "def validate(out, masks, n_classes):\n    pred = out.data.max(1)[1]\n    ious = []\n"
            "    for c in range(n_classes):\n        inter = ((pred == c) & (masks == c)).sum()\n"
            "        union = ((pred == c) | (masks == c)).sum()\n"
            "        ious.append(float(inter) / max(union, 1))\n    return ious\n",
            "def validate(out, masks, n_classes):\n    pred = out.data.max(1)[1]\n    ious = []\n"
            "    for c in range(n_classes):\n        inter = ((pred == c) & (masks == c)).sum().item()\n"
            "        union = ((pred == c) | (masks == c)).sum().item()\n"
            "        ious.append(float(inter) / max(union, 1))\n    return ious\n",
            unsafe_fixes=True,
            title="counts of combined comparisons (IoU)",
        ),
        Example(
            "def evaluate(batches):\n    correct, total = 0, 0\n    for preds, tgt in batches:\n"
            "        tmask = (tgt == 0).byte()\n        valid = 1 - tmask\n"
            "        correct += preds.masked_select(valid).eq(tgt.masked_select(valid)).sum()\n"
            "        total += valid.sum()\n    return 100. * correct / total\n",
            "def evaluate(batches):\n    correct, total = 0, 0\n    for preds, tgt in batches:\n"
            "        tmask = (tgt == 0).byte()\n        valid = 1 - tmask\n"
            "        correct += preds.masked_select(valid).eq(tgt.masked_select(valid)).sum().item()\n"
            "        total += valid.sum().item()\n    return 100. * correct / total\n",
            unsafe_fixes=True,
            title="masked token accuracy",
        ),
        Example(
            "def stats(a, b, mask, df):\n    hits = (a == b).sum()\n    k = ((a > 0) & (b > 0)).sum()\n"
            "    n = (~mask).float().sum()\n    m = 0\n    m += (df == 1).sum()\n"
            "    w = (a.data * b).sum()\n    r = (a.data == b).sum()\n    r.backward()\n"
            "    return hits, k, n, m, w, r\n",
            None,
            title="must not change: masks not provably tensors",
        ),
        Example(
            "correct = 0\ncorrect += pred.eq(y).sum().item()\ntotal = torch.zeros(1)\n"
            "total += out.sum()\nn = 0\nn += len(batch)\nm = 0\nm += scores.sum()\n"
            "test_loss = 0\ntest_loss += loss.data\nhits = out.data.eq(y).sum()\nrate = hits.float() / n\n"
            "total = out.data.sum()\n",
            None,
            title="must not change",
        ),
    ),
    fixers=(AccumulateFixer, CountAssignFixer, KeyAndJsonFixer),
    tokens=("+=", "-=", "json", "get(", "[", "sum(", "mean("),
)
