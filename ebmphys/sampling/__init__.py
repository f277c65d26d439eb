"""Markov-chain samplers: stateful chains of any model over the kernels in ``ebmphys.kernels``.

:class:`Chains` is the core; :func:`sample` and :func:`parallel_tempering` are thin
wrappers over it; :mod:`ebmphys.sampling.registry` maps (model kind, algorithm,
device) to kernels and holds the one device check.  The tempering helpers are
imported on first use (they need scipy).
"""

from ebmphys._lazy import lazy
from ebmphys.sampling.chains import AnnealResult, ChainRecords, Chains
from ebmphys.sampling.registry import DEVICES, algorithms, check_device
from ebmphys.sampling.sample import SampleResult, TemperingResult, sample

__all__ = ["DEVICES", "AnnealResult", "ChainRecords", "Chains", "SampleResult", "TemperingResult", "algorithms",
           "check_device", "parallel_tempering", "sample", "tune_ladder"]

__getattr__, __dir__ = lazy(__name__, {
    "parallel_tempering": "ebmphys.sampling.tempering",
    "tune_ladder": "ebmphys.sampling.tempering",
})
