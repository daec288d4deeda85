"""TM2xx rewrites checked numerically with real torch: the migrated code is
executed and compared with the legacy function (where 2.13 still has it) or
with the old definition written out by hand."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import codemods
from torchmigrate.engine import migrate


def migrated(src: str, *rule_ids: str) -> str:
    rules = [codemods.get_rule(r) for r in rule_ids]
    result = migrate(src, rules, unsafe_fixes=True)
    assert not result.errors, result.errors
    return result.new


def run(src: str, **inputs):
    ns = {"torch": torch, "np": np, "math": math, **inputs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(src, "<migrated>", "exec"), ns)
    return ns


def close(a, b, tol=1e-9):
    a = a.detach().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def spd(n=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    m = torch.randn(n, n, generator=g, dtype=torch.float64)
    return m @ m.T + n * torch.eye(n, dtype=torch.float64)


def rnd(*shape, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64)


# --------------------------------------------------------------------------
# TM201: the per-epoch learning rates of the moved loop equal pre-1.1's
# --------------------------------------------------------------------------
def _pre11_lrs(closed_form, epochs):
    """Pre-1.1: __init__ did step(0) then reset last_epoch to -1; the loop
    calls step() first, then trains with closed_form(last_epoch)."""
    last_epoch = -1
    out = []
    for _ in range(epochs):
        last_epoch += 1
        out.append(closed_form(last_epoch))
    return out


SCHEDULERS = [
    ("lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)", lambda e: 1.0 * 0.1 ** (e // 2)),
    (
        "lr_scheduler.MultiStepLR(opt, milestones=[1, 3], gamma=0.5)",
        lambda e: 0.5 ** sum(e >= m for m in (1, 3)),
    ),
    ("lr_scheduler.ExponentialLR(opt, gamma=0.9)", lambda e: 0.9**e),
    ("lr_scheduler.LambdaLR(opt, lambda e: 1.0 / (e + 1))", lambda e: 1.0 / (e + 1)),
    (
        "lr_scheduler.CosineAnnealingLR(opt, T_max=5)",
        lambda e: (1 + math.cos(math.pi * e / 5)) / 2,
    ),
]


@pytest.mark.parametrize(("ctor", "closed"), SCHEDULERS)
def test_tm201_moved_step_reproduces_pre_1_1_lrs(ctor, closed):
    legacy = (
        "import torch\n"
        "from torch.optim import lr_scheduler\n"
        "w = torch.nn.Parameter(torch.zeros(1))\n"
        "opt = torch.optim.SGD([w], lr=1.0)\n"
        f"sched = {ctor}\n"
        "seen = []\n"
        "def train():\n"
        "    seen.append(opt.param_groups[0]['lr'])\n"
        "    opt.step()\n"
        "for epoch in range(7):\n"
        "    sched.step()\n"
        "    train()\n"
    )
    new = migrated(legacy, "TM201")
    assert new.rstrip().endswith("    sched.step()")
    ns = run(new)
    np.testing.assert_allclose(ns["seen"], _pre11_lrs(closed, 7), rtol=1e-12)
    # the unmigrated loop on 2.13 is one step ahead: that is the bug being fixed
    ns_old = run(legacy)
    np.testing.assert_allclose(ns_old["seen"], _pre11_lrs(closed, 8)[1:], rtol=1e-12)


def test_tm201_get_last_lr_is_pre_1_1_get_lr():
    legacy = (
        "import torch\n"
        "from torch.optim.lr_scheduler import StepLR\n"
        "w = torch.nn.Parameter(torch.zeros(1))\n"
        "opt = torch.optim.SGD([w], lr=1.0)\n"
        "sched = StepLR(opt, 1, 0.1)\n"
        "printed = []\n"
        "for epoch in range(4):\n"
        "    sched.step()\n"
        "    printed.append(sched.get_lr()[0])\n"
        "    opt.step()\n"
    )
    new = migrated(legacy, "TM201")
    assert "get_last_lr()" in new
    ns = run(new)
    # pre-1.1 printed the LR the epoch trained with: 1, 0.1, 0.01, 0.001
    np.testing.assert_allclose(ns["printed"], [1.0, 0.1, 0.01, 0.001], rtol=1e-12)


# --------------------------------------------------------------------------
# TM205 linalg
# --------------------------------------------------------------------------
def test_tm205_gesv_solve():
    A, B = spd(), rnd(4, 3)
    for legacy in (
        "X = torch.gesv(B, A)[0]\n",
        "X, _ = torch.solve(B, A)\n",
        "X, LU = torch.gesv(B, A)\n",
    ):
        new = migrated("import torch\n" + legacy, "TM205")
        assert "linalg.solve(A, B)" in new
        close(run(new, A=A, B=B)["X"], np.linalg.solve(A.numpy(), B.numpy()))


def test_tm205_cholesky_family():
    A = spd()
    ns = run(
        migrated("import torch\nU = torch.potrf(A)\nL = torch.potrf(A, upper=False)\n", "TM205"),
        A=A,
    )
    U, L = ns["U"], ns["L"]
    assert torch.equal(U, torch.triu(U)) and bool((torch.diagonal(U) > 0).all())
    close(U.T @ U, A)
    close(L @ L.T, A)
    # torch.cholesky still exists (warns): compare directly
    for legacy in ("R = torch.cholesky(A)\n", "R = torch.cholesky(A, upper=True)\n"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            old = run("import torch\n" + legacy, A=A)["R"]
        close(run(migrated("import torch\n" + legacy, "TM205"), A=A)["R"], old)
    b = rnd(4, 2)
    ns = run(
        migrated(
            "import torch\nU = torch.potrf(A)\nx = torch.potrs(b, U)\nAi = torch.potri(U)\n",
            "TM205",
        ),
        A=A,
        b=b,
    )
    close(ns["x"], np.linalg.solve(A.numpy(), b.numpy()))
    close(ns["Ai"], np.linalg.inv(A.numpy()))


def test_tm205_triangular():
    A = torch.tril(spd())
    b = rnd(4, 2)
    ns = run(
        migrated(
            "import torch\nx = torch.trtrs(b, A, upper=False)[0]\n"
            "y, _ = torch.trtrs(b, A, upper=False, transpose=True)\n",
            "TM205",
        ),
        A=A,
        b=b,
    )
    close(ns["x"], np.linalg.solve(A.numpy(), b.numpy()))
    close(ns["y"], np.linalg.solve(A.numpy().T, b.numpy()))
    U = A.T.contiguous()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old = torch.triangular_solve(b, U)[0]
    close(
        run(migrated("import torch\nx = torch.triangular_solve(b, U)[0]\n", "TM205"), b=b, U=U)[
            "x"
        ],
        old,
    )


def test_tm205_lstsq_matches_old_padded_definition():
    A, B = rnd(6, 3), rnd(6, 2, seed=3)
    ns = run(
        migrated(
            "import torch\nsol, _ = torch.gels(B, A)\nX = torch.lstsq(B, A)[0][:A.size(1)]\n",
            "TM205",
        ),
        A=A,
        B=B,
    )
    expected = np.linalg.lstsq(A.numpy(), B.numpy(), rcond=None)[0]  # old X[:n]
    close(ns["sol"], expected, 1e-8)
    close(ns["X"], expected, 1e-8)


def test_tm205_symeig_reads_upper_triangle():
    M = rnd(4, 4, seed=5)  # NOT symmetric: the triangle matters
    upper_sym = torch.triu(M) + torch.triu(M, 1).T
    ns = run(
        migrated(
            "import torch\ne = torch.symeig(M)[0]\nw, V = torch.symeig(M, eigenvectors=True)\n",
            "TM205",
        ),
        M=M,
    )
    close(ns["e"], np.linalg.eigvalsh(upper_sym.numpy()))
    close(ns["w"], np.linalg.eigvalsh(upper_sym.numpy()))
    close(ns["V"] @ torch.diag(ns["w"]) @ ns["V"].T, upper_sym)


def test_tm205_eig_real_pairs():
    M = rnd(4, 4, seed=7)
    e = run(migrated("import torch\ne, _ = torch.eig(M)\n", "TM205"), M=M)["e"]
    assert e.shape == (4, 2) and e.dtype == torch.float64
    ref = np.linalg.eigvals(M.numpy())
    got = e[:, 0].numpy() + 1j * e[:, 1].numpy()
    np.testing.assert_allclose(np.sort_complex(got), np.sort_complex(ref), atol=1e-10)


@pytest.mark.parametrize(
    "legacy",
    [
        "R = torch.qr(A)\n",
        "R = torch.qr(A, some=False)\n",
        "R = torch.lu(A)\n",
        "R = torch.lu(A, get_infos=True)\n",
        "R = torch.chain_matmul(A, A.T, A)\n",
        "R = torch.ger(A[0], A[1])\n",
        "R = torch.norm(A)\n",
        "R = torch.norm(A, 'fro')\n",
        "R = torch.norm(A, p=2)\n",
        "R = torch.norm(A, 1, dim=1)\n",
        "R = torch.norm(A, float('inf'), 0, True)\n",
        "R = torch.norm(A, 'nuc')\n",
        "R = torch.svd(A)[1]\n",
    ],
)
def test_tm205_against_legacy_functions_still_in_2_13(legacy):
    A = rnd(5, 4, seed=11)
    src = "import torch\n" + legacy
    old = run(src, A=A)["R"]
    new_src = migrated(src, "TM205")
    assert new_src != src
    new = run(new_src, A=A)["R"]
    old = old if isinstance(old, tuple) else (old,)
    new = new if isinstance(new, tuple) else (new,)
    assert len(old) == len(new)
    for o, n in zip(old, new):
        close(n, o, 1e-10)


# Found by a property audit against torch 2.13: ``torch.lu`` factorises a
# singular matrix (0.3's ``btrifact`` too) where ``torch.linalg.lu_factor``
# raises, and ``matrix_norm`` rejects the ``dim=None`` that ``torch.norm``
# reads as "all dims".
@pytest.mark.parametrize(
    "legacy",
    ["R = torch.lu(S)\n", "LU, piv = torch.lu(S)\nR = (LU, piv)\n", "R = torch.lu(S)[0]\n"],
)
def test_tm205_lu_of_a_singular_matrix_still_factorises(legacy):
    S = torch.zeros(3, 3, dtype=torch.float64)
    S[0, 0] = 1.0
    src = "import torch\n" + legacy
    old = run(src, S=S)["R"]
    new = run(migrated(src, "TM205"), S=S)["R"]
    old = old if isinstance(old, tuple) else (old,)
    new = new if isinstance(new, tuple) else (new,)
    assert len(old) == len(new)
    for o, n in zip(old, new):
        assert torch.equal(o, n)


def test_tm205_nuclear_norm_with_dim_none():
    A = rnd(5, 4, seed=3)
    src = "import torch\nR = torch.norm(A, p='nuc', dim=None)\n"
    new_src = migrated(src, "TM205")
    assert "dim=None" not in new_src
    close(run(new_src, A=A)["R"], run(src, A=A)["R"], 1e-12)


def test_tm205_svd_v_and_lu_solve():
    A = rnd(5, 4, seed=13)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        U0, S0, V0 = torch.svd(A)
    ns = run(migrated("import torch\nU, S, V = torch.svd(A)\n", "TM205"), A=A)
    close(ns["U"], U0, 1e-10)
    close(ns["S"], S0, 1e-10)
    close(ns["V"], V0, 1e-10)
    M, b = spd(), rnd(4, 2)
    LU, piv = torch.linalg.lu_factor(M)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old = torch.lu_solve(b, LU, piv)
    new = run(
        migrated("import torch\nx = torch.lu_solve(b, LU, piv)\n", "TM205"), b=b, LU=LU, piv=piv
    )["x"]
    close(new, old)


def test_tm205_matrix_rank_full_rank():
    A = rnd(5, 4, seed=17)
    r = run(migrated("import torch\nr = torch.matrix_rank(A)\n", "TM205"), A=A)["r"]
    assert int(r) == np.linalg.matrix_rank(A.numpy())


# --------------------------------------------------------------------------
# TM206 torch.range
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        "torch.range(0, 9)",
        "torch.range(1, 10, 3)",
        "torch.range(0, 11, 3)",
        "torch.range(5, 0, -1)",
        "torch.range(10, 1, -4)",
        "torch.range(0, 9, dtype=torch.long)",
        "torch.range(a, b)",
        "torch.range(a, b, s)",
        "torch.range(0.5, 2.5, 0.5)",
        "torch.range(-1, 1, 0.25)",
    ],
)
def test_tm206_same_values_and_dtype(call):
    src = f"import torch\nr = {call}\n"
    inputs = {"a": 2, "b": 7, "s": 0.5}
    old = run(src, **inputs)["r"]
    new = run(migrated(src, "TM206"), **inputs)["r"]
    assert old.dtype == new.dtype
    assert torch.equal(old, new), (old, new)


# --------------------------------------------------------------------------
# TM209 FFT against the old definitions (numpy)
# --------------------------------------------------------------------------
def _old_rfft(x, nd, normalized=False, onesided=True):
    axes = tuple(range(-nd, 0))
    f = np.fft.rfftn if onesided else np.fft.fftn
    out = f(x.numpy(), axes=axes, norm="ortho" if normalized else None)
    return np.stack([out.real, out.imag], -1)


@pytest.mark.parametrize(
    ("call", "nd", "normalized", "onesided"),
    [
        ("torch.rfft(x, 1)", 1, False, True),
        ("torch.rfft(x, 1, normalized=True)", 1, True, True),
        ("torch.rfft(x, 2)", 2, False, True),
        ("torch.rfft(x, 3)", 3, False, True),
        ("torch.rfft(x, 1, onesided=False)", 1, False, False),
        ("torch.rfft(x, 2, True, False)", 2, True, False),
    ],
)
def test_tm209_rfft(call, nd, normalized, onesided):
    x = rnd(2, 3, 4, 6)
    r = run(migrated(f"import torch\nr = {call}\n", "TM209"), x=x)["r"]
    close(r, _old_rfft(x, nd, normalized, onesided), 1e-10)


def test_tm209_irfft_and_fft_round_trip():
    x = rnd(3, 8)
    src = (
        "import torch\nX = torch.rfft(x, 1)\ny = torch.irfft(X, 1, signal_sizes=(8,))\n"
        "Z = torch.fft(X2, 1)\nW = torch.ifft(Z, 1)\n"
    )
    X2 = torch.stack([x, rnd(3, 8, seed=2)], -1)
    ns = run(migrated(src, "TM209"), x=x, X2=X2)
    close(ns["y"], x, 1e-10)
    ref = np.fft.fft(X2[..., 0].numpy() + 1j * X2[..., 1].numpy())
    close(ns["Z"], np.stack([ref.real, ref.imag], -1), 1e-10)
    close(ns["W"], X2, 1e-10)


def test_tm209_method_forms_on_provable_tensors():
    # gpytorch 0.1's utils/fft.py: ``complex_input.fft(1)``; Tensor.fft and
    # friends were removed with the functions (AttributeError on 2.13)
    src = (
        "import torch\n"
        "def fft1(inp):\n"
        "    c = torch.stack((inp, torch.zeros_like(inp)), -1)\n"
        "    return c.fft(1), c.ifft(1)\n"
        "def rfft1(inp):\n"
        "    r = torch.cat((inp,), 0)\n"
        "    return r.rfft(1)\n"
        "F, I = fft1(x)\nR = rfft1(x)\n"
    )
    x = rnd(3, 8)
    out = migrated(src, "TM209")
    assert ".fft(1)" not in out and ".ifft(1)" not in out and ".rfft(1)" not in out
    ns = run(out, x=x)
    ref = np.fft.fft(x.numpy())
    close(ns["F"], np.stack([ref.real, ref.imag], -1), 1e-10)
    iref = np.fft.ifft(x.numpy())
    close(ns["I"], np.stack([iref.real, iref.imag], -1), 1e-10)
    close(ns["R"], _old_rfft(x, 1), 1e-10)
    # a receiver that is not provably a tensor is only reported
    res = migrate(
        "import torch\ndef f(obj):\n    return obj.fft(1)\n", [codemods.get_rule("TM209")]
    )
    assert "obj.fft(1)" in res.new and [f.safety for f in res.findings] == ["manual"]
    # numpy's module function is not a tensor method
    res = migrate("import numpy as np\nimport torch\ny = np.fft(x)\n", [codemods.get_rule("TM209")])
    assert res.new.endswith("y = np.fft(x)\n") and not res.findings


def test_tm209_stft_layout():
    x = rnd(64)
    ns = run(
        migrated(
            "import torch\nS = torch.stft(x, 16, 4, window=torch.hann_window(16, dtype=torch.float64))\n",
            "TM209",
        ),
        x=x,
    )
    ref = torch.stft(
        x, 16, 4, window=torch.hann_window(16, dtype=torch.float64), return_complex=True
    )
    close(ns["S"], torch.view_as_real(ref))


# --------------------------------------------------------------------------
# TM203 integer division: trunc, negatives included
# --------------------------------------------------------------------------
def test_tm203_truncates_like_old_integer_division():
    src = "import torch\na = torch.LongTensor([7, -7, 5, -5, 0])\nb = torch.LongTensor([2, 2, -3, -3, 4])\nq = a / b\nr = a.div(2)\na /= 3\n"
    ns = run(migrated(src, "TM203"))
    old_q = [int(x / y) for x, y in zip([7, -7, 5, -5, 0], [2, 2, -3, -3, 4])]
    assert ns["q"].tolist() == old_q and ns["q"].dtype == torch.int64
    assert ns["r"].tolist() == [int(x / 2) for x in [7, -7, 5, -5, 0]]
    assert ns["a"].tolist() == [int(x / 3) for x in [7, -7, 5, -5, 0]]


# --------------------------------------------------------------------------
# TM210
# --------------------------------------------------------------------------
def test_tm210_sparse_ctor_and_assert_close():
    i = torch.tensor([[0, 1, 1], [2, 0, 2]])
    v = torch.tensor([3.0, 4.0, 5.0])
    src = "import torch\nS = torch.sparse.FloatTensor(i, v, torch.Size([2, 3]))\n"
    old = run(src, i=i, v=v)["S"]
    new = run(migrated(src, "TM210"), i=i, v=v)["S"]
    assert new.dtype == old.dtype and new.is_coalesced() == old.is_coalesced()
    assert torch.equal(new.to_dense(), old.to_dense())
    nan = torch.tensor([1.0, float("nan")])
    src = "import torch\ntorch.testing.assert_allclose(a, b)\n"
    run(src, a=nan, b=nan.clone())  # legacy: NaNs compare equal
    run(migrated(src, "TM210"), a=nan, b=nan.clone())  # still passes
    run(migrated(src, "TM210"), a=torch.ones(2), b=torch.ones(2, dtype=torch.float64))


def test_tm210_meshgrid_and_checkpoint_keep_results():
    a, b = torch.arange(3.0), torch.arange(4.0)
    src = "import torch\ngx, gy = torch.meshgrid(a, b)\n"
    old = run(src, a=a, b=b)
    new = run(migrated(src, "TM210"), a=a, b=b)
    assert torch.equal(old["gx"], new["gx"]) and torch.equal(old["gy"], new["gy"])


# --------------------------------------------------------------------------
# TM212: pack_padded_sequence lengths (issue 10 item 12)
# --------------------------------------------------------------------------
PACK = """
import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.manual_seed(0)
lengths = [2, 5, 3]
order = np.argsort(lengths)[::-1].copy()
sorted_lengths = np.sort(np.array(lengths))[::-1]
emb = torch.randn(3, 5, 4)[torch.from_numpy(order)]
packed = pack_padded_sequence(emb, sorted_lengths, batch_first=True)
out, lens = pad_packed_sequence(packed, batch_first=True)
RESULT = [packed.data.tolist(), packed.batch_sizes.tolist(), out.tolist(), lens.tolist()]
"""


def test_tm212_reversed_numpy_lengths_pack_like_0_3():
    from tests.codemods.legacy_exec import pair

    legacy, modern, new = pair(PACK, "TM212")
    assert "sorted_lengths = np.sort(np.array(lengths))[::-1].copy()" in new
    assert legacy == modern
    with pytest.raises(ValueError):
        run(PACK)  # what the unmigrated code does on 2.13


# --------------------------------------------------------------------------
# TM201 against the legacy (pre-1.1) scheduler semantics of the harness's
# legacy runtime (issue 10 item 3)
# --------------------------------------------------------------------------
TWO_SCHEDULERS = """
import torch
from torch.autograd import Variable
from torch.optim import lr_scheduler

