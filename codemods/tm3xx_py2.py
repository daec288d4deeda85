"""TM301-TM309: Python 2 -> 3, reusing fissix's own 2to3 fixers.

Every rule here runs only on files that are Python 2 (see
:mod:`codemods._py2` for the evidence and why it is chosen that way).  Each
fixer wraps one fissix fixer: it matches with the fissix pattern, dry-runs the
fissix transform on a detached clone (the finding shows the exact result),
classifies the site and applies the real transform only inside the fix.

Output style: exactly 2to3's output for the sites we fix, with two
deliberate differences -- ``u''`` prefixes are kept (Python 3.3+ accepts
them, removing them is noise), and ``print("a", b)`` in a Python 2 file
becomes ``print(("a", b))`` as 2to3 does (Python 2 printed a tuple there).
"""

from __future__ import annotations

import re

from fissix.fixer_util import Name, is_probably_builtin
from fissix.fixes import (
    fix_apply,
    fix_basestring,
    fix_dict,
    fix_except,
    fix_exec,
    fix_execfile,
    fix_filter,
    fix_funcattrs,
    fix_getcwdu,
    fix_has_key,
    fix_imports,
    fix_imports2,
    fix_input,
    fix_itertools,
    fix_itertools_imports,
    fix_long,
    fix_map,
    fix_metaclass,
    fix_methodattrs,
    fix_ne,
    fix_next,
    fix_nonzero,
    fix_numliterals,
    fix_print,
    fix_raise,
    fix_raw_input,
    fix_renames,
    fix_repr,
    fix_standarderror,
    fix_sys_exc,
    fix_throw,
    fix_tuple_params,
    fix_types,
    fix_unicode,
    fix_urllib,
    fix_xrange,
    fix_xreadlines,
    fix_zip,
)
from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms

from codemods._py2 import (
    MANUAL,
    SAFE,
    UNSAFE,
    FissixRuleFixer,
    Py2Info,
    insert_import,
    mark,
    marked,
    py2_info,
    py2_prefilter,
    wrapped_arg,
)
from codemods.base import Example, Rule, RuleFixer, ensure_import

# ==========================================================================
# TM301 print statement
# ==========================================================================


class PrintFixer(FissixRuleFixer):
    FISSIX = fix_print.FixPrint
    TAG = "print"

    def active(self, info: Py2Info) -> bool:
        return info.is_py2 and "print_function" not in info.future

    def message(self, node, results, dry):
        if node.type == syms.print_stmt and len(node.children) == 2:
            arg = node.children[1]
            if (
                arg.type == syms.atom
                and len(arg.children) == 3
                and arg.children[1].type == syms.testlist_gexp
            ):
                return (
                    "print statement with a parenthesised tuple: Python 2 printed the tuple, "
                    f"so the faithful call is `{dry.suggestion}`; drop the inner parentheses "
                    "if you meant to print the items"
                )
        return f"print statement is a SyntaxError in Python 3; use `{dry.suggestion}`"


# ==========================================================================
# TM302 xrange / range
# ==========================================================================


class _FixXrange(fix_xrange.FixXrange):
    """fissix's fixer, minus its id()-based memory (marks replace it)."""

    def transform_xrange(self, node, results):
        name = results["name"]
        name.replace(Name("range", prefix=name.prefix))

    def transform_range(self, node, results):
        if marked(node, "xrange"):
            return None
        self.transformed_xranges = set()
        return super().transform_range(node, results)


class XrangeFixer(FissixRuleFixer):
    FISSIX = _FixXrange
    TAG = "xrange"

    def py2_ambiguous(self, node) -> bool:
        # range(n) is what xrange(n) becomes: only the xrange sites are
        # Python 2 alone
        name = node.children[0]
        return name.type == token.NAME and name.value == "range"

    def skip(self, node):
        name = node.children[0]
        return name.type != token.NAME or name.value in self.info.bound

    def message(self, node, results, dry):
        if results["name"].value == "xrange":
            return f"xrange() does not exist in Python 3; range() is the lazy equivalent: `{dry.suggestion}`"
        return (
            "range() returned a list in Python 2 and a lazy range object in Python 3; "
            f"`{dry.suggestion}` keeps the list (indexing, +, append, shuffle keep working)"
        )

    def after_fix(self, new):
        mark(new, "xrange")
        inner = wrapped_arg(new)
        if inner is not None:
            mark(inner, "xrange")


# ==========================================================================
# TM303 dict methods, has_key
# ==========================================================================
_DICT_METHODS = ("keys", "items", "values")


# Calls that cannot mutate a dict being iterated: builtins that only read
# their arguments, and methods that never mutate a dict (or that a dict does
# not have, so the receiver cannot be the dict).
_READ_ONLY_BUILTINS = frozenset(
    "print len str repr int float bool format isinstance abs min max sum sorted round "
    "list tuple set frozenset enumerate zip range xrange type hasattr getattr id hash "
    "iter next map filter any all divmod pow chr ord hex oct bin unicode long".split()
)
_READ_ONLY_METHODS = frozenset(
    "append extend add insert format join write get startswith endswith lower upper "
    "strip lstrip rstrip split replace item items keys values copy count index "
    "size numpy tolist cpu cuda float long int double".split()
)


def _loop_over_unmutated_dict(node) -> bool:
    """``node`` (``d.items()``, ``d.keys()``, ``d.values()``) is the iterable
    of a ``for`` statement whose body provably does not mutate ``d``: then
    Python 3's view yields what Python 2's list did, and 2to3's ``list(...)``
    is noise.  (This also keeps a second run from wrapping the ``d.items()``
    that the first made of ``d.iteritems()``.)"""
    kids = node.children
    if len(kids) < 3 or str(kids[-1]).strip() != "()" or kids[-2].type != syms.trailer:
        return False
    if kids[-2].children[-1].value not in _DICT_METHODS:
        return False  # iter*/view* are rewritten (no list() in a for loop anyway)
    parent = node.parent
    if parent is None or parent.type != syms.for_stmt or parent.children[3] is not node:
        return False
    receiver = "".join(str(k) for k in kids[:-2]).strip()
    body = parent.children[5]
    for sub in body.pre_order():
        if sub.type in (syms.del_stmt, syms.global_stmt, syms.exec_stmt):
            return False
        if sub.type == syms.trailer and sub.children[0].value == "(":
            prev = sub.prev_sibling
            if prev is None:
                return False
            if prev.type == token.NAME and prev.prev_sibling is None:
                if prev.value not in _READ_ONLY_BUILTINS:
                    return False
            elif not (
                prev.type == syms.trailer
                and prev.children[0].type == token.DOT
                and prev.children[1].value in _READ_ONLY_METHODS
            ):
                return False
        if sub.type == syms.expr_stmt and len(sub.children) >= 3:
            eq = sub.children[1].type == token.EQUAL
            targets = sub.children[:-1:2] if eq else [sub.children[0]]
            mentions = re.compile(r"(?<![\w.])" + re.escape(receiver) + r"\b")
            if any(mentions.search(str(t)) for t in targets):
                return False
    return True


