"""Read study files: numpy arrays indexed by (size, temperature, chain).

>>> with StudyFile("ising2d_quick.h5") as f:          # doctest: +SKIP
...     E = f.observable("energy", L=16)               # (n_T, n_chains, n_records), totals
...     s = f.configurations(L=16, temperature_index=3, chain=0)   # int8 (n_conf, 16, 16)
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from ebmphys.storage.layout import CREATOR, FILE_FORMAT, OBSERVABLES, size_group, unpack_states


class StudyFileError(ValueError):
    """A file that is not a readable, complete-layout ebmphys study file."""


class StudyFile:
    """Read-only view of a study file written by ``ebmphys run``.

    Parameters
    ----------
    path : path-like

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    StudyFileError
        If the file is not HDF5, is truncated or corrupt, or is not an ebmphys study file.
    """

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"study file {str(self.path)!r} does not exist")
        try:
            self._f = h5py.File(self.path, "r")
        except OSError as exc:
            reason = str(exc).split("(")[0].strip().rstrip(":") or type(exc).__name__
            raise StudyFileError(f"{self.path} is not a readable HDF5 file (truncated or corrupt?): {reason}") from None
        try:
            self._check()
        except StudyFileError:
            self._f.close()
            raise
        except (KeyError, OSError, RuntimeError) as exc:
            self._f.close()
            raise StudyFileError(f"{self.path} is damaged or incomplete: {exc}") from None

    def _check(self) -> None:
        f = self._f
        if f.attrs.get("creator") != CREATOR or f.attrs.get("file_format") != FILE_FORMAT:
            raise StudyFileError(f"{self.path} is not an ebmphys study file (no {FILE_FORMAT!r} marker)")
        par = f["parameters"]
        self.spec_toml: str = par.attrs["spec_toml"]
        self.fingerprint: str = par.attrs["spec_fingerprint"]
        self.package_version: str = par.attrs["package_version"]
        self.name: str = par.attrs["study_name"]
        self.dimension = int(par.attrs["dimension"])
        self.J = float(par.attrs["J"])
        self.h = float(par.attrs["h"])
        #: 0 for an Ising study, the number of states of a Potts study
        self.q = int(par.attrs.get("q", 0))
        self.n_chains_per_seed = int(par.attrs["n_chains_per_seed"])
        self.total_sweeps = int(par.attrs["total_sweeps"])
        self.sizes: list[int] = par["sizes"][()].tolist()
        self.temperatures: np.ndarray = par["temperatures"][()]
        self.betas: np.ndarray = par["betas"][()]
        self.seeds: list[int] = [int(s) for s in par["seeds"][()]]
        self.task_keys: np.ndarray = par["task_keys"][()]
        for L in self.sizes:
            for observable in OBSERVABLES:
                f["observables"][size_group(L)][observable]["value"].shape  # noqa: B018 (presence check)
            f["checkpoint"][size_group(L)]["sweep"].shape  # noqa: B018

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> StudyFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def n_chains(self) -> int:
        """Chains per (size, temperature): seeds times chains per seed."""
        return len(self.seeds) * self.n_chains_per_seed

    @property
    def complete(self) -> bool:
        """True once every task has run all its sweeps and the final write succeeded."""
        return bool(self._f.attrs["complete"])

    @property
    def has_configurations(self) -> bool:
        return "particles" in self._f

    def _size(self, L: int) -> str:
        if L not in self.sizes:
            raise ValueError(f"L must be one of the study's sizes {self.sizes}, got {L!r}")
        return size_group(L)

    def n_spins(self, L: int) -> int:
        return int(L) ** self.dimension

    def sweeps_done(self, L: int) -> np.ndarray:
        """Sweeps completed by each task at side ``L``: int64 (n_T, n_seeds)."""
        return self._f["checkpoint"][self._size(L)]["sweep"][()]

    def record_sweeps(self, L: int) -> np.ndarray:
        """Sweep counters of the observable records (H5MD ``step``)."""
        return self._f["observables"][self._size(L)]["energy"]["step"][()]

    def n_records_done(self, L: int) -> np.ndarray:
        """Records written per task at side ``L``: int64 (n_T, n_seeds)."""
        return np.searchsorted(self.record_sweeps(L), self.sweeps_done(L), side="right")

    def observable(self, name: str, L: int) -> np.ndarray:
        """Time series of ``name`` ("energy" or "magnetization", extensive totals).

        Returns float64 (n_T, n_chains, n_records); records not yet written are NaN.
        """
        if name not in OBSERVABLES:
            raise ValueError(f"name must be one of {OBSERVABLES}, got {name!r}")
        return np.transpose(self._f["observables"][self._size(L)][name]["value"][()], (1, 2, 0))

    def configuration_sweeps(self, L: int) -> np.ndarray:
        """Sweep counters of the stored configurations (empty when none are recorded)."""
        if not self.has_configurations:
            return np.zeros(0, dtype=np.int64)
        return self._f["particles"][self._size(L)]["spins"]["step"][()]

    def configurations(self, L: int, temperature_index: int, chain: int) -> np.ndarray:
        """Stored configurations of one chain: int8 (n_configurations, L, ..., L) in {-1, +1}.

        Configurations not yet written read as all -1 (Potts studies: uint8 states, unwritten ones 0).
        """
        name = self._size(L)
        if not self.has_configurations:
            raise ValueError(f"{self.path} holds no configurations (record.configurations_every = 0)")
        packed = self._f["particles"][name]["spins"]["value"][:, temperature_index, chain, :]
        return unpack_states(packed, self.n_spins(L), self.q).reshape((-1,) + (L,) * self.dimension)

    def checkpoint_states(self, L: int) -> np.ndarray:
        """Configurations at the last checkpoint: int8 (n_T, n_chains, n_spins) (Potts studies: uint8 states)."""
        return unpack_states(self._f["checkpoint"][self._size(L)]["states"][()], self.n_spins(L), self.q)

    def datasets(self) -> dict[str, np.ndarray]:
        """Every dataset of the file by its HDF5 path (for comparisons and export)."""
        out = {}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]

        self._f.visititems(visit)
        return out

    def attributes(self) -> dict[str, dict]:
        """Attributes of every group and dataset by HDF5 path ("/" for the root)."""
        out = {"/": dict(self._f.attrs)}
        self._f.visititems(lambda name, obj: out.__setitem__(name, dict(obj.attrs)))
        return out
