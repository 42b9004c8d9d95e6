"""Fully connected linear networks: deep (Marion & Chizat) and two-layer (Varre, Min).

The engine is a chain of matrices :math:`M_L\\cdots M_1`. With prefix products
:math:`P_0 = I_d`, :math:`P_k = M_k P_{k-1}` and suffix co-states
:math:`S_L = G_\\beta^\\top`, :math:`S_{k-1} = M_k^\\top S_k`, the end-to-end map
and the backward pass are

.. math::

    \\beta^\\top = P_L, \\qquad
    \\frac{\\partial \\langle G_\\beta, \\beta\\rangle}{\\partial M_k} = S_k P_{k-1}^\\top ,

and differentiating both recursions along a direction :math:`V` gives the exact
forward-over-backward Hessian-vector product (no finite differences).
"""
from __future__ import annotations

import numpy as np

from .._validation import check_depth
from ._base import MAX_DEPTH, MAX_PARAMS, LinearModel, check_param_count, check_size


def _check_width(w, name):
    return check_size(w, name, maximum=MAX_PARAMS)


def _chain_prefix(Ms, d):
    P = [np.broadcast_to(np.eye(d), (Ms[0].shape[0], d, d))]
    for M in Ms:
        P.append(np.matmul(M, P[-1]))
    return P


def _chain_vjp(Ms, Gb, prefix=None):
    """Gradients of <Gb, beta> with respect to each M_k (beta^T = M_L ... M_1)."""
    d = Gb.shape[1]
    P = _chain_prefix(Ms, d) if prefix is None else prefix
    S = Gb.swapaxes(1, 2)
    out = [None] * len(Ms)
    for k in range(len(Ms) - 1, -1, -1):
        out[k] = np.matmul(S, P[k].swapaxes(1, 2))
        if k > 0:
            S = np.matmul(Ms[k].swapaxes(1, 2), S)
    return out


def _chain_jvp(Ms, Vs, d):
    P = _chain_prefix(Ms, d)
    dP = np.zeros_like(P[0])
    for k, (M, V) in enumerate(zip(Ms, Vs)):
        dP = np.matmul(V, P[k]) + np.matmul(M, dP)
    return dP.swapaxes(1, 2)


def _chain_vjp_tangent(Ms, Gb, Vs):
    """d/de of the chain VJP at fixed Gb along the direction Vs."""
    d = Gb.shape[1]
    L = len(Ms)
    P = _chain_prefix(Ms, d)
    dP = [np.zeros_like(P[0])]
    for k in range(L):
        dP.append(np.matmul(Vs[k], P[k]) + np.matmul(Ms[k], dP[k]))
    S = Gb.swapaxes(1, 2)
    dS = np.zeros_like(S)
    out = [None] * L
    for k in range(L - 1, -1, -1):
        out[k] = (np.matmul(dS, P[k].swapaxes(1, 2))
                  + np.matmul(S, dP[k].swapaxes(1, 2)))
        if k > 0:
            MT = Ms[k].swapaxes(1, 2)
            dS = np.matmul(Vs[k].swapaxes(1, 2), S) + np.matmul(MT, dS)
            S = np.matmul(MT, S)
    return out


