r"""Extension beyond Jin & Montufar: wide two-input ReLU networks, their kernel limit and polyharmonic splines.

The paper proves its result for one input. This module runs the same
experiment on two inputs, the five points :math:`(\pm1,\pm1)` and
:math:`(0,0)`, and holds the routes it is compared with:

* :func:`arccos_kernel` (closed form) and :func:`arccos_kernel_quad` (one-dimensional
  quadrature after Gaussian conditioning): the infinite-width output-layer kernel
  :math:`k(x,x') = \mathbb E[\,[w^\top x+b]_+[w^\top x'+b]_+]` for
  :math:`w\sim N(0,\sigma_w^2I_2)`, :math:`b\sim N(0,\sigma_b^2)`;
* :class:`CircleKernelDerivation` and :func:`circle_kernel`: the same kernel for
  directions uniform on the unit circle and :math:`b\sim U(-a,a)` (the two-input
  analogue of the paper's constant curvature weight), derived with SymPy:
  :math:`a^2/6 + x^\top x'/4 + |x-x'|^3/(18\pi a)` for :math:`|x|,|x'|\le a`;
* :func:`kernel_interpolant_2d`, :func:`polyharmonic_spline` (own saddle-point solve)
  and :func:`rbf_spline` (:class:`scipy.interpolate.RBFInterpolator`);
* :func:`init_asi_2d` and :func:`train_asi_2d`: anti-symmetric initialization and
  full-batch gradient descent on many widths and seeds at once;
* :func:`width_sweep`: sup-error of the trained networks against the kernel limit.

Used in the book page *Extension: wide ReLU networks on 2-D inputs*
(``book/jin2023_2d.md``).
"""
from __future__ import annotations

import numbers
from functools import cached_property

import numpy as np
from scipy.optimize import OptimizeResult

from .._validation import as_real_array, check_positive

#: The five inputs of the experiment: the corners of [-1, 1]^2 and the centre.
X5 = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0], [0.0, 0.0]])
#: The labels, 0 at the corners and 1 at the centre (a bump).
Y5 = np.array([0.0, 0.0, 0.0, 0.0, 1.0])

_INITS = ("gaussian", "circle")


def _check_int(v, name, minimum=1):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral) or v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {v!r}")
    return int(v)


def _points(x, name):
    x = as_real_array(x, name)
    if x.ndim < 1 or x.shape[-1] != 2:
        raise ValueError(f"{name} must have a last axis of length 2 (points of the plane), got shape {x.shape}")
    return x


def _data(X, y):
    X = _points(X, "X")
    y = as_real_array(y, "y")
    if X.ndim != 2 or y.shape != (X.shape[0],) or X.shape[0] < 1:
        raise ValueError("X must have shape (M, 2) and y shape (M,), M >= 1")
    return X, y


# ------------------------------------------------------------------- kernels
def arccos_kernel(x1, x2, sigma_w=1.0, sigma_b=1.0):
    r"""Output-layer kernel of Gaussian initialization, in closed form (degree-1 arc-cosine kernel with bias).

    With :math:`w\sim N(0,\sigma_w^2I)`, :math:`b\sim N(0,\sigma_b^2)` the pair
    :math:`(w^\top x+b,\,w^\top x'+b)` is centred Gaussian with variances
    :math:`s^2=\sigma_w^2|x|^2+\sigma_b^2`, :math:`s'^2` and covariance
    :math:`\sigma_w^2x^\top x'+\sigma_b^2 = ss'\cos\phi`, and

    .. math::

        k(x,x') = \mathbb E\big[[w^\top x+b]_+[w^\top x'+b]_+\big]
                = \frac{ss'}{2\pi}\big(\sin\phi+(\pi-\phi)\cos\phi\big).

    Parameters
    ----------
    x1, x2 : array_like, shape (..., 2)
        Broadcastable arrays of points.

    Examples
    --------
    >>> from ibtheory.theory.jin2023_2d import arccos_kernel
    >>> float(arccos_kernel([0.0, 0.0], [0.0, 0.0], 1.0, 1.0))  # E[b_+^2] = 1/2
    0.5
    """
    sigma_w, sigma_b = check_positive(sigma_w, "sigma_w"), check_positive(sigma_b, "sigma_b")
    x1, x2 = _points(x1, "x1"), _points(x2, "x2")
    s1 = np.sqrt(sigma_w**2 * np.sum(x1 * x1, -1) + sigma_b**2)
    s2 = np.sqrt(sigma_w**2 * np.sum(x2 * x2, -1) + sigma_b**2)
    cos = np.clip((sigma_w**2 * np.sum(x1 * x2, -1) + sigma_b**2) / (s1 * s2), -1.0, 1.0)
    phi = np.arccos(cos)
    return s1 * s2 / (2 * np.pi) * (np.sin(phi) + (np.pi - phi) * cos)


