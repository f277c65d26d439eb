"""``benchmarks/gpu.py --smoke`` runs end to end (tiny sizes, CUDA simulator): no GPU time on a broken script."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cuda.conftest import HAVE_NUMBA_CUDA

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not HAVE_NUMBA_CUDA, reason="needs numba-cuda (the simulator comes with it)")
def test_gpu_benchmark_smoke_run_under_the_simulator(tmp_path):
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    before = (ROOT / "BENCHMARKS.md").read_bytes()
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu.py"), "--smoke"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "these are not GPU figures" in done.stdout
    table = [line for line in done.stdout.splitlines() if line.startswith("| ") and "case" not in line]
    assert len(table) == 2 * 8  # 8 rows while measuring, the same 8 in the final table
    assert (ROOT / "BENCHMARKS.md").read_bytes() == before  # a smoke run writes nothing


def test_gpu_benchmark_refuses_the_simulator_without_smoke(tmp_path):
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu.py"), "--no-write"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert "refuses to run under the CUDA simulator" in done.stderr or "needs a GPU" in done.stderr
