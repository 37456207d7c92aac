"""How a run executes: one :class:`RunOptions` for every entry point.

``run``, ``sweep``, ``compare``, ``sensitivity``, the explorer, ``backtest`` and
``calibrate`` all take the same options; none of them changes what is
simulated (the scenario, seed and replications do), only where and how the
replications run and where their results go. Same scenario and seed, same
tables, whatever the options.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .scenario import MAX_REPS
from .validation import ScenarioError, describe_error

#: Local worker processes at most (a 2-core machine gains nothing past a few;
#: thousands would fork until the machine stalls).
MAX_WORKERS = 256


class RunOptions(BaseModel):
    """Execution settings of a run (never what is simulated).

    Attributes
    ----------
    workers : int
        Local worker processes (1: in this process), or the workers of a
        Dask LocalCluster with ``dask="local"``. At most :data:`MAX_WORKERS`,
        and never more than there are jobs.
    dask : "local", optional
        Start a ``dask.distributed`` LocalCluster with ``workers`` workers.
    scheduler : str, optional
        ``"tcp://HOST:PORT"`` of a running Dask scheduler.
    executor : optional
        An executor already entered (:mod:`sim.executors`), shared by several
        runs; overrides ``workers``, ``dask`` and ``scheduler``.
    batch : int, optional
        Replications per job and per stored part (default
        :func:`sim.runner.batch_size`).
    progress : bool
        tqdm progress bars.
    out : path, optional
        Stream finished batches to a result store in this folder.
    resume : bool
        Continue the store in ``out`` without recomputing its finished parts.
    force : bool
        Allow ``out`` to be a non-empty folder that is not a result store of
        this project; its content is replaced once the new results are
        complete (see :mod:`sim.output_folder`).
    ci, max_reps, min_reps : with ``reps="auto"``
        Stop once the 95% half-width of the headline mean is at most ``ci``
        times its absolute mean (see :mod:`sim.headline`), after at least
        ``min_reps`` and at most ``max_reps`` replications.
    at_year : float
        The headline metric's window ends at this year (years).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, arbitrary_types_allowed=True)

    workers: int = Field(1, ge=1, le=MAX_WORKERS)
    dask: str | None = None
    scheduler: str | None = None
    executor: Any = None
    batch: int | None = Field(None, ge=1)
    progress: bool = True
    out: Path | None = None
    resume: bool = False
    force: bool = False
    ci: float = Field(0.05, gt=0, lt=1)
    max_reps: int = Field(1000, ge=2, le=MAX_REPS)
    min_reps: int = Field(20, ge=2, le=MAX_REPS)
    at_year: float = Field(5.0, gt=0, le=100, allow_inf_nan=False)

    @field_validator("out", mode="before")
    @classmethod
    def _path(cls, v):
        return Path(v) if isinstance(v, str) else v

    @field_validator("ci", "at_year", mode="before")
    @classmethod
    def _int_is_a_number(cls, v):
        # strict mode refuses an int for a float field; a whole number is still a number
        return float(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @model_validator(mode="after")
    def _consistent(self):
        if self.dask not in (None, "local"):
            raise ValueError(f"dask: {self.dask!r} is not allowed: the only value is 'local'")
        if self.scheduler is not None and "://" not in self.scheduler:
            raise ValueError(f"scheduler: {self.scheduler!r} is not allowed: use tcp://HOST:PORT")
        if self.scheduler and self.dask:
            raise ValueError(f"scheduler: {self.scheduler!r} cannot be combined with dask='local'; pick one")
        if self.resume and self.out is None:
            raise ValueError("resume: needs out, the folder of the store to continue")
        return self

    def __init__(self, **data):
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ScenarioError(describe_error(exc)) from None

    def replace(self, **changes) -> RunOptions:
        """A copy with some settings changed (validated)."""
        return RunOptions(**{**self.__dict__, **changes})
