"""The LLM tables do not depend on which BLAS kernel the CPU gets.

OpenBLAS (numpy's BLAS) picks its ``ddot`` kernel by CPU, and the kernels add in
different orders: before the model's dot products became pairwise sums
(``sim.kernels.pairwise_dot``), forcing the Prescott kernel on this Haswell-class
machine changed ``frontier_2023``'s trajectories. ``OPENBLAS_CORETYPE`` forces
a kernel the CPU can run (Prescott and Nehalem run on any x86-64), so two
processes stand for two machines.
"""

import os
import platform
import subprocess
import sys

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="OpenBLAS x86 kernels"),
]

CHILD = """
import hashlib, sys
import pandas as pd
from sim import RunOptions
from sim.runner import run
res = run(sys.argv[1], reps=2, years=2.0, seed=7, options=RunOptions(workers=1, progress=False))
h = hashlib.blake2b()
for name in ("events", "trajectories", "gap"):
    h.update(pd.util.hash_pandas_object(getattr(res, name), index=False).values.tobytes())
print(h.hexdigest())
"""


def digest(scenario: str, coretype: str | None) -> str:
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    out = subprocess.run(
        [sys.executable, "-c", CHILD, scenario], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("scenario", ["frontier_2023", "chatgpt_race"])
def test_tables_are_the_same_under_another_blas_kernel(scenario):
    assert digest(scenario, None) == digest(scenario, "Prescott")
