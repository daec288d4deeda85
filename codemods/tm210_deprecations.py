"""TM210 deprecated-2x-apis: other 1.x-2.x deprecations with a direct replacement.

Output style: the smallest change that carries the fix -- a renamed callee
(``nn.utils.parametrizations.weight_norm``, ``nn.NLLLoss``, ``torch.func.vmap``),
an appended keyword (``use_reentrant=True``, ``indexing='ij'``), or a rebuilt
call (``torch.amp.autocast('cuda', ...)``, ``torch.sparse_coo_tensor(...)``).
"""

from __future__ import annotations

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms

from codemods._tm2common import (
    CALL_PATTERN,
    bind,
    chain_with_head,
    iter_calls,
    literal,
    resolve,
    retarget,
    text,
)
from codemods.base import (
    AUTOCAST_DEFAULTS_CALL,
    MANUAL,
    SAFE,
    UNSAFE,
    Example,
    Rule,
    RuleFixer,
    add_kwarg,
    dotted_name,
    ensure_import,
    parse_stmts,
    select_method_pattern,
)

DEFAULT_TYPES = {
    "torch.FloatTensor": ("torch.float32", False),
    "torch.DoubleTensor": ("torch.float64", False),
    "torch.cuda.FloatTensor": ("torch.float32", True),
    "torch.cuda.DoubleTensor": ("torch.float64", True),
}
FUNCTORCH = {
    "vmap",
    "grad",
    "grad_and_value",
    "jacrev",
    "jacfwd",
    "hessian",
    "vjp",
    "jvp",
    "linearize",
    "functional_call",
}
SPARSE = {
    "FloatTensor": "torch.float32",
    "DoubleTensor": "torch.float64",
    "LongTensor": "torch.int64",
    "IntTensor": "torch.int32",
    "ByteTensor": "torch.uint8",
    "HalfTensor": "torch.float16",
}


class _Base(RuleFixer):
    PATTERN = CALL_PATTERN

    def head_fix(self, site, new: str, msg: str, safety: str, needs_torch: bool = True) -> None:
        power, index, tree = site.power, site.index, self.ctx.tree

        def build(power=power, index=index, new=new):
            return chain_with_head(power, index, new)

        def fix(power=power, build=build, tree=tree):
            repl = build()
            repl.prefix = power.prefix
            power.replace(repl)
            if needs_torch and new.startswith("torch."):
                ensure_import(tree, "torch")

        self.report(power, msg, safety, fix=fix, suggestion=str(build()).strip())

    def kw_fix(self, site, name: str, value: str, msg: str, safety: str) -> None:
        trailer = site.trailer

        def fix(trailer=trailer):
            if f"{name}=" in str(trailer):
                return False
            add_kwarg(trailer, name, value)

        args = ", ".join(text(a.node) for a in site.args)
        self.report(
            site.power,
            msg,
            safety,
            fix=fix,
            suggestion=f"{site.callee}({args}{', ' if args else ''}{name}={value})",
        )

    def rename_fix(self, site, new_qual: str, msg: str, safety: str) -> None:
        new_callee, needs = retarget(self.ctx, site.callee, site.qual, new_qual)
        args = "".join(str(c) for c in site.trailer.children[1:-1])
        self.head_fix(site, f"{new_callee}({args})", msg, safety, needs_torch=needs)


