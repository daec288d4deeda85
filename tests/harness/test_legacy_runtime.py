"""Each legacy-runtime patch reproduces its documented pre-0.4 behaviour."""

import pytest

torch = pytest.importorskip("torch")

import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from torchmigrate.harness import legacy_runtime  # noqa: E402


@pytest.fixture
def legacy():
    legacy_runtime.install()
    try:
        yield legacy_runtime
    finally:
        legacy_runtime.uninstall()


def _spd(n=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(n, n, dtype=torch.float64, generator=g)
    return a @ a.T + n * torch.eye(n, dtype=torch.float64)


def test_uninstall_restores_everything():
    names = ["__getitem__", "__setitem__", "backward", "masked_fill", "__truediv__", "div"]
    before_t = {n: torch.Tensor.__dict__.get(n, "absent") for n in names}
    before = (
        torch.autograd.backward,
        torch.autograd.Variable,
        torch.load,
        torch.div,
        torch.where,
        F.upsample,
        torch.optim.Optimizer.zero_grad,
        nn.Module.zero_grad,
        torch.autograd.Function.__call__,
        type(torch.fft),
        hasattr(torch, "gesv"),
        torch.solve,
    )
    legacy_runtime.install()
    assert torch.gesv is legacy_runtime.legacy_gesv
    legacy_runtime.uninstall()
    after = (
        torch.autograd.backward,
        torch.autograd.Variable,
        torch.load,
        torch.div,
        torch.where,
        F.upsample,
        torch.optim.Optimizer.zero_grad,
        nn.Module.zero_grad,
        torch.autograd.Function.__call__,
        type(torch.fft),
        hasattr(torch, "gesv"),
        torch.solve,
    )
    assert before == after
    assert {n: torch.Tensor.__dict__.get(n, "absent") for n in names} == before_t
    assert not hasattr(torch.Tensor, "potrf")
    with pytest.raises(IndexError):
        torch.tensor(1.5)[0]
    with pytest.raises(TypeError):
        torch.fft(torch.zeros(4, 2), 1)


def test_zero_dim_index_returns_python_number(legacy):
    loss = torch.tensor(2.5)
    assert loss.data[0] == 2.5 and isinstance(loss.data[0], float)
    assert loss[-1] == 2.5
    acc = torch.tensor(7)
    assert acc[0] == 7 and isinstance(acc[0], int)
    w = torch.tensor(3.0, requires_grad=True)
    assert w[0] is w  # a Variable indexed stays a Variable
    x = torch.arange(6).view(2, 3)
    assert x[0].tolist() == [0, 1, 2]  # ordinary indexing untouched


def test_uint8_masks(legacy):
    x = torch.arange(5.0)
    m = (x > 2).to(torch.uint8)
    assert x.masked_fill(m, -1).tolist() == [0, 1, 2, -1, -1]
    y = x.clone()
    y.masked_fill_(m, 0)
    assert y.tolist() == [0, 1, 2, 0, 0]
    assert x.masked_select(m).tolist() == [3, 4]
    assert torch.masked_select(x, m).tolist() == [3, 4]
    assert x[m].tolist() == [3, 4]
    z = x.clone()
    z[m] = 9
    assert z.tolist() == [0, 1, 2, 9, 9]
    z = x.clone()
    z.masked_scatter_(m, torch.tensor([7.0, 8.0]))
    assert z.tolist() == [0, 1, 2, 7, 8]
    assert torch.where(m, x, -x).tolist() == [0, -1, -2, 3, 4]
    inv = 1 - (x > 2)
    assert inv.dtype == torch.uint8 and inv.tolist() == [1, 1, 1, 0, 0]


def test_retain_variables(legacy):
    w = torch.ones(3, requires_grad=True)
    loss = (w * w).sum()
    loss.backward(retain_variables=True)
    loss.backward()  # the graph was retained
    assert w.grad.tolist() == [4.0, 4.0, 4.0]
    out = (w * 3).sum()
    torch.autograd.backward([out], grad_variables=[torch.tensor(1.0)])
    assert w.grad.tolist() == [7.0, 7.0, 7.0]


def test_legacy_function_with_constructor_args(legacy):
    class MulK(torch.autograd.Function):
        def __init__(self, k):
            super().__init__()
            self.k = k

        def helper(self, g):
            return g * self.k

        def forward(self, x, y):
            self.save_for_backward(x, y)
            self.seen = self.needs_input_grad
            return x * y * self.k

        def backward(self, g):
            x, y = self.saved_tensors
            assert self.seen == (True, False)
            return self.helper(g) * y, None

    x = torch.randn(4, requires_grad=True)
    y = torch.randn(4)
    MulK(3.0)(x, y).sum().backward()
    torch.testing.assert_close(x.grad, 3.0 * y)


def test_legacy_function_mark_dirty(legacy):
    class AddOneInPlace(torch.autograd.Function):
        def forward(self, x):
            x.add_(1)
            self.mark_dirty(x)
            return x

        def backward(self, g):
            return g

    class Argmax(torch.autograd.Function):
        def forward(self, x):
            idx = x.argmax().view(1).float()
            self.mark_non_differentiable(idx)
            return idx

        def backward(self, g):
            return None

    a = torch.ones(3, requires_grad=True)
    b = a * 2
    c = AddOneInPlace()(b)
    assert c.tolist() == [3.0, 3.0, 3.0]
    c.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0, 2.0]
    assert not Argmax()(a * 1).requires_grad


