r"""SymPy derivations for Jin & Montufar: the curvature weight :math:`\zeta` and the two-input circle kernel.

:class:`ZetaDerivation` derives :math:`\zeta` for the paper's three initialization families by two
routes, the definition :math:`\int|W|^3p_{\mathcal W,\mathcal B}(W,-Wx)\,dW` and the breakpoint form
:math:`p_{\mathcal C}(x)\mathbb E[\mathcal W^2\mid\mathcal C=x]` of :math:`\mathcal C=-\mathcal B/\mathcal W`,
and CHECKS the package's numeric weight :func:`ibtheory.solvers.zeta` (its ``symbolic()`` closed forms
at exactly representable parameters) and the paper's printed Gaussian formula against them.
No numeric :math:`\zeta` logic lives here.

:class:`CircleKernelDerivation` derives the output-layer kernel of directions uniform on the circle
with uniform biases (the two-input extension).

See the book chapters *Wide ReLU networks learn weighted splines* (``book/jin2023.md``) and
*Extension: wide ReLU networks on 2-D inputs* (``book/jin2023_2d.md``).
"""
from __future__ import annotations

from functools import cached_property

import sympy as sp

from ...symbolic._base import Derivation
from .closed_forms import printed_gaussian_zeta

__all__ = ["ZetaDerivation", "CircleKernelDerivation"]


