"""A fast event kernel for the SMT2020 semiconductor fab testbed (Kopp et al. 2020).

:class:`Fab` simulates a :class:`~models.smt2020.data.Dataset` with one ``heapq`` event list
and integer-indexed lists instead of SimPy processes (a SimPy lot-step loop runs about
55k lot-steps/s here; see ``benchmarks/bench_smt2020.py``). Every time is in minutes.

Semantics, and where they are our reading (PySCFabSim, ``prosysscience/PySCFabSim-release``,
is the reference where the paper is silent):

* **Lots** of an :class:`~models.smt2020.data.Order` are released at ``start_min + k ×
  interval_min / start_rate``; initial WIP lots wait at their step at clock 0 (queued in
  the order of their release). A lot moves to its next performed step after a uniform
  transport time (``Transport``); a freshly released lot starts at its first step without
  transport. Sampled steps are skipped with probability ``1 - sample_prob``.
* **Processing**: one uniform draw ``mean ± spread`` of ``PTIME``, times the wafers for
  ``per == "piece"``; a batch draws once. The lot's time on the tool is load + process +
  unload. **Cascading** (PySCFabSim's reading, an approximation of cascading tools): with a
  ``part_interval_min`` the lot finishes after ``ptime + part_interval × (wafers - 1)`` but
  the tool takes the next lot after ``part_interval × wafers``; with a
  ``batch_interval_min`` the tool is free after that interval; a cascading group
  (``STNCAP 2``) overlaps load and unload with the next lot (the tool time excludes them).
  A breakdown postpones only the current job; the tail of an earlier lot still cascading
  out of a tool finishes on time.
* **Batching** (``per == "batch"``): lots of one *recipe* (same family, step name, process
  time and batch limits; SMT2020's ``crit_sameroutestep``, which lets the two products'
  identical diffusion steps share a batch) form a batch of ``batch_min_wafers`` to
  ``batch_max_wafers`` wafers, taken in rank order first-fit; a tool never starts one below
  the minimum unless ``batch_timeout_min`` is set and the oldest lot waited that long
  (default off).
* **Setups**: a step's own ``setup_min`` if positive, else the ``SetupChange`` of the family
  (from the current setup, else from any); a step without setup leaves the tool's setup as
  it is (PySCFabSim clears it; we think a no-setup recipe does not undo one).
  **Minimum run**: after a change to S on a family with ``MinRun`` rows (``setupgrp.txt``;
  in SMT2020 exactly the ``rule_LSSU`` implant groups), whatever its rule, the tool only
  takes lots of S until ``lots`` lots ran, as long as lots of S wait.
* **Dispatching** (:mod:`models.smt2020.dispatch`): each family's queue is kept in buckets of
  interchangeable lots (same engineering flag, priority, setup, dedicated tool; or same
  recipe for batches), each in FIFO order, so choosing a lot compares bucket heads only. An
  arriving lot goes straight to an idle tool if one can take it (the least-setup one for
  lots with a setup, the dedicated one under lens dedication).
* **Rework**: after a step with ``rework_prob`` the lot goes back to ``rework_step`` with that
  probability, at most once per lot and step (as PySCFabSim).
* **Breakdowns**: exponential time to failure (from the end of the previous repair) and to
  repair per tool; the first failure at ``first`` (drawn exponential per tool when
  ``first_dist`` says so). A failure pauses the running job, which resumes after repair.
  A failure during a PM waits for the PM's end.
* **PM**: time-based on a fixed calendar (due at ``first_i + k × every``) or wafer-count based
  (due after ``every`` wafers); not preemptive: a PM due while the tool works or is down
  starts when it is free. The first occurrence is staggered over a group's ``n`` tools:
  tool ``i`` at ``first - every × i / n`` (plus ``every`` while not positive), so the PMs
  of a group are spread evenly in steady state and tool 0 keeps the file's ``first``.
* **Lens dedication**: a step with ``lens_step`` j records the tool that ran it; the lot must
  use that tool at step j (and the chain goes on from there).
* **Critical queue time**: from finishing a step with ``cqt_step``/``cqt_min`` to starting
  ``cqt_step``; a late start counts one violation for the lot.
* **Delay groups** (location or area ``Delay``): pure delays of the step's process time.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
from array import array
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count

import numpy as np

from models.smt2020.data import Dataset, Step
from models.smt2020.dispatch import EngineeringPolicy, Rule, policy_for, rule_for

__all__ = ["Fab", "LotRecord", "STREAMS"]

#: The random streams, spawned from the constructor's generator in this order.
STREAMS = ("processing", "transport", "sampling", "rework", "breakdowns", "pm")

# Event kinds (small ints: compared in the hot loop in order of frequency).
_ARRIVE, _JOB_END, _LOT_DONE, _DELAY_DONE, _RELEASE, _EXTRA = 0, 1, 2, 3, 4, 5
_FAIL, _REPAIR, _PM_DUE, _PM_END, _BATCH_WAKE = 6, 7, 8, 9, 10

# Tool states.
_IDLE, _BUSY, _DOWN, _PM, _PAUSED = 0, 1, 2, 3, 4

# Fields of a step tuple (precomputed once per product step).
(S_FAM, S_PER, S_MEAN, S_SPREAD, S_CASC, S_SETUP, S_OWN, S_LENS, S_RWSTEP, S_RWPROB, S_SAMPLE,
 S_CQTSTEP, S_CQT, S_RECIPE, S_DELAY, S_BATCH) = range(16)  # fmt: skip
_PIECE, _LOT, _BATCHPER = 0, 1, 2

# Fields of a queue bucket (a small list).
B_Q, B_RU, B_RR, B_HP, B_SETUP, B_OWN, B_DED, B_BATCH, B_BMIN, B_BMAX, B_WAF, B_ON = range(12)

_heappush = heapq.heappush
_BLOCK = 1 << 16  # random numbers drawn per refill of a buffered stream


def _uniforms(gen: np.random.Generator) -> Iterator[float]:
    """An endless iterator of U(0, 1) floats drawn in blocks (a scalar draw costs ~10× more)."""
    return itertools.chain.from_iterable(iter(lambda: gen.random(_BLOCK).tolist(), None))


@dataclass(frozen=True, slots=True)
class LotRecord:
    """A finished lot.

    Attributes
    ----------
    name, product : str
        Lot name (``f"{order}_{k}"``, the WIP name, or ``f"{part}_x{k}"`` for :meth:`Fab.release`)
        and its part.
    priority : int
        10 regular, 20 hot, 30 super hot (or what :meth:`Fab.release` was given).
    engineering : bool
        An engineering (R&D) lot.
    tag : object
        What :meth:`Fab.release` was given (None for production lots).
    release_min, finish_min, due_min : float
        Release, finish and due date, minutes on the fab clock (WIP lots: their release).
    raw_process_min : float
        Sum of the lot's realised times on tools and in delays (load + process + unload),
        minutes; the flow factor is ``(finish - release) / raw_process_min``.
    steps_done : int
        Steps processed (sampled-out steps are not counted; reworked ones are, again).
    cqt_violations, reworks : int
        Critical queue times exceeded, and reworks.
    transport_min : float
        Sum of the lot's realised transport times between steps, minutes.
    """

    name: str
    product: str
    priority: int
    engineering: bool
    tag: object
    release_min: float
    finish_min: float
    raw_process_min: float
    due_min: float
    steps_done: int
    cqt_violations: int
    reworks: int
    transport_min: float = 0.0

    @property
    def cycle_min(self) -> float:
        """Cycle time (finish - release), minutes."""
        return self.finish_min - self.release_min

    @property
    def flow_factor(self) -> float:
        """Cycle time over raw process time (dimensionless)."""
        return self.cycle_min / self.raw_process_min if self.raw_process_min > 0 else math.nan


def _is_delay(group) -> bool:
    return group.location == "Delay" or group.area.startswith("Delay")


class Fab:
    """The SMT2020 fab as an event-list simulation (see the module docstring for semantics).

    Parameters
    ----------
    data : Dataset
        The testbed (times in minutes).
    rng : numpy.random.Generator
        Source of the independent streams :data:`STREAMS` (spawned once, in that order).
    start_rate : float
        Multiplier of every order's release rate (1.0: the dataset's; 0: no releases).
    breakdowns, pm, rework, sampling, transport, wip, lens_dedication : bool
        Switch the feature off with False (``wip``: the initial WIP lots).
    cascading : bool
        False: no cascading approximation; a tool holds every lot (or batch) until it is
        done, to measure what the approximation does to cycle time.
    engineering_policy : str
        ``"production_first"``, ``"engineering_first"`` or ``"share"``
        (:mod:`models.smt2020.dispatch`).
    engineering_share : float
        For ``"share"``: share of each group's tools (the first ones) where engineering lots
        rank first, in [0, 1].
    batch_timeout_min : float or None
        Minutes after which the oldest lot of a batch below the minimum may start anyway
        (None, the default: never below the minimum).

    Attributes
    ----------
    now : float
        The clock, minutes.
    lots : list of LotRecord
        Finished lots, in finishing order.
    lot_steps : int
        Lot-steps started so far (a batch of k lots counts k).
    """

    def __init__(
        self,
        data: Dataset,
        rng: np.random.Generator,
        *,
        start_rate: float = 1.0,
        breakdowns: bool = True,
        pm: bool = True,
        rework: bool = True,
        sampling: bool = True,
        transport: bool = True,
        wip: bool = True,
        lens_dedication: bool = True,
        cascading: bool = True,
        engineering_policy: str = "production_first",
        engineering_share: float = 0.0,
        batch_timeout_min: float | None = None,
    ):
        if start_rate < 0:
            raise ValueError(f"start_rate must be >= 0, got {start_rate}")
        self.data = data
        self.start_rate = float(start_rate)
        self.flags = dict(breakdowns=breakdowns, pm=pm, rework=rework, sampling=sampling,
                          transport=transport, wip=wip, lens_dedication=lens_dedication,
                          cascading=cascading)  # fmt: skip
        self.policy: EngineeringPolicy = policy_for(engineering_policy, engineering_share)
        self.batch_timeout_min = batch_timeout_min
        self._no_cascading = not cascading
        gens = rng.spawn(len(STREAMS))
        self._g = dict(zip(STREAMS, gens))
        self._u_proc = _uniforms(gens[0]).__next__
        self._u_trans = _uniforms(gens[1]).__next__
        self._u_samp = _uniforms(gens[2]).__next__
        self._u_rw = _uniforms(gens[3]).__next__
        self._g_down = gens[4]
        self._g_pm = gens[5]
        self._tmean = data.transport.mean_min if transport else 0.0
        self._tspread = data.transport.spread_min if transport else 0.0

        self.now = 0.0
        self.lots: list[LotRecord] = []
        self.lot_steps = 0
        self._heap: list = []
        self._seq = count()

        self._build_families()
        self._build_products()
        self._build_tools()
        self._new_lot_lists()
        self._wip_n = 0
        self._wip_area = 0.0
        self._wip_last = 0.0
        self._wip_t = array("d", [0.0])  # change times, minutes
        self._wip_cum = array("d", [0.0])  # lot-minutes integrated up to each change
        self._wip_level = array("l", [0])  # lots in the fab from each change on
        self._extra = 0
        if breakdowns:
            self._schedule_breakdowns()
        if pm:
            self._schedule_pm()
        if wip:
            self._load_wip()
        if self.start_rate > 0:
            for o, order in enumerate(data.orders):
                if order.repeats > 0 and order.lots_per_release > 0:
                    self._push(order.start_min, _RELEASE, o, 0)

    # ------------------------------------------------------------------ construction
    def _build_families(self) -> None:
        d = self.data
        self.f_names = list(d.tool_groups)
        self._fid = {n: i for i, n in enumerate(self.f_names)}
        groups = [d.tool_groups[n] for n in self.f_names]
        self.f_area = [g.area for g in groups]
        self.f_ntools = [g.tools for g in groups]
        self.f_delay = [_is_delay(g) for g in groups]
        self.f_load = [g.load_min + g.unload_min for g in groups]
        self.f_casc = [g.cascading and self.flags["cascading"] for g in groups]
        self.f_rule: list[Rule] = [rule_for(g.rule, g.ranks) for g in groups]
        self.f_wake = [g.wake_least_setup for g in groups]
        self._sid: dict[str, int] = {}
        # setup change times per family: (from id, to id) -> minutes and to id -> minutes
        self.f_setup_pair: list[dict] = [{} for _ in groups]
        self.f_setup_any: list[dict] = [{} for _ in groups]
        for s in d.setups:
            f = self._fid.get(s.family)
            if f is None:
                continue
            to = self._setup_id(s.to_setup)
            if s.from_setup:
                self.f_setup_pair[f][(self._setup_id(s.from_setup), to)] = s.minutes
            else:
                self.f_setup_any[f][to] = s.minutes
        self.f_minrun: list[dict] = [{} for _ in groups]
        for m in d.min_runs:
            f = self._fid.get(m.family)
            if f is not None:
                self.f_minrun[f][self._setup_id(m.setup)] = m.lots
        self.f_buckets: list[dict] = [{} for _ in groups]
        self.f_active: list[list] = [[] for _ in groups]
        self.f_idle: list[list] = [[] for _ in groups]
        self.f_delay_time = [0.0] * len(groups)  # delay groups: summed delay minutes

    def _setup_id(self, name: str) -> int:
        return self._sid.setdefault(name, len(self._sid))

    def _build_products(self) -> None:
        d = self.data
        self.p_names = list(d.products)
        self._pid = {n: i for i, n in enumerate(self.p_names)}
        self.p_steps: list[tuple] = []
        self.p_remaining: list[list[float]] = []  # mean raw time from step i on, minutes (CR)
        recipes: dict[tuple, int] = {}
        self.recipes: list[tuple] = []
        for name in self.p_names:
            prod = d.products[name]
            n = len(prod.steps)
            lens = [-1] * n
            if self.flags["lens_dedication"]:
                for i, s in enumerate(prod.steps):
                    if s.lens_step is not None and 1 <= s.lens_step <= n and s.lens_step - 1 != i:
                        j = s.lens_step - 1
                        # forward (SMT2020's FORSTEP): record at i for j; backward: record at j for i
                        if j > i:
                            lens[i] = j
                        else:
                            lens[j] = i
            rows = []
            for i, s in enumerate(prod.steps):
                rows.append(self._step_tuple(s, lens[i], n, recipes))
            self.p_steps.append(tuple(rows))
            rem = [0.0] * (n + 1)
            for i in range(n - 1, -1, -1):
                rem[i] = rem[i + 1] + self._mean_lot_minutes(prod.steps[i])
            self.p_remaining.append(rem)

    def _mean_lot_minutes(self, s: Step) -> float:
        f = self._fid[s.family]
        base = s.ptime_min * (25 if s.per == "piece" and s.part_interval_min is None else 1)
        if s.part_interval_min is not None:
            base += s.part_interval_min * 24
        return base + self.f_load[f]

    def _step_tuple(self, s: Step, lens: int, n: int, recipes: dict) -> tuple:
        if s.family not in self._fid:
            raise ValueError(f"step {s.number} ({s.name}) uses unknown tool group {s.family!r}")
        f = self._fid[s.family]
        per = {"piece": _PIECE, "lot": _LOT, "batch": _BATCHPER}[s.per]
        casc = s.part_interval_min if s.part_interval_min is not None else s.batch_interval_min
        sid = self._setup_id(s.setup) if s.setup else -1
        batch = per == _BATCHPER and s.batch_max_wafers > 0 and not self.f_delay[f]
        recipe = -1
        if batch:
            key = (f, s.name, s.ptime_min, s.ptime_spread_min, s.batch_min_wafers, s.batch_max_wafers,
                   sid, s.setup_min)  # fmt: skip
            recipe = recipes.setdefault(key, len(recipes))
            if recipe == len(self.recipes):
                self.recipes.append(key)
        rw = s.rework_step - 1 if (s.rework_step and self.flags["rework"] and s.rework_prob > 0) else -1
        cqt = s.cqt_step - 1 if (s.cqt_step and s.cqt_min is not None and s.cqt_step - 1 < n) else -1
        return (f, per, s.ptime_min, s.ptime_spread_min, -1.0 if casc is None else float(casc), sid,
                s.setup_min, lens, rw, s.rework_prob if rw >= 0 else 0.0,
                s.sample_prob if self.flags["sampling"] else 1.0, cqt, s.cqt_min or 0.0, recipe,
                self.f_delay[f], batch)  # fmt: skip

    def _build_tools(self) -> None:
        self.t_fam: list[int] = []
        self.f_first_tool: list[int] = []
        for f, n in enumerate(self.f_ntools):
            self.f_first_tool.append(len(self.t_fam))
            if not self.f_delay[f]:
                self.t_fam.extend([f] * n)
        nt = len(self.t_fam)
        self.t_reserved = [False] * nt
        for f, n in enumerate(self.f_ntools):
            if not self.f_delay[f]:
                k = self.policy.reserved_tools(n)
                for i in range(k):
                    self.t_reserved[self.f_first_tool[f] + i] = True
        self._any_reserved = any(self.t_reserved)
        self.t_state = [_IDLE] * nt
        self.t_idle = [True] * nt
        for t, f in enumerate(self.t_fam):
            self.f_idle[f].append(t)
        self.t_setup = [-1] * nt
        self.t_mr_setup = [-1] * nt
        self.t_mr_left = [0] * nt
        self.t_tok = [0] * nt
        self.t_free_at = [0.0] * nt
        self.t_done_at = [0.0] * nt
        self.t_setup_end = [0.0] * nt
        self.t_rep_end = [0.0] * nt
        self.t_pm_end = [0.0] * nt
        self.t_lots: list = [()] * nt
        self.t_split = [False] * nt
        self.t_pm_pending = [0.0] * nt
        self.t_fail_pending = [0.0] * nt
        self.t_wpm: list = [None] * nt  # wafer-count PMs: list of [wafers left, every, calendar]
        self.a_proc = [0.0] * nt
        self.a_setup = [0.0] * nt
        self.a_pm = [0.0] * nt
        self.a_down = [0.0] * nt

    def _new_lot_lists(self) -> None:
        self.l_prod: list[int] = []
        self.l_step: list[int] = []
        self.l_prio: list[int] = []
        self.l_eng: list[bool] = []
        self.l_waf: list[int] = []
        self.l_rel: list[float] = []
        self.l_due: list[float] = []
        self.l_raw: list[float] = []
        self.l_trans: list[float] = []  # realised transport, minutes
        self.l_arr: list[float] = []
        self.l_tok: list[int] = []
        self.l_ded: list = []  # None or {step index: tool}
        self.l_rwd: list = []  # None or set of reworked step indices
        self.l_cqt_step: list[int] = []
        self.l_cqt_dead: list[float] = []
        self.l_viol: list[int] = []
        self.l_nrw: list[int] = []
        self.l_nsteps: list[int] = []
        self.l_name: list[str] = []
        self.l_tag: list = []
        self.l_cb: list = []

    def _targets(self, att) -> list[int]:
        if att.target_kind == "area":
            fams = [f for f, a in enumerate(self.f_area) if a == att.target]
        else:
            fams = [self._fid[att.target]] if att.target in self._fid else []
        out = []
        for f in fams:
            if not self.f_delay[f]:
                out.extend(range(self.f_first_tool[f], self.f_first_tool[f] + self.f_ntools[f]))
        return out

    def _schedule_breakdowns(self) -> None:
        g = self._g_down
        self._down_cal: list = []
        for att in self.data.attachments:
            if att.kind != "down" or att.calendar not in self.data.down:
                continue
            cal = self.data.down[att.calendar]
            c = len(self._down_cal)
            self._down_cal.append(cal)
            for t in self._targets(att):
                first = g.exponential(att.first) if att.first_dist == "exponential" else att.first
                self._push(first, _FAIL, t, c)

    def _schedule_pm(self) -> None:
        self._pm_cal: list = []
        for att in self.data.attachments:
            if att.kind != "pm" or att.calendar not in self.data.pm:
                continue
            cal = self.data.pm[att.calendar]
            c = len(self._pm_cal)
            self._pm_cal.append(cal)
            for t in self._targets(att):
                f = self.t_fam[t]
                # stagger within the tool's own group: tool i of n at first - every * i / n
                first = att.first - cal.every * (t - self.f_first_tool[f]) / self.f_ntools[f]
                while first <= 0:
                    first += cal.every
                if cal.kind == "wafers":
                    if self.t_wpm[t] is None:
                        self.t_wpm[t] = []
                    self.t_wpm[t].append([first, cal.every, c])
                else:
                    self._push(first, _PM_DUE, t, (c, first))

    def _new_lot(self, name, part, priority, wafers, release, due, engineering=False, tag=None, cb=None):
        if part not in self._pid:
            raise ValueError(f"unknown part {part!r}; the dataset has {self.p_names}")
        lot = len(self.l_prod)
        self.l_prod.append(self._pid[part])
        self.l_step.append(0)
        self.l_prio.append(int(priority))
        self.l_eng.append(bool(engineering))
        self.l_waf.append(int(wafers))
        self.l_rel.append(float(release))
        self.l_due.append(float(due))
        self.l_raw.append(0.0)
        self.l_trans.append(0.0)
        self.l_arr.append(0.0)
        self.l_tok.append(0)
        self.l_ded.append(None)
        self.l_rwd.append(None)
        self.l_cqt_step.append(-1)
        self.l_cqt_dead.append(0.0)
        self.l_viol.append(0)
        self.l_nrw.append(0)
        self.l_nsteps.append(0)
        self.l_name.append(name)
        self.l_tag.append(tag)
        self.l_cb.append(cb)
        return lot

    def _wip_change(self, now: float, delta: int) -> None:
        self._wip_area += self._wip_n * (now - self._wip_last)
        self._wip_last = now
        self._wip_n += delta
        self._wip_t.append(now)
        self._wip_cum.append(self._wip_area)
        self._wip_level.append(self._wip_n)

    def _load_wip(self) -> None:
        due_after = {o.part: o.due_after_min for o in self.data.orders}
        for w in sorted(self.data.wip, key=lambda w: w.start_min):
            steps = self.p_steps[self._pid[w.part]] if w.part in self._pid else None
            if steps is None or not 1 <= w.step <= len(steps):
                continue
            due = w.due_min if w.due_min is not None else w.start_min + due_after.get(w.part, math.inf)
            lot = self._new_lot(w.name, w.part, w.priority, w.wafers, w.start_min, due)
            self.l_step[lot] = w.step - 1
            self._wip_change(0.0, +1)
            self._arrive(lot, 0.0)

    def _push(self, t: float, kind: int, a, b) -> None:
        _heappush(self._heap, (t, next(self._seq), kind, a, b))

    # ------------------------------------------------------------------ public API
    def release(
        self,
        part: str,
        t_min: float,
        *,
        priority: int = 10,
        engineering: bool = False,
        on_done: Callable[[LotRecord], None] | None = None,
        tag: object = None,
        wafers: int = 25,
        due_min: float | None = None,
    ) -> None:
        """Schedule one extra lot (e.g. an R&D team's engineering lot).

        Parameters
        ----------
        part : str
            The part (its route) to run.
        t_min : float
            Release time, minutes on the fab clock (a time before :attr:`now` means now).
        priority : int
            10 regular, 20 hot, 30 super hot.
        engineering : bool
            Rank the lot by the engineering policy.
        on_done : callable, optional
            Called with the lot's :class:`LotRecord` when it finishes, during :meth:`run`; it may
            call :meth:`release` again.
        tag : object
            Kept on the record.
        wafers : int
            Wafers in the lot (25).
        due_min : float, optional
            Due date, minutes; default the release plus the due-date offset of the part's first
            order (infinite without one).
        """
        if part not in self._pid:
            raise ValueError(f"unknown part {part!r}; the dataset has {self.p_names}")
        t = max(float(t_min), self.now)
        if due_min is None:
            after = next((o.due_after_min for o in self.data.orders if o.part == part), math.inf)
            due_min = t + after
        self._extra += 1
        spec = (f"{part}_x{self._extra}", part, priority, wafers, t, due_min, engineering, tag, on_done)
        self._push(t, _EXTRA, spec, None)

    def run(self, until_min: float) -> None:
        """Advance the clock to ``until_min`` (minutes), handling every event up to it.

        May be called repeatedly with increasing times.
        """
        heap = self._heap
        pop = heapq.heappop
        arrive = self._arrive
        job_end = self._job_end
        done = self._step_done
        while heap and heap[0][0] <= until_min:
            tm, _, kind, a, b = pop(heap)
            self.now = tm
            if kind == _ARRIVE:
                arrive(a, tm)
            elif kind == _JOB_END:
                if b == self.t_tok[a]:
                    job_end(a, tm)
            elif kind == _DELAY_DONE:
                done(a, tm)
            elif kind == _LOT_DONE:
                if b == self.l_tok[a[0]]:
                    for lot in a:
                        done(lot, tm)
            else:
                self._rare(kind, a, b, tm)
        if until_min > self.now:
            self.now = float(until_min)

    # ------------------------------------------------------------------ hot path
    def _arrive(self, lot: int, now: float) -> None:
        st = self.p_steps[self.l_prod[lot]][self.l_step[lot]]
        f = st[S_FAM]
        if st[S_DELAY]:
            u = self._u_proc()
            d = st[S_MEAN] + st[S_SPREAD] * (2.0 * u - 1.0)
            if st[S_PER] == _PIECE:
                d *= self.l_waf[lot]
            d += self.f_load[f]
            self.l_raw[lot] += d
            self.f_delay_time[f] += d
            self.lot_steps += 1
            self._push(now + d, _DELAY_DONE, lot, None)
            return
        self.l_arr[lot] = now
        ded = -1
        dd = self.l_ded[lot]
        if dd is not None:
            ded = dd.pop(self.l_step[lot], -1)
            if ded >= 0 and self.t_fam[ded] != f:
                ded = -1
        cqs = self.l_cqt_step[lot]
        if cqs >= 0 and self.l_step[lot] > cqs:
            self.l_cqt_step[lot] = -1  # passed the target step (sampled out): nothing to check
        idle = self.f_idle[f]
        if not st[S_BATCH]:
            if idle:
                if ded < 0 and st[S_SETUP] < 0 and not self._any_reserved:
                    t = idle.pop()  # any idle tool will do: the most recently freed
                    self.t_idle[t] = False
                else:
                    t = self._idle_for(lot, st, f, ded, idle)
                if t >= 0:
                    self._start(t, (lot,), st, now)
                    return
            eng = self.l_eng[lot]
            key = (eng, self.l_prio[lot], st[S_SETUP], st[S_OWN], ded)
            b = self.f_buckets[f].get(key)
            if b is None:
                ru = self.policy.rank(eng, False)
                rr = self.policy.rank(eng, True)
                b = [deque(), ru, rr, -self.l_prio[lot], st[S_SETUP], st[S_OWN], ded, False, 0, 0, 0, False]
                self.f_buckets[f][key] = b
            b[B_Q].append(lot)
            if not b[B_ON]:
                b[B_ON] = True
                self.f_active[f].append(b)
            return
        # batch step: join the recipe's bucket, ordered by (engineering rank, priority, arrival)
        key = (st[S_RECIPE], ded)
        b = self.f_buckets[f].get(key)
        if b is None:
            r = self.recipes[st[S_RECIPE]]
            b = [[], 0, 0, 0, st[S_SETUP], st[S_OWN], ded, True, r[4], r[5], 0, False]
            self.f_buckets[f][key] = b
        bisect.insort(b[B_Q], (self.policy.rank(self.l_eng[lot], False), -self.l_prio[lot], now, lot))
        b[B_WAF] += self.l_waf[lot]
        if not b[B_ON]:
            b[B_ON] = True
            self.f_active[f].append(b)
        if idle:
            self._wake(f, now)
        if b[B_WAF] < b[B_BMIN] and self.batch_timeout_min is not None:
            self._push(now + self.batch_timeout_min, _BATCH_WAKE, f, None)

    def _wake(self, f: int, now: float) -> None:
        """Offer the family's queue to its idle tools (after a batch grew or a timeout)."""
        idle = self.f_idle[f]
        for t in list(idle):
            sel = self._select(t, now)
            if sel is None:
                continue
            idle.remove(t)
            self.t_idle[t] = False
            self._start(t, sel, self.p_steps[self.l_prod[sel[0]]][self.l_step[sel[0]]], now)

    def _idle_for(self, lot: int, st: tuple, f: int, ded: int, idle: list) -> int:
        """The idle tool that takes an arriving lot now, removed from the idle list (-1: none)."""
        if ded >= 0:
            if not self.t_idle[ded]:
                return -1
            idle.remove(ded)
            self.t_idle[ded] = False
            return ded
        sid = st[S_SETUP]
        if sid >= 0:
            # a tool already set up for the lot first; else the least setup (wake_LeastSetupTime)
            # or the most recently freed one
            best = next((t for t in idle if self.t_setup[t] == sid), -1)
            if best < 0:
                if self.f_wake[f]:
                    own = st[S_OWN]
                    best = min(idle, key=lambda t: self._setup_minutes(f, self.t_setup[t], sid, own))
                else:
                    best = idle[-1]
            idle.remove(best)
            self.t_idle[best] = False
            return best
        if self._any_reserved and len(idle) > 1:
            want = bool(self.l_eng[lot])  # engineering lots prefer reserved tools, production the rest
            for k in range(len(idle) - 1, -1, -1):
                if self.t_reserved[idle[k]] == want:
                    t = idle.pop(k)
                    self.t_idle[t] = False
                    return t
        t = idle.pop()
        self.t_idle[t] = False
        return t

    def _setup_minutes(self, f: int, cur: int, sid: int, own: float) -> float:
        if sid < 0 or sid == cur:
            return 0.0
        if own > 0:
            return own
        m = self.f_setup_pair[f].get((cur, sid))
        if m is None:
            m = self.f_setup_any[f].get(sid, 0.0)
        return m

    def _select(self, t: int, now: float):
        """The lots tool ``t`` takes next from its family's queue (a tuple), or None."""
        f = self.t_fam[t]
        act = self.f_active[f]
        if not act:
            return None
        rule = self.f_rule[f]
        if len(act) == 1 and self.t_mr_left[t] <= 0 and not rule.per_lot:
            # one bucket of lots waits: its head goes unless it is for another tool or a batch
            b = act[0]
            if not b[B_BATCH] and (b[B_DED] < 0 or b[B_DED] == t):
                q = b[B_Q]
                lot = q.popleft()
                if not q:
                    b[B_ON] = False
                    act.pop()
                return (lot,)
        if rule.per_lot:
            return self._select_per_lot(t, f, now)
        cur = self.t_setup[t]
        res = self.t_reserved[t]
        cands = act
        if self.t_mr_left[t] > 0:
            mrs = self.t_mr_setup[t]
            cands = [b for b in act if b[B_SETUP] == mrs and (b[B_DED] < 0 or b[B_DED] == t)
                     and (not b[B_BATCH] or self._eligible(b, now))]  # fmt: skip
            if not cands:
                self.t_mr_left[t] = 0  # no lot of S waits: the minimum run ends here
                cands = act
        order = rule.order
        best = None
        bk = None
        l_arr = self.l_arr
        for b in cands:
            ded = b[B_DED]
            if ded >= 0 and ded != t:
                continue
            if b[B_BATCH]:
                if not self._eligible(b, now):
                    continue
                er, hp, arr, _ = b[B_Q][0]
            else:
                er = b[B_RR] if res else b[B_RU]
                hp = b[B_HP]
                arr = l_arr[b[B_Q][0]]
            s = b[B_SETUP]
            st = 0.0 if (s < 0 or s == cur) else self._setup_minutes(f, cur, s, b[B_OWN])
            key = order((er, hp, st, arr, 0.0))
            if bk is None or key < bk:
                best = b
                bk = key
        if best is None:
            return None
        return self._take(best, f)

    def _eligible(self, b: list, now: float) -> bool:
        if b[B_WAF] >= b[B_BMIN]:
            return True
        tmo = self.batch_timeout_min
        return tmo is not None and now - b[B_Q][0][2] >= tmo

    def _take(self, b: list, f: int):
        q = b[B_Q]
        if not b[B_BATCH]:
            lot = q.popleft()
            if not q:
                b[B_ON] = False
                self.f_active[f].remove(b)
            return (lot,)
        cap = b[B_BMAX]
        l_waf = self.l_waf
        taken = []
        rest = []
        w = 0
        for e in q:
            lw = l_waf[e[3]]
            if w + lw <= cap:
                taken.append(e[3])
                w += lw
            else:
                rest.append(e)
        q[:] = rest
        b[B_WAF] -= w
        if not q:
            b[B_ON] = False
            self.f_active[f].remove(b)
        return tuple(taken)

    def _select_per_lot(self, t: int, f: int, now: float):
        """Slow path for rules whose rank differs within a bucket (critical ratio)."""
        cur = self.t_setup[t]
        res = self.t_reserved[t]
        order = self.f_rule[f].order
        mrs = self.t_mr_setup[t] if self.t_mr_left[t] > 0 else -1
        best = None
        for b in self.f_active[f]:
            ded = b[B_DED]
            if ded >= 0 and ded != t:
                continue
            if b[B_BATCH] and not self._eligible(b, now):
                continue
            s = b[B_SETUP]
            st = 0.0 if (s < 0 or s == cur) else self._setup_minutes(f, cur, s, b[B_OWN])
            mr = 0 if (mrs < 0 or s == mrs) else 1
            for k, e in enumerate(b[B_Q]):
                lot = e[3] if b[B_BATCH] else e
                er = self.policy.rank(self.l_eng[lot], res)
                rem = self.p_remaining[self.l_prod[lot]][self.l_step[lot]]
                cr = (self.l_due[lot] - now) / rem if rem > 0 else 1.0
                key = (mr,) + order((er, -self.l_prio[lot], st, self.l_arr[lot], cr))
                if best is None or key < best[0]:
                    best = (key, b, k)
                if b[B_BATCH]:
                    break  # a batch is ranked by its head (batches are taken whole)
        if best is None:
            return None
        _, b, k = best
        if b[B_BATCH]:
            return self._take(b, f)
        q = b[B_Q]
        lot = q[k]
        del q[k]
        if not q:
            b[B_ON] = False
            self.f_active[f].remove(b)
        return (lot,)

    def _start_marks(self, lot: int, lens: int, t: int, now: float) -> None:
        """Check a pending critical queue time and record a lens dedication at a step start."""
        if self.l_cqt_step[lot] == self.l_step[lot]:
            if now > self.l_cqt_dead[lot]:
                self.l_viol[lot] += 1
            self.l_cqt_step[lot] = -1
        if lens >= 0:
            dd = self.l_ded[lot]
            if dd is None:
                dd = self.l_ded[lot] = {}
            dd[lens] = t

    def _start(self, t: int, lots: tuple, st: tuple, now: float) -> None:
        """Start a job (one lot or a batch) on tool ``t`` at ``now``."""
        f = st[S_FAM]
        lens = st[S_LENS]
        l_cqt_step = self.l_cqt_step
        if len(lots) == 1:
            lot = lots[0]
            w = self.l_waf[lot]
            if l_cqt_step[lot] >= 0 or lens >= 0:
                self._start_marks(lot, lens, t, now)
        else:
            w = 0
            for lot in lots:
                w += self.l_waf[lot]
                if l_cqt_step[lot] >= 0 or lens >= 0:
                    self._start_marks(lot, lens, t, now)
        sid = st[S_SETUP]
        setup = 0.0
        if sid >= 0:
            cur = self.t_setup[t]
            if sid != cur:
                setup = self._setup_minutes(f, cur, sid, st[S_OWN])
                self.t_setup[t] = sid
                mr = self.f_minrun[f].get(sid)
                if mr:
                    self.t_mr_setup[t] = sid
                    self.t_mr_left[t] = mr
            if self.t_mr_left[t] > 0 and self.t_mr_setup[t] == sid:
                self.t_mr_left[t] -= len(lots)
        d = st[S_MEAN] + st[S_SPREAD] * (2.0 * self._u_proc() - 1.0)
        casc = st[S_CASC]
        load = self.f_load[f]
        if st[S_PER] == _PIECE:
            if casc >= 0:
                lot_d = d + casc * (w - 1)
                tool_d = casc * w
            else:
                lot_d = tool_d = d * w
        else:
            lot_d = d
            tool_d = casc if casc >= 0 else d
        if self._no_cascading:  # the approximation measured: a tool holds each lot to its end
            tool_d = lot_d
        lot_time = lot_d + load
        tool_time = tool_d if self.f_casc[f] else tool_d + load
        l_raw = self.l_raw
        if len(lots) == 1:
            l_raw[lots[0]] += lot_time
        else:
            for lot in lots:
                l_raw[lot] += lot_time
        self.lot_steps += len(lots)
        self.t_state[t] = _BUSY
        self.a_setup[t] += setup
        self.a_proc[t] += tool_time
        self.t_setup_end[t] = now + setup
        free_at = now + setup + tool_time
        done_at = now + setup + lot_time
        self.t_free_at[t] = free_at
        self.t_done_at[t] = done_at
        self.t_lots[t] = lots
        wpm = self.t_wpm[t]
        if wpm is not None:
            for c in wpm:
                c[0] -= w
                if c[0] <= 0:
                    c[0] += c[1]
                    cal = self._pm_cal[c[2]]
                    self.t_pm_pending[t] += self._pm_duration(cal)
        tok = self.t_tok[t] + 1
        self.t_tok[t] = tok
        heap = self._heap
        _heappush(heap, (free_at, next(self._seq), _JOB_END, t, tok))
        if free_at == done_at:
            self.t_split[t] = False
        else:
            self.t_split[t] = True
            _heappush(heap, (done_at, next(self._seq), _LOT_DONE, lots, self.l_tok[lots[0]]))

    def _job_end(self, t: int, now: float) -> None:
        if not self.t_split[t]:
            for lot in self.t_lots[t]:
                self._step_done(lot, now)
        self.t_lots[t] = ()
        if self.t_pm_pending[t] > 0:
            self._start_pm(t, self.t_pm_pending[t], now)
            return
        f = self.t_fam[t]
        sel = self._select(t, now) if self.f_active[f] else None
        if sel is None:
            self.t_state[t] = _IDLE
            self.t_idle[t] = True
            self.f_idle[f].append(t)
        else:
            lot = sel[0]
            self._start(t, sel, self.p_steps[self.l_prod[lot]][self.l_step[lot]], now)

    def _tool_free(self, t: int, now: float) -> None:
        """Tool ``t`` is free: start a pending PM, else its next job, else idle."""
        pend = self.t_pm_pending[t]
        if pend > 0:
            self._start_pm(t, pend, now)
            return
        sel = self._select(t, now) if self.f_active[self.t_fam[t]] else None
        if sel is None:
            self.t_state[t] = _IDLE
            self.t_idle[t] = True
            self.f_idle[self.t_fam[t]].append(t)
        else:
            lot = sel[0]
            self._start(t, sel, self.p_steps[self.l_prod[lot]][self.l_step[lot]], now)

    def _step_done(self, lot: int, now: float) -> None:
        """A lot finished its current step at ``now``: rework, skip sampled steps, move on."""
        steps = self.p_steps[self.l_prod[lot]]
        i = self.l_step[lot]
        st = steps[i]
        self.l_nsteps[lot] += 1
        if st[S_CQTSTEP] >= 0:
            self.l_cqt_step[lot] = st[S_CQTSTEP]
            self.l_cqt_dead[lot] = now + st[S_CQT]
        nxt = i + 1
        if st[S_RWPROB] > 0:
            rwd = self.l_rwd[lot]
            if rwd is None or i not in rwd:
                if self._u_rw() < st[S_RWPROB]:
                    if rwd is None:
                        rwd = self.l_rwd[lot] = set()
                    rwd.add(i)
                    nxt = st[S_RWSTEP]
                    self.l_nrw[lot] += 1
        n = len(steps)
        while nxt < n:
            p = steps[nxt][S_SAMPLE]
            if p < 1.0 and self._u_samp() >= p:
                nxt += 1
                continue
            break
        if nxt >= n:
            self._finish(lot, now)
            return
        self.l_step[lot] = nxt
        tm = self._tmean
        if tm > 0:
            move = tm + self._tspread * (2.0 * self._u_trans() - 1.0)
            self.l_trans[lot] += move
            now += move
        _heappush(self._heap, (now, next(self._seq), _ARRIVE, lot, None))

    def _finish(self, lot: int, now: float) -> None:
        self._wip_change(now, -1)
        rec = LotRecord(
            self.l_name[lot], self.p_names[self.l_prod[lot]], self.l_prio[lot], self.l_eng[lot],
            self.l_tag[lot], self.l_rel[lot], now, self.l_raw[lot], self.l_due[lot], self.l_nsteps[lot],
            self.l_viol[lot], self.l_nrw[lot], self.l_trans[lot],
        )  # fmt: skip
        self.lots.append(rec)
        self.l_ded[lot] = self.l_rwd[lot] = None
        cb = self.l_cb[lot]
        if cb is not None:
            self.l_cb[lot] = None
            cb(rec)

    def _enter(self, lot: int, now: float) -> None:
        """A new lot enters the fab at its first performed step (no transport)."""
        self._wip_change(now, +1)
        steps = self.p_steps[self.l_prod[lot]]
        i = 0
        while i < len(steps):
            p = steps[i][S_SAMPLE]
            if p < 1.0 and self._u_samp() >= p:
                i += 1
                continue
            break
        if i >= len(steps):
            self._finish(lot, now)
            return
        self.l_step[lot] = i
        self._arrive(lot, now)

    # ------------------------------------------------------------------ rare events
    def _rare(self, kind: int, a, b, now: float) -> None:
        if kind == _RELEASE:
            order = self.data.orders[a]
            for j in range(order.lots_per_release):
                k = b * order.lots_per_release + j + 1
                lot = self._new_lot(f"{order.name}_{k}", order.part, order.priority, order.wafers, now,
                                    now + order.due_after_min)  # fmt: skip
                self._enter(lot, now)
            if b + 1 < order.repeats:
                self._push(
                    order.start_min + (b + 1) * order.interval_min / self.start_rate, _RELEASE, a, b + 1
                )
        elif kind == _EXTRA:
            name, part, prio, wafers, t, due, eng, tag, cb = a
            lot = self._new_lot(name, part, prio, wafers, now, due, eng, tag, cb)
            self._enter(lot, now)
        elif kind == _FAIL:
            cal = self._down_cal[b]
            ttr = self._g_down.exponential(cal.mttr_min)
            # the next failure of this calendar: exponential time after the (nominal) repair
            self._push(now + ttr + self._g_down.exponential(cal.mttf_min), _FAIL, a, b)
            st = self.t_state[a]
            if st in (_PM, _DOWN, _PAUSED):
                self.t_fail_pending[a] += ttr  # after the PM or the current repair
            else:
                self._go_down(a, ttr, now)
        elif kind == _REPAIR:
            t = a
            pend = self.t_fail_pending[t]
            if pend > 0:
                self.t_fail_pending[t] = 0.0
                self._go_down(t, pend, now)
            elif self.t_state[t] == _PAUSED:
                self.t_state[t] = _BUSY
            else:
                self._tool_free(t, now)
        elif kind == _PM_DUE:
            c, due = b
            cal = self._pm_cal[c]
            self._push(due + cal.every, _PM_DUE, a, (c, due + cal.every))
            dur = self._pm_duration(cal)
            if self.t_state[a] == _IDLE:
                self.f_idle[self.t_fam[a]].remove(a)
                self.t_idle[a] = False
                self._start_pm(a, dur, now)
            else:
                self.t_pm_pending[a] += dur
        elif kind == _PM_END:
            t = a
            pend = self.t_fail_pending[t]
            if pend > 0:
                self.t_fail_pending[t] = 0.0
                self.t_state[t] = _DOWN
                self._go_down(t, pend, now)
            else:
                self._tool_free(t, now)
        elif kind == _BATCH_WAKE:
            self._wake(a, now)

    def _pm_duration(self, cal) -> float:
        return max(0.0, cal.duration_min + cal.duration_spread_min * (2.0 * self._g_pm.random() - 1.0))

    def _start_pm(self, t: int, dur: float, now: float) -> None:
        self.t_pm_pending[t] = 0.0
        self.t_state[t] = _PM
        self.a_pm[t] += dur
        self.t_pm_end[t] = now + dur
        self._push(now + dur, _PM_END, t, None)

    def _go_down(self, t: int, ttr: float, now: float) -> None:
        """Tool ``t`` fails for ``ttr`` minutes: a running job is postponed by ``ttr``."""
        st = self.t_state[t]
        if st in (_BUSY, _PAUSED):
            tok = self.t_tok[t] + 1
            self.t_tok[t] = tok
            self.t_free_at[t] += ttr
            if self.t_setup_end[t] > now:
                self.t_setup_end[t] += ttr
            self._push(self.t_free_at[t], _JOB_END, t, tok)
            lots = self.t_lots[t]
            if self.t_split[t] and lots and self.t_done_at[t] > now:
                ltok = self.l_tok[lots[0]] + 1
                self.l_tok[lots[0]] = ltok
                self.t_done_at[t] += ttr
                self._push(self.t_done_at[t], _LOT_DONE, lots, ltok)
            self.t_state[t] = _PAUSED
        else:
            if self.t_idle[t]:
                self.f_idle[self.t_fam[t]].remove(t)
                self.t_idle[t] = False
            self.t_state[t] = _DOWN
        self.a_down[t] += ttr
        self.t_rep_end[t] = now + ttr
        self._push(now + ttr, _REPAIR, t, None)

    # ------------------------------------------------------------------ statistics
    def tool_group_stats(self) -> list[dict]:
        """Per tool group, shares of its total tool time from clock 0 to :attr:`now`.

        Returns
        -------
        list of dict
            ``tool_group``, ``area``, ``tools``; ``processing_share``, ``setup_share``,
            ``pm_share``, ``down_share`` (shares of ``tools × now``); ``availability`` =
            1 - pm_share - down_share; ``utilisation`` = processing over available time;
            ``busy`` = processing plus setup over available time. Delay groups report their
            summed delay over ``tools × now`` as processing, always available.
        """
        now = self.now
        out = []
        if now <= 0:
            return out
        for f, name in enumerate(self.f_names):
            n = self.f_ntools[f]
            proc = setup = pm = down = 0.0
            if self.f_delay[f]:
                proc = self.f_delay_time[f]
            else:
                for t in range(self.f_first_tool[f], self.f_first_tool[f] + n):
                    p, s, m, dn = self.a_proc[t], self.a_setup[t], self.a_pm[t], self.a_down[t]
                    state = self.t_state[t]
                    # the accumulators hold whole intervals from their start: remove the future part
                    if state in (_BUSY, _PAUSED):
                        resume = now if state == _BUSY else self.t_rep_end[t]
                        if state == _PAUSED:
                            dn -= self.t_rep_end[t] - now
                        s_rem = max(0.0, self.t_setup_end[t] - resume)
                        s -= s_rem
                        p -= self.t_free_at[t] - resume - s_rem
                    elif state == _DOWN:
                        dn -= self.t_rep_end[t] - now
                    elif state == _PM:
                        m -= self.t_pm_end[t] - now
                    proc += p
                    setup += s
                    pm += m
                    down += dn
            total = n * now
            avail = total - pm - down
            out.append(
                dict(
                    tool_group=name,
                    area=self.f_area[f],
                    tools=n,
                    availability=avail / total,
                    utilisation=proc / avail if avail > 0 else math.nan,
                    busy=(proc + setup) / avail if avail > 0 else math.nan,
                    processing_share=proc / total,
                    setup_share=setup / total,
                    pm_share=pm / total,
                    down_share=down / total,
                )  # fmt: skip
            )
        return out

    def wip_lots(self) -> float:
        """Time-average number of lots in the fab from clock 0 to :attr:`now` (lots)."""
        return self.wip_lots_between(0.0, self.now)

    def wip_lots_between(self, t0_min: float, t1_min: float) -> float:
        """Time-average number of lots in the fab over ``[t0_min, t1_min]`` (minutes; lots)."""
        t1_min = min(t1_min, self.now)
        if t1_min <= t0_min:
            return math.nan
        return (self._wip_integral(t1_min) - self._wip_integral(t0_min)) / (t1_min - t0_min)

    def _wip_integral(self, t: float) -> float:
        k = bisect.bisect_right(self._wip_t, t) - 1
        if k < 0:
            return 0.0
        return self._wip_cum[k] + self._wip_level[k] * (t - self._wip_t[k])

    @property
    def wip_now(self) -> int:
        """Lots in the fab now."""
        return self._wip_n
