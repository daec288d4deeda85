"""How the tool uses Python's cycle collector around its bulk work.

Migrating or scanning a file allocates millions of short-lived objects,
and the long-lived ones (rules, tables, the project model, everything a
forked worker inherits) would be re-traversed by every full collection.
Three policies, each measured:

* :func:`automatic_gc_paused` around one file's migration or scan: the
  collector runs once after it, not again and again during it (10-20% of a
  migration, about a fifth of a scan).
* :func:`frozen_heap` around a run in one process: what is alive at its
  start stays out of the collector's way until its end.
* :func:`freeze_inherited_heap` in a pool worker at its start: the objects it
  inherited from the driver by ``fork`` are never traversed by the worker's
  collector, which would otherwise write to each of them and copy every page
  the driver shares with it (about 4,700 page copies per worker on the
  all-legacy bench tree).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def automatic_gc_paused():
    """Pause Python's automatic cycle collection while one text is migrated
    or scanned.

    A migration allocates millions of short-lived objects (tree nodes,
    index tables, analysis answers) and the collector would re-traverse the
    whole live tree again and again.  fissix trees are cyclic (parent
    links), so they are collected when the next collection runs after the
    migration -- memory stays bounded by one file's work.  Nothing
    long-lived may keep a reference to them (the engine clears the fixers'
    contexts): the young-generation collection that follows then frees
    them, instead of a full collection much later."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextmanager
def frozen_heap():
    """Keep the objects alive now out of the cycle collector's way while a
    batch of files is migrated in this process (``gc.freeze``; undone at
    the end).  The project model, the rules and their tables are alive for
    the whole run: without this every full collection re-traverses them
    (about a tenth of a run's CPU time on real code).  Objects frozen here
    that become garbage meanwhile are collected after the batch.  Does
    nothing inside another ``frozen_heap`` or when the heap is already
    frozen by someone else."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def freeze_inherited_heap() -> None:
    """A pool worker's first step: move every object it holds now (with
    ``fork``, the driver's whole heap) to the permanent generation, for the
    worker's life.  ``gc.freeze`` splices the collector's lists; it touches
    no object."""
    gc.freeze()
