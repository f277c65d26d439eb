"""HDF5 layout of a study file (H5MD-style).

::

    /                               attrs: creator, creator_version, complete, file_format
    /h5md                           attrs: version = [1, 1]
    /h5md/creator                   attrs: name, version
    /h5md/author                    attrs: name
    /parameters                     attrs: spec_toml (the full spec, verbatim), spec_fingerprint,
                                           package_version, study_name, conventions, dimension, J, h,
                                           n_chains_per_seed, total_sweeps; q (Potts studies only)
        sizes (n_L,) int64 | temperatures (n_T,) float64 | betas (n_T,) float64
        seeds (n_seeds,) uint64 | task_keys (n_L, n_T, n_seeds) uint64
    /observables/L{L}/energy        step (n_rec,) int64, time (n_rec,) float64,
                                    value (n_rec, n_T, n_chains) float64, NaN until written
    /observables/L{L}/magnetization same layout
    /particles/L{L}/spins           step, time (n_conf,), value (n_conf, n_T, n_chains, n_bytes) uint8
                                    (only when configurations are recorded)
    /checkpoint/L{L}/sweep          (n_T, n_seeds) int64: sweeps done by each task
    /checkpoint/L{L}/states         (n_T, n_chains, n_bytes) uint8: configurations at that sweep

Time is the Monte Carlo time in sweeps (``step``; ``time`` holds the same
number as a float, unit "sweep").  The chain axis runs over seeds, then chains
of a seed: chain ``c`` of seed ``k`` is column ``k * n_chains_per_seed + c``.
Energies and magnetisations are extensive totals (E and M = sum_i s_i, k_B = 1,
J is the energy unit).  Configurations are bit-packed with ``np.packbits`` over
the C-ordered sites (+1 -> 1, -1 -> 0, big-endian bit order), chunked and
optionally compressed (none by default; gzip or lzf on request).  All datasets are created, at full size, when the file is.
Every dataset carries HDF5's Fletcher-32 checksum, verified on every read.

Potts studies (attribute ``q`` present; Ising files have none) use the same layout:
energy E = -J sum_<ij> delta(s_i, s_j) and magnetization the extensive Potts order
parameter M = (q max_a n_a - N) / (q - 1); configurations of states 0..q-1 are stored
as ``site_bits(q)`` bit planes, least significant first, each bit-packed like Ising
spins and concatenated along the last axis (:func:`pack_states`).

A phi^4 study (``model_type = "phi4"``, :class:`ebmphys.models.Phi4Lattice`) uses
the same layout with these differences: the temperature axis runs over grid
points (lam, kappa), stored as ``/parameters/lams`` and ``/parameters/kappas``
(n_T,) float64, with ``temperatures`` = ``betas`` = 1 (weights exp(-S)); the root of
``/parameters`` has ``model_type = "phi4"`` and no J or h; ``energy`` is the action
S and ``magnetization`` M = sum_x phi_x; there are no configurations, and
``/checkpoint/L{L}/states`` holds the float64 fields (n_T, n_chains, n_sites).
Ising files carry no ``model_type`` attribute and are unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ebmphys.storage.atomic import create_dataset

FILE_FORMAT = "ebmphys-study-1"
CREATOR = "ebmphys"
OBSERVABLES = ("energy", "magnetization")
CONVENTIONS = (
    "k_B = 1, beta = 1/T; E(s) = -J sum_<ij> s_i s_j - h sum_i s_i (each bond once); "
    "spins in {-1, +1}; energy and magnetization are extensive totals"
)
UNITS = {"energy": "J", "magnetization": "1", "spins": "1"}
DESCRIPTIONS = {
    "energy": "total energy E(s) after the sweep",
    "magnetization": "total magnetisation M = sum_i s_i after the sweep",
    "spins": "bit-packed configuration: np.packbits(s > 0) over C-ordered sites, +1 -> 1, -1 -> 0",
}
POTTS_CONVENTIONS = (
    "k_B = 1, beta = 1/T; E(s) = -J sum_<ij> delta(s_i, s_j) (each bond once); Potts states s_i in 0..q-1; "
    "energy and magnetization are extensive totals, magnetization M = (q max_a n_a - N) / (q - 1)"
)
POTTS_DESCRIPTIONS = {
    "energy": "total energy E(s) after the sweep",
    "magnetization": "total Potts order parameter M = (q max_a n_a - N) / (q - 1) after the sweep",
    "spins": "bit planes of the states (least significant first), each np.packbits over C-ordered sites",
}
PHI4_CONVENTIONS = (
    "k_B = 1, weights exp(-S); S(phi) = sum_x [-2 kappa sum_mu phi_x phi_{x+mu} + phi_x^2 + lam (phi_x^2 - 1)^2] "
    "(forward neighbours, periodic); energy is S and magnetization M = sum_x phi_x (totals)"
)
PHI4_DESCRIPTIONS = {
    "energy": "action S(phi) after the sweep",
    "magnetization": "total magnetisation M = sum_x phi_x after the sweep",
}
OBSERVABLE_CHUNK_ELEMENTS = 2**15
SPIN_CHUNK_BYTES = 2**16
MAX_CHUNK_BYTES = 2**24
"""Largest chunk ebmphys makes (16 MiB; HDF5's own limit is 4 GiB): huge lattices or many chains are split."""


def size_group(L: int) -> str:
    """Name of the group of lattice side ``L`` (``"L16"``)."""
    return f"L{L}"


def n_bytes(n_spins: int) -> int:
    """Bytes of one bit-packed configuration of ``n_spins`` spins."""
    return -(-n_spins // 8)


def chain_chunk(n_chains_per_seed: int, bytes_per_chain: int) -> int:
    """Chains per chunk: the largest divisor of ``n_chains_per_seed`` whose chunk fits :data:`MAX_CHUNK_BYTES`.

    A divisor, so that a chunk never mixes the chains of two seeds (two tasks):
    damage found in a chunk names the tasks to re-run.
    """
    n = n_chains_per_seed
    fit = max(1, MAX_CHUNK_BYTES // max(1, bytes_per_chain))
    if fit >= n:
        return n
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return max(d for d in small + [n // d for d in small] if d <= fit)


def site_bits(q: int) -> int:
    """Bits per site of a stored configuration: 1 for Ising spins (q = 0), ceil(log2 q) for Potts states."""
    return 1 if q == 0 else max(1, (q - 1).bit_length())


def configuration_bytes(n_spins: int, q: int = 0) -> int:
    """Bytes of one stored configuration (q = 0: Ising spins)."""
    return site_bits(q) * n_bytes(n_spins)


def pack_states(states: np.ndarray, q: int = 0) -> np.ndarray:
    """Pack configurations along the last axis: Ising spins (q = 0, :func:`pack_spins`) or Potts bit planes.

    Potts states 0..q-1 become ``site_bits(q)`` planes, least significant first, each
    ``np.packbits`` of that bit over the sites (:mod:`ebmphys.kernels.packing`).
    """
    if q == 0:
        return pack_spins(states)
    return _pack(np.asarray(states, dtype=np.uint8), q)


def _pack(s: np.ndarray, q: int) -> np.ndarray:
    rows = math.prod(s.shape[:-1])
    out = np.empty(s.shape[:-1] + (configuration_bytes(s.shape[-1], q),), dtype=np.uint8)
    pack_rows_into(s.reshape(rows, s.shape[-1]), s.shape[-1], q, out.reshape(rows, out.shape[-1]))
    return out


def pack_rows_into(rows: np.ndarray, n_sites: int, q: int, out: np.ndarray) -> None:
    """Pack the first ``n_sites`` entries of every row of ``rows`` into ``out`` (:func:`pack_states`'s bits).

    ``rows``: int8 spins (q = 0) or uint8 Potts states, shape (n_rows, >= n_sites) with
    C-contiguous rows (a kernel layout with ghost sites after the configuration is
    packed in place); ``out``: uint8 (n_rows, ``configuration_bytes(n_sites, q)``),
    overwritten.
    """
    if rows.ndim != 2 or rows.shape[1] < n_sites or out.shape != (rows.shape[0], configuration_bytes(n_sites, q)):
        raise ValueError(f"cannot pack {n_sites} sites of rows {rows.shape} into {out.shape}")
    from ebmphys.kernels.packing import pack_rows  # numba only where configurations are packed, not to read files

    pack_rows(np.ascontiguousarray(rows), n_sites, site_bits(q), q == 0, out)


def unpack_states(packed: np.ndarray, n_spins: int, q: int = 0) -> np.ndarray:
    """Inverse of :func:`pack_states`: int8 spins (q = 0) or uint8 Potts states, last axis of length ``n_spins``."""
    if q == 0:
        return unpack_spins(packed, n_spins)
    nb = n_bytes(n_spins)
    out = np.zeros(packed.shape[:-1] + (n_spins,), dtype=np.uint8)
    for b in range(site_bits(q)):
        out |= np.unpackbits(packed[..., b * nb:(b + 1) * nb], axis=-1, count=n_spins) << b
    return out


def observable_chunks(n_records: int, n_chains_per_seed: int) -> tuple[int, int, int]:
    """Chunk shape of an observable: one task's chains at one temperature, many records."""
    c = chain_chunk(n_chains_per_seed, 8)
    return (max(1, min(n_records, OBSERVABLE_CHUNK_ELEMENTS // c)), 1, c)


def spin_chunks(n_configurations: int, n_chains_per_seed: int, nbytes: int) -> tuple[int, int, int, int]:
    """Chunk shape of the configurations: one task's chains at one temperature, about 64 KiB."""
    b = min(nbytes, MAX_CHUNK_BYTES)
    c = chain_chunk(n_chains_per_seed, b)
    return (max(1, min(n_configurations, SPIN_CHUNK_BYTES // (c * b))), 1, c, b)


def state_chunks(n_chains_per_seed: int, n_items: int, itemsize: int = 1) -> tuple[int, int, int]:
    """Chunk shape of the checkpoint configurations (``n_items`` values of ``itemsize`` bytes per chain):
    one task's chains at one temperature, at most :data:`MAX_CHUNK_BYTES` per chunk."""
    b = min(n_items, MAX_CHUNK_BYTES // itemsize)
    return (1, chain_chunk(n_chains_per_seed, b * itemsize), b)


def pack_spins(states: np.ndarray) -> np.ndarray:
    """Bit-pack spins along the last axis: +1 -> bit 1, -1 -> bit 0 (``np.packbits(states > 0)``, big-endian bit order)."""
    s = np.asarray(states)
    if s.dtype != np.int8:
        s = (s > 0).view(np.int8)  # 1 where s > 0: the same bits
    return _pack(s, 0)


def unpack_spins(packed: np.ndarray, n_spins: int) -> np.ndarray:
    """Inverse of :func:`pack_spins`: int8 spins in {-1, +1}, last axis of length ``n_spins``."""
    bits = np.unpackbits(packed, axis=-1, count=n_spins)
    return (2 * bits.astype(np.int8) - 1).astype(np.int8)


def time_series_group(parent, name: str, steps: np.ndarray, shape: tuple, dtype, chunks: tuple, fill,
                      compression: str = "none") -> None:
    """Create an H5MD time series ``name`` (step, time, value) under ``parent``; ``compression`` gzip, lzf or none.

    Every dataset carries a Fletcher-32 checksum (:func:`ebmphys.storage.atomic.create_dataset`).
    """
    g = parent.create_group(name)
    create_dataset(g, "step", data=np.asarray(steps, dtype=np.int64)).attrs["unit"] = "sweep"
    create_dataset(g, "time", data=np.asarray(steps, dtype=np.float64)).attrs["unit"] = "sweep"
    value = create_dataset(
        g, "value", shape=(len(steps),) + tuple(shape), dtype=dtype, chunks=chunks, fillvalue=fill,
        compression=None if compression == "none" else compression, compression_opts=1 if compression == "gzip" else None,
        shuffle=np.dtype(dtype).itemsize > 1,
    )
    value.attrs["unit"] = UNITS[name]
    value.attrs["description"] = DESCRIPTIONS[name]


def energy_bound(J: float, h: float, dimension: int, n_spins: int) -> float:
    """Largest |E| on a periodic hypercubic lattice: n_spins * (dimension * |J| + |h|) (each bond once)."""
    return n_spins * (dimension * abs(J) + abs(h))


@dataclass(frozen=True)
class StudyLayout:
    """Everything needed to create a study file (built by ``ebmphys.study``).

    Attributes
    ----------
    name, spec_toml, fingerprint : str
        Study name, the spec's TOML text and its data fingerprint.
    dimension : int
    J, h : float
        Coupling and field of the Ising model (energy unit J).
    sizes : tuple of int
    temperatures : float64 (n_T,)
    seeds : tuple of int
    n_chains : int
        Chains per seed.
    task_keys : uint64 (n_L, n_T, n_seeds)
        Philox key of every task.
    total_sweeps : int
        Burn-in plus recorded sweeps of every task.
    record_steps, configuration_steps : int64 arrays
        Sweeps after which observables / configurations are recorded.
    compression : {"gzip", "lzf", "none"}
        Filter of the configuration dataset (observables are always gzip-compressed).
    q : int
        0 for an Ising study, the number of Potts states for a Potts study.
    model_type : {"ising", "phi4"}
    lams, kappas : float64 (n_T,) or None
        phi^4 only: the coupling of every grid point (``temperatures`` are then ones).
    """

    name: str
    spec_toml: str
    fingerprint: str
    dimension: int
    J: float
    h: float
    sizes: tuple
    temperatures: np.ndarray
    seeds: tuple
    n_chains: int
    task_keys: np.ndarray
    total_sweeps: int
    record_steps: np.ndarray
    configuration_steps: np.ndarray
    compression: str = "none"
    q: int = 0
    model_type: str = "ising"
    lams: np.ndarray | None = None
    kappas: np.ndarray | None = None


@dataclass
class Block:
    """New data of one task for sweeps (start, stop], to be written into a study file.

    ``energy``/``magnetization``: (n_chains, n_records) float64; ``configurations``:
    (n_chains, n_configurations, n_bytes) uint8 packed; ``states``: (n_chains, n_bytes)
    uint8 packed configurations at sweep ``stop`` (phi^4: float64 (n_chains, n_sites) fields).
    """

    size_index: int
    temperature_index: int
    seed_index: int
    start: int
    stop: int
    energy: np.ndarray
    magnetization: np.ndarray
    configurations: np.ndarray
    states: np.ndarray
