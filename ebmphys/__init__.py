"""ebmphys: energy-based models treated the way a statistical physicist does.

Conventions used throughout the package: k_B = 1, ``beta = 1/T``; Ising spins
are int8 in {-1, +1} with energy ``E(s) = -sum_<ij> J_ij s_i s_j - sum_i h_i s_i``
(J > 0 ferromagnetic); RBM units are in {0, 1}.

The names below and the subpackages are imported on first use (``ebmphys._lazy``),
so ``import ebmphys`` is cheap and a call imports only what it needs.
"""

__version__ = "0.1.0"

from ebmphys._lazy import lazy  # noqa: E402

__all__ = ["RBMTrainer", "GraphIsing", "LatticeIsing", "SampleResult", "sample", "__version__"]

__getattr__, __dir__ = lazy(__name__, {
    "GraphIsing": "ebmphys.models.ising",
    "LatticeIsing": "ebmphys.models.ising",
    "SampleResult": "ebmphys.sampling.sample",
    "sample": "ebmphys.sampling.sample",
    "RBMTrainer": "ebmphys.training.estimator",
}, submodules=("analysis", "cli", "datasets", "exceptions", "kernels", "models", "partition", "plotting", "progress",
               "sampling", "storage", "study", "testing", "training"))
