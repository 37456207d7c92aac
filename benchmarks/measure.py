"""Measurement helpers shared by the benchmark scripts (not part of the package).

Process-tree memory from /proc, the machine's busy CPU time (to tell when
other processes disturbed a timing), and running a child Python script with
this folder importable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def tree_rss_kib(root: int) -> int:
    """Resident memory (KiB) of ``root`` and all its descendants, from /proc."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    parent[int(d)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    tree, grew = {root}, True
    while grew:
        new = {p for p, pp in parent.items() if pp in tree and p not in tree}
        tree |= new
        grew = bool(new)
    total = 0
    for p in tree:
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


class PeakRss:
    """Samples this process tree's RSS every ``interval`` s while the block runs;
    ``peak_kib`` is the largest sample (None where /proc is missing)."""

    def __init__(self, interval: float = 0.1):
        self.interval, self.peak_kib = interval, None
        self._done = threading.Event()
        self._thread = None

    def _sample(self):
        me = os.getpid()
        while not self._done.is_set():
            self.peak_kib = max(self.peak_kib or 0, tree_rss_kib(me))
            self._done.wait(self.interval)

    def __enter__(self):
        if os.path.isdir("/proc/self"):
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        return False


def busy_cpu_s() -> float | None:
    """CPU seconds the whole machine has been busy (all cores, incl. steal), from /proc/stat."""
    try:
        with open("/proc/stat") as fh:
            f = [int(x) for x in fh.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = f
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def run_child(code: str, *args: str) -> dict:
    """Run ``code`` in a fresh Python with ``args``; its last stdout line is a JSON
    object, returned with ``own_cpu_s``, ``subprocess_wall_s`` and
    ``other_cores`` (how many cores other processes used meanwhile)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [HERE, os.environ.get("PYTHONPATH")])))
    b0, t0, w0 = busy_cpu_s(), os.times(), time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False, env=env
    )
    b1, t1, w1 = busy_cpu_s(), os.times(), time.perf_counter()
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"benchmark subprocess failed: {' '.join(args)}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    ours = (t1.children_user - t0.children_user) + (t1.children_system - t0.children_system)
    res["own_cpu_s"] = ours
    res["subprocess_wall_s"] = w1 - w0
    res["other_cpu_s"] = max(0.0, b1 - b0 - ours) if b0 is not None else None
    res["other_cores"] = round(res["other_cpu_s"] / (w1 - w0), 2) if b0 is not None else None
    return res
