"""The LLM race beside its record: the :class:`sim.backtest.Backtest` of a scenario with a
``[backtest]`` section (DESIGN §3.6).

The record (:mod:`models.llm.record`) becomes one observed staircase per team through the
capability link (:mod:`models.llm.link`); each simulated replication gives its staircase
and the training compute of its releases; :func:`models.llm.history.checks` computes the
same checks on both.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.backtest import Backtest
from sim.results import staircase_of
from sim.scenario import ScenarioError

from .history import checks, observed_compute, observed_staircase
from .record import CUTOFF, load_record

#: What each check measures (units in the names: months, share, count, x per year).
DESCRIPTIONS = {
    "lag_first_follower_gpt35_months": "months from GPT-3.5 level (leader at t=0) to the first follower",
    "lag_median_follower_gpt35_months": "median follower's months to GPT-3.5 level",
    "lag_first_follower_gpt4_months": "months from GPT-4 (leader's first release) to the first follower",
    "lag_median_follower_gpt4_months": "median follower's months to GPT-4 level",
    "lag_slowest_follower_gpt4_months": "slowest follower's months to GPT-4 level (censored at the cut-off)",
    "frontier_months_strongest_follower_2023": "strongest follower's mean months behind the frontier, 2023",
    "frontier_months_strongest_follower_2024": "strongest follower's mean months behind the frontier, 2024",
    "frontier_months_open_weights_2024h1": "best open-weights team's months behind the frontier, 2024 H1",
    "frontier_months_open_weights_2024h2": "best open-weights team's months behind the frontier, 2024 H2",
    "leader_share_on_top_2023_2024": "share of 2023-2024 the leader is the top team",
    "top_team_changes_2023_2024": "changes of the top team in 2023-2024",
    "compute_growth_leader_x_per_year": "leader's largest training compute to date, growth per year",
}

#: A compute growth that cannot be measured (fewer than two releases in the window) counts
#: as no growth: a calibration statistic must be a number.
NO_GROWTH = 1.0


class RaceBacktest(Backtest):
    """The record a scenario with a ``[backtest]`` section stands beside.

    Parameters
    ----------
    params : LLMParams
        The scenario; ``params.backtest`` names the record, the cut-off, the teams' labs
        and the teams whose compute growth is checked.
    """

    def __init__(self, params):
        bt = params.backtest
        self.params = params
        self.until = bt.until
        self.record = load_record(bt.record)
        if self.until > CUTOFF:  # the record's window: a record holds nothing later
            raise ScenarioError(
                f"until: {self.until} is not allowed: the record ends {CUTOFF}, and nothing after it is used"
            )
        self.labs = {team: bt.labs.get(team, team) for team in params.teams}
        self.leader = params.leader
        self.followers = [t for t in params.teams if t != params.leader]
        self.open_teams = [t for t, tp in params.teams.items() if tp.open_weights]
        self.compute_teams = list(bt.compute_teams)
        self.sources = list(bt.sources)
        self.descriptions = dict(DESCRIPTIONS)
        for team in self.compute_teams:
            self.descriptions[f"compute_growth_{team}_x_per_year"] = (
                f"{team}'s largest training compute to date, growth per year"
            )

    # -- the record --------------------------------------------------------------
    def observed_staircase(self) -> pd.DataFrame:
        """The record's staircase, labs renamed to the scenario's teams."""
        to_team = {lab: team for team, lab in self.labs.items()}
        s = observed_staircase(self.record, list(self.labs.values()), sources=self.sources,
                               start_date=str(self.params.start_date))  # fmt: skip
        return s.assign(team=s["team"].map(to_team))

    def observed_compute(self) -> pd.DataFrame:
        """The record's releases with a training compute estimate (FLOP), labs renamed to teams."""
        to_team = {lab: team for team, lab in self.labs.items()}
        c = observed_compute(self.record, list(self.labs.values()), start_date=str(self.params.start_date))
        return c.assign(team=c["team"].map(to_team))

    def _checks(self, staircase: pd.DataFrame, compute: pd.DataFrame) -> dict[str, float]:
        out = checks(
            staircase,
            self.leader,
            self.followers,
            self.open_teams,
            compute,
            start_date=str(self.params.start_date),
            until=str(self.until),
            compute_teams=self.compute_teams,
        )
        return {k: v for k, v in out.items() if not k.endswith("_censored")}

    def observed(self) -> dict[str, float]:
        """Each check on the record (:func:`models.llm.history.checks`)."""
        return self._checks(self.observed_staircase(), self.observed_compute())

    # -- the simulation ---------------------------------------------------------
    @staticmethod
    def _compute_of(events: pd.DataFrame) -> pd.DataFrame:
        rel = events[(events["kind"] == "release") & np.isfinite(events["compute_flop"])]
        return pd.DataFrame(
            {
                "team": rel["team"].astype(str).to_numpy(),
                "t_days": rel["t_days"].to_numpy(dtype=float),
                "training_compute_flop": rel["compute_flop"].to_numpy(dtype=float),
            }
        )

    def _finite(self, values: dict[str, float]) -> dict[str, float]:
        return {k: (NO_GROWTH if k.startswith("compute_growth") and not math.isfinite(v) else v)
                for k, v in values.items()}  # fmt: skip

    def simulated(self, results) -> pd.DataFrame:
        """Each check per replication of ``results``: its staircase and its releases' compute."""
        st, ev = results.staircase, results.events
        rows = []
        for rep, s in st.groupby("rep", sort=True, observed=True):
            e = ev[ev["rep"] == rep]
            rows.append({"rep": int(rep), **self._finite(self._checks(s, self._compute_of(e)))})
        return pd.DataFrame(rows)

    def stats(self, params, out) -> dict[str, float]:
        """The checks of one replication's raw output, for calibration (a compute growth that
        cannot be measured counts as :data:`NO_GROWTH`)."""
        states = out.states.frame()
        s = staircase_of(states, out.history, [int(states["rep"].iloc[0])], sorted(params.teams))
        # only the release rows of the events: building the whole table would cost more
        names = out.events.columns
        kind, team, t, flop = (names.index(c) for c in ("kind", "team", "t_days", "compute_flop"))
        rel = [r for r in out.events.rows if r[kind] == "release" and math.isfinite(r[flop])]
        compute = pd.DataFrame(
            {
                "team": [r[team] for r in rel],
                "t_days": np.array([r[t] for r in rel], dtype=float),
                "training_compute_flop": np.array([r[flop] for r in rel], dtype=float),
            }
        )
        return self._finite(self._checks(s, compute))

    # -- the figure ---------------------------------------------------------------
    def figure(self, results, observed_staircase: bool = True):
        """One panel per team: the simulated public capability (median, 50% and 90% bands)
        and the record's staircase over it."""
        import matplotlib.pyplot as plt

        from sim.plots import plot_series

        teams = list(self.params.teams)
        fig, axes = plt.subplots(len(teams), 1, figsize=(8, 2.6 * len(teams)), sharex=True, squeeze=False)
        tr = results.trajectories
        obs = self.observed_staircase()
        start = pd.Timestamp(self.params.start_date)
        for ax, team in zip(axes[:, 0], teams):
            mine = tr[tr["team"] == team]
            plot_series(mine.assign(kind="simulated"), "kind", "capability", str(self.params.start_date),
                        ax=ax, steps=True, ylabel="capability")  # fmt: skip
            o = obs[(obs["team"] == team) & (obs["t_days"] <= (pd.Timestamp(self.until) - start).days)]
            if len(o):
                x = start + pd.to_timedelta(
                    np.append(o["t_days"].to_numpy(), (pd.Timestamp(self.until) - start).days), unit="D"
                )
                y = np.append(o["capability"].to_numpy(), o["capability"].to_numpy()[-1])
                ax.step(x, y, where="post", color="black", linewidth=1.5, label="record")
            ax.set_title(team, loc="left", fontsize=10)
            ax.set_ylim(22.5, None)
            ax.legend(fontsize=7, loc="upper left")
        axes[-1, 0].set_xlim(start, pd.Timestamp(self.until))
        fig.suptitle("Backtest: simulated public capability (bands) and the record (black)")
        fig.tight_layout()
        return fig
