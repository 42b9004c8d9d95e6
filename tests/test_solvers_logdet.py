"""logdet_factorization (Varre et al. 2023) against its closed form, CVXPY and a simulated flow."""
import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from ibtheory.solvers import SolverError, logdet_factorization


def _closed_form(X, Y, gamma):
    beta = np.linalg.pinv(X) @ Y
    s = np.linalg.svd(beta, compute_uv=False)
    d = X.shape[1]
    sv = np.concatenate([np.sqrt(gamma + np.sqrt(gamma**2 + s**2)), np.full(d - s.size, np.sqrt(2 * gamma))])
    return beta, np.sort(sv)[::-1]


def test_scalar_problem_sympy():
    # Per singular value s of beta the gram eigenvalue a minimizes a + s^2/a - 2 gamma log a.
    a, s, g = sp.symbols("a s gamma", positive=True)
    f = a + s**2 / a - 2 * g * sp.log(a)
    roots = sp.solve(sp.diff(f, a), a)  # a^2 - 2 gamma a - s^2 = 0
    closed = g + sp.sqrt(g**2 + s**2)
    assert any(sp.simplify(r - closed) == 0 for r in roots)
    others = [r for r in roots if sp.simplify(r - closed) != 0]
    assert all(sp.simplify(r - (g - sp.sqrt(g**2 + s**2))) == 0 for r in others)  # negative root
    assert sp.simplify(sp.diff(f, a, 2).subs(a, closed)).is_positive


@pytest.mark.parametrize("n,d,k,gamma", [(5, 8, 2, 0.1), (30, 20, 3, 0.5), (20, 50, 3, 0.05), (10, 12, 1, 3.0)])
def test_matches_closed_form(n, d, k, gamma):
    rng = np.random.default_rng(n + d)
    X = rng.standard_normal((n, d))
    Y = X @ rng.standard_normal((d, k))
    res = logdet_factorization(X, Y, gamma)
    beta, sv = _closed_form(X, Y, gamma)
    assert np.max(np.abs(res.beta - beta)) <= 1e-10 * np.max(np.abs(beta))
    assert np.max(np.abs(res.singular_values - sv)) <= 1e-10 * sv[0]
    assert np.allclose(res.W1 @ res.W2, res.beta, rtol=1e-10, atol=1e-12)
    assert np.allclose(res.W1 @ res.W1.T, res.gram, rtol=1e-10, atol=1e-12)
    # Objective value recomputed from the factors.
    obj = (np.sum(res.W1**2) + np.sum(res.W2**2)
           - 2 * gamma * np.linalg.slogdet(res.W1 @ res.W1.T)[1])
    assert res.fun == pytest.approx(obj, rel=1e-10)


def test_seed_corollary_formula_is_wrong():
    # The seed prints sigma_i(W1) = (sqrt(sigma_i(beta) + gamma^2) + gamma)^(1/2): the
    # square on sigma_i(beta) is missing (units: gamma ~ W^2 ~ sigma(beta)).
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 6))
    Y = X @ (3.0 * rng.standard_normal((6, 2)))
    gamma = 0.2
    res = logdet_factorization(X, Y, gamma)
    s = np.linalg.svd(res.beta, compute_uv=False)
    seed = np.sqrt(np.sqrt(s + gamma**2) + gamma)
    ours = np.sqrt(np.sqrt(s**2 + gamma**2) + gamma)
    assert np.allclose(res.singular_values[:2], ours, rtol=1e-10)
    assert np.min(np.abs(res.singular_values[:2] - seed) / seed) > 0.1


def test_cvxpy_route_agrees():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((4, 6))
    Y = X @ rng.standard_normal((6, 2))
    a = logdet_factorization(X, Y, 0.3)
    b = logdet_factorization(X, Y, 0.3, method="cvxpy")
    assert np.allclose(a.beta, b.beta, rtol=1e-8, atol=1e-10)
    assert np.allclose(a.gram, b.gram, rtol=1e-8, atol=1e-10)


# The gradient-flow route is the ledger claim varre2023.logdet.gradient_flow, run by test_ledger.


def test_vector_targets_and_bad_input():
    X = np.eye(3)
    res = logdet_factorization(X, [1.0, 0.0, 0.0], 1.0)
    assert res.beta.shape == (3,)
    with pytest.raises(ValueError, match="gamma"):
        logdet_factorization(X, np.ones((3, 1)), 0.0)
    with pytest.raises(ValueError, match="Y must have shape"):
        logdet_factorization(X, np.ones((2, 1)), 1.0)
    with pytest.raises(ValueError, match="range of X"):
        logdet_factorization(np.ones((2, 3)), np.array([[1.0], [2.0]]), 1.0)
    with pytest.raises(ValueError, match="method"):
        logdet_factorization(X, np.ones((3, 1)), 1.0, method="scs")
    with pytest.raises(ValueError, match="finite"):
        logdet_factorization(X, np.full((3, 1), np.inf), 1.0)


@pytest.mark.parametrize("seed", range(5))
def test_cvxpy_route_on_several_instances(seed):
    """The CVXPY route (polished) agrees with the closed form on varied instances."""
    rng = np.random.default_rng(400 + seed)
    n, d, k = [(4, 5, 2), (3, 6, 1), (5, 5, 3), (2, 4, 2), (4, 7, 1)][seed]
    X, Y = rng.standard_normal((n, d)), rng.standard_normal((n, k))
    gamma = [0.5, 0.05, 2.0, 1e-3, 0.3][seed]
    res = logdet_factorization(X, Y, gamma, method="cvxpy")
    beta = np.linalg.pinv(X) @ Y
    ev, V = np.linalg.eigh(beta @ beta.T)
    A = gamma * np.eye(d) + (V * np.sqrt(gamma**2 + np.maximum(ev, 0))) @ V.T
    assert res.success
    assert np.linalg.norm(res.gram - A) <= 1e-8 * np.linalg.norm(A)
    assert np.linalg.norm(res.beta.reshape(beta.shape) - beta) <= 1e-8 * np.linalg.norm(beta)


def test_small_gamma_solved_or_refused_honestly():
    """Down to gamma ~ 1e-6 the dual Newton certifies; below, the bulk eigenvalues 2 gamma
    of A cannot be resolved next to ||beta||^2 in float64 and the solver says so (the
    eigen-relative residual would otherwise let ~1e-7 errors in the bulk pass)."""
    rng = np.random.default_rng(7)
    X, Y = rng.standard_normal((3, 6)), rng.standard_normal((3, 2))
    beta = np.linalg.pinv(X) @ Y
    for gamma in (1e-3, 1e-6):
        res = logdet_factorization(X, Y, gamma)
        assert np.linalg.norm(res.beta - beta) <= 1e-8 * np.linalg.norm(beta)
        bulk = np.sort(res.singular_values)[:4]  # d - rank = 4 singular values sqrt(2 gamma)
        assert np.allclose(bulk, np.sqrt(2 * gamma), rtol=1e-8)
    for gamma in (1e-9, 1e-12, 1e-14):
        with pytest.raises(SolverError, match="gamma") as err:
            logdet_factorization(X, Y, gamma)
        assert err.value.kkt is not None and err.value.kkt.stationarity_gram > 1e-8
