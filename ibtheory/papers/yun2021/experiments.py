r"""Experiments of Yun, Krishnan & Mobahi (2021), separable classification (exponential loss).

Each function is registered with :func:`ibtheory.papers.experiment` and
returns a frozen :class:`ibtheory.Report` with one row per run (``seed``,
``outcome``, final log-loss, the measured quantities) and the 2-D arrays
(run x log-time) a figure or a rate fit needs. Flows are followed in
log-time :math:`s = \log(1+t)` with :func:`ibtheory.dynamics.logtime_flow`
up to :math:`t = e^{s_{\max}}`. The regression experiments (Theorem 5,
Corollaries 5-6, Theorem 6) are in :mod:`.experiments_regression`, the
tensor identities in :mod:`.experiments_tensor`.

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._contracts import PER_RUN, Report
from ..._validation import check_int, check_positive
from .._experiment import experiment
from .data import rng_for, separable_instance, two_layer_point_instance
from .figures import conv_directions_figure, diagonal_directions_figure, flows_figure
from .figures_checks import single_point_figure
from .tensors import angle, init_margin, singular_vector_residual, support_size

__all__ = ["log_grid", "decay_fit", "FlowDirections", "exponential_flows", "DiagonalDirections",
           "diagonal_directions", "conv_directions", "SinglePoint", "single_point"]


def log_grid(s_min, s_max, num):
    """``num`` log-spaced log-times in ``[s_min, s_max]`` (validated).

    Examples
    --------
    >>> from ibtheory.papers.yun2021 import log_grid
    >>> log_grid(10, 1000, 3).tolist()
    [10.0, 100.0, 1000.0]

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    s_min, s_max = check_positive(s_min, "s_min"), check_positive(s_max, "s_max")
    num = check_int(num, "num", minimum=3)
    if s_max <= s_min:
        raise ValueError(f"s_max must exceed s_min, got {s_min} and {s_max}")
    return np.logspace(np.log10(s_min), np.log10(s_max), num)


