"""Tests of ibtheory.models: gradients and HVPs vs finite differences, tensor forms,
batching, conventions, initializers and bad input."""
import numpy as np
import pytest

from ibtheory.models import (
    Convolutional,
    DeepLinear,
    Diagonal,
    TensorNetwork,
    TwoLayerLinear,
    TwoLayerReLU,
    gaussian_init,
    orthogonal_init,
    relu_init,
    residual_init,
    tensor_form,
    varre_init,
    yun_init,
)


def _instance(model, seed, n=6, loss="half_sum"):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, model.d))
    if loss == "exponential":
        y = rng.choice([-1.0, 1.0], size=n)
    elif model.k == 1:
        y = rng.standard_normal(n)
    else:
        y = rng.standard_normal((n, model.k))
    params = gaussian_init(model, scale=0.7, seed=seed + 1)
    return X, y, params


def _fd_grad(model, params, X, y, loss, h=1e-6):
    th = model.flatten(params)
    g = np.empty_like(th)
    for i in range(th.size):
        e = np.zeros_like(th)
        e[i] = h
        g[i] = (model.loss(model.unflatten(th + e), X, y, loss)
                - model.loss(model.unflatten(th - e), X, y, loss)) / (2 * h)
    return g


FAMILIES = [
    TwoLayerLinear(d=3, l=4, k=1),
    TwoLayerLinear(d=3, l=2, k=2),
    DeepLinear([3, 4, 2, 1]),
    DeepLinear([2, 3, 3, 2]),
    Diagonal(d=4, L=3),
    Convolutional(d=5, L=3),
    TwoLayerReLU(d=2, m=5),
    TwoLayerReLU(d=1, m=4, bias=False),
]
# The exponential loss is for scalar outputs only.
CASES = [(m, lo) for m in FAMILIES for lo in ("half_sum", "mean", "exponential")
         if not (lo == "exponential" and m.k != 1)]
CASE_IDS = [f"{m!r}-{lo}" for m, lo in CASES]


@pytest.mark.parametrize("model,loss", CASES, ids=CASE_IDS)
def test_gradient_matches_finite_differences(model, loss):
    X, y, params = _instance(model, 3, loss=loss)
    g = model.flatten(model.grad(params, X, y, loss))
    g_fd = _fd_grad(model, params, X, y, loss)
    # Central differences with h = 1e-6 have O(h^2) truncation + O(eps/h) rounding ~ 1e-9 relative.
    assert np.max(np.abs(g - g_fd)) <= 1e-7 * max(1.0, np.max(np.abs(g_fd)))


@pytest.mark.parametrize("model,loss", CASES, ids=CASE_IDS)
def test_hvp_matches_finite_differences_of_gradient(model, loss):
    X, y, params = _instance(model, 5, loss=loss)
    rng = np.random.default_rng(11)
    v = model.unflatten(rng.standard_normal(model.n_params))
    hv = model.flatten(model.hvp(params, X, y, v, loss))
    th, vf, h = model.flatten(params), model.flatten(v), 1e-5
    gp = model.flatten(model.grad(model.unflatten(th + h * vf), X, y, loss))
    gm = model.flatten(model.grad(model.unflatten(th - h * vf), X, y, loss))
    hv_fd = (gp - gm) / (2 * h)
    assert np.max(np.abs(hv - hv_fd)) <= 1e-6 * max(1.0, np.max(np.abs(hv_fd)))


def test_hessian_is_symmetric():
    model = DeepLinear([3, 3, 3, 1])
    X, y, params = _instance(model, 2)
    n = model.n_params
    H = np.stack([model.flatten(model.hvp(params, X, y, model.unflatten(e))) for e in np.eye(n)])
    assert np.max(np.abs(H - H.T)) <= 1e-12 * np.max(np.abs(H))


def _circ_corr(a, b):
    d = a.size
    return np.array([sum(a[(i + j) % d] * b[j] for j in range(d)) for i in range(d)])


def test_convolutional_matches_direct_recursive_definition():
    d, L = 6, 4
    model = Convolutional(d=d, L=L)
    rng = np.random.default_rng(0)
    w = tuple(rng.standard_normal((L, d)))
    X = rng.standard_normal((5, d))
    direct = []
    for x in X:
        h = x
        for wl in w[:-1]:
            h = _circ_corr(h, wl)
        direct.append(h @ w[-1])
    assert np.max(np.abs(model.forward(w, X) - np.array(direct))) <= 1e-12 * np.max(np.abs(direct))


