"""Issue 11, case 10: killing the main process leaves no worker behind, and the store it
was writing resumes to the tables of an uninterrupted run."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.executors import PARENT_POLL_SECONDS

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")

RUN = ["run", "chatgpt_race", "--reps", "24", "--years", "4", "--seed", "5", "--workers", "2", "--quiet"]


def state_and_parent(pid: int) -> tuple[str, int] | None:
    """(state letter, parent pid) of a process, None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the command name may hold spaces
    return fields[0], int(fields[1])


def children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            info = state_and_parent(int(d.name))
            if info and info[1] == pid and info[0] != "Z":
                out.append(int(d.name))
    return out


def alive(pid: int) -> bool:
    info = state_and_parent(pid)
    return info is not None and info[0] != "Z"  # a zombie has exited; only its parent may reap it


def parts(out: Path) -> dict:
    try:
        return json.loads((out / "manifest.json").read_text())["parts"]
    except (OSError, ValueError):
        return {}


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    """A run killed with SIGKILL once its two workers are busy and a part is stored."""
    out = tmp_path_factory.mktemp("kill") / "K"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", *RUN, "--no-plots", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    t0, workers = time.time(), []
    while time.time() - t0 < 120 and proc.poll() is None:
        workers = children(proc.pid)
        if len(workers) >= 2 and parts(out):
            break
        time.sleep(0.05)
    assert proc.poll() is None and len(workers) >= 2, "the run ended before its workers were seen"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    t_killed = time.time()
    while any(alive(w) for w in workers) and time.time() - t_killed < 30:
        time.sleep(0.05)
    return out, workers, time.time() - t_killed


def test_killing_the_main_process_leaves_no_worker_behind(killed):
    _, workers, _ = killed
    assert [w for w in workers if alive(w)] == []


def test_workers_exit_within_a_few_polls_of_their_parents_death(killed):
    _, _, waited = killed
    assert waited < 20 * PARENT_POLL_SECONDS + 2  # generous: the machine is shared


@pytest.mark.slow
def test_the_killed_runs_store_resumes_to_an_uninterrupted_runs_tables(killed, tmp_path):
    from sim.cli import main

    out, _, _ = killed
    assert 1 <= len(parts(out)) < 24
    assert main([*RUN, "--no-plots", "--resume", str(out)]) == 0
    assert main([*RUN, "--no-plots", "--out", str(tmp_path / "clean")]) == 0
    a, b = sim.load_results(out), sim.load_results(tmp_path / "clean")
    for name in ("events", "trajectories", "gap", "staircase", "metrics"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
