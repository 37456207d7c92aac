"""The toy model with a record: a known-answer test of backtest and calibration.

The record is what one replication of known parameters gave (a synthetic record), so a
calibration must find those parameters again, and a backtest must find the record inside
its bands at about the nominal rate.
"""

from typing import Literal

import numpy as np

from sim.backtest import Backtest
from tests.toy_model import ToyModel, ToyParams

DAYS = 730.0  # the toy record's cut-off: two years


class ToyRecordParams(ToyParams):
    model: Literal["toy_history"]
    record: dict[str, float] = {}


class ToyBacktest(Backtest):
    """Checks: each team's runs that succeeded per year (its capability over two years)."""

    def __init__(self, params):
        import datetime as dt

        self.params = params
        self.until = params.start_date + dt.timedelta(days=DAYS)
        self.descriptions = {f"successes_{t}": f"{t}'s successful runs a year" for t in params.teams}

    def observed(self):
        return dict(self.params.record)

    def _of(self, states):
        last = states.sort_values("t_days").groupby("team", observed=True)["capability"].last()
        return {f"successes_{t}": float(last.get(t, np.nan)) * 365.25 / DAYS for t in self.params.teams}

    def simulated(self, results):
        rows = [{"rep": int(rep), **self._of(g)} for rep, g in results.trajectories.groupby("rep")]
        return __import__("pandas").DataFrame(rows)

    def stats(self, params, out):
        return self._of(out.states.frame())


class ToyHistoryModel(ToyModel):
    name, Params = "toy_history", ToyRecordParams

    def backtest(self, params):
        return ToyBacktest(params)

    def example(self):
        return {**super().example(), "model": "toy_history", "name": "toy_history_example"}


MODEL = ToyHistoryModel()
