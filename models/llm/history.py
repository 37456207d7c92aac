"""The race since ChatGPT as staircases, and the backtest checks (DESIGN §3.5-3.6).

:func:`observed_staircase` turns the record of releases into the staircase of
:mod:`sim.gap` (one row per change of a lab's best public capability), so observed and
simulated lags come from the same code. :func:`checks` computes the fixed list of backtest
checks from one replication's staircase, simulated or observed alike; its docstring defines
each check.

The name says what the module holds: history, both as observed staircases and as the
figures a simulated history must reproduce.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.gap import (
    DAYS_PER_MONTH,
    FLAG_BEFORE_RECORD,
    frontier_lags,
    leader_reach_time,
    months_behind,
    top_of,
)
from sim.scenario import ScenarioError

from .link import SCORES, LinkFit, observed_capability

__all__ = [
    "START_DATE",
    "UNTIL",
    "t_days_of",
    "observed_staircase",
    "observed_compute",
    "level_lag",
    "checks",
    "observed_checks",
    "CHECK_NAMES",
    "FRONTIER_TEAMS",
]

START_DATE = "2022-11-30"  # ChatGPT; t_days = 0
UNTIL = "2024-12-31"  # the end of the calibration window
# The teams of the frontier_2023 scenario (issue 9): leader first, then followers; meta and
# deepseek publish open weights.
FRONTIER_TEAMS = ("openai", "google", "anthropic", "meta", "deepseek")
OPEN_WEIGHTS_TEAMS = ("meta", "deepseek")
DAYS_PER_YEAR = 365.25


def t_days_of(dates, start_date: str = START_DATE) -> np.ndarray:
    """Days from ``start_date`` to each date (float; negative before it)."""
    d = pd.to_datetime(pd.Series(np.asarray(dates).ravel()))
    return (d - pd.Timestamp(start_date)).dt.days.to_numpy(dtype=float)


def _labs(record: pd.DataFrame, teams: Sequence[str] | None) -> list[str]:
    labs = sorted(record["lab"].unique())
    if teams is None:
        return labs
    unknown = [t for t in teams if t not in labs]
    if unknown:
        raise ScenarioError(
            f"teams: {unknown[0]!r} is not allowed: not a lab of the record ({', '.join(labs)})"
        )
    return list(dict.fromkeys(teams))


def observed_staircase(
    record: pd.DataFrame,
    teams: Sequence[str] | None = None,
    links: dict[str, LinkFit] | None = None,
    start_date: str = START_DATE,
    sources: Sequence[str] = (*SCORES, "compute"),
) -> pd.DataFrame:
    """The observed staircase of each lab in ``teams`` (default: every lab).

    Capabilities are :func:`models.llm.link.observed_capability` from ``sources`` (``links``
    default: fitted on ``record``). A lab's staircase has a row at its first release with a capability and at
    every later release that raises its best (same-day releases count once, at their best);
    history before ``start_date`` is included (negative ``t_days``). Returns
    DataFrame[rep (0), team, t_days (days from ``start_date``), capability, model], sorted by
    team and time; ``model`` names the release that set the step.
    """
    names = _labs(record, teams)
    obs = observed_capability(record, links, sources)
    obs = obs[obs["lab"].isin(names) & obs["capability"].notna()].copy()
    obs["t_days"] = t_days_of(obs["date"], start_date)
    rows = []
    for lab in names:
        g = obs[obs["lab"] == lab].sort_values(
            ["t_days", "capability"], ascending=[True, False], kind="stable"
        )
        best = -np.inf
        for t, day in g.groupby("t_days", sort=True):
            top = day.iloc[0]
            if top["capability"] > best:
                best = float(top["capability"])
                rows.append(
                    {"rep": 0, "team": lab, "t_days": float(t), "capability": best, "model": top["model"]}
                )
    out = pd.DataFrame(rows, columns=["rep", "team", "t_days", "capability", "model"])
    return out.astype({"rep": "int64", "t_days": "float64", "capability": "float64"})


def observed_compute(
    record: pd.DataFrame, teams: Sequence[str] | None = None, start_date: str = START_DATE
) -> pd.DataFrame:
    """Releases with a training compute estimate (imputed ones included):
    DataFrame[team, t_days, training_compute_flop (FLOP), model]."""
    names = _labs(record, teams)
    r = record[record["lab"].isin(names) & record["training_compute_flop"].notna()]
    return pd.DataFrame(
        {
            "team": r["lab"].to_numpy(dtype=object),
            "t_days": t_days_of(r["date"], start_date),
            "training_compute_flop": r["training_compute_flop"].to_numpy(dtype=float),
            "model": r["model"].to_numpy(dtype=object),
        }
    ).astype({"team": str})


# ---------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------
CHECK_NAMES = (
    "lag_first_follower_gpt35_months",
    "lag_median_follower_gpt35_months",
    "lag_first_follower_gpt4_months",
    "lag_median_follower_gpt4_months",
    "lag_slowest_follower_gpt4_months",
    "frontier_months_strongest_follower_2023",
    "frontier_months_strongest_follower_2024",
    "frontier_months_open_weights_2024h1",
    "frontier_months_open_weights_2024h2",
    "leader_share_on_top_2023_2024",
    "top_team_changes_2023_2024",
    "compute_growth_leader_x_per_year",
    "compute_growth_deepseek_x_per_year",
)


def _record(staircase: pd.DataFrame, team: str) -> tuple[np.ndarray, np.ndarray]:
    g = staircase[staircase["team"] == team].sort_values("t_days", kind="stable")
    return g["t_days"].to_numpy(dtype=float), g["capability"].to_numpy(dtype=float)


def _records_of(staircase: pd.DataFrame, teams: Sequence[str]) -> dict:
    """team -> (t_days sorted ascending, capability) of each team in ``teams`` (empty arrays
    for a team without rows): one sort for every check."""
    s = staircase.sort_values("t_days", kind="stable")
    team = s["team"].astype(str).to_numpy()
    t, c = s["t_days"].to_numpy(dtype=float), s["capability"].to_numpy(dtype=float)
    return {tm: (t[team == tm], c[team == tm]) for tm in teams}


def level_lag(
    staircase: pd.DataFrame, leader: str, follower: str, level: float, until_days: float
) -> tuple[float, bool]:
    """Months from the leader's first reaching ``level`` to the follower's, and whether the
    follower had not reached it by ``until_days`` (censored).

    Both reach times come from :func:`sim.gap.leader_reach_time` (first time a running-max
    record is >= level) and the lag is :func:`sim.gap.months_behind` of the leader's record at
    the follower's reach time, the simulator's own code. A follower whose first row is already
    above ``level`` reached it at that row. A follower that never reaches it by ``until_days``
    gets ``(until_days - leader's reach time)`` months, a lower bound, with censored True.
    NaN (not censored) when the leader never reaches ``level``.
    """
    return _level_lag(_record(staircase, leader), _record(staircase, follower), level, until_days)


def _level_lag(lead: tuple, fol: tuple, level: float, until_days: float) -> tuple[float, bool]:
    lt, lc = lead
    ft, fc = fol
    target = np.array([level], dtype=float)  # 1-d: leader_reach_time flags need an index
    lead_tau = float(leader_reach_time(lt, lc, target)[0][0])
    if not np.isfinite(lead_tau):
        return float("nan"), False
    ft, fc = ft[ft <= until_days], fc[ft <= until_days]
    tau_a, flag = leader_reach_time(ft, fc, target)
    tau = float(tau_a[0])
    if flag[0] == FLAG_BEFORE_RECORD:
        tau = float(ft[0])
    if not np.isfinite(tau):
        return (until_days - lead_tau) / DAYS_PER_MONTH, True
    months, _ = months_behind(lt, lc, target, np.array([tau]))
    return float(months[0]), False


def _compute_growth(compute: pd.DataFrame | None, team: str, lo: float, hi: float) -> float:
    """x per year: 10 ** slope of an OLS fit of log10(largest compute to date) on years, over
    ``team``'s releases with lo <= t_days <= hi (largest to date counts earlier releases too,
    so a small side model does not read as a fall). NaN with fewer than two distinct dates."""
    if compute is None:
        return float("nan")
    c = compute[compute["team"].astype(str) == team].sort_values("t_days", kind="stable")
    if c.empty:
        return float("nan")
    t = c["t_days"].to_numpy(dtype=float)
    largest = np.maximum.accumulate(np.log10(c["training_compute_flop"].to_numpy(dtype=float)))
    keep = (t >= lo) & (t <= hi)
    t, largest = t[keep], largest[keep]
    if np.unique(t).size < 2:
        return float("nan")
    slope = np.polyfit(t / DAYS_PER_YEAR, largest, 1)[0]
    return float(10.0**slope)


def _window_mean(t_days, values, lo: float, hi: float) -> float:
    """Mean of ``values`` at lo <= t_days < hi, NaN ignored (NaN if none is defined)."""
    t = np.asarray(t_days, dtype=float)
    v = np.asarray(values, dtype=float)[(t >= lo) & (t < hi)]
    return float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")


def checks(
    staircase: pd.DataFrame,
    leader: str,
    followers: Sequence[str],
    open_weights_teams: Sequence[str],
    compute: pd.DataFrame | None = None,
    *,
    start_date: str = START_DATE,
    until: str = UNTIL,
    compute_teams: Sequence[str] = ("deepseek",),
) -> dict[str, float]:
    """The backtest checks of one replication (observed or simulated): name -> value.

    ``staircase``: DataFrame[team, t_days, capability] of one replication (a ``rep`` column,
    if any, must hold one value), t_days from ``start_date``. The teams compared are
    ``leader``, ``followers`` and ``open_weights_teams``; rows after ``until`` are ignored.
    ``compute``: DataFrame[team, t_days, training_compute_flop] of releases (FLOP), or None.
    Months are 365.25/12 days; calendar windows are half-open [first day, next first day).

    - ``lag_first_follower_gpt35_months``, ``lag_median_follower_gpt35_months``: the first and
      the median follower's lag to the leader's GPT-3.5 level, its best capability at t = 0
      (:func:`level_lag`: months from the leader's reaching that level, at or before t = 0,
      to the follower's);
    - ``lag_first_follower_gpt4_months``, ``lag_median_follower_gpt4_months``,
      ``lag_slowest_follower_gpt4_months``: the same for the GPT-4 level, the capability of
      the leader's first staircase step after t = 0 (NaN if it has none by ``until``);
    - a follower that has not reached a level by ``until`` counts as ``until`` minus the
      leader's reach time (a lower bound); ``<check>_censored`` gives how many followers in
      that check were so counted (for first and slowest: 1.0 if the chosen one was);
    - ``frontier_months_strongest_follower_2023`` / ``_2024``: the smallest, over followers,
      of the mean months behind the frontier (best of all other compared teams,
      :func:`sim.gap.months_behind_frontier` on a daily grid) in that calendar year, NaN
      values (no capability yet) ignored;
    - ``frontier_months_open_weights_2024h1`` / ``_2024h2``: mean over the half-year of the
      best (smallest) months behind the frontier among ``open_weights_teams`` each day;
    - ``leader_share_on_top_2023_2024``, ``top_team_changes_2023_2024``: from
      :func:`sim.gap.top_team` on the daily grid 2023-01-01 .. ``until``;
    - ``compute_growth_leader_x_per_year`` and ``compute_growth_<team>_x_per_year`` for each
      of ``compute_teams``: 10 ** slope of log10(largest training compute to date) against
      years over the releases of 2023-01-01 .. ``until`` (NaN without ``compute`` or with
      fewer than two release dates).
    """
    if "rep" in staircase.columns and staircase["rep"].nunique() > 1:
        raise ValueError("checks: the staircase holds several replications; pass one")
    followers = list(dict.fromkeys(f for f in followers if f != leader))
    teams = list(dict.fromkeys([leader, *followers, *open_weights_teams]))
    t0 = pd.Timestamp(start_date)

    def day(date: str) -> float:
        return float((pd.Timestamp(date) - t0).days)

    until_days = day(until)
    s = staircase[staircase["t_days"] <= until_days]
    recs = _records_of(s, teams)  # the arrays every check below works on
    out: dict[str, float] = {}

    # --- lags to the leader's GPT-3.5 and GPT-4 levels
    lt, lc = recs[leader]
    at0 = lc[lt <= 0]
    gpt35 = float(np.max(at0)) if at0.size else float("nan")
    after = lc[lt > 0]
    gpt4 = float(after[0]) if after.size else float("nan")
    for tag, level, which in (
        ("gpt35", gpt35, ("first", "median")),
        ("gpt4", gpt4, ("first", "median", "slowest")),
    ):
        lags, cens = [], []
        if np.isfinite(level):
            for f in followers:
                lag, c = _level_lag(recs[leader], recs[f], level, until_days)
                if np.isfinite(lag):
                    lags.append(lag)
                    cens.append(c)
        lags_a, cens_a = np.array(lags, dtype=float), np.array(cens, dtype=bool)
        for w in which:
            name = f"lag_{w}_follower_{tag}_months"
            if lags_a.size == 0:
                out[name], out[name.replace("_months", "_censored")] = float("nan"), float("nan")
                continue
            if w == "median":
                out[name] = float(np.median(lags_a))
                out[name.replace("_months", "_censored")] = float(cens_a.sum())
            else:
                i = int(np.argmin(lags_a) if w == "first" else np.argmax(lags_a))
                out[name] = float(lags_a[i])
                out[name.replace("_months", "_censored")] = float(cens_a[i])

    # --- months behind the frontier, on a daily grid
    grid = np.arange(day("2023-01-01"), until_days + 1.0)
    fr = {tm: v[2] for tm, v in frontier_lags({tm: recs[tm] for tm in sorted(teams)}, grid).items()}
    y23, y24, mid24, y25 = day("2023-01-01"), day("2024-01-01"), day("2024-07-01"), day("2025-01-01")
    for tag, lo, hi in (("2023", y23, y24), ("2024", y24, y25)):
        means = [_window_mean(grid, fr[f], lo, hi) for f in followers]
        means = [m for m in means if np.isfinite(m)]
        out[f"frontier_months_strongest_follower_{tag}"] = float(min(means)) if means else float("nan")
    if open_weights_teams:
        with np.errstate(all="ignore"):  # a day with no open team defined stays NaN
            best_open = np.fmin.reduce([fr[tm] for tm in open_weights_teams])
    else:
        best_open = np.full(grid.size, np.nan)
    for tag, lo, hi in (("2024h1", y24, mid24), ("2024h2", mid24, y25)):
        out[f"frontier_months_open_weights_{tag}"] = _window_mean(grid, best_open, lo, hi)

    # --- the top spot
    top = top_of({tm: recs[tm] for tm in sorted(teams)}, grid)
    defined = top[top != ""]
    out["leader_share_on_top_2023_2024"] = float(np.mean(defined == leader)) if defined.size else float("nan")
    out["top_team_changes_2023_2024"] = (
        float(np.sum(defined[1:] != defined[:-1])) if defined.size else float("nan")
    )

    # --- compute growth
    out["compute_growth_leader_x_per_year"] = _compute_growth(compute, leader, y23, until_days)
    for team in compute_teams:
        out[f"compute_growth_{team}_x_per_year"] = _compute_growth(compute, team, y23, until_days)
    return out


def observed_checks(
    record: pd.DataFrame | None = None,
    teams: Sequence[str] = FRONTIER_TEAMS,
    open_weights_teams: Sequence[str] = OPEN_WEIGHTS_TEAMS,
    sources: Sequence[str] = (*SCORES, "compute"),
    until: str = UNTIL,
) -> dict[str, float]:
    """:func:`checks` on the observed record (default: the shipped one): ``teams[0]`` leads,
    the others follow; capabilities from ``sources`` (see :func:`observed_staircase`),
    compute from :func:`observed_compute`."""
    from .record import load_record

    rec = load_record() if record is None else record
    s = observed_staircase(rec, teams, sources=sources)
    return checks(
        s, teams[0], list(teams[1:]), list(open_weights_teams), observed_compute(rec, teams), until=until
    )
