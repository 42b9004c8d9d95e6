"""Arbitrary-precision (mpmath) versions of the Lemma 4 functions.

Same parametrization as :mod:`ibtheory.special._lemma4` (u with p = cosh u,
q = sinh u), solved by safeguarded Newton--bisection at the working precision.
"""
from __future__ import annotations


def _mp():
    import mpmath as mp

    return mp


def blowup(L: int):
    mp = _mp()
    if L == 2:
        return mp.inf
    m = L - 2
    return mp.sqrt(mp.pi) / 2 * mp.gamma(mp.mpf(m) / 2) / mp.gamma(mp.mpf(m + 1) / 2)


def I_of_u(m: int, u):
    """int_0^u sech^m by the positive recurrence."""
    mp = _mp()
    sech = 1 / mp.cosh(u)
    tanh = mp.tanh(u)
    if m % 2 == 0:
        val, k, pw = u, 2, mp.mpf(1)
    else:
        val, k, pw = mp.atan(mp.sinh(u)), 3, sech
    while k <= m:
        val = pw * tanh / (k - 1) + mp.mpf(k - 2) / (k - 1) * val
        pw = pw * sech**2
        k += 2
    return val


def h(L: int, t):
    mp = _mp()
    t = mp.mpf(t)
    if t == 0:
        return mp.mpf(0)
    if t < 0:
        return -h(L, -t)
    if L == 2:
        return mp.sinh(2 * t) / 2
    m = L - 2
    # Near the blow-up, t - I_m(u) is a difference of nearly equal numbers amplified
    # by cosh^m(u) ~ 1/(m (c_L - t)): work with that many extra digits.
    tol = mp.mpf(2) ** (-mp.mp.prec + 6)
    with mp.workdps(mp.mp.dps + 10):
        gap = blowup(L) - t
    if gap <= 0:
        raise ValueError("t must be smaller than the blow-up time c_L")
    extra = int(max(0, -mp.log10(gap))) + 10
    with mp.extradps(extra):
        # I_m is concave increasing with I_m(u) <= u: Newton from u = t never
        # overshoots and increases monotonically to the root.
        u = +t
        for _ in range(20 * mp.mp.prec):
            step = (t - I_of_u(m, u)) * mp.cosh(u) ** m
            u += step
            if abs(step) <= tol * abs(u):
                break
        else:  # pragma: no cover
            raise RuntimeError("mpmath Newton for u did not converge")
        value = mp.cosh(u) ** (L - 1) * mp.sinh(u)
    return +value


def _w_of_h(L: int, y, start=None):
    """w > 0 with w (1+w^2)^{(L-1)/2} = y, by monotone Newton in l = log w.

    phi(l) = l + (L-1)/2 log(1+e^{2l}) - log y is convex increasing, so Newton from a
    point right of the root (log y if y <= 1, log(y)/L otherwise) decreases to it.
    ``start`` (a positive w) replaces that point, e.g. the root at a nearby y: from the
    left of the root the first step lands right of it (convexity), then Newton decreases.
    """
    mp = _mp()
    log_y = mp.log(y)
    ell = (log_y if y <= 1 else log_y / L) if start is None else mp.log(start)
    half = mp.mpf(L - 1) / 2
    tol = mp.mpf(2) ** (-mp.mp.prec + 6)
    for _ in range(10 * mp.mp.prec):
        e2 = mp.exp(2 * ell)
        phi = ell + half * mp.log1p(e2) - log_y
        dphi = 1 + (L - 1) * e2 / (1 + e2)
        step = phi / dphi
        ell -= step
        if abs(step) <= tol * max(abs(ell), 1):
            return mp.exp(ell)
    raise RuntimeError("mpmath Newton for w did not converge")  # pragma: no cover


def h_inv(L: int, y):
    mp = _mp()
    y = mp.mpf(y)
    if y == 0:
        return mp.mpf(0)
    if y < 0:
        return -h_inv(L, -y)
    w = _w_of_h(L, y)
    return I_of_u(L - 2, mp.asinh(w))


def H(L: int, y):
    mp = _mp()
    y = abs(mp.mpf(y))
    if y == 0:
        return mp.mpf(0)
    w = _w_of_h(L, y)
    t = I_of_u(L - 2, mp.asinh(w))
    # Legendre: int_0^y h^{-1} = y h^{-1}(y) - int_0^{h^{-1}(y)} h, and int_0^t h = q(t)^2/2
    return y * t - w * w / 2
