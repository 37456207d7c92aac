"""A pyabc sampler that evaluates candidate particles in seeded, ordered batches.

pyabc's own parallel samplers accept whichever particles finish first, so the
posterior depends on timing and on the number of workers. This sampler makes it
a function of the seed alone (DESIGN §5):

- pyabc's ``simulate_one`` (draw a proposal, simulate, compute the distance,
  accept or reject) is serialised once per generation with cloudpickle;
- candidates are cut into batches of a fixed size (never derived from the
  number of workers); batch ``i`` of sampling call ``c`` gets its own seed from
  ``SeedSequence(seed, spawn_key=(c, i))``;
- a worker seeds numpy's and Python's global generators with it (pyabc draws
  proposals from the global generator, and so does the model seed of
  :mod:`sim.calibrate`), runs the batch, and restores the global state;
- the parent takes batches in index order and accepts particles in order until
  ``n`` are accepted; candidates after the ``n``-th acceptance are discarded,
  whichever worker evaluated them and whenever they finished.

This module imports pyabc; :mod:`sim.calibrate` imports it only when asked to calibrate.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import closing

import cloudpickle
import numpy as np
from pyabc.sampler import Sampler
from tqdm.auto import tqdm

__all__ = ["OrderedBatchSampler", "run_batch"]

# Batches that share a process (a threaded Dask worker pool) would share the
# global generators; one at a time keeps each batch's draws its own.
_GLOBAL_RNG = threading.Lock()


def run_batch(job: tuple[bytes, int, int]) -> list:
    """Evaluate one batch: ``(pickled simulate_one, seed, size)`` -> ``size`` pyabc particles.

    Module-level so that process pools and Dask can ship it. The global random
    state is restored afterwards, so running a batch in the parent process (one
    worker) leaves the parent's own draws as they would be with many workers.
    """
    payload, seed, size = job
    simulate_one = cloudpickle.loads(payload)
    with _GLOBAL_RNG:
        np_state, py_state = np.random.get_state(), random.getstate()
        np.random.seed(seed)
        random.seed(seed)
        try:
            return [simulate_one() for _ in range(size)]
        finally:
            np.random.set_state(np_state)
            random.setstate(py_state)


class _Batches:
    """A sequence of jobs made on demand: an executor asks only for as many as it puts in flight."""

    def __init__(self, payload: bytes, seed: int, call: int, batch_size: int, budget: float):
        self.payload, self.seed, self.call, self.batch_size = payload, seed, call, batch_size
        # the last batch is cut so that no candidate beyond the budget is evaluated
        self.budget = budget
        self.n = int(np.ceil(budget / batch_size)) if np.isfinite(budget) else 2**40

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[tuple[bytes, int, int]]:
        return (self[i] for i in range(self.n))

    def __getitem__(self, i: int) -> tuple[bytes, int, int]:
        if not 0 <= i < self.n:
            raise IndexError(i)
        size = self.batch_size
        if np.isfinite(self.budget):
            size = int(min(size, self.budget - i * self.batch_size))
        ss = np.random.SeedSequence(self.seed, spawn_key=(self.call, i))
        return self.payload, int(ss.generate_state(1)[0]), size  # uint32: a valid legacy seed


class OrderedBatchSampler(Sampler):
    """Deterministic pyabc sampler over one of the project's executors.

    Parameters
    ----------
    executor
        :class:`sim.executors.LocalExecutor` or :class:`~sim.executors.DaskExecutor`
        (anything with ``imap(fn, jobs)`` yielding ``(index, result)`` in any order).
    seed : int
        Root seed of the calibration.
    batch_size : int
        Candidates per job.
    max_simulations : int
        Candidates (model simulations) allowed over all sampling calls; a
        generation that would need more is abandoned (``sample.ok = False``)
        and pyabc stops with the generations completed so far.
    progress : bool
        A tqdm bar per generation: accepted particles, with candidates used.
    """

    def __init__(self, executor, seed: int, batch_size: int, max_simulations: int, progress: bool = True):
        super().__init__()
        self.executor, self.seed, self.batch_size = executor, seed, batch_size
        self.max_simulations, self.progress = max_simulations, progress
        self.calls = 0
        #: candidates taken into samples (deterministic: same seed, same count)
        self.simulations_used = 0
        #: candidates computed, discarded ones included (depends on workers and timing)
        self.simulations_evaluated = 0

    def sample_until_n_accepted(
        self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None
    ):
        """pyabc's sampler entry point: ``n`` accepted particles of generation ``t``.

        Candidates are simulated in seeded batches on the executor and taken in batch
        order, so the accepted sample does not depend on the number of workers or on
        which batch finishes first. ``max_eval`` caps the candidates taken in this call
        (with ``max_simulations`` over the whole run); ``all_accepted`` and ``ana_vars``
        are pyabc's and passed through.
        """
        call, self.calls = self.calls, self.calls + 1
        budget = min(max_eval, self.max_simulations - self.simulations_used)
        jobs = _Batches(cloudpickle.dumps(simulate_one), self.seed, call, self.batch_size, budget)
        sample = self._create_empty_sample()
        accepted = used = 0
        waiting: dict[int, list] = {}
        nxt = 0
        label = "ABC prior sample" if call == 0 else f"ABC generation {t}"
        bar = tqdm(total=n, desc=label, unit="acc", disable=not self.progress, leave=True)
        with closing(self.executor.imap(run_batch, jobs)) as results, bar:
            for i, particles in results:
                self.simulations_evaluated += len(particles)
                waiting[i] = particles
                while nxt in waiting and accepted < n:
                    for particle in waiting.pop(nxt):
                        if accepted == n:
                            break  # later candidates of this batch are discarded
                        sample.append(particle)
                        used += 1
                        if particle.accepted:
                            accepted += 1
                            bar.update(1)
                    bar.set_postfix_str(f"evaluated {used}", refresh=False)
                    nxt += 1
                if accepted == n:
                    break
        self.simulations_used += used
        self.nr_evaluations_ = used
        if accepted < n:
            sample.ok = False
        return sample
