"""TM312 py3-gaps: Python 2 idioms left in files that already parse as
Python 3 -- ``iter(loader).next()``, ``data_iter.next()``, bare ``xrange(``,
``d.iteritems()``.

TM301-TM309 convert whole Python 2 files; a file that parses as Python 3 and
shows no other Python 2 sign (or is written for both Pythons: ``six``,
version checks) is left to this rule, which rewrites only the sites it can
prove.
"""

from __future__ import annotations

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods import analysis as A
from codemods._py2 import py2_info
from codemods.base import SAFE, UNSAFE, Example, Rule, RuleFixer, call_args, parse_expr

_ITER_METHODS = {"iteritems": "items", "itervalues": "values", "iterkeys": "keys"}
# consumers that iterate their argument exactly once
_ITERATING = {"list", "tuple", "sorted", "dict", "set", "frozenset", "zip", "enumerate", "sum"}


def _active(ctx) -> bool:
    """Python 2 files are TM301-TM309's."""
    return not py2_info(ctx).is_py2


def _iter_call(ctx, node):
    """The argument of ``iter(arg)`` when ``node`` is such a call of the builtin."""
    node = A.unparen(node)
    if node.type != syms.power or len(node.children) != 2:
        return None
    head, call = node.children
    if head.type != token.NAME or head.value != "iter" or not A.is_call(call):
        return None
    if "iter" in ctx.imports or A.bindings_of(ctx, head):
        return None
    args = call_args(call)
    if len(args) != 1 or args[0].name or args[0].star:
        return None
    return args[0].value


def _iterator_source(ctx, recv: list):
    """(iterable, how) when the receiver chain is provably an iterator made by
    ``iter(...)``: the call itself, a name bound only to such calls, or
    ``self.attr`` assigned only such calls."""
    if (
        len(recv) == 2
        and recv[0].type == token.NAME
        and recv[0].value == "iter"
        and A.is_call(recv[1])
        and "iter" not in ctx.imports
        and not A.bindings_of(ctx, recv[0])
    ):
        args = call_args(recv[1])
        if len(args) == 1 and not args[0].name and not args[0].star:
            return args[0].value, "`iter(...)`"
        return None
    if len(recv) == 1:
        if recv[0].type == token.NAME:
            binds = A.bindings_of(ctx, recv[0])
            if binds and all(k == "value" and _iter_call(ctx, v) is not None for k, v in binds):
                args = [_iter_call(ctx, v) for _k, v in binds]
                return args[0] if len(args) == 1 else None, f"`{recv[0].value} = iter(...)`"
        return None
    if all(c.type == token.NAME or A.is_attr(c) for c in recv):
        key = "".join(str(c).strip() for c in recv)
        assigns = A.assignment_table(ctx)["attrs"].get(key)
        if assigns and all(op == "=" and _iter_call(ctx, v) is not None for op, v in assigns):
            args = [_iter_call(ctx, v) for _op, v in assigns]
            return args[0] if len(args) == 1 else None, f"`{key} = iter(...)`"
    return None


def _is_loader(ctx, node) -> bool:
    if node is None:
        return False
    v = A.analysis(ctx).value(node)
    return v is not None and v.kind == "loader"


class IteratorNextFixer(RuleFixer):
    """``it.next()`` -> ``next(it)`` for iterators made by ``iter(...)``."""

    PATTERN = "power< any* trailer< '.' 'next' > trailer< '(' ')' > any* >"

    def visit(self, node, results) -> None:
        ctx = self.ctx
        if not _active(ctx):
            return
        chain = A.chain_of(node)
        for i in range(1, len(chain) - 1):
            if not (A.is_attr(chain[i], "next") and A.is_call(chain[i + 1])):
                continue
            if call_args(chain[i + 1]) or len(chain[i + 1].children) != 2:
                continue
            recv = chain[:i]
            found = _iterator_source(ctx, recv)
            if found is None:
                continue
            iterable, how = found
            loader = _is_loader(ctx, iterable)
            rtxt = A.chain_text(recv)
            new = f"next({rtxt})"
            what = "a DataLoader iterator" if loader else "an iterator"
            msg = (
                f"`{rtxt}.next()`: Python 3 iterators have no `.next()` method ({how} is {what}; "
                "PyTorch's loader iterators lost their Python 2 alias in 1.x, so this raises "
                f"AttributeError); use `{new}`"
            )
            safety = SAFE if loader or _builtin_iterable(ctx, iterable) else UNSAFE
            if safety == UNSAFE:
                msg += " (check that the iterated object's class does not define its own `next`)"
            end = i + 2

            def fix(node=node, end=end, new=new, n=i):
                kids = node.children
                if len(kids) < end or not A.is_attr(kids[n], "next"):
                    return False
                prefix = node.prefix
                head = parse_expr(new)
                rest = [c for c in kids[end:]]
                for c in kids[:end]:
                    c.remove()
                if rest:
                    for c in rest:
                        c.remove()
                    new_node = Node(syms.power, [head] + rest)
                else:
                    new_node = head
                new_node.prefix = prefix
                node.replace(new_node)
                return None

            self.report(node, msg, safety, fix=fix, suggestion=new)
            return