def decay_fit(s, values, s_from, floor=1e-16):
    r"""Pooled log-log fit of a quantity's decay along the runs, from log-time ``s_from`` on.

    Each run's values (rows of ``values``) are divided by their value at the
    first log-time :math:`\ge` ``s_from`` (so every run starts at 1 and run-to-run
    constants drop out), floored at ``floor`` (round-off), and
    :func:`ibtheory.stats.loglog_fit` fits :math:`\log(v/v_0)` against :math:`\log s`
    over all runs at once: the slope is the ensemble's decay exponent, with a CI.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import decay_fit
    >>> s = np.logspace(1, 3, 5)
    >>> round(decay_fit(s, np.vstack([2 / s, 5 / s]), 10.0).slope, 12)
    -1.0

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from ...stats import loglog_fit

    s = np.asarray(s, dtype=float)
    values = np.atleast_2d(np.asarray(values, dtype=float))
    if values.shape[1] != s.size:
        raise ValueError(f"values must have one column per log-time ({s.size}), got {values.shape}")
    keep = s >= s_from
    if keep.sum() < 2:
        raise ValueError(f"s_from={s_from} leaves fewer than 2 log-times")
    v = np.maximum(values[:, keep], floor)
    v = v / v[:, :1]
    return loglog_fit(np.broadcast_to(s[keep], v.shape), v)


def _outcome(flow, s_max):
    """'converged' if the integrator succeeded and the loss is below e^(-s_max/2), else 'neither'/'failed'."""
    if not flow.success:
        return "failed"
    return "converged" if flow.log_loss[-1] < -s_max / 2 else "neither"


@dataclasses.dataclass(frozen=True)
class FlowDirections(Report):
    """Report of :func:`exponential_flows`: one row per (seed, network)."""

    seed: np.ndarray
    network: np.ndarray          #: "fc" (fully connected in tensor form) or "tensor" (random T)
    outcome: np.ndarray
    final_log_loss: np.ndarray   #: log of the exponential loss at s_max (the loss underflows)
    drift: np.ndarray            #: relative drift of the conservation laws (accuracy certificate)
    final_residual: np.ndarray   #: singular-vector residual of Theorem 1 at s_max
    final_angle_l2: np.ndarray   #: angle between beta and the l2 max-margin direction at s_max
    s: np.ndarray = dataclasses.field(metadata={"table": False})
    residual: np.ndarray = dataclasses.field(metadata=PER_RUN)     #: (run, s)
    u_increment: np.ndarray = dataclasses.field(metadata=PER_RUN)  #: (run, s-1)
    angle_l2: np.ndarray = dataclasses.field(metadata=PER_RUN)     #: (run, s)
    depth: int = 3
    s_fit_from: float = 100.0

    def runs(self, network):
        """Boolean mask of the rows of one network kind."""
        return self.network == network

    def fit(self, quantity, network):
        """:func:`decay_fit` of ``"residual"``, ``"u_increment"`` or ``"angle_l2"`` over the runs of ``network``."""
        if quantity not in ("residual", "u_increment", "angle_l2"):
            raise ValueError(f"quantity must be 'residual', 'u_increment' or 'angle_l2', got {quantity!r}")
        values = getattr(self, quantity)[self.runs(network)]
        s = self.s[1:] if quantity == "u_increment" else self.s
        return decay_fit(s, values, self.s_fit_from)


def _balance_drift(params):
    r"""Relative drift of :math:`\|v_l\|^2 - \|v_L\|^2` (conserved by the flow of any tensor network, any loss).

    :math:`\tfrac{d}{dt}\|v_l\|^2 = 2M(-X^\top r)\circ(v_1,\dots,v_L)` is the same for every l.
    """
    law = np.array([[np.sum(v**2) - np.sum(P[-1] ** 2) for v in P[:-1]] for P in params])
    scale = max(sum(float(np.sum(v**2)) for v in P) for P in params)
    return float(np.max(np.abs(law - law[0])) / scale)


@experiment("yun2021.exponential_flows", figure=flows_figure, presets={
    "smoke": {"seeds": (0,), "networks": ("fc",), "widths": (6, 3, 2), "ks": (2, 2, 2),
              "s_min": 10.0, "s_max": 100.0, "num": 5, "init_scale": 0.1, "s_fit_from": 10.0},
    "book": {"seeds": (0, 1, 2, 3, 4), "networks": ("fc", "tensor"), "widths": (6, 4, 3),
             "ks": (3, 3, 3), "s_min": 10.0, "s_max": 1e4, "num": 13, "init_scale": 0.1,
             "s_fit_from": 100.0},
    "paper": {"seeds": tuple(range(10)), "networks": ("fc", "tensor"), "widths": (6, 4, 3),
              "ks": (3, 3, 3), "s_min": 10.0, "s_max": 1e5, "num": 17, "init_scale": 0.1,
              "s_fit_from": 100.0}})
def exponential_flows(*, seeds, networks, widths, ks, s_min, s_max, num, init_scale, s_fit_from):
    r"""Theorem 1 and Corollary 1: exponential-loss flows of L-layer tensor networks in log-time.

    Per seed: a separable instance (n = 4, d = 6), then for each network kind
    (``"fc"``: the fully connected network with ``widths`` in tensor form;
    ``"tensor"``: a random Gaussian data tensor with mode sizes ``ks``) an
    initialization :math:`\mathcal N(0, \text{init\_scale}^2)`, all drawn from the
    seed's generator. Recorded along the run: the singular-vector residual of
    Theorem 1 with :math:`u = X^\top r/\|X^\top r\|`, the angle between
    successive :math:`u` on the log-grid (the theorem's hypothesis: :math:`u`
    converges in direction) and the angle of :math:`\beta` to the
    :math:`\ell_2` max-margin direction (the limit of Corollary 1 for ``"fc"``).

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from ...dynamics import logtime_flow
    from ...models import DeepLinear, tensor_form
    from ...models import TensorNetwork
    from ...solvers import max_margin

    if len(widths) != len(ks) or len(ks) < 2:
        raise ValueError("widths (d, d_2, ..., d_{L-1}) and ks (k_1, ..., k_L) must describe the same depth L")
    s_eval = log_grid(s_min, s_max, num)
    fc = DeepLinear(list(widths) + [1])
    fc_tensor, to_v = tensor_form(fc) if "fc" in networks else (None, None)
    rows = []
    for seed in seeds:
        rng = rng_for(seed)
        X, y = separable_instance(rng, 4, widths[0])
        z2 = max_margin(X, y, p=2).x
        for kind in networks:
            if kind == "fc":   # flow of DeepLinear (fast); residual on its tensor form
                net, T, as_v = fc, fc_tensor.T, to_v
            elif kind == "tensor":
                net = TensorNetwork(rng.standard_normal((widths[0],) + tuple(ks)))
                T, as_v = net.T, tuple
            else:
                raise ValueError(f"networks must hold 'fc' and/or 'tensor', got {kind!r}")
            p0 = tuple(init_scale * rng.standard_normal(sh) for sh in net.shapes)
            fl = logtime_flow(net, p0, X, y, s_max, s_eval)
            nan = np.full(num, np.nan)
            if not fl.success:
                rows.append((seed, kind, "failed", np.nan, np.nan, nan, nan[1:], nan))
                continue
            vs = [as_v(P) for P in fl.params]
            us = [X.T @ (y * np.exp(s - y * (X @ b))) for s, b in zip(fl.s, fl.beta)]
            res = np.array([singular_vector_residual(T, u / np.linalg.norm(u), v)[0]
                            for u, v in zip(us, vs)])
            inc = np.array([angle(us[k], us[k + 1]) for k in range(num - 1)])
            ang = np.array([angle(b, z2) for b in fl.beta])
            rows.append((seed, kind, _outcome(fl, s_max), fl.log_loss[-1], _balance_drift(vs),
                         res, inc, ang))
    col = list(zip(*rows))
    res, inc, ang = (np.array(c) for c in col[5:8])
    return FlowDirections(
        seed=np.array(col[0]), network=np.array(col[1]), outcome=np.array(col[2]),
        final_log_loss=np.array(col[3], float), drift=np.array(col[4], float),
        final_residual=res[:, -1], final_angle_l2=ang[:, -1], s=s_eval, residual=res,
        u_increment=inc, angle_l2=ang, depth=len(ks), s_fit_from=float(s_fit_from))


