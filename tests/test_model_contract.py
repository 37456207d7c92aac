"""The model contract: every registered model, and the toy model of README "Adding a model"."""

import pandas as pd
import pytest

import sim
from sim import registry
from sim.model import check_model
from sim.recorder import Column, Recorder, Schema

QUIET = sim.RunOptions(progress=False)


@pytest.mark.parametrize("name", registry.model_names())
def test_every_installed_model_runs_its_example_through_the_contract(name):
    model = registry.get_model(name)
    check_model(model, name)
    res = sim.run(model.example(), options=QUIET)
    params = sim.load_scenario(model.example())
    declared = model.schemas(params)
    assert list(res.events.columns) == list(declared["events"].names)
    assert len(res.events) > 0 and len(res.gap) > 0
    assert set(res.gap["follower"]) == set(params.teams) - {params.leader}
    for table in set(declared) - {"events", "states"}:
        assert list(res.tables[table].columns) == list(declared[table].names)


def test_the_toy_model_of_the_readme_runs_end_to_end():
    from tests.toy_model import MODEL

    sim.register_model("toy", MODEL)
    res = sim.run(MODEL.example(), options=QUIET)
    assert res.summary["reps"] == 3
    # the fast, skilled team leads: the slow one is behind it at the end in every rep
    end = res.gap[res.gap.t_days == res.gap.t_days.max()]
    assert (end["capability_gap"] > 0).all()


def test_registering_something_that_is_not_a_model_is_a_type_error():
    with pytest.raises(TypeError, match="not an instance of sim.Model"):
        sim.register_model("bad", object())


def test_a_model_registered_under_another_name_is_refused():
    from tests.toy_model import MODEL

    with pytest.raises(TypeError, match="registered as 'other'"):
        sim.register_model("other", MODEL)


SCHEMA = Schema(
    "t", [Column("a", "int64"), Column("b", default=0.5), Column("c", "category", categories=("x", "y"))]
)


def test_a_row_by_name_fills_defaults_and_keeps_the_declared_dtypes():
    rec = Recorder(SCHEMA)
    rec.add(c="y", a=1)
    rec.add(a=2, b=1.5, c="x")
    df = rec.frame()
    assert df.to_dict("list") == {"a": [1, 2], "b": [0.5, 1.5], "c": ["y", "x"]}
    assert str(df["a"].dtype) == "int64" and list(df["c"].cat.categories) == ["x", "y"]


def test_an_unknown_field_is_an_error_naming_it():
    with pytest.raises(TypeError, match="unknown field 'd'"):
        Recorder(SCHEMA).add(a=1, c="x", d=2)


def test_a_missing_field_without_default_is_an_error_naming_it():
    with pytest.raises(TypeError, match="missing field 'a'"):
        Recorder(SCHEMA).add(c="x")


def test_tables_of_two_batches_concatenate_as_categoricals():
    a, b = Recorder(SCHEMA), Recorder(SCHEMA)
    a.add(a=1, c="x")
    b.add(a=2, c="y")
    both = pd.concat([a.frame(), b.frame()], ignore_index=True)
    assert isinstance(both["c"].dtype, pd.CategoricalDtype)


def test_dir_of_sim_lists_the_public_api():
    names = dir(sim)
    for name in ("run", "RunOptions", "Model", "load_results", "run_sweep"):
        assert name in names
    assert set(names) == set(sim.__all__)
