"""The SMT2020 event kernel (models/smt2020/fab.py): one behaviour per test, fixed seeds,
small hand-built datasets (every number below is made up for the test)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.smt2020.data import (
    Attachment,
    Dataset,
    DownCalendar,
    MinRun,
    Order,
    PmCalendar,
    Product,
    SetupChange,
    Step,
    ToolGroup,
    Transport,
)
from models.smt2020.fab import Fab


def _step(n, family, ptime, spread=0.0, per="lot", **kw):
    return Step(number=n, name=f"{n:03d}_{family}", family=family, area="A", ptime_min=ptime,
                ptime_spread_min=spread, per=per, **kw)  # fmt: skip


def _group(name, tools, area="A", **kw):
    kw.setdefault("ranks", ("rank_HP", "rank_RSETUP", "rank_FIFO"))
    kw.setdefault("rule", "rule_HotLotFIRST")
    return ToolGroup(name=name, area=area, tools=tools, **kw)


def _order(part, interval, repeats, name=None, priority=10, start=0.0):
    return Order(name=name or f"O_{part}", part=part, priority=priority, wafers=25, start_min=start,
                 dist="constant", interval_min=interval, repeats=repeats, lots_per_release=1,
                 due_after_min=10_000.0)  # fmt: skip


def _dataset(groups, products, orders=(), **kw):
    return Dataset(name="T", epoch="2018-01-01T00:00:00", tool_groups={g.name: g for g in groups},
                   products={p.name: p for p in products}, orders=tuple(orders),
                   transport=Transport("uniform", 0.0, 0.0), **kw)  # fmt: skip


def _record_starts(fab):
    """Wrap the kernel's job start to log (time, tool, lots, setup)."""
    log = []
    start = fab._start

    def spy(t, lots, st, now):
        step = fab.l_step[lots[0]]
        start(t, lots, st, now)
        log.append((now, t, lots, fab.t_setup[t], step))

    fab._start = spy
    return log


def test_batches_stay_within_min_and_max_wafers():
    g = _group("DIFF", 2)
    route = (_step(1, "DIFF", 300.0, 10.0, per="batch", batch_min_wafers=50, batch_max_wafers=100),)
    data = _dataset([g], [Product("p", "f", "r", route)], [_order("p", 50.0, 500)])
    fab = Fab(data, np.random.default_rng(3))
    log = _record_starts(fab)
    fab.run(30_000)
    sizes = [25 * len(lots) for _, _, lots, _, _ in log]
    assert len(sizes) > 50
    assert min(sizes) >= 50 and max(sizes) <= 100
    assert 100 in sizes  # full batches do form under load


def test_batch_never_starts_below_minimum_unless_timeout():
    g = _group("DIFF", 1)
    route = (_step(1, "DIFF", 100.0, per="batch", batch_min_wafers=50, batch_max_wafers=100),)
    data = _dataset([g], [Product("p", "f", "r", route)])
    fab = Fab(data, np.random.default_rng(0))
    fab.release("p", 0.0)
    fab.run(10_000)
    assert fab.lots == [] and fab.lot_steps == 0  # one lot is below the 50-wafer minimum
    fab = Fab(data, np.random.default_rng(0), batch_timeout_min=60.0)
    fab.release("p", 0.0)
    fab.run(10_000)
    assert [r.finish_min for r in fab.lots] == [160.0]  # waited 60, then ran 100


def _minrun_data(min_runs):
    g = _group("IMP", 1)
    routes = [Product(p, "f", "r", (_step(1, "IMP", 10.0, setup=s),)) for p, s in (("a", "S1"), ("b", "S2"))]
    setups = (SetupChange("IMP", "", "S1", 5.0), SetupChange("IMP", "", "S2", 5.0))
    return _dataset([g], routes, setups=setups, min_runs=min_runs)


