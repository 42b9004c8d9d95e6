r"""Kernel interpolants: the infinite-width limits of training the output layer of a ReLU network.

For a random feature :math:`[w^\top x+b]_+` with :math:`(w, b)\sim\mu`, training only the
output layer of an infinitely wide network from a zero function ends at the minimum-RKHS-norm
interpolant :math:`k(\cdot,X)\,k(X,X)^{-1}y` of the output-layer kernel

.. math::

    k(x,x') = \mathbb E_{(w,b)\sim\mu}\big[[w^\top x+b]_+[w^\top x'+b]_+\big].

This module holds the kernels of the initializations used by Jin & Montufar (one input)
and their two-input extension, the interpolant as a certified solver, and the polyharmonic
spline (saddle-point system), each returning a :class:`SolverResult` whose certificate is
the interpolation residual relative to :math:`\max|y|` (purely relative, so scaling y does not
change it); the condition number of the linear system is reported beside it (``cond``).
The polyharmonic spline is solved in coordinates centred at the data and scaled to unit
radius, so its condition number and certificate do not depend on the units of X either.

See the book chapters *Wide ReLU networks learn weighted splines* (``book/jin2023.md``) and
*Extension: wide ReLU networks on 2-D inputs* (``book/jin2023_2d.md``).
"""
from __future__ import annotations

import numpy as np

from .._validation import as_real_array, check_positive
from ._result import DEFAULT_TOL, KKT, SolverError, SolverResult, check_tol, finish, rel

__all__ = ["relu_kernel", "arccos_kernel", "circle_kernel", "kernel_interpolant", "KernelInterpolantResult",
           "polyharmonic_spline", "PolyharmonicSplineResult"]

_DISTS = ("gaussian", "uniform", "binary_uniform")
#: Largest condition number of a kernel or saddle-point system accepted (beyond, the
#: interpolant's coefficients carry no correct digit in float64).
MAX_COND = 1e13


def _points(x, name):
    x = as_real_array(x, name)
    if x.ndim < 1 or x.shape[-1] != 2:
        raise ValueError(f"{name} must have a last axis of length 2 (points of the plane), got shape {x.shape}")
    return x


def arccos_kernel(x1, x2, sigma_w=1.0, sigma_b=1.0):
    r"""Output-layer kernel of Gaussian parameters: the degree-1 arc-cosine kernel with bias.

    For :math:`w\sim N(0,\sigma_w^2I_d)`, :math:`b\sim N(0,\sigma_b^2)` the pair
    :math:`(w^\top x+b,w^\top x'+b)` is centred Gaussian with standard deviations
    :math:`s, s'` (:math:`s^2=\sigma_w^2|x|^2+\sigma_b^2`) and correlation :math:`\cos\phi`, and

    .. math::

        k(x,x') = \frac{ss'}{2\pi}\big(\sin\phi+(\pi-\phi)\cos\phi\big).

    Parameters
    ----------
    x1, x2 : array_like, shape (..., d)
        Broadcastable arrays of points (the last axis is the input dimension).

    Examples
    --------
    >>> from ibtheory.solvers import arccos_kernel
    >>> float(arccos_kernel([0.0, 0.0], [0.0, 0.0]))  # E[b_+^2] = 1/2
    0.5
    """
    sigma_w, sigma_b = check_positive(sigma_w, "sigma_w"), check_positive(sigma_b, "sigma_b")
    x1, x2 = as_real_array(x1, "x1"), as_real_array(x2, "x2")
    if x1.ndim < 1 or x2.ndim < 1 or x1.shape[-1] != x2.shape[-1]:
        raise ValueError(f"x1 and x2 must be points with the same last axis, got {x1.shape} and {x2.shape}")
    s1 = np.sqrt(sigma_w**2 * np.sum(x1 * x1, -1) + sigma_b**2)
    s2 = np.sqrt(sigma_w**2 * np.sum(x2 * x2, -1) + sigma_b**2)
    cos = np.clip((sigma_w**2 * np.sum(x1 * x2, -1) + sigma_b**2) / (s1 * s2), -1.0, 1.0)
    phi = np.arccos(cos)
    return s1 * s2 / (2 * np.pi) * (np.sin(phi) + (np.pi - phi) * cos)


_GL4_X, _GL4_W = np.polynomial.legendre.leggauss(4)


def _fixed_w(w, x1, x2, a_b):
    """E_B[[w x1 + B]_+ [w x2 + B]_+] for B ~ U(-a_b, a_b), exactly (antiderivative of a quadratic)."""
    p, q = w * x1, w * x2
    lo = np.maximum(-a_b, np.maximum(-p, -q))
    F = lambda b: b**3 / 3 + (p + q) * b**2 / 2 + p * q * b  # noqa: E731
    return np.where(a_b > lo, F(a_b) - F(np.minimum(lo, a_b)), 0.0) / (2 * a_b)


