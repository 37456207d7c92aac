"""Result store: parts written as they finish, readable after an interrupt,
resumed without recomputing finished parts, read back into Results."""

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

import sim
from sim.cli import main

# 10 points x 2 reps x 6 years (20 parts of one rep each): a few seconds, long enough to kill midway
SWEEP = [
    "sweep",
    "chatgpt_race",
    "--vary",
    "teams.late_follower.prep_days=5:50:10",
    "--reps",
    "2",
    "--years",
    "6",
    "--seed",
    "8",
    "--quiet",
    "--no-plots",
]
TABLES = ("events", "trajectories", "gap", "staircase", "metrics")
N_PARTS = 20


def start(argv):
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def parts_done(out):
    try:
        return json.loads((out / "manifest.json").read_text())["parts"]
    except (OSError, ValueError):
        return {}


def kill_after_first_parts(argv, out, sig, timeout=60):
    proc = start(argv)
    t0 = time.time()
    while len(parts_done(out)) < 2 and proc.poll() is None and time.time() - t0 < timeout:
        time.sleep(0.02)
    proc.send_signal(sig)
    _, proc.err = proc.communicate(timeout=30)
    return proc


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory):
    d = tmp_path_factory.mktemp("resume")
    out = d / "killed"
    kill_after_first_parts([*SWEEP, "--out", str(out)], out, signal.SIGKILL)
    before = parts_done(out)
    mtimes = {k: os.stat(out / "parts" / f"{k}.gap.parquet").st_mtime_ns for k in before}
    assert main([*SWEEP, "--resume", str(out)]) == 0
    full = d / "full"
    assert main([*SWEEP, "--out", str(full)]) == 0
    return out, full, before, mtimes


@pytest.mark.slow
def test_kill_left_some_but_not_all_parts(killed_and_resumed):
    _, _, before, _ = killed_and_resumed
    assert 2 <= len(before) < N_PARTS, "the sweep finished before the kill: make it longer"


@pytest.mark.slow
def test_resumed_sweep_equals_uninterrupted_run(killed_and_resumed):
    out, full, _, _ = killed_and_resumed
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "sweep.parquet"), pd.read_parquet(full / "sweep.parquet"), check_exact=True
    )
    for point in (0, 9):
        a, b = sim.load_results(out, point=point), sim.load_results(full, point=point)
        for name in TABLES:
            pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


@pytest.mark.slow
def test_resume_did_not_recompute_finished_parts(killed_and_resumed):
    out, _, before, mtimes = killed_and_resumed
    after = parts_done(out)
    assert len(after) == N_PARTS
    for key in before:  # computed in session 1, files untouched
        assert after[key]["session"] == 1
        assert os.stat(out / "parts" / f"{key}.gap.parquet").st_mtime_ns == mtimes[key]
    assert sum(e["session"] == 2 for e in after.values()) == N_PARTS - len(before)


def test_ctrl_c_exits_130_and_leaves_a_readable_store(tmp_path):
    out = tmp_path / "int"
    proc = kill_after_first_parts([*SWEEP, "--out", str(out)], out, signal.SIGINT)
    assert proc.returncode == 130, proc.err
    assert "--resume" in proc.err and "Traceback" not in proc.err
    done = parts_done(out)
    res = sim.load_results(out)  # all finished points, with a point column
    assert set(res.metrics["point"]) == {e["point"] for e in done.values()}
    assert len(res.metrics) == 2 * sum(e["hi"] - e["lo"] for e in done.values())  # 2 followers per rep


@pytest.mark.slow
def test_resume_with_other_settings_exits_2(killed_and_resumed, capsys):
    out, *_ = killed_and_resumed
    assert main([*SWEEP[:-4], "--seed", "9", "--quiet", "--no-plots", "--resume", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "seed" in err[0]


def test_run_store_loads_into_the_same_results_as_in_memory(tmp_path):
    kw = dict(reps=4, years=2, seed=6)
    a = sim.run("chatgpt_race", options=sim.RunOptions(progress=False, batch=2), **kw)
    b = sim.run("chatgpt_race", options=sim.RunOptions(progress=False, batch=2, out=tmp_path / "r"), **kw)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.summary["followers"] == b.summary["followers"]


def test_plot_redraws_from_a_store(tmp_path):
    out = tmp_path / "r"
    assert main(["run", "--reps", "2", "--years", "1", "--quiet", "--no-plots", "--out", str(out)]) == 0
    assert not (out / "gap.png").exists()
    assert main(["plot", str(out)]) == 0
    assert (out / "gap.png").is_file() and (out / "capability.png").is_file()
