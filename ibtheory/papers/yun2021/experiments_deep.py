r"""Corollaries 3 and 6 of Yun et al. (2021) on deep full-length convolutional networks (:math:`L\ge3`, :math:`d\ge6`).

- :func:`fourier_margin_kkt_residual`: the threshold-free KKT residual of
  :math:`\min\|Fz\|_{2/L}` s.t. :math:`y_ix_i^\top z\ge1` (Corollary 3 for :math:`L\ge3`
  predicts a stationary point of this non-convex problem);
- :func:`deep_conv_directions` (Corollary 3) and :func:`deep_conv_regression`
  (Corollary 6): flows of the full-length network (:class:`.ShortConvolutional` with every
  :math:`k_l = d`, the network of :class:`ibtheory.models.Convolutional` with DFTs as
  matrix products, several times faster at these sizes) against
  :func:`ibtheory.solvers.fourier_max_margin` and
  :func:`ibtheory.solvers.fourier_qnorm_interpolator`.

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._contracts import PER_RUN, Report
from ..._validation import as_real_array, check_depth
from .._experiment import experiment
from .conv_short import ShortConvolutional
from .data import even_regression_instance, rng_for, separable_instance
from .figures import deep_conv_directions_figure
from .figures_regression import deep_conv_regression_figure
from .tensors import angle, init_margin

__all__ = ["fourier_margin_kkt_residual", "DeepConvDirections", "deep_conv_directions",
           "DeepConvRegression", "deep_conv_regression"]


def fourier_margin_kkt_residual(X, y, z, L):
    r"""Relative KKT residual of ``z`` for :math:`\min\sum_m|\hat z_m|^{p}` s.t. :math:`y_ix_i^\top z\ge1`, :math:`p = 2/L`.

    ``z`` is scaled to minimum margin 1. With the unnormalised DFT :math:`\hat z = Fz`,
    stationarity on the support reads :math:`p|\hat z_m|^{p-2}\hat z_m = [F A^\top\mu]_m/d`;
    multiplied by :math:`\overline{\hat z_m}` it needs no support threshold:

    .. math::

        r(z) = \min_{\mu\ge0}\frac{\big\|p|\hat z|^{p} - \overline{\hat z}\odot FA^\top\mu/d\big\|_2^2
        + \|\mu\odot(Az - \mathbf 1)\|_2^2}{\|p|\hat z|^p\|_2^2}

    (:math:`A` the rows :math:`y_ix_i^\top`; real and imaginary parts stacked, NNLS; square root
    returned). It is 0 at stationary points and decays along a flow that converges in
    direction to one.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import fourier_margin_kkt_residual
    >>> X, y = np.array([[1., 1., 1., 1.]]), np.array([1.])     # x_hat = 4 e_0: z = e_0-frequency
    >>> fourier_margin_kkt_residual(X, y, np.ones(4), 3)
    0.0
    >>> bool(fourier_margin_kkt_residual(X, y, np.array([1., 0., 0., 0.]), 3) > 0.1)
    True

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from scipy.optimize import nnls

    X, y, z = as_real_array(X, "X"), as_real_array(y, "y"), as_real_array(z, "z")
    L = check_depth(L, "L")
    if X.ndim != 2 or y.shape != (X.shape[0],) or z.shape != (X.shape[1],):
        raise ValueError("X must be (n, d), y (n,), z (d,)")
    A = y[:, None] * X
    m = float(np.min(A @ z))
    if not m > 0:
        raise ValueError("z must separate the data (min_i y_i x_i'z > 0)")
    z = z / m
    p, d = 2.0 / L, z.size
    zh = np.fft.fft(z)
    g = p * np.abs(zh) ** p
    cols = np.conj(zh)[:, None] * np.fft.fft(A, axis=1).T / d          # (d, n)
    Mtx = np.vstack([cols.real, cols.imag, np.diag(A @ z - 1.0)])
    _, res = nnls(Mtx, np.concatenate([g, np.zeros(d + A.shape[0])]), maxiter=50 * A.shape[0] + 50)
    return float(res / np.linalg.norm(g))


