"""Building blocks shared by every rule: metadata, examples, the fixer base
class and small fissix tree helpers.

A rule never opens files, prints, or knows about the CLI.  Its fixers look at
matched nodes and call :meth:`RuleFixer.report` with a message, a safety class
and, where a mechanical rewrite exists, a ``fix`` callable.  The engine decides
whether the fix runs (safety, ``--unsafe-fixes``, suppression comments) and
applies it after the traversal, innermost sites first.
"""

from __future__ import annotations

import ast
import re
import symtable
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Optional, Union

from fissix import pygram, pytree
from fissix.fixer_base import BaseFix
from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods.fastparse import FastDriver

if TYPE_CHECKING:  # pragma: no cover
    pass

SAFE = "safe"
UNSAFE = "unsafe"
MANUAL = "manual"
SAFETIES = (SAFE, UNSAFE, MANUAL)

FAMILIES = {
    "TM0": "pre-0.4 autograd (Variable, volatile, .data, scalars)",
    "TM1": "0.2-1.0 API changes",
    "TM2": "1.x-2.x deprecations and removals",
    "TM3": "Python 2 -> 3",
}

NodeOrLeaf = Union[Node, Leaf]

# A file that matches none of these never uses PyTorch in a way any TM0-TM2
# rule could prove (they resolve torch names through the imports or need a
# tensor idiom such as ``.data``/``.backward(``/``.cuda(`` as evidence).
TORCH_EVIDENCE = re.compile(
    r"torch|Variable|volatile|autograd|\.data\b|\.grad\b|\.cuda\(|\.backward\(|"
    r"\.item\(|\.numpy\(|\bnn\.|optim|Tensor|async\s*=|retain_variables|creator|reinforce|"
    r"[a-z]_\(|\.(?:sum|mean|eq|ne|view|size|byte|bool|float|long|masked_\w+|register_\w+|"
    r"add_module|softmax|log_softmax|zero_grad|step)\("
)


@lru_cache(maxsize=4)
def has_torch_evidence(text: str) -> bool:
    return TORCH_EVIDENCE.search(text) is not None


# A call that may change the device the factories (``torch.empty``,
# ``torch.tensor``) allocate on: ``set_default_device(...)``, or
# ``set_default_tensor_type`` with anything but a CPU floating type
# (``'torch.cuda.FloatTensor'``, a variable).
DEFAULT_DEVICE_CALL = re.compile(
    r"\bset_default_device\b|\bset_default_tensor_type\s*\(\s*(?!['\"]?torch\."
    r"(?:Float|Double|Half|BFloat16)Tensor['\"]?\s*\))"
)


# A call that changes what ``torch.amp.autocast('cuda')`` does without a
# ``dtype=``/``cache_enabled=`` (``torch.cuda.amp.autocast`` passed float16 and
# caching explicitly).
AUTOCAST_DEFAULTS_CALL = re.compile(r"\bset_autocast_(?:dtype|gpu_dtype|cache_enabled)\b")


def ast_parse_quietly(text: str):
    """``ast.parse(text)`` without printing the parsed code's own warnings
    (invalid escapes, ``1if x``, ``'str'(x)``): those are the user's, not ours."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text)


@lru_cache(maxsize=8)
def compile_error(text: str) -> Optional[SyntaxError]:
    """None when CPython parses ``text`` and builds its symbol table, else
    the error (cached per text).  That is every error an AST-only parse
    reports plus the scope errors (``nonlocal`` at module level and the
    like), without building Python AST objects or bytecode: about half the
    cost of ``ast.parse``.  The TM3 pre-filter's question ("can this be
    Python 2?") only needs a conservative answer."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the code's own warnings (escapes) are not ours
            symtable.symtable(text, "<migrated>", "exec")
        return None
    except SyntaxError as exc:
        return exc
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, deep nesting
        return SyntaxError(str(exc))


