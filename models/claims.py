"""The seed's claims (../shared/seed/claims.md), each as a figure and a few
measured numbers from its scenario. Used by ``python -m sim figures DIR``,
the README and notebook 01. Nothing here sets an outcome: every number is
read off simulated tables.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

import sim
from sim.gap import window_mean
from sim.plots import plot_gap, plot_series, save_figure
from sim.units import DAYS_PER_MONTH

GPT35 = 24.41  # the leader's public capability at 2022-11-30 (chatgpt_race)


@lru_cache(maxsize=16)
def _run(scenario: str, reps: int, seed: int, workers: int, overrides: tuple = ()):
    options = sim.RunOptions(workers=workers, progress=False)
    return sim.run(scenario, reps=reps, seed=seed, overrides=dict(overrides), options=options)


def _quantiles(x) -> dict:
    x = pd.Series(x, dtype=float).dropna()
    return {
        "median": round(float(x.median()), 3),
        "q05": round(float(x.quantile(0.05)), 3),
        "q95": round(float(x.quantile(0.95)), 3),
        "n": int(len(x)),
    }


def claimed_and_true(res, start_month=12, end_month=24, team="cheap_chat"):
    """Per replication, ``team``'s measured and true score as shares of the
    leader's, averaged over a window (months)."""
    tr = res.trajectories
    w = tr[(tr.t_days >= start_month * DAYS_PER_MONTH) & (tr.t_days < end_month * DAYS_PER_MONTH)]
    by = w.groupby(["rep", "team"])[["score", "measured_score"]].mean().unstack("team")
    lead = by["score"][res.summary["leader"]]
    return by["measured_score"][team] / lead, by["score"][team] / lead


def s1_claimed_vs_true(reps=100, seed=1, workers=2):
    """S1: a cheap chat model's self-reported score against its true score, as shares of the leader's."""
    res = _run("cheap_chat_model", reps, seed, workers)
    tr = res.trajectories
    lead = tr[tr.team == "leader"].set_index(["rep", "t_days"]).score
    me = tr[tr.team == "cheap_chat"].set_index(["rep", "t_days"])
    df = pd.concat(
        [
            (me.measured_score / lead).rename("share").reset_index().assign(kind="claimed (measured)"),
            (me.score / lead).rename("share").reset_index().assign(kind="true"),
        ]
    )
    fig = plot_series(
        df,
        "kind",
        "share",
        res.start_date,
        ylabel="score as a share of the leader's",
        title="S1: a cheap chat model claims far more than it has",
    )
    claimed, true = claimed_and_true(res)
    return fig, {"claimed_share_year2": _quantiles(claimed), "true_share_year2": _quantiles(true)}


def s2_spend(reps=100, seed=1, workers=2):
    """S2: spend to a first chat model against spend to GPT-3.5 level (US$)."""
    res = _run("cheap_chat_model", reps, seed, workers)
    ev, tr, st = res.events, res.trajectories, res.staircase
    spend = tr[tr.team == "cheap_chat"].set_index(["rep", "t_days"]).spend_usd
    first = ev[(ev.team == "cheap_chat") & (ev.kind == "release")].groupby("rep").t_days.min()
    mine = st[(st.team == "cheap_chat") & (st.t_days >= 0) & (st.capability >= GPT35 - 1e-12)]
    reached = mine.groupby("rep").t_days.min()
    end = tr.t_days.max()

    def spent(rep, t):
        s = spend.xs(rep, level="rep")
        return float(s[s.index <= t].iloc[-1])

    rows = [
        {
            "rep": r,
            "first chat model": spent(r, t),
            "GPT-3.5 level (or all spent, if never)": spent(r, reached.get(r, end)),
        }
        for r, t in first.items()
    ]
    df = pd.DataFrame(rows).melt("rep", var_name="milestone", value_name="spend_usd")
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, ax = plt.subplots(figsize=(7, 4))
    sns.boxplot(df, x="milestone", y="spend_usd", ax=ax, log_scale=True)
    ax.set_ylabel("cumulative spend (US$)")
    ax.set_title("S2: a chat model is cheap, GPT-3.5 level is not")
    wide = pd.DataFrame(rows)
    ratio = wide.iloc[:, 2] / wide.iloc[:, 1]
    return fig, {
        "first_chat_usd": _quantiles(wide["first chat model"]),
        "ratio": _quantiles(ratio),
        "share_reached_gpt35": round(len(reached) / reps, 3),
    }


