"""Tests of ibtheory.dynamics: gradient flow accuracy and certificates, batched GD,
divergence, sharpness tracking, label noise, bad input."""
import numpy as np
import pytest
from scipy.linalg import expm

from ibtheory import Status

from ibtheory.dynamics import (
    gradient_descent,
    gradient_flow,
    hessian,
    label_noise_sde,
    label_noise_sgd,
)
from ibtheory.models import (
    Convolutional,
    DeepLinear,
    Diagonal,
    TwoLayerLinear,
    TwoLayerReLU,
    gaussian_init,
    relu_init,
    varre_init,
    yun_init,
)


def _data(n, d, seed=0, k=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n) if k == 1 else rng.standard_normal((n, k))
    return X, y


# ------------------------------------------------------------- gradient flow
def test_flow_matches_matrix_exponential_for_linear_regression():
    # L = 1: theta(t) - theta* = expm(-t X^T X)(theta0 - theta*) for half_sum, exactly.
    X, y = _data(6, 3, seed=1)
    net = DeepLinear([3, 1])
    th0 = np.array([[0.3, -0.2, 0.5]])
    T = 2.0
    res = gradient_flow(net, (th0,), X, y, t_max=T, rtol=1e-13)
    assert res.success and res.status is Status.SUCCESS
    star = np.linalg.lstsq(X, y, rcond=None)[0]
    exact = star + expm(-T * X.T @ X) @ (th0[0] - star)
    # Global error of DOP853 at rtol 1e-13 over a few time constants: ~1e-12.
    assert np.max(np.abs(res.x[0][0] - exact)) <= 1e-11


CONSERVING = [
    (TwoLayerLinear(d=4, l=5, k=2), "half_sum"),
    (DeepLinear([3, 4, 3, 1]), "mean"),
    (Diagonal(d=5, L=3), "half_sum"),
    (Convolutional(d=5, L=3), "half_sum"),
    (DeepLinear([3, 3, 1]), "exponential"),
]


@pytest.mark.parametrize("model,loss", CONSERVING, ids=lambda v: repr(v) if not isinstance(v, str) else v)
def test_conservation_laws_hold_along_flow(model, loss):
    X, y = _data(4, model.d, seed=2, k=model.k)
    if loss == "exponential":
        y = np.sign(y)
    params = gaussian_init(model, scale=0.6, seed=5)
    res = gradient_flow(model, params, X, y, loss=loss, t_max=30.0, record=("loss", "conserved"))
    assert res.success
    # Independent of the monitor: recompute the laws at the final point from model.conserved.
    C0, C1 = model.conserved(params), model.conserved(res.x)
    scale = max(np.sum(model.flatten(res.x) ** 2), np.sum(model.flatten(params) ** 2))
    for name in C0:
        assert np.linalg.norm(C1[name] - C0[name]) <= 1e-9 * scale
    assert res.drift <= 1e-9
    assert res.records["loss"][-1] < res.records["loss"][0]


def test_relu_flow_conserves_until_it_reports_a_kink():
    model = TwoLayerReLU(d=1, m=6)
    X = np.linspace(-1, 1, 5)[:, None] + 0.05
    y = np.sin(3 * X[:, 0])
    params = relu_init(model, dist="uniform", w_scale=1.0, b_scale=1.0, seed=2)
    res = gradient_flow(model, params, X, y, t_max=20.0)
    # The ReLU flow reaches a kink where it slides (Filippov): an explicit integrator
    # cannot follow it, and the result must say so rather than claim success.
    assert not res.success and res.status is Status.KINK and "discontinuous" in res.message
    assert res.nit < 20000 and res.drift <= 1e-9 and res.t_final > 0.01


def test_flow_from_varre_init_reaches_min_norm_interpolator():
    X, y = _data(5, 8, seed=3)
    net = TwoLayerLinear(d=8, l=10)
    res = gradient_flow(net, varre_init(net, gamma=0.05, seed=1), X, y, stat_tol=1e-10)
    assert res.success
    beta_mn = np.linalg.pinv(X) @ y
    assert np.linalg.norm(net.beta(res.x) - beta_mn) <= 1e-8 * np.linalg.norm(beta_mn)


