"""Read and validate an SMT2020 dataset folder into a :class:`~models.smt2020.data.Dataset`.

The files are the AutoSched-style tables of the testbed (``tool.txt``, ``part.txt``,
``route_*.txt``, ``order.txt``, ``WIP.txt``, ``setup.txt``, ``setupgrp.txt``, ``pmcal.txt``,
``downcal.txt``, ``attach.txt``, ``fromto.txt``): tab-separated, a header row, UTF-8 or
UTF-16 (with BOM), ``.txt`` or ``.asd``. Each file's required header columns are listed once
in :data:`COLUMNS`; the per-row accessors of :class:`_Row` convert units (``sec``, ``min``,
``hr``, ``day``) to minutes and percentages to shares, so every problem is reported where
it is: ``route_3.txt, line 12, column PTIME: 'abc' is not a number`` (line 1 is the header).

Semantics follow the testbed paper (Kopp et al. 2020) and PySCFabSim's reader where the
paper is silent: an empty ``CURSETUP`` in ``setup.txt`` is a change from any setup, an
empty ``SETUPGRP`` in ``setupgrp.txt`` continues the group above, an empty ``FOAUNITS`` in
``attach.txt`` means the first occurrence is counted in wafers (a wafer-count PM).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from models.smt2020.data import (
    Attachment,
    Dataset,
    DownCalendar,
    MinRun,
    Order,
    PmCalendar,
    Product,
    SetupChange,
    Step,
    ToolGroup,
    Transport,
    WipLot,
)
from sim.validation import ScenarioError, shown, shown_path

__all__ = ["DatasetError", "read_dataset", "COLUMNS", "UNITS", "DATE_FORMAT"]

T = TypeVar("T")

#: Minutes per unit of the files' time columns, as a fraction (numerator, denominator): a
#: value is multiplied, then divided, so ``48 sec`` reads as exactly the float ``0.8``.
UNITS: dict[str, tuple[int, int]] = {"sec": (1, 60), "min": (1, 1), "hr": (60, 1), "day": (1440, 1)}
#: How START and DUE are written (``01/01/18 00:00:00``).
DATE_FORMAT = "%m/%d/%y %H:%M:%S"

#: The header columns each file must have (other columns are allowed and ignored).
COLUMNS: dict[str, tuple[str, ...]] = {
    "tool": (
        "STNFAM",
        "RULE",
        "FWLRANK",
        "WAKERESRANK",
        "BATCHCRITF",
        "LTIME",
        "LTUNITS",
        "ULTIME",
        "ULTUNITS",
        "STNCAP",
        "STNQTY",
        "STNGRP",
        "STNFAMLOC",
        "SETUPGRP",
    ),  # fmt: skip
    "part": ("PARTFAM", "PART", "ROUTEFILE", "ROUTE"),
    "route": (
        "STEP",
        "DESC",
        "STNFAM",
        "PDIST",
        "PTIME",
        "PTIME2",
        "PTUNITS",
        "PTPER",
        "BATCHMN",
        "BATCHMX",
        "SETUP",
        "STIME",
        "STUNITS",
        "SVESTN",
        "FORSTEP",
        "BatchInterval",
        "BatchIntUnits",
        "PartInterval",
        "PartIntUnits",
        "RWKSTEP",
        "REWORK",
        "StepPercent",
        "STEP_CQT",
        "CQT",
        "CQTUNITS",
        "IGNORE",
    ),  # fmt: skip
    "order": (
        "LOT",
        "PART",
        "PRIOR",
        "PIECES",
        "START",
        "RDIST",
        "REPEAT",
        "RUNITS",
        "RPT#",
        "LOTSPERRPT",
        "DUE",
        "HOTLOT",
    ),  # fmt: skip
    "WIP": ("LOT", "PART", "PRIOR", "PIECES", "START", "CURSTEP", "DUE"),
    "setup": ("CURSETUP", "NEWSETUP", "STIME", "STUNITS", "IGNORE"),
    "setupgrp": ("SETUPGRP", "SETUP", "MINRUN", "IGNORE"),
    "pmcal": (
        "PMCALNAME",
        "PMCALTYPE",
        "MTBPM",
        "MTBPMUNITS",
        "MTTRDIST",
        "MTTR",
        "MTTR2",
        "MTTRUNITS",
        "IGNORE",
    ),
    "downcal": ("DOWNCALNAME", "MTTFDIST", "MTTF", "MTTFUNITS", "MTTRDIST", "MTTR", "MTTRUNITS", "IGNORE"),
    "attach": ("CALNAME", "CALTYPE", "RESTYPE", "RESNAME", "FOADIST", "FOA", "FOAUNITS"),
    "fromto": ("FROMLOC", "TOLOC", "DDIST", "DTIME", "DTIME2", "DUNITS"),
}
#: Files a dataset may leave out (an empty table, or the default transport).
OPTIONAL = frozenset({"WIP", "setup", "setupgrp", "pmcal", "downcal", "attach", "fromto"})

_PER = {"per_lot": "lot", "per_piece": "piece", "per_batch": "batch"}
_PM_KIND = {"mtbpm_by_cal": "time", "mtbpm_by_pieces": "wafers"}
_TARGET_KIND = {"stnfam": "family", "stngrp": "area"}
_SPREAD_DISTS = {"uniform": True, "constant": False}  # PDIST/MTTRDIST: does the second value count?
_YES_NO = {"yes": True, "no": False, "": False}


class DatasetError(ScenarioError):
    """An SMT2020 dataset could not be found, read or validated; the message is one line
    naming the file, the line (1-based, the header is line 1), the column and the value."""


class _Row:
    """One data row of a file: its cells by header column, and converters that raise a
    :class:`DatasetError` naming this file, line and column."""

    __slots__ = ("file", "line", "cells")

    def __init__(self, file: str, line: int, cells: dict[str, str]):
        self.file, self.line, self.cells = file, line, cells

    def error(self, column: str, message: str) -> DatasetError:
        """The error for ``column`` of this row (``message`` says what is wrong)."""
        return DatasetError(f"{self.file}, line {self.line}, column {column}: {message}")

    def text(self, column: str) -> str:
        """The cell, stripped ("" when empty)."""
        return self.cells.get(column, "").strip()

    def required(self, column: str) -> str:
        """The cell, which must not be empty."""
        value = self.text(column)
        if not value:
            raise self.error(column, "is empty; a value is needed")
        return value

    def number(self, column: str, default: float | None = None) -> float:
        """The cell as a finite number (``default`` when empty; empty is an error without one)."""
        value = self.text(column)
        if not value and default is not None:
            return default
        try:
            number = float(self.required(column))
        except ValueError:
            raise self.error(column, f"{shown(value)} is not a number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise self.error(column, f"{shown(value)} is not a finite number")
        return number

    def integer(self, column: str, default: int | None = None, minimum: int = 0) -> int:
        """The cell as a whole number at least ``minimum`` (``10.0`` is 10; ``2.5`` is an error)."""
        value = self.number(column, None if default is None else float(default))
        if value != int(value):
            raise self.error(column, f"{shown(self.text(column))} is not a whole number")
        if value < minimum:
            raise self.error(column, f"{shown(self.text(column))} is less than {minimum}")
        return int(value)

    def minutes(self, column: str, unit_column: str, default: float | None = None) -> float:
        """A non-negative time in minutes: the cell in the unit ``unit_column`` names."""
        if not self.text(column) and default is not None:
            return default
        value = self.number(column)
        if value < 0:
            raise self.error(column, f"{shown(self.text(column))} is a negative time")
        numerator, denominator = self.choice(unit_column, UNITS)
        return value * numerator / denominator

    def share(self, column: str, default: float) -> float:
        """A percentage in [0, 100] as a share in [0, 1] (``default`` when empty)."""
        if not self.text(column):
            return default
        value = self.number(column)
        if not 0 <= value <= 100:
            raise self.error(column, f"{shown(self.text(column))} is not a percentage in [0, 100]")
        return value / 100

    def choice(self, column: str, choices: Mapping[str, T]) -> T:
        """What ``choices`` maps the cell to (an unknown value is an error listing the allowed ones)."""
        value = self.text(column)
        if value not in choices:
            allowed = ", ".join(repr(c) for c in choices)
            raise self.error(column, f"{shown(value)} is not one of {allowed}")
        return choices[value]

    def date(self, column: str) -> datetime:
        """The cell as a date-time written ``%m/%d/%y %H:%M:%S``."""
        value = self.required(column)
        try:
            return datetime.strptime(value, DATE_FORMAT)
        except ValueError:
            raise self.error(column, f"{shown(value)} is not a date like '01/31/18 23:59:00'") from None

    def known(self, column: str, names: Iterable[str], what: str) -> str:
        """The cell, which must be one of ``names`` (``what`` says what they are)."""
        value = self.required(column)
        if value not in names:
            raise self.error(column, f"{shown(value)} is not a known {what}")
        return value


def _decode(path: Path) -> str:
    data = path.read_bytes()
    # A BOM decides; without one, NUL bytes in an ASCII header mean UTF-16, else UTF-8.
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = "utf-16"
    elif data[1:2] == b"\x00":
        codec = "utf-16-le"
    elif data[:1] == b"\x00":
        codec = "utf-16-be"
    else:
        codec = "utf-8-sig"
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path.name}: not UTF-8 or UTF-16 (with BOM) text ({exc.reason})") from None


def _rows(path: Path, columns: tuple[str, ...]) -> list[_Row]:
    """The data rows of a tab-separated file whose header has ``columns`` (blank rows skipped)."""
    lines = list(csv.reader(_decode(path).splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE))
    if not lines:
        raise DatasetError(f"{path.name}, line 1: the file is empty; a header row is needed")
    header = [h.strip() for h in lines[0]]
    for column in columns:
        if column not in header:
            raise DatasetError(f"{path.name}, line 1, column {column}: missing from the header")
    rows = []
    for number, fields in enumerate(lines[1:], start=2):
        if not any(f.strip() for f in fields):
            continue
        # Writers drop or add trailing tabs freely; only a value past the header is an error.
        for k in range(len(header), len(fields)):
            if fields[k].strip():
                raise DatasetError(
                    f"{path.name}, line {number}, column {k + 1} (past the header's last column "
                    f"{header[-1]}): unexpected value {shown(fields[k])}"
                )
        rows.append(_Row(path.name, number, dict(zip(header, fields))))
    return rows


class _Folder:
    """A dataset folder's files, found by name whatever their case and extension."""

    def __init__(self, folder: Path):
        if not folder.is_dir():
            raise DatasetError(f"SMT2020 dataset folder {shown_path(folder)} does not exist")
        self.folder = folder
        self.names = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}

    def find(self, name: str) -> Path | None:
        """The file called ``name`` (``route_3.txt``) or the same stem with another extension."""
        stem = name.rsplit(".", 1)[0] if name.lower().endswith((".txt", ".asd")) else name
        candidates = [name, f"{stem}.txt", f"{stem}.asd"]
        if stem == "tool":
            candidates.insert(2, "tool.txt.1l")
        for candidate in candidates:
            if candidate.lower() in self.names:
                return self.names[candidate.lower()]
        return None

    def table(self, kind: str) -> list[_Row]:
        """The rows of the file ``kind`` (``"tool"``, ``"WIP"``, ...); an optional file may be absent."""
        path = self.find(kind)
        if path is None:
            if kind in OPTIONAL:
                return []
            looked = "tool.txt, tool.txt.1l or tool.asd" if kind == "tool" else f"{kind}.txt or {kind}.asd"
            raise DatasetError(f"{kind}.txt: missing in {shown_path(self.folder)} (looked for {looked})")
        return _rows(path, COLUMNS[kind])


