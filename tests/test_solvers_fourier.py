"""Convolutional (Fourier) versions of the limiting problems, Yun et al. Cor. 3 and Cor. 6."""
import numpy as np
import pytest
from scipy.optimize import linprog

from ibtheory.solvers import fourier_max_margin, fourier_qnorm_interpolator, min_l2_interpolator


def _even(v):
    return 0.5 * (v + np.roll(v[..., ::-1], 1, axis=-1))


def _F(d):
    return np.fft.fft(np.eye(d), norm="ortho", axis=0)


def _even_instance(seed=0, n=3, d=12):
    rng = np.random.default_rng(seed)
    X, y = _even(rng.standard_normal((n, d))), rng.standard_normal(n)
    fw = _even(rng.uniform(0.5, 1.5, d))         # DFT of w, bounded away from 0
    w = np.real(np.fft.ifft(fw, norm="ortho"))
    return X, y, w, fw


def test_fourier_max_margin_l2_against_complex_cvxpy_model():
    import cvxpy as cp

    rng = np.random.default_rng(1)
    X = rng.standard_normal((6, 10))
    y = np.where(rng.standard_normal(6) > 0, 1.0, -1.0)
    res = fourier_max_margin(X, y, 2)
    z = cp.Variable(10)
    prob = cp.Problem(cp.Minimize(cp.norm1(_F(10) @ z)), [cp.multiply(y, X @ z) >= 1])
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)
    assert res.fun == pytest.approx(prob.value, rel=1e-8)
    assert np.min(y * (X @ res.x)) >= 1 - 1e-10
    assert np.allclose(res.spectrum, np.fft.fft(res.x, norm="ortho"), atol=1e-12)


@pytest.mark.parametrize("L", [3, 4])
def test_fourier_max_margin_quasi_norm_is_stationary_and_better(L):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((6, 10))
    y = np.where(rng.standard_normal(6) > 0, 1.0, -1.0)
    p = 2.0 / L
    z2 = fourier_max_margin(X, y, 2).x
    res = fourier_max_margin(X, y, L)
    u, u2 = np.fft.fft(res.x, norm="ortho"), np.fft.fft(z2, norm="ortho")
    assert np.sum(np.abs(u) ** p) <= np.sum(np.abs(u2) ** p) * (1 + 1e-12)
    assert np.min(y * (X @ res.x)) >= 1 - 1e-10
    # Small perturbations that keep the frequency support and feasibility do not help.
    S = np.abs(u) > 1e-9 * np.max(np.abs(u))
    f0 = np.sum(np.abs(u) ** p)
    for _ in range(200):
        du = np.where(S, (rng.standard_normal(10) + 1j * rng.standard_normal(10)) * 1e-6 * np.abs(u), 0)
        dz = np.real(np.fft.ifft(du, norm="ortho"))  # real part keeps z real
        zz = res.x + dz
        if np.min(y * (X @ zz)) >= 1:
            assert np.sum(np.abs(np.fft.fft(zz, norm="ortho")) ** p) >= f0 * (1 - 1e-13)


@pytest.mark.parametrize("L,alpha", [(2, 0.1), (3, 1.0), (4, 0.1), (4, 10.0)])
def test_fourier_qnorm_two_routes(L, alpha):
    X, y, w, _ = _even_instance()
    a = fourier_qnorm_interpolator(X, y, L, alpha, w)
    b = fourier_qnorm_interpolator(X, y, L, alpha, w, method="primal-newton")
    assert np.allclose(a.x, b.x, rtol=1e-9, atol=1e-12)
    assert np.allclose(a.x, np.roll(a.x[::-1], 1), atol=1e-13)  # even
    assert np.allclose(X @ a.x, y, atol=1e-12)


