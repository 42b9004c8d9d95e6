r"""Exponential-loss gradient flow followed in logarithmic time :math:`s = \log(1+t)`.

With the exponential loss on separable data the parameters diverge and only
their *direction* converges, like a power of :math:`1/\log t`. Integrating the
flow in the time :math:`s = \log(1+t)` keeps the right-hand side of order one,
so :math:`t = e^{10^4}` (a loss near :math:`e^{-10^4}`, far below the float64
range) is within reach of an ordinary ODE solver.

See the book chapter *A unifying view through linear tensor networks*
(``book/yun2021.md``).
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import OptimizeResult

from .._contracts import Status
from .._validation import as_real_array, check_positive
from ._observe import DriftMonitor
from ._observe import quiet_overflow

__all__ = ["LogtimeResult", "logtime_flow"]


class LogtimeResult(OptimizeResult):
    """Result of :func:`logtime_flow` (a :class:`scipy.optimize.OptimizeResult`).

    Attributes
    ----------
    s : ndarray
        Recorded log-times.
    params : list of tuple of ndarray
        Parameters at each recorded log-time.
    x : tuple of ndarray
        Parameters at the last recorded log-time.
    beta : ndarray, shape ``(len(s), d)``
        End-to-end linear predictor at each recorded log-time.
    min_margin : ndarray
        :math:`\\min_i y_ix_i^\\top\\beta` at each recorded log-time.
    log_loss : ndarray
        :math:`\\log\\sum_i e^{-y_ix_i^\\top\\beta}` (the loss itself underflows).
    drift : float or None
        Largest relative drift of the model's conservation laws over the recorded
        times (the accuracy certificate; None if the model has none).
    status : Status
        ``SUCCESS``, ``OVERFLOW`` (the state left the float64 range) or ``NUMERICAL``
        (the integrator failed).
    success : bool
    message : str
    nfev : int
    """


#: Cap on the exponent s - y_i F_i in the log-time vector field (see logtime_flow).
_EXPONENT_CAP = 60.0


@quiet_overflow
def logtime_flow(model, params, X, y, s_max, s_eval=None, *, rtol=1e-10) -> LogtimeResult:
    r"""Exponential-loss gradient flow of a linear model, in log-time :math:`s = \log(1+t)`.

    .. math::

        \frac{d\theta}{ds} = -e^{s}\nabla\mathcal L(\theta)
        = J(\theta)^\top\big(y\odot e^{\,s - y\odot f(X;\theta)}\big),
        \qquad \mathcal L = \sum_i e^{-y_if(x_i;\theta)},

    the trajectory of :math:`\dot\theta = -\nabla\mathcal L` reparametrised by
    :math:`t = e^s - 1` (:math:`dt/ds = e^s`). The exponent :math:`s - y_if_i`
    stays of order one while the margins grow like :math:`s`. LSODA (automatic
    stiff/non-stiff switching) integrates it. The conservation laws of the model
    (:meth:`ibtheory.models.Model.conserved`, valid for any loss) are monitored at
    the recorded times; their relative drift is the accuracy certificate.

    Parameters
    ----------
    model : ibtheory.models.LinearModel
        Scalar-output linear network (diagonal, convolutional, deep linear, tensor).
    params : tuple of ndarray
        Initial parameters.
    X, y : array_like
        Data ``(n, d)`` and labels in {-1, +1}.
    s_max : float
        Final log-time (> 0).
    s_eval : array_like, optional
        Increasing log-times in ``[0, s_max]`` at which to record (default: 40
        points log-spaced in ``[1, s_max]``).
    rtol : float
        Relative tolerance of LSODA (absolute tolerance ``rtol * 1e-2``).

    Returns
    -------
    LogtimeResult
        Never raises on an integrator failure: ``status`` is then ``NUMERICAL``
        and ``success`` False, with the integrator's message.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import Diagonal
    >>> from ibtheory.dynamics import logtime_flow
    >>> X, y = np.array([[1., 0.5]]), np.array([1.])
    >>> res = logtime_flow(Diagonal(2, 2), (np.ones(2), np.zeros(2)), X, y, 100.0, [100.0])
    >>> res.success, bool(res.min_margin[-1] > 50), bool(res.drift < 1e-8)
    (True, True, True)

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from scipy.integrate import solve_ivp

    X = as_real_array(X, "X")
    y = as_real_array(y, "y")
    if y.ndim != 1 or not np.all(np.abs(y) == 1):
        raise ValueError("y must be a vector of labels in {-1, +1}")
    s_max = check_positive(s_max, "s_max")
    rtol = check_positive(rtol, "rtol")
    if not getattr(model, "linear", False):
        raise TypeError("model must be an ibtheory.models.LinearModel (logtime_flow uses beta)")
    model.check_data(X, y, "exponential")
    if s_eval is None:
        s_eval = np.logspace(0, np.log10(s_max), 40) if s_max > 1 else np.linspace(0, s_max, 41)[1:]
    s_eval = as_real_array(s_eval, "s_eval").ravel()
    if s_eval.size == 0 or np.any(np.diff(s_eval) <= 0) or s_eval[0] < 0 or s_eval[-1] > s_max * (1 + 1e-12):
        raise ValueError("s_eval must be a non-empty increasing sequence within [0, s_max]")
    th0 = model.flatten(params)

    def rhs(s, th):
        P = model._unflatten_b(th[None])
        F = model._forward(P, X)[0, :, 0]
        # On the trajectory s - y_i F_i = s + log(loss terms) stays small (the loss decays
        # like e^-s up to log factors; checked at every recorded point below); only a trial
        # step that overshoots visits large values, where exp would overflow and poison the
        # state. Capping the exponent there leaves the flow unchanged and lets the error
        # control reject the step (review finding: an L = 6 convolution overflowed).
        G = (y * np.exp(np.minimum(s - y * F, _EXPONENT_CAP)))[None, :, None]
        return model._flatten_b(model._vjp(P, X, G))[0]

    sol = solve_ivp(rhs, (0.0, float(s_eval[-1])), th0, method="LSODA", rtol=rtol,
                    atol=rtol * 1e-2, t_eval=s_eval)
    if not sol.success or sol.y.shape[1] != s_eval.size or not np.all(np.isfinite(sol.y)):
        if sol.success and not np.all(np.isfinite(sol.y)):
            bad = int(np.argmin(np.all(np.isfinite(sol.y), axis=0)))
            status, why = Status.OVERFLOW, (f"the state became non-finite (overflow) by log-time "
                                            f"s = {sol.t[bad]:.4g}; use a smaller s_max or rtol")
        else:
            status, why = Status.NUMERICAL, f"the integrator failed: {sol.message}"
        return LogtimeResult(s=sol.t, params=[], x=None, beta=np.empty((0, X.shape[1])),
                             min_margin=np.empty(0), log_loss=np.empty(0), drift=None,
                             nfev=sol.nfev, success=False, status=status,
                             message=f"logtime_flow: {why}")
    ps = [model.unflatten(sol.y[:, k]) for k in range(sol.y.shape[1])]
    beta = np.array([model.beta(p) for p in ps])
    marg = y[None, :] * (beta @ X.T)
    mmin = marg.min(axis=1)
    log_loss = -mmin + np.log(np.sum(np.exp(-(marg - mmin[:, None])), axis=1))
    mon = DriftMonitor(model, model._unflatten_b(th0[None]))
    for k in range(sol.y.shape[1]):
        mon.update(model._unflatten_b(sol.y[:, k][None]))
    laws = mon.by_law()
    drift = float(max(v[0] for v in laws.values())) if laws else None
    top = float(np.max(sol.t - mmin))
    if top > _EXPONENT_CAP - 10:   # the cap may have changed the flow itself: refuse the run
        return LogtimeResult(s=sol.t, params=ps, x=ps[-1], beta=beta, min_margin=mmin,
                             log_loss=log_loss, drift=drift, nfev=sol.nfev, success=False,
                             status=Status.NUMERICAL,
                             message=f"logtime_flow: the exponent s - y_i x_i'beta reached {top:.1f} on the "
                                     f"trajectory, near the cap {_EXPONENT_CAP:g} that guards trial steps")
    return LogtimeResult(s=sol.t, params=ps, x=ps[-1], beta=beta, min_margin=mmin,
                         log_loss=log_loss, drift=drift, nfev=sol.nfev, success=True,
                         status=Status.SUCCESS, message=str(sol.message))
