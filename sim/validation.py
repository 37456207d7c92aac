"""Strict validation and its one-line errors, shared by scenarios, options, priors and records.

Every validation problem becomes one :class:`ScenarioError` whose message names
the field, the value and what is allowed; the command line prints it as one
``error:`` line and exits with status 2.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["ScenarioError", "Strict", "describe_error"]


class ScenarioError(ValueError):
    """A scenario (or other input) could not be found, read or validated (one-line message)."""


class Strict(BaseModel):
    """Base for scenario sections: unknown keys are errors, never ignored."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _describe(err: dict) -> str:
    loc = ".".join(str(x) for x in err["loc"])
    if not loc:  # a check across fields: its message names them
        return err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return f"{loc}: unknown key (value {err['input']!r}); check the spelling against 'python -m sim show'"
    if err["type"] == "value_error" and isinstance(err["input"], dict):  # a check across a section's fields
        return f"{loc}: {err['msg'].removeprefix('Value error, ')}"
    if err["type"] == "missing":
        return f"{loc}: missing; this field is required"
    return f"{loc}: {err['input']!r} is not allowed: {err['msg']}"


def describe_error(exc: ValidationError) -> str:
    """One line for a pydantic validation error: its first problem, and how many more."""
    errs = exc.errors()
    more = f" (and {len(errs) - 1} more problem(s))" if len(errs) > 1 else ""
    return _describe(errs[0]) + more
