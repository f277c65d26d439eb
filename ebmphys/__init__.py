"""ebmphys: energy-based models treated the way a statistical physicist does.

Conventions used throughout the package: k_B = 1, ``beta = 1/T``; Ising spins
are int8 in {-1, +1} with energy ``E(s) = -sum_<ij> J_ij s_i s_j - sum_i h_i s_i``
(J > 0 ferromagnetic); RBM units are in {0, 1}; continuous models have real
configurations x and densities exp(-beta E(x)) / Z.
"""

__version__ = "0.1.0"

from ebmphys.models import (ContinuousEBM, DoubleWell, Gaussian, GaussianBernoulliRBM,  # noqa: E402
                            GaussianMixture, GraphIsing, LatticeIsing, MLPEnergy, Phi4Lattice, QuarticPotential)
from ebmphys.sampling import SampleResult, sample  # noqa: E402
from ebmphys.training import RBMTrainer  # noqa: E402

__all__ = ["RBMTrainer", "ContinuousEBM", "DoubleWell", "Gaussian", "GaussianBernoulliRBM", "GaussianMixture",
           "GraphIsing", "LatticeIsing", "MLPEnergy", "Phi4Lattice", "QuarticPotential", "SampleResult", "sample",
           "__version__"]