def test_new_style_function_unaffected(legacy):
    class Double(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = torch.ones(2, requires_grad=True)
    Double.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_variable_volatile_creator(legacy):
    from torch.autograd import Variable

    x = torch.randn(3)
    v = Variable(x, volatile=True)
    assert torch.equal(v, x) and v.volatile and not v.requires_grad
    w = Variable(x, requires_grad=True)
    assert w.requires_grad and not w.volatile and w.creator is None
    c = w * 2
    assert c.creator == c.grad_fn and c.creator is not None
    prev = c.creator.previous_functions
    assert prev[0][0].next_functions == c.grad_fn.next_functions[0][0].next_functions
    assert isinstance(x, Variable)


def test_gesv_solve(legacy):
    A = _spd()
    B = torch.randn(4, 2, dtype=torch.float64)
    X, LU = torch.gesv(B, A)
    torch.testing.assert_close(A @ X, B)
    torch.testing.assert_close(LU, torch.linalg.lu_factor(A)[0])
    X2, _ = torch.solve(B, A)
    torch.testing.assert_close(X2, X)
    X3, _ = B.gesv(A)
    torch.testing.assert_close(X3, X)


def test_potrf_potrs_potri_upper_default(legacy):
    A = _spd()
    U = torch.potrf(A)
    assert torch.allclose(U, U.triu())
    torch.testing.assert_close(U.T @ U, A)
    L = A.potrf(upper=False)
    torch.testing.assert_close(L @ L.T, A)
    b = torch.randn(4, 1, dtype=torch.float64)
    torch.testing.assert_close(A @ torch.potrs(b, U), b)
    v = b[:, 0]  # a vector was solved as one column: an (n, 1) result
    assert torch.potrs(v, U).shape == (4, 1)
    torch.testing.assert_close(torch.potrs(v, U), torch.potrs(b, U))
    torch.testing.assert_close(torch.potri(U), torch.linalg.inv(A))


def test_trtrs(legacy):
    A = _spd().triu()
    b = torch.randn(4, 2, dtype=torch.float64)
    X, Aclone = torch.trtrs(b, A)
    torch.testing.assert_close(A @ X, b)
    assert torch.equal(Aclone, A) and Aclone.data_ptr() != A.data_ptr()
    Xt, _ = torch.trtrs(b, A, transpose=True)
    torch.testing.assert_close(A.T @ Xt, b)
    Xl, _ = torch.trtrs(b, A.T, upper=False)
    torch.testing.assert_close(A.T @ Xl, b)


def test_gels_lstsq_padded(legacy):
    A = torch.randn(6, 3, dtype=torch.float64)
    B = torch.randn(6, 2, dtype=torch.float64)
    X, _ = torch.gels(B, A)
    assert X.shape == (6, 2)
    sol = torch.linalg.lstsq(A, B).solution
    torch.testing.assert_close(X[:3], sol)
    # the padding rows carry the residual: their squared sums are the residual norms
    torch.testing.assert_close(X[3:].pow(2).sum(0), (A @ sol - B).pow(2).sum(0))
    X2, _ = torch.lstsq(B, A)
    torch.testing.assert_close(X2, X)


def test_symeig_upper_default_and_empty_vectors(legacy):
    A = _spd()
    lower_garbage = A.triu() + torch.tril(torch.full_like(A, 100.0), -1)
    e, V = torch.symeig(lower_garbage)
    torch.testing.assert_close(e, torch.linalg.eigvalsh(A))
    assert V.numel() == 0
    e2, V2 = A.symeig(eigenvectors=True)
    torch.testing.assert_close(V2 @ torch.diag(e2) @ V2.T, A)


def test_eig_real_layout(legacy):
    A = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=torch.float64)  # eigenvalues +-i
    e, V = torch.eig(A)
    assert e.shape == (2, 2) and V.numel() == 0
    assert sorted(e[:, 1].tolist()) == [-1.0, 1.0] and e[:, 0].abs().max() < 1e-12
    S = _spd()
    e, V = torch.eig(S, eigenvectors=True)
    for j in range(4):
        torch.testing.assert_close(S @ V[:, j], e[j, 0] * V[:, j])


