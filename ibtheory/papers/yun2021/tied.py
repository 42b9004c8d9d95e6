r"""Theorem 3 with tied top singular values: which :math:`\ell_1` solution the flow selects.

When :math:`s_1 = \dots = s_r > s_{r+1}` for the compact SVD
:math:`M(x) = U_1\mathrm{diag}(s)U_2^\top`, every :math:`\rho\ge0` (times
:math:`\mathrm{sign}(y)`) supported on the tied set :math:`J` with
:math:`\|\rho\|_1 = 1/s_1` solves :math:`\min\|\rho\|_1` s.t. :math:`ys^\top\rho\ge1`, and
Theorem 3 only says the limit is *some* solution. The exact path of
:class:`TwoLayerPointDerivation`, :math:`a_j(\nu) = a_j\cosh(s_j\nu) + b_j\sinh(s_j\nu)`,
:math:`b_j(\nu) = a_j\sinh(s_j\nu) + b_j\cosh(s_j\nu)`, with
:math:`\nu\to\sigma\infty`, :math:`\sigma = \mathrm{sign}(y)`, gives
:math:`a_j(\nu)\approx\tfrac12e^{s_1|\nu|}(a_j + \sigma b_j)` and
:math:`b_j(\nu)\approx\sigma a_j(\nu)` on :math:`J`, and every other coordinate is smaller by
:math:`e^{-(s_1 - s_j)|\nu|}`. So

.. math::

    \eta_1^\infty\propto(a + \sigma b)\odot\mathbf 1_J,\qquad \eta_2^\infty = \sigma\eta_1^\infty,
    \qquad \rho^\infty\propto\sigma\,(a + \sigma b)^{\odot2}\odot\mathbf 1_J,

fixed by the initialization. :func:`tied_limit` computes it; :func:`tied_instance` draws a
point whose data tensor has tied top singular values, and the experiment
:func:`tied_single_point` checks the flow against the path and the path against the limit.

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._contracts import Report
from ..._validation import as_real_array, check_int
from .._experiment import experiment
from .data import PointInstance, rng_for
from .figures_checks import tied_single_point_figure
from .tensors import angle

__all__ = ["tied_limit", "tied_instance", "TiedSinglePoint", "tied_single_point"]


def tied_limit(s, a, b, y, *, rtol=1e-9):
    r"""Limit directions :math:`(\eta_1, \eta_2)` (unit norm, in the SVD bases) and :math:`\rho` (with :math:`ys^\top\rho = 1`).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import tied_limit
    >>> eta1, eta2, rho = tied_limit(np.array([2., 2., 1.]), np.array([1., 1., 1.]),
    ...                              np.array([0.5, 0., 0.]), -1.0)
    >>> np.round(rho, 6)       # (a - b)^2 = (0.25, 1) on the tied pair, scaled to -y s'rho = ... = 1
    array([-0.1, -0.4,  0. ])

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    s, a, b = (as_real_array(v, n) for v, n in ((s, "s"), (a, "a"), (b, "b")))
    if not (s.ndim == 1 and s.shape == a.shape == b.shape):
        raise ValueError("s, a, b must be vectors of the same length")
    if np.any(np.diff(s) > 0) or np.any(s <= 0):
        raise ValueError("s must be positive and non-increasing (singular values)")
    if not np.all(a**2 > b**2):
        raise ValueError("the initialization condition a_j^2 > b_j^2 must hold")
    y = float(y)
    if y == 0:
        raise ValueError("y must be nonzero")
    sig = np.sign(y)
    J = s >= s[0] * (1 - rtol)
    eta1 = np.where(J, a + sig * b, 0.0)
    eta1 = eta1 / np.linalg.norm(eta1)
    rho = sig * eta1**2
    return eta1, sig * eta1, rho / (y * (s @ rho))