def test_tiny_initialization_needs_no_tuning():
    X, y = _data(3, 6, seed=4)
    net = Diagonal(d=6, L=2)
    res = gradient_flow(net, yun_init(net, alpha=1e-8, wbar=np.ones(6)), X, y)
    assert res.success, res.message
    assert res.t_final > 10.0   # the escape from the saddle takes time ~ log(1/alpha)
    assert np.max(np.abs(X @ net.beta(res.x) - y)) <= 1e-8


def test_t_eval_records_at_requested_times():
    X, y = _data(5, 3, seed=5)
    net = DeepLinear([3, 1])
    th0 = (np.zeros((1, 3)),)
    ts = np.linspace(0, 1, 6)
    res = gradient_flow(net, th0, X, y, t_eval=ts, record=("beta",))
    star = np.linalg.lstsq(X, y, rcond=None)[0]
    exact = np.stack([star - expm(-t * X.T @ X) @ star for t in ts])
    assert np.allclose(res.t, ts) and np.max(np.abs(res.records["beta"] - exact)) <= 1e-10


def test_flow_that_cannot_finish_says_so():
    X, y = _data(4, 3, seed=6)
    net = DeepLinear([3, 3, 1])
    params = gaussian_init(net, scale=0.5, seed=1)
    res = gradient_flow(net, params, X, y, max_steps=5)
    assert not res.success and res.status is Status.MAX_ITER and "max_steps" in res.message
    res = gradient_flow(net, params, X, y, t_max=0.01, grad_tol=1e-10)
    assert not res.success and res.status is Status.MAX_ITER and "t_max" in res.message


def test_flow_bad_input():
    X, y = _data(4, 3)
    net = DeepLinear([3, 2, 1])
    p = gaussian_init(net, seed=0)
    with pytest.raises(ValueError, match="rtol"):
        gradient_flow(net, p, X, y, rtol=1e-16)
    with pytest.raises(ValueError, match="cannot be met"):
        gradient_flow(net, p, X, y, stat_tol=1e-14)
    with pytest.raises(ValueError, match="one run"):
        gradient_flow(net, gaussian_init(net, batch=2), X, y)
    with pytest.raises(ValueError, match="t_max"):
        gradient_flow(net, p, X, y, t_max=-1.0)
    with pytest.raises(ValueError, match="record"):
        gradient_flow(net, p, X, y, record=("energy",))
    with pytest.raises(ValueError, match="stat_tol needs a linear model"):
        gradient_flow(TwoLayerReLU(1, 2), gaussian_init(TwoLayerReLU(1, 2)), X[:, :1], y, stat_tol=1e-6)


# ------------------------------------------------------------ gradient descent
def test_gd_approaches_flow_at_rate_eta():
    X, y = _data(6, 3, seed=7)
    net = DeepLinear([3, 3, 1])
    p0 = gaussian_init(net, scale=0.5, seed=2)
    T = 1.0
    flow = gradient_flow(net, p0, X, y, t_max=T, rtol=1e-13)
    errs = []
    for N in (100, 200, 400, 800):
        gd = gradient_descent(net, p0, X, y, lr=T / N, n_steps=N)
        errs.append(np.linalg.norm(net.flatten(gd.x) - net.flatten(flow.x)))
    ratios = np.array(errs[:-1]) / np.array(errs[1:])
    # Euler's global error is C*eta + O(eta^2): halving eta halves it.
    assert np.all(np.abs(ratios - 2.0) < 0.05), ratios