def test_matrix_rank_btrifact(legacy):
    A = torch.randn(4, 2, dtype=torch.float64) @ torch.randn(2, 4, dtype=torch.float64)
    assert int(torch.matrix_rank(A)) == 2
    M = torch.randn(3, 4, 4, dtype=torch.float64)
    LU, piv = torch.btrifact(M)
    b = torch.randn(3, 4, dtype=torch.float64)
    x = torch.btrisolve(b, LU, piv)
    torch.testing.assert_close((M @ x.unsqueeze(-1)).squeeze(-1), b)


def test_old_fft_functions(legacy):
    x = torch.randn(3, 8, dtype=torch.float64)
    r = torch.rfft(x, 1)
    torch.testing.assert_close(r, torch.view_as_real(torch.fft.rfft(x)))
    rn = torch.rfft(x, 1, normalized=True, onesided=False)
    torch.testing.assert_close(rn, torch.view_as_real(torch.fft.fft(x, norm="ortho")))
    torch.testing.assert_close(torch.irfft(r, 1, signal_sizes=(8,)), x)
    c = torch.randn(4, 8, 2, dtype=torch.float64)
    f = torch.fft(c, 1)  # the module is callable in the legacy runtime
    torch.testing.assert_close(f, torch.view_as_real(torch.fft.fft(torch.view_as_complex(c))))
    torch.testing.assert_close(torch.ifft(f, 1), c)
    torch.testing.assert_close(x.rfft(1), r)
    assert torch.fft.rfft is not None  # modern module still usable


def test_upsample_bilinear_align_corners(legacy):
    x = torch.tensor([[[[0.0, 1.0]]]])
    out = F.upsample(x, size=(1, 4), mode="bilinear")
    torch.testing.assert_close(out.flatten(), torch.tensor([0.0, 1 / 3, 2 / 3, 1.0]))
    up = nn.Upsample(size=(1, 4), mode="bilinear")
    torch.testing.assert_close(up(x).flatten(), torch.tensor([0.0, 1 / 3, 2 / 3, 1.0]))
    near = F.upsample(x, size=(1, 4), mode="nearest")
    assert near.flatten().tolist() == [0.0, 0.0, 1.0, 1.0]


def test_lr_scheduler_pre_1_1_order(legacy):
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.1)
    lrs = []
    for _ in range(3):
        sched.step()  # pre-1.1 idiom: at the start of the epoch
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
    assert lrs == pytest.approx([1.0, 0.1, 0.01])


def test_zero_grad_in_place(legacy):
    m = nn.Linear(2, 1)
    m(torch.ones(1, 2)).sum().backward()
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    opt.zero_grad()
    assert m.weight.grad is not None and m.weight.grad.abs().sum() == 0
    m(torch.ones(1, 2)).sum().backward()
    m.zero_grad()
    assert m.bias.grad is not None and m.bias.grad.item() == 0
    m.zero_grad(set_to_none=True)
    assert m.bias.grad is None


