"""``PottsRBMTrainer``: an sklearn estimator that trains a Potts-Bernoulli RBM by CD-k or PCD-k.

Data are categorical: an integer array (n_samples, n_features) with entries in
0..q-1 (amino acids of an alignment, answers of a questionnaire, ...).  The model is
:class:`ebmphys.models.PottsBernoulliRBM`, E(v, h) = -sum_i b_i(v_i) - c.h -
sum_ij W_ij(v_i) h_j; log-likelihoods are in nats.

sklearn conventions: the constructor stores its arguments verbatim and does
nothing else; :meth:`fit` validates them (one-line errors naming the parameter)
and the data, and resolves ``random_state`` once into ``seed_``.  Fitted state has
a trailing underscore (``rbm_``, ``n_features_in_``, ``q_``, ``seed_``, ``n_iter_``).

Training.  The log-likelihood gradient is <one-hot(v) h>_data - <one-hot(v) h>_model
(and the bias analogues), with p(h | v) in place of h in both phases.  Positive
statistics average over the minibatch; the negative phase runs block-Gibbs chains
of :mod:`ebmphys.kernels.potts_rbm_cpu`: CD-k starts one chain at every example
(chain index = the example's running position over all epochs, step 0 at the
example), PCD-k keeps ``n_chains`` persistent chains (chain indices 0.., steps
counted across updates).  Parameters move by ``learning_rate`` times the gradient
(minus ``weight_decay`` W), with ``momentum`` in velocity form as in
:class:`ebmphys.training.RBMTrainer`.  Visible biases start at the log data
frequencies (clipped at 1e-3, zero-sum gauge), weights at N(0, 0.01^2), hidden biases at 0.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logsumexp
from sklearn.base import BaseEstimator

from ebmphys.kernels import potts_rbm_cpu
from ebmphys.kernels.rng import (
    HOST_TRAINER_INIT,
    HOST_TRAINER_ORDER,
    INIT_RBM_VISIBLE,
    host_generator,
    resolve_seed,
    split_seed,
)
from ebmphys.models._validate import finite_real, positive_int
from ebmphys.models.potts import check_q
from ebmphys.models.potts_rbm import PottsBernoulliRBM
from ebmphys.partition.potts_exact import potts_rbm_log_z_exact
from ebmphys.sampling.backends import threads_for

METHODS = ("pcd", "cd")


def one_hot(v: np.ndarray, q: int) -> np.ndarray:
    """One-hot encoding of states (batch, n) -> float64 (batch, n, q)."""
    return (v[..., None] == np.arange(q)).astype(np.float64)


class PottsRBMTrainer(BaseEstimator):
    """Train a Potts-Bernoulli RBM (q-state visible units, binary hidden units) on categorical data.

    Parameters
    ----------
    n_components : int >= 1, default 16
        Number of hidden units.
    q : int in [2, 254] or None, default None
        States per visible unit; None takes max(X) + 1 at the first fit.
    learning_rate : float > 0, default 0.05
    batch_size : int >= 1, default 20
    n_iter : int >= 1, default 20
        Epochs done by :meth:`fit`.
    method : {"pcd", "cd"}, default "pcd"
    k : int >= 1, default 1
        Gibbs steps per update.
    n_chains : int >= 1 or None, default None
        Persistent chains of PCD (None: ``batch_size``).
    momentum : float in [0, 1), default 0.0
    weight_decay : float >= 0, default 0.0
    random_state : int in [0, 2**64) or None
        Seed of everything random; None draws one at the first fit (``seed_``).

    Attributes
    ----------
    rbm_ : PottsBernoulliRBM
    q_, n_features_in_, seed_ : int
    n_iter_ : int
        Epochs done so far (fit and partial_fit).
    """

    def __init__(self, n_components=16, *, q=None, learning_rate=0.05, batch_size=20, n_iter=20, method="pcd", k=1,
                 n_chains=None, momentum=0.0, weight_decay=0.0, random_state=None):
        self.n_components = n_components
        self.q = q
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.method = method
        self.k = k
        self.n_chains = n_chains
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.random_state = random_state

    # ------------------------------------------------------------------ validation
    def _validate_params(self) -> None:
        positive_int("n_components", self.n_components)
        if self.q is not None:
            check_q(self.q)
        if finite_real("learning_rate", self.learning_rate) <= 0:
            raise ValueError(f"learning_rate must be a finite number > 0, got {self.learning_rate}")
        positive_int("batch_size", self.batch_size)
        positive_int("n_iter", self.n_iter)
        positive_int("k", self.k)
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, got {self.method!r}")
        if self.n_chains is not None:
            positive_int("n_chains", self.n_chains)
        if not 0.0 <= finite_real("momentum", self.momentum) < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum}")
        if finite_real("weight_decay", self.weight_decay) < 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay}")
        if self.random_state is not None:
            resolve_seed(self.random_state)

    def _check_X(self, X, fitted: bool) -> np.ndarray:
        arr = np.asarray(X)
        if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
            raise ValueError(f"X must be a 2D array (n_samples >= 1, n_features >= 1) of states, got shape {arr.shape}")
        if arr.dtype.kind not in "iu":
            if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                arr = arr.astype(np.int64)
            else:
                raise ValueError(f"X must hold integer states 0..q-1, got dtype {arr.dtype}")
        if fitted:
            if arr.shape[1] != self.n_features_in_:
                raise ValueError(f"X has {arr.shape[1]} features, but this PottsRBMTrainer was fitted with "
                                 f"{self.n_features_in_}")
            return self.rbm_.check_visible(arr, "X")
        q = self.q if self.q is not None else int(max(arr.max(), 1)) + 1
        if arr.min() < 0 or arr.max() >= q:
            raise ValueError(f"X entries must be states in 0..{q - 1} (q={q}), found {arr.min() if arr.min() < 0 else arr.max()}")
        return np.ascontiguousarray(arr, dtype=np.uint8)

    def _require_fitted(self) -> PottsBernoulliRBM:
        if getattr(self, "rbm_", None) is None:
            raise ValueError("this PottsRBMTrainer is not fitted yet: call fit or partial_fit first")
        return self.rbm_

    # ------------------------------------------------------------------ training
    def _initialise(self, X: np.ndarray) -> None:
        self.seed_ = resolve_seed(self.random_state)
        q = self.q if self.q is not None else int(max(X.max(), 1)) + 1
        check_q(q)
        nv, nh = X.shape[1], self.n_components
        rng = host_generator(self.seed_, HOST_TRAINER_INIT)
        freq = one_hot(X, q).mean(axis=0)
        b = np.log(np.clip(freq, 1e-3, 1.0))
        self.rbm_ = PottsBernoulliRBM(nv, q, nh, W=rng.normal(0.0, 0.01, size=(nv, q, nh)),
                                      b=b - b.mean(axis=1, keepdims=True))
        self.q_, self.n_features_in_ = q, nv
        self.n_iter_ = 0
        self._examples = 0
        self._velocity = [np.zeros_like(self.rbm_.W), np.zeros_like(self.rbm_.b), np.zeros_like(self.rbm_.c)]
        n_chains = self.n_chains if self.n_chains is not None else self.batch_size
        k0, k1 = split_seed(self.seed_)
        self._chains = potts_rbm_cpu.independent_visible(self.rbm_.b, n_chains, k0, k1, 0, INIT_RBM_VISIBLE)
        self._chain_step = 1

    def _negative(self, v0: np.ndarray, chain0: int, step0: int) -> np.ndarray:
        """Visible rows after k Gibbs steps from (v0, step0 - 1), chains chain0..; v0 is advanced in place."""
        r = self.rbm_
        k0, k1 = split_seed(self.seed_)
        h = np.empty((v0.shape[0], r.n_hidden), dtype=np.uint8)
        with threads_for(v0.shape[0] * self.k * (r.n_visible * r.q + r.n_hidden)):
            potts_rbm_cpu.start_chains(r.W, r.c, v0, h, step0 - 1, chain0, k0, k1)
            potts_rbm_cpu.block_gibbs(r.W, np.ascontiguousarray(r.W.transpose(2, 0, 1)), r.b, r.c, h, v0, step0,
                                      self.k, chain0, k0, k1)
        return v0

    def _update(self, batch: np.ndarray, chain0: int) -> None:
        r = self.rbm_
        pos_v = one_hot(batch, r.q)
        pos_h = expit(r.hidden_input(batch))
        if self.method == "cd":
            neg = self._negative(batch.copy(), chain0, 1)
        else:
            neg = self._negative(self._chains, 0, self._chain_step)
            self._chain_step += self.k
        neg_v = one_hot(neg, r.q)
        neg_h = expit(r.hidden_input(neg))
        grads = (
            np.einsum("bia,bj->iaj", pos_v, pos_h) / len(batch) - np.einsum("bia,bj->iaj", neg_v, neg_h) / len(neg)
            - self.weight_decay * r.W,
            pos_v.mean(axis=0) - neg_v.mean(axis=0),
            pos_h.mean(axis=0) - neg_h.mean(axis=0),
        )
        for param, velocity, grad in zip((r.W, r.b, r.c), self._velocity, grads):
            velocity *= self.momentum
            velocity += self.learning_rate * grad
            param += velocity

    def _epoch(self, X: np.ndarray) -> None:
        order = host_generator(self.seed_, HOST_TRAINER_ORDER, self.n_iter_).permutation(X.shape[0])
        for start in range(0, X.shape[0], self.batch_size):
            rows = order[start:start + self.batch_size]
            self._update(X[rows], (self._examples + start) & 0xFFFFFFFF)
        self._examples += X.shape[0]
        self.n_iter_ += 1

    def fit(self, X, y=None) -> PottsRBMTrainer:
        """Train a fresh model for ``n_iter`` epochs on ``X`` (integer states, shape (n_samples, n_features))."""
        self._validate_params()
        self.rbm_ = None
        X = self._check_X(X, fitted=False)
        self._initialise(X)
        for _ in range(self.n_iter):
            self._epoch(X)
        return self

    def partial_fit(self, X, y=None) -> PottsRBMTrainer:
        """One more epoch on ``X`` (initialising the model on the first call)."""
        if getattr(self, "rbm_", None) is None:
            self._validate_params()
            X = self._check_X(X, fitted=False)
            self._initialise(X)
        else:
            X = self._check_X(X, fitted=True)
        self._epoch(X)
        return self

    # ------------------------------------------------------------------ inference
    def transform(self, X) -> np.ndarray:
        """p(h_j = 1 | v) for each row, shape (n_samples, n_components)."""
        r = self._require_fitted()
        return r.hidden_probabilities(self._check_X(X, fitted=True))

    def score_samples(self, X) -> np.ndarray:
        """Exact log p(v) = -F(v) - log Z in nats (log Z by :func:`potts_rbm_log_z_exact`)."""
        r = self._require_fitted()
        return -r.free_energy(self._check_X(X, fitted=True)) - potts_rbm_log_z_exact(r)

    def score(self, X, y=None) -> float:
        """Mean exact log-likelihood per sample (nats)."""
        return float(np.mean(self.score_samples(X)))


def independent_sites_log_likelihood(train, test, q: int) -> float:
    """Mean log-likelihood of ``test`` under independent sites fitted to ``train`` (frequencies, +1 pseudocount).

    The baseline every model of categorical data should beat.
    """
    counts = one_hot(np.asarray(train), q).sum(axis=0) + 1.0
    log_p = np.log(counts) - logsumexp(np.log(counts), axis=1, keepdims=True)
    t = np.asarray(test, dtype=np.int64)
    return float(log_p[np.arange(t.shape[1]), t].sum(axis=1).mean())


