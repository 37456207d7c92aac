"""Seaborn plots of gap tables and capability samples.

All functions return the matplotlib Figure and never call ``plt.show()``.
Lines are medians across replications; shaded bands are the central 50% and
90% intervals across replications (percentiles computed per grid point, NaN
ignored - the same as seaborn's ``errorbar=("pi", ...)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

__all__ = [
    "plot_gap",
    "plot_capability",
    "plot_series",
    "save_figure",
    "plot_sweep",
    "plot_compare_gap",
    "plot_tornado",
    "plot_sobol",
]

DAYS_PER_YEAR = 365.25
_BANDS = ((0.05, 0.95, 0.15), (0.25, 0.75, 0.30))  # (lo, hi, alpha)


def _x(t_days, start_date: str | None):
    """Years since start, or datetimes when ``start_date`` ("YYYY-MM-DD")."""
    t = np.asarray(t_days, dtype=float)
    if start_date is None:
        return t / DAYS_PER_YEAR
    return pd.Timestamp(start_date) + pd.to_timedelta(t, unit="D")


def _x_num(x, start_date: str | None):
    """x positions as floats for text placement (matplotlib date numbers)."""
    if start_date is None:
        return np.asarray(x, dtype=float)
    return mdates.date2num(pd.DatetimeIndex(x).to_pydatetime())


def _format_x(ax, start_date: str | None) -> None:
    if start_date is None:
        ax.set_xlabel("years since start")
        return
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("date")


def _fig_ax(ax, figsize=(8, 4.5)):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    else:
        fig = ax.figure
    return fig, ax


def _quantile_frame(df: pd.DataFrame, group: str, value: str) -> pd.DataFrame:
    """Per (group, t_days): median and band quantiles across reps."""
    qs = sorted({0.5, *[b[0] for b in _BANDS], *[b[1] for b in _BANDS]})
    d = df[[group, "t_days", value]].copy()
    d[value] = d[value].astype(float)
    q = d.groupby([group, "t_days"], sort=True, observed=True)[value].quantile(qs)
    q = q.unstack(-1)
    q.columns = [f"q{c:g}" for c in q.columns]
    return q.reset_index()


def _median_and_bands(
    ax,
    df: pd.DataFrame,
    group: str,
    value: str,
    start_date: str | None,
    order: Sequence[str],
    steps: bool,
) -> None:
    q = _quantile_frame(df, group, value)
    q["x"] = _x(q["t_days"], start_date)
    palette = dict(zip(order, sns.color_palette(n_colors=max(len(order), 1))))
    for name in order:
        g = q[q[group] == name]
        for lo, hi, alpha in _BANDS:
            ax.fill_between(
                g["x"],
                g[f"q{lo:g}"],
                g[f"q{hi:g}"],
                color=palette[name],
                alpha=alpha,
                linewidth=0,
                step="post" if steps else None,
            )
    # seaborn drops NaN rows and would bridge an undefined stretch with a
    # straight line; draw each contiguous defined run as its own unit instead.
    q["_segment"] = q["q0.5"].isna().groupby(q[group]).cumsum()
    sns.lineplot(
        data=q.dropna(subset=["q0.5"]),
        x="x",
        y="q0.5",
        hue=group,
        hue_order=list(order),
        palette=palette,
        units="_segment",
        estimator=None,
        drawstyle="steps-post" if steps else "default",
        ax=ax,
    )
    ax.set_ylabel("")


def plot_gap(gap: pd.DataFrame, start_date: str | None = None, ax=None) -> Figure:
    """Months behind the leader over time, one median line per follower with
    50% and 90% bands across replications; dashed horizontal line at 0
    (below 0 the follower leads)."""
    fig, ax = _fig_ax(ax)
    order = sorted(gap["follower"].astype(str).unique())
    d = gap.assign(follower=gap["follower"].astype(str))
    # months behind rises continuously between releases: draw straight segments
    _median_and_bands(ax, d, "follower", "months_behind", start_date, order, steps=False)
    ax.axhline(0.0, color="0.3", linestyle="--", linewidth=1.0, zorder=0)
    _format_x(ax, start_date)
    ax.set_ylabel("months behind (public best)")
    leader = gap["leader"].astype(str).unique() if "leader" in gap else []
    title = "Months behind " + (leader[0] if len(leader) == 1 else "the leader")
    ax.set_title(title)
    if ax.get_legend() is not None:
        ax.get_legend().set_title("follower\n(median; 50%/90% bands)")
    return fig


def plot_capability(
    capability: pd.DataFrame,
    milestones: pd.DataFrame | None = None,
    start_date: str | None = None,
    ax=None,
    ylabel: str = "capability",
) -> Figure:
    """Capability over time per team (grid samples from ``gap.capability_at``):
    median line with 50% and 90% bands across replications.  ``milestones``
    (columns t_days, capability, label) are drawn as black markers with text
    labels."""
    fig, ax = _fig_ax(ax)
    order = sorted(capability["team"].astype(str).unique())
    d = capability.assign(team=capability["team"].astype(str))
    # capability is a best-so-far staircase: draw steps
    _median_and_bands(ax, d, "team", "capability", start_date, order, steps=True)
    if milestones is not None and len(milestones):
        mx = _x(milestones["t_days"], start_date)
        my = milestones["capability"].to_numpy(dtype=float)
        ax.scatter(mx, my, marker="D", s=30, color="black", zorder=5, label="leader milestones")
        for xn, y, lab in zip(_x_num(mx, start_date), my, milestones["label"]):
            ax.annotate(
                str(lab),
                xy=(xn, y),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=8,
                ha="left",
                va="bottom",
            )
        ax.legend(title="team\n(median; 50%/90% bands)")
    elif ax.get_legend() is not None:
        ax.get_legend().set_title("team\n(median; 50%/90% bands)")
    _format_x(ax, start_date)
    ax.set_ylabel(ylabel)
    ax.set_title("Public best capability")
    return fig


def save_figure(fig: Figure, path) -> None:
    """Save ``fig`` as PNG at dpi 120 (parent directories created) and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, format="png", bbox_inches="tight")
    plt.close(fig)


