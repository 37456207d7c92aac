"""Calibration plots: one panel per calibrated key with its prior; pairs below the diagonal.
Built from a hand-made posterior, so they need no pyabc."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from sim.calibrate import Posterior
from sim.calibration_plots import plot_generations, plot_marginals, plot_pairs
from sim.distributions import parse_distribution

PRIORS = {
    "world.hazard_median": {"dist": "loguniform", "lo": 0.003, "hi": 0.05},
    "teams.leader.diagnosis": {"dist": "beta", "a": 8.0, "b": 2.0},
    "world.confounding": {"dist": "uniform", "lo": 0.0, "hi": 2.0},
}


@pytest.fixture(scope="module")
def posterior():
    rng = np.random.default_rng(5)
    df = pd.DataFrame({k: parse_distribution(v, k).sample(rng, 300) for k, v in PRIORS.items()})
    w = rng.uniform(0.5, 1.5, len(df))
    df["weight"] = w / w.sum()
    gens = pd.DataFrame(
        {"generation": [0, 1, 2], "epsilon": [2.0, 1.0, 0.5], "acceptance_rate": [0.6, 0.3, 0.1]}
    )
    return Posterior(particles=df, priors=PRIORS, generations=gens, simulations=900, stopped="generations")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_marginals_have_one_titled_panel_per_key(posterior):
    fig = plot_marginals(posterior)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == list(PRIORS)


def test_each_marginal_overlays_its_prior(posterior):
    fig = plot_marginals(posterior)
    for ax in fig.axes[: len(PRIORS)]:
        assert "prior" in [line.get_label() for line in ax.get_lines()]


def test_a_loguniform_prior_is_drawn_flat_on_a_log_axis(posterior):
    # per log10 unit the loguniform density is 1 / log10(hi / lo) everywhere
    ax = plot_marginals(posterior).axes[0]
    prior = next(line for line in ax.get_lines() if line.get_label() == "prior")
    assert ax.get_xscale() == "log"
    np.testing.assert_allclose(prior.get_ydata(), 1 / np.log10(0.05 / 0.003), rtol=1e-9)


def test_the_truth_is_marked_where_given(posterior):
    ax = plot_marginals(posterior, truth={"world.confounding": 1.0}).axes[2]
    truth = [line for line in ax.get_lines() if line.get_label() == "truth"]
    assert len(truth) == 1 and truth[0].get_xdata()[0] == 1.0


def test_the_pair_plot_fills_the_lower_triangle(posterior):
    fig = plot_pairs(posterior)
    visible = [ax.get_visible() for ax in fig.axes]
    assert visible == [True, False, False, True, True, False, True, True, True]


def test_the_generations_plot_shows_each_threshold(posterior):
    ax = plot_generations(posterior).axes[0]
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [2.0, 1.0, 0.5])
