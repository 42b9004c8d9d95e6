"""Certified sharpness infimum over minimizers (solvers.sharpness_infimum) and its brute-force route."""
import numpy as np
import pytest

from ibtheory.dynamics import hessian
from ibtheory.models import DeepLinear
from ibtheory.solvers import SolverError, min_sharpness_over_minimizers, sharpness_infimum


def _instance(seed, n=12, d=3, spread=1.0):
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    X = rng.standard_normal((n, d)) * np.geomspace(1.0, spread, d)
    y = X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n)
    Sig = X.T @ X / n
    return X, y, Sig, np.linalg.solve(Sig, X.T @ y / n)


def _rank_one(widths, pi, sigma1, rest, seed=0):
    rng = np.random.default_rng(seed)
    L = len(widths) - 1
    vs = [pi / np.linalg.norm(pi)] + [v / np.linalg.norm(v) for v in (rng.standard_normal(w) for w in widths[1:-1])]
    vs.append(np.ones(1))
    sig = [sigma1] + [rest] * (L - 1)
    return tuple(sig[k] * np.outer(vs[k + 1], vs[k]) for k in range(L))


def test_isotropic_closed_form():
    # Sigma = s I: g(x) = s x + (L-1) (P^2 x)^(-1/(L-1)) s, minimized at the balanced point.
    for L, s, P in ((2, 1.0, 1.0), (3, 2.5, 0.4), (7, 0.3, 3.0)):
        pi = np.array([P, 0.0, 0.0])
        r = sharpness_infimum(L, s * np.eye(3), pi)
        assert r.success and abs(r.fun - 2 * L * s * P ** (2 - 2 / L)) <= 1e-13 * r.fun


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_value_is_attained_by_its_rank_one_minimizer(seed):
    X, y, Sig, pi = _instance(seed, spread=4.0)
    for L in (2, 3, 5):
        r = sharpness_infimum(L, Sig, pi)
        widths = [3] * L + [1]
        W = _rank_one(widths, pi, *r.sigma)
        assert np.allclose(DeepLinear(widths).beta(W), pi, atol=1e-12)
        top = np.linalg.eigvalsh(hessian(DeepLinear(widths), W, X, y, loss="mean"))[-1]
        assert abs(top - r.fun) <= 1e-10 * top
        assert r.lower <= r.fun and r.kkt.duality_gap <= 1e-12


@pytest.mark.parametrize("seed", [3, 4])
def test_dense_grid_never_below_the_certified_value(seed):
    _, _, Sig, pi = _instance(seed, spread=5.0)
    P = np.linalg.norm(pi)
    ev, U = np.linalg.eigh(Sig)
    s = (U * np.sqrt(ev)) @ U.T @ pi / P
    for L in (2, 4, 9):
        r = sharpness_infimum(L, Sig, pi)
        xs = r.x * np.geomspace(0.2, 5.0, 4001)
        g = [np.linalg.eigvalsh(x * Sig + (L - 1) * (P * P * x) ** (-1 / (L - 1)) * np.outer(s, s))[-1] for x in xs]
        grid_min = 2 * P * P * min(g)
        assert r.fun <= grid_min * (1 + 1e-14) and grid_min <= r.fun * (1 + 1e-5)


def test_brute_force_over_all_minimizers_matches():
    X, y, Sig, pi = _instance(5, n=10, d=2, spread=3.0)
    for widths in ([2, 3, 1], [2, 2, 2, 1]):
        num = min_sharpness_over_minimizers(widths, X, y, n_starts=2, seed=0)
        inf = sharpness_infimum(len(widths) - 1, Sig, pi)
        assert num.success and num.kkt.primal_feasibility < 1e-10
        assert num.fun >= inf.lower * (1 - 1e-12)           # the infimum is a lower bound for every minimizer
        assert abs(num.fun - inf.fun) <= 1e-7 * inf.fun      # and is attained


def test_infimum_above_the_papers_lower_bound_and_below_balanced():
    _, _, Sig, pi = _instance(6, spread=6.0)
    P = np.linalg.norm(pi)
    a = pi @ Sig @ pi / P ** 2
    Lam = np.linalg.eigvalsh(Sig)[-1]
    for L in (2, 5, 50):
        r = sharpness_infimum(L, Sig, pi)
        assert 2 * L * a * P ** (2 - 2 / L) <= r.fun <= 2 * ((L - 1) * a + Lam) * P ** (2 - 2 / L) * (1 + 1e-14)


def test_bad_input():
    with pytest.raises(ValueError, match="L must be"):
        sharpness_infimum(1, np.eye(2), np.ones(2))
    with pytest.raises(TypeError, match="L must be"):
        sharpness_infimum(2.5, np.eye(2), np.ones(2))
    with pytest.raises(ValueError, match="positive semidefinite"):
        sharpness_infimum(3, np.diag([1.0, -1.0]), np.ones(2))
    with pytest.raises(ValueError, match="null space"):
        sharpness_infimum(3, np.diag([1.0, 0.0]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="nonzero"):
        sharpness_infimum(3, np.eye(2), np.zeros(2))
    with pytest.raises(ValueError, match="pi_star"):
        sharpness_infimum(3, np.eye(2), np.ones(3))
    with pytest.raises(ValueError, match="tol"):
        sharpness_infimum(3, np.eye(2), np.ones(2), tol=0.0)
    with pytest.raises(ValueError, match="widths"):
        min_sharpness_over_minimizers([2, 1], np.eye(2), np.ones(2))
    with pytest.raises(ValueError, match="full column rank"):
        min_sharpness_over_minimizers([2, 2, 1], np.ones((3, 2)), np.ones(3))
    assert issubclass(SolverError, RuntimeError)


def test_underdetermined_value_depends_only_on_sigma_half_pi_and_is_attained():
    rng = np.random.default_rng(np.random.SeedSequence(8))
    n, d = 4, 6
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    Sig = X.T @ X / n
    pi = np.linalg.pinv(X) @ y                       # minimum-norm interpolator
    null = np.linalg.svd(X)[2][n:].T @ rng.standard_normal(d - n)
    for L in (2, 3):
        r = sharpness_infimum(L, Sig, pi)
        r2 = sharpness_infimum(L, Sig, pi + 3.0 * null)   # another interpolator, larger norm
        assert abs(r.fun - r2.fun) <= 1e-9 * r.fun
        widths = [d] * L + [1]
        W = _rank_one(widths, pi, *r.sigma)
        top = np.linalg.eigvalsh(hessian(DeepLinear(widths), W, X, y, loss="mean"))[-1]
        assert abs(top - r.fun) <= 1e-9 * top
