import numpy as np
import pandas as pd
import pytest

from sim.gap import (
    DAYS_PER_MONTH,
    capability_at,
    gap_table,
    months_behind,
    widened,
    window_mean,
)
from sim.headline import rep_metrics, summarise_metrics

M = DAYS_PER_MONTH  # 30.4375 days
LT = np.array([-900.0, -260.0, 0.0, 104.0])
LC = np.array([22.4, 23.9, 24.41, 25.21])


# ---------------------------------------------------------------------------
# months_behind
# ---------------------------------------------------------------------------
def test_days_per_month_is_julian_year_over_12():
    assert DAYS_PER_MONTH == pytest.approx(30.4375)


def test_months_behind_follower_between_leader_steps():
    # 24.0 lies between 23.9 (t=-260) and 24.41 (t=0): leader first >= 24.0 at t=0
    m, f = months_behind(LT, LC, [24.0], [200.0])
    assert m[0] == pytest.approx(200.0 / 30.4375)  # 6.5708 months
    assert f[0] == ""


def test_months_behind_follower_exactly_at_leader_level():
    # exactly 23.9 -> reached at t=-260, not at the next step
    m, f = months_behind(LT, LC, [23.9], [0.0])
    assert m[0] == pytest.approx(260.0 / 30.4375)  # 8.5421 months
    assert f[0] == ""


def test_months_behind_exact_level_robust_to_float_noise():
    m, _ = months_behind(LT, LC, [23.9 + 1e-12], [0.0])
    assert m[0] == pytest.approx(260.0 / 30.4375)


def test_months_behind_follower_at_first_record_value_is_defined():
    m, f = months_behind(LT, LC, [22.4], [0.0])
    assert m[0] == pytest.approx(900.0 / 30.4375)
    assert f[0] == ""


def test_months_behind_negative_when_follower_leads():
    # 24.5 at t=50: leader only reaches it at t=104 (25.21) -> -54 days
    m, f = months_behind(LT, LC, [24.5], [50.0])
    assert m[0] == pytest.approx(-54.0 / 30.4375)  # -1.7741 months
    assert f[0] == ""


def test_months_behind_below_first_record_is_nan_before_record():
    m, f = months_behind(LT, LC, [22.0], [10.0])
    assert np.isnan(m[0])
    assert f[0] == "before_record"


def test_months_behind_above_all_leader_values_is_nan_beyond_record():
    m, f = months_behind(LT, LC, [25.5], [10.0])
    assert np.isnan(m[0])
    assert f[0] == "beyond_record"


def test_months_behind_nan_follower_is_nan_no_capability():
    m, f = months_behind(LT, LC, [np.nan], [10.0])
    assert np.isnan(m[0])
    assert f[0] == "no_capability"


def test_months_behind_empty_leader_record_is_flagged():
    m, f = months_behind([], [], [24.0, np.nan], [10.0, 10.0])
    assert np.isnan(m).all()
    assert list(f) == ["no_leader_record", "no_capability"]


def test_months_behind_rises_one_month_per_month_between_releases():
    t = np.array([0.0, 1.0, 2.0, 3.0]) * M  # leader's next step is at t=104 > 3 months
    m, f = months_behind(LT, LC, np.full(4, 24.0), t)
    np.testing.assert_allclose(m, [0.0, 1.0, 2.0, 3.0])
    np.testing.assert_allclose(np.diff(m), 1.0)
    assert list(f) == [""] * 4


def test_months_behind_uses_running_max_of_leader_record():
    # leader dips from 3 to 2 at t=20; 2.0 was first reached at t=10
    m, _ = months_behind([0.0, 10.0, 20.0], [1.0, 3.0, 2.0], [2.0], [40.0])
    assert m[0] == pytest.approx(30.0 / M)


def test_months_behind_accepts_unsorted_leader_times():
    order = [3, 0, 2, 1]
    m, _ = months_behind(LT[order], LC[order], [24.0], [200.0])
    assert m[0] == pytest.approx(200.0 / M)


