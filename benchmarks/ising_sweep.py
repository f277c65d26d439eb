"""Ising sweep rates against mcising and numpy, the cost of recording every sweep, and import/compile times.

Run:  python benchmarks/ising_sweep.py            (needs the `bench` extra: pip install ".[bench]")

1. Spin-flip attempts per ns for 2D L = 64, 256, 1024 at T = 2.269 and 3D L = 32, 64
   at T = 4.51: ebmphys Metropolis and heat bath with the int8 layout (one chain on
   one thread; one chain on all threads; one chain per thread) and with
   ``layout="multispin"`` (64 chains in one word, one thread), a plain numpy
   vectorised checkerboard Metropolis, and mcising's Metropolis (Rust core, one
   thread).  One-thread figures are process CPU time (the work of an idle core,
   which the wall clock of a shared machine is not); multi-thread figures are wall
   time, and the speed-ups over one thread compare wall time with wall time.
2. Recording energy and magnetisation after every sweep against recording nothing,
   for every lattice algorithm at L = 256 and 1024 (process CPU time, one thread).
3. ``import ebmphys`` (``python -X importtime``), and import plus a first
   ``sample`` on an 8x8 lattice in fresh processes, with an empty Numba cache
   (compilation) and with a warm one; beside them the floor that no Numba program
   beats: importing numpy and numba and calling one cached trivial function.

Every comparison is measured in the same run, the runners interleaved over
``REPEATS`` rounds, and the median is reported.  Writes the ``## Ising sweeps``
section of BENCHMARKS.md.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time

import numba
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import ebmphys  # noqa: E402
from _report import write_section  # noqa: E402
from ebmphys.sampling import Chains  # noqa: E402

CASES = [((64, 64), 2.269), ((256, 256), 2.269), ((1024, 1024), 2.269), ((32, 32, 32), 4.51), ((64, 64, 64), 4.51)]
WORK = 1e7  # spin-flip attempts per timed repeat (int8 kernels and baselines)
MULTISPIN_WORK = 6.4e7  # the multi-spin kernel does 64 chains at once
REPEATS = 7
BETA_C = float(np.log(1 + np.sqrt(2)) / 2)


def _clocks():
    return time.process_time(), time.perf_counter()


def ebmphys_runner(shape, temperature, algorithm, n_chains, threads, layout="int8", work=WORK):
    """A callable running ebmphys sweeps on ``threads`` Numba threads, and its number of spin-flip attempts.

    Steady state: the chains (``ebmphys.sampling.Chains``) are built and run 50 sweeps
    once; each call runs more sweeps of the same chains, recording nothing.
    """
    model = ebmphys.LatticeIsing(shape)
    n_sweeps = max(4, int(work / (model.n_spins * n_chains)))
    chains = Chains(model, algorithm=algorithm, beta=1 / temperature, n_chains=n_chains, seed=1, layout=layout)
    chains.run(50, record=())

    def run():
        numba.set_num_threads(threads)
        chains.run(n_sweeps, record=())
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


def median_rates(runners: dict) -> dict:
    """Median (CPU rate, wall rate) in attempts per ns of each runner over REPEATS interleaved rounds."""
    for run, _ in runners.values():
        run()  # warm-up: compilation, caches
    rates = {name: ([], []) for name in runners}
    for _ in range(REPEATS):
        for name, (run, attempts) in runners.items():
            cpu, wall = _clocks()
            run()
            cpu1, wall1 = _clocks()
            rates[name][0].append(attempts / (cpu1 - cpu) / 1e9)
            rates[name][1].append(attempts / (wall1 - wall) / 1e9)
    return {name: (float(np.median(c)), float(np.median(w))) for name, (c, w) in rates.items()}


def sweep_rates(threads: int) -> list:
    rows = []
    for shape, temperature in CASES:
        label = "x".join(map(str, shape))
        runners = {"numpy": numpy_runner(shape, temperature), "mcising": mcising_runner(shape, temperature)}
        for algorithm in ("metropolis", "heatbath"):
            runners[algorithm, "one"] = ebmphys_runner(shape, temperature, algorithm, 1, 1)
            runners[algorithm, "all"] = ebmphys_runner(shape, temperature, algorithm, 1, threads)
            runners[algorithm, "chains"] = ebmphys_runner(shape, temperature, algorithm, threads, threads)
            runners[algorithm, "multi"] = ebmphys_runner(shape, temperature, algorithm, 64, 1, layout="multispin",
                                                          work=MULTISPIN_WORK)
        r = median_rates(runners)
        for algorithm in ("metropolis", "heatbath"):
            rows.append((label, temperature, algorithm, r[algorithm, "one"], r[algorithm, "all"], r[algorithm, "chains"],
                         r[algorithm, "multi"], r["numpy"], r["mcising"]))
            print(rows[-1], flush=True)
    return rows


def recording_costs() -> list:
    """(L, algorithm, CPU s bare, CPU s recording every sweep) on one thread, the two interleaved."""
    rows = []
    numba.set_num_threads(1)
    for L in (256, 1024):
        model = ebmphys.LatticeIsing((L, L))
        start = ebmphys.sample(model, beta=BETA_C, n_sweeps=30, seed=1, algorithm="swendsen-wang", record=(),
                               return_states=True).states
        cases = {
            ("metropolis", "int8"): (1, int(WORK / L**2)), ("heatbath", "int8"): (1, int(WORK / L**2)),
            ("metropolis", "multispin"): (64, int(MULTISPIN_WORK / 64 / L**2)),
            ("heatbath", "multispin"): (64, int(MULTISPIN_WORK / 64 / L**2)),
            ("wolff", "int8"): (1, 1000 if L == 256 else 100), ("swendsen-wang", "int8"): (1, int(1e6 / L**2)),
        }
        runners = {}
        for (algorithm, layout), (n_chains, n_sweeps) in cases.items():
            options = {"layout": layout} if algorithm in ("metropolis", "heatbath") else {}
            for record in ((), None):
                # twin chains (same seed and start): the bare and the recording run make the same moves
                chains = Chains(model, algorithm=algorithm, beta=BETA_C, n_chains=n_chains, seed=1,
                                initial_states=np.repeat(start, n_chains, axis=0), **options)

                def run(chains=chains, n_sweeps=max(4, n_sweeps), record=record):
                    chains.run(n_sweeps, record=record)
                runners[algorithm, layout, record is None] = (run, 1)
        for run, _ in runners.values():
            run()
        times = {name: [] for name in runners}
        for _ in range(REPEATS):
            for name, (run, _) in runners.items():
                cpu = time.process_time()
                run()
                times[name].append(time.process_time() - cpu)
        for algorithm, layout in cases:
            bare = float(np.median(times[algorithm, layout, False]))
            recorded = float(np.median(times[algorithm, layout, True]))
            rows.append((L, algorithm, layout, bare, recorded))
            print(rows[-1], flush=True)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return rows


FIRST_CALL = ("import time; t = time.perf_counter(); import ebmphys; "
              "ebmphys.sample(ebmphys.LatticeIsing((8, 8)), beta=0.4, n_sweeps=2, seed=0); "
              "print(time.perf_counter() - t)")
FLOOR_MODULE = textwrap.dedent("""
    from numba import njit
    @njit(cache=True)
    def f(x):
        return x + 1
