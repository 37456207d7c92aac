"""Likelihood-free calibration: ABC-SMC (pyabc) of uncertain parameters to summary statistics.

:func:`calibrate` fits independent priors over dotted parameter keys to
observed summary statistics (e.g. a backtest's checks) with pyabc's ABC-SMC
(Toni et al. 2009; Beaumont et al. 2009) and returns the weighted particles of
the last generation as a :class:`Posterior`.

Choices, and why:

- **Distance**: a weighted Euclidean distance over the named statistics,
  ``d = sqrt(sum_k ((s_k - o_k) / scale_k)^2)``. By default the scales adapt
  per generation (pyabc's ``AdaptivePNormDistance``, p = 2, scale = median
  absolute deviation of each statistic over all candidates of the last
  generation, rejected ones included; Prangle 2017), so statistics in months,
  shares and counts weigh alike without hand-set units. Pass ``scales`` to fix
  them instead (same units as the statistics); a statistic whose spread is 0
  gets weight 0.
- **Thresholds**: each generation's epsilon is a quantile (default the median)
  of the last generation's distances, or a fixed decreasing list.
- **Perturbation**: a multivariate normal kernel with twice the weighted
  covariance of the last population (Beaumont et al. 2009). pyabc's default
  (Silverman's bandwidth, about 0.4 x the population's spread) is narrower: a
  particle accepted in the tail then gets a huge importance weight, and a toy
  posterior of 200 particles fell to an effective sample size of 6-12.
- **Determinism**: same seed, same posterior, whatever executor and number of
  workers (:mod:`sim.abc_sampler`). The model gets a seed per particle drawn
  from the batch-seeded generator, so each simulation is reproducible too.
- **Storage**: pyabc's history lives in an sqlite file in a temporary folder
  that is removed afterwards; nothing is written to the user's folders.

pyabc is an optional extra (``pip install '.[calibrate]'``): without it,
:func:`calibrate` raises one :class:`~sim.scenario.ScenarioError` line, while
:class:`Posterior` files can still be read and drawn from.
"""

from __future__ import annotations

import json
import logging
import math
import random
import tempfile
import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from .distributions import Distribution, parse_distribution
from .priors import AbcSettings, Priors
from .uncertain import WEIGHT, load_posterior
from .validation import ScenarioError

__all__ = ["calibrate", "Posterior", "require_pyabc"]

SimulateStats = Callable[[dict, int], Mapping[str, float]]
_MODEL_SEED_LIMIT = 2**31 - 1


def require_pyabc():
    """The pyabc module, or one error line saying how to install it."""
    try:
        import pyabc
    except ImportError:
        raise ScenarioError("calibrate: needs pyabc: pip install '.[calibrate]'") from None
    return pyabc


