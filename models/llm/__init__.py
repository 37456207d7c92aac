"""The LLM race model: teams training models on GPU clusters (DESIGN §3.3)."""
from types import SimpleNamespace

from .params import LLMParams
from .race import simulate

MODEL = SimpleNamespace(name="llm", Params=LLMParams, simulate=simulate)
