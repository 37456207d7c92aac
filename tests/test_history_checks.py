"""Observed staircases and the backtest checks (models.llm.history).

The checks run on a hand-made staircase whose answers are worked out by hand below. With
``start_date="2023-01-01"`` the calendar windows are whole days from 0: 2023 = [0, 365),
2024 = [365, 731), 2024 H1 = [365, 547), H2 = [547, 731); ``until`` 2024-12-31 = day 730.

    lead:  1 at -100, 2 at 0 (GPT-3.5 level), 3 at 100 (GPT-4 level), 4 at 500
    f1:    1.5 at -50, 2.5 at 200, 3.5 at 400
    f2:    2 at 300 (open weights), never reaches 3
"""

import numpy as np
import pandas as pd
import pytest

from models.llm.history import checks, observed_staircase
from models.llm.record import load_record
from sim.scenario import ScenarioError

M = 365.25 / 12  # days per month
START = "2023-01-01"


def stairs(rows):
    return pd.DataFrame(rows, columns=["team", "t_days", "capability"]).assign(rep=0)


HAND = stairs(
    [
        ("lead", -100, 1.0),
        ("lead", 0, 2.0),
        ("lead", 100, 3.0),
        ("lead", 500, 4.0),
        ("f1", -50, 1.5),
        ("f1", 200, 2.5),
        ("f1", 400, 3.5),
        ("f2", 300, 2.0),
    ]
)
COMPUTE = pd.DataFrame(
    {
        "team": ["lead", "lead", "lead", "f1", "f1"],
        "t_days": [-100.0, 100.0, 100.0 + 365.25, 50.0, 50.0 + 365.25],
        "training_compute_flop": [1e24, 1e25, 4e25, 1e23, 3e23],
    }
)


@pytest.fixture(scope="module")
def hand():
    return checks(HAND, "lead", ["f1", "f2"], ["f2"], COMPUTE, start_date=START, compute_teams=("f1",))


def test_lags_to_the_gpt35_level(hand):
    # level 2 reached by the leader at 0; f1 at 200 (2.5), f2 at 300
    assert hand["lag_first_follower_gpt35_months"] == pytest.approx(200 / M)
    assert hand["lag_median_follower_gpt35_months"] == pytest.approx((200 / M + 300 / M) / 2)
    assert hand["lag_median_follower_gpt35_censored"] == 0


def test_lags_to_the_gpt4_level_count_a_follower_short_of_it_at_the_cutoff(hand):
    # level 3 reached by the leader at 100; f1 at 400; f2 never: counted as 730 - 100 days
    assert hand["lag_first_follower_gpt4_months"] == pytest.approx(300 / M)
    assert hand["lag_slowest_follower_gpt4_months"] == pytest.approx(630 / M)
    assert hand["lag_slowest_follower_gpt4_censored"] == 1
    assert hand["lag_median_follower_gpt4_months"] == pytest.approx((300 / M + 630 / M) / 2)
    assert hand["lag_median_follower_gpt4_censored"] == 1


def test_strongest_follower_months_behind_the_frontier_per_year(hand):
    # f1's frontier is lead+f2: first >= 1.5 at 0, >= 2.5 at 100, >= 3.5 at 500.
    # 2023: days 0-199 at 1.5 -> t months; 200-364 at 2.5 -> t - 100
    f1_2023 = np.mean(np.r_[np.arange(0, 200), np.arange(200, 365) - 100]) / M
    # 2024: days 365-399 at 2.5 -> t - 100; 400-730 at 3.5 -> t - 500 (negative until 500)
    f1_2024 = np.mean(np.r_[np.arange(365, 400) - 100, np.arange(400, 731) - 500]) / M
    # f2 (2 from day 300; its frontier first >= 2 at 0) is further behind in both years
    f2_2023 = np.mean(np.arange(300, 365)) / M
    assert f1_2023 < f2_2023
    assert hand["frontier_months_strongest_follower_2023"] == pytest.approx(f1_2023)
    assert hand["frontier_months_strongest_follower_2024"] == pytest.approx(f1_2024)


