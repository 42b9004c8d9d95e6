r"""Special functions of Lemma 4 of Yun, Krishnan and Mobahi (2021).

For an integer depth :math:`L \ge 2` let :math:`(p_L, q_L)` solve

.. math::

    \dot p = p^{L-2} q,\qquad \dot q = p^{L-1},\qquad p(0) = 1,\ q(0) = 0,

on its maximal interval :math:`(-c_L, c_L)`. This module evaluates

.. math::

    h_L(t) = p_L(t)^{L-1} q_L(t),\qquad h_L^{-1},\qquad
    H_L(y) = \int_0^y h_L^{-1}(\tau)\,d\tau,\qquad c_L,

the functions behind the norm-like :math:`Q_{L,\alpha}` of Theorem 5. The closed
forms used (derived in :class:`ibtheory.symbolic.Lemma4Derivation`) are
:math:`c_2 = \infty`, :math:`c_L = \frac{\sqrt\pi}{2}\Gamma(\frac{L-2}{2})/\Gamma(\frac{L-1}{2})`,
and the Legendre identity :math:`H_L(y) = y\,h_L^{-1}(y) - \tfrac12 q_L(h_L^{-1}(y))^2`.

Accuracy
--------
In float64 (the default) the functions are NumPy-vectorised and their relative
error is below ``1e-12`` on the whole domain, including ``t`` within a few ulps of
the blow-up time; the theorem ledger (``ibtheory verify lemma4``) and the tests
measure this against the ``dps=30`` path for L = 2..12. Values beyond the float64
range raise ``ValueError`` (never a silent ``inf``); :func:`Q` works in log space
where the terms' scales ``alpha^L |w|^L`` leave the float64 range, and
``Q(..., log=True)`` returns :math:`\log Q`, always representable. With ``dps=N``
the same functions compute in mpmath at N digits (``5 <= N <= 10000``) and return
mpmath numbers (an object array for array input). Depths are integers
``2 <= L <= 1000``.

See the book chapter *Lemma 4 and the norm-like function Q*.
"""
from __future__ import annotations

import numpy as np

import math
import numbers

from .._validation import as_real_array, check_depth, check_dps
from . import _lemma4 as _f

#: Largest depth accepted (the recurrences cost O(L) per point; L > 1000 has no use).
MAX_L = 1000
#: Largest array accepted (memory: several float64 temporaries per entry).
MAX_ENTRIES = 50_000_000
#: Largest mpmath working precision (cost grows faster than quadratically in dps).
MAX_DPS = 10_000


def _depth(L):
    return check_depth(L, maximum=MAX_L)


def _dps(dps):
    dps = check_dps(dps)
    if dps is not None and dps > MAX_DPS:
        raise ValueError(f"dps must be None or an integer in [5, {MAX_DPS}], got {dps}")
    return dps


def _finite_or_raise(out, fname, arg):
    """Raise ValueError instead of returning an overflowed (inf) float64 value."""
    if isinstance(out, np.ndarray) and out.dtype == object:
        return out
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{fname}: the value at {arg} exceeds the float64 range "
                         "(~1.8e308); use dps=... for an mpmath value")
    return out

__all__ = ["blowup_time", "h", "h_inv", "H", "Q"]


def _mp_apply(fn, L, x, dps):
    import mpmath as mp

    with mp.workdps(dps):
        arr = np.asarray(x)
        if arr.ndim == 0:
            return +fn(L, mp.mpf(arr.item() if arr.dtype != object else arr.item()))
        out = np.empty(arr.shape, dtype=object)
        for idx, v in np.ndenumerate(arr):
            out[idx] = +fn(L, mp.mpf(v))
        return out


def _as_input(x, name):
    """float64 array, or the mpmath numbers themselves for the high-precision path."""
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a real number or array of real numbers, got {x!r}")
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError):
        raise ValueError(f"{name} must be a rectangular array of real numbers") from None
    if arr.dtype == object:
        import mpmath as mp

        if arr.size > 100_000:
            raise ValueError(f"{name}: at most 100000 mpmath numbers are accepted")
        try:
            flat = [mp.mpf(v) for v in arr.ravel()]
        except (TypeError, ValueError):
            raise TypeError(f"{name} must hold real numbers (floats or mpmath mpf)") from None
        if not all(mp.isfinite(v) for v in flat):
            raise ValueError(f"{name} must be finite (no NaN or inf)")
        return arr
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be real (not bool, complex or str), got dtype {arr.dtype}")
    if arr.size > MAX_ENTRIES:
        raise ValueError(f"{name} has {arr.size} entries; at most {MAX_ENTRIES} are accepted")
    return as_real_array(arr, name)


