"""Compiled kernels draw numpy's own numbers from a Generator's PCG64 state (sim/pcg64.py)."""

import importlib.util
import sys

import numpy as np
import pytest

from sim import pcg64


def pair(seed=2024):
    """Two generators in the same state: one drawn through the kernels, one by numpy."""
    return np.random.Generator(np.random.PCG64(seed)), np.random.Generator(np.random.PCG64(seed))


def test_next_double_is_generator_random():
    rng, ref = pair()
    state = pcg64.state_of(rng)
    assert [pcg64.next_double(state) for _ in range(5000)] == ref.random(5000).tolist()


# Means below 10 take numpy's multiplication method, 10 and above its PTRS rejection method.
LAMS = [0.0, 1e-12, 0.3, 1.0, 9.999999999, 10.0, 10.000001, 37.5, 419.0, 1e4, 2.5e6]


@pytest.mark.parametrize("lam", LAMS)
def test_poisson_is_generator_poisson_draw_for_draw(lam):
    rng, ref = pair(int(lam * 1000) % 2**32)
    state = pcg64.state_of(rng)
    assert [pcg64.poisson(state, lam) for _ in range(3000)] == [int(ref.poisson(lam)) for _ in range(3000)]
    assert rng.bit_generator.state == ref.bit_generator.state  # as many draws consumed


def test_poisson_over_many_means():
    rng, ref = pair(7)
    state = pcg64.state_of(rng)
    lams = np.concatenate(
        [np.random.default_rng(1).random(4000) * 30, np.random.default_rng(2).random(1000) * 1e4]
    )
    assert [pcg64.poisson(state, lam) for lam in lams] == [int(ref.poisson(lam)) for lam in lams]


def test_uniform_sum_is_the_pairwise_sum_of_generator_random():
    rng, ref = pair(3)
    state = pcg64.state_of(rng)
    buf = np.empty(1000)
    for n in [0, 1, 7, 8, 9, 127, 128, 129, 300, 1000]:
        assert pcg64.uniform_sum(state, n, buf) == float(np.add.reduce(ref.random(n)))


def test_the_generator_carries_on_where_the_kernels_left_it():
    rng, ref = pair(11)
    state = pcg64.state_of(rng)
    for _ in range(200):
        assert pcg64.next_double(state) == ref.random()
        assert rng.integers(1000) == ref.integers(1000)  # numpy's own draws, buffered 32-bit ones too
        assert rng.standard_normal() == ref.standard_normal()
    assert rng.bit_generator.state == ref.bit_generator.state


def test_the_view_keeps_its_bit_generator_alive():
    import gc

    state = pcg64.state_of(np.random.Generator(np.random.PCG64(99)))  # nothing else holds it
    gc.collect()
    np.random.default_rng(0).random(10_000)  # reuse freed memory, if any was freed
    assert [pcg64.next_double(state) for _ in range(100)] == np.random.Generator(np.random.PCG64(99)).random(
        100
    ).tolist()


def test_only_pcg64_is_accepted():
    with pytest.raises(TypeError, match="PCG64, got MT19937"):
        pcg64.state_of(np.random.Generator(np.random.MT19937(1)))


def test_without_numba_the_python_draws_are_the_same(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba fails
    mods = {}
    for name in ("sim.kernels", "sim.pcg64"):
        spec = importlib.util.find_spec(name)
        mod = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, name, mod)  # pcg64 imports this plain kernels module
        spec.loader.exec_module(mod)
        mods[name] = mod
    plain = mods["sim.pcg64"]
    assert not mods["sim.kernels"].HAVE_NUMBA
    rng, ref = pair(5)
    state = plain.state_of(rng)
    assert [plain.next_double(state) for _ in range(300)] == ref.random(300).tolist()
    assert [plain.poisson(state, lam) for lam in (0.5, 4.0, 12.0, 500.0)] == [
        int(ref.poisson(lam)) for lam in (0.5, 4.0, 12.0, 500.0)
    ]
    assert plain.uniform_sum(state, 50, np.empty(50)) == float(np.add.reduce(ref.random(50)))


def test_a_mean_numpy_refuses_is_refused():
    rng = np.random.Generator(np.random.PCG64(1))
    with pytest.raises(ValueError, match="lam value too large"):
        rng.poisson(pcg64.POISSON_LAM_MAX * 1.01)
    with pytest.raises(ValueError, match="lam value too large"):
        pcg64.poisson(pcg64.state_of(rng), pcg64.POISSON_LAM_MAX * 1.01)
