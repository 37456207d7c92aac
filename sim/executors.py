"""Where replications run: in this process, in local worker processes, or on Dask.

An executor maps a module-level function over a list of jobs and yields
``(index, result)`` pairs *as they finish*, with at most a few jobs in flight
(so results can be written to disk as they arrive and memory stays flat
however many jobs there are). Callers put results back in job order; every
job's random streams come from ``(seed, rep)`` alone (DESIGN §5), so the
tables do not depend on the executor or the number of workers.

- :class:`LocalExecutor` ``(workers=1)``: in this process; ``workers > 1``
  uses a :class:`concurrent.futures.ProcessPoolExecutor`.
- :class:`DaskExecutor` ``(scheduler="tcp://host:8786")`` connects to a
  running ``dask.distributed`` scheduler; ``scheduler="local"`` starts a
  :class:`distributed.LocalCluster` with ``workers`` single-threaded worker
  processes and closes it afterwards.

Use them as context managers; :func:`make_executor` picks one from the
command-line options.

Local worker processes exit when the process that started them dies, even by
``kill -9`` (which runs no clean-up): each worker starts a thread
(:func:`exit_with_parent`) that polls ``os.getppid()`` every
:data:`PARENT_POLL_SECONDS` and ends the worker once its parent has changed.
Polling works with every start method (fork, spawn, forkserver) and every OS;
Linux's ``prctl(PR_SET_PDEATHSIG)`` would be immediate but fires when the
*thread* that forked the worker ends, which in a pool is not the parent's
death. A pool is never larger than the number of jobs it is given.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

from .validation import ScenarioError

#: Set by the command line's Ctrl-C handler (:func:`sim.cli.main`). A KeyboardInterrupt that
#: lands while Python finalizes a generator (a replication's SimPy processes) is printed and
#: swallowed ("Exception ignored in ..."), so the runner also checks this between batches.
INTERRUPTED = threading.Event()


def raise_if_interrupted() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed (:data:`INTERRUPTED`), even if the
    first one was swallowed."""
    if INTERRUPTED.is_set():
        raise KeyboardInterrupt


__all__ = ["LocalExecutor", "DaskExecutor", "make_executor", "exit_with_parent"]

#: How often a worker checks that the process that started it is still alive (seconds).
PARENT_POLL_SECONDS = 0.2