@pytest.mark.parametrize("with_min_run", [True, False])
def test_min_run_holds_the_setup_while_its_lots_wait(with_min_run):
    runs = (MinRun("G", "S1", 3, "IMP"), MinRun("G", "S2", 3, "IMP")) if with_min_run else ()
    fab = Fab(_minrun_data(runs), np.random.default_rng(0))
    fab.release("a", 0.0)  # sets the tool up for S1
    for k in range(4):
        fab.release("a", 0.1 + k * 0.01)
    for k in range(3):
        fab.release("b", 0.2 + k * 0.01, priority=20)  # hot lots of the other setup wait too
    log = _record_starts(fab)
    fab.run(1_000)
    seq = [fab.l_prod[lots[0]] for _, _, lots, _, _ in log]
    a, b = fab._pid["a"], fab._pid["b"]
    if with_min_run:
        assert seq == [a, a, a, b, b, b, a, a]  # first lot + 2 more of S1 before the hot S2 lots
    else:
        assert seq == [a, b, b, b, a, a, a, a]  # hot lots first as soon as the tool is free


def test_breakdown_pauses_the_job_and_it_resumes_after_repair():
    g = _group("T", 1)
    data = _dataset(
        [g], [Product("p", "f", "r", (_step(1, "T", 100.0),))],
        down={"B": DownCalendar("B", mttf_min=1e12, mttr_min=50.0)},
        attachments=(Attachment("B", "down", "family", "T", "constant", 30.0),),
    )  # fmt: skip
    fab = Fab(data, np.random.default_rng(5))
    fab.release("p", 0.0)
    fab.run(10_000)
    repair = fab.a_down[0]
    assert repair > 0
    (rec,) = fab.lots
    assert rec.finish_min == pytest.approx(100.0 + repair)
    assert rec.raw_process_min == pytest.approx(100.0)
    stats = fab.tool_group_stats()[0]
    assert stats["down_share"] == pytest.approx(repair / 10_000)
    assert stats["utilisation"] == pytest.approx(100.0 / (10_000 - repair))


def _small_fab_data():
    groups = [_group("A", 2), _group("B", 1), _group("C", 3)]
    route = (
        _step(1, "A", 20.0, 4.0),
        _step(2, "B", 0.8, 0.1, per="piece", sample_prob=0.7),
        _step(3, "C", 50.0, 5.0, rework_step=2, rework_prob=0.2),
        _step(4, "A", 15.0, 3.0),
    )
    return Dataset(
        name="T", epoch="2018-01-01T00:00:00", tool_groups={g.name: g for g in groups},
        products={"p": Product("p", "f", "r", route)}, orders=(_order("p", 30.0, 500),),
        down={"BD": DownCalendar("BD", 2_000.0, 60.0)},
        attachments=(Attachment("BD", "down", "area", "A", "exponential", 2_000.0),),
        transport=Transport("uniform", 7.5, 2.5),
    )  # fmt: skip


def _table(fab):
    return [(r.name, r.finish_min, r.raw_process_min, r.reworks, r.steps_done) for r in fab.lots]


def test_fixed_seed_gives_identical_lots_and_other_seeds_differ():
    data = _small_fab_data()
    runs = []
    for seed in (11, 11, 12):
        fab = Fab(data, np.random.default_rng(seed))
        fab.run(10_000)
        runs.append(_table(fab))
    assert len(runs[0]) > 100
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_time_average_wip_obeys_littles_law():
    # L = lambda W over [0, T] from an empty fab: time in system of the lots still inside at T
    # is the only gap, a few lots against hundreds finished, so 2% holds with room
    data = _small_fab_data()
    fab = Fab(data, np.random.default_rng(2))
    horizon = 15_000.0
    fab.run(horizon)
    cts = [r.cycle_min for r in fab.lots]
    little = len(cts) / horizon * np.mean(cts)
    assert fab.wip_lots() == pytest.approx(little, rel=0.02)
    # and the windowed average matches the same identity on a window from 0
    assert fab.wip_lots_between(0.0, horizon) == pytest.approx(fab.wip_lots())


def test_deterministic_single_tool_is_d_d_1():
    # D/D/1 at load 0.9: no lot ever waits, so every cycle time is load + process + unload
    g = _group("T", 1, load_min=1.0, unload_min=2.0)
    data = _dataset([g], [Product("p", "f", "r", (_step(1, "T", 87.0),))], [_order("p", 100.0, 200)])
    fab = Fab(data, np.random.default_rng(0))
    fab.run(30_000)
    assert len(fab.lots) == 200
    assert all(r.cycle_min == pytest.approx(90.0) for r in fab.lots)
    assert fab.tool_group_stats()[0]["utilisation"] == pytest.approx(200 * 90.0 / 30_000)


