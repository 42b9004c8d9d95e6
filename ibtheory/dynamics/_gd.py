"""Batched gradient descent (and label-noise GD), one NumPy step for all runs."""
from __future__ import annotations

import numbers

import numpy as np
from scipy.optimize import OptimizeResult

from .._contracts import Status
from .._validation import as_real_array, check_int
from ..models._base import check_loss, check_model, loss_value_and_dF
from ._noise import RunNoise
from ._observe import check_record, observe, stack_records, unbatch
from ._sharpness import MAX_BUDGET, sharpness_batched
from ._observe import quiet_overflow


class GDResult(OptimizeResult):
    """Result of :func:`gradient_descent` / :func:`label_noise_sgd`.

    Attributes
    ----------
    x, params : tuple of ndarray
        Final parameters (batch axis first if the input was batched); a
        diverged run holds its last iterate with a finite, non-exploding loss.
    fun : float or ndarray
        Final loss per run (``nan`` for diverged runs).
    steps : ndarray
        Step indices at which observables were recorded.
    records : dict
        Recorded observables with the step axis after the batch axis.
    diverged : bool or ndarray
        Whether each run diverged.
    diverged_at : int or ndarray
        First step ``t`` whose iterate :math:`\\theta_t` had a non-finite or
        exploding loss (``-1`` if none); the run is frozen from then on.
    sharpness, sharpness_steps : ndarray
        Largest Hessian eigenvalue per run at the recorded steps (if requested).
    success : bool
        True exactly when ``status is Status.SUCCESS``: no run diverged (the
        step budget ``n_steps`` is the stopping rule of GD, not a failure).
    status : ibtheory.Status
        ``SUCCESS``, or ``DIVERGED`` if at least one run diverged (see
        ``diverged``; the other runs are still valid).
    message : str
        What happened (how many runs diverged).
    nit : int
        Number of steps.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import Diagonal
    >>> from ibtheory.dynamics import GDResult, gradient_descent
    >>> net = Diagonal(d=2, L=2)
    >>> X, y = np.eye(2), np.array([1.0, 0.5])
    >>> res = gradient_descent(net, (np.ones(2), np.ones(2)), X, y, lr=0.1, n_steps=200)
    >>> isinstance(res, GDResult), res.success, bool(res.diverged)
    (True, True, False)
    >>> res.records["loss"].shape, bool(res.fun < 1e-12)
    ((201,), True)

    See the book chapter *Gradient flow and its conservation laws* (``book/dynamics.md``).
    """


def check_seed(seed, name="seed"):
    """``None`` or an integer >= 0 (the argument of ``numpy.random.default_rng``)."""
    if seed is None:
        return None
    return check_int(seed, name, minimum=0)


