"""The dispatch trade-off of R&D on a shared line: how fast engineering lots learn against
what they cost production.

Runs a scenario with R&D teams (``smt2020_rnd``) under each engineering-lot policy, with the
same seed (common random numbers: the same failure modes, breakdowns and releases), and
measures per policy

* how fast each team's yield rises: months until its expected line yield first reaches
  ``world.target_yield`` (NaN when it does not within the horizon), and its yield at the end;
* what it costs production: the median cycle time (days) and flow factor of regular
  production lots, and production throughput (lots per day);
* the engineering lots' own median flow factor and lots finished per day (the pace of
  learning).

Example::

    from models.smt2020.tradeoff import dispatch_tradeoff
    table = dispatch_tradeoff("smt2020_rnd", reps=2, years=1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim import runner
from sim.options import RunOptions
from sim.units import DAYS_PER_MONTH, DAYS_PER_YEAR

from .fidelity import flow_sample

POLICIES: dict[str, dict[str, Any]] = {
    "engineering_first": {"engineering.policy": "engineering_first"},
    "share_25pct": {"engineering.policy": "share", "engineering.share": 0.25},
    "production_first": {"engineering.policy": "production_first"},
}


def months_to_target(trajectories: pd.DataFrame, target: float) -> pd.DataFrame:
    """Per (rep, team): months from the start until the expected line yield first reaches
    ``target`` (NaN if never), and the yield at the last grid point."""
    rows = []
    tr = trajectories.assign(team=trajectories["team"].astype(str))
    for (rep, team), g in tr.groupby(["rep", "team"], sort=True):
        g = g.sort_values("t_days")
        hit = g.loc[g["line_yield"] >= target, "t_days"]
        rows.append(
            {
                "rep": int(rep),
                "team": team,
                "months_to_target": float(hit.iloc[0]) / DAYS_PER_MONTH if len(hit) else np.nan,
                "final_yield": float(g["line_yield"].iloc[-1]),
            }
        )
    return pd.DataFrame(rows)


def production_cost(lots: pd.DataFrame, days: float) -> pd.DataFrame:
    """Per rep: regular production lots' median cycle time (days) and flow factor (the lots
    of :func:`~models.smt2020.fidelity.flow_sample`), production lots finished per day, and
    the median flow factor of the engineering lots that finished and their number per day."""
    prod = lots[~lots["engineering"].astype(bool)]
    reg = flow_sample(lots, days)
    reg = reg.assign(ff=reg["cycle_time_days"] / reg["raw_process_days"])
    g = reg.groupby("rep")
    out = pd.DataFrame(
        {
            "production_cycle_days": g["cycle_time_days"].median(),
            "production_flow_factor": g["ff"].median(),
        }
    )
    out["production_lots_per_day"] = prod.groupby("rep").size() / days
    eng = lots[lots["engineering"].astype(bool)]
    eng = eng.assign(ff=eng["cycle_time_days"] / eng["raw_process_days"])
    out["engineering_flow_factor"] = eng.groupby("rep")["ff"].median()
    out["engineering_lots_per_day"] = eng.groupby("rep").size() / days
    return out.reset_index()


def dispatch_tradeoff(
    scenario: str = "smt2020_rnd",
    policies: Mapping[str, Mapping[str, Any]] | None = None,
    reps: int | None = None,
    seed: int | None = None,
    years: float | None = None,
    overrides: Mapping[str, Any] | None = None,
    options: RunOptions | None = None,
) -> pd.DataFrame:
    """One row per (policy, team): median months to the target yield (and how many reps
    reached it), final yield, and production's cycle time, flow factor and throughput.

    ``policies`` maps a label to parameter overrides (default :data:`POLICIES`).
    """
    rows = []
    for label, over in (policies or POLICIES).items():
        res = runner.run(
            scenario,
            reps=reps,
            seed=seed,
            years=years,
            overrides={**(overrides or {}), **over},
            options=options,
        )
        p = res.params
        ramp = months_to_target(res.trajectories, p.world.target_yield)
        cost = production_cost(res.tables["lots"], p.years * DAYS_PER_YEAR)
        for team, g in ramp.groupby("team", sort=False):
            rows.append(
                {
                    "policy": label,
                    "team": team,
                    "reps": len(g),
                    "reached_target": int(g["months_to_target"].notna().sum()),
                    "months_to_target": float(g["months_to_target"].median()),
                    "final_yield": float(g["final_yield"].median()),
                    **{c: float(cost[c].median()) for c in cost.columns if c != "rep"},
                }
            )
    return pd.DataFrame(rows)


def format_tradeoff(table: pd.DataFrame, columns: Sequence[str] | None = None) -> str:
    """The trade-off table as text."""
    cols = list(columns or table.columns)
    return table[cols].to_string(index=False, float_format=lambda v: f"{v:.2f}")
