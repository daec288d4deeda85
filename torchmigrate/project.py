"""The project model: cross-file facts, built once per run before any rewrite.

A rule that looks at one file cannot know that ``train.py`` reads the
``Variable`` that ``model.py`` imports (``from model import *``), that
``optimizer`` is an instance of the repo's own ``ScheduledOptim`` whose
``zero_grad(self)`` takes no keyword, or that ``import network`` inside a
Python 2 package means the sibling ``network.py``.  This module answers those
questions for the whole tree:

* :func:`scan` reads one module (or notebook) cheaply -- CPython's ``ast``
  when the text compiles, a token scan otherwise (Python 2 files) -- into a
  :class:`ModuleInfo`: top-level names, ``__all__``, imports (star and
  relative), classes with their bases and method signatures, which names it
  reads (``X`` and ``mod.X``), which project classes it constructs with what.
  Nothing is imported, nothing executed.
* :class:`ProjectModel` resolves the imports inside the project (absolute,
  explicit relative and Python 2 implicit relative) and derives, per module,
  a small picklable :class:`ModuleFacts` -- the slice a worker process gets
  with its file, read by rules and by the engine as ``ctx.project``.

The facts are deliberately conservative in the direction that keeps code
working: a name is "needed by others" as soon as any module could read it,
a star import from a module we cannot enumerate makes the module
``opaque_star``, and a module used other than through attribute access
(``getattr(m, name)``, passed as a value) has all its names needed.
"""

from __future__ import annotations

import ast
import bisect
import collections
import io
import json
import keyword
import os
import re
import tokenize
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from codemods.base import (
    AUTOCAST_DEFAULTS_CALL,
    DEFAULT_DEVICE_CALL,
    KNOWN_STAR_EXPORTS,  # noqa: E402 - a plain table
    ast_parse_quietly,
)
from torchmigrate.gcpolicy import automatic_gc_paused

# Methods whose project-wide definitions every module's facts carry (rules
# ask "could this unknown receiver be a project class with its own X?").
INDEXED_METHODS = ("zero_grad", "step", "get_lr")


# ==========================================================================
# Facts (the serialisable per-module slice)
# ==========================================================================
@dataclass(frozen=True)
class MethodSig:
    """A method's parameters (``self`` included)."""

    params: tuple = ()
    kwonly: tuple = ()
    varargs: bool = False
    varkw: bool = False

    def accepts_keyword(self, name: str) -> bool:
        return self.varkw or name in self.params[1:] or name in self.kwonly


@dataclass(frozen=True)
class ClassFacts:
    """A class defined in the project.

    ``methods`` holds its own methods and those inherited from project
    bases (nearest first); ``torch_kind`` is what it derives from, through
    any number of project classes: ``optim`` (a torch.optim optimizer),
    ``module`` (an nn.Module), ``scheduler`` / ``plateau`` (an LR scheduler /
    ReduceLROnPlateau) or ``""``.  ``attr_kinds`` gives the torch kind of
    ``self.X`` attributes set in ``__init__`` (from a torch constructor, or
    from a parameter that every construction site in the project passes a
    torch object of that kind); ``forwards`` maps a method to the attributes
    it forwards the same call to (``def zero_grad(self):
    self._optimizer.zero_grad()``).
    """

    qualname: str
    bases: tuple = ()
    methods: tuple = ()  # ((name, MethodSig), ...)
    torch_kind: str = ""
    torch_base: str = ""  # the torch class it derives from, if any
    attr_kinds: tuple = ()  # ((attr, kind), ...)
    forwards: tuple = ()  # ((method, (attr, ...)), ...)

    def method(self, name: str) -> Optional[MethodSig]:
        for n, sig in self.methods:
            if n == name:
                return sig
        return None

    def attr_kind(self, attr: str) -> str:
        return dict(self.attr_kinds).get(attr, "")

    def forwarded(self, method: str) -> tuple:
        return dict(self.forwards).get(method, ())


@dataclass(frozen=True)
class ImplicitRelative:
    """``import X`` / ``from X import ...`` in a package that means the sibling X."""

    name: str
    safety: str  # safe | unsafe | manual
    reason: str


@dataclass
class ModuleFacts:
    """What the project knows about one module, as rules and the engine read it.

    * ``needed_by_others`` -- top-level names of this module that other
      modules read (``from this import X``; ``from this import *`` then X;
      ``import this; this.X``) or that ``__all__`` lists.  A fix must not
      remove their binding.
    * ``provided_names`` -- names this module may read as globals that are
      bound elsewhere (star imports resolved in the project, known external
      star imports such as ``from torch.autograd import *``, other cells of
      a notebook).
    * ``opaque_star`` -- a star import from a module the model cannot
      enumerate: any unknown name may come from it.
    * ``resolved_stars`` -- the star-imported modules, as spelled in
      ``from M import *`` (``.model``, ``torch.autograd``), whose names the
      model enumerated into ``provided_names``; the engine's name check
      treats any other star import as open.
    * ``origins`` -- local name -> dotted origin for names bound by a star
      import or re-exported by a project module (``Variable`` ->
      ``torch.autograd.Variable``).  The engine adds them to the file's
      import map, so every rule resolves them.
    * ``classes`` -- spelled reference (``ScheduledOptim``,
      ``optim.ScheduledOptim``, ``pkg.optim.ScheduledOptim``) -> project class.
    * ``method_index`` -- for :data:`INDEXED_METHODS`: the project classes
      that define the method, with its signature -- only classes whose
      instances can reach this module (referenced here, or defined here or in
      a project module this one imports).
    * ``implicit_relative`` -- module name -> :class:`ImplicitRelative` for
      Python 2 implicit relative imports in this file.
    * ``autocast_defaults`` -- some module of the project calls
      ``set_autocast_dtype``/``set_autocast_cache_enabled``: ``torch.amp.autocast``
      follows them, ``torch.cuda.amp.autocast`` passed float16 and caching.
    * ``default_device`` -- some module of the project calls
      ``set_default_tensor_type``/``set_default_device``: the factories
      (``torch.empty``, ``torch.tensor``) follow that default, the typed
      legacy constructors (``torch.LongTensor``) did not.
    """

    module: str = ""
    path: str = ""
    needed_by_others: frozenset = frozenset()
    provided_names: frozenset = frozenset()
    opaque_star: bool = False
    resolved_stars: frozenset = frozenset()
    origins: dict = field(default_factory=dict)
    classes: dict = field(default_factory=dict)
    method_index: dict = field(default_factory=dict)
    implicit_relative: dict = field(default_factory=dict)
    default_device: bool = False  # some module of the project changes the default device
    autocast_defaults: bool = False  # ... or autocast's default dtype / caching
    all_names: Optional[tuple] = None

    def star_origin(self, name: str) -> Optional[str]:
        """The dotted origin of a name this module gets from elsewhere."""
        return self.origins.get(name)

    def class_of(self, ref: str) -> Optional[ClassFacts]:
        """The project class a reference (as written in this module, or as
        resolved through its imports) denotes."""
        return self.classes.get(ref)

    def classes_defining(self, method: str) -> tuple:
        """((class qualname, MethodSig), ...) of project classes defining ``method``."""
        return self.method_index.get(method, ())


# ==========================================================================
# Scanning one module
# ==========================================================================
@dataclass
class Import:
    module: str  # dotted, without the leading dots
    level: int = 0  # leading dots
    names: tuple = ()  # ((name, asname), ...) for from-imports
    star: bool = False
    alias: Optional[str] = None  # import a.b as c -> c
    is_from: bool = False
    line: int = 0


@dataclass
class ClassInfo:
    name: str
    bases: list = field(default_factory=list)  # dotted, as spelled
    methods: dict = field(default_factory=dict)  # name -> MethodSig
    init_attr_params: dict = field(default_factory=dict)  # attr -> __init__ parameter
    init_attr_calls: dict = field(default_factory=dict)  # attr -> callee as spelled
    forwards: dict = field(default_factory=dict)  # method -> set of attrs


@dataclass
class ModuleInfo:
    path: str = ""
    bound: set = field(default_factory=set)  # names bound at module level
    import_bound: dict = field(default_factory=dict)  # name -> Import that binds it
    all_names: Optional[list] = None
    imports: list = field(default_factory=list)
    reads: set = field(default_factory=set)  # names loaded anywhere
    attr_reads: set = field(default_factory=set)  # (dotted base, attr)
    opaque_uses: set = field(default_factory=set)  # names used other than via attributes
    classes: dict = field(default_factory=dict)
    calls: list = field(default_factory=list)  # (callee as spelled, [(key, arg callee)])
    main_guard: bool = False
    future: set = field(default_factory=set)
    default_device: bool = False  # calls set_default_tensor_type / set_default_device
    autocast_defaults: bool = False  # calls set_autocast_dtype / set_autocast_cache_enabled
    parsed: bool = True  # by ast (False: token scan)
    light: bool = False  # names only (scan_light); reads computed on demand
    _pending: Optional[str] = None  # text whose reads are not computed yet

    def need_reads(self) -> ModuleInfo:
        """Compute ``reads``/``attr_reads``/``opaque_uses`` of a light scan
        (deferred: most files' reads are never asked for)."""
        if self._pending is not None:
            body, self._pending = self._pending, None
            _light_reads(self, body)
        return self


_RELEVANT = re.compile(r"zero_grad|get_lr|def\s+step\b")


