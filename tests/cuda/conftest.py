"""Run the CUDA-simulator tests in a subprocess, and skip real-GPU tests where no GPU is usable.

numba-cuda's simulator must be switched on (``NUMBA_ENABLE_CUDASIM=1``) before
``numba.cuda`` is first imported, and it replaces the real CUDA target for the whole
process.  So a test module marked ``pytest.mark.cudasim`` is never run in the
pytest process itself: when its first selected test is reached, the selected tests
of that module run in one child ``python -m pytest`` with the simulator switched
on, and every test here reports the outcome its twin had there (failures with the
child's traceback).  The rest of the suite never sees the simulator.  To run such a
module directly (faster to iterate), set the variable yourself:
``NUMBA_ENABLE_CUDASIM=1 python -m pytest tests/cuda/test_sim_twins.py``.

Tests marked ``pytest.mark.gpu`` need a real GPU and are skipped, with the reason
the device check gives, anywhere else (the simulator included).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

IN_SIMULATOR = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
HAVE_NUMBA_CUDA = importlib.util.find_spec("numba_cuda") is not None
#: limit for one module's simulator run (the whole simulator suite takes about a minute)
CHILD_TIMEOUT_S = 600

_outcomes: dict[str, dict[str, tuple[str, str]]] = {}


def _selected_by_module(items) -> dict[str, list]:
    groups: dict[str, list] = {}
    for item in items:
        if item.get_closest_marker("cudasim") is not None:
            groups.setdefault(str(item.path), []).append(item)
    return groups


def pytest_collection_modifyitems(config, items):
    if IN_SIMULATOR:
        return
    config._cudasim_groups = _selected_by_module(items)


def _run_child(config, path: str) -> dict[str, tuple[str, str]]:
    """Run the selected simulator tests of module ``path`` in a child pytest; outcome by test name."""
    items = config._cudasim_groups[path]
    root = Path(str(config.rootpath))
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.xml"
        env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
        env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
                "-o", "junit_family=xunit2", *[item.nodeid for item in items]]
        try:
            done = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return {item.name: ("failed", f"simulator run timed out after {CHILD_TIMEOUT_S} s") for item in items}
        if not report.exists():
            return {item.name: ("failed", f"simulator run failed to start:\n{done.stdout}\n{done.stderr}")
                    for item in items}
        outcomes = {}
        for case in ET.parse(report).getroot().iter("testcase"):
            outcome, text = "passed", ""
            for tag in ("failure", "error", "skipped"):
                node = case.find(tag)
                if node is not None:
                    outcome = "skipped" if tag == "skipped" else "failed"
                    text = node.get("message", "") if tag == "skipped" else f"{node.get('message', '')}\n{node.text or ''}"
                    break
            outcomes[case.get("name")] = (outcome, text)
        return outcomes


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Replace the body of a simulator test by the outcome of its twin in the child run."""
    if IN_SIMULATOR or pyfuncitem.get_closest_marker("cudasim") is None:
        return None
    if not HAVE_NUMBA_CUDA:
        pytest.skip("numba-cuda is not installed (pip install 'ebmphys[test]' or 'ebmphys[cuda]')")
    path = str(pyfuncitem.path)
    if path not in _outcomes:
        _outcomes[path] = _run_child(pyfuncitem.config, path)
    outcome, text = _outcomes[path].get(pyfuncitem.name, ("failed", "the simulator run did not report this test"))
    if outcome == "skipped":
        pytest.skip(text)
    if outcome == "failed":
        pytest.fail(f"under the CUDA simulator:\n{text}", pytrace=False)
    return True


#: set by test_ptx.py in a simulator child: write every kernel launch's argument types there (JSON)
RECORD_ENV = "EBMPHYS_RECORD_KERNEL_LAUNCHES"


def _describe(arg):
    """A JSON-able description of a kernel argument's Numba type (arrays by dtype, rank and layout)."""
    import numpy as np

    ary = getattr(arg, "_ary", arg)
    if isinstance(ary, np.ndarray):
        return ["array", ary.dtype.str, ary.ndim, "C" if ary.flags.c_contiguous else "A"]
    if isinstance(arg, (bool, np.bool_)):
        return ["boolean"]
    if isinstance(arg, (int, np.integer)):
        return ["int64"]
    if isinstance(arg, (float, np.floating)):
        return ["float64"]
    raise TypeError(f"unexpected kernel argument {arg!r}")


@pytest.fixture(scope="session", autouse=True)
def _record_kernel_launches():
    """In a simulator child asked to (RECORD_ENV), record (module, kernel, argument types) of every launch."""
    path = os.environ.get(RECORD_ENV)
    if not (IN_SIMULATOR and path):
        yield
        return
    import json

    from numba.cuda.simulator.kernel import FakeCUDAKernel

    seen = set()
    original = FakeCUDAKernel.__call__

    def recording(self, *args):
        if not self._device:
            seen.add(json.dumps([self.fn.__module__, self.fn.__name__, [_describe(a) for a in args]]))
        return original(self, *args)

    FakeCUDAKernel.__call__ = recording
    try:
        yield
    finally:
        FakeCUDAKernel.__call__ = original
        Path(path).write_text(json.dumps(sorted(json.loads(x) for x in seen)))


def pytest_runtest_setup(item):
    if item.get_closest_marker("gpu") is None:
        return
    if IN_SIMULATOR:
        pytest.skip("needs a real GPU (this is the CUDA simulator)")
    from ebmphys.exceptions import DeviceError
    from ebmphys.sampling.registry import check_device

    try:
        check_device("cuda")
    except DeviceError as exc:
        pytest.skip(f"needs a real GPU: {exc}")