def _tool_group(row: _Row) -> ToolGroup:
    return ToolGroup(
        name=row.required("STNFAM"),
        area=row.required("STNGRP"),
        tools=row.integer("STNQTY", minimum=1),
        rule=row.text("RULE"),
        ranks=tuple(r.strip() for r in row.text("FWLRANK").split(";") if r.strip()),
        wake_least_setup=row.text("WAKERESRANK") == "wake_LeastSetupTime",
        batch_criterion=row.text("BATCHCRITF"),
        load_min=row.minutes("LTIME", "LTUNITS", default=0.0),
        unload_min=row.minutes("ULTIME", "ULTUNITS", default=0.0),
        cascading=row.number("STNCAP", default=1.0) == 2,
        location=row.text("STNFAMLOC") or "Fab",
        setup_group=row.text("SETUPGRP"),
    )


def _step_ref(row: _Row, column: str, steps: int) -> int | None:
    """An optional reference to a step of the same route (1..steps)."""
    if not row.text(column):
        return None
    number = row.integer(column, minimum=1)
    if number > steps:
        raise row.error(column, f"{shown(row.text(column))} is not a step of this route (1..{steps})")
    return number


def _step(row: _Row, expected: int, steps: int, families: Mapping[str, ToolGroup]) -> Step:
    number = row.integer("STEP", minimum=1)
    if number != expected:
        raise row.error("STEP", f"{shown(row.text('STEP'))} should be {expected}: steps run 1, 2, 3, ...")
    spread = row.choice("PDIST", _SPREAD_DISTS)
    batch_min = row.integer("BATCHMN", default=0)
    batch_max = row.integer("BATCHMX", default=0)
    if batch_max and batch_min > batch_max:
        raise row.error("BATCHMN", f"{batch_min} is more than BATCHMX {batch_max}")
    rework_step = _step_ref(row, "RWKSTEP", steps)
    if rework_step is not None and rework_step > number:
        raise row.error("RWKSTEP", f"{rework_step} is after this step {number}: rework goes back")
    cqt_step = _step_ref(row, "STEP_CQT", steps)
    return Step(
        number=number,
        name=row.text("DESC"),
        family=row.known("STNFAM", families, "tool group (STNFAM of tool.txt)"),
        area=row.text("IGNORE"),
        ptime_min=row.minutes("PTIME", "PTUNITS"),
        ptime_spread_min=row.minutes("PTIME2", "PTUNITS", default=0.0) if spread else 0.0,
        per=row.choice("PTPER", _PER),
        batch_min_wafers=batch_min,
        batch_max_wafers=batch_max,
        setup=row.text("SETUP"),
        setup_min=row.minutes("STIME", "STUNITS", default=0.0),
        lens_step=_step_ref(row, "FORSTEP", steps) if row.choice("SVESTN", _YES_NO) else None,
        batch_interval_min=row.minutes("BatchInterval", "BatchIntUnits")
        if row.text("BatchInterval")
        else None,
        part_interval_min=row.minutes("PartInterval", "PartIntUnits") if row.text("PartInterval") else None,
        rework_step=rework_step,
        rework_prob=row.share("REWORK", 0.0),
        sample_prob=row.share("StepPercent", 1.0),
        cqt_step=cqt_step,
        cqt_min=row.minutes("CQT", "CQTUNITS") if row.text("CQT") else None,
    )


