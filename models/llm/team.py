"""An LLM team: its know-how, its runs on a GPU cluster, and what it learns.

A team runs one main slot (its frontier training runs) and optionally some
experiment slots (small runs side by side, below the main target) through
:func:`sim.iteration.iteration_loop`. Capability is log10 effective compute
at the scenario's reference recipe, less what unfixed silent modes cost.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from functools import partial

import numpy as np

from sim.budget import Budget
from sim.knowhow import KnowHow, draw_failure, identify_probability
from sim.units import DAYS_PER_MONTH, DAYS_PER_YEAR, SECONDS_PER_DAY

from .params import AREAS
from .reliability import maturity_lerp, sample_interruptions

DATA, INFRA, STABILITY, POST, EVAL = range(len(AREAS))
# Divergence and hardware faults show when they happen; data and post-training
# faults only at the end, unless in-run evaluation catches them (fail early).
VISIBLE = np.array([False, True, True, False, False])


@dataclass(slots=True)
class Plan:
    """The next run a team plans: kind (``run`` or ``experiment``), level (log10 effective
    FLOP), GPUs, planned days, cluster slots, priority, estimated US$ and the days of
    preparation after it.
    """

    kind: str  # "run" (main) or "experiment"
    level: float  # log10 effective compute (before silent losses)
    gpus: float
    days: float  # planned training days
    units: int  # cluster slots requested
    priority: float
    cost_usd: float  # estimate, before interruptions
    prep_days: float
    flop: float  # physical training FLOP planned (GPU-days x FLOP/s x MFU)


@dataclass(slots=True)
class Outcome:
    """How a run ended: the failing mode (-1 on success), days, US$, interruptions, the
    hazards it faced, the team's evaluation maturity when it started and its queueing days.
    """

    cause: int  # failing mode, -1 on success
    duration_days: float
    cost_usd: float
    interruptions: int
    hazards: np.ndarray  # hazards the run faced, modes with onset <= its level
    eval_maturity: float  # share of the evaluation area's hazard fixed when the run started
    wait_days: float  # queued for the cluster


class LLMTeam:
    """State and behaviour of one team in one replication."""

    def __init__(self, name, p, world, cluster, capacity, knowhow: KnowHow, rng, race):
        self.name, self.p, self.world, self.cluster = name, p, world, cluster
        self.capacity, self.kh, self.rng, self.race = capacity, knowhow, rng, race
        self.budget = Budget(p.budget_usd_per_year)
        modes = knowhow.modes
        self._onset = modes.onset_list
        self._silent = modes.silent.astype(float)
        self._fatal = 1.0 - self._silent
        # Per mode, as Python lists: a run looks up one mode, and list items cost less than array items.
        self._area_name = [AREAS[a] for a in modes.area.tolist()]
        self._visible = VISIBLE[modes.area].tolist()
        self._infra_of = math.nan  # infra maturity the interruption parameters below are for
        self._interruption_params = (0.0, 0.0, 0.0)
        self.largest_run = p.largest_run
        self.internal_best = (
            p.internal_best if p.internal_best is not None else self.capability_of(p.largest_run)
        )
        self.public_best = p.public_best if p.public_best is not None else self.internal_best
        self.measured_best = self.public_best
        self.runs = 0
        #: share of its first main run done before t = 0 (None: it starts at t = 0)
        self.start_phase: float | None = None

    def silent_loss(self, hazards: np.ndarray) -> float:
        """OOM of capability the unfixed silent modes cost a run."""
        return self.world.silent_loss_per_hazard * float(np.dot(hazards, self._silent[: len(hazards)]))

    def capability_of(self, level: float) -> float:
        """Capability a successful run at ``level`` gives this team now."""
        w = self.world
        return level - self.silent_loss(self.kh.exposed_hazards(level, w.exposure_slope, w.exposure_cap))

    # -- the world as this team sees it ---------------------------------------
    def level_per_gpu_day(self, t_days: float) -> float:
        """log10 effective FLOP one GPU-day buys at ``t_days`` (hardware, MFU, algorithms)."""
        c, years = self.cluster, t_days / DAYS_PER_YEAR
        flops = c.flops_per_gpu * c.hardware_growth_per_year**years
        months = t_days / DAYS_PER_MONTH - self.p.algorithm_lag_months
        algorithms = math.log10(2.0) * months / self.race.params.algorithms.halving_months
        return math.log10(flops * SECONDS_PER_DAY * self.p.mfu) + algorithms

    def cluster_gpus(self, t_days: float) -> float:
        """GPUs of the team's cluster at ``t_days`` (days), grown yearly."""
        c = self.cluster
        return c.gpus * c.gpu_growth_per_year ** (t_days / DAYS_PER_YEAR)

    # -- planning ---------------------------------------------------------------
    def target_level(self) -> float:
        """The level (log10 effective FLOP) the next main run aims at: the largest successful
        run (``hold``), ``step_factor`` past it (``step``), or as far as compute allows
        (``jump``, infinite here); with ``toward_leader``, toward the leader's public level.
        """
        p = self.p
        if p.policy == "hold":
            return self.largest_run
        factor = p.jump_factor if p.policy == "jump" else p.step_factor
        target = self.largest_run + math.log10(factor)
        if p.catchup.toward_leader:
            # A follower knows the leader's public level can be reached.
            leader = self.race.proof_level(self)
            target = max(target, min(leader, self.largest_run + math.log10(p.catchup.toward_factor)))
        if p.policy == "jump":
            target = math.inf  # as far as its compute allows
        return target

    def plan(self, t_days: float, kind: str) -> Plan:
        """Plan a main run (``kind="run"``) or an experiment at ``t_days``: level, GPUs, days
        and cost, within the team's share of the cluster and its run-length limits.
        """
        p, c = self.p, self.cluster
        self.kh.advance(t_days)
        per_gpu_day = self.level_per_gpu_day(t_days)
        gpus_cluster = self.cluster_gpus(t_days)
        if kind == "run":
            gpus_max = gpus_cluster * p.share
            level = min(self.target_level(), per_gpu_day + math.log10(gpus_max * p.max_run_days))
            gpu_days = 10.0 ** (level - per_gpu_day)
            days = min(max(gpu_days / gpus_max, p.run_days), p.max_run_days)
            prep = p.prep_days
        else:
            e = p.experiments
            gpus_max = gpus_cluster * e.share
            level = (
                min(self.target_level(), per_gpu_day + math.log10(gpus_cluster * p.share * p.run_days))
                - e.below
            )
            level = min(level, per_gpu_day + math.log10(gpus_max * e.run_days))
            gpu_days = 10.0 ** (level - per_gpu_day)
            days, prep = e.run_days, 0.0
        gpus = gpu_days / days
        units = min(c.units, max(1, math.ceil(gpus / gpus_cluster * c.units - 1e-9)))
        flop = (
            gpus
            * days
            * SECONDS_PER_DAY
            * p.mfu
            * c.flops_per_gpu
            * c.hardware_growth_per_year ** (t_days / DAYS_PER_YEAR)
        )
        if kind == "run" and self.start_phase is not None:
            # A run in flight when the scenario starts: only its remaining days lie ahead
            # (and cost money now); its level and compute are the whole run's.
            days, self.start_phase = days * (1.0 - self.start_phase), None
        return Plan(kind, level, gpus, days, units, p.priority, gpus * days * c.cost_per_gpu_day, prep, flop)

    # -- a run ------------------------------------------------------------------
    def execute(self, env, plan: Plan, wait_days: float):
        """Run ``plan`` (a SimPy generator): draw the failing mode, stop early when the failure
        shows or in-run evaluation catches it, add interruptions; return the :class:`Outcome`.
        """
        w, p, rng = self.world, self.p, self.rng
        hazards = self.kh.exposed_hazards(plan.level, w.exposure_slope, w.exposure_cap)
        cause = draw_failure(rng, hazards * self._fatal[: len(hazards)])
        fraction = 1.0
        if cause >= 0 and (self._visible[cause] or rng.random() < p.fail_early):
            fraction = rng.random()  # stopped when the failure shows
        train_days = plan.days * fraction
        kh, largest = self.kh, self.largest_run
        hazard, restart, write = self.interruption_params(kh.area_maturity(largest, INFRA))
        eval_maturity = kh.area_maturity(largest, EVAL)  # as the run starts: other slots may fix modes
        ints = sample_interruptions(rng, plan.gpus, train_days, hazard, restart, write)
        duration = train_days + ints.extra_days
        yield env.timeout(duration)
        cost = plan.gpus * duration * self.cluster.cost_per_gpu_day
        return Outcome(cause, duration, cost, ints.count, hazards, eval_maturity, wait_days)

    def interruption_params(self, infra: float) -> tuple[float, float, float]:
        """Interruptions per GPU-day, restart hours and checkpoint-write hours at infra maturity ``infra``.

        Maturity changes with a fix or a month, not with every run: the three
        interpolations are redone only when it has changed.
        """
        if infra != self._infra_of:
            rel = self.race.params.reliability
            self._infra_of = infra
            self._interruption_params = (
                maturity_lerp(rel.hazard_immature, rel.hazard_mature, infra),
                maturity_lerp(rel.restart_hours_immature, rel.restart_hours_mature, infra),
                maturity_lerp(rel.checkpoint_write_hours_immature, rel.checkpoint_write_hours_mature, infra),
            )
        return self._interruption_params

    # -- learning ---------------------------------------------------------------
    def confounders(self, hazards: np.ndarray, cause: int) -> float:
        """How many comparable causes compete to explain a failure.

        The effective number of the other exposed hazards, ``(sum h)^2 / sum h^2``
        (inverse Simpson): many tiny residual modes do not confound, a few big
        unfixed ones do. For a follower, the existence proof discounts the share
        of that hazard below the leader's public level.
        """
        # The other hazards are ``hazards`` with the cause's set to 0: done in place
        # and undone before returning, which saves a copy per failure.
        cause_hazard = hazards[cause]
        hazards[cause] = 0.0
        try:
            total = float(np.add.reduce(hazards))  # hazards.sum() without its Python wrapper
            if total <= 0.0:
                return 0.0
            n_eff = total * total / float(np.dot(hazards, hazards))
            ep = self.p.catchup.existence_proof
            if ep > 0 and (self.name != self.race.params.leader or self.p.catchup.from_all_teams):
                k = bisect.bisect_right(self._onset, self.race.proof_level(self))
                n_eff *= 1.0 - ep * float(np.add.reduce(hazards[:k])) / total  # [:k] may be all: fine
            return n_eff
        finally:
            hazards[cause] = cause_hazard

    def try_fix(self, hazards: np.ndarray, mode: int) -> bool:
        """Try to identify ``mode`` (probability ``diagnosis / (1 + confounding x N)``, N the
        confounders); fix it if identified. Returns whether it was.
        """
        p_id = identify_probability(self.p.diagnosis, self.confounders(hazards, mode), self.world.confounding)
        if self.rng.random() < p_id:
            self.kh.fix(mode)
            return True
        return False

    def learn(self, t_days: float, plan: Plan, out: Outcome) -> None:
        """After a run ends at ``t_days``: diagnose a failure, or on success update capability,
        maybe notice a silent mode and schedule a release; record the event and the state.
        """
        self.runs += 1
        w = self.world
        identified, area, capability = False, "", math.nan
        if out.cause >= 0:
            identified = self.try_fix(out.hazards, out.cause)
            area = self._area_name[out.cause]
            outcome = "failure"
        else:
            outcome = "success"
            hazards, silent_mask = out.hazards, self._silent[: len(out.hazards)]
            silent = hazards * silent_mask
            loss = w.silent_loss_per_hazard * float(np.dot(hazards, silent_mask))  # silent_loss(hazards)
            capability = plan.level - loss
            if plan.kind == "run" or plan.level > self.largest_run:
                self.largest_run = max(self.largest_run, plan.level)
            eval_maturity = out.eval_maturity
            if np.add.reduce(silent) > 0 and self.rng.random() < w.notice_on_success * eval_maturity:
                worst = draw_failure(self.rng, silent * 1e6)  # a mode in proportion to its cost
                if worst >= 0:
                    identified = self.try_fix(out.hazards, worst)
                    area = self._area_name[worst]
            if (
                plan.kind == "run"
                and capability > self.internal_best
                and self.rng.random() < self.p.decision_quality
            ):
                self.internal_best = capability
                overstated = (1.0 - eval_maturity) * (loss + self.p.eval_optimism)
                self.race.schedule_release(
                    self, t_days + self.p.release_lag_days, capability, capability + overstated, plan.flop
                )
        self.race.events.add(
            rep=self.race.rep,
            t_days=t_days,
            team=self.name,
            run_id=self.runs,
            kind=plan.kind,
            area=area,
            outcome=outcome,
            wait_days=out.wait_days,
            duration_days=out.duration_days,
            level=plan.level,
            capability=capability,
            gpus=plan.gpus,
            cost_usd=out.cost_usd,
            mode=int(out.cause),
            identified=identified,
            interruptions=out.interruptions,
            compute_flop=plan.flop,
        )
        self.race.record_state(self, t_days)


class Slot:
    """One process's view of a team: its main run or one experiment line.

    Its methods are the team's, bound once (``plan`` with the slot's kind), so
    a run costs no extra Python call per step of the iteration loop.
    """

    def __init__(self, team: LLMTeam, kind: str):
        self.team, self.kind = team, kind
        self.name, self.budget = team.name, team.budget
        self.plan = partial(team.plan, kind=kind)
        self.execute = team.execute
        self.learn = team.learn
