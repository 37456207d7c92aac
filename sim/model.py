"""The model contract: what a model gives the engine (DESIGN §2).

The engine (:mod:`sim`) knows no domain. A model is a subclass of
:class:`Model` that declares

* ``name`` (the scenario's ``model`` field), ``Params`` (its pydantic scenario
  schema, a subclass of :class:`sim.scenario.ScenarioBase`) and ``areas`` (the
  areas of its failure modes);
* ``time_unit`` (the unit of its SimPy clock, :mod:`sim.units`; tables are in
  days whatever it is);
* ``headline`` (the gap-table column the headline metric averages);
* ``schemas(params)``: its tables' columns, declared once
  (:class:`sim.recorder.Schema`); ``events`` and ``states`` always, plus any
  tables of its own;
* ``simulate(params, streams, horizon)``: one replication, returning a
  :class:`SimOutput`;
* ``example()``: a scenario of a few seconds, which the contract test runs;

and may add ``levers(params)`` (sliders for :func:`sim.explore`),
``figures(results)`` (its own plots, written by ``run``), ``report(results)`` (text
the command line prints after a run), ``sweep_figures(result, table)`` (plots of a
sweep) and ``backtest(params)`` (the record a scenario stands beside).

A model registers under the ``rdgap.models`` entry-point group (or with
:func:`sim.registry.register_model`); registration checks it against this
contract (:func:`check_model`), and the engine checks every replication's
output against the declared schemas (:func:`check_output`).

The minimal model, in full, is ``tests/toy_model.py`` (README, "Adding a
model").
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from .recorder import Recorder, Schema
from .units import TimeUnit

if TYPE_CHECKING:  # pragma: no cover
    from .scenario import ScenarioBase

__all__ = ["Model", "SimOutput", "Milestone", "Headline", "check_model", "check_output"]

#: Columns every model's ``states`` table has: the engine builds the public
#: capability staircase, the gap table and cost ratios from them.
STATE_COLUMNS = ("rep", "t_days", "team", "capability", "spend_usd")
#: Columns every ``events`` table has.
EVENT_COLUMNS = ("rep", "t_days", "team")


class Milestone(NamedTuple):
    """A team's public capability before the start (its history), or a labelled release."""

    team: str
    t_days: float
    capability: float
    label: str = ""


@dataclass(frozen=True)
class Headline:
    """The headline metric: the mean of a gap-table column over a window (see :mod:`sim.headline`)."""

    column: str = "months_behind"
    label: str = "months behind"
    unit: str = "months"


@dataclass
class SimOutput:
    """What one replication returns.

    Attributes
    ----------
    events, states : Recorder
        Rows of the ``events`` and ``states`` tables (``states``: team state at
        each change; the engine samples it on the scenario's grid).
    history : list of Milestone
        Public capability before ``t_days = 0`` (the same in every replication).
    tables : dict of name -> Recorder
        The model's own tables (e.g. the fab's ``tool_groups``).
    """

    events: Recorder
    states: Recorder
    history: list[Milestone] = field(default_factory=list)
    tables: dict[str, Recorder] = field(default_factory=dict)


