"""Sensitivity of the headline metric: one-at-a-time tornado and Sobol indices.

Parameters and ranges
---------------------
``--params k1,k2=lo:hi,...`` names dotted keys of numeric parameters. A key
given as ``k=lo:hi`` uses that range; otherwise the default range is

=====================  ====================================================
rule                   range
=====================  ====================================================
default                the scenario's value x [0.5, 1.5] (+-50%)
schema bounds          clipped to the field's bounds in the model's schema
                       (e.g. a probability to [0, 1]; an exclusive bound is
                       kept 1% of the range inside)
integer fields         rounded to integers
value 0                no default: give ``k=lo:hi``
=====================  ====================================================

The rule is domain-free on purpose (``sim/`` knows no model): it reads the
bounds from the pydantic schema, so it works for any registered model.

Output metric
-------------
The headline metric (:mod:`sim.headline`: months behind, mean over months
54-60 by default) of one follower (``--follower``, default the first
follower in the scenario), averaged over ``reps`` replications with the same
seed at every point (common random numbers: the analysis sees parameter
effects, not seed noise).

Methods and default sizes (chosen to finish in about a minute or two on 2 cores
for 3 parameters of the default scenario at 10 years)
------------------------------------------------------------------------------
- **One at a time** (tornado): the baseline and each parameter at its low and
  high end, the others at the scenario's values: ``1 + 2 D`` points.
- **Sobol** first- and total-order indices through SALib: Sobol' sequence
  sample (``SALib.sample.sobol``, ``calc_second_order=False``, ``n`` = 16 base
  samples by default, a power of two, seeded) and ``SALib.analyze.sobol``
  with 95% bootstrap confidence (seeded): ``n (D + 2)`` points.
- ``reps`` = 4 replications per point by default.

With D = 3: 7 + 80 = 87 points x 4 reps = 348 replications.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import headline, plots, runner
from .options import RunOptions
from .results import package_version
from .scenario import ScenarioError, parse_value
from .store import Store

DEFAULT_N = 16
DEFAULT_REPS = 4
DEFAULT_SPREAD = 0.5


# -- parameters and ranges ---------------------------------------------------------
def value_at(params, key: str):
    """The value of a dotted key in validated params (ScenarioError if absent)."""
    node: Any = params.model_dump(mode="json")
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ScenarioError(
                f"params: {key} is not a parameter of this scenario; "
                "check the spelling against 'python -m sim show'"
            )
        node = node[part]
    return node


def schema_bounds(params, key: str) -> dict:
    """``minimum``/``maximum``/``exclusiveMinimum``/``exclusiveMaximum`` of a key, from the JSON schema."""
    schema = type(params).model_json_schema()
    defs = schema.get("$defs", {})

    def resolve(node):
        while True:
            if "$ref" in node:
                node = defs[node["$ref"].split("/")[-1]]
            elif "anyOf" in node:  # Optional[...]: the non-null branch
                node = next((b for b in node["anyOf"] if b.get("type") != "null"), node["anyOf"][0])
            elif "allOf" in node and len(node["allOf"]) == 1:
                node = node["allOf"][0]
            else:
                return node

    node = resolve(schema)
    for part in key.split("."):
        props = node.get("properties", {})
        if part in props:
            node = resolve(props[part])
        elif isinstance(node.get("additionalProperties"), dict):
            node = resolve(node["additionalProperties"])
        else:
            return {}
    return {k: node[k] for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum") if k in node}


def default_range(params, key: str) -> tuple[float, float]:
    """The scenario value +-50%, clipped to the schema's bounds (see module docstring)."""
    v = value_at(params, key)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ScenarioError(f"params: {key} = {v!r} is not allowed: only numeric parameters have a range")
    if v == 0:
        raise ScenarioError(
            f"params: {key} is 0 in the scenario, so it has no default range; give {key}=lo:hi"
        )
    lo, hi = sorted((v * (1 - DEFAULT_SPREAD), v * (1 + DEFAULT_SPREAD)))
    b = schema_bounds(params, key)
    lo = max(lo, b.get("minimum", -math.inf))
    hi = min(hi, b.get("maximum", math.inf))
    span = hi - lo
    if "exclusiveMinimum" in b and lo <= b["exclusiveMinimum"]:
        lo = b["exclusiveMinimum"] + 0.01 * span
    if "exclusiveMaximum" in b and hi >= b["exclusiveMaximum"]:
        hi = b["exclusiveMaximum"] - 0.01 * span
    if isinstance(v, int):
        lo, hi = math.ceil(lo), math.floor(hi)
    else:  # 0.30000000000000004 -> 0.3
        lo, hi = float(f"{lo:.12g}"), float(f"{hi:.12g}")
    if not lo < hi:
        raise ScenarioError(f"params: {key} = {v!r} has an empty default range; give {key}=lo:hi")
    return lo, hi


