"""Results of a run: tidy DataFrames, headline figures, plots, save and load."""
from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd

from . import gap as gap_mod
from . import plots
from .budget import DAYS_PER_YEAR
from .trajectory import on_grid

FILES = ("events.parquet", "trajectories.parquet", "gap.parquet", "summary.json")


def package_version() -> str:
    try:
        return version("rdgap")
    except PackageNotFoundError:  # running from a source tree
        return "0+unknown"


class Results:
    """The tables of one run.

    Attributes
    ----------
    events : DataFrame, one row per run, release or absorbed lesson
    trajectories : DataFrame, team state on the grid (``rep, t_days, team,
        capability`` = public best, ``internal_capability, measured_capability,
        spend_usd`` cumulative US$, ...)
    gap : DataFrame, per follower and grid time (``rep, t_days, follower,
        leader, capability_gap, months_behind, months_behind_flag, cost_ratio``)
    staircase : DataFrame, public-best changes incl. the leader's history
    summary : dict, scenario, seed, reps, version, params and headline figures
    """

    def __init__(self, events, trajectories, gap, staircase, summary):
        self.events, self.trajectories, self.gap = events, trajectories, gap
        self.staircase, self.summary = staircase, summary

    @property
    def start_date(self) -> str:
        return self.summary["start_date"]

    def headline(self) -> pd.DataFrame:
        """Per follower: months behind at start and end (median, 90% interval), share widened."""
        return pd.DataFrame(self.summary["followers"]).set_index("follower")

    def milestones(self) -> pd.DataFrame:
        h = pd.DataFrame(self.summary["history"], columns=["team", "t_days", "capability", "label"])
        return h[h["team"] == self.summary["leader"]][["t_days", "capability", "label"]]

    def plot_gap(self, ax=None):
        """Months behind over time per follower (median, 50% and 90% bands)."""
        return plots.plot_gap(self.gap, start_date=self.start_date, ax=ax)

    def plot_capability(self, ax=None):
        """Public capability per team over time, the leader's milestones marked."""
        return plots.plot_capability(self.trajectories, milestones=self.milestones(),
                                     start_date=self.start_date, ax=ax)

    def save(self, out_dir, figures: bool = True) -> Path:
        """Write the tables, ``summary.json`` and (optionally) ``gap.png``, ``capability.png``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        self.events.to_parquet(out / "events.parquet", index=False)
        self.trajectories.to_parquet(out / "trajectories.parquet", index=False)
        self.gap.to_parquet(out / "gap.parquet", index=False)
        self.staircase.to_parquet(out / "staircase.parquet", index=False)
        (out / "summary.json").write_text(json.dumps(self.summary, indent=2, default=str))
        if figures:
            plots.save_figure(self.plot_gap(), out / "gap.png")
            plots.save_figure(self.plot_capability(), out / "capability.png")
        return out


def load_results(out_dir) -> Results:
    """Read what :meth:`Results.save` wrote."""
    d = Path(out_dir)
    missing = [f for f in FILES if not (d / f).is_file()]
    if missing:
        raise FileNotFoundError(f"{d}: not a results folder, missing {', '.join(missing)}")
    read = lambda f: pd.read_parquet(d / f)  # noqa: E731
    return Results(read("events.parquet"), read("trajectories.parquet"), read("gap.parquet"),
                   read("staircase.parquet"), json.loads((d / "summary.json").read_text()))


def _frame(parts, rows_key, cols_key) -> pd.DataFrame:
    rows = [r for p in parts for r in p[rows_key]]
    return pd.DataFrame.from_records(rows, columns=list(parts[0][cols_key]))


def build_results(params, parts: list[dict]) -> Results:
    """Turn the replications' rows into tables, gap metrics and a summary."""
    events = _frame(parts, "events", "event_columns")
    states = _frame(parts, "states", "state_columns")
    history = parts[0]["history"]
    horizon = params.years * DAYS_PER_YEAR
    grid = np.arange(0.0, horizon + 1e-9, params.run.grid_days)
    trajectories = on_grid(states.drop_duplicates(["rep", "team", "t_days"], keep="last"), grid)
    hist = pd.DataFrame(
        [(rep, team, t, c) for rep in range(params.run.reps) for team, t, c, _ in history],
        columns=["rep", "team", "t_days", "capability"])
    staircase = pd.concat([hist, states[["rep", "team", "t_days", "capability"]]], ignore_index=True)
    staircase = staircase.sort_values(["rep", "team", "t_days"], kind="stable").reset_index(drop=True)
    spend = states[["rep", "team", "t_days", "spend_usd"]]
    gap = gap_mod.gap_table(staircase, grid, params.leader, spend=spend)
    followers = gap_mod.summarise(gap)
    summary = {
        "scenario": params.name, "model": params.model, "seed": params.run.seed,
        "reps": params.run.reps, "years": params.years, "start_date": str(params.start_date),
        "leader": params.leader, "version": package_version(),
        "params": params.model_dump(mode="json"),
        "history": [list(h) for h in history],
        "followers": json.loads(followers.to_json(orient="records")),
    }
    return Results(events, trajectories, gap, staircase, summary)
