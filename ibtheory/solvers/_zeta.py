r"""The curvature weight :math:`\zeta` of Jin and Montufar for a one-input ReLU layer.

.. math::

    \zeta(x) = \int |W|^3\, p_{\mathcal W,\mathcal B}(W, -Wx)\,dW
             = p_{\mathcal C}(x)\,\mathbb E[\mathcal W^2 \mid \mathcal C = x],
    \qquad \mathcal C = -\mathcal B/\mathcal W,

(the two forms agree because :math:`p_{\mathcal W,\mathcal C}(w, c) = |w|\,p_{\mathcal W,\mathcal B}(w, -wc)`).
Closed forms, derived by :meth:`Zeta.symbolic` with SymPy:

* Gaussian, :math:`\mathcal W\sim N(0,\sigma_w^2)`, :math:`\mathcal B\sim N(0,\sigma_b^2)`
  independent: :math:`\zeta(x) = \dfrac{2\sigma_w^3\sigma_b^3}{\pi(\sigma_b^2 + x^2\sigma_w^2)^2}`
  (the seed's formula is right).
* Uniform, :math:`\mathcal W\sim U(-a_w, a_w)`, :math:`\mathcal B\sim U(-a_b, a_b)`:
  :math:`\zeta(x) = m^4/(8a_wa_b)` with :math:`m = \min(a_w, a_b/|x|)`, i.e. the constant
  :math:`a_w^3/(8a_b)` on :math:`|x| \le a_b/a_w` and :math:`a_b^3/(8a_w x^4)` beyond.
* Binary-uniform, :math:`\mathcal W = \pm1` equiprobable, :math:`\mathcal B\sim U(-a_b, a_b)`:
  :math:`\zeta = 1/(2a_b)` on :math:`[-a_b, a_b]` and 0 outside.
"""
from __future__ import annotations

import numpy as np

import numbers

from .._validation import check_positive
from ._checks import real_array

_FAMILIES = ("gaussian", "uniform", "binary_uniform", "constant", "density")


class Zeta:
    """A curvature weight: callable on arrays, with its support and kinks.

    Attributes
    ----------
    family : str
    params : dict
    support : tuple of float
        Closed interval outside which zeta vanishes (may be infinite).
    breakpoints : tuple of float
        Points where zeta is not smooth (quadrature panels never straddle them).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.solvers import Zeta, zeta
    >>> z = zeta("binary_uniform", a_b=2.0)
    >>> isinstance(z, Zeta), z.support, z.breakpoints
    (True, (-2.0, 2.0), (-2.0, 2.0))
    >>> z(np.array([0.0, 1.0, 3.0]))  # constant inside the support, zero outside
    array([0.25, 0.25, 0.  ])

    See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
    """

    def __init__(self, family, fn, params, support=(-np.inf, np.inf), breakpoints=(),
                 max_evals=2_000_000):
        self.family = family
        self._fn = fn
        self.params = dict(params)
        self.support = (float(support[0]), float(support[1]))
        self.breakpoints = tuple(sorted(float(b) for b in breakpoints))
        #: Budget of evaluations for one quadrature (expensive zetas get less).
        self.max_evals = int(max_evals)

    def __call__(self, x):
        x = real_array(x, "x")
        return self._fn(x)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items() if k != "pdf")
        return f"zeta({self.family!r}{', ' if args else ''}{args})"

    def symbolic(self):
        """SymPy derivation of the closed form from the integral definition.

        Returns
        -------
        sympy.Expr
            zeta(x) for ``gaussian``; for ``uniform`` the value on
            ``|x| <= a_b/a_w`` and beyond as a ``Piecewise``; for
            ``binary_uniform`` the value inside the support.
        """
        import sympy as sp

        x = sp.Symbol("x", real=True)
        w = sp.Symbol("w", positive=True)
        if self.family == "gaussian":
            sw, sb = sp.symbols("sigma_w sigma_b", positive=True)
            pdf = (sp.exp(-w**2 / (2 * sw**2)) / (sp.sqrt(2 * sp.pi) * sw)
                   * sp.exp(-(w * x) ** 2 / (2 * sb**2)) / (sp.sqrt(2 * sp.pi) * sb))
            # |W|^3 p(W, -Wx) is even in W: twice the integral over W > 0.
            expr = sp.simplify(2 * sp.integrate(w**3 * pdf, (w, 0, sp.oo)))
            return expr.subs({sw: self.params["sigma_w"], sb: self.params["sigma_b"]})
        if self.family == "uniform":
            aw, ab = sp.symbols("a_w a_b", positive=True)
            m = sp.Symbol("m", positive=True)
            # On the box |w| <= a_w, |w x| <= a_b the density is 1/(4 a_w a_b).
            inner = sp.simplify(2 * sp.integrate(w**3 / (4 * aw * ab), (w, 0, m)))
            expr = sp.Piecewise((inner.subs(m, aw), sp.Abs(x) <= ab / aw),
                                (inner.subs(m, ab / sp.Abs(x)), True))
            return expr.subs({aw: self.params["a_w"], ab: self.params["a_b"]})
        if self.family == "binary_uniform":
            ab = sp.Symbol("a_b", positive=True)
            # W = +-1 with probability 1/2 each; B has density 1/(2 a_b) on [-a_b, a_b].
            expr = sum(sp.Rational(1, 2) * abs(s) ** 3 / (2 * ab) for s in (-1, 1))
            return sp.simplify(expr).subs(ab, self.params["a_b"])
        raise ValueError(f"no closed form for the family {self.family!r}")


