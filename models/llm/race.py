"""One replication of an LLM race: the world, the clusters, the teams and the
catch-up channels, run on one SimPy environment."""

from __future__ import annotations

import math

import numpy as np
import simpy

from sim.capacity import SharedCapacity
from sim.knowhow import FailureModes, KnowHow
from sim.model import Milestone, SimOutput
from sim.recorder import Recorder
from sim.units import DAYS_PER_QUARTER, DAYS_PER_YEAR

from .params import AREAS, LLMParams
from .score import benchmark_score_scalar as score
from .tables import schemas
from .team import LLMTeam


def draw_world(params: LLMParams, streams) -> FailureModes:
    """The replication's failure modes, from the 'world' stream shared by all teams
    and all variants of a scenario (common random numbers)."""
    w = params.world
    onsets = np.arange(w.first_level, w.last_level, w.band_width)
    return FailureModes.draw(
        streams.generator("world"),
        AREAS,
        onsets,
        w.modes_per_band.model_dump(),
        w.hazard_median,
        w.hazard_sigma,
        w.silent_share.model_dump(),
    )


#: The ``events`` columns in the order :meth:`LLMTeam.slot_loop` appends a run's row.
EVENT_COLUMNS = (
    "rep",
    "t_days",
    "team",
    "run_id",
    "kind",
    "area",
    "outcome",
    "wait_days",
    "duration_days",
    "level",
    "capability",
    "gpus",
    "cost_usd",
    "mode",
    "identified",
    "interruptions",
    "compute_flop",
)

#: The ``states`` columns in the order :meth:`Race.record_state` appends a row.
STATE_COLUMNS = (
    "rep",
    "t_days",
    "team",
    "capability",
    "internal_capability",
    "measured_capability",
    "score",
    "measured_score",
    "spend_usd",
    "largest_run",
    "absorptive",
)


