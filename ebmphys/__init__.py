"""ebmphys: energy-based models treated the way a statistical physicist does.

Conventions used throughout the package: k_B = 1, ``beta = 1/T``; Ising spins
are int8 in {-1, +1} with energy ``E(s) = -sum_<ij> J_ij s_i s_j - sum_i h_i s_i``
(J > 0 ferromagnetic); RBM units are in {0, 1}.
"""

__version__ = "0.1.0"

from ebmphys.models import GraphIsing, LatticeIsing  # noqa: E402
from ebmphys.sampling import SampleResult, sample  # noqa: E402

__all__ = ["RBMTrainer", "GraphIsing", "LatticeIsing", "SampleResult", "sample", "__version__"]


def __getattr__(name: str):
    # ebmphys.RBMTrainer is imported on first use: it subclasses scikit-learn's BaseEstimator,
    # and importing scikit-learn would add about half a second to every ``import ebmphys``
    if name == "RBMTrainer":
        from ebmphys.training import RBMTrainer

        return RBMTrainer
    raise AttributeError(f"module 'ebmphys' has no attribute {name!r}")
