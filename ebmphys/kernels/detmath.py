"""Floating-point functions that give the same bits on the CPU and on a CUDA GPU.

The CPU and CUDA kernels are twins that must agree bit for bit, so every
probability and log weight they compute from floats has to be rounded the same
way on both targets.  Two things differ between a CPU build (Numba, LLVM) and a
CUDA build (numba-cuda, NVVM) of the same Python source:

* transcendental functions: ``math.exp`` calls the C library on the CPU and
  libdevice on the GPU, and the two may differ in the last bit;
* fused multiply-add: NVVM contracts ``a * b + c`` into one ``fma`` (a single
  rounding) by default, and numba-cuda offers no switch to turn it off short of
  ``fastmath=True`` (which turns on more), while Numba on the CPU never contracts
  unless asked (``fastmath={"contract"}``).

This module therefore provides

* :func:`mul`: a product the compiler cannot fuse with a following addition (on
  the CPU an ordinary ``fmul``; on the GPU the PTX instruction ``mul.rn.f64``,
  which ptxas never contracts because its rounding is explicit);
* :func:`exp`, :func:`sigmoid`, :func:`softplus`: written with ``+ - * /`` only,
  every product through :func:`mul`, and powers of two assembled from their bits,
  so each is a fixed sequence of correctly rounded IEEE-754 operations: the same
  bits wherever it runs.

Kernels use these wherever a product feeds a sum (``log_w -= mul(db, e)``).
Products that are exact need no care (a spin or unit times a float, a power of
two times a float), nor do sums of floats added in the same order.  A function
here never assumes its argument is opaque: :func:`exp` passes it through
``mul(x, 1.0)`` (exact) before adding anything to it, so ``exp(-beta * dE)`` is
safe even though ``-beta * dE`` is an ordinary product.

Accuracy (IEEE double, round to nearest): :func:`exp` within 2 ulp on
[-708, 709] (0 below, inf above); :func:`sigmoid` relative error below 4e-16 for
x > -36 and absolute error below 5e-18 for x <= -36 (the argument is clamped to
[-40, 40]); :func:`softplus` within 4 ulp.  They are slower than the C library
by a small factor and vectorise on the CPU.  Inputs are assumed finite.

The functions are ``@njit`` functions of scalars, callable from CPU kernels, from
CUDA kernels (numba-cuda compiles them as device functions) and from Python.

What is guaranteed, and how it is checked.  With IEEE-754 binary64 arithmetic,
round to nearest, no flush-to-zero (both targets by default: numba-cuda's
``fastmath=False`` keeps double precision IEEE, and NVIDIA GPUs never flush
doubles), a kernel whose float operations are +, -, *, / and comparisons in a
fixed order, with no fusable product (a float multiply without explicit
rounding whose result feeds an add or subtract), computes the same bits on
both targets.  ``tests/cuda/test_ptx.py`` compiles every CUDA kernel and fails
on any ``fma`` or fusable multiply in the PTX; ``tests/cuda/test_sim_twins.py``
(simulator: the kernels' logic, but CPU arithmetic) and ``tests/cuda/test_gpu.py``
(a real GPU: the compiled arithmetic, at realistic sizes) compare the twins'
outputs bit for bit.  Only the last can confirm that ptxas and the hardware honour
the PTX rounding as documented.
"""

import math

from llvmlite import ir
from numba import njit, types
from numba.core.extending import intrinsic

_INV_LN2 = 1.44269504088896338700e00
_LN2_HI = 6.93147180369123816490e-01  # ln 2 rounded to 32 bits: k * _LN2_HI is exact for |k| < 2**20
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - _LN2_HI
_ROUNDING = 1.5 * 2.0**52  # adding it rounds a double of magnitude < 2**51 to an integer
_C2, _C3, _C4, _C5, _C6, _C7, _C8, _C9, _C10, _C11, _C12, _C13 = (1.0 / math.factorial(m) for m in range(2, 14))
_SQRT2 = 1.41421356237309504880
#: 1 / (2m + 1) for m = 1 .. 11: the series 2 atanh(s) = 2 s (1 + s^2/3 + s^4/5 + ...)
_A1, _A2, _A3, _A4, _A5, _A6, _A7, _A8, _A9, _A10, _A11 = (1.0 / (2 * m + 1) for m in range(1, 12))


def _on_cuda(context) -> bool:
    """True when ``context`` is numba-cuda's target context (the code is being built for a GPU)."""
    return type(context).__module__.startswith("numba.cuda")


