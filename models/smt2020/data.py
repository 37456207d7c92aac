"""The SMT2020 testbed as typed data: what :mod:`models.smt2020.reader` returns and
:mod:`models.smt2020.fab` simulates.

Every time is in **minutes** (the fab's clock, :data:`sim.units.MINUTE`) and every
probability is a share in [0, 1]; the reader converts the files' units (``sec``, ``min``,
``hr``, ``day``) and percentages once, so nothing downstream converts again. Clock 0 is
the dataset's epoch (the earliest ``START`` in ``order.txt`` and ``WIP.txt``).

Source: Kopp, Hassoun, Kalir, Mönch, "SMT2020 - A Semiconductor Manufacturing Testbed",
IEEE Trans. Semicond. Manuf. 33(4), 2020; file layout as in the AutoSched-style tables
distributed by the University of Hagen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Step",
    "ToolGroup",
    "Product",
    "Order",
    "WipLot",
    "SetupChange",
    "MinRun",
    "PmCalendar",
    "DownCalendar",
    "Attachment",
    "Transport",
    "Dataset",
]


@dataclass(frozen=True)
class Step:
    """One step of a route (a row of ``route_*.txt``).

    ``ptime_min`` is the mean of the file's ``PTIME`` in minutes *as written*: per lot,
    per piece (wafer) or per batch as ``per`` says; ``ptime_spread_min`` is ``PTIME2``
    (the uniform half-width: values lie in mean ± spread; ``fromto.txt``'s
    ``7.5, 2.5`` is the paper's 5-10 min transport, which fixes the reading).
    The kernel turns these into a lot's or batch's duration.
    """

    number: int  # STEP, 1-based, consecutive
    name: str  # DESC
    family: str  # STNFAM: the tool group that processes it
    area: str  # IGNORE column: the area, e.g. "Litho"
    ptime_min: float  # PTIME, minutes, per `per`
    ptime_spread_min: float  # PTIME2, minutes (0 for constant)
    per: str  # "lot" | "piece" | "batch" (PTPER)
    batch_min_wafers: int = 0  # BATCHMN (0: not a batch step)
    batch_max_wafers: int = 0  # BATCHMX
    setup: str = ""  # SETUP this step needs ("" none)
    setup_min: float = 0.0  # STIME: step's own setup time, minutes (0 if none)
    lens_step: int | None = None  # FORSTEP when SVESTN == "yes": same tool as that step
    batch_interval_min: float | None = None  # BatchInterval: cascading batch tools
    part_interval_min: float | None = None  # PartInterval: cascading per-wafer tools
    rework_step: int | None = None  # RWKSTEP: where a reworked lot goes back to
    rework_prob: float = 0.0  # REWORK / 100
    sample_prob: float = 1.0  # StepPercent / 100 (1: every lot does the step)
    cqt_step: int | None = None  # STEP_CQT: the step the critical queue time runs to
    cqt_min: float | None = None  # CQT, minutes


@dataclass(frozen=True)
class ToolGroup:
    """A station family (a row of ``tool.txt``): ``tools`` identical tools."""

    name: str  # STNFAM
    area: str  # STNGRP, e.g. "Litho", "Dry_Etch", "Delay"
    tools: int  # STNQTY
    rule: str  # RULE, e.g. "rule_HotLotFIRST", "rule_LSSU"
    ranks: tuple[str, ...] = ()  # FWLRANK split on ";", e.g. ("rank_HP", "rank_RSETUP", "rank_FIFO")
    wake_least_setup: bool = False  # WAKERESRANK == "wake_LeastSetupTime"
    batch_criterion: str = ""  # BATCHCRITF, e.g. "crit_sameroutestep"
    load_min: float = 0.0  # LTIME
    unload_min: float = 0.0  # ULTIME
    cascading: bool = False  # STNCAP == 2
    location: str = "Fab"  # STNFAMLOC
    setup_group: str = ""  # SETUPGRP (minimum-run rule)


@dataclass(frozen=True)
class Product:
    """A part and its route (``part.txt`` plus its ``route_*.txt``)."""

    name: str  # PART
    family: str  # PARTFAM
    route: str  # ROUTE
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Order:
    """A release stream (a row of ``order.txt``): ``repeats`` releases of ``lots_per_release``
    lots, the first at ``start_min``, then every ``interval_min`` (``RDIST`` ``dist``)."""

    name: str  # LOT: lot names are f"{name}_{k}"
    part: str
    priority: int  # PRIOR: 10 regular, 20 hot, 30 super hot (engineering in DS3/DS4)
    wafers: int  # PIECES
    start_min: float
    dist: str  # RDIST, e.g. "constant"
    interval_min: float  # REPEAT
    repeats: int  # RPT#
    lots_per_release: int  # LOTSPERRPT
    due_after_min: float  # DUE - START: a lot's due date is its release plus this
    hot: bool = False  # HOTLOT == "yes"


@dataclass(frozen=True)
class WipLot:
    """A lot already in the fab at clock 0 (a row of ``WIP.txt``)."""

    name: str
    part: str
    priority: int
    wafers: int
    start_min: float  # its release (<= 0)
    step: int  # CURSTEP: the step it waits for (1-based)
    due_min: float


@dataclass(frozen=True)
class SetupChange:
    """A sequence-dependent setup time (a row of ``setup.txt``); ``from_setup`` "" means
    from any setup."""

    family: str  # IGNORE column: the tool group it applies to
    from_setup: str
    to_setup: str
    minutes: float


@dataclass(frozen=True)
class MinRun:
    """The minimum-run rule (a row of ``setupgrp.txt``): once a tool of ``family`` is set up
    for ``setup``, it runs at least ``lots`` lots of it before changing, while any wait."""

    group: str  # SETUPGRP
    setup: str
    lots: int  # MINRUN
    family: str


@dataclass(frozen=True)
class PmCalendar:
    """Preventive maintenance (a row of ``pmcal.txt``): every ``every`` minutes
    (``kind == "time"``) or wafers (``kind == "wafers"``), lasting a uniform
    ``duration_min`` ± ``duration_spread_min``."""

    name: str
    kind: str  # "time" | "wafers"
    every: float  # minutes or wafers
    duration_min: float
    duration_spread_min: float
    area: str = ""


@dataclass(frozen=True)
class DownCalendar:
    """Breakdowns (a row of ``downcal.txt``): exponential time to failure and to repair."""

    name: str
    mttf_min: float
    mttr_min: float
    area: str = ""


@dataclass(frozen=True)
class Attachment:
    """A calendar attached to tools (a row of ``attach.txt``).

    ``target_kind`` is ``"family"`` (STNFAM: every tool of that tool group) or ``"area"``
    (``stngrp``: every tool of every group of that area). ``first`` is the first
    occurrence (FOA) in minutes, or wafers for a wafer-count PM; ``first_dist`` is FOADIST
    (``"constant"`` or ``"exponential"``: the kernel staggers a group's tools from it).
    """

    calendar: str
    kind: str  # "pm" | "down"
    target_kind: str  # "family" | "area"
    target: str
    first_dist: str
    first: float


@dataclass(frozen=True)
class Transport:
    """Time between two steps (``fromto.txt``): uniform ``mean_min`` ± ``spread_min`` (SMT2020: 5-10 min)."""

    dist: str
    mean_min: float
    spread_min: float


@dataclass(frozen=True)
class Dataset:
    """One SMT2020 dataset, read and validated (:func:`models.smt2020.reader.read_dataset`)."""

    name: str  # e.g. "HVLM"
    epoch: str  # ISO date-time of clock 0
    tool_groups: dict[str, ToolGroup]
    products: dict[str, Product]
    orders: tuple[Order, ...]
    wip: tuple[WipLot, ...] = ()
    setups: tuple[SetupChange, ...] = ()
    min_runs: tuple[MinRun, ...] = ()
    pm: dict[str, PmCalendar] = field(default_factory=dict)
    down: dict[str, DownCalendar] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()
    transport: Transport = Transport("uniform", 7.5, 2.5)  # SMT2020: 5-10 min
