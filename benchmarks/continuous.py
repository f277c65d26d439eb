"""Continuous samplers: gradient evaluations and effective samples per second, against plain numpy.

Run:  python benchmarks/continuous.py            (writes the "Continuous samplers" section of BENCHMARKS.md)

Cases:

* MALA and HMC (10 leapfrog steps) on a 100-dimensional correlated Gaussian
  (covariance eigenvalues 0.1 .. 1, random rotation; 16 chains) and on the 2D
  phi^4 model at L = 64 (lam = 1, kappa = 0.30; 8 chains), each against a plain
  numpy implementation of the same algorithm vectorised over the chains (the code
  a user would write: one batched energy-and-gradient function, numpy's generator).
  Both use the same step size (dual averaging by ebmphys during a burn-in, median
  over the chains) and start from the same states.  Gradient evaluations per
  second come from a run without recording; effective samples per second from a
  run that records the coordinates every few steps (ESS of each coordinate = n / (2
  tau_int), tau_int by Sokal's windowing; phi^4: 64 random sites and the
  magnetisation), wall time of that run including the recording.  ebmphys records
  them as model observables (a ``ContinuousEBM`` with the model's own energy and
  gradient and an observables function returning the coordinates), in one ``run``.
* The same four cases with one chain, gradient evaluations per second only.
* phi^4 Wolff (each sweep a Metropolis sweep then 2 embedded-Ising clusters)
  against checkerboard Metropolis at kappa = 0.336, lam = 1 (the L = 16 / 32 Binder
  crossing of studies/phi4_2d.toml), L = 16 and 32: tau_int of m^2 in sweeps,
  seconds per sweep and seconds per independent sample, 2 tau_int x seconds per sweep.

Numba uses its default thread count (chains in parallel), numpy its default
BLAS threads.  Timings are wall-clock, best of 3 repeats for the rates.
"""

from __future__ import annotations

import os
import sys
import time

import numba
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _report import write_section  # noqa: E402

from ebmphys.analysis import integrated_autocorrelation_time  # noqa: E402
from ebmphys.models import ContinuousEBM, Gaussian, Phi4Lattice  # noqa: E402
from ebmphys.sampling import Chains  # noqa: E402
from ebmphys.sampling.continuous import tuned_options  # noqa: E402

COMMAND = "python benchmarks/continuous.py"
NOTE = (
    'Target of issue 12: at least 10x over numpy.  Not reached against a batch of chains: the 100-D '
    'Gaussian costs a dense matrix-vector product per chain, which numpy does for the whole batch in one '
    'BLAS call (ebmphys makes two per MALA step, energy and gradient being separate functions of the '
    'model protocol, about 1.3 us each at d = 100); a phi^4 MALA step draws 4096 normals (about 7.6 ns '
    "each: Box-Muller from Philox words, where numpy uses a ziggurat) and numpy's rolls stream the batch "
    "near memory speed.  With one chain, where numpy's per-call overhead is not amortised, ebmphys is "
    'several times faster.  The runs share 2 cores with other work (load average in the header), which '
    'compresses the 2-thread ebmphys figures most.'
)
N_LEAPFROG = 10
REPEATS = 3


# ---------------------------------------------------------------------------- numpy baselines


def gaussian_numpy(model: Gaussian):
    mean, precision = model.mean, model.precision

    def energy_grad(x):
        r = x - mean
        pr = r @ precision
        return 0.5 * np.einsum("ni,ni->n", r, pr), pr

    return energy_grad


def phi4_numpy(model: Phi4Lattice):
    kappa, lam, shape = model.kappa, model.lam, model.shape

    def energy_grad(x):
        phi = x.reshape((-1,) + shape)
        forward = np.roll(phi, -1, axis=1) + np.roll(phi, -1, axis=2)
        around = forward + np.roll(phi, 1, axis=1) + np.roll(phi, 1, axis=2)
        p2 = phi * phi
        e = (-2 * kappa * phi * forward + p2 + lam * (p2 - 1) ** 2).sum(axis=(1, 2))
        g = -2 * kappa * around + 2 * phi + 4 * lam * phi * (p2 - 1)
        return e, g.reshape(x.shape)

    return energy_grad


