"""Team state sampled on a regular time grid."""

from __future__ import annotations

import numpy as np
import pandas as pd


def on_grid(states: pd.DataFrame, grid_days: np.ndarray, keys=("rep", "team")) -> pd.DataFrame:
    """Sample piecewise-constant state rows on a time grid.

    ``states`` has the ``keys`` columns, ``t_days`` and value columns; the
    value at grid time t is that of the last row with ``t_days <= t`` in the
    same group (NaN before a group's first row). Vectorised over all groups.
    """
    keys = list(keys)
    s = states.sort_values(keys + ["t_days"], kind="stable").reset_index(drop=True)
    groups = s[keys].drop_duplicates().reset_index(drop=True)
    gid = (
        pd.MultiIndex.from_frame(s[keys])
        .map(dict(zip(pd.MultiIndex.from_frame(groups), range(len(groups)))))
        .to_numpy()
    )
    grid = np.asarray(grid_days, float)
    span = 2.0 * (max(abs(s["t_days"]).max(), np.abs(grid).max()) + 1.0)
    key = gid * span + s["t_days"].to_numpy()
    q_gid = np.repeat(np.arange(len(groups)), len(grid))
    q_key = q_gid * span + np.tile(grid, len(groups))
    idx = np.searchsorted(key, q_key, side="right") - 1
    valid = (idx >= 0) & (gid[np.clip(idx, 0, None)] == q_gid)
    out = groups.loc[q_gid].reset_index(drop=True)
    out["t_days"] = np.tile(grid, len(groups))
    for col in s.columns.difference(keys + ["t_days"], sort=False):
        vals = s[col].to_numpy()
        picked = vals[np.clip(idx, 0, None)]
        if np.issubdtype(picked.dtype, np.floating):
            out[col] = np.where(valid, picked, np.nan)
        else:
            out[col] = pd.Series(picked).where(valid)
    return out
