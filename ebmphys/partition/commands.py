"""``ebmphys logz``: log partition functions of Ising models and RBMs from the command line, and log Z studies.

Model, from flags or a spec file (TOML, a ``[model]`` table):

========================  ==================================================================
``--ising2d L``           periodic L x L lattice (``--J``, ``--h``)
``--ising3d L``           periodic L x L x L lattice
``--rbm FILE``            an RBM: an ``RBMTrainer`` checkpoint (HDF5, ``ebmphys train`` /
                          ``RBMTrainer.save``) or an ``.npz`` holding ``W`` (n_visible,
                          n_hidden), ``b`` (n_visible,) and ``c`` (n_hidden,)
``--spec FILE``           ``[model]`` with ``type = "ising"`` (``shape``, ``J``, ``h``,
                          ``periodic``), ``"rbm"`` (``file``, relative to the spec),
                          ``"rbm-digits"`` (an RBM trained here on the binarised digits:
                          ``n_hidden``, ``epochs``, ``learning_rate``, ``seed``) or
                          ``"rbm-random"`` (``n_visible``, ``n_hidden``, ``weight_scale``,
                          ``seed``: W ~ N(0, weight_scale^2), biases ~ N(0, 1))
========================  ==================================================================

Methods: ``exact`` (enumeration), ``kaufman`` (2D periodic lattices), ``ais``,
``reverse-ais``, ``ti`` (thermodynamic integration; ``--n-chains`` chains and
``--steps`` sweeps per grid point) and ``wang-landau`` (``--n-chains`` walkers).
``--json`` prints one JSON object: estimate, stderr, method, seconds, parameters
(and ess, bound, quadrature_error where they apply).

``ebmphys logz --study FILE`` runs a convergence study (``studies/logz_*.toml``):
AIS at every number of steps listed, for each schedule (and reverse AIS if
asked), with the exact value, and writes ``NAME.json`` and ``NAME.png`` (estimate
with error bars against the number of steps and against wall time) to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tomllib
import warnings
from pathlib import Path

import numpy as np

from ebmphys.exceptions import UserError
from ebmphys.limits import require_memory
from ebmphys.models.ising import LatticeIsing
from ebmphys.models.rbm import RBM
from ebmphys.partition.estimate import DEFAULTS, METHODS

MODEL_TYPES = ("ising", "rbm", "rbm-digits", "rbm-random")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "logz",
        help="log partition function of an Ising model or RBM (exact, Kaufman, AIS, reverse AIS, TI, Wang-Landau)",
        description=__doc__.split("\n\n")[0] + " Conventions: k_B = 1, Z = sum exp(-beta E), logs natural (nats).",
    )
    model = p.add_mutually_exclusive_group(required=True)
    model.add_argument("--ising2d", type=int, metavar="L", help="periodic L x L Ising lattice")
    model.add_argument("--ising3d", type=int, metavar="L", help="periodic L x L x L Ising lattice")
    model.add_argument("--rbm", metavar="FILE", help="RBM checkpoint (.h5) or .npz with W, b, c")
    model.add_argument("--spec", metavar="FILE", help="TOML file with a [model] table")
    model.add_argument("--study", metavar="FILE", help="run a log Z convergence study (TOML)")
    p.add_argument("--J", type=float, default=1.0, help="Ising coupling (default 1)")
    p.add_argument("--h", type=float, default=0.0, help="Ising field (default 0)")
    p.add_argument("--beta", type=float, default=1.0, help="inverse temperature (default 1)")
    p.add_argument("--method", default="ais", choices=METHODS, help="estimator (default ais)")
    p.add_argument("--n-chains", type=int, help="AIS chains (100), TI chains per point (8), Wang-Landau walkers (4)")
    p.add_argument("--steps", type=int, help="AIS annealing steps (1000), TI sweeps per point (2000)")
    p.add_argument("--schedule", default="linear", choices=("linear", "geometric", "sigmoid", "adaptive"),
                   help="AIS schedule (default linear)")
    p.add_argument("--data", metavar="DIGITS|FILE",
                   help="RBM data for the base-rate model and reverse AIS: 'digits' or a .npy of 0/1 rows")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("--out", default=".", help="output directory of --study (default: current directory)")
    p.set_defaults(func=run_logz)


# ---------------------------------------------------------------------------- models


def _load_rbm(path: Path) -> RBM:
    if not path.exists():
        raise FileNotFoundError(f"RBM file {str(path)!r} does not exist")
    if path.suffix == ".npz":
        with np.load(path) as f:
            missing = [k for k in ("W", "b", "c") if k not in f]
            if missing:
                raise UserError(f"{path}: an RBM .npz needs arrays W, b and c; missing {missing}")
            W = f["W"]
            if W.ndim != 2:
                raise UserError(f"{path}: W must be a 2D array (n_visible, n_hidden), got shape {W.shape}")
            return RBM(W.shape[0], W.shape[1], W=W, b=f["b"], c=f["c"])
    from ebmphys.training import RBMTrainer

    return RBMTrainer.from_checkpoint(path).rbm_


def _get(table: dict, key: str, kind, default=None, where: str = "[model]"):
    value = table.get(key, default)
    if value is None:
        raise UserError(f"{where}: missing key {key!r}")
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise UserError(f"{where}: {key} must be of type {kind.__name__}, got {value!r}")
    return value


def model_from_table(table: dict, base_dir: Path):
    """Build (model, data) from a ``[model]`` table (see the module docstring); data is None for Ising models."""
    kind = table.get("type")
    if kind not in MODEL_TYPES:
        raise UserError(f"[model]: type must be one of {MODEL_TYPES}, got {kind!r}")
    if kind == "ising":
        shape = _get(table, "shape", list)
        return LatticeIsing(tuple(shape), J=_get(table, "J", float, 1.0), h=_get(table, "h", float, 0.0),
                            periodic=_get(table, "periodic", bool, True)), None
    if kind == "rbm":
        return _load_rbm(base_dir / _get(table, "file", str)), None
    if kind == "rbm-random":
        rng = np.random.default_rng(_get(table, "seed", int, 0))
        nv, nh = _get(table, "n_visible", int), _get(table, "n_hidden", int)
        if nv < 1 or nh < 1:
            raise UserError(f"[model]: n_visible and n_hidden must be >= 1, got {nv} and {nh}")
        require_memory(24 * nv * nh, f"[model] rbm-random of {nv} x {nh} units (n_visible, n_hidden)")
        scale = _get(table, "weight_scale", float, 1.0)
        return RBM(nv, nh, W=rng.normal(0.0, scale, (nv, nh)), b=rng.normal(0.0, 1.0, nv),
                   c=rng.normal(0.0, 1.0, nh)), None
    from ebmphys.datasets import load_binary_digits
    from ebmphys.training import RBMTrainer

    X = load_binary_digits()
    n_hidden = _get(table, "n_hidden", int, 20)
    require_memory(40 * X.shape[1] * n_hidden + 48 * 20 * (X.shape[1] + n_hidden),
                   f"[model] rbm-digits with {n_hidden} hidden units (n_hidden)")
    trainer = RBMTrainer(n_hidden, n_iter=_get(table, "epochs", int, 30),
                         learning_rate=_get(table, "learning_rate", float, 0.05), batch_size=20,
                         random_state=_get(table, "seed", int, 0))
    return trainer.fit(X).rbm_, X


def _load_data(spec: str | None):
    if spec is None:
        return None
    if spec == "digits":
        from ebmphys.datasets import load_binary_digits

        return load_binary_digits()
    path = Path(spec)
    if not path.exists():
        raise FileNotFoundError(f"--data file {spec!r} does not exist")
    return np.load(path)


def _model_from_args(args):
    if args.ising2d is not None or args.ising3d is not None:
        if args.data is not None:
            raise UserError("--data applies to RBMs only")
        L = args.ising2d if args.ising2d is not None else args.ising3d
        if L < 2:
            raise UserError(f"the lattice side L must be >= 2, got {L}")
        shape = (L, L) if args.ising2d is not None else (L, L, L)
        return LatticeIsing(shape, J=args.J, h=args.h), None
    if args.rbm is not None:
        return _load_rbm(Path(args.rbm)), _load_data(args.data)
    path = Path(args.spec)
    with open(path, "rb") as f:
        try:
            spec = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"{path}: not valid TOML ({exc})") from None
    if "model" not in spec:
        raise UserError(f"{path}: needs a [model] table")
    model, data = model_from_table(spec["model"], path.parent)
    return model, data if args.data is None else _load_data(args.data)


# ---------------------------------------------------------------------------- sizes


def memory_estimate(model, method: str, chains: int | None, steps: int | None) -> tuple[int, str]:
    """Bytes ``estimate(model, method, ...)`` needs, and what they are for (to name in a refusal).

    Ising lattices: the neighbour table and its construction (about (8 + 40 d) bytes a
    spin) plus, per chain, the configuration, its copies and the cluster work arrays
    of the reverse-AIS start (40 bytes a spin).  RBMs: the weights (twice) and, per
    chain, the visible and hidden units and their inputs in float64.
    """
    default_chains, _ = DEFAULTS.get(method, (1, None))
    chains = chains or default_chains or 1
    if isinstance(model, RBM):
        units = model.n_visible + model.n_hidden
        return (16 * model.n_visible * model.n_hidden + 48 * chains * units,
                f"logz --method {method}: {chains} chain(s) on an RBM of {model.n_visible} x {model.n_hidden} "
                f"units (--n-chains)")
    if method in ("exact", "kaufman"):
        return 0, ""
    n, d = model.n_spins, model.ndim
    per_chain = {"ti": 3, "wang-landau": 3 + 16 * d}.get(method, 40)
    return (n * (8 + 40 * d) + chains * n * per_chain,
            f"logz --method {method}: {chains} chain(s) x {n:.3g} spins (--n-chains, the lattice size)")


# ---------------------------------------------------------------------------- estimates


def estimate(model, data, method: str, beta: float, chains: int | None, steps: int | None, schedule: str,
             seed: int) -> dict:
    """Run one estimator; return the JSON-able result (estimate, stderr, method, seconds, parameters, ...)."""
    from ebmphys.partition.estimate import estimate_log_z

    default_chains, default_steps = DEFAULTS.get(method, (None, None))
    chains = default_chains if chains is None else chains
    steps = default_steps if steps is None else steps
    if method in ("ti", "wang-landau") and not isinstance(model, LatticeIsing):
        raise UserError(f"--method {method} needs an Ising lattice")
    r = estimate_log_z(model, beta, method=method, n_chains=chains, n_steps=steps, schedule=schedule, seed=seed,
                       data=data)
    out = {"estimate": r.log_z, "stderr": r.stderr, "method": method, "seconds": r.seconds}
    for extra in ("ess", "bound", "quadrature_error"):
        if hasattr(r, extra):
            out[extra] = getattr(r, extra)
    params = {"model": repr(model), "beta": beta, "seed": seed}
    if method in ("ais", "reverse-ais"):
        params.update(n_chains=chains, steps=steps, schedule=schedule)
    elif method == "ti":
        params.update(n_chains=chains, sweeps=steps)
    elif method == "wang-landau":
        params.update(n_chains=chains)
    out["parameters"] = params
    return out


# ---------------------------------------------------------------------------- study


def run_study(path: Path, out_dir: Path, quiet: bool = False) -> dict:
    """Run a log Z convergence study; write NAME.json and NAME.png into ``out_dir``; return the results."""
    from ebmphys.partition.ais import ais, reverse_ais

    with open(path, "rb") as f:
        try:
            spec = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"{path}: not valid TOML ({exc})") from None
    for table in ("study", "model", "ais"):
        if table not in spec:
            raise UserError(f"{path}: needs a [{table}] table")
    study, cfg = spec["study"], spec["ais"]
    name = _get(study, "name", str, where="[study]")
    beta = _get(study, "beta", float, 1.0, where="[study]")
    model, data = model_from_table(spec["model"], path.parent)
    exact_method = _get(spec.get("exact", {}), "method", str, "exact", where="[exact]")
    from ebmphys.partition.estimate import estimate_log_z

    exact = estimate_log_z(model, beta, method=exact_method).log_z
    steps_list = _get(cfg, "steps", list, where="[ais]")
    schedules = _get(cfg, "schedules", list, ["linear"], where="[ais]")
    chains = _get(cfg, "n_chains", int, 100, where="[ais]")
    seed = _get(cfg, "seed", int, 0, where="[ais]")
    require_memory(*memory_estimate(model, "reverse-ais" if _get(cfg, "reverse", bool, False, where="[ais]") else "ais",
                                    chains, None))
    runs = [("forward", s) for s in schedules]
    if _get(cfg, "reverse", bool, False, where="[ais]"):
        runs.append(("reverse", schedules[0]))
    kwargs = {"data": data} if isinstance(model, RBM) else {}
    with warnings.catch_warnings():  # compile the kernels before anything is timed
        warnings.simplefilter("ignore")
        ais(model, beta, n_chains=2, n_steps=2, seed=seed, **kwargs)
    series = []
    for direction, schedule in runs:
        points = []
        for steps in steps_list:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fn = ais if direction == "forward" else reverse_ais
                r = fn(model, beta, n_chains=chains, n_steps=steps, schedule=schedule, seed=seed, **kwargs)
            points.append({"steps": steps, "estimate": r.log_z, "stderr": r.stderr, "ess": r.ess,
                           "seconds": r.seconds})
            if not quiet:
                print(f"{direction:8s} {schedule:9s} steps={steps:7d}  log Z = {r.log_z:.6f} +- {r.stderr:.6f}  "
                      f"error {r.log_z - exact:+.6f}  ESS {r.ess:7.1f}  {r.seconds:7.2f} s", file=sys.stderr)
        series.append({"direction": direction, "schedule": schedule, "points": points})
    result = {"name": name, "model": repr(model), "beta": beta, "exact": exact, "exact_method": exact_method,
              "n_chains": chains, "seed": seed, "series": series}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{name}.json").write_text(json.dumps(result, indent=2))
    _plot_study(result, out_dir / f"{name}.png", study.get("description", name))
    return result


def _plot_study(result: dict, path: Path, title: str) -> None:
    """Estimates with 1 s.e. bars against steps and wall time; the y range is set by the trusted points
    (ESS >= max(5, 0.1 chains)), and points outside it are drawn as triangles on its edge."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    exact = result["exact"]
    trusted = [p for s in result["series"] for p in s["points"] if p["ess"] >= max(5.0, 0.1 * result["n_chains"])]
    spread = 1.1 * max([abs(p["estimate"] - exact) + p["stderr"] for p in trusted] or [1.0])
    lo, hi = exact - spread, exact + spread
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for k, s in enumerate(result["series"]):
        color = f"C{k}"
        y = np.array([p["estimate"] for p in s["points"]])
        err = np.array([p["stderr"] for p in s["points"]])
        for ax, key in zip(axes, ("steps", "seconds")):
            x = np.array([p[key] for p in s["points"]])
            ax.errorbar(x, y, yerr=err, marker="o", ms=4, capsize=3, color=color,
                        label=f"{s['direction']} AIS, {s['schedule']}")
            out = (y < lo) | (y > hi)
            ax.plot(x[out], np.clip(y[out], lo, hi), ls="none", marker="v", ms=8, color=color)
    for ax, xlabel in zip(axes, ("annealing steps (intermediate distributions + 1)", "wall time (s)")):
        ax.axhline(exact, color="k", lw=1, ls="--", label="exact (" + {"exact": "enumeration", "kaufman": "Kaufman"}[result["exact_method"]] + ")")
        ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
    axes[0].set_ylim(lo, hi)
    axes[0].set_ylabel(f"log Z at beta = {result['beta']:.6g} (nats)")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{title}\n{result['model']}, {result['n_chains']} chains, error bars = 1 s.e., "
                 f"triangles: off-scale estimates (ESS < 10%)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# ---------------------------------------------------------------------------- command


def run_logz(args: argparse.Namespace) -> int:
    if args.study is not None:
        run_study(Path(args.study), Path(args.out), quiet=args.json)
        return 0
    if not (math.isfinite(args.beta) and args.beta > 0):
        raise UserError(f"--beta must be finite and > 0, got {args.beta}")
    for flag in ("n_chains", "steps"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise UserError(f"--{flag.replace('_', '-')} must be >= 1, got {value}")
    model, data = _model_from_args(args)
    require_memory(*memory_estimate(model, args.method, args.n_chains, args.steps))
    result = estimate(model, data, args.method, args.beta, args.n_chains, args.steps, args.schedule, args.seed)
    if args.json:
        print(json.dumps(result))
    else:
        extra = f", ESS {result['ess']:.1f} ({result['bound']} bound)" if "ess" in result else ""
        print(f"log Z = {result['estimate']:.8f} +- {result['stderr']:.2g}  "
              f"({result['method']}, {model!r}, beta = {args.beta:g}{extra}, {result['seconds']:.2f} s)")
    return 0
