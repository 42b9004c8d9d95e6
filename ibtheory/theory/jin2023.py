r"""Jin & Montufar: wide one-input ReLU networks trained by gradient descent learn weighted splines.

The network (Jin & Montufar, eq. (1)) is
:math:`f(x,\theta) = \sum_i W^{(2)}_i[W^{(1)}_i x + b^{(1)}_i]_+ + b^{(2)}` with
:math:`W^{(1)}_i\sim\mathcal W`, :math:`b^{(1)}_i\sim\mathcal B`,
:math:`W^{(2)}_i\sim\mathcal W/\sqrt n`, made identically zero by the
anti-symmetric initialization (ASI). This module holds

* :class:`ZetaDerivation`: SymPy derivation of the curvature weight
  :math:`\zeta(x) = \int |W|^3 p_{\mathcal W,\mathcal B}(W,-Wx)\,dW
  = p_{\mathcal C}(x)\,\mathbb E[\mathcal W^2\mid\mathcal C = x]`;
* :func:`zeta_monte_carlo`: the breakpoint form estimated from samples;
* :func:`relu_kernel` and :func:`kernel_interpolant`: the infinite-width
  output-layer kernel :math:`k(x,x') = \mathbb E[\,[\mathcal Wx+\mathcal B]_+[\mathcal Wx'+\mathcal B]_+]`
  and its minimum-norm interpolant;
* :func:`predicted_limit`: the theorem's prediction (weighted spline and the
  linear adjustment :math:`ux+v`);
* :func:`train_asi`: full-batch gradient descent on many widths and seeds at once;
* :func:`linearized_gap`, :func:`linearized_gd` and :func:`fit_rate`;
* :func:`zeta_quadrature`: the definition of :math:`\zeta` by adaptive quadrature.

Used in the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
"""
from __future__ import annotations

import numbers
from functools import cached_property

import numpy as np
from scipy.optimize import OptimizeResult

from .._validation import as_real_array, check_positive

_DISTS = ("gaussian", "uniform", "binary_uniform")


def _check_dist(dist, w_scale, b_scale):
    if dist not in _DISTS:
        raise ValueError(f"dist must be one of {_DISTS}, got {dist!r}")
    return check_positive(w_scale, "w_scale"), check_positive(b_scale, "b_scale")


def _check_int(v, name, minimum=1):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral) or v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {v!r}")
    return int(v)


