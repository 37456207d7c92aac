"""Figures of the ``smt2020`` model: flow factors, WIP, yield ramps, the operating curve."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402


def flow_factor_figure(lots: pd.DataFrame, warmup_days: float = 0.0):
    """Histogram of production lots' flow factor (cycle time / raw process time) per product."""
    lr = lots[(~lots["engineering"].astype(bool)) & (lots["release_t_days"] >= warmup_days)]
    lr = lr.assign(
        flow_factor=lr["cycle_time_days"] / lr["raw_process_days"], product=lr["product"].astype(str)
    )
    fig, ax = plt.subplots(figsize=(7, 4))
    if len(lr):
        sns.histplot(
            lr, x="flow_factor", hue="product", element="step", stat="density", common_norm=False, ax=ax
        )
    ax.set_xlabel("flow factor (cycle time / raw process time)")
    ax.set_title("Production lots' flow factor")
    fig.tight_layout()
    return fig


def wip_figure(fab: pd.DataFrame):
    """Time-average WIP (lots) per grid interval, median and 5-95% band over replications."""
    g = fab.groupby("t_days")["wip_lots"]
    q = g.quantile([0.05, 0.5, 0.95]).unstack()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.fill_between(q.index, q[0.05], q[0.95], alpha=0.3, label="5-95%")
    ax.plot(q.index, q[0.5], label="median")
    ax.set_xlabel("days")
    ax.set_ylabel("lots in the fab")
    ax.set_title("WIP")
    ax.legend()
    fig.tight_layout()
    return fig


def yield_ramp_figure(trajectories: pd.DataFrame, target: float):
    """Each R&D team's expected line yield on the grid (median over replications)."""
    tr = trajectories.assign(team=trajectories["team"].astype(str))
    med = tr.groupby(["team", "t_days"])["line_yield"].median().reset_index()
    fig, ax = plt.subplots(figsize=(7, 4))
    sns.lineplot(med, x="t_days", y="line_yield", hue="team", ax=ax)
    ax.axhline(target, ls="--", c="grey", lw=1, label=f"target {target:.0%}")
    ax.set_xlabel("days")
    ax.set_ylabel("expected line yield of an engineering lot")
    ax.set_title("R&D on the shared line: yield ramp")
    fig.tight_layout()
    return fig


def figures(results) -> dict:
    """The model's figures of one run, ``{file name: Figure}``."""
    t, params = results.tables, results.params
    out = {
        "flow_factor.png": flow_factor_figure(t["lots"], params.warmup_days),
        "wip.png": wip_figure(t["fab"]),
    }
    tr = results.trajectories
    if params.teams and tr is not None and len(tr) and "line_yield" in tr:
        out["yield_ramp.png"] = yield_ramp_figure(tr, params.world.target_yield)
    return out


def operating_curve_figure(points: pd.DataFrame):
    """Flow factor against load: ``points`` from :func:`models.smt2020.operating.curve_points`
    (one row per start rate and replication); median line, 90% interval over replications."""
    fig, ax = plt.subplots(figsize=(7, 4))
    sns.lineplot(points, x="start_rate", y="flow_factor", marker="o", errorbar=("pi", 90), ax=ax)
    ax.set_xlabel("start rate (share of the dataset's nominal)")
    ax.set_ylabel("median flow factor, regular lots")
    ax.set_title("SMT2020 operating curve")
    fig.tight_layout()
    return fig
