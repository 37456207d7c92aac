"""The command line: ``python -m sim run | sweep | compare | sensitivity | plot | list | show``.

Bad input (unknown scenario or key, a value the schema refuses, a malformed
``--set`` or ``--vary``) exits with status 2 and one ``error: ...`` line on
stderr naming the field, the value and what is allowed. argparse's own usage
errors also exit 2. Ctrl-C exits 130 and says how to resume; a dead worker or
a failing disk exits 1 with one line. Error lines are printable: values are
shortened and control characters escaped (:func:`sim.validation.one_line`).
Output folders are locked while written, and earlier results are replaced
only once the new ones are complete (:mod:`sim.output_folder`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from . import output_folder
from .options import RunOptions
from .scenario import ScenarioError, list_scenarios, parse_value
from .validation import one_line, shown, shown_path

#: Library errors name parameters (``reps: ...``); the command line names its flags.
FLAGS = {
    "reps": "--reps",
    "seed": "--seed",
    "years": "--years",
    "workers": "--workers",
    "dask": "--dask",
    "scheduler": "--scheduler",
    "ci": "--ci",
    "max_reps": "--max-reps",
    "min_reps": "--min-reps",
    "at_year": "--at-year",
    "out": "--out",
    "resume": "--resume",
    "force": "--force",
    "vary": "--vary",
    "samples": "--samples",
    "design": "--design",
    "params": "--params",
    "n": "--n",
    "follower": "--follower",
    "set": "--set",
}


def flag_message(message: str) -> str:
    """A library error line with its leading parameter name replaced by the flag that sets it."""
    head, sep, rest = message.partition(": ")
    return FLAGS[head] + sep + rest if sep and head in FLAGS else message


def parse_sets(items: list[str] | None) -> dict:
    """``["a.b=1", "c=x"]`` -> ``{"a.b": 1, "c": "x"}``; values parsed as TOML, else strings."""
    out = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(
                f"--set: {shown(item)} is not allowed: use dotted.key=value, "
                "e.g. --set teams.leader.diagnosis=0.5"
            )
        try:
            out[key.strip()] = parse_value(text.strip())
        except ScenarioError as exc:
            raise ScenarioError(f"--set: {shown(key.strip())}: {exc}") from None
    return out


def _interval(row, tag: str) -> str:
    """``median [q05, q95]`` of months behind, ``n/a`` where undefined."""
    vals = [row.get(f"{tag}_{q}") for q in ("median", "q05", "q95")]
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in vals):
        return "n/a"
    return f"{vals[0]:.1f} [{vals[1]:.1f}, {vals[2]:.1f}]"


def _ci(row, tag: str, fmt: str = "{:.1f}") -> str:
    """``mean [lo, hi]`` (95% interval of the mean), ``n/a`` where undefined."""
    vals = (
        [row.get(f"{tag}_{q}") for q in ("mean", "lo", "hi")]
        if tag != "share_widened"
        else [row.get(tag), row.get(f"{tag}_lo"), row.get(f"{tag}_hi")]
    )
    if vals[0] is None or (isinstance(vals[0], float) and math.isnan(vals[0])):
        return "n/a"
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in vals[1:]):
        return fmt.format(vals[0])
    return f"{fmt.format(vals[0])} [{fmt.format(vals[1])}, {fmt.format(vals[2])}]"


def format_summary(summary: dict) -> str:
    """A short text table: per follower, months behind at start and end (median
    [5%, 95%] across reps), the headline metric (mean [95% CI]) and the share of
    reps whose gap widened [95% CI]."""
    import pandas as pd

    head = pd.DataFrame(summary["followers"])
    hl = summary.get("headline") or {}
    window = f"months {hl.get('start_month', 0):g}-{hl.get('end_month', 0):g}"
    rows = [("follower", "start (months)", "end (months)", f"{window} mean [95% CI]", "widened [95% CI]")]
    for _, row in head.iterrows():
        row = row.to_dict()
        rows.append(
            (
                str(row["follower"]),
                _interval(row, "start"),
                _interval(row, "end"),
                _ci(row, "headline"),
                _ci(row, "share_widened", "{:.0%}"),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
        for r in rows
    ]
    years, leader = summary["years"], summary["leader"]
    title = (
        f"{summary['scenario']}: months behind {leader!r}, median [5%, 95%] "
        f"over {summary['reps']} reps, at the start and after {years:g} year(s)"
    )
    out = (
        [title, *lines]
        if len(head)
        else [f"{summary['scenario']}: {summary['reps']} reps; no followers of {leader!r}"]
    )
    stop = summary.get("stopping")
    if stop:
        rel = ", ".join(f"{k} {v:.1%}" for k, v in stop["relative_half_width"].items())
        state = "converged" if stop["converged"] else "NOT converged (hit --max-reps)"
        out.append(
            f"--reps auto: {state} after {summary['reps']} reps; 95% half-width / mean: {rel} "
            f"(target <= {stop['ci']:.0%})"
        )
    return "\n".join(out)


def _reps(text):
    """``--reps``: an integer or ``auto``."""
    if text is None or text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise ScenarioError(f"--reps: {shown(text)} is not allowed: an integer >= 1 or 'auto'") from None


def _options(args, out: Path | None = None, resume: bool = False, **extra) -> RunOptions:
    """The run options a subcommand's flags ask for."""
    return RunOptions(
        workers=args.workers,
        scheduler=args.scheduler,
        dask=args.dask,
        progress=not args.quiet,
        at_year=args.at_year,
        out=out,
        resume=resume,
        force=getattr(args, "force", False),
        **extra,
    )