w = torch.nn.Parameter(torch.zeros(1))
v = torch.nn.Parameter(torch.zeros(1))
optG = torch.optim.SGD([w], lr=1.0)
optD = torch.optim.SGD([v], lr=0.5)
schedG = lr_scheduler.StepLR(optG, step_size=1, gamma=0.5)
schedD = lr_scheduler.ExponentialLR(optD, gamma=0.9)
seen = []
for epoch in range(5):
    {start}
    for it in range(2):
        loss = (Variable(torch.ones(1)) * w).sum() + (v * 2).sum()
        loss.backward()
        optG.step()
        optD.step()
        seen.append((optG.param_groups[0]['lr'], optD.param_groups[0]['lr']))
    {end}
RESULT = seen
"""


def _program(at_start: bool) -> str:
    steps = "schedG.step()\n    schedD.step()"
    src = TWO_SCHEDULERS.replace("{start}", steps if at_start else "pass")
    return src.replace("{end}", "pass" if at_start else steps)


def test_tm201_two_schedulers_at_the_top_move_together_and_keep_pre_1_1_lrs():
    from tests.codemods.legacy_exec import close, pair

    legacy, modern, new = pair(_program(True), "TM201")
    assert "    pass\n    schedG.step()\n    schedD.step()\nRESULT = seen" in new
    close(legacy, modern)


def test_tm201_consecutive_steps_after_training_converge_and_report_the_lag():
    from tests.codemods.legacy_exec import close, migrated, run

    src = _program(False)
    res = migrate(src, [codemods.get_rule("TM201")], unsafe_fixes=True)
    assert res.new == src and not res.errors
    assert [f.safety for f in res.findings] == ["manual", "manual"]
    assert all("lagged one step" in f.message for f in res.findings)
    assert not any("did not converge" in f.message for f in res.findings)
    assert migrated(src, "TM201") == src
    # the finding's claim, numerically: pre-1.1 trained epochs 0 and 1 with the
    # initial LRs; today the unchanged loop does not, and skipping the first
    # step() reproduces pre-1.1 exactly
    legacy, today = run(src, legacy=True), run(src, legacy=False)
    assert legacy[0] == legacy[2] == [1.0, 0.5] and today[2] == [0.5, 0.45]
    skip = src.replace(
        "    schedG.step()\n    schedD.step()",
        "    if epoch > 0:\n        schedG.step()\n        schedD.step()",
    )
    close(legacy, run(skip, legacy=False))


def test_tm201_step_at_the_top_of_a_train_function_moves_before_its_return():
    from tests.codemods.legacy_exec import close, pair

    src = """
