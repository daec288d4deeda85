"""A Python 2 training script becomes Python 3 in one run with all rules."""

from __future__ import annotations

import py_compile

import codemods
from torchmigrate.engine import migrate

PY2_SCRIPT = """\
# -*- coding: utf-8 -*-
import sys
import cPickle
import torch
import torch.nn as nn


def train(model, loader, optimizer, epoch, base_lr):
    lr = base_lr * 0.1 ** (epoch / 30)
    for g in optimizer.param_groups:
        g['lr'] = lr
    stats = {'loss': 0.0, 'n': 0}
    for i in xrange(len(loader)):
        data, target = loader[i]
        data = data.cuda(async=True)
        target = target.cuda(async=True)
        loss = nn.functional.nll_loss(model(data), target)
        loss.backward()
        stats['n'] += 1
        if i % 10 == 0:
            print "epoch %d batch %d" % (epoch, i),
            print
    for k, v in stats.iteritems():
        print >>sys.stderr, k, v
    return stats['loss'] / stats['n']


def save(stats, path):
    try:
        with open(path, 'wb') as f:
            cPickle.dump(stats, f)
    except IOError, e:
        print >>sys.stderr, "could not save", e
        raise
"""


def test_py2_script_becomes_python3(tmp_path):
    result = migrate(PY2_SCRIPT, codemods.all_rules(), unsafe_fixes=False)
    assert not result.errors, result.errors
    new = result.new
    out = tmp_path / "train.py"
    out.write_text(new)
    py_compile.compile(str(out), doraise=True)
    assert "print(\"epoch %d batch %d\" % (epoch, i), end=' ')" in new
    assert "print()" in new
    assert "print(k, v, file=sys.stderr)" in new
    assert 'print("could not save", e, file=sys.stderr)' in new
    assert "for i in range(len(loader)):" in new
    assert "for k, v in stats.items():" in new
    assert "import pickle\n" in new and "pickle.dump(stats, f)" in new
    assert "except IOError as e:" in new
    assert "async" not in new
    assert new.count("non_blocking=True") == 2
    # integer division is reported, never rewritten silently
    divs = [f for f in result.findings if f.rule == "TM310"]
    assert sorted(f.line for f in divs) == [9, 25]
    assert all(f.safety == "manual" for f in divs)
    assert "epoch / 30" in new


def test_second_run_changes_nothing():
    once = migrate(PY2_SCRIPT, codemods.all_rules(), unsafe_fixes=False).new
    twice = migrate(once, codemods.all_rules(), unsafe_fixes=False)
    assert twice.new == once
    assert not twice.errors


def test_second_run_with_unsafe_fixes_changes_nothing():
    once = migrate(PY2_SCRIPT, codemods.all_rules(), unsafe_fixes=True).new
    twice = migrate(once, codemods.all_rules(), unsafe_fixes=True)
    assert twice.new == once
