"""models.smt2020.analytic on the synthetic dataset, against arithmetic written out by hand.

The step tables are those of models.smt2020.synthetic (25-wafer lots, minutes):

part_1: 1 DIFF_1 batch 240 (BatchInterval 60, 4 lots a full batch) | 2 WE_1 piece 1.2, PartInterval 0.8 |
        3 LITHO_1 piece 2.4 | 4 IMP_1 piece 2.0 | 5 DELAY_1 lot 180 | 6 MET_1 lot 20, sampled 50 % |
        7 LITHO_1 piece 3.0 | 8 MET_1 lot 16, rework 5 % back to 7 | 9 DIFF_1 batch 300 |
        10 WE_1 piece 1.0, PartInterval 0.6
part_2: 1 DIFF_1 batch 240 (BatchInterval 60) | 2 WE_1 piece 1.2, PartInterval 0.8 | 3 LITHO_1 piece 2.4 |
        4 IMP_1 piece 1.6 | 5 MET_1 lot 20, sampled 25 % | 6 LITHO_1 piece 3.0 | 7 DELAY_1 lot 120 |
        8 MET_1 lot 16, rework 4 % back to 6

Load and unload are 1 + 1 min on every group but DELAY_1 (0); DIFF_1 and WE_1 are cascading.
Releases: part_1 10 lots a day (1440/160 = 9 regular + 1 hot), part_2 5.2 a day (1440/288 = 5
regular + 1440/7200 = 0.2 super-hot).
"""

from dataclasses import replace

import pytest

from models.smt2020 import analytic
from models.smt2020.data import ToolGroup
from models.smt2020.reader import read_dataset
from models.smt2020.synthetic import synthetic_dataset, write_synthetic

DAY = 1440.0


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return read_dataset(write_synthetic(tmp_path_factory.mktemp("syn")))


def test_raw_process_time_of_part_1_is_the_sampled_sum_of_lot_durations(data):
    per_piece_cascading = [1.2 + 0.8 * 24, 1.0 + 0.6 * 24]  # first wafer, then one every PartInterval
    expected = 240 + per_piece_cascading[0] + 2.4 * 25 + 2.0 * 25 + 180 + 0.5 * 20 + 3.0 * 25 + 16 + 300
    expected += per_piece_cascading[1]  # = 966.8 min
    assert analytic.raw_process_min(data.products["part_1"]) == pytest.approx(expected)
    assert expected == pytest.approx(966.8)


def test_raw_process_time_of_part_2_is_the_sampled_sum_of_lot_durations(data):
    expected = 240 + (1.2 + 0.8 * 24) + 2.4 * 25 + 1.6 * 25 + 0.25 * 20 + 3.0 * 25 + 120 + 16  # = 576.4 min
    assert analytic.raw_process_min(data.products["part_2"]) == pytest.approx(expected)


def test_raw_process_time_with_tool_groups_adds_load_and_unload_per_visit(data):
    sampled_visits_off_delay = 8 + 0.5  # nine steps on loading tools, one of them sampled at 50 %
    expected = 966.8 + 2 * sampled_visits_off_delay
    raw = analytic.raw_process_min(data.products["part_1"], tool_groups=data.tool_groups)
    assert raw == pytest.approx(expected)


def test_raw_process_time_with_rework_adds_the_rework_loop(data):
    loop = 0.05 * (3.0 * 25 + 16)  # steps 7 and 8 again, 5 % of lots
    assert analytic.raw_process_min(data.products["part_1"], rework=True) == pytest.approx(966.8 + loop)


def test_visits_count_sampling_and_the_first_order_rework_loop(data):
    assert analytic.visits(data.products["part_1"]) == pytest.approx([1, 1, 1, 1, 1, 0.5, 1.05, 1.05, 1, 1])
    assert analytic.visits(data.products["part_2"]) == pytest.approx([1, 1, 1, 1, 0.25, 1.04, 1.04, 1.04])


