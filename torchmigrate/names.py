"""Which names a module binds and which of its reads resolve to nothing.

This is the engine's undefined-name check (a pyflakes-style scope analysis
on fissix trees, so it works for Python 2 files as well as Python 3 ones).
The engine runs it on a file before and after the rules and refuses any fix
that makes a name undefined; it is deliberately *relative*: the analysis
only has to be consistent between the two trees, never complete.

Scopes follow Python 3: modules, functions, lambdas, classes (whose names
methods do not see) and comprehensions; ``global``/``nonlocal`` declarations
move a name to the module or the enclosing function.  A module with a star
import whose names are unknown (``from numpy import *``) is *open*: reads
that fall through to its globals are not counted as undefined (the star
import may define them), but a binding that a fix removes while it is still
read is still a violation.
"""

from __future__ import annotations

import builtins
import keyword
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import repeat
from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

# Names every module can read without binding them.
_ALWAYS = frozenset(dir(builtins)) | {
    "__file__",
    "__name__",
    "__doc__",
    "__spec__",
    "__loader__",
    "__package__",
    "__builtins__",
    "__path__",
    "__cached__",
    "__annotations__",
    "__dict__",
    "__class__",  # implicit in methods
    "__module__",  # class bodies
    "__qualname__",
}
_KEYWORDS = frozenset(keyword.kwlist) | {"print", "exec", "nonlocal", "async", "await"}

_COMP_FOR = frozenset(
    getattr(syms, n) for n in ("comp_for", "old_comp_for", "async_comp_for") if hasattr(syms, n)
)
_COMP_IF = frozenset(getattr(syms, n) for n in ("comp_if", "old_comp_if") if hasattr(syms, n))
_COMP_HOLDERS = frozenset(
    getattr(syms, n)
    for n in ("listmaker", "dictsetmaker", "testlist_gexp", "argument")
    if hasattr(syms, n)
)
_LAMBDAS = frozenset(getattr(syms, n) for n in ("lambdef", "old_lambdef") if hasattr(syms, n))
_SEQ_TARGETS = frozenset(
    getattr(syms, n)
    for n in ("exprlist", "testlist", "testlist_gexp", "testlist_star_expr", "listmaker")
    if hasattr(syms, n)
)
_PARAM_LISTS = frozenset(
    getattr(syms, n) for n in ("typedargslist", "varargslist") if hasattr(syms, n)
)
_WITH_ITEM = getattr(syms, "with_item", -1)
_NAMEDEXPR = getattr(syms, "namedexpr_test", -1)
_AUGASSIGN = frozenset(
    {
        token.PLUSEQUAL,
        token.MINEQUAL,
        token.STAREQUAL,
        token.SLASHEQUAL,
        token.PERCENTEQUAL,
        token.AMPEREQUAL,
        token.VBAREQUAL,
        token.CIRCUMFLEXEQUAL,
        token.LEFTSHIFTEQUAL,
        token.RIGHTSHIFTEQUAL,
        token.DOUBLESTAREQUAL,
        token.DOUBLESLASHEQUAL,
    }
    | ({token.ATEQUAL} if hasattr(token, "ATEQUAL") else set())
)
# The node types ``_Walker.node`` handles by themselves; ``run`` walks the
# children of every other node in the same scope (trailers: see ``run``).
_SPECIAL = (
    frozenset(
        {
            syms.funcdef,
            syms.classdef,
            syms.expr_stmt,
            syms.for_stmt,
            syms.with_stmt,
            _WITH_ITEM,
            syms.except_clause,
            _NAMEDEXPR,
            syms.global_stmt,
            syms.del_stmt,
            syms.import_name,
            syms.import_from,
            syms.argument,
            syms.decorator,
            syms.print_stmt,
            syms.exec_stmt,
        }
    )
    | _LAMBDAS
    | _COMP_HOLDERS
)


