"""gradient_flow_batch: every run is SciPy's DOP853 alone (gradient_flow), whatever its batch.

Expected values come from :func:`gradient_flow` called on one run (SciPy's ``DOP853``
object stepping one trajectory), from ``numpy.linalg.pinv`` and from
:func:`ibtheory.solvers.qnorm_interpolator`; never from the function under test.
Measured (this machine): batch vs alone agree to the last bit (max |diff| = 0 on the
parameters, the times, the step counts and the drift), so the tolerances below are 0
for the step counts and 1e-13 relative on floats (room for a BLAS whose kernels round
differently by row position).
"""
import numpy as np
import pytest

from ibtheory import Status
from ibtheory.dynamics import FlowBatchResults, FlowResult, gradient_flow, gradient_flow_batch
from ibtheory.models import DeepLinear, Diagonal, TwoLayerLinear, TwoLayerReLU, gaussian_init, varre_init, yun_init

REL = 1e-13


def _rel(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _same(res, ref):
    assert res.success and ref.success
    assert res.nit == ref.nit
    assert max(_rel(a, b) for a, b in zip(res.x, ref.x)) <= REL
    assert abs(res.t_final - ref.t_final) <= REL * ref.t_final
    assert abs(res.fun - ref.fun) <= REL * max(ref.fun, 1e-300) + 1e-300
    assert np.array_equal(res.t.shape, ref.t.shape)
    if ref.drift is not None:
        assert abs(res.drift - ref.drift) <= 1e-15


def _problem(seed=0, n=3, d=4, k=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n) if k == 1 else rng.standard_normal((n, k))
    return X, y


CASES = [
    ("diagonal", Diagonal(d=4, L=3), lambda net: [yun_init(net, a, np.ones(4)) for a in (0.3, 1.0, 3.0)]),
    ("two_layer", TwoLayerLinear(d=4, l=5, k=2),
     lambda net: [varre_init(net, gamma=g, seed=s) for g, s in ((1e-2, 1), (0.3, 2), (1.0, 3))]),
    ("deep_linear", DeepLinear((4, 3, 3, 1)),
     lambda net: [gaussian_init(net, scale=s, seed=i) for i, s in enumerate((0.3, 0.7, 1.2))]),
]


@pytest.mark.parametrize("name,net,inits", CASES, ids=[c[0] for c in CASES])
def test_each_run_equals_scipy_dop853_alone(name, net, inits):
    X, y = _problem(k=net.k)
    runs = inits(net)
    kw = dict(stat_tol=1e-9, rtol=1e-12)
    res = gradient_flow_batch(net, runs, X, y, method="DOP853", **kw)
    assert isinstance(res, FlowBatchResults) and len(res) == len(runs) and res.scalar == ()
    alone = [gradient_flow(net, p, X, y, method="DOP853", **kw) for p in runs]
    for r, a in zip(res, alone):
        assert isinstance(r, FlowResult) and r.path == "batch" and r.status is Status.SUCCESS
        _same(r, a)
    # mixed scales: the runs stop at different times and after different step counts
    assert len({r.nit for r in res}) > 1


def test_a_run_does_not_depend_on_its_batch():
    net = Diagonal(d=5, L=3)
    rng = np.random.default_rng(3)
    Xs = rng.standard_normal((7, 3, 5))
    ys = rng.standard_normal((7, 3))
    runs = [yun_init(net, a, np.ones(5)) for a in (0.2, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5)]
    kw = dict(stat_tol=1e-10, rtol=1e-13, method="DOP853")
    batch = gradient_flow_batch(net, runs, Xs, ys, **kw)
    for i in (0, 3, 6):
        one = gradient_flow_batch(net, [runs[i]], Xs[i:i + 1], ys[i:i + 1], **kw)[0]
        assert one.nit == batch[i].nit
        # measured: 0 (the batch's stage sums are one BLAS gemv per row, as SciPy's)
        assert max(_rel(a, b) for a, b in zip(one.x, batch[i].x)) <= REL
        _same(batch[i], gradient_flow(net, runs[i], Xs[i], ys[i], **kw))


def test_already_stationary_run_stops_at_t0():
    net = Diagonal(d=2, L=2)
    X, y = np.eye(2), np.array([1.0, 4.0])
    at_min = (np.array([1.0, 2.0]), np.array([1.0, 2.0]))      # beta = y: zero gradient
    res = gradient_flow_batch(net, [at_min, (np.ones(2), np.ones(2))], X, y, grad_tol=1e-12)
    assert res[0].success and res[0].nit == 0 and res[0].t_final == 0.0
    assert res[0].message == "tolerance met at t = 0"
    assert res[1].success and res[1].nit > 0
    assert np.allclose(net.beta(res[1].x), y, atol=1e-9)


def test_limit_two_layer_small_init_is_min_norm():
    X, y = _problem(seed=0, n=3, d=4)
    net = TwoLayerLinear(d=4, l=6)
    runs = [varre_init(net, gamma=1e-2, seed=s) for s in (1, 2, 3)]
    res = gradient_flow_batch(net, runs, X, y, grad_tol=1e-11)
    beta_min_norm = np.linalg.pinv(X) @ y
    for r in res:
        assert r.success and r.drift < 1e-10
        assert np.linalg.norm(net.beta(r.x) - beta_min_norm) < 1e-9


def test_limit_diagonal_is_the_qnorm_interpolator():
    from ibtheory.solvers import qnorm_interpolator

    X, y = _problem(seed=4, n=2, d=4)
    net = Diagonal(d=4, L=2)
    alphas = (0.5, 1.0, 2.0)
    res = gradient_flow_batch(net, [yun_init(net, a, np.ones(4)) for a in alphas], X, y,
                              stat_tol=1e-10, rtol=1e-13)
    for r, a in zip(res, alphas):
        z = qnorm_interpolator(X, y, 2, a, np.ones(4)).x
        assert r.success and _rel(net.beta(r.x), z) < 1e-7


def test_stiff_run_goes_to_the_scalar_path():
    # a large initialization of a depth-3 diagonal network: the step is pinned by stability
    X, y = _problem(seed=1, n=3, d=6)
    net = Diagonal(d=6, L=3)
    runs = [yun_init(net, 1.0, np.ones(6)), yun_init(net, 10.0, np.ones(6))]
    kw = dict(stat_tol=1e-10, rtol=1e-13)
    res = gradient_flow_batch(net, runs, X, y, **kw)
    assert res.scalar == (1,) and "stiff" in res.reasons[1]
    alone = gradient_flow(net, runs[1], X, y, **kw)
    assert alone.method == "Radau" and res[1].method == "Radau" and res[1].path == "scalar"
    assert all(np.array_equal(a, b) for a, b in zip(res[1].x, alone.x))
    assert res[0].path == "batch"
    _same(res[0], gradient_flow(net, runs[0], X, y, **kw))


def test_failing_run_is_reported_by_the_scalar_path():
    X, y = _problem(seed=2)
    net = Diagonal(d=4, L=2)
    runs = [yun_init(net, 1.0, np.ones(4)), yun_init(net, 0.01, np.ones(4))]
    res = gradient_flow_batch(net, runs, X, y, stat_tol=1e-10, max_steps=30)
    alone = gradient_flow(net, runs[1], X, y, stat_tol=1e-10, max_steps=30)
    assert 1 in res.scalar and "max_steps" in res.reasons[1]
    assert res[1].status is Status.MAX_ITER and not res[1].success and res[1].status is alone.status


def test_t_max_without_tolerance_integrates_to_t_max():
    X, y = _problem(seed=5)
    net = TwoLayerLinear(d=4, l=3)
    runs = [gaussian_init(net, 0.5, seed=s) for s in (0, 1)]
    res = gradient_flow_batch(net, runs, X, y, t_max=2.0)
    for r, p in zip(res, runs):
        assert r.success and r.t_final == 2.0 and "t_max" in r.message
        _same(r, gradient_flow(net, p, X, y, t_max=2.0))


def test_bad_input_names_the_argument():
    net = Diagonal(d=3, L=2)
    X, y = _problem(d=3)
    p = yun_init(net, 1.0, np.ones(3))
    with pytest.raises(ValueError, match="params_list"):
        gradient_flow_batch(net, [], X, y)
    with pytest.raises(ValueError, match=r"params_list\[1\]"):
        gradient_flow_batch(net, [p, (np.ones(4), np.ones(4))], X, y)
    with pytest.raises(ValueError, match=r"params_list\[0\].*finite"):
        gradient_flow_batch(net, [(np.array([np.nan, 1, 1]), np.ones(3))], X, y)
    with pytest.raises(ValueError, match="loss"):
        gradient_flow_batch(net, [p], X, y, loss="l1")
    with pytest.raises(TypeError, match="model"):
        gradient_flow_batch(None, [p], X, y)
    with pytest.raises(ValueError, match="y holds 2"):
        gradient_flow_batch(net, [p, p, p], X, np.stack([y, y]))
    with pytest.raises(ValueError, match="X has 2"):
        gradient_flow_batch(net, [p], np.stack([X, X]), y)
    with pytest.raises(ValueError, match="method"):
        gradient_flow_batch(net, [p], X, y, method="Radau")
    with pytest.raises(ValueError, match="stiff_ratio"):
        gradient_flow_batch(net, [p], X, y, stiff_ratio=0)
    with pytest.raises(ValueError, match="rtol"):
        gradient_flow_batch(net, [p], X, y, rtol=1e-20)
    relu = TwoLayerReLU(d=3, m=4)
    with pytest.raises(ValueError, match="linear model"):
        gradient_flow_batch(relu, [gaussian_init(relu, seed=0)], np.stack([X]), y)