def test_tool_busy_time_per_lot_by_kind_of_step(data):
    p1 = data.products["part_1"].steps
    g = data.tool_groups
    assert analytic.tool_busy_min(p1[8]) == 300 / 4  # a full batch of 100 wafers is 4 lots
    assert analytic.tool_busy_min(p1[0], group=g["DIFF_1"]) == 60 / 4  # cascading: BatchInterval, no load
    assert analytic.tool_busy_min(p1[1], group=g["WE_1"]) == pytest.approx(0.8 * 25)  # PartInterval x wafers
    assert analytic.tool_busy_min(p1[2], group=g["LITHO_1"]) == pytest.approx(2.4 * 25 + 1 + 1)
    assert analytic.tool_busy_min(p1[4], group=g["DELAY_1"]) == 180


def test_offered_load_per_tool_group_at_full_batches(data):
    p1, p2 = 10 / DAY, 5.2 / DAY  # lots per minute
    expected = {
        "DIFF_1": (p1 * (60 / 4 + 300 / 4) + p2 * (60 / 4)) / 2,
        "WE_1": p1 * (0.8 * 25 + 0.6 * 25) + p2 * (0.8 * 25),
        "LITHO_1": (p1 * (62 + 1.05 * 77) + p2 * (62 + 1.04 * 77)) / 2,  # 2.4*25+2 = 62, 3.0*25+2 = 77
        "IMP_1": p1 * (2.0 * 25 + 2) + p2 * (1.6 * 25 + 2),
        "MET_1": p1 * (0.5 * 22 + 1.05 * 18) + p2 * (0.25 * 22 + 1.04 * 18),
        "DELAY_1": (p1 * 180 + p2 * 1.04 * 120) / 400,  # part_2's delay is inside its rework loop
    }
    assert analytic.offered_load(data) == pytest.approx(expected)
    assert expected["LITHO_1"] == pytest.approx(0.7525, abs=1e-4)  # the busiest group


def test_offered_load_scales_with_the_start_rate(data):
    once, twice = analytic.offered_load(data), analytic.offered_load(data, start_rate=2.0)
    assert twice == pytest.approx({k: 2 * v for k, v in once.items()})


def test_availability_subtracts_breakdown_and_pm_shares(data):
    imp_wafers_per_min = (10 * 25 + 5.2 * 25) / DAY  # one IMP_1 tool, one implant step per part
    we_wafers_per_min = (10 * 2 * 25 + 5.2 * 25) / DAY  # part_1 visits WE_1 twice
    expected = {
        "LITHO_1": 1 - 504 / (10080 + 504) - 240 / 10080,  # = 1 - 1/21 - 1/42 = 13/14
        "IMP_1": 1 - 420 / (10080 + 420) - 300 * imp_wafers_per_min / 5000,  # PM every 5000 wafers
        "WE_1": 1 - 168 / (10080 + 168) - 120 * we_wafers_per_min / 10000,
        "DIFF_1": 1 - 120 / (10080 + 120) - 480 / 20160,
        "MET_1": 1 - 36 / (10080 + 36),
        "DELAY_1": 1.0,  # no calendar
    }
    assert analytic.availability(data) == pytest.approx(expected)
    assert expected["LITHO_1"] == pytest.approx(13 / 14)


def test_area_availability_is_the_tool_weighted_mean_of_its_groups():
    base = synthetic_dataset()
    # a second Litho group of 6 tools: the area's breakdowns reach it, LITHO_1's PM does not
    litho_2 = ToolGroup("LITHO_2", "Litho", 6, "rule_HotLotFIRST")
    data = replace(base, tool_groups={**base.tool_groups, "LITHO_2": litho_2})
    expected = (2 * (13 / 14) + 6 * (1 - 1 / 21)) / 8
    assert analytic.area_availability(data)["Litho"] == pytest.approx(expected)
