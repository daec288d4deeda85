"""Names: where a name is bound, and to what.

Every question about a name goes through a *binding table* of its scope,
built by one walk of that scope and kept by the file's :class:`Analysis`
(``codemods.analysis``) until a fix touches the scope.  The tables are
views of the same bindings that differ in what they keep:

* :func:`collect_bindings` -- the full table of a Python scope (function,
  class, lambda, module): every binding with its value and the path into a
  tuple target, parameters with their position, attribute targets, returns,
  ``global`` names.  The value lattice (``values.py``) reads it.
* :func:`collect_value_bindings` / :func:`bindings_of` -- the bindings of a
  function (or the module) as ``(kind, value node)`` pairs, tuple targets
  matched element-wise where the right-hand side is a display of the same
  length (otherwise a name of the target is ``("elem", (value, index))``).  The evidence questions (``evidence.py``) read it.
* :func:`assignment_table` / :func:`assignments_of` -- ``(op, rhs)`` of the
  plain and augmented assignments of a name as seen from a node, ``None``
  when the name is also bound some other way.  The dtype inference
  (``dtypes.py``) and the TM2xx rules read it.
* :func:`straight_line_assignments` -- names bound only by top-level
  ``name = value`` statements of a function body, in order.  The rank
  inference (``ranks.py``) reads it.

They are views of one set of facts; where they disagree on a corner case
(e.g. default values of parameters, class bodies) the view's own docstring
says so.  Answers are "None/empty" whenever the file does not prove them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods.analysis.syntax import unparen
from codemods.base import FileContext, NodeOrLeaf, dotted_name, leaves_of, nodes_of_type, walk

ANALYSIS_KEY = "analysis"


def analysis(ctx: FileContext):
    """The :class:`codemods.analysis.Analysis` of the file being migrated
    (created on first use, kept on the file context)."""
    an = ctx.cache.get(ANALYSIS_KEY)
    if an is None:
        from codemods.analysis import Analysis

        an = ctx.cache[ANALYSIS_KEY] = Analysis(ctx)
    return an


# --------------------------------------------------------------------------
# The full binding table of a Python scope
# --------------------------------------------------------------------------
_SCOPE_TYPES = (syms.funcdef, syms.classdef, syms.lambdef, syms.file_input)
_COMP = (syms.comp_for,)
_COMP_ALL = _COMP + (syms.comp_if,)
# the nodes the walk of collect_bindings does not enter (their own scopes)
_NOT_ENTERED = frozenset({syms.funcdef, syms.classdef, syms.lambdef, *_COMP})


def scope_node(node: NodeOrLeaf) -> Node:
    cur = node.parent
    while cur is not None and cur.type not in _SCOPE_TYPES:
        cur = cur.parent
    return cur


def _target_paths(node: NodeOrLeaf, path: tuple, out: list) -> None:
    """Flatten an assignment/for target into (leaf-or-node, path) pairs."""
    if node.type == token.NAME:
        out.append((node, path))
    elif node.type == syms.atom and node.children[0].value in "([" and len(node.children) == 3:
        _target_paths(node.children[1], path, out)
    elif node.type in (
        syms.exprlist,
        syms.testlist_star_expr,
        syms.testlist_gexp,
        syms.listmaker,
        syms.testlist,
    ):
        idx = 0
        for child in node.children:
            if child.type == token.COMMA:
                continue
            _target_paths(child, path + (idx,), out)
            idx += 1
    else:
        out.append((node, path))  # attribute / subscript / starred target


class Bindings:
    def __init__(self) -> None:
        self.names: dict = {}  # name -> list of binding tuples
        self.attrs: list = []  # (target power node, value, path)
        self.returns: list = []
        self.yields = False
        self.global_names: set = set()

    def add(self, name: str, binding: tuple) -> None:
        self.names.setdefault(name, []).append(binding)


def collect_bindings(scope: Node, ctx: Optional[FileContext] = None) -> Bindings:
    """The binding table of one Python scope (see :class:`Bindings`).  With
    ``ctx`` while the engine's index describes the tree, only the nodes that
    can bind are looked at (from the index); otherwise the scope is walked."""
    b = Bindings()
    if scope.type == syms.funcdef:
        params = scope.children[2]
        _collect_params(scope, params, b)
        body = scope.children[-1]
    elif scope.type == syms.classdef:
        body = scope.children[-1]
    elif scope.type == syms.lambdef:
        body = scope.children[-1]
        for leaf in leaves_of(scope.children[1]) if scope.children[1].type != token.COLON else []:
            if leaf.type == token.NAME:
                b.add(leaf.value, ("unknown",))
    else:
        body = scope
    index = ctx.index if ctx is not None else None
    sites = _binding_sites(index, body) if index is not None else None
    if sites is not None:
        for node in sites:
            _binding_step(node, b)
        return b
    stack = [body]
    while stack:
        node = stack.pop()
        if _binding_step(node, b):
            stack.extend(reversed(node.children))
    return b


# the node types at which _binding_step records something (leaves aside)
_BINDING_NODES = (
    syms.funcdef,
    syms.classdef,
    syms.expr_stmt,
    syms.for_stmt,
    syms.with_item,
    syms.import_name,
    syms.import_from,
    syms.global_stmt,
    syms.return_stmt,
    syms.yield_expr,
)


def _binding_sites(index, body: Node) -> Optional[list]:
    """The nodes and leaves at which the walk of :func:`collect_bindings`
    from ``body`` records something, in its (pre-)order, from the engine's
    index (None when ``body`` is not in it): the binding node types and the
    leaves that may bind (``yield``, an ``except`` target, a walrus target),
    without those inside a nested def, class, lambda or comprehension, which
    the walk does not enter."""
    found: list = []
    for t in _BINDING_NODES:
        hit = index.within(body, t)
        if hit is None:
            return None
        found.extend(hit)
    for holder in index.within(body, syms.except_clause):
        found.extend(c for c in holder.children if c.type == token.NAME)
    for holder in index.within(body, syms.namedexpr_test):
        if holder.children[0].type == token.NAME:
            found.append(holder.children[0])
    order = index.order
    yields = index.leaves("yield")
    if yields:
        start, end = index.span(body)
        found.extend(y for y in yields if y.type == token.NAME and start <= order[id(y)] <= end)
    out = []
    for node in sorted(found, key=lambda n: order[id(n)]):
        if node is not body:
            cur = node.parent
            while cur is not body and cur.type not in _NOT_ENTERED:
                cur = cur.parent
            if cur is not body or body.type in _NOT_ENTERED:
                continue  # (inside a nested scope or comprehension)
        out.append(node)
    return out


def _binding_step(node: NodeOrLeaf, b: Bindings) -> bool:
    """What the walk of :func:`collect_bindings` does at ``node``: record
    its bindings in ``b``; True when the walk goes on into its children."""
    t = node.type
    if t < 256:  # a leaf
        if t != token.NAME:
            return False
        if node.value == "yield":
            b.yields = True
            return False
        p = node.parent
        if p is None:
            return False
        # except E as NAME, except E, NAME (Python 2), walrus
        if p.type == syms.except_clause:
            prev = node.prev_sibling
            if isinstance(prev, Leaf) and prev.value in ("as", ","):
                b.add(node.value, ("unknown",))
        elif p.type == syms.namedexpr_test and p.children[0] is node:
            b.add(node.value, ("unknown",))
        return False
    if t in _DEFS:
        b.add(node.children[1].value, ("def" if t == syms.funcdef else "class", node))
        return False
    if t == syms.lambdef or t in _COMP:
        return False
    if t == syms.expr_stmt:
        _collect_expr_stmt(node, b)
    elif t == syms.for_stmt:
        pairs: list = []
        _target_paths(node.children[1], (), pairs)
        for tgt, path in pairs:
            if tgt.type == token.NAME:
                b.add(tgt.value, ("for", node.children[3], path))
    elif t == syms.with_item:
        pairs = []
        _target_paths(node.children[2], (), pairs)
        for tgt, _path in pairs:
            if tgt.type == token.NAME:
                b.add(tgt.value, ("unknown",))
    elif t in _IMPORT_STMTS:
        for leaf in leaves_of(node):
            if leaf.type == token.NAME:
                b.add(leaf.value, ("import",))
    elif t == syms.global_stmt:
        for leaf in node.children[1:]:
            if leaf.type == token.NAME:
                b.global_names.add(leaf.value)
    elif t == syms.return_stmt:
        b.returns.append(node.children[1] if len(node.children) > 1 else None)
    elif t == syms.yield_expr:
        b.yields = True
    return True


def _collect_params(funcdef: Node, params: Node, b: Bindings) -> None:
    inner = params.children[1] if len(params.children) == 3 else None
    if inner is None:
        return
    items = inner.children if inner.type == syms.typedargslist else [inner]
    index = 0
    star = False
    for item in items:
        if item.type == token.COMMA:
            continue
        if item.type in (token.STAR, token.DOUBLESTAR):
            star = True
            continue
        if item.type == token.EQUAL:
            continue
        name = None
        if item.type == token.NAME:
            name = item.value
        elif item.type == syms.tname:
            name = item.children[0].value
        if name is None:
            continue
        prev = item.prev_sibling
        if prev is not None and prev.type == token.EQUAL:
            continue  # a default value, not a parameter
        if star and prev is not None and prev.type in (token.STAR, token.DOUBLESTAR):
            b.add(name, ("unknown",))
        else:
            b.add(name, ("param", funcdef, index, name))
        index += 1


def _collect_expr_stmt(node: Node, b: Bindings) -> None:
    kids = node.children
    if len(kids) >= 3 and kids[1].type == token.EQUAL:
        value = kids[-1]
        for tgt_node in kids[:-1:2]:
            pairs: list = []
            _target_paths(tgt_node, (), pairs)
            for tgt, path in pairs:
                if tgt.type == token.NAME:
                    b.add(tgt.value, ("assign", value, path))
                elif tgt.type == syms.power:
                    b.attrs.append((tgt, value, path))
    elif len(kids) == 2 and kids[1].type == syms.annassign:
        # ``x: T = value`` binds like ``x = value``; ``x: T`` binds nothing
        ann = kids[1].children  # ':' T ['=' value]
        if len(ann) >= 4:
            tgt = kids[0]
            if tgt.type == token.NAME:
                b.add(tgt.value, ("assign", ann[3], ()))
            elif tgt.type == syms.power:
                b.attrs.append((tgt, ann[3], ()))
    elif len(kids) == 3 and kids[1].type != token.EQUAL and kids[1].value.endswith("="):
        if kids[0].type == token.NAME:
            b.add(kids[0].value, ("aug", kids[2], kids[1].value))


# --------------------------------------------------------------------------
# Value bindings of a function or the module (evidence questions)
# --------------------------------------------------------------------------
def scope_of(node: NodeOrLeaf) -> Node:
    cur = node.parent
    while cur is not None:
        if cur.type in (syms.funcdef, syms.lambdef):
            return cur
        if cur.parent is None:
            return cur
        cur = cur.parent
    return node  # type: ignore[return-value]


UNKNOWN = ("unknown", None)


def _value_targets(node: NodeOrLeaf, value: Optional[NodeOrLeaf], out: dict) -> None:
    """Record the names bound by assignment target ``node`` to ``value``."""
    node = unparen(node) if node.type == syms.atom else node
    if node.type == token.NAME:
        out.setdefault(node.value, []).append(("value", value) if value is not None else UNKNOWN)
        return
    if node.type == syms.atom and len(node.children) == 3 and node.children[0].value in "([":
        node = node.children[1]
    if node.type in (
        syms.testlist_star_expr,
        syms.exprlist,
        syms.testlist_gexp,
        syms.listmaker,
        syms.testlist,
    ):
        elems = [c for c in node.children if c.type != token.COMMA]
        vals = None
        if value is not None:
            v = unparen(value)
            if v.type == syms.atom and len(v.children) == 3 and v.children[0].value in "([":
                v = v.children[1]
            if v.type in (
                syms.testlist_star_expr,
                syms.testlist_gexp,
                syms.testlist,
                syms.exprlist,
                syms.listmaker,
            ):
                cand = [c for c in v.children if c.type != token.COMMA]
                if len(cand) == len(elems) and not any(c.type == syms.star_expr for c in cand):
                    vals = cand
        for i, e in enumerate(elems):
            if vals is None and value is not None and e.type == token.NAME:
                # ``_, pred = out.max(1)``: element ``i`` of the value
                out.setdefault(e.value, []).append(("elem", (value, i)))
                continue
            _value_targets(e, vals[i] if vals else None, out)
        return
    if node.type == syms.star_expr:
        _value_targets(node.children[1], None, out)
    # attribute / subscript targets bind no name


def _value_params(params: NodeOrLeaf, out: dict) -> None:
    for leaf in leaves_of(params):
        if leaf.type == token.NAME and leaf.parent is not None:
            p = leaf.parent
            if p.type == syms.tname and p.children[0] is not leaf:
                continue  # annotation
            if p.type in (syms.typedargslist, syms.varargslist, syms.parameters, syms.tname) or (
                p.type == syms.argument
            ):
                out.setdefault(leaf.value, []).append(UNKNOWN)


def collect_value_bindings(scope: Node) -> dict:
    out: dict = {}
    if scope.type == syms.funcdef:
        _value_params(scope.children[2], out)
        body = scope.children[-1]
    elif scope.type == syms.lambdef:
        for child in scope.children[1:-2]:
            _value_params(child, out)
        body = scope.children[-1]
    else:
        body = scope

    # pre-order, as a recursive walk would: a statement's bindings are
    # recorded before those nested in it, siblings in order
    stack = list(reversed(body.children))
    pop = stack.pop
    extend = stack.extend
    while stack:
        child = pop()
        t = child.type
        if t < 256:  # a leaf: binds nothing by itself
            continue
        if t in _DEFS:
            out.setdefault(child.children[1].value, []).append(UNKNOWN)
            continue
        if t == syms.lambdef:
            continue
        if t == syms.expr_stmt:
            kids = child.children
            if len(kids) >= 3 and kids[1].type == token.EQUAL:
                value = kids[-1]
                for tgt in kids[:-1:2]:
                    _value_targets(tgt, value, out)
            elif len(kids) == 2 and kids[1].type == syms.annassign:
                ann = kids[1].children
                _value_targets(kids[0], ann[3] if len(ann) >= 4 else None, out)
            elif len(kids) == 3 and kids[1].type != token.EQUAL and kids[0].type == token.NAME:
                out.setdefault(kids[0].value, []).append(("aug", (kids[1].value, kids[2])))
        elif t == syms.for_stmt:
            _value_targets(child.children[1], None, out)
            tgt = child.children[1]
            if tgt.type == token.NAME:
                out[tgt.value][-1] = ("for", child.children[3])
        elif t in _AS_CLAUSES:
            kids = child.children
            for i, k in enumerate(kids):
                if k.type == token.NAME and k.value == "as" and i + 1 < len(kids):
                    _value_targets(kids[i + 1], None, out)
        elif t == syms.global_stmt:
            for k in child.children[1:]:
                if k.type == token.NAME:
                    out.setdefault(k.value, []).append(UNKNOWN)
        elif t in _IMPORT_STMTS:
            for leaf in leaves_of(child):
                if leaf.type == token.NAME:
                    out.setdefault(leaf.value, []).append(UNKNOWN)
            continue
        elif t == syms.namedexpr_test:
            _value_targets(child.children[0], None, out)
        elif t == syms.comp_for:
            _value_targets(child.children[1], None, out)
        extend(reversed(child.children))
    return out


_DEFS = frozenset({syms.funcdef, syms.classdef})
_AS_CLAUSES = frozenset({syms.with_stmt, syms.with_item, syms.except_clause})
_IMPORT_STMTS = frozenset({syms.import_name, syms.import_from})


def scope_bindings(ctx: FileContext, scope: Node) -> dict:
    """The value-binding view of ``scope`` (a function, lambda or the module):
    name -> [(kind, value)] (see :func:`collect_value_bindings`)."""
    return analysis(ctx).scope_table("values", scope, collect_value_bindings)


def _global_names(ctx: FileContext) -> set:
    return analysis(ctx).file_table("globals", _collect_global_names)


def _collect_global_names(ctx: FileContext) -> set:
    res: set = set()
    for node in nodes_of_type(ctx, (syms.global_stmt,)):
        res.update(k.value for k in node.children[1:] if k.type == token.NAME)
    return res


def bindings_of(ctx: FileContext, name: Leaf) -> Optional[list]:
    """The bindings of ``name`` as seen from where it is used: the enclosing
    function's when it binds the name, else the module's.  None when nothing
    in the file binds it."""
    scope = scope_of(name)
    seen = 0
    while True:
        b = scope_bindings(ctx, scope).get(name.value)
        if b:
            if scope.type != syms.file_input and name.value in _global_names(ctx):
                return None
            return b
        if scope.type == syms.file_input or seen > 20:
            return None
        scope = scope_of(scope)
        seen += 1


# --------------------------------------------------------------------------
# Assignments as seen from a node (dtype questions, TM2xx)
# --------------------------------------------------------------------------
@dataclass
class Scope:
    node: Node
    assigns: dict  # name -> list[(op, rhs node)]
    other: set  # names bound some other way (params, for, with, tuple, import)
    globals_: set


def assignment_scope(node) -> Node:
    cur = node.parent
    while cur is not None:
        if cur.type in (syms.funcdef, syms.file_input):
            return cur
        cur = cur.parent
    return node  # detached


def _target_names(node, out: set) -> None:
    if isinstance(node, Leaf):
        if node.type == token.NAME:
            out.add(node.value)
        return
    if node.type in (
        syms.exprlist,
        syms.testlist_star_expr,
        syms.testlist_gexp,
        syms.atom,
        syms.testlist,
        syms.star_expr,
        syms.listmaker,
    ):
        for c in node.children:
            _target_names(c, out)


def assignment_table(ctx: FileContext) -> dict:
    """``{'scopes': {id(scope): Scope}, 'attrs': {dotted target: [(op, rhs)]}}``
    for the whole file (scopes: functions and the module; class bodies and
    lambdas belong to the enclosing one)."""
    return analysis(ctx).file_table("assignments", _collect_assignments)


def _collect_assignments(ctx: FileContext) -> dict:
    scopes: dict = {}
    attrs: dict = {}

    def scope(node) -> Scope:
        s = assignment_scope(node)
        sc = scopes.get(id(s))
        if sc is None:
            sc = scopes[id(s)] = Scope(s, {}, set(), set())
        return sc

    for node in nodes_of_type(ctx, _ASSIGNMENT_TYPES):
        t = node.type
        if t == syms.expr_stmt:
            kids = node.children
            if len(kids) >= 3 and kids[1].type == token.EQUAL:
                rhs = kids[-1]
                targets = kids[0:-1:2]
                for tgt in targets:
                    _bind_target(scope(node), attrs, tgt, "=", rhs)
            elif len(kids) == 3 and kids[1].type in _AUG:
                _bind_target(scope(node), attrs, kids[0], kids[1].value, kids[2])
            elif len(kids) == 2 and kids[1].type == syms.annassign:
                ann = kids[1].children
                if len(ann) >= 4:
                    _bind_target(scope(node), attrs, kids[0], "=", ann[3])
        elif t == syms.funcdef:
            # the function's name is bound in the enclosing scope, params inside
            scope(node).other.add(node.children[1].value)
            fs = scopes.setdefault(id(node), Scope(node, {}, set(), set()))
            for leaf in leaves_of(node.children[2]):
                if leaf.type == token.NAME:
                    fs.other.add(leaf.value)
        elif t in _FOR_TYPES:
            names: set = set()
            _target_names(node.children[1], names)
            scope(node).other.update(names)
        elif t == syms.with_stmt or t == syms.except_clause:
            for i, c in enumerate(node.children):
                if isinstance(c, Leaf) and c.value == "as" and i + 1 < len(node.children):
                    names = set()
                    _target_names(node.children[i + 1], names)
                    scope(node).other.update(names)
        elif t == _ASEXPR:
            names = set()
            _target_names(node.children[-1], names)
            scope(node).other.update(names)
        elif t in (syms.import_name, syms.import_from, syms.classdef):
            if t == syms.classdef:
                scope(node).other.add(node.children[1].value)
            else:
                for leaf in leaves_of(node):
                    if leaf.type == token.NAME:
                        scope(node).other.add(leaf.value)
        elif t == syms.global_stmt:
            for leaf in node.children[1:]:
                if leaf.type == token.NAME:
                    scope(node).globals_.add(leaf.value)
    return {"scopes": scopes, "attrs": attrs}


_FOR_TYPES = {syms.for_stmt, syms.comp_for} | (
    {syms.old_comp_for} if hasattr(syms, "old_comp_for") else set()
)
_ASEXPR = getattr(syms, "asexpr_test", -1)

# the node types _collect_assignments looks at
_ASSIGNMENT_TYPES = frozenset(
    {
        syms.expr_stmt,
        syms.funcdef,
        syms.with_stmt,
        syms.except_clause,
        _ASEXPR,
        syms.import_name,
        syms.import_from,
        syms.classdef,
        syms.global_stmt,
    }
    | _FOR_TYPES
)

_AUG = {
    token.PLUSEQUAL,
    token.MINEQUAL,
    token.STAREQUAL,
    token.SLASHEQUAL,
    token.DOUBLESLASHEQUAL,
    token.PERCENTEQUAL,
    token.AMPEREQUAL,
    token.VBAREQUAL,
    token.CIRCUMFLEXEQUAL,
    token.LEFTSHIFTEQUAL,
    token.RIGHTSHIFTEQUAL,
    token.DOUBLESTAREQUAL,
}


def _bind_target(sc: Scope, attrs: dict, tgt, op: str, rhs) -> None:
    if isinstance(tgt, Leaf) and tgt.type == token.NAME:
        sc.assigns.setdefault(tgt.value, []).append((op, rhs))
        return
    name = dotted_name(tgt) if tgt.type == syms.power else None
    if name is not None:
        attrs.setdefault(name, []).append((op, rhs))
        return
    if tgt.type == syms.power:
        # subscript / call targets: ``x[i] = ..`` mutates x; mark it unknown
        head = tgt.children[0]
        if isinstance(head, Leaf) and head.type == token.NAME:
            sc.assigns.setdefault(head.value, []).append(("mutate", rhs))
        return
    names: set = set()
    _target_names(tgt, names)
    sc.other.update(names)


def assignments_of(ctx: FileContext, name: str, at) -> Optional[list]:
    """All ``(op, rhs)`` that bind ``name`` as seen from ``at``: the innermost
    function scope that binds it, else the module.  None when the name is bound
    some other way there (parameter, loop target, import, tuple unpacking...)
    or not at all."""
    info = assignment_table(ctx)
    if "." in name:
        return info["attrs"].get(name)
    scopes = info["scopes"]
    cur = at
    while True:
        s = assignment_scope(cur) if cur.type != syms.file_input else cur
        if s is cur and s.type != syms.file_input:
            return None  # a detached node: no scope to look in
        sc = scopes.get(id(s))
        if sc is not None and name not in sc.globals_:
            if name in sc.other:
                return None
            if name in sc.assigns:
                return sc.assigns[name]
        if s.type == syms.file_input:
            return None
        cur = s


# --------------------------------------------------------------------------
# Straight-line assignments of a function body (rank questions)
# --------------------------------------------------------------------------
def _body_statements(func):
    suite = func.children[-1]
    if suite.type != syms.suite:
        return [suite]
    return [c for c in suite.children if c.type not in (token.NEWLINE, token.INDENT, token.DEDENT)]


def top_statement(node, func):
    cur = node
    suite = func.children[-1]
    while cur is not None and cur.parent is not suite and cur.parent is not func:
        cur = cur.parent
    return cur


def straight_line_assignments(func) -> dict:
    """name -> ({id(top stmt): index}, [(index, value, stmt)]) for names bound
    only by ``name = value`` statements at the top level of the body.  Names
    bound any other way map to None."""
    body = _body_statements(func)
    index = {id(s): i for i, s in enumerate(body)}
    out: dict = {}
    bad: set = set()
    # parameters are bindings without a known value at the start
    for i, s in enumerate(body):
        if (
            s.type == syms.simple_stmt
            and len(s.children) == 2
            and s.children[0].type == syms.expr_stmt
        ):
            es = s.children[0]
            kids = es.children
            if (
                len(kids) == 3
                and kids[1].type == token.EQUAL
                and isinstance(kids[0], Leaf)
                and kids[0].type == token.NAME
            ):
                out.setdefault(kids[0].value, []).append((i, kids[2], s))
                continue
    # any other binding of a name (nested, augmented, tuple, for, with, def) -> unknown
    for node in walk(func):
        if not isinstance(node, Leaf) or node.type != token.NAME:
            continue
        parent = node.parent
        nxt = node.next_sibling
        bound = False
        if parent.type == syms.expr_stmt and nxt is not None and nxt.type == syms.annassign:
            bound = True  # annotated assignment (`x: T = v`)
        elif (
            parent.type == syms.expr_stmt
            and isinstance(nxt, Leaf)
            and nxt.type != token.EQUAL
            and nxt.value.endswith("=")
        ):
            bound = True  # augmented assignment
        elif parent.type == syms.expr_stmt and nxt is not None and nxt.type == token.EQUAL:
            top = parent.parent
            if not (
                top.type == syms.simple_stmt
                and top.parent is func.children[-1]
                and parent.children[0] is node
                and len(parent.children) == 3
            ):
                bound = True
        elif parent.type in (
            syms.exprlist,
            syms.testlist_star_expr,
            syms.testlist_gexp,
        ) and _in_target(parent):
            bound = True
        elif parent.type == syms.for_stmt and parent.children[1] is node:
            bound = True
        elif (
            parent.type
            in (syms.with_stmt, syms.asexpr_test if hasattr(syms, "asexpr_test") else -1)
            and node.prev_sibling is not None
            and node.prev_sibling.value == "as"
        ):
            bound = True
        elif (
            parent.type in (syms.funcdef, syms.classdef)
            and parent.children[1] is node
            and parent is not func
        ):
            bound = True
        elif parent.type in (
            syms.global_stmt,
            syms.nonlocal_stmt if hasattr(syms, "nonlocal_stmt") else -1,
        ):
            bound = True
        if bound:
            bad.add(node.value)
    return {name: (index, assigns) for name, assigns in out.items() if name not in bad}


def _in_target(node) -> bool:
    cur = node
    while cur.parent is not None and cur.parent.type in (
        syms.atom,
        syms.exprlist,
        syms.testlist_star_expr,
        syms.testlist_gexp,
    ):
        cur = cur.parent
    parent = cur.parent
    if parent is None:
        return False
    if parent.type == syms.expr_stmt:
        nxt = cur.next_sibling
        return nxt is not None and nxt.type == token.EQUAL
    if parent.type in (syms.for_stmt, syms.comp_for, getattr(syms, "old_comp_for", -1)):
        return parent.children[1] is cur
    return False