def relevant(text: str) -> bool:
    """Can this file's classes or code matter to a rule (beyond its names)?
    Files with no sign of PyTorch and no zero_grad/step/get_lr method get the
    light scan: no rule parses them, and other modules only need their names."""
    from codemods.base import has_torch_evidence

    return has_torch_evidence(text) or _RELEVANT.search(text) is not None


def scan(text: str, path: str = "", full: Optional[bool] = None) -> ModuleInfo:
    """Scan Python source (any version) into a :class:`ModuleInfo`.

    ``full=None`` chooses: the precise scan for :func:`relevant` files, the
    light (regular-expression) scan for the others."""
    with automatic_gc_paused():
        info = _scan(text, path, relevant(text) if full is None else full)
    info.default_device = "set_default_" in text and DEFAULT_DEVICE_CALL.search(text) is not None
    info.autocast_defaults = (
        "set_autocast_" in text and AUTOCAST_DEFAULTS_CALL.search(text) is not None
    )
    return info


def _scan(text: str, path: str, full: bool) -> ModuleInfo:
    if not full:
        return scan_light(text, path)
    try:
        tree = ast_parse_quietly(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        info = ModuleInfo(path=path, parsed=False)
        _TokenScanner(info).run(text)
        return info
    info = ModuleInfo(path=path)
    _AstScanner(info).run(tree)
    return info


# --------------------------------------------------------------------------
# Light scan: names only, with regular expressions (C speed)
# --------------------------------------------------------------------------
_L_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^#\n]*)", re.M)
_L_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^#\n]+)", re.M)
_L_DEF = re.compile(r"^(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)", re.M)
_L_ASSIGN = re.compile(
    r"^[ \t]*([A-Za-z_][\w \t,()\[\]*]*?)[ \t]*(?::[^=\n]*)?(?:[-+*/%&|^@]|//|<<|>>|\*\*)?=(?!=)",
    re.M,
)
_L_TOP = re.compile(r"^(@|[A-Za-z_]\w*)", re.M)
_BLOCK_KEYWORDS = frozenset(
    ("if", "elif", "else", "for", "while", "with", "try", "except", "finally")
)
_L_FOR = re.compile(
    r"^[ \t]*(?:for|(?:with|except)[^\n]*?\bas)[ \t]+([\w, \t()]+?)[ \t]*(?:\bin\b|:)", re.M
)
_L_ASSIGN0 = re.compile(_L_ASSIGN.pattern.replace("^[ \\t]*", "^", 1), re.M)
_L_FOR0 = re.compile(_L_FOR.pattern.replace("^[ \\t]*", "^", 1), re.M)
_L_ALL = re.compile(r"^__all__[ \t]*\+?=[ \t]*[\[(]([^\])]*)[\])]", re.M)
_L_CHAIN = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:[ \t]*\.[ \t]*[A-Za-z_]\w*)*)")
_L_STR = re.compile(r"""['"]([A-Za-z_]\w*)['"]""")
_L_MAIN = re.compile(r"""^if[ \t]+__name__[ \t]*==[ \t]*['"]__main__['"]""", re.M)


def scan_light(text: str, path: str = "") -> ModuleInfo:
    """Names only: imports, top-level bindings, ``__all__``, what it reads
    (over-approximated: identifiers in strings and comments count)."""
    info = ModuleInfo(path=path, parsed=False)
    body = text
    for m in _L_FROM.finditer(text):
        level, mod, names = len(m.group(1)), m.group(2), m.group(3).strip("() \t\n")
        if mod == "__future__":
            info.future.update(n.strip() for n in names.split(","))
        if names == "*":
            info.imports.append(Import(module=mod, level=level, star=True, is_from=True))
            continue
        pairs = []
        # comments inside a parenthesised list (``a,  # why\n  b``) hide no names
        for part in re.sub(r"#[^\n]*", "", names).replace("\n", " ").split(","):
            bits = part.split()
            if not bits or not bits[0].isidentifier():
                continue
            pairs.append((bits[0], bits[2] if len(bits) == 3 and bits[1] == "as" else None))
        imp = Import(module=mod, level=level, names=tuple(pairs), is_from=True)
        info.imports.append(imp)
        for n, a in pairs:
            info.bound.add(a or n)
            info.import_bound.setdefault(a or n, imp)
    for m in _L_IMPORT.finditer(text):
        for part in m.group(1).split(","):
            bits = part.split()
            if not bits or not all(x.isidentifier() for x in bits[0].split(".")):
                continue
            alias = bits[2] if len(bits) == 3 and bits[1] == "as" else None
            imp = Import(module=bits[0], alias=alias)
            info.imports.append(imp)
            name = alias or bits[0].split(".")[0]
            info.bound.add(name)
            info.import_bound.setdefault(name, imp)
    if info.imports:
        body = _L_IMPORT.sub("", _L_FROM.sub("", text))
    tops = [(t.start(), t.group(1)) for t in _L_TOP.finditer(text)]
    blocks = any(kind in _BLOCK_KEYWORDS for _, kind in tops)
    offsets = [t[0] for t in tops]
    for rx in (_L_DEF, _L_ASSIGN, _L_FOR) if blocks else (_L_DEF, _L_ASSIGN0, _L_FOR0):
        for m in rx.finditer(text):
            if m.group(0)[:1] in " \t":
                # indented: a module-level binding only inside a top-level
                # if/for/while/with/try block, not in a def or class
                if not blocks:
                    continue
                k = bisect.bisect_right(offsets, m.start()) - 1
                if k < 0 or tops[k][1] not in _BLOCK_KEYWORDS:
                    continue
            for n in re.findall(r"[A-Za-z_]\w*", m.group(1)):
                if n not in _KEYWORDS:
                    info.bound.add(n)
    m = _L_ALL.search(text)
    if m:
        info.all_names = _L_STR.findall(m.group(1))
    info.main_guard = _L_MAIN.search(text) is not None
    info.light = True
    info._pending = body
    return info


def _light_reads(info: ModuleInfo, body: str) -> None:
    aliases = {n for n, imp in info.import_bound.items() if not imp.is_from}
    for chain in set(_L_CHAIN.findall(body)):
        parts = [p.strip() for p in chain.split(".")]
        info.reads.add(parts[0])
        if len(parts) == 1:
            if parts[0] in aliases:
                info.opaque_uses.add(parts[0])
            continue
        for k in range(1, len(parts)):
            info.attr_reads.add((".".join(parts[:k]), parts[k]))
    info.reads -= _PY_KEYWORDS


def _dotted(node) -> Optional[str]:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _sig(fn) -> MethodSig:
    a = fn.args
    params = tuple(x.arg for x in list(getattr(a, "posonlyargs", [])) + list(a.args))
    return MethodSig(
        params=params,
        kwonly=tuple(x.arg for x in a.kwonlyargs),
        varargs=a.vararg is not None,
        varkw=a.kwarg is not None,
    )


def _walk(node):
    """``ast.walk(node)``, in the same (breadth-first) order, without its
    per-node generators (the scan of a class walks every method)."""
    todo = collections.deque([node])
    AST = ast.AST
    while todo:
        node = todo.popleft()
        for name in node._fields:
            try:
                v = getattr(node, name)
            except AttributeError:
                continue
            if isinstance(v, AST):
                todo.append(v)
            elif isinstance(v, list):
                for item in v:
                    if isinstance(item, AST):
                        todo.append(item)
        yield node


# Fields that never hold a node the scan looks at: operators, load/store
# contexts, identifiers and constants (the walk skips them; same order).
_SKIP_FIELDS = frozenset({"ctx", "op", "ops", "type_comment", "kind", "id", "attr", "level"})
_FOLLOW: dict = {ast.Constant: ()}


def _child_fields(t: type) -> tuple:
    return tuple(f for f in t._fields if f not in _SKIP_FIELDS)


