"""The LLM race model's parameters: a pydantic schema for its scenario files.

Units are in the field names or descriptions: days, GPUs, FLOP/s, US$,
log10 effective compute (the "level" of a run, at the scenario's reference
recipe).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from sim.scenario import ScenarioBase, Strict, per_area

AREAS = ("data", "infra", "stability", "post_training", "eval")
#: Failure modes a world may hold (bands x modes per band; the default world has 288). The
#: modes are drawn before anything runs, so this bounds the memory a scenario can ask for.
MAX_MODES = 1_000_000


PerArea = per_area("PerArea", AREAS, __name__)  # a number per area
AreaShares = per_area("AreaShares", AREAS, __name__, upper=1.0)  # a share per area


class World(Strict):
    """The latent failure modes every team faces, and the learning laws."""

    first_level: float = Field(20.0, description="log10 effective compute of the lowest band")
    last_level: float = Field(36.0, description="log10 effective compute of the highest band")
    band_width: float = Field(0.5, gt=0, description="width of a band (orders of magnitude)")
    modes_per_band: PerArea = PerArea(data=2, infra=2, stability=2, post_training=2, eval=1)
    silent_share: AreaShares = AreaShares(data=0.5, infra=0.0, stability=0.0, post_training=0.8, eval=0.5)
    hazard_median: float = Field(0.05, gt=0)
    hazard_sigma: float = Field(1.5, ge=0)
    silent_loss_per_hazard: float = Field(
        0.15, ge=0, description="OOM of capability lost per unit silent hazard"
    )
    practice_per_oom: float = Field(
        1.0,
        ge=0,
        description="extra past fixes per OOM a mode lies below a team's experience, relative to its level",
    )
    exposure_slope: float = Field(
        1.0, ge=0, description="exposure growth per OOM a run reaches past a mode's onset"
    )
    exposure_cap: float = Field(3.0, ge=1)
    confounding: float = Field(0.05, ge=0, description="diagnosis divisor per other unfixed exposed mode")
    fix_effectiveness: float = Field(0.7, ge=0, le=1, description="share of a mode's hazard one fix removes")
    codified_share: float = Field(0.5, ge=0, le=1, description="share of each fix that never regresses")
    retention_per_month: float = Field(0.95, gt=0, le=1)
    absorptive_scale: float = Field(3.0, gt=0, description="own recent fixes for absorptive capacity 1-1/e")
    absorptive_months: float = Field(12.0, gt=0)
    notice_on_success: float = Field(
        1.0,
        ge=0,
        le=1,
        description="chance a successful run's worst silent mode is looked at (times eval maturity)",
    )
    catchup_scale: float = Field(
        1.0,
        ge=0,
        description="multiplies every team's papers_per_year and hires_per_year (the pace of diffusion)",
    )

    @model_validator(mode="after")
    def _bands(self):
        if self.last_level <= self.first_level:
            raise ValueError(f"last_level {self.last_level} must exceed first_level {self.first_level}")
        modes = (self.last_level - self.first_level) / self.band_width * sum(self.modes_per_band.array())
        if modes > MAX_MODES:
            raise ValueError(
                f"the world would hold {modes:.3g} failure modes ((last_level - first_level) / band_width "
                f"bands x modes_per_band); at most {MAX_MODES}"
            )
        return self


class Algorithms(Strict):
    """Algorithmic progress: the compute a fixed result needs halves every ``halving_months``
    (8 months, Ho et al. 2024).
    """

    halving_months: float = Field(
        8.0, gt=0, description="months for compute needed for a fixed result to halve"
    )


class Cluster(Strict):
    """A GPU cluster: GPUs and peak FLOP/s per GPU at ``t_days = 0`` and their yearly growth,
    US$ per GPU-day, the queueing policy and the slots it is divided into.
    """

    gpus: float = Field(gt=0, description="GPUs at t_days = 0")
    gpu_growth_per_year: float = Field(1.0, gt=0)
    flops_per_gpu: float = Field(3.12e14, gt=0, description="peak FLOP/s per GPU at t_days = 0")
    hardware_growth_per_year: float = Field(1.35, gt=0)
    cost_per_gpu_day: float = Field(48.0, ge=0, description="US$ per GPU-day")
    policy: Literal["fifo", "priority", "fair_share"] = "fifo"
    units: int = Field(100, ge=1, description="scheduling slots the cluster is divided into")


class Reliability(Strict):
    """Infrastructure interruptions: hazard per GPU-day and restart time, immature to mature."""

    hazard_immature: float = Field(2e-3, ge=0)
    hazard_mature: float = Field(4e-4, ge=0)
    restart_hours_immature: float = Field(4.0, ge=0)
    restart_hours_mature: float = Field(0.25, ge=0)
    checkpoint_write_hours_immature: float = Field(0.25, ge=0)
    checkpoint_write_hours_mature: float = Field(10 / 3600, ge=0)


class Experiments(Strict):
    """A team's small experiments, run side by side with its main run, ``below`` orders of
    magnitude under the main target, each for ``run_days`` days on a ``share`` of the cluster.
    """

    slots: int = Field(0, ge=0, description="small experiments run side by side with the main run")
    below: float = Field(1.0, ge=0, description="OOM below the main target")
    run_days: float = Field(10.0, gt=0)
    share: float = Field(0.1, gt=0, le=1, description="cluster share each experiment asks for")


class Catchup(Strict):
    """A follower's channels of the advantage of backwardness, each gated by absorptive capacity."""

    papers_per_year: float = Field(0.0, ge=0, description="leader's fixed modes revealed per year")
    learn_from_others: float = Field(0.4, ge=0, le=1, description="uptake relative to own learning")
    hires_per_year: float = Field(0.0, ge=0)
    modes_per_hire: int = Field(2, ge=0)
    distill: bool = False
    distill_penalty: float = Field(0.5, ge=0, description="OOM below the source model")
    distill_lag_days: float = Field(60.0, ge=0)
    existence_proof: float = Field(
        0.0, ge=0, le=1, description="confounding removed for modes below the leader's public level"
    )
    toward_leader: bool = False
    toward_factor: float = Field(
        4.0, gt=1, description="largest step (x its largest run) taken toward the leader's public level"
    )
    from_all_teams: bool = Field(
        False,
        description=(
            "papers and hires come from every other team, not the leader only: a mode diffuses in "
            "proportion to the teams that fixed it, and the existence proof and the step toward the "
            "leader use the best public level of the others (diffusion grows with the number of labs)"
        ),
    )
    api_distill: bool = Field(
        False, description="distil from other teams' closed models through their outputs (API)"
    )
    api_distill_penalty: float = Field(1.0, ge=0, description="OOM below the source model, through an API")


