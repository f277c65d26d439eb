"""Energy functions as small classes holding parameters (no sampling loops here).

Names are imported on first use (scipy only with the models that need it).
"""

from ebmphys._lazy import lazy

__all__ = ["ContinuousEBM", "ContinuousModel", "DoubleWell", "Gaussian", "GaussianBernoulliRBM", "GaussianMixture",
           "GraphIsing", "GraphPotts", "LatticeIsing", "LatticePotts", "MLPEnergy", "PairwisePotts", "Phi4Lattice",
           "PottsBernoulliRBM", "QuarticPotential", "RBM", "SoftmaxMLP", "binary_to_spins", "boltzmann_to_ising",
           "spins_to_binary"]

__getattr__, __dir__ = lazy(__name__, {
    "binary_to_spins": "ebmphys.models.boltzmann",
    "boltzmann_to_ising": "ebmphys.models.boltzmann",
    "spins_to_binary": "ebmphys.models.boltzmann",
    "SoftmaxMLP": "ebmphys.models.classifier",
    "ContinuousEBM": "ebmphys.models.continuous",
    "ContinuousModel": "ebmphys.models.continuous",
    "Gaussian": "ebmphys.models.gaussian",
    "GaussianMixture": "ebmphys.models.gaussian",
    "GaussianBernoulliRBM": "ebmphys.models.gb_rbm",
    "GraphIsing": "ebmphys.models.ising",
    "LatticeIsing": "ebmphys.models.ising",
    "MLPEnergy": "ebmphys.models.mlp",
    "Phi4Lattice": "ebmphys.models.phi4",
    "GraphPotts": "ebmphys.models.potts",
    "LatticePotts": "ebmphys.models.potts",
    "PairwisePotts": "ebmphys.models.potts",
    "PottsBernoulliRBM": "ebmphys.models.potts_rbm",
    "DoubleWell": "ebmphys.models.quartic",
    "QuarticPotential": "ebmphys.models.quartic",
    "RBM": "ebmphys.models.rbm",
})
