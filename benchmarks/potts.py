"""Potts models: sweep rates, Wolff cost per independent sample at beta_c, and the q = 10 latent heat.

Run:  python benchmarks/potts.py          (about 1 minute on a quiet 2-core machine)

Three measurements, written to BENCHMARKS.md (section "Potts models"):

1. Site updates per ns of the colour-class Metropolis and heat-bath kernels on the
   periodic 2D lattice, q = 3 and q = 10, at beta_c = ln(1 + sqrt q): 16 chains of
   64 x 64 (each thread runs whole chains) and one chain of 256 x 256 (threads share
   the blocks of each colour class).  One Numba thread, process CPU time (robust on a
   shared machine), best of REPEATS rounds.
2. Cost per independent sample at beta_c for q = 3 (L = 16, 32, 64): the integrated
   autocorrelation time of the energy (Sokal's window, ``ebmphys.analysis``) in
   cluster steps for Wolff and Swendsen-Wang, converted to sweeps (Wolff: steps x
   <|C|> / N), and the CPU time of 2 tau steps (the spacing of independent samples),
   one chain on one thread; heat bath for comparison at L = 16, 32.
3. The q = 10 latent heat against Baxter's exact 0.696049 versus run time: Wang-Landau
   g(E) (2 walkers per size, energy window [-1.9, -0.75] per site, ln f = 3e-5) for
   L = 12, 16, 20 (2 walkers: a statistical error of about 0.01 on each size), analysed as in ``studies/potts_q10.toml`` (side means at the
   equal-weight point with ratio q, and the peak distance at equal heights
   extrapolated as a + b / L^2), with the cumulative wall time after each size.
"""

from __future__ import annotations

import math
import os
import sys
import time

import numba
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _report import write_section  # noqa: E402

import ebmphys  # noqa: E402
from ebmphys.analysis import (  # noqa: E402
    equal_height,
    equal_weight,
    extrapolate,
    integrated_autocorrelation_time,
)
from ebmphys.partition import potts_beta_c, potts_latent_heat  # noqa: E402
from ebmphys.sampling import Chains  # noqa: E402
from ebmphys.sampling.wang_landau import wang_landau  # noqa: E402

REPEATS = 3


def sweep_rates() -> list[str]:
    rows = ["| q | lattice | chains | algorithm | site updates / ns (1 thread) |", "|---|---|---|---|---|"]
    for q in (3, 10):
        beta = potts_beta_c(q)
        for L, n_chains, n_sweeps in ((64, 16, 40), (256, 1, 40)):
            model = ebmphys.LatticePotts((L, L), q)
            for algorithm in ("metropolis", "heatbath"):
                chains = Chains(model, algorithm=algorithm, beta=beta, n_chains=n_chains, seed=1)
                chains.run(5, record=())
                best = math.inf
                for _ in range(REPEATS):
                    start = time.process_time()
                    chains.run(n_sweeps, record=())
                    best = min(best, time.process_time() - start)
                rate = n_sweeps * n_chains * model.n_spins / best / 1e9
                rows.append(f"| {q} | {L} x {L} | {n_chains} | {algorithm} | {rate:.3f} |")
                print(rows[-1], flush=True)
    return rows


RUNS = {  # (steps recorded, burn-in) per algorithm and L
    "wolff": {16: (40000, 2000), 32: (40000, 2000), 64: (30000, 2000)},
    "swendsen-wang": {16: (20000, 500), 32: (20000, 500), 64: (10000, 500)},
    "heatbath": {16: (60000, 2000), 32: (100000, 5000)},
}


