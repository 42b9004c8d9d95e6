"""Tests of ibtheory.reference.yun2021 (second routes for Yun et al. 2021).

Each reference is tested against a third route that shares none of its code:
scipy's brentq on a hand-written g, numpy FFT correlations, qnorm_interpolator.
"""
import numpy as np
import pytest
from scipy.optimize import brentq

from ibtheory.reference.yun2021 import conv_output_circulant, diagonal_flow_limit, g_inv_reference


def _g(nu, s, a, b):
    return float(np.sum(s * ((a**2 + b**2) / 2 * np.sinh(2 * s * nu) + a * b * np.cosh(2 * s * nu))))


@pytest.mark.parametrize("target", [-3.0, 0.1, 50.0])
def test_g_inv_reference_vs_brentq(target):
    s, a, b = np.array([2.0, 1.1, 0.4]), np.array([1.0, -0.9, 1.2]), np.array([0.3, 0.2, -0.5])
    ref = brentq(lambda t: _g(t, s, a, b) - target, -5, 5, xtol=1e-15, rtol=1e-15)
    assert abs(float(g_inv_reference(target, s, a, b)) - ref) <= 1e-13 * max(1, abs(ref))


def test_g_inv_reference_bad_input():
    with pytest.raises(ValueError, match="a0_j"):
        g_inv_reference(1.0, np.array([1.0]), np.array([0.5]), np.array([0.5]))
    with pytest.raises(ValueError, match="shape"):
        g_inv_reference(1.0, np.array([1.0, 2.0]), np.array([1.0]), np.array([0.5]))


@pytest.mark.parametrize("L", [2, 3, 4])
def test_conv_output_circulant_vs_fft(L):
    rng = np.random.default_rng(L)
    d = 5
    x = rng.standard_normal(d)
    ws = [rng.standard_normal(d) for _ in range(L)]
    h = x.copy()
    for w in ws[:-1]:   # correlation [h * w]_i = sum_j h_{i+j} w_j  <=>  ifft(fft(h) conj(fft(w)))
        h = np.real(np.fft.ifft(np.fft.fft(h) * np.conj(np.fft.fft(w))))
    assert abs(conv_output_circulant(x, ws) - h @ ws[-1]) < 1e-12


def test_conv_output_circulant_bad_input():
    with pytest.raises(ValueError, match="length"):
        conv_output_circulant(np.ones(3), [np.ones(2), np.ones(3)])
    with pytest.raises(ValueError, match="x"):
        conv_output_circulant(np.array([np.nan, 1.0]), [np.ones(2), np.ones(2)])


@pytest.mark.parametrize("L,alpha", [(2, 0.5), (3, 1.0)])
def test_diagonal_flow_limit_vs_qnorm(L, alpha):
    from ibtheory.solvers import qnorm_interpolator

    rng = np.random.default_rng(10 + L)
    X, y = rng.standard_normal((2, 4)), rng.standard_normal(2)
    wbar = np.array([1.0, -0.7, 1.3, 0.9])
    beta = diagonal_flow_limit(X, y, L, alpha, wbar)
    assert np.linalg.norm(X @ beta - y) < 1e-10
    z = qnorm_interpolator(X, y, L, alpha, wbar).x
    np.testing.assert_allclose(beta, z, rtol=1e-8, atol=1e-9)


def test_diagonal_flow_limit_bad_input():
    with pytest.raises(ValueError, match="L"):
        diagonal_flow_limit(np.ones((1, 2)), np.ones(1), 1, 1.0, np.ones(2))
    with pytest.raises(ValueError, match="X"):
        diagonal_flow_limit(np.ones((1, 3)), np.ones(1), 2, 1.0, np.ones(2))
