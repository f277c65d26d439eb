"""The one device check: which of package, driver and device is missing, the auto fallback, a lazy probe."""

import importlib.util
import subprocess
import sys
import warnings

import pytest

from ebmphys.exceptions import DeviceError
from ebmphys.sampling import registry
from ebmphys.sampling.registry import CudaStatus, DeviceChoice, check_device

HAVE_NUMBA_CUDA = importlib.util.find_spec("numba_cuda") is not None
needs_numba_cuda = pytest.mark.skipif(not HAVE_NUMBA_CUDA, reason="numba-cuda is not installed")


@pytest.fixture
def fresh(monkeypatch):
    """Forget the cached probe answer and the auto announcement for the duration of a test."""
    monkeypatch.setattr(registry, "_cuda_status", None)
    monkeypatch.setattr(registry, "_auto_announced", False)
    return monkeypatch


@pytest.mark.parametrize("missing, what, fix", [
    ("package", "the numba-cuda package is missing or incomplete", "pip install 'ebmphys[cuda]'"),
    ("driver", "no CUDA driver was found", "install the NVIDIA driver"),
    ("device", "no GPU is visible", "CUDA_VISIBLE_DEVICES"),
])
def test_cuda_without_a_usable_gpu_says_what_is_missing_and_how_to_fix_it(fresh, missing, what, fix):
    fresh.setattr(registry, "_probe_cuda", lambda: CudaStatus(missing, "what the probe saw"))
    with pytest.raises(DeviceError) as info:
        check_device("cuda")
    message = str(info.value)
    assert message.startswith("device='cuda' is not available: ")
    assert what in message and fix in message and "(what the probe saw)" in message
    assert "device='cpu'" in message and "\n" not in message


def test_package_probe(fresh):
    real = importlib.util.find_spec
    fresh.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "numba_cuda" else real(name, *a))
    assert registry._probe_cuda() == CudaStatus("package", "the numba-cuda package is not installed")


@needs_numba_cuda
def test_driver_probe(fresh):
    from numba.cuda.cudadrv import driver

    fresh.setattr(driver.Driver, "is_available", property(lambda self: False))
    fresh.setattr(driver.driver, "initialization_error", "CUDA driver library cannot be found.\nEnsure ...")
    status = registry._probe_cuda()
    assert status.missing == "driver" and "\n" not in status.detail


@needs_numba_cuda
@pytest.mark.parametrize("how", ["no devices listed", "cuInit reports no device"])
def test_device_probe(fresh, how):
    from numba import cuda
    from numba.cuda.cudadrv import driver

    if how == "no devices listed":
        fresh.setattr(driver.Driver, "is_available", property(lambda self: True))
        fresh.setattr(cuda, "list_devices", lambda: [])
    else:
        fresh.setattr(driver.Driver, "is_available", property(lambda self: False))
        fresh.setattr(driver.driver, "initialization_error", "[100] Call to cuInit results in CUDA_ERROR_NO_DEVICE")
    assert registry._probe_cuda().missing == "device"


def test_the_probe_runs_once_and_never_for_the_cpu(fresh):
    calls = []

    def probe():
        calls.append(1)
        return CudaStatus("driver", "none")

    fresh.setattr(registry, "_probe_cuda", probe)
    assert check_device("cpu") == "cpu" and not calls
    for _ in range(3):
        with pytest.raises(DeviceError):
            check_device("cuda")
    assert len(calls) == 1


def test_auto_falls_back_to_the_cpu_and_says_so_once(fresh):
    fresh.setattr(registry, "_probe_cuda", lambda: CudaStatus("device", "no GPU"))
    with pytest.warns(DeviceChoice, match=r"device='auto' runs on the CPU, since .*no GPU is visible \(no GPU\)"):
        assert check_device("auto") == "cpu"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_device("auto") == "cpu"


def test_auto_picks_a_usable_gpu(fresh):
    fresh.setattr(registry, "_probe_cuda", lambda: CudaStatus(None, "NVIDIA H100 80GB HBM3"))
    with pytest.warns(DeviceChoice, match="device='auto' runs on the GPU NVIDIA H100 80GB HBM3"):
        assert check_device("auto") == "cuda"
    assert check_device("cuda") == "cuda"


def test_unknown_device():
    with pytest.raises(DeviceError, match="device must be one of 'cpu', 'cuda', 'auto', got 'gpu'"):
        check_device("gpu")


def test_importing_ebmphys_and_running_on_the_cpu_never_imports_numba_cuda():
    code = ("import sys, ebmphys; from ebmphys.sampling import registry; registry._load_backends(); "
            "ebmphys.sample(ebmphys.LatticeIsing((4, 4)), beta=0.4, n_sweeps=2, seed=1); "
            "assert 'numba.cuda' not in sys.modules and 'numba_cuda' not in sys.modules, sorted(sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_auto_runs_an_algorithm_without_gpu_kernels_on_the_cpu(fresh):
    import ebmphys
    from ebmphys.sampling import Chains

    fresh.setattr(registry, "_probe_cuda", lambda: CudaStatus(None, "a pretend GPU"))
    with pytest.warns(DeviceChoice, match="algorithm 'wolff' has no CUDA kernel for a LatticeIsing; it runs on the CPU"):
        chains = Chains(ebmphys.LatticeIsing((4, 4)), algorithm="wolff", beta=0.4, device="auto")
    assert chains.device == "cpu"
    with pytest.raises(ValueError, match="for a LatticeIsing on device 'cuda'"):
        Chains(ebmphys.LatticeIsing((4, 4)), algorithm="wolff", beta=0.4, device="cuda")


def test_wang_landau_refuses_cuda_and_runs_auto_on_the_cpu(fresh):
    import ebmphys
    from ebmphys.partition import wang_landau

    fresh.setattr(registry, "_probe_cuda", lambda: CudaStatus(None, "a pretend GPU"))
    with pytest.raises(DeviceError, match="wang_landau has no CUDA kernel; use device='cpu'"):
        wang_landau(ebmphys.LatticeIsing((4, 4)), device="cuda")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeviceChoice)
        result = wang_landau(ebmphys.LatticeIsing((2, 2)), n_chains=2, log_f_final=1e-2, seed=0, device="auto")
    assert result.n_chains == 2