class ZetaDerivation(Derivation):
    r"""Curvature weight :math:`\zeta` of the Gaussian, uniform and binary-uniform initializations, two routes each.

    The joint density of :math:`(\mathcal W,\mathcal C)` is :math:`|w|\,p_{\mathcal W,\mathcal B}(w,-wc)`
    (Jacobian of :math:`b=-wc`); for the binary law, whose :math:`\mathcal W` has no density, the
    breakpoint density is derived from the distribution function
    :math:`P(\mathcal C\le c)=\tfrac12P(\mathcal B\ge -c)+\tfrac12P(\mathcal B\le c)` with
    :mod:`sympy.stats`, and compared with the definition written as an expectation over
    :math:`\mathcal W`, :math:`\mathbb E_{\mathcal W}[|\mathcal W|^3p_{\mathcal B}(-\mathcal Wx)]`.

    Attributes
    ----------
    gaussian, gaussian_pC, gaussian_cond_w2 : sympy.Expr
    uniform_inside, uniform_outside, uniform_pC_inside, uniform_cond_w2_inside : sympy.Expr
        On :math:`|x|\le a_b/a_w` and beyond.
    binary_definition, binary_breakpoint : sympy.Expr
        The binary-uniform :math:`\zeta` on :math:`|x|<a_b` by the two routes.

    Examples
    --------
    >>> from ibtheory.papers.jin2023 import ZetaDerivation
    >>> d = ZetaDerivation()
    >>> d.uniform_inside
    a_w**3/(8*a_b)
    >>> all(d.verify().values())
    True
    """

    #: parameter values (exact in binary floating point) at which solvers.zeta(...).symbolic() is checked
    SOLVER_CASES = (("gaussian", {"sigma_w": 1.0, "sigma_b": 0.5}), ("gaussian", {"sigma_w": 2.0, "sigma_b": 1.0}),
                    ("uniform", {"a_w": 1.0, "a_b": 2.0}), ("uniform", {"a_w": 0.5, "a_b": 1.5}),
                    ("binary_uniform", {"a_b": 2.0}))

    def __init__(self):
        self.x = sp.Symbol("x", real=True)
        self.w = sp.Symbol("w", positive=True)
        self.sigma_w, self.sigma_b, self.a_w, self.a_b = sp.symbols("sigma_w sigma_b a_w a_b", positive=True)

    def _gauss_pdf(self, w, b):
        return (sp.exp(-w**2 / (2 * self.sigma_w**2)) / (sp.sqrt(2 * sp.pi) * self.sigma_w)
                * sp.exp(-b**2 / (2 * self.sigma_b**2)) / (sp.sqrt(2 * sp.pi) * self.sigma_b))

    def _even(self, integrand, upper):
        # Each integrand is even in w (symmetric densities): twice the w > 0 half.
        return sp.simplify(2 * sp.integrate(integrand, (self.w, 0, upper)))

    @cached_property
    def gaussian(self):
        return self._even(self.w**3 * self._gauss_pdf(self.w, -self.w * self.x), sp.oo)

    @cached_property
    def gaussian_pC(self):
        return self._even(self.w * self._gauss_pdf(self.w, -self.w * self.x), sp.oo)

    @cached_property
    def gaussian_cond_w2(self):
        num = self._even(self.w**2 * self.w * self._gauss_pdf(self.w, -self.w * self.x), sp.oo)
        return sp.simplify(num / self.gaussian_pC)

    # Uniform box |w| <= a_w, |b| <= a_b, density 1/(4 a_w a_b): b = -w x stays in the box for
    # |w| <= min(a_w, a_b/|x|).
    @cached_property
    def uniform_inside(self):
        return self._even(self.w**3 / (4 * self.a_w * self.a_b), self.a_w)

    @cached_property
    def uniform_outside(self):
        return self._even(self.w**3 / (4 * self.a_w * self.a_b), self.a_b / sp.Abs(self.x))

    @cached_property
    def uniform_pC_inside(self):
        return self._even(self.w / (4 * self.a_w * self.a_b), self.a_w)

    @cached_property
    def uniform_cond_w2_inside(self):
        return sp.simplify(self._even(self.w**3 / (4 * self.a_w * self.a_b), self.a_w) / self.uniform_pC_inside)

    def _bias(self):
        from sympy.stats import Uniform

        return Uniform("B", -self.a_b, self.a_b)

    @cached_property
    def binary_definition(self):
        """E_W[|W|^3 p_B(-W x)] for W uniform on {-1, 1} (sympy.stats law of W and density of B)."""
        from sympy.stats import DiscreteUniform, P, density

        Wd = DiscreteUniform("W", [-1, 1])
        pB = density(self._bias())
        return sum(P(sp.Eq(Wd, w)) * abs(w) ** 3 * pB(-w * self.x) for w in (-1, 1))

    @cached_property
    def binary_breakpoint(self):
        """p_C(x) E[W^2 | C = x] with p_C the derivative of P(C <= c) = P(B >= -c)/2 + P(B <= c)/2 (W^2 = 1)."""
        from sympy.stats import cdf

        F = cdf(self._bias())
        c = self.x
        return sp.diff(sp.Rational(1, 2) * (1 - F(-c)) + sp.Rational(1, 2) * F(c), c)

    def _inside(self, expr):
        # (value at x = a_b/6, inside the support; value at x = -3 a_b/2, outside it)
        t = sp.Symbol("t", positive=True)
        e = sp.piecewise_fold(expr.subs(self.x, t * self.a_b / 2))
        return sp.simplify(e.subs(t, sp.Rational(1, 3))), sp.simplify(
            sp.piecewise_fold(expr.subs(self.x, -t * self.a_b / 2)).subs(t, sp.Integer(3)))

    def solver_residual(self, family, params):
        """``solvers.zeta(family, **params).symbolic()`` minus this derivation at the same parameters."""
        from ibtheory.solvers import zeta

        got = sp.nsimplify(zeta(family, **params).symbolic(), rational=True)
        q = {k: sp.nsimplify(v, rational=True) for k, v in params.items()}
        if family == "gaussian":
            return got - self.gaussian.subs({self.sigma_w: q["sigma_w"], self.sigma_b: q["sigma_b"]})
        if family == "uniform":
            sub = {self.a_w: q["a_w"], self.a_b: q["a_b"]}
            inside = self.uniform_inside.subs(sub)
            outside = self.uniform_outside.subs(sub)
            ref = sp.Piecewise((inside, sp.Abs(self.x) <= q["a_b"] / q["a_w"]), (outside, True))
            # compare on both branches at exact points
            pts = [0, q["a_b"] / q["a_w"] / 3, -q["a_b"] / q["a_w"], 2 * q["a_b"] / q["a_w"], -5]
            return sum(sp.Abs(got.subs(self.x, p) - ref.subs(self.x, p)) for p in pts)
        inside = self._inside(self.binary_definition)[0].subs(self.a_b, q["a_b"])
        return got - inside

    @property
    def residuals(self):
        r = {
            "gaussian: definition - breakpoint form": self.gaussian - self.gaussian_pC * self.gaussian_cond_w2,
            "gaussian: definition - printed formula":
                self.gaussian - printed_gaussian_zeta(self.x, self.sigma_w, self.sigma_b),
            "uniform (|x| <= a_b/a_w): definition - breakpoint form":
                self.uniform_inside - self.uniform_pC_inside * self.uniform_cond_w2_inside,
            "uniform: continuity at |x| = a_b/a_w":
                self.uniform_outside.subs(self.x, self.a_b / self.a_w) - self.uniform_inside,
            "uniform: constant on |x| <= a_b/a_w": sp.diff(self.uniform_inside, self.x),
        }
        bd_in, bd_out = self._inside(self.binary_definition)
        bb_in, bb_out = self._inside(self.binary_breakpoint)
        r["binary-uniform (|x| < a_b): definition - breakpoint form"] = bd_in - bb_in
        r["binary-uniform (|x| > a_b): definition - breakpoint form"] = bd_out - bb_out
        r["binary-uniform (|x| > a_b): zero"] = bb_out
        for fam, params in self.SOLVER_CASES:
            r[f"solvers.zeta({fam}, {params}) - derivation"] = self.solver_residual(fam, params)
        return r


