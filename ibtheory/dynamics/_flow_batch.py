"""Many gradient flows of one model integrated together (a vectorized DOP853, per-run steps).

:func:`gradient_flow` spends most of a small flow in per-call Python overhead (one
gradient of a 24-parameter network costs ~35 us, almost all dispatch). The model
kernels take a leading batch axis, so :func:`gradient_flow_batch` integrates B
runs of one model as one array: every run keeps its own time, step size, error
norm, accept/reject decision and stopping rule (the rows of SciPy's DOP853 run
side by side), and a run that has stopped is frozen and no longer evaluated.
"""
from __future__ import annotations

import numbers

import numpy as np
from scipy.integrate._ivp import dop853_coefficients as _dop

from .._contracts import Status
from .._validation import as_real_array
from ..models._base import LinearModel, check_loss, check_model, loss_value_and_dF
from ._flow import FlowResult, _check_flow_args, gradient_flow
from ._observe import DriftMonitor, quiet_overflow
from ._sharpness import _power

__all__ = ["gradient_flow_batch", "FlowBatchResults"]

_EPS = np.finfo(float).eps
# SciPy's DOP853 (scipy.integrate._ivp.rk): tableau, controller constants, exponent -1/(7+1).
_S = _dop.N_STAGES
_A, _B, _C = _dop.A[:_S, :_S], _dop.B, _dop.C[:_S]
_E3, _E5 = _dop.E3, _dop.E5
SAFETY, MIN_FACTOR, MAX_FACTOR, _EXPONENT = 0.9, 0.2, 10.0, -1.0 / 8.0


class FlowBatchResults(tuple):
    """The :class:`FlowResult` of every run of :func:`gradient_flow_batch`, in input order.

    A tuple with two more attributes: ``scalar`` (indices of the runs handed to
    :func:`gradient_flow` alone) and ``reasons`` (index -> why). Every result also
    has ``result.path`` (``"batch"`` or ``"scalar"``).

    See the book chapter *Gradient flow and its conservation laws* (``book/dynamics.md``).
    """

    def __new__(cls, results, reasons):
        self = super().__new__(cls, results)
        self.reasons = dict(reasons)
        self.scalar = tuple(sorted(self.reasons))
        return self


def _sq_rows(a):
    """Squared norm of every row, each by ``x.dot(x)`` as ``np.linalg.norm`` of one vector does
    (BLAS ``ddot``; a reduction over an axis rounds differently), so a row's value does not
    depend on the batch and equals SciPy's to the last bit."""
    return np.array([x.dot(x) for x in a])


def _pow(a, p):
    """``a ** p`` element by element with C ``pow`` (as SciPy's scalar controller; NumPy's
    vectorized power differs in the last bit); 0 -> inf and NaN -> NaN for ``p < 0``."""
    return np.array([x ** p if x > 0 else (np.inf if x == 0 else np.nan) for x in a.tolist()])


def _rms(a):
    """SciPy's RMS norm of every row."""
    return np.sqrt(_sq_rows(a)) / a.shape[1] ** 0.5


def _split_data(model, X, y, B, loss):
    """Per-run data: ``(X list, y list, Xb, Yb, per_run_X)`` (``Xb``/``Yb`` for the kernels)."""
    Xa = as_real_array(X, "X")
    per_x = Xa.ndim == 3
    if per_x:
        if not isinstance(model, LinearModel):
            raise ValueError(f"X of shape (B, n, d) (one design per run) needs a linear model, got {model!r}")
        if Xa.shape[0] != B:
            raise ValueError(f"X has {Xa.shape[0]} designs (B, n, d) but params_list holds {B} runs")
        _, Y = model.check_data(Xa[0], y, loss, require_y=True)
    elif Xa.ndim == 2:
        _, Y = model.check_data(Xa, y, loss, require_y=True)
    else:
        raise ValueError(f"X must have shape (n, d) or (B, n, d), got {Xa.shape}")
    if Y.shape[0] not in (1, B):
        raise ValueError(f"y holds {Y.shape[0]} label sets but params_list holds {B} runs (need 1 or {B})")
    Xs = [Xa[i] if per_x else Xa for i in range(B)]
    ys = [Y[i if Y.shape[0] == B else 0] for i in range(B)]
    ys = [v[:, 0] if model.k == 1 else v for v in ys]
    return Xs, ys, Xa, Y, per_x