def wolff_cost() -> list[str]:
    beta = potts_beta_c(3)
    rows = ["| algorithm | L | tau_int(E) [steps] | <abs C>/N | tau_int(E) [sweeps] | CPU per step [us] | "
            "CPU per independent sample [ms] |", "|---|---|---|---|---|---|---|"]
    for algorithm, runs in RUNS.items():
        for L, (n_steps, burn_in) in runs.items():
            model = ebmphys.LatticePotts((L, L), 3)
            r = ebmphys.sample(model, beta=beta, n_sweeps=n_steps, burn_in=burn_in, n_chains=1, algorithm=algorithm,
                               seed=7, record=("energy",), return_states=True)
            tau = integrated_autocorrelation_time(r.energy[0])
            cluster = 1.0 if r.mean_cluster_size is None else float(r.mean_cluster_size[0]) / model.n_spins
            sweeps = tau.tau * (cluster if algorithm == "wolff" else 1.0)
            chains = Chains(model, algorithm=algorithm, beta=beta, n_chains=1, seed=8, initial_states=r.states)
            chains.run(200, record=())
            best = math.inf
            for _ in range(REPEATS):
                start = time.process_time()
                chains.run(2000, record=())
                best = min(best, (time.process_time() - start) / 2000)
            rows.append(f"| {algorithm} | {L} | {tau.tau:.2f} ± {tau.error:.2f} | "
                        f"{cluster:.3f} | {sweeps:.2f} | {best * 1e6:.2f} | {2 * tau.tau * best * 1e3:.3f} |")
            print(rows[-1], flush=True)
    return rows


def latent_heat_versus_time() -> list[str]:
    q, exact = 10, potts_latent_heat(10)
    beta_c = potts_beta_c(q)
    bracket = (0.95 * beta_c, 1.05 * beta_c)
    rows = ["| sizes | cumulative wall time [s] | De (side means, largest L) | error vs Baxter | "
            "De (peaks, a + b/L^2) | error vs Baxter |", "|---|---|---|---|---|---|"]
    elapsed, sizes, peak, peak_err = 0.0, [], [], []
    for L in (12, 16, 20):
        n = L * L
        model = ebmphys.LatticePotts((L, L), q)
        start = time.perf_counter()
        r = wang_landau(model, n_chains=2, log_f_final=3e-5, seed=L, energy_range=(-1.9 * n, -0.75 * n))
        elapsed += time.perf_counter() - start
        mean_heats, peaks = [], []
        for w in range(2):
            d = equal_height(r.energies, r.log_g[w], beta0=0.0, bracket=bracket, n_sites=n, side=L, window=L)
            e = equal_weight(r.energies, r.log_g[w], beta0=0.0, bracket=bracket, n_sites=n, split=d.energy_minimum,
                             ratio=q)
            mean_heats.append(e.latent_heat)
            peaks.append(d.latent_heat)
        sizes.append(L)
        peak.append(np.mean(peaks))
        peak_err.append(max(np.std(peaks, ddof=1) / math.sqrt(2), 1e-4))
        de = float(np.mean(mean_heats))
        extrapolated = "-" if len(sizes) < 2 else None
        if extrapolated is None:
            fit = extrapolate(sizes, peak, peak_err, power=2)
            extrapolated = f"{fit.value:.4f} ± {fit.error:.4f} | {fit.value - exact:+.4f}"
        else:
            extrapolated += " | -"
        rows.append(f"| {', '.join(map(str, sizes))} | {elapsed:.1f} | {de:.4f} | {de - exact:+.4f} | {extrapolated} |")
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    numba.set_num_threads(1)
    total = time.perf_counter()
    rates = sweep_rates()
    cost = wolff_cost()
    latent = latent_heat_versus_time()
    body = "\n".join([
        "Sweep rates of the colour-class kernels (2D periodic lattice, beta = beta_c; one Numba thread, process CPU "
        "time, best of 3):", "", *rates, "",
        "Cost per independent sample at beta_c = ln(1 + sqrt 3), q = 3 (one chain, one thread; tau from 1 chain, "
        "error from Sokal's estimate; an independent sample every 2 tau):", "", *cost, "",
        f"q = 10 latent heat against Baxter's {potts_latent_heat(10):.6f} versus Wang-Landau run time (2 walkers per "
        "size, energy window, ln f = 3e-5; the finite-size error dominates):", "", *latent, "",
        f"Total benchmark time {time.perf_counter() - total:.0f} s.",
    ])
    write_section("Potts models", "python benchmarks/potts.py", body)


if __name__ == "__main__":
    main()
