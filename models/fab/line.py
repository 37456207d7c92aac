"""A fab line: tool groups on the engine's shared capacity, and lots flowing through a route.

The SimPy clock of a fab runs in **minutes** (processing times are minutes:
the model's ``time_unit`` is :data:`sim.units.MINUTE`); tables are in days. Each tool group is one
:class:`~sim.capacity.SharedCapacity` whose units are its tools, with a
dispatching policy (FIFO, priority first, critical ratio) and exponential
breakdowns (:class:`~sim.capacity.Breakdowns`) that stop the lot on the
failing tool until the repair ends. A lot takes one tool per step.

Production lots are the line's load: released at a constant rate (the load
factor times the design start rate), regular priority, no outcome draws
(their yield is not what the teams learn from) unless the fab names a
``learning_team``: then they carry that team's know-how and it analyses some
of their scrapped wafers (volume learning; Irwin & Klenow 1994, anchors B). Experimental lots carry a
team's know-how: at each step wafers may be scrapped, the lot may be sent
back for rework, and latent defects accumulate (see :mod:`models.fab.world`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.capacity import Breakdowns, SharedCapacity
from sim.recorder import Recorder
from sim.units import MINUTE

from .params import AREAS, WAFERS_PER_LOT
from .route import Route
from .tables import PRODUCTION
from .world import REWORK, SCRAP, pick_mode

PRODUCTION_PRIORITY = 1.0


def _minutes_from_hours(per_area, areas) -> np.ndarray:
    return MINUTE.from_hours(np.asarray(per_area.array(), float)[areas])


@dataclass
class LotResult:
    """What came out of one lot (times in minutes on the SimPy clock)."""

    start: float
    end: float
    wait: float = 0.0
    wafers_out: int = WAFERS_PER_LOT
    reworks: int = 0
    steps_done: int = 0
    process: float = 0.0  # raw processing minutes of the steps done (reworked ones again)
    scrap_modes: list = field(default_factory=list)  # killing mode per scrapped wafer
    rework_modes: list = field(default_factory=list)
    latent_hazard: float = 0.0


class FabLine:
    """One fab: tool groups sized for its design start rate, and its lots.

    Parameters
    ----------
    env : simpy.Environment (clock in minutes)
    name : str
    fab : params.Fab
    route : Route
    streams : sim.streams.Streams (each tool group's breakdowns get their own stream)
    events : Recorder with :data:`EVENT_COLUMNS`
    rep : int
    trace_steps : bool, also record one row per lot-step
    tools : optional int array, tools per group (default: sized by :meth:`size_tools`)
    """

    def __init__(
        self,
        env,
        name,
        fab,
        route: Route,
        streams,
        events: Recorder,
        rep: int,
        trace_steps: bool = False,
        tools=None,
    ):
        self.env, self.name, self.p, self.route = env, name, fab, route
        self.events, self.rep, self.trace_steps = events, rep, trace_steps
        self.tools = np.asarray(tools if tools is not None else self.size_tools(fab, route), int)
        self.availability = np.ones(route.n_groups)
        self.groups = [SharedCapacity(env, int(n), fab.dispatch, record_waits=False) for n in self.tools]
        if fab.breakdowns:
            mttf = _minutes_from_hours(fab.mttf_hours, route.group_area)
            mttr = _minutes_from_hours(fab.mttr_hours, route.group_area)
            self.availability = np.where(mttf > 0, mttf / (mttf + mttr), 1.0)
            for g, cap in enumerate(self.groups):
                if mttf[g] > 0 and mttr[g] > 0:
                    Breakdowns(env, cap, mttf[g], mttr[g], streams.generator("tools", name, str(g)))
        # Plain lists: indexing them in the per-step loop is much faster than numpy.
        self._group_of = route.tool_group.tolist()
        self._minutes = route.minutes.tolist()
        self._work_left = (route.minutes[::-1].cumsum()[::-1]).tolist()
        self.raw_minutes = route.raw_process_minutes
        self.rng = streams.generator("fab", name)  # releases and processing-time variation
        self.wip = 0
        self._lot_id = 0
        self.production_out = 0  # production lots completed
        self.learner = None  # team learning from production lots (volume learning), if any
        self.production_minutes = 0.0  # their summed cycle times (minutes)

    @staticmethod
    def size_tools(fab, route: Route) -> np.ndarray:
        """Tools per group so that the design start rate would just fill each group.

        ``ceil(starts a day x minutes a lot needs on the group / (1440 x availability))``.
        """
        need = MINUTE.to_days(fab.design_starts_per_day * route.group_minutes())
        if fab.breakdowns:
            mttf = np.asarray(fab.mttf_hours.array(), float)[route.group_area]
            mttr = np.asarray(fab.mttr_hours.array(), float)[route.group_area]
            need = need * np.where(mttf > 0, (mttf + mttr) / np.where(mttf > 0, mttf, 1.0), 1.0)
        return np.maximum(1, np.ceil(need - 1e-9)).astype(int)

    def next_lot_id(self) -> int:
        """A new lot id, unique within this fab and replication."""
        self._lot_id += 1
        return self._lot_id

    # -- production ----------------------------------------------------------------
    def start_production(self) -> None:
        """Start releasing production lots at ``load x design_starts_per_day`` lots a day
        (none when that rate is 0).
        """
        rate = self.p.load * self.p.design_starts_per_day
        if rate > 0:
            self.env.process(self._release(MINUTE.per_day / rate))  # minutes between releases

    def _release(self, gap_minutes: float):
        """Release production lots: evenly spaced, or gamma gaps with ``release_cv2``."""
        env, cv2 = self.env, self.p.release_cv2
        while True:
            if cv2 > 0:  # draw gaps in chunks: one numpy call per 4096 lots
                gaps = self.rng.gamma(1.0 / cv2, cv2 * gap_minutes, 4096).tolist()
            else:
                gaps = [gap_minutes] * 4096
            for gap in gaps:
                lot = self.production_lot if self.learner is None else self.production_lot_learning
                env.process(lot(self.next_lot_id()))
                yield env.timeout(gap)

    def lot_minutes(self) -> list:
        """Processing minutes of one lot at each step: the route's, times gamma noise if ``process_cv2``."""
        cv2 = self.p.process_cv2
        if cv2 <= 0:
            return self._minutes
        return (self.route.minutes * self.rng.gamma(1.0 / cv2, cv2, len(self._minutes))).tolist()

    def production_lot(self, lot_id: int):
        """A regular-priority production lot: the load experiments compete with."""
        env, groups, work_left = self.env, self.groups, self._work_left
        minutes = self.lot_minutes()
        start = env.now
        due = start + self.p.due_x_factor * self.raw_minutes
        wait = 0.0
        self.wip += 1
        trace = self.trace_steps
        for i, g in enumerate(self._group_of):
            cap = groups[g]
            req = cap.request(1, PRODUCTION, PRODUCTION_PRIORITY, due, work_left[i])
            asked = env.now
            yield req
            granted = env.now
            wait += granted - asked
            yield env.timeout(minutes[i])
            while req.held_up:  # the tool broke down under the lot: resume after the repair
                extra, req.held_up = req.held_up, 0.0
                yield env.timeout(extra)
            cap.release(req)
            if trace:
                self._trace(
                    PRODUCTION, lot_id, i, g, "pass", asked, granted, env.now, WAFERS_PER_LOT, WAFERS_PER_LOT
                )
        self.wip -= 1
        end = env.now
        self.production_out += 1
        self.production_minutes += end - start
        if not self.p.production_events:
            return
        cost = self.p.production_lot_cost_usd
        self.events.add(
            rep=self.rep,
            t_days=MINUTE.to_days(end),
            team=PRODUCTION,
            fab=self.name,
            run_id=lot_id,
            kind="production",
            outcome="completed",
            wait_days=MINUTE.to_days(wait),
            duration_days=MINUTE.to_days(end - start),
            start_days=MINUTE.to_days(start),
            wafers_in=WAFERS_PER_LOT,
            wafers_out=WAFERS_PER_LOT,
            line_yield=1.0,
            cost_usd=cost,
        )

    def production_lot_learning(self, lot_id: int):
        """A production lot that carries the learning team's know-how (volume learning).

        It flows like an experimental lot (scrap, rework, latent defects) at
        production priority, with the line's own random stream; the learning
        team analyses some of its scrapped wafers (:meth:`FabTeam.learn_from_volume`).
        """
        team = self.learner
        res = yield from self.experimental_lot(team, lot_id, PRODUCTION, PRODUCTION_PRIORITY, self.rng)
        self.production_out += 1
        self.production_minutes += res.end - res.start
        team.learn_from_volume(res)
        if self.p.production_events:
            self.events.add(
                rep=self.rep,
                t_days=MINUTE.to_days(res.end),
                team=PRODUCTION,
                fab=self.name,
                run_id=lot_id,
                kind="production",
                outcome="completed" if res.wafers_out else "scrapped",
                wait_days=MINUTE.to_days(res.wait),
                duration_days=MINUTE.to_days(res.end - res.start),
                start_days=MINUTE.to_days(res.start),
                wafers_in=WAFERS_PER_LOT,
                wafers_out=res.wafers_out,
                line_yield=res.wafers_out / WAFERS_PER_LOT,
                cost_usd=self.p.production_lot_cost_usd,
                reworks=res.reworks,
            )

    # -- experimental lots ---------------------------------------------------------
    def experimental_lot(
        self, team, lot_id: int, owner: str | None = None, priority: float | None = None, rng=None
    ):
        """Generator: one experimental lot of ``team`` through the route; returns a LotResult.

        Each wafer survives a step with probability ``exp(-h)`` (``h`` the
        team's scrap hazard there): a wafer dies where the lot's accumulated
        scrap hazard passes the wafer's own Exp(1) threshold, which draws all
        25 wafers' fates with 25 numbers instead of one draw per step. Rework
        works the same way at lot level; a reworked lot goes back
        ``rework_back_steps`` steps (the next step is ``i + 1 - k``) and meets
        those steps' hazards again; a lot reworked more than ``rework_limit``
        times is scrapped. A lot whose wafers are all scrapped stops.
        Know-how fixed while the lot is in the line applies to its later steps.
        ``owner``, ``priority`` and ``rng`` default to the team's (a production
        lot under volume learning passes its own).
        """
        env, groups, work_left = self.env, self.groups, self._work_left
        minutes = self.lot_minutes()
        group_of, world = self._group_of, team.world
        rng = team.rng if rng is None else rng
        owner = team.name if owner is None else owner
        priority = team.p.priority if priority is None else priority
        back, limit = team.world_params.rework_back_steps, team.world_params.rework_limit
        start = env.now
        res = LotResult(start, start)
        due = start + self.p.due_x_factor * self.raw_minutes
        version = team.version
        hs, hr, hl = team.hazard_lists()
        kills = np.sort(rng.exponential(size=WAFERS_PER_LOT)).tolist()
        k, alive = 0, WAFERS_PER_LOT
        acc_s = acc_r = acc_l = 0.0
        next_rework = rng.exponential()
        n, i = len(group_of), 0
        trace = self.trace_steps
        self.wip += 1
        while i < n:
            g = group_of[i]
            cap = groups[g]
            req = cap.request(1, owner, priority, due, work_left[i])
            asked = env.now
            yield req
            granted = env.now
            res.wait += granted - asked
            yield env.timeout(minutes[i])
            while req.held_up:  # the tool broke down under the lot: resume after the repair
                extra, req.held_up = req.held_up, 0.0
                yield env.timeout(extra)
            cap.release(req)
            res.steps_done += 1
            res.process += minutes[i]
            if team.version != version:  # a fix landed while the lot was in the line
                version = team.version
                hs, hr, hl = team.hazard_lists()
            before = alive
            acc_s += hs[i]
            while k < WAFERS_PER_LOT and acc_s >= kills[k]:
                k += 1
                alive -= 1
                res.scrap_modes.append(pick_mode(world, team.kh, i, SCRAP, rng))
            acc_l += hl[i]
            acc_r += hr[i]
            outcome = "pass" if alive == before else "scrap"
            if alive and acc_r >= next_rework:
                next_rework = acc_r + rng.exponential()
                res.reworks += 1
                res.rework_modes.append(pick_mode(world, team.kh, i, REWORK, rng))
                if res.reworks > limit:  # reworked too often: the lot is scrapped
                    alive = 0
                    if trace:
                        self._trace(owner, lot_id, i, g, "scrap", asked, granted, env.now, before, alive)
                    break
                if trace:
                    self._trace(owner, lot_id, i, g, "rework", asked, granted, env.now, before, alive)
                i = max(0, i + 1 - back)
                continue
            if trace:
                self._trace(owner, lot_id, i, g, outcome, asked, granted, env.now, before, alive)
            if not alive:
                break
            i += 1
        self.wip -= 1
        res.end = env.now
        res.wafers_out = alive
        res.latent_hazard = acc_l
        return res

    def _trace(self, team, lot_id, step, group, outcome, asked, granted, now, wafers_in, wafers_out):
        """A step row: t_days = step end, start_days = arrival at the tool group, wait = queue
        time, duration = time on the tool (processing and any repair)."""
        area = AREAS[self.route.area[step]]
        self.events.add(
            rep=self.rep,
            t_days=MINUTE.to_days(now),
            team=team,
            fab=self.name,
            run_id=lot_id,
            kind="step",
            step=step,
            tool_group=group,
            area=area,
            outcome=outcome,
            wait_days=MINUTE.to_days(granted - asked),
            duration_days=MINUTE.to_days(now - granted),
            start_days=MINUTE.to_days(asked),
            wafers_in=wafers_in,
            wafers_out=wafers_out,
        )

    # -- statistics ------------------------------------------------------------------
    def group_rows(self, rep: int):
        """One ``tool_groups`` row per tool group (fields by name): tools, utilisation,
        availability, mean wait and mean time on a tool per lot-step (days, repairs
        included), breakdowns, lot-steps started."""
        for g, cap in enumerate(self.groups):
            s = cap.stats()
            yield {
                "rep": rep,
                "fab": self.name,
                "tool_group": g,
                "area": AREAS[self.route.group_area[g]],
                "tools": int(self.tools[g]),
                "utilisation": s["utilisation"],
                "availability": s["availability"],
                "mean_wait_days": MINUTE.to_days(s["mean_wait"]),
                "mean_hold_days": MINUTE.to_days(s["mean_hold"]),
                "breakdowns": s["breakdowns"],
                "lot_steps": s["requests"],
            }
