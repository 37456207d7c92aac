"""Scenario comparison: the same seed and reps for each scenario, side by side.

Each scenario (a name or path, optionally with overrides: on the command line
``chatgpt_race@teams.late_follower.diagnosis=0``) is run with the same root
seed and replications, so variants of one scenario share their world draws
(common random numbers) and differ by their parameters, not by noise.

The table has one row per follower and figure and one column per scenario:

- ``headline``: months behind at the headline window (:mod:`sim.headline`),
  mean [95% CI];
- ``end``: months behind at the horizon, median [5%, 95%] across reps;
- ``widened``: share of reps whose gap widened, [95% Wilson CI].

``compare.csv`` holds the numbers in tidy form (scenario, follower, figure
columns); ``compare_gap.png`` overlays the scenarios' months behind.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import plots, runner
from .options import RunOptions
from .scenario import ScenarioError


def run_compare(
    labels,
    variants,
    *,
    reps=None,
    seed=None,
    years=None,
    options: RunOptions | None = None,
    out=None,
) -> dict:
    """Run each ``(scenario, overrides)`` of ``variants``; ``labels`` name them.

    Every variant runs in memory on one executor (a Dask cluster starts once);
    ``out``, if given, is checked before anything runs (the tables are written by
    :func:`write_compare`). Returns ``{"labels", "summaries": {label: summary},
    "gaps": {label: gap table}, "table": tidy DataFrame}``.
    """
    options = options or RunOptions()
    if options.out is not None:
        raise ScenarioError("out: compare keeps its runs in memory; give out to write_compare")
    if len(set(labels)) != len(labels):
        raise ScenarioError(f"compare: {list(labels)!r} names a scenario twice; give each once")
    if len(labels) < 2:
        raise ScenarioError("compare: give at least two scenarios (or variants with @key=value)")
    if out is not None:
        check_out_dir(out)
    # validate them all first: a typo in the last one should not cost the runs before it
    for name, over in variants:
        runner.resolve(name, reps, seed, years, over)
    summaries, gaps, rows = {}, {}, []
    with runner.open_executor(options) as opts:
        for label, (name, over) in zip(labels, variants):
            res = runner.run(name, reps=reps, seed=seed, years=years, overrides=over, options=opts)
            summaries[label] = res.summary
            gaps[label] = res.gap[["rep", "t_days", "follower", "leader", "months_behind"]]
            for f in res.summary["followers"]:
                rows.append({"scenario": label, **f})
    return {"labels": list(labels), "summaries": summaries, "gaps": gaps, "table": pd.DataFrame(rows)}


def check_out_dir(out) -> None:
    """A folder results can be written to: absent, or a folder (not a file)."""
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise ScenarioError(f"out: {str(p)!r} is not allowed: it is a file, not a folder")
    for parent in p.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ScenarioError(f"out: {str(p)!r} is not allowed: {str(parent)!r} is a file")
            break


def _fmt(v, lo, hi, pct=False) -> str:
    f = (lambda x: f"{x:.0%}") if pct else (lambda x: f"{x:.1f}")
    if pd.isna(v):
        return "n/a"
    return f"{f(v)} [{f(lo)}, {f(hi)}]" if not (pd.isna(lo) or pd.isna(hi)) else f(v)


def side_by_side(res: dict) -> pd.DataFrame:
    """Rows (follower, figure), one column per scenario, formatted text."""
    t = res["table"]
    figures = {
        "headline mean [95% CI]": lambda r: _fmt(r["headline_mean"], r["headline_lo"], r["headline_hi"]),
        "end median [5%, 95%]": lambda r: _fmt(r["end_median"], r["end_q05"], r["end_q95"]),
        "widened [95% CI]": lambda r: _fmt(
            r["share_widened"], r["share_widened_lo"], r["share_widened_hi"], True
        ),
    }
    rows = []
    for fol in sorted(t["follower"].unique()):
        for name, fn in figures.items():
            row = {"follower": fol, "figure": name}
            for label in res["labels"]:
                hit = t[(t["scenario"] == label) & (t["follower"] == fol)]
                row[label] = fn(hit.iloc[0]) if len(hit) else "-"
            rows.append(row)
    return pd.DataFrame(rows).set_index(["follower", "figure"])


def format_compare(res: dict) -> str:
    """The printed comparison: a title line (headline window, reps, seed), then one column
    per scenario (:func:`side_by_side`).
    """
    s0 = next(iter(res["summaries"].values()))
    hl = s0.get("headline", {})
    title = (
        f"months behind the leader; headline = mean over months {hl.get('start_month', 0):g}-"
        f"{hl.get('end_month', 0):g}; {s0['reps']} reps, seed {s0['seed']} for every scenario"
    )
    return title + "\n" + side_by_side(res).to_string()


def write_compare(res: dict, out, figures: bool = True) -> Path:
    """Write ``compare.csv`` (tidy), ``compare.txt`` and, with ``figures``, ``compare_gap.png``
    (months behind, the scenarios overlaid) into ``out``; return that folder.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    res["table"].to_csv(out / "compare.csv", index=False)
    (out / "compare.txt").write_text(format_compare(res) + "\n")
    if figures:
        starts = {s["start_date"] for s in res["summaries"].values()}
        start = starts.pop() if len(starts) == 1 else None
        plots.save_figure(plots.plot_compare_gap(res["gaps"], start_date=start), out / "compare_gap.png")
    return out