def s8_s9_race(reps=100, seed=20221130, workers=2):
    """S8 and S9: the default race's run lengths and the strong follower's months to GPT-3.5 level."""
    res = _run("chatgpt_race", reps, seed, workers)
    runs = res.events[res.events.kind == "run"]
    st = res.staircase
    mine = st[(st.team == "strong_follower") & (st.t_days >= 0) & (st.capability >= GPT35 - 1e-12)]
    months = mine.groupby("rep").t_days.min().reindex(range(reps)) / DAYS_PER_MONTH
    fig = plot_gap(res.gap, start_date=res.start_date)
    fig.axes[0].set_title("S9: months behind the leader in the race after ChatGPT")
    return fig, {
        "run_days": _quantiles(runs.duration_days),
        "strong_follower_months_to_gpt35": _quantiles(months),
        "never_within_horizon": round(float(months.isna().mean()), 3),
    }


def s10_talent(reps=100, seed=10, workers=2):
    """S10: equal compute, worse decisions and slower iteration; and with the leader's."""
    worse = _run("talent_and_decisions", reps, seed, workers)
    better = _run(
        "talent_and_decisions",
        reps,
        seed,
        workers,
        (("teams.equal_compute.decision_quality", 0.95), ("teams.equal_compute.prep_days", 15.0)),
    )
    df = pd.concat(
        [
            worse.gap.assign(variant="own decisions and iteration"),
            better.gap.assign(variant="the leader's decisions and iteration"),
        ]
    )
    fig = plot_series(
        df,
        "variant",
        "months_behind",
        worse.start_date,
        ylabel="months behind",
        title="S10: equal compute does not close the gap",
    )
    late = lambda r: window_mean(r.gap, 48, 60).set_index("rep").months_behind  # noqa: E731
    early = window_mean(worse.gap, 6, 12).set_index("rep").months_behind
    return fig, {
        "widened_share": round(float((late(worse) > early).mean()), 3),
        "late_months_own": _quantiles(late(worse)),
        "late_months_leaders": _quantiles(late(better)),
    }


def s12_open_source(reps=100, seed=12, workers=2):
    """S12: months behind of a follower living on open weights, before and after closure."""
    res = _run("open_source_era", reps, seed, workers)
    closure = res.params.publishing.open_weights_until_days
    fig = plot_gap(res.gap, start_date=res.start_date)
    ax = fig.axes[0]
    ax.axvline(pd.Timestamp(res.start_date) + pd.Timedelta(days=closure), color="k", linestyle=":")
    ax.set_title("S12: the gap shows when the leader stops publishing (dotted line)")
    c = closure / DAYS_PER_MONTH
    before = window_mean(res.gap, c - 6, c).set_index("rep").months_behind
    after = window_mean(res.gap, c, c + 12).set_index("rep").months_behind
    return fig, {
        "before": _quantiles(before),
        "after": _quantiles(after),
        "jump": _quantiles(after - before),
        "share_jump_at_least_6": round(float(((after - before) >= 6).mean()), 3),
    }


def s13_s14_step_vs_burn(reps=100, seed=13, workers=2):
    """S11, S13, S14: step by step against burning money (capability gap, OOM)."""
    res = _run("step_by_step_vs_burn_money", reps, seed, workers)
    fig = plot_series(
        res.gap,
        "follower",
        "capability_gap",
        res.start_date,
        ylabel="capability gap to the leader (OOM)",
        title="S13/S14: step by step against burning money",
    )
    late = window_mean(res.gap, 48, 60, value="capability_gap").pivot(
        index="rep", columns="follower", values="capability_gap"
    )
    ev = res.events[res.events.kind.isin(["run", "experiment"])]
    gpu_days = (ev.gpus * ev.duration_days).groupby([ev.rep, ev.team]).sum().unstack()
    tr = res.trajectories
    gain = (
        tr.pivot_table(index="rep", columns="team", values="capability", aggfunc="last")
        - tr[tr.t_days == 0].pivot(index="rep", columns="team", values="capability")
    ).clip(lower=0.05)
    per_oom = gpu_days / gain
    return fig, {
        "stepper_smaller_gap_share": round(float((late.stepper < late.burner).mean()), 3),
        "late_gap_stepper": _quantiles(late.stepper),
        "late_gap_burner": _quantiles(late.burner),
        "burner_more_gpu_days_per_oom_share": round(float((per_oom.burner > per_oom.stepper).mean()), 3),
    }


