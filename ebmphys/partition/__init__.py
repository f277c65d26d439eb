"""Partition functions: exact enumeration, Kaufman's 2D torus formula, Onsager's limit."""

from ebmphys.partition.exact import (
    MAX_ENUMERATION_SPINS,
    boltzmann_probabilities,
    energy_spectrum,
    enumerate_states,
    log_z_exact,
    state_index,
)
from ebmphys.partition.kaufman import ising2d_energy, ising2d_log_z, ising2d_specific_heat
from ebmphys.partition.onsager import (
    BETA_C,
    T_C,
    onsager_energy,
    onsager_free_energy,
    onsager_log_z_per_spin,
    onsager_magnetization,
    onsager_specific_heat,
)

__all__ = [
    "BETA_C",
    "MAX_ENUMERATION_SPINS",
    "T_C",
    "boltzmann_probabilities",
    "energy_spectrum",
    "enumerate_states",
    "ising2d_energy",
    "ising2d_log_z",
    "ising2d_specific_heat",
    "log_z_exact",
    "onsager_energy",
    "onsager_free_energy",
    "onsager_log_z_per_spin",
    "onsager_magnetization",
    "onsager_specific_heat",
    "state_index",
]
