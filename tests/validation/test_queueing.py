"""Validation of SharedCapacity against analytic queueing results.

Customers go through ``SharedCapacity.request`` (the code path the models use).
Time unit: the mean service time (mu = 1). Stochastic runs use gamma
interarrival and service times with squared coefficients of variation ca2, cs2
(shape 1 / c2, so c2 = 1 is exponential). Each stochastic test runs two
independent replications, one per core, and averages them; each replication
discards a warm-up from the empty state.

Tolerances were set from the spread of the estimate over 30-40 seeds of the
same run length (fast Lindley / Kiefer-Wolfowitz recursions, which reproduce
the simulated waits exactly): each tolerance is about 2.3-2.5 standard
deviations of the estimate.
"""

import functools
import math
import multiprocessing as mp

import numpy as np
import pytest
import simpy

from sim.capacity import SharedCapacity

SEED = 20240611
_CHUNK = 100_000  # customers drawn per numpy call


def _replication(seed, *, servers, lam, ca2, cs2, n, warm):
    """One run of a FIFO G/G/c queue with n customers; statistics after time `warm`.

    Returns Wq (mean wait of customers arriving after `warm`), and over the window
    [warm, last arrival]: time-average number in system L, arrival rate lam_hat and
    mean time in system W of the customers completing in it.
    """
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    cap = SharedCapacity(env, servers)

    def customer(service):
        with cap.request() as req:
            yield req
            yield env.timeout(service)

    def source():
        left = n
        while left:
            k = min(left, _CHUNK)
            left -= k
            gaps = rng.gamma(1 / ca2, ca2 / lam, k).tolist()
            services = rng.gamma(1 / cs2, cs2, k).tolist()
            for gap, service in zip(gaps, services):
                yield env.timeout(gap)
                env.process(customer(service))

    arrivals = env.process(source())
    env.run(until=warm)
    s0 = cap.stats()
    env.run(until=arrivals)
    end, s1 = env.now, cap.stats()
    env.run()  # drain, so every customer's wait is known

    waits = [(t_req, t_grant - t_req) for _, t_req, t_grant in cap.waits() if t_req >= warm]
    span = end - warm
    area = s1["mean_in_system"] * end - s0["mean_in_system"] * warm
    done = s1["completed"] - s0["completed"]
    sojourn = s1["mean_time_in_system"] * s1["completed"] - s0["mean_time_in_system"] * s0["completed"]
    return {
        "wq": float(np.mean([w for _, w in waits])),
        "L": area / span,
        "lam_hat": sum(1 for t, _ in waits if t <= end) / span,
        "W": sojourn / done,
    }


def _replicate(reps=2, **kw):
    """`reps` independent replications (child seeds of SEED), in parallel processes."""
    seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(SEED).spawn(reps)]
    with mp.get_context("fork").Pool(min(reps, mp.cpu_count())) as pool:
        return pool.map(functools.partial(_replication, **kw), seeds)


def erlang_c_wq(c, lam, mu=1.0):
    """Mean wait in queue of M/M/c (Erlang C)."""
    a = lam / mu
    rho = a / c
    tail = a**c / math.factorial(c) / (1 - rho)
    p_wait = tail / (sum(a**k / math.factorial(k) for k in range(c)) + tail)
    return p_wait / (c * mu - lam)


def test_deterministic_single_server_departures():
    env = simpy.Environment()
    cap = SharedCapacity(env, 1)
    departures = []

    def customer(arrival):
        yield env.timeout(arrival)
        with cap.request() as req:
            yield req
            yield env.timeout(5)
        departures.append(env.now)

    for arrival in [0, 0, 3, 4, 20, 30, 30, 31, 60]:
        env.process(customer(arrival))
    env.run()
    assert departures == [5, 10, 15, 20, 25, 35, 40, 45, 65]  # exact: integer times


@pytest.mark.slow
def test_mm1_wait_and_littles_law():
    rho = 0.9
    runs = _replicate(servers=1, lam=rho, ca2=1.0, cs2=1.0, n=1_500_000, warm=20_000.0)
    wq = np.mean([r["wq"] for r in runs])
    # Wq = rho / (mu - lambda) = 9.0. Tolerance 3%: std of the estimate ~1.3% at this length.
    assert wq == pytest.approx(rho / (1 - rho), rel=0.03)
    for r in runs:
        # Little's law is a sample-path identity, so compare with the measured arrival rate
        # (the nominal 0.9 would add W's ~1.3% sampling error); 1% covers the window edges.
        assert r["L"] == pytest.approx(r["lam_hat"] * r["W"], rel=0.01)


@pytest.mark.slow
def test_mm4_wait_matches_erlang_c():
    c, rho = 4, 0.9
    expected = erlang_c_wq(c, rho * c)
    assert expected == pytest.approx(1.9694, abs=1e-3)
    runs = _replicate(servers=c, lam=rho * c, ca2=1.0, cs2=1.0, n=700_000, warm=5_000.0)
    wq = np.mean([r["wq"] for r in runs])
    # Tolerance 5%: std of the estimate ~2.0% at this length.
    assert wq == pytest.approx(expected, rel=0.05)


@pytest.mark.slow
def test_gg1_gamma_wait():
    rho, ca2, cs2 = 0.9, 1.0, 0.25
    # With ca2 = 1 the gamma interarrivals are exponential, so Pollaczek-Khinchine (= Kingman
    # here) is exact: 5.625; the long-simulation reference 5.62 agrees.
    expected = (ca2 + cs2) / 2 * rho / (1 - rho)
    runs = _replicate(servers=1, lam=rho, ca2=ca2, cs2=cs2, n=400_000, warm=20_000.0)
    wq = np.mean([r["wq"] for r in runs])
    # Tolerance 5%: std of the estimate ~2.0% at this length.
    assert wq == pytest.approx(expected, rel=0.05)
    assert wq == pytest.approx(5.62, rel=0.05)
