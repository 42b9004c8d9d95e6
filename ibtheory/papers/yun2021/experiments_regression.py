r"""Experiments of Yun et al. (2021), underdetermined regression (square loss).

Theorem 5 / Corollary 5 (diagonal networks), the limits in :math:`\alpha`,
Corollary 6 (convolutional networks, even data) and Theorem 6 (two layers,
one point). Flows: :meth:`ibtheory.dynamics.Problem.gradient_flow` (DOP853)
until the function-space gradient :math:`\|X^\top(X\beta - y)\|` is below
``stat_tol`` of its initial value.

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from __future__ import annotations

import dataclasses
import functools

import numpy as np

from ..._contracts import PER_RUN, Report
from ..._validation import check_positive
from .._experiment import experiment
from .data import even_regression_instance, regression_instance, rng_for, two_layer_point_instance
from .figures import alpha_path_figure
from .figures_regression import (conv_regression_figure, diagonal_regression_figure,
                                 two_layer_point_regression_figure)

__all__ = ["regression_limit", "DiagonalRegression", "diagonal_regression", "AlphaPath",
           "alpha_path", "ConvRegression", "conv_regression", "PointRegression",
           "two_layer_point_regression"]

#: Gaps below this (relative) are solver round-off and are left out of the rate fits.
ROUND_OFF_FLOOR = 1e-11
#: The alpha grids of :func:`alpha_path` (the paper preset's, used by the book too): the path, the
#: small alphas of the gap to min-l1 and the large alphas of the gap to min-l2.
PATH_ALPHAS = tuple(float(a) for a in np.round(np.logspace(-1.25, 2, 53), 6))
SMALL_ALPHAS = tuple(float(a) for a in np.round(np.logspace(-2, -1.25, 7), 6))
LARGE_ALPHAS = tuple(float(a) for a in np.round(np.logspace(1, 2, 9), 6))
#: Stationarity at which flows stop (relative to the start) and their DOP853 tolerance.
STAT_TOL, FLOW_RTOL = 1e-10, 1e-13


def regression_limit(model, params, X, y, *, stat_tol=STAT_TOL, rtol=FLOW_RTOL):
    r"""Square-loss (``half_sum``) gradient flow run to relative stationarity ``stat_tol``: the flow result.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import Diagonal, yun_init
    >>> from ibtheory.papers.yun2021 import regression_limit
    >>> X, y = np.array([[1., 2.]]), np.array([1.])
    >>> res = regression_limit(Diagonal(2, 2), yun_init(Diagonal(2, 2), 1.0, np.ones(2)), X, y)
    >>> res.success, bool(abs(X @ Diagonal(2, 2).beta(res.x) - 1) < 1e-9)
    (True, True)

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from ...dynamics import Problem

    stat_tol, rtol = check_positive(stat_tol, "stat_tol"), check_positive(rtol, "rtol")
    # Rejected trial steps of the integrator can overflow; accepted ones are checked by the flow.
    with np.errstate(over="ignore", invalid="ignore"):
        return Problem(X, y, "half_sum").gradient_flow(model, params, stat_tol=stat_tol, rtol=rtol)


def _regression_limits(model, params_list, data):
    r""":func:`regression_limit` of many runs of one ``model``, run ``i`` on ``data[i] = (X, y)``, in one batch.

    :func:`ibtheory.dynamics.gradient_flow_batch` (one design per run); each result equals
    :func:`regression_limit`'s to the last bit (the batch replicates its DOP853 row by row,
    and stiff runs are redone by it).
    """
    from ...dynamics import gradient_flow_batch

    X = np.stack([np.asarray(x, float) for x, _ in data])
    y = np.stack([np.asarray(v, float) for _, v in data])
    with np.errstate(over="ignore", invalid="ignore"):
        return gradient_flow_batch(model, params_list, X, y, "half_sum", stat_tol=STAT_TOL, rtol=FLOW_RTOL)


