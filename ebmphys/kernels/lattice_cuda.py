"""Checkerboard single-spin updates on hypercubic lattices (CUDA twin of :mod:`ebmphys.kernels.lattice_cpu`).

Same layout and the same random words as the CPU kernel, so the same bits:

* ``spins``: int8 device array (n_chains, n_spins + L), sites in C order, then a
  ghost row of L zeros that open-boundary neighbours point into;
* rows run along the last axis; ``row_nbrs`` int64 (n_rows, 2(d-1)) and
  ``row_parity`` as in ``LatticeIsing.rows``; site j of row r has colour
  ``(row_parity[r] + j) % 2``;
* ``tables``: uint64 (n_chains, 2 (2z+1)), row m the flattened threshold table of
  chain m (``lattice_cpu.update_thresholds``, computed on the host once per set
  of betas), indexed ``((s+1)//2) (2z+1) + nsum + z``: no probability is ever
  computed on the device, so nothing depends on the GPU's floating point;
* the k-th site of colour c in row r of kernel row m uses word k % 4 of
  ``philox4x32(r * B + k // 4, sweep, chain0 + m, stream + c)``, B =
  ceil(ceil(L/2) / 4) (``stream`` = ``rng.LOCAL`` for sampling, ``rng.AIS_SPIN`` for
  annealing).

One thread updates the up to four sites of colour c served by one Philox block
(thread ``(m, r, b)``); the two colours are two launches, so the second colour
sees the first one's new spins, as on the CPU.

Observables are integer sums reduced on the device: the bond sum
``B = sum_<ij> s_i s_j`` (forward neighbours, each bond once; equal to the CPU's
half sum over all neighbours) and the magnetisation ``M = sum_i s_i``, both int64,
so their reduction order does not matter.  The host turns them into
``E = -J B - h M`` exactly as the CPU kernel does (:func:`energies`), and so does
the device for replica exchanges (:func:`device_energies`).

Written against ``lattice_cpu`` of main at commit aa10d21; re-check the twin tests
after any change of the CPU layout.
"""

from __future__ import annotations

import numpy as np
from numba import cuda, float64, int64

from ebmphys.kernels.common_cuda import THREADS, block_sum2, launch, launch_rows
from ebmphys.kernels.detmath import mul
from ebmphys.kernels.rng import philox4x32


def blocks_per_row(side: int) -> int:
    """B = ceil(ceil(L/2) / 4): Philox blocks serving one colour of one row."""
    return ((side + 1) // 2 + 3) // 4


@cuda.jit(cache=True)
def _checkerboard_color(spins, row_nbrs, row_parity, side, periodic_last, tables, table_row, k0, k1, chain0, sweep,
                        stream, color, n_blocks):
    g = cuda.grid(1)
    n_rows = row_nbrs.shape[0]
    per_chain = n_rows * n_blocks
    if g >= spins.shape[0] * per_chain:
        return
    m = g // per_chain
    rest = g - m * per_chain
    r = rest // n_blocks
    b = rest - r * n_blocks
    n_q = row_nbrs.shape[1]
    z = n_q + 2
    width = 2 * z + 1
    ghost = n_rows * side
    base = r * side
    j0 = (color + row_parity[r]) & 1
    t = m if table_row < 0 else table_row
    words = philox4x32(r * n_blocks + b, sweep, chain0 + m, stream + color, k0, k1)
    for lane in range(4):
        j = j0 + 2 * (4 * b + lane)
        if j < side:
            i = base + j
            left = i - 1
            if j == 0:
                left = base + side - 1 if periodic_last else ghost
            right = i + 1
            if j == side - 1:
                right = base if periodic_last else ghost
            nsum = int64(spins[m, left]) + int64(spins[m, right]) + z
            for q in range(n_q):
                nsum += int64(spins[m, row_nbrs[r, q] + j])
            up = (int64(spins[m, i]) + 1) >> 1
            spins[m, i] = 1 if words[lane] < tables[t, up * width + nsum] else -1


def sweeps(spins, row_nbrs, row_parity, side: int, periodic_last: bool, tables, k0: int, k1: int, chain0: int,
           sweep0: int, n_sweeps: int, stream: int, after_sweep=None, table_row: int = -1) -> None:
    """Run sweeps ``sweep0 .. sweep0 + n_sweeps - 1`` on the device arrays (row m is chain ``chain0 + m``).

    Chain m uses the threshold table ``tables[m]``, or ``tables[table_row]`` when
    ``table_row >= 0``.  ``after_sweep(t)``, if given, is called after sweep ``t``
    (0-based within the call) to record.
    """
    n_blocks = blocks_per_row(side)
    blocks, threads = launch(spins.shape[0] * row_nbrs.shape[0] * n_blocks)
    for t in range(n_sweeps):
        for color in range(2):
            _checkerboard_color[blocks, threads](spins, row_nbrs, row_parity, side, periodic_last, tables, table_row,
                                                 k0, k1, chain0, sweep0 + t, stream, color, n_blocks)
        if after_sweep is not None:
            after_sweep(t)


@cuda.jit(cache=True)
def _bond_sums(spins, neighbors, bonds, mags, column):
    """bonds[m, column] += sum over forward bonds of s_i s_j, mags[m, column] += sum_i s_i (int64, atomics per block)."""
    buffer = cuda.shared.array((2, THREADS), dtype=int64)
    n_spins = neighbors.shape[0]
    dims = neighbors.shape[1] // 2
    stride = cuda.gridDim.x * cuda.blockDim.x
    for m in range(cuda.blockIdx.y, spins.shape[0], cuda.gridDim.y):
        bond = int64(0)
        mag = int64(0)
        for i in range(cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x, n_spins, stride):
            s = int64(spins[m, i])
            acc = int64(0)
            for a in range(dims):
                acc += int64(spins[m, neighbors[i, 2 * a]])
            bond += s * acc
            mag += s
        bond, mag = block_sum2(bond, mag, buffer)
        if cuda.threadIdx.x == 0:
            cuda.atomic.add(bonds, (m, column), bond)
            cuda.atomic.add(mags, (m, column), mag)
        cuda.syncthreads()


def bond_sums(spins, neighbors, bonds, mags, column: int) -> None:
    """Add the bond sum and magnetisation of every row of ``spins`` to ``bonds[:, column]``, ``mags[:, column]``.

    Both are int64 device arrays (n_rows, n_columns) holding zeros in that column.
    """
    blocks, threads = launch_rows(spins.shape[0], neighbors.shape[0])
    _bond_sums[blocks, threads](spins, neighbors, bonds, mags, column)


@cuda.jit(cache=True)
def _energies(J, h, bonds, mags, energy):
    m = cuda.grid(1)
    if m < energy.shape[0]:
        energy[m] = mul(-J, float64(bonds[m, 0])) - mul(h, float64(mags[m, 0]))


def device_energies(J: float, h: float, bonds, mags, energy) -> None:
    """``energy[m] = -J B - h M`` on the device from column 0 of ``bonds``, ``mags`` (the host's :func:`energies` bits)."""
    blocks, threads = launch(energy.shape[0])
    _energies[blocks, threads](J, h, bonds, mags, energy)


def energies(J: float, h: float, bonds: np.ndarray, mags: np.ndarray) -> np.ndarray:
    """E = -J B - h M (float64) from integer bond sums and magnetisations, as ``lattice_cpu`` computes it."""
    return -J * bonds.astype(np.float64) - h * mags.astype(np.float64)
