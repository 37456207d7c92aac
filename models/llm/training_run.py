"""One training run's draws and arithmetic, compiled: how it fails as it starts, what it teaches as it ends.

:meth:`models.llm.team.LLMTeam.slot_loop` calls :func:`start` when the
cluster grants a run its GPUs and :func:`end` when the run is over. Each is
one compiled call in place of a dozen numpy and ``Generator`` calls: the run
draws from the team's own ``Generator`` through :mod:`sim.pcg64` (the same
numbers ``rng.random()`` and ``rng.poisson()`` give, in the same order), and
sums by numpy's pairwise summation (:mod:`sim.kernels`), so the tables are the
same to the last bit as with the plain Python steps they replace, which each
docstring names.

Hazards are a run's per-mode expected failures: ``hazards[:n]`` for the ``n``
modes a run at its level meets (the others' onset lies above it).
"""

from __future__ import annotations

import math

from sim.kernels import (
    area_sums,
    exposure,
    jit,
    pairwise_dot,
    prefix_sum,
    run_weights,
    search_right,
    silent_weights,
)
from sim.pcg64 import next_double

from .params import AREAS
from .reliability import interruptions, maturity_lerp

__all__ = ["start", "end", "confounders"]

N_AREAS, INFRA, EVAL = len(AREAS), AREAS.index("infra"), AREAS.index("eval")


@jit
def start(state, onset, area, hazard, residual_hazard, fatal, visible, hazards, cum, reliability, level, slope, cap, largest, fail_early, days, gpus):  # fmt: skip  # noqa: E501
    """A run as it starts: the mode that fails it (if any), when, and its interruptions.

    The run meets the ``n`` modes with onset <= ``level`` (``onset`` is sorted) at
    exposure ``min((level - onset) x slope + 1, cap)`` (``KnowHow.exposure``);
    ``hazards[:n]`` and ``cum[:n]`` receive its hazards and its fatal weights' running
    sum (:func:`sim.kernels.run_weights`). Then, as ``sim.knowhow.draw_failure`` with
    ``rng``: it fails with probability ``1 - exp(-sum of fatal weights)``, by a mode
    drawn in proportion to its weight; a failure that shows while training
    (``visible``, or caught early with probability ``fail_early``) stops the run at a
    uniform share of its ``days``. The team's infra and eval maturity at its
    ``largest`` run (``KnowHow.area_maturities``) set the interruption rate, restart
    and checkpoint-write hours (``reliability`` holds each one's immature and mature
    value, interpolated by :func:`~models.llm.reliability.maturity_lerp`), and
    :func:`~models.llm.reliability.interruptions` draws them for ``gpus`` GPUs.

    Returns ``(n, cause, train_days, interruptions, extra_days, eval_maturity)``: the
    modes met, the failing mode (-1: none), days trained, the number of interruptions,
    the days they add, and the eval maturity.
    """
    n = search_right(onset, len(onset), level)  # KnowHow.modes.prefix_length(level)
    total, top = run_weights(residual_hazard, exposure(onset, n, level, slope, cap), fatal, hazards, cum)
    cause = -1
    if not (total <= 0.0 or next_double(state) >= -math.expm1(-total)):
        if not top <= 0.0:  # pick_in_proportion()
            cause = min(search_right(cum, n, next_double(state) * top), n - 1)
    fraction = 1.0
    if cause >= 0 and (visible[cause] or next_double(state) < fail_early):
        fraction = next_double(state)  # stopped when the failure shows
    train_days = days * fraction
    # KnowHow.area_maturities(largest, INFRA, EVAL), from the same sums
    k = search_right(onset, len(onset), largest)
    left, base = area_sums(area, residual_hazard, k, N_AREAS), area_sums(area, hazard, k, N_AREAS)
    infra = 1.0 - left[INFRA] / base[INFRA] if base[INFRA] > 0 else 1.0
    eval_maturity = 1.0 - left[EVAL] / base[EVAL] if base[EVAL] > 0 else 1.0
    rate = maturity_lerp(reliability[0], reliability[1], infra)
    restart = maturity_lerp(reliability[2], reliability[3], infra)
    write = maturity_lerp(reliability[4], reliability[5], infra)
    count, restart_days, lost_days, checkpoint_days = interruptions(
        state, gpus, train_days, rate, restart, write
    )
    return n, cause, train_days, count, restart_days + lost_days + checkpoint_days, eval_maturity


@jit
def confounders(hazards, n, cause, onset, proof, existence_proof):
    """How many comparable causes compete to explain a failure of ``cause``.

    The effective number of the other exposed hazards among ``hazards[:n]``,
    ``(sum h)^2 / sum h^2`` (inverse Simpson): many tiny residual modes do not
    confound, a few big unfixed ones do. With ``existence_proof > 0`` the share of
    that hazard in modes with onset at or below the public level ``proof`` is
    discounted by that factor (someone has shown those can be got past).
    """
    cause_hazard = hazards[cause]
    hazards[cause] = 0.0  # the other hazards: done in place, undone below
    total = prefix_sum(hazards, n)
    if total <= 0.0:
        n_eff = 0.0
    else:
        n_eff = total * total / pairwise_dot(hazards[:n], hazards[:n])
        if existence_proof > 0:
            k = search_right(onset, len(onset), proof)  # bisect_right(onset, proof)
            n_eff *= 1.0 - existence_proof * prefix_sum(hazards, min(k, n)) / total
    hazards[cause] = cause_hazard
    return n_eff


@jit
def end(state, cause, hazards, silent, cum, n, onset, proof, existence_proof, diagnosis, confounding, notice, loss_per_hazard, level, internal_best, decision_quality):  # fmt: skip  # noqa: E501
    """What a run teaches as it ends, and whether its model is released.

    A failed run (``cause >= 0``): its cause is identified with probability
    ``diagnosis / (1 + confounding x confounders)``. A successful one: its capability is
    ``level`` less ``loss_per_hazard`` times its silent hazard; with probability
    ``notice`` (if any silent hazard is left) the evaluation notices a silent mode,
    drawn in proportion to its cost, which is then identified as a failure's cause
    is; and with probability ``decision_quality`` a capability above
    ``internal_best`` (NaN: not a candidate) is chosen for release.

    Returns ``(mode, identified, capability, loss, release)``: the mode to learn from
    (-1: none), whether it was identified (the caller fixes it), the run's capability
    and the OOM its silent modes cost it (NaN for a failure), and whether it is released.
    """
    if cause >= 0:
        u = next_double(state)
        identified = u < diagnosis / (1.0 + confounding * confounders(hazards, n, cause, onset, proof, existence_proof))  # fmt: skip  # noqa: E501
        return cause, identified, math.nan, math.nan, False
    # silent = hazards * silent[:n]: its sum, and the running sum of silent * 1e6
    silent_total, weight, top = silent_weights(hazards[:n], silent, 1e6, cum)
    loss = loss_per_hazard * silent_total
    capability = level - loss
    mode, identified = -1, False
    if silent_total > 0 and next_double(state) < notice:
        # draw_failure(rng, silent * 1e6): a mode in proportion to its cost
        if not (weight <= 0.0 or next_double(state) >= -math.expm1(-weight)):
            if not top <= 0.0:
                mode = min(search_right(cum, n, next_double(state) * top), n - 1)
        if mode >= 0:
            p_id = diagnosis / (1.0 + confounding * confounders(hazards, n, mode, onset, proof, existence_proof))  # fmt: skip  # noqa: E501
            identified = next_double(state) < p_id
    release = capability > internal_best and next_double(state) < decision_quality
    return mode, identified, capability, loss, release
