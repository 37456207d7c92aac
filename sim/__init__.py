"""rdgap's engine: a domain-free discrete-event simulator of R&D know-how gaps.

Quick use::

    import sim
    res = sim.run("chatgpt_race", reps=50, seed=1)
    res.gap.head(); res.plot_gap(); res.save("out")

Nothing is imported or registered at import time beyond this module: the
heavy modules load on first use.
"""

from __future__ import annotations

__all__ = [
    "run",
    "load_results",
    "Results",
    "list_scenarios",
    "load_scenario",
    "ScenarioError",
    "explore",
    "Explorer",
    "run_sweep",
    "load_sweep",
    "run_sensitivity",
    "load_sensitivity",
    "run_compare",
]


def __getattr__(name):
    if name == "run":
        from .runner import run

        return run
    if name in ("load_results", "Results"):
        from . import results

        return getattr(results, name)
    if name in ("list_scenarios", "ScenarioError"):
        from . import scenario

        return getattr(scenario, name)
    if name in ("explore", "Explorer"):
        from . import explorer

        return getattr(explorer, name)
    if name in ("run_sweep", "load_sweep"):
        from . import sweep

        return getattr(sweep, name)
    if name in ("run_sensitivity", "load_sensitivity"):
        from . import sensitivity

        return getattr(sensitivity, name)
    if name == "run_compare":
        from .compare import run_compare

        return run_compare
    if name == "load_scenario":
        from .scenario import load

        return load
    if name == "__version__":
        from .results import package_version

        return package_version()
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
