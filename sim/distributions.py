"""Probability distributions for priors and parameter uncertainty, as strict data.

A distribution is a small TOML table whose ``dist`` names the family, e.g.
``{dist = "loguniform", lo = 0.003, hi = 0.05}``. Families and their fields:

========================  ===========================================================
``uniform(lo, hi)``       flat on [lo, hi]
``loguniform(lo, hi)``    flat in log on [lo, hi], 0 < lo
``normal(mean, sd)``      Gaussian; truncated to [lo, hi] when ``lo``/``hi`` are given
``lognormal(median, s)``  log is Gaussian with median ``median`` and sd ``sigma``
``beta(a, b)``            on [0, 1]
``triangular(lo, m, hi)`` lo <= mode <= hi
========================  ===========================================================

Each is a pydantic model (unknown keys are errors) with ``sample(rng, n)``,
``logpdf(x)``, ``ppf(u)`` and ``bounds``, computed by ``scipy.stats``.
Parameters carry the unit of the scenario value they describe.
:func:`parse_distribution` turns raw data into one, or raises one
:class:`~sim.scenario.ScenarioError` line that names the dotted key, the value
and what is allowed.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, TypeAdapter, ValidationError, model_validator

from .validation import ScenarioError, Strict

__all__ = [
    "Uniform",
    "LogUniform",
    "Normal",
    "LogNormal",
    "Beta",
    "Triangular",
    "Distribution",
    "DISTRIBUTIONS",
    "parse_distribution",
    "describe_distribution_error",
]

# finite numbers only: an infinite bound is a typo, not a choice
Finite = Annotated[float, Field(allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]


def _ordered(lo: float, hi: float) -> None:
    if lo >= hi:
        rel = "=" if lo == hi else ">"
        raise ValueError(f"lo {lo!r} {rel} hi {hi!r} is not allowed: lo must be below hi")


@functools.lru_cache(maxsize=256)
def _frozen(name: str, kwargs: tuple):
    # making a frozen scipy distribution costs ~0.3 ms: more than a draw; scipy.stats itself
    # loads here, not at import (a second of start-up every command would pay)
    import scipy.stats as st

    return getattr(st, name)(**dict(kwargs))


class _Base(Strict):
    """What every family offers; subclasses say which ``scipy.stats`` distribution they are."""

    def scipy_spec(self) -> tuple[str, dict[str, float]]:
        """``(name, keyword arguments)`` of the equivalent ``scipy.stats`` distribution."""
        raise NotImplementedError

    def frozen(self):
        """The frozen ``scipy.stats`` distribution (cached per parameters, outside the model,
        so a pickled spec stays plain data)."""
        name, kwargs = self.scipy_spec()
        return _frozen(name, tuple(sorted(kwargs.items())))

    @property
    def bounds(self) -> tuple[float, float]:
        """Support ``(lo, hi)``; ``-inf``/``inf`` where unbounded."""
        lo, hi = self.frozen().support()
        return float(lo), float(hi)

    def ppf(self, u):
        """Quantile function: the value below which a share ``u`` in [0, 1] of the mass lies."""
        return self.frozen().ppf(u)

    def logpdf(self, x):
        """Log density at ``x`` (``-inf`` outside the support)."""
        return self.frozen().logpdf(x)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` independent draws from ``rng``, by inversion (``ppf`` of uniforms).

        Inversion, rather than each family's own sampler, means one uniform per
        draw whatever the family, so changing a distribution moves a draw to the
        same quantile of the new one (common random numbers across priors).
        """
        return np.asarray(self.ppf(rng.random(n)), dtype=float)


class Uniform(_Base):
    """Flat on [lo, hi]."""

    dist: Literal["uniform"]
    lo: Finite
    hi: Finite

    @model_validator(mode="after")
    def _check(self):
        _ordered(self.lo, self.hi)
        return self

    def scipy_spec(self):
        """``scipy.stats.uniform`` on [lo, hi]."""
        return "uniform", {"loc": self.lo, "scale": self.hi - self.lo}


class LogUniform(_Base):
    """Flat in log on [lo, hi], 0 < lo < hi: for a scale known to an order of magnitude."""

    dist: Literal["loguniform"]
    lo: Positive
    hi: Positive

    @model_validator(mode="after")
    def _check(self):
        _ordered(self.lo, self.hi)
        return self

    def scipy_spec(self):
        """``scipy.stats.loguniform`` on [lo, hi]."""
        return "loguniform", {"a": self.lo, "b": self.hi}


