"""Parameter uncertainty: each replication draws its own values, from its own named
streams, the same whatever runs it; a posterior's particles are drawn by weight."""

import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st

from sim.executors import LocalExecutor
from sim.scenario import ScenarioError, Strict
from sim.uncertain import UncertainSpec, draw, load_posterior, parse_uncertain

DISTS = {
    "world.hazard_median": {"dist": "loguniform", "lo": 0.003, "hi": 0.05},
    "teams.leader.diagnosis": {"dist": "beta", "a": 8, "b": 2},
}
SEED = 20221130


@pytest.fixture
def posterior_file(tmp_path):
    # four particles with weights 1:2:3:4, and one that must never be drawn
    df = pd.DataFrame(
        {
            "world.hazard_sigma": [1.0, 2.0, 3.0, 4.0, 5.0],
            "world.confounding": [0.1, 0.2, 0.3, 0.4, 0.5],
            "weight": [1.0, 2.0, 3.0, 4.0, 0.0],
        }
    )
    folder = tmp_path / "scenarios"
    folder.mkdir()
    df.to_parquet(folder / "post.parquet")
    return folder / "post.parquet"


def draw_rep(job):
    """Module level so that worker processes can run it."""
    spec, rep = job
    return draw(spec, SEED, rep)


def test_a_replications_draw_is_reproducible():
    spec = parse_uncertain(DISTS)
    assert draw(spec, SEED, 3) == draw(spec, SEED, 3)


def test_replications_draw_different_values():
    spec = parse_uncertain(DISTS)
    values = [draw(spec, SEED, rep)["world.hazard_median"] for rep in range(20)]
    assert len(set(values)) == 20


def test_worker_processes_draw_what_this_process_draws(posterior_file):
    spec = parse_uncertain({"posterior": posterior_file.name, **DISTS}, base_dir=posterior_file.parent)
    here = [draw(spec, SEED, rep) for rep in range(8)]
    with LocalExecutor(2) as ex:
        there = dict(ex.imap(draw_rep, [(spec, rep) for rep in range(8)]))
    assert [there[i] for i in range(8)] == here


def test_adding_an_uncertain_key_leaves_the_other_keys_draws_unchanged():
    one = parse_uncertain({"world.hazard_median": DISTS["world.hazard_median"]})
    two = parse_uncertain(DISTS)
    for rep in range(5):
        assert draw(one, SEED, rep)["world.hazard_median"] == draw(two, SEED, rep)["world.hazard_median"]


def test_draws_over_replications_follow_the_distribution():
    # KS over 2000 reps, fixed seed; p > 0.001 fails a correct draw for 0.1% of seeds
    spec = parse_uncertain({"teams.leader.diagnosis": DISTS["teams.leader.diagnosis"]})
    x = [draw(spec, SEED, rep)["teams.leader.diagnosis"] for rep in range(2000)]
    assert st.kstest(x, st.beta(8, 2).cdf).pvalue > 0.001


def test_posterior_particles_are_drawn_in_proportion_to_weight(posterior_file):
    # chi-square over 4000 reps against the 1:2:3:4 weights, fixed seed;
    # p > 0.001 fails a correct draw for 0.1% of seeds
    spec = parse_uncertain({"posterior": str(posterior_file)})
    picked = [draw(spec, SEED, rep)["world.hazard_sigma"] for rep in range(4000)]
    counts = pd.Series(picked).value_counts().reindex([1.0, 2.0, 3.0, 4.0], fill_value=0).to_numpy()
    expected = 4000 * np.array([0.1, 0.2, 0.3, 0.4])
    assert st.chisquare(counts, expected).pvalue > 0.001


def test_a_zero_weight_particle_is_never_drawn(posterior_file):
    spec = parse_uncertain({"posterior": str(posterior_file)})
    assert all(draw(spec, SEED, rep)["world.hazard_sigma"] != 5.0 for rep in range(2000))


def test_a_particle_is_drawn_whole(posterior_file):
    # the keys of one particle stay together: the posterior's correlations are kept
    spec = parse_uncertain({"posterior": str(posterior_file)})
    for rep in range(50):
        d = draw(spec, SEED, rep)
        assert d["world.confounding"] == pytest.approx(d["world.hazard_sigma"] / 10)


