#!/usr/bin/env bash
# The GPU checks of a session that is lent a GPU machine, as one prepared command (device time is short).
#
#   bash benchmarks/gpu_session.sh [tests|bench|all]        (default: all; run from anywhere)
#
# Runs on the GPU machine from this working tree with the packages its image already holds (numba,
# numba-cuda, h5py, scipy, scikit-learn, matplotlib, pytest): nothing is installed, ebmphys is put on
# PYTHONPATH.  Stages:
#   tests  the tests marked `gpu` (tests/cuda/test_gpu.py: the CPU twins' bits at realistic sizes, the
#          exact distributions of enumerable systems, AIS against exact log Z), after a smoke run of
#          benchmarks/gpu.py that checks the benchmark works before time is spent on it;
#   bench  benchmarks/gpu.py, which rewrites the "GPU kernels" section of BENCHMARKS.md.
# Logs and the updated BENCHMARKS.md are copied to $OUT when it is set (the device tool brings them back).
# Each stage has its own time limit so that the two fit in one 10-minute command, or run them as two.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
out="${OUT:-${TMPDIR:-/tmp}/ebmphys-gpu}"
mkdir -p "$out"
stage="${1:-all}"
python=python3
status=0
"$python" -c "import numba, numba_cuda, h5py, scipy, sklearn, matplotlib; \
print('python', __import__('sys').version.split()[0], 'numba', numba.__version__, 'numba-cuda', numba_cuda.__version__)" \
    || exit 2
nvidia-smi -L || true
if [[ "$stage" == tests || "$stage" == all ]]; then
    timeout 120 "$python" benchmarks/gpu.py --smoke 2>&1 | tee "$out/gpu_smoke.log" || status=1
    timeout 240 "$python" -m pytest -q -p no:cacheprovider -n 0 -m gpu -rs tests/cuda 2>&1 | tee "$out/gpu_tests.log" \
        || status=1
fi
if [[ "$stage" == bench || "$stage" == all ]]; then
    timeout 420 "$python" benchmarks/gpu.py 2>&1 | tee "$out/gpu_benchmark.log" || status=1
    cp BENCHMARKS.md "$out/BENCHMARKS.md"
fi
exit "$status"
