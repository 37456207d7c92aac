"""A fab team's experiment programme: lots in flight, failure analysis, fixes, money.

The loop of seed claim S5: take wafers, run an experiment, decide the next
experiment from the results. A team keeps ``lots_in_flight`` experimental
lots in its fab; each slot releases a lot (paying its cost from the budget),
waits for it to come out, analyses it for ``analysis_days`` and only then
starts the next lot, which runs with every fix found so far: the next
experiment is decided from the last results.

Failure analysis (DESIGN §3.1, §3.4): up to ``failure_analyses_per_lot``
scrapped wafers of a lot are analysed (FA capacity); with the team's
diagnosis probability (divided by confounding with the other modes
that killed wafers of the same lot) its killing mode is identified. Each
identified mode is fixed once (fix effectiveness, codified/tacit split of
:class:`~sim.knowhow.KnowHow`). A reworked lot's cause is analysed the same
way. Wafers that survive go to die sort, where yield analysis finds one latent
(die-yield) mode with the diagnosis probability.
"""

from __future__ import annotations

import math

from sim.budget import Budget
from sim.knowhow import KnowHow, identify_probability
from sim.units import MINUTE

from . import yield_model
from .line import FabLine, LotResult
from .params import AREAS, WAFERS_PER_LOT
from .world import ProcessWorld, pick_latent, step_hazards

RECENT_LOTS = 5  # cycle time, X-factor and measured yield are over a team's last lots