def relu_kernel(x1, x2, dist="uniform", w_scale=1.0, b_scale=2.0):
    r"""Output-layer kernel :math:`\mathbb E[\,[\mathcal Wx+\mathcal B]_+[\mathcal Wx'+\mathcal B]_+]` of one input.

    ``"gaussian"`` (standard deviations ``w_scale``, ``b_scale``): :func:`arccos_kernel`.
    ``"uniform"`` (:math:`U(-a_w,a_w)\times U(-a_b,a_b)`) and ``"binary_uniform"``
    (:math:`\mathcal W=\pm a_w`): the bias average is done exactly, and is a cubic polynomial
    in :math:`w` between the kinks :math:`w\in\{0,\pm a_b/x,\pm a_b/x'\}`; the weight average
    is 4-point Gauss-Legendre per panel, exact for cubics (so the kernel is exact to rounding).

    Examples
    --------
    >>> from ibtheory.solvers import relu_kernel
    >>> float(relu_kernel(0.0, 0.0, "uniform", 1.0, 2.0))  # E[B_+^2] = a_b^2/6
    0.6666666666666666
    """
    if dist not in _DISTS:
        raise ValueError(f"dist must be one of {_DISTS}, got {dist!r}")
    w_scale, b_scale = check_positive(w_scale, "w_scale"), check_positive(b_scale, "b_scale")
    x1, x2 = np.broadcast_arrays(as_real_array(x1, "x1"), as_real_array(x2, "x2"))
    if dist == "gaussian":
        return arccos_kernel(x1[..., None], x2[..., None], w_scale, b_scale)
    if dist == "binary_uniform":
        return 0.5 * (_fixed_w(w_scale, x1, x2, b_scale) + _fixed_w(-w_scale, x1, x2, b_scale))
    a_w, a_b = w_scale, b_scale
    with np.errstate(divide="ignore"):
        kinks = [np.zeros_like(x1)] + [s * a_b / np.where(v == 0, np.inf, v) for v in (x1, x2) for s in (1, -1)]
    pts = np.sort(np.clip(np.stack([np.full_like(x1, -a_w), np.full_like(x1, a_w)] + kinks), -a_w, a_w), axis=0)
    lo, hi = pts[:-1], pts[1:]
    half = 0.5 * (hi - lo)
    out = np.zeros_like(x1)
    for xg, wg in zip(_GL4_X, _GL4_W):
        out = out + np.sum(wg * half * _fixed_w(lo + half * (xg + 1.0), x1[None], x2[None], a_b), axis=0)
    return out / (2 * a_w)


def circle_kernel(x1, x2, a=2.5):
    r"""Output-layer kernel for directions uniform on the unit circle and :math:`b\sim U(-a,a)`.

    :math:`k(x,x') = a^2/6 + x^\top x'/4 + |x-x'|^3/(18\pi a)` for :math:`|x|,|x'|\le a`
    (derived with SymPy in :class:`ibtheory.papers.jin2023.CircleKernelDerivation`);
    raises ``ValueError`` beyond, where the formula does not hold.

    Examples
    --------
    >>> from ibtheory.solvers import circle_kernel
    >>> round(float(circle_kernel([0.0, 0.0], [0.0, 0.0], 3.0)), 12)  # a^2/6
    1.5
    """
    a = check_positive(a, "a")
    x1, x2 = _points(x1, "x1"), _points(x2, "x2")
    if max(np.max(np.linalg.norm(x1, axis=-1)), np.max(np.linalg.norm(x2, axis=-1))) > a * (1 + 1e-12):
        raise ValueError(f"circle_kernel's closed form needs |x| <= a = {a}")
    r = np.linalg.norm(x1 - x2, axis=-1)
    return a**2 / 6 + np.sum(x1 * x2, -1) / 4 + r**3 / (18 * np.pi * a)


