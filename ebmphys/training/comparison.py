"""Method comparisons with exact likelihoods: the mixture experiment of Carbone et al., a tilted double well.

A comparison spec (``ebmphys train studies/jarzynski_mixture.toml``; schema
:data:`COMPARISON_SCHEMA`) trains the same initial model by each MCMC method with
the same walker budget and records, along training, the exact log-likelihood of
the training data, the model's mode weights or trained parameters and (Jarzynski)
the effective sample size and the running log Z estimate.

``[mixture]`` (one case per entry of ``dims``, Carbone, Hua, Coste and
Vanden-Eijnden 2023, section 5.1): data from two unit-covariance Gaussians centred
at ``centers[0]`` and ``centers[1]`` on the first axis with weights ``weights``;
the model is a ``GaussianMixture`` of the same form (unit covariances fixed)
starting from equal weights and means at ``initial_centers`` on the first axis
(other coordinates ~ N(0, ``initial_spread``^2)); log-weights and means train by
full-batch gradient descent (one update per epoch).  Z = sum_k w_k, so the
log-likelihood is exact.

``[double_well]``: data from a (x^2 - 1)^2 + c x (1-D, ``barrier`` a, ``tilt`` c,
drawn by inverting the CDF computed by quadrature); the model is the same double
well at ``initial_tilt``, only c trains; log Z by 1-D quadrature.  The file also
stores the exact maximum-likelihood tilt of the data (the root of
mean_data x = E_c[x]).

Output (HDF5, file_format ``ebmphys-ebm-comparison-1``, every dataset with a
Fletcher-32 checksum, rewritten atomically after each finished run, so
``--resume`` skips finished runs)::

    /                         attrs: creator, creator_version, file_format, spec_toml, conventions
    /cases/<case>             attrs: kind, dim, order (position in the spec), truth_json,
                              reference_log_likelihood (mean exact log-likelihood of the true model on the
                              data), mle_tilt (double well); dataset data (the training rows)
    /cases/<case>/<method>    theta (final), negatives (final walkers or samples), negative_weights (Jarzynski);
                              attrs seconds, updates, n_resamplings (Jarzynski)
    /cases/<case>/<method>/history/<name>
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import h5py
import numpy as np

from ebmphys import __version__
from ebmphys.exceptions import UserError
from ebmphys.kernels.rng import HOST_EBM_DATA, derive_seed, host_generator
from ebmphys.models.gaussian import GaussianMixture
from ebmphys.models.quartic import DoubleWell
from ebmphys.partition.continuous_exact import continuous_log_z, exact_samples
from ebmphys.progress import Progress
from ebmphys.storage.atomic import atomic_hdf5, create_dataset
from ebmphys.study.spec import Key
from ebmphys.training.ebm_estimator import EBMTrainer
from ebmphys.training.ebm_monitors import quadrature_samples
from ebmphys.training.negative import MCMC_METHODS

FILE_FORMAT = "ebmphys-ebm-comparison-1"
CONVENTIONS = "p(x) = exp(-E_theta(x)) / Z_theta (beta = 1, k_B = 1); log-likelihoods in nats per sample"
_POSITIVE = {"minimum": 0.0, "exclusive_minimum": True}


def _training(n_updates: int, learning_rate: float, step_size: float, k: int, cd_k: int, noise_init: str,
              monitor_every: int) -> dict:
    """The training keys of a case, with that case's defaults."""
    return {
        "n_updates": Key("int", n_updates, minimum=1, doc="Full-batch updates (epochs)."),
        "learning_rate": Key("float", learning_rate, **_POSITIVE, doc="SGD learning rate (no momentum)."),
        "step_size": Key("float", step_size, **_POSITIVE, doc="Langevin step h (noise sqrt(2 h))."),
        "n_walkers": Key("int", 1000, minimum=1, doc="Walkers / negative samples per update, the same for every "
                                                     "method."),
        "k": Key("int", k, minimum=1, doc="Langevin steps per update (pcd, replay, jarzynski)."),
        "cd_k": Key("int", cd_k, minimum=1, doc="Langevin steps of CD from the data at every update."),
        "buffer_size": Key("int", 10000, minimum=1, doc="Replay-buffer entries."),
        "reinit_prob": Key("float", 0.05, minimum=0.0, maximum=1.0, doc="Replay restarts from noise."),
        "noise_init": Key("str", noise_init, choices=("gaussian", "uniform"), doc="Noise of replay restarts."),
        "ess_threshold": Key("float", 0.5, **_POSITIVE, maximum=1.0, doc="Jarzynski resampling threshold (ESS / N)."),
        "n_samples": Key("int", 2000, minimum=2, doc="Training rows drawn from the true model."),
        "monitor_every": Key("int", monitor_every, minimum=1, doc="Updates between monitor evaluations."),
    }


