"""Two-layer ReLU networks with biases (Jin & Montufar 2023; Varre et al.'s ReLU student)."""
from __future__ import annotations

import numpy as np

from ._base import Model, check_param_count
from ._linear import _check_width

_TRAIN = ("all", "output")


class TwoLayerReLU(Model):
    """Two-layer ReLU network :math:`f(x) = \\sum_{i=1}^m a_i [w_i^\\top x + b_i]_+ + c`.

    Parameters
    ----------
    d : int
        Input dimension (Jin & Montufar use ``d = 1``).
    m : int
        Number of hidden neurons.
    bias : bool, default True
        Whether the hidden biases :math:`b_i` and output bias :math:`c` exist.
        Parameters are ``(W1, b1, W2, b2)`` of shapes ``(m, d), (m,), (m,), ()``
        with biases, ``(W1, W2)`` without.
    train : {"all", "output"}, default "all"
        ``"output"`` freezes the hidden layer (its gradient is zero), the
        setting of Jin & Montufar's "training only the output layer".

    Notes
    -----
    Derivatives use the convention :math:`H(0) = 0` for the ReLU's derivative;
    the Hessian-vector product is exact wherever no pre-activation is zero
    (the loss is piecewise polynomial). With ``train="all"`` gradient flow
    conserves, neuron by neuron, :math:`\\|w_i\\|^2 + b_i^2 - a_i^2` (positive
    homogeneity of the ReLU); see the book chapter *Gradient flow and its
    conservation laws*.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import TwoLayerReLU
    >>> net = TwoLayerReLU(d=1, m=2)
    >>> params = (np.array([[1.], [-1.]]), np.array([0., 1.]), np.array([1., 2.]), np.array(0.5))
    >>> net.forward(params, np.array([[-1.], [0.], [2.]]))
    array([4.5, 2.5, 2.5])
    """

    smooth = False

    def __init__(self, d, m, bias=True, train="all"):
        self.d = _check_width(d, "d")
        self.m = _check_width(m, "m")
        if not isinstance(bias, (bool, np.bool_)):
            raise ValueError(f"bias must be True or False, got {bias!r}")
        if not isinstance(train, str) or train not in _TRAIN:
            raise ValueError(f"train must be one of {_TRAIN}, got {train!r}")
        self.bias, self.train = bool(bias), train
        self.k = 1
        if self.bias:
            self.shapes = ((self.m, self.d), (self.m,), (self.m,), ())
            self.names = ("W1", "b1", "W2", "b2")
        else:
            self.shapes = ((self.m, self.d), (self.m,))
            self.names = ("W1", "W2")
        check_param_count(self)

    def __repr__(self):
        return f"TwoLayerReLU(d={self.d}, m={self.m}, bias={self.bias}, train={self.train!r})"

    # P -> (W1, b1 or None, a, c or None)
    def _unpack(self, P):
        if self.bias:
            return P
        return P[0], None, P[1], None

    def _pack(self, gW, gb, ga, gc):
        if self.train == "output":
            gW, gb = np.zeros_like(gW), (None if gb is None else np.zeros_like(gb))
        return (gW, gb, ga, gc) if self.bias else (gW, ga)

    def _pre(self, P, X):
        W, b, a, c = self._unpack(P)
        Z = np.einsum("nd,Bmd->Bnm", X, W)
        if b is not None:
            Z = Z + b[:, None, :]
        return Z

    def _forward(self, P, X):
        W, b, a, c = self._unpack(P)
        F = np.einsum("Bnm,Bm->Bn", np.maximum(self._pre(P, X), 0.0), a)
        if c is not None:
            F = F + c[:, None]
        return F[..., None]

    def _vjp(self, P, X, G):
        W, b, a, c = self._unpack(P)
        Z = self._pre(P, X)
        g = G[..., 0]
        ga = np.einsum("Bn,Bnm->Bm", g, np.maximum(Z, 0.0))
        gz = g[:, :, None] * a[:, None, :] * (Z > 0)
        gW = np.einsum("Bnm,nd->Bmd", gz, X)
        return self._pack(gW, gz.sum(1) if b is not None else None, ga,
                          g.sum(1) if c is not None else None)

    def _masked(self, V):
        if self.train == "all":
            return V
        VW, Vb, Va, Vc = self._unpack(V)
        VW = np.zeros_like(VW)
        Vb = None if Vb is None else np.zeros_like(Vb)
        return (VW, Vb, Va, Vc) if self.bias else (VW, Va)

    def _jvp(self, P, X, V):
        W, b, a, c = self._unpack(P)
        VW, Vb, Va, Vc = self._unpack(self._masked(V))
        Z = self._pre(P, X)
        dZ = np.einsum("nd,Bmd->Bnm", X, VW)
        if Vb is not None:
            dZ = dZ + Vb[:, None, :]
        dF = np.einsum("Bnm,Bm->Bn", (Z > 0) * dZ, a) + np.einsum("Bnm,Bm->Bn", np.maximum(Z, 0.0), Va)
        if Vc is not None:
            dF = dF + Vc[:, None]
        return dF[..., None]

    def _vjp_tangent(self, P, X, G, V):
        W, b, a, c = self._unpack(P)
        VW, Vb, Va, Vc = self._unpack(self._masked(V))
        Z = self._pre(P, X)
        D = Z > 0
        g = G[..., 0]
        dZ = np.einsum("nd,Bmd->Bnm", X, VW)
        if Vb is not None:
            dZ = dZ + Vb[:, None, :]
        ga = np.einsum("Bn,Bnm->Bm", g, D * dZ)
        gz = g[:, :, None] * Va[:, None, :] * D
        gW = np.einsum("Bnm,nd->Bmd", gz, X)
        return self._pack(gW, gz.sum(1) if b is not None else None, ga,
                          np.zeros_like(c) if c is not None else None)

    def _conserved(self, P):
        if self.train != "all":
            return {}
        W, b, a, c = self._unpack(P)
        q = np.sum(W * W, axis=-1) - a * a
        if b is not None:
            q = q + b * b
        return {"|w_i|^2 + b_i^2 - a_i^2" if b is not None else "|w_i|^2 - a_i^2": q}
