r"""The smallest sharpness over the minimizers of a scalar-output deep linear regression.

For :math:`f(x) = W_L\cdots W_1x` (:math:`d_L = 1`), the mean squared error
:math:`R = \frac1n\|y - X\beta\|^2` with :math:`\beta^\top = W_L\cdots W_1`,
an invertible covariance :math:`\Sigma = X^\top X/n` and the optimal regressor
:math:`\pi^\star` (:math:`P = \|\pi^\star\|`, :math:`s = \Sigma^{1/2}\pi^\star/P`),
the infimum of the sharpness over all minimizers is the one-dimensional convex problem

.. math::

    \inf_{\mathcal W\in\arg\min R} S(\mathcal W) = 2P^2\min_{x>0} g(x), \qquad
    g(x) = \lambda_{\max}\Big(x\Sigma + (L-1)\big(P^2x\big)^{-1/(L-1)}ss^\top\Big),

attained by the rank-one minimizers :math:`W_k = \sigma_kv_{k+1}v_k^\top` with
:math:`\sigma_1 = x^{-1/2}` and :math:`\sigma_2 = \dots = \sigma_L = (P\sqrt x)^{1/(L-1)}`
(proof in the book chapter: at a minimizer the Hessian is :math:`2J^\top\Sigma J`,
:math:`JJ^\top = M \succeq \|a_1\|^2I + (L-1)\|a_1\|^{-2/(L-1)}\pi^\star\pi^{\star\top}` by
Cauchy-Schwarz and AM-GM, with equality on that family; :math:`x = \|a_1\|^2/P^2`).

:math:`g` is convex: :math:`(x, c)\mapsto\lambda_{\max}(x\Sigma + c\,ss^\top)` is convex and
nondecreasing in :math:`c`, and :math:`c(x) = (L-1)(P^2x)^{-1/(L-1)}` is convex. So every
top eigenvector :math:`v` at :math:`x` gives a global supporting line of slope
:math:`v^\top\Sigma v + c'(x)(s^\top v)^2`, and :func:`sharpness_infimum` certifies its value
with two such lines at the ends of a bracket whose slopes have opposite signs: the
*duality gap* between the best value and the lines' intersection bounds the error.

:func:`min_sharpness_over_minimizers` is the independent brute-force route: it minimizes
the top eigenvalue of the engine's dense Hessian over a parametrization of *all*
minimizers (small networks only).

See the book chapter *Deep linear networks are implicitly regularized towards flat
minima* (``book/marion2024.md``).
"""
from __future__ import annotations

import numpy as np

from .._validation import as_real_array, check_int
from ._result import KKT, SolverError, SolverResult, check_tol, finish

__all__ = ["sharpness_infimum", "min_sharpness_over_minimizers"]


def _check_sigma_pi(Sigma, pi_star):
    Sigma = as_real_array(Sigma, "Sigma")
    pi = as_real_array(pi_star, "pi_star")
    if Sigma.ndim != 2 or Sigma.shape[0] != Sigma.shape[1] or pi.shape != (Sigma.shape[0],):
        raise ValueError(f"Sigma must be (d, d) and pi_star (d,), got {Sigma.shape} and {pi.shape}")
    if not np.allclose(Sigma, Sigma.T, rtol=1e-12, atol=1e-14 * np.max(np.abs(Sigma))):
        raise ValueError("Sigma must be symmetric")
    ev = np.linalg.eigvalsh(Sigma)
    if not (ev[-1] > 0 and ev[0] >= -1e-12 * ev[-1]):
        raise ValueError("Sigma must be positive semidefinite and nonzero (a covariance X^T X / n)")
    if not np.linalg.norm(pi) > 0:
        raise ValueError("pi_star must be a nonzero vector")
    if not float(pi @ Sigma @ pi) > 1e-14 * ev[-1] * float(pi @ pi):
        raise ValueError("pi_star must not lie in the null space of Sigma (it must fit some of the data)")
    return Sigma, pi