@dataclasses.dataclass(frozen=True)
class DiagonalDirections(Report):
    """Report of :func:`diagonal_directions` (and :func:`conv_directions`): one row per (seed, L)."""

    seed: np.ndarray
    L: np.ndarray
    outcome: np.ndarray
    final_log_loss: np.ndarray
    drift: np.ndarray
    init_margin: np.ndarray       #: lambda of the initialization condition (> 0)
    final_angle: np.ndarray       #: angle of beta to the solver's point at s_max
    final_kkt: np.ndarray         #: l_{2/L} KKT residual of beta at s_max
    support: np.ndarray           #: support size of the flow's direction (entries > 1e-3 max)
    polished: np.ndarray          #: polish_stationary certified a stationary point near beta
    angle_flow_vs_solver: np.ndarray  #: angle between that point and max_margin(p=2/L)
    objective_flow: np.ndarray    #: ||z||_{2/L} of the flow's stationary point (margin 1)
    objective_solver: np.ndarray  #: ||z||_{2/L} of the solver's point
    failure_angle: np.ndarray     #: L = 2, lambda = 0: final angle to the l1 direction
    failure_stuck: np.ndarray     #: L = 2, lambda = 0: beta_j kept its wrong sign all along
    failure_bound: np.ndarray     #: arcsin(|z_j|/||z||): least angle to z of any beta with the wrong sign on j
    s: np.ndarray = dataclasses.field(metadata={"table": False})
    angle: np.ndarray = dataclasses.field(metadata=PER_RUN)   #: (run, s)
    kkt: np.ndarray = dataclasses.field(metadata=PER_RUN)     #: (run, s)
    beta_final: np.ndarray = dataclasses.field(metadata=PER_RUN)  #: (run, d)
    s_fit_from: float = 100.0

    def fit(self, quantity, L):
        """:func:`decay_fit` of ``"angle"`` or ``"kkt"`` over the runs of depth ``L``."""
        if quantity not in ("angle", "kkt"):
            raise ValueError(f"quantity must be 'angle' or 'kkt', got {quantity!r}")
        return decay_fit(self.s, getattr(self, quantity)[self.L == L], self.s_fit_from)