@dataclass
class Posterior:
    """Weighted particles of the last ABC-SMC generation, and how they were found.

    Attributes
    ----------
    particles : DataFrame
        One column per dotted key and ``weight`` (summing to 1).
    generations : DataFrame
        Per completed generation: ``generation``, ``epsilon`` (distance
        threshold; with adaptive scales each generation's distance has its own
        scales, so thresholds need not fall monotonically), ``simulations``
        (candidates used), ``acceptance_rate``, ``ess``.
    simulations : int
        Model simulations used, the prior sample for the distance scales included
        (the same for the same seed).
    simulations_evaluated : int
        Simulations computed, including candidates evaluated in parallel and
        then discarded (depends on the workers).
    wall_time_s : float
        Wall-clock seconds of the calibration.
    observed : dict
        The observed summary statistics.
    priors : dict
        The prior of each key, as data (``{"dist": ..., ...}``).
    seed : int
    stopped : str
        Why the run ended: ``generations``, ``min_epsilon``, ``max_simulations``.
    """

    particles: pd.DataFrame
    generations: pd.DataFrame = field(default_factory=pd.DataFrame)
    simulations: int = 0
    simulations_evaluated: int = 0
    wall_time_s: float = 0.0
    observed: dict = field(default_factory=dict)
    priors: dict = field(default_factory=dict)
    seed: int = 0
    stopped: str = ""

    @property
    def keys(self) -> list[str]:
        """The calibrated dotted keys (every particle column but ``weight``), in column order."""
        return [c for c in self.particles.columns if c != WEIGHT]

    @property
    def weights(self) -> np.ndarray:
        """The particles' importance weights, in particle order."""
        return self.particles[WEIGHT].to_numpy(dtype=float)

    @property
    def ess(self) -> float:
        """Effective sample size of the weights, (sum w)^2 / sum w^2 (Kish)."""
        w = self.weights
        return float(w.sum() ** 2 / (w**2).sum())

    @property
    def epsilons(self) -> list[float]:
        """Distance threshold of each completed generation."""
        return [float(e) for e in self.generations.get("epsilon", [])]

    def mean(self) -> pd.Series:
        """Weighted posterior mean per key."""
        w = self.weights
        return pd.Series({k: float(np.average(self.particles[k], weights=w)) for k in self.keys})

    def quantiles(self, q=(0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Weighted quantiles per key (rows) and level (columns, e.g. ``0.05``): inverted empirical CDF."""
        w = self.weights
        rows = {
            k: np.quantile(self.particles[k].to_numpy(dtype=float), q, weights=w, method="inverted_cdf")
            for k in self.keys
        }
        return pd.DataFrame.from_dict(rows, orient="index", columns=list(q))

    def prior_distributions(self) -> dict[str, Distribution]:
        """The priors as distribution objects (for plots)."""
        return {k: parse_distribution(v, k, context="posterior") for k, v in self.priors.items()}

    def summary(self) -> dict:
        """Everything but the particles, as JSON-ready data."""
        return {
            "seed": self.seed,
            "simulations": self.simulations,
            "simulations_evaluated": self.simulations_evaluated,
            "wall_time_s": round(self.wall_time_s, 3),
            "ess": round(self.ess, 2),
            "stopped": self.stopped,
            "observed": self.observed,
            "priors": self.priors,
            "generations": self.generations.to_dict(orient="records"),
            "quantiles": {k: dict(zip(["q05", "q50", "q95"], v)) for k, v in self.quantiles().iterrows()},
        }

    def to_parquet(self, path: str | Path) -> None:
        """Write the particles (one column per key, ``weight``); the summary goes in the file's metadata."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(self.particles, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[b"rdgap.calibration"] = json.dumps(self.summary(), default=float).encode()
        pq.write_table(table.replace_schema_metadata(meta), path)

    @classmethod
    def read_parquet(cls, path: str | Path) -> Posterior:
        """A posterior written by :meth:`to_parquet` (or any valid particles file)."""
        import pyarrow.parquet as pq

        particles = load_posterior(path)
        raw = (pq.read_schema(path).metadata or {}).get(b"rdgap.calibration")
        info = json.loads(raw) if raw else {}
        return cls(
            particles=particles,
            generations=pd.DataFrame(info.get("generations", [])),
            simulations=info.get("simulations", 0),
            simulations_evaluated=info.get("simulations_evaluated", 0),
            wall_time_s=info.get("wall_time_s", 0.0),
            observed=info.get("observed", {}),
            priors=info.get("priors", {}),
            seed=info.get("seed", 0),
            stopped=info.get("stopped", ""),
        )


class SeededModel:
    """pyabc's model: calls ``simulate_stats(theta, seed)`` with a seed from the global generator.

    The global generator is seeded per batch by :mod:`sim.abc_sampler`, so a
    particle's model seed, like its proposal, follows from the calibration
    seed. The statistics are checked: every observed name, finite values.
    """

    def __init__(self, simulate_stats: SimulateStats, names: list[str]):
        self.simulate_stats, self.names = simulate_stats, names
        self.__name__ = getattr(simulate_stats, "__name__", "model")  # pyabc names the model after it

    def __call__(self, parameter) -> dict[str, float]:
        theta = {k: float(v) for k, v in dict(parameter).items()}
        seed = int(np.random.randint(0, _MODEL_SEED_LIMIT))
        stats = self.simulate_stats(theta, seed)
        missing = [k for k in self.names if k not in stats]
        if missing:
            raise ScenarioError(
                f"calibrate: statistic {missing[0]!r} is observed but not returned by {self.__name__}; "
                f"it returned {sorted(stats)}"
            )
        out = {k: float(stats[k]) for k in self.names}
        bad = [k for k, v in out.items() if not math.isfinite(v)]
        if bad:
            # the adaptive scales and the distance would turn NaN for every particle
            raise ScenarioError(
                f"calibrate: statistic {bad[0]!r} = {out[bad[0]]} at {theta} (seed {seed}) is not allowed: "
                "statistics must be finite numbers (censor them, e.g. at the horizon)"
            )
        return out


@contextmanager
def _seeded_globals(seed: int):
    """pyabc's parent-side draws come from the global generators: seed them, then restore."""
    np_state, py_state = np.random.get_state(), random.getstate()
    s = int(np.random.SeedSequence(seed, spawn_key=(2**31,)).generate_state(1)[0])
    np.random.seed(s)
    random.seed(s)
    try:
        yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


@contextmanager
def _quiet_pyabc(level=logging.WARNING):
    """pyabc logs every generation at INFO on stderr; the tqdm bars say the same."""
    logger = logging.getLogger("ABC")
    old = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(old)


def _settings(priors, overrides: dict) -> AbcSettings:
    base = priors.abc if isinstance(priors, Priors) else AbcSettings()
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return AbcSettings.model_validate({**base.model_dump(exclude_unset=True), **given})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        raise ScenarioError(f"calibrate: {loc + ': ' if loc else ''}{msg}") from None


def calibrate(
    simulate_stats: SimulateStats,
    observed: Mapping[str, float],
    priors: Priors | Mapping[str, Distribution],
    *,
    population_size: int | None = None,
    max_simulations: int | None = None,
    generations: int | None = None,
    seed: int = 0,
    executor=None,
    progress: bool = True,
    epsilon_quantile: float | None = None,
    epsilons: list[float] | None = None,
    min_epsilon: float | None = None,
    batch_size: int | None = None,
    scales: Mapping[str, float] | None = None,
) -> Posterior:
    """Fit ``priors`` to ``observed`` statistics by ABC-SMC; same seed, same posterior.

    Parameters
    ----------
    simulate_stats : callable
        ``simulate_stats(theta, seed) -> {name: value}``: runs the model with
        parameters ``theta`` (dotted key -> value) and random seed ``seed``
        (int >= 0) and returns summary statistics (finite floats) with at least
        the observed names. Module-level, so it pickles to worker processes.
    observed : mapping
        Observed statistics by name, in the same units as the simulated ones.
    priors : Priors or mapping
        From :func:`sim.priors.load_priors` (its ``[abc]`` settings are the
        defaults of the keywords below), or dotted key -> distribution.
    population_size, max_simulations, generations, epsilon_quantile, epsilons, min_epsilon, batch_size
        Override the ``[abc]`` settings (:class:`sim.priors.AbcSettings`).
    seed : int
        Root seed (>= 0).
    executor
        A :mod:`sim.executors` executor; default: this process. Not closed here.
    progress : bool
        tqdm bars per generation (accepted particles; candidates used).
    scales : mapping, optional
        Fixed scale per statistic (its units) instead of adaptive MAD scales.

    Returns
    -------
    Posterior
        The last completed generation's weighted particles and the run's record.
    """
    pyabc = require_pyabc()
    from .abc_sampler import OrderedBatchSampler
    from .executors import LocalExecutor

    settings = _settings(
        priors,
        dict(
            population_size=population_size,
            max_simulations=max_simulations,
            generations=generations,
            epsilon_quantile=epsilon_quantile,
            epsilons=epsilons,
            min_epsilon=min_epsilon,
            batch_size=batch_size,
        ),
    )
    params = dict(priors.params if isinstance(priors, Priors) else priors)
    if not params:
        raise ScenarioError("calibrate: priors: no parameter to calibrate")
    params = {k: parse_distribution(v, k) for k, v in params.items()}
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ScenarioError(f"calibrate: seed: {seed!r} is not allowed: an integer >= 0")
    obs = {str(k): float(v) for k, v in observed.items()}
    if not obs or not all(math.isfinite(v) for v in obs.values()):
        raise ScenarioError(f"calibrate: observed: {obs!r} is not allowed: at least one finite statistic")
    if scales is not None:
        bad = [k for k in obs if not (k in scales and float(scales[k]) > 0)]
        if bad:
            raise ScenarioError(
                f"calibrate: scales: {bad[0]!r} needs a scale > 0 (one per observed statistic)"
            )

    prior = pyabc.Distribution(**{k: _rv(pyabc, d) for k, d in params.items()})
    if scales is None:
        distance = pyabc.AdaptivePNormDistance(p=2)
    else:
        distance = pyabc.PNormDistance(p=2, fixed_weights={k: 1.0 / float(scales[k]) for k in obs})
    kernel = pyabc.MultivariateNormalTransition(scaling=2.0, bandwidth_selector=_unit_bandwidth)
    if settings.epsilons is not None:
        eps = pyabc.ListEpsilon(settings.epsilons)
    else:
        eps = pyabc.QuantileEpsilon(alpha=settings.epsilon_quantile)

    own_executor = executor is None
    executor = executor or LocalExecutor(1)
    sampler = OrderedBatchSampler(executor, seed, settings.batch, settings.max_simulations, progress)
    start = time.perf_counter()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="rdgap-abc-") as tmp,
            _seeded_globals(seed),
            _quiet_pyabc(),
        ):
            abc = pyabc.ABCSMC(
                SeededModel(simulate_stats, list(obs)),
                prior,
                distance,
                population_size=settings.population_size,
                transitions=kernel,
                eps=eps,
                sampler=sampler,
            )
            abc.new(f"sqlite:///{Path(tmp) / 'history.db'}", obs)
            history = abc.run(
                minimum_epsilon=settings.min_epsilon,
                max_nr_populations=settings.n_generations,
                max_total_nr_simulations=settings.max_simulations,
            )
            if history.max_t < 0:
                raise ScenarioError(
                    f"calibrate: max_simulations: {settings.max_simulations} ran out before the first "
                    "generation; raise it"
                )
            frame, w = history.get_distribution(m=0, t=history.max_t)
            pops = history.get_all_populations()
            gens = _generations(history, pops)
    finally:
        if own_executor:
            executor.close()
    particles = frame[list(params)].astype(float).reset_index(drop=True)
    particles.columns.name = None  # pyabc names its pivoted columns "name"
    particles[WEIGHT] = np.asarray(w, dtype=float) / float(np.sum(w))
    n_done = len(gens)
    if settings.min_epsilon > 0 and n_done and gens["epsilon"].iloc[-1] <= settings.min_epsilon:
        stopped = "min_epsilon"
    elif n_done >= settings.n_generations:
        stopped = "generations"
    else:
        stopped = "max_simulations"
    return Posterior(
        particles=particles,
        generations=gens,
        simulations=sampler.simulations_used,
        simulations_evaluated=sampler.simulations_evaluated,
        wall_time_s=time.perf_counter() - start,
        observed=obs,
        priors={k: d.model_dump(exclude_none=True) for k, d in params.items()},
        seed=seed,
        stopped=stopped,
    )