def arccos_kernel_quad(x1, x2, sigma_w=1.0, sigma_b=1.0):
    r"""The same kernel as :func:`arccos_kernel` by one-dimensional quadrature (an independent route).

    Writing :math:`U = w^\top x+b`, :math:`V = w^\top x'+b` (jointly Gaussian),
    :math:`V\mid U=u\sim N(\rho u/s^2,\ \tau^2)` with :math:`\rho=\mathrm{cov}(U,V)`,
    :math:`\tau^2 = s'^2-\rho^2/s^2`, and
    :math:`\mathbb E[V_+\mid U=u] = \mu\Phi(\mu/\tau)+\tau\varphi(\mu/\tau)`, so

    .. math::

        k(x,x') = \int_0^\infty u\,\frac{e^{-u^2/2s^2}}{\sqrt{2\pi}s}\,
                  \mathbb E[V_+\mid U=u]\,du,

    evaluated by :func:`scipy.integrate.quad` (relative tolerance :math:`10^{-13}`).

    Parameters
    ----------
    x1, x2 : array_like, shape (2,)
        Two points (scalar routine).

    Examples
    --------
    >>> from ibtheory.theory.jin2023_2d import arccos_kernel_quad
    >>> round(arccos_kernel_quad([0.0, 0.0], [0.0, 0.0]), 12)
    0.5
    """
    from scipy import integrate, stats

    sigma_w, sigma_b = check_positive(sigma_w, "sigma_w"), check_positive(sigma_b, "sigma_b")
    x1, x2 = _points(x1, "x1"), _points(x2, "x2")
    if x1.shape != (2,) or x2.shape != (2,):
        raise ValueError("arccos_kernel_quad takes two single points of shape (2,)")
    s2 = sigma_w**2 * x1 @ x1 + sigma_b**2
    t2 = sigma_w**2 * x2 @ x2 + sigma_b**2
    rho = sigma_w**2 * x1 @ x2 + sigma_b**2
    tau = np.sqrt(max(t2 - rho**2 / s2, 0.0))
    s = np.sqrt(s2)

    def cond_pos(u):
        mu = rho * u / s2
        if tau < 1e-300:
            return max(mu, 0.0)
        z = mu / tau
        return mu * stats.norm.cdf(z) + tau * stats.norm.pdf(z)

    f = lambda u: u * np.exp(-u * u / (2 * s2)) / (np.sqrt(2 * np.pi) * s) * cond_pos(u)  # noqa: E731
    return float(integrate.quad(f, 0, np.inf, epsabs=0, epsrel=1e-13, limit=200)[0])


