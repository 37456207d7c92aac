"""Prior and uncertainty distributions: each family is the scipy.stats distribution its
fields describe, and a bad spec is one error line naming the dotted key and the value."""

import pickle

import numpy as np
import pytest
import scipy.stats as st

from sim.distributions import DISTRIBUTIONS, parse_distribution
from sim.scenario import ScenarioError

KEY = "world.hazard_median"

SPECS = {
    "uniform": {"dist": "uniform", "lo": 0.2, "hi": 0.7},
    "loguniform": {"dist": "loguniform", "lo": 0.003, "hi": 0.05},
    "normal": {"dist": "normal", "mean": 1.0, "sd": 0.5},
    "truncated normal": {"dist": "normal", "mean": 1.0, "sd": 0.5, "lo": 0.8, "hi": 2.0},
    "lognormal": {"dist": "lognormal", "median": 0.015, "sigma": 2.0},
    "beta": {"dist": "beta", "a": 2.0, "b": 5.0},
    "triangular": {"dist": "triangular", "lo": 0.0, "mode": 0.3, "hi": 1.0},
}
# the same distributions written directly with scipy.stats
SCIPY = {
    "uniform": st.uniform(0.2, 0.5),
    "loguniform": st.loguniform(0.003, 0.05),
    "normal": st.norm(1.0, 0.5),
    "truncated normal": st.truncnorm((0.8 - 1.0) / 0.5, (2.0 - 1.0) / 0.5, loc=1.0, scale=0.5),
    "lognormal": st.lognorm(2.0, scale=0.015),
    "beta": st.beta(2.0, 5.0),
    "triangular": st.triang(0.3, loc=0.0, scale=1.0),
}


def parse(raw):
    return parse_distribution(raw, KEY)


@pytest.mark.parametrize("name", list(SPECS))
def test_samples_follow_the_described_distribution(name):
    # Kolmogorov-Smirnov against scipy's own distribution; n = 4000 with a fixed
    # seed; p > 0.001 fails a correct sampler for 0.1% of seeds, and catches a
    # wrong parameterisation (e.g. sigma as variance) at p ~ 0.
    x = parse(SPECS[name]).sample(np.random.default_rng(1), 4000)
    assert st.kstest(x, SCIPY[name].cdf).pvalue > 0.001


@pytest.mark.parametrize("name", list(SPECS))
def test_logpdf_is_the_scipy_log_density(name):
    d, ref = parse(SPECS[name]), SCIPY[name]
    x = ref.ppf([0.1, 0.5, 0.9])
    np.testing.assert_allclose(d.logpdf(x), ref.logpdf(x), rtol=1e-12)


def test_lognormal_median_is_its_median():
    assert parse(SPECS["lognormal"]).ppf(0.5) == pytest.approx(0.015, rel=1e-12)


def test_loguniform_is_flat_in_log():
    x = parse(SPECS["loguniform"]).sample(np.random.default_rng(2), 4000)
    u = (np.log(x) - np.log(0.003)) / (np.log(0.05) - np.log(0.003))
    assert st.kstest(u, "uniform").pvalue > 0.001  # same tolerance as above


def test_truncated_normal_draws_stay_within_its_bounds():
    x = parse(SPECS["truncated normal"]).sample(np.random.default_rng(3), 4000)
    assert x.min() >= 0.8 and x.max() <= 2.0


def test_triangular_density_peaks_at_its_mode():
    d = parse(SPECS["triangular"])
    grid = np.linspace(0.01, 0.99, 99)
    assert grid[np.argmax(d.logpdf(grid))] == pytest.approx(0.3, abs=0.01)


@pytest.mark.parametrize(
    "name, bounds",
    [
        ("uniform", (0.2, 0.7)),
        ("loguniform", (0.003, 0.05)),
        ("normal", (-np.inf, np.inf)),
        ("truncated normal", (0.8, 2.0)),
        ("lognormal", (0.0, np.inf)),
        ("beta", (0.0, 1.0)),
        ("triangular", (0.0, 1.0)),
    ],
)
def test_bounds_are_the_support(name, bounds):
    assert parse(SPECS[name]).bounds == pytest.approx(bounds)


