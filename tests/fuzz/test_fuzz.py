"""The bounded CI profile of the fuzz campaign (``bench/fuzz.py --minutes N``
runs the long one).  See ``tests/fuzz/fuzzlib.py`` for the mutators and the
invariants."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz import fuzzlib

SEEDS = fuzzlib.seeds()


@pytest.fixture(scope="module")
def rule_ids():
    from codemods import all_rules

    return tuple(r.id for r in all_rules())


@st.composite
def mutants(draw):
    """(seed name, mutated bytes, unsafe-fixes) built from the legacy corpus
    and the rules' examples."""
    rnd = draw(st.randoms(use_true_random=False))
    name, text = rnd.choice(SEEDS)
    for _ in range(4):
        mutant = fuzzlib.mutate(rnd, text)
        if rnd.random() < 0.25 or fuzzlib._parses(mutant):
            break
    return name, fuzzlib.encode(rnd, mutant), draw(st.booleans())


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=mutants())
def test_mutants_keep_the_invariants(tmp_path_factory, rule_ids, case):
    name, raw, unsafe = case
    work = tmp_path_factory.mktemp("fuzz")
    verdict = fuzzlib.check(raw, work / "mutant.py", rule_ids, unsafe)
    assert verdict.violations == [], (name, unsafe, raw.decode("latin-1"))


def _compiles(data: bytes) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(data, "<fuzz>", "exec", dont_inherit=True)
            return True
        except (SyntaxError, ValueError):
            return False


def test_cli_on_a_tree_of_mutants(tmp_path):
    """The real CLI over 40 mutants: unchanged files are not touched (bytes and
    mtime), changed files compile when their input did, no internal error, and
    a second run changes nothing."""
    import random

    rnd = random.Random(20240607)
    tree = tmp_path / "tree"
    tree.mkdir()
    before = {}
    for i in range(40):
        name, text = rnd.choice(SEEDS)
        for _ in range(4):
            mutant = fuzzlib.mutate(rnd, text)
            if fuzzlib._parses(mutant):
                break
        f = tree / f"m{i:02d}.py"
        f.write_bytes(fuzzlib.encode(rnd, mutant))
        before[f] = (f.read_bytes(), f.stat().st_mtime_ns)
    env = dict(os.environ, COLUMNS="200")
    cmd = [sys.executable, "-m", "torchmigrate", "upgrade", "--unsafe-fixes", "--jobs", "2"]
    r = subprocess.run([*cmd, str(tree)], capture_output=True, text=True, env=env, timeout=600)
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    failed = {line.split(":")[0] for line in r.stderr.splitlines() if line.startswith(str(tree))}
    changed = 0
    for f, (raw, mtime) in before.items():
        now = f.read_bytes()
        if now == raw:
            assert f.stat().st_mtime_ns == mtime, f"{f} was rewritten with the same bytes"
        else:
            changed += 1
            assert str(f) not in failed
            if _compiles(raw):
                assert _compiles(now), f
    assert changed >= 10
    snapshot = {f: f.read_bytes() for f in before}
    r2 = subprocess.run([*cmd, str(tree)], capture_output=True, text=True, env=env, timeout=600)
    assert {f: f.read_bytes() for f in before} == snapshot, r2.stderr
    assert [p.name for p in tree.iterdir() if p.name.startswith(".")] == []


# --------------------------------------------------------------------------
# what the campaign found (kept as regressions)
# --------------------------------------------------------------------------
def test_import_added_above_an_encoding_cookie_keeps_the_header(tmp_path, rule_ids):
    raw = "# -*- coding: latin-1 -*-\n# caf\xe9\nx = torch.range(0, 10)\n".encode("latin-1")
    verdict = fuzzlib.check(raw, tmp_path / "m.py", rule_ids, True)
    assert verdict.status == "changed" and verdict.violations == []
    out = (tmp_path / "m.py").read_bytes().decode("latin-1")
    assert out.startswith("# -*- coding: latin-1 -*-\nimport torch\n")


def test_shebang_stays_on_line_one(tmp_path, rule_ids):
    raw = b"#!/usr/bin/env python\nx = torch.range(0, 10)\n"
    verdict = fuzzlib.check(raw, tmp_path / "m.py", rule_ids, True)
    assert verdict.status == "changed" and verdict.violations == []
    assert (tmp_path / "m.py").read_bytes().startswith(b"#!/usr/bin/env python\nimport torch\n")


def test_linalg_call_missing_an_argument_is_reported_not_an_internal_error(tmp_path, rule_ids):
    raw = b"import torch\nX = torch.gesv(BA ,)[0]\nX = torch.gesv(B, A)[0]\n"
    verdict = fuzzlib.check(raw, tmp_path / "m.py", rule_ids, True)
    assert verdict.violations == [] and verdict.status == "changed"


