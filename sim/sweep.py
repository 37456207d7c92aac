"""Parameter sweeps: a design of points over dotted keys, run with common random numbers.

Specification (``--vary``, repeatable, one per parameter)
---------------------------------------------------------
- ``key=v1,v2,v3``: the listed values (each parsed as TOML, like ``--set``).
- ``key=lo:hi:n``: ``n`` evenly spaced values from ``lo`` to ``hi`` inclusive
  (integers stay integers when ``lo``, ``hi`` and every value are whole).
- ``key=lo:hi``: a range without a count, for ``--design lhs`` only.

Designs
-------
- ``grid`` (default): every combination of the listed values.
- ``lhs``: ``samples`` points (default 10) of a Latin hypercube
  (``scipy.stats.qmc.LatinHypercube``, seeded with ``design_seed``, default 0,
  so the design is reproducible); a range maps linearly to ``[lo, hi]``
  (rounded for integer ranges), a value list is sampled by index.

Every point runs the same replications with the same root seed, so rep r sees
the same world draws at every point (common random numbers, DESIGN §5):
differences between points are the parameters', not noise. Each point is
validated before anything runs; a bad specification is a one-line
:class:`~sim.scenario.ScenarioError` (exit status 2 on the command line).

Output (``run_sweep``): a tidy per-rep table (``point``, the varied keys as
columns, ``rep``, ``follower``, the per-rep figures of :mod:`sim.headline`,
headline ``headline_months``) and a per-point summary (mean and 95% interval
of the headline metric), written to the store folder as ``sweep.parquet``,
``sweep_summary.csv`` and ``sweep.png``.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import headline, output_folder, plots, runner
from . import scenario as scenario_mod
from .options import RunOptions
from .results import package_version
from .scenario import MAX_REPS, ScenarioError, parse_value
from .store import Store, parquet_bytes
from .validation import shown

#: Points a sweep may have (each is validated and kept before anything runs).
MAX_POINTS = 10_000

RESERVED = {
    "run.reps": "set reps instead",
    "model": "a sweep stays within one model",
    "name": "not a parameter",
}


class Vary:
    """One ``--vary`` item: a value list or a numeric range ``lo:hi[:n]``."""

    def __init__(self, key: str, values: list | None = None, lo=None, hi=None, n: int | None = None):
        self.key, self.values, self.lo, self.hi, self.n = key, values, lo, hi, n

    @property
    def is_range(self) -> bool:
        """True for a numeric range ``lo:hi[:n]``, False for a list of values."""
        return self.values is None

    def grid_values(self) -> list:
        """The values a grid design runs: the list as given, or ``n`` evenly spaced values
        from lo to hi inclusive (integers when both bounds are). A range without ``n``
        is a :class:`~sim.scenario.ScenarioError`.
        """
        if self.values is not None:  # a list, not a range
            return list(self.values)
        if self.n is None:
            raise ScenarioError(
                f"vary: {self.key}={self.lo}:{self.hi} is not allowed with --design grid: "
                f"give a count, e.g. {self.key}={self.lo}:{self.hi}:5"
            )
        return self.scale(np.linspace(0.0, 1.0, self.n) if self.n > 1 else np.zeros(1))

    def scale(self, u: np.ndarray) -> list:
        """Map unit values to the parameter (a range linearly, a list by index)."""
        if self.values is not None:  # a list, not a range
            idx = np.minimum((np.asarray(u) * len(self.values)).astype(int), len(self.values) - 1)
            return [self.values[i] for i in idx]
        vals = self.lo + np.asarray(u, dtype=float) * (self.hi - self.lo)
        if isinstance(self.lo, int) and isinstance(self.hi, int):
            return [int(round(v)) for v in vals]
        return [float(f"{v:.12g}") for v in vals]  # 0.6000000000000001 -> 0.6


def _number(key: str, text: str, item: str):
    v = parse_value(text.strip())
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ScenarioError(
            f"vary: {item!r} is not allowed: {key} range bounds must be numbers "
            f"(got {text.strip()!r}); use key=lo:hi:n or key=v1,v2,v3"
        )
    return v


def parse_vary(item: str) -> Vary:
    """Parse one ``--vary`` item (see the module docstring); one-line errors."""
    key, sep, text = item.partition("=")
    key, text = key.strip(), text.strip()
    if not sep or not key:
        raise ScenarioError(
            f"vary: {item!r} is not allowed: use key=v1,v2,v3 or key=lo:hi:n, "
            "e.g. --vary teams.leader.diagnosis=0.4:0.9:6"
        )
    if key in RESERVED:
        raise ScenarioError(f"vary: {key} cannot be swept ({RESERVED[key]})")
    if not text:
        raise ScenarioError(f"vary: {item!r} is not allowed: {key} has an empty list of values")
    if ":" in text and not text.startswith(("[", "{", '"', "'")):
        bits = text.split(":")
        if len(bits) not in (2, 3) or not all(b.strip() for b in bits):
            raise ScenarioError(
                f"vary: {item!r} is not allowed: a range is lo:hi:n (or lo:hi with --design lhs)"
            )
        lo, hi = _number(key, bits[0], item), _number(key, bits[1], item)
        if lo > hi:
            raise ScenarioError(f"vary: {item!r} is not allowed: {key} range has lo {lo} > hi {hi}")
        n = None
        if len(bits) == 3:
            n = parse_value(bits[2].strip())
            if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_POINTS:
                raise ScenarioError(
                    f"vary: {shown(item)} is not allowed: {key} range count {shown(bits[2].strip())} "
                    f"must be an integer in [1, {MAX_POINTS}] (an empty range has no points)"
                )
            if n > 1 and lo == hi:
                raise ScenarioError(
                    f"vary: {item!r} is not allowed: {key} range lo = hi = {lo} is empty; "
                    "give lo < hi or a single value"
                )
        return Vary(key, lo=lo, hi=hi, n=n)
    values = [parse_value(v.strip()) for v in _split_list(text)]
    if not values or any(isinstance(v, str) and not v for v in values):
        raise ScenarioError(f"vary: {item!r} is not allowed: {key} has an empty value in its list")
    return Vary(key, values=values)


def _split_list(text: str) -> list[str]:
    """Split on top-level commas (a TOML array or table value keeps its commas)."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += ch in "[{"
        depth -= ch in "]}"
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


def design_points(
    varies: Sequence[Vary], design: str = "grid", samples: int | None = None, design_seed: int = 0
) -> list[dict]:
    """Overrides per point: the grid's combinations, or a Latin hypercube sample."""
    if not varies:
        raise ScenarioError("vary: missing; give at least one, e.g. --vary teams.leader.diagnosis=0.4,0.8")
    keys = [v.key for v in varies]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise ScenarioError(f"vary: {dup[0]} is given more than once; give each key once")
    if design == "grid":
        if samples is not None:
            raise ScenarioError(
                f"samples: {samples!r} is not allowed with --design grid (it sets the lhs size)"
            )
        sizes = [len(v.values) if v.values is not None else (v.n or 1) for v in varies]
        if math.prod(sizes) > MAX_POINTS:
            raise ScenarioError(
                f"vary: the grid has {' x '.join(map(str, sizes))} = {math.prod(sizes)} points; "
                f"at most {MAX_POINTS} are allowed"
            )
        combos = itertools.product(*[v.grid_values() for v in varies])
        return [dict(zip(keys, c)) for c in combos]
    if design == "lhs":
        from scipy.stats import qmc

        n = 10 if samples is None else samples
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_POINTS:
            raise ScenarioError(
                f"samples: {shown(n)} is not allowed: must be an integer in [1, {MAX_POINTS}]"
            )
        u = qmc.LatinHypercube(d=len(varies), seed=design_seed).random(n)
        cols = [v.scale(u[:, j]) for j, v in enumerate(varies)]
        return [dict(zip(keys, vals)) for vals in zip(*cols)]
    raise ScenarioError(f"design: {design!r} is not allowed: grid or lhs")


def validate_points(base, points: list[dict]) -> list:
    """Validated params per point (a bad key or value fails before anything runs)."""
    out = []
    base_data = base.model_dump(mode="json")
    for over in points:
        try:
            out.append(scenario_mod.load(base_data, over))
        except ScenarioError as exc:
            shown = ", ".join(f"{k}={v!r}" for k, v in over.items())
            raise ScenarioError(f"vary: at point ({shown}): {exc}") from None
    return out


def tidy(metrics: pd.DataFrame, points: list[dict]) -> pd.DataFrame:
    """Per-rep figures with the varied parameters as columns (after ``point``)."""
    keys = list(points[0])
    design = pd.DataFrame(points, columns=keys)
    design.insert(0, "point", range(len(points)))
    return design.merge(metrics, on="point", how="right")


def summarise_points(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per point and follower: the summary of :func:`sim.headline.summarise_metrics`
    (reps, mean, sd and 95% interval of the headline metric, ...), the varied keys
    as columns after ``point``."""
    if table.empty:  # a leader-only model (no followers): nothing to summarise per point
        cols = ["point", *keys, "follower", "reps", "headline_mean", "headline_lo", "headline_hi"]
        return pd.DataFrame({c: pd.Series(dtype=float) for c in cols})
    summary = headline.summarise_metrics(table, by=("point", "follower"))
    design = table.drop_duplicates("point")[["point", *keys]]
    out = design.merge(summary, on="point", how="right")
    return out[["point", *keys, *[c for c in summary.columns if c != "point"]]]


def run_sweep(
    scenario,
    vary: Sequence[str | Vary],
    *,
    design: str = "grid",
    samples: int | None = None,
    design_seed: int = 0,
    reps: int | None = None,
    seed: int | None = None,
    years: float | None = None,
    overrides: Mapping[str, Any] | None = None,
    keep_tables: bool = True,
    figures: bool = True,
    options: RunOptions | None = None,
) -> dict:
    """Run a sweep; returns ``{"table", "summary", "points", "keys", "out", "label"}``.

    ``vary`` items are ``--vary`` strings or :class:`Vary`. With ``options.out``,
    every finished batch of every point is written to a store there (see
    :mod:`sim.store`) and ``options.resume`` continues it. ``reps`` defaults to
    the scenario's ``run.reps``.
    """
    options = options or RunOptions()
    varies = [v if isinstance(v, Vary) else parse_vary(v) for v in vary]
    points = design_points(varies, design, samples, design_seed)
    base = runner.resolve(scenario, reps, seed, years, overrides)
    n = base.run.reps
    check_size(len(points), n)
    params = validate_points(base, points)
    label = headline.headline_label(base.years, options.at_year)
    keys = [v.key for v in varies]

    def finish(res: dict) -> dict:
        table = tidy(res["metrics"], points)
        summary = summarise_points(table, keys)
        return {
            "table": table,
            "summary": summary,
            "points": points,
            "keys": keys,
            "out": options.out,
            "label": label,
            "model": base.model,
            "years": base.years,
        }

    desc = f"sweep {base.name}"
    if options.out is None:
        return finish(runner.execute(params, n, options, keep_tables=keep_tables, desc=desc))
    spec = {
        "scenario": base.name,
        "params": base.model_dump(mode="json"),
        "overrides": dict(overrides or {}),
        "seed": base.run.seed,
        "reps": n,
        "design": design,
        "samples": samples,
        "design_seed": design_seed,
        "vary": keys,
        "points": points,
        "batch": options.batch,
        "at_year": options.at_year,
        "keep_tables": keep_tables,
    }
    with output_folder.writing(options.out, resume=options.resume, force=options.force) as target:
        store = Store.open(target.work, "sweep", spec, package_version(), resume=target.resume)
        if store.complete:  # resuming a finished sweep: nothing to do
            return {**load_sweep(target.work), "out": options.out, "notes": store.notes}
        result = finish(runner.execute(params, n, options, store=store, keep_tables=keep_tables, desc=desc))
        write_sweep(result, target.work, figures=figures, store=store)
        store.set(complete=True)
    return {**result, "notes": store.notes}


def check_size(points: int, reps: int) -> None:
    """Refuse, before anything is allocated, more than :data:`sim.scenario.MAX_REPS`
    replications in all (points x reps)."""
    if points * reps > MAX_REPS:
        raise ScenarioError(
            f"reps: {points} points x {reps} reps = {points * reps} replications is not allowed: "
            f"at most {MAX_REPS} in all"
        )


def _for_figure(summary: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Text values shown in a figure with ``$`` escaped (matplotlib reads ``$...$`` as mathtext)."""
    out = summary.copy()
    for k in keys:
        if out[k].dtype == object:
            out[k] = out[k].map(lambda v: v.replace("$", r"\$") if isinstance(v, str) else v)
    return out


def draw_sweep(result: dict, out: Path) -> Path:
    """``sweep.png``: the headline metric per point (see :func:`sim.plots.plot_sweep`)."""
    fig = plots.plot_sweep(_for_figure(result["summary"], result["keys"]), result["keys"], result["label"])
    plots.save_figure(fig, out / "sweep.png")
    return out / "sweep.png"


def write_sweep(result: dict, out: Path, figures: bool = True, store: Store | None = None) -> None:
    """``sweep.parquet`` (per rep), ``sweep_summary.csv`` (per point), ``sweep.json`` and
    ``sweep.png``; recorded in ``store``'s manifest when given."""
    files = {
        "sweep.parquet": parquet_bytes(result["table"]),
        "sweep_summary.csv": result["summary"].to_csv(index=False).encode(),
        "sweep.json": json.dumps(
            {"keys": result["keys"], "points": result["points"], "label": result["label"]},
            indent=1,
            default=str,
        ).encode(),
    }
    for name, data in files.items():
        if store is not None:
            store.write_output(name, data)
        else:
            (Path(out) / name).write_bytes(data)
    if figures:
        if len(result["summary"]):  # a leader-only model has no headline to draw
            draw_sweep(result, Path(out))
        if store is not None and store.manifest["spec"].get("keep_tables", True):
            from . import registry

            model = registry.get_model(result.get("model") or store.manifest["spec"]["params"]["model"])
            for name, fig in model.sweep_figures(
                result, lambda t: store.table(t, None, with_point=True)
            ).items():
                plots.save_figure(fig, Path(out) / name)


def load_sweep(out) -> dict:
    """A sweep store's per-rep table and summary (finished parts only if interrupted)."""
    st = Store.read(out)
    spec = st.manifest["spec"]
    points = spec["points"]
    metrics = st.table("metrics", with_point=True)
    table = tidy(metrics, points)
    keys = list(spec["vary"])
    years = spec["params"]["years"]
    return {
        "table": table,
        "summary": summarise_points(table, keys),
        "points": points,
        "keys": keys,
        "out": out,
        "label": headline.headline_label(years, spec.get("at_year", headline.DEFAULT_AT_YEAR)),
    }
