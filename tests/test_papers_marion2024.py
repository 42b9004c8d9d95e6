"""Tests of ibtheory.papers.marion2024 (closed forms vs engine Hessians and the reference routes, experiments)."""
import numpy as np
import pytest

from ibtheory.dynamics import Problem, chain_gd
from ibtheory.models import DeepLinear
from ibtheory.papers import marion2024 as mc
from ibtheory.reference import marion2024 as ref


@pytest.fixture(scope="module")
def data():
    return mc.make_data(n=20, d=3, seed=1, pi_norm=None, spread=3.0)


def test_make_data_norm_spread_and_validation():
    D = mc.make_data(seed=3, pi_norm=2.5, spread=4.0)
    assert abs(D.pi_norm - 2.5) < 1e-12 and abs(np.linalg.norm(D.pi_star) - 2.5) < 1e-12
    assert np.allclose(D.pi_star, np.linalg.lstsq(D.X, D.y, rcond=None)[0], atol=1e-12)
    assert D.lam <= D.a <= D.Lam and D.Lam / D.lam > 4
    assert abs(D.R_min - np.mean((D.y - D.X @ D.pi_star) ** 2)) < 1e-12
    with pytest.raises(ValueError, match="n must be >= d"):
        mc.make_data(n=3, d=5)
    with pytest.raises(ValueError, match="noise"):
        mc.make_data(noise=-1.0)
    with pytest.raises(ValueError, match="spread"):
        mc.make_data(spread=0.0)
    with pytest.raises(TypeError, match="seed"):
        mc.make_data(seed=1.5)
    with pytest.raises(ValueError, match="full column rank"):
        mc.data_from_arrays(np.ones((4, 2)), np.ones(4))


@pytest.mark.parametrize("L", [1, 2, 3, 4])
def test_minimizer_sharpness_vs_engine_and_finite_differences(data, L):
    widths = [3] * L + [1]
    net = DeepLinear(widths)
    prob = Problem(data.X, data.y, loss="mean")
    for W in (mc.balanced_minimizer(widths, data.pi_star, seed=2), mc.random_minimizer(widths, data.pi_star, seed=3)):
        assert np.allclose(net.beta(W), data.pi_star, atol=1e-12)
        top = np.linalg.eigvalsh(prob.hessian(net, W))[-1]
        closed = mc.minimizer_sharpness(W, data.Sigma)
        assert abs(closed - top) <= 1e-10 * top
        assert abs(closed - ref.minimizer_sharpness_fd(W, data.Sigma)) <= 1e-6 * top
        assert top >= mc.minimal_sharpness(L, data) * (1 - 1e-12) >= mc.sharpness_lower_bound(L, data.a, data.pi_norm) * (1 - 1e-12)
    Wb = mc.balanced_minimizer(widths, data.pi_star)
    assert abs(mc.balanced_sharpness(L, data.Sigma, data.pi_star) - mc.minimizer_sharpness(Wb, data.Sigma)) < 1e-10


def test_minimal_sharpness_attained_and_thresholds(data):
    for L in (2, 5, 40):
        r_inf = mc.minimal_sharpness(L, data)
        assert abs(r_inf - ref.infimum_grid(L, data.Sigma, data.pi_star)) <= 1e-9 * r_inf
        lo = mc.sharpness_lower_bound(L, data.a, data.pi_norm)
        assert lo <= r_inf <= mc.balanced_sharpness(L, data.Sigma, data.pi_star) * (1 + 1e-12)
        assert mc.critical_lr(L, data) == pytest.approx(2 / r_inf) and mc.lower_bound_lr(L, data) >= mc.critical_lr(L, data)
    from ibtheory.solvers import sharpness_infimum
    r = sharpness_infimum(3, data.Sigma, data.pi_star)
    W = mc.rank_one_minimizer([3, 4, 2, 1], data.pi_star, sigma1=r.sigma[0])
    assert abs(mc.minimizer_sharpness(W, data.Sigma) - r.fun) <= 1e-10 * r.fun
    assert mc.printed_inf_sharpness(4, 1.0, 2.0) == 2 * 4 * 4.0
    assert mc.minimal_sharpness(1, data) == pytest.approx(2 * data.Lam)


def test_pl_interval_holds_the_ratio_at_any_point(data):
    net = DeepLinear([3, 3, 3, 1])
    prob = Problem(data.X, data.y, loss="mean")
    rng = np.random.default_rng(0)
    for _ in range(3):
        W = tuple(0.7 * rng.standard_normal(s) for s in net.shapes)
        g = net.grad(W, data.X, data.y, loss="mean")
        e = net.beta(W) - data.pi_star
        mu = sum(float(np.sum(x * x)) for x in g) / float(e @ data.Sigma @ e)
        lo, hi = mc.pl_interval(W, data.Sigma)
        assert lo * (1 - 1e-10) <= mu <= hi * (1 + 1e-10)


