"""The analysis front door: one object answers "what is this value?", caches
per scope, and forgets only what a change can have touched."""

from __future__ import annotations

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms

from codemods import analysis as A
from codemods.base import FileContext, collect_imports, parse_expr, parse_source

SOURCE = """\
import torch
import torch.nn as nn
from torch.autograd import Variable

model = nn.Linear(3, 2)
idx = torch.LongTensor([0, 1])
n = 4


def train(loader, optimizer):
    for data, target in loader:
        x = Variable(data)
        out = model(x)
        loss = out.sum()
        loss.backward()
        steps = idx.float()
        flat = out.view(n, 2)
    return loss


def other():
    y = torch.zeros(2, 3)
    return y
"""


def _ctx(text: str = SOURCE) -> FileContext:
    tree, py2 = parse_source(text)
    ctx = FileContext(tree=tree, filename="t.py", py2_grammar=py2, text=text)
    ctx.imports = collect_imports(tree)
    return ctx


def _name(ctx, name: str, nth: int = 0):
    hits = [leaf for leaf in ctx.tree.leaves() if leaf.type == token.NAME and leaf.value == name]
    return hits[nth]


def _expr(ctx, name: str, nth: int = 0):
    """The whole expression a NAME starts (its power node when it has one)."""
    leaf = _name(ctx, name, nth)
    parent = leaf.parent
    return parent if parent.type == syms.power and parent.children[0] is leaf else leaf


def test_one_object_per_file_context():
    ctx = _ctx()
    assert A.analysis(ctx) is A.analysis(ctx)
    assert isinstance(A.analysis(ctx), A.Analysis)


def test_value_questions():
    ctx = _ctx()
    an = A.analysis(ctx)
    # a loader batch wrapped in Variable: a plain (no grad) tensor
    x = an.value(_name(ctx, "x", 1))
    assert x is not None and x.kind == "tensor" and x.plain
    # a model output requires grad; its full reduction is one element
    loss = an.value(_name(ctx, "loss", 1))
    assert loss is not None and loss.kind == "tensor" and loss.grad and loss.scalar
    mod = an.value(_name(ctx, "model", 1))
    assert mod is not None and mod.kind == "module"
    assert an.value(_name(ctx, "n", 1)).kind == "num"


def test_evidence_dtype_and_rank_questions():
    ctx = _ctx()
    an = A.analysis(ctx)
    assert an.is_number(_name(ctx, "n", 1))
    assert an.is_int(_name(ctx, "n", 1))
    assert an.is_tensor(_expr(ctx, "torch", 3))  # torch.LongTensor([0, 1])
    assert an.dtype(_name(ctx, "idx", 1)) == "int"  # torch.LongTensor
    assert an.dtype(_expr(ctx, "idx", 1)) == "float"  # idx.float()
    assert an.dtype(_name(ctx, "data", 1)) is None  # a loader batch: dtype unknown
    flat_stmt = _name(ctx, "flat").parent
    assert an.rank(flat_stmt.children[2], flat_stmt) == 2
    assert an.assignments("n", _name(ctx, "n", 1)) is not None
    assert an.is_variable_ref(_name(ctx, "Variable", 1))


def test_scope_tables_are_cached_and_invalidated_per_scope():
    ctx = _ctx()
    an = A.analysis(ctx)
    train = _name(ctx, "train").parent
    other = _name(ctx, "other").parent
    assert train.type == syms.funcdef and other.type == syms.funcdef
    t_train = an.bindings(train)
    t_other = an.bindings(other)
    t_module = an.bindings(ctx.tree)
    assert an.bindings(train) is t_train  # cached
    # a change inside train() drops train's and the module's tables only
    an.invalidate([_name(ctx, "steps")])
    assert an.bindings(other) is t_other
    assert an.bindings(train) is not t_train
    assert an.bindings(ctx.tree) is not t_module
    # everything else is recomputed on demand and gives the same answers
    assert an.value(_name(ctx, "x", 1)).plain
    an.invalidate()
    assert an.bindings(other) is not t_other


def test_answers_are_forgotten_on_invalidate():
    text = "import torch\nx = torch.zeros(3)\ny = x\n"
    ctx = _ctx(text)
    an = A.analysis(ctx)
    y_use = _name(ctx, "x", 1)
    assert an.value(y_use).kind == "tensor"
    # a fix rebinds x to a number: after invalidation the new answer shows
    assign = _name(ctx, "x", 0).parent
    repl = parse_expr("3")
    repl.prefix = " "
    assign.children[2].replace(repl)
    an.invalidate([repl])
    assert an.value(y_use).kind == "num"


