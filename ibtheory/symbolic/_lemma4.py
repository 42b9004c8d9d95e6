r"""SymPy derivation of Lemma 4 of Yun, Krishnan and Mobahi (2021).

The object :class:`Lemma4Derivation` holds the ODE system and exposes every derived
result as an attribute, in the style of :mod:`sympy.physics.mechanics`. Nothing
about the solution is typed in: first integral, reduction, closed forms and the
blow-up time are all obtained by SymPy from the two equations

.. math::

    \dot p = p^{L-2} q,\qquad \dot q = p^{L-1},\qquad p(0)=1,\ q(0)=0 .
"""
from __future__ import annotations

from functools import cached_property

import sympy as sp

from .._validation import check_depth
from ._base import Derivation

__all__ = ["Lemma4Derivation"]


class Lemma4Derivation(Derivation):
    r"""The p/q system of Lemma 4 and what SymPy derives from it.

    Parameters
    ----------
    L : int or None
        Depth (integer >= 2). ``None`` keeps L a positive symbol, which is enough
        for the first integral, the reduction and the blow-up time.

    Attributes
    ----------
    t, L : sympy.Symbol
        Time and depth.
    p, q : sympy.Function applied to t
        The unknowns.
    odes : tuple of sympy.Eq
        :math:`\dot p = p^{L-2}q`, :math:`\dot q = p^{L-1}`.
    first_integral : sympy.Expr
        :math:`p^2 - q^2`.
    first_integral_rate : sympy.Expr
        :math:`\frac{d}{dt}(p^2-q^2)` with the ODE substituted, simplified (it is 0).
    u_rate : sympy.Expr
        :math:`\dot u` obtained by substituting :math:`p=\cosh u, q=\sinh u`
        into :math:`\dot q = p^{L-1}`: :math:`\cosh^{L-2} u`.
    reduction_residual : sympy.Expr
        The other equation :math:`\dot p - p^{L-2}q` under the substitution and
        :math:`\dot u` = ``u_rate``, simplified (it is 0).
    time_of_q : sympy.Expr
        :math:`t(q) = \int_0^q (1+r^2)^{-(L-1)/2}dr`, from :math:`\dot q = (1+q^2)^{(L-1)/2}`.
    closed_form : dict
        For L in {2, 3, 4}: ``{"p": ..., "q": ..., "h": ...}`` as functions of t,
        found by inverting ``time_of_q`` with :func:`sympy.solve`.
    closed_form_residuals : tuple
        Both ODE residuals and the initial conditions on ``closed_form`` (all 0).
    blowup_time : sympy.Expr
        :math:`c_L = \int_0^\infty (1+r^2)^{-(L-1)/2}dr`.

    Examples
    --------
    >>> from ibtheory.symbolic import Lemma4Derivation
    >>> Lemma4Derivation().first_integral_rate
    0
    >>> Lemma4Derivation(3).closed_form["h"]
    tan(t)/cos(t)**2
    >>> sorted(Lemma4Derivation(2).residuals)[:2]
    ['closed form: dp/dt - p^(L-2) q', 'closed form: dq/dt - p^(L-1)']
    >>> Lemma4Derivation(2).holds
    True
    >>> Lemma4Derivation().blowup_time
    sqrt(pi)*gamma(L/2 - 1)/(2*gamma(L/2 - 1/2))

    See the book chapter *Lemma 4 and the norm-like function Q*.
    """

    def __init__(self, L=None):
        self.t = sp.Symbol("t", real=True)
        if L is None:
            self.L = sp.Symbol("L", positive=True)
            self._L_int = None
        else:
            self._L_int = check_depth(L, maximum=1000)
            self.L = sp.Integer(self._L_int)
        self.p = sp.Function("p")(self.t)
        self.q = sp.Function("q")(self.t)
        self._u = sp.Function("u")(self.t)
        self._r = sp.Symbol("r", positive=True)
        self._qs = sp.Symbol("q", positive=True)

    # --- the model -------------------------------------------------------------
    @property
    def odes(self):
        L, p, q, t = self.L, self.p, self.q, self.t
        return (sp.Eq(p.diff(t), p ** (L - 2) * q), sp.Eq(q.diff(t), p ** (L - 1)))

    @property
    def _rhs(self):
        return {eq.lhs: eq.rhs for eq in self.odes}

    # --- first integral ----------------------------------------------------------
    @property
    def first_integral(self):
        return self.p**2 - self.q**2

    @cached_property
    def first_integral_rate(self):
        rate = self.first_integral.diff(self.t).subs(self._rhs)
        return sp.simplify(sp.powsimp(sp.expand(rate), force=True))

    # --- reduction p = cosh u, q = sinh u ----------------------------------------
    @property
    def _substitution(self):
        return {self.p: sp.cosh(self._u), self.q: sp.sinh(self._u)}

    @cached_property
    def u_rate(self):
        eq_q = self.odes[1]
        lhs = eq_q.lhs.subs(self._substitution).doit()
        rhs = eq_q.rhs.subs(self._substitution)
        udot = sp.Symbol("udot")
        sol = sp.solve(sp.Eq(lhs.subs(self._u.diff(self.t), udot), rhs), udot)
        return sp.powsimp(sp.simplify(sol[0]), force=True)

    @cached_property
    def reduction_residual(self):
        eq_p = self.odes[0]
        lhs = eq_p.lhs.subs(self._substitution).doit().subs(self._u.diff(self.t), self.u_rate)
        rhs = eq_p.rhs.subs(self._substitution)
        return sp.simplify(sp.powsimp(lhs - rhs, force=True))

    # --- integration by separation of variables --------------------------------
    @property
    def _q_rate(self):
        # p = sqrt(1 + q^2) on the branch p(0) = 1 of the first integral
        return (1 + self._qs**2) ** ((self.L - 1) / 2)

    @cached_property
    def time_of_q(self):
        r = self._r
        return sp.simplify(sp.integrate(1 / self._q_rate.subs(self._qs, r), (r, 0, self._qs)))

    @cached_property
    def blowup_time(self):
        r = self._r
        val = sp.integrate(1 / self._q_rate.subs(self._qs, r), (r, 0, sp.oo), conds="separate")
        if isinstance(val, tuple):  # (value, condition L > 2) for symbolic L
            val = val[0]
        return sp.simplify(val)

    @cached_property
    def closed_form(self):
        if self._L_int is None or self._L_int not in (2, 3, 4):
            raise ValueError("closed_form is derived for L in {2, 3, 4}; pass L=2, 3 or 4")
        t = self.t
        roots = sp.solve(sp.Eq(self.time_of_q, t), self._qs)
        # the branch with q(0) = 0 and q increasing (q' = p^{L-1} > 0)
        q_t = None
        for cand in roots:
            c = sp.simplify(cand)
            if c.subs(t, 0) == 0 and sp.limit(c / t, t, 0, "+") > 0:
                q_t = c
                break
        if q_t is None:  # pragma: no cover
            raise RuntimeError("no root of t(q) = t with q(0) = 0 and q increasing")
        p_t = sp.simplify(sp.sqrt(1 + q_t**2))
        # On the maximal interval (-c_L, c_L) the arguments of Abs are positive
        # (cos t > 0 on (-pi/2, pi/2) for L = 3), so the branch p > 0 drops them.
        p_t = p_t.replace(sp.Abs, lambda a: a)
        h_t = sp.simplify(p_t ** (self.L - 1) * q_t)
        return {"p": p_t, "q": q_t, "h": h_t}

    @cached_property
    def closed_form_residuals(self):
        cf = self.closed_form
        p, q, t, L = cf["p"], cf["q"], self.t, self.L
        return (
            sp.simplify(p.diff(t) - p ** (L - 2) * q),
            sp.simplify(q.diff(t) - p ** (L - 1)),
            sp.simplify(p.subs(t, 0) - 1),
            sp.simplify(q.subs(t, 0)),
        )

    @property
    def residuals(self):
        r"""``{name: expr}`` that simplify to 0: the first integral's time derivative, the
        residual of the reduction :math:`p = \cosh u, q = \sinh u`, and for L in
        {2, 3, 4} both ODE residuals and the initial conditions of the closed form."""
        out = {"d/dt (p^2 - q^2)": self.first_integral_rate,
               "reduction p = cosh u, q = sinh u": self.reduction_residual}
        if self._L_int in (2, 3, 4):
            names = ("closed form: dp/dt - p^(L-2) q", "closed form: dq/dt - p^(L-1)",
                     "closed form: p(0) - 1", "closed form: q(0)")
            out.update(zip(names, self.closed_form_residuals))
        return out

    @property
    def h(self):
        """:math:`h_L = p^{L-1} q` in terms of the unknowns."""
        return self.p ** (self.L - 1) * self.q

    def latex(self) -> dict:
        """LaTeX strings of the derived results, for the book."""
        out = {
            "odes": r",\quad ".join(sp.latex(e) for e in self.odes),
            "first_integral_rate": sp.latex(sp.Eq(sp.Derivative(self.first_integral, self.t),
                                                   self.first_integral_rate)),
            "u_rate": sp.latex(sp.Eq(sp.Symbol(r"\dot u"), self.u_rate)),
            "time_of_q": sp.latex(sp.Eq(self.t, self.time_of_q)),
            "blowup_time": sp.latex(sp.Eq(sp.Symbol("c_L"), self.blowup_time)),
        }
        if self._L_int in (2, 3, 4):
            cf = self.closed_form
            out["closed_form"] = sp.latex(sp.Eq(sp.Symbol(f"h_{self._L_int}(t)"), cf["h"]))
        return out
