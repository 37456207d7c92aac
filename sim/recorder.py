"""Rows recorded during a replication, turned into a DataFrame once at the end.

Appending to a DataFrame per event is quadratic; a list of tuples is not.
"""

from __future__ import annotations

import pandas as pd


class Recorder:
    """Collects rows with fixed columns."""

    __slots__ = ("columns", "rows")

    def __init__(self, columns):
        self.columns = tuple(columns)
        self.rows: list[tuple] = []

    def add(self, *values) -> None:
        """Append one row (values in column order)."""
        self.rows.append(values)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame.from_records(self.rows, columns=list(self.columns))