class DeepLinear(LinearModel):
    """Deep linear network :math:`f(x) = W_L \\cdots W_1 x` (Marion & Chizat 2024).

    Parameters
    ----------
    widths : sequence of int
        ``(d_0, d_1, ..., d_L)`` with ``d_0 = d`` the input dimension and
        ``d_L = k`` the output dimension; layer ``W_k`` has shape
        ``(d_k, d_{k-1})``. ``L = len(widths) - 1 >= 1``.

    Notes
    -----
    The end-to-end predictor is :math:`\\beta = (W_L\\cdots W_1)^\\top \\in
    \\mathbb R^{d\\times k}`. Gradient flow on any loss of the outputs conserves

    .. math:: D_k = W_{k+1}^\\top W_{k+1} - W_k W_k^\\top, \\qquad k = 1,\\dots,L-1,

    derived in :class:`ibtheory.symbolic.DeepLinearDerivation` and used
    in the book chapter *Gradient flow and its conservation laws*.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import DeepLinear
    >>> net = DeepLinear([3, 4, 4, 1])
    >>> params = tuple(np.ones(s) for s in net.shapes)
    >>> net.beta(params)
    array([16., 16., 16.])
    >>> float(net.loss(params, np.eye(3), np.zeros(3)))
    384.0
    """

    def __init__(self, widths):
        try:
            widths = tuple(widths) if not isinstance(widths, (str, bytes)) else None
        except TypeError:
            raise TypeError(f"widths must be a sequence (d_0, ..., d_L) of positive integers, "
                            f"got {widths!r:.60}") from None
        if widths is None or len(widths) < 2:
            raise ValueError("widths must be a sequence (d_0, ..., d_L) of at least two positive integers")
        if len(widths) > MAX_DEPTH + 1:
            raise ValueError(f"widths must have at most {MAX_DEPTH + 1} entries (depth <= {MAX_DEPTH}), "
                             f"got {len(widths)}")
        self.widths = tuple(_check_width(w, f"widths[{i}]") for i, w in enumerate(widths))
        self.L = len(self.widths) - 1
        self.d, self.k = self.widths[0], self.widths[-1]
        self.shapes = tuple((self.widths[i + 1], self.widths[i]) for i in range(self.L))
        self.names = tuple(f"W{i + 1}" for i in range(self.L))
        check_param_count(self)

    def __repr__(self):
        return f"DeepLinear(widths={list(self.widths)})"

    def _beta(self, P):
        out = P[0]
        for M in P[1:]:
            out = np.matmul(M, out)
        return out.swapaxes(1, 2)

    def _beta_vjp(self, P, Gb):
        return tuple(_chain_vjp(P, Gb))

    def _beta_jvp(self, P, V):
        return _chain_jvp(P, V, self.d)

    def _beta_vjp_tangent(self, P, Gb, V):
        return tuple(_chain_vjp_tangent(P, Gb, V))

    def _conserved(self, P):
        out = {}
        for k in range(self.L - 1):
            A = np.matmul(P[k + 1].swapaxes(1, 2), P[k + 1])
            B = np.matmul(P[k], P[k].swapaxes(1, 2))
            out[f"W{k + 2}^T W{k + 2} - W{k + 1} W{k + 1}^T"] = A - B
        return out


class TwoLayerLinear(LinearModel):
    """Two-layer linear network :math:`f(x) = W_2^\\top W_1^\\top x` with ``k`` outputs.

    Varre et al. (2023) notation: :math:`W_1\\in\\mathbb R^{d\\times l}`,
    :math:`W_2\\in\\mathbb R^{l\\times k}`, :math:`\\beta = W_1 W_2`; the hidden
    width ``l`` may exceed ``d``. Min et al. (2021) write the same network as
    :math:`f(x) = V U^\\top x` with :math:`U = W_1`, :math:`V = W_2^\\top`.

    Parameters
    ----------
    d, l : int
        Input dimension and hidden width.
    k : int, default 1
        Output dimension (labels are ``(n,)`` when ``k == 1``).

    Notes
    -----
    Gradient flow conserves the ``l x l`` matrix
    :math:`W_1^\\top W_1 - W_2 W_2^\\top` (Min et al.'s imbalance
    :math:`U^\\top U - V^\\top V`); see :class:`ibtheory.symbolic.TwoLayerDerivation`
    and the book chapter *Gradient flow and its conservation laws*.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import TwoLayerLinear
    >>> net = TwoLayerLinear(d=2, l=3)
    >>> W1, W2 = np.ones((2, 3)), np.ones((3, 1))
    >>> net.beta((W1, W2))
    array([3., 3.])
    >>> net.conserved((W1, W2))["W1^T W1 - W2 W2^T"]
    array([[1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.]])
    """

    def __init__(self, d, l, k=1):
        self.d = _check_width(d, "d")
        self.l = _check_width(l, "l")
        self.k = _check_width(k, "k")
        self.shapes = ((self.d, self.l), (self.l, self.k))
        self.names = ("W1", "W2")
        check_param_count(self)

    def __repr__(self):
        return f"TwoLayerLinear(d={self.d}, l={self.l}, k={self.k})"

    def _beta(self, P):
        return np.matmul(P[0], P[1])

    def _beta_vjp(self, P, Gb):
        # Direct formulas: d<Gb, W1 W2>/dW1 = Gb W2^T, /dW2 = W1^T Gb.
        return (np.matmul(Gb, P[1].swapaxes(1, 2)), np.matmul(P[0].swapaxes(1, 2), Gb))

    def _beta_jvp(self, P, V):
        return np.matmul(V[0], P[1]) + np.matmul(P[0], V[1])

    def _beta_vjp_tangent(self, P, Gb, V):
        return (np.matmul(Gb, V[1].swapaxes(1, 2)), np.matmul(V[0].swapaxes(1, 2), Gb))

    def _conserved(self, P):
        A = np.matmul(P[0].swapaxes(1, 2), P[0])
        B = np.matmul(P[1], P[1].swapaxes(1, 2))
        return {"W1^T W1 - W2 W2^T": A - B}
