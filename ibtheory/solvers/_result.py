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


def finish(name: str, x, fun, kkt: KKT, tol: float, **extra) -> SolverResult:
    """Check ``kkt`` against ``tol``; return a successful result or raise SolverError."""
    if not kkt.meets(tol):
        raise SolverError(
            f"{name}: the optimality residuals exceed tol={tol:.1e}", "kkt_not_met", kkt
        )
    return SolverResult(
        x=x, fun=float(fun) if np.ndim(fun) == 0 else fun, success=True, status=0,
        message=f"{name}: optimal (every KKT residual <= {tol:.1e})",
        kkt=kkt, tol=float(tol), **extra,
    )


def check_tol(tol) -> float:
    """Validate a KKT tolerance (a float in (0, 1))."""
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.floating)):
        raise ValueError(f"tol must be a float in (0, 1), got {tol!r}")
    tol = float(tol)
    if not (0.0 < tol < 1.0):
        raise ValueError(f"tol must be a float in (0, 1), got {tol!r}")
    return tol


def rel(num: float, den: float) -> float:
    """``num / max(den, 1)``: relative for large quantities, absolute for small ones."""
    return float(num) / max(float(den), 1.0)


CLARABEL_OPTS = dict(
    tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11, tol_ktratio=1e-9,
    max_iter=400,
)


def cvx_solve(problem, name: str) -> str:
    """Solve a CVXPY problem with Clarabel at tight tolerances; return its status.

    Infeasible/unbounded statuses are returned for the caller to translate into a
    ``ValueError`` about the data; anything else that is not optimal raises.
    """
    import warnings

    import cvxpy as cp

    try:
        with warnings.catch_warnings():
            # "Solution may be inaccurate": our own KKT check decides, not this warning.
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            problem.solve(solver=cp.CLARABEL, **CLARABEL_OPTS)
    except cp.error.SolverError as exc:
        raise SolverError(f"{name}: Clarabel failed ({exc})", "solver_error") from exc
    status = problem.status
    if status in (cp.INFEASIBLE, cp.UNBOUNDED, cp.INFEASIBLE_INACCURATE, cp.UNBOUNDED_INACCURATE):
        return status
    if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise SolverError(f"{name}: Clarabel ended with status {status!r}", str(status))
    # OPTIMAL_INACCURATE is accepted only provisionally: our own KKT check decides.
    return status