class _AstScanner:
    def __init__(self, info: ModuleInfo):
        self.info = info
        # method names called as ``self.X.name(...)`` anywhere in the file
        # (from the walk below): a method whose name is not one of them
        # forwards to no attribute, and _class need not walk it for that
        self._self_attr_calls: set = set()

    def run(self, tree: ast.Module) -> None:
        info = self.info
        attr_bases: set = set()
        names: list = []
        reads = info.reads
        follow = _FOLLOW
        stack = [tree]
        AST, Name, Attribute, Call, If, Store = (
            ast.AST,
            ast.Name,
            ast.Attribute,
            ast.Call,
            ast.If,
            ast.Store,
        )
        while stack:
            node = stack.pop()
            t = type(node)
            if t is Name:
                if type(node.ctx) is not Store:
                    reads.add(node.id)
                    names.append(node)
                continue
            if t is Attribute:
                attr_bases.add(id(node.value))
                d = _dotted(node)
                if d is not None:
                    base, _, attr = d.rpartition(".")
                    info.attr_reads.add((base, attr))
            elif t is Call:
                self._call(node)
            elif t is If and _is_main_guard(node.test):
                info.main_guard = True
            fields = follow.get(t)
            if fields is None:
                fields = follow[t] = _child_fields(t)
            for f in fields:
                v = getattr(node, f, None)
                if type(v) is list:
                    stack.extend([x for x in v if isinstance(x, AST)])
                elif isinstance(v, AST):
                    stack.append(v)
        self._self_attr_calls = self._forward_names()
        # (after the walk: the classes' scan reads what it found)
        self._module_body(tree.body)
        # names used other than as an attribute base: only module aliases matter
        aliases = {n for n, imp in info.import_bound.items() if not imp.is_from}
        if aliases:
            info.opaque_uses = {n.id for n in names if n.id in aliases and id(n) not in attr_bases}

    # -- module level ------------------------------------------------------
    def _module_body(self, body: list) -> None:
        for stmt in body:
            self._stmt(stmt)

    def _stmt(self, stmt) -> None:
        info = self.info
        if isinstance(stmt, ast.Import):
            for a in stmt.names:
                imp = Import(module=a.name, alias=a.asname, line=stmt.lineno)
                info.imports.append(imp)
                name = a.asname or a.name.split(".")[0]
                info.bound.add(name)
                info.import_bound.setdefault(name, imp)
        elif isinstance(stmt, ast.ImportFrom):
            mod = stmt.module or ""
            if mod == "__future__":
                info.future.update(a.name for a in stmt.names)
            if len(stmt.names) == 1 and stmt.names[0].name == "*":
                info.imports.append(
                    Import(module=mod, level=stmt.level, star=True, is_from=True, line=stmt.lineno)
                )
                return
            imp = Import(
                module=mod,
                level=stmt.level,
                names=tuple((a.name, a.asname) for a in stmt.names),
                is_from=True,
                line=stmt.lineno,
            )
            info.imports.append(imp)
            for a in stmt.names:
                name = a.asname or a.name
                info.bound.add(name)
                info.import_bound.setdefault(name, imp)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            info.bound.add(stmt.name)
        elif isinstance(stmt, ast.ClassDef):
            info.bound.add(stmt.name)
            info.classes[stmt.name] = self._class(stmt)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                for n in _target_names(t):
                    info.bound.add(n)
                if isinstance(t, ast.Name) and t.id == "__all__":
                    names = _literal_strings(stmt.value)
                    if names is not None:
                        if isinstance(stmt, ast.AugAssign) and info.all_names is not None:
                            info.all_names = info.all_names + names
                        else:
                            info.all_names = names
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            info.bound.update(_target_names(stmt.target))
            self._module_body(stmt.body + stmt.orelse)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                if item.optional_vars is not None:
                    info.bound.update(_target_names(item.optional_vars))
            self._module_body(stmt.body)
        elif isinstance(stmt, (ast.If, ast.While)):
            self._module_body(stmt.body + stmt.orelse)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            for h in stmt.handlers:
                if h.name:
                    info.bound.add(h.name)
                self._module_body(h.body)
            self._module_body(stmt.body + stmt.orelse + stmt.finalbody)
        elif isinstance(stmt, ast.Global):
            pass
        # walrus targets and the like are rare at module level: ignored
        for node in ast.walk(stmt) if isinstance(stmt, ast.Expr) else ():
            if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
                info.bound.add(node.target.id)

    def _forward_names(self):
        """The attribute names read as ``self.X.name`` in the file (from the
        walk's attribute reads): the only method names _class can find a
        forward for."""
        return {
            attr
            for base, attr in self.info.attr_reads
            if base.startswith("self.") and base.count(".") == 1
        }

    def _class(self, node: ast.ClassDef) -> ClassInfo:
        ci = ClassInfo(name=node.name)
        for b in node.bases:
            d = _dotted(b)
            if d:
                ci.bases.append(d)
        for item in node.body:
            if not isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            ci.methods[item.name] = _sig(item)
            if item.name != "__init__" and item.name not in self._self_attr_calls:
                continue  # (no `self.X.<its name>(...)` in the file: nothing to find)
            params = {a.arg for a in item.args.args[1:]}
            for sub in _walk(item):
                if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
                    d = _dotted(sub.func)
                    if d and d.startswith("self.") and d.count(".") == 2:
                        attr, meth = d.split(".")[1:]
                        if meth == item.name:
                            ci.forwards.setdefault(item.name, set()).add(attr)
                if item.name == "__init__" and isinstance(sub, ast.Assign):
                    for t in sub.targets:
                        d = _dotted(t)
                        if not (d and d.startswith("self.") and d.count(".") == 1):
                            continue
                        attr = d[5:]
                        v = sub.value
                        if isinstance(v, ast.Name) and v.id in params:
                            ci.init_attr_params[attr] = v.id
                        elif isinstance(v, ast.Call):
                            callee = _dotted(v.func)
                            if callee:
                                ci.init_attr_calls[attr] = callee
        return ci

    def _call(self, node: ast.Call) -> None:
        callee = _dotted(node.func)
        if not callee or not callee.rsplit(".", 1)[-1][:1].isupper():
            return
        args = []
        for i, a in enumerate(node.args):
            if isinstance(a, ast.Starred):
                break
            args.append((i, _arg_callee(a)))
        for kw in node.keywords:
            if kw.arg is not None:
                args.append((kw.arg, _arg_callee(kw.value)))
        self.info.calls.append((callee, args))


def _arg_callee(node) -> Optional[str]:
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    return None


def _target_names(t) -> list:
    if isinstance(t, ast.Name):
        return [t.id]
    if isinstance(t, (ast.Tuple, ast.List)):
        out = []
        for e in t.elts:
            out += _target_names(e)
        return out
    if isinstance(t, ast.Starred):
        return _target_names(t.value)
    return []


def _literal_strings(node) -> Optional[list]:
    if isinstance(node, (ast.List, ast.Tuple)):
        out = []
        for e in node.elts:
            if not (isinstance(e, ast.Constant) and isinstance(e.value, str)):
                return None
            out.append(e.value)
        return out
    return None


def _is_main_guard(test) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )


# --------------------------------------------------------------------------
# Token scan (files CPython cannot parse: Python 2, or broken files)
# --------------------------------------------------------------------------
_PY_KEYWORDS = set(keyword.kwlist)
_KEYWORDS = _PY_KEYWORDS | {"print", "exec"}
_COMPOUND = {"if", "elif", "else", "for", "while", "try", "except", "finally", "with"}


class _TokenScanner:
    """A tolerant scan of logical lines with the indentation structure.

    Less precise than the ast scan (reads are over-approximated, which only
    makes the facts more conservative)."""

    def __init__(self, info: ModuleInfo):
        self.info = info

    def run(self, text: str) -> None:
        try:
            lines = list(_logical_lines(text))
        except (tokenize.TokenError, IndentationError, SyntaxError):
            self._regex_fallback(text)
            return
        # stack of (indent, kind, name): kind in def/class/block
        stack: list = []
        pending: Optional[tuple] = None
        for indent, toks in lines:
            while stack and stack[-1][0] >= indent:
                stack.pop()
            if pending is not None and indent > pending[0]:
                stack.append(pending)
            pending = None
            vals = [t.string for t in toks]
            if not vals:
                continue
            self._reads(toks)
            if vals[0] == "@":
                continue  # a decorator line
            in_func = any(k == "def" for _, k, _ in stack)
            cls = stack[-1][2] if stack and stack[-1][1] == "class" else None
            method = stack[-1] if stack and stack[-1][1] == "def" else None
            first = vals[0]
            if first == "async" and len(vals) > 1:
                vals = vals[1:]
                first = vals[0]
            if first in ("def", "class") and len(vals) > 1:
                name = vals[1]
                if not in_func and cls is None:
                    self.info.bound.add(name)
                if first == "class":
                    ci = ClassInfo(name=name)
                    if len(vals) > 2 and vals[2] == "(":
                        ci.bases = [b for b in _split_dotted(vals[3:]) if b]
                    if not in_func and cls is None:
                        self.info.classes[name] = ci
                    pending = (indent, "class", ci)
                else:
                    if cls is not None and isinstance(cls, ClassInfo):
                        cls.methods[name] = _token_sig(vals[2:])
                    pending = (indent, "def", (name, cls if isinstance(cls, ClassInfo) else None))
                continue
            if first in _COMPOUND or (vals[-1] == ":" and first not in ("lambda",)):
                pending = (indent, "block", None)
                if first == "if" and "__name__" in vals and any("__main__" in v for v in vals):
                    self.info.main_guard = True
                if not in_func and cls is None:
                    if first == "for" and "in" in vals:
                        for n in _names(vals[1 : vals.index("in")]):
                            self.info.bound.add(n)
                    if first == "with" and "as" in vals:
                        i = vals.index("as")
                        self.info.bound.update(_names(vals[i + 1 : -1]))
                    if first == "except":
                        if "as" in vals:
                            self.info.bound.update(_names(vals[vals.index("as") + 1 : -1]))
                # a one-line compound statement body: "if x: import y"
                if vals[-1] != ":" and ":" in vals:
                    rest = vals[vals.index(":") + 1 :]
                    if not in_func and cls is None:
                        self._simple(rest, toks[0].start[0])
                continue
            if not in_func and cls is None:
                self._simple(vals, toks[0].start[0])
            elif method is not None and method[2][1] is not None:
                self._method_line(method[2][0], method[2][1], vals)

    def _simple(self, vals: list, line: int) -> None:
        info = self.info
        first = vals[0]
        if first == "import":
            for part in _split_commas(vals[1:]):
                if "as" in part:
                    i = part.index("as")
                    mod, alias = "".join(part[:i]), part[i + 1] if i + 1 < len(part) else None
                else:
                    mod, alias = "".join(part), None
                if not mod:
                    continue
                imp = Import(module=mod, alias=alias, line=line)
                info.imports.append(imp)
                name = alias or mod.split(".")[0]
                info.bound.add(name)
                info.import_bound.setdefault(name, imp)
            return
        if first == "from" and "import" in vals:
            i = vals.index("import")
            spec = vals[1:i]
            level = 0
            while spec and spec[0] in (".", "..", "..."):
                level += len(spec[0])
                spec = spec[1:]
            mod = "".join(spec)
            names = [v for v in vals[i + 1 :] if v not in ("(", ")")]
            if mod == "__future__":
                info.future.update(v for v in names if v not in (",", "as"))
            if names == ["*"]:
                info.imports.append(Import(module=mod, level=level, star=True, is_from=True))
                return
            pairs = []
            for part in _split_commas(names):
                if not part:
                    continue
                pairs.append((part[0], part[2] if len(part) > 2 and part[1] == "as" else None))
            imp = Import(module=mod, level=level, names=tuple(pairs), is_from=True, line=line)
            info.imports.append(imp)
            for n, a in pairs:
                info.bound.add(a or n)
                info.import_bound.setdefault(a or n, imp)
            return
        # assignments: every '=' at depth 0 separates targets from the value
        depth = 0
        cuts = []
        for i, v in enumerate(vals):
            if v in "([{":
                depth += 1
            elif v in ")]}":
                depth -= 1
            elif depth == 0 and v in ("=", "+=") and i > 0:
                cuts.append(i)
        if not cuts:
            return
        start = 0
        for c in cuts:
            target = vals[start:c]
            info.bound.update(_names(target))
            if target == ["__all__"]:
                value = vals[c + 1 :]
                strs = _token_strings(value)
                if strs is not None:
                    info.all_names = (info.all_names or []) + strs if vals[c] == "+=" else strs
            start = c + 1

    def _method_line(self, method: str, cls: ClassInfo, vals: list) -> None:
        # self.X = P / self.X = a.b.C(...) in __init__; self.X.<method>( anywhere
        if method == "__init__" and len(vals) >= 5 and vals[:2] == ["self", "."] and vals[3] == "=":
            attr = vals[2]
            rest = vals[4:]
            if len(rest) == 1 and rest[0].isidentifier():
                sig = cls.methods.get("__init__")
                if sig is not None and rest[0] in sig.params[1:]:
                    cls.init_attr_params[attr] = rest[0]
            else:
                callee = _leading_dotted(rest)
                if callee and len(rest) > callee.count(".") * 2 + 1:
                    if rest[callee.count(".") * 2 + 1] == "(":
                        cls.init_attr_calls[attr] = callee
        for i in range(len(vals) - 5):
            if (
                vals[i] == "self"
                and vals[i + 1] == "."
                and vals[i + 3] == "."
                and vals[i + 4] == method
                and vals[i + 5] == "("
            ):
                cls.forwards.setdefault(method, set()).add(vals[i + 2])

    def _reads(self, toks: list) -> None:
        info = self.info
        prev = None
        chain: list = []
        for t in toks:
            if t.type == tokenize.NAME and t.string not in _PY_KEYWORDS:
                if prev == ".":
                    if chain:
                        info.attr_reads.add((".".join(chain), t.string))
                        chain.append(t.string)
                else:
                    info.reads.add(t.string)
                    chain = [t.string]
            elif t.string != ".":
                chain = []
            prev = t.string

    def _regex_fallback(self, text: str) -> None:
        info = self.info
        info.reads.update(re.findall(r"[A-Za-z_]\w*", text))
        for m in re.finditer(r"^(?:def|class)\s+(\w+)|^(\w+)\s*=[^=]", text, re.M):
            info.bound.add(m.group(1) or m.group(2))
        for m in re.finditer(r"^from\s+(\.*)([\w.]*)\s+import\s+\*", text, re.M):
            info.imports.append(Import(module=m.group(2), level=len(m.group(1)), star=True))


