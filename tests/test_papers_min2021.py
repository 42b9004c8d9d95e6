"""Tests of ibtheory.papers.min2021 (Min et al. 2021): each compares independent routes."""
import numpy as np
import pytest
import sympy as sp

from ibtheory import Status
from ibtheory.models import TwoLayerLinear, orthogonal_init
from ibtheory.papers import min2021 as mt
from ibtheory.reference import min2021 as ref


def _rng(s):
    return np.random.default_rng(np.random.SeedSequence(s))


@pytest.fixture(scope="module")
def prob():
    return mt.make_problem(4, 8, 2, _rng(0))


def test_split_reconstructs_X_and_orthonormal(prob):
    s = mt.split_data(prob.X)
    Phi = np.hstack([s.Phi1, s.Phi2])
    assert np.allclose(Phi.T @ Phi, np.eye(8), atol=1e-13)
    assert np.allclose(s.W @ np.diag(s.sqrt_sigma) @ s.Phi1.T, prob.X, atol=1e-13)
    assert np.allclose(np.sort(s.sigma), np.sort(np.linalg.eigvalsh(prob.X @ prob.X.T)), rtol=1e-12)


def test_reduced_loss_matches_direct_loss_rank_deficient():
    rng = _rng(1)
    X = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 5))
    Y = rng.standard_normal((6, 3))
    U, V = rng.standard_normal((5, 4)), rng.standard_normal((3, 4))
    s = mt.split_data(X)
    assert s.r == 2
    assert np.isclose(s.reduced_loss(U, V, Y), ref.network_loss(X, Y, U, V), rtol=1e-12)


def test_imbalance_level_matches_dense_eigenproblem(prob):
    s = mt.split_data(prob.X)
    for h in (4, 6, 40):          # r <= h < r + m, = r + m, > r + m
        U = _rng(h).standard_normal((5, 8, h)) / np.sqrt(h)
        V = _rng(h + 1).standard_normal((5, 2, h)) / np.sqrt(h)
        U1 = s.U1(U)
        assert np.allclose(mt.imbalance_level(U1, V), ref.imbalance_level_dense(U1, V), atol=1e-12)
        lo = mt.imbalance_lower_bound(U1, V)
        assert np.all(lo <= ref.imbalance_level_dense(U1, V) + 1e-12)


def test_failure_bound_dominates_observed_frequency():
    rep = mt.imbalance_probability("smoke")
    assert np.all(rep.fail_lo <= rep.bound)
    assert rep.n_failed[0] > 0           # h = 8: failures are common, the statement has content


def test_special_initializations(prob):
    s = mt.split_data(prob.X)
    ini = mt.spectral_init(s, 2, 7, a=0.7, b=0.2, rng=_rng(1))
    assert np.isclose(ref.imbalance_level_dense(s.U1(ini.U), ini.V), 0.9, atol=1e-12)
    ini = mt.balanced_init(s, 2, 5, rng=_rng(1))
    assert np.allclose(mt.imbalance(s.U1(ini.U), ini.V), 0, atol=1e-13)
    U, W2 = orthogonal_init(TwoLayerLinear(d=8, l=9, k=2), seed=_rng(2), X=prob.X)
    o = mt.orthogonality(s, U, W2.T)
    assert o.VU2 < 1e-13 and o.U1U2 < 1e-13


def test_train_matches_reference_flow(prob):
    s = mt.split_data(prob.X)
    ini = mt.random_init(s, 2, 5, _rng(3))
    res = mt.train(prob, ini.U, ini.V, gap_tol=1e-6)
    assert res.status is Status.SUCCESS
    t_end = float(res.t[-1])
    Ur, Vr = ref.flow_matrices(prob.X, prob.y, ini.U, ini.V, t_end)
    assert np.allclose(res.U @ res.V.T, Ur @ Vr.T, atol=1e-7)


def test_compress_width_gives_same_flow(prob):
    s = mt.split_data(prob.X)
    ini = mt.random_init(s, 2, 60, _rng(5))
    full = mt.train(prob, ini.U, ini.V, gap_tol=1e-14)
    c = mt.compress_width(ini.U, ini.V)
    small = mt.train(prob, c.U, c.V, gap_tol=1e-14)
    assert c.U.shape == (8, 10)
    assert np.allclose(full.U @ full.V.T, small.U @ small.V.T, atol=1e-6)


def test_orthogonal_init_reaches_min_norm(prob):
    U, W2 = orthogonal_init(TwoLayerLinear(d=8, l=12, k=2), scale=1.5, seed=_rng(4), X=prob.X)
    res = mt.train(prob, U, W2.T, gap_tol=1e-20, rtol=1e-13)
    theta = ref.min_norm_solution(prob.X, prob.y)
    assert np.linalg.norm(res.U @ res.V.T - theta) <= 1e-8 * np.linalg.norm(theta)


def test_rate_experiment_bound_and_linearization():
    rep = mt.rate_bound_experiment("smoke")
    pos = rep.c > 1e-8
    assert np.all(rep.envelope <= 1e-8)
    assert np.all(rep.measured[pos] >= rep.bound[pos] * (1 - 1e-6))
    assert np.all(np.abs(rep.measured / rep.linearized - 1) < 0.3)
    assert set(rep.outcome) == {"success"}