def _iter_argument(node) -> bool:
    """``node`` is the only argument of a call of the builtin ``iter``."""
    trailer = node.parent
    if trailer is None or trailer.type != syms.trailer or len(trailer.children) != 3:
        return False
    callee = trailer.prev_sibling
    return (
        callee is not None
        and callee.type == token.NAME
        and callee.value == "iter"
        and callee.prev_sibling is None
    )


class DictFixer(FissixRuleFixer):
    FISSIX = fix_dict.FixDict
    TAG = "dict"

    def skip(self, node) -> bool:
        return _loop_over_unmutated_dict(node)

    def classify(self, node, results, dry):
        method = results["method"][0].value
        if method in _DICT_METHODS and _iter_argument(node):
            # exactly what this rule makes of ``d.iteritems()``: a second run
            # cannot tell that from Python 2 code, so it never rewrites it
            return (
                MANUAL,
                f"`iter(d.{method}())` iterated over a list copy in Python 2 and iterates over "
                "a live view in Python 3 (a RuntimeError when the dict changes size meanwhile; "
                "values updated meanwhile are seen). Keep it when it came from "
                f"`d.iter{method}()` (the same live iterator); use `iter(list(d.{method}()))` "
                "for Python 2's copy",
            )
        info = self.info
        pandas = any(m.split(".")[0] in ("pandas", "h5py") for m in info.imports.values())
        if method.startswith("iter"):
            base = f"`.{method}()` was removed in Python 3"
        elif method.startswith("view"):
            base = f"`.{method}()` was renamed in Python 3"
        else:
            base = f"`.{method}()` returned a list in Python 2 and returns a view in Python 3 (no indexing, no mutation while iterating)"
        msg = f"{base}; use `{dry.suggestion}`"
        if method in info.defs:
            return (
                UNSAFE,
                msg
                + f" -- this file defines its own `{method}` method, check the receiver is a dict",
            )
        if pandas:
            return (
                UNSAFE,
                msg
                + " -- pandas/h5py objects also have this method and return non-list objects; check the receiver",
            )
        return SAFE, msg

    def after_fix(self, new):
        for sub in new.pre_order():
            kids = sub.children
            if (
                sub.type == syms.power
                and len(kids) >= 3
                and kids[-1].type == syms.trailer
                and str(kids[-1]).strip() == "()"
                and kids[-2].type == syms.trailer
                and kids[-2].children[0].type == token.DOT
                and kids[-2].children[1].value in _DICT_METHODS
            ):
                mark(sub, "dict")
                return
        mark(new, "dict")


class HasKeyFixer(FissixRuleFixer):
    FISSIX = fix_has_key.FixHasKey
    TAG = "has_key"

    def classify(self, node, results, dry):
        msg = f"dict.has_key() was removed in Python 3; use `{dry.suggestion}`"
        if "has_key" in self.info.defs:
            return (
                UNSAFE,
                msg + " -- this file defines its own has_key(); check the receiver is a dict",
            )
        return SAFE, msg


# ==========================================================================
# TM304 renamed standard-library modules
# ==========================================================================
# Module names a project could plausibly own (implicit relative imports in
# Python 2 would pick a local thread.py / commands.py first).
_GENERIC_MODULES = {
    "repr",
    "thread",
    "dummy_thread",
    "commands",
    "dbm",
    "gdbm",
    "dumbdbm",
    "dbhash",
    "Dialog",
    "markupbase",
    "ttk",
    "Tix",
    "whichdb",
    "anydbm",
}


class ImportsFixer(FissixRuleFixer):
    FISSIX = fix_imports.FixImports
    TAG = "imports"

    def prepare(self, tree, info):
        super().prepare(tree, info)
        # fissix learns ``import cPickle`` while transforming it; our fixes run
        # after the traversal, so learn the renamed imports up front.
        self.inner.replace = {}
        for node in tree.pre_order():
            if node.type == syms.import_name:
                res = self.inner.match(node)
                if res and "name_import" in res:
                    for leaf in node.leaves():
                        if leaf.type == token.NAME and leaf.value in self.inner.mapping:
                            self.inner.replace[leaf.value] = self.inner.mapping[leaf.value]

    def _module(self, results):
        if results.get("module_name") is not None:
            return results["module_name"].value
        bare = results.get("bare_with_attr")
        if bare:
            return bare[0].value
        return None

    def classify(self, node, results, dry):
        mod = self._module(results)
        if dry.logs and not dry.changed:
            return MANUAL, "; ".join(dry.logs)
        new = self.inner.mapping.get(mod, "") if mod else ""
        msg = f"module `{mod}` was renamed to `{new}` in Python 3; `{dry.suggestion}`"
        if mod in ("StringIO", "cStringIO"):
            msg += " (io.StringIO holds text: use io.BytesIO where the buffer holds bytes, e.g. pickle/torch.save)"
        elif mod == "cPickle":
            msg += " (pickles written by Python 2 need pickle.load(f, encoding='latin1'))"
        if mod in _GENERIC_MODULES:
            return (
                UNSAFE,
                msg
                + f" -- check that `{mod}` is the Python 2 standard module, not a module of this project",
            )
        return SAFE, msg


class Imports2Fixer(ImportsFixer):
    FISSIX = fix_imports2.FixImports2
    TAG = "imports2"


class UrllibFixer(ImportsFixer):
    FISSIX = fix_urllib.FixUrllib
    TAG = "urllib"

    def prepare(self, tree, info):
        FissixRuleFixer.prepare(self, tree, info)
        self.inner.replace = {}

    def classify(self, node, results, dry):
        if dry.logs and not dry.changed:
            return (
                MANUAL,
                "urllib/urllib2 were split into urllib.request, urllib.parse and urllib.error: "
                + "; ".join(dry.logs),
            )
        return (
            SAFE,
            f"urllib/urllib2 were split into urllib.request/.parse/.error in Python 3; `{dry.suggestion}`",
        )


# ==========================================================================
# TM305 unicode / basestring / long
# ==========================================================================
_UNICODE_ESCAPE = re.compile(r"\\[uU]")


class _FixUnicode(fix_unicode.FixUnicode):
    """Names as fissix does; strings only where the meaning changes."""

    def transform(self, node, results):
        if node.type == token.NAME:
            return super().transform(node, results)
        val = node.value
        prefix = re.match(r"[a-zA-Z]*", val).group(0)
        low = prefix.lower()
        if "u" in low and "r" in low:
            if re.search(r"\\[uUN]", val):
                self.cannot_convert(
                    node,
                    "a ur'' string processes \\u escapes in Python 2; rewrite it as a plain "
                    "string with the other backslashes doubled",
                )
                return None
            new = node.clone()
            new.value = val[: prefix.lower().index("u")] + val[prefix.lower().index("u") + 1 :]
            return new
        if not prefix and not self.unicode_literals and _UNICODE_ESCAPE.search(val):
            return super().transform(node, results)
        return None


