"""GPU kernels against the CPU kernels, in the same run: writes the "GPU kernels" section of BENCHMARKS.md.

Run on a machine with an NVIDIA GPU:

    pip install ".[cuda]" && python benchmarks/gpu.py          # about 5-10 minutes

It refuses to run without a real GPU (the CUDA simulator included: a simulator
timing is never a GPU figure).  Figures, each measured on the GPU and on the CPU
kernels (all cores) in the same run:

* spin-flip attempts per ns of checkerboard Metropolis and heat bath, one chain,
  2D L = 1024, 4096, 16384 at T = 2.269 and 3D L = 128, 256 at T = 4.51
  (goal of issue 11 for the int8 kernel: >= 300 flips/ns at 2D L = 16384 on an
  H100-class GPU);
* Swendsen-Wang steps per second, one chain, 2D L = 1024 and 4096 at T_c;
* RBM PCD-1 epochs per second, 784 x 500, batch 100, 100 persistent chains, on
  60,000 random binary rows (p = 1/2); the CPU epoch (single-threaded kernel) is
  timed on the first 6,000 rows and scaled to 60,000 (said in the table);
* AIS steps per second (all chains), RBM 784 x 500 with 1,000 chains and 2D Ising
  L = 64 with 1,000 chains (heat bath).

Every figure is the best of REPEATS timed runs after a warm-up (compilation
excluded), each run sized to take about TARGET_S seconds; GPU timings end with a
device synchronisation.  Each row is printed as soon as it is measured.

``--smoke`` runs every measurement once at tiny sizes, also under the CUDA
simulator, prints the table marked as a smoke run and writes nothing: a check
that the script works before it is given GPU time (``tests/cuda/test_gpu_benchmark.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import ebmphys  # noqa: E402
from _report import write_section  # noqa: E402
from ebmphys.exceptions import DeviceError  # noqa: E402
from ebmphys.sampling import Chains  # noqa: E402
from ebmphys.sampling.registry import check_device, cuda_status  # noqa: E402

TITLE = "GPU kernels"
TARGET_S = 1.0
REPEATS = 3
T_C = 2 / np.log(1 + np.sqrt(2))
#: sizes of the measurements: the real ones, and tiny ones for --smoke
SIZES = {
    "lattices": (((1024, 1024), T_C), ((4096, 4096), T_C), ((16384, 16384), T_C), ((128, 128, 128), 4.51),
                 ((256, 256, 256), 4.51)),
    "swendsen_wang": (1024, 4096),
    "rbm": dict(n_rows=60_000, n_visible=784, n_hidden=500, cpu_fraction=10, n_chains=100),
    "ais_chains": 1000,
    "ais_ising": 64,
    "ais_steps": 50,
}
SMOKE_SIZES = {
    "lattices": (((8, 6), T_C), ((4, 4, 4), 4.51)),
    "swendsen_wang": (8,),
    "rbm": dict(n_rows=20, n_visible=6, n_hidden=4, cpu_fraction=2, n_chains=3),
    "ais_chains": 2,
    "ais_ising": 4,
    "ais_steps": 2,
}


def require_gpu(smoke: bool = False) -> str:
    """The GPU's name; exit with status 2 and the reason without a real GPU (``smoke``: the simulator will do)."""
    try:
        check_device("cuda")
    except DeviceError as exc:
        refuse(f"benchmarks/gpu.py needs a GPU: {exc}")
    status = cuda_status()
    if status.simulator and not smoke:
        refuse("benchmarks/gpu.py refuses to run under the CUDA simulator (NUMBA_ENABLE_CUDASIM=1): "
               "simulator timings are not GPU figures")
    return status.detail


def refuse(message: str) -> None:
    print(message, file=sys.stderr)
    sys.exit(2)


def synchronize():
    from numba import cuda

    cuda.synchronize()


def best_rate(run, work_per_call: float, gpu: bool) -> float:
    """Best rate (work units per second) of ``run(n)`` over REPEATS runs of about TARGET_S seconds each."""
    run(1)
    if gpu:
        synchronize()
    start = time.perf_counter()
    run(1)
    if gpu:
        synchronize()
    n = max(1, int(TARGET_S / max(time.perf_counter() - start, 1e-6)))
    best = 0.0
    for _ in range(REPEATS):
        start = time.perf_counter()
        run(n)
        if gpu:
            synchronize()
        best = max(best, n * work_per_call / (time.perf_counter() - start))
    return best


def spin_flips(shape, temperature, algorithm, device):
    model = ebmphys.LatticeIsing(shape)
    chains = Chains(model, algorithm=algorithm, beta=1 / temperature, n_chains=1, seed=1, device=device)
    rate = best_rate(lambda n: chains.run(n, record=()), model.n_spins, device == "cuda")
    return rate / 1e9


def swendsen_wang(L, device):
    chains = Chains(ebmphys.LatticeIsing((L, L)), algorithm="swendsen-wang", beta=1 / T_C, n_chains=1, seed=2,
                    device=device)
    return best_rate(lambda n: chains.run(n, record=()), 1, device == "cuda")


