"""The analysis: one place that answers "what is this value?".

Every rule that needs to know what an expression is asks the file's
:class:`Analysis` -- ``analysis(ctx)`` -- and never grows its own inference.
Every answer is *provable or unknown*: ``None``/``False`` means "the file does
not prove it", and a rule turns that into a lower safety class, never a
guess.

Questions (methods of :class:`Analysis`; ``node`` is any expression node of
the file being migrated):

=============================  ===============================================
``value(node)``                the abstract value (:class:`Val`): ``kind`` is
                               ``tensor`` (flags ``plain`` = provably no grad,
                               ``grad``, ``scalar`` = one element, ``nd`` =
                               >= 1-D), ``batch`` (what a loader yields),
                               ``num`` (Python number; ``num=False``: other
                               non-tensor data), ``module`` (``sub``: model,
                               rnn, criterion, criterion_nd, container, any),
                               ``loader``, ``params``, ``qual`` (an imported
                               name), ``func``/``cls``/``method``/``self``,
                               ``seq``, ``other``.  ``chain_value(chain)`` and
                               ``iter_value(node)`` (the elements) likewise.
``is_tensor(node)``            provably a torch tensor by a strong idiom
                               (``.data``/``.grad``, torch factories, tensor
                               methods on tensors, names bound only to such).
``is_number(node)``            provably a Python int/float; ``is_int(node)``.
``is_size(node)``              ``x.size()`` / ``x.shape`` / ``torch.Size(..)``.
``mask(node)``                 ``MASK_TENSOR`` (a torch comparison mask),
                               ``MASK`` (0/1 by construction) or None;
                               ``is_bool_mask(ctx, node)``: provably a bool
                               tensor today (uint8 before 1.2).
``dtype(node)``                ``'int'``/``'bool'``/``'float'``/``'tensor'``
                               (dtype unknown) or None.
``rank(node, stmt)``           number of dimensions, or None.
``assignments(name, at)``      ``[(op, rhs)]`` binding ``name`` as seen from
                               ``at``; None when it is bound another way.
``name_bindings(leaf)``        ``[(kind, value)]`` of a name's scope.
``is_variable_ref(node)``      ``torch.autograd.Variable`` through imports.
``flow(leaf)``                 where a name's value goes (:class:`Flow`):
                               ``GRAD`` (reaches ``backward``/``autograd.grad``
                               or is returned), ``NUMBER`` (only read as a
                               number: printed, formatted, logged, compared,
                               numpy/math) or ``UNKNOWN``; ``flow.where`` is
                               the deciding read (``flow.py``).
=============================  ===============================================

The same answers are available as functions taking the file context
(``is_number(ctx, node)``, ``tensor_kind(ctx, node)``, ``rank_of(ctx, node,
stmt)``...) for code that has no :class:`Analysis` at hand.

Where the parts live: ``values.py`` (the value lattice), ``flow.py``
(where values go), ``evidence.py``
(numbers, strong tensor idioms, masks, containers, argparse),
``dtypes.py`` (dtypes), ``ranks.py`` (ranks), ``scopes.py`` (the binding
tables every part reads), ``syntax.py`` (chains, parentheses).

Caching and invalidation
------------------------
An :class:`Analysis` belongs to one file.  It keeps

* *scope tables* (:meth:`Analysis.scope_table`): facts computed from one
  scope's subtree only (binding tables, ``backward()`` receivers, class
  attribute modules).  They stay valid until a fix changes something inside
  that scope: :meth:`Analysis.invalidate` drops the tables of every scope
  that contains a changed node, and only those;
* *file tables* (:meth:`Analysis.file_table`): facts of the whole file
  (``global`` names, the assignment table, argparse types) -- dropped by any
  change;
* *answers* (values, dtypes, ranks, evidence) memoised per node.  An answer
  may read any scope (a parameter's value comes from the call sites of its
  function, a method's from its class), so every answer is dropped when any
  fix is applied.
"""

from __future__ import annotations

from typing import Optional