def test_batched_gd_equals_loop():
    X, y = _data(10, 4, seed=8)
    net = DeepLinear([4, 4, 4, 1])
    B = 5
    p = gaussian_init(net, scale=0.6, seed=3, batch=B)
    lrs = np.array([0.002, 0.005, 0.01, 0.015, 0.2])   # the last one diverges
    res = gradient_descent(net, p, X, y, lr=lrs, n_steps=300, record=("loss", "beta"))
    assert res.diverged.tolist() == [False] * 4 + [True]
    for b in range(B):
        one = gradient_descent(net, tuple(a[b] for a in p), X, y, lr=lrs[b], n_steps=300,
                               record=("loss", "beta"))
        assert one.diverged_at == res.diverged_at[b]
        for u, v in zip(res.x, one.x):
            assert np.max(np.abs(u[b] - v)) <= 1e-12
        m = one.records["loss"].size   # a lone diverged run stops recording when it diverges
        assert np.nanmax(np.abs(res.records["loss"][b, :m] - one.records["loss"])) <= 1e-12
        assert np.all(np.isnan(res.records["loss"][b, m:]))


def test_divergence_is_reported_at_the_right_step():
    # 1-D quadratic 0.5*(theta)^2: theta_t = (1 - eta)^t theta_0, loss_t = 0.5*(1-eta)^(2t).
    net = DeepLinear([1, 1])
    X, y = np.ones((1, 1)), np.zeros(1)
    etas = np.array([0.5, 3.0, 5.0])
    p = (np.ones((3, 1, 1)),)
    blowup = 1e10
    res = gradient_descent(net, p, X, y, lr=etas, n_steps=100, blowup=blowup)
    limit = blowup * 1.0   # max(initial loss 0.5, 1)
    expected = [-1] + [int(np.floor(np.log(2 * limit) / (2 * np.log(abs(1 - e))))) + 1 for e in etas[1:]]
    assert res.diverged.tolist() == [False, True, True]
    assert res.diverged_at.tolist() == expected
    # Frozen at the last good iterate theta_{t-1} = (1 - eta)^(t-1).
    for b in (1, 2):
        assert res.x[0][b, 0, 0] == pytest.approx((1 - etas[b]) ** (expected[b] - 1), rel=1e-12)
    assert np.isnan(res.fun[1]) and np.isfinite(res.fun[0])
    assert not res.success and "2 of 3" in res.message


def test_nonfinite_loss_is_divergence():
    net = DeepLinear([1, 1, 1])
    X, y = np.ones((1, 1)), np.zeros(1)
    p = (np.full((1, 1), 10.0), np.full((1, 1), 10.0))
    res = gradient_descent(net, p, X, y, lr=1e3, n_steps=50, blowup=1e300)
    assert res.diverged and res.diverged_at > 0
    assert all(np.all(np.isfinite(a)) for a in res.x)


def test_sharpness_tracking_matches_dense_hessian():
    X, y = _data(8, 3, seed=9)
    net = DeepLinear([3, 3, 3, 1])
    p = gaussian_init(net, scale=0.7, seed=4, batch=2)
    res = gradient_descent(net, p, X, y, lr=0.01, n_steps=40, sharpness_every=20,
                           sharpness_iters=2000, record=("params",))
    assert res.sharpness.shape == (2, 3) and res.sharpness_steps.tolist() == [0, 20, 40]
    for b in range(2):
        for j, s in enumerate(res.sharpness_steps):
            params = tuple(a[b, s] for a in res.records["params"])
            top = np.linalg.eigvalsh(hessian(net, params, X, y))[-1]
            assert abs(res.sharpness[b, j] - top) <= 1e-6 * abs(top)


def test_gd_bad_input():
    X, y = _data(4, 3)
    net = DeepLinear([3, 2, 1])
    p = gaussian_init(net, seed=0, batch=3)
    with pytest.raises(ValueError, match="lr"):
        gradient_descent(net, p, X, y, lr=0.0, n_steps=10)
    with pytest.raises(ValueError, match="lr"):
        gradient_descent(net, p, X, y, lr=np.ones(2), n_steps=10)
    with pytest.raises(ValueError, match="n_steps"):
        gradient_descent(net, p, X, y, lr=0.1, n_steps=-1)
    with pytest.raises(ValueError, match="finite"):
        gradient_descent(net, p, X, np.full(4, np.inf), lr=0.1, n_steps=1)
    with pytest.raises(ValueError, match="batch"):
        gradient_descent(net, p, X, np.ones((2, 4)), lr=0.1, n_steps=1)
    with pytest.raises(ValueError, match="delta"):
        label_noise_sgd(net, p, X, y, lr=0.1, n_steps=1, delta=-1.0)
    with pytest.raises(ValueError, match="square loss"):
        label_noise_sde(net, p, X, np.sign(y), dt=0.1, n_steps=1, sigma=1.0, loss="exponential")


