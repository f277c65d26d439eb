"""Energy functions as small classes holding parameters (no sampling loops here)."""

from ebmphys._lazy import lazy

__all__ = ["RBM", "GraphIsing", "LatticeIsing", "binary_to_spins", "boltzmann_to_ising", "spins_to_binary"]

__getattr__, __dir__ = lazy(__name__, {
    "binary_to_spins": "ebmphys.models.boltzmann",
    "boltzmann_to_ising": "ebmphys.models.boltzmann",
    "spins_to_binary": "ebmphys.models.boltzmann",
    "GraphIsing": "ebmphys.models.ising",
    "LatticeIsing": "ebmphys.models.ising",
    "RBM": "ebmphys.models.rbm",
})
