"""TM213: names imported from torch._six (removed in PyTorch 2.0)."""

from __future__ import annotations

import collections.abc
import math
import subprocess
import sys

from codemods import get_rule
from torchmigrate.engine import migrate

RULE = [get_rule("TM213")]


def test_every_known_name_keeps_its_python3_value():
    src = (
        "from torch._six import (string_classes, int_classes as ints, inf, nan,\n"
        "                        container_abcs, PY3, PY37, PY2, imap)\n"
    )
    res = migrate(src, RULE)
    assert "torch._six" not in res.new
    ns: dict = {}
    exec(compile(res.new, "<migrated>", "exec"), ns)
    assert ns["string_classes"] == (str, bytes) and ns["ints"] is int
    assert ns["inf"] == math.inf and math.isnan(ns["nan"])
    assert ns["container_abcs"] is collections.abc
    assert ns["PY3"] is True and ns["PY37"] is True and ns["PY2"] is False
    assert ns["imap"] is map


def test_the_module_is_gone_and_the_output_imports():
    # the reason for the rule, on the real torch: and the output runs there
    src = "import torch\nfrom torch._six import string_classes\nok = isinstance('a', string_classes)\n"
    old = subprocess.run([sys.executable, "-c", src], capture_output=True, text=True)
    assert old.returncode != 0 and "torch._six" in old.stderr
    new = migrate(src, RULE).new
    ran = subprocess.run([sys.executable, "-c", new + "assert ok\n"], capture_output=True)
    assert ran.returncode == 0, ran.stderr


def test_a_statement_on_a_line_with_others_and_in_one_line_blocks():
    src = "import os; from torch._six import int_classes; x = 1\nif True: from torch._six import PY3\n"
    res = migrate(src, RULE)
    assert res.new == "import os; int_classes = int; x = 1\nif True: PY3 = True\n"


def test_unknown_names_and_star_are_manual():
    for src in (
        "from torch._six import string_classes, with_metaclass\n",
        "from torch._six import *\n",
        "import torch._six as six\n",
    ):
        res = migrate(src, RULE)
        assert res.new == src
        assert [f.safety for f in res.findings] == ["manual"], src


def test_a_name_the_values_read_is_not_rebound_in_a_function():
    # ``FileNotFoundError = FileNotFoundError`` in a function: UnboundLocalError
    src = (
        "def load(path):\n    from torch._six import FileNotFoundError\n"
        "    try:\n        return open(path)\n    except FileNotFoundError:\n        return None\n"
    )
    res = migrate(src, RULE)
    assert res.new == src and [f.safety for f in res.findings] == ["manual"]
    src = "def f():\n    from torch._six import imap as map, int_classes\n    return map\n"
    res = migrate(src, RULE)
    assert res.new == src and [f.safety for f in res.findings] == ["manual"]
    # at module level and in a class body the builtin is found: fine
    for src in (
        "from torch._six import FileNotFoundError, imap as map\n",
        "class A:\n    from torch._six import FileNotFoundError\n",
    ):
        res = migrate(src, RULE)
        ns: dict = {}
        exec(compile(res.new, "<m>", "exec"), ns)
        assert "torch._six" not in res.new
    # inside a function without a clash: fine
    src = "def f():\n    from torch._six import string_classes\n    return string_classes\n"
    ns = {}
    exec(compile(migrate(src, RULE).new, "<m>", "exec"), ns)
    assert ns["f"]() == (str, bytes)


def test_from_torch_import_six_is_reported():
    res = migrate("from torch import _six\nok = _six.PY3\n", RULE)
    assert [f.safety for f in res.findings] == ["manual"]