class CircleKernelDerivation:
    r"""SymPy derivation of the output-layer kernel for directions uniform on the circle and uniform biases.

    For :math:`w = (\cos\theta,\sin\theta)`, :math:`\theta\sim U(0,2\pi)`,
    :math:`b\sim U(-a,a)` and :math:`s = w^\top x`, :math:`s' = w^\top x'` with
    :math:`|s|,|s'|\le a`, the bias integral is, for :math:`s\le s'`,

    .. math::

        g(s,s') = \frac1{2a}\int_{-s}^{a}(s+b)(s'+b)\,db ,

    and since :math:`\theta\mapsto\theta+\pi` maps :math:`(s,s')` to :math:`(-s,-s')`,
    only the symmetrization :math:`\tfrac12(g(s,s')+g(-s,-s'))` matters. It
    equals :math:`a^2/6 + ss'/2 + |s-s'|^3/(24a)`, and averaging over
    :math:`\theta` with :math:`\mathbb E[(w^\top x)(w^\top x')] = x^\top x'/2` and
    :math:`\mathbb E|\cos\theta|^3 = 4/(3\pi)` gives

    .. math::

        k(x,x') = \frac{a^2}{6} + \frac{x^\top x'}{4} + \frac{|x-x'|^3}{18\pi a}
        \qquad (|x|,|x'|\le a).

    Attributes
    ----------
    s, t, a : sympy.Symbol
        :math:`s\le t` (so :math:`|s-t| = t-s`) and the bias half-width.
    g_sym : sympy.Expr
        The symmetrized bias integral.
    g_sym_claimed : sympy.Expr
        :math:`a^2/6 + st/2 + (t-s)^3/(24a)`.
    mean_abs_cos3, mean_cos_product : sympy.Expr
        :math:`\mathbb E|\cos\theta|^3` and :math:`\mathbb E[\cos\theta\cos(\theta-\psi)]` (as a
        function of the angle :math:`\psi` between two unit vectors).
    radial_coefficient : sympy.Expr
        :math:`\mathbb E|\cos\theta|^3/(24a) = 1/(18\pi a)`.

    Examples
    --------
    >>> import sympy as sp
    >>> from ibtheory.theory.jin2023_2d import CircleKernelDerivation
    >>> d = CircleKernelDerivation()
    >>> sp.simplify(d.g_sym - d.g_sym_claimed)
    0
    >>> d.radial_coefficient
    1/(18*pi*a)
    """

    def __init__(self):
        import sympy as sp

        self._sp = sp
        self.s, self.t, self.b = sp.symbols("s t b", real=True)
        self.a = sp.Symbol("a", positive=True)
        self.theta, self.psi = sp.symbols("theta psi", real=True)

    def _g(self, s, t):
        # For s <= t both ramps are on where b >= -s (the larger threshold); the box ends at b = a.
        return self._sp.integrate((s + self.b) * (t + self.b), (self.b, -s, self.a)) / (2 * self.a)

    @cached_property
    def g_sym(self):
        s, t = self.s, self.t
        # Negating both arguments swaps their order: g(-s, -t) = g(-t, -s) with -t <= -s.
        return self._sp.expand((self._g(s, t) + self._g(-t, -s)) / 2)

    @cached_property
    def g_sym_claimed(self):
        return self.a**2 / 6 + self.s * self.t / 2 + (self.t - self.s) ** 3 / (24 * self.a)

    @cached_property
    def mean_abs_cos3(self):
        sp = self._sp
        # |cos|^3 has period pi and is even: the average over a period is (2/pi) int_0^{pi/2} cos^3.
        return sp.simplify(2 / sp.pi * sp.integrate(sp.cos(self.theta) ** 3, (self.theta, 0, sp.pi / 2)))

    @cached_property
    def mean_cos_product(self):
        sp = self._sp
        th = self.theta
        return sp.simplify(sp.integrate(sp.cos(th) * sp.cos(th - self.psi), (th, 0, 2 * sp.pi)) / (2 * sp.pi))

    @cached_property
    def radial_coefficient(self):
        return self._sp.simplify(self.mean_abs_cos3 / (24 * self.a))


