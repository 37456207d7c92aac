"""numpy's PCG64 draws inside compiled kernels, the same numbers as ``Generator``.

A replication draws a handful of random numbers per training run, in between
arithmetic that :mod:`sim.kernels` compiles. Each ``Generator`` method call
costs about half a microsecond of Python, and numba can take a ``Generator``
argument only by unboxing it (about 7 us a call). This module reads and
advances the generator's own state instead, so a compiled kernel draws the
very numbers ``rng.random()`` and ``rng.poisson(lam)`` would have drawn, and
the ``Generator`` (used for every other draw) carries on from there.

* :func:`state_of` is a ``uint64[4]`` view of a ``PCG64`` bit generator's
  128-bit state and increment (numpy's ``pcg64_random_t``, reached through
  ``bit_generator.ctypes.state``); it checks the view against
  ``bit_generator.state`` before handing it out.
* :func:`next_double` is numpy's ``next_double``: one PCG64 step (128-bit
  LCG, XSL-RR output; O'Neill 2014, "PCG: A Family of Simple Fast
  Space-Efficient Statistically Good Algorithms for Random Number
  Generation"), the top 53 bits scaled to [0, 1).
* :func:`poisson` is numpy's ``random_poisson``
  (``numpy/random/src/distributions/distributions.c``): the multiplication
  method below 10, PTRS (Hörmann 1993, "The transformed rejection method for
  generating Poisson random variables", Insurance: Mathematics and
  Economics 12) from 10 on, with numpy's ``random_loggam``.

``tests/test_pcg64.py`` checks each against ``Generator`` draw for draw.
Without numba the same functions run in Python on the same state (slowly):
the numbers are the same either way.
"""

from __future__ import annotations

import ctypes
import math

import numpy as np

from sim.kernels import HAVE_NUMBA, jit
from sim.kernels import prefix_sum as _pairwise_prefix

__all__ = ["state_of", "next_double", "uniform_sum", "poisson"]

_MASK64 = (1 << 64) - 1
# PCG_DEFAULT_MULTIPLIER_128, as its high and low 64-bit words
_MULT_HI = 2549297995355413924
_MULT_LO = 4865540595714422341


def state_of(rng: np.random.Generator) -> np.ndarray:
    """The live state of ``rng``'s PCG64 bit generator as ``uint64[4]``:
    state low and high word, increment low and high word.

    Drawing through the view (:func:`next_double`, :func:`poisson`) advances
    ``rng`` itself. The view shares the bit generator's memory, and keeps the
    bit generator alive as long as it lives.

    Raises
    ------
    TypeError
        ``rng`` does not run on ``numpy.random.PCG64``.
    RuntimeError
        The memory found does not hold the state ``bit_generator.state``
        reports (a numpy whose PCG64 keeps its state otherwise).
    """
    bg = rng.bit_generator
    if type(bg) is not np.random.PCG64:
        raise TypeError(f"rng must run on numpy.random.PCG64, got {type(bg).__name__}")
    # bg.ctypes.state points to numpy's pcg64_state, whose first member points to the
    # pcg64_random_t {pcg128_t state; pcg128_t inc;} (two little-endian 128-bit words).
    address = ctypes.cast(bg.ctypes.state, ctypes.POINTER(ctypes.c_void_p))[0]
    words = (ctypes.c_uint64 * 4).from_address(address)
    words.bit_generator = bg  # type: ignore[attr-defined]  # the memory is bg's: the view keeps bg alive
    view = np.ctypeslib.as_array(words)
    reported = bg.state["state"]
    expected = [
        reported["state"] & _MASK64,
        reported["state"] >> 64,
        reported["inc"] & _MASK64,
        reported["inc"] >> 64,
    ]
    if [int(v) for v in view] != expected:
        raise RuntimeError(
            f"numpy {np.__version__}: PCG64's state is not where sim.pcg64 reads it; "
            "the compiled kernels cannot draw from it"
        )
    return view


if HAVE_NUMBA:
    _M32 = np.uint64(0xFFFFFFFF)
    _S11, _S32, _S58, _S63, _S64 = np.uint64(11), np.uint64(32), np.uint64(58), np.uint64(63), np.uint64(64)
    _ONE = np.uint64(1)
    _ZERO = np.uint64(0)
    _U_MULT_HI, _U_MULT_LO = np.uint64(_MULT_HI), np.uint64(_MULT_LO)

    @jit
    def _mulhi(a, b):  # pragma: no cover - compiled
        # High 64 bits of the 128-bit product a * b, from 32-bit halves.
        a_lo, a_hi = a & _M32, a >> _S32
        b_lo, b_hi = b & _M32, b >> _S32
        t = a_hi * b_lo + ((a_lo * b_lo) >> _S32)
        w = (t & _M32) + a_lo * b_hi
        return a_hi * b_hi + (t >> _S32) + (w >> _S32)

    @jit
    def next_uint64(state):  # pragma: no cover - compiled
        """numpy's ``pcg64_next64``: step the LCG, then the XSL-RR output of the new state."""
        lo, hi = state[0], state[1]
        new_lo = lo * _U_MULT_LO
        new_hi = _mulhi(lo, _U_MULT_LO) + lo * _U_MULT_HI + hi * _U_MULT_LO
        r_lo = new_lo + state[2]
        carry = _ONE if r_lo < new_lo else _ZERO
        r_hi = new_hi + state[3] + carry
        state[0] = r_lo
        state[1] = r_hi
        x = r_hi ^ r_lo
        rot = r_hi >> _S58
        return (x >> rot) | (x << ((_S64 - rot) & _S63))

    @jit
    def next_double(state):  # pragma: no cover - compiled
        """``rng.random()``: the top 53 bits of the next draw, times 2**-53."""
        return np.float64(next_uint64(state) >> _S11) * (1.0 / 9007199254740992.0)

