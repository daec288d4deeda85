"""TM107 upsample-align-corners: ``F.upsample*`` -> ``F.interpolate`` and the
pre-0.4 / pre-1.3 ``align_corners`` behaviour made explicit.

Output style: the function name changes in place (``F.upsample(`` ->
``F.interpolate(``); new keywords are appended at the end of the call
(``mode='bilinear', align_corners=True``), single-quoted.
"""

from __future__ import annotations

from codemods._tm1common import (
    CALL_PATTERN,
    UNKNOWN,
    function_call,
    literal,
    positional,
)
from codemods.base import MANUAL, SAFE, UNSAFE, Example, Rule, RuleFixer, add_kwarg, kwarg

FUNC = "torch.nn.functional."
LINEAR_MODES = ("bilinear", "trilinear")
OTHER_MODES = ("nearest", "linear", "bicubic", "area", "nearest-exact")


def _mode(args, index: int):
    """(argument, value) of the `mode` argument (keyword or positional)."""
    arg = kwarg(args, "mode")
    if arg is None:
        pos = positional(args)
        if len(pos) > index:
            arg = pos[index]
    if arg is None:
        return None, "nearest"
    return arg, literal(arg.value)


def _has_align(args, index: int) -> bool:
    return kwarg(args, "align_corners") is not None or len(positional(args)) > index