def circle_kernel(x1, x2, a=2.5):
    r"""Closed form of the circle/uniform-bias kernel of :class:`CircleKernelDerivation`.

    :math:`k(x,x') = a^2/6 + x^\top x'/4 + |x-x'|^3/(18\pi a)`, valid for
    :math:`|x|,|x'|\le a` (raises ``ValueError`` beyond, where breakpoints
    leave the bias range).

    Examples
    --------
    >>> from ibtheory.theory.jin2023_2d import circle_kernel
    >>> round(float(circle_kernel([0.0, 0.0], [0.0, 0.0], 3.0)), 12)  # E[b_+^2] = a^2/6
    1.5
    """
    a = check_positive(a, "a")
    x1, x2 = _points(x1, "x1"), _points(x2, "x2")
    if max(np.max(np.linalg.norm(x1, axis=-1)), np.max(np.linalg.norm(x2, axis=-1))) > a * (1 + 1e-12):
        raise ValueError(f"circle_kernel's closed form needs |x| <= a = {a}")
    r = np.linalg.norm(x1 - x2, axis=-1)
    return a**2 / 6 + np.sum(x1 * x2, -1) / 4 + r**3 / (18 * np.pi * a)


def circle_kernel_quad(x1, x2, a=2.5, n_theta=2000):
    r"""The circle kernel by direct numerical integration (an independent route to :func:`circle_kernel`).

    For each direction the bias integral :math:`\frac1{2a}\int_{-a}^{a}(s+b)_+(s'+b)_+db` is
    evaluated exactly (antiderivative of the product of the two ramps above
    :math:`\max(-s,-s',-a)`); the angle is integrated by the midpoint rule on
    ``n_theta`` points, which for a periodic integrand with two kinks of
    :math:`|\cos|^3` type errs by :math:`O(n_\theta^{-4})`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.jin2023_2d import circle_kernel, circle_kernel_quad
    >>> x, y = np.array([0.3, -0.5]), np.array([1.0, 0.2])
    >>> bool(abs(circle_kernel_quad(x, y, 2.0) - circle_kernel(x, y, 2.0)) < 1e-10)
    True
    """
    a = check_positive(a, "a")
    n_theta = _check_int(n_theta, "n_theta", 8)
    x1, x2 = _points(x1, "x1"), _points(x2, "x2")
    th = (np.arange(n_theta) + 0.5) * 2 * np.pi / n_theta
    w = np.stack([np.cos(th), np.sin(th)], -1)
    s, t = x1 @ w.T, x2 @ w.T
    lo = np.maximum(-a, np.maximum(-s, -t))
    F = lambda b: b**3 / 3 + (s + t) * b**2 / 2 + s * t * b  # noqa: E731
    val = np.where(a > lo, F(a) - F(np.minimum(lo, a)), 0.0) / (2 * a)
    return float(np.mean(val))


class KernelInterpolant2D:
    """Callable :math:`k(\\cdot,X)k(X,X)^{-1}y` returned by :func:`kernel_interpolant_2d`."""

    def __init__(self, X, coef, kernel):
        self.X, self.coef, self.kernel = X, coef, kernel

    def __call__(self, T):
        T = _points(T, "T")
        return self.kernel(T[..., None, :], self.X) @ self.coef


def kernel_interpolant_2d(X, y, kernel):
    r"""Minimum-RKHS-norm interpolant of the data for a kernel on the plane.

    For the output-layer kernel this is the infinite-width limit of training the
    output layer (Jin & Montufar, problem (18), with two inputs).

    Parameters
    ----------
    X : array_like, shape (M, 2)
    y : array_like, shape (M,)
    kernel : callable
        ``kernel(x1, x2)`` on broadcastable point arrays, e.g.
        ``functools.partial(arccos_kernel, sigma_w=1.0, sigma_b=1.0)``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.jin2023_2d import X5, Y5, arccos_kernel, kernel_interpolant_2d
    >>> f = kernel_interpolant_2d(X5, Y5, arccos_kernel)
    >>> bool(np.allclose(f(X5), Y5, atol=1e-12))
    True
    """
    X, y = _data(X, y)
    K = kernel(X[:, None, :], X[None, :, :])
    return KernelInterpolant2D(X, np.linalg.solve(K, y), kernel)


