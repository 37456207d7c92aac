"""Sweeps: design, common random numbers, tidy output, one-line errors."""

import pandas as pd
import pytest

from sim import sweep
from sim.cli import main
from sim.options import RunOptions

VARY = "teams.late_follower.prep_days"


@pytest.fixture(scope="module")
def crn_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("crn") / "sw"
    options = RunOptions(out=out, progress=False)
    res = sweep.run_sweep(
        "chatgpt_race", [f"{VARY}=5,30,60"], reps=3, years=2, seed=4, figures=False, options=options
    )
    return res, out


def test_leader_trajectories_identical_across_points_of_a_follower_parameter(crn_sweep):
    # The late follower's prep time does not touch the leader (followers learn
    # from the leader, not the reverse) and every point uses the same seed and
    # reps, so the leader's rows are equal bit for bit at every point.
    import sim

    _, out = crn_sweep
    trajs = [sim.load_results(out, point=p).trajectories for p in range(3)]
    leader = [t[t.team == "leader"].reset_index(drop=True) for t in trajs]
    pd.testing.assert_frame_equal(leader[0], leader[1], check_exact=True)
    pd.testing.assert_frame_equal(leader[0], leader[2], check_exact=True)
    late = [t[t.team == "late_follower"].reset_index(drop=True) for t in trajs]
    assert not late[0].equals(late[2])  # the varied team did change


def test_tidy_table_has_varied_parameter_and_one_row_per_point_rep_follower(crn_sweep):
    res, _ = crn_sweep
    t = res["table"]
    assert {"point", VARY, "rep", "follower", "headline_months"} <= set(t.columns)
    assert len(t) == 3 * 3 * 2
    assert sorted(t[VARY].unique()) == [5, 30, 60]


def test_sweep_writes_table_summary_and_parts(crn_sweep):
    _, out = crn_sweep
    assert (out / "sweep.parquet").is_file() and (out / "sweep_summary.csv").is_file()
    parts = [f.name for f in (out / "parts").glob("*.metrics.parquet")]
    assert len(parts) == 3 * 3  # 3 points x 3 reps, one rep per part at this size
    assert {name[:5] for name in parts} == {"p0000", "p0001", "p0002"}


def test_grid_range_spans_lo_to_hi_inclusive():
    pts = sweep.design_points([sweep.parse_vary("a.b=0.2:0.8:4")])
    assert [p["a.b"] for p in pts] == pytest.approx([0.2, 0.4, 0.6, 0.8])


def test_grid_is_the_product_of_the_lists():
    pts = sweep.design_points([sweep.parse_vary("a=1,2"), sweep.parse_vary("b=x,y,z")])
    assert len(pts) == 6 and pts[0] == {"a": 1, "b": "x"}


def test_lhs_is_reproducible_and_stratified():
    v = [sweep.parse_vary("a=0.0:1.0"), sweep.parse_vary("b=10:20")]  # int bounds -> int values
    p1, p2 = sweep.design_points(v, "lhs", 8), sweep.design_points(v, "lhs", 8)
    assert p1 == p2
    # Latin hypercube: exactly one sample in each eighth of each range
    assert sorted(int(p["a"] * 8) for p in p1) == list(range(8))
    assert all(10 <= p["b"] <= 20 and isinstance(p["b"], int) for p in p1)


BAD = {
    "unknown_key": (["--vary", "teams.leader.nosuchkey=1,2"], "teams.leader.nosuchkey"),
    "empty_list": (["--vary", f"{VARY}="], VARY),
    "empty_range": (["--vary", f"{VARY}=10:20:0"], VARY),
    "lo_equals_hi": (["--vary", f"{VARY}=10:10:3"], VARY),
    "lo_above_hi": (["--vary", f"{VARY}=20:10:3"], "lo 20 > hi 10"),
    "malformed": (["--vary", f"{VARY}"], VARY),
    "not_a_number": (["--vary", f"{VARY}=a:b:3"], VARY),
    "bad_value": (["--vary", "teams.leader.diagnosis=0.5,1.5"], "teams.leader.diagnosis"),
    "range_without_count_on_grid": (["--vary", f"{VARY}=1:5"], VARY),
    "twice": (["--vary", f"{VARY}=1,2", "--vary", f"{VARY}=3"], VARY),
    "no_vary": ([], "--vary"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_sweep_spec_exits_2_with_one_line(case, tmp_path, capsys):
    argv, needle = BAD[case]
    assert (
        main(
            [
                "sweep",
                "chatgpt_race",
                *argv,
                "--reps",
                "1",
                "--years",
                "1",
                "--quiet",
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0]
    assert not (tmp_path / "o").exists()  # nothing ran
