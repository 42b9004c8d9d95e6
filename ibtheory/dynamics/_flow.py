"""Gradient flow integrated to a requested tolerance (DOP853 or Radau).

The trajectory solves :math:`\\dot\\theta = -\\nabla\\mathcal L(\\theta)` with an
adaptive high-order method on the flattened parameters, so it is the exact
flow up to the local error tolerance ``rtol`` (not gradient descent with a
small step). The time horizon is unbounded by default: adaptive steps grow on
the plateaus of small initializations (time of order :math:`\\log(1/\\alpha)`
or :math:`\\alpha^{2-L}`), so no horizon has to be tuned.
"""
from __future__ import annotations

import numbers

import numpy as np
from scipy.integrate import DOP853, Radau
from scipy.optimize import OptimizeResult

from .._contracts import Status
from .._validation import as_real_array, check_int
from ..models._base import check_loss, check_model, loss_value_and_dF
from ._sharpness import MAX_BUDGET, _power
from ._observe import DriftMonitor, check_record, observe, stack_records, unbatch
from ._observe import quiet_overflow

_EPS = np.finfo(float).eps


class FlowResult(OptimizeResult):
    """Result of :func:`gradient_flow` (a :class:`scipy.optimize.OptimizeResult`).

    Attributes
    ----------
    x, params : tuple of ndarray
        Parameters at the final time.
    fun : float
        Loss at the final time.
    grad_norm : float
        Euclidean norm of the gradient at the final time.
    t_final : float
        Final time.
    t : ndarray
        Times at which the observables were recorded.
    records : dict
        Recorded observables, time along axis 0 (``records["loss"]`` etc.).
    drift : float or None
        Relative drift of the conservation laws (the accuracy certificate;
        None if the model has no conservation law).
    drift_by_law : dict
        The drift of each law.
    success : bool
        True exactly when ``status is Status.SUCCESS``: the requested stopping
        rule was met, or (no tolerance requested) the flow was integrated to
        ``t_max``.
    status : ibtheory.Status
        ``SUCCESS``; ``MAX_ITER`` (``max_steps`` accepted steps used up, or
        ``t_max`` reached before the tolerance); ``STALLED`` (the step size
        collapsed or no progress at the integrator's accuracy floor on a smooth
        model); ``KINK`` (the same on a model with kinks, ``TwoLayerReLU``:
        the flow is a differential inclusion there); ``OVERFLOW`` (the state or
        the loss left the float64 range); ``NUMERICAL`` (the integrator failed).
    message : str
        What happened, with the time and the loss; never empty.
    nfev, nit : int
        Gradient evaluations and accepted steps.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import Diagonal
    >>> from ibtheory.dynamics import FlowResult, gradient_flow
    >>> net = Diagonal(d=2, L=2)
    >>> X, y = np.eye(2), np.array([1.0, 2.0])
    >>> res = gradient_flow(net, (np.ones(2), np.ones(2)), X, y, grad_tol=1e-10)
    >>> isinstance(res, FlowResult), res.success, res.status
    (True, True, <Status.SUCCESS: 'success'>)
    >>> np.round(net.beta(res.x), 8), bool(res.fun < 1e-18), bool(res.drift < 1e-10)
    (array([1., 2.]), True, True)
    >>> bool(np.all(np.diff(res.records["loss"]) <= 0))  # the loss never increases
    True

    See the book chapter *Gradient flow and its conservation laws* (``book/dynamics.md``).
    """


def _check_tol(x, name, allow_none=True):
    if x is None and allow_none:
        return None
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real) or not np.isfinite(x) or x < 0:
        raise ValueError(f"{name} must be None or a finite real >= 0, got {x!r}")
    return float(x)


