"""Behaviour of sim.capacity.SharedCapacity on small deterministic schedules."""

import pytest
import simpy

from sim.capacity import SharedCapacity


def _user(env, cap, at, hold, amount=1, owner="", priority=0):
    """Process: request at time `at`, hold the units for `hold`, release."""
    yield env.timeout(at)
    with cap.request(amount, owner, priority) as req:
        yield req
        yield env.timeout(hold)


def _grant_order(cap):
    return [owner for owner, _, _ in cap.waits()]


def _run(cap, users, until=None):
    env = cap._env
    for u in users:
        env.process(_user(env, cap, **u))
    env.run(until)
    return cap


def test_fifo_serves_in_arrival_order():
    env = simpy.Environment()
    cap = SharedCapacity(env, 1, policy="fifo")
    _run(
        cap,
        [
            dict(at=0, hold=10, owner="holder"),
            dict(at=1, hold=1, owner="a", priority=5),  # priorities are ignored under fifo
            dict(at=2, hold=1, owner="b", priority=0),
            dict(at=3, hold=1, owner="c", priority=-1),
        ],
    )
    assert _grant_order(cap) == ["holder", "a", "b", "c"]


def test_priority_serves_lower_number_first_then_arrival():
    env = simpy.Environment()
    cap = SharedCapacity(env, 1, policy="priority")
    _run(
        cap,
        [
            dict(at=0, hold=10, owner="holder"),
            dict(at=1, hold=1, owner="p5", priority=5),
            dict(at=2, hold=1, owner="p1_early", priority=1),
            dict(at=3, hold=1, owner="p1_late", priority=1),
            dict(at=4, hold=1, owner="p0", priority=0),
        ],
    )
    assert _grant_order(cap) == ["holder", "p0", "p1_early", "p1_late", "p5"]


# Capacity 4: A holds 2 units and B 1 until t=100, C holds 1 until t=5. A (t=1) then B (t=2)
# queue for one unit; at t=5 one unit frees and the policy decides who gets it.
_FAIR_SCHEDULE = [
    dict(at=0, hold=100, owner="A", amount=2),
    dict(at=0, hold=100, owner="B"),
    dict(at=0, hold=5, owner="C"),
    dict(at=1, hold=100, owner="A"),
    dict(at=2, hold=100, owner="B"),
]


def test_fair_share_serves_owner_with_less_in_use_first():
    env = simpy.Environment()
    cap = _run(SharedCapacity(env, 4, policy="fair_share"), _FAIR_SCHEDULE, until=6)
    # B has 1 unit in use against A's 2, so B's later request goes first.
    assert _grant_order(cap)[3:] == ["B"]
    assert cap.queue_length == 1


def test_fair_share_divides_use_by_share():
    env = simpy.Environment()
    cap = _run(SharedCapacity(env, 4, policy="fair_share", shares={"A": 4.0}), _FAIR_SCHEDULE, until=6)
    # A: 2 units / share 4 = 0.5 < B: 1 unit / default share 1.0 = 1.
    assert _grant_order(cap)[3:] == ["A"]


def test_fifo_on_same_schedule_serves_earlier_arrival():
    env = simpy.Environment()
    cap = _run(SharedCapacity(env, 4, policy="fifo"), _FAIR_SCHEDULE, until=6)
    assert _grant_order(cap)[3:] == ["A"]  # the contrast case for the two tests above


def test_request_larger_than_capacity_raises():
    env = simpy.Environment()
    cap = SharedCapacity(env, 4)
    with pytest.raises(ValueError, match="amount 5 exceeds capacity 4"):
        cap.request(amount=5)
    assert cap.queue_length == 0


@pytest.mark.parametrize("capacity", [0, -1, 2.5, "3", True])
def test_bad_capacity_raises_naming_field(capacity):
    with pytest.raises(ValueError, match="capacity") as info:
        SharedCapacity(simpy.Environment(), capacity)
    assert repr(capacity) in str(info.value)


def test_unknown_policy_raises_naming_field():
    with pytest.raises(ValueError, match="policy.*'lifo'"):
        SharedCapacity(simpy.Environment(), 2, policy="lifo")


def test_multi_unit_head_blocks_smaller_requests_behind_it():
    env = simpy.Environment()
    cap = _run(
        SharedCapacity(env, 4),
        [
            dict(at=0, hold=10, owner="big_holder", amount=3),
            dict(at=1, hold=1, owner="head", amount=2),
            dict(at=2, hold=1, owner="small", amount=1),
        ],
    )
    # One unit is free from t=0, but "small" may not pass the head that needs two.
    assert cap.waits() == [("big_holder", 0, 0), ("head", 1, 10), ("small", 2, 10)]


def test_cancelling_a_waiting_head_unblocks_the_queue():
    env = simpy.Environment()
    cap = SharedCapacity(env, 2)
    holder = cap.request(1, "holder")
    head = cap.request(2, "head")
    small = cap.request(1, "small")
    assert (cap.in_use, cap.queue_length) == (1, 2)
    head.cancel()
    env.run()
    assert (cap.in_use, cap.queue_length) == (2, 0)
    assert holder.triggered and small.triggered and not head.triggered


def test_leaving_with_block_before_grant_withdraws_request():
    env = simpy.Environment()
    cap = SharedCapacity(env, 1)

    def impatient():
        yield env.timeout(1)
        with cap.request(owner="impatient") as req:
            yield req | env.timeout(2)  # give up at t=3, before the holder leaves at t=5

    env.process(_user(env, cap, at=0, hold=5, owner="holder"))
    env.process(impatient())
    env.run(until=4)
    assert cap.queue_length == 0 and cap.in_use == 1
    env.run()
    assert _grant_order(cap) == ["holder"] and cap.in_use == 0


def test_utilisation_of_deterministic_schedule_is_exact():
    env = simpy.Environment()
    cap = _run(SharedCapacity(env, 2), [dict(at=2, hold=3)], until=10)
    s = cap.stats()
    # One unit busy 3 of 10 time units on capacity 2; exact up to float rounding.
    assert s["utilisation"] == pytest.approx(0.15, abs=1e-12)
    assert s["mean_in_use"] == pytest.approx(0.3, abs=1e-12)
    assert s["mean_queue_length"] == 0
    assert (s["requests"], s["completed"], s["mean_wait"], s["mean_time_in_system"]) == (1, 1, 0, 3)


def test_time_weighted_queue_and_system_are_exact():
    env = simpy.Environment()
    # Capacity 1: A holds [0, 4); B waits [1, 4) then holds [4, 6).
    cap = _run(
        SharedCapacity(env, 1), [dict(at=0, hold=4, owner="A"), dict(at=1, hold=2, owner="B")], until=8
    )
    s = cap.stats()
    # Exact up to float rounding: integrals of step functions over [0, 8].
    assert s["mean_queue_length"] == pytest.approx(3 / 8, abs=1e-12)
    assert s["mean_in_system"] == pytest.approx((4 + 5) / 8, abs=1e-12)  # L = lambda * W = (2/8) * 4.5
    assert s["mean_wait"] == pytest.approx(1.5, abs=1e-12)
    assert s["mean_time_in_system"] == pytest.approx(4.5, abs=1e-12)