# --------------------------------------------------------------------------
# Metadata
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Example:
    """A before/after pair that documents a rule and runs as a test.

    ``after=None`` means the code must not change.  ``unsafe_fixes`` runs the
    example with unsafe fixes applied.  ``findings`` lists the safety classes
    of the findings of this rule that must remain after the run (sorted).
    """

    before: str
    after: Optional[str] = None
    unsafe_fixes: bool = False
    findings: tuple = ()
    title: str = ""
    # Other files of the example's project ((path, text), ...) and this
    # example's own path in it: the example then runs with the project
    # model's facts (``ctx.project``), as the CLI does.
    project: tuple = ()
    path: str = "module.py"

    @property
    def expected(self) -> str:
        return self.before if self.after is None else self.after


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    summary: str
    why: str
    safety: str  # the rule's headline class; each site may be classified lower
    doc: str
    examples: tuple
    fixers: tuple
    tokens: tuple = ()  # substrings; the rule runs only on files containing one
    prefilter: Optional[Callable[[str], bool]] = None
    # A pre-filter that also sees the project model's facts (ctx.project);
    # used instead of the textual one when it is set.
    project_prefilter: Optional[Callable[[str, Any], bool]] = None
    # One line (about 70 characters) for the concise report of every finding of
    # this rule; findings may carry their own (``RuleFixer.report(short=...)``).
    short: str = ""
    # A check of the finished output rather than a fixer: called once per file
    # as ``post_check(new_text, py2, remaining_findings)`` and returning
    # ``[(line, col, message)]`` to report as manual findings of this rule.
    post_check: Optional[Callable[[str, bool, list], list]] = None

    @property
    def family(self) -> str:
        return self.id[:3]

    @property
    def short_text(self) -> str:
        """``short``, or the first sentence of ``summary`` when a rule has none."""
        return self.short or first_sentence(self.summary)

    def wants(self, text: str, project: Any = None) -> bool:
        """The cheap textual pre-filter: can this rule find anything in ``text``?

        PyTorch rules (TM0-TM2) also need some sign of PyTorch in the file
        (:data:`TORCH_EVIDENCE`); a file without any is never parsed for them.
        ``project`` is the file's project facts (or None).
        """
        if self.project_prefilter is not None:
            return self.project_prefilter(text, project)
        if self.prefilter is not None:
            return self.prefilter(text)
        if self.family != "TM3" and not has_torch_evidence(text):
            return False
        if not self.tokens:
            return True
        return any(t in text for t in self.tokens)

    def render_doc(self) -> str:
        """The full documentation page (what `torchmigrate explain` prints)."""
        out = [f"# {self.id} {self.name}", "", self.summary, "", f"Safety: {self.safety}", ""]
        out += ["## Why", "", self.why.strip(), ""]
        out += [self.doc.strip(), ""]
        out += ["## Examples", ""]
        for i, ex in enumerate(self.examples, 1):
            label = ex.title or ("must not change" if ex.after is None else f"example {i}")
            if ex.unsafe_fixes:
                label += " (with --unsafe-fixes)"
            out.append(f"### {label}")
            out.append("")
            for rel, text in ex.project:
                out.append(f"In the same project, `{rel}`:")
                out.append("```python")
                out.append(text.rstrip("\n"))
                out.append("```")
            out.append(f"Before (`{ex.path}`):" if ex.project else "Before:")
            out.append("```python")
            out.append(ex.before.rstrip("\n"))
            out.append("```")
            if ex.after is None:
                out.append("Unchanged.")
            else:
                out.append("After:")
                out.append("```python")
                out.append(ex.after.rstrip("\n"))
                out.append("```")
            if ex.findings:
                out.append("Reported: " + ", ".join(ex.findings))
            out.append("")
        return "\n".join(out).rstrip() + "\n"


