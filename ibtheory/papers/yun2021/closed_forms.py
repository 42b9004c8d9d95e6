r"""Predictions of Yun, Krishnan & Mobahi (2021): closed forms, and formulas as printed.

- two layers, one data point (Theorems 3 and 6): :func:`g_function`, its inverse
  :func:`g_inv`, the exact path :func:`two_layer_point_path`, the regression limit
  :func:`thm6_limits` and the seed's :func:`printed_thm6_v2` (wrong pairing);
- convolutional regression with even data (Corollary 6, derived scaling):
  :func:`conv_qnorm_limit`;
- the rate at which directions converge: :func:`direction_rate`.

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._validation import as_real_array, check_depth, check_positive

__all__ = ["g_function", "g_inv", "two_layer_point_path", "Thm6Limit", "thm6_limits",
           "printed_thm6_v2", "conv_qnorm_limit", "direction_rate"]


def direction_rate(L):
    r"""Exponent :math:`-1/L` of the expected decay :math:`s^{-1/L}` of direction errors, :math:`s = \log t`.

    The part of the initialization that the rank-one gradients of an
    :math:`L`-layer network never touch keeps norm :math:`O(1)` per layer, while
    :math:`\|v_l\|\sim\|\beta\|^{1/L}\sim s^{1/L}`; so the direction of
    :math:`\beta` carries an :math:`O(s^{-1/L})` imprint of the initialization. An
    upper-bound exponent: faster decay is allowed.

    Examples
    --------
    >>> from ibtheory.papers.yun2021 import direction_rate
    >>> direction_rate(4)
    -0.25

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    return -1.0 / check_depth(L, "L")


def _thm6_coords(Mx, vbar1, vbar2):
    Mx = as_real_array(Mx, "Mx")
    if Mx.ndim != 2:
        raise ValueError("Mx must be a matrix (a 2-layer data tensor M(x))")
    U1, s, U2t = np.linalg.svd(Mx, full_matrices=False)
    keep = s > s[0] * 1e-12 if s.size else s > 0
    U1, s, U2 = U1[:, keep], s[keep], U2t[keep].T
    v1 = as_real_array(vbar1, "vbar1")
    v2 = as_real_array(vbar2, "vbar2")
    if v1.shape != (Mx.shape[0],) or v2.shape != (Mx.shape[1],):
        raise ValueError(f"vbar1, vbar2 must have shapes ({Mx.shape[0]},), ({Mx.shape[1]},)")
    return U1, s, U2, v1, v2, U1.T @ v1, U2.T @ v2


def g_function(nu, s, a0, b0):
    r""":math:`g(\nu) = \sum_j s_j\big(\tfrac{a_j^2+b_j^2}{2}\sinh(2s_j\nu) + a_jb_j\cosh(2s_j\nu)\big)` (Theorem 6).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import g_function
    >>> g_function(0.0, np.array([2.]), np.array([1.]), np.array([0.5]))
    1.0

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    nu = as_real_array(nu, "nu")
    s, a0, b0 = (as_real_array(v, n) for v, n in ((s, "s"), (a0, "a0"), (b0, "b0")))
    if not (s.ndim == 1 and s.size > 0 and s.shape == a0.shape == b0.shape):
        raise ValueError("s, a0, b0 must be non-empty vectors of the same length")
    arg = 2 * s * nu[..., None]
    out = np.sum(s * (0.5 * (a0**2 + b0**2) * np.sinh(arg) + a0 * b0 * np.cosh(arg)), axis=-1)
    return float(out) if out.ndim == 0 else out


def g_inv(target, s, a0, b0):
    r"""Solve :math:`g(\nu) = ` ``target`` by a safeguarded Newton method (float64).

    :math:`g' = \sum_j 2s_j^2\big(\tfrac{a_j^2+b_j^2}2\cosh(2s_j\nu)+a_jb_j\sinh(2s_j\nu)\big)
    \ge \sum_j s_j^2(|a_j|-|b_j|)^2\cosh(2s_j\nu) > 0` when :math:`a_j^2 > b_j^2`,
    so :math:`g` is strictly increasing; the root is bracketed by doubling from 0
    and Newton steps leaving the bracket are replaced by bisection. The second
    route is :func:`ibtheory.reference.yun2021.g_inv_reference` (mpmath).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import g_inv, g_function
    >>> s, a, b = np.array([2., 1.]), np.array([1., 1.]), np.array([0.5, 0.])
    >>> nu = g_inv(3.0, s, a, b)
    >>> round(float(g_function(nu, s, a, b)), 12)
    3.0

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    s = as_real_array(s, "s")
    a0 = as_real_array(a0, "a0")
    b0 = as_real_array(b0, "b0")
    if not (s.ndim == 1 and s.shape == a0.shape == b0.shape):
        raise ValueError("s, a0, b0 must be vectors of the same length")
    if not np.all(a0**2 > b0**2):
        raise ValueError("g_inv needs a0_j^2 > b0_j^2 for every j (the initialization condition)")
    target = float(np.asarray(as_real_array(target, "target")))
    return float(_safeguarded_newton(target, s, a0, b0, 1.0, np.cosh, np.sinh, abs,
                                     np.finfo(float).eps))


