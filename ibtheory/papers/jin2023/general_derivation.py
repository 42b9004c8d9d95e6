r"""SymPy derivation of the general theorem's limit (initial function :math:`f_0\neq0`).

The printed problem is :math:`\min_g\int(g''-f_0'')^2/\zeta` subject to
:math:`g(x_i)=y_i-\bar ux_i-\bar v`. :class:`GeneralLimitDerivation` derives its solution in four steps:

1. the substitution :math:`g=f_0+h-\bar ux-\bar v` turns the objective into :math:`\int h''^2/\zeta`
   (linear functions carry no curvature) and
2. the constraints into :math:`h(x_i)=z_i:=y_i-f_0(x_i)`: so :math:`h` is the weighted spline
   :math:`S` of the residual data;
3. the first variation of :math:`\int h''^2/\zeta` at :math:`h=S` vanishes along every variation
   :math:`\eta` with :math:`\eta(x_i)=0` (shown exactly for constant :math:`\zeta`, three knots and a
   polynomial family of variations; the objective is convex, so the stationary point is the minimizer);
4. the linear adjustment (:func:`~ibtheory.papers.jin2023.linear_adjustment`) of
   :math:`S-\bar ux-\bar v` is zero, so the kernel (infinite-width) interpolant of the adjusted
   residuals equals :math:`S-\bar ux-\bar v`: the adjustment of the general theorem is that of the
   residual spline, a function of :math:`f_0(x_1),\dots,f_0(x_M)`.

See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
"""
from __future__ import annotations

from functools import cached_property

import sympy as sp

from ...symbolic._base import Derivation

__all__ = ["GeneralLimitDerivation"]


