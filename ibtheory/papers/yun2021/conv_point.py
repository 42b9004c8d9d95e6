r"""Corollary 4 (derived): a two-layer full-length convolutional network on one data point.

The slides name Corollary 4 but do not state it; this is the statement derived here.
For :math:`L = 2`, :math:`[M(x)]_{j_1j_2} = x_{(j_1+j_2)\bmod d}` and, with the unnormalised
DFT, :math:`\widehat{M(x)v} = \hat x\odot\overline{\hat v}`
(:class:`~ibtheory.papers.yun2021.ConvPointDerivation`): the singular values of
:math:`M(x)` are the moduli :math:`|\hat x_m|`, tied in pairs :math:`(m, d - m)` for real
:math:`x`. Theorem 3 with tied singular values (:mod:`.tied`: the limit is
:math:`P_J\bar v_1 + \sigma M_J\bar v_2/s_1` on the top singular space :math:`J`, basis-free)
then gives, with :math:`\sigma = \mathrm{sign}(y)` and :math:`J = \arg\max_m|\hat x_m|`,

.. math::

    \hat w_1^\infty\propto\mathbf 1_J\odot\Big(\hat{\bar w}_1 + \sigma\frac{\hat x}{|\hat x|}
    \odot\overline{\hat{\bar w}_2}\Big),\qquad
    \hat w_2^\infty = \sigma\frac{\hat x}{|\hat x|}\odot\overline{\hat w_1^\infty},\qquad
    \hat\beta^\infty = \hat w_1^\infty\odot\hat w_2^\infty
    = \sigma|\hat w_1^\infty|^2\frac{\hat x}{|\hat x|}\propto\sigma\,\mathbf 1_J\odot\hat x,

since :math:`|\hat w_{1,m}| = |\hat w_{1,d-m}|` for a real filter. **Corollary 4 (derived).**
If :math:`|F\bar w_1|^2 - |F\bar w_2|^2\ge\lambda > 0` entrywise, the filters converge in
direction to :math:`w_1^\infty, w_2^\infty` above (the initialization sets the phase of
:math:`\hat w_1^\infty` on the tied pair, i.e. the direction within the two-dimensional
top singular space), and :math:`\beta` converges in direction to
:math:`y\,\Pi_Jx`, the component of :math:`x` at its dominant frequency pair, whatever the
initialization: the solution of :math:`\min\|Fz\|_1` s.t. :math:`yx^\top z\ge1`
(Corollary 3 with one point) when the dominant pair is unique.

:func:`cor4_limit` computes the prediction by FFTs; the experiment
:func:`conv_single_point` checks the flow against the exact path of Theorem 3 (computed
from the SVD of :math:`M(x)`, a route without FFTs), the path at large :math:`|\nu|`
against the prediction, and the predicted :math:`\beta` against
:func:`ibtheory.solvers.fourier_max_margin`.

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._contracts import Report
from ..._validation import as_real_array, check_int
from .._experiment import experiment
from .data import rng_for
from .figures_checks import conv_single_point_figure
from .tensors import angle, data_tensor, init_margin

__all__ = ["Cor4Limit", "cor4_limit", "conv_point_instance", "ConvSinglePoint", "conv_single_point"]


@dataclasses.dataclass(frozen=True)
class Cor4Limit:
    """Limit directions of :func:`cor4_limit` (unit vectors) and the dominant frequencies."""

    w1: np.ndarray
    w2: np.ndarray
    beta: np.ndarray
    frequencies: tuple      #: J = argmax_m |x_hat_m| (closed under m -> d - m)


def cor4_limit(x, y, wbar1, wbar2, *, rtol=1e-9):
    r"""Corollary 4 (derived): limit directions of :math:`w_1, w_2, \beta` for one point, by FFTs.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import cor4_limit
    >>> x = np.array([0., 1., 0., 0.])            # |x_hat| = 1 everywhere: all frequencies tied
    >>> lim = cor4_limit(np.cos(np.pi * np.arange(4) / 2) + 0.1, 1.0, np.eye(4)[0], np.zeros(4))
    >>> lim.frequencies, np.round(lim.beta, 6)    # dominant pair m = 1, 3: beta ~ cos(pi j / 2)
    ((1, 3), array([ 0.707107,  0.      , -0.707107,  0.      ]))

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    x, w1, w2 = (as_real_array(v, n) for v, n in ((x, "x"), (wbar1, "wbar1"), (wbar2, "wbar2")))
    if not (x.ndim == 1 and x.shape == w1.shape == w2.shape):
        raise ValueError("x, wbar1, wbar2 must be vectors of the same length")
    y = float(y)
    if y == 0:
        raise ValueError("y must be nonzero")
    sig = np.sign(y)
    xh = np.fft.fft(x)
    mod = np.abs(xh)
    if mod.max() == 0:
        raise ValueError("x must be nonzero")
    J = mod >= mod.max() * (1 - rtol)
    ph = np.where(J, xh / np.where(mod > 0, mod, 1.0), 0.0)
    h1 = np.where(J, np.fft.fft(w1) + sig * ph * np.conj(np.fft.fft(w2)), 0.0)
    if not np.any(np.abs(h1) > 0):
        raise ValueError("the initialization has no component on the dominant frequencies")
    h2 = sig * ph * np.conj(h1)
    out = [np.fft.ifft(h).real for h in (h1, h2, h1 * h2)]
    w1i, w2i, b = (v / np.linalg.norm(v) for v in out)
    return Cor4Limit(w1=w1i, w2=w2i, beta=b, frequencies=tuple(int(m) for m in np.flatnonzero(J)))