# ------------------------------------------------------------ polyharmonic splines
_PHI = {
    "thin_plate_spline": lambda r: np.where(r > 0, r**2 * np.log(np.where(r > 0, r, 1.0)), 0.0),
    "cubic": lambda r: r**3,
}


class PolyharmonicSpline(OptimizeResult):
    r"""Result of :func:`polyharmonic_spline`; callable on points.

    Attributes
    ----------
    kernel : str
    centers : ndarray, shape (M, 2)
    coef : ndarray, shape (M,)
        Radial coefficients :math:`c_j` (they satisfy :math:`\sum_jc_j = 0`, :math:`\sum_jc_jx_j = 0`).
    linear : ndarray, shape (3,)
        The linear part :math:`(v, u_1, u_2)`: :math:`L(x) = v + u^\top x`.
    """

    def __call__(self, T):
        T = _points(T, "T")
        r = np.linalg.norm(T[..., None, :] - self.centers, axis=-1)
        return _PHI[self.kernel](r) @ self.coef + self.linear[0] + T @ self.linear[1:]

    def linear_part(self, T):
        """The linear part :math:`L(x) = v+u^\\top x` on points ``T``."""
        T = _points(T, "T")
        return self.linear[0] + T @ self.linear[1:]


def polyharmonic_spline(X, y, kernel="thin_plate_spline"):
    r"""Polyharmonic spline interpolant with a linear polynomial part, by its saddle-point system.

    .. math::

        s(x) = \sum_j c_j\,\phi(|x-x_j|) + v + u^\top x,\qquad
        \begin{pmatrix}\Phi & P\\ P^\top & 0\end{pmatrix}\begin{pmatrix}c\\(v,u)\end{pmatrix}
        = \begin{pmatrix}y\\0\end{pmatrix},

    with :math:`P = [1, X]`. ``kernel="thin_plate_spline"`` (:math:`\phi = r^2\log r`)
    minimizes the bending energy :math:`\int|\nabla^2 s|_F^2` (Duchon);
    ``"cubic"`` (:math:`\phi = r^3`) minimizes the seminorm
    :math:`\int|\xi|^5|\hat s(\xi)|^2d\xi` (Duchon's order :math:`m=2`, :math:`\tau=1/2`).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.jin2023_2d import X5, Y5, polyharmonic_spline
    >>> s = polyharmonic_spline(X5, Y5)
    >>> bool(np.allclose(s(X5), Y5, atol=1e-12)), bool(abs(s.coef.sum()) < 1e-12)
    (True, True)
    """
    X, y = _data(X, y)
    if kernel not in _PHI:
        raise ValueError(f"kernel must be one of {tuple(_PHI)}, got {kernel!r}")
    M = X.shape[0]
    if M < 3:
        raise ValueError("polyharmonic_spline needs at least 3 points (unisolvent for linear polynomials)")
    P = np.concatenate([np.ones((M, 1)), X], 1)
    if np.linalg.matrix_rank(P) < 3:
        raise ValueError("X must not lie on a line (the linear part would not be determined)")
    Phi = _PHI[kernel](np.linalg.norm(X[:, None] - X[None], axis=-1))
    A = np.block([[Phi, P], [P.T, np.zeros((3, 3))]])
    sol = np.linalg.solve(A, np.concatenate([y, np.zeros(3)]))
    return PolyharmonicSpline(kernel=kernel, centers=X, coef=sol[:M], linear=sol[M:], success=True, status=0,
                              message="solved the saddle-point system")


def rbf_spline(X, y, kernel="thin_plate_spline"):
    """:class:`scipy.interpolate.RBFInterpolator` with polynomial degree 1 (a route independent of
    :func:`polyharmonic_spline`).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.jin2023_2d import X5, Y5, rbf_spline
    >>> bool(np.allclose(rbf_spline(X5, Y5)(X5), Y5, atol=1e-12))
    True
    """
    from scipy.interpolate import RBFInterpolator

    X, y = _data(X, y)
    if kernel not in _PHI:
        raise ValueError(f"kernel must be one of {tuple(_PHI)}, got {kernel!r}")
    rbf = RBFInterpolator(X, y, kernel=kernel, degree=1)
    return lambda T: rbf(np.reshape(_points(T, "T"), (-1, 2))).reshape(np.shape(T)[:-1])