class UnicodeFixer(FissixRuleFixer):
    FISSIX = _FixUnicode
    TAG = "unicode"

    def skip(self, node):
        if node.type == token.STRING:
            v = node.value
            return not (
                re.match(r"(?i)(ur|ru)", v)
                or (v[0] in "'\"" and "\\" in v and _UNICODE_ESCAPE.search(v))
            )
        return not is_probably_builtin(node) or node.value in self.info.bound

    def classify(self, node, results, dry):
        if dry.logs and not dry.changed:
            return MANUAL, "; ".join(dry.logs)
        if node.type == token.NAME:
            new = "str" if node.value == "unicode" else "chr"
            return SAFE, f"`{node.value}` does not exist in Python 3; use `{new}`"
        if re.match(r"(?i)(ur|ru)", node.value):
            return (
                SAFE,
                f"ur'' strings are a SyntaxError in Python 3; `{dry.suggestion}` has the same value",
            )
        return SAFE, (
            "in a Python 2 byte string `\\u` is a backslash and a 'u', in Python 3 a unicode escape; "
            f"`{dry.suggestion}` keeps the Python 2 value"
        )

    def after_fix(self, new):
        mark(new, "unicode")


class BasestringFixer(FissixRuleFixer):
    FISSIX = fix_basestring.FixBasestring
    TAG = "basestring"

    def skip(self, node):
        return not is_probably_builtin(node) or node.value in self.info.bound

    def message(self, node, results, dry):
        return "`basestring` does not exist in Python 3; use `str` (bytes are no longer matched)"


class LongFixer(FissixRuleFixer):
    FISSIX = fix_long.FixLong
    TAG = "long"

    def skip(self, node):
        return not is_probably_builtin(node) or node.value in self.info.bound

    def message(self, node, results, dry):
        return "`long` does not exist in Python 3 (int has arbitrary precision); use `int`"


# ==========================================================================
# TM306 removed builtins
# ==========================================================================
class _BuiltinCall(FissixRuleFixer):
    BUILTIN = ""

    def skip(self, node):
        return self.BUILTIN in self.info.bound


class RawInputFixer(_BuiltinCall):
    FISSIX = fix_raw_input.FixRawInput
    TAG = "raw_input"
    BUILTIN = "raw_input"

    def message(self, node, results, dry):
        return f"raw_input() was renamed input() in Python 3: `{dry.suggestion}`"


class InputFixer(_BuiltinCall):
    FISSIX = fix_input.FixInput
    TAG = "input"
    BUILTIN = "input"

    def skip(self, node):
        return super().skip(node) or marked(node, "raw_input")

    def py2_ambiguous(self, node) -> bool:
        return True  # input() is what raw_input() becomes

    def classify(self, node, results, dry):
        return UNSAFE, (
            "Python 2's input() evaluated what was typed; "
            f"`{dry.suggestion}` keeps that, but usually int(input()) or float(input()) "
            "is what was meant (eval of user input is unsafe)"
        )


class ApplyFixer(_BuiltinCall):
    FISSIX = fix_apply.FixApply
    TAG = "apply"
    BUILTIN = "apply"

    def message(self, node, results, dry):
        return f"apply() was removed in Python 3; call directly: `{dry.suggestion}`"


class ExecfileFixer(_BuiltinCall):
    FISSIX = fix_execfile.FixExecfile
    TAG = "execfile"
    BUILTIN = "execfile"

    def message(self, node, results, dry):
        return f"execfile() was removed in Python 3; `{dry.suggestion}`"


class _Py2Fixer(RuleFixer):
    """A Python 2 -> 3 fixer of our own (not a fissix wrapper): active only in
    Python 2 files, and then only where :meth:`wanted` says so."""

    PY2_CONVERSION = True
    MATCH_IMPLIES_PATTERN = True

    def wanted(self, info) -> bool:
        return True

    def begin(self, ctx):
        super().begin(ctx)
        self.info = py2_info(ctx)
        self._active = self.info.is_py2 and self.wanted(self.info)
        self.idle = not self._active

    def match(self, node):
        if not self._active:
            return False
        return super().match(node)


class ReduceFixer(_Py2Fixer):
    """``reduce`` moved to functools: add the import once (fissix's touch_import)."""

    PATTERN = "power< 'reduce' trailer< '(' [any] ')' > any* >"

    def wanted(self, info) -> bool:
        return "reduce" not in info.bound

    def visit(self, node, results):
        tree = self.ctx.tree

        def fix():
            for child in tree.children:
                if child.type == syms.simple_stmt and re.match(
                    r"\s*from\s+functools\s+import\s+.*\breduce\b", str(child)
                ):
                    return False
            insert_import(tree, "from functools import reduce\n")
            return True

        self.report(
            node,
            "reduce() is no longer a builtin in Python 3; add `from functools import reduce`",
            SAFE,
            fix=fix,
            suggestion="from functools import reduce",
        )


class InternFixer(_Py2Fixer):
    PATTERN = "power< name='intern' trailer< '(' args=any ')' > any* >"

    def wanted(self, info) -> bool:
        return "intern" not in info.bound

    def visit(self, node, results):
        name = results["name"]
        tree = self.ctx.tree

        def fix():
            if name.parent is None:
                return False
            new = Name("sys.intern", prefix=name.prefix)
            name.replace(new)
            ensure_import(tree, "sys")
            return True

        self.report(
            node,
            "intern() moved to sys.intern() in Python 3",
            SAFE,
            fix=fix,
            suggestion="sys.intern(...)",
        )


# ==========================================================================
# TM307 syntax
# ==========================================================================
class ExceptFixer(FissixRuleFixer):
    FISSIX = fix_except.FixExcept
    TAG = "except"

    def skip(self, node):
        return not any(
            c.type == syms.except_clause
            and len(c.children) == 4
            and c.children[2].type == token.COMMA
            for c in node.children
        )

    def message(self, node, results, dry):
        return "`except E, e:` is a SyntaxError in Python 3; use `except E as e:`"


class RaiseFixer(FissixRuleFixer):
    FISSIX = fix_raise.FixRaise
    TAG = "raise"

    def message(self, node, results, dry):
        return f"`raise E, value` is a SyntaxError in Python 3; use `{dry.suggestion}`"


class ThrowFixer(FissixRuleFixer):
    FISSIX = fix_throw.FixThrow
    TAG = "throw"

    def classify(self, node, results, dry):
        if dry.logs and not dry.changed:
            return MANUAL, "; ".join(dry.logs)
        return UNSAFE, (
            f"generator.throw(type, value) is deprecated (Python 3.12); use `{dry.suggestion}` "
            "-- check the receiver is a generator (the rule matches any .throw() method)"
        )


class NeFixer(FissixRuleFixer):
    FISSIX = fix_ne.FixNe
    TAG = "ne"

    def message(self, node, results, dry):
        return "`<>` is a SyntaxError in Python 3; use `!=`"


class ReprFixer(FissixRuleFixer):
    FISSIX = fix_repr.FixRepr
    TAG = "repr"

    def message(self, node, results, dry):
        return f"backticks are a SyntaxError in Python 3; use `{dry.suggestion}`"