def _safeguarded_newton(target, s, a0, b0, one, cosh, sinh, absf, eps):
    def g(nu):
        return sum(sj * ((aj * aj + bj * bj) / 2 * sinh(2 * sj * nu) + aj * bj * cosh(2 * sj * nu))
                   for sj, aj, bj in zip(s, a0, b0))

    def dg(nu):
        return sum(2 * sj * sj * ((aj * aj + bj * bj) / 2 * cosh(2 * sj * nu)
                                  + aj * bj * sinh(2 * sj * nu))
                   for sj, aj, bj in zip(s, a0, b0))

    lo, hi = 0 * one, 0 * one
    step = one / max(float(np.max(np.abs(np.asarray([float(t) for t in s])))), 1e-300)
    if g(0 * one) < target:
        hi = step
        while g(hi) < target:
            lo, hi = hi, 2 * hi
    else:
        lo = -step
        while g(lo) > target:
            lo, hi = 2 * lo, lo
    nu = (lo + hi) / 2
    for _ in range(400):
        r = g(nu) - target
        if r > 0:
            hi = nu
        else:
            lo = nu
        new = nu - r / dg(nu)
        if not lo < new < hi:
            new = (lo + hi) / 2
        if absf(new - nu) <= 4 * eps * max(absf(new), one * 1e-300) or hi - lo <= 4 * eps * absf(nu):
            return new
        nu = new
    raise RuntimeError("g_inv: the safeguarded Newton iteration did not converge")


def two_layer_point_path(Mx, vbar1, vbar2, nu, *, scaled=False):
    r"""The exact trajectory :math:`(v_1, v_2)(\nu)` of a two-layer tensor network on one point, from :math:`(\bar v_1, \bar v_2)`.

    :math:`v_1 = U_1(a\odot\cosh(\nu s)+b\odot\sinh(\nu s)) + (I-U_1U_1^\top)\bar v_1`,
    :math:`v_2 = U_2(a\odot\sinh(\nu s)+b\odot\cosh(\nu s)) + (I-U_2U_2^\top)\bar v_2`
    (:class:`TwoLayerPointDerivation`), for any loss; :math:`\nu = -\int_0^t r`.
    Theorem 3 is its limit :math:`\nu\to\mathrm{sign}(y)\infty`, Theorem 6 its value at
    :math:`\nu = g^{-1}(y/\alpha^2)`. With ``scaled=True`` the path is returned times
    :math:`e^{-|\nu|\max_j s_j}` (the same direction, computed without overflow for any
    :math:`\nu`: the hyperbolic functions are evaluated as exponentials of non-positive
    arguments).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import two_layer_point_path
    >>> v1, v2 = two_layer_point_path(np.diag([2., 1.]), np.array([1., 0.]), np.zeros(2), 0.0)
    >>> v1, v2
    (array([1., 0.]), array([0., 0.]))

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    U1, s, U2, v1, v2, a, b = _thm6_coords(Mx, vbar1, vbar2)
    nu = float(nu)
    if not np.isfinite(nu):
        raise ValueError(f"nu must be finite, got {nu!r}")
    if scaled:
        m = abs(nu) * float(np.max(s))
        x = nu * s
        up, down = np.exp(np.abs(x) - m), np.exp(-np.abs(x) - m)
        ch, sh, rest = (up + down) / 2, np.sign(x) * (up - down) / 2, np.exp(-m)
    else:
        ch, sh, rest = np.cosh(nu * s), np.sinh(nu * s), 1.0
    return (U1 @ (a * ch + b * sh) + rest * (v1 - U1 @ a),
            U2 @ (a * sh + b * ch) + rest * (v2 - U2 @ b))


@dataclasses.dataclass(frozen=True)
class Thm6Limit:
    """Limits :math:`v_1^\\infty, v_2^\\infty` and :math:`\\nu^\\infty = g^{-1}(y/\\alpha^2)` of Theorem 6."""

    v1: np.ndarray
    v2: np.ndarray
    nu: float


def thm6_limits(Mx, y, alpha, vbar1, vbar2):
    r"""Closed-form limits of a two-layer tensor network on one data point (Theorem 6, derived).

    .. math::

        v_1^\infty &= \alpha U_1\big(a\odot\cosh(\nu^\infty s) + b\odot\sinh(\nu^\infty s)\big)
                       + \alpha(I - U_1U_1^\top)\bar v_1,\\
        v_2^\infty &= \alpha U_2\big(a\odot\sinh(\nu^\infty s) + b\odot\cosh(\nu^\infty s)\big)
                       + \alpha(I - U_2U_2^\top)\bar v_2,

    :math:`a = U_1^\top\bar v_1`, :math:`b = U_2^\top\bar v_2`,
    :math:`\nu^\infty = g^{-1}(y/\alpha^2)` (:func:`g_inv`), from
    :math:`M(x) = U_1\mathrm{diag}(s)U_2^\top` and the flow of
    :class:`TwoLayerPointDerivation` run from :math:`v_l(0) = \alpha\bar v_l`
    until :math:`f = y`. The seed's :math:`v_2^\infty` pairs :math:`a` with
    :math:`\cosh` (see :func:`printed_thm6_v2`); that is OCR/typesetting damage.

    Returns
    -------
    Thm6Limit

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import thm6_limits
    >>> Mx = np.diag([2., 1.])
    >>> lim = thm6_limits(Mx, 1.0, 1.0, np.array([1., 1.]), np.array([0., 0.]))
    >>> round(float(lim.v1 @ Mx @ lim.v2), 12)
    1.0

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    U1, s, U2, v1, v2, a, b = _thm6_coords(Mx, vbar1, vbar2)
    alpha = check_positive(alpha, "alpha")
    y = float(np.asarray(as_real_array(y, "y")))
    nu = g_inv(y / alpha**2, s, a, b)
    out1, out2 = two_layer_point_path(Mx, vbar1, vbar2, float(nu))
    return Thm6Limit(v1=alpha * out1, v2=alpha * out2, nu=float(nu))


