"""Study specifications: TOML files checked against a schema.

The validation helpers are generic: a schema is a nested mapping from key names
to :class:`Key` (type, range, choices, default) or to a sub-schema (a TOML
table).  :func:`validate` fills defaults and raises :class:`SpecError` whose
message names the key path, the value and what is allowed, with a did-you-mean
for misspelt keys.  Other commands (``ebmphys train``) reuse them with their own
schema.

The study schema (:data:`STUDY_SCHEMA`) describes a Monte Carlo study of the
nearest-neighbour Ising model on periodic hypercubic lattices; the conventions
are the package's (k_B = 1, beta = 1/T, E = -J sum_<ij> s_i s_j - h sum_i s_i).
A spec with ``model.type = "potts"`` describes the q-state Potts model instead
(E = -J sum_<ij> delta(s_i, s_j)), with the same tables (:data:`POTTS_STUDY_SCHEMA`)
or, with ``sampling.algorithm = "wang-landau"``, a density-of-states study
(:data:`POTTS_DOS_SCHEMA`: Wang-Landau walkers per size and seed, analysed for a
first-order transition).  :func:`parse_study` picks the schema from these two keys.

A spec with ``model.type = "phi4"`` follows :data:`PHI4_SCHEMA` instead: the
lattice phi^4 theory (:class:`ebmphys.models.Phi4Lattice`, weights exp(-S)) on
periodic L^d lattices, with a grid of hopping parameters kappa for each quartic
coupling lam in place of the temperatures.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import numbers
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ebmphys.exceptions import DeviceError, ResourceError
from ebmphys.limits import require_memory
from ebmphys.sampling.registry import DEVICES, algorithms, check_device

REQUIRED = object()
"""Marker default of a key that the spec must give."""


class SpecError(ValueError):
    """A spec that cannot be used; the message names the key, the value and what is allowed."""


@dataclass(frozen=True)
class Key:
    """One key of a schema.

    Parameters
    ----------
    kind : {"int", "float", "str", "bool", "int_list", "float_list", "str_list"}
        TOML type; a float key also accepts integers, a list key needs a non-empty array.
    default : object
        Value used when the key is absent; :data:`REQUIRED` makes it mandatory.
    minimum, maximum : float, optional
        Inclusive bounds on the value (on every item of a list).
    exclusive_minimum : bool
        Make ``minimum`` a strict bound.
    choices : tuple, optional
        Allowed values (of every item of a list).
    doc : str
        One-line description, shown by ``describe``.
    """

    kind: str
    default: Any = REQUIRED
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    choices: tuple | None = None
    doc: str = ""

    def allowed(self) -> str:
        """Describe the allowed values in words."""
        base = {"int": "an integer", "float": "a number", "str": "a string", "bool": "true or false",
                "int_list": "a non-empty array of integers", "float_list": "a non-empty array of numbers",
                "str_list": "a non-empty array of strings"}[self.kind]
        extra = []
        if self.choices is not None:
            extra.append("one of " + ", ".join(repr(c) for c in self.choices))
        if self.minimum is not None:
            extra.append(f"{'>' if self.exclusive_minimum else '>='} {self.minimum:g}")
        if self.maximum is not None:
            extra.append(f"<= {self.maximum:g}")
        return base + (f" ({', '.join(extra)})" if extra else "")


def did_you_mean(name: str, candidates) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest candidate, or ``""``."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_scalar(path: str, key: Key, kind: str, value):
    fail = SpecError(f"{path} = {value!r} is not allowed: expected {key.allowed()}")
    if kind == "int" and not _is_int(value):
        raise fail
    if kind == "float":
        if not _is_real(value) or not math.isfinite(value):
            raise fail
        value = float(value)
    if kind == "str" and not isinstance(value, str):
        raise fail
    if kind == "bool" and not isinstance(value, bool):
        raise fail
    if key.choices is not None and value not in key.choices:
        raise SpecError(f"{path} = {value!r} is not allowed: expected {key.allowed()}{did_you_mean(str(value), key.choices)}")
    if key.minimum is not None and (value < key.minimum or (key.exclusive_minimum and value == key.minimum)):
        raise fail
    if key.maximum is not None and value > key.maximum:
        raise fail
    return value


def _check_value(path: str, key: Key, value):
    if key.kind.endswith("_list"):
        if not isinstance(value, list) or not value:
            raise SpecError(f"{path} = {value!r} is not allowed: expected {key.allowed()}")
        item_kind = key.kind[: -len("_list")]
        return [_check_scalar(f"{path}[{i}]", key, item_kind, v) for i, v in enumerate(value)]
    return _check_scalar(path, key, key.kind, value)


def validate(data: dict, schema: dict, where: str = "") -> dict:
    """Check ``data`` against ``schema``; return a new dict with defaults filled in.

    Raises
    ------
    SpecError
        For an unknown key (with a did-you-mean), a missing required key, a value of
        the wrong type or out of range; the message names the dotted key path.
    """
    out = {}
    for name in data:
        if name not in schema:
            raise SpecError(f"unknown key {where + name!r}{did_you_mean(name, schema)}; "
                            f"allowed keys{' in [' + where[:-1] + ']' if where else ''}: {', '.join(schema)}")
    for name, key in schema.items():
        path = where + name
        if isinstance(key, dict):
            table = data.get(name, {})
            if not isinstance(table, dict):
                raise SpecError(f"{path} must be a table [{path}], got {table!r}")
            out[name] = validate(table, key, path + ".")
        elif name in data:
            out[name] = _check_value(path, key, data[name])
        elif key.default is REQUIRED:
            raise SpecError(f"missing required key {path!r}: expected {key.allowed()}")
        else:
            out[name] = key.default
    return out


def describe(schema: dict, where: str = "") -> list[str]:
    """One line per key: dotted path, allowed values, default and description."""
    lines = []
    for name, key in schema.items():
        if isinstance(key, dict):
            lines += describe(key, where + name + ".")
        else:
            default = "required" if key.default is REQUIRED else f"default {key.default!r}"
            lines.append(f"{where + name}: {key.allowed()}; {default}. {key.doc}")
    return lines


def parse_toml(text: str, source: str = "spec") -> dict:
    """Parse TOML text; a syntax error becomes a one-line :class:`SpecError` naming ``source``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source} is not valid TOML: {exc}") from None


