"""Convolutional networks with short filters and Corollary 4 (derived) of Yun et al. (2021)."""
import numpy as np
import pytest
import sympy as sp

from ibtheory.models import Convolutional, TensorNetwork
from ibtheory.papers.yun2021 import (ConvPointDerivation, ShortConvDerivation, ShortConvolutional,
                                     conv_point_instance, conv_single_point, conv_stationarity_residual,
                                     cor4_limit, data_tensor, init_margin, rng_for, short_conv_flows,
                                     short_conv_tensor, singular_vector_residual)


def _angle(a, b):
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    return float(np.linalg.norm(a - b))


def test_short_conv_is_padded_full_network():
    rng = np.random.default_rng(0)
    d, ks = 7, (2, 5, 7)
    net = ShortConvolutional(d, ks)
    P = tuple(rng.standard_normal(k) for k in ks)
    padded = tuple(np.concatenate([w, np.zeros(d - w.size)]) for w in P)
    assert np.allclose(net.beta(P), Convolutional(d, 3).beta(padded), atol=1e-14)
    X, y = rng.standard_normal((4, d)), rng.standard_normal(4)
    g_full = Convolutional(d, 3).grad(padded, X, y, "half_sum")
    for g, gf, k in zip(net.grad(P, X, y, "half_sum"), g_full, ks):
        assert np.allclose(g, gf[:k], atol=1e-13)


def test_short_conv_tensor_is_restriction_and_matches_network():
    rng = np.random.default_rng(1)
    d, ks = 5, (3, 2, 5)
    T = short_conv_tensor(d, ks)
    x = rng.standard_normal(d)
    assert np.array_equal(np.tensordot(x, T, 1), data_tensor("conv", x, L=3)[:3, :2, :5])
    P = tuple(rng.standard_normal(k) for k in ks)
    X, y = rng.standard_normal((3, d)), rng.standard_normal(3)
    for a, b in zip(ShortConvolutional(d, ks).grad(P, X, y, "half_sum"), TensorNetwork(T).grad(P, X, y, "half_sum")):
        assert np.allclose(a, b, atol=1e-13)


def test_stationarity_residual_two_routes_agree():
    rng = np.random.default_rng(2)
    d, ks = 6, (3, 4, 6)
    T = short_conv_tensor(d, ks)
    for _ in range(3):
        u = rng.standard_normal(d)
        P = [rng.standard_normal(k) for k in ks]
        r1, s1 = singular_vector_residual(T, u, P)
        r2, s2 = conv_stationarity_residual(u, P, d)
        assert abs(r1 - r2) < 1e-12 * max(1.0, r1) and abs(s1 - s2) < 1e-12 * max(1.0, abs(s1))


@pytest.mark.parametrize("d, ks", [(4, (2, 3)), (4, (5, 4)), (4, (2, 4.0)), (4, (True, 4)), (4, (4,))])
def test_short_conv_rejects_bad_filter_lengths(d, ks):
    with pytest.raises(ValueError, match="ks"):
        ShortConvolutional(d, ks)


def test_derivations_hold_and_detect_errors():
    D = ShortConvDerivation(d=3, ks=(2, 3))
    assert all(sp.simplify(r) == 0 for r in D.residuals.values())
    shifted = D._contract(list(D.x[1:]) + [D.x[0]])       # a wrong tensor must fail
    assert sp.simplify(D.output - shifted) != 0
    C = ConvPointDerivation(d=4)
    assert all(sp.simplify(r) == 0 for r in C.residuals.values())


def test_cor4_limit_matches_projector_formula():
    # second route: top singular space of the symmetric M(x) by eigh, P_J vbar1 + sigma M_J vbar2 / s1
    for seed in range(6):
        x, y, w1, w2 = conv_point_instance(rng_for(100 + seed), 6)
        M = np.array([[x[(i + j) % 6] for j in range(6)] for i in range(6)])
        ev, V = np.linalg.eigh(M)
        top = np.abs(ev) > np.abs(ev).max() * (1 - 1e-9)
        VJ = V[:, top]
        MJ = VJ @ np.diag(ev[top]) @ VJ.T
        s1 = np.abs(ev).max()
        exp_w1 = VJ @ VJ.T @ w1 + np.sign(y) * MJ @ w2 / s1
        exp_w2 = np.sign(y) * MJ @ exp_w1 / s1
        exp_beta = np.sign(y) * VJ @ VJ.T @ x
        lim = cor4_limit(x, y, w1, w2)
        assert _angle(lim.w1, exp_w1) < 1e-10 and _angle(lim.w2, exp_w2) < 1e-10
        assert _angle(lim.beta, exp_beta) < 1e-10
        assert len(lim.frequencies) == int(top.sum())