def numpy_mala(energy_grad, x, step, n_steps, rng, record_every=0):
    """MALA vectorised over chains; returns (states, acceptance rate, recorded states or None)."""
    x = x.copy()
    e, g = energy_grad(x)
    n = x.shape[0]
    accepted = 0
    records = []
    for t in range(n_steps):
        xi = rng.standard_normal(x.shape)
        y = x - step * g + np.sqrt(2 * step) * xi
        ey, gy = energy_grad(y)
        log_a = e - ey - ((x - y + step * gy) ** 2).sum(axis=1) / (4 * step) + 0.5 * (xi**2).sum(axis=1)
        acc = np.log(rng.random(n)) < log_a
        x[acc], e[acc], g[acc] = y[acc], ey[acc], gy[acc]
        accepted += acc.sum()
        if record_every and (t + 1) % record_every == 0:
            records.append(x.copy())
    return x, accepted / (n * n_steps), (np.stack(records, axis=1) if records else None)


def numpy_hmc(energy_grad, x, step, n_steps, rng, record_every=0, n_leapfrog=N_LEAPFROG):
    """HMC with unit mass vectorised over chains; returns (states, acceptance rate, recorded states or None)."""
    x = x.copy()
    e, g = energy_grad(x)
    n = x.shape[0]
    accepted = 0
    records = []
    for t in range(n_steps):
        p = rng.standard_normal(x.shape)
        h0 = e + 0.5 * (p**2).sum(axis=1)
        y, gy = x.copy(), g
        p = p - 0.5 * step * gy
        for leap in range(n_leapfrog):
            y = y + step * p
            ey, gy = energy_grad(y)
            p = p - (step if leap < n_leapfrog - 1 else 0.5 * step) * gy
        acc = np.log(rng.random(n)) < h0 - ey - 0.5 * (p**2).sum(axis=1)
        x[acc], e[acc], g[acc] = y[acc], ey[acc], gy[acc]
        accepted += acc.sum()
        if record_every and (t + 1) % record_every == 0:
            records.append(x.copy())
    return x, accepted / (n * n_steps), (np.stack(records, axis=1) if records else None)


# ---------------------------------------------------------------------------- measurements


def ess_per_coordinate(traj: np.ndarray) -> np.ndarray:
    """ESS of every coordinate of (n_chains, n_records, k) recorded states."""
    out = []
    for i in range(traj.shape[2]):
        tau = integrated_autocorrelation_time(traj[:, :, i]).tau
        out.append(traj.shape[0] * traj.shape[1] / (2 * max(tau, 0.5)))
    return np.array(out)


def best_time(fn) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def recording(model, columns: np.ndarray) -> ContinuousEBM:
    """``model`` with the observables x[:, columns] (and, if the last column is -1, the mean of x)."""
    columns = np.ascontiguousarray(columns, dtype=np.int64)

    @numba.njit
    def coordinates(x, params):
        out = np.empty((x.shape[0], columns.shape[0]))
        for m in range(x.shape[0]):
            for k in range(columns.shape[0]):
                out[m, k] = x[m, columns[k]] if columns[k] >= 0 else x[m].mean()
        return out

    return ContinuousEBM(energy=model.energy_function, grad=model.grad_function, params=model.params, dim=model.dim,
                         observables=coordinates, observable_names=[f"c{k}" for k in range(columns.shape[0])])


