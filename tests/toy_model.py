"""The smallest complete model: README "Adding a model" walks through this file.

Each team runs experiments one after another on a shared lab (a
:class:`sim.capacity.SharedCapacity` of one unit). A run succeeds with
probability ``skill`` and then raises the team's capability by one step.
The engine does the rest: replications, the gap table, months behind, plots.
"""

from typing import Literal

from pydantic import Field

import sim
from sim.capacity import SharedCapacity
from sim.recorder import Column, Recorder, Schema
from sim.scenario import ScenarioBase, Strict
from sim.units import DAY

EVENTS = Schema(
    "events", [Column("rep", "int64"), Column("t_days"), Column("team", "str"), Column("ok", "bool")]
)
STATES = Schema(
    "states", [Column("rep", "int64"), Column("t_days"), Column("team", "str"), Column("capability"),
               Column("spend_usd", default=0.0)],
)  # fmt: skip


class Team(Strict):
    skill: float = Field(ge=0, le=1, description="chance a run succeeds")
    run_days: float = Field(30.0, gt=0, description="length of a run (days)")


class ToyParams(ScenarioBase):
    model: Literal["toy"]
    teams: dict[str, Team]


class ToyModel(sim.Model):
    name, Params, areas, time_unit = "toy", ToyParams, ("lab",), DAY

    def schemas(self, params):
        return {"events": EVENTS, "states": STATES}

    def simulate(self, params, streams, horizon):
        import simpy

        env = simpy.Environment()
        lab = SharedCapacity(env, 1)
        events, states = Recorder(EVENTS), Recorder(STATES)

        def team(name, p, rng):
            capability = 0.0
            states.add(rep=streams.rep, t_days=0.0, team=name, capability=capability)
            while True:
                with lab.request(owner=name) as req:
                    yield req
                    yield env.timeout(p.run_days)
                ok = bool(rng.random() < p.skill)
                capability += ok
                events.add(rep=streams.rep, t_days=env.now, team=name, ok=ok)
                states.add(rep=streams.rep, t_days=env.now, team=name, capability=capability)

        for name, p in params.teams.items():
            env.process(team(name, p, streams.generator("team", name)))
        env.run(until=horizon)
        return sim.SimOutput(events, states)

    def example(self):
        return {
            "name": "toy_example", "model": "toy", "start_date": "2025-01-01", "years": 2.0,
            "leader": "fast", "run": {"reps": 3},
            "teams": {"fast": {"skill": 0.9}, "slow": {"skill": 0.5, "run_days": 45.0}},
        }  # fmt: skip


MODEL = ToyModel()