@quiet_overflow
def gradient_flow_batch(model, params_list, X, y, loss="half_sum", *, stat_tol=None, loss_tol=None,
                        grad_tol=None, rtol=1e-12, atol=None, t_max=np.inf, max_steps=200_000,
                        stall_steps=5000, method="auto", stiff_ratio=2.0):
    r"""Integrate B gradient flows :math:`\dot\theta_b = -\nabla\mathcal L_b(\theta_b)` of one model together.

    Each run follows SciPy's Dormand-Prince 8(5,3) (DOP853) exactly as
    :func:`gradient_flow` would alone, up to rounding: same tableau, first step
    (Hairer-Norsett-Wanner's ``select_initial_step``), error norm

    .. math::

        \mathrm{err}_b = |h_b|\,\frac{\|e_5/s\|^2}{\sqrt{(\|e_5/s\|^2 + 0.01\,\|e_3/s\|^2)\,N}},
        \qquad s = \mathrm{atol}_b + \mathrm{rtol}\,\max(|\theta_b|, |\theta_b^{\rm new}|),

    and controller :math:`h_b \leftarrow h_b\min(10, 0.9\,\mathrm{err}_b^{-1/8})` on
    acceptance (:math:`\mathrm{err}_b<1`; at most 1 after a rejection), else
    :math:`h_b \leftarrow h_b\max(0.2, 0.9\,\mathrm{err}_b^{-1/8})`, all per run.
    The stopping rules and their defaults are those of :func:`gradient_flow`
    (validated per run by the same code), so each finished run is frozen and no
    longer evaluated; the right-hand side is evaluated on the active rows only.

    Parameters
    ----------
    model : ibtheory.models.Model
        One network family for every run.
    params_list : sequence of tuple of ndarray
        Initial parameters of the B runs (one run each, the model's shapes).
    X, y : array_like
        Shared data ``(n, d)`` and labels ``(n,)``/``(n, k)``; or one label set per
        run (``(B, n)``/``(B, n, k)``); or, for linear models, one design per run
        ``X`` of shape ``(B, n, d)``.
    loss : {"half_sum", "mean", "exponential"}
        Loss convention.
    stat_tol, loss_tol, grad_tol, rtol, atol, t_max, max_steps, stall_steps
        As in :func:`gradient_flow`, per run (``atol`` defaults to ``rtol`` times
        the run's largest initial entry; ``stat_tol`` is relative to the run's
        :math:`\|X^\top\ell'(0)\|_F`).
    method : {"auto", "DOP853"}
        ``"auto"``: every 200 accepted steps a run is tested for stiffness as in
        :func:`gradient_flow` (:math:`h|\lambda_{\max}| > 2`, power iteration);
        a stiff run is handed to :func:`gradient_flow` (``method="auto"``) from its
        initial parameters, so its result is exactly the scalar one.
        ``"DOP853"``: no test (each run equals ``gradient_flow(..., method="DOP853")``).
    stiff_ratio : float, default 2.0
        The stiffness test's threshold on :math:`h|\lambda_{\max}|` (``"auto"``). The
        default is :func:`gradient_flow`'s, so every run's result is the scalar one. A
        step pinned by stability sits at the boundary of DOP853's real stability
        interval, :math:`h|\lambda| \approx 6.4`; a larger threshold (e.g. 5) keeps the
        runs whose step is still set by accuracy (:math:`2 < h|\lambda| < 5`) in the
        batch, integrated by DOP853 (their results are then those of
        ``gradient_flow(..., method="DOP853")``, equal to the ``"auto"`` ones within the
        integrator's tolerance, not to the last bit).

    Returns
    -------
    FlowBatchResults
        A tuple of B :class:`FlowResult` (``.x``, ``.fun``, ``.t_final``, ``.t``
        and ``.records["loss"]`` at every accepted step, ``.status``, ``.success``,
        ``.message``, ``.nfev``, ``.nit``, ``.drift``, ``.path``), with ``.scalar``
        (indices of the runs integrated by :func:`gradient_flow` alone) and
        ``.reasons``. A run of the batch is successful: any failure (overflow,
        ``max_steps``, a collapsed step, a stall, ``t_max`` before the tolerance)
        and any stiff run is redone by :func:`gradient_flow` from its initial
        parameters, whose result (and status) is returned.

    Notes
    -----
    The drift of the conservation laws (``DriftMonitor`` of ``ibtheory.dynamics._observe``:
    :math:`\max_t\|C(\theta(t))-C(\theta(0))\|_F/\max_t\|\theta(t)\|^2`) is
    checked at every accepted step of every run, as in :func:`gradient_flow`.
    ``nfev`` counts the gradients evaluated on the run's row. See the book
    chapter *Gradient flow and its conservation laws* (``book/dynamics.md``).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import Diagonal, yun_init
    >>> from ibtheory.dynamics import gradient_flow, gradient_flow_batch
    >>> net, X, y = Diagonal(d=3, L=2), np.array([[1., 2., 0.5]]), np.array([1.])
    >>> runs = [yun_init(net, a, np.ones(3)) for a in (0.5, 1.0, 2.0)]
    >>> res = gradient_flow_batch(net, runs, X, y, stat_tol=1e-10, rtol=1e-12)
    >>> [r.success for r in res], res.scalar
    ([True, True, True], ())
    >>> alone = gradient_flow(net, runs[2], X, y, stat_tol=1e-10, rtol=1e-12)
    >>> bool(np.max(np.abs(net.beta(res[2].x) - net.beta(alone.x))) < 1e-12), res[2].nit == alone.nit
    (True, True)
    """
    check_model(model)
    check_loss(loss)
    if isinstance(params_list, (str, bytes)) or not hasattr(params_list, "__len__") or len(params_list) == 0:
        raise ValueError("params_list must be a non-empty list of parameter tuples (one per run), "
                         f"got {params_list!r:.80}")
    if method not in ("auto", "DOP853"):
        raise ValueError(f"method must be 'auto' or 'DOP853', got {method!r}")
    if isinstance(stiff_ratio, (bool, np.bool_)) or not isinstance(stiff_ratio, numbers.Real) \
            or not 0 < stiff_ratio < np.inf:
        raise ValueError(f"stiff_ratio must be a positive finite real, got {stiff_ratio!r}")
    B = len(params_list)
    Xs, ys, Xb, Yb, per_x = _split_data(model, X, y, B, loss)
    kw = dict(t_max=t_max, loss_tol=loss_tol, grad_tol=grad_tol, stat_tol=stat_tol, rtol=rtol,
              atol=atol, max_steps=max_steps, stall_steps=stall_steps)
    runs = []
    for i, p in enumerate(params_list):
        try:
            runs.append(_check_flow_args("gradient_flow_batch", model, p, Xs[i], ys[i], loss, rtol_min=1e-14,
                                         method="auto", record=("loss",), observables=None, t_eval=None,
                                         **kw))
        except ValueError as e:     # name the run only for its own parameters, not a shared setting
            raise ValueError(f"params_list[{i}]: {e}" if "param" in str(e) else str(e)) from None
    _, _, _, _, _, rtol_, _, loss_tol, grad_tol, stat_tol, t_max, _, max_steps, stall_steps, _ = runs[0]
    results, reasons = _integrate(model, runs, Xb, Yb, per_x, loss, loss_tol, grad_tol, stat_tol,
                                  rtol_, t_max, max_steps, stall_steps, method, float(stiff_ratio))
    for i in reasons:
        res = gradient_flow(model, tuple(params_list[i]), Xs[i], ys[i], loss, method=method, **kw)
        res["path"] = "scalar"
        results[i] = res
    return FlowBatchResults(results, reasons)


