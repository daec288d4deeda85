"""Record every training step of a script running in this (child) process.

What a *step* is:

- Once any ``torch.optim.Optimizer`` has been constructed ("optimizer mode"), a step is
  everything between two optimizer steps: the losses of all ``backward()`` calls since the
  previous ``optimizer.step()`` are summed, the gradients are taken just before the
  optimizer updates (after any clipping), and the parameters right after it.  A GAN with
  two optimizers therefore records two steps per iteration.
- Without any optimizer ("manual mode", e.g. SGD through ``p.data``), a step is one
  ``backward()`` call: gradients are taken right after it returns, parameters when the
  next ``backward()`` starts (i.e. after the manual update) or when the script ends.
- Backward calls left over after the last optimizer step at script end form a final step
  (marked ``partial``).

Per step: ``loss`` (sum of the values of the tensors ``backward`` was called on, in
float64), ``grads`` (every tracked leaf with a gradient), ``params`` (every tracked leaf).
Tracked leaves: every parameter of every top-level ``nn.Module`` built by the script, and
every leaf tensor reached by a ``backward`` call.  Names: ``Class.path.to.param`` for
module parameters (``Class#2.…`` for a second top-level instance of the same class,
in construction order); other leaves get ``leaf0``, ``leaf1`` ... in order of first use.

After ``max_steps`` steps the recorder raises ``StopRecording`` (a ``BaseException``, so
scripts' ``except Exception`` blocks do not swallow it); the child catches it and writes
the trace.
"""

from __future__ import annotations

import threading
import weakref

import torch
from torch import nn


class StopRecording(BaseException):
    """Raised inside the script once enough steps were recorded."""


