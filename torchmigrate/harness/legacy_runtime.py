"""Legacy runtime: give pre-0.4 PyTorch code its old meaning on modern torch.

``install()`` applies every patch listed in ``PATCHES``; ``uninstall()`` puts back exactly
what was there before (attributes that did not exist are deleted again, classes get their
original ``__dict__`` entries back, the ``torch.fft`` module gets its original class back
and ``warnings.filters`` is restored).

The runtime is meant for the child process that runs the *old* script of a pair; it is
never installed in the parent process of ``torchmigrate verify``.

Each patch is a function below whose docstring states the pre-0.4 (or pre-x.y) behaviour
it reproduces.  Things deliberately *not* emulated (documented so nobody is surprised):

- Comparisons return ``bool`` tensors, not ``uint8``.  The places where the difference is
  observable in 0.3 idioms are patched instead (uint8/bool masks accepted everywhere, and
  ``1 - mask`` / ``mask - 1`` on a bool mask compute in uint8 as 0.3 did).
- A 0.3 *Variable* that does not require grad and was not made by ``Variable(...)`` or
  computed from one cannot be told from a plain tensor (e.g. a tensor loaded from a
  checkpoint and wrapped by a helper that modern torch no longer needs); such tensors get
  the plain-tensor behaviour (Python numbers from ``sum()`` and ``t[i]``).
- ``grad_fn.previous_functions`` works only on nodes reached through ``.creator``
  (autograd node types are C types and cannot get new attributes).
- ``clip_grad_norm`` returns a tensor (0.3 returned a float); it formats the same.
- Pre-0.2 broadcasting rules (TM101) and keepdim defaults (TM102) are not emulated.
- ``torch.pstrf`` (pivoted Cholesky) has no modern counterpart and is not provided.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import numbers
import threading
import types
import warnings
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

_MISSING = object()

# (owner, name, original-or-_MISSING, was_in_own_dict)
_saved: list[tuple[object, str, object, bool]] = []
_saved_filters: list | None = None
_fft_original_class: type | None = None
_installed = False


def _set(owner: object, name: str, value: object) -> None:
    """Set ``owner.name = value``, remembering what to restore."""
    if isinstance(owner, type):
        own = owner.__dict__
        was = name in own
        orig = own[name] if was else _MISSING
    else:
        was = hasattr(owner, name)
        orig = getattr(owner, name) if was else _MISSING
    _saved.append((owner, name, orig, was))
    setattr(owner, name, value)


def _orig(owner: object, name: str):
    """The current value of ``owner.name`` (what a wrapper should delegate to)."""
    return getattr(owner, name)


# ---------------------------------------------------------------------------------------
# helpers


def _is_uint8(t: object) -> bool:
    return isinstance(t, torch.Tensor) and t.dtype == torch.uint8


def _boolify_index(idx):
    """Convert uint8 masks inside an index expression to bool masks."""
    if isinstance(idx, torch.Tensor):
        return idx.bool() if idx.dtype == torch.uint8 else idx
    if type(idx) is tuple:
        if any(_is_uint8(i) for i in idx):
            return tuple(i.bool() if _is_uint8(i) else i for i in idx)
    return idx


def _is_int_tensor(t: object) -> bool:
    return (
        isinstance(t, torch.Tensor)
        and not t.is_floating_point()
        and not t.is_complex()
        and t.dtype != torch.bool
    )


def _is_int_operand(o: object) -> bool:
    if isinstance(o, torch.Tensor):
        return _is_int_tensor(o)
    return isinstance(o, numbers.Integral) and not isinstance(o, bool)


# ---------------------------------------------------------------------------------------
# patches


def patch_indexing() -> None:
    """``t[0]`` / ``t[-1]`` on a 0-dim tensor, and uint8 masks in ``t[m]`` / ``t[m] = v``.

    Pre-0.4: a loss was a 1-element 1-D Variable, and ``loss.data[0]`` returned a Python
    float (``acc.data[0]`` an int).  Today the loss is 0-dim and indexing raises
    ``IndexError: invalid index of a 0-dim tensor``.  Emulation: indexing a 0-dim tensor
    with the int ``0`` or ``-1`` returns ``self.item()`` (a Python number, as 0.3's
    ``.data[0]``) when the tensor does not require grad, and the tensor itself when it
    does (0.3's ``loss[0]`` on a Variable was still a Variable).

    Pre-1.2: masks were ``uint8`` (ByteTensor); ``x[m]`` and ``x[m] = v`` accepted them
    silently.  Emulation: uint8 index tensors (also inside tuples) are converted to bool.
    """
    orig_get = _orig(torch.Tensor, "__getitem__")
    orig_set = _orig(torch.Tensor, "__setitem__")

    def __getitem__(self, idx):
        t = type(idx)
        if t is int:
            if (idx == 0 or idx == -1) and self.dim() == 0:
                return self if self.requires_grad else self.item()
            return orig_get(self, idx)
        if t is tuple or isinstance(idx, torch.Tensor):
            idx = _boolify_index(idx)
        return orig_get(self, idx)

    def __setitem__(self, idx, value):
        if type(idx) is tuple or isinstance(idx, torch.Tensor):
            idx = _boolify_index(idx)
        return orig_set(self, idx, value)

    _set(torch.Tensor, "__getitem__", __getitem__)
    _set(torch.Tensor, "__setitem__", __setitem__)


def patch_masks() -> None:
    """uint8 masks for ``masked_fill(_)``, ``masked_select``, ``masked_scatter(_)``,
    ``torch.where``; ``1 - mask`` and ``mask - 1`` on bool masks.

    Pre-1.2: comparison results and masks were ``uint8``; these functions took them, and
    ``1 - mask`` inverted a mask.  Today uint8 masks raise in ``masked_*`` and bool
    subtraction raises.  Emulation: uint8 masks are converted to bool before the call;
    subtraction with a bool tensor operand computes on ``uint8`` (the 0.3 result dtype).
    """

    def mask_arg(name: str, pos: int, owner: object) -> None:
        fn = _orig(owner, name)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if len(args) > pos and _is_uint8(args[pos]):
                args = args[:pos] + (args[pos].bool(),) + args[pos + 1 :]
            elif _is_uint8(kwargs.get("mask")):
                kwargs["mask"] = kwargs["mask"].bool()
            return fn(*args, **kwargs)

        _set(owner, name, wrapper)

    for name in (
        "masked_fill",
        "masked_fill_",
        "masked_select",
        "masked_scatter_",
        "masked_scatter",
    ):
        mask_arg(name, 1, torch.Tensor)
    for name in ("masked_fill", "masked_select", "masked_scatter"):
        if hasattr(torch, name):
            mask_arg(name, 1, torch)
    mask_arg("where", 0, torch)

    orig_sub = _orig(torch.Tensor, "__sub__")
    orig_rsub = _orig(torch.Tensor, "__rsub__")

    def as_byte(o):
        return o.to(torch.uint8) if isinstance(o, torch.Tensor) and o.dtype == torch.bool else o

    def __sub__(self, other):
        if self.dtype == torch.bool or (
            isinstance(other, torch.Tensor) and other.dtype == torch.bool
        ):
            return orig_sub(as_byte(self), as_byte(other))
        return orig_sub(self, other)

    def __rsub__(self, other):
        if self.dtype == torch.bool:
            return orig_rsub(as_byte(self), other)
        return orig_rsub(self, other)

    _set(torch.Tensor, "__sub__", __sub__)
    _set(torch.Tensor, "__rsub__", __rsub__)


def patch_backward() -> None:
    """``backward(retain_variables=...)`` and ``autograd.backward(grad_variables=...)``.

    Pre-0.4 (renamed in 0.2, removed in 0.4): ``retain_variables`` was the name of
    ``retain_graph``, and ``torch.autograd.backward(variables, grad_variables, ...)`` the
    name of the gradient argument.  Emulation: both keywords are mapped to today's names.
    """
    orig_tb = _orig(torch.Tensor, "backward")
    orig_ab = _orig(torch.autograd, "backward")

    def backward(self, gradient=None, retain_graph=None, create_graph=False, **kwargs):
        if "retain_variables" in kwargs:
            rv = kwargs.pop("retain_variables")
            if retain_graph is None:
                retain_graph = rv
        return orig_tb(self, gradient, retain_graph, create_graph, **kwargs)

    def autograd_backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, **kw):
        if "retain_variables" in kw:
            rv = kw.pop("retain_variables")
            if retain_graph is None:
                retain_graph = rv
        if "grad_variables" in kw:
            grad_tensors = kw.pop("grad_variables")
        if "variables" in kw:
            tensors = kw.pop("variables")
        return orig_ab(tensors, grad_tensors, retain_graph, create_graph, **kw)

    backward.__doc__ = orig_tb.__doc__
    _set(torch.Tensor, "backward", backward)
    _set(torch.autograd, "backward", autograd_backward)


_pending_legacy = threading.local()
_bridges: dict[type, type] = {}
_FUNCTION_BASE_NAMES = set(dir(torch.autograd.Function))


def _is_legacy_function_class(cls: type) -> bool:
    fwd = inspect.getattr_static(cls, "forward", None)
    return fwd is not None and not isinstance(fwd, (staticmethod, classmethod))


def _bridge_for(cls: type) -> type:
    """A new-style Function that runs ``cls``'s instance methods with ctx as ``self``."""
    bridge = _bridges.get(cls)
    if bridge is not None:
        return bridge

    def forward(ctx, *args):
        inst = _pending_legacy.stack.pop()
        ctx.__dict__.update(inst.__dict__)
        return cls.forward(ctx, *args)

    def backward(ctx, *grads):
        return cls.backward(ctx, *grads)

    bridge = type(
        cls.__name__,
        (torch.autograd.Function,),
        {"forward": staticmethod(forward), "backward": staticmethod(backward)},
    )
    # Make helper methods/attributes of the legacy class reachable through ``self`` (ctx).
    back_cls = bridge._backward_cls
    for klass in reversed(cls.__mro__):
        if klass in (object,) or klass.__module__.startswith("torch"):
            continue
        for name, value in vars(klass).items():
            if name in ("forward", "backward", "__init__", "__call__") or (
                name.startswith("__") and name.endswith("__")
            ):
                continue
            if name in _FUNCTION_BASE_NAMES:
                continue
            setattr(back_cls, name, value)
    _bridges[cls] = bridge
    return bridge


def patch_legacy_function() -> None:
    """Old-style ``autograd.Function`` subclasses: ``MyFn(k)(x)`` with instance methods.

    Pre-0.2 style (an error since 1.5): ``forward(self, *inputs)`` / ``backward(self,
    *grads)`` were instance methods; the function object was built with hyper-parameters
    (``__init__``) and called on inputs.  Inside, ``self.save_for_backward``,
    ``self.saved_tensors``, ``self.needs_input_grad``, ``self.mark_dirty``,
    ``self.mark_non_differentiable`` and attributes set in ``__init__``/``forward`` were
    available.  Emulation: calling an instance of such a class runs a generated new-style
    Function whose ctx receives the instance's attributes and serves as ``self`` for the
    old ``forward``/``backward`` (helper methods of the class are copied onto the ctx
    class).  Instantiating no longer warns.
    """
    Function = torch.autograd.Function
    orig_call = Function.__dict__["__call__"]

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        cls = type(self)
        if not _is_legacy_function_class(cls):
            return orig_call(self, *args, **kwargs)
        if kwargs:
            raise TypeError("legacy autograd Functions take positional inputs only")
        stack = getattr(_pending_legacy, "stack", None)
        if stack is None:
            stack = _pending_legacy.stack = []
        stack.append(self)
        return _bridge_for(cls).apply(*args)

    _set(Function, "__init__", __init__)
    _set(Function, "__call__", __call__)


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, torch.Tensor)

    def __eq__(cls, other):
        # ``type(h) == Variable`` was True for every Variable in 0.3
        return other is cls or (isinstance(other, type) and issubclass(other, torch.Tensor))

    def __ne__(cls, other):
        return not _VariableMeta.__eq__(cls, other)

    __hash__ = type.__hash__

    def __subclasscheck__(cls, sub):
        return issubclass(sub, torch.Tensor)