import torch
from torch.optim import lr_scheduler

w = torch.nn.Parameter(torch.zeros(1))
opt = torch.optim.SGD([w], lr=1.0)
scheduler = lr_scheduler.MultiStepLR(opt, milestones=[1, 3], gamma=0.1)
seen = []


def train(epoch):
    scheduler.step()
    for it in range(3):
        opt.zero_grad()
        (w * 3).sum().backward()
        opt.step()
        seen.append(opt.param_groups[0]['lr'])
    return len(seen)


for epoch in range(5):
    n = train(epoch)
RESULT = seen
"""
    legacy, modern, new = pair(src, "TM201")
    assert (
        "        seen.append(opt.param_groups[0]['lr'])\n    scheduler.step()\n    return len(seen)\n"
        in new
    )
    close(legacy, modern)


# --------------------------------------------------------------------------
# TM208: weights_only=False exactly where the checkpoint needs it (item 5)
# --------------------------------------------------------------------------
CHECKPOINTS = """
import argparse
import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument('--lr', type=float, default=0.1)
args = parser.parse_args([])
model = nn.Linear(3, 2)
torch.save(model, model_path)
torch.save({'epoch': 3, 'args': args, 'state_dict': model.state_dict()}, ckpt_path)
torch.save(model.state_dict(), weights_path)
restored = torch.load(model_path)
ckpt = torch.load(ckpt_path)
fresh = nn.Linear(3, 2)
fresh.load_state_dict(torch.load(weights_path))
result = [restored.weight.sum().item(), ckpt['epoch'], ckpt['args'].lr, fresh.bias.sum().item()]
"""


def test_tm208_loads_that_need_full_unpickling_get_it_the_rest_stay_secure(tmp_path):
    paths = {k: str(tmp_path / f"{k}.pth") for k in ("model_path", "ckpt_path", "weights_path")}
    new = migrated(CHECKPOINTS, "TM208")
    assert "restored = torch.load(model_path, weights_only=False)" in new
    assert "ckpt = torch.load(ckpt_path, weights_only=False)" in new
    assert "fresh.load_state_dict(torch.load(weights_path))" in new  # the secure default
    ns = run(new, **paths)
    model = ns["model"]
    assert ns["result"] == [
        model.weight.sum().item(),
        3,
        0.1,
        model.bias.sum().item(),
    ]
    with pytest.raises(Exception, match="Weights only load failed"):
        run(CHECKPOINTS, **paths)  # what 2.13 does with the unmigrated loads


def test_tm205_potrs_is_safe_only_for_a_provably_2d_b():
    rule = [codemods.get_rule("TM205")]
    # b's rank is known (a 2-D factory): the old and new calls agree -> safe
    two_d = "import torch\ndef f(U, c):\n    b = c.view(4, 2)\n    return torch.potrs(b, U)\n"
    res = migrate(two_d, rule)
    assert "return torch.cholesky_solve(b, U, upper=True)" in res.new
    # a 1-D b: potrs read it as one column ((n, 1) result), cholesky_solve
    # raises on it; b of unknown rank (a parameter) may be that vector
    for src in (
        "import torch\ndef f(U):\n    b = torch.randn(4)\n    return torch.potrs(b, U)\n",
        "import torch\ndef inv_matmul(rhs, U):\n    return torch.potrs(rhs, U, upper=False)\n",
    ):
        res = migrate(src, rule)
        assert res.new == src
        assert [(f.rule, f.safety) for f in res.findings] == [("TM205", "unsafe")]
        assert "1-D b" in res.findings[0].message
    # a rank changed in place is not the binding's rank
    for change in ("b.squeeze_(1)", "b.data = c", "b.resize_(8)", "b.as_strided_((8,), (1,))"):
        src = (
            "import torch\ndef f(U, c):\n    b = c.view(4, 2)\n"
            f"    {change}\n    return torch.potrs(b, U)\n"
        )
        res = migrate(src, rule)
        assert res.new == src, change
        assert [f.safety for f in res.findings] == ["unsafe"], change
    U = torch.linalg.cholesky(spd()).mH
    with pytest.raises(RuntimeError):
        run(migrated("x = torch.potrs(b, U)\n", "TM205"), b=rnd(4), U=U)