_POSITIVE = {"minimum": 0.0, "exclusive_minimum": True}

STUDY_SCHEMA = {
    "study": {
        "name": Key("str", doc="Name of the study (labels files and plots)."),
        "description": Key("str", "", doc="Free text."),
        "output": Key("str", "", doc="HDF5 output path, relative to the working directory; default <spec name>.h5."),
    },
    "model": {
        "type": Key("str", "ising", choices=("ising", "potts", "phi4"),
                    doc="Nearest-neighbour Ising model on a periodic hypercubic lattice (potts: see POTTS_STUDY_SCHEMA; "
                        "phi4: see PHI4_SCHEMA)."),
        "dimension": Key("int", minimum=1, maximum=4, doc="Lattice dimension d (2: square, 3: simple cubic)."),
        "sizes": Key("int_list", minimum=2, doc="Side lengths L (lattices L^d); even, for checkerboard updates."),
        "J": Key("float", 1.0, doc="Coupling (energy unit; J > 0 ferromagnetic)."),
        "h": Key("float", 0.0, doc="Uniform field (h > 0 favours s = +1)."),
    },
    "temperatures": {
        "values": Key("float_list", None, **_POSITIVE, doc="Temperatures T = 1/beta (k_B = 1)."),
        "min": Key("float", None, **_POSITIVE, doc="Lowest T of an evenly spaced range."),
        "max": Key("float", None, **_POSITIVE, doc="Highest T of the range."),
        "count": Key("int", None, minimum=1, doc="Number of temperatures in the range."),
    },
    "sampling": {
        "algorithm": Key("str", "metropolis", choices=algorithms("lattice-ising"), doc="Update algorithm."),
        "device": Key("str", "cpu", choices=DEVICES, doc="Where the chains run (cpu, cuda or auto; the data do not "
                                                         "depend on it, so a run may resume on another device)."),
        "n_sweeps": Key("int", minimum=1, doc="Sweeps after burn-in (one sweep = N spin-update attempts, "
                                              "or one cluster update for wolff and swendsen-wang)."),
        "burn_in": Key("int", 0, minimum=0, doc="Sweeps discarded first."),
        "n_chains": Key("int", 1, minimum=1, doc="Independent chains per seed, size and temperature."),
        "seeds": Key("int_list", [0], minimum=0, maximum=2**63 - 1,
                     doc="Study seeds; one task per size, temperature and seed."),
    },
    "record": {
        "observables_every": Key("int", 1, minimum=1, doc="Record E and M every k sweeps (n_sweeps must be a multiple)."),
        "configurations_every": Key("int", 0, minimum=0, doc="Store the configurations every m sweeps "
                                                             "(0: never; a multiple of observables_every)."),
        "compression": Key("str", "none", choices=("gzip", "lzf", "none"), doc="Compression of the bit-packed "
                           "configurations: none (default; bit-packing alone is 8x smaller than int8 and "
                           "costs nothing), lzf, or gzip (about 30% smaller again near T_c, but about "
                           "40% slower when storing every sweep; see BENCHMARKS.md)."),
    },
    "checkpoint": {
        "sweeps": Key("int", 1000, minimum=1, doc="Sweeps per unit of work; the file can be resumed at these boundaries."),
        "seconds": Key("float", 30.0, minimum=0.0, doc="Write the file at most this often, and at most every 9 "
                       "times the last write took, which grows with the file (0: after every unit of work)."),
    },
}
"""Schema of a study spec (``ebmphys run``)."""