def _check_flow_args(name, model, params, X, y, loss, *, t_max, loss_tol, grad_tol, stat_tol,
                     rtol, rtol_min, atol, max_steps, stall_steps, method, record, observables,
                     t_eval):
    """Validate the arguments shared by the single-trajectory flows (:func:`gradient_flow`,
    :func:`~ibtheory.dynamics.reparam_flow`) and fill in their defaults, once.

    Returns ``(P0, X, Y, record, observables, rtol, atol, loss_tol, grad_tol, stat_tol,
    t_max, t_eval, max_steps, stall_steps, theta0)``.
    """
    check_model(model)
    check_loss(loss)
    P0, batched = model._check_params(params)
    if batched:
        raise ValueError(f"params must be one run (no batch axis); {name} integrates one trajectory")
    X, Y = model.check_data(X, y, loss, require_y=True)
    if Y.shape[0] != 1:
        raise ValueError(f"y must be one label vector (no batch axis) for {name}")
    record, observables = check_record(model, record, observables)
    if isinstance(rtol, (bool, np.bool_)) or not isinstance(rtol, numbers.Real) or not (rtol_min <= rtol <= 1e-3):
        raise ValueError(f"rtol must be a real in [{rtol_min:g}, 1e-3] (float64 cannot meet a smaller one), "
                         f"got {rtol!r}")
    rtol = float(rtol)
    loss_tol = _check_tol(loss_tol, "loss_tol")
    grad_tol = _check_tol(grad_tol, "grad_tol")
    if isinstance(t_max, (bool, np.bool_)) or not isinstance(t_max, numbers.Real) or not t_max > 0:
        raise ValueError(f"t_max must be a positive real or inf, got {t_max!r}")
    t_max = float(t_max)
    if t_eval is not None:
        t_eval = as_real_array(t_eval, "t_eval").ravel()
        if t_eval.size == 0 or np.any(np.diff(t_eval) <= 0) or t_eval[0] < 0:
            raise ValueError("t_eval must be a non-empty increasing array of times >= 0")
        t_max = min(t_max, float(t_eval[-1]))
    stat_tol = _check_tol(stat_tol, "stat_tol")
    if stat_tol is not None and not model.linear:
        raise ValueError(f"stat_tol needs a linear model (it measures the gradient in beta), got {model!r}")
    if loss_tol is None and grad_tol is None and stat_tol is None and not np.isfinite(t_max):
        if model.linear:
            stat_tol = max(1e-9, 1e3 * rtol)
        else:
            grad_tol = 1e-9
    if stat_tol is not None and stat_tol < 99.999 * rtol:
        raise ValueError(f"stat_tol={stat_tol:g} cannot be met with rtol={rtol:g}: the integrator's "
                         f"local error floors it near rtol; use stat_tol >= 100*rtol or a smaller rtol")
    if (not loss_tol and not grad_tol and not stat_tol) and not np.isfinite(t_max):
        raise ValueError("zero tolerances with an infinite t_max are a stopping rule that cannot be met")
    max_steps = check_int(max_steps, "max_steps", minimum=1, maximum=MAX_BUDGET)
    stall_steps = check_int(stall_steps, "stall_steps", minimum=1, maximum=MAX_BUDGET)
    if method not in ("auto", "DOP853", "Radau"):
        raise ValueError(f"method must be 'auto', 'DOP853' or 'Radau', got {method!r}")
    theta0 = model._flatten_b(P0)[0]
    if atol is None:
        scale = np.max(np.abs(theta0))
        atol = rtol * (scale if scale > 0 else 1.0)
    else:
        atol = _check_tol(atol, "atol", allow_none=False)
        if atol == 0:
            raise ValueError("atol must be > 0")
    return (P0, X, Y, record, observables, rtol, atol, loss_tol, grad_tol, stat_tol, t_max, t_eval,
            max_steps, stall_steps, theta0)


