"""Sensitivity: SALib path on a function with known Sobol indices; ranges; the simulator's path."""

import math

import numpy as np
import pytest

from sim import runner, sensitivity
from sim.cli import main
from sim.scenario import ScenarioError

# Ishigami (a=7, b=0.1) on [-pi, pi]^3: analytic first- and total-order indices
ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]


def ishigami(x, a=7.0, b=0.1):
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_path_recovers_ishigami_indices_within_salib_confidence():
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    si = sensitivity.sobol_indices(problem, ishigami, n=1024, seed=1)
    # SALib's *_conf is the 95% bootstrap half-width; each known index must lie inside it
    assert np.all(np.abs(si["S1"] - ISHIGAMI_S1) <= si["S1_conf"])
    assert np.all(np.abs(si["ST"] - ISHIGAMI_ST) <= si["ST_conf"])


def test_default_range_is_half_to_one_and_a_half_times_clipped_to_bounds():
    p = runner.resolve("chatgpt_race")
    v = sensitivity.value_at(p, "teams.late_follower.prep_days")
    assert sensitivity.default_range(p, "teams.late_follower.prep_days") == (0.5 * v, 1.5 * v)
    lo, hi = sensitivity.default_range(p, "teams.leader.diagnosis")  # a probability: capped at 1
    assert hi == 1 and lo == pytest.approx(0.5 * sensitivity.value_at(p, "teams.leader.diagnosis"))


def test_explicit_range_overrides_default():
    p = runner.resolve("chatgpt_race")
    assert sensitivity.parse_params("teams.leader.diagnosis=0.1:0.3", p) == [
        ("teams.leader.diagnosis", 0.1, 0.3)
    ]


@pytest.mark.parametrize(
    "spec", ["teams.leader.nosuch", "teams.leader.diagnosis=0.5:0.2", "teams.leader.policy"]
)
def test_bad_params_raise_one_line_error(spec):
    with pytest.raises(ScenarioError):
        sensitivity.parse_params(spec, runner.resolve("chatgpt_race"))


def test_sensitivity_command_writes_tornado_and_sobol(tmp_path, capsys):
    out = tmp_path / "s"
    assert (
        main(
            [
                "sensitivity",
                "chatgpt_race",
                "--params",
                "teams.late_follower.prep_days,teams.late_follower.diagnosis",
                "--follower",
                "late_follower",
                "--years",
                "2",
                "--reps",
                "1",
                "--n",
                "4",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    for f in ("oat.csv", "sobol.csv", "tornado.png", "sobol.png", "manifest.json"):
        assert (out / f).is_file()
    text = capsys.readouterr().out
    assert "Sobol" in text and "teams.late_follower.prep_days" in text


def test_plot_redraws_a_sensitivity_store(tmp_path):
    out = tmp_path / "s"
    assert (
        main(
            [
                "sensitivity",
                "chatgpt_race",
                "--params",
                "teams.late_follower.prep_days",
                "--years",
                "1",
                "--reps",
                "1",
                "--no-sobol",
                "--quiet",
                "--no-plots",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert not (out / "tornado.png").exists()
    assert main(["plot", str(out)]) == 0
    assert (out / "tornado.png").is_file()


def test_sobol_intervals_are_reproducible_with_the_default_seed():
    import numpy as np

    from sim.sensitivity import sobol_analyze, sobol_sample

    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]}
    x = sobol_sample(problem, 64)
    y = x[:, 0] + 0.1 * x[:, 1] ** 2
    first, second = sobol_analyze(problem, y), sobol_analyze(problem, y)
    assert np.array_equal(first[["S1_conf", "ST_conf"]].to_numpy(), second[["S1_conf", "ST_conf"]].to_numpy())
