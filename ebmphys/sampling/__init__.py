"""Markov-chain samplers: stateful chains of any model over the kernels in ``ebmphys.kernels``.

:class:`Chains` is the core; :func:`sample` and :func:`parallel_tempering` are thin
wrappers over it; :mod:`ebmphys.sampling.registry` maps (model kind, algorithm,
device) to kernels and holds the one device check.
"""

from ebmphys.sampling.chains import AnnealResult, ChainRecords, Chains
from ebmphys.sampling.registry import DEVICES, algorithms, check_device
from ebmphys.sampling.sample import SampleResult, TemperingResult, sample
from ebmphys.sampling.tempering import parallel_tempering, tune_ladder

__all__ = ["DEVICES", "AnnealResult", "ChainRecords", "Chains", "SampleResult", "TemperingResult", "algorithms",
           "check_device", "parallel_tempering", "sample", "tune_ladder"]