def s6_s7_fab(reps=100, seed=5, workers=2):
    """S6 and S7: the follower fab's yield and cost of 25 good wafers, and what it spends in a year."""
    from models.fab.plots import plot_cost_per_25_good

    res = _run("know_how_price", reps, seed, workers)
    tr = res.trajectories
    start = tr[tr.t_days == 0].set_index(["rep", "team"])
    ratio = start.line_yield.xs("follower", level="team") / start.line_yield.xs("leader", level="team")
    f = tr[tr.team == "follower"]
    end = f[f.t_days == f.t_days.max()].set_index("rep")
    fig = plot_cost_per_25_good(tr, start_date=res.start_date)
    fig.axes[0].set_title("S6/S7: what 25 good wafers cost each fab")
    return fig, {
        "yield_ratio_at_start": _quantiles(ratio),
        "follower_cost_per_25_good_at_start_usd": _quantiles(
            start.cost_per_25_good_usd.xs("follower", level="team")
        ),
        "follower_yield_gain_in_a_year": _quantiles(
            end.line_yield / start.line_yield.xs("follower", level="team")
        ),
        "follower_spend_in_a_year_usd": _quantiles(end.spend_usd),
    }


CLAIMS = {
    "S1": s1_claimed_vs_true,
    "S6": s6_s7_fab,
    "S2": s2_spend,
    "S9": s8_s9_race,
    "S10": s10_talent,
    "S12": s12_open_source,
    "S13": s13_s14_step_vs_burn,
}