def _logical_lines(text: str):
    """(indent column, tokens) per logical line, comments and NL dropped."""
    indent = 0
    cur: list = []
    gen = tokenize.generate_tokens(io.StringIO(text).readline)
    for tok in gen:
        tt = tok.type
        if tt in (tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT):
            continue
        if tt == tokenize.ENCODING:
            continue
        if tt in (tokenize.NEWLINE, tokenize.ENDMARKER):
            if cur:
                yield indent, cur
            cur = []
            continue
        if not cur:
            indent = tok.start[1]
        if tt == tokenize.ERRORTOKEN and not tok.string.strip():
            continue
        cur.append(tok)


def _split_commas(vals: list) -> list:
    out, cur, depth = [], [], 0
    for v in vals:
        if v in "([{":
            depth += 1
        elif v in ")]}":
            depth -= 1
        if v == "," and depth == 0:
            out.append(cur)
            cur = []
        else:
            cur.append(v)
    out.append(cur)
    return out


def _split_dotted(vals: list) -> list:
    """Dotted names among ``a.B, c.D)`` (up to the closing parenthesis)."""
    out = []
    depth = 0
    cur = ""
    for v in vals:
        if v == "(":
            depth += 1
        elif v == ")":
            if depth == 0:
                break
            depth -= 1
        if depth:
            continue
        if v == ",":
            out.append(cur)
            cur = ""
        elif v == "." or v.isidentifier():
            cur += v
        elif v == "=":
            cur = ""  # metaclass=...
    out.append(cur)
    return [x for x in out if x and not x.startswith(".")]


def _names(vals: list) -> list:
    out = []
    for i, v in enumerate(vals):
        if not v.isidentifier() or v in _KEYWORDS:
            continue
        if i > 0 and vals[i - 1] == ".":
            continue
        if i + 1 < len(vals) and vals[i + 1] in (".", "[", "("):
            continue
        out.append(v)
    return out


def _leading_dotted(vals: list) -> Optional[str]:
    parts = []
    i = 0
    while i < len(vals) and vals[i].isidentifier():
        parts.append(vals[i])
        if i + 1 < len(vals) and vals[i + 1] == ".":
            i += 2
            continue
        break
    return ".".join(parts) or None


def _token_sig(vals: list) -> MethodSig:
    if not vals or vals[0] != "(":
        return MethodSig()
    params, kwonly = [], []
    varargs = varkw = False
    depth = 0
    expect = True
    star_seen = False
    for i, v in enumerate(vals[1:], 1):
        if v in "([{":
            depth += 1
            continue
        if v in ")]}":
            if depth == 0:
                break
            depth -= 1
            continue
        if depth:
            continue
        if v == ",":
            expect = True
            continue
        if not expect:
            continue
        if v == "*":
            varargs = varargs or (vals[i + 1] not in (",", ")"))
            star_seen = True
            continue
        if v == "**":
            varkw = True
            expect = False
            continue
        if v.isidentifier():
            if vals[i - 1] == "*":
                expect = False
                continue
            (kwonly if star_seen else params).append(v)
            expect = False
    return MethodSig(tuple(params), tuple(kwonly), varargs, varkw)


def _token_strings(vals: list) -> Optional[list]:
    if not vals or vals[0] not in "([" or vals[-1] not in ")]":
        return None
    out = []
    for v in vals[1:-1]:
        if v == ",":
            continue
        try:
            s = ast.literal_eval(v)
        except Exception:  # noqa: BLE001
            return None
        if not isinstance(s, str):
            return None
        out.append(s)
    return out


# ==========================================================================
# Notebooks: the cells of a notebook are one module
# ==========================================================================
def notebook_cells(raw: str) -> Optional[list]:
    """The Python code of a notebook's code cells (IPython lines made
    placeholders), or None when it is not a readable Python notebook."""
    from torchmigrate import notebooks

    try:
        nb = notebooks.read_notebook(raw)
    except notebooks.NotebookError:
        return None
    if not nb.is_python:
        return None
    prot = notebooks.Protector(raw)
    out = []
    for c in nb.code_cells:
        py = prot.protect(c.text.replace("\r\n", "\n"))
        if py:
            out.append(py)
    return out


def scan_path(path: str, text: Optional[str] = None) -> Optional[ModuleInfo]:
    """Scan a file on disk (``.py`` or ``.ipynb``); None when unreadable."""
    if text is None:
        from torchmigrate.sources import read_bytes

        try:
            data = read_bytes(Path(path))[0]
        except Exception:  # noqa: BLE001 - the worker reports unreadable files
            return None
        return scan_bytes(path, data)
    return _scan_text(path, text)


def scan_bytes(path: str, data: bytes) -> Optional[ModuleInfo]:
    """:func:`scan_path` of a file whose bytes are ``data`` (what a worker
    of the parallel scan gets); None when they cannot be decoded."""
    try:
        if path.endswith(".ipynb"):
            # as ``Path.read_text`` reads it: UTF-8, universal newlines
            text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        else:
            from torchmigrate.sources import decode

            text = decode(Path(path), data)[0]
    except Exception:  # noqa: BLE001 - the worker reports undecodable files
        return None
    return _scan_text(path, text)


def _scan_text(path: str, text: str) -> Optional[ModuleInfo]:
    if path.endswith(".ipynb"):
        cells = notebook_cells(text)
        if cells is None:
            return None
        info = ModuleInfo(path=path)
        for cell in cells:
            _merge(info, scan(cell, path))
        return info
    return scan(text, path)


