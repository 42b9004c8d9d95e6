"""min_l2 / min_l1 / min_distance against routes that do not share their code."""
import numpy as np
import pytest
from scipy.optimize import linprog

from ibtheory.solvers import (
    KKT, SolverError, SolverResult, min_distance_interpolator, min_l1_interpolator,
    min_l2_interpolator,
)


def _data(seed, n, d):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal(n)


def test_min_l2_matches_lstsq_and_result_contract():
    X, y = _data(0, 8, 20)
    res = min_l2_interpolator(X, y)
    ref = np.linalg.lstsq(X, y, rcond=None)[0]  # LAPACK gelsd: min-norm least squares
    assert isinstance(res, SolverResult) and isinstance(res.kkt, KKT)
    assert res.success and res.status == 0 and "optimal" in res.message
    assert np.allclose(res.x, ref, rtol=1e-12, atol=1e-13)
    assert res.fun == pytest.approx(0.5 * ref @ ref, rel=1e-12)
    assert set(res.kkt) == {"primal_feasibility", "stationarity"}
    assert res.kkt.worst <= res.tol


def test_min_l2_rank_deficient_and_matrix_targets():
    rng = np.random.default_rng(1)
    B = rng.standard_normal((6, 3))
    X = np.hstack([B, B[:, :2] * 2.0, B @ rng.standard_normal((3, 4))])  # rank 3, n = 6
    Y = X @ rng.standard_normal((X.shape[1], 2))                       # in range(X)
    res = min_l2_interpolator(X, Y)
    ref = np.linalg.pinv(X, rcond=1e-10) @ Y
    assert res.x.shape == (X.shape[1], 2)
    assert np.allclose(res.x, ref, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="not in the range of X"):
        min_l2_interpolator(X, rng.standard_normal(6))


def test_min_l1_matches_linprog():
    for seed in range(3):
        X, y = _data(10 + seed, 10, 30)
        d = X.shape[1]
        lp = linprog(np.ones(2 * d), A_eq=np.hstack([X, -X]), b_eq=y, bounds=(0, None),
                     method="highs", options=dict(primal_feasibility_tolerance=1e-10,
                                                  dual_feasibility_tolerance=1e-10))
        ref = lp.x[:d] - lp.x[d:]
        res = min_l1_interpolator(X, y)
        assert res.success
        assert np.max(np.abs(res.x - ref)) <= 1e-8 * np.max(np.abs(ref))
        assert res.fun == pytest.approx(lp.fun, rel=1e-10)
        # The certificate: lam is dual feasible and closes the gap.
        lam = res.dual
        assert np.max(np.abs(X.T @ lam)) <= 1 + 1e-9
        assert lam @ y == pytest.approx(res.fun, rel=1e-9)
        assert np.count_nonzero(res.x) <= X.shape[0]  # polished onto a vertex


def test_min_distance_matches_kkt_system():
    rng = np.random.default_rng(4)
    J = rng.standard_normal((5, 12))
    theta0, y, f0 = rng.standard_normal(12), rng.standard_normal(5), rng.standard_normal(5)
    res = min_distance_interpolator(J, y, theta0, f0=f0)
    # Stationarity omega - theta0 = J^T nu and feasibility, as one square system.
    K = np.block([[np.eye(12), -J.T], [J, np.zeros((5, 5))]])
    sol = np.linalg.solve(K, np.concatenate([theta0, y - f0 + J @ theta0]))
    assert np.allclose(res.x, sol[:12], rtol=1e-12, atol=1e-12)
    assert np.allclose(J @ (res.x - theta0) + f0, y, atol=1e-12)


def test_min_distance_is_the_limit_of_gradient_descent():
    rng = np.random.default_rng(5)
    J = rng.standard_normal((4, 9)) / 3
    theta0, y = rng.standard_normal(9), rng.standard_normal(4)
    omega = theta0.copy()
    eta = 1.0 / np.linalg.norm(J, 2) ** 2
    for _ in range(20000):
        omega -= eta * J.T @ (J @ (omega - theta0) - y)
    res = min_distance_interpolator(J, y, theta0)
    assert np.max(np.abs(J @ (omega - theta0) - y)) < 1e-12
    assert np.allclose(res.x, omega, atol=1e-10)


@pytest.mark.parametrize("fn", [min_l2_interpolator, min_l1_interpolator])
def test_bad_input(fn):
    X, y = _data(2, 4, 6)
    with pytest.raises(ValueError, match="y must have shape"):
        fn(X, y[:3])
    with pytest.raises(ValueError, match="X must be"):
        fn(X[0], y)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        fn(bad, y)
    with pytest.raises(ValueError, match="tol"):
        fn(X, y, tol=0.0)
    with pytest.raises(ValueError, match="range of X"):
        fn(np.vstack([X[:2], X[:2]]), y)


def test_min_distance_bad_input():
    with pytest.raises(ValueError, match="theta0 must have shape"):
        min_distance_interpolator(np.eye(2), [1.0, 2.0], [0.0])
    with pytest.raises(ValueError, match="f0 must have shape"):
        min_distance_interpolator(np.eye(2), [1.0, 2.0], [0.0, 0.0], f0=[1.0])


def test_unreachable_tolerance_raises_solver_error():
    X, y = _data(3, 5, 9)
    with pytest.raises(SolverError) as info:
        min_l2_interpolator(X, y, tol=1e-300)
    assert info.value.status == "kkt_not_met"
    assert isinstance(info.value.kkt, KKT) and info.value.kkt.worst > 1e-300


@pytest.mark.parametrize("seed", range(4))
def test_min_l1_two_routes_agree(seed):
    rng = np.random.default_rng(500 + seed)
    n, d = [(5, 20), (10, 40), (3, 9), (20, 60)][seed]
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    a = min_l1_interpolator(X, y, method="highs")
    b = min_l1_interpolator(X, y, method="cvxpy")
    assert a.success and b.success and a.method == "highs" and b.method == "cvxpy"
    assert a.fun == pytest.approx(b.fun, rel=1e-10)
    assert np.max(np.abs(a.x - b.x)) <= 1e-8 * np.max(np.abs(a.x))


def test_min_l1_infeasible_is_verified():
    X = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(ValueError, match="not in the range"):
        min_l1_interpolator(X, [1.0, 0.0])
