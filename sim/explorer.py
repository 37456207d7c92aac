"""An interactive explorer for notebooks: sliders for a scenario's levers,
redrawing the gap plot.

``sim.explore("chatgpt_race")`` shows ipywidgets sliders (install the
``notebook`` extra). The work is in :meth:`Explorer.update`, a plain call
that runs the scenario with the slider values as overrides and redraws, so
it is tested without a browser.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt

from . import registry
from . import scenario as scenario_mod
from .options import RunOptions
from .runner import resolve, run


class Explorer:
    """Runs a scenario with lever overrides and keeps the latest figure.

    Parameters
    ----------
    scenario : scenario name, path or data
    levers : mapping of dotted key -> (low, high, step); default: the model's
        ``levers(params)`` if it defines one
    reps, seed, years : passed to :func:`sim.run` (keep reps small: every slider
        move reruns)
    options : RunOptions, optional
        How the reruns execute (progress bars are off whatever it says)
    """

    def __init__(
        self,
        scenario=None,
        levers: Mapping | None = None,
        reps: int = 10,
        seed: int = 0,
        years: float | None = None,
        options: RunOptions | None = None,
    ):
        self.scenario, self.reps, self.seed, self.years = scenario, reps, seed, years
        self.options = (options or RunOptions()).replace(progress=False)
        params = resolve(scenario)
        if levers is None:
            levers = registry.get_model(params.model).levers(params)
        self.levers = dict(levers)
        flat = _flatten(params.model_dump())
        unknown = [k for k in self.levers if k not in flat]
        if unknown:
            raise scenario_mod.ScenarioError(f"levers: {unknown[0]!r} is not a parameter of {params.name}")
        self.values = {k: flat[k] for k in self.levers}
        self.results = None
        self.figure = None

    def update(self, **values):
        """Rerun with the given lever values (dotted keys, or ``__`` for dots) and redraw.

        Returns the new :class:`~sim.results.Results`.
        """
        for key, value in values.items():
            key = key.replace("__", ".")
            if key not in self.levers:
                raise scenario_mod.ScenarioError(f"{key}: not one of this explorer's levers")
            self.values[key] = value
        self.results = run(
            self.scenario,
            reps=self.reps,
            seed=self.seed,
            years=self.years,
            overrides=self.values,
            options=self.options,
        )
        if self.figure is not None:
            plt.close(self.figure)
        self.figure = self.results.plot_gap()
        return self.results

    def widget(self):
        """An ipywidgets box: one slider per lever and the gap plot below."""
        import ipywidgets as w

        out = w.Output()
        sliders = {}
        for key, (lo, hi, step) in self.levers.items():
            sliders[key] = w.FloatSlider(
                value=float(self.values[key]),
                min=lo,
                max=hi,
                step=step,
                description=key.split(".", 1)[-1],
                continuous_update=False,
                style={"description_width": "initial"},
                layout=w.Layout(width="480px"),
            )

        def redraw(_=None):
            with out:
                out.clear_output(wait=True)
                self.update(**{k: s.value for k, s in sliders.items()})
                from IPython.display import display

                display(self.figure)

        for s in sliders.values():
            s.observe(redraw, names="value")
        redraw()
        return w.VBox([*sliders.values(), out])


def _flatten(d: Mapping, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def explore(
    scenario=None,
    levers: Mapping | None = None,
    reps: int = 10,
    seed: int = 0,
    years: float | None = None,
    options: RunOptions | None = None,
):
    """Show sliders for a scenario's main levers in a notebook; returns the widget box."""
    return Explorer(scenario, levers, reps, seed, years, options).widget()
