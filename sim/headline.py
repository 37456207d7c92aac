"""The headline metric, per-replication figures, confidence intervals and the
stopping rule for ``--reps auto``.

Headline metric
---------------
**Months behind at year Y** (default Y = 5): for each follower and
replication, the mean of ``months_behind`` over the grid points in the six
months before year Y, months ``[12 Y - 6, 12 Y)`` (for Y = 5, months 54-60).
A window mean rather than one date, because months behind is a staircase that
rises one month per month between releases (DESIGN §3.5). When the horizon is
shorter than Y years the window is the last six months of the horizon.
Undefined months behind (NaN, flagged in the gap table) are ignored; a
replication with none defined in the window has a NaN headline and is left
out of means and intervals.

Confidence intervals
--------------------
Means across replications carry a 95% Student-t interval,
``mean +- t(0.975, n-1) * sd / sqrt(n)``; shares (share of replications whose
gap widened) carry a 95% Wilson score interval. These are intervals for the
*expected* value over replications, unlike the 5%-95% ranges across
replications that the headline table also shows.

Stopping rule (``--reps auto --ci 0.05``)
-----------------------------------------
Replications run in batches in rep order (``batch`` reps; by default
``max_reps // 16`` capped at 10, so 10 for the default ``--max-reps 1000``).
After each batch, once at least ``min_reps`` (default 20) are in, the run stops
if for *every* follower the 95% half-width of the headline mean is at most
``ci`` times the absolute mean. The rule is evaluated at every batch boundary
in rep order, so the final count does not depend on the executor or the
number of workers, and the tables equal those of a fixed ``--reps`` run with
that count (rep r always uses ``Streams(seed, r)``). At ``--max-reps`` the run
stops unconverged and says so.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from . import gap as gap_mod

DEFAULT_AT_YEAR = 5.0
WINDOW_MONTHS = 6.0
METRIC_COLUMNS = [
    "rep",
    "follower",
    "start_months",
    "end_months",
    "early_months",
    "late_months",
    "widened",
    "headline_months",
]


def headline_window(years: float, at_year: float = DEFAULT_AT_YEAR) -> tuple[float, float]:
    """(start_month, end_month) of the headline window for a horizon of ``years``."""
    end = min(12.0 * at_year, 12.0 * years)
    return max(0.0, end - WINDOW_MONTHS), end


def headline_label(years: float, at_year: float = DEFAULT_AT_YEAR) -> str:
    """The headline metric in words, e.g. ``months behind, mean over months 54-60``."""
    lo, hi = headline_window(years, at_year)
    return f"months behind, mean over months {lo:g}-{hi:g}"


_EMPTY_DTYPES = {"rep": "int64", "follower": object, "widened": bool}


def rep_metrics(
    gap: pd.DataFrame,
    years: float,
    at_year: float = DEFAULT_AT_YEAR,
    column: str = "months_behind",
    frontier: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per (rep, follower): months behind at the first and last grid point, the
    early (months 6-12) and late (last 12 months) window means and whether it
    widened (as :func:`sim.gap.widened`), and the headline metric: the mean of the
    gap table's ``column`` (the model's :class:`~sim.model.Headline`) over the
    headline window. With the ``frontier`` table (:func:`sim.results.frontier_table`):
    the follower's ``share_on_top`` (of grid times), and per rep the leader's
    ``leader_share_on_top`` and the ``top_team_changes``.

    Small (reps x followers rows): this is what the parent process keeps while
    the big tables stream to disk.
    """
    key = ["rep", "follower"]
    if gap.empty:  # a leader-only run (e.g. a production fab with no R&D team): no followers
        cols = METRIC_COLUMNS + (
            ["share_on_top", "leader_share_on_top", "top_team_changes"] if frontier is not None else []
        )
        return pd.DataFrame({c: pd.Series(dtype=_EMPTY_DTYPES.get(c, float)) for c in cols})
    t = gap["t_days"].to_numpy(dtype=float)
    t0, t1 = np.nanmin(t), np.nanmax(t)

    def at(tt, name):
        g = gap.loc[gap["t_days"] == tt, key + ["months_behind"]]
        return g.rename(columns={"months_behind": name})

    w = gap_mod.widened(gap).rename(columns={"early": "early_months", "late": "late_months"})
    lo, hi = headline_window(years, at_year)
    h = gap_mod.window_mean(gap, lo, hi, value=column).rename(columns={column: "headline_months"})
    out = (
        w.merge(at(t0, "start_months"), on=key, how="left")
        .merge(at(t1, "end_months"), on=key, how="left")
        .merge(h, on=key, how="left")
    )
    out["rep"] = out["rep"].astype("int64")
    out["follower"] = out["follower"].astype(str)
    for c in METRIC_COLUMNS[2:]:
        if c != "widened":
            out[c] = out[c].astype(float)
    out = out[METRIC_COLUMNS].sort_values(key, kind="stable").reset_index(drop=True)
    if frontier is not None:
        out = out.merge(_top_metrics(frontier, gap), on=key, how="left")
    return out