def _diag_run(net, wb, X, y, L, s_max, s_eval, ref, kind):
    from ...dynamics import logtime_flow
    from ...solvers import SolverError, lp_margin_kkt_residual, polish_stationary

    p = 2.0 / L
    fl = logtime_flow(net, tuple(wb), X, y, s_max, s_eval)
    lam = init_margin(wb, kind)
    if not fl.success:
        nan = np.full(s_eval.size, np.nan)
        return ("failed", np.nan, np.nan, lam, nan, nan, 0, False, np.nan, np.nan, np.nan,
                np.full(X.shape[1], np.nan))
    ang = np.array([angle(b, ref.x) for b in fl.beta])
    kkt = (np.array([lp_margin_kkt_residual(X, y, b, p) for b in fl.beta]) if kind == "diag"
           else np.full(s_eval.size, np.nan))
    b = fl.beta[-1]
    sup = support_size(b, 1e-3)
    pol_ok, a_fs, obj_f = False, np.nan, np.nan
    if kind == "diag":
        try:
            pol = polish_stationary(X, y, b, p)
            pol_ok, a_fs, obj_f = True, angle(pol.x, ref.x), pol.fun ** (1 / p)
        except SolverError:
            pass
    A = y[:, None] * X
    obj_s = np.sum(np.abs(ref.x / np.min(A @ ref.x)) ** p) ** (1 / p)
    return (_outcome(fl, s_max), fl.log_loss[-1], fl.drift, lam, ang, kkt, sup, pol_ok, a_fs,
            obj_f, obj_s, b)


@experiment("yun2021.diagonal_directions", figure=diagonal_directions_figure, presets={
    "smoke": {"seeds": (0,), "depths": (2, 3), "d": 6, "n": 4, "s_min": 10.0, "s_max": 100.0,
              "num": 5, "last_scale": 0.5, "s_fit_from": 10.0},
    "book": {"seeds": (0, 1, 2, 3, 4), "depths": (2, 3, 4), "d": 6, "n": 4, "s_min": 10.0,
             "s_max": 1e4, "num": 13, "last_scale": 0.5, "s_fit_from": 100.0},
    "paper": {"seeds": tuple(range(20)), "depths": (2, 3, 4), "d": 6, "n": 4, "s_min": 10.0,
              "s_max": 1e5, "num": 17, "last_scale": 0.5, "s_fit_from": 100.0}})
