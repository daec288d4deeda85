"""TM001 variable-wrap: unwrap ``Variable(x)``.

``Variable(x)`` -> ``x``; ``Variable(h.data)`` -> ``h.detach()``;
``Variable(x, requires_grad=True)`` -> ``x.detach().requires_grad_()`` (or
``<factory>.requires_grad_()``); pure self-assignments left behind are
deleted and ``Variable`` is dropped from its import once unused.
"""

from __future__ import annotations

from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods import analysis as A
from codemods._stmt import (
    delete_statement,
    drop_self_assignment,
    keep_alignment,
    remove_import_name,
)
from codemods.analysis import values as V
from codemods.base import (
    KNOWN_STAR_EXPORTS,
    MANUAL,
    SAFE,
    UNSAFE,
    Example,
    Rule,
    RuleFixer,
    breaks_line,
    call_args,
    enclosing_function,
    kwarg,
    name_leaves,
    nodes_of_type,
    parse_expr,
    remove_arg,
    subtree_of_type,
)

_ATOMIC = (token.NAME, token.NUMBER, token.STRING, syms.power, syms.atom)
# parents in which any expression can replace a call without parentheses
_FREE_SLOTS = (
    syms.arglist,
    syms.argument,
    syms.expr_stmt,
    syms.return_stmt,
    syms.testlist_star_expr,
    syms.testlist_gexp,
    syms.exprlist,
    syms.listmaker,
    syms.dictsetmaker,
    syms.simple_stmt,
    syms.subscript,
    syms.testlist,
)


def variable_call_index(ctx, chain: list) -> Optional[int]:
    """Index of the call trailer when ``chain[:i]`` is a reference to
    ``torch.autograd.Variable`` (resolved through the imports)."""
    for i in range(1, len(chain)):
        tr = chain[i]
        if not A.is_call(tr):
            continue
        prev = chain[i - 1]
        named = (
            i == 1
            and prev.type == token.NAME
            and (prev.value == "Variable" or ctx.imports.get(prev.value) in A.VARIABLE)
        ) or A.is_attr(prev, "Variable")
        if not named:
            continue
        ref = chain[0] if i == 1 else Node(syms.power, [c.clone() for c in chain[:i]])
        if A.is_variable_ref(ctx, ref):
            return i
        return None
    return None


def _text(node) -> str:
    """Source of ``node`` without its leading whitespace; a comment in front of
    it, or a line break that only the call's brackets made legal, is kept
    inside parentheses so the text stays one expression."""
    prefix = node.prefix
    body = str(node)[len(prefix) :].rstrip()
    if "#" in prefix:
        return f"({prefix.lstrip()}{body})"
    if breaks_line(node):
        return f"({body})"
    return body


def _attachable(node) -> str:
    """Text of ``node`` that a ``.method()`` can be appended to."""
    txt = _text(node)
    if node.type in _ATOMIC and not (
        node.type == syms.power and node.children[0].type == token.AWAIT
    ):
        if node.type == syms.power and any(c.type == token.DOUBLESTAR for c in node.children):
            return f"({txt})"
        return txt
    return f"({txt})"


def _data_receiver(arg) -> Optional[list]:
    """``h.data`` -> the chain of ``h``."""
    if arg.type != syms.power:
        return None
    chain = A.chain_of(arg)
    if len(chain) != len(arg.children) or len(chain) < 2 or not A.is_attr(chain[-1], "data"):
        return None
    return chain[:-1]


def _fresh(an, arg) -> bool:
    """A call chain whose first call creates a new tensor (a torch factory or
    legacy constructor, ``x.new(...)``), possibly followed by plain methods."""
    if arg.type != syms.power:
        return False
    chain = A.chain_of(arg)
    if len(chain) != len(arg.children):
        return False
    first = next((i for i in range(1, len(chain)) if A.is_call(chain[i])), None)
    if first is None:
        return False
    made = an.chain_value(chain[: first + 1])
    if not (made is not None and made.kind == "tensor" and made.plain):
        return False
    callee = an.chain_value(chain[:first])
    if not (callee is not None and callee.kind == "qual" or A.attr_of(chain[first - 1]) in V._NEW):
        return False
    return A.is_plain(an.value(arg))