class NumliteralsFixer(FissixRuleFixer):
    FISSIX = fix_numliterals.FixNumliterals
    TAG = "numliterals"

    def message(self, node, results, dry):
        if node.value[-1] in "lL":
            return (
                f"long literal `{node.value}` is a SyntaxError in Python 3; use `{dry.suggestion}`"
            )
        return f"octal literal `{node.value}` is a SyntaxError in Python 3; use `{dry.suggestion}`"


class ExecFixer(FissixRuleFixer):
    FISSIX = fix_exec.FixExec
    TAG = "exec"

    def message(self, node, results, dry):
        return f"the exec statement is a SyntaxError in Python 3; use `{dry.suggestion}`"


class TupleParamsFixer(FissixRuleFixer):
    FISSIX = fix_tuple_params.FixTupleParams
    TAG = "tuple_params"

    def skip(self, node):
        if node.type == syms.lambdef:
            return False
        params = node.children[2]
        return not any(n.type == syms.tfpdef for n in params.pre_order())

    def message(self, node, results, dry):
        return (
            "tuple parameters are a SyntaxError in Python 3; the tuple becomes one parameter "
            "that is unpacked in the body (rename the generated name if you like)"
        )


# ==========================================================================
# TM308 iterators
# ==========================================================================
class NextFixer(FissixRuleFixer):
    FISSIX = fix_next.FixNext
    TAG = "next"

    def classify(self, node, results, dry):
        if dry.logs and not dry.changed:
            return MANUAL, "; ".join(dry.logs)
        if results.get("name") is not None:
            return SAFE, "iterator method `next` is `__next__` in Python 3"
        return SAFE, f"iterators have no .next() method in Python 3; use `{dry.suggestion}`"


class _ListWrapper(FissixRuleFixer):
    BUILTIN = ""

    def py2_ambiguous(self, node) -> bool:
        return True  # zip/map/filter(...) are what the itertools conversions make

    def skip(self, node):
        return self.BUILTIN in self.info.bound

    def classify(self, node, results, dry):
        if not dry.changed:
            if dry.logs:
                return MANUAL, "; ".join(dry.logs)
            return None
        msg = (
            f"{self.BUILTIN}() returned a list in Python 2 and an iterator in Python 3; "
            f"`{dry.suggestion}` keeps the list"
        )
        if dry.logs:
            msg += " (" + "; ".join(dry.logs).rstrip(".") + ")"
        return SAFE, msg

    def after_fix(self, new):
        mark(new, self.TAG)
        inner = wrapped_arg(new)
        if inner is not None:
            mark(inner, self.TAG)


class MapFixer(_ListWrapper):
    FISSIX = fix_map.FixMap
    TAG = "map"
    BUILTIN = "map"


class FilterFixer(_ListWrapper):
    FISSIX = fix_filter.FixFilter
    TAG = "filter"
    BUILTIN = "filter"


class ZipFixer(_ListWrapper):
    FISSIX = fix_zip.FixZip
    TAG = "zip"
    BUILTIN = "zip"


class ItertoolsFixer(FissixRuleFixer):
    FISSIX = fix_itertools.FixItertools
    TAG = "itertools"

    def skip(self, node):
        head = node.children[0]
        if head.type == token.NAME and head.value != "itertools":
            # bare imap(...): only when imported from itertools
            return self.info.imports.get(head.value) != f"itertools.{head.value}"
        return self.info.imports.get("itertools") != "itertools"

    def message(self, node, results, dry):
        return (
            f"itertools.{results['func'][0].value} was removed in Python 3; use `{dry.suggestion}`"
        )

    def after_fix(self, new):
        for tag in ("map", "zip", "filter", "itertools"):
            mark(new, tag)


_ITERTOOLS_RENAMED = {
    "imap": "map",
    "izip": "zip",
    "ifilter": "filter",
    "ifilterfalse": "itertools.filterfalse",
    "izip_longest": "itertools.zip_longest",
}


class ItertoolsRefFixer(_Py2Fixer):
    """``itertools.izip`` used as a value, not called (``zipper =
    itertools.izip``): fix_itertools converts only calls, and a reference
    left behind raises AttributeError in Python 3 (and keeps the file looking
    like Python 2 to a second run, whose fixers would then wrap the
    ``zip(...)`` the first run made in ``list(...)``)."""

    PATTERN = (
        "power< 'itertools' trailer< '.' func=('imap'|'izip'|'ifilter'|'ifilterfalse'"
        "|'izip_longest') > any* >"
    )

    def wanted(self, info) -> bool:
        return info.imports.get("itertools") == "itertools"

    def visit(self, node, results):
        func = results["func"]
        func = func[0] if isinstance(func, list) else func
        trailer = func.parent
        rest = node.children[2:]
        if rest and rest[0].type == syms.trailer and rest[0].children[0].type == token.LPAR:
            return  # a call: ItertoolsFixer (fix_itertools)
        if func.value in self.info.assigned_attrs:
            return  # ``itertools.izip = ...``: a shim, not a use
        new_name = _ITERTOOLS_RENAMED[func.value]
        old = f"itertools.{func.value}"
        shadowed = "." not in new_name and new_name in self.info.bound
        if shadowed:  # the file binds ``zip`` itself: the builtin by its module
            new_name = f"builtins.{new_name}"
        tree = self.ctx.tree

        def fix():
            head = node.children[0]
            if trailer.parent is not node or head.type != token.NAME:
                return False
            if "." in new_name:  # itertools.izip_longest -> itertools.zip_longest
                mod, attr = new_name.split(".")
                if mod != "itertools":
                    head.replace(Name(mod, prefix=head.prefix))
                    ensure_import(tree, mod)
                func.replace(Name(attr, prefix=func.prefix))
                return True
            head.replace(Name(new_name, prefix=head.prefix))
            trailer.remove()
            if len(node.children) == 1:  # nothing follows: the name alone
                leaf = node.children[0]
                leaf.remove()
                node.replace(leaf)
            return True

        self.report(
            node,
            f"{old} was removed in Python 3; `{new_name}` is the same lazy iterator",
            SAFE,
            fix=fix,
            suggestion=new_name,
        )


class ItertoolsImportsFixer(FissixRuleFixer):
    FISSIX = fix_itertools_imports.FixItertoolsImports
    TAG = "itertools_imports"

    def message(self, node, results, dry):
        return "imap/izip/ifilter were removed from itertools (the builtins are lazy in Python 3)"


# ==========================================================================
# TM309 misc renames
# ==========================================================================
class RenamesFixer(FissixRuleFixer):
    FISSIX = fix_renames.FixRenames
    TAG = "renames"

    def message(self, node, results, dry):
        return "sys.maxint was removed in Python 3; sys.maxsize has the same value on 64-bit builds"


class NonzeroFixer(FissixRuleFixer):
    FISSIX = fix_nonzero.FixNonzero
    TAG = "nonzero"

    def message(self, node, results, dry):
        return "Python 3 ignores __nonzero__ silently (truth testing falls back to __len__ or True); rename it __bool__"


class _AttrRename(FissixRuleFixer):
    def classify(self, node, results, dry):
        attr = results["attr"][0].value
        msg = f"`.{attr}` was renamed in Python 3; use `{dry.suggestion}`"
        if attr in self.info.assigned_attrs:
            return (
                UNSAFE,
                msg
                + f" -- this file assigns `.{attr}` itself, so it may be an attribute of its own",
            )
        return SAFE, msg


