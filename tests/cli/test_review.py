"""Interactive review (issue 14 §7): single keys on a real pseudo-terminal,
help, counters, correct @@ headers, rule ids on notebook hunks, dependent
hunks decided together, a clean end on EOF, an honest summary."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.cli.test_cli import LEGACY, MODERN, tm
from torchmigrate.review import apply_hunks, hunks, render_hunk, units

PROMPT_END = b"[q]uit "


def drive(args, keys, cwd, timeout=120):
    """Run the CLI on a pseudo-terminal; send one key (no Enter) per prompt."""
    master, slave = pty.openpty()
    env = dict(os.environ, COLUMNS="200", TERM="dumb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "torchmigrate", *map(str, args)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=cwd,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    buf = b""
    keys = list(keys)
    seen = 0
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.5)
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if buf.count(PROMPT_END) > seen and keys:
                seen = buf.count(PROMPT_END)
                os.write(master, keys.pop(0).encode())
        elif proc.poll() is not None:
            break
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)
    os.close(master)
    return proc.returncode, buf.decode("utf-8", "replace").replace("\r\n", "\n"), keys


SRC = (
    "import torch\n"
    "import torch.nn.functional as F\n"
    "torch.nn.utils.clip_grad_norm(a, 1)\n"
    "\n\n\n\n\n\n"
    "y = F.sigmoid(x)\n"
    "\n\n\n\n\n\n"
    "torch.nn.utils.clip_grad_norm(b, 1)\n"
)


def test_single_keys_help_counters_headers_and_summary(tmp_path):
    f = tmp_path / "i.py"
    f.write_text(SRC)
    rep = tmp_path / "r.json"
    # '?' shows the help and asks again; keys are sent without Enter
    code, output, left = drive(
        ["upgrade", "--interactive", "--report", rep, f.name], ["?", "y", "n", "y"], tmp_path
    )
    assert code == 0, output
    assert left == []
    assert "apply it, and from now on apply every change made only by the same rule" in output
    assert "hunk 1/3" in output and "hunk 3/3" in output
    assert "(2/3) Apply this change (TM108)?" in output
    # the headers count the context lines: 3 before/after within the file
    assert "@@ -1,6 +1,6 @@ TM105" in output
    assert "@@ -7,7 +7,7 @@ TM108" in output
    assert "@@ -14,4 +14,4 @@ TM105" in output
    got = f.read_text().splitlines()
    assert got[2] == "torch.nn.utils.clip_grad_norm_(a, 1)"
    assert got[9] == "y = F.sigmoid(x)"
    assert got[16] == "torch.nn.utils.clip_grad_norm_(b, 1)"
    assert "review: 2 of 3 change(s) applied, 1 declined" in output
    doc = json.loads(rep.read_text())
    (entry,) = doc["files"]
    assert [x["rule"] for x in entry["fixes"]] == ["TM105", "TM105"]  # what was applied
    (declined,) = entry["findings"]
    assert declined["rule"] == "TM108" and declined["declined"] is True
    assert declined["line"] == 10
    assert doc["summary"]["fixes"] == {"TM105": 2}


def test_enter_after_a_key_is_ignored_and_rule_always(tmp_path):
    f = tmp_path / "i.py"
    f.write_text(SRC)
    # "r" on the first TM105 hunk accepts the later TM105 hunk without asking
    code, output, left = drive(["upgrade", "-i", f.name], ["r\n", "n\n"], tmp_path)
    assert code == 0, output
    assert output.count("[q]uit") == 2
    got = f.read_text().splitlines()
    assert got[2].endswith("clip_grad_norm_(a, 1)") and got[16].endswith("clip_grad_norm_(b, 1)")
    assert got[9] == "y = F.sigmoid(x)"


def test_ctrl_d_and_closed_stdin_end_the_review_cleanly(tmp_path):
    a = tmp_path / "a.py"
    a.write_text(LEGACY)
    code, output, _ = drive(["upgrade", "-i", a.name], ["\x04"], tmp_path)
    assert code == 0, output
    assert "Traceback" not in output
    assert "input ended, review stopped" in output
    assert a.read_text() == LEGACY
    # stdin not a terminal and already closed
    r = subprocess.run(
        [sys.executable, "-m", "torchmigrate", "upgrade", "-i", a.name],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert "review: 0 of 1 change(s) applied" in r.stderr
    assert a.read_text() == LEGACY
    # line answers when stdin is a pipe
    r = tm("upgrade", "-i", a.name, cwd=tmp_path, input="y\n")
    assert r.returncode == 0, r.stderr
    assert a.read_text() == MODERN


def _nb(cells):
    doc = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": src,
            }
            for src in cells
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 4,
    }
    return json.dumps(doc, indent=1) + "\n"


def test_notebook_hunks_name_their_rule(tmp_path):
    nb = tmp_path / "n.ipynb"
    nb.write_text(
        _nb(
            [
                ["import torch.nn as nn\n"],
                ["import torch.nn.functional as F\n", "\n", "\n", "\n", "y = F.sigmoid(x)\n"],
                ["nn.utils.clip_grad_norm(a, 1)\n"],
            ]
        )
    )
    code, output, left = drive(["upgrade", "-i", nb.name], ["y", "n"], tmp_path)
    assert code == 0, output
    heads = re.findall(r"^@@ [^@]+ @@ (.*)$", output, re.M)
    assert heads == ["TM108", "TM108", "TM105"], output
    # the `import torch` TM108 adds and the call it is for are one decision; the
    # cells are one program, so the import goes to the first cell's imports
    assert "hunk 1/2 (2 hunks decided together" in output
    doc = json.loads(nb.read_text())
    assert doc["cells"][2]["source"] == ["nn.utils.clip_grad_norm(a, 1)\n"]
    assert doc["cells"][0]["source"] == ["import torch.nn as nn\n", "import torch\n"]
    assert doc["cells"][1]["source"][-1] == "y = torch.sigmoid(x)\n"


# --------------------------------------------------------------------------
# hunks and units (the parts the CLI tests above drive)
# --------------------------------------------------------------------------
def _apply_rendered(old: str, rendered: str, new=None) -> str:
    """Apply one rendered hunk to ``old`` like `patch` would, checking that
    the header's counts match the lines shown."""
    lines = rendered.split("\n")
    m = re.match(r"@@ -(\d+),(\d+) \+(\d+),(\d+) @@", lines[2])
    assert m, lines[2]
    o_start, o_count, n_start, n_count = map(int, m.groups())
    body = [ln for ln in lines[3:] if ln and not ln.startswith("\\")]
    assert sum(1 for ln in body if ln[0] in " -") == o_count
    assert sum(1 for ln in body if ln[0] in " +") == n_count
    a = old.splitlines(keepends=True)
    start = o_start - 1 if o_count else o_start
    removed = [ln[1:] for ln in body if ln[0] in " -"]
    assert [x.rstrip("\n") for x in a[start : start + o_count]] == removed
    added = [ln[1:] + "\n" for ln in body if ln[0] in " +"]
    if new is not None:  # the + side is where these lines are in the migrated file
        b = new.splitlines(keepends=True)
        n0 = n_start - 1 if n_count else n_start
        assert b[n0 : n0 + n_count] == added
    return "".join(a[:start]) + "".join(added) + "".join(a[start + o_count :])


