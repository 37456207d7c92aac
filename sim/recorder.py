"""Named rows: a table's columns declared once, rows added by name.

A :class:`Schema` declares a table's columns (name, dtype, default,
description), as Ciw's ``namedtuple`` records and Mesa's ``add_table_row`` do.
A :class:`Recorder` collects rows against it with ``add(**fields)``: a field the
schema does not know, or a required field left out, is an error at the call
that made it, so a miscounted argument can never shift a column. Rows are kept
as tuples in schema order (appending to a DataFrame per event is quadratic) and
become a DataFrame with the declared dtypes once, at the end.

Dtypes: ``"float64"``, ``"int64"``, ``"bool"``, ``"str"`` or ``"category"``.
A categorical column's categories are the schema's (bind the run's team names
with :meth:`Schema.bind`), so the tables of every batch of replications share
them and concatenate without turning into strings.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

__all__ = ["REQUIRED", "Column", "Schema", "Recorder"]

DTYPES = ("float64", "int64", "bool", "str", "category")


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: Default of a column every row must give.
REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Column:
    """One column: its name, dtype, default (``REQUIRED`` if none) and meaning with units."""

    name: str
    dtype: str = "float64"
    default: Any = REQUIRED
    doc: str = ""
    categories: tuple | None = None

    def __post_init__(self):
        if self.dtype not in DTYPES:
            raise ValueError(f"column {self.name!r}: dtype {self.dtype!r} is not one of {DTYPES}")


class Schema:
    """A table's declared columns, in order.

    Parameters
    ----------
    name : str
        The table's name (``events``, ``states``, ``tool_groups``, ...).
    columns : sequence of Column
    """

    def __init__(self, name: str, columns: Sequence[Column]):
        names = [c.name for c in columns]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"schema {name!r}: column {dup[0]!r} is declared twice")
        self.name = name
        self.columns = tuple(columns)
        self.names = tuple(names)

    def __repr__(self) -> str:
        return f"Schema({self.name!r}, {list(self.names)})"

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def bind(self, **categories: Iterable) -> Schema:
        """This schema with the categories of some categorical columns set, e.g.
        ``EVENTS.bind(team=sorted(params.teams))``."""
        unknown = sorted(set(categories) - set(self.names))
        if unknown:
            raise ValueError(f"schema {self.name!r}: no column {unknown[0]!r}")
        cols = [
            replace(c, categories=tuple(categories[c.name])) if c.name in categories else c
            for c in self.columns
        ]
        return Schema(self.name, cols)

    def frame(self, rows: Sequence[tuple]) -> pd.DataFrame:
        """Rows (tuples in schema order) as a DataFrame with the declared dtypes."""
        df = pd.DataFrame.from_records(list(rows), columns=list(self.names))
        return self.cast(df)

    def cast(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` (these columns) with the declared dtypes."""
        out = {}
        for c in self.columns:
            s = df[c.name]
            if c.dtype == "category":
                cats = c.categories if c.categories is not None else sorted(s.dropna().unique())
                out[c.name] = pd.Categorical(s, categories=list(cats))
            elif c.dtype == "str":
                out[c.name] = s.astype(str)
            else:
                out[c.name] = s.astype(c.dtype)
        return pd.DataFrame(out, index=df.index)

    def describe(self) -> pd.DataFrame:
        """The columns as a table (name, dtype, default, description), for the docs."""
        return pd.DataFrame(
            [
                (c.name, c.dtype, "" if c.default is REQUIRED else repr(c.default), c.doc)
                for c in self.columns
            ],
            columns=["column", "dtype", "default", "description"],
        )


class Recorder:
    """Collects the rows of one table against its :class:`Schema`.

    ``add(**fields)`` takes every column by name; a column with a default may be
    left out. An unknown or missing field raises ``TypeError`` naming it.
    """

    __slots__ = ("schema", "rows", "add", "_keys", "_defaults")

    def __init__(self, schema: Schema):
        if not isinstance(schema, Schema):
            raise TypeError(f"Recorder needs a Schema, got {type(schema).__name__}")
        self.schema = schema
        self.rows: list[tuple] = []
        self._keys = frozenset(schema.names)
        self._defaults = {c.name: c.default for c in schema.columns if c.default is not REQUIRED}
        #: add(**fields): append one row, fields by column name.
        self.add = _adder(schema, self.rows.append, self._complete)

    @property
    def columns(self) -> tuple[str, ...]:
        """The schema's column names, in order."""
        return self.schema.names

    def _complete(self, fields: Mapping) -> dict:
        unknown = sorted(set(fields) - self._keys)
        if unknown:
            raise TypeError(
                f"{self.schema.name}: unknown field {unknown[0]!r}; columns: {list(self.schema.names)}"
            )
        full = {**self._defaults, **fields}
        missing = [n for n in self.schema.names if n not in full]
        if missing:
            raise TypeError(f"{self.schema.name}: missing field {missing[0]!r} (no default)")
        return full

    def __len__(self) -> int:
        return len(self.rows)

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame with the schema's dtypes."""
        return self.schema.frame(self.rows)


# -- add(): one function per table layout --------------------------------------
#
# A model adds a row or two per simulated event, so ``add`` is on the hot path.
# Taking ``**fields`` and picking them out of the dict costs several times more
# than letting Python bind keyword arguments, so each table layout gets an
# ``add`` with one keyword-only parameter per column (as ``dataclasses`` and
# ``namedtuple`` generate their ``__init__``). A missing or unknown field goes to
# ``Recorder._complete``, which raises the error naming it.

_ADDER_FACTORIES: dict[tuple, Any] = {}


def _adder(schema: Schema, append, complete):
    names = schema.names
    if not all(n.isidentifier() and not keyword.iskeyword(n) and not n.startswith("_") for n in names):
        # a name Python cannot take as a parameter: the plain dict path
        def add(**fields):
            if fields.keys() != frozenset(names):
                fields = complete(fields)
            append(tuple(fields[n] for n in names))

        return add
    layout = tuple((c.name, c.default is REQUIRED) for c in schema.columns)
    factory = _ADDER_FACTORIES.get(layout)
    if factory is None:
        factory = _ADDER_FACTORIES[layout] = _adder_factory(layout)
    return factory(
        append, complete, _REQUIRED_ARG, *(c.default for c in schema.columns if c.default is not REQUIRED)
    )


_REQUIRED_ARG: Any = object()  # a required field's default in the generated add: "not given"


def _adder_factory(layout: tuple):
    names = [n for n, _ in layout]
    defaults = [f"_d{i}" for i, (_, required) in enumerate(layout) if not required]
    params = ", ".join(
        f"{n}=_missing" if required else f"{n}=_d{i}" for i, (n, required) in enumerate(layout)
    )
    required = [n for n, r in layout if r]
    check = " or ".join(["_unknown"] + [f"{n} is _missing" for n in required])
    given = ", ".join(f"{n!r}: {n}" for n in names)
    src = (
        f"def factory(_append, _complete, _missing, {', '.join(defaults)}):\n"
        f"    def add(*, {params}, **_unknown):\n"
        f"        if {check}:\n"
        f"            fields = {{k: v for k, v in {{{given}}}.items() if v is not _missing}}\n"
        f"            _complete({{**fields, **_unknown}})  # raises, naming the field\n"
        f"        _append(({', '.join(names)},))\n"
        f"    return add\n"
    )
    namespace: dict = {}
    exec(src, namespace)  # noqa: S102 -- source built above from validated identifiers only
    return namespace["factory"]
