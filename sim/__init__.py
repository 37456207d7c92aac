"""rdgap's engine: a domain-free discrete-event simulator of R&D know-how gaps.

Start here::

    import sim
    res = sim.run("chatgpt_race", reps=50, seed=1, options=sim.RunOptions(workers=2))
    res.headline()          # months behind the leader, per follower, with intervals
    res.gap.head()          # tidy DataFrames: res.events, res.trajectories, res.gap
    res.plot_gap(); res.save("out")

``sim.list_scenarios()`` names the scenarios; ``sim.load_scenario(name)`` gives
its validated parameters; ``sim.run_sweep``, ``sim.run_compare`` and
``sim.run_sensitivity`` are the experiments; ``sim.Model`` is the contract a
model implements (README, "Adding a model").

Nothing heavy is imported at ``import sim``: each name loads its module on
first use. ``dir(sim)`` lists the public API.
"""

from __future__ import annotations

from importlib import import_module

#: The public API: name -> (module, attribute). This one table drives
#: ``__all__``, ``dir(sim)``, the lazy imports and the API reference.
_API = {
    "run": ("runner", "run"),
    "RunOptions": ("options", "RunOptions"),
    "Results": ("results", "Results"),
    "load_results": ("results", "load_results"),
    "list_scenarios": ("scenario", "list_scenarios"),
    "load_scenario": ("scenario", "load"),
    "ScenarioError": ("scenario", "ScenarioError"),
    "run_sweep": ("sweep", "run_sweep"),
    "load_sweep": ("sweep", "load_sweep"),
    "run_compare": ("compare", "run_compare"),
    "run_sensitivity": ("sensitivity", "run_sensitivity"),
    "load_sensitivity": ("sensitivity", "load_sensitivity"),
    "explore": ("explorer", "explore"),
    "Explorer": ("explorer", "Explorer"),
    "Model": ("model", "Model"),
    "SimOutput": ("model", "SimOutput"),
    "Milestone": ("model", "Milestone"),
    "Schema": ("recorder", "Schema"),
    "Column": ("recorder", "Column"),
    "Recorder": ("recorder", "Recorder"),
    "register_model": ("registry", "register_model"),
}

__all__ = [*_API, "__version__"]


def __getattr__(name: str):
    if name in _API:
        module, attr = _API[name]
        value = getattr(import_module(f".{module}", __name__), attr)
        globals()[name] = value  # later look-ups skip this function
        return value
    if name == "__version__":
        from .results import package_version

        return package_version()
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
