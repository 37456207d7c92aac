"""Months behind the frontier, the top spot and its changes (sim.gap, DESIGN §3.5).

Hand-made staircases; expected values are worked out by hand in the comments.
"""

import numpy as np
import pandas as pd
import pytest

from sim.gap import DAYS_PER_MONTH, months_behind_frontier, share_on_top, top_team, top_team_changes

M = DAYS_PER_MONTH  # 30.4375 days


def stairs(rows, rep=0):
    """rows: (team, t_days, capability)."""
    return pd.DataFrame(
        {
            "rep": rep,
            "team": [r[0] for r in rows],
            "t_days": [float(r[1]) for r in rows],
            "capability": [float(r[2]) for r in rows],
        }
    )


# a: 1 at 0, 3 at 60; b: 2 at 0; c: 2.5 at 30, 3.5 at 120
ABC = stairs([("a", 0, 1), ("a", 60, 3), ("b", 0, 2), ("c", 30, 2.5), ("c", 120, 3.5)])


def row(table, team, t):
    return table[(table["team"] == team) & (table["t_days"] == t)].iloc[0]


def test_frontier_lag_is_against_the_best_of_the_other_teams():
    # c at t=90 holds 2.5; a and b together first reached >= 2.5 at t=60 (a's 3)
    r = row(months_behind_frontier(ABC, [90.0]), "c", 90.0)
    assert r["months_behind_frontier"] == pytest.approx(30.0 / M)
    assert r["months_behind_frontier_flag"] == ""


def test_frontier_lag_of_the_team_on_top_is_negative_until_the_others_catch_up():
    # a at t=90 holds 3 (on top); c reaches 3.5 >= 3 at t=120: a is 30 days "ahead"
    r = row(months_behind_frontier(ABC, [90.0]), "a", 90.0)
    assert r["months_behind_frontier"] == pytest.approx(-30.0 / M)


def test_frontier_lag_of_a_team_never_matched_is_flagged_beyond_record():
    # c at t=150 holds 3.5; a and b never reach it
    r = row(months_behind_frontier(ABC, [150.0]), "c", 150.0)
    assert np.isnan(r["months_behind_frontier"])
    assert r["months_behind_frontier_flag"] == "beyond_record"


def test_frontier_lag_before_a_teams_first_release_is_flagged_no_capability():
    r = row(months_behind_frontier(ABC, [10.0]), "c", 10.0)
    assert np.isnan(r["months_behind_frontier"])
    assert r["months_behind_frontier_flag"] == "no_capability"


def test_frontier_capability_is_the_others_best_at_t():
    # at t=90 the others of b are a (3) and c (2.5): 3
    r = row(months_behind_frontier(ABC, [90.0]), "b", 90.0)
    assert r["frontier_capability"] == pytest.approx(3.0)
    assert r["capability"] == pytest.approx(2.0)


def test_frontier_uses_only_the_teams_named():
    # b at t=90 holds 2. With a and c, c first reached >= 2 at t=30; with a alone, t=60 (a's 3)
    everyone = row(months_behind_frontier(ABC, [90.0]), "b", 90.0)
    without_c = months_behind_frontier(ABC, [90.0], teams=["a", "b"])
    assert everyone["months_behind_frontier"] == pytest.approx(60.0 / M)
    assert row(without_c, "b", 90.0)["months_behind_frontier"] == pytest.approx(30.0 / M)
    assert set(without_c["team"]) == {"a", "b"}


def test_frontier_below_the_others_first_record_is_flagged_before_record():
    # the others' record starts at 3 (t=0): when they passed 2 is unknown
    early = stairs([("a", 0, 3), ("b", 10, 2)])
    r = row(months_behind_frontier(early, [20.0]), "b", 20.0)
    assert np.isnan(r["months_behind_frontier"])
    assert r["months_behind_frontier_flag"] == "before_record"


def test_frontier_replications_are_independent():
    other = stairs([("a", 0, 1), ("a", 40, 5), ("b", 0, 2), ("c", 30, 2.5)], rep=1)
    out = months_behind_frontier(pd.concat([ABC, other], ignore_index=True), [90.0])
    # rep 1: c's 2.5 at t=90, first reached by a at t=40; rep 0: by a at t=60
    assert row(out[out["rep"] == 1], "c", 90.0)["months_behind_frontier"] == pytest.approx(50.0 / M)
    assert row(out[out["rep"] == 0], "c", 90.0)["months_behind_frontier"] == pytest.approx(30.0 / M)


def test_top_team_is_the_highest_capability_at_each_time():
    top = top_team(ABC, [0.0, 30.0, 60.0, 120.0])["top_team"].tolist()
    # t=0: b (2) over a (1); t=30: c (2.5); t=60: a (3); t=120: c (3.5)
    assert top == ["b", "c", "a", "c"]


def test_top_team_tie_goes_to_the_incumbent():
    # y reaches 2 at t=10, x matches it at t=20: y stays on top
    tie = stairs([("x", 0, 1), ("x", 20, 2), ("y", 10, 2)])
    assert top_team(tie, [25.0])["top_team"].tolist() == ["y"]


def test_top_team_is_blank_before_any_release():
    assert top_team(ABC, [-5.0])["top_team"].tolist() == [""]


def test_share_on_top_counts_grid_times_with_a_top_team():
    # grid -10..149 daily: undefined at t<0 (10 points); b on t=0..29 (30), c on 30..59 (30),
    # a on 60..119 (60), c on 120..149 (30): shares over the 150 defined points
    share = share_on_top(ABC, np.arange(-10.0, 150.0)).set_index("team")["share_on_top"]
    assert share["a"] == pytest.approx(60 / 150)
    assert share["b"] == pytest.approx(30 / 150)
    assert share["c"] == pytest.approx(60 / 150)


def test_top_team_changes_counts_hand_overs():
    # b -> c (t=30) -> a (t=60) -> c (t=120): three changes; the first holder is not a change
    changes = top_team_changes(ABC, np.arange(-10.0, 150.0))
    assert changes["top_team_changes"].tolist() == [3]