class Release(Strict):
    """A public release: capability (log10 effective FLOP) at ``t_days`` (days), labelled."""

    t_days: float
    capability: float
    label: str = ""
    compute_flop: float | None = Field(None, gt=0, description="physical training FLOP, if known")


class Team(Strict):
    """An LLM team: its cluster and share of it, past know-how, diagnosis, failing early,
    decisions, its step policy, run lengths (days), money (US$ a year), evaluation and
    its catch-up channels. Field descriptions give the units.
    """

    cluster: str
    share: float = Field(1.0, gt=0, le=1, description="cluster share the main run may take")
    priority: float = 0.0
    experience: float = Field(description="log10 effective compute up to which past know-how applies")
    know_how: PerArea = Field(description="expected past fixes per mode, by area")
    absorptive: float = Field(0.5, ge=0, lt=1)
    diagnosis: float = Field(
        0.5, ge=0, le=1, description="chance a failure's cause is identified, before confounding"
    )
    fail_early: float = Field(
        0.0, ge=0, le=1, description="chance in-run evaluation catches a hidden failure when it happens"
    )
    decision_quality: float = Field(1.0, ge=0, le=1)
    policy: Literal["step", "jump", "hold"] = Field(
        "step",
        description=(
            "step: just past its largest run; jump: as far as compute allows; "
            "hold: repeat its largest run (reliability testing)"
        ),
    )
    step_factor: float = Field(2.5, gt=1)
    jump_factor: float = Field(10.0, gt=1)
    run_days: float = Field(45.0, gt=0)
    max_run_days: float = Field(90.0, gt=0)
    prep_days: float = Field(15.0, ge=0)
    mfu: float = Field(0.4, gt=0, le=1)
    budget_usd_per_year: float | None = Field(None, gt=0)
    release_lag_days: float = Field(60.0, ge=0)
    eval_optimism: float = Field(
        0.5, ge=0, description="OOM a team with no eval know-how overstates itself by"
    )
    algorithm_lag_months: float = Field(0.0, ge=0)
    largest_run: float = Field(description="log10 effective compute of its largest successful run at t=0")
    internal_best: float | None = Field(
        None, description="capability trained by t=0; None: what its largest run gives with its know-how"
    )
    public_best: float | None = Field(None, description="capability released by t=0; None: the internal best")
    open_weights: bool = Field(False, description="its releases are open weights others may distil")
    in_flight_at_start: bool = Field(
        False,
        description=(
            "its first main run began a uniform share of its length before t = 0: the race does "
            "not start at the scenario's date, every lab is mid-iteration"
        ),
    )
    releases: list[Release] = []
    history: list[Release] = []
    experiments: Experiments = Experiments()
    catchup: Catchup = Catchup()


class Publishing(Strict):
    """What the leader gives away, and until when."""

    papers_until_days: float | None = Field(None, description="None: forever")
    open_weights_until_days: float | None = Field(0.0, description="open weights released before this day")


class BacktestSettings(Strict):
    """Where a scenario's record is and how its teams map onto it (``[backtest]``)."""

    record: str | None = Field(
        None, description="CSV of releases (models/llm/record.py format); None: the shipped Epoch AI record"
    )
    until: dt.date = Field(
        dt.date(2024, 12, 31), strict=False, description="cut-off of the record used (inclusive; YYYY-MM-DD)"
    )
    labs: dict[str, str] = Field({}, description="team -> lab name in the record, where they differ")
    compute_teams: list[str] = Field(
        [], description="teams whose compute growth is checked, besides the leader"
    )
    sources: list[Literal["eci", "mmlu", "arena_elo", "compute"]] = Field(
        ["eci", "mmlu", "arena_elo", "compute"],
        description="scores a release's capability comes from, in order",
    )


class LLMParams(ScenarioBase):
    """An LLM race scenario (``model = "llm"``): the world of failure modes, algorithms,
    reliability, the leader's publishing, clusters and teams; every team's ``cluster``
    must name one of ``clusters``.
    """

    model: Literal["llm"]
    world: World = World()
    algorithms: Algorithms = Algorithms()
    reliability: Reliability = Reliability()
    publishing: Publishing = Publishing()
    clusters: dict[str, Cluster]
    teams: dict[str, Team]
    backtest: BacktestSettings | None = None

    @model_validator(mode="after")
    def _references(self):
        for name, team in self.teams.items():
            if team.cluster not in self.clusters:
                raise ValueError(
                    f"teams.{name}.cluster {team.cluster!r} is not one of {sorted(self.clusters)}"
                )
        if self.backtest is not None:
            for name in [*self.backtest.labs, *self.backtest.compute_teams]:
                if name not in self.teams:
                    raise ValueError(f"backtest: {name!r} is not one of the teams {sorted(self.teams)}")
        return self
