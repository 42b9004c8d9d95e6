r"""SymPy derivations of Yun, Krishnan & Mobahi (2021).

- :class:`TensorFlowDerivation`: the gradient flow of a linear tensor network,
  :math:`\dot v_l = M(-X^\top r)\circ(v_1,\dots,I_{k_l},\dots,v_L)`, for an
  undefined loss and a fully symbolic data tensor;
- :class:`TwoLayerPointDerivation`: the two-layer, one-point flow in the SVD
  basis and its closed-form solution (Theorems 3 and 6), with the residual of
  the seed's printed :math:`v_2^\infty`.

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from ..._validation import check_int
from ...symbolic import Derivation

__all__ = ["TensorFlowDerivation", "TwoLayerPointDerivation"]


class TensorFlowDerivation(Derivation):
    r"""Gradient flow of a linear tensor network, derived for an arbitrary loss.

    Holds a symbolic data tensor :math:`T_j = M(e_j)` (shape ``(d, k_1, ..., k_L)``),
    parameters :math:`v_l`, data :math:`X, y` and an undefined loss
    :math:`\ell(\hat y, y)`; ``flow`` is :math:`-\nabla_{v_l}\sum_i\ell(f(x_i;\Theta), y_i)`
    by differentiation, ``tensor_flow`` is
    :math:`M(-X^\top r)\circ(v_1,\dots,I_{k_l},\dots,v_L)` with :math:`r_i = \ell'(f(x_i), y_i)`,
    and ``residuals`` are their differences (expanded; all zero).

    Examples
    --------
    >>> from ibtheory.papers.yun2021 import TensorFlowDerivation
    >>> D = TensorFlowDerivation(d=2, ks=(2, 2), n=1)
    >>> len(D.residuals), D.holds
    (4, True)

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """

    def __init__(self, d=2, ks=(2, 2, 2), n=2):
        self.d = check_int(d, "d", minimum=1, maximum=4)
        if not isinstance(ks, (tuple, list)) or len(ks) < 2:
            raise ValueError(f"ks must be a sequence of L >= 2 mode sizes, got {ks!r}")
        self.ks = tuple(check_int(k, "ks", minimum=1, maximum=4) for k in ks)
        self.n = check_int(n, "n", minimum=1, maximum=4)

    @functools.cached_property
    def _both(self):
        L = len(self.ks)
        T = sp.MutableDenseNDimArray(
            [sp.Symbol("T_" + "_".join(map(str, idx))) for idx in np.ndindex(self.d, *self.ks)],
            (self.d,) + self.ks)
        v = [sp.Matrix(sp.symbols(f"v{l + 1}_0:{k}")) for l, k in enumerate(self.ks)]
        X = sp.Matrix(self.n, self.d, lambda i, j: sp.Symbol(f"x_{i}_{j}"))
        y = sp.symbols(f"y0:{self.n}")
        ell = sp.Function("ell")
        idxs = list(np.ndindex(*self.ks))

        def M(u):  # the linear map u -> M(u)
            return {idx: sum(u[j] * T[(j,) + idx] for j in range(self.d)) for idx in idxs}

        def contract(Mu, skip=None):
            out = [0] * (self.ks[skip] if skip is not None else 1)
            for idx, val in Mu.items():
                term = val
                for l in range(L):
                    if l != skip:
                        term = term * v[l][idx[l]]
                out[idx[skip] if skip is not None else 0] += term
            return out

        f = [contract(M(X.row(i)))[0] for i in range(self.n)]
        loss = sum(ell(f[i], y[i]) for i in range(self.n))
        flow = [[-sp.diff(loss, c) for c in v[l]] for l in range(L)]
        yh = sp.Symbol("yhat")
        r = [sp.diff(ell(yh, y[i]), yh).subs(yh, f[i]) for i in range(self.n)]
        Mu = M([-sum(X[i, j] * r[i] for i in range(self.n)) for j in range(self.d)])
        return flow, [contract(Mu, skip=l) for l in range(L)]

    @property
    def flow(self):
        """:math:`-\\nabla_{v_l}\\mathcal L`, one list of components per layer."""
        return self._both[0]

    @property
    def tensor_flow(self):
        """:math:`M(-X^\\top r)\\circ(\\dots, I_{k_l}, \\dots)`, one list per layer."""
        return self._both[1]

    @property
    def residuals(self):
        # Both sides are polynomials in T, v, X times the same derivative terms of ell,
        # so expansion (not simplify) decides equality exactly.
        return {f"v{l + 1}[{j}]": sp.expand(a - b)
                for l, (fl, tl) in enumerate(zip(self.flow, self.tensor_flow))
                for j, (a, b) in enumerate(zip(fl, tl))}


class TwoLayerPointDerivation(Derivation):
    r"""Two-layer tensor network on one data point: the flow in the SVD basis, solved.

    With :math:`M(x) = U_1\mathrm{diag}(s)U_2^\top`, :math:`a = U_1^\top v_1`,
    :math:`b = U_2^\top v_2` and :math:`\nu(t) = -\int_0^t r`, the flow is
    :math:`\dot a = \dot\nu\, s\odot b`, :math:`\dot b = \dot\nu\, s\odot a`, so
    (one coordinate)

    .. math::

        a = a_0\cosh(s\nu) + b_0\sinh(s\nu),\qquad
        b = a_0\sinh(s\nu) + b_0\cosh(s\nu),

    and :math:`f = sab = g(\nu)` with
    :math:`g(\nu) = s\big(\tfrac{a_0^2+b_0^2}2\sinh(2s\nu) + a_0b_0\cosh(2s\nu)\big)`.
    ``residuals`` (zero): the two ODEs and :math:`f - g`. ``printed_v2_residual``:
    the seed's :math:`v_2` (:math:`a_0` paired with :math:`\cosh`) plugged into
    :math:`db/d\nu = sa` (not zero).

    Examples
    --------
    >>> from ibtheory.papers.yun2021 import TwoLayerPointDerivation
    >>> D = TwoLayerPointDerivation()
    >>> D.holds, D.printed_v2_residual == 0
    (True, False)

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """

    def __init__(self):
        self.nu, self.s, self.a0, self.b0 = sp.symbols("nu s a0 b0", real=True)
        nu, s, a0, b0 = self.nu, self.s, self.a0, self.b0
        self.a = a0 * sp.cosh(s * nu) + b0 * sp.sinh(s * nu)
        self.b = a0 * sp.sinh(s * nu) + b0 * sp.cosh(s * nu)
        self.g = s * ((a0**2 + b0**2) / 2 * sp.sinh(2 * s * nu) + a0 * b0 * sp.cosh(2 * s * nu))

    @property
    def residuals(self):
        nu, s = self.nu, self.s
        # d/dt = nu' d/dnu: the ODE a' = nu' s b becomes da/dnu = s b.
        return {"da/dnu - s b": sp.diff(self.a, nu) - s * self.b,
                "db/dnu - s a": sp.diff(self.b, nu) - s * self.a,
                "s a b - g": (s * self.a * self.b - self.g).rewrite(sp.exp)}

    @property
    def printed_v2_residual(self):
        """The seed's :math:`v_2` coordinate :math:`a_0\\cosh + b_0\\sinh` in :math:`db/d\\nu - sa`."""
        printed_b = self.a0 * sp.cosh(self.s * self.nu) + self.b0 * sp.sinh(self.s * self.nu)
        return sp.simplify(sp.diff(printed_b, self.nu) - self.s * self.a)
