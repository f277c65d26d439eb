"""What the CUDA kernels share: launch geometry, zeroing, integer reductions (numba-cuda).

Imported only once a device check has found CUDA usable (it imports
``numba.cuda``).  Under ``NUMBA_ENABLE_CUDASIM=1`` the same code runs in
numba-cuda's simulator, where every GPU thread is a Python thread: launches are
sized to the work (no more threads than needed) so that tests stay fast there.
"""

from __future__ import annotations

from numba import cuda

#: threads per block (a power of two; the block reductions below rely on it)
THREADS = 128
#: blocks along the y axis of a grid (CUDA allows 65535); kernels loop over rows beyond it
MAX_GRID_Y = 65535
#: largest x extent used for grid-stride loops (enough blocks to fill any current GPU)
MAX_BLOCKS = 4096


def launch(n: int) -> tuple[int, int]:
    """(blocks, threads) of a 1-D launch covering ``n`` threads (at least one of each)."""
    threads = min(THREADS, 1 << max(0, int(n) - 1).bit_length())
    return max(1, -(-int(n) // threads)), threads


def launch_rows(n_rows: int, n_per_row: int) -> tuple[tuple[int, int], int]:
    """(blocks, threads) of a 2-D launch: y over rows (looped beyond MAX_GRID_Y), x grid-strided over items."""
    blocks, threads = launch(n_per_row)
    return (min(blocks, MAX_BLOCKS), min(n_rows, MAX_GRID_Y)), threads


@cuda.jit(cache=True)
def _zero2(a, b):
    g = cuda.grid(1)
    n = a.shape[1]
    if g < a.shape[0] * n:
        m = g // n
        a[m, g - m * n] = 0
        b[m, g - m * n] = 0


def zero(a, b) -> None:
    """Set two device arrays of the same 2-D shape to zero."""
    blocks, threads = launch(a.shape[0] * a.shape[1])
    _zero2[blocks, threads](a, b)


@cuda.jit(device=True)
def block_sum2(x, y, buffer):
    """Sums over the threads of a block of two int64 values; valid in thread 0 (all threads must call).

    ``buffer``: shared int64 array of shape (2, THREADS); blockDim.x a power of two.
    """
    t = cuda.threadIdx.x
    buffer[0, t] = x
    buffer[1, t] = y
    cuda.syncthreads()
    stride = cuda.blockDim.x // 2
    while stride > 0:
        if t < stride:
            buffer[0, t] += buffer[0, t + stride]
            buffer[1, t] += buffer[1, t + stride]
        cuda.syncthreads()
        stride //= 2
    return buffer[0, 0], buffer[1, 0]
