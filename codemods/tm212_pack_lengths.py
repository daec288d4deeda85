"""TM212 pack-lengths: ``pack_padded_sequence(x, lengths)`` with lengths
that modern torch refuses -- a reversed numpy view (``np.sort(l)[::-1]``,
negative strides) or a tensor on the GPU."""

from __future__ import annotations

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms

from codemods import analysis as A
from codemods._tm2common import CALL_PATTERN, iter_calls, text
from codemods.base import MANUAL, SAFE, Example, Rule, RuleFixer, parse_expr

_PACK = {"torch.nn.utils.rnn.pack_padded_sequence"}


def _reversed_numpy(ctx, node) -> bool:
    """``np.sort(...)[::-1]`` / ``np.array(...)[::-1]`` / ``arr[::-1]`` of a
    numpy value: a view with a negative stride."""
    node = A.unparen(node)
    if node.type != syms.power:
        return False
    chain = A.chain_of(node)
    if len(chain) != len(node.children) or not A.is_subscript(chain[-1]):
        return False
    if " ".join(str(chain[-1].children[1]).split()) != "::-1":
        return False
    base = chain[:-1]
    if len(base) == 1:
        return A.is_numpy_name(ctx, base[0])
    probe = A.chain_node(base)
    probe.parent = node
    return A.is_numpy_call(ctx, probe)


def _reversed_view(node) -> bool:
    node = A.unparen(node)
    if node.type != syms.power:
        return False
    chain = A.chain_of(node)
    return A.is_subscript(chain[-1]) and " ".join(str(chain[-1].children[1]).split()) == "::-1"


def _cuda_tensor(ctx, node) -> bool:
    """A tensor moved to the GPU: ``....cuda()`` / ``.to('cuda')``."""
    node = A.unparen(node)
    if node.type != syms.power:
        return False
    chain = A.chain_of(node)
    if len(chain) < 3 or not A.is_call(chain[-1]):
        return False
    meth = A.attr_name(chain[-2])
    if meth == "cuda":
        return True
    return False


def _lengths_binding(ctx, node):
    """The value a lengths name is bound to (one binding), or the node itself."""
    node = A.unparen(node)
    if node.type == token.NAME:
        binds = A.bindings_of(ctx, node)
        if binds and len(binds) == 1 and binds[0][0] == "value":
            return binds[0][1]
        return None
    return node


class PackLengthsFixer(RuleFixer):
    PATTERN = CALL_PATTERN
    TRIGGERS = frozenset({"pack_padded_sequence"})

    def visit(self, node, results) -> None:
        ctx = self.ctx
        for call in iter_calls(ctx, node):
            if call.qual not in _PACK:
                continue
            pos = [a for a in call.args if a.name is None and not a.star]
            lengths = next((a for a in call.args if a.name == "lengths"), None)
            if lengths is None and len(pos) >= 2:
                lengths = pos[1]
            if lengths is None:
                continue
            arg = lengths.value
            value = _lengths_binding(ctx, arg)
            if value is None:
                continue
            shown = text(arg)
            if _reversed_numpy(ctx, value):
                site = value if value is not arg else arg
                new = f"{text(site)}.copy()"
                where = (
                    f"`{shown}` is `{text(value)}`, a reversed numpy view"
                    if value is not arg
                    else f"`{shown}` is a reversed numpy view"
                )

                def fix(site=site, new=new):
                    if text(site).endswith(".copy()"):
                        return False
                    repl = parse_expr(new)
                    repl.prefix = site.prefix
                    site.replace(repl)

                self.report(
                    site,
                    f"`pack_padded_sequence(..., {shown})`: {where} (negative strides), which "
                    "torch refuses since 0.4 (`ValueError: At least one stride in the given numpy "
                    f"array is negative`); `{new}` holds the same lengths in contiguous memory",
                    SAFE,
                    fix=fix,
                    suggestion=new,
                )
            elif _cuda_tensor(ctx, value):
                site = arg
                new = f"{text(arg)}.cpu()"

                def fix2(site=site, new=new):
                    if text(site).endswith(".cpu()"):
                        return False
                    if site.type not in (token.NAME, syms.power):
                        new = f"({text(site)}).cpu()"
                    repl = parse_expr(new)
                    repl.prefix = site.prefix
                    site.replace(repl)

                self.report(
                    arg,
                    f"`pack_padded_sequence(..., {shown})`: the lengths are a CUDA tensor; since "
                    "PyTorch 1.7 they must be a CPU int64 tensor or a list (`RuntimeError: "
                    f"'lengths' argument should be a 1D CPU int64 tensor`); use `{new}`",
                    SAFE,
                    fix=fix2,
                    suggestion=new,
                )
            elif _reversed_view(value):
                self.report(
                    arg,
                    f"`pack_padded_sequence(..., {shown})`: if these lengths are a reversed "
                    "numpy view (negative strides) torch refuses them since 0.4; pass "
                    "`.copy()` of the array, or a list",
                    MANUAL,
                )