def cell_facts(cells: list, facts: Optional[ModuleFacts]) -> list:
    """Per-cell facts for migrating a notebook's cells one by one: the other
    cells' names are provided to, and needed from, each cell."""
    infos = [scan(c).need_reads() for c in cells]
    out = []
    for i, info in enumerate(infos):
        provided: set = set(facts.provided_names) if facts else set()
        needed: set = set(facts.needed_by_others) if facts else set()
        origins: dict = dict(facts.origins) if facts else {}
        for j, other in enumerate(infos):
            if j == i:
                continue
            provided |= other.bound
            needed |= other.reads
            for name, imp in other.import_bound.items():
                if imp.level:
                    continue
                if imp.is_from:
                    orig = next((n for n, a in imp.names if (a or n) == name), name)
                    origins.setdefault(name, f"{imp.module}.{orig}")
                elif imp.alias:
                    origins.setdefault(name, imp.module)
                else:
                    origins.setdefault(name, name)
            for imp in other.imports:
                if imp.star and imp.module in KNOWN_STAR_EXPORTS and not imp.level:
                    for n in KNOWN_STAR_EXPORTS[imp.module]:
                        provided.add(n)
                        origins.setdefault(n, f"{imp.module}.{n}")
        origins = {k: v for k, v in origins.items() if k not in info.bound}
        out.append(
            ModuleFacts(
                module=facts.module if facts else "",
                path=facts.path if facts else "",
                needed_by_others=frozenset(needed),
                provided_names=frozenset(provided - info.bound),
                opaque_star=bool(facts and facts.opaque_star),
                resolved_stars=frozenset(facts.resolved_stars if facts else ())
                | frozenset(
                    imp.module
                    for imp in info.imports
                    if imp.star and imp.module in KNOWN_STAR_EXPORTS and not imp.level
                ),
                origins=origins,
                classes=dict(facts.classes) if facts else {},
                method_index=dict(facts.method_index) if facts else {},
                default_device=bool(facts and facts.default_device)
                or any(other.default_device for other in infos),
                autocast_defaults=bool(facts and facts.autocast_defaults)
                or any(other.autocast_defaults for other in infos),
            )
        )
    return out


def _merge(into: ModuleInfo, part: ModuleInfo) -> None:
    part.need_reads()
    into.bound |= part.bound
    for k, v in part.import_bound.items():
        into.import_bound.setdefault(k, v)
    if part.all_names is not None:
        into.all_names = part.all_names
    into.imports += part.imports
    into.reads |= part.reads
    into.attr_reads |= part.attr_reads
    into.opaque_uses |= part.opaque_uses
    into.classes.update(part.classes)
    into.calls += part.calls
    into.main_guard |= part.main_guard
    into.default_device |= part.default_device
    into.autocast_defaults |= part.autocast_defaults
    into.future |= part.future
    into.parsed &= part.parsed


# ==========================================================================
# The model
# ==========================================================================
def _torch_kind(qual: str) -> str:
    if qual.startswith("torch.optim.lr_scheduler."):
        return "plateau" if qual.endswith(".ReduceLROnPlateau") else "scheduler"
    last = qual.rsplit(".", 1)[-1]
    if not last[:1].isupper():
        return ""
    if qual.startswith("torch.optim."):
        return "optim"
    if qual.startswith("torch.nn.") and not qual.startswith("torch.nn.functional"):
        return "module"
    return ""


@dataclass
class _Mod:
    path: str  # absolute, resolved
    display: str
    modname: str
    root: str  # import root directory
    is_pkg: bool
    notebook: bool
    info: ModuleInfo


