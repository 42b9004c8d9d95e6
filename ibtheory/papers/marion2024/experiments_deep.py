r"""Gradient flow from a small initialization at depths up to 10, through the saddle (issue 16).

At depth :math:`L` the flow from scale :math:`s` leaves the saddle at 0 after a time of order
:math:`s^{2-L}` (about :math:`10^{25}` at :math:`L = 10` under the corollary's hypothesis), which no
time-stepping integrator reaches. The path is the same in arc length :math:`\sigma`:

.. math::

    \frac{d\theta}{d\sigma} = -\frac{\nabla R(\theta)}{\|\nabla R(\theta)\|},\qquad
    \frac{dt}{d\sigma} = \frac1{\|\nabla R(\theta)\|},

integrated (DOP853) until the excess risk has halved; the flow is then continued in time by
:func:`ibtheory.dynamics.gradient_flow` to stationarity. The scale is chosen so that the
corollary's hypothesis :math:`32L\sqrt{\varepsilon_0}` is about ``hypothesis`` at
initialization (:math:`\varepsilon_0 = \max_k\|W_k(0)\|_F^2 \approx d^2s^2`); the conservation laws
:math:`W_{k+1}^\top W_{k+1} - W_kW_k^\top` are checked over the whole path (``drift``, relative to
:math:`\varepsilon_0`, since the rank-one property lives at that scale).

See the book chapter *Deep linear networks are implicitly regularized towards flat
minima* (``book/marion2024.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._validation import check_int, check_positive
from .._experiment import experiment
from . import closed_forms as cf
from .data import make_data
from .experiments import child_rng, child_seed
from .experiments_flow import FlowLimitReport, flow_limit
from .figures import figure_deep_flow

__all__ = ["DeepFlowReport", "deep_small_init_flow"]


def _chain_grad(Ws, Sigma, c):
    """Gradient of beta^T Sigma beta - 2 c^T beta for layers W_1..W_L (W_L one row)."""
    L = len(Ws)
    a = [None] * (L + 1)
    a[L] = np.ones(1)
    for k in range(L - 1, -1, -1):
        a[k] = Ws[k].T @ a[k + 1]
    v = 2.0 * (Sigma @ a[0] - c)
    grads = []
    for k in range(L):
        grads.append(np.outer(a[k + 1], v))
        v = Ws[k] @ v
    return a[0], grads


def _conserved(Ws):
    return [Ws[k + 1].T @ Ws[k + 1] - Ws[k] @ Ws[k].T for k in range(len(Ws) - 1)]


def _arc_length_escape(Ws0, D, rtol, max_sigma=1e3):
    """Integrate the arc-length flow until the excess risk halves; returns (layers, t, sigma, ok)."""
    from scipy.integrate import solve_ivp

    shapes = [W.shape for W in Ws0]
    sizes = [int(np.prod(s)) for s in shapes]
    e0 = float(D.pi_star @ D.Sigma @ D.pi_star)

    def unpack(th):
        out, i = [], 0
        for s, m in zip(shapes, sizes):
            out.append(th[i:i + m].reshape(s))
            i += m
        return out

    def rhs(_, y):
        beta, g = _chain_grad(unpack(y[:-1]), D.Sigma, D.c)
        gv = np.concatenate([x.ravel() for x in g])
        nrm = np.linalg.norm(gv)
        return np.concatenate([-gv / nrm, [1.0 / nrm]])

    def halved(_, y):
        beta, _g = _chain_grad(unpack(y[:-1]), D.Sigma, D.c)
        e = beta - D.pi_star
        return float(e @ D.Sigma @ e) - 0.5 * e0

    halved.terminal, halved.direction = True, -1
    th0 = np.concatenate([W.ravel() for W in Ws0] + [[0.0]])
    scale = float(np.max(np.abs(th0)))
    sol = solve_ivp(rhs, (0.0, max_sigma), th0, method="DOP853", rtol=rtol, atol=rtol * scale, events=halved)
    y = sol.y[:, -1]
    return unpack(y[:-1]), float(y[-1]), float(sol.t[-1]), bool(sol.status == 1)


@dataclasses.dataclass(frozen=True)
class DeepFlowReport(FlowLimitReport):
    """Per flow: the corollary's quantities and PL constants at depths up to 10 (see the module docstring)."""

    t_escape: np.ndarray
    target_hypothesis: float = 0.0
    n: int = 0
    d: int = 0


@experiment("marion2024.deep_small_init_flow", figure=figure_deep_flow, presets={
    "smoke": {"seeds": (0,), "depths": (3,), "hypothesis": 0.5, "n": 50, "d": 5, "rtol": 1e-10},
    "book": {"seeds": (0,), "depths": (2, 4, 6, 8, 10), "hypothesis": 0.5, "n": 50, "d": 5, "rtol": 1e-11},
    "paper": {"seeds": tuple(range(5)), "depths": tuple(range(2, 11)), "hypothesis": 0.5, "n": 50, "d": 5,
              "rtol": 1e-11},
})
def deep_small_init_flow(*, seeds, depths, hypothesis, n, d, rtol):
    r"""Small-init gradient flow at depths up to 10 through the saddle (module docstring).

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import deep_small_init_flow
    >>> rep = deep_small_init_flow("smoke")
    >>> bool(rep.success[0]), bool(rep.hypothesis[0] <= 1), bool(rep.drift[0] < 1e-6)
    (True, True, True)
    """
    from ...dynamics import Problem
    from ...models import DeepLinear

    hypothesis = check_positive(hypothesis, "hypothesis")
    rows = []
    for s in seeds:
        D = make_data(n=n, d=d, seed=child_seed(s, 0))
        prob = Problem(D.X, D.y, loss="mean")
        for L in depths:
            L = check_int(L, "depths entry", minimum=2)
            net = DeepLinear([d] * L + [1])
            rng = child_rng(s, 1, L)
            scale = hypothesis / (32 * L * d)
            p0 = [scale * rng.standard_normal(shape) for shape in net.shapes]
            eps0 = cf.init_epsilon(p0)
            Ws, t_esc, _, ok = _arc_length_escape(p0, D, rtol)
            r = prob.gradient_flow(net, tuple(Ws), rtol=rtol, stat_tol=max(1e-8, 100 * rtol),
                                   record=("grad_norm", "beta"))
            C0, C1 = _conserved(p0), _conserved(list(r.x))
            drift = max([float(np.linalg.norm(a - b)) for a, b in zip(C0, C1)] + [0.0]) / eps0
            cols, _ = flow_limit(prob, net, r, D, eps0, L)
            rows.append(dict(cols, seed=s, depth=L, success=bool(ok and r.success), t_escape=t_esc, drift=drift))
    return DeepFlowReport.from_rows(rows, target_hypothesis=hypothesis, n=n, d=d)
