"""TM111 dotted-module-names: ``add_module('a.b', m)``,
``register_buffer('a.b', t)`` and ``register_parameter('a.b', p)`` (report only).
"""

from __future__ import annotations

from codemods._tm1common import CALL_PATTERN, literal, method_calls
from codemods.base import MANUAL, Example, Rule, RuleFixer, call_args

METHODS = ("add_module", "register_buffer", "register_parameter", "register_module")


class DottedNameFixer(RuleFixer):
    PATTERN = CALL_PATTERN

    def visit(self, node, results) -> None:
        for _i, name, trailer in method_calls(node):
            if name not in METHODS:
                continue
            args = call_args(trailer)
            if not args or args[0].name is not None or args[0].star:
                continue
            value = literal(args[0].value)
            if not isinstance(value, str) or "." not in value:
                continue
            fixed = value.replace(".", "_")
            self.report(
                args[0].value,
                f"`{name}('{value}', ...)`: names with '.' are rejected since 0.4.0 "
                f"(`KeyError: ... name can't contain \".\"`); use e.g. '{fixed}' and rename the "
                f"key '{value}' -> '{fixed}' in saved state dicts (e.g. in a "
                "`_load_from_state_dict` hook or when loading old checkpoints)",
                MANUAL,
                suggestion=f"'{fixed}'",
            )


RULE = Rule(
    id="TM111",
    name="dotted-module-names",
    short="module/parameter/buffer name containing '.' is rejected since 0.4",
    summary="Report module/buffer/parameter names that contain a dot",
    why=(
        "Since 0.4.0 `Module.add_module`, `register_buffer` and `register_parameter` reject "
        "names containing '.', because '.' separates the levels of `state_dict()` keys. "
        '2.13 raises `KeyError: module name can\'t contain "."` (resp. attribute/parameter '
        "name)."
    ),
    safety=MANUAL,
    doc="""
## What it does
Reports calls of `add_module`, `register_buffer`, `register_parameter` (and
`register_module`) whose first argument is a string literal containing a dot.

## Why is this bad
The model fails to build on 2.13.

## Fix safety
Manual: renaming the submodule (e.g. `'conv.1'` -> `'conv_1'`) changes the model's
`state_dict` keys, so existing checkpoints need the same key rename; and code that
reads the attribute by name must follow. Names built at run time (f-strings,
`'%s' % i`, variables) are not checked.
""",
    examples=(
        Example(
            before=(
                "class Net(nn.Module):\n"
                "    def __init__(self):\n"
                "        super(Net, self).__init__()\n"
                "        self.add_module('conv.1', nn.Conv2d(3, 8, 3))\n"
                "        self.register_buffer('running.mean', torch.zeros(8))\n"
            ),
            findings=("manual", "manual"),
        ),
        Example(
            before=(
                "class Net(nn.Module):\n"
                "    def __init__(self):\n"
                "        super(Net, self).__init__()\n"
                "        self.add_module('conv_1', nn.Conv2d(3, 8, 3))\n"
                "        self.add_module('conv%d' % 2, nn.Conv2d(8, 8, 3))\n"
                "        self.register_parameter('scale', nn.Parameter(torch.ones(1)))\n"
            ),
            title="names without dots",
        ),
        Example(
            before="seq.add_module('block.%d' % i, layer)\nm.register_parameter('w.0', p)\n",
            findings=("manual",),
            title="only literal names are checked",
        ),
    ),
    fixers=(DottedNameFixer,),
    tokens=("add_module", "register_buffer", "register_parameter", "register_module"),
)
