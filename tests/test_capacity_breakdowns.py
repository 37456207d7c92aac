"""Breakdowns, critical-ratio dispatching and optional wait records of sim.capacity."""

import pytest
import simpy

from sim.capacity import Breakdowns, SharedCapacity


class FixedRng:
    """Stand-in generator: every exponential draw is its mean; random() is fixed."""

    def __init__(self, u=0.0):
        self.u = u

    def exponential(self, mean=1.0):
        return mean

    def random(self):
        return self.u


def _hold(env, cap, at, duration, log, name="", **kw):
    yield env.timeout(at)
    req = cap.request(1, name, **kw)
    yield req
    log.append((name, "start", env.now))
    yield from cap.hold(req, duration)
    cap.release(req)
    log.append((name, "end", env.now))


def test_idle_broken_tool_is_out_of_service_until_repaired():
    env = simpy.Environment()
    cap = SharedCapacity(env, 1)
    Breakdowns(env, cap, mttf=10.0, mttr=5.0, rng=FixedRng())  # down over [10, 15), [25, 30), ...
    log = []
    env.process(_hold(env, cap, 12.0, 2.0, log))
    env.run(until=20)
    assert log == [("", "start", 15.0), ("", "end", 17.0)]


def test_work_on_a_broken_tool_resumes_after_the_repair():
    env = simpy.Environment()
    cap = SharedCapacity(env, 1)
    Breakdowns(env, cap, mttf=10.0, mttr=5.0, rng=FixedRng())
    log = []
    env.process(_hold(env, cap, 8.0, 5.0, log))  # stopped at 10 with 3 left; repaired at 15
    env.run(until=24)
    assert log == [("", "start", 8.0), ("", "end", 18.0)]


def test_availability_of_deterministic_outages_is_exact():
    env = simpy.Environment()
    cap = SharedCapacity(env, 2)
    Breakdowns(env, cap, mttf=10.0, mttr=5.0, rng=FixedRng())
    env.run(until=15)
    s = cap.stats()
    # Both tools down over [10, 15): 10 of 30 tool-minutes.
    assert s["availability"] == pytest.approx(2 / 3, abs=1e-12)
    assert s["breakdowns"] == 2


def test_critical_ratio_serves_least_slack_per_work_first():
    env = simpy.Environment()
    cap = SharedCapacity(env, 1, policy="critical_ratio")
    log = []
    env.process(_hold(env, cap, 0.0, 10.0, log, "holder"))
    # At t = 10: ratios (due - 10) / work = 90/10 = 9, 30/10 = 3, 50/100 = 0.5.
    env.process(_hold(env, cap, 1.0, 1.0, log, "relaxed", due=100.0, work=10.0))
    env.process(_hold(env, cap, 2.0, 1.0, log, "tight", due=40.0, work=10.0))
    env.process(_hold(env, cap, 3.0, 1.0, log, "long_route", due=60.0, work=100.0))
    env.run()
    starts = [name for name, what, _ in log if what == "start"]
    assert starts == ["holder", "long_route", "tight", "relaxed"]


def test_critical_ratio_puts_lower_priority_number_first():
    env = simpy.Environment()
    cap = SharedCapacity(env, 1, policy="critical_ratio")
    log = []
    env.process(_hold(env, cap, 0.0, 10.0, log, "holder"))
    env.process(_hold(env, cap, 1.0, 1.0, log, "urgent_regular", priority=1, due=11.0, work=10.0))
    env.process(_hold(env, cap, 2.0, 1.0, log, "relaxed_hot", priority=0, due=1000.0, work=1.0))
    env.run()
    assert [n for n, what, _ in log if what == "start"] == ["holder", "relaxed_hot", "urgent_regular"]


def test_waits_are_not_kept_when_recording_is_off():
    env = simpy.Environment()
    cap = SharedCapacity(env, 1, record_waits=False)
    log = []
    env.process(_hold(env, cap, 0.0, 1.0, log))
    env.run()
    assert cap.waits() == [] and cap.stats()["requests"] == 1


def test_breakdowns_refuse_non_positive_times():
    env = simpy.Environment()
    with pytest.raises(ValueError, match="mttf"):
        Breakdowns(env, SharedCapacity(env, 1), mttf=0.0, mttr=1.0, rng=FixedRng())