@pytest.mark.parametrize(
    "src",
    [
        "import torch.nn.functional as F\ndef step(model, x, t):\n"
        "    return F.l1_loss(x.view(8, 1), t)\n    torch: int = model.data[0]\n",
        "import torch.nn.functional as F\ndef f(model, s):\n"
        "    n: int = s.data[0]\n    return F.softmax(s)\n",
    ],
)
def test_annotated_assignment_in_a_function_is_not_an_internal_error(tmp_path, rule_ids, src):
    verdict = fuzzlib.check(src.encode(), tmp_path / "m.py", rule_ids, True)
    assert verdict.violations == []


KNOWN = Path(__file__).parent / "known"


# Found by the fuzz campaign: TM001's import removal was backed out although
# nothing in the final output used Variable, and the next run removed it.
def test_backed_out_import_removal_is_idempotent(tmp_path, rule_ids):
    raw = (KNOWN / "idempotence_import_backout.py.txt").read_bytes()
    verdict = fuzzlib.check(raw, tmp_path / "m.py", rule_ids, True)
    assert verdict.violations == []


# Found by the fuzz campaign: a second run wrapped in list(...) the d.items()
# that the first made of d.iteritems() (the file still read as Python 2).
def test_dict_items_made_from_iteritems_is_not_wrapped_by_a_second_run(tmp_path, rule_ids):
    raw = (KNOWN / "idempotence_dict_items_in_for.py.txt").read_bytes()
    verdict = fuzzlib.check(raw, tmp_path / "m.py", rule_ids, False)
    assert verdict.violations == []


# Found by the campaign on 0.2's fast engine (seed 2028): a rename of an
# imported torch function (TM104/TM105) was backed out ("would be undefined")
# when a Python 2 fix of the same pass (backticks, .iteritems()) rebuilt the
# expression around a use, so only a second run renamed it; and a second run
# wrapped in list(...) the iter(d.items()) that the first made of
# d.iteritems() while an unconverted import kept the file Python 2.
@pytest.mark.parametrize(
    "src",
    [
        "from torch.nn.utils import clip_grad_norm\nnn = `clip_grad_norm`\n",
        "from torch.nn.init import kaiming_normal, orthogonal as ortho\n"
        "nn = kaiming_normal.iteritems()\n",
        "urlopen = urllib2.iteritems()\nimport urllib2\n",
    ],
)
@pytest.mark.parametrize("unsafe", [False, True])
def test_a_second_run_changes_nothing_after_python2_fixes(tmp_path, rule_ids, src, unsafe):
    verdict = fuzzlib.check(src.encode(), tmp_path / "m.py", rule_ids, unsafe)
    assert verdict.violations == []


def test_a_rename_waits_for_a_use_another_fix_rebuilt():
    from codemods import all_rules
    from torchmigrate.engine import migrate

    res = migrate(
        "from torch.nn.init import kaiming_normal\nw = kaiming_normal.iteritems()\n",
        all_rules(),
    )
    assert (
        res.new == "from torch.nn.init import kaiming_normal_\nw = iter(kaiming_normal_.items())\n"
    )
    assert not [f for f in res.findings if f.rule == "TM104"]


# Found by the 10-minute campaign: TM201 moved a step before a function's
# final return after a loop ending in a nested block and left the return at
# column 0 ("'return' outside function": an AST parse accepts it, so the
# engine's compile invariant now compiles to bytecode).
@pytest.mark.parametrize(
    "inner",
    [
        "        with torch.no_grad():\n            optimizer.step()\n",
        "        try:\n            optimizer.step()\n        except Exception:\n            pass\n",
        "        for _ in range(1):\n            optimizer.step()\n",
    ],
)
def test_step_moved_before_a_return_after_nested_blocks_compiles(tmp_path, rule_ids, inner):
    src = (
        "import torch\nfrom torch.optim import lr_scheduler\n"
        "scheduler = lr_scheduler.StepLR(optimizer, 10)\n"
        "def train(epoch):\n    scheduler.step()\n    for x, y in loader:\n"
        + inner
        + "    return epoch\n"
    )
    verdict = fuzzlib.check(src.encode(), tmp_path / "m.py", rule_ids, True)
    assert verdict.violations == [] and verdict.status == "changed"
    out = (tmp_path / "m.py").read_text()
    assert out.endswith("    scheduler.step()\n    return epoch\n")


# Found by the campaign on 0.2's fast engine (seed 3031): the same move after
# a block that another fix of the same pass built (TM004 wrapping the last
# statement in `with torch.no_grad():`), whose indentation is in the return's
# prefix and not in the DEDENT's: the return lost it, the engine backed TM004
# out as "would not compile", and a second run applied it.
def test_step_moved_before_a_return_after_a_block_another_fix_built(tmp_path, rule_ids):
    src = (
        "from torch.optim import lr_scheduler\n"
        "scheduler = lr_scheduler.StepLR(optimizer, 10)\n"
        "def train(epoch):\n    scheduler.step()\n    for x, y in loader:\n"
        "        optimizer.step()\n    optim.data[0] = 0\n    return epoch\n"
    )
    verdict = fuzzlib.check(src.encode(), tmp_path / "m.py", rule_ids, True)
    assert verdict.violations == [] and verdict.status == "changed"
    out = (tmp_path / "m.py").read_text()
    assert out.endswith(
        "    with torch.no_grad():\n        optim[0] = 0\n    scheduler.step()\n    return epoch\n"
    )


