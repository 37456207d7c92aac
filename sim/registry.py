"""Where the engine finds models and scenario folders without importing them by name.

Models register through the ``rdgap.models`` entry-point group (a name ->
object with ``Params`` and ``simulate``); scenario folders through
``rdgap.scenarios`` (a package whose folder holds ``*.toml``). Tests and
notebooks may also call :func:`register_model` directly.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path

_MODELS: dict = {}


def register_model(name: str, model) -> None:
    """Register a model object (``.Params`` pydantic class, ``.simulate`` function)."""
    _MODELS[name] = model


def _entry_points(group: str):
    return entry_points(group=group)


def get_model(name: str):
    """The model registered as ``name``; raises KeyError listing known models."""
    if name not in _MODELS:
        for ep in _entry_points("rdgap.models"):
            if ep.name == name:
                _MODELS[name] = ep.load()
    if name not in _MODELS:
        known = sorted(set(_MODELS) | {ep.name for ep in _entry_points("rdgap.models")})
        raise KeyError(f"model: {name!r} is not a known model; known: {', '.join(known) or 'none'}")
    return _MODELS[name]


def scenario_dirs() -> list[Path]:
    """Folders that hold named scenarios."""
    dirs = []
    for ep in _entry_points("rdgap.scenarios"):
        mod = import_module(ep.value)
        dirs.append(Path(mod.__file__).parent)
    return dirs