def _plain_reason(an, arg) -> Optional[str]:
    chain = A.chain_of(arg) if arg.type == syms.power else [arg]
    if arg.type == syms.power and len(chain) == len(arg.children):
        last = chain[-1]
        if A.is_attr(last, "data"):
            return "a `.data` tensor never requires grad"
        if A.is_call(last) and len(chain) > 2 and A.is_attr(chain[-2], "detach"):
            return "a `.detach()`ed tensor never requires grad"
    if A.is_plain(an.value(arg)):
        return "it is plain data (a loader batch, a new tensor, or a name bound only to those), which never requires grad"
    return None


class VariableCallFixer(RuleFixer):
    PATTERN = "power"
    TRIGGERS = frozenset({"Variable"})

    def visit(self, node: Node, results: dict) -> None:
        ctx = self.ctx
        chain = A.chain_of(node)
        i = variable_call_index(ctx, chain)
        if i is None:
            return
        trailer = chain[i]
        args = call_args(trailer)
        head = Node(syms.power, [c.clone() for c in chain[: i + 1]])
        vol = kwarg(args, "volatile")
        if vol is not None:
            # TM002 drops the flag first.  Its fix comes before this one in the
            # same pass (same node: the engine applies the later fixer's fix
            # first), so the plain unwrap is offered as the call will read
            # once the flag is gone, and applied only if it is gone by then:
            # the site then settles in one pass instead of two.  Anything
            # else waits for the pass after the flag was dropped, as does a
            # call over several lines (its span changes with the flag).
            if "\n" in str(node).strip():
                return
            args = [a for a in args if a is not vol]
            remove_arg(kwarg(call_args(head.children[-1]), "volatile"))
        shown = _text(head)
        pos = [a for a in args if a.name is None]
        if vol is not None and (
            len(args) != 1 or pos != args or args[0].star or len(chain) != i + 1
        ):
            return
        if not args or any(a.star for a in args):
            self.report(
                node,
                f"`{shown}`: cannot unwrap a Variable call without a plain data argument; rewrite it by hand",
                MANUAL,
            )
            return
        others = [a for a in args if a.name not in (None, "requires_grad")]
        if len(pos) != 1 or others or args[0].name is not None:
            self.report(
                node,
                f"`{shown}`: positional flags or unknown keywords; write `x` / `x.detach().requires_grad_(flag)` by hand",
                MANUAL,
            )
            return
        an = A.analysis(ctx)
        arg = pos[0].value
        rg = kwarg(args, "requires_grad")
        if rg is None or A.is_false(rg.value):
            mode = "plain"
        elif A.is_true(rg.value):
            mode = "grad"
        else:
            mode = "flag"
        recv = _data_receiver(arg)
        recv_tensor = False
        if recv is not None:
            rv = an.chain_value(recv)
            recv_tensor = A.is_tensor_val(rv) or (
                len(recv) == 1 and recv[0].type == token.NAME and A.guarded_tensor(ctx, recv[0])
            )
            if A.receiver_is_other_by_name(recv):
                recv_tensor = False
        rest = node.children[i + 1 :]
        # ``v = Variable(base); v.requires_grad = True``: the 0.3 wrapper was
        # a distinct object, so mutating it left ``base`` alone
        aliased = (
            _wrapper_mutated(ctx, node, arg)
            if mode == "plain" and not rest and recv is None
            else None
        )

        def head_text() -> str:
            cur_arg = [a for a in call_args(trailer) if a.name is None][0].value
            cur_recv = _data_receiver(cur_arg)
            flag = kwarg(call_args(trailer), "requires_grad")
            if recv_tensor and cur_recv is not None:
                base = _text(Node(syms.power, [c.clone() for c in cur_recv])) + ".detach()"
                if mode == "plain":
                    return base
                return base + (
                    ".requires_grad_()"
                    if mode == "grad"
                    else f".requires_grad_({_text(flag.value)})"
                )
            if mode == "plain":
                return _attachable(cur_arg) + ".detach()" if aliased else _text(cur_arg)
            if mode == "grad" and _fresh(an, cur_arg):
                return _attachable(cur_arg) + ".requires_grad_()"
            tail = (
                ".requires_grad_()" if mode == "grad" else f".requires_grad_({_text(flag.value)})"
            )
            return _attachable(cur_arg) + ".detach()" + tail

        def build():
            head = head_text()
            tail = "".join(str(c) for c in node.children[i + 1 :])
            plain_arg = mode == "plain" and not (recv_tensor and recv is not None) and not aliased
            cur_arg = [a for a in call_args(trailer) if a.name is None][0].value
            if plain_arg and cur_arg.type not in _ATOMIC and (tail or not _free_slot(node)):
                head = f"({head})"
            return parse_expr(head + tail)

        new_txt = _text(build())
        if mode == "flag":
            safety = UNSAFE
            why = (
                f"`requires_grad={_text(rg.value)}` is not a literal; `Variable(x, requires_grad=f)` is "
                "`x.detach().requires_grad_(f)` (check that the flag is a bool)"
            )
        elif recv is not None and recv_tensor:
            safety = SAFE
            why = "`Variable(h.data)` is a detached copy of `h` (repackaging a hidden state)"
        elif mode == "grad":
            safety = SAFE
            why = (
                "`Variable(t, requires_grad=True)` makes a new leaf that shares storage with `t` and leaves "
                "`t` untouched, which is exactly what the rewrite does"
            )
        else:
            reason = _plain_reason(an, arg)
            if reason is not None:
                safety = SAFE
                why = f"`{_text(arg)}`: {reason}"
                if aliased:
                    why += (
                        f"; `{aliased}` is changed later, and the 0.3 wrapper was a distinct "
                        "object: `.detach()` keeps it one (sharing the storage, as the wrapper did)"
                    )
            else:
                safety = UNSAFE
                why = (
                    f"`{_text(arg)}` is not provably plain data: in half-migrated code `Variable(y)` detached "
                    f"`y`; use `{_attachable(arg)}.detach()` if it may require grad"
                )
        if vol is not None and (safety != SAFE or aliased or recv is not None):
            return  # see above: the pass after TM002's decides
        message = f"`Variable` is deprecated since PyTorch 0.4 (tensors are Variables): `{shown}` -> `{new_txt if not rest else head_text()}` ({why})"

        def fix():
            if trailer.parent is not node:
                return False
            if vol is not None and kwarg(call_args(trailer), "volatile") is not None:
                return False  # TM002 kept the flag (manual, suppressed, backed out)
            new = build()
            new.prefix = node.prefix
            aligned = keep_alignment(node)
            node.replace(new)
            aligned()
            drop_self_assignment(new)
            return None

        self.report(node, message, safety, fix=fix, suggestion=new_txt)