def test_diagonal_matches_definition():
    model = Diagonal(d=4, L=3)
    rng = np.random.default_rng(1)
    w = tuple(rng.standard_normal((3, 4)))
    X = rng.standard_normal((5, 4))
    expected = ((X * w[0]) * w[1]) @ w[2]
    assert np.allclose(model.forward(w, X), expected, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize(
    "model",
    [Diagonal(d=4, L=3), Convolutional(d=4, L=3), DeepLinear([3, 2, 4, 1]), TwoLayerLinear(d=3, l=4)],
    ids=repr,
)
def test_family_equals_its_tensor_form(model):
    net, to_v = tensor_form(model)
    X, y, params = _instance(model, 7)
    v = to_v(params)
    assert np.allclose(net.forward(v, X), model.forward(params, X), rtol=1e-12, atol=1e-13)
    assert np.allclose(net.beta(v), model.beta(params), rtol=1e-12, atol=1e-13)
    # Gradients agree through the same parameter map (it is linear: vec / identity).
    assert np.allclose(np.concatenate(net.grad(v, X, y)),
                       np.concatenate(to_v(model.grad(params, X, y))), rtol=1e-11, atol=1e-12)


def test_tensor_network_from_callable():
    def M(x):  # 2-layer diagonal network as a data tensor
        return np.diag(x)
    net = TensorNetwork(M, d=3)
    v = (np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.5, 2.0]))
    assert np.allclose(net.beta(v), [1.0, 1.0, 6.0])
    with pytest.raises(ValueError, match="linear"):
        TensorNetwork(lambda x: np.diag(x ** 2), d=3)


@pytest.mark.parametrize("model", FAMILIES, ids=repr)
def test_batched_equals_loop(model):
    X, y, _ = _instance(model, 4)
    B = 3
    params = gaussian_init(model, scale=0.5, seed=9, batch=B)
    vals, grads = model.value_and_grad(params, X, y)
    for b in range(B):
        pb = tuple(p[b] for p in params)
        v1, g1 = model.value_and_grad(pb, X, y)
        assert abs(vals[b] - v1) <= 1e-14 * max(1, abs(v1))
        for ga, gb in zip(grads, g1):
            assert np.array_equal(ga[b].shape, gb.shape)
            assert np.max(np.abs(ga[b] - gb), initial=0.0) <= 1e-13 * max(1.0, np.max(np.abs(gb), initial=0.0))


def test_loss_conventions():
    model = DeepLinear([2, 2, 1])
    X, y, params = _instance(model, 1, n=8)
    r = model.forward(params, X) - y
    assert np.isclose(model.loss(params, X, y, "half_sum"), 0.5 * np.sum(r ** 2), rtol=1e-14)
    assert np.isclose(model.loss(params, X, y, "mean"), np.mean(r ** 2), rtol=1e-14)
    ys = np.sign(y)
    assert np.isclose(model.loss(params, X, ys, "exponential"),
                      np.sum(np.exp(-ys * model.forward(params, X))), rtol=1e-14)


def test_flatten_roundtrip_and_conserved_shapes():
    model = DeepLinear([3, 4, 2, 1])
    params = gaussian_init(model, seed=2)
    back = model.unflatten(model.flatten(params))
    assert all(np.array_equal(a, b) for a, b in zip(params, back))
    C = model.conserved(params)
    assert [c.shape for c in C.values()] == [(4, 4), (2, 2)]


def test_relu_train_output_only_freezes_hidden_layer():
    model = TwoLayerReLU(d=1, m=4, train="output")
    X, y, params = _instance(model, 3)
    g = model.grad(params, X, y)
    assert np.all(g[0] == 0) and np.all(g[1] == 0) and np.any(g[2] != 0)
    assert model.conserved(params) == {}


# ----------------------------------------------------------------- initializers
def test_varre_init():
    model = TwoLayerLinear(d=3, l=5, k=2)
    W1, W2 = varre_init(model, gamma=0.01, seed=4, batch=2)
    assert W1.shape == (2, 3, 5) and W2.shape == (2, 5, 2) and np.all(W2 == 0)
    assert np.allclose(W1 @ np.swapaxes(W1, 1, 2), 0.02 * np.eye(3), atol=1e-15)
    with pytest.raises(ValueError, match="l >= d"):
        varre_init(TwoLayerLinear(d=4, l=3), gamma=0.1)
    with pytest.raises(ValueError, match="TwoLayerLinear"):
        varre_init(DeepLinear([2, 2, 1]), gamma=0.1)
    with pytest.raises(ValueError, match="gamma"):
        varre_init(model, gamma=0.0)


def test_init_is_seeded_and_deterministic():
    model = DeepLinear([3, 3, 1])
    a = gaussian_init(model, seed=5, batch=4)
    b = gaussian_init(model, seed=5, batch=4)
    c = gaussian_init(model, seed=6, batch=4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])
    assert all(p.dtype == np.float64 for p in a)


def test_orthogonal_and_residual_init():
    model = DeepLinear([4, 4, 4, 1])
    W = orthogonal_init(model, scale=0.5, seed=1, batch=3)
    assert np.allclose(W[0] @ np.swapaxes(W[0], 1, 2), 0.25 * np.eye(4))
    assert np.allclose(W[2] @ np.swapaxes(W[2], 1, 2), 0.25)
    R = residual_init(model, s=1.0, seed=0, batch=2000)
    dev = R[0] - np.eye(4)
    # Entries are s/sqrt(L d) N(0,1) = N(0, 1/12): sample std over 32000 draws within 3%.
    assert abs(dev.std() - 1 / np.sqrt(12)) < 0.03 / np.sqrt(12)


