"""Scenarios: TOML files validated by pydantic, with dotted-key overrides.

A scenario is plain data (desmod-style): a sweep or a variant is a set of
overrides such as ``{"teams.leader.diagnosis": 0.5}``. Every validation
problem becomes one :class:`ScenarioError` whose message names the field, the
value and what is allowed.
"""

from __future__ import annotations

import copy
import datetime as dt
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, create_model, model_validator

from . import registry
from .uncertain import UncertainSpec
from .validation import ScenarioError, Strict, describe_error

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def per_area(name: str, areas, module: str, upper: float | None = None) -> type[Strict]:
    """A section with one number >= 0 (and <= ``upper``) per area, default 0,
    e.g. know-how by area; ``.array()`` gives the values in ``areas`` order.

    Assign it to ``name`` in ``module`` (pass ``__name__``) so it pickles:
    worker processes receive validated params by value.
    """
    areas = tuple(areas)
    fields = {a: (float, Field(0.0, ge=0, le=upper)) for a in areas}
    section = create_model(name, __base__=Strict, __module__=module, **fields)
    section.array = lambda self: [getattr(self, a) for a in areas]
    return section


class RunSettings(Strict):
    """A scenario's ``[run]`` section: replications, root seed and the trajectory grid (days)."""

    reps: int = Field(20, ge=1, description="replications")
    seed: int = Field(0, ge=0, description="root seed of the run's SeedSequence")
    grid_days: float = Field(14.0, gt=0, description="spacing of the trajectory grid (days)")


class ScenarioBase(Strict):
    """Fields every scenario has, whatever its model."""

    name: str
    model: str
    description: str = ""
    start_date: dt.date = Field(description="calendar date of t_days = 0")
    years: float = Field(gt=0, le=100, description="simulated horizon (years)")
    leader: str = Field(description="team the followers are measured against")
    run: RunSettings = RunSettings()
    uncertain: UncertainSpec | None = Field(
        None, description="parameters each replication draws (distributions or a posterior file)"
    )

    @model_validator(mode="after")
    def _leader_is_a_team(self):
        teams = getattr(self, "teams", None)  # every model names its teams
        if teams is not None and self.leader not in teams:
            raise ValueError(f"leader {self.leader!r} is not one of the teams {sorted(teams)}")
        return self


def find_scenario(name_or_path: str | Path) -> Path:
    """Resolve a scenario name (in the registered scenario folders) or a file path."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        if not p.is_file():
            raise ScenarioError(f"scenario: {str(name_or_path)!r} is not a readable file")
        return p
    for d in registry.scenario_dirs():
        cand = d / f"{name_or_path}.toml"
        if cand.is_file():
            return cand
    known = ", ".join(list_scenarios()) or "none"
    raise ScenarioError(f"scenario: {str(name_or_path)!r} is not a known scenario; known: {known}")


def list_scenarios() -> dict[str, str]:
    """Named scenarios and the first line of their description."""
    out = {}
    for d in registry.scenario_dirs():
        for f in sorted(d.glob("*.toml")):
            try:
                desc = read_toml(f).get("description", "")
            except ScenarioError:
                desc = "(unreadable)"
            out[f.stem] = desc.strip().splitlines()[0] if desc.strip() else ""
    return out


def read_toml(path: Path) -> dict:
    """The TOML file at ``path`` as a dict; an unreadable or malformed file is one
    :class:`ScenarioError` line naming the path.
    """
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"scenario: cannot read {str(path)!r}: {exc}") from None


def merge(base: Mapping, over: Mapping) -> dict:
    """``over`` laid on ``base``: sections merge key by key, other values replace."""
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve_base(data: dict, seen: tuple = ()) -> dict:
    """A scenario's data with its ``base`` scenario laid under it.

    ``base = "chatgpt_race"`` starts from that scenario; dotted keys listed in
    ``replace = ["teams.late_follower"]`` are removed from the base first, so
    that section is taken whole from this file (or dropped if absent here).
    """
    if "base" not in data:
        return data
    data = dict(data)
    name = data.pop("base")
    replace = data.pop("replace", [])
    if not isinstance(name, str) or name in seen:
        raise ScenarioError(f"base: {name!r} is not allowed: a scenario name, without cycles")
    if not isinstance(replace, list) or not all(isinstance(k, str) for k in replace):
        raise ScenarioError(f"replace: {replace!r} is not allowed: a list of section names")
    base = resolve_base(read_toml(find_scenario(name)), seen + (name,))
    for key in replace:
        *path, last = key.split(".")
        node = base
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(last, None)
    return merge(base, data)


def parse_value(text: str) -> Any:
    """A command-line value as TOML (``3``, ``0.5``, ``true``, ``[1, 2]``, ``"x"``), else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(data: dict, overrides: Mapping[str, Any]) -> dict:
    """A copy of ``data`` with dotted keys set, e.g. ``{"teams.leader.diagnosis": 0.5}``."""
    data = copy.deepcopy(data)
    for key, value in overrides.items():
        parts = key.split(".")
        if not all(parts):
            raise ScenarioError(f"{key}: malformed key; use dotted names like teams.leader.diagnosis")
        node = data
        for i, part in enumerate(parts[:-1]):
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            if not isinstance(nxt, dict):
                raise ScenarioError(
                    f"{'.'.join(parts[: i + 1])}: is a value, not a section; cannot set {key}"
                )
            node = nxt
        node[parts[-1]] = value
    return data


def validate(data: dict):
    """Validate raw scenario data with its model's schema; returns the params object."""
    model_name = data.get("model")
    if not isinstance(model_name, str):
        raise ScenarioError(
            f'model: {model_name!r} is not allowed: a scenario names its model, e.g. model = "llm"'
        )
    try:
        model = registry.get_model(model_name)
    except KeyError as exc:
        raise ScenarioError(exc.args[0]) from None
    try:
        return model.Params.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(describe_error(exc)) from None


def load(scenario: str | Path | Mapping, overrides: Mapping[str, Any] | None = None):
    """Load, override and validate a scenario (name, path, or a dict of raw data).

    A relative path in the scenario (its ``[uncertain]`` posterior) resolves
    against the scenario file's folder.
    """
    folder = None
    if isinstance(scenario, Mapping):
        data = dict(scenario)
    elif isinstance(scenario, BaseModel):
        data = scenario.model_dump(mode="json")
    else:
        path = find_scenario(scenario)
        folder = path.parent
        data = read_toml(path)
    params = validate(apply_overrides(resolve_base(data), overrides or {}))
    if params.uncertain is not None:
        params.uncertain = params.uncertain.resolve(folder)
    return params
