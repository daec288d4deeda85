"""Statement-level tree surgery shared by TM001/TM002/TM004: deleting a
statement, removing a name from an import, wrapping statements in a
``with`` block and adding a decorator, all keeping comments and the file's
indentation."""

from __future__ import annotations

import re
from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods.base import NodeOrLeaf, first_leaf, parse_stmts

_BLANK = re.compile(r"[ \t]*\n")


def _block_indent(suite: Node) -> str:
    for child in suite.children:
        if child.type == token.INDENT:
            return child.value
    return ""


def _strip_first_indent(prefix: str, indent: str) -> str:
    if indent and prefix.startswith(indent):
        return prefix[len(indent) :]
    return prefix.lstrip(" \t")


def _comment_lines(prefix: str) -> str:
    """The comment lines of a statement prefix, without the blank lines and
    without the indentation of the statement itself (last line)."""
    lines = prefix.split("\n")
    keep = [ln + "\n" for ln in lines[:-1] if ln.strip()]
    return "".join(keep)


def delete_statement(stmt: Node) -> None:
    """Delete a ``simple_stmt`` (or one small statement of it), keeping the
    comments above it and putting ``pass`` where a block would be empty."""
    if stmt.type != syms.simple_stmt:
        small = stmt
        stmt = small.parent
        if stmt is not None and stmt.type == syms.simple_stmt and len(stmt.children) > 2:
            _delete_small(small)
            return
    parent = stmt.parent
    if parent is None:
        return
    if parent.type not in (syms.suite, syms.file_input):
        # the body of a one-line compound statement: ``if c: x = Variable(x)``
        _to_pass(stmt)
        return
    body = [
        c
        for c in parent.children
        if c.type not in (token.NEWLINE, token.INDENT, token.DEDENT, token.ENDMARKER)
    ]
    if parent.type == syms.suite and len(body) == 1:
        _to_pass(stmt)
        return
    idx = parent.children.index(stmt)
    nxt = parent.children[idx + 1] if idx + 1 < len(parent.children) else None
    prev = parent.children[idx - 1] if idx > 0 else None
    first_in_suite = prev is not None and prev.type == token.INDENT
    prefix = stmt.prefix
    if prev is not None and not first_in_suite and prev.type != token.NEWLINE:
        dedents = trailing_dedents(prev)
        if dedents and "\n" not in prefix:
            # after a block, the blank lines and the indentation of this line
            # live in the prefixes of the DEDENTs that close it -- the first
            # of them when several blocks close at once (``if c:`` / ``while
            # d:`` ending together): all of it goes with the line
            held = "".join(d.prefix for d in dedents)
            m = re.search(r"(?:[ \t]*\n)*[ \t]*\Z", held)
            for d in dedents:
                d.prefix = ""
            dedents[0].prefix = held[: m.start()]
            prefix = held[m.start() :] + prefix
    stmt.remove()
    if nxt is None:
        return
    comments = _comment_lines(prefix)
    if first_in_suite:
        # the INDENT leaf carries the indentation of the first statement
        if nxt.type != token.DEDENT:
            # only the deleted line goes: the blank and comment lines below
            # it stay, moved into the INDENT leaf's prefix (where fissix keeps
            # the lines above a block's first statement)
            rest = comments + nxt.prefix
            cut = rest.rfind("\n") + 1
            prev.prefix += rest[:cut]
            nxt.prefix = _strip_first_indent(rest[cut:], prev.value)
        return
    rest = nxt.prefix
    blank_before = prefix.split("\n")[0].strip() == "" and "\n" in prefix
    if comments:
        nxt.prefix = prefix[: len(prefix) - len(prefix.split("\n")[-1])] + rest
    elif blank_before and not rest.startswith("\n") and not _starts_blank(rest):
        # keep one separation: the blank lines above the deleted statement
        nxt.prefix = prefix[: len(prefix) - len(prefix.split("\n")[-1])] + rest
    else:
        nxt.prefix = rest


def code_text(node: NodeOrLeaf) -> str:
    """The text of ``node`` without comments and whitespace (prefixes dropped)."""
    return "".join(leaf.value for leaf in node.leaves())


