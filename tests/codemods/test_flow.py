"""The flow analysis: is a name only read as a number, or does its value
reach autograd?  (codemods/analysis/flow.py)"""

from __future__ import annotations

import pytest
from fissix.pgen2 import token

from codemods import analysis as A
from codemods.base import FileContext, collect_imports, parse_source


def _flow(text: str, name: str, nth: int = 0) -> A.Flow:
    tree, py2 = parse_source(text)
    ctx = FileContext(tree=tree, filename="t.py", py2_grammar=py2, text=text)
    ctx.imports = collect_imports(tree)
    leaf = [x for x in tree.leaves() if x.type == token.NAME and x.value == name][nth]
    return A.analysis(ctx).flow(leaf)


GRAD_CASES = {
    "style loss summed into the total": """
def closure():
    style_loss = 0
    for f, t in zip(feats, targets):
        style_loss += mse(gram(f), t)
    total = content_loss + style_weight * style_loss
    total.backward()
""",
    "loss accumulated then backward": """
loss = 0
for out, y in pairs:
    loss += criterion(out, y)
loss.backward()
""",
    "through autograd.grad": """
import torch
def penalty(ps, params):
    reg = 0
    for p in ps:
        reg += p.norm()
    g = torch.autograd.grad(reg * 2, params)
    print(g)
""",
    "returned from a closure": """
def closure():
    loss = 0
    for x, y in batches:
        loss += crit(model(x), y)
    return loss
""",
    "a method chain ending in backward": """
total = 0
for l in ls:
    total += l
(total / n).mean().backward()
""",
    "a list stacked and backpropagated": """
import torch
losses = []
for l in ls:
    acc = l
    losses.append(acc)
torch.stack(losses).sum().backward()
""",
    "autograd.backward on an alias": """
import torch
total = 0
total += a
both = [total]
torch.autograd.backward(total)
""",
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_grad_flows(name):
    src = GRAD_CASES[name]
    target = {
        "style loss summed into the total": "style_loss",
        "through autograd.grad": "reg",
        "a list stacked and backpropagated": "acc",
        "loss accumulated then backward": "loss",
        "returned from a closure": "loss",
    }.get(name, "total")
    assert _flow(src, target).verdict == A.GRAD, name


NUMBER_CASES = {
    "printed and formatted": """
total = 0
for l in ls:
    total += l
print('loss %.4f' % (total / n))
print('{:.3f}'.format(total), total)
""",
    "logged and compared": """
import logging
best = 1e9
total = 0
total += l
logging.info('x %f', total)
writer.add_scalar('loss', total, step)
if total < best:
    best = total
""",
    "numpy and math": """
import numpy as np
total_norm = 0
for p in ps:
    total_norm += p.grad.norm() ** 2
total_norm = np.sqrt(total_norm)
print(total_norm)
""",
    "a list of floats": """
import numpy as np
hist = []
avg = 0
avg += l
hist.append(avg / n)
print(np.mean(hist), hist[-1] > 2)
""",
    "an f-string": """
total = 0
total += l
print(f"loss {total:.3f}")
""",
    "python 2 print": """
total = 0
total += l
print 'loss', total
""",
}


@pytest.mark.parametrize("name", sorted(NUMBER_CASES))
def test_number_reads(name):
    src = NUMBER_CASES[name]
    target = "total_norm" if "numpy" in name else ("avg" if "list" in name else "total")
    assert _flow(src, target).verdict == A.NUMBER, name


UNKNOWN_CASES = {
    "a method of the value": ("total = 0\ntotal += l\nprint(total.item())\n", "`.item` is used"),
    "passed to a function": (
        "total = 0\ntotal += l\nlog_metrics(total)\n",
        "passed to `log_metrics()`",
    ),
    "stored on self": (
        "class T:\n    def f(self):\n        total = 0\n        total += l\n        self.total = total\n",
        "stored in an attribute",
    ),
    "read in a nested function": (
        "total = 0\ntotal += l\ndef report():\n    print(total)\n",
        "read in the nested function `report`",
    ),
    "indexed (legacy total[0])": ("total = 0\ntotal += l\nprint(total[0])\n", "indexed"),
    "an attribute in an f-string": (
        "total = 0\ntotal += l\nprint(f'{total.item()}')\n",
        "an attribute in an f-string",
    ),
}


@pytest.mark.parametrize("name", sorted(UNKNOWN_CASES))
def test_unknown_reads(name):
    src, why = UNKNOWN_CASES[name]
    flow = _flow(src, "total")
    assert flow.verdict == A.UNKNOWN, name
    assert flow.why == why


def test_returned_is_grad_but_marked_returned():
    flow = _flow(
        "def f(ls):\n    total = 0\n    for l in ls:\n        total += l\n    return total\n",
        "total",
    )
    assert flow.verdict == A.GRAD and flow.returned and flow.why == "returned"
    assert flow.line == 5


def test_backward_wins_over_return():
    src = "def f(ls):\n    t = 0\n    t += ls[0]\n    t.backward()\n    return t\n"
    flow = _flow(src, "t")
    assert flow.verdict == A.GRAD and not flow.returned


def test_other_variable_of_the_same_name_in_a_nested_function_is_ignored():
    src = "total = 0\ntotal += l\ndef g(total):\n    return total.item()\nprint(total)\n"
    assert _flow(src, "total").verdict == A.NUMBER


def test_memoised_and_dropped_on_change():
    src = "total = 0\ntotal += l\nprint(total)\n"
    tree, py2 = parse_source(src)
    ctx = FileContext(tree=tree, filename="t.py", py2_grammar=py2, text=src)
    ctx.imports = collect_imports(tree)
    an = A.analysis(ctx)
    leaf = next(x for x in tree.leaves() if x.type == token.NAME and x.value == "total")
    first = an.flow(leaf)
    assert an.flow(leaf) is first
    an.invalidate()
    assert an.flow(leaf) is not first and an.flow(leaf).verdict == first.verdict


def test_a_generator_over_the_value():
    src = "total = 0\ntotal += l\nprint(sum(x for x in [total]))\nfor v in total:\n    print(v)\n"
    assert _flow(src, "total").verdict == A.UNKNOWN
