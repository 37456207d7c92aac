"""Gap metrics between a leader and its followers (domain-free).

Data contract
-------------
Time is ``t_days``: days from the scenario start (float, may be negative for
history before the start).  Capability is a number, higher is better, and is a
best-so-far staircase per team.

``staircase``: one row per change of a team's *public* best capability, columns
``rep`` (int), ``team`` (str), ``t_days`` (float), ``capability`` (float).  The
first row of a (rep, team) is the start of its record.  Capability at time t is
the value of the last row with ``t_days <= t`` and is undefined (NaN) before the
first row.  Ties at the same ``t_days`` resolve to the row that comes last.

``spend`` (optional): ``rep, team, t_days, spend_usd``, cumulative spend in US$,
sampled with the same step rule.

Months behind
-------------
For a follower at capability c at time t, tau is the first time the leader's
record (running maximum of its staircase) reached >= c, and
``months_behind = (t - tau) / DAYS_PER_MONTH``.  It is negative when the
follower leads (the leader reaches c only after t).  Undefined values are NaN
with a flag, never a silent 0:

=====================  ======================================================
flag                   meaning
=====================  ======================================================
``""``                 defined
``"no_capability"``    follower capability is NaN (e.g. before its first row)
``"before_record"``    c is below the leader's first recorded value: the record
                       does not reach back far enough to know when the leader
                       passed c
``"beyond_record"``    the leader never reaches c within its record
``"no_leader_record"`` the leader has no rows at all (in that rep)
=====================  ======================================================

A follower exactly at the leader's first recorded value gets tau = time of that
first row (defined), i.e. the first row is taken to be the moment the leader
reached that value.  Comparisons use a tiny absolute tolerance ``atol``
(default 1e-9) so that a follower "exactly at" a leader level is not pushed to
the next step by floating-point noise.

Trends (``widened``) are judged on window means, never on two single dates:
on a staircase, months behind rises one month per month between releases.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from .trajectory import on_grid, step_sample
from .units import DAYS_PER_MONTH

__all__ = [
    "DAYS_PER_MONTH",
    "FLAG_OK",
    "FLAG_NO_CAPABILITY",
    "FLAG_BEFORE_RECORD",
    "FLAG_BEYOND_RECORD",
    "FLAG_NO_LEADER_RECORD",
    "FLAGS",
    "capability_at",
    "months_behind",
    "leader_reach_time",
    "gap_table",
    "window_mean",
    "widened",
    "months_behind_frontier",
    "frontier_lags",
    "top_team",
    "top_of",
    "share_on_top",
    "top_team_changes",
]


FLAG_OK = ""
FLAG_NO_CAPABILITY = "no_capability"
FLAG_BEFORE_RECORD = "before_record"
FLAG_BEYOND_RECORD = "beyond_record"
FLAG_NO_LEADER_RECORD = "no_leader_record"
FLAGS = (FLAG_OK, FLAG_NO_CAPABILITY, FLAG_BEFORE_RECORD, FLAG_BEYOND_RECORD, FLAG_NO_LEADER_RECORD)

_ATOL = 1e-9

GAP_COLUMNS = [
    "rep",
    "t_days",
    "follower",
    "leader",
    "capability_gap",
    "months_behind",
    "months_behind_flag",
    "cost_ratio",
]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def _records(df: pd.DataFrame, value_col: str) -> dict:
    """{(rep, team): (times, values)} with times sorted ascending (stable, so
    ties keep input order and the last row wins in ``step_sample``)."""
    d = df[["rep", "team", "t_days", value_col]].copy()
    d["rep"] = d["rep"].astype("int64")
    d["team"] = d["team"].astype(str)
    d = d.sort_values(["rep", "team", "t_days"], kind="stable")
    out = {}
    for (rep, team), g in d.groupby(["rep", "team"], sort=True):
        out[(int(rep), str(team))] = (
            g["t_days"].to_numpy(dtype=float),
            g[value_col].to_numpy(dtype=float),
        )
    return out


def _check_columns(df: pd.DataFrame, cols: Iterable[str], name: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{name} is missing columns {missing}")


def _grid(grid_days) -> np.ndarray:
    g = np.sort(np.asarray(grid_days, dtype=float).ravel())
    if np.isnan(g).any():
        raise ValueError("grid_days contains NaN")
    return g


# ---------------------------------------------------------------------------
# sampling
# ---------------------------------------------------------------------------
def capability_at(staircase: pd.DataFrame, grid_days) -> pd.DataFrame:
    """Sample each (rep, team) staircase on ``grid_days``.

    Returns DataFrame[rep (int64), team (str), t_days (float64),
    capability (float64)], sorted by rep, team, t_days; capability is NaN before
    a team's first row.  The grid is sorted ascending.
    """
    _check_columns(staircase, ["rep", "team", "t_days", "capability"], "staircase")
    d = staircase[["rep", "team", "t_days", "capability"]].astype({"rep": "int64", "team": str})
    out = on_grid(d, _grid(grid_days))
    return out.astype({"rep": "int64", "team": str, "t_days": "float64", "capability": "float64"})


# ---------------------------------------------------------------------------
# months behind
# ---------------------------------------------------------------------------
def leader_reach_time(
    leader_times, leader_caps, follower_cap, atol: float = _ATOL
) -> tuple[np.ndarray, np.ndarray]:
    """tau: first time the leader's running-max record reached >= follower_cap.

    Returns ``(tau, flag)``; tau is NaN where undefined and flag says why (see
    module docstring).  ``follower_cap`` may be any shape; outputs match it.
    """
    t = np.asarray(leader_times, dtype=float).ravel()
    c = np.asarray(leader_caps, dtype=float).ravel()
    if t.shape != c.shape:
        raise ValueError("leader_times and leader_caps must have the same length")
    keep = ~(np.isnan(t) | np.isnan(c))
    t, c = t[keep], c[keep]
    order = np.argsort(t, kind="stable")
    t, c = t[order], c[order]

    fc = np.asarray(follower_cap, dtype=float)
    tau = np.full(fc.shape, np.nan)
    flag = np.full(fc.shape, FLAG_OK, dtype=object)
    nan_c = np.isnan(fc)

    if t.size == 0:
        flag[:] = FLAG_NO_LEADER_RECORD
        flag[nan_c] = FLAG_NO_CAPABILITY
        return tau, flag

    runmax = np.maximum.accumulate(c)
    # first index with runmax >= fc - atol (runmax is non-decreasing)
    target = np.where(nan_c, np.inf, fc - atol)
    idx = np.searchsorted(runmax, target, side="left")
    before = ~nan_c & (fc < runmax[0] - atol)
    beyond = ~nan_c & ~before & (idx >= runmax.size)
    ok = ~nan_c & ~before & ~beyond

    tau[ok] = t[idx[ok]]
    flag[nan_c] = FLAG_NO_CAPABILITY
    flag[before] = FLAG_BEFORE_RECORD
    flag[beyond] = FLAG_BEYOND_RECORD
    return tau, flag


def months_behind(
    leader_times, leader_caps, follower_cap, t_days, atol: float = _ATOL
) -> tuple[np.ndarray, np.ndarray]:
    """Months the follower is behind the leader's record.

    For follower capability c at time t: tau = first time the running maximum of
    ``leader_caps`` (over ``leader_times``) reached >= c, found with
    ``np.searchsorted`` on the running maximum; months = (t - tau) /
    DAYS_PER_MONTH.  Negative when the follower leads.

    ``follower_cap`` and ``t_days`` are broadcast together.  Returns
    ``(months: float ndarray, flag: object ndarray of str)``; flag is ``""``
    where defined, else one of ``"no_capability"``, ``"before_record"``,
    ``"beyond_record"``, ``"no_leader_record"`` and months is NaN there.
    """
    fc, td = np.broadcast_arrays(np.asarray(follower_cap, dtype=float), np.asarray(t_days, dtype=float))
    tau, flag = leader_reach_time(leader_times, leader_caps, fc, atol=atol)
    months = (td - tau) / DAYS_PER_MONTH
    return months, flag


# ---------------------------------------------------------------------------
# gap table
# ---------------------------------------------------------------------------
def gap_table(
    staircase: pd.DataFrame,
    grid_days,
    leader: str,
    followers: Sequence[str] | None = None,
    spend: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Leader-vs-follower gap on a time grid, per replication.

    Columns: ``rep`` (int64), ``t_days`` (float64), ``follower``, ``leader``,
    ``months_behind_flag`` (all three plain string columns: pandas' default
    string dtype, i.e. ``object`` under pandas 2 and ``str`` under pandas >= 3;
    not category), ``capability_gap`` (leader minus follower capability at t;
    NaN if either is undefined), ``months_behind`` (see ``months_behind``),
    ``cost_ratio`` (float64).

    ``cost_ratio`` = follower cumulative spend at t / leader cumulative spend at
    tau (the time the leader first reached the follower's capability).  NaN
    when spend is None, tau is unknown or < 0, the leader's spend at tau is 0 or
    undefined, or the follower's spend at t is undefined.

    ``followers`` defaults to every team in ``staircase`` except the leader
    (sorted).  Every rep in ``staircase`` gets a row for every follower and grid
    point (a follower with no rows in a rep has flag "no_capability").  Rows are
    sorted by rep, follower, t_days.
    """
    _check_columns(staircase, ["rep", "team", "t_days", "capability"], "staircase")
    grid = _grid(grid_days)
    leader = str(leader)
    teams = sorted(staircase["team"].astype(str).unique())
    if leader not in teams:
        raise ValueError(f"leader {leader!r} not found in staircase teams {teams}")
    if followers is None:
        followers = [tm for tm in teams if tm != leader]
    else:
        followers = sorted({str(f) for f in followers})
    reps = sorted(int(r) for r in staircase["rep"].unique())

    cap_recs = _records(staircase, "capability")
    spend_recs = None
    if spend is not None:
        _check_columns(spend, ["rep", "team", "t_days", "spend_usd"], "spend")
        spend_recs = _records(spend, "spend_usd")
    empty = (np.empty(0), np.empty(0))

    n = grid.size
    parts = []
    for rep in reps:
        lt, lc = cap_recs.get((rep, leader), empty)
        leader_cap_t = step_sample(lt, lc, grid)
        if spend_recs is not None:
            ls_t, ls_v = spend_recs.get((rep, leader), empty)
        for fol in followers:
            ft, fcap = cap_recs.get((rep, fol), empty)
            fc = step_sample(ft, fcap, grid)
            tau, flag = leader_reach_time(lt, lc, fc)
            months = (grid - tau) / DAYS_PER_MONTH
            cost = np.full(n, np.nan)
            if spend_recs is not None:
                fs_t, fs_v = spend_recs.get((rep, fol), empty)
                f_spend = step_sample(fs_t, fs_v, grid)
                tau_ok = np.where(tau >= 0, tau, np.nan)  # NaN stays NaN
                l_spend = step_sample(ls_t, ls_v, tau_ok)
                good = np.isfinite(f_spend) & np.isfinite(l_spend) & (l_spend != 0)
                cost[good] = f_spend[good] / l_spend[good]
            parts.append(
                pd.DataFrame(
                    {
                        "rep": np.full(n, rep, dtype="int64"),
                        "t_days": grid,
                        "follower": np.full(n, fol, dtype=object),
                        "leader": np.full(n, leader, dtype=object),
                        "capability_gap": leader_cap_t - fc,
                        "months_behind": months,
                        "months_behind_flag": flag,
                        "cost_ratio": cost,
                    }
                )
            )
    if not parts:
        out = pd.DataFrame({c: [] for c in GAP_COLUMNS})
    else:
        out = pd.concat(parts, ignore_index=True)
    out = out.astype(
        {
            "rep": "int64",
            "t_days": "float64",
            "follower": str,
            "leader": str,
            "capability_gap": "float64",
            "months_behind": "float64",
            "months_behind_flag": str,
            "cost_ratio": "float64",
        }
    )
    out = out.sort_values(["rep", "follower", "t_days"], kind="stable")
    return out[GAP_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------------------
# windows and trends
# ---------------------------------------------------------------------------
def _window_mean_mask(gap: pd.DataFrame, mask: np.ndarray, value: str) -> pd.DataFrame:
    vals = gap[value].astype(float).where(mask)
    d = pd.DataFrame({"rep": gap["rep"].to_numpy(), "follower": gap["follower"].to_numpy(), value: vals})
    out = d.groupby(["rep", "follower"], sort=True, observed=True)[value].mean()
    out = out.reset_index()
    out["rep"] = out["rep"].astype("int64")
    return out


def window_mean(
    gap: pd.DataFrame, start_month: float, end_month: float, value: str = "months_behind"
) -> pd.DataFrame:
    """Mean of ``value`` per (rep, follower) over grid points with
    ``start_month*DAYS_PER_MONTH <= t_days < end_month*DAYS_PER_MONTH``.

    NaN values are ignored; a (rep, follower) with no defined value in the
    window gets NaN (every (rep, follower) of ``gap`` appears).  Returns
    DataFrame[rep, follower, <value>] sorted by rep, follower.
    """
    t = gap["t_days"].to_numpy(dtype=float)
    mask = (t >= start_month * DAYS_PER_MONTH) & (t < end_month * DAYS_PER_MONTH)
    return _window_mean_mask(gap, mask, value)


def widened(
    gap: pd.DataFrame,
    early: tuple[float, float] = (6, 12),
    late: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """Did the gap (months behind) widen between an early and a late window?

    ``early``/``late`` are (start_month, end_month) windows as in
    ``window_mean`` (half-open).  ``late=None`` means the last 12 months of the
    grid: ``t_end - 12 months < t_days <= t_end`` where t_end is the last grid
    point (so the last grid point is included).

    Returns DataFrame[rep, follower, early, late, widened] where early/late are
    window means of months behind and ``widened = late > early`` (bool; False
    when either mean is NaN - check early/late for NaN to tell these apart).
    """
    e = window_mean(gap, early[0], early[1]).rename(columns={"months_behind": "early"})
    if late is None:
        t = gap["t_days"].to_numpy(dtype=float)
        t_end = np.nanmax(t) if t.size else np.nan
        mask = (t > t_end - 12 * DAYS_PER_MONTH) & (t <= t_end)
        lt = _window_mean_mask(gap, mask, "months_behind")
    else:
        lt = window_mean(gap, late[0], late[1])
    lt = lt.rename(columns={"months_behind": "late"})
    out = e.merge(lt, on=["rep", "follower"], how="outer", sort=True)
    out["widened"] = (out["late"] > out["early"]).fillna(False).astype(bool)
    return out[["rep", "follower", "early", "late", "widened"]].reset_index(drop=True)


# ---------------------------------------------------------------------------
# the frontier: months behind the best of all other teams, the top spot
# ---------------------------------------------------------------------------
# Appended for DESIGN §3.5 ("months behind the frontier"): the same months-behind code as
# against the leader, with the leader's record replaced by the running maximum of all *other*
# teams' staircases, so every team (the leader too) has a lag and the top spot can change hands.

FRONTIER_COLUMNS = [
    "rep",
    "t_days",
    "team",
    "capability",
    "frontier_capability",
    "months_behind_frontier",
    "months_behind_frontier_flag",
]


def _teams_of(staircase: pd.DataFrame, teams: Sequence[str] | None) -> list[str]:
    present = sorted(staircase["team"].astype(str).unique())
    if teams is None:
        return present
    return sorted({str(t) for t in teams})


def frontier_lags(own: dict, grid: np.ndarray) -> dict:
    """The arithmetic of :func:`months_behind_frontier` for one replication.

    ``own``: team -> (times sorted ascending, capabilities) of its staircase; ``grid``:
    sorted times. Returns team -> (capability at each grid time, the others' best,
    months behind the frontier, flag), as arrays over the grid.
    """
    names = list(own)
    out = {}
    for tm in names:
        ot = np.concatenate([own[o][0] for o in names if o != tm] + [np.empty(0)])
        oc = np.concatenate([own[o][1] for o in names if o != tm] + [np.empty(0)])
        order = np.argsort(ot, kind="stable")
        ot, oc = ot[order], oc[order]
        tt, tc = own[tm]
        fc = step_sample(tt, tc, grid)
        tau, flag = leader_reach_time(ot, oc, fc)
        front = step_sample(ot, np.maximum.accumulate(oc) if oc.size else oc, grid)
        out[tm] = (fc, front, (grid - tau) / DAYS_PER_MONTH, flag)
    return out


def top_of(own: dict, grid: np.ndarray, atol: float = _ATOL) -> np.ndarray:
    """The arithmetic of :func:`top_team` for one replication: the top team's name at each
    grid time (``""`` where no team has a capability). ``own`` as in :func:`frontier_lags`."""
    names = list(own)
    caps = np.full((len(names), grid.size), -np.inf)
    since = np.full((len(names), grid.size), np.inf)
    for i, tm in enumerate(names):
        times, values = own[tm]
        if times.size == 0:
            continue
        idx = np.searchsorted(times, grid, side="right") - 1
        ok = idx >= 0
        caps[i, ok] = values[idx[ok]]
        since[i, ok] = times[idx[ok]]
    caps = np.where(np.isnan(caps), -np.inf, caps)
    best = caps.max(axis=0) if names else np.full(grid.size, -np.inf)
    # among teams at the best value, the earliest arrival; argmin takes the first name on ties
    contender = np.where(caps >= best - atol, since, np.inf)
    pick = np.argmin(contender, axis=0) if names else np.zeros(grid.size, dtype=int)
    label = np.array(names, dtype=object)[pick] if names else np.full(grid.size, "", dtype=object)
    return np.where(np.isfinite(best), label, "")


def months_behind_frontier(
    staircase: pd.DataFrame, grid_days, teams: Sequence[str] | None = None
) -> pd.DataFrame:
    """Months each team is behind the frontier formed by all *other* teams, per replication.

    For team X at grid time t with capability c (its staircase sampled at t), the frontier is
    the running maximum of the union of the other teams' staircases (among ``teams``, default
    every team in ``staircase``); ``months_behind_frontier`` is ``months_behind`` against that
    record: (t - first time another team reached >= c) in months, negative when X leads, NaN
    with ``months_behind_frontier_flag`` (the flags of :func:`months_behind`) when undefined.
    ``frontier_capability`` is the others' best at t (NaN before their first row).

    Returns DataFrame[rep, t_days, team, capability, frontier_capability,
    months_behind_frontier, months_behind_frontier_flag] sorted by rep, team, t_days; every rep
    gets every team of ``teams`` (a team without rows in a rep has flag "no_capability").
    """
    _check_columns(staircase, ["rep", "team", "t_days", "capability"], "staircase")
    grid = _grid(grid_days)
    names = _teams_of(staircase, teams)
    recs = _records(staircase, "capability")
    reps = sorted(int(r) for r in staircase["rep"].unique())
    empty = (np.empty(0), np.empty(0))
    n = grid.size
    parts = []
    for rep in reps:
        own = {tm: recs.get((rep, tm), empty) for tm in names}
        for tm, (fc, front, months, flag) in frontier_lags(own, grid).items():
            parts.append(
                pd.DataFrame(
                    {
                        "rep": np.full(n, rep, dtype="int64"),
                        "t_days": grid,
                        "team": np.full(n, tm, dtype=object),
                        "capability": fc,
                        "frontier_capability": front,
                        "months_behind_frontier": months,
                        "months_behind_frontier_flag": flag,
                    }
                )
            )
    if not parts:
        return pd.DataFrame({c: [] for c in FRONTIER_COLUMNS})
    out = pd.concat(parts, ignore_index=True).astype(
        {"team": str, "months_behind_frontier_flag": str, "capability": "float64"}
    )
    out = out.sort_values(["rep", "team", "t_days"], kind="stable")
    return out[FRONTIER_COLUMNS].reset_index(drop=True)


def top_team(
    staircase: pd.DataFrame, grid_days, teams: Sequence[str] | None = None, atol: float = _ATOL
) -> pd.DataFrame:
    """The team on top (highest public capability) at each grid time, per replication.

    Ties (within ``atol``) go to the incumbent: the team that reached its current value
    first; a remaining tie goes to the first name in sorted order. ``top_team`` is ``""``
    where no team of ``teams`` has a capability yet. Returns DataFrame[rep, t_days, top_team].
    """
    _check_columns(staircase, ["rep", "team", "t_days", "capability"], "staircase")
    grid = _grid(grid_days)
    names = _teams_of(staircase, teams)
    recs = _records(staircase, "capability")
    reps = sorted(int(r) for r in staircase["rep"].unique())
    parts = []
    empty = (np.empty(0), np.empty(0))
    for rep in reps:
        label = top_of({tm: recs.get((rep, tm), empty) for tm in names}, grid, atol)
        parts.append(
            pd.DataFrame({"rep": np.full(grid.size, rep, dtype="int64"), "t_days": grid, "top_team": label})
        )
    if not parts:
        return pd.DataFrame({"rep": pd.Series([], dtype="int64"), "t_days": [], "top_team": []})
    out = pd.concat(parts, ignore_index=True).astype({"top_team": str})
    return out.reset_index(drop=True)


def share_on_top(staircase: pd.DataFrame, grid_days, teams: Sequence[str] | None = None) -> pd.DataFrame:
    """Share of the grid times at which each team is on top (see :func:`top_team`), among the
    grid times at which some team has a capability; per replication. On a uniform grid this
    is the share of time. Returns DataFrame[rep, team, share_on_top] (NaN when no team has a
    capability on the grid)."""
    top = top_team(staircase, grid_days, teams)
    names = _teams_of(staircase, teams)
    rows = []
    for rep, g in top.groupby("rep", sort=True):
        defined = g["top_team"] != ""
        for tm in names:
            share = float((g.loc[defined, "top_team"] == tm).mean()) if defined.any() else np.nan
            rows.append({"rep": int(rep), "team": tm, "share_on_top": share})
    return pd.DataFrame(rows, columns=["rep", "team", "share_on_top"])


def top_team_changes(staircase: pd.DataFrame, grid_days, teams: Sequence[str] | None = None) -> pd.DataFrame:
    """Number of changes of the top team between consecutive grid times (see
    :func:`top_team`; the first team to have a capability is not a change), per replication.
    Returns DataFrame[rep, top_team_changes]."""
    top = top_team(staircase, grid_days, teams)
    rows = []
    for rep, g in top.groupby("rep", sort=True):
        lab = g.loc[g["top_team"] != "", "top_team"].to_numpy()
        rows.append({"rep": int(rep), "top_team_changes": int(np.sum(lab[1:] != lab[:-1]))})
    return pd.DataFrame(rows, columns=["rep", "top_team_changes"])