def test_torch_load_weights_only_false(legacy, tmp_path):
    import argparse

    path = tmp_path / "ckpt.pt"
    torch.save({"args": argparse.Namespace(lr=0.1), "best": 3}, path)
    assert torch.load(path)["args"].lr == 0.1


def test_integer_division_truncates(legacy):
    a = torch.tensor([5, -7, 3])
    assert (a / 2).tolist() == [2, -3, 1]
    assert (a / torch.tensor([2, 2, 2])).dtype == torch.int64
    assert a.div(2).tolist() == [2, -3, 1]
    assert torch.div(a, 2).tolist() == [2, -3, 1]
    assert (a // 2).tolist() == [2, -3, 1]  # pre-1.13 truncation
    assert (torch.tensor([-7.0]) // 2).tolist() == [-3.0]
    b = a.clone()
    b /= 2
    assert b.tolist() == [2, -3, 1]
    assert (a / 2.0).tolist() == [2.5, -3.5, 1.5]  # float divisor: true division
    assert (torch.tensor([5.0]) / 2).tolist() == [2.5]


def test_async_keyword_kwargs(legacy):
    x = torch.ones(2)
    assert x.type(torch.DoubleTensor, **{"async": True}).dtype == torch.float64
    y = torch.zeros(2)
    y.copy_(x, **{"async": False})
    assert y.tolist() == [1.0, 1.0]


def test_py2_division_helpers():
    assert legacy_runtime.py2_div(7, 2) == 3
    assert legacy_runtime.py2_div(-7, 2) == -4
    assert legacy_runtime.py2_div(7.0, 2) == 3.5
    assert legacy_runtime.py2_idiv(9, 2) == 4


def test_variable_type_equality_and_legacy_constructor(legacy):
    from torch.autograd import Variable

    h = torch.zeros(2)
    assert type(h) == Variable  # noqa: E721 - the 0.3 idiom in repackage_hidden
    assert not (type(h) != Variable)  # noqa: E721
    rewards = torch.tensor([1.0, 2.0])
    assert torch.Tensor([r for r in rewards]).tolist() == [1.0, 2.0]
    assert torch.Tensor(2, 3).shape == (2, 3)


def test_stft_real_layout(legacy):
    x = torch.randn(64, dtype=torch.float64)
    w = torch.hann_window(16, dtype=torch.float64)
    old = torch.stft(x, 16, 4, window=w)
    new = torch.view_as_real(torch.stft(x, 16, 4, window=w, return_complex=True))
    torch.testing.assert_close(old, new)
    assert old.shape[-1] == 2


# ---- issue 11: 0.3 behaviours real scripts rely on ------------------------------------
# Each test names the 0.3 behaviour and where it is documented.


def test_arange_is_float_as_in_0_3(legacy):
    # 0.3: torch.arange always returned a FloatTensor; 0.4.0 release notes / migration
    # guide ("Tensor type inference"): integer arguments give a LongTensor since 0.4.
    assert torch.arange(0, 4).dtype == torch.float32
    assert (torch.arange(0, 4) / 4).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert torch.arange(0, 4, dtype=torch.int64).dtype == torch.int64  # explicit wins


def test_plain_tensor_reductions_and_indexing_give_python_numbers(legacy):
    # 0.4 migration guide, "Support for 0-dimensional (scalar) Tensors": in 0.3
    # tensor.sum() returned a Python number and indexing a 1-D tensor gave a number,
    # while the same on a Variable gave a size-(1,) vector.
    t = torch.tensor([1.0, 2.0, 3.5])
    s = t.sum()
    assert isinstance(s, float) and s == 6.5
    assert {s: "key"}[6.5] == "key"  # usable as a dict key (gym, bookkeeping)
    assert isinstance(t[0], float) and t[0] == 1.0
    assert [type(x) for x in t] == [float, float, float]
    assert isinstance(torch.tensor([1, 2]).sum(), int)
    assert isinstance(t.max(), float) and isinstance(torch.mean(t), float)
    assert isinstance(t.dot(t), float)
    # with a dimension: still tensors
    assert isinstance(t.sum(0), torch.Tensor) and isinstance(t.max(0)[0], torch.Tensor)
    # Variables (requires grad, Variable(...), anything computed from them) keep tensors
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    assert isinstance(w.sum(), torch.Tensor)
    v = torch.autograd.Variable(torch.tensor([1.0, 2.0]))
    assert isinstance(v.sum(), torch.Tensor) and isinstance((v * 2).sum(), torch.Tensor)
    assert isinstance((v * 2).data.sum(), float)  # .data is a plain tensor again
    # a number that was a Variable in 0.3 by mistake still reads the same value
    assert s.data[0] == 6.5 and s.item() == 6.5


def test_optimizer_updates_do_not_bump_versions(legacy):
    # 0.3.1 torch/optim/sgd.py updated p.data in place, which autograd does not see
    # (0.4 migration guide, "What about .data?"): the classic GAN step order
    # -- backward, step, then backward again through the same graph -- worked.
    net = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 1))  # layer 2's weight is saved
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    out = net(torch.ones(2, 3)).sum()
    out.backward(retain_graph=True)
    opt.step()
    out.backward()  # raises "modified by an inplace operation" on plain torch 2.x


