"""SymPy derivations of Min et al. (2021): the reduction and the reduced flow.

- :class:`ReductionDerivation`: the network loss equals the reduced loss plus a
  constant, for data :math:`X = W[S\\ 0]\\Phi^\\top` with exact rational rotations;
- :class:`ReducedFlowDerivation`: the flow of :math:`\\frac12\\|\\tilde Y - SU_1V^\\top\\|_F^2`
  derived entry by entry with ``sympy.diff`` (general diagonal :math:`S = \\Sigma_x^{1/2}`),
  and what it conserves.

See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
"""
from __future__ import annotations

import functools

import sympy as sp

from ..._validation import check_int
from ...symbolic import Derivation

__all__ = ["ReducedFlowDerivation", "ReductionDerivation"]


def _mat(name, a, b):
    return sp.Matrix(a, b, lambda i, j: sp.Symbol(f"{name}_{i}{j}", real=True))


class ReducedFlowDerivation(Derivation):
    """Gradient flow on :math:`\\frac12\\|\\tilde Y - SU_1V^\\top\\|_F^2`, :math:`S = \\mathrm{diag}(s_1..s_r)`.

    ``U2`` (``k2 x h``) does not enter the loss. Residuals (each expands to 0):

    - ``dLambda/dt``: :math:`\\dot\\Lambda` for :math:`\\Lambda = U_1^\\top U_1 - V^\\top V`;
    - ``dU2/dt``: :math:`\\dot U_2`;
    - ``loss rate``: :math:`\\dot{\\mathcal L} + \\|U_1^\\top SE\\|_F^2 + \\|SEV\\|_F^2`;
    - ``d(VU2^T)/dt``, ``d(U1U2^T)/dt``: minus :math:`E^\\top SU_1U_2^\\top` and
      :math:`SEVU_2^\\top` (a linear homogeneous system: the invariant set).

    :meth:`printed_imbalance_rate` and :meth:`printed_invariant_rate` are the
    rates of the seed's printed forms (:math:`U_1^\\top U_1V^\\top V` and
    :math:`VU_1^\\top`), which do not vanish.

    Examples
    --------
    >>> from ibtheory.papers.min2021 import ReducedFlowDerivation
    >>> ReducedFlowDerivation(r=2, h=2, m=1).holds
    True

    See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
    """

    def __init__(self, r=2, h=2, m=2, k2=1, whitened=False):
        self.r, self.h, self.m, self.k2 = (check_int(v, n, minimum=1) for v, n in
                                           ((r, "r"), (h, "h"), (m, "m"), (k2, "k2")))
        self.U1, self.U2, self.V = _mat("u", self.r, self.h), _mat("w", self.k2, self.h), _mat("v", self.m, self.h)
        self.Yt = _mat("yt", self.r, self.m)
        self.s = sp.symbols(f"s1:{self.r + 1}", positive=True)
        self.S = sp.eye(self.r) if whitened else sp.diag(*self.s)
        self.E = self.Yt - self.S * self.U1 * self.V.T
        self.loss = sum(e ** 2 for e in self.E) / 2
        # The flow, derived element by element from the loss (not from matrix formulas).
        self.flow = {x: -sp.diff(self.loss, x) for Mx in (self.U1, self.V, self.U2) for x in Mx}
        self.imbalance = self.U1.T * self.U1 - self.V.T * self.V

    def rate(self, expr):
        """The time derivative of ``expr`` (scalar or matrix) along the flow, expanded."""
        d = lambda e: sp.expand(sum(sp.diff(e, x) * f for x, f in self.flow.items()))  # noqa: E731
        return expr.applyfunc(d) if isinstance(expr, sp.MatrixBase) else d(expr)

    @functools.cached_property
    def residuals(self):
        E, S, U1, U2, V = self.E, self.S, self.U1, self.U2, self.V
        VU2, U1U2 = V * U2.T, U1 * U2.T
        loss_rate = self.rate(self.loss) + sum(a ** 2 for a in U1.T * S * E) + sum(b ** 2 for b in S * E * V)
        return {
            "dLambda/dt": self.rate(self.imbalance),
            "dU2/dt": sp.Matrix(self.k2, self.h, [self.flow[x] for x in U2]),
            "loss rate": sp.expand(loss_rate),
            "d(VU2^T)/dt": (self.rate(VU2) - E.T * S * U1U2).applyfunc(sp.expand),
            "d(U1U2^T)/dt": (self.rate(U1U2) - S * E * VU2).applyfunc(sp.expand),
        }

    def printed_imbalance_rate(self):
        """:math:`\\frac{d}{dt}(U_1^\\top U_1V^\\top V)`: the seed's printed imbalance is not conserved."""
        return self.rate(self.U1.T * self.U1 * self.V.T * self.V)

    def printed_invariant_rate(self):
        """:math:`\\frac{d}{dt}(VU_1^\\top)`: the seed's printed condition :math:`VU_1^\\top = 0` is not invariant."""
        return self.rate(self.V * self.U1.T)


class ReductionDerivation(Derivation):
    """Full loss minus reduced loss for :math:`X = W[S\\ 0]\\Phi^\\top`, :math:`U = \\Phi[U_1; U_2]`.

    ``W`` (``n x n``) and ``Phi`` (``D x D``) are products of Givens rotations with the
    rational parametrization :math:`\\cos = (1-t^2)/(1+t^2)`, :math:`\\sin = 2t/(1+t^2)`,
    so orthogonality is exact; ``S`` is a symbolic positive diagonal; full rank ``r = n <= D``.
    The residual ``full - reduced`` cancels to 0.

    Examples
    --------
    >>> from ibtheory.papers.min2021 import ReductionDerivation
    >>> ReductionDerivation(n=2, D=3, h=1, m=1).holds
    True

    See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
    """

    def __init__(self, n=2, D=3, h=2, m=1):
        self.n, self.D, self.h, self.m = (check_int(v, k, minimum=1) for v, k in
                                          ((n, "n"), (D, "D"), (h, "h"), (m, "m")))
        if self.n > self.D:
            raise ValueError(f"n must be <= D (full row rank), got n={n}, D={D}")

    @staticmethod
    def _rotation(size, name):
        R = sp.eye(size)
        for i in range(size - 1):
            t = sp.Symbol(f"{name}_{i}", real=True)
            c, s = (1 - t ** 2) / (1 + t ** 2), 2 * t / (1 + t ** 2)
            G = sp.eye(size)
            G[i, i], G[i + 1, i + 1], G[i, i + 1], G[i + 1, i] = c, c, -s, s
            R = R * G
        return R

    @functools.cached_property
    def residuals(self):
        n, D, h, m = self.n, self.D, self.h, self.m
        W, Phi = self._rotation(n, "ta"), self._rotation(D, "tb")
        S = sp.diag(*sp.symbols(f"s1:{n + 1}", positive=True))
        U1, U2, V, Y = _mat("u", n, h), _mat("w", D - n, h), _mat("v", m, h), _mat("y", n, m)
        X = W * S.row_join(sp.zeros(n, D - n)) * Phi.T
        U = Phi * U1.col_join(U2)
        full = sum(e ** 2 for e in (Y - X * U * V.T)) / 2
        reduced = sum(e ** 2 for e in (W.T * Y - S * U1 * V.T)) / 2
        return {"full loss - reduced loss": sp.cancel(sp.together(full - reduced))}