_WRAPPER_ATTRS = ("requires_grad", "data", "grad", "volatile")
_WRAPPER_CALLS = ("requires_grad_", "retain_grad", "register_hook")


def _wrapper_mutated(ctx, call: Node, arg) -> Optional[str]:
    """``v = Variable(base)`` where ``base`` is a name and, in the same
    function, ``v`` or ``base`` later has an autograd attribute assigned
    (``v.requires_grad = True``, ``v.data = t``, ``v.grad = g``) or is made
    to require grad (``v.requires_grad_()``): that mutation went to the 0.3
    wrapper alone, and unwrapped it would reach ``base`` too.  Returns the
    mutated name, else None."""
    parent = call.parent
    if (
        parent is None
        or parent.type != syms.expr_stmt
        or len(parent.children) != 3
        or parent.children[2] is not call
        or parent.children[0].type != token.NAME
    ):
        return None
    if arg.type != token.NAME and not (
        arg.type == syms.power and all(A.is_attr(t) for t in arg.children[1:])
    ):
        return None  # a call or an expression makes a new object: no alias
    mutated = _mutated_heads(ctx, enclosing_function(call) or ctx.tree)
    for name in (parent.children[0].value, str(arg).strip()):
        if name in mutated:
            return name
    return None


def _mutated_heads(ctx, scope) -> set:
    """The expressions (``v``, ``self.h``) of ``scope`` that get an autograd
    attribute assigned or are made to require grad (one walk per scope and
    pass)."""
    memo = ctx.cache.setdefault("tm001_mutated", {})
    hit = memo.get(id(scope))
    if hit is not None and hit[0] is scope:
        return hit[1]
    out: set = set()
    for node in subtree_of_type(ctx, scope, syms.power):
        chain = A.chain_of(node)
        for k in range(1, len(chain)):
            if not A.is_attr(chain[k]):
                continue
            attr = A.attr_of(chain[k])
            up = node.parent
            if (
                attr in _WRAPPER_ATTRS
                and k == len(chain) - 1
                and up is not None
                and up.type == syms.expr_stmt
                and up.children[0] is node
            ) or (attr in _WRAPPER_CALLS and k + 1 < len(chain) and A.is_call(chain[k + 1])):
                out.add("".join(str(c) for c in chain[:k]).strip())
    memo[id(scope)] = (scope, out)
    return out