POTTS_MODEL_SCHEMA = {
    "type": Key("str", choices=("potts",), doc="Nearest-neighbour q-state Potts model on a periodic hypercubic lattice."),
    "q": Key("int", minimum=2, maximum=254, doc="Number of Potts states."),
    "dimension": Key("int", minimum=1, maximum=4, doc="Lattice dimension d (2: square, 3: simple cubic)."),
    "sizes": Key("int_list", minimum=2, doc="Side lengths L (periodic L^d lattices; odd sides allowed)."),
    "J": Key("float", 1.0, doc="Coupling (energy unit; J > 0 ferromagnetic): E = -J sum_<ij> delta(s_i, s_j)."),
}

POTTS_STUDY_SCHEMA = {
    **STUDY_SCHEMA,
    "model": POTTS_MODEL_SCHEMA,
    "sampling": {
        **STUDY_SCHEMA["sampling"],
        "algorithm": Key("str", "swendsen-wang", choices=algorithms("lattice-potts"), doc="Update algorithm."),
    },
}
"""Schema of a Potts study: the Ising tables with a Potts model table (the magnetization recorded is
the extensive Potts order parameter M = (q max_a n_a - N) / (q - 1))."""

POTTS_DOS_SCHEMA = {
    "study": STUDY_SCHEMA["study"],
    "model": POTTS_MODEL_SCHEMA,
    "sampling": {
        "algorithm": Key("str", choices=("wang-landau",), doc="Wang-Landau density of states (1/t refinement)."),
        "device": STUDY_SCHEMA["sampling"]["device"],
        "n_chains": Key("int", 4, minimum=2, doc="Wang-Landau walkers per size and seed (their spread gives errors)."),
        "seeds": STUDY_SCHEMA["sampling"]["seeds"],
    },
    "wang_landau": {
        "flatness": Key("float", 0.8, minimum=0.0, maximum=1.0, exclusive_minimum=True,
                        doc="Flatness threshold of the first phase."),
        "log_f_final": Key("float", 1e-5, minimum=0.0, maximum=1.0, exclusive_minimum=True,
                           doc="Final modification factor ln f."),
        "check_every_sweeps": Key("int", 10, minimum=1, doc="Sweeps between flatness checks."),
        "max_sweeps": Key("int", 10**7, minimum=1, doc="Upper limit on the sweeps of a walker."),
        "energy_min": Key("float", None, doc="Lower end of the energy window, per site (default: the whole range)."),
        "energy_max": Key("float", None, doc="Upper end of the energy window, per site."),
    },
    "analysis": {
        "beta_min": Key("float", None, minimum=0.0, doc="Bracket of the equal-height search (default beta_c - 5%)."),
        "beta_max": Key("float", None, minimum=0.0, doc="Upper end of the bracket (default beta_c + 5%)."),
    },
}
"""Schema of a Potts density-of-states study (``sampling.algorithm = "wang-landau"``)."""

