"""Create and update study files so that a kill at any instant leaves a readable file.

Choice (see DESIGN.md, pitfalls): the study file at ``path`` is never opened for
writing.  Every update (creation, each checkpoint, the final write) copies the
file to ``path + ".tmp"``, writes the new data into the copy, closes and fsyncs
it and swaps it in with ``os.replace``, which is atomic on POSIX and Windows.
A kill leaves either the previous or the new complete file at ``path`` (and
perhaps a stale ``.tmp``, which the next update overwrites).  The price is one
file copy per checkpoint, bounded by checkpointing at most every few seconds.
Only the one process that owns a :class:`CheckpointedFile` writes; workers send
their results to it, and :meth:`CheckpointedFile.lock` (an advisory ``flock`` on
``path + ".lock"``, POSIX only) refuses a second writing process.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import h5py
import numpy as np

from ebmphys import __version__
from ebmphys.storage.layout import (
    CONVENTIONS,
    CREATOR,
    FILE_FORMAT,
    OBSERVABLES,
    POTTS_CONVENTIONS,
    POTTS_DESCRIPTIONS,
    Block,
    StudyLayout,
    configuration_bytes,
    observable_chunks,
    size_group,
    spin_chunks,
    time_series_group,
)


class FileLockedError(RuntimeError):
    """Another process is writing the study file."""


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    if os.name == "posix":
        _fsync(path.parent if str(path.parent) else Path("."))


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
    par.attrs.update({
        "spec_toml": layout.spec_toml, "spec_fingerprint": layout.fingerprint, "package_version": __version__,
        "study_name": layout.name, "conventions": POTTS_CONVENTIONS if layout.q else CONVENTIONS,
        "dimension": layout.dimension, "J": layout.J, "h": layout.h,
        "n_chains_per_seed": layout.n_chains, "total_sweeps": layout.total_sweeps,
    })
    if layout.q:
        par.attrs["q"] = layout.q
    par.create_dataset("sizes", data=np.array(layout.sizes, dtype=np.int64))
    par.create_dataset("temperatures", data=np.asarray(layout.temperatures, dtype=np.float64)).attrs["unit"] = "J/k_B"
    par.create_dataset("betas", data=1.0 / np.asarray(layout.temperatures, dtype=np.float64)).attrs["unit"] = "k_B/J"
    par.create_dataset("seeds", data=np.array(layout.seeds, dtype=np.uint64))
    par.create_dataset("task_keys", data=np.asarray(layout.task_keys, dtype=np.uint64))

    n_t, n_seeds = len(layout.temperatures), len(layout.seeds)
    n_chains = n_seeds * layout.n_chains
    for L in layout.sizes:
        name = size_group(L)
        nb = configuration_bytes(L**layout.dimension, layout.q)
        obs = f.require_group("observables").create_group(name)
        obs.attrs["n_spins"] = L**layout.dimension
        for observable in OBSERVABLES:
            time_series_group(obs, observable, layout.record_steps, (n_t, n_chains), np.float64,
                              observable_chunks(len(layout.record_steps), layout.n_chains), np.nan)
            if layout.q:
                obs[observable]["value"].attrs["description"] = POTTS_DESCRIPTIONS[observable]
        if len(layout.configuration_steps):
            part = f.require_group("particles").create_group(name)
            part.attrs["lattice_shape"] = np.array((L,) * layout.dimension, dtype=np.int64)
            time_series_group(part, "spins", layout.configuration_steps, (n_t, n_chains, nb), np.uint8,
                              spin_chunks(len(layout.configuration_steps), layout.n_chains, nb), 0, layout.compression)
            if layout.q:
                part["spins"]["value"].attrs["description"] = POTTS_DESCRIPTIONS["spins"]
        ck = f.require_group("checkpoint").create_group(name)
        ck.create_dataset("sweep", data=np.zeros((n_t, n_seeds), dtype=np.int64)).attrs["unit"] = "sweep"
        ck.create_dataset("states", shape=(n_t, n_chains, nb), dtype=np.uint8, compression="gzip",
                          compression_opts=1, chunks=(1, layout.n_chains, nb))


def _write_block(f: h5py.File, sizes: Sequence[int], n_chains: int, block: Block) -> None:
    name = size_group(sizes[block.size_index])
    t, chains = block.temperature_index, slice(block.seed_index * n_chains, (block.seed_index + 1) * n_chains)
    for observable, data in (("energy", block.energy), ("magnetization", block.magnetization)):
        if data.shape[1]:
            series = f["observables"][name][observable]
            steps = series["step"][()]
            r0, r1 = np.searchsorted(steps, [block.start, block.stop], side="right")
            series["value"][r0:r1, t, chains] = data.T
    if block.configurations.shape[1]:
        series = f["particles"][name]["spins"]
        steps = series["step"][()]
        r0, r1 = np.searchsorted(steps, [block.start, block.stop], side="right")
        series["value"][r0:r1, t, chains, :] = block.configurations.transpose(1, 0, 2)
    ck = f["checkpoint"][name]
    ck["states"][t, chains, :] = block.states
    ck["sweep"][t, block.seed_index] = block.stop


class CheckpointedFile:
    """The single writer of a study file; every update is an atomic file swap.

    Parameters
    ----------
    path : path-like
        The study file.
    hook : callable(str), optional
        Called with ``"copied"`` and ``"written"`` during each update (fault-injection
        point for tests).
    """

    def __init__(self, path, hook: Callable[[str], None] | None = None):
        self.path = Path(path)
        self.tmp = self.path.with_name(self.path.name + ".tmp")
        self.hook = hook or (lambda point: None)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold an exclusive lock on the study file for the duration of a run (no-op without ``fcntl``).

        Raises
        ------
        FileLockedError
            If another process holds it.  The lock dies with its process, so a killed
            run never blocks its resume.
        """
        try:
            import fcntl
        except ImportError:
            yield
            return
        lock_path = self.path.with_name(self.path.name + ".lock")
        while True:
            fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise FileLockedError(f"{self.path} is being written by another process (lock {lock_path})") from None
            try:
                if os.fstat(fd).st_ino == os.stat(lock_path).st_ino:
                    break  # the file we locked is still the one at lock_path
            except FileNotFoundError:
                pass
            os.close(fd)
        try:
            yield
        finally:
            os.unlink(lock_path)
            os.close(fd)

    def create(self, layout: StudyLayout) -> None:
        """Create the file with every dataset at full size (replacing any existing file atomically)."""
        with h5py.File(self.tmp, "w", libver=("earliest", "v110")) as f:
            _write_layout(f, layout)
        self._swap()

    def commit(self, blocks: Sequence[Block], complete: bool = False) -> None:
        """Write ``blocks`` (and the ``complete`` flag) into a copy of the file and swap it in."""
        shutil.copyfile(self.path, self.tmp)
        self.hook("copied")
        with h5py.File(self.tmp, "r+") as f:
            sizes = f["parameters"]["sizes"][()].tolist()
            n_chains = int(f["parameters"].attrs["n_chains_per_seed"])
            for block in blocks:
                _write_block(f, sizes, n_chains, block)
            f.attrs["complete"] = bool(complete)
            self.hook("written")
        self._swap()

    def _swap(self) -> None:
        _fsync(self.tmp)
        os.replace(self.tmp, self.path)
        _fsync_dir(self.path)
