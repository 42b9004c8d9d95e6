"""Tests of ibtheory.dynamics.asi_gradient_descent (the fast paths for anti-symmetrically initialized
two-layer ReLU networks) against the generic batched engine ibtheory.dynamics.gradient_descent."""
import numpy as np
import pytest

import ibtheory.dynamics._asi as asi_mod
from ibtheory import Status
from ibtheory.dynamics import Problem, asi_gradient_descent, relu_jacobian
from ibtheory.models import TwoLayerReLU, relu_init


def _problem(d, loss="mean"):
    rng = np.random.default_rng(np.random.SeedSequence(11))
    return Problem(rng.uniform(-1.5, 1.5, (6, d)), rng.standard_normal(6), loss=loss)


def _patterns(P, X):
    return np.maximum(X @ np.asarray(P[0]).T + np.asarray(P[1]), 0.0) > 0


def _assert_matches_gd(prob, P, run, n_steps, train="all"):
    """Every network of ``run`` equals ``n_steps`` of the generic engine (a different code path)."""
    for k, P0 in enumerate(P):
        ref = prob.gradient_descent(TwoLayerReLU(prob.d, P0[0].shape[0], train=train), P0, lr=run.lr[k],
                                    n_steps=n_steps)
        for p_fast, p_ref in zip(run.params[k], ref.x):
            assert np.max(np.abs(np.asarray(p_fast) - p_ref)) < 1e-10 * max(1.0, np.max(np.abs(p_ref)))
        assert abs(run.loss[k] - ref.fun) < 1e-12 * max(1.0, ref.fun)


@pytest.mark.parametrize("method", ["pattern", "dense"])
@pytest.mark.parametrize("d,loss", [(1, "mean"), (2, "mean"), (2, "half_sum")])
def test_matches_generic_gradient_descent(d, loss, method):
    prob = _problem(d, loss)
    P = [relu_init(TwoLayerReLU(d, m), "gaussian", 1.0, 1.0, seed=s) for m in (8, 30, 100) for s in (0, 1)]
    n_steps = 300
    run = asi_gradient_descent(prob, P, lr_factor=0.9, stop="residual", tol=1e-300, max_steps=n_steps, check_every=37,
                               method=method)
    assert all(s is Status.MAX_ITER for s in run.status) and np.all(run.nit == n_steps)
    _assert_matches_gd(prob, P, run, n_steps)


@pytest.mark.parametrize("small", [None, 0])
def test_pattern_engine_through_kink_crossings(monkeypatch, small):
    # Long runs on the paper's kind of data, where kinks cross data points: the pattern engine (with its
    # groups for every network when small=0, so that reruns and the fringe are exercised) stays plain GD.
    if small is not None:
        monkeypatch.setattr(asi_mod, "_SMALL", small)
    prob = Problem(np.array([[-2.0], [-1.0], [0.0], [1.0], [2.0]]), np.array([1.5, 0.5, 1.5, 0.5, 1.5]), loss="mean")
    P = [relu_init(TwoLayerReLU(1, m), dist, 1.0, 2.0, seed=s)
         for m, dist, s in ((20, "uniform", 0), (80, "binary_uniform", 1), (160, "uniform", 2))]
    calls = []
    real = asi_mod._pattern_chunk
    monkeypatch.setattr(asi_mod, "_pattern_chunk", lambda *a: calls.append(a[2]) or real(*a))
    n_steps = 2500
    run = asi_gradient_descent(prob, P, stop="residual", tol=1e-300, max_steps=n_steps)
    crossed = [int(np.sum(_patterns(P0, prob.X) != _patterns(P1, prob.X))) for P0, P1 in zip(P, run.params)]
    assert sum(crossed) > 0 and len(calls) >= 6, (crossed, calls)
    _assert_matches_gd(prob, P, run, n_steps)


