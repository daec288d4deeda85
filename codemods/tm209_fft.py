"""TM209 fft-stft: the pre-1.8 FFT functions and real-valued ``torch.stft``.

Output style: the old real ``(..., 2)`` layout is kept at the boundary with
``torch.view_as_real`` / ``torch.view_as_complex`` around the ``torch.fft``
call, e.g. ``torch.rfft(x, 1)`` -> ``torch.view_as_real(torch.fft.rfft(x))``
and ``torch.stft(x, n)`` -> ``torch.view_as_real(torch.stft(x, n,
return_complex=True))``.
"""

from __future__ import annotations

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Node

from codemods import analysis as A
from codemods._tm2common import (
    CALL_PATTERN,
    Arg,
    bind,
    chain_with_head,
    iter_calls,
    literal,
    operand,
    text,
)
from codemods.analysis import tensor_kind
from codemods.base import MANUAL, UNSAFE, Example, Rule, RuleFixer, add_kwarg, ensure_import

SIGS = {
    "fft": ["input", "signal_ndim", "normalized"],
    "ifft": ["input", "signal_ndim", "normalized"],
    "rfft": ["input", "signal_ndim", "normalized", "onesided"],
    "irfft": ["input", "signal_ndim", "normalized", "onesided", "signal_sizes"],
}
_SUFFIX = {1: "", 2: "2", 3: "n"}
_DIM3 = ", dim=(-3, -2, -1)"


def _norm(b) -> tuple[str, bool]:
    """(', norm=...' text, ok)."""
    if "normalized" not in b:
        return "", True
    v = literal(b["normalized"].value)
    if v is False:
        return "", True
    if v is True:
        return ", norm='ortho'", True
    return f", norm='ortho' if {text(b['normalized'].value)} else 'backward'", True


def translate(fn: str, b: dict):
    """(new text, message) or (None, message) for manual."""
    nd = literal(b["signal_ndim"].value) if "signal_ndim" in b else None
    if nd not in (1, 2, 3) or isinstance(nd, bool):
        return (
            None,
            f"torch.{fn} with a non-literal signal_ndim: use torch.fft.{fn}/{fn}2/{fn}n (dims = the last signal_ndim dims) by hand",
        )
    x = text(b["input"].value)
    norm, _ = _norm(b)
    sfx = _SUFFIX[nd]
    dims = _DIM3 if nd == 3 else ""
    if fn in ("fft", "ifft"):
        new = f"torch.view_as_real(torch.fft.{fn}{sfx}(torch.view_as_complex({x}){dims}{norm}))"
        return new, (
            f"torch.{fn}(x, {nd}) (complex as a real (..., 2) tensor) was removed in 1.8: "
            f"torch.fft.{fn}{sfx} works on complex tensors, so the input goes through "
            "view_as_complex (it must be contiguous in the last dim) and the result back "
            "through view_as_real"
        )
    if fn == "rfft":
        one = literal(b["onesided"].value) if "onesided" in b else True
        if one is True:
            new = f"torch.view_as_real(torch.fft.rfft{sfx}({x}{dims}{norm}))"
        elif one is False:
            new = f"torch.view_as_real(torch.fft.fft{sfx}({x}{dims}{norm}))"
        else:
            return (
                None,
                "torch.rfft with a non-literal onesided: use torch.fft.rfft (onesided) or torch.fft.fft (full) by hand",
            )
        return new, (
            f"torch.rfft(x, {nd}) was removed in 1.8 and returned a real (..., 2) tensor: "
            "torch.view_as_real(torch.fft.rfft...) gives the same layout"
            + (" (normalized=True is norm='ortho')" if norm else "")
        )
    # irfft
    one = literal(b["onesided"].value) if "onesided" in b else True
    if one is not True:
        return (
            None,
            "torch.irfft(..., onesided=False) was removed in 1.8: use torch.fft.ifft(torch.view_as_complex(x)).real by hand",
        )
    size = ""
    if "signal_sizes" in b:
        s = b["signal_sizes"].value
        if nd == 1:
            elems = _tuple_elems(s)
            size = f", n={elems[0]}" if elems and len(elems) == 1 else f", n={operand(s)}[-1]"
        else:
            size = f", s={text(s)}"
    new = f"torch.fft.irfft{sfx}(torch.view_as_complex({x}){size}{dims}{norm})"
    return new, (
        f"torch.irfft(x, {nd}) was removed in 1.8 and took a real (..., 2) tensor: "
        "torch.fft.irfft... takes a complex one (view_as_complex needs a contiguous last dim); "
        "signal_sizes becomes n= / s="
    )