def _rel(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@dataclasses.dataclass(frozen=True)
class DiagonalRegression(Report):
    """Report of :func:`diagonal_regression`: one row per (seed, L, alpha)."""

    seed: np.ndarray
    L: np.ndarray
    alpha: np.ndarray
    outcome: np.ndarray
    final_loss: np.ndarray
    error: np.ndarray            #: max|beta_flow - z_qnorm| / max|z_qnorm|


@experiment("yun2021.diagonal_regression", figure=diagonal_regression_figure, presets={
    "smoke": {"seeds": (0,), "depths": (2,), "alphas": (1.0,), "n": 3, "d": 6},
    "book": {"seeds": (0, 1, 2, 3, 4), "depths": (2, 3, 4), "alphas": (0.3, 1.0, 3.0), "n": 3, "d": 6},
    "paper": {"seeds": tuple(range(20)), "depths": (2, 3, 4), "alphas": (0.1, 0.3, 1.0, 3.0, 10.0),
              "n": 3, "d": 6}})
def diagonal_regression(*, seeds, depths, alphas, n, d):
    r"""Theorem 5 / Corollary 5: diagonal networks from :math:`w_l(0) = \alpha\bar w`, :math:`w_L(0) = 0`.

    Per seed a Gaussian instance and a signed :math:`\bar w` (:func:`regression_instance`);
    the flow's limit against :func:`ibtheory.solvers.qnorm_interpolator`.

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from ...models import Diagonal, yun_init
    from ...solvers import qnorm_interpolator

    inst = {seed: regression_instance(rng_for(seed), n, d) for seed in seeds}
    flows = {}
    for L in depths:        # one batch of flows per depth (one model)
        net = Diagonal(d, L)
        keys = [(seed, alpha) for seed in seeds for alpha in alphas]
        res = _regression_limits(net, [yun_init(net, a, inst[s][2]) for s, a in keys],
                                 [inst[s][:2] for s, _ in keys])
        flows.update({(s, L, a): r for (s, a), r in zip(keys, res)})
    rows = []
    for seed in seeds:
        X, y, wbar = inst[seed]
        for L in depths:
            for alpha in alphas:
                net = Diagonal(d, L)
                res = flows[seed, L, alpha]
                z = qnorm_interpolator(X, y, L, alpha, wbar).x
                err = _rel(net.beta(res.x), z) if res.success else np.nan
                rows.append((seed, L, alpha, "converged" if res.success else "neither", res.fun, err))
    c = list(zip(*rows))
    return DiagonalRegression(seed=np.array(c[0]), L=np.array(c[1]), alpha=np.array(c[2], float),
                              outcome=np.array(c[3]), final_loss=np.array(c[4], float),
                              error=np.array(c[5], float))


def _qnorm_once(solved, X, y, L, w, alpha):
    """qnorm_interpolator(X, y, L, alpha, w).x, solved once per alpha (``solved`` is the memo)."""
    from ...solvers import qnorm_interpolator

    if alpha not in solved:
        solved[alpha] = qnorm_interpolator(X, y, L, alpha, w).x
    return solved[alpha]


@dataclasses.dataclass(frozen=True)
class AlphaPath(Report):
    """Report of :func:`alpha_path`: one row per (seed, L); the paths as 3-D arrays."""

    seed: np.ndarray
    L: np.ndarray
    outcome: np.ndarray
    gap_l2_large: np.ndarray     #: max|z(alpha_max) - min-l2| / max|l1 - l2|
    gap_l1_small: np.ndarray     #: max|z(small_alphas[0]) - min-l1| / max|l1 - l2|
    alphas: np.ndarray = dataclasses.field(metadata={"table": False})
    path: np.ndarray = dataclasses.field(metadata=PER_RUN)        #: (run, alpha, d)
    small_alphas: np.ndarray = dataclasses.field(metadata={"table": False})
    gap_l1: np.ndarray = dataclasses.field(metadata=PER_RUN)      #: (run, small alpha)
    large_alphas: np.ndarray = dataclasses.field(metadata={"table": False})
    gap_l2: np.ndarray = dataclasses.field(metadata=PER_RUN)      #: (run, large alpha)
    l1: np.ndarray = dataclasses.field(metadata=PER_RUN)          #: (run, d)
    l2: np.ndarray = dataclasses.field(metadata=PER_RUN)          #: (run, d)
    flow_alphas: np.ndarray = dataclasses.field(metadata={"table": False})
    flow_beta: np.ndarray = dataclasses.field(metadata=PER_RUN)   #: (run, flow alpha, d); first seed
    flow_error: np.ndarray = dataclasses.field(metadata=PER_RUN)  #: (run, flow alpha)

    def gap_fit(self, L, end):
        """Pooled log-log fit over seeds of the gap to min-``end`` (``"l1"``: small alphas, ``"l2"``: large).

        Each seed's gaps are divided by its gap at the first alpha (run-to-run constants
        drop out); gaps below :data:`ROUND_OFF_FLOOR` are left out (solver round-off).

        See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
        """
        from ...stats import loglog_fit

        if end not in ("l1", "l2"):
            raise ValueError(f"end must be 'l1' or 'l2', got {end!r}")
        gaps = (self.gap_l1 if end == "l1" else self.gap_l2)[self.L == L]
        alphas = np.broadcast_to(self.small_alphas if end == "l1" else self.large_alphas, gaps.shape)
        if gaps.size == 0 or not np.all(gaps[:, 0] > ROUND_OFF_FLOOR):
            raise ValueError(f"no gap to min-{end} above round-off for L={L}")
        keep = gaps > ROUND_OFF_FLOOR
        return loglog_fit(alphas[keep], (gaps / gaps[:, :1])[keep])


@experiment("yun2021.alpha_path", figure=alpha_path_figure, presets={
    "smoke": {"seeds": (0,), "depths": (3,), "alphas": (0.1, 1.0, 10.0), "small_alphas": (0.01, 0.02, 0.05),
              "large_alphas": (3.0, 5.0, 10.0), "flow_alphas": (1.0,), "n": 3, "d": 6},
    # the book runs the paper's grids with 5 of its 20 seeds (the solver path costs little; the flows,
    # at flow_alphas only, are the same)
    "book": {"seeds": (0, 1, 2, 3, 4), "depths": (2, 3, 4), "alphas": PATH_ALPHAS, "small_alphas": SMALL_ALPHAS,
             "large_alphas": LARGE_ALPHAS, "flow_alphas": (0.1, 1.0, 10.0), "n": 3, "d": 6},
    "paper": {"seeds": tuple(range(20)), "depths": (2, 3, 4), "alphas": PATH_ALPHAS, "small_alphas": SMALL_ALPHAS,
              "large_alphas": LARGE_ALPHAS, "flow_alphas": (0.1, 1.0, 10.0), "n": 3, "d": 6}})
def alpha_path(*, seeds, depths, alphas, small_alphas, large_alphas, flow_alphas, n, d):
    r"""Corollary 5: the limit as a function of :math:`\alpha` (:math:`\bar w = \mathbf 1`), between min-:math:`\ell_1` and min-:math:`\ell_2`.

    Per seed and L: the solver's path over ``alphas``; the relative distance to the
    minimum-:math:`\ell_1` interpolator over ``small_alphas`` (only for L >= 3:
    the L = 2 solver overflows below :math:`\alpha\approx0.05`) and to the
    minimum-:math:`\ell_2` interpolator over ``large_alphas``; flows at
    ``flow_alphas`` against the path (the dots of the figure).

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from ...models import Diagonal, yun_init
    from ...solvers import min_l1_interpolator, min_l2_interpolator

    alphas, small, large = (np.asarray(a, float) for a in (alphas, small_alphas, large_alphas))
    flow_alphas = np.asarray(flow_alphas, float)
    inst = {seed: regression_instance(rng_for(seed), n, d)[:2] for seed in seeds}
    ones = np.ones(d)
    flows = {}
    for L in depths:        # one batch of flows per depth (one model)
        net = Diagonal(d, L)
        keys = [(seed, a) for seed in seeds for a in flow_alphas]
        res = _regression_limits(net, [yun_init(net, a, ones) for _, a in keys], [inst[s] for s, _ in keys])
        flows.update({(s, L, a): r for (s, a), r in zip(keys, res)})
    rows = []
    for seed in seeds:
        X, y = inst[seed]
        l1, l2 = min_l1_interpolator(X, y).x, min_l2_interpolator(X, y).x
        scale = np.max(np.abs(l1 - l2))
        for L in depths:
            solved = {}     # alpha -> solution: the grids share values (each solved once)
            z_of = functools.partial(_qnorm_once, solved, X, y, L, ones)
            path = np.array([z_of(a) for a in alphas])
            g1 = (np.array([np.max(np.abs(z_of(a) - l1)) for a in small])
                  / scale if L >= 3 else np.full(small.size, np.nan))
            g2 = np.array([np.max(np.abs(z_of(a) - l2)) for a in large]) / scale
            fb, fe, ok = [], [], True
            for a in flow_alphas:
                net = Diagonal(d, L)
                res = flows[seed, L, a]
                ok &= bool(res.success)
                fb.append(net.beta(res.x))
                fe.append(_rel(fb[-1], z_of(a)))
            rows.append((seed, L, "converged" if ok else "neither", g2[-1], g1[0], path, g1, g2, l1, l2,
                         np.array(fb), np.array(fe)))
    c = list(zip(*rows))
    return AlphaPath(seed=np.array(c[0]), L=np.array(c[1]), outcome=np.array(c[2]),
                     gap_l2_large=np.array(c[3], float), gap_l1_small=np.array(c[4], float),
                     alphas=alphas, path=np.array(c[5]), small_alphas=small, gap_l1=np.array(c[6]),
                     large_alphas=large, gap_l2=np.array(c[7]), l1=np.array(c[8]), l2=np.array(c[9]),
                     flow_alphas=flow_alphas, flow_beta=np.array(c[10]), flow_error=np.array(c[11]))


