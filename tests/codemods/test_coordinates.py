"""One coordinate system for fixes and findings: ``line`` in the output
text, ``source_line`` in the input (README, JSON report schema)."""

from __future__ import annotations

from codemods import all_rules
from torchmigrate.engine import migrate

SRC = """\
import torch
from torch.autograd import Variable


def train(model, loader, opt):
    for x, y in loader:
        x = Variable(x)
        y = Variable(y)
        loss = model(x, y)
        loss.backward()
        opt.step()
        print(loss.data[0])
        print(score.data[0])
"""


def test_fixes_and_findings_share_one_coordinate_system():
    res = migrate(SRC, all_rules(), unsafe_fixes=True)
    old, new = SRC.splitlines(), res.new.splitlines()
    for f in res.fixes + res.findings:
        assert 1 <= f.source_line <= len(old) and 1 <= f.line <= len(new)
    item = next(f for f in res.fixes if f.rule == "TM003")
    assert old[item.source_line - 1].strip() == "print(loss.data[0])"
    assert new[item.line - 1].strip() == "print(loss.item())"
    left = next(f for f in res.findings if f.rule == "TM003")
    assert old[left.source_line - 1].strip() == "print(score.data[0])"
    assert new[left.line - 1].strip() == "print(score.data[0])"
    # the import and the two `x = Variable(x)` lines are deleted above both
    assert item.source_line - item.line == 3 == left.source_line - left.line
