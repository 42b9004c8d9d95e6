import sympy as sp

from ibtheory.symbolic import Lemma4Derivation


def test_first_integral_and_reduction_symbolic_L():
    S = Lemma4Derivation()
    assert sp.simplify(S.first_integral_rate) == 0
    assert sp.simplify(S.reduction_residual) == 0
    u = sp.Function("u")(S.t)
    assert sp.simplify(S.u_rate - sp.cosh(u) ** (S.L - 2)) == 0


def test_closed_forms_against_hand_derivation():
    t = sp.Symbol("t", real=True)
    hand = {2: sp.sinh(t) * sp.cosh(t), 3: sp.tan(t) * (1 + sp.tan(t) ** 2),
            4: t / (1 - t**2) ** 2}
    for L, expected in hand.items():
        S = Lemma4Derivation(L)
        assert all(r == 0 for r in S.closed_form_residuals)
        assert sp.simplify(S.closed_form["h"].subs(S.t, t) - expected) == 0


def test_blowup_time():
    S = Lemma4Derivation()
    for L, val in [(3, sp.pi / 2), (4, 1), (5, sp.pi / 4), (6, sp.Rational(2, 3))]:
        assert sp.simplify(S.blowup_time.subs(S.L, L) - val) == 0
        assert sp.simplify(Lemma4Derivation(L).blowup_time - val) == 0
    assert Lemma4Derivation(2).blowup_time == sp.oo


def test_closed_form_requires_small_L():
    import pytest

    with pytest.raises(ValueError, match="L in"):
        Lemma4Derivation(5).closed_form
    with pytest.raises(ValueError, match="L must be an integer"):
        Lemma4Derivation(1)
