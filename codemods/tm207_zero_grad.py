"""TM207 zero-grad-set-to-none: ``opt.zero_grad()`` -> ``opt.zero_grad(set_to_none=False)``.

Output style: only ``set_to_none=False`` is appended to the call.
"""

from __future__ import annotations

import re
from typing import Optional

from fissix.pygram import python_symbols as syms
from fissix.pytree import Node

from codemods._tm2common import is_call_trailer, iter_calls, resolve
from codemods.analysis import assignments_of
from codemods.base import (
    MANUAL,
    SAFE,
    UNSAFE,
    Example,
    Rule,
    RuleFixer,
    add_kwarg,
    dotted_name,
    enclosing,
    nodes_of_type,
    select_method_pattern,
    subtree_of_type,
)

_KEEP_SELF = {
    "to",
    "cuda",
    "cpu",
    "float",
    "double",
    "half",
    "train",
    "eval",
    "type",
    "bfloat16",
    "share_memory",
}


def _classes(ctx) -> dict:
    """class name -> 'module' | 'optim' for classes of this file deriving
    (transitively) from torch.nn.Module / torch.optim.Optimizer."""
    cached = ctx.cache.get("tm207.classes")
    if cached is not None:
        return cached
    bases: dict = {}
    for node in nodes_of_type(ctx, (syms.classdef,)):
        if node.type == syms.classdef:
            names = []
            if len(node.children) > 3 and node.children[2].value == "(":
                arg = node.children[3]
                items = arg.children if arg.type == syms.arglist else [arg]
                for it in items:
                    d = dotted_name(it)
                    if d:
                        names.append(d)
            bases[node.children[1].value] = names
    out: dict = {}
    changed = True
    while changed:
        changed = False
        for cls, names in bases.items():
            if cls in out:
                continue
            for b in names:
                q = resolve(ctx, b)
                kind = None
                if b in out:
                    kind = out[b]
                elif q.startswith("torch.optim.") and not q.startswith("torch.optim.lr_scheduler"):
                    kind = "optim"
                elif q.startswith("torch.nn.") and q.rsplit(".", 1)[-1][:1].isupper():
                    kind = "module"
                if kind:
                    out[cls] = kind
                    changed = True
                    break
    ctx.cache["tm207.classes"] = out
    return out


def _local_classes(ctx) -> dict:
    """class name -> True when the class defines zero_grad without set_to_none."""
    cached = ctx.cache.get("tm207.local")
    if cached is not None:
        return cached
    out: dict = {}
    for node in nodes_of_type(ctx, (syms.classdef,)):
        if node.type == syms.classdef:
            own = False
            for sub in subtree_of_type(ctx, node, syms.funcdef):
                if sub.children[1].value == "zero_grad":
                    own = "set_to_none" not in str(sub.children[2])
            out[node.children[1].value] = own
    ctx.cache["tm207.local"] = out
    return out


def expr_kind(ctx, node, at, depth: int = 0) -> str:
    """'optim' | 'module' | '' for an expression (power / NAME)."""
    if depth > 4:
        return ""
    if node.type == syms.power:
        calls = list(iter_calls(ctx, node))
        if not calls:
            d = dotted_name(node)
            return name_kind(ctx, d, at, depth) if d else ""
        first = calls[0]
        kind = ""
        q = first.qual or ""
        last = q.rsplit(".", 1)[-1]
        pk = project_kind(ctx, first.callee, q) if first.callee else None
        if pk is not None:
            if pk in ("", "other"):
                return pk
            kind = pk
        elif (
            first.callee
            and q.startswith("torch.optim.")
            and "lr_scheduler" not in q
            and last[:1].isupper()
        ):
            kind = "optim"
        elif first.callee and q.startswith("torch.nn.") and last[:1].isupper():
            kind = "module"
        elif first.callee and "." not in q and q in _classes(ctx):
            kind = _classes(ctx)[q]
        elif first.callee and "." not in q and q in _local_classes(ctx):
            return "other"
        elif first.method in _KEEP_SELF and first.receiver:
            recv = first.receiver
            d = dotted_name(recv[0]) if len(recv) == 1 else dotted_name(_power(recv))
            kind = name_kind(ctx, d, at, depth + 1) if d else ""
            if kind != "module":
                kind = ""
        if not kind:
            return ""
        # every later trailer must be a Module method returning self
        kids = node.children
        i = first.index + 1
        while i < len(kids):
            if (
                i + 1 < len(kids)
                and kids[i].type == syms.trailer
                and kids[i].children[0].value == "."
            ):
                if (
                    kids[i].children[1].value in _KEEP_SELF
                    and is_call_trailer(kids[i + 1])
                    and kind == "module"
                ):
                    i += 2
                    continue
            return ""
        return kind
    d = dotted_name(node)
    return name_kind(ctx, d, at, depth) if d else ""


