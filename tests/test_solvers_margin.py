"""max_margin against an exact dual QP (NNLS), an LP (linprog) and first-order checks."""
import fractions

import numpy as np
import pytest
from scipy.optimize import linprog, nnls

from ibtheory.solvers import max_margin


def _separable(seed, n, d):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.where(rng.standard_normal(n) > 0, 1.0, -1.0)
    return X, y


def test_l2_matches_dual_qp_by_nnls():
    for seed in range(3):
        X, y = _separable(seed, 8, 15)
        A = y[:, None] * X
        # Dual: min 1/2 mu^T K mu - 1^T mu, mu >= 0 with K = A A^T = R^T R, i.e. the
        # NNLS problem min ||R mu - R^{-T} 1||; then z = A^T mu.
        R = np.linalg.cholesky(A @ A.T).T
        mu, _ = nnls(R, np.linalg.solve(R.T, np.ones(len(y))))
        ref = A.T @ mu
        res = max_margin(X, y, p=2)
        assert res.success
        assert np.max(np.abs(res.x - ref)) <= 1e-9 * np.max(np.abs(ref))
        assert res.fun == pytest.approx(np.linalg.norm(ref), rel=1e-10)


def test_l1_matches_linprog():
    X, y = _separable(7, 10, 25)
    A = y[:, None] * X
    d = X.shape[1]
    lp = linprog(np.ones(2 * d), A_ub=-np.hstack([A, -A]), b_ub=-np.ones(len(y)),
                 bounds=(0, None), method="highs",
                 options=dict(primal_feasibility_tolerance=1e-10, dual_feasibility_tolerance=1e-10))
    ref = lp.x[:d] - lp.x[d:]
    res = max_margin(X, y, p=1)
    assert res.fun == pytest.approx(lp.fun, rel=1e-10)
    assert np.max(np.abs(res.x - ref)) <= 1e-8 * np.max(np.abs(ref))
    assert np.min(A @ res.x) >= 1 - 1e-12


@pytest.mark.parametrize("p,L", [(2 / 3, 3), (fractions.Fraction(1, 2), 4), (0.4, 5)])
def test_quasi_norm_stationary_point(p, L):
    X, y = _separable(11, 10, 30)
    A = y[:, None] * X
    res = max_margin(X, y, p=p)
    z = res.x
    pf = 2.0 / L
    assert res.p == pytest.approx(pf)
    assert np.min(A @ z) >= 1 - 1e-10
    # Not worse than where it started (the l1 solution), measured in ||.||_p.
    z1 = max_margin(X, y, p=1).x
    assert res.fun <= np.sum(np.abs(z1) ** pf) ** (1 / pf) * (1 + 1e-12)
    # First-order stationarity on the support, recomputed here from scratch: the
    # gradient of sum |z_j|^p on S must be a non-negative combination of the
    # active constraint normals (solved by dense least squares, not NNLS).
    S = np.flatnonzero(np.abs(z) > 1e-9 * np.max(np.abs(z)))
    T = np.flatnonzero(A @ z - 1 <= 1e-9)
    grad = pf * np.abs(z[S]) ** (pf - 1) * np.sign(z[S])
    mu, *_ = np.linalg.lstsq(A[np.ix_(T, S)].T, grad, rcond=None)
    assert np.linalg.norm(A[np.ix_(T, S)].T @ mu - grad) <= 1e-8 * np.linalg.norm(grad)
    assert np.min(mu) >= -1e-10 * np.max(np.abs(mu))
    # And no small feasible move on the support lowers the objective.
    rng = np.random.default_rng(0)
    f0 = np.sum(np.abs(z) ** pf)
    for _ in range(200):
        delta = np.zeros_like(z)
        delta[S] = rng.standard_normal(S.size) * 1e-6 * np.abs(z[S])
        if np.min(A @ (z + delta)) >= 1:
            assert np.sum(np.abs(z + delta) ** pf) >= f0 * (1 - 1e-14)


def test_stationarity_residual_detects_a_non_stationary_point():
    from ibtheory.solvers._margin import _stationarity_p

    X, y = _separable(11, 10, 30)
    A = y[:, None] * X
    z = max_margin(X, y, p=2).x  # dense, not stationary for p = 2/3
    kkt, _ = _stationarity_p(A, z, 2 / 3)
    assert kkt.stationarity > 1e-3


def test_bad_input():
    X, y = _separable(0, 6, 4)
    with pytest.raises(ValueError, match="labels"):
        max_margin(X, 2 * y)
    with pytest.raises(ValueError, match="p must be"):
        max_margin(X, y, p=0.7)
    with pytest.raises(ValueError, match="p must be"):
        max_margin(X, y, p=3)
    with pytest.raises(ValueError, match="y must have shape"):
        max_margin(X, y[:-1])
    Xn = np.vstack([X[:1], X[:1]])
    for p in (2, 1, 2 / 3):
        with pytest.raises(ValueError, match="not linearly separable"):
            max_margin(Xn, [1.0, -1.0], p=p)
