"""Create and update study files so that a kill or a failed write at any instant leaves a readable file.

Choice (see DESIGN.md, pitfalls): the study file at ``path`` is never opened for
writing.  Every update (creation, each checkpoint, the final write) copies the
file to ``path + ".tmp"``, writes the new data into the copy, closes it, reads
the new data back, fsyncs it and swaps it in with ``os.replace``
(:func:`ebmphys.storage.atomic.atomic_hdf5`).  A kill leaves either the previous
or the new complete file at ``path`` (and perhaps a stale ``.tmp``, which the
next update overwrites); a failed write (no space left, quota, I/O error)
raises :class:`ebmphys.exceptions.WriteError`, removes the copy and leaves the
previous file.  The price is one file copy per checkpoint, bounded by
checkpointing at most every few seconds.  Only the one process that owns a
:class:`CheckpointedFile` writes; workers send their results to it, and
:meth:`CheckpointedFile.lock` refuses a second writing process
(:func:`ebmphys.storage.lock.exclusive_lock`).  A ``path`` that is a symbolic
link is resolved: the target is locked and replaced, the link stays.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Sequence
from pathlib import Path

import h5py
import numpy as np

from ebmphys import __version__
from ebmphys.storage.atomic import atomic_hdf5, create_dataset, output_target, temporary_path
from ebmphys.storage.layout import (
    CONVENTIONS,
    CREATOR,
    FILE_FORMAT,
    OBSERVABLES,
    POTTS_CONVENTIONS,
    POTTS_DESCRIPTIONS,
    PHI4_CONVENTIONS,
    PHI4_DESCRIPTIONS,
    Block,
    StudyLayout,
    configuration_bytes,
    observable_chunks,
    size_group,
    spin_chunks,
    state_chunks,
    time_series_group,
)
from ebmphys.storage.lock import FileLockedError, exclusive_lock

__all__ = ["CheckpointedFile", "FileLockedError"]


def _write_layout(f: h5py.File, layout: StudyLayout) -> None:
    f.attrs["creator"] = CREATOR
    f.attrs["creator_version"] = __version__
    f.attrs["file_format"] = FILE_FORMAT
    f.attrs["complete"] = False
    h5md = f.create_group("h5md")
    h5md.attrs["version"] = np.array([1, 1], dtype=np.int32)
    h5md.create_group("creator").attrs.update({"name": CREATOR, "version": __version__})
    try:
        author = getpass.getuser()
    except (KeyError, OSError):
        author = "unknown"
    h5md.create_group("author").attrs["name"] = author

    par = f.create_group("parameters")
    phi4 = layout.model_type == "phi4"
    par.attrs.update({
        "spec_toml": layout.spec_toml, "spec_fingerprint": layout.fingerprint, "package_version": __version__,
        "study_name": layout.name,
        "conventions": PHI4_CONVENTIONS if phi4 else POTTS_CONVENTIONS if layout.q else CONVENTIONS,
        "dimension": layout.dimension, "n_chains_per_seed": layout.n_chains, "total_sweeps": layout.total_sweeps,
        "n_configurations": len(layout.configuration_steps),
    })
    if phi4:
        par.attrs["model_type"] = "phi4"
        create_dataset(par, "lams", data=np.asarray(layout.lams, dtype=np.float64))
        create_dataset(par, "kappas", data=np.asarray(layout.kappas, dtype=np.float64))
    else:
        par.attrs.update({"J": layout.J, "h": layout.h})
    if layout.q:
        par.attrs["q"] = layout.q
    create_dataset(par, "sizes", data=np.array(layout.sizes, dtype=np.int64))
    create_dataset(par, "temperatures", data=np.asarray(layout.temperatures, dtype=np.float64)).attrs["unit"] = "J/k_B"
    create_dataset(par, "betas", data=1.0 / np.asarray(layout.temperatures, dtype=np.float64)).attrs["unit"] = "k_B/J"
    create_dataset(par, "seeds", data=np.array(layout.seeds, dtype=np.uint64))
    create_dataset(par, "task_keys", data=np.asarray(layout.task_keys, dtype=np.uint64))

    n_t, n_seeds = len(layout.temperatures), len(layout.seeds)
    n_chains = n_seeds * layout.n_chains
    for L in layout.sizes:
        name = size_group(L)
        nb = L**layout.dimension if phi4 else configuration_bytes(L**layout.dimension, layout.q)
        obs = f.require_group("observables").create_group(name)
        obs.attrs["n_spins"] = L**layout.dimension
        for observable in OBSERVABLES:
            time_series_group(obs, observable, layout.record_steps, (n_t, n_chains), np.float64,
                              observable_chunks(len(layout.record_steps), layout.n_chains), np.nan)
            if layout.q:
                obs[observable]["value"].attrs["description"] = POTTS_DESCRIPTIONS[observable]
            if phi4:
                obs[observable]["value"].attrs.update({"unit": "1", "description": PHI4_DESCRIPTIONS[observable]})
        if len(layout.configuration_steps):
            part = f.require_group("particles").create_group(name)
            part.attrs["lattice_shape"] = np.array((L,) * layout.dimension, dtype=np.int64)
            time_series_group(part, "spins", layout.configuration_steps, (n_t, n_chains, nb), np.uint8,
                              spin_chunks(len(layout.configuration_steps), layout.n_chains, nb), 0, layout.compression)
            if layout.q:
                part["spins"]["value"].attrs["description"] = POTTS_DESCRIPTIONS["spins"]
        ck = f.require_group("checkpoint").create_group(name)
        create_dataset(ck, "sweep", data=np.zeros((n_t, n_seeds), dtype=np.int64)).attrs["unit"] = "sweep"
        create_dataset(ck, "states", shape=(n_t, n_chains, nb), dtype=np.float64 if phi4 else np.uint8,
                       compression="gzip", compression_opts=1,
                       chunks=state_chunks(layout.n_chains, nb, 8 if phi4 else 1))


class _Regions:
    """Where blocks go in a study file: (dataset path, selection, data in file order) of each write.

    The record times (``step``) are read once per dataset, so a checkpoint of many blocks costs few
    HDF5 look-ups.
    """

    def __init__(self, f: h5py.File):
        self.sizes = f["parameters/sizes"][()].tolist()
        self.n_chains = int(f["parameters"].attrs["n_chains_per_seed"])
        self._f = f
        self._steps: dict[str, np.ndarray] = {}

    def _rows(self, series: str, block: Block) -> slice:
        if series not in self._steps:
            self._steps[series] = self._f[f"{series}/step"][()]
        r0, r1 = np.searchsorted(self._steps[series], [block.start, block.stop], side="right")
        return slice(int(r0), int(r1))

    def of(self, block: Block) -> list[tuple[str, tuple, np.ndarray]]:
        name = size_group(self.sizes[block.size_index])
        n = self.n_chains
        t, chains = block.temperature_index, slice(block.seed_index * n, (block.seed_index + 1) * n)
        out = []
        for observable, data in (("energy", block.energy), ("magnetization", block.magnetization)):
            if data.shape[1]:
                series = f"observables/{name}/{observable}"
                out.append((f"{series}/value", (self._rows(series, block), t, chains), data.T))
        if block.configurations.shape[1]:
            series = f"particles/{name}/spins"
            out.append((f"{series}/value", (self._rows(series, block), t, chains, slice(None)),
                        block.configurations.transpose(1, 0, 2)))
        out.append((f"checkpoint/{name}/states", (t, chains, slice(None)), block.states))
        out.append((f"checkpoint/{name}/sweep", (t, block.seed_index), np.int64(block.stop)))
        return out


def _write_blocks(f: h5py.File, blocks: Sequence[Block]) -> list[tuple[str, tuple, np.ndarray]]:
    """Write ``blocks``; return the writes that hold at the end (a task's later block overwrites its checkpoint)."""
    regions, last = _Regions(f), {}
    for block in blocks:
        for path, selection, data in regions.of(block):
            f[path][selection] = data
            last[path, repr(selection)] = (path, selection, data)
    return list(last.values())


def _same(stored: np.ndarray, data) -> bool:
    """``stored`` holds ``data`` (NaN equal to NaN); bytes compared 8 at a time where both are plain byte arrays."""
    data = np.asarray(data)
    if (stored.dtype == data.dtype == np.uint8 and stored.shape == data.shape and stored.size % 8 == 0
            and stored.flags.c_contiguous and data.flags.c_contiguous):
        return bool(np.array_equal(stored.reshape(-1).view(np.uint64), data.reshape(-1).view(np.uint64)))
    return bool(np.array_equal(stored, data, equal_nan=stored.dtype.kind == "f"))


def _verify_writes(f: h5py.File, writes, complete: bool | None = None) -> None:
    """Read back the ``writes`` of :func:`_write_blocks` (checksums verified on read) and compare them."""
    for path, selection, data in writes:
        stored = f[path][selection]
        if not _same(stored, data):
            raise ValueError(f"{path} does not hold the data written")
    if complete is not None and bool(f.attrs["complete"]) != bool(complete):
        raise ValueError("the complete flag was not written")


def _verify_layout(f: h5py.File) -> None:
    """Read back every dataset of a new file (small: chunks are allocated when data arrive)."""
    f.visititems(lambda name, obj: obj[()] if isinstance(obj, h5py.Dataset) and obj.id.get_storage_size() else None)


def _read_block(old: h5py.File, sizes: Sequence[int], n_chains: int, size_index: int, t: int, seed_index: int,
                stop: int) -> Block:
    """The data one task wrote into ``old`` up to sweep ``stop``, as a block from sweep 0."""
    name = size_group(sizes[size_index])
    chains = slice(seed_index * n_chains, (seed_index + 1) * n_chains)
    series = {}
    for observable in OBSERVABLES:
        steps = old["observables"][name][observable]["step"][()]
        r1 = int(np.searchsorted(steps, stop, side="right"))
        series[observable] = old["observables"][name][observable]["value"][:r1, t, chains].T
    if "particles" in old:
        steps = old["particles"][name]["spins"]["step"][()]
        c1 = int(np.searchsorted(steps, stop, side="right"))
        configurations = old["particles"][name]["spins"]["value"][:c1, t, chains, :].transpose(1, 0, 2)
    else:
        configurations = np.zeros((n_chains, 0, 0), dtype=np.uint8)
    states = old["checkpoint"][name]["states"][t, chains, :]
    return Block(size_index=size_index, temperature_index=t, seed_index=seed_index, start=0, stop=stop,
                 energy=series["energy"], magnetization=series["magnetization"], configurations=configurations,
                 states=states)


class CheckpointedFile:
    """The single writer of a study file; every update is an atomic, verified file swap.

    Parameters
    ----------
    path : path-like
        The study file (a symbolic link is resolved: its target is written).
    hook : callable(str), optional
        Called with ``"copied"`` and ``"written"`` during each update (fault-injection
        point for tests).

    Raises
    ------
    ebmphys.exceptions.UserError
        If ``path`` is a directory.
    """

    def __init__(self, path, hook: Callable[[str], None] | None = None):
        self.path = Path(path)
        self.target = output_target(self.path)
        self.tmp = temporary_path(self.target)
        self.hook = hook or (lambda point: None)

    def lock(self):
        """Hold an exclusive lock on the study file for the duration of a run (no-op without ``fcntl``).

        Raises
        ------
        FileLockedError
            If another process holds it.  The lock dies with its process, so a killed
            run never blocks its resume.
        """
        return exclusive_lock(self.path)

    def create(self, layout: StudyLayout) -> None:
        """Create the file with every dataset at full size (replacing any existing file atomically).

        Raises
        ------
        ebmphys.exceptions.WriteError
            If the write fails; an existing file is left as it was.
        """
        with atomic_hdf5(self.target, verify=_verify_layout) as f:
            _write_layout(f, layout)

    def commit(self, blocks: Sequence[Block], complete: bool = False) -> None:
        """Write ``blocks`` (and the ``complete`` flag) into a copy of the file and swap it in.

        Raises
        ------
        ebmphys.exceptions.WriteError
            If the write fails; the previous file is left as it was.
        """
        writes = []
        with atomic_hdf5(self.target, copy_from=self.target,
                         verify=lambda g: _verify_writes(g, writes, complete)) as f:
            self.hook("copied")
            writes += _write_blocks(f, blocks)
            f.attrs["complete"] = bool(complete)
            self.hook("written")

    def rebuild(self, layout: StudyLayout, keep: Sequence[tuple[int, int, int, int]]) -> None:
        """Replace the file by a new one that keeps only the data of the tasks in ``keep``.

        Used to resume a damaged file: the new file is created from ``layout`` and,
        for each ``(size_index, temperature_index, seed_index, sweeps)`` of ``keep``,
        that task's records, configurations and checkpoint up to ``sweeps`` are
        copied from the old one (they must read back intact); every other task
        starts again from sweep 0.
        """
        sizes, n_chains = list(layout.sizes), layout.n_chains
        keep = [k for k in keep if k[3]]
        with h5py.File(self.target, "r") as old:

            def verify(g: h5py.File) -> None:  # one task in memory at a time
                regions = _Regions(g)
                for size_index, t, k, sweeps in keep:
                    _verify_writes(g, regions.of(_read_block(old, sizes, n_chains, size_index, t, k, sweeps)))

            with atomic_hdf5(self.target, verify=verify) as f:
                _write_layout(f, layout)
                for size_index, t, k, sweeps in keep:
                    _write_blocks(f, [_read_block(old, sizes, n_chains, size_index, t, k, sweeps)])
