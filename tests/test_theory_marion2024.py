"""Tests of ibtheory.theory.marion2024 (closed forms vs engine Hessians, fast GD vs engine GD)."""
import numpy as np
import pytest

from ibtheory.dynamics import gradient_descent, hessian, sharpness
from ibtheory.models import DeepLinear
from ibtheory.theory import marion2024 as M


@pytest.fixture(scope="module")
def data():
    return M.make_data(n=20, d=3, seed=1, normalize=False)


def test_make_data_normalized_and_validates():
    D = M.make_data(seed=3)
    assert abs(np.linalg.norm(D.pi_star) - 1) < 1e-12
    # pi_star solves the normal equations (independent route: lstsq).
    assert np.allclose(D.pi_star, np.linalg.lstsq(D.X, D.y, rcond=None)[0], atol=1e-12)
    with pytest.raises(ValueError, match="n must be >= d"):
        M.make_data(n=3, d=5)
    with pytest.raises(ValueError, match="noise"):
        M.make_data(noise=-1.0)


@pytest.mark.parametrize("L", [1, 2, 3, 4])
def test_minimizer_sharpness_closed_form_matches_engine_hessian(data, L):
    widths = [3] * L + [1]
    net = DeepLinear(widths)
    for W in (M.balanced_minimizer(widths, data.pi_star, seed=2), M.random_minimizer(widths, data.pi_star, seed=3)):
        assert np.allclose(net.beta(W), data.pi_star, atol=1e-12)
        top = np.linalg.eigvalsh(hessian(net, W, data.X, data.y, loss="mean"))[-1]
        assert abs(M.minimizer_sharpness(W, data.Sigma) - top) <= 1e-10 * top
        # Theorem: every minimizer is at least as sharp as the lower bound.
        assert top >= M.sharpness_lower_bound(L, data.a, data.pi_norm) * (1 - 1e-12)
    Wb = M.balanced_minimizer(widths, data.pi_star, seed=2)
    assert abs(M.balanced_sharpness(L, data.Sigma, data.pi_star) - M.minimizer_sharpness(Wb, data.Sigma)) < 1e-10


def test_bounds_sandwich_and_asymptotics(data):
    for L in (2, 5, 50, 500):
        lo = M.sharpness_lower_bound(L, data.a, data.pi_norm)
        inf1, _ = M.rank_one_inf_sharpness(L, data.Sigma, data.pi_star)
        bal = M.balanced_sharpness(L, data.Sigma, data.pi_star)
        hi = 2 * ((L - 1) * data.a + data.Lam) * data.pi_norm ** (2 - 2 / L)
        assert lo * (1 - 1e-12) <= inf1 <= bal * (1 + 1e-12) <= hi * (1 + 1e-12)
    # inf S / (2 L a |pi|^2) -> 1 as L grows (the seed's asymptotic statement).
    r = [M.rank_one_inf_sharpness(L, data.Sigma, data.pi_star)[0] / (2 * L * data.a * data.pi_norm ** 2)
         for L in (10, 1000)]
    assert abs(r[1] - 1) < abs(r[0] - 1) and abs(r[1] - 1) < 5e-3


def test_numerical_min_over_minimizers_equals_rank_one_infimum():
    D = M.make_data(n=10, d=2, seed=5, normalize=False)
    r = M.min_sharpness_over_minimizers([2, 3, 1], D, n_starts=2, seed=0)
    assert r.success and r.grad_beta < 1e-8
    s1, _ = M.rank_one_inf_sharpness(2, D.Sigma, D.pi_star)
    assert abs(r.fun - s1) <= 1e-7 * s1


def test_balanced_sharpness_sympy():
    b = M.BalancedSharpness(3)
    assert b.residual == 0
    import sympy as sp
    assert sp.simplify(b.at_balanced.trace() - b.expected) == 0   # rank-one Hessian: trace = top eigenvalue


def test_chain_gd_matches_engine(data):
    D = M.make_data(seed=0)
    Q, u = M.gaussian_chain(5, 4, np.array([0.3, 0.5, 0.9]), seed=1, batch=3)
    lr = np.array([0.02, 0.05, 0.5])
    r = M.chain_gd(Q, u, D, lr, 300)
    net = DeepLinear([5] * 4 + [1])
    P = tuple(Q[:, k] for k in range(3)) + (u[:, None, :],)
    e = gradient_descent(net, P, D.X, D.y, lr=lr, n_steps=300, loss="mean", record_every=300)
    assert r.diverged.tolist() == e.diverged.tolist() == [False, False, True]
    for k in range(3):
        assert np.allclose(r.Q[:2, k], e.x[k][:2], rtol=1e-10, atol=1e-12)
    assert np.allclose(r.u[:2], e.x[3][:2, 0], rtol=1e-10, atol=1e-12)
    assert np.allclose(r.fun[:2], e.fun[:2], rtol=1e-10)
    lam, ok = M.chain_sharpness(r.Q[:2], r.u[:2], D)
    lam_e, ok_e = sharpness(net, tuple(p[:2] for p in e.x), D.X, D.y, loss="mean", iters=3000, tol=1e-9)
    assert ok.all() and ok_e.all() and np.allclose(lam, lam_e, rtol=1e-7)


def test_chain_sharpness_fixed_head_is_hessian_block(data):
    D = M.make_data(n=20, d=3, seed=2)
    Q, w = M.residual_chain(3, 2, 0.5, seed=4, batch=1)
    lam, ok = M.chain_sharpness(Q, w, D, train_head=False, tol=1e-11)
    net = DeepLinear([3, 3, 3, 1])
    H = hessian(net, (Q[0, 0], Q[0, 1], w[None, :]), D.X, D.y, loss="mean")
    assert ok[0] and abs(lam[0] - np.linalg.eigvalsh(H[:18, :18])[-1]) < 1e-8 * abs(lam[0])


def test_chain_gd_validates(data):
    Q, u = M.gaussian_chain(3, 3, 0.1, batch=2)
    with pytest.raises(ValueError, match="lr"):
        M.chain_gd(Q, u, data, -1.0, 10)
    with pytest.raises(ValueError, match="Q must have shape"):
        M.chain_gd(Q[0], u, data, 0.1, 10)
    with pytest.raises(ValueError, match="n_steps"):
        M.chain_gd(Q, u, data, 0.1, 2.5)
    with pytest.raises(ValueError, match="fixed projection"):
        M.chain_gd(Q, u, data, 0.1, 1, train_head=False)


def test_small_init_flow_corollary():
    D = M.make_data(seed=0)
    r = M.small_init_flow(D, 3, 1e-3, seed=3)
    assert r.success and r.drift < 1e-8
    p = M.corollary_properties(r.x, D)
    assert p["hypothesis"] <= 1
    assert np.all(p["sigma"] >= p["sigma_lo"]) and np.all(p["sigma"] <= p["sigma_hi"])
    assert np.all(p["align"] >= p["align_bound"])
    lam, ok = sharpness(r.model, r.x, D.X, D.y, loss="mean", iters=5000, tol=1e-10)
    ratio = lam / M.sharpness_lower_bound(3, D.a, D.pi_norm)
    assert ok and 1 <= ratio <= p["ratio_hi"]
    assert np.all(r.mu[r.t >= 1] > 0)


def test_bad_inputs():
    with pytest.raises(ValueError, match="a must"):
        M.sharpness_lower_bound(3, -1.0)
    with pytest.raises(ValueError, match="widths"):
        M.balanced_minimizer([2, 2], np.ones(2))
    with pytest.raises(ValueError, match="init"):
        M.sweep(M.make_data(), "orthogonal", 3, [0.1], [10], [1], [0.1])
