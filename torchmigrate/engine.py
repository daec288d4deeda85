"""The engine: text in, result out.  No I/O, no printing.

``migrate(text, rules)`` parses the text with fissix (Python 3 grammar, then
the Python 2 grammar), runs every selected rule in one traversal per pass,
applies the fixes that the safety policy allows, repeats until a pass changes
nothing, re-parses the output and returns a :class:`FileResult`.  It never
returns code that does not parse: a rule whose output breaks the file is
reported as a failure of that rule on that file and its fixes are dropped.
"""

from __future__ import annotations

import ast
import difflib
import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Optional

from fissix import pytree
from fissix.fixer_base import BaseFix
from fissix.pgen2 import token
from fissix.pgen2.parse import ParseError
from fissix.pgen2.tokenize import TokenError
from fissix.pygram import python_symbols as syms

from codemods.base import (
    MANUAL,
    SAFE,
    UNSAFE,
    FileContext,
    Finding,
    Rule,
    RuleFixer,
    collect_imports,
    is_attached,
    parse_source,
)
from torchmigrate import modern_syntax, names, suppressions

MAX_PASSES = 8


@dataclass
class FileResult:
    """What the engine did to one text."""

    old: str
    new: str
    fixes: list = field(default_factory=list)  # applied Findings
    findings: list = field(default_factory=list)  # remaining (not applied) Findings
    errors: list = field(default_factory=list)  # one-line messages
    py2: bool = False
    suppressed: int = 0
    parsed: bool = True
    # The suppression comments of the last pass, with the ones that silenced a
    # finding marked (``suppressions.problems``); None when nothing was suppressible.
    suppressions: Optional[suppressions.Suppressions] = None

    @property
    def changed(self) -> bool:
        return self.old != self.new

    @property
    def failed(self) -> bool:
        return bool(self.errors)


class MigrationError(Exception):
    """The text could not be processed at all (e.g. it does not parse)."""

    def __init__(self, message: str, line: Optional[int] = None):
        super().__init__(message)
        self.line = line


# --------------------------------------------------------------------------
_FIXERS: dict = {}


def _fixer(cls: type) -> RuleFixer:
    inst = _FIXERS.get(cls)
    if inst is None:
        inst = cls()
        _FIXERS[cls] = inst
    return inst


def _head_types(pattern) -> Optional[set]:
    """Node types a compiled pattern can match at its root (None = any)."""
    if pattern is None:
        return None
    if getattr(pattern, "type", None) is not None:
        return {pattern.type}
    content = getattr(pattern, "content", None)
    if isinstance(pattern, pytree.WildcardPattern) and content:
        types: set = set()
        for alt in content:
            if len(alt) != 1:
                return None
            sub = _head_types(alt[0])
            if sub is None:
                return None
            types |= sub
        return types
    return None


def _preorder_ids(tree) -> dict:
    """id(node) -> position of the node in ``tree.pre_order()``."""
    order: dict = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        order[id(node)] = len(order)
        children = node.children
        if children:
            stack.extend(reversed(children))
    return order


# Literal index ----------------------------------------------------------
# A NAME literal of a pattern that occurs in ordinary code too often to be a
# useful filter; a clause made of such literals is only used as a last resort.
_COMMON_LITERALS = frozenset(keyword.kwlist) | {"self", "cls", "print", "exec"}


def _required(pattern) -> list:
    """Clauses (sets of NAME values) a node's subtree must satisfy to match:
    for every clause, one of its values occurs as a NAME leaf in the subtree.
    Conservative: ``[]`` (no requirement) whenever in doubt."""
    if isinstance(pattern, pytree.LeafPattern):
        if pattern.type == token.NAME and isinstance(pattern.content, str):
            return [frozenset((pattern.content,))]
        return []
    if isinstance(pattern, pytree.NodePattern):
        if pattern.content is None:
            return []
        out: list = []
        for sub in pattern.content:
            out.extend(_required(sub))
        return out
    if isinstance(pattern, pytree.WildcardPattern):
        if pattern.content is None or pattern.min < 1:
            return []
        picks: list = []
        for alt in pattern.content:
            clauses: list = []
            for sub in alt:
                clauses.extend(_required(sub))
            if len(pattern.content) == 1:
                return clauses
            best = _best_clause(clauses)
            if best is None:
                return []
            picks.append(best)
        return [frozenset().union(*picks)]
    return []  # NegatedPattern and anything unknown


