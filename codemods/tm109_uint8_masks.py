"""TM109 uint8-masks: ``.byte()`` masks -> ``.bool()``, ``torch.ByteTensor([...])``
masks -> ``torch.tensor([...], dtype=torch.bool)``, and ``1 - m`` -> ``~m``
once ``m`` is bool.

Only values with mask evidence are touched: the ``.byte()`` result is used
directly as a mask (``masked_fill``/``masked_select``/``masked_scatter``
argument, ``x[m]`` index, ``torch.where`` condition), or it is assigned to a
local name whose every use is a mask use, a count (``.sum()``, ``.any()``,
``.float()``, ...) or ``1 - m``.
"""

from __future__ import annotations

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods import analysis as A
from codemods._tm1common import (
    CALL_PATTERN,
    function_call,
    is_call_trailer,
    is_dot_trailer,
    method_calls,
    name_role,
)
from codemods.base import (
    MANUAL,
    SAFE,
    UNSAFE,
    Example,
    Rule,
    RuleFixer,
    call_args,
    enclosing_function,
    ensure_import,
    parse_expr,
)

MASK_METHODS = {"masked_fill", "masked_fill_", "masked_select", "masked_scatter", "masked_scatter_"}
COUNT_METHODS = {
    "sum",
    "any",
    "all",
    "float",
    "long",
    "int",
    "nonzero",
    "cuda",
    "cpu",
    "to",
    "numel",
}


def _arg_position(expr):
    """(call trailer, positional index) when ``expr`` is a positional argument."""
    parent = expr.parent
    if parent is None:
        return None
    if parent.type == syms.trailer and is_call_trailer(parent):
        return parent, 0
    if parent.type == syms.arglist and parent.parent is not None and is_call_trailer(parent.parent):
        idx = 0
        for child in parent.children:
            if child is expr:
                return parent.parent, idx
            if child.type == syms.argument:
                return None  # after a keyword: not positional
            if child.type != token.COMMA:
                idx += 1
    return None


def mask_use(ctx, expr) -> bool:
    """True when the value of ``expr`` is consumed as a boolean mask."""
    parent = expr.parent
    if parent is None:
        return False
    if (
        parent.type == syms.trailer
        and parent.children[0].type == token.LSQB
        and len(parent.children) == 3
    ):
        return True  # x[m]
    pos = _arg_position(expr)
    if pos is None:
        return False
    trailer, idx = pos
    power = trailer.parent
    i = power.children.index(trailer)
    prev = power.children[i - 1] if i > 0 else None
    if (
        idx == 0
        and prev is not None
        and prev.type == syms.trailer
        and prev.children[0].type == token.DOT
    ):
        if prev.children[1].value in MASK_METHODS and i >= 2:
            return True
    call = function_call(ctx, power)
    if call is not None and call.trailer is trailer:
        if call.qualname == "torch.where" and idx == 0:
            return True
        if call.qualname in ("torch.masked_select", "torch.masked_fill") and idx == 1:
            return True
    return False


def _binds_param(funcdef, name) -> bool:
    params = funcdef.children[2]
    return any(leaf.type == token.NAME and leaf.value == name for leaf in params.leaves())


def _is_target(leaf) -> bool:
    """``name = ...``, ``a, name = ...`` or ``for name in ...``: a binding occurrence."""
    node = leaf
    if node.parent is not None and node.parent.type in (syms.exprlist, syms.testlist_star_expr):
        node = node.parent
    parent = node.parent
    if parent is None:
        return False
    if parent.type == syms.expr_stmt:
        nxt = node.next_sibling
        return nxt is not None and nxt.type == token.EQUAL
    return parent.type == syms.for_stmt and parent.children[1] is node


def _binds_local(funcdef, name) -> bool:
    """``name`` is a local variable of ``funcdef`` (a parameter, or assigned in
    its own body without a ``global``/``nonlocal`` declaration)."""
    if _binds_param(funcdef, name):
        return True
    assigned = False
    for leaf in funcdef.children[-1].leaves():
        if leaf.type != token.NAME or leaf.value != name:
            continue
        if leaf.parent is not None and leaf.parent.type == syms.global_stmt:
            return False
        if enclosing_function(leaf) is funcdef and _is_target(leaf):
            assigned = True
    return assigned


def _scope_uses(scope, name, binding):
    """Uses of ``name`` in ``scope``; None when a nested function reads it
    without binding it locally (a closure/global the rule won't follow)."""
    out = []
    for leaf in scope.leaves():
        if leaf.type != token.NAME or leaf.value != name or leaf is binding:
            continue
        if leaf.prev_sibling is not None and leaf.prev_sibling.type == token.DOT:
            continue
        inner = enclosing_function(leaf)
        if inner is not None and inner is not scope:
            local = False
            while inner is not None and inner is not scope:
                if _binds_local(inner, name):
                    local = True  # a different variable
                    break
                inner = enclosing_function(inner)
            if local:
                continue
            return None
        out.append(leaf)
    return out