COMPARISON_SCHEMA = {
    "comparison": {
        "name": Key("str", doc="Name of the comparison (labels the file and the figure)."),
        "methods": Key("str_list", list(MCMC_METHODS), choices=MCMC_METHODS, doc="MCMC methods compared."),
        "seed": Key("int", 0, minimum=0, maximum=2**64 - 1, doc="Seed of the data, the initial model and training."),
        "cases": Key("str_list", ["mixture", "double_well"], choices=("mixture", "double_well"), doc="Cases run."),
    },
    "mixture": {
        "dims": Key("int_list", [2, 10], minimum=1, maximum=100, doc="Dimensions d, one case each."),
        "weights": Key("float_list", [0.25, 0.75], **_POSITIVE, doc="True mode weights (two modes)."),
        "centers": Key("float_list", [-10.0, 6.0], doc="True means on the first axis."),
        "initial_centers": Key("float_list", [-0.1, 0.1], doc="Initial model means on the first axis."),
        "initial_spread": Key("float", 0.01, minimum=0.0, doc="Std of the other coordinates of the initial means."),
        **_training(3000, 0.005, 0.1, 1, 4, "gaussian", 25),
    },
    "double_well": {
        "barrier": Key("float", 3.0, **_POSITIVE, doc="a of a (x^2 - 1)^2 + c x (fixed)."),
        "tilt": Key("float", 0.5, doc="True c."),
        "initial_tilt": Key("float", 0.0, doc="Initial c of the model."),
        **_training(2000, 0.02, 0.01, 5, 5, "uniform", 20),
    },
}


def _check(spec: dict) -> None:
    m = spec["mixture"]
    for key in ("weights", "centers", "initial_centers"):
        if len(m[key]) != 2:
            raise UserError(f"mixture.{key} = {m[key]!r} is not allowed: expected two values (two modes)")
    for case in ("mixture", "double_well"):
        t = spec[case]
        if "replay" in spec["comparison"]["methods"] and t["buffer_size"] < t["n_walkers"]:
            raise UserError(f"{case}.buffer_size = {t['buffer_size']} is not allowed: expected >= {case}.n_walkers "
                            f"= {t['n_walkers']}")


def cases(spec: dict) -> list[str]:
    """Case names in running order: mixture_d<d> for every dimension, then double_well."""
    names = []
    if "mixture" in spec["comparison"]["cases"]:
        names += [f"mixture_d{d}" for d in spec["mixture"]["dims"]]
    if "double_well" in spec["comparison"]["cases"]:
        names.append("double_well")
    return names


def build_case(spec: dict, case: str) -> dict:
    """The data, the true and initial models and the settings of one case."""
    seed = spec["comparison"]["seed"]
    if case.startswith("mixture_d"):
        m = spec["mixture"]
        d = int(case[len("mixture_d"):])
        centers = np.zeros((2, d))
        centers[:, 0] = m["centers"]
        true = GaussianMixture(m["weights"], centers)
        X = exact_samples(true, m["n_samples"], host_generator(derive_seed(seed, d), HOST_EBM_DATA, 0))
        start = host_generator(derive_seed(seed, d), HOST_EBM_DATA, 1).normal(0.0, m["initial_spread"], size=(2, d))
        start[:, 0] = m["initial_centers"]
        initial = GaussianMixture([0.5, 0.5], start)
        truth = {"weights": list(m["weights"]), "centers": list(m["centers"])}
        return {"kind": "mixture", "dim": d, "order": cases(spec).index(case), "X": X, "true": true,
                "initial": initial, "settings": m,
                "trainable": ["log_weights", "means"], "monitors": ["log_likelihood", "mode_weights"],
                "truth": truth}
    t = spec["double_well"]
    true = DoubleWell(1, barrier=t["barrier"], tilt=t["tilt"])
    X = quadrature_samples(true, np.array([[-1.5], [1.5]]), t["n_samples"], host_generator(seed, HOST_EBM_DATA, 0))
    initial = DoubleWell(1, barrier=t["barrier"], tilt=t["initial_tilt"])
    return {"kind": "double_well", "dim": 1, "order": cases(spec).index(case), "X": X, "true": true,
            "initial": initial, "settings": t,
            "trainable": ["tilt"], "monitors": ["log_likelihood", "parameters"],
            "truth": {"barrier": t["barrier"], "tilt": t["tilt"]}}


def mle_tilt(X: np.ndarray, barrier: float) -> float:
    """The maximum-likelihood tilt c of a (x^2 - 1)^2 + c x for the rows ``X``: the root of mean x = E_c[x]."""
    from scipy.optimize import brentq

    from ebmphys.partition.continuous_exact import quartic_moments_1d

    target = float(X.mean())

    def mismatch(c):
        return quartic_moments_1d(DoubleWell(1, barrier=barrier, tilt=c), 1.0, (1,))[0] - target

    return float(brentq(mismatch, -4.0 * barrier, 4.0 * barrier, xtol=1e-12))