@dataclasses.dataclass(frozen=True)
class DeepConvDirections(Report):
    """Report of :func:`deep_conv_directions` (Corollary 3): one row per (seed, d, L)."""

    seed: np.ndarray
    d: np.ndarray
    L: np.ndarray
    outcome: np.ndarray
    final_log_loss: np.ndarray
    drift: np.ndarray
    init_margin: np.ndarray
    final_kkt: np.ndarray         #: Fourier l_{2/L} KKT residual of beta at s_max
    solver_kkt: np.ndarray        #: the same residual at fourier_max_margin's point
    final_angle: np.ndarray       #: angle of beta to fourier_max_margin's stationary point
    s: np.ndarray = dataclasses.field(metadata={"table": False})
    kkt: np.ndarray = dataclasses.field(metadata=PER_RUN)   #: (run, s)
    s_fit_from: float = 100.0

    def fit(self, d=None, L=None):
        """Pooled :func:`decay_fit` of the KKT residual over the runs of (d, L), or over all runs (no arguments)."""
        from .experiments import decay_fit

        m = np.ones(self.seed.size, bool) if d is None and L is None else (self.d == d) & (self.L == L)
        if not m.any():
            raise ValueError(f"(d, L) must be one of the cases run, got {(d, L)!r}")
        m &= np.all(np.isfinite(self.kkt), axis=1)   # failed runs are counted by their outcome
        if not m.any():
            raise ValueError(f"no run of {(d, L)!r} finished: see the outcome column")
        return decay_fit(self.s, self.kkt[m], self.s_fit_from)


@experiment("yun2021.deep_conv_directions", figure=deep_conv_directions_figure, presets={
    "smoke": {"seeds": (0,), "cases": ((6, 3),), "n": 4, "s_min": 10.0, "s_max": 100.0, "num": 5,
              "offset": 0.1, "last_scale": 0.5, "s_fit_from": 10.0},
    "book": {"seeds": (0, 1, 2), "cases": ((6, 3), (8, 4), (6, 6)), "n": 4, "s_min": 10.0, "s_max": 1e6,
             "num": 21, "offset": 0.1, "last_scale": 0.5, "s_fit_from": 1e3},
    "paper": {"seeds": tuple(range(10)), "cases": ((6, 3), (6, 4), (8, 3), (8, 4), (8, 6)), "n": 4,
              "s_min": 10.0, "s_max": 1e7, "num": 25, "offset": 0.1, "last_scale": 0.5, "s_fit_from": 1e3}})