else:  # pragma: no cover - the same numbers in Python

    def next_uint64(state):
        """numpy's ``pcg64_next64``: step the LCG, then the XSL-RR output of the new state."""
        s = int(state[0]) | (int(state[1]) << 64)
        inc = int(state[2]) | (int(state[3]) << 64)
        s = (s * ((_MULT_HI << 64) | _MULT_LO) + inc) & ((1 << 128) - 1)
        state[0], state[1] = s & _MASK64, s >> 64
        hi, x = s >> 64, (s >> 64) ^ (s & _MASK64)
        rot = hi >> 58
        return ((x >> rot) | (x << ((64 - rot) & 63))) & _MASK64

    def next_double(state):
        """``rng.random()``: the top 53 bits of the next draw, times 2**-53."""
        return (next_uint64(state) >> 11) * (1.0 / 9007199254740992.0)


#: numpy's largest Poisson mean (``POISSON_LAM_MAX``): above it ``rng.poisson`` refuses, and so does
#: :func:`poisson` (PTRS's integer would overflow)
POISSON_LAM_MAX = float(np.iinfo(np.int64).max - np.sqrt(np.iinfo(np.int64).max) * 10)

# numpy's random_loggam coefficients (distributions.c)
_LOGGAM_A = np.array(
    [
        8.333333333333333e-02,
        -2.777777777777778e-03,
        7.936507936507937e-04,
        -5.952380952380952e-04,
        8.417508417508418e-04,
        -1.917526917526918e-03,
        6.410256410256410e-03,
        -2.955065359477124e-02,
        1.796443723688307e-01,
        -1.39243221690590e00,
    ]
)


@jit
def _loggam(x):  # pragma: no cover - compiled (or plain Python without numba)
    # numpy's random_loggam: log Gamma(x) by Stirling's series, shifted up to x >= 7
    if x == 1.0 or x == 2.0:
        return 0.0
    n = int(7 - x) if x < 7.0 else 0
    x0 = x + n
    x2 = (1.0 / x0) * (1.0 / x0)
    gl0 = _LOGGAM_A[9]
    for k in range(8, -1, -1):
        gl0 *= x2
        gl0 += _LOGGAM_A[k]
    gl = gl0 / x0 + 0.5 * 1.8378770664093453e00 + (x0 - 0.5) * math.log(x0) - x0
    if x < 7.0:
        for _ in range(n):
            gl -= math.log(x0 - 1.0)
            x0 -= 1.0
    return gl


@jit
def poisson(state, lam):  # pragma: no cover - compiled (or plain Python without numba)
    """``int(rng.poisson(lam))`` for ``0 <= lam <= POISSON_LAM_MAX``, drawn from ``state``."""
    if lam > POISSON_LAM_MAX:
        raise ValueError("poisson: lam value too large")
    if lam >= 10:
        # random_poisson_ptrs
        slam = math.sqrt(lam)
        loglam = math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = next_double(state) - 0.5
            v = next_double(state)
            us = 0.5 - abs(u)
            k = int(math.floor((2 * a / us + b) * u + lam + 0.43))
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            # log(v) of 0.0 is -inf, which passes: as in numpy
            if (math.log(v) if v > 0.0 else -math.inf) + math.log(invalpha) - math.log(
                a / (us * us) + b
            ) <= -lam + k * loglam - _loggam(float(k + 1)):
                return k
    if lam == 0:
        return 0
    # random_poisson_mult
    enlam = math.exp(-lam)
    x = 0
    prod = 1.0
    while True:
        prod *= next_double(state)
        if prod > enlam:
            x += 1
        else:
            return x


@jit
def uniform_sum(state, n, buf):  # pragma: no cover - compiled (or plain Python without numba)
    """``float(np.add.reduce(rng.random(n)))``: ``n`` draws into ``buf[:n]``, summed pairwise."""
    for i in range(n):
        buf[i] = next_double(state)
    return _pairwise_prefix(buf, n)
