r"""Gradient flow in a reparametrized time: plateaus of any length, limits to any loss.

From an initialization of scale :math:`s` a depth-:math:`L` network sits on a
plateau for a physical time of order :math:`s^{2-L}` (:math:`10^{32}` for
:math:`L = 10`, :math:`s = 10^{-4}`) and then escapes the saddle in a time of
order 1. In physical time no float64 integrator can resolve the escape: the
spacing of the floats near :math:`t = 10^{32}` is :math:`10^{16}`. The flow
:math:`\dot\theta = -\nabla\mathcal L(\theta)` is autonomous, so it may be run
on any clock :math:`\tau` with :math:`dt/d\tau = c(\theta) > 0`:

.. math::

    \frac{d\theta}{d\tau} = -c(\theta)\,\nabla\mathcal L(\theta), \qquad
    \frac{dt}{d\tau} = c(\theta), \qquad
    c(\theta) = \frac{\kappa E}{\|\nabla\mathcal L\|\,(\kappa E + \|\nabla\mathcal L\|)},

where :math:`E = \mathcal L - \mathcal L^\star \ge 0` is the excess loss. The speed
:math:`\|d\theta/d\tau\| = \kappa E/(\kappa E + \|\nabla\mathcal L\|)` interpolates
between two clocks:

- on plateaus and near saddles (:math:`\|\nabla\mathcal L\|\ll\kappa E`) it is 1:
  :math:`\tau` is the **arc length**, and the escape from scale :math:`10^{-8}`
  takes a few hundred steps whatever the depth;
- near an interpolating minimum (:math:`\|\nabla\mathcal L\|\gg\kappa E`, since
  :math:`\|\nabla\mathcal L\|^2\sim E`) it is :math:`d\log E/d\tau\approx-\kappa`:
  :math:`\tau` is the **log of the excess loss**, and :math:`E = 10^{-20}` is
  reached at :math:`\tau\approx 46/\kappa`.

The trajectory is the same curve as the gradient flow's (the conservation laws
hold along it; their drift is the accuracy certificate, as in
:func:`ibtheory.dynamics.gradient_flow`), and the physical time is integrated
alongside, as :math:`u = \|\nabla\mathcal L(\theta_0)\|\,t` so that its error is
controlled relatively.

For linear models with a square loss, :math:`E` is computed without
cancellation as :math:`\tfrac12\|P(X\beta - y)\|^2` (``half_sum``;
:math:`\tfrac1n\|\cdot\|^2` for ``mean``) with :math:`P` the projection on the
range of :math:`X`, which is :math:`\mathcal L - \min_\beta\mathcal L`; otherwise
:math:`E = \mathcal L - \mathcal L_{\text{floor}}` with
:math:`\mathcal L_{\text{floor}}` = ``loss_floor`` (default 0).

See the book chapter *Gradient flow and its conservation laws* (``book/dynamics.md``).
"""
from __future__ import annotations

import numbers

import numpy as np
from scipy.integrate import DOP853, Radau
from scipy.optimize import brentq

from .._contracts import Status
from ..models._base import loss_value_and_dF
from ._flow import FlowResult, _check_flow_args
from ._sharpness import _power
from ._observe import DriftMonitor, observe, stack_records, unbatch
from ._observe import quiet_overflow

__all__ = ["ReparamResult", "reparam_flow"]


