"""Issue 11, output folders: one writer at a time, old results survive a failed rerun,
folders that are not ours are refused, default folders stay under results/, and
unusable paths are one error line before anything is computed (cases 1-4, 12)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim import output_folder, runner
from sim.cli import main

TINY = ["--reps", "2", "--years", "1", "--quiet", "--no-plots"]
TABLES = ("events", "trajectories", "gap", "staircase", "metrics")


def run_cli(*argv) -> int:
    return main(["run", "chatgpt_race", *TINY, *argv])


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def finished(tmp_path):
    """A finished run (seed 1) in tmp_path/D, and a snapshot of its files."""
    out = tmp_path / "D"
    assert run_cli("--seed", "1", "--out", str(out)) == 0
    return out, snapshot(out)


# -- case 1: a second writer ------------------------------------------------------------
def hold_lock(folder: Path) -> subprocess.Popen:
    """Another process holding the lock of ``folder`` until killed."""
    code = (
        "import sys, time\nfrom sim.output_folder import locked\n"
        f"with locked({str(folder)!r}):\n    print('locked', flush=True)\n    time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_writer_exits_2_naming_the_holders_pid(tmp_path, capsys):
    holder = hold_lock(tmp_path / "D")
    try:
        assert run_cli("--out", str(tmp_path / "D")) == 2
        line = one_error_line(capsys)
        assert f"in use by process {holder.pid}" in line and "--out" in line
    finally:
        holder.kill()
        holder.wait()


def test_a_second_writer_leaves_the_first_writers_results(finished, capsys):
    out, before = finished
    with output_folder.locked(out):  # as if the first writer were still at work
        assert run_cli("--seed", "2", "--reps", "1", "--out", str(out)) == 2
    assert snapshot(out) == before
    assert sim.load_results(out).summary["seed"] == 1


def test_a_lock_left_by_a_killed_writer_is_taken_over(tmp_path):
    holder = hold_lock(tmp_path / "D")
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert output_folder.lock_path(tmp_path / "D").exists()  # kill -9 ran no clean-up
    assert run_cli("--out", str(tmp_path / "D")) == 0
    assert not output_folder.lock_path(tmp_path / "D").exists()


# -- case 2: the scenario name as the default folder -------------------------------------
@pytest.mark.parametrize("name", ["/abs/elsewhere", "../../x", "..", ".hidden", "a b/c", "x" * 300])
def test_default_output_folder_stays_under_results(name):
    out = output_folder.default_out(name)
    assert out.parts[0] == "results" and len(out.parts) == 2
    assert not out.name.startswith(".") and len(out.name) <= output_folder.MAX_FOLDER_NAME


def test_a_scenario_named_like_a_path_writes_under_results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text('base = "chatgpt_race"\nname = "../../x"\n')
    assert main(["run", "s.toml", *TINY]) == 0
    assert (tmp_path / "results" / "_.._x" / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results", "s.toml"]


def test_a_sweep_of_a_scenario_named_like_a_path_writes_under_results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text('base = "chatgpt_race"\nname = "/abs/elsewhere"\n')
    argv = ["sweep", "s.toml", "--vary", "teams.leader.diagnosis=0.4,0.6", "--reps", "1", "--years", "1"]
    assert main([*argv, "--quiet", "--no-plots"]) == 0
    assert (tmp_path / "results" / "_abs_elsewhere-sweep" / "manifest.json").is_file()


# -- case 3: a folder that is not ours ------------------------------------------------------
def test_a_non_empty_folder_that_is_not_a_store_is_refused(tmp_path, capsys):
    out = tmp_path / "D"
    (out / "parts").mkdir(parents=True)
    (out / "parts" / "important.txt").write_text("x")
    (out / "summary.json").write_text("{}")
    assert run_cli("--out", str(out)) == 2
    assert "--force" in one_error_line(capsys)
    assert (out / "parts" / "important.txt").read_text() == "x" and (out / "summary.json").read_text() == "{}"


def test_force_replaces_a_folder_that_is_not_a_store(tmp_path):
    out = tmp_path / "D"
    out.mkdir()
    (out / "stale.parquet").write_bytes(b"old")
    assert run_cli("--out", str(out), "--force") == 0
    assert not (out / "stale.parquet").exists()
    assert sim.load_results(out).summary["reps"] == 2


def test_a_rerun_leaves_no_table_of_the_earlier_run_beside_the_new_ones(tmp_path):
    out = tmp_path / "D"
    fab = [
        "run",
        "fab_5nm_race",
        "--reps",
        "1",
        "--years",
        "0.05",
        "--quiet",
        "--no-plots",
        "--out",
        str(out),
    ]
    assert main(fab) == 0
    fab_files = {p.name for p in out.iterdir()}
    assert run_cli("--out", str(out)) == 0
    listed = set(json.loads((out / "manifest.json").read_text())["outputs"])
    assert {p.name for p in out.iterdir() if p.is_file()} == listed | {"manifest.json"}
    assert fab_files - listed - {"manifest.json", "parts"}, "the fab run had tables of its own"


def test_an_empty_folder_is_used_in_place(tmp_path):
    assert run_cli("--out", str(tmp_path)) == 0
    assert (tmp_path / "manifest.json").is_file()


# -- case 4: a failed rerun --------------------------------------------------------------
def test_a_rerun_refused_by_validation_leaves_the_old_results(finished, capsys):
    out, before = finished
    assert run_cli("--out", str(out), "--set", "world.hazard_median=inf") == 2
    one_error_line(capsys)
    assert snapshot(out) == before


def failing_after(n_batches: int, exc: BaseException):
    """A replacement for the runner's batch function that fails after ``n_batches``."""
    real, calls = runner._run_batch, []

    def batch(job):
        calls.append(job.lo)
        if len(calls) > n_batches:
            raise exc
        return real(job)

    return batch