@dataclass
class Scope:
    kind: str  # module | function | class | lambda | comp
    path: str  # "f.g" for nested definitions; lambdas/comprehensions share their parent's
    parent: Optional[Scope]
    bound: set = field(default_factory=set)
    declared_global: set = field(default_factory=set)
    declared_nonlocal: set = field(default_factory=set)
    reads: list = field(default_factory=list)  # (name, leaf)
    stars: list = field(default_factory=list)  # modules star-imported here


@dataclass
class NameReport:
    """The result of :func:`analyse`."""

    undefined: dict  # (scope path, name) -> first leaf that reads it
    module_bound: set  # names bound at module level
    global_reads: set  # names read anywhere that resolve to the module scope
    open: bool  # the module star-imports unknown names
    scopes: dict = field(default_factory=dict)  # path -> set of names bound there

    def undefined_keys(self) -> set:
        return set(self.undefined)


class _Walker:
    def __init__(self) -> None:
        self.module = Scope("module", "", None)
        self.scopes = [self.module]

    # -- helpers ----------------------------------------------------------
    def new_scope(self, kind: str, parent: Scope, name: str = "") -> Scope:
        if kind in ("function", "class"):
            path = f"{parent.path}.{name}" if parent.path else name
        else:
            path = parent.path
        sc = Scope(kind, path, parent)
        self.scopes.append(sc)
        return sc

    def bind(self, scope: Scope, name: str) -> None:
        scope.bound.add(name)

    # -- targets ----------------------------------------------------------
    def target(self, node, scope: Scope, todo: list) -> None:
        """``node`` is an assignment target: bind its names, read the rest."""
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, Leaf):
                if n.type == token.NAME and n.value not in _KEYWORDS:
                    self.bind(scope, n.value)
                continue
            t = n.type
            if t == syms.atom:
                stack.extend(
                    c for c in n.children if not isinstance(c, Leaf) or c.type == token.NAME
                )
            elif t in _SEQ_TARGETS:
                stack.extend(c for c in n.children if c.type != token.COMMA)
            elif t == syms.star_expr:
                stack.append(n.children[-1])
            else:  # a.b, a[i], f() (an invalid target is still read)
                todo.append((n, scope))

    # -- parameters -------------------------------------------------------
    def params(self, node, inner: Scope, outer: Scope, todo: list) -> None:
        if node is None:
            return
        if isinstance(node, Leaf):
            if node.type == token.NAME:
                self.bind(inner, node.value)
            return
        t = node.type
        if t == syms.parameters:  # ( typedargslist )
            for c in node.children[1:-1]:
                self.params(c, inner, outer, todo)
            return
        if t == syms.tname:  # NAME ':' annotation
            self.bind(inner, node.children[0].value)
            if len(node.children) > 2:
                todo.append((node.children[2], outer))
            return
        if t == getattr(syms, "tfpdef", -1) or t == getattr(syms, "vfpdef", -1):
            # Python 2 tuple parameter: ( a, (b, c) )
            for leaf in node.leaves():
                if leaf.type == token.NAME:
                    self.bind(inner, leaf.value)
            return
        if (
            t in _PARAM_LISTS
            or t == getattr(syms, "tfplist", -1)
            or t == getattr(syms, "vfplist", -1)
        ):
            kids = node.children
            i = 0
            while i < len(kids):
                c = kids[i]
                if isinstance(c, Leaf) and c.type == token.EQUAL:
                    todo.append((kids[i + 1], outer))  # default value
                    i += 2
                    continue
                self.params(c, inner, outer, todo)
                i += 1
            return
        # anything else inside a parameter list: read in the outer scope
        todo.append((node, outer))

    # -- the walk ---------------------------------------------------------
    def run(self, tree) -> None:
        todo: list = [(tree, self.module)]
        pop = todo.pop
        extend = todo.extend
        special = _SPECIAL
        name = token.NAME
        trailer = syms.trailer
        dot = token.DOT
        while todo:
            node, scope = pop()
            t = node.type
            if t < 256:  # a leaf
                if t == name and node.value not in _KEYWORDS:
                    scope.reads.append((node.value, node))
                continue
            if t == trailer:  # ``.name`` reads nothing; ``(args)`` / ``[index]`` do
                kids = node.children
                if kids[0].type != dot:
                    extend(zip(kids[1:-1], repeat(scope)))
            elif t in special:
                self.node(node, scope, todo)
            else:  # any other node: its children, in the same scope
                extend(zip(node.children, repeat(scope)))

    def node(self, node: Node, scope: Scope, todo: list) -> None:  # noqa: C901 - a dispatch
        t = node.type
        kids = node.children
        if t == syms.funcdef:
            # 'def' NAME parameters ['->' test] ':' suite
            name = kids[1].value
            self.bind(scope, name)
            inner = self.new_scope("function", scope, name)
            self.params(kids[2], inner, scope, todo)
            i = 3
            if kids[i].type == token.RARROW:
                todo.append((kids[i + 1], scope))
                i += 2
            todo.append((kids[-1], inner))
            return
        if t == syms.classdef:
            name = kids[1].value
            self.bind(scope, name)
            inner = self.new_scope("class", scope, name)
            for c in kids[2:-1]:
                if not isinstance(c, Leaf):
                    todo.append((c, scope))  # bases / keywords
            todo.append((kids[-1], inner))
            return
        if t in _LAMBDAS:
            inner = self.new_scope("lambda", scope)
            if len(kids) == 4:
                self.params(kids[1], inner, scope, todo)
            todo.append((kids[-1], inner))
            return
        if t in _COMP_HOLDERS and any(c.type in _COMP_FOR for c in kids):
            inner = self.new_scope("comp", scope)
            first_iter = True
            for c in kids:
                if c.type in _COMP_FOR:
                    self.comp_for(c, inner, scope, todo, first_iter)
                    first_iter = False
                else:
                    todo.append((c, inner))
            return
        if t == syms.expr_stmt:
            if len(kids) >= 2 and kids[1].type == syms.annassign:
                ann = kids[1].children
                self.target(kids[0], scope, todo)
                todo.extend((c, scope) for c in ann[1:] if c.type != token.EQUAL)
                return
            if len(kids) == 3 and kids[1].type in _AUGASSIGN:
                self.target(kids[0], scope, todo)
                todo.append((kids[0], scope))  # x += 1 reads x as well
                todo.append((kids[2], scope))
                return
            if any(isinstance(c, Leaf) and c.type == token.EQUAL for c in kids):
                for c in kids[:-1]:
                    if not (isinstance(c, Leaf) and c.type == token.EQUAL):
                        self.target(c, scope, todo)
                todo.append((kids[-1], scope))
                return
        elif t == syms.for_stmt:
            # 'for' target 'in' iter ':' suite ['else' ':' suite]
            self.target(kids[1], scope, todo)
            todo.extend((c, scope) for c in kids[3:] if not isinstance(c, Leaf))
            return
        elif t == syms.with_stmt or t == _WITH_ITEM:
            i = 0
            while i < len(kids):
                c = kids[i]
                if isinstance(c, Leaf) and c.value == "as" and i + 1 < len(kids):
                    self.target(kids[i + 1], scope, todo)
                    i += 2
                    continue
                if not isinstance(c, Leaf) or c.type == token.NAME:
                    if not (isinstance(c, Leaf) and c.value == "with"):
                        todo.append((c, scope))
                i += 1
            return
        elif t == syms.except_clause:
            # 'except' [test [('as' | ',') target]]
            if len(kids) >= 2:
                todo.append((kids[1], scope))
            if len(kids) >= 4:
                self.target(kids[3], scope, todo)
            return
        elif t == _NAMEDEXPR:
            target_scope = scope
            while target_scope.kind == "comp" and target_scope.parent is not None:
                target_scope = target_scope.parent
            self.target(kids[0], target_scope, todo)
            todo.append((kids[2], scope))
            return
        elif t == syms.global_stmt:
            names = {c.value for c in kids[1:] if c.type == token.NAME}
            if kids[0].value == "global":
                scope.declared_global |= names
            else:
                scope.declared_nonlocal |= names
            return
        elif t == syms.del_stmt:
            self.target(kids[1], scope, todo)
            return
        elif t == syms.import_name:
            self.import_name(kids[1], scope)
            return
        elif t == syms.import_from:
            self.import_from(node, scope)
            return
        elif t == syms.argument:
            if len(kids) == 3 and kids[1].type == token.EQUAL:
                todo.append((kids[2], scope))
                return
        elif t == syms.decorator:
            # '@' dotted_name [ '(' args ')' ] NEWLINE
            target = kids[1]
            if target.type == syms.dotted_name:
                todo.append((target.children[0], scope))
            else:
                todo.append((target, scope))
            todo.extend((c, scope) for c in kids[2:] if not isinstance(c, Leaf))
            return
        elif t == syms.print_stmt or t == syms.exec_stmt:
            todo.extend((c, scope) for c in kids[1:])
            return
        todo.extend((c, scope) for c in kids)

    def comp_for(self, node, inner: Scope, outer: Scope, todo: list, first: bool) -> None:
        kids = node.children
        i = 1 if kids[0].type == token.NAME and kids[0].value == "async" else 0
        if i and len(kids) == 2 and kids[1].type in _COMP_FOR:  # async wraps a comp_for
            self.comp_for(kids[1], inner, outer, todo, first)
            return
        # ['async'] 'for' target 'in' iter [comp_iter]
        self.target(kids[i + 1], inner, todo)
        todo.append((kids[i + 3], outer if first else inner))
        for c in kids[i + 4 :]:
            if c.type in _COMP_FOR:
                self.comp_for(c, inner, outer, todo, False)
            elif c.type in _COMP_IF:
                for cc in c.children[1:]:
                    if cc.type in _COMP_FOR:
                        self.comp_for(cc, inner, outer, todo, False)
                    else:
                        todo.append((cc, inner))
            else:
                todo.append((c, inner))

    def import_name(self, node, scope: Scope) -> None:
        if node.type == syms.dotted_as_names:
            for c in node.children:
                if c.type != token.COMMA:
                    self.import_name(c, scope)
        elif node.type == syms.dotted_as_name:
            self.bind(scope, node.children[2].value)
        elif node.type == syms.dotted_name:
            self.bind(scope, node.children[0].value)
        elif node.type == token.NAME:
            self.bind(scope, node.value)

    def import_from(self, node: Node, scope: Scope) -> None:
        kids = node.children
        idx = next(i for i, k in enumerate(kids) if isinstance(k, Leaf) and k.value == "import")
        for item in kids[idx + 1 :]:
            if item.type == token.STAR:
                scope.stars.append("".join(str(k).strip() for k in kids[1:idx]))
                continue
            if item.type in (token.LPAR, token.RPAR):
                continue
            subs = item.children if item.type == syms.import_as_names else [item]
            for sub in subs:
                if sub.type == syms.import_as_name:
                    self.bind(scope, sub.children[2].value)
                elif sub.type == token.NAME:
                    self.bind(scope, sub.value)