class ReparamResult(FlowResult):
    """Result of :func:`reparam_flow`: a :class:`~ibtheory.dynamics.FlowResult` with the clock.

    Attributes
    ----------
    x, params, fun, grad_norm, records, drift, drift_by_law, nfev, nit :
        As in :class:`~ibtheory.dynamics.FlowResult`.
    t_final : float
        Final **physical** time :math:`t` (the time of :func:`gradient_flow`).
    t : ndarray
        Physical times of the records.
    tau, tau_final : ndarray, float
        The clock :math:`\\tau` at the records and at the end.
    excess : float
        Final excess loss :math:`E` (see the module docstring).
    success : bool
        True exactly when ``status is Status.SUCCESS``.
    status : ibtheory.Status
        ``SUCCESS`` (rule met, or integrated to ``t_max`` without a rule);
        ``MAX_ITER`` (``max_steps`` used up, or ``t_max`` reached before the
        rule); ``STALLED`` (no progress over ``stall_steps`` steps, or a zero
        gradient at the start); ``OVERFLOW`` (a value left the float64 range);
        ``NUMERICAL`` (the integrator failed).
    message : str

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import Diagonal
    >>> from ibtheory.dynamics import ReparamResult, reparam_flow
    >>> res = reparam_flow(Diagonal(d=2, L=2), (np.ones(2), np.ones(2)), np.eye(2), [1.0, 2.0],
    ...                    loss_tol=1e-20)
    >>> isinstance(res, ReparamResult), res.status, bool(res.fun <= 1e-20)
    (True, <Status.SUCCESS: 'success'>, True)

    See the book chapter *Gradient flow and its conservation laws* (``book/dynamics.md``).
    """


def _excess_fn(model, X, Y, loss, loss_floor):
    """``E(F)``: the excess loss of outputs ``F`` (batched ``(1, n, k)``), cancellation-free
    for linear models with a square loss."""
    if loss_floor is None and model.linear and loss in ("half_sum", "mean"):
        U, sv, _ = np.linalg.svd(X, full_matrices=False)
        r = int(np.sum(sv > sv[0] * max(X.shape) * np.finfo(float).eps)) if sv.size and sv[0] > 0 else 0
        U = U[:, :r]
        c = 0.5 if loss == "half_sum" else 1.0 / X.shape[0]
        return lambda F: c * float(np.sum((U.T @ (F[0] - Y[0])) ** 2)), "projected"
    floor = 0.0 if loss_floor is None else float(loss_floor)

    def e(F):
        return max(float(loss_value_and_dF(F, Y, loss)[0][0]) - floor, 0.0)
    return e, "loss - loss_floor"


