"""A benchmark-like score for capability (log10 effective compute).

Epoch's benchmark table fit (anchors D): MMLU ~ 0.25 + 0.75 * sigmoid(0.96 *
(log10 C + 0.254 * (year - 2023) - 23.91)), RMSE 0.08. Capability here is
already at the 2022-11-30 recipe, so the year term is fixed at 2022.92:
``0.25 + 0.75 * sigmoid(0.96 * (capability - 23.93))``. It gives 0.71 for
GPT-3.5 (24.41; actual 0.70).
"""

from __future__ import annotations

import math

import numpy as np

CHANCE, SPAN, SLOPE, MIDPOINT = 0.25, 0.75, 0.96, 23.91 + 0.254 * (2023.0 - 2022.915)


def benchmark_score(capability):
    """Benchmark-like score in [0.25, 1] (MMLU-like; 0.25 is chance on four choices)."""
    return CHANCE + SPAN / (1.0 + np.exp(-SLOPE * (np.asarray(capability, float) - MIDPOINT)))


def benchmark_score_scalar(capability: float) -> float:
    """:func:`benchmark_score` for one number (no numpy overhead in the event loop)."""
    z = -SLOPE * (capability - MIDPOINT)
    # past e**709 a float overflows (capability far below any model): the score is chance
    return CHANCE + SPAN / (1.0 + math.exp(z)) if z < 700.0 else CHANCE
