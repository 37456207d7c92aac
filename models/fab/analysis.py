"""Fab analyses that need several runs: the operating curve (cycle time against load).

Example::

    from models.fab.analysis import operating_curve
    from models.fab.plots import plot_operating_curve
    curve = operating_curve("fab_shared_line", loads=[0.6, 0.8, 0.9, 0.95], years=1, reps=2)
    plot_operating_curve(curve).savefig("operating_curve_load.png")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim import runner
from sim.options import RunOptions
from sim.units import DAYS_PER_YEAR

from .simulate import PRODUCTION


def operating_curve(
    scenario: str = "fab_shared_line",
    loads: Sequence[float] = (0.6, 0.7, 0.8, 0.9, 0.95),
    fab: str | None = None,
    years: float = 1.0,
    reps: int = 2,
    seed: int | None = None,
    warmup_days: float = 90.0,
    overrides: Mapping[str, Any] | None = None,
    options: RunOptions | None = None,
) -> pd.DataFrame:
    """Run ``scenario`` at each production load of ``fab`` (default: its first fab).

    Returns one row per (load, rep, lots) where ``lots`` is ``"production"`` or
    a team: ``x_factor`` (mean cycle time / raw process time of lots finished
    after ``warmup_days``), ``cycle_days`` and, for teams, ``lots_per_year``
    (experimental lots finished per year after the warm-up: learning cycles).
    Replications use the same seeds at every load (common random numbers).
    """
    options = (options or RunOptions()).replace(progress=False)
    params = runner.resolve(scenario, overrides=overrides)
    fab = fab or next(iter(params.fabs))
    rows = []
    for load in loads:
        over = {**dict(overrides or {}), f"fabs.{fab}.load": float(load)}
        res = runner.run(params, reps=reps, seed=seed, years=years, overrides=over, options=options)
        fabs = res.tables["fabs"]
        f = fabs[(fabs["fab"] == fab) & (fabs["t_days"] > warmup_days) & (fabs["production_out"] > 0)]
        for rep, g in f.groupby("rep"):
            w = g["production_out"].to_numpy(float)
            rows.append(
                (
                    load,
                    rep,
                    PRODUCTION,
                    float(np.average(g["production_x_factor"], weights=w)),
                    float(np.average(g["production_cycle_days"], weights=w)),
                    np.nan,
                )
            )
        ev = res.events
        ev = ev[(ev["kind"] == "experimental") & (ev["fab"] == fab) & (ev["t_days"] > warmup_days)]
        span_years = (res.summary["years"] * DAYS_PER_YEAR - warmup_days) / DAYS_PER_YEAR
        traj = res.trajectories
        for (rep, team), g in ev.groupby(["rep", "team"]):
            t = traj[(traj["rep"] == rep) & (traj["team"] == team) & (traj["t_days"] > warmup_days)]
            rows.append(
                (
                    load,
                    rep,
                    team,
                    float(t["x_factor"].mean()),
                    float(g["duration_days"].mean()),
                    len(g) / span_years,
                )
            )
    return pd.DataFrame(rows, columns=["load", "rep", "lots", "x_factor", "cycle_days", "lots_per_year"])