def project_kind(ctx, callee: str, qual: str) -> Optional[str]:
    """The kind of an instance of a project class (project model), or None
    when ``callee`` is not a project class: 'optim' / 'module' for torch
    subclasses whose zero_grad is torch's, 'other' for a class with its own
    zero_grad (or none at all)."""
    facts = getattr(ctx, "project", None)
    if facts is None or not hasattr(facts, "class_of"):
        return None
    cf = facts.class_of(callee) or facts.class_of(qual)
    if cf is None:
        return None
    own = next((c for c, _sig in facts.classes_defining("zero_grad") if c == cf.qualname), None)
    inherited = cf.method("zero_grad")
    if own is not None or inherited is not None:
        return "other"  # the project's own zero_grad: its signature decides, not torch's
    if cf.torch_kind in ("optim", "module"):
        return cf.torch_kind
    return "other"


def _self_attr_kind(ctx, dotted: str, at) -> str:
    """``self.X`` inside a project class whose ``__init__`` binds X to a torch
    optimizer/module (directly, or from a parameter that every construction
    site in the project fills with one)."""
    facts = getattr(ctx, "project", None)
    if facts is None or not dotted.startswith("self.") or dotted.count(".") != 1:
        return ""
    cls = enclosing(at, syms.classdef)
    if cls is None:
        return ""
    cf = facts.class_of(cls.children[1].value)
    if cf is None:
        return ""
    kind = cf.attr_kind(dotted[5:])
    return kind if kind in ("optim", "module") else ""


def _project_zero_grads(ctx) -> list:
    """Project classes (outside this file too) whose zero_grad does not take
    ``set_to_none``."""
    facts = getattr(ctx, "project", None)
    if facts is None or not hasattr(facts, "classes_defining"):
        return []
    return [
        q
        for q, sig in facts.classes_defining("zero_grad")
        if not sig.accepts_keyword("set_to_none")
    ]


def _power(children):
    return Node(syms.power, [c.clone() for c in children])


def name_kind(ctx, name: str, at, depth: int = 0) -> str:
    if name == "self":
        cls = enclosing(at, syms.classdef)
        if cls is not None:
            return _classes(ctx).get(cls.children[1].value, "")
        return ""
    assigns = assignments_of(ctx, name, at)
    if not assigns:
        return ""
    kinds = set()
    for op, rhs in assigns:
        if op != "=":
            return ""
        kinds.add(expr_kind(ctx, rhs, rhs, depth + 1))
    if len(kinds) == 1:
        return kinds.pop()
    return ""


_ASSIGNED_ZERO_GRAD = re.compile(
    r"(?<![\w.])((?:[A-Za-z_]\w*\s*\.\s*)*[A-Za-z_]\w*)\s*\.\s*zero_grad\s*=(?!=)"
)


# where a match of the pattern above ends (a literal first: a fast search
# rules out the common file, which calls zero_grad and never assigns it)
_ZERO_GRAD_ASSIGNED = re.compile(r"zero_grad\s*=(?!=)")


def _reassigned_zero_grad(ctx, rtext: str) -> bool:
    """``opt.zero_grad = lambda: ...`` (a replaced method) somewhere in the
    file, for a receiver spelled ``rtext`` (one scan of the text per pass)."""
    found = ctx.cache.get("tm207_reassigned")
    if found is None:
        found = ctx.cache["tm207_reassigned"] = (
            {re.sub(r"\s+", "", m.group(1)) for m in _ASSIGNED_ZERO_GRAD.finditer(ctx.text)}
            if "zero_grad" in ctx.text and _ZERO_GRAD_ASSIGNED.search(ctx.text)
            else set()
        )
    return rtext.replace(" ", "") in found