def drop_self_assignment(new: NodeOrLeaf) -> bool:
    """Delete the statement when a fix turned it into a pure
    self-assignment (``x = x``, ``a, b = a, b``; comments around it do not
    count).  ``new`` is the replacement node (the value or an element of
    it).  Returns True when the statement was deleted."""
    cur = new
    while cur.parent is not None and cur.parent.type in (
        syms.testlist_star_expr,
        syms.exprlist,
        syms.testlist_gexp,
        syms.atom,
    ):
        cur = cur.parent
    stmt = cur.parent
    if stmt is None or stmt.type != syms.expr_stmt or len(stmt.children) != 3:
        return False
    if stmt.children[1].type != token.EQUAL or stmt.children[2] is not cur:
        return False
    target = stmt.children[0]
    if any(
        leaf.type not in (token.NAME, token.COMMA, token.LPAR, token.RPAR)
        for leaf in target.leaves()
    ):
        return False

    def norm(n) -> str:
        return re.sub(r"[()]", "", code_text(n)).rstrip(",")

    if norm(target) != norm(cur):
        return False
    delete_statement(stmt)
    return True


def trailing_dedents(node: NodeOrLeaf) -> list:
    """The DEDENT leaves that end ``node`` (one per block it closes), in text
    order.  After a block the text up to the next statement (blank and comment
    lines, that statement's indentation) lives in their prefixes -- in the
    first of them when several blocks close at once."""
    out: list = []
    for leaf in reversed(list(node.leaves())):
        if leaf.type != token.DEDENT:
            break
        out.append(leaf)
    return out[::-1]


def _last_leaf(node: NodeOrLeaf) -> Optional[Leaf]:
    while isinstance(node, Node):
        if not node.children:
            return None
        node = node.children[-1]
    return node


def _starts_blank(prefix: str) -> bool:
    return bool(_BLANK.match(prefix))


def _delete_small(small: NodeOrLeaf) -> None:
    stmt = small.parent
    kids = stmt.children
    idx = kids.index(small)
    if idx + 1 < len(kids) and kids[idx + 1].type == token.SEMI:
        nxt = kids[idx + 2] if idx + 2 < len(kids) else None
        prefix = small.prefix
        kids[idx + 1].remove()
        small.remove()
        if nxt is not None and nxt.type != token.NEWLINE:
            nxt.prefix = prefix
    elif idx > 0 and kids[idx - 1].type == token.SEMI:
        kids[idx - 1].remove()
        small.remove()


def _to_pass(stmt: Node) -> None:
    new = Leaf(token.NAME, "pass")
    small = stmt.children[0]
    new.prefix = small.prefix
    small.replace(new)
    # drop further small statements on the same line
    while len(stmt.children) > 2:
        stmt.children[1].remove()


def remove_import_name(import_from: Node, local: str) -> bool:
    """Remove the name bound as ``local`` from ``from m import a, b as c``.
    Deletes the whole statement when it was the only name."""
    kids = import_from.children
    idx = next(i for i, k in enumerate(kids) if k.type == token.NAME and k.value == "import")
    names = kids[idx + 1 :]
    container = None
    for item in names:
        if item.type == syms.import_as_names:
            container = item
    if container is None:
        item = next((n for n in names if n.type not in (token.LPAR, token.RPAR)), None)
        if item is None or _bound(item) != local:
            return False
        stmt = import_from.parent
        delete_statement(import_from if len(stmt.children) > 2 else stmt)
        return True
    elems = container.children
    target = next((e for e in elems if e.type != token.COMMA and _bound(e) == local), None)
    if target is None:
        return False
    i = elems.index(target)
    if i + 1 < len(elems) and elems[i + 1].type == token.COMMA:
        comma = elems[i + 1]
        after = elems[i + 2] if i + 2 < len(elems) else None
        prefix = target.prefix
        target.remove()
        comma.remove()
        if after is not None:
            after.prefix = prefix if "\n" not in after.prefix or "\n" in prefix else after.prefix
    elif i > 0 and elems[i - 1].type == token.COMMA:
        elems[i - 1].remove()
        target.remove()
    else:
        target.remove()
    rest = [e for e in container.children if e.type != token.COMMA]
    if not rest:
        stmt = import_from.parent
        delete_statement(stmt)
        return True
    if len(container.children) == 1:
        only = container.children[0]
        only.remove()
        container.replace(only)
        kids = import_from.children
        rpar, lpar = kids[-1], kids[-3]
        if (
            rpar.type == token.RPAR
            and lpar.type == token.LPAR
            and "#" not in str(only) + rpar.prefix
        ):
            rpar.remove()
            lpar.remove()
            only.prefix = " "
    return True


