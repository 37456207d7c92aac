"""One replication of an ``smt2020`` scenario: the testbed's production and any R&D teams.

The dataset is read once per process (:func:`dataset_of`); the kernel
(:class:`models.smt2020.fab.Fab`) runs on the minute clock and is sampled on the
scenario's grid for the ``fab`` table (time-average WIP, lots out); at the end the
``lots`` and ``tool_groups`` tables are filled from its records.
"""

from __future__ import annotations

import functools
import os

from sim.model import SimOutput
from sim.recorder import Recorder
from sim.units import MINUTE

from .data import Dataset
from .fab import Fab
from .params import Smt2020Params
from .rnd import EngineeringTeam, draw_modes
from .tables import schemas


@functools.lru_cache(maxsize=4)
def _read(path: str, name: str, stamp: float) -> Dataset:
    from .reader import read_dataset

    return read_dataset(path, name=name)


@functools.lru_cache(maxsize=1)
def _synthetic() -> Dataset:
    import tempfile

    from .reader import read_dataset
    from .synthetic import write_synthetic

    with tempfile.TemporaryDirectory() as d:  # written and read the way a user's folder is
        return read_dataset(write_synthetic(d), name="synthetic")


def dataset_of(params: Smt2020Params) -> Dataset:
    """The dataset a scenario names, read once per process (again if its folder changes)."""
    ds = params.dataset
    if ds.path is None:
        return _synthetic()
    return _read(ds.path, ds.name, os.stat(ds.path).st_mtime)


class Smt2020Sim:
    """Everything one replication holds; built and run by :func:`simulate`."""

    def __init__(self, params: Smt2020Params, streams):
        self.params, self.rep = params, streams.rep
        self.schemas = schemas(params)
        self.events = Recorder(self.schemas["events"])
        self.states = Recorder(self.schemas["states"])
        data = dataset_of(params)
        f = params.features
        self.fab = Fab(
            data,
            streams.generator("fab"),
            start_rate=params.start_rate,
            breakdowns=f.breakdowns,
            pm=f.pm,
            rework=f.rework,
            sampling=f.sampling,
            transport=f.transport,
            wip=f.wip,
            lens_dedication=f.lens_dedication,
            cascading=f.cascading,
            engineering_policy=params.engineering.policy,
            engineering_share=params.engineering.share,
        )
        self.teams = []
        for name, tp in params.teams.items():
            product = tp.product if tp.product is not None else next(iter(data.products))
            if product not in data.products:
                from sim.validation import ScenarioError

                raise ScenarioError(
                    f"teams.{name}.product: {product!r} is not a part of dataset {data.name!r} "
                    f"({', '.join(sorted(data.products))})"
                )
            # one world per product and replication, the same for every team (common random numbers)
            modes = draw_modes(streams.generator("world", product), data.products[product], params.world)
            team = EngineeringTeam(
                name, tp, product, params.world, modes, streams.generator("team", name), self
            )
            team.record_state(0.0)
            team.start()
            self.teams.append(team)

    def run(self, horizon: float) -> SimOutput:
        """Run to ``horizon`` minutes, sampling the fab on the grid; return the tables."""
        fab_rows = Recorder(self.schemas["fab"])
        step = MINUTE.from_days(self.params.run.grid_days)
        t0, area0, out0 = 0.0, 0.0, 0
        t = 0.0
        while t < horizon:
            t = min(t + step, horizon)
            self.fab.run(t)
            area = self.fab.wip_lots() * t  # lot-minutes since clock 0
            out = len(self.fab.lots)
            fab_rows.add(
                rep=self.rep,
                t_days=MINUTE.to_days(t),
                wip_lots=(area - area0) / (t - t0),
                lots_out=out - out0,
                lot_steps=self.fab.lot_steps,
            )
            t0, area0, out0 = t, area, out
        return SimOutput(
            self.events,
            self.states,
            tables={"lots": self._lots(), "tool_groups": self._tool_groups(), "fab": fab_rows},
        )

    def _lots(self) -> Recorder:
        rec = Recorder(self.schemas["lots"])
        days = MINUTE.to_days
        for lot in self.fab.lots:
            team, name = lot.tag if lot.engineering else ("", lot.name)
            rec.add(
                rep=self.rep,
                lot=name,
                product=lot.product,
                priority=lot.priority,
                engineering=lot.engineering,
                team=team,
                release_t_days=days(lot.release_min),
                finish_t_days=days(lot.finish_min),
                cycle_time_days=days(lot.finish_min - lot.release_min),
                raw_process_days=days(lot.raw_process_min),
                transport_days=days(lot.transport_min),
                due_t_days=days(lot.due_min),
                cqt_violations=lot.cqt_violations,
                reworks=lot.reworks,
            )
        return rec

    def _tool_groups(self) -> Recorder:
        rec = Recorder(self.schemas["tool_groups"])
        for row in self.fab.tool_group_stats():
            rec.add(rep=self.rep, **{k: row[k] for k in rec.columns if k != "rep"})
        return rec


def simulate(params: Smt2020Params, streams, horizon: float) -> SimOutput:
    """One replication to ``horizon`` minutes with the named random ``streams``."""
    return Smt2020Sim(params, streams).run(horizon)