def _all_entries(module: Scope, tree) -> list:
    """String entries of a module-level ``__all__ = [...]`` (read by star imports)."""
    out = []
    for stmt in tree.children:
        if stmt.type != syms.simple_stmt:
            continue
        expr = stmt.children[0]
        if (
            expr.type == syms.expr_stmt
            and len(expr.children) == 3
            and isinstance(expr.children[0], Leaf)
            and expr.children[0].value == "__all__"
        ):
            for leaf in expr.children[2].leaves():
                if leaf.type == token.STRING:
                    text = leaf.value.strip("'\"")
                    if text.isidentifier():
                        out.append((text, leaf))
    return out


def analyse(tree, provided: Iterable[str] = (), resolved_stars: Iterable[str] = ()) -> NameReport:
    """Scope-analyse ``tree``.  ``provided`` are names defined from outside
    the file (the project model's star-import facts); ``resolved_stars`` are
    the modules (as spelled in ``from M import *``) whose star imports the
    project model resolved into ``provided`` -- any other star import makes
    the module *open*."""
    w = _Walker()
    w.run(tree)
    module = w.module
    for sc in w.scopes:  # `global x; x = 1` in a function binds the module's x
        module.bound |= sc.bound & sc.declared_global
    module.reads.extend(_all_entries(module, tree))
    provided = frozenset(provided)
    resolved = frozenset(resolved_stars)
    is_open = any(m not in resolved for sc in w.scopes for m in sc.stars)
    undefined: dict = {}
    global_reads: set = set()
    for sc in w.scopes:
        for name, leaf in sc.reads:
            where = _resolve(sc, name)
            if where is None:  # falls through to the module's globals
                global_reads.add(name)
                if name in module.bound or name in _ALWAYS or name in provided:
                    continue
                if is_open:
                    continue
                undefined.setdefault((sc.path, name), leaf)
    scopes: dict = {}
    for sc in w.scopes:
        scopes.setdefault(sc.path, set()).update(sc.bound)
    return NameReport(
        undefined=undefined,
        module_bound=set(module.bound),
        global_reads=global_reads,
        open=is_open,
        scopes=scopes,
    )


