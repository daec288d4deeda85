"""Notebook reading, IPython syntax and the byte-exact write-back
(issue 13 §5, issue 14 §8), through the real CLI."""

from __future__ import annotations

import json

import pytest

from codemods import all_rules
from tests.cli.test_cli import tm
from torchmigrate.notebooks import NotebookError, Protector, migrate_notebook, read_notebook

LEGACY_CELL = ["import torch\n", "torch.nn.utils.clip_grad_norm(model.parameters(), 5)\n"]


def nb_text(cells, metadata=None, indent=1, **top):
    doc = {
        "cells": cells,
        "metadata": metadata
        if metadata is not None
        else {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 4,
    }
    doc.update(top)
    return json.dumps(doc, indent=indent) + "\n"


def code(src, **extra):
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": src,
    }
    cell.update(extra)
    return cell


def test_non_python_notebook_is_skipped_with_a_note(tmp_path):
    nb = tmp_path / "r.ipynb"
    raw = nb_text(
        [code(["library(torch)\n", "loss.data[0]\n"])],
        metadata={
            "kernelspec": {"display_name": "R", "language": "R", "name": "ir"},
            "language_info": {"name": "R"},
        },
    )
    nb.write_text(raw)
    r = tm("upgrade", nb)
    assert r.returncode == 0, r.stderr
    assert nb.read_text() == raw
    assert "not Python" in r.stderr and "'R'" in r.stderr
    # language_info alone decides too
    raw2 = nb_text([code(["loss.data[0]\n"])], metadata={"language_info": {"name": "julia"}})
    nb.write_text(raw2)
    assert tm("upgrade", nb).returncode == 0 and nb.read_text() == raw2


def test_user_text_equal_to_a_placeholder_is_left_alone():
    raw = nb_text([code(["# __torchmigrate_protected_0__\n", "%time x = 1\n"] + LEGACY_CELL)])
    res = migrate_notebook(raw, all_rules())
    src = json.loads(res.new)["cells"][0]["source"]
    assert src[0] == "# __torchmigrate_protected_0__\n"
    assert src[1] == "%time x = 1\n"
    assert src[-1] == "torch.nn.utils.clip_grad_norm_(model.parameters(), 5)\n"
    assert sum("%time" in line for line in src) == 1
    # the nonce never occurs in the notebook
    p = Protector(raw)
    assert p.tag not in raw


def test_placeholders_are_the_same_in_every_run_and_avoid_the_notebook():
    """The nonce comes from the notebook, so a notebook's project facts (which
    key the --resume cache) are the same in every run."""
    raw = nb_text([code(["%time x = 1\n"] + LEGACY_CELL)])
    tag = Protector(raw).tag
    assert Protector(raw).tag == tag
    assert tag not in raw
    assert Protector(raw + " ").tag != tag  # another notebook, another nonce


def test_a_nonce_the_notebook_holds_is_skipped(monkeypatch):
    import hashlib

    from torchmigrate import notebooks

    class Digests:  # the first candidate is text the notebook holds
        def sha256(self, data):
            return hashlib.sha256(b"" if data.startswith(b"0\0") else data)

    taken = "tm_ipython_" + hashlib.sha256(b"").hexdigest()[:8]
    raw = nb_text([code([f"# {taken}_0\n", "%time x = 1\n"] + LEGACY_CELL)])
    monkeypatch.setattr(notebooks, "hashlib", Digests())
    tag = Protector(raw).tag
    assert tag != taken and tag not in raw


@pytest.mark.parametrize(
    ("line", "magic"),
    [
        ("%matplotlib inline", True),
        ("!pip install torch", True),
        ("files = !ls", True),
        ("t = %timeit -o f()", True),
        ("model.forward?", True),
        ("?torch.cat", True),
        ("torch.cat??", True),
        ("print('why?')", False),
        ("x = a % b", False),
        ("y = x != 3", False),
        ("s = 'done?'", False),
    ],
)
def test_magic_lines(line, magic):
    p = Protector("")
    out = p.protect(line + "\n")
    assert (out != line + "\n") == magic, out


