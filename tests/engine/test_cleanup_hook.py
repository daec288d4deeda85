"""The post-pass cleanup hook (``RuleFixer.CLEANUP``) only saves passes.

TM001's import removal runs right after the pass that unwrapped the last
``Variable(...)``; the result must be exactly the plain schedule's (the
reference engine, where the removal waits for the next pass): text, fixes
with their lines, groups and findings.  When a later pass still applies
fixes, the engine reruns the file without the hook.
"""

from __future__ import annotations

from pathlib import Path

from codemods import all_rules
from torchmigrate.engine import migrate, reference_mode


def _rows(res) -> tuple:
    def rows(fs):
        return [
            (
                f.rule,
                f.line,
                f.col,
                f.end_line,
                f.source_line,
                f.safety,
                f.message,
                f.suggestion,
                f.applied,
                f.group,
            )
            for f in fs
        ]

    return res.new, rows(res.fixes), rows(res.findings), res.errors, res.suppressed


def _both(text: str, unsafe: bool = False):
    fast = migrate(text, all_rules(), unsafe_fixes=unsafe)
    with reference_mode():
        ref = migrate(text, all_rules(), unsafe_fixes=unsafe)
    return fast, ref


LOOP = (
    "import torch\n"
    "from torch.autograd import Variable\n"
    "\n"
    "for data, target in loader:\n"
    "    out = model(Variable(data))\n"
    "    loss = crit(out, Variable(target))\n"
)


def test_import_goes_in_the_pass_of_its_last_unwrap():
    fast, ref = _both(LOOP)
    assert _rows(fast) == _rows(ref)
    assert "Variable" not in fast.new
    # pass 1 unwraps and removes the import, pass 2 confirms
    assert (fast.passes, ref.passes) == (2, 3)
    removal = [f for f in fast.fixes if "remove it from the import" in f.message]
    assert len(removal) == 1 and removal[0].source_line == 2
    # the review pairs the removal with the unwraps it depends on
    assert removal[0].group is not None
    assert {f.group for f in fast.fixes} == {removal[0].group}


def test_chained_unwrap_then_removal():
    text = (
        "import torch\n"
        "from torch.autograd import Variable\n"
        "\n"
        "def evaluate(model, x):\n"
        "    x = Variable(x, volatile=True)\n"
        "    return model(x)\n"
    )
    fast, ref = _both(text, unsafe=True)
    assert _rows(fast) == _rows(ref)
    assert "Variable" not in fast.new
    assert (fast.passes, ref.passes) == (3, 4)


def test_a_comment_or_string_that_mentions_the_name_does_not_stop_the_hook():
    text = LOOP + '# Variable is gone since 0.4\nprint("no Variable here")\n'
    fast, ref = _both(text)
    assert _rows(fast) == _rows(ref)
    assert "from torch.autograd import" not in fast.new
    assert (fast.passes, ref.passes) == (2, 3)


def test_a_name_spelled_like_it_elsewhere_keeps_the_plain_schedule():
    # an attribute spelled ``Variable`` is no read of the import, but the
    # hook's index holds only the imports: the next pass decides
    text = LOOP + "print(torch.autograd.Variable.__name__)\n"
    fast, ref = _both(text)
    assert _rows(fast) == _rows(ref)
    assert fast.passes == ref.passes


def test_a_name_listed_in_all_keeps_its_import():
    text = LOOP + '__all__ = ["Variable"]\n'
    fast, ref = _both(text)
    assert _rows(fast) == _rows(ref)
    assert "from torch.autograd import Variable" in fast.new


def test_suppressed_removal_stays():
    text = LOOP.replace(
        "from torch.autograd import Variable\n",
        "from torch.autograd import Variable  # torchmigrate: ignore[TM001]\n",
    )
    fast, ref = _both(text)
    assert _rows(fast) == _rows(ref)
    assert "from torch.autograd import Variable" in fast.new


def test_fixes_after_the_cleanup_rerun_the_plain_schedule():
    # TM109's example: the unwrap exposes a uint8 mask fix in a later pass
    text = next(r for r in all_rules() if r.id == "TM109").examples[3].before
    fast, ref = _both(text, unsafe=True)
    assert _rows(fast) == _rows(ref)
    assert fast.passes == ref.passes


def test_the_texts_after_the_hook_are_the_tree_s(monkeypatch):
    """The hook prints again only the statements it changed: the texts it
    returns are those of the whole tree, on the corpus and every example."""
    import torchmigrate.engine as E

    real = E._cleanup
    seen = []

    def checked(d, tree, *args):
        texts, done = real(d, tree, *args)
        if texts is not None:
            assert texts == [E.node_text(u) for u in tree.children]
            seen.append(bool(done))
        return texts, done

    monkeypatch.setattr(E, "_cleanup", checked)
    rules = all_rules()
    root = Path(__file__).resolve().parents[2]
    texts = [p.read_text() for p in sorted((root / "corpus" / "legacy").glob("*.py"))]
    texts += [ex.before for r in rules for ex in r.examples]
    for text in texts:
        migrate(text, rules, unsafe_fixes=True)
    assert sum(seen) > 10  # the hook removed imports that many times
