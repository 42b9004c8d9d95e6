"""Tests of ibtheory.theory.jin2023 (Jin & Montufar): each against a route that does not share its code."""
import numpy as np
import pytest

from ibtheory.theory import jin2023 as J

X = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
Y = np.array([1.5, 0.5, 1.5, 0.5, 1.5])


def test_zeta_derivation_symbolic():
    import sympy as sp

    d = J.ZetaDerivation()
    assert sp.simplify(d.gaussian - d.seed_gaussian) == 0
    assert sp.simplify(d.gaussian - d.gaussian_pC * d.gaussian_cond_w2) == 0
    # p_C is the Cauchy density sw sb / (pi (sb^2 + sw^2 x^2)), derived independently by hand.
    cauchy = d.sigma_w * d.sigma_b / (sp.pi * (d.sigma_b**2 + d.sigma_w**2 * d.x**2))
    assert sp.simplify(d.gaussian_pC - cauchy) == 0
    assert sp.simplify(d.uniform_inside - d.a_w**3 / (8 * d.a_b)) == 0
    assert sp.simplify(d.binary_uniform - 1 / (2 * d.a_b)) == 0
    # Continuity of the uniform zeta at |x| = a_b/a_w.
    assert sp.simplify(d.uniform_outside.subs(d.x, d.a_b / d.a_w) - d.uniform_inside) == 0


def test_zeta_monte_carlo_matches_closed_form():
    edges = np.linspace(-1.5, 1.5, 7)
    mean, se = J.zeta_monte_carlo(edges, "uniform", 1.0, 2.0, n_samples=300_000, seed=1)
    assert np.all(np.abs(mean - 1 / 16) < 4.5 * se)


def test_relu_kernel_against_monte_carlo():
    rng = np.random.default_rng(0)
    N = 400_000
    for dist, ws, bs in (("uniform", 1.0, 2.0), ("gaussian", 1.0, 0.5), ("binary_uniform", 1.0, 2.0)):
        if dist == "gaussian":
            W, B = ws * rng.standard_normal(N), bs * rng.standard_normal(N)
        elif dist == "uniform":
            W, B = rng.uniform(-ws, ws, N), rng.uniform(-bs, bs, N)
        else:
            W, B = rng.choice([-1.0, 1.0], N), rng.uniform(-bs, bs, N)
        for x1, x2 in ((0.7, -1.3), (2.5, 0.2), (-3.0, -3.0)):
            s = np.maximum(W * x1 + B, 0) * np.maximum(W * x2 + B, 0)
            assert abs(J.relu_kernel(x1, x2, dist, ws, bs) - s.mean()) < 5 * s.std() / np.sqrt(N)


def test_relu_kernel_uniform_against_dblquad():
    from scipy.integrate import dblquad

    x1, x2 = 1.7, -0.4
    f = lambda b, w: max(w * x1 + b, 0) * max(w * x2 + b, 0) / 8.0  # noqa: E731
    ref = dblquad(f, -1, 1, -2, 2, epsabs=1e-12, epsrel=1e-12)[0]
    assert abs(J.relu_kernel(x1, x2, "uniform", 1.0, 2.0) - ref) < 1e-9


def test_kernel_interpolant_is_adjusted_spline():
    g, u, v = J.predicted_limit(X, Y, "gaussian", 1.0, 1.0)
    k = J.kernel_interpolant(X, Y - u * X - v, "gaussian", 1.0, 1.0)
    t = np.linspace(-5, 5, 301)
    assert np.max(np.abs(k(t) - (g(t) - u * t - v))) < 1e-10


def test_linear_adjustment_closed_form():
    # u x + v = g - h with h = (1/2) int g''(c)|x - c| dc, evaluated here by quadrature of g''.
    from scipy.integrate import quad

    rng = np.random.default_rng(3)
    x = np.linspace(-2, 2, 6) + rng.uniform(-0.1, 0.1, 6)
    y = rng.standard_normal(6)
    g, u, v = J.predicted_limit(x, y, "gaussian", 1.0, 0.5)
    for t in (-3.0, 0.4, 2.5):
        h = 0.5 * sum(quad(lambda c: float(g.second_derivative(np.array([c]))[0]) * abs(t - c), a, b,
                           epsabs=1e-13, epsrel=1e-12)[0] for a, b in zip(x[:-1], x[1:]))
        assert abs(float(g(np.array([t]))[0]) - h - (u * t + v)) < 1e-8


def test_train_asi_matches_engine_gradient_descent():
    from ibtheory.dynamics import gradient_descent
    from ibtheory.models import TwoLayerReLU, relu_init

    run = J.train_asi(X, Y, [30], [4], "gaussian", 1.0, 1.0, output_lr_scale=1.0, max_steps=300,
                      tol_change=1e-300, polish=False)
    net = TwoLayerReLU(1, 60)
    ref = gradient_descent(net, relu_init(net, "gaussian", 1.0, 1.0, seed=4), X[:, None], Y,
                           lr=float(run.lr[0]), n_steps=300, loss="mean")
    for p, q in zip(run.params[0], ref.x):
        assert np.max(np.abs(np.asarray(p) - q)) < 1e-12


