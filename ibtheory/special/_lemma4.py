r"""Float64 evaluation of the special functions of Lemma 4 of Yun et al. (2021).

The system :math:`\dot p = p^{L-2} q,\ \dot q = p^{L-1},\ p(0)=1,\ q(0)=0` has the
first integral :math:`p^2 - q^2 = 1`, so :math:`p = \cosh u`, :math:`q = \sinh u`
with :math:`\dot u = \cosh^{L-2} u` (derived in :class:`ibtheory.symbolic.Lemma4Derivation`).
Everything here is computed in the variable :math:`u` (or :math:`w = \sinh u`):

.. math::

    t(u) = I_m(u) := \int_0^u \operatorname{sech}^m s\,ds,\quad m = L-2,\qquad
    h_L = \cosh^{L-1}u\,\sinh u,\qquad \int_0^t h_L = \tfrac12 \sinh^2 u .

Why this parametrization: :math:`I_m` obeys the recurrence
:math:`I_m = \operatorname{sech}^{m-2}u\tanh u/(m-1) + \tfrac{m-2}{m-1} I_{m-2}` whose
terms are all positive (no cancellation), and the tail
:math:`T_m(u) = c_L - I_m(u)` is an incomplete beta function whose series has positive
terms too; with :math:`c_L` stored as a double-double, :math:`h_L(t)` keeps its relative
accuracy up to the blow-up time.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

_EPS = np.finfo(np.float64).eps
_MAX_NEWTON = 100


@lru_cache(maxsize=None)
def _blowup_dd(L: int) -> tuple[float, float]:
    """c_L as a double-double (hi, lo) computed in mpmath at 40 digits."""
    if L == 2:
        return (math.inf, 0.0)
    import mpmath as mp

    with mp.workdps(40):
        m = L - 2
        c = mp.sqrt(mp.pi) / 2 * mp.gamma(mp.mpf(m) / 2) / mp.gamma(mp.mpf(m + 1) / 2)
        hi = float(c)
        lo = float(c - hi)
    return (hi, lo)


@lru_cache(maxsize=None)
def _log_beta_half(m: int) -> float:
    """log of B(m/2, 1/2)/2, the normaliser of the tail T_m."""
    a = m / 2.0
    return math.lgamma(a) + math.lgamma(0.5) - math.lgamma(a + 0.5) - math.log(2.0)


def _I_from_w(m: int, w: np.ndarray) -> np.ndarray:
    """I_m(asinh w) = int_0^{asinh w} sech^m, by the positive upward recurrence."""
    r = np.hypot(1.0, w)
    sech = 1.0 / r
    tanh = w / r
    if m % 2 == 0:
        val = np.arcsinh(w)  # I_0
        k, pw = 2, 1.0  # pw = sech^{k-2}
    else:
        val = np.arctan(w)  # I_1 = gd(u)
        k, pw = 3, sech
    while k <= m:
        val = pw * tanh / (k - 1) + (k - 2) / (k - 1) * val
        pw = pw * sech * sech
        k += 2
    return val


def _log_tail(m: int, u: np.ndarray) -> np.ndarray:
    r"""log T_m(u), T_m(u) = \int_u^\infty sech^m, for u >= 0 and m >= 1.

    With x = sech^2 u, T_m = (1/2) B(x; m/2, 1/2) = (1/2) x^{m/2} S(x) where
    S(x) = \sum_n (1/2)_n / n! \, x^n / (m/2 + n) has positive terms.  For x <= 1/2
    the series converges geometrically; otherwise the regularised incomplete beta of
    SciPy (no underflow risk there since x^{m/2} >= 2^{-m/2}) is used.
    """
    u = np.asarray(u, dtype=np.float64)
    a = m / 2.0
    # log sech u = log 2 - u - log1p(exp(-2u)), stable for every u >= 0
    log_sech = math.log(2.0) - u - np.log1p(np.exp(-2.0 * u))
    log_x = 2.0 * log_sech
    x = np.exp(log_x)
    out = np.empty_like(u)
    small = x <= 0.5
    if np.any(small):
        xs = x[small]
        term = np.ones_like(xs)  # (1/2)_n / n! x^n
        s = term / a
        n = 0
        while True:
            term = term * (n + 0.5) / (n + 1) * xs
            n += 1
            inc = term / (a + n)
            s = s + inc
            if np.all(inc <= 1e-17 * s) or n > 400:
                break
        out[small] = math.log(0.5) + a * log_x[small] + np.log(s)
    if np.any(~small):
        from scipy.special import betainc

        out[~small] = _log_beta_half(m) + np.log(betainc(a, 0.5, x[~small]))
    return out


def _monotone_newton(x0: np.ndarray, step_fn) -> np.ndarray:
    """Iterate x <- x + step_fn(x[active], active_indices) on the points not yet converged.

    The iterations used here are monotone, so a point is done when its step falls
    to a few ulps or stops shrinking (the rounding-noise floor).
    """
    x = x0.copy()
    active = np.arange(x.size)
    prev = np.full(x.size, np.inf)
    for _ in range(_MAX_NEWTON):
        if active.size == 0:
            break
        step = step_fn(x[active], active)
        x[active] += step
        a = np.abs(step)
        scale = np.maximum(np.abs(x[active]), 1e-300)
        done = (a <= 4 * _EPS * scale) | ((a >= prev[active]) & (a <= 1e-8 * scale))
        prev[active] = a
        active = active[~done]
    return x


def h_of_u(L: int, u: np.ndarray) -> np.ndarray:
    """h_L = cosh^{L-1}(u) sinh(u) without spurious overflow for moderate u."""
    with np.errstate(over="ignore"):
        return np.sinh(u) * np.cosh(u) ** (L - 1)


def u_of_t(L: int, t: np.ndarray) -> np.ndarray:
    """Solve I_{L-2}(u) = t for u >= 0, given 0 <= t < c_L (vectorised)."""
    t = np.asarray(t, dtype=np.float64)
    if L == 2:
        return t.copy()
    m = L - 2
    c_hi, c_lo = _blowup_dd(L)
    u = np.zeros_like(t)
    front = t <= 0.5 * c_hi
    if np.any(front):
        # I_m is concave increasing on u >= 0 and I_m(u) <= u, so Newton started at
        # u0 = t stays left of the root and increases monotonically to it.
        tf = t[front]

        def front_step(uf, idx):
            return (tf[idx] - _I_from_w(m, np.sinh(uf))) * np.cosh(uf) ** m

        u[front] = _monotone_newton(tf.copy(), front_step)
    back = ~front
    if np.any(back):
        tb = t[back]
        # c_L - t to full relative accuracy: c_hi - t is exact (Sterbenz) for t near c.
        log_r = np.log((c_hi - tb) + c_lo)
        # log T_m is concave decreasing (the tail of the log-concave sech^m);
        # sech <= 2 e^{-u} gives T_m(u) <= 2^m e^{-mu}/m, so u0 below is right of the
        # root and Newton decreases monotonically to it.
        u0 = np.maximum((m * math.log(2.0) - math.log(m) - log_r) / m, 0.0)

        def back_step(ub, idx):
            log_T = _log_tail(m, ub)
            log_sech = math.log(2.0) - ub - np.log1p(np.exp(-2.0 * ub))
            return (log_T - log_r[idx]) * np.exp(log_T - m * log_sech)

        u[back] = _monotone_newton(u0, back_step)
    return u


def w_of_h(L: int, y: np.ndarray) -> np.ndarray:
    r"""Solve w (1 + w^2)^{(L-1)/2} = y for w = sinh u >= 0, given y >= 0.

    In l = log w the equation reads phi(l) = l + (L-1)/2 log(1 + e^{2l}) = log y with
    phi convex increasing (a softplus), so Newton started right of the root converges
    monotonically.  phi(l) >= l and, for l >= 0, phi(l) >= L l give that start.
    """
    from scipy.special import expit

    y = np.asarray(y, dtype=np.float64)
    out = np.zeros_like(y)
    pos = y > 0
    if not np.any(pos):
        return out
    log_y = np.log(y[pos])
    ell = np.where(log_y <= 0, log_y, log_y / L)
    half = 0.5 * (L - 1)
    for _ in range(_MAX_NEWTON):
        phi = ell + half * np.logaddexp(0.0, 2.0 * ell) - log_y
        dphi = 1.0 + (L - 1) * expit(2.0 * ell)
        step = phi / dphi
        ell = ell - step
        if np.all(np.abs(step) <= 4 * _EPS * np.maximum(np.abs(ell), 1.0)):
            break
    w = np.exp(ell)
    # exp(log y) carries |log y| ulps of error; one Newton step on the relative
    # residual f(w)/y - 1 (w f'/f = (1 + L w^2)/(1 + w^2)) restores full accuracy.
    with np.errstate(over="ignore"):
        res = (w / y[pos]) * np.hypot(1.0, w) ** (L - 1) - 1.0
    w2 = w * w
    w = w * (1.0 - res * (1.0 + w2) / (1.0 + L * w2))
    out[pos] = w
    return out


def t_of_w(L: int, w: np.ndarray) -> np.ndarray:
    """t = I_{L-2}(asinh w)."""
    return _I_from_w(L - 2, np.asarray(w, dtype=np.float64))
