"""Parameter uncertainty: each replication draws its own values of uncertain parameters.

A scenario's ``[uncertain]`` section maps dotted keys to distributions (the
same specs as priors, :mod:`sim.distributions`), or names a posterior file of
weighted particles, or both:

.. code-block:: toml

    [uncertain]
    posterior = "frontier_2023_posterior.parquet"   # relative to the scenario file
    "teams.meta.diagnosis" = { dist = "beta", a = 6, b = 4 }

A posterior file (as written by :meth:`sim.calibrate.Posterior.to_parquet`) has
one column per dotted key and a ``weight`` column; a replication takes one
particle with probability proportional to its weight, so parameters keep their
posterior correlation. :func:`draw` gives the overrides for replication ``rep``
from streams named ``"uncertain", ...`` of :class:`sim.streams.Streams`, so rep
``r`` draws the same values whatever the number of workers, and no other
stream (teams, world) is touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import PrivateAttr, RootModel, model_validator
from pydantic_core import PydanticCustomError

from .distributions import Distribution, parse_distribution, spec_leaves
from .knowhow import pick_in_proportion
from .streams import Streams
from .validation import ScenarioError

__all__ = ["UncertainSpec", "load_posterior", "draw", "parse_uncertain"]

POSTERIOR_KEY = "posterior"
WEIGHT = "weight"


class UncertainSpec(RootModel[dict[str, Distribution | str]]):
    """The ``[uncertain]`` section: dotted key -> distribution, plus an optional ``posterior`` file.

    Use as a scenario field, ``uncertain: UncertainSpec | None = None``;
    a problem is one error line naming the key, e.g.
    ``uncertain: world.hazard_median: lo 0.2 > hi 0.1 is not allowed``.
    Call :meth:`resolve` with the scenario file's folder before drawing.
    """

    # particles read by resolve(): carried by value to worker processes, so a
    # remote worker does not need the file
    _particles: pd.DataFrame | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any):
        if isinstance(data, UncertainSpec):
            return data.root
        if not isinstance(data, Mapping):
            # a custom error: its message is shown as is, without pydantic's "Value error, "
            raise PydanticCustomError(
                "uncertain_table", "a table of dotted key = distribution, or posterior = FILE"
            )
        out: dict[str, Any] = {}
        for key, value in spec_leaves(data):
            if key == POSTERIOR_KEY:
                if not isinstance(value, str) or not value:
                    raise ValueError(f"posterior: {value!r} is not allowed: a parquet file name")
                out[key] = value
            else:
                try:
                    out[key] = parse_distribution(value, key, context="")
                except ScenarioError as exc:  # pydantic prefixes the section's location
                    raise ValueError(str(exc).removeprefix(": ")) from None
        return out

    @property
    def distributions(self) -> dict[str, Distribution]:
        """Independent distributions by dotted key."""
        return {k: v for k, v in self.root.items() if k != POSTERIOR_KEY and not isinstance(v, str)}

    @property
    def posterior(self) -> str | None:
        """The posterior file as written in the scenario (resolved by :meth:`resolve`)."""
        value = self.root.get(POSTERIOR_KEY)
        return value if isinstance(value, str) else None

    @property
    def keys(self) -> list[str]:
        """Every dotted key a draw sets: the posterior's columns (once resolved), then the distributions."""
        cols = [] if self._particles is None else [c for c in self._particles.columns if c != WEIGHT]
        return cols + sorted(self.distributions)

    def resolve(self, base_dir: str | Path | None = None) -> UncertainSpec:
        """A copy whose posterior path is absolute (relative paths against ``base_dir``, the
        scenario file's folder) and whose particles are read and checked now, so a bad
        file is reported when the scenario loads, not in a worker."""
        out = UncertainSpec.model_validate(dict(self.root))
        if self.posterior is None:
            return out
        path = Path(self.posterior)
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        out.root[POSTERIOR_KEY] = str(path.resolve())
        out._particles = load_posterior(path)
        both = sorted(set(out._particles.columns) & set(self.distributions))
        if both:
            raise ScenarioError(
                f"uncertain: {both[0]}: is both a posterior column and a distribution; keep one"
            )
        return out

    def particles(self) -> pd.DataFrame | None:
        """The posterior's particles (weights summing to 1), read on first use if not resolved."""
        if self.posterior is not None and self._particles is None:
            self._particles = load_posterior(Path(self.posterior))
        return self._particles


def parse_uncertain(data: Any, base_dir: str | Path | None = None) -> UncertainSpec:
    """A resolved :class:`UncertainSpec` from raw data, or one ``uncertain: ...`` error line."""
    from pydantic import ValidationError

    try:
        spec = UncertainSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"uncertain: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None
    return spec.resolve(base_dir)


def load_posterior(path: str | Path) -> pd.DataFrame:
    """Weighted particles from a parquet file: numeric parameter columns and ``weight``.

    Returns a DataFrame with the weights normalised to sum to 1. Raises one
    ``uncertain.posterior: ...`` line if the file cannot be read or is not a
    valid posterior (no ``weight`` column, no parameter, non-numeric or
    non-finite values, negative or all-zero weights).
    """
    where = f"uncertain.posterior: {str(path)!r}"
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a missing or bad file
        raise ScenarioError(f"{where}: cannot read: {str(exc).splitlines()[0]}") from None
    if WEIGHT not in df.columns:
        raise ScenarioError(f"{where}: has no {WEIGHT!r} column (columns: {list(df.columns)})")
    params = [c for c in df.columns if c != WEIGHT]
    if not params:
        raise ScenarioError(f"{where}: has no parameter column besides {WEIGHT!r}")
    if len(df) == 0:
        raise ScenarioError(f"{where}: has no particle")
    for col in df.columns:
        if not pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col]):
            raise ScenarioError(f"{where}: column {col!r} is not numeric ({df[col].dtype})")
        if not np.isfinite(df[col].to_numpy(dtype=float)).all():
            raise ScenarioError(f"{where}: column {col!r} has a missing or infinite value")
    w = df[WEIGHT].to_numpy(dtype=float)
    if (w < 0).any() or not w.sum() > 0:
        raise ScenarioError(f"{where}: weights must be >= 0 with a positive sum")
    out = df[params].astype(float).reset_index(drop=True)
    out[WEIGHT] = w / w.sum()
    return out


def draw(spec: UncertainSpec, seed: int, rep: int) -> dict[str, float]:
    """The overrides (dotted key -> value) of replication ``rep`` of a run with ``seed``.

    A posterior particle is chosen with probability proportional to its weight
    from the stream ``("uncertain", "posterior")``; each distribution is drawn
    by inversion from its own stream ``("uncertain", key)``, so adding or
    changing one uncertain parameter leaves the others' draws unchanged.
    """
    streams = Streams(seed, rep)
    out: dict[str, float] = {}
    particles = spec.particles()
    if particles is not None:
        i = pick_in_proportion(streams.generator("uncertain", POSTERIOR_KEY), particles[WEIGHT].to_numpy())
        row = particles.iloc[i]
        out.update({c: float(row[c]) for c in particles.columns if c != WEIGHT})
    for key in sorted(spec.distributions):
        u = streams.generator("uncertain", key).random()
        out[key] = float(spec.distributions[key].ppf(u))
    return out
