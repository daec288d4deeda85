"""TM312: Python 2 idioms in files that parse as Python 3."""

from __future__ import annotations

import pytest

from codemods import all_rules, get_rule
from torchmigrate.engine import migrate

RULE = get_rule("TM312")

LOADER = """
import torch
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
ds = TensorDataset(torch.randn(8, 3), torch.arange(8))
loader = DataLoader(ds, batch_size=4, shuffle=True)
data_iter = iter(loader)
x, y = data_iter.next()
x2, y2 = iter(loader).next()
print(f"{x.shape}")
RESULT = [x.tolist(), y.tolist(), x2.tolist()]
"""


def test_python3_file_runs_like_the_legacy_loader():
    pytest.importorskip("torch")
    from tests.codemods.legacy_exec import close, pair

    # a Python 3 program of the 0.3 era: loader iterators still had `.next`
    legacy, modern, new = pair(LOADER, "TM312")
    assert "x, y = next(data_iter)" in new and "x2, y2 = next(iter(loader))" in new
    for a, b in zip(legacy, modern):
        close(a, b)


def test_iteritems_and_xrange_keep_python2_values():
    src = (
        "import six\nstats = {'a': 1.0, 'b': 2.0}\n"
        "total = sum(v for k, v in stats.iteritems())\n"
        "pairs = list(stats.iteritems())\nsteps = [i * 2 for i in xrange(3)]\n"
        "it = stats.itervalues()\nfirst = next(it)\n"
    )
    new = migrate(src, [RULE]).new
    ns: dict = {"six": None}
    exec(compile(new.replace("import six\n", ""), "<migrated>", "exec"), ns)
    # Python 2: iteritems/itervalues were iterators over the items/values
    assert ns["total"] == 3.0 and ns["pairs"] == [("a", 1.0), ("b", 2.0)]
    assert ns["steps"] == [0, 2, 4] and ns["first"] == 1.0
    assert "it = iter(stats.values())" in new


def test_python2_files_are_left_to_tm3xx():
    src = "data_iter = iter(loader)\nx = data_iter.next()\nprint 'x', x\n"
    res = migrate(src, [RULE])
    assert res.new == src and not res.findings
    both = migrate(src, all_rules())
    assert "next(data_iter)" in both.new and "print('x', x)" in both.new


def test_unknown_iterators_are_unsafe():
    src = "import six\nit = iter(get_stream())\nx = it.next()\n"
    res = migrate(src, [RULE])
    assert res.new == src and [f.safety for f in res.findings] == ["unsafe"]
    assert migrate(src, [RULE], unsafe_fixes=True).new.endswith("x = next(it)\n")


def test_self_attribute_iterator_and_chained_call():
    src = (
        "from torch.utils.data import DataLoader\n"
        "class Trainer(object):\n"
        "    def __init__(self, ds):\n"
        "        self.loader = DataLoader(ds)\n"
        "        self.it = iter([1, 2, 3])\n"
        "    def batch(self):\n"
        "        return self.it.next() + iter([4]).next()\n"
    )
    out = migrate(src, [RULE]).new
    assert "return next(self.it) + next(iter([4]))\n" in out


def test_xrange_defined_or_star_imported_is_left_alone():
    for src in (
        "try:\n    xrange\nexcept NameError:\n    xrange = range\nfor i in xrange(3):\n    pass\n",
        "from past.builtins import *\nimport six\nfor i in xrange(3):\n    pass\n",
    ):
        assert migrate(src, [RULE]).new == src
