"""Tests of ibtheory.dynamics.logtime_flow (exponential-loss flow in log-time s = log(1 + t)).

Expected values come from ibtheory.dynamics.gradient_flow in ordinary time (DOP853),
from closed forms of one-point problems, and from the data directly.
"""
import numpy as np
import pytest

from ibtheory import Status
from ibtheory.dynamics import LogtimeResult, gradient_flow, logtime_flow
from ibtheory.models import DeepLinear, Diagonal, TwoLayerLinear


def _instance(seed=0, n=4, d=6):
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    return rng.standard_normal((n, d)), np.where(rng.standard_normal(n) > 0, 1.0, -1.0)


@pytest.mark.parametrize("model,p0", [
    (Diagonal(6, 2), (np.ones(6), 0.5 * np.ones(6))),
    (DeepLinear([6, 3, 1]), None),
])
def test_logtime_flow_is_the_gradient_flow(model, p0):
    X, y = _instance(1)
    if p0 is None:
        rng = np.random.default_rng(2)
        p0 = tuple(0.3 * rng.standard_normal(s) for s in model.shapes)
    s = 2.0
    lt = logtime_flow(model, p0, X, y, s, [1.0, s], rtol=1e-11)
    ref = gradient_flow(model, p0, X, y, "exponential", t_max=np.expm1(s), rtol=1e-12)
    assert ref.success and lt.success
    np.testing.assert_allclose(lt.beta[-1], model.beta(ref.x), rtol=1e-7, atol=1e-9)


def test_logtime_flow_one_point_closed_form():
    # Two-layer diagonal net, d = 1, w1 = w2 = w (balanced): beta = w^2, x = 1, y = 1.
    # dw/dt = w e^{-w^2}  =>  d(beta)/dt = 2 beta e^{-beta}  =>  Ei(beta) - Ei(beta0) = 2t.
    from scipy.optimize import brentq
    from scipy.special import expi

    X, y = np.array([[1.0]]), np.array([1.0])
    b0 = 0.25
    s = 3.0
    lt = logtime_flow(Diagonal(1, 2), (np.array([0.5]), np.array([0.5])), X, y, s, [s], rtol=1e-12)
    t = np.expm1(s)
    expected = brentq(lambda b: expi(b) - expi(b0) - 2 * t, b0, 50.0, xtol=1e-14)
    assert abs(lt.beta[-1, 0] - expected) < 1e-8 * expected


def test_logtime_flow_result_fields_and_certificate():
    X, y = _instance(3)
    res = logtime_flow(Diagonal(6, 3), (np.ones(6), np.ones(6), 0.5 * np.ones(6)), X, y, 1e3,
                       [10.0, 100.0, 1e3])
    assert isinstance(res, LogtimeResult) and res.status is Status.SUCCESS and res.success
    assert res.beta.shape == (3, 6) and len(res.params) == 3 and res.x is res.params[-1]
    margins = y[None] * (res.beta @ X.T)
    np.testing.assert_allclose(res.min_margin, margins.min(axis=1), rtol=1e-14)
    direct = np.log(np.sum(np.exp(-margins[0])))  # no underflow at s = 10
    assert abs(res.log_loss[0] - direct) < 1e-12 * abs(direct)
    # margins grow like s (the loss is ~ 1/t): the log-loss is close to -s
    assert abs(res.log_loss[-1] + 1e3) < 20
    assert res.drift < 1e-8


def test_logtime_flow_no_conservation_law_gives_none():
    from ibtheory.models import TensorNetwork

    X, y = _instance(4, d=3)[0][:2], np.array([1.0, -1.0])
    net = TensorNetwork(np.random.default_rng(0).standard_normal((3, 2, 2)))
    res = logtime_flow(net, (np.ones(2), np.ones(2)), X, y, 5.0, [5.0])
    assert res.drift is None or np.isfinite(res.drift)


def test_logtime_flow_bad_input():
    X, y = _instance(3)
    net = Diagonal(6, 2)
    p0 = (np.ones(6), np.zeros(6))
    with pytest.raises(ValueError, match="labels"):
        logtime_flow(net, p0, X, 2 * y, 10.0)
    with pytest.raises(ValueError, match="s_eval"):
        logtime_flow(net, p0, X, y, 10.0, [5.0, 1.0])
    with pytest.raises(ValueError, match="s_eval"):
        logtime_flow(net, p0, X, y, 10.0, [5.0, 20.0])
    with pytest.raises(ValueError, match="s_max"):
        logtime_flow(net, p0, X, y, -1.0)
    with pytest.raises(ValueError, match="rtol"):
        logtime_flow(net, p0, X, y, 1.0, rtol=0.0)


def test_logtime_flow_short_horizon_default_grid():
    X, y = _instance(3)
    res = logtime_flow(Diagonal(6, 2), (np.ones(6), 0.5 * np.ones(6)), X, y, 0.5)
    assert res.s[-1] == 0.5 and res.beta.shape == (40, 6)


def test_logtime_flow_two_layer_linear():
    X, y = _instance(5)
    net = TwoLayerLinear(6, 3)
    rng = np.random.default_rng(1)
    p0 = tuple(0.2 * rng.standard_normal(s) for s in net.shapes)
    res = logtime_flow(net, p0, X, y, 50.0, [5.0, 50.0])
    assert res.success and res.min_margin[-1] > res.min_margin[0] > 0
