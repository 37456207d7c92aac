"""Priors for calibration: a TOML file with one table per dotted scenario key.

.. code-block:: toml

    ["world.hazard_median"]      # quoted: the key is the scenario's dotted key
    dist = "loguniform"
    lo = 0.003                   # source or "assumption", as in scenario files
    hi = 0.05

    [abc]                        # optional settings of the ABC-SMC run
    population_size = 200
    generations = 8
    max_simulations = 20000

An unquoted ``[world.hazard_median]`` means the same (TOML nests it; the
nesting is read back as the dotted key). Every problem (a malformed file, a key
the scenario does not have, an unknown distribution, reversed bounds) is one
:class:`~sim.scenario.ScenarioError` line starting ``priors:``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, model_validator

from .distributions import Distribution, parse_distribution, spec_leaves
from .validation import ScenarioError, Strict, _describe

__all__ = ["AbcSettings", "Priors", "load_priors", "parse_priors", "scenario_keys"]


class AbcSettings(Strict):
    """Settings of an ABC-SMC run (the ``[abc]`` table).

    The defaults are a small run (about 100 particles x 6 generations), an
    assumption to be sized against the cost of one simulation.
    """

    population_size: int = Field(100, ge=2, description="accepted particles per generation")
    generations: int = Field(6, ge=1, description="most generations (SMC populations) to run")
    max_simulations: int = Field(
        5000, ge=1, description="most model simulations in all, the prior calibration sample included"
    )
    epsilon_quantile: float = Field(
        0.5, gt=0, lt=1, description="next threshold = this quantile of the last generation's distances"
    )
    epsilons: list[float] | None = Field(
        None, description="a fixed, decreasing threshold per generation instead of the quantile rule"
    )
    min_epsilon: float = Field(0.0, ge=0, description="stop once the threshold falls to this distance")
    batch_size: int | None = Field(
        None, ge=1, description="candidates per job (default: population_size / 10, at least 1)"
    )

    @model_validator(mode="after")
    def _check(self):
        if self.epsilons is not None:
            eps = self.epsilons
            if not eps or any(not e > 0 for e in eps) or any(b >= a for a, b in zip(eps, eps[1:])):
                raise ValueError(
                    f"epsilons {eps!r} are not allowed: a non-empty, decreasing list of numbers > 0"
                )
            if "generations" in self.model_fields_set and self.generations != len(eps):
                raise ValueError(
                    f"generations {self.generations} is not allowed with {len(eps)} epsilons: "
                    "give one epsilon per generation, or leave generations out"
                )
        if self.max_simulations < 2 * self.population_size:
            # one prior sample to set the distance scales, one generation at least
            raise ValueError(
                f"max_simulations {self.max_simulations} is not allowed: at least 2 x population_size "
                f"({2 * self.population_size})"
            )
        return self

    @property
    def n_generations(self) -> int:
        """Generations to run: one per fixed epsilon, else ``generations``."""
        return len(self.epsilons) if self.epsilons is not None else self.generations

    @property
    def batch(self) -> int:
        """Candidates per job; fixed by the settings, never by the number of workers."""
        return self.batch_size or max(1, self.population_size // 10)


@dataclass(frozen=True)
class Priors:
    """Independent priors per dotted key (in file order) and the ABC settings."""

    params: dict[str, Distribution]
    abc: AbcSettings = field(default_factory=AbcSettings)
    source: str = "<data>"

    @property
    def keys(self) -> list[str]:
        """The dotted keys with a prior, in file order."""
        return list(self.params)


def parse_priors(data: Mapping, known_key: Callable[[str], bool], source: str = "<data>") -> Priors:
    """Priors from raw data (a parsed TOML file); see :func:`load_priors`."""
    settings = AbcSettings()
    params: dict[str, Distribution] = {}
    for key, value in data.items():
        if key == "abc":
            if not isinstance(value, Mapping):
                raise ScenarioError(f"priors: abc: {value!r} is not allowed: a table of settings")
            try:
                settings = AbcSettings.model_validate(dict(value))
            except ValidationError as exc:
                err = exc.errors()[0]
                if err["type"] == "extra_forbidden":
                    allowed = ", ".join(AbcSettings.model_fields)
                    raise ScenarioError(
                        f"priors: abc.{err['loc'][0]}: unknown setting (value {err['input']!r}); "
                        f"allowed: {allowed}"
                    ) from None
                sep = "." if err["loc"] else ": "  # a check across settings has no field
                raise ScenarioError(f"priors: abc{sep}{_describe(err)}") from None
            continue
        for dotted, spec in spec_leaves({key: value}):
            if not known_key(dotted):
                raise ScenarioError(
                    f"priors: {dotted}: unknown parameter key; it is not a number in the scenario "
                    "(list them with 'python -m sim show SCENARIO')"
                )
            params[dotted] = parse_distribution(spec, dotted, context="priors")
    if not params:
        raise ScenarioError(
            f"priors: {source!r} names no parameter; add a table per dotted key, e.g. "
            '["world.hazard_median"] with dist = "loguniform", lo = 0.003, hi = 0.05'
        )
    return Priors(params=params, abc=settings, source=source)


def load_priors(path: str | Path, known_key: Callable[[str], bool]) -> Priors:
    """Read and validate a priors TOML file.

    Parameters
    ----------
    path : str or Path
        The file.
    known_key : callable
        ``known_key("world.hazard_median")`` is true when the scenario being
        calibrated has that dotted key (e.g. ``scenario_keys(params).__contains__``).

    Raises
    ------
    ScenarioError
        One line: unreadable or malformed file, unknown key, unknown distribution,
        bad distribution parameters, bad ``[abc]`` settings.
    """
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"priors: cannot read {str(path)!r}: {exc}") from None
    return parse_priors(data, known_key, source=str(path))


def scenario_keys(params: BaseModel | Mapping) -> set[str]:
    """Dotted keys of every number in a validated scenario (or its raw data), e.g.
    ``"teams.leader.diagnosis"``: the keys a prior or an uncertain parameter may name."""
    data = params.model_dump() if isinstance(params, BaseModel) else params
    out: set[str] = set()

    def walk(node: Mapping, prefix: str) -> None:
        for key, value in node.items():
            if isinstance(value, Mapping):
                walk(value, f"{prefix}{key}.")
            elif isinstance(value, int | float) and not isinstance(value, bool):
                out.add(f"{prefix}{key}")

    walk(data, "")
    return out
