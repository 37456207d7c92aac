"""Scenario comparison: one column per scenario, same seed and reps for each."""

import pandas as pd
import pytest

from sim.cli import main


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "c"
    rc = main(
        [
            "compare",
            "chatgpt_race",
            "chatgpt_race@teams.late_follower.diagnosis=0",
            "--reps",
            "3",
            "--years",
            "2",
            "--seed",
            "5",
            "--quiet",
            "--out",
            str(out),
        ]
    )
    return rc, out


def test_compare_writes_table_text_and_overlaid_plot(compared):
    rc, out = compared
    assert rc == 0
    for f in ("compare.csv", "compare.txt", "compare_gap.png"):
        assert (out / f).is_file()


def test_compare_table_has_one_row_per_scenario_and_follower(compared):
    _, out = compared
    t = pd.read_csv(out / "compare.csv")
    assert set(t["scenario"]) == {"chatgpt_race", "chatgpt_race@teams.late_follower.diagnosis=0"}
    assert len(t) == 2 * 2


def test_variant_of_one_follower_leaves_the_other_followers_figures_equal(compared):
    # same seed and reps for both columns (common random numbers) and the late
    # follower does not affect the strong one: its figures are exactly equal
    _, out = compared
    t = pd.read_csv(out / "compare.csv").set_index(["follower", "scenario"])
    strong = t.loc["strong_follower"]
    assert strong.iloc[0].equals(strong.iloc[1])


def test_compare_needs_two_scenarios(capsys):
    assert main(["compare", "chatgpt_race", "--reps", "1", "--quiet"]) == 2
    assert "at least two" in capsys.readouterr().err
