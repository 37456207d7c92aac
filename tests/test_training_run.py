"""One compiled training run draws and computes what the plain numpy steps do (models/llm/training_run.py).

The reference below is the model's specification written with numpy and the
``Generator`` itself: ``draw_failure`` over the fatal hazards, a failure caught
early, the maturities, Poisson interruptions, and the learning at the end.
"""

import bisect
import math

import numpy as np
import pytest

from models.llm import training_run
from models.llm.params import AREAS
from models.llm.reliability import maturity_lerp
from sim.knowhow import FailureModes, KnowHow, draw_failure
from sim.pcg64 import state_of

INFRA, EVAL = AREAS.index("infra"), AREAS.index("eval")
VISIBLE = np.array([False, True, True, False, False])
RELIABILITY = np.array([2e-3, 4e-4, 4.0, 0.25, 0.25, 10 / 3600])  # immature, mature: rate, restart, write


def know_how(seed):
    rng = np.random.default_rng(seed)
    modes = FailureModes.draw(
        rng,
        AREAS,
        np.arange(20.0, 30.0, 0.5),
        dict.fromkeys(AREAS, 1.5),
        0.02,
        1.2,
        dict.fromkeys(AREAS, 0.4),
    )
    kh = KnowHow(modes)
    kh.seed(np.full(len(AREAS), 1.0), up_to=24.0)
    for mode in rng.choice(len(modes), size=len(modes) // 4, replace=False):
        kh.fix(int(mode))
    return kh


def reference_start(rng, kh, level, largest, fail_early, days, gpus, slope=1.0, cap=3.0):
    fatal = 1.0 - kh.modes.silent
    hazards = kh.exposed_hazards(level, slope, cap)
    n = len(hazards)
    cause = draw_failure(rng, hazards * fatal[:n])
    fraction = 1.0
    if cause >= 0 and (VISIBLE[kh.modes.area[cause]] or rng.random() < fail_early):
        fraction = rng.random()
    train_days = days * fraction
    infra, eval_maturity = kh.maturity(largest)[INFRA], kh.maturity(largest)[EVAL]
    rate, restart, write = (maturity_lerp(RELIABILITY[i], RELIABILITY[i + 1], infra) for i in (0, 2, 4))
    mean = rate * gpus * train_days
    count = int(rng.poisson(mean)) if mean > 0 else 0
    tau = math.sqrt(2.0 * write * 24.0 / (rate * gpus))
    lost = float(np.add.reduce(rng.random(count))) * tau if count else 0.0
    extra = count * restart / 24.0 + lost / 24.0 + train_days * (write / tau)
    return n, cause, train_days, count, extra, eval_maturity, hazards


def compiled_start(rng, kh, level, largest, fail_early, days, gpus, slope=1.0, cap=3.0):
    m, size = kh.modes, len(kh.modes)
    hazards, cum = np.empty(size), np.empty(size)
    args = (m.onset, m.area, m.hazard, kh.residual_hazard, 1.0 - m.silent, VISIBLE[m.area], hazards, cum)
    out = training_run.start(
        state_of(rng), *args, RELIABILITY, level, slope, cap, largest, fail_early, days, gpus
    )
    return (*out, hazards, cum)


CASES = [
    (seed, level, fail_early)
    for seed in range(12)
    for level in (22.0, 26.3, 29.9)
    for fail_early in (0.0, 0.7)
]


@pytest.mark.parametrize(("seed", "level", "fail_early"), CASES)
def test_start_draws_what_the_plain_steps_draw(seed, level, fail_early):
    kh = know_how(seed)
    a, b = np.random.default_rng(100 + seed), np.random.default_rng(100 + seed)
    ref = reference_start(a, kh, level, 25.0, fail_early, 45.0, 8192.0)
    got = compiled_start(b, kh, level, 25.0, fail_early, 45.0, 8192.0)
    assert got[:6] == ref[:6]
    assert np.array_equal(got[6][: ref[0]], ref[6])  # the run's hazards are left in the buffer
    assert a.bit_generator.state == b.bit_generator.state


def reference_confounders(hazards, cause, onset, proof, existence_proof):
    h = hazards.copy()
    h[cause] = 0.0
    total = float(np.add.reduce(h))
    if total <= 0.0:
        return 0.0
    n_eff = total * total / float(np.add.reduce(h * h))
    if existence_proof > 0:
        k = bisect.bisect_right(onset.tolist(), proof)
        n_eff *= 1.0 - existence_proof * float(np.add.reduce(h[:k])) / total
    return n_eff


def reference_end(rng, hazards, cause, silent, onset, proof, ep, level, best, notice=0.6):
    diagnosis, confounding, loss_per_hazard, decision = 0.8, 0.3, 2.0, 0.9
    if cause >= 0:
        u = rng.random()
        return cause, u < diagnosis / (
            1 + confounding * reference_confounders(hazards, cause, onset, proof, ep)
        )
    s = hazards * silent[: len(hazards)]
    loss = loss_per_hazard * float(np.add.reduce(s))
    capability, mode, identified = level - loss, -1, False
    if float(np.add.reduce(s)) > 0 and rng.random() < notice:
        mode = draw_failure(rng, s * 1e6)
        if mode >= 0:
            p_id = diagnosis / (1 + confounding * reference_confounders(hazards, mode, onset, proof, ep))
            identified = rng.random() < p_id
    release = capability > best and rng.random() < decision
    return mode, identified, capability, loss, release


@pytest.mark.parametrize(("seed", "level", "fail_early"), CASES)
def test_end_learns_what_the_plain_steps_learn(seed, level, fail_early):
    kh = know_how(seed)
    first = np.random.default_rng(100 + seed)
    n, cause, *_, hazards, cum = compiled_start(first, kh, level, 25.0, fail_early, 45.0, 8192.0)
    silent, onset = kh.modes.silent.astype(float), kh.modes.onset
    for ep, best in [(0.0, 20.0), (0.5, 20.0), (0.5, math.nan)]:
        a, b = np.random.default_rng(seed), np.random.default_rng(seed)
        ref = reference_end(a, hazards[:n].copy(), cause, silent, onset, 24.4, ep, level, best)
        got = training_run.end(
            state_of(b), cause, hazards, silent, cum, n, onset, 24.4, ep, 0.8, 0.3, 0.6, 2.0, level, best, 0.9
        )
        assert (got[:2] if cause >= 0 else got) == ref
        assert a.bit_generator.state == b.bit_generator.state