def test_pattern_engine_batch_independent_bit_for_bit():
    prob = Problem(np.array([[-2.0], [-1.0], [0.0], [1.0], [2.0]]), np.array([1.5, 0.5, 1.5, 0.5, 1.5]), loss="mean")
    P = [relu_init(TwoLayerReLU(1, 2 * n), "uniform", 1.0, 2.0, seed=s) for n in (10, 80, 320) for s in (0, 1)]
    kw = dict(output_lr_scale=0.5, tol=1e-9, max_steps=100_000)
    full = asi_gradient_descent(prob, P, **kw)
    for k in (1, 3, 4):
        one = asi_gradient_descent(prob, [P[k]], **kw)
        assert one.nit[0] == full.nit[k] and one.loss[0] == full.loss[k]
        assert all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(one.params[0], full.params[k]))


@pytest.mark.parametrize("method,train,asi,max_steps", [("pattern", "all", False, 100_000), ("pattern", "all", True, 100_000),
                                                    ("dense", "all", False, 3000), ("spectral", "output", False, 100_000)])
def test_per_network_labels_equal_separate_calls(method, train, asi, max_steps):
    # labels[k] replaces y for network k: the batch gives, per network, exactly the run of its own Problem
    X = np.array([[-2.0], [-1.0], [0.0], [1.0], [2.0]])
    rng = np.random.default_rng(np.random.SeedSequence(5))
    P = [relu_init(TwoLayerReLU(1, m), "uniform", 1.0, 2.0, asi=asi, seed=s) for m in (20, 80, 240) for s in (0, 1)]
    labels = rng.uniform(-1.0, 2.0, (len(P), X.shape[0]))
    kw = dict(output_lr_scale=0.5, train=train, tol=1e-9, max_steps=max_steps, polish=True, polish_steps=20,
              polish_points=np.linspace(-2.5, 2.5, 11)[:, None], method=method)
    full = asi_gradient_descent(Problem(X, np.zeros(5), loss="mean"), P, labels=labels, **kw)
    assert len(set(full.nit)) > 1 and np.ptp(full.loss) > 0     # networks really differ
    for k in range(len(P)):
        one = asi_gradient_descent(Problem(X, labels[k], loss="mean"), [P[k]], **kw)
        assert one.nit[0] == full.nit[k] and one.status[0] is full.status[k]
        for name in ("loss", "gd_loss", "lr", "polish_shift"):
            assert getattr(one, name)[0] == getattr(full, name)[k], name
        assert all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(one.params[0], full.params[k]))


def test_labels_none_is_the_problems_y():
    prob = _problem(1)
    P = [relu_init(TwoLayerReLU(1, m), "gaussian", 1.0, 1.0, seed=s) for m, s in ((8, 0), (30, 1))]
    kw = dict(stop="residual", tol=1e-300, max_steps=200)
    a = asi_gradient_descent(prob, P, **kw)
    b = asi_gradient_descent(_problem(1), P, labels=np.stack([prob.y, prob.y]), **kw)
    assert np.array_equal(a.loss, b.loss) and all(
        np.array_equal(np.asarray(u), np.asarray(v)) for Pa, Pb in zip(a.params, b.params) for u, v in zip(Pa, Pb))


@pytest.mark.parametrize("loss", ["mean", "half_sum"])
def test_spectral_output_layer_matches_generic_gradient_descent(loss):
    prob = _problem(1, loss)
    P = [relu_init(TwoLayerReLU(1, m), "uniform", 1.0, 2.0, seed=s) for m, s in ((20, 0), (100, 1))]
    for n_steps in (1, 37, 400):
        run = asi_gradient_descent(prob, P, train="output", stop="residual", tol=1e-300, max_steps=n_steps,
                                   method="spectral")
        assert np.all(run.nit == n_steps)
        _assert_matches_gd(prob, P, run, n_steps, train="output")


