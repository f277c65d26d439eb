"""Critical slowing down of the 2D Ising model: local versus cluster updates.

Run:  python benchmarks/critical_slowing.py          (needs the `bench` extra for mcising)

At beta_c = log(1 + sqrt 2) / 2 on periodic L x L lattices, L = 16, 32, 64, 128,
for Metropolis, heat bath, Wolff and Swendsen-Wang it measures

* tau_int of the energy (Sokal's automatic window, ``ebmphys.analysis``) in
  sweeps.  One sweep is N = L^2 attempted spin updates for the local rules and
  one update of every spin for Swendsen-Wang; a Wolff step flips one cluster,
  so tau in Wolff steps is converted to sweeps by the measured mean cluster
  size: tau_sweeps = tau_steps * <|C|> / N;
* the time per sweep of one chain, measured on a batch of 2**16 / N chains
  (256 chains at L = 16, 4 at L = 128), nothing recorded, best of REPEATS
  rounds in which the algorithms take turns; and the time per independent
  sample, 2 tau_sweeps x time per sweep.  Times are the process's CPU time
  (one thread), which on a machine shared with other jobs estimates the wall
  time on an idle core far better than the wall clock does;
* the dynamic exponent z of tau ~ L^z, a weighted least-squares fit of log tau
  on log L over all four sizes (error from the fit's covariance);
* spins flipped per ns (CPU time) of one Wolff chain on one thread, ebmphys
  and mcising (Rust core, single-threaded), taking turns, best of REPEATS,
  after the same equilibration.

Everything runs on one Numba thread: on a small machine shared with other
jobs, parallel regions with a barrier per colour class spend most of their time
waiting for a descheduled thread, which would measure the load, not the code.
Chains start from configurations equilibrated by Wolff updates, so no
algorithm needs a long burn-in.  Series are recorded every ``thin`` sweeps
(thin << tau) and tau is converted back to sweeps by the factor thin.
The table is written to BENCHMARKS.md (section "Critical slowing down").
"""

from __future__ import annotations

import math
import os
import sys
import time

import numba
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import ebmphys  # noqa: E402
from _report import write_section  # noqa: E402
from ebmphys.analysis import integrated_autocorrelation_time  # noqa: E402

BETA_C = math.log(1 + math.sqrt(2)) / 2
SIZES = (16, 32, 64, 128)
ALGORITHMS = ("metropolis", "heatbath", "swendsen-wang", "wolff")
N_CHAINS = 2
REPEATS = 5
# recorded steps per chain (after thinning) and the thinning, per algorithm and L
RUNS = {
    "metropolis": {16: (20000, 1), 32: (20000, 1), 64: (25000, 2), 128: (25000, 4)},
    "heatbath": {16: (20000, 1), 32: (20000, 1), 64: (25000, 2), 128: (25000, 4)},
    "swendsen-wang": {16: (10000, 1), 32: (10000, 1), 64: (10000, 1), 128: (6000, 1)},
    "wolff": {16: (20000, 1), 32: (20000, 1), 64: (20000, 1), 128: (15000, 1)},
}
TIMING_SPINS = 2**16  # spins per timed batch: 256 chains at L = 16, 4 at L = 128
TIMING_WORK = 4e6  # spin updates (sweeps x N x chains) per timed run
EQUILIBRATION_SWEEPS = 500  # Wolff-flipped spins per site before any measurement


def equilibrated_states(model, seed):
    """Configurations at beta_c after about EQUILIBRATION_SWEEPS sweeps' worth of Wolff flips."""
    probe = ebmphys.sample(model, beta=BETA_C, n_sweeps=200, n_chains=N_CHAINS, algorithm="wolff", seed=seed,
                           record=(), return_states=True)
    steps = int(EQUILIBRATION_SWEEPS * model.n_spins / probe.mean_cluster_size.mean())
    return ebmphys.sample(model, beta=BETA_C, n_sweeps=steps, n_chains=N_CHAINS, algorithm="wolff", seed=seed,
                          record=(), return_states=True, initial_states=probe.states,
                          sweep_offset=probe.final_sweep).states