class DefaultTensorTypeFixer(_Base):
    TRIGGERS = frozenset({"set_default_tensor_type"})

    def visit(self, node, results) -> None:
        for site in iter_calls(self.ctx, node):
            if site.qual != "torch.set_default_tensor_type":
                continue
            arg = site.args[0].value if len(site.args) == 1 and site.args[0].name is None else None
            val = literal(arg) if arg is not None else None
            if isinstance(val, str):
                key = val
            elif arg is not None and dotted_name(arg):
                key = self._resolve(dotted_name(arg))
            else:
                key = None
            if key not in DEFAULT_TYPES:
                self.report(
                    node,
                    "torch.set_default_tensor_type is deprecated since 2.1: use "
                    "torch.set_default_dtype(<float dtype>) and, for CUDA tensor types, "
                    "torch.set_default_device('cuda')",
                    MANUAL,
                )
                continue
            dtype, cuda = DEFAULT_TYPES[key]
            if not cuda:
                self.head_fix(
                    site,
                    f"torch.set_default_dtype({dtype})",
                    f"torch.set_default_tensor_type({key}) is deprecated since 2.1: "
                    f"torch.set_default_dtype({dtype}) sets the same default dtype (the device "
                    "default stays the CPU)",
                    SAFE,
                )
                continue
            self.report(
                node,
                f"torch.set_default_tensor_type({key}) is deprecated since 2.1, and no modern call "
                f"is equivalent: `torch.set_default_dtype({dtype})` + "
                "`torch.set_default_device('cuda')` differs in three ways (checked on 2.13): the "
                "device default does not reach the legacy constructors (`torch.Tensor(n)`, "
                "`torch.FloatTensor(...)` stay on the CPU, so a model built from them ends up split "
                "across CPU and CUDA), it is thread-local (DataLoader workers and other threads "
                "create CPU tensors), and it also moves `torch.arange`/`torch.tensor`/... "
                "everywhere. The legacy call still works on 2.13 (with a warning): keep it, or "
                f"make the placement explicit -- `torch.set_default_dtype({dtype})`, a "
                "`device = torch.device('cuda')`, `model.to(device)`, and `device=device` on the "
                "tensors this file creates",
                MANUAL,
                suggestion=f"torch.set_default_dtype({dtype}); explicit device=... / .to(device)",
            )

    def _resolve(self, name: str) -> str:
        return resolve(self.ctx, name)


def _autocast_defaults_changed(ctx) -> bool:
    """The file, or a module of its project, changes autocast's default dtype
    or caching (``torch.set_autocast_dtype('cuda', torch.bfloat16)``)."""
    project = getattr(ctx, "project", None)
    if project is not None and getattr(project, "autocast_defaults", False):
        return True
    return "set_autocast_" in ctx.text and AUTOCAST_DEFAULTS_CALL.search(ctx.text) is not None


class AmpFixer(_Base):
    TRIGGERS = frozenset({"autocast", "GradScaler"})

    def visit(self, node, results) -> None:
        for site in iter_calls(self.ctx, node):
            q = site.qual
            if q not in (
                "torch.cuda.amp.autocast",
                "torch.cuda.amp.GradScaler",
                "torch.cuda.amp.autocast_mode.autocast",
            ):
                continue
            if q.endswith("autocast"):
                b = bind(site.args, ["enabled", "dtype", "cache_enabled"])
                if b is None:
                    self.report(
                        node,
                        "torch.cuda.amp.autocast(...) is deprecated: use torch.amp.autocast('cuda', ...)",
                        MANUAL,
                    )
                    continue
                given = {
                    k: text(b[k].value) for k in ("enabled", "dtype", "cache_enabled") if k in b
                }
                if _autocast_defaults_changed(self.ctx):
                    # torch.cuda.amp.autocast passed these; torch.amp.autocast
                    # reads the defaults the program changes
                    given.setdefault("dtype", "torch.float16")
                    given.setdefault("cache_enabled", "True")
                kws = "".join(
                    f", {k}={given[k]}" for k in ("enabled", "dtype", "cache_enabled") if k in given
                )
                new = f"torch.amp.autocast('cuda'{kws})"
                what = "autocast"
            else:
                if any(a.star for a in site.args):
                    self.report(
                        node,
                        "torch.cuda.amp.GradScaler(...) is deprecated: use torch.amp.GradScaler('cuda', ...)",
                        MANUAL,
                    )
                    continue
                args = ", ".join(text(a.node) for a in site.args)
                new = f"torch.amp.GradScaler('cuda'{', ' if args else ''}{args})"
                what = "GradScaler"
            self.head_fix(
                site,
                new,
                f"torch.cuda.amp.{what} is deprecated since 2.4 (FutureWarning): torch.amp.{what}('cuda', ...) "
                "is the same object with the device type first (positional autocast arguments become keywords)",
                SAFE,
            )


