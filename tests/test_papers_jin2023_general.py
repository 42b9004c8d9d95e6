"""Jin & Montufar beyond the anti-symmetric case: general theorem, random features, network vs linearization."""
import numpy as np
import pytest

from ibtheory.models import TwoLayerReLU, relu_init
from ibtheory.papers.jin2023 import (DATA_X, DATA_Y, GeneralLimitDerivation, general_limit, general_width_rate,
                                     kernel_path, linear_adjustment, min_norm_random_features, network_gap_rate,
                                     network_output, predicted_limit, random_features_rate, TOL_LIMIT_IDENTITY)
from ibtheory.solvers import weighted_spline


def _standard(n, seed, dist="uniform", ws=1.0, bs=2.0):
    return relu_init(TwoLayerReLU(1, n), dist, ws, bs, asi=False, seed=seed)


def test_network_output_matches_model_forward():
    P = _standard(30, 4)
    t = np.linspace(-3, 3, 13)
    assert np.allclose(network_output(P, t), TwoLayerReLU(1, 30).forward(P, t[:, None]).ravel(), atol=1e-14)


def test_general_limit_interpolates_and_is_the_residual_spline():
    P = _standard(50, 1)
    g = general_limit(P, DATA_X, DATA_Y)
    f0 = network_output(P, DATA_X)
    assert np.max(np.abs(f0)) > 0.1                             # a genuinely non-zero initial function
    assert np.allclose(g(DATA_X), DATA_Y - g.u * DATA_X - g.v, atol=1e-12)
    # the correction is the weighted spline of the adjusted residuals, whose own adjustment vanishes
    S = weighted_spline(DATA_X, DATA_Y - f0 - g.u * DATA_X - g.v, "constant")
    t = np.linspace(-3, 3, 61)
    assert np.allclose(S(t), g.correction(t), atol=1e-10)
    assert np.allclose(linear_adjustment(S), (0.0, 0.0), atol=1e-12)


def test_general_limit_reduces_to_the_antisymmetric_prediction():
    P = relu_init(TwoLayerReLU(1, 40), "gaussian", 1.0, 1.0, asi=True, seed=2)
    g = general_limit(P, DATA_X, DATA_Y, "gaussian", 1.0, 1.0)
    spline, u, v = predicted_limit(DATA_X, DATA_Y, "gaussian", 1.0, 1.0)
    t = np.linspace(-3, 3, 31)
    assert np.allclose(g(t), spline(t) - u * t - v, atol=1e-12)
    assert np.isclose(g.u, u, atol=1e-14) and np.isclose(g.v, v, atol=1e-14)


def test_correction_is_the_kernel_interpolant_by_quadrature():
    """Infinite-width route with the kernel by quadrature (reference, shares no code with the spline)."""
    from ibtheory.reference.jin2023 import relu_kernel_quad

    P = _standard(20, 3, "binary_uniform", 1.0, 2.5)
    g = general_limit(P, DATA_X, DATA_Y, "binary_uniform", 1.0, 2.5)
    t = np.array([-2.3, -1.4, -0.2, 0.7, 1.9, 2.4])
    K = np.array([[relu_kernel_quad(a, b, "binary_uniform", 1.0, 2.5) for b in DATA_X] for a in DATA_X])
    Kt = np.array([[relu_kernel_quad(a, b, "binary_uniform", 1.0, 2.5) for b in DATA_X] for a in t])
    ki = Kt @ np.linalg.solve(K, g.labels - network_output(P, DATA_X))
    assert np.max(np.abs(ki - g.correction(t))) < 1e-8


def test_general_limit_rejects_bad_data():
    P = _standard(10, 0)
    with pytest.raises(ValueError, match="x and y"):
        general_limit(P, DATA_X, DATA_Y[:3])
    with pytest.raises(ValueError, match="t must be 1-D"):
        network_output(P, np.zeros((2, 2)))


def test_general_derivation_holds():
    d = GeneralLimitDerivation()
    assert all(d.verify().values())
    # the natural cubic spline through (-1, 0), (0, 1), (1, 0) bends by -3 at 0 (SymPy vs the solver's value)
    z0, z1, z2 = d.z
    assert d.middle_moment.subs({z0: 0, z1: 1, z2: 0}) == -3
    S = weighted_spline([-1.0, 0.0, 1.0], [0.0, 1.0, 0.0], "constant")
    assert np.isclose(S.second_derivative(np.array([0.0]))[0], -3.0, atol=1e-12)


def test_general_width_rate_smoke_and_batch_independence():
    rep = general_width_rate("smoke")
    assert rep.converged().all()
    assert np.all(rep.limit_identity < TOL_LIMIT_IDENTITY)
    assert np.all(np.isfinite(rep.sup_error)) and rep.table().shape[0] == rep.width.size
    one = general_width_rate("smoke", seeds=(1,), widths=(40,))
    k = np.flatnonzero((rep.seed == 1) & (rep.width == 40))[0]
    assert np.isclose(one.sup_error[0], rep.sup_error[k], rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="inits"):
        general_width_rate("smoke", inits=("nope",))


