"""weighted_spline(method="cvxpy"): the grid QP in CVXPY, Richardson-extrapolated, against the default route.

The two routes share no numerical code (moment equations vs. a Hermite-element QP solved by
Clarabel). Agreement is asserted to within the cvxpy route's *own* reported error estimate;
the only allowance added is the default route's rounding, ``ROUTE_ROUNDING`` (1e-12) of
each quantity's scale (its moments are certified to 1e-13 relative; the tridiagonal solve
and the Green's function evaluation lose at most a few digits more).
"""
import numpy as np
import pytest
from scipy.interpolate import CubicSpline

from ibtheory.solvers import SolverError, weighted_spline, zeta
from ibtheory.solvers._spline_cvxpy import ROUTE_ROUNDING as FLOOR


def _uniform_bias_density(a_b=1.5):
    """W ~ U(-1, 1), B ~ U(-a_b, a_b) through the density route: the pdf jumps at |w| = a_b/|x|."""
    pdf = lambda w, b: ((np.abs(w) <= 1) & (np.abs(b) <= a_b)) / (4 * a_b)  # noqa: E731
    return zeta("density", pdf=pdf, w_range=(-1, 1), b_bound=a_b, breakpoints=(-a_b, a_b))


ZETAS = {
    "constant": zeta("constant"),
    "gaussian s_b=1": zeta("gaussian"),
    "gaussian s_b=0.5": zeta("gaussian", sigma_b=0.5),
    "gaussian s_b=0.2": zeta("gaussian", sigma_b=0.2),
    "uniform-bias density (jumps)": _uniform_bias_density(),
}


def _data(seed):
    rng = np.random.default_rng(seed)
    M = int(rng.integers(3, 12))
    return rng.uniform(-2, 2, M), rng.standard_normal(M)


def _gaps(a, b):
    """|default - cvxpy| per quantity, next to cvxpy's estimate plus the default route's rounding."""
    e = b.error_estimates
    return {
        "g": (np.max(np.abs(a(b.grid) - b.grid_values)), e["g"] + FLOOR * np.max(np.abs(a.knot_values))),
        "m": (np.max(np.abs(a.x - b.x)), e["m"] + FLOOR * np.max(np.abs(a.x))),
        "u": (abs(a.u - b.u), e["u"] + FLOOR * abs(a.u)),
        "slope_right": (abs(a.slope_right - b.slope_right), e["slope_right"] + FLOOR * abs(a.slope_right)),
        "fun": (abs(a.fun - b.fun), e["fun"] + FLOOR * a.fun),
    }


@pytest.mark.parametrize("name", list(ZETAS))
@pytest.mark.parametrize("seed", [0, 1, 5])
def test_routes_agree_within_the_reported_error(name, seed):
    x, y = _data(seed)
    a = weighted_spline(x, y, ZETAS[name])
    b = weighted_spline(x, y, ZETAS[name], method="cvxpy")
    assert b.success and b.method == "cvxpy" and b.kkt.meets(b.tol)
    assert all(lev["kkt"].meets(b.tol) for lev in b.levels)
    for q, (diff, bound) in _gaps(a, b).items():
        assert diff <= bound, f"{name}, seed {seed}: {q} differs by {diff:.2e} > estimate {bound:.2e}"
    # The estimate is useful, not vacuous: g to 1e-5 of the data even for the narrowest zeta.
    assert b.discretization_error <= 1e-5 * np.max(np.abs(y))


def test_constant_zeta_is_the_natural_cubic_spline_on_every_grid():
    # Independent of both routes: SciPy's natural cubic spline. C^1 cubics contain it, so
    # every grid is exact and the estimate is at the rounding level.
    x, y = _data(2)
    b = weighted_spline(x, y, "constant", method="cvxpy")
    o = np.argsort(x)
    cs = CubicSpline(x[o], y[o], bc_type="natural")
    assert np.max(np.abs(cs(b.grid) - b.grid_values)) <= 1e-12 * np.max(np.abs(y))
    assert b.u == pytest.approx(cs(x[o][0], 1), rel=1e-11)
    assert b.slope_right == pytest.approx(cs(x[o][-1], 1), rel=1e-11)
    assert np.allclose(b.x, cs(x[o], 2), rtol=1e-9, atol=1e-9 * np.max(np.abs(cs(x[o], 2))))
    assert b.discretization_error <= 1e-12 * np.max(np.abs(y))


