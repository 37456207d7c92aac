"""Calibrating a scenario to its record: known-answer toy model, determinism, bad priors."""

import pytest

import sim
from sim.calibrate import ScenarioStats, calibrate_scenario
from sim.cli import main
from sim.streams import Streams

pytest.importorskip("pyabc")

QUIET = sim.RunOptions(progress=False)
TRUE_SKILL = 0.5


@pytest.fixture(scope="module")
def toy_record():
    """A synthetic record: what one replication with the slow team's skill at 0.5 gave."""
    from tests.toy_history import MODEL

    sim.register_model("toy_history", MODEL)
    data = MODEL.example()
    data["teams"]["slow"]["run_days"] = 10.0  # more runs: a sharper record (about 70 a year)
    params = sim.load_scenario(data, {"teams.slow.skill": TRUE_SKILL})
    stats = ScenarioStats(params)({}, seed=999)
    return {**data, "record": stats}


def write_priors(path, body):
    path.write_text(body + "\n[abc]\npopulation_size = 60\ngenerations = 4\nmax_simulations = 1500\n")
    return path


@pytest.mark.slow
def test_calibration_finds_the_known_skill_inside_its_90_percent_interval(toy_record, tmp_path):
    priors = write_priors(tmp_path / "p.toml", '["teams.slow.skill"]\ndist = "uniform"\nlo = 0.0\nhi = 1.0')
    cal = calibrate_scenario(toy_record, priors, seed=4, options=QUIET)
    q = cal.posterior.quantiles((0.05, 0.95)).loc["teams.slow.skill"]
    assert q[0.05] <= TRUE_SKILL <= q[0.95]
    assert q[0.95] - q[0.05] < 0.45  # informative: the prior's 90% interval is 0.9 wide


@pytest.mark.slow
def test_the_same_seed_gives_the_same_posterior(toy_record, tmp_path):
    priors = write_priors(tmp_path / "p.toml", '["teams.slow.skill"]\ndist = "uniform"\nlo = 0.0\nhi = 1.0')
    a = calibrate_scenario(toy_record, priors, seed=9, options=QUIET).posterior.particles
    b = calibrate_scenario(toy_record, priors, seed=9, options=QUIET).posterior.particles
    assert a.equals(b)


def test_scenario_stats_are_reproducible_for_a_seed(toy_record):
    stats = ScenarioStats(sim.load_scenario(toy_record))
    assert stats({"teams.slow.skill": 0.3}, 5) == stats({"teams.slow.skill": 0.3}, 5)
    assert Streams(5, 0).seed == 5


BAD_PRIORS = {
    "unknown_key": ('["teams.nobody.skill"]\ndist = "uniform"\nlo = 0\nhi = 1', "teams.nobody.skill"),
    "unknown_distribution": ('["world.hazard_median"]\ndist = "cauchy"\nlo = 0\nhi = 1', "cauchy"),
    "bounds_reversed": ('["world.hazard_median"]\ndist = "uniform"\nlo = 0.2\nhi = 0.1', "0.2"),
}


@pytest.mark.parametrize("case", list(BAD_PRIORS))
def test_a_bad_priors_file_exits_2_with_one_line(case, tmp_path, capsys):
    body, needle = BAD_PRIORS[case]
    priors = tmp_path / "bad.toml"
    priors.write_text(body + "\n")
    argv = ["calibrate", "frontier_2023", "--priors", str(priors), "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and needle in err and "Traceback" not in err
