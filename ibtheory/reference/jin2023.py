r"""Independent second routes for Jin & Montufar (one input) and its two-input extension.

Everything here is *independent of the function it checks*: it imports nothing from
:mod:`ibtheory.solvers` (``zeta``, ``relu_kernel``, ``arccos_kernel``, ``circle_kernel``,
``polyharmonic_spline``) or :mod:`ibtheory.papers.jin2023`, and uses other algorithms:
adaptive quadrature of the defining integrals, Monte Carlo over the initialization, a
midpoint rule over the circle, and SciPy's ``RBFInterpolator``.

* :func:`zeta_quadrature`: :math:`\zeta(x)=\int|W|^3p_{\mathcal W,\mathcal B}(W,-Wx)\,dW` by ``quad``;
* :func:`zeta_monte_carlo`: the breakpoint form :math:`p_{\mathcal C}(x)\mathbb E[\mathcal W^2\mid\mathcal C=x]`
  as bin averages of :math:`\mathcal W^2 1\{\mathcal C\in I\}/|I|` over samples;
* :func:`relu_kernel_quad`: :math:`\mathbb E[[\mathcal Wx+\mathcal B]_+[\mathcal Wx'+\mathcal B]_+]` by
  ``dblquad`` (uniform), ``quad`` per sign (binary) or Gaussian conditioning (Gaussian);
* :func:`arccos_kernel_quad`, :func:`circle_kernel_quad`: the two-input kernels;
* :func:`rbf_spline`: polyharmonic splines by :class:`scipy.interpolate.RBFInterpolator`.

See the book chapters *Wide ReLU networks learn weighted splines* (``book/jin2023.md``) and
*Extension: wide ReLU networks on 2-D inputs* (``book/jin2023_2d.md``).
"""
from __future__ import annotations

import numpy as np

from .._validation import as_real_array, check_int, check_positive

__all__ = ["zeta_quadrature", "zeta_monte_carlo", "relu_kernel_quad", "arccos_kernel_quad",
           "circle_kernel_quad", "rbf_spline"]

_DISTS = ("gaussian", "uniform", "binary_uniform")


def _check_dist(dist, w_scale, b_scale, allowed=_DISTS):
    if dist not in allowed:
        raise ValueError(f"dist must be one of {allowed}, got {dist!r}")
    return check_positive(w_scale, "w_scale"), check_positive(b_scale, "b_scale")


def zeta_quadrature(x, dist="uniform", w_scale=1.0, b_scale=2.0):
    r"""The definition :math:`\zeta(x)=\int|W|^3p_{\mathcal W,\mathcal B}(W,-Wx)\,dW` by adaptive quadrature.

    The joint density of independent :math:`N(0,\sigma_w^2)\times N(0,\sigma_b^2)`
    (``"gaussian"``) or :math:`U(-a_w,a_w)\times U(-a_b,a_b)` (``"uniform"``) is written out and
    integrated with :func:`scipy.integrate.quad` (relative tolerance :math:`10^{-12}`), split at
    :math:`W=0` and at the kinks :math:`|W|=a_b/|x|` of the uniform box. (The binary law has
    no density in :math:`W`; it is checked by :func:`zeta_monte_carlo` and SymPy instead.)

    Examples
    --------
    >>> from ibtheory.reference.jin2023 import zeta_quadrature
    >>> round(float(zeta_quadrature([0.5], "uniform", 1.0, 2.0)[0]), 12)  # a_w^3 / (8 a_b)
    0.0625
    """
    from scipy.integrate import quad

    w_scale, b_scale = _check_dist(dist, w_scale, b_scale, ("gaussian", "uniform"))
    xs = as_real_array(x, "x").ravel()
    out = np.empty(xs.size)
    for i, xv in enumerate(xs):
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


def _draw(dist, w_scale, b_scale, size, rng):
    if dist == "gaussian":
        return w_scale * rng.standard_normal(size), b_scale * rng.standard_normal(size)
    W = rng.uniform(-w_scale, w_scale, size) if dist == "uniform" else w_scale * rng.choice([-1.0, 1.0], size)
    return W, rng.uniform(-b_scale, b_scale, size)


