"""An LLM team: its know-how, its runs on a GPU cluster, and what it learns.

A team runs one main slot (its frontier training runs) and optionally some
experiment slots (small runs side by side, below the main target), each a
SimPy process running :meth:`LLMTeam.slot_loop` (the steps of
:func:`sim.iteration.iteration_loop`). Capability is log10 effective compute
at the scenario's reference recipe, less what unfixed silent modes cost.
"""

from __future__ import annotations

import math

import numpy as np

from sim.budget import Budget
from sim.capacity import CapacityRequest
from sim.kernels import pairwise_dot
from sim.knowhow import KnowHow
from sim.pcg64 import state_of
from sim.units import DAYS_PER_MONTH, DAYS_PER_YEAR, SECONDS_PER_DAY

from .params import AREAS
from .training_run import end as end_run
from .training_run import start as start_run

# Divergence and hardware faults show when they happen; data and post-training
# faults only at the end, unless in-run evaluation catches them (fail early).
VISIBLE = np.array([False, True, True, False, False])


class LLMTeam:
    """State and behaviour of one team in one replication."""

    def __init__(self, name, p, world, cluster, capacity, knowhow: KnowHow, rng, race):
        self.name, self.p, self.world, self.cluster = name, p, world, cluster
        self.capacity, self.kh, self.rng, self.race = capacity, knowhow, rng, race
        self.budget = Budget(p.budget_usd_per_year)
        modes = knowhow.modes
        self._silent = modes.silent.astype(float)
        self._fatal = 1.0 - self._silent
        self._visible = VISIBLE[modes.area]  # per mode (training_run.start)
        # Per mode, as a Python list: a run looks up one mode, and list items cost less than array items.
        self._area_name = [AREAS[a] for a in modes.area.tolist()]
        rel = race.params.reliability
        # immature and mature interruption rate, restart and checkpoint-write hours (training_run.start)
        self._reliability = np.array(
            [
                rel.hazard_immature,
                rel.hazard_mature,
                rel.restart_hours_immature,
                rel.restart_hours_mature,
                rel.checkpoint_write_hours_immature,
                rel.checkpoint_write_hours_mature,
            ],
            dtype=float,
        )
        self._rng_state = state_of(rng)  # the kernels of training_run draw from it
        # The existence proof discounts a follower's confounders (or every team's, from all teams).
        self._existence_proof = ep = p.catchup.existence_proof
        self._proof_discount = ep > 0 and (name != race.params.leader or p.catchup.from_all_teams)
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
        return self.world.silent_loss_per_hazard * pairwise_dot(hazards, self._silent[: len(hazards)])

    def capability_of(self, level: float) -> float:
        """Capability a successful run at ``level`` gives this team now."""
        w = self.world
        return level - self.silent_loss(self.kh.exposed_hazards(level, w.exposure_slope, w.exposure_cap))

    # -- the iteration loop ---------------------------------------------------------
    def slot_loop(self, env, kind: str):
        """One slot's R&D iteration loop (a SimPy process): the main runs (``kind="run"``)
        or one line of experiments.

        It is :func:`sim.iteration.iteration_loop` with :meth:`plan`, :meth:`execute` and
        :meth:`learn` written out in one frame: plan the next run, wait for the money,
        queue for the cluster, train (draw the failing mode, interruptions), release the
        units, spend, learn, prepare. A replication runs thousands of these loops'
        iterations, and the calls, the ``Plan`` and ``Outcome`` objects and the
        attribute look-ups cost as much as the arithmetic. A run's start (its hazards,
        failure, maturities and interruptions) and its end (diagnosis, silent loss, the
        notice of a silent mode, the release decision) are one compiled call each
        (:mod:`models.llm.training_run`), drawing from this team's ``Generator`` through
        its PCG64 state. Every value is computed by the same floating-point operations in
        the same order as in those methods, and random numbers are drawn in the same
        order, so the tables are the same to the last bit (``benchmarks/identity.py``
        checks it; ``tests/test_training_run.py`` checks the two calls against numpy).
        """
        p, c, w, kh, race = self.p, self.cluster, self.world, self.kh, self.race
        capacity, budget, name = self.capacity, self.budget, self.name
        is_run = kind == "run"
        e = p.experiments
        # plan(): constants of the team and its cluster
        policy, jump = p.policy, p.policy == "jump"
        log_factor = math.log10(p.jump_factor if jump else p.step_factor)
        toward, log_toward = p.catchup.toward_leader, math.log10(p.catchup.toward_factor)
        flops_per_gpu, hw_growth, gpus0, gpu_growth = (
            c.flops_per_gpu,
            c.hardware_growth_per_year,
            c.gpus,
            c.gpu_growth_per_year,
        )
        units_max, cost_per_gpu_day = c.units, c.cost_per_gpu_day
        mfu, lag_months, halving = p.mfu, p.algorithm_lag_months, race.params.algorithms.halving_months
        log2 = math.log10(2.0)
        share, max_run_days, run_days, priority = p.share, p.max_run_days, p.run_days, p.priority
        e_share, e_run_days, e_below = e.share, e.run_days, e.below
        prep = p.prep_days if is_run else 0.0
        log10, ceil, inf = math.log10, math.ceil, math.inf
        # Budget.delay(): a team without a budget never waits
        usd_per_year, to_days = budget.usd_per_year, budget.unit.to_days
        # execute()
        slope, cap = w.exposure_slope, w.exposure_cap
        fatal, silent_mask, visible, area_name = self._fatal, self._silent, self._visible, self._area_name
        fail_early = p.fail_early
        state = self._rng_state  # rng's own PCG64 state: the kernels draw rng's numbers
        # learn()
        diagnosis, confounding = p.diagnosis, w.confounding
        loss_per_hazard, notice = w.silent_loss_per_hazard, w.notice_on_success
        decision_quality, eval_optimism, release_lag = p.decision_quality, p.eval_optimism, p.release_lag_days
        fix, onset, mode_area, base_hazard = kh.fix, kh.modes.onset, kh.modes.area, kh.modes.hazard
        reliability = self._reliability
        proof_discount = self._existence_proof if self._proof_discount else 0.0
        add_event = race.events.rows.append
        rep = race.rep
        nan = math.nan
        residual_hazard = kh.residual_hazard  # updated in place
        # This slot's buffers: a run's hazards (kept until it has learnt) and cumulative weights.
        hazards_buf, cum = np.empty(len(residual_hazard)), np.empty(len(residual_hazard))
        while True:
            now = env.now  # read once: env.now is a property, and the clock stands still until a yield
            # -- plan(now, kind) --
            if (now - kh.t_days) / DAYS_PER_MONTH + 1e-9 >= 1.0:  # a month is over: kh.advance(now)
                kh.advance(now)
            years = now / DAYS_PER_YEAR
            hw = hw_growth**years
            flops = flops_per_gpu * hw
            months = now / DAYS_PER_MONTH - lag_months
            algorithms = log2 * months / halving
            per_gpu_day = log10(flops * SECONDS_PER_DAY * mfu) + algorithms  # level_per_gpu_day(now)
            gpus_cluster = gpus0 * gpu_growth ** (now / DAYS_PER_YEAR)  # cluster_gpus(now)
            largest = self.largest_run
            if policy == "hold":  # target_level()
                target = largest
            else:
                target = largest + log_factor
                if toward:
                    leader = race.proof_level(self)
                    target = max(target, min(leader, largest + log_toward))
                if jump:
                    target = inf
            if is_run:
                gpus_max = gpus_cluster * share
                level = min(target, per_gpu_day + log10(gpus_max * max_run_days))
                gpu_days = 10.0 ** (level - per_gpu_day)
                days = min(max(gpu_days / gpus_max, run_days), max_run_days)
            else:
                gpus_max = gpus_cluster * e_share
                level = min(target, per_gpu_day + log10(gpus_cluster * share * run_days)) - e_below
                level = min(level, per_gpu_day + log10(gpus_max * e_run_days))
                gpu_days = 10.0 ** (level - per_gpu_day)
                days = e_run_days
            gpus = gpu_days / days
            units = min(units_max, max(1, ceil(gpus / gpus_cluster * units_max - 1e-9)))
            flop = gpus * days * SECONDS_PER_DAY * mfu * flops_per_gpu * hw
            if is_run and self.start_phase is not None:
                # A run in flight when the scenario starts: only its remaining days lie ahead
                # (and cost money now); its level and compute are the whole run's.
                days, self.start_phase = days * (1.0 - self.start_phase), None
            # -- wait for the money: Budget.delay(cost, now) --
            if usd_per_year is not None:
                cost_usd = gpus * days * cost_per_gpu_day
                accrued = usd_per_year * to_days(now) / DAYS_PER_YEAR
                short = cost_usd - (budget.initial_usd + accrued - budget.spent_usd)  # - available(now)
                if short > 0:
                    delay = budget.unit.from_days(short / usd_per_year * DAYS_PER_YEAR)
                    if delay > 0:
                        yield env.timeout(delay)
                        now = env.now
            asked = now
            with CapacityRequest(capacity, units, name, priority) as req:
                yield req
                # -- execute(): the run's hazards as it starts (other slots may have fixed modes) --
                started = env.now
                # kh.exposed_hazards(level, slope, cap) into this slot's buffer, draw_failure(rng,
                # hazards * fatal), the maturities and sample_interruptions(): one compiled call.
                n, cause, train_days, n_ints, extra, eval_maturity = start_run(
                    state, onset, mode_area, base_hazard, residual_hazard, fatal, visible, hazards_buf, cum,
                    reliability, level, slope, cap, self.largest_run, fail_early, days, gpus,
                )  # fmt: skip
                duration = train_days + extra
                yield env.timeout(duration)
                cost = gpus * duration * cost_per_gpu_day
            budget.spent_usd += cost  # spent whether the run succeeded or not
            # -- learn(now, plan, outcome) --
            now = env.now
            self.runs += 1
            area = ""
            # learn: try_fix() on a failure; on a success its capability, a silent mode the
            # evaluation may notice, and the release decision. One compiled call (training_run).
            mode, identified, capability, loss, release = end_run(
                state, cause, hazards_buf, silent_mask, cum, n, onset,
                race.proof_level(self) if proof_discount else nan, proof_discount,
                diagnosis, confounding, notice * eval_maturity, loss_per_hazard, level,
                self.internal_best if is_run else nan, decision_quality,
            )  # fmt: skip
            if cause >= 0:
                outcome = "failure"
            else:
                outcome = "success"
                if is_run or level > self.largest_run:
                    self.largest_run = max(self.largest_run, level)
            if mode >= 0:
                if identified:
                    fix(mode)
                area = area_name[mode]
            if release:
                self.internal_best = capability
                overstated = (1.0 - eval_maturity) * (loss + eval_optimism)
                race.schedule_release(self, now + release_lag, capability, capability + overstated, flop)
            # race.events.add(...), the columns in schema order (checked by Race)
            add_event(
                (
                    rep,
                    now,
                    name,
                    self.runs,
                    kind,
                    area,
                    outcome,
                    started - asked,
                    duration,
                    level,
                    capability,
                    gpus,
                    cost,
                    cause,
                    identified,
                    n_ints,
                    flop,
                )
            )
            race.record_state(self, now)
            if prep > 0:
                yield env.timeout(prep)  # DAY.from_days(prep) is prep
