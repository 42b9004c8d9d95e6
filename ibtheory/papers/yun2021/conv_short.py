r"""Convolutional networks with filters shorter than the signal (:math:`k_l < d`) and Theorem 1 on them.

The general convolutional network of Yun et al. has filters :math:`w_l\in\mathbb R^{k_l}`,
:math:`k_l\le d`, :math:`k_L = d`, each a circular convolution with a filter that is zero
outside its first :math:`k_l` entries:

.. math::

    f(x) = \big(\cdots(x\star w_1)\star\cdots\star w_{L-1}\big)^\top w_L,\qquad
    [M_{\rm conv}(x)]_{j_1\cdots j_L} = x_{(j_1+\cdots+j_L)\bmod d},\quad j_l < k_l

(0-based). Padding :math:`w_l` with zeros to length :math:`d` gives the full-length
network, so :math:`M_{\rm conv}` is the restriction of the full-filter tensor to the box
:math:`[k_1]\times\cdots\times[k_L]` and the gradient of a short filter is the first
:math:`k_l` entries of the full-length gradient
(:class:`~ibtheory.papers.yun2021.derivation_conv.ShortConvDerivation`). Contracting all
modes but :math:`l` gives the cross-correlation of :math:`u` with the convolution of the
other (padded) filters, so the conclusion of Theorem 1 reads, for this network,

.. math::

    \sigma\,\hat w_l = P_{k_l}\Big(u\star\mathop{\ast}_{m\ne l}w_m\Big),\qquad
    \hat w_l = w_l/\|w_l\|,\quad u = \lim X^\top r/\|X^\top r\|\ \text{(up to sign)},

with :math:`P_k` keeping the first :math:`k` entries: :func:`conv_stationarity_residual`
measures it with FFTs, a route that shares nothing with the data tensor
(:func:`short_conv_tensor` + :func:`~ibtheory.papers.yun2021.singular_vector_residual`).

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from __future__ import annotations

import dataclasses
import functools
import numbers
import operator

import numpy as np

from ..._contracts import PER_RUN, Report
from ..._validation import as_real_array, check_int
from ...models import Convolutional
from .._experiment import experiment
from .data import rng_for, separable_instance
from .figures import short_conv_flows_figure
from .tensors import angle, singular_vector_residual

__all__ = ["ShortConvolutional", "short_conv_tensor", "conv_stationarity_residual",
           "ShortConvFlows", "short_conv_flows"]


def _check_ks(d, ks):
    d = check_int(d, "d", minimum=2)
    if not isinstance(ks, (list, tuple)) or len(ks) < 2:
        raise ValueError(f"ks must be a sequence (k_1, ..., k_L) of length L >= 2, got {ks!r}")
    out = []
    for k in ks:
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral) or not 1 <= k <= d:
            raise ValueError(f"ks must hold integers in [1, d={d}], got {ks!r}")
        out.append(int(k))
    if out[-1] != d:
        raise ValueError(f"ks[-1] must equal d = {d} (the last layer is a full-length vector), got {ks!r}")
    return d, tuple(out)


class ShortConvolutional(Convolutional):
    r"""L-layer linear circular convolutional network with filter lengths ``ks`` (:math:`k_L = d`).

    The filters are zero-padded to length :math:`d` and the full-length network of
    :class:`ibtheory.models.Convolutional` is evaluated (DFTs as products with the DFT
    matrix); the
    gradient of filter :math:`l` is the first :math:`k_l` entries of the full-length one.
    Gradient flow conserves :math:`\|w_l\|^2 - \|w_L\|^2` (the law of every tensor
    network); the Fourier-wise laws of full-length filters do not hold for :math:`k_l < d`
    (with every :math:`k_l = d` they are the monitored laws, and the class is a faster
    :class:`~ibtheory.models.Convolutional` at small :math:`d`).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import ShortConvolutional
    >>> net = ShortConvolutional(4, (2, 4))
    >>> np.round(net.beta((np.array([1., 1.]), np.eye(4)[0])), 12) + 0.0    # (1, 1, 0, 0) * delta_0
    array([1., 1., 0., 0.])

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """

    def __init__(self, d, ks):
        d, ks = _check_ks(d, ks)
        super().__init__(d, len(ks))
        self.ks = ks
        self.shapes = tuple((k,) for k in ks)
        jm = np.outer(np.arange(d), np.arange(d))
        self._dft = np.exp(-2j * np.pi * jm / d)
        self._idft = np.conj(self._dft) / d

    def __repr__(self):
        return f"ShortConvolutional(d={self.d}, ks={self.ks})"

    def _hat(self, P):
        # unnormalised DFT of the zero-padded filters as a product with the first k rows of the
        # DFT matrix (at these sizes a matmul is ~10x cheaper than numpy.fft's per-call overhead)
        return [w @ self._dft[: w.shape[-1]] for w in P]

    def _inverse(self, h, k=None):
        return (h @ self._idft[:, : (self.d if k is None else k)]).real

    @staticmethod
    def _others(hats):
        return [functools.reduce(operator.mul, hats[:l] + hats[l + 1:]) for l in range(len(hats))]

    def _beta(self, P):
        return self._inverse(functools.reduce(operator.mul, self._hat(P)))[..., None]

    def _beta_vjp(self, P, Gb):
        Fg = Gb[..., 0] @ self._dft
        return tuple(self._inverse(Fg * np.conj(p), k) for p, k in zip(self._others(self._hat(P)), self.ks))

    def _beta_jvp(self, P, V):
        return self._inverse(sum(v * p for v, p in zip(self._hat(V), self._others(self._hat(P)))))[..., None]

    def _beta_vjp_tangent(self, P, Gb, V):
        return tuple(g[..., :k] for g, k in zip(super()._beta_vjp_tangent(P, Gb, V), self.ks))

    def _conserved(self, P):
        if all(k == self.d for k in self.ks):      # full length: the Fourier-wise laws
            return super()._conserved(P)
        n = [np.sum(w**2, axis=-1, keepdims=True) for w in P]
        return {f"||w{l + 1}||^2 - ||w{self.L}||^2": n[l] - n[-1] for l in range(self.L - 1)}


def short_conv_tensor(d, ks):
    r"""Stacked data tensor :math:`T_j = M_{\rm conv}(e_j)`, shape ``(d, k_1, ..., k_L)``, entry by entry.

    :math:`[T_j]_{j_1\cdots j_L} = 1` iff :math:`j_1+\cdots+j_L\equiv j \pmod d`.

    Examples
    --------
    >>> from ibtheory.papers.yun2021 import short_conv_tensor
    >>> short_conv_tensor(3, (2, 3))[1]          # M(e_1): entries with j1 + j2 = 1 mod 3
    array([[0., 1., 0.],
           [1., 0., 0.]])

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    d, ks = _check_ks(d, ks)
    T = np.zeros((d,) + ks)
    for idx in np.ndindex(*ks):
        T[(sum(idx) % d,) + idx] = 1.0
    return T