class FabTeam:
    """State and behaviour of one team in one replication."""

    def __init__(self, name, p, world_params, world: ProcessWorld, kh: KnowHow, line: FabLine, rng, sim):
        self.name, self.p, self.world_params, self.world = name, p, world_params, world
        self.kh, self.line, self.rng, self.sim = kh, line, rng, sim
        self.budget = Budget(p.budget_usd_per_year, unit=MINUTE)
        self.version = 0  # bumped at every fix, so lots in flight refresh their hazards
        self._lists = None
        self.lots_started = self.lots_done = 0
        self.wafers_out = 0
        self.fixes = 0
        self.recent: list[tuple[float, float]] = []  # (cycle time, X-factor) of recent lots

    # -- know-how as hazards ------------------------------------------------------
    def hazard_lists(self):
        """Per-step hazards (scrap, rework, latent) as lists, cached until the next fix."""
        if self._lists is None:
            self._lists = tuple(a.tolist() for a in step_hazards(self.world, self.kh))
        return self._lists

    def _changed(self) -> None:
        self.version += 1
        self._lists = None

    def measured_line_yield(self) -> float:
        """Line yield the team has seen on its last lots (wafers out / wafers in); NaN before any.

        With no wafer out at all it counts half a wafer, so its log stays finite.
        """
        if not self.recent:
            return math.nan
        out = sum(r[2] for r in self.recent)
        return max(out, 0.5) / (WAFERS_PER_LOT * len(self.recent))

    def expected(self) -> dict:
        """Expected outcome of a lot started now, from the team's know-how (no sampling noise).

        ``line_yield`` = exp(-total scrap hazard) (one pass, no rework);
        ``per_step_loss`` = the constant per-step loss giving that yield;
        ``defect_density`` (cm⁻²) and ``die_yield`` (negative binomial).
        """
        hs, _, hl = step_hazards(self.world, self.kh)
        w = self.world_params
        total = float(hs.sum())
        d0 = w.base_defect_density + w.defects_per_hazard * float(hl.sum())
        return {
            "line_yield": math.exp(-total),
            "per_step_loss": float(yield_model.per_step_loss(total / len(hs))),
            "defect_density": d0,
            "die_yield": float(yield_model.negative_binomial(w.die_area_cm2 * d0, w.clustering_alpha)),
        }

    # -- the experiment loop --------------------------------------------------------
    def slot(self):
        """One experiment line: budget, lot through the fab, failure analysis, fixes, repeat."""
        env = self.line.env
        while True:
            cost = self.p.lot_cost_usd
            delay = self.budget.delay(cost, env.now)
            if delay > 0:
                yield env.timeout(delay)
            self.kh.advance(MINUTE.to_days(env.now))  # tacit fixes regress between lots
            self._changed()
            self.budget.spend(cost)  # paid at release, whatever comes out
            self.lots_started += 1
            lot_id = self.line.next_lot_id()
            res = yield from self.line.experimental_lot(self, lot_id)
            if self.p.analysis_days > 0:
                yield env.timeout(MINUTE.from_days(self.p.analysis_days))
            self.learn(lot_id, res, cost)

    def learn_from_volume(self, res: LotResult) -> None:
        """Failure analysis of a production lot's scrapped wafers (volume learning).

        ``production_analyses_per_lot`` wafers on average (a fractional part is
        a coin), each identified with the team's diagnosis probability.
        """
        killers = [m for m in res.scrap_modes if m >= 0]
        if not killers:
            return
        rng, share = self.line.rng, self.line.p.production_analyses_per_lot
        n_fa = int(share) + (rng.random() < share - int(share))
        n_fa = min(n_fa, len(killers))
        if n_fa == 0:
            return
        self.kh.advance(MINUTE.to_days(self.line.env.now))
        found = {
            killers[j]
            for j in rng.choice(len(killers), n_fa, replace=False)
            if rng.random() < self.p.diagnosis
        }
        for mode in sorted(found):
            self.kh.fix(mode)
        if found:
            self.fixes += len(found)
            self._changed()
            self.sim.record_state(self, MINUTE.to_days(self.line.env.now))

    def learn(self, lot_id: int, res: LotResult, cost: float) -> None:
        """Failure analysis of the lot's scrapped wafers and rework, die-sort analysis, records."""
        now_days = MINUTE.to_days(self.line.env.now)
        self.kh.advance(now_days)
        w, rng = self.world_params, self.rng
        killers = [m for m in res.scrap_modes if m >= 0]
        confounders = max(len(set(killers)) - 1, 0)
        p_id = identify_probability(self.p.diagnosis, confounders, w.confounding)
        # Failure analysis is slow and costly (cross-sections, TEM): only a few
        # scrapped wafers per lot are analysed, picked at random.
        n_fa = min(self.p.failure_analyses_per_lot, len(killers))
        analysed = [killers[j] for j in sorted(rng.choice(len(killers), n_fa, replace=False))] if n_fa else []
        found = set()
        for mode in analysed + [m for m in res.rework_modes if m >= 0]:
            if rng.random() < p_id:
                found.add(mode)
        if res.wafers_out > 0 and rng.random() < self.p.diagnosis:
            latent = pick_latent(self.world, self.kh, rng)
            if latent >= 0:
                found.add(latent)
        for mode in sorted(found):
            self.kh.fix(mode)
        self.fixes += len(found)
        if found:
            self._changed()
        self.lots_done += 1
        self.wafers_out += res.wafers_out
        cycle = MINUTE.to_days(res.end - res.start)
        x_factor = (res.end - res.start) / res.process if res.process > 0 else math.nan
        self.recent = (self.recent + [(cycle, x_factor, res.wafers_out)])[-RECENT_LOTS:]
        d0 = w.base_defect_density + w.defects_per_hazard * res.latent_hazard
        die_yield = float(yield_model.negative_binomial(w.die_area_cm2 * d0, w.clustering_alpha))
        killer = killers[0] if killers else -1
        area = AREAS[self.world.modes.area[killer]] if killer >= 0 else ""
        outcome = "completed" if res.wafers_out else "scrapped"
        self.sim.events.add(
            rep=self.sim.rep,
            t_days=now_days,
            team=self.name,
            fab=self.line.name,
            run_id=lot_id,
            kind="experimental",
            area=area,
            outcome=outcome,
            wait_days=MINUTE.to_days(res.wait),
            duration_days=cycle,
            start_days=MINUTE.to_days(res.start),
            wafers_in=WAFERS_PER_LOT,
            wafers_out=res.wafers_out,
            line_yield=res.wafers_out / WAFERS_PER_LOT,
            die_yield=die_yield,
            defect_density=d0,
            cost_usd=cost,
            reworks=res.reworks,
            mode=killer,
            modes_fixed=len(found),
        )
        self.sim.record_state(self, now_days)