def zeta_monte_carlo(edges, dist="uniform", w_scale=1.0, b_scale=2.0, n_samples=400_000, seed=0):
    r"""Bin averages :math:`\mathbb E[\mathcal W^2\,1\{\mathcal C\in I_k\}]/|I_k|` of the breakpoint form of :math:`\zeta`.

    Samples :math:`(\mathcal W,\mathcal B)` from ``numpy.random.default_rng(SeedSequence(seed))``,
    forms :math:`\mathcal C=-\mathcal B/\mathcal W` and averages :math:`\mathcal W^2` over the bins
    ``[edges[k], edges[k+1])``.

    Returns
    -------
    mean, stderr : ndarray, shape (len(edges) - 1,)

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.reference.jin2023 import zeta_monte_carlo
    >>> m, s = zeta_monte_carlo(np.array([-1.0, 1.0]), "uniform", 1.0, 2.0, n_samples=200_000)
    >>> bool(abs(m[0] - 1 / 16) < 5 * s[0])
    True
    """
    w_scale, b_scale = _check_dist(dist, w_scale, b_scale)
    edges = as_real_array(edges, "edges")
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("edges must be an increasing 1-D array of at least 2 bin edges")
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    seed = check_int(seed, "seed", minimum=0)
    W, B = _draw(dist, w_scale, b_scale, n_samples, np.random.default_rng(np.random.SeedSequence(seed)))
    C = -B / W
    k = np.searchsorted(edges, C, side="right") - 1
    ok = (k >= 0) & (k < edges.size - 1)
    s1 = np.bincount(k[ok], W[ok] ** 2, minlength=edges.size - 1)
    s2 = np.bincount(k[ok], W[ok] ** 4, minlength=edges.size - 1)
    width = np.diff(edges)
    var = (s2 / n_samples - (s1 / n_samples) ** 2) / (n_samples - 1)
    return s1 / n_samples / width, np.sqrt(np.maximum(var, 0.0)) / width


def _gauss_pair(s2, t2, rho):
    """E[U_+ V_+] for centred Gaussians with variances s2, t2 and covariance rho, by quad after conditioning."""
    from scipy import integrate, stats

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


def arccos_kernel_quad(x1, x2, sigma_w=1.0, sigma_b=1.0):
    r""":math:`\mathbb E[[w^\top x+b]_+[w^\top x'+b]_+]` for Gaussian parameters by one-dimensional quadrature.

    With :math:`U=w^\top x+b`, :math:`V=w^\top x'+b` jointly Gaussian,
    :math:`V\mid U=u\sim N(\rho u/s^2,\tau^2)` and
    :math:`\mathbb E[V_+\mid U=u]=\mu\Phi(\mu/\tau)+\tau\varphi(\mu/\tau)`, so
    :math:`k=\int_0^\infty u\,\varphi_s(u)\,\mathbb E[V_+\mid U=u]\,du` (``quad``, epsrel :math:`10^{-13}`).

    Parameters
    ----------
    x1, x2 : array_like, shape (d,)
        Two single points.

    Examples
    --------
    >>> from ibtheory.reference.jin2023 import arccos_kernel_quad
    >>> round(arccos_kernel_quad([0.0, 0.0], [0.0, 0.0]), 12)
    0.5
    """
    sigma_w, sigma_b = check_positive(sigma_w, "sigma_w"), check_positive(sigma_b, "sigma_b")
    x1, x2 = as_real_array(x1, "x1"), as_real_array(x2, "x2")
    if x1.ndim != 1 or x1.shape != x2.shape:
        raise ValueError(f"x1 and x2 must be single points of the same shape (d,), got {x1.shape}, {x2.shape}")
    return _gauss_pair(sigma_w**2 * x1 @ x1 + sigma_b**2, sigma_w**2 * x2 @ x2 + sigma_b**2,
                       sigma_w**2 * x1 @ x2 + sigma_b**2)