CYCLE_SOURCE = """\
import torch
import torch.nn as nn

model = nn.Linear(3, 3)


def f(loader):
    a = torch.zeros(3)
    b = None
    for x in loader:
        b = a * 2
        a = b + model(x)
    return a, b
"""


def test_answers_found_under_a_guess_do_not_outlive_it():
    """``a`` depends on itself through ``b``: its value is found from a guess,
    and ``b``'s value is computed under each guess on the way.  Those
    provisional answers are dropped from the memo when ``a`` settles, so a
    later question about ``b`` gets what it gets asked alone."""

    def value_of(ctx, name):
        leaf = [x for x in ctx.tree.leaves() if x.type == token.NAME and x.value == name][-1]
        return repr(A.analysis(ctx).value(leaf))

    alone = value_of(_ctx(CYCLE_SOURCE), "b")
    ctx = _ctx(CYCLE_SOURCE)
    assert value_of(ctx, "a") == "Val(tensor)"
    assert value_of(ctx, "b") == alone


def test_answers_that_never_read_the_guess_outlive_it():
    """Inside ``a``'s fixpoint, ``model`` and ``torch`` (module-level
    names) are resolved too but never read ``a``'s guess: they stay
    memoised, while ``b`` (which reads it) goes with the guess."""
    ctx = _ctx(CYCLE_SOURCE)
    an = A.analysis(ctx)
    leaf = [x for x in ctx.tree.leaves() if x.type == token.NAME and x.value == "a"][-1]
    assert repr(an.value(leaf)) == "Val(tensor)"
    kept = {name for (_, name) in an._names}
    assert {"a", "model", "torch"} <= kept and "b" not in kept
    assert not an._frames and not an._provisional  # nothing left in progress


def test_a_failed_lookup_leaves_no_frame_behind(monkeypatch):
    ctx = _ctx(CYCLE_SOURCE)
    an = A.analysis(ctx)
    leaves = [x for x in ctx.tree.leaves() if x.type == token.NAME]
    real = type(an)._binding_value

    def failing(self, scope, bnd):
        if bnd[0] == "assign" and str(bnd[1]).strip() == "a * 2":
            raise RuntimeError("boom")
        return real(self, scope, bnd)

    monkeypatch.setattr(type(an), "_binding_value", failing)
    try:
        an.value([x for x in leaves if x.value == "a"][-1])
    except RuntimeError:
        pass
    else:
        raise AssertionError("the failure was swallowed")
    assert not an._frames and not an._provisional
    assert not any(name in ("a", "b") for (_, name) in an._names)
    monkeypatch.undo()
    assert repr(an.value([x for x in leaves if x.value == "a"][-1])) == "Val(tensor)"


def _recheck_reused_bindings(monkeypatch):
    """Make every round of a fixpoint evaluate each binding again and check
    that a binding it would have kept (it never read the guess) comes out
    the same; returns the counters [kept, evaluated again]."""
    cls = type(A.analysis(_ctx(CYCLE_SOURCE)))
    real = cls._binding_values
    seen = [0, 0]

    def checking(self, scope, binds, depth, before=None, read=None):
        vals, reads = real(self, scope, binds, depth, before, read)
        if read is None:
            return vals, reads
        again, _ = real(self, scope, binds, depth)  # every binding, this round
        for i, kept in enumerate(read):
            if not kept:
                seen[0] += 1
                assert repr(again[i]) == repr(vals[i]), (binds[i], again[i], vals[i])
            else:
                seen[1] += 1
        return vals, reads

    monkeypatch.setattr(cls, "_binding_values", checking)
    return seen


LOOP_SOURCE = """\
import torch
from torch.autograd import Variable


def train(loader):
    for batch_idx, (data, target) in enumerate(loader):
        data = Variable(data)
    return data
"""


def test_a_binding_that_never_read_the_guess_is_not_evaluated_again(monkeypatch):
    """``data``'s fixpoint: the loop target never reads ``data``'s guess and
    keeps its value in the next round; ``data = Variable(data)`` reads it
    and is evaluated again."""
    ctx = _ctx(LOOP_SOURCE)
    an = A.analysis(ctx)
    calls = []
    real = type(an)._binding_value

    def counting(self, scope, bnd):
        calls.append(bnd[0])
        return real(self, scope, bnd)

    monkeypatch.setattr(type(an), "_binding_value", counting)
    leaf = [x for x in ctx.tree.leaves() if x.type == token.NAME and x.value == "data"][-1]
    assert an.value(leaf) is not None
    # three rounds (the first guess, a second that changes it, a third that
    # confirms it): the loop target once, the assignment in each round
    assert calls.count("assign") == 3
    assert calls.count("for") == 1  # (it was 3: once per round)
    assert not an._frames and not an._provisional