class LegacyNode:
    """A ``grad_fn`` as 0.3 code saw it through ``.creator``: everything delegates to
    the node, plus ``previous_functions`` (0.1 name of ``next_functions``), whose
    entries are wrapped too.  Equality and hashing follow the wrapped node."""

    __slots__ = ("_fn",)

    def __init__(self, fn):
        self._fn = fn

    def __getattr__(self, name):
        return getattr(self._fn, name)

    @property
    def previous_functions(self):
        return tuple(
            (LegacyNode(f) if f is not None else None, i) for f, i in self._fn.next_functions
        )

    def __eq__(self, other):
        return self._fn == (other._fn if isinstance(other, LegacyNode) else other)

    def __hash__(self):
        return hash(self._fn)

    def __repr__(self):
        return repr(self._fn)


def patch_variable() -> None:
    """``Variable(x, volatile=True)``, ``.volatile``, ``.creator``.

    Pre-0.4: ``Variable`` wrapped a tensor; ``volatile=True`` switched graph recording off
    for everything computed from it; ``v.volatile`` told whether it was volatile;
    ``v.creator`` (renamed ``grad_fn`` in 0.2) was the Function that made it.
    Emulation: ``Variable(x, volatile=True)`` returns ``x.detach()`` (same values; no
    graph from the input itself -- parameters used downstream still record a graph, which
    costs memory only), marked so that ``.volatile`` reads True; other ``Variable(...)``
    calls behave as on modern torch (a detached alias with ``requires_grad``), silently.
    ``isinstance(x, Variable)`` and ``type(x) == Variable`` are True for every tensor
    (``type(x) is Variable`` cannot be emulated).  ``.creator`` is ``.grad_fn`` wrapped
    in ``LegacyNode``, which adds ``previous_functions`` (= ``next_functions``).
    """
    from torch.autograd import variable as variable_mod

    orig_var = variable_mod.Variable

    class Variable(metaclass=_VariableMeta):
        def __new__(cls, data=None, requires_grad=False, volatile=False, **kwargs):
            if data is None:
                data = torch.tensor([])
            if volatile:
                out = data.detach()
                out._tm_volatile = True
                out._tm_var = True
                return out
            out = orig_var(data, requires_grad=requires_grad)
            out._tm_var = True  # a Variable, not a plain tensor (see patch_plain_numbers)
            return out

    Variable.__module__ = "torch.autograd.variable"
    Variable._execution_engine = orig_var._execution_engine  # used by torch internals
    _set(variable_mod, "Variable", Variable)
    _set(torch.autograd, "Variable", Variable)

    _set(torch.Tensor, "volatile", property(lambda self: getattr(self, "_tm_volatile", False)))

    def creator(self):
        fn = self.grad_fn
        return None if fn is None else LegacyNode(fn)

    _set(torch.Tensor, "creator", property(creator))


def _scalarize(seq):
    if isinstance(seq, (list, tuple)):
        return type(seq)(_scalarize(x) for x in seq)
    if isinstance(seq, torch.Tensor) and seq.dim() == 0:
        return seq.item()
    return seq