def wanted_rules(rules: Iterable[Rule], text: str, project: Any = None) -> list:
    """``[r for r in rules if r.wants(text, project)]``, computed with each
    distinct pre-filter function and each distinct token looked up once per
    text (keep in step with :meth:`Rule.wants`)."""
    by_filter: dict = {}
    by_token: dict = {}
    torch: Optional[bool] = None
    out = []
    for rule in rules:
        if rule.project_prefilter is not None:
            if rule.project_prefilter(text, project):
                out.append(rule)
            continue
        pre = rule.prefilter
        if pre is not None:
            hit = by_filter.get(pre)
            if hit is None:
                hit = by_filter[pre] = bool(pre(text))
            if hit:
                out.append(rule)
            continue
        if rule.family != "TM3":
            if torch is None:
                torch = has_torch_evidence(text)
            if not torch:
                continue
        if not rule.tokens:
            out.append(rule)
            continue
        for tok in rule.tokens:
            hit = by_token.get(tok)
            if hit is None:
                hit = by_token[tok] = tok in text
            if hit:
                out.append(rule)
                break
    return out


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` without its full stop (a default short message)."""
    text = " ".join(text.split())
    m = re.search(r"\.(\s|$)", text)
    if m:
        text = text[: m.start()]
    return text.rstrip(".")


# --------------------------------------------------------------------------
# Findings
# --------------------------------------------------------------------------
@dataclass
class Finding:
    rule: str
    line: int
    col: int
    safety: str
    message: str
    suggestion: Optional[str] = None
    applied: bool = False
    end_line: int = 0
    source_line: int = 0  # line in the original text (filled by the engine)
    short: Optional[str] = None  # one line; None = the rule's short text
    # Applied fixes that must be accepted or declined together share a group
    # number (e.g. removing an import and unwrapping every use of its name).
    group: Optional[int] = None

    def as_dict(self) -> dict:
        d = {
            "rule": self.rule,
            "line": self.line,
            "col": self.col,
            "source_line": self.source_line or self.line,
            "safety": self.safety,
            "message": self.message,
            "suggestion": self.suggestion,
            "applied": self.applied,
        }
        if self.short:
            d["short"] = self.short
        if self.group is not None:
            d["group"] = self.group
        return d


@dataclass
class Candidate:
    fixer: RuleFixer
    node: NodeOrLeaf
    safety: str
    message: str
    fix: Optional[Callable[[], Any]]
    suggestion: Optional[str]
    short: Optional[str] = None


@dataclass
class FileContext:
    """Per-file state shared by every fixer during one engine run."""

    tree: Node
    filename: str
    py2_grammar: bool  # the file needed the Python 2 grammar
    text: str
    imports: dict = field(default_factory=dict)  # local name -> dotted origin
    cache: dict = field(default_factory=dict)  # free for rules (per pass)
    # Cross-file facts about this module from the project model
    # (torchmigrate.project), or None when the file is migrated alone.
    project: Any = None
    # The engine's index of the tree while fixers visit it (None otherwise,
    # e.g. while fixes change the tree): see nodes_of_type / name_leaves.
    index: Any = None

    def qualname(self, node: NodeOrLeaf) -> Optional[str]:
        """Resolve a dotted reference (``F.softmax``) through the imports of
        the file to its full name (``torch.nn.functional.softmax``)."""
        name = dotted_name(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        origin = self.imports.get(head)
        if origin is None:
            return name
        return origin + ("." + rest if rest else "")


# --------------------------------------------------------------------------
# Fixer base
# --------------------------------------------------------------------------
# A trigger token standing for any float literal (``0.5``, ``1e-3``).
FLOAT = "<float>"


class RuleFixer(BaseFix):
    """Base class of every rule fixer.

    Subclasses set ``PATTERN`` (fissix pattern syntax; :func:`bowler_pattern`
    turns a Bowler query into one) and implement :meth:`visit`.

    Dispatch (read by the engine, which visits a node only when it can
    match): ``TRIGGERS`` lists tokens one of which must occur in a node's
    subtree for :meth:`visit` to report anything there -- NAME values
    (callee, attribute and keyword names), operators by their text (``"/"``,
    ``"+="``) and :data:`FLOAT` for a float literal.  A NAME trigger also
    matches a local name that an import binds to something whose last
    component is that name (``from torch.nn.functional import sigmoid as
    sg`` makes ``sg`` count for ``"sigmoid"``).  :meth:`dynamic_triggers`
    adds names computed once per pass.  ``None`` (the default): the names
    the PATTERN itself requires, if any.  A trigger is a promise: the
    engine's dispatch check (``TORCHMIGRATE_CHECK_DISPATCH=1``) visits the
    nodes a trigger excludes and fails when one of them reports.
    """

    rule_id: ClassVar[str] = ""
    PATTERN: ClassVar[Optional[str]] = None
    TRIGGERS: ClassVar[Optional[frozenset]] = None
    # True when an overridden ``match`` only adds conditions to the PATTERN's
    # (so the names the pattern requires are triggers too).
    MATCH_IMPLIES_PATTERN: ClassVar[bool] = False
    # A whole-file fixer (``PATTERN = None``) that removes imports once
    # other fixes removed the last reads of the names they bind.  Its visit
    # adds to ``self.waiting`` each name whose import it kept only because
    # the name was still read.  Right after a pass's fixes, when no
    # top-level statement but an import has a NAME leaf spelled like a
    # waiting name (a mention in a comment or a string does not count: the
    # visit reads ``__all__`` from the tree itself), the engine runs it
    # again on the changed tree and applies what it reports in the same
    # pass -- the file needs no extra pass for the cleanup.  In that run
    # ``self.ctx`` has the imports of the changed tree and an index of its
    # top-level import statements only (nodes_of_type, name_leaves); the
    # visit must not use the per-pass analysis.
    CLEANUP: ClassVar[bool] = False
    # Python 2 -> 3 fixers (TM3xx) whose input is also valid Python 3 that
    # other conversions produce (``range(n)`` from ``xrange(n)``, ``zip``
    # from ``itertools.izip``, ``input()`` from ``raw_input()``): see
    # :meth:`py2_ambiguous` and the engine's "Python 2 gate".
    PY2_CONVERSION: ClassVar[bool] = False
    BM_compatible = False

    def __init__(self) -> None:
        super().__init__({}, [])
        self.ctx: Optional[FileContext] = None
        self.candidates: list[Candidate] = []
        # Set by begin() when the fixer cannot report anything this pass (its
        # match() refuses every node): the engine then does not dispatch to it.
        self.idle = False
        # CLEANUP fixers: names whose import was kept this pass only because
        # they were read.
        self.waiting: frozenset = frozenset()

    # fissix hooks ---------------------------------------------------------
    def begin(self, ctx: FileContext) -> None:
        """Called once per pass before the traversal."""
        self.ctx = ctx
        self.candidates = []
        self.idle = False
        self.waiting = frozenset()

    def py2_ambiguous(self, node) -> bool:
        """For a Python 2 -> 3 fixer (``PY2_CONVERSION``): is its site at
        ``node`` valid Python 3 that a conversion could have produced?  The
        engine applies such sites only when the same run also converts a
        construct that exists only in Python 2 (see ``engine._py2_converts``):
        a file that merely *still* looks like Python 2 after a run -- a
        construct left for review -- must not get the run's own ``range(n)``
        wrapped in ``list(...)`` by a second run."""
        return False

    def dynamic_triggers(self, index) -> Optional[set]:
        """Extra trigger names for this pass (called after :meth:`begin`), or
        None.  ``index`` is the engine's index of the tree: ``index.leaves(tok)``
        lists the leaves with trigger token ``tok``."""
        return None

    def transform(self, node, results):  # pragma: no cover - not used by fissix here
        return self.visit(node, results)

    def visit(self, node: NodeOrLeaf, results: dict) -> None:
        raise NotImplementedError

    # reporting ------------------------------------------------------------
    def report(
        self,
        node: NodeOrLeaf,
        message: str,
        safety: str = MANUAL,
        fix: Optional[Callable[[], Any]] = None,
        suggestion: Optional[str] = None,
        short: Optional[str] = None,
    ) -> None:
        """Report a site.  ``message`` is the full explanation (``--output-format
        full``, JSON, SARIF); ``short`` an optional one-line text for this site
        (the concise report falls back to the rule's ``short``)."""
        assert safety in SAFETIES, safety
        if safety == MANUAL:
            fix = None
        self.candidates.append(Candidate(self, node, safety, message, fix, suggestion, short))

    def replace(
        self,
        node: NodeOrLeaf,
        build: Callable[[], NodeOrLeaf],
        message: str,
        safety: str = SAFE,
        short: Optional[str] = None,
    ) -> None:
        """Report a replacement of ``node`` by ``build()``.

        ``build`` must not move nodes out of the tree (clone what it reuses):
        it is called once to render the suggestion and again when applied.
        """
        new = build()
        suggestion = str(new).strip()

        def fix() -> None:
            from codemods._stmt import keep_alignment

            repl = build()
            repl.prefix = node.prefix
            aligned = keep_alignment(node)
            node.replace(repl)
            aligned()

        self.report(node, message, safety, fix, suggestion, short)


# --------------------------------------------------------------------------
# Parsing helpers
# --------------------------------------------------------------------------
# fissix's grammars, parsed through FastDriver (the same trees, faster; see
# codemods/fastparse.py)
_PY3 = FastDriver(pygram.python_grammar_no_print_and_exec_statement)
_PY2_PRINT_FUNCTION = FastDriver(pygram.python_grammar_no_print_statement)
_PY2 = FastDriver(pygram.python_grammar)
_FISSIX_DRIVERS = (_PY3.reference, _PY2_PRINT_FUNCTION.reference, _PY2.reference)
_PRINT_FUNCTION = re.compile(r"^\s*from\s+__future__\s+import\s+[^#\n]*\bprint_function\b", re.M)


def parse_source(text: str, drivers: Optional[tuple] = None) -> tuple:
    """Parse with the Python 3 grammar, then a Python 2 grammar.

    A Python 2 file that imports ``print_function`` is parsed with the
    grammar that keeps ``exec`` statements but treats ``print`` as a function
    (as lib2to3 does); other Python 2 files with the print-statement grammar.
    Returns ``(tree, needed_py2_grammar)``; raises the Python 3 grammar's
    error when no grammar accepts the text.

    ``drivers``: (Python 3, Python 2 with print_function, Python 2) drivers
    to use instead of the engine's (see :func:`fissix_parse_source`)."""
    if drivers is None:
        # the engine's drivers: a grammar that fails costs no run of fissix's
        # driver (which only finds the error the caller gets when all fail)
        tree = _PY3.try_parse(text)
        if tree is not None:
            return tree, False
        fallback = _PY2_PRINT_FUNCTION if _PRINT_FUNCTION.search(text) else _PY2
        tree = fallback.try_parse(text)
        if tree is not None:
            return tree, True
        # both fast attempts failed: fissix's drivers raise their error (or,
        # should they ever disagree with ours, give their tree)
        drivers = _FISSIX_DRIVERS
    py3, py2_print_function, py2 = drivers
    try:
        return py3.parse_string(text), False
    except Exception as first:  # ParseError, TokenError, IndentationError
        fallback = py2_print_function if _PRINT_FUNCTION.search(text) else py2
        try:
            return fallback.parse_string(text), True
        except Exception:
            raise first from None


def fissix_parse_source(text: str) -> tuple:
    """:func:`parse_source` with fissix's own driver: the "fissix floor" the
    benchmarks compare the engine with (any fissix tool pays at least this)."""
    return parse_source(text, _FISSIX_DRIVERS)


# Fixes build the same small snippets again and again (``torch.sigmoid``,
# ``import torch``): each text is parsed once and handed out as clones.
_SNIPPETS: dict = {}
_MAX_SNIPPETS = 2048


def _snippet(key: tuple, parse: Callable[[], Any]) -> Any:
    hit = _SNIPPETS.get(key)
    if hit is None:
        if len(_SNIPPETS) >= _MAX_SNIPPETS:
            _SNIPPETS.clear()
        hit = _SNIPPETS[key] = parse()
    return hit


def parse_expr(text: str) -> NodeOrLeaf:
    """Parse one expression and return its node, detached, with no prefix.
    An expression whose line break is legal only inside brackets comes back
    parenthesised."""
    return _snippet(("expr", text), lambda: _parse_expr(text)).clone()


def _parse_expr(text: str) -> NodeOrLeaf:
    body = text.strip()
    try:
        tree = _PY3.parse_string(body + "\n")
    except Exception:  # noqa: BLE001 - fissix raises several types
        if "\n" not in body:
            raise
        # Text taken out of the brackets whose implicit line joining made its
        # line break legal (``f(a\n    .b())`` -> ``a\n    .b()``): the same
        # expression in parentheses, the one form valid in any context.
        tree = _PY3.parse_string(f"({body})\n")
    stmt = tree.children[0]  # simple_stmt
    expr = stmt.children[0]
    expr.remove()
    expr.prefix = ""
    return expr


def parse_stmts(text: str) -> list[NodeOrLeaf]:
    """Parse statements (dedented text) and return the detached statements."""
    return [s.clone() for s in _snippet(("stmts", text), lambda: _parse_stmts(text))]


def _parse_stmts(text: str) -> list[NodeOrLeaf]:
    tree = _PY3.parse_string(text if text.endswith("\n") else text + "\n")
    out = []
    for child in list(tree.children):
        if child.type == token.ENDMARKER:
            continue
        child.remove()
        out.append(child)
    return out


# --------------------------------------------------------------------------
# Tree helpers
# --------------------------------------------------------------------------
def dotted_name(node: NodeOrLeaf) -> Optional[str]:
    """``torch.nn.functional`` for a NAME / ``power<NAME trailer<'.' NAME>*>``."""
    if isinstance(node, Leaf):
        return node.value if node.type == token.NAME else None
    if node.type in (syms.power, syms.dotted_name):
        parts = []
        for i, child in enumerate(node.children):
            if i == 0:
                if child.type != token.NAME:
                    return None
                parts.append(child.value)
            elif node.type == syms.dotted_name:
                if child.type == token.NAME:
                    parts.append(child.value)
            elif (
                child.type == syms.trailer
                and child.children[0].value == "."
                and child.children[1].type == token.NAME
            ):
                parts.append(child.children[1].value)
            else:
                return None
        return ".".join(parts)
    return None


def callee_of(power: Node) -> Optional[tuple[NodeOrLeaf, list[NodeOrLeaf], Node]]:
    """Split ``power<... trailer<'(' args ')'>>`` whose LAST trailer is a call
    into (callee expression clone-free view, list of head children, call
    trailer).  Returns None when the node is not a call."""
    if power.type != syms.power or not power.children:
        return None
    last = power.children[-1]
    if last.type != syms.trailer or last.children[0].value != "(":
        return None
    return power.children[0], power.children[:-1], last


def callee_name(power: Node) -> Optional[str]:
    """Dotted name of a call's callee, e.g. ``F.softmax`` for ``F.softmax(x)``."""
    parts = callee_of(power)
    if parts is None:
        return None
    head = parts[1]
    if len(head) == 1:
        return dotted_name(head[0])
    tmp = Node(syms.power, [c.clone() for c in head])
    return dotted_name(tmp)


@dataclass
class Arg:
    name: Optional[str]  # keyword name or None for positional
    value: NodeOrLeaf
    node: NodeOrLeaf  # the argument node itself (argument<> or the value)
    star: str = ""  # '*' or '**' for unpacking


def call_args(trailer: Node) -> list[Arg]:
    """Arguments of a call trailer ``( ... )``."""
    if len(trailer.children) < 3:
        return []
    inner = trailer.children[1]
    items = inner.children if inner.type == syms.arglist else [inner]
    out = []
    for item in items:
        if item.type == token.COMMA:
            continue
        if item.type == syms.argument:
            first = item.children[0]
            if first.type in (token.STAR, token.DOUBLESTAR):
                out.append(Arg(None, item.children[1], item, first.value))
            elif len(item.children) >= 3 and item.children[1].type == token.EQUAL:
                # fissix's grammar takes any expression before the `=`
                # (`f(a.b=1)`, which CPython rejects): its text names no
                # keyword a rule looks for
                name = first.value if first.type == token.NAME else str(first).strip()
                out.append(Arg(name, item.children[2], item))
            else:  # generator argument
                out.append(Arg(None, item, item))
        elif item.type in (token.STAR, token.DOUBLESTAR):
            continue
        else:
            out.append(Arg(None, item, item))
    return out


def kwarg(args: list[Arg], name: str) -> Optional[Arg]:
    for a in args:
        if a.name == name:
            return a
    return None


def remove_arg(arg: Arg) -> None:
    """Remove an argument and one adjacent comma from its arglist."""
    node = arg.node
    parent = node.parent
    if parent is None:
        return
    if parent.type != syms.arglist:
        node.remove()
        return
    siblings = parent.children
    idx = siblings.index(node)
    if idx + 1 < len(siblings) and siblings[idx + 1].type == token.COMMA:
        comma = siblings[idx + 1]
        nxt = siblings[idx + 2] if idx + 2 < len(siblings) else None
        node.remove()
        comma.remove()
        if nxt is not None and idx == 0:
            nxt.prefix = ""
    elif idx > 0 and siblings[idx - 1].type == token.COMMA:
        siblings[idx - 1].remove()
        node.remove()
    else:
        node.remove()
    if not parent.children:  # the only argument, with a trailing comma: ``f(a,)``
        parent.remove()
    elif len(parent.children) == 1:
        only = parent.children[0]
        only.remove()
        parent.replace(only)


def add_kwarg(trailer: Node, name: str, value: str) -> None:
    """Append ``name=value`` to a call trailer ``(...)``."""
    new_arg = Node(
        syms.argument,
        [Leaf(token.NAME, name), Leaf(token.EQUAL, "="), parse_expr(value)],
    )
    if len(trailer.children) == 2:  # "()"
        trailer.insert_child(1, new_arg)
        return
    inner = trailer.children[1]
    if inner.type == syms.arglist:
        last = inner.children[-1]
        if last.type == token.COMMA:  # trailing comma: ``f(a, b,)`` -> ``f(a, b, k=v,)``
            # one argument per line stays so: the new one takes the last one's line break
            before = inner.children[-2].prefix
            new_arg.prefix = before if "\n" in before else " "
            inner.append_child(new_arg)
            inner.append_child(Leaf(token.COMMA, ","))
            return
        inner.append_child(Leaf(token.COMMA, ","))
        new_arg.prefix = " "
        inner.append_child(new_arg)
    else:
        inner.remove()
        new_arg.prefix = " "
        arglist = Node(syms.arglist, [inner, Leaf(token.COMMA, ","), new_arg])
        trailer.insert_child(1, arglist)


def is_number(node: NodeOrLeaf) -> bool:
    """A numeric literal, possibly with unary minus/plus."""
    if isinstance(node, Leaf):
        return node.type == token.NUMBER
    if node.type == syms.factor and node.children[0].value in ("-", "+"):
        return is_number(node.children[1])
    return False


def is_call(trailer: NodeOrLeaf) -> bool:
    """A call trailer ``( ... )``."""
    return trailer.type == syms.trailer and trailer.children[0].value == "("


def is_attr(trailer: NodeOrLeaf, name: Optional[str] = None) -> bool:
    """An attribute trailer ``.name`` (any name when ``name`` is None)."""
    return (
        trailer.type == syms.trailer
        and trailer.children[0].value == "."
        and (name is None or trailer.children[1].value == name)
    )


def is_subscript(trailer: NodeOrLeaf) -> bool:
    """A subscript trailer ``[ ... ]``."""
    return trailer.type == syms.trailer and trailer.children[0].value == "["


def attr_name(trailer: NodeOrLeaf) -> Optional[str]:
    return trailer.children[1].value if is_attr(trailer) else None


def chain_text(chain: list) -> str:
    """The source text of a list of chain pieces, without surrounding space."""
    return "".join(str(c) for c in chain).strip()


def enclosing(node: NodeOrLeaf, *types: int) -> Optional[Node]:
    cur = node.parent
    while cur is not None:
        if cur.type in types:
            return cur
        cur = cur.parent
    return None


def enclosing_function(node: NodeOrLeaf) -> Optional[Node]:
    return enclosing(node, syms.funcdef)


def statement_of(node: NodeOrLeaf) -> Optional[Node]:
    """The simple_stmt that contains ``node``."""
    cur: Optional[NodeOrLeaf] = node
    while cur is not None and cur.type != syms.simple_stmt:
        cur = cur.parent
    return cur  # type: ignore[return-value]


def is_attached(node: NodeOrLeaf, root: Node) -> bool:
    cur: Optional[NodeOrLeaf] = node
    while cur is not None:
        if cur is root:
            return True
        cur = cur.parent
    return False


def first_leaf(node: NodeOrLeaf) -> Leaf:
    while isinstance(node, Node):
        if not node.children:
            break
        node = node.children[0]
    return node  # type: ignore[return-value]


def indentation_of(stmt: NodeOrLeaf) -> str:
    """The indentation string of the line a statement starts on."""
    prefix = first_leaf(stmt).prefix
    # the INDENT token's value lives on the suite; walk back through the prefix
    cur = stmt
    while cur is not None:
        if cur.parent is not None and cur.parent.type == syms.suite:
            for child in cur.parent.children:
                if child.type == token.INDENT:
                    return child.value
            break
        if cur.type == syms.file_input:
            break
        cur = cur.parent
    lines = prefix.split("\n")
    return re.match(r"[ \t]*", lines[-1]).group(0) if lines else ""


def walk(node: NodeOrLeaf) -> Iterable[NodeOrLeaf]:
    """``node.pre_order()`` without fissix's recursive generators (same
    order; linear instead of proportional to depth times size).  The tree
    must not change during the iteration."""
    stack = [node]
    pop = stack.pop
    push = stack.extend
    while stack:
        cur = pop()
        yield cur
        kids = cur.children
        if kids:
            push(kids[::-1])


def leaves_of(node: NodeOrLeaf) -> Iterable[Leaf]:
    """``node.leaves()`` without recursive generators (same order)."""
    stack = [node]
    pop = stack.pop
    push = stack.extend
    while stack:
        cur = pop()
        kids = cur.children
        if kids:
            push(kids[::-1])
        elif type(cur) is Leaf or isinstance(cur, Leaf):
            yield cur


_OPEN = frozenset("([{")
_CLOSE = frozenset(")]}")


def breaks_line(node: NodeOrLeaf) -> bool:
    """True when the text of ``node`` (without its own prefix) has a line
    break outside any bracket of its own: legal only through the implicit
    line joining of the brackets around it, so taken out of them (``f(a\\n
    .b())`` -> ``a\\n.b()``) it must be parenthesised to stay one
    expression.  A backslash continuation needs nothing."""
    depth = 0
    first = True
    for leaf in leaves_of(node):
        if first:
            first = False
        elif depth == 0 and "\n" in leaf.prefix:
            for line in leaf.prefix.split("\n")[:-1]:
                if not line.rstrip(" \t\f").endswith("\\"):
                    return True
        v = leaf.value
        if v in _OPEN:
            depth += 1
        elif v in _CLOSE:
            depth -= 1
    return False


# fissix's ``pre_order()``/``leaves()`` are recursive generators: every item
# travels up through one generator frame per tree level, so a walk costs
# depth x size.  The project never changes a tree while walking it, so the
# iterative versions above (same order) replace them for every caller.
pytree.Node.pre_order = walk  # type: ignore[method-assign]
pytree.Node.leaves = leaves_of  # type: ignore[method-assign]


def nodes_of_type(ctx: FileContext, types) -> list:
    """The nodes of the file whose type is in ``types``, in pre-order (from
    the engine's index while fixers visit, else by walking the tree)."""
    index = ctx.index
    if index is not None:
        return index.of_types(types)
    return [n for n in walk(ctx.tree) if n.type in types]


def subtree_of_type(ctx: Optional[FileContext], node: NodeOrLeaf, t: int) -> list:
    """The nodes (or leaves) of type ``t`` in ``node``'s subtree, ``node``
    included, in pre-order: a slice of the engine's index while fixers visit
    (no walk), else a walk of the subtree."""
    index = ctx.index if ctx is not None else None
    if index is not None:
        hit = index.within(node, t)
        if hit is not None:
            return hit
    return [n for n in walk(node) if n.type == t]


def name_leaves(ctx: FileContext, *names: str) -> list:
    """The NAME leaves of the file spelled like one of ``names``, in pre-order."""
    index = ctx.index
    if index is not None:
        if len(names) == 1:
            return [leaf for leaf in index.leaves(names[0]) if leaf.type == token.NAME]
        out = [leaf for name in names for leaf in index.leaves(name) if leaf.type == token.NAME]
        order = index.order
        out.sort(key=lambda leaf: order[id(leaf)])
        return out
    wanted = set(names)
    return [
        leaf for leaf in leaves_of(ctx.tree) if leaf.type == token.NAME and leaf.value in wanted
    ]


def iter_names(tree: NodeOrLeaf, name: str) -> Iterable[Leaf]:
    for leaf in leaves_of(tree):
        if leaf.type == token.NAME and leaf.value == name:
            yield leaf


# Nodes that never contain a statement: the import walk does not enter them.
_NO_STATEMENTS = frozenset(
    getattr(syms, name)
    for name in (
        "and_expr",
        "and_test",
        "arglist",
        "argument",
        "arith_expr",
        "atom",
        "comparison",
        "decorator",
        "decorators",
        "dictsetmaker",
        "expr",
        "exprlist",
        "factor",
        "lambdef",
        "not_test",
        "old_lambdef",
        "or_test",
        "parameters",
        "power",
        "shift_expr",
        "subscript",
        "subscriptlist",
        "term",
        "test",
        "testlist",
        "testlist_gexp",
        "testlist_star_expr",
        "trailer",
        "typedargslist",
        "varargslist",
        "xor_expr",
        "comp_for",
        "old_comp_for",
        "comp_if",
        "old_comp_if",
        "namedexpr_test",
    )
    if hasattr(syms, name)
)
_IMPORTS = (syms.import_name, syms.import_from)


def _import_nodes(tree: NodeOrLeaf) -> list:
    """The import statements under ``tree``, in pre-order (a pruned walk:
    imports only occur as small statements of a ``simple_stmt``)."""
    if tree.type in _IMPORTS:
        return [tree]
    out = []
    stack = [tree]
    simple = syms.simple_stmt
    while stack:
        node = stack.pop()
        if node.type == simple:
            out.extend(c for c in node.children if c.type in _IMPORTS)
            continue
        children = node.children
        if children:
            stack.extend(c for c in reversed(children) if c.type not in _NO_STATEMENTS)
    return out


# Star exports of external modules we can enumerate without importing them
# (``__all__`` of torch 2.x; 0.3's was a subset of it).
KNOWN_STAR_EXPORTS = {
    "torch.autograd": (
        "Variable",
        "Function",
        "backward",
        "grad_mode",
        "NestedIOFunction",
        "detect_anomaly",
        "enable_grad",
        "grad",
        "gradcheck",
        "gradgradcheck",
        "inference_mode",
        "no_grad",
        "set_detect_anomaly",
        "set_grad_enabled",
        "set_multithreading_enabled",
        "enforce_grad_layout_policy",
        "variable",
    ),
    "torch.autograd.variable": ("Variable",),
}


def collect_imports(tree: Node, nodes: Optional[list] = None) -> dict:
    """Map local names bound by top-level-ish imports to their dotted origin.
    ``nodes``: the import statements of ``tree`` in pre-order, when the
    caller has them already (the engine's index)."""
    out: dict = {}
    for node in _import_nodes(tree) if nodes is None else nodes:
        if node.type == syms.import_name:
            _import_name(node.children[1], out)
        else:
            _import_from(node, out)
    return out


def _import_name(node: NodeOrLeaf, out: dict) -> None:
    if node.type == syms.dotted_as_names:
        for child in node.children:
            if child.type != token.COMMA:
                _import_name(child, out)
    elif node.type == syms.dotted_as_name:
        origin = dotted_name(node.children[0])
        alias = node.children[2].value
        if origin:
            out[alias] = origin
    else:
        origin = dotted_name(node)
        if origin:
            head = origin.split(".")[0]
            out.setdefault(head, head)


def _import_from(node: Node, out: dict) -> None:
    kids = node.children
    idx = 1
    module = ""
    while kids[idx].type != token.NAME or kids[idx].value != "import":
        module += str(kids[idx]).strip()
        idx += 1
    if module.startswith("."):
        return
    names = kids[idx + 1 :]
    if any(k.type == token.STAR for k in names):
        for n in KNOWN_STAR_EXPORTS.get(module, ()):
            out.setdefault(n, f"{module}.{n}")
        return
    for item in names:
        if item.type in (token.LPAR, token.RPAR):
            continue
        subs = item.children if item.type == syms.import_as_names else [item]
        for sub in subs:
            if sub.type == token.COMMA:
                continue
            if sub.type == syms.import_as_name:
                out[sub.children[2].value] = f"{module}.{sub.children[0].value}"
            elif sub.type == token.NAME:
                out[sub.value] = f"{module}.{sub.value}"


def has_name_binding(tree: Node, name: str) -> bool:
    """True when ``name`` is bound as an imported module/name in the file."""
    return name in collect_imports(tree)


def ensure_import(tree: Node, module: str = "torch") -> None:
    """Add ``import <module>`` after the last top-level import unless the
    file already binds that name with a plain ``import``."""
    known = tree.__dict__.setdefault("_tm_plain_imports", set())
    if module in known:
        return  # fixes never remove a plain ``import torch``/``import sys``
    imports = collect_imports(tree)
    if imports.get(module) == module:
        known.add(module)
        return
    new = parse_stmts(f"import {module}\n")[0]
    last_import = None
    insert_at = 0
    # Only the imports at the top of the file: an import added after a later
    # import would come after code that already uses the module (a decorator,
    # a notebook cell run before the one holding the late import).
    for i, child in enumerate(tree.children):
        if child.type == syms.simple_stmt and child.children[0].type in (
            syms.import_name,
            syms.import_from,
        ):
            last_import = i
        elif last_import is None and _is_docstring_or_future(child):
            insert_at = i + 1
        elif child.type in (syms.try_stmt, syms.if_stmt) and _only_imports(child):
            continue
        elif child.type != token.ENDMARKER:
            break
    if last_import is not None:
        tree.insert_child(last_import + 1, new)
    else:
        if insert_at < len(tree.children):
            # Keep the file's header (shebang, encoding cookie, license block)
            # above the new import: a cookie pushed below a statement is no
            # longer honoured (PEP 263), a shebang must stay on line 1.
            following = tree.children[insert_at]
            header, rest = _split_header(following.prefix)
            new.prefix, following.prefix = header, rest
        tree.insert_child(insert_at, new)


_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")


def _split_header(prefix: str) -> tuple:
    """Split the comments before the first statement into the file's header
    (shebang and encoding lines, and everything up to the last blank line)
    and the comments that belong to the statement."""
    lines = prefix.splitlines(keepends=True)
    cut = 0
    for i, line in enumerate(lines):
        if not line.strip():
            cut = i + 1
        elif i < 2 and (line.startswith("#!") or _CODING.match(line)):
            cut = max(cut, i + 1)
    return "".join(lines[:cut]), "".join(lines[cut:])


def _only_imports(node: NodeOrLeaf) -> bool:
    """A ``try``/``if`` statement whose blocks only import (a fallback import)."""
    for sub in node.pre_order():
        if sub.type == syms.simple_stmt:
            first = sub.children[0]
            if first.type not in (syms.import_name, syms.import_from) and not (
                first.type == token.NAME and first.value == "pass"
            ):
                return False
    return True


def _is_docstring_or_future(node: NodeOrLeaf) -> bool:
    if node.type != syms.simple_stmt:
        return False
    first = node.children[0]
    return first.type == token.STRING or (
        first.type == syms.import_from and str(first.children[1]).strip() == "__future__"
    )


# Bowler 0.9.0's ``Query().select_method(name)`` pattern, verbatim (Bowler is an
# optional dependency, for user rules; tests check the two stay identical).
_SELECT_METHOD = (
    "( decorated=decorated< decorators=decorators function_def=funcdef< 'def' "
    "function_name='{name}' function_parameters=parameters< '(' function_arguments="
    "typedargslist< ( 'self' | 'cls' ) any* >* ')' > any* > > | function_def=funcdef< "
    "'def' function_name='{name}' function_parameters=parameters< '(' "
    "function_arguments=typedargslist< ( 'self' | 'cls' ) any* >* ')' > any* > | "
    "function_call=power< any* trailer< any* >* trailer< '.' function_name='{name}' > "
    "function_parameters=trailer< '(' function_arguments=any* ')' > any* > | "
    "function_import=import_from< 'from' module_name=any 'import' ['('] ( import_as_names< "
    "any* function_name='{name}' any* > | any* function_name='{name}' any* ) [')'] > )"
)


def select_method_pattern(name: str) -> str:
    """The fissix pattern that Bowler's ``Query().select_method(name)`` compiles
    to: definitions of, calls of and imports of a method ``name``."""
    if not re.fullmatch(r"[A-Za-z_]\w*", name):
        raise ValueError(f"not a method name: {name!r}")
    return _SELECT_METHOD.replace("{name}", name)


def bowler_pattern(query: Any) -> str:
    """The fissix PATTERN that a Bowler ``Query`` compiles to.

    Bowler is used as the selector DSL; its driver is never used to run files
    (the engine and sources modules own that)."""
    fixers = query.compile()
    if len(fixers) != 1:
        raise ValueError("expected a query with exactly one selector")
    return fixers[0].PATTERN
