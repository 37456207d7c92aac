"""Compiled kernels for the per-run arithmetic over failure modes (numba).

A replication runs thousands of training runs, each a handful of numpy calls
on arrays of a few hundred failure modes: at that size a numpy call is almost
all overhead (``np.add.reduce`` costs the same 0.6 us on 10 elements as on
150). These kernels do several of those steps in one compiled call.

Each kernel gives **the same floating-point results, to the last bit**, as
the numpy expression it replaces (named in its docstring), so a model's
tables do not change with the speed-up:

* element-wise products and differences are the same IEEE operations
  (numba compiles without fast-math, so nothing is reassociated or fused);
* ``np.add.accumulate`` and ``np.bincount`` add left to right, as here;
* ``np.add.reduce`` on a contiguous float64 array is numpy's *pairwise*
  summation, replicated by :func:`_pairwise` (below 8 elements left to right;
  up to 128 in 8 interleaved accumulators combined as
  ``((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))`` plus the tail; longer
  arrays split in two at a multiple of 8 and recurse), started from numpy's
  identity 0.0;
* ``searchsorted(side="right")`` is a plain binary search (no NaNs here).

Dot products are :func:`pairwise_dot` (products, then the pairwise sum), not
BLAS: OpenBLAS picks its ``ddot`` kernel by CPU, and the kernels add in
different orders (with ``OPENBLAS_CORETYPE=Nehalem`` or ``Prescott`` instead
of this machine's Haswell the LLM tables differed in the last bits, and for
``frontier_2023`` a path diverged). ``expm1`` and ``exp`` are the C library's
(``math.expm1``; numpy's ufunc may use its own SIMD code on some CPUs).
``tests/test_kernels.py`` checks every kernel against its numpy expression.

Without numba the same functions are defined with numpy (the expressions
themselves), so the results are the same either way, only slower.
"""

from __future__ import annotations

import numpy as np

try:
    from numba import njit
except ImportError:  # pragma: no cover - numba is a dependency; numpy gives the same numbers
    njit = None  # type: ignore[assignment]

__all__ = [
    "HAVE_NUMBA",
    "jit",
    "pairwise_sum",
    "pairwise_dot",
    "prefix_sum",
    "run_weights",
    "silent_weights",
    "search_right",
    "exposure",
    "area_sums",
]

HAVE_NUMBA = njit is not None


def _plain(fn):  # pragma: no cover - without numba a kernel is its Python source
    return fn


#: The decorator of every kernel: numba's ``njit`` (cached on disk, no GIL) or, without
#: numba, nothing (the function runs as Python, with the same numbers).
jit = njit(cache=True, nogil=True) if HAVE_NUMBA else _plain

