"""Shared machinery of the TM3xx family (Python 2 -> 3).

Three parts:

* :func:`py2_prefilter` -- a cheap textual test (``Rule.prefilter``): a file
  can only be Python 2 when Python 3.11 refuses to compile it or when it
  contains one of the name-level Python 2 markers.
* :func:`py2_info` -- the per-run analysis of a tree (is it Python 2, and
  why; which names the file binds itself; which ``__future__`` features it
  imports).  It is computed once per engine run, on the first pass, and kept
  on the tree: later passes see the partly migrated tree and must not change
  their mind about the file.
* :class:`FissixRuleFixer` -- a :class:`~codemods.base.RuleFixer` that wraps
  one of fissix's own 2to3 fixers.  It matches with the fissix fixer's
  pattern, dry-runs the fissix transform on a detached clone of the enclosing
  statement (so ``visit`` never touches the tree, and the finding carries the
  exact replacement), classifies the site, and runs the real transform only
  inside the fix callable.

Evidence that a file is Python 2 is deliberately limited to constructs that
the TM3xx rules always remove with a *safe* fix (print/exec statements,
backticks, ``<>``, ``except E, e``, ``raise E, "m"``, ``0777``/``10L``,
``ur''`` strings, tuple parameters, calls of ``xrange``/``raw_input``/
``unicode``/... that the file does not define itself, ``.iteritems()``,
``.has_key(``, ``cPickle``-style imports, ``sys.maxint``).  So a migrated file
carries no evidence any more and a second run leaves it alone -- in
particular the ``list(...)`` wrappers of ``range``/``keys()``/``map`` are
never added twice.  Files written to run on both Pythons (``six``,
``future``, ``sys.version_info`` checks, ``try: unicode except NameError``)
count only their syntax-level evidence, which such files cannot have.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Optional

from fissix import pytree
from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods.base import (
    MANUAL,
    SAFE,
    UNSAFE,
    RuleFixer,
    collect_imports,
    compile_error,
    dotted_name,
)

# --------------------------------------------------------------------------
# Textual prefilter
# --------------------------------------------------------------------------
# py2-only module names whose import is evidence (unambiguous names only:
# ``thread``, ``repr``, ``commands``... could be a project's own module).
PY2_MODULES = (
    "cPickle",
    "cStringIO",
    "StringIO",
    "Queue",
    "urllib2",
    "urlparse",
    "ConfigParser",
    "__builtin__",
    "copy_reg",
    "SocketServer",
    "httplib",
    "cookielib",
    "xmlrpclib",
    "HTMLParser",
    "Tkinter",
    "tkMessageBox",
    "tkFileDialog",
)

PY2_BUILTIN_CALLS = ("xrange", "raw_input", "unicode", "unichr", "execfile", "long")

_MODULE_ALTS = "|".join(PY2_MODULES)
# (words one of which the text must contain, regex): the alternatives of
# ``_NAME_MARKERS``, each with the words it cannot match without.
_MARKER_PARTS = (
    (
        ("xrange", "raw_input", "unicode", "unichr", "execfile", "long"),
        r"\b(?:xrange|raw_input|unicode|unichr|execfile|long)\s*\(",
    ),
    (("basestring",), r"\bbasestring\b"),
    (("iteritems", "iterkeys", "itervalues"), r"\.(?:iteritems|iterkeys|itervalues)\s*\(\s*\)"),
    (("has_key",), r"\.has_key\s*\("),
    (("maxint",), r"\bsys\s*\.\s*maxint\b"),
    (("imap", "izip", "ifilter"), r"\bitertools\s*\.\s*(?:imap|izip|ifilter)"),
    (("imap", "izip", "ifilter"), r"\bfrom\s+itertools\s+import\b[^\n]*\b(?:imap|izip|ifilter)"),
    (PY2_MODULES, r"\b(?:import|from)\s+(?:" + _MODULE_ALTS + r")\b"),
    (PY2_MODULES, r"\bimport[ \t]+[\w., \t]*\b(?:" + _MODULE_ALTS + r")\b"),
)
_NAME_MARKERS = re.compile("|".join(rx for _words, rx in _MARKER_PARTS))
_MARKER_TESTS = tuple((words, re.compile(rx)) for words, rx in _MARKER_PARTS)


def has_name_marker(text: str) -> bool:
    """``_NAME_MARKERS.search(text) is not None``, faster: an alternative runs
    only when a word it needs occurs in the text (``re`` finds no literal to
    skip ahead to in a pattern that starts with ``\\b``, so each search tries
    every position)."""
    for words, rx in _MARKER_TESTS:
        for w in words:
            if w in text:
                if rx.search(text):
                    return True
                break
    return False


@lru_cache(maxsize=8)
def py2_prefilter(text: str) -> bool:
    """True when ``text`` may be Python 2 (cheap; no fissix parse)."""
    if has_name_marker(text):
        return True
    # print statements, backticks, except E, e, ... (or async=) do not compile
    return compile_error(text) is not None


# --------------------------------------------------------------------------
# Per-run analysis
# --------------------------------------------------------------------------
COMPOUND = {
    syms.if_stmt,
    syms.while_stmt,
    syms.for_stmt,
    syms.try_stmt,
    syms.with_stmt,
    syms.funcdef,
    syms.classdef,
    syms.decorated,
    syms.async_stmt,
    syms.async_funcdef,
}
STATEMENTS = COMPOUND | {syms.simple_stmt, syms.file_input}

_ITERTOOLS_PY2 = ("imap", "izip", "ifilter", "ifilterfalse", "izip_longest")
_COMPAT_MODULES = ("six", "future", "past", "builtins", "__future__.unicode_literals")
_COMPAT_NAMES = {"PY2", "PY3", "IS_PY2", "IS_PY3", "PY2K", "PY3K", "string_types", "text_type"}


@dataclass
class Py2Info:
    evidence: list = field(default_factory=list)  # human-readable reasons
    compat: bool = False  # written for both Pythons (six, version checks, shims)
    future: set = field(default_factory=set)  # __future__ features
    bound: set = field(default_factory=set)  # names the file binds itself
    defs: set = field(default_factory=set)  # every def name in the file
    assigned_attrs: set = field(default_factory=set)  # ``x.attr = ...`` targets
    imports: dict = field(default_factory=dict)

    @property
    def is_py2(self) -> bool:
        return bool(self.evidence)


def py2_info(ctx) -> Py2Info:
    """The analysis of the file being migrated (computed on the first pass)."""
    tree = ctx.tree
    info = getattr(tree, "_tm3_info", None)
    if info is None:
        try:
            info = _analyse(tree, ctx.py2_grammar, ctx.text)
        except Exception:  # noqa: BLE001 - never take the engine down; treat as Python 3
            info = Py2Info()
        tree._tm3_info = info
        _prepare_tree(tree, info)
    return info


def is_python2(ctx) -> bool:
    return py2_info(ctx).is_py2


def _prepare_tree(tree: Node, info: Py2Info) -> None:
    """Attributes that fissix fixers expect on a tree (refactor.py sets them)."""
    tree.future_features = frozenset(info.future)
    if not hasattr(tree, "used_names"):
        tree.used_names = {leaf.value for leaf in tree.leaves() if leaf.type == token.NAME}


def _future_features(tree: Node) -> set:
    out: set = set()
    for child in tree.children:
        if child.type != syms.simple_stmt:
            if child.type == token.ENDMARKER:
                break
            break
        first = child.children[0]
        if first.type == token.STRING:
            continue
        if first.type == syms.import_from and str(first.children[1]).strip() == "__future__":
            for leaf in first.leaves():
                if leaf.type == token.NAME and leaf.value not in (
                    "from",
                    "__future__",
                    "import",
                    "as",
                ):
                    out.add(leaf.value)
            continue
        break
    return out


def _is_try_guarded(node) -> bool:
    """Inside the body of a ``try`` that catches ImportError/NameError (a shim)."""
    cur = node
    while cur.parent is not None:
        parent = cur.parent
        if parent.type == syms.try_stmt:
            kids = parent.children
            # body is kids[2]; handlers follow
            if kids.index(cur) <= 2:
                text = " ".join(str(c) for c in kids if c.type == syms.except_clause)
                if re.search(
                    r"\b(ImportError|NameError|ModuleNotFoundError|AttributeError)\b", text
                ):
                    return True
        cur = parent
    return False


def _binding_names(leaf: Leaf) -> bool:
    """Is this NAME leaf a binding occurrence (def, class, parameter, target)?"""
    parent = leaf.parent
    if parent is None:
        return False
    pt = parent.type
    if pt in (syms.funcdef, syms.classdef):
        return parent.children[1] is leaf
    if pt in (
        syms.parameters,
        syms.typedargslist,
        syms.varargslist,
        syms.tname,
        syms.vfpdef,
        syms.tfpdef,
        syms.vfplist,
        syms.tfplist,
    ):
        prev = leaf.prev_sibling
        if pt == syms.tname:
            return parent.children[0] is leaf
        return prev is None or prev.type != token.EQUAL
    if pt == syms.argument:
        return False
    if pt in (syms.global_stmt,):
        return True
    if pt in (syms.import_as_name, syms.dotted_as_name):
        return parent.children[-1] is leaf and len(parent.children) == 3
    if pt == syms.import_from:
        prev = leaf.prev_sibling
        return prev is not None and (
            getattr(prev, "value", None) == "import" or prev.type in (token.COMMA, token.LPAR)
        )
    if pt == syms.import_as_names:
        return True
    if pt in (syms.with_stmt, syms.with_item, syms.except_clause):
        prev = leaf.prev_sibling
        return prev is not None and (
            getattr(prev, "value", None) == "as" or prev.type == token.COMMA
        )
    # assignment / loop targets: climb through tuple/list displays
    cur: Any = leaf
    while cur.parent is not None and cur.parent.type in (
        syms.testlist_star_expr,
        syms.exprlist,
        syms.testlist_gexp,
        syms.atom,
        syms.listmaker,
        syms.star_expr,
        syms.testlist,
    ):
        cur = cur.parent
    top = cur.parent
    if top is None:
        return False
    if top.type == syms.expr_stmt:
        kids = top.children
        idx = kids.index(cur)
        return idx + 1 < len(kids) and kids[idx + 1].type == token.EQUAL
    if top.type in (syms.for_stmt, syms.comp_for):
        return top.children[1] is cur
    return False


def _analyse(tree: Node, py2_grammar: bool, text: str) -> Py2Info:
    info = Py2Info()
    info.future = _future_features(tree)
    info.imports = collect_imports(tree)
    evidence: list = []
    weak: list = []  # name-level evidence, ignored in 2/3-compatible files
    if py2_grammar:
        evidence.append("print/exec statement (needs the Python 2 grammar)")
    compat = False
    for mod in info.imports.values():
        if mod.split(".")[0] in ("six", "future", "past", "builtins"):
            compat = True
    if "unicode_literals" in info.future:
        compat = True

    names: list = []
    for node in tree.pre_order():
        t = node.type
        if t == token.NAME:
            names.append(node)
            if node.value in _COMPAT_NAMES:
                compat = True
            if _binding_names(node):
                info.bound.add(node.value)
                parent = node.parent
                if parent.type == syms.funcdef:
                    info.defs.add(node.value)
        elif t == token.NOTEQUAL:
            if node.value == "<>":
                evidence.append("'<>' operator")
        elif t == token.NUMBER:
            v = node.value
            if v[-1] in "lL" or (v.startswith("0") and v.isdigit() and len(set(v)) > 1):
                evidence.append(f"Python 2 number literal {v}")
        elif t == token.STRING:
            m = re.match(r"([a-zA-Z]*)", node.value)
            pre = m.group(1).lower() if m else ""
            if "u" in pre and "r" in pre and not re.search(r"\\[uUN]", node.value):
                evidence.append("ur'' string literal")
        elif t == syms.atom:
            if node.children and node.children[0].type == token.BACKQUOTE:
                evidence.append("backtick repr")
        elif t == syms.except_clause:
            kids = node.children
            if len(kids) == 4 and kids[2].type == token.COMMA:
                evidence.append("'except E, e'")
        elif t == syms.raise_stmt:
            kids = node.children
            if len(kids) >= 4 and kids[2].type == token.COMMA and kids[1].type != token.STRING:
                evidence.append("'raise E, value'")
        elif t in (syms.tfpdef,) or (t == syms.vfpdef and node.children[0].type == token.LPAR):
            evidence.append("tuple parameter")
        elif t == syms.trailer:
            kids = node.children
            if len(kids) == 2 and kids[0].type == token.DOT:
                attr = kids[1].value
                owner = node.parent
                if (
                    owner.type == syms.power
                    and owner.children[-1] is node
                    and owner.next_sibling is not None
                    and owner.next_sibling.type == token.EQUAL
                ):
                    info.assigned_attrs.add(attr)
                if attr in ("version_info", "version", "PY2", "PY3"):
                    compat = True
                if attr in ("iteritems", "iterkeys", "itervalues", "has_key"):
                    nxt = node.next_sibling
                    if (
                        nxt is not None
                        and nxt.type == syms.trailer
                        and nxt.children[0].type == token.LPAR
                    ):
                        weak.append((attr, node))
                if attr in _ITERTOOLS_PY2:
                    prev = node.prev_sibling
                    if prev is not None and prev.type == token.NAME and prev.value == "itertools":
                        weak.append(("itertools." + attr, node))
                if attr == "maxint":
                    prev = node.prev_sibling
                    if prev is not None and prev.type == token.NAME and prev.value == "sys":
                        weak.append(("sys.maxint", node))
        elif t in (syms.import_name, syms.import_from):
            for leaf in node.leaves():
                if leaf.type == token.NAME and leaf.value in PY2_MODULES:
                    prev = leaf.prev_sibling
                    if prev is not None and prev.type == token.DOT:
                        continue
                    if (
                        leaf.parent.type in (syms.import_as_name,)
                        and leaf.parent.children[0] is not leaf
                    ):
                        continue
                    if (
                        t == syms.import_from
                        and leaf is not node.children[1]
                        and not (
                            node.children[1].type == syms.dotted_name
                            and leaf in node.children[1].children
                        )
                    ):
                        continue
                    weak.append((f"import of {leaf.value}", node))
            if t == syms.import_from and str(node.children[1]).strip() == "itertools":
                for leaf in node.leaves():
                    if leaf.type == token.NAME and leaf.value in _ITERTOOLS_PY2:
                        weak.append(("import of itertools." + leaf.value, node))

    for leaf in names:
        v = leaf.value
        if v in PY2_BUILTIN_CALLS or v == "basestring":
            prev = leaf.prev_sibling
            if prev is not None and prev.type == token.DOT:
                continue
            if v != "basestring":
                nxt = leaf.next_sibling
                if nxt is None or nxt.type != syms.trailer or nxt.children[0].type != token.LPAR:
                    continue
            weak.append((f"{v}" + ("" if v == "basestring" else "()"), leaf))

    pandas_like = any(m.split(".")[0] in ("pandas", "h5py") for m in info.imports.values())
    info.bound |= set(info.imports)
    name_evidence: list = []
    for what, node in weak:
        if what in ("iteritems", "iterkeys", "itervalues", "has_key"):
            if what in info.defs or (what != "has_key" and pandas_like):
                continue
            what = f".{what}()"
        elif not what.startswith(("import of", "sys.", "itertools.")):
            if what.rstrip("()") in info.bound:
                continue
        if _is_try_guarded(node):
            compat = True  # a try/except ImportError/NameError shim
            continue
        name_evidence.append(what)
    if not compat:
        evidence.extend(name_evidence)
    info.compat = compat
    info.evidence = evidence
    return info


# --------------------------------------------------------------------------
# Marks: nodes a TM3xx fix produced in this run (never re-transformed)
# --------------------------------------------------------------------------
def mark(node, tag: str) -> None:
    """Kept in ``fixers_applied``, which pytree's clone() copies -- so a mark
    survives an enclosing fix that rebuilds the statement from clones."""
    tag = "tm3:" + tag
    applied = node.fixers_applied
    if not applied:  # (None, or the parser's shared empty tuple)
        node.fixers_applied = [tag]
    elif tag not in applied:
        applied.append(tag)


def marked(node, tag: str) -> bool:
    applied = node.fixers_applied
    return bool(applied) and ("tm3:" + tag) in applied


# --------------------------------------------------------------------------
# The fissix wrapper
# --------------------------------------------------------------------------
@dataclass
class DryRun:
    changed: bool
    before: str  # the enclosing statement before
    after: str  # ... and after the transform
    new: Optional[str]  # text of the node the transform returned / left
    logs: list  # fissix cannot_convert / warning messages

    @property
    def suggestion(self) -> str:
        if self.new is not None:
            return self.new.strip()
        a = self.before.strip("\n").split("\n")
        b = self.after.strip("\n").split("\n")
        i = 0
        while i < min(len(a), len(b)) and a[i] == b[i]:
            i += 1
        j = 0
        while j < min(len(a), len(b)) - i and a[-1 - j] == b[-1 - j]:
            j += 1
        lines = b[i : len(b) - j] or b
        return "\n".join(line.strip() for line in lines)


def _anchor(node):
    if node.type in STATEMENTS:
        return node
    cur = node.parent
    while cur is not None and cur.type not in STATEMENTS:
        cur = cur.parent
    return cur if cur is not None else node


def _path(root, node) -> list:
    path = []
    cur = node
    while cur is not root:
        parent = cur.parent
        path.append(parent.children.index(cur))
        cur = parent
    path.reverse()
    return path


def _follow(root, path):
    cur = root
    for i in path:
        cur = cur.children[i]
    return cur


class FissixRuleFixer(RuleFixer):
    """Wrap one fissix 2to3 fixer class as a rule fixer.

    Subclasses set ``FISSIX`` (the fissix fixer class) and may override
    :meth:`classify`, :meth:`skip`, :meth:`prepare` and :meth:`after_fix`.
    """

    FISSIX: Any = None
    PY2_CONVERSION = True
    MATCH_IMPLIES_PATTERN = True  # match() gates, then calls the fissix pattern's match
    OPTIONS: dict = {"print_function": False}
    TAG: str = ""  # mark name for nodes this fixer produced

    def __init__(self) -> None:
        super().__init__()
        self.fissix_log: list = []
        self.inner = self.FISSIX(dict(self.OPTIONS), self.fissix_log)
        if self.inner.pattern is not None:
            self.pattern = self.inner.pattern
        elif self.inner._accept_type is not None:
            self.pattern = pytree.LeafPattern(self.inner._accept_type)
        self._tree = None
        self._active = False
        self.info: Optional[Py2Info] = None
        self.TAG = self.TAG or self.FISSIX.__name__

    # gate ---------------------------------------------------------------
    def active(self, info: Py2Info) -> bool:
        return info.is_py2

    def begin(self, ctx) -> None:
        super().begin(ctx)
        info = py2_info(ctx)
        self.info = info
        if ctx.tree is not self._tree:
            self._tree = ctx.tree
            self.inner.start_tree(ctx.tree, ctx.filename)
            self.inner.first_log = True
            self.prepare(ctx.tree, info)
        self._active = self.active(info)
        self.idle = not self._active

    def prepare(self, tree, info: Py2Info) -> None:
        """Per-run state of the fissix fixer (computed on the real tree)."""
        if hasattr(self.inner, "skip_on") and self.inner.skip_on:
            from fissix.fixer_util import does_tree_import

            pkg, _, name = self.inner.skip_on.rpartition(".")
            self.inner._should_skip = does_tree_import(pkg, name, tree)

    def match(self, node):
        if not self._active or marked(node, self.TAG):
            return False
        if self.skip(node):
            return False
        return self.inner.match(node)

    def skip(self, node) -> bool:
        """Sites the rule leaves alone without a finding."""
        return False

    # dry run --------------------------------------------------------------
    def dry_run(self, node) -> Optional[DryRun]:
        anchor = _anchor(node)
        path = _path(anchor, node)
        clone = anchor.clone()
        holder = Node(syms.file_input, [clone])
        cnode = _follow(clone, path)
        results = self.inner.match(cnode)
        if not results:
            return None
        before = str(clone)
        saved_names, saved_numbers = self.inner.used_names, self.inner.numbers
        self.inner.used_names = set(saved_names)
        self.inner.numbers = itertools.count(1)
        log_len = len(self.fissix_log)
        try:
            new = self.inner.transform(cnode, results)
            if new is not None and new is not cnode:
                cnode.replace(new)
        finally:
            self.inner.used_names, self.inner.numbers = saved_names, saved_numbers
        logs = [_clean_log(m) for m in self.fissix_log[log_len:] if not m.startswith("### In file")]
        del self.fissix_log[log_len:]
        after = str(holder)
        new_text = str(new) if new is not None else None
        return DryRun(after != before, before, after, new_text, logs)

    # visit ----------------------------------------------------------------
    def visit(self, node, results) -> None:
        dry = self.dry_run(node)
        if dry is None:
            return
        verdict = self.classify(node, results, dry)
        if verdict is None:
            return
        safety, message = verdict
        if dry.logs and safety != MANUAL and not dry.changed:
            safety = MANUAL
        if not dry.changed and safety != MANUAL:
            return
        fix = None
        if safety != MANUAL:
            fix = self._make_fix(node)
        self.report(
            node, message, safety, fix=fix, suggestion=dry.suggestion if dry.changed else None
        )

    def classify(self, node, results, dry: DryRun) -> Optional[tuple]:
        """(safety, message) for a site, or None to skip it."""
        if dry.logs and not dry.changed:
            return MANUAL, "; ".join(_clean_log(m) for m in dry.logs)
        return SAFE, self.message(node, results, dry)

    def message(self, node, results, dry: DryRun) -> str:
        return f"Python 2 construct; rewrite as `{dry.suggestion}`"

    def _make_fix(self, node) -> Callable[[], Any]:
        def fix():
            results = self.inner.match(node)
            if not results:
                return False
            anchor = _anchor(node)
            before = str(anchor)
            log_len = len(self.fissix_log)
            new = self.inner.transform(node, results)
            del self.fissix_log[log_len:]
            if new is not None and new is not node:
                node.replace(new)
                _normalize(new)
                self.after_fix(new)
                return True
            if node.parent is None and anchor is not node:
                return True
            if anchor.parent is None and anchor is not self._tree:
                return True
            if str(anchor) == before:
                return False
            _normalize(anchor)
            self.after_fix(node)
            return True

        return fix

    def after_fix(self, new) -> None:
        """Mark what the fix produced so later passes leave it alone."""
        if self.TAG:
            mark(new, self.TAG)


def _normalize(node) -> None:
    """Make a built subtree look parsed: fixer_util's Call()/ArgList() wrap a
    single argument in an ``arglist`` node, which the fissix context patterns
    (``in_special_context``) do not expect on later passes."""
    if not isinstance(node, Node):
        return
    for sub in list(node.pre_order()):
        if sub.type == syms.arglist and len(sub.children) == 1 and sub.parent is not None:
            only = sub.children[0]
            only.remove()
            sub.replace(only)


def wrapped_arg(node):
    """``X`` of a built ``list(X)`` / ``iter(X)`` call, else None."""
    kids = getattr(node, "children", None)
    if (
        node.type == syms.power
        and kids
        and kids[0].type == token.NAME
        and kids[0].value in ("list", "iter")
        and len(kids) >= 2
        and kids[1].type == syms.trailer
        and len(kids[1].children) == 3
    ):
        return kids[1].children[1]
    return None


def _clean_log(msg: str) -> str:
    msg = re.sub(r"^Line \d+: ", "", msg)
    return msg.strip()


def is_builtin_use(leaf: Leaf, info: Py2Info) -> bool:
    """``leaf`` names the builtin (not an attribute, not a local binding)."""
    prev = leaf.prev_sibling
    if prev is not None and prev.type == token.DOT:
        return False
    return leaf.value not in info.bound


def call_name(node) -> Optional[str]:
    if node.type == syms.power and node.children:
        return dotted_name(node.children[0])
    return None


__all__ = [
    "COMPOUND",
    "DryRun",
    "FissixRuleFixer",
    "MANUAL",
    "Py2Info",
    "SAFE",
    "UNSAFE",
    "is_builtin_use",
    "is_python2",
    "mark",
    "marked",
    "py2_info",
    "py2_prefilter",
    "wrapped_arg",
]


def insert_import(tree: Node, stmt_text: str) -> None:
    """Insert an import statement after the last top-level import (or after
    the docstring / ``__future__`` imports)."""
    from codemods.base import _is_docstring_or_future, parse_stmts

    new = parse_stmts(stmt_text)[0]
    last_import = None
    insert_at = 0
    for i, child in enumerate(tree.children):
        if child.type == syms.simple_stmt and child.children[0].type in (
            syms.import_name,
            syms.import_from,
        ):
            last_import = i
        elif last_import is None and _is_docstring_or_future(child):
            insert_at = i + 1
    tree.insert_child(last_import + 1 if last_import is not None else insert_at, new)
