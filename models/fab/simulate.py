"""One replication of a fab scenario: route, failure modes, fab lines, teams.

Capability (the number months behind is measured on) is
``log10(expected line yield)`` of a lot the team would start now: 0 is
perfect, -1 is a tenth of the wafers out, -2 a hundredth. It is computed from
the team's know-how (the hazards it still carries), not sampled from its lots,
so it moves only when the team fixes (or forgets) failure modes.
``measured_capability`` is the log10 of the line yield the team saw on its
last 5 lots (what its own data say; noisy).
"""

from __future__ import annotations

import math

import numpy as np
import simpy

from sim.knowhow import KnowHow
from sim.model import Milestone, SimOutput
from sim.recorder import Recorder
from sim.trajectory import on_grid
from sim.units import MINUTE

from . import yield_model
from .line import FabLine
from .params import FabParams
from .route import route_for
from .tables import PRODUCTION, schemas
from .team import FabTeam
from .world import draw_world


class FabSim:
    """Everything one replication holds; built and run by :func:`simulate`."""

    def __init__(self, params: FabParams, streams, route=None, world=None):
        self.params, self.rep = params, streams.rep
        self.env = env = simpy.Environment()  # clock in minutes
        self.schemas = schemas(params)
        self.events = Recorder(self.schemas["events"])
        self.states = Recorder(self.schemas["states"])
        self.fab_states = Recorder(self.schemas["fabs"])
        # A route and a world may be given (analytic checks use hand-made ones).
        self.route = route if route is not None else route_for(params, streams)
        w = params.world
        self.world = (
            world
            if world is not None
            else draw_world(
                streams.generator("world"),
                self.route,
                w.modes_per_step,
                w.hazard_median,
                w.hazard_sigma,
                w.latent_share.array(),
                w.rework_share.array(),
            )
        )
        trace = params.trace == "steps"
        self.lines = {
            name: FabLine(env, name, fab, self.route, streams, self.events, self.rep, trace)
            for name, fab in params.fabs.items()
        }
        self.teams: dict[str, FabTeam] = {}
        n_steps = len(self.route)
        for name, tp in params.teams.items():
            kh = KnowHow(self.world.modes, w.fix_effectiveness, w.codified_share, w.retention_per_month)
            # Past know-how covers the whole route (practice 0: every step equally practised).
            kh.seed(tp.know_how.array(), float(n_steps), 0.0, 0.0)
            self.teams[name] = FabTeam(
                name, tp, w, self.world, kh, self.lines[tp.fab], streams.generator("team", name), self
            )
        for name, line in self.lines.items():
            learner = params.fabs[name].learning_team
            line.learner = self.teams[learner] if learner is not None else None
            line.start_production()
        for team in self.teams.values():
            self.record_state(team, 0.0)
            for _ in range(team.p.lots_in_flight):
                env.process(team.slot())
        env.process(self._sample_fabs(params.run.grid_days))

    def record_state(self, team: FabTeam, t_days: float) -> None:
        """Add one ``states`` row for ``team`` at ``t_days`` (days): expected yields from its
        know-how, spend, lots, cost per good wafer and the cycle time of its last lots.
        """
        e = team.expected()
        cycle = float(np.mean([r[0] for r in team.recent])) if team.recent else math.nan
        xf = float(np.mean([r[1] for r in team.recent])) if team.recent else math.nan
        spend = team.budget.spent_usd
        per_good = spend / team.wafers_out if team.wafers_out else math.nan
        self.states.add(
            rep=self.rep,
            t_days=t_days,
            team=team.name,
            capability=math.log10(max(e["line_yield"], 1e-300)),
            measured_capability=math.log10(team.measured_line_yield()),
            line_yield=e["line_yield"],
            die_yield=e["die_yield"],
            defect_density=e["defect_density"],
            per_step_loss=e["per_step_loss"],
            spend_usd=spend,
            lots_started=team.lots_started,
            lots_done=team.lots_done,
            wafers_out=team.wafers_out,
            cost_per_good_wafer_usd=per_good,
            cost_per_25_good_usd=float(
                yield_model.cost_per_good_wafers(team.p.lot_cost_usd, e["line_yield"])
            ),
            cycle_time_days=cycle,
            x_factor=xf,
            wip_lots=team.line.wip,
            fixes=team.fixes,
        )

    def _sample_fabs(self, grid_days: float):
        """Fab state on the grid: WIP and production cycle time of lots out since the last sample."""
        env, step = self.env, MINUTE.from_days(grid_days)
        seen = {name: (0, 0.0) for name in self.lines}
        while True:
            for name, line in self.lines.items():
                n0, m0 = seen[name]
                n, m = line.production_out, line.production_minutes
                seen[name] = (n, m)
                cycle = (m - m0) / (n - n0) if n > n0 else math.nan
                self.fab_states.add(
                    rep=self.rep,
                    t_days=MINUTE.to_days(env.now),
                    fab=name,
                    wip_lots=line.wip,
                    production_out=n - n0,
                    production_cycle_days=MINUTE.to_days(cycle),
                    production_x_factor=cycle / line.raw_minutes,
                )
            yield env.timeout(step)


def yield_gap(params: FabParams, states: Recorder, schema, rep: int, horizon_days: float) -> Recorder:
    """Fab gap metrics on the grid, per follower: line-yield ratio (follower / leader),
    ratio of line x die yield, and cost ratio per good wafer (follower's US$ per good
    wafer over the leader's, each lot cost / line yield)."""
    frame = states.frame().drop_duplicates(["rep", "team", "t_days"], keep="last")
    grid = np.arange(0.0, horizon_days + 1e-9, params.run.grid_days)
    g = on_grid(frame, grid).set_index(["team", "t_days"])
    out = Recorder(schema)
    lead = g.loc[params.leader]
    for name in params.teams:
        if name == params.leader:
            continue
        f = g.loc[name]
        ratio = (f["line_yield"] / lead["line_yield"]).to_numpy()
        total = (f["line_yield"] * f["die_yield"] / (lead["line_yield"] * lead["die_yield"])).to_numpy()
        cost = (f["cost_per_25_good_usd"] / lead["cost_per_25_good_usd"]).to_numpy()
        for t, r, tr, c in zip(grid, ratio, total, cost):
            out.add(
                rep=rep,
                t_days=float(t),
                follower=name,
                leader=params.leader,
                yield_ratio=float(r),
                total_yield_ratio=float(tr),
                cost_ratio_per_good_wafer=float(c),
            )
    return out


def simulate(params: FabParams, streams, horizon: float) -> SimOutput:
    """Run one replication to ``horizon`` (minutes: the fab's clock)."""
    sim = FabSim(params, streams)
    sim.env.run(until=horizon)
    horizon_days = MINUTE.to_days(horizon)
    for team in sim.teams.values():
        sim.record_state(team, horizon_days)
    groups = Recorder(sim.schemas["tool_groups"])
    for line in sim.lines.values():
        for row in line.group_rows(sim.rep):
            groups.add(**row)
    history = [
        Milestone(name, h.t_days, math.log10(h.line_yield), h.label)
        for name, tp in params.teams.items()
        for h in tp.history
    ]
    tables = {
        "tool_groups": groups,
        "fabs": sim.fab_states,
        "yield_gap": yield_gap(params, sim.states, sim.schemas["yield_gap"], sim.rep, horizon_days),
    }
    return SimOutput(sim.events, sim.states, history, tables)


__all__ = ["simulate", "FabSim", "PRODUCTION"]
