"""The fab model: teams' experimental lots through routes on shared fab tools (DESIGN §3.4)."""
from types import SimpleNamespace

from .params import FabParams
from .simulate import simulate

MODEL = SimpleNamespace(name="fab", Params=FabParams, simulate=simulate)
