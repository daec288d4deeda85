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


# TM001 unwraps a volatile call in the pass in which TM002 drops its flag
EVAL = (
    "import torch\n"
    "from torch.autograd import Variable\n"
    "\n"
    "def evaluate(model, loader):\n"
    "    for data, target in loader:\n"
    "        data = Variable(data, volatile=True)\n"
    "        out = model(Variable(data.cuda(), volatile=True))\n"
)


def test_flag_and_wrapper_go_in_one_pass():
    res = run(EVAL)
    assert res.new == (
        "import torch\n"
        "\n"
        "@torch.no_grad()\n"
        "def evaluate(model, loader):\n"
        "    for data, target in loader:\n"
        "        out = model(data.cuda())\n"
    )
    assert res.passes == 2  # the fixes (and the import's removal), then a confirmation
    unwraps = [f for f in res.fixes if f.rule == "TM001" and f.source_line == 7]
    # the report names the call as it reads without the flag, at its place in the input
    assert [(f.col, f.suggestion) for f in unwraps] == [(21, "data.cuda()")]
    assert "`Variable(data.cuda())` -> `data.cuda()`" in unwraps[0].message


def test_wrapper_stays_when_the_flag_stays():
    # TM002 suppressed, switched off, or manual: TM001 leaves the call alone
    suppressed = EVAL.replace(
        "volatile=True))\n", "volatile=True))  # torchmigrate: ignore[TM002]\n"
    )
    res = run(suppressed)
    assert "model(Variable(data.cuda(), volatile=True))" in res.new
    assert "data = Variable(data, volatile=True)" not in res.new
    assert not [f for f in res.findings if f.rule == "TM001"]
    res = run(EVAL, rules=[get_rule("TM001")])
    assert res.new == EVAL and not res.fixes
    trains = EVAL + "        out.backward()\n"
    res = run(trains)
    assert res.new == trains
    assert left(res) == ["manual", "unsafe"]  # nothing applied without --unsafe-fixes


def test_a_volatile_call_over_two_lines_waits_a_pass():
    src = EVAL.replace(
        "data.cuda(), volatile", "data.cuda(),\n                             volatile"
    )
    res = run(src)
    assert "out = model(data.cuda())" in res.new and "Variable" not in res.new
    assert res.passes == 3


def test_a_backed_out_flag_keeps_the_wrapper_and_blames_only_tm002():
    # foolbox 1.3's lazy import: `@torch.no_grad()` would read a `torch` the
    # class body does not have; TM002 is backed out, TM001's unwrap (which
    # needs the flag gone) is not a site of its own to report
    src = (
        "class Model(object):\n"
        "    def loss(self, image):\n"
        "        import torch\n"
        "        from torch.autograd import Variable\n"
        "        images = Variable(torch.from_numpy(image), volatile=True)\n"
        "        return self._model(images)\n"
    )
    res = run(src)
    assert res.new == src
    assert [(f.rule, f.safety) for f in res.findings] == [("TM002", "manual")]
    assert "backed out: `torch` would be undefined" in res.findings[0].message


def test_a_volatile_value_returned_through_a_branch_is_manual():
    # fastai 0.6's VV_: the value leaves the function through a conditional
    # expression; a @torch.no_grad() decorator would end before its forward
    # pass, which then builds a graph that the volatile input never did
    for body in (
        "return x if isinstance(x, Variable) else Variable(x, volatile=True)",
        "return Variable(x, volatile=True) if x is not None else None",
        "return x or Variable(x, volatile=True)",
        "return [Variable(x, volatile=True)]",
        "return lambda: Variable(x, volatile=True)",
        "return {'x': Variable(x, volatile=True)}",
    ):
        src = f"import torch\nfrom torch.autograd import Variable\ndef VV_(x):\n    {body}\n"
        res = run(src, unsafe=True)
        assert res.new == src, body
        assert left(res) == ["manual"], body
    src = (
        "import torch\nfrom torch.autograd import Variable\ndef VV_(x):\n"
        "    v = Variable(x, volatile=True)\n    return v if v is not None else x\n"
    )
    res = run(src, unsafe=True)
    assert res.new == src and left(res) == ["manual"]


def test_a_volatile_name_that_leaves_through_a_closure_or_a_dict_is_manual():
    for tail in (
        "    return lambda: v\n",
        "    return {'x': v}\n",
        "    def later():\n        return model(v)\n    return later\n",
    ):
        src = (
            "import torch\nfrom torch.autograd import Variable\ndef VV_(x):\n"
            "    v = Variable(x, volatile=True)\n" + tail
        )
        res = run(src, unsafe=True)
        assert res.new == src, tail
        assert left(res) == ["manual"], tail