# ---------------------------------------------------------------------------- zeta
class ZetaDerivation:
    r"""SymPy derivation of the curvature weight :math:`\zeta` for the three initialization families.

    Two routes are derived for each family: the definition
    :math:`\zeta(x) = \int|W|^3 p_{\mathcal W,\mathcal B}(W,-Wx)\,dW`, and the
    breakpoint form :math:`p_{\mathcal C}(x)\,\mathbb E[\mathcal W^2\mid\mathcal C=x]` of the
    breakpoint :math:`\mathcal C = -\mathcal B/\mathcal W`, whose joint density with
    :math:`\mathcal W` is :math:`|w|\,p_{\mathcal W,\mathcal B}(w,-wc)` (Jacobian of
    :math:`b = -wc`).

    Attributes
    ----------
    x, sigma_w, sigma_b, a_w, a_b : sympy.Symbol
    gaussian : sympy.Expr
        :math:`\zeta` for :math:`\mathcal W\sim N(0,\sigma_w^2)`, :math:`\mathcal B\sim N(0,\sigma_b^2)`.
    gaussian_pC, gaussian_cond_w2 : sympy.Expr
        :math:`p_{\mathcal C}` (a Cauchy density) and :math:`\mathbb E[\mathcal W^2\mid\mathcal C=x]`.
    seed_gaussian : sympy.Expr
        The seed's formula :math:`2\sigma_w^3\sigma_b^3/(\pi(\sigma_b^2+x^2\sigma_w^2)^2)`.
    uniform_inside, uniform_outside : sympy.Expr
        :math:`\zeta` for :math:`\mathcal W\sim U(-a_w,a_w)`, :math:`\mathcal B\sim U(-a_b,a_b)` on
        :math:`|x|\le a_b/a_w` (a constant) and beyond.
    uniform_pC_inside, uniform_cond_w2_inside : sympy.Expr
    binary_uniform : sympy.Expr
        :math:`\zeta` for :math:`\mathcal W=\pm1`, :math:`\mathcal B\sim U(-a_b,a_b)` on :math:`|x|\le a_b`.

    Examples
    --------
    >>> import sympy as sp
    >>> from ibtheory.theory.jin2023 import ZetaDerivation
    >>> d = ZetaDerivation()
    >>> sp.simplify(d.gaussian - d.seed_gaussian)
    0
    >>> d.uniform_inside
    a_w**3/(8*a_b)
    """

    def __init__(self):
        import sympy as sp

        self._sp = sp
        self.x = sp.Symbol("x", real=True)
        self.w = sp.Symbol("w", positive=True)
        self.sigma_w, self.sigma_b, self.a_w, self.a_b = sp.symbols("sigma_w sigma_b a_w a_b", positive=True)

    def _gauss_pdf(self, w, b):
        sp = self._sp
        return (sp.exp(-w**2 / (2 * self.sigma_w**2)) / (sp.sqrt(2 * sp.pi) * self.sigma_w)
                * sp.exp(-b**2 / (2 * self.sigma_b**2)) / (sp.sqrt(2 * sp.pi) * self.sigma_b))

    def _even_integral(self, integrand, upper):
        # Every integrand here is even in w (the densities are symmetric): twice the w > 0 half.
        sp = self._sp
        return sp.simplify(2 * sp.integrate(integrand, (self.w, 0, upper)))

    @cached_property
    def gaussian(self):
        w, x = self.w, self.x
        return self._even_integral(w**3 * self._gauss_pdf(w, -w * x), self._sp.oo)

    @cached_property
    def gaussian_pC(self):
        w, x = self.w, self.x
        return self._even_integral(w * self._gauss_pdf(w, -w * x), self._sp.oo)

    @cached_property
    def gaussian_cond_w2(self):
        w, x = self.w, self.x
        num = self._even_integral(w**2 * w * self._gauss_pdf(w, -w * x), self._sp.oo)
        return self._sp.simplify(num / self.gaussian_pC)

    @cached_property
    def seed_gaussian(self):
        sw, sb, x = self.sigma_w, self.sigma_b, self.x
        return 2 * sw**3 * sb**3 / (self._sp.pi * (sb**2 + x**2 * sw**2) ** 2)

    # Uniform box |w| <= a_w, |b| <= a_b: density 1/(4 a_w a_b); b = -w x stays inside the box
    # for |w| <= min(a_w, a_b/|x|), so the w-integrals stop there.
    @cached_property
    def uniform_inside(self):
        return self._even_integral(self.w**3 / (4 * self.a_w * self.a_b), self.a_w)

    @cached_property
    def uniform_outside(self):
        return self._even_integral(self.w**3 / (4 * self.a_w * self.a_b), self.a_b / self._sp.Abs(self.x))

    @cached_property
    def uniform_pC_inside(self):
        return self._even_integral(self.w / (4 * self.a_w * self.a_b), self.a_w)

    @cached_property
    def uniform_cond_w2_inside(self):
        num = self._even_integral(self.w**3 / (4 * self.a_w * self.a_b), self.a_w)
        return self._sp.simplify(num / self.uniform_pC_inside)

    @cached_property
    def binary_uniform(self):
        sp = self._sp
        # W = +-1 with probability 1/2: the w-integral is a sum; B has density 1/(2 a_b) at -wx if |x| <= a_b.
        return sp.simplify(sum(sp.Rational(1, 2) * sp.Abs(s) ** 3 / (2 * self.a_b) for s in (-1, 1)))


def init_zeta(dist="uniform", w_scale=1.0, b_scale=2.0):
    r"""The :class:`ibtheory.solvers.Zeta` of an initialization family of :func:`ibtheory.models.relu_init`.

    ``w_scale``, ``b_scale`` are the standard deviations (``"gaussian"``) or the
    half-widths (``"uniform"``; ``"binary_uniform"`` has :math:`\mathcal W = \pm`
    ``w_scale``, so :math:`\zeta = w^3/(2a_b)` on :math:`|x|\le a_b/w`).

    Examples
    --------
    >>> from ibtheory.theory.jin2023 import init_zeta
    >>> float(init_zeta("uniform", 1.0, 2.0)(0.0))
    0.0625
    """
    w_scale, b_scale = _check_dist(dist, w_scale, b_scale)
    from ibtheory.solvers import zeta

    if dist == "gaussian":
        return zeta("gaussian", sigma_w=w_scale, sigma_b=b_scale)
    if dist == "uniform":
        return zeta("uniform", a_w=w_scale, a_b=b_scale)
    if w_scale != 1.0:
        raise ValueError("binary_uniform zeta is implemented for w_scale = 1 (W = +-1, as in the paper)")
    return zeta("binary_uniform", a_b=b_scale)


def _draw(dist, w_scale, b_scale, size, rng):
    if dist == "gaussian":
        return w_scale * rng.standard_normal(size), b_scale * rng.standard_normal(size)
    W = rng.uniform(-w_scale, w_scale, size) if dist == "uniform" else w_scale * rng.choice([-1.0, 1.0], size)
    return W, rng.uniform(-b_scale, b_scale, size)


