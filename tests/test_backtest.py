"""Backtest: a scenario beside its record, every check against the simulated band."""

import json

import numpy as np
import pytest

import sim
from models.llm.backtest import RaceBacktest
from sim.backtest import backtest_table, run_backtest
from sim.cli import main

QUIET = sim.RunOptions(progress=False)


def test_a_malformed_record_exits_2_naming_its_line_and_field(tmp_path, capsys):
    from importlib.resources import files

    lines = (files("models.llm") / "data" / "frontier_record.csv").read_text().splitlines()
    # corrupt the MMLU cell of the first data row (comment lines and the header come first)
    header_at = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    cols = lines[header_at].split(",")
    row = lines[header_at + 1].split(",")
    row[cols.index("mmlu")] = "1.7"
    lines[header_at + 1] = ",".join(row)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    code = main(
        ["backtest", "frontier_2023", "--record", str(bad), "--reps", "2", "--out", str(tmp_path / "o")]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert f"line {header_at + 2}" in err and "mmlu" in err and "1.7" in err


def test_backtest_writes_every_check_with_its_band_and_the_coverage(tmp_path):
    out = tmp_path / "bt"
    assert (
        main(["backtest", "frontier_2023", "--reps", "6", "--seed", "3", "--quiet", "--out", str(out)]) == 0
    )
    data = json.loads((out / "backtest.json").read_text())
    names = [c["name"] for c in data["checks"]]
    assert "lag_first_follower_gpt4_months" in names and "top_team_changes_2023_2024" in names
    for c in data["checks"]:
        assert c["simulated_p05"] <= c["simulated_median"] <= c["simulated_p95"]
        assert c["inside_90"] == (c["simulated_p05"] <= c["observed"] <= c["simulated_p95"])
    assert data["coverage_90"] == pytest.approx(np.mean([c["inside_90"] for c in data["checks"]]))
    assert (out / "backtest.png").is_file()


def test_a_scenario_without_a_record_is_one_error_line(tmp_path, capsys):
    assert main(["backtest", "chatgpt_race", "--reps", "2", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert "no record" in err and "\n" not in err


def test_a_cut_off_after_the_record_ends_is_refused(tmp_path, capsys):
    assert main(["backtest", "frontier_2023", "--until", "2025-06-30", "--out", str(tmp_path / "o")]) == 2
    assert "2024-12-31" in capsys.readouterr().err


def test_observed_and_simulated_checks_are_computed_by_the_same_code():
    # The record's staircase passed through the simulated-replication path gives exactly
    # the observed checks.
    params = sim.load_scenario("frontier_2023")
    bt = RaceBacktest(params)
    obs = bt.observed()
    again = bt._checks(bt.observed_staircase().assign(rep=0), bt.observed_compute())
    assert again == obs


@pytest.mark.slow
def test_a_synthetic_record_from_the_model_falls_inside_the_bands_at_about_the_nominal_rate():
    # Known parameters: each of 30 held-out replications of frontier_2023 is a synthetic
    # record; its checks are set against the 5-95% band of the other 90 replications (the
    # same seed family, so the same parameters). With 13 checks x 30 records = 390 outcomes
    # the share inside is close to 0.90 for continuous checks and higher for discrete ones
    # (ties at the band's edge count inside): 0.80-0.99 allows the correlation between
    # checks of one record (tolerance) and fails if observed and simulated disagree.
    res = run_backtest("frontier_2023", reps=120, seed=7, options=sim.RunOptions(workers=2, progress=False))
    sims = res.simulated
    inside = []
    for k in range(30):
        truth = sims.iloc[k].drop("rep").to_dict()
        table = backtest_table(truth, sims.drop(index=k))
        inside.extend(table["inside_90"])
    assert 0.80 <= np.mean(inside) <= 0.99
