"""Thermodynamic observables of a spin system at one temperature, with jackknife errors.

Conventions (k_B = 1): ``energy`` and ``magnetization`` are the extensive
totals E and M of each sample; N is the number of spins and m = M / N.
All quantities are per spin:

=====================  =====================================================
``energy``             <E> / N
``abs_magnetization``  <|M|> / N
``specific_heat``      beta**2 (<E**2> - <E>**2) / N
``susceptibility``     beta (<M**2> - <|M|>**2) / N   (finite-lattice convention:
                       with no field <M> = 0 on a finite lattice, so <|M|>
                       stands for the order parameter)
``susceptibility_m2``  beta <M**2> / N   (equal to the true chi above T_c)
``binder``             U4 = 1 - <m**4> / (3 <m**2>**2)
=====================  =====================================================
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ebmphys.analysis._checks import beta_value, positive_int, same_shape, time_series
from ebmphys.analysis.jackknife import Estimate, jackknife


class ThermoObservables(NamedTuple):
    """Per-spin observables at one beta, each an :class:`Estimate` (value, error)."""

    energy: Estimate
    abs_magnetization: Estimate
    specific_heat: Estimate
    susceptibility: Estimate
    susceptibility_m2: Estimate
    binder: Estimate


def thermo_observables(energy, magnetization, beta: float, n_spins: int, n_blocks: int = 20) -> ThermoObservables:
    """Energy, |magnetisation|, specific heat, susceptibilities and Binder cumulant with errors.

    Parameters
    ----------
    energy, magnetization : array_like, shape (n_samples,) or (n_chains, n_samples)
        Total (extensive) energy and magnetisation of each sample, at one beta;
        same shape, finite.  Chains are independent.
    beta : float
        Inverse temperature of the samples, >= 0 (k_B = 1).
    n_spins : int
        Number of spins N, >= 1.
    n_blocks : int, default 20
        Requested number of jackknife blocks (see :func:`ebmphys.analysis.jackknife`:
        blocks are chain segments, so each must be much longer than tau_int).

    Returns
    -------
    ThermoObservables
        Per-spin values with block-jackknife (bias-corrected) estimates and errors;
        the conventions are in the module docstring.

    Raises
    ------
    ValueError
        For non-finite or mismatched data, beta < 0, n_spins < 1, n_blocks < 2,
        or a magnetisation that is zero in every sample (U4 undefined).
    """
    beta = beta_value("beta", beta)
    n_spins = positive_int("n_spins", n_spins)
    e = time_series("energy", energy, 2)
    m = time_series("magnetization", magnetization, 2)
    same_shape(["energy", "magnetization"], [e, m])
    if not np.any(m):
        raise ValueError("magnetization is zero in every sample: the Binder cumulant is undefined")

    shift = float(e.mean())

    def per_spin(e1, e2, a1, m2, m4):
        return np.array(
            [
                (e1 + shift) / n_spins,
                a1 / n_spins,
                beta**2 * (e2 - e1**2) / n_spins,
                beta * (m2 - a1**2) / n_spins,
                beta * m2 / n_spins,
                1.0 - m4 / (3.0 * m2**2),
            ]
        )

    # the energy enters shifted by its mean, so <E^2> - <E>^2 loses no digits on large lattices
    est = jackknife(per_spin, e - shift, (e - shift) ** 2, np.abs(m), m**2, m**4, n_blocks=n_blocks)
    return ThermoObservables(*(Estimate(float(v), float(s)) for v, s in zip(est.value, est.error)))
