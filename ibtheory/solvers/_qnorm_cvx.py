"""The smooth dual of the norm-like interpolator with CVXPY/Clarabel (L = 2 and L = 4).

Split from :mod:`ibtheory.solvers._qnorm` (the ``method="cvxpy"`` route of
:func:`ibtheory.solvers.qnorm_interpolator`). See the book chapter *The limiting
optimization problems* (``book/solvers.md``).
"""
from __future__ import annotations

import numpy as np

from ._checks import require_in_range, svd_range
from ._result import SolverError, cvx_solve


def _cvxpy_dual(A, y, a, b, L, polish=True):
    r"""The smooth dual with CVXPY/Clarabel (L = 2: exponential cones; L = 4: SOC).

    :math:`\max_\nu \nu^\top\tilde y - \sum_j a_j G_L(t_j)`, :math:`t = c\odot V\nu`,
    with :math:`G_2(\tau) = \sinh^2\tau/2 = (e^{2\tau} + e^{-2\tau} - 2)/8` and
    :math:`G_4(\tau) = \tau^2/(2(1 - \tau^2))` (``quad_over_lin``), the closed forms of
    :math:`\int_0^\tau h_L`; no other depth has a DCP form. Clarabel reaches ~1e-6
    relative accuracy on this smooth dual (exp cones), so with ``polish`` (default)
    Newton's method on the dual is restarted from Clarabel's point (1 to 3 steps).
    Returns (z, lam, nit, unpolished) with ``unpolished`` = (z, lam) of Clarabel.
    """
    import cvxpy as cp

    from ..special import h

    from ._qnorm import _dual_newton, _NewtonFailure

    if L not in (2, 4):
        raise ValueError(f"method='cvxpy' needs L = 2 or L = 4 (the only depths whose dual is "
                         f"DCP-representable), got L = {L}; use method='dual-newton'")
    U, sv, Vt = svd_range(A)
    require_in_range(U, y, "y", "X")
    yr = (U.T @ y) / sv
    c = b / a
    nu = cp.Variable(Vt.shape[0])
    t = cp.multiply(c, Vt.T @ nu)
    if L == 2:
        G = (cp.exp(2 * t) + cp.exp(-2 * t) - 2) / 8
    else:
        G = cp.hstack([cp.quad_over_lin(t[j], 1 - cp.square(t[j])) for j in range(A.shape[1])]) / 2
    prob = cp.Problem(cp.Maximize(nu @ yr - a @ G))
    status = cvx_solve(prob, "qnorm_interpolator")
    if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or nu.value is None:
        raise SolverError(f"qnorm_interpolator: Clarabel ended with {status!r} on the smooth "
                          "dual (which always has an optimum); use method='dual-newton'", "numerical")
    nu0 = np.asarray(nu.value, float)
    lam0 = U @ (nu0 / sv)
    z0 = b * h(L, c * (A.T @ lam0))
    if not polish:
        return z0, lam0, 0, (z0, lam0)
    try:
        z, lam, it, _ = _dual_newton(A, y, a, b, L, nu0=nu0, svd=(U, sv, Vt))
    except _NewtonFailure:
        return z0, lam0, 0, (z0, lam0)
    return z, lam, it, (z0, lam0)
