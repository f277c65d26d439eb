"""Partition functions: exact enumeration, Kaufman's 2D torus formula, Onsager's limit."""

from ebmphys.partition.exact import (
    MAX_ENUMERATION_SPINS,
    boltzmann_probabilities,
    energy_spectrum,
    enumerate_states,
    log_z_exact,
    state_index,
)

__all__ = [
    "MAX_ENUMERATION_SPINS",
    "boltzmann_probabilities",
    "energy_spectrum",
    "enumerate_states",
    "log_z_exact",
    "state_index",
]