def _bound(item: NodeOrLeaf) -> Optional[str]:
    if item.type == token.NAME:
        return item.value
    if item.type == syms.import_as_name:
        return item.children[2].value
    return None


# --------------------------------------------------------------------------
# Indentation
# --------------------------------------------------------------------------


def _indent_text(text: str, unit: str, first_line: bool, content_only: bool = False) -> str:
    lines = text.split("\n")
    out = []
    last = len(lines) - 1
    for i, ln in enumerate(lines):
        if (i > 0 or first_line) and (ln.strip() or (i == last and not content_only)):
            out.append(unit + ln)
        else:
            out.append(ln)
    return "\n".join(out)


def indent_subtree(node: NodeOrLeaf, unit: str, starts_line: bool) -> None:
    """Indent every line of ``node`` by ``unit`` (prefixes and INDENT leaves;
    never the inside of string literals)."""
    prev_newline = starts_line
    for leaf in node.leaves():
        if leaf.type == token.INDENT:
            leaf.prefix = _indent_text(leaf.prefix, unit, True, content_only=True)
            leaf.value = unit + leaf.value
            prev_newline = False
            continue
        if leaf.type == token.DEDENT:
            leaf.prefix = _indent_text(leaf.prefix, unit, True, content_only=True)
            prev_newline = True
            continue
        if leaf.prefix:
            leaf.prefix = _indent_text(leaf.prefix, unit, prev_newline)
        prev_newline = leaf.type == token.NEWLINE


def indent_unit(node: NodeOrLeaf) -> str:
    """The file's indentation step (4 spaces unless the file says otherwise)."""
    root = node
    while root.parent is not None:
        root = root.parent
    for leaf in root.leaves():
        if leaf.type == token.INDENT and leaf.value:
            parent_suite = leaf.parent
            outer = _enclosing_indent(parent_suite)
            if leaf.value.startswith(outer) and len(leaf.value) > len(outer):
                return leaf.value[len(outer) :]
    return "    "


def _enclosing_indent(suite: Node) -> str:
    cur = suite.parent
    while cur is not None:
        if cur.type == syms.suite:
            return _block_indent(cur)
        cur = cur.parent
    return ""


def current_indent(stmt: Node) -> str:
    parent = stmt.parent
    if parent is not None and parent.type == syms.suite:
        return _block_indent(parent)
    return ""


# --------------------------------------------------------------------------
# with-blocks and decorators
# --------------------------------------------------------------------------


def wrap_statements(stmts: list, header: str) -> Node:
    """Move consecutive sibling statements into ``<header>:`` (e.g.
    ``with torch.no_grad()``) at their place; returns the new statement."""
    first = stmts[0]
    parent = first.parent
    unit = indent_unit(first)
    indent = current_indent(first)
    new = parse_stmts(f"{header}:\n    pass\n")[0]
    suite = new.children[-1]
    for child in suite.children:
        if child.type == token.INDENT:
            child.value = indent + unit
    pass_stmt = next(c for c in suite.children if c.type == syms.simple_stmt)
    if parent.type not in (syms.suite, syms.file_input):
        # ``if c: p.data.zero_()``: make the body a block first
        return _wrap_one_liner(first, header, unit)
    prefix = first.prefix
    idx = parent.children.index(first)
    for i, stmt in enumerate(stmts):
        stmt.remove()
        if i == 0:
            stmt.prefix = ""
        indent_subtree(stmt, unit, starts_line=i > 0)
        suite.insert_child(len(suite.children) - 1, stmt)
    pass_stmt.remove()
    new.prefix = prefix
    parent.insert_child(idx, new)
    return new


