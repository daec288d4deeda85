"""TM208 torch-load-weights-only: ``torch.load(f)`` -> ``torch.load(f, weights_only=False)``.

Output style: only ``weights_only=False`` is appended to the call; never
``weights_only=True``.
"""

from __future__ import annotations

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms

from codemods._tm2common import CALL_PATTERN, iter_calls, text
from codemods.base import UNSAFE, Example, Rule, RuleFixer, add_kwarg, nodes_of_type

LOADS = {"torch.load", "torch.serialization.load"}
SAVES = {"torch.save", "torch.serialization.save"}


def _save_notes(ctx) -> list:
    """What the file's own torch.save calls put in checkpoints (once per pass)."""
    cached = ctx.cache.get("tm208.saves")
    if cached is not None:
        return cached
    notes: list = []
    for node in nodes_of_type(ctx, (syms.power,)):
        for call in iter_calls(ctx, node):
            if call.qual not in SAVES or not call.args or call.args[0].name is not None:
                continue
            obj = call.args[0].value
            if obj.type == syms.atom and obj.children[0].value == "{":
                odd = _non_tensor_entries(obj)
                if odd:
                    notes.append(
                        "saves a dict with non-tensor entries (" + ", ".join(odd[:4]) + ")"
                    )
            elif not text(obj).endswith("state_dict()"):
                notes.append(f"saves `{text(obj)}` (a whole object, e.g. a pickled module)")
    ctx.cache["tm208.saves"] = notes
    return notes


def _non_tensor_entries(atom) -> list:
    inner = atom.children[1] if len(atom.children) == 3 else None
    if inner is None or inner.type != syms.dictsetmaker:
        return []
    kids = [c for c in inner.children if c.type != token.COMMA]
    out = []
    for i in range(0, len(kids) - 2, 3):
        key, value = kids[i], kids[i + 2]
        v = text(value)
        if v.endswith("state_dict()"):
            continue
        out.append(f"{text(key)}: {v}")
    return out


class TorchLoadFixer(RuleFixer):
    PATTERN = CALL_PATTERN
    TRIGGERS = frozenset(q.rsplit(".", 1)[-1] for q in LOADS)

    def visit(self, node, results) -> None:
        for call in iter_calls(self.ctx, node):
            if call.qual not in LOADS:
                continue
            if any(a.star for a in call.args):
                continue
            names = {a.name for a in call.args}
            if "weights_only" in names or "pickle_module" in names:
                continue  # explicit choice / pickle_module already implies weights_only=False
            if len([a for a in call.args if a.name is None]) > 3:
                continue  # weights_only passed positionally? (not possible, but be safe)
            msg = (
                f"`{call.callee}(...)` defaults to weights_only=True since PyTorch 2.6: checkpoints "
                "holding argparse.Namespace, numpy scalars or whole pickled modules now raise "
                "UnpicklingError. `weights_only=False` restores the old behaviour but runs "
                "arbitrary pickle code: use it only for trusted files (or keep the default and "
                "allow-list the needed classes with `torch.serialization.add_safe_globals([...])`)"
            )
            notes = _save_notes(self.ctx)
            if notes:
                msg += "; this file " + "; ".join(notes[:3])
            if self.ctx.py2_grammar:
                msg += (
                    "; this is Python 2 code: checkpoints it wrote may also need "
                    "`encoding='latin1'`"
                )
            trailer = call.trailer

            def fix(trailer=trailer):
                if "weights_only" in str(trailer):
                    return False
                add_kwarg(trailer, "weights_only", "False")

            args = ", ".join(text(a.node) for a in call.args)
            self.report(
                node,
                msg,
                UNSAFE,
                fix=fix,
                suggestion=f"{call.callee}({args}{', ' if args else ''}weights_only=False)",
            )


RULE = Rule(
    id="TM208",
    name="torch-load-weights-only",
    short="`torch.load` defaults to weights_only=True since PyTorch 2.6",
    summary="Pass `weights_only=False` explicitly to `torch.load` for trusted legacy checkpoints",
    why=(
        "PyTorch 2.6 changed the default of `torch.load` to `weights_only=True`. On 2.13 a "
        "legacy checkpoint that pickles anything but tensors and plain containers (an "
        "argparse.Namespace, a numpy scalar such as `best_acc`, a whole `nn.Module` saved with "
        "`torch.save(model, f)`) fails with `_pickle.UnpicklingError: Weights only load "
        "failed`. Plain state_dicts still load."
    ),
    safety=UNSAFE,
    doc="""
## What it does
Adds `weights_only=False` to `torch.load(...)` calls that do not pass
`weights_only` (or `pickle_module`, which already implies it).  The message
lists what this file's own `torch.save` calls store (whole objects, dicts with
non-tensor entries) and, for Python 2 files, suggests `encoding='latin1'`.

## Fix safety
`unsafe` (REVIEW): `weights_only=False` executes arbitrary pickle code, so it is
only right for files you trust.  The alternative is keeping the secure default
and allow-listing the classes with `torch.serialization.add_safe_globals`.
No mechanical rewrite can tell which checkpoints are trusted.

## Differences from TorchFix
TorchFix TOR102 inserts `weights_only=True`, which makes the documented
legacy checkpoints (Namespace, numpy scalars, pickled modules) fail to load.
We never insert `weights_only=True`: we preserve what the code did and leave
the security decision, with the allow-list alternative, to the reviewer.
""",
    examples=(
        Example(
            before="import torch\nckpt = torch.load(path)\n",
            after="import torch\nckpt = torch.load(path, weights_only=False)\n",
            unsafe_fixes=True,
            title="trusted checkpoint",
        ),
        Example(
            before="import torch\nckpt = torch.load(path, map_location='cpu')\n",
            findings=("unsafe",),
            title="without --unsafe-fixes: reported only",
        ),
        Example(
            before="import torch\nsd = torch.load(path, weights_only=True)\n",
            title="an explicit choice is kept",
        ),
        Example(
            before="import pickle\nobj = pickle.load(f)\n",
            title="not torch.load",
        ),
    ),
    fixers=(TorchLoadFixer,),
    tokens=("load",),
)
