"""The observed record of the LLM race: loading, validation and the capability link."""

import numpy as np
import pandas as pd
import pytest

from models.llm.history import level_lag, observed_checks, observed_staircase
from models.llm.link import effective_compute, fit_links, mmlu_logit, observed_capability, plot_links
from models.llm.record import COLUMNS, RECORD_PATH, load_record
from sim.scenario import ScenarioError


@pytest.fixture(scope="module")
def record():
    return load_record()


def _line_of(text: str, needle: str) -> int:
    """1-based line number (comment lines included) of the first line containing needle."""
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def _copy_with(tmp_path, old: str, new: str):
    """The shipped record with the first occurrence of ``old`` replaced; (path, line of it)."""
    text = RECORD_PATH.read_text(encoding="utf-8")
    line = _line_of(text, old)
    p = tmp_path / "frontier_record.csv"
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    return p, line


def test_shipped_record_loads_with_the_documented_columns(record):
    assert list(record.columns) == list(COLUMNS)
    assert len(record) >= 60
    assert {"openai", "google", "anthropic", "meta", "deepseek"} <= set(record["lab"])


def test_shipped_record_has_nothing_after_the_cutoff(record):
    assert record["date"].max() <= pd.Timestamp("2024-12-31")
    assert record["date"].min() >= pd.Timestamp("2020-05-01")


@pytest.mark.parametrize(
    "old, new, field, value",
    [
        ("2023-03-14,openai,GPT-4 (Mar 2023)", "2023-02-30,openai,GPT-4 (Mar 2023)", "date", "2023-02-30"),
        ("2024-12-26,deepseek,DeepSeek-V3", "2025-01-20,deepseek,DeepSeek-V3", "date", "2025-01-20"),
        (
            "GPT-4 (Mar 2023),false,2.1e+25,likely,0.864",
            "GPT-4 (Mar 2023),false,2.1e+25,likely,1.7",
            "mmlu",
            "1.7",
        ),
        ("GPT-4 (Mar 2023),false", "GPT-4 (Mar 2023),no", "open_weights", "no"),
        (
            "GPT-4 (Mar 2023),false,2.1e+25",
            "GPT-4 (Mar 2023),false,-2.1e+25",
            "training_compute_flop",
            "-2.1e+25",
        ),
    ],
    ids=["impossible date", "after the cutoff", "mmlu above 1", "not a boolean", "negative compute"],
)
def test_bad_cell_names_its_line_and_field(tmp_path, old, new, field, value):
    p, line = _copy_with(tmp_path, old, new)
    with pytest.raises(ScenarioError) as exc:
        load_record(p)
    msg = str(exc.value)
    assert msg.startswith(f"frontier_record.csv line {line}: {field}: {value} is not allowed")
    assert "\n" not in msg


def test_mmlu_above_one_message_says_what_is_allowed(tmp_path):
    p, line = _copy_with(
        tmp_path, "GPT-4 (Mar 2023),false,2.1e+25,likely,0.864", "GPT-4 (Mar 2023),false,2.1e+25,likely,1.7"
    )
    with pytest.raises(
        ScenarioError,
        match=rf"^frontier_record.csv line {line}: mmlu: 1.7 is not allowed: must be between 0 and 1$",
    ):
        load_record(p)


def test_unknown_column_names_the_header_line(tmp_path):
    p, line = _copy_with(tmp_path, "date,lab,model,", "date,lab,modell,")
    with pytest.raises(ScenarioError, match=rf"line {line}: unknown column 'modell'"):
        load_record(p)


def test_compute_without_its_confidence_is_an_error(tmp_path):
    p, line = _copy_with(
        tmp_path, "GPT-4 (Mar 2023),false,2.1e+25,likely,", "GPT-4 (Mar 2023),false,2.1e+25,,"
    )
    with pytest.raises(ScenarioError, match=rf"line {line}: compute_confidence: must be given exactly"):
        load_record(p)


def test_repeated_release_is_an_error(tmp_path):
    text = RECORD_PATH.read_text(encoding="utf-8")
    dup = next(line for line in text.splitlines() if line.startswith("2023-03-14,openai,GPT-4 (Mar 2023)"))
    p = tmp_path / "frontier_record.csv"
    p.write_text(text + dup + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"repeats line \d+"):
        load_record(p)