def _wrap_one_liner(stmt: Node, header: str, unit: str) -> Node:
    owner = stmt.parent
    outer = ""
    cur = owner
    while cur is not None:
        if cur.type == syms.suite:
            outer = _block_indent(cur)
            break
        cur = cur.parent
    body_indent = outer + unit
    text = f"{header}:\n{unit}{str(stmt).lstrip()}"
    new = parse_stmts(text)[0]
    indent_subtree(new, body_indent, starts_line=False)
    suite = Node(
        syms.suite,
        [Leaf(token.NEWLINE, "\n"), Leaf(token.INDENT, body_indent), new, Leaf(token.DEDENT, "")],
    )
    # the comment after the colon stays on the header line
    stmt.replace(suite)
    return new


def has_decorator(funcdef: Node, pred) -> bool:
    parent = funcdef.parent
    if parent is None or parent.type != syms.decorated:
        return False
    decs = parent.children[0]
    items = decs.children if decs.type == syms.decorators else [decs]
    return any(pred(d) for d in items)


def add_decorator(funcdef: Node, text: str) -> None:
    """Add ``@text`` directly above ``def`` (below existing decorators)."""
    parent = funcdef.parent
    dec = parse_stmts(f"@{text}\ndef _f():\n    pass\n")[0].children[0]
    dec.remove()
    if parent is not None and parent.type == syms.decorated:
        indent = first_leaf(funcdef).prefix
        dec.prefix = indent
        decs = parent.children[0]
        if decs.type == syms.decorators:
            decs.append_child(dec)
        else:
            decs.remove()
            parent.insert_child(0, Node(syms.decorators, [decs, dec]))
        return
    prefix = funcdef.prefix
    indent = prefix.split("\n")[-1] if prefix else current_indent(funcdef)
    if not prefix and parent is not None and parent.type == syms.suite:
        indent = _block_indent(parent)
        dec.prefix = ""
    else:
        dec.prefix = prefix
    funcdef.prefix = indent
    idx = parent.children.index(funcdef)
    funcdef.remove()
    parent.insert_child(idx, Node(syms.decorated, [dec, funcdef]))


# --------------------------------------------------------------------------
# Continuation lines
# --------------------------------------------------------------------------
_OPEN = "([{"
_CLOSE = ")]}"


def _unmatched(line: str) -> Optional[list]:
    """Columns of the brackets of ``line`` still open at its end (outermost
    first), or None when the line holds something the scanner does not
    follow (a triple-quoted string)."""
    stack: list = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == "#":
            break
        if ch in "'\"":
            if line.startswith(ch * 3, i):
                return None
            j = i + 1
            while j < n and line[j] != ch:
                j += 2 if line[j] == "\\" else 1
            i = j + 1
            continue
        if ch in _OPEN:
            stack.append(i)
        elif ch in _CLOSE and stack:
            stack.pop()
        i += 1
    return stack


def _stmt_start(node: NodeOrLeaf) -> Optional[NodeOrLeaf]:
    cur = node
    while cur.parent is not None and cur.parent.type not in (syms.suite, syms.file_input):
        cur = cur.parent
    return cur if cur.parent is not None else None


def column_of(node: NodeOrLeaf) -> Optional[int]:
    """The column where ``node`` starts in the printed file (None when it
    cannot be told)."""
    from codemods.base import indentation_of

    stmt = _stmt_start(node)
    if stmt is None:
        return None
    first = first_leaf(node)
    text = []
    for i, leaf in enumerate(stmt.leaves()):
        if leaf is first:
            text.append(leaf.prefix if i else "")
            break
        text.append(leaf.prefix if i else "")
        text.append(leaf.value)
    else:
        return None
    joined = "".join(text)
    if "\n" in joined:
        return len(joined) - joined.rfind("\n") - 1
    start = stmt.prefix.split("\n")[-1] if "\n" in stmt.prefix else indentation_of(stmt)
    return len(start) + len(joined)


def body_text(node: NodeOrLeaf) -> str:
    """``str(node)`` without the node's own prefix."""
    return str(node)[len(node.prefix) :]