def test_min_norm_random_features_is_the_pseudoinverse_solution():
    rng = np.random.default_rng(np.random.SeedSequence(5))
    w, b = rng.uniform(-1, 1, 60), rng.uniform(-2, 2, 60)
    z = np.array([0.4, -0.3, 1.0, 0.2, -0.8])
    t = np.linspace(-2.5, 2.5, 21)
    vals, res = min_norm_random_features(w, b, DATA_X, z, t)
    Phi = np.maximum(DATA_X[:, None] * w + b, 0.0)
    coef = np.linalg.pinv(Phi) @ z
    assert res < 1e-12
    assert np.allclose(vals, np.maximum(t[:, None] * w + b, 0.0) @ coef, atol=1e-10)
    with pytest.raises(ValueError, match="separate"):
        min_norm_random_features([1.0], [0.0], DATA_X, z, t)
    with pytest.raises(ValueError, match="1-D"):
        min_norm_random_features(w, b[:3], DATA_X, z, t)


def test_random_features_rate_smoke():
    rep = random_features_rate("smoke")
    assert np.all(rep.outcome == "success")
    med = [np.median(rep.sup_error[rep.width == n]) for n in sorted(set(rep.width.tolist()))]
    assert med[-1] < med[0]
    one = random_features_rate("smoke", seeds=(2,))
    sel = rep.seed == 2
    assert np.allclose(one.sup_error, rep.sup_error[sel], rtol=1e-12)


def test_kernel_path_matches_explicit_gradient_descent():
    rng = np.random.default_rng(np.random.SeedSequence(7))
    J, G, y = rng.standard_normal((4, 9)), rng.standard_normal((6, 9)), rng.standard_normal(4)
    eta = 4 / (2 * np.linalg.eigvalsh(J @ J.T)[-1])
    w = np.zeros(9)
    outs = {}
    for step in range(1, 41):
        w -= eta * (2 / 4) * J.T @ (J @ w - y)
        outs[step] = G @ w
    got = kernel_path(J, G, y, eta, [1, 7, 40, np.inf])
    for row, step in zip(got[:3], (1, 7, 40)):
        assert np.allclose(row, outs[step], atol=1e-12)
    assert np.allclose(got[3], G @ np.linalg.pinv(J) @ y, atol=1e-10)


def test_output_only_network_training_is_the_closed_form_path():
    """Training only the output layer of the network (asi_gradient_descent) = kernel_path with the output kernel."""
    from ibtheory.dynamics import Problem, asi_gradient_descent, relu_jacobian

    P = relu_init(TwoLayerReLU(1, 80), "uniform", 1.0, 2.0, seed=3)
    prob = Problem(DATA_X[:, None], DATA_Y, loss="mean")
    t = np.linspace(-2, 2, 17)
    Ja, Jo = relu_jacobian(P, prob.X, 0.5), relu_jacobian(P, prob.X, 0.5, train="output")
    ratio = np.linalg.eigvalsh(Jo @ Jo.T)[-1] / np.linalg.eigvalsh(Ja @ Ja.T)[-1]
    eta = len(DATA_X) / (2 * np.linalg.eigvalsh(Ja @ Ja.T)[-1])
    run = asi_gradient_descent(prob, [P], output_lr_scale=0.5, train="output", lr_factor=ratio, stop="residual",
                               tol=1e-300, max_steps=25)
    path = kernel_path(Jo, relu_jacobian(P, t[:, None], 0.5, train="output"), DATA_Y, eta, [25])
    assert np.allclose(run(0, t[:, None]), path[0], atol=1e-10)


def test_network_gap_rate_smoke():
    rep = network_gap_rate("smoke")
    assert np.all(rep.outcome == "success") and np.all(rep.final_loss < 1e-16)
    assert np.all(rep.lin_distance > 0) and np.all(rep.gap > 0)
    # the network gap is at most the two pieces it splits into (triangle inequality, pointwise in t and x)
    assert np.all(rep.gap <= rep.lin_distance + rep.lin_gap + 1e-12)
    with pytest.raises(ValueError, match="init"):
        network_gap_rate("smoke", init="nope")


def test_figures_reject_other_reports():
    from ibtheory.papers.jin2023 import figures_general

    for fn in (figures_general.general_figure, figures_general.random_features_figure,
               figures_general.network_gap_figure):
        with pytest.raises(TypeError, match="rep must be"):
            fn(object())


def test_general_width_rate_one_seed_has_no_fit_instead_of_an_error():
    from ibtheory.ledger.claims.jin2023_general import _rate_parts

    rep = general_width_rate("smoke", seeds=(0,))      # 2 runs: too few to fit
    assert all(f is None for f in rep.fits.values()) and len(rep.sup_error) == 2
    parts = _rate_parts(rep.fits)
    assert parts and not any(p.passed for p in parts.values())