def _unit_bandwidth(n_samples: float, dimension: int) -> float:
    # the kernel is the population's covariance times the transition's scaling (2)
    return 1.0


def _rv(pyabc, d: Distribution):
    # pyabc's RV rebuilds the scipy.stats distribution from its name when unpickled
    name, kwargs = d.scipy_spec()
    return pyabc.RV(name, **kwargs)


def _generations(history, pops: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, row in pops[pops["t"] >= 0].iterrows():
        t = int(row["t"])
        _, w = history.get_distribution(m=0, t=t)
        w = np.asarray(w, dtype=float)
        n = int(row["samples"])
        rows.append(
            {
                "generation": t,
                "epsilon": float(row["epsilon"]),
                "simulations": n,
                "acceptance_rate": len(w) / n if n else float("nan"),
                "ess": float(w.sum() ** 2 / (w**2).sum()),
            }
        )
    return pd.DataFrame(rows, columns=["generation", "epsilon", "simulations", "acceptance_rate", "ess"])


# -- calibrating a scenario to its record -----------------------------------------------


class ScenarioStats:
    """``simulate_stats`` of a scenario: one replication to the record's cut-off, then the
    backtest's checks (:meth:`sim.backtest.Backtest.stats`).

    Picklable (the scenario travels as plain data), so it runs in worker processes and on
    Dask. ``theta`` are dotted-key overrides; the replication's streams come from ``seed``.
    """

    def __init__(self, params):
        self.data = params.model_dump(mode="json", exclude={"uncertain"})
        self.__name__ = f"{params.name} to its record"
        self._cache = None

    def _setup(self):
        if self._cache is None:
            from . import registry
            from .backtest import backtest_of
            from .scenario import load

            params = load(self.data)
            model = registry.get_model(params.model)
            bt = backtest_of(params)
            horizon = model.time_unit.from_days(float((bt.until - params.start_date).days))
            self._cache = (model, bt, horizon)
        return self._cache

    def __getstate__(self):
        return {"data": self.data, "__name__": self.__name__, "_cache": None}

    def __call__(self, theta: Mapping[str, float], seed: int) -> dict[str, float]:
        from .scenario import load
        from .streams import Streams

        model, bt, horizon = self._setup()
        try:
            params = load(self.data, dict(theta))
        except ScenarioError as exc:
            raise ScenarioError(f"calibrate: the prior drew a value the scenario refuses: {exc}") from None
        return bt.stats(params, model.simulate(params, Streams(seed, 0), horizon))


@dataclass
class ScenarioCalibration:
    """What :func:`calibrate_scenario` returns and writes."""

    scenario: str
    posterior: Posterior
    observed: dict[str, float]
    at_bound: list[str]
    out: Path | None = None

    def summary(self) -> dict:
        q = self.posterior.quantiles((0.05, 0.5, 0.95))
        return {
            "scenario": self.scenario,
            "observed": self.observed,
            "posterior": {
                k: {"median": q.loc[k, 0.5], "p05": q.loc[k, 0.05], "p95": q.loc[k, 0.95]}
                for k in self.posterior.keys
            },  # fmt: skip
            "at_prior_bound": self.at_bound,
            **self.posterior.summary(),
        }


def _at_bound(posterior: Posterior, share: float = 0.05) -> list[str]:
    """Parameters whose posterior median lies within ``share`` of the prior's range of a
    bound: a fit that rests on a bound points to a missing mechanism (DESIGN §3.6)."""
    out = []
    q = posterior.quantiles((0.5,))
    for key, spec in posterior.priors.items():
        lo, hi = parse_distribution(spec, key).bounds
        if not (math.isfinite(lo) and math.isfinite(hi)):
            continue
        med = float(q.loc[key, 0.5])
        if med - lo < share * (hi - lo) or hi - med < share * (hi - lo):
            out.append(key)
    return out


def calibrate_scenario(
    scenario,
    priors_path,
    *,
    until=None,
    max_simulations: int | None = None,
    population_size: int | None = None,
    seed: int = 0,
    overrides: Mapping | None = None,
    options=None,
) -> ScenarioCalibration:
    """Calibrate ``scenario``'s uncertain assumptions to its record (the backtest's checks)
    by ABC-SMC, the priors read from ``priors_path`` (:mod:`sim.priors`).

    The scenario's own ``[uncertain]`` section is dropped: the priors replace it. Data
    after the record's cut-off (``until`` may move it earlier) is never used. ``options``
    choose the executor (workers, Dask) and progress bars; ``options.out`` is where
    :func:`write_calibration` writes (a folder).
    """
    from . import runner
    from .backtest import backtest_of
    from .options import RunOptions
    from .priors import load_priors, scenario_keys

    options = options or RunOptions()
    over = dict(overrides or {})
    if until is not None:
        over["backtest.until"] = str(until)
    params = runner.resolve(scenario, None, None, None, over)
    params = params.model_copy(update={"uncertain": None})
    known = scenario_keys(params)
    priors = load_priors(priors_path, lambda k: k in known)
    observed = {k: v for k, v in backtest_of(params).observed().items() if math.isfinite(v)}
    stats = ScenarioStats(params)
    with runner.open_executor(options) as opts:
        posterior = calibrate(
            stats,
            observed,
            priors,
            max_simulations=max_simulations,
            population_size=population_size,
            seed=seed,
            executor=opts.executor,
            progress=options.progress,
        )
    return ScenarioCalibration(params.name, posterior, observed, _at_bound(posterior), options.out)


def write_calibration(cal: ScenarioCalibration, out, base: str, figures: bool = True) -> list[str]:
    """Write ``posterior.parquet``, ``calibrated.toml`` (a scenario on ``base`` whose
    ``[uncertain]`` section is the posterior: ``python -m sim run OUT/calibrated.toml``),
    ``calibration.json`` and the marginal, pair and generation plots."""
    from .calibration_plots import plot_generations, plot_marginals, plot_pairs
    from .plots import save_figure

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cal.posterior.to_parquet(out / "posterior.parquet")
    toml = (
        f"# Written by python -m sim calibrate: {cal.scenario} with its calibrated assumptions.\n"
        f"# The posterior (weighted particles) is posterior.parquet beside this file.\n"
        f"base = {json.dumps(base)}\n"
        f"name = {json.dumps(cal.scenario + '_calibrated')}\n\n"
        "[uncertain]\n"
        'posterior = "posterior.parquet"\n'
    )
    (out / "calibrated.toml").write_text(toml)
    (out / "calibration.json").write_text(json.dumps(cal.summary(), indent=1, default=float))
    names = ["posterior.parquet", "calibrated.toml", "calibration.json"]
    if figures:
        for name, fig in (
            ("marginals.png", plot_marginals(cal.posterior)),
            ("pairs.png", plot_pairs(cal.posterior)),
            ("generations.png", plot_generations(cal.posterior)),
        ):
            save_figure(fig, out / name)
            names.append(name)
    return names


def format_calibration(cal: ScenarioCalibration) -> str:
    """Posterior medians with 90% intervals, and the run's figures."""
    p = cal.posterior
    q = p.quantiles((0.05, 0.5, 0.95))
    lines = [f"{cal.scenario}: posterior median [5%, 95%] of {len(p.keys)} parameters"]
    width = max(len(k) for k in p.keys)
    for k in p.keys:
        flag = "  (at a prior bound)" if k in cal.at_bound else ""
        lines.append(
            f"  {k:<{width}}  {q.loc[k, 0.5]:.4g} [{q.loc[k, 0.05]:.4g}, {q.loc[k, 0.95]:.4g}]{flag}"
        )
    lines.append(
        f"{p.simulations} simulations, {len(p.generations)} generations, ESS {p.ess:.0f}, "
        f"{p.wall_time_s:.0f} s; stopped by {p.stopped}"
    )
    return "\n".join(lines)
