"""Source loader for legacy scripts: rewrite only what cannot be emulated at runtime.

``rewrite_source(text)`` returns source that Python 3 can compile, with the old meaning:

- ``async=`` keyword arguments (a SyntaxError since Python 3.7) become ``non_blocking=``;
  every other identifier use of ``async`` is renamed the same way, consistently.
- Python 2 files get fissix's syntax-level 2to3 fixers plus the ones for names that would
  raise at runtime (see ``PY2_FIXERS``), and -- unless the file has
  ``from __future__ import division`` -- every ``a / b`` becomes ``_tm_div(a, b)`` and
  ``a /= b`` becomes ``a = _tm_idiv(a, b)``: floor division for two integers, true
  division otherwise, as Python 2 did.  (The helpers are put into ``builtins`` by the
  legacy runtime; the names have a single leading underscore because ``__name`` would be
  mangled inside class bodies.)

- ``type(x.data)`` becomes ``_tm_data_type(x.data)``: in 0.3 ``.data`` was a typed tensor
  (``type(v.data) == torch.FloatTensor``, ``'cuda' in str(type(p.data))``), today every
  tensor's type is ``torch.Tensor``; the helper (put into ``builtins`` by the legacy runtime)
  returns the typed class (``torch.FloatTensor``, ``torch.cuda.LongTensor`` ...).  Only the
  ``.data`` spelling is rewritten: a Variable's own ``type(v)`` was ``Variable``, which the
  runtime emulates separately.

A file is treated as Python 2 when it does not compile as Python 3 (after the ``async``
fix), or when it compiles but uses Python-2-only names (``xrange``, ``iteritems``,
``has_key``, ``raw_input``, ``cPickle`` ...; see ``PY2_NAMES``).

``install(root)`` puts an import hook on ``sys.meta_path`` so every module loaded from a
file under ``root`` (the script's directory tree) goes through ``rewrite_source``.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import io
import os
import re
import sys
import tokenize

from fissix import pygram, pytree
from fissix.fixer_util import Call, Comma, Name
from fissix.pgen2 import driver as pgen_driver
from fissix.pgen2 import token
from fissix.refactor import RefactoringTool

PY2_FIXERS = [
    f"fissix.fixes.fix_{name}"
    for name in (
        # syntax
        "print except raise repr ne numliterals exec tuple_params paren throw "
        # names / methods that fail at runtime on Python 3
        "xrange has_key dict imports imports2 unicode basestring long raw_input next "
        "reduce renames intern execfile itertools itertools_imports methodattrs funcattrs "
        "getcwdu xreadlines standarderror sys_exc nonzero metaclass urllib apply input "
        "map zip filter operator exitfunc types buffer"
    ).split()
]

PY2_NAMES = frozenset(
    "xrange raw_input basestring unichr iteritems itervalues iterkeys has_key cPickle "
    "urllib2 izip imap ifilter execfile xreadlines unicode".split()
)

_syms = pygram.python_symbols
_FUTURE_DIVISION = re.compile(r"^\s*from\s+__future__\s+import\s+[^\n#]*\bdivision\b", re.M)


def _parse(text: str) -> tuple[pytree.Node, bool]:
    """Parse with the print-function grammar first, then the Python 2 grammar.

    Returns (tree, needed_py2_grammar)."""
    errors: list[Exception] = []
    for grammar, py2 in (
        (pygram.python_grammar_no_print_and_exec_statement, False),
        (pygram.python_grammar, True),
    ):
        drv = pgen_driver.Driver(grammar, convert=pytree.convert)
        try:
            return drv.parse_string(text), py2
        except Exception as exc:  # fissix raises ParseError / TokenError
            errors.append(exc)
    raise SyntaxError(f"not parsable by the legacy grammars: {errors[-1]}")


def _fix_async(tree: pytree.Node) -> bool:
    """Rename every identifier use of ``async`` (keyword arguments, parameters,
    attributes, variables) to ``non_blocking`` -- consistently, so a helper defined with
    an ``async`` parameter still matches its callers."""
    changed = False
    for leaf in tree.leaves():
        if leaf.type in (token.NAME, token.ASYNC) and leaf.value == "async":
            parent = leaf.parent
            if parent is not None and parent.type in (_syms.async_stmt, _syms.async_funcdef):
                continue
            leaf.value = "non_blocking"
            leaf.type = token.NAME
            changed = True
    return changed


_TYPE_DATA = re.compile(r"\btype\s*\([^()]*\.data\s*\)")


def _rewrite_type_data(tree: pytree.Node) -> bool:
    """``type(<expr>.data)`` -> ``_tm_data_type(<expr>.data)``."""
    changed = False
    for leaf in list(tree.leaves()):
        if leaf.type != token.NAME or leaf.value != "type":
            continue
        power = leaf.parent
        if power is None or power.type != _syms.power or power.children[0] is not leaf:
            continue
        call = power.children[1]
        if call.type != _syms.trailer or call.children[0].value != "(" or len(call.children) != 3:
            continue
        arg = call.children[1]
        if arg.type != _syms.power:
            continue
        last = arg.children[-1]
        if (
            last.type == _syms.trailer
            and last.children[0].value == "."
            and last.children[1].value == "data"
        ):
            leaf.value = "_tm_data_type"
            changed = True
    return changed


def _uses_py2_names(text: str) -> bool:
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.NAME and tok.string in PY2_NAMES:
                return True
    except (tokenize.TokenError, SyntaxError):
        return True
    return False


def _compiles(text: str) -> bool:
    try:
        compile(text, "<legacy>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def _rewrite_division(tree: pytree.Node) -> bool:
    """``a / b`` -> ``_tm_div(a, b)``; ``a /= b`` -> ``a = _tm_idiv(a, b)``."""
    changed = False
    # Collect first: we replace nodes while walking.
    terms = [n for n in tree.pre_order() if n.type == _syms.term]
    for term in reversed(terms):  # innermost (later in pre-order) first
        if term.parent is None and term is not tree:
            continue
        kids = term.children
        if not any(k.type == token.SLASH for k in kids[1::2]):
            continue
        prefix = term.prefix
        acc = kids[0].clone()
        acc.prefix = ""
        for i in range(1, len(kids), 2):
            op, operand = kids[i], kids[i + 1].clone()
            if op.type == token.SLASH:
                operand.prefix = " "
                acc = Call(Name("_tm_div"), [acc, Comma(), operand])
            else:
                acc = pytree.Node(
                    _syms.term, [acc, pytree.Leaf(op.type, op.value, prefix=" "), operand]
                )
                operand.prefix = " "
        acc.prefix = prefix
        term.replace(acc)
        changed = True
    for node in list(tree.pre_order()):
        if node.type == _syms.expr_stmt and len(node.children) == 3:
            target, op, value = node.children
            if op.type == token.SLASHEQUAL:
                t1 = target.clone()
                t2 = target.clone()
                t2.prefix = ""
                v = value.clone()
                v.prefix = " "
                call = Call(Name("_tm_idiv", prefix=" "), [t2, Comma(), v])
                new = pytree.Node(
                    _syms.expr_stmt, [t1, pytree.Leaf(token.EQUAL, "=", prefix=" "), call]
                )
                node.replace(new)
                changed = True
    return changed


class _Py2Tool(RefactoringTool):
    def __init__(self):
        super().__init__(PY2_FIXERS, options={"print_function": False})


_tool: _Py2Tool | None = None


def is_python2(text: str) -> bool:
    """Heuristic used by ``rewrite_source`` (see the module docstring)."""
    fixed = text
    if "async" in text and not _compiles(text):
        tree, _ = _parse(text)
        _fix_async(tree)
        fixed = str(tree)
    if not _compiles(fixed):
        return True
    return _uses_py2_names(fixed)


def rewrite_source(text: str, filename: str = "<legacy>") -> str:
    """Return Python 3 source with the legacy meaning of ``text`` (see module docstring)."""
    global _tool
    if not text.endswith("\n"):
        text += "\n"
    compiles = _compiles(text)
    type_data = bool(_TYPE_DATA.search(text))
    if compiles and not type_data and not _uses_py2_names(text):
        return text
    tree, needed_py2_grammar = _parse(text)
    async_fixed = _fix_async(tree)
    out = str(tree)
    py2 = needed_py2_grammar or not _compiles(out) or _uses_py2_names(out)
    if not py2:
        if type_data and _rewrite_type_data(tree):
            return str(tree)
        return out if async_fixed else text
    if _tool is None:
        _tool = _Py2Tool()
    tool = _tool
    grammar = (
        pygram.python_grammar
        if needed_py2_grammar
        else pygram.python_grammar_no_print_and_exec_statement
    )
    tool.grammar = tool.driver.grammar = grammar
    tree = tool.refactor_string(out, filename)
    if tree is None:
        raise SyntaxError(f"{filename}: could not apply Python 2 fixers")
    if not _FUTURE_DIVISION.search(out):
        _rewrite_division(tree)
    if type_data:
        _rewrite_type_data(tree)
    return str(tree)


class LegacySourceLoader(importlib.machinery.SourceFileLoader):
    """Loads a module's source through ``rewrite_source`` (no bytecode cache)."""

    def get_code(self, fullname):
        path = self.get_filename(fullname)
        data = self.get_data(path)
        text = decode_source(data)
        return compile(rewrite_source(text, path), path, "exec", dont_inherit=True)


def decode_source(data: bytes) -> str:
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    text = data.decode(encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n")


class LegacyFinder(importlib.abc.MetaPathFinder):
    """Finds modules under ``root`` and hands them to ``LegacySourceLoader``."""

    def __init__(self, root: str):
        self.root = os.path.realpath(root)

    def find_spec(self, fullname, path=None, target=None):
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            return spec
        origin = os.path.realpath(spec.origin)
        if origin == self.root or origin.startswith(self.root + os.sep):
            spec.loader = LegacySourceLoader(fullname, spec.origin)
        return spec


_finder: LegacyFinder | None = None


def install(root: str) -> None:
    global _finder
    uninstall()
    _finder = LegacyFinder(root)
    sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    global _finder
    if _finder is not None and _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    _finder = None