class FuncattrsFixer(_AttrRename):
    FISSIX = fix_funcattrs.FixFuncattrs
    TAG = "funcattrs"


class MethodattrsFixer(_AttrRename):
    FISSIX = fix_methodattrs.FixMethodattrs
    TAG = "methodattrs"


class StandarderrorFixer(FissixRuleFixer):
    FISSIX = fix_standarderror.FixStandarderror
    TAG = "standarderror"

    def skip(self, node):
        return not is_probably_builtin(node) or node.value in self.info.bound

    def message(self, node, results, dry):
        return "StandardError does not exist in Python 3; use Exception"


class GetcwduFixer(FissixRuleFixer):
    FISSIX = fix_getcwdu.FixGetcwdu
    TAG = "getcwdu"

    def message(self, node, results, dry):
        return "os.getcwdu() was removed in Python 3 (os.getcwd() returns str); use os.getcwd()"


class SysExcFixer(FissixRuleFixer):
    FISSIX = fix_sys_exc.FixSysExc
    TAG = "sys_exc"

    def message(self, node, results, dry):
        return (
            f"sys.exc_type/exc_value/exc_traceback were removed in Python 3; use `{dry.suggestion}`"
        )


class TypesFixer(FissixRuleFixer):
    FISSIX = fix_types.FixTypes
    TAG = "types"

    def skip(self, node):
        return self.info.imports.get("types") != "types"

    def classify(self, node, results, dry):
        name = results["name"].value
        msg = f"types.{name} was removed in Python 3; use `{dry.suggestion}`"
        if name == "StringType":
            return (
                UNSAFE,
                msg
                + " -- Python 2's str is bytes, but if the value is text the Python 3 type is str",
            )
        return SAFE, msg


class XreadlinesFixer(FissixRuleFixer):
    FISSIX = fix_xreadlines.FixXreadlines
    TAG = "xreadlines"

    def message(self, node, results, dry):
        return f"file.xreadlines() was removed in Python 3; iterate the file itself: `{dry.suggestion}`"


class MetaclassFixer(FissixRuleFixer):
    FISSIX = fix_metaclass.FixMetaclass
    TAG = "metaclass"

    def skip(self, node):
        return not fix_metaclass.has_metaclass(node)

    def message(self, node, results, dry):
        return (
            "Python 3 ignores a `__metaclass__` class attribute silently; "
            "pass it as `class C(..., metaclass=M):`"
        )


# ==========================================================================
# Rules
# ==========================================================================
_WHY_PY2 = (
    "Python 2 reached end of life in 2020; PyTorch 0.1-0.3 research code was often written "
    "for Python 2.7, and torch 2.13 needs Python >= 3.10. "
)

_GATE = """
## When it runs

Only on Python 2 files: files that need fissix's Python 2 grammar, or contain
a Python 2-only construct (backticks, `<>`, `except E, e`, `raise E, "m"`,
`0777`/`10L`, `ur''`, tuple parameters), or call `xrange`/`raw_input`/
`unicode`/... without defining them, call `.iteritems()`/`.has_key()`, import
`cPickle`/`cStringIO`/`StringIO`/`Queue`/`urllib2`/..., or use `sys.maxint`.
Name-level evidence is ignored in files written for both Pythons (`six`,
`future`, `sys.version_info` checks, `try: ... except ImportError/NameError:`
shims).  `--no-py2` turns the whole TM3xx family off.

Sites that are valid Python 3 as well -- `range(n)`, `map`/`filter`/`zip`
calls, `input()`, which other conversions produce from `xrange`,
`itertools.izip` and `raw_input` -- are converted only when the same run
also converts something that exists only in Python 2.  Otherwise they are
reported as `manual`: a file that still looks like Python 2 after a run
(a construct left for review) must not have that run's own `range(n)`
wrapped in `list(...)`, or its `input()` turned into `eval(input())`, by a
second run.
"""

TM301 = Rule(
    id="TM301",
    name="print-statement",
    short="`print` statement is a SyntaxError in Python 3",
    summary="`print x` statements become `print(x)` calls (fissix fix_print).",
    why=_WHY_PY2 + "`print x` is a SyntaxError in Python 3, so the whole file fails to import.",
    safety=SAFE,
    doc="""
## What it does

Rewrites every print statement as a call, exactly as 2to3's `fix_print`:
`print x, y` -> `print(x, y)`, a trailing comma -> `end=" "`,
`print >>f, x` -> `print(x, file=f)`, a bare `print` -> `print()`.

## Fix safety

Safe: the call prints the same text.  `print ("a", b)` in a Python 2 file
printed the *tuple*; the fix keeps that (`print(("a", b))`) and the message
says to drop the inner parentheses if the items were meant.  Files that
import `print_function` from `__future__` are left alone (their `print(...)`
is already a call).  The rule fires only on real print statements, so running
it again on its output (which parses as Python 3) changes nothing.
"""
    + _GATE,
    examples=(
        Example(
            before='import sys\nprint "epoch", epoch\nprint >>sys.stderr, "loss %.3f" % loss\nprint "x",\nprint\n',
            after='import sys\nprint("epoch", epoch)\nprint("loss %.3f" % loss, file=sys.stderr)\nprint("x", end=\' \')\nprint()\n',
            title="print statements",
        ),
        Example(
            before='print ("a", 1)\nprint "b"\n',
            after='print(("a", 1))\nprint("b")\n',
            title="a parenthesised tuple printed the tuple in Python 2",
        ),
        Example(
            before='from __future__ import print_function\nprint("a", 1)\nprint("b", end="")\n',
            title="print_function files are already Python 3 prints",
        ),
        Example(before='print("a", 1)\n', title="Python 3 print call: must not change"),
    ),
    fixers=(PrintFixer,),
    prefilter=py2_prefilter,
)

TM302 = Rule(
    id="TM302",
    name="xrange",
    short="`xrange` does not exist in Python 3",
    summary="`xrange(...)` becomes `range(...)`; a list-valued `range(...)` becomes `list(range(...))` (fissix fix_xrange).",
    why=_WHY_PY2
    + "`xrange` is a NameError in Python 3, and `range` returns a lazy range object instead of a list.",
    safety=SAFE,
    doc="""
## What it does

`xrange(n)` -> `range(n)`.  In a Python 2 file, `range(n)` outside a
for-loop / `in` / `list()`/`sorted()`/`sum()`/... context -> `list(range(n))`,
because Python 2's `range` returned a list (`range(n) + [x]` and
`random.shuffle(range(n))` raise TypeError in Python 3).

## Fix safety

Safe: both rewrites keep Python 2's value.  A `range` produced from `xrange`
is never wrapped in `list()`.  Files that define their own `xrange`/`range`
(compat shims) are left alone.
"""
    + _GATE,
    examples=(
        Example(
            before="for i in xrange(10):\n    pass\nidx = range(5)\nrandom.shuffle(idx)\nsteps = xrange(3)\n",
            after="for i in range(10):\n    pass\nidx = list(range(5))\nrandom.shuffle(idx)\nsteps = range(3)\n",
            title="xrange and list-valued range in a Python 2 file",
        ),
        Example(
            before="for i in xrange(3):\n    total = sum(range(i))\n",
            after="for i in range(3):\n    total = sum(range(i))\n",
            title="range in an iterating context stays",
        ),
        Example(
            before="idx = range(5)\nfor i in range(3):\n    print(i)\n",
            title="Python 3 file: must not change",
        ),
        Example(
            before="try:\n    xrange\nexcept NameError:\n    xrange = range\nfor i in xrange(3):\n    pass\n",
            title="compat shim: must not change",
        ),
    ),
    fixers=(XrangeFixer,),
    prefilter=py2_prefilter,
)

