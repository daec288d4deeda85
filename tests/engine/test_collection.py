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
from torchmigrate import engine

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
    with engine.frozen_heap():
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with engine.frozen_heap():  # nested: nothing more
            assert gc.get_freeze_count() == frozen
        assert gc.get_freeze_count() == frozen
    assert gc.get_freeze_count() == 0
