"""ebmphys: energy-based models treated the way a statistical physicist does.

Conventions used throughout the package: k_B = 1, ``beta = 1/T``; Ising spins
are int8 in {-1, +1} with energy ``E(s) = -sum_<ij> J_ij s_i s_j - sum_i h_i s_i``
(J > 0 ferromagnetic); Potts states are uint8 in 0..q-1 with energy
``E = -sum_<ij> J_ij delta(s_i, s_j) - sum_i h_i[s_i]``; RBM units are in {0, 1}
(Potts-Bernoulli RBMs: visible units in 0..q-1); continuous models have real configurations x
and densities exp(-beta E(x)) / Z.

The names below and the subpackages are imported on first use (PEP 562,
:mod:`ebmphys._lazy`), each from the module that defines it, so ``import ebmphys``
is instant, the ``ebmphys`` command can answer Ctrl-C with one line even while
Numba and the kernels load, and a call imports only what it needs (a lattice
``sample`` never imports scipy.sparse, h5py, scikit-learn or matplotlib).
"""

__version__ = "0.1.0"

from ebmphys._lazy import lazy  # noqa: E402

__all__ = ["Chains", "ContinuousEBM", "DoubleWell", "EBMTrainer", "Gaussian", "GaussianBernoulliRBM",
           "GaussianMixture", "GraphIsing", "GraphPotts", "JEMClassifier", "LatticeIsing", "LatticePotts",
           "MLPEnergy", "PairwisePotts", "Phi4Lattice", "PottsBernoulliRBM", "PottsRBMTrainer", "QuarticPotential",
           "RBMTrainer", "SampleResult", "SoftmaxMLP", "sample", "__version__"]

__getattr__, __dir__ = lazy(__name__, {
    "SoftmaxMLP": "ebmphys.models.classifier",
    "ContinuousEBM": "ebmphys.models.continuous",
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
    "Chains": "ebmphys.sampling.chains",
    "SampleResult": "ebmphys.sampling.sample",
    "sample": "ebmphys.sampling.sample",
    "EBMTrainer": "ebmphys.training.ebm_estimator",
    "RBMTrainer": "ebmphys.training.estimator",
    "JEMClassifier": "ebmphys.training.jem",
    "PottsRBMTrainer": "ebmphys.training.potts_trainer",
}, submodules=("analysis", "cli", "datasets", "exceptions", "kernels", "limits", "models", "partition", "plotting",
               "progress", "sampling", "storage", "study", "testing", "training"))
