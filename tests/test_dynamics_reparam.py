"""Tests of ibtheory.dynamics.reparam_flow: the gradient flow on an adaptive clock.

Routes: gradient_flow (physical time, where it works), discrete GD with small
steps, closed forms of the balanced scalar chain (plateau time) and of diagonal
networks on orthogonal data (limits from the conservation laws).
"""
import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import brentq

from ibtheory import Status
from ibtheory.dynamics import gradient_descent, gradient_flow, reparam_flow
from ibtheory.models import (
    Convolutional,
    DeepLinear,
    Diagonal,
    TwoLayerLinear,
    gaussian_init,
    tensor_form,
)


def _realizable(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return X, X @ rng.standard_normal(d)


# ----------------------------------------------------- agreement with gradient_flow
@pytest.mark.parametrize("model", [DeepLinear([4, 4, 4, 1]), Diagonal(d=4, L=3), TwoLayerLinear(d=4, l=3)],
                         ids=repr)
def test_same_time_at_given_loss_as_gradient_flow(model):
    X, y = _realizable(6, 4, seed=1)
    p0 = gaussian_init(model, scale=0.3, seed=2)
    r = reparam_flow(model, p0, X, y, loss="mean", loss_tol=1e-6, rtol=1e-12)
    assert r.success and abs(r.fun / 1e-6 - 1) <= 1e-9
    g = gradient_flow(model, p0, X, y, loss="mean", t_max=r.t_final, rtol=1e-13)
    assert g.success
    # The physical-time flow, stopped at the reparametrized flow's t, is at the same loss
    # and the same point (DOP853 global errors at rtol 1e-12..1e-13: ~1e-11).
    assert abs(g.fun / 1e-6 - 1) <= 1e-8
    assert np.max(np.abs(model.flatten(g.x) - model.flatten(r.x))) <= 1e-9
    assert r.drift <= 1e-10


def test_same_limit_as_gradient_flow_from_small_init():
    X, y = _realizable(8, 5, seed=3)
    net = DeepLinear([5] * 4 + [1])
    p0 = gaussian_init(net, scale=1e-3, seed=4)
    g = gradient_flow(net, p0, X, y, loss="mean", stat_tol=1e-9, rtol=1e-12)
    r = reparam_flow(net, p0, X, y, loss="mean", stat_tol=1e-9, rtol=1e-12)
    assert g.success and r.success
    assert np.max(np.abs(net.flatten(g.x) - net.flatten(r.x))) <= 1e-7
    # the time of the escape: where the loss crosses 1e-4, both clocks agree
    r = reparam_flow(net, p0, X, y, loss="mean", loss_tol=1e-4, rtol=1e-12)
    g = gradient_flow(net, p0, X, y, loss="mean", t_max=r.t_final, rtol=1e-12)
    assert r.t_final > 1e4 and abs(g.fun / 1e-4 - 1) <= 1e-6


def test_records_at_physical_times_match_gradient_flow():
    X, y = _realizable(5, 3, seed=5)
    net = DeepLinear([3, 3, 1])
    p0 = gaussian_init(net, scale=0.5, seed=6)
    ts = np.array([0.0, 0.1, 0.5, 1.0, 3.0])
    g = gradient_flow(net, p0, X, y, t_eval=ts, record=("beta",), rtol=1e-13)
    r = reparam_flow(net, p0, X, y, t_eval=ts, record=("beta",), rtol=1e-12)
    assert r.success and np.array_equal(r.t, ts)
    assert np.max(np.abs(r.records["beta"] - g.records["beta"])) <= 1e-9


# ------------------------------------------------------------------ t = 0 and t = inf
def test_at_time_zero():
    X, y = _realizable(4, 3, seed=7)
    net = DeepLinear([3, 2, 1])
    p0 = gaussian_init(net, scale=0.5, seed=1)
    L0 = net.loss(p0, X, y)
    r = reparam_flow(net, p0, X, y, loss_tol=2 * L0)
    assert r.success and r.t_final == 0.0 and r.tau_final == 0.0 and r.nit == 0
    assert all(np.array_equal(a, b) for a, b in zip(r.x, p0)) and r.fun == L0
    assert r.t.tolist() == [0.0] and r.records["loss"][0] == L0


def _diag_limit(w0, y):
    """Limit of the diagonal flow on X = I (coordinates decouple) from its conservation laws:
    w_l^2 - w_L^2 = c_l, prod_l w_l = y, signs kept; solve for s = w_L^2 by bisection."""
    L = len(w0)
    c = [w0[l] ** 2 - w0[-1] ** 2 for l in range(L)]
    sgn = np.sign(w0)
    # sign of prod w must become sign(y): the coordinate through zero is the last one with
    # the smallest |w| (for the test's data every sign is already right).
    assert np.prod(sgn) == np.sign(y)
    f = lambda s: np.prod([np.sqrt(s + cl) for cl in c]) - abs(y)  # noqa: E731
    lo = max(0.0, -min(c))
    s = brentq(f, lo, lo + abs(y) ** (2 / L) + 10.0, xtol=1e-300, rtol=1e-15)
    return np.array([sg * np.sqrt(s + cl) for sg, cl in zip(sgn, c)])


@pytest.mark.parametrize("L,scale,d", [(2, 1e-8, 3), (3, 1e-2, 2), (6, 1e-3, 1)])
def test_limit_of_diagonal_network_from_the_conservation_laws(L, scale, d):
    rng = np.random.default_rng(L)
    w0 = tuple(scale * rng.uniform(0.5, 1.5, d) for _ in range(L))
    y = rng.uniform(0.5, 2.0, d)
    r = reparam_flow(Diagonal(d=d, L=L), w0, np.eye(d), y, loss_tol=1e-24)
    assert r.success and r.fun <= 1.01e-24   # loss_tol up to the rounding of the loss
    W = np.stack(r.x)
    for j in range(d):
        exact = _diag_limit(np.array([w[j] for w in w0]), y[j])
        assert np.max(np.abs(W[:, j] - exact)) <= 1e-9 * max(1.0, np.max(np.abs(exact)))


def test_plateau_time_of_the_balanced_scalar_chain():
    # w' = (y - w^L) w^(L-1) with y = 1 (half_sum, x = 1, all layers equal): the time to reach
    # w is int_s^w dv / ((1 - v^L) v^(L-1)) = (s^(2-L) - w^(2-L))/(L-2) + int_s^w v/(1-v^L) dv.
    for L, s in ((10, 1e-4), (12, 1e-8)):
        net = Diagonal(d=1, L=L)
        lt = 1e-12
        r = reparam_flow(net, tuple(np.full(1, s) for _ in range(L)), np.ones((1, 1)), np.ones(1),
                         loss_tol=lt)
        assert r.success
        w = (1 - np.sqrt(2 * lt)) ** (1 / L)
        t_exact = (s ** (2 - L) - w ** (2 - L)) / (L - 2) + quad(lambda v: v / (1 - v ** L), s, w,
                                                                 epsabs=0, epsrel=1e-13, limit=200)[0]
        assert abs(r.t_final / t_exact - 1) <= 1e-8, (L, r.t_final, t_exact)


# ----------------------------------------------------------------- discrete GD
def test_gd_with_small_steps_approaches_the_reparametrized_flow():
    X, y = _realizable(6, 3, seed=8)
    net = DeepLinear([3, 3, 3, 1])
    p0 = gaussian_init(net, scale=0.5, seed=2)
    T = 1.0
    r = reparam_flow(net, p0, X, y, t_max=T, rtol=1e-12)
    assert r.success and r.t_final == T
    errs = []
    for N in (200, 400, 800):
        gd = gradient_descent(net, p0, X, y, lr=T / N, n_steps=N, record=())
        errs.append(np.linalg.norm(net.flatten(gd.x) - net.flatten(r.x)))
    ratios = np.array(errs[:-1]) / np.array(errs[1:])
    # Euler's global error C*eta + O(eta^2): halving the step halves it (only if both
    # trajectories are the same flow at the same physical time).
    assert np.all(np.abs(ratios - 2) < 0.05), ratios


# ------------------------------------------------------- small init, deep networks
@pytest.mark.parametrize("L,scale", [(6, 1e-3), (10, 1e-4), (12, 1e-8)])
def test_deep_linear_from_tiny_init_reaches_the_limit(L, scale):
    X, y = _realizable(20, 5, seed=L)
    net = DeepLinear([5] * L + [1])
    r = reparam_flow(net, gaussian_init(net, scale=scale, seed=1), X, y, loss="mean", loss_tol=1e-20)
    assert r.success and r.fun <= 1.01e-20 and r.drift <= 1e-9
    # the loss decreases (down to 1e-14; below, the local errors at rtol 1e-10 are of the size
    # of the residuals themselves and the recorded loss fluctuates while it keeps decreasing)
    lo = r.records["loss"]
    keep = lo[1:] > 1e-14
    assert np.all(np.diff(r.t) >= 0) and np.all(np.diff(lo)[keep] <= 1e-12 * lo[:-1][keep])
    # the physical-time flow cannot follow from the same init at L = 10 (t ~ 1e28).
    assert r.t_final > 10 ** (L - 2)


@pytest.mark.parametrize("model", [Diagonal(d=2, L=3), Convolutional(d=2, L=3)], ids=repr)
def test_tensor_network_from_tiny_init(model):
    net, to_v = tensor_form(model)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((model.d, model.d))
    y = X @ rng.uniform(0.5, 1.5, model.d)
    v0 = to_v(tuple(1e-4 * rng.uniform(0.5, 1.5, model.d) for _ in range(model.L)))
    r = reparam_flow(net, v0, X, y, loss_tol=1e-20)
    assert r.success and r.fun <= 1.01e-20
    # the same flow written as the concrete family reaches the same beta
    q = reparam_flow(model, tuple(np.asarray(v) for v in v0), X, y, loss_tol=1e-20)
    assert np.max(np.abs(net.beta(r.x) - model.beta(q.x))) <= 1e-8


# ----------------------------------------------------------- statuses and bad input
def test_statuses():
    X, y = _realizable(4, 3, seed=9)
    net = DeepLinear([3, 3, 1])
    zero = tuple(np.zeros(s) for s in net.shapes)
    r = reparam_flow(net, zero, X, y, loss_tol=1e-10)
    assert r.status is Status.STALLED and not r.success and "zero" in r.message
    p = gaussian_init(net, scale=0.5, seed=1)
    r = reparam_flow(net, p, X, y, loss_tol=1e-30, max_steps=3)
    assert r.status is Status.MAX_ITER and "max_steps" in r.message and np.isfinite(r.fun)
    r = reparam_flow(net, p, X, y, loss_tol=1e-30, t_max=0.01)
    assert r.status is Status.MAX_ITER and "t_max" in r.message and r.t_final == 0.01
    big = tuple(np.full(s, 1e200) for s in net.shapes)
    r = reparam_flow(net, big, X, y, loss_tol=1e-3)
    assert r.status is Status.OVERFLOW and not r.success and "float64" in r.message


def test_bad_input():
    X, y = _realizable(4, 3, seed=10)
    net = DeepLinear([3, 2, 1])
    p = gaussian_init(net, seed=0)
    with pytest.raises(TypeError, match="model"):
        reparam_flow(None, p, X, y)
    with pytest.raises(ValueError, match="kappa"):
        reparam_flow(net, p, X, y, kappa=0.0)
    with pytest.raises(ValueError, match="rtol"):
        reparam_flow(net, p, X, y, rtol=1e-15)
    with pytest.raises(ValueError, match="one run"):
        reparam_flow(net, gaussian_init(net, batch=2), X, y)
    with pytest.raises(ValueError, match="max_steps"):
        reparam_flow(net, p, X, y, max_steps=-1)
    with pytest.raises(TypeError, match="max_steps"):
        reparam_flow(net, p, X, y, max_steps=2.5)
    with pytest.raises(ValueError, match="t_eval"):
        reparam_flow(net, p, X, y, t_eval=[1.0, 0.5])
    with pytest.raises(ValueError, match="loss_floor"):
        reparam_flow(net, p, X, y, loss_floor=np.nan)