# ----------------------------------------------------------------- label noise
def test_label_noise_gd_is_euler_maruyama_of_the_sde():
    X, y = _data(4, 3, seed=10)
    net = TwoLayerLinear(d=3, l=4)
    p = varre_init(net, gamma=0.1, seed=1, batch=3)
    eta, delta = 0.02, 0.3
    a = label_noise_sgd(net, p, X, y, lr=eta, n_steps=200, delta=delta, seed=11)
    b = label_noise_sde(net, p, X, y, dt=eta, n_steps=200, sigma=delta * np.sqrt(eta), seed=11)
    for u, v in zip(a.x, b.x):
        assert np.max(np.abs(u - v)) <= 1e-12
    c = label_noise_sgd(net, p, X, y, lr=eta, n_steps=200, delta=delta, seed=12)
    assert np.max(np.abs(c.x[0] - a.x[0])) > 1e-3   # another seed, another path


def test_sde_stationary_variance():
    # L = 1, n = d = 1, x = 1: d theta = -(theta - y) dt + sigma dB, Euler-Maruyama is the AR(1)
    # theta' = (1 - dt) theta + dt y + sigma sqrt(dt) xi with stationary variance sigma^2 / (2 - dt).
    net = DeepLinear([1, 1])
    B, dt, sigma = 4000, 0.1, 0.5
    res = label_noise_sde(net, (np.zeros((B, 1, 1)),), np.ones((1, 1)), np.array([1.0]), dt=dt,
                          n_steps=400, sigma=sigma, seed=3)
    th = res.x[0][:, 0, 0]
    var = sigma ** 2 / (2 - dt)
    # Sample variance of B = 4000 Gaussian draws has relative std sqrt(2/B) = 2.2%; allow 4 std.
    assert abs(th.var() / var - 1) < 4 * np.sqrt(2 / B)
    assert abs(th.mean() - 1.0) < 4 * np.sqrt(var / B)


# ------------------------------------------------------- status vocabulary (issue 13/15)
def test_statuses_are_status_members():
    from ibtheory import Status

    X, y = _data(4, 3, seed=11)
    net = DeepLinear([3, 3, 1])
    p = gaussian_init(net, scale=0.5, seed=1)
    g = gradient_descent(net, tuple(np.stack([a, a]) for a in p), X, y, lr=np.array([0.01, 50.0]), n_steps=50)
    assert g.status is Status.DIVERGED and not g.success and "1 of 2" in g.message
    g = gradient_descent(net, p, X, y, lr=0.01, n_steps=5)
    assert g.status is Status.SUCCESS and g.success
    s = label_noise_sde(net, p, X, y, dt=0.01, n_steps=5, sigma=0.1)
    assert s.status is Status.SUCCESS and s.success
    s = label_noise_sde(net, p, X, y, dt=1e3, n_steps=200, sigma=0.0)
    assert s.status is Status.OVERFLOW and not s.success and all(np.all(np.isfinite(a)) for a in s.x)


def test_overflow_is_reported_not_blamed_on_the_step():
    from ibtheory import Status

    X, y = _data(4, 3, seed=12)
    net = DeepLinear([3, 3, 1])
    big = tuple(np.full(s, 1e200) for s in net.shapes)
    res = gradient_flow(net, big, X, y, grad_tol=1e-8)
    assert res.status is Status.OVERFLOW and not res.success and "float64" in res.message
    assert "step" not in res.message


def test_smooth_step_collapse_is_not_a_kink():
    # Marion & Chizat's small-initialization flow at L = 6: the escape from the plateau near
    # t ~ 1e9 has steps ~1e-9 t; the old heuristic called that a ReLU kink.
    from ibtheory import Status

    rng = np.random.default_rng(13)
    X = rng.standard_normal((20, 5))
    y = X @ rng.standard_normal(5)
    net = DeepLinear([5] * 6 + [1])
    res = gradient_flow(net, gaussian_init(net, scale=1e-3, seed=6), X, y, loss="mean", stat_tol=1e-8)
    assert res.status is Status.SUCCESS, res.message
    assert "kink" not in res.message.lower()


