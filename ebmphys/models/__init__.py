"""Energy functions as small classes holding parameters (no sampling loops here)."""

from ebmphys.models.boltzmann import binary_to_spins, boltzmann_to_ising, spins_to_binary
from ebmphys.models.ising import GraphIsing, LatticeIsing
from ebmphys.models.potts import GraphPotts, LatticePotts, PairwisePotts
from ebmphys.models.potts_rbm import PottsBernoulliRBM
from ebmphys.models.rbm import RBM

__all__ = ["RBM", "GraphIsing", "GraphPotts", "LatticeIsing", "LatticePotts", "PairwisePotts", "PottsBernoulliRBM",
           "binary_to_spins", "boltzmann_to_ising", "spins_to_binary"]