#: algorithms of a phi^4 study (no adaptive settings, so jobs cut anywhere resume bit for bit)
PHI4_ALGORITHMS = ("metropolis", "wolff")

PHI4_SCHEMA = {
    "study": STUDY_SCHEMA["study"],
    "model": {
        "type": Key("str", choices=("phi4",), doc="Lattice phi^4 theory, S = sum_x [-2 kappa sum_mu phi_x "
                                                  "phi_{x+mu} + phi_x^2 + lam (phi_x^2 - 1)^2], weights exp(-S)."),
        "dimension": Key("int", minimum=1, maximum=4, doc="Lattice dimension d."),
        "sizes": Key("int_list", minimum=2, doc="Side lengths L (periodic L^d lattices); even (checkerboard)."),
    },
    "couplings": {
        "lam": Key("float_list", minimum=0.0, doc="Quartic couplings lam >= 0, one series of kappas each."),
        "kappa_min": Key("float_list", doc="Smallest kappa of each series (one per lam)."),
        "kappa_max": Key("float_list", doc="Largest kappa of each series (one per lam)."),
        "count": Key("int", minimum=1, doc="Evenly spaced kappas per series."),
        "step_size": Key("float_list", None, **_POSITIVE, doc="Half-width of the uniform single-site proposal of "
                         "each series (one per lam; default 1.0 each; large lam needs smaller steps)."),
    },
    "sampling": {
        "algorithm": Key("str", "wolff", choices=PHI4_ALGORITHMS, doc="metropolis (checkerboard single-site "
                         "sweeps) or wolff (each sweep followed by n_clusters embedded-Ising clusters)."),
        "n_clusters": Key("int", 1, minimum=1, maximum=255, doc="Wolff clusters per sweep (wolff only)."),
        "device": STUDY_SCHEMA["sampling"]["device"],
        "n_sweeps": Key("int", minimum=1, doc="Sweeps after burn-in."),
        "burn_in": Key("int", 0, minimum=0, doc="Sweeps discarded first."),
        "n_chains": Key("int", 1, minimum=1, doc="Independent chains per seed, size and coupling."),
        "seeds": STUDY_SCHEMA["sampling"]["seeds"],
    },
    "record": {
        "observables_every": Key("int", 1, minimum=1, doc="Record S and M every k sweeps (n_sweeps must be a "
                                                          "multiple)."),
    },
    "checkpoint": STUDY_SCHEMA["checkpoint"],
}
"""Schema of a phi^4 study spec (``model.type = "phi4"``)."""

# keys that may change between a run and its resume without changing the data
RESUMABLE_KEYS = (("study", "output"), ("study", "description"), ("sampling", "device"), ("checkpoint", "sweeps"),
                  ("checkpoint", "seconds"))