class UpsampleFixer(RuleFixer):
    PATTERN = CALL_PATTERN

    def visit(self, node, results) -> None:
        call = function_call(self.ctx, node)
        if call is None or call.qualname is None:
            return
        q = call.qualname
        if any(a.star for a in call.args):
            if q in (FUNC + "upsample", FUNC + "upsample_bilinear", FUNC + "upsample_nearest"):
                self.report(
                    call.name_leaf,
                    f"`{call.callee}` is deprecated; use `interpolate` (arguments are unpacked "
                    "here, so the mode and align_corners cannot be checked)",
                    MANUAL,
                )
            return
        if q == FUNC + "upsample":
            self._upsample(call)
        elif q in (FUNC + "upsample_bilinear", FUNC + "upsample_nearest"):
            self._upsample_fixed(call, q.rsplit("_", 1)[1])
        elif q in ("torch.nn.Upsample", "torch.nn.modules.upsampling.Upsample"):
            self._module(call)
        elif q in ("torch.nn.UpsamplingBilinear2d", "torch.nn.UpsamplingNearest2d"):
            self._module_fixed(call, "bilinear" if "Bilinear" in q else "nearest")
        elif q in (FUNC + "grid_sample", FUNC + "affine_grid"):
            self._grid(call, 4 if q.endswith("grid_sample") else 2)

    # F.upsample(x, size, scale_factor, mode, align_corners)
    def _upsample(self, call) -> None:
        new_callee = call.callee[: -len("upsample")] + "interpolate"
        mode_arg, mode = _mode(call.args, 3)
        aligned = _has_align(call.args, 4)
        leaf = call.name_leaf

        def rename(leaf=leaf):
            leaf.value = "interpolate"

        if mode in LINEAR_MODES and not aligned:

            def fix(call=call):
                rename()
                add_kwarg(call.trailer, "align_corners", "True")

            self.report(
                leaf,
                f"`{call.callee}` is deprecated: use `{new_callee}`; mode='{mode}' without "
                "align_corners behaved like align_corners=True before 0.4.0 (corner pixels "
                "aligned, e.g. [0, .333, .667, 1]) and defaults to False since (e.g. "
                "[0, .25, .75, 1]), silently: `align_corners=True` keeps the 0.3 result; drop it "
                "if this code was written for >= 0.4",
                UNSAFE,
                fix=fix,
                suggestion=f"{new_callee}(..., align_corners=True)",
            )
        elif aligned or mode in OTHER_MODES:
            self.report(
                leaf,
                f"`{call.callee}` is deprecated: use `{new_callee}` (the same function)",
                SAFE,
                fix=rename,
                suggestion=new_callee,
            )
        else:
            shown = mode_arg.value if mode is UNKNOWN else mode
            self.report(
                leaf,
                f"`{call.callee}` is deprecated: use `{new_callee}`; the mode (`{str(shown).strip()}`) "
                "is not a literal: if it can be 'bilinear'/'trilinear', 0.3 behaved like "
                "align_corners=True, so pass e.g. `align_corners=True if mode in ('bilinear', "
                "'trilinear') else None`",
                MANUAL,
            )

    def _upsample_fixed(self, call, mode: str) -> None:
        new_callee = call.callee[: -len("upsample_" + mode)] + "interpolate"
        extra = f"mode='{mode}'" + (", align_corners=True" if mode == "bilinear" else "")

        def fix(call=call, mode=mode):
            call.name_leaf.value = "interpolate"
            add_kwarg(call.trailer, "mode", f"'{mode}'")
            if mode == "bilinear":
                add_kwarg(call.trailer, "align_corners", "True")

        self.report(
            call.name_leaf,
            f"`{call.callee}` is deprecated: use `{new_callee}(..., {extra})` (exactly what it does)",
            SAFE,
            fix=fix,
            suggestion=f"{new_callee}(..., {extra})",
        )

    # nn.Upsample(size, scale_factor, mode, align_corners)
    def _module(self, call) -> None:
        mode_arg, mode = _mode(call.args, 2)
        if _has_align(call.args, 3):
            return
        if mode in LINEAR_MODES:

            def fix(call=call):
                add_kwarg(call.trailer, "align_corners", "True")

            self.report(
                call.name_leaf,
                f"`{call.callee}(mode='{mode}')` without align_corners behaved like "
                "align_corners=True before 0.4.0 and defaults to False since (silently "
                "different output): `align_corners=True` keeps the 0.3 result; drop it if this "
                "code was written for >= 0.4",
                UNSAFE,
                fix=fix,
                suggestion=f"{call.callee}(..., align_corners=True)",
            )
        elif mode is UNKNOWN:
            self.report(
                call.name_leaf,
                f"`{call.callee}` with a non-literal mode (`{str(mode_arg.value).strip()}`): if "
                "it can be 'bilinear'/'trilinear', 0.3 behaved like align_corners=True; pass it "
                "explicitly",
                MANUAL,
            )

    def _module_fixed(self, call, mode: str) -> None:
        old = call.name_leaf.value
        new_callee = call.callee[: -len(old)] + "Upsample"
        extra = f"mode='{mode}'" + (", align_corners=True" if mode == "bilinear" else "")

        def fix(call=call, mode=mode):
            call.name_leaf.value = "Upsample"
            add_kwarg(call.trailer, "mode", f"'{mode}'")
            if mode == "bilinear":
                add_kwarg(call.trailer, "align_corners", "True")

        self.report(
            call.name_leaf,
            f"`{call.callee}` is deprecated in favour of `{new_callee}(..., {extra})`, which is "
            "exactly what it is (only `isinstance` checks against the old class would differ)",
            SAFE,
            fix=fix,
            suggestion=f"{new_callee}(..., {extra})",
        )

    def _grid(self, call, align_index: int) -> None:
        if _has_align(call.args, align_index):
            return

        def fix(call=call):
            add_kwarg(call.trailer, "align_corners", "True")

        self.report(
            call.name_leaf,
            f"`{call.callee}` without align_corners: the default changed from True to False in "
            "1.3.0 (torch warns `Default grid_sample and affine_grid behavior has changed`); "
            "`align_corners=True` keeps the pre-1.3 result; use False if this code was written "
            "for >= 1.3",
            UNSAFE,
            fix=fix,
            suggestion=f"{call.callee}(..., align_corners=True)",
        )


