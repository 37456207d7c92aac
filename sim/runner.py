"""Run a scenario: replications in batches on an executor, one table per kind.

The model is data and the run is a call: ``run("chatgpt_race", reps=100)``.
Replications are independent; each gets its streams from (seed, rep). They
run in batches of consecutive reps (``batch``, default :func:`batch_size`) on an executor
(:mod:`sim.executors`: this process, local processes, or Dask); each batch's
tables are built where it ran, and batches are put back in rep order, so the
tables are identical whatever the executor and the number of workers.

:func:`execute` is the engine that runs, sweeps and sensitivity analyses
share: a list of points (validated params, one per sweep point), the same
seed and reps at every point (common random numbers), optional streaming of
finished batches to a :class:`~sim.store.Store`, and the ``--reps auto``
stopping rule of :mod:`sim.headline`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from . import headline, registry
from . import scenario as scenario_mod
from .budget import DAYS_PER_YEAR
from .executors import make_executor
from .results import Results, build_results, build_tables, make_summary, package_version  # noqa: F401 (build_results: kept importable from here)
from .store import Store, part_key, write_tables
from .streams import Streams

DEFAULT_BATCH = None  # reps per batch (one store part, one job): batch_size(reps)
MAX_BATCH = 10  # amortises a job's overhead (pickling params, building tables)
DEFAULT_MAX_REPS = 1000  # cap of --reps auto
DEFAULT_MIN_REPS = 20  # --reps auto checks its rule only from here on


def _one_rep(args) -> dict:
    params, seed, rep, horizon = args
    model = registry.get_model(params.model)
    out = model.simulate(params, Streams(seed, rep), horizon)
    return {
        "rep": rep,
        "events": out["events"].rows,
        "states": out["states"].rows,
        "event_columns": out["events"].columns,
        "state_columns": out["states"].columns,
        "history": out["history"],
        "tables": out.get("tables"),
    }


def _run_batch(job) -> dict:
    """Reps ``[lo, hi)`` of one point: their tables and per-rep headline figures."""
    params, seed, lo, hi, keep_tables, at_year, part = job
    horizon = params.years * DAYS_PER_YEAR
    parts = [_one_rep((params, seed, rep, horizon)) for rep in range(lo, hi)]
    tables = build_tables(params, parts)
    metrics = headline.rep_metrics(tables["gap"], params.years, at_year)
    out = {
        "metrics": metrics,
        "history": parts[0]["history"],
        "tables": tables if keep_tables else {},
        "written": (),
    }
    if part is not None and keep_tables:  # write here: the parent gets only the small metrics
        out["written"] = tuple(write_tables(part[0], part[1], tables))
        out["tables"] = {}
    return out


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


def batch_size(reps: int) -> int:
    """Reps per batch: up to 10, but at least ~16 batches so that few reps still
    spread over the workers. A function of ``reps`` only, never of the number of
    workers, so ``--reps auto`` stops at the same count whatever the executor."""
    return max(1, min(MAX_BATCH, reps // 16))


def _check_int(name: str, value, low: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise scenario_mod.ScenarioError(f"{name}: {value!r} is not allowed: must be an integer >= {low}")


def execute(
    points: list,
    reps: int,
    executor,
    *,
    seed: int | None = None,
    store: Store | None = None,
    keep_tables: bool = True,
    collect: bool = False,
    batch: int = DEFAULT_BATCH,
    at_year: float = headline.DEFAULT_AT_YEAR,
    auto: dict | None = None,
    progress: bool = True,
    desc: str = "",
) -> dict:
    """Run ``reps`` replications at every point, streaming finished batches.

    Parameters
    ----------
    points : list of validated params
        One per sweep point; a plain run has one.
    reps : int
        Replications per point (rep r uses ``Streams(seed, r)`` at every point:
        common random numbers). With ``auto``, the most to run.
    executor : an entered executor from :mod:`sim.executors`
    seed : int, optional
        Root seed for every point (default each point's own ``run.seed``,
        which is the same at every point unless a sweep varies it).
    store : Store, optional
        Write each finished batch there; batches it already holds are read,
        not recomputed.
    keep_tables : bool
        Keep the full tables (else only per-rep headline figures).
    collect : bool
        Keep the tables in memory and return them (the in-memory API);
        otherwise only the small per-rep figures stay in memory.
    auto : dict, optional
        ``{"ci": 0.05, "min_reps": 20}``: stop at the first batch boundary
        where :func:`sim.headline.converged` holds (one point only).

    Returns
    -------
    dict with ``metrics`` (DataFrame: ``point`` then the columns of
    :func:`sim.headline.rep_metrics`, in point and rep order), ``tables``
    (``{point: {name: DataFrame}}`` if ``collect``), ``history``, ``reps``
    (per point) and, with ``auto``, ``converged``.
    """
    batch = batch_size(reps) if batch is None else batch
    _check_int("batch", batch, 1)
    if auto and len(points) != 1:
        raise scenario_mod.ScenarioError("--reps: 'auto' is not allowed with more than one point")
    batches = [(p, lo, min(lo + batch, reps)) for p in range(len(points)) for lo in range(0, reps, batch)]
    got: dict[tuple[int, int], dict] = {}
    history = store.manifest.get("history") if store else None
    if store is not None:
        for p, lo, hi in batches:
            if store.done(p, lo):
                names = store.manifest["parts"][part_key(p, lo)]["tables"] if collect else ["metrics"]
                got[(p, lo)] = {
                    n: pd.read_parquet(store.path / "parts" / f"{part_key(p, lo)}.{n}.parquet") for n in names
                }
    stop = {"n": None, "checked": 0}

    def check_prefix() -> bool:
        """Advance over finished batches in rep order; True once the rule holds."""
        while stop["checked"] < len(batches) and (0, batches[stop["checked"]][1]) in got:
            n = batches[stop["checked"]][2]
            stop["checked"] += 1
            if n >= auto.get("min_reps", DEFAULT_MIN_REPS):
                m = pd.concat([got[(0, lo)]["metrics"] for _, lo, hi in batches if hi <= n])
                if headline.converged(m, auto["ci"]):
                    stop["n"] = n
                    return True
        return False

    todo = [b for b in batches if (b[0], b[1]) not in got]
    if auto and check_prefix():
        todo = []
    # Workers that share our disk write the big tables of a part themselves (less
    # pickling and less serial work in this process); not when we keep them in memory.
    here = store is not None and not collect and getattr(executor, "shared_fs", False)
    jobs = [
        (
            points[p],
            points[p].run.seed if seed is None else seed,
            lo,
            hi,
            keep_tables,
            at_year,
            (str(store.path / "parts"), part_key(p, lo)) if here else None,
        )
        for p, lo, hi in todo
    ]
    bar = tqdm(
        total=sum(hi - lo for _, lo, hi in todo),
        desc=desc or points[0].name,
        unit="rep",
        disable=not progress,
        leave=False,
    )
    gen = executor.imap(_run_batch, jobs)
    try:
        for i, res in gen:
            p, lo, hi = todo[i]
            if history is None:
                history = [list(h) for h in res["history"]]
                if store is not None:
                    store.set(history=history)
            if store is not None:
                store.write_part(p, lo, hi, {**res["tables"], "metrics": res["metrics"]}, res["written"])
            got[(p, lo)] = {"metrics": res["metrics"], **(res["tables"] if collect else {})}
            bar.update(hi - lo)
            if auto and check_prefix():
                break
    finally:
        gen.close()
        bar.close()
    out: dict = {"history": history}
    if auto:
        n = stop["n"] if stop["n"] is not None else reps
        out["converged"] = stop["n"] is not None
        batches = [b for b in batches if b[2] <= n]
        if store is not None:  # batches run past the stop are not part of the result
            store.drop_parts(lambda e: e["hi"] <= n)
    missing = [b for b in batches if (b[0], b[1]) not in got]
    if missing:
        raise RuntimeError(f"{len(missing)} batch(es) did not finish")
    frames = []
    for p, lo, hi in batches:
        m = got[(p, lo)]["metrics"]
        frames.append(m.assign(point=p) if "point" not in m else m)
    metrics = pd.concat(frames, ignore_index=True)
    out["metrics"] = metrics[["point"] + [c for c in metrics.columns if c != "point"]]
    out["reps"] = {p: sum(hi - lo for q, lo, hi in batches if q == p) for p in range(len(points))}
    if collect:
        out["tables"] = {}
        for p in range(len(points)):
            mine = [got.pop((q, lo)) for q, lo, hi in batches if q == p]
            names = [n for n in mine[0] if n != "metrics"]
            # One table at a time, letting go of its batch parts as soon as it is
            # joined: the peak is one table twice, not every table twice.
            out["tables"][p] = {n: pd.concat([b.pop(n) for b in mine], ignore_index=True) for n in names}
    return out


def _auto_settings(reps, ci, max_reps, min_reps):
    """(reps to run at most, auto dict or None) from the run options."""
    if reps == "auto":
        if not (isinstance(ci, (int, float)) and 0 < ci < 1):
            raise scenario_mod.ScenarioError(
                f"--ci: {ci!r} is not allowed: a relative half-width in (0, 1), e.g. 0.05"
            )
        _check_int("--max-reps", max_reps, 2)
        _check_int("--min-reps", min_reps, 2)
        return max_reps, {"ci": float(ci), "min_reps": min_reps}
    if isinstance(reps, str):
        raise scenario_mod.ScenarioError(f"--reps: {reps!r} is not allowed: an integer >= 1 or 'auto'")
    return reps, None


def run(
    scenario="chatgpt_race",
    reps: int | str | None = None,
    seed: int | None = None,
    years: float | None = None,
    workers: int = 1,
    overrides: Mapping[str, Any] | None = None,
    progress: bool = True,
    *,
    ci: float = 0.05,
    max_reps: int = DEFAULT_MAX_REPS,
    min_reps: int = DEFAULT_MIN_REPS,
    batch: int = DEFAULT_BATCH,
    at_year: float = headline.DEFAULT_AT_YEAR,
    scheduler: str | None = None,
    dask: str | None = None,
    executor=None,
    out=None,
    resume: bool = False,
    **kw,
) -> Results:
    """Run a scenario and return its :class:`~sim.results.Results`.

    Parameters
    ----------
    scenario : str, path, dict or params
        A scenario name (see ``python -m sim list``), a TOML path, raw data, or
        validated params.
    reps : int or "auto"
        Override the scenario's ``run.reps``. ``"auto"``: run batches until the
        95% interval of the headline metric is within ``ci`` of its mean
        (see :mod:`sim.headline`), at most ``max_reps``.
    seed, years : optional
        Override the scenario's ``run.seed`` and ``years`` (years).
    workers : int
        Local worker processes (1 = in this process), or the workers of a
        Dask LocalCluster. Results do not depend on it.
    scheduler, dask : optional
        ``scheduler="tcp://HOST:PORT"`` or ``dask="local"`` run on Dask.
    executor : optional
        An entered executor from :mod:`sim.executors` (overrides the above).
    out : path, optional
        Stream finished batches to a result store there (then read it back).
    resume : bool
        Continue the store in ``out`` without recomputing its finished parts.
    overrides : mapping
        Dotted keys, e.g. ``{"teams.leader.diagnosis": 0.5}``.
    **kw
        More overrides with ``__`` for dots: ``teams__leader__diagnosis=0.5``.
    """
    if out is not None:
        run_to_store(
            scenario,
            out,
            reps=reps,
            seed=seed,
            years=years,
            workers=workers,
            overrides=overrides,
            progress=progress,
            ci=ci,
            max_reps=max_reps,
            min_reps=min_reps,
            batch=batch,
            at_year=at_year,
            scheduler=scheduler,
            dask=dask,
            executor=executor,
            resume=resume,
            **kw,
        )
        from .results import load_results

        return load_results(out)
    params, n, auto = _prepare(scenario, reps, seed, years, overrides, kw, ci, max_reps, min_reps, workers)
    with _executor(executor, workers, scheduler, dask) as ex:
        res = execute(
            [params], n, ex, collect=True, batch=batch, at_year=at_year, auto=auto, progress=progress
        )
    metrics = res["metrics"].drop(columns="point")
    summary = make_summary(params, metrics, res["history"], at_year=at_year, **_stopping(auto, res, metrics))
    return Results.from_tables(res["tables"][0], summary, metrics)


def _prepare(scenario, reps, seed, years, overrides, kw, ci, max_reps, min_reps, workers):
    _check_int("workers", workers, 1)
    over = dict(overrides or {})
    over.update({k.replace("__", "."): v for k, v in kw.items()})
    n, auto = _auto_settings(reps, ci, max_reps, min_reps)
    params = resolve(scenario, n, seed, years, over)
    return params, params.run.reps, auto


def _stopping(auto, res, metrics) -> dict:
    if not auto:
        return {}
    rel = headline.relative_half_width(metrics)
    return {
        "stopping": {
            "rule": "95% half-width of the headline mean <= ci x |mean|, every follower",
            "ci": auto["ci"],
            "min_reps": auto["min_reps"],
            "converged": res["converged"],
            "relative_half_width": rel,
        }
    }


class _Given:
    """An executor the caller entered and will close."""

    def __init__(self, ex):
        self.ex = ex

    def __enter__(self):
        return self.ex

    def __exit__(self, *exc):
        return False


def _executor(executor, workers, scheduler, dask):
    return _Given(executor) if executor is not None else make_executor(workers, scheduler, dask)


def run_to_store(
    scenario,
    out,
    reps=None,
    seed=None,
    years=None,
    workers: int = 1,
    overrides=None,
    progress: bool = True,
    *,
    ci: float = 0.05,
    max_reps: int = DEFAULT_MAX_REPS,
    min_reps: int = DEFAULT_MIN_REPS,
    batch: int = DEFAULT_BATCH,
    at_year: float = headline.DEFAULT_AT_YEAR,
    scheduler=None,
    dask=None,
    executor=None,
    resume: bool = False,
    **kw,
) -> dict:
    """Run into a result store in ``out`` and return the summary (memory stays
    flat: only per-rep headline figures are kept; the tables go to disk part by
    part and are then consolidated into ``events.parquet``, ... by streaming)."""
    params, n, auto = _prepare(scenario, reps, seed, years, overrides, kw, ci, max_reps, min_reps, workers)
    over = dict(overrides or {})
    over.update({k.replace("__", "."): v for k, v in kw.items()})
    spec = {
        "scenario": params.name,
        "params": params.model_dump(mode="json"),
        "overrides": over,
        "seed": params.run.seed,
        "reps": "auto" if auto else n,
        "auto": auto,
        "max_reps": n,
        "batch": batch_size(n) if batch is None else batch,
        "at_year": at_year,
    }
    store = Store.open(out, "run", spec, package_version(), resume=resume)
    with _executor(executor, workers, scheduler, dask) as ex:
        res = execute(
            [params], n, ex, store=store, batch=batch, at_year=at_year, auto=auto, progress=progress
        )
    metrics = res["metrics"].drop(columns="point")
    summary = make_summary(params, metrics, res["history"], at_year=at_year, **_stopping(auto, res, metrics))
    names = [name for name in store.table_names() if name != "metrics"]
    # one thread per table: pyarrow reads and writes without holding the GIL
    with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
        ok = list(pool.map(lambda name: store.consolidate(name, Path(out) / f"{name}.parquet"), names))
    consolidated = [name for name, done in zip(names, ok) if done]
    metrics.to_parquet(Path(out) / "metrics.parquet", index=False)
    (Path(out) / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    store.set(complete=True, consolidated=consolidated)
    for name in consolidated:  # the consolidated file replaces its parts (half the disk)
        for f in store.files(name):
            f.unlink(missing_ok=True)
    return summary