@dataclass(frozen=True)
class StudySpec:
    """A validated study spec.

    Attributes
    ----------
    text : str
        The TOML source, stored verbatim in the output file.
    data : dict
        The validated values with defaults filled in (nested by table).
    source : str
        Where the text came from (file path), for messages.
    """

    text: str
    data: dict
    source: str = "spec"

    @property
    def name(self) -> str:
        return self.data["study"]["name"]

    @property
    def q(self) -> int:
        """0 for an Ising study, the number of Potts states for a Potts study."""
        return self.data["model"].get("q", 0)

    @property
    def density_of_states(self) -> bool:
        """True for a Wang-Landau (density-of-states) study."""
        return self.data["sampling"]["algorithm"] == "wang-landau"

    @property
    def model_type(self) -> str:
        """"ising" or "phi4"."""
        return self.data["model"]["type"]

    @property
    def couplings(self) -> tuple[np.ndarray, np.ndarray]:
        """phi^4 only: (lam, kappa) of every grid point, float64 (n_points,) each, series after series."""
        c = self.data["couplings"]
        kappas = [np.linspace(a, b, c["count"]) for a, b in zip(c["kappa_min"], c["kappa_max"])]
        lams = [np.full(c["count"], lam) for lam in c["lam"]]
        return np.concatenate(lams), np.concatenate(kappas)

    @property
    def step_sizes(self) -> np.ndarray:
        """phi^4 only: the single-site proposal half-width of every grid point."""
        c = self.data["couplings"]
        steps = c["step_size"] if c["step_size"] is not None else [1.0] * len(c["lam"])
        return np.repeat(np.asarray(steps, dtype=np.float64), c["count"])

    @property
    def n_points(self) -> int:
        """Grid points per size: temperatures (Ising) or (lam, kappa) couplings (phi^4)."""
        return len(self.couplings[0]) if self.model_type == "phi4" else len(self.temperatures)

    @property
    def dimension(self) -> int:
        return self.data["model"]["dimension"]

    @property
    def sizes(self) -> list[int]:
        return self.data["model"]["sizes"]

    @property
    def temperatures(self) -> np.ndarray:
        """Temperatures T (k_B = 1), float64, in the order of the spec (phi^4: T = 1 at every grid point)."""
        if self.model_type == "phi4":
            return np.ones(self.n_points)
        t = self.data["temperatures"]
        if t["values"] is not None:
            return np.array(t["values"], dtype=np.float64)
        return np.linspace(t["min"], t["max"], t["count"])

    @property
    def seeds(self) -> list[int]:
        return self.data["sampling"]["seeds"]

    @property
    def n_chains_total(self) -> int:
        """Chains per (size, temperature): seeds times chains per seed."""
        return len(self.seeds) * self.data["sampling"]["n_chains"]

    def fingerprint(self) -> str:
        """SHA-256 of the values that determine the data (all but :data:`RESUMABLE_KEYS`)."""
        data = json.loads(json.dumps(self.data))
        for table, key in RESUMABLE_KEYS:
            data.get(table, {}).pop(key, None)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _check_common(data: dict) -> None:
    """Checks every study kind shares: sizes and seeds do not repeat, the device is usable."""
    sizes = data["model"]["sizes"]
    if len(set(sizes)) != len(sizes):
        raise SpecError(f"model.sizes = {sizes} must not repeat a size")
    seeds = data["sampling"]["seeds"]
    if len(set(seeds)) != len(seeds):
        raise SpecError(f"sampling.seeds = {seeds} must not repeat a seed")
    try:
        check_device(data["sampling"]["device"])
    except DeviceError as exc:
        raise SpecError(f"sampling.device = {data['sampling']['device']!r} is not usable: {exc}") from None


def _check_dos(data: dict) -> None:
    _check_common(data)
    for table, low, high in (("wang_landau", "energy_min", "energy_max"), ("analysis", "beta_min", "beta_max")):
        a, b = data[table][low], data[table][high]
        if (a is None) != (b is None):
            raise SpecError(f"give both {table}.{low} and {table}.{high}, or neither")
        if a is not None and not a < b:
            raise SpecError(f"{table}.{low} = {a} must be below {table}.{high} = {b}")
    if data["model"]["J"] == 0:
        raise SpecError("model.J = 0.0 is not allowed: Wang-Landau needs a coupling (a single energy level otherwise)")


T_MIN = 1.0 / np.finfo(np.float64).max
"""Lowest temperature whose beta = 1/T is a finite float64 (about 5.6e-309)."""