def _free_slot(node) -> bool:
    parent = node.parent
    if parent is None:
        return True
    if parent.type in _FREE_SLOTS:
        return True
    if parent.type == syms.trailer and parent.children[0].value in "([":
        return True
    if parent.type == syms.atom:
        return True
    return False


class VariableRefFixer(RuleFixer):
    """``Variable`` used other than by calling it (or in isinstance)."""

    PATTERN = "'Variable'"

    def visit(self, node: Leaf, results: dict) -> None:
        ctx = self.ctx
        parent = node.parent
        if parent is None:
            return
        if _in_import(node):
            return
        if parent.type == syms.trailer:
            if parent.children[0].value != ".":
                return
            power = parent.parent
            idx = power.children.index(parent)
            chain = power.children[: idx + 1]
            nxt = power.children[idx + 1] if idx + 1 < len(power.children) else None
            ref = Node(syms.power, [c.clone() for c in chain])
            outer = power
        else:
            if parent.type == syms.power and parent.children[0] is node:
                nxt = parent.children[1] if len(parent.children) > 1 else None
                outer = parent
            else:
                nxt = None
                outer = node
            ref = node
            if parent.type in (syms.funcdef, syms.classdef) and parent.children[1] is node:
                return
            if parent.type == syms.argument and parent.children[0] is node:
                return  # a keyword argument named Variable
        if nxt is not None and (A.is_call(nxt) or A.is_attr(nxt)):
            return  # calls are VariableCallFixer's; attributes are left alone
        if not A.is_variable_ref(ctx, ref):
            return
        if _isinstance_arg(outer):
            return  # TM009 handles isinstance/issubclass checks
        self.report(
            node,
            "`Variable` used as a value cannot be unwrapped mechanically: since PyTorch 0.4 "
            "`Variable(x)` just returns a tensor; replace this use by hand (e.g. `lambda x: x` or `torch.Tensor` "
            "for type checks)",
            MANUAL,
        )


def _in_import(node) -> bool:
    cur = node.parent
    while cur is not None:
        if cur.type in (syms.import_from, syms.import_name):
            return True
        if cur.type in (syms.simple_stmt, syms.file_input):
            return False
        cur = cur.parent
    return False


def _isinstance_arg(node) -> bool:
    cur = node
    while cur.parent is not None and cur.parent.type in (syms.atom, syms.testlist_gexp):
        cur = cur.parent
    parent = cur.parent
    if parent is None:
        return False
    if parent.type == syms.arglist:
        trailer = parent.parent
    elif parent.type == syms.trailer:
        trailer = parent
    else:
        if parent.type == syms.comparison:
            return True  # ``type(x) == Variable``: TM009's
        return False
    power = trailer.parent
    if power is None or power.type != syms.power or power.children[0].type != token.NAME:
        return False
    return power.children[0].value in ("isinstance", "issubclass")


