"""Issue 11, the store: parts verified by size and hash, damaged ones recomputed on resume,
a complete store resumed as a no-op, the manifest (validated) the authority on what a
folder holds (cases 5, 6, 13 manifests and points, 14)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim import runner
from sim.cli import main
from sim.scenario import ScenarioError
from sim.store import Store, file_record

SWEEP = [
    "sweep",
    "chatgpt_race",
    "--vary",
    "teams.late_follower.prep_days=5,30",
    "--reps",
    "4",
    "--years",
    "1",
    "--seed",
    "3",
    "--quiet",
    "--no-plots",
]
TABLES = ("events", "trajectories", "gap", "staircase", "metrics")


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


@pytest.fixture(scope="module")
def clean_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("clean") / "S"
    assert main([*SWEEP, "--out", str(out)]) == 0
    return out


@pytest.fixture
def interrupted_sweep(tmp_path, monkeypatch):
    """A sweep stopped by Ctrl-C after 6 of its 8 parts (one rep each: --reps 4 makes batches of 1)."""
    real, calls = runner._run_batch, []

    def batch(job):
        calls.append(job)
        if len(calls) > 6:
            raise KeyboardInterrupt
        return real(job)

    out = tmp_path / "S"
    with monkeypatch.context() as m:
        m.setattr(runner, "_run_batch", batch)
        assert main([*SWEEP, "--out", str(out)]) == 130
    assert len(manifest(out)["parts"]) == 6
    return out


def same_tables(a_dir, b_dir, points=(0, 1)):
    for point in points:
        a, b = sim.load_results(a_dir, point=point), sim.load_results(b_dir, point=point)
        for name in TABLES:
            pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


# -- the manifest records what was written ------------------------------------------------
def test_the_manifest_records_each_part_files_size_and_hash(clean_sweep):
    for key, entry in manifest(clean_sweep)["parts"].items():
        for name in entry["tables"]:
            assert entry["files"][name] == file_record(clean_sweep / "parts" / f"{key}.{name}.parquet")


def test_the_manifest_records_each_output_files_size_and_hash(clean_sweep):
    outputs = manifest(clean_sweep)["outputs"]
    assert set(outputs) == {"sweep.parquet", "sweep_summary.csv", "sweep.json"}
    for name, record in outputs.items():
        assert record == file_record(clean_sweep / name)


def test_parts_written_by_workers_carry_their_hashes(tmp_path):
    out = tmp_path / "W"
    assert main([*SWEEP, "--workers", "2", "--out", str(out)]) == 0
    for key, entry in manifest(out)["parts"].items():
        assert entry["files"]["gap"] == file_record(out / "parts" / f"{key}.gap.parquet")


# -- case 5: damaged parts ----------------------------------------------------------------
def damage(out: Path, how: str) -> str:
    """Damage one finished part's events file; returns its key."""
    keys = sorted(manifest(out)["parts"])
    key = keys[1]
    f = out / "parts" / f"{key}.events.parquet"
    if how == "truncated":
        f.write_bytes(f.read_bytes()[:100])
    elif how == "empty":
        f.write_bytes(b"")
    elif how == "missing":
        f.unlink()
    elif how == "copied over":  # a valid part of another batch: other reps
        shutil.copy(out / "parts" / f"{keys[0]}.events.parquet", f)
    return key


@pytest.mark.parametrize("how", ["truncated", "empty", "missing", "copied over"])
def test_resume_recomputes_a_damaged_part_and_equals_a_clean_run(how, interrupted_sweep, clean_sweep, capsys):
    key = damage(interrupted_sweep, how)
    assert main([*SWEEP, "--resume", str(interrupted_sweep)]) == 0
    assert "1 damaged or missing part(s) dropped" in capsys.readouterr().err
    parts = manifest(interrupted_sweep)["parts"]
    assert len(parts) == 8 and parts[key]["session"] == 2
    same_tables(interrupted_sweep, clean_sweep)


