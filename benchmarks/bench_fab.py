"""Benchmark of the fab model against a plain SimPy lot-step loop.

Run from the repository root::

    python benchmarks/bench_fab.py            # full: a few minutes on 2 cores
    python benchmarks/bench_fab.py --quick    # smoke check: ~20 s

It measures, in one run:

1. **Lot-steps per second** of the fab model (``models.fab.simulate``: tool
   groups as ``SharedCapacity`` with breakdowns and priority dispatching,
   production and two teams' experimental lots with outcome draws, recording
   at default (lot) level) and of a plain SimPy loop over the **same route and
   tool counts** (one ``simpy.Resource`` per tool group; each lot
   ``request``/``timeout``/``release`` per step; production releases only),
   both over the same simulated days from an empty fab, in this process. The
   ratio model/plain is the figure of merit (target >= 0.6).
2. **One simulated year** of the fab the issue names (about 100 tool groups,
   1,000 tools, 500-step routes, 50 lot starts a day: about 9M lot-steps) in a
   fresh subprocess: wall time (target < 240 s) and peak RSS (target < 2 GB).

Lot-steps are counted from the tool groups' granted requests (the model's
``tool_groups`` table; the plain loop counts its grants). The last printed line
is one JSON object with every figure; targets are reported, never enforced.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import textwrap
import time

import simpy

TARGET_RATIO = 0.6
TARGET_YEAR_S = 240.0
TARGET_RSS_MB = 2048.0

AREAS = ("litho", "etch", "deposition", "implant", "cmp", "clean", "metrology")


def scenario(starts_per_day: float = 50.0) -> dict:
    """The issue's fab: 500 steps over 100 tool groups, ~1,000 tools, 50 starts a day."""
    return dict(
        name="bench_fab",
        model="fab",
        start_date="2024-01-01",
        years=1.0,
        leader="leader",
        run=dict(reps=1, seed=1, grid_days=14.0),
        route=dict(steps=500, tool_groups=100, minutes_median=40.0),
        world=dict(modes_per_step=6),
        # Tools sized for 50/0.9 starts a day; production released at 50 a day (90% load).
        fabs={"fab": dict(design_starts_per_day=starts_per_day / 0.9, load=0.9)},
        teams={
            "leader": dict(fab="fab", know_how={a: 4.0 for a in AREAS}, lots_in_flight=4),
            "follower": dict(fab="fab", know_how={a: 1.3 for a in AREAS}, lots_in_flight=4),
        },
    )


def run_model(days: float):
    """(wall s, lot-steps, tools, tool groups) of the fab model over ``days`` from empty."""
    from models.fab.simulate import simulate
    from sim.scenario import load
    from sim.streams import Streams

    params = load(scenario())
    t0 = time.perf_counter()
    out = simulate(params, Streams(1, 0), days)
    wall = time.perf_counter() - t0
    groups = out["tables"]["tool_groups"].frame()
    return wall, int(groups["lot_steps"].sum()), int(groups["tools"].sum()), len(groups)


def run_plain(days: float):
    """(wall s, lot-steps) of a plain SimPy lot-step loop over the same route and tool counts."""
    from models.fab.line import FabLine
    from models.fab.route import route_for
    from sim.scenario import load
    from sim.streams import Streams

    params = load(scenario())
    route = route_for(params, Streams(1, 0))
    tools = FabLine.size_tools(params.fabs["fab"], route)
    fab = params.fabs["fab"]
    gap = 1440.0 / (fab.load * fab.design_starts_per_day)
    env = simpy.Environment()
    res = [simpy.Resource(env, int(n)) for n in tools]
    steps = list(zip(route.tool_group.tolist(), route.minutes.tolist()))
    count = [0]

    def lot():
        for g, minutes in steps:
            with res[g].request() as req:
                yield req
                count[0] += 1
                yield env.timeout(minutes)

    def release():
        while True:
            env.process(lot())
            yield env.timeout(gap)

    env.process(release())
    t0 = time.perf_counter()
    env.run(until=days * 1440.0)
    return time.perf_counter() - t0, count[0]


