"""The project model: scanning, import resolution and the per-module facts."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from torchmigrate.project import ProjectModel, build_models, scan

ROOT = Path(__file__).resolve().parents[2]


def model_of(tmp_path: Path, files: dict) -> ProjectModel:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return ProjectModel.build(sorted(str(tmp_path / r) for r in files), root=str(tmp_path))


def facts(model, tmp_path, rel):
    return model.facts_for(str(tmp_path / rel))


def test_star_import_chain_needed_and_provided(tmp_path):
    m = model_of(
        tmp_path,
        {
            "utils.py": "import torch\nfrom torch.autograd import Variable\ndef helper(): pass\n",
            "model.py": "from utils import *\nclass Net(object): pass\n",
            "train.py": "from model import *\nx = Variable(torch.zeros(1))\nhelper()\nNet()\n",
        },
    )
    train = facts(m, tmp_path, "train.py")
    assert {"Variable", "torch", "helper", "Net"} <= train.provided_names
    assert train.star_origin("Variable") == "torch.autograd.Variable"
    assert train.star_origin("helper") == "utils.helper"
    assert not train.opaque_star
    # train reads Variable through model, which has it from utils
    assert {"Variable", "torch", "helper"} <= facts(m, tmp_path, "utils.py").needed_by_others
    assert "Net" in facts(m, tmp_path, "model.py").needed_by_others
    assert facts(m, tmp_path, "train.py").needed_by_others == frozenset()


def test_a_name_the_importer_binds_itself_is_not_needed_from_the_star(tmp_path):
    m = model_of(
        tmp_path,
        {
            "model.py": "import torch\nfrom torch.autograd import Variable\n",
            "train.py": "import torch\nfrom model import *\ntorch.zeros(1)\n",
        },
    )
    assert facts(m, tmp_path, "model.py").needed_by_others == frozenset()


def test_module_attribute_reads_all_and_opaque_uses(tmp_path):
    m = model_of(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/layers.py": "A = 1\nB = 2\nC = 3\n__all__ = ['C']\n",
            "pkg/other.py": "X = 1\nY = 2\n",
            "main.py": (
                "import pkg.layers\nimport pkg.other as o\n"
                "print(pkg.layers.A)\nprint(getattr(o, 'X'))\n"
            ),
        },
    )
    assert facts(m, tmp_path, "pkg/layers.py").needed_by_others == {"A", "C"}
    # ``o`` is used as a value (getattr): every name of pkg.other is needed
    assert facts(m, tmp_path, "pkg/other.py").needed_by_others == {"X", "Y"}


def test_relative_and_from_package_imports(tmp_path):
    m = model_of(
        tmp_path,
        {
            "pkg/__init__.py": "from .core import Thing\n",
            "pkg/core.py": "class Thing(object): pass\nclass Unused(object): pass\n",
            "run.py": "from pkg import Thing\nThing()\n",
        },
    )
    assert facts(m, tmp_path, "pkg/core.py").needed_by_others == {"Thing"}
    assert facts(m, tmp_path, "pkg/__init__.py").needed_by_others == {"Thing"}


def test_unknown_external_star_import_is_opaque(tmp_path):
    m = model_of(tmp_path, {"a.py": "from numpy import *\nx = array([1])\n"})
    assert facts(m, tmp_path, "a.py").opaque_star


def test_project_classes_bases_methods_and_attribute_kinds(tmp_path):
    m = model_of(
        tmp_path,
        {
            "optim_utils.py": (
                "import torch.optim as optim\n"
                "class Base(optim.Optimizer):\n"
                "    pass\n"
                "class Mine(Base):\n"
                "    def zero_grad(self, set_to_none=False):\n"
                "        pass\n"
                "class Wrap(object):\n"
                "    def __init__(self, opt, sched):\n"
                "        self.opt = opt\n"
                "        self.sched = optim.lr_scheduler.StepLR(opt, 3)\n"
                "    def step(self):\n"
                "        self.sched.step()\n"
            ),
            "train.py": (
                "import torch\n"
                "from optim_utils import Mine, Wrap\n"
                "w = Wrap(torch.optim.SGD(params, lr=0.1), None)\n"
                "m = Mine()\n"
            ),
        },
    )
    f = facts(m, tmp_path, "train.py")
    mine = f.class_of("Mine")
    assert mine.torch_kind == "optim" and mine.qualname == "optim_utils.Mine"
    assert mine.method("zero_grad").accepts_keyword("set_to_none")
    wrap = f.class_of("optim_utils.Wrap")
    assert wrap.attr_kind("opt") == "optim"  # every construction passes a torch optimizer
    assert wrap.attr_kind("sched") == "scheduler"
    assert wrap.forwarded("step") == ("sched",)
    assert [q for q, _ in f.classes_defining("zero_grad")] == ["optim_utils.Mine"]


def test_token_scan_of_python2_agrees_with_ast_scan():
    """Python 2 files are scanned from tokens; on files both can read the
    two scans agree on what the facts are built from."""
    for path in sorted((ROOT / "corpus" / "modern").glob("*.py")):
        text = path.read_text()
        a = scan(text)
        from torchmigrate.project import ModuleInfo, _TokenScanner

        t = ModuleInfo(parsed=False)
        _TokenScanner(t).run(text)
        assert a.parsed
        assert t.bound >= a.bound - {"_"}, (path.name, a.bound - t.bound)
        assert {(i.module, i.level, i.star) for i in t.imports} == {
            (i.module, i.level, i.star) for i in a.imports
        }, path.name
        assert set(t.classes) == set(a.classes), path.name
        for name, ci in a.classes.items():
            assert set(t.classes[name].methods) == set(ci.methods), (path.name, name)
            assert t.classes[name].bases == ci.bases, (path.name, name)
        assert t.reads >= a.reads, (path.name, a.reads - t.reads)
        assert t.main_guard == a.main_guard, path.name


def test_python2_file_is_scanned():
    info = scan(
        "import cPickle as pickle\n"
        "from network import *\n"
        "class Net(nn.Module):\n"
        "    def forward(self, x, (a, b)=(1, 2)):\n"
        "        print 'x', x\n"
        "__all__ = ['Net']\n"
    )
    assert not info.parsed
    assert {"pickle", "Net"} <= info.bound
    assert info.all_names == ["Net"]
    assert info.classes["Net"].bases == ["nn.Module"]
    assert "forward" in info.classes["Net"].methods
    assert any(i.star and i.module == "network" for i in info.imports)


def test_unparsable_garbage_does_not_break_the_scan():
    info = scan("def (:\n  ''' unterminated\nimport os\n")
    assert not info.parsed


def test_facts_are_small_and_picklable(tmp_path):
    items = []
    for program in ("classifier_pkg", "py2_pkg"):
        base = ROOT / "corpus" / "legacy" / program
        for p in sorted(base.rglob("*.py")):
            items.append((p, str(base), str(p)))
    facts_by_path, _ = build_models(items)
    assert set(facts_by_path) == {str(p) for p, _, _ in items}
    for f in facts_by_path.values():
        data = pickle.dumps(f)
        assert len(data) < 8000, (f.path, len(data))
        assert pickle.loads(data).needed_by_others == f.needed_by_others


@pytest.mark.parametrize(
    ("rel", "safety"),
    [("seqmodel/model.py", "safe")],
)
def test_implicit_relative_imports_of_the_corpus_package(rel, safety):
    base = ROOT / "corpus" / "legacy" / "py2_pkg"
    files = sorted(str(p) for p in base.rglob("*.py"))
    m = ProjectModel.build(files, root=str(base))
    f = m.facts_for(str(base / rel))
    assert set(f.implicit_relative) == {"layers"}
    assert f.implicit_relative["layers"].safety == safety
    assert m.facts_for(str(base / "train.py")).implicit_relative == {}


def test_light_scan_over_approximates_the_ast_scan():
    """Files with no sign of PyTorch get the regular-expression scan; it may
    see more names than the ast scan, never fewer (conservative facts)."""
    from torchmigrate.project import scan_light

    paths = sorted((ROOT / "corpus" / "modern").glob("*.py")) + sorted(
        (ROOT / "torchmigrate").glob("*.py")
    )
    for path in paths:
        text = path.read_text()
        a = scan(text, full=True)
        if not a.parsed:
            continue
        li = scan_light(text).need_reads()
        assert li.bound >= a.bound, (path.name, a.bound - li.bound)
        assert li.reads >= a.reads, (path.name, a.reads - li.reads)
        assert li.attr_reads >= a.attr_reads, (path.name, a.attr_reads - li.attr_reads)
        assert {(i.module, i.level, i.star, i.alias) for i in li.imports} >= {
            (i.module, i.level, i.star, i.alias) for i in a.imports
        }, path.name
        assert li.all_names == a.all_names, path.name
        assert li.main_guard == a.main_guard, path.name


def test_light_scan_reads_names_after_a_comment_in_a_parenthesised_import():
    from torchmigrate.project import scan_light

    info = scan_light("from a import (\n    x,  # why, not z\n    y as w,\n)\n")
    assert {"x", "w"} <= info.bound


def test_the_class_scan_skips_only_methods_that_forward_nothing(monkeypatch):
    """_class walks a method for its forwards only when ``self.X.<its name>``
    occurs in the file; on the corpus, the rule examples and odd spellings
    the facts are those of walking every method."""
    from codemods import all_rules
    from torchmigrate import project

    odd = (
        "class W(object):\n"
        "    def __init__(self, opt):\n"
        "        self.opt = opt\n"
        "        if opt:\n"
        "            self.inner = make(opt)\n"
        "    def step(self):\n"
        "        go = lambda: self.opt.step()\n"
        "        return [go() for _ in range(2)]\n"
        "    def zero_grad(self):\n"
        "        def inner():\n"
        "            self.inner.zero_grad()\n"
        "        inner()\n"
        "    def other(self):\n"
        "        self.opt.state_dict()\n"
        "    def state(self):\n"
        "        return self.opt.stat()\n"
    )
    texts = [odd] + [p.read_text() for p in sorted((ROOT / "corpus").rglob("*.py"))]
    texts += [ex.before for r in all_rules() for ex in r.examples]

    class Every:
        def __contains__(self, name):
            return True

    def classes(text):
        info = scan(text, full=True)
        return {
            n: (c.bases, c.methods, c.forwards, c.init_attr_params, c.init_attr_calls)
            for n, c in info.classes.items()
        }

    fast = [classes(t) for t in texts]
    monkeypatch.setattr(project._AstScanner, "_forward_names", lambda self: Every())
    assert [classes(t) for t in texts] == fast
    w = fast[0]["W"]
    assert w[2] == {"step": {"opt"}, "zero_grad": {"inner"}}
    assert w[3] == {"opt": "opt"} and w[4] == {"inner": "make"}
    assert sum(1 for f in fast for c in f.values() if c[2]) >= 2


def test_module_lookup_by_dotted_name_matches_the_paths_it_stands_for(tmp_path):
    # _lookup answers an import with no module of that name anywhere in the
    # project without building a path per root; every answer must be the
    # one the paths give
    import os

    files = {
        "r1/pkg/__init__.py": "",
        "r1/pkg/sub/__init__.py": "",
        "r1/pkg/sub/mod.py": "import torch\n",
        "r1/pkg/plain.py": "from .sub import mod\n",
        "r2/my.dir/x.py": "import y\n",
        "r2/y.py": "",
        "r3/a.py": "import pkg.sub.mod\n",
        "r3/deep/er/b.py": "",
        "r3/nb.ipynb": '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}',
    }
    m = model_of(tmp_path, files)
    dirs = {os.path.dirname(p) for p in m.mods} | {str(tmp_path), str(tmp_path / "r1")}
    dirs |= {os.path.dirname(d) for d in dirs}
    names = {""} | set(m._dotted_tails())
    names |= {n.rsplit(".", 1)[0] for n in names} | {n.split(".", 1)[-1] for n in names}
    names |= {"torch", "torch.nn", "numpy", "my", "dir.x", "my.dir", "nb", "deep.er", "x.y"}

    def by_paths(base, dotted):
        rel = dotted.replace(".", os.sep) if dotted else ""
        cands = (
            [os.path.join(base, rel + ".py"), os.path.join(base, rel, "__init__.py")]
            if rel
            else [os.path.join(base, "__init__.py")]
        )
        return next((m.mods[c] for c in cands if c in m.mods), None)

    found = 0
    for base in sorted(dirs):
        for dotted in sorted(names):
            want = by_paths(base, dotted)
            assert m._lookup(base, dotted) is want, (base, dotted)
            found += want is not None
    assert found >= 10
    assert "numpy" not in m._dotted_tails() and "sub.mod" in m._dotted_tails()