def _xcorr(u, c):
    """[u star c]_i = sum_j u_{(i+j) mod d} c_j, by FFT (DFT of the result: u_hat conj(c_hat))."""
    return np.fft.ifft(np.fft.fft(u) * np.conj(np.fft.fft(c))).real


def conv_stationarity_residual(u, filters, d):
    r"""Residual of Theorem 1's conclusion for a short-filter convolutional network, by FFTs.

    :math:`\max_l\|P_{k_l}(u\star c_l) - \sigma\hat w_l\|/|\sigma|` with :math:`c_l` the
    circular convolution of the other unit filters (zero-padded) and
    :math:`\sigma = \langle\hat w_L, u\star c_L\rangle`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import conv_stationarity_residual
    >>> res, sig = conv_stationarity_residual(np.eye(3)[0], [np.array([1.]), np.eye(3)[0]], 3)
    >>> round(res, 12), round(sig, 12)
    (0.0, 1.0)

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    d = check_int(d, "d", minimum=1)
    u = as_real_array(u, "u")
    if u.shape != (d,):
        raise ValueError(f"u must be a vector of length d={d}, got shape {u.shape}")
    if isinstance(filters, np.ndarray) or not hasattr(filters, "__len__") or len(filters) == 0:
        raise ValueError("filters must be a non-empty list of 1-D filters (one per layer)")
    hats = [as_real_array(w, f"filters[{l}]") for l, w in enumerate(filters)]
    for l, w in enumerate(hats):
        if w.ndim != 1 or not 1 <= w.size <= d or not np.any(w):
            raise ValueError(f"filters[{l}] must be a nonzero 1-D filter of length 1..{d}, got shape {w.shape}")
    hats = [w / np.linalg.norm(w) for w in hats]
    padded = [np.concatenate([w, np.zeros(d - w.size)]) for w in hats]
    outs = []
    for l in range(len(padded)):
        c = np.eye(d)[0]
        for m, w in enumerate(padded):
            if m != l:
                c = np.fft.ifft(np.fft.fft(c) * np.fft.fft(w)).real
        outs.append(_xcorr(u, c)[: hats[l].size])
    sigma = float(hats[-1] @ outs[-1])
    if sigma == 0:
        raise ValueError("the filters are orthogonal to u's correlation (sigma = 0): the residual is undefined")
    return max(float(np.linalg.norm(g - sigma * h)) for g, h in zip(outs, hats)) / abs(sigma), sigma


@dataclasses.dataclass(frozen=True)
class ShortConvFlows(Report):
    """Report of :func:`short_conv_flows`: one row per seed."""

    seed: np.ndarray
    ks: np.ndarray               #: filter lengths (k_1, ..., k_L), as text
    outcome: np.ndarray
    final_log_loss: np.ndarray
    drift: np.ndarray            #: relative drift of ||w_l||^2 - ||w_L||^2 (accuracy certificate)
    tensor_error: np.ndarray     #: model output and gradient vs TensorNetwork(short_conv_tensor), relative
    fd_error: np.ndarray         #: model gradient vs central finite differences, relative
    final_residual: np.ndarray   #: Theorem 1 residual at s_max (data tensor route)
    routes_difference: np.ndarray  #: max over s of |residual (tensor) - residual (FFT)|
    s: np.ndarray = dataclasses.field(metadata={"table": False})
    residual: np.ndarray = dataclasses.field(metadata=PER_RUN)     #: (run, s)
    u_increment: np.ndarray = dataclasses.field(metadata=PER_RUN)  #: (run, s-1)
    s_fit_from: float = 100.0

    def fit(self, quantity, ks):
        """Pooled :func:`decay_fit` of ``"residual"`` or ``"u_increment"`` over the runs with filter lengths ``ks``.

        ``ks`` is a tuple of ints or its text as in the ``ks`` column.
        """
        from .experiments import decay_fit

        if quantity not in ("residual", "u_increment"):
            raise ValueError(f"quantity must be 'residual' or 'u_increment', got {quantity!r}")
        m = self.ks == (ks if isinstance(ks, str) else str(tuple(ks)))
        if not m.any():
            raise ValueError(f"ks must be one of {sorted(set(self.ks.tolist()))}, got {ks!r}")
        s = self.s[1:] if quantity == "u_increment" else self.s
        return decay_fit(s, getattr(self, quantity)[m], self.s_fit_from)


def _identity_errors(net, T, rng, X, y):
    """Output and gradient of the FFT model vs the tensor network, and vs finite differences."""
    from ...models import TensorNetwork

    tn = TensorNetwork(T)
    P = tuple(rng.standard_normal(k) for k in net.ks)
    f_net, f_tn = net.forward(P, X), tn.forward(P, X)
    g_net, g_tn = net.grad(P, X, y, "half_sum"), tn.grad(P, X, y, "half_sum")
    scale = max(1.0, max(float(np.max(np.abs(g))) for g in g_tn))
    t_err = max(float(np.max(np.abs(f_net - f_tn))) / max(1.0, float(np.max(np.abs(f_tn)))),
                max(float(np.max(np.abs(a - b))) for a, b in zip(g_net, g_tn)) / scale)
    h, fd = 1e-6, 0.0
    for l, k in enumerate(net.ks):
        for j in range(k):
            Pp = [p.copy() for p in P]
            Pm = [p.copy() for p in P]
            Pp[l][j] += h
            Pm[l][j] -= h
            num = (0.5 * np.sum((net.forward(Pp, X) - y) ** 2) - 0.5 * np.sum((net.forward(Pm, X) - y) ** 2)) / (2 * h)
            fd = max(fd, abs(num - g_net[l][j]) / scale)
    return t_err, fd


@experiment("yun2021.short_conv_flows", figure=short_conv_flows_figure, presets={
    "smoke": {"seeds": (0,), "d": 6, "filter_lengths": ((3, 6),), "n": 4, "s_min": 10.0, "s_max": 100.0,
              "num": 5, "init_scale": 0.3, "s_fit_from": 10.0},
    "book": {"seeds": (0, 1, 2, 3, 4), "d": 6, "filter_lengths": ((3, 6), (3, 4, 6)), "n": 4, "s_min": 10.0,
             "s_max": 1e6, "num": 21, "init_scale": 0.3, "s_fit_from": 1e3},
    "paper": {"seeds": tuple(range(20)), "d": 8, "filter_lengths": ((3, 8), (3, 5, 8), (2, 4, 6, 8)), "n": 4,
              "s_min": 10.0, "s_max": 1e7, "num": 25, "init_scale": 0.3, "s_fit_from": 1e3}})
def short_conv_flows(*, seeds, d, filter_lengths, n, s_min, s_max, num, init_scale, s_fit_from):
    r"""Theorem 1 on convolutional networks with filter lengths ``ks`` (:math:`k_l < d`), exponential loss.

    Per seed a separable instance (n, d), and per filter lengths ``ks`` in ``filter_lengths`` an initialization
    :math:`\mathcal N(0, \text{init\_scale}^2)` from the seed's generator. The FFT model
    :class:`ShortConvolutional` is checked against :class:`ibtheory.models.TensorNetwork`
    on :func:`short_conv_tensor` (outputs and square-loss gradients at random parameters)
    and against central finite differences; its log-time flow
    (:func:`ibtheory.dynamics.logtime_flow`) is followed to :math:`s_{\max}` and the
    singular-vector residual of Theorem 1 with :math:`u = -X^\top r/\|X^\top r\|` is
    measured by two routes: the data tensor (:func:`singular_vector_residual`) and
    :func:`conv_stationarity_residual` (FFTs). The hypothesis (increments of :math:`u`)
    is recorded.

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from .experiments import log_grid

    nets = [(ShortConvolutional(d, tuple(ks)), short_conv_tensor(d, tuple(ks))) for ks in filter_lengths]
    s_eval = log_grid(s_min, s_max, num)
    rows = []
    for seed in seeds:
        rng = rng_for(seed)
        X, y = separable_instance(rng, n, d)
        for net, T in nets:
            rows.append((seed, str(net.ks)) + _short_run(net, T, rng, X, y, s_max, s_eval, init_scale))
    c = list(zip(*rows))
    return ShortConvFlows(seed=np.array(c[0]), ks=np.array(c[1]), outcome=np.array(c[2]),
                          final_log_loss=np.array(c[3], float), drift=np.array(c[4], float),
                          tensor_error=np.array(c[5], float), fd_error=np.array(c[6], float),
                          final_residual=np.array(c[7], float), routes_difference=np.array(c[8], float),
                          s=s_eval, residual=np.array(c[9]), u_increment=np.array(c[10]),
                          s_fit_from=float(s_fit_from))


