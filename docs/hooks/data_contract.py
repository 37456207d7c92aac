"""MkDocs hook: the data contract's column tables, written from the declared schemas.

A line ``<!-- rdgap:schema package.module:NAME -->`` is replaced by the columns of
the :class:`sim.recorder.Schema` ``NAME`` of that module (name, dtype, default,
description: :meth:`sim.recorder.Schema.describe`), so the tables in the docs are
the ones the code declares. A marker naming something that is not a Schema stops
the build.
"""

from __future__ import annotations

import importlib
import re

from mkdocs.exceptions import PluginError

MARKER = re.compile(r"<!-- rdgap:schema ([\w.]+):(\w+) -->")


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def schema_table(target: str, attr: str) -> str:
    """A Markdown table of the columns of schema ``attr`` in module ``target``."""
    from sim.recorder import Schema

    try:
        schema = getattr(importlib.import_module(target), attr)
    except (ImportError, AttributeError) as exc:
        raise PluginError(f"data_contract: no schema {target}:{attr} ({exc})") from exc
    if not isinstance(schema, Schema):
        raise PluginError(f"data_contract: {target}:{attr} is a {type(schema).__name__}, not a Schema")
    table = schema.describe()
    rows = ["| column | dtype | default | description |", "|---|---|---|---|"]
    for c in table.itertuples(index=False):
        default = f"`{_cell(c.default)}`" if c.default != "" else ""
        rows.append(f"| `{c.column}` | {c.dtype} | {default} | {_cell(c.description)} |")
    return "\n".join(rows)


def on_page_markdown(markdown, page, config, files):
    """Replace every schema marker with its table."""
    return MARKER.sub(lambda m: schema_table(m.group(1), m.group(2)), markdown)
