"""The engine's own tables, declared once: the data contract of ``gap.parquet``,
``staircase.parquet`` and ``metrics.parquet``.

A model declares ``events`` and ``states`` (:meth:`sim.Model.schemas`); the engine
builds the rest from them (:func:`sim.results.build_tables`): ``trajectories`` is
the model's ``states`` sampled on the grid (``rep, team, t_days``, then the other
``states`` columns in order), and the schemas below describe the others. Categorical
columns hold the run's team names (and, for ``months_behind_flag``,
:data:`sim.gap.FLAGS`). ``tests/test_data_contract.py`` checks that every run's
tables have exactly these columns and dtypes, so the docs' tables are the files'.
"""

from __future__ import annotations

from .recorder import Column, Schema

__all__ = ["GAP", "STAIRCASE", "METRICS", "TRAJECTORY_KEYS"]

#: The columns ``trajectories`` starts with, before the model's other ``states`` columns.
TRAJECTORY_KEYS = ("rep", "team", "t_days")

GAP = Schema(
    "gap",
    [
        Column("rep", "int64", doc="replication"),
        Column("t_days", doc="grid time (days from the start; every run.grid_days)"),
        Column("follower", "category", doc="the follower"),
        Column("leader", "category", doc="the team it is measured against (the scenario's leader)"),
        Column(
            "capability_gap",
            doc="leader minus follower public capability at t (NaN if either is undefined)",
        ),
        Column(
            "months_behind",
            doc="how long before t the leader's public record first reached the follower's capability "
            "at t (months; negative when the follower leads; NaN when undefined)",
        ),
        Column(
            "months_behind_flag",
            "category",
            doc="why months_behind is NaN: before_record, beyond_record, no_capability, "
            "no_leader_record; empty when defined",
        ),
        Column(
            "cost_ratio",
            doc="follower's cumulative US$ at t over the leader's when it reached the same capability "
            "(NaN when that time is before the start or unknown)",
        ),
    ],
)

STAIRCASE = Schema(
    "staircase",
    [
        Column("rep", "int64", doc="replication"),
        Column("team", "category"),
        Column("t_days", doc="when the team's public best changed (days; negative for history)"),
        Column("capability", doc="its public best from then on (the model's capability units)"),
    ],
)

METRICS = Schema(
    "metrics",
    [
        Column("rep", "int64", doc="replication"),
        Column("follower", "str"),
        Column("start_months", doc="months behind at the first grid point"),
        Column("end_months", doc="months behind at the last grid point"),
        Column("early_months", doc="mean months behind over months 6-12"),
        Column("late_months", doc="mean months behind over the last 12 months"),
        Column("widened", "bool", doc="late_months > early_months"),
        Column(
            "headline_months",
            doc="the headline metric: mean months behind over the 6 months before the headline year "
            "(default year 5)",
        ),
    ],
)