def test_logpdf_outside_the_support_is_minus_infinity():
    assert parse(SPECS["uniform"]).logpdf(0.9) == -np.inf


def test_a_sample_is_the_ppf_of_the_generators_uniforms():
    # one uniform per draw whatever the family: a changed prior keeps each draw's quantile
    d = parse(SPECS["beta"])
    u = np.random.default_rng(4).random(5)
    np.testing.assert_array_equal(d.sample(np.random.default_rng(4), 5), d.ppf(u))


@pytest.mark.parametrize("name", list(SPECS))
def test_a_spec_survives_dump_and_parse(name):
    d = parse(SPECS[name])
    assert parse(d.model_dump(exclude_none=True)) == d


def test_a_distribution_pickles_for_worker_processes():
    d = parse(SPECS["truncated normal"])
    assert pickle.loads(pickle.dumps(d)) == d


@pytest.mark.parametrize(
    "raw, message",
    [
        (
            {"dist": "loguniform", "lo": 0.2, "hi": 0.1},
            "priors: world.hazard_median: lo 0.2 > hi 0.1 is not allowed: lo must be below hi",
        ),
        (
            {"dist": "uniform", "lo": 0.1, "hi": 0.1},
            "priors: world.hazard_median: lo 0.1 = hi 0.1 is not allowed: lo must be below hi",
        ),
        (
            {"dist": "normal", "mean": 0, "sd": -1},
            "priors: world.hazard_median.sd: -1 is not allowed: Input should be greater than 0",
        ),
        (
            {"dist": "lognormal", "median": 0.01, "sigma": 0},
            "priors: world.hazard_median.sigma: 0 is not allowed: Input should be greater than 0",
        ),
        (
            {"dist": "loguniform", "lo": 0, "hi": 1},
            "priors: world.hazard_median.lo: 0 is not allowed: Input should be greater than 0",
        ),
        (
            {"dist": "gamma", "k": 2},
            "priors: world.hazard_median.dist: 'gamma' is not allowed: one of " + ", ".join(DISTRIBUTIONS),
        ),
        (
            {"lo": 0, "hi": 1},
            "priors: world.hazard_median.dist: missing; name a distribution, one of "
            + ", ".join(DISTRIBUTIONS),
        ),
        (
            {"dist": "beta", "a": 1, "b": 2, "c": 3},
            "priors: world.hazard_median.c: unknown key (value 3); beta takes a, b",
        ),
        ({"dist": "beta", "a": 1}, "priors: world.hazard_median.b: missing; beta needs a, b"),
        (
            {"dist": "triangular", "lo": 0, "mode": 2, "hi": 1},
            "priors: world.hazard_median: mode 2.0 is not allowed: it must lie in [lo, hi] = [0.0, 1.0]",
        ),
        (
            {"dist": "uniform", "lo": 0, "hi": float("inf")},
            "priors: world.hazard_median.hi: inf is not allowed: Input should be a finite number",
        ),
        (
            {"dist": "normal", "mean": 0, "sd": 1, "lo": 50, "hi": 60},
            "priors: world.hazard_median: bounds [50.0, 60.0] are not allowed: they hold no probability "
            "of normal(mean=0.0, sd=1.0)",
        ),
        (
            0.01,
            "priors: world.hazard_median: 0.01 is not allowed: a distribution is a table such as "
            '{dist = "uniform", lo = 0, hi = 1}',
        ),
    ],
    ids=[
        "reversed bounds",
        "equal bounds",
        "negative sd",
        "zero sigma",
        "loguniform from 0",
        "unknown dist",
        "missing dist",
        "unknown key",
        "missing field",
        "mode outside",
        "infinite bound",
        "no mass",
        "not a table",
    ],
)
def test_a_bad_spec_is_one_line_naming_the_key_and_value(raw, message):
    with pytest.raises(ScenarioError) as exc:
        parse(raw)
    assert str(exc.value) == message
