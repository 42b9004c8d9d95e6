"""Tests of ibtheory.theory.jin2023_2d (2-D extension of Jin & Montufar), each against an independent route."""
from functools import partial

import numpy as np
import pytest

from ibtheory.theory import jin2023_2d as J


def test_arccos_kernel_closed_form_vs_quadrature():
    rng = np.random.default_rng(0)
    for sw, sb in ((1.0, 1.0), (0.5, 1.3)):
        for x1, x2 in rng.uniform(-2, 2, size=(8, 2, 2)):
            ref = J.arccos_kernel_quad(x1, x2, sw, sb)
            assert abs(float(J.arccos_kernel(x1, x2, sw, sb)) - ref) < 1e-10 * ref
    # Same point: E[U_+^2] = s^2/2, U ~ N(0, s^2).
    x = np.array([0.4, -1.1])
    assert np.isclose(J.arccos_kernel(x, x, 1.0, 1.0), (x @ x + 1) / 2, rtol=1e-14, atol=0)


def test_arccos_kernel_against_random_features_of_relu_init():
    from ibtheory.models import TwoLayerReLU, relu_init

    W, b, _, _ = relu_init(TwoLayerReLU(2, 400_000), "gaussian", 1.0, 0.8, asi=False, seed=5)
    x1, x2 = np.array([0.5, -1.0]), np.array([1.2, 0.3])
    prod = np.maximum(W @ x1 + b, 0) * np.maximum(W @ x2 + b, 0)
    mean, se = prod.mean(), prod.std() / np.sqrt(prod.size)
    assert abs(mean - float(J.arccos_kernel(x1, x2, 1.0, 0.8))) < 4.5 * se


def test_circle_kernel_derivation_symbolic():
    import sympy as sp

    d = J.CircleKernelDerivation()
    assert sp.simplify(d.g_sym - d.g_sym_claimed) == 0
    assert sp.simplify(d.mean_abs_cos3 - 4 / (3 * sp.pi)) == 0
    assert sp.simplify(d.mean_cos_product - sp.cos(d.psi) / 2) == 0
    assert sp.simplify(d.radial_coefficient - 1 / (18 * sp.pi * d.a)) == 0


def test_circle_kernel_closed_form_vs_quadrature_and_monte_carlo():
    rng = np.random.default_rng(1)
    for x1, x2 in rng.uniform(-1.4, 1.4, size=(6, 2, 2)):
        assert abs(J.circle_kernel_quad(x1, x2, 2.0, 4000) - float(J.circle_kernel(x1, x2, 2.0))) < 1e-10
    # Features of init_asi_2d("circle"): the Monte Carlo mean over neurons.
    W, b, _, _ = J.init_asi_2d(300_000, "circle", a=2.0, seed=2)
    x1, x2 = np.array([0.7, 0.2]), np.array([-0.9, 1.0])
    prod = np.maximum(W @ x1 + b, 0)[:300_000] * np.maximum(W @ x2 + b, 0)[:300_000]
    assert abs(prod.mean() - float(J.circle_kernel(x1, x2, 2.0))) < 4.5 * prod.std() / np.sqrt(prod.size)


def test_circle_kernel_rejects_points_outside_the_bias_range():
    with pytest.raises(ValueError, match="a = 1.0"):
        J.circle_kernel([1.5, 0.0], [0.0, 0.0], a=1.0)


def test_polyharmonic_spline_matches_scipy_and_side_conditions():
    rng = np.random.default_rng(3)
    X, y = rng.uniform(-1, 1, (9, 2)), rng.standard_normal(9)
    T = rng.uniform(-1.5, 1.5, (200, 2))
    for kernel in ("thin_plate_spline", "cubic"):
        s = J.polyharmonic_spline(X, y, kernel)
        assert np.max(np.abs(s(T) - J.rbf_spline(X, y, kernel)(T))) < 1e-10
        assert abs(s.coef.sum()) < 1e-10 and np.max(np.abs(s.coef @ X)) < 1e-10
        assert np.max(np.abs(s(X) - y)) < 1e-10


def test_thin_plate_spline_reproduces_linear_data():
    lin = lambda P: 0.3 - 1.2 * P[..., 0] + 0.5 * P[..., 1]  # noqa: E731
    s = J.polyharmonic_spline(J.X5, lin(J.X5))
    T = J.grid_points(1.5, 11)[2]
    assert np.max(np.abs(s(T) - lin(T))) < 1e-12


def test_circle_limit_on_adjusted_data_is_the_cubic_polyharmonic_spline():
    rng = np.random.default_rng(4)
    X, y = rng.uniform(-1, 1, (7, 2)), rng.standard_normal(7)
    S = J.polyharmonic_spline(X, y, "cubic")
    lim = J.kernel_interpolant_2d(X, y - S.linear_part(X), partial(J.circle_kernel, a=2.0))
    T = rng.uniform(-1.4, 1.4, (300, 2))
    assert np.max(np.abs(lim(T) + S.linear_part(T) - J.rbf_spline(X, y, "cubic")(T))) < 1e-10
    # Without the adjustment the limit differs from the spline (the adjustment is not cosmetic).
    lim0 = J.kernel_interpolant_2d(X, y, partial(J.circle_kernel, a=2.0))
    assert np.max(np.abs(lim0(T) - S(T))) > 1e-3


def test_asi_init_is_zero():
    from ibtheory.models import TwoLayerReLU

    T = np.random.default_rng(0).normal(size=(50, 2)) * 3
    for init in ("gaussian", "circle"):
        P = J.init_asi_2d(64, init, seed=3)
        assert np.max(np.abs(TwoLayerReLU(2, 128).forward(P, T))) < 1e-14


def test_trainer_matches_engine_gradient_descent():
    from ibtheory.dynamics import gradient_descent
    from ibtheory.models import TwoLayerReLU

    run = J.train_asi_2d(J.X5, J.Y5, [16], [2], output_lr_scale=1.0, tol_residual=1e-300, max_steps=60,
                         check_every=7)
    assert run.nit[0] == 60 and not run.success
    P0 = J.init_asi_2d(16, "gaussian", seed=2)
    gd = gradient_descent(TwoLayerReLU(2, 32), P0, J.X5, J.Y5[:, None], lr=run.lr[0], n_steps=60, loss="mean")
    for p, q in zip(run.params[0], gd.x):
        assert np.max(np.abs(np.asarray(p) - np.asarray(q))) < 1e-12


def test_training_converges_and_approaches_the_kernel_limit():
    run, err, lim = J.width_sweep([20, 1280], [0, 1, 2], n_grid=31)
    assert run.success and run.fun.max() < 1e-19
    assert np.median(err[run.widths == 1280]) < 0.5 * np.median(err[run.widths == 20])


def test_bad_input():
    with pytest.raises(ValueError, match="X"):
        J.train_asi_2d(np.zeros((3, 3)), np.zeros(3), [4], [0])
    with pytest.raises(ValueError, match="init"):
        J.init_asi_2d(4, "uniform")
    with pytest.raises(ValueError, match="lr_factor"):
        J.train_asi_2d(J.X5, J.Y5, [4], [0], lr_factor=2.0)
    with pytest.raises(ValueError, match="line"):
        J.polyharmonic_spline([[0, 0], [1, 1], [2, 2.0]], [0, 1, 2.0])
    with pytest.raises(ValueError, match="x1"):
        J.arccos_kernel([np.nan, 0.0], [0.0, 0.0])
