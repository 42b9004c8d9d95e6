"""The result type shared by every solver, its optimality certificate and the error.

A solver returns a :class:`SolverResult` (a :class:`scipy.optimize.OptimizeResult`)
whose ``.kkt`` holds residuals that *our* code recomputes from ``.x`` and the
dual variables, never numbers copied from a back end's report. ``.success`` is
true only when every residual is at most ``.tol``; otherwise the solver raises
:class:`SolverError` instead of returning (see the chapter *The limiting
optimization problems*, ``book/solvers.md``).
"""
from __future__ import annotations

import math

import numpy as np
from scipy.optimize import OptimizeResult

#: Default tolerance on every (relative) KKT residual. Interior-point back ends
#: are run at 1e-10 gaps and the answers are polished, so 1e-8 leaves two
#: orders of magnitude of slack while still certifying ~1e-7 relative accuracy
#: on well-conditioned instances.
DEFAULT_TOL = 1e-8


class KKT(dict):
    """Named optimality residuals (floats >= 0) with attribute access.

    The usual keys are ``primal_feasibility``, ``dual_feasibility``,
    ``stationarity`` and ``complementarity`` (or ``duality_gap``); each solver's
    docstring says how it scales them (all are relative, dimensionless).

    Examples
    --------
    >>> k = KKT(primal_feasibility=1e-12, stationarity=3e-11)
    >>> k.stationarity
    3e-11
    >>> k.worst
    3e-11

    See the book chapter *The limiting optimization problems* (``book/solvers.md``).
    """

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def worst(self) -> float:
        """The largest residual (``nan`` propagates, so a NaN never passes)."""
        vals = [float(v) for v in self.values()]
        if not vals:
            return 0.0
        if any(math.isnan(v) for v in vals):
            return float("nan")
        return max(vals)

    def meets(self, tol: float) -> bool:
        """True when every residual is finite and at most ``tol``."""
        w = self.worst
        return bool(np.isfinite(w) and w <= tol)

    def __repr__(self):
        inner = ", ".join(f"{k}={float(v):.3e}" for k, v in self.items())
        return f"KKT({inner})"


class SolverError(RuntimeError):
    """A solver ended without a certified optimum.

    Attributes
    ----------
    status : str
        The back end's or our own status (e.g. ``"kkt_not_met"``, ``"max_iter"``).
    kkt : KKT or None
        The residuals at the last iterate, when there is one.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.solvers import SolverError, min_l2_interpolator
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((3, 5)), rng.standard_normal(3)
    >>> try:  # residuals of ~1e-15 cannot be certified below 1e-20
    ...     min_l2_interpolator(X, y, tol=1e-20)
    ... except SolverError as err:
    ...     print(err.status, bool(err.kkt.worst > 1e-20))
    kkt_not_met True

    See the book chapter *The limiting optimization problems* (``book/solvers.md``).
    """

    def __init__(self, message: str, status: str = "failed", kkt: KKT | None = None):
        self.status = status
        self.kkt = kkt
        detail = f" [status={status}]"
        if kkt is not None:
            detail += f" residuals: {kkt!r}"
        super().__init__(message + detail)


class SolverResult(OptimizeResult):
    """Result of an ``ibtheory.solvers`` function (an ``OptimizeResult``).

    Solvers add problem-specific fields (``dual``, ``beta``, ``gram``, ...).

    Attributes
    ----------
    x : ndarray
        The minimizer.
    fun : float
        The objective value at ``x``.
    success : bool
        True when every residual of ``kkt`` is at most ``tol``.
    status : int
        0 on success.
    message : str
        A short description.
    kkt : KKT
        Relative residuals recomputed by ibtheory from ``x`` and the duals.
    tol : float
        The tolerance ``kkt`` was checked against.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.solvers import SolverResult, min_l2_interpolator
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((3, 5)), rng.standard_normal(3)
    >>> res = min_l2_interpolator(X, y)
    >>> isinstance(res, SolverResult), res.success, res.status, bool(res.kkt.worst <= res.tol)
    (True, True, 0, True)
    >>> bool(np.allclose(res.x, np.linalg.pinv(X) @ y))  # the pseudo-inverse solution
    True

    See the book chapter *The limiting optimization problems* (``book/solvers.md``).
    """


def finish(name: str, x, fun, kkt: KKT, tol: float, *, hint: str | None = None,
           **extra) -> SolverResult:
    """Check ``kkt`` against ``tol``; return a successful result or raise SolverError.

    Non-finite ``x`` or ``fun`` never pass (status ``"numerical"``); ``hint``
    (the usual remedy) is appended to the error message.
    """
    arrays = [np.asarray(x, dtype=float)] + ([np.asarray(fun, dtype=float)] if fun is not None else [])
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise SolverError(f"{name}: the answer has non-finite entries (overflow or a failed "
                          "back end)" + (f"; remedy: {hint}" if hint else ""), "numerical", kkt)
    if not kkt.meets(tol):
        worst = max(kkt, key=lambda k: float("inf") if not np.isfinite(kkt[k]) else kkt[k]) if kkt else "?"
        raise SolverError(
            f"{name}: the optimality residuals exceed tol={tol:.1e} (worst: {worst})"
            + (f"; remedy: {hint}" if hint else "; remedy: a larger tol, or better-conditioned data"),
            "kkt_not_met", kkt)
    return SolverResult(
        x=x, fun=float(fun) if np.ndim(fun) == 0 else fun, success=True, status=0,
        message=f"{name}: optimal (every KKT residual <= {tol:.1e})",
        kkt=kkt, tol=float(tol), **extra,
    )