def sharpness_infimum(L, Sigma, pi_star, *, tol=1e-10):
    r"""Certified :math:`\inf_{\arg\min R}S` of an ``L``-layer scalar deep linear regression.

    Solves the convex 1-D problem of the module docstring by bisection on the sign
    of a subgradient (in :math:`\log x`, to a bracket of relative width :math:`10^{-15}`)
    and certifies it with the two supporting lines at the bracket's ends.

    Parameters
    ----------
    L : int
        Depth (number of trainable layers), ``>= 2`` (for ``L = 1`` the only
        minimizer has :math:`S = 2\Lambda`).
    Sigma : array_like (d, d)
        Covariance :math:`X^\top X/n` (positive semidefinite).
    pi_star : array_like (d,)
        A minimizer of the linear regression: :math:`\Sigma^{-1}X^\top y/n`, or for a singular
        :math:`\Sigma` (underdetermined regression) any interpolator: the bound of the module
        docstring only involves :math:`\Sigma^{1/2}\beta = \Sigma^{1/2}\pi^\star`, the same for every
        minimizer, so the value is the infimum over all interpolating networks.
    tol : float
        Bound on the relative duality gap.

    Returns
    -------
    SolverResult
        ``fun`` (the infimum of :math:`S`), ``x`` (the optimal :math:`x = \sigma_1^{-2}`),
        ``sigma`` (``(sigma_1, sigma_rest)``: layer scales of the optimal rank-one
        minimizer), ``lower`` (the certified lower bound on the infimum), and ``kkt``
        with ``duality_gap`` (relative) and ``bracket`` (relative width).

    Raises
    ------
    SolverError
        If the subgradients cannot be bracketed or the gap exceeds ``tol``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.solvers import sharpness_infimum
    >>> r = sharpness_infimum(4, np.eye(3), np.array([2.0, 0.0, 0.0]))
    >>> round(r.fun, 10), r.success    # isotropic: the bound 2 L a |pi|^(2-2/L) = 8 * 2^1.5
    (22.627416998, True)
    """
    L = check_int(L, "L", minimum=2)
    Sigma, pi = _check_sigma_pi(Sigma, pi_star)
    tol = check_tol(tol)
    P = float(np.linalg.norm(pi))
    ev, U = np.linalg.eigh(Sigma)
    s = (U * np.sqrt(np.maximum(ev, 0.0))) @ U.T @ (pi / P)
    ss = np.outer(s, s)

    def g_and_slope(x):
        c = (L - 1) * (P * P * x) ** (-1.0 / (L - 1))
        w, V = np.linalg.eigh(x * Sigma + c * ss)
        v = V[:, -1]
        dc = -(P * P * x) ** (-1.0 / (L - 1)) / x
        return float(w[-1]), float(v @ Sigma @ v + dc * (s @ v) ** 2)

    x0 = P ** (-2.0 / L)  # the balanced minimizer
    lo = hi = np.log(x0)
    g0, d0 = g_and_slope(x0)
    if d0 == 0:
        return _finish_inf(L, P, x0, g0, g0, 0.0, tol)
    step = 1.0
    for _ in range(200):  # expand until the slopes have opposite signs
        if d0 > 0:
            lo -= step
            dl = g_and_slope(np.exp(lo))[1]
            if dl < 0:
                break
        else:
            hi += step
            dh = g_and_slope(np.exp(hi))[1]
            if dh > 0:
                break
        step *= 2
    else:  # pragma: no cover - g is coercive, so this cannot happen for valid input
        raise SolverError("sharpness_infimum: could not bracket the minimum", "max_iter")
    for _ in range(200):
        if hi - lo <= 1e-15 * max(1.0, abs(lo)):
            break
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        dm = g_and_slope(np.exp(mid))[1]
        if dm == 0:
            lo = hi = mid
            break
        lo, hi = (mid, hi) if dm < 0 else (lo, mid)
    xl, xh = np.exp(lo), np.exp(hi)
    gl, sl = g_and_slope(xl)
    gh, sh = g_and_slope(xh)
    cands = [(gl, xl), (gh, xh)]
    if sl < 0 < sh:
        xc = min(max((gh - gl + sl * xl - sh * xh) / (sl - sh), xl), xh)
        lower = max(gl + sl * (xc - xl), gh + sh * (xc - xh))
        cands.append((g_and_slope(xc)[0], xc))
    else:  # a zero slope at an end: that end is a minimizer
        lower = min(gl, gh)
    best, xb = min(cands)
    return _finish_inf(L, P, xb, best, lower, (xh - xl) / xb, tol)


def _finish_inf(L, P, x, best, lower, bracket, tol):
    gap = (best - lower) / best
    kkt = KKT(duality_gap=max(gap, 0.0), bracket=float(bracket))
    sigma1 = x ** -0.5
    rest = (P / sigma1) ** (1.0 / (L - 1))
    return finish("sharpness_infimum", float(x), 2.0 * P * P * best, kkt, tol,
                  lower=2.0 * P * P * min(lower, best), sigma=(float(sigma1), float(rest)), L=L)


def _complete_minimizer(rest, N, pi):
    """``W_1 = a_1 pi^T/|a_1|^2 + (I - a_1 a_1^T/|a_1|^2) N``: every minimizer with ``a_1 != 0``."""
    a1 = np.ones(1)
    for W in reversed(rest):
        a1 = W.T @ a1
    n2 = float(a1 @ a1)
    P = np.eye(a1.size) - np.outer(a1, a1) / n2
    return (np.outer(a1, pi) / n2 + P @ N,) + tuple(rest)


