"""Every CUDA kernel compiles for a real GPU, and its PTX has no fused multiply-add on floats.

The simulator runs the kernels' Python source, so it cannot see what the GPU
compiler does.  Here each kernel is compiled to PTX with the argument types of
every launch the simulator twin tests make (recorded in a simulator child
process) for compute capability 9.0, which

* type-checks and lowers the kernels with numba-cuda's real CUDA target (what a
  GPU would compile), and
* checks the bit-identity precondition that no ``fma`` instruction on floats is
  emitted, nor an add whose operand comes from a multiply without a rounding
  modifier (which ptxas may still fuse): NVVM contracts ``a * b + c`` by default,
  which would round differently from the CPU (see :mod:`ebmphys.kernels.detmath`).

Needs numba-cuda and the CUDA toolkit's NVVM and NVRTC libraries, not a GPU: both
the ``test`` and the ``cuda`` extras install them (``numba-cuda[cu12]``), so CI runs
it; skipped with the reason where they are missing.
"""

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.cuda.conftest import HAVE_NUMBA_CUDA, IN_SIMULATOR, RECORD_ENV

KERNEL_MODULES = ("ais_cuda", "cluster_cuda", "common_cuda", "exchange_cuda", "graph_cuda", "lattice_cuda", "rbm_cuda")
CC = (9, 0)
FLOAT_FMA = re.compile(r"\bfma\.[a-z.]*f(16|32|64)\b")
#: a float multiply without a rounding modifier: ptxas may fuse it with an add that uses its result
BARE_MUL = re.compile(r"^\s*mul\.f(32|64)\s+(%\w+)")
FLOAT_ADD = re.compile(r"^\s*(add|sub)(\.[a-z]+)*\.f(32|64)\s+%\w+,\s*(.*);")


def contractible(ptx: str) -> list[str]:
    """Float fma instructions, and adds or subtracts that use the result of a bare (fusable) multiply."""
    lines = ptx.splitlines()
    found = [line.strip() for line in lines if FLOAT_FMA.search(line)]
    products = {m.group(2) for m in map(BARE_MUL.match, lines) if m}
    for line in lines:
        m = FLOAT_ADD.match(line)
        if m and any(operand.strip() in products for operand in m.group(4).split(",")):
            found.append(line.strip())
    return found


@pytest.fixture(scope="module")
def compile_ptx():
    """compile_ptx(py_func, signature) for compute capability 9.0, or skip when NVVM/NVRTC are missing."""
    if IN_SIMULATOR or not HAVE_NUMBA_CUDA:
        pytest.skip("needs numba-cuda's real CUDA target (not the simulator)")
    from numba import cuda, types
    from numba.cuda import dispatcher
    from numba.cuda.cudadrv.driver import driver

    patch = pytest.MonkeyPatch()
    try:
        usable = driver.is_available
    except Exception:  # noqa: BLE001 (no driver: compile for CC without one)
        usable = False
    if not usable:
        class _Device:  # device functions ask the current device for its compute capability
            compute_capability = CC

        patch.setattr(dispatcher, "get_current_device", lambda: _Device())

    def probe(x):
        x[0] = 1.0

    try:
        cuda.compile_ptx(probe, (types.float64[::1],), cc=CC)
    except Exception as exc:  # noqa: BLE001 (missing NVVM, NVRTC or libdevice show in many ways)
        patch.undo()
        pytest.skip(f"cannot compile PTX here (CUDA toolkit libraries missing?): {' '.join(str(exc).split())[:300]}")
    yield lambda func, sig: cuda.compile_ptx(func, sig, cc=CC)[0]
    patch.undo()


@pytest.fixture(scope="module")
def launches(tmp_path_factory):
    """(module, kernel, argument descriptions) of every launch of the simulator twin tests."""
    path = tmp_path_factory.mktemp("launches") / "launches.json"
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1", **{RECORD_ENV: str(path)})
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/cuda/test_sim_twins.py"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(path.read_text())


def _numba_type(description):
    from numba import types
    from numba.np.numpy_support import from_dtype

    kind = description[0]
    if kind == "array":
        return types.Array(from_dtype(np.dtype(description[1])), description[2], description[3])
    return {"int64": types.int64, "float64": types.float64, "boolean": types.boolean}[kind]


def _kernels():
    """Every kernel (not device function) defined in the CUDA kernel modules: {(module, name): dispatcher}."""
    found = {}
    for name in KERNEL_MODULES:
        module = importlib.import_module(f"ebmphys.kernels.{name}")
        for attr, value in vars(module).items():
            cuda_dispatcher = type(value).__module__.startswith("numba.cuda") and hasattr(value, "py_func")
            if cuda_dispatcher and value.__module__ == module.__name__ and not value.targetoptions.get("device"):
                found[(module.__name__, attr)] = value
    return found


def test_every_kernel_compiles_without_float_fma(compile_ptx, launches):
    kernels = _kernels()
    launched = {(module, name) for module, name, _ in launches}
    assert set(kernels) <= launched, f"kernels never launched by the twin tests: {sorted(set(kernels) - launched)}"
    problems = []
    for module, name, args in launches:
        ptx = compile_ptx(kernels[(module, name)].py_func, tuple(_numba_type(a) for a in args))
        fused = contractible(ptx)
        if fused:
            problems.append(f"{module}.{name}{tuple(args)}: {fused[:3]}")
    assert not problems, "fused or fusable multiply-adds in the PTX:\n" + "\n".join(problems)


def test_mul_is_not_contracted_on_the_gpu(compile_ptx):
    """The probe behind the check above: a plain a * b + c is contracted by NVVM, detmath.mul is not."""
    from numba import types

    from ebmphys.kernels.detmath import mul

    def plain(x):
        x[0] = x[1] * x[2] + x[3]

    def guarded(x):
        x[0] = mul(x[1], x[2]) + x[3]

    sig = (types.float64[::1],)
    assert contractible(compile_ptx(plain, sig))
    ptx = compile_ptx(guarded, sig)
    assert not contractible(ptx) and "mul.rn.f64" in ptx
    assert contractible("\tmul.f64 \t%fd3, %fd1, %fd2;\n\tadd.f64 \t%fd4, %fd3, %fd5;")  # what ptxas may fuse
