"""A pool of identical units (GPU slots, tools) shared by several owners.

:class:`SharedCapacity` is a SimPy resource in SimPy's own style: requests are
*put* events, releases are *get* events, and the template methods
``_do_put`` / ``_do_get`` decide when they succeed. It knows nothing of the
domain; an *owner* is just a string (a team), and all times are in the
environment's time unit.

Queue discipline: the head of the policy-ordered queue is served when its
units fit, and nothing behind it is served while it does not (no
back-filling). Back-filling would raise utilisation but could starve a large
request for ever behind a stream of small ones.

Units may break down (:class:`Breakdowns`): a unit fails after an
exponential time to failure (calendar time) and is repaired after an
exponential time to repair. A failing idle unit is taken out of service; a
failing busy unit stops the work it holds, which resumes after the repair
(the holder's :meth:`SharedCapacity.hold` is extended by the repair time).
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Mapping

import simpy
from simpy.events import PENDING
from simpy.resources.base import BaseResource, Get, Put

POLICIES = ("fifo", "priority", "fair_share", "critical_ratio")


class CapacityRequest(Put):
    """Request for ``amount`` units by ``owner``; triggered when granted.

    Use as ``with cap.request(...) as req: yield req``: leaving the block
    cancels the request if it is still waiting, and releases it otherwise.
    """

    __slots__ = (
        "amount",
        "owner",
        "priority",
        "due",
        "work",
        "time",
        "usage_since",
        "key",
        "held_up",
        "repair_until",
    )

    def __init__(
        self,
        resource: SharedCapacity,
        amount: int = 1,
        owner: str = "",
        priority: float = 0,
        due: float = math.inf,
        work: float = 1.0,
    ):
        if type(amount) is not int:  # fast path for the common plain int
            if isinstance(amount, bool) or not isinstance(amount, numbers.Integral):
                raise ValueError(f"amount must be an int >= 1, got {amount!r}")
            amount = int(amount)
        if amount < 1:
            raise ValueError(f"amount must be an int >= 1, got {amount!r}")
        if amount > resource._capacity:  # (the capacity property, without its call)
            # It could never fit, and with no back-filling it would block the queue for ever.
            raise ValueError(f"amount {amount} exceeds capacity {resource.capacity}")
        self.amount = amount
        self.owner = owner
        self.priority = priority
        self.due = due  # time the owner wants the work done by (critical ratio)
        self.work = work  # work left to the owner's goal, in time units (critical ratio)
        env = resource._env
        self.time = env._now  # time of request (env.now, without its property call)
        self.usage_since: float = math.nan  # time of grant (NaN while waiting)
        self.held_up = 0.0  # repair time added to the current hold, not yet waited
        self.repair_until = -math.inf  # the unit it holds is under repair until then
        resource._seq += 1
        # Sort key of the queue: arrival order, behind priority if the policy uses it.
        self.key = (priority, resource._seq) if resource._by_priority else (resource._seq,)
        # What Put.__init__ (and Event.__init__ under it) does, in one frame instead of three:
        # every run of a model makes a request, and the nested calls cost as much as the rest.
        # Same state, same order: the callback is in place before the queue is tried.
        self.env = env
        # Put.__init__ would add resource._trigger_get, which serves waiting releases when the
        # request is processed: releases never wait here (each is served when made), so it
        # would find none.
        self.callbacks = []
        self.resource = resource
        self.proc = env._active_proc  # env.active_process
        q = resource.put_queue
        if q:
            q.append(self)
            resource._trigger_put(None)  # serves the head now if its units fit
        elif not resource._do_put(self):  # alone in the queue: served now if its units fit
            q.append(self)

    def cancel(self) -> None:
        """Withdraw the request if it is still waiting (no-op once granted)."""
        if not self.triggered:
            self.resource._cancel(self)

    def __exit__(self, exc_type, exc_value, traceback):
        if self._value is PENDING:  # what Put.__exit__ does (cancel()): withdraw it if still waiting
            self.resource._cancel(self)
        # As simpy.Resource: no release on generator clean-up (avoids reference cycles).
        if exc_type is not GeneratorExit:
            CapacityRelease(self.resource, self)  # release()
        return None


class CapacityRelease(Get):
    """Release of the units held by ``request``; triggered immediately."""

    def __init__(self, resource: SharedCapacity, request: CapacityRequest):
        self.request = request
        # Get.__init__ inlined, as for CapacityRequest.
        env = resource._env
        self.env = env
        self.callbacks = [resource._trigger_put]
        self.resource = resource
        self.proc = env._active_proc  # env.active_process
        q = resource.get_queue
        if q:  # never, as releases are served at once: the general path all the same
            q.append(self)
            resource._trigger_get(None)
        else:  # what appending and _trigger_get() do with an empty queue
            resource._do_get(self)


def _key(event):
    return event.key


class _KeyedQueue(list):
    """List kept sorted by ``event.key`` on append (binary insertion, O(log n) search)."""

    def append(self, item) -> None:
        # Most requests arrive behind everything queued (FIFO, equal priorities):
        # appending then is O(1) and skips the search.
        if not self or self[-1].key <= item.key:
            list.append(self, item)
        else:
            bisect.insort(self, item, key=_key)


class SharedCapacity(BaseResource):
    """``capacity`` identical units contended for by requests of several owners.

    Parameters
    ----------
    env : simpy.Environment
    capacity : int
        Number of units (>= 1).
    policy : str
        ``"fifo"``: arrival order. ``"priority"``: lower ``priority`` first,
        then arrival. ``"fair_share"``: the owner whose units in use divided by
        its share is smallest first, then arrival.
        ``"critical_ratio"``: lower ``priority`` first, then the smallest
        critical ratio ``(due - now) / work`` (the request's due time and work
        left), then arrival; the ratio changes with time, so the head is chosen
        afresh at every grant.
    shares : mapping owner -> float, optional
        Weights for ``"fair_share"`` (> 0); owners not listed have share 1.0.
    record_waits : bool
        Keep (owner, t_request, t_grant) of every grant for :meth:`waits`.
        Long runs with millions of requests turn it off to save memory.
    """

    PutQueue = _KeyedQueue

    # Declared here: requests and releases read them, and mypy cannot infer types across
    # the mutual references of the resource and its events.
    policy: str
    shares: dict[str, float]
    _fair: bool
    _by_priority: bool
    _capacity: int
    _sorted: bool
    _seq: int
    _in_use: int
    _down_idle: int
    _granted: int
    _completed: int
    _n_down: int
    _breakdowns: int
    _record_waits: bool
    _t0: float
    _t_down: float
    _area_down: float
    _sum_wait: float
    _sum_in_system: float
    _sum_cancelled_wait: float
    _sum_hold: float
    _sum_hold_units: float

    def __init__(
        self,
        env: simpy.Environment,
        capacity: int,
        policy: str = "fifo",
        shares: Mapping[str, float] | None = None,
        record_waits: bool = True,
    ):
        if isinstance(capacity, bool) or not isinstance(capacity, numbers.Integral) or capacity < 1:
            raise ValueError(f"capacity must be an int >= 1, got {capacity!r}")
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}")
        self.shares = dict(shares or {})
        for owner, share in self.shares.items():
            if not (isinstance(share, numbers.Real) and math.isfinite(share) and share > 0):
                raise ValueError(f"shares[{owner!r}] must be a finite number > 0, got {share!r}")
        super().__init__(env, int(capacity))
        self.policy = policy
        self._fair = policy == "fair_share"  # owners' units in use are counted
        self._by_priority = policy == "priority"  # the queue's key starts with the priority
        self._sorted = policy in ("fifo", "priority")  # the queue's order is the serving order
        self.users: set[CapacityRequest] = set()  # granted, not yet released
        self._in_use = 0
        self._owner_in_use: dict[str, int] = {}
        self._seq = 0
        self._down_idle = 0  # units broken down while holding no work
        # Statistics. Time integrals are sums of finished intervals (waits,
        # holds, outages) plus the open ones at the time asked: no bookkeeping
        # on every change of state, and exact for piecewise-constant state.
        self._t0 = env.now
        self._granted = self._completed = 0
        self._sum_wait = self._sum_in_system = 0.0
        self._sum_cancelled_wait = 0.0  # waits of requests withdrawn before grant
        self._sum_hold = 0.0  # sum of (release - grant), requests
        self._sum_hold_units = 0.0  # sum of amount * (release - grant)
        self._n_down = 0  # units under repair (idle or holding work)
        self._area_down = 0.0
        self._t_down = env.now
        self._breakdowns = 0
        self._record_waits = record_waits
        self._waits: list[tuple[str, float, float]] = []

    def request(
        self, amount: int = 1, owner: str = "", priority: float = 0, due: float = math.inf, work: float = 1.0
    ) -> CapacityRequest:
        """Ask for ``amount`` units; the returned event fires on grant.

        ``due`` (time) and ``work`` (time units left, > 0) are used by the
        ``"critical_ratio"`` policy only.
        """
        return CapacityRequest(self, amount, owner, priority, due, work)

    def release(self, request: CapacityRequest) -> CapacityRelease:
        """Give back the units of ``request`` (no-op if it holds none)."""
        return CapacityRelease(self, request)

    @property
    def in_use(self) -> int:
        """Units in use now."""
        return self._in_use

    @property
    def queue_length(self) -> int:
        """Requests waiting now."""
        return len(self.put_queue)

    @property
    def down(self) -> int:
        """Units under repair now (idle or holding work)."""
        return self._n_down

    def hold(self, request: CapacityRequest, duration: float):
        """Generator: occupy ``request``'s units for ``duration`` of work.

        If a unit breaks down meanwhile, the work stops for the repair and then
        resumes, so the hold ends ``duration`` plus the repair times after it
        began. Use as ``yield from cap.hold(req, minutes)``.
        """
        yield self._env.timeout(duration)
        while request.held_up:
            extra, request.held_up = request.held_up, 0.0
            yield self._env.timeout(extra)

    # -- breakdowns --------------------------------------------------------------

    def _break_down(self, repair: float, rng) -> CapacityRequest | None:
        """One up unit fails now for ``repair`` time units; returns when it is chosen.

        Units are exchangeable, so the failing one is idle or busy in
        proportion to the up units of each kind.
        """
        now = self._env.now
        busy_up = [r for r in self.users if r.repair_until <= now]
        idle_up = self.capacity - self._in_use - self._down_idle
        self._count_down()
        self._n_down += 1
        self._breakdowns += 1
        if rng.random() * (idle_up + len(busy_up)) < idle_up:
            self._down_idle += 1
            return None
        # Sets have no stable order: pick among holders sorted by arrival so a
        # seed gives the same choice in every process.
        busy_up.sort(key=_key)
        victim = busy_up[int(rng.random() * len(busy_up))]
        victim.held_up += repair
        victim.repair_until = now + repair
        return victim

    def _repaired(self, victim) -> None:
        self._count_down()
        self._n_down -= 1
        if victim is None:
            self._down_idle -= 1
            self._trigger_put(None)  # a unit is back: the head may now fit

    def _count_down(self) -> None:
        now = self._env.now
        self._area_down += self._n_down * (now - self._t_down)
        self._t_down = now

    # -- SimPy template methods ------------------------------------------------

    def _trigger_put(self, get_event) -> None:
        # Replaces the base loop: under fair share the head depends on current
        # use, so it is chosen afresh after every grant. Stop at a head that
        # does not fit (no back-filling).
        q = self.put_queue
        while q:
            idx = 0 if self._sorted else self._head_index()  # sorted: the head is first
            if not self._do_put(q[idx]):
                break
            q.pop(idx)

    def _trigger_get(self, put_event) -> None:
        # Replaces the base loop, whose checks cannot fire here: a release never
        # waits, so each is served in turn.
        q = self.get_queue
        while q:
            self._do_get(q[0])
            q.pop(0)

    def _head_index(self) -> int:
        policy = self.policy
        if policy == "fifo" or policy == "priority":
            return 0  # queue is already sorted by key
        q = self.put_queue
        if len(q) == 1:
            return 0
        if policy == "critical_ratio":
            now = self._env.now
            return min(range(len(q)), key=lambda i: (q[i].priority, (q[i].due - now) / q[i].work, q[i].key))
        use, shares = self._owner_in_use, self.shares
        return min(
            range(len(q)), key=lambda i: (use.get(q[i].owner, 0) / shares.get(q[i].owner, 1.0), q[i].key)
        )

    def _do_put(self, event: CapacityRequest) -> bool:
        if event.amount > self._capacity - self._in_use - self._down_idle:
            return False
        now = self._env._now  # env.now
        self.users.add(event)
        self._in_use += event.amount
        if self._fair:
            self._owner_in_use[event.owner] = self._owner_in_use.get(event.owner, 0) + event.amount
        event.usage_since = now
        self._granted += 1
        self._sum_wait += now - event.time
        if self._record_waits:
            self._waits.append((event.owner, event.time, now))
        # event.succeed() inlined (a request is granted once, so it is pending here)
        event._ok = True
        event._value = None
        self._env.schedule(event)
        return True

    def _do_get(self, event: CapacityRelease) -> bool:
        req = event.request
        if req in self.users:  # releasing a waiting or already released request does nothing
            now = self._env._now  # env.now
            self.users.remove(req)
            self._in_use -= req.amount
            if self._fair:
                self._owner_in_use[req.owner] -= req.amount
            self._completed += 1
            self._sum_in_system += now - req.time
            held = now - req.usage_since
            self._sum_hold += held
            self._sum_hold_units += req.amount * held
        # event.succeed() inlined (a release is served once, when made)
        event._ok = True
        event._value = None
        self._env.schedule(event)
        return True  # releases never block

    def _cancel(self, event: CapacityRequest) -> None:
        self.put_queue.remove(event)
        self._sum_cancelled_wait += self._env.now - event.time
        self._trigger_put(None)  # the cancelled one may have been a blocking head

    # -- statistics --------------------------------------------------------------

    def stats(self) -> dict:
        """Time-weighted statistics from creation up to ``env.now``.

        Time averages are over [creation, now]; means over an empty set or a
        zero-length interval are NaN. Times are in the environment's unit.
        ``mean_hold`` is the mean time a completed request held its units
        (repairs of a broken unit included); ``availability`` is the
        time-average share of units not under repair; ``breakdowns`` counts
        unit failures.
        """
        now = self._env.now
        span = now - self._t0
        nan = float("nan")
        # Open intervals: requests still waiting or still holding units.
        open_wait = sum(now - r.time for r in self.put_queue)
        open_hold = sum(now - r.usage_since for r in self.users)
        open_hold_units = sum(r.amount * (now - r.usage_since) for r in self.users)
        area_queue = self._sum_wait + self._sum_cancelled_wait + open_wait
        area_in_use = self._sum_hold_units + open_hold_units
        area_system = area_queue + self._sum_hold + open_hold
        area_down = self._area_down + self._n_down * (now - self._t_down)
        return {
            "utilisation": area_in_use / (span * self.capacity) if span else nan,
            "mean_in_use": area_in_use / span if span else nan,
            "mean_queue_length": area_queue / span if span else nan,
            "mean_in_system": area_system / span if span else nan,
            "requests": self._granted,
            "mean_wait": self._sum_wait / self._granted if self._granted else nan,
            "completed": self._completed,
            "mean_time_in_system": self._sum_in_system / self._completed if self._completed else nan,
            "mean_hold": self._sum_hold / self._completed if self._completed else nan,
            "availability": 1.0 - area_down / (span * self.capacity) if span else nan,
            "breakdowns": self._breakdowns,
        }

    def waits(self) -> list[tuple[str, float, float]]:
        """(owner, t_request, t_grant) of every granted request, in grant order.

        Empty when the capacity was made with ``record_waits=False``.
        """
        return list(self._waits)


class Breakdowns:
    """Exponential breakdowns and repairs of every unit of a :class:`SharedCapacity`.

    Each unit stays up for an exponential time with mean ``mttf`` (calendar
    time, whether busy or idle), then is down for an exponential time with
    mean ``mttr``; in the long run a unit is up ``mttf / (mttf + mttr)`` of the
    time. Work on a failing unit resumes after the repair (see
    :meth:`SharedCapacity.hold`). Times are in the environment's unit.

    Parameters
    ----------
    env : simpy.Environment
    capacity : SharedCapacity
    mttf, mttr : float > 0
        Mean time to failure and mean time to repair.
    rng : numpy.random.Generator
        The stream of this resource's failures (its own, for common random numbers).
    """

    def __init__(self, env: simpy.Environment, capacity: SharedCapacity, mttf: float, mttr: float, rng):
        if not (mttf > 0 and mttr > 0):
            raise ValueError(f"mttf and mttr must be > 0, got mttf={mttf!r}, mttr={mttr!r}")
        self.env, self.capacity, self.mttf, self.mttr, self.rng = env, capacity, mttf, mttr, rng
        self.processes = [env.process(self._unit()) for _ in range(int(capacity.capacity))]

    def _unit(self):
        env, cap, rng = self.env, self.capacity, self.rng
        while True:
            yield env.timeout(rng.exponential(self.mttf))
            repair = rng.exponential(self.mttr)
            victim = cap._break_down(repair, rng)
            yield env.timeout(repair)
            cap._repaired(victim)