def parse_params(text: str | Sequence[str], params) -> list[tuple[str, float, float]]:
    """``"k1,k2=lo:hi"`` -> ``[(key, lo, hi), ...]`` with default ranges filled in."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out = []
    for item in items:
        key, sep, rng = item.strip().partition("=")
        key = key.strip()
        if not key:
            raise ScenarioError(f"params: {text!r} is not allowed: use k1,k2=lo:hi,...")
        if sep:
            bits = rng.split(":")
            vals = [parse_value(b.strip()) for b in bits]
            if len(bits) != 2 or not all(
                isinstance(x, (int, float)) and not isinstance(x, bool) for x in vals
            ):
                raise ScenarioError(
                    f"params: {item.strip()!r} is not allowed: a range is {key}=lo:hi with numbers"
                )
            lo, hi = vals
            if not lo < hi:
                raise ScenarioError(f"params: {item.strip()!r} is not allowed: {key} needs lo < hi")
            value_at(params, key)  # the key must exist
        else:
            lo, hi = default_range(params, key)
        out.append((key, lo, hi))
    keys = [k for k, _, _ in out]
    if len(set(keys)) != len(keys):
        raise ScenarioError(f"params: {text!r} names a parameter twice")
    return out


def _cast(params, key: str, x: float):
    return int(round(x)) if isinstance(value_at(params, key), int) else float(x)


# -- Sobol through SALib -----------------------------------------------------------
def sobol_sample(problem: dict, n: int = DEFAULT_N, seed: int = 0) -> np.ndarray:
    """SALib Sobol' sequence sample, ``n (D + 2)`` rows (no second-order terms)."""
    from SALib.sample import sobol as sobol_sample_mod

    if isinstance(n, bool) or not isinstance(n, int) or n < 2 or n & (n - 1):
        raise ScenarioError(f"n: {n!r} is not allowed: a power of two >= 2 (Sobol' sequences need it)")
    return sobol_sample_mod.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)


