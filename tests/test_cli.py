"""The command line ``python -m sim``: run, list, show, and one-line errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sim.cli import main, parse_sets

TINY = ["--reps", "2", "--years", "1", "--quiet"]


def sim(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    return sim("run", "chatgpt_race", *TINY, "--out", str(out)), out


def test_run_exits_zero(tiny_run):
    proc, _ = tiny_run
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    "name",
    ["events.parquet", "trajectories.parquet", "gap.parquet", "summary.json", "gap.png", "capability.png"],
)
def test_run_writes_file(tiny_run, name):
    _, out = tiny_run
    assert (out / name).is_file()


def test_run_table_names_both_followers(tiny_run):
    proc, _ = tiny_run
    assert "strong_follower" in proc.stdout and "late_follower" in proc.stdout


def test_run_table_shows_median_and_interval(tiny_run):
    proc, _ = tiny_run
    row = next(line for line in proc.stdout.splitlines() if line.startswith("strong_follower"))
    assert "[" in row and "]" in row and "%" in row


def test_run_prints_output_folder(tiny_run):
    proc, out = tiny_run
    assert str(out) in proc.stdout and "summary.json" in proc.stdout


def test_run_no_plots_writes_no_png(tmp_path):
    assert main(["run", "chatgpt_race", *TINY, "--no-plots", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "summary.json").is_file()
    assert not list(tmp_path.glob("*.png"))


def test_run_applies_set_and_seed(tmp_path):
    assert (
        main(
            [
                "run",
                "chatgpt_race",
                *TINY,
                "--no-plots",
                "--seed",
                "7",
                "--set",
                "teams.leader.diagnosis=0.5",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["seed"] == 7 and summary["reps"] == 2
    assert summary["params"]["teams"]["leader"]["diagnosis"] == 0.5


def test_run_without_a_scenario_runs_the_default_into_results_its_name(tmp_path, monkeypatch, capsys):
    from sim.registry import default_scenario

    monkeypatch.chdir(tmp_path)
    assert main(["run", *TINY, "--no-plots"]) == 0
    assert (tmp_path / "results" / default_scenario() / "summary.json").is_file()


def test_list_prints_chatgpt_race():
    proc = sim("list")
    assert proc.returncode == 0
    assert "chatgpt_race" in proc.stdout


def test_show_reflects_set(capsys):
    assert main(["show", "chatgpt_race", "--set", "teams.leader.diagnosis=0.5"]) == 0
    params = json.loads(capsys.readouterr().out)
    assert params["teams"]["leader"]["diagnosis"] == 0.5


def test_show_fills_defaults(capsys):
    assert main(["show", "chatgpt_race"]) == 0
    params = json.loads(capsys.readouterr().out)
    assert params["clusters"]["openai"]["policy"] == "fifo"  # not in the TOML: a schema default


def test_parse_sets_parses_values_as_toml():
    assert parse_sets(["a.b=1", "c=0.5", "d=true", "e=x"]) == {"a.b": 1, "c": 0.5, "d": True, "e": "x"}


@pytest.fixture
def broken_toml(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('name = "broken"\nmodel = [\n')
    return str(path)


BAD = {
    "unknown_scenario": (["run", "nosuchscenario"], ["scenario", "nosuchscenario"]),
    "unknown_key": (
        ["run", "chatgpt_race", "--set", "teams.leader.nosuchkey=1"],
        ["teams.leader.nosuchkey", "1"],
    ),
    "wrong_type": (["run", "--set", "run.reps=abc"], ["run.reps", "abc"]),
    "negative_capacity": (["run", "--set", "clusters.openai.gpus=-5"], ["clusters.openai.gpus", "-5"]),
    "probability_above_one": (
        ["run", "chatgpt_race", "--set", "teams.leader.diagnosis=1.5"],
        ["teams.leader.diagnosis", "1.5"],
    ),
    "reps_zero": (["run", "--reps", "0"], ["--reps", "0"]),
    "set_without_equals": (["run", "--set", "teams.leader.diagnosis"], ["--set", "teams.leader.diagnosis"]),
    "workers_zero": (["run", "--workers", "0"], ["--workers", "0"]),
    "show_unknown_key": (
        ["show", "chatgpt_race", "--set", "teams.leader.nosuchkey=1"],
        ["teams.leader.nosuchkey"],
    ),
    "broken_toml": (["run", "BROKEN"], ["scenario", "broken.toml"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_exits_2_with_one_line_error(case, broken_toml, tmp_path, capsys):
    argv, needles = BAD[case]
    argv = [broken_toml if a == "BROKEN" else a for a in argv] + (
        ["--out", str(tmp_path / "out")] if argv[0] == "run" else []
    )
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0]
    assert not (tmp_path / "out").exists()


def test_bad_input_end_to_end_has_no_traceback():
    proc = sim("run", "--set", "clusters.openai.gpus=-5")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "Traceback" not in proc.stderr and "clusters.openai.gpus" in proc.stderr


def test_argparse_usage_error_exits_2():
    assert sim("run", "--reps", "abc").returncode == 2
