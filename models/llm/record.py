"""The observed record of the LLM race: notable releases, 2020-05 to 2024-12-31 (DESIGN §3.6).

The shipped file is ``models/llm/data/frontier_record.csv`` (Epoch AI data, CC-BY 4.0; its
header says what each column means and where each value comes from). It is loaded and
validated like a scenario: a bad cell stops the load with one :class:`sim.scenario.ScenarioError`
line naming the file, the line number as an editor counts it (comment lines included), the
field and the value, e.g.
``frontier_record.csv line 17: mmlu: 1.7 is not allowed: must be between 0 and 1``.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from sim.scenario import ScenarioError

__all__ = ["RECORD_PATH", "COLUMNS", "CUTOFF", "EARLIEST", "COMPUTE_CONFIDENCE", "Release", "load_record"]

RECORD_PATH = Path(__file__).with_name("data") / "frontier_record.csv"

COLUMNS = (
    "date",
    "lab",
    "model",
    "open_weights",
    "training_compute_flop",
    "compute_confidence",
    "mmlu",
    "arena_elo",
    "eci",
    "source",
)
# The calibration window ends here: data after it must never be used to fit (DESIGN §3.6).
CUTOFF = dt.date(2024, 12, 31)
EARLIEST = dt.date(2020, 5, 1)
# Epoch's labels, plus "imputed" for compute Epoch estimated from benchmark scores (circular for
# a score-to-compute link, so the link fit leaves it out).
COMPUTE_CONFIDENCE = ("confident", "likely", "speculative", "imputed")


class Release(BaseModel):
    """One row of the record; blank optional cells are None."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: dt.date
    lab: str
    model: str
    open_weights: bool
    training_compute_flop: float | None = None  # FLOP
    compute_confidence: Literal["confident", "likely", "speculative", "imputed"] | None = None
    mmlu: float | None = None  # fraction correct
    arena_elo: float | None = None  # Chatbot Arena Elo
    eci: float | None = None  # Epoch Capabilities Index
    source: str

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, v):
        if isinstance(v, str):
            try:
                return dt.date.fromisoformat(v)
            except ValueError:
                raise ValueError("must be a date YYYY-MM-DD") from None
        return v

    @field_validator("date")
    @classmethod
    def _in_window(cls, v: dt.date) -> dt.date:
        if not EARLIEST <= v <= CUTOFF:
            raise ValueError(f"must be between {EARLIEST} and {CUTOFF} (the calibration window)")
        return v

    @field_validator("lab")
    @classmethod
    def _lab(cls, v: str) -> str:
        if not v or v != v.strip() or v != v.lower():
            raise ValueError("must be a non-empty lower-case name, e.g. openai")
        return v

    @field_validator("model", "source")
    @classmethod
    def _text(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be blank")
        return v

    @field_validator("open_weights", mode="before")
    @classmethod
    def _boolean(cls, v):
        # Only the two spellings the file uses: "yes", "1" or "on" would hide a wrong column.
        if v in ("true", "false"):
            return v == "true"
        if isinstance(v, bool):
            return v
        raise ValueError("must be true or false")

    @field_validator("training_compute_flop")
    @classmethod
    def _positive(cls, v):
        if v is not None and not (v > 0 and math.isfinite(v)):
            raise ValueError("must be a finite number > 0 (FLOP)")
        return v

    @field_validator("mmlu")
    @classmethod
    def _fraction(cls, v):
        if v is not None and not 0 <= v <= 1:
            raise ValueError("must be between 0 and 1")
        return v

    @field_validator("arena_elo")
    @classmethod
    def _elo(cls, v):
        # Published Arena ratings of language models lie within a few hundred points of 1000.
        if v is not None and not 0 < v < 3000:
            raise ValueError("must be between 0 and 3000")
        return v

    @field_validator("eci")
    @classmethod
    def _eci(cls, v):
        # ECI is normalised so that Claude 3.5 Sonnet = 130 and GPT-5 = 150.
        if v is not None and not 0 < v < 300:
            raise ValueError("must be between 0 and 300")
        return v

    @model_validator(mode="after")
    def _confidence_with_compute(self):
        if (self.training_compute_flop is None) != (self.compute_confidence is None):
            raise ValueError(
                "compute_confidence: must be given exactly when training_compute_flop is "
                f"(compute {self.training_compute_flop}, confidence {self.compute_confidence})"
            )
        return self


_OPTIONAL = ("training_compute_flop", "compute_confidence", "mmlu", "arena_elo", "eci")


def _fail(name: str, line: int, text: str) -> ScenarioError:
    return ScenarioError(f"{name} line {line}: {text}")


def _describe(err: Mapping[str, Any], cells: dict) -> str:
    loc = ".".join(str(x) for x in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if not loc:  # a check across fields names them itself
        return msg
    raw = cells.get(loc, "")
    return f"{loc}: {raw if raw != '' else '(blank)'} is not allowed: {msg}"


def load_record(path: str | Path | None = None) -> pd.DataFrame:
    """Load and validate the record of releases.

    ``path`` defaults to the shipped ``frontier_record.csv``. Lines starting with ``#`` and
    blank lines are comments; the first other line is the header, which must name exactly the
    columns of :data:`COLUMNS` (any order). Cells are not quoted across lines.

    Returns one row per release in file order, columns :data:`COLUMNS`: ``date``
    (datetime64), ``open_weights`` (bool), ``training_compute_flop`` (FLOP), ``mmlu``
    (fraction), ``arena_elo``, ``eci`` (float, NaN where blank), the rest strings
    (``compute_confidence`` None where blank). Raises :class:`ScenarioError` with one line
    naming the file, line number, field and value of the first bad cell.
    """
    p = Path(path) if path is not None else RECORD_PATH
    name = p.name
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{p}: cannot read the record: {exc.strerror or exc}") from None

    header: list[str] | None = None
    rows: list[dict] = []
    seen: dict[tuple[str, str], int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            cells = next(csv.reader([line], strict=True))
        except csv.Error as exc:
            raise _fail(name, lineno, f"not a CSV line: {exc}") from None
        cells = [c.strip() for c in cells]
        if header is None:
            unknown = [c for c in cells if c not in COLUMNS]
            if unknown:
                raise _fail(
                    name, lineno, f"unknown column {unknown[0]!r}; the columns are {', '.join(COLUMNS)}"
                )
            missing = [c for c in COLUMNS if c not in cells]
            if missing:
                raise _fail(
                    name, lineno, f"missing column {missing[0]!r}; the columns are {', '.join(COLUMNS)}"
                )
            if len(set(cells)) != len(cells):
                dup = next(c for c in cells if cells.count(c) > 1)
                raise _fail(name, lineno, f"column {dup!r} appears twice")
            header = cells
            continue
        if len(cells) != len(header):
            raise _fail(name, lineno, f"{len(cells)} cells, expected {len(header)} ({', '.join(header)})")
        raw = dict(zip(header, cells))
        data = {k: (None if (k in _OPTIONAL and v == "") else v) for k, v in raw.items()}
        try:
            rel = Release.model_validate(data)
        except ValidationError as exc:
            raise _fail(name, lineno, _describe(exc.errors()[0], raw)) from None
        key = (rel.lab, rel.model)
        if key in seen:
            raise _fail(name, lineno, f"model: {rel.model} of lab {rel.lab} repeats line {seen[key]}")
        seen[key] = lineno
        rows.append(rel.model_dump())
    if header is None:
        raise ScenarioError(f"{name}: no header line; the columns are {', '.join(COLUMNS)}")

    df = pd.DataFrame(rows, columns=list(COLUMNS))
    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[ns]")
    df["open_weights"] = df["open_weights"].astype(bool)
    for c in ("training_compute_flop", "mmlu", "arena_elo", "eci"):
        df[c] = pd.to_numeric(df[c]).astype("float64")
    df["compute_confidence"] = df["compute_confidence"].astype(object)
    return df