def test_asymptotic_rate_on_known_curve():
    t = np.linspace(0, 30, 600)
    assert np.isclose(mt.asymptotic_rate(t, 2 * np.exp(-1.5 * t)), 1.5, rtol=1e-10)
    with pytest.raises(ValueError, match="fewer than 3"):
        mt.asymptotic_rate(t, np.ones_like(t))


def test_derivations():
    s = mt.ReducedFlowDerivation(r=2, h=2, m=2, k2=1)
    assert all(s.verify().values())
    for r in s.residuals.values():
        assert sp.simplify(r) == 0 if not isinstance(r, sp.MatrixBase) else r.is_zero_matrix
    assert any(e != 0 for e in s.printed_invariant_rate())     # V U1^T = 0 is not invariant
    assert any(e != 0 for e in s.printed_imbalance_rate())     # the printed product form is not conserved
    assert mt.ReductionDerivation(n=2, D=3, h=1, m=1).holds


def test_flow_matches_symbolic_gradient():
    # Route independent of ibtheory.models: lambdified SymPy flow of the reduced problem.
    s = mt.ReducedFlowDerivation(r=2, h=3, m=1, k2=1)
    syms = list(s.U1) + list(s.V) + list(s.Yt) + list(s.s)
    f = sp.lambdify(syms, [s.flow[x] for x in list(s.U1) + list(s.V)])
    rng = _rng(2)
    X, Y = rng.standard_normal((2, 3)), rng.standard_normal((2, 1))
    split = mt.split_data(X)
    U, V = rng.standard_normal((3, 3)), rng.standard_normal((1, 3))
    sym = np.array(f(*split.U1(U).ravel(), *V.ravel(), *split.target(Y).ravel(), *split.sqrt_sigma))
    E = Y - X @ U @ V.T
    num = np.concatenate([(split.Phi1.T @ X.T @ E @ V).ravel(), (E.T @ X @ U).ravel()])
    assert np.allclose(sym, num, atol=1e-12)


def test_width_sweep_smoke():
    rep = mt.width_sweep("smoke")
    assert rep.dist.shape == (6,) and set(rep.outcome) == {"success"}
    assert np.all(rep.final_gap < 1e-10)
    assert rep.dist[rep.h == 2000].mean() < rep.dist[rep.h == 20].mean() / 3


def test_experiment_runs_do_not_depend_on_batching():
    a = mt.imbalance_probability("smoke", seeds=(3, 4))
    b = mt.imbalance_probability("smoke", seeds=(4,))
    assert np.array_equal(a.c[a.seed == 4], b.c)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: mt.split_data(np.zeros((3, 4))), ValueError, "rank"),
    (lambda: mt.split_data(np.ones(3)), ValueError, "X must"),
    (lambda: mt.split_data([[np.nan, 1.0]]), ValueError, "X must be finite"),
    (lambda: mt.random_init(mt.split_data(np.eye(2, 3)), 0, 4, 0), ValueError, "m must"),
    (lambda: mt.random_init(mt.split_data(np.eye(2, 3)), 2.5, 4, 0), TypeError, "m must"),
    (lambda: mt.random_init(np.eye(2), 1, 4, 0), TypeError, "split must"),
    (lambda: mt.spectral_init(mt.split_data(np.eye(2, 3)), 2, 3, 1.0, 1.0, 0), ValueError, "h must"),
    (lambda: orthogonal_init(TwoLayerLinear(d=5, l=3, k=1), X=np.eye(2, 5)), ValueError, "l >= d"),
    (lambda: mt.imbalance_level(np.ones((2, 3)), np.ones((1, 4))), ValueError, "same number of columns"),
    (lambda: mt.imbalance_level(np.ones((4, 3)), np.ones((1, 3))), ValueError, "must be >= max"),
    (lambda: mt.make_problem(5, 3, 1, 0), ValueError, "n must be <= D"),
    (lambda: mt.distance_exponent(0.2), ValueError, "a must be"),
    (lambda: mt.imbalance_failure_bound(0, 6), ValueError, "h must"),
    (lambda: mt.width_sweep("smoke", widths=()), ValueError, "widths"),
    (lambda: mt.rate_bound(np.eye(2), np.eye(2), np.eye(2)), TypeError, "split must"),
    (lambda: mt.train(None, np.eye(2), np.eye(2)), TypeError, "problem must"),
    (lambda: mt.asymptotic_rate([0, 1], [1.0, 0.5], window=(1e-12, 1e-8)), ValueError, "window"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("exp, n_axes", [(mt.reduction, 2), (mt.invariant_set, 2)])
def test_figures_of_reduction_and_invariant_set(exp, n_axes):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rep = exp("smoke")
    fig = exp.figure(rep)
    assert len(fig.axes) == n_axes
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.has_data()
    plt.close(fig)
    with pytest.raises(TypeError, match="rep must be"):
        exp.figure(mt.conservation("smoke"))


def test_reduction_report_keeps_the_two_losses():
    rep = mt.reduction("smoke")
    # the identity in the report's own columns: network loss = reduced loss + L*
    assert np.allclose(rep.network_loss, rep.reduced_loss + rep.loss_star, rtol=1e-13, atol=0)
    assert np.all(rep.loss_star > 0)
