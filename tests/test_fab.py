"""Behaviour of the fab model: routes, lots, rework, tables, API, command line."""

import numpy as np
import pandas as pd
import pytest

import sim
from models.fab.params import AREAS
from models.fab.route import Route, load_route, synthetic_route
from models.fab.simulate import FabSim
from models.fab.world import REWORK, ProcessWorld
from sim.cli import main
from sim.knowhow import FailureModes
from sim.scenario import ScenarioError, load
from sim.streams import Streams

ZERO = {a: 0.0 for a in AREAS}


def tiny(**over):
    """A small fab scenario: 60-step route, one line, two teams (raw data)."""
    data = dict(
        name="tiny",
        model="fab",
        start_date="2024-01-01",
        years=0.25,
        leader="leader",
        run=dict(reps=2, seed=7, grid_days=14.0),
        route=dict(steps=60, tool_groups=12, minutes_median=30.0),
        world=dict(modes_per_step=5, hazard_median=0.003),
        fabs={"line": dict(design_starts_per_day=4.0, load=0.7)},
        teams={
            "leader": dict(fab="line", know_how={a: 4.0 for a in AREAS}, lots_in_flight=2),
            "follower": dict(fab="line", know_how={a: 1.0 for a in AREAS}, lots_in_flight=2),
        },
    )
    data.update(over)
    return data


@pytest.fixture(scope="module")
def tiny_results():
    return sim.run(tiny(), options=sim.RunOptions(progress=False))


def test_synthetic_route_visits_every_tool_group_again_and_again():
    r = synthetic_route(np.random.default_rng(1), 500, 100, [1] * 7, 45.0, 0.5, 0.5)
    visits = np.bincount(r.tool_group, minlength=100)
    assert visits.min() >= 1 and visits.max() > 1  # every group used; re-entrant flow
    assert np.all(r.group_area[r.tool_group] == r.area)  # a step runs on a group of its area


def test_route_csv_round_trip(tmp_path):
    r = synthetic_route(np.random.default_rng(2), 40, 8, [1] * 7, 45.0, 0.5, 0.5)
    f = tmp_path / "route.csv"
    r.frame().to_csv(f, index=False)
    back = load_route(str(f))
    assert np.array_equal(back.area, r.area)
    assert np.allclose(back.minutes, r.minutes)
    # Groups are renumbered by first appearance, so compare the partition of steps.
    assert len(set(zip(back.tool_group, r.tool_group))) == len(set(r.tool_group))


def test_bad_route_csv_gives_one_line_error(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("tool_group,area,minutes,defect_weight\nA,lithography,30,1\n")
    with pytest.raises(ScenarioError, match=r"line 2: area is not one of litho") as exc:
        load(tiny(), {"route.csv": str(f)})
    assert "\n" not in str(exc.value)
    assert "lithography" not in str(exc.value)  # a cell of the file read is never echoed


def test_unknown_fab_of_a_team_gives_one_line_error():
    with pytest.raises(ScenarioError, match=r"teams.follower.fab 'nope' is not one of \['line'\]"):
        load(tiny(), {"teams.follower.fab": "nope"})


def test_run_gives_lot_level_events_by_default(tiny_results):
    kinds = set(tiny_results.events["kind"])
    assert kinds == {"experimental", "production"}


def test_trajectories_carry_fab_columns(tiny_results):
    cols = {
        "capability",
        "line_yield",
        "die_yield",
        "cycle_time_days",
        "x_factor",
        "wip_lots",
        "spend_usd",
        "cost_per_25_good_usd",
    }
    assert cols <= set(tiny_results.trajectories.columns)


def test_capability_is_log10_of_line_yield(tiny_results):
    t = tiny_results.trajectories.dropna(subset=["line_yield"])
    assert np.allclose(t["capability"], np.log10(t["line_yield"]))


def test_run_keeps_tool_group_fab_and_yield_gap_tables(tiny_results):
    assert {"tool_groups", "fabs", "yield_gap"} <= set(tiny_results.tables)
    tg = tiny_results.tables["tool_groups"]
    assert len(tg) == 2 * 12 and tg["utilisation"].between(0, 1).all()


def test_follower_yields_less_and_pays_more_per_good_wafer(tiny_results):
    g = tiny_results.tables["yield_gap"]
    assert (g["yield_ratio"] < 1).all() and (g["cost_ratio_per_good_wafer"] > 1).all()


def test_fab_gap_has_months_behind_from_the_leader_record(tiny_results):
    assert tiny_results.gap["follower"].unique().tolist() == ["follower"]
    assert "months_behind" in tiny_results.gap


def test_same_seed_gives_identical_fab_tables():
    a, b = (sim.run(tiny(), reps=1, years=0.1, options=sim.RunOptions(progress=False)) for _ in range(2))
    for name in ("events", "trajectories"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def test_trace_steps_adds_one_row_per_lot_step():
    res = sim.run(
        tiny(), reps=1, years=0.05, options=sim.RunOptions(progress=False), overrides={"trace": "steps"}
    )
    ev = res.events
    steps = ev[ev["kind"] == "step"]
    assert len(steps) > 0
    done = ev[ev["kind"] == "production"]
    # Every finished production lot went through all 60 steps.
    per_lot = (
        steps[steps["run_id"].isin(done["run_id"]) & (steps["team"] == "production")].groupby("run_id").size()
    )
    assert (per_lot == 60).all()


def test_rework_sends_lot_back_and_too_much_rework_scraps_it():
    params = load(
        tiny(trace="steps", years=0.05),
        {"fabs.line.load": 0.0, "teams.follower.lots_in_flight": 1, "teams.leader.lots_in_flight": 1},
    )
    steps = 10
    route = Route(
        np.arange(steps) % 2, np.zeros(steps, int), np.ones(steps), np.ones(steps), np.zeros(2, int)
    )
    step = np.array([5])
    modes = FailureModes(
        np.zeros(1, np.int64), step.astype(float), np.array([1e6]), np.zeros(1, bool), np.full(1, 0.5), AREAS
    )
    world = ProcessWorld(modes, np.array([REWORK]), step, np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]))
    fs = FabSim(params, Streams(3, 0), route=route, world=world)
    fs.env.run(until=200)
    ev = fs.events.frame()
    lot = ev[(ev["kind"] == "step") & (ev["run_id"] == ev["run_id"].min())]
    # back 2: after step 5 the lot redoes 4 and 5; the 4th rework (limit 3) scraps it.
    assert lot["step"].tolist() == [0, 1, 2, 3, 4, 5, 4, 5, 4, 5, 4, 5]
    assert lot["outcome"].tolist()[-1] == "scrap" and lot["wafers_out"].tolist()[-1] == 0


