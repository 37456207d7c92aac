"""Benchmark of running at scale: local workers, Dask, and memory as reps grow.

Run from the repository root::

    python benchmarks/bench_scale.py                 # full: 1,000 reps per speed run, 200 vs 2,000 for memory
    python benchmarks/bench_scale.py --quick         # smoke check: 40 reps, 20 vs 80, 2 years

Every figure comes from a fresh subprocess that calls
``sim.runner.run_to_store("chatgpt_race", tmpdir, reps=R, ...)``: the path of
``python -m sim run --no-plots`` (replications in batches of 10 on the
executor, each batch's tables written to the store as it finishes, then
consolidated part by part into one parquet file per table). Wall time is that
call's, without the interpreter start; for Dask it includes starting and
closing the LocalCluster (2 worker processes, 1 thread each), as a user of
``--dask local`` pays it.

1. ``speedup_2_vs_1``: reps/s with 2 local worker processes over 1 (target
   >= 1.7 on 2 cores).
2. ``dask_vs_local``: Dask LocalCluster wall time over the 2-worker local pool
   on the same reps (target <= 1.3).
3. ``rss_ratio``: peak resident memory of the whole process tree (parent plus
   workers, sampled every 0.1 s from /proc) for ``--reps-mem-large`` (2,000)
   over ``--reps-mem-small`` (200) reps with 2 local workers (target <= 1.2).
   ``ru_maxrss`` of the parent alone is also given.

It prints a short report and, as its LAST line, one JSON object. It never
exits non-zero because a target is missed. Run it on a quiet machine: other
load slows the 2-worker and Dask runs most (the report gives the average
number of cores other processes used during each run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import textwrap

import measure  # benchmarks/measure.py, beside this script

SCENARIO = "chatgpt_race"
TARGETS = {"speedup_2_vs_1": (">=", 1.7), "dask_vs_local": ("<=", 1.3), "rss_ratio": ("<=", 1.2)}

CHILD = textwrap.dedent(r"""
    import json, resource, sys, time
    from measure import PeakRss
    from sim import runner
    scenario, out, reps, workers, dask, years = sys.argv[1:7]
    kw = dict(reps=int(reps), workers=int(workers), progress=False)
    if dask == "local":
        kw["dask"] = "local"
    if years != "-":
        kw["years"] = float(years)
    with PeakRss() as rss:
        t0 = time.perf_counter()
        summary = runner.run_to_store(scenario, out, **kw)
        wall = time.perf_counter() - t0
    print(json.dumps({"wall_s": wall, "reps": summary["reps"], "sampled_peak_kib": rss.peak_kib,
                      "self_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
""")


def run_child(reps: int, workers: int, dask: str = "-", years: str = "-") -> dict:
    """One run into a temporary store, in a fresh subprocess (see ``measure.run_child``)."""
    with tempfile.TemporaryDirectory() as tmp:
        return measure.run_child(
            CHILD, SCENARIO, os.path.join(tmp, "store"), str(reps), str(workers), dask, years
        )


def verdict(key: str, value: float) -> str:
    op, target = TARGETS[key]
    if value != value:  # NaN: not measured (--skip-memory)
        return "skipped"
    ok = value >= target if op == ">=" else value <= target
    return f"{'PASS' if ok else 'FAIL'} (target {op} {target})"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps-speed", type=int, default=1000, help="reps of each speed run (default 1000)")
    ap.add_argument("--reps-mem-small", type=int, default=200)
    ap.add_argument("--reps-mem-large", type=int, default=2000)
    ap.add_argument("--years", default="-", help="horizon in years (default the scenario's, 10)")
    ap.add_argument("--quick", action="store_true", help="40 reps, 20 vs 80 for memory, 2 years")
    ap.add_argument("--skip-memory", action="store_true", help="speed runs only (memory figures null)")
    args = ap.parse_args(argv)
    if args.quick:
        args.reps_speed, args.reps_mem_small, args.reps_mem_large, args.years = 40, 20, 80, "2"
    R = args.reps_speed
    print(
        f"rdgap scale benchmark: {SCENARIO}, years {args.years if args.years != '-' else 'scenario'}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}",
        flush=True,
    )

    one = run_child(R, 1, years=args.years)
    print(
        f"1 local worker : {R} reps in {one['wall_s']:.1f} s (other load {one['other_cores']} cores)",
        flush=True,
    )
    two = run_child(R, 2, years=args.years)
    print(
        f"2 local workers: {R} reps in {two['wall_s']:.1f} s (other load {two['other_cores']} cores)",
        flush=True,
    )
    dsk = run_child(R, 2, dask="local", years=args.years)
    print(
        f"Dask, 2 workers: {R} reps in {dsk['wall_s']:.1f} s (other load {dsk['other_cores']} cores)",
        flush=True,
    )
    if args.skip_memory:
        small = large = {
            "sampled_peak_kib": float("nan"),
            "self_maxrss_kib": float("nan"),
            "other_cores": None,
        }
    else:
        small = run_child(args.reps_mem_small, 2, years=args.years)
        large = run_child(args.reps_mem_large, 2, years=args.years)
    speedup = one["wall_s"] / two["wall_s"]
    dask_ratio = dsk["wall_s"] / two["wall_s"]
    rss_ratio = large["sampled_peak_kib"] / small["sampled_peak_kib"]
    mib = lambda kib: kib / 1024  # noqa: E731
    print(
        f"memory: peak RSS of the process tree {mib(small['sampled_peak_kib']):.0f} MiB for "
        f"{args.reps_mem_small} reps, {mib(large['sampled_peak_kib']):.0f} MiB for {args.reps_mem_large} "
        f"(parent alone {mib(small['self_maxrss_kib']):.0f} and {mib(large['self_maxrss_kib']):.0f} MiB)"
    )
    print(f"speedup 2 vs 1 workers {speedup:.2f}x: {verdict('speedup_2_vs_1', speedup)}")
    print(f"Dask / local pool      {dask_ratio:.2f}x: {verdict('dask_vs_local', dask_ratio)}")
    print(
        f"RSS {args.reps_mem_large} / {args.reps_mem_small} reps  {rss_ratio:.2f}x: "
        f"{verdict('rss_ratio', rss_ratio)}"
    )
    figures = {
        "scenario": SCENARIO,
        "years": args.years,
        "cores": os.cpu_count(),
        "reps_speed": R,
        "wall_s_1_worker": round(one["wall_s"], 2),
        "wall_s_2_workers": round(two["wall_s"], 2),
        "wall_s_dask_2_workers": round(dsk["wall_s"], 2),
        "speedup_2_vs_1": round(speedup, 3),
        "dask_vs_local": round(dask_ratio, 3),
        "reps_mem_small": args.reps_mem_small,
        "reps_mem_large": args.reps_mem_large,
        "peak_rss_mib_small": round(mib(small["sampled_peak_kib"]), 1),
        "peak_rss_mib_large": round(mib(large["sampled_peak_kib"]), 1),
        "parent_maxrss_mib_small": round(mib(small["self_maxrss_kib"]), 1),
        "parent_maxrss_mib_large": round(mib(large["self_maxrss_kib"]), 1),
        "rss_ratio": round(rss_ratio, 3),
        "other_cores": {
            "1_worker": one["other_cores"],
            "2_workers": two["other_cores"],
            "dask": dsk["other_cores"],
            "mem_small": small["other_cores"],
            "mem_large": large["other_cores"],
        },
        "targets": {
            k: {"op": op, "target": t, "pass": None if v != v else (v >= t if op == ">=" else v <= t)}
            for k, (op, t), v in (
                (k, TARGETS[k], val)
                for k, val in (
                    ("speedup_2_vs_1", speedup),
                    ("dask_vs_local", dask_ratio),
                    ("rss_ratio", rss_ratio),
                )
            )
        },
    }
    print(json.dumps(figures).replace("NaN", "null"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