# ------------------------------------------------------------ networks and GD
def init_asi_2d(n, init="gaussian", sigma_w=1.0, sigma_b=1.0, a=2.5, seed=0):
    r"""Anti-symmetric initialization of a two-input ReLU network with :math:`2n` neurons.

    ``"gaussian"``: :func:`ibtheory.models.relu_init` (``w ~ N(0, sigma_w^2 I)``,
    ``b ~ N(0, sigma_b^2)``, output weights :math:`\pm\frac{\sqrt2}2 W/\sqrt n`).
    ``"circle"``: :math:`w = (\cos\theta,\sin\theta)` with :math:`\theta\sim U(0,2\pi)`,
    :math:`b\sim U(-a,a)`, output weights :math:`\pm\frac{\sqrt2}2\xi/\sqrt n`,
    :math:`\xi\sim N(0,1)`. Both have output bias 0, so :math:`f\equiv 0`.

    Returns
    -------
    tuple
        ``(W1, b1, W2, b2)`` in the layout of :class:`ibtheory.models.TwoLayerReLU` (``d = 2, m = 2n``).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import TwoLayerReLU
    >>> from ibtheory.theory.jin2023_2d import init_asi_2d
    >>> P = init_asi_2d(50, "circle", seed=1)
    >>> float(np.max(np.abs(TwoLayerReLU(2, 100).forward(P, np.random.default_rng(0).normal(size=(9, 2))))))
    0.0
    """
    n = _check_int(n, "n")
    if init not in _INITS:
        raise ValueError(f"init must be one of {_INITS}, got {init!r}")
    seed = _check_int(seed, "seed", 0)
    if init == "gaussian":
        from ibtheory.models import TwoLayerReLU, relu_init

        return relu_init(TwoLayerReLU(2, 2 * n), "gaussian", check_positive(sigma_w, "sigma_w"),
                         check_positive(sigma_b, "sigma_b"), asi=True, seed=seed)
    a = check_positive(a, "a")
    rng = np.random.default_rng(seed)
    th = rng.uniform(0.0, 2 * np.pi, n)
    W = np.stack([np.cos(th), np.sin(th)], -1)
    b = rng.uniform(-a, a, n)
    v = rng.standard_normal(n) / np.sqrt(n)
    return (np.concatenate([W, W]), np.concatenate([b, b]), np.concatenate([v, -v]) * (np.sqrt(2) / 2),
            np.zeros(()))