""")
FLOOR_CALL = ("import time; t = time.perf_counter(); import numpy, numba, floor_module; floor_module.f(1); "
              "print(time.perf_counter() - t)")


def _seconds(code: str, env: dict, cwd=None) -> float:
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, check=True, capture_output=True, text=True)
    return float(out.stdout.split()[-1])


def import_and_compile_times(n_cold: int = 3, n_warm: int = 7) -> dict:
    """Medians (wall seconds) of fresh-process runs: cold (empty Numba cache) and warm first calls, the floor."""
    env = dict(os.environ)
    importtime = subprocess.run([sys.executable, "-X", "importtime", "-c", "import ebmphys"], env=env,
                                capture_output=True, text=True, check=True).stderr
    import_us = int(re.findall(r"\|\s*(\d+) \| ebmphys\s*$", importtime, re.M)[-1])
    cold, warm, floor = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "floor_module.py"), "w") as f:
            f.write(FLOOR_MODULE)
        floor_env = dict(env, NUMBA_CACHE_DIR=os.path.join(tmp, "floor_cache"),
                         PYTHONPATH=os.pathsep.join([tmp, env.get("PYTHONPATH", "")]))
        _seconds(FLOOR_CALL, floor_env)
        for k in range(n_cold):
            cold.append(_seconds(FIRST_CALL, dict(env, NUMBA_CACHE_DIR=os.path.join(tmp, f"cold{k}"))))
        for _ in range(n_warm):
            warm.append(_seconds(FIRST_CALL, dict(env, NUMBA_CACHE_DIR=os.path.join(tmp, "cold0"))))
            floor.append(_seconds(FLOOR_CALL, floor_env))
    return {"import_ms": import_us / 1e3, "cold": cold, "warm": warm, "floor": floor}


def main() -> None:
    threads = numba.config.NUMBA_NUM_THREADS
    started = time.perf_counter()
    rows = sweep_rates(threads)
    recording = recording_costs()
    first = import_and_compile_times()
    lines = [
        f"Spin-flip attempts per ns (median of {REPEATS} interleaved rounds of ~{WORK:.0e} attempts, "
        f"~{MULTISPIN_WORK:.0e} for the multi-spin kernel, at least 4 sweeps, of `Chains.run` on chains built "
        "and run 50 sweeps beforehand; higher is better).  `1 thread`: one chain on one "
        f"thread, process CPU time; `{threads} thr, 1 chain`: one chain, rows shared out, wall time; "
        f"`{threads} thr, {threads} chains`: one chain per thread, wall time; `multispin`: 64 chains "
        "(`layout=\"multispin\"`) on one thread, process CPU time.  Baselines in the same run, process CPU time: "
        "plain numpy vectorised checkerboard Metropolis, and mcising's Metropolis (Rust core, one thread).  "
        f"`{threads} chains / 1 thread` compares wall time with wall time (the one-thread run's own wall rate).",
        "",
        f"| lattice | T | algorithm | 1 thread | {threads} thr, 1 chain | {threads} thr, {threads} chains | multispin "
        f"| numpy | mcising | 1 thread / mcising | multispin / mcising | {threads} chains / 1 thread |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, t, alg, one, allc, alls, multi, bn, bm in rows:
        lines.append(f"| {label} | {t} | {alg} | {one[0]:.3f} | {allc[1]:.3f} | {alls[1]:.3f} | {multi[0]:.3f} "
                     f"| {bn[0]:.3f} | {bm[0]:.3f} | {one[0] / bm[0]:.2f} | {multi[0] / bm[0]:.1f} "
                     f"| {alls[1] / one[1]:.2f} |")
    lines += [
        "",
        "Recording energy and magnetisation after every sweep (every cluster step for Wolff) against recording "
        f"nothing, 2D at beta_c, one thread, process CPU time of `Chains.run` on twin chains (same seed, same "
        "Swendsen-Wang-equilibrated start, so both make the same moves), median of "
        f"{REPEATS} interleaved rounds (int8: 1 chain; multispin: 64 chains):",
        "",
        "| L | algorithm | layout | bare (s) | recording every sweep (s) | overhead |",
        "|---:|---|---|---:|---:|---:|",
    ]
    for L, alg, layout, bare, recorded in recording:
        lines.append(f"| {L} | {alg} | {layout} | {bare:.4f} | {recorded:.4f} | {100 * (recorded / bare - 1):+.1f}% |")
    cold, warm, floor = (float(np.median(first[k])) for k in ("cold", "warm", "floor"))
    lines += [
        "",
        "Import and first call, fresh processes, wall time (the machine is shared: medians):",
        "",
        "| measurement | seconds | runs |",
        "|---|---:|---|",
        f"| `import ebmphys` (`python -X importtime`, cumulative) | {first['import_ms'] / 1e3:.4f} | 1 |",
        f"| import + first 8x8 `sample`, empty Numba cache (compiles) | {cold:.2f} | "
        f"{', '.join(f'{x:.2f}' for x in first['cold'])} |",
        f"| import + first 8x8 `sample`, warm cache | {warm:.2f} | {', '.join(f'{x:.2f}' for x in first['warm'])} |",
        f"| floor: import numpy and numba, call one cached trivial function | {floor:.2f} | "
        f"{', '.join(f'{x:.2f}' for x in first['floor'])} |",
        "",
        f"Total run time {(time.perf_counter() - started) / 60:.1f} min.",
    ]
    body = "\n".join(lines)
    print(body)
    write_section("Ising sweeps", "python benchmarks/ising_sweep.py", body)


if __name__ == "__main__":
    main()