def trainer_for(spec: dict, case: dict, method: str) -> EBMTrainer:
    """The EBMTrainer of one run: full batch, SGD, the case's walker budget."""
    t = case["settings"]
    extra = {}
    if method == "cd":
        extra["k"] = t["cd_k"]
    elif method == "replay":
        extra.update(buffer_size=t["buffer_size"], reinit_prob=t["reinit_prob"], noise_init=t["noise_init"])
    elif method == "jarzynski":
        extra["ess_threshold"] = t["ess_threshold"]
    monitors = list(case["monitors"]) + (["ess", "log_z_estimate"] if method == "jarzynski" else [])
    return EBMTrainer(case["initial"], method=method, sampler="langevin", k=extra.pop("k", t["k"]),
                      step_size=t["step_size"], n_walkers=t["n_walkers"], optimizer="sgd",
                      learning_rate=t["learning_rate"], batch_size=t["n_samples"], n_iter=t["n_updates"],
                      trainable=case["trainable"], monitors=monitors, monitor_every=t["monitor_every"],
                      random_state=spec["comparison"]["seed"], **extra)


def _done(path: Path) -> set[tuple[str, str]]:
    if not path.exists():
        return set()
    with h5py.File(path, "r") as f:
        if f.attrs.get("file_format") != FILE_FORMAT:
            raise UserError(f"{path} is not an ebmphys comparison file; use --overwrite to replace it")
        return {(case, method) for case in f.get("cases", {}) for method in f["cases"][case]
                if isinstance(f["cases"][case][method], h5py.Group)}


def _write_case(f: h5py.File, name: str, case: dict) -> None:
    g = f.require_group(f"cases/{name}")
    if "data" not in g:
        create_dataset(g, "data", data=case["X"])
    g.attrs["kind"] = case["kind"]
    g.attrs["dim"] = case["dim"]
    g.attrs["truth_json"] = json.dumps(case["truth"])
    g.attrs["reference_log_likelihood"] = float(np.mean(-case["true"].energy(case["X"]))
                                                - continuous_log_z(case["true"]))
    g.attrs["order"] = case["order"]
    if case["kind"] == "double_well":
        g.attrs["mle_tilt"] = mle_tilt(case["X"], case["settings"]["barrier"])


def _write_run(f: h5py.File, name: str, method: str, trainer: EBMTrainer, seconds: float) -> None:
    g = f.require_group(f"cases/{name}").create_group(method)
    create_dataset(g, "theta", data=trainer.model_.theta)
    phase = trainer._phase
    create_dataset(g, "negatives", data=phase.last)
    if phase.last_weights is not None:
        create_dataset(g, "negative_weights", data=phase.last_weights)
        g.attrs["n_resamplings"] = phase.n_resamplings
    h = g.create_group("history")
    for key, values in trainer.history_.items():
        create_dataset(h, key, data=np.asarray(values, dtype=np.float64))
    g.attrs["seconds"] = seconds
    g.attrs["updates"] = trainer.update_


def run_comparison(spec: dict, text: str, out: Path, *, resume: bool, quiet: bool) -> list[str]:
    """Run every (case, method) not yet in ``out`` and write each into it; return summary lines."""
    _check(spec)
    done = _done(out) if resume else set()
    if not resume and out.exists():
        out.unlink()
    runs = [(case, method) for case in cases(spec) for method in spec["comparison"]["methods"]]
    lines = []
    with Progress(len(runs), enabled=not quiet, desc=spec["comparison"]["name"], unit="run",
                  initial=len(done)) as progress:
        for name in cases(spec):
            case = build_case(spec, name)
            for method in spec["comparison"]["methods"]:
                if (name, method) in done:
                    continue
                trainer = trainer_for(spec, case, method)
                start = time.perf_counter()
                trainer.fit(case["X"])
                seconds = time.perf_counter() - start
                first = not out.exists()
                with atomic_hdf5(out, copy_from=None if first else out) as f:
                    if first:
                        f.attrs["creator"] = "ebmphys"
                        f.attrs["creator_version"] = __version__
                        f.attrs["file_format"] = FILE_FORMAT
                        f.attrs["conventions"] = CONVENTIONS
                        f.attrs["spec_toml"] = text
                    _write_case(f, name, case)
                    _write_run(f, name, method, trainer, seconds)
                lines.append(summary_line(name, method, trainer, case))
                progress.update(1)
    return lines


def summary_line(name: str, method: str, trainer: EBMTrainer, case: dict) -> str:
    h = trainer.history_
    ll = h["log_likelihood"][-1]
    if case["kind"] == "mixture":
        w = case["truth"]["weights"]
        what = f"mode-0 weight {h['mode_weight_0'][-1]:.3f} (true {w[0] / sum(w):.3f})"
    else:
        key = next(k for k in h if k.startswith("theta_"))
        late = np.asarray(h[key][-max(1, len(h[key]) // 4):])
        what = (f"tilt {trainer.model_.tilt:.4f}, last quarter {late.mean():.4f} +- {late.std():.4f} "
                f"(true {case['truth']['tilt']:.4f})")
    return f"{name:>12} {method:>9}: {what}, exact log-likelihood {ll:.4f}"