def _run(model, params, X, y, lr, n_steps, loss, record, observables, record_every,
         sharpness_every, sharpness_iters, blowup, label_noise, seed):
    check_model(model)
    check_loss(loss)
    P, batched = model._check_params(params)
    B = P[0].shape[0]
    X, Y = model.check_data(X, y, loss, require_y=True)
    if Y.shape[0] not in (1, B):
        raise ValueError(f"y has a batch axis of {Y.shape[0]} runs but params have {B}")
    lr = as_real_array(lr, "lr")
    if lr.ndim > 1 or (lr.ndim == 1 and lr.shape[0] != B) or np.any(lr <= 0):
        raise ValueError(f"lr must be a positive step size or an array of {B} positive step sizes (one per run)")
    lr = np.broadcast_to(lr, (B,)).astype(float)
    n_steps = check_int(n_steps, "n_steps", minimum=0, maximum=MAX_BUDGET)
    record_every = check_int(record_every, "record_every", minimum=1, maximum=MAX_BUDGET)
    if sharpness_every is not None:
        sharpness_every = check_int(sharpness_every, "sharpness_every", minimum=1, maximum=MAX_BUDGET)
        sharpness_iters = check_int(sharpness_iters, "sharpness_iters", minimum=1, maximum=MAX_BUDGET)
    if isinstance(blowup, (bool, np.bool_)) or not isinstance(blowup, numbers.Real) or not blowup > 1:
        raise ValueError(f"blowup must be a real > 1, got {blowup!r}")
    record, observables = check_record(model, record, observables)
    noise = None
    if label_noise is not None:
        noise = RunNoise(seed, Y.shape[1:], B=B)  # one stream per run (see _noise)
    else:
        seed = check_seed(seed)

    P = tuple(p.copy() for p in P)
    steps, rows, sh_steps, sh_rows = [], [], [], []
    diverged_at = np.full(B, -1, dtype=np.int64)
    active = np.ones(B, dtype=bool)
    limit = None
    v_sh = None
    shp = lambda a: (B,) + (1,) * (a.ndim - 1)  # noqa: E731
    last_vals = np.full(B, np.nan)
    P_prev = P

    for t in range(n_steps + 1):
        Yt = Y if label_noise is None else Y + label_noise * noise.next()
        vals, g = model._value_and_grad(P, X, Yt, loss)
        if label_noise is not None:
            # The recorded loss and divergence test use the clean labels.
            vals = loss_value_and_dF(model._forward(P, X), Y, loss)[0]
        if limit is None:
            limit = blowup * np.maximum(vals, 1.0) if np.all(np.isfinite(vals)) else None
            if limit is None:
                raise ValueError("params, X or y: the initial loss is not finite in float64 (the "
                                 "values are too large for this loss)")
        bad = active & (~np.isfinite(vals) | (vals > limit))
        if np.any(bad):
            diverged_at[bad] = t
            active &= ~bad
            # Frozen runs go back to their last good iterate (t - 1).
            P = tuple(np.where(bad.reshape(shp(p)), pp, p) for p, pp in zip(P, P_prev))
        vals = np.where(active, vals, np.nan)
        last_vals = vals
        if t % record_every == 0 or t == n_steps:
            steps.append(t)
            gn = np.sqrt(sum(np.sum(a.reshape(B, -1) ** 2, axis=1) for a in g))
            rows.append(observe(model, P, record, observables, loss_val=vals,
                                grad_norm=np.where(active, gn, np.nan)))
        if sharpness_every is not None and (t % sharpness_every == 0 or t == n_steps):
            lam, v_sh, _ = sharpness_batched(model, P, X, Y, loss, v0=v_sh, iters=sharpness_iters,
                                             tol=1e-8, seed=seed if seed is not None else 0)
            sh_steps.append(t)
            sh_rows.append(np.where(active, lam, np.nan))
        if t == n_steps or not np.any(active):
            break
        P_prev = P
        a = active.astype(float)
        P = tuple(p - (lr * a).reshape(shp(p)) * gi for p, gi in zip(P, g))

    rec = stack_records(rows)
    out = dict(
        x=P, params=P, fun=last_vals, steps=np.array(steps), records=rec,
        diverged=diverged_at >= 0, diverged_at=diverged_at, nit=n_steps,
        success=bool(np.all(diverged_at < 0)),
        status=Status.SUCCESS if np.all(diverged_at < 0) else Status.DIVERGED,
        message=(f"all runs finite after {n_steps} steps" if np.all(diverged_at < 0)
                 else f"{int(np.sum(diverged_at >= 0))} of {B} runs diverged (loss non-finite or above "
                      f"blowup * max(initial loss, 1); their fun is nan)"),
    )
    if sharpness_every is not None:
        out["sharpness"] = np.stack(sh_rows, axis=1)
        out["sharpness_steps"] = np.array(sh_steps)
    if not batched:
        out["x"] = out["params"] = tuple(p[0] for p in P)
        out["fun"] = float(last_vals[0])
        out["records"] = unbatch(rec)
        out["diverged"] = bool(out["diverged"][0])
        out["diverged_at"] = int(diverged_at[0])
        if sharpness_every is not None:
            out["sharpness"] = out["sharpness"][0]
    return GDResult(**out)


