"""Independent second routes for Min et al. (2021).

Independent of the function it checks: nothing here imports
:mod:`ibtheory.papers.min2021`, :mod:`ibtheory.models`, :mod:`ibtheory.dynamics`
or :mod:`ibtheory.solvers`. The level of imbalance comes from the dense ``h x h``
eigenproblem (not the QR block), the minimum-norm solution from
:func:`numpy.linalg.pinv` (not the KKT-certified solver), the loss from the
matrix formula, and the flow from :func:`scipy.integrate.solve_ivp` on the
matrix equations :math:`\\dot U = X^\\top EV`, :math:`\\dot V = E^\\top XU`.

See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
"""
from __future__ import annotations

import numpy as np

from .._validation import as_real_array

__all__ = ["imbalance_level_dense", "min_norm_solution", "network_loss", "flow_matrices"]


def _arr(x, name):
    a = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite")
    return a


def imbalance_level_dense(U1, V):
    """:math:`c = [\\lambda_r(\\Lambda)]_+ + [\\lambda_m(-\\Lambda)]_+` from ``eigvalsh`` of the ``h x h`` matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.reference.min2021 import imbalance_level_dense
    >>> float(imbalance_level_dense(np.array([[2.0, 0.0, 0.0]]), np.array([[0.0, 1.0, 0.0]])))
    5.0
    """
    U1, V = as_real_array(U1, "U1"), as_real_array(V, "V")
    if U1.ndim < 2 or V.ndim < 2 or U1.shape[-1] != V.shape[-1]:
        raise ValueError(f"U1 and V must be (..., r, h) and (..., m, h) arrays with the same h, "
                         f"got shapes {U1.shape} and {V.shape}")
    r, m, h = U1.shape[-2], V.shape[-2], U1.shape[-1]
    if not (1 <= r <= h and 1 <= m <= h):
        raise ValueError(f"U1 and V must have 1 <= r, m <= h rows (lambda_r and lambda_m of an h x h matrix), "
                         f"got r = {r}, m = {m}, h = {h}")
    try:
        np.broadcast_shapes(U1.shape[:-2], V.shape[:-2])
    except ValueError:
        raise ValueError(f"U1 and V must have broadcastable batch shapes, got {U1.shape} and {V.shape}") from None
    lam = np.swapaxes(U1, -1, -2) @ U1 - np.swapaxes(V, -1, -2) @ V
    ev = np.linalg.eigvalsh(lam)                      # ascending
    lam_r = ev[..., -r]                               # r-th largest
    lam_m_neg = -ev[..., m - 1]                       # m-th largest of -Lambda
    return np.maximum(lam_r, 0.0) + np.maximum(lam_m_neg, 0.0)


def min_norm_solution(X, Y):
    """:math:`\\hat\\Theta = X^+Y` by the pseudo-inverse.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.reference.min2021 import min_norm_solution
    >>> min_norm_solution(np.array([[1.0, 1.0]]), np.array([[2.0]])).ravel().tolist()
    [1.0, 1.0]
    """
    return np.linalg.pinv(_arr(X, "X")) @ _arr(Y, "Y")


def network_loss(X, Y, U, V):
    """:math:`\\frac12\\|Y - XUV^\\top\\|_F^2`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.reference.min2021 import network_loss
    >>> float(network_loss(np.eye(1), np.array([[3.0]]), np.array([[1.0]]), np.array([[1.0]])))
    2.0
    """
    X, Y, U, V = (_arr(a, n) for a, n in ((X, "X"), (Y, "Y"), (U, "U"), (V, "V")))
    return 0.5 * float(np.sum((Y - X @ U @ V.T) ** 2))


def flow_matrices(X, Y, U, V, t_final, rtol=1e-11):
    """Integrate :math:`\\dot U = X^\\top EV`, :math:`\\dot V = E^\\top XU`, :math:`E = Y - XUV^\\top` to ``t_final``.

    Uses :func:`scipy.integrate.solve_ivp` (RK45) on the matrix equations written
    here; returns ``(U(t_final), V(t_final))``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.reference.min2021 import flow_matrices
    >>> U, V = flow_matrices(np.eye(1), np.array([[1.0]]), np.array([[0.5]]), np.array([[0.5]]), 40.0)
    >>> round(float(U[0, 0] * V[0, 0]), 6)
    1.0
    """
    from scipy.integrate import solve_ivp

    X, Y, U, V = (_arr(a, n) for a, n in ((X, "X"), (Y, "Y"), (U, "U"), (V, "V")))
    D, h = U.shape
    m = V.shape[0]

    def rhs(_t, z):
        Uz, Vz = z[:D * h].reshape(D, h), z[D * h:].reshape(m, h)
        E = Y - X @ Uz @ Vz.T
        return np.concatenate([(X.T @ E @ Vz).ravel(), (E.T @ X @ Uz).ravel()])

    sol = solve_ivp(rhs, (0.0, float(t_final)), np.concatenate([U.ravel(), V.ravel()]),
                    method="RK45", rtol=rtol, atol=rtol * 1e-2)
    if not sol.success:
        raise RuntimeError(f"solve_ivp failed: {sol.message}")
    z = sol.y[:, -1]
    return z[:D * h].reshape(D, h), z[D * h:].reshape(m, h)
