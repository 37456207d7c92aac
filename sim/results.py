"""Results of a run: tidy DataFrames, headline figures, plots, save and load."""

from __future__ import annotations

import datetime as dt
import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd

from . import gap as gap_mod
from . import plots
from . import tables as tables_mod
from .gap import FLAGS
from .trajectory import on_grid
from .units import DAYS_PER_YEAR

FILES = ("events.parquet", "trajectories.parquet", "gap.parquet", "summary.json")


def package_version() -> str:
    """The installed ``rdgap`` version, or ``0+unknown`` when run from a source tree
    that is not installed (written into every ``summary.json`` and manifest).
    """
    try:
        return version("rdgap")
    except PackageNotFoundError:  # running from a source tree
        return "0+unknown"


class Results:
    """The tables of one run.

    Attributes
    ----------
    events : DataFrame, one row per run, release or absorbed lesson
    trajectories : DataFrame, team state on the grid (``rep, t_days, team,
        capability`` = public best, ``internal_capability, measured_capability,
        spend_usd`` cumulative US$, ...)
    gap : DataFrame, per follower and grid time (``rep, t_days, follower,
        leader, capability_gap, months_behind, months_behind_flag, cost_ratio``)
    staircase : DataFrame, public-best changes incl. the leader's history
    summary : dict, scenario, seed, reps, version, params and headline figures
    """

    def __init__(self, events, trajectories, gap, staircase, summary, metrics=None, tables=None):
        self.events, self.trajectories, self.gap = events, trajectories, gap
        self.staircase, self.summary = staircase, summary
        #: per (rep, follower) headline figures (see :mod:`sim.headline`)
        self.metrics = metrics
        #: extra per-model tables by name (e.g. a fab model's lots), if any
        self.tables = dict(tables or {})

    CORE = ("events", "trajectories", "gap", "staircase")

    @classmethod
    def from_tables(cls, tables: dict, summary: dict, metrics=None) -> Results:
        """Results from a dict of tables: the four core ones (``events``, ``trajectories``,
        ``gap``, ``staircase``) become attributes, any others the model's ``tables``.
        """
        extra = {k: v for k, v in tables.items() if k not in cls.CORE}
        return cls(
            tables["events"],
            tables["trajectories"],
            tables["gap"],
            tables["staircase"],
            summary,
            metrics=metrics,
            tables=extra,
        )

    @property
    def start_date(self) -> str:
        """The scenario's calendar date of ``t_days = 0`` (ISO string)."""
        return self.summary["start_date"]

    @property
    def params(self):
        """The run's validated parameters (typed: ``res.params.teams["leader"].diagnosis``)."""
        from . import scenario as scenario_mod

        if getattr(self, "_params", None) is None:
            self._params = scenario_mod.load(self.summary["params"])
        return self._params

    def headline(self) -> pd.DataFrame:
        """Per follower: months behind at start and end (median, 90% interval), share widened."""
        return pd.DataFrame(self.summary["followers"]).set_index("follower")

    def milestones(self) -> pd.DataFrame:
        """The leader's labelled history and releases (``t_days``, ``capability``, ``label``),
        marked on the capability plot.
        """
        h = pd.DataFrame(self.summary["history"], columns=["team", "t_days", "capability", "label"])
        return h[h["team"] == self.summary["leader"]][["t_days", "capability", "label"]]

    def plot_gap(self, ax=None):
        """Months behind over time per follower (median, 50% and 90% bands)."""
        return plots.plot_gap(self.gap, start_date=self.start_date, ax=ax)

    def plot_capability(self, ax=None):
        """Public capability per team over time, the leader's milestones marked."""
        return plots.plot_capability(
            self.trajectories, milestones=self.milestones(), start_date=self.start_date, ax=ax
        )

    def save(self, out_dir, figures: bool = True) -> Path:
        """Write the tables, ``summary.json``, a ``manifest.json`` listing them (with their
        sizes and hashes: what :func:`load_results` reads back) and (optionally)
        ``gap.png``, ``capability.png``."""
        from . import store as store_mod

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        tables = {"events": self.events, "trajectories": self.trajectories, "gap": self.gap}
        tables.update(staircase=self.staircase, **self.tables)
        if self.metrics is not None:
            tables["metrics"] = self.metrics
        files = {f"{name}.parquet": store_mod.parquet_bytes(t) for name, t in tables.items()}
        files["summary.json"] = json.dumps(self.summary, indent=2, default=str).encode()
        for name, data in files.items():
            store_mod.write_atomic(out / name, data)
        manifest = {
            "format": store_mod.FORMAT,
            "kind": "saved",
            "spec": {"scenario": self.summary.get("scenario")},
            "version": package_version(),
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "sessions": 1,
            "complete": True,
            "parts": {},
            "outputs": {name: store_mod.bytes_record(data) for name, data in files.items()},
            "summary": json.loads(json.dumps(self.summary, default=str)),
        }
        store_mod.write_atomic(out / store_mod.MANIFEST, json.dumps(manifest, indent=1).encode())
        if figures:
            self.save_figures(out)
        return out

    def save_figures(self, out_dir, model: bool = True) -> list[str]:
        """Write ``gap.png``, ``capability.png`` and (with ``model``) the model's own
        figures (:meth:`sim.Model.figures`, e.g. the fab's yield ramp); returns the names."""
        out = Path(out_dir)
        names = []
        # A leader-only run (e.g. a production fab, no R&D teams) has no gap and no trajectories.
        if self.gap is not None and len(self.gap):
            plots.save_figure(self.plot_gap(), out / "gap.png")
            names.append("gap.png")
        if self.trajectories is not None and len(self.trajectories):
            plots.save_figure(self.plot_capability(), out / "capability.png")
            names.append("capability.png")
        if model:
            from . import registry

            for name, fig in registry.get_model(self.summary["model"]).figures(self).items():
                plots.save_figure(fig, out / name)
                names.append(name)
        return names


