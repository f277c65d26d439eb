"""``ebmphys scan``: a quick temperature scan of a periodic 2D Ising lattice, printed as a table."""

from __future__ import annotations

import argparse

import numpy as np

from ebmphys.models import LatticeIsing
from ebmphys.sampling.backends import ALGORITHMS
from ebmphys.sampling.sample import sample


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "scan",
        help="quick temperature scan of the 2D Ising model (table of E/N and |m| with error bars)",
        description="Sample a periodic L x L Ising lattice (J = 1, h = 0, k_B = 1) at evenly spaced "
        "temperatures and print energy per spin and |m| per spin; errors are standard errors "
        "over independent chains.",
    )
    p.add_argument("--size", type=int, default=16, help="side length L (even, default 16)")
    p.add_argument("--t-min", type=float, default=1.5, help="lowest temperature T = 1/beta (default 1.5)")
    p.add_argument("--t-max", type=float, default=3.5, help="highest temperature (default 3.5)")
    p.add_argument("--n-temps", type=int, default=9, help="number of temperatures (default 9)")
    p.add_argument("--sweeps", type=int, default=2000, help="measured sweeps per chain (default 2000)")
    p.add_argument("--burn-in", type=int, default=500, help="discarded sweeps per chain (default 500)")
    p.add_argument("--chains", type=int, default=8, help="independent chains per temperature (default 8)")
    p.add_argument("--algorithm", default="metropolis", choices=sorted(ALGORITHMS))
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run_scan)


def run_scan(args: argparse.Namespace) -> int:
    if not (args.t_min > 0 and args.t_max >= args.t_min and np.isfinite(args.t_max)):
        raise ValueError(f"need 0 < --t-min <= --t-max, got --t-min={args.t_min} --t-max={args.t_max}")
    if args.n_temps < 1:
        raise ValueError(f"--n-temps must be >= 1, got {args.n_temps}")
    if args.chains < 2:
        raise ValueError(f"--chains must be >= 2 for error bars, got {args.chains}")
    model = LatticeIsing((args.size, args.size))
    print(f"# 2D Ising {args.size}x{args.size} periodic, J=1, h=0, {args.algorithm}, "
          f"{args.chains} chains x {args.sweeps} sweeps after {args.burn_in} burn-in, seed {args.seed}")
    print(f"{'T':>7} {'E/N':>10} {'err':>8} {'|m|':>8} {'err':>8}")
    for temperature in np.linspace(args.t_min, args.t_max, args.n_temps):
        r = sample(model, beta=1.0 / temperature, n_sweeps=args.sweeps, burn_in=args.burn_in,
                   n_chains=args.chains, algorithm=args.algorithm, seed=args.seed)
        e = r.energy_per_spin.mean(axis=1)
        m = r.abs_magnetization_per_spin.mean(axis=1)
        root_n = np.sqrt(args.chains)
        print(f"{temperature:7.3f} {e.mean():10.5f} {e.std(ddof=1) / root_n:8.5f} "
              f"{m.mean():8.5f} {m.std(ddof=1) / root_n:8.5f}")
    return 0
