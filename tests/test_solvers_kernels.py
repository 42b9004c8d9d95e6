"""Tests of ibtheory.solvers kernel interpolants, kernels and polyharmonic splines (against reference routes)."""
from functools import partial

import numpy as np
import pytest

from ibtheory.reference import jin2023 as ref
from ibtheory.solvers import (SolverError, arccos_kernel, circle_kernel, kernel_interpolant, polyharmonic_spline,
                              relu_kernel)

X5 = np.array([[-1.0, -1], [-1, 1], [1, -1], [1, 1], [0, 0]])
Y5 = np.array([0.0, 0, 0, 0, 1])


@pytest.mark.parametrize("dist,ws,bs", [("uniform", 1.0, 2.0), ("binary_uniform", 1.0, 2.0), ("gaussian", 1.0, 0.5)])
def test_relu_kernel_against_quadrature(dist, ws, bs):
    for x1, x2 in ((1.7, -0.4), (2.5, 2.9), (0.0, -3.0)):
        assert abs(relu_kernel(x1, x2, dist, ws, bs) - ref.relu_kernel_quad(x1, x2, dist, ws, bs)) < 1e-9


def test_arccos_and_circle_kernels_against_quadrature():
    x, y = np.array([0.3, -0.5]), np.array([1.0, 0.2])
    assert abs(float(arccos_kernel(x, y, 0.7, 1.3)) - ref.arccos_kernel_quad(x, y, 0.7, 1.3)) < 1e-12
    assert abs(float(circle_kernel(x, y, 2.0)) - ref.circle_kernel_quad(x, y, 2.0)) < 1e-10


def test_kernel_interpolant_certificate_and_values():
    res = kernel_interpolant(X5, Y5, partial(arccos_kernel, sigma_w=1.0, sigma_b=1.0))
    assert res.success and res.kkt.interpolation < 1e-12 and res.cond > 1
    K = np.array([[ref.arccos_kernel_quad(a, b) for b in X5] for a in X5])     # the Gram matrix by quadrature
    assert np.allclose(res.x, np.linalg.solve(K, Y5), rtol=1e-9)
    t = np.array([[0.2, 0.7]])
    assert abs(res(t)[0] - np.array([ref.arccos_kernel_quad(t[0], b) for b in X5]) @ res.x) < 1e-10


def test_kernel_interpolant_one_input():
    k = partial(relu_kernel, dist="uniform", w_scale=1.0, b_scale=2.0)
    res = kernel_interpolant([-1.0, 0.5, 2.0], [1.0, -1.0, 0.5], k)
    assert np.allclose(res([-1.0, 0.5, 2.0]), [1.0, -1.0, 0.5], atol=1e-12)


def test_kernel_interpolant_singular_raises():
    k = partial(relu_kernel, dist="uniform")
    with pytest.raises(SolverError):
        kernel_interpolant([0.0, 0.0], [1.0, 2.0], k)


@pytest.mark.parametrize("kernel", ["cubic", "thin_plate_spline"])
def test_polyharmonic_spline_against_rbf(kernel):
    s = polyharmonic_spline(X5, Y5, kernel)
    T = np.random.default_rng(np.random.SeedSequence(1)).uniform(-1.5, 1.5, (50, 2))
    assert s.success and np.max(np.abs(s(T) - ref.rbf_spline(X5, Y5, kernel)(T))) < 1e-10
    assert s.kkt.side_conditions < 1e-12


@pytest.mark.parametrize("call", [
    lambda: relu_kernel(0.0, 0.0, "laplace"),
    lambda: relu_kernel(0.0, 0.0, "uniform", -1.0),
    lambda: circle_kernel([3.0, 0.0], [0.0, 0.0], 2.0),
    lambda: kernel_interpolant(X5, Y5[:3], arccos_kernel),
    lambda: kernel_interpolant(X5, Y5, "arccos"),
    lambda: polyharmonic_spline(X5, Y5, "gaussian"),
    lambda: polyharmonic_spline(np.array([[0.0, 0], [1, 1], [2, 2]]), np.zeros(3)),
    lambda: arccos_kernel([0.0, 0.0], [0.0]),
])
def test_bad_input(call):
    with pytest.raises((ValueError, TypeError)):
        call()
