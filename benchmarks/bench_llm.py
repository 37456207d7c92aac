"""Benchmark of the LLM race model (default scenario ``chatgpt_race``).

Run from the repository root::

    python benchmarks/bench_llm.py                    # full run, a few minutes on 2 cores
    python benchmarks/bench_llm.py --quick            # smoke check, < 30 s
    python benchmarks/bench_llm.py --skip-throughput  # items 1-3 and 1b only, about a minute

It measures, in one run:

1. wall time per replication of ``chatgpt_race`` (its own horizon, 10 years),
   calling ``simulate(params, Streams(seed, rep), horizon)`` in this process;
2. the number of SimPy events those replications process (counted in a
   separate, untimed pass by wrapping ``simpy.Environment.step``; the
   project's code is not changed);
3. a plain SimPy loop processing the same number of events (one process per
   team slot, each ``yield env.timeout(pre-drawn delay)`` in a loop), and the
   ratio model time / plain SimPy time; each replication's plain loop is timed
   right after it, so a machine whose load changes slows both alike;
1b. seconds per replication over a calibration's horizon (``--calibration-years``,
   default 2: ABC calibration runs tens of thousands of those);
4. throughput of ``sim.runner.run`` with 2 workers and with 1 worker, wall
   time including building the tables, each in a fresh subprocess;
5. peak memory (RSS) of the 2-worker run, parent plus children.

It prints a short report and, as its LAST line, one JSON object with the
figures. Targets are reported with a pass/fail word; the script never exits
non-zero because a target is missed.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import statistics
import sys
import textwrap
import time

import measure  # benchmarks/measure.py, beside this script
import numpy as np
import simpy

from sim import registry
from sim import scenario as scenario_mod
from sim.streams import Streams
from sim.units import DAYS_PER_YEAR

SCENARIO = "chatgpt_race"
TARGET_RATIO = 8.0  # model time / plain SimPy time, same number of events (issue 9)
GOAL_RATIO = 4.0  # the goal beyond the target
TARGET_S_1000 = 60.0  # seconds for 1000 reps with 2 workers
TARGET_RSS_MB = 1024.0  # peak RSS of the 2-worker run, MiB (1 GB)


# -- 1 and 2: the model, counted then timed ------------------------------------


def count_events(simulate, params, horizon, seed, reps):
    """Events processed per replication (untimed pass), and their kinds.

    Wraps ``simpy.Environment.step`` for the duration of the pass: every call
    that processes an event is counted (the last one of ``run(until=...)``
    processes the stop event and raises StopSimulation; it is counted too; a
    call that finds the queue empty processes nothing and is not).
    """
    orig = simpy.core.Environment.step
    counts: list[int] = []
    kinds: collections.Counter = collections.Counter()
    current = [0]

    def counting_step(env):
        if env._queue:
            current[0] += 1
            kinds[type(env._queue[0][3]).__name__] += 1
        return orig(env)

    simpy.core.Environment.step = counting_step
    try:
        for rep in range(reps):
            current[0] = 0
            simulate(params, Streams(seed, rep), horizon)
            counts.append(current[0])
    finally:
        simpy.core.Environment.step = orig
    return counts, kinds


def time_model(simulate, params, horizon, seed, rep):
    """Wall seconds of one replication: one ``simulate`` call, nothing else timed."""
    streams = Streams(seed, rep)
    t0 = time.perf_counter()
    simulate(params, streams, horizon)
    return time.perf_counter() - t0


# -- 3: plain SimPy with the same number of events -----------------------------


def plain_simpy(n_events: int, n_procs: int, delays: list[float]) -> float:
    """Wall seconds for a bare SimPy run processing exactly ``n_events`` events.

    ``n_procs`` processes each loop over ``yield env.timeout(d)`` with delays
    drawn beforehand. Events processed: one Initialize and one termination
    (the Process event) per process, plus one Timeout per iteration, so the
    processes together do ``n_events - 2 * n_procs`` timeouts.
    """
    n_timeouts = n_events - 2 * n_procs
    assert n_timeouts > 0 and len(delays) >= n_timeouts
    state = [0]  # timeouts handed out so far

    def proc(env):
        while state[0] < n_timeouts:
            i = state[0]
            state[0] = i + 1
            yield env.timeout(delays[i])

    t0 = time.perf_counter()
    env = simpy.Environment()
    for _ in range(n_procs):
        env.process(proc(env))
    env.run()
    return time.perf_counter() - t0


def plain_simpy_resource(n_events: int, n_procs: int, delays: list[float]) -> float:
    """Like :func:`plain_simpy` but with the model's event mix: each iteration
    requests a ``simpy.Resource`` (capacity ``n_procs``, so nobody waits),
    holds it for a timeout and releases it: one Request, one Timeout and one
    Release event per iteration (the model: about 31%, 36%, 31%)."""
    n_iter = (n_events - 2 * n_procs) // 3
    assert n_iter > 0 and len(delays) >= n_iter
    state = [0]

    def proc(env, res):
        while state[0] < n_iter:
            i = state[0]
            state[0] = i + 1
            with res.request() as req:
                yield req
                yield env.timeout(delays[i])

    t0 = time.perf_counter()
    env = simpy.Environment()
    res = simpy.Resource(env, capacity=n_procs)
    for _ in range(n_procs):
        env.process(proc(env, res))
    env.run()
    return time.perf_counter() - t0


def events_of(fn, *args) -> int:
    """Events a plain loop really processes (untimed check)."""
    orig = simpy.core.Environment.step
    n = [0]

    def counting_step(env):
        if env._queue:
            n[0] += 1
        return orig(env)

    simpy.core.Environment.step = counting_step
    try:
        fn(*args)
    finally:
        simpy.core.Environment.step = orig
    return n[0]


# -- 4 and 5: the runner in a fresh subprocess ---------------------------------

CHILD = textwrap.dedent(r"""
    import json, resource, sys, time
    from measure import PeakRss
    from sim import RunOptions
    from sim.runner import run
    scenario, reps, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with PeakRss() as rss:
        t0 = time.perf_counter()
        res = run(scenario, reps=reps, options=RunOptions(workers=workers, progress=False))
        wall = time.perf_counter() - t0
    print(json.dumps({"wall_s": wall, "reps": reps, "workers": workers,
                      "self_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "children_maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                      "sampled_peak_kib": rss.peak_kib, "event_rows": len(res.events)}))