def zeta_monte_carlo(edges, dist="uniform", w_scale=1.0, b_scale=2.0, n_samples=1_000_000, seed=0):
    r"""Breakpoint-form estimate :math:`\zeta \approx \mathbb E[\mathcal W^2\,1\{\mathcal C\in I_k\}]/|I_k|`.

    Samples :math:`(\mathcal W,\mathcal B)`, forms the breakpoints
    :math:`\mathcal C = -\mathcal B/\mathcal W`, and averages :math:`\mathcal W^2` over the
    bins ``I_k = [edges[k], edges[k+1])``: the bin average of
    :math:`p_{\mathcal C}(x)\mathbb E[\mathcal W^2\mid\mathcal C=x]`.

    Returns
    -------
    mean, stderr : ndarray, shape (len(edges) - 1,)

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.jin2023 import zeta_monte_carlo
    >>> m, s = zeta_monte_carlo(np.array([-1.0, 1.0]), "uniform", 1.0, 2.0, n_samples=200_000)
    >>> bool(abs(m[0] - 1 / 16) < 5 * s[0])
    True
    """
    w_scale, b_scale = _check_dist(dist, w_scale, b_scale)
    edges = as_real_array(edges, "edges")
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("edges must be an increasing 1-D array of at least 2 bin edges")
    n_samples = _check_int(n_samples, "n_samples", 2)
    W, B = _draw(dist, w_scale, b_scale, n_samples, np.random.default_rng(seed))
    C = -B / W
    k = np.searchsorted(edges, C, side="right") - 1
    ok = (k >= 0) & (k < edges.size - 1)
    s1 = np.bincount(k[ok], W[ok] ** 2, minlength=edges.size - 1)
    s2 = np.bincount(k[ok], W[ok] ** 4, minlength=edges.size - 1)
    width = np.diff(edges)
    mean = s1 / n_samples / width
    var = (s2 / n_samples - (s1 / n_samples) ** 2) / (n_samples - 1)
    return mean, np.sqrt(np.maximum(var, 0.0)) / width


def zeta_quadrature(x, dist="uniform", w_scale=1.0, b_scale=2.0):
    r"""The definition :math:`\zeta(x) = \int|W|^3 p_{\mathcal W,\mathcal B}(W,-Wx)\,dW` by adaptive quadrature.

    A route independent of :func:`init_zeta` (no closed form): the joint density
    is written out and integrated with :func:`scipy.integrate.quad`, split at
    :math:`W = 0` and, for the uniform box, at the kinks :math:`|W| = a_b/|x|`
    so that every piece is smooth. The binary-uniform law is a sum over
    :math:`W = \pm w`.

    Examples
    --------
    >>> from ibtheory.theory.jin2023 import zeta_quadrature
    >>> round(float(zeta_quadrature([0.5], "uniform", 1.0, 2.0)[0]), 12)  # a_w^3 / (8 a_b)
    0.0625
    """
    from scipy.integrate import quad

    w_scale, b_scale = _check_dist(dist, w_scale, b_scale)
    xs = as_real_array(x, "x").ravel()
    out = np.empty(xs.size)
    for i, xv in enumerate(xs):
        if dist == "binary_uniform":
            # W = +-w with probability 1/2 each, B ~ U(-a_b, a_b): |w|^3 p_B(-w x) / 2 per sign.
            out[i] = sum(0.5 * w_scale**3 * float(abs(s * w_scale * xv) <= b_scale) / (2 * b_scale)
                         for s in (-1.0, 1.0))
            continue
        if dist == "gaussian":
            def f(w, xv=xv):
                return abs(w) ** 3 * np.exp(-w**2 / (2 * w_scale**2) - (w * xv) ** 2 / (2 * b_scale**2)) / (
                    2 * np.pi * w_scale * b_scale)
            lo, hi, pts = -np.inf, np.inf, [0.0]
        else:
            def f(w, xv=xv):
                return abs(w) ** 3 * float(abs(w * xv) <= b_scale) / (4 * w_scale * b_scale)
            lo, hi = -w_scale, w_scale
            pts = [0.0] + ([s * b_scale / abs(xv) for s in (-1, 1)] if xv else [])
        pts = sorted(p for p in set(pts) if lo < p < hi)
        edges = [lo] + pts + [hi]
        out[i] = sum(quad(f, a, b, epsabs=0.0, epsrel=1e-12, limit=200)[0] for a, b in zip(edges[:-1], edges[1:]))
    return out


# -------------------------------------------------------------- infinite width
_GL4_X, _GL4_W = np.polynomial.legendre.leggauss(4)


def _ramp_b_integral(p, q, lo, hi):
    """int_lo^hi (p + b)(q + b) db, elementwise (zero where lo >= hi)."""
    F = lambda b: b**3 / 3 + (p + q) * b**2 / 2 + p * q * b  # noqa: E731
    return np.where(hi > lo, F(hi) - F(np.minimum(lo, hi)), 0.0)


def _fixed_w(w, x1, x2, a_b):
    """E_B[[w x1 + B]_+ [w x2 + B]_+] for B ~ U(-a_b, a_b), exactly."""
    lo = np.maximum(-a_b, np.maximum(-w * x1, -w * x2))
    return _ramp_b_integral(w * x1, w * x2, lo, a_b) / (2 * a_b)


