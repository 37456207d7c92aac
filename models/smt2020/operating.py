"""The operating curve of the SMT2020 fab: flow factor against load (start rate).

Example::

    from models.smt2020.operating import operating_curve
    from models.smt2020.plots import operating_curve_figure
    points = operating_curve("smt2020", rates=(0.7, 0.85, 1.0), years=1, reps=1)
    operating_curve_figure(points).savefig("operating_curve.png")

A sweep of ``start_rate`` (``python -m sim sweep smt2020 --vary start_rate=...``) draws the
same figure from its store (:meth:`models.smt2020.Smt2020Model.sweep_figures`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim import runner
from sim.options import RunOptions
from sim.units import DAYS_PER_YEAR

from .fidelity import flow_sample


def curve_points(lots: pd.DataFrame, tool_groups: pd.DataFrame, days: float, keys=("rep",)) -> pd.DataFrame:
    """Per group of ``keys`` (e.g. sweep point and rep): the median flow factor of the
    lots of :func:`~models.smt2020.fidelity.flow_sample` (regular production lots released
    from day 0 to 90 days before the end of a run of ``days``), and the bottleneck's
    utilisation (the busiest non-Delay tool group, share of its available time)."""
    keys = list(keys)
    reg = flow_sample(lots, days)
    ff = (reg["cycle_time_days"] / reg["raw_process_days"]).groupby([reg[k] for k in keys]).median()
    work = tool_groups[tool_groups["area"].astype(str) != "Delay"]
    top = work.groupby(keys)["utilisation"].max()
    return pd.concat([ff.rename("flow_factor"), top.rename("bottleneck_utilisation")], axis=1).reset_index()


def operating_curve(
    scenario: str = "smt2020",
    rates: Sequence[float] = (0.6, 0.7, 0.8, 0.9, 0.95, 1.0),
    years: float = 1.0,
    reps: int = 1,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    options: RunOptions | None = None,
) -> pd.DataFrame:
    """Run ``scenario`` at each start rate (share of nominal); one row per (rate, rep):
    ``start_rate, rep, flow_factor, bottleneck_utilisation``."""
    frames = []
    for rate in rates:
        res = runner.run(
            scenario,
            reps=reps,
            seed=seed,
            years=years,
            overrides={**(overrides or {}), "start_rate": rate},
            options=options,
        )
        pts = curve_points(res.tables["lots"], res.tables["tool_groups"], res.params.years * DAYS_PER_YEAR)
        pts.insert(0, "start_rate", float(rate))
        frames.append(pts)
    return pd.concat(frames, ignore_index=True).astype({"rep": np.int64})
