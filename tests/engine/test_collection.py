"""What a migration leaves behind for the cycle collector.

fissix trees are cyclic, so only the cycle collector frees them.  The engine
pauses it while a file is migrated; the young-generation collection that
follows must then free the whole file -- nothing long-lived (the fixer
instances, one per class for the whole process) may keep a reference to the
file's context, or its trees survive into the oldest generation and only a
full collection (a walk over every live object) frees them."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from codemods import all_rules
from torchmigrate import engine, gcpolicy

ROOT = Path(__file__).resolve().parents[2]


def test_a_migrated_file_is_freed_by_a_young_collection():
    text = (ROOT / "corpus" / "legacy" / "dcgan.py").read_text()
    rules = all_rules()
    engine.migrate(text, rules)  # warm: dispatch tables, compiled patterns
    trees: list = []
    real_run = engine._run

    def spy(tree, *args, **kwargs):
        trees.append(weakref.ref(tree))
        return real_run(tree, *args, **kwargs)

    gc.collect()
    engine._run = spy
    try:
        result = engine.migrate(text, rules)
    finally:
        engine._run = real_run
    assert result.changed and trees
    gc.collect(0)
    assert all(ref() is None for ref in trees)
    assert all(fx.ctx is None for fx in engine._FIXERS.values() if hasattr(fx, "ctx"))


def test_frozen_heap_freezes_once_and_undoes_it():
    assert gc.get_freeze_count() == 0
    with gcpolicy.frozen_heap():
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with gcpolicy.frozen_heap():  # nested: nothing more
            assert gc.get_freeze_count() == frozen
        assert gc.get_freeze_count() == frozen
    assert gc.get_freeze_count() == 0


def test_the_project_scan_pauses_the_collector_for_one_file_only(monkeypatch):
    from torchmigrate import project

    seen = []
    real = project._scan

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(project, "_scan", spy)
    text = (ROOT / "corpus" / "legacy" / "dcgan.py").read_text()
    info = project.scan(text, "dcgan.py")
    assert seen == [False] and gc.isenabled()
    assert info.parsed
    # a scan that raises gives the collector back
    monkeypatch.setattr(project, "_scan", lambda *a, **k: 1 / 0)
    try:
        project.scan(text, "dcgan.py")
    except ZeroDivisionError:
        pass
    assert gc.isenabled()


def test_a_pool_worker_starts_with_what_it_inherited_frozen():
    # with fork, the worker's collector would otherwise traverse (and copy
    # the pages of) the driver's whole heap
    from torchmigrate.executors import LocalExecutor

    ex = LocalExecutor(2)
    pool = ex._new_pool(1)
    try:
        assert pool.submit(gc.get_freeze_count).result(timeout=120) > 0
    finally:
        pool.shutdown()
    assert gc.get_freeze_count() == 0  # the driver's heap is not frozen
