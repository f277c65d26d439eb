"""The one registry of kernels, keyed by (model kind, algorithm, device), and the one device check.

Every place where chains run (:class:`ebmphys.Chains` and through it ``sample``,
parallel tempering, AIS, thermodynamic integration, RBM sampling and training,
the study runner) finds its kernels here, so a new model, algorithm or device is
one :func:`register` call, and a request that cannot be served gets one message.

Model kinds are the ``kind`` class attribute of the model classes
(``"lattice-ising"``, ``"graph-ising"``, ``"rbm"``, ...).

A registered factory is called as ``factory(model, betas, k0, k1, chain0, **options)``
with ``betas`` float64 (n_rows,) (one inverse temperature per kernel row: per
chain, or per chain and ladder rung for parallel tempering), the Philox key
``(k0, k1)`` and the chain index of the first row, ``chain0`` (row m uses chain
index ``chain0 + m`` in every counter, so a batch split across workers or devices
keeps its bits).  ``options`` are algorithm-specific keyword arguments
(step sizes, ...), which the factory validates.  It returns a *backend*:

``observables`` : tuple of str
    Names ``run`` and ``observe`` can record (e.g. ``("energy", "magnetization")``;
    parallel tempering needs ``"energy"``, the total energy E with weights exp(-beta E)).
``n_sites`` : int
    Length of one configuration in the user layout.
``initial_states(n_rows) -> ndarray``
    Default starting configurations in the user layout (n_rows, n_sites).
``check_states(states, name) -> ndarray``
    Validate user configurations; return them as (batch, n_sites).
``to_kernel(states)`` / ``from_kernel(kstate) -> ndarray``
    User configurations (n_rows, n_sites) <-> the kernel's layout (padding, hidden
    layers, device arrays, ...).  ``from_kernel`` returns a copy.
``state_rows(kstate) -> ndarray`` (optional)
    The kernel layout itself when its rows begin with the user configurations
    (n_rows, >= n_sites), so they can be read without a copy (``Chains.state_rows``).
``run(kstate, sweep0, n_sweeps, record_every, out, column0, tune)``
    Advance every row by the sweeps numbered ``sweep0 .. sweep0 + n_sweeps - 1`` in
    place; after every ``record_every``-th (0: never) write each observable of the
    dict ``out`` (name -> float64 (n_rows, n_columns); empty: record nothing, else it
    holds every name of ``observables``) at column ``column0 + k``.  ``tune`` is
    True during burn-in: a backend with adaptive settings (step sizes) may adapt
    them then; others ignore it.
``observe(kstate, out, column)``
    Write the current observables of every row into ``out[name][:, column]``.
``updates_per_sweep(n_rows) -> int``
    Work of one sweep of ``n_rows`` rows (kernels run on one thread below
    ``backends.PARALLEL_MIN_UPDATES``).
``swap(kstate, rows_a, rows_b)``
    Exchange the configurations of two sets of rows (replica exchange on the host,
    :class:`ebmphys.sampling.exchange.ReplicaExchange`).  A backend whose state
    lives on a GPU has instead ``replica_exchange``, the ``ReplicaExchange``
    subclass that runs whole exchange rounds on the device (and
    ``exchange_energies(kstate, energy)`` for it).
``set_betas(betas)``
    Change the per-row inverse temperatures (annealing, ladder changes).
``flipped`` : int64 (n_rows,) or None
    Spins flipped so far (Wolff only).

``set_params(theta)`` (continuous models only)
    Run with the parameter vector ``theta`` from now on (training moves the
    parameters between runs; the backend owns a copy of them).

and, where the model has an annealing path, ``anneal(kstate, betas, step0, log_w,
energy_sum, **path)`` (see :meth:`ebmphys.sampling.Chains.anneal`).
"""

from __future__ import annotations

import importlib
import importlib.util
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from ebmphys.exceptions import DeviceError

#: values accepted wherever an argument ``device`` is taken
DEVICES = ("cpu", "cuda", "auto")

_REGISTRY: dict[tuple[str, str, str], Callable] = {}


@dataclass(frozen=True)
class CudaStatus:
    """What the CUDA probe found.

    Attributes
    ----------
    missing : {None, "package", "driver", "device"}
        None when a GPU is usable, else the first missing piece.
    detail : str
        The GPU's name when usable; otherwise what failed, in one line.
    simulator : bool
        True under numba-cuda's simulator (``NUMBA_ENABLE_CUDASIM=1``), which counts as a device.
    """

    missing: str | None
    detail: str
    simulator: bool = False