def test_fourier_qnorm_large_alpha_is_a_weighted_l2():
    # H_L(u) ~ u^2/2: Q ~ sum_j u_j^2 / (2 alpha^(2L-2) |Fw|_j^(2L-2)), u = Fz; that is
    # z^T K z with K = Re(F^H diag(|Fw|^(2-2L)) F), minimized over Xz = y.
    L = 3
    X, y, w, fw = _even_instance(4)
    F = _F(X.shape[1])
    K = np.real(F.conj().T @ np.diag(np.abs(fw) ** (2 - 2 * L)) @ F)
    R = np.linalg.cholesky(np.linalg.inv(K))
    ref = R @ min_l2_interpolator(X @ R, y).x
    res = fourier_qnorm_interpolator(X, y, L, 1e4, w)
    assert np.allclose(res.x, ref, rtol=1e-8, atol=1e-12)


def test_fourier_qnorm_small_alpha_is_a_weighted_l1():
    # H_L(u) ~ c_L |u| for L > 2: Q ~ sum_j |Fw_j|^(2-L) |u_j| (up to constants): an LP in the
    # d/2 + 1 independent frequencies of the even z.
    L = 4
    X, y, w, fw = _even_instance(5)
    d = X.shape[1]
    m = d // 2 + 1
    P = np.zeros((d, m))
    for k in range(m):
        P[k, k] = P[(-k) % d, k] = 1.0
    B = np.real(np.fft.ifft(P, norm="ortho", axis=0))  # z = F^H P u
    cost = P.sum(0) * np.abs(fw[:m]) ** (2 - L)
    A = X @ B
    lp = linprog(np.concatenate([cost, cost]), A_eq=np.hstack([A, -A]), b_eq=y, bounds=(0, None),
                 method="highs")
    ref = B @ (lp.x[:m] - lp.x[m:])
    res = fourier_qnorm_interpolator(X, y, L, 1e-3, w)
    assert np.max(np.abs(res.x - ref)) <= 1e-6 * np.max(np.abs(ref))


def test_bad_input():
    X, y, w, _ = _even_instance()
    Xodd = X.copy()
    Xodd[0, 1] += 1.0
    with pytest.raises(ValueError, match="even"):
        fourier_qnorm_interpolator(Xodd, y, 2, 1.0, w)
    wodd = w.copy()
    wodd[1] += 1.0
    with pytest.raises(ValueError, match="even"):
        fourier_qnorm_interpolator(X, y, 2, 1.0, wodd)
    with pytest.raises(ValueError, match="vanishing DFT"):
        fourier_qnorm_interpolator(X, y, 2, 1.0, np.ones(X.shape[1]))
    with pytest.raises(ValueError, match="alpha"):
        fourier_qnorm_interpolator(X, y, 2, -1.0, w)
    with pytest.raises(ValueError, match="L must be"):
        fourier_max_margin(X, np.ones(3), 1)
    with pytest.raises(ValueError, match="not linearly separable"):
        fourier_max_margin(np.vstack([X[:1], X[:1]]), [1.0, -1.0], 2)


def test_qnorm_network_scaling_equals_printed_with_rescaled_w():
    # The factor d^{(L-1)/2} in the denominator of H_L is the same as scaling w by
    # d^{(L-1)/(2L)} in the printed problem (the objective only changes by a constant).
    from ibtheory.solvers import fourier_qnorm_interpolator

    X = np.array([[1.0, 0.5, 0.2, 0.5], [0.3, -0.4, 1.0, -0.4]])
    y = np.array([1.0, -0.5])
    w = np.array([2.0, 0.3, 0.1, 0.3])
    for L in (2, 3):
        net = fourier_qnorm_interpolator(X, y, L, 0.7, w).x
        printed = fourier_qnorm_interpolator(X, y, L, 0.7, 4 ** ((L - 1) / (2 * L)) * w,
                                             scaling="printed").x
        np.testing.assert_allclose(net, printed, rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="scaling"):
        fourier_qnorm_interpolator(X, y, 2, 0.7, w, scaling="unitary")
