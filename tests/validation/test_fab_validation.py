"""Validation of the fab model against analytic results (anchors.md A and B).

Everything runs through the fab model's own code: lots are released by
``FabLine`` (the production release process, or a team's experiment slots),
flow through the route on tool groups that are the engine's
``SharedCapacity`` (with ``Breakdowns``), and wafers are scrapped by the
team's ``KnowHow`` hazards. Queueing runs use a one-step route whose step
takes 1 minute on average, so times are in units of the mean processing time.

Tolerances of the stochastic queueing checks are those of
``test_queueing.py`` at the same run lengths (about 2.3-2.5 standard
deviations of the estimate); the others are stated where they are used.
"""

import functools
import math
import multiprocessing as mp

import numpy as np
import pytest
import simpy

from models.fab import yield_model
from models.fab.line import FabLine
from models.fab.params import AREAS, WAFERS_PER_LOT, Fab
from models.fab.route import Route
from models.fab.simulate import FabSim
from models.fab.tables import EVENTS
from models.fab.world import SCRAP, ProcessWorld
from sim.knowhow import FailureModes
from sim.recorder import Recorder
from sim.scenario import load
from sim.streams import Streams

SEED = 20240611
ZERO_KNOW_HOW = {a: 0.0 for a in AREAS}


def one_step_route(minutes: float) -> Route:
    """A route of one step on one tool group (area litho)."""
    return Route(np.array([0]), np.array([0]), np.array([float(minutes)]), np.array([1.0]), np.array([0]))


def make_line(env, fab: Fab, route: Route, seed: int, tools=None) -> FabLine:
    return FabLine(env, "fab", fab, route, Streams(seed, 0), Recorder(EVENTS), 0, tools=tools)


# -- A. queueing -----------------------------------------------------------------


def test_deterministic_single_tool_departures_follow_lindley():
    env = simpy.Environment()
    fab = Fab(design_starts_per_day=288, dispatch="fifo", breakdowns=False)
    line = make_line(env, fab, one_step_route(5.0), SEED)
    departures = []

    def lot(arrival):
        yield env.timeout(arrival)
        yield env.process(line.production_lot(line.next_lot_id()))
        departures.append(env.now)

    for arrival in [0, 0, 3, 4, 20, 30, 30, 31, 60]:
        env.process(lot(arrival))
    env.run()
    assert departures == [5, 10, 15, 20, 25, 35, 40, 45, 65]  # minutes, exact: integer times


def _queue_run(seed, *, tools, ca2, cs2, n, warm, rho=0.9):
    """A one-step line of ``tools`` tools at utilisation ``rho``: production lots released
    with gamma gaps (ca2) and gamma processing times (cs2, mean 1 minute).

    Returns over [warm, end]: Wq of lots granted, L (time average in system), the
    arrival rate and W (mean time in system of lots completed).
    """
    env = simpy.Environment()
    fab = Fab(
        design_starts_per_day=1440.0 * tools,
        load=rho,
        dispatch="fifo",
        breakdowns=False,
        release_cv2=ca2,
        process_cv2=cs2,
        production_events=False,
    )
    line = make_line(env, fab, one_step_route(1.0), seed)
    assert int(line.tools[0]) == tools
    line.start_production()
    cap = line.groups[0]
    end = warm + n / (rho * tools)
    env.run(until=warm)
    s0, a0 = cap.stats(), line._lot_id
    env.run(until=end)
    s1, a1 = cap.stats(), line._lot_id
    span = end - warm
    wq = (s1["mean_wait"] * s1["requests"] - s0["mean_wait"] * s0["requests"]) / (
        s1["requests"] - s0["requests"]
    )
    L = (s1["mean_in_system"] * end - s0["mean_in_system"] * warm) / span
    W = (s1["mean_time_in_system"] * s1["completed"] - s0["mean_time_in_system"] * s0["completed"]) / (
        s1["completed"] - s0["completed"]
    )
    return {"wq": wq, "L": L, "lam_hat": (a1 - a0) / span, "W": W}


def _replicate(reps=2, **kw):
    """``reps`` independent replications (child seeds of SEED), one per core."""
    seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(SEED).spawn(reps)]
    with mp.get_context("fork").Pool(min(reps, mp.cpu_count())) as pool:
        return pool.map(functools.partial(_queue_run, **kw), seeds)


def erlang_c_wq(c, lam, mu=1.0):
    """Mean wait in queue of M/M/c (Erlang C)."""
    a = lam / mu
    tail = a**c / math.factorial(c) / (1 - a / c)
    return tail / (sum(a**k / math.factorial(k) for k in range(c)) + tail) / (c * mu - lam)


