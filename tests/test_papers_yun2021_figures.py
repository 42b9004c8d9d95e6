"""Figures of the Yun et al. (2021) experiments: registered, drawn from the smoke report, labelled.

What each figure shows is tested against the report's own columns (the points on the log axes
are the report's values, floored only at exact zeros).
"""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ibtheory.papers import yun2021 as Y  # noqa: E402
from ibtheory.papers.yun2021 import tolerances as tol  # noqa: E402
from ibtheory.papers.yun2021.figures_checks import ZERO_FLOOR, discrepancy_strip  # noqa: E402

#: experiment -> number of axes of its figure
FIGURES = {"tensor_identities": 1, "single_point": 1, "tied_single_point": 1, "conv_single_point": 1,
           "diagonal_regression": 2, "conv_regression": 1, "deep_conv_regression": 1,
           "two_layer_point_regression": 2, "odn_flows": 2}


@pytest.fixture(scope="module")
def smoke_reports():
    return {name: getattr(Y, name)("smoke") for name in FIGURES}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figure_is_registered_and_labelled(name, smoke_reports):
    exp = getattr(Y, name)
    assert exp.figure is not None
    fig = exp.figure(smoke_reports[name])
    try:
        assert len(fig.axes) == FIGURES[name]
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel() and ax.has_data()
    finally:
        plt.close(fig)


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figure_rejects_another_report(name, smoke_reports):
    other = "single_point" if name != "single_point" else "tensor_identities"
    with pytest.raises(TypeError, match="rep must be"):
        getattr(Y, name).figure(smoke_reports[other])


def _points(ax):
    return [c for c in ax.collections if isinstance(c, PathCollection)]


def _limits(ax):
    """The y of the horizontal limit segments (two-point lines at one height)."""
    return [float(ln.get_ydata()[0]) for ln in ax.lines if len(ln.get_ydata()) == 2
            and ln.get_ydata()[0] == ln.get_ydata()[1]]


def _plotted_y(ax):
    return np.sort(np.concatenate([np.asarray(c.get_offsets())[:, 1] for c in _points(ax)]))


def test_strip_plots_the_values_and_the_tolerance():
    fig, ax = plt.subplots()
    values = np.array([3e-19, 0.0, 5e-10, np.nan])     # below the zero floor, zero, above, none
    discrepancy_strip(ax, [("a", values, 1e-8, "below"), ("b", np.array([1.0, 2.0, 3.0, 4.0]), None, None)])
    try:
        # finite values drawn as they are, exact zeros at the floor, NaN left out (and counted)
        np.testing.assert_array_equal(_plotted_y(ax), np.sort([3e-19, ZERO_FLOOR, 5e-10, 1.0, 2.0, 3.0, 4.0]))
        assert _limits(ax) == [1e-8]
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert labels[0] == "a\n(1 without value)" and "reported" in labels[1]
    finally:
        plt.close(fig)


def test_strip_draws_unconverged_runs_hollow():
    fig, ax = plt.subplots()
    try:
        discrepancy_strip(ax, [("a", np.array([1e-3, 1e-4]), 1e-2, "below")],
                          outcome=np.array(["converged", "neither"]))
        hollow = [c for c in _points(ax) if len(c.get_facecolor()) == 0]
        assert len(hollow) == 1 and hollow[0].get_offsets()[0, 1] == 1e-4
    finally:
        plt.close(fig)


def test_single_point_figure_draws_the_report_columns(smoke_reports):
    rep = smoke_reports["single_point"]
    fig = Y.single_point.figure(rep)
    try:
        expected = np.concatenate([rep.path_error, rep.limit_angle, rep.flow_angle])
        np.testing.assert_array_equal(_plotted_y(fig.axes[0]), np.sort(np.where(expected > 0, expected, ZERO_FLOOR)))
        assert sorted(_limits(fig.axes[0])) == sorted([tol.PATH, tol.PATH_LIMIT])
    finally:
        plt.close(fig)


def test_odn_figure_shows_the_fitted_exponent(smoke_reports):
    rep = smoke_reports["odn_flows"]
    fig = Y.odn_flows.figure(rep)
    try:
        fit = rep.fit(int(rep.L[0]))
        labels = fig.axes[1].get_legend_handles_labels()[1]
        assert any(f"exponent {fit.slope:.2f}" in lab for lab in labels)
    finally:
        plt.close(fig)