@quiet_overflow
def gradient_descent(model, params, X, y, lr, n_steps, loss="half_sum", *, record=("loss",),
                     observables=None, record_every=1, sharpness_every=None, sharpness_iters=100,
                     blowup=1e10):
    """Gradient descent :math:`\\theta_{t+1} = \\theta_t - \\eta\\nabla\\mathcal L(\\theta_t)`, batched over runs.

    Parameters
    ----------
    model : ibtheory.models.Model
    params : tuple of ndarray
        Initial parameters, one run or a batch of ``B`` runs (leading axis);
        every run advances in the same vectorized NumPy step.
    X, y : array_like
        Data; ``y`` may carry a batch axis (one label vector per run).
    lr : float or ndarray of shape (B,)
        Step size :math:`\\eta > 0`, or one per run (step-size sweeps).
    n_steps : int
        Number of steps.
    loss : {"half_sum", "mean", "exponential"}
    record : sequence of str
        Built-in observables (see :func:`gradient_flow`), recorded every
        ``record_every`` steps and at the last step.
    observables : dict, optional
        Extra observables ``name -> f(params)`` (called per run).
    sharpness_every : int, optional
        Also record the sharpness (largest Hessian eigenvalue, by power
        iteration on exact HVPs, warm-started) every that many steps.
    blowup : float
        A run diverges at the first step whose loss is non-finite or exceeds
        ``blowup * max(initial loss, 1)``; it is then frozen at its last good
        iterate and its loss is reported as ``nan``.

    Returns
    -------
    GDResult

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import DeepLinear, gaussian_init
    >>> from ibtheory.dynamics import gradient_descent
    >>> net = DeepLinear([2, 2, 1]); rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((8, 2)), rng.standard_normal(8)
    >>> params = gaussian_init(net, scale=0.5, seed=1, batch=2)
    >>> res = gradient_descent(net, params, X, y, lr=np.array([0.05, 5.0]), n_steps=2000)
    >>> res.diverged.tolist(), bool(res.diverged_at[1] > 0)
    ([False, True], True)
    >>> beta_ls = np.linalg.lstsq(X, y, rcond=None)[0]
    >>> bool(abs(res.fun[0] - 0.5 * np.sum((X @ beta_ls - y) ** 2)) < 1e-10)
    True

    See the book chapter *Gradient flow and its conservation laws* (``book/dynamics.md``).
    """
    with np.errstate(over="ignore", invalid="ignore"):   # divergence is detected, not warned
        return _run(model, params, X, y, lr, n_steps, loss, record, observables, record_every,
                    sharpness_every, sharpness_iters, blowup, None, None)


@quiet_overflow
def label_noise_sgd(model, params, X, y, lr, n_steps, delta, loss="half_sum", *, seed=0,
                    record=("loss",), observables=None, record_every=1, blowup=1e10):
    """Gradient descent with label noise: step ``t`` uses labels :math:`y + \\delta\\,\\varepsilon_t`.

    :math:`\\varepsilon_t\\sim\\mathcal N(0, I)` i.i.d. over steps, samples and
    runs, each run from its own stream: ``seed`` is an int (run ``b`` draws from
    ``SeedSequence(seed).spawn(B)[b]``) or a sequence of one seed per run (run
    ``b`` draws from ``default_rng(seed[b])``, so it is the same run whatever it is
    batched with). The recorded loss uses the clean labels. ``delta = 0`` is :func:`gradient_descent`. For the
    square loss one step is
    :math:`\\theta_{t+1} = \\theta_t - \\eta\\nabla\\mathcal L(\\theta_t) + \\eta\\delta\\,\\kappa J^\\top\\varepsilon_t`
    (:math:`\\kappa = 1` for ``half_sum``, :math:`2/n` for ``mean``), the
    Euler-Maruyama step of :func:`label_noise_sde` with ``dt = lr`` and
    ``sigma = delta * sqrt(lr)``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import TwoLayerLinear, varre_init
    >>> from ibtheory.dynamics import label_noise_sgd
    >>> net = TwoLayerLinear(d=3, l=4); rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((2, 3)), rng.standard_normal(2)
    >>> a = label_noise_sgd(net, varre_init(net, 0.1), X, y, lr=0.05, n_steps=10, delta=0.5, seed=7)
    >>> b = label_noise_sgd(net, varre_init(net, 0.1), X, y, lr=0.05, n_steps=10, delta=0.5, seed=7)
    >>> bool(np.array_equal(a.x[0], b.x[0]))
    True
    >>> p2 = tuple(np.stack([w, w]) for w in varre_init(net, 0.1))   # a batch of two runs
    >>> c = label_noise_sgd(net, p2, X, y, lr=0.05, n_steps=10, delta=0.5, seed=[3, 7])
    >>> d = label_noise_sgd(net, varre_init(net, 0.1), X, y, lr=0.05, n_steps=10, delta=0.5, seed=[7])
    >>> bool(np.array_equal(c.x[0][1], d.x[0]))   # run 1 of the batch = the same run alone
    True

    See the book chapter *Gradient flow and its conservation laws* (``book/dynamics.md``).
    """
    if loss == "exponential":
        raise ValueError("label noise needs a square loss ('half_sum' or 'mean'), got 'exponential'")
    if isinstance(delta, (bool, np.bool_)) or not isinstance(delta, numbers.Real) or not np.isfinite(delta) or delta < 0:
        raise ValueError(f"delta must be a finite real >= 0, got {delta!r}")
    with np.errstate(over="ignore", invalid="ignore"):
        return _run(model, params, X, y, lr, n_steps, loss, record, observables, record_every,
                    None, 1, blowup, float(delta), seed)
