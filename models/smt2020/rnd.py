"""R&D on a real line: a development team's engineering lots on the SMT2020 production fab.

The engineering lots take a product's full route through the same tools as production
(:class:`models.smt2020.fab.Fab`, ``engineering=True``). The route carries the latent
failure modes of the engine's know-how mechanism (:mod:`sim.knowhow`, DESIGN §3.1): each
step of an area holds a Poisson number of modes with lognormal per-wafer hazards, shared
by every team of a replication (common random numbers). A wafer of an engineering lot
survives the route with probability ``exp(-H)``, ``H`` the sum of the hazards the team still
carries; each lost wafer was killed by one mode drawn in proportion to its hazard. After a
lot comes out the team analyses up to ``failure_analyses_per_lot`` scrapped wafers for
``analysis_days``, identifies each killing mode with its diagnosis probability (less with
many modes at once: ``confounding``), fixes what it found, and releases its next lot: the
loop of seed claim S5 on a real fab, paced by the line's cycle time.

Capability is ``log10`` of the expected line yield of a lot started now (``-H / ln 10``).
"""

from __future__ import annotations

import math

import numpy as np

from sim.knowhow import FailureModes, KnowHow, identify_probability, pick_in_proportion
from sim.units import MINUTE

from .data import Product
from .params import AREAS, DevTeam, World

WAFERS = 25


def draw_modes(rng: np.random.Generator, product: Product, world: World) -> FailureModes:
    """The failure modes of ``product``'s route: per process step (Delay steps carry none),
    Poisson ``modes_on_route / steps`` modes with hazard ``hazard_median * exp(hazard_sigma * N(0, 1))``
    per wafer; onset is the step's index (0-based). A rate per route rather than per step
    keeps the hazard to learn the same on a short synthetic route as on a 583-step one."""
    area_of = {a: i for i, a in enumerate(AREAS)}
    steps = [(i, area_of[s.area]) for i, s in enumerate(product.steps) if s.area in area_of]
    counts = rng.poisson(world.modes_on_route / max(len(steps), 1), size=len(steps))
    onset = np.repeat(np.array([i for i, _ in steps], float), counts)
    area = np.repeat(np.array([a for _, a in steps], np.int64), counts)
    n = len(onset)
    hazard = world.hazard_median * np.exp(world.hazard_sigma * rng.standard_normal(n))
    u = rng.random(n)
    return FailureModes(area, onset, hazard, np.zeros(n, bool), u, AREAS)


class EngineeringTeam:
    """One R&D team of one replication: its lots in the fab, its know-how and its records.

    ``sim`` is the replication (:class:`models.smt2020.simulate.Smt2020Sim`): the team
    releases lots into ``sim.fab`` and adds rows to ``sim.events`` and ``sim.states``.
    """

    def __init__(self, name: str, p: DevTeam, product: str, world: World, modes: FailureModes, rng, sim):
        self.name, self.p, self.product, self.world, self.rng, self.sim = name, p, product, world, rng, sim
        self.kh = KnowHow(modes, world.fix_effectiveness, world.codified_share, world.retention_per_month)
        self.kh.seed(np.full(len(AREAS), p.know_how), 1e9)  # every step practised (practice 0)
        self.lots_done = self.fixes = self.serial = 0
        self.spend_usd = 0.0
        self.last_cycle_days = math.nan

    @property
    def line_yield(self) -> float:
        """Expected share of a lot's wafers that survive the route with today's know-how."""
        return math.exp(-float(self.kh.residual_hazard.sum()))

    def record_state(self, t_days: float) -> None:
        """Add a ``states`` row at ``t_days`` (days)."""
        y = self.line_yield
        self.sim.states.add(
            rep=self.sim.rep,
            t_days=t_days,
            team=self.name,
            capability=math.log10(max(y, 1e-300)),
            line_yield=y,
            spend_usd=self.spend_usd,
            lots_done=self.lots_done,
            fixes=self.fixes,
            cycle_time_days=self.last_cycle_days,
        )

    def start(self) -> None:
        """Release the first ``lots_in_flight`` lots at clock 0."""
        for _ in range(self.p.lots_in_flight):
            self.release(0.0)

    def release(self, t_min: float) -> None:
        """Pay for and release one engineering lot at ``t_min`` (minutes)."""
        self.serial += 1
        self.spend_usd += self.p.lot_cost_usd
        self.sim.fab.release(
            self.product,
            t_min,
            engineering=True,
            on_done=self.done,
            tag=(self.name, f"{self.name}_{self.serial}"),
        )

    def done(self, lot) -> None:
        """A lot came out (``lot``: the kernel's record): wafers, failure analysis, fixes, next lot."""
        now_days = MINUTE.to_days(lot.finish_min)
        self.kh.advance(now_days)
        hazards = self.kh.residual_hazard
        total = float(hazards.sum())
        rng = self.rng
        dead = int(rng.binomial(WAFERS, -math.expm1(-total))) if total > 0 else 0
        killers = [pick_in_proportion(rng, hazards) for _ in range(dead)]
        killers = [k for k in killers if k >= 0]
        p_id = identify_probability(self.p.diagnosis, max(len(set(killers)) - 1, 0), self.world.confounding)
        n_fa = min(self.p.failure_analyses_per_lot, len(killers))
        analysed = [killers[j] for j in sorted(rng.choice(len(killers), n_fa, replace=False))] if n_fa else []
        found = sorted({m for m in analysed if rng.random() < p_id})
        for mode in found:
            self.kh.fix(mode)
        self.fixes += len(found)
        self.lots_done += 1
        self.last_cycle_days = MINUTE.to_days(lot.finish_min - lot.release_min)
        self.sim.events.add(
            rep=self.sim.rep,
            t_days=now_days,
            team=self.name,
            lot=lot.tag[1],
            cycle_time_days=self.last_cycle_days,
            wafers_out=WAFERS - dead,
            modes_fixed=len(found),
            area=AREAS[self.kh.modes.area_list[killers[0]]] if killers else "",
        )
        self.record_state(now_days)
        self.release(lot.finish_min + MINUTE.from_days(self.p.analysis_days))
