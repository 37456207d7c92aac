"""The R&D iteration loop as a SimPy process (DESIGN §3.2).

plan the next run -> wait for money -> request capacity (queue) -> execute ->
release -> spend -> learn -> prepare the next run. The model supplies the
*runner*: an object with

* ``name`` (owner of capacity requests) and ``budget`` (:class:`sim.budget.Budget`);
* ``plan(t)`` -> an object with ``units``, ``priority``, ``cost_usd``
  (estimate), ``prep_days``; or None to stop;
* ``execute(env, plan, wait_days)`` -> a generator that consumes simulated
  time and returns an outcome with ``cost_usd``;
* ``learn(t, plan, outcome)``: diagnose, fix, update capability, record.

Times are on the environment's clock, in ``unit`` (the model's time unit,
:mod:`sim.units`); ``prep_days`` is converted with it.
"""

from __future__ import annotations

from .units import DAY, TimeUnit


def iteration_loop(env, runner, capacity, unit: TimeUnit = DAY):
    """Run ``runner``'s iterations on ``capacity`` (a SharedCapacity) until it stops."""
    while True:
        now = env.now  # read once: env.now is a property, and the clock stands still until a yield
        plan = runner.plan(now)
        if plan is None:
            return
        delay = runner.budget.delay(plan.cost_usd, now)
        if delay > 0:
            yield env.timeout(delay)
            now = env.now
        asked = now
        with capacity.request(plan.units, owner=runner.name, priority=plan.priority) as req:
            yield req
            outcome = yield from runner.execute(env, plan, env.now - asked)
        runner.budget.spend(outcome.cost_usd)  # spent whether the run succeeded or not
        runner.learn(env.now, plan, outcome)
        if plan.prep_days > 0:
            yield env.timeout(unit.from_days(plan.prep_days))
