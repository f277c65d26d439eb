"""Energy functions as small classes holding parameters (no sampling loops here)."""

from ebmphys.models.boltzmann import binary_to_spins, boltzmann_to_ising, spins_to_binary
from ebmphys.models.classifier import SoftmaxMLP
from ebmphys.models.continuous import ContinuousEBM, ContinuousModel
from ebmphys.models.gaussian import Gaussian, GaussianMixture
from ebmphys.models.gb_rbm import GaussianBernoulliRBM
from ebmphys.models.ising import GraphIsing, LatticeIsing
from ebmphys.models.mlp import MLPEnergy
from ebmphys.models.phi4 import Phi4Lattice
from ebmphys.models.potts import GraphPotts, LatticePotts, PairwisePotts
from ebmphys.models.potts_rbm import PottsBernoulliRBM
from ebmphys.models.quartic import DoubleWell, QuarticPotential
from ebmphys.models.rbm import RBM

__all__ = ["RBM", "ContinuousEBM", "ContinuousModel", "DoubleWell", "Gaussian", "GaussianBernoulliRBM",
           "GaussianMixture", "GraphIsing", "GraphPotts", "LatticeIsing", "LatticePotts", "MLPEnergy", "PairwisePotts",
           "Phi4Lattice", "PottsBernoulliRBM", "QuarticPotential", "SoftmaxMLP",
           "binary_to_spins", "boltzmann_to_ising", "spins_to_binary"]
