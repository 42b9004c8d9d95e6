"""SymPy derivations: matrix-form flows, conservation laws, and gradients/Hessians vs the models."""
import numpy as np
import pytest
import sympy as sp

from ibtheory.dynamics import hessian, sharpness
from ibtheory.models import Convolutional, DeepLinear, Diagonal, TwoLayerLinear, gaussian_init
import ibtheory.symbolic as S
from ibtheory.symbolic import (
    MAX_SYMBOLS,
    ConvolutionalDerivation,
    Derivation,
    Lemma4Derivation,
    DeepLinearDerivation,
    DiagonalDerivation,
    MinImbalanceDerivation,
    TwoLayerDerivation,
)

SYSTEMS = [
    (DeepLinearDerivation([2, 2, 2, 1], n=2), DeepLinear([2, 2, 2, 1])),
    (DeepLinearDerivation([2, 3, 2], n=2, loss="mean"), DeepLinear([2, 3, 2])),
    (TwoLayerDerivation(d=2, l=3, k=2, n=2), TwoLayerLinear(d=2, l=3, k=2)),
    (DiagonalDerivation(d=3, L=3, n=2), Diagonal(d=3, L=3)),
    (ConvolutionalDerivation(d=4, L=2, n=2), Convolutional(d=4, L=2)),
]
IDS = ["deep", "deep-mean", "twolayer", "diagonal", "conv"]


@pytest.mark.parametrize("system,model", SYSTEMS, ids=IDS)
def test_matrix_form_equals_elementwise_flow(system, model):
    assert all(m.is_zero_matrix for m in system.matrix_form_residual())


@pytest.mark.parametrize("system,model", SYSTEMS, ids=IDS)
@pytest.mark.parametrize("any_loss", [False, True])
def test_conservation_laws_have_zero_time_derivative(system, model, any_loss):
    rates = system.conserved_rates(any_loss=any_loss)
    assert rates and all(sp.simplify(R).is_zero_matrix for R in rates.values())


def test_a_non_conserved_quantity_is_detected():
    s = DeepLinearDerivation([2, 2, 1], n=1)
    s.conserved = {"W1 W1^T": s.params[0] * s.params[0].T}
    assert not s.proves_conservation()


def test_min_imbalance_is_conserved_and_flow_matches():
    s = MinImbalanceDerivation(r=2, h=3, m=2)
    assert s.imbalance_rate().is_zero_matrix
    assert all(m.is_zero_matrix for m in s.matrix_form_residual())
    # The seed's OCR reads "U1^T U1 V^T V" (no minus): its product form is not conserved.
    prod = s.U1.T * s.U1 * s.V.T * s.V
    pairs = [(x, f) for M, F in zip((s.U1, s.V), s.flow) for x, f in zip(M, F)]
    rate = prod.applyfunc(lambda c: sp.expand(sum(sp.diff(c, x) * f for x, f in pairs)))
    assert not rate.is_zero_matrix


@pytest.mark.parametrize("system,model", SYSTEMS, ids=IDS)
def test_numeric_gradient_matches_sympy(system, model):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((system.n, system.d))
    y = rng.standard_normal((system.n, system.k))
    yy = y[:, 0] if system.k == 1 else y
    params = gaussian_init(model, scale=0.8, seed=3)
    g_sym = system.numeric_gradient()(model.flatten(params), X, y)
    g_num = model.flatten(model.grad(params, X, yy, loss=system.loss_name))
    assert np.max(np.abs(g_sym - g_num)) <= 1e-12 * max(1.0, np.max(np.abs(g_sym)))


@pytest.mark.parametrize("system,model", SYSTEMS, ids=IDS)
def test_hessian_and_sharpness_match_sympy(system, model):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((system.n, system.d))
    y = rng.standard_normal((system.n, system.k))
    yy = y[:, 0] if system.k == 1 else y
    params = gaussian_init(model, scale=0.8, seed=4)
    H_sym = system.numeric_hessian()(model.flatten(params), X, y)
    H_num = hessian(model, params, X, yy, loss=system.loss_name)
    assert np.max(np.abs(H_sym - H_num)) <= 1e-12 * max(1.0, np.max(np.abs(H_sym)))
    ev = np.linalg.eigvalsh(H_sym)
    lam, ok = sharpness(model, params, X, yy, loss=system.loss_name, iters=5000, tol=1e-10)
    gap = (ev[-1] - ev[-2]) / abs(ev[-1])
    if ok:
        # Residual tol 1e-10 bounds the eigenvalue error by ~1e-10 |lam| (symmetric H).
        assert abs(lam - ev[-1]) <= 1e-8 * abs(ev[-1])
    else:  # pragma: no cover - only for nearly degenerate top eigenvalues
        assert gap < 1e-3