def _tuple_items(node):
    if node.type in (syms.exprlist, syms.testlist_star_expr, syms.testlist):
        return [c for c in node.children if c.type != token.COMMA]
    return [node]


def _assign_pairs(stmt):
    """(target, value) pairs of ``a = x`` / ``a, b = x, y``."""
    kids = stmt.children
    if stmt.type != syms.expr_stmt or len(kids) != 3 or kids[1].type != token.EQUAL:
        return []
    targets, values = _tuple_items(kids[0]), _tuple_items(kids[2])
    if len(targets) != len(values):
        return []
    return list(zip(targets, values))


def _is_variable_of(ctx, node, name) -> bool:
    """``Variable(name, ...)``: the identity on 2.13 (TM001 removes it)."""
    if node.type != syms.power:
        return False
    call = function_call(ctx, node)
    if call is None or call.qualname != "torch.autograd.Variable":
        return False
    if call.index != len(node.children) - 1 or not call.args:
        return False
    first = call.args[0]
    return (
        first.name is None
        and not first.star
        and isinstance(first.value, Leaf)
        and first.value.type == token.NAME
        and first.value.value == name
    )


def _identity_rebind(ctx, use, name) -> bool:
    """``name = Variable(name)`` (also inside a tuple assignment such as
    ``src, name = Variable(src), Variable(name)``): either occurrence of ``name``."""
    stmt = use.parent
    if stmt is not None and stmt.type in (syms.exprlist, syms.testlist_star_expr):
        stmt = stmt.parent
    if stmt is not None and stmt.type == syms.expr_stmt:
        for target, value in _assign_pairs(stmt):
            if target is use:
                return _is_variable_of(ctx, value, name)
    # the argument of Variable(name) on the right-hand side
    trailer = use.parent
    if trailer is not None and trailer.type == syms.arglist:
        trailer = trailer.parent
    if trailer is None or trailer.type != syms.trailer or trailer.parent is None:
        return False
    power = trailer.parent
    stmt = power.parent
    if stmt is not None and stmt.type in (syms.exprlist, syms.testlist_star_expr, syms.testlist):
        stmt = stmt.parent
    if stmt is None or stmt.type != syms.expr_stmt or not _is_variable_of(ctx, power, name):
        return False
    return any(
        value is power and isinstance(target, Leaf) and target.value == name
        for target, value in _assign_pairs(stmt)
    )


def _params(funcdef):
    """Positional parameter NAME leaves of ``funcdef`` (up to ``*``/``**``)."""
    inner = funcdef.children[2].children[1]
    if inner.type == token.RPAR:
        return []
    items = inner.children if inner.type == syms.typedargslist else [inner]
    out = []
    skip = False
    for child in items:
        if skip:
            skip = False
            continue
        if child.type == token.EQUAL:
            skip = True
        elif child.type in (token.STAR, token.DOUBLESTAR):
            break
        elif child.type == token.NAME:
            out.append(child)
        elif child.type == syms.tname:
            out.append(child.children[0])
    return out


def _top_defs(tree):
    """Module-level ``def``/``class`` nodes by name."""
    out = {}
    for child in tree.children:
        node = child.children[-1] if child.type == syms.decorated else child
        if node.type in (syms.funcdef, syms.classdef):
            out.setdefault(node.children[1].value, []).append(node)
    return out


def _class_method(classdef, name):
    for child in classdef.children[-1].children:
        node = child.children[-1] if child.type == syms.decorated else child
        if node.type == syms.funcdef and node.children[1].value == name:
            if child.type == syms.decorated:
                return None  # staticmethod/property/...: not followed
            return node
    return None


def _module_binds(tree, name):
    """Module-level binding statements of ``name``; None when it is also
    bound elsewhere in a way the rule does not follow."""
    out = []
    for leaf in tree.leaves():
        if leaf.type != token.NAME or leaf.value != name:
            continue
        if leaf.prev_sibling is not None and leaf.prev_sibling.type == token.DOT:
            continue
        if leaf.parent is not None and leaf.parent.type == syms.global_stmt:
            return None
        owner = leaf.parent if leaf.parent.type in (syms.funcdef, syms.classdef) else leaf
        if enclosing_function(owner) is None and name_role(leaf) in ("bind", "import"):
            out.append(leaf)
    return out