def _product(row: _Row, folder: _Folder, families: Mapping[str, ToolGroup]) -> Product:
    route_file = row.required("ROUTEFILE")
    path = folder.find(route_file)
    if path is None:
        raise row.error("ROUTEFILE", f"{shown(route_file)}: no such file in the dataset folder")
    rows = _rows(path, COLUMNS["route"])
    steps = tuple(_step(r, k, len(rows), families) for k, r in enumerate(rows, start=1))
    return Product(
        name=row.required("PART"), family=row.text("PARTFAM"), route=row.text("ROUTE"), steps=steps
    )


def _pm(row: _Row) -> PmCalendar:
    kind = row.choice("PMCALTYPE", _PM_KIND)
    if kind == "wafers":
        row.choice("MTBPMUNITS", {"pieces": None})
        every = row.number("MTBPM")
        if every <= 0:
            raise row.error("MTBPM", f"{shown(row.text('MTBPM'))} is not a positive wafer count")
    else:
        every = row.minutes("MTBPM", "MTBPMUNITS")
    spread = row.choice("MTTRDIST", _SPREAD_DISTS)
    return PmCalendar(
        name=row.required("PMCALNAME"),
        kind=kind,
        every=every,
        duration_min=row.minutes("MTTR", "MTTRUNITS"),
        duration_spread_min=row.minutes("MTTR2", "MTTRUNITS", default=0.0) if spread else 0.0,
        area=row.text("IGNORE"),
    )


