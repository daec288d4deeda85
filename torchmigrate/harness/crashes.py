"""Known crashes of migrated (or half-migrated) code, mapped to the legacy idiom behind them.

Only a *hint*: the harness compares any two scripts and does not depend on the codemods;
the rule ids below name the rule families of ``torchmigrate rules`` that deal with each
idiom, so a user can read ``torchmigrate explain ID``.
"""

from __future__ import annotations

import re

# (pattern in the error text, rule ids, what it usually means)
KNOWN: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        r"invalid index of a 0-dim tensor",
        ("TM003",),
        "0-dim indexing: `x.data[0]`/`x[0]` on a 0-dim tensor (a loss); use `.item()`",
    ),
    (
        r"'float' object has no attribute '(backward|grad|data|detach|item)'|"
        r"'int' object has no attribute '(backward|grad|data|detach|item)'",
        ("TM006", "TM003"),
        "`.item()` applied to a value that is later backpropagated or used as a tensor",
    ),
    (
        r"element 0 of tensors does not require grad",
        ("TM002", "TM004"),
        "a training computation runs without autograd (no_grad/volatile or `.detach()` "
        "where the old code kept the graph)",
    ),
    (
        r"modified by an inplace operation",
        ("TM004",),
        "an in-place update that 0.3 made through `.data` (optimizer steps, manual SGD) "
        "now bumps the tensor version; reorder the steps or keep the update out of autograd",
    ),
    (
        r"Legacy autograd function with non-static forward|Legacy autograd function",
        ("TM012",),
        "old-style autograd.Function (instance forward/backward)",
    ),
    (
        r"result type \w+ can't be cast to the desired output type",
        ("TM202", "TM203"),
        "integer tensor mixed with float arithmetic (type promotion / integer division)",
    ),
    (
        r"(masked_\w+|where|index) .*(uint8|Byte)|expected .*bool.* mask|"
        r"indexing with dtype torch.uint8",
        ("TM109",),
        "uint8 masks",
    ),
    (
        r"Can't call numpy\(\) on Tensor that requires grad",
        ("TM007",),
        "`.numpy()` on a tensor that requires grad",
    ),
    (
        r"len\(\) of a 0-d tensor|iteration over a 0-d tensor",
        ("TM006", "TM008"),
        "0-dim results used like 1-element vectors or Python numbers",
    ),
    (r"Weights only load failed", ("TM208",), "torch.load now defaults to weights_only=True"),
    (
        r"unexpected keyword argument 'async'",
        ("TM010",),
        "`async=` is `non_blocking=` since 0.4",
    ),
    (
        r"stft requires the return_complex parameter",
        ("TM209",),
        "torch.stft needs return_complex since 2.0",
    ),
    (
        r"module 'torch' has no attribute '(gesv|potrf|potrs|potri|trtrs|gels|lstsq|symeig|eig|"
        r"btrifact|btrisolve|solve|matrix_rank)'",
        ("TM205",),
        "removed linear-algebra function (torch.linalg family)",
    ),
    (
        r"module 'torch' has no attribute '(rfft|irfft|ifft)'|'module' object is not callable",
        ("TM209",),
        "the old torch.fft/rfft functions (torch.fft module since 1.8)",
    ),
    (
        r"a leaf Variable that requires grad is being used in an in-place operation",
        ("TM004",),
        "in-place update of a parameter outside `torch.no_grad()`",
    ),
    (
        r"'NoneType' object has no attribute|unsupported operand type\(s\) for .*NoneType",
        ("TM207",),
        "a gradient is None where pre-2.0 zero_grad left zeros",
    ),
)


def explain_crash(error: str | None) -> tuple[tuple[str, ...], str] | None:
    """``(rule ids, explanation)`` for a known crash, or None."""
    if not error:
        return None
    last = error.strip().splitlines()[-1] if error.strip() else ""
    for pattern, rules, why in KNOWN:
        if re.search(pattern, last) or re.search(pattern, error[-2000:]):
            return rules, why
    return None
