r"""SymPy derivations for Marion & Chizat (2024).

- :class:`BalancedSharpnessDerivation`: for :math:`d = 1` the Hessian of
  :math:`s(w_L\cdots w_1-\pi)^2` at the balanced minimizer :math:`w_k = \pi^{1/L}` is
  :math:`2s\pi^{2-2/L}\mathbf 1\mathbf 1^\top`, of top eigenvalue :math:`2Ls\pi^{2-2/L}`: the lower bound
  is attained in dimension one.
- :class:`RankOneProfileDerivation`: along the rank-one minimizers with :math:`\sigma_1 = x^{-1/2}` and
  equal other layers, :math:`\sum_{k\ge2}\|a_k\|^2/\|a_{k-1}\|^2 = (L-1)(P^2x)^{-1/(L-1)}` (equality in AM-GM) and
  its derivative, the slope used by :func:`ibtheory.solvers.sharpness_infimum`.

See the book chapter *Deep linear networks are implicitly regularized towards flat
minima* (``book/marion2024.md``).
"""
from __future__ import annotations

import sympy as sp

from ..._validation import check_int
from ...symbolic import Derivation

__all__ = ["BalancedSharpnessDerivation", "RankOneProfileDerivation", "DERIVATION_DEPTHS", "verify_derivations"]

#: the depths at which the chapter and the ledger verify the derivations
DERIVATION_DEPTHS = (2, 3, 4, 6)


class BalancedSharpnessDerivation(Derivation):
    r"""Top Hessian eigenvalue of the scalar chain at the balanced minimizer, symbolically.

    Attributes: ``hessian`` (symbolic), ``at_balanced`` (at :math:`w_k = \pi^{1/L}`), ``eigenvalues``,
    ``sharpness`` (the largest), ``expected`` :math:`2Ls\pi^{2-2/L}`.

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import BalancedSharpnessDerivation
    >>> BalancedSharpnessDerivation(3).holds
    True
    """

    def __init__(self, L):
        L = check_int(L, "L", minimum=1, maximum=12)
        self.L = L
        self.s, self.pi = sp.symbols("s pi", positive=True)
        self.w = sp.symbols(f"w1:{L + 1}", real=True)
        self.risk = self.s * (sp.Mul(*self.w) - self.pi) ** 2
        self.hessian = sp.hessian(self.risk, self.w)
        sig = self.pi ** sp.Rational(1, L)
        self.at_balanced = sp.simplify(self.hessian.subs({w: sig for w in self.w}))
        self.eigenvalues = {sp.simplify(k): v for k, v in self.at_balanced.eigenvals().items()}
        self.sharpness = max(self.eigenvalues, key=lambda e: float(e.subs({self.s: 1.3, self.pi: 1.7})))
        self.expected = 2 * L * self.s * self.pi ** (2 - sp.Rational(2, L))

    @property
    def residuals(self):
        return {"top eigenvalue - 2 L s pi^(2-2/L)": self.sharpness - self.expected,
                "Hessian - 2 s pi^(2-2/L) 11^T": self.at_balanced
                - 2 * self.s * self.pi ** (2 - sp.Rational(2, self.L)) * sp.ones(self.L, self.L)}


class RankOneProfileDerivation(Derivation):
    r"""The rank-one family's coefficient :math:`c(x)` and its slope, symbolically, for a given depth.

    With :math:`\sigma_1 = x^{-1/2}`, :math:`\sigma_k = (P\sqrt x)^{1/(L-1)}` (:math:`k\ge2`), the co-state norms
    are :math:`\|a_k\| = \prod_{j>k}\sigma_j`, and
    :math:`\sum_{k=2}^L\|a_k\|^2/\|a_{k-1}\|^2 = \sum_{k\ge2}\sigma_k^{-2}`.

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import RankOneProfileDerivation
    >>> RankOneProfileDerivation(4).holds
    True
    """

    def __init__(self, L):
        L = check_int(L, "L", minimum=2, maximum=12)
        self.L = L
        self.x, self.P = sp.symbols("x P", positive=True)
        sig = [self.x ** sp.Rational(-1, 2)] + [(self.P * sp.sqrt(self.x)) ** sp.Rational(1, L - 1)] * (L - 1)
        self.sigma = sig
        norms = [sp.Mul(*sig[k + 1:]) for k in range(L)] + [sp.Integer(1)]  # ||a_k||, a_L = 1 at index L
        self.ratio_sum = sum(norms[k] ** 2 / norms[k - 1] ** 2 for k in range(1, L))
        self.c = (L - 1) * (self.P ** 2 * self.x) ** sp.Rational(-1, L - 1)
        self.slope = -(self.P ** 2 * self.x) ** sp.Rational(-1, L - 1) / self.x

    @property
    def residuals(self):
        return {"product of the sigma_k = P": sp.Mul(*self.sigma) - self.P,
                "sum of ratios = c(x)": self.ratio_sum - self.c,
                "||a_1||^2 = P^2 x": sp.Mul(*self.sigma[1:]) ** 2 - self.P ** 2 * self.x,
                "c'(x) = slope": sp.diff(self.c, self.x) - self.slope}


def verify_derivations(depths=DERIVATION_DEPTHS):
    """``{"<Derivation>(L=<L>)": {residual name: simplifies to 0}}`` for both derivations at ``depths``.

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import verify_derivations
    >>> all(all(v.values()) for v in verify_derivations((2,)).values())
    True
    """
    return {f"{type(D).__name__}(L={L})": D.verify() for L in depths
            for D in (BalancedSharpnessDerivation(L), RankOneProfileDerivation(L))}