def gradient_case(name, model, numpy_energy_grad, algorithm, n_chains, n_steps, n_records, thin, columns):
    """One (model, algorithm) row: grad evaluations/s and ESS/s of ebmphys and numpy."""
    options = {"n_leapfrog": N_LEAPFROG} if algorithm == "hmc" else {}
    tune = Chains(model, algorithm=algorithm, beta=1.0, n_chains=n_chains, seed=1, **options)
    tune.run(500, tune=True, record=())
    step = float(np.median(tuned_options(tune)["step_size"]))
    start = tune.states.reshape(n_chains, -1)
    grads_per_step = N_LEAPFROG if algorithm == "hmc" else 1
    numpy_run = numpy_hmc if algorithm == "hmc" else numpy_mala

    def ours():
        chains = Chains(model, algorithm=algorithm, beta=1.0, n_chains=n_chains, seed=2, initial_states=start,
                        step_size=step, adapt_step_size=False, **options)
        return chains, chains.run(n_steps, record=("acceptance",))

    ours()  # warm
    t_ours = best_time(ours)
    acc_ours = ours()[1]["acceptance"].mean()
    t_np = best_time(lambda: numpy_run(numpy_energy_grad, start, step, n_steps, np.random.default_rng(3)))
    acc_np = numpy_run(numpy_energy_grad, start, step, n_steps, np.random.default_rng(3))[1]
    evals = n_chains * n_steps * grads_per_step

    # effective samples per second, recording the coordinates every `thin` steps
    recorded = recording(model, columns)
    names = recorded.observable_names
    Chains(recorded, algorithm=algorithm, beta=1.0, n_chains=n_chains, seed=4, initial_states=start,
           step_size=step, adapt_step_size=False, **options).run(thin, thin=thin, record=names)  # compile
    chains = Chains(recorded, algorithm=algorithm, beta=1.0, n_chains=n_chains, seed=4, initial_states=start,
                    step_size=step, adapt_step_size=False, **options)
    t0 = time.perf_counter()
    result = chains.run(n_records * thin, thin=thin, record=names)
    t_ess_ours = time.perf_counter() - t0
    traj = np.stack([result[n] for n in names], axis=2)
    t0 = time.perf_counter()
    _, _, traj_np = numpy_run(numpy_energy_grad, start, step, n_records * thin, np.random.default_rng(5),
                              record_every=thin)
    t_ess_np = time.perf_counter() - t0
    picked = traj_np[:, :, np.maximum(columns, 0)]
    picked[:, :, columns < 0] = traj_np.mean(axis=2, keepdims=True)
    ess_ours = ess_per_coordinate(traj)
    ess_np = ess_per_coordinate(picked)
    return {
        "name": name, "algorithm": algorithm, "step": step, "acc": (acc_ours, acc_np),
        "grads": (evals / t_ours, evals / t_np),
        "ess_median": (np.median(ess_ours) / t_ess_ours, np.median(ess_np) / t_ess_np),
        "ess_min": (ess_ours.min() / t_ess_ours, ess_np.min() / t_ess_np),
        "records": n_chains * n_records,
    }


def single_chain_rate(model, numpy_energy_grad, algorithm, step, n_steps):
    """Gradient evaluations per second of one chain (numpy's per-call overhead is then not amortised)."""
    options = {"n_leapfrog": N_LEAPFROG} if algorithm == "hmc" else {}
    start = np.zeros((1, model.dim))
    numpy_run = numpy_hmc if algorithm == "hmc" else numpy_mala

    def ours():
        Chains(model, algorithm=algorithm, beta=1.0, n_chains=1, seed=2, initial_states=start, step_size=step,
               adapt_step_size=False, **options).run(n_steps, record=())

    ours()
    evals = n_steps * (N_LEAPFROG if algorithm == "hmc" else 1)
    t_ours = best_time(ours)
    t_np = best_time(lambda: numpy_run(numpy_energy_grad, start, step, n_steps, np.random.default_rng(3)))
    return evals / t_ours, evals / t_np


