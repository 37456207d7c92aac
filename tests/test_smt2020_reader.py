"""models.smt2020.reader: the SMT2020 files as a Dataset, and one-line errors naming file, line, column.

Every case starts from the synthetic dataset (models.smt2020.synthetic) and breaks one cell.
Line numbers are the file's (the header is line 1): in route_1.txt, line 2 is step 1
(a Diffusion batch step), line 3 step 2 (Wet_Etch), line 7 step 6 (a sampled metrology step).
"""

import pytest

from models.smt2020.reader import DatasetError, read_dataset
from models.smt2020.synthetic import synthetic_dataset, write_synthetic
from sim.validation import ScenarioError


@pytest.fixture
def folder(tmp_path):
    return write_synthetic(tmp_path / "SMT2020_SYN")


def _read(path):
    return read_dataset(path, name="SYNTHETIC")


def _set(folder, file, line, column, value):
    """Replace one cell (``line`` 1-based, the header is line 1) of a tab-separated file."""
    path = folder / file
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split("\t")
    fields = lines[line - 1].split("\t")
    fields += [""] * (len(header) - len(fields))
    fields[header.index(column)] = value
    lines[line - 1] = "\t".join(fields)
    path.write_text("\n".join(lines), encoding="utf-8")


# (file, line, column, bad value, what the message says after "file, line N, column C: ")
CELL_ERRORS = [
    ("route_1.txt", 3, "PTIME", "abc", "'abc' is not a number"),
    ("route_1.txt", 3, "PTIME", "-1.2", "'-1.2' is a negative time"),
    ("route_1.txt", 3, "PartInterval", "-48", "'-48' is a negative time"),
    ("route_1.txt", 7, "StepPercent", "150", "'150' is not a percentage in [0, 100]"),
    ("route_1.txt", 9, "REWORK", "-5", "'-5' is not a percentage in [0, 100]"),
    ("route_1.txt", 3, "PTUNITS", "weeks", "'weeks' is not one of 'sec', 'min', 'hr', 'day'"),
    ("route_1.txt", 3, "CQTUNITS", "", "'' is not one of"),
    ("route_1.txt", 3, "PTPER", "per_wafer", "'per_wafer' is not one of 'per_lot', 'per_piece', 'per_batch'"),
    ("route_1.txt", 4, "STEP", "4", "'4' should be 3: steps run 1, 2, 3, ..."),
    ("route_1.txt", 3, "STNFAM", "NO_SUCH_TOOL", "'NO_SUCH_TOOL' is not a known tool group"),
    ("route_1.txt", 2, "BATCHMN", "150", "150 is more than BATCHMX 100"),
    ("route_1.txt", 4, "FORSTEP", "11", "'11' is not a step of this route (1..10)"),
    ("route_1.txt", 9, "RWKSTEP", "9", "9 is after this step 8: rework goes back"),
    ("tool.txt", 2, "STNQTY", "0", "'0' is less than 1"),
    ("tool.txt", 2, "STNQTY", "2.5", "'2.5' is not a whole number"),
    ("part.txt", 3, "ROUTEFILE", "route_9.txt", "'route_9.txt': no such file in the dataset folder"),
    ("order.txt", 2, "START", "2018-01-01", "'2018-01-01' is not a date like '01/31/18 23:59:00'"),
    ("order.txt", 3, "DUE", "12/31/17 00:00:00", "is before START"),
    ("order.txt", 2, "PART", "part_9", "'part_9' is not a known part"),
    ("WIP.txt", 2, "CURSTEP", "11", "11 is past the last step 10 of part_1"),
    ("attach.txt", 2, "CALNAME", "BREAK_Nowhere", "'BREAK_Nowhere' is not a known down calendar"),
    ("attach.txt", 7, "CALNAME", "BREAK_Litho", "'BREAK_Litho' is not a known pm calendar"),
    ("attach.txt", 2, "RESNAME", "Nowhere", "'Nowhere' is not a known area (STNGRP)"),
    ("attach.txt", 7, "RESNAME", "NO_SUCH_TOOL", "'NO_SUCH_TOOL' is not a known tool group"),
    ("attach.txt", 9, "FOAUNITS", "day", "a wafer-count PM counts FOA in wafers"),
    ("pmcal.txt", 2, "PMCALTYPE", "mtbpm_by_moon", "'mtbpm_by_moon' is not one of"),
    ("downcal.txt", 2, "MTTFDIST", "uniform", "'uniform' is not one of 'exponential'"),
    ("setup.txt", 2, "IGNORE", "NO_SUCH_TOOL", "'NO_SUCH_TOOL' is not a known tool group"),
    ("setupgrp.txt", 3, "IGNORE", "NO_SUCH_TOOL", "'NO_SUCH_TOOL' is not a known tool group"),
    ("setupgrp.txt", 2, "SETUPGRP", "", "is empty on the first row"),
]


@pytest.mark.parametrize(("file", "line", "column", "value", "says"), CELL_ERRORS)
def test_a_bad_cell_is_one_error_naming_file_line_column_and_value(folder, file, line, column, value, says):
    _set(folder, file, line, column, value)
    with pytest.raises(DatasetError) as info:
        _read(folder)
    assert str(info.value).startswith(f"{file}, line {line}, column {column}: ")
    assert says in str(info.value)


def test_a_dataset_error_is_a_scenario_error_so_the_cli_exits_2():
    assert issubclass(DatasetError, ScenarioError)


def test_a_missing_folder_is_an_error_naming_it(tmp_path):
    with pytest.raises(DatasetError, match="nowhere.*does not exist"):
        read_dataset(tmp_path / "nowhere")