@intrinsic
def _mul_rn(typingctx, a, b):
    """a * b rounded once, never contracted with a following add (PTX ``mul.rn.f64`` on a GPU)."""
    if not (isinstance(a, (types.Float, types.Integer)) and isinstance(b, (types.Float, types.Integer))):
        return None
    sig = types.float64(types.float64, types.float64)

    def codegen(context, builder, signature, args):
        x, y = args
        if _on_cuda(context):
            fnty = ir.FunctionType(ir.DoubleType(), [ir.DoubleType(), ir.DoubleType()])
            return builder.asm(fnty, "mul.rn.f64 $0, $1, $2;", "=d,d,d", [x, y], False)
        return builder.fmul(x, y)

    return sig, codegen


@intrinsic
def _pow2(typingctx, k):
    """2.0**k for an integer k in [-1022, 1023], built from its bits (exact, no libm call)."""
    if not isinstance(k, types.Integer):
        return None
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        biased = builder.add(args[0], ir.Constant(ir.IntType(64), 1023))
        bits = builder.shl(biased, ir.Constant(ir.IntType(64), 52))
        return builder.bitcast(bits, ir.DoubleType())

    return sig, codegen


@njit(cache=True)
def mul(a, b):
    """``a * b`` as a float64 rounded once and never fused with a following addition."""
    return _mul_rn(a, b)


@njit(cache=True)
def _exp_reduced(z):
    """exp(z) for z in [-708, 709]: 2**k * P(r), k = round(z / ln 2), r = z - k ln 2 (|r| <= ln(2)/2).

    Cody-Waite reduction (two-part ln 2) and the degree-13 Taylor polynomial
    (truncation below 1e-17 relative), evaluated by Horner's rule.
    """
    t = mul(z, _INV_LN2) + _ROUNDING
    k = t - _ROUNDING
    r = (z - mul(k, _LN2_HI)) - mul(k, _LN2_LO)
    p = mul(_C13, r) + _C12
    p = mul(p, r) + _C11
    p = mul(p, r) + _C10
    p = mul(p, r) + _C9
    p = mul(p, r) + _C8
    p = mul(p, r) + _C7
    p = mul(p, r) + _C6
    p = mul(p, r) + _C5
    p = mul(p, r) + _C4
    p = mul(p, r) + _C3
    p = mul(p, r) + _C2
    p = mul(p, r) + 1.0
    p = mul(p, r) + 1.0
    return mul(p, _pow2(int(k)))


@njit(cache=True)
def exp(x):
    """e**x, the same bits on every target: within 2 ulp on [-708, 709], 0.0 below, inf above."""
    if x < -708.0:
        return 0.0
    if x > 709.0:
        return math.inf
    # mul(x, 1.0) is exact; it stops a GPU compiler from fusing the product that made x
    # (say -beta * dE) with the subtraction in the argument reduction
    return _exp_reduced(mul(x, 1.0))


@njit(cache=True)
def sigmoid(x):
    """1 / (1 + exp(-x)) with the argument of exp clamped to [-40, 40] (so 0 < sigmoid < 1 always).

    Relative error below 4e-16 for x > -36; for x <= -36, where sigmoid(x) < 2.4e-16,
    absolute error below 5e-18.
    """
    z = min(max(-x, -40.0), 40.0)
    return 1.0 / (1.0 + _exp_reduced(z))


@njit(cache=True)
def _log1p_unit(y):
    """log(1 + y) for y in [0, 1]: 2 atanh(s) with s = u / (2 + u), after halving 1 + y when it exceeds sqrt 2.

    |s| <= 3 - 2 sqrt 2 = 0.1716 in both branches, so 11 terms of the series leave a
    truncation error below 1e-18 relative.
    """
    u = y
    k = 0.0
    if 1.0 + y > _SQRT2:
        u = mul(1.0 + y, 0.5) - 1.0  # exact: (1 + y) / 2 lies in [0.7, 1]
        k = 1.0
    s = u / (2.0 + u)
    q = mul(s, s)
    p = mul(_A11, q) + _A10
    p = mul(p, q) + _A9
    p = mul(p, q) + _A8
    p = mul(p, q) + _A7
    p = mul(p, q) + _A6
    p = mul(p, q) + _A5
    p = mul(p, q) + _A4
    p = mul(p, q) + _A3
    p = mul(p, q) + _A2
    p = mul(p, q) + _A1
    p = mul(p, q)
    two_s = s + s
    return (mul(k, _LN2_HI) + (mul(two_s, p) + mul(k, _LN2_LO))) + two_s


@njit(cache=True)
def softplus(x):
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), without overflow; within 4 ulp."""
    return max(x, 0.0) + _log1p_unit(exp(-abs(x)))