@pytest.mark.slow
def test_mm1_tool_wait_and_littles_law():
    runs = _replicate(tools=1, ca2=1.0, cs2=1.0, n=1_500_000, warm=20_000.0)
    wq = np.mean([r["wq"] for r in runs])
    # Wq = rho / (1 - rho) = 9.0 minutes; 3%: std of the estimate ~1.3% at this length.
    assert wq == pytest.approx(9.0, rel=0.03)
    for r in runs:
        # Little's law holds on the sample path: compare with the measured arrival rate;
        # 1% covers the lots still in the line at the window's edges.
        assert r["L"] == pytest.approx(r["lam_hat"] * r["W"], rel=0.01)


@pytest.mark.slow
def test_tool_group_of_four_matches_erlang_c():
    expected = erlang_c_wq(4, 3.6)
    assert expected == pytest.approx(1.9694, abs=1e-3)
    runs = _replicate(tools=4, ca2=1.0, cs2=1.0, n=700_000, warm=5_000.0)
    # 5%: std of the estimate ~2.0% at this length.
    assert np.mean([r["wq"] for r in runs]) == pytest.approx(1.969, rel=0.05)


@pytest.mark.slow
def test_gg1_gamma_tool_wait_matches_kingman():
    runs = _replicate(tools=1, ca2=1.0, cs2=0.25, n=400_000, warm=20_000.0)
    # Kingman ((1 + 0.25) / 2) * 9 = 5.625 (exact here: Poisson arrivals); long simulation 5.62.
    # 5%: std of the estimate ~2.0% at this length.
    assert np.mean([r["wq"] for r in runs]) == pytest.approx(5.62, rel=0.05)


@pytest.mark.slow
def test_breakdowns_give_availability_mttf_over_mttf_plus_mttr():
    # Five 60-minute tools, MTTF one week, MTTR 8 h (anchors B), kept saturated for 4 years.
    env = simpy.Environment()
    mttf, mttr = 168.0, 8.0
    # 130 lots a day released: above the group's capacity, 5 x 24 x A = 114.5 a day.
    fab = Fab(
        design_starts_per_day=130.0,
        load=1.0,
        dispatch="fifo",
        mttf_hours={a: mttf for a in AREAS},
        mttr_hours={a: mttr for a in AREAS},
    )
    line = make_line(env, fab, one_step_route(60.0), SEED, tools=[5])
    line.start_production()
    minutes = 4 * 365.25 * 1440
    env.run(until=minutes)
    s = line.groups[0].stats()
    a = mttf / (mttf + mttr)
    # ~1,000 repair cycles: the std of the measured availability is ~0.15%, well inside 1%.
    assert s["breakdowns"] > 800
    assert s["availability"] == pytest.approx(a, rel=0.01)
    # Work stopped by a breakdown resumes after the repair: a saturated group turns out
    # availability x tools / processing time lots (std ~0.15% too).
    assert line.production_out / (minutes * 5 / 60.0) == pytest.approx(a, rel=0.01)


# -- B. yield ----------------------------------------------------------------------


def compounding_run(loss: float, lots: int = 400, steps: int = 1000):
    """Experimental lots of a team that learns nothing, on a route whose every step
    carries one scrap mode of per-step loss ``loss``. Returns the first ``lots`` lots."""
    params = load(
        dict(
            name="compounding",
            model="fab",
            start_date="2024-01-01",
            years=1.0,
            leader="team",
            fabs={"fab": dict(design_starts_per_day=60.0, load=0.0, breakdowns=False)},
            teams={
                "team": dict(
                    fab="fab",
                    know_how=ZERO_KNOW_HOW,
                    diagnosis=0.0,
                    failure_analyses_per_lot=0,
                    lots_in_flight=50,
                    analysis_days=0.0,
                    lot_cost_usd=1e6,
                )
            },
        )
    )
    groups = np.arange(steps) % 10
    route = Route(groups, np.zeros(steps, int), np.ones(steps), np.ones(steps), np.zeros(10, int))
    step = np.arange(steps)
    modes = FailureModes(
        np.zeros(steps, np.int64),
        step.astype(float),
        np.full(steps, float(yield_model.step_hazard(loss))),
        np.zeros(steps, bool),
        np.full(steps, 0.5),
        AREAS,
    )
    world = ProcessWorld(modes, np.full(steps, SCRAP), step, np.arange(steps + 1))
    fab_sim = FabSim(params, Streams(SEED, 0), route=route, world=world)
    team = fab_sim.teams["team"]
    while team.lots_done < lots:  # half a day at a time, until enough lots are out
        fab_sim.env.run(until=fab_sim.env.now + 720)
    ev = fab_sim.events.frame()
    ev = ev[ev["kind"] == "experimental"].sort_values("t_days").head(lots)
    assert len(ev) == lots
    return ev