def _check_temperatures(t: dict) -> None:
    ranged = [t[k] is not None for k in ("min", "max", "count")]
    if t["values"] is not None and any(ranged):
        raise SpecError("give either temperatures.values or temperatures.min/max/count, not both")
    if t["values"] is None:
        if not all(ranged):
            missing = [k for k, given in zip(("min", "max", "count"), ranged) if not given]
            raise SpecError(f"temperatures need 'values' or all of min, max, count; missing temperatures.{missing[0]}")
        if t["min"] > t["max"] or (t["count"] > 1 and t["min"] == t["max"]):
            raise SpecError(f"temperatures.min = {t['min']} must be below temperatures.max = {t['max']}")
        named = [("temperatures.min", t["min"]), ("temperatures.max", t["max"])]
    else:
        named = [(f"temperatures.values[{i}]", T) for i, T in enumerate(t["values"])]
    for key, T in named:
        if not (T >= T_MIN and math.isfinite(1.0 / T)):
            raise SpecError(f"{key} = {T!r} is not allowed: beta = 1/T must be a finite number (T >= {T_MIN:.3g})")
    if t["values"] is not None:
        seen = {}
        for i, T in enumerate(t["values"]):
            if T in seen:
                raise SpecError(f"temperatures.values = {t['values']} must not repeat a temperature: "
                                f"values[{seen[T]}] = values[{i}] = {T!r}")
            seen[T] = i


def _check_energy_scale(data: dict) -> None:
    """Energies |E| <= N (d |J| + |h|) must be finite, and so must E^2 (the specific heat needs it)."""
    m = data["model"]
    L, d = max(m["sizes"]), m["dimension"]
    bound = float(L) ** d * (d * abs(m["J"]) + abs(m.get("h", 0.0)))
    if not math.isfinite(bound * bound):
        key = "model.J" if d * abs(m["J"]) >= abs(m.get("h", 0.0)) else "model.h"
        raise SpecError(f"{key} = {m[key.split('.')[1]]!r} is not allowed: energies on the L = {L} lattice reach "
                        f"N (d |J| + |h|) = {bound:.3g}, whose square (needed for the specific heat) overflows float64")


@dataclass(frozen=True)
class StudyResources:
    """Estimated memory and disk of a study, computed from the spec alone (Python ints: no overflow).

    Attributes
    ----------
    job_memory : int
        Bytes one worker needs to run one job of the largest lattice: lattice tables
        (neighbour indices and their construction), the chains' configurations and
        cluster work arrays, and the job's records.
    runner_memory : int
        Bytes the process writing the file holds: the latest configurations of every
        task, task bookkeeping and the record times.
    summary_memory : int
        Bytes the summary (run, plot) needs to analyse the largest size.
    file_bytes : int
        Size of the finished study file (uncompressed data).
    n_tasks : int
    largest : str
        The largest lattice and its chains, in words (for messages).
    """

    job_memory: int
    runner_memory: int
    summary_memory: int
    file_bytes: int
    n_tasks: int
    largest: str

    def memory(self, workers: int = 1) -> int:
        """Peak bytes with ``workers`` workers: the run (writer + jobs), or the summary afterwards."""
        return max(self.runner_memory + workers * self.job_memory, self.summary_memory)


_CLUSTER_ALGORITHMS = ("wolff", "swendsen-wang")
_TASK_OVERHEAD = 2048  # bytes of Python objects per task (Task, job queue, futures)