TM303 = Rule(
    id="TM303",
    name="dict-methods",
    short="Python 2 dict method (`iteritems`, `has_key`, list-valued `keys()`)",
    summary="`d.iteritems()`/`iterkeys`/`itervalues`/`view*`, list-valued `d.keys()`/`items()`/`values()` and `d.has_key(k)` (fissix fix_dict, fix_has_key).",
    why=_WHY_PY2
    + "`iteritems`/`iterkeys`/`itervalues`/`has_key` raise AttributeError in Python 3; `keys()`/`items()`/`values()` return views, not lists (`d.keys()[0]` raises TypeError).",
    safety=SAFE,
    doc="""
## What it does

As 2to3: `d.iteritems()` -> `d.items()` in a for-loop (else
`iter(d.items())`), `d.keys()` -> `list(d.keys())` unless the context only
iterates, `d.has_key(k)` -> `k in d`.  `iter(d.items())` itself is reported,
never rewritten: it is what this rule makes of `d.iteritems()` (a live
iterator in both Pythons), and a later run cannot tell it from Python 2 code
that iterated over a list copy.

## Fix safety

Safe in a Python 2 file: the rewrites keep Python 2's values.  The rules
match by method name, so they are **unsafe** when the file defines its own
method of that name (`def has_key`, `def iteritems`: the receiver may be the
file's own class), and the `keys()/items()/values()/iter*()` rewrites are
unsafe when the file imports pandas or h5py (their objects have these methods
and return Index/view objects, not lists).

## Differences from TorchFix

TorchFix has no Python 2 rules.
"""
    + _GATE,
    examples=(
        Example(
            before="for k, v in d.iteritems():\n    pass\nfirst = d.keys()[0]\nif d.has_key('lr'):\n    pass\n",
            after="for k, v in d.items():\n    pass\nfirst = list(d.keys())[0]\nif 'lr' in d:\n    pass\n",
            title="dict methods in a Python 2 file",
        ),
        Example(
            before="for k, v in d.items():\n    total += v\nfor k in d.keys():\n    del d[k]\n"
            "print d.has_key(0)\n",
            after="for k, v in d.items():\n    total += v\nfor k in list(d.keys()):\n    del d[k]\n"
            "print 0 in d\n",
            title="a loop that cannot mutate the dict iterates the view; one that may gets a list",
        ),
        Example(
            before="import pandas as pd\nfor k, v in df.iteritems():\n    pass\nif d.has_key(k):\n    pass\n",
            after="import pandas as pd\nfor k, v in df.items():\n    pass\nif k in d:\n    pass\n",
            unsafe_fixes=True,
            title="pandas objects: unsafe",
        ),
        Example(
            before="import pandas as pd\nfor k, v in df.iteritems():\n    pass\nif d.has_key(k):\n    pass\n",
            after="import pandas as pd\nfor k, v in df.iteritems():\n    pass\nif k in d:\n    pass\n",
            findings=("unsafe",),
            title="pandas objects: reported without --unsafe-fixes",
        ),
        Example(
            before="it = iter(d.items())\nprint it.next()\n",
            findings=("manual",),
            title="`iter(d.items())` is reported, never rewritten (a second run must not wrap "
            "the `iter(d.items())` a first run made of `d.iteritems()`)",
        ),
        Example(
            before="first = list(d.keys())[0]\nfor k in d.keys():\n    pass\n",
            title="Python 3 file: must not change",
        ),
    ),
    fixers=(DictFixer, HasKeyFixer),
    prefilter=py2_prefilter,
)

TM304 = Rule(
    id="TM304",
    name="renamed-stdlib-modules",
    short="standard-library module renamed in Python 3",
    summary="`cPickle`, `cStringIO`, `StringIO`, `Queue`, `ConfigParser`, `urllib2`, `urlparse`, ... become their Python 3 modules (fissix fix_imports, fix_imports2, fix_urllib).",
    why=_WHY_PY2
    + "These modules were renamed or merged in Python 3; importing them raises ImportError.",
    safety=SAFE,
    doc="""
## What it does

Renames the imports and the `module.attr` uses of modules renamed in Python
3, as 2to3's `fix_imports`, `fix_imports2` and `fix_urllib`:
`import cPickle` -> `import pickle` (and `cPickle.load` -> `pickle.load`),
`from cStringIO import StringIO` -> `from io import StringIO`,
`from urllib2 import urlopen` -> `from urllib.request import urlopen`.

## Fix safety

Safe for the standard-library names.  **Unsafe** for names a project could
own (`thread`, `repr`, `commands`, `dbm`, `Dialog`, ...): Python 2's implicit
relative import would have picked a local `thread.py` first.  `import urllib2
as u` and `from urllib import *` are reported (manual): the module became
several modules.  Notes in the messages: `io.StringIO` holds text (use
`io.BytesIO` for pickle/`torch.save` buffers -- this fails loudly, not
silently); Python 2 pickles need `pickle.load(f, encoding='latin1')`.
"""
    + _GATE,
    examples=(
        Example(
            before="import cPickle\nfrom cStringIO import StringIO\nimport Queue\ndata = cPickle.load(f)\nq = Queue.Queue()\n",
            after="import pickle\nfrom io import StringIO\nimport queue\ndata = pickle.load(f)\nq = queue.Queue()\n",
            title="renamed modules",
        ),
        Example(
            before="import urllib2\nfrom urllib2 import urlopen\n",
            after="import urllib.request, urllib.error, urllib.parse\nfrom urllib.request import urlopen\n",
            title="urllib2 is split",
        ),
        Example(
            before="import cPickle\nimport commands\nout = commands.getoutput('ls')\n",
            after="import pickle\nimport commands\nout = commands.getoutput('ls')\n",
            findings=("unsafe", "unsafe"),
            title="a name a project could own: unsafe",
        ),
        Example(
            before="try:\n    import cPickle as pickle\nexcept ImportError:\n    import pickle\n",
            title="compat shim in a Python 3 file: must not change",
        ),
    ),
    fixers=(ImportsFixer, Imports2Fixer, UrllibFixer),
    prefilter=py2_prefilter,
)