THROUGH_SOURCE = """\
import torch


def f(loader):
    h = torch.zeros(3)
    for x in loader:
        out = h * 2
        h = out
    return h
"""


def test_a_binding_that_reads_the_guess_through_another_name_is_evaluated_again(monkeypatch):
    """``h = out`` reads ``h``'s guess only through ``out`` (whose answer
    rests on it): it is evaluated again in the next round, and what each
    round keeps equals a fresh evaluation."""
    seen = _recheck_reused_bindings(monkeypatch)
    ctx = _ctx(THROUGH_SOURCE)
    an = A.analysis(ctx)
    leaf = [x for x in ctx.tree.leaves() if x.type == token.NAME and x.value == "h"][-1]
    assert repr(an.value(leaf)).startswith("Val(tensor")
    assert seen == [1, 1]  # h = torch.zeros(3) kept, h = out evaluated again


def test_kept_binding_values_equal_a_fresh_evaluation_on_the_corpus(monkeypatch):
    """Property: on every corpus program and rule example, each binding value
    a fixpoint round keeps equals what evaluating it again in that round
    gives (so keeping it changes no answer)."""
    from pathlib import Path

    from codemods import all_rules
    from torchmigrate.engine import migrate

    seen = _recheck_reused_bindings(monkeypatch)
    root = Path(__file__).resolve().parents[2]
    rules = all_rules()
    texts = [p.read_text() for p in sorted((root / "corpus" / "legacy").rglob("*.py"))]
    texts += [ex.before for r in rules for ex in r.examples]
    for text in texts:
        migrate(text, rules, unsafe_fixes=True)
    assert seen[0] > 50 and seen[1] > 50, seen


def test_annotated_assignments_are_assignments():
    """``x: T = v`` is an assignment for every view of the bindings: the
    value lattice and the assignment table (``x: T`` alone binds nothing)."""
    from codemods.analysis import scopes

    text = (
        "import torch\n"
        "def f(m):\n"
        "    w: torch.Tensor = torch.zeros(3)\n"
        "    self_ish: int\n"
        "    m.h: torch.Tensor = w\n"
        "    return w\n"
    )
    ctx = _ctx(text)
    use = _name(ctx, "w", 2)
    ops = scopes.assignments_of(ctx, "w", use)
    assert [(op, str(rhs).strip()) for op, rhs in ops] == [("=", "torch.zeros(3)")]
    assert scopes.assignments_of(ctx, "self_ish", use) is None
    assert [str(r).strip() for _op, r in scopes.assignment_table(ctx)["attrs"]["m.h"]] == ["w"]
    func = next(n for n in ctx.tree.pre_order() if n.type == syms.funcdef)
    b = scopes.collect_bindings(func)
    assert [k for k, *_ in b.names["w"]] == ["assign"] and "self_ish" not in b.names
    assert [str(t).strip() for t, _v, _p in b.attrs] == ["m.h"]
    assert A.is_plain(A.analysis(ctx).value(use))


def test_empty_list_test_agrees_with_the_printed_text():
    """``values._empty_list`` answers ``str(node).strip() == "[]"`` without
    printing: on every node of the corpus and on odd spellings."""
    from pathlib import Path

    from codemods.analysis.values import _empty_list

    root = Path(__file__).resolve().parents[2]
    texts = [p.read_text() for p in sorted((root / "corpus" / "legacy").rglob("*.py"))]
    texts.append("a = []\nb = [ ]\nc = [  # why\n]\nd = \\\n    []\ne = [[]]\nf = ()\ng = [1]\n")
    seen = 0
    for text in texts:
        for node in parse_source(text)[0].pre_order():
            assert _empty_list(node) == (str(node).strip() == "[]"), repr(str(node))
            seen += _empty_list(node)
    assert seen >= 3


def test_torch_linalg_results_are_tensors():
    # what TM205 writes (torch.symeig -> torch.linalg.eigh / eigvalsh) must be
    # readable by the rules of the next pass (TM109's ``1 - mask``)
    ctx = _ctx(
        "import torch\n"
        "def f(x, q):\n"
        "    ev = torch.linalg.eigvalsh(x)\n"
        "    n = torch.linalg.vector_norm(x)\n"
        "    pair = torch.linalg.eigh(x)\n"
        "    other = torch.linalg.nope(x)\n"
        "    return ev, n, pair, other\n"
    )
    an = A.analysis(ctx)
    for name in ("ev", "n"):
        assert an.is_tensor(_name(ctx, name, 1)), name
        v = an.value(_name(ctx, name, 1))
        assert v is not None and v.kind == "tensor", name
    for name in ("pair", "other"):  # a tuple, an unknown function
        assert not an.is_tensor(_name(ctx, name, 1)), name
