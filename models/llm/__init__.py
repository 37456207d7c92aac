"""The LLM race model: teams training models on GPU clusters (DESIGN §3.3)."""

from sim.model import Model
from sim.units import DAY

from .params import AREAS, LLMParams
from .race import simulate
from .tables import schemas


class LLMModel(Model):
    """Teams' training runs on shared GPU clusters; capability in log10 effective FLOP."""

    name = "llm"
    Params = LLMParams
    areas = AREAS
    time_unit = DAY

    def schemas(self, params: LLMParams):
        """The race's ``events`` and ``states`` tables (:mod:`models.llm.tables`), team names bound."""
        return schemas(params)

    def simulate(self, params: LLMParams, streams, horizon: float):
        """One replication to ``horizon`` days: :func:`models.llm.race.simulate`."""
        return simulate(params, streams, horizon)

    def example(self) -> dict:
        """A one-year, two-replication ``chatgpt_race`` for the contract test."""
        return {"base": "chatgpt_race", "name": "llm_example", "years": 1.0, "run": {"reps": 2}}

    def backtest(self, params: LLMParams):
        """The record of a scenario with a ``[backtest]`` section (:mod:`models.llm.backtest`)."""
        if params.backtest is None:
            return None
        from .backtest import RaceBacktest

        return RaceBacktest(params)

    def levers(self, params: LLMParams) -> dict:
        """Each follower's main levers: dotted key -> (low, high, step)."""
        out = {}
        for name in params.teams:
            if name == params.leader:
                continue
            t = f"teams.{name}."
            out |= {
                t + "diagnosis": (0.0, 1.0, 0.05),
                t + "fail_early": (0.0, 1.0, 0.05),
                t + "prep_days": (0.0, 60.0, 5.0),
                t + "share": (0.1, 1.0, 0.05),
                t + "know_how.data": (0.0, 3.0, 0.25),
            }
        return out


MODEL = LLMModel()
