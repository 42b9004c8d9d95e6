"""Tests of ibtheory.papers.varre2023 (chapter *Spectral bias of two-layer linear networks*)."""
import numpy as np
import pytest
import sympy as sp

from ibtheory.papers import varre2023 as vr


@pytest.fixture(scope="module")
def D():
    return vr.VarreDerivation()


def test_derivation_residuals_vanish(D):
    for name, expr in D.residuals.items():
        assert sp.simplify(expr) == 0, name


def test_derivation_scalar_minimizer(D):
    g, s = D.g, D.s
    # by hand: 1 - s^2/a^2 - 2g/a = 0  <=>  a^2 - 2 g a - s^2 = 0, positive root
    assert sp.simplify(D.gram_eigenvalue - (g + sp.sqrt(g**2 + s**2))) == 0
    for gv, sv in [(0.1, 2.0), (3.0, 0.5), (1e-3, 1e-2)]:
        assert float(D.second_derivative.subs({g: gv, s: sv})) > 0
        a = gv + np.sqrt(gv**2 + sv**2)
        assert float(D.value_slope.subs({g: gv, s: sv})) == pytest.approx(2 * sv / a, rel=1e-12)


def test_printed_formula_differs_except_at_unit_singular_value(D):
    assert D.printed_difference != 0
    assert abs(float(D.printed_difference.subs({D.g: 0.3, D.s: 2.0}))) > 1e-3


def test_closed_form_matches_solver_and_gram_identity():
    from ibtheory.solvers import logdet_factorization

    data = vr.linear_teacher(5, 7, 2, seed=3)
    for gamma in (1e-2, 0.7):
        cf = vr.closed_form_limit(data.X, data.Y, gamma)
        sol = logdet_factorization(data.X, data.Y, gamma)
        assert np.allclose(cf.beta, sol.beta, atol=1e-9)
        assert np.allclose(cf.gram, sol.gram, atol=1e-9)
        assert np.allclose(cf.singular_values, sol.singular_values, atol=1e-9)
        assert cf.objective == pytest.approx(sol.fun, rel=1e-9)
        A, B = cf.gram, cf.beta
        assert np.allclose(A @ A - 2 * gamma * A, B @ B.T, atol=1e-12)
        assert vr.objective(sol.W1, sol.W2, gamma) == pytest.approx(sol.fun, rel=1e-9)


def test_printed_singular_values_wrong_unless_unit():
    X = np.eye(2)
    Y = np.array([[1.0], [0.0]])  # sigma(beta) = 1: both formulas agree
    assert np.allclose(vr.printed_singular_values(X, Y, 0.2), vr.closed_form_limit(X, Y, 0.2).singular_values)
    Y = np.array([[3.0], [0.0]])
    assert not np.allclose(vr.printed_singular_values(X, Y, 0.2), vr.closed_form_limit(X, Y, 0.2).singular_values)


def test_share_and_outside_bound_against_explicit_matrix():
    # W1 = A^{1/2} for beta = (2, 0): share along beta = a1 / (a1 + 2 gamma), by hand
    gamma, b = 0.5, 2.0
    A = np.diag([gamma + np.sqrt(gamma**2 + b**2), 2 * gamma])
    share, _ = vr.neuron_alignment(np.sqrt(A), [1.0, 0.0])
    assert float(vr.share_along_beta(b, gamma, 2)) == pytest.approx(share, rel=1e-14)
    assert float(vr.outside_top_k_bound([b], gamma, 2)) >= 1 - share


def test_loss_bound_and_range_leak_hand_values():
    assert float(vr.loss_bound(np.eye(1), np.ones(1), 0.25, 1.0)) == pytest.approx(0.5 * np.exp(-1.0))
    X = np.array([[1.0, 0.0, 0.0]])
    assert vr.range_leak(X, np.array([[[2.0], [0.0], [0.0]]]))[0] == pytest.approx(0.0)
    assert vr.range_leak(X, np.array([[[0.0], [1.0], [1.0]]]))[0] == pytest.approx(1.0)


def test_measures_on_hand_examples():
    assert int(vr.numerical_rank(np.array([1.0, 0.2, 0.05]), 0.1)) == 2
    assert vr.effective_rank(np.diag([1.0, 1.0])) == pytest.approx(2.0)
    assert vr.energy_fraction(np.array([3.0, 4.0]), 1) == pytest.approx(16 / 25)
    share, mcos = vr.neuron_alignment(np.eye(2), [1.0, 0.0])
    assert share == pytest.approx(0.5) and mcos == pytest.approx(0.5)


