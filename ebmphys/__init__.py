"""ebmphys: energy-based models treated the way a statistical physicist does.

Conventions used throughout the package: k_B = 1, ``beta = 1/T``; Ising spins
are int8 in {-1, +1} with energy ``E(s) = -sum_<ij> J_ij s_i s_j - sum_i h_i s_i``
(J > 0 ferromagnetic); Potts states are uint8 in 0..q-1 with energy
``E = -sum_<ij> J_ij delta(s_i, s_j) - sum_i h_i[s_i]``; RBM units are in {0, 1}
(Potts-Bernoulli RBMs: visible units in 0..q-1); continuous models have real configurations x
and densities exp(-beta E(x)) / Z.

The names below are imported on first use (PEP 562), so that ``import ebmphys``
is instant and the ``ebmphys`` command can answer Ctrl-C with one line even
while Numba and the kernels load.
"""

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "Chains": "ebmphys.sampling",
    "ContinuousEBM": "ebmphys.models",
    "DoubleWell": "ebmphys.models",
    "EBMTrainer": "ebmphys.training",
    "Gaussian": "ebmphys.models",
    "GaussianBernoulliRBM": "ebmphys.models",
    "GaussianMixture": "ebmphys.models",
    "GraphIsing": "ebmphys.models",
    "GraphPotts": "ebmphys.models",
    "JEMClassifier": "ebmphys.training",
    "LatticeIsing": "ebmphys.models",
    "LatticePotts": "ebmphys.models",
    "MLPEnergy": "ebmphys.models",
    "PairwisePotts": "ebmphys.models",
    "Phi4Lattice": "ebmphys.models",
    "PottsBernoulliRBM": "ebmphys.models",
    "PottsRBMTrainer": "ebmphys.training",
    "QuarticPotential": "ebmphys.models",
    "RBMTrainer": "ebmphys.training",
    "SampleResult": "ebmphys.sampling",
    "SoftmaxMLP": "ebmphys.models",
    "sample": "ebmphys.sampling",
}

__all__ = ["Chains", "ContinuousEBM", "DoubleWell", "EBMTrainer", "Gaussian", "GaussianBernoulliRBM",
           "GaussianMixture", "GraphIsing", "GraphPotts", "JEMClassifier", "LatticeIsing", "LatticePotts", "MLPEnergy",
           "PairwisePotts", "Phi4Lattice", "PottsBernoulliRBM", "PottsRBMTrainer", "QuarticPotential", "RBMTrainer",
           "SampleResult", "SoftmaxMLP", "sample", "__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ebmphys' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
