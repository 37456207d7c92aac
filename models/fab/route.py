"""Routes: ordered, re-entrant lists of process steps over tool groups.

A step has a tool group, an area (litho, etch, ...), a processing time in
minutes per lot and a defect contribution (a weight on the hazard of the
failure modes hidden in the step; mean 1 on a synthetic route). A route
visits the same tool group many times (re-entrant flow), as real fabs do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim import registry
from sim.scenario import ScenarioError

from .params import AREAS

CSV_COLUMNS = ("tool_group", "area", "minutes", "defect_weight")


@dataclass(frozen=True)
class Route:
    """One process flow; arrays have one entry per step, in route order.

    Attributes
    ----------
    tool_group : int array, index of the step's tool group (0 .. n_groups-1)
    area : int array, index into :data:`AREAS`
    minutes : float array, processing time of a lot at the step (minutes)
    defect_weight : float array, the step's defect contribution (>= 0)
    group_area : int array, the area of each tool group
    """

    tool_group: np.ndarray
    area: np.ndarray
    minutes: np.ndarray
    defect_weight: np.ndarray
    group_area: np.ndarray

    def __len__(self) -> int:
        return len(self.minutes)

    @property
    def n_groups(self) -> int:
        """Number of tool groups the route visits."""
        return len(self.group_area)

    @property
    def raw_process_minutes(self) -> float:
        """Raw process time of a lot: the sum of its step times (minutes), no waiting."""
        return float(self.minutes.sum())

    def group_minutes(self) -> np.ndarray:
        """Processing minutes a lot needs on each tool group (one pass of the route)."""
        return np.bincount(self.tool_group, weights=self.minutes, minlength=self.n_groups)

    def frame(self) -> pd.DataFrame:
        """The route as a table (the CSV format of :func:`load_route`)."""
        return pd.DataFrame(
            {
                "tool_group": self.tool_group,
                "area": [AREAS[a] for a in self.area],
                "minutes": self.minutes,
                "defect_weight": self.defect_weight,
            }
        )


def synthetic_route(
    rng: np.random.Generator,
    steps: int,
    tool_groups: int,
    area_mix,
    minutes_median: float,
    minutes_sigma: float,
    defect_weight_sigma: float,
) -> Route:
    """A random re-entrant route of ``steps`` steps over ``tool_groups`` tool groups.

    Tool groups are split over areas in proportion to ``area_mix`` (at least
    one per area with a positive share); each step draws its area from the mix
    and a tool group of that area, so a group is visited many times along the
    route. Processing times are lognormal around ``minutes_median`` and are a
    property of the tool group (the same tool runs similar recipes); defect
    weights are lognormal with mean 1.
    """
    mix = np.asarray(area_mix, float)
    mix = mix / mix.sum()
    used = np.flatnonzero(mix > 0)
    if tool_groups < len(used):
        raise ScenarioError(
            f"route.tool_groups: {tool_groups} is not allowed: needs at least one per area "
            f"with a positive share ({len(used)})"
        )
    # Groups per area: one each, the rest in proportion to the mix.
    per_area = np.zeros(len(AREAS), int)
    per_area[used] = 1
    extra = tool_groups - len(used)
    if extra:
        want = mix * extra
        per_area += np.floor(want).astype(int)
        short = tool_groups - per_area.sum()
        per_area[np.argsort(-(want - np.floor(want)), kind="stable")[:short]] += 1
    group_area = np.repeat(np.arange(len(AREAS)), per_area)
    first = np.concatenate([[0], np.cumsum(per_area)[:-1]])
    area = rng.choice(len(AREAS), size=steps, p=mix)
    # Visit every group at least once when there are enough steps, so no tool group idles for ever.
    if steps >= tool_groups:
        area[:tool_groups] = group_area
        rng.shuffle(area)
    tool_group = np.empty(steps, int)
    for a in used:
        idx = np.flatnonzero(area == a)
        groups = first[a] + np.arange(per_area[a])
        pick = np.concatenate([groups, rng.choice(groups, size=max(0, len(idx) - len(groups)))])[: len(idx)]
        tool_group[idx] = rng.permutation(pick)
    group_minutes = minutes_median * np.exp(minutes_sigma * rng.standard_normal(tool_groups))
    minutes = group_minutes[tool_group] * np.exp(0.2 * minutes_sigma * rng.standard_normal(steps))
    weight = np.exp(defect_weight_sigma * rng.standard_normal(steps) - defect_weight_sigma**2 / 2)
    return Route(tool_group, area, minutes, weight, group_area)


def _find_csv(path: str) -> Path:
    p = Path(path)
    if p.is_file():
        return p
    for d in registry.scenario_dirs():
        if (d / p).is_file():
            return d / p
    raise ScenarioError(f"route.csv: {path!r} is not a readable file")


def load_route(path: str) -> Route:
    """Read a route from CSV: one row per step in order, columns :data:`CSV_COLUMNS`.

    ``tool_group`` is any label (groups are numbered in order of first
    appearance); ``area`` one of :data:`AREAS`; ``minutes`` > 0;
    ``defect_weight`` >= 0. A relative path is looked up in the current folder,
    then in the scenario folders. Bad content raises a one-line ScenarioError.
    """
    f = _find_csv(path)
    try:
        df = pd.read_csv(f)
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"route.csv: cannot read {str(f)!r}: {exc}") from None
    missing = [c for c in CSV_COLUMNS if c not in df.columns]
    if missing or len(df) == 0:
        raise ScenarioError(
            f"route.csv: {str(f)!r} is not allowed: needs rows and columns {', '.join(CSV_COLUMNS)}"
            + (f" (missing {', '.join(missing)})" if missing else "")
        )
    bad_area = sorted(set(df["area"].astype(str)) - set(AREAS))
    if bad_area:
        raise ScenarioError(f"route.csv: area {bad_area[0]!r} is not allowed: use one of {', '.join(AREAS)}")
    minutes = pd.to_numeric(df["minutes"], errors="coerce").to_numpy(float)
    weight = pd.to_numeric(df["defect_weight"], errors="coerce").to_numpy(float)
    if not (np.all(minutes > 0) and np.all(weight >= 0)):
        raise ScenarioError(
            f"route.csv: {str(f)!r} is not allowed: minutes must be > 0 and defect_weight >= 0"
        )
    # Number groups by first appearance, so the numbering follows the route.
    first_seen = {lab: i for i, lab in enumerate(dict.fromkeys(df["tool_group"].astype(str)))}
    tool_group = np.array([first_seen[lab] for lab in df["tool_group"].astype(str)])
    area = np.array([AREAS.index(a) for a in df["area"].astype(str)])
    group_area = np.zeros(len(first_seen), int)
    group_area[tool_group[::-1]] = area[::-1]  # a group's area is that of its first step
    return Route(tool_group, area, minutes, weight, group_area)


def route_for(params, streams) -> Route:
    """The scenario's route: from its CSV, or synthetic from the 'route' stream."""
    r = params.route
    if r.csv:
        return load_route(r.csv)
    return synthetic_route(
        streams.generator("route"),
        r.steps,
        r.tool_groups,
        r.area_mix.array(),
        r.minutes_median,
        r.minutes_sigma,
        r.defect_weight_sigma,
    )
