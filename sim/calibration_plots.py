"""Plots of a calibration: posterior marginals against their priors, pairs, thresholds.

Like :mod:`sim.plots`, every function returns a matplotlib Figure and never
calls ``plt.show()``. Densities are weighted by the particles' importance
weights. A key whose prior is log-scaled (loguniform, lognormal) is drawn on a
log axis, where its prior is flat or Gaussian.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from .calibrate import Posterior
from .distributions import LogNormal, LogUniform

__all__ = ["plot_marginals", "plot_pairs", "plot_generations"]

_POSTERIOR, _PRIOR, _TRUTH = "C0", "0.35", "C3"


def _log_axis(dist) -> bool:
    return isinstance(dist, LogUniform | LogNormal)


def _prior_curve(dist, lo: float, hi: float, log: bool):
    """x and density of the prior over [lo, hi]; on a log axis, density per unit of log10 x
    (x ln(10) pdf(x)), the unit of seaborn's histograms and KDEs with ``log_scale``."""
    x = np.geomspace(lo, hi, 300) if log else np.linspace(lo, hi, 300)
    y = np.exp(dist.logpdf(x))
    return x, (y * x * math.log(10) if log else y)


def _span(values: np.ndarray, dist, log: bool) -> tuple[float, float]:
    """Plot range: the particles and the prior's central 99%."""
    lo = min(float(values.min()), float(dist.ppf(0.005))) if dist is not None else float(values.min())
    hi = max(float(values.max()), float(dist.ppf(0.995))) if dist is not None else float(values.max())
    if hi <= lo:
        lo, hi = (lo / 2, hi * 2) if log else (lo - 0.5, hi + 0.5)
    return lo, hi


def plot_marginals(
    posterior: Posterior,
    priors: Mapping | None = None,
    truth: Mapping[str, float] | None = None,
    ncols: int = 3,
) -> Figure:
    """One panel per key: weighted histogram and KDE of the posterior, the prior's density,
    the posterior median and 90% interval (dashed), and ``truth`` where given.

    ``priors`` defaults to those recorded in the posterior.
    """
    priors = dict(priors) if priors is not None else posterior.prior_distributions()
    keys = posterior.keys
    ncols = max(1, min(ncols, len(keys)))
    nrows = math.ceil(len(keys) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.2 * nrows), squeeze=False)
    q = posterior.quantiles((0.05, 0.5, 0.95))
    w = posterior.weights
    for ax, key in zip(axes.flat, keys):
        values = posterior.particles[key].to_numpy(dtype=float)
        dist = priors.get(key)
        log = dist is not None and _log_axis(dist)
        sns.histplot(
            x=values, weights=w, stat="density", bins=25, log_scale=log, ax=ax,
            color=_POSTERIOR, alpha=0.35, edgecolor="none", label="posterior",
        )  # fmt: skip
        if np.ptp(values) > 0:
            sns.kdeplot(x=values, weights=w, log_scale=log, ax=ax, color=_POSTERIOR, lw=1.5)
        if dist is not None:
            x, y = _prior_curve(dist, *_span(values, dist, log), log)
            ax.plot(x, y, color=_PRIOR, lw=1.2, ls="-", label="prior")
        for level in (0.05, 0.5, 0.95):
            ax.axvline(q.loc[key, level], color=_POSTERIOR, lw=0.9, ls="--" if level != 0.5 else "-")
        if truth and key in truth:
            ax.axvline(truth[key], color=_TRUTH, lw=1.5, label="truth")
        ax.set_title(key, fontsize=10)
        ax.set_xlabel("")
        ax.set_ylabel("density" + (" per log10 unit" if log else ""))
    for ax in axes.flat[len(keys) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=8, frameon=False)
    fig.suptitle(
        f"posterior (ESS {posterior.ess:.0f}) and prior; lines: median and 90% interval", fontsize=10
    )
    fig.tight_layout()
    return fig


def plot_pairs(
    posterior: Posterior,
    keys: Sequence[str] | None = None,
    priors: Mapping | None = None,
    truth: Mapping[str, float] | None = None,
) -> Figure:
    """Pair plot: weighted histograms on the diagonal; below it, particles as points
    (area proportional to weight) under weighted KDE contours. Shows posterior
    correlations, which a posterior file keeps and independent priors do not."""
    keys = list(keys or posterior.keys)
    priors = dict(priors) if priors is not None else posterior.prior_distributions()
    k = len(keys)
    # a column shares its x axis: the diagonal's histogram lines up with the points below
    fig, axes = plt.subplots(k, k, figsize=(2.6 * k + 0.6, 2.6 * k + 0.4), squeeze=False, sharex="col")
    w = posterior.weights
    size = 6 + 60 * w / w.max()
    logs = {key: key in priors and _log_axis(priors[key]) for key in keys}
    for i, yk in enumerate(keys):
        for j, xk in enumerate(keys):
            ax = axes[i, j]
            x = posterior.particles[xk].to_numpy(dtype=float)
            if j > i:
                ax.set_visible(False)
                continue
            if i == j:
                sns.histplot(
                    x=x, weights=w, stat="density", bins=20, log_scale=logs[xk], ax=ax,
                    color=_POSTERIOR, alpha=0.5, edgecolor="none",
                )  # fmt: skip
                ax.set_ylabel("")
            else:
                y = posterior.particles[yk].to_numpy(dtype=float)
                ax.scatter(x, y, s=size, color=_POSTERIOR, alpha=0.35, linewidths=0)
                if np.ptp(x) > 0 and np.ptp(y) > 0 and len(x) >= 5:
                    sns.kdeplot(
                        x=x, y=y, weights=w, levels=4, ax=ax, color="C1", linewidths=0.8,
                        log_scale=(logs[xk], logs[yk]),
                    )  # fmt: skip
                if logs[xk]:
                    ax.set_xscale("log")
                if logs[yk]:
                    ax.set_yscale("log")
                if truth and xk in truth and yk in truth:
                    ax.plot([truth[xk]], [truth[yk]], marker="*", ms=11, color=_TRUTH, ls="none")
                ax.set_ylabel(yk if j == 0 else "", fontsize=8)
            ax.set_xlabel(xk if i == k - 1 else "", fontsize=8)
            ax.tick_params(labelsize=7)
            for axis, is_log in ((ax.xaxis, logs[xk]), (ax.yaxis, i != j and logs[yk])):
                if is_log:  # decades only: minor labels on a log axis overlap
                    axis.set_minor_formatter(NullFormatter())
    fig.tight_layout()
    return fig


def plot_generations(posterior: Posterior) -> Figure:
    """Per generation: the distance threshold (epsilon) and the acceptance rate."""
    g = posterior.generations
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8, 3.2))
    a1.plot(g["generation"], g["epsilon"], marker="o", color=_POSTERIOR)
    a1.set_xlabel("generation")
    a1.set_ylabel("epsilon (scaled distance)")
    a2.plot(g["generation"], g["acceptance_rate"], marker="o", color="C1")
    a2.set_xlabel("generation")
    a2.set_ylabel("acceptance rate")
    a2.set_ylim(0, 1.05)
    fig.suptitle(f"{posterior.simulations} simulations, stopped by {posterior.stopped}", fontsize=10)
    fig.tight_layout()
    return fig