def test_yun_init():
    model = Convolutional(d=4, L=3)
    w = yun_init(model, alpha=0.5, wbar=np.arange(1.0, 5.0), batch=2)
    assert w[0].shape == (2, 4) and np.allclose(w[1][1], 0.5 * np.arange(1.0, 5.0))
    assert np.all(w[2] == 0)
    with pytest.raises(ValueError, match="shape"):
        yun_init(model, alpha=0.5, wbar=np.ones(3))
    with pytest.raises(ValueError, match="alpha"):
        yun_init(model, alpha=-1.0, wbar=np.ones(4))


@pytest.mark.parametrize("dist", ["gaussian", "uniform", "binary_uniform"])
def test_relu_asi_init_is_identically_zero(dist):
    model = TwoLayerReLU(d=2, m=10)
    params = relu_init(model, dist=dist, w_scale=1.0, b_scale=2.0, seed=1, batch=3)
    X = np.random.default_rng(0).standard_normal((50, 2)) * 3
    # Zero in exact arithmetic; in floating point the +a and -a halves cancel up to rounding.
    assert np.max(np.abs(model.forward(params, X))) <= 1e-14
    with pytest.raises(ValueError, match="even"):
        relu_init(TwoLayerReLU(d=1, m=5), asi=True)
    plain = relu_init(model, dist=dist, asi=False, seed=1)
    assert np.max(np.abs(model.forward(plain, X))) > 0


# ----------------------------------------------------------------- bad input
def test_bad_input_messages():
    model = TwoLayerLinear(d=3, l=4)
    X, y, params = _instance(model, 0)
    with pytest.raises(ValueError, match=r"params\[1\] \(W2\)"):
        model.loss((params[0], np.ones((3, 1))), X, y)
    with pytest.raises(ValueError, match="X must have shape"):
        model.loss(params, X[:, :2], y)
    with pytest.raises(ValueError, match="y must have shape"):
        model.loss(params, X, y[:3])
    with pytest.raises(ValueError, match="finite"):
        model.loss(params, np.where(X > 0, np.nan, X), y)
    with pytest.raises(ValueError, match="loss must be one of"):
        model.loss(params, X, y, loss="l1")
    with pytest.raises(ValueError, match="tuple of 2 arrays"):
        model.loss(params[:1], X, y)
    with pytest.raises(ValueError, match="batch"):
        model.loss((params[0][None], params[1]), X, y)
    with pytest.raises(ValueError, match="exponential"):
        TwoLayerLinear(d=3, l=2, k=2).loss(gaussian_init(TwoLayerLinear(3, 2, 2)), X,
                                           np.ones((6, 2)), loss="exponential")
    with pytest.raises(ValueError, match="widths"):
        DeepLinear([3])
    with pytest.raises(ValueError, match="L must be"):
        Diagonal(d=3, L=1)
    with pytest.raises(ValueError, match="train"):
        TwoLayerReLU(d=1, m=3, train="hidden")


def test_integers_are_not_truncated_and_sizes_are_guarded():
    import time

    t0 = time.perf_counter()
    with pytest.raises(TypeError, match="d must be an integer"):
        TensorNetwork(lambda x: np.outer(x, x), d=2.7)
    with pytest.raises(TypeError, match="l must be an integer"):
        TwoLayerLinear(d=3, l=2.5)
    with pytest.raises(ValueError, match="L must be"):
        Diagonal(3, L=10 ** 12)
    with pytest.raises(ValueError, match="parameters"):
        DeepLinear([3, 10 ** 5, 10 ** 5, 1])
    with pytest.raises(ValueError, match="d\\^\\(L\\+1\\)"):
        tensor_form(Diagonal(d=10, L=12))
    with pytest.raises(TypeError, match="widths"):
        DeepLinear(None)
    with pytest.raises(ValueError, match="bias"):
        TwoLayerReLU(d=1, m=2, bias=1)
    assert time.perf_counter() - t0 < 2.0


def test_public_outputs_are_never_silently_nonfinite():
    net = DeepLinear([3, 3, 1])
    X = np.ones((2, 3))
    big = tuple(np.full(s, 1e200) for s in net.shapes)
    for call in (lambda: net.forward(big, X), lambda: net.loss(big, X, np.ones(2)),
                 lambda: net.value_and_grad(big, X, np.ones(2)), lambda: net.beta(big),
                 lambda: net.conserved(tuple(np.full(s, 1e300) for s in net.shapes))):
        with pytest.raises(ValueError, match="not finite"):
            call()
    with pytest.raises(TypeError, match="y must"):
        net.loss(gaussian_init(net), X, None)
    assert not TwoLayerReLU(d=1, m=2).smooth and net.smooth