class WeightNormFixer(_Base):
    TRIGGERS = frozenset({"weight_norm"})

    def visit(self, node, results) -> None:
        for site in iter_calls(self.ctx, node):
            if site.qual not in (
                "torch.nn.utils.weight_norm",
                "torch.nn.utils.weight_norm.weight_norm",
            ):
                continue
            msg = (
                "torch.nn.utils.weight_norm is deprecated: torch.nn.utils.parametrizations.weight_norm "
                "computes the same reparametrisation, but the parameters move from `weight_g`/`weight_v` to "
                "`parametrizations.weight.original0/original1` (old state dicts still load through a "
                "compatibility hook; code reading `.weight_g`/`.weight_v` and remove_weight_norm() break)"
            )
            t = self.ctx.text
            if "weight_g" in t or "weight_v" in t or "remove_weight_norm" in t:
                self.report(
                    node,
                    msg + ". This file uses weight_g/weight_v/remove_weight_norm: port those too "
                    "(torch.nn.utils.parametrize.remove_parametrizations(m, 'weight'))",
                    MANUAL,
                )
                continue
            self.rename_fix(site, "torch.nn.utils.parametrizations.weight_norm", msg, UNSAFE)


class BackwardHookFixer(RuleFixer):
    PATTERN = select_method_pattern("register_backward_hook")

    def visit(self, node, results) -> None:
        if "function_call" not in results:
            return
        self.report(
            node,
            "Module.register_backward_hook is deprecated: its hook sees the gradients of the LAST "
            "operation of forward() only (wrong for modules with several ops). "
            "register_full_backward_hook(hook) calls the hook with the module's real grad_input / "
            "grad_output; port the hook body by hand (it may rely on the old partial values)",
            MANUAL,
        )


class CheckpointFixer(_Base):
    TRIGGERS = frozenset({"checkpoint", "checkpoint_sequential"})

    def visit(self, node, results) -> None:
        for site in iter_calls(self.ctx, node):
            if site.qual not in (
                "torch.utils.checkpoint.checkpoint",
                "torch.utils.checkpoint.checkpoint_sequential",
            ):
                continue
            if any(a.name == "use_reentrant" or a.star == "**" for a in site.args):
                continue
            if site.qual.endswith("_sequential") and (
                sum(a.name is None for a in site.args) >= 4 or any(a.star for a in site.args)
            ):
                continue  # use_reentrant is checkpoint_sequential's 4th positional parameter
            self.kw_fix(
                site,
                "use_reentrant",
                "True",
                f"{site.callee}() without use_reentrant warns since 2.1 (and the default will change to "
                "False): use_reentrant=True keeps the implementation legacy code ran with",
                SAFE,
            )


class MeshgridFixer(_Base):
    TRIGGERS = frozenset({"meshgrid"})

    def visit(self, node, results) -> None:
        for site in iter_calls(self.ctx, node):
            if site.qual != "torch.meshgrid" or any(
                a.name == "indexing" or a.star == "**" for a in site.args
            ):
                continue
            self.kw_fix(
                site,
                "indexing",
                "'ij'",
                "torch.meshgrid without indexing warns since 1.10 (the default will change): "
                "indexing='ij' is the behaviour legacy code got",
                SAFE,
            )


class AssertAllcloseFixer(_Base):
    TRIGGERS = frozenset({"assert_allclose"})

    def visit(self, node, results) -> None:
        for site in iter_calls(self.ctx, node):
            if site.qual != "torch.testing.assert_allclose":
                continue
            b = bind(site.args, ["actual", "expected", "rtol", "atol", "equal_nan", "msg"])
            if b is None or "expected" not in b:
                self.report(
                    node,
                    "torch.testing.assert_allclose is deprecated: use torch.testing.assert_close",
                    MANUAL,
                )
                continue
            parts = [text(b["actual"].value), text(b["expected"].value)]
            for k in ("rtol", "atol", "msg"):
                if k in b:
                    parts.append(f"{k}={text(b[k].value)}")
            parts.append(
                f"equal_nan={text(b['equal_nan'].value)}" if "equal_nan" in b else "equal_nan=True"
            )
            parts.append("check_dtype=False")
            self.head_fix(
                site,
                "torch.testing.assert_close(" + ", ".join(parts) + ")",
                "torch.testing.assert_allclose is deprecated (FutureWarning): assert_close uses the "
                "same dtype-based default tolerances, but defaults to equal_nan=False and "
                "check_dtype=True, so both are passed to keep the old checks; it does not convert "
                "non-tensor `expected` values to the actual's dtype like assert_allclose did",
                UNSAFE,
            )


class NLLLoss2dFixer(_Base):
    TRIGGERS = frozenset({"NLLLoss2d"})

    def visit(self, node, results) -> None:
        for site in iter_calls(self.ctx, node):
            if site.qual != "torch.nn.NLLLoss2d":
                continue
            self.rename_fix(
                site,
                "torch.nn.NLLLoss",
                "nn.NLLLoss2d is deprecated: it is nn.NLLLoss (which handles (N, C, H, W) input) with a warning",
                SAFE,
            )