class VariableImportFixer(RuleFixer):
    """Remove ``Variable`` from ``from torch.autograd import ...`` once no
    reader is left: not in the file (a notebook's cells are one file), not
    in a module that reads it through this one (``from this import *``,
    ``from this import Variable``, ``this.Variable``) and not in ``__all__``
    -- the last two come from the project model (``ctx.project``).  A
    ``from torch.autograd import *`` goes only when nothing it provides is
    read any more."""

    PATTERN = None
    CLEANUP = True  # the engine re-runs it after a pass's unwraps

    def visit(self, tree: Node, results: dict) -> None:
        ctx = self.ctx
        needed = _needed_elsewhere(ctx, tree)
        for node in nodes_of_type(ctx, (syms.import_from,)):
            module = "".join(str(c).strip() for c in node.children[1 : _import_index(node)])
            if module in _STAR_MODULES and _is_star(node):
                self._star(tree, node, module, needed)
                continue
            for leaf in node.leaves():
                if leaf.type != token.NAME or leaf.value != "Variable":
                    continue
                nxt = leaf.next_sibling
                local = (
                    nxt.next_sibling.value
                    if nxt is not None and nxt.type == token.NAME and nxt.value == "as"
                    else "Variable"
                )
                if leaf.parent.type == syms.import_as_name and leaf.parent.children[0] is not leaf:
                    continue  # ``from m import X as Variable``: not torch's name
                if module not in _STAR_MODULES and ctx.imports.get(local) not in A.VARIABLE:
                    continue  # a project module's Variable that is not torch's
                if local in needed:
                    continue
                if _used(ctx, local):
                    self.waiting = self.waiting | {local}
                    continue

                def fix(node=node, local=local):
                    return remove_import_name(node, local) or False

                self.report(
                    node,
                    f"`{local}` (torch.autograd.Variable) is no longer used: remove it from the import",
                    SAFE,
                    fix=fix,
                    suggestion=f"remove `{local}` from the import",
                )

    def _star(self, tree, node, module, needed) -> None:
        names = KNOWN_STAR_EXPORTS.get(module, ())
        if any(n in needed for n in names):
            return
        used = [n for n in names if _used(self.ctx, n)]
        if used:
            self.waiting = self.waiting | set(used)
            return
        stmt = node.parent

        def fix(node=node):
            if node.parent is None:
                return False
            delete_statement(node if len(node.parent.children) > 2 else node.parent)
            return None

        if stmt is None:
            return
        self.report(
            node,
            f"`from {module} import *`: nothing it provides is used any more "
            "(the `Variable(...)` calls were unwrapped): remove it",
            SAFE,
            fix=fix,
            suggestion="remove the import",
        )


_STAR_MODULES = ("torch.autograd", "torch.autograd.variable")


def _is_star(node) -> bool:
    return any(k.type == token.STAR for k in node.children)


def _needed_elsewhere(ctx, tree) -> frozenset:
    """Names other modules read from this one (project model) or that this
    module's ``__all__`` lists."""
    out = set()
    facts = getattr(ctx, "project", None)
    if facts is not None:
        out |= set(getattr(facts, "needed_by_others", ()) or ())
    for node in tree.children:
        if node.type == syms.simple_stmt and node.children[0].type == syms.expr_stmt:
            stmt = node.children[0]
            if stmt.children[0].type == token.NAME and stmt.children[0].value == "__all__":
                for leaf in stmt.leaves():
                    if leaf.type == token.STRING:
                        out.add(leaf.value.strip("'\""))
    return frozenset(out)


def _import_index(node) -> int:
    for i, k in enumerate(node.children):
        if k.type == token.NAME and k.value == "import":
            return i
    return len(node.children)


def _used(ctx, local: str) -> bool:
    for leaf in name_leaves(ctx, local):
        if _in_import(leaf):
            continue
        prev = leaf.prev_sibling
        if prev is not None and prev.type == token.DOT:
            continue
        parent = leaf.parent
        if (
            parent.type == syms.argument
            and parent.children[0] is leaf
            and len(parent.children) == 3
        ):
            continue
        return True
    return False


_WHY = """\
Since PyTorch 0.4.0 `Variable` and `Tensor` are merged: `Variable(x)` is
deprecated (never removed) and on 2.13 silently returns a plain tensor -- a
*detached* leaf when `x` requires grad.  `Variable(x, requires_grad=True)`
returns a new leaf sharing `x`'s storage.
"""