def test_conv_point_instance_condition_and_errors():
    x, y, w1, w2 = conv_point_instance(rng_for(3), 8)
    assert init_margin([w1, w2], "conv") > 0 and y in (-1.0, 1.0)
    with pytest.raises(TypeError, match="rng"):
        conv_point_instance(3)
    with pytest.raises(ValueError, match="ratio"):
        conv_point_instance(rng_for(0), 6, ratio=(0.5, 1.5))
    with pytest.raises(ValueError, match="y"):
        cor4_limit(x, 0.0, w1, w2)
    with pytest.raises(ValueError, match="same length"):
        cor4_limit(x, 1.0, w1[:-1], w2)


def test_smoke_experiments():
    rep = conv_single_point("smoke")
    assert (rep.outcome == "converged").all() and rep.path_error.max() < 1e-7
    assert rep.limit_angle.max() < 1e-9 and rep.solver_angle.max() < 1e-7
    short = short_conv_flows("smoke")
    assert (short.outcome == "converged").all() and short.tensor_error.max() < 1e-12
    assert short.routes_difference.max() < 1e-12 and short.fd_error.max() < 1e-7
    with pytest.raises(ValueError, match="ks"):
        short.fit("residual", (2, 6))


def test_tensor_network_contractions_match_an_explicit_sum():
    # TensorNetwork contracts small tensors in one pass and large ones along a cached
    # path; both must equal the contraction written out with tensordot.
    from ibtheory.models import _tensor

    rng = np.random.default_rng(5)
    for shape in [(3, 2, 4, 2), (4, 3, 3), (2, 60, 60, 60)]:     # the last is above the limit
        T = rng.standard_normal(shape)
        P = tuple(rng.standard_normal(k) for k in shape[1:])
        X = rng.standard_normal((3, shape[0]))
        beta = T
        for v in reversed(P):
            beta = np.tensordot(beta, v, axes=([beta.ndim - 1], [0]))
        net = TensorNetwork(T)
        for _ in range(2):   # the second call reuses the cached path
            assert np.allclose(net.forward(P, X), X @ beta, rtol=1e-12, atol=1e-12)
        g = net.grad(P, X, np.zeros(3), "half_sum")[0]
        r = X @ beta                                              # residual with y = 0
        M = np.tensordot(X.T @ r, T, axes=([0], [0]))             # M(X^T r)
        for v in reversed(P[1:]):
            M = np.tensordot(M, v, axes=([M.ndim - 1], [0]))
        assert np.allclose(g, M, rtol=1e-10, atol=1e-10)
    assert T.size > _tensor.DIRECT_CONTRACTION_LIMIT


def test_fourier_kkt_residual_zero_at_solver_point_and_errors():
    from ibtheory.papers.yun2021 import fourier_margin_kkt_residual, separable_instance
    from ibtheory.solvers import fourier_max_margin

    X, y = separable_instance(rng_for(0), 4, 6)
    z = fourier_max_margin(X, y, 3).x
    assert fourier_margin_kkt_residual(X, y, z, 3) < 1e-6
    assert fourier_margin_kkt_residual(X, y, 7.0 * z, 3) < 1e-6          # scale-free
    bumped = z + 0.05 * np.random.default_rng(0).standard_normal(6)
    assert fourier_margin_kkt_residual(X, y, bumped, 3) > 1e-3
    with pytest.raises(ValueError, match="separate"):
        fourier_margin_kkt_residual(X, y, -z, 3)
    with pytest.raises(ValueError, match="X must be"):
        fourier_margin_kkt_residual(X, y, z[:-1], 3)


def test_full_length_short_conv_is_convolutional():
    rng = np.random.default_rng(7)
    d, L = 6, 3
    P = tuple(rng.standard_normal(d) for _ in range(L))
    a, b = ShortConvolutional(d, (d,) * L), Convolutional(d, L)
    assert np.allclose(a.beta(P), b.beta(P), atol=1e-13)
    ca, cb = a.conserved(P), b.conserved(P)
    assert ca.keys() == cb.keys() and all(np.allclose(ca[k], cb[k]) for k in ca)


def test_deep_smoke():
    from ibtheory.papers.yun2021 import deep_conv_directions, deep_conv_regression

    rep = deep_conv_directions("smoke")
    assert (rep.outcome == "converged").all() and rep.kkt[0, -1] < rep.kkt[0, 0]
    reg = deep_conv_regression("smoke")
    assert (reg.outcome == "converged").all() and reg.error.max() < 1e-7