def _builtin_iterable(ctx, node) -> bool:
    """A list/tuple/dict display, a generator, ``range(...)``/``zip(...)``..."""
    if node is None:
        return False
    node = A.unparen(node)
    if A.is_sequence_display(node) or A.is_dict_name(ctx, node) or A.is_listish_name(ctx, node):
        return True
    if node.type == syms.atom and node.children[0].value in "{[":
        return True
    if node.type == syms.power and len(node.children) == 2 and node.children[0].type == token.NAME:
        name = node.children[0]
        if name.value in ("range", "zip", "enumerate", "map", "filter", "reversed", "sorted"):
            return name.value not in ctx.imports and not A.bindings_of(ctx, name)
    return False


class XrangeFixer(RuleFixer):
    """A bare ``xrange(...)`` with no definition anywhere in the file."""

    PATTERN = "power< name='xrange' trailer< '(' any* ')' > any* >"

    def visit(self, node, results) -> None:
        ctx = self.ctx
        if not _active(ctx):
            return
        name = results["name"]
        info = py2_info(ctx)
        if "xrange" in info.bound or "xrange" in ctx.imports or _star_import(ctx):
            return
        msg = (
            "`xrange(...)` does not exist in Python 3 (NameError) and nothing in this file defines "
            "it; `range(...)` is the same lazy sequence"
        )

        def fix(name=name):
            if name.value != "xrange":
                return False
            name.value = "range"
            return None

        self.report(node, msg, SAFE, fix=fix, suggestion="range(...)")


def _star_import(ctx) -> bool:
    for node in ctx.tree.pre_order():
        if node.type == syms.import_from and any(leaf.type == token.STAR for leaf in node.children):
            return True
    return False


class DictIterFixer(RuleFixer):
    """``d.iteritems()`` -> ``d.items()`` (or ``iter(d.items())``)."""

    PATTERN = "power< any* trailer< '.' method=('iteritems' | 'itervalues' | 'iterkeys') > trailer< '(' ')' > any* >"

    def visit(self, node, results) -> None:
        ctx = self.ctx
        if not _active(ctx):
            return
        method = results["method"]
        method = (method[0] if isinstance(method, list) else method).value
        if method in py2_info(ctx).defs:
            return
        chain = A.chain_of(node)
        k = next(
            (i for i in range(1, len(chain)) if A.is_attr(chain[i], method)),
            None,
        )
        if k is None or k + 1 >= len(chain) or call_args(chain[k + 1]):
            return
        recv = chain[:k]
        rtxt = A.chain_text(recv)
        new_method = _ITER_METHODS[method]
        iterated = k + 2 == len(chain) and _iterated(node)
        dict_like = _provable_dict(ctx, recv)
        new = f"{rtxt}.{new_method}()" if iterated else f"iter({rtxt}.{new_method}())"
        old = f"{rtxt}.{method}()"
        msg = f"`{old}` was removed in Python 3 (AttributeError); use `{new}`" + (
            " (iterated once, so the view behaves like the old iterator)"
            if iterated
            else " (an iterator, as before)"
        )
        safety = SAFE if dict_like else UNSAFE
        if not dict_like:
            msg += f" -- `{rtxt}` is not provably a dict: check that its class has `{new_method}()`"
        leaf = chain[k].children[1]
        end = k + 2

        def fix(node=node, leaf=leaf, iterated=iterated, end=end, k=k):
            if leaf.value != method:
                return False
            leaf.value = new_method
            if iterated:
                return None
            inner = Node(syms.power, [c.clone() for c in node.children[:end]])
            wrapped = parse_expr(f"iter({str(inner).strip()})")
            rest = [c.clone() for c in node.children[end:]]
            repl = Node(syms.power, [wrapped] + rest) if rest else wrapped
            repl.prefix = node.prefix
            node.replace(repl)
            return None

        self.report(node, msg, safety, fix=fix, suggestion=new)


def _iterated(node) -> bool:
    """``node`` is the iterable of a for loop/comprehension, or the only
    argument of a builtin that iterates it once."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type in (syms.for_stmt, syms.comp_for, getattr(syms, "old_comp_for", -1)):
        kids = parent.children
        return len(kids) > 3 and kids[3] is node
    if parent.type == syms.trailer and parent.children[0].value == "(":
        power = parent.parent
        head = power.children[0] if power is not None else None
        return (
            head is not None
            and len(power.children) == 2
            and isinstance(head, Leaf)
            and head.type == token.NAME
            and head.value in _ITERATING
        )
    return False


def _provable_dict(ctx, recv: list) -> bool:
    if len(recv) == 1 and A.is_dict_name(ctx, recv[0]):
        return True
    if A.is_attr(recv[-1], "__dict__"):
        return True
    if len(recv) == 2 and recv[0].type == token.NAME and recv[0].value in ("vars", "dict"):
        return A.is_call(recv[1]) and not A.bindings_of(ctx, recv[0])
    return False


RULE = Rule(
    id="TM312",
    name="py3-gaps",
    short="Python 2 call in a Python 3 file (`it.next()`, `xrange`, `.iteritems()`)",
    summary="Python 2 idioms in files that parse as Python 3: `iter(loader).next()`, "
    "`data_iter.next()`, bare `xrange(`, `d.iteritems()`.",
    why="""
