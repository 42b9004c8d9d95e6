"""Tests of the independent routes in ibtheory.reference.marion2024 (against hand-derived values)."""
import numpy as np
import pytest

from ibtheory.reference import marion2024 as ref


def test_end_to_end_and_fd_sharpness_scalar_chain():
    # d = 1, balanced minimizer of s (w1 w2 w3 - pi)^2: Hessian 2 s pi^(4/3) 11^T, top 6 s pi^(4/3)
    s, pi = 1.7, 2.0
    w = pi ** (1 / 3)
    layers = [np.array([[w]])] * 3
    assert ref.end_to_end(layers).tolist() == pytest.approx([pi])
    assert ref.minimizer_sharpness_fd(layers, np.array([[s]])) == pytest.approx(6 * s * pi ** (4 / 3), rel=1e-8)


def test_fd_sharpness_two_layer_closed_form():
    # W1 = I (2x2), W2 = [a, b]: J^T Sigma J with Sigma = I has top eigenvalue |W2|^2 + 1 (for |W1| = I columns)
    a, b = 0.6, 0.8
    val = ref.minimizer_sharpness_fd([np.eye(2), np.array([[a, b]])], np.eye(2))
    # M = |a_1|^2 I + B_2^T B_2 = (a^2 + b^2) I + I  ->  2 * 2 = 4
    assert val == pytest.approx(4.0, rel=1e-8)


def test_infimum_grid_isotropic_and_anisotropic_limits():
    assert ref.infimum_grid(3, 2.0 * np.eye(3), np.array([0.0, 0.5, 0.0])) == pytest.approx(
        2 * 3 * 2.0 * 0.5 ** (2 - 2 / 3), rel=1e-9)
    # pi along the top eigenvector of Sigma = diag(3, 1): the lower bound 2 L a |pi|^(2-2/L) with a = 3 is attained
    assert ref.infimum_grid(4, np.diag([3.0, 1.0]), np.array([2.0, 0.0])) == pytest.approx(
        2 * 4 * 3.0 * 2.0 ** 1.5, rel=1e-9)


def test_gd_loop_converges_and_diverges():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 2))
    y = X @ np.array([1.0, -0.5])
    Q, u, losses = ref.gd_loop([np.eye(2)], np.array([0.3, 0.1]), X, y, 0.05, 2000)
    assert losses[-1] < 1e-12 and np.all(np.diff(losses) <= 1e-15)
    with np.errstate(all="ignore"):
        _, _, bad = ref.gd_loop([np.eye(2)], np.array([0.3, 0.1]), X, y, 5.0, 20)
    assert not np.isfinite(bad[-1]) or bad[-1] > 1e6
    _, u_fixed, _ = ref.gd_loop([np.eye(2)], np.array([0.3, 0.1]), X, y, 0.05, 10, train_head=False)
    assert u_fixed.tolist() == [0.3, 0.1]


def test_end_to_end_rejects_bad_layers():
    # regression: an empty list used to raise IndexError
    with pytest.raises(ValueError, match="layers"):
        ref.end_to_end([])
    with pytest.raises(TypeError, match="layers"):
        ref.end_to_end(None)
    with pytest.raises(ValueError, match=r"layers\[0\]"):
        ref.end_to_end([np.ones(3)])
    with pytest.raises(ValueError, match=r"layers\[1\]"):
        ref.end_to_end([np.eye(2), np.ones((1, 3))])
    with pytest.raises(ValueError, match="one row"):
        ref.end_to_end([np.eye(2)])