def test_open_weights_months_behind_the_frontier_per_half_year(hand):
    # f2 holds 2, first reached by the others at 0: t months behind on day t
    assert hand["frontier_months_open_weights_2024h1"] == pytest.approx(np.mean(np.arange(365, 547)) / M)
    assert hand["frontier_months_open_weights_2024h2"] == pytest.approx(np.mean(np.arange(547, 731)) / M)


def test_leader_share_on_top_and_changes_of_the_top_team(hand):
    # lead on top days 0-399 and 500-730, f1 (3.5 > 3) on 400-499: 631 of 731 days, 2 changes
    assert hand["leader_share_on_top_2023_2024"] == pytest.approx(631 / 731)
    assert hand["top_team_changes_2023_2024"] == 2


def test_compute_growth_per_year_fits_the_largest_compute_to_date(hand):
    # lead: 1e25 at day 100, 4e25 a year later (the earlier 1e24 is before the window): 4x/yr;
    # f1: 1e23 -> 3e23 in a year: 3x/yr
    assert hand["compute_growth_leader_x_per_year"] == pytest.approx(4.0)
    assert hand["compute_growth_f1_x_per_year"] == pytest.approx(3.0)


def test_compute_growth_ignores_a_smaller_side_release():
    side = pd.concat(
        [
            COMPUTE,
            pd.DataFrame({"team": ["lead"], "t_days": [100.0 + 365.25], "training_compute_flop": [1e22]}),
        ]
    )
    out = checks(HAND, "lead", ["f1", "f2"], ["f2"], side, start_date=START, compute_teams=())
    assert out["compute_growth_leader_x_per_year"] == pytest.approx(4.0)


def test_compute_growth_is_nan_without_compute(hand):
    out = checks(HAND, "lead", ["f1", "f2"], ["f2"], None, start_date=START)
    assert np.isnan(out["compute_growth_leader_x_per_year"])
    assert np.isnan(out["compute_growth_deepseek_x_per_year"])


def test_checks_ignore_releases_after_the_cutoff():
    late = pd.concat([HAND, stairs([("f2", 800, 9.0)])], ignore_index=True)
    out = checks(late, "lead", ["f1", "f2"], ["f2"], COMPUTE, start_date=START)
    assert out["lag_slowest_follower_gpt4_months"] == pytest.approx(630 / M)
    assert out["lag_slowest_follower_gpt4_censored"] == 1


def test_checks_take_one_replication():
    two = pd.concat([HAND, HAND.assign(rep=1)], ignore_index=True)
    with pytest.raises(ValueError, match="several replications"):
        checks(two, "lead", ["f1", "f2"], ["f2"], start_date=START)


# ---------------------------------------------------------------------------
# observed staircases
# ---------------------------------------------------------------------------
HEADER = "date,lab,model,open_weights,training_compute_flop,compute_confidence,mmlu,arena_elo,eci,source\n"


def _record(tmp_path, lines):
    p = tmp_path / "r.csv"
    p.write_text("# a test record\n" + HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return load_record(p)


def test_observed_staircase_keeps_only_raises_of_a_labs_best(tmp_path):
    # capability from compute alone: log10(FLOP) + log10(2) * months / 8 after 2022-11-30
    rec = _record(
        tmp_path,
        [
            "2022-06-01,x,big,false,1e24,confident,,,,s",
            "2022-11-30,x,small,false,1e22,confident,,,,s",  # below the best: no step
            "2022-11-30,x,bigger,false,1e25,confident,,,,s",  # same day as small: one step
            "2023-01-01,y,other,true,1e23,confident,,,,s",
        ],
    )
    s = observed_staircase(rec, ["x"], links={})
    assert s["model"].tolist() == ["big", "bigger"]
    assert s["t_days"].tolist() == [-182.0, 0.0]  # history before the start is kept
    months = -182 / M
    assert s["capability"].tolist() == pytest.approx([24 + np.log10(2) * months / 8, 25.0])
    assert set(s["rep"]) == {0}


def test_observed_staircase_names_an_unknown_team(tmp_path):
    rec = _record(tmp_path, ["2023-01-01,x,m,false,1e24,confident,,,,s"])
    with pytest.raises(ScenarioError, match="teams: 'openai' is not allowed"):
        observed_staircase(rec, ["openai"])