class ProjectModel:
    """All modules of one repository and the relations between them."""

    def __init__(self, root: Optional[str] = None):
        self.root = os.path.abspath(root) if root else None
        self.mods: dict = {}  # abs path -> _Mod
        self._resolved: dict = {}
        self._exports: dict = {}
        self._needed: dict = {}
        self._classes: Optional[dict] = None
        self._files: set = set()
        # path -> os.path.isfile, asked once per path (shared by rebuilds)
        self._on_disk: dict = {}
        self._edges: Optional[list] = None
        self._member_paths: Optional[set] = None
        # memos of the lookups below, dropped whenever a module is added
        self._lookups: dict = {}
        self._tails: Optional[set] = None  # see _dotted_tails
        self._all_roots: Optional[list] = None
        self._roots_memo: dict = {}  # mod path -> _roots(mod), with _all_roots
        self._by_modname: Optional[dict] = None
        self._method_rows_memo: Optional[list] = None

    # -- building --------------------------------------------------------
    @classmethod
    def build(
        cls,
        files: Iterable,
        root: Optional[str] = None,
        texts: Optional[dict] = None,
        infos: Optional[dict] = None,
    ) -> ProjectModel:
        """Scan ``files`` (paths; ``texts`` may give a path's text instead
        of reading it, ``infos`` a path's scan, None for an unreadable
        file) and resolve their imports."""
        model = cls(root)
        texts = texts or {}
        infos = infos or {}
        files = [str(f) for f in files]
        model._files = {os.path.abspath(f) for f in files}
        for display in files:
            path = os.path.abspath(display)
            if display in infos:
                info = infos[display]
            else:
                info = scan_path(display, texts.get(display))
            if info is None:
                continue
            model._add(path, display, info)
        model._resolve()
        return model

    def _isfile(self, path: str) -> bool:
        """Whether ``path`` is one of the model's files or a file on disk.
        The disk is asked once per path for a model and its rebuilds (the
        file system as the run found it): resolving a repo's imports asked
        for the same few ``__init__.py`` files thousands of times."""
        if path in self._files:
            return True
        hit = self._on_disk.get(path)
        if hit is None:
            hit = self._on_disk[path] = os.path.isfile(path)
        return hit

    def rebuilt(self, texts: dict, infos: Optional[dict] = None) -> ProjectModel:
        """A new model in which the files in ``texts`` have that text
        (``infos`` may give the scan of some of them)."""
        model = ProjectModel(self.root)
        model._files = self._files
        model._on_disk = self._on_disk
        infos = infos or {}
        for path, m in self.mods.items():
            info = m.info
            if m.display in texts:
                if m.display in infos:
                    new = infos[m.display]
                else:
                    new = scan_path(m.display, texts[m.display])
                info = new or info
            model._add(path, m.display, info)
        model._resolve()
        return model

    def _add(self, path: str, display: str, info: ModuleInfo) -> None:
        d, base = os.path.split(path)
        notebook = base.endswith(".ipynb")
        stem = base.rsplit(".", 1)[0]
        is_pkg = stem == "__init__"
        parts = [] if is_pkg else [stem]
        root = d
        while self._isfile(os.path.join(root, "__init__.py")):
            parts.insert(0, os.path.basename(root))
            parent = os.path.dirname(root)
            if parent == root:
                break
            root = parent
        self.mods[path] = _Mod(path, display, ".".join(parts), root, is_pkg, notebook, info)
        self._lookups.clear()
        self._tails = None
        self._all_roots = None
        self._by_modname = None
        self._method_rows_memo = None

    # -- resolution ------------------------------------------------------
    def _roots(self, mod: _Mod) -> list:
        if self._all_roots is None:
            self._all_roots = sorted({m.root for m in self.mods.values()})
            self._roots_memo = {}
        seen = self._roots_memo.get(mod.path)
        if seen is not None:
            return seen
        out = [mod.root, os.path.dirname(mod.path)]
        if self.root:
            out.append(self.root)
        seen = list(dict.fromkeys(out + self._all_roots))
        self._roots_memo[mod.path] = seen
        return seen

    def _lookup(self, base: str, dotted: str) -> Optional[_Mod]:
        key = (base, dotted)
        try:
            return self._lookups[key]
        except KeyError:
            pass
        if dotted and dotted not in self._dotted_tails():
            self._lookups[key] = None  # no module of the project has that name
            return None
        rel = dotted.replace(".", os.sep) if dotted else ""
        cands = (
            [os.path.join(base, rel + ".py"), os.path.join(base, rel, "__init__.py")]
            if rel
            else [os.path.join(base, "__init__.py")]
        )
        found = None
        for c in cands:
            m = self.mods.get(c)
            if m is not None:
                found = m
                break
        self._lookups[key] = found
        return found

    def _dotted_tails(self) -> set:
        """Every dotted name some module of the project could be imported as
        from some directory above it (``a/b/c.py``: ``c``, ``b.c``,
        ``a.b.c``; a package's ``__init__.py`` names its directory).  An
        import of any other name is outside the project whatever the root:
        :meth:`_lookup` answers it without a path per root (a repo of 35
        packages has dozens of roots, and most imports are external)."""
        tails = self._tails
        if tails is None:
            tails = self._tails = set()
            for path in self.mods:
                parts = path.split(os.sep)
                if not parts[-1].endswith(".py"):
                    continue
                stem = parts[-1][:-3]
                parts = parts[:-1] if stem == "__init__" else parts[:-1] + [stem]
                for i in range(len(parts)):
                    tails.add(".".join(parts[i:]))
        return tails

    def package_dir(self, mod: _Mod) -> Optional[str]:
        d = os.path.dirname(mod.path)
        return d if self._isfile(os.path.join(d, "__init__.py")) else None

    def resolve(self, mod: _Mod, dotted: str, level: int = 0) -> Optional[_Mod]:
        """The project module ``import dotted`` (with ``level`` dots) in
        ``mod`` refers to, or None (external or unknown)."""
        key = (mod.path, dotted, level)
        if key in self._resolved:
            return self._resolved[key]
        found = None
        if level:
            base = os.path.dirname(mod.path)
            for _ in range(level - 1):
                base = os.path.dirname(base)
            found = self._lookup(base, dotted)
        else:
            implicit = self._implicit_target(mod, dotted)
            if implicit is not None and "absolute_import" not in mod.info.future:
                found = implicit
            else:
                for r in self._roots(mod):
                    found = self._lookup(r, dotted)
                    if found is not None:
                        break
                if found is None:
                    found = implicit
        self._resolved[key] = found
        return found

    def _implicit_target(self, mod: _Mod, dotted: str) -> Optional[_Mod]:
        pkg = self.package_dir(mod)
        if pkg is None or not dotted:
            return None
        return self._lookup(pkg, dotted)

    # -- exports and origins ---------------------------------------------
    def exports(self, mod: _Mod, _stack: tuple = ()) -> dict:
        """name -> origin for ``from mod import *``.  The origin is the
        dotted name of what the name denotes: ``torch.autograd.Variable``
        for a re-export, ``pkg.model.Net`` for a definition."""
        if mod.path in self._exports:
            return self._exports[mod.path]
        if mod.path in _stack:
            return {}
        out: dict = {}
        info = mod.info
        for name in info.bound:
            if info.all_names is None and name.startswith("_"):
                continue
            out[name] = self.origin_of(mod, name, _stack + (mod.path,))
        for imp in info.imports:
            if not imp.star:
                continue
            target = self.resolve(mod, imp.module, imp.level)
            if target is not None:
                sub = self.exports(target, _stack + (mod.path,))
            else:
                sub = {n: f"{imp.module}.{n}" for n in KNOWN_STAR_EXPORTS.get(imp.module, ())}
            for n, o in sub.items():
                if info.all_names is None and n.startswith("_"):
                    continue
                out.setdefault(n, o)
        if info.all_names is not None:
            out = {n: out.get(n, f"{mod.modname}.{n}") for n in info.all_names}
        if not _stack:
            self._exports[mod.path] = out
        return out

    def origin_of(self, mod: _Mod, name: str, _stack: tuple = ()) -> str:
        """The dotted origin of a top-level name of ``mod``."""
        imp = mod.info.import_bound.get(name)
        if imp is None:
            return f"{mod.modname}.{name}"
        if not imp.is_from:
            if imp.alias:
                target = self.resolve(mod, imp.module)
                return target.modname if target is not None else imp.module
            return name
        orig = next((n for n, a in imp.names if (a or n) == name), name)
        target = self.resolve(mod, imp.module, imp.level)
        if target is None:
            if imp.level:
                return f"{mod.modname}.{name}"
            return f"{imp.module}.{orig}" if imp.module else orig
        sub = self._lookup(os.path.dirname(target.path), orig) if target.is_pkg else None
        if sub is not None and orig not in target.info.bound:
            return sub.modname
        if target.path in _stack:
            return f"{target.modname}.{orig}"
        if orig in target.info.bound:
            return self.origin_of(target, orig, _stack + (mod.path,))
        return self.exports(target, _stack + (mod.path,)).get(orig, f"{target.modname}.{orig}")

    # -- needed names ----------------------------------------------------
    def _compute_needed(self) -> None:
        needed: dict = {p: set() for p in self.mods}
        for m in self.mods.values():
            if m.info.all_names is not None:
                needed[m.path].update(m.info.all_names)
        # demand of each module: names it reads, or that others need from it
        changed = True
        rounds = 0
        while changed and rounds < 20:
            changed = False
            rounds += 1
            for m in self.mods.values():
                info = m.info
                demand = None
                for imp in info.imports:
                    target = self.resolve(m, imp.module, imp.level)
                    if target is None or target.path == m.path:
                        continue
                    if demand is None:
                        demand = info.need_reads().reads | needed[m.path]
                    add: set = set()
                    if imp.star:
                        # a name the module binds itself is not read from the star import
                        add = (demand - info.bound) & set(self.exports(target))
                    elif imp.is_from:
                        for n, _a in imp.names:
                            add.add(n)
                    else:
                        alias = imp.alias or imp.module.split(".")[0]
                        spelled = imp.module if imp.alias is None else alias
                        prefix = alias if imp.alias else spelled
                        if alias in info.opaque_uses and (imp.alias or "." not in imp.module):
                            add = set(target.info.bound)
                        for base, attr in info.attr_reads:
                            if base == prefix:
                                add.add(attr)
                        # ``import pkg.mod`` also reads ``pkg.X`` from pkg/__init__
                        if imp.alias is None and "." in imp.module:
                            parts = imp.module.split(".")
                            for k in range(1, len(parts)):
                                pre = ".".join(parts[:k])
                                pmod = self.resolve(m, pre)
                                if pmod is None:
                                    continue
                                extra = {a for b, a in info.attr_reads if b == pre}
                                if not extra <= needed[pmod.path]:
                                    needed[pmod.path] |= extra
                                    changed = True
                    if not add <= needed[target.path]:
                        needed[target.path] |= add
                        changed = True
        self._needed = needed

    # -- classes ---------------------------------------------------------
    def _all_classes(self) -> dict:
        """canonical qualname -> ClassFacts for every project class."""
        if self._classes is not None:
            return self._classes
        raw: dict = {}
        for m in self.mods.values():
            for name, ci in m.info.classes.items():
                q = f"{m.modname}.{name}" if m.modname else name
                bases = tuple(self._resolve_ref(m, b) for b in ci.bases)
                raw[q] = (m, ci, bases)
        # construction sites: class qualname -> param -> set of torch kinds
        sites: dict = {}
        for m in self.mods.values():
            for callee, args in m.info.calls:
                q = self._resolve_ref(m, callee)
                if q not in raw:
                    continue
                _, ci, _ = raw[q]
                init = ci.methods.get("__init__")
                params = init.params[1:] if init else ()
                for key, arg_callee in args:
                    pname = params[key] if isinstance(key, int) and key < len(params) else key
                    if not isinstance(pname, str):
                        continue
                    aq = self._resolve_ref(m, arg_callee) if arg_callee else ""
                    sites.setdefault(q, {}).setdefault(pname, set()).add(aq)
        out: dict = {}

        def kind_of(q: str, stack=()) -> tuple:
            if q not in raw or q in stack:
                k = _torch_kind(q)
                return (k, q if k else "")
            for b in raw[q][2]:
                k, base = kind_of(b, stack + (q,))
                if k:
                    return k, base
            return "", ""

        def methods_of(q: str, stack=()) -> list:
            if q not in raw or q in stack:
                return []
            _, ci, bases = raw[q]
            out_m = list(ci.methods.items())
            seen = set(ci.methods)
            for b in bases:
                for n, s in methods_of(b, stack + (q,)):
                    if n not in seen:
                        seen.add(n)
                        out_m.append((n, s))
            return out_m

        for q, (m, ci, bases) in raw.items():
            kind, base = kind_of(q)
            attr_kinds = []
            for attr, callee in ci.init_attr_calls.items():
                k = _torch_kind(self._resolve_ref(m, callee))
                if k:
                    attr_kinds.append((attr, k))
            for attr, pname in ci.init_attr_params.items():
                quals = sites.get(q, {}).get(pname, set())
                kinds = {kind_of(aq)[0] if aq else "" for aq in quals}
                if len(kinds) == 1 and "" not in kinds:
                    attr_kinds.append((attr, kinds.pop()))
            out[q] = ClassFacts(
                qualname=q,
                bases=bases,
                methods=tuple(methods_of(q)),
                torch_kind=kind,
                torch_base=base,
                attr_kinds=tuple(sorted(attr_kinds)),
                forwards=tuple(sorted((k, tuple(sorted(v))) for k, v in ci.forwards.items())),
            )
        self._classes = out
        return out

    def _resolve_ref(self, mod: _Mod, dotted: str) -> str:
        """A dotted reference as written in ``mod`` -> its canonical origin."""
        head, _, rest = dotted.partition(".")
        if head in mod.info.classes or (
            head in mod.info.bound and head not in mod.info.import_bound
        ):
            base = f"{mod.modname}.{head}" if mod.modname else head
            return base + ("." + rest if rest else "")
        if head in mod.info.import_bound:
            origin = self.origin_of(mod, head)
            full = origin + ("." + rest if rest else "")
            # ``import pkg.optim`` then ``pkg.optim.X``: resolve the module part
            imp = mod.info.import_bound[head]
            if not imp.is_from and not imp.alias and rest:
                parts = dotted.split(".")
                for k in range(len(parts) - 1, 0, -1):
                    target = self.resolve(mod, ".".join(parts[:k]))
                    if target is not None:
                        return self._member(target, parts[k:])
            elif not imp.is_from or self._is_module_origin(origin):
                target = self._module_by_name(origin)
                if target is not None and rest:
                    return self._member(target, rest.split("."))
            return full
        origin = self._star_origin(mod, head)
        if origin is not None:
            return origin + ("." + rest if rest else "")
        return dotted

    def _member(self, target: _Mod, parts: list) -> str:
        name = parts[0]
        if name in target.info.bound:
            base = self.origin_of(target, name)
        else:
            base = self.exports(target).get(name, f"{target.modname}.{name}")
        return base + ("." + ".".join(parts[1:]) if len(parts) > 1 else "")

    def _module_by_name(self, modname: str) -> Optional[_Mod]:
        if self._by_modname is None:
            first: dict = {}
            for m in self.mods.values():
                if not m.notebook:
                    first.setdefault(m.modname, m)
            self._by_modname = first
        return self._by_modname.get(modname)

    def _is_module_origin(self, origin: str) -> bool:
        return self._module_by_name(origin) is not None

    def _star_origin(self, mod: _Mod, name: str) -> Optional[str]:
        for imp in mod.info.imports:
            if not imp.star:
                continue
            target = self.resolve(mod, imp.module, imp.level)
            if target is not None:
                ex = self.exports(target)
                if name in ex:
                    return ex[name]
            elif name in KNOWN_STAR_EXPORTS.get(imp.module, ()):
                return f"{imp.module}.{name}"
        return None

    def _resolve(self) -> None:
        self._compute_needed()

    # -- facts -----------------------------------------------------------
    def module(self, path) -> Optional[_Mod]:
        return self.mods.get(os.path.abspath(str(path)))

    def facts_for(self, path) -> Optional[ModuleFacts]:
        mod = self.module(path)
        if mod is None:
            return None
        info = mod.info
        provided: dict = {}
        opaque = False
        resolved_stars = set()
        for imp in info.imports:
            if not imp.star:
                continue
            target = self.resolve(mod, imp.module, imp.level)
            spelled = "." * imp.level + imp.module
            if target is not None:
                resolved_stars.add(spelled)
                for n, o in self.exports(target).items():
                    provided.setdefault(n, o)
            elif imp.module in KNOWN_STAR_EXPORTS and not imp.level:
                resolved_stars.add(spelled)
                for n in KNOWN_STAR_EXPORTS[imp.module]:
                    provided.setdefault(n, f"{imp.module}.{n}")
            else:
                opaque = True
        origins = {n: o for n, o in provided.items() if n not in info.bound}
        # names imported from project modules that re-export something else
        for name, imp in info.import_bound.items():
            if not imp.is_from:
                continue
            target = self.resolve(mod, imp.module, imp.level)
            if target is None:
                continue
            o = self.origin_of(mod, name)
            if o and not self._is_project_origin(o):
                origins[name] = o
        classes_all = self._all_classes()
        classes: dict = {}
        for name in info.classes:
            q = f"{mod.modname}.{name}" if mod.modname else name
            if q in classes_all:
                classes[name] = classes_all[q]
                classes[q] = classes_all[q]
        refs = set()
        if not info.light:  # light files: no rule looks at classes there
            for callee, _ in info.calls:
                refs.add(callee)
            for n in info.reads:
                refs.add(n)
            for base, attr in info.attr_reads:
                refs.add(f"{base}.{attr}")
        for ref in refs:
            if ref in classes:
                continue
            q = self._resolve_ref(mod, ref)
            if q in classes_all:
                classes[ref] = classes_all[q]
                spelled = _spelled(ref, info, origins)
                if spelled:
                    classes[spelled] = classes_all[q]
        # classes whose instances can reach this module: referenced by it, or
        # defined in it or in a project module it imports
        reach = {mod.modname}
        for imp in info.imports:
            target = self.resolve(mod, imp.module, imp.level)
            if target is not None:
                reach.add(target.modname)
            if imp.is_from and not imp.star:
                for n, _a in imp.names:
                    sub = self.resolve(mod, f"{imp.module}.{n}" if imp.module else n, imp.level)
                    if sub is not None:
                        reach.add(sub.modname)
        referenced = {cf.qualname for cf in classes.values()}
        method_index: dict = {}
        for q, owner, entries in self._method_rows():
            if q not in referenced and owner not in reach:
                continue
            for meth, sig in entries:
                method_index.setdefault(meth, []).append((q, sig))
        return ModuleFacts(
            module=mod.modname,
            path=mod.display,
            needed_by_others=frozenset(self._needed.get(mod.path, ())),
            provided_names=frozenset(n for n in provided if n not in info.bound),
            opaque_star=opaque,
            resolved_stars=frozenset(resolved_stars),
            origins=origins,
            classes=classes,
            method_index={k: tuple(v) for k, v in method_index.items()},
            implicit_relative=self._implicit_relative(mod),
            all_names=tuple(info.all_names) if info.all_names is not None else None,
            default_device=self._any_module("default_device"),
            autocast_defaults=self._any_module("autocast_defaults"),
        )

    def _method_rows(self) -> list:
        """[(class qualname, its module, ((method, signature), ...))] of the
        project classes that have one of :data:`INDEXED_METHODS` (their own
        or from a project base: ``ClassFacts.methods`` holds both), sorted
        by qualname: the same for every module's facts, so computed once
        (memoised until a module is added), not per file."""
        if self._method_rows_memo is None:
            rows = []
            for q, cf in sorted(self._all_classes().items()):
                entries = []
                for meth in INDEXED_METHODS:
                    sig = cf.method(meth)
                    if sig is not None:
                        entries.append((meth, sig))
                if entries:
                    rows.append((q, q.rsplit(".", 1)[0], tuple(entries)))
            self._method_rows_memo = rows
        return self._method_rows_memo

    def _any_module(self, flag: str) -> bool:
        """Some module's scan has ``flag`` set (memoised until a module is added)."""
        hit = self._lookups.get(flag)
        if hit is None:
            hit = self._lookups[flag] = any(getattr(m.info, flag) for m in self.mods.values())
        return hit

    def _is_project_origin(self, origin: str) -> bool:
        head = origin.rsplit(".", 1)[0]
        return self._module_by_name(head) is not None or self._module_by_name(origin) is not None

    # -- implicit relative imports (Python 2) ------------------------------
    def _import_edges(self) -> list:
        """(importer, target, how) for every import of a project module;
        how is 'package' (absolute dotted or explicit relative), 'implicit'
        (a bare name that is a sibling in the importer's package) or 'top'."""
        if self._edges is not None:
            return self._edges
        out = []
        for m in self.mods.values():
            for imp in m.info.imports:
                mods = [(imp.module, imp.level)]
                if imp.is_from and not imp.star and (imp.module or imp.level):
                    base = imp.module
                    mods += [((base + "." if base else "") + n, imp.level) for n, _a in imp.names]
                for dotted, level in mods:
                    target = self.resolve(m, dotted, level)
                    if target is None or target is m:
                        continue
                    if level or "." in dotted:
                        how = "package"
                    elif self._implicit_target(m, dotted) is target and (
                        "absolute_import" not in m.info.future
                    ):
                        how = "implicit"
                    else:
                        how = "top"
                    out.append((m, target, how))
        self._edges = out
        return out

    def _members(self) -> set:
        """Paths of modules that run as members of their package: __init__
        files, modules imported through the package, and -- transitively --
        siblings imported implicitly by a member.  A script that imports a
        sibling by its bare name imports it as a top-level module."""
        if self._member_paths is not None:
            return self._member_paths
        members = {m.path for m in self.mods.values() if m.is_pkg}
        edges = self._import_edges()
        members |= {t.path for _m, t, how in edges if how == "package"}
        changed = True
        while changed:
            changed = False
            for m, t, how in edges:
                if how == "implicit" and m.path in members and t.path not in members:
                    members.add(t.path)
                    changed = True
        self._member_paths = members
        return members

    def importers(self, target: _Mod) -> list:
        """(module, how) for every import of ``target`` in the project; how is
        'package' (through the package, or implicitly from a package member)
        or 'top' (as a top-level module, e.g. by a script of the directory)."""
        members = self._members()
        out = []
        for m, t, how in self._import_edges():
            if t is not target:
                continue
            if how == "implicit":
                how = "package" if m.path in members else "top"
            out.append((m, how))
        return out

    def _implicit_relative(self, mod: _Mod) -> dict:
        pkg = self.package_dir(mod)
        if pkg is None or "absolute_import" in mod.info.future or mod.notebook:
            return {}
        out: dict = {}
        for imp in mod.info.imports:
            if imp.level or not imp.module:
                continue
            head = imp.module.split(".")[0]
            target = self._lookup(pkg, head)
            if target is None or target.path == mod.path:
                continue
            name = imp.module
            if "." in imp.module and not imp.is_from:
                out[name] = ImplicitRelative(
                    name,
                    "manual",
                    f"`import {name}` is a Python 2 implicit relative import of the sibling "
                    f"`{head}` of package `{mod.modname.rsplit('.', 1)[0]}`; Python 3 needs "
                    f"`from . import {head}` and a matching change of the uses",
                )
                continue
            shadow = None
            for r in self._roots(mod):
                if r == pkg:
                    continue
                other = self._lookup(r, head)
                if other is not None and other is not target:
                    shadow = other
                    break
            safety, reason = self._relative_safety(mod, pkg)
            if shadow is not None:
                reason += (
                    f"; note that the project also has a top-level `{head}` "
                    f"({shadow.display}), which Python 3 would import instead"
                )
            out[name] = ImplicitRelative(name, safety, reason)
        return out

    def _relative_safety(self, mod: _Mod, pkg: str) -> tuple:
        pkgname = mod.modname.rsplit(".", 1)[0] if "." in mod.modname else mod.modname
        how = {h for _m, h in self.importers(mod)}
        if mod.path in self._members():
            how.add("package")
        if mod.is_pkg:
            return "safe", f"`{mod.display}` is the package `{pkgname}`'s __init__"
        if mod.info.main_guard:
            if "package" in how:
                return (
                    "manual",
                    f"`{mod.display}` is both run as a script (it has a __main__ guard) and "
                    f"imported as part of package `{pkgname}`; a relative import fails in the "
                    "script -- run it as `python -m` or make the import absolute",
                )
            return (
                "skip",
                "a script: its directory is on sys.path, so the absolute import works",
            )
        if how == {"top"}:
            return (
                "skip",
                "imported as a top-level module by a script of its directory: the absolute "
                "import works",
            )
        if "top" in how:
            return (
                "manual",
                f"`{mod.display}` is imported both as a top-level module and as part of "
                f"package `{pkgname}`",
            )
        if "package" in how:
            return "safe", f"`{mod.display}` is imported as part of package `{pkgname}`"
        return (
            "unsafe",
            f"no module of the project imports `{mod.display}`; this is right when it is "
            f"imported as part of package `{pkgname}`",
        )


