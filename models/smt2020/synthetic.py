"""A small synthetic fab in exactly the SMT2020 file format, for tests and examples.

**Every number here is an assumption (synthetic)**: chosen to exercise each feature of the
format and to be computed by hand, not taken from the SMT2020 data (which has no licence
and is never copied into this repository). :func:`synthetic_dataset` is the fab as typed
data; :func:`write_synthetic` writes it as the testbed's tab-separated files, so that
``read_dataset(write_synthetic(folder), name="SYNTHETIC") == synthetic_dataset()``.

The fab (25-wafer lots; times in minutes):

=========  ==========  =====  ===================================================================
group      area        tools  what it exercises
=========  ==========  =====  ===================================================================
DIFF_1     Diffusion   2      batch tool: BATCHMN 50 / BATCHMX 100 wafers (2-4 lots),
                              crit_sameroutestep, cascading (STNCAP 2) with a 60 min BatchInterval
WE_1       Wet_Etch    1      cascading per-piece tool (PartInterval 48 sec / 36 sec)
LITHO_1    Litho       2      per-piece, lens dedication (SVESTN/FORSTEP), step setups (STIME 10)
IMP_1      Implant     1      rule_LSSU, sequence-dependent setups (setup.txt), min run 5 (setupgrp)
MET_1      Def_Met     1      per-lot metrology, sampled (StepPercent) and with rework (RWKSTEP)
DELAY_1    Delay       400    a pure delay (infinite-capacity stand-in)
=========  ==========  =====  ===================================================================

Releases: part_1 10 lots a day (regular every 160 min and a hot lot every 1440 min), part_2
5.2 lots a day (regular every 288 min and a super-hot lot every 7200 min). At full batches
the busiest group is LITHO_1: offered load 0.7525 of a tool, availability 13/14, so 81 % of
its up time (see :mod:`models.smt2020.analytic`); a one-year run releases some 5,500 lots.
Breakdowns attach by area (MTTF one week); PMs by group, time-based (LITHO_1, DIFF_1) and
wafer-count (IMP_1, WE_1), with staggered first occurrences.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

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
from models.smt2020.reader import COLUMNS, DATE_FORMAT, UNITS

__all__ = ["synthetic_dataset", "write_synthetic", "EPOCH"]

#: Clock 0 of the synthetic dataset.
EPOCH = datetime(2018, 1, 1)

_RANKS = ("rank_HP", "rank_RSETUP", "rank_FIFO")

_GROUPS = (
    ToolGroup("DIFF_1", "Diffusion", 2, "rule_HotLotFIRST", _RANKS, batch_criterion="crit_sameroutestep",
              load_min=1.0, unload_min=1.0, cascading=True),
    ToolGroup("WE_1", "Wet_Etch", 1, "rule_HotLotFIRST", _RANKS, load_min=1.0, unload_min=1.0,
              cascading=True),
    ToolGroup("LITHO_1", "Litho", 2, "rule_HotLotFIRST", _RANKS, wake_least_setup=True,
              load_min=1.0, unload_min=1.0),
    ToolGroup("IMP_1", "Implant", 1, "rule_LSSU", _RANKS, wake_least_setup=True, load_min=1.0,
              unload_min=1.0, setup_group="IMP_Gas"),
    ToolGroup("MET_1", "Def_Met", 1, "rule_HotLotFIRST", _RANKS, load_min=1.0, unload_min=1.0),
    ToolGroup("DELAY_1", "Delay", 400, "rule_HotLotFIRST", _RANKS, location="Delay"),
)  # fmt: skip


def _route(part: str) -> tuple[Step, ...]:
    """The two routes (the step tables the analytic tests recompute by hand)."""
    s = Step
    if part == "part_1":
        return (
            s(1, "001_Diffusion", "DIFF_1", "Diffusion", 240.0, 12.0, "batch", 50, 100,
              batch_interval_min=60.0),
            s(2, "002_Wet_Etch", "WE_1", "Wet_Etch", 1.2, 0.06, "piece", part_interval_min=0.8, cqt_step=4,
              cqt_min=240.0),
            s(3, "003_Litho", "LITHO_1", "Litho", 2.4, 0.12, "piece", setup="L_P1", setup_min=10.0,
              lens_step=7),
            s(4, "004_Implant", "IMP_1", "Implant", 2.0, 0.1, "piece", setup="SU_A"),
            s(5, "005_Delay", "DELAY_1", "Delay", 180.0, 9.0, "lot"),
            s(6, "006_Def_Met", "MET_1", "Def_Met", 20.0, 1.0, "lot", sample_prob=0.5),
            s(7, "007_Litho", "LITHO_1", "Litho", 3.0, 0.15, "piece", setup="L_P1", setup_min=10.0),
            s(8, "008_Def_Met", "MET_1", "Def_Met", 16.0, 0.8, "lot", rework_step=7, rework_prob=0.05),
            s(9, "009_Diffusion", "DIFF_1", "Diffusion", 300.0, 15.0, "batch", 50, 100),
            s(10, "010_Wet_Etch", "WE_1", "Wet_Etch", 1.0, 0.0, "piece", part_interval_min=0.6),
        )  # fmt: skip
    return (
        s(1, "001_Diffusion", "DIFF_1", "Diffusion", 240.0, 12.0, "batch", 50, 100, batch_interval_min=60.0),
        s(2, "002_Wet_Etch", "WE_1", "Wet_Etch", 1.2, 0.06, "piece", part_interval_min=0.8, cqt_step=3,
          cqt_min=60.0),
        s(3, "003_Litho", "LITHO_1", "Litho", 2.4, 0.12, "piece", setup="L_P2", setup_min=10.0, lens_step=6),
        s(4, "004_Implant", "IMP_1", "Implant", 1.6, 0.08, "piece", setup="SU_B"),
        s(5, "005_Def_Met", "MET_1", "Def_Met", 20.0, 1.0, "lot", sample_prob=0.25),
        s(6, "006_Litho", "LITHO_1", "Litho", 3.0, 0.15, "piece", setup="L_P2", setup_min=10.0),
        s(7, "007_Delay", "DELAY_1", "Delay", 120.0, 6.0, "lot"),
        s(8, "008_Def_Met", "MET_1", "Def_Met", 16.0, 0.8, "lot", rework_step=6, rework_prob=0.04),
    )  # fmt: skip


def synthetic_dataset() -> Dataset:
    """The synthetic fab as typed data (what reading :func:`write_synthetic`'s files gives).

    Returns
    -------
    Dataset
        Named ``"SYNTHETIC"``, epoch 2018-01-01 00:00; times in minutes, shares in [0, 1].
    """
    products = {p: Product(p, f"product_{p[-1]}", f"r_{p[-1]}", _route(p)) for p in ("part_1", "part_2")}
    orders = (
        Order("Lot_1", "part_1", 10, 25, 0.0, "constant", 160.0, 200000, 1, 4320.0),
        Order("Lot_2", "part_2", 10, 25, 0.0, "constant", 288.0, 200000, 1, 4320.0),
        Order("HotLot_1", "part_1", 20, 25, 30.0, "constant", 1440.0, 20000, 1, 2880.0),
        Order("SuperHotLot_2", "part_2", 30, 25, 90.0, "constant", 7200.0, 2000, 1, 1440.0, hot=True),
    )
    wip = (
        WipLot("Init_Lot_1_1", "part_1", 10, 25, 0.0, 3, 1500.0),
        WipLot("Init_Lot_1_2", "part_1", 10, 25, 0.0, 9, 600.0),
        WipLot("Init_Lot_2_1", "part_2", 10, 25, 0.0, 5, 900.0),
        WipLot("Init_HotLot_1_1", "part_1", 20, 25, 0.0, 6, 720.0),
    )
    setups = (
        SetupChange("IMP_1", "", "SU_A", 60.0),
        SetupChange("IMP_1", "", "SU_B", 45.0),
        SetupChange("IMP_1", "SU_A", "SU_B", 30.0),
        SetupChange("IMP_1", "SU_B", "SU_A", 40.0),
    )
    min_runs = (MinRun("IMP_Gas", "SU_A", 5, "IMP_1"), MinRun("IMP_Gas", "SU_B", 5, "IMP_1"))
    pm = {
        c.name: c
        for c in (
            PmCalendar("LITHO_1_WK", "time", 10080.0, 240.0, 30.0, "Litho"),
            PmCalendar("DIFF_1_2WK", "time", 20160.0, 480.0, 60.0, "Diffusion"),
            PmCalendar("IMP_1_WAF", "wafers", 5000.0, 300.0, 30.0, "Implant"),
            PmCalendar("WE_1_WAF", "wafers", 10000.0, 120.0, 15.0, "Wet_Etch"),
        )
    }
    down = {
        c.name: c
        for c in (
            DownCalendar("BREAK_Litho", 10080.0, 504.0, "Litho"),
            DownCalendar("BREAK_Implant", 10080.0, 420.0, "Implant"),
            DownCalendar("BREAK_Diffusion", 10080.0, 120.0, "Diffusion"),
            DownCalendar("BREAK_Wet_Etch", 10080.0, 168.0, "Wet_Etch"),
            DownCalendar("BREAK_Def_Met", 10080.0, 36.0, "Def_Met"),
        )
    }
    attachments = tuple(
        Attachment(c.name, "down", "area", c.area, "exponential", 10080.0) for c in down.values()
    ) + (
        Attachment("LITHO_1_WK", "pm", "family", "LITHO_1", "constant", 2880.0),
        Attachment("DIFF_1_2WK", "pm", "family", "DIFF_1", "constant", 7200.0),
        Attachment("IMP_1_WAF", "pm", "family", "IMP_1", "constant", 2500.0),
        Attachment("WE_1_WAF", "pm", "family", "WE_1", "constant", 4000.0),
    )
    return Dataset(
        name="SYNTHETIC",
        epoch=EPOCH.isoformat(),
        tool_groups={g.name: g for g in _GROUPS},
        products=products,
        orders=orders,
        wip=wip,
        setups=setups,
        min_runs=min_runs,
        pm=pm,
        down=down,
        attachments=attachments,
        transport=Transport("uniform", 7.5, 2.5),
    )


def _num(value: float | int) -> str:
    """A number as the files write it: ``2`` for 2.0, shortest round-trip digits otherwise."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _time(minutes: float | None, unit: str) -> tuple[str, str]:
    """``(value, unit)`` cells for a time in minutes written in ``unit`` (empty for None)."""
    if minutes is None:
        return "", ""
    numerator, denominator = UNITS[unit]
    value = minutes * denominator / numerator
    if value * numerator / denominator != minutes:  # the synthetic numbers are chosen to read back exactly
        raise ValueError(f"{minutes} min does not read back exactly from {unit}")
    return _num(value), unit


def _date(minutes: float) -> str:
    return (EPOCH + timedelta(minutes=minutes)).strftime(DATE_FORMAT)


def _opt(value: int | float | None) -> str:
    return "" if value is None or value == 0 else _num(value) if isinstance(value, float) else str(value)


def _step_row(route: str, s: Step) -> dict[str, str]:
    ptime, ptunits = _time(s.ptime_min, "min")
    stime, stunits = _time(s.setup_min or None, "min")
    batch, batch_units = _time(s.batch_interval_min, "min")
    part, part_units = _time(s.part_interval_min, "sec")
    cqt, cqt_units = _time(s.cqt_min, "hr")
    return {
        "ROUTE": route,
        "STEP": str(s.number),
        "DESC": s.name,
        "STNFAM": s.family,
        "PDIST": "uniform" if s.ptime_spread_min else "constant",
        "PTIME": ptime,
        "PTIME2": _num(s.ptime_spread_min) if s.ptime_spread_min else "",
        "PTUNITS": ptunits,
        "PTPER": f"per_{s.per}",
        "BATCHMN": _opt(s.batch_min_wafers),
        "BATCHMX": _opt(s.batch_max_wafers),
        "SETUP": s.setup,
        "WHEN": "need" if s.setup else "",
        "STIME": stime,
        "STUNITS": stunits,
        "SVESTN": "yes" if s.lens_step else "",
        "FORSTEP": _opt(s.lens_step),
        "BatchInterval": batch,
        "BatchIntUnits": batch_units,
        "PartInterval": part,
        "PartIntUnits": part_units,
        "RWKSTEP": _opt(s.rework_step),
        "REWORK": _opt(round(s.rework_prob * 100, 9)),
        "RWKTYPE": "lot" if s.rework_step else "",
        "StepPercent": "" if s.sample_prob == 1 else _num(round(s.sample_prob * 100, 9)),
        "STEP_CQT": _opt(s.cqt_step),
        "CQT": cqt,
        "CQTUNITS": cqt_units,
        "IGNORE": s.area,
    }


def _tables(d: Dataset, ext: str) -> dict[str, tuple[tuple[str, ...], list[dict[str, str]]]]:
    """Each file's name, header and rows as the SMT2020 files have them."""
    tool_header = (
        "STNFAM", "STN", "RULE", "FWLRANK", "WAKERESRANK", "BATCHCRITF", "BATCHPER", "LTIME", "LTUNITS",
        "ULTIME", "ULTUNITS", "STNCAP", "STNQTY", "STNGRP", "STNFAMSTEP_ACTLIST", "STNFAMLOC", "PRERULERWL",
        "SETUPGRP",
    )  # fmt: skip
    tools = [
        {
            "STNFAM": g.name,
            "STN": g.name,
            "RULE": g.rule,
            "FWLRANK": ";".join(g.ranks),
            "WAKERESRANK": "wake_LeastSetupTime" if g.wake_least_setup else "",
            "BATCHCRITF": g.batch_criterion,
            "BATCHPER": "piece" if g.batch_criterion else "",
            "LTIME": _num(g.load_min),
            "LTUNITS": "min",
            "ULTIME": _num(g.unload_min),
            "ULTUNITS": "min",
            "STNCAP": "2.0" if g.cascading else "",
            "STNQTY": f"{g.tools}.0",
            "STNGRP": g.area,
            "STNFAMLOC": g.location,
            "PRERULERWL": "no",
            "SETUPGRP": g.setup_group,
        }
        for g in d.tool_groups.values()
    ]
    parts = [
        {
            "PARTGRP": "Saleable",
            "PARTFAM": p.family,
            "PART": p.name,
            "ROUTEFILE": f"route_{p.name[5:]}{ext}",
            "ROUTE": p.route,
        }
        for p in d.products.values()
    ]
    route_header = (
        "ROUTE", "STEP", "DESC", "STNFAM", "PDIST", "PTIME", "PTIME2", "PTUNITS", "PTPER", "BATCHMN",
        "BATCHMX", "SETUP", "WHEN", "STIME", "STUNITS", "SVESTN", "FORSTEP", "BatchInterval", "BatchIntUnits",
        "PartInterval", "PartIntUnits", "RWKSTEP", "REWORK", "RWKTYPE", "StepPercent", "STEP_CQT", "CQT",
        "CQTUNITS", "IGNORE",
    )  # fmt: skip
    orders = [
        {
            "LOT": o.name,
            "PART": o.part,
            "PRIOR": str(o.priority),
            "PIECES": str(o.wafers),
            "START": _date(o.start_min),
            "RDIST": o.dist,
            "REPEAT": _num(o.interval_min),
            "RUNITS": "min",
            "RPT#": str(o.repeats),
            "LOTSPERRPT": str(o.lots_per_release),
            "DUE": _date(o.start_min + o.due_after_min),
            "ORDER": f"O_{o.name}",
            "HOTLOT": "yes" if o.hot else "no",
        }
        for o in d.orders
    ]
    wip = [
        {
            "LOT": w.name,
            "PART": w.part,
            "PRIOR": str(w.priority),
            "PIECES": str(w.wafers),
            "START": _date(w.start_min),
            "CURSTEP": str(w.step),
            "DUE": _date(w.due_min),
            "ORDER": "O_Init_WIP",
        }
        for w in d.wip
    ]
    setups = [
        {
            "CURSETUP": c.from_setup,
            "NEWSETUP": c.to_setup,
            "STIME": _num(c.minutes),
            "STUNITS": "min",
            "IGNORE": c.family,
        }
        for c in d.setups
    ]
    runs, last = [], ""
    for r in d.min_runs:  # a continuation row leaves SETUPGRP empty, as the SMT2020 file does
        runs.append(
            {
                "SETUPGRP": "" if r.group == last else r.group,
                "SETUP": r.setup,
                "MINRUN": str(r.lots),
                "IGNORE": r.family,
            }
        )
        last = r.group
    pms = []
    for c in d.pm.values():
        every, every_units = (_num(c.every), "pieces") if c.kind == "wafers" else _time(c.every, "day")
        pms.append(
            {
                "PMCALNAME": c.name,
                "PMCALTYPE": "mtbpm_by_pieces" if c.kind == "wafers" else "mtbpm_by_cal",
                "MTBPM": every,
                "MTBPMUNITS": every_units,
                "MTTRDIST": "uniform",
                "MTTR": _time(c.duration_min, "hr")[0],
                "MTTR2": _time(c.duration_spread_min, "hr")[0],
                "MTTRUNITS": "hr",
                "IGNORE": c.area,
            }
        )
    downs = [
        {
            "DOWNCALNAME": c.name,
            "DOWNCALTYPE": "mttf_by_cal",
            "MTTFDIST": "exponential",
            "MTTF": _num(c.mttf_min),
            "MTTFUNITS": "min",
            "MTTRDIST": "exponential",
            "MTTR": _num(c.mttr_min),
            "MTTRUNITS": "min",
            "IGNORE": c.area,
        }
        for c in d.down.values()
    ]
    attach = []
    for a in d.attachments:
        wafers = a.kind == "pm" and d.pm[a.calendar].kind == "wafers"
        first, units = (_num(a.first), "") if wafers else _time(a.first, "day" if a.kind == "pm" else "min")
        attach.append(
            {
                "CALNAME": a.calendar,
                "CALTYPE": a.kind,
                "RESTYPE": "stnfam" if a.target_kind == "family" else "stngrp",
                "RESNAME": a.target,
                "FOADIST": a.first_dist,
                "FOA": first,
                "FOAUNITS": units,
            }
        )
    t = d.transport
    fromto = [
        {
            "FROMLOC": "Fab",
            "TOLOC": "Fab",
            "DDIST": t.dist,
            "DTIME": _num(t.mean_min),
            "DTIME2": _num(t.spread_min),
            "DUNITS": "min",
        }
    ]
    tables = {
        f"tool{ext}": (tool_header, tools),
        f"part{ext}": (("PARTGRP", *COLUMNS["part"]), parts),
        f"order{ext}": ((*COLUMNS["order"][:11], "ORDER", "HOTLOT"), orders),
        f"WIP{ext}": ((*COLUMNS["WIP"], "ORDER", "HOTLOT", "TRACE"), wip),
        f"setup{ext}": (COLUMNS["setup"], setups),
        f"setupgrp{ext}": (COLUMNS["setupgrp"], runs),
        f"pmcal{ext}": (COLUMNS["pmcal"], pms),
        f"downcal{ext}": (("DOWNCALNAME", "DOWNCALTYPE", *COLUMNS["downcal"][1:]), downs),
        f"attach{ext}": (COLUMNS["attach"], attach),
        f"fromto{ext}": (COLUMNS["fromto"], fromto),
    }
    for p in d.products.values():
        tables[f"route_{p.name[5:]}{ext}"] = (route_header, [_step_row(p.route, s) for s in p.steps])
    return tables


def write_synthetic(folder: str | Path, *, encoding: str = "utf-8", extension: str = ".txt") -> Path:
    """Write the synthetic dataset's files into ``folder`` (created if needed).

    Parameters
    ----------
    folder
        Where to write; existing files of the same names are replaced.
    encoding
        ``"utf-8"`` or ``"utf-16"`` (Python writes UTF-16 with a byte-order mark, as
        Windows tools do).
    extension
        ``".txt"`` (the tool file is then ``tool.txt``) or ``".asd"``.

    Returns
    -------
    Path
        ``folder``, ready for :func:`models.smt2020.reader.read_dataset`.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in _tables(synthetic_dataset(), extension).items():
        lines = ["\t".join(header)] + ["\t".join(row.get(column, "") for column in header) for row in rows]
        (out / name).write_text(
            "\n".join(lines) + "\n", encoding=encoding, newline="\r\n" if encoding != "utf-8" else "\n"
        )
    return out