_DOC = """\
## What it does
Unwraps `Variable(...)` calls (resolved through the imports: `Variable`,
`torch.autograd.Variable`, `autograd.Variable`, `ag.Variable`):

- `Variable(x)` -> `x`
- `Variable(h.data)` -> `h.detach()` when `h` is provably a tensor
  (`repackage_hidden`); otherwise `h.data` (e.g. a namedtuple batch's field)
- `Variable(x, requires_grad=True)` -> `x.detach().requires_grad_()`, or
  `torch.randn(3).requires_grad_()` for a fresh factory call
- `Variable(x, requires_grad=flag)` -> `x.detach().requires_grad_(flag)`

A statement left as a pure self-assignment (`x = Variable(x)`,
`data, target = Variable(data), Variable(target)`) is deleted (`pass` if the
block would be empty), and `Variable` is removed from its
`from torch.autograd import ...` once nothing reads it: not this file (a
notebook's cells are one file), not a module that reads it through this one
(`from this import *`, `from this import Variable`), not `__all__`.  The CLI
removes such an import in the same run once the other modules' calls are
unwrapped.  `from torch.autograd import *` counts as importing `Variable`; it
is removed only when nothing it provides is read any more.  `volatile=`
calls are left to TM002, which drops the flag; this rule then unwraps the
call (in the same pass when the unwrap is safe and the call is on one line).

## Why is this bad
`Variable` is a no-op wrapper kept for compatibility; it hides that the code
works on tensors and, in half-migrated code, silently detaches tensors that
require grad.

## Fix safety
- **safe** when the argument is provably plain data: a for-loop target over a
  data loader, a tensor factory/constructor/`from_numpy`/`x.new(...)`, a
  `.data`/`.detach()` expression, `.cuda()/.float()/.view(...)` chains of
  those, or a name bound only to such values in its function.  In genuine
  0.3 code `Variable(y)` with a Variable `y` raised, so the argument is data.
- **safe** for `requires_grad=True`: `x.detach().requires_grad_()` is exactly
  what `Variable` does on 2.13 (a new leaf, `x` untouched).
- **unsafe** otherwise (a function parameter, an attribute, a model output):
  in half-migrated code `Variable(y)` detached `y`; write `y.detach()` if `y`
  may require grad.  A non-literal `requires_grad=` is unsafe too.
- **manual**: `Variable` used as a value (`map(Variable, xs)`, subclassing,
  `partial(Variable, ...)`), positional flags, `Variable()` without data.
  `isinstance(x, Variable)` and `type(x) == Variable` are TM009's.

## Differences from TorchFix
TorchFix targets post-1.x APIs and, as far as we know, does not unwrap
`Variable`.  We remove the now-unused import and the
self-assignments the unwrapping leaves behind, and we never unwrap an
argument that may require grad without flagging it.
"""