def test_cli_runs_fab_scenario_and_draws_fab_figures(tmp_path, capsys):
    out = tmp_path / "shared"
    code = main(
        [
            "run",
            "fab_shared_line",
            "--reps",
            "1",
            "--years",
            "0.1",
            "--quiet",
            "--out",
            str(out),
            "--set",
            "route.steps=60",
            "--set",
            "route.tool_groups=20",
        ]
    )
    assert code == 0
    for name in (
        "yield_ramp.png",
        "cost_per_25_good.png",
        "operating_curve.png",
        "yield_gap.parquet",
        "tool_groups.parquet",
        "events.parquet",
    ):
        assert (out / name).is_file()


def test_trace_on_a_model_without_it_is_a_one_line_error(capsys):
    argv = ["run", "chatgpt_race", "--reps", "1", "--set", "trace=steps", "--quiet", "--no-plots"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: trace:") and "\n" not in err


def test_one_and_two_workers_give_identical_fab_tables():
    a = sim.run(tiny(), reps=2, years=0.05, options=sim.RunOptions(workers=1, progress=False))
    b = sim.run(tiny(), reps=2, years=0.05, options=sim.RunOptions(workers=2, progress=False))
    for name in ("events", "trajectories", "gap"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    pd.testing.assert_frame_equal(a.tables["tool_groups"], b.tables["tool_groups"])


def test_changing_the_follower_leaves_the_leaders_lots_in_its_own_fab_unchanged():
    # Common random numbers: separate fabs, named streams and a shared world draw, so a
    # follower that diagnoses nothing does not change a single draw of the leader's.
    two_fabs = tiny(
        fabs={"a": dict(design_starts_per_day=4.0, load=0.7), "b": dict(design_starts_per_day=4.0, load=0.7)}
    )
    two_fabs["teams"]["leader"]["fab"], two_fabs["teams"]["follower"]["fab"] = "a", "b"
    base = sim.run(two_fabs, reps=1, years=0.1, options=sim.RunOptions(progress=False))
    other = sim.run(
        two_fabs,
        reps=1,
        years=0.1,
        options=sim.RunOptions(progress=False),
        overrides={"teams.follower.diagnosis": 0.0},
    )
    lead = [r.events[r.events["team"] == "leader"].reset_index(drop=True) for r in (base, other)]
    pd.testing.assert_frame_equal(*lead)
    fol = [r.trajectories[r.trajectories["team"] == "follower"]["fixes"].iloc[-1] for r in (base, other)]
    assert fol[0] > 0 and fol[1] == 0


def test_volume_learning_lets_production_lots_teach_the_learning_team():
    data = tiny(
        fabs={"a": dict(design_starts_per_day=4.0, load=0.7), "b": dict(design_starts_per_day=4.0, load=0.7)}
    )
    data["teams"]["leader"]["fab"], data["teams"]["follower"]["fab"] = "a", "b"
    over = {"fabs.b.learning_team": "follower", "fabs.b.production_analyses_per_lot": 1.0}
    base = sim.run(data, reps=1, years=0.2, options=sim.RunOptions(progress=False))
    volume = sim.run(data, reps=1, years=0.2, options=sim.RunOptions(progress=False), overrides=over)
    fixes = [r.trajectories.query("team == 'follower'")["fixes"].iloc[-1] for r in (base, volume)]
    assert fixes[1] > fixes[0]
    prod = volume.events.query("kind == 'production' and fab == 'b'")
    assert prod["wafers_out"].mean() < 25  # its production lots now lose wafers to its unfixed modes


def test_learning_team_must_run_its_lots_in_that_fab():
    with pytest.raises(ScenarioError, match=r"fabs.line.learning_team 'nobody' is not one of"):
        load(tiny(), {"fabs.line.learning_team": "nobody"})