@dataclasses.dataclass(frozen=True)
class ConvRegression(Report):
    """Report of :func:`conv_regression`: one row per (seed, L, alpha)."""

    seed: np.ndarray
    L: np.ndarray
    alpha: np.ndarray
    outcome: np.ndarray
    final_loss: np.ndarray
    min_fourier_wbar: np.ndarray   #: min_j |[F wbar]_j| (must be > 0)
    error_derived: np.ndarray      #: flow vs the derived problem (with d^((L-1)/2))
    error_printed: np.ndarray      #: flow vs the problem as printed (unitary F, no factor)

    def printed_miss(self):
        """Per instance (seed, in order of first appearance): the largest ``error_printed`` over its cases."""
        return np.array([np.max(self.error_printed[self.seed == s]) for s in dict.fromkeys(self.seed.tolist())])

    def printed_resolution(self):
        """Per instance: the largest ``error_printed / error_derived`` over its cases."""
        ratio = self.error_printed / self.error_derived
        return np.array([np.max(ratio[self.seed == s]) for s in dict.fromkeys(self.seed.tolist())])


@experiment("yun2021.conv_regression", figure=conv_regression_figure, presets={
    "smoke": {"seeds": (0,), "cases": ((2, 0.5),), "n": 2, "d": 4},
    "book": {"seeds": (0, 1, 2, 3, 4), "cases": ((2, 0.5), (2, 2.0), (3, 0.5), (3, 2.0)), "n": 2, "d": 4},
    "paper": {"seeds": tuple(range(20)), "cases": ((2, 0.5), (2, 2.0), (3, 0.5), (3, 2.0), (4, 1.0)),
              "n": 2, "d": 4}})
