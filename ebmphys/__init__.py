"""ebmphys: energy-based models treated the way a statistical physicist does.

Conventions used throughout the package: k_B = 1, ``beta = 1/T``; Ising spins
are int8 in {-1, +1} with energy ``E(s) = -sum_<ij> J_ij s_i s_j - sum_i h_i s_i``
(J > 0 ferromagnetic); Potts states are uint8 in 0..q-1 with energy
``E = -sum_<ij> J_ij delta(s_i, s_j) - sum_i h_i[s_i]``; RBM units are in {0, 1}
(Potts-Bernoulli RBMs: visible units in 0..q-1).
"""

__version__ = "0.1.0"

from ebmphys.models import GraphIsing, GraphPotts, LatticeIsing, LatticePotts, PairwisePotts, PottsBernoulliRBM  # noqa: E402
from ebmphys.sampling import SampleResult, sample  # noqa: E402
from ebmphys.training import PottsRBMTrainer, RBMTrainer  # noqa: E402

__all__ = ["RBMTrainer", "GraphIsing", "GraphPotts", "LatticeIsing", "LatticePotts", "PairwisePotts", "PottsBernoulliRBM",
           "PottsRBMTrainer", "SampleResult", "sample", "__version__"]
