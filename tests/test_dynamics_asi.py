"""Tests of ibtheory.dynamics.asi_gradient_descent (the fast path for anti-symmetrically initialized
two-layer ReLU networks) against the generic batched engine ibtheory.dynamics.gradient_descent."""
import numpy as np
import pytest

from ibtheory import Status
from ibtheory.dynamics import Problem, asi_gradient_descent, relu_jacobian
from ibtheory.models import TwoLayerReLU, relu_init


def _problem(d, loss="mean"):
    rng = np.random.default_rng(np.random.SeedSequence(11))
    return Problem(rng.uniform(-1.5, 1.5, (6, d)), rng.standard_normal(6), loss=loss)


@pytest.mark.parametrize("d,loss", [(1, "mean"), (2, "mean"), (2, "half_sum")])
def test_matches_generic_gradient_descent(d, loss):
    prob = _problem(d, loss)
    widths = (8, 30)
    P = [relu_init(TwoLayerReLU(d, m), "gaussian", 1.0, 1.0, seed=s) for m in widths for s in (0, 1)]
    n_steps = 300
    run = asi_gradient_descent(prob, P, lr_factor=0.9, stop="residual", tol=1e-300, max_steps=n_steps, check_every=37)
    assert [s is Status.MAX_ITER for s in run.status] == [True] * 4 and np.all(run.nit == n_steps)
    for k, (m, P0) in enumerate(zip(np.repeat(widths, 2), P)):
        ref = prob.gradient_descent(TwoLayerReLU(d, int(m)), P0, lr=run.lr[k], n_steps=n_steps)
        for p_fast, p_ref in zip(run.params[k], ref.x):
            assert np.max(np.abs(np.asarray(p_fast) - p_ref)) < 1e-10 * max(1.0, np.max(np.abs(p_ref)))
        assert abs(run.loss[k] - ref.fun) < 1e-12 * max(1.0, ref.fun)


def test_output_only_freezes_hidden_layer_and_halved_output_step():
    prob = _problem(1)
    P = relu_init(TwoLayerReLU(1, 20), "uniform", 1.0, 2.0, seed=3)
    run = asi_gradient_descent(prob, [P], train="output", output_lr_scale=0.5, tol=1e-300, max_steps=50)
    assert np.array_equal(run.params[0][0], P[0]) and np.array_equal(run.params[0][1], P[1])
    # Output-only GD on a = a0 + delta is GD on a linear least-squares problem: explicit loop.
    Phi = np.maximum(prob.X @ P[0].T + P[1], 0.0)
    a, c = P[2].copy(), float(P[3])
    for _ in range(50):
        r = Phi @ a + c - prob.y
        a, c = a - 0.5 * run.lr[0] * 2 * Phi.T @ r / prob.n, c - run.lr[0] * 2 * r.sum() / prob.n
    assert np.max(np.abs(run.params[0][2] - a)) < 1e-12 and abs(float(run.params[0][3]) - c) < 1e-12


def test_step_size_is_from_the_tangent_kernel():
    prob = _problem(2)
    P = relu_init(TwoLayerReLU(2, 16), "gaussian", 1.0, 1.0, seed=0)
    run = asi_gradient_descent(prob, [P], lr_factor=1.0, tol=1e-300, max_steps=1)
    # Tangent kernel by finite differences of the forward pass (no relu_jacobian).
    net = TwoLayerReLU(2, 16)
    theta = np.concatenate([p.ravel() for p in P]).astype(float)
    shapes = [np.shape(p) for p in P]

    def f(th):
        parts, i = [], 0
        for s in shapes:
            k = int(np.prod(s)); parts.append(th[i:i + k].reshape(s)); i += k
        return net.forward(tuple(parts), prob.X)
    J = np.stack([(f(theta + 1e-6 * e) - f(theta - 1e-6 * e)) / 2e-6 for e in np.eye(theta.size)], 1)
    assert abs(run.lr[0] - prob.n / 2 / np.linalg.eigvalsh(J @ J.T)[-1]) < 1e-6 * run.lr[0]
    assert relu_jacobian(P, prob.X).shape == J.shape


def test_converges_with_tail_and_reports_status():
    prob = Problem(np.array([[-1.0], [0.0], [1.0]]), np.array([1.0, 0.0, 1.0]), loss="mean")
    P = [relu_init(TwoLayerReLU(1, 2 * n), "uniform", 1.0, 2.0, seed=0) for n in (20, 80)]
    run = asi_gradient_descent(prob, P, output_lr_scale=0.5, tol=1e-10, polish=True)
    assert run.success and np.all(run.loss < 1e-20) and np.all(run.polish_shift >= 0)
    short = asi_gradient_descent(prob, P, tol=1e-300, max_steps=5)
    assert not short.success and "did not meet" in short.message


def test_bad_input():
    prob = _problem(1)
    P = relu_init(TwoLayerReLU(1, 4), "uniform", 1.0, 2.0)
    with pytest.raises(TypeError, match="problem"):
        asi_gradient_descent((prob.X, prob.y), [P])
    with pytest.raises(ValueError, match="lr_factor"):
        asi_gradient_descent(prob, [P], lr_factor=2.5)
    with pytest.raises(TypeError, match="max_steps"):
        asi_gradient_descent(prob, [P], max_steps=2.5)
    with pytest.raises(ValueError, match="stop"):
        asi_gradient_descent(prob, [P], stop="never")
    with pytest.raises(ValueError, match="params"):
        asi_gradient_descent(prob, [P[:3]])
    with pytest.raises(ValueError, match="inputs"):
        asi_gradient_descent(_problem(2), [P])
    with pytest.raises(ValueError, match="square loss"):
        asi_gradient_descent(Problem(prob.X, np.sign(prob.y), loss="exponential"), [P])
