"""Block-Gibbs sampling from a binary RBM with many independent chains."""

from __future__ import annotations

import numpy as np

from ebmphys.kernels import rbm_cpu
from ebmphys.kernels.rng import resolve_seed, split_seed
from ebmphys.models._validate import positive_int


def sample_rbm(rbm, n_samples: int, n_steps: int = 1000, *, seed: int | None = None, initial=None,
               return_hidden: bool = False):
    """Draw visible configurations by running ``n_samples`` independent block-Gibbs chains.

    Chain m starts from ``initial[m]`` (or from v ~ prod_i Bernoulli(sigmoid(b_i))),
    draws h_0 ~ p(h | v_0), then makes ``n_steps`` steps v_t ~ p(v | h_{t-1}),
    h_t ~ p(h | v_t) and returns v at the last step.  Random numbers follow the
    counter layout of :mod:`ebmphys.kernels.rbm_cpu` with chain index m, so chain m
    is the same whatever ``n_samples`` is, and the result does not depend on the
    number of threads.

    Parameters
    ----------
    rbm : ebmphys.models.RBM
    n_samples : int >= 1, number of chains (one sample each)
    n_steps : int >= 1, Gibbs steps after step 0
    seed : int in [0, 2**64) or None (fresh entropy)
    initial : array (n_samples, n_visible) of 0/1, optional starting visible states
    return_hidden : also return h at the last step

    Returns
    -------
    v : uint8 (n_samples, n_visible), and h : uint8 (n_samples, n_hidden) if ``return_hidden``.
    """
    n_samples = positive_int("n_samples", n_samples)
    n_steps = positive_int("n_steps", n_steps)
    k0, k1 = split_seed(resolve_seed(seed))
    if initial is None:
        v = rbm_cpu.initial_visible(rbm.b, n_samples, 0, k0, k1)
    else:
        v = rbm.check_visible(initial, "initial").copy()
        if v.shape[0] != n_samples:
            raise ValueError(f"initial must have n_samples={n_samples} rows, got {v.shape[0]}")
    h = np.empty((n_samples, rbm.n_hidden), dtype=np.uint8)
    rbm_cpu.start_chains(rbm.W, rbm.b, rbm.c, v, h, 0, k0, k1)
    rbm_cpu.block_gibbs(rbm.W, np.ascontiguousarray(rbm.W.T), rbm.b, rbm.c, h, v, 1, n_steps, 0, k0, k1)
    return (v, h) if return_hidden else v