def test_months_behind_broadcasts_scalar_time():
    m, f = months_behind(LT, LC, [23.0, 24.0, 25.0], 104.0)
    np.testing.assert_allclose(m, [364.0 / M, 104.0 / M, 0.0])
    assert m.shape == (3,)


# ---------------------------------------------------------------------------
# capability_at
# ---------------------------------------------------------------------------
def _staircase():
    rows = [
        # rep 0
        (0, "L", -900.0, 22.4),
        (0, "L", -260.0, 23.9),
        (0, "L", 0.0, 24.41),
        (0, "L", 104.0, 25.21),
        (0, "A", 0.0, 23.0),
        (0, "A", 150.0, 24.0),
        (0, "B", 0.0, 24.5),
        # rep 1
        (1, "L", -900.0, 22.4),
        (1, "L", 0.0, 23.0),
        (1, "L", 60.0, 24.0),
        (1, "L", 120.0, 25.0),
        (1, "A", 0.0, 23.5),
        (1, "B", 50.0, 24.0),
        (1, "B", 180.0, 25.5),
    ]
    df = pd.DataFrame(rows, columns=["rep", "team", "t_days", "capability"])
    return df.sample(frac=1.0, random_state=3).reset_index(drop=True)  # shuffled


def _spend():
    rows = [
        (0, "L", 0.0, 0.0),
        (0, "L", 104.0, 300e6),
        (0, "A", 0.0, 0.0),
        (0, "A", 100.0, 20e6),
        (0, "B", 0.0, 10e6),
        (1, "L", 0.0, 0.0),
        (1, "L", 60.0, 40e6),
        (1, "L", 120.0, 80e6),
        (1, "A", 0.0, 5e6),
        (1, "A", 90.0, 10e6),
        (1, "B", 0.0, 0.0),
        (1, "B", 50.0, 2e6),
    ]
    return pd.DataFrame(rows, columns=["rep", "team", "t_days", "spend_usd"])


GRID = [0.0, 100.0, 200.0]


def test_capability_at_samples_last_row_at_or_before_t():
    cap = capability_at(_staircase(), [-300.0, -260.0, 103.9, 104.0])
    l0 = cap[(cap.rep == 0) & (cap.team == "L")]
    np.testing.assert_allclose(l0["capability"], [22.4, 23.9, 24.41, 25.21])


def test_capability_at_nan_before_team_first_row():
    cap = capability_at(_staircase(), [0.0, 49.0, 50.0])
    b1 = cap[(cap.rep == 1) & (cap.team == "B")]["capability"].to_numpy()
    assert np.isnan(b1[0]) and np.isnan(b1[1])
    assert b1[2] == 24.0


def test_capability_at_shape_columns_and_sort():
    cap = capability_at(_staircase(), [200.0, 0.0, 100.0])
    assert list(cap.columns) == ["rep", "team", "t_days", "capability"]
    assert len(cap) == 2 * 3 * 3
    assert cap.equals(cap.sort_values(["rep", "team", "t_days"]).reset_index(drop=True))


# ---------------------------------------------------------------------------
# gap_table
# ---------------------------------------------------------------------------
def _gap(spend=None):
    return gap_table(_staircase(), GRID, leader="L", spend=spend)


def test_gap_table_shape_and_columns():
    g = _gap()
    assert g.shape == (2 * 2 * 3, 8)
    assert list(g.columns) == [
        "rep",
        "t_days",
        "follower",
        "leader",
        "capability_gap",
        "months_behind",
        "months_behind_flag",
        "cost_ratio",
    ]


def test_gap_table_default_followers_exclude_leader():
    g = _gap()
    assert sorted(g["follower"].unique()) == ["A", "B"]
    assert set(g["leader"]) == {"L"}