def test_optimizer_step_order_raises_without_the_runtime():
    net = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 1))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    out = net(torch.ones(2, 3)).sum()
    out.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


def test_zero_dim_numpy_and_tolist_are_one_element_vectors(legacy):
    # 0.4 migration guide, "Support for 0-dimensional (scalar) Tensors": a 0.3 loss was a
    # size-(1,) vector, so loss.data.numpy()[0] and loss.data.tolist()[0] worked.
    loss = ((torch.ones(3, requires_grad=True) * 2) ** 2).mean()
    assert loss.data.numpy()[0] == 4.0
    assert loss.data.tolist()[0] == 4.0
    assert torch.ones(2, 2).numpy().shape == (2, 2)  # other shapes untouched


def test_tensor_dataset_keywords(legacy):
    # 0.3.1 torch/utils/data/dataset.py: TensorDataset(data_tensor, target_tensor) with
    # those attributes; 0.4.0 changed it to TensorDataset(*tensors).
    from torch.utils.data import TensorDataset

    x, y = torch.randn(5, 2), torch.arange(5, dtype=torch.int64)
    ds = TensorDataset(data_tensor=x, target_tensor=y)
    assert len(ds) == 5 and ds.data_tensor is x and ds.target_tensor is y
    assert ds[2][1] == 2


def test_module_backend(legacy):
    # 0.3.1 torch/nn/modules/module.py: every module had self._backend = thnn_backend,
    # which code copied from torch's own forward() called.
    emb = nn.Embedding(10, 3)
    idx = torch.tensor([[1, 2], [3, 4]])
    out = emb._backend.Embedding.apply(idx, emb.weight, -1, None, 2, False, False)
    torch.testing.assert_close(out, F.embedding(idx, emb.weight))
    cell = nn.LSTMCell(3, 4)
    x, h = torch.randn(2, 3), (torch.zeros(2, 4), torch.zeros(2, 4))
    got = cell._backend.LSTMCell(x, h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    want = cell(x, h)
    torch.testing.assert_close(got[0], want[0])
    lstm = nn.LSTM(3, 4, num_layers=2)
    seq = torch.randn(5, 2, 3)
    fn = lstm._backend.RNN("LSTM", 3, 4, num_layers=2, train=False)
    h0 = (torch.zeros(2, 2, 4), torch.zeros(2, 2, 4))
    out, (hn, cn) = fn(seq, lstm.all_weights, h0)
    ref, (rh, rc) = lstm(seq, h0)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(hn, rh)
    with pytest.raises(AttributeError, match="not emulated"):
        getattr(emb._backend, "Threshold")  # noqa: B009


def test_scheduler_get_lr_is_the_current_rate(legacy):
    # 0.3.1 StepLR.get_lr: base_lr * gamma ** (last_epoch // step_size), the rate in use;
    # since 1.4 get_lr() outside step() is the chainable (next) rate.
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.1)
    sched.step()  # 0.3 loop: step at the start of epoch 1
    assert sched.get_lr()[0] == pytest.approx(0.1)
    sched.step()
    assert sched.get_lr()[0] == pytest.approx(0.01)


