"""Issue 11, input: numbers that are not numbers, work sizes and paths are refused with
one error line before anything is allocated or deleted (cases 7-9, 11, 13, 15-19)."""

from __future__ import annotations

import configparser
import json
import math
import multiprocessing
import os
import time
from pathlib import Path

import pytest

import sim
from sim import scenario as scenario_mod
from sim.cli import main
from sim.executors import LocalExecutor
from sim.options import MAX_WORKERS, RunOptions
from sim.scenario import MAX_REPS, ScenarioError, load

HERE = Path(__file__).parent
TINY = ["--reps", "1", "--years", "1", "--quiet", "--no-plots"]


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def refuse_json_constants(text: str):
    """json.loads that fails on NaN and Infinity (not JSON)."""
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON output"))


# -- case 7: NaN and infinity ----------------------------------------------------------
NOT_NUMBERS = [
    ("chatgpt_race", "teams.leader.experience", "nan"),
    ("chatgpt_race", "teams.leader.largest_run", "inf"),
    ("chatgpt_race", "teams.leader.priority", "nan"),
    ("chatgpt_race", "world.first_level", "nan"),
    ("chatgpt_race", "world.last_level", "nan"),
    ("chatgpt_race", "world.hazard_median", "inf"),
    ("chatgpt_race", "clusters.openai.gpus", "inf"),
    ("chatgpt_race", "teams.leader.budget_usd_per_year", "inf"),
    ("chatgpt_race", "teams.leader.releases", "[{t_days = nan, capability = 24}]"),
    ("chatgpt_race", "teams.leader.history", "[{t_days = 0, capability = -inf}]"),
    ("chatgpt_race", "publishing.papers_until_days", "inf"),
    ("fab_5nm_race", "world.hazard_median", "nan"),
    ("fab_5nm_race", "fabs.leader_fab.design_starts_per_day", "inf"),
    ("fab_5nm_race", "teams.leader.priority", "-inf"),
]