def _out_resume(args, default: Callable[[], Path]) -> tuple[Path, bool]:
    """The output folder (``--out``, ``--resume``, or ``default()``) and whether to resume."""
    if args.resume and args.out and Path(args.out) != Path(args.resume):
        raise ScenarioError(
            f"--out: {shown(args.out)} differs from --resume {shown(args.resume)}; give one of them"
        )
    if args.resume:
        return Path(args.resume), True
    return (Path(args.out) if args.out else default()), False


def cmd_run(args) -> int:
    """Run replications into a result store, print the headline table, draw the plots."""
    from . import runner  # here, not at import: `python -m sim list` needs no pandas or SimPy

    reps = _reps(args.reps)
    sets = parse_sets(args.set)
    out, resume = _out_resume(
        args, lambda: output_folder.default_out(runner.resolve(args.scenario, overrides=sets).name)
    )
    if not resume:
        args.out = str(out)  # named in the hint if the run is interrupted
    done = runner.run_scenario(
        args.scenario,
        reps=reps,
        seed=args.seed,
        years=args.years,
        overrides=sets,
        options=_options(args, out, resume, ci=args.ci, max_reps=args.max_reps),
        figures=not args.no_plots,
    )
    _notes(done.notes)
    print(format_summary(done.summary))
    _model_report(done.summary["model"], out)
    files = sorted(p.name for p in out.iterdir() if p.is_file())
    print(f"\nwrote {out}/: {', '.join(files)}")
    return 0


def _model_report(model_name: str, out: Path) -> None:
    """Print the model's own report of a finished run (:meth:`sim.Model.report`), if it has one."""
    from . import registry
    from .model import Model
    from .results import load_results

    model = registry.get_model(model_name)
    if type(model).report is not Model.report:  # reading the tables back costs: only if asked for
        text = model.report(load_results(out))
        if text:
            print("\n" + text)