def _down(row: _Row) -> DownCalendar:
    # The kernel draws both times from exponentials: any other distribution would be silently wrong.
    exponential = {"exponential": None}
    row.choice("MTTFDIST", exponential)
    row.choice("MTTRDIST", exponential)
    return DownCalendar(
        name=row.required("DOWNCALNAME"),
        mttf_min=row.minutes("MTTF", "MTTFUNITS"),
        mttr_min=row.minutes("MTTR", "MTTRUNITS"),
        area=row.text("IGNORE"),
    )


def _attachment(
    row: _Row, pm: Mapping[str, PmCalendar], down: Mapping[str, object], groups: Mapping[str, ToolGroup]
) -> Attachment:
    kind = row.choice("CALTYPE", {"pm": "pm", "down": "down"})
    name = row.known("CALNAME", pm if kind == "pm" else down, f"{kind} calendar")
    target_kind = row.choice("RESTYPE", _TARGET_KIND)
    targets = groups if target_kind == "family" else {g.area for g in groups.values()}
    target = row.known("RESNAME", targets, "tool group" if target_kind == "family" else "area (STNGRP)")
    wafers = kind == "pm" and pm[name].kind == "wafers"
    if row.text("FOAUNITS") in ("", "pieces"):
        if not wafers:
            raise row.error("FOAUNITS", "is empty or 'pieces' but the calendar is not a wafer-count PM")
        first = row.number("FOA")
        if first < 0:
            raise row.error("FOA", f"{shown(row.text('FOA'))} is a negative wafer count")
    elif wafers:
        raise row.error("FOAUNITS", f"{shown(row.text('FOAUNITS'))}: a wafer-count PM counts FOA in wafers")
    else:
        first = row.minutes("FOA", "FOAUNITS")
    return Attachment(
        calendar=name,
        kind=kind,
        target_kind=target_kind,
        target=target,
        first_dist=row.text("FOADIST"),
        first=first,
    )


