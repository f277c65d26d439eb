"""Slow, obviously correct reference twins of the Numba kernels (plain Python and numpy, no Numba).

Each module here re-implements one kernel module of :mod:`ebmphys.kernels` straight
from its documented counter layout, one chain and one site at a time, with a pure-Python
Philox4x32-10 (:mod:`tests.reference.rng`).  ``tests/kernels/test_twin_*.py`` check that
every fast kernel equals its twin bit for bit on small cases.

What a twin may share with its kernel, and says so in its docstring:

* the stream numbers of the registry in :mod:`ebmphys.kernels.rng` (names, not layout);
* for RBMs, the scalar probability function ``rbm_cpu.layer_probabilities`` (a polynomial
  exp whose fused multiply-adds plain Python cannot reproduce bit for bit);
* the order of floating-point sums where a kernel accumulates (a different order would
  change the last bits of a probability or a weight, not the counter layout under test).

Everything else is re-derived: Philox itself, ``threshold``, lattice geometry from
coordinates, colours, neighbour sums, update probabilities, cluster growth and labelling,
the Wang-Landau schedule and the replica-exchange rule.  Decisions are always
``word < threshold(p)`` on Python integers.
"""
