"""From published scores to the simulator's capability scale (DESIGN §3.6).

The scale is log10 effective training compute at the recipe of 2022-11-30 (the
``chatgpt_race`` start): compute for a fixed result halves every 8 months (Ho et al. 2024,
anchors D and G), so a release's effective compute is

    log10(FLOP) + log10(2) * (months from 2022-11-30 to its release date) / 8

(GPT-3, 3.14e23 FLOP in 2020-05, counts about 22.4). The release date stands in for the
training recipe's date, which is rarely published.

A link maps each score to that scale by ordinary least squares of effective compute on the
score, fitted on the record's rows that have both a compute estimate (not one Epoch imputed
from benchmarks, which would be circular) and the score:

- ``eci``: effective compute = a + b * ECI (linear; preferred: ECI combines many benchmarks);
- ``mmlu``: effective compute = a + b * logit((MMLU - 0.25) / 0.75), the logistic of the
  score's range above chance (four choices) as in the simulator's benchmark score
  (:mod:`models.llm.score`); MMLU at or below chance is left out;
- ``arena_elo``: effective compute = a + b * Elo (linear).

Because each fit regresses the scale on the score, it predicts the mean effective compute of
models with that score; its residual spread (RMSE, orders of magnitude) is the uncertainty of
one model's observed capability. Every release then gets an observed ``capability`` from the
first of ECI, MMLU, Arena Elo that it has, else its own effective compute, and a
``capability_source`` saying which (``none`` when it has nothing).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sim.gap import DAYS_PER_MONTH
from sim.scenario import ScenarioError

__all__ = [
    "REFERENCE_DATE",
    "HALVING_MONTHS",
    "SCORES",
    "LinkFit",
    "months_from_reference",
    "effective_compute",
    "mmlu_logit",
    "fit_links",
    "link_table",
    "observed_capability",
    "plot_links",
]

REFERENCE_DATE = pd.Timestamp("2022-11-30")
HALVING_MONTHS = 8.0  # Ho et al. 2024, 95% CI 5-14 months (anchors G)
SCORES = ("eci", "mmlu", "arena_elo")  # order of preference
_CHANCE, _SPAN = 0.25, 0.75  # MMLU: four choices


def months_from_reference(dates) -> np.ndarray:
    """Months (of 365.25/12 days) from 2022-11-30 to each date; negative before it."""
    d = pd.to_datetime(pd.Series(np.asarray(dates).ravel()))
    return ((d - REFERENCE_DATE).dt.days.to_numpy(dtype=float)) / DAYS_PER_MONTH


def effective_compute(flop, dates, halving_months: float = HALVING_MONTHS) -> np.ndarray:
    """log10 effective compute (FLOP at the 2022-11-30 recipe) of releases with training
    compute ``flop`` (FLOP) released on ``dates``; NaN where compute is unknown."""
    f = np.asarray(flop, dtype=float).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        logf = np.where(f > 0, np.log10(np.where(f > 0, f, 1.0)), np.nan)
    return logf + math.log10(2.0) * months_from_reference(dates) / halving_months


def mmlu_logit(mmlu) -> np.ndarray:
    """logit((MMLU - 0.25) / 0.75); NaN at or below chance and at 1."""
    m = np.asarray(mmlu, dtype=float)
    p = (m - _CHANCE) / _SPAN
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(p / (1.0 - p))
    return np.where((p > 0) & (p < 1), out, np.nan)


def _transform(score: str, values) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return mmlu_logit(v) if score == "mmlu" else v


@dataclass(frozen=True)
class LinkFit:
    """A fitted link: capability (log10 effective FLOP) = intercept + slope * x, where x is
    the score (ECI, Arena Elo) or logit((MMLU - 0.25)/0.75)."""

    score: str
    intercept: float
    slope: float
    n: int  # rows fitted
    rmse: float  # residual spread, orders of magnitude (root mean square, n - 2 dof)
    r: float  # correlation of x and effective compute

    def predict(self, values) -> np.ndarray:
        """Capability for scores ``values`` (NaN where the score is missing or invalid)."""
        return self.intercept + self.slope * _transform(self.score, values)

    def describe(self) -> str:
        """The fit in one line: the formula, rows fitted, RMSE (orders of magnitude) and r."""
        x = "logit((mmlu-0.25)/0.75)" if self.score == "mmlu" else self.score
        return (
            f"{self.score}: capability = {self.intercept:.3f} + {self.slope:.4f} * {x}; "
            f"n = {self.n}, RMSE = {self.rmse:.2f} OOM, r = {self.r:.2f}"
        )


def _fit_rows(record: pd.DataFrame, score: str) -> pd.DataFrame:
    """Rows usable for fitting ``score``: compute (not imputed), the score, a valid x."""
    ec = effective_compute(record["training_compute_flop"], record["date"])
    x = _transform(score, record[score])
    ok = np.isfinite(ec) & np.isfinite(x) & (record["compute_confidence"].to_numpy() != "imputed")
    out = record.loc[ok].copy()
    out["x"] = x[ok]
    out["effective_compute"] = ec[ok]
    return out


def _bridge_rows(record: pd.DataFrame, score: str, primary: LinkFit) -> pd.DataFrame:
    """Rows with ``score`` and the primary score: x, and the primary link's capability as target."""
    x = _transform(score, record[score])
    target = primary.predict(record[primary.score])
    ok = np.isfinite(x) & np.isfinite(target)
    out = record.loc[ok].copy()
    out["x"] = x[ok]
    out["effective_compute"] = target[ok]
    return out


