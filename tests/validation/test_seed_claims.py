"""Seed claims (../shared/seed/claims.md) as emergent results of the default scenario.

Each test runs at least 100 replications with a fixed seed and asserts on
simulated output only. Trends are judged on windows, never on two dates.
"""

import numpy as np
import pytest

import sim
from sim.gap import DAYS_PER_MONTH, window_mean

pytestmark = pytest.mark.slow  # 100 replications per claim scenario

REPS, SEED = 100, 20221130


@pytest.fixture(scope="module")
def race():
    return sim.run(
        "chatgpt_race", reps=REPS, seed=SEED, years=4, options=sim.RunOptions(workers=2, progress=False)
    )


@pytest.fixture(scope="module")
def race_without_diagnosis():
    # The same world draws (common random numbers), the late follower never fixes what it finds.
    return sim.run(
        "chatgpt_race",
        reps=REPS,
        seed=SEED,
        years=4,
        options=sim.RunOptions(workers=2, progress=False),
        overrides={"teams.late_follower.diagnosis": 0.0},
    )


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
    race, race_without_diagnosis
):
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


def test_s8_the_median_training_run_lasts_one_to_two_months(race):
    ev = race.events
    runs = ev[ev.kind == "run"]
    # S8: "one LLM iteration takes one to two months"; durations include
    # interruptions and runs stopped early by failures.
    assert 30 <= runs.duration_days.median() <= 60


def end_capability_gap(res, start_month, end_month):
    w = window_mean(res.gap, start_month, end_month, value="capability_gap")
    return w.pivot(index="rep", columns="follower", values="capability_gap")


@pytest.fixture(scope="module")
def step_vs_burn():
    return sim.run(
        "step_by_step_vs_burn_money", reps=REPS, seed=13, options=sim.RunOptions(workers=2, progress=False)
    )


def test_s13_stepping_ends_with_a_smaller_gap_than_burning_money(step_vs_burn):
    # Same world, leader, budget and compute for both followers (paired by rep);
    # the last year of five. Measured: 95% of pairs.
    gap = end_capability_gap(step_vs_burn, 48, 60)
    assert (gap.stepper < gap.burner).mean() > 0.5


def test_s14_burning_money_costs_more_gpu_days_per_unit_of_capability(step_vs_burn):
    ev = step_vs_burn.events
    ev = ev[ev.kind.isin(["run", "experiment"])]
    gpu_days = (ev.gpus * ev.duration_days).groupby([ev.rep, ev.team]).sum().unstack()
    tr = step_vs_burn.trajectories
    cap = tr.pivot_table(index="rep", columns="team", values="capability", aggfunc="last")
    start = tr[tr.t_days == 0].pivot(index="rep", columns="team", values="capability")
    gain = (cap - start).clip(lower=0.05)  # a floor: no gain would divide by zero
    per_oom = gpu_days / gain
    assert (per_oom.burner > per_oom.stepper).mean() > 0.5


def test_s14_the_money_burners_gap_grows(step_vs_burn):
    gap = step_vs_burn.gap
    early = window_mean(gap, 6, 12).pivot(index="rep", columns="follower", values="months_behind")
    late = window_mean(gap, 48, 60).pivot(index="rep", columns="follower", values="months_behind")
    assert (late.burner > early.burner).mean() >= 0.7


def test_s12_the_gap_jumps_when_the_leader_stops_publishing():
    res = sim.run("open_source_era", reps=REPS, seed=12, options=sim.RunOptions(workers=2, progress=False))
    closure = res.summary["params"]["publishing"]["open_weights_until_days"] / DAYS_PER_MONTH
    before = window_mean(res.gap, closure - 6, closure).set_index("rep").months_behind
    after = window_mean(res.gap, closure, closure + 12).set_index("rep").months_behind
    # "exceeds by at least six months in most replications"; measured 65% at 60 reps
    assert ((after - before) >= 6).mean() > 0.5


@pytest.fixture(scope="module")
def talent():
    return sim.run(
        "talent_and_decisions", reps=REPS, seed=10, options=sim.RunOptions(workers=2, progress=False)
    )


def test_s10_equal_compute_does_not_close_the_gap(talent):
    gap = talent.gap
    early = window_mean(gap, 6, 12).set_index("rep").months_behind
    late = window_mean(gap, 48, 60).set_index("rep").months_behind
    assert (late > early).mean() >= 0.7  # measured 80% at 40 reps


