"""The seed's fab claims (S6; DESIGN §3.4) emerge from the fab scenarios' mechanisms.

Short runs of the named scenarios (fixed seeds); figures are read from the
lots the teams actually ran, not from parameters.
"""

import numpy as np
import pytest

import sim

pytestmark = pytest.mark.slow  # fab runs of half a year


@pytest.fixture(scope="module")
def race():
    # Half a year: each team finishes ~20 experimental lots of 25 wafers per replication.
    return sim.run(
        "fab_5nm_race", reps=2, years=0.5, seed=11, options=sim.RunOptions(workers=2, progress=False)
    )


def _lots(res, team):
    ev = res.events
    return ev[(ev["kind"] == "experimental") & (ev["team"] == team)]


def test_s6_follower_yield_is_a_tenth_to_a_hundredth_of_the_leaders(race):
    lead, fol = _lots(race, "leader"), _lots(race, "follower")
    ratio = (fol["wafers_out"].sum() / (25 * len(fol))) / (lead["wafers_out"].sum() / (25 * len(lead)))
    assert 1 / 100 <= ratio <= 1 / 10


def test_s6_follower_pays_10_to_100_million_for_25_good_wafers(race):
    fol = _lots(race, "follower")
    cost_25 = fol["cost_usd"].sum() / fol["wafers_out"].sum() * 25
    lead = _lots(race, "leader")
    lead_25 = lead["cost_usd"].sum() / lead["wafers_out"].sum() * 25
    assert 1e7 <= cost_25 <= 1e8
    assert lead_25 == pytest.approx(1.1e6, rel=0.1)  # S6: about $1M at the leader


def test_priority_buys_learning_cycles_in_a_loaded_fab():
    # Same know-how and seed; the only difference is lot priority (hot against regular).
    res = sim.run(
        "fab_shared_line",
        reps=2,
        years=0.6,
        seed=5,
        options=sim.RunOptions(workers=2, progress=False),
        overrides={"route.steps": 150, "route.tool_groups": 30},
    )
    ev = res.events[res.events["kind"] == "experimental"]
    lots = ev.groupby(["rep", "team"]).size().unstack()
    cycle = ev.groupby(["rep", "team"])["duration_days"].mean().unstack()
    assert np.all(lots["follower_hot"] > lots["follower_regular"])
    assert np.all(cycle["follower_hot"] < cycle["follower_regular"])