from codemods.analysis import dtypes, evidence, flow, ranks, scopes, values
from codemods.analysis.dtypes import tensor_kind
from codemods.analysis.evidence import (
    COMPARE_METHODS,
    MASK,
    MASK_TENSOR,
    TENSOR_METHODS,
    TENSOR_ONLY_METHODS,
    TORCH_TENSOR_FUNCS,
    argparse_type,
    argparse_types,
    backward_called_on,
    backward_without_gradient,
    chain_is_tensor,
    dotted,
    int_parameter,
    is_bool_mask,
    is_dict_name,
    is_float_value,
    is_int,
    is_list_expr,
    is_listish_name,
    is_number,
    is_numpy_call,
    is_numpy_name,
    is_sequence_display,
    is_size_object,
    is_tensor,
    mask_chain_kind,
    mask_kind,
    subscript_index,
)
from codemods.analysis.flow import GRAD, NUMBER, UNKNOWN, Flow, flow_of
from codemods.analysis.ranks import rank_of
from codemods.analysis.scopes import (
    _SCOPE_TYPES,
    analysis,
    assignment_scope,
    assignment_table,
    assignments_of,
    bindings_of,
    scope_bindings,
    scope_node,
    scope_of,
)
from codemods.analysis.syntax import (
    chain_node,
    chain_of,
    chain_qualname,
    is_false,
    is_true,
    tuple_items,
    unparen,
)
from codemods.analysis.values import (
    NOGRAD,
    NUM,
    PARAMETER,
    VARIABLE,
    Val,
    ValueInference,
    guarded_tensor,
    index_val,
    is_nograd,
    is_plain,
    is_tensor_val,
    is_variable_ref,
    join,
    receiver_is_other_by_name,
    tensor,
)

# Syntax helpers of codemods.base, re-exported for the rule modules' convenience.
from codemods.base import attr_name, chain_text, is_attr, is_call, is_subscript  # noqa: E402

attr_of = attr_name
is_index = is_subscript


# Scope tables whose builder also reads the file's imports.
IMPORT_DEPENDENT = frozenset({"attr_modules"})


