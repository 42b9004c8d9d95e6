"""The label-noise SDE of Varre et al. (2023), integrated by Euler-Maruyama."""
from __future__ import annotations

import numbers

import numpy as np
from scipy.optimize import OptimizeResult

from .._contracts import Status
from .._validation import check_int, check_positive
from ..models._base import check_loss, check_model, loss_second_dF, loss_value_and_dF
from ._noise import RunNoise
from ._sharpness import MAX_BUDGET
from ._observe import quiet_overflow


@quiet_overflow
def label_noise_sde(model, params, X, y, dt, n_steps, sigma, loss="half_sum", *, seed=0,
                    record_every=1):
    """Euler-Maruyama for :math:`d\\theta = -\\nabla\\mathcal L(\\theta)\\,dt + \\sigma\\,\\kappa J(\\theta)^\\top dB_t`.

    :math:`B_t` is an ``n``-dimensional (``n x k`` for ``k`` outputs) Brownian
    motion, :math:`J` the Jacobian of the outputs in the parameters and
    :math:`\\kappa` the curvature of the loss in the outputs (1 for
    ``half_sum``, :math:`2/n` for ``mean``). For the two-layer net
    :math:`f(x) = a^\\top W x` (:math:`W = W_1^\\top`, :math:`a = W_2`) and
    ``half_sum`` this is Varre et al.'s LNGD system

    .. math::

        dW = a\\,\\big(X^\\top(Y - XW^\\top a)\\big)^\\top dt + \\sigma\\, a\\,(X^\\top dB_t)^\\top,\\qquad
        da = W\\big(X^\\top(Y - XW^\\top a)\\big)dt + \\sigma\\, W(X^\\top dB_t),

    (the seed slides set :math:`\\sigma = 1`). The discretization is
    :math:`\\theta_{j+1} = \\theta_j - \\Delta t\\,\\nabla\\mathcal L(\\theta_j) +
    \\sigma\\kappa J(\\theta_j)^\\top \\sqrt{\\Delta t}\\,\\xi_j`,
    :math:`\\xi_j\\sim\\mathcal N(0, I)`, one stream per run (``seed`` an int:
    run ``b`` draws from ``SeedSequence(seed).spawn(B)[b]``; a sequence of one seed
    per run: run ``b`` draws from ``default_rng(seed[b])``): strong
    order 1/2, weak order 1. Label-noise GD with step :math:`\\eta` and noise
    :math:`\\delta` is exactly this scheme with :math:`\\Delta t = \\eta`,
    :math:`\\sigma = \\delta\\sqrt\\eta` (checked in the tests).

    Parameters
    ----------
    params : tuple of ndarray
        One run or a batch of runs (independent noises).
    dt : float
        Time step.
    n_steps : int
    sigma : float
        Noise scale :math:`\\sigma \\ge 0`.

    Returns
    -------
    OptimizeResult
        ``x`` (final parameters), ``t`` and ``loss`` (recorded every
        ``record_every`` steps), ``success`` (False if a state became
        non-finite), ``status`` (an :class:`ibtheory.Status`: ``SUCCESS`` or
        ``OVERFLOW``), ``message``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import TwoLayerLinear, varre_init
    >>> from ibtheory.dynamics import gradient_descent, label_noise_sde
    >>> net = TwoLayerLinear(d=3, l=4); rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((2, 3)), rng.standard_normal(2)
    >>> sde = label_noise_sde(net, varre_init(net, 0.1), X, y, dt=1e-2, n_steps=300, sigma=0.0)
    >>> gd = gradient_descent(net, varre_init(net, 0.1), X, y, lr=1e-2, n_steps=300)
    >>> bool(np.allclose(sde.x[0], gd.x[0], rtol=1e-13, atol=1e-15))   # no noise: GD
    True

    See the book chapters *Gradient flow and its conservation laws* (``book/dynamics.md``) and *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """
    check_model(model)
    loss = check_loss(loss)
    if loss == "exponential":
        raise ValueError("label noise needs a square loss ('half_sum' or 'mean'), got 'exponential'")
    P, batched = model._check_params(params)
    X, Y = model.check_data(X, y, loss, require_y=True)
    B = P[0].shape[0]
    if Y.shape[0] not in (1, B):
        raise ValueError(f"y has a batch axis of {Y.shape[0]} runs but params have {B}: give params "
                         f"the same batch axis (or y none)")
    dt = check_positive(dt, "dt")
    if isinstance(sigma, (bool, np.bool_)) or not isinstance(sigma, numbers.Real) or not np.isfinite(sigma) or sigma < 0:
        raise ValueError(f"sigma must be a finite real >= 0, got {sigma!r}")
    n_steps = check_int(n_steps, "n_steps", minimum=0, maximum=MAX_BUDGET)
    record_every = check_int(record_every, "record_every", minimum=1, maximum=MAX_BUDGET)
    noise_stream = RunNoise(seed, Y.shape[1:], B=B)  # one stream per run (see _noise)
    P = tuple(p.copy() for p in P)
    P_prev = P
    ts, losses = [], []
    sq = np.sqrt(dt)
    ok = True
    for j in range(n_steps + 1):
        with np.errstate(over="ignore", invalid="ignore"):
            F = model._forward(P, X)
            val, G = loss_value_and_dF(F, Y, loss)
        if j % record_every == 0 or j == n_steps:
            ts.append(j * dt)
            losses.append(val)
        if not np.all(np.isfinite(val)):
            ok = False
            P = P_prev   # the last state with a finite loss
            break
        if j == n_steps:
            break
        g = model._vjp(P, X, G)
        xi = noise_stream.next()
        noise = model._vjp(P, X, loss_second_dF(F, Y, loss, xi))
        P_prev = P
        with np.errstate(over="ignore", invalid="ignore"):
            P = tuple(p - dt * gi + (sigma * sq) * ni for p, gi, ni in zip(P, g, noise))
    L = np.stack(losses, axis=1)
    return OptimizeResult(
        x=P if batched else tuple(p[0] for p in P), t=np.array(ts), loss=L if batched else L[0],
        success=ok, status=Status.SUCCESS if ok else Status.OVERFLOW,
        message=(f"{n_steps} Euler-Maruyama steps done" if ok else
                 f"the loss became non-finite at step {j} (the state left the float64 range; "
                 f"x holds the state of step {j - 1}): use a smaller dt or sigma"), nit=j,
    )