def _min_runs(rows: list[_Row], groups: Mapping[str, ToolGroup]) -> tuple[MinRun, ...]:
    runs, group = [], ""
    for row in rows:
        group = row.text("SETUPGRP") or group  # an empty SETUPGRP continues the group above
        if not group:
            raise row.error("SETUPGRP", "is empty on the first row; a setup group is needed")
        runs.append(
            MinRun(
                group=group,
                setup=row.required("SETUP"),
                lots=row.integer("MINRUN", minimum=1),
                family=row.known("IGNORE", groups, "tool group (STNFAM of tool.txt)"),
            )
        )
    return tuple(runs)


def _releases(
    orders: list[_Row], wip: list[_Row], products: Mapping[str, Product]
) -> tuple[str, tuple[Order, ...], tuple[WipLot, ...]]:
    """Orders and WIP lots with times in minutes since the earliest START (the epoch)."""
    starts = [(row, row.date("START")) for row in orders + wip]
    epoch = min((start for _, start in starts), default=datetime(2018, 1, 1))

    def since(moment: datetime) -> float:
        return (moment - epoch).total_seconds() / 60

    def due(row: _Row, start: datetime) -> float:
        after = since(row.date("DUE")) - since(start)
        if after < 0:
            raise row.error("DUE", f"{shown(row.text('DUE'))} is before START {shown(row.text('START'))}")
        return after

    def part(row: _Row) -> str:
        return row.known("PART", products, "part (PART of part.txt)")

    made = []
    for row, start in starts[: len(orders)]:
        made.append(
            Order(
                name=row.required("LOT"),
                part=part(row),
                priority=row.integer("PRIOR"),
                wafers=row.integer("PIECES", minimum=1),
                start_min=since(start),
                dist=row.required("RDIST"),
                interval_min=row.minutes("REPEAT", "RUNITS"),
                repeats=row.integer("RPT#", minimum=1),
                lots_per_release=row.integer("LOTSPERRPT", minimum=1),
                due_after_min=due(row, start),
                hot=row.choice("HOTLOT", _YES_NO),
            )
        )
    lots = []
    for row, start in starts[len(orders) :]:
        name = part(row)
        step = row.integer("CURSTEP", minimum=1)
        if step > len(products[name].steps):
            raise row.error("CURSTEP", f"{step} is past the last step {len(products[name].steps)} of {name}")
        lots.append(
            WipLot(
                name=row.required("LOT"),
                part=name,
                priority=row.integer("PRIOR"),
                wafers=row.integer("PIECES", minimum=1),
                start_min=since(start),
                step=step,
                due_min=since(start) + due(row, start),
            )
        )
    return epoch.isoformat(), tuple(made), tuple(lots)