class CircleKernelDerivation(Derivation):
    r"""Output-layer kernel for directions uniform on the circle and :math:`b\sim U(-a,a)`.

    For :math:`s=w^\top x\le s'=w^\top x'` with :math:`|s|,|s'|\le a` the bias average is
    :math:`g(s,s')=\frac1{2a}\int_{-s}^a(s+b)(s'+b)\,db`; :math:`w\mapsto -w` makes only the
    symmetrization :math:`\tfrac12(g(s,s')+g(-s',-s))` matter, which equals
    :math:`a^2/6+ss'/2+|s-s'|^3/(24a)`. Averaging over the angle with
    :math:`\mathbb E[\cos\theta\cos(\theta-\psi)]=\cos\psi/2` and :math:`\mathbb E|\cos\theta|^3=4/(3\pi)` gives
    :math:`k(x,x')=a^2/6+x^\top x'/4+|x-x'|^3/(18\pi a)`.

    Examples
    --------
    >>> from ibtheory.papers.jin2023 import CircleKernelDerivation
    >>> d = CircleKernelDerivation()
    >>> d.radial_coefficient
    1/(18*pi*a)
    >>> d.holds
    True
    """

    def __init__(self):
        self.s, self.t, self.b = sp.symbols("s t b", real=True)
        self.a = sp.Symbol("a", positive=True)
        self.theta, self.psi = sp.symbols("theta psi", real=True)

    def _g(self, s, t):
        return sp.integrate((s + self.b) * (t + self.b), (self.b, -s, self.a)) / (2 * self.a)

    @cached_property
    def g_sym(self):
        return sp.expand((self._g(self.s, self.t) + self._g(-self.t, -self.s)) / 2)

    @cached_property
    def mean_abs_cos3(self):
        return sp.simplify(2 / sp.pi * sp.integrate(sp.cos(self.theta) ** 3, (self.theta, 0, sp.pi / 2)))

    @cached_property
    def mean_cos_product(self):
        th = self.theta
        return sp.simplify(sp.integrate(sp.cos(th) * sp.cos(th - self.psi), (th, 0, 2 * sp.pi)) / (2 * sp.pi))

    @cached_property
    def radial_coefficient(self):
        return sp.simplify(self.mean_abs_cos3 / (24 * self.a))

    @property
    def residuals(self):
        s, t, a = self.s, self.t, self.a
        return {
            "symmetrized bias integral - a^2/6 - s t/2 - (t - s)^3/(24 a)":
                self.g_sym - (a**2 / 6 + s * t / 2 + (t - s) ** 3 / (24 * a)),
            "E|cos|^3 - 4/(3 pi)": self.mean_abs_cos3 - 4 / (3 * sp.pi),
            "E[cos th cos(th - psi)] - cos(psi)/2": self.mean_cos_product - sp.cos(self.psi) / 2,
        }
