"""HDF5 files of density-of-states (Wang-Landau) studies: layout, atomic writer, reader.

::

    /                         attrs: creator, creator_version, file_format = "ebmphys-dos-1", complete
    /parameters               attrs: spec_toml, spec_fingerprint, package_version, study_name, conventions,
                                     dimension, J, q, n_chains_per_seed
        sizes (n_L,) int64 | seeds (n_seeds,) uint64 | task_keys (n_L, n_seeds) uint64
    /dos/L{L}/energies        (n_levels,) float64: total energies E = -J (B - a), a = 0 .. B
    /dos/L{L}/log_g           (n_seeds * n_chains, n_levels) float64: ln g(E) of every walker (-inf at
                              levels not visited; NaN rows until the task is written)
    /dos/L{L}/trials          (n_seeds * n_chains,) int64, /dos/L{L}/converged (n_seeds * n_chains,) bool
    /dos/L{L}/done            (n_seeds,) bool, /dos/L{L}/seconds (n_seeds,) float64

Walker c of seed k is row ``k * n_chains_per_seed + c``.  A task (one size, one
seed) is written whole when it finishes; the file is updated by the atomic, verified
swap of :func:`ebmphys.storage.atomic_hdf5`, so a killed run or a failed write leaves
the last complete file and resumes at task granularity (a task is a pure function of
its key, so the result is the same bits).  Every dataset carries a Fletcher-32 checksum
(:func:`ebmphys.storage.create_dataset`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from ebmphys import __version__
from ebmphys.storage.atomic import atomic_hdf5, create_dataset
from ebmphys.storage.layout import CREATOR, size_group
from ebmphys.storage.reader import StudyFileError, open_study_file
from ebmphys.storage.writer import CheckpointedFile

DOS_FILE_FORMAT = "ebmphys-dos-1"
DOS_CONVENTIONS = (
    "k_B = 1; E(s) = -J sum_<ij> delta(s_i, s_j) (each bond once), Potts states 0..q-1; g(E) = number of "
    "configurations of total energy E, ln g normalised per walker (to q**N, or to 1 over an energy window)"
)


@dataclass(frozen=True)
class DosLayout:
    """Everything needed to create a density-of-states study file."""

    name: str
    spec_toml: str
    fingerprint: str
    dimension: int
    J: float
    q: int
    sizes: tuple
    seeds: tuple
    n_chains: int
    task_keys: np.ndarray
    energies: dict = field(repr=False)


@dataclass
class DosBlock:
    """The result of one task (one size, one seed): ``n_chains`` walkers."""

    size_index: int
    seed_index: int
    log_g: np.ndarray
    trials: np.ndarray
    converged: np.ndarray
    seconds: float


class DosCheckpointedFile(CheckpointedFile):
    """Single writer of a density-of-states study file (same locking and atomic swap as study files)."""

    def create(self, layout: DosLayout) -> None:
        """Create the file with every dataset at full size (replacing any existing file atomically)."""
        with atomic_hdf5(self.target) as f:
            f.attrs.update({"creator": CREATOR, "creator_version": __version__, "file_format": DOS_FILE_FORMAT,
                            "complete": False})
            par = f.create_group("parameters")
            par.attrs.update({
                "spec_toml": layout.spec_toml, "spec_fingerprint": layout.fingerprint, "package_version": __version__,
                "study_name": layout.name, "conventions": DOS_CONVENTIONS, "dimension": layout.dimension,
                "J": layout.J, "q": layout.q, "n_chains_per_seed": layout.n_chains,
            })
            create_dataset(par, "sizes", np.array(layout.sizes, dtype=np.int64))
            create_dataset(par, "seeds", np.array(layout.seeds, dtype=np.uint64))
            create_dataset(par, "task_keys", np.asarray(layout.task_keys, dtype=np.uint64))
            n_rows, n_seeds = len(layout.seeds) * layout.n_chains, len(layout.seeds)
            for L in layout.sizes:
                g = f.require_group("dos").create_group(size_group(L))
                energies = np.asarray(layout.energies[L], dtype=np.float64)
                create_dataset(g, "energies", energies).attrs["unit"] = "J"
                create_dataset(g, "log_g", shape=(n_rows, energies.shape[0]), dtype=np.float64, fillvalue=np.nan)
                create_dataset(g, "trials", shape=(n_rows,), dtype=np.int64, fillvalue=0)
                create_dataset(g, "converged", shape=(n_rows,), dtype=np.bool_, fillvalue=False)
                create_dataset(g, "done", shape=(n_seeds,), dtype=np.bool_, fillvalue=False)
                create_dataset(g, "seconds", shape=(n_seeds,), dtype=np.float64, fillvalue=0.0)

    def commit(self, blocks, complete: bool = False) -> None:
        """Write the finished tasks ``blocks`` (and the ``complete`` flag) into a copy of the file and swap it in."""
        with atomic_hdf5(self.target, copy_from=self.target) as f:
            self.hook("copied")
            sizes = f["parameters"]["sizes"][()].tolist()
            n_chains = int(f["parameters"].attrs["n_chains_per_seed"])
            for b in blocks:
                g = f["dos"][size_group(sizes[b.size_index])]
                rows = slice(b.seed_index * n_chains, (b.seed_index + 1) * n_chains)
                g["log_g"][rows] = b.log_g
                g["trials"][rows] = b.trials
                g["converged"][rows] = b.converged
                g["seconds"][b.seed_index] = b.seconds
                g["done"][b.seed_index] = True
            f.attrs["complete"] = bool(complete)
            self.hook("written")


def is_dos_file(path) -> bool:
    """True when ``path`` is an HDF5 file marked as a density-of-states study file."""
    try:
        with h5py.File(path, "r") as f:
            return f.attrs.get("file_format") == DOS_FILE_FORMAT
    except OSError:
        return False


class DosStudyFile:
    """Read-only view of a density-of-states study file.

    Raises
    ------
    FileNotFoundError, StudyFileError
        As :class:`ebmphys.storage.StudyFile`.
    """

    def __init__(self, path):
        self.path = Path(path)
        self._f = open_study_file(self.path)
        try:
            f = self._f
            if f.attrs.get("creator") != CREATOR or f.attrs.get("file_format") != DOS_FILE_FORMAT:
                raise StudyFileError(f"{self.path} is not an ebmphys density-of-states file (no "
                                     f"{DOS_FILE_FORMAT!r} marker)")
            par = f["parameters"]
            self.spec_toml: str = par.attrs["spec_toml"]
            self.fingerprint: str = par.attrs["spec_fingerprint"]
            self.package_version: str = par.attrs["package_version"]
            self.name: str = par.attrs["study_name"]
            self.dimension = int(par.attrs["dimension"])
            self.J = float(par.attrs["J"])
            self.q = int(par.attrs["q"])
            self.n_chains_per_seed = int(par.attrs["n_chains_per_seed"])
            self.sizes: list[int] = par["sizes"][()].tolist()
            self.seeds: list[int] = [int(s) for s in par["seeds"][()]]
        except StudyFileError:
            self._f.close()
            raise
        except (KeyError, OSError) as exc:
            self._f.close()
            raise StudyFileError(f"{self.path} is damaged or incomplete: {exc}") from None

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> DosStudyFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def complete(self) -> bool:
        return bool(self._f.attrs["complete"])

    @property
    def n_chains(self) -> int:
        """Walkers per size: seeds times walkers per seed."""
        return len(self.seeds) * self.n_chains_per_seed

    def _group(self, L: int):
        if L not in self.sizes:
            raise ValueError(f"L must be one of the study's sizes {self.sizes}, got {L!r}")
        return self._f["dos"][size_group(L)]

    def n_spins(self, L: int) -> int:
        return int(L) ** self.dimension

    def energies(self, L: int) -> np.ndarray:
        return self._group(L)["energies"][()]

    def done(self, L: int) -> np.ndarray:
        """Whether each seed's task at side ``L`` is written, bool (n_seeds,)."""
        return self._group(L)["done"][()]

    def log_g(self, L: int) -> np.ndarray:
        """ln g of the walkers of the finished tasks, (n_done_walkers, n_levels)."""
        rows = np.repeat(self.done(L), self.n_chains_per_seed)
        return self._group(L)["log_g"][()][rows]

    def converged(self, L: int) -> np.ndarray:
        return self._group(L)["converged"][()][np.repeat(self.done(L), self.n_chains_per_seed)]

    def seconds(self, L: int) -> float:
        """Wall time of the finished tasks at side ``L`` (sum over seeds)."""
        return float(self._group(L)["seconds"][()].sum())