@quiet_overflow
def gradient_flow(model, params, X, y, loss="half_sum", *, t_max=np.inf, loss_tol=None,
                  grad_tol=None, stat_tol=None, rtol=1e-12, atol=None, max_steps=200_000,
                  stall_steps=5000, method="auto", record=("loss",), observables=None,
                  t_eval=None):
    """Integrate gradient flow :math:`\\dot\\theta = -\\nabla\\mathcal L(\\theta)` to a tolerance.

    Parameters
    ----------
    model : ibtheory.models.Model
        The network family.
    params : tuple of ndarray
        Initial parameters (one run, no batch axis).
    X, y : array_like
        Data ``(n, d)`` and labels ``(n,)`` or ``(n, k)``.
    loss : {"half_sum", "mean", "exponential"}
        Loss convention (see :data:`ibtheory.models.LOSSES`).
    t_max : float, default inf
        Time limit.
    loss_tol, grad_tol, stat_tol : float, optional
        Stop at the first accepted step with loss <= ``loss_tol``, or
        :math:`\\|\\nabla_\\theta\\mathcal L\\| \\le` ``grad_tol``, or (linear
        models) the function-space stationarity
        :math:`\\|X^\\top \\ell'(F)\\|_F \\le` ``stat_tol`` :math:`\\cdot\\|X^\\top
        \\ell'(0)\\|_F` (the gradient in :math:`\\beta`, relative to its value at
        :math:`\\beta = 0`). The last one is zero at global minima and not at
        the saddles that small initializations start from, so it is the
        default when no rule and no finite ``t_max`` are given:
        ``stat_tol = max(1e-9, 1e3 * rtol)`` for linear models,
        ``grad_tol = 1e-9`` otherwise. ``stat_tol`` below ``100 * rtol``
        cannot be met (the integrator's local error sets a floor on the
        residual) and raises ``ValueError``.
    rtol, atol : float
        Local error tolerances of the integrator; ``rtol`` must be in
        ``[1e-14, 1e-3]`` (below that DOP853 cannot meet it in float64).
        ``atol`` defaults to ``rtol`` times the largest initial parameter
        entry, which keeps tiny initializations relatively accurate.
    max_steps : int
        Limit on accepted steps; reaching it gives ``success=False``.
    stall_steps : int
        If during ``stall_steps`` accepted steps the loss decreases by less
        than 1 % and the gradient norm stays within a factor 2, the trajectory
        has reached the accuracy floor of the integrator without meeting the
        stopping rule: it stops with ``success=False`` (``Status.STALLED``, or
        ``Status.KINK`` on a model with kinks). Without a
        tolerance (integration to ``t_max``) it stops so only if time also
        crawls (less than 1 % of the remaining horizon per window), as at a
        kink of a ReLU network where the flow slides along a discontinuity.
    method : {"auto", "DOP853", "Radau"}
        Explicit 8th-order Dormand-Prince, or implicit Radau IIA (order 5)
        with the exact Hessian (from HVPs) as Jacobian for stiff problems.
        ``"auto"`` starts with DOP853 and switches to Radau once the step is
        bounded by stability rather than accuracy (checked every 200 steps
        by power iteration: :math:`h\\,|\\lambda|_{\\max}(\\nabla^2\\mathcal L) > 2`),
        as happens in the saddle-to-saddle phases of small initializations
        where some coordinates have converged and others still grow slowly;
        the switch needs ``n_params <= 2000``.
    record : sequence of str
        Observables recorded at every accepted step (or at ``t_eval``):
        ``"loss"``, ``"grad_norm"``, ``"beta"``, ``"params"``,
        ``"conserved"``, ``"svals"`` (singular values of each matrix layer),
        ``"directions"`` (unit rows of the first layer: neuron directions).
    observables : dict, optional
        Extra observables ``name -> f(params)``.
    t_eval : array_like, optional
        Increasing times at which to record (dense output, 7th order); the
        integration then stops at ``t_eval[-1]`` unless a tolerance stops it
        first.

    Returns
    -------
    FlowResult
        With ``.x``, ``.fun``, ``.t``, ``.records``, ``.drift`` (relative
        drift of the conservation laws, the accuracy certificate), ``.success``,
        ``.status``, ``.message``.

    Notes
    -----
    The drift is :math:`\\max_t\\|C(\\theta(t))-C(\\theta(0))\\|_F/\\max_t\\|\\theta(t)\\|^2`
    over the laws :math:`C` of ``model.conserved``, checked at every
    accepted step. See the book chapter *Gradient flow and its conservation laws*.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import TwoLayerLinear, varre_init
    >>> from ibtheory.dynamics import gradient_flow
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((3, 4)), rng.standard_normal(3)
    >>> net = TwoLayerLinear(d=4, l=6)
    >>> res = gradient_flow(net, varre_init(net, gamma=0.01, seed=1), X, y, grad_tol=1e-11)
    >>> res.success, bool(res.drift < 1e-10)
    (True, True)
    >>> beta_min_norm = np.linalg.pinv(X) @ y
    >>> bool(np.linalg.norm(net.beta(res.x) - beta_min_norm) < 1e-9)
    True
    """
    a = _check_flow_args("gradient_flow", model, params, X, y, loss, t_max=t_max, loss_tol=loss_tol,
                         grad_tol=grad_tol, stat_tol=stat_tol, rtol=rtol, rtol_min=1e-14, atol=atol,
                         max_steps=max_steps, stall_steps=stall_steps, method=method, record=record,
                         observables=observables, t_eval=t_eval)
    (P0, X, Y, record, observables, rtol, atol, loss_tol, grad_tol, stat_tol, t_max, t_eval,
     max_steps, stall_steps, theta0) = a

    nfev = [0]

    def rhs(t, th):
        nfev[0] += 1
        P = model._unflatten_b(th[None])
        _, g = model._value_and_grad(P, X, Y, loss)
        return -model._flatten_b(g)[0]

    def loss_of(th):
        P = model._unflatten_b(th[None])
        return float(loss_value_and_dF(model._forward(P, X), Y, loss)[0][0])

    n_par = model.n_params

    def jac(t, th):
        P = model._unflatten_b(np.broadcast_to(th, (n_par, n_par)))
        H = model._flatten_b(model._hvp(P, X, Y, model._unflatten_b(np.eye(n_par)), loss))
        return -0.5 * (H + H.T)

    def make_solver(name, t0, th0):
        if name == "Radau":
            return Radau(rhs, t0, th0, t_max, rtol=rtol, atol=atol, jac=jac)
        return DOP853(rhs, t0, th0, t_max, rtol=rtol, atol=atol)

    current = "Radau" if method == "Radau" else "DOP853"
    solver = make_solver(current, 0.0, theta0)
    can_switch = method == "auto" and n_par <= 2000
    v_power = np.random.default_rng(0).standard_normal((1, n_par))
    v_power /= np.linalg.norm(v_power)

    drift = DriftMonitor(model, P0)
    times, rows = [], []

    def rec(t, th, f=None):
        P = model._unflatten_b(th[None])
        gn = np.array([np.linalg.norm(f if f is not None else rhs(t, th))])
        times.append(t)
        rows.append(observe(model, P, record, observables,
                            loss_val=np.array([loss_of(th)]), grad_norm=gn))

    if stat_tol is not None:
        stat_ref = float(np.linalg.norm(X.T @ loss_value_and_dF(np.zeros_like(Y), Y, loss)[1][0]))

    def stationarity(th):
        P = model._unflatten_b(th[None])
        G = loss_value_and_dF(model._forward(P, X), Y, loss)[1][0]
        return float(np.linalg.norm(X.T @ G))

    def done(lv, gn, th):
        if loss_tol is not None and lv <= loss_tol:
            return True
        if grad_tol is not None and gn <= grad_tol:
            return True
        return stat_tol is not None and stationarity(th) <= stat_tol * stat_ref

    message_switch = []
    ev_i = 0
    if t_eval is None:
        rec(0.0, theta0, solver.f if hasattr(solver, "f") else None)
    else:
        while ev_i < t_eval.size and t_eval[ev_i] == 0.0:
            rec(0.0, theta0)
            ev_i += 1

    lv0 = loss_of(theta0)
    gn = float(np.linalg.norm(rhs(0.0, theta0)))
    status, message = None, ""
    if not (np.isfinite(lv0) and np.isfinite(gn)):
        status, message = Status.OVERFLOW, (
            f"the loss or its gradient at the initial parameters is not finite in float64 "
            f"(loss {lv0:.3e}, |grad| {gn:.3e}): the parameters are too large for this loss")
    elif done(lv0, gn, theta0):
        status, message = Status.SUCCESS, "tolerance met at t = 0"
    nit = 0
    check_loss_v, check_gn, check_t = lv0, gn, 0.0
    has_rule = loss_tol is not None or grad_tol is not None or stat_tol is not None
    smooth = getattr(model, "smooth", True)
    th_good, t_good = theta0, 0.0
    while status is None:
        if nit >= max_steps:
            status, message = Status.MAX_ITER, (
                f"max_steps={max_steps} accepted steps done at t={solver.t:.6g} "
                f"before the stopping rule was met (loss {loss_of(solver.y):.3e})")
            break
        with np.errstate(over="ignore", invalid="ignore"):
            msg = solver.step()
            finite = np.all(np.isfinite(solver.y))
            lv = loss_of(solver.y) if finite else np.inf
        nit += 1
        if not finite or not np.isfinite(lv):
            status, message = Status.OVERFLOW, (
                f"the state or the loss left the float64 range at t={solver.t:.6g} (the flow blows "
                f"up, or the parameters are too large for this loss); the result holds the last "
                f"finite state, at t={t_good:.6g}")
            break
        if solver.status == "failed":
            if smooth and "step size" in str(msg):
                status, message = Status.STALLED, (
                    f"the integrator's step fell below the float64 spacing of t at t={solver.t:.6g} "
                    f"(loss {lv:.3e}): the time axis has no resolution left; integrate in "
                    f"reparametrized time (ibtheory.dynamics.reparam_flow)")
            elif not smooth:
                status, message = Status.KINK, (
                    f"step size collapsed at t={solver.t:.6g} on {model!r}: the vector field is "
                    f"discontinuous there (a ReLU kink: the flow is a differential inclusion); "
                    f"use gradient_descent")
            else:
                status, message = Status.NUMERICAL, f"integrator failed at t={solver.t:.6g}: {msg}"
            break
        th = solver.y
        th_good, t_good = th, solver.t
        drift.update(model._unflatten_b(th[None]))
        if not smooth and solver.step_size < 1e-8 * max(abs(solver.t), 1.0):
            # Only a model with kinks has a vector field whose discontinuities collapse the
            # step; on a smooth model a step small relative to t is legitimate (the fast
            # escape from a saddle after a plateau of length ~ scale^(2-L)).
            status, message = Status.KINK, (
                f"step size collapsed to {solver.step_size:.2e} at t={solver.t:.6g} on {model!r}: the "
                f"vector field is discontinuous there (a ReLU kink: the flow is a differential "
                f"inclusion); use gradient_descent")
            break
        if t_eval is not None and ev_i < t_eval.size and t_eval[ev_i] <= solver.t:
            dense = solver.dense_output()
            while ev_i < t_eval.size and t_eval[ev_i] <= solver.t:
                rec(float(t_eval[ev_i]), dense(t_eval[ev_i]))
                ev_i += 1
        f = solver.f if current == "DOP853" else rhs(solver.t, th)
        gn = float(np.linalg.norm(f))
        if t_eval is None:
            rec(solver.t, th, f)
        if done(lv, gn, th):
            status, message = Status.SUCCESS, f"stopping tolerance met at t={solver.t:.6g}"
        elif nit % stall_steps == 0:
            flat = lv > 0.99 * check_loss_v and 0.5 * check_gn <= gn <= 2.0 * check_gn
            # Without a tolerance, only a crawl in time is a stall (e.g. chattering at a
            # ReLU kink, where the flow is a differential inclusion).
            crawl = (solver.t - check_t) < 0.01 * (t_max - solver.t)
            if flat and (has_rule or crawl):
                if smooth:
                    status, message = Status.STALLED, (
                        f"stalled at t={solver.t:.6g}: no progress in {stall_steps} steps (loss {lv:.3e}, "
                        f"|grad| {gn:.3e}, step {solver.step_size:.2e}); the stopping rule cannot be met "
                        f"at rtol={rtol:g}" + ("" if has_rule else " (the flow crawls in time)"))
                else:
                    status, message = Status.KINK, (
                        f"stalled at t={solver.t:.6g} on {model!r}: no progress in {stall_steps} steps "
                        f"(loss {lv:.3e}, |grad| {gn:.3e}, step {solver.step_size:.2e}); the vector field "
                        f"is discontinuous (a ReLU kink: the flow is a differential inclusion); use "
                        f"gradient_descent")
            check_loss_v, check_gn, check_t = lv, gn, solver.t
        if status is None and can_switch and current == "DOP853" and nit % 200 == 0:
            P = model._unflatten_b(th[None])
            lam, v_power, _ = _power(model, P, X, Y, loss, v_power, np.zeros(1), 30, 1e-2)
            if solver.step_size * abs(lam[0]) > 2.0:
                current = "Radau"
                solver = make_solver("Radau", solver.t, th.copy())
                message_switch.append(f"switched to Radau at t={solver.t:.6g} (stiff)")
        if status is None and solver.status == "finished":
            if not has_rule:
                status, message = Status.SUCCESS, f"integrated to t_max={t_max:.6g}"
            else:
                status, message = Status.MAX_ITER, (
                    f"t_max={t_max:.6g} reached before the stopping tolerance "
                    f"(loss {lv:.3e}, |grad| {gn:.3e})")

    th = th_good
    P = model._unflatten_b(th[None])
    x = tuple(p[0].copy() for p in P)
    records = unbatch(stack_records(rows))
    d_law = {k: float(v[0]) for k, v in drift.by_law().items()}
    tot = drift.total()
    with np.errstate(over="ignore", invalid="ignore"):
        fun, g_final = loss_of(th), float(np.linalg.norm(rhs(t_good, th)))
    return FlowResult(
        x=x, params=x, fun=fun, grad_norm=g_final,
        t_final=float(t_good), t=np.array(times), records=records,
        drift=None if tot is None else float(tot[0]), drift_by_law=d_law,
        success=status is Status.SUCCESS, status=status,
        message="; ".join(message_switch + [message]), method=current, nfev=nfev[0], nit=nit,
    )