RULE = Rule(
    id="TM107",
    name="upsample-align-corners",
    short="`upsample` is deprecated and `align_corners` changed its default in 0.4",
    summary="Use `F.interpolate` and keep the legacy `align_corners` behaviour explicit",
    why=(
        "`F.upsample`, `F.upsample_bilinear` and `F.upsample_nearest` were deprecated in "
        "0.4.1 for `F.interpolate` (2.13 warns `nn.functional.upsample is deprecated. Use "
        "nn.functional.interpolate instead.`). 0.4.0 also changed, silently, what "
        "mode='bilinear' computes: 0.3 aligned the corner pixels (today's "
        "`align_corners=True`, `[0, .333, .667, 1]` for `[0, 1]` x2) and the new default is "
        "`align_corners=False` (`[0, .25, .75, 1]`). `grid_sample`/`affine_grid` changed their "
        "default from True to False in 1.3.0 (with a warning)."
    ),
    safety=UNSAFE,
    doc="""
## What it does
- `F.upsample(...)` -> `F.interpolate(...)`; with a literal `mode='bilinear'`/`'trilinear'`
  and no `align_corners`, also adds `align_corners=True`.
- `F.upsample_bilinear(x, ...)` -> `F.interpolate(x, ..., mode='bilinear', align_corners=True)`;
  `F.upsample_nearest(x, ...)` -> `F.interpolate(x, ..., mode='nearest')`.
- `nn.Upsample(mode='bilinear'|'trilinear')` without `align_corners` gets `align_corners=True`.
- `nn.UpsamplingBilinear2d(...)` -> `nn.Upsample(..., mode='bilinear', align_corners=True)`;
  `nn.UpsamplingNearest2d(...)` -> `nn.Upsample(..., mode='nearest')`.
- `F.grid_sample`/`F.affine_grid` without `align_corners` get `align_corners=True`.

## Why is this bad
The deprecated functions warn; the align_corners default changes are silent and move
every output pixel of a bilinear upsampling.

## Fix safety
- Safe: `upsample` -> `interpolate` for `'nearest'` (or another mode without a default
  change, or an explicit `align_corners`), `upsample_bilinear`/`upsample_nearest` and the
  `Upsampling*2d` classes: the new spelling is literally what the old one calls.
- Unsafe: adding `align_corners=True` for linear modes and for `grid_sample`/`affine_grid`.
  It reproduces pre-0.4 (resp. pre-1.3) results, which is right for code written for
  those versions; code written later relied on the new default and must drop it.
- Manual: a mode given by a variable (the rule cannot tell whether the default change
  matters) or arguments unpacked with `*`/`**`.
- `'bicubic'` and `'linear'` did not exist before 0.4, so they never get `align_corners`.

## Differences from TorchFix
TorchFix does not handle `upsample` or `align_corners`.
""",
    examples=(
        Example(
            before=(
                "import torch.nn.functional as F\n"
                "y = F.upsample(x, scale_factor=2, mode='bilinear')\n"
                "z = F.upsample(x, size=(8, 8))\n"
            ),
            after=(
                "import torch.nn.functional as F\n"
                "y = F.upsample(x, scale_factor=2, mode='bilinear')\n"
                "z = F.interpolate(x, size=(8, 8))\n"
            ),
            findings=("unsafe",),
            title="bilinear upsample needs review; nearest is safe",
        ),
        Example(
            before=(
                "import torch.nn as nn\n"
                "import torch.nn.functional as F\n"
                "y = F.upsample(x, scale_factor=2, mode='bilinear')\n"
                "g = F.grid_sample(img, F.affine_grid(theta, img.size()))\n"
                "up = nn.Upsample(scale_factor=2, mode='bilinear')\n"
            ),
            after=(
                "import torch.nn as nn\n"
                "import torch.nn.functional as F\n"
                "y = F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=True)\n"
                "g = F.grid_sample(img, F.affine_grid(theta, img.size(), align_corners=True), align_corners=True)\n"
                "up = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True)\n"
            ),
            unsafe_fixes=True,
            title="legacy align_corners made explicit (with --unsafe-fixes)",
        ),
        Example(
            before=(
                "import torch.nn as nn\n"
                "import torch.nn.functional as F\n"
                "a = F.upsample_bilinear(x, scale_factor=2)\n"
                "b = F.upsample_nearest(x, (16, 16))\n"
                "c = nn.UpsamplingBilinear2d(scale_factor=2)\n"
            ),
            after=(
                "import torch.nn as nn\n"
                "import torch.nn.functional as F\n"
                "a = F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=True)\n"
                "b = F.interpolate(x, (16, 16), mode='nearest')\n"
                "c = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True)\n"
            ),
            title="fixed-mode variants (safe)",
        ),
        Example(
            before=(
                "import torch.nn.functional as F\n"
                "y = F.upsample(x, scale_factor=2, mode=self.mode)\n"
                "z = F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)\n"
                "w = F.upsample(x, scale_factor=2, mode='bilinear', align_corners=False)\n"
            ),
            after=(
                "import torch.nn.functional as F\n"
                "y = F.upsample(x, scale_factor=2, mode=self.mode)\n"
                "z = F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)\n"
                "w = F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)\n"
            ),
            findings=("manual",),
            title="variable mode: reported; explicit align_corners kept",
        ),
        Example(
            before=(
                "import torch.nn.functional as F\n"
                "def upsample(x, mode='bilinear'):\n"
                "    return F.interpolate(x, scale_factor=2, mode=mode, align_corners=False)\n"
                "y = upsample(x)\n"
                "up = Upsample(mode='bilinear')  # not torch's\n"
            ),
            title="a local function called upsample",
        ),
    ),
    fixers=(UpsampleFixer,),
    tokens=("psampl", "grid"),
)