def save_store_figures(out_dir, summary: dict) -> list[str]:
    """The figures of a finished run folder, reading only the columns the common plots
    need (a run of many replications does not fit in memory twice); the whole tables
    only if the model draws figures of its own."""
    from . import registry
    from .model import Model

    out = Path(out_dir)
    gap = pd.read_parquet(
        out / "gap.parquet", columns=["rep", "t_days", "follower", "leader", "months_behind"]
    )
    traj = pd.read_parquet(out / "trajectories.parquet", columns=["rep", "t_days", "team", "capability"])
    names = Results(None, traj, gap, None, summary).save_figures(out, model=False)
    del gap, traj
    model = registry.get_model(summary["model"])
    if type(model).figures is not Model.figures:
        full = load_results(out)
        for name, fig in model.figures(full).items():
            plots.save_figure(fig, out / name)
            names.append(name)
    return names


def load_results(out_dir, point: int | None = None) -> Results:
    """Read what :meth:`Results.save` wrote, or a result store (see :mod:`sim.store`).

    The folder's manifest is the authority: only the tables it lists are read,
    each verified against its recorded size and hash, and the summary is the
    manifest's (an edited ``summary.json`` or a stray parquet file is not read).
    A store may be unfinished (interrupted): its finished parts are read. For a
    sweep or sensitivity store, ``point`` picks one point (default: all points,
    with a ``point`` column first). A folder written before manifests (no
    ``manifest.json``) gives its core tables and the tables its model declares.
    Problems are one :class:`~sim.scenario.ScenarioError` line.
    """
    from . import store as store_mod
    from .validation import ScenarioError, shown, shown_path

    d = Path(out_dir)
    if not d.is_dir():
        raise ScenarioError(f"{shown_path(d)} is not a results folder (no such folder)")
    if store_mod.is_store(d):
        store = store_mod.Store.read(d)
        kind = store.manifest["kind"]
        if kind == "compare":
            raise ScenarioError(f"{shown_path(d)} holds a comparison (compare.csv), not the tables of a run")
        if kind == "saved":
            return _load_saved(store, point)
        return _load_store(store, _check_point(store, point))
    missing = [f for f in FILES if not (d / f).is_file()]
    if missing:
        raise ScenarioError(f"{shown_path(d)} is not a results folder, missing {', '.join(missing)}")
    if point is not None:
        raise ScenarioError(f"point: {shown(point)} is not allowed: {shown_path(d)} holds one run")
    try:
        summary = json.loads((d / "summary.json").read_text())
        tables = {n: pd.read_parquet(d / f"{n}.parquet") for n in Results.CORE}
        extra = {
            n: pd.read_parquet(d / f"{n}.parquet")
            for n in sorted(_declared_tables(summary))
            if (d / f"{n}.parquet").is_file()
        }
    except (OSError, ValueError) as exc:  # pyarrow's errors are OSError or ValueError (ArrowInvalid)
        raise ScenarioError(
            f"{shown_path(d)}: cannot read its tables ({str(exc).splitlines()[0][:120]})"
        ) from None
    metrics = extra.pop("metrics", None)
    return Results.from_tables({**tables, **extra}, summary, metrics)


