"""The unit of work and the driver loop: batches of one repo, retries of lost
batches, a file that kills its worker, the result cache, and the imports a
plain run must not make."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fleet.fleetgen import TRAIN, UTILS, tm
from torchmigrate import executors
from torchmigrate.executors import (
    LOST,
    WORKER_DIED,
    Batch,
    ExecutorError,
    FileTask,
    LocalExecutor,
    ResultCache,
    RunSpec,
    make_executor,
    run_items,
)

IDS = ("TM001", "TM002", "TM003", "TM103", "TM106")


def _items(tmp_path: Path, repos: int = 3, files: int = 5) -> list:
    items = []
    for r in range(repos):
        for f in range(files):
            p = tmp_path / f"r{r}" / f"m{f}.py"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(TRAIN.format(i=f, avg="False") if f % 2 else UTILS.format(i=f))
            items.append((p, str(p.parent), str(p)))
    return items


class Recording:
    """An in-process executor that records its batches and can lose some."""

    name = "recording"

    def __init__(self, lose=lambda batch, attempt: False, workers=2):
        self.workers = workers
        self.window = 3
        self.max_level = executors.ALONE
        self.batches: list = []
        self.lose = lose
        self.attempts: dict = {}
        self.outstanding = 0
        self.company: list = []  # (batch, how many others were in flight)

    def submit(self, batch: Batch):
        key = tuple(t.path for t in batch.tasks)
        n = self.attempts[key] = self.attempts.get(key, 0) + 1
        self.batches.append(key)
        self.company.append((key, self.outstanding))
        self.outstanding += 1
        return Handle(LOST if self.lose(batch, n) else executors.run_batch(batch))

    def wait(self, handles):
        h = handles[0]  # one at a time, like a real executor may
        self.outstanding -= 1
        return [(h, h.result)]


class Handle:
    def __init__(self, result):
        self.result = result


def _plain(outcomes) -> list:
    return [dict(vars(o), fingerprint=None) for o in outcomes]


def test_batches_hold_files_of_one_repo_and_outcomes_keep_the_order(tmp_path):
    items = _items(tmp_path, repos=3, files=5)
    ex = Recording(workers=1)
    got = run_items(ex, items, IDS, False)
    assert [o.path for o in got] == [d for _p, _r, d in items]
    for batch in ex.batches:
        assert len({Path(p).parent for p in batch}) == 1  # one repo per batch
    assert sorted(p for b in ex.batches for p in b) == sorted(str(p) for p, _r, _d in items)
    assert max(len(b) for b in ex.batches) > 1  # files are batched
    with LocalExecutor(1) as local:
        assert _plain(got) == _plain(run_items(local, items, IDS, False))


def test_batches_shrink_toward_the_end_of_the_run(tmp_path):
    """Guided scheduling: the last batches are small, so the workers finish
    together; sizes never grow within a repo, and every file is batched once."""
    assert executors.batch_size(1000, 2) == executors.MAX_BATCH_FILES
    assert executors.batch_size(1000, 2, remaining=1000) == executors.MAX_BATCH_FILES
    assert executors.batch_size(1000, 2, remaining=20) == 5  # a quarter of what is left
    assert executors.batch_size(1000, 2, remaining=1) == 1
    items = _items(tmp_path, repos=1, files=40)
    ex = Recording(workers=2)
    got = run_items(ex, items, IDS, False)
    sizes = [len(b) for b in ex.batches]
    assert sizes[0] == executors.batch_size(40, 2) == 5
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] == 1
    assert sorted(p for b in ex.batches for p in b) == sorted(str(p) for p, _r, _d in items)
    assert [o.path for o in got] == [d for _p, _r, d in items]


def test_a_lost_batch_is_retried_file_by_file(tmp_path):
    items = _items(tmp_path, repos=2, files=6)
    want = _plain(run_items(Recording(), items, IDS, False))
    # every batch of several files is lost once
    ex = Recording(lose=lambda batch, n: len(batch.tasks) > 1 and n == 1, workers=1)
    seen = []
    got = run_items(ex, items, IDS, False, on_done=seen.append)
    assert _plain(got) == want
    assert len(seen) == len(items)  # the progress hears of each file once
    assert any(len(b) > 1 for b in ex.batches) and any(len(b) == 1 for b in ex.batches)


def test_a_file_lost_every_time_fails_alone(tmp_path):
    items = _items(tmp_path, repos=1, files=12)
    bad = str(items[3][0])
    ex = Recording(lose=lambda batch, n: any(t.path == bad for t in batch.tasks), workers=1)
    got = run_items(ex, items, IDS, False)
    failed = [o for o in got if o.status == "failed"]
    assert [o.path for o in failed] == [bad]
    assert failed[0].errors == [f"{bad}: {WORKER_DIED}"]
    assert all(o.status != "failed" for o in got if o.path != bad)
    # tried in its batch, then alone as a file, then with nothing else in flight
    tries = [(k, others) for k, others in ex.company if bad in k]
    assert len(tries) == 3 and len(tries[0][0]) > 1 and tries[1][0] == tries[2][0] == (bad,)
    assert tries[2][1] == 0


KILLER = """
import os

