"""Issue 15 fuzz suite: every public callable of ibtheory.solvers and ibtheory.special
with bad inputs raises ValueError, TypeError or SolverError naming the argument, and
nothing returns NaN/inf without ``success=False``.

Each callable has one valid call; hypothesis replaces one argument by a bad value
(None, str, bool, complex, NaN/inf, empty, wrong ndim, ragged, mismatched shapes,
negative/zero where positive is needed, huge sizes) and checks the outcome.
"""
import fractions

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ibtheory.solvers as S
import ibtheory.special as P
from ibtheory.solvers import SolverError

FUZZ = settings(max_examples=250, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))

_rng = np.random.default_rng(0)
X = _rng.standard_normal((3, 6))
Y = _rng.standard_normal(3)
XS = np.array([[1.0, 2.0, 0.5], [2.0, -1.0, 0.3], [-1.0, 0.5, 2.0]])
LAB = np.array([1.0, -1.0, 1.0])
XE = np.array([[1.0, 0.5, 0.0, 0.5], [0.2, 0.1, 0.3, 0.1]])  # even rows
WE = np.array([2.0, 0.5, 0.3, 0.5])
SPLINE = S.weighted_spline([0.0, 1.0, 2.0], [0.0, 1.0, 0.0], "constant")
ZG = S.zeta("gaussian")


def _huge(shape=(20_000, 20_000)):
    return np.broadcast_to(1.0, shape)  # no memory: a size guard must refuse it


BAD_ARRAYS = [None, "abc", True, 1 + 2j, np.nan, np.inf, [], np.zeros((0, 3)), np.ones((2, 2, 2)),
              [[1.0, 2.0], [3.0]], object(), np.array([1.0, np.nan, 2.0]), np.array([True, False, True]),
              np.array([1 + 1j, 2.0, 3.0]), np.array(["a", "b", "c"]), np.ones(7), np.ones((3, 2)),
              _huge()]
BAD_SCALARS = [None, "abc", True, 1 + 2j, np.nan, np.inf, -np.inf, -1.0, 0.0, 2.5, 10**9, [1.0, 2.0],
               object(), -(10**9)]
BAD_FLAGS = [None, "yes", 1, 2.0, np.nan]
BAD_NAMES = [None, 3, "no-such-method", True, ["highs"]]