#: allowed range of the scales sigma_w, sigma_b, a_w, a_b (zeta is a fourth power of them)
SCALE_RANGE = (1e-30, 1e30)


def zeta(family="gaussian", **params):
    r"""Curvature weight :math:`\zeta` of an initialization family (Jin and Montufar).

    .. math::

        \zeta(x) = \int |W|^3\, p_{\mathcal W,\mathcal B}(W, -Wx)\,dW .

    Parameters
    ----------
    family : {"gaussian", "uniform", "binary_uniform", "constant", "density"}
        * ``"gaussian"``: ``sigma_w`` (default 1), ``sigma_b`` (default 1), the standard
          deviations of independent centred normals W and B.
        * ``"uniform"``: ``a_w``, ``a_b`` (defaults 1, 2): W ~ U(-a_w, a_w), B ~ U(-a_b, a_b);
          constant on ``[-a_b/a_w, a_b/a_w]``.
        * ``"binary_uniform"``: ``a_b`` (default 2): W = +-1, B ~ U(-a_b, a_b); constant
          ``1/(2 a_b)`` on ``[-a_b, a_b]``, zero outside.
        * ``"constant"``: ``value`` (default 1); the weight under which the
          weighted spline is the natural cubic spline.
        * ``"density"``: ``pdf``, a joint density ``pdf(w, b) >= 0``; optionally
          ``w_range`` (default ``(-inf, inf)``, an increasing pair), ``w_breaks``
          (the w where ``w -> pdf(w, -w x)`` jumps, passed to the quadrature; for
          uniform biases ``+-a_b/|x|`` depend on x, so give instead) ``b_bound``
          (``a_b`` when B has support [-a_b, a_b]: the jumps at ``|w| = a_b/|x|``
          are then added for every x) and ``breakpoints`` (x where zeta itself
          has kinks, e.g. ``+-a_b/a_w``). zeta by adaptive quadrature
          (``scipy.integrate.quad``, relative tolerance 1e-10, reachable with
          the breaks given) at each point; a negative or non-finite value
          raises ``ValueError``.

    Returns
    -------
    Zeta
        Callable on arrays, with ``support``, ``breakpoints`` and ``symbolic()``.

    Raises
    ------
    ValueError
        Unknown family, unknown or non-positive parameters, a reversed
        ``w_range``, a non-callable ``pdf``; for ``"density"``, also when
        evaluated where the pdf is negative or not finite.
    TypeError
        A family that is not a string.

    Notes
    -----
    Used in the chapter *The limiting optimization problems* (``book/solvers.md``).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.solvers import zeta
    >>> z = zeta("gaussian", sigma_w=1.0, sigma_b=1.0)
    >>> float(z(0.0)) == 2 / np.pi
    True
    >>> zeta("uniform", a_w=1.0, a_b=2.0)(np.array([0.0, 1.5, 4.0]))
    array([0.0625    , 0.0625    , 0.00390625])
    """
    if not isinstance(family, str):
        raise TypeError(f"family must be one of {_FAMILIES}, got {family!r}")
    if family not in _FAMILIES:
        raise ValueError(f"family must be one of {_FAMILIES}, got {family!r}")
    defaults = {
        "gaussian": {"sigma_w": 1.0, "sigma_b": 1.0},
        "uniform": {"a_w": 1.0, "a_b": 2.0},
        "binary_uniform": {"a_b": 2.0},
        "constant": {"value": 1.0},
        "density": {"pdf": None, "w_range": (-np.inf, np.inf), "w_breaks": (), "b_bound": None,
                    "breakpoints": ()},
    }[family]
    unknown = set(params) - set(defaults)
    if unknown:
        raise ValueError(f"unknown parameters for {family!r}: {sorted(unknown)}; allowed {sorted(defaults)}")
    p = {**defaults, **params}
    for name in ("sigma_w", "sigma_b", "a_w", "a_b"):
        if name in params:
            v = check_positive(p[name], name)
            # zeta involves the fourth power of these scales: beyond this range its values
            # leave float64 (overflow to inf, or underflow to 0 on its own support)
            if not SCALE_RANGE[0] <= v <= SCALE_RANGE[1]:
                raise ValueError(f"{name} must lie in [{SCALE_RANGE[0]:g}, {SCALE_RANGE[1]:g}] (zeta is a "
                                 f"fourth power of it and would leave the float64 range), got {v!r}")
    if family == "gaussian":
        sw, sb = check_positive(p["sigma_w"], "sigma_w"), check_positive(p["sigma_b"], "sigma_b")
        c = 2 * sw**3 * sb**3 / np.pi
        return Zeta(family, lambda x: c / (sb**2 + x**2 * sw**2) ** 2, {"sigma_w": sw, "sigma_b": sb})
    if family == "uniform":
        aw, ab = check_positive(p["a_w"], "a_w"), check_positive(p["a_b"], "a_b")

        def fn(x):
            with np.errstate(divide="ignore"):
                m = np.minimum(aw, ab / np.abs(x))
            return m**4 / (8 * aw * ab)

        return Zeta(family, fn, {"a_w": aw, "a_b": ab}, breakpoints=(-ab / aw, ab / aw))
    if family == "binary_uniform":
        ab = check_positive(p["a_b"], "a_b")
        return Zeta(family, lambda x: np.where(np.abs(x) <= ab, 1.0 / (2 * ab), 0.0), {"a_b": ab},
                    support=(-ab, ab), breakpoints=(-ab, ab))
    if family == "constant":
        val = check_positive(p["value"], "value")
        return Zeta(family, lambda x: np.full(np.shape(x), val), {"value": val})
    pdf = p["pdf"]
    if not callable(pdf):
        raise TypeError("family 'density' needs pdf, a callable joint density pdf(w, b)")
    lo, hi = _pair(p["w_range"], "w_range")
    w_breaks = _reals(p["w_breaks"], "w_breaks")
    x_breaks = _reals(p["breakpoints"], "breakpoints")
    b_bound = None if p["b_bound"] is None else check_positive(p["b_bound"], "b_bound")

    def fn(x):
        from scipy.integrate import quad

        flat = np.atleast_1d(x).ravel()
        out = np.empty(flat.shape)
        for i, xi in enumerate(flat):
            def f(w, xi=xi):
                v = float(np.asarray(pdf(w, -w * xi), dtype=float))
                if not (np.isfinite(v) and v >= 0.0):
                    raise ValueError(f"pdf must be a finite density >= 0; pdf({w!r}, {-w * xi!r}) = {v!r}")
                return abs(w) ** 3 * v
            pts = set(w_breaks) | {0.0}
            if b_bound is not None and xi != 0.0:
                pts |= {b_bound / abs(xi), -b_bound / abs(xi)}
            out[i] = 0.0
            # Split at every break (and 0); finite pieces with points, infinite tails alone.
            edges = sorted({lo, hi} | {q for q in pts if lo < q < hi})
            for a, b in zip(edges[:-1], edges[1:]):
                # full_output silences quad's warnings: an unknown jump makes zeta noisy,
                # which the spline's quadrature-error residual then reports.
                out[i] += quad(f, a, b, epsabs=0, epsrel=1e-10, limit=100, full_output=1)[0]
        return out.reshape(np.shape(x))

    return Zeta(family, fn, {"pdf": pdf, "w_range": (lo, hi), "w_breaks": w_breaks,
                             "b_bound": b_bound, "breakpoints": x_breaks},
                breakpoints=x_breaks, max_evals=5_000)


def _pair(v, name):
    """An increasing pair of reals (infinite ends allowed)."""
    try:
        lo, hi = v
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (lo, hi) of reals, got {v!r}") from None
    for e in (lo, hi):
        if isinstance(e, (bool, np.bool_)) or not isinstance(e, numbers.Real) or np.isnan(e):
            raise TypeError(f"{name} must be a pair (lo, hi) of reals, got {v!r}")
    if not float(lo) < float(hi):
        raise ValueError(f"{name} must satisfy lo < hi, got {v!r}")
    return float(lo), float(hi)


def _reals(v, name):
    """A tuple of finite reals."""
    arr = real_array(np.asarray(v, dtype=float) if isinstance(v, (tuple, list)) and len(v) == 0 else v, name)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a 1-D sequence of reals")
    return tuple(float(t) for t in np.atleast_1d(arr))