from bowler import Query

from torchmigrate.user_rules import user_rule


def die(node, capture, filename):
    os._exit(9)  # like a segfault or the OOM killer


RULES = [
    user_rule(
        id="Z002",
        name="kill-the-worker",
        summary="kills the worker process on kill_me()",
        query=Query().select_function("kill_me").filter(die),
        safety="manual",
    )
]
"""


def test_a_file_that_kills_its_worker_is_one_failure_and_the_rest_is_migrated(tmp_path):
    _items(tmp_path, repos=2, files=6)
    victim = tmp_path / "r1" / "m3.py"
    victim.write_text(victim.read_text() + "\nkill_me()\n")
    rules = tmp_path / "killer.py"
    rules.write_text(KILLER)
    r = tm(
        "upgrade", "--diff", "--jobs", "2", "--rules-from", rules, tmp_path / "r0", tmp_path / "r1"
    )
    assert r.returncode == 1
    assert f"{victim}: {WORKER_DIED}" in r.stderr
    assert r.stderr.count(WORKER_DIED) == 1
    # every other file is in the diff, exactly as a run without the killer gives it
    victim.write_text(victim.read_text().replace("kill_me()", "kill_me_not()"))
    ref = tm("upgrade", "--diff", "--jobs", "1", tmp_path / "r0", tmp_path / "r1")
    assert r.stdout == _without_file(ref.stdout, str(victim))
    assert str(victim) in ref.stdout


def _without_file(diff: str, path: str) -> str:
    out, keep = [], True
    for line in diff.splitlines(keepends=True):
        if line.startswith("--- "):
            keep = path not in line
        if keep:
            out.append(line)
    return "".join(out)


def test_cache_keys_do_not_depend_on_hash_seeds_and_entries_round_trip(tmp_path):
    from torchmigrate.report import FileOutcome

    code = (
        "import dataclasses, json, sys\n"
        "from torchmigrate.executors import FileTask, ResultCache, RunSpec\n"
        "@dataclasses.dataclass(frozen=True)\n"
        "class Facts:\n"
        "    names: frozenset\n"
        "    table: dict\n"
        "facts = Facts(frozenset({'Variable', 'model', 'optim', 'zero_grad'}),"
        " {'b': {1, 2, 3}, 'a': ('x', 'y')})\n"
        "t = FileTask('a.py', 'r', 'a.py', b'print(1)\\n', facts)\n"
        f"c = ResultCache({str(tmp_path / 'c')!r})\n"
        "print(c.key(RunSpec(('TM001',), False), t))\n"
    )
    keys = set()
    for seed in ("1", "2", "3"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
        keys.add(r.stdout.strip())
    assert len(keys) == 1
    cache = ResultCache(tmp_path / "c")
    spec = RunSpec(("TM001",), False)
    t1 = FileTask("a.py", "r", "a.py", b"x = 1\n")
    t2 = FileTask("a.py", "r", "a.py", b"x = 2\n")
    assert cache.key(spec, t1) != cache.key(spec, t2)
    assert cache.key(spec, t1) != cache.key(RunSpec(("TM001",), True), t1)
    o = FileOutcome("a.py", "r", "changed", fixes=[{"rule": "TM001"}], old="a", new="b")
    o.new_bytes = b"b\r\n\x00\xff"
    cache.put(cache.key(spec, t1), o)
    back = cache.get(cache.key(spec, t1))
    assert vars(back) == vars(o)
    assert cache.get(cache.key(spec, t2)) is None
    # a damaged entry is a miss, not an error
    entry = next((tmp_path / "c").rglob("*.json"))
    entry.write_text("{not json")
    assert cache.get(cache.key(spec, t1)) is None
    entry.write_text(json.dumps({"path": "a.py", "unknown_field": 1}))
    assert cache.get(cache.key(spec, t1)) is None


def test_worker_setup_refuses_another_version_or_unknown_rules():
    spec = RunSpec(("TM001",), False, version="0.0.0-other")
    with pytest.raises(executors.WorkerSetupError, match="torchmigrate"):
        executors.run_batch(Batch(spec, ()))
    spec = RunSpec(("TM001", "Q999"), False)
    with pytest.raises(executors.WorkerSetupError, match="Q999"):
        executors.run_batch(Batch(spec, ()))
    with LocalExecutor(1) as local, pytest.raises(ExecutorError, match="Q999"):
        local.submit(Batch(spec, (FileTask("a.py", "r", "a.py", b"x = 1\n"),)))


def test_user_rule_files_reach_a_worker_that_cannot_see_them(tmp_path, monkeypatch):
    """A remote worker gets the rule file's text, not its path."""
    from torchmigrate import user_rules

    text = KILLER.replace("kill_me", "to_kill")
    gone = tmp_path / "gone" / "rules.py"  # the driver's path, absent on the worker
    spec = RunSpec(("Z002",), False, ((str(gone), text),))
    monkeypatch.setenv(user_rules.ENV, "")
    monkeypatch.setattr(executors, "_ACTIVE_RULE_FILES", None)
    from codemods import all_rules

    try:
        out = executors.run_batch(Batch(spec, (FileTask("a.py", "r", "a.py", b"x = 1\n"),)))
        assert out[0].status == "unchanged"
        used = os.environ[user_rules.ENV]
        assert used != str(gone) and Path(used).read_text() == text
    finally:
        all_rules.cache_clear()
        from torchmigrate import processing

        processing._rules.cache_clear()