class Model(abc.ABC):
    """Base class of every model; see the module docstring for the contract."""

    name: ClassVar[str]
    Params: ClassVar[type[ScenarioBase]]
    areas: ClassVar[tuple[str, ...]]
    time_unit: ClassVar[TimeUnit]
    headline: ClassVar[Headline] = Headline()

    @abc.abstractmethod
    def schemas(self, params) -> dict[str, Schema]:
        """Every table's schema for these params: ``events``, ``states`` and the model's own."""

    @abc.abstractmethod
    def simulate(self, params, streams, horizon: float) -> SimOutput:
        """One replication to ``horizon`` (in :attr:`time_unit`) with the named random ``streams``
        (:class:`sim.streams.Streams`)."""

    @abc.abstractmethod
    def example(self) -> dict:
        """Raw scenario data (as read from TOML) of a run of a few seconds."""

    def levers(self, params) -> dict[str, tuple[float, float, float]]:
        """Dotted key -> (low, high, step) of the main levers, for :func:`sim.explore`."""
        return {}

    def figures(self, results) -> dict[str, Any]:
        """The model's own figures of a run, ``{file name: matplotlib Figure}``."""
        return {}

    def report(self, results) -> str:
        """Text the command line prints after a run's summary (e.g. a fit to published
        figures); "" for none. ``results`` is a :class:`sim.results.Results`."""
        return ""

    def sweep_figures(self, result: dict, table) -> dict[str, Any]:
        """The model's own figures of a sweep (e.g. an operating curve), ``{file name: Figure}``.

        ``result`` is what :func:`sim.sweep.sweep` returns (``points``, ``keys``, ...);
        ``table(name)`` reads one of the model's tables over every point (a ``point``
        column first). Called only when the sweep kept its tables.
        """
        return {}

    def backtest(self, params):
        """The record ``params`` stand beside (a :class:`sim.backtest.Backtest`), or None."""
        return None

    def __repr__(self) -> str:
        return f"<model {self.name!r}>"


def check_model(model, name: str | None = None) -> None:
    """Raise ``TypeError`` naming what ``model`` lacks of the contract."""
    from .scenario import ScenarioBase

    who = f"model {name or getattr(model, 'name', '?')!r}"
    if not isinstance(model, Model):
        raise TypeError(f"{who}: is a {type(model).__name__}, not an instance of sim.Model")
    if name is not None and model.name != name:
        raise TypeError(f"{who}: registered as {name!r} but its name is {model.name!r}")
    for attr in ("name", "Params", "areas", "time_unit", "headline"):
        if not hasattr(model, attr):
            raise TypeError(f"{who}: has no {attr!r}")
    if not (isinstance(model.Params, type) and issubclass(model.Params, ScenarioBase)):
        raise TypeError(f"{who}: Params must be a subclass of sim.scenario.ScenarioBase")
    if not isinstance(model.time_unit, TimeUnit):
        raise TypeError(f"{who}: time_unit must be a sim.units.TimeUnit, got {model.time_unit!r}")
    if not (isinstance(model.areas, tuple) and model.areas and all(isinstance(a, str) for a in model.areas)):
        raise TypeError(f"{who}: areas must be a non-empty tuple of str")
    if not isinstance(model.headline, Headline):
        raise TypeError(f"{who}: headline must be a sim.model.Headline")


def check_output(model: Model, params, out) -> None:
    """Raise ``TypeError`` unless ``out`` is a :class:`SimOutput` whose tables follow the
    model's declared schemas."""
    who = f"model {model.name!r}"
    if not isinstance(out, SimOutput):
        raise TypeError(f"{who}: simulate returned a {type(out).__name__}, not a sim.model.SimOutput")
    declared = model.schemas(params)
    given = {"events": out.events, "states": out.states, **out.tables}
    for name, rec in given.items():
        if not isinstance(rec, Recorder):
            raise TypeError(f"{who}: table {name!r} is a {type(rec).__name__}, not a sim.recorder.Recorder")
        if name not in declared:
            raise TypeError(f"{who}: table {name!r} is not declared by schemas()")
        if rec.schema.names != declared[name].names:
            raise TypeError(
                f"{who}: table {name!r} has columns {rec.schema.names}, declared {declared[name].names}"
            )
    for name, required in (("states", STATE_COLUMNS), ("events", EVENT_COLUMNS)):
        missing = [c for c in required if c not in declared[name]]
        if missing:
            raise TypeError(f"{who}: the {name} table lacks the engine's column {missing[0]!r}")
    for m in out.history:
        if not isinstance(m, Milestone):
            raise TypeError(f"{who}: history entries must be sim.model.Milestone, got {m!r}")