def _snap(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to("cpu", copy=True)


class Recorder:
    def __init__(self, max_steps: int = 3):
        self.max_steps = max_steps
        self.steps: list[dict] = []
        self._modules: list[weakref.ref] = []
        self._leaves: dict[int, tuple[weakref.ref, str]] = {}  # id -> (ref, name)
        self._leaf_order: list[int] = []
        self._n_plain = 0
        self._optimizers = 0
        self._open: dict | None = None
        self._tls = threading.local()
        self._saved: list[tuple[object, str, object, bool]] = []
        self._handles: list = []
        self.stopped = False

    # ---- installation ---------------------------------------------------------------

    def _set(self, owner, name, value):
        was = name in owner.__dict__
        self._saved.append((owner, name, owner.__dict__.get(name), was))
        setattr(owner, name, value)

    def install(self) -> None:
        rec = self
        orig_tb = torch.Tensor.backward
        orig_ab = torch.autograd.backward

        def tensor_backward(self, *args, **kwargs):
            if rec._depth():
                return orig_tb(self, *args, **kwargs)
            rec._before_backward([self])
            with rec._guard():
                out = orig_tb(self, *args, **kwargs)
            rec._after_backward()
            return out

        def autograd_backward(tensors, *args, **kwargs):
            if rec._depth():
                return orig_ab(tensors, *args, **kwargs)
            ts = [tensors] if isinstance(tensors, torch.Tensor) else list(tensors)
            rec._before_backward(ts)
            with rec._guard():
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

        self._set(torch.optim.Optimizer, "__init__", opt_init)

        from torch.optim.optimizer import (
            register_optimizer_step_post_hook,
            register_optimizer_step_pre_hook,
        )

        self._handles.append(register_optimizer_step_pre_hook(self._pre_step))
        self._handles.append(register_optimizer_step_post_hook(self._post_step))

    def uninstall(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()
        while self._saved:
            owner, name, orig, was = self._saved.pop()
            if isinstance(owner, type) and not was:
                delattr(owner, name)
            else:
                setattr(owner, name, orig)

    # ---- re-entrancy ----------------------------------------------------------------

    def _depth(self) -> int:
        return getattr(self._tls, "depth", 0)

    def _guard(self):
        rec = self

        class _G:
            def __enter__(self_):
                rec._tls.depth = rec._depth() + 1

            def __exit__(self_, *exc):
                rec._tls.depth -= 1

        return _G()

    # ---- naming ---------------------------------------------------------------------

    def _module_names(self) -> dict[int, str]:
        mods = [m for m in (r() for r in self._modules) if m is not None]
        child_ids = set()
        for m in mods:
            for c in m.children():
                child_ids.add(id(c))
        names: dict[int, str] = {}
        seen_classes: dict[str, int] = {}
        for m in mods:
            if id(m) in child_ids:
                continue
            cls = type(m).__name__
            seen_classes[cls] = seen_classes.get(cls, 0) + 1
            prefix = cls if seen_classes[cls] == 1 else f"{cls}#{seen_classes[cls]}"
            for pname, p in m.named_parameters():
                names.setdefault(id(p), f"{prefix}.{pname}")
        return names

    def _track(self, leaves: list[torch.Tensor]) -> None:
        new = [t for t in leaves if id(t) not in self._leaves or self._leaves[id(t)][0]() is not t]
        if not new:
            return
        mod_names = self._module_names()
        for t in new:
            name = mod_names.get(id(t))
            if name is None:
                name = f"leaf{self._n_plain}"
                self._n_plain += 1
            self._leaves[id(t)] = (weakref.ref(t), name)
            self._leaf_order.append(id(t))

    def _all_tracked(self) -> list[tuple[str, torch.Tensor]]:
        """Module parameters (by name) plus other tracked leaves, stable order."""
        out: dict[str, torch.Tensor] = {}
        mod_names = self._module_names()
        mods = [m for m in (r() for r in self._modules) if m is not None]
        by_id = {}
        for m in mods:
            for p in m.parameters():
                by_id[id(p)] = p
        for pid, name in mod_names.items():
            if pid in by_id:
                out[name] = by_id[pid]
        for lid in self._leaf_order:
            ref, name = self._leaves[lid]
            t = ref()
            if t is not None and name not in out:
                out[name] = t
        return sorted(out.items())

    # ---- graph walking --------------------------------------------------------------

    @staticmethod
    def _graph_leaves(roots: list[torch.Tensor]) -> list[torch.Tensor]:
        leaves: list[torch.Tensor] = []
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

    # ---- events ---------------------------------------------------------------------

    def _new_step(self) -> dict:
        return {"loss": 0.0, "n_backward": 0, "grads": {}, "params": {}, "partial": False}

    def _before_backward(self, roots: list[torch.Tensor]) -> None:
        if self._optimizers == 0 and self._open is not None:
            # manual mode: the previous backward's step ends now (params updated by hand)
            self._close(snapshot_grads=False)
        self._track(self._graph_leaves(roots))
        if self._open is None:
            self._open = self._new_step()
        step = self._open
        for r in roots:
            if isinstance(r, torch.Tensor):
                step["loss"] += float(r.detach().double().sum())
                step.setdefault("loss_dtype", str(r.dtype).replace("torch.", ""))
        step["n_backward"] += 1

    def _after_backward(self) -> None:
        if self._optimizers == 0 and self._open is not None:
            self._open["grads"] = self._grads()

    def _grads(self) -> dict[str, torch.Tensor]:
        return {name: _snap(t.grad) for name, t in self._all_tracked() if t.grad is not None}

    def _params(self) -> dict[str, torch.Tensor]:
        return {name: _snap(t) for name, t in self._all_tracked()}

    def _pre_step(self, optimizer, args, kwargs):
        if self._open is None:
            self._open = self._new_step()
        self._open["grads"] = self._grads()

    def _post_step(self, optimizer, args, kwargs):
        self._close(snapshot_grads=False)

    def _close(self, snapshot_grads: bool, partial: bool = False) -> None:
        step = self._open
        self._open = None
        if step is None:
            return
        if snapshot_grads:
            step["grads"] = self._grads()
        step["params"] = self._params()
        step["partial"] = partial
        self.steps.append(step)
        if len(self.steps) >= self.max_steps and not self.stopped:
            self.stopped = True
            raise StopRecording

    def finish(self) -> None:
        """Close a step left open at script end (no exception raised)."""
        if self._open is not None and len(self.steps) < self.max_steps:
            step = self._open
            self._open = None
            if self._optimizers and not step["grads"]:
                step["grads"] = self._grads()
            step["params"] = self._params()
            step["partial"] = self._optimizers > 0
            self.steps.append(step)

    def trace(self) -> dict:
        return {"steps": self.steps, "max_steps": self.max_steps}