_line = st.sampled_from(["a", "b", "c", "x = 1", "", "y"])


@settings(max_examples=150, deadline=None)
@given(st.lists(_line, max_size=14), st.lists(_line, max_size=14))
def test_each_rendered_hunk_applies_alone_with_its_header(old_lines, new_lines):
    old = "".join(x + "\n" for x in old_lines)
    new = "".join(x + "\n" for x in new_lines)
    for h in hunks(old, new, []):
        assert _apply_rendered(old, render_hunk("f.py", old, new, h), new) == apply_hunks(
            old, new, [h]
        )


def test_fixes_of_one_group_form_one_unit():
    old = "import a\nfrom torch.autograd import Variable\n" + "\n" * 8 + "x = Variable(t)\n"
    new = "import a\n" + "\n" * 8 + "x = t\n"
    fixes = [
        {"rule": "TM001", "line": 2, "source_line": 2, "group": 7},
        {"rule": "TM001", "line": 11, "source_line": 11, "group": 7},
    ]
    (unit,) = units("f.py", old, new, fixes)
    assert len(unit.hunks) == 2 and unit.rules == ("TM001",)
    # without a group the two hunks are separate decisions
    plain = [dict(f, group=None) for f in fixes]
    assert len(units("f.py", old, new, plain)) == 2


GROUPED = (
    "import torch\n"
    "from torch.autograd import Variable\n"
    "\n\n\n\n"
    "x = Variable(torch.randn(3))\n"
    "\n\n\n\n"
    "print(float(x.sum()))\n"
    "torch.nn.utils.clip_grad_norm([torch.nn.Parameter(torch.ones(2))], 1)\n"
)


def _runs(path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, path.name], cwd=path.parent, capture_output=True, text=True, timeout=300
    )


def test_import_removal_and_its_uses_are_one_decision_end_to_end(tmp_path):
    """The engine groups the removal of `from torch.autograd import Variable`
    with the unwrapping of every `Variable(...)`: the first prompt (the import
    removal) decides both, so no answer can leave a NameError behind."""
    f = tmp_path / "g.py"
    for keys, unwrapped in ((["y", "n"], True), (["n", "y"], False)):
        f.write_text(GROUPED)
        code, output, left = drive(["upgrade", "-i", "--report", "r.json", f.name], keys, tmp_path)
        assert code == 0 and left == [], output
        assert "hunk 1/2 (2 hunks decided together: they depend on each other)" in output
        assert "(1/2) Apply this change (TM001)?" in output
        text = f.read_text()
        assert ("from torch.autograd import Variable" not in text) == unwrapped
        assert ("Variable(" not in text) == unwrapped
        r = _runs(f)
        assert r.returncode == 0, r.stderr  # no NameError either way
        doc = json.loads((tmp_path / "r.json").read_text())
        applied = sorted(x["rule"] for x in doc["files"][0]["fixes"])
        assert applied == (["TM001", "TM001"] if unwrapped else ["TM105"])
