r"""SymPy derivations for convolutional networks of Yun, Krishnan & Mobahi (2021).

- :class:`ShortConvDerivation`: filters shorter than the signal (:math:`k_l < d`). The
  network written with circular convolutions of zero-padded filters equals the
  contraction of the full-filter tensor restricted to :math:`[k_1]\times\cdots\times[k_L]`;
  the gradient of a short filter is the first :math:`k_l` entries of the full-length
  gradient; and :math:`M(u)\circ(w_1,\dots,I_{k_l},\dots,w_L) = P_{k_l}(u\star\ast_{m\ne l}w_m)`
  (the form of Theorem 1's conclusion used by
  :func:`~ibtheory.papers.yun2021.conv_stationarity_residual`).
- :class:`ConvPointDerivation`: the two-layer full-length data tensor in the Fourier
  basis (Corollary 4): :math:`\widehat{M(x)v} = \hat x\odot\overline{\hat v}`, hence
  singular values :math:`|\hat x_m|`, tied in pairs :math:`(m, d-m)` for real :math:`x`, and
  :math:`\widehat{w * M(x)w} = \hat x\odot|\hat w|^2`.

Both are checked at a fixed small size with fully symbolic real entries.

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from __future__ import annotations

import functools
import itertools

import sympy as sp

from ..._validation import check_int
from ...symbolic import Derivation

__all__ = ["ShortConvDerivation", "ConvPointDerivation"]


def _circ_conv(a, b, d):
    return [sum(a[j] * b[(i - j) % d] for j in range(d)) for i in range(d)]


def _xcorr(a, b, d):
    return [sum(a[(i + j) % d] * b[j] for j in range(d)) for i in range(d)]


def _dft(a, d):
    w = sp.exp(-2 * sp.pi * sp.I / d)
    return [sum(a[j] * w ** (j * m) for j in range(d)) for m in range(d)]


class ShortConvDerivation(Derivation):
    r"""Convolutional network with filter lengths ``ks`` (:math:`k_L = d`), symbolic.

    ``output`` is :math:`((x\star w_1)\star\cdots\star w_{L-1})^\top w_L` with the filters
    zero-padded (circular cross-correlations written out); ``tensor_output`` is
    :math:`\sum_{j_l<k_l}x_{(j_1+\cdots+j_L)\bmod d}\prod_l[w_l]_{j_l}`.

    Examples
    --------
    >>> from ibtheory.papers.yun2021 import ShortConvDerivation
    >>> D = ShortConvDerivation(d=3, ks=(2, 3))
    >>> D.holds
    True

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """

    def __init__(self, d=4, ks=(2, 3, 4)):
        self.d = check_int(d, "d", minimum=2, maximum=6)
        if not isinstance(ks, tuple) or len(ks) < 2 or ks[-1] != self.d or \
                any(check_int(k, "ks", minimum=1, maximum=self.d) < 1 for k in ks):
            raise ValueError(f"ks must be a tuple (k_1, ..., k_L), L >= 2, 1 <= k_l <= d, k_L = d; got {ks!r}")
        self.ks = ks
        self.x = sp.symbols(f"x0:{d}", real=True)
        self.u = sp.symbols(f"u0:{d}", real=True)
        self.w = [sp.symbols(f"w{l + 1}_0:{k}", real=True) for l, k in enumerate(ks)]

    def padded(self, l):
        """Filter ``l`` zero-padded to length d."""
        return list(self.w[l]) + [0] * (self.d - self.ks[l])

    @functools.cached_property
    def output(self):
        h = list(self.x)
        for l in range(len(self.ks) - 1):
            h = _xcorr(h, self.padded(l), self.d)
        return sp.expand(sum(a * b for a, b in zip(h, self.w[-1])))

    def _contract(self, vec, skip=None):
        """sum over the box of vec[(sum j) mod d] prod_{l != skip} w_l[j_l]; a list over j_skip if skip is set."""
        out = [0] * self.ks[skip] if skip is not None else 0
        for idx in itertools.product(*[range(k) for k in self.ks]):
            term = vec[sum(idx) % self.d]
            for l, j in enumerate(idx):
                if l != skip:
                    term *= self.w[l][j]
            if skip is None:
                out += term
            else:
                out[idx[skip]] += term
        return out

    @functools.cached_property
    def tensor_output(self):
        return sp.expand(self._contract(self.x))

    @functools.cached_property
    def residuals(self):
        res = {"output = restricted full-filter tensor": self.output - self.tensor_output}
        full = [sp.Symbol(f"W{l + 1}_{j}", real=True) for l in range(len(self.ks)) for j in range(self.d)]
        W = [full[l * self.d:(l + 1) * self.d] for l in range(len(self.ks))]
        h = list(self.x)
        for l in range(len(self.ks) - 1):
            h = _xcorr(h, W[l], self.d)
        f_full = sum(a * b for a, b in zip(h, W[-1]))
        sub = {W[l][j]: (self.w[l][j] if j < self.ks[l] else 0) for l in range(len(self.ks)) for j in range(self.d)}
        for l, k in enumerate(self.ks):
            g = self._contract(self.u, skip=l)
            others = [self.padded(m) for m in range(len(self.ks)) if m != l]
            c = [1] + [0] * (self.d - 1)
            for p in others:
                c = _circ_conv(c, p, self.d)
            corr = _xcorr(list(self.u), c, self.d)
            for j in range(k):
                res[f"d f/d w{l + 1}[{j}] = full gradient restricted"] = sp.expand(
                    sp.diff(self.output, self.w[l][j]) - sp.diff(f_full, W[l][j]).subs(sub))
                res[f"M(u) o (.., I, ..) [{l + 1}][{j}] = P_k(u xcorr conv(others))"] = sp.expand(g[j] - corr[j])
        return res


class ConvPointDerivation(Derivation):
    r"""Two-layer full-length convolutional data tensor in the Fourier basis (Corollary 4), symbolic.

    With :math:`[M(x)]_{j_1j_2} = x_{(j_1+j_2)\bmod d}` and the unnormalised DFT
    :math:`\hat a_m = \sum_j a_je^{-2\pi ijm/d}`, for real :math:`x, v, w`:
    :math:`\widehat{M(x)v}_m = \hat x_m\overline{\hat v_m}`, so :math:`M(x)^2` acts as
    :math:`|\hat x_m|^2` and the singular values are :math:`|\hat x_m|`
    (:math:`|\hat x_{d-m}| = |\hat x_m|`: tied pairs); and
    :math:`\widehat{w * (M(x)w)}_m = \hat x_m|\hat w_m|^2`, which makes the limit of
    :math:`\beta = w_1 * w_2` with :math:`w_2\propto M(x)w_1` independent of the phase of
    :math:`\hat w_1`.

    Examples
    --------
    >>> from ibtheory.papers.yun2021 import ConvPointDerivation
    >>> ConvPointDerivation(d=4).holds
    True

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """

    def __init__(self, d=4):
        self.d = check_int(d, "d", minimum=2, maximum=6)
        self.x = sp.symbols(f"x0:{d}", real=True)
        self.v = sp.symbols(f"v0:{d}", real=True)

    def Mx(self, v):
        """:math:`M(x)v`, entry by entry."""
        return [sum(self.x[(i + j) % self.d] * v[j] for j in range(self.d)) for i in range(self.d)]

    @functools.cached_property
    def residuals(self):
        d = self.d
        xh, vh = _dft(self.x, d), _dft(self.v, d)
        Mv = self.Mx(self.v)
        Mvh = _dft(Mv, d)
        MMvh = _dft(self.Mx(Mv), d)
        bh = _dft(_circ_conv(self.v, Mv, d), d)
        res = {}
        for m in range(d):
            res[f"DFT(M v)[{m}] - xhat conj(vhat)"] = sp.expand(Mvh[m] - xh[m] * sp.conjugate(vh[m]))
            res[f"DFT(M^2 v)[{m}] - |xhat|^2 vhat"] = sp.expand(MMvh[m] - xh[m] * sp.conjugate(xh[m]) * vh[m])
            res[f"DFT(v * M v)[{m}] - xhat |vhat|^2"] = sp.expand(bh[m] - xh[m] * vh[m] * sp.conjugate(vh[m]))
            res[f"|xhat[{m}]|^2 - |xhat[{(d - m) % d}]|^2"] = sp.expand(
                xh[m] * sp.conjugate(xh[m]) - xh[(d - m) % d] * sp.conjugate(xh[(d - m) % d]))
        return res
