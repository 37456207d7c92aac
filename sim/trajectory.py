"""Piecewise-constant records sampled at given times: the one step sampler of the engine.

A record (a team's public best, its spend, any state column) is a list of
``(t_days, value)`` rows; its value at time t is that of the last row with
``t_days <= t``, and undefined (NaN) before the first row. Ties at the same
time resolve to the row that comes last.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["step_index", "step_sample", "on_grid"]


def step_index(times: np.ndarray, query) -> np.ndarray:
    """Index of the last record with ``times <= query`` (-1 before the first record).

    ``times`` must be sorted ascending; NaN queries give -1.
    """
    q = np.asarray(query, dtype=float)
    if len(times) == 0:
        return np.full(q.shape, -1, dtype=np.int64)
    idx = np.searchsorted(times, q, side="right") - 1
    return np.where(np.isnan(q), -1, idx)


def step_sample(times: np.ndarray, values: np.ndarray, query) -> np.ndarray:
    """Value of the last record with ``times <= query``: NaN before the first record and
    for NaN queries. ``times`` must be sorted ascending."""
    idx = step_index(times, query)
    out = np.full(idx.shape, np.nan)
    ok = idx >= 0
    out[ok] = values[idx[ok]]
    return out


def on_grid(states: pd.DataFrame, grid_days: np.ndarray, keys=("rep", "team")) -> pd.DataFrame:
    """Sample piecewise-constant state rows on a time grid, per group of ``keys``.

    ``states`` has the ``keys`` columns, ``t_days`` and value columns; the
    value at grid time t is that of the last row with ``t_days <= t`` in the
    same group (NaN before a group's first row). Rows come out sorted by the
    keys, then time.
    """
    keys = list(keys)
    s = states.sort_values(keys + ["t_days"], kind="stable").reset_index(drop=True)
    grid = np.asarray(grid_days, float)
    times = s["t_days"].to_numpy(dtype=float)
    # one slice per group: rows of a group are contiguous after the sort
    groups = s[keys].drop_duplicates()
    starts = groups.index.to_numpy()
    ends = np.append(starts[1:], len(s))
    picks = []
    for lo, hi in zip(starts, ends):
        idx = step_index(times[lo:hi], grid)
        picks.append(np.where(idx >= 0, idx + lo, -1))
    pick = np.concatenate(picks) if picks else np.empty(0, dtype=np.int64)
    valid = pick >= 0
    src = np.where(valid, pick, 0)
    out = groups.loc[np.repeat(starts, len(grid))].reset_index(drop=True)
    out["t_days"] = np.tile(grid, len(groups))
    for col in s.columns.difference(keys + ["t_days"], sort=False):
        picked = s[col].to_numpy()[src]
        if np.issubdtype(picked.dtype, np.floating):
            out[col] = np.where(valid, picked, np.nan)
        else:
            out[col] = pd.Series(picked).where(valid)
    return out
