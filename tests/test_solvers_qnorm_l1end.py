"""qnorm_interpolator at the l1 end (issue 16): small alpha at depths up to 12.

Independent routes: an mpmath primal Newton (``_qnorm_reach.qnorm_mp``, shares no code
with the float64 dual / near-edge solver), the min-l1 LP (HiGHS), and the simulated
diagonal-network flow (``dynamics.reparam_flow``).
"""
import numpy as np
import pytest

from ibtheory.solvers import SolverError, min_l1_interpolator, qnorm_interpolator
from ibtheory.solvers._qnorm import _weights, qnorm_kkt
from ibtheory.solvers._qnorm_reach import qnorm_mp, qnorm_reach
from ibtheory.stats import loglog_fit


def _gaussian(seed, n=3, d=6):
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    return rng.standard_normal((n, d)), rng.standard_normal(n)


@pytest.mark.parametrize("L,alpha", [(5, 1e-3), (8, 0.03)])
def test_issue_cases_certified_and_match_mpmath(L, alpha):
    # The two cases of issue 16 that the dual route refused.
    X, y = _gaussian(0)
    res = qnorm_interpolator(X, y, L, alpha)
    assert res.success and res.kkt.worst <= 1e-12
    zm, step = qnorm_mp(X, y, L, alpha)
    assert step < 1e-25
    # componentwise, including the off-support entries of relative size alpha^L
    assert np.max(np.abs(res.x - zm) / np.abs(zm)) <= 1e-12


def test_sparse_target_degenerate_l1_limit_matches_mpmath():
    # y = 1.5 x_1: the l1 limit has support 1 < n = 3 (a degenerate LP vertex), the
    # case the continuation in alpha handles.
    X, _ = _gaussian(3)
    y = 1.5 * X[:, 0]
    res = qnorm_interpolator(X, y, 5, 1e-3)
    assert res.success and res.kkt.worst <= 1e-10
    zm, _ = qnorm_mp(X, y, 5, 1e-3)
    assert np.max(np.abs(res.x - zm)) <= 1e-12 * np.max(np.abs(zm))


@pytest.mark.parametrize("seed,n,d", [(0, 3, 6), (1, 5, 12), (2, 10, 40)])
def test_whole_grid_certified(seed, n, d):
    X, y = _gaussian(seed, n, d)
    rng = np.random.default_rng(np.random.SeedSequence(100 + seed))
    w = rng.uniform(0.5, 2.0, d) * rng.choice([-1.0, 1.0], d)
    for L in (3, 4, 5, 6, 8, 10, 12):
        for alpha in (0.1, 1e-2, 1e-3, 1e-6, 1e-12):
            res = qnorm_interpolator(X, y, L, alpha, w)
            assert res.kkt.worst <= 1e-11, (L, alpha, res.kkt)


def test_sparse_targets_certified():
    rng = np.random.default_rng(np.random.SeedSequence(7))
    X = rng.standard_normal((20, 50))
    for k in (1, 10, 19):
        beta = np.zeros(50)
        beta[rng.choice(50, k, replace=False)] = rng.standard_normal(k)
        for L, alpha in ((5, 1e-4), (8, 1e-4), (12, 1e-8)):
            res = qnorm_interpolator(X, X @ beta, L, alpha)
            assert res.success, (k, L, alpha)


@pytest.mark.parametrize("L", [8])
def test_tiny_alpha_is_the_weighted_l1_interpolator(L):
    # Q ~ c_L sum_j |z_j| / (alpha |w_j|)^(L-2): the weights are |w|^(L-2), not |w|^L.
    rng = np.random.default_rng(np.random.SeedSequence(11))
    X, y = rng.standard_normal((3, 8)), rng.standard_normal(3)
    w = rng.uniform(0.3, 3.0, 8) * rng.choice([-1.0, 1.0], 8)
    D = np.abs(w) ** (L - 2)
    ref = D * min_l1_interpolator(X * D, y).x
    wrong = np.abs(w) ** L * min_l1_interpolator(X * np.abs(w) ** L, y).x
    assert np.max(np.abs(ref - wrong)) > 0.1 * np.max(np.abs(ref))  # the instance tells them apart
    for alpha in (1e-8, 1e-16):
        res = qnorm_interpolator(X, y, L, alpha, w)
        assert res.kkt.worst <= 1e-12
        assert np.max(np.abs(res.x - ref)) <= 1e-9 * np.max(np.abs(ref))