def _best_clause(clauses: list) -> Optional[frozenset]:
    best = None
    for clause in clauses:
        score = (sum(v in _COMMON_LITERALS for v in clause), len(clause))
        if best is None or score < best[0]:
            best = (score, clause)
    return None if best is None else best[1]


def _literals(fx) -> Optional[frozenset]:
    """NAME values one of which must occur in any node ``fx`` matches, or None.

    Only for fixers that use the base class's ``match`` with their compiled
    pattern, and only when the clause is a useful filter."""
    if type(fx).match is not BaseFix.match:
        return None
    key = type(fx)
    if key in _LITERALS:
        return _LITERALS[key]
    clause = _best_clause(_required(fx.pattern))
    if clause is not None and any(v in _COMMON_LITERALS for v in clause):
        clause = None
    _LITERALS[key] = clause
    return clause


_LITERALS: dict = {}


class _LiteralIndex:
    """Per pass: which nodes of the tree contain a NAME leaf of a given value.

    Nodes created after the index was built (unknown ids) are never skipped.
    The index keeps the nodes alive so that their ids stay unique."""

    def __init__(self, tree, literals: frozenset):
        known: dict = {}
        inside: dict = {lit: set() for lit in literals}
        stack = [tree]
        name = token.NAME
        while stack:
            node = stack.pop()
            known[id(node)] = node
            children = node.children
            if children:
                stack.extend(children)
            elif node.type == name and node.value in inside:
                marks = inside[node.value]
                cur = node
                while cur is not None and id(cur) not in marks:
                    marks.add(id(cur))
                    cur = cur.parent
        self.known = known
        self.inside = inside

    def may_match(self, node, literals: frozenset) -> bool:
        key = id(node)
        if key not in self.known:
            return True
        inside = self.inside
        return any(key in inside[lit] for lit in literals)


# Exact, faster equivalents of common capture-free patterns (same results:
# ``{"node": node}``).  Keyed by the whitespace-normalised PATTERN text.
def _fast_power_call_chain(node) -> bool:
    # power< any trailer< any* >+ any* >
    kids = node.children
    return node.type == syms.power and len(kids) >= 2 and kids[1].type == syms.trailer


def _fast_power_trailers(node) -> bool:
    # power< any trailer+ >
    kids = node.children
    if node.type != syms.power or len(kids) < 2:
        return False
    trailer = syms.trailer
    return all(k.type == trailer for k in kids[1:])


_FAST_PATTERNS = {
    "power< any trailer< any* >+ any* >": _fast_power_call_chain,
    "power< any trailer+ >": _fast_power_trailers,
}


def _fast_match(fx):
    """A faster exact replacement of ``fx.match`` where one is known."""
    if type(fx).match is not BaseFix.match or not isinstance(fx.PATTERN, str):
        return None
    test = _FAST_PATTERNS.get(" ".join(fx.PATTERN.split()))
    if test is None:
        return None

    def match(node):
        return {"node": node} if test(node) else False

    return match


def describe_parse_error(exc: BaseException) -> tuple[str, Optional[int]]:
    """A one-line description and line number of a fissix parse failure."""
    if isinstance(exc, ParseError):
        line = exc.context[1][0] if exc.context else None
        tok = exc.value or "end of file"
        return (
            f"invalid syntax near {tok!r} (neither the Python 3 nor the Python 2 grammar accepts it)",
            line,
        )
    if isinstance(exc, TokenError):
        line = exc.args[1][0] if len(exc.args) > 1 else None
        return f"{exc.args[0]}", line
    if isinstance(exc, (IndentationError, SyntaxError)):
        return f"{exc.msg}", exc.lineno
    return f"{type(exc).__name__}: {exc}", None