# name -> (callable, valid kwargs, {argument: (bad values, words one of which the message names)})
CASES = {
    "min_l2_interpolator": (S.min_l2_interpolator, dict(X=X, y=Y),
                            {"X": BAD_ARRAYS, "y": BAD_ARRAYS, "tol": BAD_SCALARS}),
    "min_l1_interpolator": (S.min_l1_interpolator, dict(X=X, y=Y),
                            {"X": BAD_ARRAYS, "y": BAD_ARRAYS, "tol": BAD_SCALARS,
                             "polish": BAD_FLAGS, "method": BAD_NAMES}),
    "min_distance_interpolator": (S.min_distance_interpolator, dict(J=X, y=Y, theta0=np.zeros(6)),
                                  {"J": BAD_ARRAYS, "y": BAD_ARRAYS, "theta0": BAD_ARRAYS,
                                   "f0": BAD_ARRAYS, "tol": BAD_SCALARS}),
    "max_margin": (S.max_margin, dict(X=XS, y=LAB, p=2),
                   {"X": BAD_ARRAYS, "y": BAD_ARRAYS + [np.array([1.0, 0.5, -1.0])],
                    "p": BAD_SCALARS + [fractions.Fraction(2, 1001), 0.7], "tol": BAD_SCALARS}),
    "qnorm_interpolator": (S.qnorm_interpolator, dict(X=X, y=Y, L=3, alpha=0.5),
                           {"X": BAD_ARRAYS, "y": BAD_ARRAYS, "L": BAD_SCALARS, "alpha": BAD_SCALARS,
                            "w": BAD_ARRAYS + [np.zeros(6)], "method": BAD_NAMES, "tol": BAD_SCALARS}),
    "logdet_factorization": (S.logdet_factorization, dict(X=X, Y=Y, gamma=0.5),
                             {"X": BAD_ARRAYS, "Y": BAD_ARRAYS, "gamma": BAD_SCALARS,
                              "method": BAD_NAMES, "tol": BAD_SCALARS, "polish": BAD_FLAGS}),
    "fourier_max_margin": (S.fourier_max_margin, dict(X=XS, y=LAB, L=2),
                           {"X": BAD_ARRAYS, "y": BAD_ARRAYS, "L": BAD_SCALARS, "tol": BAD_SCALARS,
                            "maxiter": BAD_SCALARS}),
    "fourier_qnorm_interpolator": (S.fourier_qnorm_interpolator,
                                   dict(X=XE, y=np.array([1.0, 0.5]), L=2, alpha=1.0, w=WE),
                                   {"X": BAD_ARRAYS, "y": BAD_ARRAYS, "L": BAD_SCALARS,
                                    "alpha": BAD_SCALARS, "w": BAD_ARRAYS, "method": BAD_NAMES,
                                    "scaling": BAD_NAMES, "tol": BAD_SCALARS}),
    "weighted_spline": (S.weighted_spline, dict(x=[0.0, 1.0, 2.0], y=[0.0, 1.0, 0.0], zeta="constant"),
                        {"x": BAD_ARRAYS, "y": BAD_ARRAYS, "zeta": [None, 3, "laplace", True, object()],
                         "tol": BAD_SCALARS}),
    "WeightedSplineResult.__call__": (lambda t: SPLINE(t), dict(t=np.array([0.5])), {"t": BAD_ARRAYS[:15]}),
    "WeightedSplineResult.second_derivative": (lambda t: SPLINE.second_derivative(t),
                                               dict(t=np.array([0.5])), {"t": BAD_ARRAYS[:15]}),
    "zeta": (lambda family, sigma_w: S.zeta(family, sigma_w=sigma_w), dict(family="gaussian", sigma_w=1.0),
             {"family": BAD_NAMES, "sigma_w": BAD_SCALARS}),
    "zeta(density)": (lambda pdf, w_range: S.zeta("density", pdf=pdf, w_range=w_range)(np.array([0.0, 1.0])),
                      dict(pdf=lambda w, b: np.exp(-(w * w + b * b) / 2), w_range=(-5.0, 5.0)),
                      {"pdf": [None, 3, "f", lambda w, b: -1.0, lambda w, b: np.nan],
                       "w_range": [None, (1.0, -1.0), (0.0, 0.0), "ab", (np.nan, 1.0), (True, 2.0), 3.0]}),
    "Zeta.__call__": (lambda x: ZG(x), dict(x=np.array([0.5])), {"x": BAD_ARRAYS[:15]}),
    "blowup_time": (P.blowup_time, dict(L=3, dps=None), {"L": BAD_SCALARS + [1, 10**6], "dps": BAD_SCALARS + [4, 10**7]}),
    "h": (P.h, dict(L=3, t=0.5, dps=None), {"L": BAD_SCALARS + [1, 10**6], "t": BAD_ARRAYS[:15] + [1.6, -2.0],
                                            "dps": BAD_SCALARS + [4, 10**7]}),
    "h_inv": (P.h_inv, dict(L=3, y=0.5, dps=None), {"L": BAD_SCALARS + [1], "y": BAD_ARRAYS[:15],
                                                    "dps": BAD_SCALARS + [10**7]}),
    "H": (P.H, dict(L=3, y=0.5, dps=None), {"L": BAD_SCALARS + [1], "y": BAD_ARRAYS[:15] + [1.7e308],
                                            "dps": BAD_SCALARS + [10**7]}),
    "Q": (P.Q, dict(L=3, alpha=0.5, z=np.array([1.0, -2.0])),
          {"L": BAD_SCALARS, "alpha": BAD_SCALARS, "z": BAD_ARRAYS, "w": BAD_ARRAYS + [np.zeros(2)],
           "log": BAD_FLAGS}),
}
#: Words the message may use for an argument besides its own name.
ALIASES = {"Y": ["Y"], "J": ["J"], "y": ["y", "label"], "p": ["p"], "zeta": ["zeta", "family"],
           "family": ["family"], "pdf": ["pdf"], "w_range": ["w_range"], "t": ["t", "x"],
           "x": ["x"], "X": ["X"], "log": ["log"]}
