"""Numba kernels: pure functions on arrays, no Python objects, nothing else.

Every kernel works on a batch of independent chains, shape ``(n_chains, ...)``,
and draws its random numbers from the counter-based generator in
:mod:`ebmphys.kernels.rng`, so a trajectory is a pure function of
``(seed, chain, sweep, site)``.
"""