def _scalar_or_array(arr, like):
    return arr.item() if np.ndim(like) == 0 else arr


def blowup_time(L, dps=None):
    r"""Blow-up time :math:`c_L` of the Lemma 4 system.

    .. math::

        c_L = \int_0^\infty \operatorname{sech}^{L-2}(u)\,du
            = \frac{\sqrt{\pi}}{2}\,\frac{\Gamma\!\left(\frac{L-2}{2}\right)}
                                           {\Gamma\!\left(\frac{L-1}{2}\right)},
        \qquad c_2 = \infty .

    Parameters
    ----------
    L : int
        Depth, an integer in [2, 1000].
    dps : int, optional
        If given (5 <= dps <= 10000), return an mpmath number computed at
        ``dps`` decimal digits.

    Returns
    -------
    float or mpmath.mpf

    Examples
    --------
    >>> from ibtheory.special import blowup_time
    >>> blowup_time(3)  # pi/2
    1.5707963267948966
    >>> blowup_time(4)
    1.0
    >>> blowup_time(2)
    inf

    See the book chapter *Lemma 4 and the norm-like function Q* (``book/lemma4.md``).
    """
    L = _depth(L)
    dps = _dps(dps)
    if dps is not None:
        import mpmath as mp

        with mp.workdps(dps):
            return +_mpimpl().blowup(L)
    return _f._blowup_dd(L)[0]


def _mpimpl():
    from . import _lemma4_mp as m

    return m


def h(L, t, dps=None):
    r"""The function :math:`h_L = p_L^{L-1} q_L` of Lemma 4.

    Odd and strictly increasing on :math:`(-c_L, c_L)`, with
    :math:`h_L(t) \to \pm\infty` as :math:`t \to \pm c_L`. For L = 2,
    :math:`h_2(t) = \sinh(2t)/2`; for L = 3, :math:`\tan t\,\sec^2 t`; for
    L = 4, :math:`t/(1-t^2)^2`.

    Parameters
    ----------
    L : int
        Depth, an integer >= 2.
    t : float or array_like
        Points with :math:`|t| < c_L` (:func:`blowup_time`).
    dps : int, optional
        Compute in mpmath at ``dps`` digits and return mpmath numbers.

    Returns
    -------
    float, ndarray, mpmath.mpf or object ndarray

    Raises
    ------
    ValueError
        If L is not an integer >= 2, or t is not finite, or :math:`|t| \ge c_L`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.special import h
    >>> round(h(4, 0.5), 14)  # 0.5 / (1 - 0.25)**2 = 8/9
    0.88888888888889
    >>> bool(np.isclose(h(2, 0.3), np.sinh(0.6) / 2, rtol=1e-15))
    True

    See the book chapter *Lemma 4 and the norm-like function Q* (``book/lemma4.md``).
    """
    L = _depth(L)
    dps = _dps(dps)
    arr = _as_input(t, "t")
    c_hi, c_lo = _f._blowup_dd(L)
    absval = np.abs(arr.astype(float)) if arr.dtype == object else np.abs(arr)
    # c_hi is c_L rounded; t = c_hi is still inside the domain when c_L > c_hi
    outside = (absval > c_hi) | ((absval == c_hi) & (c_lo <= 0))
    if L > 2 and np.any(outside):
        raise ValueError(
            f"t must lie in the open interval (-c_L, c_L) = (-{c_hi!r}, {c_hi!r}) for L = {L}"
        )
    if dps is not None:
        return _mp_apply(_mpimpl().h, L, arr, dps)
    u = _f.u_of_t(L, absval)
    out = np.sign(arr) * _f.h_of_u(L, u)
    return _scalar_or_array(_finite_or_raise(out, f"h(L={L})", "t"), t)