def autocorrelation(model, algorithm, states, n_records, thin):
    """tau_int in sweeps, with errors, of E and |M|, and the Wolff sweeps per step (<|C|>/N; 1 otherwise)."""
    result = ebmphys.sample(model, beta=BETA_C, n_sweeps=n_records * thin, thin=thin, n_chains=N_CHAINS,
                            algorithm=algorithm, seed=7, initial_states=states)
    sweeps_per_step = 1.0 if result.mean_cluster_size is None else result.mean_cluster_size.mean() / model.n_spins
    scale = thin * sweeps_per_step
    energy = integrated_autocorrelation_time(result.energy)
    magnetization = integrated_autocorrelation_time(np.abs(result.magnetization))
    return (energy.tau * scale, energy.error * scale, magnetization.tau * scale, magnetization.error * scale,
            sweeps_per_step)


def times_per_sweep(model, states, sweeps_per_step):
    """Best CPU time per chain-sweep (s) of each algorithm on a batch of TIMING_SPINS // N chains.

    The batch starts from copies of the equilibrated ``states`` (each chain has its own random
    stream), records nothing, and the algorithms take turns for REPEATS rounds.
    """
    n_chains = max(N_CHAINS, TIMING_SPINS // model.n_spins)
    batch = np.resize(states, (n_chains,) + states.shape[1:])
    best = dict.fromkeys(ALGORITHMS, math.inf)
    for repeat in range(REPEATS + 1):  # round 0 warms caches and is not counted
        for algorithm in ALGORITHMS:
            n_steps = max(10, int(TIMING_WORK / (model.n_spins * n_chains) / sweeps_per_step[algorithm]))
            start = time.process_time()
            ebmphys.sample(model, beta=BETA_C, n_sweeps=n_steps, n_chains=n_chains, algorithm=algorithm,
                           seed=repeat, initial_states=batch, record=())
            seconds = (time.process_time() - start) / (n_steps * sweeps_per_step[algorithm]) / n_chains
            if repeat:
                best[algorithm] = min(best[algorithm], seconds)
    return best


def wolff_flip_rates(L, n_steps=4000):
    """Spins flipped per ns by one Wolff chain (on the one thread): (ebmphys, mcising)."""
    import mcising

    model = ebmphys.LatticeIsing((L, L))
    run = ebmphys.sample(model, beta=BETA_C, n_sweeps=n_steps, algorithm="wolff", seed=3, record=(),
                         return_states=True)
    simulation = mcising.IsingSimulation(L, 1.0, 0.0, 0.0, 0.0, 3, algorithm="wolff")
    simulation.sweep(n_steps, temperature=1 / BETA_C)  # one "sweep" of mcising's Wolff is one cluster flip
    ours = theirs = 0.0
    for _ in range(REPEATS):  # the two take turns
        start = time.process_time()
        run = ebmphys.sample(model, beta=BETA_C, n_sweeps=n_steps, algorithm="wolff", seed=3, record=(),
                             return_states=True, initial_states=run.states, sweep_offset=run.final_sweep)
        ours = max(ours, run.mean_cluster_size[0] * n_steps / (time.process_time() - start) / 1e9)
        start = time.process_time()
        flipped, _, _ = simulation.sweep(n_steps, temperature=1 / BETA_C)
        theirs = max(theirs, flipped / (time.process_time() - start) / 1e9)
    return ours, theirs


def fit_z(sizes, taus, errors):
    """Slope of log tau on log L, weighted by the relative errors; returns (z, its standard error)."""
    x, y, w = np.log(sizes), np.log(taus), np.asarray(taus) / np.asarray(errors)
    coefficients, covariance = np.polyfit(x, y, 1, w=w, cov="unscaled")
    return coefficients[0], math.sqrt(covariance[0, 0])


def main() -> None:
    wall = time.perf_counter()
    numba.set_num_threads(1)
    rows = {}
    for L in SIZES:
        model = ebmphys.LatticeIsing((L, L))
        states = equilibrated_states(model, seed=L)
        taus = {algorithm: autocorrelation(model, algorithm, states, *RUNS[algorithm][L]) for algorithm in ALGORITHMS}
        seconds = times_per_sweep(model, states, {algorithm: taus[algorithm][4] for algorithm in ALGORITHMS})
        for algorithm in ALGORITHMS:
            tau, error, tau_m, error_m, sweeps_per_step = taus[algorithm]
            n_records, thin = RUNS[algorithm][L]
            rows[algorithm, L] = (tau, error, sweeps_per_step, seconds[algorithm], n_records * thin, tau_m, error_m)
            print(f"L={L:4d} {algorithm:14s} tau_E={tau:9.3f} +- {error:7.3f}  tau_|M|={tau_m:9.3f} +- {error_m:7.3f} "
                  "sweeps  "
                  f"{seconds[algorithm] * 1e6:9.2f} us/sweep  "
                  f"{2 * tau * seconds[algorithm] * 1e3:9.4f} ms/independent sample", flush=True)
    rates = {L: wolff_flip_rates(L) for L in SIZES}
    for L, (ours, theirs) in rates.items():
        print(f"L={L:4d} Wolff spins flipped per ns: ebmphys {ours:.4f}, mcising {theirs:.4f}", flush=True)

    lines = [
        f"2D Ising model at beta_c = log(1+sqrt 2)/2, periodic L x L, one Numba thread; {N_CHAINS} chains per "
        "autocorrelation run, "
        "started from Wolff-equilibrated configurations. tau_int of the total energy with Sokal's automatic window "
        "(c = 5), in sweeps: N = L^2 attempted updates for Metropolis and heat bath (checkerboard), one update of "
        "every spin for Swendsen-Wang, and for Wolff tau in cluster flips times <|C|>/N (mean cluster size over N, "
        "column `<|C|>/N`). Time per sweep: CPU time (one thread; the shared machine's wall clock measures its load) "
        "per chain-sweep of a batch of 2^16/N chains (256 chains at L = 16, 4 at L = 128), nothing recorded, "
        f"best of {REPEATS} rounds with the algorithms taking turns. "
        "Cost per independent sample = 2 tau x time per sweep.",
        "",
        "| algorithm | L | sweeps run (per chain) | <\\|C\\|>/N | tau_int,E (sweeps) | tau_int,\\|M\\| (sweeps) "
        "| time/sweep (us) | time per independent sample (ms, from tau_int,E) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for algorithm in ALGORITHMS:
        for L in SIZES:
            tau, error, per, seconds, n, tau_m, error_m = rows[algorithm, L]
            cluster = f"{per:.3f}" if algorithm == "wolff" else "-"
            lines.append(f"| {algorithm} | {L} | {n} | {cluster} | {tau:.2f} ± {error:.2f} | {tau_m:.2f} ± {error_m:.2f} "
                         f"| {seconds * 1e6:.1f} | {2 * tau * seconds * 1e3:.4f} |")
    lines += ["", "Dynamic exponents, weighted fits of log tau on log L:", "",
              "| algorithm | z from tau_E, L = 16..128 | z from tau_E, L = 32..128 | z from tau_\\|M\\|, L = 16..128 "
              "| z from tau_\\|M\\|, L = 32..128 |", "|---|---:|---:|---:|---:|"]
    for algorithm in ALGORITHMS:
        cells = []
        for column in (0, 5):
            for sizes in (SIZES, SIZES[1:]):
                z, dz = fit_z(sizes, [rows[algorithm, L][column] for L in sizes],
                              [rows[algorithm, L][column + 1] for L in sizes])
                cells.append(f"{z:.2f} ± {dz:.2f}")
        lines.append(f"| {algorithm} | " + " | ".join(cells) + " |")
        print(f"z({algorithm}): E {cells[0]} ({cells[1]} from L >= 32); |M| {cells[2]} ({cells[3]})")
    big = max(SIZES)
    cost = {a: 2 * rows[a, big][0] * rows[a, big][3] for a in ALGORITHMS}
    lines += ["", f"Cost per independent sample at L = {big}: Metropolis / Wolff = "
              f"{cost['metropolis'] / cost['wolff']:.0f}x, heat bath / Wolff = {cost['heatbath'] / cost['wolff']:.0f}x, "
              f"Swendsen-Wang / Wolff = {cost['swendsen-wang'] / cost['wolff']:.1f}x.", ""]
    lines += [f"Wolff spins flipped per ns of CPU time, one chain on one thread, after equilibration (best of {REPEATS} "
              "alternating runs of 4000 clusters; mcising's `sweep(n)` for Wolff flips n clusters):",
              "", "| L | ebmphys | mcising | ratio |", "|---:|---:|---:|---:|"]
    for L, (ours, theirs) in rates.items():
        lines.append(f"| {L} | {ours:.4f} | {theirs:.4f} | {ours / theirs:.2f} |")
    elapsed = time.perf_counter() - wall
    lines += ["", f"Total run time {elapsed / 60:.1f} min."]
    print(f"total {elapsed:.0f} s")
    write_section("Critical slowing down", "python benchmarks/critical_slowing.py", "\n".join(lines))


if __name__ == "__main__":
    main()