def realign(new: NodeOrLeaf, old_text: str, col: Optional[int]) -> None:
    """Re-indent the continuation lines of ``new`` that were visually aligned
    with a bracket of the replaced text ``old_text`` (which started at
    column ``col``) when a fix moved that bracket: ``Variable(torch.zeros(3,``
    / ``4))`` keeps ``4`` under ``3`` after the unwrap.  Lines that were not
    aligned to a moved bracket (hanging indents) are left alone."""
    if col is None or "\n" not in old_text:
        return
    new_text = body_text(new).rstrip("\n")
    old_text = old_text.rstrip("\n")
    old_lines = old_text.split("\n")
    new_lines = new_text.split("\n")
    if len(old_lines) != len(new_lines):
        return
    old0, new0 = _unmatched(old_lines[0]), _unmatched(new_lines[0])
    if old0 is None or new0 is None:
        return
    # per line: (old start column of its content, shift applied)
    shifts = [0] * len(old_lines)
    # open brackets as (line, old column, new column), innermost last
    stack_old = [(0, col + c) for c in old0]
    stack_new = [col + c for c in new0]
    if len(stack_new) > len(stack_old):
        return
    # pair line-0 brackets from the innermost outwards
    pairs = list(zip(reversed(stack_old), reversed(stack_new)))
    pairs.reverse()
    open_ = [(line, oc, nc) for (line, oc), nc in pairs]
    # brackets of line 0 that disappeared in the new text (the removed call)
    # cannot be followed
    lost = len(stack_old) - len(stack_new)
    open_ = [(None, oc, None) for (_line, oc) in stack_old[:lost]] + open_
    leaves = _line_starts(new)
    for k in range(1, len(old_lines)):
        ol, nl = old_lines[k], new_lines[k]
        if not ol.strip() or not nl.strip():
            return
        indent_old = len(ol) - len(ol.lstrip(" "))
        if ol[:indent_old] != nl[: len(nl) - len(nl.lstrip(" "))] and not ol.startswith("\t"):
            return  # the fix changed this line's indentation itself
        shift = 0
        if open_:
            _line, oc, nc = open_[-1]
            if nc is not None and indent_old == oc + 1 and nc != oc:
                shift = nc - oc
        shifts[k] = shift
        if shift and k in leaves and indent_old + shift > 0:
            leaf = leaves[k]
            cut = leaf.prefix.rfind("\n") + 1
            leaf.prefix = leaf.prefix[:cut] + " " * (indent_old + shift)
        # brackets opened/closed on this line (columns relative to the line)
        rest = _unmatched(ol)
        if rest is None:
            return
        closes = _closes(ol)
        for _ in range(min(closes, len(open_))):
            open_.pop()
        for c in rest:
            open_.append((k, c, c + shift))


def _closes(line: str) -> int:
    """How many brackets opened on earlier lines ``line`` closes."""
    depth, closed = 0, 0
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == "#":
            break
        if ch in "'\"":
            j = i + 1
            while j < n and line[j] != ch:
                j += 2 if line[j] == "\\" else 1
            i = j + 1
            continue
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            if depth:
                depth -= 1
            else:
                closed += 1
        i += 1
    return closed


def _line_starts(node: NodeOrLeaf) -> dict:
    """line index (0 = the node's first line) -> the leaf starting that line."""
    out: dict = {}
    line = 0
    first = True
    for leaf in node.leaves():
        prefix = "" if first else leaf.prefix
        first = False
        n = prefix.count("\n")
        if n:
            line += n
            out.setdefault(line, leaf)
        line += leaf.value.count("\n")
    return out


def keep_alignment(node: NodeOrLeaf):
    """Call before a fix edits ``node`` (replaces it or changes it in place);
    call the function it returns after the fix.  Continuation lines of the
    enclosing statement that were aligned with a bracket the fix moved are
    re-indented to stay aligned (see :func:`realign`)."""
    cur = node
    while cur is not None and cur.type != syms.simple_stmt:
        if cur.type in (syms.suite, syms.file_input):
            cur = None
            break
        cur = cur.parent
    stmt = cur
    if stmt is None or "\n" not in body_text(stmt).rstrip("\n"):
        return lambda: None
    before = body_text(stmt).rstrip("\n")
    col = column_of(stmt)

    def after() -> None:
        if stmt.parent is None:
            return
        realign(stmt, before, col)

    return after