class GeneralLimitDerivation(Derivation):
    r"""The solution :math:`g^*=f_0+S-\bar ux-\bar v` of the general variational problem, derived.

    Attributes
    ----------
    spline_pieces : tuple of sympy.Expr
        The natural cubic spline (constant :math:`\zeta`) of symbolic residuals
        :math:`z_0,z_1,z_2` at :math:`x=-1,0,1`, on :math:`[-1,0]` and :math:`[0,1]`, derived from
        the Euler-Lagrange form :math:`S''=\zeta m`, :math:`m` piecewise linear, :math:`m(\pm1)=0`,
        :math:`S'` continuous.

    Examples
    --------
    >>> from ibtheory.papers.jin2023.general_derivation import GeneralLimitDerivation
    >>> d = GeneralLimitDerivation()
    >>> d.holds
    True
    >>> d.middle_moment
    3*z0/2 - 3*z1 + 3*z2/2
    """

    def __init__(self):
        self.x = sp.Symbol("x", real=True)
        self.u, self.v = sp.symbols("u v", real=True)
        self.f0, self.h = sp.Function("f0"), sp.Function("h")
        self.xi, self.yi = sp.symbols("x_i y_i", real=True)
        self.z = sp.symbols("z0 z1 z2", real=True)
        self.zeta0 = sp.Symbol("zeta0", positive=True)
        self.p = sp.symbols("p0:4", real=True)

    @cached_property
    def g(self):
        """:math:`g=f_0+h-ux-v`."""
        return self.f0(self.x) + self.h(self.x) - self.u * self.x - self.v

    @cached_property
    def _pieces_and_moment(self):
        x, zeta0 = self.x, self.zeta0
        m1 = sp.Symbol("m1", real=True)
        # m = S''/zeta piecewise linear, zero at the ends, m1 at the middle knot
        m_left, m_right = m1 * (x + 1), m1 * (1 - x)
        c = sp.symbols("c0:4", real=True)
        S_left = sp.integrate(sp.integrate(zeta0 * m_left, x), x) + c[0] * x + c[1]
        S_right = sp.integrate(sp.integrate(zeta0 * m_right, x), x) + c[2] * x + c[3]
        z0, z1, z2 = self.z
        eqs = [S_left.subs(x, -1) - z0, S_left.subs(x, 0) - z1, S_right.subs(x, 0) - z1, S_right.subs(x, 1) - z2,
               (sp.diff(S_left, x) - sp.diff(S_right, x)).subs(x, 0)]
        sol = sp.solve(eqs, list(c) + [m1], dict=True)[0]
        return sp.expand(S_left.subs(sol)), sp.expand(S_right.subs(sol)), sp.simplify(sol[m1] * zeta0)

    @property
    def spline_pieces(self):
        return self._pieces_and_moment[:2]

    @property
    def middle_moment(self):
        """:math:`S''(0)`, the curvature at the middle knot (independent of :math:`\\zeta_0`)."""
        return self._pieces_and_moment[2]

    def first_variation(self):
        r""":math:`\int S''\eta''/\zeta_0` for :math:`\eta=(x+1)x(x-1)\sum_kp_kx^k` (zero at the knots);
        :math:`S''=0` outside :math:`[-1,1]`, so the integral is over the hull."""
        x = self.x
        eta = (x + 1) * x * (x - 1) * sum(pk * x**k for k, pk in enumerate(self.p))
        left, right = self.spline_pieces
        d2 = sp.diff(eta, x, 2)
        return sp.expand(sp.integrate(sp.diff(left, x, 2) * d2, (x, -1, 0))
                         + sp.integrate(sp.diff(right, x, 2) * d2, (x, 0, 1))) / self.zeta0

    @cached_property
    def adjustment(self):
        r"""The adjustment :math:`(\bar u,\bar v)` of a spline with end slopes :math:`s_L,s_R` and end
        values :math:`z_1,z_M`: :math:`\bar u=\tfrac12(s_L+s_R)`,
        :math:`\bar v=\tfrac12(z_1+z_M-s_Rx_M-s_Lx_1)` (symbols)."""
        sL, sR, z1, zM, x1, xM = sp.symbols("s_L s_R z_1 z_M x_1 x_M", real=True)
        self._adj_symbols = (sL, sR, z1, zM, x1, xM)
        return (sL + sR) / 2, (z1 + zM - sR * xM - sL * x1) / 2

    @property
    def residuals(self):
        x, u, v = self.x, self.u, self.v
        left, right = self.spline_pieces
        z0, z1, z2 = self.z
        ubar, vbar = self.adjustment
        sL, sR, zs1, zsM, x1, xM = self._adj_symbols
        # the adjustment formula applied to S - ubar x - vbar: end slopes and end values shift
        u_shift = ((sL - ubar) + (sR - ubar)) / 2
        v_shift = ((zs1 - ubar * x1 - vbar) + (zsM - ubar * xM - vbar) - (sR - ubar) * xM - (sL - ubar) * x1) / 2
        return {
            "objective: (g'' - f0'')^2 - h''^2":
                sp.diff(self.g, x, 2) ** 2 - 2 * sp.diff(self.g, x, 2) * sp.diff(self.f0(x), x, 2)
                + sp.diff(self.f0(x), x, 2) ** 2 - sp.diff(self.h(x), x, 2) ** 2,
            "constraint: [g(x_i) = y_i - u x_i - v] - [h(x_i) = y_i - f0(x_i)]":
                (self.g.subs(x, self.xi) - (self.yi - u * self.xi - v))
                - (self.h(self.xi) - (self.yi - self.f0(self.xi))),
            "spline interpolates the residuals": sum(sp.Abs(e) for e in (
                left.subs(x, -1) - z0, left.subs(x, 0) - z1, right.subs(x, 1) - z2)),
            "first variation along every polynomial eta with eta(x_i) = 0":
                sum(sp.Abs(sp.diff(self.first_variation(), pk)) for pk in self.p),
            "adjustment of S - u x - v: slope part": u_shift,
            "adjustment of S - u x - v: offset part": v_shift,
        }
