"""Closed-form values of an SMT2020 dataset: raw process time, tool load, availability.

These are the hand arithmetic the tests and the fidelity report compare the simulation
against. All times are in **minutes**, rates in lots (or wafers) per minute, loads and
availabilities are shares (a load of 0.8 means a tool is busy 80 % of the time).

Readings chosen where the files do not say (PySCFabSim's kernel where it does):

* **per piece** steps take ``ptime × wafers``; with a ``PartInterval`` (a cascading tool)
  the lot takes ``ptime + part_interval × (wafers - 1)`` (the first wafer's full time, then
  one wafer every interval) while the tool is held ``part_interval × wafers`` (it takes
  the next lot's first wafer one interval after this lot's last).
* **per batch** steps take ``ptime`` for the whole batch; the tool is held ``ptime`` (or the
  ``BatchInterval`` on a cascading tool) per batch, shared by the lots of a *full* batch
  (``BATCHMX // wafers`` lots): offered loads are therefore the lower bound a fab that
  always fills its batches would see.
* **per lot** steps take ``ptime``; a ``BatchInterval`` on a per-lot step (cascading
  TF/Planar/Dielectric tools) holds the tool only that interval.
* **load and unload** (``LTIME``/``ULTIME``) add to a lot's duration and, except on a
  cascading tool (which loads the next lot while it processes), to the tool's busy time;
  they count only when the tool groups are given.
* **setups** (a step's ``STIME`` and ``setup.txt``) are not included: how often a tool
  changes setup depends on dispatching, not on the data.
* **sampling and rework**: a step is done with probability ``sample_prob``; a done step
  sends the lot back to ``rework_step`` with probability ``rework_prob``, at most once per
  lot and step (PySCFabSim), and the steps from there are redone with their own sampling.
  Expected visits count this first-order loop only (a rework inside a rework loop is
  ignored: its probability is a product of two rework shares, below 10⁻³ in SMT2020).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from models.smt2020.data import Dataset, PmCalendar, Product, Step, ToolGroup

__all__ = [
    "lots_per_batch",
    "lot_duration_min",
    "tool_busy_min",
    "visits",
    "raw_process_min",
    "release_rates",
    "offered_load",
    "wafer_rate",
    "availability",
    "area_availability",
]


def lots_per_batch(step: Step, wafers: int = 25) -> int:
    """Lots in a full batch of ``step`` (``BATCHMX // wafers``, at least 1; 1 for non-batch steps)."""
    if step.per != "batch":
        return 1
    return max(1, step.batch_max_wafers // wafers)


def _handling(group: ToolGroup | None) -> float:
    return 0.0 if group is None else group.load_min + group.unload_min


def lot_duration_min(step: Step, wafers: int = 25, group: ToolGroup | None = None) -> float:
    """Mean time a lot of ``wafers`` spends in process at ``step``, in minutes.

    Parameters
    ----------
    step
        The route step.
    wafers
        Wafers in the lot.
    group
        The step's tool group: when given, its load and unload times are added.
    """
    if step.per == "piece":
        if step.part_interval_min is not None:
            process = step.ptime_min + step.part_interval_min * (wafers - 1)
        else:
            process = step.ptime_min * wafers
    else:  # a lot's or a whole batch's time
        process = step.ptime_min
    return process + _handling(group)


def tool_busy_min(step: Step, wafers: int = 25, group: ToolGroup | None = None) -> float:
    """Mean time a tool is held per lot of ``wafers`` at ``step``, in minutes.

    A batch's time is shared by the lots of a full batch (:func:`lots_per_batch`); a
    cascading tool is held only its ``PartInterval × wafers`` or ``BatchInterval``. When
    ``group`` is given, load and unload are added unless the group is cascading.
    """
    if step.per == "piece":
        if step.part_interval_min is not None:
            busy = step.part_interval_min * wafers
        else:
            busy = step.ptime_min * wafers
    elif step.batch_interval_min is not None:
        busy = step.batch_interval_min
    else:
        busy = step.ptime_min
    if group is not None and not group.cascading:
        busy += _handling(group)
    return busy / lots_per_batch(step, wafers)


def visits(product: Product, rework: bool = True) -> tuple[float, ...]:
    """Expected times a lot does each step of ``product`` (index 0 is step 1).

    Step ``j`` is done ``sample_prob_j`` times, plus, for each step ``i >= j`` whose rework
    loop goes back to ``rework_step_i <= j``, ``sample_prob_i × rework_prob_i × sample_prob_j``
    (first-order, see the module docstring). ``rework=False`` counts sampling only.
    """
    base = [s.sample_prob for s in product.steps]
    extra = [0.0] * len(base)
    if rework:
        for i, step in enumerate(product.steps):
            if step.rework_step is None or step.rework_prob == 0:
                continue
            loop = step.sample_prob * step.rework_prob
            for j in range(step.rework_step - 1, i + 1):
                extra[j] += loop * base[j]
    return tuple(b + e for b, e in zip(base, extra))


def raw_process_min(
    product: Product,
    wafers: int = 25,
    *,
    tool_groups: Mapping[str, ToolGroup] | None = None,
    rework: bool = False,
) -> float:
    """Expected raw process time of a lot of ``product``, in minutes.

    The sum over steps of the expected visits (sampling; rework too if ``rework``) times
    :func:`lot_duration_min`: no waiting, no transport, no setups. With ``tool_groups``,
    each step's load and unload times are included.
    """
    groups = tool_groups or {}
    return sum(
        v * lot_duration_min(s, wafers, groups.get(s.family))
        for s, v in zip(product.steps, visits(product, rework))
    )


def release_rates(dataset: Dataset, start_rate: float = 1.0) -> dict[tuple[str, int], float]:
    """Lots released per minute by ``(part, wafers)``: each order's ``lots_per_release /
    interval_min``, times ``start_rate`` (1 is the dataset's own rate). WIP is not a rate."""
    rates: dict[tuple[str, int], float] = defaultdict(float)
    for order in dataset.orders:
        if order.interval_min > 0:
            rates[order.part, order.wafers] += start_rate * order.lots_per_release / order.interval_min
    return dict(rates)


def _per_family(dataset: Dataset, start_rate: float, per_lot) -> dict[str, float]:
    """Σ over releases and steps of rate × visits × ``per_lot(step, wafers, group)``, per tool."""
    total = dict.fromkeys(dataset.tool_groups, 0.0)
    for (part, wafers), rate in release_rates(dataset, start_rate).items():
        product = dataset.products[part]
        for step, v in zip(product.steps, visits(product)):
            group = dataset.tool_groups[step.family]
            total[step.family] += rate * v * per_lot(step, wafers, group)
    return {name: value / dataset.tool_groups[name].tools for name, value in total.items()}


def offered_load(dataset: Dataset, start_rate: float = 1.0) -> dict[str, float]:
    """Busy minutes demanded per minute per tool, by tool group (STNFAM).

    The order streams' release rates (:func:`release_rates`, scaled by ``start_rate``) times
    each step's expected visits (sampling and rework, :func:`visits`) times the tool time per
    lot (:func:`tool_busy_min` with load/unload; batches full), summed over steps and divided
    by the group's tools. Dimensionless: divide by :func:`availability` for utilisation of
    the up time. Setups and downtime are not included.
    """
    return _per_family(dataset, start_rate, tool_busy_min)


def wafer_rate(dataset: Dataset, start_rate: float = 1.0) -> dict[str, float]:
    """Wafers processed per minute per tool, by tool group (what wafer-count PMs count)."""
    return _per_family(dataset, start_rate, lambda step, wafers, group: float(wafers))


def _pm_share(calendar: PmCalendar, wafers_per_min: float) -> float:
    if calendar.kind == "wafers":
        # Wafer-count PM: one every `every / rate` minutes of the tool's own wafer flow.
        return calendar.duration_min * wafers_per_min / calendar.every
    return calendar.duration_min / calendar.every


def availability(dataset: Dataset, start_rate: float = 1.0) -> dict[str, float]:
    """Long-run share of time a tool is up, by tool group (STNFAM).

    Each calendar attached to the group (directly, or through its area) takes a share of
    the time: a breakdown ``MTTR / (MTTF + MTTR)``; a time-based PM ``duration / interval``
    (interval in minutes, start to start); a wafer-count PM ``duration × w / wafers`` with
    ``w`` the group's offered wafers per minute per tool (:func:`wafer_rate` at
    ``start_rate``). The shares add (the causes never overlap): availability is
    ``1 - Σ share`` (at least 0). A group without calendars is always up (1.0). This
    reading reproduces the paper's published HVLM area availabilities (Litho 86.4 %,
    Dry_Etch 88.5 %, Wet_Etch 89.0 %, Diffusion 92.5 %, TF 85.2 %, metrology 96.5 %);
    treating the shares as independent (``Π (1 - share)``) gives 0.4-0.7 points more.
    """
    rates = wafer_rate(dataset, start_rate)
    result = {}
    for name, group in dataset.tool_groups.items():
        down = 0.0
        for att in dataset.attachments:
            target = name if att.target_kind == "family" else group.area
            if att.target != target:
                continue
            if att.kind == "down":
                cal = dataset.down[att.calendar]
                down += cal.mttr_min / (cal.mttf_min + cal.mttr_min)
            else:
                down += _pm_share(dataset.pm[att.calendar], rates[name])
        result[name] = max(0.0, 1.0 - down)
    return result


def area_availability(dataset: Dataset, start_rate: float = 1.0) -> dict[str, float]:
    """Tool-weighted mean :func:`availability` by area (STNGRP): Σ tools × A / Σ tools."""
    avail = availability(dataset, start_rate)
    up: dict[str, float] = defaultdict(float)
    tools: dict[str, int] = defaultdict(int)
    for name, group in dataset.tool_groups.items():
        up[group.area] += group.tools * avail[name]
        tools[group.area] += group.tools
    return {area: up[area] / tools[area] for area in up}