def test_estimate_shrinks_with_levels_and_bounds_the_error():
    x, y = _data(3)
    z = ZETAS["gaussian s_b=0.5"]
    a = weighted_spline(x, y, z)
    prev = np.inf
    for levels in (3, 4, 5):
        b = weighted_spline(x, y, z, method="cvxpy", levels=levels)
        diff, bound = _gaps(a, b)["g"]
        assert diff <= bound and b.discretization_error < prev
        prev = b.discretization_error
    assert prev < 1e-8
    # The grids converge at order 4: each halving divides the change of g by ~16 (h^4), the
    # order the Richardson table assumes first.
    v = [lev["grid_values"] for lev in b.levels]
    changes = [np.max(np.abs(v1 - v0)) for v0, v1 in zip(v[:-1], v[1:])]
    ratios = np.array(changes[:-1]) / np.array(changes[1:])
    assert np.all((ratios > 12) & (ratios < 20)), ratios


def test_certificate_is_the_discrete_kkt():
    x, y = _data(4)
    z = ZETAS["gaussian s_b=1"]
    b = weighted_spline(x, y, z, method="cvxpy", polish=False)  # Clarabel's own answers
    assert set(b.kkt) == {"primal_feasibility", "stationarity", "duality_gap"}
    assert all(lev["kkt"] == lev["unpolished"] for lev in b.levels)
    assert b.kkt.worst <= b.tol
    polished = weighted_spline(x, y, z, method="cvxpy")
    assert polished.kkt.worst <= b.kkt.worst
    with pytest.raises(SolverError) as err:
        weighted_spline(x, y, z, method="cvxpy", tol=1e-30)
    assert err.value.status == "kkt_not_met" and err.value.kkt is not None


def test_linear_data_give_the_line():
    b = weighted_spline([0.0, 1.0, 3.0, 4.0], [1.0, 3.0, 7.0, 9.0], "gaussian", method="cvxpy")
    assert np.allclose(b.grid_values, 1.0 + 2.0 * b.grid, rtol=0, atol=1e-14)
    assert np.all(b.x == 0) and b.fun == 0.0 and b.u == 2.0 and b.slope_right == 2.0
    two = weighted_spline([0.0, 2.0], [5.0, 1.0], "constant", method="cvxpy")
    assert two.u == -2.0 and two.v == 5.0


def test_callable_uses_the_extrapolated_moments():
    x, y = _data(6)
    z = ZETAS["gaussian s_b=1"]
    a, b = weighted_spline(x, y, z), weighted_spline(x, y, z, method="cvxpy")
    t = np.linspace(np.min(x) - 1, np.max(x) + 1, 41)
    assert np.max(np.abs(b(t) - a(t))) <= 1e-6 * np.max(np.abs(y))
    assert np.allclose(b(np.sort(x)), y[np.argsort(x)], rtol=0, atol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="only to method='cvxpy'"):
        weighted_spline([0.0, 1.0, 2.0], [0.0, 1.0, 0.0], "constant", cells=8)
    with pytest.raises(ValueError, match="levels"):
        weighted_spline([0.0, 1.0, 2.0], [0.0, 1.0, 0.0], "constant", method="cvxpy", levels=1)
    with pytest.raises(TypeError, match="cells"):
        weighted_spline([0.0, 1.0, 2.0], [0.0, 1.0, 0.0], "constant", method="cvxpy", cells=2.5)
    with pytest.raises(ValueError, match="method"):
        weighted_spline([0.0, 1.0, 2.0], [0.0, 1.0, 0.0], "constant", method="grid")
    with pytest.raises(ValueError, match="cells"):
        weighted_spline([0.0, 1.0, 2.0], [0.0, 1.0, 0.0], "constant", method="cvxpy", cells=10**5, levels=12)
    with pytest.raises(ValueError, match="support of zeta"):
        weighted_spline([0.0, 3.0], [0.0, 1.0], zeta("binary_uniform", a_b=2.0), method="cvxpy")
    with pytest.raises(TypeError, match="polish"):
        weighted_spline([0.0, 1.0, 2.0], [0.0, 1.0, 0.0], "constant", method="cvxpy", polish=1)
