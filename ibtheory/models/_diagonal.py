"""Diagonal and full-length circular convolutional linear networks (Yun et al. 2021).

Both are *orthogonally decomposable* (Yun et al., Assumption 1): the diagonal
network multiplies coordinates, :math:`\\beta = w_1\\odot\\cdots\\odot w_L`, and
the convolutional network does the same in the Fourier basis,
:math:`\\mathcal F\\beta = \\mathcal F w_1\\odot\\cdots\\odot\\mathcal F w_L`
(unnormalised DFT). Their gradients are therefore the same product rule,
evaluated on real vectors or on Fourier coefficients.
"""
from __future__ import annotations

import numpy as np

from .._validation import check_depth
from ._base import MAX_DEPTH, LinearModel, check_param_count
from ._linear import _check_width


def _prod_except(ws):
    """``[prod_{m != l} ws[m] for l]`` by prefix/suffix products (no division: zeros are fine)."""
    L = len(ws)
    pre = [np.ones_like(ws[0])]
    for w in ws[:-1]:
        pre.append(pre[-1] * w)
    out = [None] * L
    suf = np.ones_like(ws[0])
    for l in range(L - 1, -1, -1):
        out[l] = pre[l] * suf
        suf = suf * ws[l]
    return out


def _prod_except_tangent(ws, vs):
    """``[sum_{m != l} vs[m] prod_{p not in {l, m}} ws[p] for l]``."""
    L = len(ws)
    out = []
    for l in range(L):
        sub_w = ws[:l] + ws[l + 1:]
        sub_v = vs[:l] + vs[l + 1:]
        if not sub_w:
            out.append(np.zeros_like(ws[0]))
            continue
        pe = _prod_except(sub_w)
        out.append(sum(v * p for v, p in zip(sub_v, pe)))
    return out


class Diagonal(LinearModel):
    """L-layer linear diagonal network :math:`f(x) = (x\\odot w_1\\odot\\cdots\\odot w_{L-1})^\\top w_L`.

    Yun et al. (2021), Corollaries 2 and 5; :math:`\\beta = w_1\\odot\\cdots\\odot w_L`.

    Parameters
    ----------
    d : int
        Input dimension (every layer is a vector of length ``d``).
    L : int
        Depth, ``L >= 2``.

    Notes
    -----
    Gradient flow conserves :math:`w_l^{\\odot 2} - w_L^{\\odot 2}` for
    :math:`l < L` (coordinate-wise), derived in
    :class:`ibtheory.symbolic.DiagonalDerivation`; see the book chapter
    *Gradient flow and its conservation laws*.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import Diagonal
    >>> net = Diagonal(d=3, L=3)
    >>> w = (np.array([1., 2., 3.]), np.array([1., 1., 2.]), np.array([2., 0., 1.]))
    >>> net.beta(w)
    array([2., 0., 6.])
    >>> net.conserved(w)["w1^2 - w3^2"]
    array([-3.,  4.,  8.])
    """

    def __init__(self, d, L):
        self.d = _check_width(d, "d")
        self.L = check_depth(L, "L", maximum=MAX_DEPTH)
        self.k = 1
        self.shapes = tuple((self.d,) for _ in range(self.L))
        self.names = tuple(f"w{i + 1}" for i in range(self.L))
        check_param_count(self)

    def __repr__(self):
        return f"Diagonal(d={self.d}, L={self.L})"

    def _beta(self, P):
        out = P[0]
        for w in P[1:]:
            out = out * w
        return out[..., None]

    def _beta_vjp(self, P, Gb):
        g = Gb[..., 0]
        return tuple(g * p for p in _prod_except(list(P)))

    def _beta_jvp(self, P, V):
        return sum(v * p for v, p in zip(V, _prod_except(list(P))))[..., None]

    def _beta_vjp_tangent(self, P, Gb, V):
        g = Gb[..., 0]
        return tuple(g * t for t in _prod_except_tangent(list(P), list(V)))

    def _conserved(self, P):
        last = P[-1] ** 2
        return {f"w{l + 1}^2 - w{self.L}^2": P[l] ** 2 - last for l in range(self.L - 1)}


class Convolutional(LinearModel):
    """L-layer linear full-length circular convolutional network (Yun et al. 2021, Cor. 3/6).

    .. math::

        f(x) = \\big(\\cdots((x\\star w_1)\\star w_2)\\cdots\\star w_{L-1}\\big)^\\top w_L,
        \\qquad [a\\star b]_i = \\sum_{j=0}^{d-1} a_{(i+j)\\bmod d}\\, b_j ,

    with every filter of full length ``d`` (0-based indices). By Parseval the
    network is linear with :math:`\\beta = w_1 * w_2 * \\cdots * w_L` (circular
    convolution), i.e. :math:`\\hat\\beta = \\hat w_1\\odot\\cdots\\odot\\hat w_L`
    for the unnormalised DFT :math:`\\hat a_m = \\sum_j a_j e^{-2\\pi i jm/d}`.

    Parameters
    ----------
    d : int
        Input dimension and filter length.
    L : int
        Depth, ``L >= 2``.

    Notes
    -----
    With the unitary DFT matrix :math:`F` of Yun et al., gradient flow conserves
    :math:`|F w_l|^{\\odot 2} - |F w_L|^{\\odot 2}` for :math:`l < L`, derived
    in :class:`ibtheory.symbolic.ConvolutionalDerivation`; see the book
    chapter *Gradient flow and its conservation laws*.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import Convolutional
    >>> net = Convolutional(d=4, L=2)
    >>> e0, e1 = np.eye(4)[0], np.eye(4)[1]
    >>> net.beta((e1, e1))          # delta_1 * delta_1 = delta_2
    array([0., 0., 1., 0.])
    """

    def __init__(self, d, L):
        self.d = _check_width(d, "d")
        self.L = check_depth(L, "L", maximum=MAX_DEPTH)
        self.k = 1
        self.shapes = tuple((self.d,) for _ in range(self.L))
        self.names = tuple(f"w{i + 1}" for i in range(self.L))
        check_param_count(self)

    def __repr__(self):
        return f"Convolutional(d={self.d}, L={self.L})"

    @staticmethod
    def _hat(P):
        return [np.fft.fft(w, axis=-1) for w in P]

    def _beta(self, P):
        prod = np.prod(np.stack(self._hat(P)), axis=0)
        return np.fft.ifft(prod, axis=-1).real[..., None]

    def _beta_vjp(self, P, Gb):
        Fg = np.fft.fft(Gb[..., 0], axis=-1)
        return tuple(np.fft.ifft(Fg * np.conj(p), axis=-1).real for p in _prod_except(self._hat(P)))

    def _beta_jvp(self, P, V):
        s = sum(v * p for v, p in zip(self._hat(V), _prod_except(self._hat(P))))
        return np.fft.ifft(s, axis=-1).real[..., None]

    def _beta_vjp_tangent(self, P, Gb, V):
        Fg = np.fft.fft(Gb[..., 0], axis=-1)
        T = _prod_except_tangent(self._hat(P), self._hat(V))
        return tuple(np.fft.ifft(Fg * np.conj(t), axis=-1).real for t in T)

    def _conserved(self, P):
        H = [np.abs(h) ** 2 / self.d for h in self._hat(P)]
        return {f"|F w{l + 1}|^2 - |F w{self.L}|^2": H[l] - H[-1] for l in range(self.L - 1)}