def tied_instance(rng, tied=2, d=3, k1=4, k2=3, gap=0.5):
    r"""A point and a data tensor with ``tied`` equal top singular values of :math:`M(x)`.

    :math:`M(x) = U_1\mathrm{diag}(s)U_2^\top` with random orthonormal :math:`U_1, U_2`,
    :math:`s = (s_1, \dots, s_1, s_{r+1}, \dots)`, :math:`s_{r+1}\le(1 - \text{gap})s_1`; the
    tensor is :math:`T = x\otimes M(x)/\|x\|^2` plus a random part orthogonal to :math:`x`
    (so :math:`M(x)` is exact). Directions as in :func:`two_layer_point_instance`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import rng_for, tied_instance
    >>> inst = tied_instance(rng_for(0))
    >>> bool(abs(inst.s[0] - inst.s[1]) < 1e-12), inst.init_margin > 0
    (True, True)

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    d, k1, k2 = (check_int(v, n, minimum=1) for v, n in ((d, "d"), (k1, "k1"), (k2, "k2")))
    m = min(k1, k2)
    tied = check_int(tied, "tied", minimum=2, maximum=m)
    s1 = rng.uniform(1.0, 2.0)
    rest = s1 * (1 - gap) * np.sort(rng.uniform(0.2, 1.0, m - tied))[::-1]
    s = np.concatenate([np.full(tied, s1), rest])
    U1 = np.linalg.qr(rng.standard_normal((k1, m)))[0]
    U2 = np.linalg.qr(rng.standard_normal((k2, m)))[0]
    x = rng.standard_normal(d)
    Mx = U1 @ np.diag(s) @ U2.T
    R = rng.standard_normal((d, k1, k2))
    R -= np.tensordot(x, np.tensordot(x, R, 1), 0) / (x @ x)      # R(x) = 0
    T = np.tensordot(x, Mx, 0) / (x @ x) + R
    a = rng.uniform(0.8, 1.2, m) * rng.choice([-1.0, 1.0], m)
    b = a * rng.uniform(-0.5, 0.5, m)
    return PointInstance(T=T, x=x, Mx=Mx, U1=U1, s=s, U2=U2, vbar1=U1 @ a, vbar2=U2 @ b)


@dataclasses.dataclass(frozen=True)
class TiedSinglePoint(Report):
    """Report of :func:`tied_single_point`: one row per seed."""

    seed: np.ndarray
    outcome: np.ndarray
    init_margin: np.ndarray
    path_error: np.ndarray       #: flow vs the closed-form path at nu = g^-1(f), relative
    limit_angle: np.ndarray      #: path at nu = sign(y) nu_far vs (U1 eta1, U2 eta2) of tied_limit
    rho_optimal: np.ndarray      #: ||rho||_1 s_1 - 1 of tied_limit's rho (0: an l1 solution)
    flow_tied_angle: np.ndarray  #: angle of U1'v1 restricted to the tied set to eta1, at s_max


@experiment("yun2021.tied_single_point", figure=tied_single_point_figure, presets={
    "smoke": {"seeds": (0,), "tied": 2, "s_max": 100.0, "nu_far": 80.0, "label": -1.0},
    "book": {"seeds": (0, 1, 2, 3, 4), "tied": 2, "s_max": 1e3, "nu_far": 80.0, "label": -1.0},
    "paper": {"seeds": tuple(range(20)), "tied": 2, "s_max": 1e4, "nu_far": 80.0, "label": -1.0}})
def tied_single_point(*, seeds, tied, s_max, nu_far, label):
    r"""Theorem 3 with ``tied`` equal top singular values: flow, exact path and the selected :math:`\ell_1` solution.

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from ...dynamics import logtime_flow
    from ...models import TensorNetwork
    from .closed_forms import g_inv, two_layer_point_path
    from .experiments import log_grid

    rows = []
    for seed in seeds:
        ins = tied_instance(rng_for(seed), tied)
        eta1, eta2, rho = tied_limit(ins.s, ins.a, ins.b, label)
        far1, far2 = two_layer_point_path(ins.Mx, ins.vbar1, ins.vbar2, np.sign(label) * nu_far / ins.s[0])
        lim = max(angle(far1, ins.U1 @ eta1), angle(far2, ins.U2 @ eta2))
        opt = abs(np.sum(np.abs(rho)) * ins.s[0] - 1.0)
        fl = logtime_flow(TensorNetwork(ins.T), (ins.vbar1, ins.vbar2), ins.x[None], np.array([label]),
                          s_max, log_grid(s_max / 100, s_max, 3))
        if not fl.success:
            rows.append((seed, "failed", ins.init_margin, np.nan, lim, opt, np.nan))
            continue
        err = 0.0
        for v1, v2 in fl.params:
            nu = g_inv(float(v1 @ ins.Mx @ v2), ins.s, ins.a, ins.b)
            c1, c2 = two_layer_point_path(ins.Mx, ins.vbar1, ins.vbar2, nu)
            err = max(err, max(np.max(np.abs(c1 - v1)), np.max(np.abs(c2 - v2))) / np.linalg.norm(v1))
        J = slice(0, tied)
        rows.append((seed, "converged", ins.init_margin, err, lim, opt,
                     angle((ins.U1.T @ fl.x[0])[J], eta1[J])))
    c = list(zip(*rows))
    return TiedSinglePoint(seed=np.array(c[0]), outcome=np.array(c[1]), init_margin=np.array(c[2], float),
                           path_error=np.array(c[3], float), limit_angle=np.array(c[4], float),
                           rho_optimal=np.array(c[5], float), flow_tied_angle=np.array(c[6], float))
