"""Instructions per replication of a scenario, counted by valgrind (callgrind).

Wall and CPU times move with whatever else runs on the machine; instruction
counts do not, so two versions of the code can be compared on a busy machine.
Run from the repository root (needs ``valgrind``; about a minute per rep of
``chatgpt_race``)::

    python benchmarks/bench_instructions.py                      # chatgpt_race, 2 reps
    python benchmarks/bench_instructions.py frontier_2023 --reps 4 --years 2
    PYTHONPATH=/path/to/other/checkout python benchmarks/bench_instructions.py   # another version

It starts this script again under ``valgrind --tool=callgrind
--instr-atstart=no``; the child loads the scenario and runs one warm-up
replication uninstrumented, then switches instrumentation on (with
``callgrind_control``) for ``--reps`` replications only, so imports and the
warm-up are not counted. As its last line it prints one JSON object:
``{"scenario", "years", "reps", "instructions_per_rep"}``. A plain SimPy loop
with the same number of events (``bench_llm.py``, item 3) is about 10,300
instructions per event on Python 3.11 and SimPy 4.1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile


def child(scenario: str, reps: int, years: float | None) -> None:
    """Run the replications with instrumentation on around them only."""
    from sim import registry
    from sim import scenario as scenario_mod
    from sim.streams import Streams
    from sim.units import DAYS_PER_YEAR

    params = scenario_mod.load(scenario)
    model = registry.get_model(params.model)
    horizon = (years or params.years) * DAYS_PER_YEAR
    model.simulate(params, Streams(params.run.seed, reps + 99), horizon)  # warm-up, not counted

    def instrument(state: str) -> None:
        subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], check=True, capture_output=True)

    instrument("on")
    for rep in range(reps):
        model.simulate(params, Streams(params.run.seed, rep), horizon)
    instrument("off")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default="chatgpt_race")
    ap.add_argument("--reps", type=int, default=2, help="replications counted (default 2)")
    ap.add_argument("--years", type=float, default=None, help="horizon in years (default the scenario's)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.scenario, args.reps, args.years)
        return 0
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind (with callgrind_control) is not installed: apt-get install valgrind", file=sys.stderr)
        return 2
    cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=/dev/null"]
    cmd += [sys.executable, os.path.abspath(__file__), args.scenario, "--reps", str(args.reps), "--child"]
    if args.years is not None:
        cmd += ["--years", str(args.years)]
    # A fresh numba cache: the kernels (sim/kernels.py) are compiled in the warm-up, which is not
    # counted. Reloaded from a cache that an earlier run under valgrind wrote, the same code counted
    # ~30% more instructions per rep of a 2-year run (an artifact: with a cache written natively the
    # count is the fresh one, and wall times do not differ).
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    found = re.search(r"Collected : (\d+)", out.stderr)
    if out.returncode != 0 or found is None:
        sys.stderr.write(out.stderr[-2000:])
        return 1
    per_rep = int(found.group(1)) / args.reps
    print(f"{args.scenario}: {per_rep / 1e6:.1f} M instructions per replication ({args.reps} counted)")
    print(
        json.dumps(
            {
                "scenario": args.scenario,
                "years": args.years,
                "reps": args.reps,
                "instructions_per_rep": round(per_rep),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
