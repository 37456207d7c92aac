"""The ``smt2020`` model's parameters: a pydantic schema for its scenario files.

The dataset itself is never part of the project (the SMT2020 files carry no licence):
``dataset.path`` names the folder the user downloaded, ``dataset.synthetic = true`` uses
the small synthetic dataset the project writes (:mod:`models.smt2020.synthetic`), which
the tests and CI run on. Units are in the field names: minutes, days, US$, wafers.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, model_validator

from sim.scenario import ScenarioBase, Strict, relative_to_scenario

#: The testbed's areas (``STNGRP`` in ``tool.txt``; the Delay pseudo-area carries no failure modes).
AREAS = (
    "Litho",
    "Litho_Met",
    "Dry_Etch",
    "Wet_Etch",
    "Diffusion",
    "TF",
    "TF_Met",
    "Implant",
    "Planar",
    "Def_Met",
    "Dielectric",
)
POLICIES = ("production_first", "engineering_first", "share")


class DatasetChoice(Strict):
    """Which SMT2020 dataset to read: a folder the user passes, else the synthetic one."""

    path: str | None = Field(
        None,
        description=(
            "folder holding the dataset's files (route_*.txt, tool.txt, order.txt, ...), e.g. the "
            "University of Hagen download; relative paths are from the scenario file's folder. "
            "None: the project's small synthetic dataset (tests, CI)"
        ),
    )
    name: str = Field(
        "synthetic",
        description=(
            "dataset name, e.g. HVLM (DS1) or LVHM (DS2): picks the published figures to compare "
            "with; with a path and no name, read from the folder's name (SMT2020_HVLM -> HVLM)"
        ),
    )

    @model_validator(mode="after")
    def _source(self, info: ValidationInfo):
        if self.path is None:
            if self.name != "synthetic":
                raise ValueError(
                    f"dataset.name: {self.name!r} needs dataset.path, the folder of its files (they are "
                    "not shipped: see the README, 'The SMT2020 testbed')"
                )
            return self
        path = relative_to_scenario(self.path, info.context)
        if not path.is_dir():
            raise ValueError(f"dataset.path: {str(path)!r} is not a folder")
        self.__dict__["path"] = str(path)  # absolute, so worker processes find it
        if self.name == "synthetic":
            known = [n for n in ("HVLM_E", "LVHM_E", "HVLM", "LVHM") if n in path.name.upper()]
            self.__dict__["name"] = known[0] if known else path.name
        return self


class Features(Strict):
    """Switches of the testbed's features: each can be turned off to measure its effect."""

    breakdowns: bool = Field(True, description="unplanned downs (downcal.txt)")
    pm: bool = Field(True, description="preventive maintenance (pmcal.txt)")
    rework: bool = Field(True, description="rework back to RWKSTEP")
    sampling: bool = Field(True, description="step skipping by StepPercent")
    transport: bool = Field(True, description="transport between steps (fromto.txt)")
    wip: bool = Field(True, description="initial WIP (WIP.txt)")
    lens_dedication: bool = Field(True, description="a lot returns to the tool of its FORSTEP")
    cascading: bool = Field(
        True,
        description="cascading tools take the next lot before the last is out (PartInterval, BatchInterval)",
    )


class Engineering(Strict):
    """How engineering lots (R&D) share the production line's tools."""

    policy: Literal["production_first", "engineering_first", "share"] = Field(
        "production_first",
        description=(
            "dispatch of engineering lots: behind production, ahead of everything, or ahead on a "
            "share of each tool group's tools"
        ),
    )
    share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="with policy 'share': share of each group's tools engineering lots lead on",
    )


class DevTeam(Strict):
    """An R&D team running engineering lots on the shared line; learning as the fab model's."""

    product: str | None = Field(
        None, description="the part whose route its engineering lots take (part.txt); None: the first part"
    )
    lots_in_flight: int = Field(2, ge=0, le=1000, description="engineering lots it keeps in the fab")
    analysis_days: float = Field(3.0, ge=0, le=365, description="failure analysis before the next lot (days)")
    know_how: float = Field(
        1.0, ge=0, le=1000, description="past fixes per failure mode at the start (all areas)"
    )
    diagnosis: float = Field(0.6, ge=0, le=1, description="chance an analysed killing mode is identified")
    failure_analyses_per_lot: int = Field(3, ge=0, le=25, description="scrapped wafers analysed per lot")
    lot_cost_usd: float = Field(1.0e6, ge=0, le=1e12, description="US$ per engineering lot")


class World(Strict):
    """The latent failure modes on the engineering route (DESIGN §3.1), shared by all teams."""

    modes_on_route: float = Field(
        100.0,
        ge=0,
        le=1e5,
        description="mean failure modes on the route (spread evenly over its process steps)",
    )
    hazard_median: float = Field(0.005, gt=0, le=100, description="per-wafer hazard of an unfixed mode")
    hazard_sigma: float = Field(1.5, ge=0, le=10, description="lognormal spread of hazards")
    fix_effectiveness: float = Field(0.7, ge=0, le=1, description="share of a mode's hazard one fix removes")
    codified_share: float = Field(0.7, ge=0, le=1, description="share of a fix that never regresses")
    retention_per_month: float = Field(0.97, gt=0, le=1, description="monthly retention of tacit fixes")
    confounding: float = Field(0.0, ge=0, le=10, description="identification penalty per other killing mode")
    target_yield: float = Field(
        0.9, gt=0, lt=1, description="line yield the R&D race is timed to (months to reach)"
    )


class Smt2020Params(ScenarioBase):
    """A scenario of the ``smt2020`` model: the testbed's production, optionally R&D teams on it."""

    model: Literal["smt2020"]
    leader: str = Field("production", description="team the followers are measured against")
    dataset: DatasetChoice
    start_rate: float = Field(1.0, gt=0, le=2.0, description="release rate as a multiple of order.txt's")
    warmup_days: float = Field(
        0.0, ge=0, le=36500, description="lots released before this day are left out of flow factors"
    )
    features: Features = Features()
    engineering: Engineering = Engineering()
    world: World = World()
    teams: dict[str, DevTeam] = Field(default_factory=dict, description="R&D teams (none: production only)")