RULE = Rule(
    id="TM001",
    name="variable-wrap",
    short="`Variable(...)` is a no-op wrapper since PyTorch 0.4",
    summary="Unwrap deprecated `Variable(...)` calls (tensors are Variables since PyTorch 0.4).",
    why=_WHY,
    safety=SAFE,
    doc=_DOC,
    examples=(
        Example(
            before=(
                "from torch.autograd import Variable\n"
                "\n"
                "for data, target in train_loader:\n"
                "    data, target = Variable(data), Variable(target)\n"
                "    output = model(data)\n"
            ),
            after=("\nfor data, target in train_loader:\n    output = model(data)\n"),
            title="loader batches: self-assignment deleted, import removed",
        ),
        Example(
            before=(
                "import torch\n"
                "from torch.autograd import Variable\n"
                "\n"
                "def zero_state(x, batch_size, hidden_size):\n"
                "    # a new tensor of x's type, wrapped over lines as long calls are\n"
                "    h = Variable(x.data.new(batch_size, hidden_size)\n"
                "                 .zero_())\n"
                "    return h\n"
            ),
            after=(
                "import torch\n"
                "\n"
                "def zero_state(x, batch_size, hidden_size):\n"
                "    # a new tensor of x's type, wrapped over lines as long calls are\n"
                "    h = (x.data.new(batch_size, hidden_size)\n"
                "         .zero_())\n"
                "    return h\n"
            ),
            title="an argument wrapped over lines keeps parentheses (one expression)",
        ),
        Example(
            before=(
                "import torch\n"
                "from torch.autograd import Variable\n"
                "x = torch.randn(3)\n"
                "v = Variable(x)\n"
                "v.requires_grad = True\n"
                "u = Variable(x)\n"
            ),
            after=(
                "import torch\nx = torch.randn(3)\nv = x.detach()\nv.requires_grad = True\nu = x\n"
            ),
            title="a wrapper changed later stays a distinct object (`.detach()`), as in 0.3",
        ),
        Example(
            before=(
                "import torch\n"
                "from torch.autograd import Variable\n"
                "w = Variable(torch.randn(3, 1), requires_grad=True)\n"
                "h = Variable(hidden.data)\n"
                "z = Variable(noise.cuda())\n"
            ),
            after=(
                "import torch\n"
                "from torch.autograd import Variable\n"
                "w = torch.randn(3, 1).requires_grad_()\n"
                "h = hidden.data\n"
                "z = Variable(noise.cuda())\n"
            ),
            findings=("unsafe",),
            title="factory with requires_grad; unknown argument stays unsafe",
        ),
        Example(
            before=(
                "from torch.autograd import Variable\ndef step(x):\n    return model(Variable(x))\n"
            ),
            after=("def step(x):\n    return model(x)\n"),
            unsafe_fixes=True,
            title="function parameter (unsafe) with --unsafe-fixes",
        ),
        Example(
            before=(
                "import torch\n"
                "from torch.autograd import Variable\n"
                "def repackage_hidden(h):\n"
                "    if type(h) == Variable:\n"
                "        return Variable(h.data)\n"
                "    return tuple(repackage_hidden(v) for v in h)\n"
            ),
            after=(
                "import torch\n"
                "from torch.autograd import Variable\n"
                "def repackage_hidden(h):\n"
                "    if type(h) == Variable:\n"
                "        return h.detach()\n"
                "    return tuple(repackage_hidden(v) for v in h)\n"
            ),
            title="repackage_hidden: a guarded tensor is detached",
        ),
        Example(
            before=(
                "from mylib import Variable\n"
                "def Wrap(x):\n"
                "    return Variable(x)\n"
                "xs = map(Variable, batch)  # not torch's Variable\n"
            ),
            title="a Variable that is not torch's",
        ),
        Example(
            before=("from torch.autograd import Variable\nxs = list(map(Variable, batch))\n"),
            findings=("manual",),
            title="Variable passed as a value",
        ),
        Example(
            before=(
                "import torch\n"
                "from torch.autograd import *\n"
                "\n"
                "x = Variable(torch.randn(2, 3))\n"
                "g = grad(x.sum(), x)\n"
            ),
            after=(
                "import torch\n"
                "from torch.autograd import *\n"
                "\n"
                "x = torch.randn(2, 3)\n"
                "g = grad(x.sum(), x)\n"
            ),
            title="a star import provides Variable; it stays while `grad` is used",
        ),
        Example(
            project=(("train.py", "from model import *\n\nx = Variable(data)\n"),),
            path="model.py",
            before=(
                "import torch.nn as nn\n"
                "from torch.autograd import Variable\n"
                "\n"
                "class Net(nn.Module):\n"
                "    pass\n"
            ),
            title="train.py still reads Variable through `from model import *`: kept",
        ),
        Example(
            project=(("model.py", "from torch.autograd import Variable\n"),),
            path="train.py",
            before="from model import *\n\nfor data in loader:\n    out = net(Variable(data))\n",
            after="from model import *\n\nfor data in loader:\n    out = net(data)\n",
            title="Variable through a project star import is unwrapped",
        ),
    ),
    fixers=(VariableCallFixer, VariableRefFixer, VariableImportFixer),
    tokens=("Variable",),
)