@pytest.mark.parametrize(
    "loss, expected, cost_musd", [(1e-4, 0.9048, 1.11), (2.40e-3, 0.0905, 11.1), (4.69e-3, 0.00905, 111.0)]
)
@pytest.mark.slow
def test_line_yield_compounds_over_1000_steps(loss, expected, cost_musd):
    ev = compounding_run(loss)
    wafers = WAFERS_PER_LOT * len(ev)
    y = ev["wafers_out"].sum() / wafers
    se = math.sqrt(expected * (1 - expected) / wafers)  # wafers are scrapped independently: binomial
    assert abs(y - expected) < 3 * se
    # Cost of 25 good wafers at US$1M a lot: what was spent over what came out, and the
    # anchors' rounded figures (3 significant digits: within 1%).
    cost = ev["cost_usd"].sum() / ev["wafers_out"].sum() * WAFERS_PER_LOT
    assert 1e6 / (expected + 3 * se) < cost < 1e6 / (expected - 3 * se)
    assert float(yield_model.cost_per_good_wafers(1e6, yield_model.line_yield(loss, 1000))) == pytest.approx(
        cost_musd * 1e6, rel=0.01
    )


@pytest.mark.parametrize(
    "model, expected",
    [
        (yield_model.poisson, 0.3679),
        (yield_model.murphy, 0.3996),
        (yield_model.seeds, 0.5000),
        (functools.partial(yield_model.negative_binomial, alpha=2.0), 0.4444),
        (functools.partial(yield_model.negative_binomial, alpha=0.5), 0.5774),
    ],
)
def test_die_yield_models_at_ad0_one(model, expected):
    assert float(model(1.0)) == pytest.approx(expected, abs=1e-4)  # anchors B, 4 decimals


@pytest.mark.parametrize("alpha", [None, 2.0, 0.5])
def test_scattering_defects_on_dies_matches_die_yield(alpha):
    rng = np.random.default_rng(SEED)
    dies = 200_000
    expected = float(yield_model.poisson(1.0) if alpha is None else yield_model.negative_binomial(1.0, alpha))
    got = yield_model.scatter_defects(rng, dies, 1.0, alpha)
    assert abs(got - expected) < 3 * math.sqrt(expected * (1 - expected) / dies)  # 3 binomial sigma


# -- B. learning -------------------------------------------------------------------


def learning_slope(diagnosis: float, lots: int = 1024) -> float:
    """Fitted b in per-step loss ~ (cumulative lots)^-b over a team's first ``lots`` lots,
    from scratch on a 100-step route with 3,000 latent failure modes."""
    params = load(
        dict(
            name="learning",
            model="fab",
            start_date="2024-01-01",
            years=4.0,
            leader="team",
            route=dict(steps=100, tool_groups=10),
            world=dict(modes_per_step=30, hazard_median=0.00033, hazard_sigma=1.5, retention_per_month=1.0),
            fabs={"fab": dict(design_starts_per_day=2.0, load=0.0, breakdowns=False)},
            teams={
                "team": dict(
                    fab="fab",
                    know_how=ZERO_KNOW_HOW,
                    diagnosis=diagnosis,
                    lots_in_flight=4,
                    analysis_days=0.0,
                )
            },
        )
    )
    fab_sim = FabSim(params, Streams(SEED, 0))
    fab_sim.env.run(until=1400 * 1440)
    st = fab_sim.states.frame()
    st = st[(st["lots_done"] >= 1) & (st["lots_done"] <= lots)].drop_duplicates("lots_done", keep="last")
    assert st["lots_done"].max() == lots
    return -np.polyfit(np.log(st["lots_done"]), np.log(st["per_step_loss"]), 1)[0]


@pytest.mark.slow
def test_yield_learning_emerges_from_failure_analysis():
    # Semiconductors' 20% learning rate is b = 0.32 (anchors B); the band allows for the
    # world's draw and the curvature of a lognormal mode population.
    assert 0.15 <= learning_slope(0.5) <= 0.5


@pytest.mark.slow
def test_no_diagnosis_no_yield_learning():
    assert abs(learning_slope(0.0)) < 0.05