class SparseCtorFixer(_Base):
    TRIGGERS = frozenset(SPARSE)

    def visit(self, node, results) -> None:
        for site in iter_calls(self.ctx, node):
            q = site.qual or ""
            if not (q.startswith("torch.sparse.") or q.startswith("torch.cuda.sparse.")):
                continue
            kind = q.rsplit(".", 1)[-1]
            if kind not in SPARSE:
                continue
            pos = [a for a in site.args if a.name is None and not a.star]
            if q.startswith("torch.cuda.") or len(pos) != 3 or len(site.args) != 3:
                self.report(
                    node,
                    f"{site.callee}(...) is a legacy constructor: use torch.sparse_coo_tensor(indices, "
                    f"values, size, dtype={SPARSE[kind]}) (device='cuda' for torch.cuda.sparse types)",
                    MANUAL,
                )
                continue
            i, v, s = (text(a.value) for a in pos)
            self.head_fix(
                site,
                f"torch.sparse_coo_tensor({i}, {v}, {s}, dtype={SPARSE[kind]})",
                f"{site.callee}(indices, values, size) is a legacy constructor (TypedStorage-era API): "
                f"torch.sparse_coo_tensor(..., dtype={SPARSE[kind]}) builds the same uncoalesced "
                "tensor; unlike the legacy constructor it converts values of another dtype instead "
                "of raising",
                UNSAFE,
            )


class StorageFixer(_Base):
    TRIGGERS = frozenset({"storage"})

    def dynamic_triggers(self, index) -> set:
        """``torch.XStorage``: every name of the file ending in ``Storage``,
        and local names imported from such a name."""
        out = {k for k in index.by_value if k.endswith("Storage")}
        out.update(k for k, v in self.ctx.imports.items() if v.endswith("Storage"))
        return out

    def visit(self, node, results) -> None:
        for site in iter_calls(self.ctx, node):
            q = site.qual or ""
            if (
                q.startswith("torch.")
                and q.endswith("Storage")
                and q.count(".") in (1, 2)
                and q != "torch.UntypedStorage"
            ):
                msg = f"{site.callee} (TypedStorage) is deprecated: use torch.UntypedStorage or plain tensors"
            elif (
                site.method == "storage"
                and not site.args
                and site.receiver
                and site.is_last is not None
            ):
                if site.callee and site.callee.split(".")[0] in self.ctx.imports:
                    continue
                msg = (
                    f"`{site.receiver_text}.storage()` returns a deprecated TypedStorage (warns): "
                    "use `.untyped_storage()` (byte-addressed: sizes/offsets are in bytes, not "
                    "elements) or data_ptr()"
                )
            else:
                continue
            self.report(node, msg, MANUAL)


class FunctorchFixer(_Base):
    TRIGGERS = frozenset({"functorch"})

    def dynamic_triggers(self, index) -> set:
        """Local names bound to functorch or something in it."""
        return {k for k, v in self.ctx.imports.items() if v.split(".", 1)[0] == "functorch"}

    def visit(self, node, results) -> None:
        for site in iter_calls(self.ctx, node):
            q = site.qual or ""
            if not q.startswith("functorch."):
                continue
            name = q[len("functorch.") :]
            if name in FUNCTORCH and "." not in (site.callee or "") and self._imports_ok():
                continue  # the from-import is rewritten instead (FunctorchImportFixer)
            if name in FUNCTORCH:
                self.rename_fix(
                    site,
                    f"torch.func.{name}",
                    f"functorch.{name} is deprecated since 2.0: torch.func.{name} is the same transform",
                    SAFE,
                )
            elif name in (
                "make_functional",
                "make_functional_with_buffers",
                "combine_state_for_ensemble",
            ):
                self.report(
                    node,
                    f"functorch.{name} is deprecated and has no drop-in replacement: use "
                    "torch.func.functional_call (and torch.func.stack_module_state for ensembles)",
                    MANUAL,
                )

    def _imports_ok(self) -> bool:
        cached = self.ctx.cache.get("tm210.functorch")
        if cached is None:
            cached = True
            for n in self.ctx.tree.pre_order():
                if n.type == syms.import_from and str(n.children[1]).strip() == "functorch":
                    names = _imported_names(
                        n.children[3] if n.children[3].type != token.LPAR else n.children[4]
                    )
                    if not names or any(x not in FUNCTORCH for x in names):
                        cached = False
            self.ctx.cache["tm210.functorch"] = cached
        return cached


