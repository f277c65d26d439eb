"""Learning energy-based models from data: RBM and Potts-Bernoulli RBM training (CD-k, PCD) and inverse Ising."""

from ebmphys.training.estimator import RBMTrainer
from ebmphys.training.inverse_ising import fit_ising_exact, fit_ising_mcmc, fit_ising_pseudolikelihood
from ebmphys.training.potts_trainer import PottsRBMTrainer
from ebmphys.training.sampling import sample_rbm

__all__ = ["PottsRBMTrainer", "RBMTrainer", "fit_ising_exact", "fit_ising_mcmc", "fit_ising_pseudolikelihood",
           "sample_rbm"]
