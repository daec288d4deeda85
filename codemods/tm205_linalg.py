"""TM205 linalg: removed/deprecated linear-algebra functions -> ``torch.linalg``.

Output style: the call (and, for functions that returned a tuple of which
only the first item is used, the ``[0]`` / ``X, _ =`` around it) is replaced
by the modern expression; arguments are re-emitted as written, reordered
where the new function swapped them.  ``U, S, V = torch.svd(A)`` becomes
``U, S, V = torch.linalg.svd(A, full_matrices=False)`` followed by
``V = V.mH`` on the next line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf

from codemods._tm2common import (
    CALL_PATTERN,
    NOTLIT,
    Arg,
    bind,
    chain_with_head,
    iter_calls,
    literal,
    operand,
    text,
)
from codemods.analysis import rank_of, tensor_kind
from codemods.base import (
    MANUAL,
    SAFE,
    UNSAFE,
    Example,
    Rule,
    RuleFixer,
    ensure_import,
    indentation_of,
    parse_stmts,
)


@dataclass
class Out:
    new: Optional[str]  # None: manual
    safety: str
    msg: str
    shape: str = "direct"  # 'direct' | 'first' (old returned a tuple, new its first item) | 'svd'
    svdvals: Optional[str] = None


SIGS = {
    "gesv": ["input", "A"],
    "solve": ["input", "A"],
    "potrf": ["input", "upper"],
    "cholesky": ["input", "upper"],
    "potrs": ["input", "input2", "upper"],
    "potri": ["input", "upper"],
    "pstrf": ["input", "upper", "tol"],
    "trtrs": ["input", "A", "upper", "transpose", "unitriangular"],
    "triangular_solve": ["input", "A", "upper", "transpose", "unitriangular"],
    "gels": ["input", "A"],
    "lstsq": ["input", "A"],
    "symeig": ["input", "eigenvectors", "upper"],
    "eig": ["input", "eigenvectors"],
    "matrix_rank": ["input", "tol", "symmetric"],
    "btrifact": ["input", "pivot"],
    "btrifact_with_info": ["input", "pivot"],
    "lu": ["input", "pivot", "get_infos"],
    "btrisolve": ["input", "LU_data", "LU_pivots"],
    "lu_solve": ["input", "LU_data", "LU_pivots"],
    "qr": ["input", "some"],
    "svd": ["input", "some", "compute_uv"],
    "ger": ["input", "vec2"],
    "norm": ["input", "p", "dim", "keepdim", "out", "dtype"],
}
# Method names that only torch tensors ever had: an unknown receiver is still
# almost certainly a tensor (one safety class lower).  The others need a
# receiver that is provably a tensor (``x.norm`` / ``self.norm`` are common
# non-tensor names).
DISTINCT = {
    "gesv",
    "potrf",
    "potrs",
    "potri",
    "pstrf",
    "trtrs",
    "gels",
    "symeig",
    "btrifact",
    "btrifact_with_info",
    "btrisolve",
    "ger",
    "triangular_solve",
    "lu_solve",
    "matrix_rank",
    "lstsq",
}
REMOVED = "removed from torch (AttributeError/RuntimeError on 2.13)"


def _lit(b, name, default=NOTLIT):
    a = b.get(name)
    if a is None:
        return default
    return literal(a.value)


def _t(b, name) -> str:
    return text(b[name].value)


def _o(b, name) -> str:
    return operand(b[name].value)


def _bool(b, name, default: bool):
    v = _lit(b, name, default)
    return v if isinstance(v, bool) else None


def handle(fn: str, b: dict) -> Out:
    if fn in ("gesv", "solve"):
        return Out(
            f"torch.linalg.solve({_t(b, 'A')}, {_t(b, 'input')})",
            UNSAFE,
            f"torch.{fn}(B, A) is {REMOVED}: torch.linalg.solve(A, B) takes the arguments in "
            "the opposite order and returns only X (the old call returned (X, LU)); a 2-D B "
            "with batched A may now be read as a batch of vectors",
            "first",
        )
    if fn in ("potrf", "cholesky"):
        upper = _bool(b, "upper", fn == "potrf")
        if upper is None:
            return Out(
                None,
                MANUAL,
                f"torch.{fn} with a non-literal `upper`: use torch.linalg.cholesky(A) (lower) and `.mH` of it when upper",
            )
        default = "upper=True by default" if fn == "potrf" else "upper=False by default"
        if upper:
            return Out(
                f"torch.linalg.cholesky({_t(b, 'input')}).mH",
                UNSAFE,
                f"torch.{fn}(A) ({default}) returns the upper factor U = L^H: "
                "torch.linalg.cholesky(A).mH gives the same values, as a non-contiguous view "
                "(in-place ops / .view() on it behave differently)",
            )
        return Out(
            f"torch.linalg.cholesky({_t(b, 'input')})",
            SAFE,
            f"torch.{fn}(A, upper=False) is deprecated/removed: torch.linalg.cholesky(A) returns the same lower factor",
        )
    if fn == "potrs":
        up = "True" if "upper" not in b else _t(b, "upper")
        return Out(
            f"torch.cholesky_solve({_t(b, 'input')}, {_t(b, 'input2')}, upper={up})",
            SAFE,
            "torch.potrs(b, u) (upper=True by default) was removed in 1.2: torch.cholesky_solve "
            "has the same arguments but defaults to upper=False, so upper is passed explicitly",
        )
    if fn == "potri":
        up = "True" if "upper" not in b else _t(b, "upper")
        return Out(
            f"torch.cholesky_inverse({_t(b, 'input')}, upper={up})",
            SAFE,
            "torch.potri(u) (upper=True by default) was removed in 1.2: torch.cholesky_inverse "
            "defaults to upper=False, so upper is passed explicitly",
        )
    if fn == "pstrf":
        return Out(
            None,
            MANUAL,
            "torch.pstrf (pivoted Cholesky) was removed in 1.2 and has no torch replacement: use scipy.linalg.lapack.dpstrf or rewrite",
        )
    if fn in ("trtrs", "triangular_solve"):
        upper = _bool(b, "upper", True)
        trans = _bool(b, "transpose", False)
        unit = _lit(b, "unitriangular", False)
        if upper is None or trans is None:
            return Out(
                None,
                MANUAL,
                f"torch.{fn} with non-literal upper/transpose: use torch.linalg.solve_triangular(A, b, upper=...) (use A.mT and flip upper for transpose=True)",
            )
        a = _o(b, "A") + ".mT" if trans else _t(b, "A")
        up = (not upper) if trans else upper
        extra = ""
        if unit is not False:
            extra = ", unitriangular=" + (_t(b, "unitriangular"))
        return Out(
            f"torch.linalg.solve_triangular({a}, {_t(b, 'input')}, upper={up}{extra})",
            UNSAFE,
            f"torch.{fn}(b, A) (upper=True by default) is deprecated/removed: "
            "torch.linalg.solve_triangular(A, b, upper=...) swaps the arguments, needs upper as a "
            "keyword and returns only X (the old call returned (X, A clone))",
            "first",
        )
    if fn in ("gels", "lstsq"):
        return Out(
            f"torch.linalg.lstsq({_t(b, 'A')}, {_t(b, 'input')}).solution",
            UNSAFE,
            f"torch.{fn}(B, A) is {REMOVED}: torch.linalg.lstsq(A, B).solution swaps the "
            "arguments and returns exactly n = A.size(1) rows; the old X had max(m, n) rows "
            "(rows n: held residual information), so X[:A.size(1)] is now just X. For a "
            "rank-deficient A the default driver ('gelsy') may pick a different solution than "
            "the old QR-based gels",
            "first",
        )
    if fn == "symeig":
        upper = _bool(b, "upper", True)
        vecs = _bool(b, "eigenvectors", False)
        if upper is None or vecs is None:
            return Out(
                None,
                MANUAL,
                "torch.symeig with non-literal eigenvectors/upper: use torch.linalg.eigh(A, UPLO='U') / torch.linalg.eigvalsh(A, UPLO='U')",
            )
        uplo = "'U'" if upper else "'L'"
        if vecs:
            return Out(
                f"torch.linalg.eigh({_t(b, 'input')}, UPLO={uplo})",
                UNSAFE,
                "torch.symeig was removed in 2.0: torch.linalg.eigh returns the same (eigenvalues, "
                "eigenvectors); symeig read the UPPER triangle by default, eigh the lower, so "
                f"UPLO={uplo} is passed explicitly (eigenvector signs are not unique)",
            )
        return Out(
            f"torch.linalg.eigvalsh({_t(b, 'input')}, UPLO={uplo})",
            UNSAFE,
            "torch.symeig(A) (eigenvectors=False) was removed in 2.0 and returned (eigenvalues, "
            "empty tensor): torch.linalg.eigvalsh returns the eigenvalues; symeig read the "
            f"UPPER triangle by default, so UPLO={uplo} is passed explicitly",
            "first",
        )
    if fn == "eig":
        vecs = _bool(b, "eigenvectors", False)
        if vecs is not False:
            return Out(
                None,
                MANUAL,
                "torch.eig(A, eigenvectors=True) was removed in 1.13: torch.linalg.eig(A) returns complex eigenvectors, while the old ones were packed into real columns (conjugate pairs as real/imag parts); rewrite the code that reads them",
            )
        return Out(
            f"torch.view_as_real(torch.linalg.eigvals({_t(b, 'input')}))",
            UNSAFE,
            "torch.eig(A) was removed in 1.13 and returned eigenvalues as a real (n, 2) tensor "
            "(real, imag): torch.view_as_real(torch.linalg.eigvals(A)) gives the same layout "
            "(check the dtype/ordering assumptions of the code that reads it)",
            "first",
        )
    if fn == "matrix_rank":
        extra = ""
        if "tol" in b and _lit(b, "tol") is not None:
            extra += f", atol={_t(b, 'tol')}, rtol=0.0"
        sym = _lit(b, "symmetric", False)
        if sym is True:
            extra += ", hermitian=True"
        elif sym is not False:
            extra += f", hermitian={_t(b, 'symmetric')}"
        return Out(
            f"torch.linalg.matrix_rank({_t(b, 'input')}{extra})",
            UNSAFE,
            "torch.matrix_rank was removed in 1.13: torch.linalg.matrix_rank uses an rtol-based "
            "default tolerance (an explicit tol becomes atol=tol, rtol=0), so ranks of nearly "
            "singular matrices can differ",
        )
    if fn in ("btrifact", "btrifact_with_info", "lu"):
        infos = fn == "btrifact_with_info"
        if fn == "lu":
            g = _bool(b, "get_infos", False)
            if g is None:
                return Out(
                    None,
                    MANUAL,
                    "torch.lu with a non-literal get_infos: use torch.linalg.lu_factor(A) or torch.linalg.lu_factor_ex(A)",
                )
            infos = g
        piv = ""
        if "pivot" in b:
            piv = f", pivot={_t(b, 'pivot')}"
        if infos:
            return Out(
                f"torch.linalg.lu_factor_ex({_t(b, 'input')}{piv})",
                SAFE,
                f"torch.{fn} is deprecated/removed: torch.linalg.lu_factor_ex returns the same "
                "packed LU factorisation, int32 pivots and infos",
            )
        # not lu_factor: it raises on a singular matrix, which torch.lu factorises
        return Out(
            f"torch.linalg.lu_factor_ex({_t(b, 'input')}{piv})[:2]",
            SAFE,
            f"torch.{fn} is deprecated/removed: torch.linalg.lu_factor_ex(A)[:2] returns the same "
            "packed LU factorisation and int32 pivots and, like it, does not raise on a singular "
            "matrix (torch.linalg.lu_factor does)",
        )
    if fn in ("btrisolve", "lu_solve"):
        return Out(
            f"torch.linalg.lu_solve({_t(b, 'LU_data')}, {_t(b, 'LU_pivots')}, {_t(b, 'input')})",
            UNSAFE,
            f"torch.{fn}(b, LU, pivots) is deprecated/removed: torch.linalg.lu_solve(LU, pivots, B) "
            "takes B last and requires a matrix B (..., n, k): a batch of vectors (B, n) needs "
            "B.unsqueeze(-1) and .squeeze(-1) on the result",
        )
    if fn == "qr":
        some = _lit(b, "some", True)
        if some is True:
            new = f"torch.linalg.qr({_t(b, 'input')})"
        elif some is False:
            new = f"torch.linalg.qr({_t(b, 'input')}, mode='complete')"
        else:
            new = f"torch.linalg.qr({_t(b, 'input')}, mode='reduced' if {_t(b, 'some')} else 'complete')"
        return Out(
            new,
            SAFE,
            "torch.qr(A, some) is deprecated: torch.linalg.qr(A, mode) returns the same (Q, R); some=True is mode='reduced', some=False mode='complete'",
        )
    if fn == "svd":
        cu = _lit(b, "compute_uv", True)
        some = _lit(b, "some", True)
        fm = (
            "False"
            if some is True
            else "True"
            if some is False
            else f"not {operand(b['some'].value)}"
        )
        vals = f"torch.linalg.svdvals({_t(b, 'input')})"
        if cu is not True:
            return Out(
                None,
                MANUAL,
                f"torch.svd(A, compute_uv=False) returned zero-filled U and V: use `{vals}` for the singular values",
                svdvals=vals,
            )
        return Out(
            f"torch.linalg.svd({_t(b, 'input')}, full_matrices={fm})",
            UNSAFE,
            "torch.svd(A, some) is deprecated: torch.linalg.svd(A, full_matrices=not some) returns "
            "Vh = V^H instead of V, so the third result is converted back with .mH",
            "svd",
            svdvals=vals,
        )
    if fn == "ger":
        return Out(
            f"torch.outer({_t(b, 'input')}, {_t(b, 'vec2')})",
            SAFE,
            "torch.ger is deprecated: torch.outer is the same function",
        )
    if fn == "norm":
        if "out" in b:
            return Out(
                None,
                MANUAL,
                "torch.norm(..., out=) is deprecated: use torch.linalg.vector_norm / matrix_norm with out=",
            )
        p = _lit(b, "p", "fro")
        rest = ""
        for k in ("dim", "keepdim", "dtype"):
            if k in b:
                rest += f", {k}={_t(b, k)}"
        x = _t(b, "input")
        if p == "fro" or p is None:
            return Out(
                f"torch.linalg.vector_norm({x}{rest})",
                SAFE,
                "torch.norm is deprecated: with p='fro' (the default) it computes the 2-norm of the "
                "flattened input (over `dim` if given), which is torch.linalg.vector_norm (ord=2); "
                "torch.linalg.norm would compute a matrix norm instead",
            )
        if p == "nuc":
            # an explicit dim=None (all dims: the matrix of a 2-D input) is
            # matrix_norm's default dims; matrix_norm rejects dim=None itself
            rest = "".join(
                f", {k}={_t(b, k)}"
                for k in ("dim", "keepdim", "dtype")
                if k in b and not (k == "dim" and _t(b, k) == "None")
            )
            return Out(
                f"torch.linalg.matrix_norm({x}, ord='nuc'{rest})",
                SAFE,
                "torch.norm(A, 'nuc') is deprecated: torch.linalg.matrix_norm(A, ord='nuc') is the same nuclear norm",
            )
        if isinstance(p, (int, float)) and not isinstance(p, bool):
            return Out(
                f"torch.linalg.vector_norm({x}, ord={_t(b, 'p')}{rest})",
                SAFE,
                f"torch.norm(A, p={_t(b, 'p')}) is deprecated: a numeric p is the vector p-norm of the "
                "flattened input (over `dim` if given) = torch.linalg.vector_norm; "
                "torch.linalg.norm(A, ord=2) on a matrix would be the spectral norm",
            )
        return Out(
            f"torch.linalg.vector_norm({x}, ord={_t(b, 'p')}{rest})",
            UNSAFE,
            "torch.norm is deprecated: for a numeric p it is torch.linalg.vector_norm of the "
            "flattened input; if p can be 'fro' use ord=2, if 'nuc' torch.linalg.matrix_norm",
        )
    raise KeyError(fn)  # pragma: no cover


def _lower(safety: str) -> str:
    return UNSAFE if safety == SAFE else safety


def _name_uses(stmt_scope, name: str) -> int:
    return sum(1 for leaf in stmt_scope.leaves() if leaf.type == token.NAME and leaf.value == name)


def _scope(node):
    cur = node.parent
    while cur is not None and cur.type not in (syms.funcdef, syms.file_input):
        cur = cur.parent
    return cur


class LinalgFixer(RuleFixer):
    PATTERN = CALL_PATTERN
    TRIGGERS = frozenset(SIGS) | {"chain_matmul"}

    def visit(self, node, results) -> None:
        for site in iter_calls(self.ctx, node):
            fn = None
            args = site.args
            lower = False
            if site.qual and site.qual.startswith("torch.") and site.qual[6:] in SIGS:
                fn = site.qual[6:]
            elif site.qual and site.qual == "torch.chain_matmul":
                self._chain(site)
                continue
            elif site.is_method(self.ctx, SIGS):
                fn = site.method
                recv_node = site.receiver_node(node)
                if fn not in DISTINCT:
                    if tensor_kind(self.ctx, recv_node) is None:
                        continue
                else:
                    lower = tensor_kind(self.ctx, recv_node) is None
                args = [Arg(None, recv_node, recv_node)] + list(args)
            if fn is None:
                continue
            b = bind(args, SIGS[fn])
            try:
                out = handle(fn, b) if b is not None and "input" in b else None
            except KeyError:  # a required argument is missing (e.g. `torch.gesv(B)`)
                out = None
            if out is None:
                self.report(
                    node,
                    f"`{fn}`: deprecated/removed linear-algebra call with arguments that cannot be mapped mechanically; see `torchmigrate explain TM205`",
                    MANUAL,
                )
                continue
            if lower:
                out.safety = _lower(out.safety)
                out.msg += " (the receiver is not provably a tensor)"
            if fn == "potrs" and out.safety == SAFE:
                rank = rank_of(self.ctx, b["input"].value, node)
                if rank is None or rank < 2:
                    out.safety = UNSAFE
                    out.msg += (
                        "; a 1-D b was read as one column by potrs (the result had shape "
                        "(n, 1)), but torch.cholesky_solve raises on it: pass b.unsqueeze(-1) "
                        "when b may be a vector (b is not provably 2-D or more here)"
                    )
            self._apply(node, site, fn, out)

    # ------------------------------------------------------------------
    def _chain(self, site) -> None:
        pos = [a for a in site.args if a.name is None and not a.star]
        if len(pos) != len(site.args) or len(pos) < 2:
            self.report(
                site.power,
                "torch.chain_matmul is deprecated: use torch.linalg.multi_dot([...]) (it needs at least two matrices; unpack starred arguments into a list)",
                MANUAL,
            )
            return
        new = "torch.linalg.multi_dot([" + ", ".join(text(a.value) for a in pos) + "])"
        self._direct(
            site,
            new,
            SAFE,
            "torch.chain_matmul is deprecated: torch.linalg.multi_dot takes the matrices as one list and computes the same product",
        )

    def _direct(self, site, new: str, safety: str, msg: str, upto: Optional[int] = None) -> None:
        power, index = site.power, site.index if upto is None else upto
        tree = self.ctx.tree

        def build(power=power, index=index, new=new):
            return chain_with_head(power, index, new)

        def fix(power=power, build=build):
            repl = build()
            repl.prefix = power.prefix
            power.replace(repl)
            ensure_import(tree, "torch")

        self.report(power, msg, safety, fix=fix, suggestion=str(build()).strip())

    def _apply(self, node, site, fn, out: Out) -> None:
        if out.new is None:
            self.report(node, out.msg, MANUAL, suggestion=out.svdvals)
            return
        if out.shape == "direct":
            self._direct(site, out.new, out.safety, out.msg)
            return
        kids = node.children
        nxt = kids[site.index + 1] if site.index + 1 < len(kids) else None
        idx = (
            literal(nxt.children[1])
            if nxt is not None and nxt.type == syms.trailer and nxt.children[0].type == token.LSQB
            else NOTLIT
        )
        if out.shape == "first" and idx == 0 and not isinstance(idx, bool):
            self._direct(site, out.new, out.safety, out.msg, upto=site.index + 1)
            return
        if out.shape == "svd" and idx == 1 and not isinstance(idx, bool):
            self._direct(
                site,
                out.svdvals,
                UNSAFE,
                out.msg + "; only the singular values are used: torch.linalg.svdvals",
                upto=site.index + 1,
            )
            return
        parent = node.parent
        if (
            nxt is None
            and parent is not None
            and parent.type == syms.expr_stmt
            and len(parent.children) == 3
            and parent.children[1].type == token.EQUAL
            and parent.children[2] is node
        ):
            target = parent.children[0]
            names = (
                [c for c in target.children if c.type != token.COMMA]
                if target.type in (syms.testlist_star_expr, syms.exprlist, syms.testlist)
                else []
            )
            if all(isinstance(n, Leaf) and n.type == token.NAME for n in names):
                if out.shape == "first" and len(names) == 2:
                    second = names[1].value
                    if second == "_" or _name_uses(_scope(node), second) == 1:
                        self._unpack_first(node, parent, names[0].value, out)
                        return
                if out.shape == "svd" and len(names) == 3:
                    stmt = parent.parent
                    if (
                        stmt.type == syms.simple_stmt
                        and len(stmt.children) == 2
                        and stmt.parent.type in (syms.suite, syms.file_input)
                    ):
                        self._svd(node, stmt, names[2].value, out)
                        return
        if out.shape == "first":
            msg = (
                out.msg
                + f"; the result is used as a tuple here: use `{out.new}` for the first item and rewrite the code that reads the others"
            )
        else:
            msg = out.msg + f"; use `U, S, Vh = {out.new}` and `V = Vh.mH`"
        self.report(node, msg, MANUAL, suggestion=out.new)

    def _unpack_first(self, node, expr_stmt, first: str, out: Out) -> None:
        tree = self.ctx.tree
        new = out.new

        def fix(node=node, expr_stmt=expr_stmt):
            target = expr_stmt.children[0]
            leaf = Leaf(token.NAME, first, prefix=target.prefix)
            target.replace(leaf)
            repl = chain_with_head(node, len(node.children) - 1, new)
            repl.prefix = node.prefix
            node.replace(repl)
            ensure_import(tree, "torch")

        self.report(
            node,
            out.msg + "; the unused second result is dropped",
            out.safety,
            fix=fix,
            suggestion=f"{first} = {new}",
        )

    def _svd(self, node, stmt, vname: str, out: Out) -> None:
        tree = self.ctx.tree
        new = out.new

        def fix(node=node, stmt=stmt):
            indent = indentation_of(stmt)
            repl = chain_with_head(node, len(node.children) - 1, new)
            repl.prefix = node.prefix
            node.replace(repl)
            if vname != "_":
                extra = parse_stmts(f"{vname} = {vname}.mH\n")[0]
                extra.prefix = indent
                parent = stmt.parent
                parent.insert_child(parent.children.index(stmt) + 1, extra)
            ensure_import(tree, "torch")

        self.report(node, out.msg, out.safety, fix=fix, suggestion=f"{new}; {vname} = {vname}.mH")


RULE = Rule(
    id="TM205",
    name="linalg",
    short="removed or deprecated linear-algebra function: its `torch.linalg` form",
    summary="Replace removed/deprecated linear-algebra functions with their exact `torch.linalg` forms",
    why=(
        "`gesv`, `potrf`, `potrs`, `potri`, `pstrf`, `trtrs`, `btrifact`, `btrisolve` were removed "
        "in 1.2 and `gels` in 1.3 (AttributeError on 2.13); `solve`, `eig`, `lstsq`, "
        "`matrix_rank` were removed in 1.13 and `symeig` in 2.0 (RuntimeError: 'This function "
        "was deprecated since version 1.9 and is now removed'); `cholesky`, "
        "`triangular_solve`, `lu`, `lu_solve`, `qr`, `chain_matmul` warn; `svd`, `ger` and "
        "`norm` are documented as deprecated."
    ),
    safety=UNSAFE,
    doc="""