def test_single_tool_with_uniform_service_follows_lindley_and_kingman():
    # D/U/1 at load 0.92: the kernel's FIFO queue must reproduce Lindley's recursion on its own
    # service draws exactly. Kingman's Wq ~ (ca2 + cs2)/2 * rho/(1-rho) * ts (ca2 = 0 here) is
    # exact only in heavy traffic and overestimates the wait under deterministic arrivals: over
    # 50,000 lots and seeds 7-12 the simulated mean wait is 0.71-0.78 of it, so 0.6-1.0 is
    # asked (a check that the queue is of the right size, the Lindley match is the exact one)
    interval, mean, spread, n = 100.0, 92.0, 50.0, 50_000
    g = _group("T", 1)
    data = _dataset([g], [Product("p", "f", "r", (_step(1, "T", mean, spread),))], [_order("p", interval, n)])
    fab = Fab(data, np.random.default_rng(7))
    fab.run(n * interval * 2)
    assert len(fab.lots) == n
    lots = sorted(fab.lots, key=lambda r: r.release_min)
    service = np.array([r.raw_process_min for r in lots])
    wait = np.zeros(n)
    for k in range(1, n):
        wait[k] = max(0.0, wait[k - 1] + service[k - 1] - interval)
    sim_wait = np.array([r.cycle_min for r in lots]) - service
    np.testing.assert_allclose(sim_wait, wait, atol=1e-6)
    cs2 = (spread**2 / 3) / mean**2
    rho = mean / interval
    kingman = cs2 / 2 * rho / (1 - rho) * mean
    assert 0.6 * kingman < sim_wait.mean() < 1.0 * kingman


def test_availability_under_breakdowns_is_mttf_over_mttf_plus_mttr():
    # 5 tools for 4e6 min, MTTF 1000 and MTTR 100: some 18,000 up/down cycles, so the measured
    # availability's standard error is about 0.001; tolerance 0.005
    g = _group("T", 5)
    data = _dataset(
        [g], [Product("p", "f", "r", (_step(1, "T", 1.0),))],
        down={"B": DownCalendar("B", 1_000.0, 100.0)},
        attachments=(Attachment("B", "down", "family", "T", "exponential", 1_000.0),),
    )  # fmt: skip
    fab = Fab(data, np.random.default_rng(4))
    fab.run(4e6)
    assert fab.tool_group_stats()[0]["availability"] == pytest.approx(1_000 / 1_100, abs=0.005)


def test_time_based_pm_takes_duration_over_interval_and_is_staggered():
    g = _group("T", 4)
    data = _dataset(
        [g], [Product("p", "f", "r", (_step(1, "T", 1.0),))],
        pm={"P": PmCalendar("P", "time", 1_000.0, 100.0, 0.0)},
        attachments=(Attachment("P", "pm", "family", "T", "constant", 1_000.0),),
    )  # fmt: skip
    fab = Fab(data, np.random.default_rng(0))
    fab.run(1_000.0 + 1e-9)
    # tool i's first PM at 1000 - 1000 i / 4: tool 0 is in its PM, the others had theirs
    assert [fab.t_state[t] for t in range(4)] == [3, 0, 0, 0]
    assert fab.t_pm_end == [1100.0, 850.0, 600.0, 350.0]
    fab.run(100_000.0)
    assert fab.tool_group_stats()[0]["pm_share"] == pytest.approx(0.1, abs=0.002)


def test_lens_dedication_keeps_the_lot_on_its_tool():
    g = _group("L", 4)
    route = (_step(1, "L", 30.0, 3.0, lens_step=3), _step(2, "X", 5.0), _step(3, "L", 30.0, 3.0))
    data = _dataset([g, _group("X", 1)], [Product("p", "f", "r", route)], [_order("p", 9.0, 300)])
    for dedicated in (True, False):
        fab = Fab(data, np.random.default_rng(1), lens_dedication=dedicated)
        log = _record_starts(fab)
        fab.run(5_000)
        tools = {}
        for _, t, (lot,), _, step in log:
            tools.setdefault(lot, {})[step] = t
        pairs = [(u[0], u[2]) for u in tools.values() if 0 in u and 2 in u]
        assert len(pairs) > 100
        same = sum(a == b for a, b in pairs)
        assert (same == len(pairs)) is dedicated


