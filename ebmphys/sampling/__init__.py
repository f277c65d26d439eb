"""Markov-chain samplers: many chains at once over the kernels in ``ebmphys.kernels``."""

from ebmphys.sampling.backends import ALGORITHMS
from ebmphys.sampling.sample import SampleResult, sample
from ebmphys.sampling.tempering import TemperingResult, parallel_tempering, tune_ladder

__all__ = ["ALGORITHMS", "SampleResult", "TemperingResult", "parallel_tempering", "sample", "tune_ladder"]