## What it does
Maps every legacy linear-algebra call (function form `torch.f(...)`, and the
tensor-method form `A.f(...)`) to the modern expression that computes the same
values:

| legacy | modern | class |
|---|---|---|
| `gesv(B, A)[0]`, `solve(B, A)[0]`, `X, _ = solve(B, A)` | `linalg.solve(A, B)` | unsafe |
| `potrf(A)` (upper=True), `cholesky(A, upper=True)` | `linalg.cholesky(A).mH` | unsafe |
| `potrf(A, upper=False)`, `cholesky(A)` | `linalg.cholesky(A)` | safe |
| `potrs(b, u)` with `b` provably 2-D or more / `potri(u)` | `cholesky_solve(b, u, upper=True)` / `cholesky_inverse(u, upper=True)` | safe |
| `potrs(b, u)` with a `b` of unknown rank | `cholesky_solve(b, u, upper=True)` (a 1-D `b` raises now; `potrs` read it as one column) | unsafe |
| `trtrs(b, A)[0]`, `triangular_solve(b, A)[0]` | `linalg.solve_triangular(A, b, upper=True)` (transpose → `A.mT`, flipped upper) | unsafe |
| `gels(B, A)[0]`, `lstsq(B, A)[0]` | `linalg.lstsq(A, B).solution` | unsafe |
| `symeig(A)[0]` / `symeig(A, eigenvectors=True)` | `linalg.eigvalsh(A, UPLO='U')` / `linalg.eigh(A, UPLO='U')` | unsafe |
| `eig(A)[0]` | `view_as_real(linalg.eigvals(A))` | unsafe |
| `matrix_rank(A[, tol, symmetric])` | `linalg.matrix_rank(A[, atol=tol, rtol=0.0, hermitian=])` | unsafe |
| `btrifact(A)`, `lu(A)` / `lu(A, get_infos=True)` | `linalg.lu_factor_ex(A)[:2]` (not `lu_factor`: it raises on a singular matrix) / `linalg.lu_factor_ex(A)` | safe |
| `btrisolve(b, LU, p)`, `lu_solve(b, LU, p)` | `linalg.lu_solve(LU, p, b)` | unsafe |
| `qr(A[, some])` | `linalg.qr(A[, mode='complete'])` | safe |
| `U, S, V = svd(A)` | `U, S, V = linalg.svd(A, full_matrices=False)` + `V = V.mH` | unsafe |
| `svd(A)[1]` | `linalg.svdvals(A)` | unsafe |
| `chain_matmul(a, b, c)` | `linalg.multi_dot([a, b, c])` | safe |
| `ger(a, b)` | `outer(a, b)` | safe |
| `norm(A)`, `norm(A, 'fro')`, `norm(A, p=<number>, dim, keepdim)` | `linalg.vector_norm(A[, ord=p], dim, keepdim)` | safe |
| `norm(A, 'nuc')` | `linalg.matrix_norm(A, ord='nuc')` | safe |