def diagonal_directions(*, seeds, depths, d, n, s_min, s_max, num, last_scale, s_fit_from):
    r"""Corollary 2: L-layer diagonal networks, exponential loss, :math:`\bar w_l = \mathbf 1`, :math:`\bar w_L = \text{last\_scale}\,\mathbf 1`.

    Per seed a separable instance (n, d) from the seed's generator; for each L
    the flow in log-time, the angle of :math:`\beta` to
    :func:`ibtheory.solvers.max_margin` with :math:`p = 2/L` (the :math:`\ell_1`
    solution for L = 2, one stationary point for L >= 3), the KKT residual of
    the :math:`\ell_{2/L}` problem at :math:`\beta/\min_i y_ix_i^\top\beta`
    (:func:`ibtheory.solvers.lp_margin_kkt_residual`), and, for L >= 3, the
    stationary point the flow selects (:func:`ibtheory.solvers.polish_stationary`)
    compared with the solver's. For L = 2 a second run with the condition broken
    (:math:`\lambda = 0`: :math:`\bar w_{2,j} = -\mathrm{sign}(z_j)\bar w_{1,j}` on the
    largest coordinate :math:`j` of the :math:`\ell_1` solution :math:`z`).

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from ...dynamics import logtime_flow
    from ...models import Diagonal
    from ...solvers import max_margin

    s_eval = log_grid(s_min, s_max, num)
    last_scale = check_positive(last_scale, "last_scale")
    if last_scale >= 1:
        raise ValueError("last_scale must be < 1 (the initialization condition needs lambda > 0)")
    rows = []
    for seed in seeds:
        X, y = separable_instance(rng_for(seed), n, d)
        for L in depths:
            L = check_int(L, "depths", minimum=2)
            ref = max_margin(X, y, p=2.0 / L)
            wb = [np.ones(d)] * (L - 1) + [last_scale * np.ones(d)]
            r = _diag_run(Diagonal(d, L), wb, X, y, L, s_max, s_eval, ref, "diag")
            fail_angle, stuck, bound = np.nan, False, np.nan
            if L == 2:
                j = int(np.argmax(np.abs(ref.x)))
                w2 = last_scale * np.ones(d)
                w2[j] = -np.sign(ref.x[j])
                bound = float(np.arcsin(abs(ref.x[j]) / np.linalg.norm(ref.x)))
                bad = logtime_flow(Diagonal(d, 2), (np.ones(d), w2), X, y, s_max, s_eval)
                if bad.success:
                    fail_angle = angle(bad.beta[-1], ref.x)
                    stuck = bool(np.all(np.sign(bad.beta[:, j]) == -np.sign(ref.x[j])))
            rows.append((seed, L) + r + (fail_angle, stuck, bound))
    return _diag_report(rows, s_eval, s_fit_from)


def _diag_report(rows, s_eval, s_fit_from):
    c = list(zip(*rows))
    return DiagonalDirections(
        seed=np.array(c[0]), L=np.array(c[1]), outcome=np.array(c[2]),
        final_log_loss=np.array(c[3], float), drift=np.array(c[4], float),
        init_margin=np.array(c[5], float), final_angle=np.array(c[6])[:, -1],
        final_kkt=np.array(c[7])[:, -1], support=np.array(c[8]), polished=np.array(c[9], bool),
        angle_flow_vs_solver=np.array(c[10], float), objective_flow=np.array(c[11], float),
        objective_solver=np.array(c[12], float), failure_angle=np.array(c[14], float),
        failure_stuck=np.array(c[15], bool), failure_bound=np.array(c[16], float), s=s_eval, angle=np.array(c[6]), kkt=np.array(c[7]),
        beta_final=np.array(c[13]), s_fit_from=float(s_fit_from))


@experiment("yun2021.conv_directions", figure=conv_directions_figure, presets={
    "smoke": {"seeds": (0,), "d": 6, "n": 4, "s_min": 10.0, "s_max": 100.0, "num": 5,
              "offset": 0.1, "last_scale": 0.5, "s_fit_from": 10.0},
    "book": {"seeds": (0, 1, 2, 3, 4), "d": 6, "n": 4, "s_min": 10.0, "s_max": 1e4, "num": 13,
             "offset": 0.1, "last_scale": 0.5, "s_fit_from": 100.0},
    "paper": {"seeds": tuple(range(20)), "d": 6, "n": 4, "s_min": 10.0, "s_max": 1e5, "num": 17,
              "offset": 0.1, "last_scale": 0.5, "s_fit_from": 100.0}})
def conv_directions(*, seeds, d, n, s_min, s_max, num, offset, last_scale, s_fit_from):
    r"""Corollary 3: 2-layer full-length convolutional networks, :math:`\bar w_1 = e_0 + \text{offset}\,\mathbf 1`, :math:`\bar w_2 = \text{last\_scale}\,e_0`.

    Per seed a separable instance; the angle of :math:`\beta` to
    :func:`ibtheory.solvers.fourier_max_margin` (L = 2) along the run.

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from ...solvers import fourier_max_margin
    from .conv_short import ShortConvolutional

    s_eval = log_grid(s_min, s_max, num)
    e = np.eye(d)[0]
    wb = [e + offset, last_scale * e]
    if init_margin(wb, "conv") <= 0:
        raise ValueError("offset and last_scale violate the initialization condition (lambda <= 0)")
    rows = []
    for seed in seeds:
        X, y = separable_instance(rng_for(seed), n, d)
        ref = fourier_max_margin(X, y, 2)
        # the full-length network (models.Convolutional) with DFTs as matrix products: faster at small d
        r = _diag_run(ShortConvolutional(d, (d, d)), wb, X, y, 2, s_max, s_eval, ref, "conv")
        rows.append((seed, 2) + r + (np.nan, False, np.nan))
    return _diag_report(rows, s_eval, s_fit_from)