def test_critical_queue_time_violations_are_counted():
    # one tool, a 60 min step and a CQT of 10 min to the second step on the same tool: the
    # second lot's first step makes the first lot wait past its CQT
    g = _group("T", 1)
    route = (_step(1, "T", 60.0, cqt_step=2, cqt_min=10.0), _step(2, "U", 1.0))
    data = _dataset([g, _group("U", 1)], [Product("p", "f", "r", route)])
    fab = Fab(data, np.random.default_rng(0))
    fab.release("p", 0.0)
    fab.run(1_000)
    assert [r.cqt_violations for r in fab.lots] == [0]
    route2 = (_step(1, "T", 60.0, cqt_step=2, cqt_min=10.0), _step(2, "T", 1.0))
    data2 = _dataset([g], [Product("p", "f", "r", route2)])
    fab = Fab(data2, np.random.default_rng(0))
    fab.release("p", 0.0, priority=20)
    fab.release("p", 0.5, priority=20)
    fab.run(1_000)
    # lot 1's step 2 waits for lot 2's 60 min step 1 (FIFO arrival at 0.5 < 60)
    assert sorted(r.cqt_violations for r in fab.lots) == [0, 1]


def test_release_callback_runs_during_the_run_and_may_release_again():
    g = _group("T", 1)
    data = _dataset([g], [Product("p", "f", "r", (_step(1, "T", 10.0),))])
    fab = Fab(data, np.random.default_rng(0))
    seen = []

    def again(rec):
        seen.append((rec.tag, rec.finish_min, rec.engineering))
        if len(seen) < 3:
            fab.release("p", rec.finish_min + 5.0, engineering=True, on_done=again, tag=len(seen))

    fab.release("p", 0.0, engineering=True, on_done=again, tag=0)
    fab.run(100)
    assert seen == [(0, 10.0, True), (1, 25.0, True), (2, 40.0, True)]


@pytest.mark.parametrize(
    ("policy", "share", "first"), [("production_first", 0.0, "prod"), ("engineering_first", 0.0, "eng"),
                                   ("share", 1.0, "eng"), ("share", 0.0, "prod")],
)  # fmt: skip
def test_engineering_policy_orders_the_queue(policy, share, first):
    g = _group("T", 1)
    data = _dataset([g], [Product("p", "f", "r", (_step(1, "T", 10.0),))])
    fab = Fab(data, np.random.default_rng(0), engineering_policy=policy, engineering_share=share)
    fab.release("p", 0.0, tag="busy")
    fab.release("p", 1.0, engineering=True, tag="eng")
    fab.release("p", 2.0, priority=30, tag="prod")  # even a super hot lot is production
    fab.run(100)
    assert [r.tag for r in fab.lots][1] == first


def test_delay_group_is_a_pure_delay():
    groups = [_group("D", 400, area="Delay", location="Delay")]
    data = _dataset(groups, [Product("p", "f", "r", (_step(1, "D", 120.0),))], [_order("p", 1.0, 50)])
    fab = Fab(data, np.random.default_rng(0))
    fab.run(1_000)
    assert len(fab.lots) == 50
    assert all(r.cycle_min == pytest.approx(120.0) for r in fab.lots)


def test_tool_stats_split_an_ongoing_job_at_the_clock():
    g = _group("T", 1)
    data = _dataset([g], [Product("p", "f", "r", (_step(1, "T", 100.0),))])
    fab = Fab(data, np.random.default_rng(0))
    fab.release("p", 0.0)
    fab.run(40.0)
    s = fab.tool_group_stats()[0]
    assert s["utilisation"] == pytest.approx(1.0) and s["availability"] == 1.0
    assert math.isclose(fab.wip_lots(), 1.0)