def _resolve(scope: Scope, name: str) -> Optional[Scope]:
    """The non-module scope that binds ``name`` for a read in ``scope``, or
    None when the read resolves to the module's globals."""
    if name in scope.declared_global:
        return None
    if scope.kind != "module" and name in scope.bound and name not in scope.declared_nonlocal:
        return scope
    cur = scope.parent
    while cur is not None and cur.kind != "module":
        if cur.kind != "class" and name in cur.bound and name not in cur.declared_global:
            return cur
        cur = cur.parent
    return None


def bound_in(node) -> set:
    """Names that the statement(s) ``node`` bind in the scope they stand in
    (imports, assignments, definitions, loop targets, ...)."""
    w = _Walker()
    w.run(node)
    return set(w.module.bound)


# --------------------------------------------------------------------------
# Store targets that became calls (``loss.item() = 0``)
# --------------------------------------------------------------------------
def call_targets(tree) -> list:
    """Leaves (first leaf of each) of assignment/deletion/loop targets that
    are calls -- code CPython refuses but fissix's grammar accepts."""
    out = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Leaf):
            continue
        for tgt in _targets(node):
            out.extend(_calls_in_target(tgt))
        stack.extend(node.children)
    return out


# the node types whose children include targets (see _targets)
TARGET_HOLDERS = frozenset({syms.expr_stmt, syms.del_stmt, syms.for_stmt}) | _COMP_FOR