def _forward(P, T):
    W, b, v, c = P
    shape = T.shape[:-1]
    T = T.reshape(-1, 2)
    # Blocks of points keep the (points x neurons) activations small at large widths.
    step = max(1, 2**22 // max(W.shape[0], 1))
    out = np.concatenate([np.maximum(T[i:i + step] @ W.T + b, 0.0) @ v for i in range(0, T.shape[0], step)])
    return out.reshape(shape) + c


def _tangent_kernel(P, X, output_lr_scale):
    W, b, v, c = P
    Z = X @ W.T + b
    H = (Z > 0) * v
    Xa = np.concatenate([X, np.ones((X.shape[0], 1))], 1)
    phi = np.maximum(Z, 0.0)
    return (H @ H.T) * (Xa @ Xa.T) + output_lr_scale * phi @ phi.T + 1.0


class ASI2DRun(OptimizeResult):
    """Result of :func:`train_asi_2d`, one entry per (width, seed) network.

    Attributes
    ----------
    widths, seeds : ndarray
        Base width n (2n ReLUs) and seed of each network.
    params : list of tuple
        Final ``(W1, b1, W2, b2)``.
    fun : ndarray
        Final mean squared training error.
    nit : ndarray
        Steps taken.
    lr : ndarray
        Step size of each network.
    success : bool
        All networks reached ``max |residual| < tol_residual`` within ``max_steps``.
    """

    def __call__(self, k, T):
        """Output of network ``k`` on points ``T`` of shape (..., 2)."""
        return _forward(self.params[k], _points(T, "T"))


def train_asi_2d(X, y, widths, seeds, init="gaussian", sigma_w=1.0, sigma_b=1.0, a=2.5, *, lr_factor=1.0,
                 output_lr_scale=0.5, tol_residual=1e-10, max_steps=100_000, check_every=100):
    r"""Full-batch gradient descent on two-input ASI ReLU networks, all widths and seeds in one vectorized step.

    Loss :math:`\frac1M\sum_j(f(x_j)-y_j)^2`; update
    :math:`\theta\leftarrow\theta-\eta D\nabla\mathcal L` with :math:`D` = ``output_lr_scale``
    on the output weights and 1 elsewhere (1/2 is gradient descent in the
    parameters of the paper's ASI; 1 is plain gradient descent in
    :class:`ibtheory.models.TwoLayerReLU`'s parameters, as
    :func:`ibtheory.dynamics.gradient_descent` with ``loss="mean"``). The step of
    each network is ``lr_factor`` :math:`\cdot M/(2\lambda_{\max})`, with
    :math:`\lambda_{\max}` the top eigenvalue of its tangent kernel
    :math:`JDJ^\top` at initialization. A network stops when its largest
    training residual is below ``tol_residual``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.jin2023_2d import X5, Y5, train_asi_2d
    >>> run = train_asi_2d(X5, Y5, [40], [0])
    >>> bool(run.success), bool(np.max(np.abs(run(0, X5) - Y5)) < 1e-10)
    (True, True)
    """
    X, y = _data(X, y)
    widths = [_check_int(n, "widths") for n in np.atleast_1d(widths)]
    seeds = [_check_int(s, "seeds", 0) for s in np.atleast_1d(seeds)]
    lr_factor = check_positive(lr_factor, "lr_factor")
    if lr_factor >= 2:
        raise ValueError(f"lr_factor must be < 2 (stability of the linearized dynamics), got {lr_factor}")
    output_lr_scale = check_positive(output_lr_scale, "output_lr_scale")
    tol_residual = check_positive(tol_residual, "tol_residual")
    max_steps = _check_int(max_steps, "max_steps")
    check_every = _check_int(check_every, "check_every")
    M = X.shape[0]

    nets = []
    for n in widths:
        for s in seeds:
            P = init_asi_2d(n, init, sigma_w, sigma_b, a, seed=s)
            P = tuple(np.array(p, float) for p in P)
            lam = np.linalg.eigvalsh(_tangent_kernel(P, X, output_lr_scale))[-1]
            nets.append(dict(n=n, seed=s, P=P, lr=lr_factor * M / (2 * lam), nit=0, done=False))

    sizes = np.array([2 * net["n"] for net in nets])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    seg = np.repeat(np.arange(len(nets)), sizes)
    # Neurons along the last axis (inputs x neurons): the contiguous layout for the per-step products.
    Wt = np.concatenate([net["P"][0] for net in nets]).T.copy()
    b = np.concatenate([net["P"][1] for net in nets])
    v = np.concatenate([net["P"][2] for net in nets])
    c = np.array([float(net["P"][3]) for net in nets])
    lr = np.array([net["lr"] for net in nets])
    nit = np.zeros(len(nets), int)
    done = np.zeros(len(nets), bool)
    step = 0
    while step < max_steps and not done.all():
        for i in range(min(check_every, max_steps - step) + 1):
            Z = X @ Wt + b                                 # (M, neurons)
            phi = np.maximum(Z, 0.0)
            R = np.add.reduceat(phi * v, starts, axis=1) + (c - y[:, None])   # (M, networks)
            if i == 0 or step >= max_steps:
                newly = ~done & (np.max(np.abs(R), axis=0) < tol_residual)
                done |= newly
                nit[newly] = step
                lr = np.where(done, 0.0, lr)
                if done.all() or step >= max_steps:
                    break
            G = (2.0 / M) * R * lr                         # step-scaled dL/df per network
            Gn = G[:, seg]
            gz = (Z > 0) * Gn * v
            Wt = Wt - X.T @ gz
            b = b - gz.sum(0)
            v = v - output_lr_scale * np.einsum("mn,mn->n", phi, Gn)
            c = c - G.sum(0)
            step += 1
    nit[~done] = step
    params, losses = [], []
    for k in range(len(nets)):
        sl = slice(starts[k], starts[k] + sizes[k])
        P = (Wt[:, sl].T.copy(), b[sl].copy(), v[sl].copy(), np.asarray(c[k]))
        r = _forward(P, X) - y
        losses.append(float(np.mean(r * r)))
        params.append(P)
    ok = bool(done.all())
    return ASI2DRun(widths=np.array([net["n"] for net in nets]), seeds=np.array([net["seed"] for net in nets]),
                    params=params, x=params, fun=np.array(losses), nit=nit,
                    lr=np.array([net["lr"] for net in nets]), success=ok, status=0 if ok else 1,
                    message="all networks converged" if ok else "some network hit max_steps")


def grid_points(L=1.5, n=61):
    """An ``n x n`` grid on :math:`[-L, L]^2`: returns ``(g1, g2, T)`` with ``T`` of shape ``(n, n, 2)``.

    Examples
    --------
    >>> from ibtheory.theory.jin2023_2d import grid_points
    >>> grid_points(1.0, 3)[2].shape
    (3, 3, 2)
    """
    L = check_positive(L, "L")
    n = _check_int(n, "n", 2)
    g = np.linspace(-L, L, n)
    g1, g2 = np.meshgrid(g, g, indexing="xy")
    return g1, g2, np.stack([g1, g2], -1)


def width_sweep(widths, seeds, init="gaussian", sigma_w=1.0, sigma_b=1.0, a=2.5, X=X5, y=Y5, adjust=None,
                L=1.5, n_grid=61, **train_kw):
    r"""Train ASI networks of several widths and measure the sup-distance to the infinite-width kernel limit.

    The limit is :func:`kernel_interpolant_2d` with :func:`arccos_kernel`
    (``init="gaussian"``) or :func:`circle_kernel` (``init="circle"``); the sup
    is over an ``n_grid x n_grid`` grid on :math:`[-L,L]^2`. ``adjust`` is an
    optional callable :math:`L(x)` subtracted from the labels before training
    (the linear adjustment).

    Returns
    -------
    run : ASI2DRun
    errors : ndarray
        :math:`\sup_{\rm grid}|f_n - f_\infty|` per network.
    limit : KernelInterpolant2D

    Examples
    --------
    >>> from ibtheory.theory.jin2023_2d import width_sweep
    >>> run, err, lim = width_sweep([20, 80], [0])
    >>> bool(run.success) and err.shape == (2,)
    True
    """
    from functools import partial

    X, y = _data(X, y)
    if adjust is not None:
        y = y - adjust(X)
    if init == "gaussian":
        kern = partial(arccos_kernel, sigma_w=sigma_w, sigma_b=sigma_b)
    elif init == "circle":
        kern = partial(circle_kernel, a=a)
    else:
        raise ValueError(f"init must be one of {_INITS}, got {init!r}")
    limit = kernel_interpolant_2d(X, y, kern)
    T = grid_points(L, n_grid)[2].reshape(-1, 2)
    ref = limit(T)
    run = train_asi_2d(X, y, widths, seeds, init, sigma_w, sigma_b, a, **train_kw)
    errors = np.array([np.max(np.abs(run(k, T) - ref)) for k in range(len(run.params))])
    return run, errors, limit
