"""Tests of ibtheory.theory.varre2023 (chapter *Spectral bias of two-layer linear networks*)."""
import numpy as np
import pytest
import sympy as sp

from ibtheory.theory import varre2023 as V


@pytest.fixture(scope="module")
def D():
    return V.VarreDerivation()


def test_derivation_flow_and_conservation(D):
    assert D.matrix_form_ok
    assert D.proves_conservation


def test_derivation_scalar_minimizer(D):
    g, s = D.g, D.s
    # hand derivation: 1 - s^2/a^2 - 2g/a = 0  <=>  a^2 - 2 g a - s^2 = 0, positive root
    assert sp.simplify(D.gram_eigenvalue - (g + sp.sqrt(g**2 + s**2))) == 0
    assert D.quadratic_residual == 0
    for gv, sv in [(0.1, 2.0), (3.0, 0.5), (1e-3, 1e-2)]:
        assert float(D.second_derivative.subs({g: gv, s: sv})) > 0
        assert float(D.value_slope.subs({g: gv, s: sv})) > 0
        # the value slope is the envelope derivative 2 s / a*
        a = gv + np.sqrt(gv**2 + sv**2)
        assert float(D.value_slope.subs({g: gv, s: sv})) == pytest.approx(2 * sv / a, rel=1e-12)


def test_seed_formula_differs_except_at_unit_singular_value(D):
    g, s = D.g, D.s
    assert D.seed_difference != 0
    assert float(D.seed_difference.subs({g: 0.3, s: 2.0})) != pytest.approx(0.0, abs=1e-3)
    assert sp.simplify(D.seed_difference.subs(s, 1)) == 0  # s = s^2 at s = 1


def test_closed_form_matches_solver_and_gram_identity():
    from ibtheory.solvers import logdet_factorization

    X, Y, _ = V.make_data(5, 7, 2, seed=3)
    for gamma in (1e-2, 0.7):
        cf = V.closed_form_limit(X, Y, gamma)
        sol = logdet_factorization(X, Y, gamma)
        assert np.allclose(cf.beta, sol.beta, atol=1e-9)
        assert np.allclose(cf.gram, sol.gram, atol=1e-9)
        assert np.allclose(cf.singular_values, sol.singular_values, atol=1e-9)
        assert cf.fun == pytest.approx(sol.fun, rel=1e-9)
        A, B = cf.gram, cf.beta
        assert np.allclose(A @ A - 2 * gamma * A, B @ B.T, atol=1e-12)
        assert V.objective(sol.W1, sol.W2, gamma) == pytest.approx(sol.fun, rel=1e-9)


def test_seed_singular_values_wrong_unless_unit():
    X = np.eye(2)
    Y = np.array([[1.0], [0.0]])  # sigma(beta) = 1: both formulas agree
    assert np.allclose(V.seed_singular_values(X, Y, 0.2), V.closed_form_limit(X, Y, 0.2).singular_values)
    Y = np.array([[3.0], [0.0]])
    assert not np.allclose(V.seed_singular_values(X, Y, 0.2), V.closed_form_limit(X, Y, 0.2).singular_values)


def test_flow_limit_and_reduced_trajectory():
    X, Y, _ = V.make_data(3, 5, 2, seed=1)
    gamma = 0.05
    c = V.compare_limit(X, Y, gamma, l=7, seed=2)
    for key in ("beta_flow_pinv", "gram_flow_closed", "gram_flow_solver", "objective_flow_solver"):
        assert c[key] < 1e-7, key
    te = np.linspace(0, 10, 21)
    full = V.run_flow(X, Y, gamma, l=9, seed=4, t_eval=te, record=("beta", "loss"))
    red = V.reduced_flow(X, Y, gamma, te)
    assert np.max(np.abs(full.records["beta"] - red.beta)) < 1e-8
    assert np.all(full.records["loss"] <= V.loss_bound(X, Y, gamma, te) * (1 + 1e-9))
    assert np.max(V.range_leak(X, full.records["beta"][1:])) < 1e-9


def test_range_leak_detects_null_space():
    X = np.array([[1.0, 0.0, 0.0]])
    assert V.range_leak(X, np.array([[[2.0], [0.0], [0.0]]]))[0] == pytest.approx(0.0)
    assert V.range_leak(X, np.array([[[0.0], [1.0], [1.0]]]))[0] == pytest.approx(1.0)


def test_measures_on_hand_examples():
    assert int(V.numerical_rank(np.array([1.0, 0.2, 0.05]), 0.1)) == 2
    assert V.effective_rank(np.diag([1.0, 1.0])) == pytest.approx(2.0)
    assert V.energy_fraction(np.array([3.0, 4.0]), 1) == pytest.approx(16 / 25)
    W = np.array([[1.0, 0.0], [0.0, 1.0]])  # neurons e1, e2
    share, mcos = V.neuron_alignment(W, [1.0, 0.0])
    assert share == pytest.approx(0.5) and mcos == pytest.approx(0.5)


def test_lngd_noiseless_is_gradient_descent_and_noise_aligns():
    from ibtheory.dynamics import gradient_descent
    from ibtheory.models import TwoLayerLinear, varre_init

    X, Y, _ = V.make_data(6, 3, 1, seed=3)
    ln = V.lngd_alignment(X, Y, 1.0, [0.0, 0.3], l=6, n_seeds=2, dt=5e-3, n_chunks=2, chunk=2000)
    assert ln.success and ln.effective_rank.shape == (2, 2, 3)
    net = TwoLayerLinear(d=3, l=6)
    gd = gradient_descent(net, varre_init(net, 1.0, seed=0), X, Y[:, 0], lr=5e-3, n_steps=4000)
    assert ln.effective_rank[0, 0, -1] == pytest.approx(float(V.effective_rank(gd.x[0])), rel=1e-10)
    assert ln.effective_rank[1, :, -1].mean() < ln.effective_rank[0, :, -1].mean()


def test_relu_data_and_driver_shapes():
    X, y, u, v = V.relu_teacher_data(50, 4, seed=2)
    assert abs(u @ v) < 1e-14 and np.linalg.norm(u) == pytest.approx(1.0)
    assert np.allclose(y, np.maximum(X @ u, 0) + np.maximum(X @ v, 0))
    r = V.relu_feature_recovery([1e-2, 1.0], n_seeds=2, n=40, d=4, n_steps=20, record_every=10)
    assert r.top2.shape == (2, 2) and r.final_svals.shape == (2, 2, 4)
    assert np.all((r.top2 > 0) & (r.top2 <= 1 + 1e-12))


@pytest.mark.parametrize("call, match", [
    (lambda: V.make_data(0, 3), "n"),
    (lambda: V.closed_form_limit(np.eye(2), np.ones(3), 1.0), "Y"),
    (lambda: V.closed_form_limit(np.eye(2), np.ones(2), 0.0), "gamma"),
    (lambda: V.closed_form_limit(np.ones(3), np.ones(3), 1.0), "X"),
    (lambda: V.objective(np.zeros((2, 3)), np.zeros((3, 1)), 1.0), "W1"),
    (lambda: V.run_flow(np.eye(3), np.ones(3), 1.0, l=2), "l >= d"),
    (lambda: V.numerical_rank([1.0, 0.1], tau=-1), "tau"),
    (lambda: V.lngd_alignment(np.eye(2), np.ones(2), 1.0, [-0.1], l=2), "sigmas"),
    (lambda: V.relu_feature_recovery([0.0]), "scales"),
    (lambda: V.effective_rank(np.array([[np.nan]])), "W"),
])
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