def pcd_epochs(device, n_rows, n_visible, n_hidden, cpu_fraction, n_chains):
    from ebmphys.kernels import rbm_cpu

    rng = np.random.default_rng(3)
    data = (rng.random((n_rows, n_visible)) < 0.5).astype(np.uint8)
    rows = n_rows if device == "cuda" else n_rows // cpu_fraction
    W = 0.01 * rng.standard_normal((n_visible, n_hidden))
    arrays = dict(data=data[:rows], order=np.arange(rows, dtype=np.int64), W=W, WT=np.ascontiguousarray(W.T),
                  b=np.zeros(n_visible), c=np.zeros(n_hidden), vel_W=np.zeros_like(W), vel_b=np.zeros(n_visible),
                  vel_c=np.zeros(n_hidden), chains=np.zeros((n_chains, n_hidden), np.uint8), mu=data.mean(axis=0),
                  lam=np.full(n_hidden, 0.5))
    if device == "cuda":
        from numba import cuda

        from ebmphys.kernels import rbm_cuda

        arrays = {name: cuda.to_device(x) for name, x in arrays.items()}  # data and parameters stay on the GPU
        epoch = rbm_cuda.train_epoch
    else:
        epoch = rbm_cpu.train_epoch
    step = [1]

    def run(n):
        a = arrays
        for _ in range(n):
            step[0] = epoch(a["data"], a["order"], 100, a["W"], a["WT"], a["b"], a["c"], a["vel_W"], a["vel_b"],
                            a["vel_c"], a["chains"], True, 1, step[0], 0, 0.01, 0.5, 0.0, False, a["mu"], a["lam"],
                            0.01, 4, 5)

    return best_rate(run, rows / n_rows, device == "cuda")


def ais_steps(model, n_chains, n_steps, device, **options):
    chains = Chains(model, beta=0.0, n_chains=n_chains, seed=6, device=device, **options)
    betas = np.linspace(0.0, 1.0, n_steps + 1)
    path = {}
    if isinstance(model, ebmphys.models.RBM):
        path = dict(base_bias=np.zeros(model.n_visible), base_weights=1.0 - betas)
    return best_rate(lambda n: [chains.anneal(betas, **path) for _ in range(n)], betas.size - 1, device == "cuda")


def main() -> None:
    global TARGET_S, REPEATS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print the table without writing BENCHMARKS.md")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, one run each, simulator allowed, nothing written: check the script works")
    args = parser.parse_args()
    gpu_name = require_gpu(args.smoke)
    sizes = SMOKE_SIZES if args.smoke else SIZES
    if args.smoke:
        TARGET_S, REPEATS = 0.0, 1
    import numba_cuda

    rows = []
    started = time.perf_counter()

    def add(case, unit, measure):
        gpu, cpu = measure("cuda"), measure("cpu")
        rows.append(f"| {case} | {unit} | {gpu:.4g} | {cpu:.4g} | {gpu / cpu:.1f} |")
        print(f"{rows[-1]}  ({time.perf_counter() - started:.0f} s)", flush=True)

    for shape, temperature in sizes["lattices"]:
        for algorithm in ("metropolis", "heatbath"):
            name = "x".join(map(str, shape))
            add(f"{algorithm} {len(shape)}D {name}, T = {temperature:.3f}", "flips/ns",
                lambda d, s=shape, t=temperature, a=algorithm: spin_flips(s, t, a, d))
    for L in sizes["swendsen_wang"]:
        add(f"Swendsen-Wang 2D {L}x{L}, T_c", "steps/s", lambda d, L=L: swendsen_wang(L, d))
    r = sizes["rbm"]
    add(f"RBM PCD-1 {r['n_visible']}x{r['n_hidden']}, {r['n_rows']:,} rows, batch 100 "
        f"(CPU: {r['n_rows'] // r['cpu_fraction']:,} rows, scaled)", "epochs/s", lambda d: pcd_epochs(d, **r))
    rng = np.random.default_rng(7)
    shape = (r["n_visible"], r["n_hidden"])
    rbm = ebmphys.models.RBM(*shape, W=0.01 * rng.standard_normal(shape), b=rng.normal(size=shape[0]),
                             c=rng.normal(size=shape[1]))
    n_ais, L_ais, k = sizes["ais_chains"], sizes["ais_ising"], sizes["ais_steps"]
    add(f"AIS RBM {shape[0]}x{shape[1]}, {n_ais:,} chains, {k} steps", "steps/s",
        lambda d: ais_steps(rbm, n_ais, k, d, algorithm="gibbs"))
    add(f"AIS Ising 2D {L_ais}x{L_ais} heat bath, {n_ais:,} chains, {k} steps", "steps/s",
        lambda d: ais_steps(ebmphys.LatticeIsing((L_ais, L_ais)), n_ais, k, d, algorithm="heatbath"))
    table = "\n".join(["| case | unit | GPU | CPU (all cores) | GPU / CPU |", "|---|---|---|---|---|", *rows])
    if args.smoke:
        print(f"smoke run on {gpu_name}: tiny sizes, one run each; these are not GPU figures\n\n{table}")
        return
    body = (f"GPU: {gpu_name} (numba-cuda {numba_cuda.__version__}); CPU figures from the CPU kernels in the same "
            f"run, best of {REPEATS} runs of about {TARGET_S:g} s each, compilation excluded. Spin updates are "
            f"bit-identical on both devices. Goal for the int8 checkerboard kernel: at least 300 flips/ns at 2D "
            f"L = 16384 on an H100-class GPU.\n\n{table}")
    print(body)
    if not args.no_write:
        write_section(TITLE, "python benchmarks/gpu.py", body)


if __name__ == "__main__":
    main()