def relu_kernel_quad(x1, x2, dist="uniform", w_scale=1.0, b_scale=2.0):
    r"""One-input kernel :math:`\mathbb E[[\mathcal Wx+\mathcal B]_+[\mathcal Wx'+\mathcal B]_+]` by quadrature (scalars).

    ``"uniform"``: nested :func:`scipy.integrate.quad` over the box, split at the kinks of the
    integrand (relative tolerance :math:`10^{-13}`); ``"binary_uniform"``: ``quad`` over :math:`b` for
    :math:`W=\pm a_w`;
    ``"gaussian"``: :func:`arccos_kernel_quad` in one dimension.

    Examples
    --------
    >>> from ibtheory.reference.jin2023 import relu_kernel_quad
    >>> round(relu_kernel_quad(0.0, 0.0, "uniform", 1.0, 2.0), 9)  # E[B_+^2] = a_b^2/6
    0.666666667
    """
    from scipy.integrate import quad

    w_scale, b_scale = _check_dist(dist, w_scale, b_scale)
    for v, name in ((x1, "x1"), (x2, "x2")):
        if np.ndim(as_real_array(v, name)) != 0:
            raise ValueError(f"{name} must be a scalar input")
    x1, x2 = float(x1), float(x2)
    if dist == "gaussian":
        return arccos_kernel_quad([x1], [x2], w_scale, b_scale)
    g = lambda b, w: max(w * x1 + b, 0.0) * max(w * x2 + b, 0.0)  # noqa: E731
    def inner(w):   # integral over b, split at the ramps' kinks
        pts = sorted(p for p in {-w * x1, -w * x2} if -b_scale < p < b_scale)
        e = [-b_scale] + pts + [b_scale]
        return sum(quad(lambda b: g(b, w), lo, hi, epsabs=1e-14, epsrel=1e-13, limit=200)[0]
                   for lo, hi in zip(e[:-1], e[1:])) / (2 * b_scale)

    if dist == "binary_uniform":
        return 0.5 * (inner(-w_scale) + inner(w_scale))
    # integral over w, split at 0 and where a kink -w x leaves the bias range (|w| = a_b/|x|)
    kinks = {0.0} | {s * b_scale / abs(v) for v in (x1, x2) if v != 0 for s in (-1, 1)}
    e = [-w_scale] + sorted(k for k in kinks if -w_scale < k < w_scale) + [w_scale]
    return sum(quad(inner, lo, hi, epsabs=1e-14, epsrel=1e-13, limit=200)[0]
               for lo, hi in zip(e[:-1], e[1:])) / (2 * w_scale)


def circle_kernel_quad(x1, x2, a=2.5, n_theta=4000):
    r"""Kernel of directions uniform on the circle and :math:`b\sim U(-a,a)` by the midpoint rule in the angle.

    For each direction the bias integral :math:`\frac1{2a}\int_{-a}^a(s+b)_+(s'+b)_+db` is done
    exactly; the angle by the midpoint rule on ``n_theta`` points (error :math:`O(n_\theta^{-4})`
    for the two :math:`|\cos|^3`-type kinks of the periodic integrand).

    Examples
    --------
    >>> from ibtheory.reference.jin2023 import circle_kernel_quad
    >>> round(circle_kernel_quad([0.0, 0.0], [0.0, 0.0], 3.0), 12)  # a^2/6
    1.5
    """
    a = check_positive(a, "a")
    n_theta = check_int(n_theta, "n_theta", minimum=8)
    x1, x2 = as_real_array(x1, "x1"), as_real_array(x2, "x2")
    if x1.shape != (2,) or x2.shape != (2,):
        raise ValueError(f"x1 and x2 must be single points of shape (2,), got {x1.shape}, {x2.shape}")
    th = (np.arange(n_theta) + 0.5) * 2 * np.pi / n_theta
    w = np.stack([np.cos(th), np.sin(th)], -1)
    s, t = w @ x1, w @ x2
    lo = np.maximum(-a, np.maximum(-s, -t))
    F = lambda b: b**3 / 3 + (s + t) * b**2 / 2 + s * t * b  # noqa: E731
    return float(np.mean(np.where(a > lo, F(a) - F(np.minimum(lo, a)), 0.0) / (2 * a)))


def rbf_spline(X, y, kernel="cubic"):
    """Polyharmonic spline with a linear part by :class:`scipy.interpolate.RBFInterpolator` (``degree=1``).

    Returns a callable on points of shape (..., 2).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.reference.jin2023 import rbf_spline
    >>> X = np.array([[-1., -1], [-1, 1], [1, -1], [1, 1], [0, 0]]); y = np.array([0., 0, 0, 0, 1])
    >>> bool(np.allclose(rbf_spline(X, y)(X), y, atol=1e-12))
    True
    """
    from scipy.interpolate import RBFInterpolator

    X, y = as_real_array(X, "X"), as_real_array(y, "y")
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must have shape (M, 2) and y shape (M,), got {X.shape}, {y.shape}")
    if kernel not in ("cubic", "thin_plate_spline"):
        raise ValueError(f"kernel must be 'cubic' or 'thin_plate_spline', got {kernel!r}")
    rbf = RBFInterpolator(X, y, kernel=kernel, degree=1)

    def evaluate(T):
        T = as_real_array(T, "T")
        if T.shape[-1] != 2:
            raise ValueError(f"T must have a last axis of length 2, got {T.shape}")
        return rbf(T.reshape(-1, 2)).reshape(T.shape[:-1])

    return evaluate
