"""Stand a scenario beside its record: the backtest (DESIGN §3.6).

A scenario is a hypothesis about the world; the record since its start date
tests it. A model that has a record gives the engine a :class:`Backtest`
(:meth:`sim.Model.backtest`): the observed value of each check, and the same
checks computed by the same code on each simulated replication.
:func:`run_backtest` runs the scenario to the record's cut-off, sets every
observed value against the simulated 5-95% band across replications, and
scores the scenario by the share of checks inside it (``coverage_90``).

The band is across replications, so it holds the simulation's aleatory spread
and, when the scenario has ``[uncertain]`` parameters, their spread too. With
about a dozen checks, a perfect model's coverage is itself noisy: its expected
value is 0.9, and below about 0.6 the misses point to the model, not to chance.
"""

from __future__ import annotations

import abc
import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import registry, runner
from .options import RunOptions
from .units import DAYS_PER_YEAR
from .validation import ScenarioError

__all__ = ["Backtest", "BacktestResult", "run_backtest", "backtest_table", "write_backtest"]

#: The band a check's observed value is tested against: central 90% across replications.
BAND = (0.05, 0.95)


class Backtest(abc.ABC):
    """A model's record for a scenario, and its checks (see :meth:`sim.Model.backtest`).

    Attributes
    ----------
    until : datetime.date
        The record's cut-off: nothing after it is used.
    descriptions : dict of check name -> one line (with units)
    """

    until: dt.date
    descriptions: dict[str, str]

    @abc.abstractmethod
    def observed(self) -> dict[str, float]:
        """Each check's value on the record."""

    @abc.abstractmethod
    def simulated(self, results) -> pd.DataFrame:
        """Each check per replication of a run (:class:`~sim.results.Results`): a ``rep``
        column, then one column per check."""

    @abc.abstractmethod
    def stats(self, params, out) -> dict[str, float]:
        """The checks of one replication's raw output (:class:`~sim.model.SimOutput`), for
        calibration; finite numbers (censored where undefined)."""

    def figure(self, results, observed_staircase: bool = True):
        """The record drawn over the simulated bands (a matplotlib Figure), or None."""
        return None


@dataclass
class BacktestResult:
    """What :func:`run_backtest` returns: the checks, per-replication values, the run."""

    scenario: str
    until: dt.date
    checks: pd.DataFrame  # name, observed, simulated_median, simulated_p05, simulated_p95, inside_90
    simulated: pd.DataFrame  # rep, one column per check
    results: Any
    figure: Any = None

    @property
    def coverage_90(self) -> float:
        """Share of the checks (with an observed and a simulated value) inside the 90% band."""
        ok = self.checks.dropna(subset=["observed", "simulated_median"])
        return float(ok["inside_90"].mean()) if len(ok) else math.nan

    def to_json(self) -> dict:
        """``backtest.json``: every check and the coverage."""
        rows = json.loads(self.checks.to_json(orient="records"))
        return {
            "scenario": self.scenario,
            "until": str(self.until),
            "reps": int(self.simulated["rep"].nunique()),
            "band": list(BAND),
            "checks": rows,
            "coverage_90": self.coverage_90,
        }


def backtest_of(params) -> Backtest:
    """The model's backtest of ``params``, or one error line if it has none."""
    bt = registry.get_model(params.model).backtest(params)
    if bt is None:
        raise ScenarioError(
            f"backtest: scenario {params.name!r} has no record to stand beside (its model gives no backtest)"
        )
    return bt


def backtest_table(observed: Mapping[str, float], simulated: pd.DataFrame, descriptions=None) -> pd.DataFrame:
    """One row per check: observed, the simulated median and 5-95% band, inside it or not."""
    rows = []
    for name, obs in observed.items():
        v = simulated[name].astype(float) if name in simulated else pd.Series(dtype=float)
        v = v[np.isfinite(v)]
        lo, med, hi = (float(v.quantile(q)) for q in (BAND[0], 0.5, BAND[1])) if len(v) else (math.nan,) * 3
        inside = bool(lo <= obs <= hi) if math.isfinite(obs) and len(v) else False
        rows.append(
            {
                "name": name,
                "description": (descriptions or {}).get(name, ""),
                "observed": float(obs),
                "simulated_median": med,
                "simulated_p05": lo,
                "simulated_p95": hi,
                "inside_90": inside,
            }
        )
    return pd.DataFrame(rows)


def run_backtest(
    scenario=None,
    *,
    until: dt.date | str | None = None,
    reps: int | None = None,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    options: RunOptions | None = None,
) -> BacktestResult:
    """Run ``scenario`` to its record's cut-off and compute every check on the record and on
    each replication with the same code.

    ``until`` (a date, ``YYYY-MM-DD``) moves the cut-off earlier; it may not pass the
    record's own. ``options.out`` is not used here: :func:`write_backtest` writes.
    """
    options = options or RunOptions()
    if options.out is not None:
        raise ScenarioError("out: a backtest keeps its run in memory; give the folder to write_backtest")
    over = dict(overrides or {})
    if until is not None:
        over["backtest.until"] = str(until)
    params = runner.resolve(scenario, reps, seed, None, over)
    bt = backtest_of(params)
    days = (bt.until - params.start_date).days
    if days <= 0:
        raise ScenarioError(
            f"until: {bt.until} is not allowed: it must come after the start {params.start_date}"
        )
    results = runner.run(params, years=days / DAYS_PER_YEAR, options=options)
    simulated = bt.simulated(results)
    checks = backtest_table(bt.observed(), simulated, bt.descriptions)
    return BacktestResult(params.name, bt.until, checks, simulated, results, bt.figure(results))


def format_backtest(res: BacktestResult) -> str:
    """The printed table: each check's observed value against the simulated median and band."""
    lines = [
        f"{res.scenario}: backtest to {res.until}, {res.simulated['rep'].nunique()} reps; "
        f"observed against the simulated median [5%, 95%]",
    ]
    width = max(len(n) for n in res.checks["name"])
    for _, r in res.checks.iterrows():
        mark = "inside" if r["inside_90"] else "MISS"
        lines.append(
            f"  {r['name']:<{width}}  {r['observed']:8.2f}  {r['simulated_median']:8.2f} "
            f"[{r['simulated_p05']:7.2f}, {r['simulated_p95']:7.2f}]  {mark}"
        )
    lines.append(f"coverage_90: {res.coverage_90:.0%} of {len(res.checks)} checks inside the 90% band")
    return "\n".join(lines)


def write_backtest(res: BacktestResult, out, figures: bool = True) -> list[str]:
    """``backtest.json``, ``backtest_checks.parquet`` (per replication) and ``backtest.png``."""
    from .plots import save_figure

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "backtest.json.tmp"
    tmp.write_text(json.dumps(res.to_json(), indent=1))
    tmp.replace(out / "backtest.json")
    res.simulated.to_parquet(out / "backtest_checks.parquet", index=False)
    names = ["backtest.json", "backtest_checks.parquet"]
    if figures and res.figure is not None:
        save_figure(res.figure, out / "backtest.png")
        names.append("backtest.png")
    return names
