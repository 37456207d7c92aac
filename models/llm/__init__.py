"""The LLM race model: teams training models on GPU clusters (DESIGN §3.3)."""

from types import SimpleNamespace

from .params import LLMParams
from .race import simulate


def levers(params: LLMParams) -> dict:
    """The main levers of each follower, for :func:`sim.explore`: dotted key -> (low, high, step)."""
    out = {}
    for name in params.teams:
        if name == params.leader:
            continue
        t = f"teams.{name}."
        out |= {
            t + "diagnosis": (0.0, 1.0, 0.05),
            t + "fail_early": (0.0, 1.0, 0.05),
            t + "prep_days": (0.0, 60.0, 5.0),
            t + "share": (0.1, 1.0, 0.05),
            t + "know_how.data": (0.0, 3.0, 0.25),
        }
    return out


MODEL = SimpleNamespace(name="llm", Params=LLMParams, simulate=simulate, levers=levers)
