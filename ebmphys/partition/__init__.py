"""Partition functions: exact enumeration, Kaufman's 2D torus formula, Onsager's limit, exact results of the continuous models, AIS and reverse AIS, thermodynamic integration, Wang-Landau."""

from ebmphys.partition.ais import AISResult, AISWarning, adaptive_schedule, ais, reverse_ais, weight_statistics
from ebmphys.partition.continuous_exact import (
    continuous_log_z,
    exact_moments,
    exact_samples,
    grid_density,
    grid_log_z,
    phi4_free_log_z,
    phi4_free_propagator,
)
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
from ebmphys.partition.thermodynamic import TIResult, continuous_thermodynamic_integration, thermodynamic_integration
from ebmphys.sampling.wang_landau import WangLandauResult, wang_landau

__all__ = [
    "AISResult",
    "AISWarning",
    "TIResult",
    "WangLandauResult",
    "BETA_C",
    "MAX_ENUMERATION_SPINS",
    "T_C",
    "adaptive_schedule",
    "ais",
    "boltzmann_probabilities",
    "continuous_log_z",
    "continuous_thermodynamic_integration",
    "energy_spectrum",
    "enumerate_states",
    "exact_moments",
    "exact_samples",
    "grid_density",
    "grid_log_z",
    "ising2d_energy",
    "ising2d_log_z",
    "ising2d_specific_heat",
    "log_z_exact",
    "onsager_energy",
    "onsager_free_energy",
    "onsager_log_z_per_spin",
    "onsager_magnetization",
    "onsager_specific_heat",
    "phi4_free_log_z",
    "phi4_free_propagator",
    "reverse_ais",
    "state_index",
    "thermodynamic_integration",
    "wang_landau",
    "weight_statistics",
]