def cmd_sweep(args) -> int:
    """Run a sweep into a store; print the per-point summary."""
    from . import (
        runner,  # here, not at import: `python -m sim list` needs no pandas or SimPy
        sweep,
    )

    base_name = runner.resolve(args.scenario, overrides=parse_sets(args.set)).name
    out, resume = _out_resume(args, lambda: output_folder.default_out(base_name, "-sweep"))
    args.out = args.out or (None if resume else str(out))  # named in the hint if interrupted
    res = sweep.run_sweep(
        args.scenario,
        args.vary or [],
        design=args.design,
        samples=args.samples,
        reps=_reps(args.reps),
        seed=args.seed,
        years=args.years,
        overrides=parse_sets(args.set),
        keep_tables=not args.metrics_only,
        figures=not args.no_plots,
        options=_options(args, out, resume),
    )
    _notes(res.get("notes"))
    cols = ["point", *res["keys"], "follower", "reps", "headline_mean", "headline_lo", "headline_hi"]
    if len(res["summary"]):
        print(f"{res['label']}: mean [95% CI] per point")
        print(res["summary"][cols].to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    else:  # a leader-only model: nothing is behind anything; its own figures say what moved
        print(f"{len(res['points'])} points; no followers, so no headline per point")
    files = sorted(p.name for p in out.iterdir() if p.is_file())
    print(f"\nwrote {out}/: {', '.join(files)} and parts/")
    return 0


def parse_variant(text: str) -> tuple[str, dict]:
    """``SCENARIO[@key=value@key=value]`` -> (scenario, overrides)."""
    name, *sets = text.split("@")
    if not name:
        raise ScenarioError(f"compare: {shown(text)} is not allowed: SCENARIO or SCENARIO@key=value")
    return name, parse_sets(sets)


def cmd_compare(args) -> int:
    """Run several scenarios with the same seed and reps; side-by-side table and one gap plot."""
    from . import compare

    variants = [parse_variant(a) for a in args.scenarios]
    base = parse_sets(args.set)
    out = Path(args.out) if args.out else output_folder.default_out("compare")
    # locked and checked before anything is computed; replaced only once written
    with output_folder.writing(out, force=args.force) as target:
        res = compare.run_compare(
            args.scenarios,
            [(n, {**base, **o}) for n, o in variants],
            reps=_reps(args.reps),
            seed=args.seed,
            years=args.years,
            options=_options(args),
        )
        compare.write_compare_files(res, target.work, figures=not args.no_plots)
    print(compare.format_compare(res))
    print(f"\nwrote {out}/: {', '.join(sorted(p.name for p in out.iterdir() if p.is_file()))}")
    return 0


def cmd_sensitivity(args) -> int:
    """One-at-a-time tornado and Sobol indices of a follower's headline metric."""
    from . import (
        runner,  # here, not at import: `python -m sim list` needs no pandas or SimPy
        sensitivity,
    )

    base_name = runner.resolve(args.scenario, overrides=parse_sets(args.set)).name
    out, resume = _out_resume(args, lambda: output_folder.default_out(base_name, "-sensitivity"))
    args.out = args.out or (None if resume else str(out))  # named in the hint if interrupted
    res = sensitivity.run_sensitivity(
        args.scenario,
        args.params,
        n=args.n,
        reps=_reps(args.reps),
        seed=args.seed,
        years=args.years,
        follower=args.follower,
        overrides=parse_sets(args.set),
        sobol=not args.no_sobol,
        figures=not args.no_plots,
        options=_options(args, out, resume),
    )
    _notes(res.get("notes"))
    print(sensitivity.format_sensitivity(res))
    print(f"\nwrote {out}/: {', '.join(sorted(p.name for p in out.iterdir() if p.is_file()))}")
    return 0


def cmd_plot(args) -> int:
    """Re-draw the figures of a results folder or store (run, sweep or sensitivity)."""
    from . import store as store_mod

    d = Path(args.dir)
    if not d.is_dir() or not store_mod.is_store(d) and not (d / "summary.json").is_file():
        raise ScenarioError(f"plot: {shown_path(d)} is not a results folder or store")
    with output_folder.locked(d):  # no writer may change the folder while we read and draw
        kind = store_mod.Store.read(d).manifest["kind"] if store_mod.is_store(d) else "run"
        if kind == "sweep":
            from . import sweep

            drawn = [sweep.draw_sweep(sweep.load_sweep(d), d).name]
        elif kind == "sensitivity":
            from . import sensitivity

            res = sensitivity.load_sensitivity(d)
            sensitivity.write_sensitivity(res, d)
            drawn = ["tornado.png"] + (["sobol.png"] if res["sobol"] is not None else [])
        elif kind == "compare":
            raise ScenarioError(f"plot: {shown_path(d)} holds a comparison; rerun compare to redraw it")
        else:
            from .results import load_results

            drawn = load_results(d).save_figures(d)
    print(f"drew {d}/: {', '.join(drawn)}")
    return 0


def _notes(notes) -> None:
    """What resuming found (damaged parts recomputed, nothing to do), on stderr."""
    for note in notes or []:
        print(f"note: {one_line(note)}", file=sys.stderr)


def cmd_list(args) -> int:
    """Print scenario names and their one-line descriptions."""
    scenarios = list_scenarios()
    width = max((len(n) for n in scenarios), default=0)
    for name, desc in scenarios.items():
        print(one_line(f"{name.ljust(width)}  {desc}").rstrip())
    return 0


def cmd_figures(args) -> int:
    """Draw the figures registered under ``rdgap.figures`` (e.g. one per seed claim) into a folder."""
    from importlib.metadata import entry_points

    if args.reps < 1 or args.workers < 1:
        raise ScenarioError(f"--reps/--workers: {args.reps}/{args.workers} is not allowed: both must be >= 1")
    makers = list(entry_points(group="rdgap.figures"))
    if args.only:
        unknown = sorted(set(args.only) - {ep.name for ep in makers})
        if unknown:
            raise ScenarioError(
                f"only: {unknown[0]!r} is not a figure maker; known: {sorted(ep.name for ep in makers)}"
            )
        makers = [ep for ep in makers if ep.name in args.only]
    if not makers:
        raise ScenarioError("figures: no figure makers are installed (entry point group rdgap.figures)")
    for ep in makers:
        numbers = ep.load()(args.dir, reps=args.reps, workers=args.workers)
        print(f"{ep.name}: wrote {len(numbers)} figure sets to {args.dir}")
        if args.readme and (Path(args.dir) / f"{ep.name}.md").is_file():
            splice_section(Path(args.readme), ep.name, (Path(args.dir) / f"{ep.name}.md").read_text())
            print(f"{ep.name}: rewrote its section of {args.readme}")
    return 0


def splice_section(path: Path, name: str, text: str) -> None:
    """Replace what stands between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->`` in the
    file ``path`` by ``text`` (written aside, then renamed)."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    doc = path.read_text()
    if doc.count(begin) != 1 or doc.count(end) != 1 or doc.index(begin) > doc.index(end):
        raise ScenarioError(f"readme: {str(path)!r} needs one {begin} and one {end} line, in that order")
    head, rest = doc.split(begin)
    _, tail = rest.split(end)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(f"{head}{begin}\n{text.strip()}\n{end}{tail}")
    tmp.replace(path)


def cmd_backtest(args) -> int:
    """Run a scenario to its record's cut-off; every check observed against the simulated band."""
    from . import backtest

    sets = parse_sets(args.set)
    if args.record:
        sets["backtest.record"] = str(Path(args.record).resolve())
    res = backtest.run_backtest(
        args.scenario, until=args.until, reps=_reps(args.reps), seed=args.seed, overrides=sets,
        options=_options(args),
    )  # fmt: skip
    out = Path(args.out)
    names = backtest.write_backtest(res, out, figures=not args.no_plots)
    print(backtest.format_backtest(res))
    print(f"\nwrote {out}/: {', '.join(names)}")
    return 0


def cmd_calibrate(args) -> int:
    """ABC-SMC of a scenario's uncertain assumptions to its record; a calibrated scenario and
    its posterior predictive backtest."""
    from . import backtest, calibrate

    out = Path(args.out)
    sets = parse_sets(args.set)
    cal = calibrate.calibrate_scenario(
        args.scenario, args.priors, until=args.until, max_simulations=args.max_simulations,
        population_size=args.population, seed=args.seed or 0, overrides=sets, options=_options(args),
    )  # fmt: skip
    base = str(Path(args.scenario).resolve()) if Path(args.scenario).suffix == ".toml" else args.scenario
    names = calibrate.write_calibration(cal, out, base, figures=not args.no_plots)
    print(calibrate.format_calibration(cal))
    # the posterior predictive check: the calibrated scenario (parameters drawn per rep) beside the record
    ppc = backtest.run_backtest(
        out / "calibrated.toml", until=args.until, reps=args.check_reps, seed=args.seed, overrides=sets,
        options=_options(args),
    )  # fmt: skip
    names += [f"predictive/{n}" for n in backtest.write_backtest(ppc, out / "predictive", not args.no_plots)]
    print("\nposterior predictive " + backtest.format_backtest(ppc))
    print(f"\nwrote {out}/: {', '.join(names)}")
    return 0


def cmd_show(args) -> int:
    """Print the fully resolved, validated parameters as JSON."""
    from . import runner  # here, not at import: `python -m sim list` needs no pandas or SimPy

    params = runner.resolve(args.scenario, overrides=parse_sets(args.set))
    print(json.dumps(params.model_dump(mode="json"), indent=2))
    return 0


def _add_exec(p) -> None:
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="local worker processes, or LocalCluster workers with --dask local (default 1)",
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on a running Dask scheduler")
    g.add_argument("--dask", choices=["local"], help="start a Dask LocalCluster with --workers workers")


def _add_common(p, reps_help: str, store: bool = True) -> None:
    p.add_argument("--reps", help=reps_help)
    p.add_argument("--seed", type=int, help="root seed (overrides run.seed)")
    p.add_argument("--years", type=float, help="simulated horizon in years")
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a parameter, e.g. teams.leader.diagnosis=0.5 (repeatable)",
    )
    p.add_argument(
        "--at-year",
        type=float,
        default=RunOptions().at_year,
        help="headline metric: months behind, mean over the 6 months before this year (default 5)",
    )
    p.add_argument("--out", help="output folder")
    p.add_argument(
        "--force",
        action="store_true",
        help="allow --out to be a non-empty folder that is not a results folder (its content is replaced)",
    )
    if store:
        p.add_argument(
            "--resume",
            metavar="DIR",
            help="continue the store in DIR (same command line) without recomputing finished parts",
        )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--no-plots", action="store_true", help="write no figures")
    _add_exec(p)