def _spelled(ref: str, info: ModuleInfo, origins: dict) -> Optional[str]:
    """``ref`` with its head replaced by what the file's own import map says
    (how ``ctx.qualname`` resolves it)."""
    head, _, rest = ref.partition(".")
    imp = info.import_bound.get(head)
    if imp is None:
        o = origins.get(head)
        return o + ("." + rest if rest else "") if o else None
    if imp.is_from:
        orig = next((n for n, a in imp.names if (a or n) == head), head)
        base = ("." * imp.level) + imp.module
        full = f"{imp.module}.{orig}" if imp.module else orig
        if imp.level:
            full = f"{base}.{orig}" if imp.module else orig
        return full + ("." + rest if rest else "")
    if imp.alias:
        return imp.module + ("." + rest if rest else "")
    return None


# ==========================================================================
# Building models for a run
# ==========================================================================
# Below this many files to scan, the scan runs in the driver: a round trip to
# the workers would cost more than it saves.
PARALLEL_SCAN_MIN_FILES = 16


class FactsOnDemand(Mapping):
    """{str(path): ModuleFacts} of the models' files, each computed the
    first time it is asked for (and kept).  A run asks for a file's facts
    when it puts the file in a batch, so the driver computes them while
    the workers migrate the batches before, instead of for every file
    before the first batch, with both workers idle (0.2 s on 1,200 files
    of real code).  A file without facts (unreadable) is not a key."""

    def __init__(self, model_of: dict):
        self._model_of = model_of  # str(path) -> its repo's model
        self._got: dict = {}

    def get(self, path, default=None):
        try:
            got = self._got[path]
        except KeyError:
            model = self._model_of.get(path)
            got = self._got[path] = model.facts_for(path) if model is not None else None
        return default if got is None else got

    def __getitem__(self, path):
        got = self.get(path)
        if got is None:
            raise KeyError(path)
        return got

    def __setitem__(self, path, facts) -> None:
        self._got[path] = facts

    def __contains__(self, path) -> bool:
        return self.get(path) is not None

    def __iter__(self):
        return (p for p in self._model_of if self.get(p) is not None)

    def __len__(self) -> int:
        return sum(1 for _p in self)