def count_call_targets(holders) -> int:
    """``len(call_targets(tree))`` from the nodes of ``tree`` whose type is in
    :data:`TARGET_HOLDERS` (all of them, in any order: an index has them)."""
    return sum(len(_calls_in_target(tgt)) for node in holders for tgt in _targets(node))


def _targets(node) -> list:
    t = node.type
    kids = node.children
    if t == syms.expr_stmt and len(kids) >= 2:
        if kids[1].type == syms.annassign or kids[1].type in _AUGASSIGN:
            return [kids[0]]
        if any(isinstance(c, Leaf) and c.type == token.EQUAL for c in kids):
            return [c for c in kids[:-1] if not (isinstance(c, Leaf) and c.type == token.EQUAL)]
        return []
    if t == syms.del_stmt:
        return [kids[1]]
    if t == syms.for_stmt or t in _COMP_FOR:
        return [kids[1]]
    return []


def _calls_in_target(node) -> list:
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Leaf):
            continue
        if n.type == syms.power:
            last = n.children[-1]
            if last.type == syms.trailer and last.children[0].type == token.LPAR:
                out.append(n)
            continue
        if n.type == syms.atom or n.type in _SEQ_TARGETS or n.type == syms.star_expr:
            stack.extend(n.children)
    return out


__all__ = ["NameReport", "analyse", "bound_in", "call_targets"]
