"""The modules the API reference documents: every public module of the project's packages.

Shared by the hooks that write the API pages and that check docstrings, so the
pages and the check can never disagree about what is documented.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import griffe

#: Packages whose public modules are documented (the engine, then the models).
PACKAGES = ("sim", "models")

#: Modules left out of the API reference, and why.
EXCLUDED = {
    "sim.__main__": "the `python -m sim` entry point: the CLI reference documents it",
    "models.scenarios": "holds the scenario TOML files; it has no API",
}


def repo_root(config) -> Path:
    """The folder of ``mkdocs.yml`` (the repository's top level)."""
    return Path(config["config_file_path"]).resolve().parent


@lru_cache(maxsize=4)  # several hooks ask, once per build
def load_packages(root: Path) -> dict[str, griffe.Module]:
    """The packages in :data:`PACKAGES`, loaded statically (nothing is imported) from ``root``."""
    return {
        name: griffe.load(name, search_paths=[str(root)], docstring_parser="numpy", resolve_aliases=False)
        for name in PACKAGES
    }


def documented_modules(root: Path) -> list[griffe.Module]:
    """Every public module of the packages, packages first, then their modules in name order.

    A module is public unless its name, or that of a package above it, starts with ``_``
    (``__init__`` aside), or :data:`EXCLUDED` names it.
    """
    out: list[griffe.Module] = []

    def walk(module: griffe.Module) -> None:
        if module.path in EXCLUDED:
            return
        out.append(module)
        for name in sorted(module.modules):
            sub = module.members[name]
            # a module imported by name (`from . import x`) is an alias, documented where it lives
            if not name.startswith("_") and not sub.is_alias:
                walk(sub)

    for package in load_packages(root).values():
        walk(package)
    return out
