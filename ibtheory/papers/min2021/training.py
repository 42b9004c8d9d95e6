"""Gradient flow of the two-layer network to a relative loss gap, and the measured rate.

See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._contracts import Status
from ..._validation import as_real_array, check_positive
from ...dynamics import Problem
from .data import LOSS, from_params, matrix, split_data, to_params

__all__ = ["TrainResult", "train", "asymptotic_rate"]

# FlowResult.status codes of ibtheory.dynamics.gradient_flow -> Status
_STATUS = {0: Status.SUCCESS, 1: Status.MAX_ITER, 2: Status.MAX_ITER, 3: Status.MAX_ITER,
           4: Status.STALLED, -1: Status.NUMERICAL}


def _status(st) -> Status:
    if isinstance(st, Status):
        return st
    try:
        return Status(st)
    except ValueError:
        return _STATUS.get(int(st), Status.NUMERICAL)


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """One gradient-flow run from ``(U0, V0)``.

    Attributes
    ----------
    U, V : ndarray
        Final parameters.
    t, loss : ndarray
        Recorded times and losses (every accepted step).
    loss_star : float
        The global minimum :math:`\\mathcal L^*`.
    final_gap : float
        :math:`\\mathcal L(t_{\\rm final}) - \\mathcal L^*`.
    records : dict
        The extra observables, time along axis 0.
    drift : float
        Relative drift of the model's conservation laws (integration accuracy).
    status : Status
    message : str
    """

    U: np.ndarray
    V: np.ndarray
    t: np.ndarray
    loss: np.ndarray
    loss_star: float
    final_gap: float
    records: dict
    drift: float
    status: Status
    message: str

    @property
    def success(self) -> bool:
        return self.status is Status.SUCCESS

    @property
    def gap(self) -> np.ndarray:
        """The recorded loss gap :math:`\\mathcal L(t) - \\mathcal L^*`."""
        return self.loss - self.loss_star


def train(problem: Problem, U, V, *, gap_tol=1e-13, rtol=1e-12, observables=None) -> TrainResult:
    """Gradient flow (DOP853) from ``(U, V)`` until the loss gap has fallen by ``gap_tol``.

    Stops at :math:`\\mathcal L \\le \\mathcal L^* + \\texttt{gap\\_tol}\\,(\\mathcal L(0) - \\mathcal L^*)`;
    a run that does not get there is returned with its ``status`` (never raised).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.min2021 import make_problem, split_data, random_init, train
    >>> rng = np.random.default_rng(np.random.SeedSequence(0))
    >>> prob = make_problem(2, 4, 1, rng)
    >>> ini = random_init(split_data(prob.X), 1, 6, rng)
    >>> res = train(prob, ini.U, ini.V, gap_tol=1e-10)
    >>> res.status, bool(res.final_gap < 1e-9)
    (<Status.SUCCESS: 'success'>, True)

    See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
    """
    from ...models import TwoLayerLinear

    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be an ibtheory.dynamics.Problem, got {type(problem).__name__}")
    if problem.loss != LOSS:
        raise ValueError(f"problem.loss must be {LOSS!r} (the paper's loss), got {problem.loss!r}")
    U, V = matrix(U, "U", ndim=2), matrix(V, "V", ndim=2)
    Y = problem.y if problem.y.ndim == 2 else problem.y[:, None]
    if U.shape[0] != problem.d or V.shape[0] != Y.shape[1] or U.shape[1] != V.shape[1]:
        raise ValueError(f"U must be (D={problem.d}, h) and V (m={Y.shape[1]}, h), got {U.shape}, {V.shape}")
    gap_tol = check_positive(gap_tol, "gap_tol")
    net = TwoLayerLinear(d=U.shape[0], l=U.shape[1], k=V.shape[0])
    p0 = to_params(U, V)
    Ls = split_data(problem.X).optimal_loss(Y)
    L0 = float(problem.loss_value(net, p0))
    res = problem.gradient_flow(net, p0, loss_tol=Ls + gap_tol * (L0 - Ls), rtol=rtol,
                                record=("loss",), observables=observables)
    Uf, Vf = from_params(res.x)
    recs = {k: np.asarray(v) for k, v in res.records.items() if k != "loss"}
    return TrainResult(U=Uf, V=Vf, t=np.asarray(res.t), loss=np.asarray(res.records["loss"]).ravel(),
                       loss_star=Ls, final_gap=float(res.fun - Ls), records=recs,
                       drift=float(res.drift) if res.drift is not None else float("nan"),
                       status=_status(res.status), message=str(res.message))


def asymptotic_rate(t, gap, window=(1e-8, 1e-12)) -> float:
    """Least-squares slope :math:`-\\mathrm d\\log(\\mathcal L-\\mathcal L^*)/\\mathrm dt` over a late window.

    Keeps the recorded points whose gap relative to the initial gap lies in
    ``window = (hi, lo)``: late enough for the slowest mode to dominate, early
    enough for the integrator's local error to be negligible.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.min2021 import asymptotic_rate
    >>> t = np.linspace(0, 20, 400)
    >>> round(asymptotic_rate(t, np.exp(-3 * t) + np.exp(-5 * t)), 6)
    3.0

    See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
    """
    t, gap = as_real_array(t, "t").ravel(), as_real_array(gap, "gap").ravel()
    if t.size != gap.size or gap.size == 0 or gap[0] <= 0:
        raise ValueError("t and gap must have the same length and gap[0] must be > 0")
    if not (isinstance(window, tuple) and len(window) == 2 and 0 < window[1] < window[0]):
        raise ValueError(f"window must be a pair (hi, lo) with 0 < lo < hi, got {window!r}")
    hi, lo = window
    rel = gap / gap[0]
    keep = (rel <= hi) & (rel >= lo)
    if np.sum(keep) < 3:
        raise ValueError(f"fewer than 3 recorded points with relative loss gap in [{lo:g}, {hi:g}]; "
                         "integrate further or record more points")
    return float(-np.polyfit(t[keep], np.log(gap[keep]), 1)[0])
