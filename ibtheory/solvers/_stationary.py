r"""Stationary points of the :math:`\ell_p` max-margin problem, :math:`0 < p \le 1`.

.. math::

    \min_z\ \|z\|_p^p \quad\text{s.t.}\quad a_i^\top z\ge1,\quad a_i = y_ix_i
    \qquad (A = \mathrm{diag}(y)X).

For :math:`p = 2/L < 1` the problem is non-convex and has several stationary
points; :math:`L`-layer diagonal networks converge in direction to one of them
(Yun et al. 2021, Corollary 2). Because :math:`|t|^p` has infinite slope at 0
for :math:`p < 1`, a coordinate at 0 is always stationary; multiplying the
stationarity equation by :math:`z_j` gives a form valid on every coordinate
(it is the KKT system of :math:`\min\sum_l\|w_l\|^2` in the network's own
variables, with :math:`|w_{l,j}| = |z_j|^{1/L}`):

.. math::

    p|z_j|^p = z_j\,[A^\top\mu]_j\ \ \forall j,\qquad \mu\ge0,\qquad
    \mu_i(a_i^\top z - 1) = 0,\qquad a_i^\top z\ge1 .

:func:`lp_margin_kkt_residual` measures how far a direction is from satisfying
it (no threshold on the support), :func:`polish_stationary` solves it on a
given support by Newton's method and certifies the answer.

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from __future__ import annotations

import numpy as np

from .._validation import as_real_array
from ._result import KKT, SolverError, check_tol, finish

__all__ = ["lp_margin_kkt_residual", "polish_stationary"]


def _margin_data(X, y, z, p):
    X = as_real_array(X, "X")
    y = as_real_array(y, "y")
    z = as_real_array(z, "z")
    if X.ndim != 2:
        raise ValueError(f"X must be a matrix (n, d), got shape {X.shape}")
    if y.shape != (X.shape[0],) or not np.all(np.abs(y) == 1):
        raise ValueError(f"y must be a vector of {X.shape[0]} labels in {{-1, +1}}")
    if z.shape != (X.shape[1],):
        raise ValueError(f"z must have shape ({X.shape[1]},), got {z.shape}")
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0 < p <= 1:
        raise ValueError(f"p must be a number in (0, 1], got {p!r}")
    A = y[:, None] * X
    m = A @ z
    if np.min(m) <= 0:
        raise ValueError("z must separate the data (every margin y_i x_i'z > 0)")
    return A, z / np.min(m), float(p)


def lp_margin_kkt_residual(X, y, z, p):
    r"""Relative KKT residual of the direction ``z`` for the :math:`\ell_p` max-margin problem.

    ``z`` is scaled to minimum margin 1; then

    .. math::

        r(z) = \min_{\mu\ge0}\ \frac{\big\|\,p|z|^p - z\odot A^\top\mu\,\big\|_2^2
        + \big\|\mu\odot(Az - \mathbf 1)\big\|_2^2}{\big\|p|z|^p\big\|_2^2}

    (non-negative least squares, square root returned). It is 0 exactly at the
    stationary points, needs no support or active-set threshold, and decays
    along a flow that converges in direction to a stationary point.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
        Labels in {-1, +1}.
    z : array_like, shape (d,)
        A separating direction.
    p : float in (0, 1]

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.solvers import lp_margin_kkt_residual
    >>> X, y = np.array([[2., 1.]]), np.array([1.])
    >>> lp_margin_kkt_residual(X, y, np.array([1., 0.]), 2 / 3)
    0.0
    >>> bool(lp_margin_kkt_residual(X, y, np.array([1., 1.]), 2 / 3) > 0.1)
    True

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from scipy.optimize import nnls

    A, z, p = _margin_data(X, y, z, p)
    g = p * np.abs(z) ** p
    M = np.vstack([z[:, None] * A.T, np.diag(A @ z - 1.0)])
    _, res = nnls(M, np.concatenate([g, np.zeros(A.shape[0])]), maxiter=50 * M.shape[1])
    return float(res / np.linalg.norm(g))