if HAVE_NUMBA:
    _jit = jit

    @_jit
    def _block(a, lo, n):  # pragma: no cover - compiled
        # numpy's DOUBLE_pairwise_sum (numpy/_core/src/umath/loops_utils.h.src) for n <= 128
        if n < 8:
            res = 0.0
            for i in range(lo, lo + n):
                res += a[i]
            return res
        r0 = a[lo]
        r1 = a[lo + 1]
        r2 = a[lo + 2]
        r3 = a[lo + 3]
        r4 = a[lo + 4]
        r5 = a[lo + 5]
        r6 = a[lo + 6]
        r7 = a[lo + 7]
        m = n - n % 8
        i = 8
        while i < m:
            j = lo + i
            r0 += a[j]
            r1 += a[j + 1]
            r2 += a[j + 2]
            r3 += a[j + 3]
            r4 += a[j + 4]
            r5 += a[j + 5]
            r6 += a[j + 6]
            r7 += a[j + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += a[lo + i]
            i += 1
        return res

    @_jit
    def _pairwise(a, lo, n):  # pragma: no cover - compiled
        # Past 128 numpy recurses: pairwise(first n2) + pairwise(the rest), n2 = n / 2 rounded
        # down to a multiple of 8. The same tree, walked with explicit stacks (numba's cache
        # cannot hold a recursive function).
        if n <= 128:
            return _block(a, lo, n)
        task_lo = np.empty(256, np.int64)
        task_n = np.empty(256, np.int64)  # -1: add the last two values
        values = np.empty(128)
        tp = 0
        vp = 0
        task_lo[0] = lo
        task_n[0] = n
        tp = 1
        while tp > 0:
            tp -= 1
            t_lo = task_lo[tp]
            t_n = task_n[tp]
            if t_n < 0:
                vp -= 1
                values[vp - 1] = values[vp - 1] + values[vp]  # left + right
            elif t_n <= 128:
                values[vp] = _block(a, t_lo, t_n)
                vp += 1
            else:
                n2 = t_n // 2
                n2 -= n2 % 8
                task_n[tp] = -1  # after both halves
                task_lo[tp + 1] = t_lo + n2  # the right half, done second
                task_n[tp + 1] = t_n - n2
                task_lo[tp + 2] = t_lo  # the left half, done first
                task_n[tp + 2] = n2
                tp += 3
        return values[0]

    @_jit
    def pairwise_sum(a):  # pragma: no cover - compiled
        """``float(np.add.reduce(a))`` for a contiguous 1-d float64 array."""
        return 0.0 + _pairwise(a, 0, len(a))

    @_jit
    def pairwise_dot(a, b):  # pragma: no cover - compiled
        """``float(np.add.reduce(a * b))`` for contiguous 1-d float64 arrays of one length:
        a dot product by numpy's pairwise summation, the same on every machine (BLAS's
        ``np.dot`` is not: its order of additions depends on the kernel it picks for the CPU)."""
        n = len(a)
        products = np.empty(n)
        for i in range(n):
            products[i] = a[i] * b[i]
        return 0.0 + _pairwise(products, 0, n)

    @_jit
    def prefix_sum(a, k):  # pragma: no cover - compiled
        """``float(np.add.reduce(a[:k]))`` (``k`` past the end means all of ``a``)."""
        return 0.0 + _pairwise(a, 0, min(max(k, 0), len(a)))

    @_jit
    def run_weights(residual_hazard, exposure, fatal, hazards, cum):  # pragma: no cover - compiled
        """A run's hazards and its fatal weights' sums, written into buffers.

        With ``n = len(exposure)``: ``hazards[:n] = residual_hazard[:n] * exposure`` and, with
        ``w = hazards[:n] * fatal[:n]``, ``cum[:n] = np.add.accumulate(w)``. Returns
        ``(float(np.add.reduce(w)), float(cum[n - 1]))`` (``(0.0, 0.0)`` when ``n`` is 0).
        """
        n = len(exposure)
        for i in range(n):
            h = residual_hazard[i] * exposure[i]
            hazards[i] = h
            cum[i] = h * fatal[i]
        total = 0.0 + _pairwise(cum, 0, n)
        c = 0.0
        for i in range(n):
            c = cum[i] if i == 0 else c + cum[i]
            cum[i] = c
        return total, c

    @_jit
    def silent_weights(hazards, silent, scale, cum):  # pragma: no cover - compiled
        """What a successful run's silent modes weigh.

        With ``s = hazards * silent[:len(hazards)]`` and ``w = s * scale``: writes
        ``cum[:n] = np.add.accumulate(w)`` and returns ``(float(np.add.reduce(s)),
        float(np.add.reduce(w)), float(cum[n - 1]))``.
        """
        n = len(hazards)
        s = np.empty(n)
        for i in range(n):
            x = hazards[i] * silent[i]
            s[i] = x
            cum[i] = x * scale
        s_total = 0.0 + _pairwise(s, 0, n)
        w_total = 0.0 + _pairwise(cum, 0, n)
        c = 0.0
        for i in range(n):
            c = cum[i] if i == 0 else c + cum[i]
            cum[i] = c
        return s_total, w_total, c

    @_jit
    def search_right(cum, n, x):  # pragma: no cover - compiled
        """``int(cum[:n].searchsorted(x, side="right"))``: the first index whose value exceeds ``x``."""
        lo, hi = 0, n
        while lo < hi:
            mid = (lo + hi) >> 1
            if x < cum[mid]:
                hi = mid
            else:
                lo = mid + 1
        return lo

    @_jit
    def exposure(onset, k, level, slope, cap):  # pragma: no cover - compiled
        """``np.minimum((level - onset[:k]) * slope + 1.0, cap)``, a new array."""
        out = np.empty(k)
        for i in range(k):
            x = (level - onset[i]) * slope + 1.0
            out[i] = x if (x <= cap or x != x) else cap  # np.minimum: NaN propagates
        return out

    @_jit
    def area_sums(area, weights, k, n_areas):  # pragma: no cover - compiled
        """``np.bincount(area[:k], weights=weights[:k], minlength=n_areas)``."""
        out = np.zeros(n_areas)
        for i in range(k):
            out[area[i]] += weights[i]
        return out

else:  # pragma: no cover - the same numbers with numpy

    def pairwise_sum(a):
        """``float(np.add.reduce(a))`` for a contiguous 1-d float64 array."""
        return float(np.add.reduce(a))

    def pairwise_dot(a, b):
        """``float(np.add.reduce(a * b))`` for contiguous 1-d float64 arrays of one length:
        a dot product by numpy's pairwise summation, the same on every machine (BLAS's
        ``np.dot`` is not: its order of additions depends on the kernel it picks for the CPU)."""
        return float(np.add.reduce(a * b))

    def prefix_sum(a, k):
        """``float(np.add.reduce(a[:k]))`` (``k`` past the end means all of ``a``)."""
        return float(np.add.reduce(a[: max(k, 0)]))

    def run_weights(residual_hazard, exposure, fatal, hazards, cum):
        """A run's hazards and its fatal weights' sums, written into buffers.

        With ``n = len(exposure)``: ``hazards[:n] = residual_hazard[:n] * exposure`` and, with
        ``w = hazards[:n] * fatal[:n]``, ``cum[:n] = np.add.accumulate(w)``. Returns
        ``(float(np.add.reduce(w)), float(cum[n - 1]))`` (``(0.0, 0.0)`` when ``n`` is 0).
        """
        n = len(exposure)
        np.multiply(residual_hazard[:n], exposure, out=hazards[:n])
        w = hazards[:n] * fatal[:n]
        np.add.accumulate(w, out=cum[:n])
        return float(np.add.reduce(w)), (float(cum[n - 1]) if n else 0.0)

    def silent_weights(hazards, silent, scale, cum):
        """What a successful run's silent modes weigh.

        With ``s = hazards * silent[:len(hazards)]`` and ``w = s * scale``: writes
        ``cum[:n] = np.add.accumulate(w)`` and returns ``(float(np.add.reduce(s)),
        float(np.add.reduce(w)), float(cum[n - 1]))``.
        """
        n = len(hazards)
        s = hazards * silent[:n]
        w = s * scale
        np.add.accumulate(w, out=cum[:n])
        return float(np.add.reduce(s)), float(np.add.reduce(w)), (float(cum[n - 1]) if n else 0.0)

    def search_right(cum, n, x):
        """``int(cum[:n].searchsorted(x, side="right"))``: the first index whose value exceeds ``x``."""
        return int(cum[:n].searchsorted(x, side="right"))

    def exposure(onset, k, level, slope, cap):
        """``np.minimum((level - onset[:k]) * slope + 1.0, cap)``, a new array."""
        out = level - onset[:k]
        out *= slope
        out += 1.0
        return np.minimum(out, cap, out=out)

    def area_sums(area, weights, k, n_areas):
        """``np.bincount(area[:k], weights=weights[:k], minlength=n_areas)``."""
        return np.bincount(area[:k], weights=weights[:k], minlength=n_areas)
