"""Scenarios: TOML files validated by pydantic, with dotted-key overrides.

A scenario is plain data (desmod-style): a sweep or a variant is a set of
overrides such as ``{"teams.leader.diagnosis": 0.5}``. Every validation
problem becomes one :class:`ScenarioError` whose message names the field, the
value and what is allowed.

Paths in a scenario (``base``, a fab route's ``route.csv``, the ``[uncertain]``
posterior) are relative to the scenario file's folder, never to the current
folder, so a same-named file where the command runs is never picked up
silently. A file that is not UTF-8 text, larger than :data:`MAX_FILE_BYTES`, or
nested deeper than :data:`MAX_DEPTH` is one error line, and a parse error
names the line and column, never the file's content.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, create_model, field_validator, model_validator

from . import registry
from .uncertain import UncertainSpec
from .validation import ScenarioError, Strict, check_label, describe_error, shown, shown_path

#: Replications a run may ask for (a job list is built before anything runs).
MAX_REPS = 1_000_000
#: Largest scenario file read (bytes); real ones are a few kB.
MAX_FILE_BYTES = 10 * 2**20
#: Deepest nesting of tables and arrays in a scenario or a --set value (real ones: 4).
MAX_DEPTH = 32
#: Longest scenario name (it becomes a folder name under results/).
MAX_NAME = 100


def per_area(name: str, areas, module: str, upper: float | None = None) -> type[Strict]:
    """A section with one number >= 0 (and <= ``upper``) per area, default 0,
    e.g. know-how by area; ``.array()`` gives the values in ``areas`` order.

    Assign it to ``name`` in ``module`` (pass ``__name__``) so it pickles:
    worker processes receive validated params by value.
    """
    areas = tuple(areas)
    fields = {a: (float, Field(0.0, ge=0, le=upper)) for a in areas}
    section: Any = create_model(name, __base__=Strict, __module__=module, **fields)  # type: ignore[call-overload]
    setattr(section, "array", lambda self: [getattr(self, a) for a in areas])  # noqa: B010 (mypy: dynamic)
    return section


class RunSettings(Strict):
    """A scenario's ``[run]`` section: replications, root seed and the trajectory grid (days)."""

    reps: int = Field(20, ge=1, le=MAX_REPS, description="replications")
    seed: int = Field(0, ge=0, description="root seed of the run's SeedSequence")
    grid_days: float = Field(14.0, gt=0, description="spacing of the trajectory grid (days)")


class ScenarioBase(Strict):
    """Fields every scenario has, whatever its model."""

    name: str
    model: str
    description: str = ""
    # not strict: a date read back from JSON (summary.json, a store's spec) is text
    start_date: dt.date = Field(strict=False, description="calendar date of t_days = 0")
    years: float = Field(gt=0, le=100, description="simulated horizon (years)")
    leader: str = Field(description="team the followers are measured against")
    run: RunSettings = RunSettings()
    uncertain: UncertainSpec | None = Field(
        None, description="parameters each replication draws (distributions or a posterior file)"
    )

    @field_validator("name")
    @classmethod
    def _printable_name(cls, name: str) -> str:
        if not name.strip() or len(name) > MAX_NAME or not name.isprintable():
            raise ValueError(f"a printable text of 1 to {MAX_NAME} characters (it names the output folder)")
        return name

    @model_validator(mode="after")
    def _leader_is_a_team(self):
        teams = getattr(self, "teams", None)  # every model names its teams
        if teams:  # none: a leader-only run (e.g. a production fab with no R&D teams)
            for team in teams:  # team names label figures and tables
                check_label("teams: name", team)
            if self.leader not in teams:
                raise ValueError(f"leader {shown(self.leader)} is not one of the teams {sorted(teams)}")
        return self


def find_scenario(name_or_path: str | Path, folder: Path | None = None) -> Path:
    """Resolve a scenario name (in the registered scenario folders) or a file path.

    A relative path resolves against ``folder`` when given (the folder of the
    scenario that names it as its ``base``), else against the current folder.
    """
    text = str(name_or_path)
    p = Path(text)
    is_path = p.suffix == ".toml" or "/" in text or os.sep in text
    if folder is None and not is_path:  # a file named on the command line
        is_path = p.is_file()  # a folder of that name (e.g. the data) is not a scenario
    if is_path:
        if folder is not None and not p.is_absolute():
            p = folder / p
        if not p.is_file():
            raise ScenarioError(f"scenario: {shown_path(name_or_path)} is not a readable file")
        return p
    for d in registry.scenario_dirs():
        cand = d / f"{name_or_path}.toml"
        if cand.is_file():
            return cand
    known = ", ".join(list_scenarios()) or "none"
    raise ScenarioError(f"scenario: {shown_path(name_or_path)} is not a known scenario; known: {known}")


def list_scenarios() -> dict[str, str]:
    """Named scenarios and the first line of their description."""
    out = {}
    for d in registry.scenario_dirs():
        for f in sorted(d.glob("*.toml")):
            try:
                desc = read_toml(f).get("description", "")
            except ScenarioError:
                desc = "(unreadable)"
            desc = desc if isinstance(desc, str) else ""
            out[f.stem] = desc.strip().splitlines()[0] if desc.strip() else ""
    return out