def polish_stationary(X, y, z, p, *, rel=1e-2, active=5e-2, tol=1e-9):
    r"""The stationary point of the :math:`\ell_p` max-margin problem near a direction ``z``.

    Takes the support :math:`S = \{j: |z_j| > \text{rel}\max|z|\}` and the nearly
    active margins :math:`T = \{i: a_i^\top z\le 1+\text{active}\}` of ``z``
    (scaled to minimum margin 1) and solves the Lagrange system on them,

    .. math::

        p|z_S|^{p-1}\odot\mathrm{sign}(z_S) = A_{T,S}^\top\mu,\qquad A_{T,S}z_S = \mathbf 1,

    by Levenberg-Marquardt (scipy ``root``) from ``z``. The answer :math:`z^*`
    (zero off :math:`S`) is certified by residuals recomputed from it: relative
    stationarity on :math:`S`, primal feasibility :math:`\max_i(1 - a_i^\top z^*)^+`,
    dual feasibility :math:`\max(-\mu)^+/\max|\mu|`, complementarity
    :math:`\max_i\mu_i|a_i^\top z^*-1|/\max|\mu|`, and the sign pattern of :math:`z_S`;
    all are dimensionless (the margins are scaled to 1), so scaling X leaves them unchanged.

    Returns
    -------
    SolverResult
        ``x`` (:math:`z^*`), ``fun`` (:math:`\|z^*\|_p^p`), ``dual`` (:math:`\mu` on
        ``active``), ``support``, ``active``, ``kkt``.

    Raises
    ------
    SolverError
        If the residuals exceed ``tol`` (the guessed support/active set was wrong).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.solvers import polish_stationary
    >>> X, y = np.array([[2., 1.]]), np.array([1.])
    >>> r = polish_stationary(X, y, np.array([1., 1e-4]), 2 / 3)
    >>> r.x, r.success
    (array([0.5, 0. ]), True)

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from scipy.optimize import nnls, root

    A, z, p = _margin_data(X, y, z, p)
    tol = check_tol(tol)
    for name, v in (("rel", rel), ("active", active)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < 1:
            raise ValueError(f"{name} must be a number in (0, 1), got {v!r}")
    S = np.flatnonzero(np.abs(z) > rel * np.abs(z).max())
    T = np.flatnonzero(A @ z <= 1 + active)
    # Solve in units where max|A| = 1 (zn = sA z, mun = sA^p mu): the Lagrange system then
    # has unit-size blocks whatever the units of X (issue 15: scale-free certificates).
    sA = float(np.max(np.abs(A)))
    As = A[np.ix_(T, S)] / sA
    sg = np.sign(z[S])

    def F(u):
        zs, mu = u[:S.size], u[S.size:]
        return np.concatenate([p * np.abs(zs) ** (p - 1) * sg - As.T @ mu, As @ zs - 1])

    z0 = z[S] * sA
    mu0, _ = nnls(As.T, p * np.abs(z0) ** (p - 1) * sg)
    sol = root(F, np.concatenate([z0, mu0]), method="lm", tol=1e-15)
    zs, mu = sol.x[:S.size] / sA, sol.x[S.size:] * sA ** -p
    As = As * sA
    out = np.zeros_like(z)
    out[S] = zs
    marg = A @ out
    grad = p * np.abs(zs) ** (p - 1) * sg
    mu_scale = max(float(np.max(np.abs(mu))), 1e-300) if mu.size else 1.0
    kkt = KKT(
        stationarity=float(np.linalg.norm(grad - As.T @ mu) / np.linalg.norm(grad)),
        primal_feasibility=float(max(0.0, np.max(1.0 - marg))),
        dual_feasibility=float(max(0.0, -float(np.min(mu))) / mu_scale) if mu.size else 0.0,
        complementarity=float(np.max(mu * np.abs(marg[T] - 1.0)) / mu_scale) if mu.size else 0.0,
        sign_pattern=float(np.any(np.sign(zs) != sg)),
    )
    if not kkt.meets(tol):
        raise SolverError("polish_stationary: no certified stationary point on the support and "
                          "active set read off z (try other rel/active)", "kkt_not_met", kkt)
    return finish("polish_stationary", out, np.sum(np.abs(out) ** p), kkt, tol, dual=mu,
                  support=S, active=T)
