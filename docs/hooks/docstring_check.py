"""MkDocs hook: the build fails when a documented module, or a public function, class or
method in it, has no docstring.

mkdocstrings renders what it finds and stays silent about what is missing, so this
check walks the same modules as the API pages (``documented_modules``). Public means:
no leading underscore, and listed in the module's ``__all__`` when it has one. Names
imported from elsewhere are checked where they are defined. Properties count as
methods; plain attributes and constants are not checked.
"""

from __future__ import annotations

import griffe
from documented_modules import documented_modules, repo_root
from mkdocs.exceptions import PluginError


def _public_names(module: griffe.Module) -> set[str] | None:
    """Names in ``__all__``, or None when the module has none (or griffe cannot read it)."""
    exports = module.exports
    if not exports:
        return None
    return {e if isinstance(e, str) else e.name for e in exports}


def _is_documented(obj: griffe.Object) -> bool:
    return bool(obj.docstring and obj.docstring.value.strip())


def _where(obj: griffe.Object) -> str:
    return f"{obj.relative_filepath}:{obj.lineno} {obj.path}"


def _checked(member: griffe.Object | griffe.Alias) -> bool:
    if member.is_alias:
        return False
    if member.is_function or member.is_class:
        return True
    return member.is_attribute and "property" in member.labels


def missing_docstrings(modules: list[griffe.Module]) -> list[str]:
    """``file:line path`` of every module and public function, class, method or property
    without a docstring."""
    missing = []

    def visit_class(cls: griffe.Class) -> None:
        for name, member in cls.members.items():
            if name.startswith("_") or not _checked(member):
                continue
            if not _is_documented(member):
                missing.append(_where(member))
            if member.is_class:
                visit_class(member)

    for module in modules:
        if not _is_documented(module):
            missing.append(f"{module.relative_filepath}:1 {module.path} (module)")
        public = _public_names(module)
        for name, member in module.members.items():
            if name.startswith("_") or (public is not None and name not in public) or not _checked(member):
                continue
            if not _is_documented(member):
                missing.append(_where(member))
            if member.is_class:
                visit_class(member)
    return missing


def on_pre_build(config):
    """Stop the build, naming each public object that has no docstring."""
    missing = missing_docstrings(documented_modules(repo_root(config)))
    if missing:
        listing = "\n  ".join(missing)
        raise PluginError(f"docstring check: {len(missing)} public object(s) have no docstring:\n  {listing}")
