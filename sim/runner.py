"""Run a scenario: replications in batches on an executor, one table per kind.

The model is data and the run is a call: ``run("chatgpt_race", reps=100)``.
Replications are independent; each gets its streams from (seed, rep). They
run in batches of consecutive reps (:func:`batch_size`) on an executor
(:mod:`sim.executors`: this process, local processes, or Dask); each batch's
tables are built where it ran, and batches are put back in rep order, so the
tables are identical whatever the executor and the number of workers.

One pipeline serves every entry point: :func:`run_scenario` runs a scenario
with :class:`~sim.options.RunOptions`, in memory or streaming into a result
store (``options.out``); :func:`run` is its in-memory face returning
:class:`~sim.results.Results`, and the command line, sweeps, comparisons and
sensitivity analyses call :func:`execute` (many points, the same seed and reps
at every point: common random numbers) with the same options.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from . import headline, output_folder, registry, uncertain
from . import scenario as scenario_mod
from .executors import make_executor, raise_if_interrupted
from .model import check_output
from .options import RunOptions
from .results import Results, build_tables, make_summary, package_version
from .scenario import MAX_REPS, ScenarioError
from .store import Store, parquet_bytes, part_key, write_tables
from .streams import Streams
from .units import DAYS_PER_YEAR

__all__ = ["run", "run_scenario", "execute", "resolve", "batch_size", "open_executor", "RunOutput"]

MAX_BATCH = 10  # amortises a job's overhead (pickling params, building tables)


def horizon_of(params) -> float:
    """The scenario's horizon in its model's time unit."""
    return registry.get_model(params.model).time_unit.from_days(params.years * DAYS_PER_YEAR)


@dataclass(frozen=True)
class _Batch:
    """One job: reps ``[lo, hi)`` of one point."""

    params: Any
    seed: int
    lo: int
    hi: int
    keep_tables: bool
    at_year: float
    part: tuple[str, str] | None  # (parts folder, part key): the worker writes the tables itself


def rep_params(params, seed: int, rep: int):
    """The params replication ``rep`` runs with, and the values it drew.

    Without an ``[uncertain]`` section, ``params`` itself and ``{}``. With one,
    each replication draws its own values from its own stream
    (:func:`sim.uncertain.draw`), so the bands of a run carry parameter
    uncertainty, and rep r draws the same values whatever the executor.
    """
    if params.uncertain is None:
        return params, {}
    drawn = uncertain.draw(params.uncertain, seed, rep)
    data = params.model_dump(mode="json", exclude={"uncertain"})
    try:
        return scenario_mod.load(data, drawn), drawn
    except ScenarioError as exc:
        raise ScenarioError(
            f"uncertain: replication {rep} drew a value the scenario refuses: {exc}"
        ) from None


def _run_batch(job: _Batch) -> dict:
    """Reps ``[lo, hi)`` of one point: their tables and per-rep headline figures."""
    params = job.params
    model = registry.get_model(params.model)
    horizon = model.time_unit.from_days(params.years * DAYS_PER_YEAR)
    outs, drawn = [], []
    for rep in range(job.lo, job.hi):
        p, values = rep_params(params, job.seed, rep)
        out = model.simulate(p, Streams(job.seed, rep), horizon)
        if rep == job.lo:  # one check a batch: the schemas do not change between reps
            check_output(model, p, out)
        outs.append(out)
        drawn.append({"rep": rep, **values})
    tables = build_tables(params, outs, list(range(job.lo, job.hi)))
    if params.uncertain is not None:  # what each replication drew: params.parquet
        tables["params"] = pd.DataFrame(drawn).astype({"rep": "int64"})
    metrics = headline.rep_metrics(
        tables["gap"], params.years, job.at_year, model.headline.column, frontier=tables["frontier"]
    )
    res = {"metrics": metrics, "history": [list(h) for h in outs[0].history], "tables": {}, "written": {}}
    if job.keep_tables:
        if job.part is not None:  # write here: the parent gets the small metrics and the files' hashes
            res["written"] = write_tables(job.part[0], job.part[1], tables)
        else:
            res["tables"] = tables
    return res


def resolve(scenario=None, reps=None, seed=None, years=None, overrides: Mapping[str, Any] | None = None):
    """Validated params with the run settings applied (each goes through validation).

    ``scenario`` None is the default scenario (:func:`sim.registry.default_scenario`).
    """
    if scenario is None:
        scenario = registry.default_scenario()
        if scenario is None:
            raise ScenarioError("scenario: none given and no installed scenario package names a DEFAULT")
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
    workers, so ``reps="auto"`` stops at the same count whatever the executor."""
    return max(1, min(MAX_BATCH, reps // 16))


class _Given:
    """An executor the caller entered and will close."""

    def __init__(self, ex):
        self.ex = ex

    def __enter__(self):
        return self.ex

    def __exit__(self, *exc):
        return False


def _executor_for(options: RunOptions, jobs: int):
    if options.executor is not None:
        return _Given(options.executor)
    # more workers than jobs would only fork idle processes
    return make_executor(max(1, min(options.workers, jobs)), options.scheduler, options.dask)


@contextlib.contextmanager
def open_executor(options: RunOptions) -> Iterator[RunOptions]:
    """Enter the executor ``options`` ask for once, for several runs (a Dask cluster is
    started once); yields the options with that executor set."""
    if options.executor is not None:
        yield options
        return
    with make_executor(options.workers, options.scheduler, options.dask) as ex:
        yield options.replace(executor=ex)


def execute(
    points: list,
    reps: int,
    options: RunOptions,
    *,
    seed: int | None = None,
    store: Store | None = None,
    keep_tables: bool = True,
    collect: bool = False,
    auto: bool = False,
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
    options : RunOptions
        Executor, batch size, progress and the ``auto`` stopping rule.
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
    auto : bool
        Stop at the first batch boundary where :func:`sim.headline.converged`
        holds for ``options.ci`` (one point only).

    Returns
    -------
    dict with ``metrics`` (DataFrame: ``point`` then the columns of
    :func:`sim.headline.rep_metrics`, in point and rep order), ``tables``
    (``{point: {name: DataFrame}}`` if ``collect``), ``history``, ``reps``
    (per point) and, with ``auto``, ``converged``.
    """
    batch = batch_size(reps) if options.batch is None else options.batch
    if auto and len(points) != 1:
        raise ScenarioError("reps: 'auto' is not allowed with more than one point")
    batches = [(p, lo, min(lo + batch, reps)) for p in range(len(points)) for lo in range(0, reps, batch)]
    got: dict[tuple[int, int], dict] = {}
    history = store.manifest.get("history") if store else None
    if store is not None:
        for p, lo, _hi in batches:
            if store.done(p, lo):
                names = store.manifest["parts"][part_key(p, lo)]["tables"] if collect else ["metrics"]
                got[(p, lo)] = {n: store.read_part(p, lo, n) for n in names}
    stop: dict = {"n": None, "checked": 0}

    def check_prefix() -> bool:
        """Advance over finished batches in rep order; True once the rule holds."""
        while stop["checked"] < len(batches) and (0, batches[stop["checked"]][1]) in got:
            n = batches[stop["checked"]][2]
            stop["checked"] += 1
            if n >= options.min_reps:
                m = pd.concat([got[(0, lo)]["metrics"] for _, lo, hi in batches if hi <= n])
                if headline.converged(m, options.ci):
                    stop["n"] = n
                    return True
        return False

    todo = [b for b in batches if (b[0], b[1]) not in got]
    if auto and check_prefix():
        todo = []
    with _executor_for(options, len(todo)) as ex:
        # Workers that share our disk write the big tables of a part themselves (less
        # pickling and less serial work in this process); not when we keep them in memory.
        here = store is not None and not collect and getattr(ex, "shared_fs", False)
        jobs = [
            _Batch(
                points[p],
                points[p].run.seed if seed is None else seed,
                lo,
                hi,
                keep_tables,
                options.at_year,
                (str(store.path / "parts"), part_key(p, lo)) if here and store is not None else None,
            )
            for p, lo, hi in todo
        ]
        bar = tqdm(
            total=sum(hi - lo for _, lo, hi in todo),
            desc=desc or points[0].name,
            unit="rep",
            disable=not options.progress,
            leave=False,
        )
        gen = ex.imap(_run_batch, jobs)
        try:
            for i, res in gen:
                raise_if_interrupted()
                p, lo, hi = todo[i]
                if history is None:
                    history = res["history"]
                    if store is not None:
                        store.set(history=history)
                if store is not None:
                    store.write_part(p, lo, hi, {**res["tables"], "metrics": res["metrics"]}, res["written"])
                got[(p, lo)] = {"metrics": res["metrics"], **(res["tables"] if collect else {})}
                bar.update(hi - lo)
                if auto and check_prefix():
                    break
            raise_if_interrupted()  # a Ctrl-C during the last batch
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
    for p, lo, _hi in batches:
        m = got[(p, lo)]["metrics"]
        frames.append(m.assign(point=p) if "point" not in m else m)
    metrics = pd.concat(frames, ignore_index=True)
    out["metrics"] = metrics[["point"] + [c for c in metrics.columns if c != "point"]]
    out["reps"] = {p: sum(hi - lo for q, lo, hi in batches if q == p) for p in range(len(points))}
    if collect:
        out["tables"] = {}
        for p in range(len(points)):
            mine = [got.pop((q, lo)) for q, lo, _hi in batches if q == p]
            names = [n for n in mine[0] if n != "metrics"]
            # One table at a time, letting go of its batch parts as soon as it is
            # joined: the peak is one table twice, not every table twice.
            out["tables"][p] = {n: pd.concat([b.pop(n) for b in mine], ignore_index=True) for n in names}
    return out


def reps_setting(reps, options: RunOptions) -> tuple[int | None, bool]:
    """(reps to run at most or None for the scenario's, whether the ``auto`` rule applies)."""
    if reps == "auto":
        return options.max_reps, True
    if reps is None:
        return None, False
    if isinstance(reps, bool) or not isinstance(reps, int) or not 1 <= reps <= MAX_REPS:
        raise ScenarioError(f"reps: {reps!r} is not allowed: an integer in [1, {MAX_REPS}] or 'auto'")
    return reps, False


def _stopping(auto: bool, options: RunOptions, res: dict, metrics: pd.DataFrame) -> dict:
    if not auto:
        return {}
    rel = headline.relative_half_width(metrics)
    return {
        "stopping": {
            "rule": "95% half-width of the headline mean <= ci x |mean|, every follower",
            "ci": options.ci,
            "min_reps": options.min_reps,
            "converged": res["converged"],
            "relative_half_width": rel,
        }
    }


@dataclass
class RunOutput:
    """What :func:`run_scenario` returns.

    ``tables`` (name -> DataFrame) when the run was in memory; ``out`` (the store
    folder, tables consolidated as parquet files there) when it streamed;
    ``notes``: what resuming found (damaged parts recomputed, a store that was
    already complete), one line each.
    """

    params: Any
    summary: dict
    metrics: pd.DataFrame
    tables: dict[str, pd.DataFrame] | None = None
    out: Path | None = None
    notes: list[str] = field(default_factory=list)

    def results(self) -> Results:
        """The run as :class:`~sim.results.Results` (read from the store if it streamed)."""
        if self.tables is not None:
            return Results.from_tables(self.tables, self.summary, self.metrics)
        from .results import load_results

        return load_results(self.out)


def run_scenario(
    scenario=None,
    *,
    reps: int | str | None = None,
    seed: int | None = None,
    years: float | None = None,
    overrides: Mapping[str, Any] | None = None,
    options: RunOptions | None = None,
    figures: bool = False,
) -> RunOutput:
    """Run a scenario: the pipeline behind :func:`run` and ``python -m sim run``.

    With ``options.out`` the finished batches stream into a result store there
    (memory stays flat: only per-rep headline figures are kept; the tables go
    to disk part by part and are then consolidated into ``events.parquet``, ...),
    and ``options.resume`` continues it (a complete store is left as it is and
    returned). The folder is locked while the run writes, and earlier results in
    it are replaced only once the new ones are complete, ``figures`` (PNGs)
    included (:mod:`sim.output_folder`). Otherwise the tables stay in memory.
    Parameters as :func:`run`.
    """
    options = options or RunOptions()
    n, auto = reps_setting(reps, options)
    over = dict(overrides or {})
    params = resolve(scenario, n, seed, years, over)
    n = params.run.reps
    if options.out is None:
        res = execute([params], n, options, collect=True, auto=auto)
        metrics = res["metrics"].drop(columns="point")
        summary = make_summary(
            params, metrics, res["history"], at_year=options.at_year, **_stopping(auto, options, res, metrics)
        )
        return RunOutput(params, summary, metrics, tables=res["tables"][0])
    out = Path(options.out)
    spec = {
        "scenario": params.name,
        "params": params.model_dump(mode="json"),
        "overrides": over,
        "seed": params.run.seed,
        "reps": "auto" if auto else n,
        "auto": {"ci": options.ci, "min_reps": options.min_reps} if auto else None,
        "max_reps": n,
        "batch": batch_size(n) if options.batch is None else options.batch,
        "at_year": options.at_year,
    }
    # Everything above is validated before the folder is touched; `writing` locks it and
    # puts the new results in place only once they are complete (sim.output_folder).
    with output_folder.writing(out, resume=options.resume, force=options.force) as target:
        store = Store.open(target.work, "run", spec, package_version(), resume=target.resume)
        if store.complete:  # resuming a finished run: nothing to do
            summary = store.manifest.get("summary") or json.loads(store.output("summary.json").read_text())
            metrics = pd.read_parquet(store.output("metrics.parquet"))
            return RunOutput(params, summary, metrics, out=out, notes=store.notes)
        res = execute([params], n, options, store=store, auto=auto)
        metrics = res["metrics"].drop(columns="point")
        summary = make_summary(
            params, metrics, res["history"], at_year=options.at_year, **_stopping(auto, options, res, metrics)
        )
        names = [name for name in store.table_names() if name != "metrics"]
        # one thread per table: pyarrow reads and writes without holding the GIL
        with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
            ok = list(pool.map(store.consolidate, names))
        consolidated = [name for name, done in zip(names, ok) if done]
        store.write_output("metrics.parquet", parquet_bytes(metrics))
        store.write_output("summary.json", json.dumps(summary, indent=2, default=str).encode())
        store.set(summary=_canonical_summary(summary), consolidated=consolidated)
        if figures:
            from .results import save_store_figures

            save_store_figures(target.work, summary)
        store.set(complete=True)
        for name in consolidated:  # the consolidated file replaces its parts (half the disk)
            for f in store.files(name):
                f.unlink(missing_ok=True)
    return RunOutput(params, summary, metrics, out=out, notes=store.notes)


def _canonical_summary(summary: dict) -> dict:
    """The summary as the manifest keeps it (JSON values: dates as text)."""
    return json.loads(json.dumps(summary, default=str))


def run(
    scenario=None,
    *,
    reps: int | str | None = None,
    seed: int | None = None,
    years: float | None = None,
    overrides: Mapping[str, Any] | None = None,
    options: RunOptions | None = None,
    **kw,
) -> Results:
    """Run a scenario and return its :class:`~sim.results.Results`.

    Parameters
    ----------
    scenario : str, path, dict or params, optional
        A scenario name (see ``python -m sim list``), a TOML path, raw data, or
        validated params; default the installed default scenario.
    reps : int or "auto"
        Override the scenario's ``run.reps``. ``"auto"``: run batches until the
        95% interval of the headline metric is within ``options.ci`` of its
        mean (see :mod:`sim.headline`), at most ``options.max_reps``.
    seed, years : optional
        Override the scenario's ``run.seed`` and ``years`` (years).
    overrides : mapping
        Dotted keys, e.g. ``{"teams.leader.diagnosis": 0.5}``.
    options : RunOptions, optional
        Where and how to run (workers, Dask, progress, a result store in
        ``out``...). Results do not depend on them.
    **kw
        More overrides with ``__`` for dots: ``teams__leader__diagnosis=0.5``.
    """
    settings = sorted(set(kw) & set(RunOptions.model_fields))
    if settings:  # a common slip: execution settings are options, not parameters
        raise ScenarioError(
            f"{settings[0]}: is an execution setting, not a parameter: pass "
            f"options=sim.RunOptions({settings[0]}=...)"
        )
    over = dict(overrides or {})
    over.update({k.replace("__", "."): v for k, v in kw.items()})
    done = run_scenario(scenario, reps=reps, seed=seed, years=years, overrides=over, options=options)
    return done.results()
