"""Property tests over generated multi-module projects and notebooks: after
``upgrade --unsafe-fixes`` every output compiles and no name is undefined
that was defined in the input, project-wide (star imports and notebook cells
included)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from codemods import all_rules
from tests.project.names import compiles, python_of, read_tree, undefined_names
from torchmigrate.project import run_project

RULE_IDS = tuple(r.id for r in all_rules())

HEADERS = [
    "import torch\nfrom torch.autograd import Variable\n",
    "import torch\nfrom torch.autograd import *\n",
    "import torch\nimport torch.autograd as ag\nVariable = ag.Variable\n",
    "import torch\nfrom torch.autograd import Variable as V\nVariable = V\n",
]

# {i}: the module's index, so names do not collide across modules
SNIPPETS = [
    "x{i} = Variable(torch.randn(2, 3))\n",
    "y{i} = Variable(torch.zeros(3), requires_grad=True)\n",
    "def f{i}(t):\n    return Variable(t)\n",
    "def g{i}(t):\n    return Variable(t, volatile=True)\n",
    "h{i} = Variable(torch.ones(2).data)\n",
    "loss{i} = (torch.ones(3) * 2).sum()\nv{i} = loss{i}.data[0]\n",
    "a{i} = torch.ones(3)\na{i}.data[0] = 0\n",
    "b{i} = torch.ones(3)\nb{i}.data[0] += 1\n",
    "c{i} = [torch.ones(2)]\ndel c{i}[0].data\n",
    "p{i} = torch.nn.Parameter(torch.ones(2))\nopt{i} = torch.optim.SGD([p{i}], lr=0.1)\n"
    "opt{i}.zero_grad()\n",
    "class W{i}(object):\n    def zero_grad(self):\n        pass\n\n\nW{i}().zero_grad()\n",
    "def train{i}(opt):\n    opt.zero_grad()\n",
    "z{i} = [Variable(t) for t in [torch.ones(1)]]\n",
    "if Variable is not None:\n    k{i} = 1\n",
    "print(Variable(torch.ones(1)).sum().data[0])\n",
]


# store/delete targets that must never become calls (``loss.data[0] = 0``)
STORE_SNIPPETS = [
    "s{i} = torch.ones(3).sum()\ns{i}.data[0] = 0\n",
    "r{i} = torch.ones(3).mean()\nr{i}.data[0] += 1\n",
    "q{i} = torch.ones(3).sum()\ndel q{i}.data[0]\n",
]


@st.composite
def projects(draw, snippets=SNIPPETS):
    n = draw(st.integers(1, 4))
    files = {}
    for i in range(n):
        if i and draw(st.booleans()):
            j = draw(st.integers(0, i - 1))
            head = f"from m{j} import *\n"
        else:
            head = draw(st.sampled_from(HEADERS))
        body = draw(st.lists(st.sampled_from(snippets), min_size=0, max_size=4))
        text = head + "\n" + "".join(s.format(i=i) for s in body)
        if draw(st.booleans()):
            text += "__all__ = ['Variable']\n" if "Variable" in head else ""
        files[f"m{i}.py"] = text
    return files


@st.composite
def notebooks(draw):
    cells = [draw(st.sampled_from(HEADERS)) + "%matplotlib inline\n"]
    for k in range(draw(st.integers(1, 5))):
        body = draw(st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=3))
        text = "".join(s.format(i=k) for s in body)
        if draw(st.booleans()):
            text += "x.shape?\n" if draw(st.booleans()) else "!ls\n"
        cells.append(text)
    doc = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": c.splitlines(keepends=True),
            }
            for c in cells
        ],
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 4,
    }
    return {"nb.ipynb": json.dumps(doc, indent=1) + "\n"}


def check_upgrade(files: dict) -> None:
    base = Path(tempfile.mkdtemp(prefix="tm-prop-"))
    try:
        for rel, text in files.items():
            (base / rel).write_text(text)
        before_texts = read_tree(base)
        before = undefined_names(before_texts)
        assume(all(v == set() for v in before.values()))
        items = [(Path(p), str(base), p) for p in sorted(before_texts)]
        outcomes = run_project(items, RULE_IDS, True, 1)
        after_texts = {}
        for o in outcomes:
            assert not o.errors or all("does not parse" not in e for e in o.errors), o.errors
            after_texts[o.path] = o.new if o.status == "changed" else before_texts[o.path]
        after = undefined_names(after_texts)
        for path, text in after_texts.items():
            code = python_of(Path(path), text)
            assert compiles(code), f"{path} does not compile:\n{code}"
            assert after[path] == set(), (
                f"{path}: undefined after the upgrade: {after[path]}\n--- input\n"
                + python_of(Path(path), before_texts[path])
                + "\n--- output\n"
                + code
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)


SETTINGS = settings(
    max_examples=int(os.environ.get("TM_PROPERTY_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@SETTINGS
@given(projects())
def test_generated_projects_keep_every_name_and_compile(files):
    check_upgrade(files)


@SETTINGS
@given(notebooks())
def test_generated_notebooks_keep_every_name_and_compile(files):
    check_upgrade(files)


@SETTINGS
@given(projects(snippets=SNIPPETS + STORE_SNIPPETS))
def test_store_targets_never_become_calls(files):
    check_upgrade(files)