def test_corollary_properties_and_init_epsilon(data):
    W = mc.balanced_minimizer([3, 3, 3, 1], data.pi_star)
    p = mc.corollary_properties(W, data, eps=1e-4)
    assert p.defect < 1e-14 and np.allclose(p.sigma, data.pi_norm ** (1 / 3)) and np.all(p.align > 1 - 1e-12)
    assert p.hypothesis == pytest.approx(32 * 3 * 1e-2)
    assert mc.init_epsilon((np.full((2, 2), 0.1), np.full((1, 2), 0.3))) == pytest.approx(0.18)
    with pytest.raises(ValueError, match="eps"):
        mc.corollary_properties(W, data, eps=-1.0)
    assert mc.pl_limit_bound(3, data.lam, data.pi_norm) > 0


def test_derivations_hold():
    for L in (2, 3, 5):
        assert mc.BalancedSharpnessDerivation(L).holds and mc.RankOneProfileDerivation(L).holds


def test_classify_against_the_plain_loop():
    # scalar 2-layer chain near its balanced minimizer: converged / period 2 / diverged, and the reference loop
    Sig, c = np.array([[1.0]]), np.array([1.0])
    r = chain_gd(np.ones((3, 1, 1, 1)) * 1.01, np.ones((3, 1)), Sig, c, [0.1, 0.55, 2.0], 4000, y_sq=1.0,
                 reference=np.ones(1))
    assert mc.classify(r, 1.0).tolist() == ["converged", "period_2", "diverged"]
    X, y = np.array([[1.0]]), np.array([1.0])
    _, _, losses = ref.gd_loop([np.array([[1.01]])], np.array([1.0]), X, y, 0.55, 4000)
    assert abs(losses[-1] - losses[-3]) < 1e-12 < abs(losses[-1] - losses[-2])
    assert abs(losses[-1] - r.loss[1]) < 1e-10


def test_outcome_counts_wilson():
    t = mc.outcome_counts(np.array(["converged"] * 3 + ["diverged"]), np.array([1, 1, 1, 0]))
    assert t.loc["converged", "count"] == 3 and t.loc["diverged", "count"] == 0 and t.loc["converged", "lo"] > 0.3


@pytest.mark.parametrize("exp", ["sharpness_vs_depth", "edge_of_stability", "lr_vs_depth", "sharpness_vs_scale",
                                 "residual_sharpness_vs_scale", "residual_flatness", "small_init_flow",
                                 "deep_small_init_flow", "underdetermined_sweep"])
def test_smoke_presets_run_and_keep_every_run(exp):
    e = getattr(mc, exp)
    rep = e("smoke")
    tab = rep.table()
    assert "seed" in tab and len(tab) > 0
    if "outcome" in tab:
        assert set(tab["outcome"]) <= set(mc.OUTCOMES) | {"success", "max_iter", "stalled"}


def test_a_run_does_not_depend_on_its_batch():
    one = mc.edge_of_stability("smoke", seeds=(3,)).table()
    two = mc.edge_of_stability("smoke", seeds=(3, 4)).table()
    sel = two[two.seed == 3].reset_index(drop=True)
    assert np.allclose(one.excess.fillna(-1), sel.excess.fillna(-1), rtol=1e-12)
    assert one.outcome.tolist() == sel.outcome.tolist()


def test_bad_inputs():
    with pytest.raises(ValueError, match="a must"):
        mc.sharpness_lower_bound(3, -1.0)
    with pytest.raises(ValueError, match="widths"):
        mc.balanced_minimizer([2, 2], np.ones(2))
    with pytest.raises(ValueError, match="pi_star"):
        mc.rank_one_minimizer([2, 2, 1], np.zeros(2))
    with pytest.raises(ValueError, match="init"):
        mc.sharpness_vs_scale("smoke", init="orthogonal")
    with pytest.raises(ValueError, match="params"):
        mc.minimizer_sharpness((np.ones((2, 2)), np.ones((2, 2))), np.eye(2))


def test_underdetermined_data():
    D = mc.make_underdetermined_data(n=5, d=8, seed=2)
    assert np.allclose(D.X @ D.pi_star, D.y) and abs(D.pi_norm - 1) < 1e-12
    assert np.allclose(D.pi_star, np.linalg.pinv(D.X) @ D.y)
    with pytest.raises(ValueError, match="n must be < d"):
        mc.make_underdetermined_data(n=8, d=8)


def test_seed_helpers_classify_and_slack_reject_bad_input():
    # regression: these used to raise OverflowError / AttributeError or return a silent NaN
    with pytest.raises(ValueError, match="seed"):
        mc.child_seed(-1, 0)
    with pytest.raises(TypeError, match="seed"):
        mc.child_rng(float("inf"))
    with pytest.raises(TypeError, match=r"key\[1\]"):
        mc.child_seed(0, 1, 2.5)
    assert mc.child_seed(3.0, 1) == mc.child_seed(3, 1)          # integral floats keep their stream
    assert mc.child_seed(5, 2, 7) == int(np.random.SeedSequence(5, spawn_key=(2, 7)).generate_state(1)[0])
    with pytest.raises(TypeError, match="res must be a ChainGDResult"):
        mc.classify(None, 1.0)
    r = chain_gd(np.ones((2, 1, 1, 1)) * 1.01, np.ones((2, 1)), np.eye(1), np.ones(1), [0.1, 2.0], 10, y_sq=1.0,
                 reference=np.ones(1))
    for bad in (0.0, np.nan, np.ones(3), "a"):
        with pytest.raises(ValueError, match="excess0"):
            mc.classify(r, bad)
    with pytest.raises(ValueError, match="conv_tol"):
        mc.classify(r, 1.0, conv_tol=-1.0)
    with pytest.raises(TypeError, match="data must be"):
        mc.lower_bound_lr(3, None)
    with pytest.raises(ValueError, match="L"):
        mc.lower_bound_lr(0, mc.make_data(n=10, d=2, seed=0))
    for bad, err in ((np.nan, ValueError), (-1e-3, ValueError), ("a", TypeError), (True, TypeError)):
        with pytest.raises(err, match="max_excess"):
            mc.tolerances.sharpness_slack(bad)
    assert mc.tolerances.sharpness_slack(0.0) == 1e-8


