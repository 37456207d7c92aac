"""The LLM race's tables, declared once (the data contract of ``events`` and ``states``)."""

from __future__ import annotations

from sim.recorder import Column, Schema

from .params import AREAS

KINDS = ("run", "experiment", "release", "paper", "hire", "distill")
OUTCOMES = ("success", "failure", "released", "absorbed", "distilled")

EVENTS = Schema(
    "events",
    [
        Column("rep", "int64", doc="replication"),
        Column("t_days", doc="time of the event (days from the start; a run's end)"),
        Column("team", "category"),
        Column("run_id", "int64", doc="the team's runs so far"),
        Column("kind", "category", categories=KINDS, doc="run, experiment, release, paper, hire, distill"),
        Column("area", "category", "", categories=("", *AREAS), doc="area of the failing or fixed mode"),
        Column("outcome", "category", categories=OUTCOMES),
        Column("wait_days", default=0.0, doc="queued for the cluster (days)"),
        Column("duration_days", default=0.0, doc="training plus interruptions (days)"),
        Column("level", default=float("nan"), doc="log10 effective FLOP attempted"),
        Column(
            "capability", default=float("nan"), doc="capability reached or released (log10 effective FLOP)"
        ),
        Column("gpus", default=0.0, doc="GPUs of the run"),
        Column("cost_usd", default=0.0, doc="US$ spent on the run"),
        Column("mode", "int64", -1, doc="index of the failing, fixed or absorbed mode (-1: none)"),
        Column("identified", "bool", False, doc="the mode's cause was identified (and fixed)"),
        Column("interruptions", "int64", 0, doc="infrastructure interruptions of the run"),
        Column("compute_flop", default=float("nan"), doc="physical training FLOP (planned runs, releases)"),
    ],
)

STATES = Schema(
    "states",
    [
        Column("rep", "int64"),
        Column("t_days", doc="days from the start"),
        Column("team", "category"),
        Column("capability", doc="public best (log10 effective FLOP at the reference recipe)"),
        Column("internal_capability", doc="best trained"),
        Column("measured_capability", doc="what the team's own evaluation says"),
        Column("score", doc="benchmark-like score of the public best (MMLU-like, 0.25-1)"),
        Column("measured_score", doc="the same of the measured capability"),
        Column("spend_usd", doc="cumulative US$"),
        Column("largest_run", doc="log10 effective FLOP of the largest successful run"),
        Column("absorptive", doc="absorptive capacity in [0, 1)"),
    ],
)


def schemas(params) -> dict[str, Schema]:
    """The tables of a run of ``params``, team categories bound."""
    teams = sorted(params.teams)
    return {"events": EVENTS.bind(team=teams), "states": STATES.bind(team=teams)}