Every mapping was checked numerically on torch 2.13 against the old
definition (the legacy function where 2.13 still has it, otherwise the old
semantics written out by hand).

## Fix safety
Single-name renames with identical results are `safe`.  Anything that swaps
arguments, changes the return value (tuple → tensor, V → Vh, padded → exact
lstsq rows, (n,2) real eigenvalues), changes a tolerance or returns a
non-contiguous view (`.mH`) is `unsafe`.  When the old call returned a tuple
and the code uses more than its first item (`X, LU = torch.gesv(B, A)` with LU
used, `torch.eig(A, eigenvectors=True)`), or arguments are non-literal where
the mapping depends on them, the site is `manual` with the replacement in the
message.  Method forms (`A.potrf()`) are one class lower when the receiver is
not provably a tensor; method names that non-tensors commonly have (`norm`,
`solve`, `qr`, `svd`, `eig`, `lu`, `cholesky`) are only handled when the
receiver is provably a tensor (`self.norm(x)` is usually a LayerNorm).

## Differences from TorchFix
TorchFix's deprecated-symbols table replaces several of these by name only:
it maps `torch.norm` to `torch.linalg.norm`, which is the *spectral* norm for
`p=2` on a matrix (2.716 vs 2.120 on the same input), and `torch.solve` /
`lstsq` / `symeig` without swapping arguments, dropping the tuple, or passing
`UPLO='U'`.  We emit the exact equivalent or report.
""",
    examples=(
        Example(
            before="import torch\nX = torch.gesv(B, A)[0]\n",
            after="import torch\nX = torch.linalg.solve(A, B)\n",
            unsafe_fixes=True,
            title="gesv: swapped arguments, first result",
        ),
        Example(
            before="import torch\nL = torch.potrf(A, upper=False)\nU = torch.cholesky(A, upper=True)\n",
            after="import torch\nL = torch.linalg.cholesky(A)\nU = torch.cholesky(A, upper=True)\n",
            findings=("unsafe",),
            title="Cholesky: safe lower factor, upper reported",
        ),
        Example(
            before="import torch\nU, S, V = torch.svd(A)\n",
            after="import torch\nU, S, V = torch.linalg.svd(A, full_matrices=False)\nV = V.mH\n",
            unsafe_fixes=True,
            title="svd returns Vh",
        ),
        Example(
            before="import torch\nX, LU = torch.gesv(B, A)\nprint(LU)\n",
            unsafe_fixes=True,
            findings=("manual",),
            title="both results used: manual",
        ),
        Example(
            before="import torch\nn = torch.norm(w, 2, 1, True)\nm = torch.chain_matmul(a, b, c)\n",
            after=(
                "import torch\nn = torch.linalg.vector_norm(w, ord=2, dim=1, keepdim=True)\n"
                "m = torch.linalg.multi_dot([a, b, c])\n"
            ),
            title="norm and chain_matmul",
        ),
        Example(
            before="import numpy as np\nn = np.linalg.norm(w)\ny = self.norm(x)\nq, r = np.linalg.qr(a)\n",
            title="numpy and non-tensor receivers: untouched",
        ),
    ),
    fixers=(LinalgFixer,),
    tokens=(
        "gesv",
        "solve",
        "potr",
        "pstrf",
        "trtrs",
        "gels",
        "lstsq",
        "symeig",
        "eig(",
        "matrix_rank",
        "btri",
        "lu(",
        "qr(",
        "svd(",
        "chain_matmul",
        "ger(",
        "norm(",
        "cholesky(",
    ),
)
