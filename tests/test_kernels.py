"""The compiled kernels give numpy's numbers to the last bit (sim/kernels.py)."""

import numpy as np
import pytest

from sim import kernels


def bits(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).view(np.int64)


def same(x, y) -> bool:
    return np.array_equal(bits(x), bits(y))


def arrays(rng, n):
    """Arrays of ``n`` floats: uniform, lognormal (a wide range, as hazards), signed over 16 decades."""
    yield rng.random(n)
    yield np.exp(3.0 * rng.standard_normal(n))
    yield rng.standard_normal(n) * 10.0 ** rng.integers(-8, 8, n)


SIZES = [*range(0, 300), 511, 512, 513, 1000, 1024, 4095, 4096, 8192, 8193, 10_007, 100_003]


def test_pairwise_sum_is_numpys_add_reduce():
    rng = np.random.default_rng(1)
    for n in SIZES:
        for a in arrays(rng, n):
            assert same(kernels.pairwise_sum(a), float(np.add.reduce(a))), n
            k = int(rng.integers(0, n + 3))
            assert same(kernels.prefix_sum(a, k), float(np.add.reduce(a[:k]))), (n, k)


def test_pairwise_dot_is_numpys_add_reduce_of_the_products():
    rng = np.random.default_rng(6)
    for n in SIZES[:320]:
        for a in arrays(rng, n):
            b = (rng.random(n) < 0.4) * 1.0 if n % 2 else rng.random(n)
            assert same(kernels.pairwise_dot(a, b), float(np.add.reduce(a * b))), n
            assert same(kernels.pairwise_dot(a, a), float(np.add.reduce(a * a))), n


def test_run_weights():
    rng = np.random.default_rng(2)
    m = 400
    for n in [0, 1, 7, 8, 9, 64, 127, 128, 129, 200, 400]:
        rh = np.exp(rng.standard_normal(m)) * rng.random(m)
        exposure = 1.0 + rng.random(n) * 2.0
        fatal = (rng.random(m) < 0.6).astype(float)
        hazards, cum = np.full(m, np.nan), np.full(m, np.nan)
        total, top = kernels.run_weights(rh, exposure, fatal, hazards, cum)
        h = rh[:n] * exposure
        w = h * fatal[:n]
        assert same(hazards[:n], h)
        assert same(cum[:n], np.add.accumulate(w))
        assert same(total, float(np.add.reduce(w)))
        assert same(top, float(np.add.accumulate(w)[-1]) if n else 0.0)


def test_silent_weights():
    rng = np.random.default_rng(3)
    m = 300
    for n in [0, 1, 5, 8, 100, 128, 129, 300]:
        hazards = np.exp(rng.standard_normal(n))
        silent = (rng.random(m) < 0.4).astype(float)
        cum = np.full(m, np.nan)
        s_total, w_total, top = kernels.silent_weights(hazards, silent, 1e6, cum)
        s = hazards * silent[:n]
        w = s * 1e6
        assert same(s_total, float(np.add.reduce(s)))
        assert same(w_total, float(np.add.reduce(w)))
        assert same(cum[:n], np.add.accumulate(w))
        assert same(top, float(np.add.accumulate(w)[-1]) if n else 0.0)


@pytest.mark.parametrize("n", [1, 2, 5, 64, 129])
def test_search_right(n):
    rng = np.random.default_rng(n)
    cum = np.add.accumulate(rng.random(n + 10))
    cum[3:5] = cum[3]  # ties
    for x in [*rng.random(200) * cum[n - 1], 0.0, cum[0], cum[3], cum[n - 1], -1.0, 1e9, np.nan]:
        assert kernels.search_right(cum, n, x) == int(cum[:n].searchsorted(x, side="right"))


def test_exposure_and_area_sums():
    rng = np.random.default_rng(4)
    onset = np.sort(rng.uniform(20, 36, 300))
    area = rng.integers(0, 5, 300)
    weights = np.exp(rng.standard_normal(300))
    for level in [19.0, 20.3, 24.71, 30.0, 40.0]:
        k = int(np.searchsorted(onset, level, side="right"))
        for slope, cap in [(1.0, 3.0), (0.0, 1.0), (0.37, 2.5)]:
            plain = level - onset[:k]
            plain *= slope
            plain += 1.0
            np.minimum(plain, cap, out=plain)
            assert same(kernels.exposure(onset, k, level, slope, cap), plain)
        plain_sums = np.bincount(area[:k], weights=weights[:k], minlength=5)
        assert same(kernels.area_sums(area, weights, k, 5), plain_sums)


def test_without_numba_the_numpy_fallback_gives_the_same_numbers(monkeypatch):
    import importlib.util
    import sys

    monkeypatch.setitem(sys.modules, "numba", None)  # import numba fails
    spec = importlib.util.spec_from_file_location("kernels_numpy", kernels.__file__)
    plain = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plain)
    assert not plain.HAVE_NUMBA
    rng = np.random.default_rng(5)
    m = 250
    for n in [0, 1, 9, 128, 129, 250]:
        rh, fatal, silent = rng.random(m), (rng.random(m) < 0.5) * 1.0, (rng.random(m) < 0.5) * 1.0
        exposure = 1.0 + rng.random(n)
        h1, c1, h2, c2 = (np.zeros(m) for _ in range(4))
        assert same(
            kernels.run_weights(rh, exposure, fatal, h1, c1), plain.run_weights(rh, exposure, fatal, h2, c2)
        )
        assert same(h1[:n], h2[:n]) and same(c1[:n], c2[:n])
        hz = h1[:n].copy()
        assert same(kernels.silent_weights(hz, silent, 1e6, c1), plain.silent_weights(hz, silent, 1e6, c2))
        assert same(c1[:n], c2[:n])
        assert same(kernels.pairwise_sum(rh[:n]), plain.pairwise_sum(rh[:n]))
        assert same(kernels.pairwise_dot(rh[:n], silent[:n]), plain.pairwise_dot(rh[:n], silent[:n]))
        assert same(kernels.prefix_sum(rh, n), plain.prefix_sum(rh, n))
        if n:
            x = float(c1[n - 1]) * 0.37
            assert kernels.search_right(c1, n, x) == plain.search_right(c2, n, x)
    onset, area = np.sort(rng.uniform(20, 36, m)), rng.integers(0, 5, m)
    assert same(kernels.exposure(onset, 100, 30.0, 1.0, 3.0), plain.exposure(onset, 100, 30.0, 1.0, 3.0))
    assert same(kernels.area_sums(area, rh, 100, 5), plain.area_sums(area, rh, 100, 5))
