import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sim.gap import DAYS_PER_MONTH, capability_at, gap_table  # noqa: E402
from sim.plots import plot_capability, plot_gap, save_figure  # noqa: E402

GRID = np.arange(0, 37) * DAYS_PER_MONTH


def _drawn_lines(ax):
    """Lines with data (seaborn also adds empty legend-proxy lines)."""
    return [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 0]


def _staircase(n_reps=20, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for rep in range(n_reps):
        rows += [(rep, "leader", -914.0, 23.5), (rep, "leader", 0.0, 24.4), (rep, "leader", 104.0, 25.3)]
        t, c = 104.0, 25.3
        while t < GRID[-1]:
            t += rng.uniform(120, 300)
            c += rng.uniform(0.3, 0.6)
            rows.append((rep, "leader", t, c))
        for team, c0, rate in (("alpha", 23.8, 0.9), ("beta", 23.2, 1.1)):
            t, c = 0.0, c0
            rows.append((rep, team, t, c))
            while t < GRID[-1]:
                t += rng.uniform(90, 250)
                c += rate * rng.uniform(0.2, 0.6)
                rows.append((rep, team, t, c))
    return pd.DataFrame(rows, columns=["rep", "team", "t_days", "capability"])


MILESTONES = pd.DataFrame(
    {
        "t_days": [-914.0, 0.0, 104.0],
        "capability": [23.5, 24.4, 25.3],
        "label": ["GPT-3", "GPT-3.5", "GPT-4"],
    }
)


@pytest.fixture
def gap():
    return gap_table(_staircase(), GRID, leader="leader")


@pytest.fixture
def cap():
    return capability_at(_staircase(), np.arange(-36, 37) * DAYS_PER_MONTH)


def test_plot_gap_returns_figure_with_one_median_line_per_follower_and_zero_line(gap):
    fig = plot_gap(gap)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    # 2 follower medians + the horizontal zero line
    assert len(_drawn_lines(ax)) == 3
    assert any(np.allclose(ln.get_ydata(), 0.0) for ln in _drawn_lines(ax))
    assert ax.get_ylabel() == "months behind (public best)"
    assert ax.get_xlabel() == "years since start"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["alpha", "beta"]
    # 50% and 90% band per follower
    assert len(ax.collections) == 4
    plt.close(fig)


def test_plot_gap_x_in_years_since_start(gap):
    fig = plot_gap(gap)
    xs = _drawn_lines(fig.axes[0])[0].get_xdata()
    assert np.nanmax(np.asarray(xs, dtype=float)) == pytest.approx(3.0)
    plt.close(fig)


def test_plot_gap_uses_dates_when_start_date_given(gap):
    fig = plot_gap(gap, start_date="2023-03-14")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "date"
    lo, hi = ax.get_xlim()
    import matplotlib.dates as mdates

    assert mdates.num2date(lo).year <= 2023 and mdates.num2date(hi).year >= 2026
    plt.close(fig)


def test_plot_gap_draws_on_given_ax(gap):
    fig, (ax1, ax2) = plt.subplots(1, 2)
    out = plot_gap(gap, ax=ax2)
    assert out is fig
    assert len(_drawn_lines(ax1)) == 0 and len(_drawn_lines(ax2)) == 3
    plt.close(fig)


def test_plot_gap_saves_non_empty_png(gap, tmp_path):
    fig = plot_gap(gap)
    path = tmp_path / "sub" / "gap.png"
    save_figure(fig, path)
    assert path.exists() and path.stat().st_size > 1000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.fignum_exists(fig.number)  # closed


def test_plot_capability_one_line_per_team_and_milestone_labels(cap):
    fig = plot_capability(cap, milestones=MILESTONES)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(_drawn_lines(ax)) == 3  # leader, alpha, beta medians
    assert [t.get_text() for t in ax.texts] == ["GPT-3", "GPT-3.5", "GPT-4"]
    assert ax.get_ylabel() == "capability"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["alpha", "beta", "leader", "leader milestones"]
    plt.close(fig)


def test_plot_capability_without_milestones_has_no_texts(cap):
    fig = plot_capability(cap, ylabel="log10 effective compute")
    ax = fig.axes[0]
    assert ax.texts == [] or len(ax.texts) == 0
    assert ax.get_ylabel() == "log10 effective compute"
    plt.close(fig)


def test_plot_capability_with_dates_saves_non_empty_png(cap, tmp_path):
    fig = plot_capability(cap, milestones=MILESTONES, start_date="2022-11-30")
    assert fig.axes[0].get_xlabel() == "date"
    path = tmp_path / "cap.png"
    save_figure(fig, path)
    assert path.stat().st_size > 1000


def test_plot_gap_does_not_bridge_stretch_where_months_behind_is_undefined():
    t = np.arange(10) * DAYS_PER_MONTH
    months = np.where((np.arange(10) >= 4) & (np.arange(10) <= 5), np.nan, np.arange(10.0))
    g = pd.DataFrame(
        {
            "rep": np.repeat([0, 1], 10),
            "t_days": np.tile(t, 2),
            "follower": "A",
            "leader": "L",
            "months_behind": np.tile(months, 2),
        }
    )
    fig = plot_gap(g)
    segs = [ln for ln in _drawn_lines(fig.axes[0]) if not np.allclose(ln.get_ydata(), 0.0)]
    assert sorted(len(ln.get_xdata()) for ln in segs) == [4, 4]  # months 0-3 and 6-9
    plt.close(fig)