# ---------------------------------------------------------------------------------------
# issue 10 (rules on real research code): the 0.3 idioms the TM rules rewrite


def test_loss_attributes_assigned_after_construction(legacy):
    x, y = torch.ones(4), torch.zeros(4)
    crit = nn.MSELoss()
    crit.size_average = False
    assert crit(x, y).item() == 4.0
    crit.reduce = False
    assert crit(x, y).shape == (4,)
    crit2 = nn.L1Loss()
    crit2.reduce = True
    assert crit2(x, y).item() == 1.0


def test_loader_iterator_next_and_multinomial_default(legacy):
    loader = torch.utils.data.DataLoader(torch.arange(4.0), batch_size=2)
    assert iter(loader).next().tolist() == [0.0, 1.0]
    probs = torch.tensor([[0.0, 1.0]])
    assert probs.multinomial().tolist() == [[1]]
    assert torch.multinomial(probs[0]).tolist() == [1]


def test_pack_lengths(legacy):
    import numpy as np
    from torch.nn.utils.rnn import pack_padded_sequence

    lengths = np.sort(np.array([2, 3, 1]))[::-1]
    packed = pack_padded_sequence(torch.zeros(3, 3, 1), lengths)
    assert packed.batch_sizes.tolist() == [3, 2, 1]


def test_issue10_patches_are_undone():
    import numpy as np

    legacy_runtime.install()
    legacy_runtime.uninstall()
    assert not hasattr(iter(torch.utils.data.DataLoader([1])), "next")
    with pytest.raises(TypeError):
        torch.tensor([0.5, 0.5]).multinomial()
    crit = nn.MSELoss()
    crit.size_average = False
    assert crit(torch.ones(2), torch.zeros(2)).item() == 1.0
    with pytest.raises(ValueError):
        torch.nn.utils.rnn.pack_padded_sequence(torch.zeros(2, 2, 1), np.array([1, 2])[::-1])


def test_bool_mask_subtraction_and_negation(legacy):
    m = torch.tensor([1.0, -1.0]) > 0
    assert (1 - m).tolist() == [0, 1] and (1 - m).dtype == torch.uint8
    assert m.sub(1).tolist() == [0, 255] and (-m).tolist() == [255, 0]
    assert m.neg().tolist() == [255, 0]
    assert torch.tensor([2.0]).sub(1).tolist() == [1.0]


def test_type_of_data_is_the_typed_tensor_class(legacy):
    # 0.3: `.data` was a typed tensor; the loader rewrites `type(<expr>.data)` only
    from torchmigrate.harness.loader import rewrite_source

    src = (
        "import torch\n"
        "from torch.autograd import Variable\n"
        "v = Variable(torch.zeros(2), requires_grad=True)\n"
        "idx = Variable(torch.zeros(2).long())\n"
        "same = type(v.data) == torch.FloatTensor\n"
        "cuda = 'cuda' in str(type(v.data))\n"
        "key = type(idx.data)\n"
        "plain = type(v)\n"
    )
    text = rewrite_source(src)
    assert "type(v)" in text and text.count("_tm_data_type(") == 3
    ns: dict = {}
    exec(compile(text, "<legacy>", "exec"), ns)
    assert ns["same"] is True and ns["cuda"] is False
    assert ns["key"] is torch.LongTensor
    assert ns["plain"] is torch.Tensor
    assert rewrite_source("x = type(y)\n") == "x = type(y)\n"  # untouched without .data


def test_torch_six_exists_while_installed_only(legacy):
    import importlib
    import sys

    from torch._six import container_abcs, int_classes, string_classes

    assert string_classes == (str, bytes) and int_classes is int
    assert container_abcs.Mapping is not None
    legacy.uninstall()
    assert "torch._six" not in sys.modules and not hasattr(torch, "_six")
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("torch._six")
    legacy.install()