def relu_kernel(x1, x2, dist="uniform", w_scale=1.0, b_scale=2.0):
    r"""Infinite-width output-layer kernel :math:`k(x,x') = \mathbb E[\,[\mathcal Wx+\mathcal B]_+[\mathcal Wx'+\mathcal B]_+]`.

    For Gaussian :math:`(\mathcal W,\mathcal B)` the pair :math:`(\mathcal Wx+\mathcal B,\mathcal Wx'+\mathcal B)`
    is centred Gaussian and

    .. math::

        k(x,x') = \frac{s\,s'}{2\pi}\big(\sin\phi + (\pi-\phi)\cos\phi\big),\qquad
        s^2 = \sigma_w^2x^2+\sigma_b^2,\ \cos\phi = \frac{\sigma_w^2xx'+\sigma_b^2}{ss'}

    (the degree-1 arc-cosine kernel). For uniform and binary :math:`\mathcal W` the
    integral over :math:`\mathcal B` is done exactly (a cubic polynomial in
    :math:`w` between the kinks :math:`w\in\{0,\pm a_b/x,\pm a_b/x'\}`), then over
    :math:`\mathcal W` by 4-point Gauss-Legendre per panel, exact for cubics.

    Parameters
    ----------
    x1, x2 : array_like
        Broadcastable inputs (scalars of the one-dimensional input space).

    Returns
    -------
    ndarray
        The kernel on the broadcast shape.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.jin2023 import relu_kernel
    >>> float(relu_kernel(0.0, 0.0, "uniform", 1.0, 2.0))  # E[B_+^2] = a_b^2/6
    0.6666666666666666
    >>> bool(np.isclose(relu_kernel(0.0, 0.0, "gaussian", 1.0, 1.0), 0.5))
    True
    """
    w_scale, b_scale = _check_dist(dist, w_scale, b_scale)
    x1, x2 = np.broadcast_arrays(as_real_array(x1, "x1"), as_real_array(x2, "x2"))
    if dist == "gaussian":
        s1 = np.sqrt(w_scale**2 * x1**2 + b_scale**2)
        s2 = np.sqrt(w_scale**2 * x2**2 + b_scale**2)
        cos = np.clip((w_scale**2 * x1 * x2 + b_scale**2) / (s1 * s2), -1.0, 1.0)
        phi = np.arccos(cos)
        return s1 * s2 / (2 * np.pi) * (np.sin(phi) + (np.pi - phi) * cos)
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
        w = lo + half * (xg + 1.0)
        out = out + np.sum(wg * half * _fixed_w(w, x1[None], x2[None], a_b), axis=0)
    return out / (2 * a_w)


class KernelInterpolant:
    """Minimum-norm interpolant :math:`k(\\cdot,X)k(X,X)^{-1}y` of :func:`kernel_interpolant`; callable."""

    def __init__(self, x, coef, kernel_args):
        self.knots, self.coef, self._args = x, coef, kernel_args

    def __call__(self, t):
        t = as_real_array(t, "t")
        return relu_kernel(t[..., None], self.knots, *self._args) @ self.coef


def kernel_interpolant(x, y, dist="uniform", w_scale=1.0, b_scale=2.0):
    r"""The infinite-width limit of training the output layer: kernel interpolation with :func:`relu_kernel`.

    It is the minimizer of :math:`\int\alpha^2\,d\mu` subject to
    :math:`\int\alpha(W,b)[Wx_j+b]_+\,d\mu = y_j` (Jin & Montufar, problem (18)).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.jin2023 import kernel_interpolant
    >>> g = kernel_interpolant([-1.0, 0.0, 1.0], [1.0, 0.0, 1.0])
    >>> bool(np.allclose(g(np.array([-1.0, 0.0, 1.0])), [1.0, 0.0, 1.0], atol=1e-12))
    True
    """
    x, y = as_real_array(x, "x"), as_real_array(y, "y")
    if x.ndim != 1 or y.shape != x.shape:
        raise ValueError("x and y must be 1-D arrays of the same length")
    args = (dist, w_scale, b_scale)
    K = relu_kernel(x[:, None], x[None, :], *args)
    coef = np.linalg.solve(K, y)
    return KernelInterpolant(x, coef, args)


def linear_adjustment(spline):
    r"""The linear part :math:`\bar u x+\bar v` that the network does not pay for (symmetric inits).

    For :math:`(\mathcal W,\mathcal B)\overset{d}{=}(-\mathcal W,-\mathcal B)` the cheapest
    representation of a curvature :math:`g''` by ReLU features is
    :math:`h(x) = \tfrac12\int g''(c)|x-c|\,dc`, and
    :math:`g - h = \bar u x + \bar v` with, for a spline linear outside
    :math:`[x_1,x_M]` with end slopes :math:`s_L, s_R`,

    .. math::

        \bar u = \tfrac12(s_L+s_R),\qquad \bar v = \tfrac12(y_1+y_M - s_Rx_M - s_Lx_1).

    Examples
    --------
    >>> from ibtheory.solvers import weighted_spline
    >>> from ibtheory.theory.jin2023 import linear_adjustment
    >>> linear_adjustment(weighted_spline([0.0, 1.0, 2.0], [0.0, 1.0, 2.0], "constant"))
    (1.0, 0.0)
    """
    k, yk = spline.knots, spline.knot_values
    sL, sR = spline.u, spline.slope_right
    return float(0.5 * (sL + sR)), float(0.5 * (yk[0] + yk[-1] - sR * k[-1] - sL * k[0]))


