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
import os
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
    FLOAT,
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
from torchmigrate import suppressions

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
    """Tokens one of which must occur in any node ``fx`` reports at, or None.

    The fixer's declared ``TRIGGERS`` when it has them; otherwise, for
    fixers that use the base class's ``match`` with their compiled pattern,
    the NAME values the pattern requires (when they are a useful filter)."""
    key = type(fx)
    if key in _LITERALS:
        return _LITERALS[key]
    if fx.TRIGGERS is not None:
        clause = frozenset(fx.TRIGGERS)
    elif type(fx).match is not BaseFix.match:
        clause = None
    else:
        clause = _best_clause(_required(fx.pattern))
        if clause is not None and any(v in _COMMON_LITERALS for v in clause):
            clause = None
    _LITERALS[key] = clause
    return clause


_LITERALS: dict = {}

# Set TORCHMIGRATE_CHECK_DISPATCH=1 to make the engine visit the nodes a
# fixer's triggers exclude and fail loudly when one of them reports (tests).
CHECK_DISPATCH = os.environ.get("TORCHMIGRATE_CHECK_DISPATCH", "") not in ("", "0")


class DispatchError(AssertionError):
    """A fixer reported at a node its declared triggers exclude."""


def _trigger_aliases(imports: dict, names: frozenset) -> dict:
    """trigger name -> local names bound by imports whose origin ends with it."""
    out: dict = {}
    for local, origin in imports.items():
        last = origin.rsplit(".", 1)[-1]
        if last != local and last in names:
            out.setdefault(last, set()).add(local)
    return out


_FLOATS: dict = {}


def _leaf_key(leaf) -> Optional[str]:
    """The trigger token of a leaf: its text, FLOAT for a float literal."""
    if leaf.type == token.NUMBER:
        v = leaf.value
        hit = _FLOATS.get(v)
        if hit is None:
            try:
                hit = isinstance(ast.literal_eval(v.rstrip("lL")), float)
            except Exception:  # noqa: BLE001 - Python 2 octals etc.
                hit = False
            _FLOATS[v] = hit
        return FLOAT if hit else None
    if leaf.type == token.STRING:
        return None
    return leaf.value