def _tuple_elems(node):
    if node.type == syms.atom and node.children[0].value in ("(", "["):
        inner = node.children[1] if len(node.children) == 3 else None
        if inner is None:
            return []
        if inner.type in (syms.testlist_gexp, syms.listmaker):
            return [text(c) for c in inner.children if c.type != token.COMMA]
        return [text(inner)]
    return None


class FftFixer(RuleFixer):
    PATTERN = CALL_PATTERN
    TRIGGERS = frozenset(SIGS)

    def visit(self, node, results) -> None:
        for site in iter_calls(self.ctx, node):
            q = site.qual or ""
            if q.startswith("torch.") and q[6:] in SIGS:
                fn = q[6:]
                args = site.args
            elif site.is_method(self.ctx, SIGS):
                # the method form, ``x.fft(1)`` (gpytorch 0.1's utils/fft.py)
                fn = site.method
                recv_node = site.receiver_node(node)
                if tensor_kind(self.ctx, recv_node) is None and not A.is_tensor(
                    self.ctx, recv_node
                ):
                    self.report(
                        node,
                        f"`.{fn}(...)`: if the receiver is a tensor, Tensor.{fn} was removed in "
                        f"1.8 (AttributeError on 2.13): use the torch.fft module as for torch.{fn} "
                        "(the receiver is not provably a tensor here)",
                        MANUAL,
                    )
                    continue
                args = [Arg(None, recv_node, recv_node)] + list(site.args)
            else:
                continue
            b = bind(args, SIGS[fn])
            if b is None or "input" not in b:
                self.report(
                    node,
                    f"torch.{fn} was removed in 1.8: use the torch.fft module (arguments could not be mapped)",
                    MANUAL,
                )
                continue
            new, msg = translate(fn, b)
            if new is None:
                self.report(node, msg, MANUAL)
                continue
            self._replace(node, site.index, new, msg)

    def _replace(self, power, index, new, msg) -> None:
        tree = self.ctx.tree

        def build(power=power, index=index, new=new):
            return chain_with_head(power, index, new)

        def fix(power=power, build=build, tree=tree):
            repl = build()
            repl.prefix = power.prefix
            power.replace(repl)
            ensure_import(tree, "torch")

        self.report(power, msg, UNSAFE, fix=fix, suggestion=str(build()).strip())


class StftFixer(RuleFixer):
    PATTERN = CALL_PATTERN
    TRIGGERS = frozenset({"stft"})

    def visit(self, node, results) -> None:
        for site in iter_calls(self.ctx, node):
            is_fn = site.qual == "torch.stft"
            is_method = site.is_method(self.ctx, ("stft",))
            if not (is_fn or is_method) or not site.args:
                continue
            if any(a.star for a in site.args) or any(a.name == "return_complex" for a in site.args):
                continue
            power, index = node, site.index
            tree = self.ctx.tree

            def build(power=power, index=index):
                head = Node(syms.power, [c.clone() for c in power.children[: index + 1]])
                head.children[0].prefix = ""
                add_kwarg(head.children[-1], "return_complex", "True")
                return chain_with_head(power, index, f"torch.view_as_real({head})")

            def fix(power=power, build=build, tree=tree):
                repl = build()
                repl.prefix = power.prefix
                power.replace(repl)
                ensure_import(tree, "torch")

            self.report(
                node,
                "torch.stft without return_complex raises on 2.13 for real input (`stft requires "
                "the return_complex parameter be given for real inputs`); before 1.8 it returned a "
                "real (..., 2) tensor: torch.view_as_real(torch.stft(..., return_complex=True)) "
                "keeps that layout (a later torch.istft then needs torch.view_as_complex)",
                UNSAFE if is_fn else MANUAL,
                fix=fix,
                suggestion=str(build()).strip(),
            )