def conv_regression(*, seeds, cases, n, d):
    r"""Corollary 6: convolutional networks, even data and even :math:`\bar w`, for each (L, alpha) in ``cases``.

    The flow's limit against :func:`ibtheory.solvers.fourier_qnorm_interpolator` with
    the derived scaling (``scaling="network"``) and as printed (``"printed"``).

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from ...models import Convolutional, yun_init
    from .conv_short import ShortConvolutional
    from ...solvers import fourier_qnorm_interpolator

    rows = []
    for seed in seeds:
        X, y, wbar = even_regression_instance(rng_for(seed), n, d)
        fmin = float(np.min(np.abs(np.fft.fft(wbar, norm="ortho"))))
        for L, alpha in cases:
            net = ShortConvolutional(d, (d,) * L)   # Convolutional with matrix DFTs (faster at small d)
            res = regression_limit(net, yun_init(Convolutional(d, L), alpha, wbar), X, y)
            beta = net.beta(res.x)
            zd = fourier_qnorm_interpolator(X, y, L, alpha, wbar).x
            zp = fourier_qnorm_interpolator(X, y, L, alpha, wbar, scaling="printed").x
            rows.append((seed, L, alpha, "converged" if res.success else "neither", res.fun, fmin,
                         _rel(beta, zd), float(np.max(np.abs(beta - zp)) / np.max(np.abs(zd)))))
    c = list(zip(*rows))
    return ConvRegression(seed=np.array(c[0]), L=np.array(c[1]), alpha=np.array(c[2], float),
                          outcome=np.array(c[3]), final_loss=np.array(c[4], float),
                          min_fourier_wbar=np.array(c[5], float), error_derived=np.array(c[6], float),
                          error_printed=np.array(c[7], float))


@dataclasses.dataclass(frozen=True)
class PointRegression(Report):
    """Report of :func:`two_layer_point_regression` (Theorem 6): one row per (seed, alpha)."""

    seed: np.ndarray
    alpha: np.ndarray
    outcome: np.ndarray
    final_loss: np.ndarray
    init_margin: np.ndarray
    nu: np.ndarray
    nu_difference: np.ndarray    #: |g_inv - g_inv_reference| s_1 / max(1, |nu s_1|): error of the arguments s nu
    error: np.ndarray            #: max |flow - closed form| over v1, v2
    error_printed: np.ndarray    #: max |v2 flow - printed v2|


@experiment("yun2021.two_layer_point_regression", figure=two_layer_point_regression_figure, presets={
    "smoke": {"seeds": (0,), "alphas": (1.0,), "target": 1.3},
    "book": {"seeds": (0, 1, 2, 3, 4), "alphas": (0.3, 1.0, 2.0), "target": 1.3},
    "paper": {"seeds": tuple(range(20)), "alphas": (0.3, 1.0, 2.0, 3.0), "target": 1.3}})
def two_layer_point_regression(*, seeds, alphas, target):
    r"""Theorem 6: two-layer tensor network, one point, square loss, from :math:`v_l(0) = \alpha\bar v_l`.

    The flow's limit against :func:`thm6_limits`; :math:`\nu^\infty` by the float64
    Newton iteration against :func:`ibtheory.reference.yun2021.g_inv_reference`;
    the seed's :func:`printed_thm6_v2` against the flow.

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from ...models import TensorNetwork
    from ...reference.yun2021 import g_inv_reference
    from .closed_forms import printed_thm6_v2, thm6_limits

    rows = []
    for seed in seeds:
        ins = two_layer_point_instance(rng_for(seed))
        for alpha in alphas:
            res = regression_limit(TensorNetwork(ins.T), (alpha * ins.vbar1, alpha * ins.vbar2),
                                   ins.x[None], np.array([target]), stat_tol=1e-11)
            lim = thm6_limits(ins.Mx, target, alpha, ins.vbar1, ins.vbar2)
            nu_mp = g_inv_reference(target / alpha**2, ins.s, ins.a, ins.b, dps=40)
            err = max(np.max(np.abs(res.x[0] - lim.v1)), np.max(np.abs(res.x[1] - lim.v2)))
            ep = np.max(np.abs(res.x[1] - printed_thm6_v2(ins.Mx, target, alpha, ins.vbar1, ins.vbar2)))
            rows.append((seed, alpha, "converged" if res.success else "neither", res.fun,
                         ins.init_margin, lim.nu,
                         abs(float(nu_mp - lim.nu)) * ins.s[0] / max(1.0, abs(lim.nu) * ins.s[0]), err, ep))
    c = list(zip(*rows))
    return PointRegression(seed=np.array(c[0]), alpha=np.array(c[1], float), outcome=np.array(c[2]),
                           final_loss=np.array(c[3], float), init_margin=np.array(c[4], float),
                           nu=np.array(c[5], float), nu_difference=np.array(c[6], float),
                           error=np.array(c[7], float), error_printed=np.array(c[8], float))