def _instance_class(ctx, name):
    """The module-level class ``C`` when ``name`` is bound once, as ``name = C(...)``."""
    binds = _module_binds(ctx.tree, name)
    if not binds or len(binds) != 1:
        return None
    stmt = binds[0].parent
    if stmt.type != syms.expr_stmt or len(stmt.children) != 3 or stmt.children[0] is not binds[0]:
        return None
    value = stmt.children[2]
    if not (
        value.type == syms.power
        and len(value.children) == 2
        and value.children[0].type == token.NAME
        and is_call_trailer(value.children[1])
    ):
        return None
    defs = _top_defs(ctx.tree).get(value.children[0].value, [])
    if len(defs) == 1 and defs[0].type == syms.classdef:
        return defs[0]
    return None


def _callee_param(ctx, use):
    """(function, parameter leaf) when ``use`` is an argument of a call to a
    function or method defined in this file; None when it cannot be followed."""
    parent = use.parent
    keyword = None
    if parent.type == syms.argument and len(parent.children) == 3 and parent.children[2] is use:
        if parent.children[1].type != token.EQUAL:
            return None
        keyword = parent.children[0].value
        trailer = parent.parent.parent if parent.parent.type == syms.arglist else parent.parent
        idx = None
    else:
        pos = _arg_position(use)
        if pos is None:
            return None
        trailer, idx = pos
    if trailer is None or not is_call_trailer(trailer):
        return None
    power = trailer.parent
    kids = power.children
    i = kids.index(trailer)
    if kids[0].type != token.NAME:
        return None
    head = kids[0].value
    func = None
    offset = 0
    if i == 1:
        defs = _top_defs(ctx.tree).get(head, [])
        binds = _module_binds(ctx.tree, head)
        if (
            len(defs) == 1
            and defs[0].type == syms.funcdef
            and binds is not None
            and len(binds) == 1
        ):
            func = defs[0]
        else:
            cls = _instance_class(ctx, head)
            if cls is not None:
                func = _class_method(cls, "__call__") or _class_method(cls, "forward")
                offset = 1
    elif i == 2 and is_dot_trailer(kids[1]):
        method = kids[1].children[1].value
        if head == "self":
            owner = enclosing_function(use)
            cls = owner.parent if owner is not None else None
            while cls is not None and cls.type != syms.classdef:
                cls = cls.parent
        else:
            cls = _instance_class(ctx, head)
        if cls is not None:
            func = _class_method(cls, method)
            offset = 1
    if func is None:
        return None
    params = _params(func)
    if keyword is not None:
        match = [p for p in params[offset:] if p.value == keyword]
        return (func, match[0]) if match else None
    if offset + idx < len(params):
        return func, params[offset + idx]
    return None


def _is_comparison(node) -> bool:
    """``(a == b)`` / ``x.eq(y)``-style receivers: values that are 0/1 by construction."""
    while node.type == syms.atom and len(node.children) == 3 and node.children[0].value == "(":
        node = node.children[1]
    if node.type == syms.comparison:
        return True
    if node.type == syms.power and len(node.children) >= 3:
        kids = node.children
        if kids[-2].type == syms.trailer and kids[-2].children[0].type == token.DOT:
            return kids[-2].children[1].value in (
                "eq",
                "ne",
                "lt",
                "le",
                "gt",
                "ge",
            ) and is_call_trailer(kids[-1])
    return False


def _passed_on(ctx, leaf) -> bool:
    """``f(..., m, ...)`` for a call that is not a torch function (a user
    function/module, or ``Variable(m)``)."""
    parent = leaf.parent
    if parent.type == syms.arglist:
        parent = parent.parent
    if parent.type != syms.trailer or not is_call_trailer(parent):
        return False
    power = parent.parent
    call = function_call(ctx, power)
    if call is not None and call.trailer is parent:
        q = call.qualname or ""
        return q == "torch.autograd.Variable" or not q.startswith("torch")
    return False