COMBOS = [(name, arg, i) for name, (_, _, bad) in CASES.items() for arg, vals in bad.items()
          for i in range(len(vals))]


def test_every_public_callable_is_fuzzed():
    mine = {"KKT", "SolverError", "SolverResult", "fourier_max_margin", "fourier_qnorm_interpolator",
            "logdet_factorization", "max_margin", "min_distance_interpolator", "min_l1_interpolator",
            "min_l2_interpolator", "qnorm_interpolator", "WeightedSplineResult", "weighted_spline",
            "Zeta", "zeta"}
    assert mine <= set(S.__all__)
    covered = {n.split(".")[0].split("(")[0] for n in CASES}
    # KKT, SolverError and SolverResult are containers without validation of their own.
    assert mine - {"KKT", "SolverError", "SolverResult"} <= covered
    assert set(P.__all__) <= covered


def _nonfinite(out):
    vals = []
    if isinstance(out, dict):
        if out.get("success", True) is False:
            return False
        vals = [out[k] for k in ("x", "fun") if k in out]
    else:
        vals = [out]
    for v in vals:
        a = np.asarray(v)
        if a.dtype == object:
            continue
        if not np.all(np.isfinite(a.astype(float))):
            return True
    return False


def _outcome(name, arg, i):
    fn, valid, bad = CASES[name]
    kwargs = dict(valid)
    kwargs[arg] = bad[arg][i]
    try:
        out = fn(**kwargs)
    except (ValueError, TypeError) as err:
        words = ALIASES.get(arg, [arg])
        assert any(w in str(err) for w in words), f"{name}({arg}={bad[arg][i]!r}): {err!r}"
        return "clear"
    except SolverError as err:
        assert "status=" in str(err)
        return "solver_error"
    assert not _nonfinite(out), f"{name}({arg}={bad[arg][i]!r}) returned non-finite values"
    return "returned"


@FUZZ
@given(st.sampled_from(COMBOS))
def test_bad_argument(combo):
    _outcome(*combo)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(n=st.integers(1, 4), d=st.integers(1, 5), pos=st.integers(0, 19),
       val=st.sampled_from([np.nan, np.inf, -np.inf]), which=st.sampled_from(["X", "y"]),
       solver=st.sampled_from(["min_l2_interpolator", "min_l1_interpolator", "max_margin",
                               "qnorm_interpolator", "logdet_factorization"]))
def test_nonfinite_entries_anywhere(n, d, pos, val, which, solver):
    fn, _, _ = CASES[solver]
    Xr = np.ones((n, d))
    yr = np.ones(n)
    arr = Xr if which == "X" else yr
    arr.flat[pos % arr.size] = val
    extra = {"max_margin": dict(p=2), "qnorm_interpolator": dict(L=3, alpha=0.5),
             "logdet_factorization": dict(gamma=0.5)}.get(solver, {})
    yname = "Y" if solver == "logdet_factorization" else "y"
    with pytest.raises(ValueError, match=f"{which if which == 'X' else yname} must be finite"):
        fn(Xr, yr, **extra)


def test_outcome_counts():
    """Every combination, once: the tally the issue-15 closing note reports."""
    tally = {}
    for combo in COMBOS:
        k = _outcome(*combo)
        tally[k] = tally.get(k, 0) + 1
    assert sum(tally.values()) == len(COMBOS)
    assert tally.get("clear", 0) >= 0.9 * len(COMBOS)
