"""Partition functions: exact enumeration, Kaufman's 2D torus formula, Onsager's limit, exact Potts results, AIS and reverse AIS, thermodynamic integration, Wang-Landau.

Every estimate is a :class:`LogZEstimate` (``method``, ``log_z``, ``stderr``, ``seed``, ``seconds``);
:func:`estimate_log_z` runs any method by name.
"""

from ebmphys.partition.estimate import METHODS, estimate_log_z
from ebmphys.partition.result import LogZEstimate
from ebmphys.partition.ais import AISResult, AISWarning, adaptive_schedule, ais, reverse_ais, weight_statistics
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
from ebmphys.partition.potts_critical import (
    potts_beta_c,
    potts_critical_energy,
    potts_latent_heat,
    potts_transition_energies,
)
from ebmphys.partition.potts_exact import (
    enumerate_potts_states,
    potts_boltzmann_probabilities,
    potts_energy_spectrum,
    potts_log_z_exact,
    potts_rbm_log_z_exact,
    potts_state_index,
)
from ebmphys.partition.thermodynamic import TIResult, thermodynamic_integration
from ebmphys.sampling.wang_landau import WangLandauResult, wang_landau

__all__ = [
    "AISResult",
    "AISWarning",
    "LogZEstimate",
    "METHODS",
    "TIResult",
    "WangLandauResult",
    "BETA_C",
    "MAX_ENUMERATION_SPINS",
    "T_C",
    "adaptive_schedule",
    "ais",
    "boltzmann_probabilities",
    "energy_spectrum",
    "estimate_log_z",
    "enumerate_potts_states",
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
    "potts_beta_c",
    "potts_boltzmann_probabilities",
    "potts_critical_energy",
    "potts_energy_spectrum",
    "potts_latent_heat",
    "potts_log_z_exact",
    "potts_rbm_log_z_exact",
    "potts_state_index",
    "potts_transition_energies",
    "reverse_ais",
    "state_index",
    "thermodynamic_integration",
    "wang_landau",
    "weight_statistics",
]