@dataclasses.dataclass(frozen=True)
class SinglePoint(Report):
    """Report of :func:`single_point` (Theorem 3): one row per seed."""

    seed: np.ndarray
    outcome: np.ndarray
    init_margin: np.ndarray
    path_error: np.ndarray        #: max over recorded s of |flow - closed-form path| / |v1|
    limit_angle: np.ndarray       #: angle of |U'v| on the path to |eta| at nu = nu_far
    signs_ok: np.ndarray          #: sign(eta1) = sign(y) sign(eta2) on the support
    nu_final: np.ndarray          #: nu = g^-1(f) at s_max (grows like log s)
    flow_angle: np.ndarray        #: angle of |U1'v1| of the flow at s_max to |eta|


@experiment("yun2021.single_point", figure=single_point_figure, presets={
    "smoke": {"seeds": (0,), "s_max": 100.0, "nu_far": 40.0, "label": -1.0},
    "book": {"seeds": (0, 1, 2, 3, 4), "s_max": 1e3, "nu_far": 40.0, "label": -1.0},
    "paper": {"seeds": tuple(range(20)), "s_max": 1e4, "nu_far": 40.0, "label": -1.0}})
def single_point(*, seeds, s_max, nu_far, label):
    r"""Theorem 3: a two-layer tensor network on one point, exponential loss.

    Per seed a random 3x4x3 tensor, point and initial directions
    (:func:`two_layer_point_instance`); the flow in log-time is compared with
    the exact path :func:`two_layer_point_path` at :math:`\nu = g^{-1}(f)`, and the
    path's direction at :math:`\nu = \mathrm{sign}(y)\,\text{nu\_far}/(s_1 - s_2)` with
    :math:`U\eta`, :math:`|\eta| = |\rho|^{1/2}`, :math:`\rho` the :math:`\ell_1`
    max-margin solution on the singular values.

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from ...dynamics import logtime_flow
    from ...solvers import max_margin
    from ...models import TensorNetwork
    from .closed_forms import g_inv, two_layer_point_path

    if label not in (-1.0, 1.0):
        raise ValueError(f"label must be -1.0 or 1.0, got {label!r}")
    rows = []
    for seed in seeds:
        ins = two_layer_point_instance(rng_for(seed))
        fl = logtime_flow(TensorNetwork(ins.T), (ins.vbar1, ins.vbar2), ins.x[None],
                          np.array([label]), s_max, log_grid(s_max / 100, s_max, 3))
        rho = max_margin(ins.s[None], np.array([label]), p=1).x
        eta = np.sqrt(np.abs(rho))
        far1, far2 = two_layer_point_path(ins.Mx, ins.vbar1, ins.vbar2,
                                          np.sign(label) * nu_far / (ins.s[0] - ins.s[1]),
                                          scaled=True)  # a direction: no overflow for close s_1, s_2
        e1, e2 = ins.U1.T @ far1, ins.U2.T @ far2
        on = eta > 0
        signs = bool(np.all(np.sign(e1[on]) == np.sign(label) * np.sign(e2[on])))
        lim = max(angle(np.abs(e1), eta), angle(np.abs(e2), eta))
        if not fl.success:
            rows.append((seed, "failed", ins.init_margin, np.nan, lim, signs, np.nan, np.nan))
            continue
        err, nu = 0.0, np.nan
        for v1, v2 in fl.params:
            nu = g_inv(float(v1 @ ins.Mx @ v2), ins.s, ins.a, ins.b)
            c1, c2 = two_layer_point_path(ins.Mx, ins.vbar1, ins.vbar2, nu)
            err = max(err, max(np.max(np.abs(c1 - v1)), np.max(np.abs(c2 - v2))) / np.linalg.norm(v1))
        rows.append((seed, "converged", ins.init_margin, err, lim, signs, nu,
                     angle(np.abs(ins.U1.T @ fl.x[0]), eta)))
    c = list(zip(*rows))
    return SinglePoint(seed=np.array(c[0]), outcome=np.array(c[1]), init_margin=np.array(c[2]),
                       path_error=np.array(c[3], float), limit_angle=np.array(c[4], float),
                       signs_ok=np.array(c[5], bool), nu_final=np.array(c[6], float),
                       flow_angle=np.array(c[7], float))


from . import experiments_regression as _regression  # noqa: E402,F401  (registers the rest)
from . import experiments_tensor as _tensor  # noqa: E402,F401
from . import odn as _odn  # noqa: E402,F401
from . import tied as _tied  # noqa: E402,F401
