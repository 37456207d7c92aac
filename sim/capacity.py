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
"""
from __future__ import annotations

import bisect
import math
import numbers
from typing import Mapping

import simpy
from simpy.resources.base import BaseResource, Get, Put

POLICIES = ("fifo", "priority", "fair_share")


class CapacityRequest(Put):
    """Request for ``amount`` units by ``owner``; triggered when granted.

    Use as ``with cap.request(...) as req: yield req``: leaving the block
    cancels the request if it is still waiting, and releases it otherwise.
    """

    def __init__(self, resource: SharedCapacity, amount: int = 1, owner: str = "",
                 priority: float = 0):
        if isinstance(amount, bool) or not isinstance(amount, numbers.Integral) or amount < 1:
            raise ValueError(f"amount must be an int >= 1, got {amount!r}")
        if amount > resource.capacity:
            # It could never fit, and with no back-filling it would block the queue for ever.
            raise ValueError(f"amount {amount} exceeds capacity {resource.capacity}")
        self.amount = int(amount)
        self.owner = owner
        self.priority = priority
        self.time = resource._env.now  # time of request
        self.usage_since: float | None = None  # time of grant
        resource._seq += 1
        # Sort key of the queue: arrival order, behind priority if the policy uses it.
        self.key = (priority, resource._seq) if resource.policy == "priority" else (resource._seq,)
        resource._advance()
        super().__init__(resource)  # enqueues and tries to serve

    def cancel(self) -> None:
        """Withdraw the request if it is still waiting (no-op once granted)."""
        if not self.triggered:
            self.resource._cancel(self)

    def __exit__(self, exc_type, exc_value, traceback):
        super().__exit__(exc_type, exc_value, traceback)  # cancels if waiting
        # As simpy.Resource: no release on generator clean-up (avoids reference cycles).
        if exc_type is not GeneratorExit:
            self.resource.release(self)
        return None


class CapacityRelease(Get):
    """Release of the units held by ``request``; triggered immediately."""

    def __init__(self, resource: SharedCapacity, request: CapacityRequest):
        self.request = request
        super().__init__(resource)


class _KeyedQueue(list):
    """List kept sorted by ``event.key`` on append (binary insertion, O(log n) search)."""

    def append(self, item) -> None:
        bisect.insort(self, item, key=lambda e: e.key)


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
    shares : mapping owner -> float, optional
        Weights for ``"fair_share"`` (> 0); owners not listed have share 1.0.
    """

    PutQueue = _KeyedQueue

    def __init__(self, env: simpy.Environment, capacity: int, policy: str = "fifo",
                 shares: Mapping[str, float] | None = None):
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
        self.users: set[CapacityRequest] = set()  # granted, not yet released
        self._in_use = 0
        self._owner_in_use: dict[str, int] = {}
        self._seq = 0
        # Statistics: integrals of piecewise-constant state over [t0, t_last].
        self._t0 = self._t_last = env.now
        self._area_in_use = self._area_queue = self._area_system = 0.0
        self._granted = self._completed = 0
        self._sum_wait = self._sum_in_system = 0.0
        self._waits: list[tuple[str, float, float]] = []

    def request(self, amount: int = 1, owner: str = "", priority: float = 0) -> CapacityRequest:
        """Ask for ``amount`` units; the returned event fires on grant."""
        return CapacityRequest(self, amount, owner, priority)

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

    # -- SimPy template methods ------------------------------------------------

    def _trigger_put(self, get_event) -> None:
        # Replaces the base loop: under fair share the head depends on current
        # use, so it is chosen afresh after every grant. Stop at a head that
        # does not fit (no back-filling).
        while self.put_queue:
            idx = self._head_index()
            if not self._do_put(self.put_queue[idx]):
                break
            self.put_queue.pop(idx)

    def _head_index(self) -> int:
        if self.policy != "fair_share":
            return 0  # queue is already sorted by key
        q, use, shares = self.put_queue, self._owner_in_use, self.shares
        return min(range(len(q)), key=lambda i: (use.get(q[i].owner, 0) / shares.get(q[i].owner, 1.0),
                                                 q[i].key))

    def _do_put(self, event: CapacityRequest) -> bool:
        if event.amount > self.capacity - self._in_use:
            return False
        self._advance()
        now = self._env.now
        self.users.add(event)
        self._in_use += event.amount
        self._owner_in_use[event.owner] = self._owner_in_use.get(event.owner, 0) + event.amount
        event.usage_since = now
        self._granted += 1
        self._sum_wait += now - event.time
        self._waits.append((event.owner, event.time, now))
        event.succeed()
        return True

    def _do_get(self, event: CapacityRelease) -> bool:
        req = event.request
        if req in self.users:  # releasing a waiting or already released request does nothing
            self._advance()
            self.users.remove(req)
            self._in_use -= req.amount
            self._owner_in_use[req.owner] -= req.amount
            self._completed += 1
            self._sum_in_system += self._env.now - req.time
        event.succeed()
        return True  # releases never block

    def _cancel(self, event: CapacityRequest) -> None:
        self._advance()
        self.put_queue.remove(event)
        self._trigger_put(None)  # the cancelled one may have been a blocking head

    # -- statistics --------------------------------------------------------------

    def _advance(self) -> None:
        """Accumulate the integrals up to now; call before every change of state."""
        dt = self._env.now - self._t_last
        if dt:
            n_queue = len(self.put_queue)
            self._area_in_use += self._in_use * dt
            self._area_queue += n_queue * dt
            self._area_system += (n_queue + len(self.users)) * dt
            self._t_last = self._env.now

    def stats(self) -> dict:
        """Time-weighted statistics from creation up to ``env.now``.

        Time averages are over [creation, now]; means over an empty set or a
        zero-length interval are NaN. Times are in the environment's unit.
        """
        self._advance()
        span = self._env.now - self._t0
        nan = float("nan")
        return {
            "utilisation": self._area_in_use / (span * self.capacity) if span else nan,
            "mean_in_use": self._area_in_use / span if span else nan,
            "mean_queue_length": self._area_queue / span if span else nan,
            "mean_in_system": self._area_system / span if span else nan,
            "requests": self._granted,
            "mean_wait": self._sum_wait / self._granted if self._granted else nan,
            "completed": self._completed,
            "mean_time_in_system": self._sum_in_system / self._completed if self._completed else nan,
        }

    def waits(self) -> list[tuple[str, float, float]]:
        """(owner, t_request, t_grant) of every granted request, in grant order."""
        return list(self._waits)