def h_inv(L, y, dps=None):
    r"""The inverse :math:`h_L^{-1} : \mathbb{R} \to (-c_L, c_L)`.

    Values lie in :math:`[-c_L, c_L]`; the endpoints are returned only when the exact
    value rounds to them in float64. Computed by solving :math:`w(1+w^2)^{(L-1)/2} = |y|` for :math:`w = q_L`
    (monotone Newton in :math:`\log w`) and returning
    :math:`\int_0^{\operatorname{asinh} w} \operatorname{sech}^{L-2}`.

    Parameters
    ----------
    L : int
        Depth, an integer >= 2.
    y : float or array_like
        Any finite reals.
    dps : int, optional
        Compute in mpmath at ``dps`` digits and return mpmath numbers.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.special import h, h_inv
    >>> round(float(h_inv(2, np.sinh(1.0) / 2)), 15)  # h_2(0.5) = sinh(1)/2
    0.5
    >>> t = np.linspace(-0.78, 0.78, 5)  # c_5 = pi/4
    >>> bool(np.allclose(h_inv(5, h(5, t)), t, rtol=1e-13))
    True

    See the book chapter *Lemma 4 and the norm-like function Q* (``book/lemma4.md``).
    """
    L = _depth(L)
    dps = _dps(dps)
    arr = _as_input(y, "y")
    if dps is not None:
        return _mp_apply(_mpimpl().h_inv, L, arr, dps)
    w = _f.w_of_h(L, np.abs(arr))
    # rounding in the recurrence may step one ulp past c_L; the exact value is below it
    out = np.sign(arr) * np.minimum(_f.t_of_w(L, w), _f._blowup_dd(L)[0])
    return _scalar_or_array(out, y)


def H(L, y, dps=None):
    r"""The potential :math:`H_L(y) = \int_0^y h_L^{-1}(\tau)\,d\tau`.

    Even and strictly convex, :math:`H_L(y) = y^2/2 + O(y^4)` near 0 and
    :math:`H_L(y) \sim c_L |y|` as :math:`|y| \to \infty` for L > 2
    (:math:`\sim \tfrac12 |y| \log |y|` for L = 2). Evaluated by the Legendre identity

    .. math::

        H_L(y) = y\,h_L^{-1}(y) - \int_0^{h_L^{-1}(y)} h_L
               = y\,h_L^{-1}(y) - \tfrac12\, q_L\!\left(h_L^{-1}(y)\right)^2 .

    Parameters
    ----------
    L : int
        Depth, an integer >= 2.
    y : float or array_like
        Any finite reals.
    dps : int, optional
        Compute in mpmath at ``dps`` digits and return mpmath numbers.

    Examples
    --------
    >>> from ibtheory.special import H
    >>> round(H(3, 1e-4) / 1e-8, 6)  # quadratic near 0: y^2/2
    0.5
    >>> round(H(4, 1e9) / 1e9, 6)  # slope c_4 = 1 at infinity
    1.0

    See the book chapter *Lemma 4 and the norm-like function Q* (``book/lemma4.md``).
    """
    L = _depth(L)
    dps = _dps(dps)
    arr = _as_input(y, "y")
    if dps is not None:
        return _mp_apply(_mpimpl().H, L, arr, dps)
    ya = np.abs(arr)
    w = _f.w_of_h(L, ya)
    t = _f.t_of_w(L, w)
    with np.errstate(over="ignore", invalid="ignore"):
        out = ya * t - 0.5 * w * w
    return _scalar_or_array(_finite_or_raise(out, f"H(L={L})", "y"), y)


def _log_H(L, la):
    """log H_L(u) from la = log|u| (u != 0), valid for every real la (float64 array)."""
    out = np.empty_like(la)
    small, big = la < -150.0, la > 690.0
    mid = ~(small | big)
    # H_L(u) = u^2/2 (1 + O(u^2)) near 0
    out[small] = 2.0 * la[small] - math.log(2.0)
    if np.any(big):
        if L == 2:
            # H_2(u) = u asinh(2u)/2 - (sqrt(1 + 4u^2) - 1)/4 = (u/2)(log(4u) - 1) + O(1/u)
            out[big] = la[big] + np.log(0.5 * (math.log(4.0) + la[big] - 1.0))
        else:
            # H_L(u) = c_L u - q^2/2 with q^2 = O(u^(2/L)): relative O(u^(2/L - 1)) < 1e-200
            out[big] = math.log(_f._blowup_dd(L)[0]) + la[big]
    if np.any(mid):
        out[mid] = np.log(H(L, np.exp(la[mid])))
    return out