def _analyze_name(ctx, scope, name, binding, depth=0):
    """(evidence, passed, problem, nots) for a mask candidate bound to ``name``."""
    uses = _scope_uses(scope, name, binding)
    if uses is None:
        return False, False, "it is read in a nested function", []
    evidence = passed = False
    nots = []
    for use in uses:
        parent = use.parent
        nxt = use.next_sibling
        if _identity_rebind(ctx, use, name):
            continue  # name = Variable(name): the same tensor
        if parent.type in (syms.expr_stmt, syms.exprlist, syms.testlist_star_expr) and (
            nxt is not None and nxt.type == token.EQUAL or parent.type != syms.expr_stmt
        ):
            return evidence, passed, f"`{name}` is re-assigned (line {use.get_lineno()})", nots
        kind = _classify_use(ctx, use)
        if kind == "mask":
            evidence = True
        elif kind == "count":
            pass
        elif isinstance(kind, tuple):
            arith = kind[1]
            nots.append((arith, name))
            stmt = arith.parent
            if (
                depth < 3
                and stmt.type == syms.expr_stmt
                and len(stmt.children) == 3
                and stmt.children[2] is arith
                and isinstance(stmt.children[0], Leaf)
                and stmt.children[0].type == token.NAME
            ):
                ev, ps, problem, more = _analyze_name(
                    ctx, scope, stmt.children[0].value, stmt.children[0], depth + 1
                )
                if problem:
                    return evidence, passed, problem, nots
                evidence = evidence or ev
                passed = passed or ps
                nots.extend(more)
        elif depth < 3 and (target := _callee_param(ctx, use)) is not None:
            func, param = target
            fname = func.children[1].value
            ev, ps, problem, more = _analyze_name(ctx, func, param.value, param, depth + 1)
            if problem:
                problem = f"it is passed to `{fname}()`, where {problem}"
                return evidence or ev, passed, problem, nots
            if more:
                problem = (
                    f"it is passed to `{fname}()`, which computes `1 - {param.value}` "
                    "(other callers may pass non-bool values)"
                )
                return evidence or ev, passed, problem, nots
            evidence = evidence or ev
            passed = passed or ps
        elif _passed_on(ctx, use):
            passed = True
        else:
            return evidence, passed, f"`{name}` is also used as `{str(parent).strip()}`", nots
    return evidence, passed, None, nots


def _classify_use(ctx, leaf):
    """'mask', 'count', ('not', arith_node) or None (anything else)."""
    parent = leaf.parent
    if parent.type == syms.power and parent.children[0] is leaf:
        kids = parent.children
        if (
            len(kids) >= 3
            and kids[1].type == syms.trailer
            and kids[1].children[0].type == token.DOT
        ):
            if kids[1].children[1].value in COUNT_METHODS and is_call_trailer(kids[2]):
                return "count"
        return None
    if parent.type == syms.atom and len(parent.children) == 3 and parent.children[0].value == "(":
        grand = parent.parent
        if grand is not None and grand.type == syms.power and grand.children[0] is parent:
            return None
    if parent.type == syms.arith_expr and len(parent.children) == 3 and parent.children[2] is leaf:
        first, op = parent.children[0], parent.children[1]
        if op.value == "-" and isinstance(first, Leaf) and first.value == "1":
            return ("not", parent)
        return None
    if mask_use(ctx, leaf):
        return "mask"
    return None


