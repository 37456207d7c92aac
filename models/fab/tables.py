"""The fab model's tables, declared once (the data contract of its parquet files)."""

from __future__ import annotations

from sim.recorder import Column, Schema

from .params import AREAS

PRODUCTION = "production"
KINDS = ("experimental", "production", "step")
OUTCOMES = ("completed", "scrapped", "pass", "scrap", "rework")
NAN = float("nan")

EVENTS = Schema(
    "events",
    [
        Column("rep", "int64"),
        Column("t_days", doc="end of the lot or step (days from the start)"),
        Column("team", "category", doc=f"owner of the lot ({PRODUCTION!r} for production lots)"),
        Column("fab", "category"),
        Column("run_id", "int64", doc="lot id, unique within a fab and replication"),
        Column("kind", "category", categories=KINDS, doc="experimental or production lot, or one lot-step"),
        Column("step", "int64", -1, doc="route step (step rows)"),
        Column("tool_group", "int64", -1, doc="tool group (step rows)"),
        Column("area", "category", "", categories=("", *AREAS), doc="area of the killing mode or step"),
        Column("outcome", "category", categories=OUTCOMES),
        Column("wait_days", doc="queued at tool groups (days)"),
        Column("duration_days", doc="cycle time of the lot, or time on the tool of a step (days)"),
        Column("start_days", doc="release of the lot, or arrival at the tool group (days)"),
        Column("wafers_in", "int64"),
        Column("wafers_out", "int64"),
        Column("line_yield", default=NAN, doc="wafers out / wafers in"),
        Column("die_yield", default=NAN, doc="negative-binomial die yield of the surviving wafers"),
        Column("defect_density", default=NAN, doc="defects per cm²"),
        Column("cost_usd", default=0.0, doc="US$ of the lot"),
        Column("reworks", "int64", 0),
        Column("mode", "int64", -1, doc="the first killing mode (-1: none)"),
        Column("modes_fixed", "int64", 0, doc="modes fixed from this lot's analysis"),
    ],
)

STATES = Schema(
    "states",
    [
        Column("rep", "int64"),
        Column("t_days"),
        Column("team", "category"),
        Column("capability", doc="log10 of the expected line yield of a lot started now"),
        Column("measured_capability", doc="log10 of the line yield seen on the team's last 5 lots"),
        Column("line_yield", doc="expected wafers out / wafers in"),
        Column("die_yield"),
        Column("defect_density", doc="defects per cm²"),
        Column("per_step_loss", doc="constant per-step loss giving that line yield"),
        Column("spend_usd", doc="cumulative US$"),
        Column("lots_started", "int64"),
        Column("lots_done", "int64"),
        Column("wafers_out", "int64"),
        Column("cost_per_good_wafer_usd", doc="spend / wafers out"),
        Column("cost_per_25_good_usd", doc="lot cost / expected line yield"),
        Column("cycle_time_days", doc="mean over the last 5 lots"),
        Column("x_factor", doc="cycle time / raw process time, last 5 lots"),
        Column("wip_lots", "int64", doc="lots in the team's fab"),
        Column("fixes", "int64", doc="modes fixed so far"),
    ],
)

FABS = Schema(
    "fabs",
    [
        Column("rep", "int64"),
        Column("t_days"),
        Column("fab", "category"),
        Column("wip_lots", "int64"),
        Column("production_out", "int64", doc="production lots finished since the last grid point"),
        Column("production_cycle_days", doc="their mean cycle time (days)"),
        Column("production_x_factor", doc="their mean cycle time / raw process time"),
    ],
)

TOOL_GROUPS = Schema(
    "tool_groups",
    [
        Column("rep", "int64"),
        Column("fab", "category"),
        Column("tool_group", "int64"),
        Column("area", "category", categories=AREAS),
        Column("tools", "int64"),
        Column("utilisation", doc="time-average share of tools holding a lot"),
        Column("availability", doc="time-average share of tools not under repair"),
        Column("mean_wait_days", doc="mean queue time of a lot-step (days)"),
        Column("mean_hold_days", doc="mean time on a tool per lot-step, repairs included (days)"),
        Column("breakdowns", "int64"),
        Column("lot_steps", "int64", doc="lot-steps started"),
    ],
)

YIELD_GAP = Schema(
    "yield_gap",
    [
        Column("rep", "int64"),
        Column("t_days"),
        Column("follower", "category"),
        Column("leader", "category"),
        Column("yield_ratio", doc="follower / leader expected line yield"),
        Column("total_yield_ratio", doc="the same of line x die yield"),
        Column("cost_ratio_per_good_wafer", doc="follower / leader US$ per good wafer"),
    ],
)


def schemas(params) -> dict[str, Schema]:
    """The tables of a run of ``params``, team and fab categories bound."""
    teams = sorted(params.teams)
    fabs = sorted(params.fabs)
    return {
        "events": EVENTS.bind(team=sorted([*teams, PRODUCTION]), fab=fabs),
        "states": STATES.bind(team=teams),
        "tool_groups": TOOL_GROUPS.bind(fab=fabs),
        "fabs": FABS.bind(fab=fabs),
        "yield_gap": YIELD_GAP.bind(follower=teams, leader=teams),
    }
