"""Know-how as latent failure modes, found by failing and fixed by diagnosis.

This is reliability growth by test, analyse and fix (Duane 1964; Crow-AMSAA,
MIL-HDBK-189C), the mechanism of DESIGN §3.1:

* the *world* holds failure modes, each in an area, with an onset (the level a
  run must reach to meet it: log10 effective compute, a route position, ...)
  and a heavy-tailed (lognormal) hazard, so the big modes are found first and
  an aggregate learning curve emerges instead of being imposed;
* each team's :class:`KnowHow` is how much of every mode's hazard it still
  carries (``residual``, 1 = unfixed);
* a run survives with probability ``exp(-sum of exposed residual hazards)``;
  a failure is caused by one mode drawn in proportion to its hazard;
* an identified mode is fixed with a fix effectiveness factor (default 0.7:
  the hazard keeps 30%); part of a fix is codified (kept), part tacit, which
  regresses with a monthly retention;
* absorptive capacity, built from a team's own recent fixes, gates how much it
  can take from others (Cohen & Levinthal 1990).

Nothing here knows what an area or an onset means: models supply exposure.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from . import kernels
from .units import DAYS_PER_MONTH


@dataclass(frozen=True)
class FailureModes:
    """The world's latent failure modes, shared by every team of a replication.

    Attributes (arrays of one length, one entry per mode)
    ----------------------------------------------------
    area : int array, index into ``areas``
    onset : float array, level at which a run first meets the mode
    hazard : float array, base hazard (expected failures per run at exposure 1)
    silent : bool array, True for modes that cost quality instead of killing a run
    u : float array in [0, 1), a fixed uniform per mode; teams' initial
        know-how is drawn from it, so a better team has fixed a superset of a
        worse team's modes (common random numbers across variants)
    areas : tuple of area names
    """

    area: np.ndarray
    onset: np.ndarray
    hazard: np.ndarray
    silent: np.ndarray
    u: np.ndarray
    areas: tuple

    @classmethod
    def draw(
        cls,
        rng: np.random.Generator,
        areas,
        onsets,
        modes_per_band,
        hazard_median: float,
        hazard_sigma: float,
        silent_share,
    ) -> FailureModes:
        """Draw modes band by band.

        Parameters
        ----------
        areas : sequence of str
        onsets : 1-d array, the lower edge of each band (level units)
        modes_per_band : mapping area -> mean number of modes per band (Poisson)
        hazard_median, hazard_sigma : lognormal hazard per mode (per run at exposure 1)
        silent_share : mapping area -> probability a mode of that area is silent
        """
        areas = tuple(areas)
        area_idx, onset = [], []
        for a, name in enumerate(areas):
            counts = rng.poisson(modes_per_band[name], size=len(onsets))
            area_idx.append(np.full(counts.sum(), a))
            onset.append(np.repeat(np.asarray(onsets, float), counts))
        area_arr = np.concatenate(area_idx).astype(np.int64)
        onset_arr = np.concatenate(onset)
        n = len(area_arr)
        hazard = hazard_median * np.exp(hazard_sigma * rng.standard_normal(n))
        share = np.array([silent_share[name] for name in areas])[area_arr]
        silent = rng.random(n) < share
        u = rng.random(n)
        order = np.argsort(onset_arr, kind="stable")  # sorted by onset: exposure is a prefix
        return cls(area_arr[order], onset_arr[order], hazard[order], silent[order], u[order], areas)

    def __len__(self) -> int:
        return len(self.hazard)

    @cached_property
    def onset_list(self) -> list[float]:
        """``onset`` as a Python list: :func:`prefix_length` searches it with :mod:`bisect`, which
        is several times cheaper per call than ``np.searchsorted`` on arrays this small."""
        return self.onset.tolist()

    @cached_property
    def hazard_list(self) -> list[float]:
        """``hazard`` as a Python list (one item at a time is cheaper from a list than an array)."""
        return self.hazard.tolist()

    @cached_property
    def area_list(self) -> list[int]:
        """``area`` as a Python list."""
        return self.area.tolist()

    def prefix_length(self, level: float) -> int:
        """How many modes have onset <= ``level`` (they come first: modes are sorted by onset)."""
        return bisect.bisect_right(self.onset_list, level)


def reach_exposure(onset: np.ndarray, level: float, slope: float, cap: float) -> np.ndarray:
    """Exposure of a run reaching ``level`` to modes with the given onsets.

    The exposure law (a documented assumption, DESIGN §3.1): 0 below a mode's
    onset; at and past it ``1 + slope * (level - onset)``, capped at ``cap``.
    A run that reaches far past a mode's onset stresses it harder; ``slope = 0``
    gives the plain "exposed or not" law.
    """
    past = level - onset
    x = np.minimum(1.0 + slope * past, cap)
    return np.where(past >= 0.0, x, 0.0)


def identify_probability(diagnosis: float, confounders: float, confounding: float) -> float:
    """Chance that a failure's cause is identified.

    ``diagnosis / (1 + confounding * confounders)``: a failure is harder to
    pin down when many unfixed modes are exposed at once, which is why teams
    debug at small scale first (DESIGN §3.1, a documented assumption).
    """
    return diagnosis / (1.0 + confounding * confounders)


def pick_in_proportion(rng: np.random.Generator, weights: np.ndarray) -> int:
    """The index of one entry of ``weights`` drawn in proportion to its weight; -1 if all are 0.

    One uniform draw, found by binary search on the cumulative weights.
    """
    # np.add.accumulate and np.add.reduce are what cumsum() and sum() call, without their Python
    # wrappers: the same sums, a large share of the cost on arrays this small.
    cum = np.add.accumulate(weights)
    if len(cum) == 0:
        return -1
    top = float(cum[-1])
    if top <= 0.0:
        return -1
    return min(int(cum.searchsorted(rng.random() * top, side="right")), len(cum) - 1)


def draw_failure(rng: np.random.Generator, hazards: np.ndarray) -> int:
    """Draw a run's outcome: -1 if it survives, else the index of the causing mode.

    The run survives with probability ``exp(-hazards.sum())``; a failure is
    caused by one mode drawn in proportion to its hazard.
    """
    total = float(np.add.reduce(hazards))
    if total <= 0.0 or rng.random() >= -math.expm1(-total):
        return -1
    return pick_in_proportion(rng, hazards)


class KnowHow:
    """One team's know-how: how much of each world mode's hazard it still carries.

    Parameters
    ----------
    modes : FailureModes
    fix_effectiveness : float in [0, 1]
        Share of a mode's remaining hazard removed by one fix (MIL-HDBK-189: ~0.7).
    codified_share : float in [0, 1]
        Share of each fix that is codified (never regresses); the rest is tacit.
    retention_per_month : float in (0, 1]
        Monthly retention of the tacit part of fixes (people leave, tools rot).
    absorptive_scale : float > 0
        Recent own fixes at which absorptive capacity reaches 1 - 1/e.
    absorptive_months : float > 0
        Time constant (months) over which own fixes stop counting as recent.

    Attributes
    ----------
    residual : float array, share of each mode's base hazard still carried (1 = unfixed)
    residual_hazard : float array, ``modes.hazard * residual`` (expected failures per run at
        exposure 1), kept up to date with ``residual``: every run needs it, and a fix changes one entry.
        Both are updated in place, never replaced, so a caller may keep views of them.

    Every run asks for its hazards, and a replication has thousands of runs over a few hundred
    modes, so what changes only with a fix or a month is kept rather than recomputed. Each cached
    value is computed by the same numpy operations, in the same order, as the plain formula, so
    results are identical to the last bit.
    """

    #: Levels whose exposure is remembered (a slot's runs often repeat a level; more would only
    #: hold levels that never come back).
    EXPOSURE_CACHE = 16

    def __init__(
        self,
        modes: FailureModes,
        fix_effectiveness: float = 0.7,
        codified_share: float = 0.5,
        retention_per_month: float = 0.95,
        absorptive_scale: float = 3.0,
        absorptive_months: float = 12.0,
    ):
        self.modes = modes
        self.fix_effectiveness = fix_effectiveness
        self.codified_share = codified_share
        self.retention_per_month = retention_per_month
        self.absorptive_scale = absorptive_scale
        self.absorptive_months = absorptive_months
        n = len(modes)
        order = np.argsort(modes.onset, kind="stable")
        if np.any(order != np.arange(n)):
            raise ValueError("FailureModes must be sorted by onset")
        self.codified = np.zeros(n)  # hazard share removed for good
        self.tacit = np.zeros(n)  # hazard share removed, regressing
        self.residual = np.ones(n)  # share of base hazard still carried (1 = unfixed)
        self.residual_hazard = modes.hazard * self.residual
        self._hazard = modes.hazard_list  # shared by every team of the world
        self._exposure: dict = {}  # (level, slope, cap) -> exposure of the modes with onset <= level
        self._area = modes.area_list
        # Maturity per area, for the prefix of _maturity_k modes; an area goes stale when one
        # of its modes in that prefix is fixed, all of them when the prefix or a month changes.
        self._maturity_k = -1
        self._maturity: list[float] = []
        self._fresh = [False] * len(modes.areas)
        self._base_k = -1  # prefix length of the cached base hazard per area
        self._base: list[float] = []
        self.t_days = 0.0
        self._recent = 0.0  # decayed count of own fixes
        self._absorptive_of = math.nan  # the _recent the cached absorptive capacity is for
        self._absorptive = 0.0

    def _update(self) -> None:
        np.subtract(1.0 - self.codified, self.tacit, out=self.residual)
        np.multiply(self.modes.hazard, self.residual, out=self.residual_hazard)
        self._maturity_k = -1  # know-how changed

    def seed(self, levels: np.ndarray, up_to: float, absorptive: float = 0.0, practice: float = 0.0) -> None:
        """Set initial know-how from a team's past work up to level ``up_to``.

        ``levels`` is the expected number of past fixes per mode at the edge of
        the team's experience, by area; modes further below were practised
        longer: ``level * (1 + practice * (up_to - onset))`` expected fixes.
        The whole count is ``floor(expected + u)`` with the mode's world
        uniform ``u``, so a team with a higher level has fixed a superset of
        the modes. Past know-how counts as codified. ``absorptive`` is the
        initial absorptive capacity in [0, 1).
        """
        m = self.modes
        depth = 1.0 + practice * np.maximum(up_to - m.onset, 0.0)
        times = np.floor(np.asarray(levels, float)[m.area] * depth + m.u)
        times = np.where(m.onset <= up_to, times, 0.0)
        self.codified = 1.0 - (1.0 - self.fix_effectiveness) ** times
        self.tacit = np.zeros(len(m))
        self._update()
        self._recent = -self.absorptive_scale * np.log1p(-min(absorptive, 0.999))

    def advance(self, t_days: float) -> None:
        """Let time pass to ``t_days``: tacit fixes regress, recent fixes age.

        Both happen in whole months (a month's regression is applied once the
        month is over), so know-how changes at most monthly between fixes and
        the maturity of an area can be cached.
        """
        months = math.floor((t_days - self.t_days) / DAYS_PER_MONTH + 1e-9)
        if months <= 0:
            return
        self.t_days += months * DAYS_PER_MONTH
        if self.retention_per_month < 1.0:
            self.tacit *= self.retention_per_month**months
            self._update()
        self._recent *= math.exp(-months / self.absorptive_months)

    def fix(
        self, mode: int, effectiveness: float | None = None, codified: float | None = None, own: bool = True
    ) -> None:
        """Fix one mode: it keeps ``1 - effectiveness`` of its remaining hazard.

        ``own`` fixes (found by the team itself) build absorptive capacity.
        """
        eff = self.fix_effectiveness if effectiveness is None else effectiveness
        cod = self.codified_share if codified is None else codified
        # Python floats, not numpy scalars: the same IEEE arithmetic, a fraction of the cost.
        c, t = self.codified.item(mode), self.tacit.item(mode)
        gain = (1.0 - c - t) * eff
        c += gain * cod
        t += gain * (1.0 - cod)
        residual = 1.0 - c - t
        self.codified[mode], self.tacit[mode], self.residual[mode] = c, t, residual
        self.residual_hazard[mode] = self._hazard[mode] * residual
        if mode < self._maturity_k:  # a mode past the cached prefix leaves maturity as it is
            self._fresh[self._area[mode]] = False
        if own:
            self._recent += 1.0

    @property
    def absorptive(self) -> float:
        """Absorptive capacity in [0, 1): ``1 - exp(-recent own fixes / scale)``."""
        if self._recent != self._absorptive_of:  # it changes with a fix or a month, not per run
            self._absorptive_of = self._recent
            self._absorptive = -math.expm1(-self._recent / self.absorptive_scale)
        return self._absorptive

    def hazards(self, exposure: np.ndarray) -> np.ndarray:
        """Per-mode hazard of a run with the given per-mode exposure."""
        return self.modes.hazard * self.residual * exposure

    def exposed_hazards(self, level: float, slope: float, cap: float) -> np.ndarray:
        """Hazards of a run reaching ``level`` under the exposure law, for the
        modes with onset <= ``level`` only (a prefix, as modes are sorted by
        onset; index i is still mode i). The other modes' hazards are 0.

        A new array each call (callers may change it). The exposure depends on
        the level only, so it is remembered for the last levels asked.
        """
        exposure = self.exposure(level, slope, cap)
        # (hazard * residual) * exposure, the order of the plain formula
        return self.residual_hazard[: len(exposure)] * exposure

    def exposure(self, level: float, slope: float, cap: float) -> np.ndarray:
        """Exposure (:func:`reach_exposure`) of a run reaching ``level`` to the modes with
        onset <= ``level`` (the prefix :meth:`exposed_hazards` covers); remembered for the
        last levels asked. Do not change it in place.
        """
        key = (level, slope, cap)
        exposure = self._exposure.get(key)
        if exposure is None:
            # reach_exposure() on the prefix: every onset here is <= level, so its np.where is
            # the identity; the kernel does the other steps in one pass, with the same values.
            exposure = kernels.exposure(self.modes.onset, self.modes.prefix_length(level), level, slope, cap)
            if len(self._exposure) >= self.EXPOSURE_CACHE:
                self._exposure.clear()
            self._exposure[key] = exposure
        return exposure

    def maturity(self, up_to: float) -> tuple[float, ...]:
        """Per area, the share of base hazard (modes with onset <= ``up_to``) the team has fixed.

        An area with no such modes counts as mature (1.0). A tuple of floats,
        one per area of ``modes.areas``.
        """
        k = self.modes.prefix_length(up_to)
        if k != self._maturity_k or not all(self._fresh):
            self._compute_maturity(k)
        return tuple(self._maturity)

    def _compute_maturity(self, k: int) -> None:
        m = self.modes
        n_areas = len(m.areas)
        if self._base_k != k:  # the base changes only when the prefix grows
            # np.bincount(m.area[:k], weights=m.hazard[:k], minlength=n_areas), compiled
            self._base = kernels.area_sums(m.area, m.hazard, k, n_areas).tolist()
            self._base_k = k
        left = kernels.area_sums(m.area, self.residual_hazard, k, n_areas).tolist()
        self._maturity = [1.0 - lo / b if b > 0 else 1.0 for lo, b in zip(left, self._base)]
        self._fresh = [True] * n_areas
        self._maturity_k = k