def _declared_tables(summary: dict) -> set[str]:
    """The tables a run of ``summary``'s model writes besides the core ones (legacy folders)."""
    from . import registry
    from . import scenario as scenario_mod

    names = {"metrics", "params"}
    try:
        params = scenario_mod.load(summary["params"])
        names |= set(registry.get_model(params.model).schemas(params)) - {"events", "states"}
    except (KeyError, TypeError, ValueError):  # an unreadable summary: the core tables only
        pass
    return names


def _check_point(store, point):
    """``point`` as the store's kind allows it (one error line otherwise)."""
    from .validation import ScenarioError, shown, shown_path

    man = store.manifest
    n = len(man["spec"].get("points") or [None]) if man["kind"] != "run" else 1
    if point is None:
        return None
    if isinstance(point, bool) or not isinstance(point, int) or not 0 <= point < n:
        raise ScenarioError(
            f"point: {shown(point)} is not allowed: an integer in [0, {n - 1}] "
            f"({shown_path(store.path)} holds {n} point(s))"
        )
    return None if man["kind"] == "run" else point


def _load_saved(store, point) -> Results:
    """A folder written by :meth:`Results.save`: the tables its manifest lists."""
    from .validation import ScenarioError, shown, shown_path

    if point is not None:
        raise ScenarioError(f"point: {shown(point)} is not allowed: {shown_path(store.path)} holds one run")
    names = [n.removesuffix(".parquet") for n in store.manifest["outputs"] if n.endswith(".parquet")]
    tables = {n: pd.read_parquet(store.output(f"{n}.parquet")) for n in names}
    for n in Results.CORE:
        tables.setdefault(n, pd.DataFrame())
    summary = store.manifest.get("summary") or json.loads(store.output("summary.json").read_text())
    return Results.from_tables(tables, summary, tables.pop("metrics", None))


def store_params(spec: dict, point: int | None = None):
    """The validated params of a store's spec (of one sweep point if given)."""
    from . import scenario as scenario_mod

    over = spec["points"][point] if point is not None and spec.get("points") else {}
    return scenario_mod.load(spec["params"], over)


def _load_store(store, point: int | None) -> Results:
    """A store's finished parts as :class:`Results` (consolidated files if the run finished),
    every file verified against the manifest."""
    from .validation import ScenarioError, shown_path

    man = store.manifest
    if man["kind"] == "run" and man.get("consolidated"):
        names = [*man["consolidated"], "metrics"]
        tables = {n: pd.read_parquet(store.output(f"{n}.parquet")) for n in names}
    else:
        with_point = man["kind"] != "run" and point is None
        tables = {n: store.table(n, point, with_point=with_point) for n in store.table_names()}
    metrics = tables.pop("metrics", None)
    if metrics is None or not list(store.entries(point)):  # (a leader-only run's metrics are empty)
        raise ScenarioError(f"{shown_path(store.path)}: no finished replications yet; resume the store")
    if man["kind"] == "run" and man.get("summary"):
        summary = man["summary"]
    else:
        params = store_params(man["spec"], point if man["kind"] != "run" else None)
        summary = make_summary(
            params,
            metrics.drop(columns=["point"], errors="ignore"),
            man.get("history") or [],
            complete=bool(man.get("complete")),
            **({"point": point} if point is not None else {}),
        )
    for n in Results.CORE:
        tables.setdefault(n, pd.DataFrame())
    return Results.from_tables(tables, summary, metrics)


def staircase_of(states: pd.DataFrame, history, reps: list[int], teams: list[str]) -> pd.DataFrame:
    """The public-best staircase: one row per change of a team's public capability
    (``rep, team, t_days, capability``), its ``history`` before the start included.

    ``states`` are a model's state rows (``rep, team, t_days, capability``, ...) of
    the replications ``reps``; ``teams`` are the categories of ``team``.
    """
    hist = pd.DataFrame(
        [(rep, h.team, h.t_days, h.capability) for rep in reps for h in history],
        columns=["rep", "team", "t_days", "capability"],
    ).astype({"rep": "int64", "t_days": "float64", "capability": "float64"})
    hist["team"] = pd.Categorical(hist["team"], categories=teams)
    own = states[["rep", "team", "t_days", "capability"]].astype({"team": str})
    own["team"] = pd.Categorical(own["team"], categories=teams)
    staircase = pd.concat([hist, own], ignore_index=True)
    staircase = staircase.sort_values(["rep", "team", "t_days"], kind="stable")
    # One row per change of a public best (state rows repeat it after every run).
    same = (
        (staircase["rep"] == staircase["rep"].shift())
        & (staircase["team"] == staircase["team"].shift())
        & (staircase["capability"] == staircase["capability"].shift())
    )
    return staircase[~same].reset_index(drop=True)