def conv_point_instance(rng, d=6, ratio=(0.2, 0.6)):
    r"""One point :math:`x\sim\mathcal N(0, I_d)`, a label :math:`\pm1`, and initial filters with :math:`\lambda > 0`.

    :math:`\bar w_1\sim\mathcal N(0, I_d)`; :math:`\bar w_2` has the phases of a Gaussian
    vector and moduli :math:`|\hat{\bar w}_{2,m}| = c_m|\hat{\bar w}_{1,m}|`,
    :math:`c_m = c_{d-m}\sim U(\text{ratio})`, so :math:`|F\bar w_1|^2 - |F\bar w_2|^2 > 0`.

    Returns
    -------
    x, y, wbar1, wbar2

    Examples
    --------
    >>> from ibtheory.papers.yun2021 import conv_point_instance, init_margin, rng_for
    >>> x, y, w1, w2 = conv_point_instance(rng_for(0))
    >>> init_margin([w1, w2], "conv") > 0
    True

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    d = check_int(d, "d", minimum=2)
    lo, hi = ratio
    if not 0 < lo <= hi < 1:
        raise ValueError(f"ratio must satisfy 0 < ratio[0] <= ratio[1] < 1, got {ratio!r}")
    x = rng.standard_normal(d)
    y = float(rng.choice([-1.0, 1.0]))
    w1 = rng.standard_normal(d)
    g = np.fft.fft(rng.standard_normal(d))
    c = rng.uniform(lo, hi, d)
    c = 0.5 * (c + np.roll(c[::-1], 1))                    # c_m = c_{d-m}: w2 stays real
    w2 = np.fft.ifft(c * np.abs(np.fft.fft(w1)) * g / np.abs(g)).real
    return x, y, w1, w2


@dataclasses.dataclass(frozen=True)
class ConvSinglePoint(Report):
    """Report of :func:`conv_single_point`: one row per seed."""

    seed: np.ndarray
    outcome: np.ndarray
    label: np.ndarray
    frequencies: np.ndarray      #: dominant frequencies J, as text
    tied: np.ndarray             #: |J| = 2 (a tied pair of singular values)
    init_margin: np.ndarray      #: min_m |F wbar1|^2 - |F wbar2|^2
    final_log_loss: np.ndarray
    path_error: np.ndarray       #: flow vs the exact path at nu = g^-1(f), relative
    limit_angle: np.ndarray      #: path at large |nu| (SVD route) vs cor4_limit (FFT route): w1, w2, beta
    solver_angle: np.ndarray     #: cor4_limit beta vs fourier_max_margin(x, y, L=2)
    flow_beta_angle: np.ndarray  #: angle of the flow's beta to the predicted one at s_max
    flow_plane_angle: np.ndarray  #: w1 of the flow projected on the top pair vs predicted w1, at s_max


def _nu_of(f, s, a, b):
    """Root of the increasing g(nu) = f (basis-free within tied planes); bracket by doubling, then brentq."""
    from scipy.optimize import brentq

    from .closed_forms import g_function

    lo, hi = -1.0 / s.max(), 1.0 / s.max()
    while g_function(lo, s, a, b) > f:
        lo *= 2
    while g_function(hi, s, a, b) < f:
        hi *= 2
    return brentq(lambda nu: g_function(nu, s, a, b) - f, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps)


def _run(seed, d, s_max, num, nu_far):
    from ...dynamics import logtime_flow
    from ...models import Convolutional
    from ...solvers import fourier_max_margin
    from .closed_forms import two_layer_point_path
    from .experiments import log_grid

    x, y, wb1, wb2 = conv_point_instance(rng_for(seed), d)
    lim = cor4_limit(x, y, wb1, wb2)
    net = Convolutional(d, 2)
    Mx = data_tensor("conv", x, L=2)
    U1, s, U2t = np.linalg.svd(Mx)
    a, b = U1.T @ wb1, U2t @ wb2
    J = np.isin(np.arange(d), lim.frequencies)
    s_top = s[0]
    s_next = np.max(np.abs(np.fft.fft(x))[~J]) if (~J).any() else 0.0
    far1, far2 = two_layer_point_path(Mx, wb1, wb2, np.sign(y) * nu_far / (s_top - s_next), scaled=True)
    lim_ang = max(angle(far1, lim.w1), angle(far2, lim.w2), angle(net.beta((far1, far2)), lim.beta))
    sol_ang = angle(fourier_max_margin(x[None], np.array([y]), 2).x, lim.beta)
    head = (np.sign(y), str(lim.frequencies), len(lim.frequencies) == 2, init_margin([wb1, wb2], "conv"))
    fl = logtime_flow(net, (wb1, wb2), x[None], np.array([y]), s_max, log_grid(s_max / 100, s_max, num))
    if not fl.success:
        return ("failed",) + head + (np.nan, np.nan, lim_ang, sol_ang, np.nan, np.nan)
    err = 0.0
    for v1, v2 in fl.params:
        nu = _nu_of(float(v1 @ Mx @ v2), s, a, b)
        c1, c2 = two_layer_point_path(Mx, wb1, wb2, nu)
        err = max(err, max(np.max(np.abs(c1 - v1)), np.max(np.abs(c2 - v2))) / np.linalg.norm(v1))
    w1 = fl.x[0]
    plane = np.fft.ifft(np.where(J, np.fft.fft(w1), 0.0)).real
    outcome = "converged" if fl.log_loss[-1] < -s_max / 2 else "neither"
    return (outcome,) + head + (fl.log_loss[-1], err, lim_ang, sol_ang, angle(fl.beta[-1], lim.beta),
                                angle(plane, lim.w1))


@experiment("yun2021.conv_single_point", figure=conv_single_point_figure, presets={
    "smoke": {"seeds": (0,), "d": 6, "s_max": 100.0, "num": 3, "nu_far": 40.0},
    "book": {"seeds": (0, 1, 2, 3, 4, 5, 6, 7), "d": 6, "s_max": 1e3, "num": 3, "nu_far": 40.0},
    "paper": {"seeds": tuple(range(40)), "d": 8, "s_max": 1e4, "num": 5, "nu_far": 40.0}})
def conv_single_point(*, seeds, d, s_max, num, nu_far):
    r"""Corollary 4 (derived): two-layer convolutional network, one random point, exponential loss.

    Per seed (:func:`conv_point_instance`): the log-time flow of
    :class:`ibtheory.models.Convolutional` against the exact path of Theorem 3 at
    :math:`\nu = g^{-1}(f)` (SVD of :math:`M(x)`); the path at
    :math:`\nu = \sigma\,\text{nu\_far}/(s_1 - s_{\rm next})` against :func:`cor4_limit`
    (the other frequencies are :math:`e^{-\text{nu\_far}}` smaller there); the predicted
    :math:`\beta` against :func:`ibtheory.solvers.fourier_max_margin`; and, reported, the
    flow's own distance at :math:`s_{\max}` (it converges like a power of :math:`\log t`).

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    rows = [(seed,) + _run(seed, d, s_max, num, nu_far) for seed in seeds]
    c = list(zip(*rows))
    return ConvSinglePoint(seed=np.array(c[0]), outcome=np.array(c[1]), label=np.array(c[2], float),
                           frequencies=np.array(c[3]), tied=np.array(c[4], bool),
                           init_margin=np.array(c[5], float), final_log_loss=np.array(c[6], float),
                           path_error=np.array(c[7], float), limit_angle=np.array(c[8], float),
                           solver_angle=np.array(c[9], float), flow_beta_angle=np.array(c[10], float),
                           flow_plane_angle=np.array(c[11], float))