RULE = Rule(
    id="TM209",
    name="fft-stft",
    short="`torch.fft/rfft/irfft/stft` old signature, removed in PyTorch 1.8",
    summary="Port `torch.fft/ifft/rfft/irfft(x, signal_ndim)` and real-valued `torch.stft` to `torch.fft` / complex tensors",
    why=(
        "The pre-1.8 functions `torch.fft`, `torch.ifft`, `torch.rfft`, `torch.irfft` (complex "
        "numbers as a real `(..., 2)` tensor, `signal_ndim`, `normalized`, `onesided`) were "
        "removed in 1.8 in favour of the `torch.fft` module: 2.13 raises AttributeError for "
        "`torch.rfft` and `TypeError: 'module' object is not callable` for `torch.fft(x, 1)`. "
        "`torch.stft` without `return_complex` raises for real input."
    ),
    safety=UNSAFE,
    doc="""
## What it does
* `torch.rfft(x, n, normalized, onesided)` -> `torch.view_as_real(torch.fft.rfft(x))`
  (`rfft2` for n=2, `rfftn(..., dim=(-3, -2, -1))` for n=3; `onesided=False` ->
  `fft`/`fft2`/`fftn` of the real input; `normalized=True` -> `norm='ortho'`).
* `torch.irfft(x, n, signal_sizes=s)` -> `torch.fft.irfft(torch.view_as_complex(x), n=s[-1])`
  (`irfft2/irfftn(..., s=s)`).
* `torch.fft(x, n)` / `torch.ifft(x, n)` -> `torch.view_as_real(torch.fft.fft(torch.view_as_complex(x)))`.
* `torch.stft(...)` without `return_complex` -> `torch.view_as_real(torch.stft(..., return_complex=True))`.
* The method forms `x.fft(n)`, `x.ifft(n)`, `x.rfft(n)`, `x.irfft(n)` (removed
  with the functions) are mapped the same way when `x` is provably a tensor,
  and reported (`manual`) otherwise.

Each mapping was compared numerically on torch 2.13 with the old definitions
written out with numpy (old normalisation: none forward, 1/n backward, and
1/sqrt(n) both ways when `normalized=True`).

## Fix safety
`unsafe` (REVIEW): `view_as_complex` needs a contiguous last dimension of size
2 (the old functions accepted any strides), and code around the call may
rely on the real layout in other ways.  Non-literal `signal_ndim`/`onesided`,
`irfft(onesided=False)` and unmappable calls are `manual`.

## Differences from TorchFix
TorchFix has no rewrite for the removed FFT functions.
""",
    examples=(
        Example(
            before="import torch\nX = torch.rfft(x, 1, normalized=True)\n",
            after="import torch\nX = torch.view_as_real(torch.fft.rfft(x, norm='ortho'))\n",
            unsafe_fixes=True,
            title="rfft",
        ),
        Example(
            before=(
                "import torch\ndef fft1(x):\n"
                "    c = torch.stack((x, torch.zeros_like(x)), -1)\n    return c.fft(1)\n"
            ),
            after=(
                "import torch\ndef fft1(x):\n"
                "    c = torch.stack((x, torch.zeros_like(x)), -1)\n"
                "    return torch.view_as_real(torch.fft.fft(torch.view_as_complex(c)))\n"
            ),
            unsafe_fixes=True,
            title="the method form on a provable tensor (gpytorch 0.1's utils/fft.py)",
        ),
        Example(
            before="import torch\ny = torch.irfft(X, 2, signal_sizes=(H, W))\n",
            after="import torch\ny = torch.fft.irfft2(torch.view_as_complex(X), s=(H, W))\n",
            unsafe_fixes=True,
            title="irfft with signal sizes",
        ),
        Example(
            before="import torch\nS = torch.stft(x, 512, 128, window=w)\n",
            after="import torch\nS = torch.view_as_real(torch.stft(x, 512, 128, window=w, return_complex=True))\n",
            unsafe_fixes=True,
            title="stft",
        ),
        Example(
            before="import torch\nY = torch.fft(x, k)\n",
            findings=("manual",),
            title="non-literal signal_ndim",
        ),
        Example(
            before="import torch\nimport torch.fft\nY = torch.fft.fft(z)\nS = torch.stft(x, 512, return_complex=True)\n",
            title="modern calls: untouched",
        ),
    ),
    fixers=(FftFixer, StftFixer),
    tokens=("fft", "stft"),
)