class ByteMaskFixer(RuleFixer):
    PATTERN = CALL_PATTERN
    TRIGGERS = frozenset({"byte", "ByteTensor"})

    def visit(self, node, results) -> None:
        kids = node.children
        for i, name, trailer in method_calls(node):
            if name == "byte" and i == len(kids) - 1 and not call_args(trailer):
                self._value(node, kids[i - 1].children[1], self._byte_fix)
        call = function_call(self.ctx, node)
        if call is not None and call.qualname in ("torch.ByteTensor", "torch.cuda.ByteTensor"):
            if call.index == len(kids) - 1:
                self._value(node, call.name_leaf, self._ctor_fix(call))

    def _byte_fix(self, leaf):
        def fix():
            leaf.value = "bool"

        return fix, ".bool()"

    def _ctor_fix(self, call):
        args = call.args
        if (
            len(args) == 1
            and args[0].name is None
            and not args[0].star
            and args[0].value.type == syms.atom
            and str(args[0].value).strip().startswith("[")
        ):
            data = str(args[0].value).strip()
            device = ", device='cuda'" if call.qualname.startswith("torch.cuda") else ""
            text = f"torch.tensor({data}, dtype=torch.bool{device})"
            tree = self.ctx.tree

            def build(call=call, text=text):
                def fix():
                    new = parse_expr(text)
                    new.prefix = call.power.prefix
                    call.power.replace(new)
                    ensure_import(tree, "torch")

                return fix, text

            return build
        return None

    def _value(self, power, leaf, make_fix) -> None:
        if make_fix is None:
            return
        if callable(make_fix) and make_fix.__name__ == "_byte_fix":
            fix, text = make_fix(leaf)
        else:
            fix, text = make_fix()
        what = "`.byte()`" if text == ".bool()" else "`torch.ByteTensor([...])`"
        why = (
            "since 1.2 masks must be bool: masked_fill/masked_select/masked_scatter raise on "
            "uint8 masks and uint8 indexing/torch.where warn"
        )
        if mask_use(self.ctx, power):
            self.report(
                leaf,
                f"{what} used as a mask: {why}; use `{text}`",
                UNSAFE,
                fix=fix,
                suggestion=text,
            )
            return
        # m = <expr>.byte()
        parent = power.parent
        if not (
            parent is not None
            and parent.type == syms.expr_stmt
            and len(parent.children) == 3
            and parent.children[2] is power
            and isinstance(parent.children[0], Leaf)
            and parent.children[0].type == token.NAME
        ):
            return
        target = parent.children[0]
        scope = enclosing_function(power) or self.ctx.tree
        evidence, passed, problem, nots = _analyze_name(self.ctx, scope, target.value, target)
        receiver = power.children[0] if len(power.children) == 3 else None
        comparison = receiver is not None and _is_comparison(receiver)
        if not evidence and not (passed and comparison):
            if problem and comparison:
                self.report(
                    leaf,
                    f"`{target.value}` is a comparison converted to uint8 ({what}): if it is used "
                    f"as a mask, {why}; it cannot be converted automatically because {problem}: "
                    f"use `{text}` and `~{target.value}` for `1 - {target.value}` by hand",
                    MANUAL,
                )
            return  # no mask evidence: maybe image data, leave it alone
        if problem:
            self.report(
                leaf,
                f"`{target.value}` ({what}) is used as a mask ({why}), but {problem} (note "
                f"`~{target.value}` is bitwise on uint8): convert it with `{text}` and check "
                "each use (`1 - m` -> `~m` once it is bool)",
                MANUAL,
            )
            return

        def fix_all(fix=fix, nots=tuple(nots)):
            fix()
            for arith, name in nots:
                new = parse_expr(f"~{name}")
                new.prefix = arith.prefix
                arith.replace(new)

        extra = "; " + ", ".join(f"`1 - {n}` becomes `~{n}`" for _a, n in nots) if nots else ""
        how = (
            "is used as a mask"
            if evidence
            else "is a comparison result passed on to other code (presumably a mask there)"
        )
        self.report(
            leaf,
            f"`{target.value}` ({what}) {how}: {why}; use `{text}`{extra}",
            UNSAFE,
            fix=fix_all,
            suggestion=text,
        )


# --------------------------------------------------------------------------
# Arithmetic on comparison masks, which are bool since PyTorch 1.2
# --------------------------------------------------------------------------
def _operand(node) -> str:
    text = str(node).strip()
    return text if node.type in (token.NAME, syms.power, syms.atom) else f"({text})"


