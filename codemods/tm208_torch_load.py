"""TM208 torch-load-weights-only: ``torch.load(f)`` -> ``torch.load(f, weights_only=False)``.

Output style: only ``weights_only=False`` is appended to the call; never
``weights_only=True``.
"""

from __future__ import annotations

from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms

from codemods import analysis as A
from codemods._tm2common import CALL_PATTERN, iter_calls, text
from codemods.base import MANUAL, UNSAFE, Example, Rule, RuleFixer, add_kwarg, nodes_of_type

LOADS = {"torch.load", "torch.serialization.load"}
SAVES = {"torch.save", "torch.serialization.save"}


# dict methods: reading a loaded dict through them is dict use, not object use
_DICT_METHODS = {"keys", "items", "values", "get", "pop", "copy", "update", "setdefault"}
# what an object (a pickled module/optimizer) is used for
_OBJECT_ATTRS = {
    "eval", "train", "cuda", "cpu", "to", "parameters", "named_parameters", "modules",
    "children", "forward", "state_dict", "zero_grad", "step", "float", "double", "half",
    "apply", "param_groups",
}  # fmt: skip


def _saves(ctx) -> list:
    """[(path text, saved value node)] of this file's torch.save calls (once per pass)."""
    cached = ctx.cache.get("tm208.saves")
    if cached is not None:
        return cached
    out: list = []
    for node in nodes_of_type(ctx, (syms.power,)):
        for call in iter_calls(ctx, node):
            if call.qual not in SAVES or len(call.args) < 2 or call.args[0].name is not None:
                continue
            out.append((text(call.args[1].value), call.args[0].value))
    ctx.cache["tm208.saves"] = out
    return out


def _entries(value) -> Optional[list]:
    """[(key text, value node)] of a dict display, else None."""
    if value.type != syms.atom or value.children[0].value != "{" or len(value.children) != 3:
        return None
    inner = value.children[1]
    if inner.type != syms.dictsetmaker:
        return None
    kids = [c for c in inner.children if c.type != token.COMMA]
    if any(k.type == token.DOUBLESTAR for k in kids):
        return None
    return [(text(kids[i]), kids[i + 2]) for i in range(0, len(kids) - 2, 3)]


def _weights_value(ctx, node) -> Optional[bool]:
    """True: loads with weights_only=True (tensors, state dicts, numbers,
    strings); False: needs full unpickling (a module, an argparse Namespace,
    an object); None: cannot tell."""
    node = A.unparen(node)
    t = text(node)
    if t.endswith(".state_dict()"):
        return True
    if node.type in (token.NUMBER, token.STRING) or t in ("None", "True", "False"):
        return True
    if A.is_number(ctx, node):
        return True
    if _object_binding(ctx, node):
        return False
    an = A.analysis(ctx)
    v = an.value(node)
    if v is not None:
        if v.kind == "tensor":
            return True
        if v.kind == "num" and v.num:
            return True
        if v.kind in ("module", "other", "self", "cls", "func"):
            return False
    entries = _entries(node)
    if entries is not None:
        verdicts = [_weights_value(ctx, val) for _k, val in entries]
        if any(x is False for x in verdicts):
            return False
        return True if all(verdicts) else None
    return None


def _object_binding(ctx, node) -> bool:
    """A name (or ``self.x``) some binding of which makes it a module,
    optimizer, argparse Namespace or instance of a class of this file."""
    node = A.unparen(node)
    if node.type != token.NAME:
        return _object_call(ctx, node)
    binds = A.bindings_of(ctx, node) or []
    return any(kind == "value" and _object_call(ctx, val) for kind, val in binds)


def _object_call(ctx, node) -> bool:
    node = A.unparen(node)
    if node.type != syms.power:
        return False
    chain = A.chain_of(node)
    if len(chain) < 2 or not A.is_call(chain[-1]):
        return False
    if A.is_attr(chain[-2], "parse_args") if len(chain) >= 3 else False:
        return True
    head = A.analysis(ctx).chain_value(chain[:-1])
    if head is not None and head.kind == "cls":
        return True
    q = A.chain_qualname(ctx, chain[:-1]) or ""
    if q.startswith(("torch.optim.", "argparse.")) or q == "torch.load":
        return q != "torch.load"
    v = A.analysis(ctx).chain_value(chain)
    return v is not None and v.kind == "module"


