"""The annealing path of a continuous model from a base distribution, shared by AIS, reverse AIS and TI.

Path (k_B = 1): for b from 0 to the target inverse temperature beta,

    f_b(x) = exp(-(1 - b / beta) E_0(x) - b E(x)),

so f_0 is the base density exp(-E_0) (a model with an exact log Z_0 and exact
samples: a ``Gaussian`` by default N(0, I), a ``GaussianMixture``, or any model
that :mod:`ebmphys.partition.continuous_exact` knows) and f_beta = exp(-beta E).
Transitions are MALA, HMC or RWMH moves leaving f_b invariant
(:meth:`ebmphys.sampling.continuous.GradientBackend.anneal`).

Step sizes.  Given ``step_size``, every transition uses it.  Otherwise a pilot
(random streams disjoint from the run's: seeds derived from the run's seed)
adapts the step size by dual averaging at the base (chains of E_0) and at the
target (chains of E at beta, started from base samples), eps_0 and eps_beta (the
medians over the pilot chains), and the transition at b uses the geometric
interpolation eps_0^(1 - b/beta) eps_beta^(b/beta).

Divergent proposals (non-finite energy or gradient, e.g. a leapfrog trajectory
thrown out by a quartic tail) are rejected by default (``on_divergence="count"``):
their acceptance probability is 0, so the transitions stay exact.  Pass
``on_divergence="raise"`` to stop at the first one instead.
"""

from __future__ import annotations

import numpy as np

from ebmphys.kernels.rng import derive_seed, host_generator
from ebmphys.models.continuous import ContinuousModel
from ebmphys.models.gaussian import Gaussian
from ebmphys.partition.continuous_exact import continuous_log_z, exact_samples
from ebmphys.sampling.chains import AnnealResult, Chains
from ebmphys.sampling.continuous import tuned_options

#: transitions an annealing path may use
ALGORITHMS = ("hmc", "mala", "rwmh")
#: chains and tuned sweeps of each pilot
PILOT_CHAINS = 16
PILOT_SWEEPS = 300
#: keys of the derived seeds of the two pilots
_PILOT_BASE, _PILOT_TARGET = 101, 102
_HOST_PURPOSE = 7


class ContinuousPath:
    """Geometric path from ``base`` (energy E_0) to exp(-beta E) (see the module docstring).

    Parameters
    ----------
    model : ContinuousModel
    beta : float > 0
    algorithm : {"hmc", "mala", "rwmh"} or None (hmc)
    base : ContinuousModel or None
        Base model of the same dimension with exact log Z and samples; None: N(0, I).
    options : dict
        Sampler options (``step_size``, ``n_leapfrog``, ``inverse_mass``, ``on_divergence``).
    """

    def __init__(self, model: ContinuousModel, beta: float, algorithm, base, options: dict):
        algorithm = "hmc" if algorithm is None else algorithm
        if algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS} for a continuous model, got {algorithm!r}")
        base = Gaussian(np.zeros(model.dim), 1.0) if base is None else base
        if not isinstance(base, ContinuousModel) or base.dim != model.dim:
            raise ValueError(f"base must be a continuous model of dimension {model.dim} with an exact log Z (e.g. "
                             f"Gaussian(mean, cov)), got {base!r}")
        self.model, self.beta, self.algorithm, self.base = model, beta, algorithm, base
        self.log_z_base = continuous_log_z(base)
        self.options = {"on_divergence": "count", **options}
        for key in ("adapt_step_size", "adapt_mass", "adaptation_state", "target_acceptance"):
            if key in self.options:
                raise ValueError(f"{key} is not an annealing option (annealing transitions keep fixed settings)")
        self._steps = None if "step_size" not in self.options else (None, None)

    # ------------------------------------------------------------------ pilot
    def _pilot(self, seed: int, device: str) -> None:
        """eps_0 and eps_beta by dual averaging (see the module docstring)."""
        options = {k: v for k, v in self.options.items() if k != "on_divergence"}  # tuning rejects them anyway
        rng = host_generator(seed, _HOST_PURPOSE)
        start = exact_samples(self.base, PILOT_CHAINS, rng)
        steps = []
        for model, beta, key in ((self.base, 1.0, _PILOT_BASE), (self.model, self.beta, _PILOT_TARGET)):
            chains = Chains(model, algorithm=self.algorithm, beta=beta, n_chains=PILOT_CHAINS,
                            seed=derive_seed(seed, key), device=device, initial_states=start, **options)
            chains.run(PILOT_SWEEPS, tune=True, record=())
            steps.append(float(np.median(tuned_options(chains)["step_size"])))
        self._steps = tuple(steps)

    def step_sizes(self, seed: int, device: str) -> tuple:
        """(eps_0, eps_beta), from the pilot unless ``step_size`` was given (then (None, None))."""
        if self._steps is None:
            self._pilot(seed, device)
        return self._steps

    def _scale(self, betas: np.ndarray) -> np.ndarray | None:
        eps0, eps1 = self._steps
        if eps0 is None:
            return None
        return (eps0 / eps1) ** (1.0 - betas / self.beta)

    # ------------------------------------------------------------------ the path interface of ais.py
    def chains(self, states: np.ndarray, seed: int, sweep: int, device: str) -> Chains:
        eps1 = self.step_sizes(seed, device)[1]
        options = dict(self.options)
        if eps1 is not None:
            options["step_size"] = eps1
        return Chains(self.model, algorithm=self.algorithm, beta=0.0, n_chains=states.shape[0], seed=seed,
                      device=device, initial_states=states, sweep=sweep, **options)

    def anneal(self, chains: Chains, betas: np.ndarray, base_energy_sum=None) -> AnnealResult:
        return chains.anneal(betas, base=self.base, base_weights=1.0 - betas / self.beta,
                             step_scale=self._scale(betas), base_energy_sum=base_energy_sum)

    def initial(self, n_chains: int, k0: int, k1: int) -> np.ndarray:
        """Exact base samples from a host generator keyed by the seed (k0, k1)."""
        return exact_samples(self.base, n_chains, host_generator(k0 | (k1 << 32), _HOST_PURPOSE + 1))

    def initial_host(self, rng: np.random.Generator, n_chains: int) -> np.ndarray:
        return exact_samples(self.base, n_chains, rng)

    def log_f(self, x, b: float) -> np.ndarray:
        return -(1.0 - b / self.beta) * self.base.energy(x) - b * self.model.energy(x)

    def exact_samples(self, beta: float, n: int, rng: np.random.Generator) -> np.ndarray:
        try:
            return exact_samples(self.model, n, rng, beta)
        except ValueError as exc:
            raise ValueError(f"reverse AIS needs samples of the target: {exc}; pass initial_states (equilibrated "
                             f"configurations, e.g. from ebmphys.sample), which makes the upper bound approximate") \
                from None

    def check_initial(self, states) -> np.ndarray:
        return self.model.check_states(states, "initial_states").reshape(-1, self.model.dim)