def _keyed(rows: list[_Row], column: str, make: Callable[[_Row], T]) -> dict[str, T]:
    """``make(row)`` for each row by its name in ``column``; a name given twice is an error."""
    out: dict[str, T] = {}
    for row in rows:
        name = row.required(column)
        if name in out:
            raise row.error(column, f"{shown(name)} is given twice")
        out[name] = make(row)
    return out


def read_dataset(folder: str | Path, name: str | None = None) -> Dataset:
    """Read and validate the SMT2020 dataset in ``folder``.

    Parameters
    ----------
    folder
        The dataset folder (``tool.txt`` or ``tool.txt.1l`` or ``tool.asd``, ``part.txt``, the
        route files ``part.txt`` names, ``order.txt``; the other files are optional).
    name
        The dataset's name; by default the folder's name without a ``SMT2020_`` prefix.

    Returns
    -------
    Dataset
        Times in minutes since the epoch (the earliest ``START`` of ``order.txt`` and
        ``WIP.txt``), probabilities as shares in [0, 1], wafer counts as written.

    Raises
    ------
    DatasetError
        For the first problem found, naming the file, line, column and value.
    """
    where = _Folder(Path(folder))
    groups = _keyed(where.table("tool"), "STNFAM", _tool_group)
    products = _keyed(where.table("part"), "PART", lambda row: _product(row, where, groups))
    epoch, orders, wip = _releases(where.table("order"), where.table("WIP"), products)
    setups = tuple(
        SetupChange(
            family=row.known("IGNORE", groups, "tool group (STNFAM of tool.txt)"),
            from_setup=row.text("CURSETUP"),
            to_setup=row.required("NEWSETUP"),
            minutes=row.minutes("STIME", "STUNITS"),
        )
        for row in where.table("setup")
    )
    pm = _keyed(where.table("pmcal"), "PMCALNAME", _pm)
    down = _keyed(where.table("downcal"), "DOWNCALNAME", _down)
    attachments = tuple(_attachment(row, pm, down, groups) for row in where.table("attach"))
    transports = [
        Transport(
            dist=row.required("DDIST"),
            mean_min=row.minutes("DTIME", "DUNITS"),
            spread_min=row.minutes("DTIME2", "DUNITS", default=0.0),
        )
        for row in where.table("fromto")
    ]
    return Dataset(
        name=name if name is not None else Path(folder).name.removeprefix("SMT2020_"),
        epoch=epoch,
        tool_groups=groups,
        products=products,
        orders=orders,
        wip=wip,
        setups=setups,
        min_runs=_min_runs(where.table("setupgrp"), groups),
        pm=pm,
        down=down,
        attachments=attachments,
        # SMT2020 has one location ("Fab"): its single row is the transport between any two steps.
        **({"transport": transports[0]} if transports else {}),
    )
