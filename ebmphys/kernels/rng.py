"""Counter-based random numbers: Philox4x32-10 (Salmon et al., SC'11; Random123).

A call maps a 128-bit counter ``(c0, c1, c2, c3)`` and a 64-bit key ``(k0, k1)``
to four independent 32-bit words.  ebmphys keys the generator by the user's seed
and addresses every draw by where it is used:

===========  =====================================================
word         meaning
===========  =====================================================
``k0, k1``   low and high 32 bits of the seed
``c0``       block of four sites (site position // 4 in its colour)
``c1``       sweep number, counted from the start of the chain
``c2``       chain index
``c3``       stream: ``colour + 256 * purpose`` (see ``STREAM_*``)
===========  =====================================================

so a trajectory does not depend on thread count, scheduling, or where it runs,
and a checkpoint needs only the configuration and the sweep counter.  This is the
common pattern; each kernel module documents its exact layout (cluster updates
address ``c0`` by queue position or site, Wang-Landau spreads a 64-bit index of
pairs of trials over ``c0`` and ``c1``), and ``tests/reference/`` re-implements
every layout in plain Python.

The functions are plain ``@njit`` functions of integer scalars, callable from
CPU kernels and (through numba-cuda) from CUDA kernels.  Words are carried in
``uint64`` with the upper half zero, to avoid Numba's mixed-sign promotions.
"""

import math

import numpy as np
from numba import njit

_MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_TWO_M32 = 2.0**-32

#: stream purposes (the high byte of counter word ``c3``); the low byte numbers sub-streams
STREAM_LOCAL = 0
STREAM_INIT = 1
STREAM_CLUSTER = 2
STREAM_EXCHANGE = 3
STREAM_RBM = 4
STREAM_AIS = 5
STREAM_CONTINUOUS = 6
STREAM_MULTISPIN = 7

# ---- the registry of every counter word c3 used by a kernel (one place, so no two uses collide)
#: single-site sweeps: colour c of a checkerboard or colour class uses ``LOCAL + c``
LOCAL = 256 * STREAM_LOCAL
#: default initial configurations (random spins or Potts states; RBM visible rows, binary or Potts, use ``INIT + 1``)
INIT = 256 * STREAM_INIT
INIT_RBM_VISIBLE = 1 + 256 * STREAM_INIT
#: cluster updates: bond words ``CLUSTER``, seed site / cluster flips (Potts: new cluster states) ``CLUSTER + 1``
CLUSTER = 256 * STREAM_CLUSTER
#: Potts Wolff steps: the state the cluster moves to
CLUSTER_STATE = 2 + 256 * STREAM_CLUSTER
#: replica exchanges of parallel tempering
EXCHANGE = 256 * STREAM_EXCHANGE
#: RBM block Gibbs (binary and Potts-Bernoulli RBMs): hidden layer ``RBM_HIDDEN``, visible layer ``RBM_VISIBLE``
RBM_HIDDEN = 0 + 256 * STREAM_RBM
RBM_VISIBLE = 1 + 256 * STREAM_RBM
#: annealing (AIS, TI): RBM hidden and visible layers, initial states, Wang-Landau walks,
#: exact-sample and data-row picks (host generator), pilot runs (host), and spin sweeps
#: (colour c uses ``AIS_SPIN + c``)
AIS_HIDDEN = 0 + 256 * STREAM_AIS
AIS_VISIBLE = 1 + 256 * STREAM_AIS
AIS_INIT = 2 + 256 * STREAM_AIS
WANG_LANDAU = 3 + 256 * STREAM_AIS
AIS_EXACT_SAMPLES = 4 + 256 * STREAM_AIS
AIS_DATA_ROWS = 5 + 256 * STREAM_AIS
AIS_PILOT = 6 + 256 * STREAM_AIS
AIS_SPIN = 8 + 256 * STREAM_AIS
#: continuous models (:mod:`ebmphys.kernels.continuous_cpu`, ``phi4_cpu``, ``gb_rbm_cpu``): default initial
#: states, proposal / Langevin noise and HMC momenta, Metropolis-Hastings accept words; the same two for
#: annealing transitions; phi^4 checkerboard sweeps (colour c uses ``PHI4_LOCAL + c``), phi^4 embedded-Ising
#: clusters (bond words ``PHI4_CLUSTER``, seed sites ``PHI4_CLUSTER + 1``); Gaussian-Bernoulli RBM block
#: Gibbs (hidden layer, visible layer)
CONT_INIT = 0 + 256 * STREAM_CONTINUOUS
CONT_NOISE = 1 + 256 * STREAM_CONTINUOUS
CONT_ACCEPT = 2 + 256 * STREAM_CONTINUOUS
CONT_AIS_NOISE = 3 + 256 * STREAM_CONTINUOUS
CONT_AIS_ACCEPT = 4 + 256 * STREAM_CONTINUOUS
PHI4_LOCAL = 8 + 256 * STREAM_CONTINUOUS
PHI4_CLUSTER = 10 + 256 * STREAM_CONTINUOUS
GBRBM_HIDDEN = 12 + 256 * STREAM_CONTINUOUS
GBRBM_VISIBLE = 13 + 256 * STREAM_CONTINUOUS
#: multi-spin coded sweeps (``multispin_cpu``): colour c, bit-plane block q (0..15) uses ``MULTISPIN + 16 c + q``
MULTISPIN = 256 * STREAM_MULTISPIN

