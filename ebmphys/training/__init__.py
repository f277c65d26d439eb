"""Learning energy-based models from data: RBM training (CD-k, PCD) and inverse Ising."""

from ebmphys.training.estimator import RBMTrainer
from ebmphys.training.sampling import sample_rbm

__all__ = ["RBMTrainer", "sample_rbm"]
