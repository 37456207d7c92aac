"""The command line: ``python -m sim run | list | show``.

Bad input (unknown scenario or key, a value the schema refuses, a malformed
``--set``) exits with status 2 and one ``error: ...`` line on stderr naming
the field, the value and what is allowed. argparse's own usage errors also
exit 2. Anything else is a bug and is allowed to raise.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from . import runner
from .scenario import ScenarioError, list_scenarios, parse_value

DEFAULT_SCENARIO = "chatgpt_race"


def parse_sets(items: list[str] | None) -> dict:
    """``["a.b=1", "c=x"]`` -> ``{"a.b": 1, "c": "x"}``; values parsed as TOML, else strings."""
    out = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"--set: {item!r} is not allowed: use dotted.key=value, "
                                "e.g. --set teams.leader.diagnosis=0.5")
        out[key.strip()] = parse_value(text.strip())
    return out


def _interval(row, tag: str) -> str:
    """``median [q05, q95]`` of months behind, ``n/a`` where undefined."""
    vals = [row.get(f"{tag}_{q}") for q in ("median", "q05", "q95")]
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in vals):
        return "n/a"
    return f"{vals[0]:.1f} [{vals[1]:.1f}, {vals[2]:.1f}]"


def format_headline(results) -> str:
    """A short text table: per follower, months behind at start and end, share widened."""
    head = results.headline()
    rows = [("follower", "start (months)", "end (months)", "widened")]
    for follower, row in head.iterrows():
        share = row.get("share_widened")
        widened = "n/a" if share is None or math.isnan(share) else f"{share:.0%}"
        rows.append((str(follower), _interval(row, "start"), _interval(row, "end"), widened))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in rows]
    years, leader = results.summary["years"], results.summary["leader"]
    title = (f"{results.summary['scenario']}: months behind {leader!r}, median [5%, 95%] "
             f"over {results.summary['reps']} reps, at the start and after {years:g} year(s)")
    return "\n".join([title, *lines])


def cmd_run(args) -> int:
    """Run replications, save the results and print the headline table."""
    res = runner.run(args.scenario, reps=args.reps, seed=args.seed, years=args.years,
                     workers=args.workers, overrides=parse_sets(args.set), progress=not args.quiet)
    out = Path(args.out) if args.out else Path("results") / res.summary["scenario"]
    res.save(out, figures=not args.no_plots)
    print(format_headline(res))
    files = sorted(p.name for p in out.iterdir() if p.is_file())
    print(f"\nwrote {out}/: {', '.join(files)}")
    return 0


def cmd_list(args) -> int:
    """Print scenario names and their one-line descriptions."""
    scenarios = list_scenarios()
    width = max((len(n) for n in scenarios), default=0)
    for name, desc in scenarios.items():
        print(f"{name.ljust(width)}  {desc}".rstrip())
    return 0


def cmd_show(args) -> int:
    """Print the fully resolved, validated parameters as JSON."""
    params = runner.resolve(args.scenario, overrides=parse_sets(args.set))
    print(json.dumps(params.model_dump(mode="json"), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its ``run``, ``list`` and ``show`` subcommands."""
    p = argparse.ArgumentParser(prog="python -m sim", description="rdgap: simulate R&D know-how gaps.")
    sub = p.add_subparsers(dest="command", required=True, metavar="{run,list,show}")
    set_help = "override a parameter, e.g. teams.leader.diagnosis=0.5 (repeatable)"

    r = sub.add_parser("run", help="run a scenario and save its results")
    r.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                   help=f"scenario name or TOML path (default {DEFAULT_SCENARIO})")
    r.add_argument("--reps", type=int, help="replications (overrides run.reps)")
    r.add_argument("--seed", type=int, help="root seed (overrides run.seed)")
    r.add_argument("--years", type=float, help="simulated horizon in years")
    r.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    r.add_argument("--set", action="append", metavar="KEY=VALUE", help=set_help)
    r.add_argument("--out", help="output folder (default results/<scenario name>)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument("--no-plots", action="store_true", help="do not write gap.png, capability.png")
    r.set_defaults(func=cmd_run)

    sub.add_parser("list", help="list named scenarios").set_defaults(func=cmd_list)

    s = sub.add_parser("show", help="print a scenario's resolved parameters (JSON)")
    s.add_argument("scenario", help="scenario name or TOML path")
    s.add_argument("--set", action="append", metavar="KEY=VALUE", help=set_help)
    s.set_defaults(func=cmd_show)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 2 bad input)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ScenarioError as exc:
        print("error: " + " ".join(str(exc).split()), file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