class _LiteralIndex:
    """Per pass: the tree's leaves by trigger token (NAME and operator text,
    FLOAT for float literals), and -- computed on first use per token -- the
    nodes whose subtree contains such a leaf.

    Nodes created after the index was built (unknown ids) are never skipped.
    The index keeps the nodes alive so that their ids stay unique."""

    def __init__(self, tree):
        known: dict = {}
        by_value: dict = {}
        stack = [tree]
        number = token.NUMBER
        string = token.STRING
        while stack:
            node = stack.pop()
            known[id(node)] = node
            children = node.children
            if children:
                stack.extend(children)
                continue
            t = node.type
            if t == string:
                continue
            key = _leaf_key(node) if t == number else node.value
            if key is None:
                continue
            hit = by_value.get(key)
            if hit is None:
                by_value[key] = [node]
            else:
                hit.append(node)
        self.known = known
        self.by_value = by_value
        self._inside: dict = {}

    def leaves(self, key: str) -> list:
        """The leaves whose trigger token is ``key``."""
        return self.by_value.get(key, [])

    def inside(self, key: str) -> set:
        """ids of the nodes that contain a leaf with trigger token ``key``."""
        marks = self._inside.get(key)
        if marks is None:
            marks = self._inside[key] = set()
            for leaf in self.by_value.get(key, ()):
                cur = leaf
                while cur is not None and id(cur) not in marks:
                    marks.add(id(cur))
                    cur = cur.parent
        return marks

    def may_match(self, node, literals) -> bool:
        key = id(node)
        if key not in self.known:
            return True
        return any(key in self.inside(lit) for lit in literals)


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

    Raises :class:`MigrationError` when the text does not parse.
    """
    rules = [r for r in rules if r.wants(text)]
    result = FileResult(old=text, new=text)
    if not rules:
        return result
    added_newline = not text.endswith("\n")
    work = text + "\n" if added_newline else text
    try:
        tree, py2 = parse_source(work)
    except Exception as exc:  # noqa: BLE001 - fissix raises several types
        msg, line = describe_parse_error(exc)
        raise MigrationError(msg, line) from None
    result.py2 = py2

    disabled: set = set()
    while True:
        outcome = _run(tree, work, py2, filename, rules, disabled, unsafe_fixes, project)
        new_text = str(outcome["tree"])
        if new_text == work or parses(new_text):
            break
        # Find the rule(s) whose output does not parse, drop them, start over.
        culprits = _culprits(work, rules, disabled, unsafe_fixes, filename, project)
        if not culprits:
            culprits = {r.id for r in rules} - disabled
        for rid in sorted(culprits):
            result.errors.append(
                f"{rid} produced code that does not parse; its fixes were not applied to this file"
            )
        disabled |= culprits
        tree, py2 = parse_source(work)

    if added_newline and new_text.endswith("\n"):
        new_text = new_text[:-1]
    result.new = new_text
    result.fixes = outcome["fixes"]
    result.findings = outcome["findings"]
    result.suppressed = outcome["suppressed"]
    result.errors.extend(outcome["errors"])
    # Lines of remaining findings refer to the new text; map them back.
    if result.findings:
        lm = line_map(work, new_text if not added_newline else new_text + "\n")
        for f in result.findings:
            f.source_line = lm[f.line] if 0 < f.line < len(lm) else f.line
    return result


def _culprits(work, rules, disabled, unsafe_fixes, filename, project=None) -> set:
    bad = set()
    for rule in rules:
        if rule.id in disabled:
            continue
        tree, py2 = parse_source(work)
        others = {r.id for r in rules} - {rule.id}
        out = _run(tree, work, py2, filename, rules, others | disabled, unsafe_fixes, project)
        new_text = str(out["tree"])
        if new_text != work and not parses(new_text):
            bad.add(rule.id)
    return bad


def _pass_triggers(fixers: list, needs: dict, imports: dict, index) -> dict:
    """Per fixer (by id): its trigger tokens for this pass -- the static ones,
    import aliases of declared trigger names, and its dynamic triggers."""
    declared = frozenset().union(
        *(needs[id(fx)] for fx in fixers if fx.TRIGGERS is not None and needs.get(id(fx)))
    )
    aliases = _trigger_aliases(imports, declared) if declared else {}
    out: dict = {}
    for fx in fixers:
        lits = needs.get(id(fx))
        if lits is None:
            out[id(fx)] = None
            continue
        extra = fx.dynamic_triggers(index) if fx.TRIGGERS is not None else None
        if fx.TRIGGERS is not None and aliases:
            for name in lits:
                more = aliases.get(name)
                if more:
                    extra = set(extra or ()) | more
        out[id(fx)] = lits | frozenset(extra) if extra else lits
    return out


def _check_skipped(fx, match, node) -> None:
    """Dispatch check: visiting a node the triggers excluded must report nothing."""
    results = match(node)
    if not results:
        return
    before = len(fx.candidates)
    try:
        fx.visit(node, results)
    except Exception:  # noqa: BLE001 - a crash here is the normal path's business
        return
    if len(fx.candidates) != before:
        del fx.candidates[before:]
        raise DispatchError(
            f"{fx.rule_id} ({type(fx).__name__}) reported at a node its triggers exclude: "
            f"{str(node).strip()[:120]!r}"
        )


def _run(tree, work, py2, filename, rules, disabled, unsafe_fixes, project=None) -> dict:
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
    any_needs = any(v for v in needs.values())

    fixes: list = []
    errors: list = []
    current = work
    findings: list = []
    suppressed = 0
    for _pass in range(MAX_PASSES):
        ctx = FileContext(
            tree=tree, filename=filename, py2_grammar=py2, text=current, project=project
        )
        ctx.imports = collect_imports(tree)
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
        index = _LiteralIndex(tree) if any_needs else None
        pass_needs = _pass_triggers(fixers, needs, ctx.imports, index)
        for node in tree.pre_order():
            cands = by_type.get(node.type)
            if cands is None and not anywhere:
                continue
            for fx in (cands or []) + anywhere:
                if fx.rule_id in broken:
                    continue
                lits = pass_needs[id(fx)]
                if lits is not None and index is not None and not index.may_match(node, lits):
                    if CHECK_DISPATCH:
                        _check_skipped(fx, matchers[id(fx)], node)
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
            )
            if apply:
                if not is_attached(cand.node, tree):
                    continue  # an enclosing fix replaced it; the next pass sees it again
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
                finding.pass_text = current  # type: ignore[attr-defined]
                fixes.append(finding)
                applied_any = True
            else:
                remaining.append(finding)
        remaining.reverse()
        findings = remaining
        if not applied_any:
            break
        current = str(tree)
    else:
        errors.append(f"rules did not converge after {MAX_PASSES} passes")

    # applied fixes of later passes: map their lines back to the original text
    maps: dict = {}
    for f in fixes:
        text_k = getattr(f, "pass_text", work)
        if text_k is not work and not f.source_line:
            lm = maps.get(id(text_k))
            if lm is None:
                lm = maps[id(text_k)] = line_map(work, text_k)
            f.source_line = lm[f.line] if 0 < f.line < len(lm) else f.line
        elif not f.source_line:
            f.source_line = f.line
        if hasattr(f, "pass_text"):
            del f.pass_text
    fixes.sort(key=lambda f: (f.source_line, f.col, f.rule))
    return {
        "tree": tree,
        "fixes": fixes,
        "findings": findings,
        "errors": errors,
        "suppressed": suppressed,
    }


__all__ = ["FileResult", "MigrationError", "migrate", "parses", "line_map"]