@pytest.mark.parametrize("L,alphas", [(4, np.logspace(-1.5, -3.0, 4)), (8, np.logspace(-0.5, -1.4, 4))])
def test_distance_to_l1_decays_like_alpha_to_the_L(L, alphas):
    # Derived: with a non-degenerate l1 limit, t_j -> t*_j inside (-c_L, c_L) off the
    # support, so z_j = alpha^L h_L(t_j) (|w| = 1) and the support moves by
    # X_S^{-1} X_off z_off: the distance to the l1 solution is Theta(alpha^L).
    X, y = _gaussian(1)
    l1 = min_l1_interpolator(X, y).x
    gaps = np.array([np.max(np.abs(qnorm_interpolator(X, y, L, a).x - l1)) for a in alphas])
    assert np.all(gaps > 1e-13)  # above the round-off floor of the two solvers (~5e-16)
    fit = loglog_fit(alphas, gaps)
    # next order: t_j(alpha) - t*_j = O(alpha^(L-2)) relative (the gap of the support
    # duals), <= 1e-3 here; measured |slope - L| = 2.4e-4 (L = 4), 1.3e-3 (L = 8):
    # tolerance 1% of L (~60-170x the measured)
    assert abs(fit.slope - L) <= 0.01 * L, (fit.slope, fit.ci)


def test_stationarity_cannot_pass_by_overflow():
    # a/b = alpha^(2-L) = 1e160: ||X^T lam|| overflowed before, and r / inf = 0 passed.
    X, y = _gaussian(2)
    L, alpha = 12, 1e-16
    res = qnorm_interpolator(X, y, L, alpha)
    _, a, b = _weights(None, X.shape[1], L, alpha)
    assert np.isfinite(res.kkt.stationarity) and res.kkt.worst <= 1e-12
    bad = qnorm_kkt(X, y, a, b, L, res.x, 1.1 * res.dual)
    assert bad.stationarity > 0.05


def test_refuses_outside_float64_range():
    X, y = _gaussian(0)
    with pytest.raises(ValueError, match="float64 range"):
        qnorm_interpolator(X, y, 12, 1e-30)


def test_reach_table_smoke():
    r = qnorm_reach(depths=(4, 10), alphas=(1e-2, 1e-6), mp_cells=())
    assert r.certified.all() and np.all(r.worst <= 1e-11)
    assert r.pivot("worst").shape == (2, 2) and np.all(np.isnan(r.mp_error))


def test_refusal_keeps_its_residuals():
    # An impossible tolerance raises SolverError carrying the (tiny) residuals.
    X, y = _gaussian(0)
    with pytest.raises(SolverError) as err:
        qnorm_interpolator(X, y, 8, 1e-3, tol=1e-20)
    assert err.value.kkt is not None and err.value.kkt.worst < 1e-12


@pytest.mark.slow
def test_matches_reparametrized_diagonal_flow():
    # The flow from w_l(0) = alpha (l < L), w_L(0) = 0 at the issue's L = 8, alpha = 0.03.
    from ibtheory.dynamics import reparam_flow
    from ibtheory.models import Diagonal

    X, y = _gaussian(0)
    L, alpha, d = 8, 0.03, X.shape[1]
    net = Diagonal(d=d, L=L)
    params = tuple([alpha * np.ones(d)] * (L - 1) + [np.zeros(d)])
    flow = reparam_flow(net, params, X, y, loss_tol=1e-26, rtol=1e-12)
    assert flow.success and flow.drift < 1e-12
    beta = net.beta(flow.params)
    z = qnorm_interpolator(X, y, L, alpha).x
    # measured 2.7e-13 (normwise and componentwise <= 9e-13); the flow's loss 1e-26 leaves ~1e-13
    assert np.max(np.abs(z - beta)) <= 1e-10 * np.max(np.abs(z))