class ReversedViewFixer(RuleFixer):
    """``sorted_lengths = np.sort(lens)[::-1]`` passed on to other code (a model
    whose ``forward`` packs the batch) in a file that packs sequences."""

    PATTERN = "expr_stmt< target=NAME '=' value=power >"

    def visit(self, node, results) -> None:
        ctx = self.ctx
        if "pack_padded_sequence" not in ctx.text:
            return
        target, value = results["target"], results["value"]
        if not _reversed_numpy(ctx, value):
            return
        binds = A.bindings_of(ctx, target)
        if not binds or len(binds) != 1:
            return
        passed = self._passed_on(ctx, target)
        if passed is None:
            return
        new = f"{text(value)}.copy()"

        def fix(value=value, new=new):
            if text(value).endswith(".copy()"):
                return False
            repl = parse_expr(new)
            repl.prefix = value.prefix
            value.replace(repl)

        self.report(
            value,
            f"`{target.value} = {text(value)}` is a reversed numpy view (negative strides) and is "
            f"passed to `{passed}(...)` in a file that packs sequences: if it reaches "
            "`pack_padded_sequence` (or any conversion to a tensor), torch refuses it since 0.4 "
            f"(`ValueError: At least one stride in the given numpy array is negative`); `{new}` "
            "holds the same values in contiguous memory",
            SAFE,
            fix=fix,
            suggestion=new,
        )

    @staticmethod
    def _passed_on(ctx, target):
        """The callee of a non-numpy call ``target`` is an argument of."""
        scope = A.scope_of(target)
        for leaf in scope.leaves():
            if leaf.type != token.NAME or leaf.value != target.value or leaf is target:
                continue
            p = leaf.parent
            trailer = (
                p if p.type == syms.trailer else (p.parent if p.type == syms.arglist else None)
            )
            if trailer is None or trailer.type != syms.trailer or trailer.children[0].value != "(":
                continue
            power = trailer.parent
            idx = power.children.index(trailer)
            callee = power.children[:idx]
            q = A.chain_qualname(ctx, callee) or ""
            if q.startswith("numpy.") or q in ("int", "len", "float"):
                continue
            name = "".join(str(c) for c in callee).strip()
            if name in ("int", "len", "float", "print", "list"):
                continue
            return name
        return None