def patch_legacy_constructor() -> None:
    """``torch.Tensor([r])`` where ``r`` came from iterating or indexing a tensor.

    In 0.3, iterating or indexing a 1-D (non-Variable) tensor produced Python numbers, so
    ``torch.Tensor([r for r in rewards])`` built a tensor from floats.  Today the items
    are 0-dim tensors and the legacy constructor raises ``len() of a 0-d tensor``.
    Emulation: ``torch.Tensor(seq)`` converts 0-dim tensors inside ``seq`` to numbers.
    (Only ``torch.Tensor`` itself; the typed ``torch.FloatTensor`` etc. are C types.)
    """
    base_new = torch._C.TensorBase.__new__

    # A wildcard signature: torch._dynamo checks ``Tensor.__new__``'s signature on import.
    def __new__(*args, **kwargs):
        if len(args) > 1 and isinstance(args[1], (list, tuple)):
            args = (args[0], _scalarize(args[1]), *args[2:])
        return base_new(*args, **kwargs)

    _set(torch.Tensor, "__new__", staticmethod(__new__))


# ---- linear algebra / FFT with the old signatures -------------------------------------


def legacy_gesv(B, A, out=None):
    """``torch.gesv(B, A) -> (X, LU)``: X solves ``A X = B``; LU is A's packed LU."""
    return torch.linalg.solve(A, B), torch.linalg.lu_factor(A)[0]


def legacy_potrf(A, upper=True, out=None):
    """``torch.potrf(A, upper=True)``: the *upper* Cholesky factor by default."""
    L = torch.linalg.cholesky(A)
    return L.mH if upper else L


def legacy_potrs(b, u, upper=True, out=None):
    """``torch.potrs(b, u, upper=True)``: solve with a Cholesky factor (upper
    default).  A 1-D ``b`` was one column: the result had shape (n, 1)."""
    if b.dim() == 1:
        b = b.unsqueeze(-1)
    return torch.cholesky_solve(b, u, upper=upper)


def legacy_potri(u, upper=True, out=None):
    """``torch.potri(u, upper=True)``: inverse from a Cholesky factor (upper default)."""
    return torch.cholesky_inverse(u, upper=upper)


def legacy_trtrs(b, A, upper=True, transpose=False, unitriangular=False, out=None):
    """``torch.trtrs(b, A, upper, transpose, unitriangular) -> (X, A.clone())``."""
    M = A.mT if transpose else A
    X = torch.linalg.solve_triangular(M, b, upper=(upper != transpose), unitriangular=unitriangular)
    return X, A.clone()


def legacy_gels(B, A, out=None):
    """``torch.gels(B, A)`` / ``torch.lstsq(B, A) -> (X, QR)``.

    X has ``max(m, n)`` rows: the first ``n`` are the least-squares solution; for
    ``m > n`` the remaining rows hold ``(Q^T B)[n:]`` (whose squared column sums are the
    residuals), as LAPACK ``gels`` left them.  QR is the ``geqrf`` packed factorisation.
    """
    vec = B.dim() == 1
    if vec:
        B = B.unsqueeze(-1)
    m, n = A.shape[-2], A.shape[-1]
    sol = torch.linalg.lstsq(A, B).solution
    if m > n:
        Q, _ = torch.linalg.qr(A, mode="complete")
        rest = (Q.mT @ B)[n:]
        X = torch.cat([sol, rest], dim=0)
    else:
        X = sol
    return X, torch.geqrf(A)[0]


def legacy_symeig(A, eigenvectors=False, upper=True, out=None):
    """``torch.symeig(A, eigenvectors=False, upper=True) -> (e, V)``.

    The *upper* triangle is read by default; with ``eigenvectors=False`` V is an empty
    tensor, as it was.
    """
    uplo = "U" if upper else "L"
    if eigenvectors:
        return torch.linalg.eigh(A, UPLO=uplo)
    return torch.linalg.eigvalsh(A, UPLO=uplo), A.new_empty(0)


def legacy_eig(A, eigenvectors=False, out=None):
    """``torch.eig(A, eigenvectors=False) -> (e, V)`` with real layouts.

    e is ``(n, 2)``: real and imaginary parts.  V (only with ``eigenvectors=True``,
    otherwise empty) is real ``(n, n)`` in LAPACK's packing: a real eigenvalue's column is
    its eigenvector; a complex pair ``(j, j+1)`` stores the real and the imaginary part of
    the eigenvector of eigenvalue ``j``.
    """
    if not eigenvectors:
        return torch.view_as_real(torch.linalg.eigvals(A)).to(A.dtype), A.new_empty(0)
    w, v = torch.linalg.eig(A)
    e = torch.view_as_real(w).to(A.dtype)
    V = A.new_zeros(A.shape)
    n = A.shape[-1]
    j = 0
    while j < n:
        if w[j].imag == 0:
            V[:, j] = v[:, j].real
            j += 1
        else:
            V[:, j] = v[:, j].real
            if j + 1 < n:
                V[:, j + 1] = v[:, j].imag
            j += 2
    return e, V


def legacy_matrix_rank(A, tol=None, symmetric=False):
    """``torch.matrix_rank(A, tol=None, symmetric=False)``: old default tolerance
    ``max(m, n) * sigma_max * eps`` (equal to ``linalg.matrix_rank``'s default)."""
    if tol is None:
        return torch.linalg.matrix_rank(A, hermitian=symmetric)
    return torch.linalg.matrix_rank(A, atol=tol, rtol=0.0, hermitian=symmetric)


def legacy_btrifact(A, info=None, pivot=True):
    """``torch.btrifact(A) -> (LU, pivots)`` (batched LU)."""
    LU, piv = torch.linalg.lu_factor(A, pivot=pivot)
    if info is not None:
        info.resize_(A.shape[:-2]).zero_()
    return LU, piv


def legacy_btrifact_with_info(A, pivot=True):
    """``torch.btrifact_with_info(A) -> (LU, pivots, info)``."""
    return torch.linalg.lu_factor_ex(A, pivot=pivot)


def legacy_btrisolve(b, LU, pivots):
    """``torch.btrisolve(b, LU, pivots)``: b is ``(B, n)`` (or ``(B, n, k)``)."""
    vec = b.dim() == LU.dim() - 1
    rhs = b.unsqueeze(-1) if vec else b
    x = torch.linalg.lu_solve(LU, pivots, rhs)
    return x.squeeze(-1) if vec else x


def _norm(normalized: bool) -> str:
    return "ortho" if normalized else "backward"


def legacy_fft(input, signal_ndim, normalized=False):
    """Old ``torch.fft(input, signal_ndim, normalized=False)``: complex input and output
    as real ``(..., 2)`` tensors, transform over the last ``signal_ndim`` dims."""
    dims = tuple(range(-signal_ndim, 0))
    out = torch.fft.fftn(
        torch.view_as_complex(input.contiguous()), dim=dims, norm=_norm(normalized)
    )
    return torch.view_as_real(out)


def legacy_ifft(input, signal_ndim, normalized=False):
    """Old ``torch.ifft``: inverse of ``legacy_fft`` (divides by n unless normalized)."""
    dims = tuple(range(-signal_ndim, 0))
    c = torch.view_as_complex(input.contiguous())
    return torch.view_as_real(torch.fft.ifftn(c, dim=dims, norm=_norm(normalized)))


def legacy_rfft(input, signal_ndim, normalized=False, onesided=True):
    """Old ``torch.rfft(x, signal_ndim, normalized=False, onesided=True)``: real input,
    real ``(..., 2)`` output (half spectrum when ``onesided``)."""
    dims = tuple(range(-signal_ndim, 0))
    if onesided:
        out = torch.fft.rfftn(input, dim=dims, norm=_norm(normalized))
    else:
        out = torch.fft.fftn(input, dim=dims, norm=_norm(normalized))
    return torch.view_as_real(out)


def legacy_irfft(input, signal_ndim, normalized=False, onesided=True, signal_sizes=None):
    """Old ``torch.irfft``: real ``(..., 2)`` spectrum in, real signal out."""
    dims = tuple(range(-signal_ndim, 0))
    c = torch.view_as_complex(input.contiguous())
    if onesided:
        return torch.fft.irfftn(c, s=signal_sizes, dim=dims, norm=_norm(normalized))
    return torch.fft.ifftn(c, s=signal_sizes, dim=dims, norm=_norm(normalized)).real


