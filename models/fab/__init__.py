"""The fab model: teams' experimental lots through routes on shared fab tools (DESIGN §3.4).

Registered as model ``fab`` (entry point ``rdgap.models``); its figures (yield
ramp, cost of 25 good wafers, operating curve) are written by ``run``.
"""

from sim.model import Model
from sim.units import MINUTE

from .params import AREAS, FabParams
from .simulate import simulate
from .tables import schemas


class FabModel(Model):
    """Teams' 25-wafer lots through re-entrant routes on a fab's tool groups; capability is
    log10 of the expected line yield."""

    name = "fab"
    Params = FabParams
    areas = AREAS
    time_unit = MINUTE  # processing times are minutes

    def schemas(self, params: FabParams):
        """The fab's tables: ``events`` (lots, or lot-steps too), ``states``, ``tool_groups``,
        ``fabs`` and ``yield_gap`` (:mod:`models.fab.tables`), team and fab names bound.
        """
        return schemas(params)

    def simulate(self, params: FabParams, streams, horizon: float):
        """One replication to ``horizon`` minutes (the fab's clock): :func:`models.fab.simulate.simulate`."""
        return simulate(params, streams, horizon)

    def example(self) -> dict:
        """A short ``fab_5nm_race`` (0.15 years, one replication) for the contract test."""
        return {"base": "fab_5nm_race", "name": "fab_example", "years": 0.15, "run": {"reps": 1}}

    def figures(self, results) -> dict:
        """The fab's own figures of a run: yield ramp, cost of 25 good wafers, operating curve
        (:func:`models.fab.plots.figures`).
        """
        from .plots import figures as make  # plotting loads only when asked

        return make(results)


MODEL = FabModel()
