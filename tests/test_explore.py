"""The notebook explorer, driven without a browser."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import sim  # noqa: E402
from sim.scenario import ScenarioError  # noqa: E402


def test_the_explorer_offers_each_followers_levers():
    ex = sim.Explorer("chatgpt_race", reps=2, years=1)
    assert "teams.late_follower.diagnosis" in ex.levers
    assert "teams.leader.diagnosis" not in ex.levers
    scenario_value = sim.load_scenario("chatgpt_race").teams["late_follower"].diagnosis
    assert ex.values["teams.late_follower.diagnosis"] == scenario_value  # sliders start where the scenario is


def test_moving_a_lever_reruns_the_scenario_with_it():
    ex = sim.Explorer("chatgpt_race", reps=2, years=2)
    before = ex.update()
    after = ex.update(teams__late_follower__diagnosis=0.0)
    assert after.summary["params"]["teams"]["late_follower"]["diagnosis"] == 0.0
    late = lambda r: r.events[r.events.team == "late_follower"].reset_index(drop=True)  # noqa: E731
    assert not late(before).equals(late(after))
    assert ex.figure is not None and ex.figure.axes[0].get_ylabel().startswith("months behind")


def test_an_unknown_lever_is_refused_with_its_name():
    with pytest.raises(ScenarioError, match="teams.nobody.diagnosis"):
        sim.Explorer("chatgpt_race", levers={"teams.nobody.diagnosis": (0, 1, 0.1)})


def test_the_widget_has_one_slider_per_lever():
    ipywidgets = pytest.importorskip("ipywidgets")
    ex = sim.Explorer(
        "chatgpt_race", reps=1, years=0.5, levers={"teams.late_follower.diagnosis": (0.0, 1.0, 0.1)}
    )
    box = ex.widget()
    sliders = [c for c in box.children if isinstance(c, ipywidgets.FloatSlider)]
    assert len(sliders) == 1
