"""Identity check for speed work: the LLM scenarios' tables, bit for bit.

Runs every LLM scenario (and ``frontier_2023`` also at 2 years) in this
process with ``sim.runner.run(name, reps=3, seed=S)`` and saves every table
(``events``, ``trajectories``, ``gap``, ``staircase``, ``metrics`` and the
model's ``tables``) as parquet under a folder; ``compare`` reports every
difference between two such folders. Floats are compared bit for bit (their
int64 views: a NaN equals a NaN of the same bits, -0.0 differs from 0.0),
everything else with exact equality::

    PYTHONPATH=. python benchmarks/identity.py save /tmp/ident_speed/before
    PYTHONPATH=. python benchmarks/identity.py save /tmp/ident_speed/after
    python benchmarks/identity.py compare /tmp/ident_speed/before /tmp/ident_speed/after

``compare`` exits 1 if any table differs (or is missing), 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

#: (label, scenario, years or None for the scenario's own horizon)
CASES = (
    ("chatgpt_race", "chatgpt_race", None),
    ("cheap_chat_model", "cheap_chat_model", None),
    ("know_how_price", "know_how_price", None),
    ("open_source_era", "open_source_era", None),
    ("step_by_step_vs_burn_money", "step_by_step_vs_burn_money", None),
    ("talent_and_decisions", "talent_and_decisions", None),
    ("frontier_2023", "frontier_2023", None),
    ("frontier_2023_2y", "frontier_2023", 2.0),
)
SEED = 20261201
REPS = 3


def tables_of(res) -> dict[str, pd.DataFrame]:
    out = {
        "events": res.events,
        "trajectories": res.trajectories,
        "gap": res.gap,
        "staircase": res.staircase,
    }
    if res.metrics is not None:
        out["metrics"] = res.metrics
    for name, t in res.tables.items():
        out[f"tables.{name}"] = t
    return out


def save(folder: Path, only: list[str] | None = None) -> None:
    from sim.options import RunOptions
    from sim.runner import run

    folder.mkdir(parents=True, exist_ok=True)
    for label, scenario, years in CASES:
        if only and label not in only:
            continue
        res = run(scenario, reps=REPS, seed=SEED, years=years, options=RunOptions(workers=1, progress=False))
        for name, t in tables_of(res).items():
            t.to_parquet(folder / f"{label}.{name}.parquet")
        print(f"{label}: {', '.join(f'{n} {len(t)}' for n, t in tables_of(res).items())}", flush=True)


def differences(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    """Every difference between two tables, as short sentences (empty if identical)."""
    if list(a.columns) != list(b.columns):
        return [f"columns {list(a.columns)} != {list(b.columns)}"]
    if len(a) != len(b):
        return [f"rows {len(a)} != {len(b)}"]
    out = []
    if not a.index.equals(b.index):
        out.append("index differs")
    for col in a.columns:
        x, y = a[col], b[col]
        if x.dtype != y.dtype:
            out.append(f"{col}: dtype {x.dtype} != {y.dtype}")
            continue
        if x.dtype.kind == "f":
            xv = np.ascontiguousarray(x.to_numpy()).view(np.int64)
            yv = np.ascontiguousarray(y.to_numpy()).view(np.int64)
            bad = np.flatnonzero(xv != yv)
        else:
            xa, ya = x.to_numpy(), y.to_numpy()
            eq = np.array([(p == q) or (p is q) or (p != p and q != q) for p, q in zip(xa, ya)], bool)
            bad = np.flatnonzero(~eq)
        if len(bad):
            i = bad[0]
            out.append(f"{col}: {len(bad)} rows differ, first row {i}: {x.iloc[i]!r} != {y.iloc[i]!r}")
    return out


def compare(a: Path, b: Path) -> int:
    names_a = {p.name for p in a.glob("*.parquet")}
    names_b = {p.name for p in b.glob("*.parquet")}
    n_diff = 0
    for name in sorted(names_a ^ names_b):
        print(f"{name}: only in {'first' if name in names_a else 'second'}")
        n_diff += 1
    both = sorted(names_a & names_b)
    for name in both:
        diffs = differences(pd.read_parquet(a / name), pd.read_parquet(b / name))
        for d in diffs:
            print(f"{name}: {d}")
        n_diff += bool(diffs)
    print(f"{len(both)} tables compared, {n_diff} differ")
    return 1 if n_diff else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("save")
    s.add_argument("folder", type=Path)
    s.add_argument("--only", nargs="*", help="case labels (default all)")
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = ap.parse_args(argv)
    if args.cmd == "save":
        save(args.folder, args.only)
        return 0
    return compare(args.a, args.b)


if __name__ == "__main__":
    sys.exit(main())