class Normal(_Base):
    """Gaussian with ``mean`` and ``sd`` > 0, truncated to [lo, hi] when either bound is given."""

    dist: Literal["normal"]
    mean: Finite
    sd: Positive
    lo: Finite | None = None
    hi: Finite | None = None

    @model_validator(mode="after")
    def _check(self):
        if self.lo is not None and self.hi is not None:
            _ordered(self.lo, self.hi)
        if self.lo is not None or self.hi is not None:
            a, b = self._standard_bounds()
            # bounds far out in one tail leave no mass: scipy would return NaNs
            norm = _frozen("norm", ())
            if not norm.cdf(b) - norm.cdf(a) > 1e-12:
                raise ValueError(
                    f"bounds [{self.lo}, {self.hi}] are not allowed: they hold no probability "
                    f"of normal(mean={self.mean}, sd={self.sd})"
                )
        return self

    def _standard_bounds(self) -> tuple[float, float]:
        a = -math.inf if self.lo is None else (self.lo - self.mean) / self.sd
        b = math.inf if self.hi is None else (self.hi - self.mean) / self.sd
        return a, b

    def scipy_spec(self):
        """``scipy.stats.norm``, or ``truncnorm`` when a bound is given."""
        if self.lo is None and self.hi is None:
            return "norm", {"loc": self.mean, "scale": self.sd}
        a, b = self._standard_bounds()
        return "truncnorm", {"a": a, "b": b, "loc": self.mean, "scale": self.sd}


class LogNormal(_Base):
    """log(X) is Gaussian: median ``median`` > 0, log-sd ``sigma`` > 0."""

    dist: Literal["lognormal"]
    median: Positive
    sigma: Positive

    def scipy_spec(self):
        """``scipy.stats.lognorm`` with shape ``sigma`` and scale ``median``."""
        return "lognorm", {"s": self.sigma, "scale": self.median}


class Beta(_Base):
    """Beta(a, b) on [0, 1], a, b > 0: for shares and probabilities."""

    dist: Literal["beta"]
    a: Positive
    b: Positive

    def scipy_spec(self):
        """``scipy.stats.beta`` with shapes ``a`` and ``b``."""
        return "beta", {"a": self.a, "b": self.b}


class Triangular(_Base):
    """Triangular on [lo, hi] with its peak at ``mode``: a three-point expert guess."""

    dist: Literal["triangular"]
    lo: Finite
    mode: Finite
    hi: Finite

    @model_validator(mode="after")
    def _check(self):
        _ordered(self.lo, self.hi)
        if not self.lo <= self.mode <= self.hi:
            raise ValueError(
                f"mode {self.mode!r} is not allowed: it must lie in [lo, hi] = [{self.lo}, {self.hi}]"
            )
        return self

    def scipy_spec(self):
        """``scipy.stats.triang`` on [lo, hi] with its peak at ``mode``."""
        width = self.hi - self.lo
        return "triang", {"c": (self.mode - self.lo) / width, "loc": self.lo, "scale": width}


Distribution = Annotated[
    Uniform | LogUniform | Normal | LogNormal | Beta | Triangular, Field(discriminator="dist")
]
DISTRIBUTIONS: dict[str, type[_Base]] = {
    "uniform": Uniform,
    "loguniform": LogUniform,
    "normal": Normal,
    "lognormal": LogNormal,
    "beta": Beta,
    "triangular": Triangular,
}
_ADAPTER: TypeAdapter = TypeAdapter(Distribution)


def _fields(family: str) -> str:
    return ", ".join(k for k in DISTRIBUTIONS[family].model_fields if k != "dist")


def describe_distribution_error(key: str, raw: Any, exc: ValidationError) -> str:
    """One line for the first problem of a distribution spec, led by its dotted ``key``."""
    err = exc.errors()[0]
    kind, msg = err["type"], err["msg"].removeprefix("Value error, ")
    names = ", ".join(DISTRIBUTIONS)
    if kind == "union_tag_not_found":
        return f"{key}.dist: missing; name a distribution, one of {names}"
    if kind == "union_tag_invalid":
        return f"{key}.dist: {raw.get('dist')!r} is not allowed: one of {names}"
    family, *field = [str(x) for x in err["loc"]]  # the union puts the family first
    where = ".".join([key, *field])
    if kind == "extra_forbidden":
        return f"{where}: unknown key (value {err['input']!r}); {family} takes {_fields(family)}"
    if kind == "missing":
        return f"{where}: missing; {family} needs {_fields(family)}"
    if not field:  # a check across fields: the message names them and their values
        return f"{where}: {msg}"
    return f"{where}: {err['input']!r} is not allowed: {msg}"


def parse_distribution(raw: Any, key: str, context: str = "priors"):
    """A validated distribution from raw data (a TOML table), e.g. for ``key`` "world.hazard_median".

    Raises :class:`ScenarioError` with one line ``"{context}: {key}[.field]: problem"``.
    """
    if isinstance(raw, _Base):
        return raw
    if not isinstance(raw, Mapping):
        raise ScenarioError(
            f"{context}: {key}: {raw!r} is not allowed: a distribution is a table such as "
            '{dist = "uniform", lo = 0, hi = 1}'
        )
    try:
        return _ADAPTER.validate_python(dict(raw))
    except ValidationError as exc:
        raise ScenarioError(f"{context}: {describe_distribution_error(key, raw, exc)}") from None


def spec_leaves(data: Mapping, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, spec) pairs: a table with ``dist``, or any non-table, is a leaf."""
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and "dist" not in value:
            if all(isinstance(v, Mapping) for v in value.values()):
                yield from spec_leaves(value, dotted + ".")
                continue
        yield dotted, value