def test_batched_labels_with_one_run_are_rejected():
    X, y = _data(4, 3, seed=14)
    net = DeepLinear([3, 2, 1])
    p = gaussian_init(net, seed=0)
    yb = np.stack([y, -y])
    from ibtheory.dynamics import sharpness
    for call in (lambda: label_noise_sde(net, p, X, yb, dt=0.1, n_steps=1, sigma=0.0),
                 lambda: sharpness(net, p, X, yb),
                 lambda: hessian(net, p, X, yb),
                 lambda: gradient_descent(net, p, X, yb, lr=0.1, n_steps=1)):
        with pytest.raises(ValueError, match="y"):
            call()


def test_nonfinite_hessian_and_sharpness_raise():
    from ibtheory.dynamics import sharpness

    X, y = _data(4, 3, seed=15)
    net = DeepLinear([3, 3, 1])
    big = tuple(np.full(s, 1e120) for s in net.shapes)
    with pytest.raises(ValueError, match="not finite"):
        hessian(net, big, X, y)
    with pytest.raises(ValueError, match="not finite"):
        sharpness(net, big, X, y)


def test_model_and_budget_errors():
    X, y = _data(4, 3, seed=16)
    net = DeepLinear([3, 2, 1])
    p = gaussian_init(net, seed=0)
    with pytest.raises(TypeError, match="model"):
        gradient_flow(None, p, X, y)
    with pytest.raises(TypeError, match="model"):
        gradient_descent("net", p, X, y, lr=0.1, n_steps=1)
    with pytest.raises(ValueError, match="max_steps"):
        gradient_flow(net, p, X, y, max_steps=-1)
    with pytest.raises(ValueError, match="n_steps"):
        gradient_descent(net, p, X, y, lr=0.1, n_steps=10 ** 12)
    with pytest.raises(TypeError, match="n_steps"):
        label_noise_sde(net, p, X, y, dt=0.1, n_steps=2.5, sigma=0.0)


@pytest.mark.parametrize("which", ["sgd", "sde"])
def test_label_noise_run_does_not_depend_on_its_batch(which):
    # Each run draws from its own stream: run b of a batch equals the same run alone.
    from ibtheory.dynamics import label_noise_sde, label_noise_sgd
    from ibtheory.models import TwoLayerLinear, varre_init

    net = TwoLayerLinear(d=3, l=4)
    rng = np.random.default_rng(np.random.SeedSequence(5))
    X, y = rng.standard_normal((6, 3)), rng.standard_normal(6)
    one = varre_init(net, 0.3)
    three = tuple(np.stack([w] * 3) for w in one)
    if which == "sgd":
        go = lambda p, s: label_noise_sgd(net, p, X, y, lr=0.02, n_steps=700, delta=0.5, seed=s)  # noqa: E731
    else:
        go = lambda p, s: label_noise_sde(net, p, X, y, dt=0.02, n_steps=700, sigma=0.1, seed=s)  # noqa: E731
    batch = go(three, [21, 22, 23])
    alone = go(one, [22])
    assert np.array_equal(batch.x[0][1], alone.x[0]) and np.array_equal(batch.x[1][1], alone.x[1])
    assert not np.allclose(batch.x[0][0], batch.x[0][1])       # distinct streams
    # an int seed gives run b the stream SeedSequence(seed).spawn(B)[b], whatever B
    two = tuple(np.stack([w] * 2) for w in one)
    assert np.array_equal(go(three, 4).x[0][:2], go(two, 4).x[0])
    with pytest.raises(ValueError, match="seed has 2 entries but there are 3 runs"):
        go(three, [1, 2])
    with pytest.raises(TypeError, match="seed"):
        go(one, True)
    with pytest.raises((TypeError, ValueError), match="seed"):
        go(one, [1.5])