def frontier_table(staircase: pd.DataFrame, grid: np.ndarray, teams: list[str]) -> pd.DataFrame:
    """Per team and grid time: months behind the frontier (the best public record of all
    *other* teams, :func:`sim.gap.months_behind_frontier`; the leader has one too) and
    whether the team is on top (:func:`sim.gap.top_team`); columns :data:`sim.tables.FRONTIER`."""
    fr = gap_mod.months_behind_frontier(staircase, grid, teams)
    top = gap_mod.top_team(staircase, grid, teams)
    fr = fr.merge(top, on=["rep", "t_days"], how="left")
    fr["on_top"] = fr["team"] == fr["top_team"]
    return tables_mod.FRONTIER.bind(team=teams, months_behind_frontier_flag=FLAGS).cast(fr)


def build_tables(params, outs: list, reps: list[int]) -> dict[str, pd.DataFrame]:
    """The tables of some replications (``outs``: their :class:`~sim.model.SimOutput`, in
    rep order): ``events``, ``trajectories``, ``gap``, ``staircase`` and the model's
    own tables. Every table is per replication, so the tables of consecutive batches
    concatenate to those of the whole run; categorical columns share their
    categories (the schemas'), so they concatenate as categoricals."""
    first = outs[0]
    events = first.events.schema.frame([r for o in outs for r in o.events.rows])
    states = first.states.schema.frame([r for o in outs for r in o.states.rows])
    teams = sorted(params.teams)  # the contract: every model names its teams
    horizon = params.years * DAYS_PER_YEAR
    grid = np.arange(0.0, horizon + 1e-9, params.run.grid_days)
    trajectories = on_grid(states.drop_duplicates(["rep", "team", "t_days"], keep="last"), grid)
    staircase = staircase_of(states, first.history, reps, teams)
    gap_schema = tables_mod.GAP.bind(follower=teams, leader=teams, months_behind_flag=FLAGS)
    if teams:
        spend = states[["rep", "team", "t_days", "spend_usd"]]
        gap = gap_mod.gap_table(staircase, grid, params.leader, spend=spend)
        frontier = frontier_table(staircase, grid, teams)
        gap = gap.merge(
            frontier[["rep", "t_days", "team", "months_behind_frontier"]].rename(
                columns={"team": "follower"}
            ),
            on=["rep", "t_days", "follower"],
            how="left",
        )
        gap = gap_schema.cast(gap)
    else:  # no teams (e.g. a production fab alone): nobody is behind anyone
        gap = gap_schema.frame([])
        frontier = tables_mod.FRONTIER.bind(team=teams, months_behind_frontier_flag=FLAGS).frame([])
    tables = {
        "events": events,
        "trajectories": trajectories,
        "gap": gap,
        "staircase": staircase,
        "frontier": frontier,
    }
    for name, rec in first.tables.items():
        tables[name] = rec.schema.frame([r for o in outs for r in o.tables[name].rows])
    return tables


def make_summary(params, metrics: pd.DataFrame, history, **extra) -> dict:
    """``summary.json``: scenario, seed, reps, version, params, history and per
    follower the headline figures with intervals (from per-rep ``metrics``, see
    :mod:`sim.headline`)."""
    from . import headline

    at_year = extra.pop("at_year", headline.DEFAULT_AT_YEAR)
    followers = headline.summarise_metrics(metrics)
    lo, hi = headline.headline_window(params.years, at_year)
    summary = {
        "scenario": params.name,
        "model": params.model,
        "seed": params.run.seed,
        # a leader-only run has no metrics rows: its reps are the scenario's
        "reps": int(metrics["rep"].nunique()) if len(metrics) else int(extra.pop("reps", params.run.reps)),
        "years": params.years,
        "start_date": str(params.start_date),
        "leader": params.leader,
        "version": package_version(),
        "headline": {
            "metric": "months_behind window mean",
            "start_month": lo,
            "end_month": hi,
            "at_year": at_year,
            "ci": "95% Student-t interval of the mean over reps",
        },
        "params": params.model_dump(mode="json"),
        "history": [list(h) for h in history],
        "followers": json.loads(followers.to_json(orient="records")),
    }
    summary.update(extra)
    return summary
