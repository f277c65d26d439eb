"""Read study files: numpy arrays indexed by (size, temperature, chain), checked before they are returned.

>>> with StudyFile("ising2d_quick.h5") as f:          # doctest: +SKIP
...     E = f.observable("energy", L=16)               # (n_T, n_chains, n_records), totals
...     s = f.configurations(L=16, temperature_index=3, chain=0)   # int8 (n_conf, 16, 16)
...     f.verify()                                     # [] when every dataset reads back intact

Every dataset carries HDF5's Fletcher-32 checksum, which HDF5 checks on every
read; a chunk that fails it (or a missing dataset) raises
:class:`ebmphys.exceptions.DamagedDataError` naming the dataset, never returns
wrong numbers.  Observables are also checked against physics where it is
cheap: a written energy lies within the lattice's bound
|E| <= N (d |J| + |h|), a written magnetisation is an integer with
|M| <= N and the parity of N, records not yet written are NaN, and the
checkpoint configurations have the magnetisation recorded at their sweep.
:meth:`StudyFile.verify` reads everything and lists each damaged dataset with
the tasks it concerns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from ebmphys.exceptions import DamagedDataError, FileDataError
from ebmphys.storage.layout import CREATOR, FILE_FORMAT, OBSERVABLES, energy_bound, size_group, unpack_states

SLAB_BYTES = 2**26
"""Largest piece :meth:`StudyFile.verify` reads at once (64 MiB)."""

_PARAMETERS = ("sizes", "temperatures", "betas", "seeds", "task_keys")


class StudyFileError(FileDataError):
    """A file that is not a readable ebmphys study file (not HDF5, truncated, foreign)."""


@dataclass(frozen=True)
class Damage:
    """A damaged or missing dataset of a study file.

    Attributes
    ----------
    dataset : str
        HDF5 path of the dataset.
    reason : str
        What is wrong (checksum mismatch, missing, impossible values, ...).
    tasks : frozenset of (size_index, temperature_index, seed_index)
        The tasks whose data it holds (to be re-run); empty for file-wide
        parameters, which a resume rewrites from the spec.
    """

    dataset: str
    reason: str
    tasks: frozenset


def _reason(exc: BaseException) -> str:
    text = str(exc).split("\n")[0]
    if "filter returned failure" in text or "checksum" in text.lower() or "data error" in text.lower():
        return "checksum mismatch (Fletcher-32)"
    return f"unreadable ({text.split('(')[0].strip() or type(exc).__name__})"


def open_study_file(path: Path) -> h5py.File:
    """The HDF5 file at ``path``, open for reading.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    StudyFileError
        If HDF5 cannot open it (not HDF5, truncated, corrupt).
    """
    if not path.exists():
        raise FileNotFoundError(f"study file {str(path)!r} does not exist")
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        reason = str(exc).split("(")[0].strip().rstrip(":") or type(exc).__name__
        raise StudyFileError(f"{path} is not a readable HDF5 file (truncated or corrupt?): {reason}") from None


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
    ebmphys.exceptions.DamagedDataError
        If the list of sizes cannot be read.  Other damage is reported when the data
        are read (or by :meth:`verify`).
    """

    def __init__(self, path):
        self.path = Path(path)
        self._f = open_study_file(self.path)
        try:
            self._check()
        except FileDataError:
            self._f.close()
            raise
        except (KeyError, OSError, RuntimeError) as exc:
            self._f.close()
            raise StudyFileError(f"{self.path} is damaged or incomplete: {exc}") from None

    def _check(self) -> None:
        f = self._f
        if f.attrs.get("creator") != CREATOR or f.attrs.get("file_format") != FILE_FORMAT:
            raise StudyFileError(f"{self.path} is not an ebmphys study file (no {FILE_FORMAT!r} marker)")
        if "parameters" not in f:
            raise self._damaged("parameters", "missing")
        par = f["parameters"]
        self.spec_toml: str = par.attrs["spec_toml"]
        self.fingerprint: str = par.attrs["spec_fingerprint"]
        self.package_version: str = par.attrs["package_version"]
        self.name: str = par.attrs["study_name"]
        self.dimension = int(par.attrs["dimension"])
        #: "ising", or "phi4" for a phi^4 study (then J and h are NaN and ``lams``, ``kappas`` hold the grid)
        self.model_type: str = str(par.attrs.get("model_type", "ising"))
        self.J = float(par.attrs.get("J", np.nan))
        self.h = float(par.attrs.get("h", np.nan))
        self.lams: np.ndarray | None = par["lams"][()] if "lams" in par else None
        self.kappas: np.ndarray | None = par["kappas"][()] if "kappas" in par else None
        #: 0 for an Ising study, the number of states of a Potts study
        self.q = int(par.attrs.get("q", 0))
        self.n_chains_per_seed = int(par.attrs["n_chains_per_seed"])
        self.total_sweeps = int(par.attrs["total_sweeps"])
        self._parameters: dict[str, np.ndarray | Damage] = {}
        for name in _PARAMETERS:
            try:
                self._parameters[name] = self._read(f"parameters/{name}")
            except DamagedDataError as exc:
                self._parameters[name] = Damage(f"parameters/{name}", exc.reason, frozenset())
        sizes = self._parameter("sizes")
        self.sizes: list[int] = sizes.tolist()
        n_configurations = par.attrs.get("n_configurations")
        self.has_configurations = bool(n_configurations) if n_configurations is not None else "particles" in f

    # ------------------------------------------------------------------ guarded access
    def _damaged(self, dataset: str, reason: str) -> DamagedDataError:
        return DamagedDataError(f"{self.path}: dataset {dataset} is damaged: {reason} "
                                f"(ebmphys inspect --verify lists all damage)", self.path, [dataset], reason)

    def _dataset(self, name: str) -> h5py.Dataset:
        try:
            obj = self._f[name]
        except (KeyError, ValueError):
            raise self._damaged(name, "missing") from None
        except (OSError, RuntimeError) as exc:
            raise self._damaged(name, _reason(exc)) from None
        if not isinstance(obj, h5py.Dataset):
            raise self._damaged(name, "not a dataset")
        return obj

    def _read(self, name: str, selection=()) -> np.ndarray:
        dataset = self._dataset(name)
        try:
            return dataset[selection]
        except (OSError, RuntimeError) as exc:
            raise self._damaged(name, _reason(exc)) from None

    def _parameter(self, name: str) -> np.ndarray:
        value = self._parameters[name]
        if isinstance(value, Damage):
            raise self._damaged(value.dataset, value.reason)
        return value

    @property
    def temperatures(self) -> np.ndarray:
        return self._parameter("temperatures")

    @property
    def betas(self) -> np.ndarray:
        return self._parameter("betas")

    @property
    def seeds(self) -> list[int]:
        return [int(s) for s in self._parameter("seeds")]

    @property
    def task_keys(self) -> np.ndarray:
        return self._parameter("task_keys")

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> StudyFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def n_seeds(self) -> int:
        dataset = self._f["parameters"].get("seeds")
        return len(self.seeds) if dataset is None else int(dataset.shape[0])

    @property
    def n_temperatures(self) -> int:
        dataset = self._f["parameters"].get("temperatures")
        return len(self.temperatures) if dataset is None else int(dataset.shape[0])

    @property
    def n_chains(self) -> int:
        """Chains per (size, temperature): seeds times chains per seed."""
        return self.n_seeds * self.n_chains_per_seed

    @property
    def complete(self) -> bool:
        """True once every task has run all its sweeps and the final write succeeded (the flag only:
        :meth:`verify` checks the data)."""
        return bool(self._f.attrs["complete"])

    def _size(self, L: int) -> str:
        if L not in self.sizes:
            raise ValueError(f"L must be one of the study's sizes {self.sizes}, got {L!r}")
        return size_group(L)

    def n_spins(self, L: int) -> int:
        return int(L) ** self.dimension

    # ------------------------------------------------------------------ checked reads
    def sweeps_done(self, L: int) -> np.ndarray:
        """Sweeps completed by each task at side ``L``: int64 (n_T, n_seeds)."""
        name = f"checkpoint/{self._size(L)}/sweep"
        sweeps = self._read(name)
        if sweeps.shape != (self.n_temperatures, self.n_seeds) or np.any(sweeps < 0) or np.any(sweeps > self.total_sweeps):
            raise self._damaged(name, f"impossible sweep counters (must lie in 0..{self.total_sweeps})")
        return sweeps

    def _steps(self, name: str) -> np.ndarray:
        steps = self._read(f"{name}/step")
        if steps.ndim != 1 or np.any(np.diff(steps) <= 0) or (len(steps) and (steps[0] < 1 or steps[-1] > self.total_sweeps)):
            raise self._damaged(f"{name}/step", "impossible sweep counters")
        return steps

    def record_sweeps(self, L: int) -> np.ndarray:
        """Sweep counters of the observable records (H5MD ``step``)."""
        return self._steps(f"observables/{self._size(L)}/energy")

    def n_records_done(self, L: int) -> np.ndarray:
        """Records written per task at side ``L``: int64 (n_T, n_seeds)."""
        return np.searchsorted(self.record_sweeps(L), self.sweeps_done(L), side="right")

    def _impossible(self, name: str, L: int, values: np.ndarray, n_done: np.ndarray) -> str | None:
        """Why ``values`` (n_rec, ..., chains) of observable ``name`` cannot be right, or None.

        ``n_done`` (broadcast against the trailing axes) counts the records written.
        """
        n = self.n_spins(L)
        written = np.broadcast_to(np.arange(values.shape[0]).reshape((-1,) + (1,) * (values.ndim - 1)) < n_done,
                                  values.shape)
        good, fill = values[written], values[~written]
        if not np.all(np.isnan(fill)):
            return "values beyond the last checkpoint (records not yet written must be NaN)"
        if not np.all(np.isfinite(good)):
            return "missing records (NaN) before the last checkpoint"
        if self.model_type == "phi4":  # real fields: the action and M = sum_x phi_x have no bounds to check
            return None
        if name == "energy":
            bound = energy_bound(self.J, self.h, self.dimension, n) * (1 + 1e-12)
            if good.size and np.max(np.abs(good)) > bound:
                return f"impossible energies (|E| = {np.max(np.abs(good)):.6g} > {bound:.6g}, the largest on this lattice)"
        elif self.q and good.size:
            numerator = good * (self.q - 1)  # q max_a n_a - N: an integer in [0, (q - 1) N]
            if np.min(good) < 0 or np.max(good) > n or np.max(np.abs(numerator - np.round(numerator))) > 1e-6:
                return (f"impossible Potts magnetisations (M = (q max_a n_a - N) / (q - 1) must lie in [0, {n}] "
                        f"with (q - 1) M an integer)")
        elif good.size and (np.max(np.abs(good)) > n or np.any(np.mod(good + n, 2) != 0)):
            return f"impossible magnetisations (M must be an integer with |M| <= {n} and the parity of N = {n})"
        return None

    def _magnetization(self, states: np.ndarray) -> np.ndarray:
        """Total magnetisation of each row: sum of spins, or the Potts order parameter (q max_a n_a - N) / (q - 1)."""
        if not self.q:
            return states.sum(axis=1, dtype=np.int64)
        counts = np.stack([(states == a).sum(axis=1) for a in range(self.q)], axis=1)
        return (self.q * counts.max(axis=1) - states.shape[1]) / (self.q - 1.0)

    def observable(self, name: str, L: int) -> np.ndarray:
        """Time series of ``name`` ("energy" or "magnetization", extensive totals).

        Returns float64 (n_T, n_chains, n_records); records not yet written are NaN.

        Raises
        ------
        ebmphys.exceptions.DamagedDataError
            If the dataset fails its checksum, is missing, or holds values this
            lattice cannot have.
        """
        if name not in OBSERVABLES:
            raise ValueError(f"name must be one of {OBSERVABLES}, got {name!r}")
        path = f"observables/{self._size(L)}/{name}/value"
        values = self._read(path)
        n_done = np.repeat(self.n_records_done(L), self.n_chains_per_seed, axis=1)
        why = self._impossible(name, L, values, n_done[None])
        if why:
            raise self._damaged(path, why)
        return np.transpose(values, (1, 2, 0))

    def configuration_sweeps(self, L: int) -> np.ndarray:
        """Sweep counters of the stored configurations (empty when none are recorded)."""
        if not self.has_configurations:
            return np.zeros(0, dtype=np.int64)
        return self._steps(f"particles/{self._size(L)}/spins")

    def configurations(self, L: int, temperature_index: int, chain: int) -> np.ndarray:
        """Stored configurations of one chain: int8 (n_configurations, L, ..., L) in {-1, +1}.

        Configurations not yet written read as all -1 (Potts studies: uint8 states, unwritten ones 0).
        """
        name = self._size(L)
        if not self.has_configurations:
            raise ValueError(f"{self.path} holds no configurations (record.configurations_every = 0)")
        packed = self._read(f"particles/{name}/spins/value", (slice(None), temperature_index, chain, slice(None)))
        return unpack_states(packed, self.n_spins(L), self.q).reshape((-1,) + (L,) * self.dimension)

    def checkpoint_states(self, L: int) -> np.ndarray:
        """Configurations at the last checkpoint: int8 (n_T, n_chains, n_spins) (Potts studies: uint8 states;
        phi^4: float64 fields)."""
        states = self._read(f"checkpoint/{self._size(L)}/states")
        if self.model_type == "phi4":
            return states
        return unpack_states(states, self.n_spins(L), self.q)

    def datasets(self) -> dict[str, np.ndarray]:
        """Every dataset of the file by its HDF5 path (for comparisons and export)."""
        names = []
        self._f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
        return {name: self._read(name) for name in names}

    def attributes(self) -> dict[str, dict]:
        """Attributes of every group and dataset by HDF5 path ("/" for the root)."""
        out = {"/": dict(self._f.attrs)}
        self._f.visititems(lambda name, obj: out.__setitem__(name, dict(obj.attrs)))
        return out

    # ------------------------------------------------------------------ verification
    def data_bytes(self, configurations: bool = True) -> int:
        """Bytes of data :meth:`verify` reads (logical size, before compression)."""
        total = 0

        def visit(name, obj):
            nonlocal total
            if isinstance(obj, h5py.Dataset) and (configurations or not name.startswith("particles/")):
                total += obj.size * obj.dtype.itemsize

        self._f.visititems(visit)
        return total

    def verify(self, configurations: bool = True) -> list[Damage]:
        """Read every dataset (checksums verified by HDF5) and check the observables' physics.

        Parameters
        ----------
        configurations : bool
            Also read the stored configurations (the bulk of a file that stores them).

        Returns
        -------
        list of Damage
            One entry per damaged or missing dataset (empty for an intact file).
        """
        found: dict[str, Damage] = {}

        def note(dataset: str, reason: str, tasks) -> None:
            old = found.get(dataset)
            found[dataset] = Damage(dataset, old.reason if old else reason, (old.tasks if old else frozenset()) | frozenset(tasks))

        for value in self._parameters.values():
            if isinstance(value, Damage):
                found[value.dataset] = value
        n_t, n_seeds, c = self.n_temperatures, self.n_seeds, self.n_chains_per_seed
        for i, L in enumerate(self.sizes):
            g = size_group(L)
            every = [(i, t, k) for t in range(n_t) for k in range(n_seeds)]
            try:
                sweeps = self.sweeps_done(L)
            except DamagedDataError as exc:
                note(exc.datasets[0], exc.reason, every)
                sweeps = None
            last_m: dict[tuple[int, int], np.ndarray] = {}
            series = [(f"observables/{g}/{o}", o) for o in OBSERVABLES]
            if self.has_configurations:
                series.append((f"particles/{g}/spins", "spins"))
            for base, kind in series:
                try:
                    steps = self._steps(base)
                    if not np.array_equal(self._read(f"{base}/time"), steps):
                        raise self._damaged(f"{base}/time", "differs from step")
                    value = self._dataset(f"{base}/value")
                except DamagedDataError as exc:
                    note(exc.datasets[0], exc.reason, every)
                    continue
                if kind == "spins" and not configurations:
                    continue
                row_bytes = max(1, int(np.prod(value.shape[2:])) * value.dtype.itemsize // n_seeds)
                rows = max(1, SLAB_BYTES // row_bytes)
                for t in range(n_t):
                    for k in range(n_seeds):
                        chains = slice(k * c, (k + 1) * c)
                        n_done = None if sweeps is None else int(np.searchsorted(steps, sweeps[t, k], side="right"))
                        try:
                            for r in range(0, max(1, value.shape[0]), rows):
                                part = value[r:r + rows, t, chains]
                                if kind != "spins" and n_done is not None:
                                    why = self._impossible(kind, L, part, n_done - r)
                                    if why:
                                        note(f"{base}/value", why, [(i, t, k)])
                                        break
                                    if kind == "magnetization" and 0 < n_done <= r + len(part) and steps[n_done - 1] == sweeps[t, k]:
                                        last_m[t, k] = part[n_done - 1 - r]
                        except (OSError, RuntimeError) as exc:
                            note(f"{base}/value", _reason(exc), [(i, t, k)])
            name = f"checkpoint/{g}/states"
            try:
                states = self._dataset(name)
            except DamagedDataError as exc:
                note(name, exc.reason, every)
                continue
            for t in range(n_t):
                for k in range(n_seeds):
                    try:
                        packed = states[t, k * c:(k + 1) * c, :]
                    except (OSError, RuntimeError) as exc:
                        note(name, _reason(exc), [(i, t, k)])
                        continue
                    if (t, k) in last_m and self.model_type != "phi4":
                        m = self._magnetization(unpack_states(packed, self.n_spins(L), self.q))
                        if not np.array_equal(m, last_m[t, k]):
                            note(name, "configurations that do not have the magnetisation recorded at their sweep", [(i, t, k)])
        return sorted(found.values(), key=lambda d: d.dataset)