@pytest.mark.parametrize("scenario, key, value", NOT_NUMBERS)
def test_nan_and_infinity_are_refused_with_one_line(scenario, key, value, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", scenario, *TINY, "--set", f"{key}={value}", "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert key in line and "finite" in line
    assert not out.exists()


def test_show_prints_valid_json(capsys):
    assert main(["show", "chatgpt_race"]) == 0
    refuse_json_constants(capsys.readouterr().out)


def test_summary_json_is_valid_json_even_where_months_behind_is_undefined(tmp_path):
    # at a 1-month horizon the headline window is empty: the figures are undefined (null)
    assert main(["run", "chatgpt_race", "--reps", "2", "--years", "0.1", "--quiet", "--no-plots",
                 "--out", str(tmp_path / "D")]) == 0  # fmt: skip
    refuse_json_constants((tmp_path / "D" / "summary.json").read_text())
    refuse_json_constants((tmp_path / "D" / "manifest.json").read_text())


# -- case 8: work size ----------------------------------------------------------------
@pytest.fixture
def old_results(tmp_path):
    out = tmp_path / "D"
    assert (
        main(
            ["run", "chatgpt_race", "--reps", "1", "--years", "1", "--quiet", "--no-plots", "--out", str(out)]
        )
        == 0
    )
    return out, sorted(p.name for p in out.iterdir())


HUGE = {
    "reps": ["run", "chatgpt_race", "--reps", "1000000000"],
    "reps in the file": ["run", "chatgpt_race", "--set", "run.reps=1000000000"],
    "sweep count": ["sweep", "chatgpt_race", "--vary", "teams.leader.diagnosis=0:1:1000000000"],
    "sweep grid": ["sweep", "chatgpt_race", "--vary", "teams.leader.diagnosis=0:1:200",
                   "--vary", "teams.leader.fail_early=0:1:200"],
    "sweep reps": ["sweep", "chatgpt_race", "--vary", "teams.leader.diagnosis=0:1:2000", "--reps", "1000"],
    "lhs samples": ["sweep", "chatgpt_race", "--design", "lhs", "--vary", "teams.leader.diagnosis=0:1",
                    "--samples", "1000000000"],
    "sobol n": ["sensitivity", "chatgpt_race", "--params", "teams.leader.diagnosis", "--n", "1073741824"],
    "route steps": ["run", "fab_5nm_race", "--set", "route.steps=1000000000"],
    "tool groups": ["run", "fab_5nm_race", "--set", "route.tool_groups=1000000000"],
    "max reps": ["run", "chatgpt_race", "--reps", "auto", "--max-reps", "1000000000"],
}  # fmt: skip


@pytest.mark.parametrize("case", list(HUGE))
def test_an_unbounded_work_size_is_refused_at_once_and_old_results_stay(case, old_results, capsys):
    out, files = old_results
    t0 = time.perf_counter()
    assert main([*HUGE[case], "--quiet", "--no-plots", "--out", str(out)]) == 2
    assert time.perf_counter() - t0 < 10  # refused before anything is built (a 1e9 list takes minutes)
    one_error_line(capsys)
    assert sorted(p.name for p in out.iterdir()) == files


def test_reps_at_the_bound_are_allowed():
    assert load("chatgpt_race", {"run.reps": MAX_REPS}).run.reps == MAX_REPS


# -- case 9: workers ------------------------------------------------------------------
def test_too_many_workers_is_one_error_line(capsys):
    assert main(["run", "chatgpt_race", *TINY, "--workers", "100000"]) == 2
    assert "--workers" in one_error_line(capsys)
    with pytest.raises(ScenarioError, match="workers"):
        RunOptions(workers=MAX_WORKERS + 1)


def _children(_job) -> int:
    return os.getpid()


def test_a_pool_never_starts_more_workers_than_it_has_jobs():
    with LocalExecutor(workers=8) as ex:
        pids = {pid for _, pid in ex.imap(_children, [0, 1])}
        assert len(multiprocessing.active_children()) <= 2
    assert len(pids) <= 2


# -- case 11: replace ------------------------------------------------------------------
def test_a_replace_entry_naming_nothing_is_an_error(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('base = "chatgpt_race"\nreplace = ["teams.strong_folower"]\n')
    with pytest.raises(ScenarioError, match=r"replace: 'teams.strong_folower' names nothing in base"):
        load(f)


def test_a_replace_entry_naming_a_section_replaces_it(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('base = "chatgpt_race"\nreplace = ["publishing"]\n[publishing]\npapers_until_days = 10\n')
    p = load(f)
    assert p.publishing.papers_until_days == 10 and p.publishing.open_weights_until_days == 0.0


# -- case 13: files that are not scenarios, names that break figures -------------------
def test_a_binary_scenario_file_is_one_error_line(tmp_path, capsys):
    f = tmp_path / "b.toml"
    f.write_bytes(bytes(range(256)))
    assert main(["show", str(f)]) == 2
    assert "not UTF-8" in one_error_line(capsys)


@pytest.mark.parametrize("deep", ["a = " + "[" * 5000 + "]" * 5000, "a = " + "[" * 40 + "]" * 40,
                                  "".join(f"[{'.'.join('t' * (i + 1) for i in range(40))}]\n")])  # fmt: skip
def test_a_deeply_nested_scenario_file_is_one_error_line(deep, tmp_path, capsys):
    f = tmp_path / "d.toml"
    f.write_text(deep + "\n")
    assert main(["show", str(f)]) == 2
    assert "nest more than" in one_error_line(capsys)


def test_a_deeply_nested_set_value_is_one_error_line(capsys):
    assert main(["show", "chatgpt_race", "--set", "x=" + "[" * 3000 + "]" * 3000]) == 2
    assert "nest more than" in one_error_line(capsys)


@pytest.mark.parametrize("name", ["x$y$", "$\\frac{1}{0}$", "a\x1b[31mb", "tab\there", "x" * 65])
def test_a_team_name_unfit_for_figures_is_refused(name, tmp_path, capsys):
    f = tmp_path / "s.toml"
    team = 'cluster = "openai"\nexperience = 22\nlargest_run = 22\nknow_how = {}\n'
    f.write_text(f'base = "chatgpt_race"\n[teams.{json.dumps(name)}]\n{team}')
    assert main(["show", str(f)]) == 2
    assert "teams: name" in one_error_line(capsys)


# -- case 15: --at-year -------------------------------------------------------------------
@pytest.mark.parametrize("value", ["nan", "-1", "0", "inf", "-inf"])
def test_at_year_must_be_a_positive_finite_year(value, capsys):
    assert main(["run", "chatgpt_race", *TINY, f"--at-year={value}"]) == 2
    assert "--at-year" in one_error_line(capsys)


# -- case 16: paths in scenarios ----------------------------------------------------------
ROUTE = "tool_group,area,minutes,defect_weight\nA,litho,30,1\nB,etch,40,1\nA,litho,30,0.5\n"


def fab_scenario(folder: Path, csv: str = "route.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    f = folder / "fab.toml"
    f.write_text(f'base = "fab_5nm_race"\nname = "fab_route"\n[route]\ncsv = "{csv}"\n')
    return f


def test_a_relative_route_csv_is_read_from_the_scenario_files_folder(tmp_path, monkeypatch):
    f = fab_scenario(tmp_path / "scen")
    (tmp_path / "scen" / "route.csv").write_text(ROUTE)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    (elsewhere / "route.csv").write_text(ROUTE.replace("etch", "clean"))  # same name, other route
    monkeypatch.chdir(elsewhere)
    p = load(f)
    assert Path(p.route.csv) == (tmp_path / "scen" / "route.csv").absolute()


def test_the_resolved_route_reloads_from_any_folder(tmp_path, monkeypatch):
    f = fab_scenario(tmp_path / "scen")
    (tmp_path / "scen" / "route.csv").write_text(ROUTE)
    dumped = load(f).model_dump(mode="json")
    monkeypatch.chdir(tmp_path)
    assert load(dumped).route.csv == dumped["route"]["csv"]


def test_a_changed_route_file_changes_the_params_so_resume_refuses(tmp_path, capsys):
    f = fab_scenario(tmp_path / "scen")
    route = tmp_path / "scen" / "route.csv"
    route.write_text(ROUTE)
    argv = ["run", str(f), "--reps", "1", "--years", "0.02", "--quiet", "--no-plots"]
    assert main([*argv, "--out", str(tmp_path / "D")]) == 0
    route.write_text(ROUTE.replace("40", "45"))
    assert main([*argv, "--resume", str(tmp_path / "D")]) == 2
    assert "params" in one_error_line(capsys)


def test_a_route_parse_error_never_echoes_the_files_content(tmp_path):
    f = fab_scenario(tmp_path / "scen", csv="secret.csv")
    (tmp_path / "scen" / "secret.csv").write_text("tool_group,area,minutes,defect_weight\nA,hunter2,30,1\n")
    with pytest.raises(ScenarioError) as exc:
        load(f)
    assert "hunter2" not in str(exc.value) and "line 2" in str(exc.value)


def test_a_base_that_is_not_a_scenario_never_echoes_its_content(tmp_path):
    (tmp_path / "notes.toml").write_text("password hunter2\n")
    (tmp_path / "s.toml").write_text('base = "notes.toml"\n')
    with pytest.raises(ScenarioError) as exc:
        load(tmp_path / "s.toml")
    assert "hunter2" not in str(exc.value) and "line 1" in str(exc.value)


def test_a_relative_base_path_is_read_from_the_scenario_files_folder(tmp_path, monkeypatch):
    (tmp_path / "scen").mkdir()
    (tmp_path / "scen" / "parent.toml").write_text('base = "chatgpt_race"\nname = "parent"\n')
    (tmp_path / "scen" / "child.toml").write_text('base = "parent.toml"\nyears = 3\n')
    monkeypatch.chdir(tmp_path)  # no parent.toml here
    p = load(tmp_path / "scen" / "child.toml")
    assert p.name == "parent" and p.years == 3


def test_a_base_name_is_never_taken_from_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "chatgpt_race").write_text("not a scenario")  # a file named like a scenario
    (tmp_path / "s.toml").write_text('base = "chatgpt_race"\n')
    monkeypatch.chdir(tmp_path)
    assert load(tmp_path / "s.toml").name == "chatgpt_race"


# -- case 17: strict numbers ------------------------------------------------------------
@pytest.mark.parametrize(
    "key, value",
    [("run.reps", "true"), ("years", '"2"'), ("clusters.openai.gpus", '"5"'), ("run.reps", "2.0"),
     ("teams.leader.catchup.distill", "1")],
)  # fmt: skip
def test_booleans_and_numeric_strings_are_not_numbers(key, value, capsys):
    assert main(["show", "chatgpt_race", "--set", f"{key}={value}"]) == 2
    assert key in one_error_line(capsys)


def test_an_integer_is_still_a_valid_float():
    p = load("chatgpt_race", {"years": 3, "teams.leader.diagnosis": 1})
    assert p.years == 3.0 and isinstance(p.years, float)


def test_a_params_dump_with_dates_as_text_reloads():
    p = load("chatgpt_race")
    assert load(json.loads(json.dumps(p.model_dump(mode="json")))).start_date == p.start_date


# -- case 18: long values and control characters in error lines -------------------------
def test_a_huge_value_gives_a_short_error_line(capsys):
    assert main(["show", "chatgpt_race", "--set", 'teams.leader.diagnosis="' + "x" * 5_000_000 + '"']) == 2
    line = one_error_line(capsys)
    assert len(line) < 400 and "5000002 characters" in line


def test_control_characters_are_escaped_in_error_lines(capsys):
    assert main(["show", "chatgpt_race", "--set", "leader=a\x1b[31mred\nnext"]) == 2
    line = one_error_line(capsys)
    assert "\x1b" not in line and "\\x1b" in line


def test_a_scenario_name_must_be_printable(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('base = "chatgpt_race"\nname = "\\u001b[2J"\n')
    with pytest.raises(ScenarioError, match=r"name: '\\x1b\[2J' is not allowed"):
        load(f)


# -- case 19: the pyarrow floor ----------------------------------------------------------
def test_the_pyarrow_floor_excludes_the_release_with_cve_2023_47248():
    from packaging.requirements import Requirement

    cfg = configparser.ConfigParser()
    cfg.read(HERE.parent / "setup.cfg")
    reqs = [Requirement(r) for r in cfg["options"]["install_requires"].split("\n") if r.strip()]
    pyarrow = next(r for r in reqs if r.name == "pyarrow")
    assert not pyarrow.specifier.contains("14.0.0") and pyarrow.specifier.contains("14.0.1")


def test_the_max_reps_bound_is_shared_by_scenarios_and_runs():
    assert sim.runner.MAX_REPS == scenario_mod.MAX_REPS == MAX_REPS and math.log10(MAX_REPS) == 6