# ---- purposes of host-side generators (:func:`host_generator`), numpy's Philox4x64: a separate
# generator from the kernels' Philox4x32, so these numbers only need to differ from each other
#: RBMTrainer: initial weights, and the presentation order of each epoch
HOST_TRAINER_INIT = 0
HOST_TRAINER_ORDER = 1
#: MLPEnergy: initial weights
HOST_MLP_INIT = 2
#: EBMTrainer and JEMClassifier (:mod:`ebmphys.training`), index = epoch or update step: presentation
#: order of an epoch, noise starts (CD from noise, replay-buffer reinitialisation, sample() starts),
#: replay-buffer picks, Jarzynski resampling, initial walkers and buffers (data rows, noise or samples of
#: the initial model), NCE noise samples, denoising-score-matching perturbations; synthetic data and
#: initial models of training specs and comparisons (index 0: data, 1: initial parameters)
HOST_EBM_ORDER = 16
HOST_EBM_NOISE = 17
HOST_EBM_REPLAY = 18
HOST_EBM_RESAMPLE = 19
HOST_EBM_WALKERS = 20
HOST_EBM_NCE = 21
HOST_EBM_DSM = 22
HOST_EBM_DATA = 23


@njit(cache=True, inline="always")
def philox4x32(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 block: four uint32 words (as uint64) from counter and key.

    All six arguments are unsigned integers below 2**32.
    """
    c0 = np.uint64(c0)
    c1 = np.uint64(c1)
    c2 = np.uint64(c2)
    c3 = np.uint64(c3)
    k0 = np.uint64(k0)
    k1 = np.uint64(k1)
    for _ in range(10):
        p0 = _M0 * c0
        p1 = _M1 * c2
        c0 = (p1 >> _SHIFT32) ^ c1 ^ k0
        c1 = p1 & _MASK32
        c2 = (p0 >> _SHIFT32) ^ c3 ^ k1
        c3 = p0 & _MASK32
        k0 = (k0 + _W0) & _MASK32
        k1 = (k1 + _W1) & _MASK32
    return c0, c1, c2, c3


@njit(cache=True, inline="always")
def to_unit(word):
    """Map a uint32 word to a float64 uniform in the open interval (0, 1)."""
    return (np.float64(word) + 0.5) * _TWO_M32


@njit(cache=True, inline="always")
def threshold(p):
    """uint64 ``floor(p * 2**32)``, at most 2**32: a uint32 word ``w`` satisfies ``w < threshold(p)`` with probability p.

    The one way every kernel turns a probability into a decision (``word < threshold(p)``),
    on every device: the comparison is between integers, and ``p * 2**32`` is exact.
    ``p`` must lie in [0, 1].
    """
    return np.uint64(min(math.floor(p * 4294967296.0), 4294967296.0))


@njit(cache=True)
def philox_block(counters, k0, k1):
    """Vectorised Philox over rows of ``counters`` (shape (n, 4)); returns (n, 4) uint32."""
    out = np.empty(counters.shape, dtype=np.uint32)
    for i in range(counters.shape[0]):
        r0, r1, r2, r3 = philox4x32(counters[i, 0], counters[i, 1], counters[i, 2], counters[i, 3], k0, k1)
        out[i, 0] = r0
        out[i, 1] = r1
        out[i, 2] = r2
        out[i, 3] = r3
    return out


def split_seed(seed: int) -> tuple[int, int]:
    """Return the Philox key ``(k0, k1)`` of a seed in [0, 2**64)."""
    return seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF


def resolve_seed(seed) -> int:
    """Validate a user seed, or draw a fresh one from the OS when ``seed is None``.

    Raises
    ------
    TypeError, ValueError
        If ``seed`` is not an integer in [0, 2**64).
    """
    if seed is None:
        return int(np.random.SeedSequence().entropy) & 0xFFFFFFFFFFFFFFFF
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer in [0, 2**64) or None, got {seed!r}")
    seed = int(seed)
    if not 0 <= seed < 2**64:
        raise ValueError(f"seed must be an integer in [0, 2**64), got {seed}")
    return seed


def derive_seed(seed: int, *keys: int) -> int:
    """A 64-bit seed derived from ``seed`` and the integers ``keys`` (a task index, an epoch, ...).

    The one way ebmphys derives seeds: ``numpy.random.SeedSequence(seed, spawn_key=keys)``
    hashed to 64 bits, so derived seeds are independent-looking, never overflow, and
    do not collide for different keys.
    """
    words = np.random.SeedSequence(int(seed), spawn_key=tuple(int(k) for k in keys)).generate_state(2, np.uint32)
    return int(words[0]) | (int(words[1]) << 32)


def host_generator(seed: int, purpose: int, index: int = 0) -> np.random.Generator:
    """numpy Generator for host-side draws, keyed by ``seed`` and addressed by (``purpose``, ``index``).

    numpy's Philox with counter ``(0, index, 0, purpose)``: one stream per purpose
    (``HOST_*`` above, or a kernel stream number) and index (an epoch, ...), so
    host-side draws are as reproducible as the kernels' and never overlap.
    """
    counter = np.array([0, int(index), 0, int(purpose)], dtype=np.uint64)
    return np.random.Generator(np.random.Philox(key=int(seed), counter=counter))
