"""The tensor API of issue 21's gap list, against PyTorch: matrix ops (diagonal, diag, trace, kron, cross,
tensordot, tril/triu_indices, fill_diagonal_), selection (nonzero, masked_select, take, take_along_dim,
isin, count_nonzero), statistics (median, kthvalue, mode, quantile, cummax, logcumsumexp, nansum,
var_mean, aminmax), F.normalize / unfold / fold, the shape adapters and the in-place forms. Gradients by
finite differences: test_autograd_ops.py."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def both(a):
    a = np.asarray(a)
    return ember.from_numpy(a.copy()), torch.from_numpy(a.copy())


def same(e, t, rtol=1e-6, atol=1e-7):
    if isinstance(t, tuple):
        assert len(e) == len(t)
        for x, y in zip(e, t):
            same(x, y, rtol, atol)
        return
    assert tuple(e.shape) == tuple(t.shape), (tuple(e.shape), tuple(t.shape))
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1], (e.dtype, t.dtype)
    np.testing.assert_allclose(e.detach().numpy().astype(np.float64), t.detach().numpy().astype(np.float64), rtol=rtol,
                               atol=atol,
                               equal_nan=True)


RNG = np.random.default_rng(0)
X34 = RNG.standard_normal((3, 4))
X345 = RNG.standard_normal((3, 4, 5))


# --- matrix ops ---

@pytest.mark.parametrize("args", [(), (1,), (-2,), (0, 1, 2), (2, -1, 0), (7,)])
def test_diagonal_values_and_view(args):
    e, t = both(X345)
    same(e.diagonal(*args), t.diagonal(*args))
    same(ember.diagonal(e, *args), torch.diagonal(t, *args))
    v = e.diagonal(*args)
    if v.numel():
        v.fill_(7.0)  # a view: writes reach the input
        t.diagonal(*args).fill_(7.0)
        same(e, t)


@pytest.mark.parametrize("k", [0, 2, -1])
def test_diag_trace_kron(k):
    e, t = both(X34)
    same(ember.diag(e, k), torch.diag(t, k))
    ev, tv = both(X34[0])
    same(ev.diag(k), tv.diag(k))
    same(ember.trace(e), torch.trace(t))
    ei, ti = both(np.arange(9).reshape(3, 3))
    same(ei.trace(), ti.trace())  # int64
    eb, tb = both(RNG.standard_normal((2, 1, 3)))
    same(ember.kron(e, eb), torch.kron(t, tb))
    same(ember.kron(ei, ei.float()), torch.kron(ti, ti.float()))  # promoted


def test_cross_and_linalg_cross():
    a, b = RNG.standard_normal((4, 3)), RNG.standard_normal((1, 3))
    (ea, ta), (eb, tb) = both(a), both(b)
    same(ember.cross(ea, eb), torch.cross(ta, tb, dim=1))
    same(ea.cross(eb, dim=-1), ta.cross(tb, dim=-1))
    same(ember.linalg.cross(ea, eb), torch.linalg.cross(ta, tb))
    (ec, tc), (ed, td) = both(RNG.standard_normal((3, 5))), both(RNG.standard_normal((3, 5)))
    same(ember.cross(ec, ed), torch.cross(tc, td, dim=0))  # dim None: the first dim of extent 3
    with pytest.raises(ValueError, match=r"\[cross\] dim 1 must have extent 3 in both inputs"):
        ember.cross(ember.zeros(3, 4), ember.zeros(3, 4), dim=1)
    with pytest.raises(ValueError, match=r"\[cross\] no dimension of extent 3"):
        ember.cross(ember.zeros(2, 4), ember.zeros(2, 4))


@pytest.mark.parametrize("dims", [0, 1, 2, ([1, 0], [0, 1]), ([2], [0])])
def test_tensordot(dims):
    a = RNG.standard_normal((3, 4, 5))
    b = RNG.standard_normal((4, 3, 2)) if dims == ([1, 0], [0, 1]) else RNG.standard_normal((5, 2)) \
        if dims in (1, ([2], [0])) else RNG.standard_normal((4, 5, 2)) if dims == 2 else RNG.standard_normal((2,))
    (ea, ta), (eb, tb) = both(a), both(b)
    same(ember.tensordot(ea, eb, dims), torch.tensordot(ta, tb, dims), rtol=1e-10, atol=1e-12)


def test_tensordot_errors():
    with pytest.raises(ValueError, match=r"\[tensordot\] contracted dims must match: dim 1 of shape \(2, 3\)"):
        ember.tensordot(ember.zeros(2, 3), ember.zeros(2, 3), ([1], [0]))


@pytest.mark.parametrize("args", [(3, 3), (4, 2, 1), (2, 5, -1), (0, 3), (3, 3, 9)])
def test_triangle_indices(args):
    same(ember.tril_indices(*args), torch.tril_indices(*args))
    same(ember.triu_indices(*args), torch.triu_indices(*args))


@pytest.mark.parametrize("shape,wrap", [((3, 3), False), ((7, 3), True), ((7, 3), False), ((3, 6), True),
                                        ((3, 3, 3), False)])
def test_fill_diagonal_(shape, wrap):
    e, t = both(np.zeros(shape))
    assert e.fill_diagonal_(5.0, wrap) is e
    t.fill_diagonal_(5.0, wrap)
    same(e, t)
    with pytest.raises(RuntimeError, match=r"\[fill_diagonal_\] not supported on a tensor that requires grad"):
        ember.zeros(2, 2, requires_grad=True).fill_diagonal_(1.0)


# --- selection ---

def test_nonzero_argwhere_masked_select_take():
    a = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    e, t = both(a)
    same(e.nonzero(), t.nonzero())
    same(ember.nonzero(e, as_tuple=True), torch.nonzero(t, as_tuple=True))
    same(ember.argwhere(e), torch.argwhere(t))
    same(ember.nonzero(ember.tensor(3.0)), torch.nonzero(torch.tensor(3.0)))
    m = np.array([True, False, True])
    same(ember.masked_select(e, ember.from_numpy(m)), torch.masked_select(t, torch.from_numpy(m)))
    idx = np.array([[0, -1], [4, 2]])
    same(e.take(ember.from_numpy(idx)), t.take(torch.from_numpy(idx)))
    with pytest.raises(IndexError, match=r"\[take\] index 6 is out of bounds for an extent of 6 \(input shape "
                                         r"\(2, 3\)\)"):
        e.take(ember.tensor([6]))
    with pytest.raises(TypeError, match=r"masked_select"):
        e.masked_select(ember.tensor([1.0, 0.0, 1.0]))


def test_take_along_dim_as_torch():
    x = RNG.standard_normal((3, 4))
    e, t = both(x)
    order_e, order_t = e.argsort(1), t.argsort(1)
    same(ember.take_along_dim(e, order_e, 1), torch.take_along_dim(t, order_t, 1))
    same(e.take_along_dim(order_e[:1], dim=1), t.take_along_dim(order_t[:1], dim=1))  # broadcast
    same(ember.take_along_dim(e, ember.tensor([0, 11])), torch.take_along_dim(t, torch.tensor([0, 11])))


def test_isin_and_count_nonzero():
    a = np.array([[1, 2, 3], [4, 2, 0]])
    e, t = both(a)
    same(ember.isin(e, ember.tensor([2, 4])), torch.isin(t, torch.tensor([2, 4])))
    same(ember.isin(e, ember.tensor([2.0, 4.5]), invert=True), torch.isin(t, torch.tensor([2.0, 4.5]), invert=True))
    same(ember.isin(e, 2), torch.isin(t, 2))
    same(ember.isin(3, e), torch.isin(3, t))
    ef, tf = both(np.array([np.nan, 1.0]))
    same(ember.isin(ef, ef), torch.isin(tf, tf))  # NaN is in nothing
    same(ember.count_nonzero(e), torch.count_nonzero(t))
    same(e.count_nonzero(dim=1), t.count_nonzero(dim=1))
    same(ember.count_nonzero(e, (0, 1)), torch.count_nonzero(t, (0, 1)))


# --- statistics ---

TIES = np.array([[3.0, 1.0, 3.0, 1.0, 2.0], [0.0, np.nan, 5.0, np.nan, 1.0], [2.0, 2.0, 2.0, 1.0, 1.0]])


@pytest.mark.parametrize("op", ["median", "nanmedian", "mode"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_order_statistics_along_dim(op, dim, keepdim):
    data = TIES if op != "mode" else np.nan_to_num(TIES, nan=7.0)
    e, t = both(data)
    got, want = getattr(e, op)(dim, keepdim), getattr(t, op)(dim, keepdim)
    same(got.values, want.values)
    points_at(e, got, dim, keepdim)


def points_at(x, result, dim, keepdim):
    """The indices of an order statistic pick its values (PyTorch's choice among ties is unspecified: it
    uses nth_element)."""
    idx = result.indices if keepdim else result.indices.unsqueeze(dim)
    vals = result.values if keepdim else result.values.unsqueeze(dim)
    same(x.gather(dim, idx), torch.from_numpy(vals.numpy()))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_kthvalue_and_whole_tensor_medians(k):
    e, t = both(np.nan_to_num(TIES, nan=4.0))
    same(e.kthvalue(k, 0).values, t.kthvalue(k, 0).values)
    points_at(e, e.kthvalue(k, 0), 0, False)
    assert e.kthvalue(2).indices.tolist() == [3, 4, 4]  # ties: the later in a stable order
    e2, t2 = both(TIES)
    same(ember.median(e2), torch.median(t2))
    same(ember.nanmedian(e2), torch.nanmedian(t2))
    same(ember.median(e), torch.median(t))
    with pytest.raises(IndexError, match=r"\[kthvalue\] k \(9\) is out of range for dim -1 of extent 5"):
        e.kthvalue(9)
    with pytest.raises(IndexError, match=r"\[median\] cannot compute median over dim 1 of extent 0"):
        ember.zeros(2, 0).median(1)


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "nearest", "midpoint"])
@pytest.mark.parametrize("op", ["quantile", "nanquantile"])
def test_quantile_as_torch(interpolation, op):
    x = np.concatenate([RNG.standard_normal((3, 7)), [[np.nan] * 7, [1.0] * 7, [np.nan, 2, 3, 4, 5, 6, 7]]])
    e, t = both(x)
    q = np.array([0.0, 0.1, 0.5, 0.77, 1.0])
    eq, tq = both(q)
    for dim in (None, 0, 1):
        for keepdim in (False, True):
            same(getattr(ember, op)(e, eq, dim, keepdim, interpolation=interpolation),
                 getattr(torch, op)(t, tq, dim, keepdim, interpolation=interpolation), rtol=1e-12)
            same(getattr(e, op)(0.35, dim, keepdim, interpolation=interpolation),
                 getattr(t, op)(0.35, dim, keepdim, interpolation=interpolation), rtol=1e-12)
    with pytest.raises(ValueError, match=rf"\[{op}\] q values must be in the range \[0, 1\], got 1.5"):
        getattr(ember, op)(e, 1.5)
    with pytest.raises(ValueError, match=rf"\[{op}\] interpolation must be one of"):
        getattr(ember, op)(e, 0.5, interpolation="cubic")


@pytest.mark.parametrize("op", ["cummax", "cummin"])
def test_running_extremes(op):
    x = np.array([[1.0, 3.0, 3.0, 2.0, np.nan, 5.0], [3.0, 1.0, 1.0, 2.0, 0.0, 0.0], [np.nan, 1.0, np.nan, 2.0, np.nan, 0.0]])
    e, t = both(x)
    for dim in (0, 1):
        got, want = getattr(e, op)(dim), getattr(t, op)(dim)
        same(got.values, want.values)
        same(got.indices, want.indices)
    ei, ti = both(np.array([2, 5, 1, 5]))
    same(tuple(getattr(ember, op)(ei, 0)), tuple(getattr(torch, op)(ti, 0)))


def test_logcumsumexp_is_stable_with_gradient():
    x = np.array([[-1000.0, 0.0, 1000.0, 3.0], [1.0, 2.0, -np.inf, 0.5]])
    e, t = both(x)
    same(ember.logcumsumexp(e, 1), torch.logcumsumexp(t, 1), rtol=1e-12)
    x = RNG.standard_normal((3, 5)) * 30
    g = RNG.standard_normal((3, 5))
    e, t = both(x)
    e.requires_grad_(), t.requires_grad_()
    e.logcumsumexp(1).backward(ember.from_numpy(g))
    t.logcumsumexp(1).backward(torch.from_numpy(g))
    same(e.grad, t.grad, rtol=1e-9, atol=1e-12)


def test_nan_reductions_and_pairs():
    x = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan]])
    e, t = both(x)
    same(ember.nansum(e), torch.nansum(t))
    same(e.nansum(1), t.nansum(1))
    same(ember.nanmean(e, 1, keepdim=True), torch.nanmean(t, 1, keepdim=True))
    ei, ti = both(np.array([1, 2, 3]))
    same(ember.nansum(ei), torch.nansum(ti))
    e, t = both(X34)
    same(ember.var_mean(e, 1), torch.var_mean(t, 1))
    same(e.std_mean(correction=0), torch.std_mean(t, correction=0))
    same(ember.std_mean(e, 0, keepdim=True), torch.std_mean(t, 0, keepdim=True))
    r = ember.aminmax(e, dim=0)
    w = torch.aminmax(t, dim=0)
    same(r.min, w.min)
    same(r.max, w.max)
    same(tuple(e.aminmax()), tuple(t.aminmax()))


# --- nn.functional ---

@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 0), (3.0, -1)])
def test_normalize(p, dim):
    x = RNG.standard_normal((3, 4))
    x[1] = 0.0
    e, t = both(x)
    same(F.normalize(e, p, dim), TF.normalize(t, p, dim), rtol=1e-12)


@pytest.mark.parametrize("kw", [dict(kernel_size=2),
                                dict(kernel_size=(2, 3), stride=(1, 2), padding=1, dilation=(2, 1)),
                                dict(kernel_size=3, stride=2, padding=1)])
def test_unfold_fold_as_torch(kw):
    x = RNG.standard_normal((2, 3, 7, 6))
    e, t = both(x)
    e.requires_grad_(), t.requires_grad_()
    ce, ct = F.unfold(e, **kw), TF.unfold(t, **kw)
    same(ce, ct, rtol=1e-12)
    fe, ft = F.fold(ce * 2, (7, 6), **kw), TF.fold(ct * 2, (7, 6), **kw)
    same(fe, ft, rtol=1e-12)
    g = RNG.standard_normal((2, 3, 7, 6))
    fe.backward(ember.from_numpy(g))
    ft.backward(torch.from_numpy(g))
    same(e.grad, t.grad, rtol=1e-12)
    same(F.unfold(e[0].detach(), **kw), TF.unfold(t[0].detach(), **kw), rtol=1e-12)  # unbatched


def test_unfold_fold_errors():
    with pytest.raises(ValueError, match=r"\[unfold\] the kernel \(5, 5\).*does not fit the input of shape"):
        F.unfold(ember.zeros(1, 1, 3, 3), 5)
    with pytest.raises(ValueError, match=r"\[fold\] .*expected input's dim 2 to be 4, got shape \(1, 4, 5\)"):
        F.fold(ember.zeros(1, 4, 5), (3, 3), 2)
    with pytest.raises(TypeError, match=r"\[unfold\] expected a float32 or float64 input"):
        F.unfold(ember.zeros(1, 1, 3, 3, dtype=ember.int64), 2)


# --- shape adapters and in-place forms ---

def test_shape_adapters_as_torch():
    e, t = both(X345)
    same(ember.movedim(e, 0, -1), torch.movedim(t, 0, -1))
    same(e.movedim((0, 2), (2, 0)), t.movedim((0, 2), (2, 0)))
    same(ember.moveaxis(e, -1, 1), torch.moveaxis(t, -1, 1))
    same(e.unflatten(1, (2, -1)), t.unflatten(1, (2, -1)))
    same(ember.broadcast_to(e[0], (2, 4, 5)), torch.broadcast_to(t[0], (2, 4, 5)))
    assert tuple(ember.broadcast_shapes((3, 1), (1, 4), (4,))) == tuple(torch.broadcast_shapes((3, 1), (1, 4), (4,)))
    same(ember.broadcast_tensors(e[:, :1], e[0]), torch.broadcast_tensors(t[:, :1], t[0]))
    v, s = both(np.array([1.0, 2.0]))
    for f in ("atleast_1d", "atleast_2d", "atleast_3d"):
        same(getattr(ember, f)(v), getattr(torch, f)(s))
        same(getattr(ember, f)(ember.tensor(3.0)), getattr(torch, f)(torch.tensor(3.0)))
    for f in ("hstack", "vstack", "row_stack", "dstack", "column_stack"):
        same(getattr(ember, f)([v, v]), getattr(torch, f)([s, s]))
        same(getattr(ember, f)([e[0], e[1]]), getattr(torch, f)([t[0], t[1]]))
    with pytest.raises(IndexError, match=r"\[movedim\] dimension out of range"):
        ember.movedim(e, 3, 0)


def test_inplace_forms():
    e, t = both(X34)
    assert e.clamp_(-0.5, 0.5) is e
    t.clamp_(-0.5, 0.5)
    same(e, t)
    e.clip_(max=0.2), t.clip_(max=0.2)
    same(e, t)
    e.pow_(2), t.pow_(2)
    same(e, t)
    e.tril_(), t.tril_()
    same(e, t)
    e.triu_(-1), t.triu_(-1)
    same(e, t)
    # C++ in-place ops: PyTorch's dtype rule (found by the fuzzer: an int tensor clamped by floats) and autograd
    i = ember.tensor([4, -3])
    with pytest.raises(TypeError, match=r"\[clamp_\] result type float32 can't be cast to the desired output type int64"):
        i.clamp_(0.0, 1.5)
    with pytest.raises(TypeError, match=r"\[pow_\] result type float32 can't be cast"):
        i.pow_(0.5)
    assert i.clamp_(0, 2).tolist() == [2, 0] and i.tolist() == [2, 0]
    i **= 3
    assert i.tolist() == [8, 0]
    for f in (lambda h, L: h.clamp_(-0.5, 0.5), lambda h, L: h.clamp_min_(0.1), lambda h, L: h.pow_(3),
              lambda h, L: h.tril_(1), lambda h, L: h.clip_(max=L.tensor([0.0, 0.1, 0.2, 0.3], dtype=L.float64))):
        leaf_e = ember.tensor(X34, requires_grad=True)
        leaf_t = torch.tensor(X34, requires_grad=True)
        (f(leaf_e * 1.0, ember) * 2).sum().backward()
        (f(leaf_t * 1.0, torch) * 2).sum().backward()
        same(leaf_e.grad, leaf_t.grad)
    assert e.unsqueeze_(0) is e and tuple(e.shape) == (1, 3, 4)
    e.squeeze_(0)
    e.t_()
    assert tuple(e.shape) == (4, 3)
    e.transpose_(0, 1)
    same(e, t)
    with pytest.raises(RuntimeError, match=r"\[unsqueeze_\] changes the shape of a tensor that requires grad"):
        ember.zeros(2, requires_grad=True).unsqueeze_(0)
    ember.manual_seed(1)
    u = ember.empty(1000).uniform_(2.0, 3.0)
    assert 2.0 <= float(u.min()) and float(u.max()) < 3.0
    z = ember.empty(20000, dtype=ember.float64).normal_(1.0, 2.0)
    assert abs(float(z.mean()) - 1.0) < 0.1 and abs(float(z.std()) - 2.0) < 0.1
    b = ember.empty(20000).bernoulli_(0.25)
    assert set(np.unique(b.numpy())) <= {0.0, 1.0} and abs(float(b.mean()) - 0.25) < 0.02
    p = ember.full((20000,), 0.75)
    assert abs(float(ember.bernoulli(p).mean()) - 0.75) < 0.02
    with pytest.raises(ValueError, match=r"\[bernoulli\] probabilities must be in \[0, 1\]"):
        ember.bernoulli(ember.tensor([1.5]))
    with pytest.raises(TypeError, match=r"\[half\] ember has no float16 dtype"):
        ember.zeros(2).half()
    assert ember.zeros(2, 3).nelement() == 6 and ember.zeros(2, 3).ndimension() == 2


def test_other_names_as_torch():
    e, t = both(X34)
    ev, tv = both(X34[0])
    same(ember.clamp_min(e, 0.1), torch.clamp_min(t, 0.1))
    same(e.clamp_max(-0.2), t.clamp_max(-0.2))
    same(ember.mv(e, ev), torch.mv(t, tv))
    same(ember.inner(e, e), torch.inner(t, t), rtol=1e-12)
    same(e.dist(ev, 3), t.dist(tv, 3), rtol=1e-12)
    same(ember.logspace(-2, 3, 6), torch.logspace(-2, 3, 6), rtol=1e-6)
    same(ember.logspace(0, 4, 5, base=2, dtype=ember.float64), torch.logspace(0, 4, 5, base=2, dtype=torch.float64))
    a, b = both(np.array([1, 2, 3])), both(np.array([4, 5]))
    same(ember.cartesian_prod(a[0], b[0]), torch.cartesian_prod(a[1], b[1]))
    h = np.array([-1.5, 0.0, 2.0])
    (eh, th), (ev2, tv2) = both(h), both(np.array([0.5, 0.5, 0.5]))
    same(ember.heaviside(eh, ev2), torch.heaviside(th, tv2))
    with pytest.raises(ValueError, match=r"\[mv\] expected a 2-D input and a 1-D vec"):
        ember.mv(ev, ev)
    assert e.clamp_min_(0.0) is e
    t.clamp_min_(0.0)
    same(e, t)


def test_edge_cases_found_by_the_fuzzer():
    # a 0-d input has dims -1 and 0 only
    s = ember.tensor(2.0)
    assert ember.cummax(s, -1).values.item() == 2.0
    with pytest.raises(IndexError, match=r"\[cummax\] dimension out of range"):
        ember.cummax(s, 1)
    with pytest.raises(IndexError, match=r"\[take_along_dim\] dimension specified as 0 but the input is 0-d"):
        ember.take_along_dim(s, ember.tensor(0), 0)
    assert ember.movedim(s, 0, -1).shape == ()
    with pytest.raises(ValueError, match=r"\[cross\] inputs must have the same number of dims"):
        ember.linalg.cross(ember.zeros(3), ember.zeros(2, 3))
    # logit's gradient outside [0, 1] is NaN, as the function is
    x = ember.tensor([3.0, 0.5], requires_grad=True)
    ember.logit(x).sum().backward()
    assert np.isnan(x.grad[0].item()) and x.grad[1].item() == 4.0
    # a whole rank takes its element as it is, infinities too (PyTorch's lerp makes NaN of them)
    e = ember.tensor([-np.inf, 1.0, np.inf], dtype=ember.float64)
    assert ember.quantile(e, ember.tensor([0.0, 0.5, 1.0], dtype=ember.float64)).tolist() == [-np.inf, 1.0, np.inf]
    # the median of all elements splits its gradient among the tied elements, as PyTorch's
    e, t = both(np.array([1.0, 2.0, 2.0, 3.0, 2.0]))
    e.requires_grad_(), t.requires_grad_()
    ember.median(e).backward()
    torch.median(t).backward()
    same(e.grad, t.grad)
    e, t = both(np.array([1.0, np.nan, 2.0, np.nan]))
    e.requires_grad_(), t.requires_grad_()
    ember.median(e).backward()
    torch.median(t).backward()
    same(e.grad, t.grad)


@pytest.mark.parametrize("op", ["std", "std_mean"])
def test_std_gradient_of_a_constant_row_is_zero(op):
    x = np.array([[0.25, 0.25, 0.25], [1.0, 2.0, 4.0]])
    e, t = both(x)
    e.requires_grad_(), t.requires_grad_()
    r = getattr(ember, op)(e, 1)
    w = getattr(torch, op)(t, 1)
    (r[0] if op == "std_mean" else r).sum().backward()
    (w[0] if op == "std_mean" else w).sum().backward()
    same(e.grad, t.grad, rtol=1e-12)  # 0 for the constant row, not NaN


def test_equal_as_torch():
    pairs = [([1, 2], [1.0, 2.0]), ([float("nan")], [float("nan")]), ([[1.0], [1.0]], [1.0, 1.0]), ([1, 2], [1, 3]),
             ([], [])]
    for a, b in pairs:
        assert ember.equal(ember.tensor(a), ember.tensor(b)) == torch.equal(torch.tensor(a), torch.tensor(b))
        assert ember.tensor(a).equal(ember.tensor(b)) == torch.tensor(a).equal(torch.tensor(b))
