"""MkDocs hook: one API reference page per documented module, written at build time.

The pages are never in git, so a new module gets its page (and its place in the
navigation, under Reference > API) without anyone writing it; mkdocstrings
renders each from its docstrings.
"""

from __future__ import annotations

import griffe
from documented_modules import documented_modules, repo_root
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

API_DIR = "reference/api"
#: The nav section the API pages go under.
NAV_SECTION = "Reference"

_pages: dict[str, str] = {}  # src_uri -> markdown, filled by on_config


def _page_uri(module: griffe.Module) -> str:
    return f"{API_DIR}/{module.path.replace('.', '/')}.md"


def _section(module: griffe.Module) -> str:
    """The package a module's page is listed under: itself if it is a package."""
    return module.path if module.is_package else module.parent.path


def _summary(obj: griffe.Object) -> str:
    doc = obj.docstring.value.strip() if obj.docstring else ""
    return doc.split("\n\n")[0].replace("\n", " ").replace("|", "\\|")


def _public_api_table(package: griffe.Module) -> str:
    """The table of ``sim``'s public names, read from its ``_API`` mapping (name -> module, attr)."""
    api = package.members.get("_API")
    if api is None:
        return ""
    try:
        entries = eval(str(api.value), {})  # a literal dict of string pairs
    except Exception as exc:  # noqa: BLE001 - any failure is a build error with the reason
        raise PluginError(f"api_reference: cannot read {package.path}._API: {exc}") from exc
    rows = ["| name | what it is |", "|---|---|"]
    for name, (module, attr) in entries.items():
        target = f"{package.path}.{module}.{attr}"
        try:
            obj = package[f"{module}.{attr}"]
        except KeyError as exc:
            raise PluginError(f"api_reference: {package.path}._API names {target}: no such object") from exc
        rows.append(f"| [`{package.path}.{name}`][{target}] | {_summary(obj)} |")
    intro = "## Public API\n\nEverything `import sim` offers (`dir(sim)`), each loaded on first use:"
    return "\n" + intro + "\n\n" + "\n".join(rows) + "\n"


def _markdown(module: griffe.Module) -> str:
    text = f"# `{module.path}`\n\n::: {module.path}\n"
    if module.is_package:
        # a package page shows its own docstring; its modules have their own pages
        text += "    options:\n      members: false\n"
        text += _public_api_table(module)
    return text


def on_config(config):
    """Lay the API pages into the navigation, under Reference > API, one section per package."""
    modules = documented_modules(repo_root(config))
    _pages.clear()
    sections: dict[str, list] = {}
    for module in modules:
        uri = _page_uri(module)
        _pages[uri] = _markdown(module)
        sections.setdefault(_section(module), []).append({module.path: uri})
    api = [{name: pages} for name, pages in sections.items()]
    for item in config["nav"] or []:
        if isinstance(item, dict) and NAV_SECTION in item:
            item[NAV_SECTION].append({"API": api})
            return config
    raise PluginError(f"api_reference: mkdocs.yml's nav has no {NAV_SECTION!r} section for the API pages")


def on_files(files, config):
    """Add the generated API pages to the site's files."""
    for uri, text in _pages.items():
        files.append(File.generated(config, uri, content=text))
    return files