def _fit(score: str, rows: pd.DataFrame) -> LinkFit:
    res = stats.linregress(rows["x"].to_numpy(), rows["effective_compute"].to_numpy())
    resid = rows["effective_compute"].to_numpy() - (res.intercept + res.slope * rows["x"].to_numpy())
    rmse = float(np.sqrt(np.sum(resid**2) / (len(rows) - 2)))
    return LinkFit(score, float(res.intercept), float(res.slope), len(rows), rmse, float(res.rvalue))


def fit_links(record: pd.DataFrame, bridge: bool = True) -> dict[str, LinkFit]:
    """Fit one link per score in :data:`SCORES` on ``record`` (see the module docstring).

    With ``bridge`` (the default), the preferred score (ECI) is fitted on compute and the
    others on the ECI link's capability of the rows that have both scores: one scale, on
    which a model scored by MMLU and one scored by ECI compare without the offset between two
    separate fits (fitted on compute alone, GPT-4's MMLU maps 0.3 OOM above its ECI).
    A score with fewer than 3 usable rows has no link (absent from the result).
    """
    out: dict[str, LinkFit] = {}
    for score in SCORES:
        primary = out.get(SCORES[0]) if bridge and score != SCORES[0] else None
        rows = _bridge_rows(record, score, primary) if primary is not None else _fit_rows(record, score)
        if len(rows) >= 3:
            out[score] = _fit(score, rows)
    return out


def link_table(links: dict[str, LinkFit]) -> pd.DataFrame:
    """One row per link: score, intercept, slope, n, rmse (OOM), r."""
    return pd.DataFrame(
        [
            {"score": f.score, "intercept": f.intercept, "slope": f.slope, "n": f.n, "rmse": f.rmse, "r": f.r}
            for f in links.values()
        ]
    )


def observed_capability(
    record: pd.DataFrame,
    links: dict[str, LinkFit] | None = None,
    sources: Sequence[str] = (*SCORES, "compute"),
) -> pd.DataFrame:
    """The record with ``effective_compute`` (log10 FLOP at the 2022-11-30 recipe, NaN without
    compute), ``capability`` (same scale) and ``capability_source`` added.

    ``capability`` comes from the first of ``sources`` a row has: a score's link, or
    ``"compute"`` (its own effective compute); ``capability_source`` names it, ``none`` when
    the row has none of them. The default order is ECI, MMLU, Arena Elo, compute; a subset such
    as ``("eci",)`` gives a single-score record, free of the offsets between links. ``links``
    defaults to :func:`fit_links` on ``record`` itself.
    """
    allowed = (*SCORES, "compute")
    bad = [s for s in sources if s not in allowed]
    if bad:
        raise ScenarioError(f"sources: {bad[0]!r} is not allowed: one of {', '.join(allowed)}")
    links = fit_links(record) if links is None else links
    out = record.copy()
    out["effective_compute"] = effective_compute(record["training_compute_flop"], record["date"])
    cap = np.full(len(out), np.nan)
    src = np.full(len(out), "none", dtype=object)
    for source in sources:
        if source == "compute":
            v = out["effective_compute"].to_numpy()
        elif source in links:
            v = links[source].predict(record[source])
        else:
            continue
        take = np.isnan(cap) & np.isfinite(v)
        cap[take], src[take] = v[take], source
    out["capability"] = cap
    out["capability_source"] = pd.Series(src, index=out.index).astype(str)
    return out


def plot_links(record: pd.DataFrame, links: dict[str, LinkFit] | None = None, path: str | Path | None = None):
    """Each link's fit (top: effective compute against the score, fitted line) and its
    residuals against release date (bottom), one column per score; returns the Figure and
    saves it to ``path`` when given."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    links = fit_links(record) if links is None else links
    scores = [s for s in SCORES if s in links]
    fig, axes = plt.subplots(2, len(scores), figsize=(4.6 * len(scores), 7.5), squeeze=False)
    labels = {"eci": "ECI", "mmlu": "logit((MMLU - 0.25) / 0.75)", "arena_elo": "Arena Elo"}
    # one colour per confidence and per lab across all panels
    confidence = [
        c for c in ("confident", "likely", "speculative") if (record["compute_confidence"] == c).any()
    ]
    labs = sorted(set().union(*(_fit_rows(record, s)["lab"] for s in scores))) if scores else []
    lab_colours = dict(zip(labs, sns.color_palette("husl", len(labs))))
    for j, score in enumerate(scores):
        fit, rows = links[score], _fit_rows(record, score)
        rows["residual"] = rows["effective_compute"] - fit.predict(rows[score])
        top, bottom = axes[0, j], axes[1, j]
        sns.scatterplot(
            data=rows,
            x="x",
            y="effective_compute",
            hue="compute_confidence",
            hue_order=confidence,
            ax=top,
            s=30,
        )
        xs = np.linspace(rows["x"].min(), rows["x"].max(), 50)
        top.plot(xs, fit.intercept + fit.slope * xs, color="black", lw=1.2)
        top.set(xlabel=labels[score], ylabel="log10 effective FLOP (2022-11-30 recipe)")
        top.set_title(f"{score}: n = {fit.n}, RMSE {fit.rmse:.2f} OOM", fontsize=10)
        sns.scatterplot(
            data=rows,
            x="date",
            y="residual",
            hue="lab",
            hue_order=labs,
            palette=lab_colours,
            ax=bottom,
            s=30,
            legend=j == len(scores) - 1,
        )
        bottom.axhline(0, color="black", lw=0.8)
        bottom.set(xlabel="release date", ylabel="residual (OOM)")
        bottom.tick_params(axis="x", labelrotation=30)
    if len(scores):
        leg = axes[1, -1].get_legend()
        if leg is not None:
            leg.set_bbox_to_anchor((1.02, 1.0))
            leg.set_loc("upper left")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    return fig
