# -*- coding: utf-8 -*-
"""Record every training step of the script running in this (child) process.

Portable code (see ``tm_trace``): the same recorder runs under today's torch and under a
genuine torch 1.0-1.13 on Python 2.7/3.6/3.7, so both sides of a verification are
recorded by the same rules.

What a *step* is:

- Once any ``torch.optim.Optimizer`` has been constructed ("optimizer mode"), a step is
  everything up to and including one ``optimizer.step()``: the losses of all
  ``backward()`` calls since the previous step are summed, the gradients are taken just
  before the optimizer updates (after any clipping) and the parameters right after it.
  A GAN with two optimizers therefore records two steps per iteration.  When the
  backward calls happen *inside* ``step()`` (a closure, as LBFGS takes), the gradients
  are taken right after the first backward of the closure -- the gradient at the point
  the step starts from -- and every closure loss counts.
- Without any optimizer ("manual mode", e.g. SGD through ``p.data``), a step is one
  ``backward()`` call: gradients are taken right after it returns, parameters when the
  next ``backward()`` starts (i.e. after the manual update) or when the script ends.
- Backward calls left after the last optimizer step at script end form a final step
  (marked ``partial``).

The first ``window`` steps are *compared in full*: every gradient and every tracked
parameter is streamed to a step file.  After the window the script keeps running; only
each step's loss and backward count are logged (``steps.jsonl``), until the script ends,
``max_steps`` steps were recorded, or the parent asks both sides to stop at a step
number (the time budget), whichever comes first.  Stopping raises ``StopRecording`` (a
``BaseException``, so ``except Exception`` blocks in scripts do not swallow it).

Tracked leaves: every parameter of every top-level ``nn.Module`` built by the script,
and every leaf tensor reached by the step's ``backward`` calls (a leaf of an earlier
step is not recorded again: whether it is still alive depends on the torch version).  Names: ``Class.path.to.param``
for module parameters (``Class#2.…`` for a second top-level instance of the same class,
in construction order); other leaves get ``leaf0``, ``leaf1`` ... in order of first use.
"""

from __future__ import absolute_import, division, print_function

import os
import threading
import time
import types
import weakref

import torch
from torch import nn

try:  # package import (today's Python) or flat import (the old interpreter)
    from . import tm_trace
except (ImportError, ValueError):  # pragma: no cover - exercised under old Python
    import tm_trace

# Captured before any runtime patch (the legacy runtime changes ``sum``/``numpy``).
_SUM = torch.Tensor.sum
_DOUBLE = torch.Tensor.double
_DETACH = torch.Tensor.detach


class StopRecording(BaseException):
    """Raised inside the script once enough steps were recorded."""


class _Guard(object):
    def __init__(self, rec):
        self.rec = rec

    def __enter__(self):
        self.rec._tls.depth = self.rec._depth() + 1

    def __exit__(self, *exc):
        self.rec._tls.depth -= 1