@pytest.mark.parametrize("name, cls", [("figure_sharpness_vs_depth", "SharpnessDepthReport"),
                                       ("figure_outcomes", "EdgeOfStabilityReport"),
                                       ("figure_lr_vs_depth", "EdgeOfStabilityReport"),
                                       ("figure_sweep", "SweepReport"), ("figure_flow", "SmallInitFlowReport"),
                                       ("figure_landscape", "SharpnessLandscapeReport"),
                                       ("figure_deep_flow", "DeepFlowReport")])
def test_figures_reject_a_non_report(name, cls):
    from ibtheory.papers.marion2024 import figures

    for bad in (None, {"seed": np.zeros(2)}):
        with pytest.raises(TypeError, match=f"rep must be an? {cls}"):
            getattr(figures, name)(bad)


def test_repetitions_per_step_size_and_authors_metric():
    # step size i runs repeats[i] initializations per seed; a run depends on its own seed alone (shards)
    kw = dict(lrs=(0.05, 0.1), steps=(200, 300), scales=(0.3, 0.5))
    rep = mc.sharpness_vs_scale("smoke", seeds=(0, 1), repeats=(1, 3), **kw)
    t = rep.table()
    assert sorted(t.seed[t.lr == 0.05].tolist()) == [0, 0, 1, 1]
    assert sorted(zip(t.seed[t.lr == 0.1], t.repeat[t.lr == 0.1])) == sorted([(s, r) for s in (0, 1) for r in range(3)] * 2)
    alone = mc.sharpness_vs_scale("smoke", seeds=(1,), repeats=(1, 3), **kw).table()
    mine = t[t.seed == 1].reset_index(drop=True)
    np.testing.assert_allclose(mine.excess.to_numpy(), alone.excess.to_numpy(), rtol=1e-10)
    # repetition 0 is the run of a single repetition (same key)
    single = mc.sharpness_vs_scale("smoke", seeds=(1,), repeats=None, **kw).table()
    np.testing.assert_allclose(single.excess.to_numpy(), alone[alone.repeat == 0].excess.to_numpy(), rtol=1e-10)
    assert mc.sweep_size(mc.sharpness_vs_scale.settings("paper")) == (1600, 13_200_000)
    assert mc.sweep_size(mc.underdetermined_sweep.settings("paper"))[1] == 9 * (100 * 40_000 + 20 * 10_000 + 20 * 4_000)
    amt = mc.authors_metric_table(rep)
    assert amt.runs.tolist() == [4, 12]
    # the metric recomputed by hand: divergence fraction and mean sharpness of the runs that did not diverge
    sel = t[t.lr == 0.1]
    assert amt.loc[0.1, "p_diverged"] == np.mean(sel.outcome == "diverged")
    live = sel[(sel.outcome != "diverged") & np.isfinite(sel.sharpness)]
    assert np.isclose(amt.loc[0.1, "mean_S"], live.sharpness.mean(), equal_nan=True)
    with pytest.raises(ValueError, match="repeats"):
        mc.sharpness_vs_scale("smoke", repeats=(1, 2))
    with pytest.raises(TypeError, match="SweepReport"):
        mc.authors_metric_table(mc.edge_of_stability("smoke"))


def test_identity_init_counted_once():
    rep = mc.residual_flatness("smoke", seeds=(0, 1, 2))
    keep = mc.independent_runs(rep)
    zero = rep.scale == 0
    # the scale-0 runs are the same deterministic run under every seed ...
    assert np.allclose(rep.sharpness[zero], rep.sharpness[zero][0], rtol=0, atol=0)
    # ... and only one of them counts
    assert keep[zero].sum() == 1 and keep[~zero].all()


@pytest.mark.parametrize("name, n_axes", [("sharpness_landscape", 2), ("deep_small_init_flow", 3)])
def test_landscape_and_deep_flow_figures(name, n_axes):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ibtheory.papers import marion2024 as mc

    exp = getattr(mc, name)
    fig = exp.figure(exp("smoke"))
    assert len(fig.axes) == n_axes
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.has_data()
    plt.close(fig)
    with pytest.raises(TypeError, match="rep must be a"):
        exp.figure(mc.sharpness_vs_depth("smoke"))