The Python 2 -> 3 rules (TM301-TM309) convert files that are Python 2.  Many
research files already parse as Python 3 (print functions, no Python 2
syntax) and still carry a few Python 2 calls that only fail when they run:
`data_iter = iter(train_loader); images, labels = data_iter.next()` (PyTorch's
loader iterators had a Python 2 `next` alias until 1.x: AttributeError on
2.13), `xrange(n)` (NameError) and `d.iteritems()` (AttributeError).
""",
    safety=SAFE,
    doc="""
## What it does
In files that TM301-TM309 do not treat as Python 2 (no Python 2 syntax or
name, or written for both Pythons with `six`/version checks):
- `it.next()` -> `next(it)` where `it` is `iter(...)` itself, a name bound only
  to `iter(...)` calls, or `self.attr` assigned only `iter(...)` calls.
- `xrange(...)` -> `range(...)` when nothing in the file defines `xrange`
  (no import, no assignment or shim, no star import).
- `d.iteritems()` / `.itervalues()` / `.iterkeys()` -> `d.items()` / ... where
  the call is iterated once (a `for` loop, a comprehension, `list(...)`,
  `sorted(...)`, `dict(...)`...); elsewhere -> `iter(d.items())`, the iterator
  the old call returned.

## Fix safety
- `next(...)`: **safe** when the iterated object is a `DataLoader` or a
  builtin container/`range`/`zip`/...; **unsafe** for other objects (a class
  could define its own `next` method).
- `xrange` -> `range`: **safe** (the same lazy sequence; a definition anywhere
  in the file, a star import or a Python 2 file leaves it to the author/TM302).
- `.iteritems()` -> `.items()`: **safe** on provable dicts (dict displays,
  `dict(...)`, `vars(...)`, `__dict__`), **unsafe** on other receivers (pandas'
  `Series.iteritems` was renamed `items` too); never applied when the file
  defines its own `iteritems`.

## Differences from TorchFix
TorchFix does not convert Python 2 idioms; 2to3 (fissix) does, but only on
whole files, with no evidence about the receivers.
""",
    examples=(
        Example(
            before=(
                "from torch.utils.data import DataLoader\n"
                "loader = DataLoader(dataset, batch_size=4)\n"
                "data_iter = iter(loader)\n"
                "images, labels = data_iter.next()\n"
                "first = iter(loader).next()\n"
                "print(f'{len(images)} images')\n"
            ),
            after=(
                "from torch.utils.data import DataLoader\n"
                "loader = DataLoader(dataset, batch_size=4)\n"
                "data_iter = iter(loader)\n"
                "images, labels = next(data_iter)\n"
                "first = next(iter(loader))\n"
                "print(f'{len(images)} images')\n"
            ),
            title="loader iterators in a Python 3 file",
        ),
        Example(
            before=(
                "import six\n"
                "stats = {'loss': 1.0}\n"
                "for k, v in stats.iteritems():\n"
                "    print(k, v)\n"
                "for i in xrange(3):\n"
                "    print(i)\n"
                "it = stats.iterkeys()\n"
            ),
            after=(
                "import six\n"
                "stats = {'loss': 1.0}\n"
                "for k, v in stats.items():\n"
                "    print(k, v)\n"
                "for i in range(3):\n"
                "    print(i)\n"
                "it = iter(stats.keys())\n"
            ),
            title="a file written for both Pythons",
        ),
        Example(
            before=(
                "import six\n"
                "from six.moves import xrange\n"
                "for i in xrange(3):\n"
                "    batch = gen.next()\n"
                "class Queue(object):\n"
                "    def iteritems(self):\n"
                "        return iter([])\n"
                "for k, v in q.iteritems():\n"
                "    pass\n"
            ),
            title="must not change: defined names, unknown iterators, own methods",
        ),
        Example(
            before=("import six\nfor k, v in frame.iteritems():\n    print(k)\n"),
            after=("import six\nfor k, v in frame.items():\n    print(k)\n"),
            unsafe_fixes=True,
            title="an unknown receiver (unsafe)",
        ),
    ),
    fixers=(IteratorNextFixer, XrangeFixer, DictIterFixer),
    tokens=(".next()", "xrange", "iteritems", "itervalues", "iterkeys"),
)