def _add_history_common(p, reps_help: str | None) -> None:
    """The flags ``backtest`` and ``calibrate`` share."""
    if reps_help:
        p.add_argument("--reps", help=reps_help)
    p.add_argument("--seed", type=int, help="root seed (overrides run.seed)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a parameter (repeatable)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--no-plots", action="store_true", help="write no figures")
    p.set_defaults(at_year=RunOptions().at_year, reps=None)
    _add_exec(p)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser and its subcommands."""
    p = argparse.ArgumentParser(prog="python -m sim", description="rdgap: simulate R&D know-how gaps.")
    cmds = "{run,sweep,compare,sensitivity,backtest,calibrate,plot,figures,list,show}"
    sub = p.add_subparsers(dest="command", required=True, metavar=cmds)
    set_help = "override a parameter, e.g. teams.leader.diagnosis=0.5 (repeatable)"

    r = sub.add_parser("run", help="run a scenario and save its results")
    r.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help="scenario name or TOML path (default: the installed default, see 'list')",
    )
    _add_common(r, "replications (overrides run.reps), or 'auto' to stop at --ci")
    r.add_argument(
        "--ci",
        type=float,
        default=0.05,
        help="with --reps auto: target 95%% half-width over |mean| of the headline metric (default 0.05)",
    )
    r.add_argument(
        "--max-reps",
        type=int,
        default=RunOptions().max_reps,
        help=f"with --reps auto: at most this many reps (default {RunOptions().max_reps})",
    )
    r.set_defaults(func=cmd_run)

    w = sub.add_parser("sweep", help="run a scenario over a grid or Latin hypercube of parameters")
    w.add_argument("scenario", help="scenario name or TOML path")
    w.add_argument(
        "--vary",
        action="append",
        metavar="KEY=SPEC",
        help="key=v1,v2,v3 or key=lo:hi:n (key=lo:hi with --design lhs); repeatable",
    )
    w.add_argument("--design", choices=["grid", "lhs"], default="grid", help="grid (default) or lhs")
    w.add_argument("--samples", type=int, help="points of a Latin hypercube (default 10)")
    w.add_argument(
        "--metrics-only",
        action="store_true",
        help="store only per-rep headline figures, not the full tables of every point",
    )
    _add_common(w, "replications per point (default the scenario's run.reps)")
    w.set_defaults(func=cmd_sweep)

    c = sub.add_parser("compare", help="run scenarios side by side (same seed and reps)")
    c.add_argument(
        "scenarios",
        nargs="+",
        metavar="SCENARIO[@key=value...]",
        help="scenario names or paths; @key=value adds overrides to one of them",
    )
    _add_common(c, "replications per scenario (default each scenario's run.reps)", store=False)
    c.set_defaults(func=cmd_compare)

    e = sub.add_parser("sensitivity", help="one-at-a-time tornado and Sobol indices")
    e.add_argument("scenario", help="scenario name or TOML path")
    e.add_argument(
        "--params",
        required=True,
        metavar="K1,K2=LO:HI,...",
        help="dotted keys; default range the scenario value +-50%% within the schema's bounds",
    )
    e.add_argument("--follower", help="follower whose headline metric is analysed (default the first)")
    e.add_argument("--n", type=int, default=16, help="Sobol base samples, a power of two (default 16)")
    e.add_argument("--no-sobol", action="store_true", help="one-at-a-time only")
    _add_common(e, "replications per point (default 4)")
    e.set_defaults(func=cmd_sensitivity, reps=None)

    pl = sub.add_parser("plot", help="re-draw the figures of a results folder or store")
    pl.add_argument("dir", help="results folder or store")
    pl.set_defaults(func=cmd_plot)

    fg = sub.add_parser("figures", help="draw the README's figures (one per seed claim) into DIR")
    fg.add_argument("dir", help="output folder, e.g. docs/figures")
    fg.add_argument("--reps", type=int, default=100, help="replications per scenario (default 100)")
    fg.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    fg.add_argument("--only", action="append", metavar="NAME", help="only this figure maker (repeatable)")
    fg.add_argument(
        "--readme", metavar="FILE", help="rewrite each maker's marked section of FILE (its NAME.md)"
    )
    fg.set_defaults(func=cmd_figures)

    b = sub.add_parser("backtest", help="a scenario beside its record: checks against the simulated bands")
    b.add_argument("scenario", help="scenario name or TOML path (its model must have a record)")
    b.add_argument("--record", metavar="FILE", help="the record (CSV) instead of the shipped one")
    b.add_argument("--until", metavar="YYYY-MM-DD", help="cut-off of the record (default: the scenario's)")
    _add_history_common(b, "replications (default the scenario's run.reps)")
    b.set_defaults(func=cmd_backtest)

    cb = sub.add_parser("calibrate", help="ABC-SMC of a scenario's assumptions to its record")
    cb.add_argument("scenario", help="scenario name or TOML path (its model must have a record)")
    cb.add_argument("--priors", required=True, metavar="FILE.toml", help="priors of the dotted keys to fit")
    cb.add_argument("--until", metavar="YYYY-MM-DD", help="cut-off of the record (default: the scenario's)")
    cb.add_argument("--max-simulations", type=int, help="most simulations (default: the priors' [abc])")
    cb.add_argument("--population", type=int, help="particles per generation (default: the priors' [abc])")
    cb.add_argument("--check-reps", type=int, default=100, help="reps of the posterior predictive backtest")
    _add_history_common(cb, None)
    cb.set_defaults(func=cmd_calibrate)

    sub.add_parser("list", help="list named scenarios").set_defaults(func=cmd_list)

    s = sub.add_parser("show", help="print a scenario's resolved parameters (JSON)")
    s.add_argument("scenario", help="scenario name or TOML path")
    s.add_argument("--set", action="append", metavar="KEY=VALUE", help=set_help)
    s.set_defaults(func=cmd_show)
    return p


def _resume_hint(args) -> str:
    if not hasattr(args, "resume"):  # compare keeps nothing to resume
        return ""
    where = args.resume or args.out
    return f"; finished parts are kept: rerun the same command with --resume {where}" if where else ""


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 2 bad input)."""
    args = build_parser().parse_args(argv)
    from .executors import INTERRUPTED

    def on_ctrl_c(signum, frame):
        INTERRUPTED.set()  # remembered: the KeyboardInterrupt below may be swallowed
        raise KeyboardInterrupt

    def quiet_unraisable(unraisable):
        # The swallowed Ctrl-C (see on_ctrl_c) is not an error to show: the runner raises it
        # again between batches. Anything else is printed as Python would.
        if not (INTERRUPTED.is_set() and isinstance(unraisable.exc_value, KeyboardInterrupt)):
            sys.__unraisablehook__(unraisable)

    INTERRUPTED.clear()
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_ctrl_c) if main_thread else None
    previous_hook, sys.unraisablehook = sys.unraisablehook, quiet_unraisable
    try:
        return args.func(args)
    except ScenarioError as exc:
        print("error: " + one_line(flag_message(" ".join(str(exc).split()))), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"interrupted{_resume_hint(args)}", file=sys.stderr)
        return 130
    except BrokenProcessPool:  # a local worker was killed (out of memory, kill -9)
        print(f"error: a worker process died{_resume_hint(args)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:  # a full or failing disk while writing results
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: {one_line(str(exc.strerror or exc) + where)}{_resume_hint(args)}", file=sys.stderr)
        return 1
    finally:
        sys.unraisablehook = previous_hook
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