def patch_stft() -> None:
    """``torch.stft(x, n_fft, hop, ...)`` without ``return_complex`` on real input.

    1.x (before 2.0 made ``return_complex`` mandatory for real input): the result was a
    real ``(..., freq, frames, 2)`` tensor.  Emulation: ``return_complex=True`` and
    ``view_as_real`` of the result, same arguments otherwise (1.x argument order:
    ``input, n_fft, hop_length, win_length, window, center, pad_mode, normalized,
    onesided``, which today's ``stft`` shares).  The 0.4 signature (``frame_length,
    hop, fft_size, pad_end``, no centring) is not emulated.
    """
    for owner in (torch, torch.Tensor):
        fn = _orig(owner, "stft")

        def make(fn=fn):
            @functools.wraps(fn)
            def stft(input, *args, **kwargs):
                if kwargs.get("return_complex") is None and not input.is_complex():
                    kwargs["return_complex"] = True
                    return torch.view_as_real(fn(input, *args, **kwargs))
                return fn(input, *args, **kwargs)

            return stft

        _set(owner, "stft", make())


class _CallableFFTModule(types.ModuleType):
    """Class given to the ``torch.fft`` module so that the old ``torch.fft(x, n)`` works."""

    def __call__(self, input, signal_ndim, normalized=False):
        return legacy_fft(input, signal_ndim, normalized)


LINALG_FUNCTIONS: dict[str, Callable] = {
    "gesv": legacy_gesv,
    "solve": legacy_gesv,
    "potrf": legacy_potrf,
    "potrs": legacy_potrs,
    "potri": legacy_potri,
    "trtrs": legacy_trtrs,
    "gels": legacy_gels,
    "lstsq": legacy_gels,
    "symeig": legacy_symeig,
    "eig": legacy_eig,
    "matrix_rank": legacy_matrix_rank,
    "btrifact": legacy_btrifact,
    "btrifact_with_info": legacy_btrifact_with_info,
    "btrisolve": legacy_btrisolve,
    "ifft": legacy_ifft,
    "rfft": legacy_rfft,
    "irfft": legacy_irfft,
}

# Tensor methods that existed (``A.potrf()``, ``B.gesv(A)``, ``x.rfft(1)`` ...).
TENSOR_METHODS = (
    "gesv potrf potrs potri trtrs gels lstsq symeig eig solve btrifact btrifact_with_info "
    "btrisolve fft ifft rfft irfft"
).split()


def patch_linalg_fft() -> None:
    """Removed linear-algebra and FFT functions with their *old* signatures and results.

    See RULES.md TM205/TM209: ``gesv``/``solve(B, A) -> (X, LU)``; ``potrf(A,
    upper=True)``; ``potrs(b, u, upper=True)``; ``potri(u, upper=True)``; ``trtrs(b, A,
    upper=True, transpose=False, unitriangular=False) -> (X, A.clone())``; ``gels``/
    ``lstsq(B, A) -> (X padded to max(m, n) rows, QR)``; ``symeig(A, eigenvectors=False,
    upper=True)`` (empty V without eigenvectors); ``eig(A, eigenvectors=False) -> ((n, 2)
    real, V)``; ``matrix_rank``; ``btrifact``/``btrisolve``; ``torch.fft(x, signal_ndim,
    normalized)``, ``ifft``, ``rfft(x, signal_ndim, normalized=False, onesided=True)``,
    ``irfft`` on real ``(..., 2)`` layouts -- plus the Tensor methods of those.
    ``torch.fft`` stays the modern module (``torch.fft.rfft`` works) but becomes callable.
    """
    global _fft_original_class
    for name, fn in LINALG_FUNCTIONS.items():
        _set(torch, name, fn)
    fns = dict(LINALG_FUNCTIONS, fft=legacy_fft)
    for name in TENSOR_METHODS:
        _set(torch.Tensor, name, fns[name])
    fft_mod = torch.fft
    if isinstance(fft_mod, types.ModuleType) and type(fft_mod) is not _CallableFFTModule:
        _fft_original_class = type(fft_mod)
        fft_mod.__class__ = _CallableFFTModule


def patch_async_kwargs() -> None:
    """``.cuda(async=...)``, ``.type(t, async=...)``, ``.copy_(src, async=...)``.

    Pre-0.4 spelling of ``non_blocking``.  The source loader already renames the keyword
    (``async=`` is a syntax error since Python 3.7); this catches ``**{'async': True}``
    spellings and ``Module.cuda(async=...)``/``.to(async=...)``.
    """
    for owner, name in (
        (torch.Tensor, "cuda"),
        (torch.Tensor, "type"),
        (torch.Tensor, "copy_"),
        (torch.Tensor, "to"),
        (nn.Module, "cuda"),
    ):
        fn = _orig(owner, name)

        def make(fn=fn, module_cuda=(owner is nn.Module)):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                if "async" in kwargs:
                    val = kwargs.pop("async")
                    if not module_cuda:
                        kwargs["non_blocking"] = val
                return fn(*args, **kwargs)

            return wrapper

        _set(owner, name, make())


