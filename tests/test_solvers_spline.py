"""weighted_spline and zeta (Jin & Montufar) against natural cubic splines, CVXPY and quadrature."""
import numpy as np
import pytest
import sympy as sp
from scipy.integrate import quad
from scipy.interpolate import CubicSpline

from ibtheory.solvers import Zeta, weighted_spline, zeta


def _natural_with_linear_tails(x, y, t):
    cs = CubicSpline(x, y, bc_type="natural")
    return np.where(t < x[0], cs(x[0]) + cs(x[0], 1) * (t - x[0]),
                    np.where(t > x[-1], cs(x[-1]) + cs(x[-1], 1) * (t - x[-1]), cs(t)))


def _data(seed=0, M=12):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, M)
    return x, rng.standard_normal(M)


def test_constant_zeta_is_the_natural_cubic_spline():
    x, y = _data()  # unsorted on purpose
    g = weighted_spline(x, y, "constant")
    t = np.linspace(-3, 3, 801)
    ref = _natural_with_linear_tails(np.sort(x), y[np.argsort(x)], t)
    assert np.max(np.abs(g(t) - ref)) <= 1e-12 * np.max(np.abs(ref))
    cs = CubicSpline(np.sort(x), y[np.argsort(x)], bc_type="natural")
    assert g.u == pytest.approx(cs(np.min(x), 1), rel=1e-12)
    assert g.v == pytest.approx(cs(np.min(x)) - cs(np.min(x), 1) * np.min(x), rel=1e-10, abs=1e-12)
    # The objective: int g''^2 over the hull, by quadrature of the reference spline.
    sx = np.sort(x)
    val = sum(quad(lambda s: cs(s, 2) ** 2, a, b, epsabs=0, epsrel=1e-13)[0] for a, b in zip(sx[:-1], sx[1:]))
    assert g.fun == pytest.approx(val, rel=1e-10)


@pytest.mark.parametrize("z", [zeta("uniform", a_w=1.0, a_b=2.5), zeta("binary_uniform", a_b=2.5)])
def test_families_constant_on_the_data_give_the_natural_spline(z):
    # Jin & Montufar, Proposition: constant zeta on [-L, L] when a_b/a_w >= L (uniform)
    # or a_b >= L (binary-uniform); the data lie in [-2, 2].
    x, y = _data(1)
    g = weighted_spline(x, y, z)
    t = np.linspace(-2.5, 2.5, 401)
    ref = _natural_with_linear_tails(np.sort(x), y[np.argsort(x)], t)
    assert np.max(np.abs(g(t) - ref)) <= 1e-12 * np.max(np.abs(ref))


def test_gaussian_zeta_against_cvxpy_on_a_grid():
    import cvxpy as cp

    z = zeta("gaussian", sigma_w=1.0, sigma_b=0.5)
    N = 1201
    grid = np.linspace(-2.0, 2.0, N)
    idx = np.array([0, 150, 330, 480, 600, 700, 900, 1050, 1200])
    x, y = grid[idx], np.array([0.3, -0.5, 0.8, 0.1, -0.4, 0.6, 0.0, -0.7, 0.2])
    h = grid[1] - grid[0]
    gv = cp.Variable(N)
    d2 = (gv[2:] - 2 * gv[1:-1] + gv[:-2]) / h**2
    w = np.sqrt(h / z(grid[1:-1]))
    prob = cp.Problem(cp.Minimize(cp.sum_squares(cp.multiply(w, d2))), [gv[idx] == y])
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    g = weighted_spline(x, y, z)
    err = np.max(np.abs(g(grid) - gv.value)) / np.max(np.abs(y))
    # Second differences are O(h^2) accurate: h = 1/300 gives ~1e-5.
    assert err < 5e-5
    assert g.fun == pytest.approx(prob.value, rel=1e-3)


def test_second_derivative_and_objective_by_quadrature():
    z = zeta("gaussian", sigma_w=2.0, sigma_b=0.4)
    x, y = _data(3, 7)
    g = weighted_spline(x, y, z)
    sx = np.sort(x)
    val = sum(quad(lambda s: g.second_derivative(np.array([s]))[0] ** 2 / z(np.array([s]))[0], a, b,
                   epsabs=0, epsrel=1e-12)[0] for a, b in zip(sx[:-1], sx[1:]))
    assert g.fun == pytest.approx(val, rel=1e-9)
    # g'' from finite differences of g matches zeta * m.
    t = np.linspace(sx[0] + 0.01, sx[-1] - 0.01, 17)
    e = 1e-4
    fd = (g(t + e) - 2 * g(t) + g(t - e)) / e**2
    assert np.allclose(fd, g.second_derivative(t), rtol=1e-5, atol=1e-5 * np.max(np.abs(fd)))


def test_gaussian_zeta_closed_form_sympy_and_quadrature():
    sw, sb = 1.3, 0.7
    z = zeta("gaussian", sigma_w=sw, sigma_b=sb)
    xs = np.array([-3.0, -0.5, 0.0, 0.4, 2.0])
    sym = sp.lambdify(sp.Symbol("x", real=True), z.symbolic(), "numpy")
    assert np.allclose(sym(xs), z(xs), rtol=1e-13)

    def pdf(w, b):
        return np.exp(-w**2 / (2 * sw**2) - b**2 / (2 * sb**2)) / (2 * np.pi * sw * sb)

    quadz = zeta("density", pdf=pdf)
    assert np.allclose(quadz(xs), z(xs), rtol=1e-10)


