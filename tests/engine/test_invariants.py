"""The engine's output invariants: the output compiles when the input did,
no fix leaves a name undefined (project-wide facts included), no assignment
or deletion target becomes a call -- and a fix that would break one is
backed out alone, reported with the reason, while the rest of the file is
still migrated.  Rules that keep rewriting a site are backed out the same
way."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf

from codemods import all_rules, select_rules
from codemods.base import SAFE, Example, Rule, RuleFixer, parse_expr, parse_source
from torchmigrate import names
from torchmigrate.engine import migrate

ALL = all_rules()


def _compiles(text: str) -> bool:
    try:
        ast.parse(text)
        return True
    except SyntaxError:
        return False


def _backed_out(result, rule_id: str) -> list:
    return [
        f
        for f in result.findings
        if f.rule == rule_id and f.safety == "manual" and "backed out" in f.message
    ]


# --------------------------------------------------------------------------
# store targets never become calls (TM003 and any rule producing a call)
# --------------------------------------------------------------------------
LOSS = (
    "import torch\nimport torch.nn as nn\n"
    "criterion = nn.MSELoss()\n"
    "out = torch.zeros(3, requires_grad=True)\n"
    "loss = criterion(out, torch.ones(3))\n"
)


def test_assignment_to_data_index_is_not_rewritten_into_a_call():
    res = migrate(LOSS + "loss.data[0] = 0\nprint(loss.data[0])\n", ALL)
    assert _compiles(res.new)
    assert "loss.item() = 0" not in res.new
    assert "print(loss.item())" in res.new  # the read next to it is still migrated
    (f,) = _backed_out(res, "TM003")
    assert "assignment or deletion target" in f.message or "compile" in f.message
    assert f.source_line == 6
    assert not res.errors


def test_augmented_assignment_and_del_with_unsafe_fixes():
    src = LOSS + "loss.data[0] += 1\ndel loss.data[0]\ntotal = loss.data[0]\n"
    res = migrate(src, ALL, unsafe_fixes=True)
    assert _compiles(res.new)
    for bad in ("loss.item() += 1", "del loss.item()"):
        assert bad not in res.new
    assert "total = loss.item()" in res.new
    assert not res.errors


# --------------------------------------------------------------------------
# undefined names
# --------------------------------------------------------------------------
@dataclass
class Facts:
    needed_by_others: frozenset = frozenset()
    provided_names: frozenset = frozenset()
    resolved_stars: frozenset = frozenset()


MODEL = "import torch\nfrom torch.autograd import Variable\n\nBASE = Variable(torch.zeros(2)) * 2\n"


def test_import_needed_by_another_module_is_kept():
    alone = migrate(MODEL, ALL)
    assert "from torch.autograd import Variable" not in alone.new

    res = migrate(MODEL, ALL, project=Facts(needed_by_others=frozenset({"Variable"})))
    assert "from torch.autograd import Variable" in res.new
    assert "BASE = torch.zeros(2) * 2" in res.new  # the unwrap itself is kept
    # TM001 reads the same facts and does not propose the removal at all
    assert not [f for f in res.fixes + res.findings if "no longer used" in f.message]
    assert _compiles(res.new)


class _DropVariableImport(RuleFixer):
    """Test rule: removes ``Variable`` from its import whatever reads it."""

    PATTERN = None

    def visit(self, tree, results):
        from codemods._stmt import remove_import_name

        for node in tree.pre_order():
            if node.type == syms.import_from and "Variable" in str(node):
                self.report(
                    node,
                    "drop the import",
                    SAFE,
                    fix=lambda node=node: remove_import_name(node, "Variable") or False,
                )


def test_the_engine_backs_out_a_removal_of_a_name_other_modules_need():
    """The safety net under the rules: a rule that ignores the project facts
    cannot remove a top-level binding that another module imports."""
    drop = _rule("TM992", _DropVariableImport)
    src = "import torch\nfrom torch.autograd import Variable\n\nBASE = torch.zeros(2)\n"
    assert "Variable" not in migrate(src, [drop]).new
    res = migrate(src, [drop], project=Facts(needed_by_others=frozenset({"Variable"})))
    assert "from torch.autograd import Variable" in res.new
    (f,) = _backed_out(res, "TM992")
    assert "imported from this module elsewhere" in f.message


def test_names_provided_by_a_resolved_star_import_count_as_defined():
    src = "from model import *\nimport torch\nx = helper(torch.zeros(2))\n"
    tree, _ = parse_source(src)
    closed = names.analyse(tree, {"helper"}, {"model"})
    assert not closed.undefined and not closed.open
    unknown = names.analyse(tree)
    assert unknown.open and not unknown.undefined


class _RenameToUndefined(RuleFixer):
    """Test rule: ``old_api(x)`` -> ``new_api(x)`` although nothing defines it."""

    PATTERN = "power< 'old_api' trailer< '(' any ')' > >"

    def visit(self, node, results):
        def build():
            new = node.clone()
            new.children[0] = Leaf(1, "new_api")
            new.children[0].parent = new
            return new

        self.replace(node, build, "rename", SAFE)


class _Torchify(RuleFixer):
    """Test rule: ``legacy_sum(x)`` -> ``x.sum()`` (always fine)."""

    PATTERN = "power< 'legacy_sum' trailer< '(' arg=any ')' > >"

    def visit(self, node, results):
        arg = results["arg"]
        self.replace(node, lambda: parse_expr(f"{str(arg).strip()}.sum()"), "sum", SAFE)


def _rule(rid: str, fixer) -> Rule:
    return Rule(
        id=rid,
        name=rid.lower(),
        summary="test rule",
        why="test",
        safety=SAFE,
        doc="test",
        examples=(Example(before="x = 1\n"),),
        fixers=(fixer,),
        prefilter=lambda text: True,
    )


def test_a_fix_that_introduces_an_undefined_name_is_backed_out_alone():
    rename, torchify = _rule("TM990", _RenameToUndefined), _rule("TM991", _Torchify)
    src = "import torch\na = old_api(1)\nb = legacy_sum(torch.ones(2))\n"
    res = migrate(src, [rename, torchify])
    assert res.new == "import torch\na = old_api(1)\nb = torch.ones(2).sum()\n"
    (f,) = _backed_out(res, "TM990")
    assert "`new_api` would be undefined" in f.message
    assert [x.rule for x in res.fixes] == ["TM991"]


def test_a_rule_that_defines_the_new_name_is_fine():
    rename = _rule("TM990", _RenameToUndefined)
    src = "def new_api(x):\n    return x\na = old_api(1)\n"
    res = migrate(src, [rename])
    assert "a = new_api(1)" in res.new and not res.findings


# --------------------------------------------------------------------------
# unparsable output from one site
# --------------------------------------------------------------------------
class _Breaker(RuleFixer):
    """Test rule: ``break_me(x)`` -> ``x +`` (a syntax error), others fine."""

    PATTERN = "power< 'break_me' trailer< '(' arg=any ')' > >"

    def visit(self, node, results):
        arg = results["arg"]
        text = str(arg).strip()

        def fix():
            node.replace(Leaf(1, f"{text} +", prefix=node.prefix))

        self.report(node, "break", SAFE, fix=fix, suggestion=f"{text} +")


def test_a_site_producing_unparsable_code_is_backed_out_and_the_rest_applied():
    breaker, torchify = _rule("TM992", _Breaker), _rule("TM991", _Torchify)
    src = "import torch\nx = break_me(y)\nz = legacy_sum(torch.ones(2))\n"
    res = migrate(src, [breaker, torchify])
    assert "z = torch.ones(2).sum()" in res.new
    assert "x = break_me(y)" in res.new
    assert _backed_out(res, "TM992")
    assert not res.errors


class _StaleNext(RuleFixer):
    """Test rule: the statement ``pair()`` -> ``pair_done()``, built from the
    next statement as it was when the site was visited: when another fix of
    the same pass changed that statement, the fix writes ``pair_done(`` (a
    syntax error) -- the bug class of a fix built from stale state."""

    PATTERN = "power< 'pair' trailer< '(' ')' > >"

    def visit(self, node, results):
        stmt = node.parent
        seen = str(stmt.next_sibling)

        def fix():
            if str(stmt.next_sibling) == seen:
                new = parse_expr("pair_done()")
            else:
                new = Leaf(1, "pair_done(")
            new.prefix = node.prefix
            node.replace(new)

        self.report(node, "pair", SAFE, fix=fix, suggestion="pair_done()")


def test_a_site_broken_only_by_a_fix_of_its_pass_waits_a_pass_instead_of_backing_out():
    """Backing the site out would leave it to a second run (which applies
    it: not idempotent); the engine applies it one pass later instead."""
    stale, torchify = _rule("TM994", _StaleNext), _rule("TM991", _Torchify)
    src = "import torch\ndef pair_done():\n    pass\npair()\nz = legacy_sum(torch.ones(2))\n"
    res = migrate(src, [stale, torchify])
    assert res.new.endswith("pair_done()\nz = torch.ones(2).sum()\n")
    assert not _backed_out(res, "TM994") and not res.findings and not res.errors
    assert sorted(f.rule for f in res.fixes) == ["TM991", "TM994"]
    assert [f.source_line for f in res.fixes if f.rule == "TM994"] == [4]
    again = migrate(res.new, [stale, torchify])
    assert again.new == res.new and not again.fixes
    # alone, or with nothing else to change, the site is fixed in its pass
    assert migrate("def pair_done():\n    pass\npair()\nz = 1\n", [stale]).runs == 1


class _RaisesWhenStale(_StaleNext):
    """Like :class:`_StaleNext`, but the stale fix raises (as a fix that
    re-checks its preconditions and finds them gone)."""

    def visit(self, node, results):
        stmt = node.parent
        seen = str(stmt.next_sibling)

        def fix():
            if str(stmt.next_sibling) != seen:
                raise RuntimeError("the next statement changed")
            new = parse_expr("pair_done()")
            new.prefix = node.prefix
            node.replace(new)

        self.report(node, "pair", SAFE, fix=fix, suggestion="pair_done()")


def test_a_fix_that_raises_after_another_fix_of_its_pass_is_tried_a_pass_later():
    stale, torchify = _rule("TM995", _RaisesWhenStale), _rule("TM991", _Torchify)
    src = "import torch\ndef pair_done():\n    pass\npair()\nz = legacy_sum(torch.ones(2))\n"
    res = migrate(src, [stale, torchify])
    assert not res.errors
    assert res.new.endswith("pair_done()\nz = torch.ones(2).sum()\n")
    assert migrate(res.new, [stale, torchify]).new == res.new


def test_a_fix_that_raises_on_a_fresh_tree_is_still_an_internal_error():
    class _Raises(RuleFixer):
        PATTERN = "power< 'boom' trailer< '(' ')' > >"

        def visit(self, node, results):
            def fix():
                raise RuntimeError("boom")

            self.report(node, "boom", SAFE, fix=fix, suggestion="x")

    raises, torchify = _rule("TM996", _Raises), _rule("TM991", _Torchify)
    src = "import torch\nboom()\nz = legacy_sum(torch.ones(2))\n"
    res = migrate(src, [raises, torchify])
    assert any("internal error in TM996 while fixing: RuntimeError: boom" in e for e in res.errors)


def test_a_site_that_breaks_even_a_pass_later_is_still_backed_out():
    breaker, torchify = _rule("TM992", _Breaker), _rule("TM991", _Torchify)
    src = "import torch\nx = break_me(y)\nz = legacy_sum(torch.ones(2))\n"
    res = migrate(src, [breaker, torchify])
    assert "x = break_me(y)" in res.new and _backed_out(res, "TM992")
    assert migrate(res.new, [breaker, torchify]).new == res.new


# --------------------------------------------------------------------------
# non-convergence
# --------------------------------------------------------------------------
class _Flip(RuleFixer):
    """Test rule that never converges: ``flip(a)`` <-> ``flop(a)``."""

    PATTERN = "power< name=('flip' | 'flop') trailer< '(' any ')' > >"

    def visit(self, node, results):
        name = results["name"]
        if isinstance(name, list):
            name = name[0]
        other = "flop" if name.value == "flip" else "flip"

        def build():
            new = node.clone()
            new.children[0].value = other
            return new

        self.replace(node, build, "flip", SAFE)


def test_an_oscillating_site_is_backed_out_and_named_other_fixes_kept():
    flip, torchify = _rule("TM993", _Flip), _rule("TM991", _Torchify)
    src = (
        "import torch\ndef flip(a):\n    return a\ndef flop(a):\n    return a\n"
        "x = flip(1)\ny = legacy_sum(torch.ones(2))\n"
    )
    res = migrate(src, [flip, torchify])
    assert "y = torch.ones(2).sum()" in res.new
    stuck = [f for f in res.findings if f.rule == "TM993" and "did not converge" in f.message]
    assert stuck, res.findings
    assert not res.errors
    again = migrate(res.new, [flip, torchify])
    assert not again.errors


# --------------------------------------------------------------------------
# dependency groups
# --------------------------------------------------------------------------
def test_import_removal_and_the_unwraps_of_its_uses_share_a_group():
    src = (
        "import torch\nfrom torch.autograd import Variable\n"
        "a = Variable(torch.zeros(2))\nb = Variable(torch.ones(2))\nc = torch.zeros(1).sum()\n"
        "print(c.data[0])\n"
    )
    res = migrate(src, select_rules(["TM001", "TM003"]))
    tm001 = [f for f in res.fixes if f.rule == "TM001"]
    assert len(tm001) == 3
    groups = {f.group for f in tm001}
    assert len(groups) == 1 and None not in groups
    (tm003,) = [f for f in res.fixes if f.rule == "TM003"]
    assert tm003.group is None
    assert tm001[0].as_dict()["group"] == tm001[0].group


# --------------------------------------------------------------------------
# TM300: a Python 2 file that does not compile as Python 3 is reported
# --------------------------------------------------------------------------
def test_py2_output_that_does_not_compile_is_reported():
    src = "def f(x):\n\tif x:\n\t\tprint 'yes'\n        return 1\n"
    res = migrate(src, ALL)
    assert "print('yes')" in res.new
    (f,) = [f for f in res.findings if f.rule == "TM300"]
    assert "TabError" in f.message or "inconsistent" in f.message


# --------------------------------------------------------------------------
# the name analysis itself
# --------------------------------------------------------------------------
def test_name_analysis_scopes():
    src = (
        "import os.path as osp\n"
        "def f(a, b=missing_default, *c, d: int = 1, **e):\n"
        "    y = [z for z in a if z > w]\n"
        "    g = lambda q: q + r\n"
        "    global G\n"
        "    G = 1\n"
        "    def inner():\n"
        "        nonlocal y\n"
        "        return y + a\n"
        "    return osp.join(y, g, s.t)\n"
        "class C:\n"
        "    attr = 1\n"
        "    def m(self):\n"
        "        return attr, C\n"
        "print(G, f, later)\n"
        "__all__ = ['f', 'absent']\n"
    )
    rep = names.analyse(parse_source(src)[0])
    assert set(rep.undefined) == {
        ("", "missing_default"),
        ("f", "w"),
        ("f", "r"),
        ("f", "s"),
        ("C.m", "attr"),
        ("", "later"),
        ("", "absent"),
    }
    assert {"osp", "f", "C", "G"} <= rep.module_bound


def test_call_targets():
    src = (
        "a.b = 1\nf().x = 2\nx.item() = 0\ndel h.item()\nfor g() in y: pass\n"
        "k.item() += 1\n[q for p.r() in z]\nu = v.w() = 3\n"
    )
    tree, _ = parse_source(src)
    assert len(names.call_targets(tree)) == 6
    # counted from an index's holders, in any order: the same number
    holders = [n for n in tree.pre_order() if n.type in names.TARGET_HOLDERS]
    assert names.count_call_targets(holders[::-1]) == 6


def test_call_targets_counted_from_the_index_on_every_corpus_file():
    from torchmigrate.engine import _Index

    root = Path(__file__).resolve().parents[2]
    texts = [p.read_text() for p in sorted((root / "corpus").rglob("*.py"))]
    texts += [ex.before for r in all_rules() for ex in r.examples]
    for text in texts:
        try:
            tree, _ = parse_source(text)
        except Exception:  # noqa: BLE001 - examples of unparsable input
            continue
        index = _Index(tree)
        assert names.count_call_targets(index.of_types(names.TARGET_HOLDERS)) == len(
            names.call_targets(tree)
        )


def test_checking_the_output_prints_none_of_the_codes_own_warnings():
    # compiling the output to bytecode makes CPython warn about the code itself
    # ("'int' object is not callable"); that is not the tool's to print
    import warnings

    from codemods import all_rules
    from torchmigrate.engine import migrate

    text = "import torch\nx = torch.range(0, 3)\ny = 1(2)\nz = '\\d'\n"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = migrate(text, list(all_rules()), unsafe_fixes=True)
    assert res.changed
    assert [w for w in caught if issubclass(w.category, (SyntaxWarning, DeprecationWarning))] == []


def test_a_visit_that_raises_names_its_line_once():
    """An internal error in a rule's visit names the site's line (a node has
    no ``lineno`` of its own) and is reported once, not once per pass."""

    class _VisitRaises(RuleFixer):
        PATTERN = "power< 'boom' trailer< '(' ')' > >"

        def visit(self, node, results):
            raise RuntimeError("boom")

    raises, torchify = _rule("TM996", _VisitRaises), _rule("TM991", _Torchify)
    src = "import torch\n\nboom()\nz = legacy_sum(torch.ones(2))\n"
    res = migrate(src, [raises, torchify])
    assert res.errors == ["line 3: internal error in TM996: RuntimeError: boom"]


# --------------------------------------------------------------------------
# a fix that leaves an empty node behind
# --------------------------------------------------------------------------
class _Emptier(RuleFixer):
    """Test rule: ``empty_me(a, b)`` -> ``empty_me()`` by removing every child
    of the argument list, which stays in the tree as a node with no children
    (what ``remove_arg`` once did to ``f(size_average=None,)``)."""

    PATTERN = "power< 'empty_me' trailer< '(' args=arglist ')' > >"

    def visit(self, node, results):
        args = results["args"]

        def fix():
            for child in list(args.children):
                child.remove()

        self.report(node, "empty the arguments", SAFE, fix=fix)


def test_an_emptied_node_left_by_a_fix_is_harmless_to_every_later_pass():
    """The next pass indexes, prints, analyses and dispatches every rule over
    a tree holding a node without children: no internal error, and the
    output is what the tree prints."""
    src = (
        "import torch\n"
        "import torch.nn.functional as F\n"
        "from torch.autograd import Variable\n"
        "\n"
        "def step(w, out, target):\n"
        "    torch.nn.init.xavier_uniform(w)\n"
        "    y = empty_me(Variable(out), target,)\n"
        "    return F.nll_loss(y, target, size_average=False)\n"
    )
    res = migrate(src, [_rule("TM993", _Emptier), *all_rules()])
    assert not res.errors and res.passes >= 2
    assert "    y = empty_me()\n" in res.new
    assert "xavier_uniform_(w)" in res.new and "reduction='sum'" in res.new
    assert _compiles(res.new)


# --------------------------------------------------------------------------
# the text nests the statements as the tree does
# --------------------------------------------------------------------------
class _NaiveMove(RuleFixer):
    """Test rule: moves a loop body's first statement ``step()`` to the end of
    the body by inserting it before the body's closing DEDENT with the body's
    indentation -- what TM201 did.  When the body ends with a nested block,
    that block's DEDENTs hold the text after the loop, so the printed step
    lands inside the nested block and the next statement loses a level."""

    PATTERN = "for_stmt< any* >"

    def visit(self, node, results):
        suite = node.children[-1]
        if suite.type != syms.suite:
            return
        hits = [c for c in suite.children[3:] if str(c).strip() == "step()"]
        if not hits:
            return
        first = hits[0]

        def fix():
            new = first.clone()
            first.remove()
            suite.insert_child(len(suite.children) - 1, new)
            new.prefix = suite.children[1].value  # the body's indentation

        self.report(first, "move the step to the end", SAFE, fix=fix)


def test_a_fix_whose_text_nests_statements_elsewhere_is_backed_out():
    move = _rule("TM989", _NaiveMove)
    fine = "for e in range(3):\n    load()\n    step()\n    train()\nprint('done')\n"
    res = migrate(fine, [move])
    assert res.new == "for e in range(3):\n    load()\n    train()\n    step()\nprint('done')\n"
    bad = (
        "def run():\n"
        "    for e in range(3):\n"
        "        load()\n"
        "        step()\n"
        "        for b in batches:\n"
        "            train(b)\n"
        "    report()\n"
    )
    res = migrate(bad, [move])
    # the tree had step() in the epoch loop and report() in run(); the text
    # would have put step() in the batch loop and report() at module level
    assert res.new == bad
    (f,) = _backed_out(res, "TM989")
    assert "indentation would nest a statement in another block" in f.message


# The check itself never fires on text printed from an untouched tree.
NESTING = [
    "if a:\n    x = 1\nelif b:\n    y = 2\nelif c: z = 3\nelse:\n    w = 4\n",
    "if a:\n    pass\nelse:\n    if b:\n        pass\n    else:\n        q = 1\n",
    "try:\n    a()\nexcept E as e:\n    b()\nexcept:\n    c()\nelse:\n    d()\nfinally:\n    f()\n",
    "@dec\n@dec2(1)\nclass A(B):\n    '''doc'''\n    x = 1; y = 2;\n    def f(self): return 1\n",
    "async def f():\n    async with a as b, c:\n        await b\n    async for x in y:\n        pass\n",
    "while x:\n    if y: break\nelse:\n    z = 1\nfor i in r:\n    continue\nelse: pass\n",
    "def f():\n    def g():\n        def h():\n            return 1\n        return h\n# c\n\n    return g\n",
    "with a, \\\n     b:\n    pass\nx = [i\n     for i in y]\nlambda: 0\n",
    "if x:\n        deep = 1\n        # odd comment\n  # another\nelse:\n  shallow = 2\n",
    "x = 1;\nglobal_thing = 2 ; del x\nassert y, 'm'\nimport a.b as c\nfrom . import d\n",
]


def test_structure_check_agrees_with_cpython_on_untouched_trees():
    from torchmigrate.engine import _ast_depths, _structure_mismatch, _tree_depths

    corpus = sorted((Path(__file__).resolve().parents[2] / "corpus").rglob("*.py"))
    texts = NESTING + [p.read_text("utf-8") for p in corpus]
    checked = 0
    for text in texts:
        tree, _ = parse_source(text)
        try:
            module = ast.parse(text)
        except SyntaxError:
            continue  # Python 2 files of the corpus: CPython cannot read them
        assert _tree_depths(tree) == _ast_depths(module, text.split("\n")), text[:60]
        assert _structure_mismatch(tree, text) is None
        checked += 1
    assert checked >= len(NESTING) + 20
    # and it does see a difference: the same statements, one moved a level out
    tree, _ = parse_source(NESTING[6])
    moved = NESTING[6].replace("        return h\n", "    return h\n")
    assert _structure_mismatch(tree, moved) == 5