class BoolMaskArithFixer(RuleFixer):
    """``1 - mask``, ``mask - 1``, ``-mask``, ``mask.sub(1)`` where ``mask`` is a
    comparison result: uint8 in 0.3, bool today (the subtraction raises)."""

    PATTERN = "arith_expr< any any any > | factor< '-' any > | power< any trailer+ >"
    TRIGGERS = frozenset({"-", "sub", "sub_", "neg", "neg_", "__sub__"})

    def visit(self, node, results) -> None:
        ctx = self.ctx
        raises = (
            "comparison results are bool since PyTorch 1.2 (uint8 before), and `-`/`sub` on a "
            "bool tensor raises `Subtraction, the `-` operator, with a bool tensor is not supported`"
        )
        if node.type == syms.arith_expr:
            left, op, right = node.children
            if op.value != "-":
                return
            if left.type == token.NUMBER and left.value == "1" and A.is_bool_mask(ctx, right):
                new = f"~{_operand(right)}"
                self._fix(
                    node,
                    new,
                    UNSAFE,
                    f"`{str(node).strip()}`: {raises}; `{new}` is the same mask as a bool (0.3 "
                    "gave a uint8 0/1 mask: masks, counts and `.float()`/`.byte()` of it are "
                    "unchanged; plain integer arithmetic on it now promotes instead of wrapping at "
                    "255)",
                )
            elif (
                right.type == token.NUMBER
                and right.value.isdigit()
                and A.is_bool_mask(ctx, left)
                and not _is_aug_target(node)
            ):
                new = f"{_operand(left)}.byte() - {right.value}"
                scalar = _scalar_comparison(ctx, left)
                self._fix(
                    node,
                    new,
                    UNSAFE if scalar else SAFE,
                    f"`{str(node).strip()}`: {raises}; `{new}` computes on uint8 exactly as 0.3 did "
                    "(including the wrap-around to 255)" + (_SCALAR_NOTE if scalar else ""),
                )
            return
        if node.type == syms.factor:
            operand = node.children[1]
            if A.is_bool_mask(ctx, operand):
                new = f"-{_operand(operand)}.byte()"
                scalar = _scalar_comparison(ctx, operand)
                self._fix(
                    node,
                    new,
                    UNSAFE if scalar else SAFE,
                    f"`{str(node).strip()}`: negating a bool tensor raises since PyTorch 1.2 (the "
                    f"mask was uint8 before); `{new}` computes on uint8 exactly as 0.3 did"
                    + (_SCALAR_NOTE if scalar else ""),
                )
            return
        chain = A.chain_of(node)
        for i in range(1, len(chain) - 1):
            if not (A.is_attr(chain[i]) and A.is_call(chain[i + 1])):
                continue
            meth = A.attr_name(chain[i])
            if meth not in ("sub", "sub_", "neg", "neg_", "__sub__"):
                continue
            recv = chain[:i]
            recv_node = recv[0] if len(recv) == 1 else None
            if recv_node is None:
                probe = Node(syms.power, [c.clone() for c in recv])
                probe.parent = node
                ok = A.is_bool_mask(ctx, probe)
            else:
                ok = A.is_bool_mask(ctx, recv_node)
            if not ok:
                continue
            old = A.chain_text(chain[: i + 2])
            if meth.endswith("_"):
                self.report(
                    chain[i],
                    f"`{old}`: {raises}; the in-place form cannot keep the tensor's dtype: "
                    f"rebind it (`m = m.byte().{meth[:-1]}(...)`) or use `~m` for an inverted mask",
                    MANUAL,
                )
                continue
            new_prefix = A.chain_text(recv) + ".byte()"
            new = new_prefix + A.chain_text(chain[i : i + 2])
            trailer = chain[i]

            def fix(node=node, trailer=trailer, i=i):
                if trailer.parent is not node:
                    return False
                at = node.children.index(trailer)
                node.insert_child(
                    at, Node(syms.trailer, [Leaf(token.DOT, "."), Leaf(token.NAME, "byte")])
                )
                node.insert_child(
                    at + 1, Node(syms.trailer, [Leaf(token.LPAR, "("), Leaf(token.RPAR, ")")])
                )
                return None

            scalar = recv_node is not None and _scalar_comparison(ctx, recv_node)
            self.report(
                chain[i],
                f"`{old}`: {raises}; `{new}` computes on uint8 exactly as 0.3 did"
                + (_SCALAR_NOTE if scalar else ""),
                UNSAFE if scalar else SAFE,
                fix=fix,
                suggestion=new,
            )

    def _fix(self, node, new: str, safety: str, message: str) -> None:
        def fix(node=node, new=new):
            repl = parse_expr(new)
            repl.prefix = node.prefix
            node.replace(repl)

        self.report(node, message, safety, fix=fix, suggestion=new)


_ZERO_DIM = {"sum", "mean", "max", "min", "prod", "norm", "std", "var", "median", "item", "dot"}


def _scalar_operand(node) -> bool:
    """``x.sum()``, ``x.max()``, ``x[2]``, ``torch.dot(a, b)``: a value that
    was a Python number in 0.3 when ``x`` was a plain tensor (not a
    Variable), so comparing it gave a Python bool, not a uint8 mask."""
    node = A.unparen(node)
    if node.type != syms.power:
        return False
    chain = A.chain_of(node)
    last = chain[-1]
    if A.is_index(last):
        return True  # ``x[i]`` of a 1-D tensor was a number
    if len(chain) >= 2 and A.is_call(last) and A.is_attr(chain[-2]):
        return A.attr_name(chain[-2]) in _ZERO_DIM and len(last.children) == 2
    return False


def _scalar_comparison(ctx, expr) -> bool:
    """The mask ``expr`` is (or is bound only to) a comparison with an
    operand that :func:`_scalar_operand` says was a number in 0.3."""
    expr = A.unparen(expr)
    values = [expr]
    if expr.type == token.NAME:
        found = A.assignments_of(ctx, expr.value, expr)
        values = [rhs for _op, rhs in found] if found else []
    for v in values:
        v = A.unparen(v)
        if v.type == syms.comparison and (
            _scalar_operand(v.children[0]) or _scalar_operand(v.children[-1])
        ):
            return True
    return False


_SCALAR_NOTE = (
    "; unsafe: it compares a value that was a Python number in 0.3 when its tensor was a plain "
    "tensor, not a Variable (a full reduction, an element): then the comparison was a Python "
    "bool and this arithmetic was on ints (`int(m) - 1`), not uint8"
)


def _is_aug_target(node) -> bool:
    parent = node.parent
    return parent is not None and parent.type == syms.expr_stmt and parent.children[0] is node