#: how to fix each missing piece, for the one error message of :func:`check_device`
_FIXES = {
    "package": "install the CUDA extra: pip install 'ebmphys[cuda]' (numba-cuda with the CUDA 12 toolkit libraries)",
    "driver": "install the NVIDIA driver (it provides libcuda) and check that nvidia-smi runs",
    "device": "check nvidia-smi and the CUDA_VISIBLE_DEVICES environment variable",
}
_WHAT = {
    "package": "the numba-cuda package is missing or incomplete",
    "driver": "numba-cuda is installed but no CUDA driver was found",
    "device": "numba-cuda and the CUDA driver are present but no GPU is visible",
}
_cuda_status: CudaStatus | None = None
_auto_announced = False


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _probe_cuda() -> CudaStatus:
    """Look for numba-cuda, a CUDA driver and a GPU, in that order (imports numba.cuda)."""
    if importlib.util.find_spec("numba_cuda") is None:
        return CudaStatus("package", "the numba-cuda package is not installed")
    try:
        from numba import cuda
        from numba.cuda.core import config
    except Exception as exc:  # noqa: BLE001 (an incomplete install fails in many ways)
        return CudaStatus("package", _one_line(f"numba.cuda failed to import: {exc}"))
    if config.ENABLE_CUDASIM:
        return CudaStatus(None, "numba-cuda simulator (NUMBA_ENABLE_CUDASIM=1)", simulator=True)
    from numba.cuda.cudadrv import nvvm
    from numba.cuda.cudadrv.driver import driver
    from numba.cuda.cudadrv.error import CudaSupportError

    try:
        error = None if driver.is_available else driver.initialization_error
    except CudaSupportError as exc:
        error = exc
    if error is not None:
        # cuInit fails with CUDA_ERROR_NO_DEVICE when the driver works but sees no GPU
        return CudaStatus("device" if "NO_DEVICE" in str(error) else "driver", _one_line(error))
    try:
        devices = cuda.list_devices()
    except CudaSupportError as exc:
        return CudaStatus("device", _one_line(exc))
    if len(devices) == 0:
        return CudaStatus("device", "the driver reports no CUDA device")
    if not nvvm.is_available():
        return CudaStatus("package", "numba-cuda cannot find libNVVM (the CUDA toolkit's compiler library)")
    name = devices[0].name
    return CudaStatus(None, name.decode() if isinstance(name, bytes) else str(name))


def cuda_status() -> CudaStatus:
    """The CUDA probe's answer, computed on first use and then cached for the process.

    Never called while ``ebmphys`` is imported (only when a device other than "cpu" is asked for).
    """
    global _cuda_status
    if _cuda_status is None:
        _cuda_status = _probe_cuda()
    return _cuda_status


def check_device(device) -> str:
    """Resolve ``device`` to the device that will run: ``"cpu"`` or ``"cuda"``.

    The single device check of the package: every function that takes ``device``
    calls it, so the message is the same everywhere.

    Parameters
    ----------
    device : {"cpu", "cuda", "auto"}
        ``"cuda"`` needs the numba-cuda package (``pip install 'ebmphys[cuda]'``), a
        CUDA driver and a GPU; under ``NUMBA_ENABLE_CUDASIM=1`` numba-cuda's simulator
        counts as the GPU (for tests: slow, and not a GPU).  ``"auto"`` picks a
        usable GPU, else the CPU, and says which once per process, as a
        :class:`DeviceChoice` warning naming the device (and, for the CPU, why no GPU).
        The probe runs on first use and its answer is cached (:func:`cuda_status`).

    Raises
    ------
    DeviceError
        For an unknown device, or ``"cuda"`` where no GPU kernels can run: one line
        saying which of package, driver and device is missing and how to fix it.
    """
    global _auto_announced
    if not isinstance(device, str) or device not in DEVICES:
        raise DeviceError(f"device must be one of {', '.join(map(repr, DEVICES))}, got {device!r}")
    if device == "cpu":
        return "cpu"
    status = cuda_status()
    if device == "cuda":
        if status.missing is not None:
            raise DeviceError(
                f"device='cuda' is not available: {_WHAT[status.missing]} ({status.detail}); "
                f"{_FIXES[status.missing]}; or use device='cpu' (device='auto' falls back to the CPU)"
            )
        return "cuda"
    chosen = "cpu" if status.missing is not None else "cuda"
    if not _auto_announced:
        _auto_announced = True
        reason = (f"the GPU {status.detail}" if chosen == "cuda"
                  else f"the CPU, since {_WHAT[status.missing]} ({status.detail})")
        warnings.warn(f"device='auto' runs on {reason}", DeviceChoice, stacklevel=2)
    return chosen