def test_dask_missing_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ExecutorError, match=r"torchmigrate\[cluster\]"):
        make_executor("dask", 2, None)
    with pytest.raises(ExecutorError, match="unknown executor"):
        make_executor("ray", 2, None)


def test_plain_commands_import_neither_dask_nor_torch(tmp_path):
    (tmp_path / "a.py").write_text(TRAIN.format(i=0, avg="False"))
    code = (
        "import sys\n"
        "from torchmigrate.cli import main\n"
        "for args in (['check', {p!r}], ['upgrade', '--diff', {p!r}], ['upgrade', {p!r}]):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "bad = [m for m in ('torch', 'dask', 'distributed') if m in sys.modules]\n"
        "assert not bad, bad\n"
    ).format(p=str(tmp_path))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_usage_errors_of_the_executor_flags(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    r = tm("check", "--executor", "spark", tmp_path)
    assert r.returncode == 2 and "unknown executor 'spark'" in r.stderr
    r = tm("check", "--executor", "local", "--scheduler", "tcp://127.0.0.1:1", tmp_path)
    assert r.returncode == 2 and "--scheduler needs --executor dask" in r.stderr


RENAMER = """
from bowler import Query

from torchmigrate.user_rules import user_rule

RULES = [
    user_rule(
        id="Z003",
        name="rename-helper",
        summary="renames old_helper",
        query=Query().select_function("old_helper").is_call().rename("{new}"),
        safety="safe",
    )
]
"""


def test_a_long_lived_worker_uses_the_rule_file_of_each_run(tmp_path, monkeypatch):
    """One worker process, two runs: the user's rule file is edited in place
    between them, then a second file with the same rule id is used; every run
    gets its own rules (no stale module, rule table or engine dispatch)."""
    from codemods import all_rules
    from torchmigrate import processing, user_rules

    monkeypatch.setenv(user_rules.ENV, "")
    monkeypatch.setattr(executors, "_ACTIVE_RULE_FILES", None)
    path = tmp_path / "rules.py"
    head = b"from utils import helper_v1, helper_v2, helper_v3, old_helper\n"
    task = FileTask("a.py", "r", "a.py", head + b"y = old_helper(1)\n")
    try:
        got = []
        for new, where in (
            ("helper_v1", path),
            ("helper_v2", path),
            ("helper_v3", tmp_path / "b.py"),
        ):
            text = RENAMER.format(new=new)
            where.write_text(text)
            spec = RunSpec(("Z003",), False, ((str(where), text),))
            (out,) = executors.run_batch(Batch(spec, (task,)))
            got.append(out.new)
        assert got == [head.decode() + f"y = helper_v{i}(1)\n" for i in (1, 2, 3)]
    finally:
        all_rules.cache_clear()
        processing._rules.cache_clear()


# --------------------------------------------------------------------------
# The project model's scan on the workers
# --------------------------------------------------------------------------
def _scan_project(tmp_path: Path) -> list:
    """The corpus (packages with star and implicit relative imports,
    notebooks) plus files the scan cannot read: [(path, repo, display)]."""
    import shutil

    src = Path(__file__).resolve().parents[2] / "corpus" / "legacy"
    repo = tmp_path / "repo"
    shutil.copytree(src, repo)
    (repo / "latin.py").write_bytes(
        b"# -*- coding: latin-1 -*-\nimport torch\nfrom torch.autograd import Variable\n"
        b"NAME = '\xe9'\n\n\ndef f(x):\n    return Variable(x).data[0]\n"
    )
    (repo / "binary.py").write_bytes(b"import torch\x00\x01\n")
    (repo / "crlf.py").write_bytes(b"import torch\r\nfrom classifier_pkg import *\r\n")
    files = sorted(p for p in repo.rglob("*") if p.suffix in (".py", ".ipynb"))
    return [(p, str(repo), str(p)) for p in files]


def test_the_scan_on_workers_gives_the_model_of_the_serial_scan(tmp_path):
    from torchmigrate.project import PARALLEL_SCAN_MIN_FILES, build_models

    items = _scan_project(tmp_path)
    assert len(items) >= PARALLEL_SCAN_MIN_FILES
    want, models = build_models(items)
    ex = Recording()
    got, got_models = build_models(items, executor=ex)
    assert repr(got) == repr(want)
    scanned = [p for b in ex.batches for p in b]
    assert sorted(scanned) == sorted(str(p) for p, _r, _d in items)  # every file, once
    assert len(ex.batches) > 1
    # the workers' scans are the driver's (sets compared as sets: a pickled
    # set may iterate in another order, and no fact depends on that order)
    model, par = models[str(items[0][1])], got_models[str(items[0][1])]
    assert set(model.mods) == set(par.mods)
    for path, m in model.mods.items():
        assert vars(m.info) == vars(par.mods[path].info), path
    # a later round rescans only the texts the run produced
    texts = {str(p): p.read_text(encoding="latin-1") + "\nimport os\n" for p, _r, _d in items[::2]}
    texts = {k: v for k, v in texts.items() if k.endswith(".py") and "binary" not in k}
    assert len(texts) >= PARALLEL_SCAN_MIN_FILES // 2
    again = Recording()
    want2, _ = build_models(items, texts=texts, previous=models)
    got2, _ = build_models(items, texts=texts, previous=got_models, executor=again)
    assert repr(got2) == repr(want2)
    assert sorted(p for b in again.batches for p in b) == sorted(texts)


def test_a_lost_scan_batch_is_scanned_by_the_driver(tmp_path):
    from torchmigrate.project import build_models

    items = _scan_project(tmp_path)
    want, _ = build_models(items)
    ex = Recording(lose=lambda batch, n: batch.kind == "scan")
    got, _ = build_models(items, executor=ex)
    assert repr(got) == repr(want)


def test_one_worker_or_few_files_scan_in_the_driver(tmp_path):
    from torchmigrate.project import build_models

    items = _scan_project(tmp_path)
    ex = Recording(workers=1)
    build_models(items, executor=ex)
    assert ex.batches == []
    ex = Recording(workers=2)
    build_models(items[:5], executor=ex)
    assert ex.batches == []


def test_a_parallel_run_scans_and_migrates_on_one_pool(tmp_path, monkeypatch):
    """run_project with --jobs 2: the scan and the migration share one pool,
    and the outcomes are those of --jobs 1."""
    from torchmigrate import project

    items = _scan_project(tmp_path)
    ids = tuple(sorted({*IDS, "TM004", "TM006"}))
    want = project.run_project(items, ids, True, 1)
    made = []
    real = LocalExecutor

    class Counting(real):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            made.append(self)

    monkeypatch.setattr(executors, "LocalExecutor", Counting)
    kinds = []
    submit = Counting.submit

    def spy(self, batch):
        kinds.append(batch.kind)
        return submit(self, batch)

    monkeypatch.setattr(Counting, "submit", spy)
    got = project.run_project(items, ids, True, 2)
    assert _plain(got) == _plain(want)
    assert len(made) == 1
    assert "scan" in kinds and "migrate" in kinds
    assert kinds.index("scan") < kinds.index("migrate")


def test_facts_on_demand_are_the_facts_computed_when_first_asked(tmp_path, monkeypatch):
    # a run asks for a file's facts as it batches the file (the driver
    # computes them while the workers migrate), never before
    from torchmigrate import project

    items = _scan_project(tmp_path)
    want, _ = project.build_models(items)
    asked: list = []
    real = project.ProjectModel.facts_for

    def spy(self, path):
        asked.append(path)
        return real(self, path)

    monkeypatch.setattr(project.ProjectModel, "facts_for", spy)
    lazy, _ = project.build_models(items, on_demand=True)
    assert asked == []  # nothing yet
    first = str(items[0][0])
    assert lazy.get(first) == want.get(first) and asked == [first]
    assert lazy.get(first) is lazy.get(first) and asked == [first]  # once
    assert lazy.get("/no/such/file.py") is None and "/no/such/file.py" not in lazy
    with pytest.raises(KeyError):
        lazy["/no/such/file.py"]
    assert dict(lazy) == want and len(lazy) == len(want) and lazy  # (not emptied by `or`)
    assert all(str(p) in lazy or str(p) not in want for p, _r, _d in items)
    replaced = next(iter(want))
    lazy[replaced] = "x"
    assert lazy[replaced] == "x"
