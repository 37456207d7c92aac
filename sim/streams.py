"""Random streams keyed by name, for common random numbers.

One :class:`numpy.random.SeedSequence` per run. Every replication, and inside
it every team, resource or world draw, gets its own child stream whose key is
its *name*, not its position: adding a team or changing one team's parameters
leaves every other stream's draws unchanged (DESIGN §5).
"""

from __future__ import annotations

import hashlib

import numpy as np


def _name_key(name: str) -> int:
    # A stable hash: Python's hash() is salted per process, which would break
    # determinism across worker processes.
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "little")


class Streams:
    """Named random generators for one replication of one run.

    Parameters
    ----------
    seed : int
        The run's seed (non-negative).
    rep : int
        Replication index (0-based).
    """

    def __init__(self, seed: int, rep: int):
        if seed < 0 or rep < 0:
            raise ValueError(f"seed and rep must be >= 0, got seed={seed}, rep={rep}")
        self.seed = int(seed)
        self.rep = int(rep)

    def sequence(self, *names: str) -> np.random.SeedSequence:
        """The SeedSequence for a path of names, e.g. ``("team", "leader")``."""
        key = (self.rep,) + tuple(_name_key(n) for n in names)
        return np.random.SeedSequence(self.seed, spawn_key=key)

    def generator(self, *names: str) -> np.random.Generator:
        """A fresh PCG64 generator for a path of names (same names, same draws)."""
        return np.random.Generator(np.random.PCG64(self.sequence(*names)))