def test_a_relative_posterior_path_resolves_against_the_scenario_folder(
    posterior_file, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # not the scenario's folder
    spec = parse_uncertain({"posterior": "post.parquet"}, base_dir=posterior_file.parent)
    assert spec.posterior == str(posterior_file.resolve())


def test_a_resolved_spec_carries_its_particles_without_the_file(posterior_file):
    # a remote worker gets the particles by value and needs no shared disk
    spec = pickle.loads(pickle.dumps(parse_uncertain({"posterior": str(posterior_file)})))
    posterior_file.unlink()
    assert set(draw(spec, SEED, 0)) == {"world.hazard_sigma", "world.confounding"}


def test_the_spec_is_a_strict_scenario_field_that_round_trips():
    class Scenario(Strict):
        uncertain: UncertainSpec | None = None

    s = Scenario.model_validate({"uncertain": {"world": {"hazard_median": DISTS["world.hazard_median"]}}})
    assert list(s.uncertain.distributions) == ["world.hazard_median"]
    assert Scenario.model_validate(s.model_dump(mode="json")) == s


def test_a_resolved_spec_set_on_a_scenario_keeps_its_particles(posterior_file):
    # what scenario loading does: validate the section, then resolve it against the file's folder
    class Scenario(Strict):
        uncertain: UncertainSpec | None = None

    s = Scenario.model_validate({"uncertain": {"posterior": posterior_file.name}})
    s.uncertain = s.uncertain.resolve(posterior_file.parent)  # validate_assignment is on
    posterior_file.unlink()
    assert "world.hazard_sigma" in draw(s.uncertain, SEED, 0)


@pytest.mark.parametrize(
    "raw, message",
    [
        (
            {"world.hazard_median": {"dist": "loguniform", "lo": 0.2, "hi": 0.1}},
            "uncertain: world.hazard_median: lo 0.2 > hi 0.1 is not allowed: lo must be below hi",
        ),
        (
            {"world.hazard_median": {"dist": "cauchy"}},
            "uncertain: world.hazard_median.dist: 'cauchy' is not allowed: one of uniform, loguniform, "
            "normal, lognormal, beta, triangular",
        ),
        ({"posterior": 3}, "uncertain: posterior: 3 is not allowed: a parquet file name"),
        (5, "uncertain: a table of dotted key = distribution, or posterior = FILE"),
    ],
    ids=["reversed bounds", "unknown dist", "posterior not a name", "not a table"],
)
def test_a_bad_section_is_one_line_naming_the_key(raw, message):
    with pytest.raises(ScenarioError) as exc:
        parse_uncertain(raw)
    assert str(exc.value) == message


def write_posterior(tmp_path, df):
    path = tmp_path / "bad.parquet"
    df.to_parquet(path)
    return path


@pytest.mark.parametrize(
    "frame, problem",
    [
        (pd.DataFrame({"a.b": [1.0]}), "has no 'weight' column (columns: ['a.b'])"),
        (pd.DataFrame({"weight": [1.0]}), "has no parameter column besides 'weight'"),
        (
            pd.DataFrame({"a.b": [1.0, 2.0], "weight": [1.0, -1.0]}),
            "weights must be >= 0 with a positive sum",
        ),
        (
            pd.DataFrame({"a.b": [1.0, np.nan], "weight": [1.0, 1.0]}),
            "column 'a.b' has a missing or infinite value",
        ),
        (pd.DataFrame({"a.b": ["x", "y"], "weight": [1.0, 1.0]}), "column 'a.b' is not numeric"),
    ],
    ids=["no weight", "no parameter", "negative weight", "missing value", "text column"],
)
def test_a_bad_posterior_file_is_one_line_naming_the_file(tmp_path, frame, problem):
    path = write_posterior(tmp_path, frame)
    with pytest.raises(ScenarioError) as exc:
        load_posterior(path)
    assert str(exc.value).startswith(f"uncertain.posterior: {str(path)!r}: {problem}")


def test_a_missing_posterior_file_is_reported_when_the_spec_is_resolved(tmp_path):
    with pytest.raises(ScenarioError, match=r"^uncertain.posterior: '.*nowhere.parquet': cannot read"):
        parse_uncertain({"posterior": "nowhere.parquet"}, base_dir=tmp_path)


def test_a_key_in_both_the_posterior_and_a_distribution_is_an_error(posterior_file):
    raw = {"posterior": str(posterior_file), "world.hazard_sigma": {"dist": "uniform", "lo": 1, "hi": 2}}
    with pytest.raises(ScenarioError, match=r"^uncertain: world.hazard_sigma: is both a posterior column"):
        parse_uncertain(raw)