def _data(X, y):
    X, y = as_real_array(X, "X"), as_real_array(y, "y")
    if X.ndim not in (1, 2) or X.shape[0] < 1:
        raise ValueError(f"X must have shape (M,) or (M, d) with M >= 1, got {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
    return X, y


def _cond_solve(A, rhs, name):
    cond = float(np.linalg.cond(A))
    if not np.isfinite(cond) or cond > MAX_COND:
        raise SolverError(f"{name}: the linear system is singular to working precision (cond {cond:.1e} > "
                          f"{MAX_COND:.0e}); distinct points are needed", "numerical")
    return np.linalg.solve(A, rhs), cond


class KernelInterpolantResult(SolverResult):
    r"""Result of :func:`kernel_interpolant`, callable on points.

    Attributes
    ----------
    x : ndarray, shape (M,)
        The coefficients :math:`c = k(X,X)^{-1}y`.
    centers : ndarray
        The data inputs.
    kernel : callable
    cond : float
        Condition number of :math:`k(X,X)`.
    fun : float
        The RKHS norm squared :math:`y^\top c`.
    kkt : KKT
        ``interpolation``: :math:`\max_j|k(x_j,X)c-y_j|/\max|y|`.
    """

    def __call__(self, t):
        t = as_real_array(t, "t")
        tt = t[..., None] if self.centers.ndim == 1 else t[..., None, :]
        return self.kernel(tt, self.centers) @ self.x


def kernel_interpolant(X, y, kernel, *, tol=DEFAULT_TOL):
    r"""Minimum-RKHS-norm interpolant :math:`k(\cdot,X)k(X,X)^{-1}y`, certified.

    For an output-layer kernel it is the infinite-width limit of training only the output
    layer from a network that is zero at initialization (Jin & Montufar, problem (18)):
    the minimizer of :math:`\int\alpha^2d\mu` s.t. :math:`\int\alpha(w,b)[w^\top x_j+b]_+d\mu=y_j`.

    Parameters
    ----------
    X : array_like, shape (M,) or (M, d)
    y : array_like, shape (M,)
    kernel : callable
        ``kernel(x1, x2)`` on broadcastable inputs (scalars for ``X`` of shape (M,),
        points along the last axis otherwise), e.g.
        ``functools.partial(relu_kernel, dist="uniform", w_scale=1.0, b_scale=2.0)``.
    tol : float
        Largest interpolation residual accepted (relative to the data scale).

    Returns
    -------
    KernelInterpolantResult

    Raises
    ------
    SolverError
        If :math:`k(X,X)` is numerically singular or the residual exceeds ``tol``.

    Examples
    --------
    >>> import numpy as np
    >>> from functools import partial
    >>> from ibtheory.solvers import kernel_interpolant, relu_kernel
    >>> res = kernel_interpolant([-1.0, 0.0, 1.0], [1.0, 0.0, 1.0], partial(relu_kernel, dist="uniform"))
    >>> res.success, bool(np.allclose(res([-1.0, 0.0, 1.0]), [1, 0, 1], atol=1e-12))
    (True, True)
    """
    X, y = _data(X, y)
    if not callable(kernel):
        raise TypeError(f"kernel must be a callable kernel(x1, x2), got {kernel!r}")
    tol = check_tol(tol)
    K = np.asarray(kernel(X[:, None], X[None]), float)
    if K.shape != (X.shape[0], X.shape[0]) or not np.all(np.isfinite(K)):
        raise ValueError(f"kernel must return a finite ({X.shape[0]}, {X.shape[0]}) Gram matrix, got {K.shape}")
    c, cond = _cond_solve(K, y, "kernel_interpolant")
    kkt = KKT(interpolation=rel(np.max(np.abs(K @ c - y)), np.max(np.abs(y))))
    res = finish("kernel_interpolant", c, float(y @ c), kkt, tol, centers=X, kernel=kernel, cond=cond)
    return KernelInterpolantResult(**res)


_PHI = {
    "thin_plate_spline": lambda r: np.where(r > 0, r**2 * np.log(np.where(r > 0, r, 1.0)), 0.0),
    "cubic": lambda r: r**3,
}


class PolyharmonicSplineResult(SolverResult):
    r"""Result of :func:`polyharmonic_spline`; callable on points of shape (..., 2).

    Attributes
    ----------
    kernel : str
    centers : ndarray, shape (M, 2)
    coef : ndarray, shape (M,)
        Radial coefficients :math:`c_j` (:math:`\sum_jc_j=0`, :math:`\sum_jc_jx_j=0`), in the
        units of the data.
    linear : ndarray, shape (3,)
        :math:`(v, u_1, u_2)`: the linear part :math:`L(x)=v+u^\top x`.
    normalization : tuple
        ``(center, radius)``: the system is solved in the coordinates
        :math:`\tilde x = (x - \text{center})/\text{radius}` (and evaluated in them).
    cond : float
        Condition number of the saddle-point matrix (in the normalized coordinates).
    kkt : KKT
        ``interpolation`` (relative to :math:`\max|y|`) and ``side_conditions``
        (:math:`|\sum c_j| + |\sum c_j\tilde x_j|` relative to :math:`\sum|c_j|`).
    """

    def __call__(self, T):
        T = _points(T, "T")
        center, radius = self.normalization
        Tn = (T - center) / radius
        r = np.linalg.norm(Tn[..., None, :] - self._centers_n, axis=-1)
        return _PHI[self.kernel](r) @ self._coef_n + self._linear_n[0] + Tn @ self._linear_n[1:]

    def linear_part(self, T):
        """The linear part :math:`L(x) = v+u^\top x` on points ``T``."""
        T = _points(T, "T")
        center, radius = self.normalization
        return self._linear_n[0] + ((T - center) / radius) @ self._linear_n[1:]


def polyharmonic_spline(X, y, kernel="thin_plate_spline", *, tol=DEFAULT_TOL):
    r"""Polyharmonic spline interpolant on the plane with a linear part, by its saddle-point system.

    .. math::

        s(x) = \sum_jc_j\,\phi(|x-x_j|)+v+u^\top x,\qquad
        \begin{pmatrix}\Phi&P\\P^\top&0\end{pmatrix}\begin{pmatrix}c\\(v,u)\end{pmatrix}
        =\begin{pmatrix}y\\0\end{pmatrix},\quad P=[1, X].

    ``"thin_plate_spline"`` (:math:`\phi=r^2\log r`) minimizes the bending energy
    :math:`\int|\nabla^2s|_F^2`; ``"cubic"`` (:math:`\phi=r^3`) minimizes
    :math:`\int|\xi|^5|\hat s(\xi)|^2d\xi` (Duchon, order 5/2).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.solvers import polyharmonic_spline
    >>> X = np.array([[-1., -1], [-1, 1], [1, -1], [1, 1], [0, 0]]); y = np.array([0., 0, 0, 0, 1])
    >>> s = polyharmonic_spline(X, y, "cubic")
    >>> s.success, bool(np.allclose(s(X), y, atol=1e-12))
    (True, True)
    """
    X, y = _data(X, y)
    X = _points(X, "X")
    if kernel not in _PHI:
        raise ValueError(f"kernel must be one of {tuple(_PHI)}, got {kernel!r}")
    tol = check_tol(tol)
    M = X.shape[0]
    # Centred, unit-radius coordinates: phi(r / radius) differs from phi(r) by a factor
    # (and, for r^2 log r, a multiple of r^2, which the side conditions reduce to a constant),
    # so the spline is the same function; the system's conditioning no longer depends on units.
    center = X.mean(axis=0)
    radius = float(np.max(np.linalg.norm(X - center, axis=1)))
    if not radius > 0:
        raise ValueError("X must hold at least 3 points not on a line (the linear part must be determined)")
    Xn = (X - center) / radius
    P = np.concatenate([np.ones((M, 1)), Xn], 1)
    if M < 3 or np.linalg.matrix_rank(P) < 3:
        raise ValueError("X must hold at least 3 points not on a line (the linear part must be determined)")
    Phi = _PHI[kernel](np.linalg.norm(Xn[:, None] - Xn[None], axis=-1))
    A = np.block([[Phi, P], [P.T, np.zeros((3, 3))]])
    sol, cond = _cond_solve(A, np.concatenate([y, np.zeros(3)]), "polyharmonic_spline")
    c, lin = sol[:M], sol[M:]
    kkt = KKT(interpolation=rel(np.max(np.abs(Phi @ c + P @ lin - y)), np.max(np.abs(y))),
              side_conditions=rel(np.sum(np.abs(P.T @ c)), np.sum(np.abs(c))))
    # The same function in the data's units: phi(r/R) = phi(r)/R^3 (cubic), or
    # (phi(r) - r^2 log R)/R^2 (thin plate), where sum_j c_j |x - x_j|^2 = R^2 sum_j c_j |xn_j|^2.
    # The semi-norm c^T Phi c scales the same way (c^T [|xn_i - xn_j|^2] c = 0 under the side conditions).
    power = 3 if kernel == "cubic" else 2
    coef = c / radius**power
    const = 0.0 if kernel == "cubic" else -np.log(radius) * float(c @ np.sum(Xn * Xn, axis=1))
    linear = np.concatenate([[lin[0] - lin[1:] @ center / radius + const], lin[1:] / radius])
    res = finish("polyharmonic_spline", sol, float(c @ Phi @ c) / radius**power, kkt, tol, kernel=kernel, centers=X, coef=coef,
                 linear=linear, normalization=(center, radius), cond=cond, _centers_n=Xn, _coef_n=c,
                 _linear_n=lin)
    return PolyharmonicSplineResult(**res)