def run_year_subprocess(days: float) -> dict:
    """The model over ``days`` in a fresh interpreter: wall time, lot-steps, peak RSS (MiB)."""
    code = textwrap.dedent(f"""
        import json, resource, sys
        sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
        from bench_fab import run_model
        wall, steps, tools, groups = run_model({days})
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        print(json.dumps({{"wall_s": wall, "lot_steps": steps, "tools": tools, "tool_groups": groups,
                           "peak_rss_mb": rss}}))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short runs: a smoke check, not the figures")
    ap.add_argument("--days", type=float, default=None, help="simulated days of the ratio runs (default 60)")
    args = ap.parse_args(argv)
    ratio_days = args.days or (10.0 if args.quick else 60.0)
    year_days = 20.0 if args.quick else 365.25

    print(
        f"fab benchmark on {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SimPy {simpy.__version__}"
    )
    m_wall, m_steps, tools, groups = run_model(ratio_days)
    p_wall, p_steps = run_plain(ratio_days)
    m_rate, p_rate = m_steps / m_wall, p_steps / p_wall
    ratio = m_rate / p_rate
    print(f"1. {ratio_days:g} simulated days, {groups} tool groups, {tools} tools, 500 steps, 50 starts/day")
    print(f"   fab model   {m_steps:>10,d} lot-steps in {m_wall:6.2f} s = {m_rate:>9,.0f} lot-steps/s")
    print(f"   plain SimPy {p_steps:>10,d} lot-steps in {p_wall:6.2f} s = {p_rate:>9,.0f} lot-steps/s")
    print(f"   ratio {ratio:.2f} (target >= {TARGET_RATIO}): {'pass' if ratio >= TARGET_RATIO else 'FAIL'}")

    year = run_year_subprocess(year_days)
    scale = 365.25 / year_days
    year_s = year["wall_s"] * scale
    print(
        f"2. {year_days:g} simulated days in a fresh process: {year['lot_steps']:,d} lot-steps in "
        f"{year['wall_s']:.1f} s, peak RSS {year['peak_rss_mb']:.0f} MiB"
    )
    if scale != 1:
        print(f"   (scaled to a year: {year_s:.0f} s; --quick figures are not the benchmark)")
    print(
        f"   one year {year_s:.0f} s (target < {TARGET_YEAR_S:.0f} s): "
        f"{'pass' if year_s < TARGET_YEAR_S else 'FAIL'}; peak RSS {year['peak_rss_mb']:.0f} MiB "
        f"(target < {TARGET_RSS_MB:.0f}): {'pass' if year['peak_rss_mb'] < TARGET_RSS_MB else 'FAIL'}"
    )
    print(
        json.dumps(
            {
                "quick": args.quick,
                "ratio_days": ratio_days,
                "tool_groups": groups,
                "tools": tools,
                "model_lot_steps": m_steps,
                "model_s": round(m_wall, 3),
                "model_lot_steps_per_s": round(m_rate),
                "plain_lot_steps": p_steps,
                "plain_s": round(p_wall, 3),
                "plain_lot_steps_per_s": round(p_rate),
                "ratio": round(ratio, 3),
                "ratio_target": TARGET_RATIO,
                "ratio_pass": ratio >= TARGET_RATIO,
                "year_days_run": year_days,
                "year_lot_steps": year["lot_steps"],
                "year_s_run": round(year["wall_s"], 2),
                "year_s": round(year_s, 1),
                "year_target_s": TARGET_YEAR_S,
                "year_pass": year_s < TARGET_YEAR_S,
                "peak_rss_mb": round(year["peak_rss_mb"], 1),
                "rss_target_mb": TARGET_RSS_MB,
                "rss_pass": year["peak_rss_mb"] < TARGET_RSS_MB,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
