"""Tests of ibtheory.theory.min2021 (Min et al. 2021): each compares independent routes."""
import numpy as np
import pytest
import sympy as sp

from ibtheory.models import TwoLayerLinear
from ibtheory.dynamics import gradient_flow
from ibtheory.solvers import min_l2_interpolator
from ibtheory.theory import min2021 as M


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((4, 8)), rng.standard_normal((4, 2))


def test_split_reconstructs_X_and_orthonormal(data):
    X, _ = data
    s = M.DataSplit(X)
    Phi = np.hstack([s.Phi1, s.Phi2])
    assert np.allclose(Phi.T @ Phi, np.eye(8), atol=1e-13)
    assert np.allclose(s.W @ np.diag(s.sqrt_sigma) @ s.Phi1.T, X, atol=1e-13)
    # sigma = eigenvalues of X X^T (independent route)
    assert np.allclose(np.sort(s.sigma), np.sort(np.linalg.eigvalsh(X @ X.T)), rtol=1e-12)


def test_reduced_loss_matches_network_loss_rank_deficient():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 5))
    Y = rng.standard_normal((6, 3))
    U, V = rng.standard_normal((5, 4)), rng.standard_normal((3, 4))
    s = M.DataSplit(X)
    assert s.r == 2
    net = TwoLayerLinear(d=5, l=4, k=3)
    assert np.isclose(s.reduced_loss(U, V, Y), net.loss((U, V.T), X, Y), rtol=1e-12)
    # L* is the least-squares residual (lstsq route)
    beta = np.linalg.lstsq(X, Y, rcond=None)[0]
    assert np.isclose(s.optimal_loss(Y), 0.5 * np.sum((X @ beta - Y) ** 2), rtol=1e-10)


def test_imbalance_level_matches_direct_eigenproblem(data):
    X, _ = data
    s = M.DataSplit(X)
    for h in (4, 6, 40):          # r <= h < r + m, = r + m, > r + m
        U, V = M.random_init(s, 2, h, seed=h, batch=4)
        U1 = s.split(U)[0]
        ev = np.linalg.eigvalsh(U1.transpose(0, 2, 1) @ U1 - V.transpose(0, 2, 1) @ V)[:, ::-1]
        c = np.maximum(ev[:, s.r - 1], 0) + np.maximum(-ev[:, -2], 0)
        assert np.allclose(M.imbalance_level(U1, V), c, atol=1e-12)


def test_rate_bound_lemma_holds_on_random_matrices(data):
    # lambda_r(U1 U1^T) + lambda_m(V V^T) >= c (the inequality behind the theorem)
    X, _ = data
    s = M.DataSplit(X)
    U, V = M.random_init(s, 2, 9, seed=3, batch=200, scale=(0.8, 0.5))
    U1 = s.split(U)[0]
    lhs = (np.linalg.eigvalsh(U1 @ U1.transpose(0, 2, 1))[:, 0]
           + np.linalg.eigvalsh(V @ V.transpose(0, 2, 1))[:, 0])
    assert np.all(lhs >= M.imbalance_level(U1, V) - 1e-12)


def test_special_initializations(data):
    X, _ = data
    s = M.DataSplit(X)
    U, V = M.spectral_init(s, 2, 7, a=0.7, b=0.2, seed=1)
    assert np.isclose(M.imbalance_level(s.split(U)[0], V), 0.9, atol=1e-12)
    U, V = M.balanced_init(s, 2, 5, seed=1)
    assert np.allclose(M.imbalance(s.split(U)[0], V), 0, atol=1e-13)
    U, V = M.orthogonal_init(s, 2, 9, seed=1)
    o = M.orthogonality(s, U, V)
    assert o["VU2"] < 1e-13 and o["U1U2"] < 1e-13 and o["VU1"] > 1e-3


def test_compress_width_gives_same_flow(data):
    X, Y = data
    s = M.DataSplit(X)
    U, V = M.random_init(s, 2, 60, seed=5)
    full = M.train(X, Y, U, V, gap_tol=1e-14)
    Uc, Vc, Q = M.compress_width(U, V)
    small = M.train(X, Y, Uc, Vc, gap_tol=1e-14)
    assert Uc.shape == (8, 10)
    assert np.allclose(full.net.beta(full.x), small.net.beta(small.x), atol=1e-9)


def test_orthogonal_init_reaches_min_norm(data):
    X, Y = data
    s = M.DataSplit(X)
    U, V = M.orthogonal_init(s, 2, 12, scale=1.5, seed=4)
    res = M.train(X, Y, U, V, gap_tol=1e-20, rtol=1e-13)
    theta = min_l2_interpolator(X, Y).x
    assert np.linalg.norm(res.net.beta(res.x) - theta) <= 1e-8 * np.linalg.norm(theta)


def test_rate_experiment_bound_and_linearization(data):
    X, Y = data
    s = M.DataSplit(X)
    inits = [M.random_init(s, 2, 10, seed=1), M.spectral_init(s, 2, 6, 1.0, 0.5, seed=2)]
    out = M.rate_experiment(X, 0.3 * Y, inits)
    assert np.all(out["envelope"] <= 1e-8)
    assert np.all(out["measured"] >= out["bound"])
    # The measured late slope approaches the linearized rate at the limit.
    assert np.all(np.abs(out["measured"] / out["linearized"] - 1) < 0.25)