def _linked_save(ctx, path: str):
    """The value this file saves to the same path expression, if exactly one."""
    found = [value for p, value in _saves(ctx) if p == path]
    return found[0] if len(found) == 1 else None


def _use_of(ctx, load_power) -> tuple:
    """How the loaded value is used: ('weights', why) | ('object', why) |
    ('keys', [key texts]) | ('unknown', why)."""
    parent = load_power.parent
    # ``m.load_state_dict(torch.load(p))``
    if parent is not None and parent.type in (syms.trailer, syms.arglist):
        trailer = parent if parent.type == syms.trailer else parent.parent
        prev = trailer.prev_sibling if trailer is not None else None
        if prev is not None and A.is_attr(prev, "load_state_dict"):
            return "weights", "it goes straight into `load_state_dict(...)`"
    # ``torch.load(p)['state_dict']`` (a trailer after the call)
    kids = load_power.children
    if parent is not None and parent.type == syms.expr_stmt and parent.children[-1] is load_power:
        target = parent.children[0]
        if target.type != token.NAME or len(parent.children) != 3:
            return "unknown", "it is unpacked or stored"
        return _name_use(ctx, target)
    del kids
    return "unknown", "its use is not a plain assignment"


def _name_use(ctx, target) -> tuple:
    keys: list = []
    fed = False
    scope = A.scope_of(target)
    for leaf in scope.leaves():
        if leaf.type != token.NAME or leaf.value != target.value or leaf is target:
            continue
        p = leaf.parent
        if p.type == syms.power and p.children[0] is leaf:
            nxt = p.children[1]
            if A.is_subscript(nxt):
                keys.append(text(nxt.children[1]))
                continue
            if A.is_attr(nxt):
                name = A.attr_name(nxt)
                if name in _DICT_METHODS:
                    continue
                return "object", f"`{target.value}.{name}` is used"
            if A.is_call(nxt):
                return "object", f"`{target.value}(...)` is called"
        if p.type in (syms.trailer, syms.arglist):
            trailer = p if p.type == syms.trailer else p.parent
            prev = trailer.prev_sibling if trailer is not None else None
            if prev is not None and A.is_attr(prev, "load_state_dict"):
                fed = True
                continue
            return "unknown", f"`{target.value}` is passed to other code"
        if p.type == syms.expr_stmt and p.children[0] is leaf:
            return "unknown", f"`{target.value}` is rebound"
        return "unknown", f"`{target.value}` is used as `{str(p).strip()[:40]}`"
    if keys:
        return "keys", keys
    if fed:
        return "weights", f"`{target.value}` only feeds `load_state_dict`"
    return "unknown", f"`{target.value}` is not used here"


class TorchLoadFixer(RuleFixer):
    PATTERN = CALL_PATTERN
    TRIGGERS = frozenset(q.rsplit(".", 1)[-1] for q in LOADS)

    def visit(self, node, results) -> None:
        ctx = self.ctx
        for call in iter_calls(ctx, node):
            if call.qual not in LOADS:
                continue
            if any(a.star for a in call.args):
                continue
            names = {a.name for a in call.args}
            if "weights_only" in names or "pickle_module" in names:
                continue  # explicit choice / pickle_module already implies weights_only=False
            pos = [a for a in call.args if a.name is None]
            if len(pos) > 3 or not pos:
                continue
            self._site(node, call, text(pos[0].value))

    def _site(self, node, call, path: str) -> None:
        ctx = self.ctx
        if call.index != len(node.children) - 1:
            use = ("unknown", "it is used through an expression")
            kids = node.children[call.index + 1 :]
            if kids and A.is_subscript(kids[0]):
                use = ("keys", [text(kids[0].children[1])])
        else:
            use = _use_of(ctx, node)
        saved = _linked_save(ctx, path)
        save_verdict = _weights_value(ctx, saved) if saved is not None else None
        evidence = None
        if use[0] == "object":
            evidence = f"the loaded value is used as an object ({use[1]})"
        elif saved is not None and save_verdict is False:
            evidence = (
                f"this file saves `{text(saved)[:60]}` to `{path}`, which is not plain weights"
            )
        elif use[0] == "keys" and saved is not None:
            entries = dict(_entries(A.unparen(saved)) or [])
            bad = [k for k in use[1] if k in entries and _weights_value(ctx, entries[k]) is False]
            if bad:
                evidence = f"the checkpoint's {', '.join(bad)} entry is not plain weights"
        weights = use[0] == "weights" or (
            saved is not None and save_verdict is True and use[0] != "object"
        )
        secure = (
            "`torch.load` defaults to weights_only=True since PyTorch 2.6, which loads tensors, "
            "state dicts, numbers and strings but refuses pickled modules, optimizers, "
            "argparse.Namespace and numpy scalars (`UnpicklingError: Weights only load failed`)"
        )
        if evidence is None and weights:
            return  # the secure default loads it: nothing to do
        latin1 = (
            "; this is Python 2 code: checkpoints it wrote may also need `encoding='latin1'`"
            if ctx.py2_grammar
            else ""
        )
        if evidence is None:
            how = use[1] if use[0] != "keys" else "only its entries are read"
            self.report(
                node,
                f"{secure}. Left with the secure default: nothing in this file shows that this "
                f"checkpoint holds more than weights ({how}). If loading raises UnpicklingError, "
                "pass `weights_only=False` for a file you trust, or allow-list its classes with "
                f"`torch.serialization.add_safe_globals([...])`{latin1}",
                MANUAL,
            )
            return
        msg = (
            f"{secure}; {evidence}, so this load needs `weights_only=False` (which runs arbitrary "
            "pickle code: only for trusted files; the alternative is "
            "`torch.serialization.add_safe_globals([...])`)"
        )
        msg += latin1
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
    summary="Pass `weights_only=False` to `torch.load` where the checkpoint holds pickled "
    "objects; keep the secure default for weights",
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
Looks at what each `torch.load(...)` (without `weights_only=`/`pickle_module=`)
loads, and adds `weights_only=False` only where the loaded object must be
unpickled in full:
- the result is used as an object: called, or `.eval()`, `.parameters()`,
  `.state_dict()`, `.cuda()`... (a pickled module or optimizer);
