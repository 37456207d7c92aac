"""Seaborn plots of a fab run: yield ramp, cost of 25 good wafers, operating curves.

All functions return a matplotlib Figure and never call ``plt.show()``. Lines
are medians across replications; shaded bands are the central 50% and 90%
intervals across replications.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

DAYS_PER_YEAR = 365.25
_BANDS = ((0.05, 0.95, 0.15), (0.25, 0.75, 0.30))


def _bands(ax, df: pd.DataFrame, value: str, start_date: str | None) -> None:
    d = df[["team", "t_days", value]].dropna()
    qs = sorted({0.5, *[b[0] for b in _BANDS], *[b[1] for b in _BANDS]})
    q = d.groupby(["team", "t_days"])[value].quantile(qs).unstack(-1).reset_index()
    q["x"] = (
        (pd.Timestamp(start_date) + pd.to_timedelta(q["t_days"], unit="D"))
        if start_date
        else q["t_days"] / DAYS_PER_YEAR
    )
    teams = sorted(q["team"].astype(str).unique())
    palette = dict(zip(teams, sns.color_palette(n_colors=max(len(teams), 1))))
    for team in teams:
        g = q[q["team"] == team]
        for lo, hi, alpha in _BANDS:
            ax.fill_between(g["x"], g[lo], g[hi], color=palette[team], alpha=alpha, linewidth=0)
    sns.lineplot(data=q, x="x", y=0.5, hue="team", hue_order=teams, palette=palette, ax=ax)
    ax.set_xlabel("date" if start_date else "years since start")
    if ax.get_legend() is not None:
        ax.get_legend().set_title("team\n(median; 50%/90% bands)")


def plot_yield_ramp(trajectories: pd.DataFrame, start_date: str | None = None, ax=None) -> Figure:
    """Expected line yield of a lot each team starts, over time (log scale)."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(8, 4.5))
    _bands(ax, trajectories, "line_yield", start_date)
    ax.set_yscale("log")
    ax.set_ylabel("line yield (wafers out / wafers in)")
    ax.set_title("Yield ramp")
    return fig


def plot_cost_per_25_good(trajectories: pd.DataFrame, start_date: str | None = None, ax=None) -> Figure:
    """US$ for 25 good wafers (lot cost / line yield) per team over time, log scale, in US$M."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(8, 4.5))
    d = trajectories.assign(cost_musd=trajectories["cost_per_25_good_usd"] / 1e6)
    _bands(ax, d, "cost_musd", start_date)
    ax.set_yscale("log")
    ax.set_ylabel("US$M per 25 good wafers")
    ax.set_title("Cost of 25 good wafers")
    return fig


def kingman_x_factor(utilisation, ca2: float = 1.0, ce2: float = 1.0, tools: int = 1):
    """X-factor 1 + Wq / te of a tool group (Kingman / Sakasegawa, anchors A)."""
    u = np.asarray(utilisation, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        wq = (ca2 + ce2) / 2 * u ** (np.sqrt(2 * (tools + 1)) - 1) / (tools * (1 - u))
    return 1.0 + wq


def plot_tool_groups_operating_curve(tool_groups: pd.DataFrame, ax=None) -> Figure:
    """Each tool group of a run as a point: X-factor (1 + mean wait / mean time on a tool)
    against utilisation, with the M/M/1 Kingman curve for reference."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 4.5))
    d = tool_groups.assign(x_factor=1 + tool_groups["mean_wait_days"] / tool_groups["mean_hold_days"])
    sns.scatterplot(data=d, x="utilisation", y="x_factor", hue="fab", size="tools", alpha=0.6, ax=ax)
    u = np.linspace(0.0, 0.97, 200)
    ax.plot(u, kingman_x_factor(u), color="0.3", linestyle="--", linewidth=1, label="M/M/1 (Kingman)")
    ax.set_ylim(0.9, max(6.0, float(np.nanquantile(d["x_factor"], 0.98)) * 1.1))
    ax.set_xlabel("utilisation of the tool group")
    ax.set_ylabel("X-factor of the tool group")
    ax.set_title("Operating curve by tool group")
    ax.legend(fontsize=8)
    return fig


def plot_operating_curve(curve: pd.DataFrame, ax=None) -> Figure:
    """Fab cycle time (X-factor) against load, from :func:`models.fab.analysis.operating_curve`:
    median and 90% interval across replications, one line per lot kind."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 4.5))
    sns.lineplot(
        data=curve,
        x="load",
        y="x_factor",
        hue="lots",
        estimator="median",
        errorbar=("pi", 90),
        marker="o",
        ax=ax,
    )
    ax.set_xlabel("production load (share of design start rate)")
    ax.set_ylabel("X-factor (cycle time / raw process time)")
    ax.set_title("Operating curve")
    return fig


def figures(results) -> dict:
    """The fab figures a run saves: ``{file name: Figure}``."""
    out = {
        "yield_ramp.png": plot_yield_ramp(results.trajectories, results.start_date),
        "cost_per_25_good.png": plot_cost_per_25_good(results.trajectories, results.start_date),
    }
    if "tool_groups" in results.tables and len(results.tables["tool_groups"]):
        out["operating_curve.png"] = plot_tool_groups_operating_curve(results.tables["tool_groups"])
    return out
