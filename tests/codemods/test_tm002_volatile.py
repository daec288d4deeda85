"""TM002 volatile: decorator placement, idempotence, manual guidance."""

from __future__ import annotations

from codemods import get_rule
from torchmigrate.engine import migrate

RULES = [get_rule("TM001"), get_rule("TM002")]


def run(text, unsafe=False, rules=RULES):
    res = migrate(text, rules, unsafe_fixes=unsafe)
    assert not res.errors, res.errors
    return res


def left(res):
    return sorted(f.safety for f in res.findings if f.rule == "TM002")


def test_method_with_decorators_and_import_added():
    src = (
        "from torch.autograd import Variable\n"
        "class Trainer(object):\n"
        "    @staticmethod\n"
        "    def evaluate(model, loader):\n"
        "        for x, y in loader:\n"
        "            out = model(Variable(x, volatile=True))\n"
        "            tgt = Variable(y, volatile=True)\n"
    )
    new = run(src).new
    assert new.startswith("import torch\n")
    assert "    @staticmethod\n    @torch.no_grad()\n    def evaluate(model, loader):\n" in new
    assert new.count("no_grad") == 1
    assert "out = model(x)" in new and "tgt = y" in new


def test_already_decorated_or_inside_with():
    src = (
        "import torch\nfrom torch import no_grad\nfrom torch.autograd import Variable\n"
        "@no_grad()\n"
        "def a(x):\n    return model(Variable(x, volatile=True))\n"
        "def b(x):\n    with torch.no_grad():\n        return model(Variable(x, volatile=True))\n"
    )
    new = run(src).new
    assert new.count("@no_grad()") == 1 and "@torch.no_grad()" not in new
    assert "volatile" not in new


def test_idempotent():
    src = (
        "import torch\nfrom torch.autograd import Variable\n"
        "def evaluate(loader):\n    for x, _ in loader:\n        model(Variable(x, volatile=True))\n"
    )
    once = run(src).new
    assert run(once).new == once


def test_training_function_is_manual_when_bound_to_a_name():
    src = (
        "from torch.autograd import Variable\n"
        "def train(loader):\n"
        "    for x, y in loader:\n"
        "        loss = model(Variable(x)).sum()\n"
        "        loss.backward()\n"
        "        optimizer.step()\n"
        "        vx = Variable(val_x, volatile=True)\n"
        "        print(model(vx))\n"
    )
    res = run(src, unsafe=True)
    assert "volatile=True" in res.new and left(res) == ["manual"]
    assert "with torch.no_grad()" in res.findings[-1].message


def test_expression_and_escape_are_manual():
    src = (
        "from torch.autograd import Variable\n"
        "def get_batch(src, i, evaluation=False):\n"
        "    return Variable(src[i], volatile=evaluation)\n"
        "def wrap(x):\n"
        "    v = Variable(x, volatile=True)\n"
        "    return v\n"
    )
    res = run(src)
    assert res.new == src
    assert left(res) == ["manual", "manual"]
    assert "set_grad_enabled(not (evaluation))" in " ".join(f.message for f in res.findings)


def test_env_step_is_not_training():
    src = (
        "import torch\nfrom torch.autograd import Variable\n"
        "def play(env, state):\n"
        "    probs = policy(Variable(state, volatile=True))\n"
        "    state, r, done, _ = env.step(probs.argmax())\n"
    )
    assert "@torch.no_grad()\ndef play" in run(src).new


def test_volatile_attribute_and_false():
    src = (
        "from torch.autograd import Variable\n"
        "def f(x):\n"
        "    y = Variable(x, volatile=False)\n"
        "    if y.volatile:\n"
        "        y.volatile = False\n"
    )
    res = run(src, rules=[get_rule("TM002")])
    assert "Variable(x)" in res.new
    assert left(res) == ["manual", "manual"]


def test_result_runs_under_no_grad():
    import torch

    src = (
        "import torch\nfrom torch.autograd import Variable\n"
        "lin = torch.nn.Linear(3, 2)\n"
        "def evaluate(x):\n    out = lin(Variable(x, volatile=True))\n    return out\n"
    )
    ns: dict = {}
    exec(compile(run(src).new, "<m>", "exec"), ns)
    out = ns["evaluate"](torch.randn(4, 3))
    assert not out.requires_grad
    out.numpy()  # works: no graph, as with volatile
