"""Priors files: a table per dotted scenario key, optional [abc] settings; every problem
is one error line starting 'priors:'."""

import textwrap

import pytest

import sim.scenario
from sim.distributions import LogUniform
from sim.priors import AbcSettings, load_priors, scenario_keys
from sim.scenario import ScenarioError

KNOWN = {"world.hazard_median", "world.hazard_sigma", "teams.leader.diagnosis"}.__contains__

GOOD = """
["world.hazard_median"]
dist = "loguniform"  # assumption
lo = 0.003
hi = 0.05

["teams.leader.diagnosis"]
dist = "beta"
a = 8
b = 2

[abc]
population_size = 50
generations = 4
max_simulations = 1000
"""


def write(tmp_path, text):
    path = tmp_path / "priors.toml"
    path.write_text(textwrap.dedent(text))
    return path


def error_of(tmp_path, text, known=KNOWN) -> str:
    with pytest.raises(ScenarioError) as exc:
        load_priors(write(tmp_path, text), known)
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_each_table_is_a_prior_for_its_dotted_key_in_file_order(tmp_path):
    priors = load_priors(write(tmp_path, GOOD), KNOWN)
    assert priors.keys == ["world.hazard_median", "teams.leader.diagnosis"]
    assert priors.params["world.hazard_median"] == LogUniform(dist="loguniform", lo=0.003, hi=0.05)


def test_the_abc_table_sets_the_run(tmp_path):
    abc = load_priors(write(tmp_path, GOOD), KNOWN).abc
    assert (abc.population_size, abc.generations, abc.max_simulations) == (50, 4, 1000)


def test_without_an_abc_table_the_defaults_apply(tmp_path):
    text = '["world.hazard_sigma"]\ndist = "uniform"\nlo = 1\nhi = 3\n'
    assert load_priors(write(tmp_path, text), KNOWN).abc == AbcSettings()


def test_an_unquoted_nested_table_names_the_same_dotted_key(tmp_path):
    text = '[world.hazard_sigma]\ndist = "uniform"\nlo = 1\nhi = 3\n'
    assert load_priors(write(tmp_path, text), KNOWN).keys == ["world.hazard_sigma"]


def test_a_fixed_epsilon_schedule_sets_the_number_of_generations(tmp_path):
    text = GOOD.replace("generations = 4", "epsilons = [3.0, 2.0, 1.0]")
    assert load_priors(write(tmp_path, text), KNOWN).abc.n_generations == 3


def test_a_key_the_scenario_lacks_is_an_error(tmp_path):
    text = '["world.hazard_medain"]\ndist = "uniform"\nlo = 0\nhi = 1\n'
    assert error_of(tmp_path, text) == (
        "priors: world.hazard_medain: unknown parameter key; it is not a number in the scenario "
        "(list them with 'python -m sim show SCENARIO')"
    )


def test_an_unknown_distribution_is_an_error(tmp_path):
    text = '["world.hazard_sigma"]\ndist = "weibull"\nlo = 0\nhi = 1\n'
    assert error_of(tmp_path, text).startswith(
        "priors: world.hazard_sigma.dist: 'weibull' is not allowed: one of"
    )


def test_reversed_bounds_are_an_error(tmp_path):
    text = '["world.hazard_median"]\ndist = "loguniform"\nlo = 0.2\nhi = 0.1\n'
    assert error_of(tmp_path, text) == (
        "priors: world.hazard_median: lo 0.2 > hi 0.1 is not allowed: lo must be below hi"
    )


def test_malformed_toml_is_an_error_naming_the_file_and_line(tmp_path):
    message = error_of(tmp_path, '["world.hazard_median"]\ndist = loguniform\n')
    assert message.startswith(f"priors: cannot read {str(tmp_path / 'priors.toml')!r}: ")
    assert "line 2" in message


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(ScenarioError, match=r"^priors: cannot read '.*nowhere.toml': "):
        load_priors(tmp_path / "nowhere.toml", KNOWN)


def test_a_file_without_parameters_is_an_error(tmp_path):
    assert error_of(tmp_path, "[abc]\npopulation_size = 50\n").startswith(
        f"priors: {str(tmp_path / 'priors.toml')!r} names no parameter"
    )


def test_an_unknown_abc_setting_is_an_error_listing_the_settings(tmp_path):
    message = error_of(tmp_path, GOOD.replace("generations = 4", "generation = 4"))
    assert message.startswith("priors: abc.generation: unknown setting (value 4); allowed: population_size,")


def test_a_simulation_budget_below_two_populations_is_an_error(tmp_path):
    # one prior sample sets the distance scales, then at least one generation
    message = error_of(tmp_path, GOOD.replace("max_simulations = 1000", "max_simulations = 99"))
    assert message == "priors: abc: max_simulations 99 is not allowed: at least 2 x population_size (100)"


def test_a_non_decreasing_epsilon_schedule_is_an_error(tmp_path):
    message = error_of(tmp_path, GOOD.replace("generations = 4", "epsilons = [1.0, 2.0]"))
    assert message.startswith("priors: abc: epsilons [1.0, 2.0] are not allowed")


def test_scenario_keys_are_the_dotted_keys_of_its_numbers():
    keys = scenario_keys(sim.scenario.load("chatgpt_race"))
    assert {"world.hazard_median", "teams.leader.diagnosis", "run.seed"} <= keys
    assert "name" not in keys and "start_date" not in keys  # text and dates are not parameters


def test_a_priors_file_checks_its_keys_against_a_real_scenario(tmp_path):
    keys = scenario_keys(sim.scenario.load("chatgpt_race"))
    priors = load_priors(write(tmp_path, GOOD), keys.__contains__)
    assert priors.keys == ["world.hazard_median", "teams.leader.diagnosis"]
