"""Money: a budget that accrues at a yearly rate and is spent run by run."""

from __future__ import annotations

from .units import DAY, DAYS_PER_YEAR, TimeUnit


class Budget:
    """A team's budget in US$, on a clock in ``unit`` (the model's time unit).

    ``usd_per_year=None`` means spending is limited by capacity only. A run's
    cost is spent whether the run succeeds or not, so a failed tenfold run
    delays many small ones.
    """

    def __init__(self, usd_per_year: float | None, initial_usd: float = 0.0, unit: TimeUnit = DAY):
        self.usd_per_year = usd_per_year
        self.initial_usd = initial_usd
        self.unit = unit
        self.spent_usd = 0.0

    def available(self, t: float) -> float:
        """US$ available at time ``t`` (infinite without a budget)."""
        if self.usd_per_year is None:
            return float("inf")
        return self.initial_usd + self.usd_per_year * self.unit.to_days(t) / DAYS_PER_YEAR - self.spent_usd

    def delay(self, cost_usd: float, t: float) -> float:
        """Time to wait from ``t`` until ``cost_usd`` is affordable (both in the budget's unit)."""
        short = cost_usd - self.available(t)
        if short <= 0 or self.usd_per_year is None:  # without a budget nothing is ever short
            return 0.0
        return self.unit.from_days(short / self.usd_per_year * DAYS_PER_YEAR)

    def spend(self, cost_usd: float) -> None:
        """Record ``cost_usd`` (US$) as spent: a run's cost counts whether it succeeded or not."""
        self.spent_usd += cost_usd