def test_several_l1_minimizers_are_refused_near_the_edge_and_symmetric_above():
    # Review finding: with a duplicated column the l1 limit has several minimizers; the
    # strictly convex Q has a unique, symmetric minimizer, which float64 cannot resolve
    # near the l1 end although the KKT residuals are at rounding level. It must refuse.
    import numpy as np
    import pytest
    from ibtheory.solvers import SolverError, qnorm_interpolator

    rng = np.random.default_rng(np.random.SeedSequence(5))
    X, y = rng.standard_normal((4, 7)), rng.standard_normal(4)
    j = int(np.argmax(np.abs(qnorm_interpolator(X, y, 3, 1e-6).x)))
    Xd = np.column_stack([X, X[:, j]])
    for L, alpha in [(6, 1e-3), (12, 1e-8)]:
        with pytest.raises(SolverError, match="several minimizers"):
            qnorm_interpolator(Xd, y, L, alpha)
    r = qnorm_interpolator(Xd, y, 3, 0.3)           # away from the edge: determined
    assert r.success and abs(r.x[j] - r.x[-1]) <= 1e-10 * np.max(np.abs(r.x))


def test_qnorm_mp_rejects_bad_input_naming_the_argument():
    import numpy as np
    import pytest
    from ibtheory.solvers import qnorm_mp

    X, y = np.random.default_rng(np.random.SeedSequence(0)).standard_normal((3, 6)), np.ones(3)
    for args, name in [((X * np.nan, y, 3, 0.1), "X"), ((X, y, 1, 0.1), "L"), ((X, y, 3, -1.0), "alpha"),
                       ((X, y[:2], 3, 0.1), "y"), (("a", y, 3, 0.1), "X")]:
        with pytest.raises((TypeError, ValueError), match=name):
            qnorm_mp(*args)
    with pytest.raises(ValueError, match="w must be"):
        qnorm_mp(X, y, 3, 0.1, w=np.zeros(6))
    for bad in (np.ones(5), np.full(6, np.nan), "abc"):
        with pytest.raises((TypeError, ValueError), match="start"):
            qnorm_mp(X, y, 3, 0.1, start=bad)


@pytest.mark.parametrize("L,alpha", [(3, 1e-8), (5, 1e-3), (12, 0.1)])
def test_qnorm_mp_start_moves_the_cost_not_the_answer(L, alpha):
    # qnorm_reach starts the mpmath Newton at the float64 answer; from the minimum-norm
    # point and from a start perturbed by 10% it must reach the same point.
    X, y = _gaussian(7)
    z_free, s_free = qnorm_mp(X, y, L, alpha)
    z64 = qnorm_interpolator(X, y, L, alpha).x
    rng = np.random.default_rng(np.random.SeedSequence(8))
    z_pert, s_pert = qnorm_mp(X, y, L, alpha, start=z64 * (1 + 0.1 * rng.standard_normal(6)))
    assert max(s_free, s_pert) < 1e-25
    assert np.max(np.abs(z_pert - z_free) / np.abs(z_free)) <= 1e-14


def test_a_reference_that_fails_fails_the_reach_table(monkeypatch):
    # A cell where the mpmath route does not converge is never compared, and fails the table
    # (it used to drop out of `passed`).
    import ibtheory.solvers._qnorm_reach as reach

    def broken(*args, **kwargs):
        raise RuntimeError("qnorm_mp: line search failed at dps=50: raise dps")

    monkeypatch.setattr(reach, "qnorm_mp", broken)
    r = reach.qnorm_reach(depths=(5,), alphas=(1e-3,), mp_cells=((5, 1e-3),), dual=False)
    assert r.certified.all() and np.isneginf(r.mp_error[0]) and not r.passed and r.dual_only is None


def test_qnorm_mp_singular_newton_system_is_a_runtime_error_naming_dps(monkeypatch):
    import mpmath

    real, calls = mpmath.lu_solve, []

    def singular(*args, **kwargs):      # the first solve (the minimum-norm point) works, Newton's does not
        calls.append(1)
        if len(calls) == 1:
            return real(*args, **kwargs)
        raise ZeroDivisionError("matrix is numerically singular")

    monkeypatch.setattr(mpmath, "lu_solve", singular)
    X, y = _gaussian(0)
    with pytest.raises(RuntimeError, match="dps"):
        qnorm_mp(X, y, 3, 0.1, dps=30)