def test_uniform_and_binary_uniform_closed_forms():
    aw, ab = 0.8, 2.0
    z = zeta("uniform", a_w=aw, a_b=ab)
    pdf = lambda w, b: np.where((np.abs(w) <= aw) & (np.abs(b) <= ab), 1 / (4 * aw * ab), 0.0)  # noqa: E731
    xs = np.array([-5.0, -2.6, 0.0, 1.0, 2.4, 3.0])
    quadz = zeta("density", pdf=pdf, w_range=(-aw, aw))
    assert np.allclose(quadz(xs), z(xs), rtol=1e-9)
    sym = z.symbolic()
    assert float(sym.subs(sp.Symbol("x", real=True), 1.0)) == pytest.approx(aw**3 / (8 * ab), rel=1e-14)
    zb = zeta("binary_uniform", a_b=ab)
    assert np.allclose(zb(np.array([-1.9, 0.0, 1.5])), 1 / (2 * ab))
    assert zb(np.array([2.5]))[0] == 0.0
    assert float(zb.symbolic()) == pytest.approx(1 / (2 * ab))


def test_bad_input():
    with pytest.raises(ValueError, match="repeated knots"):
        weighted_spline([0.0, 1.0, 1.0], [0.0, 1.0, 2.0], "constant")
    with pytest.raises(ValueError, match="y must have shape"):
        weighted_spline([0.0, 1.0], [0.0], "constant")
    with pytest.raises(ValueError, match="at least 2"):
        weighted_spline([0.0], [0.0], "constant")
    with pytest.raises(ValueError, match="support of zeta"):
        weighted_spline([0.0, 3.0], [0.0, 1.0], zeta("binary_uniform", a_b=2.0))
    with pytest.raises(ValueError, match="finite"):
        weighted_spline([0.0, np.nan], [0.0, 1.0], "constant")
    with pytest.raises(ValueError, match="family"):
        zeta("laplace")
    with pytest.raises(ValueError, match="unknown parameters"):
        zeta("gaussian", sigma=1.0)
    with pytest.raises(ValueError, match="sigma_w"):
        zeta("gaussian", sigma_w=-1.0)
    with pytest.raises((ValueError, TypeError), match="pdf"):
        zeta("density")
    assert isinstance(zeta("constant"), Zeta)


def test_zeta_negative_between_the_data_is_rejected():
    # Positive at the knots and midpoints 0, 0.5, 1, ... but negative near 0.25: the
    # quadrature nodes (an adaptive grid over the whole hull) catch it.
    z = lambda t: 1.0 - 1.5 * np.sin(2 * np.pi * np.asarray(t)) ** 2  # noqa: E731
    assert np.all(z(np.array([0.0, 0.5, 1.0, 1.5, 2.0])) > 0)
    with pytest.raises(ValueError, match="zeta must be finite and > 0"):
        weighted_spline([0.0, 1.0, 2.0], [0.0, 1.0, 0.0], z)


def test_density_zeta_validation():
    gauss = lambda w, b: np.exp(-(w * w + b * b) / 2) / (2 * np.pi)  # noqa: E731
    with pytest.raises(ValueError, match="w_range"):
        zeta("density", pdf=gauss, w_range=(5.0, -5.0))
    with pytest.raises(ValueError, match="density >= 0"):
        zeta("density", pdf=lambda w, b: -gauss(w, b))(np.array([0.0]))
    # Against the closed form of the Gaussian family (an independent formula).
    t = np.array([-1.5, 0.0, 0.7])
    assert np.allclose(zeta("density", pdf=gauss)(t), zeta("gaussian")(t), rtol=1e-9)


def test_density_with_jumps_converges_with_its_breaks():
    # Uniform W ~ U(-1, 1), B ~ U(-2, 2): the pdf jumps at |w| = 2/|x| (b_bound) and zeta
    # has kinks at +-2 (breakpoints); the spline must then agree with the closed-form
    # "uniform" family and certify its quadrature.
    pdf = lambda w, b: ((np.abs(w) <= 1) & (np.abs(b) <= 2)) / 8.0  # noqa: E731
    zd = zeta("density", pdf=pdf, w_range=(-1, 1), b_bound=2.0, breakpoints=(-2.0, 2.0))
    x, y = [-3.0, -1.0, 0.0, 1.0, 2.5], [0.0, 1.0, 0.0, 1.0, 0.0]
    g = weighted_spline(x, y, zd)
    gu = weighted_spline(x, y, zeta("uniform", a_w=1.0, a_b=2.0))
    assert g.success and g.kkt.quadrature <= 1e-10
    assert np.allclose(g.x, gu.x, rtol=1e-9, atol=1e-12)


def test_offset_knots_cost_and_accuracy():
    import time

    x0 = np.array([0.0, 1.0, 2.0, 3.5])
    y = np.array([0.0, 1.0, 0.0, 2.0])
    g0 = weighted_spline(x0, y, "constant")
    g = weighted_spline(1e8 + x0, y, "constant")
    s = np.linspace(0.01, 3.49, 200)
    t0 = time.perf_counter()
    v = g(1e8 + s)
    per_point = (time.perf_counter() - t0) / s.size
    assert per_point < 2e-3  # was 58 ms per point before issue 15
    # The offset representation itself rounds t to ~1.5e-8: agreement at that level.
    assert np.max(np.abs(v - g0(s))) <= 1e-7


def test_zeta_scales_outside_float64_range_raise():
    """Review finding: sigma_w = 1e200 overflowed (raw OverflowError), a_w = 1e-200 underflowed to 0."""
    import pytest

    from ibtheory.solvers import zeta

    with pytest.raises(ValueError, match="sigma_w"):
        zeta("gaussian", sigma_w=1e200)
    with pytest.raises(ValueError, match="sigma_b"):
        zeta("gaussian", sigma_b=1e200)
    with pytest.raises(ValueError, match="a_w"):
        zeta("uniform", a_w=1e-200, a_b=1.0)