class Race:
    """Everything one replication holds; built and run by :func:`simulate`."""

    def __init__(self, params: LLMParams, streams):
        self.params, self.rep = params, streams.rep
        self.env = env = simpy.Environment()
        tables = schemas(params)
        if tables["events"].names != EVENT_COLUMNS:  # LLMTeam.slot_loop appends rows in this order
            raise RuntimeError(f"events columns {tables['events'].names} != {EVENT_COLUMNS}")
        if tables["states"].names != STATE_COLUMNS:  # record_state appends rows in this order
            raise RuntimeError(f"states columns {tables['states'].names} != {STATE_COLUMNS}")
        self.events = Recorder(tables["events"])
        self.states = Recorder(tables["states"])
        self._add_state = self.states.rows.append
        self._scores: dict[float, float] = {}  # capability -> benchmark score
        modes = draw_world(params, streams)
        w = params.world
        self.capacities = {
            name: SharedCapacity(
                env,
                c.units,
                c.policy,
                shares={t: tp.share for t, tp in params.teams.items() if tp.cluster == name},
                record_waits=False,  # nothing reads each grant's wait; stats() keeps their sums
            )
            for name, c in params.clusters.items()
        }
        self.teams: dict[str, LLMTeam] = {}
        for name, tp in params.teams.items():
            kh = KnowHow(
                modes,
                w.fix_effectiveness,
                w.codified_share,
                w.retention_per_month,
                w.absorptive_scale,
                w.absorptive_months,
            )
            kh.seed(tp.know_how.array(), tp.experience, tp.absorptive, w.practice_per_oom)
            team = LLMTeam(
                name,
                tp,
                w,
                params.clusters[tp.cluster],
                self.capacities[tp.cluster],
                kh,
                streams.generator("team", name),
                self,
            )
            if tp.in_flight_at_start:  # its own stream: the team's other draws stay as they were
                team.start_phase = float(streams.generator("start", name).random())
            self.teams[name] = team
        self.leader = self.teams[params.leader]
        # Every other team, in scenario order: the existence proof asks for their best at every plan.
        self._others = {
            n: [t for t in self.teams.values() if t is not team] for n, team in self.teams.items()
        }
        for name, team in self.teams.items():
            self.record_state(team, 0.0)
            for r in team.p.releases:
                self.schedule_release(team, r.t_days, r.capability, r.capability, r.compute_flop)
            env.process(team.slot_loop(env, "run"))
            for _ in range(team.p.experiments.slots):
                env.process(team.slot_loop(env, "experiment"))
            cu = team.p.catchup
            if name != params.leader or cu.from_all_teams:
                rng = streams.generator("catchup", name)
                if cu.papers_per_year * w.catchup_scale > 0:
                    env.process(self._papers(team, rng))
                if cu.hires_per_year * w.catchup_scale > 0 and cu.modes_per_hire > 0:
                    env.process(self._hires(team, rng))

    # -- public levels ----------------------------------------------------------
    def leader_public(self) -> float:
        """The leader's public best capability now (log10 effective FLOP)."""
        return self.leader.public_best

    def proof_level(self, team: LLMTeam) -> float:
        """The public level ``team`` knows can be reached: the leader's, or with
        ``from_all_teams`` the best of every other team's."""
        if not team.p.catchup.from_all_teams:
            return self.leader.public_best
        return max([t.public_best for t in self._others[team.name]])

    def schedule_release(
        self, team: LLMTeam, t_days: float, capability: float, measured: float, compute_flop: float = math.nan
    ):
        """Release ``capability`` (true; trained with ``compute_flop`` physical FLOP) and
        ``measured`` (self-reported) for ``team`` at ``t_days`` (days), if it beats the
        team's public best by then."""

        def release():
            yield self.env.timeout(max(0.0, t_days - self.env.now))
            if capability > team.public_best:
                team.public_best = capability
                team.measured_best = max(team.measured_best, measured)
                self.events.add(
                    rep=self.rep,
                    t_days=self.env.now,
                    team=team.name,
                    run_id=team.runs,
                    kind="release",
                    outcome="released",
                    capability=capability,
                    compute_flop=compute_flop,
                )
                self.record_state(team, self.env.now)
                self._released(team, capability)

        self.env.process(release())

    def _open(self, team: LLMTeam) -> bool:
        """Are ``team``'s releases now open weights?"""
        if team is self.leader:
            pub = self.params.publishing
            if pub.open_weights_until_days is None or self.env.now < pub.open_weights_until_days:
                return True
        return team.p.open_weights

    def _released(self, source: LLMTeam, capability: float):
        """Other teams may distil the new release: open weights directly, a closed model
        through its outputs (with the larger API penalty)."""
        is_open = self._open(source)
        for team in self.teams.values():
            if team is source:
                continue
            cu = team.p.catchup
            if is_open and cu.distill:
                self.env.process(self._distill(team, capability, cu.distill_penalty))
            elif not is_open and cu.api_distill:
                self.env.process(self._distill(team, capability, cu.api_distill_penalty))

    # -- catch-up channels (each gated by the follower's absorptive capacity) ----
    def _distill(self, team: LLMTeam, source: float, penalty: float):
        cu = team.p.catchup
        yield self.env.timeout(cu.distill_lag_days)
        # Distilling fixes no failure mode; a follower with little experience of
        # its own gets less out of it.
        level = source - penalty * (2.0 - team.kh.absorptive)
        if level > team.public_best:
            team.internal_best = max(team.internal_best, level)
            team.public_best = level
            team.measured_best = max(team.measured_best, level)
            self.events.add(
                rep=self.rep,
                t_days=self.env.now,
                team=team.name,
                run_id=team.runs,
                kind="distill",
                outcome="distilled",
                capability=level,
            )
            self.record_state(team, self.env.now)

    def _leader_lead(self, team: LLMTeam) -> np.ndarray:
        """Modes the leader has fixed better than ``team``: what a paper or a hire can teach."""
        return np.flatnonzero(self.leader.kh.residual < team.kh.residual - 1e-9)

    def _pool_lead(self, team: LLMTeam, sources) -> tuple[np.ndarray, np.ndarray]:
        """Modes some of ``sources`` fixed better than ``team``, and how many of them did:
        a mode known in more labs is more likely to reach ``team`` (diffusion grows with
        the number of labs)."""
        better = np.zeros(len(team.kh.residual))
        for other in sources:
            other.kh.advance(self.env.now)
            better += other.kh.residual < team.kh.residual - 1e-9
        modes = np.flatnonzero(better)
        return modes, better[modes]

    def _learnable(self, team: LLMTeam, rng, kind: str, n: int) -> np.ndarray:
        """The modes a paper or hire brings ``team``: ``n`` of what the leader fixed better
        (or, with ``from_all_teams``, drawn from the pool of the other teams; a hire comes
        from one team, a paper from the field)."""
        if not team.p.catchup.from_all_teams:
            self.leader.kh.advance(self.env.now)
            fixed = self._leader_lead(team)
            if n <= 0 or len(fixed) == 0:
                return fixed[:0]
            return rng.choice(fixed, size=min(n, len(fixed)), replace=False)
        others = self._others[team.name]
        if kind == "hire":
            others = [others[int(rng.integers(len(others)))]]
        modes, weight = self._pool_lead(team, others)
        if n <= 0 or len(modes) == 0:
            return modes[:0]
        return rng.choice(modes, size=min(n, len(modes)), replace=False, p=weight / weight.sum())

    def _take(self, team: LLMTeam, rng, n: int, p_absorb: float, codified: float, kind: str):
        for mode in self._learnable(team, rng, kind, n):
            if rng.random() < p_absorb * team.kh.absorptive:
                team.kh.fix(int(mode), codified=codified, own=False)
                self.events.add(
                    rep=self.rep,
                    t_days=self.env.now,
                    team=team.name,
                    run_id=team.runs,
                    kind=kind,
                    area=AREAS[team.kh.modes.area[mode]],
                    outcome="absorbed",
                    mode=int(mode),
                    identified=True,
                )

    def _papers(self, team: LLMTeam, rng):
        cu, until = team.p.catchup, self.params.publishing.papers_until_days
        while until is None or self.env.now < until:
            yield self.env.timeout(DAYS_PER_QUARTER)
            team.kh.advance(self.env.now)
            rate = cu.papers_per_year * self.params.world.catchup_scale  # modes a year
            self._take(team, rng, int(rng.poisson(rate / 4)), cu.learn_from_others, 1.0, "paper")

    def _hires(self, team: LLMTeam, rng):
        cu = team.p.catchup
        while True:
            rate = cu.hires_per_year * self.params.world.catchup_scale  # hires a year
            yield self.env.timeout(rng.exponential(DAYS_PER_YEAR / rate))
            team.kh.advance(self.env.now)
            self._take(team, rng, cu.modes_per_hire, 1.0, 0.0, "hire")

    # -- recording ---------------------------------------------------------------
    def record_state(self, team: LLMTeam, t_days: float):
        """Add one ``states`` row for ``team`` at ``t_days`` (days).

        A row per run: the columns are appended in schema order (checked in ``__init__``),
        and the scores of the few capabilities a replication releases are remembered.
        """
        public, measured, scores = team.public_best, team.measured_best, self._scores
        public_score = scores.get(public)
        if public_score is None:
            public_score = scores[public] = score(public)
        measured_score = scores.get(measured)
        if measured_score is None:
            measured_score = scores[measured] = score(measured)
        self._add_state(
            (
                self.rep,
                t_days,
                team.name,
                public,
                team.internal_best,
                measured,
                public_score,
                measured_score,
                team.budget.spent_usd,
                team.largest_run,
                team.kh.absorptive,
            )
        )


def simulate(params: LLMParams, streams, horizon_days: float) -> SimOutput:
    """Run one replication to ``horizon_days`` (the LLM clock runs in days)."""
    race = Race(params, streams)
    race.env.run(until=horizon_days)
    for team in race.teams.values():
        race.record_state(team, horizon_days)
    history = [
        Milestone(name, h.t_days, h.capability, h.label)
        for name, tp in params.teams.items()
        for h in tp.history
    ]
    return SimOutput(race.events, race.states, history)
