"""The chain fast path (dynamics.chain_gd / chain_sharpness) against the generic engine on the same model."""
import numpy as np
import pytest

from ibtheory import Status
from ibtheory.dynamics import Problem, chain_gd, chain_sharpness, hessian
from ibtheory.models import DeepLinear


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(np.random.SeedSequence(7))
    X = rng.standard_normal((30, 4))
    y = X @ rng.standard_normal(4) + 0.5 * rng.standard_normal(30)
    return X, y


def _moments(X, y):
    n = X.shape[0]
    return X.T @ X / n, X.T @ y / n, float(y @ y) / n


def test_chain_gd_matches_engine_gradient_descent(data):
    X, y = data
    Sig, c, ysq = _moments(X, y)
    rng = np.random.default_rng(np.random.SeedSequence(1))
    B, m, d = 3, 3, 4
    Q = rng.standard_normal((B, m, d, d)) * np.array([0.3, 0.5, 0.9])[:, None, None, None]
    u = rng.standard_normal((B, d)) * np.array([0.3, 0.5, 0.9])[:, None]
    lr = np.array([0.02, 0.05, 0.5])
    r = chain_gd(Q, u, Sig, c, lr, 300, y_sq=ysq, reference=np.linalg.solve(Sig, c))
    net = DeepLinear([d] * (m + 1) + [1])
    prob = Problem(X, y, loss="mean")
    e = prob.gradient_descent(net, tuple(Q[:, k] for k in range(m)) + (u[:, None, :],), lr=lr, n_steps=300,
                              record_every=300)
    assert r.diverged.tolist() == e.diverged.tolist() == [False, False, True]
    assert r.status[2] is Status.DIVERGED and r.status[0] is Status.MAX_ITER
    for k in range(m):
        np.testing.assert_allclose(r.layers[:2, k], e.x[k][:2], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r.head[:2], e.x[m][:2, 0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r.loss[:2], e.fun[:2], rtol=1e-10)
    assert np.isnan(r.loss[2]) and np.isnan(r.excess[2])


def test_chain_gd_fixed_head_matches_engine(data):
    X, y = data
    Sig, c, ysq = _moments(X, y)
    rng = np.random.default_rng(np.random.SeedSequence(2))
    B, m, d = 2, 2, 4
    Q = np.eye(d) + 0.2 * rng.standard_normal((B, m, d, d))
    w = rng.standard_normal(d)
    w /= np.linalg.norm(w)
    r = chain_gd(Q, w, Sig, c, 0.01, 200, y_sq=ysq, train_head=False)
    # engine: the same chain with the head as a third layer whose gradient is discarded, step by step
    net = DeepLinear([d] * (m + 1) + [1])
    prob = Problem(X, y, loss="mean")
    P = [Q[:, k].copy() for k in range(m)] + [np.broadcast_to(w, (B, 1, d)).copy()]
    for _ in range(200):
        g = net.grad(tuple(P), X, y, loss="mean")
        for k in range(m):
            P[k] = P[k] - 0.01 * g[k]
    for k in range(m):
        np.testing.assert_allclose(r.layers[:, k], P[k], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r.loss, prob.loss_value(net, tuple(P)), rtol=1e-10)


def test_chain_gd_period_two_tail():
    # scalar chain u*q on R = s (uq - 1)^2 at the balanced minimizer with lr slightly above 2/S:
    # GD leaves it and settles on a period-2 orbit, seen as step2 << step1.
    Sig, c = np.array([[1.0]]), np.array([1.0])
    Q = np.array([[[[1.0 + 1e-3]]]])
    u = np.array([[1.0]])
    S = 4.0  # sharpness of the balanced minimizer of (uq - 1)^2: 2 L s pi^(2-2/L) with L = 2
    r = chain_gd(Q, u, Sig, c, 1.05 * 2 / S, 5000, y_sq=1.0, reference=np.array([1.0]))
    assert not r.diverged[0]
    assert r.step2[0] < 1e-8 * r.step1[0] and r.step1[0] > 1e-3
    assert abs(r.tail_loss[0, -1] - r.tail_loss[0, -3]) < 1e-12


def test_chain_sharpness_matches_dense_hessian(data):
    X, y = data
    rng = np.random.default_rng(np.random.SeedSequence(3))
    Q = 0.7 * rng.standard_normal((2, 2, 4, 4))
    u = 0.7 * rng.standard_normal((2, 4))
    r = chain_sharpness(Q, u, X, y, tol=1e-11, iters=20000)
    net = DeepLinear([4, 4, 4, 1])
    for b in range(2):
        H = hessian(net, (Q[b, 0], Q[b, 1], u[b][None, :]), X, y, loss="mean")
        top = np.linalg.eigvalsh(H)[-1]
        assert r.converged[b] and abs(r.sharpness[b] - top) <= 1e-8 * abs(top)
    # fixed head: the block of the trainable layers
    w = u[0] / np.linalg.norm(u[0])
    rf = chain_sharpness(Q[:1], w, X, y, train_head=False, tol=1e-11, iters=20000)
    H = hessian(net, (Q[0, 0], Q[0, 1], w[None, :]), X, y, loss="mean")
    assert rf.success and abs(rf.sharpness[0] - np.linalg.eigvalsh(H[:32, :32])[-1]) < 1e-8 * rf.sharpness[0]


def test_chain_validates(data):
    X, y = data
    Sig, c, _ = _moments(X, y)
    Q = np.zeros((2, 1, 4, 4))
    u = np.ones((2, 4))
    with pytest.raises(ValueError, match="lr"):
        chain_gd(Q, u, Sig, c, -1.0, 10)
    with pytest.raises(ValueError, match="layers must have shape"):
        chain_gd(Q[0], u, Sig, c, 0.1, 10)
    with pytest.raises(TypeError, match="n_steps"):
        chain_gd(Q, u, Sig, c, 0.1, 2.5)
    with pytest.raises(ValueError, match="fixed projection"):
        chain_gd(Q, np.ones(3), Sig, c, 0.1, 10, train_head=False)
    with pytest.raises(ValueError, match="Sigma must have shape"):
        chain_gd(Q, u, Sig[:3, :3], c, 0.1, 10)
    with pytest.raises(ValueError, match="symmetric"):
        chain_gd(Q, u, Sig + np.triu(np.ones((4, 4)), 1), c, 0.1, 10)
    with pytest.raises(ValueError, match="head must have shape"):
        chain_sharpness(Q, u[0], X, y)


def test_chain_gd_per_run_fixed_heads_and_moments_match_separate_runs(data):
    X, y = data
    Sig, c, ysq = _moments(X, y)
    rng = np.random.default_rng(np.random.SeedSequence(4))
    Q = np.eye(4) + 0.2 * rng.standard_normal((2, 2, 4, 4))
    w = rng.standard_normal((2, 4))
    Sig2 = np.stack([Sig, 2.0 * Sig])
    c2 = np.stack([c, 0.5 * c])
    r = chain_gd(Q, w, Sig2, c2, [0.01, 0.005], 100, train_head=False)
    for b, (S_b, c_b, lr) in enumerate(zip(Sig2, c2, [0.01, 0.005])):
        rb = chain_gd(Q[b:b + 1], w[b], S_b, c_b, lr, 100, train_head=False)
        np.testing.assert_allclose(r.layers[b], rb.layers[0], rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(r.head[b], w[b])


def test_chain_gd_per_run_budgets_match_engine(data):
    # one batched call with three step budgets (and a diverging run) against the generic engine run by run
    X, y = data
    Sig, c, ysq = _moments(X, y)
    rng = np.random.default_rng(np.random.SeedSequence(5))
    B, m, d = 4, 3, 4
    Q = 0.5 * rng.standard_normal((B, m, d, d))
    u = 0.5 * rng.standard_normal((B, d))
    lr = np.array([0.03, 0.01, 0.02, 0.8])
    steps = np.array([40, 250, 120, 250])
    r = chain_gd(Q, u, Sig, c, lr, steps, y_sq=ysq, reference=np.linalg.solve(Sig, c))
    net = DeepLinear([d] * (m + 1) + [1])
    prob = Problem(X, y, loss="mean")
    assert r.diverged.tolist() == [False, False, False, True] and r.diverged_at[3] > 0
    for b in range(3):
        e = prob.gradient_descent(net, tuple(Q[b:b + 1, k] for k in range(m)) + (u[b:b + 1, None, :],), lr=lr[b],
                                  n_steps=int(steps[b]), record_every=int(steps[b]))
        assert not e.diverged[0]
        for k in range(m):
            np.testing.assert_allclose(r.layers[b, k], e.x[k][0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(r.loss[b], e.fun[0], rtol=1e-10)
        # the tail is each run's own last four iterates
        assert r.tail_loss[b, -1] == r.loss[b] and np.all(np.isfinite(r.tail_loss[b]))
    assert np.all(r.layers[3] == 0) and np.isnan(r.loss[3]) and np.isnan(r.grad_norm[3])
    assert np.array_equal(r.nit, steps)


def test_chain_gd_chunks_and_batch_order_do_not_change_runs(data, monkeypatch):
    import ibtheory.dynamics._chain as chain

    X, y = data
    Sig, c, ysq = _moments(X, y)
    rng = np.random.default_rng(np.random.SeedSequence(6))
    B, m, d = 9, 2, 4
    Q = np.eye(d) + 0.3 * rng.standard_normal((B, m, d, d))
    w = rng.standard_normal(d)
    lr = rng.choice([0.01, 0.05, 3.0], B)
    steps = rng.choice([30, 60], B)
    whole = chain_gd(Q, w, Sig, c, lr, steps, y_sq=ysq, train_head=False)
    monkeypatch.setattr(chain, "CHUNK_BYTES", 1)           # chunks of the minimum size
    perm = rng.permutation(B)
    parts = chain_gd(Q[perm], w, Sig, c, lr[perm], steps[perm], y_sq=ysq, train_head=False)
    assert np.array_equal(whole.diverged[perm], parts.diverged)
    assert np.array_equal(whole.diverged_at[perm], parts.diverged_at)
    np.testing.assert_allclose(whole.layers[perm], parts.layers, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(whole.step1[perm], parts.step1, rtol=1e-9, atol=1e-14)


def test_chain_sharpness_residual_depth_10_matches_dense_hessian(data):
    # the authors' residual network at L = 10 (fixed head): analytic HVPs against the engine's dense Hessian
    X, y = data
    rng = np.random.default_rng(np.random.SeedSequence(8))
    m, d = 10, 4
    Q = np.eye(d) + 0.4 / np.sqrt(m * d) * rng.standard_normal((1, m, d, d))
    w = rng.standard_normal(d)
    w /= np.linalg.norm(w)
    r = chain_sharpness(Q, w, X, y, train_head=False, tol=1e-11, iters=50000)
    net = DeepLinear([d] * (m + 1) + [1])
    H = hessian(net, tuple(Q[0, k] for k in range(m)) + (w[None, :],), X, y, loss="mean")
    top = np.linalg.eigvalsh(H[:m * d * d, :m * d * d])[-1]
    assert r.success and abs(r.sharpness[0] - top) <= 1e-8 * top


def test_chain_gd_validates_step_budgets(data):
    X, y = data
    Sig, c, _ = _moments(X, y)
    Q, u = np.zeros((2, 1, 4, 4)), np.ones((2, 4))
    with pytest.raises(ValueError, match="n_steps"):
        chain_gd(Q, u, Sig, c, 0.1, [10, 10, 10])
    with pytest.raises(TypeError, match="n_steps entry"):
        chain_gd(Q, u, Sig, c, 0.1, [10, 2.5])
    with pytest.raises(ValueError, match="n_steps entry"):
        chain_gd(Q, u, Sig, c, 0.1, [10, 1])
