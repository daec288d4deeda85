"""TM010: async= keyword."""

from __future__ import annotations

import ast

import pytest

from codemods import all_rules, get_rule
from torchmigrate.engine import migrate

RULE = get_rule("TM010")


def test_file_unparsable_by_python_becomes_parsable():
    src = "import torch\nx = torch.zeros(2)\ny = x.cpu(async=True)\nz = x.to('cpu', async=True)\n"
    with pytest.raises(SyntaxError):
        ast.parse(src)
    out = migrate(src, [RULE]).new
    ast.parse(out)
    assert "y = x.cpu(non_blocking=True)" in out and "z = x.to('cpu', non_blocking=True)" in out


def test_python2_file_with_comments_and_line_breaks():
    src = "print 'go'\nx = x.cuda(device,\n           async=True)  # overlap copies\n"
    out = migrate(src, [RULE]).new
    assert (
        out == "print 'go'\nx = x.cuda(device,\n           non_blocking=True)  # overlap copies\n"
    )


def test_async_variable_is_manual():
    src = "async = True\nx = x.cuda(async=async)\n"
    res = migrate(src, [RULE])
    assert res.new == "async = True\nx = x.cuda(non_blocking=async)\n"
    assert [f.safety for f in res.findings] == ["manual", "manual"]


def test_migrated_call_runs_on_213():
    torch = pytest.importorskip("torch")
    x = torch.zeros(2)
    out = migrate("y = x.type(torch.DoubleTensor, async=True)\n", [RULE]).new
    env = {"torch": torch, "x": x}
    exec(out, env)
    assert env["y"].dtype == torch.float64


def test_all_rules_together():
    src = "print 'a'\nfor x, y in loader:\n    x = x.cuda(async=True)\n"
    res = migrate(src, all_rules(), unsafe_fixes=True)
    assert not res.errors
    assert "async" not in res.new


FASTAI_CORE = """import torch

USE_GPU = torch.cuda.is_available()


def to_gpu(x, *args, **kwargs):
    return x.cuda(*args, **kwargs) if USE_GPU else x


def T(a, half=False, cuda=True):
    a = torch.DoubleTensor(a) if half else torch.as_tensor(a)
    if cuda: a = to_gpu(a, async=True)
    return a
"""


def test_fastai_to_gpu_wrapper_is_renamed_and_the_file_compiles():
    # fastai 0.6/0.7 core.py: the wrapper passes **kwargs on to .cuda()
    res = migrate(FASTAI_CORE, all_rules())
    assert "if cuda: a = to_gpu(a, non_blocking=True)" in res.new
    assert [f.rule for f in res.fixes].count("TM010") == 1
    compile(res.new, "core.py", "exec")


def test_wrapper_that_forwards_to_type_runs_the_same_on_213():
    torch = pytest.importorskip("torch")
    src = (
        "def to_double(x, **kw):\n"
        "    return x.type(torch.DoubleTensor, **kw)\n"
        "y = to_double(x, async=True)\n"
    )
    out = migrate(src, [RULE]).new
    assert "to_double(x, non_blocking=True)" in out
    env = {"torch": torch, "x": torch.ones(2)}
    exec(out, env)
    assert env["y"].dtype == torch.float64 and env["y"].tolist() == [1.0, 1.0]


# Wrappers whose keyword may not mean PyTorch's `non_blocking`: never safe.
NOT_FORWARDING = [
    # reads its kwargs too
    "def to_gpu(x, **kw):\n    print(kw)\n    return x.cuda(**kw)\n",
    # passes them to something that is not a PyTorch method
    "def to_gpu(x, **kw):\n    return submit(x, **kw)\n",
    # decorated: the decorator may see the keyword first
    "@wraps\ndef to_gpu(x, **kw):\n    return x.cuda(**kw)\n",
    # bound twice
    "def to_gpu(x, **kw):\n    return x.cuda(**kw)\nto_gpu = other\n",
    # no **kwargs at all
    "def to_gpu(x, *args):\n    return x.cuda(*args)\n",
    # defined in a class body, not at the top level
    "class A:\n    def to_gpu(x, **kw):\n        return x.cuda(**kw)\n",
    # its own non_blocking parameter would take the renamed keyword
    "def to_gpu(x, non_blocking=False, **kw):\n    return x.cuda(**kw)\n",
    # rebound through `global` in another function
    "def to_gpu(x, **kw):\n    return x.cuda(**kw)\ndef swap():\n    global to_gpu\n    to_gpu = f\n",
    # a star import after it may rebind it
    "def to_gpu(x, **kw):\n    return x.cuda(**kw)\nfrom helpers import *\n",
]