def test_gap_table_sorted_by_rep_follower_t():
    g = _gap()
    assert list(g["rep"]) == [0] * 6 + [1] * 6
    assert list(g["follower"]) == (["A"] * 3 + ["B"] * 3) * 2
    assert list(g["t_days"]) == GRID * 4


def test_gap_table_dtypes():
    g = _gap()
    assert g["rep"].dtype == np.int64
    assert g["t_days"].dtype == np.float64
    for c in ("follower", "leader", "months_behind_flag"):
        assert pd.api.types.is_string_dtype(g[c])
        assert not isinstance(g[c].dtype, pd.CategoricalDtype)


def test_gap_table_capability_gap_values():
    g = _gap()
    expected = [
        1.41,
        1.41,
        1.21,  # rep0 A: L 24.41,24.41,25.21 - A 23,23,24
        -0.09,
        -0.09,
        0.71,  # rep0 B: - 24.5
        -0.5,
        0.5,
        1.5,  # rep1 A: L 23,24,25 - 23.5
        np.nan,
        0.0,
        -0.5,  # rep1 B: NaN before t=50, 24, 25.5
    ]
    np.testing.assert_allclose(g["capability_gap"], expected, atol=1e-12)


def test_gap_table_months_behind_and_flags():
    g = _gap()
    expected_days = [
        260,
        360,
        200,  # rep0 A: tau=-260, -260, 0
        -104,
        -4,
        96,  # rep0 B: tau=104 (B leads early)
        -60,
        40,
        140,  # rep1 A: tau=60
        np.nan,
        40,
        np.nan,
    ]
    np.testing.assert_allclose(g["months_behind"], np.array(expected_days) / M)
    assert list(g["months_behind_flag"]) == ([""] * 9 + ["no_capability", "", "beyond_record"])


def test_gap_table_cost_ratio_hand_worked():
    g = _gap(spend=_spend())
    expected = [
        np.nan,
        np.nan,
        np.nan,  # rep0 A: tau<0, tau<0, leader spend at tau=0 is 0
        1 / 30,
        1 / 30,
        1 / 30,  # rep0 B: 10e6 / L spend at tau=104 (300e6)
        0.125,
        0.25,
        0.25,  # rep1 A: 5e6,10e6,10e6 / L spend at tau=60 (40e6)
        np.nan,
        0.05,
        np.nan,  # rep1 B: no cap; 2e6/40e6; beyond record
    ]
    np.testing.assert_allclose(g["cost_ratio"], expected)


def test_gap_table_cost_ratio_nan_without_spend():
    assert _gap()["cost_ratio"].isna().all()


def test_gap_table_explicit_followers_subset():
    g = gap_table(_staircase(), GRID, leader="L", followers=["B"])
    assert set(g["follower"]) == {"B"}
    assert len(g) == 2 * 3


def test_gap_table_unknown_leader_raises():
    with pytest.raises(ValueError, match="leader"):
        gap_table(_staircase(), GRID, leader="nobody")


