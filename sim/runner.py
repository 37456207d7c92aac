"""Run a scenario: replications in one or more processes, one table per kind.

The model is data and the run is a call: ``run("chatgpt_race", reps=100)``.
Replications are independent; each gets its streams from (seed, rep), and
rows are concatenated in replication order, so the tables are identical
whatever the number of worker processes.
"""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import Any, Mapping

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from . import registry, scenario as scenario_mod
from .budget import DAYS_PER_YEAR
from .results import Results, build_results
from .streams import Streams


def _one_rep(args) -> dict:
    params, seed, rep, horizon = args
    model = registry.get_model(params.model)
    out = model.simulate(params, Streams(seed, rep), horizon)
    return {"events": out["events"].rows, "states": out["states"].rows,
            "event_columns": out["events"].columns, "state_columns": out["states"].columns,
            "history": out["history"]}


def resolve(scenario, reps=None, seed=None, years=None, overrides: Mapping[str, Any] | None = None):
    """Validated params with the run settings applied (each goes through validation)."""
    extra = dict(overrides or {})
    if reps is not None:
        extra["run.reps"] = reps
    if seed is not None:
        extra["run.seed"] = seed
    if years is not None:
        extra["years"] = years
    return scenario_mod.load(scenario, extra)


def run(scenario="chatgpt_race", reps: int | None = None, seed: int | None = None,
        years: float | None = None, workers: int = 1, overrides: Mapping[str, Any] | None = None,
        progress: bool = True, **kw) -> Results:
    """Run a scenario and return its :class:`~sim.results.Results`.

    Parameters
    ----------
    scenario : str, path, dict or params
        A scenario name (see ``python -m sim list``), a TOML path, raw data, or
        validated params.
    reps, seed, years : optional
        Override the scenario's ``run.reps``, ``run.seed`` and ``years`` (years).
    workers : int
        Worker processes (1 = in this process). Results do not depend on it.
    overrides : mapping
        Dotted keys, e.g. ``{"teams.leader.diagnosis": 0.5}``.
    **kw
        More overrides with ``__`` for dots: ``teams__leader__diagnosis=0.5``.
    """
    if not isinstance(workers, int) or workers < 1:
        raise scenario_mod.ScenarioError(f"workers: {workers!r} is not allowed: must be an integer >= 1")
    over = dict(overrides or {})
    over.update({k.replace("__", "."): v for k, v in kw.items()})
    params = resolve(scenario, reps, seed, years, over)
    horizon = params.years * DAYS_PER_YEAR
    jobs = [(params, params.run.seed, rep, horizon) for rep in range(params.run.reps)]
    bar = dict(total=len(jobs), desc=params.name, unit="rep", disable=not progress, leave=False)
    if workers == 1:
        parts = [_one_rep(j) for j in tqdm(jobs, **bar)]
    else:
        chunk = max(1, len(jobs) // (workers * 8))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parts = list(tqdm(pool.map(_one_rep, jobs, chunksize=chunk), **bar))
    return build_results(params, parts)