def exit_with_parent(poll_seconds: float = PARENT_POLL_SECONDS) -> None:
    """Worker initializer: end this process once its parent has died.

    The parent at start-up is remembered; when ``os.getppid()`` changes (the
    worker was re-parented because its parent died) the worker exits at once
    with status 1, whatever it was doing: its unfinished part was never entered
    in a manifest, so nothing half-written is ever used.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os._exit(1)

    threading.Thread(target=watch, name="rdgap-exit-with-parent", daemon=True).start()


class LocalExecutor:
    """Jobs in this process (``workers == 1``) or in local worker processes.

    Parameters
    ----------
    workers : int
        Worker processes at most; 1 runs jobs here, one after the other. The
        pool is started by the first :meth:`imap` with no more processes than
        it has jobs.
    in_flight : int, optional
        Jobs submitted but not yet collected (default ``2 * workers``): enough
        to keep every worker busy, few enough that finished results do not
        pile up in memory.
    """

    def __init__(self, workers: int = 1, in_flight: int | None = None):
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise ScenarioError(f"workers: {workers!r} is not allowed: must be an integer >= 1")
        self.workers = workers
        self._in_flight = in_flight
        self._pool: ProcessPoolExecutor | None = None
        #: workers see this machine's files, so they can write store parts themselves
        self.shared_fs = True

    def __enter__(self):
        return self

    def _start(self, jobs: int) -> None:
        n = max(1, min(self.workers, jobs))
        self._pool = ProcessPoolExecutor(max_workers=n, initializer=exit_with_parent)
        self._size = n

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Shut the process pool down, cancelling queued jobs (an interrupt or an early stop
        returns at once). Safe to call twice.
        """
        if self._pool is not None:
            # cancel queued jobs so an interrupt or an early stop returns at once
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def imap(self, fn: Callable, jobs: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, fn(jobs[index]))`` as jobs finish (any order)."""
        if self.workers == 1 or not jobs:
            for i, job in enumerate(jobs):
                yield i, fn(job)
            return
        if self._pool is None:
            self._start(len(jobs))
        pool = self._pool
        assert pool is not None  # _start made it
        yield from _bounded(
            lambda job: pool.submit(fn, job),
            jobs,
            self._in_flight or 2 * self._size,
            lambda pending: wait(pending, return_when=FIRST_COMPLETED)[0],
        )

    def describe(self) -> str:
        """One line for logs and manifests, e.g. ``local, 2 worker(s)``."""
        return f"local, {self.workers} worker(s)"


class DaskExecutor:
    """Jobs on a ``dask.distributed`` cluster.

    Parameters
    ----------
    scheduler : str
        ``"tcp://HOST:PORT"`` of a running scheduler, or ``"local"`` to start a
        ``LocalCluster`` (closed on exit).
    workers : int
        Workers of a local cluster (ignored for a remote scheduler).
    processes : bool
        Local cluster workers as processes (default) or threads (faster to
        start; used in tests).
    """

    def __init__(
        self, scheduler: str = "local", workers: int = 2, processes: bool = True, in_flight: int | None = None
    ):
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise ScenarioError(f"workers: {workers!r} is not allowed: must be an integer >= 1")
        if scheduler != "local" and "://" not in str(scheduler):
            raise ScenarioError(f"--scheduler: {scheduler!r} is not allowed: use tcp://HOST:PORT")
        self.scheduler, self.workers, self.processes = scheduler, workers, processes
        self._in_flight = in_flight
        self.client = self.cluster = None
        # a LocalCluster's workers share our disk; a remote cluster's may not
        self.shared_fs = scheduler == "local"

    def __enter__(self):
        from distributed import Client, LocalCluster

        if self.scheduler == "local":
            # one thread per worker: a replication is pure Python and holds the GIL
            self.cluster = LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=self.processes, dashboard_address=None
            )
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(self.scheduler, timeout="10s")
            except OSError as exc:
                raise ScenarioError(f"--scheduler: {self.scheduler!r} is not reachable: {exc}") from None
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Close the client, and the LocalCluster if this executor started one. Safe to call twice."""
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def _n_workers(self, client) -> int:
        return max(1, len(client.scheduler_info().get("workers", {})))

    def imap(self, fn: Callable, jobs: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, fn(jobs[index]))`` as jobs finish (any order)."""
        from distributed import wait as dwait

        if self.client is None:
            self.__enter__()
        client = self.client
        assert client is not None  # __enter__ connected it
        # more queued than locally: a Dask round trip (scheduler, worker, result)
        # is slower, and a worker must not idle waiting for its next job
        in_flight = self._in_flight or 4 * self._n_workers(client)
        # pure=False: two jobs with equal arguments are still two computations
        yield from _bounded(
            lambda job: client.submit(fn, job, pure=False),
            jobs,
            in_flight,
            lambda pending: dwait(list(pending), return_when="FIRST_COMPLETED").done,
        )

    def describe(self) -> str:
        """One line for logs and manifests, e.g. ``dask (LocalCluster)`` or the scheduler's address."""
        where = "LocalCluster" if self.scheduler == "local" else self.scheduler
        return f"dask ({where})"


def _bounded(submit, jobs, in_flight: int, wait_some) -> Iterator[tuple[int, Any]]:
    """Submit up to ``in_flight`` jobs, yield each as it finishes, top up."""
    pending: dict = {}
    nxt = 0
    try:
        while nxt < len(jobs) or pending:
            while nxt < len(jobs) and len(pending) < in_flight:
                pending[submit(jobs[nxt])] = nxt
                nxt += 1
            for fut in wait_some(set(pending)):
                i = pending.pop(fut)
                yield i, fut.result()
    finally:  # an early stop (auto reps) or an interrupt: drop what is queued
        for fut in pending:
            fut.cancel()


def make_executor(
    workers: int = 1, scheduler: str | None = None, dask: str | None = None, processes: bool = True
):
    """The executor the options ask for.

    ``scheduler`` (``tcp://HOST:PORT``) or ``dask="local"`` select Dask;
    otherwise local processes. ``workers`` is the local pool size or the
    LocalCluster's worker count.
    """
    if dask not in (None, "local"):
        raise ScenarioError(f"--dask: {dask!r} is not allowed: the only value is 'local'")
    if scheduler and dask:
        raise ScenarioError(f"--scheduler: {scheduler!r} cannot be combined with --dask local; pick one")
    if scheduler:
        return DaskExecutor(scheduler, workers, processes)
    if dask == "local":
        return DaskExecutor("local", workers, processes)
    return LocalExecutor(workers)
