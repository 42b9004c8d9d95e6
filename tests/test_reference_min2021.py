"""Tests of ibtheory.reference.min2021 against hand-made cases (not against the code it checks)."""
import numpy as np
import pytest

from ibtheory.reference import min2021 as ref


def test_imbalance_level_dense_diagonal_cases():
    # Lambda = diag(4, -1, 0): lambda_1 = 4 (r = 1), -Lambda has top eigenvalue 1 (m = 1): c = 5
    assert ref.imbalance_level_dense(np.array([[2.0, 0, 0]]), np.array([[0, 1.0, 0]])) == 5.0
    # identical rows: Lambda = 0, c = 0
    assert ref.imbalance_level_dense(np.array([[1.0, 1.0]]), np.array([[1.0, 1.0]])) == 0.0


def test_min_norm_solution_is_orthogonal_to_null_space():
    X = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    Y = np.array([[2.0], [3.0]])
    th = ref.min_norm_solution(X, Y)
    assert np.allclose(X @ th, Y)
    assert abs(float(np.array([1.0, 0.0, -1.0]) @ th[:, 0])) < 1e-14   # null direction of X
    assert np.allclose(th[:, 0], [1.0, 3.0, 1.0])


def test_network_loss_formula():
    assert ref.network_loss(np.eye(2), np.zeros((2, 1)), np.eye(2), np.ones((1, 2))) == 1.0


def test_flow_scalar_closed_form():
    # scalar u = v, y = 1: u' = (1 - u^2) u; u(t)^2 = 1 / (1 + (1/u0^2 - 1) e^{-2t})
    u0, t = 0.3, 2.0
    U, V = ref.flow_matrices(np.eye(1), np.array([[1.0]]), np.array([[u0]]), np.array([[u0]]), t)
    expected = 1.0 / (1.0 + (1.0 / u0 ** 2 - 1.0) * np.exp(-2 * t))
    assert abs(U[0, 0] * V[0, 0] - expected) < 1e-9


def test_bad_input():
    with pytest.raises(ValueError, match="U1 must be finite"):
        ref.imbalance_level_dense(np.array([[np.nan]]), np.array([[1.0]]))


def test_imbalance_level_dense_rejects_bad_shapes():
    # regression: 0-d inputs used to raise IndexError
    with pytest.raises(ValueError, match="U1"):
        ref.imbalance_level_dense(True, True)
    with pytest.raises(ValueError, match="same h"):
        ref.imbalance_level_dense(np.ones((1, 2)), np.ones((1, 3)))
    with pytest.raises(ValueError, match="r = 3"):
        ref.imbalance_level_dense(np.ones((3, 2)), np.ones((1, 2)))
    with pytest.raises(ValueError, match="batch"):
        ref.imbalance_level_dense(np.ones((2, 1, 2)), np.ones((3, 1, 2)))