class ZeroGradFixer(RuleFixer):
    PATTERN = select_method_pattern("zero_grad")

    def visit(self, node, results) -> None:
        if "function_call" not in results or node.type != syms.power:
            return
        for call in iter_calls(self.ctx, node):
            if call.method != "zero_grad" or call.args or not call.receiver:
                continue
            recv = call.receiver
            d = dotted_name(recv[0]) if len(recv) == 1 else dotted_name(_power(recv))
            kind = name_kind(self.ctx, d, node) if d else expr_kind(self.ctx, _power(recv), node)
            if not kind and d:
                kind = _self_attr_kind(self.ctx, d, node)
            trailer = call.trailer
            rtext = call.receiver_text
            short = None
            if kind == "other":
                continue
            if _reassigned_zero_grad(self.ctx, rtext):
                self.report(
                    node,
                    f"`{rtext}.zero_grad` is assigned in this file (a replaced method): "
                    "whether it accepts set_to_none is unknown; if it is torch's, pass "
                    "`set_to_none=False` to keep the pre-2.0 zero-filled gradients",
                    MANUAL,
                )
                continue
            if kind:
                what = "an optimizer" if kind == "optim" else "an nn.Module"
                msg = (
                    f"`{rtext}.zero_grad()` sets gradients to None since PyTorch 2.0 ({rtext} is "
                    f"{what}): optimizers then skip parameters without a gradient (no momentum / "
                    "weight-decay update) and `p.grad.data` raises. `set_to_none=False` keeps the "
                    "pre-2.0 zero-filled gradients"
                )
                safety = SAFE
            else:
                msg = (
                    f"`{rtext}.zero_grad()`: if `{rtext}` is a torch optimizer or nn.Module, it sets "
                    "gradients to None since PyTorch 2.0 (optimizers then skip parameters without a "
                    "gradient, `p.grad.data` raises); `set_to_none=False` keeps the pre-2.0 "
                    f"behaviour. The type of `{rtext}` is not known here: check that its zero_grad "
                    "accepts set_to_none"
                )
                safety = UNSAFE
                sub_of_module = (
                    bool(d) and "." in d and name_kind(self.ctx, d.split(".")[0], node) == "module"
                )
                if any(_local_classes(self.ctx).values()) and not sub_of_module:
                    safety = MANUAL
                    msg += (
                        "; this file defines a zero_grad() without set_to_none, so the receiver may "
                        "be one of those classes"
                    )
                elif _project_zero_grads(self.ctx) and not sub_of_module:
                    safety = MANUAL
                    names = ", ".join(f"`{q}`" for q in _project_zero_grads(self.ctx)[:3])
                    msg += (
                        f"; the project defines zero_grad() without set_to_none ({names}), so "
                        "the receiver may be one of those classes"
                    )
                    first = _project_zero_grads(self.ctx)[0].rsplit(".", 1)[-1]
                    short = f"`{rtext}` may be the project's `{first}`, whose zero_grad() has no set_to_none"

            def fix(trailer=trailer):
                if len(trailer.children) != 2:
                    return False
                add_kwarg(trailer, "set_to_none", "False")

            self.report(
                node,
                msg,
                safety,
                fix=fix,
                suggestion=f"{rtext}.zero_grad(set_to_none=False)",
                short=short,
            )


