"""Yield formulas: line yield compounding over steps, die yield from defect density.

Line yield is the share of wafers that survive every step; die yield the
share of dies on a surviving wafer with no killing defect. Sources:
anchors.md B (Hopp & Spearman; the classic die-yield models).
"""

from __future__ import annotations

import numpy as np

from .params import WAFERS_PER_LOT


def line_yield(per_step_loss, steps: int):
    """Share of wafers surviving ``steps`` steps that each lose ``per_step_loss``."""
    return (1.0 - np.asarray(per_step_loss, float)) ** steps


def per_step_loss(hazard):
    """Per-step probability of losing a wafer at a per-step hazard: ``1 - exp(-h)``."""
    return -np.expm1(-np.asarray(hazard, float))


def step_hazard(loss):
    """Per-step hazard for a per-step loss probability: ``-log(1 - loss)``."""
    return -np.log1p(-np.asarray(loss, float))


def cost_per_good_wafers(
    lot_cost_usd: float, yield_, good_wafers: int = WAFERS_PER_LOT, wafers_per_lot: int = WAFERS_PER_LOT
):
    """US$ for ``good_wafers`` good wafers when a lot of ``wafers_per_lot`` costs ``lot_cost_usd``."""
    return lot_cost_usd * good_wafers / (wafers_per_lot * np.asarray(yield_, float))


# -- die yield at mean defects per die AD0 = area (cm²) x defect density (cm⁻²) --


def poisson(ad0):
    """Poisson die yield ``exp(-AD0)``: defects fall independently."""
    return np.exp(-np.asarray(ad0, float))


def murphy(ad0):
    """Murphy's die yield ``((1 - exp(-AD0)) / AD0)²`` (1 at AD0 = 0)."""
    x = np.asarray(ad0, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(x > 0, (-np.expm1(-x) / np.where(x > 0, x, 1.0)) ** 2, 1.0)


def seeds(ad0):
    """Seeds' die yield ``1 / (1 + AD0)``."""
    return 1.0 / (1.0 + np.asarray(ad0, float))


def negative_binomial(ad0, alpha: float):
    """Negative-binomial die yield ``(1 + AD0 / alpha)^(-alpha)``.

    ``alpha`` is the clustering parameter: small alpha is strong clustering
    (defects crowd on few dies, more dies survive); alpha -> infinity is Poisson.
    """
    return (1.0 + np.asarray(ad0, float) / alpha) ** (-alpha)


def scatter_defects(rng: np.random.Generator, dies: int, ad0: float, alpha: float | None = None) -> float:
    """Monte Carlo die yield: scatter defects on ``dies`` dies and count the clean ones.

    Without ``alpha`` every die gets a Poisson number of defects with mean
    ``ad0``. With ``alpha`` defects cluster: each die's defect density is a
    gamma variate with mean ``ad0`` and shape ``alpha`` before the Poisson
    draw, which is what the negative-binomial model assumes.
    """
    lam = np.full(dies, float(ad0)) if alpha is None else rng.gamma(alpha, ad0 / alpha, size=dies)
    return float(np.mean(rng.poisson(lam) == 0))