def test_asymptotic_rate_and_fit_loglog_on_known_curves():
    t = np.linspace(0, 30, 600)
    assert np.isclose(M.asymptotic_rate(t, 2 * np.exp(-1.5 * t)), 1.5, rtol=1e-10)
    rng = np.random.default_rng(0)
    h = np.repeat([10.0, 100, 1000, 10000], 20)
    y = 3 * h ** -0.5 * np.exp(0.1 * rng.standard_normal(h.size))
    b, (lo, hi), _ = M.fit_loglog(h, y)
    assert lo < -0.5 < hi and hi - lo < 0.1
    with pytest.raises(ValueError, match="fewer than 3"):
        M.asymptotic_rate(t, np.ones_like(t))


def test_reduced_flow_system_symbolic():
    s = M.ReducedFlowSystem(r=2, h=2, m=2, k2=1)
    assert s.imbalance_rate().is_zero_matrix
    assert s.u2_rate().is_zero_matrix
    assert sp.simplify(s.loss_rate_residual()) == 0
    r1, r2 = s.invariant_set_residual()
    assert r1.is_zero_matrix and r2.is_zero_matrix
    assert any(e != 0 for e in s.seed_variant_rate())    # V U1^T = 0 is not invariant
    # The seed's product form U1^T U1 V^T V is not conserved.
    prod = s.U1.T * s.U1 * s.V.T * s.V
    assert any(e != 0 for e in s._rate(prod))


def test_reduction_identity_symbolic():
    assert M.ReducedFlowSystem.reduction_residual(n=2, D=3, h=1, m=1) == 0


def test_flow_matches_reduced_symbolic_gradient(data):
    # Route independent of ibtheory.models: lambdified SymPy flow of the reduced problem.
    s = M.ReducedFlowSystem(r=2, h=3, m=1, k2=1)
    syms = list(s.U1) + list(s.V) + list(s.Yt) + list(s.s)
    f = sp.lambdify(syms, [s.flow[x] for x in list(s.U1) + list(s.V)])
    rng = np.random.default_rng(2)
    X = rng.standard_normal((2, 3)); Y = rng.standard_normal((2, 1))
    split = M.DataSplit(X)
    U, V = rng.standard_normal((3, 3)), rng.standard_normal((1, 3))
    U1 = split.split(U)[0]
    sym = np.array(f(*U1.ravel(), *V.ravel(), *split.target(Y).ravel(), *split.sqrt_sigma))
    net = TwoLayerLinear(d=3, l=3, k=1)
    gU, gW2 = net.grad((U, V.T), X, Y[:, 0])
    num = np.concatenate([-(split.Phi1.T @ gU).ravel(), -gW2.T.ravel()])
    assert np.allclose(sym, num, atol=1e-12)


def test_width_sweep_small(data):
    X, Y = data
    out = M.width_sweep(X, Y, [20, 2000], n_seeds=3, seed=1)
    assert out["dist"].shape == (2, 3)
    assert np.all(out["final_gap"] < 1e-12)
    assert out["dist"][1].mean() < out["dist"][0].mean() / 3
    assert np.all(out["c"][1] >= 1)


@pytest.mark.parametrize("call, match", [
    (lambda: M.DataSplit(np.zeros((3, 4))), "rank"),
    (lambda: M.DataSplit(np.ones(3)), "X must"),
    (lambda: M.random_init(M.DataSplit(np.eye(2, 3)), 0, 4), "m must"),
    (lambda: M.spectral_init(M.DataSplit(np.eye(2, 3)), 2, 3, 1.0, 1.0), "h must"),
    (lambda: M.orthogonal_init(M.DataSplit(np.eye(2, 5)), 1, 3), "h must"),
    (lambda: M.imbalance_level(np.ones((2, 3)), np.ones((1, 4))), "same number of columns"),
    (lambda: M.fit_loglog([1, 2], [1, 2]), "size >= 3"),
    (lambda: M.imbalance_level(np.ones((4, 3)), np.ones((1, 3))), "must be >= max"),
    (lambda: M.DataSplit([[np.nan, 1.0]]), "X must be finite"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_rate_initializations_levels(data):
    # c from the direct h x h eigenproblem (not imbalance_level): a + b for spectral, 0 for balanced.
    X, _ = data
    s = M.DataSplit(X)
    inits, kinds, target = M.rate_initializations(s, 2, seed=3)
    assert list(kinds).count("Gaussian") == 8 and np.all(target[kinds == "spectral"] == 0.05)
    cs = []
    for U, V in inits:
        U1 = s.split(U)[0]
        ev = np.linalg.eigvalsh(U1.T @ U1 - V.T @ V)[::-1]
        cs.append(max(ev[s.r - 1], 0) + max(-ev[-2], 0))
    cs = np.array(cs)
    assert np.allclose(cs[kinds == "spectral"], [0.5, 1.5, 2.2, 3.0], atol=1e-12)
    assert np.allclose(cs[kinds == "balanced"], 0, atol=1e-12)