class Recorder(object):
    def __init__(self, trace_dir, window=3, max_steps=None, ctl_dir=None, pending_limit=2):
        self.trace_dir = trace_dir
        self.window = window
        self.max_steps = max_steps
        self.ctl_dir = ctl_dir
        self.pending_limit = pending_limit
        self.count = 0  # closed steps
        self.tensor_steps = 0
        self.elements = 0
        self._log = tm_trace.StepLog(trace_dir)
        self._modules = []
        self._leaves = {}  # id -> (ref, name)
        self._leaf_order = []
        self._step_leaves = set()  # ids of the plain leaves reached in the open step
        self._n_plain = 0
        self._optimizers = 0
        self._open = None
        self._writer = None
        self._in_step = 0
        self._pending_grads = False
        self._tls = threading.local()
        self._saved = []
        self.stopped = False
        self.stop_reason = None
        self._stop_at = None

    # ---- installation ---------------------------------------------------------------

    def _set(self, owner, name, value):
        was = name in owner.__dict__
        self._saved.append((owner, name, owner.__dict__.get(name), was))
        setattr(owner, name, value)

    def install(self):
        rec = self
        orig_tb = torch.Tensor.backward
        orig_ab = torch.autograd.backward

        def tensor_backward(self, *args, **kwargs):
            if rec._depth():
                return orig_tb(self, *args, **kwargs)
            rec._before_backward([self])
            with _Guard(rec):
                out = orig_tb(self, *args, **kwargs)
            rec._after_backward()
            return out

        def autograd_backward(tensors, *args, **kwargs):
            if rec._depth():
                return orig_ab(tensors, *args, **kwargs)
            ts = [tensors] if isinstance(tensors, torch.Tensor) else list(tensors)
            rec._before_backward(ts)
            with _Guard(rec):
                out = orig_ab(tensors, *args, **kwargs)
            rec._after_backward()
            return out

        self._set(torch.Tensor, "backward", tensor_backward)
        self._saved.append((torch.autograd, "backward", orig_ab, True))
        torch.autograd.backward = autograd_backward

        orig_mod_init = nn.Module.__dict__["__init__"]

        def module_init(self, *args, **kwargs):
            orig_mod_init(self, *args, **kwargs)
            rec._modules.append(weakref.ref(self))

        self._set(nn.Module, "__init__", module_init)

        orig_opt_init = torch.optim.Optimizer.__dict__["__init__"]

        def opt_init(self, *args, **kwargs):
            orig_opt_init(self, *args, **kwargs)
            rec._optimizers += 1
            if "step" not in self.__dict__:
                rec._wrap_step(self)

        self._set(torch.optim.Optimizer, "__init__", opt_init)

    def _wrap_step(self, optimizer):
        """An instance-level ``step`` that brackets the class's ``step`` (a bound method,
        so later wrappers such as the LR scheduler's see ``step.__func__``)."""
        rec = self
        inner = optimizer.step  # bound method of the class

        def step(self, *args, **kwargs):
            if rec._depth():
                return inner(*args, **kwargs)
            rec._pre_step()
            rec._in_step += 1
            try:
                out = inner(*args, **kwargs)
            finally:
                rec._in_step -= 1
            rec._post_step()
            return out

        optimizer.step = types.MethodType(step, optimizer)

    def uninstall(self):
        while self._saved:
            owner, name, orig, was = self._saved.pop()
            if isinstance(owner, type) and not was:
                delattr(owner, name)
            else:
                setattr(owner, name, orig)

    # ---- re-entrancy ----------------------------------------------------------------

    def _depth(self):
        return getattr(self._tls, "depth", 0)

    # ---- naming ---------------------------------------------------------------------

    def _live_modules(self):
        return [m for m in (r() for r in self._modules) if m is not None]

    def _module_names(self):
        mods = self._live_modules()
        child_ids = set()
        for m in mods:
            for c in m.children():
                child_ids.add(id(c))
        names = {}
        seen_classes = {}
        for m in mods:
            if id(m) in child_ids:
                continue
            cls = type(m).__name__
            seen_classes[cls] = seen_classes.get(cls, 0) + 1
            n = seen_classes[cls]
            prefix = cls if n == 1 else "%s#%d" % (cls, n)
            for pname, p in m.named_parameters():
                names.setdefault(id(p), prefix + "." + pname)
        return names

    def _track(self, leaves):
        new = [t for t in leaves if id(t) not in self._leaves or self._leaves[id(t)][0]() is not t]
        if not new:
            return
        mod_names = self._module_names()
        for t in new:
            name = mod_names.get(id(t))
            if name is None:
                name = "leaf%d" % self._n_plain
                self._n_plain += 1
            self._leaves[id(t)] = (weakref.ref(t), name)
            self._leaf_order.append(id(t))

    def _all_tracked(self):
        """Module parameters (by name) plus other tracked leaves, sorted by name."""
        out = {}
        mod_names = self._module_names()
        by_id = {}
        for m in self._live_modules():
            for p in m.parameters():
                by_id[id(p)] = p
        for pid, name in mod_names.items():
            if pid in by_id:
                out[name] = by_id[pid]
        for lid in self._leaf_order:
            if lid not in self._step_leaves:
                continue  # a leaf of an earlier step (alive or not depending on the torch)
            ref, name = self._leaves[lid]
            t = ref()
            if t is not None and name not in out:
                out[name] = t
        return sorted(out.items(), key=lambda kv: kv[0])

    # ---- graph walking --------------------------------------------------------------

    @staticmethod
    def _graph_leaves(roots):
        leaves = []
        seen_leaf = set()
        seen = set()
        stack = []
        for r in roots:
            if not isinstance(r, torch.Tensor):
                continue
            if r.grad_fn is not None:
                stack.append(r.grad_fn)
            elif r.requires_grad and id(r) not in seen_leaf:
                seen_leaf.add(id(r))
                leaves.append(r)
        order = []
        while stack:
            fn = stack.pop()
            if fn is None or fn in seen:
                continue
            seen.add(fn)
            var = getattr(fn, "variable", None)
            if var is not None:
                if id(var) not in seen_leaf:
                    seen_leaf.add(id(var))
                    order.append(var)
                continue
            for nxt, _ in reversed(fn.next_functions):
                if nxt is not None:
                    stack.append(nxt)
        leaves.extend(order)
        return leaves

    # ---- steps ----------------------------------------------------------------------

    def _new_step(self):
        index = self.count + 1
        step = {"i": index, "loss": 0.0, "nb": 0, "partial": False, "t": False}
        if index <= self.window:
            self._wait_for_parent(index)
            self._writer = tm_trace.StepWriter(self.trace_dir, index)
            step["t"] = True
        return step

    def _wait_for_parent(self, index):
        """Back-pressure: at most ``pending_limit`` compared steps wait on disk."""
        if not self.ctl_dir:
            return
        path = os.path.join(self.ctl_dir, "consumed")
        while True:
            try:
                with open(path) as fh:
                    consumed = int(fh.read().strip() or 0)
            except (IOError, OSError, ValueError):
                consumed = 0
            if index - consumed <= self.pending_limit:
                return
            time.sleep(0.02)

    def _write(self, kind, pairs):
        w = self._writer
        if w is None:
            return
        for name, t in pairs:
            w.tensor(kind, name, t)

    def _write_grads(self):
        if self._writer is not None:
            self._write("grad", [(n, t.grad) for n, t in self._all_tracked() if t.grad is not None])
        if self._open is not None:
            self._open["grads_taken"] = True

    def _before_backward(self, roots):
        if self._optimizers == 0 and self._open is not None:
            # manual mode: the previous backward's step ends now (params updated by hand)
            self._close()
        leaves = self._graph_leaves(roots)
        self._track(leaves)
        self._step_leaves.update(id(t) for t in leaves)
        if self._open is None:
            self._open = self._new_step()
        step = self._open
        for r in roots:
            if isinstance(r, torch.Tensor):
                step["loss"] += float(_SUM(_DOUBLE(_DETACH(r))))
                step.setdefault("ld", tm_trace.dtype_name(r))
        step["nb"] += 1

    def _after_backward(self):
        step = self._open
        if step is None:
            return
        if self._optimizers == 0:
            self._write_grads()
        elif self._in_step and self._pending_grads:
            # a closure's first backward inside optimizer.step(): the step's gradient
            self._pending_grads = False
            self._write_grads()

    def _pre_step(self):
        if self._open is None:
            self._open = self._new_step()
        if self._open["nb"] > 0:
            self._pending_grads = False
            self._write_grads()
        else:
            self._pending_grads = True

    def _post_step(self):
        if self._pending_grads:
            self._pending_grads = False
            self._write_grads()
        self._close()

    def _close(self, partial=False):
        step = self._open
        self._open = None
        if step is None:
            return
        if self._writer is not None:
            if not step.get("grads_taken"):
                self._write_grads()
            self._write("param", self._all_tracked())
        step.pop("grads_taken", None)
        self._step_leaves = set()
        step["partial"] = partial
        info = dict(step)
        if self._writer is not None:
            w, self._writer = self._writer, None
            w.close(info)
            self.tensor_steps += 1
            self.elements += w.elements
        self._log.write(info)
        self.count += 1
        if self.stopped:
            return
        if self.max_steps is not None and self.count >= self.max_steps:
            self.stopped, self.stop_reason = True, "max-steps"
            raise StopRecording
        if self._stop_requested():
            self.stopped, self.stop_reason = True, "budget"
            raise StopRecording

    def _stop_requested(self):
        """The parent's time budget: when it asks (``pause``), say how many
        steps were recorded (``paused``) and wait for the common last step
        (``stop_at``), so both sides stop after exactly the same step."""
        if not self.ctl_dir:
            return False
        if self._stop_at is None:
            path = os.path.join(self.ctl_dir, "stop_at")
            if not os.path.exists(path):
                if not os.path.exists(os.path.join(self.ctl_dir, "pause")):
                    return False
                self._report_paused()
                while not os.path.exists(path):
                    time.sleep(0.005)
            try:
                with open(path) as fh:
                    self._stop_at = int(fh.read().strip())
            except (IOError, OSError, ValueError):
                return False
        return self.count >= self._stop_at

    def _report_paused(self):
        tmp = os.path.join(self.ctl_dir, ".paused.part")
        with open(tmp, "w") as fh:
            fh.write(str(self.count))
        os.rename(tmp, os.path.join(self.ctl_dir, "paused"))

    def finish(self):
        """Close a step left open at script end (no exception raised)."""
        if self._open is not None:
            self.stopped = True
            if self._optimizers and self._writer is not None and not self._open.get("grads_taken"):
                self._write_grads()
            self._close(partial=self._optimizers > 0)

    def abort(self):
        """The script crashed: drop a half-written step file."""
        if self._writer is not None:
            self._writer.abort()
            self._writer = None
        self._open = None

    def summary(self):
        return {
            "steps": self.count,
            "tensor_steps": self.tensor_steps,
            "elements": self.elements,
            "stop_reason": self.stop_reason,
        }

    def close(self):
        self._log.close()