def study_resources(data: dict) -> StudyResources:
    """Estimate the memory and disk a validated spec needs (see :class:`StudyResources`)."""
    m, smp, rec = data["model"], data["sampling"], data["record"]
    d, chains = m["dimension"], smp["n_chains"]
    if m["type"] == "phi4":  # a grid of couplings; real fields (8 bytes a site), no stored configurations
        n_t, site_bytes, every = len(data["couplings"]["lam"]) * data["couplings"]["count"], 8.0, 0
    else:
        t = data["temperatures"]
        n_t, site_bytes, every = (len(t["values"]) if t["values"] is not None else t["count"]), 1 / 8, \
            rec["configurations_every"]
    n_seeds = len(smp["seeds"])
    total = smp["burn_in"] + smp["n_sweeps"]
    n_rec = smp["n_sweeps"] // rec["observables_every"]
    n_conf = smp["n_sweeps"] // every if every else 0
    job = min(total, -(-data["checkpoint"]["sweeps"] // rec["observables_every"]) * rec["observables_every"])
    n_jobs = -(-total // job)
    L = max(m["sizes"])
    N = L**d
    nb = math.ceil(N * site_bytes)
    tables = N * (8 + 40 * d)  # int32 neighbour table and its int64 construction
    work = chains * N * (3 + (32 if smp["algorithm"] in _CLUSTER_ALGORITHMS else 0))
    job_records = chains * (16 * (job // rec["observables_every"])
                            + (job // every * nb if every else 0))
    n_tasks = len(m["sizes"]) * n_t * n_seeds
    states = sum(n_t * n_seeds * chains * size**d for size in m["sizes"])
    runner = 2 * states + n_tasks * (_TASK_OVERHEAD + 40 * n_jobs) + 32 * n_rec + 2 * job_records
    summary = 40 * n_rec * n_t * n_seeds * chains + 32 * n_rec
    per_size = [n_t * n_seeds * chains * (16 * n_rec + (n_conf + 1) * math.ceil(size**d * site_bytes))
                + 32 * (n_rec + n_conf)
                for size in m["sizes"]]
    return StudyResources(
        job_memory=tables + work + job_records, runner_memory=runner, summary_memory=summary,
        file_bytes=sum(per_size) + 2**16, n_tasks=n_tasks,
        largest=f"L = {L} ({N:.3g} spins) x {chains} chain(s), {smp['algorithm']}",
    )


def _check_sizes(data: dict) -> None:
    """Refuse a spec whose run or summary cannot fit in memory (the disk is checked when the output is known)."""
    r = study_resources(data)
    smp = data["sampling"]
    n_rec = smp["n_sweeps"] // data["record"]["observables_every"]
    if r.summary_memory >= r.runner_memory + r.job_memory:
        what = (f"the summary of {n_rec:.3g} records x {r.n_tasks // len(data['model']['sizes'])} "
                f"(temperature, seed) points x {smp['n_chains']} chain(s) per size (sampling.n_sweeps / "
                f"record.observables_every, temperatures, sampling.seeds, sampling.n_chains)")
    elif r.job_memory >= r.runner_memory:
        what = f"sampling {r.largest} (model.sizes, sampling.n_chains)"
    else:
        what = (f"running {r.n_tasks:.3g} tasks of up to {r.largest} (model.sizes, temperatures, sampling.seeds, "
                f"sampling.n_chains, checkpoint.sweeps)")
    try:
        require_memory(r.memory(), what)
    except ResourceError as exc:
        raise SpecError(str(exc)) from None


def _check_study(data: dict) -> None:
    _check_temperatures(data["temperatures"])
    _check_energy_scale(data)
    sizes = data["model"]["sizes"]
    odd = [L for L in sizes if L % 2]
    if odd and data["model"]["type"] == "ising":
        raise SpecError(f"model.sizes = {sizes} must be even (periodic checkerboard updates); odd: {odd}")
    _check_common(data)
    every = data["record"]["observables_every"]
    if data["sampling"]["n_sweeps"] % every:
        raise SpecError(f"sampling.n_sweeps = {data['sampling']['n_sweeps']} must be a multiple of "
                        f"record.observables_every = {every}")
    conf = data["record"]["configurations_every"]
    if conf > data["sampling"]["n_sweeps"]:
        raise SpecError(f"record.configurations_every = {conf} must not exceed sampling.n_sweeps = {data['sampling']['n_sweeps']}")
    if conf % every:
        raise SpecError(f"record.configurations_every = {conf} must be a multiple of record.observables_every = {every}")
    _check_sizes(data)
    t = data["temperatures"]
    if t["values"] is None and len(np.unique(np.linspace(t["min"], t["max"], t["count"]))) != t["count"]:
        raise SpecError(f"temperatures.count = {t['count']} repeats temperatures between temperatures.min = "
                        f"{t['min']!r} and temperatures.max = {t['max']!r} (closer than float64 resolution)")


def _check_phi4(data: dict) -> None:
    """Consistency of a phi^4 spec (every grid point must give a valid model)."""
    from ebmphys.models import Phi4Lattice

    c = data["couplings"]
    n = len(c["lam"])
    for key in ("kappa_min", "kappa_max", "step_size"):
        if c[key] is not None and len(c[key]) != n:
            raise SpecError(f"couplings.{key} = {c[key]} must have one value per lam ({n} values, couplings.lam = "
                            f"{c['lam']})")
    if len(set(c["lam"])) != n:
        raise SpecError(f"couplings.lam = {c['lam']} must not repeat a value")
    d = data["model"]["dimension"]
    for i, (lam, lo, hi) in enumerate(zip(c["lam"], c["kappa_min"], c["kappa_max"])):
        if lo > hi or (c["count"] > 1 and lo == hi):
            raise SpecError(f"couplings.kappa_min[{i}] = {lo} must be below couplings.kappa_max[{i}] = {hi}")
        if data["sampling"]["algorithm"] == "wolff" and lo < 0:
            raise SpecError(f"couplings.kappa_min[{i}] = {lo} is not allowed with sampling.algorithm = 'wolff': "
                            f"expected kappa >= 0 (ferromagnetic embedded Ising model)")
        for kappa in (lo, hi):
            try:
                Phi4Lattice((4,) * d, kappa=kappa, lam=lam)
            except ValueError as exc:
                raise SpecError(f"couplings (lam = {lam}, kappa = {kappa}) is not allowed: {exc}") from None
    sizes = data["model"]["sizes"]
    odd = [L for L in sizes if L % 2]
    if odd:
        raise SpecError(f"model.sizes = {sizes} must be even (periodic checkerboard updates); odd: {odd}")
    _check_common(data)
    if data["sampling"]["algorithm"] != "wolff" and data["sampling"]["n_clusters"] != 1:
        raise SpecError("sampling.n_clusters applies to sampling.algorithm = 'wolff' only")
    every = data["record"]["observables_every"]
    if data["sampling"]["n_sweeps"] % every:
        raise SpecError(f"sampling.n_sweeps = {data['sampling']['n_sweeps']} must be a multiple of "
                        f"record.observables_every = {every}")


def parse_study(text: str, source: str = "spec") -> StudySpec:
    """Parse and validate a study spec given as TOML text (Ising, or phi^4 with ``model.type = "phi4"``).

    Raises
    ------
    SpecError
        Malformed TOML, unknown key, wrong type, out-of-range or inconsistent values.
    """
    raw = parse_toml(text, source)
    model, sampling = raw.get("model"), raw.get("sampling")
    potts = isinstance(model, dict) and model.get("type") == "potts"
    if isinstance(model, dict) and model.get("type") == "phi4":
        data = validate(raw, PHI4_SCHEMA)
        _check_phi4(data)
    elif potts and isinstance(sampling, dict) and sampling.get("algorithm") == "wang-landau":
        data = validate(raw, POTTS_DOS_SCHEMA)
        _check_dos(data)
    else:
        data = validate(raw, POTTS_STUDY_SCHEMA if potts else STUDY_SCHEMA)
        _check_study(data)
    return StudySpec(text=text, data=data, source=source)


def load_study(path) -> StudySpec:
    """Read and validate the study spec at ``path``; the study output defaults to ``<stem>.h5``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    SpecError
        As :func:`parse_study`; the message starts with the file name.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"spec file {str(path)!r} does not exist") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path} is not a UTF-8 text file") from None
    try:
        spec = parse_study(text, str(path))
    except SpecError as exc:
        msg = str(exc)
        raise SpecError(msg if msg.startswith(str(path)) else f"{path}: {msg}") from None
    if not spec.data["study"]["output"]:
        spec.data["study"]["output"] = path.stem + ".h5"
    return spec