TM305 = Rule(
    id="TM305",
    name="string-and-number-types",
    short="Python 2 string/number type (`unicode`, `basestring`, `long`)",
    summary="`unicode` -> `str`, `unichr` -> `chr`, `basestring` -> `str`, `long` -> `int`, `ur''` and `\\u` in byte strings (fissix fix_unicode, fix_basestring, fix_long).",
    why=_WHY_PY2
    + "`unicode`, `unichr`, `basestring` and `long` are NameErrors in Python 3; `ur''` is a SyntaxError; `'\\u00e9'` was six characters in Python 2 and is one in Python 3.",
    safety=SAFE,
    doc="""
## What it does

Renames the builtins (only where they name the builtin: not attributes,
keyword names, or names the file binds itself), drops the `u` of `ur''`
strings, and doubles `\\u`/`\\U` in Python 2 byte strings so they keep their
Python 2 value (unless the file imports `unicode_literals`).

## Fix safety

Safe.  `ur''` strings containing `\\u`/`\\U`/`\\N` are reported (manual):
Python 2 processed those escapes even in raw strings, so no raw Python 3
literal has the same value.  Unlike 2to3, `u''` prefixes are kept (valid since
Python 3.3; removing them changes nothing).  `unicode(x)` of a *bytes* value
becomes `str(x)` = `"b'...'"`: pass the encoding (`str(x, 'utf-8')`) where the
value is bytes.
"""
    + _GATE,
    examples=(
        Example(
            before="name = unicode(raw)\nif isinstance(s, basestring):\n    n = long(s)\n",
            after="name = str(raw)\nif isinstance(s, str):\n    n = int(s)\n",
            title="renamed builtins",
        ),
        Example(
            before="name = unicode(raw)\npat = ur'\\d+'\nsep = '\\u2014'\n",
            after="name = str(raw)\npat = r'\\d+'\nsep = '\\\\u2014'\n",
            title="string literals whose meaning changed",
        ),
        Example(
            before="name = unicode(raw)\npat = ur'\\u2014\\d'\n",
            after="name = str(raw)\npat = ur'\\u2014\\d'\n",
            findings=("manual",),
            title="ur'' with a \\u escape: manual",
        ),
        Example(
            before="try:\n    unicode\nexcept NameError:\n    unicode = str\nname = unicode(raw)\n",
            title="compat shim: must not change",
        ),
    ),
    fixers=(UnicodeFixer, BasestringFixer, LongFixer),
    prefilter=py2_prefilter,
)

TM306 = Rule(
    id="TM306",
    name="removed-builtins",
    short="builtin removed or changed in Python 3",
    summary="`raw_input`, `input`, `reduce`, `intern`, `apply`, `execfile` (fissix fix_raw_input, fix_input, fix_reduce, fix_intern, fix_apply, fix_execfile).",
    why=_WHY_PY2
    + "`raw_input`, `reduce`, `intern`, `apply` and `execfile` are NameErrors in Python 3; `input()` no longer evaluates what is typed.",
    safety=SAFE,
    doc="""
## What it does

`raw_input()` -> `input()`; `reduce(...)` keeps its spelling and gets
`from functools import reduce`; `intern(s)` -> `sys.intern(s)` (adds
`import sys`); `apply(f, args, kw)` -> `f(*args, **kw)`;
`execfile(fn)` -> `exec(compile(open(fn, "rb").read(), fn, 'exec'))`;
Python 2's `input()` -> `eval(input())`.

## Fix safety

Safe, except `input()`: **unsafe**, because `eval(input())` keeps Python 2's
meaning but is rarely what was meant (`int(input())`), and evaluating typed
text is a hazard.  Names the file defines itself are left alone.
"""
    + _GATE,
    examples=(
        Example(
            before="import os\nname = raw_input('name: ')\ntotal = reduce(lambda a, b: a + b, xs)\ny = apply(f, args)\n",
            after="import os\nfrom functools import reduce\nname = input('name: ')\ntotal = reduce(lambda a, b: a + b, xs)\ny = f(*args)\n",
            title="removed builtins",
        ),
        Example(
            before="name = raw_input('name: ')\nn = input('n: ')\n",
            after="name = input('name: ')\nn = input('n: ')\n",
            findings=("unsafe",),
            title="input() evaluated: unsafe",
        ),
        Example(
            before="name = raw_input('name: ')\nn = input('n: ')\n",
            after="name = input('name: ')\nn = eval(input('n: '))\n",
            unsafe_fixes=True,
            title="input() with --unsafe-fixes",
        ),
        Example(before="name = input('name: ')\n", title="Python 3 file: must not change"),
    ),
    fixers=(RawInputFixer, InputFixer, ReduceFixer, InternFixer, ApplyFixer, ExecfileFixer),
    prefilter=py2_prefilter,
)

TM307 = Rule(
    id="TM307",
    name="python2-syntax",
    short="Python 2 syntax (a SyntaxError in Python 3)",
    summary="`except E, e`, `raise E, v`, `<>`, backticks, `0777`/`10L`, `exec` statements, tuple parameters, `gen.throw(E, v)` (fissix fix_except, fix_raise, fix_ne, fix_repr, fix_numliterals, fix_exec, fix_tuple_params, fix_throw).",
    why=_WHY_PY2 + "Each of these is a SyntaxError in Python 3: the whole file fails to import.",
    safety=SAFE,
    doc="""
## What it does

`except E, e:` -> `except E as e:`; `raise E, "m"` -> `raise E("m")`
(with a traceback: `.with_traceback(tb)`); `a <> b` -> `a != b`;
`` `x` `` -> `repr(x)`; `0777` -> `0o777`; `10L` -> `10`;
`exec code in ns` -> `exec(code, ns)`; `def f(a, (b, c)):` -> one parameter
unpacked in the body.

## Fix safety

Safe: each rewrite is 2to3's and keeps the meaning.  String exceptions
(`raise "oops"`) are reported (manual): they were already an error in Python
2.6+.  `gen.throw(E, v)` -> `gen.throw(E(v))` is **unsafe**: it is valid
(deprecated since 3.12) in Python 3 and the rule matches any `.throw()`
method.
"""
    + _GATE,
    examples=(
        Example(
            before="try:\n    x = 1\nexcept ValueError, e:\n    raise RuntimeError, 'bad %s' % `e`\nif a <> 0777:\n    n = 10L\n",
            after="try:\n    x = 1\nexcept ValueError as e:\n    raise RuntimeError('bad %s' % repr(e))\nif a != 0o777:\n    n = 10\n",
            title="syntax errors in Python 3",
        ),
        Example(
            before="exec code in ns\n",
            after="exec(code, ns)\n",
            title="exec statement",
        ),
        Example(
            before="x = 0777\nraise 'oops'\n",
            after="x = 0o777\nraise 'oops'\n",
            findings=("manual",),
            title="string exception: manual",
        ),
        Example(
            before="try:\n    x = 1\nexcept ValueError as e:\n    raise RuntimeError('bad')\n",
            title="Python 3 file: must not change",
        ),
    ),
    fixers=(
        ExceptFixer,
        RaiseFixer,
        NeFixer,
        ReprFixer,
        NumliteralsFixer,
        ExecFixer,
        TupleParamsFixer,
        ThrowFixer,
    ),
    prefilter=py2_prefilter,
)