def test_s10_the_leaders_decisions_and_iteration_speed_narrow_the_gap(talent):
    better = sim.run(
        "talent_and_decisions",
        reps=REPS,
        seed=10,
        options=sim.RunOptions(workers=2, progress=False),
        overrides={"teams.equal_compute.decision_quality": 0.95, "teams.equal_compute.prep_days": 15.0},
    )
    late = lambda res: window_mean(res.gap, 48, 60, value="capability_gap").set_index("rep").capability_gap  # noqa: E731
    assert (late(better) < late(talent)).mean() > 0.5


@pytest.fixture(scope="module")
def cheap():
    return sim.run("cheap_chat_model", reps=REPS, seed=1, options=sim.RunOptions(workers=2, progress=False))


def test_s1_a_cheap_chat_model_claims_far_more_than_it_has(cheap):
    tr = cheap.trajectories
    window = tr[(tr.t_days >= 12 * DAYS_PER_MONTH) & (tr.t_days < 24 * DAYS_PER_MONTH)]
    by = window.groupby(["rep", "team"])[["score", "measured_score"]].mean().unstack("team")
    claimed = by["measured_score"]["cheap_chat"] / by["score"]["leader"]
    true = by["score"]["cheap_chat"] / by["score"]["leader"]
    # Vicuna was judged "90% of ChatGPT" yet closed little of the real gap (anchors D).
    # Teams that learn evaluation (eval modes fixed, papers) stop fooling
    # themselves, so not every replication shows it: measured 78% at 100 reps.
    assert (claimed > true + 0.1).mean() > 0.5
    assert claimed.median() >= 0.7 and true.median() <= 0.5


def test_s2_gpt35_level_costs_over_ten_times_a_first_chat_model(cheap):
    ev, tr, st = cheap.events, cheap.trajectories, cheap.staircase
    team = "cheap_chat"
    spend = tr[tr.team == team].set_index(["rep", "t_days"]).spend_usd
    first = ev[(ev.team == team) & (ev.kind == "release")].groupby("rep").t_days.min()
    mine = st[(st.team == team) & (st.t_days >= 0) & (st.capability >= 24.41 - 1e-12)]
    reached = mine.groupby("rep").t_days.min()
    end = tr.t_days.max()

    def spent(rep, t):
        s = spend.xs(rep, level="rep")
        return s[s.index <= t].iloc[-1]

    first_cost = np.array([spent(r, t) for r, t in first.items()])
    # Not reached within the horizon: the spend so far is a lower bound.
    gpt35_cost = np.array([spent(r, reached.get(r, end)) for r in first.index])
    assert len(first) >= 0.9 * REPS  # nearly every team gets a chat model
    assert np.median(first_cost) <= 1.5e6  # "a few million RMB"
    assert np.median(gpt35_cost / first_cost) >= 10


@pytest.fixture(scope="module")
def fab_price():
    return sim.run("know_how_price", reps=REPS, seed=5, options=sim.RunOptions(workers=2, progress=False))


def test_s6_slightly_less_know_how_gives_a_tenth_to_a_hundredth_of_the_yield(fab_price):
    tr = fab_price.trajectories
    start = tr[tr.t_days == 0].set_index(["rep", "team"])
    ratio = start.line_yield.xs("follower", level="team") / start.line_yield.xs("leader", level="team")
    cost = start.cost_per_25_good_usd.xs("follower", level="team")
    # S6: 1/10 to 1/100 of the yield; the same 25 wafers cost $10M-$100M.
    # Each replication draws its own world of failure modes, so allow a few outside.
    assert ((ratio >= 0.01) & (ratio <= 0.1)).mean() >= 0.9
    assert ((cost >= 10e6) & (cost <= 100e6)).mean() >= 0.9


def test_s7_a_follower_fab_spends_tens_of_millions_while_its_yield_climbs(fab_price):
    tr = fab_price.trajectories
    leader_start = tr[(tr.team == "leader") & (tr.t_days == 0)].set_index("rep").line_yield
    f = tr[tr.team == "follower"]
    early = f[f.t_days < 91].groupby("rep").line_yield.mean()
    late = f[f.t_days >= 270].groupby("rep").line_yield.mean()
    assert (late > early).mean() >= 0.9  # the lots buy yield (S5's loop works)
    reached = f[f.line_yield >= f.rep.map(leader_start)].groupby("rep").t_days.min()
    spend = f.set_index(["rep", "t_days"]).spend_usd
    end = f.t_days.max()
    # Spend before the yield reaches the leader's; where it never does within the
    # horizon, the spend so far is a lower bound.
    before = np.array(
        [spend.xs(r, level="rep").loc[: reached.get(r, end)].iloc[-1] for r in leader_start.index]
    )
    assert (before >= 10e6).all()
