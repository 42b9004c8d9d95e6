"""Tests of ibtheory.special against routes that do not share its code.

Expected values come from closed forms (derived independently, e.g. h_3 = tan t sec^2 t),
from SciPy's ODE integrator on the raw p/q system, or from mpmath at high precision.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad, solve_ivp

from ibtheory.special import H, blowup_time, h, h_inv

# closed forms of h_L, written from the separable ODE by hand (t = asinh q, atan q, q/sqrt(1+q^2))
CLOSED = {
    2: lambda t: np.sinh(2 * t) / 2,
    3: lambda t: np.tan(t) / np.cos(t) ** 2,
    4: lambda t: t / (1 - t**2) ** 2,
}


@pytest.mark.parametrize("L,c", [(3, math.pi / 2), (4, 1.0), (5, math.pi / 4), (6, 2 / 3)])
def test_blowup_time_known_values(L, c):
    # Wallis integrals int_0^{pi/2} cos^{L-3}: pi/2, 1, pi/4, 2/3
    assert blowup_time(L) == pytest.approx(c, rel=1e-15)


def test_blowup_time_l2_infinite_and_mp():
    assert math.isinf(blowup_time(2))
    import mpmath as mp

    v = blowup_time(5, dps=40)
    with mp.workdps(40):
        assert abs(v - mp.pi / 4) < mp.mpf(10) ** -38


@pytest.mark.parametrize("L", [2, 3, 4])
def test_h_closed_forms(L):
    c = min(blowup_time(L), 3.0)
    t = np.linspace(-0.999 * c, 0.999 * c, 201)
    np.testing.assert_allclose(h(L, t), CLOSED[L](t), rtol=2e-13, atol=0)


@pytest.mark.parametrize("L", [5, 6, 7])
def test_h_vs_scipy_ode(L):
    c = blowup_time(L)
    ts = np.linspace(0, 0.8 * c, 9)[1:]
    sol = solve_ivp(lambda t, y: [y[0] ** (L - 2) * y[1], y[0] ** (L - 1)], (0, ts[-1]),
                    [1.0, 0.0], method="DOP853", rtol=1e-13, atol=1e-16, t_eval=ts)
    p, q = sol.y
    np.testing.assert_allclose(h(L, ts), p ** (L - 1) * q, rtol=1e-10)


def test_h_near_blowup_vs_asymptotics_l4():
    # h_4(t) = t/(1-t^2)^2; with s = 1 - t exactly representable, compare to the closed form in s
    s = np.logspace(-3, -15, 13)
    t = 1.0 - s
    s_exact = 1.0 - t  # exact (Sterbenz)
    expected = t / (s_exact * (2 - s_exact)) ** 2
    np.testing.assert_allclose(h(4, t), expected, rtol=1e-12)


@settings(max_examples=200, deadline=None)
@given(L=st.integers(2, 10), frac=st.floats(-0.999999, 0.999999))
def test_h_inv_inverts_h(L, frac):
    c = min(blowup_time(L), 30.0)
    t = frac * c
    assert h_inv(L, h(L, t)) == pytest.approx(t, rel=1e-12, abs=1e-300)


@settings(max_examples=200, deadline=None)
@given(L=st.integers(2, 10), y=st.floats(-1e200, 1e200, allow_nan=False))
def test_h_of_h_inv(L, y):
    t = h_inv(L, y)
    assert abs(t) <= blowup_time(L)  # = c_L only when the exact value rounds to it
    if abs(y) > 1e-300 and abs(t) < blowup_time(L):
        # rounding t to float64 is amplified by the condition number t h'(t)/h(t), which
        # grows like 1/(c_L - t) near the blow-up; estimate it by a central difference
        c = blowup_time(L)
        d = 1e-7 if L == 2 else max(min(1e-7, 0.1 * (c - abs(t)) / abs(t)), 0.0)
        if d > 1e-15:
            cond = abs((h(L, t * (1 + d)) - h(L, t * (1 - d))) / (2 * d * h(L, t)))
        else:  # t within an ulp of c_L: h is as ill-conditioned as float64 allows
            cond = np.inf
        assert h(L, t) == pytest.approx(y, rel=1e-12 + 4 * np.finfo(float).eps * cond)


@settings(max_examples=100, deadline=None)
@given(L=st.integers(2, 10), y=st.floats(1e-3, 1e3))
def test_oddness_evenness_and_monotonicity(L, y):
    assert h_inv(L, -y) == -h_inv(L, y)
    assert H(L, -y) == H(L, y)
    assert h_inv(L, y * (1 + 1e-6)) > h_inv(L, y)
    assert H(L, y * (1 + 1e-6)) > H(L, y)


@pytest.mark.parametrize("L", [2, 3, 5, 8])
@pytest.mark.parametrize("y", [0.01, 0.7, 5.0, 80.0])
def test_H_vs_scipy_quad(L, y):
    ref, err = quad(lambda s: h_inv(L, s), 0, y, epsabs=0, epsrel=1e-13, limit=200)
    assert H(L, y) == pytest.approx(ref, rel=1e-11)


def test_H_derivative_is_h_inv():
    y = np.linspace(-4, 4, 17)
    eps = 1e-6
    for L in (2, 3, 6):
        fd = (H(L, y + eps) - H(L, y - eps)) / (2 * eps)
        np.testing.assert_allclose(fd, h_inv(L, y), rtol=1e-8, atol=1e-9)


def test_vectorized_shapes_and_scalars():
    t = np.zeros((3, 4))
    assert h(3, t).shape == (3, 4)
    assert isinstance(h(3, 0.1), float)
    assert isinstance(H(3, 0.1), float)


def test_mpmath_path_returns_mpf_and_matches():
    import mpmath as mp

    v = h(3, 0.5, dps=40)
    assert isinstance(v, mp.mpf)
    with mp.workdps(40):
        exact = mp.tan(mp.mpf(0.5)) / mp.cos(mp.mpf(0.5)) ** 2
        assert abs(v - exact) / exact < mp.mpf(10) ** -35
    arr = h_inv(4, [0.5, 2.0], dps=30)
    assert arr.dtype == object and isinstance(arr[0], mp.mpf)


@pytest.mark.parametrize("L", [1, 0, -3, 2.5, "3", None, True])
def test_bad_L(L):
    with pytest.raises(ValueError, match="L must be an integer >= 2"):
        h(L, 0.1)
    with pytest.raises(ValueError, match="L must be an integer >= 2"):
        blowup_time(L)


@pytest.mark.parametrize("fn", [h, h_inv, H])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, [0.1, np.nan]])
def test_non_finite_input(fn, bad):
    with pytest.raises(ValueError, match="must be finite"):
        fn(3, bad)


@pytest.mark.parametrize("fn", [h, h_inv, H])
def test_non_real_input(fn):
    for bad in (1 + 2j, "a", True, None, [True, False]):
        with pytest.raises((ValueError, TypeError), match="real"):
            fn(3, bad)


@pytest.mark.parametrize("L", [3, 4, 7])
def test_h_outside_domain(L):
    c = blowup_time(L)
    above = np.nextafter(c, np.inf)
    for t in (above, -above, 2 * c, [0.0, above]):
        with pytest.raises(ValueError, match="open interval"):
            h(L, t)
    # c is c_L rounded to float64: inside the domain exactly when it rounded down
    import mpmath as mp

    with mp.workdps(40):
        inside = mp.mpf(c) < blowup_time(L, dps=40)
    if inside:
        assert h(L, c) > h(L, np.nextafter(c, 0)) > 0
    else:
        with pytest.raises(ValueError, match="open interval"):
            h(L, c)


def test_bad_dps():
    with pytest.raises(ValueError, match="dps"):
        h(3, 0.1, dps=2)