def printed_thm6_v2(Mx, y, alpha, vbar1, vbar2):
    r"""The seed's printed :math:`v_2^\infty = \alpha U_2(a\odot\cosh + b\odot\sinh) + \dots` (wrong pairing).

    Kept only to measure, in the chapter, how far it is from the flow.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import printed_thm6_v2
    >>> printed_thm6_v2(np.diag([2., 1.]), 1.0, 1.0, np.array([1., 1.]), np.zeros(2)).shape
    (2,)

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    U1, s, U2, v1, v2, a, b = _thm6_coords(Mx, vbar1, vbar2)
    alpha = check_positive(alpha, "alpha")
    nu = g_inv(float(y) / alpha**2, s, a, b)
    return alpha * U2 @ (a * np.cosh(nu * s) + b * np.sinh(nu * s)) + alpha * (v2 - U2 @ b)


def conv_qnorm_limit(X, y, L, alpha, wbar):
    r"""Regression limit of an L-layer full-length convolutional network, even data and even :math:`\bar w` (Cor. 6).

    With the unitary DFT :math:`F`, :math:`F(w_1 * \cdots * w_L) = d^{(L-1)/2}\,Fw_1\odot\cdots\odot Fw_L`
    (the :math:`S = d^{(L-1)/2}F` of Assumption 1), so in the coordinates
    :math:`\hat w_l = Fw_l` the network is a diagonal network on the data
    :math:`d^{(L-1)/2}Fx_i`, and Corollary 5 gives

    .. math::

        \min_{z\ \mathrm{even}}\ \alpha^2\sum_j [F\bar w]_j^2\,
        H_L\!\Big(\frac{[Fz]_j}{d^{(L-1)/2}\,\alpha^L|[F\bar w]_j|^L}\Big)
        \quad\text{s.t.}\quad Xz = y .

    Corollary 6 as printed (no :math:`d^{(L-1)/2}`) is right for the
    *unnormalised* DFT :math:`\sqrt d F`, not for the unitary :math:`F` it
    defines. This calls :func:`ibtheory.solvers.fourier_qnorm_interpolator`, whose
    default ``scaling="network"`` includes the factor.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import conv_qnorm_limit
    >>> X = np.array([[1., 0.5, 0., 0.5]]); w = np.array([2., 0.3, 0.1, 0.3])
    >>> z = conv_qnorm_limit(X, [1.], 2, 1.0, w)
    >>> bool(abs(X @ z - 1) < 1e-9)
    True

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from ...solvers import fourier_qnorm_interpolator

    L = check_depth(L, "L")
    wbar = as_real_array(wbar, "wbar")
    return fourier_qnorm_interpolator(X, y, L, alpha, wbar).x

