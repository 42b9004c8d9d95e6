"""Tests of the two-input extension (ibtheory.papers.jin2023.extension_2d)."""
import numpy as np
import pytest

from ibtheory.models import TwoLayerReLU
from ibtheory.papers import jin2023 as jm
from ibtheory.papers.jin2023 import extension_2d as ext


@pytest.mark.parametrize("init", ["gaussian", "circle"])
def test_asi_is_zero_at_initialization(init):
    P = ext.init_asi_2d(300, init, seed=2)
    T = ext.grid_points(2.0, 9)[2].reshape(-1, 2)
    assert np.max(np.abs(TwoLayerReLU(2, 600).forward(P, T))) < 1e-13


def test_circle_init_draws_unit_directions_and_uniform_bias():
    W, b, a, c = ext.init_asi_2d(4000, "circle", seed=0)
    assert np.allclose(np.linalg.norm(W, axis=1), 1.0) and np.max(np.abs(b)) <= ext.CIRCLE_A
    # E[b^2] = a^2/3 within 5 standard errors (b^4 has mean a^4/5)
    n = 4000
    se = np.sqrt((ext.CIRCLE_A**4 / 5 - ext.CIRCLE_A**4 / 9) / n)
    assert abs(np.mean(b[:n] ** 2) - ext.CIRCLE_A**2 / 3) < 5 * se


def test_circle_derivation_holds():
    assert jm.CircleKernelDerivation().holds


def test_limits_interpolate():
    for init in ("gaussian", "circle"):
        lim, adj = ext.limit_2d(init)
        y = ext.Y5 if adj is None else ext.Y5 - adj(ext.X5)
        assert np.max(np.abs(lim(ext.X5) - y)) < 1e-12


def test_smoke_experiment():
    rep = jm.ext2d_width_rate("smoke")
    assert {"seed", "outcome", "final_loss", "sup_error"} <= set(rep.table().columns)
    assert np.all(rep.outcome == "success") and rep.fits["gaussian"].slope < 0
    assert len(rep.summary()) == 1


def test_spline_comparison_table():
    rep = jm.ext2d_width_rate("smoke")
    table, surfaces = ext.spline_comparison(rep)
    assert len(table) == 5 and all(np.shape(v) == (rep.grid.shape[0],) for v in surfaces.values())


@pytest.mark.parametrize("call", [
    lambda: ext.init_asi_2d(0),
    lambda: ext.init_asi_2d(5, "laplace"),
    lambda: ext.init_asi_2d(5, seed=-1),
    lambda: ext.grid_points(-1.0),
    lambda: ext.limit_2d("laplace"),
    lambda: jm.ext2d_width_rate("smoke", inits=("laplace",)),
])
def test_bad_input(call):
    with pytest.raises((ValueError, TypeError)):
        call()


def test_spline_comparison_and_surfaces_reject_bad_input():
    # regression: these used to fail with AttributeError / reshape errors
    with pytest.raises(TypeError, match="rep must be an Ext2DReport"):
        ext.spline_comparison(None)
    grid = ext.grid_points(1.5, 5)[2].reshape(-1, 2)
    with pytest.raises(ValueError, match="grid"):
        jm.figures.ext2d_surfaces([("a", np.zeros(24))], grid[:24], ext.X5)
    with pytest.raises(ValueError, match="grid"):
        jm.figures.ext2d_surfaces([("a", np.zeros(25))], None, ext.X5)
    with pytest.raises(ValueError, match="X"):
        jm.figures.ext2d_surfaces([("a", np.zeros(25))], grid, np.ones(3))
    with pytest.raises(TypeError, match="panels"):
        jm.figures.ext2d_surfaces("abc", grid, ext.X5)
    with pytest.raises(ValueError, match="panels values"):
        jm.figures.ext2d_surfaces([("a", np.zeros(7))], grid, ext.X5)
