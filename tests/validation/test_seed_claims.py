"""Seed claims (../shared/seed/claims.md) as emergent results of the default scenario.

Each test runs at least 100 replications with a fixed seed and asserts on
simulated output only. Trends are judged on windows, never on two dates.
"""
import numpy as np
import pytest

import sim
from sim.gap import DAYS_PER_MONTH, window_mean

REPS, SEED = 100, 20221130


@pytest.fixture(scope="module")
def race():
    return sim.run("chatgpt_race", reps=REPS, seed=SEED, years=4, workers=2, progress=False)


@pytest.fixture(scope="module")
def race_without_diagnosis():
    # The same world draws (common random numbers), the late follower never fixes what it finds.
    return sim.run("chatgpt_race", reps=REPS, seed=SEED, years=4, workers=2, progress=False,
                   overrides={"teams.late_follower.diagnosis": 0.0})


def months_to_reach(res, team, level):
    st = res.staircase
    st = st[(st.team == team) & (st.t_days >= 0) & (st.capability >= level - 1e-12)]
    first = st.groupby("rep").t_days.min().reindex(range(REPS))
    return first / DAYS_PER_MONTH  # NaN: never within the horizon


def test_s9_strong_follower_needs_about_a_year_to_reach_the_leaders_starting_capability(race):
    tr = race.trajectories
    start = tr[(tr.team == "leader") & (tr.t_days == 0)].capability
    assert start.nunique() == 1  # GPT-3.5 level, the same in every replication
    months = months_to_reach(race, "strong_follower", start.iloc[0])
    # S9: "at least one year" for Google; history: Claude 2 +7.5, Gemini 1.0 Pro +12.2 months
    # (anchors D). Never reaching it within 4 years counts as slower than any bound.
    median = np.nanmedian(months.fillna(np.inf))
    assert 9 <= median <= 15
    assert (months <= 4).mean() <= 0.10


def test_s14_a_follower_that_never_diagnoses_falls_further_behind(race_without_diagnosis):
    gap = race_without_diagnosis.gap
    early = window_mean(gap, 6, 12).set_index(["rep", "follower"]).months_behind
    late = window_mean(gap, 30, 36).set_index(["rep", "follower"]).months_behind
    widened = (late > early).xs("late_follower", level="follower")
    assert widened.mean() >= 0.70


def test_s14_not_learning_leaves_a_larger_gap_than_learning_on_paired_replications(
        race, race_without_diagnosis):
    # Paired on common random numbers: the same world of failure modes and the
    # same leader in both runs, so the leader's capability is identical and the
    # capability gap (OOM, continuous) compares the two followers directly.
    # Months behind is quantised by the leader's release dates (GPT-4 alone
    # spans 0.8 OOM), so on it about a quarter of the pairs tie exactly; the
    # share strictly larger on months behind is reported, not asserted.
    def late_gap(res):
        w = window_mean(res.gap, 30, 36, value="capability_gap").set_index(["rep", "follower"])
        return w.capability_gap.xs("late_follower", level="follower")

    paired = late_gap(race_without_diagnosis) > late_gap(race)
    assert paired.mean() >= 0.80