def patch_upsample_align_corners() -> None:
    """``F.upsample``/``nn.Upsample`` (bilinear etc.) and ``grid_sample``/``affine_grid``.

    Pre-0.4: linear-mode upsampling behaved like ``align_corners=True``; pre-1.3
    ``grid_sample``/``affine_grid`` used ``align_corners=True``.  Emulation: when the
    caller does not pass ``align_corners``, the legacy default ``True`` is used
    (``nn.Upsample``'s attribute is set at construction).  ``upsample_bilinear`` already
    uses ``align_corners=True`` and needs nothing.
    """
    linear_modes = ("linear", "bilinear", "bicubic", "trilinear")
    orig_up = _orig(F, "upsample")

    def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
        if align_corners is None and mode in linear_modes:
            align_corners = True
        return orig_up(input, size, scale_factor, mode, align_corners)

    _set(F, "upsample", upsample)
    orig_init = nn.Upsample.__dict__["__init__"]

    def upsample_init(self, *args, **kwargs):
        orig_init(self, *args, **kwargs)
        if self.align_corners is None and self.mode in linear_modes:
            self.align_corners = True

    _set(nn.Upsample, "__init__", upsample_init)

    for name in ("grid_sample", "affine_grid"):
        fn = _orig(F, name)

        def make(fn=fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                if kwargs.get("align_corners") is None:
                    kwargs["align_corners"] = True
                return fn(*args, **kwargs)

            return wrapper

        _set(F, name, make())


_PRE_1_1_SCHEDULERS = ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR")


def patch_lr_scheduler() -> None:
    """Pre-1.1 ``lr_scheduler`` epoch counting.

    Pre-1.1, a scheduler's constructor set the epoch-0 learning rates but left
    ``last_epoch = -1``; the documented loop called ``scheduler.step()`` at the *start*
    of each epoch, which moved to epoch 0, 1, 2 ... so epochs trained with
    ``[base, base*g, base*g^2 ...]``.  Since 1.1 the constructor leaves ``last_epoch = 0``
    and the same loop skips the base LR.  Emulation: for the schedulers that existed
    before 1.1 (StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LambdaLR) built
    with the default ``last_epoch=-1``, ``last_epoch`` is put back to -1 after
    construction; the LR set by the constructor is unchanged.  (Consequently, pre-1.1
    code calling ``step()`` at the *end* of the epoch keeps its old one-epoch lag, as it
    had on pre-1.1 torch.)  The order warning is silenced.

    ``scheduler.get_lr()`` called by the script (outside ``step()``) was the closed form
    until 1.4 (0.3.1 ``StepLR.get_lr``: ``base_lr * gamma ** (last_epoch // step_size)``),
    i.e. the current rate; since 1.4 it is the *chainable* update (the next rate, with a
    warning).  Emulation: outside ``step()`` those schedulers' ``get_lr`` returns the
    closed form again.
    """
    from torch.optim import lr_scheduler

    base = lr_scheduler.LRScheduler
    orig_init = base.__dict__["__init__"]

    def __init__(self, optimizer, last_epoch=-1, *args, **kwargs):
        orig_init(self, optimizer, last_epoch, *args, **kwargs)
        if last_epoch == -1 and type(self).__name__ in _PRE_1_1_SCHEDULERS:
            self.last_epoch = -1
            self._tm_legacy_first = True

    _set(base, "__init__", __init__)

    # The first step() after the reset must compute epoch 0's LR, which the
    # constructor already set: run it as torch runs its own initial step (the
    # chainable ExponentialLR/CosineAnnealingLR would otherwise already decay).
    orig_step = base.__dict__["step"]
    initial_mode = getattr(lr_scheduler, "_initial_mode", None)

    def step(self, *args, **kwargs):
        if self.__dict__.pop("_tm_legacy_first", False) and not args and not kwargs:
            if initial_mode is not None:
                with initial_mode(self):
                    return orig_step(self)
        return orig_step(self, *args, **kwargs)

    _set(base, "step", step)

    for name in _PRE_1_1_SCHEDULERS:
        cls = getattr(lr_scheduler, name)
        orig_get_lr = cls.__dict__["get_lr"]

        def make(orig=orig_get_lr):
            @functools.wraps(orig)
            def get_lr(self):
                if getattr(self, "_get_lr_called_within_step", False):
                    return orig(self)
                closed = getattr(self, "_get_closed_form_lr", None)
                return closed() if closed is not None else orig(self)

            return get_lr

        _set(cls, "get_lr", make())


def patch_zero_grad() -> None:
    """``optimizer.zero_grad()`` / ``module.zero_grad()`` zero gradients in place.

    Pre-2.0 default ``set_to_none=False``: gradients became zero tensors, so optimizers
    kept moving parameters that got no gradient (momentum, weight decay).  Emulation:
    the default is ``False`` again (an explicit argument is respected).
    """
    for owner in (torch.optim.Optimizer, nn.Module):
        fn = _orig(owner, "zero_grad")

        def make(fn=fn):
            @functools.wraps(fn)
            def zero_grad(self, set_to_none: bool = False):
                return fn(self, set_to_none=set_to_none)

            return zero_grad

        _set(owner, "zero_grad", make())


def patch_torch_load() -> None:
    """``torch.load`` defaults to ``weights_only=False``.

    Pre-2.6 default: full unpickling (checkpoints holding Namespaces, numpy scalars or
    whole modules loaded fine).  Python 2 pickles additionally need ``encoding='latin1'``,
    which is used when not given.  The legacy child only ever runs the user's own script.
    """
    orig_load = _orig(torch, "load")

    @functools.wraps(orig_load)
    def load(f, *args, **kwargs):
        kwargs.setdefault("weights_only", False)
        try:
            return orig_load(f, *args, **kwargs)
        except UnicodeDecodeError:
            if "encoding" in kwargs or not hasattr(f, "seek") and not isinstance(f, str):
                raise
            if hasattr(f, "seek"):
                f.seek(0)
            kwargs["encoding"] = "latin1"
            return orig_load(f, *args, **kwargs)

    _set(torch, "load", load)


def patch_integer_division() -> None:
    """Integer tensor ``/`` truncates (pre-1.5); ``//`` truncates for all dtypes (pre-1.13).

    Pre-1.5, ``int_tensor / int`` and ``int_tensor / int_tensor`` (and ``div``/``div_``,
    ``/=``) truncated toward zero; before 1.13 ``//`` and ``floor_divide`` also truncated
    (``-7 // 2 == -3``).  Emulation: when both operands are integral (tensor or Python
    int) ``/`` uses ``rounding_mode='trunc'``; ``//`` always does.  Float operands are
    untouched.
    """
    T = torch.Tensor
    o_truediv, o_rtruediv, o_itruediv = T.__truediv__, T.__rtruediv__, T.__itruediv__
    o_div, o_div_ = T.div, T.div_
    o_tdiv = torch.div

    def both_int(a, b):
        return _is_int_operand(a) and _is_int_operand(b)

    def __truediv__(self, other):
        if both_int(self, other):
            return o_tdiv(self, other, rounding_mode="trunc")
        return o_truediv(self, other)

    def __rtruediv__(self, other):
        if both_int(self, other):
            return o_tdiv(torch.as_tensor(other, device=self.device), self, rounding_mode="trunc")
        return o_rtruediv(self, other)

    def __itruediv__(self, other):
        if both_int(self, other):
            return o_div_(self, other, rounding_mode="trunc")
        return o_itruediv(self, other)

    def div(self, other, *args, **kwargs):
        if not args and "rounding_mode" not in kwargs and both_int(self, other):
            kwargs["rounding_mode"] = "trunc"
        return o_div(self, other, *args, **kwargs)

    def div_(self, other, *args, **kwargs):
        if not args and "rounding_mode" not in kwargs and both_int(self, other):
            kwargs["rounding_mode"] = "trunc"
        return o_div_(self, other, *args, **kwargs)

    def torch_div(input, other, *args, **kwargs):
        if not args and "rounding_mode" not in kwargs and both_int(input, other):
            kwargs["rounding_mode"] = "trunc"
        return o_tdiv(input, other, *args, **kwargs)

    def __floordiv__(self, other):
        return o_tdiv(self, other, rounding_mode="trunc")

    def __rfloordiv__(self, other):
        return o_tdiv(torch.as_tensor(other, device=self.device), self, rounding_mode="trunc")

    def __ifloordiv__(self, other):
        return o_div_(self, other, rounding_mode="trunc")

    def floor_divide(input, other, *, out=None):
        if not isinstance(input, torch.Tensor):
            input = torch.as_tensor(input)
        return o_tdiv(input, other, rounding_mode="trunc", out=out)

    for name, fn in (
        ("__truediv__", __truediv__),
        ("__div__", __truediv__),
        ("__rtruediv__", __rtruediv__),
        ("__rdiv__", __rtruediv__),
        ("__itruediv__", __itruediv__),
        ("__idiv__", __itruediv__),
        ("div", div),
        ("div_", div_),
        ("__floordiv__", __floordiv__),
        ("__rfloordiv__", __rfloordiv__),
        ("__ifloordiv__", __ifloordiv__),
        ("floor_divide", lambda self, other: floor_divide(self, other)),
        ("floor_divide_", lambda self, other: o_div_(self, other, rounding_mode="trunc")),
    ):
        _set(T, name, fn)
    _set(torch, "div", torch_div)
    _set(torch, "floor_divide", floor_divide)


def patch_warnings() -> None:
    """Silence deprecation chatter that old code triggers by design (implicit softmax dim
    -- whose legacy dim rule torch still applies --, ``size_average``, ``upsample``,
    ``nn.init`` without underscore, deprecated ``add_`` overloads, scheduler order ...).
    The behaviour is unchanged; only the warnings are filtered (restored on uninstall)."""
    global _saved_filters
    _saved_filters = list(warnings.filters)
    for cat in (UserWarning, FutureWarning, DeprecationWarning):
        warnings.filterwarnings("ignore", category=cat, module=r"torch(\.|$)")
    warnings.filterwarnings(
        "ignore", message=r".*(deprecated|Implicit dimension|Detected call of|was removed).*"
    )


# ---- 0.3 plain tensors, arange, 0-dim numpy, optimizers, datasets, _backend -------------

_DATA_DESCRIPTOR = torch._C.TensorBase.__dict__["data"]
_marker_mode = None


def is_variable(t) -> bool:
    """Whether ``t`` was a ``Variable`` in 0.3 terms: it requires grad or has a graph, was
    made by ``Variable(...)``, or was computed from such a tensor (``.data`` excepted)."""
    return bool(t.requires_grad or t.grad_fn is not None or getattr(t, "_tm_var", False))


def _marked(args) -> bool:
    for a in args:
        if isinstance(a, torch.Tensor):
            if getattr(a, "_tm_var", False) or a.requires_grad:
                return True
        elif isinstance(a, (list, tuple)):
            for b in a:
                if isinstance(b, torch.Tensor) and (
                    getattr(b, "_tm_var", False) or b.requires_grad
                ):
                    return True
    return False


def _mark(out) -> None:
    if isinstance(out, torch.Tensor):
        try:
            out._tm_var = True
        except (AttributeError, RuntimeError):  # pragma: no cover - exotic subclasses
            pass
    elif isinstance(out, (list, tuple)):
        for o in out:
            if isinstance(o, torch.Tensor):
                _mark(o)


class _VariableMarker(torch.overrides.TorchFunctionMode):
    """Propagates the Variable mark: results computed from a Variable are Variables
    (in 0.3 an operation on a Variable returned a Variable); ``.data`` is plain."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if getattr(func, "__self__", None) is _DATA_DESCRIPTOR:
            return out
        if _marked(args) or (kwargs and _marked(tuple(kwargs.values()))):
            _mark(out)
        return out


_REDUCTIONS = ("sum", "mean", "max", "min", "prod", "std", "var", "median", "norm", "dot")


class _LegacyNumber:
    """Mixin of the Python numbers that plain-tensor reductions return.  They are real
    ``float``/``int`` instances (dict keys, gym, json, ``isinstance`` all work) that
    also tolerate the Variable-style reads ``.data`` (a size-(1,) plain tensor, so
    ``.data[0]`` is the number again), ``.item()`` and ``.cpu()``: should a tensor that
    was a Variable in 0.3 be taken for a plain one, the script reads the same value
    instead of crashing.  (No ``__getitem__``: torch would take them for sequences.)"""

    __slots__ = ()

    @property
    def data(self):
        return torch.tensor([self._plain()])

    def item(self):
        return self._plain()

    def cpu(self):
        return self


class LegacyFloat(_LegacyNumber, float):
    __slots__ = ()

    def _plain(self):
        return float(self)


class LegacyInt(_LegacyNumber, int):
    __slots__ = ()

    def _plain(self):
        return int(self)


def _number(t: torch.Tensor):
    v = t.item()
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return LegacyInt(v)
    if isinstance(v, float):
        return LegacyFloat(v)
    return v


def patch_plain_numbers() -> None:
    """Plain (non-Variable) tensors: full reductions and integer indexing of 1-D tensors
    return Python numbers; iterating a 1-D tensor yields Python numbers.

    0.3 (documented in the 0.4.0 migration guide, "Support for 0-dimensional (scalar)
    Tensors": "previously, indexing into a Tensor vector (1-dimensional tensor) gave a
    Python number but indexing into a Variable vector gave (inconsistently!) a vector of
    size (1,)! Similar behavior existed with reduction functions, e.g. tensor.sum() would
    return a Python number, but variable.sum() would return a vector of size (1,)."):
    ``t.sum()``, ``t.mean()``, ``t.max()``, ``t.min()``, ``t.prod()``, ``t.std()``,
    ``t.var()``, ``t.median()``, ``t.norm(p)``, ``t.dot(u)`` without a dimension, and
    ``t[i]`` / iteration of a 1-D plain tensor, gave ``float``/``int``.  Scripts used them
    as dict keys, passed them to gym, compared them with ``==`` in ``if``.  Emulation:
    a tensor counts as a Variable when it requires grad, has a ``grad_fn``, was made by
    ``Variable(...)``, or was computed from such a tensor (a torch-function mode carries
    the mark through every operation; ``.data`` drops it) -- everything else is plain and
    gets the 0.3 result.  Variables keep modern behaviour (0-dim results, which
    ``patch_indexing`` lets ``[0]`` read as 0.3's size-(1,) vectors).
    """
    global _marker_mode
    T = torch.Tensor

    def reduction(fn, name):
        @functools.wraps(fn)
        def wrapper(self, *args, **kwargs):
            full = not kwargs.get("dim") and (
                not args or (name == "norm" and len(args) == 1 and not kwargs.get("dim"))
            )
            if name == "dot":
                full = True
            if name in ("max", "min") and args and isinstance(args[0], torch.Tensor):
                full = False
            out = fn(self, *args, **kwargs)
            if (
                full
                and isinstance(out, torch.Tensor)
                and out.dim() == 0
                and isinstance(self, torch.Tensor)
                and not is_variable(self)
                and not (name == "dot" and args and is_variable(args[0]))
            ):
                return _number(out)
            return out

        return wrapper

    for name in _REDUCTIONS:
        _set(T, name, reduction(_orig(T, name), name))
        if hasattr(torch, name):
            _set(torch, name, reduction(_orig(torch, name), name))

    orig_get = _orig(T, "__getitem__")

    def __getitem__(self, idx):
        out = orig_get(self, idx)
        if (
            (type(idx) is int or _is_numpy_int(idx))
            and self.dim() == 1
            and isinstance(out, torch.Tensor)
            and not is_variable(self)
        ):
            return _number(out)
        return out

    _set(T, "__getitem__", __getitem__)

    orig_iter = _orig(T, "__iter__")

    def __iter__(self):
        if self.dim() == 1 and not is_variable(self):
            return iter(self.tolist())
        return orig_iter(self)

    _set(T, "__iter__", __iter__)
    _marker_mode = _VariableMarker()
    _marker_mode.__enter__()


def _is_numpy_int(x) -> bool:
    return type(x).__module__ == "numpy" and hasattr(x, "dtype") and x.dtype.kind in "iu"


def patch_arange() -> None:
    """``torch.arange(...)`` without ``dtype`` returns the default float type.

    0.3: ``torch.arange`` always returned a FloatTensor (the default tensor type), so
    ``torch.arange(0, 4) / 4`` was ``[0, .25, .5, .75]``.  Since 0.4.0 ("torch.arange ...
    infer their dtype from the arguments", 0.4.0 release notes and the 0.4 migration
    guide's "Tensor type inference") integer arguments give a LongTensor, and the same
    expression truncated until 1.5.  Emulation: no ``dtype`` (and no ``out``) -> the
    default float dtype.
    """
    fn = _orig(torch, "arange")

    @functools.wraps(fn)
    def arange(*args, **kwargs):
        if kwargs.get("dtype") is None and "out" not in kwargs:
            kwargs["dtype"] = torch.get_default_dtype()
        return fn(*args, **kwargs)

    _set(torch, "arange", arange)


def patch_zero_dim_numpy() -> None:
    """``loss.data.numpy()[0]`` and ``loss.data.tolist()[0]``: 0-dim tensors convert like
    1-element vectors.

    0.3 had no 0-dim tensors: a loss was a size-(1,) vector, so ``loss.data.numpy()`` was
    a 1-element array and ``.tolist()`` a 1-element list (0.4 migration guide, "Support
    for 0-dimensional (scalar) Tensors").  Today they are a 0-d array and a number, and
    ``[0]`` raises.  Emulation: ``numpy()``/``tolist()`` of a 0-dim tensor are those of
    its size-(1,) view.
    """
    orig_numpy = _orig(torch.Tensor, "numpy")
    orig_tolist = _orig(torch.Tensor, "tolist")

    def numpy(self, *args, **kwargs):
        if self.dim() == 0:
            return orig_numpy(self.reshape(1), *args, **kwargs)
        return orig_numpy(self, *args, **kwargs)

    def tolist(self):
        if self.dim() == 0:
            return orig_tolist(self.reshape(1))
        return orig_tolist(self)

    _set(torch.Tensor, "numpy", numpy)
    _set(torch.Tensor, "tolist", tolist)


_opt_hooks: list = []


def patch_optimizer_versions() -> None:
    """Optimizer updates do not bump the parameters' version counters.

    0.3's optimizers updated through ``.data`` (e.g. 0.3.1 ``torch/optim/sgd.py``:
    ``p.data.add_(-group['lr'], d_p)``), and changes made through ``.data`` are invisible
    to autograd's version check (0.4 migration guide, "What about .data?").  So the
    classic GAN order -- ``d_loss.backward(); d_opt.step(); g_loss.backward()`` through a
    graph that saved D's weights -- worked (with the updated weights) and raises "modified
    by an inplace operation" today.  Emulation: every parameter's version counter is put
    back after ``optimizer.step()``.
    """
    from torch.optim.optimizer import (
        register_optimizer_step_post_hook,
        register_optimizer_step_pre_hook,
    )

    setv = torch._C._autograd._unsafe_set_version_counter
    pending: dict[int, tuple[list, list]] = {}

    def params_of(opt):
        return [p for g in opt.param_groups for p in g["params"] if isinstance(p, torch.Tensor)]

    def pre(opt, args, kwargs):
        ps = params_of(opt)
        pending[id(opt)] = (ps, [p._version for p in ps])

    def post(opt, args, kwargs):
        ps, versions = pending.pop(id(opt), ([], []))
        if ps:
            setv(tuple(ps), tuple(versions))

    _opt_hooks.append(register_optimizer_step_pre_hook(pre))
    _opt_hooks.append(register_optimizer_step_post_hook(post))


def patch_tensor_dataset() -> None:
    """``TensorDataset(data_tensor=..., target_tensor=...)``, ``.data_tensor``,
    ``.target_tensor``.

    0.3.1 ``torch/utils/data/dataset.py``: ``TensorDataset(data_tensor, target_tensor)``
    with those attributes; 0.4.0 changed it to ``TensorDataset(*tensors)``.  Emulation:
    the keywords are accepted and the attributes read ``tensors[0]``/``tensors[1]``.
    """
    from torch.utils.data import TensorDataset

    orig_init = TensorDataset.__dict__["__init__"]

    def __init__(self, *tensors, **kwargs):
        if "data_tensor" in kwargs or "target_tensor" in kwargs:
            tensors = tuple(tensors) + tuple(
                kwargs.pop(k) for k in ("data_tensor", "target_tensor") if k in kwargs
            )
        orig_init(self, *tensors, **kwargs)

    _set(TensorDataset, "__init__", __init__)
    _set(TensorDataset, "data_tensor", property(lambda self: self.tensors[0]))
    _set(TensorDataset, "target_tensor", property(lambda self: self.tensors[1]))


class LegacyBackend:
    """What ``module._backend`` (0.3's ``thnn_backend``) offered to code that copied
    torch's own module ``forward``s: ``Embedding.apply``, ``RNN(...)``, and the RNN cells.
    Anything else raises an ``AttributeError`` naming the function."""

    class Embedding:
        @staticmethod
        def apply(
            input,
            weight,
            padding_idx=-1,
            max_norm=None,
            norm_type=2,
            scale_grad=False,
            sparse=False,
        ):
            pad = None if padding_idx is None or padding_idx == -1 else padding_idx
            return F.embedding(input, weight, pad, max_norm, norm_type, scale_grad, sparse)

    @staticmethod
    def LSTMCell(input, hidden, w_ih, w_hh, b_ih=None, b_hh=None):
        return torch._VF.lstm_cell(input, hidden, w_ih, w_hh, b_ih, b_hh)

    @staticmethod
    def GRUCell(input, hidden, w_ih, w_hh, b_ih=None, b_hh=None):
        return torch._VF.gru_cell(input, hidden, w_ih, w_hh, b_ih, b_hh)

    @staticmethod
    def RNNTanhCell(input, hidden, w_ih, w_hh, b_ih=None, b_hh=None):
        return torch._VF.rnn_tanh_cell(input, hidden, w_ih, w_hh, b_ih, b_hh)

    @staticmethod
    def RNNReLUCell(input, hidden, w_ih, w_hh, b_ih=None, b_hh=None):
        return torch._VF.rnn_relu_cell(input, hidden, w_ih, w_hh, b_ih, b_hh)

    @staticmethod
    def RNN(
        mode,
        input_size,
        hidden_size,
        num_layers=1,
        batch_first=False,
        dropout=0,
        train=True,
        bidirectional=False,
        batch_sizes=None,
        dropout_state=None,
        flat_weight=None,
        variable_length=False,
    ):
        """0.3's ``torch.nn._functions.rnn.RNN``: returns ``f(input, weight, hidden)``
        where ``weight`` is ``module.all_weights`` (per layer and direction)."""
        fns = {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu"}
        if mode not in fns:
            raise ValueError(f"unknown RNN mode {mode!r}")
        vf = getattr(torch._VF, fns[mode])

        def forward(input, weight, hidden, batch_sizes=batch_sizes):
            flat = [w for layer in weight for w in layer]
            has_biases = len(weight[0]) == 4
            hx = hidden if mode == "LSTM" else hidden
            if mode == "LSTM" and not isinstance(hx, tuple):
                hx = tuple(hx)
            if batch_sizes is not None:
                args = (
                    input,
                    batch_sizes,
                    hx,
                    flat,
                    has_biases,
                    num_layers,
                    dropout,
                    train,
                    bidirectional,
                )
            else:
                args = (
                    input,
                    hx,
                    flat,
                    has_biases,
                    num_layers,
                    dropout,
                    train,
                    bidirectional,
                    batch_first,
                )
            res = vf(*args)
            return res[0], (res[1:] if mode == "LSTM" else res[1])

        return forward

    def __getattr__(self, name):
        raise AttributeError(
            f"the 0.3 backend function `_backend.{name}` is not emulated by torchmigrate's "
            "legacy runtime (only Embedding, RNN and the RNN cells are)"
        )


def patch_module_backend() -> None:
    """``module._backend``: 0.3 modules carried ``self._backend = thnn_backend`` (0.3.1
    ``torch/nn/modules/module.py``), which code copied from torch's own ``forward``s
    called (``self._backend.Embedding.apply(...)``, ``self._backend.RNN(...)``,
    ``self._backend.LSTMCell(...)``); the attribute is gone from 1.x.  Emulation: a
    ``_backend`` property returning ``LegacyBackend`` (assignments are kept per module).
    """

    def get(self):
        return self.__dict__.get("_tm_backend") or LegacyBackend()

    def set_(self, value):
        self.__dict__["_tm_backend"] = value

    _set(nn.Module, "_backend", property(get, set_))


# ---------------------------------------------------------------------------------------
# 0.3 semantics of the idioms of issue 10 (rules on real research code).  Each patch
# below gives one legacy idiom that the TM rules rewrite its old meaning, so that the
# rules' numeric tests and the corpus programs can be verified against it.  (0-dim
# ``numpy()``/``tolist()``, ``TensorDataset`` keywords and ``_backend`` are above.)


def patch_loss_attributes() -> None:
    """``crit.size_average = False`` / ``crit.reduce = False`` after construction.

    Pre-0.4.1 loss modules read ``self.size_average`` and ``self.reduce`` on every
    call, so assigning them changed the reduction.  Since 0.4.1 only ``reduction`` is
    read and the assignment is silently ignored.  Emulation: assigning either attribute
    of a loss module sets ``reduction`` by the legacy mapping (``reduce=False`` ->
    'none', else ``size_average=False`` -> 'sum', else 'mean'; None means True), using
    the other attribute's last assigned value.
    """
    from torch.nn.modules.loss import _Loss

    orig_setattr = _Loss.__setattr__

    def __setattr__(self, name, value):
        orig_setattr(self, name, value)
        if name in ("size_average", "reduce"):
            sa = self.__dict__.get("size_average")
            rd = self.__dict__.get("reduce")
            sa = True if sa is None else sa
            rd = True if rd is None else rd
            red = "mean" if sa and rd else ("sum" if rd else "none")
            orig_setattr(self, "reduction", red)

    _set(_Loss, "__setattr__", __setattr__)


def patch_iterator_next() -> None:
    """``iter(loader).next()``.

    Pre-1.0 ``DataLoaderIter`` defined ``next = __next__`` (Python 2 compatibility), so
    ``data_iter.next()`` worked under Python 3 as well.  Emulation: the modern loader
    iterators get ``next`` again.
    """
    from torch.utils.data import dataloader

    base = getattr(dataloader, "_BaseDataLoaderIter", None)
    if base is not None and "next" not in base.__dict__:
        _set(base, "next", base.__next__)


def patch_multinomial_default() -> None:
    """``probs.multinomial()`` without ``num_samples``.

    Pre-0.4 ``Variable.multinomial(num_samples=1, replacement=False)`` had a default of
    one sample.  Today ``num_samples`` is required.  Emulation: it defaults to 1.
    """
    orig_m = _orig(torch.Tensor, "multinomial")
    orig_tm = _orig(torch, "multinomial")

    def multinomial(self, num_samples=1, *args, **kwargs):
        return orig_m(self, num_samples, *args, **kwargs)

    def torch_multinomial(input, num_samples=1, *args, **kwargs):
        return orig_tm(input, num_samples, *args, **kwargs)

    _set(torch.Tensor, "multinomial", multinomial)
    _set(torch, "multinomial", torch_multinomial)


def patch_pack_lengths() -> None:
    """``pack_padded_sequence(x, lengths)`` with any sequence of lengths.

    Pre-0.4 ``pack_padded_sequence`` iterated over ``lengths`` (a list, a numpy array
    -- also a reversed view from ``np.sort(l)[::-1]`` --, a tensor on any device).  Today
    ``lengths`` must become a CPU int64 tensor, and numpy arrays with negative strides
    or CUDA tensors raise.  Emulation: the lengths are copied to a CPU list first.
    """
    from torch.nn.utils import rnn

    orig_pack = _orig(rnn, "pack_padded_sequence")

    def pack_padded_sequence(input, lengths, *args, **kwargs):
        if isinstance(lengths, torch.Tensor):
            lengths = lengths.detach().cpu().tolist()
        elif not isinstance(lengths, list):
            lengths = [int(n) for n in lengths]
        return orig_pack(input, lengths, *args, **kwargs)

    _set(rnn, "pack_padded_sequence", pack_padded_sequence)


def patch_bool_mask_methods() -> None:
    """``mask.sub(1)``, ``mask.neg()`` and ``-mask`` on comparison results.

    Pre-1.2 comparison results were uint8, and these computed on uint8 (wrapping to
    255).  Today they are bool and raise.  Emulation (with ``patch_masks``, which covers
    ``1 - mask`` / ``mask - 1``): on a bool tensor they compute on uint8.
    """
    for name in ("sub", "neg", "__neg__"):
        fn = _orig(torch.Tensor, name)

        def make(fn=fn):
            @functools.wraps(fn)
            def wrapper(self, *args, **kwargs):
                if self.dtype == torch.bool:
                    self = self.to(torch.uint8)
                return fn(self, *args, **kwargs)

            return wrapper

        _set(torch.Tensor, name, make())


_six_module: list = []  # the torch._six this runtime put in sys.modules


def patch_torch_six() -> None:
    """``torch._six`` (PyTorch's Python 2/3 compatibility module, 0.4-1.13,
    removed in 2.0) with the Python 3 values of the names code imported from
    it: ``from torch._six import string_classes`` works again."""
    import collections.abc
    import math
    import sys

    if "torch._six" in sys.modules or hasattr(torch, "_six"):
        return
    six = types.ModuleType("torch._six")
    six.__dict__.update(
        string_classes=(str, bytes),
        int_classes=int,
        container_abcs=collections.abc,
        inf=math.inf,
        nan=math.nan,
        PY2=False,
        PY3=True,
        PY37=True,
        imap=map,
        FileNotFoundError=FileNotFoundError,
    )
    sys.modules["torch._six"] = six
    _six_module.append(six)
    _set(torch, "_six", six)


PATCHES: tuple[Callable[[], None], ...] = (
    patch_warnings,
    patch_indexing,
    patch_masks,
    patch_backward,
    patch_legacy_function,
    patch_variable,
    patch_legacy_constructor,
    patch_linalg_fft,
    patch_stft,
    patch_async_kwargs,
    patch_upsample_align_corners,
    patch_lr_scheduler,
    patch_zero_grad,
    patch_torch_load,
    patch_integer_division,
    patch_arange,
    patch_zero_dim_numpy,
    patch_optimizer_versions,
    patch_tensor_dataset,
    patch_module_backend,
    patch_plain_numbers,
    patch_loss_attributes,
    patch_iterator_next,
    patch_multinomial_default,
    patch_pack_lengths,
    patch_bool_mask_methods,
    patch_torch_six,
)


def legacy_data_type(x):
    """``type(x.data)`` as 0.3 answered it: the typed tensor class of ``x``
    (``torch.FloatTensor``, ``torch.cuda.LongTensor`` ...; the loader rewrites
    ``type(<expr>.data)`` to call this).  Anything else: its plain type."""
    if isinstance(x, torch.Tensor) and x.layout == torch.strided:
        name = x.type()  # 'torch.FloatTensor', 'torch.cuda.FloatTensor'
        module = torch.cuda if name.startswith("torch.cuda.") else torch
        cls = getattr(module, name.rsplit(".", 1)[-1], None)
        if isinstance(cls, type):
            return cls
    return type(x)


def install() -> None:
    """Apply every patch in ``PATCHES`` (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    try:
        for patch in PATCHES:
            patch()
        builtins.__dict__.setdefault("_tm_div", py2_div)
        builtins.__dict__.setdefault("_tm_idiv", py2_idiv)
        builtins.__dict__.setdefault("_tm_data_type", legacy_data_type)
    except BaseException:
        uninstall()
        raise


def uninstall() -> None:
    """Undo ``install()`` exactly."""
    global _installed, _saved_filters, _fft_original_class, _marker_mode
    if _marker_mode is not None:
        _marker_mode.__exit__(None, None, None)
        _marker_mode = None
    while _opt_hooks:
        _opt_hooks.pop().remove()
    while _saved:
        owner, name, orig, was = _saved.pop()
        if orig is _MISSING or (isinstance(owner, type) and not was):
            try:
                delattr(owner, name)
            except AttributeError:
                pass
        else:
            setattr(owner, name, orig)
    if _fft_original_class is not None:
        torch.fft.__class__ = _fft_original_class
        _fft_original_class = None
    if _saved_filters is not None:
        warnings.filters[:] = _saved_filters
        warnings._filters_mutated()  # type: ignore[attr-defined]
        _saved_filters = None
    for name in ("_tm_div", "_tm_idiv", "_tm_data_type"):
        builtins.__dict__.pop(name, None)
    while _six_module:
        import sys

        six = _six_module.pop()
        if sys.modules.get("torch._six") is six:
            del sys.modules["torch._six"]
    _bridges.clear()
    _installed = False


def is_installed() -> bool:
    return _installed


# ---- Python 2 division helpers (used by the loader's rewrite of ``a / b``) -------------


def _py2_int(x) -> bool:
    if isinstance(x, bool):
        return True
    if isinstance(x, numbers.Integral):
        return True
    kind = getattr(getattr(x, "dtype", None), "kind", None)
    return kind in ("i", "u", "b") and not isinstance(x, torch.Tensor)


def py2_div(a, b):
    """Python 2 ``a / b``: floor division when both are (Python/numpy) integers, true
    division otherwise.  Tensors go through ``/`` (the runtime truncates int tensors)."""
    if _py2_int(a) and _py2_int(b):
        return a // b
    return a / b


def py2_idiv(a, b):
    """Python 2 ``a /= b`` (in place where the object supports it)."""
    if _py2_int(a) and _py2_int(b):
        a //= b
        return a
    a /= b
    return a