def test_continuation_lines_and_strings_are_never_magics():
    src = (
        "x = (a\n"
        "     % b)\n"
        "y = 1 + \\\n"
        "    !flag if False else 0\n"
        'doc = """\n'
        "?not help\n"
        "%not a magic\n"
        '"""\n'
        "question = 'is it?'\n"
        "%time z = 1\n"
    )
    p = Protector(src)
    out = p.protect(src)
    lines = out.split("\n")
    assert lines[:9] == src.split("\n")[:9]
    assert p.tag in lines[9] and p.saved == ["%time z = 1"]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"cells": {}, "metadata": {}, "nbformat": 4}, "'cells' is not a list (it is an object)"),
        (
            {"cells": [code(None)], "metadata": {}, "nbformat": 4},
            "cell 1: 'source' must be a string or a list of strings (it is null)",
        ),
        (
            {"cells": [code(3)], "metadata": {}, "nbformat": 4},
            "cell 1: 'source' must be a string or a list of strings (it is a number)",
        ),
        (
            {"cells": [code(["a\n", 7])], "metadata": {}, "nbformat": 4},
            "cell 1: 'source' must be a string or a list of strings (the list holds a number)",
        ),
        ({"cells": [7], "metadata": {}, "nbformat": 4}, "cell 1 is not an object"),
    ],
)
def test_malformed_notebooks_fail_with_one_line(tmp_path, doc, message):
    with pytest.raises(NotebookError) as exc:
        read_notebook(json.dumps(doc))
    assert exc.value.message == message
    nb = tmp_path / "bad.ipynb"
    raw = json.dumps(doc)
    nb.write_text(raw)
    r = tm("upgrade", nb)
    assert r.returncode == 1
    assert f"{nb}: {message}" in r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr
    assert nb.read_text() == raw


def test_crlf_notebook_and_odd_layout_round_trip(tmp_path):
    raw = (
        '{\r\n  "cells": [\r\n    {\r\n      "cell_type": "code",\r\n'
        '      "execution_count": null,\r\n      "metadata": {},\r\n      "outputs": [ ],\r\n'
        '      "source": [\r\n        "import torch\\n",\r\n'
        '        "torch.nn.utils.clip_grad_norm(m.parameters(), 5)  # \\u00e9t\\u00e9"\r\n'
        "      ]\r\n    }\r\n  ],\r\n"
        '  "metadata": {"kernelspec": {"language": "python", "name": "python3"}},\r\n'
        '  "nbformat": 4, "nbformat_minor": 2\r\n}\r\n'
    )
    nb = tmp_path / "crlf.ipynb"
    nb.write_bytes(raw.encode())
    r = tm("upgrade", nb)
    assert r.returncode == 0, r.stderr
    new = nb.read_bytes().decode()
    assert new == raw.replace("clip_grad_norm(", "clip_grad_norm_(")
    r = tm("upgrade", nb)
    assert nb.read_bytes().decode() == new


def test_empty_source_list_and_string_sources_keep_their_shape():
    raw = nb_text(
        [
            code([]),
            code("import torch\ntorch.nn.utils.clip_grad_norm(p, 1)\n"),
            code(
                LEGACY_CELL, outputs=[{"output_type": "stream", "name": "stdout", "text": ["x\n"]}]
            ),
        ],
        indent=2,
    )
    res = migrate_notebook(raw, all_rules())
    assert not res.errors
    old_lines, new_lines = raw.splitlines(), res.new.splitlines()
    assert len(old_lines) == len(new_lines)
    changed = [(a, b) for a, b in zip(old_lines, new_lines) if a != b]
    assert len(changed) == 2
    assert all("clip_grad_norm_(" in b for _, b in changed)


def test_output_validates_with_nbformat_where_the_input_did(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    raw = nb_text(
        [
            code(
                ["%matplotlib inline\n", "import torch\n", "from torch.autograd import Variable\n"],
                id="a1",
            ),
            {"cell_type": "markdown", "metadata": {}, "source": ["# title"], "id": "m1"},
            code(["x = Variable(torch.randn(2))\n", "x.data[0]"], id="a2"),
        ],
        nbformat_minor=5,
    )
    nbformat.validate(nbformat.reads(raw, as_version=nbformat.NO_CONVERT))
    res = migrate_notebook(raw, all_rules(), unsafe_fixes=True)
    assert res.changed and not res.errors
    nbformat.validate(nbformat.reads(res.new, as_version=nbformat.NO_CONVERT))
    cells = json.loads(res.new)["cells"]
    assert cells[0]["source"] == ["%matplotlib inline\n", "import torch\n"]
    assert cells[2]["source"] == ["x = torch.randn(2)\n", "x[0]"]


def test_cells_that_only_parse_alone_fall_back_to_one_cell_at_a_time():
    """A Python 2 cell next to Python 3-only syntax: the cells cannot be
    one program, each is migrated alone with the others' names as facts."""
    raw = nb_text(
        [
            code(["import torch\n", "from torch.autograd import Variable\n"]),
            code(["print 'legacy'\n"]),
            code(["x = Variable(torch.randn(2))\n", "print(x, end='')\n"]),
        ]
    )
    res = migrate_notebook(raw, all_rules())
    assert not res.errors, res.errors
    cells = json.loads(res.new)["cells"]
    assert cells[2]["source"][0] == "x = torch.randn(2)\n"
    assert cells[1]["source"] == ["print('legacy')\n"]  # cell 2 alone is Python 2
    # cell 1's import is read by no cell any more: removed
    assert cells[0]["source"] == ["import torch\n"]
    assert {cf.cell for cf in res.fixes} >= {1, 3}