def _integrate(model, runs, Xb, Yb, per_x, loss, loss_tol, grad_tol, stat_tol, rtol, t_max,
               max_steps, stall_steps, method, stiff_ratio):
    """The batched DOP853 loop; returns (results with None for handed-over runs, reasons)."""
    B, N = len(runs), model.n_params
    th = np.stack([r[-1] for r in runs]).astype(float)
    atol = np.array([r[6] for r in runs])
    rtol = max(rtol, 100 * _EPS)                     # what SciPy's validate_tol does
    P0 = tuple(np.concatenate(ps) for ps in zip(*(r[0] for r in runs)))
    Ys = Yb if Yb.shape[0] == B else np.broadcast_to(Yb, (B,) + Yb.shape[1:])
    nfev = np.zeros(B, dtype=int)
    sub = {}                                         # data of the active rows, per active set

    def data(rows):
        key = rows.tobytes()
        if key not in sub:
            if len(sub) > 3:
                sub.clear()
            Xa = Xb[rows] if per_x else Xb
            # X^T as a transposed view, as gradient_flow's X.T (a copy would round differently)
            sub[key] = (Xa, np.swapaxes(Xa, -1, -2) if per_x else None, Ys[rows])
        return sub[key]

    def grad(rows, theta):
        nfev[rows] += 1
        Xa, Xta, Ya = data(rows)
        P = model._unflatten_b(theta)
        if per_x:
            G = loss_value_and_dF(np.matmul(Xa, model._beta(P)), Ya, loss)[1]
            g = model._beta_vjp(P, np.matmul(Xta, G))
        else:
            g = model._value_and_grad(P, Xa, Ya, loss)[1]
        return -model._flatten_b(g)

    def loss_stat(rows, theta):
        Xa, Xta, Ya = data(rows)
        P = model._unflatten_b(theta)
        F = np.matmul(Xa, model._beta(P)) if per_x else model._forward(P, Xa)
        val, G = loss_value_and_dF(F, Ya, loss)
        if stat_tol is None:
            return val, None
        XtG = np.matmul(Xta, G) if per_x else np.matmul(Xa.T, G)
        return val, np.sqrt(_sq_rows(XtG.reshape(XtG.shape[0], -1)))

    def done(rows, lv, gn, st):
        ok = np.zeros(lv.shape, dtype=bool)
        if loss_tol is not None:
            ok |= lv <= loss_tol
        if grad_tol is not None:
            ok |= gn <= grad_tol
        if stat_tol is not None:
            ok |= st <= stat_tol * stat_ref[rows]
        return ok

    all_rows = np.arange(B)
    if stat_tol is not None:
        G0 = loss_value_and_dF(np.zeros_like(Ys), Ys, loss)[1]
        XtG0 = np.matmul(np.swapaxes(Xb, -1, -2), G0) if per_x else np.matmul(Xb.T, G0)
        stat_ref = np.sqrt(_sq_rows(XtG0.reshape(B, -1)))
    results, reasons = [None] * B, {}
    t = np.zeros(B)
    f = grad(all_rows, th)
    lv, st = loss_stat(all_rows, th)
    gn = np.sqrt(_sq_rows(f))
    active = np.ones(B, dtype=bool)
    drift = DriftMonitor(model, P0)
    hist_rows, hist_t, hist_l = [all_rows], [t.copy()], [lv.copy()]
    nit = np.zeros(B, dtype=int)
    message = [""] * B
    bad = ~(np.isfinite(lv) & np.isfinite(gn))
    for i in np.flatnonzero(bad):
        reasons[int(i)] = "the loss or its gradient at the initial parameters is not finite"
    active &= ~bad
    fin0 = active & done(all_rows, lv, gn, st)
    for i in np.flatnonzero(fin0):
        message[i] = "tolerance met at t = 0"
    active &= ~fin0
    # select_initial_step (Hairer, Norsett & Wanner II.4), per run, for the runs that move
    h_abs = np.zeros(B)
    r0 = np.flatnonzero(active)
    if r0.size:
        y0, f0 = th[r0], f[r0]
        scale = atol[r0, None] + np.abs(y0) * rtol
        d0, d1 = _rms(y0 / scale), _rms(f0 / scale)
        h0 = np.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / np.where(d1 > 0, d1, 1.0))
        h0 = np.minimum(h0, t_max)
        f1 = grad(r0, y0 + h0[:, None] * f0)
        d2 = _rms((f1 - f0) / scale) / h0
        small = (d1 <= 1e-15) & (d2 <= 1e-15)
        with np.errstate(divide="ignore"):
            # fmax/fmin: SciPy's Python max/min skip a NaN from an overflowing probe
            h1 = np.where(small, np.maximum(1e-6, h0 * 1e-3), _pow(0.01 / np.fmax(d1, d2), 1 / 8))
        h_abs[r0] = np.minimum(np.fmin(100 * h0, h1), t_max)
    fresh = np.ones(B, dtype=bool)
    rejected = np.zeros(B, dtype=bool)
    min_step = np.zeros(B)
    h_last = np.zeros(B)
    check = np.stack([lv, gn, t])                    # the stall window's reference (loss, |grad|, t)
    has_rule = loss_tol is not None or grad_tol is not None or stat_tol is not None
    smooth = getattr(model, "smooth", True)
    can_switch = method == "auto" and N <= 2000
    v_power = np.random.default_rng(0).standard_normal((1, N))
    v_power = np.tile(v_power / np.linalg.norm(v_power), (B, 1))

    def hand_over(rows, why):
        for i in rows:
            reasons[int(i)] = why
        active[rows] = False

    while active.any():
        rows = np.flatnonzero(active)
        over = rows[fresh[rows] & (nit[rows] >= max_steps)]
        if over.size:
            hand_over(over, f"max_steps={max_steps} accepted steps done before the stopping rule")
            continue
        fr = rows[fresh[rows]]
        if fr.size:
            min_step[fr] = 10 * np.abs(np.nextafter(t[fr], np.inf) - t[fr])
            h_abs[fr] = np.maximum(h_abs[fr], min_step[fr])
            fresh[fr] = False
        tiny = rows[h_abs[rows] < min_step[rows]]
        if tiny.size:
            hand_over(tiny, "the step size fell below the float64 spacing of t")
            continue
        tr = t[rows]
        t_new = np.minimum(tr + h_abs[rows], t_max)
        h = t_new - tr
        y, K = th[rows], np.empty((_S + 1, rows.size, N))
        K[0] = f[rows]
        Kt = np.moveaxis(K, 0, -1)                   # (rows, N, stages): one gemv per row
        for s in range(1, _S):
            K[s] = grad(rows, y + np.matmul(Kt[..., :s], _A[s, :s]) * h[:, None])
        y_new = y + h[:, None] * np.matmul(Kt[..., :-1], _B)
        K[-1] = f_new = grad(rows, y_new)
        scale = atol[rows, None] + np.maximum(np.abs(y), np.abs(y_new)) * rtol
        e5 = np.matmul(Kt, _E5) / scale
        e3 = np.matmul(Kt, _E3) / scale
        n5, n3 = np.sqrt(_sq_rows(e5)) ** 2, np.sqrt(_sq_rows(e3)) ** 2
        zero = (n5 == 0) & (n3 == 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            err = np.where(zero, 0.0, np.abs(h) * n5 / np.sqrt((n5 + 0.01 * n3) * N))
            q = SAFETY * _pow(err, _EXPONENT)
            grow = np.where(err == 0, MAX_FACTOR, np.minimum(MAX_FACTOR, q))
            shrink = np.fmax(MIN_FACTOR, q)
        acc = err < 1
        grow = np.where(rejected[rows], np.minimum(1.0, grow), grow)
        h_abs[rows] = np.abs(h) * np.where(acc, grow, shrink)
        rejected[rows] = ~acc
        if not acc.any():
            continue
        a = rows[acc]
        fresh[a] = True
        rejected[a] = False
        h_last[a] = t_new[acc] - tr[acc]
        t[a], th[a], f[a] = t_new[acc], y_new[acc], f_new[acc]
        nit[a] += 1
        lva, sta = loss_stat(a, th[a])
        finite = np.all(np.isfinite(th[a]), axis=1) & np.isfinite(lva)
        if not finite.all():
            hand_over(a[~finite], "the state or the loss left the float64 range")
            keep = finite
            a, lva = a[keep], lva[keep]
            sta = None if sta is None else sta[keep]
        Pa = model._unflatten_b(th[a])
        drift.scale[a] = np.maximum(drift.scale[a], drift._sq(Pa))
        for k, c in model._conserved(Pa).items():
            dev = np.sqrt(np.sum((c - drift.C0[k][a]).reshape(a.size, -1) ** 2, axis=1))
            drift.abs[k][a] = np.maximum(drift.abs[k][a], dev)
        if not smooth:
            kink = h_last[a] < 1e-8 * np.maximum(np.abs(t[a]), 1.0)
            if kink.any():
                hand_over(a[kink], "the step size collapsed (a kink of the vector field)")
        gna = np.sqrt(_sq_rows(f[a]))
        lv[a], gn[a] = lva, gna
        hist_rows.append(a)
        hist_t.append(t[a].copy())
        hist_l.append(lva.copy())
        still = active[a]
        ok = done(a, lva, gna, sta) & still
        for i in a[ok]:
            message[i] = f"stopping tolerance met at t={t[i]:.6g}"
        active[a[ok]] = False
        win = a[still & ~ok & (nit[a] % stall_steps == 0)]
        if win.size:
            flat = (lv[win] > 0.99 * check[0, win]) & (0.5 * check[1, win] <= gn[win]) & (gn[win] <= 2.0 * check[1, win])
            crawl = (t[win] - check[2, win]) < 0.01 * (t_max - t[win])
            stall = flat & (has_rule | crawl)
            hand_over(win[stall], "no progress in stall_steps steps (stalled)")
            check[:, win] = np.stack([lv[win], gn[win], t[win]])
        if can_switch:
            for i in a[active[a] & (nit[a] % 200 == 0)]:
                P = model._unflatten_b(th[i][None])
                Xi = Xb[i] if per_x else Xb
                lam, v_power[i:i + 1], _ = _power(model, P, Xi, Ys[i:i + 1], loss, v_power[i:i + 1],
                                                  np.zeros(1), 30, 1e-2)
                if h_last[i] * abs(lam[0]) > stiff_ratio:
                    hand_over([i], f"stiff at t={t[i]:.6g}, step {nit[i]} (h |lambda_max| = "
                                   f"{h_last[i] * abs(lam[0]):.3g} > {stiff_ratio:g})")
        end = a[active[a] & (t[a] >= t_max)]
        if end.size:
            if has_rule:
                hand_over(end, "t_max reached before the stopping tolerance")
            else:
                for i in end:
                    message[i] = f"integrated to t_max={t_max:.6g}"
                active[end] = False
    hr, ht, hl = np.concatenate(hist_rows), np.concatenate(hist_t), np.concatenate(hist_l)
    laws = drift.by_law()
    tot = drift.total()
    for i in range(B):
        if i in reasons:
            continue
        mine = hr == i
        x = tuple(p[0].copy() for p in model._unflatten_b(th[i][None]))
        results[i] = FlowResult(
            x=x, params=x, fun=float(lv[i]), grad_norm=float(gn[i]), t_final=float(t[i]), t=ht[mine],
            records={"loss": hl[mine]}, drift=None if tot is None else float(tot[i]),
            drift_by_law={k: float(v[i]) for k, v in laws.items()}, success=True, status=Status.SUCCESS,
            message=message[i], method="DOP853", nfev=int(nfev[i]), nit=int(nit[i]), path="batch")
    return results, reasons