# -- experiments: sweeps, comparison, sensitivity ----------------------------------
def plot_sweep(summary: pd.DataFrame, keys: Sequence[str], label: str = "headline") -> Figure:
    """The headline metric over swept parameters (``summary`` from
    :func:`sim.sweep.summarise_points`: one row per point and follower).

    One key: a line per follower (mean, 95% interval shaded). Two keys on a
    full grid: one heatmap per follower (mean). Otherwise (more keys, or a
    Latin hypercube): the point means against each key, one panel per key.
    """
    followers = sorted(summary["follower"].astype(str).unique())
    palette = dict(zip(followers, sns.color_palette(n_colors=max(len(followers), 1))))
    numeric = [k for k in keys if pd.api.types.is_numeric_dtype(summary[k])]
    full_grid = len(keys) == 2 and len(summary) == (
        summary[keys[0]].nunique() * summary[keys[1]].nunique() * len(followers)
    )
    if len(keys) == 2 and full_grid:
        fig, axes = plt.subplots(
            1, len(followers), figsize=(6 * len(followers), 4.5), squeeze=False, layout="constrained"
        )
        for ax, fol in zip(axes[0], followers):
            g = summary[summary["follower"] == fol].pivot(
                index=keys[0], columns=keys[1], values="headline_mean"
            )
            sns.heatmap(g, annot=True, fmt=".1f", cmap="viridis", ax=ax, cbar_kws={"label": "months"})
            ax.set_title(fol)
        fig.suptitle(label)
        return fig
    fig, axes = plt.subplots(1, len(keys), figsize=(5.5 * len(keys), 4), squeeze=False)
    for ax, key in zip(axes[0], keys):
        for fol in followers:
            g = summary[summary["follower"] == fol].sort_values(key)
            x = g[key] if key in numeric else g[key].astype(str)
            if len(keys) == 1:
                ax.plot(x, g["headline_mean"], marker="o", color=palette[fol], label=fol)
                ax.fill_between(
                    x, g["headline_lo"], g["headline_hi"], color=palette[fol], alpha=0.2, linewidth=0
                )
            else:
                ax.scatter(x, g["headline_mean"], color=palette[fol], label=fol, s=18)
        ax.set_xlabel(key)
        ax.set_ylabel(label)
        ax.axhline(0.0, color="0.3", linestyle="--", linewidth=1.0, zorder=0)
    axes[0][0].legend(title="follower (mean; 95% CI)" if len(keys) == 1 else "follower (point mean)")
    return fig