def depth(value, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of tables and arrays in ``value`` (counting stops past ``limit``)."""
    if limit < 0 or not isinstance(value, (Mapping, list, tuple)):
        return 0
    items = value.values() if isinstance(value, Mapping) else value
    return 1 + max((depth(v, limit - 1) for v in items), default=0)


def read_toml(path: Path) -> dict:
    """A TOML file's data; one error line (naming the file, never its content) if it is
    not a readable, UTF-8, well-formed TOML file of at most :data:`MAX_FILE_BYTES`."""
    where = f"scenario: cannot read {shown_path(path)}"
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"{where}: {exc.strerror or type(exc).__name__}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(f"{where}: larger than {MAX_FILE_BYTES // 2**20} MiB; is it a scenario file?")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{where}: not UTF-8 text (byte {exc.start}); is it a scenario file?") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # the message names the line and column; the text itself is never shown
        raise ScenarioError(f"{where}: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise ScenarioError(f"{where}: tables or arrays nest more than {MAX_DEPTH} deep") from None
    if depth(data) > MAX_DEPTH:
        raise ScenarioError(f"{where}: tables or arrays nest more than {MAX_DEPTH} deep")
    return data


def merge(base: Mapping, over: Mapping) -> dict:
    """``over`` laid on ``base``: sections merge key by key, other values replace."""
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve_base(data: dict, seen: tuple = (), folder: Path | None = None) -> dict:
    """A scenario's data with its ``base`` scenario laid under it.

    ``base = "chatgpt_race"`` starts from that scenario (a name, or a path
    relative to ``folder``, the folder of the file that names it); dotted keys
    listed in ``replace = ["teams.late_follower"]`` are removed from the base
    first, so that section is taken whole from this file (or dropped if absent
    here). A ``replace`` key the base does not have is an error: it is a typo,
    and ignoring it would merge what was meant to be replaced.
    """
    if "base" not in data:
        return data
    data = dict(data)
    name = data.pop("base")
    replace = data.pop("replace", [])
    if not isinstance(name, str) or not name or name in seen:
        raise ScenarioError(f"base: {shown(name)} is not allowed: a scenario name, without cycles")
    if not isinstance(replace, list) or not all(isinstance(k, str) for k in replace):
        raise ScenarioError(f"replace: {shown(replace)} is not allowed: a list of section names")
    path = find_scenario(name, folder)
    base = resolve_base(read_toml(path), seen + (name,), path.parent)
    for key in replace:
        *parents, last = key.split(".")
        node: Any = base
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or last not in node:
            raise ScenarioError(
                f"replace: {shown(key)} names nothing in base {shown(name)}; "
                "check the spelling against 'python -m sim show " + name + "'"
            )
        node.pop(last)
    return merge(base, data)


def parse_value(text: str) -> Any:
    """A command-line value as TOML (``3``, ``0.5``, ``true``, ``[1, 2]``, ``"x"``), else a string."""
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    except RecursionError:
        value = None
    if value is None or depth(value) > MAX_DEPTH:
        raise ScenarioError(
            f"value {shown(text)} is not allowed: arrays or tables nest more than {MAX_DEPTH} deep"
        )
    return value


def apply_overrides(data: dict, overrides: Mapping[str, Any]) -> dict:
    """A copy of ``data`` with dotted keys set, e.g. ``{"teams.leader.diagnosis": 0.5}``."""
    data = copy.deepcopy(data)
    for key, value in overrides.items():
        parts = key.split(".") if isinstance(key, str) else [""]
        if not all(parts):
            raise ScenarioError(f"{shown(key)}: malformed key; use dotted names like teams.leader.diagnosis")
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


def validate(data: dict, folder: Path | None = None):
    """Validate raw scenario data with its model's schema; returns the params object.

    ``folder``: where relative paths in the data resolve (the scenario file's
    folder), passed to the model's validators as the validation context
    ``{"folder": folder}``; None is the current folder.
    """
    if depth(data) > MAX_DEPTH:
        raise ScenarioError(f"scenario: tables or arrays nest more than {MAX_DEPTH} deep")
    model_name = data.get("model")
    if not isinstance(model_name, str):
        raise ScenarioError(
            f'model: {shown(model_name)} is not allowed: a scenario names its model, e.g. model = "llm"'
        )
    try:
        model = registry.get_model(model_name)
    except KeyError as exc:
        raise ScenarioError(exc.args[0]) from None
    try:
        return model.Params.model_validate(data, context={"folder": folder})
    except ValidationError as exc:
        raise ScenarioError(describe_error(exc)) from None


def relative_to_scenario(path: str, context) -> Path:
    """A path named in a scenario, resolved against the scenario file's folder (the
    validation context's ``folder``, see :func:`validate`), or the current folder."""
    p = Path(path)
    folder = (context or {}).get("folder") if isinstance(context, Mapping) else None
    if not p.is_absolute():
        p = Path(folder or ".") / p
    return p.absolute()


def load(scenario: str | Path | Mapping, overrides: Mapping[str, Any] | None = None):
    """Load, override and validate a scenario (name, path, or a dict of raw data).

    Relative paths in the scenario (its ``base``, a route CSV, its
    ``[uncertain]`` posterior) resolve against the scenario file's folder
    (the current folder for raw data), and are absolute in the params.
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
    params = validate(apply_overrides(resolve_base(data, folder=folder), overrides or {}), folder)
    if params.uncertain is not None:
        params.uncertain = params.uncertain.resolve(folder)
    return params
