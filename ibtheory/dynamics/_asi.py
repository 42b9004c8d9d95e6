r"""Fast full-batch gradient descent for many two-layer ReLU networks at once (anti-symmetric initialization).

Jin & Montufar train networks :math:`f(x)=\sum_i a_i[w_i^\top x+b_i]_+ + c` that start from an
*anti-symmetric initialization* (every neuron duplicated with opposite output weights, so
:math:`f\equiv0` at the start) on a handful of points, at widths from 10 to 10,240 and for
hundreds of thousands of steps. :func:`gradient_descent` handles a batch of runs of one shape;
here networks of *different widths* advance in one vectorized step (their neurons are
concatenated along one axis and summed per network with ``np.add.reduceat``), and each stops
on its own rule. The update is plain gradient descent on the problem's loss,

.. math::

    \theta_{t+1} = \theta_t - \eta\,D\,\nabla\mathcal L(\theta_t),

with :math:`D` = ``output_lr_scale`` on the output weights and 1 elsewhere (1/2 is gradient
descent in the parameters of the paper's anti-symmetric parametrization, where the output
weights are :math:`\pm\frac{\sqrt2}{2}V_i` with :math:`V_i` trained; 1 is
:func:`ibtheory.dynamics.gradient_descent` on :class:`ibtheory.models.TwoLayerReLU`).

See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .._contracts import Status
from .._validation import as_real_array, check_int, check_positive
from ._problem import Problem
from ._observe import quiet_overflow

__all__ = ["ASIRun", "asi_gradient_descent", "relu_jacobian"]

_STOPS = ("loss_change", "residual")


def _check_params(P, k):
    if not isinstance(P, (tuple, list)) or len(P) != 4:
        raise ValueError(f"params[{k}] must be a tuple (W1, b1, W2, b2) of a TwoLayerReLU with biases")
    W, b, a, c = (as_real_array(p, f"params[{k}]") for p in P)
    if W.ndim != 2 or b.shape != (W.shape[0],) or a.shape != (W.shape[0],) or c.size != 1:
        raise ValueError(f"params[{k}] must have shapes (m, d), (m,), (m,), () , got "
                         f"{W.shape}, {b.shape}, {a.shape}, {c.shape}")
    return W, b, a, float(c.reshape(()))


def relu_jacobian(params, X, output_lr_scale=1.0, train="all"):
    r"""Rows :math:`\nabla_\theta f(x_j)` of a two-layer ReLU network, scaled by the square root of the step scales.

    Columns are ``(W1 (row-major), b1, W2, b2)``; the output-weight columns carry
    :math:`\sqrt{\texttt{output\_lr\_scale}}` and the hidden columns are 0 when
    ``train="output"``, so that :math:`JJ^\top` is the tangent kernel of the dynamics of
    :func:`asi_gradient_descent` (ReLU derivative :math:`H(0)=0`).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.dynamics import relu_jacobian
    >>> from ibtheory.models import TwoLayerReLU, relu_init
    >>> relu_jacobian(relu_init(TwoLayerReLU(1, 4), "uniform", 1.0, 2.0), np.array([[0.0], [1.0]])).shape
    (2, 13)
    """
    W, b, a, _ = _check_params(params, 0)
    X = as_real_array(X, "X")
    if X.ndim != 2 or X.shape[1] != W.shape[1]:
        raise ValueError(f"X must have shape (M, {W.shape[1]}), got {X.shape}")
    output_lr_scale = check_positive(output_lr_scale, "output_lr_scale")
    if train not in ("all", "output"):
        raise ValueError(f"train must be 'all' or 'output', got {train!r}")
    Z = X @ W.T + b
    H = (Z > 0) * a                                     # (M, m)
    hid = 1.0 if train == "all" else 0.0
    JW = hid * (H[:, :, None] * X[:, None, :]).reshape(X.shape[0], -1)
    return np.concatenate([JW, hid * H, np.sqrt(output_lr_scale) * np.maximum(Z, 0.0),
                           np.ones((X.shape[0], 1))], axis=1)


@dataclasses.dataclass(frozen=True)
class ASIRun:
    """Result of :func:`asi_gradient_descent`, one entry per network.

    Attributes
    ----------
    neurons : ndarray of int
        Hidden neurons m of each network.
    params : tuple of tuple
        Final ``(W1, b1, W2, b2)`` of each network.
    loss : ndarray
        Final loss (the problem's convention), after the Gauss-Newton tail if any.
    gd_loss : ndarray
        Loss when gradient descent stopped (before the tail).
    nit : ndarray of int
        Gradient-descent steps taken.
    lr : ndarray
        Step size of each network.
    polish_shift : ndarray
        Sup over ``polish_points`` of the change of the output made by the tail (0 without).
    status : tuple of Status
        ``SUCCESS`` (stopping rule met and, with a tail, residual below 1e-8 of the data
        scale), ``MAX_ITER``, or ``DIVERGED`` (non-finite loss).
    success : bool
    message : str
    """

    neurons: np.ndarray
    params: tuple
    loss: np.ndarray
    gd_loss: np.ndarray
    nit: np.ndarray
    lr: np.ndarray
    polish_shift: np.ndarray
    status: tuple
    success: bool
    message: str

    def __call__(self, k, T):
        """Output of network ``k`` on inputs ``T`` of shape (N, d)."""
        W, b, a, c = self.params[k]
        T = as_real_array(T, "T")
        if T.ndim != 2 or T.shape[1] != W.shape[1]:
            raise ValueError(f"T must have shape (N, {W.shape[1]}), got {T.shape}")
        step = max(1, 2**22 // max(W.shape[0], 1))    # blocks keep (points x neurons) small
        return np.concatenate([np.maximum(T[i:i + step] @ W.T + b, 0.0) @ a
                               for i in range(0, T.shape[0], step)]) + c


def _dL(problem, R):
    """dL/df per network for R of shape (M, nets); the loss per network."""
    if problem.loss == "mean":
        return (2.0 / problem.n) * R, np.mean(R * R, axis=0)
    return R, 0.5 * np.sum(R * R, axis=0)


@quiet_overflow
def asi_gradient_descent(problem, params, *, lr_factor=1.0, output_lr_scale=1.0, train="all",
                         stop="loss_change", tol=1e-9, max_steps=200_000, check_every=50, polish=False,
                         polish_points=None, polish_steps=5):
    r"""Gradient descent on many two-layer ReLU networks (anti-symmetric initialization), all in one step.

    Each network's step is :math:`\eta = \texttt{lr\_factor}\cdot\kappa/\lambda_{\max}` with
    :math:`\lambda_{\max}` the top eigenvalue of its tangent kernel :math:`JDJ^\top` at the start
    (:func:`relu_jacobian`) and :math:`\kappa = M/2` for ``loss="mean"``
    (:math:`\tfrac1M\sum r^2`, the paper's mean squared error), 1 for ``"half_sum"``: the stiffest mode of the linearized
    dynamics contracts by :math:`1-\texttt{lr\_factor}`. A network stops when its loss changes by
    less than ``tol`` in one step (``stop="loss_change"``, the rule of Jin & Montufar's code) or
    when its largest residual is below ``tol`` (``"residual"``), or after ``max_steps``.
    With ``polish=True`` the remaining residual is removed by Gauss-Newton steps
    :math:`\theta\leftarrow\theta-D^{1/2}(JD^{1/2})^+r`, the limit of gradient descent on the network
    linearized at the stopping point; its effect on the output over ``polish_points`` is reported.

    Parameters
    ----------
    problem : Problem
        Data ``X`` (M, d), ``y`` (M,) and the loss (``"mean"`` or ``"half_sum"``).
    params : sequence of tuple
        Initial ``(W1, b1, W2, b2)`` of :class:`ibtheory.models.TwoLayerReLU` networks (any widths).
    lr_factor : float in (0, 2)
    output_lr_scale : float
    train : {"all", "output"}
        ``"output"`` freezes the hidden layer.
    stop : {"loss_change", "residual"}
    tol : float
    max_steps, check_every : int
        Budget, and how often finished networks are removed from the vectorized step.
    polish : bool
    polish_points : array_like, shape (N, d), optional
        Where the tail's change of the output is measured (default: the training inputs).
    polish_steps : int
        Most Gauss-Newton steps of the tail (a step can move a ReLU's kink across a data point,
        which changes the piecewise-linear model; more steps then help).

    Returns
    -------
    ASIRun

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.dynamics import Problem, asi_gradient_descent
    >>> from ibtheory.models import TwoLayerReLU, relu_init
    >>> prob = Problem(np.array([[-1.0], [0.0], [1.0]]), np.array([1.0, 0.0, 1.0]), loss="mean")
    >>> P = [relu_init(TwoLayerReLU(1, m), "uniform", 1.0, 2.0, seed=0) for m in (40, 100)]
    >>> run = asi_gradient_descent(prob, P, stop="residual", tol=1e-10)
    >>> run.success, bool(np.max(np.abs(run(1, prob.X) - prob.y)) < 1e-10)
    (True, True)

    See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be an ibtheory.dynamics.Problem, got {type(problem).__name__}")
    if problem.loss not in ("mean", "half_sum") or problem.y.ndim != 1:
        raise ValueError(f"problem must have a square loss ('mean' or 'half_sum') and y of shape (M,), "
                         f"got loss={problem.loss!r}, y.shape={problem.y.shape}")
    if not isinstance(params, (list, tuple)) or len(params) == 0:
        raise ValueError("params must be a non-empty sequence of (W1, b1, W2, b2) tuples")
    nets = [_check_params(P, k) for k, P in enumerate(params)]
    X, y, M = problem.X, problem.y, problem.n
    if any(W.shape[1] != problem.d for W, *_ in nets):
        raise ValueError(f"every network must take {problem.d} inputs (the problem's X has {problem.d} columns)")
    lr_factor = check_positive(lr_factor, "lr_factor")
    if lr_factor >= 2:
        raise ValueError(f"lr_factor must be < 2 (stability of the linearized dynamics), got {lr_factor}")
    output_lr_scale = check_positive(output_lr_scale, "output_lr_scale")
    if train not in ("all", "output"):
        raise ValueError(f"train must be 'all' or 'output', got {train!r}")
    if stop not in _STOPS:
        raise ValueError(f"stop must be one of {_STOPS}, got {stop!r}")
    tol = check_positive(tol, "tol")
    max_steps = check_int(max_steps, "max_steps", minimum=1)
    check_every = check_int(check_every, "check_every", minimum=1)
    if polish not in (True, False):
        raise ValueError(f"polish must be True or False, got {polish!r}")
    polish_steps = check_int(polish_steps, "polish_steps", minimum=1)
    Tp = X if polish_points is None else as_real_array(polish_points, "polish_points")
    if Tp.ndim != 2 or Tp.shape[1] != problem.d:
        raise ValueError(f"polish_points must have shape (N, {problem.d}), got {Tp.shape}")
    kappa = M / 2 if problem.loss == "mean" else 1.0
    hid = 1.0 if train == "all" else 0.0
    B = len(nets)
    lr = np.array([lr_factor * kappa / np.linalg.eigvalsh(
        (lambda J: J @ J.T)(relu_jacobian(P, X, output_lr_scale, train)))[-1] for P in nets])
    state = [list(P) for P in nets]
    nit = np.zeros(B, int)
    gd_loss = np.full(B, np.nan)
    finished = np.zeros(B, bool)
    diverged = np.zeros(B, bool)
    prev = np.full(B, np.inf)
    step = 0
    with np.errstate(over="ignore", invalid="ignore"):
        while step < max_steps and not np.all(finished | diverged):
            act = np.flatnonzero(~(finished | diverged))
            sizes = np.array([state[k][0].shape[0] for k in act])
            starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
            seg = np.repeat(np.arange(act.size), sizes)
            Wt = np.concatenate([state[k][0] for k in act]).T.copy()     # (d, neurons)
            b = np.concatenate([state[k][1] for k in act])
            a = np.concatenate([state[k][2] for k in act])
            c = np.array([state[k][3] for k in act])
            eta = lr[act].copy()
            pv = prev[act].copy()
            done = np.zeros(act.size, bool)
            for _ in range(min(check_every, max_steps - step)):
                Z = X @ Wt + b
                phi = np.maximum(Z, 0.0)
                R = np.add.reduceat(phi * a, starts, axis=1) + (c - y[:, None])     # (M, nets)
                G, L = _dL(problem, R)
                crit = np.abs(pv - L) < tol if stop == "loss_change" else np.max(np.abs(R), axis=0) < tol
                bad = ~np.isfinite(L)
                newly = ~done & (crit | bad)
                for i in np.flatnonzero(newly):
                    k = act[i]
                    nit[k], gd_loss[k] = step, L[i]
                    finished[k], diverged[k] = not bad[i], bool(bad[i])
                done |= newly
                if done.all():
                    break
                pv = np.where(done, pv, L)
                Ge = G * np.where(done, 0.0, eta)                 # step-scaled dL/df per network
                Gn = Ge[:, seg]
                gz = (Z > 0) * Gn * a
                Wt = Wt - hid * (X.T @ gz)
                b = b - hid * gz.sum(0)
                a = a - output_lr_scale * np.einsum("mn,mn->n", phi, Gn)
                c = c - Ge.sum(0)
                step += 1
            for i, k in enumerate(act):
                sl = slice(starts[i], starts[i] + sizes[i])
                state[k] = [Wt[:, sl].T.copy(), b[sl].copy(), a[sl].copy(), float(c[i])]
                prev[k] = pv[i]
    out_params, losses, shifts, status = [], np.empty(B), np.zeros(B), []
    for k in range(B):
        W, b, a, c = state[k]
        if not (finished[k] or diverged[k]):
            nit[k] = step
            r = np.maximum(X @ W.T + b, 0.0) @ a + c - y
            gd_loss[k] = float(_dL(problem, r[:, None])[1][0])
        if polish and finished[k]:
            before = np.maximum(Tp @ W.T + b, 0.0) @ a + c
            for _ in range(polish_steps):
                r = np.maximum(X @ W.T + b, 0.0) @ a + c - y
                if np.max(np.abs(r)) < 1e-13:
                    break
                J = relu_jacobian((W, b, a, c), X, output_lr_scale, train)
                delta = np.linalg.lstsq(J, r, rcond=None)[0]       # rank-safe at small widths
                m, d = W.shape
                W = W - hid * delta[:m * d].reshape(m, d)
                b = b - hid * delta[m * d:m * d + m]
                a = a - np.sqrt(output_lr_scale) * delta[m * d + m:m * d + 2 * m]
                c = c - delta[-1]
            shifts[k] = float(np.max(np.abs(np.maximum(Tp @ W.T + b, 0.0) @ a + c - before)))
        r = np.maximum(X @ W.T + b, 0.0) @ a + c - y
        losses[k] = float(_dL(problem, r[:, None])[1][0])
        scale = max(float(np.max(np.abs(y))), 1.0)
        if diverged[k] or not np.isfinite(losses[k]):
            status.append(Status.DIVERGED)
        elif not finished[k] or (polish and np.max(np.abs(r)) > 1e-8 * scale):
            status.append(Status.MAX_ITER)
        else:
            status.append(Status.SUCCESS)
        out_params.append((W, b, a, np.asarray(c)))
    ok = all(s is Status.SUCCESS for s in status)
    n_bad = sum(s is not Status.SUCCESS for s in status)
    return ASIRun(neurons=np.array([P[0].shape[0] for P in nets]), params=tuple(out_params), loss=losses,
                  gd_loss=gd_loss, nit=nit, lr=lr, polish_shift=shifts, status=tuple(status), success=ok,
                  message="every network met its stopping rule" if ok else
                  f"{n_bad} of {B} networks did not meet the stopping rule (see status)")
