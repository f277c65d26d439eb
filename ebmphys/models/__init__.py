"""Energy functions as small classes holding parameters (no sampling loops here).

Names are imported on first use (scipy only with the models that need it).
"""

from ebmphys._lazy import lazy

__all__ = ["RBM", "GraphIsing", "GraphPotts", "LatticeIsing", "LatticePotts", "PairwisePotts", "PottsBernoulliRBM",
           "binary_to_spins", "boltzmann_to_ising", "spins_to_binary"]

__getattr__, __dir__ = lazy(__name__, {
    "binary_to_spins": "ebmphys.models.boltzmann",
    "boltzmann_to_ising": "ebmphys.models.boltzmann",
    "spins_to_binary": "ebmphys.models.boltzmann",
    "GraphIsing": "ebmphys.models.ising",
    "LatticeIsing": "ebmphys.models.ising",
    "GraphPotts": "ebmphys.models.potts",
    "LatticePotts": "ebmphys.models.potts",
    "PairwisePotts": "ebmphys.models.potts",
    "PottsBernoulliRBM": "ebmphys.models.potts_rbm",
    "RBM": "ebmphys.models.rbm",
})