def min_sharpness_over_minimizers(widths, X, y, *, n_starts=4, seed=0, maxiter=4000, tol=1e-8):
    r"""Minimize the sharpness over *all* minimizers numerically (small networks; brute force).

    Every minimizer with :math:`a_1 = (W_L\cdots W_2)^\top\ne0` is
    :math:`W_1 = a_1\pi^{\star\top}/\|a_1\|^2 + (I - \hat a_1\hat a_1^\top)N` with free
    :math:`W_2,\dots,W_L,N`; the objective is the top eigenvalue of the dense Hessian
    (:func:`ibtheory.dynamics.hessian`, exact HVPs, ``loss="mean"``), minimized by BFGS then
    Nelder-Mead from ``n_starts`` random starts drawn from ``SeedSequence(seed)``.
    The value is the sharpness *at a certified minimizer* (an upper bound on the
    infimum); the certificate is the minimizer's feasibility. The search runs on
    :math:`(X/s_x, y/s_y)` (:math:`s_x = \max|X|`, :math:`s_y = \max|y|`): scaling every layer
    by :math:`d^{1/L}`, :math:`d = s_y/s_x`, maps its minimizers onto the original ones and
    multiplies the sharpness by :math:`s_x^2d^{2-2/L}`, so the answer does not depend on units.

    Parameters
    ----------
    widths : sequence of int
        ``(d, d_1, ..., d_{L-1}, 1)``.
    X, y : array_like
        Data ``(n, d)`` with full column rank, labels ``(n,)``.

    Returns
    -------
    SolverResult
        ``fun`` (best sharpness), ``layers`` (the minimizer; ``x`` flattened), ``funs`` (per start), ``kkt`` with
        ``primal_feasibility`` :math:`\max\|\Sigma\beta - X^\top y/n\|/\|X^\top y/n\|` over the starts.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.solvers import min_sharpness_over_minimizers
    >>> X, y = np.eye(2) * np.sqrt(2), np.array([np.sqrt(2), 0.0])   # Sigma = I, pi = e1
    >>> r = min_sharpness_over_minimizers([2, 1, 1], X, y, n_starts=1)
    >>> round(r.fun, 6), r.success      # 2 L a |pi|^(2-2/L) = 4
    (4.0, True)
    """
    from scipy.optimize import minimize

    from ..dynamics import hessian
    from ..models import DeepLinear

    widths = [check_int(w, f"widths[{i}]", minimum=1) for i, w in enumerate(widths)]
    if len(widths) < 3 or widths[-1] != 1:
        raise ValueError(f"widths must be (d, d_1, ..., 1) with at least two layers, got {widths}")
    X = as_real_array(X, "X")
    y = as_real_array(y, "y")
    if X.ndim != 2 or X.shape[1] != widths[0] or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (n, {widths[0]}) and y (n,), got {X.shape} and {y.shape}")
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ValueError("X must have full column rank (invertible covariance)")
    n_starts = check_int(n_starts, "n_starts", minimum=1)
    maxiter = check_int(maxiter, "maxiter", minimum=1)
    tol = check_tol(tol)
    # Solve at unit scale: X/sx, y/sy. W -> d^(1/L) W (d = sy/sx) maps the minimizers of the
    # normalized problem onto those of the original one and multiplies every sharpness by
    # sx^2 d^(2 - 2/L), so the brute force sees the same landscape whatever the units.
    L = len(widths) - 1
    sx = float(np.max(np.abs(X)))
    sy = float(np.max(np.abs(y))) or 1.0
    d = sy / sx
    factor = sx * sx * d ** (2.0 - 2.0 / L)
    X, y = X / sx, y / sy
    n = X.shape[0]
    Sig, c = X.T @ X / n, X.T @ y / n
    pi = np.linalg.solve(Sig, c)
    net = DeepLinear(widths)
    shapes = net.shapes[1:] + ((widths[1], widths[0]),)
    sizes = [int(np.prod(s)) for s in shapes]

    def unpack(z):
        parts, i = [], 0
        for s, m in zip(shapes, sizes):
            parts.append(z[i:i + m].reshape(s))
            i += m
        return _complete_minimizer(parts[:-1], parts[-1], pi)

    def f(z):
        with np.errstate(all="ignore"):
            W = unpack(z)
        if not all(np.all(np.isfinite(w)) for w in W):
            return np.inf
        return float(np.linalg.eigvalsh(hessian(net, W, X, y, loss="mean"))[-1])

    rng = np.random.default_rng(np.random.SeedSequence(seed))
    best, funs, feas = None, [], 0.0
    for _ in range(n_starts):
        # The start drawn in the data's units, mapped to the normalized problem.
        start = rng.standard_normal(sum(sizes)) * d ** (-1.0 / L)
        r = minimize(f, start, method="BFGS", options={"maxiter": maxiter, "gtol": 1e-10})
        r = minimize(f, r.x, method="Nelder-Mead",
                     options={"maxiter": maxiter, "xatol": 1e-10, "fatol": 1e-13, "adaptive": True})
        W = unpack(r.x)
        feas = max(feas, float(np.linalg.norm(Sig @ net.beta(W) - c) / np.linalg.norm(c)))
        funs.append(float(r.fun))
        if best is None or r.fun < best[0]:
            best = (float(r.fun), W)
    layers = tuple(W * d ** (1.0 / L) for W in best[1])
    return finish("min_sharpness_over_minimizers", net.flatten(layers), best[0] * factor,
                  KKT(primal_feasibility=feas), tol, layers=layers, funs=np.array(funs) * factor)