@quiet_overflow
def reparam_flow(model, params, X, y, loss="half_sum", *, kappa=1.0, loss_floor=None,
                 t_max=np.inf, loss_tol=None, grad_tol=None, stat_tol=None, rtol=1e-10, atol=None,
                 max_steps=100_000, stall_steps=2000, method="auto", record=("loss",), observables=None,
                 t_eval=None):
    """Gradient flow integrated on an adaptive clock, mapped back to the physical time.

    The same trajectory as :func:`ibtheory.dynamics.gradient_flow` (see the
    module docstring for the clock :math:`\\tau`), but it crosses plateaus of
    any length (initialization scales down to :math:`10^{-8}` at depths up to
    12 and beyond) and reaches losses down to :math:`10^{-20}`.

    Parameters
    ----------
    model, params, X, y, loss :
        As in :func:`ibtheory.dynamics.gradient_flow` (one run).
    kappa : float, default 1
        Rate of the log-loss clock near the minimum (:math:`d\\log E/d\\tau\\approx-\\kappa`);
        it also sets where the clock switches from arc length, at
        :math:`\\|\\nabla\\mathcal L\\| = \\kappa E`. Parameters of order 1 make
        ``kappa = 1`` natural.
    loss_floor : float, optional
        :math:`\\min\\mathcal L` for the excess loss :math:`E`. Default: computed
        exactly for linear models with a square loss (least squares), 0 otherwise.
    t_max : float, default inf
        Physical time limit; the state at ``t_max`` is located on the dense output.
    loss_tol, grad_tol, stat_tol : float, optional
        Stopping rules as in :func:`gradient_flow`; ``loss_tol`` is located on
        the dense output (the flow stops where the loss equals ``loss_tol``,
        up to the rounding of the loss: relative 1e-6 at a loss of 1e-20, where
        the residuals are 1e-10). Without any rule and with ``t_max = inf`` the
        default is ``stat_tol = max(1e-9, 1e3 * rtol)`` for linear models and
        ``grad_tol = 1e-9`` otherwise.
    rtol, atol : float
        Local error tolerances; ``rtol`` in ``[1e-13, 1e-3]``; ``atol`` defaults
        to ``rtol`` times the largest initial parameter entry.
    method : {"auto", "DOP853", "Radau"}
        ``"auto"`` starts with DOP853 and switches to Radau IIA (with the exact
        Jacobian of the reparametrized field, from Hessian-vector products) once
        the step is bounded by stability: after a first escape, the modes that
        have converged are stiff on the arc-length clock (their rate is
        :math:`\\lambda\\,c(\\theta)` with :math:`c\\approx 1/\\|\\nabla\\mathcal L\\|`
        on the next plateau); checked every 25 steps, needs ``n_params <= 2000``.
    max_steps, stall_steps : int
        Step budget, and the window over which no decrease of the loss (by 1e-3
        relative) and no growth of the physical time (by 1e-3 relative) is a stall.
    record, observables :
        As in :func:`gradient_flow`, recorded at every accepted step (or at ``t_eval``).
    t_eval : array_like, optional
        Increasing physical times at which to record (located on the dense output).

    Returns
    -------
    ReparamResult

    Examples
    --------
    A 10-layer linear network from scale :math:`10^{-6}`: the plateau lasts
    :math:`t\\approx 10^{50}`, far beyond what the physical clock resolves.

    >>> import numpy as np
    >>> from ibtheory.models import DeepLinear, gaussian_init
    >>> from ibtheory.dynamics import reparam_flow
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((8, 3)); y = X @ np.array([1.0, -2.0, 0.5])
    >>> net = DeepLinear([3] * 10 + [1])
    >>> res = reparam_flow(net, gaussian_init(net, scale=1e-6, seed=1), X, y, loss="mean", loss_tol=1e-20)
    >>> res.success, bool(res.fun <= 1.01e-20), bool(res.drift < 1e-8), bool(res.t_final > 1e40)
    (True, True, True, True)

    See the book chapter *Gradient flow and its conservation laws* (``book/dynamics.md``).
    """
    if isinstance(kappa, (bool, np.bool_)) or not isinstance(kappa, numbers.Real) or not (0 < kappa < np.inf):
        raise ValueError(f"kappa must be a finite positive real, got {kappa!r}")
    kappa = float(kappa)
    if loss_floor is not None:
        if isinstance(loss_floor, (bool, np.bool_)) or not isinstance(loss_floor, numbers.Real) \
                or not np.isfinite(loss_floor):
            raise ValueError(f"loss_floor must be None or a finite real, got {loss_floor!r}")
    a = _check_flow_args("reparam_flow", model, params, X, y, loss, t_max=t_max, loss_tol=loss_tol,
                         grad_tol=grad_tol, stat_tol=stat_tol, rtol=rtol, rtol_min=1e-13, atol=atol,
                         max_steps=max_steps, stall_steps=stall_steps, method=method, record=record,
                         observables=observables, t_eval=t_eval)
    (P0, X, Y, record, observables, rtol, atol, loss_tol, grad_tol, stat_tol, t_max, t_eval,
     max_steps, stall_steps, theta0) = a
    excess_of, excess_kind = _excess_fn(model, X, Y, loss, loss_floor)
    nfev = [0]

    def grad_loss(th):
        P = model._unflatten_b(th[None])
        F = model._forward(P, X)
        val, G = loss_value_and_dF(F, Y, loss)
        return float(val[0]), model._flatten_b(model._vjp(P, X, G))[0], F

    def loss_of(th):
        return float(loss_value_and_dF(model._forward(model._unflatten_b(th[None]), X), Y, loss)[0][0])

    with np.errstate(over="ignore", invalid="ignore"):
        lv0, g0, F0 = grad_loss(theta0)
    g0n = float(np.linalg.norm(g0))

    clock = ["adaptive"]   # becomes "physical" after a stiff saddle-to-saddle phase

    def rhs(tau, z):
        nfev[0] += 1
        th = z[:-1]
        _, g, F = grad_loss(th)
        out = np.empty_like(z)
        if clock[0] == "physical":
            out[:-1] = -g
            out[-1] = g0n
            return out
        gn = float(np.linalg.norm(g))
        E = excess_of(F)
        if gn == 0.0 or E == 0.0:
            out[:] = 0.0
            return out
        c = kappa * E / (gn * (kappa * E + gn))
        out[:-1] = -c * g
        out[-1] = g0n * c
        return out

    n_par = model.n_params

    def jac(tau, z):
        # d/dtheta of -c g and of |grad_0| c, with c = k E / (|g| (k E + |g|)),
        # grad E = g (exact for E = L - floor and for the projected excess), grad |g| = H g / |g|.
        th = z[:-1]
        lv, g, F = grad_loss(th)
        gn = float(np.linalg.norm(g))
        E = excess_of(F)
        Jz = np.zeros((z.size, z.size))
        Pb = model._unflatten_b(np.broadcast_to(th, (n_par, n_par)))
        H = model._flatten_b(model._hvp(Pb, X, Y, model._unflatten_b(np.eye(n_par)), loss))
        H = 0.5 * (H + H.T)
        if clock[0] == "physical":
            Jz[:-1, :-1] = -H
            return Jz
        if gn == 0.0 or E == 0.0:
            return Jz
        Hg = H @ g
        c = kappa * E / (gn * (kappa * E + gn))
        dc = c * (g / E - Hg / gn ** 2 - (kappa * g + Hg / gn) / (kappa * E + gn))
        Jz[:-1, :-1] = -c * H - np.outer(g, dc)
        Jz[-1, :-1] = g0n * dc
        return Jz

    if stat_tol is not None:
        stat_ref = float(np.linalg.norm(X.T @ loss_value_and_dF(np.zeros_like(Y), Y, loss)[1][0]))

    def done(lv, gn, F):
        if loss_tol is not None and lv <= loss_tol:
            return True
        if grad_tol is not None and gn <= grad_tol:
            return True
        if stat_tol is not None:
            G = loss_value_and_dF(F, Y, loss)[1][0]
            return float(np.linalg.norm(X.T @ G)) <= stat_tol * stat_ref
        return False

    drift = DriftMonitor(model, P0)
    times, taus, rows = [], [], []

    def rec(tau, z):
        th = z[:-1]
        P = model._unflatten_b(th[None])
        lv, g, _ = grad_loss(th)
        times.append(z[-1] / g0n if g0n > 0 else 0.0)
        taus.append(tau)
        rows.append(observe(model, P, record, observables, loss_val=np.array([lv]),
                            grad_norm=np.array([np.linalg.norm(g)])))

    z0 = np.concatenate([theta0, [0.0]])
    status, message = None, ""
    tau_end, z_end = 0.0, z0
    if not (np.isfinite(lv0) and np.isfinite(g0n)):
        status, message = Status.OVERFLOW, (
            f"the loss or its gradient at the initial parameters is not finite in float64 "
            f"(loss {lv0:.3e}, |grad| {g0n:.3e}): the parameters are too large for this loss")
    elif done(lv0, g0n, F0):
        status, message = Status.SUCCESS, "tolerance met at t = 0"
    elif g0n == 0.0 or excess_of(F0) == 0.0:
        status, message = Status.STALLED, ("the gradient (or the excess loss) is zero at the initial "
                                           "parameters: the flow stays there forever and the stopping "
                                           "rule is not met")
    if t_eval is None or (t_eval[0] == 0.0):
        rec(0.0, z0)
    ev_i = 1 if (t_eval is not None and t_eval[0] == 0.0) else 0

    atol_v = np.full(z0.size, atol)
    if status is None:
        atol_v[-1] = atol   # |d theta/d tau| = du/d tau at tau = 0: the same scale
    def make_solver(name, tau0, zz, first_step=None):
        if name == "Radau":
            return Radau(rhs, tau0, zz, np.inf, rtol=rtol, atol=atol_v, jac=jac, first_step=first_step)
        return DOP853(rhs, tau0, zz, np.inf, rtol=rtol, atol=atol_v, first_step=first_step)

    tau_off = 0.0   # the solver's clock restarts at 0 (physical clock): tau = tau_off + solver.t

    current = "Radau" if method == "Radau" else "DOP853"
    can_switch = method == "auto" and n_par <= 2000
    v_power = np.random.default_rng(0).standard_normal((1, n_par))
    v_power /= np.linalg.norm(v_power)
    switches = []
    solver = make_solver(current, 0.0, z0) if status is None else None
    nit = 0
    has_rule = loss_tol is not None or grad_tol is not None or stat_tol is not None
    u_max = t_max * g0n
    chk_loss, chk_u = lv0, 0.0
    while status is None:
        if nit >= max_steps:
            status, message = Status.MAX_ITER, (
                f"max_steps={max_steps} accepted steps done at t={z_end[-1] / g0n:.6g} (tau={tau_end:.6g}) "
                f"before the stopping rule was met (loss {loss_of(z_end[:-1]):.3e})")
            break
        tau_prev = solver.t
        with np.errstate(over="ignore", invalid="ignore"):
            msg = solver.step()
            z = solver.y
            finite = bool(np.all(np.isfinite(z)))
            lv, g, F = grad_loss(z[:-1]) if finite else (np.inf, None, None)
        nit += 1
        if not finite or not np.isfinite(lv):
            status, message = Status.OVERFLOW, (
                f"the state or the loss left the float64 range at tau={solver.t:.6g}; the result holds "
                f"the last finite state (t={z_end[-1] / g0n:.6g})")
            break
        if solver.status == "failed":
            status, message = Status.NUMERICAL, f"integrator failed at tau={solver.t:.6g}: {msg}"
            break
        dense = None
        # t_max (physical): locate the crossing of u = t_max * |grad_0| on the dense output.
        if z[-1] >= u_max:
            dense = solver.dense_output()
            tau_c = brentq(lambda s: dense(s)[-1] - u_max, tau_prev, solver.t, xtol=1e-14 * abs(solver.t),
                           rtol=4 * np.finfo(float).eps)
            z = dense(tau_c)
            z[-1] = u_max
            lv, g, F = grad_loss(z[:-1])
        else:
            tau_c = solver.t
        # loss_tol: locate the crossing L = loss_tol exactly (to the rounding of the loss,
        # relative 1e-6 at L = 1e-20 where the residuals are 1e-10).
        hit = False
        if loss_tol is not None and lv <= loss_tol:
            hit = True
            dense = dense or solver.dense_output()
            if loss_of(dense(tau_prev)[:-1]) > loss_tol:
                tau_c = brentq(lambda s: loss_of(dense(s)[:-1]) - loss_tol, tau_prev, tau_c,
                               xtol=1e-14 * abs(tau_c), rtol=4 * np.finfo(float).eps)
                z = dense(tau_c)
                lv, g, F = grad_loss(z[:-1])
        if t_eval is not None and ev_i < t_eval.size and t_eval[ev_i] * g0n <= z[-1]:
            dense = dense or solver.dense_output()
            while ev_i < t_eval.size and t_eval[ev_i] * g0n <= z[-1]:
                ue = t_eval[ev_i] * g0n
                s = brentq(lambda s: dense(s)[-1] - ue, tau_prev, tau_c, xtol=1e-14 * abs(tau_c),
                           rtol=4 * np.finfo(float).eps) if dense(tau_prev)[-1] < ue else tau_prev
                ze = dense(s)
                ze[-1] = ue
                rec(tau_off + s, ze)
                ev_i += 1
        tau_end, z_end = tau_off + tau_c, z
        drift.update(model._unflatten_b(z[:-1][None]))
        if t_eval is None:
            rec(tau_off + tau_c, z)
        gn = float(np.linalg.norm(g))
        if hit or done(lv, gn, F):
            status, message = Status.SUCCESS, f"stopping tolerance met at t={z[-1] / g0n:.6g} (tau={tau_off + tau_c:.6g})"
        elif z[-1] >= u_max:
            if has_rule:
                status, message = Status.MAX_ITER, (f"t_max={t_max:.6g} reached before the stopping "
                                                    f"tolerance (loss {lv:.3e}, |grad| {gn:.3e})")
            else:
                status, message = Status.SUCCESS, f"integrated to t_max={t_max:.6g} (tau={tau_off + tau_c:.6g})"
        elif nit % stall_steps == 0:
            if lv > (1 - 1e-3) * chk_loss and z[-1] <= (1 + 1e-3) * chk_u:
                status, message = Status.STALLED, (
                    f"stalled at t={z[-1] / g0n:.6g} (tau={tau_off + tau_c:.6g}): neither the loss ({lv:.3e}) nor the "
                    f"physical time moved in {stall_steps} steps; the stopping rule cannot be met at "
                    f"rtol={rtol:g} (excess loss {excess_of(F):.3e}, computed as {excess_kind})")
            chk_loss, chk_u = lv, z[-1]
        if status is None and can_switch and clock[0] == "adaptive" and nit % 25 == 0:
            P = model._unflatten_b(z[:-1][None])
            lam, v_power, _ = _power(model, P, X, Y, loss, v_power, np.zeros(1), 30, 1e-2)
            E = excess_of(F)
            c = kappa * E / (gn * (kappa * E + gn)) if gn > 0 and E > 0 else 0.0
            # only a contracting mode (positive curvature) is stiff; a negative one is the
            # escape itself, whose rate c*|lam| ~ 1/|theta| the adaptive clock resolves
            if lam[0] > 0 and solver.step_size * c * lam[0] > 2.0:
                # Converged modes of curvature lam are stiff on the adaptive clock (rate c*lam)
                # and their rounding errors dominate a tiny gradient: the rest of the flow
                # runs on the physical clock with Radau (L-stable, exact Hessian Jacobian).
                # The trajectory does not depend on the clock, so the switch is exact.
                clock[0], current = "physical", "Radau"
                tau_off += solver.t
                solver = make_solver("Radau", 0.0, z.copy())
                switches.append(f"switched to the physical clock with Radau at tau={tau_off:.6g}, "
                                f"t={z[-1] / g0n:.6g} (stiff: converged modes of curvature {abs(lam[0]):.3g})")
        elif status is None and clock[0] == "physical" and solver.t > 1e6 * solver.step_size:
            # autonomous flow: restart the clock at 0 so that its float64 spacing stays
            # far below the step (the time itself is carried by u)
            tau_off += solver.t
            solver = make_solver("Radau", 0.0, z.copy(), first_step=solver.step_size)

    th = z_end[:-1]
    P = model._unflatten_b(th[None])
    x = tuple(p[0].copy() for p in P)
    if t_eval is not None and not times:
        times, taus = [], []
    records = unbatch(stack_records(rows)) if rows else {}
    tot = drift.total()
    with np.errstate(over="ignore", invalid="ignore"):
        fun, g, F = grad_loss(th)
    return ReparamResult(
        x=x, params=x, fun=fun, grad_norm=float(np.linalg.norm(g)), excess=excess_of(F) if np.isfinite(fun) else fun,
        t_final=float(z_end[-1] / g0n) if g0n > 0 and np.isfinite(g0n) else 0.0, tau_final=float(tau_end),
        t=np.array(times), tau=np.array(taus), records=records,
        drift=None if tot is None else float(tot[0]),
        drift_by_law={k: float(v[0]) for k, v in drift.by_law().items()},
        success=status is Status.SUCCESS, status=status,
        message="; ".join(switches + [message]), method=current,
        nfev=nfev[0], nit=nit, kappa=kappa,
    )
