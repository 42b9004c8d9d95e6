r"""SymPy derivation of the flow, the conservation law and the corollary of Varre et al. (2023).

See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
"""
from __future__ import annotations

import sympy as sp

from ...symbolic import Derivation, TwoLayerDerivation
from ..._validation import check_int

__all__ = ["VarreDerivation"]


def _sum_squares(M):
    return sp.expand(sum(e**2 for e in M))


class VarreDerivation(Derivation):
    r"""The gradient flow, its conservation law and the corollary's scalar problem.

    Attributes (derived on construction, ``sympy`` expressions)

    - ``system``: :class:`ibtheory.symbolic.TwoLayerDerivation` at size ``(d, l, k, n)``;
      ``flow`` is :math:`-\partial\mathcal L/\partial W_i` entry by entry, ``flow_matrix``
      the matrix form :math:`\dot W_1 = X^\top RW_2^\top`, :math:`\dot W_2 = W_1^\top X^\top R`.
    - ``scalar_objective``: the log-det problem in one singular direction,
      :math:`a + s^2/a - 2\gamma\log a` with :math:`a = \sigma_i(W_1)^2`,
      :math:`s = \sigma_i(\beta)` (minimizing :math:`\|W_2\|^2` at fixed
      :math:`\beta, A` gives :math:`\operatorname{tr}\beta^\top A^{-1}\beta`).
    - ``gram_eigenvalue``: its unique positive stationary point, solved by SymPy
      (:math:`\gamma + \sqrt{\gamma^2 + s^2}`); ``second_derivative`` there (positive).
    - ``singular_value`` :math:`= \sqrt{a^*}`; ``printed_singular_value``, the slides'
      :math:`(\sqrt{s + \gamma^2} + \gamma)^{1/2}`; ``printed_difference`` (not zero).
    - ``value_slope``: :math:`\frac{d}{ds}\min_a(\cdots)` (positive: the minimum-norm
      interpolator minimizes every term).
    - ``pl_rate``: the decay rate :math:`4\gamma\mu` of the loss bound.

    ``residuals`` (each simplifies to 0): the matrix form of the flow, the time
    derivative of :math:`W_1^\top W_1 - W_2W_2^\top` for any loss, stationarity of the
    scalar objective at :math:`a^*`, the Gram identity :math:`a^2 - 2\gamma a = s^2`,
    the log-det KKT condition :math:`2\gamma/a = 1 - (s/a)^2`, the envelope theorem
    for ``value_slope``, and the agreement of the printed formula at :math:`s = 1`.

    Examples
    --------
    >>> from ibtheory.papers.varre2023 import VarreDerivation
    >>> D = VarreDerivation()
    >>> D.gram_eigenvalue
    g + sqrt(g**2 + s**2)
    >>> D.holds, D.printed_difference == 0
    (True, False)

    See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """

    def __init__(self, d=2, l=2, k=1, n=1):
        d, l, k, n = (check_int(v, name, 1) for v, name in ((d, "d"), (l, "l"), (k, "k"), (n, "n")))
        self.system = TwoLayerDerivation(d=d, l=l, k=k, n=n)
        self.flow = self.system.flow
        self.flow_matrix = self.system.flow_matrix
        a, s, g, mu = sp.symbols("a s g mu", positive=True)
        self.a, self.s, self.g, self.mu = a, s, g, mu
        self.scalar_objective = a + s**2 / a - 2 * g * sp.log(a)
        roots = sp.solve(sp.Eq(sp.diff(self.scalar_objective, a), 0), a)
        pos = [r for r in roots if sp.simplify(r.subs({s: 1, g: 1})) > 0]
        if len(pos) != 1:  # pragma: no cover - guards the derivation
            raise RuntimeError(f"expected one positive stationary point, got {roots}")
        self.gram_eigenvalue = pos[0]
        self.second_derivative = sp.simplify(sp.diff(self.scalar_objective, a, 2).subs(a, self.gram_eigenvalue))
        self.singular_value = sp.sqrt(self.gram_eigenvalue)
        self.printed_singular_value = sp.sqrt(sp.sqrt(s + g**2) + g)
        self.printed_difference = sp.simplify(self.singular_value - self.printed_singular_value)
        self.min_value = self.scalar_objective.subs(a, self.gram_eigenvalue)
        self.value_slope = sp.simplify(sp.diff(self.min_value, s))
        # dL/dt <= -||W1^T X^T R||^2 <= -2 g ||X^T R||^2 <= -4 g mu L  (A >= 2 g I, R in range X).
        self.pl_rate = 4 * g * mu

    @property
    def residuals(self):
        a, s, g = self.a, self.s, self.g
        astar = self.gram_eigenvalue
        # matrix identities enter as the sum of their squared entries (zero iff every entry is)
        out = {f"matrix form of dW{i + 1}/dt": _sum_squares(r)
               for i, r in enumerate(self.system.matrix_form_residual())}
        for name, rate in self.system.conserved_rates(any_loss=True).items():
            out[f"d/dt ({name}), any loss"] = _sum_squares(rate)
        out["stationarity of a + s^2/a - 2g log a at a*"] = sp.diff(self.scalar_objective, a).subs(a, astar)
        out["Gram identity a*^2 - 2 g a* = s^2"] = sp.expand(astar**2 - 2 * g * astar - s**2)
        out["log-det KKT 2g/a* = 1 - (s/a*)^2"] = 2 * g / astar - 1 + (s / astar) ** 2
        out["envelope: d/ds min = partial_s objective at a*"] = (
            self.value_slope - sp.diff(self.scalar_objective, s).subs(a, astar))
        out["printed formula agrees at s = 1 only"] = self.printed_difference.subs(s, 1)
        return out
