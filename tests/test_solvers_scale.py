"""Issue 15: the solvers' certificates do not depend on the units of the data.

Property tests over data scales 1e-10 ... 1e10, shapes and conditioning. For every
solver: ``success=True`` implies that residuals recomputed here, from the returned
point alone (feasibility, stationarity, complementarity) and an objective gap to
an independent bound (weak duality with the returned multipliers made feasible,
or an independent solver / closed form), are at most a stated tolerance;
otherwise the solver raised ``SolverError`` with its residuals attached.

Issue 17 extends the suite to the kernels and kernel/polyharmonic interpolants
(``_kernels``), the l_p stationarity tools (``_stationary``), the sharpness infimum and
its brute-force route (``_sharpness_min``) and ``weighted_spline(method="cvxpy")``.
It found the polyharmonic spline refusing every X scaled off unit size (condition
numbers up to 1e59), ``polish_stationary``'s complementarity weighted by mu (refused at
1e-10, lenient at 1e10) and the interpolants' residuals divided by ``max(max|y|, 1)``.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.interpolate import CubicSpline
from scipy.optimize import linprog

from ibtheory.solvers import (
    SolverError, fourier_max_margin, logdet_factorization, max_margin, min_distance_interpolator,
    min_l1_interpolator, min_l2_interpolator, qnorm_interpolator, weighted_spline,
)

PROP = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
#: The solvers certify 1e-8 relative KKT residuals; the independent recomputations
#: below accept 1e-6 (100x: they are formed in the original units, with the
#: cancellation that the solvers' normalized residuals avoid).
TOL = 1e-6

exponents = st.integers(-10, 10)
seeds = st.integers(0, 2**16)


def _design(seed, n, d, spread):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * np.logspace(0, spread, d)[None, :]  # column conditioning
    return rng, X


def _failed_with_residuals(fn):
    try:
        return fn()
    except SolverError as err:
        assert err.kkt is not None or err.status in ("numerical", "not_pd"), err
        assert "status=" in str(err)
        return None


@PROP
@given(seed=seeds, n=st.integers(1, 6), extra=st.integers(0, 8), ex=exponents, ey=exponents,
       spread=st.integers(0, 3))
def test_min_l2_and_min_distance_scale(seed, n, extra, ex, ey, spread):
    rng, X = _design(seed, n, n + extra, spread)
    X, y = X * 10.0**ex, rng.standard_normal(n) * 10.0**ey
    res = min_l2_interpolator(X, y)
    ref = np.linalg.lstsq(X / np.abs(X).max(), y, rcond=None)[0] / np.abs(X).max()
    assert np.linalg.norm(res.x - ref) <= TOL * np.linalg.norm(ref)
    theta0 = rng.standard_normal(X.shape[1]) * np.linalg.norm(ref)
    res = min_distance_interpolator(X, y, theta0)
    assert np.linalg.norm(res.x - theta0 - ref) <= TOL * np.linalg.norm(ref) + 1e-15 * np.linalg.norm(theta0)


@PROP
@given(seed=seeds, n=st.integers(1, 6), extra=st.integers(1, 10), ex=exponents, ey=exponents,
       spread=st.integers(0, 3), method=st.sampled_from(["highs", "cvxpy"]))
def test_min_l1_scale(seed, n, extra, ex, ey, spread, method):
    rng, X0 = _design(seed, n, n + extra, spread)
    y0 = rng.standard_normal(n)
    X, y = X0 * 10.0**ex, y0 * 10.0**ey
    res = _failed_with_residuals(lambda: min_l1_interpolator(X, y, method=method))
    if res is None:
        return
    x, lam = res.x, res.dual
    assert np.linalg.norm(X @ x - y) <= TOL * np.linalg.norm(y)
    # Weak duality: lam / ||X^T lam||_inf is dual feasible, so lam^T y / ||X^T lam||_inf <= OPT.
    lower = float(lam @ y) / float(np.max(np.abs(X.T @ lam)))
    assert np.sum(np.abs(x)) - lower <= TOL * np.sum(np.abs(x))
    # An independent LP solve (interior point, on the unit-scale data) for the optimum.
    d = X0.shape[1]
    s = np.abs(X0).max()
    lp = linprog(np.ones(2 * d), A_eq=np.hstack([X0, -X0]) / s, b_eq=y0, bounds=(0, None),
                 method="highs-ipm")
    opt = lp.fun / s * 10.0 ** (ey - ex)
    assert abs(np.sum(np.abs(x)) - opt) <= TOL * opt


def _labels(rng, n):
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    y[0] = 1.0
    return y


@PROP
@given(seed=seeds, n=st.integers(1, 5), d=st.integers(2, 6), ex=exponents, spread=st.integers(0, 2))
def test_max_margin_p2_scale(seed, n, d, ex, spread):
    rng, X0 = _design(seed, n, d, spread)
    y = _labels(rng, n)
    X = X0 * 10.0**ex
    A = y[:, None] * X
    try:
        res = max_margin(X, y, p=2)
    except ValueError as err:  # must then be truly non-separable (d >= n makes that rare)
        assert "Farkas certificate" in str(err)
        return
    except SolverError as err:
        assert err.kkt is not None or err.status == "numerical"
        return
    z, mu = res.x, np.maximum(res.dual, 0.0)
    assert np.min(A @ z) >= 1 - TOL
    # Weak duality: D(mu) = 1^T mu - ||A^T mu||^2 / 2 <= P* = ||z*||^2 / 2 for every mu >= 0.
    P, D = 0.5 * float(z @ z), float(np.sum(mu)) - 0.5 * float(np.sum((A.T @ mu) ** 2))
    assert P - D <= TOL * P
    # The same instance at unit scale gives the same direction: z(1e^e X) = z(X) / 1e^e.
    z1 = max_margin(X0, y, p=2).x
    assert np.linalg.norm(z * 10.0**ex - z1) <= TOL * np.linalg.norm(z1)


@PROP
@given(seed=seeds, n=st.integers(1, 5), d=st.integers(2, 7), ex=exponents, spread=st.integers(0, 2))
def test_max_margin_p1_scale(seed, n, d, ex, spread):
    rng, X0 = _design(seed, n, d, spread)
    y = _labels(rng, n)
    X = X0 * 10.0**ex
    A = y[:, None] * X
    try:
        res = max_margin(X, y, p=1)
    except ValueError as err:
        assert "Farkas certificate" in str(err)
        return
    except SolverError as err:
        assert err.kkt is not None or err.status == "numerical"
        return
    z, mu = res.x, np.maximum(res.dual, 0.0)
    assert np.min(A @ z) >= 1 - TOL
    lower = float(np.sum(mu)) / float(np.max(np.abs(A.T @ mu)))  # weak LP duality
    assert np.sum(np.abs(z)) - lower <= TOL * np.sum(np.abs(z))
    An = y[:, None] * X0 / np.abs(X0).max()
    lp = linprog(np.ones(2 * d), A_ub=-np.hstack([An, -An]), b_ub=-np.ones(n), bounds=(0, None),
                 method="highs-ipm")
    opt = lp.fun / np.abs(X0).max() / 10.0**ex
    assert abs(np.sum(np.abs(z)) - opt) <= TOL * opt


@settings(max_examples=5, deadline=None, derandomize=True, database=None)
@given(seed=seeds, ex=st.sampled_from([-10, -4, 0, 5, 10]))
def test_max_margin_quasi_scale_covariance(seed, ex):
    rng, X0 = _design(seed, 3, 6, 0)
    y = _labels(rng, 3)
    try:
        r1 = max_margin(X0, y, p=2 / 3)
    except (ValueError, SolverError):
        return
    r = max_margin(X0 * 10.0**ex, y, p=2 / 3)
    assert np.min(y[:, None] * X0 * 10.0**ex @ r.x) >= 1 - TOL
    assert np.linalg.norm(r.x * 10.0**ex - r1.x) <= TOL * np.linalg.norm(r1.x)


def test_reviewer_instances():
    """The inputs of the issue-15 review: certified now, or refused honestly."""
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((3, 6)), rng.standard_normal(3)
    base = min_l1_interpolator(X, y).fun
    for sx, sy in ((1, 1e-12), (1, 1e-9), (1e8, 1), (1e20, 1), (1, 1e150)):
        res = min_l1_interpolator(X * sx, y * sy)
        assert np.linalg.norm(X * sx @ res.x - y * sy) <= 1e-12 * np.linalg.norm(y * sy)
        assert res.fun == pytest.approx(base * sy / sx, rel=1e-12)
    res = max_margin([[1e-6, 0.0], [0.0, -1e-6]], [1, -1])
    assert np.allclose(res.x, [1e6, 1e6], rtol=1e-12)
    with pytest.raises(ValueError, match="Farkas certificate"):
        max_margin([[1.0, 2.0], [1.0, 2.0]], [1, -1])


@settings(max_examples=10, deadline=None, derandomize=True, database=None)
@given(seed=seeds, ex=exponents, L=st.integers(2, 4), la=st.sampled_from([-2.0, -1.0, 0.0, 1.0]))
def test_qnorm_certificate_recomputed(seed, ex, L, la):
    from ibtheory.special import h_inv

    rng, X = _design(seed, 3, 7, 1)
    X, y = X * 10.0**ex, rng.standard_normal(3)
    alpha = 10.0**la
    res = _failed_with_residuals(lambda: qnorm_interpolator(X, y, L, alpha))
    if res is None:
        return
    z = res.x
    assert np.linalg.norm(X @ z - y) <= TOL * np.linalg.norm(y)
    # Stationarity recomputed from z alone: grad Q(z) must lie in range(X^T).
    a, b = alpha**2, alpha**L
    g = (a / b) * h_inv(L, z / b)
    U, s, _ = np.linalg.svd(X.T, full_matrices=False)
    assert np.linalg.norm(g - U @ (U.T @ g)) <= TOL * np.linalg.norm(g)


@settings(max_examples=10, deadline=None, derandomize=True, database=None)
@given(seed=seeds, ex=exponents, lg=st.integers(-14, 2), k=st.integers(1, 3))
def test_logdet_against_closed_form(seed, ex, lg, k):
    rng, X = _design(seed, 3, 5, 1)
    X, Y = X * 10.0**ex, rng.standard_normal((3, k))
    gamma = 10.0**lg
    res = _failed_with_residuals(lambda: logdet_factorization(X, Y, gamma))
    if res is None:
        return
    beta = np.linalg.pinv(X) @ Y  # the closed form derived in the chapter (tests may use it)
    ev, V = np.linalg.eigh(beta @ beta.T)
    A = gamma * np.eye(5) + (V * np.sqrt(gamma**2 + np.maximum(ev, 0))) @ V.T
    assert np.linalg.norm(res.beta.reshape(beta.shape) - beta) <= TOL * np.linalg.norm(beta)
    assert np.linalg.norm(res.gram - A) <= TOL * np.linalg.norm(A)


@settings(max_examples=6, deadline=None, derandomize=True, database=None)
@given(seed=seeds, ex=st.sampled_from([-10, -3, 0, 4, 10]))
def test_fourier_max_margin_l2_weak_duality(seed, ex):
    from ibtheory.solvers._fourier import dft_matrix

    rng, X0 = _design(seed, 2, 6, 0)
    y = _labels(rng, 2)
    X = X0 * 10.0**ex
    try:
        res = fourier_max_margin(X, y, L=2)
    except (ValueError, SolverError):
        return
    A = y[:, None] * X
    F = dft_matrix(6)
    mu = np.maximum(res.dual, 0)
    assert np.min(A @ res.x) >= 1 - TOL
    lower = float(np.sum(mu)) / float(np.max(np.abs(F @ (A.T @ mu))))
    val = float(np.sum(np.abs(F @ res.x)))
    assert val - lower <= TOL * val


@settings(max_examples=10, deadline=None, derandomize=True, database=None)
@given(seed=seeds, ex=exponents, ey=exponents, M=st.integers(2, 9))
def test_natural_spline_scale(seed, ex, ey, M):
    rng = np.random.default_rng(seed)
    x0 = np.sort(rng.uniform(-2, 2, M))
    if np.min(np.diff(x0)) < 1e-3:
        return
    y0 = rng.standard_normal(M)
    g = weighted_spline(x0 * 10.0**ex, y0 * 10.0**ey, "constant")
    t = np.linspace(x0[0], x0[-1], 57)
    ref = CubicSpline(x0, y0, bc_type="natural")(t) if M > 2 else np.interp(t, x0, y0)
    assert np.max(np.abs(g(t * 10.0**ex) / 10.0**ey - ref)) <= TOL * max(np.max(np.abs(ref)), 1e-300)


# --- Issue 17: the solver paths of _kernels, _stationary, _sharpness_min and weighted_spline(cvxpy) ---

def _homogeneous(a, b, scale, rel=1e-12):
    """a == b to rel of the kernel's own scale sqrt(k(x, x) k(x', x')) (Cauchy-Schwarz bound on |k|):
    a value near 0 comes from cancellation between terms of that size."""
    return np.all(np.abs(a - b) <= rel * scale)


@settings(max_examples=10, deadline=None, derandomize=True, database=None)
@given(seed=seeds, e=exponents)
def test_kernels_homogeneous(seed, e):
    """k(s x, s x'; w/s, b) = k(x, x'; w, b) and k(x, x'; c w, c b) = c^2 k(x, x'; w, b), at s, c = 10^e."""
    from ibtheory.solvers import arccos_kernel, circle_kernel, relu_kernel

    rng = np.random.default_rng(seed)
    s = 10.0**e
    x1, x2 = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    def cs(k, a, b):
        return np.sqrt(k(a, a) * k(b, b))

    k = arccos_kernel(x1, x2, 1.3, 0.7)
    sc = cs(lambda a, b: arccos_kernel(a, b, 1.3, 0.7), x1, x2)
    assert _homogeneous(arccos_kernel(x1 * s, x2 * s, 1.3 / s, 0.7), k, sc)
    assert _homogeneous(arccos_kernel(x1, x2, 1.3 * s, 0.7 * s), s * s * k, s * s * sc)
    t1, t2 = rng.uniform(-3, 3, 12), rng.uniform(-3, 3, 12)
    for dist in ("uniform", "binary_uniform", "gaussian"):
        k = relu_kernel(t1, t2, dist, 1.2, 2.0)
        sc = cs(lambda a, b: relu_kernel(a, b, dist, 1.2, 2.0), t1, t2)
        assert _homogeneous(relu_kernel(t1 * s, t2 * s, dist, 1.2 / s, 2.0), k, sc), dist
        assert _homogeneous(relu_kernel(t1, t2, dist, 1.2 * s, 2.0 * s), s * s * k, s * s * sc), dist
    p1, p2 = rng.uniform(-1, 1, (6, 2)), rng.uniform(-1, 1, (6, 2))
    sc = cs(lambda a, b: circle_kernel(a, b, 2.5), p1, p2)
    assert _homogeneous(circle_kernel(p1 * s, p2 * s, 2.5 * s), s * s * circle_kernel(p1, p2, 2.5), s * s * sc)


@settings(max_examples=10, deadline=None, derandomize=True, database=None)
@given(seed=seeds, ey=exponents, ek=exponents)
def test_kernel_interpolant_scale(seed, ey, ek):
    from functools import partial

    from ibtheory.solvers import kernel_interpolant, relu_kernel

    rng = np.random.default_rng(seed)
    X = np.sort(rng.uniform(-2, 2, 7))
    if np.min(np.diff(X)) < 1e-2:
        return
    y0 = rng.standard_normal(7)
    base = partial(relu_kernel, dist="uniform", w_scale=1.0, b_scale=2.0)
    c = 10.0**ek
    res = _failed_with_residuals(lambda: kernel_interpolant(X, y0 * 10.0**ey, lambda a, b: c * base(a, b)))
    if res is None:
        return
    # Residual recomputed here, from the coefficients and a Gram matrix of our own.
    K = c * np.array([[float(base(a, b)) for b in X] for a in X])
    y = y0 * 10.0**ey
    assert np.max(np.abs(K @ res.x - y)) <= TOL * np.max(np.abs(y))
    ref = kernel_interpolant(X, y0, base)
    assert np.max(np.abs(res.x * c / 10.0**ey - ref.x)) <= TOL * np.max(np.abs(ref.x))
    assert res.kkt.interpolation <= res.tol and res.cond == pytest.approx(ref.cond, rel=1e-6)
    # The certificate is the purely relative residual (issue 17: it was divided by max(max|y|, 1),
    # so y * 1e-10 passed with a residual of 1e-20 whatever the solve's accuracy).
    Ks = c * base(X[:, None], X[None])
    assert res.kkt.interpolation == pytest.approx(np.max(np.abs(Ks @ res.x - y)) / np.max(np.abs(y)), rel=1e-9)


@settings(max_examples=12, deadline=None, derandomize=True, database=None)
@given(seed=seeds, ex=exponents, ey=exponents, kernel=st.sampled_from(["cubic", "thin_plate_spline"]))
def test_polyharmonic_spline_scale(seed, ex, ey, kernel):
    """Before issue 17 the saddle-point system was refused as singular (cond up to 1e59) off unit scale."""
    from ibtheory.solvers import polyharmonic_spline
    from ibtheory.solvers._kernels import _PHI

    rng = np.random.default_rng(seed)
    X0, y0 = rng.uniform(-1, 1, (9, 2)), rng.standard_normal(9)
    X, y = X0 * 10.0**ex + 3.0 * 10.0**ex, y0 * 10.0**ey   # scaled and offset
    res = polyharmonic_spline(X, y, kernel)
    # The documented coefficients, in the data's units, reproduce the data (recomputed here).
    s = res.coef @ _PHI[kernel](np.linalg.norm(X[:, None] - X[None], axis=-1)) + res.linear[0] + X @ res.linear[1:]
    assert np.max(np.abs(s - y)) <= TOL * np.max(np.abs(y))
    assert abs(np.sum(res.coef)) <= TOL * np.sum(np.abs(res.coef))
    T0 = rng.uniform(-1.5, 1.5, (25, 2))
    ref = polyharmonic_spline(X0, y0, kernel)
    assert np.max(np.abs(res(T0 * 10.0**ex + 3.0 * 10.0**ex) / 10.0**ey - ref(T0))) <= TOL * np.max(np.abs(y0))
    assert res.cond == pytest.approx(ref.cond, rel=1e-6)


def _separable(seed, n=4, d=8):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), _labels(rng, n)


@settings(max_examples=8, deadline=None, derandomize=True, database=None)
@given(seed=seeds, ex=exponents, p=st.sampled_from([0.5, 2 / 3, 1.0]), c=st.floats(0.1, 10.0))
def test_lp_margin_residual_invariant(seed, ex, p, c):
    from ibtheory.solvers import lp_margin_kkt_residual

    X, y = _separable(seed)
    z = max_margin(X, y, p=2).x
    z = z + 0.3 * np.random.default_rng(seed + 1).standard_normal(z.size) * np.max(np.abs(z))
    if np.min(y * (X @ z)) <= 0:
        return
    s = 10.0**ex
    r0 = lp_margin_kkt_residual(X, y, z, p)
    r = lp_margin_kkt_residual(X * s, y, c * z / s, p)
    assert abs(r - r0) <= 1e-8 * r0 + 1e-13


@settings(max_examples=8, deadline=None, derandomize=True, database=None)
@given(seed=seeds, ex=exponents, p=st.sampled_from([0.5, 2 / 3, 1.0]))
def test_polish_stationary_scale(seed, ex, p):
    """Before issue 17 complementarity was mu-weighted (mu ~ s^-p): refused at s = 1e-10, lenient at 1e10."""
    from ibtheory.solvers import polish_stationary

    X0, y = _separable(seed)
    try:
        z0 = max_margin(X0, y, p=p).x
        ref = polish_stationary(X0, y, z0, p)
    except (ValueError, SolverError):
        return
    s = 10.0**ex
    X = X0 * s
    res = _failed_with_residuals(lambda: polish_stationary(X, y, z0 / s, p))
    assert res is not None, "certified at unit scale, so at every scale"
    # KKT recomputed here from the point and multipliers alone.
    A, z, mu = y[:, None] * X, res.x, res.dual
    S, T = res.support, res.active
    g = p * np.abs(z[S]) ** (p - 1) * np.sign(z[S])
    assert np.min(A @ z) >= 1 - TOL
    assert np.min(mu) >= -TOL * np.max(np.abs(mu))
    assert np.linalg.norm(g - A[np.ix_(T, S)].T @ mu) <= TOL * np.linalg.norm(g)
    assert np.max(mu * np.abs(A[T] @ z - 1)) <= TOL * np.max(np.abs(mu))
    assert np.linalg.norm(z * s - ref.x) <= TOL * np.linalg.norm(ref.x)


def _covariance(seed, d=3):
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((d, d))
    return B @ B.T / d + 0.1 * np.eye(d), rng.standard_normal(d)


@settings(max_examples=10, deadline=None, derandomize=True, database=None)
@given(seed=seeds, ec=exponents, ed=exponents, L=st.integers(2, 6))
def test_sharpness_infimum_scale(seed, ec, ed, L):
    """inf S(c Sigma, d pi) = c d^(2 - 2/L) inf S(Sigma, pi); the value is the minimum of g, checked here."""
    from ibtheory.solvers import sharpness_infimum

    Sig0, pi0 = _covariance(seed)
    c, d = 10.0**ec, 10.0**ed
    Sig, pi = Sig0 * c, pi0 * d
    res = sharpness_infimum(L, Sig, pi)
    ref = sharpness_infimum(L, Sig0, pi0)
    assert res.fun == pytest.approx(c * d ** (2 - 2 / L) * ref.fun, rel=1e-9)
    assert res.lower <= res.fun and (res.fun - res.lower) <= TOL * res.fun
    # Independent evaluation of 2 P^2 g(x) near the optimum: none lies below the returned value.
    P = np.linalg.norm(pi)
    ev, U = np.linalg.eigh(Sig)
    sv = (U * np.sqrt(ev)) @ U.T @ pi / P
    for x in res.x * np.geomspace(0.5, 2.0, 9):
        g = np.linalg.eigvalsh(x * Sig + (L - 1) * (P * P * x) ** (-1 / (L - 1)) * np.outer(sv, sv))[-1]
        assert 2 * P * P * g >= res.fun * (1 - 1e-12)


@settings(max_examples=4, deadline=None, derandomize=True, database=None)
@given(seed=seeds, ex=st.sampled_from([-10, -5, 5, 10]), ey=st.sampled_from([-10, 0, 10]))
def test_min_sharpness_brute_force_scale(seed, ex, ey):
    """The brute force reaches the certified infimum (another route) whatever the units of X and y."""
    from ibtheory.solvers import min_sharpness_over_minimizers, sharpness_infimum

    rng = np.random.default_rng(seed)
    X0 = rng.standard_normal((8, 2))
    y0 = X0 @ rng.standard_normal(2) + 0.3 * rng.standard_normal(8)
    X, y = X0 * 10.0**ex, y0 * 10.0**ey
    res = min_sharpness_over_minimizers([2, 1, 1], X, y, n_starts=1)
    n = X.shape[0]
    Sig = X.T @ X / n
    inf = sharpness_infimum(2, Sig, np.linalg.solve(Sig, X.T @ y / n))
    assert res.fun == pytest.approx(inf.fun, rel=1e-8)
    beta = (res.layers[1] @ res.layers[0]).ravel()
    assert np.linalg.norm(Sig @ beta - X.T @ y / n) <= TOL * np.linalg.norm(X.T @ y / n)


@settings(max_examples=6, deadline=None, derandomize=True, database=None)
@given(seed=seeds, ex=exponents, ey=exponents, family=st.sampled_from(["constant", "gaussian"]))
def test_weighted_spline_cvxpy_scale(seed, ex, ey, family):
    """The grid route at x * 10^ex, y * 10^ey (zeta with sigma_b * 10^ex: the same problem in new units)."""
    from ibtheory.solvers import zeta
    from ibtheory.solvers._spline_cvxpy import ROUTE_ROUNDING

    rng = np.random.default_rng(seed)
    M = int(rng.integers(3, 9))
    x0, y0 = np.sort(rng.uniform(-2, 2, M)), rng.standard_normal(M)
    if np.min(np.diff(x0)) < 1e-3:
        return
    sx, sy = 10.0**ex, 10.0**ey
    z0 = zeta("constant") if family == "constant" else zeta("gaussian", sigma_b=0.5)
    z = zeta("constant") if family == "constant" else zeta("gaussian", sigma_b=0.5 * sx)
    ref = weighted_spline(x0, y0, z0, method="cvxpy")
    res = weighted_spline(x0 * sx, y0 * sy, z, method="cvxpy")
    assert res.kkt.meets(res.tol)
    assert np.max(np.abs(res.grid_values / sy - ref.grid_values)) <= 1e-10 * np.max(np.abs(y0))
    assert res.discretization_error / sy <= 2 * ref.discretization_error + 1e-13 * np.max(np.abs(y0))
    # Against the moment route at the same scale, within the reported error (+ rounding).
    exact = weighted_spline(x0 * sx, y0 * sy, z)
    assert np.max(np.abs(exact(res.grid) - res.grid_values)) <= res.discretization_error + ROUTE_ROUNDING * sy * np.max(np.abs(y0))
