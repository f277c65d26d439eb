"""Learning energy-based models from data: RBM and Potts-Bernoulli RBM training (CD-k, PCD), inverse Ising, and
continuous energy-based models (EBMTrainer: CD, PCD, replay buffer, Jarzynski, score matching, NCE; JEMClassifier)."""

from ebmphys.training.ebm_estimator import EBMTrainer
from ebmphys.training.estimator import RBMTrainer
from ebmphys.training.inverse_ising import fit_ising_exact, fit_ising_mcmc, fit_ising_pseudolikelihood
from ebmphys.training.jem import JEMClassifier
from ebmphys.training.potts_trainer import PottsRBMTrainer
from ebmphys.training.sampling import sample_rbm

__all__ = ["EBMTrainer", "JEMClassifier", "PottsRBMTrainer", "RBMTrainer", "fit_ising_exact", "fit_ising_mcmc",
           "fit_ising_pseudolikelihood", "sample_rbm"]