def test_a_rerun_that_crashes_mid_run_leaves_the_old_results(finished, monkeypatch):
    out, before = finished
    monkeypatch.setattr(runner, "_run_batch", failing_after(1, RuntimeError("a bug in a model")))
    with pytest.raises(RuntimeError, match="a bug in a model"):
        run_cli("--seed", "2", "--reps", "4", "--out", str(out))
    assert snapshot(out) == before
    assert sim.load_results(out).summary["seed"] == 1


def test_an_interrupted_rerun_exits_130_and_leaves_the_old_results(finished, monkeypatch, capsys):
    out, before = finished
    monkeypatch.setattr(runner, "_run_batch", failing_after(1, KeyboardInterrupt()))
    assert run_cli("--seed", "2", "--reps", "4", "--out", str(out)) == 130
    assert f"--resume {out}" in capsys.readouterr().err
    assert snapshot(out) == before


def test_resuming_an_interrupted_rerun_puts_its_results_in_place(finished, monkeypatch, tmp_path):
    out, _ = finished
    argv = ("--seed", "2", "--reps", "4")
    with monkeypatch.context() as m:
        m.setattr(runner, "_run_batch", failing_after(1, KeyboardInterrupt()))
        assert run_cli(*argv, "--out", str(out)) == 130
    assert output_folder.partial_path(out).is_dir()
    assert run_cli(*argv, "--resume", str(out)) == 0
    assert not output_folder.partial_path(out).exists()
    assert run_cli(*argv, "--out", str(tmp_path / "clean")) == 0
    a, b = sim.load_results(out), sim.load_results(tmp_path / "clean")
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


def test_a_swap_cut_between_its_two_renames_is_completed_on_the_next_open(finished, tmp_path):
    out, _ = finished
    assert run_cli("--seed", "2", "--out", str(tmp_path / "new")) == 0
    # the state after the first rename of a swap: old results aside, new ones finished
    os.rename(out, out.parent / f".{out.name}.old")
    os.rename(tmp_path / "new", output_folder.partial_path(out))
    with output_folder.locked(out):
        pass
    assert sim.load_results(out).summary["seed"] == 2
    assert not (out.parent / f".{out.name}.old").exists()


# -- case 12: unusable --out paths, checked before computing -----------------------------
@pytest.fixture
def a_file(tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    return f


@pytest.mark.parametrize(
    "where, needle",
    [
        ("afile", "is a file"),
        ("afile/sub", "is a file"),
        (".", "current folder"),
        ("/proc/rdgap-x", "cannot"),
    ],
)
def test_an_unusable_out_path_is_one_error_line(where, needle, a_file, tmp_path, monkeypatch, capsys):
    if where.startswith("/proc") and not Path("/proc/self").exists():
        pytest.skip("no /proc here")
    monkeypatch.chdir(tmp_path)
    assert run_cli("--out", where) == 2
    assert needle in one_error_line(capsys)


def test_compare_checks_out_before_computing(a_file, monkeypatch, capsys):
    def must_not_run(*a, **k):
        raise AssertionError("compare computed before checking --out")

    monkeypatch.setattr(runner, "run", must_not_run)
    argv = ["compare", "chatgpt_race", "chatgpt_race@teams.leader.diagnosis=0.4", *TINY, "--out", str(a_file)]
    assert main(argv) == 2
    assert "is a file" in one_error_line(capsys)


def test_compare_refuses_a_folder_that_is_not_ours_before_computing(tmp_path, monkeypatch, capsys):
    (tmp_path / "mine.txt").write_text("keep")
    monkeypatch.setattr(runner, "run", lambda *a, **k: pytest.fail("computed before checking --out"))
    argv = [
        "compare",
        "chatgpt_race",
        "chatgpt_race@teams.leader.diagnosis=0.4",
        *TINY,
        "--out",
        str(tmp_path),
    ]
    assert main(argv) == 2
    assert "--force" in one_error_line(capsys)
    assert (tmp_path / "mine.txt").read_text() == "keep"


def test_a_compare_folder_is_recognised_and_replaced_by_a_rerun(tmp_path):
    argv = [
        "compare",
        "chatgpt_race",
        "chatgpt_race@teams.leader.diagnosis=0.4",
        *TINY,
        "--out",
        str(tmp_path / "C"),
    ]
    assert main(argv) == 0
    assert main(argv) == 0
    assert json.loads((tmp_path / "C" / "manifest.json").read_text())["kind"] == "compare"


def test_a_variant_label_with_dollars_draws_its_figure(tmp_path):
    argv = ["compare", "chatgpt_race", 'chatgpt_race@description="$x$ and $"', "--reps", "1", "--years", "1"]
    assert main([*argv, "--quiet", "--out", str(tmp_path / "C")]) == 0
    assert (tmp_path / "C" / "compare_gap.png").is_file()