def deep_conv_directions(*, seeds, cases, n, s_min, s_max, num, offset, last_scale, s_fit_from):
    r"""Corollary 3 at depth :math:`L\ge3`: exponential-loss flows of full-length convolutional networks.

    Per seed and (d, L) in ``cases``: a separable instance (n, d) from the seed's generator,
    :math:`\bar w_l = e_0 + \text{offset}\,\mathbf 1` (:math:`l<L`),
    :math:`\bar w_L = \text{last\_scale}\,e_0`; the log-time flow, the KKT residual
    :func:`fourier_margin_kkt_residual` of :math:`\beta` along the run, and the angle to the
    stationary point :func:`ibtheory.solvers.fourier_max_margin` returns. The book preset runs to
    :math:`s = 10^6` and fits from :math:`s = 10^3`: a run can pass near one stationary point
    and leave it (its residual rises for a while, e.g. seed 10004 at d = 6, L = 3 up to
    :math:`s\approx10^5`) before it settles (the problem is
    non-convex: the flow may select another stationary point; the residual is the check;
    NaN where the solver cannot certify its point).

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from ...dynamics import logtime_flow
    from ...solvers import SolverError, fourier_max_margin
    from .experiments import _outcome, log_grid
    from .tolerances import FOURIER_CERTIFICATE

    s_eval = log_grid(s_min, s_max, num)
    rows = []
    for seed in seeds:
        for d, L in cases:
            X, y = separable_instance(rng_for(seed), n, d)
            e = np.eye(d)[0]
            wb = [e + offset] * (L - 1) + [last_scale * e]
            lam = init_margin(wb, "conv")
            if lam <= 0:
                raise ValueError("offset and last_scale violate the initialization condition (lambda <= 0)")
            net = ShortConvolutional(d, (d,) * L)
            try:   # the non-convex L >= 3 solve stalls near 2e-8 on some instances (tolerances.FOURIER_CERTIFICATE)
                ref = fourier_max_margin(X, y, L, tol=FOURIER_CERTIFICATE).x
            except SolverError:
                ref = None
            fl = logtime_flow(net, tuple(wb), X, y, s_max, s_eval)
            if not fl.success:
                rows.append((seed, d, L, "failed", np.nan, np.nan, lam, np.nan, np.nan, np.nan, np.full(num, np.nan)))
                continue
            kkt = np.array([fourier_margin_kkt_residual(X, y, b, L) for b in fl.beta])
            rows.append((seed, d, L, _outcome(fl, s_max), fl.log_loss[-1], fl.drift, lam, kkt[-1],
                         np.nan if ref is None else fourier_margin_kkt_residual(X, y, ref, L),
                         np.nan if ref is None else angle(fl.beta[-1], ref), kkt))
    c = list(zip(*rows))
    return DeepConvDirections(seed=np.array(c[0]), d=np.array(c[1]), L=np.array(c[2]), outcome=np.array(c[3]),
                              final_log_loss=np.array(c[4], float), drift=np.array(c[5], float),
                              init_margin=np.array(c[6], float), final_kkt=np.array(c[7], float),
                              solver_kkt=np.array(c[8], float), final_angle=np.array(c[9], float),
                              s=s_eval, kkt=np.array(c[10]), s_fit_from=float(s_fit_from))


@dataclasses.dataclass(frozen=True)
class DeepConvRegression(Report):
    """Report of :func:`deep_conv_regression` (Corollary 6): one row per (seed, d, L, alpha)."""

    seed: np.ndarray
    d: np.ndarray
    L: np.ndarray
    alpha: np.ndarray
    outcome: np.ndarray
    final_loss: np.ndarray
    min_fourier_wbar: np.ndarray   #: min_j |[F wbar]_j| (must be > 0)
    error: np.ndarray              #: flow vs fourier_qnorm_interpolator (derived scaling), relative
    error_printed: np.ndarray      #: flow vs the problem as printed, relative to the derived limit


@experiment("yun2021.deep_conv_regression", figure=deep_conv_regression_figure, presets={
    "smoke": {"seeds": (0,), "cases": ((6, 3, 0.5),), "n": 2},
    "book": {"seeds": (0, 1), "cases": ((6, 3, 0.5), (8, 4, 1.0), (6, 6, 1.0)), "n": 3},
    "paper": {"seeds": tuple(range(10)), "cases": ((6, 3, 0.5), (6, 4, 1.0), (6, 6, 1.0), (8, 3, 0.5),
                                                   (8, 4, 1.0), (8, 6, 1.0), (8, 6, 0.3)), "n": 3}})
def deep_conv_regression(*, seeds, cases, n):
    r"""Corollary 6 at depth :math:`L\ge3` and :math:`d\ge6`: square-loss flows from :math:`w_l(0) = \alpha\bar w`, :math:`w_L(0) = 0`.

    Per seed and (d, L, alpha) in ``cases``: even data and even :math:`\bar w`
    (:func:`even_regression_instance`, n points); the flow run to relative stationarity
    :math:`10^{-10}` (:func:`regression_limit`, DOP853 rtol :math:`10^{-12}`) against
    :func:`ibtheory.solvers.fourier_qnorm_interpolator` with the derived scaling and as printed.

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from ...models import Convolutional, yun_init
    from ...solvers import fourier_qnorm_interpolator
    from .experiments_regression import regression_limit

    rows = []
    for seed in seeds:
        for d, L, alpha in cases:
            X, y, wbar = even_regression_instance(rng_for(seed), n, d)
            net = ShortConvolutional(d, (d,) * L)
            res = regression_limit(net, yun_init(Convolutional(d, L), alpha, wbar), X, y, rtol=1e-12)
            beta = net.beta(res.x)
            zd = fourier_qnorm_interpolator(X, y, L, alpha, wbar).x
            zp = fourier_qnorm_interpolator(X, y, L, alpha, wbar, scaling="printed").x
            scale = float(np.max(np.abs(zd)))
            rows.append((seed, d, L, alpha, "converged" if res.success else "neither", res.fun,
                         float(np.min(np.abs(np.fft.fft(wbar, norm="ortho")))),
                         float(np.max(np.abs(beta - zd))) / scale, float(np.max(np.abs(beta - zp))) / scale))
    c = list(zip(*rows))
    return DeepConvRegression(seed=np.array(c[0]), d=np.array(c[1]), L=np.array(c[2]),
                              alpha=np.array(c[3], float), outcome=np.array(c[4]),
                              final_loss=np.array(c[5], float), min_fourier_wbar=np.array(c[6], float),
                              error=np.array(c[7], float), error_printed=np.array(c[8], float))
