"""Infrastructure interruptions of a training run, sampled per run.

Per-failure events would make a race of many teams too slow (AIReSim takes
13-62 s for one job, anchors F), so a run draws its number of interruptions
as Poisson in GPU-days and the time they cost in one go. Checkpoints are
written every Young-Daly interval ``tau = sqrt(2 * write * MTBF)``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from sim.kernels import jit
from sim.pcg64 import poisson, state_of, uniform_sum


class Interruptions(NamedTuple):
    """What interruptions cost one run (all times in days).

    A named tuple rather than a frozen dataclass: one is made per run, and a
    frozen dataclass costs several times more to build.
    """

    count: int
    restart_days: float  # down, restarting
    lost_days: float  # work redone since the last checkpoint
    checkpoint_days: float  # time spent writing checkpoints

    @property
    def extra_days(self) -> float:
        """Days the interruptions add to the run: restarts, lost work and checkpoint writes."""
        return self.restart_days + self.lost_days + self.checkpoint_days


@jit
def interruptions(
    state, gpus, days, hazard_per_gpu_day, restart_hours, write_hours
):  # pragma: no cover - compiled
    """:func:`sample_interruptions` drawn from a PCG64 state (:func:`sim.pcg64.state_of`), as
    a tuple ``(count, restart_days, lost_days, checkpoint_days)``; the compiled run calls it."""
    mean = hazard_per_gpu_day * gpus * days
    n = poisson(state, mean) if mean > 0 else 0
    if hazard_per_gpu_day <= 0 or gpus <= 0:
        return n, 0.0, 0.0, 0.0
    mtbf_h = 24.0 / (hazard_per_gpu_day * gpus)
    tau_h = math.sqrt(2.0 * write_hours * mtbf_h) if write_hours > 0 else 0.0
    lost_h = uniform_sum(state, n, np.empty(n)) * tau_h if n else 0.0
    ckpt_days = days * (write_hours / tau_h) if tau_h > 0 else 0.0
    return n, n * restart_hours / 24.0, lost_h / 24.0, ckpt_days


def sample_interruptions(
    rng: np.random.Generator,
    gpus: float,
    days: float,
    hazard_per_gpu_day: float,
    restart_hours: float,
    write_hours: float,
) -> Interruptions:
    """Interruptions of a run of ``gpus`` GPUs training for ``days`` days.

    The count is Poisson with mean ``hazard_per_gpu_day * gpus * days``; each
    costs the restart time (hours) plus the work since the last checkpoint,
    uniform on ``[0, tau)`` hours with ``tau = sqrt(2 * write * MTBF)`` (Young
    1974, CACM 17(9)); checkpoints cost ``write / tau`` of the run. Draws
    ``rng.poisson(mean)`` then ``rng.random(count)``.
    """
    args = (float(gpus), float(days), float(hazard_per_gpu_day), float(restart_hours), float(write_hours))
    return Interruptions(*interruptions(state_of(rng), *args))


@jit
def maturity_lerp(immature, mature, maturity):  # pragma: no cover - compiled
    """Geometric interpolation between immature and mature values (maturity in [0, 1])."""
    if immature <= 0 or mature <= 0:
        return immature + (mature - immature) * maturity
    return math.exp(math.log(immature) + (math.log(mature) - math.log(immature)) * maturity)