def predicted_limit(x, y, dist="uniform", w_scale=1.0, b_scale=2.0):
    r"""The theorem's prediction for a wide ASI network trained on the adjusted data.

    Returns ``(spline, u, v)``: the weighted spline :math:`g^*` of
    :math:`\min\int g''^2/\zeta` s.t. :math:`g(x_i)=y_i` and the adjustment of
    :func:`linear_adjustment`; training on :math:`y_i-\bar ux_i-\bar v` converges,
    as the width grows, to :math:`g^*(x)-\bar ux-\bar v`.

    Examples
    --------
    >>> from ibtheory.theory.jin2023 import predicted_limit
    >>> g, u, v = predicted_limit([-2., -1, 0, 1, 2], [1.5, .5, 1.5, .5, 1.5])
    >>> round(u, 12)
    0.0
    """
    from ibtheory.solvers import weighted_spline

    spline = weighted_spline(x, y, init_zeta(dist, w_scale, b_scale))
    u, v = linear_adjustment(spline)
    return spline, u, v


# ------------------------------------------------------------ gradient descent
def _features(W, b, x):
    Z = W[:, None] * x[None, :] + b[:, None]
    return Z, np.maximum(Z, 0.0)


def asi_jacobian(params, x, output_lr_scale=0.5):
    r"""Rows :math:`\nabla_\theta f(x_j)` of a one-input ASI network, scaled by the square root of the step sizes.

    Columns are ``(W1, b1, W2, b2)``; the output-layer columns carry the factor
    ``sqrt(output_lr_scale)`` so that ``J @ J.T`` is the tangent kernel of the
    dynamics run by :func:`train_asi` (see there).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import TwoLayerReLU, relu_init
    >>> from ibtheory.theory.jin2023 import asi_jacobian
    >>> J = asi_jacobian(relu_init(TwoLayerReLU(1, 4), "uniform", 1.0, 2.0), np.array([0.0, 1.0]))
    >>> J.shape
    (2, 13)
    """
    W, b, a, c = params
    W = np.asarray(W, float).reshape(-1)
    b, a = np.asarray(b, float), np.asarray(a, float)
    x = as_real_array(x, "x")
    Z, phi = _features(W, b, x)
    H = (Z > 0).astype(float)
    return np.concatenate([(a[:, None] * H * x[None, :]).T, (a[:, None] * H).T,
                           np.sqrt(output_lr_scale) * phi.T, np.ones((x.size, 1))], axis=1)


class ASIRun(OptimizeResult):
    """Result of :func:`train_asi`: one entry per (width, seed) network.

    Attributes
    ----------
    widths, seeds : ndarray
        Base width n (the network has 2n ReLUs) and seed of each network.
    params : list of tuple
        Final ``(W1, b1, W2, b2)`` in the layout of :class:`ibtheory.models.TwoLayerReLU`.
    fun : ndarray
        Final mean squared error on the training data.
    nit : ndarray
        Gradient-descent steps until the stopping rule.
    lr : ndarray
        Step size of each network.
    polish_shift : ndarray
        Sup over the evaluation grid of the change made by the Gauss-Newton tail (0 if none).
    gd_loss : ndarray
        Mean squared error when gradient descent stopped (before the Gauss-Newton tail).
    success : bool
        Every network met the stopping rule within ``max_steps`` and ended with
        a training residual below ``1e-8`` (after the polish, if any).
    """

    def __call__(self, k, t):
        """Output of network ``k`` at inputs ``t``."""
        W, b, a, c = self.params[k]
        return _features(W[:, 0], b, as_real_array(t, "t"))[1].T @ a + c


