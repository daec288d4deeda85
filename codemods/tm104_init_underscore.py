"""TM104 nn-init-underscore: ``nn.init.xavier_uniform(w)`` -> ``nn.init.xavier_uniform_(w)``.

Output style: only the function's name changes (``init.normal(w, 0, .02)`` ->
``init.normal_(w, 0, .02)``); for ``from torch.nn.init import xavier_uniform``
the import and every use of the name in the file are renamed.
"""

from __future__ import annotations

from codemods._tm1common import CALL_PATTERN, ImportRename, function_call
from codemods.base import SAFE, Example, Rule, RuleFixer

INIT = "torch.nn.init"
OLD_NAMES = (
    "uniform",
    "normal",
    "constant",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "orthogonal",
    "sparse",
    "eye",
    "dirac",
)
RENAMES = {name: name + "_" for name in OLD_NAMES}
QUALNAMES = {f"{INIT}.{name}": name + "_" for name in OLD_NAMES}


class InitCallFixer(RuleFixer):
    PATTERN = CALL_PATTERN

    def visit(self, node, results) -> None:
        call = function_call(self.ctx, node)
        if call is None or "." not in call.callee:
            return  # bare names come from `from torch.nn.init import x`: see InitImportFixer
        new = QUALNAMES.get(call.qualname)
        if new is None:
            return
        leaf = call.name_leaf
        old = leaf.value

        def fix(leaf=leaf, new=new):
            if leaf.value == new:
                return False
            leaf.value = new

        self.report(
            leaf,
            f"`{call.callee}` is deprecated: use `{call.callee[: -len(old)]}{new}` "
            "(the same in-place initializer, same RNG draws)",
            SAFE,
            fix=fix,
            suggestion=call.callee[: -len(old)] + new,
        )


class InitImportFixer(ImportRename, RuleFixer):
    RENAMES = RENAMES
    MODULES = (INIT,)
    WHAT = "the in-place initializer with the same RNG draws"

    def visit(self, node, results) -> None:
        self.visit_import(node, results, SAFE)


RULE = Rule(
    id="TM104",
    name="nn-init-underscore",
    short="deprecated `nn.init` name: the in-place `*_` initializer is the same",
    summary="Use the in-place `nn.init.*_` initializers instead of the deprecated names",
    why=(
        "PyTorch 0.4.0 renamed the `torch.nn.init` functions to their in-place `_` "
        "spelling (`xavier_uniform_`, `normal_`, `constant_`, `kaiming_normal_`, ...). "
        "The old names still exist in 2.13 as thin wrappers that emit "
        "`FutureWarning: nn.init.xavier_uniform is now deprecated in favor of "
        "nn.init.xavier_uniform_.` and then call the new function."
    ),
    safety=SAFE,
    doc="""
## What it does
Renames calls of `uniform`, `normal`, `constant`, `xavier_uniform`, `xavier_normal`,
`kaiming_uniform`, `kaiming_normal`, `orthogonal`, `sparse`, `eye` and `dirac` from
`torch.nn.init` to their `_` names. The module is resolved through the file's imports
(`nn.init.`, `torch.nn.init.`, `init.` after `from torch.nn import init`,
`import torch.nn.init as I`). `from torch.nn.init import xavier_uniform` is rewritten
to import `xavier_uniform_` and every use of the name in the file is renamed; with an
alias (`import xavier_uniform as xu`) only the imported name changes.

## Why is this bad
The old names warn on every call and are slated for removal.

## Fix safety
Safe: the deprecated wrapper forwards its arguments unchanged to the `_` function,
so the result (and the random numbers drawn) are identical. When a from-imported
name is also re-bound in the file (a local `def normal(...)`, a parameter called
`normal`), the import is reported (manual) instead, because the tool cannot tell
which uses refer to torch's function. A function merely *called* `normal` that is not
imported from `torch.nn.init` is never touched.

## Differences from TorchFix
TorchFix does not rename the `nn.init` functions; its deprecated-symbol check
covers other APIs.
""",
    examples=(
        Example(
            before=(
                "import torch.nn as nn\n"
                "def init_weights(m):\n"
                "    nn.init.xavier_uniform(m.weight, gain=nn.init.calculate_gain('relu'))\n"
                "    nn.init.constant(m.bias, 0.1)\n"
            ),
            after=(
                "import torch.nn as nn\n"
                "def init_weights(m):\n"
                "    nn.init.xavier_uniform_(m.weight, gain=nn.init.calculate_gain('relu'))\n"
                "    nn.init.constant_(m.bias, 0.1)\n"
            ),
            title="nn.init through `import torch.nn as nn`",
        ),
        Example(
            before=(
                "from torch.nn import init\n"
                "from torch.nn.init import kaiming_normal, orthogonal as ortho\n"
                "init.normal(w, 0, 0.02)\n"
                "kaiming_normal(conv.weight, mode='fan_out')\n"
                "ortho(rnn.weight_hh_l0)\n"
            ),
            after=(
                "from torch.nn import init\n"
                "from torch.nn.init import kaiming_normal_, orthogonal_ as ortho\n"
                "init.normal_(w, 0, 0.02)\n"
                "kaiming_normal_(conv.weight, mode='fan_out')\n"
                "ortho(rnn.weight_hh_l0)\n"
            ),
            title="`init.` and from-imports (plain and aliased)",
        ),
        Example(
            before=(
                "import numpy as np\n"
                "def normal(mu, sigma):\n"
                "    return np.random.normal(mu, sigma)\n"
                "x = normal(0, 1)\n"
                "y = np.random.uniform(0, 1)\n"
                "init.normal(w)  # `init` is not imported: unknown\n"
            ),
            title="functions with the same names that are not torch's",
        ),
        Example(
            before=(
                "from torch.nn.init import normal\n"
                "normal(w, 0, 0.02)\n"
                "def f(normal=0.5):\n"
                "    return normal\n"
            ),
            findings=("manual",),
            title="from-import whose name is re-bound in the file: reported",
        ),
    ),
    fixers=(InitCallFixer, InitImportFixer),
    tokens=("init",),
)