def parses(text: str) -> bool:
    """True when Python 3.11 or one of fissix's grammars accepts ``text``."""
    try:
        compile(text, "<migrated>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        return True
    except (SyntaxError, ValueError):
        pass
    try:
        parse_source(text)
        return True
    except Exception:
        return False


def _leaves(tree) -> list:
    """``list(tree.leaves())`` without recursive generators."""
    out = []
    stack = [tree]
    while stack:
        node = stack.pop()
        children = node.children
        if children:
            stack.extend(reversed(children))
        elif isinstance(node, pytree.Leaf):
            out.append(node)
    return out


def _positions(tree) -> dict:
    """id(leaf) -> (line, col) for every leaf, computed from the printed text."""
    pos = {}
    line, col = 1, 0
    for leaf in _leaves(tree):
        prefix = leaf.prefix
        if prefix:
            n = prefix.count("\n")
            if n:
                line += n
                col = len(prefix) - prefix.rfind("\n") - 1
            else:
                col += len(prefix)
        pos[id(leaf)] = (line, col)
        value = leaf.value
        n = value.count("\n")
        if n:
            line += n
            col = len(value) - value.rfind("\n") - 1
        else:
            col += len(value)
    return pos


def _span(node, pos: dict) -> tuple[int, int, int]:
    leaves = list(node.leaves()) if isinstance(node, pytree.Node) else [node]
    if not leaves:
        return 1, 1, 1
    start = pos.get(id(leaves[0]), (1, 0))
    last = leaves[-1]
    end_line = pos.get(id(last), start)[0] + last.value.count("\n")
    return start[0], start[1] + 1, end_line


def line_map(old: str, new: str) -> list:
    """For each line number of ``new`` (1-based index), the matching line of ``old``."""
    a = old.split("\n")
    b = new.split("\n")
    out = [0] * (len(b) + 1)
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        for k in range(j1, j2):
            if tag == "equal":
                out[k + 1] = i1 + (k - j1) + 1
            else:
                out[k + 1] = min(i1 + (k - j1), max(i2 - 1, i1)) + 1
    return out


# --------------------------------------------------------------------------
# Back-out bookkeeping: a fix site is identified across re-runs by its rule,
# the line of the original text it maps to and the text it replaced.
MAX_BACKOUT_ROUNDS = 6
MAX_MINIMIZE_RUNS = 24


@dataclass
class _Applied:
    """What the engine remembers about one applied fix (internal)."""

    finding: Finding
    key: tuple
    before: str  # the text of the site before the fix
    binds: frozenset  # names the site bound before the fix (statements only)
    scope: str  # "f.g": the definitions the site stands in
    pass_no: int


def migrate(
    text: str,
    rules: Iterable[Rule],
    *,
    unsafe_fixes: bool = False,
    filename: str = "<string>",
    project=None,
) -> FileResult:
    """Run ``rules`` over ``text`` (LF newlines) and return the result.

    ``project`` holds the project model's facts about this module (see
    ``torchmigrate.project``); rules read it as ``ctx.project``.

    The output keeps three invariants, checked on every output (see
    :func:`_violations`): it compiles with CPython when the input did (and
    always parses with one of fissix's grammars), no fix leaves a name
    undefined that was defined (project-wide, through ``project``), and no
    assignment/deletion target becomes a call.  Fixes that break one are
    backed out -- only those: the rest of the file is still migrated, and
    each backed-out site is reported as a ``manual`` finding saying why.
    The same happens to sites that keep changing after ``MAX_PASSES``.

    Raises :class:`MigrationError` when the text does not parse.
    """
    result = FileResult(old=text, new=text)
    if suppressions.skips_file(text):
        return result
    rules = [r for r in rules if r.wants(text, project)]
    if not rules:
        return result
    added_newline = not text.endswith("\n")
    work = text + "\n" if added_newline else text
    try:
        tree, py2 = parse_source(work)
    except Exception as exc:  # noqa: BLE001 - fissix raises several types
        msg, line = describe_parse_error(exc)
        msg, line = modern_syntax.describe(work, line) or (msg, line)
        raise MigrationError(msg, line) from None
    result.py2 = py2
    checker = _Invariants(work, tree, py2, project, rules)

    skip: dict = {}  # site key -> reason it is backed out
    late_notes: list = []  # rules switched off for this file
    disabled: set = set()  # rule ids switched off for this file (last resort)

    def run(extra_skip=None, extra_disabled=frozenset()):
        t = tree if run.first else parse_source(work)[0]
        run.first = False
        sk = skip if extra_skip is None else {**skip, **extra_skip}
        out = _run(
            t, work, py2, filename, rules, disabled | extra_disabled, unsafe_fixes, project, sk
        )
        out["text"] = str(out["tree"])
        return out

    run.first = True
    outcome = run()
    for _round in range(MAX_BACKOUT_ROUNDS):
        if outcome["unconverged"]:
            # Back out the sites still changing in the last pass; keep the rest.
            for a in outcome["unconverged"]:
                skip[a.key] = (
                    f"{a.finding.rule} did not converge (it kept rewriting this site after "
                    f"{MAX_PASSES} passes)"
                )
            outcome = run()
            continue
        violations = checker.check(outcome)
        if not violations:
            break
        found = _back_out(violations, outcome, run, checker)
        if found:
            skip.update(found)
            outcome = run()
            continue
        # Last resort: switch off the rules involved for this file, then every rule.
        culprits = {v.rule for v in violations if v.rule} or {
            a.finding.rule for a in outcome["applied"]
        }
        for rid in sorted(culprits - disabled):
            first = min(
                (a.finding for a in outcome["applied"] if a.finding.rule == rid),
                key=lambda f: f.source_line,
            )
            late_notes.append(
                Finding(
                    rule=rid,
                    line=first.line,
                    col=first.col,
                    safety=MANUAL,
                    message=(
                        f"{rid} was not applied to this file: its fixes broke an invariant "
                        f"({violations[0].reason}) and the site could not be isolated"
                    ),
                    source_line=first.source_line,
                )
            )
        disabled |= culprits
        outcome = run()
    else:
        if outcome["unconverged"] or checker.check(outcome):
            disabled |= {r.id for r in rules}
            result.errors.append("the rules' fixes could not be made to keep the invariants")
            outcome = run()

    new_text = outcome["text"]
    result.fixes = [a.finding for a in outcome["applied"]]
    _assign_groups(outcome["applied"], checker.after_report(outcome))
    result.fixes.sort(key=lambda f: (f.source_line, f.col, f.rule))
    result.findings = outcome["findings"] + checker.notes(outcome) + late_notes
    result.suppressed = outcome["suppressed"]
    result.suppressions = outcome["suppressions"]
    result.errors.extend(outcome["errors"])
    if added_newline and new_text.endswith("\n"):
        new_text = new_text[:-1]
    result.new = new_text
    # Lines of remaining findings refer to the new text; map them back.
    if result.findings:
        lm = line_map(work, new_text if not added_newline else new_text + "\n")
        for f in result.findings:
            f.source_line = lm[f.line] if 0 < f.line < len(lm) else f.line
    return result


# --------------------------------------------------------------------------
# Invariants
# --------------------------------------------------------------------------
@dataclass
class _Violation:
    kind: str  # compile | parse | call-target | undefined | removed-binding
    reason: str  # one line, for the report
    line: int = 0  # in the output text (0 = unknown)
    name: Optional[str] = None
    rule: Optional[str] = None  # when the violation names its rule already


def _compiles(text: str) -> Optional[SyntaxError]:
    """None when CPython compiles ``text``, else the error."""
    try:
        compile(text, "<migrated>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        return None
    except SyntaxError as exc:
        return exc
    except ValueError as exc:  # null bytes
        return SyntaxError(str(exc))


class _Invariants:
    """The engine's output invariants for one file (see :func:`migrate`)."""

    def __init__(self, work: str, tree, py2: bool, project, rules) -> None:
        self.work = work
        self.py2 = py2
        self.project = project
        self.post_checks = [r for r in rules if r.post_check is not None]
        self.provided = frozenset(getattr(project, "provided_names", ()) or ())
        self.needed = frozenset(getattr(project, "needed_by_others", ()) or ())
        self.stars = frozenset(getattr(project, "resolved_stars", ()) or ())
        self.before = names.analyse(tree, self.provided, self.stars)
        self.before_calls = len(names.call_targets(tree))
        self._input_compiles: Optional[bool] = None

    def input_compiles(self) -> bool:
        if self._input_compiles is None:
            self._input_compiles = _compiles(self.work) is None
        return self._input_compiles

    def after_report(self, outcome):
        rep = outcome.get("names")
        if rep is None:
            rep = outcome["names"] = names.analyse(outcome["tree"], self.provided, self.stars)
        return rep

    def check(self, outcome) -> list:
        text = outcome["text"]
        if text == self.work:
            return []
        out: list = []
        err = _compiles(text)
        if err is not None:
            if self.input_compiles():
                out.append(
                    _Violation(
                        "compile",
                        f"the output would not compile: {err.msg} (line {err.lineno})",
                        err.lineno or 0,
                    )
                )
            elif not _fissix_parses(text):
                out.append(
                    _Violation(
                        "parse",
                        "the output would not parse with any supported grammar",
                        _fissix_error_line(text),
                    )
                )
        tree = outcome["tree"]
        calls = names.call_targets(tree)
        if len(calls) > self.before_calls:
            for node in calls:
                out.append(
                    _Violation(
                        "call-target",
                        f"`{str(node).strip()}` would become an assignment or deletion target",
                        node.get_lineno() or 0,
                    )
                )
        after = self.after_report(outcome)
        for key in sorted(after.undefined_keys() - self.before.undefined_keys()):
            scope, name = key
            leaf = after.undefined[key]
            where = f" in `{scope}`" if scope else ""
            out.append(
                _Violation(
                    "undefined",
                    f"`{name}` would be undefined{where}",
                    leaf.get_lineno() or 0,
                    name=name,
                )
            )
        removed = self.before.module_bound - after.module_bound
        for name in sorted(removed):
            if name in self.needed:
                out.append(
                    _Violation(
                        "removed-binding",
                        f"`{name}` is imported from this module elsewhere in the project",
                        0,
                        name=name,
                    )
                )
            elif after.open and name in after.global_reads:
                out.append(
                    _Violation(
                        "removed-binding",
                        f"`{name}` is still read but no longer bound",
                        0,
                        name=name,
                    )
                )
        return out

    def notes(self, outcome) -> list:
        """Findings of the rules that check the finished output (``post_check``)."""
        out = []
        for rule in self.post_checks:
            for line, col, message in rule.post_check(
                outcome["text"], self.py2, outcome["findings"]
            ):
                out.append(
                    Finding(
                        rule=rule.id,
                        line=line,
                        col=col,
                        safety=MANUAL,
                        message=message,
                        end_line=line,
                    )
                )
        return out


def _fissix_parses(text: str) -> bool:
    try:
        parse_source(text)
        return True
    except Exception:  # noqa: BLE001
        return False


def _fissix_error_line(text: str) -> int:
    try:
        parse_source(text)
    except Exception as exc:  # noqa: BLE001
        return describe_parse_error(exc)[1] or 0
    return 0


_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def _suspects(v: _Violation, applied: list, work: str, new_text: str) -> tuple:
    """(primary, all) suspects of a violation among the applied fixes."""
    if v.name is not None:
        binders, readers = [], []
        for a in applied:
            words = set(_WORD.findall(a.before))
            sugg = a.finding.suggestion or ""
            if v.name in a.binds:
                binders.append(a)
            elif v.name in words or v.name in set(_WORD.findall(sugg)):
                readers.append(a)
        introducers = [a for a in readers if v.name not in set(_WORD.findall(a.before))]
        primary = binders + introducers
        return primary, binders + readers
    if not v.line:
        return [], list(applied)
    lm = line_map(work, new_text)
    orig = lm[v.line] if 0 < v.line < len(lm) else v.line
    near = [
        a
        for a in applied
        if a.finding.source_line
        <= orig
        <= a.finding.source_line + max(0, a.finding.end_line - a.finding.line)
    ]
    if not near:
        near = [a for a in applied if abs(a.finding.source_line - orig) <= 2]
    return near, near or list(applied)


def _back_out(violations: list, outcome, run, checker) -> dict:
    """A small set of applied sites whose backing out removes every
    violation: {key: reason}, or {} when none was found."""
    applied = outcome["applied"]
    if not applied:
        return {}
    reason_of: dict = {}
    primary: dict = {}
    wide: dict = {}
    for v in violations:
        p, w = _suspects(v, applied, checker.work, outcome["text"])
        for a in p:
            primary.setdefault(a.key, a)
            reason_of.setdefault(a.key, v.reason)
        for a in w:
            wide.setdefault(a.key, a)
            reason_of.setdefault(a.key, v.reason)
    budget = [MAX_MINIMIZE_RUNS]

    def clean(keys) -> bool:
        budget[0] -= 1
        out = run({k: reason_of.get(k, "") for k in keys})
        return not out["unconverged"] and not checker.check(out)

    for group in (primary, wide, {a.key: a for a in applied}):
        keys = list(group)
        if not keys or not clean(keys):
            continue
        # Minimise: give back every site that is not needed (one at a time).
        needed = list(keys)
        for k in list(keys):
            if budget[0] <= 0 or len(needed) == 1:
                break
            trial = [x for x in needed if x != k]
            if clean(trial):
                needed = trial
        return {k: "backed out: " + reason_of.get(k, "it broke an invariant") for k in needed}
    return {}


def _assign_groups(applied: list, after) -> None:
    """Fixes that must travel together get one ``group`` number: a fix that
    removed a binding (an import) and every fix that removed a read of it."""
    parent = {id(a): id(a) for a in applied}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    linked = False
    for a in applied:
        if not a.binds:
            continue
        still = after.scopes.get(a.scope, set()) if a.scope else after.module_bound
        gone = {n for n in a.binds if n not in still}
        if not gone:
            continue
        for b in applied:
            if b is a:
                continue
            if gone & set(_WORD.findall(b.before)):
                parent[find(id(b))] = find(id(a))
                linked = True
    if not linked:
        return
    ids: dict = {}
    members: dict = {}
    for a in applied:
        members.setdefault(find(id(a)), []).append(a)
    for root, group in members.items():
        if len(group) < 2:
            continue
        gid = ids.setdefault(root, len(ids) + 1)
        for a in group:
            a.finding.group = gid


_STATEMENTS = frozenset(
    {
        syms.import_from,
        syms.import_name,
        syms.simple_stmt,
        syms.expr_stmt,
        syms.funcdef,
        syms.classdef,
        syms.decorated,
        syms.for_stmt,
        syms.with_stmt,
        syms.global_stmt,
    }
)


def _scope_path(node) -> str:
    parts = []
    cur = node.parent
    while cur is not None:
        if cur.type in (syms.funcdef, syms.classdef):
            parts.append(cur.children[1].value)
        cur = cur.parent
    return ".".join(reversed(parts))


def _run(tree, work, py2, filename, rules, disabled, unsafe_fixes, project=None, skip=None) -> dict:
    """Run the passes on ``tree`` (mutated in place).  ``skip`` maps the keys
    of fix sites to back out to the reason; such sites are reported as
    ``manual`` findings instead of being applied."""
    skip = skip or {}
    fixers = []
    for rule in rules:
        if rule.id in disabled:
            continue
        for cls in rule.fixers:
            fx = _fixer(cls)
            fx.rule_id = rule.id
            fixers.append(fx)
    by_type: dict = {}
    whole_file = []
    anywhere = []
    for fx in fixers:
        if fx.pattern is None:
            whole_file.append(fx)
            continue
        types = _head_types(fx.pattern)
        if types is None:
            anywhere.append(fx)
        else:
            for t in types:
                by_type.setdefault(t, []).append(fx)

    # Per fixer: its match function and the NAME values a match needs.
    matchers = {id(fx): _fast_match(fx) or fx.match for fx in fixers}
    needs = {id(fx): _literals(fx) for fx in fixers if fx.pattern is not None}
    all_literals = frozenset().union(*(v for v in needs.values() if v))

    applied: list = []  # _Applied
    last_pass: list = []
    errors: list = []
    current = work
    findings: list = []
    suppressed = 0
    sup = None
    converged = False
    for _pass in range(MAX_PASSES):
        ctx = FileContext(
            tree=tree, filename=filename, py2_grammar=py2, text=current, project=project
        )
        ctx.imports = collect_imports(tree)
        if project is not None and getattr(project, "origins", None):
            # names bound through star imports / project re-exports (project model)
            ctx.imports.update(project.origins)
        broken: set = set()
        for fx in fixers:
            try:
                fx.begin(ctx)
            except Exception as exc:  # noqa: BLE001
                broken.add(fx.rule_id)
                errors.append(f"internal error in {fx.rule_id}: {type(exc).__name__}: {exc}")
        for fx in whole_file:
            try:
                fx.visit(tree, {"node": tree})
            except Exception as exc:  # noqa: BLE001
                broken.add(fx.rule_id)
                errors.append(f"internal error in {fx.rule_id}: {type(exc).__name__}: {exc}")
        index = _LiteralIndex(tree, all_literals) if all_literals else None
        for node in tree.pre_order():
            cands = by_type.get(node.type)
            if cands is None and not anywhere:
                continue
            for fx in (cands or []) + anywhere:
                if fx.rule_id in broken:
                    continue
                lits = needs[id(fx)]
                if lits is not None and index is not None and not index.may_match(node, lits):
                    continue
                results = matchers[id(fx)](node)
                if not results:
                    continue
                try:
                    fx.visit(node, results)
                except Exception as exc:  # noqa: BLE001
                    broken.add(fx.rule_id)
                    line = getattr(node, "lineno", 0)
                    errors.append(
                        f"line {line}: internal error in {fx.rule_id}: {type(exc).__name__}: {exc}"
                    )
        cands_all: list = []
        for fx in fixers:
            if fx.rule_id not in broken:
                cands_all.extend(fx.candidates)
            fx.candidates = []
        if not cands_all:
            findings = []
            sup = None
            converged = True
            break
        pos = _positions(tree)
        sup = suppressions.parse(current)
        # Pre-order position order; apply in reverse so inner/later sites go first.
        order = _preorder_ids(tree)
        cands_all.sort(key=lambda c: order.get(id(c.node), -1))
        pending: list = []
        suppressed = 0
        for cand in cands_all:
            start, col, end = _span(cand.node, pos)
            if suppressions.is_suppressed(cand.fixer.rule_id, start, end, sup):
                suppressed += 1
                continue
            pending.append((cand, start, col, end))
        applied_any = False
        remaining: list = []
        this_pass: list = []
        pass_map: Optional[list] = None
        for cand, start, col, end in reversed(pending):
            apply = cand.fix is not None and (
                cand.safety == SAFE or (cand.safety == UNSAFE and unsafe_fixes)
            )
            finding = Finding(
                rule=cand.fixer.rule_id,
                line=start,
                col=col,
                safety=cand.safety,
                message=cand.message,
                suggestion=cand.suggestion,
                end_line=end,
                short=cand.short,
            )
            if apply and not is_attached(cand.node, tree):
                continue  # an enclosing fix replaced it; the next pass sees it again
            before = str(cand.node).strip() if apply else ""
            if apply and skip:
                if _pass and pass_map is None:
                    pass_map = line_map(work, current)
                src = _orig_line(start, pass_map)
                reason = skip.get((finding.rule, src, before))
                if reason is None and getattr(cand.node, "_tm_backed_out", None):
                    reason = cand.node._tm_backed_out
                if reason is not None:
                    cand.node._tm_backed_out = reason
                    finding.safety = MANUAL
                    finding.message = f"{cand.message} [{reason}]"
                    remaining.append(finding)
                    continue
            if apply:
                binds = (
                    frozenset(names.bound_in(cand.node))
                    if cand.node.type in _STATEMENTS
                    else frozenset()
                )
                scope = _scope_path(cand.node)
                try:
                    done = cand.fix()
                except Exception as exc:  # noqa: BLE001
                    errors.append(
                        f"line {start}: internal error in {finding.rule} while fixing: "
                        f"{type(exc).__name__}: {exc}"
                    )
                    continue
                if done is False:
                    continue
                finding.applied = True
                finding.source_line = start if _pass == 0 else 0
                rec = _Applied(finding, (), before, binds, scope, _pass)
                rec.pass_text = current  # type: ignore[attr-defined]
                applied.append(rec)
                this_pass.append(rec)
                applied_any = True
            else:
                remaining.append(finding)
        remaining.reverse()
        findings = remaining
        last_pass = this_pass
        if not applied_any:
            converged = True
            break
        current = str(tree)
    unconverged = [] if converged else last_pass

    # applied fixes of later passes: map their lines back to the original text
    maps: dict = {}
    for rec in applied:
        f = rec.finding
        text_k = rec.pass_text
        if text_k is not work and not f.source_line:
            lm = maps.get(id(text_k))
            if lm is None:
                lm = maps[id(text_k)] = line_map(work, text_k)
            f.source_line = _orig_line(f.line, lm)
        elif not f.source_line:
            f.source_line = f.line
        del rec.pass_text
        rec.key = (f.rule, f.source_line, rec.before)
    return {
        "tree": tree,
        "applied": applied,
        "unconverged": unconverged,
        "findings": findings,
        "errors": errors,
        "suppressed": suppressed,
        "suppressions": sup,
    }


def _orig_line(line: int, lm: Optional[list]) -> int:
    """The original line of ``line`` of a pass text (``lm`` from :func:`line_map`;
    None for the first pass, whose text is the original)."""
    if lm is None:
        return line
    return lm[line] if 0 < line < len(lm) else line


__all__ = ["FileResult", "MigrationError", "migrate", "parses", "line_map"]