def make_figures(out_dir, reps: int = 100, workers: int = 2, where: bool = True) -> dict:
    """Draw every claim's figure into ``out_dir`` as ``S<n>.png`` (and, with
    ``where``, ``where_S<n>.png`` for the sweeps over its assumptions), write
    the measured numbers to ``claims.json`` and return them."""
    import json

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    numbers = {}
    for claim, fn in CLAIMS.items():
        fig, figures = fn(reps=reps, workers=workers)
        save_figure(fig, out / f"{claim}.png")
        numbers[claim] = figures
    race = _run("chatgpt_race", reps, 20221130, workers)  # the default scenario, as the quick start
    save_figure(race.plot_gap(), out / "gap.png")
    save_figure(race.plot_capability(), out / "capability.png")
    if where:
        for claim, fn in WHERE.items():
            fig, table = fn(reps=max(10, reps // 2), workers=workers)
            save_figure(fig, out / f"where_{claim}.png")
            numbers[f"where_{claim}"] = json.loads(table.to_json(orient="records"))
    (out / "claims.json").write_text(json.dumps(numbers, indent=1))
    return numbers


# -- each claim's measure, read off a run's tables ------------------------------


def measure_s1(res) -> dict:
    """S1: share of replications whose claimed score exceeds the true one by more than 0.1
    of the leader's in year 2 (``cheap_chat_model``)."""
    claimed, true = claimed_and_true(res)
    return {"share_overclaiming": float((claimed > true + 0.1).mean())}


def measure_s10(res) -> dict:
    """S10: share of replications whose months behind at year 5 (months 48-60) exceeds
    that of months 6-12 (``talent_and_decisions``)."""
    early = window_mean(res.gap, 6, 12).set_index("rep").months_behind
    late = window_mean(res.gap, 48, 60).set_index("rep").months_behind
    return {"share_widened": float((late > early).mean())}


def measure_s12(res) -> dict:
    """S12: share of replications whose months behind jumps by six or more at the leader's
    closure (the year after against the six months before; ``open_source_era``)."""
    c = res.params.publishing.open_weights_until_days / DAYS_PER_MONTH
    before = window_mean(res.gap, c - 6, c).set_index("rep").months_behind
    after = window_mean(res.gap, c, c + 12).set_index("rep").months_behind
    return {"share_jump_6_months": float(((after - before) >= 6).mean())}


def measure_s13(res) -> dict:
    """S13: share of paired replications in which the stepper ends year 5 with a smaller
    capability gap than the money burner (``step_by_step_vs_burn_money``)."""
    late = window_mean(res.gap, 48, 60, value="capability_gap").pivot(
        index="rep", columns="follower", values="capability_gap"
    )
    return {"share_stepper_ahead": float((late.stepper < late.burner).mean())}


def measure_s14(learn, blind) -> dict:
    """S14: share of paired replications in which the late follower that never diagnoses
    ends months 30-36 with a larger capability gap than the learning one (``chatgpt_race``)."""

    def late(r):
        g = window_mean(r.gap, 30, 36, value="capability_gap").set_index(["rep", "follower"])
        return g.capability_gap.xs("late_follower", level="follower")

    return {"share_blind_behind": float((late(blind) > late(learn)).mean())}


def measure_s9(res, team="strong_follower", level=GPT35) -> dict:
    """S9: the median months ``team`` takes to reach ``level`` (never: infinite)."""
    st = res.staircase
    mine = st[(st.team == team) & (st.t_days >= 0) & (st.capability >= level - 1e-12)]
    months = mine.groupby("rep", observed=True).t_days.min().reindex(sorted(st.rep.unique())) / DAYS_PER_MONTH
    return {"median_months": float(months.fillna(np.inf).median())}


# -- where each claim holds: sweeps over the assumptions it rests on ----------
def _grid(scenario, grid: dict, reps: int, seed: int, workers: int, measure) -> pd.DataFrame:
    """Run every combination of ``grid`` (dotted key -> values) with the same seed
    (common random numbers) and collect ``measure(results) -> dict`` per point."""
    import itertools

    keys = list(grid)
    rows = []
    for values in itertools.product(*grid.values()):
        res = _run(scenario, reps, seed, workers, tuple(zip(keys, values)))
        rows.append({**dict(zip(keys, values)), **measure(res)})
    return pd.DataFrame(rows)


def _heatmap(table: pd.DataFrame, rows: str, cols: str, value: str, title: str):
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, ax = plt.subplots(figsize=(6, 4))
    sns.heatmap(
        table.pivot(index=rows, columns=cols, values=value),
        annot=True,
        fmt=".2f",
        vmin=0,
        vmax=1,
        cmap="RdBu",
        center=0.5,
        ax=ax,
        cbar_kws={"label": value},
    )
    ax.set_title(title)
    return fig


def where_s13_holds(reps=50, seed=13, workers=2):
    """S13: share of paired replications in which stepping beats burning money,
    over how hazardous new scale is (median hazard of a mode) and the
    confounding of diagnosis. (Over the exposure law's slope it did not flip:
    0.88-1.00 for slopes 0-1 and confounding 0-0.3, 40 reps.)"""

    table = _grid(
        "step_by_step_vs_burn_money",
        {"world.hazard_median": [0.001, 0.004, 0.015], "world.confounding": [0.0, 0.05, 0.3]},
        reps,
        seed,
        workers,
        measure_s13,
    )
    fig = _heatmap(
        table,
        "world.hazard_median",
        "world.confounding",
        "share_stepper_ahead",
        "S13: where stepping beats burning money",
    )
    return fig, table


def where_s12_holds(reps=50, seed=12, workers=2):
    """S12: share of replications whose months behind jumps by six months or more
    at closure, over the strength of distillation and the follower's own diagnosis."""

    table = _grid(
        "open_source_era",
        {
            "teams.package_caller.catchup.distill_penalty": [0.05, 0.15, 0.5],
            "teams.package_caller.diagnosis": [0.3, 0.7, 1.0],
        },
        reps,
        seed,
        workers,
        measure_s12,
    )
    fig = _heatmap(
        table,
        "teams.package_caller.catchup.distill_penalty",
        "teams.package_caller.diagnosis",
        "share_jump_6_months",
        "S12: where closing the source shows the gap",
    )
    return fig, table


def where_s9_holds(reps=50, seed=20221130, workers=2):
    """S9: the strong follower's median months to GPT-3.5 level over its catch-up
    channels (existence proof) and its iteration time (preparation days)."""

    table = _grid(
        "chatgpt_race",
        {
            "teams.strong_follower.catchup.existence_proof": [0.0, 0.5, 1.0],
            "teams.strong_follower.prep_days": [15.0, 30.0, 60.0],
            "years": [4.0],
        },
        reps,
        seed,
        workers,
        measure_s9,
    )
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, ax = plt.subplots(figsize=(6, 4))
    sns.heatmap(
        table.pivot(
            index="teams.strong_follower.catchup.existence_proof",
            columns="teams.strong_follower.prep_days",
            values="median_months",
        ),
        annot=True,
        fmt=".1f",
        cmap="viridis",
        ax=ax,
        cbar_kws={"label": "median months"},
    )
    ax.set_title("S9: months to GPT-3.5 level (history: 7.5-12)")
    return fig, table


def where_s14_holds(reps=50, seed=20221130, workers=2):
    """S14: share of paired replications in which a late follower that never
    diagnoses ends further behind than the learning one, over the exposure law."""

    rows = []
    for slope in [0.0, 0.5, 1.0]:
        for conf in [0.0, 0.05, 0.3]:
            base = (("world.exposure_slope", slope), ("world.confounding", conf), ("years", 3.0))
            learn = _run("chatgpt_race", reps, seed, workers, base)
            blind = _run(
                "chatgpt_race", reps, seed, workers, base + (("teams.late_follower.diagnosis", 0.0),)
            )
            rows.append(
                {"world.exposure_slope": slope, "world.confounding": conf, **measure_s14(learn, blind)}
            )
    table = pd.DataFrame(rows)
    fig = _heatmap(
        table,
        "world.exposure_slope",
        "world.confounding",
        "share_blind_behind",
        "S14: where not learning leaves a larger gap",
    )
    return fig, table


def where_s1_holds(reps=50, seed=1, workers=2):
    """S1: share of replications whose claimed score exceeds the true one by more
    than 0.1 of the leader's (year 2), over how much a team without eval
    know-how overstates itself and how much eval know-how it starts with."""

    table = _grid(
        "cheap_chat_model",
        {
            "teams.cheap_chat.eval_optimism": [0.3, 1.0, 1.8],
            "teams.cheap_chat.know_how.eval": [0.0, 1.0, 3.0],
        },
        reps,
        seed,
        workers,
        measure_s1,
    )
    fig = _heatmap(
        table,
        "teams.cheap_chat.eval_optimism",
        "teams.cheap_chat.know_how.eval",
        "share_overclaiming",
        "S1: where a cheap model overclaims",
    )
    return fig, table


def where_s10_holds(reps=50, seed=10, workers=2):
    """S10: share of replications in which the equal-compute follower's gap widens
    (year 5 against year 1), over its decision quality and time between runs."""

    table = _grid(
        "talent_and_decisions",
        {
            "teams.equal_compute.decision_quality": [0.6, 0.8, 0.95],
            "teams.equal_compute.prep_days": [15.0, 40.0],
        },
        reps,
        seed,
        workers,
        measure_s10,
    )
    fig = _heatmap(
        table,
        "teams.equal_compute.decision_quality",
        "teams.equal_compute.prep_days",
        "share_widened",
        "S10: where equal compute still falls behind",
    )
    return fig, table


def where_s6_holds(reps=50, seed=5, workers=2):
    """S6: the follower fab's median yield ratio at the start, over how much of its
    know-how it has (past fixes per mode) and the route's length (steps)."""

    def measure(res):
        tr = res.trajectories
        start = tr[tr.t_days == 0].set_index(["rep", "team"]).line_yield
        ratio = start.xs("follower", level="team") / start.xs("leader", level="team")
        return {"median_yield_ratio": float(ratio.median())}

    areas = ["litho", "etch", "deposition", "implant", "cmp", "clean", "metrology"]
    rows = []
    for level in [1.0, 1.3, 1.8, 2.5]:
        for steps in [250, 500, 1000]:
            over = (
                ("years", 0.05),
                ("route.steps", steps),
                *((f"teams.follower.know_how.{a}", level) for a in areas),
            )
            rows.append(
                {
                    "follower know-how (fixes per mode)": level,
                    "route steps": steps,
                    **measure(_run("know_how_price", reps, seed, workers, over)),
                }
            )
    table = pd.DataFrame(rows)
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, ax = plt.subplots(figsize=(6, 4))
    sns.heatmap(
        table.pivot(
            index="follower know-how (fixes per mode)", columns="route steps", values="median_yield_ratio"
        ),
        annot=True,
        fmt=".3f",
        cmap="viridis",
        ax=ax,
        cbar_kws={"label": "follower / leader line yield"},
    )
    ax.set_title("S6: the yield ratio is 1/10-1/100 only on long routes")
    return fig, table


WHERE = {
    "S1": where_s1_holds,
    "S6": where_s6_holds,
    "S10": where_s10_holds,
    "S9": where_s9_holds,
    "S12": where_s12_holds,
    "S13": where_s13_holds,
    "S14": where_s14_holds,
}


# -- the claims in the calibrated world ---------------------------------------------------
#: The posterior's world-wide keys: the assumptions every claim scenario shares.
WORLD_PREFIX = "world."


def world_posterior(posterior_path, out_path) -> Path:
    """The world-wide columns (``world.*``) of a posterior file, written to ``out_path``:
    the calibrated assumptions a claim's own scenario can take (its teams are its own)."""
    post = pd.read_parquet(posterior_path)
    keep = [c for c in post.columns if c.startswith(WORLD_PREFIX)] + ["weight"]
    out_path = Path(out_path)
    post[keep].to_parquet(out_path, index=False)
    return out_path


def under_posterior(posterior_path, reps: int = 50, workers: int = 2) -> pd.DataFrame:
    """Each claim's measure in its own scenario as shipped, and with the world drawn per
    replication from the calibrated posterior (its ``world.*`` keys): one row per claim
    with ``default`` and ``calibrated`` values (common random numbers: the same seeds)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="rdgap-claims-") as tmp:
        world = world_posterior(posterior_path, Path(tmp) / "world.parquet")
        calibrated = (("uncertain.posterior", str(world)),)
        rows = []
        for claim, scenario, seed, measure in (
            ("S1", "cheap_chat_model", 1, measure_s1),
            ("S10", "talent_and_decisions", 10, measure_s10),
            ("S12", "open_source_era", 12, measure_s12),
            ("S13", "step_by_step_vs_burn_money", 13, measure_s13),
            ("S9", "chatgpt_race", 20221130, measure_s9),
        ):
            over = (("years", 5.0),) if claim != "S12" else ()
            a = measure(_run(scenario, reps, seed, workers, over))
            b = measure(_run(scenario, reps, seed, workers, over + calibrated))
            for name in a:
                rows.append({"claim": claim, "scenario": scenario, "measure": name,
                             "default": a[name], "calibrated": b[name]})  # fmt: skip
        base = (("years", 3.0),)
        blind = (("teams.late_follower.diagnosis", 0.0),)
        a = measure_s14(_run("chatgpt_race", reps, 20221130, workers, base),
                        _run("chatgpt_race", reps, 20221130, workers, base + blind))  # fmt: skip
        b = measure_s14(_run("chatgpt_race", reps, 20221130, workers, base + calibrated),
                        _run("chatgpt_race", reps, 20221130, workers, base + calibrated + blind))  # fmt: skip
        rows.append({"claim": "S14", "scenario": "chatgpt_race", "measure": "share_blind_behind",
                     "default": a["share_blind_behind"], "calibrated": b["share_blind_behind"]})  # fmt: skip
    return pd.DataFrame(rows)
