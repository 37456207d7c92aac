"""The ``smt2020`` model's tables, declared once (the data contract of its parquet files).

Times are days from the run's start (clock 0 is the dataset's epoch).
"""

from __future__ import annotations

from sim.recorder import Column, Schema

from .params import AREAS

NAN = float("nan")

LOTS = Schema(
    "lots",
    [
        Column("rep", "int64"),
        Column("lot", "str", doc="lot name, e.g. Lot_3_17 (engineering lots: team name and number)"),
        Column("product", "category", doc="part (part.txt)"),
        Column("priority", "int64", doc="10 regular, 20 hot, 30 super hot"),
        Column("engineering", "bool", doc="an R&D team's engineering lot"),
        Column("team", "category", default="", doc="owner of an engineering lot ('' for production)"),
        Column("release_t_days", doc="release into the fab (days; negative for initial WIP)"),
        Column("finish_t_days", doc="last step done (days)"),
        Column("cycle_time_days", doc="finish - release (days)"),
        Column("raw_process_days", doc="sum of the lot's own times on tools and in delays (days)"),
        Column("due_t_days", doc="due date (days)"),
        Column("transport_days", doc="sum of the lot's transport times between steps (days)"),
        Column("cqt_violations", "int64", 0, doc="critical queue times exceeded"),
        Column("reworks", "int64", 0, doc="times sent back by rework"),
    ],
)

TOOL_GROUPS = Schema(
    "tool_groups",
    [
        Column("rep", "int64"),
        Column("tool_group", "str", doc="STNFAM"),
        Column("area", "category", doc="STNGRP"),
        Column("tools", "int64"),
        Column("availability", doc="share of tool time up (not PM, not down)"),
        Column("utilisation", doc="share of available tool time processing"),
        Column("setup_share", doc="share of tool time in setups"),
        Column("pm_share", doc="share of tool time in preventive maintenance"),
        Column("down_share", doc="share of tool time broken down"),
    ],
)

FAB = Schema(
    "fab",
    [
        Column("rep", "int64"),
        Column("t_days", doc="end of the grid interval (days)"),
        Column("wip_lots", doc="time-average lots in the fab over the interval"),
        Column("lots_out", "int64", doc="lots finished in the interval"),
        Column("lot_steps", "int64", doc="lot-steps processed so far"),
    ],
)

EVENTS = Schema(
    "events",
    [
        Column("rep", "int64"),
        Column("t_days", doc="an engineering lot's finish (days)"),
        Column("team", "category"),
        Column("lot", "str"),
        Column("cycle_time_days"),
        Column("wafers_out", "int64", doc="wafers of 25 that survived the team's failure modes"),
        Column("modes_fixed", "int64", doc="failure modes fixed from this lot's analysis"),
        Column("area", "category", default="", categories=("", *AREAS), doc="area of the first killing mode"),
    ],
)

STATES = Schema(
    "states",
    [
        Column("rep", "int64"),
        Column("t_days"),
        Column("team", "category"),
        Column("capability", doc="log10 of the expected line yield of an engineering lot started now"),
        Column("line_yield", doc="expected wafers out / wafers in"),
        Column("spend_usd", doc="cumulative US$ on engineering lots"),
        Column("lots_done", "int64"),
        Column("fixes", "int64"),
        Column("cycle_time_days", default=NAN, doc="cycle time of the team's last lot (days)"),
    ],
)


def schemas(params) -> dict[str, Schema]:
    """Every table of an ``smt2020`` run (team names bound as categories)."""
    teams = sorted(params.teams)
    return {
        "events": EVENTS.bind(team=teams),
        "states": STATES.bind(team=teams),
        "lots": LOTS.bind(team=["", *teams]),
        "tool_groups": TOOL_GROUPS,
        "fab": FAB,
    }