RULE = Rule(
    id="TM212",
    name="pack-lengths",
    short="`pack_padded_sequence` lengths torch refuses today (reversed numpy view, CUDA)",
    summary="Lengths that `pack_padded_sequence` refuses today: reversed numpy views and "
    "CUDA tensors",
    why="""
`pack_padded_sequence(input, lengths)` accepted any sequence of lengths in
0.3 (it iterated over them).  Since 0.4 the lengths become a tensor:
`np.sort(lengths)[::-1]` (the common way to sort a batch by decreasing
length) has negative strides and raises `ValueError: At least one stride in
the given numpy array is negative`; since 1.7 a CUDA tensor of lengths raises
`'lengths' argument should be a 1D CPU int64 tensor`.
""",
    safety=SAFE,
    doc="""
## What it does
For the `lengths` argument of `torch.nn.utils.rnn.pack_padded_sequence`
(positional or keyword; directly or through a name bound once):
- a reversed numpy view (`np.sort(l)[::-1]`, `arr[::-1]` of a numpy array)
  -> `np.sort(l)[::-1].copy()` at the place the view is made;
- a tensor moved with `.cuda()` -> `lengths.cpu()` at the call.
Other `[::-1]` lengths that are not provably numpy are reported.  In a file
that calls `pack_padded_sequence`, a reversed numpy view bound to a name and
passed to other code (typically `model(x, sorted_lengths)`, whose `forward`
packs the batch) gets `.copy()` where it is made, too.

## Fix safety
**Safe**: `.copy()` of a numpy array holds the same values (nothing else
sees the copy); `.cpu()` of the lengths is what `pack_padded_sequence` reads
(the packed data stays on its device).

## Differences from TorchFix
TorchFix has no rule for these arguments.
""",
    examples=(
        Example(
            before=(
                "import numpy as np\n"
                "from torch.nn.utils.rnn import pack_padded_sequence\n"
                "def encode(emb, lengths):\n"
                "    order = np.argsort(lengths)[::-1]\n"
                "    sorted_lengths = np.sort(np.array(lengths))[::-1]\n"
                "    return pack_padded_sequence(emb[order], sorted_lengths, batch_first=True)\n"
            ),
            after=(
                "import numpy as np\n"
                "from torch.nn.utils.rnn import pack_padded_sequence\n"
                "def encode(emb, lengths):\n"
                "    order = np.argsort(lengths)[::-1]\n"
                "    sorted_lengths = np.sort(np.array(lengths))[::-1].copy()\n"
                "    return pack_padded_sequence(emb[order], sorted_lengths, batch_first=True)\n"
            ),
            title="a reversed numpy view",
        ),
        Example(
            before=(
                "import torch\n"
                "import torch.nn as nn\n"
                "def encode(emb, lens):\n"
                "    lengths = torch.LongTensor(lens).cuda()\n"
                "    return nn.utils.rnn.pack_padded_sequence(emb, lengths)\n"
            ),
            after=(
                "import torch\n"
                "import torch.nn as nn\n"
                "def encode(emb, lens):\n"
                "    lengths = torch.LongTensor(lens).cuda()\n"
                "    return nn.utils.rnn.pack_padded_sequence(emb, lengths.cpu())\n"
            ),
            title="CUDA lengths",
        ),
        Example(
            before=(
                "import numpy as np\n"
                "from torch.nn.utils.rnn import pack_padded_sequence\n"
                "class Encoder(object):\n"
                "    def forward(self, emb, lengths):\n"
                "        return pack_padded_sequence(emb, lengths, batch_first=True)\n"
                "def step(model, x, lens):\n"
                "    sorted_lengths = np.sort(lens)[::-1]\n"
                "    return model(x, sorted_lengths)\n"
            ),
            after=(
                "import numpy as np\n"
                "from torch.nn.utils.rnn import pack_padded_sequence\n"
                "class Encoder(object):\n"
                "    def forward(self, emb, lengths):\n"
                "        return pack_padded_sequence(emb, lengths, batch_first=True)\n"
                "def step(model, x, lens):\n"
                "    sorted_lengths = np.sort(lens)[::-1].copy()\n"
                "    return model(x, sorted_lengths)\n"
            ),
            title="a reversed view handed to a model that packs",
        ),
        Example(
            before=(
                "import torch\n"
                "from torch.nn.utils.rnn import pack_padded_sequence\n"
                "def encode(emb, lengths):\n"
                "    return pack_padded_sequence(emb, list(lengths), batch_first=True)\n"
            ),
            title="must not change: a list of lengths",
        ),
    ),
    fixers=(PackLengthsFixer, ReversedViewFixer),
    tokens=("pack_padded_sequence",),
)