RULE = Rule(
    id="TM109",
    name="uint8-masks",
    short="uint8 mask or arithmetic on a bool mask: masks are bool since PyTorch 1.2",
    summary="Use bool masks instead of uint8 (`.byte()`, `ByteTensor`) masks, and fix "
    "arithmetic on comparison masks (bool since 1.2)",
    why=(
        "PyTorch 1.2 made comparisons return `torch.bool` and deprecated uint8 masks. On "
        "2.13, `masked_fill`/`masked_select`/`masked_scatter_` and `x[m] = v` raise on uint8 "
        "masks (`masked_fill_ only supports boolean masks, but got mask with dtype unsigned "
        "char`), `x[m]` and `torch.where(m, ...)` warn. On bool masks `1 - m` raises; `~m` on "
        "a uint8 mask is bitwise (254/255), not logical."
    ),
    safety=UNSAFE,
    doc="""
## What it does
- `<expr>.byte()` whose value is used as a mask (argument of `masked_fill(_)`,
  `masked_select`, `masked_scatter(_)`, index `x[...]`, condition of `torch.where`) ->
  `<expr>.bool()`.
- `m = <expr>.byte()` (or `torch.ByteTensor([0, 1, ...])`) when, in the same function,
  `m` is used as a mask and otherwise only counted (`.sum()`, `.any()`, `.float()`, ...)
  or negated as `1 - m`: the value becomes bool and `1 - m` becomes `~m`.
- `torch.ByteTensor([...])` masks -> `torch.tensor([...], dtype=torch.bool)`.
- A mask name passed to a function or method defined in the same file (`f(m)`,
  `self.f(m)`, `obj(m)` / `obj.f(m)` for a module-level `obj = Cls(...)`, by position or
  keyword) counts as a mask use when that parameter is itself only used as a mask or
  counted there; `m = Variable(m)` (also `src, m = Variable(src), Variable(m)`) keeps the
  same tensor. A function elsewhere in the file with its own local `m` is not confused
  with it.

- Arithmetic on comparison results, which are bool since 1.2 (uint8 before): where
  `m` is provably a comparison of a tensor (`x > 0`, `x.eq(y)`, `&`/`|`/`~` of such
  masks, `Variable(m)`/`m.cuda()` of one, a name bound only to them, or a call of a
  function of this file that returns only them, such as OpenNMT's
  `sequence_mask(lengths)`):
  - `1 - m` -> `~m` (also inside `(1 - m).byte()`, `(1 - m).float().sum()`);
  - `m - 1` -> `m.byte() - 1`, `-m` -> `-m.byte()`, `m.sub(1)` -> `m.byte().sub(1)`,
    `m.neg()` -> `m.byte().neg()`: the uint8 arithmetic of 0.3, wrap-around included;
  - `m.sub_(1)` and other in-place forms are reported.
  `.byte()` masks are uint8 today, so `1 - m` still works on them: they are handled
  by the `.byte()` rewrite above, never by this one.

## Why is this bad
The uint8-mask code raises or warns on 2.13.

## Fix safety
- Unsafe (REVIEW): as a mask, a bool tensor selects the same elements as a 0/1 uint8
  tensor; the rewrite needs a person to confirm the values were 0/1.
- Manual: a mask name that is also used in other ways (arithmetic, `~m` which was
  *bitwise* on uint8, re-assigned, read by a nested function as a closure/global), or
  passed to a function of the file whose parameter is used in such ways or as `1 - p`
  (its other callers may pass uint8/float values): each use needs a look.
- `.byte()` without mask evidence (e.g. image data `(img * 255).byte()`) is left alone.
- Comparison masks: `1 - m` -> `~m` is unsafe (the same mask and the same counts, as
  bool instead of uint8; integer arithmetic on it now promotes instead of wrapping);
  `m - 1`, `-m`, `m.sub(1)` -> `.byte()` first is safe (exactly 0.3's uint8 result).
""",
    examples=(
        Example(
            before=(
                "import torch\n"
                "x = torch.FloatTensor([-1.0, -2.0, 3.0])\n"
                "neg = x.sum() < 0\n"
                "print(neg - 1)\n"
            ),
            findings=("unsafe",),
            title="a comparison of a reduction (a Python number in 0.3 on a plain tensor): unsafe",
        ),
        Example(
            before=(
                "def f(scores, lengths, max_len):\n"
                "    mask = (scores > 0).byte()\n"
                "    scores = scores.masked_fill(1 - mask, -1e9)\n"
                "    n = mask.sum()\n"
                "    return scores[mask], n\n"
            ),
            after=(
                "def f(scores, lengths, max_len):\n"
                "    mask = (scores > 0).bool()\n"
                "    scores = scores.masked_fill(~mask, -1e9)\n"
                "    n = mask.sum()\n"
                "    return scores[mask], n\n"
            ),
            unsafe_fixes=True,
            title="a mask name: `.bool()` and `1 - m` -> `~m` (with --unsafe-fixes)",
        ),
        Example(
            before=(
                "import torch\n"
                "y = x.masked_select(x.gt(0).byte())\n"
                "keep = torch.ByteTensor([1, 0, 1])\n"
                "z = x[keep]\n"
            ),
            after=(
                "import torch\n"
                "y = x.masked_select(x.gt(0).byte())\n"
                "keep = torch.ByteTensor([1, 0, 1])\n"
                "z = x[keep]\n"
            ),
            findings=("unsafe", "unsafe"),
            title="direct mask use and a ByteTensor mask: reported",
        ),
        Example(
            before=(
                "import torch\n"
                "y = x.masked_select(x.gt(0).byte())\n"
                "keep = torch.ByteTensor([1, 0, 1])\n"
                "z = x[keep]\n"
            ),
            after=(
                "import torch\n"
                "y = x.masked_select(x.gt(0).bool())\n"
                "keep = torch.tensor([1, 0, 1], dtype=torch.bool)\n"
                "z = x[keep]\n"
            ),
            unsafe_fixes=True,
            title="direct mask use and a ByteTensor mask (with --unsafe-fixes)",
        ),
        Example(
            before=(
                "from torch.autograd import Variable\n"
                "class Attn(nn.Module):\n"
                "    def forward(self, scores, mask):\n"
                "        return scores.masked_fill(mask, -1e9)\n"
                "attn = Attn()\n"
                "mask = (src == PAD).byte()\n"
                "src, mask = Variable(src), Variable(mask)\n"
                "out = attn(scores, mask)\n"
                "n_tokens = (1 - mask).float().sum()\n"
            ),
            after=(
                "from torch.autograd import Variable\n"
                "class Attn(nn.Module):\n"
                "    def forward(self, scores, mask):\n"
                "        return scores.masked_fill(mask, -1e9)\n"
                "attn = Attn()\n"
                "mask = (src == PAD).bool()\n"
                "src, mask = Variable(src), Variable(mask)\n"
                "out = attn(scores, mask)\n"
                "n_tokens = (~mask).float().sum()\n"
            ),
            unsafe_fixes=True,
            title="a mask passed to a module of the same file (with --unsafe-fixes)",
        ),
        Example(
            before=(
                "import torch\n"
                "def sequence_mask(lengths, max_len):\n"
                "    steps = torch.arange(0, max_len).long().unsqueeze(0)\n"
                "    return steps < lengths.unsqueeze(1)\n"
                "def masked(scores, lengths, tgt):\n"
                "    mask = sequence_mask(lengths, scores.size(1))\n"
                "    pad = tgt.data.eq(0)\n"
                "    scores = scores.masked_fill(1 - mask, -1e9)\n"
                "    n_real = (1 - pad).float().sum()\n"
                "    flags = pad.sub(1)\n"
                "    return scores, n_real, flags\n"
            ),
            after=(
                "import torch\n"
                "def sequence_mask(lengths, max_len):\n"
                "    steps = torch.arange(0, max_len).long().unsqueeze(0)\n"
                "    return steps < lengths.unsqueeze(1)\n"
                "def masked(scores, lengths, tgt):\n"
                "    mask = sequence_mask(lengths, scores.size(1))\n"
                "    pad = tgt.data.eq(0)\n"
                "    scores = scores.masked_fill(~mask, -1e9)\n"
                "    n_real = (~pad).float().sum()\n"
                "    flags = pad.byte().sub(1)\n"
                "    return scores, n_real, flags\n"
            ),
            unsafe_fixes=True,
            title="comparison masks are bool today: `1 - m` -> `~m`, `m.sub(1)` on uint8",
        ),
        Example(
            before=(
                "def f(x, m, img):\n"
                "    a = 1 - (x > 0)\n"
                "    b = 1 - m\n"
                "    u = (img * 255).byte()\n"
                "    c = 1 - u\n"
                "    return a, b, c\n"
            ),
            title="must not change: unknown operands and uint8 images",
        ),
        Example(
            before=("def g(x, m):\n    inv = (m > 0).byte()\n    y = x[inv]\n    return y, ~inv\n"),
            findings=("manual",),
            title="`~m` on a uint8 mask is bitwise: reported",
        ),
        Example(
            before=(
                "img = (tensor * 255).clamp(0, 255).byte()\n"
                "arr = img.permute(1, 2, 0).numpy()\n"
                "codes = labels.byte()\n"
            ),
            title="image data, not masks",
        ),
    ),
    fixers=(ByteMaskFixer, BoolMaskArithFixer),
    tokens=(".byte()", "ByteTensor", "-"),
)
