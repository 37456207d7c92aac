"""Speed and memory of the SMT2020 event kernel (:class:`models.smt2020.fab.Fab`).

Runs the kernel on a dataset folder (``--data DIR``; the synthetic fab of
:mod:`models.smt2020.synthetic` when absent) for ``--years`` simulated years and reports
lot-steps per second, seconds per simulated year and peak memory, then times a plain
SimPy lot-step loop (each lot a process; per step one ``Resource`` request and one
``timeout``) doing the same number of lot-steps on the same routes and tool counts in the
same process, and prints the speed ratio. A script, not a test: the last line is one
JSON object with every figure; it never fails because a target is missed.

Examples
--------
``python benchmarks/bench_smt2020.py --years 0.1``
``python benchmarks/bench_smt2020.py --data /path/to/SMT2020_HVLM --years 1``
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time

import numpy as np

from models.smt2020.data import Dataset
from models.smt2020.fab import Fab
from sim.units import DAYS_PER_YEAR, MINUTES_PER_DAY

MIN_PER_YEAR = DAYS_PER_YEAR * MINUTES_PER_DAY  # the engine's year (sim.units)


def _peak_mb() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def load(folder: str | None) -> Dataset:
    """The dataset in ``folder``, or the synthetic one written to a temporary folder."""
    from models.smt2020.reader import read_dataset

    if folder:
        return read_dataset(folder)
    from models.smt2020.synthetic import write_synthetic

    with tempfile.TemporaryDirectory() as tmp:
        return read_dataset(write_synthetic(tmp), name="SYNTHETIC")


def bench_kernel(data: Dataset, years: float, seed: int) -> dict:
    """Run the kernel for ``years``; its speed (lot-steps/s) and what it produced."""
    t0 = time.perf_counter()
    fab = Fab(data, np.random.default_rng(seed))
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    fab.run(years * MIN_PER_YEAR)
    wall = time.perf_counter() - t0
    return dict(
        build_s=build,
        run_s=wall,
        lot_steps=fab.lot_steps,
        lot_steps_per_s=fab.lot_steps / wall,
        s_per_sim_year=wall / years,
        lots_finished=len(fab.lots),
        mean_wip_lots=fab.wip_lots(),
        peak_mb=_peak_mb(),
    )


def bench_simpy(data: Dataset, lot_steps: int) -> dict:
    """A minimal SimPy loop doing ``lot_steps`` lot-steps on the dataset's routes.

    Each order releases lots as SimPy processes at its interval; per step a lot requests
    one tool of the step's group (a ``Resource`` with the group's tool count) and holds it
    for the step's mean lot time (per-piece times × 25). No setups, batches, breakdowns.
    """
    import simpy

    env = simpy.Environment()
    res = {n: simpy.Resource(env, capacity=max(1, g.tools)) for n, g in data.tool_groups.items()}
    routes = {}
    for name, p in data.products.items():
        routes[name] = [
            (res[s.family], s.ptime_min * (25 if s.per == "piece" else 1) + 1e-6) for s in p.steps
        ]
    done = [0]
    enough = env.event()

    def lot(route):
        for r, d in route:
            with r.request() as req:
                yield req
                yield env.timeout(d)
            done[0] += 1
            if done[0] == lot_steps:
                enough.succeed()

    def source(order):
        route = routes[order.part]
        yield env.timeout(order.start_min)
        for _ in range(order.repeats):
            env.process(lot(route))
            yield env.timeout(order.interval_min)

    for o in data.orders:
        if o.part in routes:
            env.process(source(o))
    t0 = time.perf_counter()
    env.run(until=enough)
    wall = time.perf_counter() - t0
    return dict(run_s=wall, lot_steps=done[0], lot_steps_per_s=done[0] / wall)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="SMT2020 dataset folder (default: the synthetic fab)")
    ap.add_argument("--years", type=float, default=0.1, help="simulated years (default 0.1)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-simpy", action="store_true", help="do not time the SimPy loop")
    a = ap.parse_args(argv)
    data = load(a.data)
    k = bench_kernel(data, a.years, a.seed)
    print(f"dataset {data.name}: {a.years:g} simulated years, {k['lot_steps']:,} lot-steps")
    print(f"kernel: {k['run_s']:.1f} s, {k['lot_steps_per_s']:,.0f} lot-steps/s, "
          f"{k['s_per_sim_year']:.0f} s per simulated year, peak memory {k['peak_mb']:.0f} MB "
          f"(build {k['build_s']:.2f} s)")  # fmt: skip
    out = dict(dataset=data.name, years=a.years, kernel=k)
    if not a.skip_simpy:
        s = bench_simpy(data, k["lot_steps"])
        ratio = k["lot_steps_per_s"] / s["lot_steps_per_s"]
        print(
            f"simpy loop: {s['run_s']:.1f} s, {s['lot_steps_per_s']:,.0f} lot-steps/s; "
            f"kernel/simpy = {ratio:.2f}"
        )
        out.update(simpy=s, ratio_kernel_over_simpy=ratio, peak_mb_all=_peak_mb())
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
