"""Learning energy-based models from data: RBM and Potts-Bernoulli RBM training (CD-k, PCD), inverse Ising, and
continuous energy-based models (EBMTrainer: CD, PCD, replay buffer, Jarzynski, score matching, NCE; JEMClassifier).

Names are imported on first use (scikit-learn and h5py only with the trainers).
"""

from ebmphys._lazy import lazy

__all__ = ["EBMTrainer", "JEMClassifier", "PottsRBMTrainer", "RBMTrainer", "fit_ising_exact", "fit_ising_mcmc",
           "fit_ising_pseudolikelihood", "sample_rbm"]

__getattr__, __dir__ = lazy(__name__, {
    "EBMTrainer": "ebmphys.training.ebm_estimator",
    "RBMTrainer": "ebmphys.training.estimator",
    "fit_ising_exact": "ebmphys.training.inverse_ising",
    "fit_ising_mcmc": "ebmphys.training.inverse_ising",
    "fit_ising_pseudolikelihood": "ebmphys.training.inverse_ising",
    "JEMClassifier": "ebmphys.training.jem",
    "PottsRBMTrainer": "ebmphys.training.potts_trainer",
    "sample_rbm": "ebmphys.training.sampling",
})