def _short_run(net, T, rng, X, y, s_max, s_eval, init_scale):
    from ...dynamics import logtime_flow
    from .experiments import _outcome

    d, num = net.d, s_eval.size
    p0 = tuple(init_scale * rng.standard_normal(k) for k in net.ks)
    t_err, fd = _identity_errors(net, T, rng, X, y)
    fl = logtime_flow(net, p0, X, y, s_max, s_eval)
    nan = np.full(num, np.nan)
    if not fl.success:
        return ("failed", np.nan, np.nan, t_err, fd, np.nan, np.nan, nan, nan[1:])
    us = [X.T @ (y * np.exp(s - y * (X @ b))) for s, b in zip(fl.s, fl.beta)]
    r_t = np.array([singular_vector_residual(T, u / np.linalg.norm(u), list(P))[0]
                    for u, P in zip(us, fl.params)])
    r_f = np.array([conv_stationarity_residual(u / np.linalg.norm(u), P, d)[0]
                    for u, P in zip(us, fl.params)])
    inc = np.array([angle(us[k], us[k + 1]) for k in range(num - 1)])
    return (_outcome(fl, s_max), fl.log_loss[-1], fl.drift, t_err, fd, r_t[-1],
            float(np.max(np.abs(r_t - r_f))), r_t, inc)