def wolff_vs_metropolis(L, kappa=0.336, lam=1.0, n_chains=8, n_sweeps=None):
    model = Phi4Lattice((L, L), kappa=kappa, lam=lam)
    rows = []
    for algorithm, options, sweeps in (("metropolis", {}, n_sweeps or 40 * L * L),
                                       ("wolff", {"n_clusters": 2}, 4000)):
        chains = Chains(model, algorithm=algorithm, beta=1.0, n_chains=n_chains, seed=7, **options)
        chains.run(min(sweeps // 5, 20000), record=())
        t0 = time.perf_counter()
        records = chains.run(sweeps, record=("magnetization",))
        seconds = (time.perf_counter() - t0) / sweeps
        m2 = (records["magnetization"] / model.dim) ** 2
        tau = integrated_autocorrelation_time(m2)
        cluster = None if records.flipped is None else records.flipped.mean() / sweeps / 2 / model.dim
        rows.append((algorithm, tau.tau, tau.error, seconds, 2 * tau.tau * seconds, cluster))
    return rows


def main() -> None:
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(100, 100)))
    cov = q @ np.diag(np.geomspace(0.1, 1.0, 100)) @ q.T
    gauss = Gaussian(np.zeros(100), 0.5 * (cov + cov.T))
    phi4 = Phi4Lattice((64, 64), kappa=0.30, lam=1.0)
    phi4_columns = np.append(np.random.default_rng(1).choice(phi4.dim, 64, replace=False), -1)

    start = time.perf_counter()
    rows = []
    for algorithm, steps, records, thin in (("mala", 20000, 2000, 10), ("hmc", 2000, 1000, 2)):
        rows.append(gradient_case("Gaussian d = 100", gauss, gaussian_numpy(gauss), algorithm, 16, steps, records,
                                  thin, np.arange(100)))
        print(rows[-1], flush=True)
    for algorithm, steps, records, thin in (("mala", 2000, 1000, 5), ("hmc", 300, 300, 1)):
        rows.append(gradient_case("phi^4 64x64", phi4, phi4_numpy(phi4), algorithm, 8, steps, records, thin,
                                  phi4_columns))
        print(rows[-1], flush=True)
    single = []
    for r, (model, numpy_eg, steps) in zip(rows, ((gauss, gaussian_numpy(gauss), 4000), (gauss, gaussian_numpy(gauss), 400),
                                                 (phi4, phi4_numpy(phi4), 400), (phi4, phi4_numpy(phi4), 40))):
        single.append((r["name"], r["algorithm"], *single_chain_rate(model, numpy_eg, r["algorithm"], r["step"], steps)))
    print(single, flush=True)
    clusters = {L: wolff_vs_metropolis(L) for L in (16, 32)}
    print(clusters, flush=True)
    total = time.perf_counter() - start

    lines = [
        f"Gradient samplers, ebmphys (Numba, {numba.get_num_threads()} threads, chains in parallel) against a plain "
        "numpy implementation of the same algorithm vectorised over the chains, in the same run (same step size, "
        "same starting states; best of 3 for the rates).  `grad/s`: gradient (and energy) evaluations per second "
        "without recording; `ESS/s`: effective samples per second of the median and of the worst coordinate "
        "(tau_int by Sokal's windowing; phi^4: 64 random sites and the magnetisation per site), recording them every few "
        "steps (wall time includes the recording).",
        "",
        "| case | algorithm | step | acceptance (ours / numpy) | grad/s ebmphys | grad/s numpy | ratio | "
        "median ESS/s ebmphys | numpy | ratio | worst ESS/s ebmphys | numpy |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        g, e, w = r["grads"], r["ess_median"], r["ess_min"]
        lines.append(f"| {r['name']} | {r['algorithm']} | {r['step']:.3g} | {r['acc'][0]:.2f} / {r['acc'][1]:.2f} | "
                     f"{g[0]:.3g} | {g[1]:.3g} | {g[0] / g[1]:.1f}x | {e[0]:.3g} | {e[1]:.3g} | {e[0] / e[1]:.1f}x | "
                     f"{w[0]:.3g} | {w[1]:.3g} |")
    lines += ["", NOTE]
    lines += ["", "One chain (numpy's per-step overhead not amortised over a batch): gradient evaluations per second.", "",
              "| case | algorithm | grad/s ebmphys | grad/s numpy | ratio |", "|---|---|---|---|---|"]
    for name, algorithm, ours, theirs in single:
        lines.append(f"| {name} | {algorithm} | {ours:.3g} | {theirs:.3g} | {ours / theirs:.1f}x |")
    lines += [
        "",
        "phi^4 at lam = 1, kappa = 0.336 (near kappa_c): independent samples of m^2.  A Wolff sweep is a "
        "Metropolis sweep followed by 2 embedded-Ising clusters; `cluster/N`: mean cluster size over N.",
        "",
        "| L | algorithm | tau_int(m^2) [sweeps] | ms per sweep (8 chains) | ms per independent sample | "
        "cluster/N |",
        "|---|---|---|---|---|---|",
    ]
    for L, results in clusters.items():
        for algorithm, tau, err, seconds, per_sample, cluster in results:
            lines.append(f"| {L} | {algorithm} | {tau:.1f} +- {err:.1f} | {1e3 * seconds:.3f} | "
                         f"{1e3 * per_sample:.2f} | {'-' if cluster is None else f'{cluster:.2f}'} |")
        gain = results[0][4] / results[1][4]
        lines.append(f"| {L} | Wolff gain per independent sample | | | {gain:.1f}x | |")
    lines += ["", f"Total benchmark time {total:.0f} s."]
    write_section("Continuous samplers", COMMAND, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