class FunctorchImportFixer(RuleFixer):
    PATTERN = "import_from< 'from' module='functorch' 'import' ['('] names=any [')'] >"

    def visit(self, node, results) -> None:
        names = _imported_names(results["names"])
        if not names or any(n not in FUNCTORCH for n in names):
            return
        module = results["module"]

        def fix(module=module):
            if module.value != "functorch":
                return False
            new = parse_stmts("from torch.func import x\n")[0].children[0].children[1]
            new.remove()
            new.prefix = module.prefix
            module.replace(new)

        self.report(
            node,
            "functorch is deprecated since 2.0: the same transforms live in torch.func",
            SAFE,
            fix=fix,
            suggestion=str(node).strip().replace("functorch", "torch.func", 1),
        )


def _imported_names(names) -> list:
    if names.type == token.NAME:
        return [names.value]
    out = []
    for c in names.children if names.type == syms.import_as_names else [names]:
        if c.type == token.NAME:
            out.append(c.value)
        elif c.type == syms.import_as_name:
            out.append(c.children[0].value)
    return out


RULE = Rule(
    id="TM210",
    name="deprecated-2x-apis",
    short="API deprecated or removed in PyTorch 1.x-2.x",
    summary="Replace other 1.x-2.x deprecated APIs (default tensor type, cuda.amp, weight_norm, checkpoint, meshgrid, ...)",
    why=(
        "Each of these warns on 2.13: `set_default_tensor_type` (deprecated 2.1), "
        "`torch.cuda.amp.autocast/GradScaler` (2.4), `nn.utils.weight_norm` (2.1), "
        "`register_backward_hook`, `checkpoint` without `use_reentrant` (2.1), `meshgrid` "
        "without `indexing` (1.10), `testing.assert_allclose` (1.12), `nn.NLLLoss2d`, legacy "
        "`torch.sparse.FloatTensor` constructors and TypedStorage, and `functorch.*` (2.0)."
    ),
    safety=SAFE,
    doc="""
## What it does
| legacy | modern | class |
|---|---|---|
| `set_default_tensor_type('torch.FloatTensor')` / `torch.DoubleTensor` | `set_default_dtype(torch.float32/float64)` | safe |
| `set_default_tensor_type('torch.cuda.FloatTensor')` | reported: `set_default_device('cuda')` is not equivalent (legacy constructors stay on the CPU, thread-local); keep the call or place tensors explicitly | manual |
| `torch.cuda.amp.autocast(...)` / `GradScaler(...)` | `torch.amp.autocast('cuda', ...)` / `torch.amp.GradScaler('cuda', ...)` (with `dtype=torch.float16, cache_enabled=True` spelled out when the file or its project calls `set_autocast_dtype`/`set_autocast_cache_enabled`: `torch.amp.autocast` follows those, `torch.cuda.amp.autocast` passed float16 and caching) | safe |
| `nn.utils.weight_norm(m)` | `nn.utils.parametrizations.weight_norm(m)` | unsafe (manual when the file touches `weight_g`/`weight_v`/`remove_weight_norm`) |
| `m.register_backward_hook(h)` | `register_full_backward_hook` (different semantics) | manual |
| `checkpoint(f, x)` | `checkpoint(f, x, use_reentrant=True)` | safe |
| `torch.meshgrid(a, b)` | `torch.meshgrid(a, b, indexing='ij')` | safe |
| `torch.testing.assert_allclose(a, e)` | `assert_close(a, e, equal_nan=True, check_dtype=False)` | unsafe |
| `nn.NLLLoss2d(...)` | `nn.NLLLoss(...)` | safe |
| `torch.sparse.FloatTensor(i, v, size)` | `torch.sparse_coo_tensor(i, v, size, dtype=torch.float32)` | unsafe |
| `torch.FloatStorage(...)`, `x.storage()` | `untyped_storage()` (byte-based) | manual |
| `functorch.vmap/grad/jacrev/...`, `from functorch import vmap` | `torch.func.*` | safe |

`pack_padded_sequence` without `enforce_sorted` is deliberately not
reported: legacy code had to sort the lengths (0.4 required it) and 2.13's
default `enforce_sorted=True` keeps that contract, raising loudly on unsorted
lengths -- nothing changes silently.  `x.T` on tensors with ndim != 2 is not
reported yet (the ndim is rarely provable).

## Fix safety
See the table.  `use_reentrant=True` and `indexing='ij'` spell out the
behaviour legacy code got; `torch.amp.*('cuda')` are the same classes;
`NLLLoss2d` is a subclass of `NLLLoss` that only adds a warning.  weight_norm
changes parameter names; `assert_close` does not convert non-tensor expected
values; `sparse_coo_tensor` converts values of another dtype where the legacy
constructor raised.

## Differences from TorchFix
TorchFix's deprecated-symbols table renames `torch.testing.assert_allclose` to
`assert_close` without keeping `equal_nan=True` (NaNs then fail comparisons
that used to pass) and `nn.utils.weight_norm` as a plain rename; we keep the
old checks explicitly and classify the weight_norm rename as unsafe.  It
handles `functorch.*` the same way.
""",
    examples=(
        Example(
            before=(
                "import torch\nfrom torch.utils.checkpoint import checkpoint\n"
                "y = checkpoint(block, x)\ngx, gy = torch.meshgrid(a, b)\n"
            ),
            after=(
                "import torch\nfrom torch.utils.checkpoint import checkpoint\n"
                "y = checkpoint(block, x, use_reentrant=True)\ngx, gy = torch.meshgrid(a, b, indexing='ij')\n"
            ),
            title="explicit legacy defaults",
        ),
        Example(
            before="import torch\nwith torch.cuda.amp.autocast():\n    pass\nscaler = torch.cuda.amp.GradScaler()\n",
            after="import torch\nwith torch.amp.autocast('cuda'):\n    pass\nscaler = torch.amp.GradScaler('cuda')\n",
            title="cuda.amp",
        ),
        Example(
            before=(
                "import torch\ntorch.set_autocast_dtype('cuda', torch.bfloat16)\n"
                "with torch.cuda.amp.autocast():\n    pass\n"
            ),
            after=(
                "import torch\ntorch.set_autocast_dtype('cuda', torch.bfloat16)\n"
                "with torch.amp.autocast('cuda', dtype=torch.float16, cache_enabled=True):\n"
                "    pass\n"
            ),
            title="the program changes autocast's defaults: cuda.amp's float16 and caching spelled out",
        ),
        Example(
            before=(
                "from torch.utils.checkpoint import checkpoint_sequential\n"
                "out = checkpoint_sequential(blocks, 2, x, False)\n"
            ),
            title="use_reentrant given by position (checkpoint_sequential's 4th parameter)",
        ),
        Example(
            before="import torch.nn as nn\nlayer = nn.utils.weight_norm(nn.Linear(2, 2))\n",
            after="import torch.nn as nn\nlayer = nn.utils.parametrizations.weight_norm(nn.Linear(2, 2))\n",
            unsafe_fixes=True,
            title="weight_norm (unsafe)",
        ),
        Example(
            before="import torch\ntorch.set_default_tensor_type('torch.cuda.FloatTensor')\n",
            unsafe_fixes=True,
            findings=("manual",),
            title="cuda default tensor type: reported, no equivalent rewrite",
        ),
        Example(
            before="import torch\nm.register_backward_hook(hook)\n",
            findings=("manual",),
            title="backward hooks are reported",
        ),
        Example(
            before="from functorch import vmap, grad\nf = vmap(grad(g))\n",
            after="from torch.func import vmap, grad\nf = vmap(grad(g))\n",
            title="functorch import",
        ),
        Example(
            before="import numpy as np\ngx, gy = np.meshgrid(a, b)\n",
            title="numpy meshgrid: untouched",
        ),
    ),
    fixers=(
        DefaultTensorTypeFixer,
        AmpFixer,
        WeightNormFixer,
        BackwardHookFixer,
        CheckpointFixer,
        MeshgridFixer,
        AssertAllcloseFixer,
        NLLLoss2dFixer,
        SparseCtorFixer,
        StorageFixer,
        FunctorchFixer,
        FunctorchImportFixer,
    ),
    tokens=(
        "set_default_tensor_type",
        "amp",
        "weight_norm",
        "register_backward_hook",
        "checkpoint",
        "meshgrid",
        "assert_allclose",
        "NLLLoss2d",
        "sparse",
        "Storage",
        "storage(",
        "functorch",
    ),
)