@pytest.mark.parametrize("file", ["tool.txt", "part.txt", "order.txt"])
def test_a_missing_required_file_is_an_error_naming_it(folder, file):
    (folder / file).unlink()
    with pytest.raises(DatasetError, match=f"^{file}: missing in "):
        _read(folder)


def test_a_missing_header_column_is_an_error_on_line_1(folder):
    _set(folder, "route_2.txt", 1, "PTIME", "P_TIME")
    with pytest.raises(DatasetError, match=r"^route_2\.txt, line 1, column PTIME: missing from the header$"):
        _read(folder)


def test_a_value_past_the_header_columns_is_an_error(folder):
    path = folder / "order.txt"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[2] += "\t\tsurprise"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(DatasetError, match=r"^order\.txt, line 3, column 15 .*'surprise'"):
        _read(folder)


def test_missing_or_added_trailing_empty_fields_are_fine(folder):
    for path in folder.iterdir():
        lines = path.read_text(encoding="utf-8").split("\n")
        # every other row loses its trailing tabs, the others gain two
        text = "\n".join(ln.rstrip("\t") if k % 2 else ln + "\t\t" for k, ln in enumerate(lines))
        path.write_text(text, encoding="utf-8")
    assert _read(folder) == synthetic_dataset()


def test_the_optional_files_may_be_left_out(folder):
    for stem in ("WIP", "setup", "setupgrp", "pmcal", "downcal", "attach", "fromto"):
        (folder / f"{stem}.txt").unlink()
    data = _read(folder)
    assert (data.wip, data.setups, data.min_runs, data.attachments) == ((), (), (), ())
    assert (data.pm, data.down) == ({}, {})
    assert len(data.products) == 2 and len(data.orders) == 4


def test_the_synthetic_files_read_back_as_the_synthetic_dataset(folder):
    assert _read(folder) == synthetic_dataset()


def test_utf16_and_asd_files_read_the_same_as_utf8_txt(tmp_path):
    utf8 = _read(write_synthetic(tmp_path / "a"))
    assert _read(write_synthetic(tmp_path / "b", encoding="utf-16")) == utf8
    assert _read(write_synthetic(tmp_path / "c", encoding="utf-16", extension=".asd")) == utf8
    assert _read(write_synthetic(tmp_path / "d", extension=".asd")) == utf8


def test_the_tool_file_may_be_called_tool_txt_1l(folder):
    (folder / "tool.txt").rename(folder / "tool.txt.1l")
    assert _read(folder) == synthetic_dataset()


def test_the_name_defaults_to_the_folder_without_the_smt2020_prefix(folder):
    assert read_dataset(folder).name == "SYN"


def test_units_and_percentages_are_converted_to_minutes_and_shares(folder):
    data = _read(folder)
    we = data.products["part_1"].steps[1]  # route_1.txt line 3: PartInterval 48 sec, CQT 4 hr
    assert (we.part_interval_min, we.cqt_step, we.cqt_min) == (0.8, 4, 240.0)
    met = data.products["part_1"].steps[5]  # StepPercent 50
    assert met.sample_prob == 0.5
    assert data.products["part_1"].steps[7].rework_prob == 0.05  # REWORK 5
    assert data.pm["LITHO_1_WK"].every == 7 * 1440  # MTBPM 7 day
    assert data.pm["LITHO_1_WK"].duration_min == 240.0  # MTTR 4 hr
    assert data.pm["IMP_1_WAF"].kind == "wafers" and data.pm["IMP_1_WAF"].every == 5000  # 5000 pieces


def test_a_batch_step_keeps_its_wafer_limits_and_a_lens_step_its_partner(folder):
    step1, _, step3 = _read(folder).products["part_1"].steps[:3]
    assert (step1.per, step1.batch_min_wafers, step1.batch_max_wafers, step1.batch_interval_min) == (
        "batch",
        50,
        100,
        60.0,
    )
    assert (step3.lens_step, step3.setup, step3.setup_min) == (7, "L_P1", 10.0)


def test_an_empty_setupgrp_continues_and_an_empty_cursetup_means_from_any(folder):
    data = _read(folder)
    runs = [(r.group, r.setup, r.lots) for r in data.min_runs]
    assert runs == [("IMP_Gas", "SU_A", 5), ("IMP_Gas", "SU_B", 5)]
    assert data.setups[0].from_setup == "" and data.setups[0].to_setup == "SU_A"


def test_a_wafer_count_pm_counts_its_first_occurrence_in_wafers(folder):
    first = {a.calendar: a.first for a in _read(folder).attachments}
    assert first["IMP_1_WAF"] == 2500  # FOA 2500, FOAUNITS empty
    assert first["LITHO_1_WK"] == 2 * 1440  # FOA 2 day


def test_stations_attach_by_family_or_by_area(folder):
    kinds = {a.calendar: (a.target_kind, a.target) for a in _read(folder).attachments}
    assert kinds["BREAK_Litho"] == ("area", "Litho")  # RESTYPE stngrp
    assert kinds["LITHO_1_WK"] == ("family", "LITHO_1")  # RESTYPE stnfam


def test_times_are_minutes_since_the_earliest_start(folder):
    for line in range(2, 6):  # every WIP lot started an hour before the orders
        _set(folder, "WIP.txt", line, "START", "12/31/17 23:00:00")
    data = _read(folder)
    assert data.epoch == "2017-12-31T23:00:00"
    assert [o.start_min for o in data.orders] == [60.0, 60.0, 90.0, 150.0]
    assert data.wip[0].start_min == 0.0
    assert data.wip[0].due_min == 1500.0 + 60.0  # DUE is unchanged on the calendar
    assert data.orders[0].due_after_min == 4320.0  # DUE - START of the order
