"""qnorm_interpolator (Yun et al. Thm 5 / Cor 5) against flows, limits and a second solver."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from ibtheory.solvers import min_l1_interpolator, min_l2_interpolator, qnorm_interpolator
from ibtheory.solvers._qnorm import h_prime_from_q2, q2_from_h
from ibtheory.special import h


def test_q2_from_h_closed_forms():
    # L = 2: p = cosh, q = sinh, h = sinh(2t)/2; L = 3: p = sec, q = tan, h = tan sec^2.
    t = np.linspace(-3, 3, 61)
    assert np.allclose(q2_from_h(2, np.sinh(2 * t) / 2), np.sinh(t) ** 2, rtol=1e-13, atol=1e-300)
    t = np.linspace(-1.5, 1.5, 61)
    assert np.allclose(q2_from_h(3, np.tan(t) / np.cos(t) ** 2), np.tan(t) ** 2, rtol=1e-12, atol=1e-300)
    assert q2_from_h(4, np.array([1e300]))[0] == pytest.approx((1e300) ** 0.5, rel=1e-12)


@pytest.mark.parametrize("L", [2, 3, 4, 6])
def test_h_prime_formula_against_finite_differences(L):
    from ibtheory.special import blowup_time

    t = np.linspace(-0.8, 0.8, 9) * min(1.0, blowup_time(L))
    eps = 1e-5
    fd = (h(L, t + eps) - h(L, t - eps)) / (2 * eps)
    assert np.allclose(h_prime_from_q2(L, q2_from_h(L, h(L, t))), fd, rtol=1e-8)


def _instance(seed=3, n=3, d=6):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, n)))
    X = Q.T
    y = 0.5 * rng.standard_normal(n)
    wbar = rng.uniform(0.5, 1.5, d) * rng.choice([-1.0, 1.0], d)
    return X, y, wbar


def _diagonal_flow_limit(X, y, L, alpha, wbar, thr=1e-11):
    """The simulated flow of the ledger claim (an independent DOP853 route, shared, not rewritten)."""
    from ibtheory.ledger.claims.yun2021_solvers import _diagonal_flow_limit as flow

    return flow(X, y, L, alpha, wbar, thr)


@pytest.mark.parametrize("L", [2, 3, 4])
@pytest.mark.parametrize("alpha", [0.5, 1.0])
def test_matches_simulated_diagonal_network_flow(L, alpha):
    X, y, wbar = _instance()
    beta = _diagonal_flow_limit(X, y, L, alpha, wbar)
    res = qnorm_interpolator(X, y, L, alpha, wbar)
    # Flow stopped at residual 1e-11 with rtol 1e-12: its limit is good to ~1e-10.
    assert np.max(np.abs(res.x - beta)) <= 1e-9 * np.max(np.abs(beta))
    # The OCR'd scaling alpha * L instead of alpha^L is a different problem.
    from ibtheory.solvers._qnorm import solve_separable
    a = alpha**2 * wbar**2
    z_ocr, _, _ = solve_separable(X, y, a, alpha * L * np.abs(wbar) ** L, L, "dual-newton")
    assert np.max(np.abs(z_ocr - beta)) > 1e-3 * np.max(np.abs(beta))


@pytest.mark.parametrize("L,alpha", [(2, 1.0), (3, 1.0), (4, 1.0), (2, 0.1), (4, 0.1)])
def test_matches_primal_newton_second_route(L, alpha):
    rng = np.random.default_rng(8)
    X, y = rng.standard_normal((5, 12)), rng.standard_normal(5)
    w = rng.uniform(0.5, 2.0, 12)
    a = qnorm_interpolator(X, y, L, alpha, w)
    b = qnorm_interpolator(X, y, L, alpha, w, method="primal-newton")
    assert np.max(np.abs(a.x - b.x)) <= 1e-7 * np.max(np.abs(a.x))
    assert a.fun <= b.fun * (1 + 1e-12)


def test_limits_l2_and_l1():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((5, 12)), rng.standard_normal(5)
    l1, l2 = min_l1_interpolator(X, y).x, min_l2_interpolator(X, y).x
    gap = np.max(np.abs(l1 - l2))
    for L in (3, 4):
        big = qnorm_interpolator(X, y, L, 1e3).x
        assert np.max(np.abs(big - l2)) <= 1e-10 * gap
    small = qnorm_interpolator(X, y, 4, 1e-3).x
    assert np.max(np.abs(small - l1)) <= 1e-8 * gap
    # Monotone approach to l1 as alpha shrinks (L = 3).
    d = [np.max(np.abs(qnorm_interpolator(X, y, 3, a).x - l1)) for a in (1.0, 0.1, 0.01)]
    assert d[0] > d[1] > d[2]


def test_weighted_l2_limit():
    # H_L(u) ~ u^2/2 near 0: Q ~ sum z_j^2 / (2 alpha^(2L-2) |w_j|^(2L-2)), a weighted l2.
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((4, 9)), rng.standard_normal(4)
    w, L = rng.uniform(0.5, 2.0, 9), 3
    D = np.abs(w) ** (L - 1)
    ref = D * min_l2_interpolator(X * D, y).x
    assert np.allclose(qnorm_interpolator(X, y, L, 1e4, w).x, ref, rtol=1e-9, atol=1e-12)


def test_bad_input():
    X, y = np.eye(2, 3), np.ones(2)
    with pytest.raises(ValueError, match="alpha"):
        qnorm_interpolator(X, y, 2, 0.0)
    with pytest.raises(ValueError, match="L must be"):
        qnorm_interpolator(X, y, 1, 1.0)
    with pytest.raises(ValueError, match="zero entries"):
        qnorm_interpolator(X, y, 2, 1.0, w=[1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="w must have shape"):
        qnorm_interpolator(X, y, 2, 1.0, w=[1.0, 1.0])
    with pytest.raises(ValueError, match="method"):
        qnorm_interpolator(X, y, 2, 1.0, method="newton")
    with pytest.raises(ValueError, match="range of X"):
        qnorm_interpolator(np.ones((2, 3)), [1.0, 2.0], 3, 1.0)
    with pytest.raises(ValueError, match="float64 range"):
        qnorm_interpolator(X, y, 4, 1e100)


@pytest.mark.parametrize("L", [2, 4])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cvxpy_route_agrees_and_is_certified(L, seed):
    rng = np.random.default_rng(300 + seed)
    X, y = rng.standard_normal((5, 12)), rng.standard_normal(5)
    alpha = (0.3, 1.0, 3.0)[seed]
    res = qnorm_interpolator(X, y, L, alpha, method="cvxpy")
    ref = qnorm_interpolator(X, y, L, alpha, method="primal-newton")  # shares no code with the dual
    assert res.success and res.kkt.worst <= res.tol
    assert np.max(np.abs(res.x - ref.x)) <= 1e-7 * np.max(np.abs(ref.x))
    z0, kkt0 = res.unpolished  # Clarabel alone: ~1e-6, documented
    assert np.max(np.abs(z0 - ref.x)) <= 1e-4 * np.max(np.abs(ref.x))
    assert kkt0.worst < 1e-3


def test_cvxpy_route_rejects_other_depths():
    X, y = np.eye(2), np.ones(2)
    with pytest.raises(ValueError, match="L = 2 or L = 4"):
        qnorm_interpolator(X, y, 3, 1.0, method="cvxpy")