def test_spectral_stopping_step_and_limit():
    # The closed form stops where the step-by-step engine stops (loss-change rule) and, with the tail, reaches
    # the minimum-norm correction of the output weights (lstsq in the step metric), i.e. GD's limit.
    prob = Problem(np.array([[-2.0], [-1.0], [0.0], [1.0], [2.0]]), np.array([1.5, 0.5, 1.5, 0.5, 1.5]), loss="mean")
    P = [relu_init(TwoLayerReLU(1, 2 * n), "gaussian", 1.0, 1.0, seed=s) for n in (20, 200) for s in (0, 1)]
    kw = dict(train="output", output_lr_scale=0.5, tol=1e-9, max_steps=200_000)
    spec = asi_gradient_descent(prob, P, method="spectral", **kw)
    dense = asi_gradient_descent(prob, P, method="dense", **kw)
    assert np.all(np.abs(spec.nit - dense.nit) <= 1) and spec.success
    for a, b in zip(spec.params, dense.params):
        assert np.max(np.abs(a[2] - b[2])) < 1e-9 and abs(float(a[3]) - float(b[3])) < 1e-9
    lim = asi_gradient_descent(prob, P, method="spectral", polish=True, **kw)
    for P0, Pl in zip(P, lim.params):
        Phi = np.maximum(prob.X @ P0[0].T + P0[1], 0.0)
        J = np.column_stack([np.sqrt(0.5) * Phi, np.ones(prob.n)])
        delta = np.linalg.pinv(J) @ (prob.y - Phi @ P0[2] - float(P0[3]))
        assert np.max(np.abs(Pl[2] - (P0[2] + np.sqrt(0.5) * delta[:-1]))) < 1e-9
        assert abs(float(Pl[3]) - (float(P0[3]) + delta[-1])) < 1e-9


@pytest.mark.parametrize("method", ["pattern", "dense", "spectral"])
def test_output_only_freezes_hidden_layer_and_halved_output_step(method):
    prob = _problem(1)
    P = relu_init(TwoLayerReLU(1, 100), "uniform", 1.0, 2.0, seed=3)
    run = asi_gradient_descent(prob, [P], train="output", output_lr_scale=0.5, tol=1e-300, max_steps=50, method=method)
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
    with pytest.raises(ValueError, match="method"):
        asi_gradient_descent(prob, [P], method="fast")
    with pytest.raises(ValueError, match="spectral"):
        asi_gradient_descent(prob, [P], method="spectral")
    for bad in (np.zeros((2, prob.n)), np.zeros(prob.n), np.zeros((1, prob.n + 1)), np.full((1, prob.n), np.nan),
                [["a"] * prob.n]):
        with pytest.raises(ValueError, match="labels"):
            asi_gradient_descent(prob, [P], labels=bad)
    with pytest.raises(ValueError, match="square loss"):
        asi_gradient_descent(Problem(prob.X, np.sign(prob.y), loss="exponential"), [P])


def test_one_input_evaluation_by_kinks_matches_direct():
    # ASIRun.__call__ evaluates 1-D networks by sorted kinks and cumulative sums; here directly.
    rng = np.random.default_rng(np.random.SeedSequence(5))
    prob = Problem(np.array([[-1.0], [0.0], [1.0]]), np.array([1.0, 0.0, 1.0]), loss="mean")
    P = relu_init(TwoLayerReLU(1, 300), "binary_uniform", 1.0, 2.0, seed=1)
    P = (P[0], P[1], rng.standard_normal(300), np.asarray(0.3))
    P[0][:3] = 0.0                                         # zero weights: constant neurons (b > 0) or dead
    run = asi_gradient_descent(prob, [P], tol=1e-300, max_steps=1)
    T = np.concatenate([rng.uniform(-3, 3, 200), -P[1][3:20] / P[0][3:20, 0]])[:, None]   # also exactly at kinks
    W, b, a, c = run.params[0]
    assert np.max(np.abs(run(0, T) - (np.maximum(T @ W.T + b, 0.0) @ a + c))) < 1e-12