""")


def run_child(reps: int, workers: int) -> dict:
    """One ``sim.runner.run`` in a fresh subprocess (see ``measure.run_child``)."""
    return measure.run_child(CHILD, SCENARIO, str(reps), str(workers))


# The command line's path: tables stream to a results folder part by part.
CHILD_STORE = textwrap.dedent(r"""
    import json, resource, sys, time
    from measure import PeakRss
    from sim import RunOptions
    from sim.runner import run_scenario
    scenario, out, reps, workers = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with PeakRss() as rss:
        t0 = time.perf_counter()
        run_scenario(scenario, reps=reps, options=RunOptions(workers=workers, progress=False, out=out))
        wall = time.perf_counter() - t0
    print(json.dumps({"wall_s": wall, "reps": reps, "workers": workers, "sampled_peak_kib": rss.peak_kib,
                      "self_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
""")


def run_store_child(reps: int, workers: int) -> dict:
    """``python -m sim run --no-plots --out DIR`` in effect: a run into a temporary results folder."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return measure.run_child(CHILD_STORE, SCENARIO, os.path.join(tmp, "out"), str(reps), str(workers))


# -- report --------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--reps-speed", type=int, default=1000, help="replications for the throughput runs (default 1000)"
    )
    ap.add_argument(
        "--reps-time", type=int, default=20, help="replications timed one by one in this process (default 20)"
    )
    ap.add_argument(
        "--max-1-worker-s",
        type=float,
        default=240.0,
        help="if 1 worker would take longer than this (predicted), time it on fewer "
        "reps and scale (default 240)",
    )
    ap.add_argument(
        "--quick", action="store_true", help="small numbers (3 reps timed, 50 for throughput): a smoke check"
    )
    ap.add_argument(
        "--calibration-years",
        type=float,
        default=2.0,
        help="horizon (years) of item 1b, seconds per replication as a calibration runs them (default 2)",
    )
    ap.add_argument(
        "--skip-throughput", action="store_true", help="items 1-3 and 1b only (no subprocess runs)"
    )
    args = ap.parse_args(argv)
    if args.quick:
        args.reps_time, args.reps_speed = 3, 50

    params = scenario_mod.load(SCENARIO)
    model = registry.get_model(params.model)
    horizon = params.years * DAYS_PER_YEAR
    seed = params.run.seed
    n_slots = sum(1 + tp.experiments.slots for tp in params.teams.values())
    load_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(
        f"rdgap benchmark: scenario {SCENARIO}, {params.years:g} years, seed {seed}, "
        f"python {platform.python_version()}, simpy {simpy.__version__}, numpy {np.__version__}, "
        f"{os.cpu_count()} cores"
    )

    # 1-2: count (untimed, also warms up imports and caches), then time.
    counts, kinds = count_events(model.simulate, params, horizon, seed, args.reps_time)
    ev_per_rep = statistics.fmean(counts)

    # 3: plain SimPy, same number of events per rep, delays drawn beforehand. Each
    # replication's plain loops are timed right after it: on a machine whose load
    # changes, model and baseline see the same load.
    rng = np.random.default_rng(0)
    delays = rng.exponential(1.0, size=max(counts)).tolist()
    check = events_of(plain_simpy, counts[0], n_slots, delays)
    assert check == counts[0], (check, counts[0])
    check_res = events_of(plain_simpy_resource, counts[0], n_slots, delays)
    assert abs(check_res - counts[0]) <= 3, (check_res, counts[0])
    times, plain_times, plain_res_times = [], [], []
    for rep, n in enumerate(counts):
        times.append(time_model(model.simulate, params, horizon, seed, rep))
        plain_times.append(plain_simpy(n, n_slots, delays))
        plain_res_times.append(plain_simpy_resource(n, n_slots, delays))
    s_per_rep = statistics.fmean(times)
    plain_s = statistics.fmean(plain_times)
    ratio = s_per_rep / plain_s
    plain_res_s = statistics.fmean(plain_res_times)
    ratio_res = s_per_rep / plain_res_s

    # 1b: a calibration's horizon.
    cal_horizon = args.calibration_years * DAYS_PER_YEAR
    cal_times = [time_model(model.simulate, params, cal_horizon, seed, rep) for rep in range(args.reps_time)]
    s_per_rep_cal = statistics.fmean(cal_times)

    print(f"\n1. Per replication, in one process ({args.reps_time} reps):")
    print(
        f"   mean {s_per_rep * 1e3:.1f} ms/rep (median {statistics.median(times) * 1e3:.1f}, "
        f"min {min(times) * 1e3:.1f}, max {max(times) * 1e3:.1f})"
    )
    print(
        f"1b. Over a calibration's horizon ({args.calibration_years:g} years, {args.reps_time} reps): "
        f"mean {s_per_rep_cal * 1e3:.1f} ms/rep; 20,000 reps on 2 workers: "
        f"~{s_per_rep_cal * 20000 / 2 / 60:.1f} min of simulation"
    )
    print(
        f"2. SimPy events processed: mean {ev_per_rep:,.0f}/rep (min {min(counts):,}, max {max(counts):,}); "
        f"{s_per_rep / ev_per_rep * 1e6:.1f} us/event"
    )
    total = sum(kinds.values())
    print("   by kind: " + ", ".join(f"{k} {v / total:.0%}" for k, v in kinds.most_common()))
    print(f"3. Plain SimPy, same events ({n_slots} processes looping on timeouts, pre-drawn delays):")
    print(f"   {plain_s * 1e3:.2f} ms/rep, {plain_s / ev_per_rep * 1e6:.2f} us/event")
    print(
        f"   ratio model / plain SimPy = {ratio:.1f}  "
        f"(target <= {TARGET_RATIO:g}: {verdict(ratio <= TARGET_RATIO)}; goal {GOAL_RATIO:g})"
    )
    print(
        "   The ratio is the model's own work per event on top of SimPy's scheduling: planning runs,\n"
        "   numpy over failure modes (hazards, diagnosis, fixes, know-how decay), recording rows,\n"
        "   capacity statistics and budget bookkeeping. 1 would mean SimPy's scheduling is all the cost."
    )
    print(
        f"   For reference, plain SimPy with the model's event mix (Resource request / timeout / release):\n"
        f"   {plain_res_s * 1e3:.2f} ms/rep, ratio model / that = {ratio_res:.1f} (not a target; it leaves\n"
        f"   out the cost of SimPy's resource machinery, which the model also pays)"
    )

    figures = {
        "scenario": SCENARIO,
        "years": params.years,
        "seed": seed,
        "cores": os.cpu_count(),
        "quick": args.quick,
        "reps_timed": args.reps_time,
        "s_per_rep": round(s_per_rep, 5),
        "events_per_rep": round(ev_per_rep, 1),
        "us_per_event": round(s_per_rep / ev_per_rep * 1e6, 2),
        "plain_simpy_s_per_rep": round(plain_s, 6),
        "plain_simpy_processes": n_slots,
        "ratio_vs_simpy": round(ratio, 2),
        "plain_simpy_resource_s_per_rep": round(plain_res_s, 6),
        "ratio_vs_simpy_resource": round(ratio_res, 2),
        "calibration_years": args.calibration_years,
        "s_per_rep_calibration_years": round(s_per_rep_cal, 5),
    }
    ratio_target = {"max": TARGET_RATIO, "goal": GOAL_RATIO, "pass": ratio <= TARGET_RATIO}
    if args.skip_throughput:
        figures["targets"] = {"ratio_vs_simpy": ratio_target}
        print(json.dumps(figures))
        return 0

    # 4-5: throughput and memory, each run in a fresh subprocess.
    R = args.reps_speed
    two = run_child(R, 2)
    R1 = R
    predicted_1 = s_per_rep * R * 1.15  # simulate plus building the tables
    if predicted_1 > args.max_1_worker_s:
        R1 = max(20, int(args.max_1_worker_s / (s_per_rep * 1.15)))
    one = run_child(R1, 1)
    s_1000_two = two["wall_s"] * 1000 / R
    s_1000_one = one["wall_s"] * 1000 / R1
    reps_per_s_two = R / two["wall_s"]
    reps_per_s_one = R1 / one["wall_s"]
    speedup = reps_per_s_two / reps_per_s_one
    self_mb = two["self_maxrss_kib"] / 1024
    child_mb = two["children_maxrss_kib"] / 1024
    peak_mb = self_mb + child_mb
    upper_mb = self_mb + 2 * child_mb
    sampled_mb = two["sampled_peak_kib"] / 1024 if two["sampled_peak_kib"] else None

    print("\n4. Throughput, sim.runner.run (wall time including building the tables, fresh subprocess):")
    print(
        f"   2 workers: {R} reps in {two['wall_s']:.1f} s = {reps_per_s_two:.1f} reps/s"
        f" -> {s_1000_two:.1f} s for 1000 reps"
        + (" (scaled)" if R != 1000 else "")
        + f"  (target <= {TARGET_S_1000:g} s: {verdict(s_1000_two <= TARGET_S_1000)})"
    )
    print(
        f"   1 worker:  {R1} reps in {one['wall_s']:.1f} s = {reps_per_s_one:.1f} reps/s"
        f" -> {s_1000_one:.1f} s for 1000 reps" + (" (scaled)" if R1 != 1000 else "")
    )
    if R1 != R:
        print(f"   (1 worker timed on {R1} reps instead of {R} to keep the run short; scaled linearly)")
    print(f"   speedup 2 vs 1 workers: {speedup:.2f}x")
    print(
        f"5. Peak RSS of the 2-worker run: parent {self_mb:.0f} MB + largest child {child_mb:.0f} MB"
        f" = {peak_mb:.0f} MB  (target < {TARGET_RSS_MB:g} MB: {verdict(peak_mb < TARGET_RSS_MB)})"
    )
    print(
        f"   getrusage gives the largest child's peak, not a sum: with both workers at that peak,"
        f" at most {upper_mb:.0f} MB"
        + (f"; sampled sum of the process tree every 0.1 s: {sampled_mb:.0f} MB" if sampled_mb else "")
    )
    print(
        "   (MB = MiB; ru_maxrss is in KiB on Linux; "
        "a forked child's RSS counts pages shared with the parent)"
    )

    cli = run_store_child(R, 2)
    cli_mb = cli["sampled_peak_kib"] / 1024 if cli["sampled_peak_kib"] else None
    print(
        f"6. The command line's path (tables streamed to a results folder, as `python -m sim run --workers 2"
        f" --no-plots`):\n   {R} reps in {cli['wall_s']:.1f} s; peak RSS of the whole process tree"
        + (
            f" {cli_mb:.0f} MB  (target < {TARGET_RSS_MB:g} MB: {verdict(cli_mb < TARGET_RSS_MB)})"
            if cli_mb
            else " n/a"
        )
    )
    print("   sim.run() in a notebook keeps every table in memory (item 5); the command line does not.")

    load_end = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    if two["other_cores"] is not None:
        print(
            f"   Other processes on the machine used on average {two['other_cores']:.2f} cores during the"
            f" 2-worker run and {one['other_cores']:.2f} during the 1-worker run (of {os.cpu_count()});\n"
            f"   the 2-worker subprocess used {two['own_cpu_s'] / two['subprocess_wall_s']:.2f} cores itself."
            " Anything above ~0.1 slows the figures, the 2-worker run most: rerun on a quiet machine."
        )
    if load_start is not None:
        print(f"Load average (1 min) at start {load_start:.2f}, at end {load_end:.2f}.")

    figures.update(
        {
            "reps_speed": R,
            "wall_s_2_workers": round(two["wall_s"], 2),
            "reps_per_s_2_workers": round(reps_per_s_two, 2),
            "s_for_1000_reps_2_workers": round(s_1000_two, 2),
            "reps_1_worker": R1,
            "wall_s_1_worker": round(one["wall_s"], 2),
            "s_for_1000_reps_1_worker": round(s_1000_one, 2),
            "speedup_2_vs_1": round(speedup, 3),
            "peak_rss_mb_2_workers": round(peak_mb, 1),
            "peak_rss_mb_2_workers_upper": round(upper_mb, 1),
            "peak_rss_mb_2_workers_sampled": round(sampled_mb, 1) if sampled_mb else None,
            "cli_wall_s_2_workers": round(cli["wall_s"], 2),
            "cli_peak_rss_mb_2_workers_sampled": round(cli_mb, 1) if cli_mb else None,
            "loadavg_1min_start": round(load_start, 2) if load_start is not None else None,
            "loadavg_1min_end": round(load_end, 2) if load_end is not None else None,
            "other_cores_during_2_workers": round(two["other_cores"], 2)
            if two["other_cores"] is not None
            else None,
            "other_cores_during_1_worker": round(one["other_cores"], 2)
            if one["other_cores"] is not None
            else None,
            "targets": {
                "ratio_vs_simpy": ratio_target,
                "s_for_1000_reps_2_workers": {"max": TARGET_S_1000, "pass": s_1000_two <= TARGET_S_1000},
                "peak_rss_mb_2_workers": {"lt": TARGET_RSS_MB, "pass": peak_mb < TARGET_RSS_MB},
                "cli_peak_rss_mb_2_workers_sampled": {
                    "lt": TARGET_RSS_MB,
                    "pass": bool(cli_mb) and cli_mb < TARGET_RSS_MB,
                },
            },
        }
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