# ---------------------------------------------------------------------------
# the capability scale and the links
# ---------------------------------------------------------------------------
def test_gpt3_counts_about_22_4_on_the_scale():
    # log10(3.14e23) = 23.497; 2020-05-28 is 916 days = 30.09 months before 2022-11-30,
    # i.e. 30.09 / 8 halvings = -1.132 OOM: 22.36
    ec = effective_compute([3.14e23], [pd.Timestamp("2020-05-28")])[0]
    assert ec == pytest.approx(22.4, abs=0.05)
    assert ec == pytest.approx(np.log10(3.14e23) - np.log10(2) * (916 / (365.25 / 12)) / 8)


def test_mmlu_logit_is_undefined_at_chance():
    assert np.isnan(mmlu_logit([0.25])[0]) and mmlu_logit([0.625])[0] == pytest.approx(0.0)


def test_links_residual_spread_is_reported_and_bounded(record):
    # Organisations at the same date and compute differ by about 0.6 OOM (anchors D): a link
    # with a larger residual spread would say less than that know-how spread itself.
    links = fit_links(record)
    assert set(links) == {"eci", "mmlu", "arena_elo"}
    for fit in links.values():
        assert fit.n >= 20
        assert 0.1 < fit.rmse < 0.6
        assert fit.slope > 0 and fit.r > 0.75


def test_links_leave_out_compute_imputed_from_benchmarks(record):
    imputed = (record["compute_confidence"] == "imputed").sum()
    assert imputed >= 1
    with_eci = record["eci"].notna() & record["training_compute_flop"].notna()
    assert fit_links(record)["eci"].n == int(
        with_eci.sum() - (with_eci & (record["compute_confidence"] == "imputed")).sum()
    )


def test_capability_comes_from_eci_first_then_mmlu_arena_compute(record):
    obs = observed_capability(record)
    has = {s: record[s].notna() for s in ("eci", "mmlu", "arena_elo")}
    has_compute = record["training_compute_flop"].notna()
    src = obs["capability_source"]
    assert (src[has["eci"]] == "eci").all()
    assert (src[~has["eci"] & has["mmlu"]] == "mmlu").all()
    assert (src[~has["eci"] & ~has["mmlu"] & has["arena_elo"]] == "arena_elo").all()
    only_compute = ~has["eci"] & ~has["mmlu"] & ~has["arena_elo"] & has_compute
    assert (src[only_compute] == "compute").all()
    assert np.allclose(obs.loc[only_compute, "capability"], obs.loc[only_compute, "effective_compute"])


def test_link_figure_has_a_fit_and_a_residual_panel_per_score(record):
    fig = plot_links(record)
    assert len(fig.axes) == 6


# ---------------------------------------------------------------------------
# an observed lag, by the simulator's months-behind code
# ---------------------------------------------------------------------------
def test_observed_lag_gpt4_to_claude3_opus_is_11_6_months(record):
    # anchors G: GPT-4 (2023-03-14) first matched by Claude 3 Opus (2024-02-29) after 11.6 months
    s = observed_staircase(record, ["openai", "anthropic"])
    gpt4 = s[(s["team"] == "openai") & (s["t_days"] > 0)].iloc[0]
    assert gpt4["model"] == "GPT-4 (Mar 2023)"
    lag, censored = level_lag(s, "openai", "anthropic", gpt4["capability"], until_days=762.0)
    assert not censored
    assert lag == pytest.approx(11.6, abs=0.2)


def test_observed_slowest_frontier_follower_matches_gpt4_after_21_5_months(record):
    # anchors G: DeepSeek-V3 (2024-12-26) matched GPT-4 (2023-03-14) after 21.5 months, the
    # slowest of the frontier_2023 teams
    out = observed_checks(record)
    assert out["lag_slowest_follower_gpt4_months"] == pytest.approx(21.5, abs=0.2)
    assert out["lag_slowest_follower_gpt4_censored"] == 0
