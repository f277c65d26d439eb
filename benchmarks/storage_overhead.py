"""Storage overhead of ``ebmphys run``: configurations every sweep against no configurations, and the
cost of the Fletcher-32 checksums.

A 2D Ising study (L = 256, T = 2.269, Metropolis, 4 chains, one worker in this
process, so its CPU time is the run's whole cost) is run through :func:`ebmphys.study.run_study`, per repetition once
recording E and M every sweep only, once per compression filter also storing
the configuration after every sweep, and once storing them (no compression) with
the Fletcher-32 checksums switched off (``ebmphys.storage.atomic.HDF5_CHECKSUM``
emptied: every other row has them, as every file ebmphys writes does).  The runs
take turns within each repetition.  Reported: the best wall time of each, the
overhead (from wall time, and from CPU time, which a busy shared machine
disturbs less), the checksums' own overhead on the run storing configurations
every sweep, and the bytes a stored configuration takes in the file (bit-packed,
then compressed) against its raw int8 size.  Appends (or replaces) the ``## Storage overhead`` section of
BENCHMARKS.md.

    python benchmarks/storage_overhead.py [--sweeps 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import h5py

sys.path.insert(0, os.path.dirname(__file__))
from _report import write_section  # noqa: E402

from ebmphys.storage import atomic  # noqa: E402
from ebmphys.study import parse_study, run_study  # noqa: E402

L = 256
N_CHAINS = 4

SPEC = """
[study]
name = "storage_overhead"
[model]
dimension = 2
sizes = [{L}]
[temperatures]
values = [2.269]
[sampling]
algorithm = "metropolis"
n_sweeps = {sweeps}
n_chains = {chains}
seeds = [1]
[record]
observables_every = 1
configurations_every = {every}
compression = "{compression}"
[checkpoint]
sweeps = 250
seconds = 5.0
"""


COMPRESSIONS = ("gzip", "lzf", "none")


def timed_run(every: int, sweeps: int, out: Path, compression: str = "gzip", checksums: bool = True) -> tuple[float, float]:
    """Wall and CPU seconds of one study run (everything runs in this process)."""
    spec = parse_study(SPEC.format(L=L, sweeps=sweeps, chains=N_CHAINS, every=every, compression=compression))
    saved = dict(atomic.HDF5_CHECKSUM)
    if not checksums:
        atomic.HDF5_CHECKSUM.clear()
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        run_study(spec, out, mode="overwrite", workers=1, quiet=True)
        return time.perf_counter() - wall, time.process_time() - cpu
    finally:
        atomic.HDF5_CHECKSUM.update(saved)


def stored_bytes(path: Path) -> tuple[int, int]:
    """Storage size of the configuration dataset and the number of configurations it holds."""
    with h5py.File(path, "r") as f:
        value = f[f"particles/L{L}/spins/value"]
        return value.id.get_storage_size(), value.shape[0] * value.shape[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweeps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = parser.parse_args()
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        timed_run(1, 2, tmp / "warm.h5")  # load the compiled kernels
        plain = []
        stored = {c: [] for c in COMPRESSIONS}
        unchecked = []
        for _ in range(args.repeats):
            plain.append(timed_run(0, args.sweeps, tmp / "plain.h5"))
            for c in COMPRESSIONS:
                stored[c].append(timed_run(1, args.sweeps, tmp / f"{c}.h5", c))
            unchecked.append(timed_run(1, args.sweeps, tmp / "unchecked.h5", "none", checksums=False))
        per_conf = {}
        for c in COMPRESSIONS:
            n_bytes, n_conf = stored_bytes(tmp / f"{c}.h5")
            per_conf[c] = n_bytes / n_conf
        unchecked_bytes = stored_bytes(tmp / "unchecked.h5")
        with h5py.File(tmp / "none.h5", "r") as f:
            assert f[f"particles/L{L}/spins/value"].fletcher32
        with h5py.File(tmp / "unchecked.h5", "r") as f:
            assert not f[f"particles/L{L}/spins/value"].fletcher32
    raw = L * L
    command = f"python benchmarks/storage_overhead.py --sweeps {args.sweeps} --repeats {args.repeats}"
    lines = [
        f"Load average at start {load}; h5py {h5py.__version__}; one worker in one process; shared machine, "
        "so the best of the repetitions is reported.",
        "",
        f"2D Ising L = {L}, T = 2.269, Metropolis, {N_CHAINS} chains, {args.sweeps} sweeps, E and M recorded every "
        f"sweep; raw int8 configuration = {raw} bytes, bit-packed = {raw // 8} bytes.",
        "",
        "All rows but the last store HDF5's Fletcher-32 checksum with every chunk, as every ebmphys file does; "
        "the last row switches it off to measure its cost.",
        "",
        "| configurations | best wall [s] | wall overhead | best CPU [s] | CPU overhead | bytes per configuration "
        "| vs raw int8 | wall, all repetitions [s] |",
        "|---|---|---|---|---|---|---|---|",
        f"| none stored | {min(w for w, _ in plain):.2f} | - | {min(c for _, c in plain):.2f} | - | - | - | "
        f"{', '.join(f'{w:.2f}' for w, _ in plain)} |",
    ]
    base_wall, base_cpu = min(w for w, _ in plain), min(c for _, c in plain)
    for c in COMPRESSIONS:
        wall, cpu = min(w for w, _ in stored[c]), min(x for _, x in stored[c])
        lines.append(f"| every sweep, packbits + {c} | {wall:.2f} | {100 * (wall / base_wall - 1):.1f}% | {cpu:.2f} | "
                     f"{100 * (cpu / base_cpu - 1):.1f}% | {per_conf[c]:.0f} | {raw / per_conf[c]:.1f}x smaller | "
                     f"{', '.join(f'{w:.2f}' for w, _ in stored[c])} |")
    wall_u, cpu_u = min(w for w, _ in unchecked), min(x for _, x in unchecked)
    lines.append(f"| every sweep, packbits + none, **without Fletcher-32** | {wall_u:.2f} | "
                 f"{100 * (wall_u / base_wall - 1):.1f}% | {cpu_u:.2f} | {100 * (cpu_u / base_cpu - 1):.1f}% | "
                 f"{unchecked_bytes[0] / unchecked_bytes[1]:.0f} | {raw / (unchecked_bytes[0] / unchecked_bytes[1]):.1f}x "
                 f"smaller | {', '.join(f'{w:.2f}' for w, _ in unchecked)} |")
    wall_c, cpu_c = min(w for w, _ in stored["none"]), min(x for _, x in stored["none"])
    lines += ["", f"Fletcher-32 row: the checksums cost {100 * (wall_c / wall_u - 1):.1f}% of wall time "
              f"({100 * (cpu_c / cpu_u - 1):.1f}% of CPU time) of the run storing configurations every sweep "
              f"(packbits + none, with against without), and 4 bytes per chunk; with them that run's overhead over "
              f"storing no configurations is {100 * (wall_c / base_wall - 1):.1f}% (wall) / "
              f"{100 * (cpu_c / base_cpu - 1):.1f}% (CPU)."]
    lines += ["", "Target: overhead under 10%. On a loaded shared machine the wall time of one run varies by up to 2x "
              "between repetitions, so the CPU column (all the work runs in the measuring process) is the cleaner "
              "measurement. Compression runs in the process that writes the file; `record.compression = \"none\"` "
              "(bit-packing only, 8x smaller than int8) is the default and the choice for recording every sweep; gzip "
              "gives the smallest files when configurations are recorded every few sweeps or less often."]
    body = "\n".join(lines) + "\n"
    print(body)
    if not args.no_write:
        write_section("Storage overhead", command, body)


if __name__ == "__main__":
    main()
