"""Block-Gibbs sampling from a binary RBM with many independent chains."""

from __future__ import annotations


from ebmphys.models._validate import positive_int
from ebmphys.sampling.chains import Chains


def sample_rbm(rbm, n_samples: int, n_steps: int = 1000, *, seed: int | None = None, initial_states=None,
               return_hidden: bool = False, device: str = "cpu", progress: bool = False):
    """Draw visible configurations by running ``n_samples`` independent block-Gibbs chains.

    Chain m starts from ``initial_states[m]`` (or from v ~ prod_i Bernoulli(sigmoid(b_i))),
    draws h_0 ~ p(h | v_0), then makes ``n_steps`` steps v_t ~ p(v | h_{t-1}),
    h_t ~ p(h | v_t) and returns v at the last step.  The chains are
    :class:`ebmphys.sampling.Chains` (algorithm "gibbs"); random numbers follow the
    counter layout of :mod:`ebmphys.kernels.rbm_cpu` with chain index m, so chain m
    is the same whatever ``n_samples`` is, and the result does not depend on the
    number of threads.

    Parameters
    ----------
    rbm : ebmphys.models.RBM
    n_samples : int >= 1, number of chains (one sample each)
    n_steps : int >= 1, Gibbs steps after step 0
    seed : int in [0, 2**64) or None (fresh entropy)
    initial_states : array (n_samples, n_visible) of 0/1, optional starting visible states
    return_hidden : also return h at the last step
    device : {"cpu", "cuda", "auto"}
    progress : bool, show progress on stderr

    Returns
    -------
    v : uint8 (n_samples, n_visible), and h : uint8 (n_samples, n_hidden) if ``return_hidden``.
    """
    n_steps = positive_int("n_steps", n_steps)
    chains = Chains(rbm, algorithm="gibbs", beta=1.0, n_chains=positive_int("n_samples", n_samples), seed=seed,
                    device=device, initial_states=initial_states)
    chains.run(n_steps, record=(), progress=progress)
    v = chains.states
    return (v, chains.latent_states) if return_hidden else v