def _top_metrics(frontier: pd.DataFrame, gap: pd.DataFrame) -> pd.DataFrame:
    """share_on_top per (rep, follower); leader_share_on_top and top_team_changes per rep."""
    f = frontier.assign(team=frontier["team"].astype(str))
    share = f.groupby(["rep", "team"], observed=True)["on_top"].mean().rename("share_on_top").reset_index()
    leader = str(gap["leader"].iloc[0]) if len(gap) else ""
    lead = share[share["team"] == leader][["rep", "share_on_top"]].rename(
        columns={"share_on_top": "leader_share_on_top"}
    )
    tops = f[f["on_top"]].sort_values(["rep", "t_days"], kind="stable")
    changes = (
        tops.groupby("rep")["team"]
        .agg(lambda s: int((s.to_numpy()[1:] != s.to_numpy()[:-1]).sum()))
        .rename("top_team_changes")
        .reset_index()
    )
    out = share.rename(columns={"team": "follower"}).merge(lead, on="rep", how="left")
    out = out.merge(changes, on="rep", how="left")
    out["top_team_changes"] = out["top_team_changes"].fillna(0).astype(float)
    return out[out["follower"] != leader].astype({"rep": "int64", "follower": str})


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float, int]:
    """(mean, lo, hi, n) of the finite values: Student-t interval for the mean."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = v.size
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    m = float(v.mean())
    if n == 1:
        return m, math.nan, math.nan, 1
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * v.std(ddof=1) / math.sqrt(n))
    return m, m - half, m + half, n


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a share k/n."""
    if n == 0:
        return math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return mid - half, mid + half


def _qname(q: float) -> str:
    """Column suffix of a quantile: 0.5 -> ``median``, 0.05 -> ``q05``."""
    if np.isclose(q, 0.5):
        return "median"
    pct = q * 100
    if np.isclose(pct, round(pct)):
        return f"q{int(round(pct)):02d}"
    return f"q{pct:g}".replace(".", "_")


def summarise_metrics(metrics: pd.DataFrame, quantiles=(0.05, 0.5, 0.95), by=("follower",)) -> pd.DataFrame:
    """One row per follower (per ``by`` group, e.g. ``("point", "follower")`` for a
    sweep), from :func:`rep_metrics` rows of all replications: the one summary of
    replications that runs, sweeps and comparisons print.

    Columns: ``start_*``, ``end_*`` quantiles of months behind across reps and
    ``*_defined`` (reps where it is defined), ``share_widened``, ``reps``, and
    95% confidence intervals: ``headline_mean/_lo/_hi``, ``headline_sd`` and
    ``headline_defined`` (the headline metric), ``end_mean/_lo/_hi`` (months
    behind at the horizon) and ``share_widened_lo/_hi`` (Wilson).
    """
    qs = list(quantiles)
    by = list(by)
    rows = []
    for key, g in metrics.groupby(by, sort=True, observed=True):
        row: dict = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        row["follower"] = str(row["follower"])
        for tag in ("start", "end"):
            v = g[f"{tag}_months"].astype(float)
            qv = v.quantile(qs) if v.notna().any() else pd.Series(np.nan, index=qs)
            for q in qs:
                row[f"{tag}_{_qname(q)}"] = float(qv.loc[q])
            row[f"{tag}_defined"] = int(v.notna().sum())
        both = g["early_months"].notna() & g["late_months"].notna()
        k, n = int(g.loc[both, "widened"].sum()), int(both.sum())
        row["share_widened"] = k / n if n else np.nan
        row["reps"] = int(g["rep"].nunique())
        m, lo, hi, nd = mean_ci(g["headline_months"])
        row.update(headline_mean=m, headline_lo=lo, headline_hi=hi, headline_defined=nd)
        row["headline_sd"] = float(g["headline_months"].astype(float).std(ddof=1)) if nd > 1 else math.nan
        m, lo, hi, _ = mean_ci(g["end_months"])
        row.update(end_mean=m, end_lo=lo, end_hi=hi)
        for c in ("share_on_top", "leader_share_on_top", "top_team_changes"):
            if c in g:
                row[f"{c}_mean"] = float(g[c].mean())
        row["share_widened_lo"], row["share_widened_hi"] = wilson(k, n)
        rows.append(row)
    return pd.DataFrame(rows)


def relative_half_width(metrics: pd.DataFrame) -> dict[str, float]:
    """Per follower: 95% half-width of the headline mean over |mean| (inf if undefined)."""
    out = {}
    for fol, g in metrics.groupby("follower", sort=True):
        m, lo, hi, n = mean_ci(g["headline_months"])
        out[str(fol)] = (hi - lo) / 2 / abs(m) if n > 1 and m != 0 and np.isfinite(hi) else math.inf
    return out


def converged(metrics: pd.DataFrame, ci: float) -> bool:
    """The stopping rule: every follower's relative half-width <= ``ci``."""
    rel = relative_half_width(metrics)
    return bool(rel) and all(r <= ci for r in rel.values())