def build_models(
    items: list,
    texts: Optional[dict] = None,
    previous: Optional[dict] = None,
    executor=None,
    on_demand: bool = False,
) -> tuple:
    """``items`` = [(path, repo, display)] -> ({str(path): ModuleFacts}, {repo: model}).

    One model per repo (a repo's files only see each other).  ``texts`` gives
    the text of some paths instead of reading them; ``previous`` (models of
    an earlier build) lets unchanged files keep their scan.  With an
    ``executor`` of more than one worker, the files are scanned on its
    workers (the scan is most of the model's cost; resolving the imports
    stays here, it needs every module).  ``on_demand``: the facts are a
    :class:`FactsOnDemand`, each file's computed when first asked for."""
    by_repo: dict = {}
    for path, repo, _display in items:
        by_repo.setdefault(repo, []).append(str(path))
    infos = _parallel_scan(by_repo, texts or {}, previous or {}, executor)
    facts: dict = {}
    models: dict = {}
    model_of: dict = {}
    for repo, files in by_repo.items():
        root = repo if os.path.isdir(repo) else os.path.dirname(os.path.abspath(repo))
        old = (previous or {}).get(repo)
        if old is not None:
            model = old.rebuilt(texts or {}, infos)
        else:
            model = ProjectModel.build(files, root=root, texts=texts, infos=infos)
        models[repo] = model
        if on_demand:
            model_of.update(dict.fromkeys(files, model))
            continue
        for path in files:
            f = model.facts_for(path)
            if f is not None:
                facts[path] = f
    return (FactsOnDemand(model_of) if on_demand else facts), models


def _parallel_scan(by_repo: dict, texts: dict, previous: dict, executor) -> dict:
    """{path: ModuleInfo or None} of the files :func:`build_models` would
    scan, scanned on ``executor``'s workers; {} when it has one worker or
    there are too few files to gain anything."""
    if executor is None or getattr(executor, "workers", 1) <= 1:
        return {}
    todo = []  # (path, text or None)
    for repo, files in by_repo.items():
        if repo in previous:  # a rebuild scans only the new texts
            todo += [(f, texts[f]) for f in files if f in texts]
        else:
            todo += [(f, texts.get(f)) for f in files]
    if len(todo) < PARALLEL_SCAN_MIN_FILES:
        return {}
    from torchmigrate.executors import scan_items

    return scan_items(executor, todo)


def run_project(
    items: list,
    rule_ids,
    unsafe_fixes: bool,
    jobs: int,
    on_done=None,
    max_rounds: int = 3,
    executor=None,
) -> list:
    """Build the project model, migrate every file with its facts, and
    settle cross-file import removals.  The files run on ``executor``
    (``torchmigrate.executors``; default: a local pool of ``jobs``).

    ``rule_ids`` is one tuple of rule ids for every item, or a list of
    tuples aligned with ``items`` (per-file-ignores); the model always
    covers all items of a repo.

    A module's import that another module still reads (``train.py`` calls
    ``Variable`` through ``from model import *``) is kept in the first
    round.  When the results show that no module reads it any more (the
    calls were unwrapped; a helper was renamed in its importers too), the
    module is migrated again from its original text with the names the
    migrated modules read -- so a single run removes the import exactly when
    nothing in the project reads it."""
    if executor is None and jobs > 1:
        # one pool for the whole run: the scan, every rule set, every round
        from torchmigrate.executors import LocalExecutor

        with LocalExecutor(jobs) as local:
            return run_project(items, rule_ids, unsafe_fixes, jobs, on_done, max_rounds, local)
    from torchmigrate.gcpolicy import frozen_heap

    per_item = list(rule_ids) if isinstance(rule_ids, list) else [tuple(rule_ids)] * len(items)
    facts, models = build_models(items, executor=executor, on_demand=True)
    with frozen_heap():
        return _run_rounds(
            items, per_item, unsafe_fixes, jobs, on_done, max_rounds, executor, facts, models
        )


def _run_rounds(
    items, per_item, unsafe_fixes, jobs, on_done, max_rounds, executor, facts, models
) -> list:
    """:func:`run_project`'s migration rounds, once the model is built."""
    from dataclasses import replace

    outcomes = _run_grouped(
        items, range(len(items)), per_item, unsafe_fixes, jobs, facts, on_done, executor
    )
    for _round in range(max_rounds):
        waiting = [
            i
            for i, it in enumerate(items)
            if facts.get(str(it[0])) is not None and facts[str(it[0])].needed_by_others
        ]
        texts = {
            str(it[0]): o.new
            for it, o in zip(items, outcomes)
            if o.status == "changed" and o.new is not None
        }
        if not waiting or not texts:
            break
        new_facts, models = build_models(items, texts=texts, previous=models, executor=executor)
        redo = []
        for i in waiting:
            key = str(items[i][0])
            old, new = facts[key], new_facts.get(key)
            # a name others read is not read any more (an import whose uses
            # were unwrapped, a helper renamed project-wide): migrate again
            if new is not None and old.needed_by_others - new.needed_by_others:
                redo.append(i)
                facts[key] = replace(old, needed_by_others=new.needed_by_others)
        if not redo:
            break
        again = _run_grouped(items, redo, per_item, unsafe_fixes, jobs, facts, None, executor)
        for i, o in zip(redo, again):
            outcomes[i] = o
    return outcomes


def _run_grouped(
    items, indices, per_item, unsafe_fixes, jobs, facts, on_done, executor=None
) -> list:
    """run_pool over ``items[i] for i in indices``, one pool run per rule set;
    outcomes in the order of ``indices``."""
    from torchmigrate.processing import run_pool

    groups: dict = {}
    for k, i in enumerate(indices):
        groups.setdefault(per_item[i], []).append((k, i))
    out: list = [None] * len(list(indices))
    for ids, members in groups.items():
        got = run_pool(
            [items[i] for _k, i in members],
            ids,
            unsafe_fixes,
            jobs,
            on_done=on_done,
            facts=facts,
            executor=executor,
        )
        for (k, _i), o in zip(members, got):
            out[k] = o
    return out


def example_facts(example) -> Optional[ModuleFacts]:
    """The facts of a rule example's file within its example project
    (``Example.project``), built from the texts alone; None without one."""
    if not example.project:
        return None
    root = "/example-project"
    texts = {os.path.join(root, rel): text for rel, text in example.project}
    me = os.path.join(root, example.path)
    texts[me] = example.before
    model = ProjectModel.build(sorted(texts), root=root, texts=texts)
    return model.facts_for(me)


def dumps(facts: ModuleFacts) -> str:
    """A JSON rendering of a module's facts (for debugging and the docs)."""

    def conv(o):
        if isinstance(o, (set, frozenset)):
            return sorted(o)
        if hasattr(o, "__dataclass_fields__"):
            return {k: conv(getattr(o, k)) for k in o.__dataclass_fields__}
        if isinstance(o, dict):
            return {k: conv(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [conv(x) for x in o]
        return o

    return json.dumps(conv(facts), indent=2, sort_keys=True)


__all__ = [
    "ClassFacts",
    "ImplicitRelative",
    "MethodSig",
    "ModuleFacts",
    "ModuleInfo",
    "ProjectModel",
    "build_models",
    "scan",
    "scan_path",
]
