"""Accuracy, wall time and honesty of the AIS error bar for log Z, against exact values.

Cases (forward AIS, 100 chains):

* 2D Ising, periodic L x L at beta_c, L = 16 and 32; exact by Kaufman's formula.
* a 64 x 20 RBM trained on the binarised digits (RBMTrainer, PCD-1), base-rate model
  from the data; random 64 x 20 RBMs (W ~ N(0, s^2), biases ~ N(0, 1)); exact by
  enumerating the 2**20 hidden states.

Each case runs ``--repeats`` times with different seeds (kernels compiled before
timing).  Reported: the error of the first run, the median wall time, the RMS
error, and the honesty of the standard error: the fraction of runs whose error is
within 3 of their own standard errors (should be >= 95%), and the mean and spread
of z = error / stderr (ideally 0 and 1).  Writes the section "Partition functions"
of BENCHMARKS.md.

    python benchmarks/logz_accuracy.py --repeats 40 --repeats-large 40   # about 30 minutes on 2 cores
    python benchmarks/logz_accuracy.py --repeats 10 --repeats-large 3    # a quick look
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_section  # noqa: E402

from ebmphys.datasets import load_binary_digits  # noqa: E402
from ebmphys.models import LatticeIsing  # noqa: E402
from ebmphys.models.rbm import RBM  # noqa: E402
from ebmphys.partition import BETA_C, ais, ising2d_log_z  # noqa: E402
from ebmphys.partition.rbm_exact import rbm_log_z_exact  # noqa: E402
from ebmphys.training import RBMTrainer  # noqa: E402


def _random_rbm(scale: float, seed: int) -> RBM:
    rng = np.random.default_rng(seed)
    return RBM(64, 20, W=rng.normal(0.0, scale, (64, 20)), b=rng.normal(0.0, 1.0, 64), c=rng.normal(0.0, 1.0, 20))


def cases(repeats_large: int):
    """(name, model, beta, ais keyword arguments, exact log Z, target |error|, target seconds, repeats)."""
    X = load_binary_digits()
    digits = RBMTrainer(20, n_iter=30, learning_rate=0.05, batch_size=20, random_state=0).fit(X).rbm_
    out = [
        ("Ising 16x16, beta_c", LatticeIsing((16, 16)), BETA_C, dict(n_steps=30000, schedule="linear"),
         ising2d_log_z(16, 16, BETA_C), 0.05, 60.0, None),
        ("Ising 32x32, beta_c", LatticeIsing((32, 32)), BETA_C, dict(n_steps=20000, schedule="adaptive"),
         ising2d_log_z(32, 32, BETA_C), 0.2, 60.0, repeats_large),
        ("RBM 64x20, digits (PCD-1, 30 epochs)", digits, 1.0, dict(n_steps=10000, data=X),
         rbm_log_z_exact(digits), 0.02, 5.0, None),
    ]
    for scale in (1.0, 2.0):
        rbm = _random_rbm(scale, seed=int(10 * scale))
        out.append((f"RBM 64x20, random, W ~ N(0, {scale:g}^2)", rbm, 1.0, dict(n_steps=30000),
                    rbm_log_z_exact(rbm), 0.05, 60.0, None))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=40, help="runs per case (default 40)")
    parser.add_argument("--repeats-large", type=int, default=40,
                        help="runs of the 32x32 case, the slowest (default 40)")
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = parser.parse_args()
    rows = []
    for name, model, beta, kwargs, exact, target_err, target_s, repeats in cases(args.repeats_large):
        repeats = min(args.repeats, repeats or args.repeats)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ais(model, beta, n_chains=2, n_steps=2, seed=0, **{k: v for k, v in kwargs.items() if k == "data"})
        errors, stderrs, seconds, ess = [], [], [], []
        for seed in range(repeats):
            start = time.perf_counter()
            r = ais(model, beta, n_chains=100, seed=1000 + seed, **kwargs)
            seconds.append(time.perf_counter() - start)
            errors.append(r.log_z - exact)
            stderrs.append(r.stderr)
            ess.append(r.ess)
            print(f"{name}: run {seed + 1}/{repeats}: error {errors[-1]:+.4f} +- {r.stderr:.4f}, ESS {r.ess:.1f}, "
                  f"{seconds[-1]:.1f} s", flush=True)
        errors, stderrs = np.array(errors), np.array(stderrs)
        z = errors / stderrs
        steps = f"{kwargs['n_steps']} {kwargs.get('schedule', 'linear')}"
        rows.append(
            f"| {name} | {exact:.4f} | {steps} | {errors[0]:+.4f} +- {stderrs[0]:.4f} | "
            f"{np.sqrt(np.mean(errors**2)):.4f} | {np.median(seconds):.1f} | {np.median(ess):.0f} | "
            f"{target_err:g} nats / {target_s:g} s | {np.mean(np.abs(z) <= 3):.0%} of {repeats} | "
            f"{z.mean():+.2f} / {z.std(ddof=1) if repeats > 1 else float('nan'):.2f} |"
        )
        print(rows[-1], flush=True)
    body = (
        "Forward AIS, 100 chains, heat-bath (Ising) or block-Gibbs with summed-out hidden units (RBM). "
        "Error = estimate - exact (Kaufman's formula for the Ising lattices, enumeration of the 2^20 hidden "
        "states for the RBMs); 'first run' is seed 1000; time and ESS are medians over the runs; "
        "'within 3 s.e.' is the fraction of runs whose error is within 3 of their own standard errors, "
        "z = error / s.e. (ideally mean 0, spread 1).  The machine is shared by several engineers, so the "
        "wall times vary with its load.\n\n"
        "| case | exact log Z | steps, schedule | error, first run | RMS error | time (s) | ESS | target | "
        "within 3 s.e. | z mean / spread |\n|---|---|---|---|---|---|---|---|---|---|\n" + "\n".join(rows)
    )
    print(body)
    if not args.no_write:
        command = "python benchmarks/logz_accuracy.py " + " ".join(sys.argv[1:])
        write_section("Partition functions", command.strip(), body)


if __name__ == "__main__":
    main()
