"""The smt2020 model through the engine: scenario checks, the command line, its tables,
determinism across workers, R&D lots on the shared line, and the fidelity arithmetic.

Runs use the project's synthetic dataset (the SMT2020 files are never shipped)."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from models.smt2020.fidelity import fidelity_table
from models.smt2020.synthetic import write_synthetic
from sim import runner
from sim.options import RunOptions
from sim.validation import ScenarioError

SHORT = {"years": 90 / 365.25}  # a quarter: enough lots through a short synthetic route


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd)


def test_a_published_dataset_name_needs_its_folder():
    with pytest.raises(ScenarioError, match=r"dataset\.name.*'HVLM'.*dataset\.path"):
        runner.resolve("smt2020", overrides={"dataset.name": "HVLM"})


def test_a_dataset_path_that_is_no_folder_is_one_error(tmp_path):
    with pytest.raises(ScenarioError, match=r"dataset\.path.*is not a folder"):
        runner.resolve("smt2020", overrides={"dataset.path": str(tmp_path / "nope")})


def test_the_dataset_name_is_read_from_its_folder(tmp_path):
    folder = write_synthetic(tmp_path / "SMT2020_HVLM")
    assert runner.resolve("smt2020", overrides={"dataset.path": str(folder)}).dataset.name == "HVLM"


def test_a_malformed_dataset_file_exits_2_naming_file_and_line(tmp_path):
    folder = write_synthetic(tmp_path / "data")
    order = folder / "order.txt"
    lines = order.read_text().splitlines()
    cells = lines[1].split("\t")
    cells[6] = "soon"  # REPEAT
    lines[1] = "\t".join(cells)
    order.write_text("\n".join(lines) + "\n")
    r = cli("run", "smt2020", "--set", f"dataset.path={folder}", "--reps", "1", "--out", str(tmp_path / "o"))
    assert r.returncode == 2
    assert "order.txt" in r.stderr and "line 2" in r.stderr and "REPEAT" in r.stderr
    assert "Traceback" not in r.stderr


def test_run_writes_the_lot_and_tool_group_tables_and_prints_flow_factors(tmp_path):
    out = tmp_path / "run"
    r = cli("run", "smt2020", "--years", str(SHORT["years"]), "--reps", "1", "--out", str(out), "--no-plots")
    assert r.returncode == 0, r.stderr
    assert "flow factor per product and priority" in r.stdout
    lots = pd.read_parquet(out / "lots.parquet")
    assert list(lots.columns[:11]) == [
        "rep", "lot", "product", "priority", "engineering", "team",
        "release_t_days", "finish_t_days", "cycle_time_days", "raw_process_days", "due_t_days",
    ]  # fmt: skip
    assert len(lots) > 0 and (lots["cycle_time_days"] >= lots["raw_process_days"] - 1e-9).all()
    tg = pd.read_parquet(out / "tool_groups.parquet")
    assert {"tool_group", "area", "tools", "availability", "utilisation", "setup_share", "pm_share",
            "down_share"} <= set(tg.columns)  # fmt: skip
    assert ((tg["availability"] >= 0) & (tg["availability"] <= 1)).all()


def test_a_fixed_seed_gives_identical_tables_with_one_and_two_workers():
    res = [
        runner.run("smt2020_rnd", reps=2, seed=5, years=SHORT["years"], options=RunOptions(workers=w))
        for w in (1, 2)
    ]
    for name in ("lots", "tool_groups", "fab"):
        pd.testing.assert_frame_equal(res[0].tables[name], res[1].tables[name])
    pd.testing.assert_frame_equal(res[0].trajectories, res[1].trajectories)


def test_engineering_lots_first_come_out_faster_than_behind_production():
    ct = {}
    for policy in ("engineering_first", "production_first"):
        res = runner.run("smt2020_rnd", reps=1, seed=3, years=SHORT["years"],
                         overrides={"engineering.policy": policy})  # fmt: skip
        lots = res.tables["lots"]
        eng = lots[lots["engineering"]]
        assert len(eng) > 0
        ct[policy] = float(np.median(eng["cycle_time_days"] / eng["raw_process_days"]))
    assert ct["engineering_first"] < ct["production_first"]


def test_engineering_lots_teach_their_team():
    res = runner.run("smt2020_rnd", reps=1, seed=3, years=SHORT["years"],
                     overrides={"engineering.policy": "engineering_first"})  # fmt: skip
    tr = res.trajectories
    first = tr.sort_values("t_days").groupby("team", observed=True)["line_yield"].first()
    last = tr.sort_values("t_days").groupby("team", observed=True)["line_yield"].last()
    assert (last > first).all()  # both teams fixed modes faster than tacit know-how decayed


def test_fidelity_marks_a_check_within_its_tolerance_and_one_outside():
    per_rep = pd.DataFrame({"flow_factor_median": [1.90, 1.92, 1.94], "flow_factor_p05": [1.5, 1.5, 1.5],
                            "flow_factor_p95": [2.0, 2.0, 2.0]})  # fmt: skip
    t = fidelity_table(per_rep, "LVHM").set_index("check")
    assert t.loc["flow_factor_median", "measured"] == pytest.approx(1.92)
    assert t.loc["flow_factor_median", "within"]  # |1.92 - 1.95| / 1.95 = 1.5% <= 5%
    assert not t.loc["flow_factor_p05", "within"]  # |1.5 - 1.79| / 1.79 = 16% > 5%


def test_the_dispatch_trade_off_engineering_first_learns_faster_and_costs_production():
    from models.smt2020.tradeoff import dispatch_tradeoff

    t = dispatch_tradeoff("smt2020_rnd", reps=2, years=1, options=RunOptions(progress=False))
    t = t.set_index(["policy", "team"])
    fast, slow = t.loc[("engineering_first", "newcomer")], t.loc[("production_first", "newcomer")]
    # Same seed, same failure modes and releases (common random numbers): only dispatch differs.
    assert fast["months_to_target"] < slow["months_to_target"]
    assert fast["production_flow_factor"] > slow["production_flow_factor"]


def test_a_sweep_of_the_start_rate_draws_the_operating_curve(tmp_path):
    out = tmp_path / "sweep"
    r = cli("sweep", "smt2020", "--vary", "start_rate=0.6,1.0", "--years", "0.5", "--reps", "1",
            "--out", str(out), "--quiet")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert (out / "operating_curve.png").stat().st_size > 0


def test_flow_factor_rises_with_the_start_rate():
    from models.smt2020.operating import operating_curve

    pts = operating_curve("smt2020", rates=(0.6, 1.0), years=0.5, reps=1, options=RunOptions(progress=False))
    ff = pts.set_index("start_rate")["flow_factor"]
    assert ff[1.0] > ff[0.6]  # queueing: more load, longer waits per unit of processing
