"""Tests of ibtheory.solvers.lp_margin_kkt_residual and polish_stationary (l_p max-margin, p <= 1).

Expected values come from max_margin (reweighted l1 / LP, another algorithm), from
hand-solvable one-point problems, and from perturbations that must be detected.
"""
import numpy as np
import pytest

from ibtheory.solvers import SolverError, lp_margin_kkt_residual, max_margin, polish_stationary


def _instance(seed, n=6, d=12):
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    return rng.standard_normal((n, d)), np.where(rng.standard_normal(n) > 0, 1.0, -1.0)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("L", [3, 4])
def test_residual_vanishes_at_solver_points(seed, L):
    X, y = _instance(seed)
    z = max_margin(X, y, p=2 / L).x
    assert lp_margin_kkt_residual(X, y, z, 2 / L) < 1e-10
    assert lp_margin_kkt_residual(X, y, 3.7 * z, 2 / L) < 1e-10     # scale invariant


@pytest.mark.parametrize("seed", range(4))
def test_residual_detects_non_stationary_points(seed):
    X, y = _instance(seed)
    z = max_margin(X, y, p=2 / 3).x
    rng = np.random.default_rng(seed + 100)
    bumped = z + 0.05 * np.max(np.abs(z)) * rng.standard_normal(z.size)
    if np.min(y * (X @ bumped)) > 0:
        assert lp_margin_kkt_residual(X, y, bumped, 2 / 3) > 1e-3
    # the l2 max-margin direction is dense: not stationary for p = 2/3
    z2 = max_margin(X, y, p=2).x
    assert lp_margin_kkt_residual(X, y, z2, 2 / 3) > 1e-2


def test_residual_one_point_by_hand():
    # min |z1|^p + |z2|^p s.t. 2 z1 + z2 >= 1: the vertex (1/2, 0) is stationary, mu = p (1/2)^p / (1/2 * 2)
    X, y = np.array([[2.0, 1.0]]), np.array([1.0])
    assert lp_margin_kkt_residual(X, y, np.array([0.5, 0.0]), 0.5) == 0.0
    assert lp_margin_kkt_residual(X, y, np.array([0.0, 1.0]), 0.5) == 0.0   # the other vertex
    assert lp_margin_kkt_residual(X, y, np.array([0.25, 0.5]), 0.5) > 0.1    # interior of the edge


@pytest.mark.parametrize("seed", range(3))
def test_polish_recovers_the_solver_point(seed):
    X, y = _instance(seed)
    z = max_margin(X, y, p=2 / 3).x
    zs = z / np.min(y * (X @ z))
    noisy = zs * (1 + 1e-4 * np.arange(zs.size)) + 1e-5 * np.max(np.abs(zs))
    res = polish_stationary(X, y, noisy, 2 / 3, active=5e-3)
    assert res.success and res.kkt.worst <= res.tol
    np.testing.assert_allclose(res.x, zs, rtol=1e-8, atol=1e-10)
    assert abs(res.fun - np.sum(np.abs(zs) ** (2 / 3))) < 1e-9 * res.fun
    assert np.all(res.dual >= 0)


def test_polish_raises_on_a_wrong_active_set():
    X, y = _instance(2)
    z = max_margin(X, y, p=2 / 3).x
    margins = np.sort(y * (X @ z)) / np.min(y * (X @ z))
    # an inactive margin within `active` of 1 is wrongly taken as active: no stationary point
    active = float(margins[np.searchsorted(margins, 1 + 1e-6)] - 1 + 1e-3)
    with pytest.raises(SolverError) as err:
        polish_stationary(X, y, z, 2 / 3, active=active)
    assert err.value.kkt is not None and err.value.kkt.worst > 1e-6


def test_bad_input():
    X, y = np.array([[2.0, 1.0]]), np.array([1.0])
    with pytest.raises(ValueError, match="p"):
        lp_margin_kkt_residual(X, y, np.array([1.0, 0.0]), 1.5)
    with pytest.raises(ValueError, match="separate"):
        lp_margin_kkt_residual(X, y, np.array([-1.0, 0.0]), 0.5)
    with pytest.raises(ValueError, match="z"):
        polish_stationary(X, y, np.array([1.0]), 0.5)
    with pytest.raises(ValueError, match="y"):
        lp_margin_kkt_residual(X, np.array([0.5]), np.array([1.0, 0.0]), 0.5)
    with pytest.raises(ValueError, match="rel"):
        polish_stationary(X, y, np.array([1.0, 0.0]), 0.5, rel=2.0)
