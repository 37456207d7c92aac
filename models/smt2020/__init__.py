"""The SMT2020 semiconductor fab testbed (Kopp et al. 2020) on real data.

Registered as model ``smt2020`` (entry point ``rdgap.models``). Its parts, one job each:
:mod:`~models.smt2020.data` (the dataset as typed data), :mod:`~models.smt2020.reader`
(the testbed's files), :mod:`~models.smt2020.synthetic` (a small dataset in the same
format, for tests), :mod:`~models.smt2020.analytic` (raw process time, offered load,
availability in closed form), :mod:`~models.smt2020.fab` (the event kernel),
:mod:`~models.smt2020.rnd` (R&D teams' engineering lots learning from failures),
:mod:`~models.smt2020.fidelity` (the published figures), :mod:`~models.smt2020.plots`.

The data are not shipped (no licence): ``python -m sim run smt2020 --set
dataset.path=DIR --set dataset.name=HVLM`` reads the folder the user downloaded.
"""

from sim.model import Headline, Model
from sim.units import DAYS_PER_YEAR, MINUTE

from .params import AREAS, Smt2020Params
from .tables import schemas


class Smt2020Model(Model):
    """The testbed's production lots through its tool groups, and R&D teams' engineering
    lots on the same tools; capability is log10 of a team's expected line yield."""

    name = "smt2020"
    Params = Smt2020Params
    areas = AREAS
    time_unit = MINUTE  # the testbed's processing times are minutes
    headline = Headline()

    def schemas(self, params: Smt2020Params):
        """Tables ``events``, ``states`` (R&D teams), ``lots``, ``tool_groups`` and ``fab``
        (:mod:`models.smt2020.tables`)."""
        return schemas(params)

    def simulate(self, params: Smt2020Params, streams, horizon: float):
        """One replication to ``horizon`` minutes: :func:`models.smt2020.simulate.simulate`."""
        from .simulate import simulate  # the kernel loads when a run starts

        return simulate(params, streams, horizon)

    def example(self) -> dict:
        """The synthetic dataset with one R&D team for 60 days (the contract test)."""
        return {
            "base": "smt2020_rnd",
            "name": "smt2020_example",
            "years": 60 / DAYS_PER_YEAR,
            "run": {"reps": 1},
        }

    def report(self, results) -> str:
        """Cycle time and flow factor per product and priority, and the fidelity checks
        against the published figures when the dataset has them."""
        from .fidelity import PUBLISHED, fidelity_table, flow_by_product, format_fidelity, rep_checks

        params = results.params
        t = results.tables
        flow = flow_by_product(t["lots"], params.warmup_days)
        text = ["cycle time (days) and flow factor per product and priority, median over lots:"]
        text.append(flow.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
        per_rep = rep_checks(
            t["lots"], t["tool_groups"], t["fab"], params.years * DAYS_PER_YEAR, params.warmup_days
        )
        table = fidelity_table(per_rep, params.dataset.name)
        if len(table):
            text.append(f"\nfidelity against the published SMT2020 figures ({params.dataset.name}):")
            text.append(format_fidelity(table))
            rate, ct = per_rep["lots_per_day"].median(), per_rep["mean_cycle_days"].median()
            wip = PUBLISHED.get(params.dataset.name, {}).get("wip_lots")
            if wip is not None:  # Little's law ties the published WIP to a mean cycle time
                text.append(
                    f"mean cycle time {ct:.1f} days at {rate:.1f} lots/day; Little's law on the published "
                    f"WIP: {wip[0]:,.0f} / {rate:.1f} = {wip[0] / rate:.1f} days"
                )
            areas = per_rep["bottleneck_area"].value_counts()
            text.append(
                "bottleneck (busiest tool group): "
                + ", ".join(f"{a} in {n} of {len(per_rep)} reps" for a, n in areas.items())
                + f" ({', '.join(sorted(set(per_rep['bottleneck_group'])))})"
            )
        return "\n".join(text)

    def figures(self, results) -> dict:
        """Flow-factor distribution per product, WIP over time, and the teams' yield ramps."""
        from .plots import figures as make  # plotting loads only when asked

        return make(results)

    def sweep_figures(self, result: dict, table) -> dict:
        """The operating curve (flow factor against load) when a sweep varies ``start_rate``."""
        if "start_rate" not in result["keys"]:
            return {}
        from .operating import curve_points
        from .plots import operating_curve_figure

        lots, tg = table("lots"), table("tool_groups")
        points = curve_points(lots, tg, result["years"] * DAYS_PER_YEAR, keys=("point", "rep"))
        points["start_rate"] = points["point"].map(
            {i: p["start_rate"] for i, p in enumerate(result["points"])}
        )
        return {"operating_curve.png": operating_curve_figure(points)}


MODEL = Smt2020Model()
