"""Tests of ibtheory.reference.varre2023 against hand values and the engine (second routes)."""
import ast
import inspect

import numpy as np
import pytest

from ibtheory.reference import varre2023 as ref


def test_reference_imports_nothing_it_checks():
    tree = ast.parse(inspect.getsource(ref))
    mods = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    mods += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in mods if "ibtheory" in m or m.startswith(".")], mods


def test_reduced_flow_scalar_case_by_hand():
    # d = k = n = 1, X = 1: beta' = (y - beta)(beta^2/a + a), a = g + sqrt(g^2 + beta^2); limit y
    r = ref.reduced_flow(np.eye(1), np.array([[2.0]]), 0.3, [0.0, 1e-3, 60.0])
    a0 = 0.3 + 0.3  # beta = 0: a = 2 g
    assert r.beta[1, 0, 0] == pytest.approx(2.0 * a0 * 1e-3, rel=1e-2)  # initial slope y * a
    assert r.beta[-1, 0, 0] == pytest.approx(2.0, abs=1e-10)
    assert r.singular_values[-1, 0] ** 2 == pytest.approx(0.3 + np.sqrt(0.09 + 4.0), rel=1e-10)


def test_reduced_flow_matches_engine_flow():
    from ibtheory.dynamics import gradient_flow
    from ibtheory.models import TwoLayerLinear, varre_init

    rng = np.random.default_rng(np.random.SeedSequence(4))
    X = rng.standard_normal((3, 4))
    Y = X @ rng.standard_normal((4, 2))
    te = np.linspace(0.0, 5.0, 11)
    net = TwoLayerLinear(d=4, l=7, k=2)
    full = gradient_flow(net, varre_init(net, 0.05, seed=1), X, Y, t_eval=te, record=("beta",))
    red = ref.reduced_flow(X, Y, 0.05, te)
    assert np.max(np.abs(full.records["beta"] - red.beta)) < 1e-8


def test_two_layer_flow_reaches_an_interpolator():
    X = np.array([[1.0, 0.0], [0.0, 2.0]])
    Y = np.array([[1.0], [1.0]])
    r = ref.two_layer_flow(X, Y, np.eye(2), np.zeros((2, 1)), residual_tol=1e-11)
    assert r.residual == pytest.approx(1e-11, rel=1e-3)
    # conservation: W1^T W1 - W2 W2^T stays I
    assert np.allclose(r.W1.T @ r.W1 - r.W2 @ r.W2.T, np.eye(2), atol=1e-9)


def test_label_noise_loop_without_noise_is_gradient_descent():
    from ibtheory.dynamics import gradient_descent
    from ibtheory.models import TwoLayerLinear

    rng = np.random.default_rng(np.random.SeedSequence(3))
    X, y = rng.standard_normal((4, 3)), rng.standard_normal(4)
    W1, W2 = rng.standard_normal((3, 5)), rng.standard_normal((5, 1))
    a = ref.label_noise_loop(X, y[:, None], W1, W2, 0.01, 200, 0.0, np.random.default_rng(0))
    gd = gradient_descent(TwoLayerLinear(d=3, l=5), (W1, W2), X, y, lr=0.01, n_steps=200)
    assert np.allclose(a[0], gd.x[0], rtol=1e-12, atol=1e-14)


def test_label_noise_loop_matches_batched_fast_path():
    from ibtheory.papers.varre2023 import label_noise_paths

    rng = np.random.default_rng(np.random.SeedSequence(5))
    X = rng.standard_normal((4, 3))
    Y = X @ rng.standard_normal((3, 1))
    W1, W2 = rng.standard_normal((3, 4)), np.zeros((4, 1))
    a = ref.label_noise_loop(X, Y, W1, W2, 5e-3, 250, 0.5, np.random.default_rng(np.random.SeedSequence(8)))
    b = label_noise_paths(X, Y, W1[None], W2[None], 5e-3, 250, [0.5], [np.random.default_rng(np.random.SeedSequence(8))],
                          record_every=50)
    assert np.allclose(a[0], b.W1[0], rtol=1e-11, atol=1e-13) and np.allclose(a[1], b.W2[0], rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("call, match", [
    (lambda: ref.reduced_flow(np.eye(2), np.ones((3, 1)), 0.1, [0.0, 1.0]), "Y"),
    (lambda: ref.reduced_flow(np.eye(2), np.ones((2, 1)), -1.0, [0.0, 1.0]), "gamma"),
    (lambda: ref.reduced_flow(np.eye(2), np.ones((2, 1)), 0.1, [1.0, 0.5]), "t_eval"),
    (lambda: ref.two_layer_flow(np.eye(2), np.ones((2, 1)), np.eye(3), np.zeros((3, 1))), "shapes"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
