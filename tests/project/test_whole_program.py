"""Whole-program migration through the real CLI, on real files, run with torch
afterwards: notebooks as one program, star imports, project classes and
Python 2 implicit relative imports (issue 9)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import tm
from tests.project.names import python_of

pytest.importorskip("torch")


def write(base: Path, files: dict) -> None:
    for rel, text in files.items():
        p = base / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def run_py(path: Path, cwd: Path = None) -> subprocess.CompletedProcess:
    r = subprocess.run(
        [sys.executable, "-W", "error:volatile:UserWarning", str(path)],
        capture_output=True,
        text=True,
        cwd=cwd or path.parent,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    return r


def notebook(cells: list, **meta) -> str:
    doc = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": src,
            }
            if not src[0].startswith("#!md")
            else {"cell_type": "markdown", "metadata": {}, "source": src[1:]}
            for src in cells
        ],
        "metadata": meta
        or {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 4,
    }
    return json.dumps(doc, indent=1) + "\n"


def run_notebook(nb: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """Execute the code cells in order (IPython-only lines inert)."""
    script = tmp_path / f"{nb.stem}_cells.py"
    script.write_text(python_of(nb, nb.read_text()))
    return run_py(script, cwd=tmp_path)


NB_CELLS = [
    [
        "import torch\n",
        "import torch.nn as nn\n",
        "from torch.autograd import Variable\n",
        "%matplotlib inline",
    ],
    ["#!md", "## Data"],
    [
        "torch.manual_seed(0)\n",
        "x = Variable(torch.randn(16, 4))\n",
        "y = Variable(torch.randn(16, 1))",
    ],
    [
        "model = nn.Linear(4, 1)\n",
        "opt = torch.optim.SGD(model.parameters(), lr=0.1)\n",
        "for step in range(5):\n",
        "    opt.zero_grad()\n",
        "    loss = ((model(x) - y) ** 2).mean()\n",
        "    loss.backward()\n",
        "    opt.step()\n",
        "    print('step', step, loss.data[0])\n",
    ],
    [
        "w = Variable(torch.zeros(3), requires_grad=True)\n",
        "(w * 2).sum().backward()\n",
        "print(w.grad)\n",
        "model?",
    ],
]


def test_notebook_import_in_cell_1_uses_in_cells_3_to_5_runs_after_upgrade(tmp_path):
    nb = tmp_path / "train.ipynb"
    nb.write_text(notebook(NB_CELLS))
    r = tm("upgrade", nb)
    assert r.returncode == 0, r.stderr
    doc = json.loads(nb.read_text())
    code = [c for c in doc["cells"] if c["cell_type"] == "code"]
    assert "from torch.autograd import Variable\n" not in code[0]["source"]
    assert code[1]["source"][1] == "x = torch.randn(16, 4)\n"
    assert "    print('step', step, loss.item())\n" in code[2]["source"]
    assert code[3]["source"][0] == "w = torch.zeros(3).requires_grad_()\n"
    assert code[3]["source"][-1] == "model?"
    out = run_notebook(nb, tmp_path)
    assert "step 4" in out.stdout and "tensor([2., 2., 2.])" in out.stdout


def test_notebook_import_stays_while_a_later_cell_still_reads_it(tmp_path):
    cells = [list(c) for c in NB_CELLS]
    cells[4] = cells[4][:-1] + ["print(Variable(model(x)).shape)\n", "model?"]
    nb = tmp_path / "partial.ipynb"
    nb.write_text(notebook(cells))
    r = tm("upgrade", nb)  # default: the unsafe Variable(t) stays
    assert r.returncode == 0, r.stderr
    doc = json.loads(nb.read_text())
    assert "from torch.autograd import Variable\n" in doc["cells"][0]["source"]
    assert "cell 5" in r.stdout and "TM001 [unsafe]" in r.stdout
    run_notebook(nb, tmp_path)


PKG = {
    "model.py": (
        "import torch\n"
        "import torch.nn as nn\n"
        "from torch.autograd import Variable\n"
        "\n"
        "\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super(Net, self).__init__()\n"
        "        self.fc = nn.Linear(4, 2)\n"
        "\n"
        "    def forward(self, x):\n"
        "        return self.fc(x)\n"
    ),
    "train.py": (
        "from model import *\n"
        "\n"
        "torch.manual_seed(0)\n"
        "net = Net()\n"
        "x = Variable(torch.randn(3, 4))\n"
        "print(net(x).sum().item())\n"
    ),
}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_star_import_package_unwrapped_everywhere_then_import_removed(tmp_path, jobs):
    repo = tmp_path / "repo"
    write(repo, PKG)
    r = tm("upgrade", "--jobs", jobs, repo)
    assert r.returncode == 0, r.stderr
    assert "x = torch.randn(3, 4)\n" in (repo / "train.py").read_text()
    assert "Variable" not in (repo / "model.py").read_text()
    run_py(repo / "train.py")
    # a second run has nothing left to do
    r = tm("check", repo)
    assert r.returncode == 0, r.stdout


def test_star_import_package_keeps_the_import_a_star_importer_still_reads(tmp_path):
    repo = tmp_path / "repo"
    files = dict(PKG)
    files["train.py"] += "print(Variable(net(x)).shape)\n"  # a model output: unsafe
    write(repo, files)
    r = tm("upgrade", repo)
    assert r.returncode == 0, r.stderr
    assert "from torch.autograd import Variable\n" in (repo / "model.py").read_text()
    assert "x = torch.randn(3, 4)\n" in (repo / "train.py").read_text()
    run_py(repo / "train.py")
    # with --unsafe-fixes every use goes, and so does the import
    r = tm("upgrade", "--unsafe-fixes", repo)
    assert r.returncode == 0, r.stderr
    assert "Variable" not in (repo / "model.py").read_text()
    assert "Variable" not in (repo / "train.py").read_text()
    run_py(repo / "train.py")


def test_module_with_torch_autograd_star_import(tmp_path):
    write(
        tmp_path,
        {
            "only_variable.py": (
                "import torch\n"
                "from torch.autograd import *\n"
                "\n"
                "x = Variable(torch.randn(2, 3), requires_grad=True)\n"
                "y = Variable(torch.ones(2, 3))\n"
                "(x * y).sum().backward()\n"
                "print(x.grad.sum().item())\n"
            ),
            "uses_grad.py": (
                "import torch\n"
                "from torch.autograd import *\n"
                "\n"
                "x = Variable(torch.randn(2, 3), requires_grad=True)\n"
                "g, = grad(x.sum(), x)\n"
                "print(g.sum().item())\n"
            ),
        },
    )
    r = tm("upgrade", tmp_path)
    assert r.returncode == 0, r.stderr
    only = (tmp_path / "only_variable.py").read_text()
    assert "from torch.autograd import *" not in only and "Variable" not in only
    assert "x = torch.randn(2, 3).requires_grad_()\n" in only
    uses = (tmp_path / "uses_grad.py").read_text()
    assert "from torch.autograd import *\n" in uses and "Variable" not in uses
    assert run_py(tmp_path / "only_variable.py").stdout.strip() == "6.0"
    assert run_py(tmp_path / "uses_grad.py").stdout.strip() == "6.0"


WRAPPER = {
    "optim_wrapper.py": (
        "class ScheduledOptim(object):\n"
        "    def __init__(self, optimizer, n_warmup_steps):\n"
        "        self._optimizer = optimizer\n"
        "        self.n_warmup_steps = n_warmup_steps\n"
        "\n"
        "    def step(self):\n"
        "        self._optimizer.step()\n"
        "\n"
        "    def zero_grad(self):\n"
        "        self._optimizer.zero_grad()\n"
    ),
    "train.py": (
        "import torch\n"
        "import torch.optim as optim\n"
        "from optim_wrapper import ScheduledOptim\n"
        "\n"
        "torch.manual_seed(0)\n"
        "model = torch.nn.Linear(3, 1)\n"
        "optimizer = ScheduledOptim(optim.SGD(model.parameters(), lr=0.1, momentum=0.9), 10)\n"
        "\n"
        "\n"
        "def train_step(opt, x):\n"
        "    opt.zero_grad()\n"
        "    loss = model(x).pow(2).mean()\n"
        "    loss.backward()\n"
        "    opt.step()\n"
        "    return loss\n"
        "\n"
        "\n"
        "for i in range(3):\n"
        "    optimizer.zero_grad()\n"
        "    model(torch.randn(4, 3)).sum().backward()\n"
        "    optimizer.step()\n"
        "    print(train_step(optimizer, torch.randn(4, 3)).item())\n"
    ),
}


@pytest.mark.parametrize("unsafe", [False, True])
def test_project_optimizer_wrapper_with_its_own_zero_grad(tmp_path, unsafe):
    write(tmp_path, WRAPPER)
    r = tm("upgrade", *(["--unsafe-fixes"] if unsafe else []), tmp_path)
    assert r.returncode == 0, r.stderr
    train = (tmp_path / "train.py").read_text()
    assert "set_to_none" not in train  # the wrapper's zero_grad(self) takes no keyword
    assert "TM207 [manual]" in r.stdout and "ScheduledOptim" in r.stdout
    wrapper = (tmp_path / "optim_wrapper.py").read_text()
    assert "        self._optimizer.zero_grad(set_to_none=False)\n" in wrapper
    run_py(tmp_path / "train.py")


def test_python2_package_implicit_relative_import(tmp_path):
    py2 = Path.home() / ".pyenv" / "versions" / "2.7.18" / "bin" / "python"
    write(
        tmp_path,
        {
            "net/__init__.py": "",
            "net/network.py": "SIZE = 4\n\n\ndef describe():\n    return 'network of %d' % SIZE\n",
            "net/model.py": (
                "import network\n"
                "from network import SIZE\n"
                "\n"
                "\n"
                "def build():\n"
                "    print 'building', network.describe()\n"
                "    return SIZE * 2\n"
            ),
            "net/tool.py": (
                "import network\n\nif __name__ == '__main__':\n    print network.describe()\n"
            ),
            "main.py": "from net import model\n\nprint model.build()\n",
        },
    )
    if py2.exists():  # the legacy package really runs on Python 2
        r = subprocess.run([str(py2), "main.py"], cwd=tmp_path, capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout.split() == ["building", "network", "of", "4", "8"]
    r = tm("upgrade", tmp_path)
    assert r.returncode == 0, r.stderr
    model = (tmp_path / "net" / "model.py").read_text()
    assert model.startswith("from . import network\nfrom .network import SIZE\n"), model
    # a script of the package directory that nobody imports keeps its import
    assert (tmp_path / "net" / "tool.py").read_text().startswith("import network\n")
    out = run_py(tmp_path / "main.py")
    assert out.stdout.split() == ["building", "network", "of", "4", "8"]
    out = run_py(tmp_path / "net" / "tool.py")
    assert out.stdout.strip() == "network of 4"


def test_a_file_migrated_alone_gets_no_cross_file_rewrites(tmp_path):
    """Naming a single file still builds the model of what was named: the
    package around it is not scanned, so nothing is assumed about it."""
    write(
        tmp_path,
        {
            "net/__init__.py": "",
            "net/network.py": "X = 1\n",
            "net/model.py": "import network\nprint network.X\n",
        },
    )
    r = tm("upgrade", tmp_path / "net" / "model.py")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "net" / "model.py").read_text().startswith("import network\n")


def test_package_directory_run_as_scripts_keeps_absolute_imports(tmp_path):
    """``cd pkg && python train.py``: train.py imports model as a top-level
    module, so model's ``import layers`` is an absolute import there, in
    Python 2 and 3 alike; a relative import would break the script."""
    write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/layers.py": "WIDTH = 3\n",
            "pkg/model.py": "import layers\n\n\ndef width():\n    return layers.WIDTH\n",
            "pkg/train.py": (
                "import model\n\nif __name__ == '__main__':\n    print model.width()\n"
            ),
        },
    )
    r = tm("upgrade", tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "pkg" / "model.py").read_text().startswith("import layers\n")
    assert run_py(tmp_path / "pkg" / "train.py").stdout.strip() == "3"


# The 0.3 way to put a program on the GPU was
# ``torch.set_default_tensor_type('torch.cuda.FloatTensor')`` in the main
# script; the model files' ``torch.LongTensor(...)`` stayed on the CPU.  Their
# modern spelling follows the default device, so the project model tells
# TM008 that some module changes it (here with ``set_default_device('meta')``,
# which needs no GPU and moves every factory).
DEFAULT_DEVICE_PKG = {
    "train.py": (
        "import torch\n"
        "torch.set_default_device('meta')\n"
        "from model import make\n"
        "idx, buf, w = make(3)\n"
        "print(idx.device, buf.device, w.device, idx.tolist())\n"
    ),
    "model.py": (
        "import torch\n\n"
        "def make(n):\n"
        "    idx = torch.LongTensor([1, 2, n])\n"
        "    buf = torch.FloatTensor(n, 2)\n"
        "    w = torch.Tensor(n)\n"
        "    return idx, buf, w\n"
    ),
}


def _upgraded_model(tmp_path, files: dict, prints: str) -> str:
    """Write ``files``, check that ``train.py`` prints ``prints`` first, run
    ``upgrade`` on the repo, check that ``train.py`` prints the same after;
    return the migrated ``model.py``."""
    repo = tmp_path / "repo"
    write(repo, files)
    before = run_py(repo / "train.py").stdout
    assert before.startswith(prints)
    r = tm("upgrade", repo)
    assert r.returncode == 0, r.stdout + r.stderr
    assert run_py(repo / "train.py").stdout == before
    return (repo / "model.py").read_text()


def test_typed_constructors_stay_on_the_cpu_when_another_module_moves_the_default(tmp_path):
    model = _upgraded_model(tmp_path, DEFAULT_DEVICE_PKG, "cpu cpu cpu [1, 2, 3]")
    assert "torch.tensor([1, 2, n], dtype=torch.int64, device='cpu')" in model
    assert "torch.empty(n, 2, dtype=torch.float32, device='cpu')" in model
    # torch.Tensor ignores set_default_device (torch.empty follows it): unsafe, left
    assert "w = torch.Tensor(n)\n" in model


AUTOCAST_PKG = {
    "train.py": (
        "import torch\n"
        "torch.set_autocast_dtype('cuda', torch.bfloat16)\n"
        "from model import region\n"
        "ctx = region()\n"
        "print(ctx.fast_dtype, ctx._cache_enabled)\n"
    ),
    "model.py": ("import torch\n\ndef region():\n    return torch.cuda.amp.autocast()\n"),
}


def test_cuda_amp_autocast_keeps_float16_when_another_module_changes_the_default(tmp_path):
    model = _upgraded_model(tmp_path, AUTOCAST_PKG, "torch.float16 True")
    assert "torch.amp.autocast('cuda', dtype=torch.float16, cache_enabled=True)" in model