def test_resume_keeps_intact_parts(interrupted_sweep):
    damage(interrupted_sweep, "truncated")
    before = manifest(interrupted_sweep)["parts"]
    assert main([*SWEEP, "--resume", str(interrupted_sweep)]) == 0
    after = manifest(interrupted_sweep)["parts"]
    assert sum(after[k]["session"] == 1 for k in before) == len(before) - 1


def test_loading_a_damaged_part_is_one_error_line_naming_it(interrupted_sweep):
    key = damage(interrupted_sweep, "truncated")
    with pytest.raises(ScenarioError, match=rf"{key}\.events\.parquet' is missing or differs .* --resume"):
        sim.load_results(interrupted_sweep, point=0)


def test_plot_of_a_store_with_a_damaged_part_exits_2(interrupted_sweep, capsys):
    f = interrupted_sweep / "parts" / f"{sorted(manifest(interrupted_sweep)['parts'])[0]}.metrics.parquet"
    f.write_bytes(b"")
    assert main(["plot", str(interrupted_sweep)]) == 2
    assert "metrics.parquet" in one_error_line(capsys)


# -- case 6: resuming a complete store ---------------------------------------------------
def test_resuming_a_complete_run_is_a_no_op_that_says_so(tmp_path, capsys):
    argv = ["run", "chatgpt_race", "--reps", "2", "--years", "1", "--quiet", "--no-plots"]
    out = tmp_path / "D"
    assert main([*argv, "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    capsys.readouterr()
    assert main([*argv, "--resume", str(out)]) == 0
    captured = capsys.readouterr()
    assert "complete: nothing to recompute" in captured.err
    assert "late_follower" in captured.out  # the stored headline table, printed again
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_resuming_a_complete_sweep_is_a_no_op(clean_sweep, capsys):
    before = (clean_sweep / "manifest.json").read_bytes()
    assert main([*SWEEP, "--resume", str(clean_sweep)]) == 0
    assert "complete: nothing to recompute" in capsys.readouterr().err
    assert (clean_sweep / "manifest.json").read_bytes() == before


def test_resuming_a_run_whose_consolidated_table_was_damaged_recomputes_it(tmp_path):
    argv = ["run", "chatgpt_race", "--reps", "2", "--years", "1", "--seed", "4", "--quiet", "--no-plots"]
    out, clean = tmp_path / "D", tmp_path / "clean"
    assert main([*argv, "--out", str(out)]) == 0
    assert main([*argv, "--out", str(clean)]) == 0
    (out / "gap.parquet").write_bytes(b"garbage")
    assert main([*argv, "--resume", str(out)]) == 0
    same_tables(out, clean, points=(None,))


# -- case 13: corrupt manifests and bad points -------------------------------------------
@pytest.mark.parametrize("text", ["{nope", "{}", "[]", '{"kind": "run"}', "\x00\xff"])
def test_a_corrupt_manifest_is_one_error_line_everywhere(text, tmp_path, capsys):
    out = tmp_path / "M"
    out.mkdir()
    (out / "manifest.json").write_text(text, errors="surrogateescape")
    assert main(["plot", str(out)]) == 2
    assert "manifest" in one_error_line(capsys)
    argv = ["run", "chatgpt_race", "--reps", "1", "--years", "1", "--quiet", "--no-plots"]
    assert main([*argv, "--resume", str(out)]) == 2
    assert "manifest" in one_error_line(capsys)
    with pytest.raises(ScenarioError, match="manifest"):
        sim.load_results(out)


def test_a_rerun_into_a_folder_with_a_corrupt_manifest_needs_force(tmp_path, capsys):
    out = tmp_path / "M"
    out.mkdir()
    (out / "manifest.json").write_text("{}")
    argv = ["run", "chatgpt_race", "--reps", "1", "--years", "1", "--quiet", "--no-plots", "--out", str(out)]
    assert main(argv) == 2
    assert "--force" in one_error_line(capsys)
    assert main([*argv, "--force"]) == 0


def test_a_manifest_naming_files_outside_the_folder_is_refused_and_deletes_nothing(
    interrupted_sweep, tmp_path
):
    victim = tmp_path / "victim.parquet"
    victim.write_bytes(b"keep")
    man = manifest(interrupted_sweep)
    key = next(iter(man["parts"]))
    man["parts"][key]["tables"].append("../../victim")
    (interrupted_sweep / "manifest.json").write_text(json.dumps(man))
    assert main([*SWEEP, "--resume", str(interrupted_sweep)]) == 2
    assert victim.read_bytes() == b"keep"


@pytest.mark.parametrize("point", [2, -1, "a", True, 1.5])
def test_load_results_with_a_bad_point_is_one_error_line(point, clean_sweep):
    with pytest.raises(ScenarioError, match=r"point: .* is not allowed: an integer in \[0, 1\]"):
        sim.load_results(clean_sweep, point=point)


def test_load_results_of_a_missing_folder_is_one_error_line(tmp_path):
    with pytest.raises(ScenarioError, match="not a results folder"):
        sim.load_results(tmp_path / "nothing")


# -- case 14: the manifest, not summary.json, is the authority --------------------------
@pytest.fixture
def finished_run(tmp_path):
    out = tmp_path / "D"
    argv = ["run", "chatgpt_race", "--reps", "2", "--years", "1", "--quiet", "--no-plots", "--out", str(out)]
    assert main(argv) == 0
    return out


def test_an_edited_summary_json_is_not_trusted(finished_run):
    s = json.loads((finished_run / "summary.json").read_text())
    s["reps"], s["followers"] = 999, []
    (finished_run / "summary.json").write_text(json.dumps(s))
    res = sim.load_results(finished_run)
    assert res.summary["reps"] == 2 and len(res.summary["followers"]) == 2


def test_a_stray_parquet_in_a_store_is_not_loaded_as_a_table(finished_run):
    pd.DataFrame({"a": [1]}).to_parquet(finished_run / "stray.parquet")
    assert "stray" not in sim.load_results(finished_run).tables


def test_a_stray_parquet_in_a_saved_folder_is_not_loaded_as_a_table(tmp_path):
    res = sim.run("chatgpt_race", reps=1, years=1, options=sim.RunOptions(progress=False))
    res.save(tmp_path / "saved", figures=False)
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "saved" / "stray.parquet")
    back = sim.load_results(tmp_path / "saved")
    assert "stray" not in back.tables
    pd.testing.assert_frame_equal(back.gap, res.gap, check_exact=True)


def test_a_saved_table_that_was_changed_is_refused(tmp_path):
    res = sim.run("chatgpt_race", reps=1, years=1, options=sim.RunOptions(progress=False))
    res.save(tmp_path / "saved", figures=False)
    res.gap.head(3).to_parquet(tmp_path / "saved" / "gap.parquet")
    with pytest.raises(ScenarioError, match="gap.parquet' is missing or differs"):
        sim.load_results(tmp_path / "saved")


def test_a_folder_written_before_manifests_loads_only_its_declared_tables(tmp_path):
    res = sim.run("chatgpt_race", reps=1, years=1, options=sim.RunOptions(progress=False))
    d = res.save(tmp_path / "legacy", figures=False)
    (d / "manifest.json").unlink()
    pd.DataFrame({"a": [1]}).to_parquet(d / "stray.parquet")
    back = sim.load_results(d)
    assert "stray" not in back.tables
    pd.testing.assert_frame_equal(back.events, res.events, check_exact=True)


def test_plot_redraws_from_the_manifests_tables_not_a_stale_summary(finished_run, capsys):
    (finished_run / "summary.json").write_text("not json")
    assert main(["plot", str(finished_run)]) == 0
    assert (finished_run / "gap.png").is_file()


def test_store_read_refuses_a_folder_without_manifest(tmp_path):
    with pytest.raises(ScenarioError, match="not a result store"):
        Store.read(tmp_path)