def _zero(expr):
    """simplify(expr) == 0, entry by entry for matrices (no helper of the package)."""
    if isinstance(expr, sp.MatrixBase):
        return all(sp.simplify(e) == 0 for e in expr)
    return sp.simplify(expr) == 0


DERIVATIONS = [
    DeepLinearDerivation([2, 2, 2, 1], n=2),
    DeepLinearDerivation([2, 3, 2], n=2, loss="mean"),
    TwoLayerDerivation(d=2, l=3, k=2, n=2),
    DiagonalDerivation(d=3, L=3, n=2),
    ConvolutionalDerivation(d=4, L=2, n=2),
    MinImbalanceDerivation(r=2, h=3, m=2),
    Lemma4Derivation(),
    Lemma4Derivation(3),
]


@pytest.mark.parametrize("deriv", DERIVATIONS, ids=lambda d: type(d).__name__)
def test_every_residual_simplifies_to_zero(deriv):
    assert isinstance(deriv, Derivation) and type(deriv).__name__.endswith("Derivation")
    res = deriv.residuals
    assert res and all(isinstance(k, str) for k in res)
    for name, r in res.items():
        assert _zero(r), name


def test_residuals_cover_the_laws_and_the_matrix_form():
    d = DeepLinearDerivation([2, 2, 2, 1], n=1)
    names = list(d.residuals)
    assert sum("matrix form" in n for n in names) == 3        # one per layer
    assert sum(n.startswith("d/dt") for n in names) == 2 * 2  # 2 laws x (square, any loss)
    assert len(Lemma4Derivation(4).residuals) == 6 and len(Lemma4Derivation().residuals) == 2


def test_a_wrong_law_gives_a_nonzero_residual():
    d = DiagonalDerivation(d=2, L=2, n=1)
    d.conserved = {"w1^2 + w2^2": d.params[0].applyfunc(lambda s: s ** 2) + d.params[1].applyfunc(lambda s: s ** 2)}
    assert not all(_zero(r) for r in d.residuals.values())
    assert not d.holds


def test_old_names_are_aliases():
    assert S.DeepLinearSystem is DeepLinearDerivation and S.Lemma4System is Lemma4Derivation
    assert S.TwoLayerSystem is TwoLayerDerivation and S.MinImbalanceSystem is MinImbalanceDerivation
    assert S.DiagonalSystem is DiagonalDerivation and S.ConvolutionalSystem is ConvolutionalDerivation


def test_size_guards():
    import time

    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="MAX_SYMBOLS"):
        DeepLinearDerivation([6, 6, 6, 6])
    with pytest.raises(ValueError, match="MAX_SYMBOLS|<= 40"):
        DiagonalDerivation(d=3, L=10 ** 12)
    with pytest.raises(ValueError, match="widths"):
        DeepLinearDerivation([2] * (MAX_SYMBOLS + 2))
    with pytest.raises(TypeError, match="d must be an integer"):
        DiagonalDerivation(d=2.7, L=2)
    with pytest.raises(TypeError, match="n must be an integer"):
        TwoLayerDerivation(d=2, l=2, n=1.5)
    assert time.perf_counter() - t0 < 2.0


def test_bad_sizes():
    with pytest.raises(ValueError, match="widths"):
        DeepLinearDerivation([2])
    with pytest.raises(ValueError, match="loss"):
        DiagonalDerivation(d=2, L=2, loss="exponential")
    with pytest.raises(ValueError, match="L must be"):
        ConvolutionalDerivation(d=4, L=1)


def test_deeper_convolution_conserves_for_any_loss():
    # L = 3 with a free loss derivative (the square-loss expansion at L = 3 is slow).
    assert ConvolutionalDerivation(d=4, L=3, n=1).proves_conservation(any_loss=True)
