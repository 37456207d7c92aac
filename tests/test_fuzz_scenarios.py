"""Fuzzing scenario files and ``--set`` values (issue 11): whatever the document, the
command line never shows a traceback. It exits 0, or exits 2 with one ``error:`` line.

Documents are built from the real dotted keys of the shipped scenarios (so the
validators are reached, not only the parser) with values of any TOML type: NaN,
infinities, huge integers, control characters, nested arrays and tables; plus
raw text and bytes. The default suite runs a bounded, derandomised number of
examples (a few seconds); set ``RDGAP_FUZZ_EXAMPLES`` (CI does) for more, drawn
at random.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.scenario import load

EXAMPLES = int(os.environ.get("RDGAP_FUZZ_EXAMPLES", "0") or 0)
FUZZ = settings(
    max_examples=EXAMPLES or 40,
    derandomize=not EXAMPLES,  # the default suite is reproducible; CI explores
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
RUNS = settings(FUZZ, max_examples=max(1, (EXAMPLES or 40) // 5))


def dotted(data, prefix=""):
    """``(dotted key, value)`` of every leaf of a params dump."""
    for key, value in data.items():
        if isinstance(value, dict) and value:
            yield from dotted(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


SCENARIOS = ("chatgpt_race", "fab_5nm_race", "smt2020_rnd")
KEYS = {name: sorted(dict(dotted(load(name).model_dump(mode="json")))) for name in SCENARIOS}

# -- TOML values of every type ----------------------------------------------------------
scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
    st.dates(min_value=dt.date(1, 1, 1)),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def toml(value) -> str:
    """A value as an inline TOML literal (what a user could type)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, (int, dt.date)):
        return str(value) if isinstance(value, int) else value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml_key(k)} = {toml(v)}" for k, v in value.items()) + "}"


@st.composite
def keys(draw, scenario: str = "chatgpt_race") -> str:
    """A real dotted key, sometimes cut short, extended or misspelt."""
    key = draw(st.sampled_from(KEYS[scenario]))
    how = draw(st.sampled_from(["as is"] * 6 + ["section", "deeper", "typo"]))
    if how == "section" and "." in key:
        return key.rsplit(".", 1)[0]
    if how == "deeper":
        return key + "." + draw(st.from_regex(r"[a-z_]{1,8}", fullmatch=True))
    if how == "typo":
        return key[:-1] + draw(st.sampled_from("xyz_"))
    return key


@st.composite
def documents(draw) -> str:
    scenario = draw(st.sampled_from(SCENARIOS))
    lines = [f'base = "{scenario}"'] if draw(st.integers(0, 9)) else []  # mostly on a base
    for _ in range(draw(st.integers(1, 4))):
        lines.append(f"{draw(keys(scenario))} = {toml(draw(values))}")
    if draw(st.booleans()):
        lines.append(
            f"replace = {toml(draw(st.lists(st.sampled_from(KEYS[scenario] + ['nope']), max_size=2)))}"
        )
    return "\n".join(lines) + "\n"


def check(rc: int, captured) -> None:
    """Exit 0 with valid JSON (no NaN), or exit 2 with exactly one error line."""
    if rc == 0:
        if captured.out.lstrip().startswith("{"):
            json.loads(captured.out, parse_constant=lambda c: pytest.fail(f"{c} in the output"))
        return
    assert rc == 2, (rc, captured.err)
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err and len(lines[0]) < 1000


def show_file(content: bytes, capsys):
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "fuzz.toml"
        f.write_bytes(content)
        capsys.readouterr()
        rc = main(["show", str(f)])
        return rc, capsys.readouterr()


@FUZZ
@given(doc=documents())
def test_a_generated_scenario_file_exits_0_or_2_with_one_line(doc, capsys):
    check(*show_file(doc.encode("utf-8"), capsys))


@FUZZ
@given(
    raw=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(lambda t: t.encode("utf-8", "replace")))
)
def test_raw_bytes_as_a_scenario_file_exit_0_or_2_with_one_line(raw, capsys):
    check(*show_file(raw, capsys))


@FUZZ
@given(
    key=keys(),
    value=st.one_of(values.map(toml), st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)),
)
def test_a_generated_set_value_exits_0_or_2_with_one_line(key, value, capsys):
    capsys.readouterr()
    rc = main(["show", "chatgpt_race", f"--set={key}={value}"])
    check(rc, capsys.readouterr())


# The main levers of a run, with values around and beyond their bounds, at magnitudes a
# user may type. (Absurd magnitudes such as 1e300 GPUs pass validation and exhaust memory
# in the model's interruption sampling: a model bound still to be chosen, see issue 11's note.)
LEVERS = [
    "teams.strong_follower.diagnosis",
    "teams.strong_follower.fail_early",
    "teams.strong_follower.run_days",
    "teams.strong_follower.share",
    "teams.leader.step_factor",
    "world.hazard_median",
    "world.band_width",
    "clusters.openai.gpus",
]
lever_values = st.one_of(
    st.sampled_from([0, 1, -1, 0.5, 1e-9, 1e6, "nan", "inf", "-inf", "true", '"1"']),
    st.floats(min_value=-10, max_value=1e6, allow_nan=False),
)


@RUNS
@given(sets=st.dictionaries(st.sampled_from(LEVERS), lever_values, min_size=1, max_size=3))
def test_a_run_with_generated_levers_exits_0_or_2_with_one_line(sets, capsys):
    argv = ["run", "chatgpt_race", "--reps", "1", "--years", "0.2", "--quiet", "--no-plots"]
    with tempfile.TemporaryDirectory() as d:
        capsys.readouterr()
        rc = main([*argv, *[f"--set={k}={v}" for k, v in sets.items()], "--out", str(Path(d) / "out")])
        check(rc, capsys.readouterr())