def Q(L, alpha, z, w=None, *, log=False):
    r"""The norm-like function of Theorem 5 / Corollary 5 of Yun et al. (2021).

    .. math::

        Q_{L,\alpha,\bar w}(z) = \alpha^2 \sum_j \bar w_j^2\,
            H_L\!\left(\frac{z_j}{\alpha^L \abs{\bar w_j}^L}\right).

    The scaling :math:`\alpha^L` (not the seed's OCR-damaged ":math:`\alpha L`") is the one
    the gradient flow of the diagonal network produces; see the Lemma 4 chapter.
    When :math:`\alpha^L|\bar w_j|^L` or a term leaves the float64 range, each term
    is formed in log space, :math:`\log(\alpha^2\bar w_j^2) + \log H_L(u_j)` with
    :math:`\log|u_j| = \log|z_j| - L\log(\alpha|\bar w_j|)` and the asymptotics
    :math:`H_L(u) = u^2/2\,(1 + O(u^2))`, :math:`H_L(u) = c_L|u|\,(1 + O(|u|^{2/L-1}))`
    (L > 2), :math:`H_2(u) = \tfrac{|u|}2(\log 4|u| - 1) + O(1)`, then summed
    with log-sum-exp.

    Parameters
    ----------
    L : int
        Depth, an integer in [2, 1000].
    alpha : float
        Initialization scale, > 0.
    z : array_like
        Points; the sum runs over the last axis.
    w : array_like, optional
        Initialization direction :math:`\bar w` (no zero entries), broadcast against
        the last axis of ``z``; ones by default.
    log : bool, optional
        Return :math:`\log Q` (``-inf`` where z = 0), representable for all
        inputs (default False).

    Raises
    ------
    ValueError
        Bad input, or (``log=False``) a value outside the float64 range: above
        ~1.8e308, or a nonzero value below the smallest normal double (use ``log=True``).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.special import Q
    >>> z = np.array([1.0, -2.0])
    >>> round(float(Q(3, 1e3, z)) * 1e3 ** 4, 6)  # alpha -> inf: ||z||^2 / 2
    2.5
    >>> round(float(Q(3, 1e-6, z)) * 1e-6 / (np.pi / 2), 4)  # alpha -> 0: c_L ||z||_1
    3.0
    >>> round(float(Q(3, 1e60, z)) * 1e240, 10)  # 2.5 alpha^(2 - 2L): log space, no underflow
    2.5

    See the book chapter *Lemma 4 and the norm-like function Q* (``book/lemma4.md``).
    """
    from .._validation import check_positive

    L = _depth(L)
    alpha = check_positive(alpha, "alpha")
    if not isinstance(log, (bool, np.bool_)):
        raise TypeError(f"log must be True or False, got {log!r}")
    z = _as_input(z, "z")
    if z.dtype == object:
        raise TypeError("z must be a float array (Q has no mpmath path)")
    if z.ndim == 0:
        raise ValueError("z must have at least one dimension (the coordinates)")
    if w is None:
        w = np.ones(z.shape[-1])
    w = _as_input(w, "w")
    if w.dtype == object:
        raise TypeError("w must be a float array")
    if np.any(w == 0):
        raise ValueError("w must have no zero entries")
    try:
        zb, wb = np.broadcast_arrays(z, w)
    except ValueError:
        raise ValueError(f"w of shape {w.shape} does not match z of shape {z.shape}") from None
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        scale = np.float64(alpha) ** L * np.abs(wb) ** L
        pref = np.float64(alpha) ** 2 * wb**2
        safe = (np.all(np.isfinite(scale)) and np.all(scale > 1e-290) and np.all(np.isfinite(pref))
                and np.all(pref > 1e-290))
        if safe:
            u = zb / scale
            safe = bool(np.all(np.abs(u) < 1e300) and np.all((np.abs(u) > 1e-140) | (u == 0)))
    if safe:
        terms = pref * H(L, u)
        if np.all(np.isfinite(terms)):
            val = np.sum(terms, axis=-1)
            if np.all(np.isfinite(val)) and (log or np.all((val > 1e-300) | (val == 0))):
                if not log:
                    return val
                with np.errstate(divide="ignore"):
                    return np.log(val)
    # Log space.
    la_w = np.log(np.abs(wb))
    la_alpha = math.log(alpha)
    nz = zb != 0
    with np.errstate(divide="ignore"):
        la_u = np.where(nz, np.log(np.abs(np.where(nz, zb, 1.0))) - L * (la_alpha + la_w), 0.0)
    lt = np.full(zb.shape, -np.inf)
    lt[nz] = 2.0 * (la_alpha + la_w[nz]) + _log_H(L, la_u[nz])
    m = np.max(lt, axis=-1, keepdims=True)
    m_f = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        logq = np.squeeze(m_f, -1) + np.log(np.sum(np.exp(lt - m_f), axis=-1))
    if log:
        return logq
    if np.any(logq > math.log(np.finfo(float).max)):
        raise ValueError("Q exceeds the float64 range (~1.8e308); use log=True")
    if np.any(np.isfinite(logq) & (logq < math.log(np.finfo(float).tiny))):
        raise ValueError("Q is nonzero but below the smallest normal float64 (~2.2e-308); "
                         "use log=True")
    return np.exp(logq)