TM308 = Rule(
    id="TM308",
    name="iterators",
    short="Python 2 iterator idiom (`.next()`, list-valued `map`/`filter`/`zip`)",
    summary="`it.next()` -> `next(it)`, list-valued `map`/`filter`/`zip` -> `list(...)`, `itertools.imap/izip/ifilter` (fissix fix_next, fix_map, fix_filter, fix_zip, fix_itertools, fix_itertools_imports).",
    why=_WHY_PY2
    + "Iterators' `.next()` became `__next__` (AttributeError: `iter(loader).next()`); `map`/`filter`/`zip` return one-shot iterators (`map(..)[0]` raises TypeError, `len(filter(..))` too, and a side-effect-only `map(f, xs)` silently does nothing); `itertools.imap` etc. were removed.",
    safety=SAFE,
    doc="""
## What it does

As 2to3: `it.next()` -> `next(it)`, `def next(self)` in a class ->
`def __next__(self)`; `map(f, xs)` -> `list(map(f, xs))` unless the context
only iterates (for-loop, `list()`, `sorted()`, `sum()`, ...), a
`map(lambda x: ..., xs)` becomes a list comprehension;
`itertools.imap(f, xs)` -> `map(f, xs)` (still lazy, not wrapped).
Beyond 2to3, `itertools.izip` used as a value (`zipper = itertools.izip`)
becomes `zip` (and `itertools.izip_longest` / `ifilterfalse` become
`itertools.zip_longest` / `filterfalse`): 2to3 converts only calls, and the
reference it leaves raises AttributeError. In a file that binds the
builtin's name itself it becomes `builtins.zip` (with `import builtins`).

## Fix safety

Safe: the rewrites keep Python 2's values.  `map(None, a, b)` is reported
(manual): Python 3's `map` stops at the shortest input.  A map used only for
its side effects gets `list(...)` (so it still runs) and the message advises a
for-loop.
"""
    + _GATE,
    examples=(
        Example(
            before="import cPickle  # Python 2 (TM304)\nbatch = iter(loader).next()\nsizes = map(len, xs)\npairs = zip(a, b)\nfor p in zip(a, b):\n    pass\n",
            after="import cPickle  # Python 2 (TM304)\nbatch = next(iter(loader))\nsizes = list(map(len, xs))\npairs = list(zip(a, b))\nfor p in zip(a, b):\n    pass\n",
            title="iterators in a Python 2 file",
        ),
        Example(
            before="import itertools\nit = itertools.izip(a, b)\n",
            after="import itertools\nit = zip(a, b)\n",
            title="itertools.izip is the lazy zip",
        ),
        Example(
            before="import itertools\nzipper = itertools.izip\npad = itertools.izip_longest\n",
            after="import itertools\nzipper = zip\npad = itertools.zip_longest\n",
            title="itertools.izip used as a value (2to3 converts only calls)",
        ),
        Example(
            before="import itertools\nzip = None  # the file binds zip\nzipper = itertools.izip\n",
            after="import itertools\nimport builtins\nzip = None  # the file binds zip\nzipper = builtins.zip\n",
            title="the file binds `zip`: the builtin through `builtins`",
        ),
        Example(
            before="import cPickle  # Python 2 (TM304)\nrows = map(None, a, b)\n",
            after="import cPickle  # Python 2 (TM304)\nrows = map(None, a, b)\n",
            findings=("manual",),
            title="map(None, ...) pads: manual",
        ),
        Example(
            before="sizes = map(len, xs)\nbatch = next(iter(loader))\n",
            title="Python 3 file: must not change",
        ),
    ),
    fixers=(
        NextFixer,
        MapFixer,
        FilterFixer,
        ZipFixer,
        ItertoolsFixer,
        ItertoolsRefFixer,
        ItertoolsImportsFixer,
    ),
    prefilter=py2_prefilter,
)

TM309 = Rule(
    id="TM309",
    name="python2-renames",
    short="name renamed in Python 3",
    summary="`sys.maxint`, `__nonzero__`, `__metaclass__`, `f.func_name`/`m.im_self`, `StandardError`, `os.getcwdu`, `sys.exc_type`, `types.*Type`, `f.xreadlines()` (fissix fix_renames, fix_nonzero, fix_metaclass, fix_funcattrs, fix_methodattrs, fix_standarderror, fix_getcwdu, fix_sys_exc, fix_types, fix_xreadlines).",
    why=_WHY_PY2
    + "These names were removed or renamed in Python 3 (AttributeError/NameError), and two are silently ignored: `__nonzero__` and a `__metaclass__` class attribute.",
    safety=SAFE,
    doc="""
## What it does

`sys.maxint` -> `sys.maxsize`; `__nonzero__` -> `__bool__`;
`__metaclass__ = M` -> `class C(metaclass=M)`; `f.func_name` -> `f.__name__`
(and the other `func_*`), `m.im_self` -> `m.__self__` (`im_func`,
`im_class`); `StandardError` -> `Exception`; `os.getcwdu()` -> `os.getcwd()`;
`sys.exc_type` -> `sys.exc_info()[0]`; `types.IntType` -> `int` (and the other
`types` names); `f.xreadlines()` -> `f`.

## Fix safety

Safe, except: `types.StringType` -> `bytes` is **unsafe** (faithful to
Python 2's str, but text values are `str` in Python 3); `func_*`/`im_*`
renames are **unsafe** when the file assigns that attribute itself (it may be
an attribute of its own, not the function's).
"""
    + _GATE,
    examples=(
        Example(
            before="import sys\nbest = -sys.maxint\nclass Flag(object):\n    def __nonzero__(self):\n        return True\n",
            after="import sys\nbest = -sys.maxsize\nclass Flag(object):\n    def __bool__(self):\n        return True\n",
            title="renames",
        ),
        Example(
            before="import sys, types\nbig = sys.maxint\nok = isinstance(n, types.IntType)\ns = isinstance(v, types.StringType)\n",
            after="import sys, types\nbig = sys.maxsize\nok = isinstance(n, int)\ns = isinstance(v, types.StringType)\n",
            findings=("unsafe",),
            title="types.StringType is bytes or str: unsafe",
        ),
        Example(
            before="import sys, types\nbig = sys.maxint\nok = isinstance(n, types.IntType)\ns = isinstance(v, types.StringType)\n",
            after="import sys, types\nbig = sys.maxsize\nok = isinstance(n, int)\ns = isinstance(v, bytes)\n",
            unsafe_fixes=True,
            title="types.StringType with --unsafe-fixes",
        ),
        Example(before="import sys\nbest = -sys.maxsize\n", title="Python 3 file: must not change"),
    ),
    fixers=(
        RenamesFixer,
        NonzeroFixer,
        MetaclassFixer,
        FuncattrsFixer,
        MethodattrsFixer,
        StandarderrorFixer,
        GetcwduFixer,
        SysExcFixer,
        TypesFixer,
        XreadlinesFixer,
    ),
    prefilter=py2_prefilter,
)

RULES = (TM301, TM302, TM303, TM304, TM305, TM306, TM307, TM308, TM309)