# Found by the campaign on 0.2's fast engine (seed 4049): TM012 re-checked a
# legacy Function at fix time and raised, because TM002 had decorated its
# backward in the same pass (an internal error: now tried a pass later, where
# TM012 reports the class); and `itertools.izip` used as a value (not called)
# was left behind, so a second run still took the file for Python 2 and
# wrapped the `zip(a, b)` the first run made of `itertools.izip(a, b)`.
@pytest.mark.parametrize(
    "src",
    [
        "import torch\nfrom torch.autograd import Variable, Function\n"
        "class ClampedReLU(Function):\n    def __init__(self, lo=0.0):\n        self.lo = lo\n"
        "    def forward(self, x):\n        return x.clamp(min=self.lo)\n"
        "    def backward(self, g):\n        ones = Variable(g, volatile=True)\n        return g\n"
        "def f(x):\n    return ClampedReLU(0.0)(x)\n",
        "izip = itertools.izip.cpu().numpy()\nimport itertools\nit = itertools.izip(a, b)\n",
    ],
)
def test_fixes_of_one_pass_that_meet_settle_in_one_run(tmp_path, rule_ids, src):
    verdict = fuzzlib.check(src.encode(), tmp_path / "m.py", rule_ids, True)
    assert verdict.violations == [] and verdict.status == "changed"


# Found by the campaign of seed 5051: fissix's grammar accepts any expression
# before a keyword argument's `=` (`Variable(x.y =True)`; CPython rejects it),
# and the argument reader took it for a name (an internal error in TM001).
# The other three findings of that campaign were second runs over Python 2
# residue (the Python 2 gate, tests/codemods/test_py2_rules.py).
@pytest.mark.parametrize(
    "src",
    [
        "from torch.autograd import Variable\nw = Variable(torch.randn(3, 1,) =requires_gradTrue)\n",
        "pad = itertools.izip_longest\nzipper = xrange(10)\n",
        "if True:\n    zipper = itertools.izip\nitertools = xrange(10)\n",
        "it = itertools.izip(a, b)\nb = xrange(10)\n",
    ],
)
@pytest.mark.parametrize("unsafe", [False, True])
def test_seed_5051_findings(tmp_path, rule_ids, src, unsafe):
    verdict = fuzzlib.check(src.encode(), tmp_path / "m.py", rule_ids, unsafe)
    assert verdict.violations == []


def test_compile_invariant_sees_compiler_errors_not_only_parse_errors():
    from torchmigrate.engine import _compiles

    assert _compiles("def f():\n    return 1\n") is None
    assert "outside function" in str(_compiles("return 1\n"))
    assert "outside loop" in str(_compiles("break\n"))


# Found by the 10-minute campaign: an annotated `self: int = ...` in a legacy
# autograd Function's method was an internal error in TM012.
def test_annotated_self_in_a_legacy_function_is_not_an_internal_error(tmp_path, rule_ids):
    src = (
        "import torch.autograd as autograd\nclass Mul(autograd.Function):\n"
        "    def forward(self, a, b):\n        return a * b\n"
        "    def backward(self, g):\n        self: int = autograd.data[0]\n"
    )
    verdict = fuzzlib.check(src.encode(), tmp_path / "m.py", rule_ids, True)
    assert verdict.violations == []


# Found on real 2018 code (allennlp 0.4's ``Variable(t.data.new()\n
# .resize_(...).fill_(0))``) and then by the ``_reflow`` mutation: an argument
# wrapped over lines inside the call's brackets, taken out of them by a fix,
# was no longer one expression; the rule raised (an internal error that
# failed the whole file).  The moved text is now parenthesised.
@pytest.mark.parametrize(
    "src",
    [
        "import torch\nfrom torch.autograd import Variable\n"
        "def f(t, n):\n    acc = Variable(t.data.new()\n"
        "                   .resize_(n, 3).fill_(0))\n    return acc\n",
        "import torch\ndef groups(model):\n    out = {}\n    for p in model.parameters():\n"
        "        tp = type(p\n             .data)\n        out[tp] = p\n    return out\n",
        "from torchvision import models\nnet = models.densenet121(pretrained=args\n"
        "   .pretrained)\n",
    ],
)
@pytest.mark.parametrize("unsafe", [False, True])
def test_an_argument_wrapped_over_lines_stays_one_expression(tmp_path, rule_ids, src, unsafe):
    verdict = fuzzlib.check(src.encode(), tmp_path / "m.py", rule_ids, unsafe)
    assert verdict.violations == []
    if unsafe:  # (TM211's rewrite is unsafe: without the flag the file is unchanged)
        assert verdict.status == "changed"