class Analysis(ValueInference):
    """The analysis of one file: every question, one cache.  Get it with
    :func:`analysis` (``analysis(ctx)``); see the module docstring."""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._scope_tables: dict = {}  # (kind, id(scope)) -> (scope, table)
        self._file_tables: dict = {}
        self.file_memo: dict = {}  # file-level answers (dropped on any change)

    # -- caches ------------------------------------------------------------
    def scope_table(self, kind: str, scope, build):
        """``build(scope)``, computed once per scope until a fix changes it."""
        key = (kind, id(scope))
        hit = self._scope_tables.get(key)
        if hit is not None and hit[0] is scope:
            return hit[1]
        table = build(scope)
        self._scope_tables[key] = (scope, table)
        return table

    def file_table(self, kind: str, build):
        """``build(ctx)`` for the whole file, computed once until a change."""
        table = self._file_tables.get(kind)
        if table is None:
            table = self._file_tables[kind] = build(self.ctx)
        return table

    def invalidate(self, changed=None) -> None:
        """Forget what fixes may have changed.  ``changed``: nodes the fixes
        touched (the replacement nodes, or the parents they were edited in),
        or None for everything.  Drops every answer and file table, and the
        scope tables of the scopes that contain a changed node -- and only
        those."""
        self.reset_answers()
        self._file_tables.clear()
        self.file_memo.clear()
        if changed is None:
            self._scope_tables.clear()
            return
        dirty: set = set()
        for node in changed:
            cur = node
            while cur is not None and id(cur) not in dirty:
                if cur.type in _SCOPE_TYPES:
                    dirty.add(id(cur))
                cur = cur.parent
        for key in [k for k in self._scope_tables if k[1] in dirty]:
            del self._scope_tables[key]

    def invalidate_units(self, tree, dirty_units, imports_changed: bool) -> None:
        """Forget what a pass's fixes may have changed, at the granularity of
        the module's top-level statements: the engine passes the statements
        whose text or structure changed (``dirty_units``).  Scope tables of
        scopes inside an unchanged statement are kept (they depend on their
        scope's subtree only; :data:`IMPORT_DEPENDENT` ones also on the
        imports); the module's own tables, every answer and every file table
        are dropped."""
        self.reset_answers()
        self._file_tables.clear()
        self.file_memo.clear()
        dirty = {id(u) for u in dirty_units}
        if not dirty and not imports_changed:
            return
        keep: dict = {}
        for key, hit in self._scope_tables.items():
            scope = hit[0]
            if scope is tree or (imports_changed and key[0] in IMPORT_DEPENDENT):
                continue
            unit = scope
            while unit.parent is not None and unit.parent is not tree:
                unit = unit.parent
            if unit.parent is not tree or id(unit) in dirty:
                continue
            keep[key] = hit
        self._scope_tables = keep

    def rebind(self, ctx) -> None:
        """Carry this analysis over to the context of the next pass."""
        self.ctx = ctx
        ctx.cache[scopes.ANALYSIS_KEY] = self

    # -- the questions -------------------------------------------------------
    def is_tensor(self, node) -> bool:
        return evidence.is_tensor(self.ctx, node)

    def chain_is_tensor(self, chain: list) -> bool:
        return evidence.chain_is_tensor(self.ctx, chain)

    def is_number(self, node) -> bool:
        return evidence.is_number(self.ctx, node)

    def is_int(self, node) -> bool:
        return evidence.is_int(self.ctx, node)

    def is_size(self, node) -> bool:
        return evidence.is_size_object(self.ctx, node)

    def mask(self, node) -> Optional[str]:
        return evidence.mask_kind(self.ctx, node)

    def dtype(self, node) -> Optional[str]:
        return dtypes.tensor_kind(self.ctx, node)

    def rank(self, node, stmt) -> Optional[int]:
        return ranks.rank_of(self.ctx, node, stmt)

    def assignments(self, name: str, at) -> Optional[list]:
        return scopes.assignments_of(self.ctx, name, at)

    def name_bindings(self, leaf) -> Optional[list]:
        return scopes.bindings_of(self.ctx, leaf)

    def is_variable_ref(self, node) -> bool:
        return values.is_variable_ref(self.ctx, node)

    def flow(self, leaf) -> Flow:
        return flow.flow_of(self.ctx, leaf)


__all__ = [
    "Analysis",
    "Flow",
    "GRAD",
    "NUMBER",
    "UNKNOWN",
    "flow_of",
    "COMPARE_METHODS",
    "MASK",
    "MASK_TENSOR",
    "NOGRAD",
    "NUM",
    "PARAMETER",
    "TENSOR_METHODS",
    "TENSOR_ONLY_METHODS",
    "TORCH_TENSOR_FUNCS",
    "VARIABLE",
    "Val",
    "analysis",
    "argparse_type",
    "argparse_types",
    "assignment_scope",
    "assignment_table",
    "assignments_of",
    "attr_name",
    "attr_of",
    "backward_called_on",
    "backward_without_gradient",
    "bindings_of",
    "chain_is_tensor",
    "chain_node",
    "chain_of",
    "chain_qualname",
    "chain_text",
    "dotted",
    "guarded_tensor",
    "index_val",
    "is_attr",
    "is_call",
    "is_bool_mask",
    "is_dict_name",
    "is_float_value",
    "is_false",
    "is_index",
    "is_int",
    "is_list_expr",
    "is_listish_name",
    "int_parameter",
    "is_nograd",
    "is_number",
    "is_numpy_call",
    "is_numpy_name",
    "is_plain",
    "is_sequence_display",
    "is_size_object",
    "is_subscript",
    "is_tensor",
    "is_tensor_val",
    "is_true",
    "is_variable_ref",
    "join",
    "mask_chain_kind",
    "mask_kind",
    "rank_of",
    "receiver_is_other_by_name",
    "scope_bindings",
    "scope_node",
    "scope_of",
    "subscript_index",
    "tensor",
    "tensor_kind",
    "tuple_items",
    "unparen",
]