# ---------------------------------------------------------------------------
# window_mean / widened / summarise on synthetic gap tables
# ---------------------------------------------------------------------------
def _synthetic_gap(series: dict, months=None):
    """series: {(rep, follower): months-behind function of month m}."""
    months = np.arange(37) if months is None else months
    parts = []
    for (rep, fol), fn in series.items():
        parts.append(
            pd.DataFrame(
                {
                    "rep": rep,
                    "t_days": months * M,
                    "follower": fol,
                    "leader": "L",
                    "capability_gap": np.nan,
                    "months_behind": fn(months.astype(float)),
                    "months_behind_flag": "",
                    "cost_ratio": np.nan,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def test_window_mean_is_half_open_in_months():
    g = _synthetic_gap({(0, "A"): lambda m: m})
    w = window_mean(g, 6, 12)
    assert list(w.columns) == ["rep", "follower", "months_behind"]
    assert w["months_behind"].iloc[0] == pytest.approx(np.mean(np.arange(6, 12)))  # 8.5


def test_window_mean_ignores_nan():
    g = _synthetic_gap({(0, "A"): lambda m: np.where(m == 7, np.nan, m)})
    w = window_mean(g, 6, 9)
    assert w["months_behind"].iloc[0] == pytest.approx(7.0)  # mean(6, 8)


def test_widened_true_for_growing_false_for_shrinking_gap():
    g = _synthetic_gap({(0, "grow"): lambda m: m, (0, "shrink"): lambda m: 20 - 0.5 * m})
    w = widened(g).set_index("follower")
    # early = months 6..11; late default = last 12 months of grid = months 25..36
    assert w.loc["grow", "early"] == pytest.approx(8.5)
    assert w.loc["grow", "late"] == pytest.approx(30.5)
    assert w.loc["shrink", "early"] == pytest.approx(15.75)
    assert w.loc["shrink", "late"] == pytest.approx(4.75)
    assert bool(w.loc["grow", "widened"]) is True
    assert bool(w.loc["shrink", "widened"]) is False
    assert w["widened"].dtype == bool


def test_widened_explicit_late_window():
    g = _synthetic_gap({(0, "grow"): lambda m: m})
    w = widened(g, early=(0, 2), late=(2, 4))
    assert w["early"].iloc[0] == pytest.approx(0.5)
    assert w["late"].iloc[0] == pytest.approx(2.5)


def test_widened_false_when_window_undefined():
    g = _synthetic_gap({(0, "A"): lambda m: np.where(m < 12, np.nan, m)})
    w = widened(g)
    assert np.isnan(w["early"].iloc[0])
    assert bool(w["widened"].iloc[0]) is False


def summarise(gap):
    """The summary a run prints, of a 3-year gap table."""
    return summarise_metrics(rep_metrics(gap, years=3.0))


def test_summarise_start_end_quantiles_and_share_widened():
    a = [0.0, 1.0, 2.0, 3.0, 4.0]
    b = [1.0, 1.0, -0.1, 0.0, 0.5]
    g = _synthetic_gap({(r, "A"): (lambda m, a=a[r], b=b[r]: a + b * m) for r in range(5)})
    s = summarise(g).set_index("follower")
    row = s.loc["A"]
    # start values 0..4 (linear interpolation)
    assert row["start_median"] == pytest.approx(2.0)
    assert row["start_q05"] == pytest.approx(0.2)
    assert row["start_q95"] == pytest.approx(3.8)
    # end values a + 36 b = 36, 37, -1.6, 3, 22 -> sorted -1.6, 3, 22, 36, 37
    assert row["end_median"] == pytest.approx(22.0)
    assert row["end_q05"] == pytest.approx(-1.6 + 0.2 * 4.6)  # -0.68
    assert row["end_q95"] == pytest.approx(36.8)
    # widened for b > 0 only (3 of 5)
    assert row["share_widened"] == pytest.approx(0.6)
    assert row["reps"] == 5


def test_summarise_one_row_per_follower_with_named_columns():
    g = _synthetic_gap({(0, "A"): lambda m: m, (0, "B"): lambda m: -m, (1, "B"): lambda m: m})
    s = summarise(g)
    assert list(s["follower"]) == ["A", "B"]
    for c in (
        "start_median",
        "start_q05",
        "start_q95",
        "end_median",
        "end_q05",
        "end_q95",
        "share_widened",
        "reps",
    ):
        assert c in s.columns
    assert list(s["reps"]) == [1, 2]
    assert list(s["share_widened"]) == [1.0, 0.5]


def test_summarise_counts_defined_values_and_ignores_nan():
    g = _synthetic_gap(
        {
            (0, "A"): lambda m: m,
            (1, "A"): lambda m: np.where(m == 36, np.nan, m + 2),
        }
    )
    row = summarise(g).iloc[0]
    assert row["end_defined"] == 1
    assert row["end_median"] == pytest.approx(36.0)
    assert row["start_median"] == pytest.approx(1.0)
