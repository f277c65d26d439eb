"""Markov-chain samplers: many chains at once over the kernels in ``ebmphys.kernels``."""

from ebmphys.sampling.backends import ALGORITHMS
from ebmphys.sampling.sample import SampleResult, sample

__all__ = ["ALGORITHMS", "SampleResult", "sample"]
