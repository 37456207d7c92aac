"""Money: a budget that accrues at a yearly rate and is spent run by run."""

from __future__ import annotations

DAYS_PER_YEAR = 365.25


class Budget:
    """A team's budget in US$.

    ``usd_per_year=None`` means spending is limited by capacity only. A run's
    cost is spent whether the run succeeds or not, so a failed tenfold run
    delays many small ones.
    """

    def __init__(self, usd_per_year: float | None, initial_usd: float = 0.0):
        self.usd_per_year = usd_per_year
        self.initial_usd = initial_usd
        self.spent_usd = 0.0

    def available(self, t_days: float) -> float:
        """US$ available at ``t_days`` (infinite without a budget)."""
        if self.usd_per_year is None:
            return float("inf")
        return self.initial_usd + self.usd_per_year * t_days / DAYS_PER_YEAR - self.spent_usd

    def delay_days(self, cost_usd: float, t_days: float) -> float:
        """Days to wait from ``t_days`` until ``cost_usd`` is affordable."""
        short = cost_usd - self.available(t_days)
        if short <= 0:
            return 0.0
        return short / self.usd_per_year * DAYS_PER_YEAR

    def spend(self, cost_usd: float) -> None:
        self.spent_usd += cost_usd
