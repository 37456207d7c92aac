"""The fab model: teams' experimental lots through routes on shared fab tools (DESIGN §3.4).

Registered as model ``fab`` (entry point ``rdgap.models``). ``MODEL.figures``
gives the fab's own plots, which :meth:`sim.results.Results.save` writes.
"""

from types import SimpleNamespace

from .params import FabParams
from .simulate import simulate


def figures(results) -> dict:
    """The fab's figures of a run, ``{file name: Figure}`` (plotting loads only when asked)."""
    from .plots import figures as make

    return make(results)


MODEL = SimpleNamespace(name="fab", Params=FabParams, simulate=simulate, figures=figures)