def test_train_asi_output_lr_scale_is_paper_asi():
    # The paper's ASI trains V with a = +-sqrt(2)/2 V: one GD step on V equals a step on a with lr/2.
    from ibtheory.models import TwoLayerReLU, relu_init

    run = J.train_asi(X, Y, [20], [1], "uniform", 1.0, 2.0, max_steps=1, tol_change=1e-300, polish=False,
                      train="output")
    W, b, a, c = relu_init(TwoLayerReLU(1, 40), "uniform", 1.0, 2.0, seed=1)
    s = np.concatenate([np.full(20, np.sqrt(2) / 2), np.full(20, -np.sqrt(2) / 2)])
    V = a / s
    phi = np.maximum(W[:, 0][:, None] * X[None] + b[:, None], 0)
    r = phi.T @ a - Y
    V1 = V - run.lr[0] * (s[:, None] * phi) @ (2 / 5 * r)
    assert np.max(np.abs(run.params[0][2] - s * V1)) < 1e-14


def test_train_asi_converges_and_interpolates():
    run = J.train_asi(X, Y, [80], [0, 1], "uniform", 1.0, 2.0)
    assert run.success
    for k in range(2):
        assert np.max(np.abs(run(k, X) - Y)) < 1e-8


def test_linearized_gap_limit_equals_min_distance():
    from ibtheory.models import TwoLayerReLU, relu_init
    from ibtheory.solvers import min_distance_interpolator

    P = relu_init(TwoLayerReLU(1, 100), "gaussian", 1.0, 1.0, seed=0)
    t = np.linspace(-2, 2, 9)
    _, f_all, _ = J.linearized_gap(P, X, Y, t)
    Jx = J.asi_jacobian(P, X)
    theta0 = np.concatenate([P[0][:, 0], P[1], P[2], [float(P[3])]])
    w = min_distance_interpolator(Jx, Y, theta0).x
    assert np.max(np.abs(J.asi_jacobian(P, t) @ (w - theta0) - f_all)) < 1e-9


def test_zeta_quadrature_against_hand_closed_forms():
    # Closed forms written out here (not from init_zeta): Gaussian 2 sw^3 sb^3 / (pi (sb^2 + x^2 sw^2)^2);
    # uniform a_w^3/(8 a_b) for |x| <= a_b/a_w and a_b^3/(8 a_w x^4) beyond; binary 1/(2 a_b) on |x| <= a_b.
    x = np.array([-3.1, -1.0, 0.0, 0.4, 2.7])
    sw, sb = 1.3, 0.6
    g = 2 * sw**3 * sb**3 / (np.pi * (sb**2 + x**2 * sw**2) ** 2)
    assert np.allclose(J.zeta_quadrature(x, "gaussian", sw, sb), g, rtol=1e-10, atol=0)
    aw, ab = 0.8, 1.2
    u = np.where(np.abs(x) <= ab / aw, aw**3 / (8 * ab), ab**3 / (8 * aw * np.maximum(np.abs(x), 1.0) ** 4))
    assert np.allclose(J.zeta_quadrature(x, "uniform", aw, ab), u, rtol=1e-10, atol=0)
    assert np.allclose(J.zeta_quadrature(x, "binary_uniform", 1.0, 2.0), np.where(np.abs(x) <= 2, 0.25, 0.0))


def test_linearized_gd_reaches_min_distance_by_lstsq():
    rng = np.random.default_rng(7)
    Jm, y, th0 = rng.standard_normal((4, 9)), rng.standard_normal(4), rng.standard_normal(9)
    r = J.linearized_gd(Jm, y, th0, lr_factor=0.9, contraction=1e-14)
    ref = th0 + np.linalg.lstsq(Jm, y, rcond=None)[0]      # min-norm step from th0
    assert np.linalg.norm(r.x - ref) < 1e-10 * np.linalg.norm(ref - th0) * r.cond
    assert r.fun < 1e-20
    with pytest.raises(ValueError, match="full row rank"):
        J.linearized_gd(np.ones((2, 3)), np.ones(2), np.zeros(3))


def test_train_asi_gd_loss_is_loss_before_polish():
    run = J.train_asi(X, Y, [40], [0], "uniform", 1.0, 2.0)
    ref = J.train_asi(X, Y, [40], [0], "uniform", 1.0, 2.0, polish=False)
    assert run.gd_loss[0] == pytest.approx(float(np.mean((ref(0, X) - Y) ** 2)), rel=1e-12)
    assert run.gd_loss[0] > run.fun[0]


def test_fit_rate_recovers_slope_and_interval():
    rng = np.random.default_rng(0)
    n = np.repeat([10, 40, 160, 640, 2560], 4).astype(float)
    e = 2 * n**-0.5 * np.exp(0.05 * rng.standard_normal(n.size))
    s, (lo, hi), _ = J.fit_rate(n, e)
    assert lo < -0.5 < hi and abs(s + 0.5) < 0.05


@pytest.mark.parametrize("call", [
    lambda: J.relu_kernel(0.0, 0.0, "laplace"),
    lambda: J.relu_kernel(0.0, 0.0, "uniform", -1.0),
    lambda: J.train_asi(X, Y, [0], [0]),
    lambda: J.train_asi(X, Y, [10], [0], lr_factor=2.0),
    lambda: J.train_asi(X, Y[:3], [10], [0]),
    lambda: J.train_asi(X, Y, [10], [0], train="hidden"),
    lambda: J.zeta_monte_carlo([1.0, 0.0]),
    lambda: J.fit_rate([1.0, 2.0], [1.0, 0.5]),
    lambda: J.init_zeta("binary_uniform", 2.0, 2.0),
    lambda: J.zeta_quadrature([0.0], "laplace"),
    lambda: J.linearized_gd(np.ones((2, 3)), np.ones(3), np.zeros(3)),
    lambda: J.linearized_gd(np.eye(2), np.ones(2), np.zeros(2), lr_factor=2.0),
])
def test_bad_input_raises(call):
    with pytest.raises(ValueError):
        call()
