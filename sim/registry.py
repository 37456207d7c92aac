"""Where the engine finds models and scenario folders without importing them by name.

Models register through the ``rdgap.models`` entry-point group (a name -> a
:class:`sim.Model` instance); scenario folders through ``rdgap.scenarios`` (a
package whose folder holds ``*.toml``; its ``DEFAULT`` attribute, if any, names
the default scenario). Tests and notebooks may also call
:func:`register_model` directly. Every model is checked against the contract
(:func:`sim.model.check_model`) when it is registered or first loaded.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path

from .model import Model, check_model

_MODELS: dict[str, Model] = {}


def register_model(name: str, model: Model) -> None:
    """Register a :class:`sim.Model` instance under ``name`` (its ``name``); checks the contract."""
    check_model(model, name)
    _MODELS[name] = model


def _entry_points(group: str):
    return entry_points(group=group)


def model_names() -> list[str]:
    """Names of every registered or installed model."""
    return sorted(set(_MODELS) | {ep.name for ep in _entry_points("rdgap.models")})


def get_model(name: str) -> Model:
    """The model registered as ``name``; raises KeyError listing known models."""
    if name not in _MODELS:
        for ep in _entry_points("rdgap.models"):
            if ep.name == name:
                register_model(name, ep.load())
    if name not in _MODELS:
        raise KeyError(f"model: {name!r} is not a known model; known: {', '.join(model_names()) or 'none'}")
    return _MODELS[name]


def scenario_dirs() -> list[Path]:
    """Folders that hold named scenarios."""
    dirs = []
    for ep in _entry_points("rdgap.scenarios"):
        mod = import_module(ep.value)
        if mod.__file__ is None:  # a namespace package has no folder of its own to look in
            continue
        dirs.append(Path(mod.__file__).parent)
    return dirs


def default_scenario() -> str | None:
    """The default scenario's name: ``DEFAULT`` of the first scenario package that sets one."""
    for ep in _entry_points("rdgap.scenarios"):
        default = getattr(import_module(ep.value), "DEFAULT", None)
        if default:
            return str(default)
    return None