def sobol_analyze(problem: dict, y: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """First/total-order indices and 95% bootstrap half-widths: ``param, S1, S1_conf, ST, ST_conf``."""
    from SALib.analyze import sobol as sobol_analyze_mod

    y = np.asarray(y, dtype=float)
    if not np.isfinite(y).all():
        raise ScenarioError(
            f"sensitivity: the metric is undefined (NaN) at {int((~np.isfinite(y)).sum())} "
            "of the sample points; choose a follower or window where months behind is defined"
        )
    # SALib seeds its bootstrap only for a truthy seed (`if seed:`), so 0 would
    # leave the intervals to the global RNG: shift by one to keep them reproducible.
    si = sobol_analyze_mod.analyze(
        problem, y, calc_second_order=False, conf_level=0.95, print_to_console=False, seed=seed + 1
    )
    return pd.DataFrame(
        {
            "param": problem["names"],
            "S1": si["S1"],
            "S1_conf": si["S1_conf"],
            "ST": si["ST"],
            "ST_conf": si["ST_conf"],
        }
    )


def sobol_indices(
    problem: dict, evaluate: Callable[[np.ndarray], np.ndarray], n: int = DEFAULT_N, seed: int = 0
) -> pd.DataFrame:
    """Sample, evaluate (rows of X -> Y) and analyse: the path the simulator uses too."""
    x = sobol_sample(problem, n, seed)
    return sobol_analyze(problem, evaluate(x), seed)


# -- the simulator's sensitivity ---------------------------------------------------
def run_sensitivity(
    scenario,
    params: str | Sequence[str],
    *,
    n: int = DEFAULT_N,
    reps: int = DEFAULT_REPS,
    seed: int | None = None,
    years: float | None = None,
    follower: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    sample_seed: int = 0,
    sobol: bool = True,
    figures: bool = True,
    options: RunOptions | None = None,
) -> dict:
    """One-at-a-time and Sobol sensitivity of one follower's headline metric.

    Returns ``{"oat", "baseline", "sobol", "ranges", "follower", "label", "points"}``;
    with ``options.out`` writes a store plus ``oat.csv``, ``sobol.csv``,
    ``tornado.png``, ``sobol.png``.
    """
    options = options or RunOptions()
    at_year = options.at_year
    base = runner.resolve(scenario, DEFAULT_REPS if reps is None else reps, seed, years, overrides)
    ranges = parse_params(params, base)
    followers = [t for t in base.teams if t != base.leader]
    follower = follower or followers[0]
    if follower not in followers:
        raise ScenarioError(f"follower: {follower!r} is not allowed: one of {', '.join(followers)}")
    keys = [k for k, _, _ in ranges]
    points: list[dict] = [{}]
    for k, lo, hi in ranges:
        points += [{k: _cast(base, k, lo)}, {k: _cast(base, k, hi)}]
    problem = {"num_vars": len(keys), "names": keys, "bounds": [[lo, hi] for _, lo, hi in ranges]}
    x = sobol_sample(problem, n, sample_seed) if sobol else np.empty((0, len(keys)))
    points += [{k: _cast(base, k, v) for k, v in zip(keys, row)} for row in x]
    from .sweep import validate_points

    pts = validate_points(base, points)
    store = None
    if options.out is not None:
        spec = {
            "scenario": base.name,
            "params": base.model_dump(mode="json"),
            "overrides": dict(overrides or {}),
            "seed": base.run.seed,
            "reps": base.run.reps,
            "ranges": ranges,
            "n": n,
            "sample_seed": sample_seed,
            "sobol": sobol,
            "follower": follower,
            "points": points,
            "at_year": at_year,
        }
        store = Store.open(options.out, "sensitivity", spec, package_version(), resume=options.resume)
    # one job per point: a point's reps are few, and its mean is what is analysed
    res = runner.execute(
        pts,
        base.run.reps,
        options.replace(batch=base.run.reps),
        store=store,
        keep_tables=False,
        desc=f"sensitivity {base.name}",
    )
    result = analyse(
        res["metrics"],
        points,
        ranges,
        follower,
        n,
        sample_seed,
        sobol,
        f"{follower}: {headline.headline_label(base.years, at_year)}",
    )
    if options.out is not None:
        write_sensitivity(result, Path(options.out), figures)
        store.set(complete=True)
    return result


def analyse(
    metrics: pd.DataFrame,
    points: list[dict],
    ranges,
    follower: str,
    n: int,
    sample_seed: int,
    sobol: bool,
    label: str,
) -> dict:
    """Tornado table and Sobol indices from the per-rep figures of every point
    (point 0 the baseline, then low/high per parameter, then the Sobol sample)."""
    m = metrics
    keys = [k for k, _, _ in ranges]
    problem = {"num_vars": len(keys), "names": keys, "bounds": [[lo, hi] for _, lo, hi in ranges]}
    n_oat = 1 + 2 * len(ranges)
    y = (
        m[m["follower"] == follower]
        .groupby("point")["headline_months"]
        .mean()
        .reindex(range(len(points)))
        .to_numpy()
    )
    result = {
        "baseline": float(y[0]),
        "follower": follower,
        "ranges": ranges,
        "points": points,
        "label": label,
        "oat": pd.DataFrame(
            [
                {"param": k, "lo": lo, "hi": hi, "y_lo": y[1 + 2 * i], "y_hi": y[2 + 2 * i]}
                for i, (k, lo, hi) in enumerate(ranges)
            ]
        ),
    }
    result["oat"]["swing"] = (result["oat"]["y_hi"] - result["oat"]["y_lo"]).abs()
    result["sobol"] = sobol_analyze(problem, y[n_oat:], sample_seed) if sobol else None
    return result


def load_sensitivity(out) -> dict:
    """Re-analyse a sensitivity store (all its points must be finished)."""
    st = Store.read(out)
    spec = st.manifest["spec"]
    metrics = st.table("metrics", with_point=True)
    missing = len(spec["points"]) - metrics["point"].nunique()
    if missing:
        raise ScenarioError(f"plot: {str(out)!r} is unfinished ({missing} points missing); resume it first")
    ranges = [tuple(r) for r in spec["ranges"]]
    years = spec["params"]["years"]
    label = (
        f"{spec['follower']}: {headline.headline_label(years, spec.get('at_year', headline.DEFAULT_AT_YEAR))}"
    )
    return analyse(
        metrics,
        spec["points"],
        ranges,
        spec["follower"],
        spec["n"],
        spec["sample_seed"],
        spec["sobol"],
        label,
    )


def write_sensitivity(result: dict, out: Path, figures: bool = True) -> None:
    """Write ``oat.csv`` and, when Sobol indices were computed, ``sobol.csv`` into ``out``;
    with ``figures`` also ``tornado.png`` and ``sobol.png``.
    """
    result["oat"].to_csv(out / "oat.csv", index=False)
    if result["sobol"] is not None:
        result["sobol"].to_csv(out / "sobol.csv", index=False)
    if figures:
        plots.save_figure(
            plots.plot_tornado(result["oat"], result["baseline"], result["label"]), out / "tornado.png"
        )
        if result["sobol"] is not None:
            plots.save_figure(plots.plot_sobol(result["sobol"], result["label"]), out / "sobol.png")


def format_sensitivity(result: dict) -> str:
    """The printed analysis: the baseline, the one-at-a-time swings (largest first) and,
    when computed, the Sobol S1 and ST indices with their 95% half-widths.
    """
    lines = [
        f"{result['label']}; baseline {result['baseline']:.2f}",
        "one at a time (metric at the low / high end of each range):",
    ]
    for _, r in result["oat"].sort_values("swing", ascending=False).iterrows():
        lines.append(
            f"  {r['param']:<40} [{r['lo']:g}, {r['hi']:g}]  {r['y_lo']:8.2f} / {r['y_hi']:8.2f}"
            f"  swing {r['swing']:.2f}"
        )
    if result["sobol"] is not None:
        lines.append("Sobol indices (95% half-width):")
        for _, r in result["sobol"].iterrows():
            lines.append(
                f"  {r['param']:<40} S1 {r['S1']:6.3f} +- {r['S1_conf']:.3f}   "
                f"ST {r['ST']:6.3f} +- {r['ST_conf']:.3f}"
            )
    return "\n".join(lines)