def train_asi(x, y, widths, seeds, dist="uniform", w_scale=1.0, b_scale=2.0, *, lr_factor=1.0,
              output_lr_scale=0.5, tol_change=1e-9, max_steps=200_000, check_every=50, train="all",
              polish=True):
    r"""Full-batch gradient descent on one-input ASI ReLU networks of several widths and seeds at once.

    Each network (base width :math:`n`, :math:`2n` ReLUs) is initialized by
    :func:`ibtheory.models.relu_init` with ``asi=True`` and trained on the
    mean squared error :math:`\frac1M\sum_j(f(x_j)-y_j)^2` by

    .. math::

        \theta_{t+1} = \theta_t - \eta\,D\,\nabla\mathcal L(\theta_t),

    where :math:`D` is 1 on the hidden layer and the output bias and
    ``output_lr_scale`` on the output weights: 1/2 is gradient descent in the
    parameters of the paper's ASI (the output weights there are
    :math:`\pm\frac{\sqrt2}{2}V_i` with :math:`V_i` trained), 1 is plain
    gradient descent in :class:`ibtheory.models.TwoLayerReLU`'s parameters.
    All networks advance in one vectorized step (their neurons are
    concatenated); the step size of each is ``lr_factor`` times
    :math:`M/(2\lambda_{\max})` with :math:`\lambda_{\max}` the largest eigenvalue
    of its tangent kernel :math:`JDJ^\top` at initialization, so the stiffest
    mode of the linearized dynamics contracts by :math:`1-` ``lr_factor``.
    A network stops when its loss changes by less than ``tol_change`` in one
    step (the authors' rule) or after ``max_steps``.

    With ``polish=True`` the remaining residual :math:`r` is removed by
    Gauss-Newton steps :math:`\theta\leftarrow\theta - DJ^\top(JDJ^\top)^{-1}r`, the
    limit of gradient descent on the network linearized at the stopping point;
    the change of the output it causes is reported as ``polish_shift``.

    Parameters
    ----------
    x, y : array_like, shape (M,)
        Training inputs (scalars) and targets.
    widths : sequence of int
        Base widths n.
    seeds : sequence of int
        Seeds passed to ``relu_init`` (one network per width and seed).
    dist, w_scale, b_scale :
        Initialization family of :func:`ibtheory.models.relu_init`.
    train : {"all", "output"}
        ``"output"`` freezes the hidden layer.

    Returns
    -------
    ASIRun

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.jin2023 import train_asi
    >>> run = train_asi([-1.0, 0.0, 1.0], [1.0, 0.0, 1.0], [50], [0])
    >>> bool(run.success), bool(np.max(np.abs(run(0, [-1.0, 0.0, 1.0]) - [1, 0, 1])) < 1e-8)
    (True, True)
    """
    from ibtheory.models import TwoLayerReLU, relu_init

    x, y = as_real_array(x, "x"), as_real_array(y, "y")
    if x.ndim != 1 or y.shape != x.shape or x.size < 1:
        raise ValueError("x and y must be 1-D arrays of the same positive length")
    widths = [_check_int(n, "widths") for n in np.atleast_1d(widths)]
    seeds = [_check_int(s, "seeds", 0) for s in np.atleast_1d(seeds)]
    lr_factor = check_positive(lr_factor, "lr_factor")
    if lr_factor >= 2:
        raise ValueError(f"lr_factor must be < 2 (stability of the linearized dynamics), got {lr_factor}")
    output_lr_scale = check_positive(output_lr_scale, "output_lr_scale")
    tol_change = check_positive(tol_change, "tol_change")
    max_steps = _check_int(max_steps, "max_steps")
    check_every = _check_int(check_every, "check_every")
    if train not in ("all", "output"):
        raise ValueError(f"train must be 'all' or 'output', got {train!r}")
    M = x.size
    hid = 1.0 if train == "all" else 0.0

    nets = []  # per network: dict of arrays
    for n in widths:
        for s in seeds:
            W, b, a, c = relu_init(TwoLayerReLU(1, 2 * n), dist=dist, w_scale=w_scale, b_scale=b_scale,
                                   asi=True, seed=s)
            P = (W[:, 0].copy(), b.copy(), a.copy(), float(c))
            J = asi_jacobian(P, x, output_lr_scale)
            J[:, :4 * n] *= hid
            lam = np.linalg.eigvalsh(J @ J.T)[-1]
            nets.append(dict(n=n, seed=s, P=P, lr=lr_factor * M / (2 * lam), nit=0, loss=np.nan, done=False))

    active = list(range(len(nets)))
    step = 0
    while active and step < max_steps:
        # Concatenate the active networks' neurons; segment k owns neurons starts[k]:starts[k+1].
        sizes = np.array([2 * nets[k]["n"] for k in active])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        seg = np.repeat(np.arange(len(active)), sizes)
        W = np.concatenate([nets[k]["P"][0] for k in active])
        b = np.concatenate([nets[k]["P"][1] for k in active])
        a = np.concatenate([nets[k]["P"][2] for k in active])
        c = np.array([nets[k]["P"][3] for k in active])
        lr = np.array([nets[k]["lr"] for k in active])
        lr_n = lr[seg]
        prev = np.full(len(active), np.inf)
        finished = np.zeros(len(active), bool)
        for _ in range(check_every):
            Z = W[:, None] * x[None, :] + b[:, None]
            phi = np.maximum(Z, 0.0)
            F = np.add.reduceat(a[:, None] * phi, starts, axis=0) + c[:, None]
            R = F - y[None, :]
            loss = np.mean(R * R, axis=1)
            G = (2.0 / M) * R
            Gn = G[seg]
            gz = (a[:, None] * (Z > 0)) * Gn
            W = W - (hid * lr_n) * (gz @ x)
            b = b - (hid * lr_n) * gz.sum(1)
            a = a - (output_lr_scale * lr_n) * np.sum(phi * Gn, axis=1)
            c = c - lr * G.sum(1)
            step += 1
            # Stop a network at the step where its loss changes by less than tol_change.
            newly = ~finished & (np.abs(prev - loss) < tol_change)
            finished |= newly
            lr = np.where(finished, 0.0, lr)
            lr_n = lr[seg]
            prev = np.where(finished, prev, loss)
            for i in np.flatnonzero(newly):
                nets[active[i]]["nit"] = step
            if finished.all() or step >= max_steps:
                break
        for i, k in enumerate(active):
            sl = slice(starts[i], starts[i] + sizes[i])
            nets[k]["P"] = (W[sl].copy(), b[sl].copy(), a[sl].copy(), float(c[i]))
            if finished[i]:
                nets[k]["done"] = True
            else:
                nets[k]["nit"] = step
        active = [k for k in active if not nets[k]["done"]]

    grid = np.linspace(x.min(), x.max(), 401)
    shifts, losses, params, gd_losses = [], [], [], []
    for net in nets:
        W, b, a, c = net["P"]
        r0 = _features(W, b, x)[1].T @ a + c - y
        gd_losses.append(float(np.mean(r0 * r0)))  # loss at the stopping rule, before the polish
        shift = 0.0
        if polish:
            before = _features(W, b, grid)[1].T @ a + c
            for _ in range(5):
                r = _features(W, b, x)[1].T @ a + c - y
                if np.max(np.abs(r)) < 1e-13:
                    break
                J = asi_jacobian((W, b, a, c), x, output_lr_scale)
                J[:, :2 * W.size] *= hid
                delta = np.linalg.lstsq(J, r, rcond=None)[0]  # J^+ r: rank-safe at small widths
                n2 = W.size
                W = W - hid * delta[:n2]
                b = b - hid * delta[n2:2 * n2]
                a = a - np.sqrt(output_lr_scale) * delta[2 * n2:3 * n2]
                c = c - delta[-1]
            shift = float(np.max(np.abs(_features(W, b, grid)[1].T @ a + c - before)))
        r = _features(W, b, x)[1].T @ a + c - y
        losses.append(float(np.mean(r * r)))
        shifts.append(shift)
        params.append((W[:, None], b, a, np.asarray(c)))
    ok = all(net["done"] for net in nets) and max(losses) < 1e-16
    return ASIRun(
        widths=np.array([net["n"] for net in nets]), seeds=np.array([net["seed"] for net in nets]),
        params=params, x=params, fun=np.array(losses), nit=np.array([net["nit"] for net in nets]),
        lr=np.array([net["lr"] for net in nets]), polish_shift=np.array(shifts), gd_loss=np.array(gd_losses),
        success=bool(ok),
        status=0 if ok else 1,
        message="all networks converged" if ok else "some network hit max_steps or kept a residual",
    )