@pytest.mark.parametrize("wrapper", NOT_FORWARDING)
def test_other_wrappers_stay_unsafe(wrapper):
    src = "import torch\n" + wrapper + "y = to_gpu(x, async=True)\n"
    res = migrate(src, [RULE])
    assert res.new == src
    assert [(f.rule, f.safety) for f in res.findings] == [("TM010", "unsafe")]


def test_other_meanings_of_the_name_at_the_call_are_unsafe():
    wrapper = "def to_gpu(x, **kw):\n    return x.cuda(**kw)\n"
    for call in (
        "k = lambda to_gpu: to_gpu(t, async=True)\n",
        "class C:\n    def to_gpu(x, **kw):\n        return other(x, **kw)\n"
        "    y = to_gpu(t, async=True)\n",
    ):
        src = "import torch\n" + wrapper + call
        res = migrate(src, [RULE])
        assert res.new == src, call
        assert [f.safety for f in res.findings] == ["unsafe"], call
    # a method's body reads the module's function
    src = (
        "import torch\n"
        + wrapper
        + "class C:\n    def m(self, t):\n        return to_gpu(t, async=True)\n"
    )
    assert "to_gpu(t, non_blocking=True)" in migrate(src, [RULE]).new


def test_local_shadow_of_a_forwarding_wrapper_is_unsafe():
    src = (
        "def to_gpu(x, **kw):\n    return x.cuda(**kw)\n"
        "def f(x, to_gpu):\n    return to_gpu(x, async=True)\n"
    )
    res = migrate(src, [RULE])
    assert res.new == src and [f.safety for f in res.findings] == ["unsafe"]


# Every shape a call with ``async=`` can take, and ``async`` as a name or an
# attribute: the rule never leaves one unreported.
ASYNC_SITES = [
    "y = x.cuda(async=True)\n",
    "y = x.cuda(0,\n           async=True)\n",
    "y = to_gpu(x, async=True)\n",
    "y = fns[0](x, async=True)\n",
    "y = make()(x, async=True)\n",
    "y = (lambda v: v)(x, async=True)\n",
    "y = mod.sub.put(x, async=True)\n",
    "y = [v.cuda(async=True) for v in xs]\n",
    "f = lambda v: v.cuda(async=True)\n",
    "def g(v, async=False):\n    return v\n",
    "async = True\n",
    "y = job.async\n",
    "print 'py2'\ny = put(x, async=True)\n",
    "@register(async=True)\ndef f():\n    pass\n",
    "class A(Base, async=True):\n    pass\n",
]


@pytest.mark.parametrize("site", ASYNC_SITES)
@pytest.mark.parametrize("unsafe", [False, True])
def test_no_async_is_left_unreported(site, unsafe):
    import io
    import tokenize

    src = "import torch\n" + site
    res = migrate(src, all_rules(), unsafe_fixes=unsafe)
    reported = {f.line for f in res.findings if f.rule == "TM010"}
    left = set()
    if "print 'py2'" not in res.new:  # (Python 3 text: CPython's tokenizer reads it)
        for tok in tokenize.generate_tokens(io.StringIO(res.new).readline):
            if tok.type == tokenize.NAME and tok.string == "async":
                left.add(tok.start[0])
    else:
        left = {i for i, line in enumerate(res.new.split("\n"), 1) if "async" in line}
    assert left <= reported, (res.new, res.findings)
    if not left:
        compile(res.new, "<out>", "exec")