def test_data_depend_on_their_seed_only():
    a = vr.linear_teacher(4, 3, 1, seed=np.random.SeedSequence(5))
    b = vr.linear_teacher(4, 3, 1, seed=np.random.SeedSequence(5))
    assert np.array_equal(a.X, b.X) and np.allclose(a.Y, a.X @ a.U)
    t = vr.relu_teacher(50, 4, seed=2)
    assert abs(t.u @ t.v) < 1e-14 and np.allclose(t.y, np.maximum(t.X @ t.u, 0) + np.maximum(t.X @ t.v, 0))


def test_label_noise_paths_match_label_noise_sde():
    """The batched fast path against ibtheory.dynamics.label_noise_sde on the same noise stream."""
    from ibtheory.dynamics import Problem
    from ibtheory.models import TwoLayerLinear, varre_init

    data = vr.linear_teacher(5, 3, 1, seed=1)
    net = TwoLayerLinear(d=3, l=4)
    W1, W2 = varre_init(net, 1.0, seed=2)
    for sigma in (0.0, 0.4):
        ref = Problem(data.X, data.Y[:, 0]).label_noise_sde(
            net, (W1, W2), dt=5e-3, n_steps=300, sigma=sigma, seed=[9])
        fast = vr.label_noise_paths(data.X, data.Y, W1[None], W2[None], 5e-3, 300, [sigma],
                                    [np.random.default_rng(9)], record_every=100)
        assert np.allclose(fast.W1[0], ref.x[0], rtol=1e-11, atol=1e-13)
        assert np.allclose(fast.W2[0], ref.x[1], rtol=1e-11, atol=1e-13)
        assert fast.loss.shape == (1, 4) and fast.loss[0, -1] == pytest.approx(ref.loss[-1], rel=1e-10)


def test_label_noise_paths_runs_independent_of_batch():
    data = vr.linear_teacher(5, 3, 1, seed=1)
    W1 = np.stack([np.sqrt(2.0) * np.eye(3, 4)] * 2)
    W2 = np.zeros((2, 4, 1))
    rng = lambda s: np.random.default_rng(np.random.SeedSequence(s))  # noqa: E731
    both = vr.label_noise_paths(data.X, data.Y, W1, W2, 5e-3, 200, [0.3, 0.3], [rng(1), rng(2)])
    alone = vr.label_noise_paths(data.X, data.Y, W1[1:], W2[1:], 5e-3, 200, [0.3], [rng(2)])
    assert np.array_equal(both.W1[1], alone.W1[0])
    assert not np.allclose(both.W1[0], both.W1[1])


@pytest.mark.parametrize("exp", ["trajectories", "limit", "reference_flow", "neuron_directions",
                                 "rank_vs_gamma", "label_noise", "relu_features"])
def test_experiments_smoke(exp):
    e = getattr(vr, exp)
    r = e("smoke")
    tb = r.table()
    assert {"seed", "outcome"} <= set(tb.columns) and len(tb) > 0
    assert (tb.outcome == "success").all()
    again = e("smoke", seeds=tuple(s + 100 for s in e.seeds("smoke")))
    assert not again.table().drop(columns=["seed"]).equals(tb.drop(columns=["seed"]))


def test_smoke_values_against_independent_routes():
    traj = vr.trajectories("smoke")
    assert traj.beta_error.max() < 1e-8 and traj.range_leak.max() < 1e-12 and traj.bound_excess.max() < 1e-12
    lim = vr.limit("smoke")
    assert lim.worst_discrepancy < 1e-7 and lim.sv_flow_closed.max() < 1e-7
    neu = vr.neuron_directions("smoke")
    assert np.max(np.abs(neu.share - neu.share_predicted)) < 1e-10


def test_runs_do_not_depend_on_batch_companions():
    one = vr.label_noise("smoke", seeds=(3,))
    two = vr.label_noise("smoke", seeds=(2, 3))
    assert np.array_equal(one.final_effective_rank, two.final_effective_rank[two.seed == 3])
    r1 = vr.relu_features("smoke", seeds=(4,))
    r2 = vr.relu_features("smoke", seeds=(1, 4))
    assert np.array_equal(r1.top2, r2.top2[r2.seed == 4])


