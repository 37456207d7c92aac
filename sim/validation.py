"""Strict validation and its one-line errors, shared by scenarios, options, priors and records.

Every validation problem becomes one :class:`ScenarioError` whose message names
the field, the value and what is allowed; the command line prints it as one
``error:`` line and exits with status 2.

Numbers are strict: ``true`` is not 1 and ``"2"`` is not 2 (pydantic strict
mode; an integer is still a valid float), and NaN or infinity is never a
valid value: an unbounded float would otherwise let ``nan`` run to completion
on meaningless input, and ``inf`` crash mid-run. Values shown in errors are
shortened and their control characters escaped, so a 5 MB string or an ANSI
escape sequence in a scenario cannot flood or repaint the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["ScenarioError", "Strict", "describe_error", "shown", "shown_path", "one_line", "check_label"]

#: Characters of a value shown in an error line (the rest is elided).
MAX_SHOWN = 80
#: Characters of a path shown in an error line.
MAX_SHOWN_PATH = 240
#: Characters of a whole error line at most (values are shortened first; this is the last guard).
MAX_LINE = 600
# C0/C1 control characters, DEL, and the Unicode line/paragraph separators
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class ScenarioError(ValueError):
    """A scenario (or other input) could not be found, read or validated (one-line message)."""


class Strict(BaseModel):
    """Base for scenario sections: unknown keys are errors, never ignored; numbers are
    strict and finite (no bool for an int, no string for a number, no NaN or inf)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, strict=True, allow_inf_nan=False)


def _escape(text: str) -> str:
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def shown(value, limit: int = MAX_SHOWN) -> str:
    """``repr(value)`` for an error line: control characters escaped, at most about
    ``limit`` characters (a long value keeps its start and its end, and says how long
    it was)."""
    text = _escape(repr(value))
    if len(text) <= limit:
        return text
    half = max(1, limit // 2)
    return f"{text[:half]}…{text[-(limit - half - 1) :]} ({len(text)} characters)"


def shown_path(path) -> str:
    """A file or folder path for an error line (as :func:`shown`, with room for deep paths)."""
    return shown(str(path), MAX_SHOWN_PATH)


def one_line(message: str, limit: int = MAX_LINE) -> str:
    """A message as one printable line: whitespace runs collapsed, control characters
    escaped, at most ``limit`` characters."""
    text = _escape(" ".join(str(message).split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: What a name shown in figures and tables may hold: no control characters, and no
#: ``$`` (matplotlib reads ``$...$`` as mathtext and fails on most of it).
_LABEL_BAD = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029$]")
MAX_LABEL = 64


def check_label(what: str, name) -> None:
    """Raise ``ValueError`` unless ``name`` is a short printable label for figures
    (``what`` names it in the message, e.g. ``"team name"``)."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{what} {shown(name)} is not allowed: a non-empty text")
    if len(name) > MAX_LABEL or _LABEL_BAD.search(name):
        raise ValueError(
            f"{what} {shown(name)} is not allowed: at most {MAX_LABEL} characters, "
            "no control characters and no '$' (figures show it)"
        )


def _loc(err: Mapping[str, Any]) -> str:
    return _escape(".".join(str(x) for x in err["loc"]))


def _describe(err: Mapping[str, Any]) -> str:
    loc = _loc(err)
    if not loc:  # a check across fields: its message names them
        return err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return (
            f"{loc}: unknown key (value {shown(err['input'])}); "
            "check the spelling against 'python -m sim show'"
        )
    if err["type"] == "value_error" and isinstance(err["input"], dict):  # a check across a section's fields
        return f"{loc}: {err['msg'].removeprefix('Value error, ')}"
    if err["type"] == "missing":
        return f"{loc}: missing; this field is required"
    return f"{loc}: {shown(err['input'])} is not allowed: {err['msg'].removeprefix('Value error, ')}"


def describe_error(exc: ValidationError) -> str:
    """One line for a pydantic validation error: its first problem, and how many more."""
    errs = exc.errors()
    more = f" (and {len(errs) - 1} more problem(s))" if len(errs) > 1 else ""
    return _describe(errs[0]) + more
