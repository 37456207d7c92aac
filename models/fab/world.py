"""The process's latent failure modes, hidden in the steps of the route (DESIGN §3.1).

Every step of the route carries failure modes of its area; a mode's onset is
its step index, so the engine's :class:`~sim.knowhow.FailureModes` are sorted
by step and the modes of step ``i`` are a contiguous slice. A mode is one of
three kinds:

* scrap: a wafer exposed to it is lost with probability ``1 - exp(-hazard)``
  at that step (each wafer independently);
* rework: the lot is caught at inspection with probability
  ``1 - exp(-hazard)`` and goes back a few steps (lot level);
* latent: it leaves defects that lower die yield (the engine's *silent* modes).

Hazards are lognormal (heavy tail, so the big modes are found first) times the
step's defect contribution; a team carries ``residual`` of each hazard
(:class:`~sim.knowhow.KnowHow`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.knowhow import FailureModes, KnowHow

from .params import AREAS
from .route import Route

SCRAP, REWORK, LATENT = 0, 1, 2


@dataclass(frozen=True)
class ProcessWorld:
    """Failure modes of one replication, shared by every team (common random numbers).

    Attributes
    ----------
    modes : FailureModes, onset = step index (float), sorted by step
    kind : int array, SCRAP / REWORK / LATENT per mode
    step : int array, step index per mode
    step_start : int array of length steps + 1; modes of step i are
        ``step_start[i]:step_start[i + 1]``
    """

    modes: FailureModes
    kind: np.ndarray
    step: np.ndarray
    step_start: np.ndarray

    @property
    def n_steps(self) -> int:
        """Number of route steps the world holds failure modes for."""
        return len(self.step_start) - 1


def draw_world(
    rng: np.random.Generator,
    route: Route,
    modes_per_step: float,
    hazard_median: float,
    hazard_sigma: float,
    latent_share,
    rework_share,
) -> ProcessWorld:
    """Draw the modes step by step (Poisson count per step, lognormal hazard x defect weight)."""
    steps = len(route)
    counts = rng.poisson(modes_per_step, size=steps)
    step = np.repeat(np.arange(steps), counts)
    n = len(step)
    area = route.area[step].astype(np.int64)
    hazard = hazard_median * np.exp(hazard_sigma * rng.standard_normal(n)) * route.defect_weight[step]
    latent = rng.random(n) < np.asarray(latent_share, float)[area]
    rework = ~latent & (rng.random(n) < np.asarray(rework_share, float)[area])
    u = rng.random(n)
    kind = np.where(latent, LATENT, np.where(rework, REWORK, SCRAP))
    modes = FailureModes(area, step.astype(float), hazard, latent, u, AREAS)
    step_start = np.concatenate([[0], np.cumsum(counts)])
    return ProcessWorld(modes, kind, step, step_start)


def step_hazards(world: ProcessWorld, kh: KnowHow) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-step hazards (scrap per wafer, rework per lot, latent) a team carries now."""
    h = world.modes.hazard * kh.residual
    n = world.n_steps
    out = []
    for k in (SCRAP, REWORK, LATENT):
        mask = world.kind == k
        out.append(np.bincount(world.step[mask], weights=h[mask], minlength=n))
    return out[0], out[1], out[2]


def pick_mode(world: ProcessWorld, kh: KnowHow, step: int, kind: int, rng: np.random.Generator) -> int:
    """The mode of ``kind`` at ``step`` that caused an event, drawn in proportion to hazard; -1 if none."""
    s, e = world.step_start[step], world.step_start[step + 1]
    h = world.modes.hazard[s:e] * kh.residual[s:e] * (world.kind[s:e] == kind)
    total = h.sum()
    if total <= 0:
        return -1
    cum = np.cumsum(h)
    return int(s + min(np.searchsorted(cum, rng.random() * total, side="right"), e - s - 1))


def pick_latent(world: ProcessWorld, kh: KnowHow, rng: np.random.Generator) -> int:
    """A latent mode of the route, drawn in proportion to its remaining hazard; -1 if none."""
    h = world.modes.hazard * kh.residual * (world.kind == LATENT)
    total = h.sum()
    if total <= 0:
        return -1
    cum = np.cumsum(h)
    return int(min(np.searchsorted(cum, rng.random() * total, side="right"), len(cum) - 1))
