"""Executors: the same tables bit for bit in this process, in 2 local worker
processes and on a Dask LocalCluster; ``--reps auto`` stops where a fixed run
of that count would give the same tables."""

import pandas as pd
import pytest

import sim
from sim.executors import DaskExecutor, LocalExecutor, make_executor
from sim.scenario import ScenarioError

TABLES = ("events", "trajectories", "gap", "staircase", "metrics")
# small batches so that 6 reps make 3 jobs that really run out of order
KW = dict(reps=6, years=2, seed=11)


def opts(**kw):
    return sim.RunOptions(progress=False, batch=2, **kw)


def assert_same(a, b):
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.summary["followers"] == b.summary["followers"]


@pytest.fixture(scope="module")
def one_worker():
    return sim.run("chatgpt_race", options=opts(workers=1), **KW)


def test_two_local_workers_give_identical_tables(one_worker):
    assert_same(one_worker, sim.run("chatgpt_race", options=opts(workers=2), **KW))


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_tables(one_worker):
    # Two worker *processes* as a user would get from --dask local; the cluster
    # is closed by the context manager even if the run fails.
    with DaskExecutor("local", workers=2, processes=True) as ex:
        res = sim.run("chatgpt_race", options=opts(executor=ex), **KW)
        assert len(ex.client.scheduler_info()["workers"]) == 2
    assert ex.client is None and ex.cluster is None
    assert_same(one_worker, res)


def test_auto_reps_equals_fixed_run_of_the_same_count():
    # ci = 0.3 is loose so the rule stops early; min_reps=4 and batch=2 let it
    # stop at a batch boundary below max_reps (asserted, so the test means something).
    kw = dict(years=2, seed=3)
    auto = sim.run("chatgpt_race", reps="auto", options=opts(ci=0.3, min_reps=4, max_reps=40), **kw)
    n = auto.summary["reps"]
    assert auto.summary["stopping"]["converged"] and 4 <= n < 40
    fixed = sim.run("chatgpt_race", reps=n, options=opts(), **kw)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(auto, name), getattr(fixed, name), check_exact=True)


def test_auto_reps_stops_at_the_same_count_with_two_workers():
    kw = dict(reps="auto", years=2, seed=3)
    rule = dict(ci=0.3, min_reps=4, max_reps=40)
    assert (
        sim.run("chatgpt_race", options=opts(workers=2, **rule), **kw).summary["reps"]
        == sim.run("chatgpt_race", options=opts(workers=1, **rule), **kw).summary["reps"]
    )


def test_make_executor_picks_local_by_default():
    assert isinstance(make_executor(workers=2), LocalExecutor)


@pytest.mark.parametrize(
    "kw",
    [
        dict(workers=0),
        dict(dask="remote"),
        dict(scheduler="tcp://x:1", dask="local"),
        dict(scheduler="nohost"),
    ],
)
def test_bad_executor_options_raise_scenario_error(kw):
    with pytest.raises(ScenarioError):
        make_executor(**kw)


@pytest.mark.parametrize(
    "kw",
    [
        dict(workers=0),
        dict(workers=100_000),
        dict(workers=True),
        dict(dask="remote"),
        dict(scheduler="tcp://x:1", dask="local"),
        dict(scheduler="nohost"),
        dict(ci=1.5),
        dict(at_year=float("nan")),
        dict(resume=True),
        dict(unknown=1),
    ],
)
def test_bad_run_options_raise_one_scenario_error_naming_the_setting(kw):
    with pytest.raises(ScenarioError) as err:
        sim.RunOptions(**kw)
    assert next(iter(kw)) in str(err.value) and "\n" not in str(err.value)
