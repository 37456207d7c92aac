"""Time: the calendar constants and the clock unit of a model (desmod's timescale).

Tables are always in days (``t_days``, ``*_days``). A model's SimPy clock may
run in another unit (the fab runs in minutes, because processing times are
minutes); the model declares it as its :attr:`sim.Model.time_unit`, the runner
hands ``simulate`` its horizon in that unit, and the model converts with the
unit's methods, never with a hand-written factor.

The conversions multiply or divide by one stored factor, so a value converted
here is bit-for-bit the value the same arithmetic gives by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

#: A Julian year: the mean calendar year, so that 4 years are 1,461 days.
DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
DAYS_PER_QUARTER = DAYS_PER_YEAR / 4
HOURS_PER_DAY = 24.0
MINUTES_PER_DAY = 1440.0
SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class TimeUnit:
    """A clock unit: ``per_day`` units make one day.

    >>> MINUTE.from_days(0.5)
    720.0
    >>> MINUTE.to_days(2880.0)
    2.0
    """

    name: str
    per_day: float

    def __post_init__(self):
        if not self.per_day > 0:
            raise ValueError(f"TimeUnit {self.name!r}: per_day must be > 0, got {self.per_day!r}")

    def to_days(self, t: float) -> float:
        """A time or duration in this unit, in days."""
        return t / self.per_day

    def from_days(self, days: float) -> float:
        """A time or duration in days, in this unit."""
        return days * self.per_day

    def from_hours(self, hours):
        """A duration in hours (a number or a numpy array), in this unit."""
        return hours * (self.per_day / HOURS_PER_DAY)

    def from_minutes(self, minutes):
        """A duration in minutes (a number or a numpy array), in this unit."""
        return minutes * (self.per_day / MINUTES_PER_DAY)


DAY = TimeUnit("day", 1.0)
HOUR = TimeUnit("hour", HOURS_PER_DAY)
MINUTE = TimeUnit("minute", MINUTES_PER_DAY)