def check_tol(tol) -> float:
    """Validate a KKT tolerance (a real float in (0, 1)); TypeError for a non-number."""
    if isinstance(tol, (bool, np.bool_)) or not isinstance(tol, (int, float, np.integer, np.floating)):
        raise TypeError(f"tol must be a float in (0, 1), got {tol!r}")
    tol = float(tol)
    if not (0.0 < tol < 1.0):
        raise ValueError(f"tol must be a float in (0, 1), got {tol!r}")
    return tol


def check_method(method, allowed, name: str = "method") -> str:
    """Validate a method name against ``allowed`` (a tuple of strings)."""
    if not isinstance(method, str):
        raise TypeError(f"{name} must be one of {allowed}, got {method!r}")
    if method not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {method!r}")
    return method


def rel(num: float, den: float) -> float:
    """``num / den``: a purely relative residual (scale-invariant).

    A zero denominator gives 0 when the numerator is zero too and ``inf``
    otherwise, so a residual never turns absolute when the data are small
    (issue 15: ``num / max(den, 1)`` let 1e-12-scaled data pass uncertified).
    """
    num, den = float(num), float(den)
    if den > 0.0 and np.isfinite(den):
        return num / den
    return 0.0 if num == 0.0 else float("inf")


def data_scale(A) -> float:
    """The largest absolute entry of A (the scale solvers normalize by); 1 if A = 0."""
    s = float(np.max(np.abs(A))) if np.size(A) else 0.0
    return s if s > 0.0 and np.isfinite(s) else 1.0


CLARABEL_OPTS = dict(
    tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11, tol_ktratio=1e-9,
    max_iter=400,
)


def cvx_solve(problem, name: str) -> str:
    """Solve a CVXPY problem with Clarabel at tight tolerances; return its status.

    The caller normalizes the data first (Clarabel's tolerances are absolute).
    Infeasible/unbounded statuses are returned for the caller to *verify*
    (e.g. with a Farkas certificate) before telling the user the data are
    infeasible; a back-end failure raises :class:`SolverError` naming the status
    and the remedy.
    """
    import warnings

    import cvxpy as cp

    try:
        with warnings.catch_warnings():
            # "Solution may be inaccurate": our own KKT check decides, not this warning.
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            problem.solve(solver=cp.CLARABEL, **CLARABEL_OPTS)
    except cp.error.SolverError as exc:
        raise SolverError(
            f"{name}: the interior-point back end (Clarabel) stopped without an answer "
            "(numerical trouble, usually near-degenerate data: nearly dependent rows or "
            "a nearly infeasible problem); remedy: remove (nearly) dependent rows or "
            "rescale the data", "numerical") from exc
    status = problem.status
    if status in (cp.INFEASIBLE, cp.UNBOUNDED, cp.INFEASIBLE_INACCURATE, cp.UNBOUNDED_INACCURATE):
        return status
    if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise SolverError(
            f"{name}: Clarabel ended with status {status!r} (no certified optimum); "
            "remedy: rescale or simplify the data", "numerical")
    # OPTIMAL_INACCURATE is accepted only provisionally: our own KKT check decides.
    return status


def farkas_margin(A: np.ndarray) -> tuple[float, np.ndarray]:
    """Certificate that {z : A z >= 1} is empty: min ||A^T mu||_inf over mu >= 0, sum mu = 1.

    Solved as an LP with HiGHS on A / max|A|. Returns (t, mu): t = 0 (up to
    round-off) proves, by Farkas' lemma, that no z has A z >= 1 (then mu^T A z = 0
    for every z while mu^T 1 = 1); t > 0 proves the set is not empty
    (LP duality: the l1 max-margin of A / max|A| is 1/t).
    """
    from scipy.optimize import linprog

    n, d = A.shape
    An = A / data_scale(A)
    # variables (mu, t): min t  s.t.  -t <= (An^T mu)_j <= t, sum mu = 1, mu >= 0
    c = np.r_[np.zeros(n), 1.0]
    Aub = np.block([[An.T, -np.ones((d, 1))], [-An.T, -np.ones((d, 1))]])
    res = linprog(c, A_ub=Aub, b_ub=np.zeros(2 * d), A_eq=np.r_[np.ones(n), 0.0][None, :],
                  b_eq=[1.0], bounds=[(0, None)] * n + [(0, None)], method="highs")
    if res.status != 0:  # pragma: no cover - this LP is always feasible and bounded
        return float("nan"), np.full(n, np.nan)
    mu = res.x[:n]
    return float(np.max(np.abs(An.T @ mu))), mu
