"""The engine's tables are what the data contract (sim.tables, rendered in the docs) declares."""

import pandas as pd
import pytest

import sim
from sim import tables
from tests.toy_model import MODEL, STATES


def _kind(dtype) -> str:
    """The schema's name for a pandas dtype (strings are ``object`` under pandas 2, ``str`` under 3)."""
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_string_dtype(dtype):
        return "str"
    return str(dtype)


@pytest.fixture(scope="module")
def toy_results():
    sim.register_model("toy", MODEL)
    return sim.run(MODEL.example(), options=sim.RunOptions(progress=False))


@pytest.mark.parametrize("name", ["gap", "staircase", "metrics"])
def test_an_engine_table_has_exactly_the_declared_columns_and_dtypes(toy_results, name):
    schema = {"gap": tables.GAP, "staircase": tables.STAIRCASE, "metrics": tables.METRICS}[name]
    df = getattr(toy_results, name)
    assert len(df) > 0
    assert [(c, _kind(t)) for c, t in df.dtypes.items()] == [(c.name, c.dtype) for c in schema.columns]


def test_trajectories_are_the_model_states_on_the_grid_keys_first(toy_results):
    expected = [*tables.TRAJECTORY_KEYS, *(c for c in STATES.names if c not in tables.TRAJECTORY_KEYS)]
    assert list(toy_results.trajectories.columns) == expected