RULE = Rule(
    id="TM207",
    name="zero-grad-set-to-none",
    short="`zero_grad()` sets gradients to None since PyTorch 2.0",
    summary="Pass `set_to_none=False` to `zero_grad()` to keep pre-2.0 zero-filled gradients",
    why=(
        "PyTorch 2.0 changed the default of `Optimizer.zero_grad` and `Module.zero_grad` to "
        "`set_to_none=True` (the parameter exists since 1.7). 2.13 runs the legacy call "
        "silently with the new meaning: gradients become None instead of zero tensors."
    ),
    safety=SAFE,
    doc="""
## What it does
Appends `set_to_none=False` to argument-less `zero_grad()` calls.

## Why is this bad
With `set_to_none=True`, a parameter that received no gradient in a step has
`grad=None`; optimizers skip such parameters, so momentum and weight decay no
longer move them (a silent training difference), and code that touches
`p.grad.data` / `p.grad.zero_()` after `zero_grad()` raises
`AttributeError: 'NoneType' object has no attribute ...`.

## Fix safety
* `safe` when the receiver is provably an optimizer or a module: a name (or
  `self.attr`) bound only to a `torch.optim.*` / `torch.nn.*` constructor, an
  instance of a class of this file deriving from `nn.Module` /
  `optim.Optimizer` (possibly through `.to(...)`, `.cuda()`, `.train()`...),
  or `self.zero_grad()` inside such a class.  Both accept `set_to_none`.
* `safe` inside a project class for `self.X.zero_grad()` when `__init__`
  binds `X` to a torch optimizer/module, or to a parameter that every
  construction site in the project fills with one (project model): the
  wrapper is rewritten at its definition.
* An instance of a project class with its own `zero_grad` (e.g. a
  `ScheduledOptim(object)` wrapper with `def zero_grad(self)`) is left alone:
  its signature, not torch's, decides.
* `unsafe` otherwise (a function parameter, an object from elsewhere): an
  unrelated class with a `zero_grad()` method would reject the keyword;
  `manual` when the project defines such a class.
* Calls that already pass an argument are left alone.

## Differences from TorchFix
TorchFix has no equivalent rule.
""",
    examples=(
        Example(
            before=(
                "import torch.optim as optim\n"
                "opt = optim.SGD(params, lr=0.1)\n"
                "opt.zero_grad = lambda: None\n"
                "opt.zero_grad()\n"
            ),
            findings=("manual",),
            title="a replaced zero_grad (monkeypatched): reported, not rewritten",
        ),
        Example(
            before=(
                "import torch.optim as optim\n"
                "optimizer = optim.SGD(model.parameters(), lr=0.1)\n"
                "optimizer.zero_grad()\n"
            ),
            after=(
                "import torch.optim as optim\n"
                "optimizer = optim.SGD(model.parameters(), lr=0.1)\n"
                "optimizer.zero_grad(set_to_none=False)\n"
            ),
            title="optimizer bound in the file",
        ),
        Example(
            before=(
                "import torch.nn as nn\n"
                "class Net(nn.Module):\n"
                "    pass\n"
                "net = Net().cuda()\n"
                "net.zero_grad()\n"
            ),
            after=(
                "import torch.nn as nn\n"
                "class Net(nn.Module):\n"
                "    pass\n"
                "net = Net().cuda()\n"
                "net.zero_grad(set_to_none=False)\n"
            ),
            title="module instance",
        ),
        Example(
            before="def train(opt):\n    opt.zero_grad()\n",
            findings=("unsafe",),
            title="unknown receiver: reported",
        ),
        Example(
            before="def train(opt):\n    opt.zero_grad()\n",
            after="def train(opt):\n    opt.zero_grad(set_to_none=False)\n",
            unsafe_fixes=True,
            title="unknown receiver with --unsafe-fixes",
        ),
        Example(
            before=(
                "class ManualSGD(object):\n"
                "    def zero_grad(self):\n"
                "        pass\n"
                "opt = ManualSGD()\n"
                "opt.zero_grad()\n"
            ),
            title="a class of this file without set_to_none: untouched",
        ),
        Example(
            before="optimizer.zero_grad(set_to_none=True)\n",
            title="an explicit argument: nothing to do",
        ),
        Example(
            project=(
                (
                    "optim_wrapper.py",
                    "class ScheduledOptim(object):\n"
                    "    def __init__(self, optimizer):\n"
                    "        self._optimizer = optimizer\n"
                    "\n"
                    "    def zero_grad(self):\n"
                    "        self._optimizer.zero_grad()\n",
                ),
            ),
            path="train.py",
            before=(
                "import torch.optim as optim\n"
                "from optim_wrapper import ScheduledOptim\n"
                "optimizer = ScheduledOptim(optim.Adam(params))\n"
                "optimizer.zero_grad()\n"
            ),
            title="a project class with its own zero_grad(self): untouched",
        ),
        Example(
            project=(
                (
                    "train.py",
                    "import torch.optim as optim\n"
                    "from optim_wrapper import ScheduledOptim\n"
                    "optimizer = ScheduledOptim(optim.Adam(params))\n",
                ),
            ),
            path="optim_wrapper.py",
            before=(
                "class ScheduledOptim(object):\n"
                "    def __init__(self, optimizer):\n"
                "        self._optimizer = optimizer\n"
                "\n"
                "    def zero_grad(self):\n"
                "        self._optimizer.zero_grad()\n"
            ),
            after=(
                "class ScheduledOptim(object):\n"
                "    def __init__(self, optimizer):\n"
                "        self._optimizer = optimizer\n"
                "\n"
                "    def zero_grad(self):\n"
                "        self._optimizer.zero_grad(set_to_none=False)\n"
            ),
            title="...rewritten at its definition: every construction passes a torch optimizer",
        ),
    ),
    fixers=(ZeroGradFixer,),
    tokens=("zero_grad(",),
)