@pytest.mark.parametrize("call, err, match", [
    (lambda: vr.linear_teacher(0, 3), ValueError, "n"),
    (lambda: vr.linear_teacher(2.5, 3), TypeError, "n"),
    (lambda: vr.linear_teacher(2, 3, seed="a"), TypeError, "seed"),
    (lambda: vr.closed_form_limit(np.eye(2), np.ones(3), 1.0), ValueError, "Y"),
    (lambda: vr.closed_form_limit(np.eye(2), np.ones(2), 0.0), ValueError, "gamma"),
    (lambda: vr.closed_form_limit(np.ones(3), np.ones(3), 1.0), ValueError, "X"),
    (lambda: vr.objective(np.zeros((2, 3)), np.zeros((3, 1)), 1.0), ValueError, "W1"),
    (lambda: vr.numerical_rank([1.0, 0.1], tau=-1), ValueError, "tau"),
    (lambda: vr.effective_rank(np.array([[np.nan]])), ValueError, "W"),
    (lambda: vr.energy_fraction([1.0, 2.0], 0), ValueError, "k"),
    (lambda: vr.neuron_alignment(np.eye(2), [0.0, 0.0]), ValueError, "direction"),
    (lambda: vr.label_noise_paths(np.eye(2), np.ones(2), np.zeros((1, 2, 2)), np.zeros((1, 2, 1)), 0.1, 2,
                                  [-1.0], [np.random.default_rng()]), ValueError, "sigmas"),
    (lambda: vr.label_noise_paths(np.eye(2), np.ones(2), np.zeros((1, 2, 2)), np.zeros((1, 2, 1)), 0.1, 2,
                                  [1.0], [0]), TypeError, "rngs"),
    (lambda: vr.label_noise("smoke", sigmas=(-0.1,)), ValueError, "sigmas"),
    (lambda: vr.relu_features("smoke", scales=(0.0,)), ValueError, "scales"),
    (lambda: vr.limit("smoke", gammas=(0.0,)), ValueError, "gammas"),
    (lambda: vr.rank_vs_gamma("smoke", seeds=()), ValueError, "seeds"),
])
def test_bad_input_raises(call, err, match):
    with pytest.raises(err, match=match):
        call()


@pytest.mark.parametrize("name, cls", [("trajectories_figure", "TrajectoryReport"), ("neuron_figure", "NeuronReport"),
                                       ("rank_figure", "RankReport"), ("label_noise_figure", "LabelNoiseReport"),
                                       ("relu_figure", "ReLUReport"), ("limit_figure", "LimitReport"),
                                       ("reference_flow_figure", "ReferenceFlowReport")])
def test_figures_reject_a_non_report(name, cls):
    # regression: a wrong argument used to fail with AttributeError inside the plotting code
    from ibtheory.papers.varre2023 import figures

    with pytest.raises(TypeError, match=f"report must be an? {cls}"):
        getattr(figures, name)(None)


def test_range_leak_rejects_bad_shapes():
    # regression: a 0-d X used to raise IndexError while formatting the message
    with pytest.raises(ValueError, match="X"):
        vr.range_leak(True, True)
    with pytest.raises(ValueError, match="X"):
        vr.range_leak(np.zeros((0, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="betas"):
        vr.range_leak(np.eye(2), np.ones((2, 3)))
    with pytest.raises(ValueError, match="betas"):
        vr.range_leak(np.eye(2), np.ones((2, 2, 2, 2)))


@pytest.mark.parametrize("exp, n_axes", [("limit", 2), ("reference_flow", 1)])
def test_limit_and_reference_flow_figures(exp, n_axes):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    e = getattr(vr, exp)
    fig = e.figure(e("smoke"))
    assert len(fig.axes) == n_axes
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.has_data()
    plt.close(fig)
    with pytest.raises(TypeError, match="report must be a"):
        e.figure(vr.trajectories("smoke"))


def test_limit_report_holds_both_predicted_spectra():
    lim = vr.limit("smoke")
    ok = np.isfinite(lim.singular_values)
    assert np.array_equal(ok, np.isfinite(lim.sv_closed)) and np.array_equal(ok, np.isfinite(lim.sv_printed))
    # the per-run maxima of the table are the maxima of the stored spectra
    assert np.allclose(np.nanmax(np.abs(lim.singular_values - lim.sv_closed), axis=1), lim.sv_flow_closed,
                       rtol=0, atol=0)
    assert np.allclose(np.nanmax(np.abs(lim.singular_values - lim.sv_printed), axis=1), lim.sv_flow_printed,
                       rtol=0, atol=0)


def test_limit_worst_by_gamma_is_the_per_gamma_maximum():
    # computed here by a loop over the runs, not by pandas' groupby the method uses
    from ibtheory.papers.varre2023 import limit

    rep = limit("smoke")
    by = rep.worst_by_gamma()
    for g in np.unique(rep.gamma):
        runs = [i for i in range(rep.gamma.size) if rep.gamma[i] == g]
        for f in rep.ROUTE_FIELDS + ("sv_flow_closed", "sv_flow_printed"):
            assert by.loc[g, f] == max(getattr(rep, f)[i] for i in runs)
        assert by.loc[g, "routes"] == max(getattr(rep, f)[i] for i in runs
                                          for f in rep.ROUTE_FIELDS + ("sv_flow_closed",))
