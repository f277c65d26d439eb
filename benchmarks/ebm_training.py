"""Continuous-EBM training: cost per update and exact likelihood at equal time of the four MCMC methods; JEM.

Run from the repository root::

    python benchmarks/ebm_training.py

Measures, in one run:

1. On the Gaussian mixture of ``studies/jarzynski_mixture.toml`` (modes at -10 and +6 on the first axis,
   weights 1/4, 3/4, unit covariances; 2000 training rows, full batch, 1000 walkers, Langevin h = 0.1,
   gradient descent at learning rate 0.005 on the log-weights and means) in d = 2 and d = 10: the CPU
   seconds per epoch (= per update here) of CD (4 steps from the data), PCD, the replay buffer and
   Jarzynski-weighted walkers (1 step each), the median of ``REPEATS`` 20-update fits after a warm-up that
   compiles the kernels (process CPU time: the kernels run on one thread at this size, so it is the time
   on an idle core, which the shared machine's wall clock is not).
2. In d = 2, the exact mean log-likelihood of the training rows (Z = sum of the weights) and the weight
   of the mode that starts at -0.1 (true 1/4) reached by each method within the same CPU budget
   ``BUDGET_S``: each trains for as many updates as its measured cost per update fits into the budget.
3. JEMClassifier against the same network trained as a plain classifier (generative_weight = 0) on the
   grey-level 8x8 digits scaled to [-1, 1] (1347 training, 450 test rows; hidden layer 64, swish,
   30 epochs, Adam 3e-3, SGLD 10 steps of h = 1, noise 0.01, replay buffer 10000, restarts 5%): test
   accuracy, expected calibration error (15 bins), AUROC of the energy between test digits and
   uniform noise on [-1, 1]^64 and pixel-shuffled test digits, CPU seconds per epoch.

The results are printed and written as the ``## EBM training`` section of BENCHMARKS.md.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from ebmphys.datasets import load_grey_digits
from ebmphys.kernels.rng import HOST_EBM_DATA, host_generator
from ebmphys.models import GaussianMixture
from ebmphys.partition.continuous_exact import exact_samples
from ebmphys.training import EBMTrainer, JEMClassifier
from ebmphys.training.jem import energy_auroc, expected_calibration_error

sys.path.insert(0, os.path.dirname(__file__))
from _report import write_section  # noqa: E402

METHODS = ("cd", "pcd", "replay", "jarzynski")
REPEATS = 3
TIMED_UPDATES = 20
BUDGET_S = 15.0
COMMAND = "python benchmarks/ebm_training.py"


def mixture(d: int):
    centers = np.zeros((2, d))
    centers[:, 0] = [-10.0, 6.0]
    X = exact_samples(GaussianMixture([0.25, 0.75], centers), 2000, host_generator(d, HOST_EBM_DATA))
    start = np.zeros((2, d))
    start[:, 0] = [-0.1, 0.1]
    return X, GaussianMixture([0.5, 0.5], start)


def trainer(method: str, initial, n_updates: int) -> EBMTrainer:
    extra = {"k": 4} if method == "cd" else {"k": 1}
    return EBMTrainer(initial, method=method, step_size=0.1, n_walkers=1000, batch_size=2000, n_iter=n_updates,
                      optimizer="sgd", learning_rate=0.005, trainable=["log_weights", "means"], random_state=0,
                      **extra)


def seconds_per_update(method: str, X, initial) -> float:
    trainer(method, initial, 2).fit(X)   # compile
    times = []
    for _ in range(REPEATS):
        start = time.process_time()
        trainer(method, initial, TIMED_UPDATES).fit(X)
        times.append((time.process_time() - start) / TIMED_UPDATES)
    return float(np.median(times))


def jem_row(name: str, weight: float, data) -> tuple[str, dict]:
    X_train, y_train, X_test, y_test = data
    start = time.process_time()
    clf = JEMClassifier((64,), generative_weight=weight, n_iter=30, learning_rate=3e-3, sgld_steps=10,
                        random_state=0).fit(X_train, y_train)
    per_epoch = (time.process_time() - start) / 30
    rng = np.random.default_rng(5)
    noise = rng.uniform(-1, 1, size=X_test.shape)
    shuffled = np.array([row[rng.permutation(64)] for row in X_test])
    score = clf.score_samples(X_test)
    metrics = {"accuracy": clf.score(X_test, y_test),
               "ece": expected_calibration_error(clf.predict_proba(X_test), y_test),
               "auroc_noise": energy_auroc(score, clf.score_samples(noise)),
               "auroc_shuffled": energy_auroc(score, clf.score_samples(shuffled)),
               "confidence": float(clf.predict_proba(X_test).max(axis=1).mean()),
               "seconds_per_epoch": per_epoch}
    return name, metrics


def main() -> None:
    lines = ["### Cost per update (mixture, 2000 rows full batch, 1000 walkers)", "",
             "| method | steps per update | d = 2: CPU s / update | d = 10: CPU s / update |", "|---|---|---|---|"]
    cost = {}
    for d in (2, 10):
        X, initial = mixture(d)
        for method in METHODS:
            cost[method, d] = seconds_per_update(method, X, initial)
            print(f"d = {d} {method}: {cost[method, d] * 1e3:.2f} ms per update", flush=True)
    for method in METHODS:
        lines.append(f"| {method} | {4 if method == 'cd' else 1} | {cost[method, 2] * 1e3:.2f} ms | "
                     f"{cost[method, 10] * 1e3:.2f} ms |")
    lines += ["", f"### Exact log-likelihood at equal CPU time ({BUDGET_S:g} s, d = 2)", "",
              "| method | updates in the budget | exact mean log-likelihood (nats) | weight of mode 0 (true 0.25) |",
              "|---|---|---|---|"]
    X, initial = mixture(2)
    reference = float(np.mean(-GaussianMixture([0.25, 0.75], [[-10.0, 0.0], [6.0, 0.0]]).energy(X)))
    for method in METHODS:
        n = max(1, int(BUDGET_S / cost[method, 2]))
        t = trainer(method, initial, n).fit(X)
        ll = t.score(X)
        w0 = t.model_.mode_weights[0]
        print(f"{method}: {n} updates, log-likelihood {ll:.4f}, weight {w0:.3f}", flush=True)
        lines.append(f"| {method} | {n} | {ll:.4f} | {w0:.3f} |")
    lines += ["", f"The true model scores {reference:.4f} nats on these rows.", "",
              "### JEM against the plain classifier (8x8 digits in [-1, 1], 450 test rows)", "",
              "| network | test accuracy | ECE | mean confidence | AUROC vs uniform noise | AUROC vs shuffled pixels | "
              "CPU s / epoch |", "|---|---|---|---|---|---|---|"]
    Xd, yd = load_grey_digits("symmetric", return_targets=True)
    order = np.random.default_rng(0).permutation(len(Xd))
    data = (Xd[order[:1347]], yd[order[:1347]], Xd[order[1347:]], yd[order[1347:]])
    for name, weight in (("plain classifier", 0.0), ("JEM", 1.0)):
        name, m = jem_row(name, weight, data)
        print(name, m, flush=True)
        lines.append(f"| {name} | {m['accuracy']:.4f} | {m['ece']:.4f} | {m['confidence']:.4f} | "
                     f"{m['auroc_noise']:.4f} | {m['auroc_shuffled']:.4f} | {m['seconds_per_epoch']:.3f} |")
    write_section("EBM training", COMMAND, "\n".join(lines))


if __name__ == "__main__":
    main()
