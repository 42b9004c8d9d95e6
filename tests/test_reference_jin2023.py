"""Tests of ibtheory.reference.jin2023 against hand-written closed forms and plain Monte Carlo."""
import numpy as np
import pytest

from ibtheory.reference import jin2023 as ref


def test_zeta_quadrature_against_hand_closed_forms():
    x = np.array([-3.1, -1.0, 0.0, 0.4, 2.7])
    sw, sb = 1.3, 0.6
    g = 2 * sw**3 * sb**3 / (np.pi * (sb**2 + x**2 * sw**2) ** 2)
    assert np.allclose(ref.zeta_quadrature(x, "gaussian", sw, sb), g, rtol=1e-10, atol=0)
    aw, ab = 0.8, 1.2
    u = np.where(np.abs(x) <= ab / aw, aw**3 / (8 * ab), ab**3 / (8 * aw * np.maximum(np.abs(x), 1.0) ** 4))
    assert np.allclose(ref.zeta_quadrature(x, "uniform", aw, ab), u, rtol=1e-10, atol=0)


def test_zeta_monte_carlo_constant_and_seed_determinism():
    edges = np.linspace(-1.5, 1.5, 7)
    mean, se = ref.zeta_monte_carlo(edges, "binary_uniform", 1.0, 2.0, n_samples=300_000, seed=1)
    assert np.all(np.abs(mean - 0.25) < 4.5 * se)
    again = ref.zeta_monte_carlo(edges, "binary_uniform", 1.0, 2.0, n_samples=300_000, seed=1)
    assert np.array_equal(mean, again[0])


def test_relu_kernel_quad_against_monte_carlo():
    rng = np.random.default_rng(np.random.SeedSequence(0))
    N = 400_000
    for dist, ws, bs in (("uniform", 1.0, 2.0), ("gaussian", 1.0, 0.5), ("binary_uniform", 1.0, 2.0)):
        if dist == "gaussian":
            W, B = ws * rng.standard_normal(N), bs * rng.standard_normal(N)
        elif dist == "uniform":
            W, B = rng.uniform(-ws, ws, N), rng.uniform(-bs, bs, N)
        else:
            W, B = rng.choice([-1.0, 1.0], N), rng.uniform(-bs, bs, N)
        for x1, x2 in ((0.7, -1.3), (2.5, 0.2)):
            s = np.maximum(W * x1 + B, 0) * np.maximum(W * x2 + B, 0)
            assert abs(ref.relu_kernel_quad(x1, x2, dist, ws, bs) - s.mean()) < 5 * s.std() / np.sqrt(N)


def test_arccos_kernel_quad_degenerate_and_circle_quad_convergence():
    assert ref.arccos_kernel_quad([1.0, 0.0], [1.0, 0.0], 1.0, 1.0) == pytest.approx(1.0, rel=1e-10)  # E[U_+^2]=s^2/2
    x, y = np.array([0.3, -0.5]), np.array([1.0, 0.2])
    a, b = ref.circle_kernel_quad(x, y, 2.0, 400), ref.circle_kernel_quad(x, y, 2.0, 4000)
    # hand closed form a^2/6 + x.y/4 + |x-y|^3/(18 pi a), written out here
    exact = 4 / 6 + x @ y / 4 + np.linalg.norm(x - y) ** 3 / (36 * np.pi)
    assert abs(b - exact) < 1e-10 and abs(a - exact) > abs(b - exact)


def test_rbf_spline_interpolates():
    X = np.array([[-1.0, -1], [-1, 1], [1, -1], [1, 1], [0, 0]])
    y = np.array([0.0, 0, 0, 0, 1])
    assert np.allclose(ref.rbf_spline(X, y, "thin_plate_spline")(X), y, atol=1e-12)


@pytest.mark.parametrize("call", [
    lambda: ref.zeta_quadrature([0.0], "binary_uniform"),
    lambda: ref.zeta_monte_carlo([1.0, 0.0]),
    lambda: ref.zeta_monte_carlo([0.0, 1.0], n_samples=2.5),
    lambda: ref.relu_kernel_quad([0.0, 1.0], 0.0),
    lambda: ref.arccos_kernel_quad([0.0], [0.0, 1.0]),
    lambda: ref.circle_kernel_quad([0.0, 0.0], [0.0, 0.0], -1.0),
    lambda: ref.rbf_spline(np.zeros((3, 3)), np.zeros(3)),
])
def test_bad_input(call):
    with pytest.raises((ValueError, TypeError)):
        call()