class DeviceChoice(UserWarning):
    """Issued once per process by :func:`check_device` to say which device ``device="auto"`` chose."""


def register(kind: str, algorithm: str, device: str, factory: Callable) -> None:
    """Register the backend ``factory`` serving ``algorithm`` on models of ``kind`` on ``device``."""
    _REGISTRY[(kind, algorithm, device)] = factory


def algorithms(kind: str, device: str = "cpu") -> tuple[str, ...]:
    """Algorithms registered for model kind ``kind`` on ``device``, sorted."""
    _load_backends()
    return tuple(sorted(a for (k, a, d) in _REGISTRY if k == kind and d == device))


def all_algorithms() -> tuple[str, ...]:
    """Every algorithm name known for any model kind and device, sorted."""
    _load_backends()
    return tuple(sorted({a for (_, a, _) in _REGISTRY}))


def model_kind(model) -> str:
    """The registry kind of ``model`` (its ``kind`` attribute); TypeError for anything else."""
    kind = getattr(type(model), "kind", None)
    if not isinstance(kind, str):
        raise TypeError(f"model must be an ebmphys model (LatticeIsing, GraphIsing, RBM, ...), got {type(model).__name__}")
    return kind


def lookup(model, algorithm, device: str) -> Callable:
    """The factory serving (kind of ``model``, ``algorithm``, ``device``).

    ``device`` must already be resolved by :func:`check_device`.

    Raises
    ------
    ValueError
        Naming the algorithm, the model and the algorithms available for it there.
    """
    kind = model_kind(model)
    _load_backends()
    factory = _REGISTRY.get((kind, algorithm, device)) if isinstance(algorithm, str) else None
    if factory is None:
        available = algorithms(kind, device)
        raise ValueError(
            f"algorithm must be one of {', '.join(map(repr, available))} for a {type(model).__name__} "
            f"on device {device!r}, got {algorithm!r}"
        )
    return factory


#: modules whose import registers backends (imported on first lookup: they import Numba kernels)
BACKEND_MODULES = ("ebmphys.sampling.backends", "ebmphys.sampling.potts", "ebmphys.sampling.continuous",
                   "ebmphys.sampling.cuda_backends")


_backends_loaded = False


def resolve(model, algorithm, device) -> tuple[str, Callable]:
    """The device that will run ``algorithm`` on ``model`` and the factory serving it there.

    ``device`` as for :func:`check_device`; with ``"auto"``, an algorithm that has no
    kernel on the chosen GPU runs on the CPU instead (a :class:`DeviceChoice`
    warning says so).  Errors as :func:`check_device` and :func:`lookup`.
    """
    resolved = check_device(device)
    if device == "auto" and resolved == "cuda":
        kind = model_kind(model)
        _load_backends()
        if (kind, algorithm, "cuda") not in _REGISTRY and (kind, algorithm, "cpu") in _REGISTRY:
            warnings.warn(f"device='auto': algorithm {algorithm!r} has no CUDA kernel for a {type(model).__name__}; "
                          f"it runs on the CPU", DeviceChoice, stacklevel=3)
            resolved = "cpu"
    return resolved, lookup(model, algorithm, resolved)


def cpu_only(device, what: str) -> str:
    """Check ``device`` for ``what``, which has CPU kernels only: ``"auto"`` gives the CPU, ``"cuda"`` an error."""
    if check_device(device) == "cuda":
        if device == "auto":
            return "cpu"
        raise DeviceError(f"{what} has no CUDA kernel; use device='cpu' (or device='auto', which falls back to "
                          f"the CPU)")
    return "cpu"


def _load_backends() -> None:
    """Import every module of BACKEND_MODULES, once (some may already be imported: chains imports backends)."""
    global _backends_loaded
    if not _backends_loaded:
        for name in BACKEND_MODULES:
            importlib.import_module(name)
        _backends_loaded = True
