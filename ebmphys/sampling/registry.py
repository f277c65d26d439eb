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
    Exchange the configurations of two sets of rows (replica exchange).
``set_betas(betas)``
    Change the per-row inverse temperatures (annealing, ladder changes).
``flipped`` : int64 (n_rows,) or None
    Spins flipped so far (Wolff only).

and, where the model has an annealing path, ``anneal(kstate, betas, step0, log_w,
energy_sum, **path)`` (see :meth:`ebmphys.sampling.Chains.anneal`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ebmphys.exceptions import DeviceError

#: values accepted wherever an argument ``device`` is taken
DEVICES = ("cpu", "cuda", "auto")

_REGISTRY: dict[tuple[str, str, str], Callable] = {}


def check_device(device) -> str:
    """Resolve ``device`` to the device that will run: ``"cpu"`` (or ``"cuda"`` once available).

    The single device check of the package: every function that takes ``device``
    calls it, so the message is the same everywhere.

    Parameters
    ----------
    device : {"cpu", "cuda", "auto"}
        ``"auto"`` picks a usable GPU, else the CPU.

    Raises
    ------
    DeviceError
        For an unknown device, or ``"cuda"`` where no GPU kernels can run.
    """
    if not isinstance(device, str) or device not in DEVICES:
        raise DeviceError(f"device must be one of {', '.join(map(repr, DEVICES))}, got {device!r}")
    if device == "cuda":
        raise DeviceError(
            "device='cuda' is not available: this version of ebmphys has no CUDA kernels; "
            "use device='cpu' (or device='auto', which falls back to the CPU)"
        )
    return "cpu"


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
BACKEND_MODULES = ("ebmphys.sampling.backends", "ebmphys.sampling.potts")


_loaded = []


def _load_backends() -> None:
    """Import the modules that register backends, once (``backends`` is already imported by ``chains``)."""
    if not _loaded:
        for name in BACKEND_MODULES:
            importlib.import_module(name)
        _loaded.append(True)