def fit_rate(widths, errors, n_min=1, level=0.95):
    r"""Least-squares slope of :math:`\log(\text{error})` against :math:`\log n` with a t-interval.

    Returns
    -------
    slope, (lo, hi), intercept

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.jin2023 import fit_rate
    >>> n = np.array([10, 20, 40, 80.]); s, ci, c = fit_rate(n, 3 * n**-0.5)
    >>> round(s, 12)
    -0.5
    """
    from scipy import stats

    n, e = as_real_array(widths, "widths"), as_real_array(errors, "errors")
    keep = n >= n_min
    lx, ly = np.log(n[keep]), np.log(e[keep])
    if lx.size < 3:
        raise ValueError("fit_rate needs at least 3 points with width >= n_min")
    A = np.stack([lx, np.ones_like(lx)], 1)
    coef, *_ = np.linalg.lstsq(A, ly, rcond=None)
    res = ly - A @ coef
    s2 = res @ res / (lx.size - 2)
    se = np.sqrt(s2 / np.sum((lx - lx.mean()) ** 2))
    q = stats.t.ppf(0.5 + level / 2, lx.size - 2)
    return float(coef[0]), (float(coef[0] - q * se), float(coef[0] + q * se)), float(coef[1])


def linearized_gap(params, x, y, t_eval, lr_factor=1.0, n_times=200, output_lr_scale=0.5):
    r"""Sup over time and inputs of :math:`|f^{\rm lin}(x,\tilde\omega_t) - f^{\rm lin}(x,\omega_t)|`.

    Gradient descent on the mean squared error of the network linearized at an
    ASI initialization (:math:`f^{\rm lin}(\cdot,\theta_0)\equiv0`), training all
    parameters (:math:`\omega_t`) or only the output layer
    (:math:`\tilde\omega_t`) with the same step :math:`\eta`. With tangent kernel
    :math:`\Theta = JDJ^\top` the residual on the data is
    :math:`r_t = -(I-\tfrac{2\eta}M\Theta)^t y` and

    .. math::

        f^{\rm lin}_t(x) = \Theta(x,X)\,\Theta^{-1}(y + r_t),

    evaluated by an eigendecomposition of :math:`\Theta` at ``n_times``
    log-spaced steps up to convergence (:math:`10^{-12}` of the slowest mode).

    Returns
    -------
    gap : float
    f_all, f_out : ndarray
        The limits (t = infinity) of both runs on ``t_eval``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import TwoLayerReLU, relu_init
    >>> from ibtheory.theory.jin2023 import linearized_gap
    >>> P = relu_init(TwoLayerReLU(1, 200), "uniform", 1.0, 2.0, seed=0)
    >>> gap, fa, fo = linearized_gap(P, [-1.0, 0.0, 1.0], [1.0, 0.0, 1.0], np.linspace(-1, 1, 5))
    >>> bool(gap < 0.05)
    True
    """
    x, y, t_eval = as_real_array(x, "x"), as_real_array(y, "y"), as_real_array(t_eval, "t_eval")
    M = x.size
    Ja = asi_jacobian(params, x, output_lr_scale)
    Ga = asi_jacobian(params, t_eval, output_lr_scale)
    h = 2 * np.asarray(params[0]).shape[0]  # W1 and b1 columns
    Jo, Go = Ja.copy(), Ga.copy()
    Jo[:, :h] = 0.0
    Go[:, :h] = 0.0
    Ka, Ko = Ja @ Ja.T, Jo @ Jo.T
    eta = lr_factor * M / (2 * np.linalg.eigvalsh(Ka)[-1])
    lam_min = min(np.linalg.eigvalsh(Ka)[0], np.linalg.eigvalsh(Ko)[0]) * 2 * eta / M
    T = np.log(1e-12) / np.log1p(-lam_min)
    steps = np.unique(np.round(np.concatenate([[0], np.geomspace(1, T, n_times)])))

    def path(K, Kx):
        lam, U = np.linalg.eigh(K)
        cy = U.T @ y
        # f_t(x) = Kx K^{-1} (I - A^t) y, A = I - (2 eta/M) K, in K's eigenbasis.
        decay = (1 - 2 * eta / M * lam)[None, :] ** steps[:, None]
        return ((Kx @ U) / lam) @ ((1 - decay) * cy).T, ((Kx @ U) / lam) @ cy

    Pa, fa = path(Ka, Ga @ Ja.T)
    Po, fo = path(Ko, Go @ Jo.T)
    return float(np.max(np.abs(Pa - Po))), fa, fo


