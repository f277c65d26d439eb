"""Spin-flip attempts per nanosecond of the checkerboard kernels, against two baselines.

Run:  python benchmarks/ising_sweep.py            (needs the `bench` extra: pip install ".[bench]")

For 2D L = 64, 256, 1024 at T = 2.269 and 3D L = 32, 64 at T = 4.51 it measures
ebmphys Metropolis and heat bath on one thread and on all threads (one chain,
and one chain per thread), a plain numpy vectorised checkerboard Metropolis
(the code a user would write), and mcising's Metropolis (Rust core).  Every
figure is the best of several repeats of wall-clock time, measured in the same
run with the measurements interleaved, so the ratios are meaningful on a shared machine.  It also reports
first-call compile time (empty Numba cache) and warm-cache import + first call,
and writes the table to BENCHMARKS.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import numba
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import ebmphys  # noqa: E402
from _report import write_section  # noqa: E402

CASES = [((64, 64), 2.269), ((256, 256), 2.269), ((1024, 1024), 2.269), ((32, 32, 32), 4.51), ((64, 64, 64), 4.51)]
WORK = 1e7  # spin-flip attempts per timed repeat
REPEATS = 7


def ebmphys_runner(shape, temperature, algorithm, n_chains, threads):
    """A callable running ebmphys sweeps on ``threads`` Numba threads, and its number of spin-flip attempts."""
    model = ebmphys.LatticeIsing(shape)
    n_sweeps = max(2, int(WORK / (model.n_spins * n_chains)))
    state = ebmphys.sample(model, beta=1 / temperature, n_sweeps=50, n_chains=n_chains, seed=1,
                           algorithm=algorithm, record=(), return_states=True).states

    def run():
        numba.set_num_threads(threads)
        ebmphys.sample(model, beta=1 / temperature, n_sweeps=n_sweeps, n_chains=n_chains, seed=1,
                       algorithm=algorithm, record=(), initial_states=state)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)

    return run, n_sweeps * model.n_spins * n_chains


def numpy_runner(shape, temperature):
    """Vectorised checkerboard Metropolis with np.roll and numpy's default generator."""
    rng = np.random.default_rng(1)
    spins = rng.choice(np.array([-1, 1], np.int8), size=shape)
    parity = np.indices(shape).sum(axis=0) % 2
    beta = 1 / temperature
    n_sweeps = max(2, int(WORK / 10 / spins.size))

    def run():
        for _ in range(n_sweeps):
            for color in (0, 1):
                nsum = sum(np.roll(spins, step, axis=a) for a in range(spins.ndim) for step in (1, -1))
                d_energy = 2 * spins * nsum
                flip = (parity == color) & (rng.random(shape) < np.exp(-beta * d_energy))
                spins[flip] *= -1

    return run, n_sweeps * spins.size


def mcising_runner(shape, temperature):
    import mcising

    lattice = "square" if len(shape) == 2 else "cubic"
    sim = mcising.IsingSimulation(shape[0], 1.0, 0.0, 0.0, 0.0, 1, "metropolis", lattice)
    n_sweeps = max(2, int(WORK / np.prod(shape)))
    sim.sweep(50, temperature=temperature)
    return (lambda: sim.sweep(n_sweeps, temperature=temperature)), n_sweeps * int(np.prod(shape))


def best_rates(runners: dict) -> dict:
    """Best wall-clock rate (attempts per ns) of each runner over REPEATS interleaved rounds.

    Interleaving spreads the load of a shared machine over all runners alike.
    """
    for run, _ in runners.values():
        run()  # warm-up: compilation, caches
    best = {name: 0.0 for name in runners}
    for _ in range(REPEATS):
        for name, (run, attempts) in runners.items():
            t = time.perf_counter()
            run()
            best[name] = max(best[name], attempts / (time.perf_counter() - t) / 1e9)
    return best


def compile_times() -> tuple[float, float]:
    """(cold, warm) seconds for `import ebmphys` plus a first small sample, in fresh processes."""
    code = ("import time; t = time.perf_counter(); import ebmphys; "
            "ebmphys.sample(ebmphys.LatticeIsing((8, 8)), beta=0.4, n_sweeps=2, seed=0); "
            "print(time.perf_counter() - t)")
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = [float(subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                                    text=True).stdout) for _ in range(2)]
    return out[0], out[1]


def main() -> None:
    threads = numba.config.NUMBA_NUM_THREADS
    rows = []
    for shape, temperature in CASES:
        label = "x".join(map(str, shape))
        runners = {"numpy": numpy_runner(shape, temperature), "mcising": mcising_runner(shape, temperature)}
        for algorithm in ("metropolis", "heatbath"):
            runners[algorithm, "one"] = ebmphys_runner(shape, temperature, algorithm, 1, 1)
            runners[algorithm, "all"] = ebmphys_runner(shape, temperature, algorithm, 1, threads)
            runners[algorithm, "chains"] = ebmphys_runner(shape, temperature, algorithm, threads, threads)
        best = best_rates(runners)
        for algorithm in ("metropolis", "heatbath"):
            rows.append((label, temperature, algorithm, best[algorithm, "one"], best[algorithm, "all"],
                         best[algorithm, "chains"], best["numpy"], best["mcising"]))
            print(rows[-1], flush=True)
    cold, warm = compile_times()
    lines = [
        f"Spin-flip attempts per ns (best of {REPEATS} interleaved wall-clock rounds of ~{WORK:.0e} attempts; "
        f"higher is better). `1 thread`: one chain on one thread; `{threads} thr, 1 chain`: one chain, "
        f"rows in parallel; `{threads} thr, {threads} chains`: one chain per thread (sweeps of fewer than "
        "2^15 spin updates always run on one thread). Baselines in the same run: plain numpy vectorised "
        "checkerboard Metropolis, and mcising's Metropolis (Rust core, one thread).",
        "",
        f"| lattice | T | algorithm | 1 thread | {threads} thr, 1 chain | {threads} thr, {threads} chains "
        "| numpy | mcising | 1 thread / mcising | best / mcising |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, t, alg, one, allc, alls, bn, bm in rows:
        lines.append(f"| {label} | {t} | {alg} | {one:.3f} | {allc:.3f} | {alls:.3f} | {bn:.3f} | {bm:.3f} "
                     f"| {one / bm:.2f} | {max(allc, alls) / bm:.2f} |")
    lines += ["", f"First call (import + compile + 8x8 sample, empty Numba cache): {cold:.1f} s; "
              f"warm cache (import + first call): {warm:.2f} s."]
    body = "\n".join(lines)
    print(body)
    write_section("Ising sweeps", "python benchmarks/ising_sweep.py", body)


if __name__ == "__main__":
    main()