def plot_compare_gap(gaps: dict, start_date: str | None = None, ax=None) -> Figure:
    """Months behind over time for several scenarios overlaid: colour = scenario,
    line style = follower; median lines with the 50% band across replications."""
    fig, ax = _fig_ax(ax, figsize=(9, 5))
    names = list(gaps)
    palette = dict(zip(names, sns.color_palette(n_colors=max(len(names), 1))))
    styles = ["-", "--", ":", "-."]
    followers = sorted({str(f) for g in gaps.values() for f in g["follower"].unique()})
    for name, gap in gaps.items():
        d = gap.assign(follower=gap["follower"].astype(str))
        q = _quantile_frame(d, "follower", "months_behind")
        q["x"] = _x(q["t_days"], start_date)
        for i, fol in enumerate(followers):
            g = q[q["follower"] == fol]
            if g.empty:
                continue
            ax.fill_between(g["x"], g["q0.25"], g["q0.75"], color=palette[name], alpha=0.15, linewidth=0)
            ax.plot(
                g["x"],
                g["q0.5"],
                color=palette[name],
                linestyle=styles[i % len(styles)],
                label=f"{name}: {fol}",
            )
    ax.axhline(0.0, color="0.3", linestyle="--", linewidth=1.0, zorder=0)
    _format_x(ax, start_date)
    ax.set_ylabel("months behind (public best)")
    ax.set_title("Months behind the leader, scenarios compared (median; 50% band)")
    ax.legend(fontsize=8)
    return fig


def plot_tornado(oat: pd.DataFrame, baseline: float, label: str = "headline") -> Figure:
    """One-at-a-time sensitivity: a bar per parameter from the baseline to the
    metric at the low and at the high end of its range, widest on top.
    ``oat``: columns ``param, lo, hi, y_lo, y_hi``."""
    d = oat.assign(width=(oat["y_hi"] - oat["y_lo"]).abs()).sort_values("width")
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(d) + 1.6))
    y = np.arange(len(d))
    # side by side, not stacked: both ends may lie on the same side of the baseline
    ax.barh(
        y - 0.2,
        d["y_lo"] - baseline,
        height=0.4,
        left=baseline,
        color=sns.color_palette()[0],
        label="low end",
    )
    ax.barh(
        y + 0.2,
        d["y_hi"] - baseline,
        height=0.4,
        left=baseline,
        color=sns.color_palette()[1],
        label="high end",
    )
    ax.set_yticks(y, [f"{p}\n[{lo:g}, {hi:g}]" for p, lo, hi in zip(d["param"], d["lo"], d["hi"])])
    ax.axvline(baseline, color="0.2", linewidth=1.0)
    ax.set_xlabel(label)
    ax.set_title(f"One at a time (baseline {baseline:.1f})")
    ax.legend()
    return fig


def plot_sobol(indices: pd.DataFrame, label: str = "headline") -> Figure:
    """Sobol first-order (S1) and total-order (ST) indices with their 95%
    confidence half-widths as error bars. ``indices``: ``param, S1, S1_conf, ST, ST_conf``."""
    d = indices.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(max(5, 1.4 * len(d) + 2), 4))
    x = np.arange(len(d))
    ax.bar(x - 0.2, d["S1"], width=0.4, yerr=d["S1_conf"], capsize=3, label="first order S1")
    ax.bar(x + 0.2, d["ST"], width=0.4, yerr=d["ST_conf"], capsize=3, label="total order ST")
    ax.set_xticks(x, d["param"], rotation=20, ha="right")
    ax.set_ylabel("Sobol index")
    ax.set_title(f"Sobol indices of {label}")
    ax.axhline(0.0, color="0.3", linewidth=0.8)
    ax.legend()
    return fig


def plot_series(
    df: pd.DataFrame,
    group: str,
    value: str,
    start_date: str | None = None,
    ax=None,
    ylabel: str | None = None,
    title: str = "",
    steps: bool = False,
) -> Figure:
    """Any per-replication time series (columns ``rep, t_days, <group>, <value>``):
    median line per group with 50% and 90% bands across replications."""
    fig, ax = _fig_ax(ax)
    order = sorted(df[group].astype(str).unique())
    _median_and_bands(
        ax, df.assign(**{group: df[group].astype(str)}), group, value, start_date, order, steps=steps
    )
    if ax.get_legend() is not None:
        ax.get_legend().set_title(f"{group}\n(median; 50%/90% bands)")
    _format_x(ax, start_date)
    ax.set_ylabel(ylabel or value)
    ax.set_title(title)
    return fig