def linearized_gd(J, y, theta0, lr_factor=1.0, contraction=1e-15):
    r"""Gradient descent on the mean squared error of a linear model :math:`f(\omega) = J(\omega-\theta_0)`.

    .. math::

        \omega_{t+1} = \omega_t - \eta\,\tfrac2M J^\top\big(J(\omega_t-\theta_0) - y\big),
        \qquad \eta = \texttt{lr\_factor}\cdot\frac{M}{2\lambda_{\max}(JJ^\top)},

    from :math:`\omega_0 = \theta_0`, for as many steps as it takes the slowest mode of
    :math:`I - \eta\frac2M JJ^\top` to contract by ``contraction``. It never
    forms a pseudo-inverse, so comparing its end point with
    :func:`ibtheory.solvers.min_distance_interpolator` tests the implicit bias
    of gradient descent on the linearized network (the chapter's section *The
    linearized model*).

    Returns
    -------
    OptimizeResult
        ``x`` (the end point), ``nit``, ``fun`` (final mean squared error), ``cond``
        (condition number of :math:`JJ^\top`).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.jin2023 import linearized_gd
    >>> r = linearized_gd(np.array([[1.0, 1.0]]), np.array([2.0]), np.zeros(2))
    >>> np.round(r.x, 12)  # the closest interpolant to 0 of w1 + w2 = 2
    array([1., 1.])
    """
    J = as_real_array(J, "J")
    y = as_real_array(y, "y").ravel()
    theta0 = as_real_array(theta0, "theta0").ravel()
    if J.ndim != 2 or J.shape != (y.size, theta0.size):
        raise ValueError(f"J must have shape (len(y), len(theta0)) = ({y.size}, {theta0.size}), got {J.shape}")
    lr_factor = check_positive(lr_factor, "lr_factor")
    if lr_factor >= 2:
        raise ValueError(f"lr_factor must be < 2 (stability), got {lr_factor}")
    contraction = check_positive(contraction, "contraction")
    M = y.size
    lam = np.linalg.eigvalsh(J @ J.T)
    if lam[0] <= lam[-1] * 1e-14:
        raise ValueError("J must have full row rank (the linear model must be able to interpolate)")
    eta = lr_factor * M / (2 * lam[-1])
    # Slowest contraction factor over the spectrum (the ends of [lam_min, lam_max] bound it).
    rho = max(abs(1 - 2 * eta / M * lam[0]), abs(1 - lr_factor))
    n_steps = 1 if rho == 0 else max(1, int(np.ceil(np.log(contraction) / np.log(rho))))
    w = theta0.copy()
    for _ in range(n_steps):
        w -= eta * (2 / M) * J.T @ (J @ (w - theta0) - y)
    r = J @ (w - theta0) - y
    return OptimizeResult(x=w, nit=n_steps, fun=float(np.mean(r * r)), cond=float(lam[-1] / lam[0]),
                          success=True, status=0, message="contracted the slowest mode")
