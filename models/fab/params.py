"""The fab model's parameters: a pydantic schema for its scenario files.

Units are in the field names or descriptions: minutes (processing, on the
SimPy clock), hours (MTTF, MTTR), days (tables, delays), US$, wafers,
defects per cm², cm².
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.scenario import ScenarioBase, Strict, per_area

AREAS = ("litho", "etch", "deposition", "implant", "cmp", "clean", "metrology")
WAFERS_PER_LOT = 25


PerArea = per_area("PerArea", AREAS, __name__)  # a number per area
AreaShares = per_area("AreaShares", AREAS, __name__, upper=1.0)  # a share per area


class Route(Strict):
    """The process flow: a synthetic route, or one read from CSV."""

    csv: str | None = Field(
        None,
        description=(
            "CSV with columns tool_group, area, minutes, defect_weight (one row per step, in order); "
            "relative paths are from the scenario folder"
        ),
    )
    steps: int = Field(500, ge=1, description="steps of a synthetic route")
    tool_groups: int = Field(100, ge=1, description="tool groups of a synthetic route")
    area_mix: PerArea = Field(
        PerArea(litho=0.15, etch=0.15, deposition=0.2, implant=0.08, cmp=0.07, clean=0.25, metrology=0.10),
        description="share of steps per area (normalised)",
    )
    minutes_median: float = Field(
        45.0, gt=0, description="median processing time of a lot at a step (minutes)"
    )
    minutes_sigma: float = Field(0.5, ge=0, description="lognormal spread of processing times")
    defect_weight_sigma: float = Field(
        0.5, ge=0, description="lognormal spread of steps' defect contributions (mean 1)"
    )

    @model_validator(mode="after")
    def _groups(self):
        if self.csv is not None:
            from .route import load_route  # reads the file now, so a bad CSV is a one-line error up front

            load_route(self.csv)
        if self.csv is None and self.tool_groups > self.steps:
            raise ValueError(f"route.tool_groups {self.tool_groups} must not exceed route.steps {self.steps}")
        if sum(self.area_mix.array()) <= 0:
            raise ValueError("route.area_mix must have a positive share")
        return self


class World(Strict):
    """The latent failure modes of the process, and the learning laws (DESIGN §3.1)."""

    modes_per_step: float = Field(2.0, gt=0, description="mean failure modes hidden in a step (Poisson)")
    hazard_median: float = Field(
        0.005, gt=0, description="median per-wafer hazard of a mode at defect weight 1, unfixed"
    )
    hazard_sigma: float = Field(
        1.5, ge=0, description="lognormal spread of mode hazards (heavy tail: big modes found first)"
    )
    latent_share: AreaShares = Field(
        AreaShares(litho=0.3, etch=0.3, deposition=0.4, implant=0.2, cmp=0.4, clean=0.5, metrology=0.0),
        description="share of modes that leave latent defects instead of scrapping wafers",
    )
    rework_share: AreaShares = Field(
        AreaShares(litho=0.5, metrology=0.5),
        description="share of the other modes caught at inspection: the lot is reworked",
    )
    rework_back_steps: int = Field(2, ge=1, description="steps a reworked lot goes back")
    rework_limit: int = Field(3, ge=0, description="reworks a lot may have; one more scraps its wafers")
    defects_per_hazard: float = Field(1.0, gt=0, description="defects per cm² per unit of latent hazard")
    base_defect_density: float = Field(0.0, ge=0, description="defects per cm² no know-how removes")
    die_area_cm2: float = Field(1.0, gt=0, description="die area (cm²)")
    clustering_alpha: float = Field(2.0, gt=0, description="negative-binomial clustering alpha")
    fix_effectiveness: float = Field(0.7, ge=0, le=1, description="share of a mode's hazard one fix removes")
    codified_share: float = Field(0.7, ge=0, le=1, description="share of each fix that never regresses")
    retention_per_month: float = Field(
        0.97, gt=0, le=1, description="monthly retention of the tacit part of fixes"
    )
    confounding: float = Field(
        0.0, ge=0, description="diagnosis divisor per other mode that killed wafers of the same lot"
    )


class Fab(Strict):
    """A fab line: tools sized for a design start rate, loaded by production."""

    design_starts_per_day: float = Field(gt=0, description="lot starts a day the tools are sized for")
    load: float = Field(
        0.85, ge=0, lt=1.2, description="production starts as a share of the design start rate"
    )
    dispatch: Literal["fifo", "priority", "critical_ratio"] = "priority"
    mttf_hours: PerArea = Field(
        PerArea(litho=168, etch=168, deposition=168, implant=168, cmp=168, clean=168, metrology=168),
        description="mean time to failure of a tool (hours)",
    )
    mttr_hours: PerArea = Field(
        PerArea(litho=4, etch=6, deposition=6, implant=8, cmp=3, clean=2, metrology=1),
        description="mean time to repair (hours)",
    )
    breakdowns: bool = True
    release_cv2: float = Field(
        0.0,
        ge=0,
        description="squared coefficient of variation of inter-release times (0: even, 1: Poisson)",
    )
    process_cv2: float = Field(
        0.0,
        ge=0,
        description="squared coefficient of variation of a lot's processing time at a step (gamma; 0 fixed)",
    )
    production_events: bool = Field(
        True, description="one events row per production lot (off for very long runs)"
    )
    learning_team: str | None = Field(
        None,
        description=(
            "team whose know-how production lots carry and who learns from their scrapped wafers "
            "(volume learning); None: production is load only"
        ),
    )
    production_analyses_per_lot: float = Field(
        0.2,
        ge=0,
        description="scrapped production wafers analysed per production lot, on average (volume learning)",
    )
    due_x_factor: float = Field(
        3.0, gt=0, description="lot due date = start + this x raw process time (critical ratio)"
    )
    production_lot_cost_usd: float = Field(425_000.0, ge=0, description="US$ per production lot (25 wafers)")


class HistoryPoint(Strict):
    """A point of a team's past ramp: expected line yield at ``t_days`` (days, negative
    before the start), optionally labelled.
    """

    t_days: float
    line_yield: float = Field(gt=0, le=1)
    label: str = ""


class Team(Strict):
    """A fab team: its fab, know-how, diagnosis and failure-analysis capacity, and its
    experimental lots (how many in flight, priority, US$ per lot, analysis days).
    """

    fab: str
    know_how: PerArea = Field(description="expected past fixes per mode, by area")
    diagnosis: float = Field(
        0.5, ge=0, le=1, description="chance failure analysis of a scrapped wafer finds its killing mode"
    )
    failure_analyses_per_lot: int = Field(
        2, ge=0, description="scrapped wafers of a lot sent to failure analysis (FA capacity)"
    )
    lots_in_flight: int = Field(4, ge=1, description="experimental lots the team keeps in the line")
    priority: float = Field(0.0, description="dispatch priority of its lots (lower first; production is 1)")
    lot_cost_usd: float = Field(1_000_000.0, ge=0, description="US$ per experimental lot of 25 wafers")
    analysis_days: float = Field(7.0, ge=0, description="failure analysis and planning before the next lot")
    budget_usd_per_year: float | None = Field(None, gt=0)
    history: list[HistoryPoint] = []


class FabParams(ScenarioBase):
    """A fab scenario (``model = "fab"``): the route, the world of failure modes, the fabs
    and the teams; every team's ``fab`` must name one of ``fabs``.
    """

    model: Literal["fab"]
    trace: Literal["lots", "steps"] = Field("lots", description="events at lot level, or every lot-step too")
    route: Route = Route()
    world: World = World()
    fabs: dict[str, Fab]
    teams: dict[str, Team]

    @model_validator(mode="after")
    def _references(self):
        for name, team in self.teams.items():
            if team.fab not in self.fabs:
                raise ValueError(f"teams.{name}.fab {team.fab!r} is not one of {sorted(self.fabs)}")
        for name, fab in self.fabs.items():
            if fab.learning_team is not None and self.teams.get(fab.learning_team, None) is None:
                raise ValueError(
                    f"fabs.{name}.learning_team {fab.learning_team!r} is not one of {sorted(self.teams)}"
                )
            if fab.learning_team is not None and self.teams[fab.learning_team].fab != name:
                raise ValueError(
                    f"fabs.{name}.learning_team {fab.learning_team!r} runs its lots in "
                    f"{self.teams[fab.learning_team].fab!r}, not in {name!r}"
                )
        return self
