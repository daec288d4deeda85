"""TM206 torch-range: ``torch.range(a, b[, s])`` -> ``torch.arange(a, b + s[, s], dtype=...)``.

Output style: ``torch.range(0, 9)`` -> ``torch.arange(0, 9 + 1,
dtype=torch.get_default_dtype())``: the end is written as ``end + step`` so the
reader sees the inclusive end point; a given ``dtype=`` is kept instead of the
default dtype.  Integer literals whose span is not a multiple of the step get
the exact exclusive end folded into one literal.
"""

from __future__ import annotations

from codemods._tm2common import (
    CALL_PATTERN,
    bind,
    chain_with_head,
    is_int_literal,
    iter_calls,
    literal,
    operand,
    text,
)
from codemods.base import MANUAL, UNSAFE, Example, Rule, RuleFixer, ensure_import

PARAMS = ["start", "end", "step", "out", "dtype", "layout", "device", "requires_grad"]


class RangeFixer(RuleFixer):
    PATTERN = CALL_PATTERN

    def visit(self, node, results) -> None:
        for site in iter_calls(self.ctx, node):
            if site.qual != "torch.range":
                continue
            b = bind(site.args, PARAMS)
            if b is None or "start" not in b or "end" not in b or "out" in b:
                self.report(
                    node,
                    "torch.range is deprecated (inclusive end, default float dtype): rewrite as "
                    "torch.arange(start, end + step, step, dtype=torch.get_default_dtype()) by hand "
                    "(arguments could not be mapped)",
                    MANUAL,
                )
                continue
            start, end = b["start"].value, b["end"].value
            step = b.get("step")
            sv = literal(step.value) if step is not None else 1
            note = ""
            if (
                is_int_literal(start)
                and is_int_literal(end)
                and isinstance(sv, int)
                and not isinstance(sv, bool)
                and sv != 0
            ):
                a, e = literal(start), literal(end)
                n = (e - a) // sv + 1 if (e - a) * sv >= 0 else 0
                if n > 0 and (e - a) % sv == 0:
                    new_end = f"{text(end)} + {text(step.value) if step is not None else '1'}"
                    if sv < 0:
                        new_end = f"{text(end)} - {-sv}"
                else:
                    new_end = str(a + n * sv)
                exact = True
            else:
                s_text = operand(step.value) if step is not None else "1"
                new_end = f"{operand(end)} + {s_text}"
                exact = False
                note = (
                    " The end point is not an integer literal: arange(start, end + step) has the "
                    "same elements only when (end - start) / step is a whole number; with a float "
                    "step the boundary element can appear or vanish through rounding (e.g. "
                    "range(0, 1, 0.1)): check the length."
                )
            parts = [text(start), new_end]
            if step is not None:
                parts.append(text(step.value))
            dtype = text(b["dtype"].value) if "dtype" in b else "torch.get_default_dtype()"
            parts.append(f"dtype={dtype}")
            for k in ("layout", "device", "requires_grad"):
                if k in b:
                    parts.append(f"{k}={text(b[k].value)}")
            new = "torch.arange(" + ", ".join(parts) + ")"
            msg = (
                "torch.range is deprecated: it includes the end point and returns the default "
                "float dtype even for integer arguments; torch.arange excludes the end and infers "
                "int64 from integers, so the end is extended by one step and the dtype is passed "
                "explicitly." + note
            )
            if exact:
                msg += " (Integer literals: the same values; reviewed because the dtype is now explicit.)"
            power, index = node, site.index
            tree = self.ctx.tree

            def build(power=power, index=index, new=new):
                return chain_with_head(power, index, new)

            def fix(power=power, build=build, tree=tree):
                repl = build()
                repl.prefix = power.prefix
                power.replace(repl)
                ensure_import(tree, "torch")

            self.report(node, msg, UNSAFE, fix=fix, suggestion=str(build()).strip())


RULE = Rule(
    id="TM206",
    name="torch-range",
    short="`torch.range` is deprecated (inclusive end, default float dtype)",
    summary="Replace `torch.range` (inclusive end, float) with `torch.arange(..., end + step, dtype=...)`",
    why=(
        "`torch.range` is deprecated (2.13: `UserWarning: torch.range is deprecated and will be "
        "removed in a future release because its behavior is inconsistent with Python's range "
        "builtin`). It includes the end point and returns the default float dtype; `torch.arange` "
        "excludes the end and returns int64 for integer arguments."
    ),
    safety=UNSAFE,
    doc="""
## What it does
`torch.range(a, b[, s])` becomes `torch.arange(a, b + s[, s],
dtype=torch.get_default_dtype())`; a `dtype=` given to `range` is kept, and
`device`/`layout`/`requires_grad` are carried.

## Fix safety
`unsafe` (REVIEW) always.  For integer literals the result has exactly the same
values and dtype (checked with torch 2.13, including negative steps and spans
that are not a multiple of the step, where the exact exclusive end is folded
into one literal).  For other arguments, `arange(a, b + s, s)` has the same
number of elements only when `(b - a) / s` is a whole number: with float ends or
steps the last element can appear or vanish through rounding.  `out=` and
unmappable calls are `manual`.

## Differences from TorchFix
TorchFix rewrites `torch.range(0, 3)` to `torch.arange(0, 4)`, which returns
**int64** instead of float32 (integer division, `requires_grad`, and
concatenation with float tensors then behave differently), and it skips
float steps.  We keep the dtype explicitly and handle every step.
""",
    examples=(
        Example(
            before="import torch\nx = torch.range(0, 9)\n",
            after="import torch\nx = torch.arange(0, 9 + 1, dtype=torch.get_default_dtype())\n",
            unsafe_fixes=True,
            title="integer literals",
        ),
        Example(
            before="import torch\nx = torch.range(1, n, 2, dtype=torch.long)\n",
            after="import torch\nx = torch.arange(1, n + 2, 2, dtype=torch.long)\n",
            unsafe_fixes=True,
            title="non-literal end; dtype kept",
        ),
        Example(
            before="import torch\nx = torch.range(0, 10, 3)\n",
            findings=("unsafe",),
            title="reported without --unsafe-fixes",
        ),
        Example(
            before="import torch\nfor i in range(10):\n    pass\n",
            title="builtin range: untouched",
        ),
    ),
    fixers=(RangeFixer,),
    tokens=("range(",),
)