- this file saves to the same path expression a whole object
  (`torch.save(model, path)`), an argparse Namespace, or a dict with such an
  entry (`{'args': args, ...}`; the whole load fails, even if that entry is
  never read).
Where the result only feeds `load_state_dict(...)`, or the file's own save
to that path holds only state dicts, tensors and numbers, the secure default
loads it and nothing is reported.  Where there is no evidence either way
(a checkpoint from elsewhere, read through its entries or passed on), the
secure default is kept and a manual finding says so, with the alternatives.
Python 2 files get a note about `encoding='latin1'`.

## Fix safety
`unsafe` (REVIEW): `weights_only=False` executes arbitrary pickle code, so it is
only right for files you trust.  The alternative is keeping the secure default
and allow-listing the classes with `torch.serialization.add_safe_globals`.

## Differences from TorchFix
TorchFix TOR102 inserts `weights_only=True`, which makes the documented
legacy checkpoints (Namespace, numpy scalars, pickled modules) fail to load.
We never insert `weights_only=True`: we preserve what the code did and leave
the security decision, with the allow-list alternative, to the reviewer.
""",
    examples=(
        Example(
            before=(
                "import torch\nmodel = torch.nn.Linear(2, 2)\ntorch.save(model, 'model.pth')\n"
                "restored = torch.load('model.pth')\nnet = torch.load(other_path)\nnet.eval()\n"
            ),
            after=(
                "import torch\nmodel = torch.nn.Linear(2, 2)\ntorch.save(model, 'model.pth')\n"
                "restored = torch.load('model.pth', weights_only=False)\n"
                "net = torch.load(other_path, weights_only=False)\nnet.eval()\n"
            ),
            unsafe_fixes=True,
            title="pickled modules",
        ),
        Example(
            before=(
                "import torch\nargs = parser.parse_args()\n"
                "torch.save({'epoch': epoch, 'args': args}, ckpt_path)\n"
                "ckpt = torch.load(ckpt_path, map_location='cpu')\n"
            ),
            findings=("unsafe",),
            title="a checkpoint with an argparse Namespace: reported without --unsafe-fixes",
        ),
        Example(
            before=(
                "import torch\nmodel.load_state_dict(torch.load(path))\n"
                "torch.save({'state_dict': model.state_dict(), 'epoch': 3}, 'ckpt.pth')\n"
                "ckpt = torch.load('ckpt.pth')\nmodel.load_state_dict(ckpt['state_dict'])\n"
            ),
            title="must not change: weights load with the secure default",
        ),
        Example(
            before="import torch\nckpt = torch.load(path)\nstart = ckpt['epoch']\n",
            findings=("manual",),
            unsafe_fixes=True,
            title="no evidence either way: the secure default is kept and said so",
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
