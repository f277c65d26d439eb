"""Error analysis and finite-size scaling of time series (plain numpy/scipy on arrays).

Autocorrelation times, blocking and block-jackknife errors, thermodynamic
observables with errors, single- and multi-histogram reweighting, Binder
crossings and critical-exponent fits, and first-order transitions (double-peaked
energy distributions, equal heights and weights, latent heat, interface tension).  Time series have shape (n_samples,) or
(n_chains, n_samples) with independent chains.
"""

from ebmphys.analysis.autocorr import (
    AutocorrelationTime,
    autocorrelation,
    effective_sample_size,
    integrated_autocorrelation_time,
)
from ebmphys.analysis.blocking import BlockingLevel, BlockingResult, blocking_error
from ebmphys.analysis.first_order import (
    DoublePeak,
    Extrapolation,
    PhaseWeights,
    energy_histogram,
    equal_height,
    equal_weight,
    extrapolate,
    log_distribution,
)
from ebmphys.analysis.fss import (
    BinderCrossing,
    ExponentFit,
    binder_crossing,
    binder_crossings,
    fit_gamma_over_nu,
    fit_nu,
)
from ebmphys.analysis.jackknife import Estimate, jackknife
from ebmphys.analysis.observables import ThermoObservables, thermo_observables
from ebmphys.analysis.reweighting import MultiHistogram, Reweighted, multi_histogram, reweight

__all__ = [
    "AutocorrelationTime",
    "BinderCrossing",
    "BlockingLevel",
    "BlockingResult",
    "DoublePeak",
    "Estimate",
    "ExponentFit",
    "Extrapolation",
    "MultiHistogram",
    "PhaseWeights",
    "Reweighted",
    "ThermoObservables",
    "autocorrelation",
    "binder_crossing",
    "binder_crossings",
    "blocking_error",
    "effective_sample_size",
    "energy_histogram",
    "equal_height",
    "equal_weight",
    "extrapolate",
    "fit_gamma_over_nu",
    "fit_nu",
    "integrated_autocorrelation_time",
    "jackknife",
    "log_distribution",
    "multi_histogram",
    "reweight",
    "thermo_observables",
]
